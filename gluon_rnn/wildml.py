"""The WildML RNNLM workflow (seed 000) for the CLI: build a model, train it on a
CSV or text file, save it with its vocabulary, generate sentences from it."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, List, Optional, Union

from ._checks import check_choice
from ._files import atomic_write
from .checkpoints import load_model_parameters, save_model_parameters
from .models.numpy_rnn import RNNNumpy
from .models.symbolic import RNNSymbolic
from .sampling import generate_sentence
from .text import load_word_data
from .training import train_with_sgd

MODELS = {"numpy": RNNNumpy, "symbolic": RNNSymbolic}


def make_model(kind: str, word_dim: int, hidden_dim: int = 100, bptt_truncate: int = 4,
               seed: Optional[int] = None):
    """``RNNNumpy`` or ``RNNSymbolic`` by name."""
    check_choice("model", kind, MODELS)
    return MODELS[kind](word_dim, hidden_dim, bptt_truncate, seed=seed)


def vocabulary_path(model_path: Union[str, Path]) -> Path:
    """Where the vocabulary of a model file is kept: ``MODEL.vocab.json`` beside it."""
    return Path(str(model_path) + ".vocab.json")


def save_vocabulary(path: Union[str, Path], index_to_word: List[str]) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(json.dumps(index_to_word), encoding="utf-8"))


def load_vocabulary(path: Union[str, Path]) -> List[str]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"vocabulary file {path} does not exist; it is written beside the "
                                "model by `gluon-rnn rnnlm train` (pass --vocab to name another)")
    try:
        words = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is not a JSON list of words ({err})") from err
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise ValueError(f"{path} is not a JSON list of words")
    return words


def train_rnnlm(data: Optional[str], out: Union[str, Path], model_kind: str = "numpy",
                vocabulary_size: int = 8000, hidden_dim: int = 100, bptt_truncate: int = 4,
                nepoch: int = 1, learning_rate: float = 0.005, evaluate_loss_after: int = 1,
                max_sentences: Optional[int] = None, column: str = "body", seed: int = 10,
                snapshot: Optional[str] = None, callback: Optional[Callable] = None,
                progress: bool = False):
    """Run the pipeline and :func:`train_with_sgd`; save the model and its vocabulary.
    Returns ``(model, losses)``."""
    words = load_word_data(data, vocabulary_size, column)
    X, y = words.X_train[:max_sentences], words.y_train[:max_sentences]
    model = make_model(model_kind, words.vocabulary_size, hidden_dim, bptt_truncate, seed)
    losses = train_with_sgd(model, X, y, learning_rate, nepoch, evaluate_loss_after,
                            callback=callback, snapshot_path=snapshot, progress=progress)
    save_model_parameters(out, model)
    save_vocabulary(vocabulary_path(out), words.index_to_word)
    return model, losses


def generate(model_path: Union[str, Path], num_sentences: int = 10, vocab: Optional[str] = None,
             model_kind: str = "numpy", min_length: int = 5, max_length: int = 50,
             seed: Optional[int] = None) -> List[str]:
    """``num_sentences`` sentences from a saved model, joined by spaces."""
    import numpy as np

    index_to_word = load_vocabulary(vocab or vocabulary_path(model_path))
    model = load_model_parameters(model_path, make_model(model_kind, 2, 1))
    if model.word_dim != len(index_to_word):
        raise ValueError(f"the model has {model.word_dim} words but the vocabulary "
                         f"{vocab or vocabulary_path(model_path)} has {len(index_to_word)}")
    word_to_index = {w: i for i, w in enumerate(index_to_word)}
    rng = np.random.RandomState(seed)
    return [" ".join(generate_sentence(model, index_to_word, word_to_index, min_length,
                                       max_length, rng=rng)) for _ in range(num_sentences)]
