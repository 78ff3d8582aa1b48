"""The checkpoint format of ``gluon-rnn train``, whole: parameters, optimizer state, where
training stands (:class:`Position`: epoch, minibatch, the minibatch generator's state,
the running loss, the carried hidden state) and the vocabulary, in one npz file whose
``meta`` member is JSON text.

One reader (:func:`load_training_checkpoint`) and one schema (:func:`meta_schema`):
every metadata field is checked for type, range and nesting before anything uses it, the
arrays through the safe npz reader (sizes bounded before inflating, float32 only), so a
damaged or edited file is one ``ValueError`` naming what is wrong. Writes are atomic
(temporary file, then rename), so a failed write keeps the previous checkpoint.
"""
from __future__ import annotations

import dataclasses
import json
import random
import re
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import numpy as np

from .. import _schema as S
from ..npzfile import read_npz, save_npz
from .config import TrainConfig

CHECKPOINT_FORMAT = "gluon-rnn-checkpoint/1"
_MT_STATE = 625  # words of a random.Random state (624 and the position)


@dataclasses.dataclass
class Position:
    """Where training stands: ``epoch`` epochs done, ``batch`` minibatches of the
    next one done, with the minibatch generator's state at that epoch's start, the
    running loss sum and token count of the epoch, the minibatches skipped, and one
    row per finished epoch."""

    epoch: int = 0
    batch: int = 0
    rng_state: Optional[list] = None
    l_sum: float = 0.0
    n: int = 0
    skipped: int = 0
    history: List[dict] = dataclasses.field(default_factory=list)


def rng_state(rng: random.Random) -> list:
    """A ``random.Random``'s state as JSON-able lists."""
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def set_rng_state(rng: random.Random, state: list) -> None:
    rng.setstate((state[0], tuple(state[1]), state[2]))


def _history_row() -> S.Check:
    return S.record({"epoch": S.integer(1), "perplexity": S.number(1, finite=False),
                     "seconds": S.number(0), "tokens": S.integer(1),
                     "valid_perplexity": S.nullable(S.number(1, finite=False)),
                     "skipped": S.integer(0)})


def meta_schema(config_schema: S.Check) -> S.Check:
    """The checkpoint's metadata: every field, its type and range."""
    word = S.integer(0, 2**32 - 1)
    position = S.record({
        "epoch": S.integer(0), "batch": S.integer(0),
        "rng_state": S.nullable(S.tuple_of(S.integer(3, 3),
                                           S.list_of(word, _MT_STATE, _MT_STATE),
                                           S.nullable(S.number()))),
        "l_sum": S.number(0), "n": S.integer(0), "skipped": S.integer(0),
        "history": S.list_of(_history_row())})
    return S.record({
        "format": S.string((CHECKPOINT_FORMAT,)),
        "config": config_schema,
        "position": position,
        "vocab": S.list_of(S.string(), min_len=1, distinct=True),
        "hidden_contexts": S.integer(1, 1024),
        "data": S.nullable(S.record({"path": S.string(),
                                     "sha1": S.string(pattern="[0-9a-f]{40}")})),
        "optimizer": S.record({"num_update": S.integer(0), "lr": S.number(0),
                               "index_update_count": S.mapping(S.string(pattern="[0-9]{1,9}"),
                                                               S.integer(0))}),
    }, optional=("data", "hidden_contexts"))


@dataclasses.dataclass
class TrainingCheckpoint:
    """What :func:`load_training_checkpoint` returns: ``params`` by structural name
    (``'rnn.l0_i2h_weight'``, ``'dense.weight'``, ...), optimizer ``states`` by
    parameter index, the carried ``hidden`` state (empty at epoch boundaries), the
    ``config``, the ``position`` and ``meta`` (all the metadata, checked)."""

    params: Dict[str, np.ndarray]
    states: Dict[int, List[np.ndarray]]
    hidden: List[np.ndarray]
    config: TrainConfig
    position: Position
    meta: dict
    path: Optional[Path] = None  # the file it was read from, named in errors


_FUSED = re.compile(r"(l|r)(\d+)_(i2h|h2h|h2r)_(weight|bias)\Z")


def _fused_parts(key: str) -> "re.Match[str]":
    """A fused RNN layer's parameter name in its parts (direction, layer, kind, what)."""
    match = _FUSED.match(key)
    if match is None:  # Gluon names every parameter of _RNNLayer this way (1.9.1)
        raise ValueError(f"unexpected parameter {key!r} of a fused RNN layer: this MXNet names "
                         "its parameters otherwise than 1.9.1 does")
    return match


def named_parameters(block, prefix: str = "") -> dict:
    """A network's parameters by structural name (``'rnn._unfused.0.i2h_weight'``,
    ``'dense.weight'``), the names Gluon's ``_collect_params_with_prefix`` gives, for any
    number of layers: Gluon's own pattern for fused RNN layers reads one digit, so a
    network of 11 layers could not be saved."""
    from mxnet.gluon.rnn.rnn_layer import _RNNLayer

    prefix = prefix + "." if prefix else ""
    own = block._reg_params
    if isinstance(block, _RNNLayer):
        matches = {key: _fused_parts(key) for key in own}
        bidirectional = any(m.group(1) == "r" for m in matches.values())
        names = {key: (f"_unfused.{m.group(2)}.{m.group(1)}_cell.{m.group(3)}_{m.group(4)}"
                       if bidirectional else f"_unfused.{m.group(2)}.{m.group(3)}_{m.group(4)}")
                 for key, m in matches.items()}
    else:
        names = {key: key for key in own}
    found = {prefix + names[key]: param for key, param in own.items()}
    for name, child in block._children.items():
        found.update(named_parameters(child, prefix + name))
    return found


def _parts(state) -> list:
    """An optimizer's state for one parameter as a list of arrays (none, one or several)."""
    return [] if state is None else list(state) if isinstance(state, (tuple, list)) else [state]


def _optimizer_states(trainer) -> Dict[str, np.ndarray]:
    arrays = {}
    for index, state in trainer._updaters[0].states.items():
        for j, part in enumerate(_parts(state)):
            arrays[f"state/{index}/{j}"] = part.asnumpy()
    return arrays


def save_training_checkpoint(path: Union[str, Path], net, trainer, config: TrainConfig,
                             position: Position, meta: dict, hidden: Sequence = ()) -> Path:
    """Write ``net``'s parameters, ``trainer``'s optimizer state and counters, the
    ``config``, the ``position``, ``hidden`` and ``meta`` (JSON-able: the vocabulary, the
    data's identity) to ``path``, atomically. With several contexts the first context's
    copies are written (all copies are equal)."""
    arrays = {f"param/{name}": p.list_data()[0].asnumpy()
              for name, p in named_parameters(net).items()}
    arrays.update(_optimizer_states(trainer))
    arrays.update({f"hidden/{j}": h.asnumpy() for j, h in enumerate(hidden)})
    optimizer = trainer._optimizer
    counts = optimizer._all_index_update_counts.get(trainer._contexts[0].device_id, {})
    meta = dict(meta, format=CHECKPOINT_FORMAT, config=dataclasses.asdict(config),
                position=dataclasses.asdict(position), optimizer={
                    "num_update": optimizer.num_update, "lr": trainer.learning_rate,
                    "index_update_count": {str(k): v for k, v in counts.items()}})
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    return save_npz(path, arrays)


def load_training_checkpoint(path: Union[str, Path]) -> TrainingCheckpoint:
    """Read a :func:`save_training_checkpoint` file (never unpickling), every field and
    array checked, with a one-line error for anything that is not one."""
    arrays = read_npz(path, "gluon-rnn checkpoint", kinds={"meta": "u"})
    if "meta" not in arrays or arrays["meta"].dtype != np.uint8 or arrays["meta"].ndim != 1:
        raise ValueError(f"{path} is not a gluon-rnn checkpoint (no {CHECKPOINT_FORMAT} "
                         "metadata); pass a file written by `gluon-rnn train`")
    where = f"the checkpoint {path}"
    try:
        meta = S.loads(arrays.pop("meta").tobytes(), where)
        meta = meta_schema(TrainConfig.schema())(meta, "meta")
        config = TrainConfig(**meta["config"]).check()
        position = Position(**meta["position"])
        _check_position(position, config)
        _check_counts(meta)
        params, states, hidden = _split_arrays(arrays)
    except ValueError as err:
        raise ValueError(f"{where} is damaged: {err}; it was edited or written by something "
                         "else: use the checkpoint `gluon-rnn train` wrote") from None
    return TrainingCheckpoint(params, states, hidden, config, position, meta, Path(path))


def _check_position(position: Position, config: TrainConfig) -> None:
    """What the schema cannot see alone: the position against the run it belongs to."""
    if position.epoch > config.num_epochs:
        raise S.SchemaError(f"position.epoch {position.epoch} is past the run's "
                            f"{config.num_epochs} epochs")
    if len(position.history) != position.epoch or \
            [row["epoch"] for row in position.history] != list(range(1, position.epoch + 1)):
        raise S.SchemaError(f"position.history does not hold one row for each of the "
                            f"{position.epoch} epochs done")
    if position.batch and position.rng_state is None:
        raise S.SchemaError("position.rng_state is missing inside an epoch")
    per_batch = config.batch_size * config.num_steps
    if position.n > position.batch * per_batch or position.skipped > position.batch:
        raise S.SchemaError(f"position.n {position.n} and position.skipped {position.skipped} "
                            f"do not fit {position.batch} minibatches of {per_batch} tokens")
    if position.batch == 0 and (position.n or position.l_sum):
        raise S.SchemaError("position.n and position.l_sum must be 0 at an epoch's start")


def _check_counts(meta: dict) -> None:
    """The optimizer's update counts: one per parameter index, none above num_update."""
    optimizer = meta["optimizer"]
    counts = optimizer["index_update_count"]
    if any(v > optimizer["num_update"] for v in counts.values()) or \
            (counts and max(counts.values()) != optimizer["num_update"]):
        raise S.SchemaError(f"optimizer.index_update_count {counts} does not agree with "
                            f"optimizer.num_update {optimizer['num_update']}")


def _split_arrays(arrays: Dict[str, np.ndarray]):
    """Parameters, optimizer states by parameter index and the hidden list, by name."""
    params = {k[len("param/"):]: v for k, v in arrays.items() if k.startswith("param/")}
    states: Dict[int, List[np.ndarray]] = {}
    hidden_keys = []
    for key in arrays:
        kind, _, rest = key.partition("/")
        if kind == "state" and re.fullmatch(r"\d{1,9}/\d{1,3}", rest):
            continue
        if kind == "hidden" and rest.isdigit() and len(rest) <= 4:
            hidden_keys.append(int(rest))
        elif kind != "param":
            raise S.SchemaError(f"array {key!r} is not one a checkpoint holds")
    for key in sorted((k for k in arrays if k.startswith("state/")),
                      key=lambda k: tuple(int(x) for x in k.split("/")[1:])):
        _, index, part = key.split("/")
        states.setdefault(int(index), []).append(arrays[key])
        if int(part) != len(states[int(index)]) - 1:
            raise S.SchemaError(f"optimizer state {key!r} has a gap before it")
    if sorted(hidden_keys) != list(range(len(hidden_keys))):
        raise S.SchemaError(f"hidden states {sorted(hidden_keys)} are not numbered 0, 1, ...")
    hidden = [arrays[f"hidden/{j}"] for j in range(len(hidden_keys))]
    return params, states, hidden


def _check_states(checkpoint: TrainingCheckpoint, trainer) -> None:
    """Refuse a checkpoint whose optimizer state does not match what the optimizer
    keeps for each parameter (missing or extra arrays, other shapes)."""
    optimizer = trainer._optimizer
    for index, param in enumerate(trainer._params):
        parts = _parts(optimizer.create_state(index, param.list_data()[0]))
        saved = checkpoint.states.get(index, [])
        if [tuple(p.shape) for p in parts] != [a.shape for a in saved]:
            raise ValueError(f"the checkpoint's optimizer state for parameter {param.name} holds "
                             f"shapes {[a.shape for a in saved]}, {type(optimizer).__name__} "
                             f"keeps {[tuple(p.shape) for p in parts]}: it was edited or written "
                             "for another optimizer")
    extra = sorted(set(checkpoint.states) - set(range(len(trainer._params))))
    if extra:
        raise ValueError(f"the checkpoint holds optimizer state for parameters {extra} the "
                         "model does not have")


def restore_training_checkpoint(checkpoint: TrainingCheckpoint, net, trainer, ctx=None) -> list:
    """Load ``checkpoint`` into ``net`` (names and shapes checked; every context's copy)
    and ``trainer`` (each context's optimizer state); return the carried hidden state
    as NDArrays on ``ctx``. A checkpoint that does not fit is one ``ValueError`` naming
    its file."""
    try:
        return _restore(checkpoint, net, trainer, ctx)
    except ValueError as err:
        if checkpoint.path is None:
            raise
        raise ValueError(f"{checkpoint.path}: {err}") from None


def _restore(checkpoint: TrainingCheckpoint, net, trainer, ctx) -> list:
    from mxnet import nd

    own = named_parameters(net)
    if sorted(own) != sorted(checkpoint.params):
        raise ValueError(f"the checkpoint holds parameters {sorted(checkpoint.params)}, the model "
                         f"{sorted(own)}: it was written for a different model")
    for name, param in own.items():
        if tuple(param.shape) != checkpoint.params[name].shape:
            raise ValueError(f"parameter {name}: checkpoint shape {checkpoint.params[name].shape}, "
                             f"model shape {tuple(param.shape)}; it was written for a model of "
                             "another size")
        param.set_data(nd.array(checkpoint.params[name], dtype=param.dtype))
    _check_states(checkpoint, trainer)
    optimizer = trainer._optimizer
    counts = {int(k): v for k, v in checkpoint.meta["optimizer"]["index_update_count"].items()}
    if counts and sorted(counts) != list(range(len(trainer._params))):
        raise ValueError(f"the optimizer's update counts are for parameters {sorted(counts)}, "
                         f"the model has {len(trainer._params)}: it was edited")
    for updater, context in zip(trainer._updaters, trainer._contexts):
        for index, parts in checkpoint.states.items():
            arrays = [nd.array(a, ctx=context, dtype=a.dtype) for a in parts]
            updater.states[index] = arrays[0] if len(arrays) == 1 else tuple(arrays)
            updater.states_synced[index] = True
        # in place: the optimizer keeps one dict per device and switches between them
        device_counts = optimizer._all_index_update_counts.setdefault(context.device_id, {})
        device_counts.clear()
        device_counts.update(counts)
    optimizer.num_update = checkpoint.meta["optimizer"]["num_update"]
    trainer.set_learning_rate(checkpoint.meta["optimizer"]["lr"])
    return [nd.array(h, ctx=ctx) for h in checkpoint.hidden]
