"""Model files: the WildML tutorial's npz format (arrays ``U``, ``V``, ``W``), the
Straight Dope char-RNN's, and training checkpoints of ``gluon-rnn train``.

Reads never unpickle (``allow_pickle=False``) and check keys and shapes; writes
are atomic (temporary file, then rename), so a failed write keeps the old file.
"""
from __future__ import annotations

import dataclasses
import json
import zipfile
from pathlib import Path
from typing import Dict, List, Sequence, Union

import numpy as np

from ._files import atomic_write

PARAM_NAMES = ("U", "V", "W")


def _save_npz(path: Union[str, Path], arrays: Dict[str, np.ndarray]) -> Path:
    """Write ``arrays`` as npz to ``path`` (the name kept as given), atomically."""
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
    return atomic_write(path, write)


def save_model_parameters(path: Union[str, Path], model) -> Path:
    """Write the model's ``U``, ``V``, ``W`` to ``path`` (npz, the name kept as given)."""
    params = model.get_parameters()
    return _save_npz(path, {name: np.asarray(params[name]) for name in PARAM_NAMES})


def _load_npz(path: Union[str, Path], names: tuple, what: str) -> Dict[str, np.ndarray]:
    """The arrays of an npz file that holds exactly ``names``, never unpickling."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file {path} does not exist")
    try:
        data = np.load(path, allow_pickle=False)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as err:
        raise ValueError(f"{path} is not a readable npz model file ({err})") from err
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValueError(f"{path} is a single .npy array, not an npz model file")
    with data:
        if sorted(data.files) != sorted(names):
            raise ValueError(f"{path} holds arrays {sorted(data.files)}; {what} holds exactly "
                             f"{', '.join(names)}")
        try:
            return {name: data[name] for name in names}
        except (zipfile.BadZipFile, EOFError, OSError) as err:
            raise ValueError(f"{path} is not a readable npz model file ({err})") from err
        except ValueError as err:
            raise ValueError(f"{path} holds pickled objects, which are refused; {what} holds "
                             f"plain numeric arrays ({err})") from err


def read_model_parameters(path: Union[str, Path]) -> Dict[str, np.ndarray]:
    """``{'U', 'V', 'W'}`` from an npz file, after checking keys, dtypes and shapes."""
    return check_shapes(_load_npz(path, PARAM_NAMES, "a model file"), str(path))


def check_shapes(params: Dict[str, np.ndarray], source: str = "parameters") -> Dict[str, np.ndarray]:
    """Check U (hidden, words), V (words, hidden), W (hidden, hidden), numeric and finite."""
    for name in PARAM_NAMES:
        if params[name].dtype.kind not in "fiu" or params[name].ndim != 2:
            raise ValueError(f"{source}: {name} must be a 2-D numeric array, got "
                             f"{params[name].dtype} of shape {params[name].shape}")
    hidden_dim, word_dim = params["U"].shape
    expected = {"U": (hidden_dim, word_dim), "V": (word_dim, hidden_dim), "W": (hidden_dim, hidden_dim)}
    for name, shape in expected.items():
        if params[name].shape != shape:
            raise ValueError(f"{source}: inconsistent shapes U {params['U'].shape}, "
                             f"V {params['V'].shape}, W {params['W'].shape}; expected "
                             f"U (H, C), V (C, H), W (H, H)")
    return params


def load_model_parameters(path: Union[str, Path], model):
    """Load ``U``, ``V``, ``W`` into ``model`` (its sizes follow the file) and return it."""
    model.set_parameters(**read_model_parameters(path))
    return model


CHAR_RNN_NAMES = ("Wxh", "Whh", "bh", "Why", "by")


def save_char_rnn(path: Union[str, Path], params, characters) -> Path:
    """The Straight Dope model: its five parameters and its character list (npz)."""
    arrays = {name: p.asnumpy() for name, p in zip(CHAR_RNN_NAMES, params)}
    arrays["characters"] = np.array(list(characters), dtype=str)
    return _save_npz(path, arrays)


def load_char_rnn(path: Union[str, Path], ctx=None):
    """``(params, characters)`` from :func:`save_char_rnn`'s file, shapes checked."""
    from mxnet import nd

    arrays = _load_npz(path, CHAR_RNN_NAMES + ("characters",), "a char-RNN model file")
    characters = [str(c) for c in arrays["characters"]]
    V, H = len(characters), arrays["Whh"].shape[0]
    expected = {"Wxh": (V, H), "Whh": (H, H), "bh": (H,), "Why": (H, V), "by": (V,)}
    for name, shape in expected.items():
        if arrays[name].shape != shape:
            raise ValueError(f"{path}: {name} has shape {arrays[name].shape}, expected {shape} "
                             f"for {V} characters and {H} hidden units")
    params = [nd.array(arrays[name], ctx=ctx) for name in CHAR_RNN_NAMES]
    for p in params:
        p.attach_grad()
    return params, characters


# Training checkpoints: parameters, optimizer state, where training stands (epoch,
# batch, RNG state, carried hidden state) and the vocabulary, in one npz file whose
# metadata is JSON text, so loading never unpickles.

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
    return _save_npz(path, arrays)


def load_training_checkpoint(path: Union[str, Path]) -> TrainingCheckpoint:
    """Read a :func:`save_training_checkpoint` file (never unpickling), with a
    one-line error for anything that is not one."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError("a single .npy array, not an npz archive")
        with data:
            arrays = {name: data[name] for name in data.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, AttributeError) as err:
        raise ValueError(f"{path} is not a readable gluon-rnn checkpoint ({err})") from err
    try:
        meta = json.loads(arrays.pop("meta").tobytes().decode("utf-8"))
        assert meta.get("format") == CHECKPOINT_FORMAT
    except (KeyError, ValueError, AssertionError, AttributeError) as err:
        raise ValueError(f"{path} is not a gluon-rnn checkpoint (no {CHECKPOINT_FORMAT} "
                         "metadata); pass a file written by `gluon-rnn train`") from err
    params = {k[len("param/"):]: v for k, v in arrays.items() if k.startswith("param/")}
    states: Dict[int, List[np.ndarray]] = {}
    for key in sorted((k for k in arrays if k.startswith("state/")),
                      key=lambda k: tuple(int(x) for x in k.split("/")[1:])):
        states.setdefault(int(key.split("/")[1]), []).append(arrays[key])
    hidden = [arrays[f"hidden/{j}"] for j in range(sum(k.startswith("hidden/") for k in arrays))]
    return TrainingCheckpoint(params, states, hidden, meta)


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
