"""Model files: the WildML tutorial's npz format (arrays ``U``, ``V``, ``W``).

Reads never unpickle (``allow_pickle=False``) and check keys and shapes; writes
are atomic (temporary file, then rename), so a failed write keeps the old file.
"""
from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Dict, Union

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
