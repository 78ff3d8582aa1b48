"""The WildML RNNLM ("Recurrent Neural Networks Tutorial, Part 2") as the CLI runs it:
build a model, train it on a CSV or text file, save it with its vocabulary,
generate sentences from it (the tutorial's ``generate_sentence``)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator, List, Optional, Sequence, Union

import numpy as np

from ...train.evaluate import diverged, perplexity
from ..._checks import check_choice, check_counts
from .files import (load_model_parameters, load_vocabulary, save_model_parameters,
                    save_vocabulary, vocabulary_path)
from .numpy_rnn import RNNNumpy, train_with_sgd
from .pipeline import SENTENCE_END, SENTENCE_START, UNKNOWN_TOKEN, load_word_data
from .symbolic import RNNSymbolic

MODELS = {"numpy": RNNNumpy, "symbolic": RNNSymbolic}


def make_model(kind: str, word_dim: int, hidden_dim: int = 100, bptt_truncate: int = 4,
               seed: Optional[int] = None):
    """``RNNNumpy`` or ``RNNSymbolic`` by name."""
    check_choice("model", kind, MODELS)
    return MODELS[kind](word_dim, hidden_dim, bptt_truncate, seed=seed)


def train_rnnlm(data: Optional[str], out: Union[str, Path], model_kind: str = "numpy",
                vocabulary_size: int = 8000, hidden_dim: int = 100, bptt_truncate: int = 4,
                nepoch: int = 1, learning_rate: float = 0.005, evaluate_loss_after: int = 1,
                max_sentences: Optional[int] = None, column: str = "body", seed: int = 10,
                snapshot: Optional[str] = None, callback: Optional[Callable] = None,
                progress: bool = False):
    """Run the pipeline and :func:`train_with_sgd`; save the model and its vocabulary.
    Returns ``(model, losses)``. A snapshot pattern with unknown fields is refused before
    training, and a model whose loss or parameters are no longer finite is not saved."""
    check_snapshot_pattern(snapshot)
    words = load_word_data(data, vocabulary_size, column)
    missing = [m for m in (SENTENCE_START, SENTENCE_END) if m not in words.word_to_index]
    if missing:
        raise ValueError(f"--vocabulary-size {vocabulary_size} keeps no {' or '.join(missing)}, so "
                         "no sentence could ever be generated from the model; keep more words")
    X, y = words.X_train[:max_sentences], words.y_train[:max_sentences]
    model = make_model(model_kind, words.vocabulary_size, hidden_dim, bptt_truncate, seed)
    losses = train_with_sgd(model, X, y, learning_rate, nepoch, evaluate_loss_after,
                            callback=callback, snapshot_path=snapshot, progress=progress,
                            final_loss=True)
    loss = losses[-1][1]  # mean cross-entropy per word
    finite = all(np.isfinite(p).all() for p in model.get_parameters().values())
    if not finite or diverged(perplexity(loss, 1), words.vocabulary_size):
        raise ValueError(f"training diverged (loss {loss:g} per word, "
                         + ("parameters not finite" if not finite else
                            f"worse than guessing among {words.vocabulary_size} words")
                         + f") with learning rate {learning_rate:g}; nothing was saved: lower "
                         "--learning-rate")
    save_model_parameters(out, model)
    save_vocabulary(vocabulary_path(out), words.index_to_word)
    return model, losses


SNAPSHOT_FIELDS = ("epoch", "hidden", "words", "seen")


def check_snapshot_pattern(pattern: Optional[str]) -> None:
    """Refuse a snapshot pattern that names a field other than :data:`SNAPSHOT_FIELDS`."""
    if pattern is None:
        return
    try:
        pattern.format(**{name: 0 for name in SNAPSHOT_FIELDS})
    except (KeyError, IndexError, ValueError) as err:
        raise ValueError(f"--snapshot {pattern!r}: only the fields "
                         f"{', '.join('{' + f + '}' for f in SNAPSHOT_FIELDS)} can be filled in "
                         f"({type(err).__name__}: {err})") from None


def generate(model_path: Union[str, Path], num_sentences: int = 10, vocab: Optional[str] = None,
             model_kind: str = "numpy", min_length: int = 5, max_length: int = 50,
             seed: Optional[int] = None) -> List[str]:
    """``num_sentences`` sentences from a saved model, joined by spaces."""
    return list(iter_sentences(model_path, num_sentences, vocab, model_kind, min_length,
                               max_length, seed))


def iter_sentences(model_path: Union[str, Path], num_sentences: int = 10,
                   vocab: Optional[str] = None, model_kind: str = "numpy", min_length: int = 5,
                   max_length: int = 50, seed: Optional[int] = None) -> Iterator[str]:
    """:func:`generate`'s sentences one by one as they are drawn (model and vocabulary
    are checked before the first)."""
    import numpy as np

    model = load_model_parameters(model_path, make_model(model_kind, 2, 1))
    vocab = vocab or vocabulary_path(model_path)
    index_to_word = load_vocabulary(vocab)
    if model.word_dim != len(index_to_word):
        raise ValueError(f"the model has {model.word_dim} words but the vocabulary "
                         f"{vocab} has {len(index_to_word)}")
    missing = [w for w in (SENTENCE_START, SENTENCE_END) if w not in index_to_word]
    if missing:
        raise ValueError(f"the vocabulary {vocab} has no {' or '.join(missing)}: sentences are "
                         "generated between these markers; use the vocabulary written by "
                         "`gluon-rnn rnnlm train`")
    word_to_index = {w: i for i, w in enumerate(index_to_word)}
    rng = np.random.RandomState(seed)
    return (" ".join(generate_sentence(model, index_to_word, word_to_index, min_length,
                                       max_length, rng=rng)) for _ in range(num_sentences))


class NoSentence(ValueError):
    """The model did not end a sentence within the length limits in the tries allowed."""


def generate_sentence(model, index_to_word: Sequence[str], word_to_index: dict,
                      min_length: int = 1, max_length: int = 100,
                      rng: Optional[np.random.RandomState] = None, seed: Optional[int] = None,
                      max_tries: int = 1000) -> List[str]:
    """A sentence sampled word by word from the model's softmax (the tutorial's ``generate_sentence``).

    Starts from ``SENTENCE_START`` and samples until ``SENTENCE_END``; the unknown
    token is never emitted (its probability is set to zero and the rest
    renormalised, which equals the tutorial's re-drawing), nor, unlike the
    tutorial, a second ``SENTENCE_START``. A sentence longer than
    ``max_length`` words or shorter than ``min_length`` is discarded and drawn
    again, at most ``max_tries`` times. Returns the words without the markers.
    """
    check_counts(min_length=min_length, max_length=max_length, max_tries=max_tries)
    if min_length > max_length:
        raise ValueError(f"min_length {min_length} exceeds max_length {max_length}")
    rng = rng if rng is not None else np.random.RandomState(seed)
    start, end = word_to_index[SENTENCE_START], word_to_index[SENTENCE_END]
    unknown = word_to_index.get(UNKNOWN_TOKEN)
    for _ in range(max_tries):
        sentence = [start]
        while sentence[-1] != end and len(sentence) <= max_length + 1:
            probs = np.array(model.forward_propagation(sentence)[0][-1], dtype=np.float64)
            probs[start] = 0.0
            if unknown is not None:
                probs[unknown] = 0.0
            sentence.append(int(rng.choice(len(probs), p=probs / probs.sum())))
        words = sentence[1:-1]
        if sentence[-1] == end and min_length <= len(words) <= max_length:
            return [index_to_word[i] for i in words]
    raise NoSentence(f"the model gave no sentence of {min_length} to {max_length} words in "
                     f"{max_tries} tries; train it longer or widen the length limits "
                     "(--min-length, --max-length)")
