"""Generating text from a trained model.

:func:`predict_rnn` is d2l 8.5's greedy (maximum-likelihood) decoder (seed 003):
the prefix only warms up the hidden state, then each step feeds back the most
likely next token.
"""
from __future__ import annotations

from typing import Callable, Optional

import mxnet as mx
from mxnet import nd

from ._checks import check_counts
from .models.scratch import to_onehot


def predict_rnn(prefix: str, num_chars: int, rnn: Callable, params, init_rnn_state: Callable,
                num_hiddens: int, vocab, ctx: Optional[mx.Context] = None) -> str:
    """Extend ``prefix`` by ``num_chars`` greedily chosen tokens (d2l ``predict_rnn``).

    Characters of the prefix that are not in ``vocab`` map to ``<unk>`` and
    come back as ``'<unk>'`` in the result.
    """
    if not prefix:
        raise ValueError("prefix must hold at least one token to start the prediction from")
    if num_chars != 0:
        check_counts(num_chars=num_chars)
    state = init_rnn_state(1, num_hiddens, ctx)
    output = [vocab[prefix[0]]]
    for t in range(num_chars + len(prefix) - 1):
        X = to_onehot(nd.array([output[-1]], ctx=ctx), len(vocab))
        Y, state = rnn(X, state, params)
        if t < len(prefix) - 1:
            output.append(vocab[prefix[t + 1]])
        else:
            output.append(int(Y[0].argmax(axis=1).asscalar()))
    return "".join(str(vocab.idx_to_token[i]) for i in output)
