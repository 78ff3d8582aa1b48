"""Training: gradient clipping, SGD, perplexity and the d2l 8.5 training loop.

:func:`train_rnn` is the loop of ``d2l.train_and_predict_rnn`` (seed 003) with
the printing taken out: it returns one :class:`EpochReport` per epoch and calls
``on_epoch`` after each, so the CLI can draw progress bars and the d2l facade
(:func:`train_and_predict_rnn`) can print at d2l's cadence. The arithmetic and
the order of random draws are d2l's, so the same seeds give the same perplexities.
"""
from __future__ import annotations

import dataclasses
import math
import random
import time
from typing import Callable, List, Optional, Sequence

import mxnet as mx
from mxnet import autograd, nd
from mxnet.gluon import loss as gloss

from ._checks import check_counts, check_rates
from .iterators import data_iter
from .models import scratch
from .sampling import predict_rnn


@dataclasses.dataclass
class EpochReport:
    """What one epoch did: its 1-based number, training perplexity, seconds and tokens seen."""

    epoch: int
    perplexity: float
    seconds: float
    tokens: int
    valid_perplexity: Optional[float] = None
    skipped: int = 0  # minibatches skipped for a non-finite loss (gluon-rnn train)

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else float("inf")


def grad_clipping(params: Sequence[nd.NDArray], theta: float, ctx: Optional[mx.Context] = None) -> float:
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


def clip_global_norm(grads: Sequence[nd.NDArray], theta: float) -> float:
    """d2l's clipping rule on gradient arrays, with fused operators: the joint L2 norm
    from one ``multi_sum_sq``, each array scaled in place by ``theta / norm`` when
    the norm exceeds ``theta``; returns the norm before clipping.

    What ``gluon-rnn train`` uses. :func:`grad_clipping` squares with ``**`` (a
    ``pow`` per element, about 5 ms for a 512x512 matrix here) and sums array by
    array: this gives its norm up to float32 summation order (1e-5 relative) in a tenth of
    the time. The d2l-facing loops (:func:`train_rnn`, :func:`train_gluon_rnn`) keep
    d2l's exact arithmetic, so they print d2l's perplexities to the last digit."""
    grads = list(grads)
    sums = nd.multi_sum_sq(*grads, num_arrays=len(grads))
    norm = float(sums.sum().sqrt().asscalar())
    if norm > theta:
        for grad in grads:
            grad *= theta / norm
    return norm


def _sgd_step(params: Sequence[nd.NDArray], lr: float) -> None:
    """``sgd(params, lr, 1)`` as one fused in-place ``sgd_update`` per parameter:
    ``w - lr * g`` with the same float32 arithmetic, so bit for bit the same."""
    for param in params:
        nd.sgd_update(param, param.grad, lr=lr, wd=0.0, rescale_grad=1.0, out=param)


def perplexity(loss_sum: float, num_tokens: int) -> float:
    """``exp`` of the mean cross-entropy; a clear error when nothing was counted."""
    if num_tokens <= 0:
        raise ValueError("perplexity of zero tokens is undefined: no batch was evaluated")
    return math.exp(loss_sum / num_tokens)


def split_corpus(corpus_indices: Sequence[int], valid_fraction: float = 0.1):
    """``(train, valid)``: the last ``valid_fraction`` of the corpus held out, contiguous,
    so no validation token is ever trained on."""
    if not 0 < valid_fraction < 1:
        raise ValueError(f"valid_fraction must be between 0 and 1, got {valid_fraction}")
    cut = len(corpus_indices) - int(len(corpus_indices) * valid_fraction)
    return corpus_indices[:cut], corpus_indices[cut:]


def evaluate_perplexity(model, corpus_indices: Sequence[int], vocab_size: int, batch_size: int,
                        num_steps: int, ctx: Optional[mx.Context] = None) -> float:
    """Perplexity of ``model`` on held-out ``corpus_indices``: consecutive batches
    from offset 0, the state carried across them, no gradients.

    ``model(X, state) -> (outputs, state)`` is a Gluon :class:`RNNModel` (with
    ``begin_state``), or a from-scratch triple ``(rnn, params, init_rnn_state)``
    with ``num_hiddens`` as a fourth element.
    """
    from .iterators import data_iter_consecutive

    forward, state = _evaluation_model(model, vocab_size, batch_size, ctx)
    loss = gloss.SoftmaxCrossEntropyLoss()
    l_sum, n = 0.0, 0
    for X, Y in data_iter_consecutive(corpus_indices, batch_size, num_steps, ctx, offset=0):
        output, state = forward(X, state)
        y = Y.T.reshape((-1,))
        l_sum += float(loss(output, y).sum().asscalar())
        n += y.size
    return perplexity(l_sum, n)


def _evaluation_model(model, vocab_size, batch_size, ctx):
    if isinstance(model, tuple):
        rnn, params, init_rnn_state, num_hiddens = model
        return (lambda X, state: step_scores(rnn, X, state, params, vocab_size),
                init_rnn_state(batch_size, num_hiddens, ctx))
    return model, model.begin_state(batch_size=batch_size, ctx=ctx)


def step_scores(rnn: Callable, X: nd.NDArray, state, params, vocab_size: int):
    """The scores of a ``(batch_size, num_steps)`` minibatch, concatenated over steps
    as d2l's loop does with ``rnn``'s list, and the new state. For gluon-rnn's own
    :func:`~gluon_rnn.models.scratch.rnn` the list is never built (one one-hot array,
    :func:`~gluon_rnn.models.scratch.rnn_scores`): the same numbers, fewer operators.
    The state must be detached before it is reused."""
    if rnn is scratch.rnn:
        return scratch.rnn_scores(nd.one_hot(X.T, vocab_size), state, params)
    outputs, state = rnn(scratch.to_onehot(X, vocab_size), state, params)
    return nd.concat(*outputs, dim=0), state


def _detached(state):
    return tuple(s.detach() for s in state)


def train_rnn(rnn: Callable, get_params: Callable, init_rnn_state: Callable, num_hiddens: int,
              corpus_indices: Sequence[int], vocab, ctx: Optional[mx.Context],
              is_random_iter: bool, num_epochs: int, num_steps: int, lr: float,
              clipping_theta: float, batch_size: int, *,
              rng: Optional[random.Random] = None,
              on_epoch: Optional[Callable[[EpochReport, list], None]] = None):
    """Train a from-scratch RNN as d2l 8.5 does; return ``(params, reports)``.

    Random partitioning starts every minibatch from a zero state; consecutive
    partitioning starts each epoch from zero and carries the (detached) state
    across minibatches. Each step: cross-entropy mean over ``batch_size *
    num_steps`` tokens, backward, clip to ``clipping_theta``, SGD with ``lr``.
    ``on_epoch(report, params)`` is called after every epoch.
    """
    check_counts(num_epochs=num_epochs, num_steps=num_steps, batch_size=batch_size,
                 num_hiddens=num_hiddens)
    check_rates(lr=lr, clipping_theta=clipping_theta)
    # Fail before any work if no batch fits (the iterator checks eagerly).
    data_iter(corpus_indices, batch_size, num_steps, ctx, is_random_iter, rng=random.Random(0))
    params = get_params()
    loss = gloss.SoftmaxCrossEntropyLoss()
    vocab_size = len(vocab)
    reports: List[EpochReport] = []
    for epoch in range(1, num_epochs + 1):
        start = time.time()
        state = None if is_random_iter else init_rnn_state(batch_size, num_hiddens, ctx)
        l_sum, n = 0.0, 0
        for X, Y in data_iter(corpus_indices, batch_size, num_steps, ctx, is_random_iter, rng):
            if is_random_iter:
                state = init_rnn_state(batch_size, num_hiddens, ctx)
            else:
                state = _detached(state)
            with autograd.record():
                outputs, state = step_scores(rnn, X, state, params, vocab_size)
                y = Y.T.reshape((-1,))
                l = loss(outputs, y).mean()
            l.backward()
            grad_clipping(params, clipping_theta, ctx)  # d2l's arithmetic, to the last bit
            _sgd_step(params, lr)  # sgd(params, lr, 1): the loss is already a mean
            l_sum += l.asscalar() * y.size
            n += y.size
        reports.append(EpochReport(epoch, perplexity(l_sum, n), time.time() - start, n))
        if on_epoch is not None:
            on_epoch(reports[-1], params)
    return params, reports


def _every(period: int, epoch: int) -> bool:
    return period > 0 and epoch % period == 0


def _d2l_reporter(num_epochs: int, prefixes: Sequence[str], predict: Callable[[str, int, list], str],
                  pred_period: Optional[int], pred_len: int, print_period: Optional[int]):
    """The printing of d2l's ``train_and_predict_rnn*``: perplexity every
    ``num_epochs // 4`` epochs, predictions every ``num_epochs // 2`` (each at least
    1), or the periods given. Returns ``on_epoch(report, params)``."""
    if pred_period is None:
        pred_period = max(1, num_epochs // 2)
        print_period = print_period or max(1, num_epochs // 4)
    else:
        print_period = print_period or pred_period
    check_counts(pred_period=pred_period, print_period=print_period, pred_len=pred_len)
    clock = {"start": time.time()}

    def report(rep: EpochReport, params) -> None:
        if _every(print_period, rep.epoch):
            print('epoch %d, perplexity %f, time %.2f sec'
                  % (rep.epoch, rep.perplexity, time.time() - clock["start"]))
            clock["start"] = time.time()
        if _every(pred_period, rep.epoch):
            for prefix in prefixes:
                print(' -', predict(prefix, pred_len, params))
    return report


def train_and_predict_rnn(rnn: Callable, get_params: Callable, init_rnn_state: Callable,
                          num_hiddens: int, corpus_indices: Sequence[int], vocab,
                          ctx: Optional[mx.Context], is_random_iter: bool, num_epochs: int,
                          num_steps: int, lr: float, clipping_theta: float, batch_size: int,
                          prefixes: Sequence[str], *, pred_period: Optional[int] = None,
                          pred_len: int = 50, print_period: Optional[int] = None,
                          rng: Optional[random.Random] = None) -> List[float]:
    """``d2l.train_and_predict_rnn`` (0.9.2), printing as it does, minus its crashes.

    d2l prints perplexity every ``num_epochs // 4`` epochs and predictions every
    ``num_epochs // 2``, and divides by zero when ``num_epochs < 4``; here each
    period is at least 1. ``pred_period`` sets the prediction period (and, unless
    ``print_period`` is also given, the print period, as in d2l-zh);
    ``print_period=50, pred_period=100`` is the book page's cadence. ``pred_len``
    is the number of characters predicted. Returns the per-epoch training
    perplexities (d2l returns ``None``).
    """
    report = _d2l_reporter(
        num_epochs, prefixes,
        lambda prefix, n, params: predict_rnn(prefix, n, rnn, params, init_rnn_state,
                                              num_hiddens, vocab, ctx),
        pred_period, pred_len, print_period)
    _, reports = train_rnn(rnn, get_params, init_rnn_state, num_hiddens, corpus_indices, vocab,
                           ctx, is_random_iter, num_epochs, num_steps, lr, clipping_theta,
                           batch_size, rng=rng, on_epoch=report)
    return [rep.perplexity for rep in reports]


def grad_clipping_gluon(model, theta: float, ctx: Optional[mx.Context] = None) -> float:
    """:func:`grad_clipping` over a Gluon model's parameters (d2l ``grad_clipping_gluon``)."""
    return grad_clipping([p.data(ctx) for p in model.collect_params().values()], theta, ctx)


def train_gluon_rnn(model, num_hiddens: int, corpus_indices: Sequence[int], vocab,
                    ctx: Optional[mx.Context], num_epochs: int, num_steps: int, lr: float,
                    clipping_theta: float, batch_size: int, *,
                    rng: Optional[random.Random] = None,
                    on_epoch: Optional[Callable[[EpochReport, object], None]] = None
                    ) -> List[EpochReport]:
    """The loop of ``d2l.train_and_predict_rnn_gluon`` without the printing:
    initialise N(0, 0.01^2), plain SGD through a ``gluon.Trainer``, consecutive
    partitioning with the state carried (detached) across minibatches, clipping."""
    from mxnet import gluon, init

    check_counts(num_epochs=num_epochs, num_steps=num_steps, batch_size=batch_size)
    check_rates(lr=lr, clipping_theta=clipping_theta)
    data_iter(corpus_indices, batch_size, num_steps, ctx, False, rng=random.Random(0))
    loss = gloss.SoftmaxCrossEntropyLoss()
    model.initialize(ctx=ctx, force_reinit=True, init=init.Normal(0.01))
    trainer = gluon.Trainer(model.collect_params(), 'sgd',
                            {'learning_rate': lr, 'momentum': 0, 'wd': 0})
    reports: List[EpochReport] = []
    for epoch in range(1, num_epochs + 1):
        start, l_sum, n = time.time(), 0.0, 0
        state = model.begin_state(batch_size=batch_size, ctx=ctx)
        for X, Y in data_iter(corpus_indices, batch_size, num_steps, ctx, False, rng):
            state = _detached(state)
            with autograd.record():
                output, state = model(X, state)
                y = Y.T.reshape((-1,))
                l = loss(output, y).mean()
            l.backward()
            grad_clipping_gluon(model, clipping_theta, ctx)
            trainer.step(1)  # the loss is already a mean
            l_sum += l.asscalar() * y.size
            n += y.size
        reports.append(EpochReport(epoch, perplexity(l_sum, n), time.time() - start, n))
        if on_epoch is not None:
            on_epoch(reports[-1], model)
    return reports


def train_and_predict_rnn_gluon(model, num_hiddens: int, corpus_indices: Sequence[int], vocab,
                                ctx: Optional[mx.Context], num_epochs: int, num_steps: int,
                                lr: float, clipping_theta: float, batch_size: int,
                                prefixes: Sequence[str], *, pred_period: Optional[int] = None,
                                pred_len: int = 50, print_period: Optional[int] = None,
                                rng: Optional[random.Random] = None) -> List[float]:
    """``d2l.train_and_predict_rnn_gluon`` (0.9.2), printing as it does, minus the
    ``num_epochs < 4`` crash; returns the per-epoch perplexities. Keywords as
    :func:`train_and_predict_rnn`."""
    from .sampling import predict_rnn_gluon

    report = _d2l_reporter(
        num_epochs, prefixes, lambda prefix, n, m: predict_rnn_gluon(prefix, n, m, vocab, ctx),
        pred_period, pred_len, print_period)
    reports = train_gluon_rnn(model, num_hiddens, corpus_indices, vocab, ctx, num_epochs,
                              num_steps, lr, clipping_theta, batch_size, rng=rng, on_epoch=report)
    return [rep.perplexity for rep in reports]


def train_with_sgd(model, X_train: Sequence[Sequence[int]], y_train: Sequence[Sequence[int]],
                   learning_rate: float = 0.005, nepoch: int = 1, evaluate_loss_after: int = 5,
                   callback: Optional[Callable[[int, int, float, float], None]] = None,
                   snapshot_path: Optional[str] = None, verbose: bool = True,
                   progress: bool = False,
                   loss_fn: Optional[Callable[[Sequence, Sequence], float]] = None) -> List[tuple]:
    """The WildML tutorial's SGD loop (seed 000): one ``sgd_step`` per sentence.

    Every ``evaluate_loss_after`` epochs (from epoch 0) the per-word loss over the
    training set is computed, printed in the tutorial's format when ``verbose``,
    passed to ``callback(num_examples_seen, epoch, loss, learning_rate)``, and,
    with ``snapshot_path`` (a format string with ``{epoch}``, ``{hidden}``,
    ``{words}``, ``{seen}``), the parameters are saved. When the loss rose since the
    last evaluation the learning rate is halved. ``progress`` shows a bar over all
    SGD steps (stderr). ``loss_fn(X, y)`` replaces ``model.calculate_loss`` as the
    evaluated loss (seed 001 evaluates its ``calculate_total_loss``). Returns
    ``[(num_examples_seen, loss)]``.
    """
    from datetime import datetime

    from tqdm.auto import tqdm

    from .checkpoints import save_model_parameters

    check_counts(nepoch=nepoch, evaluate_loss_after=evaluate_loss_after)
    check_rates(learning_rate=learning_rate)
    if len(X_train) != len(y_train) or not len(X_train):
        raise ValueError(f"X_train and y_train must be non-empty and of equal length, got "
                         f"{len(X_train)} and {len(y_train)}")
    losses: List[tuple] = []
    num_examples_seen = 0
    bar = tqdm(total=nepoch * len(X_train), disable=not progress, unit="sentence", leave=False)
    for epoch in range(nepoch):
        if epoch % evaluate_loss_after == 0:
            loss = (loss_fn or model.calculate_loss)(X_train, y_train)
            losses.append((num_examples_seen, loss))
            if verbose:
                print("%s: Loss after num_examples_seen=%d epoch=%d: %f"
                      % (datetime.now().strftime("%Y-%m-%d %H:%M:%S"), num_examples_seen, epoch, loss))
            if len(losses) > 1 and losses[-1][1] > losses[-2][1]:
                learning_rate *= 0.5
                if verbose:
                    print("Setting learning rate to %f" % learning_rate)
            if callback is not None:
                callback(num_examples_seen, epoch, loss, learning_rate)
            if snapshot_path:
                save_model_parameters(snapshot_path.format(
                    epoch=epoch, hidden=model.hidden_dim, words=model.word_dim,
                    seen=num_examples_seen), model)
        for x, y in zip(X_train, y_train):
            model.sgd_step(x, y, learning_rate)
            num_examples_seen += 1
            bar.update(1)
    bar.close()
    return losses


def train_char_rnn(params, time_numerical: Sequence[int], vocab_size: int, num_hidden: int,
                   epochs: int, learning_rate: float = .5, seq_length: int = 64,
                   batch_size: int = 32, ctx: Optional[mx.Context] = None,
                   on_epoch: Optional[Callable[[int, float], None]] = None) -> List[float]:
    """The Straight Dope training loop (seed 002), its bugs fixed (``backward``
    outside ``record``, batches built from the data actually loaded).

    The learning rate halves every 100 epochs (before epochs 99, 199, ... as the
    seed counts), the state starts at zero each epoch and is carried (detached)
    across batches, and the reported loss is the seed's moving average
    (``.99 * moving + .01 * loss``). ``on_epoch(epoch, moving_loss)`` follows
    progress. Returns the moving loss after each epoch.
    """
    from .models.char_rnn import SGD, average_ce_loss, char_batches, simple_rnn

    check_counts(epochs=epochs, num_hidden=num_hidden)
    check_rates(learning_rate=learning_rate)
    moving_loss, history = None, []
    for e in range(epochs):
        if (e + 1) % 100 == 0:
            learning_rate = learning_rate / 2.0
        state = nd.zeros(shape=(batch_size, num_hidden), ctx=ctx)
        for data, label in char_batches(time_numerical, seq_length, batch_size, vocab_size, ctx):
            state = state.detach()
            with autograd.record():
                outputs, state = simple_rnn(data, state, params)
                loss = average_ce_loss(outputs, label)
            loss.backward()
            SGD(params, learning_rate)
            value = float(loss.asscalar())
            moving_loss = value if moving_loss is None else .99 * moving_loss + .01 * value
        history.append(moving_loss)
        if on_epoch is not None:
            on_epoch(e, moving_loss)
    return history
