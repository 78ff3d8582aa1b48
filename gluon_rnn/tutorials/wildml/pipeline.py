"""The text pipeline of the WildML RNNLM tutorial (also read by the numpy
computation-graph BPTT port).

comments (CSV ``body`` column or a text file) -> lower-cased sentences (NLTK
Punkt) -> words (NLTK's Treebank-style tokenizer) wrapped in
``SENTENCE_START`` ... ``SENTENCE_END`` -> the ``vocabulary_size - 1`` most
common words plus ``UNKNOWN_TOKEN`` -> ``X_train``/``y_train`` shifted by one.

Sentence splitting never downloads: it uses installed ``punkt_tab``/``punkt``
data when present, else a Punkt model trained on the corpus itself.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import itertools
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Union

import nltk

from ..._files import regular_file
from ...data.resolve import read_file_text, resolve
from ...data.text import sentence_splitter, treebank_words

SENTENCE_START = "SENTENCE_START"
SENTENCE_END = "SENTENCE_END"
UNKNOWN_TOKEN = "UNKNOWN_TOKEN"
REDDIT_CSV = "reddit-comments-2015-08.csv"


def read_comments(path: Union[str, Path, None] = None, column: str = "body") -> List[str]:
    """The comments of a CSV file with a ``column`` column (quoted multi-line fields
    allowed), or the non-empty lines of any other text file.

    ``path=None`` reads the tutorial's reddit CSV through the data resolver.
    """
    source = resolve(REDDIT_CSV) if path is None else regular_file(path)
    text = read_file_text(source)
    if not text.strip():
        raise ValueError(f"{source} is empty: there is no text to train on")
    if source.suffix.lower() != ".csv":
        return [line for line in text.splitlines() if line.strip()]
    csv.field_size_limit(1 << 30)
    reader = csv.DictReader(io.StringIO(text, newline=""), skipinitialspace=True)
    if not reader.fieldnames or column not in reader.fieldnames:
        raise ValueError(f"{source} has no {column!r} column (columns: "
                         f"{', '.join(reader.fieldnames or []) or 'none'}); pass column=...")
    comments = [row[column] for row in reader if row.get(column)]
    if not comments:
        raise ValueError(f"{source} has a {column!r} column but no comments in it")
    return comments


def tokenize_sentences(comments: Sequence[str]) -> List[List[str]]:
    """Lower-case, split into sentences, split into words, and wrap each sentence
    in ``SENTENCE_START`` / ``SENTENCE_END`` (the tutorial's step 1 and 3)."""
    lowered = [comment.lower() for comment in comments]
    split = sentence_splitter("\n\n".join(lowered))
    words = treebank_words()
    return [[SENTENCE_START, *words(sentence), SENTENCE_END]
            for comment in lowered for sentence in split(comment)]


@dataclasses.dataclass
class WordData:
    """The tutorial's training data: vocabulary maps and the shifted index lists."""

    index_to_word: List[str]
    word_to_index: dict
    sentences: List[List[str]]       # tokenized, with rare words replaced by UNKNOWN_TOKEN
    X_train: List[List[int]]
    y_train: List[List[int]]

    @property
    def vocabulary_size(self) -> int:
        return len(self.index_to_word)


def build_vocabulary(sentences: Iterable[Sequence[str]], vocabulary_size: int) -> List[str]:
    """``index_to_word`` in the tutorial's order: the ``vocabulary_size - 1`` most
    common words (``nltk.FreqDist``; ties in first-seen order), then ``UNKNOWN_TOKEN``."""
    if vocabulary_size < 2:
        raise ValueError(f"vocabulary_size must be at least 2 (one word and UNKNOWN_TOKEN), "
                         f"got {vocabulary_size}")
    freq = nltk.FreqDist(itertools.chain.from_iterable(sentences))
    return [word for word, _ in freq.most_common(vocabulary_size - 1)] + [UNKNOWN_TOKEN]


def build_training_data(sentences: Sequence[Sequence[str]], vocabulary_size: int = 8000,
                        index_to_word: Optional[List[str]] = None) -> WordData:
    """Map words outside the vocabulary to ``UNKNOWN_TOKEN`` and build
    ``X_train = sentence[:-1]``, ``y_train = sentence[1:]`` as index lists.
    Pass ``index_to_word`` to reuse an existing vocabulary."""
    index_to_word = index_to_word or build_vocabulary(sentences, vocabulary_size)
    word_to_index = {word: i for i, word in enumerate(index_to_word)}
    known = [[w if w in word_to_index else UNKNOWN_TOKEN for w in sent] for sent in sentences]
    X = [[word_to_index[w] for w in sent[:-1]] for sent in known]
    y = [[word_to_index[w] for w in sent[1:]] for sent in known]
    return WordData(index_to_word, word_to_index, known, X, y)


def load_word_data(path: Union[str, Path, None] = None, vocabulary_size: int = 8000,
                   column: str = "body") -> WordData:
    """The whole pipeline on a CSV/text file (default: the tutorial's reddit CSV)."""
    return build_training_data(tokenize_sentences(read_comments(path, column)), vocabulary_size)
