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


def save_model_parameters(path: Union[str, Path], model) -> Path:
    """Write the model's ``U``, ``V``, ``W`` to ``path`` (npz, the name kept as given)."""
    params = model.get_parameters()

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            np.savez(f, **{name: np.asarray(params[name]) for name in PARAM_NAMES})
    return atomic_write(path, write)


def read_model_parameters(path: Union[str, Path]) -> Dict[str, np.ndarray]:
    """``{'U', 'V', 'W'}`` from an npz file, after checking keys, dtypes and shapes."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as data:
            keys = sorted(data.files)
            if keys != sorted(PARAM_NAMES):
                raise ValueError(f"{path} holds arrays {keys}; a model file holds exactly U, V and W")
            params = {name: data[name] for name in PARAM_NAMES}
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        raise ValueError(f"{path} is not a readable npz model file ({err})") from err
    except ValueError as err:
        if "pickle" in str(err).lower():
            raise ValueError(f"{path} holds pickled objects, which are refused; "
                             "a model file holds plain numeric arrays U, V, W") from err
        raise
    return check_shapes(params, str(path))


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
