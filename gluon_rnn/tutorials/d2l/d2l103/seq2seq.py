"""The machine-translation, encoder-decoder and seq2seq pages of d2l-en 1.0 (``d2l==1.0.3``,
``chapter_recurrent-modern``): the English-French pairs as a ``DataModule``
(``MTFraEng``), the encoder-decoder interfaces (``EncoderDecoder`` a ``Classifier``, with
greedy ``predict_step``), the GRU encoder and ``Seq2Seq``.

As d2l's: the same vocabularies (sorted, words seen at least twice), arrays, shuffling
(Gluon's ``DataLoader`` from numpy's global generator), initial parameters and predictions.
Minus its crashes: ``num_steps`` below 1 or more pairs asked for than the file holds is one
error naming it; the data come through gluon-rnn's resolver (a documented copy of
``fra-eng.zip`` is used and said) and are put where the page reads them (``root``).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from mxnet import gluon, init, np
from mxnet.gluon import nn

from ...._checks import check_counts
from ...._files import atomic_write
from ....data.resolve import sha1_of
from ..base import (
    Decoder,
    Encoder,
    extract_archive,
    fetch,
    hub_entry,
    preprocess_nmt,
    truncate_pad,
)
from .framework import Classifier, DataModule
from .rnn import GRU, Vocab

__all__ = ["Decoder", "Encoder", "EncoderDecoder", "MTFraEng", "Seq2Seq", "Seq2SeqEncoder",
           "download", "extract"]


def download(url, folder="../data", sha1_hash=None):
    """The local path of the file at ``url`` in ``folder`` (d2l ``download``; a
    ``DATA_HUB``-style name works too): found there when its SHA-1 matches, else through
    gluon-rnn's resolver (verified) and copied into ``folder`` where that can be written,
    since the 1.0 pages read what they unpack from ``folder``; a different file of the
    same name there is never replaced (the resolver's copy is returned instead)."""
    if not str(url).startswith("http"):
        from . import DATA_HUB

        url, sha1_hash = DATA_HUB[url]
    path = Path(fetch(url, folder, sha1_hash))
    wanted = Path(folder) / path.name
    if wanted.exists():
        same = wanted.resolve() == path.resolve() or sha1_of(wanted) == sha1_of(path)
        return str(wanted if same else path)
    try:  # where d2l's own download would have put it, whole or not at all
        atomic_write(wanted, lambda tmp: shutil.copyfile(path, tmp))
    except OSError:
        return str(path)
    return str(wanted)


def extract(filename, folder=None) -> None:
    """Unpack the zip ``filename`` into ``folder``, by default the one it is in (d2l
    ``extract``); a damaged archive is one error naming it."""
    extract_archive(filename, folder)


class MTFraEng(DataModule):
    """The English-French dataset (d2l ``MTFraEng``): the first ``num_train + num_val``
    pairs as arrays of ``num_steps`` (sources, decoder inputs with ``<bos>``, source
    lengths, labels), words seen at least twice."""

    num_steps: int  # set by save_hyperparameters from __init__'s arguments
    num_train: int
    num_val: int

    def _download(self):
        url, sha1_hash = hub_entry("fra-eng.zip")
        # unpacked beside the archive as d2l's extract does, or into the cache where that
        # folder is read-only: read from where it went
        where = extract_archive(download(url, self.root, sha1_hash))
        with open(os.path.join(where, "fra-eng", "fra.txt"), encoding="utf-8") as f:
            return f.read()

    def _preprocess(self, text):
        return preprocess_nmt(text)

    def _tokenize(self, text, max_examples=None):
        src, tgt = [], []
        for i, line in enumerate(text.split("\n")):
            if max_examples and i > max_examples:
                break
            parts = line.split("\t")
            if len(parts) == 2:  # empty tokens left out, "<eos>" at the end
                src.append([t for t in f"{parts[0]} <eos>".split(" ") if t])
                tgt.append([t for t in f"{parts[1]} <eos>".split(" ") if t])
        return src, tgt

    def __init__(self, batch_size, num_steps=9, num_train=512, num_val=128):
        super().__init__()
        self.save_hyperparameters()
        check_counts(batch_size=batch_size, num_steps=num_steps, num_train=num_train,
                     num_val=num_val)
        self.arrays, self.src_vocab, self.tgt_vocab = self._build_arrays(self._download())

    def _build_arrays(self, raw_text, src_vocab=None, tgt_vocab=None):
        src, tgt = self._tokenize(self._preprocess(raw_text), self.num_train + self.num_val)
        if src_vocab is None and len(src) < self.num_train + self.num_val:
            raise ValueError(f"num_train + num_val = {self.num_train + self.num_val} pairs "
                             f"asked for; the text holds {len(src)}: ask for fewer")
        src_array, src_vocab, src_valid_len = self._build_array(src, src_vocab)
        tgt_array, tgt_vocab, _ = self._build_array(tgt, tgt_vocab, True)
        return ((src_array, tgt_array[:, :-1], src_valid_len, tgt_array[:, 1:]),
                src_vocab, tgt_vocab)

    def _build_array(self, sentences, vocab, is_tgt=False):
        """Each sentence cut or padded to ``num_steps`` (``<bos>`` first for targets), as
        indices, and the count of tokens that are not ``<pad>``."""
        sentences = [truncate_pad(s, self.num_steps, "<pad>") for s in sentences]
        if is_tgt:
            sentences = [["<bos>"] + s for s in sentences]
        if vocab is None:
            vocab = Vocab(sentences, min_freq=2)
        array = np.array([vocab[s] for s in sentences])
        valid_len = (array != vocab["<pad>"]).astype(np.int32).sum(axis=1)
        return array, vocab, valid_len

    def get_dataloader(self, train):
        idx = slice(0, self.num_train) if train else slice(self.num_train, None)
        return self.get_tensorloader(self.arrays, train, idx)

    def build(self, src_sentences, tgt_sentences):
        """Arrays of sentence pairs of one's own, with the data's vocabularies."""
        raw_text = "\n".join(f"{src}\t{tgt}" for src, tgt in zip(src_sentences, tgt_sentences))
        arrays, _, _ = self._build_arrays(raw_text, self.src_vocab, self.tgt_vocab)
        return arrays


class EncoderDecoder(Classifier):
    """An encoder and a decoder as one classifier (d2l ``EncoderDecoder``): ``forward``
    returns the decoder's output only; ``predict_step`` decodes greedily."""

    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, enc_X, dec_X, *args):
        dec_state = self.decoder.init_state(self.encoder(enc_X, *args), *args)
        return self.decoder(dec_X, dec_state)[0]

    def predict_step(self, batch, device, num_steps, save_attention_weights=False):
        src, tgt, src_valid_len, _ = [a.as_in_ctx(device) for a in batch]
        dec_state = self.decoder.init_state(self.encoder(src, src_valid_len), src_valid_len)
        outputs, attention_weights = [np.expand_dims(tgt[:, 0], 1)], []
        for _ in range(num_steps):
            Y, dec_state = self.decoder(outputs[-1], dec_state)
            outputs.append(Y.argmax(axis=2))
            if save_attention_weights:
                attention_weights.append(self.decoder.attention_weights)
        return np.concatenate(outputs[1:], 1), attention_weights


class Seq2SeqEncoder(Encoder):
    """Embedding and a GRU of ``num_layers``, Xavier-initialised (d2l ``Seq2SeqEncoder``):
    outputs ``(num_steps, batch_size, num_hiddens)`` and the state."""

    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = GRU(num_hiddens, num_layers, dropout)
        self.initialize(init.Xavier())

    def forward(self, X, *args):
        return self.rnn(self.embedding(X.T))


class Seq2Seq(EncoderDecoder):
    """The RNN encoder-decoder trained with Adam (d2l ``Seq2Seq``)."""

    def __init__(self, encoder, decoder, tgt_pad, lr):
        super().__init__(encoder, decoder)
        self.save_hyperparameters()

    def validation_step(self, batch):
        Y_hat = self(*batch[:-1])
        self.plot("loss", self.loss(Y_hat, batch[-1]), train=False)

    def configure_optimizers(self):
        return gluon.Trainer(self.parameters(), "adam", {"learning_rate": self.lr})
