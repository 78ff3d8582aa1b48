"""A training run: the data as indices, the network a :class:`TrainConfig` builds, its
trainer, the output folder and where training stands; new, resumed from a checkpoint, or
loaded for generation, all three assembled by one path (:func:`_assemble`), so every check
(sizes, memory, free space, the data's identity) applies to each that it concerns.

Where training stands (:class:`~.checkpoints.Position`) is saved with the parameters and
optimizer state in one checkpoint, so that an interrupted run resumed from its checkpoint
computes exactly what the uninterrupted run computes.
"""
from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence

import mxnet as mx
import numpy as np
from mxnet import gluon

from .._files import writable_folder
from ..data.batches import check_fits, num_consecutive_batches, num_random_batches
from ..data.corpora import TRAIN_CORPORA, TokenCorpus, data_identity, load_token_corpus
from ..data.vocab import Vocab
from .build import Contexts, build_model, contexts, initialize, make_trainer
from .checkpoints import (
    Position,
    TrainingCheckpoint,
    load_training_checkpoint,
    restore_training_checkpoint,
    save_training_checkpoint,
)
from .config import RESUMABLE_CHANGES, TrainConfig
from .distributed import distributed_kvstore
from .folder import CHECKPOINT_NAME, WRITTEN, RunFolder, check_claim, check_free_space, write_json
from .sizes import check_memory

__all__ = ["CHECKPOINT_NAME", "Position", "Run", "checkpoint_bytes", "load_model", "new_run",
           "open_run", "resume_run", "save_checkpoint"]


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
    lock: Optional[RunFolder] = None  # the run folder, held while the run lives (open_run)
    new: bool = False  # a new run: what an earlier run left in the folder is its until saved
    saved: bool = False  # this run has written a checkpoint

    def close(self) -> None:
        """Give the run folder back (its lock), removing the folders its claim created
        when this run wrote nothing into them (a refused or failed start leaves nothing)."""
        if self.lock is not None:
            self.lock.release(refused=not self.saved)
            self.lock = None

    @property
    def ctx(self) -> mx.Context:
        return self.ctxs[0]

    @property
    def finished(self) -> bool:
        """Whether every epoch of the configuration is done (a resumed, finished run)."""
        return self.position.epoch >= self.config.num_epochs

    @property
    def checkpoint_path(self) -> Optional[Path]:
        return None if self.out is None else self.out / CHECKPOINT_NAME


def _check_fits(config: TrainConfig, train: Sequence[int], ctxs: List[mx.Context],
                num_workers: int = 1) -> None:
    parts = len(ctxs) * num_workers
    if config.batch_size % parts:
        raise ValueError(f"batch_size {config.batch_size} does not split evenly over "
                         f"{len(ctxs)} contexts x {num_workers} worker(s); use a multiple of "
                         f"{parts}")
    check_fits(len(train), config.batch_size, config.num_steps, config.iter == "random")


def checkpoint_bytes(net: gluon.Block, config: TrainConfig, vocab_size: int = 0) -> int:
    """About how large a checkpoint of ``net`` is: float32 parameters, Adam's two
    moments, the vocabulary (a word's entry counted as 64 bytes) and 64 KiB of metadata
    and zip headers."""
    values = sum(int(np.prod(p.shape)) for p in net.collect_params().values())
    return values * 4 * (3 if config.optimizer == "adam" else 1) + 64 * vocab_size + (64 << 10)


@dataclasses.dataclass
class _Data:
    """The corpus a run reads, as indices of its vocabulary."""

    vocab: Vocab
    train: List[int]
    valid: List[int]
    test: List[int]
    identity: Optional[dict]


def _data(config: TrainConfig, corpus: Optional[TokenCorpus], identity: Optional[dict],
          vocab: Optional[Vocab]) -> _Data:
    """The corpus of ``config`` (or the one given), indexed with ``vocab`` (a resumed
    run's) or with a vocabulary built from its training part."""
    if corpus is None:
        if config.corpus in TRAIN_CORPORA:
            source = config.corpus
        elif identity is not None:
            source = identity["path"]
        else:  # a caller's mistake: data_identity(config.corpus) gives it
            raise ValueError(f"the corpus file {config.corpus!r} needs its identity (path, size, "
                             "SHA-1) to be read: pass data_identity(config.corpus)")
        corpus = load_token_corpus(source, config.level, config.valid_fraction)
    vocab = vocab or Vocab(corpus.train)
    return _Data(vocab, vocab.indices(corpus.train), vocab.indices(corpus.valid),
                 vocab.indices(corpus.test), identity)


def _assemble(config: TrainConfig, ctx: Contexts, data: Optional[_Data], vocab: Vocab,
              out: Optional[Path] = None, saved: Optional[TrainingCheckpoint] = None,
              kvstore=None) -> Run:
    """The one way a run is put together: configuration checked, sizes checked against
    the data (when there is data: a model loaded for generation reads none), memory and
    the folder's space checked before anything is allocated or written, the network
    built and initialised (``mx.random.seed(seed)``, ``config.init``), the trainer, and,
    from a checkpoint, its parameters, optimizer state, position and hidden state."""
    config.check()
    ctxs = contexts(ctx)
    rank, workers = (kvstore.rank, kvstore.num_workers) if kvstore else (0, 1)
    if data is not None:
        _check_fits(config, data.train, ctxs, workers)
    check_memory(config, len(vocab), len(ctxs))
    out = Path(out) if out is not None and rank == 0 else None  # one worker writes
    if out is not None:  # an unwritable folder fails now, not after the first epoch
        writable_folder(out, "the run folder")
    mx.random.seed(config.seed)
    net = initialize(build_model(config, len(vocab)), ctxs, config.init)
    if out is not None:
        check_free_space(out, checkpoint_bytes(net, config, len(vocab)))
    trainer = make_trainer(config, net, kvstore)
    position, hidden = Position(), []
    if saved is not None:
        flat = restore_training_checkpoint(saved, net, trainer, ctxs[0])
        position = saved.position
        hidden = _split_hidden(flat, saved.meta.get("hidden_contexts", 1), ctxs)
    train, valid, test = (data.train, data.valid, data.test) if data else ([], [], [])
    return Run(config, vocab, train, valid, test, net, trainer, ctxs, out, position, hidden,
               rank, workers, data.identity if data else None)


def new_run(config: TrainConfig, ctx: Contexts = None, out: Optional[Path] = None,
            corpus: Optional[TokenCorpus] = None, replace: bool = False,
            distributed: bool = False) -> Run:
    """A new run of ``config`` (on ``corpus`` when given, else the one ``config``
    names); ``out`` is checked to be writable now, not after the first epoch. Nothing is
    written there until the run's first checkpoint (:func:`save_checkpoint`): an earlier
    run in ``out`` (replaced only with ``replace``) stays whole, and resumable, until the
    new one has a checkpoint to put in its place; a start refused later, or a run that
    diverges before its first checkpoint, leaves it as it was."""
    config.check()
    if out is not None:  # an earlier run there is replaced only when asked
        check_claim(Path(out), resume=False, overwrite=replace)
    identity = None if corpus is not None else data_identity(config.corpus)
    data = _data(config, corpus, identity, None)
    kvstore = distributed_kvstore() if distributed else None
    run = _assemble(config, ctx, data, data.vocab, out, kvstore=kvstore)
    run.new = True
    return run


def _read(checkpoint: Path, changes: Optional[Dict[str, Any]] = None):
    """A checkpoint and its configuration with ``changes`` (only those a resumed run may
    make: more epochs, skipping non-finite minibatches)."""
    saved = load_training_checkpoint(checkpoint)
    config = saved.config
    for name, value in (changes or {}).items():
        if value is None or value == getattr(config, name):
            continue
        if name not in RESUMABLE_CHANGES:
            raise ValueError(f"{checkpoint} was trained with {name}={getattr(config, name)!r}; "
                             f"a resumed run keeps it (got {value!r}): drop the option or start "
                             "a new run in another folder")
        config = dataclasses.replace(config, **{name: value})
    return saved, config


def resume_run(checkpoint: Path, ctx: Contexts = None, out: Optional[Path] = None,
               changes: Optional[Dict[str, Any]] = None, distributed: bool = False) -> Run:
    """Rebuild a run from its checkpoint: configuration, vocabulary, parameters,
    optimizer state and position, on the data it was trained on. ``changes`` may only
    extend ``num_epochs`` (or skip non-finite minibatches); any other option that differs
    from the checkpoint's is an error, and so is a number of epochs below those done (a
    run with as many done as asked for has nothing left to train: :attr:`Run.finished`).
    ``distributed`` (a worker of a ``gluon-rnn launch`` job) is refused: the workers'
    carried states are not saved."""
    if distributed:
        raise ValueError("--resume is not supported inside a `gluon-rnn launch` job (each "
                         "worker's carried state is not saved); resume with one process, or "
                         "start a new distributed run")
    saved, config = _read(checkpoint, changes)
    if saved.position.epoch > config.num_epochs:
        raise ValueError(f"{checkpoint} has trained {saved.position.epoch} epochs, more than the "
                         f"{config.num_epochs} asked for; pass --num-epochs above "
                         f"{saved.position.epoch} to train on, or none to finish the run")
    vocab = Vocab.from_tokens(saved.meta["vocab"])
    identity = _same_data(config.corpus, saved.meta.get("data"), checkpoint)
    data = _data(config, None, identity, vocab)
    with _naming(checkpoint):
        run = _assemble(config, ctx, data, vocab, out or Path(checkpoint).parent, saved)
        _check_batch(saved.position.batch, run)
    return run


def batches_per_epoch(run: Run) -> int:
    """About how many minibatches an epoch of ``run`` has (exact at start offset 0; a
    random offset may take one away): what a progress bar's total and its estimate of
    the time left are counted in."""
    count = num_random_batches if run.config.iter == "random" else num_consecutive_batches
    return max(1, count(len(run.train), run.config.batch_size, run.config.num_steps, 0))


def _check_batch(batch: int, run: Run) -> None:
    """A position inside an epoch must be inside this data's epoch (past its end, the
    resumed epoch would end at once, on the sums saved)."""
    if batch > batches_per_epoch(run):
        raise ValueError(f"its position is minibatch {batch} of an epoch that has "
                         f"{batches_per_epoch(run)}: it was edited or written for other data")


@contextlib.contextmanager
def _naming(checkpoint: Path) -> Iterator[None]:
    """Errors from building a checkpoint's model (sizes, parameters) name the file."""
    try:
        yield
    except ValueError as err:
        if str(checkpoint) in str(err):
            raise
        raise ValueError(f"{checkpoint}: {err}") from None


def load_model(checkpoint: Path, ctx: Optional[mx.Context] = None):
    """``(net, vocab, config)`` of a checkpoint, the network on ``ctx`` with its
    trained parameters, for generation: the model's checks apply, the corpus is not
    read (generation needs none)."""
    saved, config = _read(checkpoint)
    vocab = Vocab.from_tokens(saved.meta["vocab"])
    with _naming(checkpoint):
        run = _assemble(config, ctx or mx.cpu(), None, vocab, saved=saved)
    return run.net, vocab, config


def _same_data(corpus: str, saved: Optional[dict], checkpoint) -> dict:
    """The data a resumed run reads: the checkpoint's own file when it still exists
    (so resuming from another working directory reads what training read), refused
    when its content is not what the checkpoint was trained on."""
    if saved and corpus not in TRAIN_CORPORA and Path(saved["path"]).is_file():
        corpus = saved["path"]
    data = data_identity(corpus)
    if saved and data["sha1"] != saved["sha1"]:
        raise ValueError(f"{checkpoint} was trained on {saved['path']} "
                         f"(sha1 {saved['sha1'][:12]}); "
                         f"{data['path']} now holds other data (sha1 {data['sha1'][:12]}): restore "
                         "the file, or start a new run in another folder")
    return data


def _split_hidden(flat: list, saved_contexts: int, ctxs: List[mx.Context]) -> list:
    """The carried state per context, from the checkpoint's flat list."""
    if not flat:
        return []
    if saved_contexts != len(ctxs) or len(flat) % len(ctxs):
        raise ValueError(f"the checkpoint stopped inside an epoch of a run on {saved_contexts} "
                         f"context(s); resume it on {saved_contexts} context(s) (at an epoch "
                         "boundary any number works)")
    per = len(flat) // len(ctxs)
    return [[h.as_in_context(c) for h in flat[i * per:(i + 1) * per]] for i, c in enumerate(ctxs)]


def save_checkpoint(run: Run) -> Optional[Path]:
    """Write the run's checkpoint (atomically) into its folder, and its ``config.json``
    beside it (a resumed run's too: the epochs it now trains for); ``None`` without a
    folder. A new run's first checkpoint replaces an earlier run's: its metrics go (the
    loop writes the new run's after each epoch)."""
    if run.checkpoint_path is None or run.out is None:
        return None
    meta = {"vocab": list(run.vocab.idx_to_token), "hidden_contexts": len(run.ctxs),
            "data": run.data}
    flat = [h for per_context in run.hidden for h in per_context]
    path = save_training_checkpoint(run.checkpoint_path, run.net, run.trainer, run.config,
                                    run.position, meta, flat)
    write_json(run.out / "config.json", dataclasses.asdict(run.config))
    if run.new and not run.saved:
        for name in WRITTEN:
            if name.startswith("metrics."):
                (run.out / name).unlink(missing_ok=True)
    run.saved = True
    return path


def open_run(out: Path, options: Dict[str, Any], ctx: Contexts = None, resume: bool = False,
             overwrite: bool = False, distributed: bool = False) -> Run:
    """The run of folder ``out``, by the one policy of every command that writes a run
    folder (:func:`~.folder.check_claim`): ``resume`` continues its checkpoint
    (``options`` may only extend it); else a new run from ``options`` (``None`` values
    keep :class:`TrainConfig`'s defaults), replacing an earlier run only with
    ``overwrite``. ``distributed``: this process is a worker of a ``gluon-rnn launch``
    job (the command line says so from the launcher's environment): the run trains with
    the ``dist_sync`` KVStore and only rank 0 writes the folder."""
    out = Path(out)
    check_claim(out, resume, overwrite)
    # under `gluon-rnn launch` every worker opens the folder and only rank 0 writes it
    folder = None if distributed else RunFolder(out)
    try:
        if resume:
            run = resume_run(out / CHECKPOINT_NAME, ctx, out, options, distributed)
        else:
            config = TrainConfig(**{k: v for k, v in options.items() if v is not None})
            run = new_run(config, ctx, out, replace=overwrite, distributed=distributed)
    except BaseException:  # a refused start leaves the folder as it found it
        if folder is not None:
            folder.release(refused=True)
        raise
    run.lock = folder
    return run
