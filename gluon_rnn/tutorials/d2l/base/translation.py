"""What the machine-translation pages of every 2020+ helper share (d2l 0.17.6's functions,
d2l 1.0.3's ``MTFraEng`` methods): the Tatoeba text prepared and split into pairs, a
sequence cut or padded to a length, BLEU, the pair-length histogram, an archive unpacked
where it can be written, and the encoder and decoder interfaces (the same in both).

As d2l's, with the same results; minus its crashes: ``num_steps`` or ``k`` below 1 is said
in one line, and a ``k`` longer than the prediction (d2l 0.17.6 divides by zero) leaves
the orders the prediction is too short for out, as d2l 1.0 does.
"""
from __future__ import annotations

import collections
import math
import os
import zipfile
from pathlib import Path
from typing import List, Sequence, Tuple

from mxnet.gluon import nn

from ...._checks import check_counts
from ....data.resolve import default_cache_dir
from .plotting import pyplot, set_figsize

__all__ = ["Decoder", "Encoder", "bleu", "extract_archive", "preprocess_nmt",
           "show_list_len_pair_hist", "tokenize_nmt", "truncate_pad"]

_NO_SPACE_BEFORE = set(",.!?")


def preprocess_nmt(text: str) -> str:
    """Non-breaking spaces as spaces, lower case, a space before each ``, . ! ?`` that
    follows a non-space (d2l ``preprocess_nmt``)."""
    text = text.replace("\u202f", " ").replace("\xa0", " ").lower()
    out = []
    for i, char in enumerate(text):
        out.append(" " + char if i and char in _NO_SPACE_BEFORE and text[i - 1] != " " else char)
    return "".join(out)


def tokenize_nmt(text: str, num_examples=None) -> Tuple[List[List[str]], List[List[str]]]:
    """``(source, target)``: each line's two tab-separated sentences as words, for the
    first ``num_examples + 1`` lines (d2l counts from 0 and stops after that one; lines
    that are no pair are skipped, as d2l skips them)."""
    source, target = [], []
    for i, line in enumerate(text.split("\n")):
        if num_examples and i > num_examples:
            break
        parts = line.split("\t")
        if len(parts) == 2:
            source.append(parts[0].split(" "))
            target.append(parts[1].split(" "))
    return source, target


def truncate_pad(line: Sequence, num_steps: int, padding_token) -> list:
    """``line`` cut to ``num_steps`` tokens, or padded to them (d2l ``truncate_pad``)."""
    check_counts(num_steps=num_steps)
    if len(line) > num_steps:
        return list(line[:num_steps])
    return list(line) + [padding_token] * (num_steps - len(line))


def bleu(pred_seq: str, label_seq: str, k: int) -> float:
    """BLEU of a predicted sentence against its label, n-grams up to ``k`` (d2l ``bleu``):
    the brevity penalty times each order's clipped precision to the power ``1 / 2**n``,
    for the orders up to the prediction's length (d2l 1.0's rule; 0.17.6 divides by zero
    for the longer ones)."""
    check_counts(k=k)
    pred, label = pred_seq.split(" "), label_seq.split(" ")
    score = math.exp(min(0, 1 - len(label) / len(pred)))
    for n in range(1, min(k, len(pred)) + 1):
        grams = len(pred) - n + 1
        counts = collections.Counter(" ".join(label[i:i + n]) for i in range(len(label) - n + 1))
        matches = 0
        for i in range(grams):
            gram = " ".join(pred[i:i + n])
            if counts[gram] > 0:
                matches += 1
                counts[gram] -= 1
        score *= math.pow(matches / grams, math.pow(0.5, n))
    return score


def show_list_len_pair_hist(legend, xlabel, ylabel, xlist, ylist) -> None:
    """The histogram of the two lists' sequence lengths, the second hatched (d2l
    ``show_list_len_pair_hist``)."""
    set_figsize()
    plt = pyplot()
    _, _, patches = plt.hist([[len(seq) for seq in xlist], [len(seq) for seq in ylist]])
    plt.xlabel(xlabel)
    plt.ylabel(ylabel)
    for patch in patches[1].patches:
        patch.set_hatch("/")
    plt.legend(legend)


class Encoder(nn.Block):
    """The encoder interface of the encoder-decoder architecture (d2l ``Encoder``)."""

    def forward(self, X, *args):
        raise NotImplementedError(f"{type(self).__name__} defines no forward")


class Decoder(nn.Block):
    """The decoder interface of the encoder-decoder architecture (d2l ``Decoder``)."""

    def init_state(self, enc_outputs, *args):
        raise NotImplementedError(f"{type(self).__name__} defines no init_state")

    def forward(self, X, state):
        raise NotImplementedError(f"{type(self).__name__} defines no forward")


def extract_archive(archive: str, folder=None) -> Path:
    """Unpack the zip ``archive`` into ``folder``, by default beside it (as d2l's
    ``download_extract`` does), or, where that cannot be written (a shared, read-only data
    folder), into gluon-rnn's cache; return the folder it went into. A damaged archive is
    one error naming it."""
    if folder is not None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
    else:
        folder = Path(archive).parent
        if not os.access(folder, os.W_OK):
            folder = default_cache_dir()
            folder.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(folder)  # names are made safe by zipfile (no .. or absolute)
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        raise ValueError(f"cannot unpack {archive} ({err}): it is damaged or not a zip; delete "
                         "it and fetch it again") from None
    return folder
