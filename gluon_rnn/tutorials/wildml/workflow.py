"""The WildML RNNLM ("Recurrent Neural Networks Tutorial, Part 2") as the CLI runs it:
build a model, train it on a CSV or text file, save it with its vocabulary,
generate sentences from it (the tutorial's ``generate_sentence``)."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Sequence, Union

import numpy as np

from ..._checks import check_choice, check_counts, check_float32_rates
from ..._files import claim_output, locked_output
from ...options import option
from ...sampling import draw
from ...signals import saving_when_stopped
from ...train.evaluate import Diverged, check_diverged, perplexity
from .files import (
    load_model_parameters,
    load_vocabulary,
    save_model_parameters,
    save_vocabulary,
    vocabulary_path,
)
from .numpy_rnn import RNNNumpy, train_with_sgd
from .pipeline import SENTENCE_END, SENTENCE_START, UNKNOWN_TOKEN, load_word_data
from .symbolic import RNNSymbolic

MODELS = {"numpy": RNNNumpy, "symbolic": RNNSymbolic}


def make_model(kind: str, word_dim: int, hidden_dim: int = 100, bptt_truncate: int = 4,
               seed: Optional[int] = None):
    """``RNNNumpy`` or ``RNNSymbolic`` by name."""
    check_choice("model", kind, MODELS)
    return MODELS[kind](word_dim, hidden_dim, bptt_truncate, seed=seed)


@dataclasses.dataclass(frozen=True)
class RNNLMConfig:
    """A training run of the tutorial's RNNLM, as ``gluon-rnn rnnlm train`` takes it. The
    tutorial's own values: 8,000 words, 100 hidden units, truncation 4, learning rate
    0.005, seed 10; it trains with Theano (here ``symbolic``: the same model compiled by
    MXNet) and reports the loss every 5 epochs, here every epoch (the tutorial's 5 would
    report nothing in the one epoch a run takes by default)."""

    data: Optional[str] = option(None, "CSV with a body column, or a text file (default: the "
                                 "tutorial's reddit CSV, through the data resolver)", "path")
    column: str = option("body", "CSV column holding the text")
    vocabulary_size: int = option(8000, "words kept, UNKNOWN_TOKEN included", "count")
    hidden_dim: int = option(100, "hidden units", "count", aliases=("--num-hiddens",))
    bptt_truncate: int = option(4, "BPTT truncation (steps)", "count0")
    model: str = option("symbolic", "implementation: symbolic (the tutorial's Theano model, "
                        "compiled by MXNet) or numpy (its RNNNumpy)", "choice",
                        choices=tuple(MODELS))
    epochs: int = option(1, "passes over the sentences", "count", aliases=("--num-epochs",))
    learning_rate: float = option(0.005, "SGD learning rate", "rate", aliases=("--lr",))
    evaluate_loss_after: int = option(1, "epochs between loss reports", "count")
    max_sentences: Optional[int] = option(None, "train on the first N sentences only", "count")
    seed: int = option(10, "seed of the initial parameters", "count0")
    snapshot: Optional[str] = option(None, "save parameters at each evaluation to this pattern "
                                     "({epoch}, {hidden}, {words}, {seen} are filled in)")


def train_rnnlm(config: RNNLMConfig, out: Union[str, Path], callback: Optional[Callable] = None,
                progress: bool = False, overwrite: bool = False):
    """Run the pipeline and :func:`train_with_sgd`; save the model and its vocabulary.
    Returns ``(model, losses)``. ``out`` is held by this process while it trains (a second
    run writing the same model is refused); the model, its vocabulary and a snapshot
    pattern's files are claimed before training (an existing one is refused unless
    ``overwrite``; unknown fields, or a folder that cannot be written, are refused); a
    model whose loss or parameters are no longer finite is not saved. Stopped by Ctrl-C
    or SIGTERM, the model as it stands is saved (when finite) and the stop raised on."""
    check_float32_rates(learning_rate=config.learning_rate)  # before anything is claimed
    with locked_output(out, "a model"):
        claim_output(out, overwrite, "a model")
        claim_output(vocabulary_path(out), overwrite, "the model's vocabulary")
        return _train_rnnlm(config, out, callback, progress, overwrite)


def _train_rnnlm(config: RNNLMConfig, out: Union[str, Path], callback: Optional[Callable],
                 progress: bool, overwrite: bool):
    c = config
    check_snapshot_pattern(c.snapshot)
    words = load_word_data(c.data, c.vocabulary_size, c.column)
    missing = [m for m in (SENTENCE_START, SENTENCE_END) if m not in words.word_to_index]
    if missing:
        raise ValueError(f"--vocabulary-size {c.vocabulary_size} keeps no {' or '.join(missing)}, "
                         "so no sentence could ever be generated from the model; keep more words")
    X, y = words.X_train[:c.max_sentences], words.y_train[:c.max_sentences]
    model = make_model(c.model, words.vocabulary_size, c.hidden_dim, c.bptt_truncate, c.seed)
    for path in snapshot_paths(c, len(X), model):
        claim_output(path, overwrite, "a snapshot")
    def save() -> Optional[List[Path]]:  # the model so far, when Ctrl-C or SIGTERM stops it
        if not all(np.isfinite(p).all() for p in model.get_parameters().values()):
            return None
        return [save_model_parameters(out, model),
                save_vocabulary(vocabulary_path(out), words.index_to_word)]

    with saving_when_stopped(save):
        losses = train_with_sgd(model, X, y, c.learning_rate, c.epochs, c.evaluate_loss_after,
                                callback=callback, snapshot_path=c.snapshot,
                                progress=progress, final_loss=True)
    loss = losses[-1][1]  # mean cross-entropy per word
    finite = all(np.isfinite(p).all() for p in model.get_parameters().values())
    if not finite:
        raise Diverged(f"training diverged (parameters not finite) with learning rate "
                       f"{c.learning_rate:g}; nothing was saved: lower --learning-rate")
    check_diverged(perplexity(loss, 1), words.vocabulary_size, "words",
                   f"with learning rate {c.learning_rate:g}; nothing was saved: lower "
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
    except (KeyError, IndexError, ValueError, TypeError, AttributeError) as err:
        raise ValueError(f"--snapshot {pattern!r}: only the fields "
                         f"{', '.join('{' + f + '}' for f in SNAPSHOT_FIELDS)} can be filled in "
                         f"({type(err).__name__}: {err})") from None


def snapshot_paths(c: RNNLMConfig, num_sentences: int, model) -> List[Path]:
    """Every file the ``--snapshot`` pattern names over the run (one per evaluation),
    known before training: each is claimed as an output is (a file of the user's is
    never replaced without ``--overwrite``)."""
    if c.snapshot is None:
        return []
    return sorted({Path(c.snapshot.format(epoch=epoch, hidden=model.hidden_dim,
                                          words=model.word_dim, seen=epoch * num_sentences))
                   for epoch in range(0, c.epochs, c.evaluate_loss_after)})


@dataclasses.dataclass(frozen=True)
class SentenceConfig:
    """How ``gluon-rnn rnnlm generate`` draws sentences."""

    num_sentences: int = option(10, "sentences to print", "count")
    min_length: int = option(5, "shortest sentence, in words", "count")
    max_length: int = option(50, "longest sentence, in words", "count")
    seed: Optional[int] = option(None, "sampling seed (repeatable output)", "count0")


def generate(model_path: Union[str, Path], config: SentenceConfig = SentenceConfig(),
             vocab: Optional[str] = None, model_kind: str = "numpy") -> List[str]:
    """``config.num_sentences`` sentences from a saved model, joined by spaces."""
    return list(iter_sentences(model_path, config, vocab, model_kind))


def iter_sentences(model_path: Union[str, Path], config: SentenceConfig = SentenceConfig(),
                   vocab: Optional[str] = None, model_kind: str = "numpy") -> Iterator[str]:
    """:func:`generate`'s sentences one by one as they are drawn (model and vocabulary
    are checked before the first)."""
    model = load_model_parameters(model_path, make_model(model_kind, 2, 1))
    index_to_word = load_vocabulary(vocab or vocabulary_path(model_path))
    if model.word_dim != len(index_to_word):
        raise ValueError(f"the model has {model.word_dim} words but the vocabulary "
                         f"{vocab} has {len(index_to_word)}")
    missing = [w for w in (SENTENCE_START, SENTENCE_END) if w not in index_to_word]
    if missing:
        raise ValueError(f"the vocabulary {vocab} has no {' or '.join(missing)}: sentences are "
                         "generated between these markers; use the vocabulary written by "
                         "`gluon-rnn rnnlm train`")
    word_to_index = {w: i for i, w in enumerate(index_to_word)}
    rng = np.random.RandomState(config.seed)
    return (" ".join(generate_sentence(model, index_to_word, word_to_index, config.min_length,
                                       config.max_length, rng=rng))
            for _ in range(config.num_sentences))


# The longest sentence drawn: the tutorial keeps a sentence only when it ends within the
# limits, so it cannot be streamed, and a model that never ends one would hold this many
# words (and their forward steps) before each new try
MAX_SENTENCE_WORDS = 100_000


class NoSentence(ValueError):
    """The model did not end a sentence within the length limits in the tries allowed."""


def generate_sentence(model, index_to_word: Sequence[str], word_to_index: dict,
                      min_length: int = 1, max_length: int = 100,
                      rng: Optional[np.random.RandomState] = None, seed: Optional[int] = None,
                      max_tries: int = 1000) -> List[str]:
    """A sentence sampled word by word from the model's softmax (the tutorial's
    ``generate_sentence``).

    Starts from ``SENTENCE_START`` and samples until ``SENTENCE_END``; the unknown
    token is never emitted (its probability is set to zero and the rest
    renormalised, which equals the tutorial's re-drawing), nor, unlike the
    tutorial, a second ``SENTENCE_START``. A sentence longer than
    ``max_length`` words or shorter than ``min_length`` is discarded and drawn
    again, at most ``max_tries`` times. Returns the words without the markers.
    """
    check_counts(min_length=min_length, max_length=max_length, max_tries=max_tries)
    if max_length > MAX_SENTENCE_WORDS:
        raise ValueError(f"max_length {max_length} is above {MAX_SENTENCE_WORDS:,} words: a "
                         "sentence is held whole until it ends (one too long is discarded and "
                         "drawn again), so it could not be printed as it is drawn; give at most "
                         f"{MAX_SENTENCE_WORDS:,}")
    if min_length > max_length:
        raise ValueError(f"min_length {min_length} exceeds max_length {max_length}")
    rng = rng if rng is not None else np.random.RandomState(seed)
    start, end = word_to_index[SENTENCE_START], word_to_index[SENTENCE_END]
    unknown = word_to_index.get(UNKNOWN_TOKEN)
    for _ in range(max_tries):
        sentence = [start]
        while sentence[-1] != end and len(sentence) <= max_length + 1:
            probs = model.forward_propagation(sentence)[0][-1]
            sentence.append(draw(probs, rng, banned=(start, unknown)))
        words = sentence[1:-1]
        if sentence[-1] == end and min_length <= len(words) <= max_length:
            return [index_to_word[i] for i in words]
    raise NoSentence(f"the model gave no sentence of {min_length} to {max_length} words in "
                     f"{max_tries} tries; train it longer or widen the length limits "
                     "(--min-length, --max-length)")
