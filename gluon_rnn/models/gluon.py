"""Concise RNN language models on Gluon's recurrent layers (d2l's "Concise
Implementation of Recurrent Neural Networks").

:class:`RNNModel` wraps a ``gluon.rnn.RNN``/``GRU``/``LSTM`` layer (any number
of layers, bidirectional or not) with one-hot or embedding input and a dense
decoder, as ``d2l.RNNModel`` (0.9.2) does; it is a ``HybridBlock``, so
``model.hybridize()`` compiles it. With one-hot input and the same seeds it
computes exactly what d2l's model computes.
"""
from __future__ import annotations

from typing import Optional

from mxnet.gluon import nn


class RNNModel(nn.HybridBlock):
    """``RNNModel(rnn_layer, vocab_size)``: inputs ``(batch_size, num_steps)`` of
    token indices, outputs ``(num_steps * batch_size, vocab_size)`` scores (rows
    time-major, as d2l) and the new state.

    ``embed_size`` replaces the one-hot encoding by a learned embedding.
    ``dropout`` (training only) drops units of the embedding and of the recurrent
    layer's output, as Zaremba et al. regularise word-level LSTMs (pass the same
    ``dropout`` to the layer for its inner layers).
    """

    def __init__(self, rnn_layer, vocab_size: int, embed_size: Optional[int] = None,
                 dropout: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.rnn = rnn_layer
            self.embedding = nn.Embedding(vocab_size, embed_size) if embed_size else None
            self.dense = nn.Dense(vocab_size, flatten=False)
            self.drop = nn.Dropout(dropout) if dropout else None
        self.vocab_size = vocab_size

    def hybrid_forward(self, F, inputs, state):
        steps_first = F.transpose(inputs)
        X = self.embedding(steps_first) if self.embedding is not None \
            else F.one_hot(steps_first, self.vocab_size)
        if self.drop is not None:
            X = self.drop(X)
        Y, state = self.rnn(X, state)
        if self.drop is not None:
            Y = self.drop(Y)
        return F.reshape(self.dense(Y), shape=(-1, self.vocab_size)), state

    def begin_state(self, *args, **kwargs):
        """The recurrent layer's zero state (``batch_size=``, ``ctx=``)."""
        return self.rnn.begin_state(*args, **kwargs)
