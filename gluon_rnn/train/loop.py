"""The training loop of ``gluon-rnn train`` (:func:`fit`) and the contract every loop
of the library keeps: one :class:`EpochReport` per epoch, passed to ``on_epoch(report)``.

The arithmetic is that of d2l's "Concise Implementation of Recurrent Neural
Networks" (``train_and_predict_rnn_gluon``): mean cross-entropy over ``batch_size *
num_steps`` tokens, gradients clipped to ``clipping_theta``, one optimizer step per
minibatch; random partitioning starts each minibatch from a zero state, consecutive
partitioning carries it (detached) across minibatches. What it adds is what long
runs need:

* the run's :class:`~gluon_rnn.train.checkpoints.Position` is saved with every checkpoint, so
  an interrupted run resumed from its checkpoint computes exactly what the
  uninterrupted run computes;
* a NaN or infinite loss stops training with a message, keeping the last good
  checkpoint, or with ``skip_nonfinite`` skips that minibatch (no update, the carried
  state restarted) and counts it in the epoch's report;
* Ctrl-C (SIGINT) finishes the current minibatch, saves a checkpoint and returns (a
  second Ctrl-C stops at once);
* validation perplexity after every epoch, test perplexity at the end where the
  corpus has a test split, and ``metrics.csv``/``metrics.json`` after every epoch.

Under ``gluon-rnn launch`` each worker trains on its rows of every global minibatch
and the gradients are summed over workers (:mod:`~gluon_rnn.train.distributed`).
MXNet's random generator cannot be read back, so with dropout it is reseeded from
``(seed, epoch, minibatch)`` before every minibatch.
"""
from __future__ import annotations

import contextlib
import dataclasses
import math
import random
import signal
import time
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Sequence

import mxnet as mx
from mxnet import autograd, gluon, nd
from mxnet.gluon import loss as gloss

from ..data.batches import data_iter, fitting_batch_size
from ..signals import handled
from ..threads import governed
from .checkpoints import rng_state, set_rng_state
from .evaluate import Diverged, check_diverged, evaluate_perplexity, perplexity
from .folder import write_metrics
from .report import EpochReport, detached
from .run import Run, save_checkpoint


def clip_global_norm(grads: Sequence[nd.NDArray], theta: float) -> float:
    """d2l's clipping rule on gradient arrays, with fused operators: the joint L2 norm
    from one ``multi_sum_sq``, each array scaled in place by ``theta / norm`` when
    the norm exceeds ``theta``; returns the norm before clipping.

    What ``gluon-rnn train`` uses. d2l's ``grad_clipping`` squares with ``**`` (a
    ``pow`` per element) and sums array by array; this gives its norm up to float32
    summation order. MXNet's ``gluon.utils.clip_global_norm`` computes one ``dot`` per
    array and checks finiteness with a second synchronisation; one ``multi_sum_sq``
    serves every array at once, and the loop checks finiteness itself. The d2l
    tutorial's loops keep d2l's exact arithmetic, so they print d2l's perplexities to
    the last digit."""
    grads = list(grads)
    sums = nd.multi_sum_sq(*grads, num_arrays=len(grads))
    norm = float(sums.sum().sqrt().asscalar())
    if norm > theta:
        for grad in grads:
            grad *= theta / norm
    return norm


def _epoch_batches(run: Run, rng: random.Random, epoch: int):
    """The epoch's minibatches from the position's generator state, skipping those done."""
    position = run.position
    if position.rng_state is not None:
        set_rng_state(rng, position.rng_state)
    position.rng_state = rng_state(rng)
    batches = data_iter(run.train, run.config.batch_size, run.config.num_steps, run.ctx,
                        run.config.iter == "random", rng)
    for index, batch in enumerate(batches):
        if index >= position.batch:
            yield index, batch


def _train_step(run: Run, loss, X, Y, epoch: int, index: int) -> Optional[float]:
    """One minibatch, split over the run's contexts; returns its mean loss, or
    ``None`` (and updates nothing, and drops the carried state) when the loss or the
    gradient norm is not finite."""
    config, ctxs = run.config, run.ctxs
    tokens = Y.size  # of the whole (global) minibatch
    if run.num_workers > 1:  # this worker's rows of the global minibatch
        rows = config.batch_size // run.num_workers
        X, Y = X[run.rank * rows:(run.rank + 1) * rows], Y[run.rank * rows:(run.rank + 1) * rows]
    if config.iter == "random" or not run.hidden:
        per_context = X.shape[0] // len(ctxs)
        run.hidden = [run.net.begin_state(batch_size=per_context, ctx=c) for c in ctxs]
    else:
        run.hidden = [detached(h) for h in run.hidden]
    if config.dropout:
        mx.random.seed(hash((config.seed, epoch, index)) % (2 ** 31))
    Xs, Ys = ([X], [Y]) if len(ctxs) == 1 else \
        (gluon.utils.split_and_load(X, ctxs), gluon.utils.split_and_load(Y, ctxs))
    with autograd.record():
        results = [run.net(x, h) for x, h in zip(Xs, run.hidden)]
        losses = [loss(out, y.T.reshape((-1,))) for (out, _), y in zip(results, Ys)]
        # the mean over the whole minibatch, as the sum of each context's and worker's share
        ls = [losses[0].mean()] if len(losses) * run.num_workers == 1 else \
            [l.sum() / tokens for l in losses]
    autograd.backward(ls)
    value = sum(float(l.asscalar()) for l in ls) * run.num_workers  # this worker's mean
    run.trainer.allreduce_grads()
    norm = _clip_gradients(run.net, config.clipping_theta, ctxs)
    if not (math.isfinite(value) and math.isfinite(norm)):
        run.hidden = []
        return None
    run.trainer.update(1)  # the loss is already a mean
    run.hidden = [list(state) for _, state in results]
    return value


def _clip_gradients(net: gluon.Block, theta: float, ctxs: List[mx.Context]) -> float:
    """d2l's clipping rule on the first context's (summed) gradients, the same factor
    on the others'; returns the norm before clipping."""
    params = list(net.collect_params().values())
    norm = clip_global_norm([p.grad(ctxs[0]) for p in params], theta)
    if norm > theta:
        for ctx in ctxs[1:]:
            for p in params:
                p.grad(ctx)[:] *= theta / norm
    return norm


def fit(run: Run, *, on_batch: Optional[Callable[[int, int, int, float], None]] = None,
        on_epoch: Optional[Callable[[EpochReport], None]] = None, handle_sigint: bool = True
        ) -> FitResult:
    """Train ``run`` from its position to ``config.num_epochs``.

    ``on_batch(epoch, index, num_tokens, loss)`` follows minibatches and
    ``on_epoch(report)`` epochs. After every epoch the checkpoint and metrics are
    written (when the run has a folder). Ctrl-C ends the current minibatch, saves
    and returns with ``interrupted=True``. MXNet's threads follow the machine's load
    meanwhile (:func:`gluon_rnn.threads.governed`): the numbers do not.
    """
    config, position = run.config, run.position
    loss = gloss.SoftmaxCrossEntropyLoss()
    rng = random.Random(config.seed)
    stop = _StopRequest()
    reports = [EpochReport(**row) for row in position.history]
    with (stop.active() if handle_sigint else contextlib.nullcontext(stop)), governed():
        for epoch in range(position.epoch + 1, config.num_epochs + 1):
            run.trainer.set_learning_rate(config.learning_rate(epoch))
            start = time.time()
            if position.batch == 0:
                run.hidden = []
            for index, (X, Y) in _epoch_batches(run, rng, epoch):
                value = _train_step(run, loss, X, Y, epoch, index)
                position.batch = index + 1
                if value is None:
                    _non_finite(run, epoch, index)
                    continue
                position.l_sum += value * Y.size
                position.n += Y.size
                if on_batch is not None:
                    on_batch(epoch, index, Y.size, value)
                if stop.requested:
                    return FitResult(reports, None, True, save_checkpoint(run), stop.signum)
            reports.append(_finish_epoch(run, epoch, time.time() - start, rng))
            if on_epoch is not None:
                on_epoch(reports[-1])
    return FitResult(reports, _test_perplexity(run), False, run.checkpoint_path)


class NonFiniteLoss(ValueError):
    """The loss (or the gradient norm) became NaN or infinite."""


def _non_finite(run: Run, epoch: int, index: int) -> None:
    """Count a skipped minibatch (``skip_nonfinite``) or stop with what to do."""
    if run.config.skip_nonfinite:
        run.position.skipped += 1
        return
    raise NonFiniteLoss(f"the loss became NaN or infinite in epoch {epoch}, minibatch {index + 1}"
                        f"{_kept(run)}. Lower --lr or --clipping-theta, or pass --skip-nonfinite "
                        "to skip such minibatches")


def _kept(run: Run) -> str:
    """What a stopped run leaves: its last good checkpoint, none, or (no folder) nothing to say."""
    if run.checkpoint_path is None:
        return ""
    if run.position.epoch:
        return (f"; the last good checkpoint (after epoch {run.position.epoch}) is kept in "
                f"{run.checkpoint_path}")
    return "; no checkpoint was written"


def _check_diverged(run: Run, report: EpochReport) -> None:
    """Stop, as for a NaN loss, when the epoch left the model worse than a uniform guess,
    or unable to score held-out text, or when most of its minibatches had to be skipped
    (``skip_nonfinite``)."""
    advice = (f"{_kept(run)}. Lower --lr (now {run.config.learning_rate(report.epoch):g}) or "
              "--clipping-theta")
    check_diverged(report.perplexity, len(run.vocab), "tokens", advice,
                   f" in epoch {report.epoch}")
    if report.valid_perplexity is not None and not math.isfinite(report.valid_perplexity):
        raise Diverged(f"training diverged in epoch {report.epoch}: the validation perplexity "
                       f"is {report.valid_perplexity}{advice}")
    batches = report.tokens // (run.config.batch_size * run.config.num_steps) + report.skipped
    if report.skipped * 2 > batches:
        raise Diverged(f"training diverged in epoch {report.epoch}: {report.skipped} of its "
                       f"{batches} minibatches had a NaN or infinite loss and were skipped"
                       f"{advice}")


def _finish_epoch(run: Run, epoch: int, seconds: float, rng: random.Random) -> EpochReport:
    position, config = run.position, run.config
    report = EpochReport(epoch, perplexity(position.l_sum, position.n), seconds, position.n,
                         valid_perplexity=_held_out_perplexity(run, run.valid),
                         skipped=position.skipped)
    _check_diverged(run, report)
    row = dataclasses.asdict(report)
    position.history.append(row)
    position.epoch, position.batch, position.l_sum, position.n = epoch, 0, 0.0, 0
    position.skipped = 0
    position.rng_state = rng_state(rng)
    run.hidden = []
    if run.out is not None:
        save_checkpoint(run)
        write_metrics(run.out, [dict(r, tokens_per_second=r["tokens"] / max(r["seconds"], 1e-9),
                                     lr=config.learning_rate(r["epoch"]))
                                for r in position.history])
    return report


def _held_out_perplexity(run: Run, indices: Sequence[int]) -> Optional[float]:
    """Perplexity on held-out indices with the training batch shape, or with a batch
    size that fits when the held-out text is short; ``None`` when nothing fits."""
    config = run.config
    batch_size = fitting_batch_size(len(indices), config.batch_size, config.num_steps)
    if batch_size < 1:
        return None
    return evaluate_perplexity(run.net, indices, len(run.vocab), batch_size, config.num_steps,
                               run.ctx)


def _test_perplexity(run: Run) -> Optional[float]:
    return _held_out_perplexity(run, run.test) if run.test else None


class _StopRequest:
    """SIGINT (Ctrl-C) or SIGTERM (``kill``, a scheduler's stop) while active sets
    ``requested`` instead of raising: training ends the minibatch and saves; a second
    one raises ``KeyboardInterrupt`` at once. Outside the main thread it does nothing."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.requested = False
        self.signum: Optional[int] = None

    def _handle(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested, self.signum = True, signum

    @contextlib.contextmanager
    def active(self) -> Iterator["_StopRequest"]:
        with handled(self._handle, self.SIGNALS):
            yield self


@dataclasses.dataclass
class FitResult:
    """What :func:`fit` returns: the per-epoch reports, the test perplexity (when the
    corpus has a test split and training finished) and whether Ctrl-C stopped it."""

    reports: List[EpochReport]
    test_perplexity: Optional[float]
    interrupted: bool
    checkpoint: Optional[Path]
    signal: Optional[int] = None  # what stopped it: SIGINT (Ctrl-C) or SIGTERM
