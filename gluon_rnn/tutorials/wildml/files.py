"""The WildML tutorial's files: model parameters as npz (arrays ``U``, ``V``, ``W``, as
its ``save_model_parameters_theano`` writes them; the published
``trained-model-theano.npz`` loads) and the vocabulary beside them as JSON.

Reads never unpickle and check keys and shapes; writes are atomic.
"""
from __future__ import annotations

import collections
import json
from pathlib import Path
from typing import Dict, List, Union

import numpy as np

from ... import _schema as S
from ..._files import atomic_write, regular_file
from ...npzfile import read_npz, save_npz

PARAM_NAMES = ("U", "V", "W")  # the tutorial's parameters, as its files name them


def save_model_parameters(path: Union[str, Path], model) -> Path:
    """Write the model's ``U``, ``V``, ``W`` to ``path`` (npz, the name kept as given)."""
    params = model.get_parameters()
    return save_npz(path, {name: np.asarray(params[name]) for name in PARAM_NAMES})


def read_model_parameters(path: Union[str, Path]) -> Dict[str, np.ndarray]:
    """``{'U', 'V', 'W'}`` from an npz file, after checking keys, dtypes and shapes."""
    return check_shapes(read_npz(path, "npz model file", PARAM_NAMES), str(path))


def check_shapes(params: Dict[str, np.ndarray],
                 source: str = "parameters") -> Dict[str, np.ndarray]:
    """Check U (hidden, words), V (words, hidden), W (hidden, hidden), floating point."""
    for name in PARAM_NAMES:
        if params[name].dtype.kind != "f" or params[name].ndim != 2:
            raise ValueError(f"{source}: {name} must be a 2-D floating-point array, got "
                             f"{params[name].dtype} of shape {params[name].shape}")
    hidden_dim, word_dim = params["U"].shape
    expected = {"U": (hidden_dim, word_dim), "V": (word_dim, hidden_dim),
                "W": (hidden_dim, hidden_dim)}
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


def vocabulary_path(model_path: Union[str, Path]) -> Path:
    """Where the vocabulary of a model file is kept: ``MODEL.vocab.json`` beside it."""
    return Path(str(model_path) + ".vocab.json")


def save_vocabulary(path: Union[str, Path], index_to_word: List[str]) -> Path:
    text = json.dumps(index_to_word)
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def load_vocabulary(path: Union[str, Path]) -> List[str]:
    try:
        path = regular_file(path, "vocabulary file")
    except FileNotFoundError as err:
        raise FileNotFoundError(f"{err}; it is written beside the model by `gluon-rnn rnnlm "
                                "train` (pass --vocab to name another)") from None
    words = S.loads(path.read_bytes(), str(path))  # bounded: size, nesting, UTF-8
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise ValueError(f"{path} is not a JSON list of words")
    counts = collections.Counter(words)
    twice = next((w for w in words if counts[w] > 1), None)
    if twice is not None:
        raise ValueError(f"{path} holds the word {twice!r} twice: each word has one index; it "
                         "was edited or written by something else")
    return words
