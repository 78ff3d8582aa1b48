"""What the machine-translation pages of the numpy-interface helpers share (d2l 0.12.0's and
0.17.6's functions, d2l 1.0.3's ``MTFraEng`` methods): the Tatoeba text prepared and split
into pairs, a sequence cut or padded to a length, BLEU, the pair-length histogram, an
archive unpacked where it can be written, the encoder and decoder interfaces (the same in
all three), and 0.12.0's and 0.17.6's ``EncoderDecoder`` and masked loss.

As d2l's, with the same results; minus its crashes: ``num_steps`` or ``k`` below 1 is said
in one line, and a ``k`` longer than the prediction (d2l 0.17.6 divides by zero) leaves
the orders the prediction is too short for out, as d2l 1.0 does.
"""
from __future__ import annotations

import collections
import math
import os
import re
import zipfile
from pathlib import Path
from typing import List, Sequence, Tuple

from mxnet import gluon, np, npx
from mxnet.gluon import nn

from ...._checks import check_counts
from ....data.resolve import default_cache_dir
from .plotting import pyplot, set_figsize

__all__ = ["Decoder", "Encoder", "EncoderDecoder", "MaskedSoftmaxCELoss", "bleu",
           "extract_archive", "nmt_pairs", "prepare_nmt_text",
           "read_fra_text", "unpacked_folder", "preprocess_nmt", "show_list_len_pair_hist",
           "tokenize_nmt", "truncate_pad"]

def prepare_nmt_text(text: str, no_space_before: str) -> str:
    """Non-breaking spaces as spaces, lower case, a space before each of the marks
    ``no_space_before`` that follows a non-space (what each release's ``preprocess_nmt``
    does, with its own marks, character by character: here one regular expression, the
    same text about four times sooner)."""
    text = text.replace("\u202f", " ").replace("\xa0", " ").lower()
    return re.sub(f"(?<=[^ ])([{re.escape(no_space_before)}])", r" \1", text)


def preprocess_nmt(text: str) -> str:
    """Non-breaking spaces as spaces, lower case, a space before each ``, . ! ?`` that
    follows a non-space (d2l 0.17.6 and 1.0.3 ``preprocess_nmt``)."""
    return prepare_nmt_text(text, ",.!?")


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


def nmt_pairs(text: str, num_examples: int) -> Tuple[List[List[str]], List[List[str]]]:
    """``tokenize_nmt(text, num_examples)``, refusing what would make an empty or short
    data set silently: more examples than the text has lines, or no pair at all."""
    lines = text.count("\n") + 1
    if num_examples >= lines:
        raise ValueError(f"num_examples {num_examples} is beyond the {lines} lines of fra.txt: "
                         "ask for fewer")
    source, target = tokenize_nmt(text, num_examples)
    if not source:
        raise ValueError("fra.txt holds no tab-separated pair in its first lines: it is not "
                         "the Tatoeba data; fetch fra-eng.zip again")
    return source, target


def unpacked_folder(archive: str, folder=None) -> str:
    """Where a zip archive is unpacked (d2l ``download_extract``'s answer): the folder
    named after it, or ``folder`` inside where it was unpacked."""
    if not archive.endswith(".zip"):
        raise ValueError(f"{archive}: only zip archives are unpacked here")
    where = extract_archive(archive)
    return str(where / folder) if folder else str(where / os.path.basename(archive)[:-4])


def read_fra_text(folder: str) -> str:
    """The text of ``folder/fra.txt`` (d2l ``read_data_nmt``), or one error naming the file
    when it is not UTF-8."""
    path = os.path.join(folder, "fra.txt")
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except UnicodeDecodeError as err:
        raise ValueError(f"{path} is not UTF-8 text ({err.reason} at byte {err.start}): "
                         "fetch fra-eng.zip again") from None


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


class EncoderDecoder(nn.Block):
    """An encoder and a decoder, the decoder started from the encoder's outputs (d2l
    0.12.0 and 0.17.6 ``EncoderDecoder``)."""

    def __init__(self, encoder, decoder, **kwargs) -> None:
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, enc_X, dec_X, *args):
        state = self.decoder.init_state(self.encoder(enc_X, *args), *args)
        return self.decoder(dec_X, state)


class MaskedSoftmaxCELoss(gluon.loss.SoftmaxCELoss):
    """Softmax cross-entropy over the valid steps of each sequence only (d2l 0.12.0 and
    0.17.6 ``MaskedSoftmaxCELoss``): ``pred`` (batch, steps, vocab), ``label`` (batch,
    steps), ``valid_len`` (batch,)."""

    def forward(self, pred, label, valid_len):
        weights = npx.sequence_mask(np.expand_dims(np.ones_like(label), axis=-1), valid_len,
                                    True, axis=1)
        return super().forward(pred, label, weights)


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
        # a folder its owner marked read-only counts as such for root too (who may write)
        if not os.access(folder, os.W_OK) or not folder.stat().st_mode & 0o222:
            folder = default_cache_dir()
            folder.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(folder)  # names are made safe by zipfile (no .. or absolute)
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        raise ValueError(f"cannot unpack {archive} ({err}): it is damaged or not a zip; delete "
                         "it and fetch it again") from None
    return folder
