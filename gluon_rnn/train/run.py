"""A training run: the data as indices, the network a :class:`TrainConfig` builds, its
trainer, the output folder and where training stands (:class:`Position`); new, resumed
from a checkpoint, or loaded for generation.

A :class:`Position` (epoch, minibatch, the iterator generator's state at the start
of the epoch, the running loss, the carried hidden state) is saved with the
parameters and optimizer state in one checkpoint, so that an interrupted run resumed
from its checkpoint computes exactly what the uninterrupted run computes.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import mxnet as mx
import numpy as np
from mxnet import gluon

from .._files import atomic_write, missing_folders, remove_empty, writable_folder
from ..data.batches import check_fits
from ..data.corpora import TRAIN_CORPORA, TokenCorpus, data_identity, load_token_corpus
from ..data.vocab import Vocab
from .checkpoints import (load_training_checkpoint, restore_training_checkpoint,
                          save_training_checkpoint)
from .sizes import check_memory
from .config import INITIALIZERS, RESUMABLE_CHANGES, TrainConfig
from .distributed import distributed_kvstore, distributed_kvstore_requested, \
    broadcast_initial_parameters

CHECKPOINT_NAME = "checkpoint.npz"


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


def build_model(config: TrainConfig, vocab_size: int) -> gluon.Block:
    """The network a configuration names: d2l's from-scratch RNN as a block, or
    :class:`~gluon_rnn.models.gluon.RNNModel` around Gluon's RNN/GRU/LSTM, hybridized."""
    from mxnet.gluon import rnn

    from ..models.gluon import RNNModel
    from ..models.scratch import ScratchRNNModel

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
        broadcast_initial_parameters(trainer)
    return trainer


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
    data: Optional[dict] = None  # the corpus file and its SHA-1 (data_identity)
    lock: object = None  # the run folder's lock, held while the run lives (open_run)

    @property
    def ctx(self) -> mx.Context:
        return self.ctxs[0]

    @property
    def checkpoint_path(self) -> Optional[Path]:
        return None if self.out is None else self.out / CHECKPOINT_NAME


def _indices(corpus: TokenCorpus, vocab: Vocab):
    return vocab.indices(corpus.train), vocab.indices(corpus.valid), vocab.indices(corpus.test)


def _check_fits(config: TrainConfig, train: Sequence[int], ctxs: List[mx.Context],
                num_workers: int = 1) -> None:
    parts = len(ctxs) * num_workers
    if config.batch_size % parts:
        raise ValueError(f"batch_size {config.batch_size} does not split evenly over "
                         f"{len(ctxs)} contexts x {num_workers} worker(s); use a multiple of "
                         f"{parts}")
    check_fits(len(train), config.batch_size, config.num_steps, config.iter == "random")


def new_run(config: TrainConfig, ctx: Contexts = None, out: Optional[Path] = None,
            corpus: Optional[TokenCorpus] = None) -> Run:
    """Load the corpus, build and initialise the network (``mx.random.seed(seed)``,
    N(0, 0.01^2) as d2l) and its trainer. ``out`` is checked to be writable now,
    not after the first epoch."""
    config.check()
    ctxs = contexts(ctx)
    data = None if corpus is not None else data_identity(config.corpus)
    corpus = corpus or load_token_corpus(_source(config.corpus, data), config.level,
                                         config.valid_fraction)
    vocab = Vocab(corpus.train)
    train, valid, test = _indices(corpus, vocab)
    kvstore = distributed_kvstore()
    rank, workers = (kvstore.rank, kvstore.num_workers) if kvstore else (0, 1)
    _check_fits(config, train, ctxs, workers)
    check_memory(config, len(vocab), len(ctxs))
    out = out if rank == 0 else None  # one worker writes the checkpoint and metrics
    if out is not None:  # an unwritable folder fails now, not after the first epoch
        writable_folder(Path(out), "the run folder")
    mx.random.seed(config.seed)
    net = initialize(build_model(config, len(vocab)), ctxs, config.init)
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        check_free_space(Path(out), net, config)
        _write_json(Path(out) / "config.json", dataclasses.asdict(config))  # all checks passed
    return Run(config, vocab, train, valid, test, net, make_trainer(config, net, kvstore), ctxs,
               None if out is None else Path(out), Position(), [], rank, workers, data)


def _vocab_of(tokens: Sequence[str]) -> Vocab:
    vocab = Vocab([])
    vocab.idx_to_token = list(tokens)
    vocab.token_to_idx = {tok: i for i, tok in enumerate(vocab.idx_to_token)}
    return vocab


def load_model(checkpoint: Path, ctx: Optional[mx.Context] = None):
    """``(net, vocab, config)`` of a checkpoint, the network on ``ctx`` with its
    trained parameters (for generation; :func:`resume_run` also restores training)."""
    saved = load_training_checkpoint(checkpoint)
    config = TrainConfig.from_mapping(saved.meta["config"], f"the configuration in {checkpoint}")
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
    config = TrainConfig.from_mapping(saved.meta["config"], f"the configuration in {checkpoint}")
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
    data = _same_data(config.corpus, saved.meta.get("data"), checkpoint)
    train, valid, test = _indices(
        load_token_corpus(_source(config.corpus, data), config.level, config.valid_fraction), vocab)
    _check_fits(config, train, ctxs)
    net = initialize(build_model(config, len(vocab)), ctxs)
    trainer = make_trainer(config, net)
    flat = restore_training_checkpoint(saved, net, trainer, ctxs[0])
    position = _position_of(saved.meta["position"], checkpoint)
    out = Path(out) if out is not None else Path(checkpoint).parent
    return Run(config, vocab, train, valid, test, net, trainer, ctxs, out, position,
               _split_hidden(flat, saved.meta.get("hidden_contexts", 1), ctxs, checkpoint),
               data=data)


def _position_of(saved: dict, checkpoint) -> Position:
    """The saved :class:`Position`, its fields checked (an edited one is refused)."""
    fields = {f.name for f in dataclasses.fields(Position)}
    kinds = {"epoch": int, "batch": int, "n": int, "skipped": int, "l_sum": (int, float),
             "history": list, "rng_state": (list, type(None))}
    if set(saved) != fields or not all(isinstance(saved[k], kinds[k]) for k in fields):
        raise ValueError(f"{checkpoint} has a damaged training position {sorted(saved)}; use "
                         "the checkpoint `gluon-rnn train` wrote, or start a new run")
    return Position(**saved)


def _source(corpus: str, data: dict) -> str:
    """What to read: a named corpus by its name, any other by its resolved path."""
    return corpus if corpus in TRAIN_CORPORA else data["path"]


def _same_data(corpus: str, saved: Optional[dict], checkpoint) -> dict:
    """The data a resumed run reads: the checkpoint's own file when it still exists
    (so resuming from another working directory reads what training read), refused
    when its content is not what the checkpoint was trained on."""
    if saved and corpus not in TRAIN_CORPORA and Path(saved["path"]).is_file():
        corpus = saved["path"]
    data = data_identity(corpus)
    if saved and data["sha1"] != saved["sha1"]:
        raise ValueError(f"{checkpoint} was trained on {saved['path']} (sha1 {saved['sha1'][:12]}); "
                         f"{data['path']} now holds other data (sha1 {data['sha1'][:12]}): restore "
                         "the file, or start a new run in another folder")
    return data


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
            "vocab": list(run.vocab.idx_to_token), "hidden_contexts": len(run.ctxs),
            "data": run.data}
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


def open_run(out: Path, options: Dict[str, object], ctx: Contexts = None, resume: bool = False,
             overwrite: bool = False) -> Run:
    """The run of folder ``out``, by the one policy of every command that writes a run
    folder: ``resume`` continues its checkpoint (``options`` may only extend it); else
    a new run from ``options`` (``None`` values keep :class:`TrainConfig`'s defaults),
    refused when ``out`` already holds a run unless ``overwrite``."""
    checkpoint = out / CHECKPOINT_NAME
    if resume and overwrite:
        raise ValueError("--resume continues the run in OUT and --overwrite replaces it: pass one")
    if resume and not checkpoint.is_file():
        raise FileNotFoundError(f"nothing to resume: {checkpoint} does not exist")
    if not resume and checkpoint.exists() and not overwrite:
        raise ValueError(f"{out} already holds a run ({checkpoint}): pass --resume to continue "
                         "it, --overwrite to replace it, or --out for a new folder")
    created = missing_folders(out)
    # under `gluon-rnn launch` every worker opens the folder and only rank 0 writes it
    lock = None if distributed_kvstore_requested() else lock_run_folder(out)
    try:
        if resume:
            run = resume_run(checkpoint, ctx, out, options)
        else:
            config = TrainConfig(**{k: v for k, v in options.items() if v is not None})
            run = new_run(config, ctx, out)
    except BaseException:  # a refused start leaves the folder as it found it
        _release(lock, out, created)
        raise
    run.lock = lock
    return run


def _release(lock, out: Path, created: list) -> None:
    if lock is not None:
        lock.close()
        (out / LOCK_NAME).unlink(missing_ok=True)
    remove_empty(created)


LOCK_NAME = ".gluon-rnn.lock"
_WRITTEN = (CHECKPOINT_NAME, "metrics.csv", "metrics.json", "config.json")


def lock_run_folder(out: Path):
    """Hold ``out``'s lock for this process's life (it ends with the process, however it
    ends), refusing when another run holds it; then remove the temporary files an
    interrupted write of an earlier run left behind."""
    import fcntl
    import os

    try:  # the lock file is also the proof that the folder can be written
        out.mkdir(parents=True, exist_ok=True)
        handle = open(out / LOCK_NAME, "a+")
    except OSError as err:
        raise ValueError(f"cannot write the run folder {out} ({err.strerror or err}); choose "
                         "another --out") from err
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        owner = handle.read().strip() or "another process"
        handle.close()
        raise ValueError(f"{out} is in use by another gluon-rnn run ({owner}); wait for it to "
                         "end, or choose another --out") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}\n")
    handle.flush()
    for name in _WRITTEN:
        for stale in out.glob(f"{name}.*.tmp"):
            stale.unlink(missing_ok=True)
    return handle
