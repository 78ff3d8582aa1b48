"""d2l's "Recurrent Neural Networks from Scratch" and "Concise Implementation of
Recurrent Neural Networks" (``d2l==0.9.2``): everything that must match the published
helper exactly, on the core's data, models and decoder.

The loops keep d2l's arithmetic and the order of its random draws (clipping with
``**`` per element, SGD, mean cross-entropy), so the same seeds print the same
perplexities to the last digit. :func:`train_rnn` and :func:`train_gluon_rnn` are
d2l's loops with the printing taken out (one :class:`EpochReport` per epoch, given to
``on_epoch(report)``); :func:`train_and_predict_rnn` and
:func:`train_and_predict_rnn_gluon` print at d2l's cadence. ``d2l_compat`` re-exports
this module. Where ours differs from d2l: no crash for ``num_epochs < 4`` or a corpus
too short for a batch, data found through the resolver, and the ``train_and_predict``
functions return the perplexities.
"""
from __future__ import annotations

import dataclasses
import random
import time
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Union

import mxnet as mx
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import loss as gloss

from ..._checks import check_counts, check_rates
from ...data.batches import check_fits, data_iter_consecutive, data_iter_random
from ...data.corpora import time_machine_text
from ...data.vocab import Vocab
from ...devices import check_context, working_gpus
from ...models.gluon import RNNModel
from ...models.scratch import (
    get_params,
    init_rnn_state,
    params_factory,
    rnn,
    step_scores,
    to_onehot,
)
from ...sampling import greedy_text
from ...train.evaluate import perplexity
from ...train.loop import EpochReport, detached
from .plotting import semilogy, set_figsize, use_svg_display

__all__ = [
    "RNNModel", "Vocab", "data_iter_consecutive", "data_iter_random", "get_params",
    "grad_clipping", "grad_clipping_gluon", "init_rnn_state", "load_data_time_machine",
    "params_factory", "predict_rnn", "predict_rnn_gluon", "rnn", "semilogy", "set_figsize",
    "sgd", "to_onehot", "train_and_predict_rnn", "train_and_predict_rnn_gluon",
    "train_gluon_rnn", "train_rnn", "try_all_gpus", "try_gpu", "use_svg_display",
]


def load_data_time_machine(num_examples: int = 10000, path: Union[str, Path, None] = None):
    """``d2l.load_data_time_machine`` (0.9.2): the first ``num_examples`` characters of
    The Time Machine (lines joined, lower-cased, runs of white space one space) and their
    character vocabulary: ``(corpus_indices, vocab)``, 44 tokens (with ``<unk>``) for the
    default 10,000 characters. Unlike d2l, the file is found through the data resolver
    (``$GLUON_RNN_DATA``, ``./data``, ``../data``, the cache) instead of the fixed path
    ``../data/timemachine.txt``."""
    check_counts(num_examples=num_examples)
    text = time_machine_text(num_examples, path)
    vocab = Vocab(text)
    return vocab.indices(text), vocab


def try_gpu(device_id: int = 0) -> mx.Context:
    """``mx.gpu(device_id)`` if that GPU works, else ``mx.cpu()`` (d2l ``try_gpu``). Unlike
    d2l, MXNet is asked how many GPUs there are before one is touched, so the CPU wheel
    answers at once."""
    return next((gpu for gpu in working_gpus() if gpu.device_id == device_id), mx.cpu())


def try_all_gpus() -> List[mx.Context]:
    """Every working GPU, or ``[mx.cpu()]`` when there is none (d2l ``try_all_gpus``)."""
    return working_gpus() or [mx.cpu()]


class Perplexities(list):
    """The per-epoch perplexities the ``train_and_predict`` functions return (d2l's
    return ``None``). A notebook cell that ends in the call shows nothing, as the
    book's does: Jupyter calls ``_ipython_display_`` instead of showing the list."""

    def _ipython_display_(self) -> None:
        pass


def grad_clipping(params: Sequence[nd.NDArray], theta: float,
                  ctx: Optional[mx.Context] = None) -> float:
    """Rescale the gradients so their joint L2 norm is at most ``theta`` (d2l
    ``grad_clipping``). Returns the norm before clipping."""
    norm = nd.array([0], ctx)
    for param in params:
        norm += (param.grad ** 2).sum()
    norm = norm.sqrt().asscalar()
    if norm > theta:
        for param in params:
            param.grad[:] *= theta / norm
    return float(norm)


def sgd(params: Sequence[nd.NDArray], lr: float, batch_size: float) -> None:
    """Minibatch SGD in place: ``param -= lr * grad / batch_size`` (d2l ``sgd``)."""
    for param in params:
        param[:] = param - lr * param.grad / batch_size


def _sgd_step(params: Sequence[nd.NDArray], lr: float) -> None:
    """``sgd(params, lr, 1)`` as one fused in-place ``sgd_update`` per parameter:
    ``w - lr * g`` with the same float32 arithmetic, so bit for bit the same."""
    for param in params:
        nd.sgd_update(param, param.grad, lr=lr, wd=0.0, rescale_grad=1.0, out=param)


@dataclasses.dataclass(frozen=True)
class Partitioning:
    """A helper generation's two iterators, ``(corpus_indices, batch_size, num_steps, ctx,
    rng)``, and the size rule that goes with them, ``check_fits(corpus_len, batch_size,
    num_steps, is_random_iter)`` (each generation draws its own offsets, so each knows
    which corpora give a batch)."""

    data_iter_random: Callable
    data_iter_consecutive: Callable
    check_fits: Callable[[int, int, int, bool], None]

    def batches(self, corpus_indices, batch_size, num_steps, ctx, is_random_iter, rng):
        make = self.data_iter_random if is_random_iter else self.data_iter_consecutive
        return make(corpus_indices, batch_size, num_steps, ctx, rng)


D2L_092 = Partitioning(data_iter_random, data_iter_consecutive, check_fits)


def _check_sizes(corpus_indices, batch_size: int, num_steps: int, num_epochs: int,
                 is_random_iter: bool, lr: float, clipping_theta: float,
                 partitioning: Partitioning = D2L_092, ctx=None, **counts) -> None:
    """Fail before any work: bad counts, rates or context, or no batch that fits."""
    check_context(ctx)
    check_counts(num_epochs=num_epochs, num_steps=num_steps, batch_size=batch_size, **counts)
    check_rates(lr=lr, clipping_theta=clipping_theta)
    partitioning.check_fits(len(corpus_indices), batch_size, num_steps, is_random_iter)


def _fit(step: Callable, begin_state: Callable, corpus_indices: Sequence[int], batch_size: int,
         num_steps: int, ctx, is_random_iter: bool, num_epochs: int,
         rng: Optional[random.Random], on_epoch: Optional[Callable[[EpochReport], None]],
         partitioning: Partitioning = D2L_092) -> List[EpochReport]:
    """d2l's epoch loop around ``step(X, Y, state) -> (mean loss, state)``: random
    partitioning starts every minibatch from ``begin_state()``; consecutive
    partitioning starts each epoch from it and carries the (detached) state. Each
    epoch's minibatches come from ``partitioning`` (0.9.2's, or a 4-tuple generation's)."""
    reports: List[EpochReport] = []
    for epoch in range(1, num_epochs + 1):
        start, l_sum, n = time.time(), 0.0, 0
        state = None if is_random_iter else begin_state()
        for X, Y in partitioning.batches(corpus_indices, batch_size, num_steps, ctx,
                                         is_random_iter, rng):
            state = begin_state() if is_random_iter else detached(state)
            l, state = step(X, Y, state)
            l_sum += l.asscalar() * Y.size
            n += Y.size
        reports.append(EpochReport(epoch, perplexity(l_sum, n), time.time() - start, n))
        if on_epoch is not None:
            on_epoch(reports[-1])
    return reports


def _scratch_step(rnn: Callable, params, vocab_size: int, lr: float, clipping_theta: float, ctx):
    loss = gloss.SoftmaxCrossEntropyLoss()

    def step(X, Y, state):
        with autograd.record():
            outputs, state = step_scores(rnn, X, state, params, vocab_size)
            l = loss(outputs, Y.T.reshape((-1,))).mean()
        l.backward()
        grad_clipping(params, clipping_theta, ctx)  # d2l's arithmetic, to the last bit
        _sgd_step(params, lr)  # sgd(params, lr, 1): the loss is already a mean
        return l, state
    return step


def train_rnn(rnn: Callable, get_params: Callable, init_rnn_state: Callable, num_hiddens: int,
              corpus_indices: Sequence[int], vocab, ctx: Optional[mx.Context],
              is_random_iter: bool, num_epochs: int, num_steps: int, lr: float,
              clipping_theta: float, batch_size: int, *,
              rng: Optional[random.Random] = None,
              on_epoch: Optional[Callable[[EpochReport], None]] = None, params=None,
              partitioning: Partitioning = D2L_092):
    """Train a from-scratch RNN as d2l's ``train_and_predict_rnn`` does; return
    ``(params, reports)``.

    Each step: cross-entropy mean over ``batch_size * num_steps`` tokens, backward,
    clip to ``clipping_theta``, SGD with ``lr``. ``params`` (default: a fresh
    ``get_params()``) are trained in place; ``on_epoch(report)`` follows epochs; the
    minibatches come from ``partitioning`` (0.9.2's iterators by default). ``vocab`` only
    gives the input width (``len``).
    """
    _check_sizes(corpus_indices, batch_size, num_steps, num_epochs, is_random_iter, lr,
                 clipping_theta, partitioning, ctx, num_hiddens=num_hiddens)
    params = get_params() if params is None else params
    step = _scratch_step(rnn, params, len(vocab), lr, clipping_theta, ctx)
    reports = _fit(step, lambda: init_rnn_state(batch_size, num_hiddens, ctx), corpus_indices,
                   batch_size, num_steps, ctx, is_random_iter, num_epochs, rng, on_epoch,
                   partitioning)
    return params, reports


def _every(period: int, epoch: int) -> bool:
    return period > 0 and epoch % period == 0


def _d2l_reporter(num_epochs: int, prefixes: Sequence[str], predict: Callable[[str, int], str],
                  pred_period: Optional[int], pred_len: int, print_period: Optional[int]):
    """The printing of d2l's ``train_and_predict_rnn*``: perplexity every
    ``num_epochs // 4`` epochs, predictions every ``num_epochs // 2`` (each at least
    1), or the periods given. Returns ``on_epoch(report)``; ``predict(prefix, n)``
    continues a prefix with the model as it stands."""
    if pred_period is None:
        pred_period = max(1, num_epochs // 2)
        print_period = max(1, num_epochs // 4) if print_period is None else print_period
    elif print_period is None:
        print_period = pred_period  # 0 is refused below, not taken for "the default"
    check_counts(pred_period=pred_period, print_period=print_period, pred_len=pred_len)
    clock = {"start": time.time()}

    def report(rep: EpochReport) -> None:
        if _every(print_period, rep.epoch):
            print('epoch %d, perplexity %f, time %.2f sec'
                  % (rep.epoch, rep.perplexity, time.time() - clock["start"]))
            clock["start"] = time.time()
        if _every(pred_period, rep.epoch):
            for prefix in prefixes:
                print(' -', predict(prefix, pred_len))
    return report


def train_and_predict_rnn(rnn: Callable, get_params: Callable, init_rnn_state: Callable,
                          num_hiddens: int, corpus_indices: Sequence[int], vocab,
                          ctx: Optional[mx.Context], is_random_iter: bool, num_epochs: int,
                          num_steps: int, lr: float, clipping_theta: float, batch_size: int,
                          prefixes: Sequence[str], *, pred_period: Optional[int] = None,
                          pred_len: int = 50, print_period: Optional[int] = None,
                          rng: Optional[random.Random] = None) -> Perplexities:
    """``d2l.train_and_predict_rnn`` (0.9.2), printing as it does, minus its crashes.

    d2l prints perplexity every ``num_epochs // 4`` epochs and predictions every
    ``num_epochs // 2``, and divides by zero when ``num_epochs < 4``; here each
    period is at least 1. ``pred_period`` sets the prediction period (and, unless
    ``print_period`` is also given, the print period, as in d2l-zh);
    ``print_period=50, pred_period=100`` is the book page's cadence. ``pred_len``
    is the number of characters predicted. Returns the per-epoch training
    perplexities (d2l returns ``None``).
    """
    holder = []
    report = _d2l_reporter(
        num_epochs, prefixes,
        lambda prefix, n: predict_rnn(prefix, n, rnn, holder[0], init_rnn_state, num_hiddens,
                                      vocab, ctx),
        pred_period, pred_len, print_period)
    _check_sizes(corpus_indices, batch_size, num_steps, num_epochs, is_random_iter, lr,
                 clipping_theta, ctx=ctx, num_hiddens=num_hiddens)
    holder.append(get_params())
    _, reports = train_rnn(rnn, get_params, init_rnn_state, num_hiddens, corpus_indices, vocab,
                           ctx, is_random_iter, num_epochs, num_steps, lr, clipping_theta,
                           batch_size, rng=rng, on_epoch=report, params=holder[0])
    return Perplexities(rep.perplexity for rep in reports)


def grad_clipping_gluon(model, theta: float, ctx: Optional[mx.Context] = None) -> float:
    """:func:`grad_clipping` over a Gluon model's parameters (d2l ``grad_clipping_gluon``)."""
    return grad_clipping([p.data(ctx) for p in model.collect_params().values()], theta, ctx)


def train_gluon_rnn(model, num_hiddens: int, corpus_indices: Sequence[int], vocab,
                    ctx: Optional[mx.Context], num_epochs: int, num_steps: int, lr: float,
                    clipping_theta: float, batch_size: int, *,
                    rng: Optional[random.Random] = None,
                    on_epoch: Optional[Callable[[EpochReport], None]] = None,
                    partitioning: Partitioning = D2L_092) -> List[EpochReport]:
    """The loop of ``d2l.train_and_predict_rnn_gluon`` without the printing:
    initialise N(0, 0.01^2), plain SGD through a ``gluon.Trainer``, consecutive
    partitioning (``partitioning``'s) with the state carried (detached) across
    minibatches, clipping."""
    _check_sizes(corpus_indices, batch_size, num_steps, num_epochs, False, lr, clipping_theta,
                 partitioning, ctx)
    _check_output_size(model, len(vocab))
    loss = gloss.SoftmaxCrossEntropyLoss()
    model.initialize(ctx=ctx, force_reinit=True, init=init.Normal(0.01))
    trainer = gluon.Trainer(model.collect_params(), 'sgd',
                            {'learning_rate': lr, 'momentum': 0, 'wd': 0})

    def step(X, Y, state):
        with autograd.record():
            output, state = model(X, state)
            l = loss(output, Y.T.reshape((-1,))).mean()
        l.backward()
        grad_clipping_gluon(model, clipping_theta, ctx)
        trainer.step(1)  # the loss is already a mean
        return l, state
    return _fit(step, lambda: model.begin_state(batch_size=batch_size, ctx=ctx), corpus_indices,
                batch_size, num_steps, ctx, False, num_epochs, rng, on_epoch, partitioning)


def _check_output_size(model, vocab_size: int) -> None:
    """A model whose output layer scores another number of tokens than the vocabulary has
    trains on clipped labels and reports a perplexity that means nothing (d2l crashes)."""
    size = getattr(model, "vocab_size", None)
    if isinstance(size, int) and size != vocab_size:
        raise ValueError(f"the model scores {size} tokens but the vocabulary has {vocab_size}: "
                         "build it as RNNModel(rnn_layer, len(vocab))")


def train_and_predict_rnn_gluon(model, num_hiddens: int, corpus_indices: Sequence[int], vocab,
                                ctx: Optional[mx.Context], num_epochs: int, num_steps: int,
                                lr: float, clipping_theta: float, batch_size: int,
                                prefixes: Sequence[str], *, pred_period: Optional[int] = None,
                                pred_len: int = 50, print_period: Optional[int] = None,
                                rng: Optional[random.Random] = None) -> Perplexities:
    """``d2l.train_and_predict_rnn_gluon`` (0.9.2), printing as it does, minus the
    ``num_epochs < 4`` crash; returns the per-epoch perplexities. Keywords as
    :func:`train_and_predict_rnn`."""
    report = _d2l_reporter(
        num_epochs, prefixes, lambda prefix, n: predict_rnn_gluon(prefix, n, model, vocab, ctx),
        pred_period, pred_len, print_period)
    reports = train_gluon_rnn(model, num_hiddens, corpus_indices, vocab, ctx, num_epochs,
                              num_steps, lr, clipping_theta, batch_size, rng=rng, on_epoch=report)
    return Perplexities(rep.perplexity for rep in reports)


def predict_rnn(prefix: str, num_chars: int, rnn: Callable, params, init_rnn_state: Callable,
                num_hiddens: int, vocab, ctx: Optional[mx.Context] = None) -> str:
    """Extend ``prefix`` by ``num_chars`` greedily chosen tokens (d2l ``predict_rnn``).

    Characters of the prefix that are not in ``vocab`` map to ``<unk>`` and
    come back as ``'<unk>'`` in the result.
    """
    def step(index, state):
        outputs, state = rnn(to_onehot(nd.array([index], ctx=ctx), len(vocab)), state, params)
        return outputs[0], state
    return greedy_text(prefix, num_chars, vocab, init_rnn_state(1, num_hiddens, ctx), step)


def predict_rnn_gluon(prefix: str, num_chars: int, model, vocab,
                      ctx: Optional[mx.Context] = None) -> str:
    """Greedy continuation with a Gluon :class:`~gluon_rnn.models.gluon.RNNModel`
    (d2l ``predict_rnn_gluon``)."""
    def step(index, state):
        return model(nd.array([index], ctx=ctx).reshape((1, 1)), state)
    return greedy_text(prefix, num_chars, vocab, model.begin_state(batch_size=1, ctx=ctx), step)
