"""The nd-era loops every helper generation before the 2020 books shares: d2l's
``grad_clipping`` and ``sgd``, the epoch loop of ``train_and_predict_rnn`` and of its
Gluon sequel with the printing taken out (one :class:`EpochReport` per epoch, given to
``on_epoch(report)``), and the iterators-plus-size-rule pair (:class:`Partitioning`)
each generation brings to them.

The loops keep d2l 0.9.2's arithmetic and the order of its random draws (clipping with
``**`` per element, SGD, mean cross-entropy), so the same seeds print the same
perplexities to the last digit in 0.9.2, 0.8.7 and d2lzh 1.0.0, which all train this way.
"""
from __future__ import annotations

import dataclasses
import random
import time
from typing import Callable, List, Optional, Sequence

import mxnet as mx
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import loss as gloss

from ...._checks import check_counts, check_rates
from ....data.batches import check_fits, check_indices, data_iter_consecutive, data_iter_random
from ....devices import check_context
from ....models.scratch import step_scores
from ....train.evaluate import perplexity
from ....train.report import EpochReport, detached
from ....train.traced import TracedStep

__all__ = [
    "Partitioning", "Perplexities", "RANDOM_OFFSET", "check_output_size", "check_sizes",
    "fit_epochs", "grad_clipping", "grad_clipping_gluon", "sgd", "sgd_step", "train_gluon_rnn",
    "train_rnn",
]


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


def grad_clipping_gluon(model, theta: float, ctx: Optional[mx.Context] = None) -> float:
    """:func:`grad_clipping` over a Gluon model's parameters (d2l ``grad_clipping_gluon``)."""
    return grad_clipping([p.data(ctx) for p in model.collect_params().values()], theta, ctx)


def sgd(params: Sequence, lr: float, batch_size: float) -> None:
    """Minibatch SGD in place: ``param -= lr * grad / batch_size`` (d2l ``sgd``, every
    generation's, nd or numpy arrays alike). A rate or batch size that is not a positive
    number is refused (d2l divides by 0, or climbs the loss, without a word)."""
    check_rates(lr=lr, batch_size=batch_size)
    for param in params:
        param[:] = param - lr * param.grad / batch_size


def sgd_step(params: Sequence[nd.NDArray], lr: float) -> None:
    """``sgd(params, lr, 1)`` as one fused in-place ``sgd_update`` per parameter:
    ``w - lr * g`` with the same float32 arithmetic, so bit for bit the same."""
    for param in params:
        nd.sgd_update(param, param.grad, lr=lr, wd=0.0, rescale_grad=1.0, out=param)


class Perplexities(list):
    """The per-epoch perplexities the ``train_and_predict`` functions of 0.9.2 return
    (d2l's return ``None``). A notebook cell that ends in the call shows nothing, as the
    book's does: Jupyter calls ``_ipython_display_`` instead of showing the list."""

    def _ipython_display_(self) -> None:
        pass


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


RANDOM_OFFSET = Partitioning(data_iter_random, data_iter_consecutive, check_fits)
"""The core's iterators, a random start offset each epoch: d2l 0.9.2's and 0.8.7's."""


def check_sizes(corpus_indices, batch_size: int, num_steps: int, num_epochs: int,
                is_random_iter: bool, lr: float, clipping_theta: float,
                partitioning: Partitioning = RANDOM_OFFSET, ctx=None,
                vocab_size: Optional[int] = None, **counts) -> None:
    """Fail before any work: bad counts, rates or context, indices the vocabulary cannot
    have, or no batch that fits."""
    check_context(ctx)
    check_counts(num_epochs=num_epochs, num_steps=num_steps, batch_size=batch_size, **counts)
    check_rates(lr=lr, clipping_theta=clipping_theta)
    if vocab_size is not None:
        check_indices(corpus_indices, vocab_size)
    partitioning.check_fits(len(corpus_indices), batch_size, num_steps, is_random_iter)


def fit_epochs(step: Callable, begin_state: Callable, corpus_indices: Sequence[int],
               batch_size: int, num_steps: int, ctx, is_random_iter: bool, num_epochs: int,
               rng: Optional[random.Random], on_epoch: Optional[Callable[[EpochReport], None]],
               partitioning: Partitioning = RANDOM_OFFSET) -> List[EpochReport]:
    """d2l's epoch loop around ``step(X, Y, state) -> (mean loss, state)``: random
    partitioning starts every minibatch from ``begin_state()``; consecutive
    partitioning starts each epoch from it and carries the (detached) state. Each
    epoch's minibatches come from ``partitioning``."""
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
    """d2l's minibatch step; its forward (the reader's ``rnn`` and the loss) runs as one
    cached graph where that gives the same bits (:class:`~gluon_rnn.train.traced.TracedStep`)."""
    loss = gloss.SoftmaxCrossEntropyLoss()

    def forward(X, Y, *state):
        outputs, state = step_scores(rnn, X, state, params, vocab_size)
        return (loss(outputs, Y.T.reshape((-1,))).mean(), *state)
    traced = TracedStep(forward, params)

    def step(X, Y, state):
        l, state = traced.with_state(X, Y, state)
        grad_clipping(params, clipping_theta, ctx)  # d2l's arithmetic, to the last bit
        sgd_step(params, lr)  # sgd(params, lr, 1): the loss is already a mean
        return l, state
    return step


def train_rnn(rnn: Callable, get_params: Callable, init_rnn_state: Callable, num_hiddens: int,
              corpus_indices: Sequence[int], vocab, ctx: Optional[mx.Context],
              is_random_iter: bool, num_epochs: int, num_steps: int, lr: float,
              clipping_theta: float, batch_size: int, *,
              rng: Optional[random.Random] = None,
              on_epoch: Optional[Callable[[EpochReport], None]] = None, params=None,
              partitioning: Partitioning = RANDOM_OFFSET):
    """Train a from-scratch RNN as d2l's ``train_and_predict_rnn`` does; return
    ``(params, reports)``.

    Each step: cross-entropy mean over ``batch_size * num_steps`` tokens, backward,
    clip to ``clipping_theta``, SGD with ``lr``. ``params`` (default: a fresh
    ``get_params()``) are trained in place; ``on_epoch(report)`` follows epochs; the
    minibatches come from ``partitioning`` (0.9.2's iterators by default). ``vocab`` only
    gives the input width (``len``).
    """
    check_sizes(corpus_indices, batch_size, num_steps, num_epochs, is_random_iter, lr,
                clipping_theta, partitioning, ctx, len(vocab), num_hiddens=num_hiddens)
    params = get_params() if params is None else params
    step = _scratch_step(rnn, params, len(vocab), lr, clipping_theta, ctx)
    reports = fit_epochs(step, lambda: init_rnn_state(batch_size, num_hiddens, ctx),
                         corpus_indices, batch_size, num_steps, ctx, is_random_iter,
                         num_epochs, rng, on_epoch, partitioning)
    return params, reports


def train_gluon_rnn(model, num_hiddens: int, corpus_indices: Sequence[int], vocab,
                    ctx: Optional[mx.Context], num_epochs: int, num_steps: int, lr: float,
                    clipping_theta: float, batch_size: int, *,
                    rng: Optional[random.Random] = None,
                    on_epoch: Optional[Callable[[EpochReport], None]] = None,
                    partitioning: Partitioning = RANDOM_OFFSET) -> List[EpochReport]:
    """The loop of ``d2l.train_and_predict_rnn_gluon`` without the printing:
    initialise N(0, 0.01^2), plain SGD through a ``gluon.Trainer``, consecutive
    partitioning (``partitioning``'s) with the state carried (detached) across
    minibatches, clipping."""
    check_sizes(corpus_indices, batch_size, num_steps, num_epochs, False, lr, clipping_theta,
                partitioning, ctx, len(vocab))
    check_output_size(model, len(vocab))
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
    return fit_epochs(step, lambda: model.begin_state(batch_size=batch_size, ctx=ctx),
                      corpus_indices, batch_size, num_steps, ctx, False, num_epochs, rng,
                      on_epoch, partitioning)


def check_output_size(model, vocab_size: int) -> None:
    """A model whose output layer scores another number of tokens than the vocabulary has
    trains on clipped labels and reports a perplexity that means nothing (d2l crashes)."""
    size = getattr(model, "vocab_size", None)
    if isinstance(size, int) and size != vocab_size:
        raise ValueError(f"the model scores {size} tokens but the vocabulary has {vocab_size}: "
                         "build it as RNNModel(rnn_layer, len(vocab))")
