"""Training checkpoints of ``gluon-rnn train``: parameters, optimizer state, where
training stands (epoch, minibatch, RNG state, carried hidden state) and the
vocabulary, in one npz file whose metadata is JSON text.

Reads never unpickle (``allow_pickle=False``) and check keys and shapes; writes
are atomic (temporary file, then rename), so a failed write keeps the old file.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Dict, List, Sequence, Union

import numpy as np

from .._files import save_npz


CHECKPOINT_FORMAT = "gluon-rnn-checkpoint/1"


@dataclasses.dataclass
class TrainingCheckpoint:
    """What :func:`load_training_checkpoint` returns: ``params`` by structural name
    (``'rnn.l0_i2h_weight'``, ``'dense.weight'``, ...), optimizer ``states`` by
    parameter index, the carried ``hidden`` state (empty at epoch boundaries) and
    ``meta`` (config, position, history, vocabulary, optimizer counters)."""

    params: Dict[str, np.ndarray]
    states: Dict[int, List[np.ndarray]]
    hidden: List[np.ndarray]
    meta: dict


def _optimizer_states(trainer) -> Dict[str, np.ndarray]:
    arrays = {}
    for index, state in trainer._updaters[0].states.items():
        parts = [] if state is None else list(state) if isinstance(state, (tuple, list)) else [state]
        for j, part in enumerate(parts):
            arrays[f"state/{index}/{j}"] = part.asnumpy()
    return arrays


def save_training_checkpoint(path: Union[str, Path], net, trainer, meta: dict,
                             hidden: Sequence = ()) -> Path:
    """Write ``net``'s parameters, ``trainer``'s optimizer state and counters,
    ``hidden`` and ``meta`` (JSON-able) to ``path``, atomically. With several
    contexts the first context's copies are written (all copies are equal)."""
    arrays = {f"param/{name}": p.list_data()[0].asnumpy()
              for name, p in net._collect_params_with_prefix().items()}
    arrays.update(_optimizer_states(trainer))
    arrays.update({f"hidden/{j}": h.asnumpy() for j, h in enumerate(hidden)})
    optimizer = trainer._optimizer
    counts = optimizer._all_index_update_counts.get(trainer._contexts[0].device_id, {})
    meta = dict(meta, format=CHECKPOINT_FORMAT, optimizer={
        "num_update": optimizer.num_update, "lr": trainer.learning_rate,
        "index_update_count": {str(k): v for k, v in counts.items()}})
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    return save_npz(path, arrays)


def load_training_checkpoint(path: Union[str, Path]) -> TrainingCheckpoint:
    """Read a :func:`save_training_checkpoint` file (never unpickling), with a
    one-line error for anything that is not one."""
    from .._files import regular_file
    from .._npz import read_npz

    path = regular_file(path, "checkpoint")
    try:
        arrays = read_npz(path)
    except ValueError as err:
        raise ValueError(f"{path} is not a readable gluon-rnn checkpoint ({err})") from err
    try:
        meta = json.loads(arrays.pop("meta").tobytes().decode("utf-8"))
        assert meta.get("format") == CHECKPOINT_FORMAT
    except (KeyError, ValueError, AssertionError, AttributeError) as err:
        raise ValueError(f"{path} is not a gluon-rnn checkpoint (no {CHECKPOINT_FORMAT} "
                         "metadata); pass a file written by `gluon-rnn train`") from err
    problem = _meta_problem(meta)
    if problem:
        raise ValueError(f"{path} has damaged metadata: {problem}; it was edited or written by "
                         "something else: use the checkpoint `gluon-rnn train` wrote")
    params = {k[len("param/"):]: v for k, v in arrays.items() if k.startswith("param/")}
    states: Dict[int, List[np.ndarray]] = {}
    for key in sorted((k for k in arrays if k.startswith("state/")),
                      key=lambda k: tuple(int(x) for x in k.split("/")[1:])):
        states.setdefault(int(key.split("/")[1]), []).append(arrays[key])
    hidden = [arrays[f"hidden/{j}"] for j in range(sum(k.startswith("hidden/") for k in arrays))]
    return TrainingCheckpoint(params, states, hidden, meta)


def _meta_problem(meta) -> str:
    """What is wrong with a checkpoint's metadata (``''`` when nothing): the shapes
    its readers rely on, checked before any of them looks inside."""
    if not isinstance(meta, dict):
        return "it is not a JSON object"
    kinds = {"config": dict, "position": dict, "vocab": list, "optimizer": dict}
    for key, kind in kinds.items():
        if not isinstance(meta.get(key), kind):
            return f"{key!r} is {'missing' if key not in meta else type(meta[key]).__name__}, " \
                   f"not a {kind.__name__}"
    vocab = meta["vocab"]
    if not vocab or not all(isinstance(t, str) for t in vocab) or len(set(vocab)) != len(vocab):
        return "'vocab' is not a non-empty list of distinct strings"
    optimizer = meta["optimizer"]
    numbers = (isinstance(optimizer.get("num_update"), int)
               and isinstance(optimizer.get("lr"), (int, float))
               and isinstance(optimizer.get("index_update_count"), dict))
    if not numbers or not all(k.isdigit() and isinstance(v, int)
                              for k, v in optimizer["index_update_count"].items()):
        return "'optimizer' lacks its counters (num_update, lr, index_update_count)"
    return ""


def _check_states(checkpoint: TrainingCheckpoint, trainer) -> None:
    """Refuse a checkpoint whose optimizer state does not match what the optimizer
    keeps for each parameter (missing or extra arrays, other shapes)."""
    optimizer = trainer._optimizer
    for index, param in enumerate(trainer._params):
        state = optimizer.create_state(index, param.list_data()[0])
        parts = [] if state is None else list(state) if isinstance(state, (tuple, list)) else [state]
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
    as NDArrays on ``ctx``."""
    from mxnet import nd

    own = net._collect_params_with_prefix()
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
