"""Training runs of ``gluon-rnn train``: a configuration, the model it builds, and a
resumable loop with validation, metrics files and checkpoints.

The loop is d2l's (seed 003, ``train_and_predict_rnn_gluon``): mean cross-entropy
over ``batch_size * num_steps`` tokens, gradients clipped to ``clipping_theta``,
one optimizer step per minibatch; random partitioning starts each minibatch from
a zero state, consecutive partitioning carries it (detached) across minibatches.
What it adds is what long runs need:

* a :class:`Position` (epoch, minibatch, the iterator generator's state at the
  start of the epoch, the running loss, the carried hidden state) saved with the
  parameters and optimizer state in one checkpoint, so that an interrupted run
  resumed from its checkpoint computes exactly what the uninterrupted run computes;
* a NaN or infinite loss stops training with a message, keeping the last good
  checkpoint, or with ``skip_nonfinite`` skips that minibatch (no update, the
  carried state restarted) and counts it in the epoch's report;
* Ctrl-C (SIGINT) finishes the current minibatch, saves a checkpoint and returns
  (a second Ctrl-C stops at once);
* validation perplexity after every epoch, test perplexity at the end where the
  corpus has a test split, and ``metrics.csv``/``metrics.json`` rewritten
  (atomically) after every epoch.

Under ``gluon-rnn launch`` (``DMLC_ROLE=worker``) each worker trains on its rows of
every global minibatch (``batch_size`` is the global size), the gradients are summed
over workers through the ``dist_sync`` KVStore, only worker 0 writes the checkpoint
and metrics, and the training perplexity it reports is that of its own rows.

MXNet's random generator cannot be read back, so with dropout it is reseeded from
``(seed, epoch, minibatch)`` before every minibatch; without dropout training
draws from it only to initialise the parameters.
"""
from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import math
import random
import signal
import time
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Union

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, init
from mxnet.gluon import loss as gloss

from ._checks import check_choice, check_counts, check_rates
from ._files import atomic_write
from .checkpoints import (load_training_checkpoint, restore_training_checkpoint,
                          save_training_checkpoint)
from .corpora import TokenCorpus, load_token_corpus
from .iterators import data_iter
from .training import EpochReport, evaluate_perplexity, clip_global_norm, perplexity
from .vocab import Vocab

MODELS = ("scratch", "rnn", "gru", "lstm")
ITERATORS = ("random", "consecutive")
OPTIMIZERS = ("sgd", "adam")
INITIALIZERS = {  # name: (initializer, what it is)
    "normal": (lambda: init.Normal(0.01), "N(0, 0.01^2), d2l's"),
    "uniform": (lambda: init.Uniform(0.1), "U(-0.1, 0.1), Zaremba et al.'s"),
    "xavier": (lambda: init.Xavier(), "Xavier (Glorot) uniform"),
}
CHECKPOINT_NAME = "checkpoint.npz"


@dataclasses.dataclass
class TrainConfig:
    """Everything that defines a run. Defaults follow d2l 8.6 (256 hidden units,
    35 steps, batch 32, SGD with learning rate 1, clipping at 1)."""

    model: str = "rnn"
    iter: str = "consecutive"
    corpus: str = "timemachine"
    level: str = "char"
    num_hiddens: int = 256
    num_layers: int = 1
    embed_size: int = 0
    dropout: float = 0.0
    num_steps: int = 35
    batch_size: int = 32
    num_epochs: int = 20
    optimizer: str = "sgd"
    lr: float = 1.0
    lr_decay: float = 1.0
    decay_after: int = 0
    clipping_theta: float = 1.0
    init: str = "normal"
    valid_fraction: float = 0.1
    seed: int = 0
    skip_nonfinite: bool = False

    def check(self) -> "TrainConfig":
        """Raise ``ValueError`` naming the first bad option."""
        check_choice("model", self.model, MODELS)
        check_choice("iter", self.iter, ITERATORS)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_choice("init", self.init, tuple(INITIALIZERS))
        check_counts(num_hiddens=self.num_hiddens, num_layers=self.num_layers,
                     num_steps=self.num_steps, batch_size=self.batch_size,
                     num_epochs=self.num_epochs)
        check_rates(lr=self.lr, clipping_theta=self.clipping_theta, lr_decay=self.lr_decay)
        if self.embed_size < 0 or self.decay_after < 0 or not 0 <= self.dropout < 1:
            raise ValueError("embed_size and decay_after must be >= 0 and dropout in [0, 1); got "
                             f"{self.embed_size}, {self.decay_after}, {self.dropout}")
        if self.model == "scratch" and (self.num_layers != 1 or self.embed_size or self.dropout):
            raise ValueError("the scratch model is d2l's one-layer one-hot RNN: it takes no "
                             "num_layers, embed_size or dropout; use --model rnn for those")
        return self


# Options a resumed run may change; the others define the model and its data.
RESUMABLE_CHANGES = ("num_epochs", "skip_nonfinite")


@dataclasses.dataclass
class Position:
    """Where training stands: ``epoch`` epochs done, ``batch`` minibatches of the
    next one done, with the iterator generator's state at that epoch's start, the
    running loss sum and token count of the epoch and the minibatches skipped."""

    epoch: int = 0
    batch: int = 0
    rng_state: Optional[list] = None
    l_sum: float = 0.0
    n: int = 0
    skipped: int = 0
    history: List[dict] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class RunResult:
    """What :func:`fit` returns: the per-epoch reports, the test perplexity (when the
    corpus has a test split and training finished) and whether Ctrl-C stopped it."""

    reports: List[EpochReport]
    test_perplexity: Optional[float]
    interrupted: bool
    checkpoint: Optional[Path]


def build_model(config: TrainConfig, vocab_size: int) -> gluon.Block:
    """The network a configuration names: d2l's from-scratch RNN as a block, or
    :class:`~gluon_rnn.models.gluon.RNNModel` around Gluon's RNN/GRU/LSTM, hybridized."""
    from mxnet.gluon import rnn

    from .models.gluon import RNNModel
    from .models.scratch import ScratchRNNModel

    if config.model == "scratch":
        return ScratchRNNModel(vocab_size, config.num_hiddens)
    layer = {"rnn": rnn.RNN, "gru": rnn.GRU, "lstm": rnn.LSTM}[config.model]
    net = RNNModel(layer(config.num_hiddens, num_layers=config.num_layers, dropout=config.dropout),
                   vocab_size, embed_size=config.embed_size or None, dropout=config.dropout)
    net.hybridize(static_alloc=True)  # one compiled graph per input shape
    return net


Contexts = Union[mx.Context, Sequence[mx.Context], None]


def contexts(ctx: Contexts) -> List[mx.Context]:
    """``ctx`` as a non-empty list (``None``: the CPU)."""
    if ctx is None:
        return [mx.cpu()]
    return [ctx] if isinstance(ctx, mx.Context) else list(ctx)


def initialize(net: gluon.Block, ctx: Contexts, how: str = "normal") -> gluon.Block:
    """Initialise the weights (``how``: a key of :data:`INITIALIZERS`; the default is
    d2l's N(0, 0.01^2)) on every context (equal copies) and run one token through the
    network, so every parameter has its shape before a checkpoint is restored into it."""
    from mxnet import nd

    ctxs = contexts(ctx)
    net.initialize(INITIALIZERS[how][0](), ctx=ctxs)
    net(nd.zeros((1, 1), ctx=ctxs[0]), net.begin_state(batch_size=1, ctx=ctxs[0]))
    return net


def distributed_kvstore():
    """The ``dist_sync`` KVStore when this process is a worker of a ``gluon-rnn launch``
    job (``DMLC_ROLE=worker``), else ``None``."""
    return mx.kv.create("dist_sync") if distributed_kvstore_requested() else None


def distributed_kvstore_requested() -> bool:
    """Whether this process was started as a worker of a ``gluon-rnn launch`` job."""
    import os

    return os.environ.get("DMLC_ROLE") == "worker"


def make_trainer(config: TrainConfig, net: gluon.Block, kvstore=None) -> gluon.Trainer:
    """Plain SGD (d2l's) or Adam over all of ``net``'s parameters. With several
    contexts the gradients are summed through a ``device`` KVStore and each context
    updates its own copy (``update_on_kvstore=False``, so they can be clipped in
    between)."""
    options = {"learning_rate": config.lr}
    if config.optimizer == "sgd":
        options.update(momentum=0, wd=0)
    trainer = gluon.Trainer(net.collect_params(), config.optimizer, options,
                            kvstore=kvstore or "device", update_on_kvstore=False)
    if kvstore is not None:
        _broadcast_initial_parameters(trainer)
    return trainer


def _broadcast_initial_parameters(trainer: gluon.Trainer) -> None:
    """Give every worker rank 0's parameters now, and wait until they have arrived.

    Gluon does this lazily inside the first ``allreduce_grads``, where MXNet 1.9's
    dist KVStore does not order the parameter pull before the gradient push of the
    same key (on CPU the key's buffer becomes the gradient array itself): when the
    other worker's gradient reached the server first, the pull returned the summed
    gradient as the weight, and about half of the 2-worker runs diverged."""
    trainer._init_kvstore()
    trainer._init_params()
    mx.nd.waitall()


def _rng_state(rng: random.Random) -> list:
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def _set_rng_state(rng: random.Random, state: list) -> None:
    rng.setstate((state[0], tuple(state[1]), state[2]))


def _detached(state):
    return [s.detach() for s in state]


class _StopRequest:
    """SIGINT while active sets ``requested`` instead of raising; a second one
    raises ``KeyboardInterrupt`` at once. Outside the main thread it does nothing."""

    def __init__(self) -> None:
        self.requested = False

    def _handle(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    @contextlib.contextmanager
    def active(self) -> Iterator["_StopRequest"]:
        try:
            previous = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread
            yield self
            return
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, previous)


@dataclasses.dataclass
class Run:
    """A run ready to train: configuration, data as indices, vocabulary, network,
    trainer, contexts (data parallel over all; the first one evaluates), output
    folder, position and the carried hidden state (one list per context)."""

    config: TrainConfig
    vocab: Vocab
    train: List[int]
    valid: List[int]
    test: List[int]
    net: gluon.Block
    trainer: gluon.Trainer
    ctxs: List[mx.Context]
    out: Optional[Path]
    position: Position
    hidden: list
    rank: int = 0
    num_workers: int = 1

    @property
    def ctx(self) -> mx.Context:
        return self.ctxs[0]

    @property
    def checkpoint_path(self) -> Optional[Path]:
        return None if self.out is None else self.out / CHECKPOINT_NAME


def _indices(corpus: TokenCorpus, vocab: Vocab):
    return [vocab[tok] for tok in corpus.train], [vocab[tok] for tok in corpus.valid], \
        [vocab[tok] for tok in corpus.test]


def _check_fits(config: TrainConfig, train: Sequence[int], ctxs: List[mx.Context],
                num_workers: int = 1) -> None:
    parts = len(ctxs) * num_workers
    if config.batch_size % parts:
        raise ValueError(f"batch_size {config.batch_size} does not split evenly over "
                         f"{len(ctxs)} contexts x {num_workers} worker(s); use a multiple of "
                         f"{parts}")
    data_iter(train, config.batch_size, config.num_steps, None, config.iter == "random",
              rng=random.Random(0))


def new_run(config: TrainConfig, ctx: Contexts = None, out: Optional[Path] = None,
            corpus: Optional[TokenCorpus] = None) -> Run:
    """Load the corpus, build and initialise the network (``mx.random.seed(seed)``,
    N(0, 0.01^2) as d2l) and its trainer. ``out`` is checked to be writable now,
    not after the first epoch."""
    config.check()
    ctxs = contexts(ctx)
    corpus = corpus or load_token_corpus(config.corpus, config.level, config.valid_fraction)
    vocab = Vocab(corpus.train)
    train, valid, test = _indices(corpus, vocab)
    kvstore = distributed_kvstore()
    rank, workers = (kvstore.rank, kvstore.num_workers) if kvstore else (0, 1)
    _check_fits(config, train, ctxs, workers)
    out = out if rank == 0 else None  # one worker writes the checkpoint and metrics
    if out is not None:
        try:  # an unwritable folder fails now, not after the first epoch
            _write_json(Path(out) / "config.json", dataclasses.asdict(config))
        except OSError as err:
            raise ValueError(f"cannot write the run folder {out} ({err.strerror or err}); "
                             "choose another --out") from err
    mx.random.seed(config.seed)
    net = initialize(build_model(config, len(vocab)), ctxs, config.init)
    if out is not None:
        check_free_space(Path(out), net, config)
    return Run(config, vocab, train, valid, test, net, make_trainer(config, net, kvstore), ctxs,
               None if out is None else Path(out), Position(), [], rank, workers)


def _vocab_of(tokens: Sequence[str]) -> Vocab:
    vocab = Vocab([])
    vocab.idx_to_token = list(tokens)
    vocab.token_to_idx = {tok: i for i, tok in enumerate(vocab.idx_to_token)}
    return vocab


def load_model(checkpoint: Path, ctx: Optional[mx.Context] = None):
    """``(net, vocab, config)`` of a checkpoint, the network on ``ctx`` with its
    trained parameters (for generation; :func:`resume_run` also restores training)."""
    saved = load_training_checkpoint(checkpoint)
    config = TrainConfig(**saved.meta["config"]).check()
    vocab = _vocab_of(saved.meta["vocab"])
    net = initialize(build_model(config, len(vocab)), ctx or mx.cpu())
    restore_training_checkpoint(saved, net, make_trainer(config, net), ctx or mx.cpu())
    return net, vocab, config


def checkpoint_bytes(net: gluon.Block, config: TrainConfig) -> int:
    """About how large a checkpoint of ``net`` is: float32 parameters, Adam's two
    moments, the vocabulary and metadata."""
    values = sum(int(np.prod(p.shape)) for p in net.collect_params().values())
    return values * 4 * (3 if config.optimizer == "adam" else 1) + (1 << 20)


def check_free_space(out: Path, net: gluon.Block, config: TrainConfig) -> None:
    """Refuse to start when ``out``'s file system cannot hold two checkpoints (the
    one being written and the previous one, kept until the new one is complete)."""
    import shutil

    need, free = 2 * checkpoint_bytes(net, config), shutil.disk_usage(out).free
    if free < need:
        raise ValueError(f"only {free / 2**20:.1f} MB free where {out} is; checkpoints of this "
                         f"model need about {need / 2**20:.1f} MB: free some space or choose "
                         "another --out")


def resume_run(checkpoint: Path, ctx: Contexts = None,
               out: Optional[Path] = None, changes: Optional[Dict[str, object]] = None) -> Run:
    """Rebuild a run from its checkpoint: configuration, vocabulary, parameters,
    optimizer state and position. ``changes`` may only extend ``num_epochs``; any
    other option that differs from the checkpoint's is an error."""
    if distributed_kvstore_requested():
        raise ValueError("--resume is not supported inside a `gluon-rnn launch` job (each "
                         "worker's carried state is not saved); resume with one process, or "
                         "start a new distributed run")
    saved = load_training_checkpoint(checkpoint)
    config = TrainConfig(**saved.meta["config"])
    for name, value in (changes or {}).items():
        if value is None or value == getattr(config, name):
            continue
        if name not in RESUMABLE_CHANGES:
            raise ValueError(f"{checkpoint} was trained with {name}={getattr(config, name)!r}; "
                             f"a resumed run keeps it (got {value!r}): drop the option or start "
                             "a new run in another folder")
        setattr(config, name, value)
    config.check()
    ctxs = contexts(ctx)
    vocab = _vocab_of(saved.meta["vocab"])
    train, valid, test = _indices(
        load_token_corpus(config.corpus, config.level, config.valid_fraction), vocab)
    _check_fits(config, train, ctxs)
    net = initialize(build_model(config, len(vocab)), ctxs)
    trainer = make_trainer(config, net)
    flat = restore_training_checkpoint(saved, net, trainer, ctxs[0])
    position = Position(**saved.meta["position"])
    out = Path(out) if out is not None else Path(checkpoint).parent
    return Run(config, vocab, train, valid, test, net, trainer, ctxs, out, position,
               _split_hidden(flat, saved.meta.get("hidden_contexts", 1), ctxs, checkpoint))


def _split_hidden(flat: list, saved_contexts: int, ctxs: List[mx.Context], checkpoint) -> list:
    """The carried state per context, from the checkpoint's flat list."""
    if not flat:
        return []
    if saved_contexts != len(ctxs):
        raise ValueError(f"{checkpoint} stopped inside an epoch of a run on {saved_contexts} "
                         f"context(s); resume it on {saved_contexts} context(s) (at an epoch "
                         "boundary any number works)")
    per = len(flat) // len(ctxs)
    return [[h.as_in_context(c) for h in flat[i * per:(i + 1) * per]] for i, c in enumerate(ctxs)]


def save_checkpoint(run: Run) -> Optional[Path]:
    """Write the run's checkpoint (atomically) into its folder; ``None`` without one."""
    if run.checkpoint_path is None:
        return None
    meta = {"config": dataclasses.asdict(run.config), "position": dataclasses.asdict(run.position),
            "vocab": list(run.vocab.idx_to_token), "hidden_contexts": len(run.ctxs)}
    flat = [h for per_context in run.hidden for h in per_context]
    return save_training_checkpoint(run.checkpoint_path, run.net, run.trainer, meta, flat)


def _write_json(path: Path, obj) -> None:
    text = json.dumps(obj, indent=2)
    atomic_write(path, lambda tmp: tmp.write_text(text + "\n"))


def write_metrics(out: Path, history: List[dict]) -> None:
    """``metrics.csv`` and ``metrics.json``: one row per epoch."""
    _write_json(out / "metrics.json", history)
    buffer = io.StringIO()
    if history:
        writer = csv.DictWriter(buffer, fieldnames=list(history[0]))
        writer.writeheader()
        writer.writerows(history)
    atomic_write(out / "metrics.csv", lambda tmp: tmp.write_text(buffer.getvalue()))


def _learning_rate(config: TrainConfig, epoch: int) -> float:
    """``lr`` up to epoch ``decay_after``, then multiplied by ``lr_decay`` each epoch
    (Zaremba et al.'s schedule: ``decay_after=4, lr_decay=0.5``)."""
    return config.lr * config.lr_decay ** max(0, epoch - config.decay_after)


def _epoch_batches(run: Run, rng: random.Random, epoch: int):
    """The epoch's minibatches from the position's generator state, skipping those done."""
    position = run.position
    if position.rng_state is not None:
        _set_rng_state(rng, position.rng_state)
    position.rng_state = _rng_state(rng)
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
        run.hidden = [_detached(h) for h in run.hidden]
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
        ) -> RunResult:
    """Train ``run`` from its position to ``config.num_epochs``.

    ``on_batch(epoch, index, num_tokens, loss)`` follows minibatches and
    ``on_epoch(report)`` epochs. After every epoch the checkpoint and metrics are
    written (when the run has a folder). Ctrl-C ends the current minibatch, saves
    and returns with ``interrupted=True``.
    """
    config, position = run.config, run.position
    loss = gloss.SoftmaxCrossEntropyLoss()
    rng = random.Random(config.seed)
    stop = _StopRequest()
    reports = [EpochReport(**row) for row in position.history]
    with (stop.active() if handle_sigint else contextlib.nullcontext(stop)):
        for epoch in range(position.epoch + 1, config.num_epochs + 1):
            run.trainer.set_learning_rate(_learning_rate(config, epoch))
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
                    return RunResult(reports, None, True, save_checkpoint(run))
            reports.append(_finish_epoch(run, epoch, time.time() - start, rng))
            if on_epoch is not None:
                on_epoch(reports[-1])
    return RunResult(reports, _test_perplexity(run), False, run.checkpoint_path)


class NonFiniteLoss(ValueError):
    """The loss (or the gradient norm) became NaN or infinite."""


def _non_finite(run: Run, epoch: int, index: int) -> None:
    """Count a skipped minibatch (``skip_nonfinite``) or stop with what to do."""
    if run.config.skip_nonfinite:
        run.position.skipped += 1
        return
    kept = (f"the last good checkpoint (after epoch {run.position.epoch}) is kept in "
            f"{run.checkpoint_path}" if run.checkpoint_path and run.position.epoch else
            "no checkpoint was written")
    raise NonFiniteLoss(f"the loss became NaN or infinite in epoch {epoch}, minibatch {index + 1}; "
                        f"{kept}. Lower --lr or --clipping-theta, or pass --skip-nonfinite to "
                        "skip such minibatches")


def _finish_epoch(run: Run, epoch: int, seconds: float, rng: random.Random) -> EpochReport:
    position, config = run.position, run.config
    report = EpochReport(epoch, perplexity(position.l_sum, position.n), seconds, position.n,
                         valid_perplexity=_held_out_perplexity(run, run.valid),
                         skipped=position.skipped)
    row = dataclasses.asdict(report)
    position.history.append(row)
    position.epoch, position.batch, position.l_sum, position.n = epoch, 0, 0.0, 0
    position.skipped = 0
    position.rng_state = _rng_state(rng)
    run.hidden = []
    if run.out is not None:
        save_checkpoint(run)
        write_metrics(run.out, [dict(r, tokens_per_second=r["tokens"] / max(r["seconds"], 1e-9),
                                     lr=_learning_rate(config, r["epoch"]))
                                for r in position.history])
    return report


def _held_out_perplexity(run: Run, indices: Sequence[int]) -> Optional[float]:
    """Perplexity on held-out indices with the training batch shape, or with a batch
    size that fits when the held-out text is short; ``None`` when nothing fits."""
    config = run.config
    fits = (len(indices) - config.num_steps + 1) // (config.num_steps + 1)  # the iterator's check
    batch_size = min(config.batch_size, fits)
    if batch_size < 1:
        return None
    return evaluate_perplexity(run.net, indices, len(run.vocab), batch_size, config.num_steps,
                               run.ctx)


def _test_perplexity(run: Run) -> Optional[float]:
    return _held_out_perplexity(run, run.test) if run.test else None
