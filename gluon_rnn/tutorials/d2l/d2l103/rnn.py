"""The recurrent chapters of d2l-en 1.0 (``d2l==1.0.3``): The Time Machine as a
``DataModule`` (every window of ``num_steps + 1`` characters, shuffled by Gluon's
``DataLoader`` from numpy's global generator), the alphabetical ``Vocab`` (``' '`` at 0,
``<unk>`` at 1), the RNN from scratch, its language model, and the concise ``RNN``,
``RNNLM`` and ``GRU`` on Gluon's layers.

As d2l's: the same parameters drawn in the same order, the same predictions. The book's
deep-RNN page builds a scratch model whose layers sit in a list, which
``Module.get_scratch_params`` does not look into: only its output layer is trained there,
in the book as here (kept: it is the book's behaviour). Minus its crashes: a text too
short for ``num_train`` and ``num_val`` windows is a ``ValueError`` naming the sizes;
data come through gluon-rnn's resolver before any download."""
from __future__ import annotations

import collections
import re

from mxnet import np, npx
from mxnet.gluon import nn, rnn

from ...._checks import check_counts
from ..base import fetch, hub_entry
from .framework import Classifier, DataModule, Module


class Vocab:
    """Vocabulary for text (d2l 1.0.3 ``Vocab``): ``<unk>``, the reserved tokens and the
    tokens seen at least ``min_freq`` times, in sorted order."""

    def __init__(self, tokens=(), min_freq=0, reserved_tokens=()):
        tokens = list(tokens)
        if tokens and isinstance(tokens[0], list):
            tokens = [token for line in tokens for token in line]
        counter = collections.Counter(tokens)
        self.token_freqs = sorted(counter.items(), key=lambda x: x[1], reverse=True)
        self.idx_to_token = list(sorted(set(["<unk>"] + list(reserved_tokens) + [
            token for token, freq in self.token_freqs if freq >= min_freq])))
        self.token_to_idx = {token: idx for idx, token in enumerate(self.idx_to_token)}

    def __len__(self):
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, self.unk)
        return [self.__getitem__(token) for token in tokens]

    def __contains__(self, token):
        return token in self.token_to_idx

    def to_tokens(self, indices):
        """The tokens of a sequence of indices, or the token of one index (d2l's, where a
        sequence of one index is a ``TypeError``: here its list of one token); an index
        outside the vocabulary is an ``IndexError`` that says so."""
        if hasattr(indices, "__len__") and not isinstance(indices, str) \
                and getattr(indices, "ndim", 1) > 0:
            return [self._token(index) for index in indices]
        return self._token(indices)

    def _token(self, index):
        position = int(index)
        if not -len(self.idx_to_token) <= position < len(self.idx_to_token):
            raise IndexError(f"index {position} is outside the vocabulary of "
                             f"{len(self.idx_to_token)} tokens (0..{len(self.idx_to_token) - 1})")
        return self.idx_to_token[position]

    @property
    def unk(self):
        return self.token_to_idx["<unk>"]


class TimeMachine(DataModule):
    """The Time Machine, character level (d2l ``TimeMachine``): windows of
    ``num_steps + 1`` characters at every position, the first ``num_train`` for
    training (shuffled), the next ``num_val`` for validation."""

    num_train: int  # set by save_hyperparameters from __init__'s arguments
    num_val: int

    def _download(self):
        url, sha1_hash = hub_entry("timemachine.txt")  # d2l's DATA_URL + the file's name
        fname = fetch(url, self.root, sha1_hash)
        with open(fname) as f:
            return f.read()

    def _preprocess(self, text):
        return re.sub("[^A-Za-z]+", " ", text).lower()

    def _tokenize(self, text):
        return list(text)

    def build(self, raw_text, vocab=None):
        tokens = self._tokenize(self._preprocess(raw_text))
        if vocab is None:
            vocab = Vocab(tokens)
        corpus = [vocab[token] for token in tokens]
        return corpus, vocab

    def __init__(self, batch_size, num_steps, num_train=10000, num_val=5000):
        super().__init__()
        self.save_hyperparameters()
        check_counts(batch_size=batch_size, num_steps=num_steps, num_train=num_train)
        corpus, self.vocab = self.build(self._download())
        if len(corpus) - num_steps < num_train + num_val:
            raise ValueError(f"the text gives {len(corpus) - num_steps} windows of num_steps + 1 "
                             f"= {num_steps + 1} characters, fewer than num_train + num_val = "
                             f"{num_train + num_val}; ask for fewer")
        array = np.array([corpus[i:i + num_steps + 1] for i in range(len(corpus) - num_steps)])
        self.X, self.Y = array[:, :-1], array[:, 1:]

    def get_dataloader(self, train):
        idx = slice(0, self.num_train) if train else slice(
            self.num_train, self.num_train + self.num_val)
        return self.get_tensorloader([self.X, self.Y], train, idx)


class RNNScratch(Module):
    """The RNN layer from scratch (d2l ``RNNScratch``): ``H = tanh(X W_xh + H W_hh + b_h)``
    over the steps; returns every step's state and the last."""

    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__()
        self.save_hyperparameters()
        self.W_xh = np.random.randn(num_inputs, num_hiddens) * sigma
        self.W_hh = np.random.randn(num_hiddens, num_hiddens) * sigma
        self.b_h = np.zeros(num_hiddens)

    def forward(self, inputs, state=None):
        if state is None:
            state = np.zeros((inputs.shape[1], self.num_hiddens), ctx=inputs.ctx)
        else:
            state, = state
        outputs = []
        for X in inputs:  # inputs: (num_steps, batch_size, num_inputs)
            state = np.tanh(np.dot(X, self.W_xh) + np.dot(state, self.W_hh) + self.b_h)
            outputs.append(state)
        return outputs, state


def check_len(a, n):
    """A ``ValueError`` unless ``len(a) == n`` (d2l's asserts)."""
    if len(a) != n:
        raise ValueError(f"list's length {len(a)} != expected length {n}")


def check_shape(a, shape):
    """A ``ValueError`` unless ``a.shape == shape`` (d2l's asserts)."""
    if a.shape != shape:
        raise ValueError(f"tensor's shape {a.shape} != expected shape {shape}")


class RNNLMScratch(Classifier):
    """The RNN language model from scratch (d2l ``RNNLMScratch``): one-hot inputs, the
    ``rnn``'s states, a linear output layer; perplexity plotted while training."""

    def __init__(self, rnn, vocab_size, lr=0.01):
        super().__init__()
        self.save_hyperparameters()
        self.init_params()

    def init_params(self):
        self.W_hq = np.random.randn(self.rnn.num_hiddens, self.vocab_size) * self.rnn.sigma
        self.b_q = np.zeros(self.vocab_size)
        for param in self.get_scratch_params():
            param.attach_grad()

    def training_step(self, batch):
        l = self.loss(self(*batch[:-1]), batch[-1])
        self.plot("ppl", np.exp(l), train=True)
        return l

    def validation_step(self, batch):
        l = self.loss(self(*batch[:-1]), batch[-1])
        self.plot("ppl", np.exp(l), train=False)

    def one_hot(self, X):
        return npx.one_hot(X.T, self.vocab_size)  # (num_steps, batch_size, vocab_size)

    def output_layer(self, rnn_outputs):
        outputs = [np.dot(H, self.W_hq) + self.b_q for H in rnn_outputs]
        return np.stack(outputs, 1)

    def forward(self, X, state=None):
        embs = self.one_hot(X)
        rnn_outputs, _ = self.rnn(embs, state)
        return self.output_layer(rnn_outputs)

    def predict(self, prefix, num_preds, vocab, device=None):
        """``prefix`` and ``num_preds`` characters chosen greedily (d2l ``predict``; an empty
        prefix is a ``ValueError`` here, an ``IndexError`` there)."""
        if not len(prefix):
            raise ValueError("prefix must hold at least one character to start from")
        state, outputs = None, [vocab[prefix[0]]]
        for i in range(len(prefix) + num_preds - 1):
            X = np.array([[outputs[-1]]], ctx=device)
            rnn_outputs, state = self.rnn(self.one_hot(X), state)
            if i < len(prefix) - 1:  # warm-up
                outputs.append(vocab[prefix[i + 1]])
            else:
                Y = self.output_layer(rnn_outputs)
                outputs.append(int(Y.argmax(axis=2).reshape(1)))
        return "".join([vocab.idx_to_token[i] for i in outputs])


class RNN(Module):
    """The RNN layer with Gluon (d2l ``RNN``)."""

    def __init__(self, num_hiddens):
        super().__init__()
        self.save_hyperparameters()
        self.rnn = rnn.RNN(num_hiddens)

    def forward(self, inputs, H=None):
        if H is None:
            H, = self.rnn.begin_state(inputs.shape[1], ctx=inputs.ctx)
        outputs, (H, ) = self.rnn(inputs, (H, ))
        return outputs, H


class RNNLM(RNNLMScratch):
    """The RNN language model with Gluon's output layer (d2l ``RNNLM``)."""

    def init_params(self):
        self.linear = nn.Dense(self.vocab_size, flatten=False)
        self.initialize()

    def output_layer(self, hiddens):
        return self.linear(hiddens).swapaxes(0, 1)


class GRU(RNN):
    """A multilayer GRU with Gluon (d2l ``GRU``)."""

    def __init__(self, num_hiddens, num_layers, dropout=0):
        Module.__init__(self)
        self.save_hyperparameters()
        self.rnn = rnn.GRU(num_hiddens, num_layers, dropout=dropout)
