"""The corpora as token lists: The Time Machine as the d2l helpers prepare it, tiny
Shakespeare, the Penn Treebank (Mikolov's split) and any UTF-8 text file, each cut
into training and held-out text for ``gluon-rnn train``.
"""
from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path
from typing import List, Optional, Sequence, Union

from .._checks import check_choice, check_counts
from .._files import regular_file
from .resolve import read_file_text, read_text, resolve, sha1_of
from .text import word_tokens
from .vocab import Vocab


def time_machine_text(num_examples: Optional[int] = 10000,
                      path: Union[str, Path, None] = None) -> str:
    """The Time Machine as d2l 0.9.2 prepares it: lines joined, lower-cased,
    runs of whitespace collapsed to one space, cut to ``num_examples`` chars
    (``None`` keeps the whole book)."""
    raw = read_text("timemachine.txt", path)
    text = " ".join(" ".join(raw.split("\n")).lower().split())
    return text if num_examples is None else text[:num_examples]


def load_data_time_machine_split(num_examples: int = 10000, valid_examples: int = 0,
                                 path: Union[str, Path, None] = None):
    """``(corpus_indices, vocab, valid_indices)``: the first ``num_examples`` characters of
    :func:`time_machine_text` and their character vocabulary (what d2l 0.9.2's
    ``load_data_time_machine`` returns: 44 tokens with ``<unk>`` for 10,000 characters),
    and the next ``valid_examples`` characters of the book held out, indexed with the
    training vocabulary (unseen characters become ``<unk>``)."""
    check_counts(num_examples=num_examples)
    if valid_examples:
        check_counts(valid_examples=valid_examples)
    text = time_machine_text(num_examples + valid_examples, path)
    vocab = Vocab(text[:num_examples])
    return vocab.indices(text[:num_examples]), vocab, vocab.indices(text[num_examples:])


GUTENBERG_END_MARKER = "End of Project Gutenberg"


def strip_gutenberg_licence(text: str) -> str:
    """Cut Project Gutenberg's trailing licence: everything from the last
    ``End of Project Gutenberg`` marker on, and the blank lines before it (the
    Straight Dope seed cut a fixed 38,083 characters; for its file this is the same)."""
    index = text.rfind(GUTENBERG_END_MARKER)
    return text if index < 0 else text[:index].rstrip()


def corpus_file(path: str, names: Sequence[str]) -> Path:
    """``path`` as an existing file, or an error naming the corpora known by name."""
    file = Path(path).expanduser()
    if not file.exists():
        raise FileNotFoundError(f"corpus {path!r} is neither one of {', '.join(names)} "
                                "nor an existing file")
    return regular_file(file, "corpus")  # a folder, FIFO or device: named as what it is


TRAIN_CORPORA = ("timemachine", "tinyshakespeare", "ptb")
_CORPUS_FILES = {"timemachine": "timemachine.txt", "tinyshakespeare": "tinyshakespeare.txt",
                 "ptb": "ptb.zip"}


def corpus_source(corpus: str) -> Path:
    """The file a corpus of :func:`load_token_corpus` is read from, resolved."""
    if corpus in _CORPUS_FILES:
        return resolve(_CORPUS_FILES[corpus])
    return corpus_file(corpus, TRAIN_CORPORA).resolve()


def data_identity(corpus: str) -> dict:
    """What identifies a corpus's data: the resolved file and its SHA-1."""
    path = corpus_source(corpus)
    return {"path": str(path), "sha1": sha1_of(path)}


LEVELS = ("char", "word")


@dataclasses.dataclass
class TokenCorpus:
    """A corpus cut into training, validation and (where it has one) test tokens.

    The vocabulary is built from ``train`` alone; held-out tokens it lacks map to
    ``<unk>``. ``level`` is ``'char'`` or ``'word'``.
    """

    name: str
    level: str
    train: List[str]
    valid: List[str]
    test: List[str]


def _ptb_split(split: str, level: str) -> List[str]:
    """One split of the Penn Treebank (Mikolov's ``ptb.zip``): words with ``<eos>``
    ending each line, or the characters of its lines with ``\\n`` kept."""
    with zipfile.ZipFile(resolve("ptb.zip")) as archive:
        text = archive.read(f"ptb/ptb.{split}.txt").decode("utf-8")
    if level == "char":
        return list(text)
    return [token for line in text.split("\n") for token in line.split() + ["<eos>"]
            if line.strip() or token != "<eos>"]


def split_held_out(tokens: Sequence, valid_fraction: float = 0.1):
    """``(train, valid)``: the last ``valid_fraction`` of ``tokens`` held out,
    contiguous, so no validation token is ever trained on."""
    if not 0 < valid_fraction < 1:
        raise ValueError(f"valid_fraction must be between 0 and 1, got {valid_fraction}")
    cut = len(tokens) - int(len(tokens) * valid_fraction)
    return tokens[:cut], tokens[cut:]


def load_token_corpus(corpus: str = "timemachine", level: str = "char",
                      valid_fraction: float = 0.1) -> TokenCorpus:
    """The corpus of ``gluon-rnn train``: ``'timemachine'`` (the whole book prepared
    as d2l does: lower case, whitespace collapsed), ``'tinyshakespeare'``, ``'ptb'``
    (its own validation and test files) or the path of a UTF-8 text file. The others
    hold out their last ``valid_fraction`` as validation text (contiguous, never
    trained on) and have no test split."""
    check_choice("level", level, LEVELS)
    split_held_out([], valid_fraction)  # checks the fraction before any reading
    if corpus == "ptb":
        return TokenCorpus(corpus, level,
                           *(_ptb_split(s, level) for s in ("train", "valid", "test")))
    if corpus == "timemachine":
        text = time_machine_text(None)
    elif corpus == "tinyshakespeare":
        text = read_text("tinyshakespeare.txt")
    else:
        text = strip_gutenberg_licence(read_file_text(corpus_file(corpus, TRAIN_CORPORA)))
    tokens = list(text) if level == "char" else word_tokens(text)
    train, valid = split_held_out(tokens, valid_fraction)
    if len(train) < 2 or len(valid) < 2:
        raise ValueError(f"corpus {corpus!r} holds {len(tokens)} {level} tokens: too few to "
                         f"hold out {valid_fraction:.0%} for validation and still train")
    return TokenCorpus(corpus, level, train, valid, [])
