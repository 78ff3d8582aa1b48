"""The from-scratch RNN of d2l 8.5 (seed 003): ``nd`` parameters, ``autograd``.

Functions keep the chapter's names and signatures so chapter code can call them
unchanged; each creates its arrays on the ``ctx`` it is given.
"""
from __future__ import annotations

from typing import Callable, List, Optional, Sequence, Tuple

import mxnet as mx
from mxnet import nd

State = Tuple[nd.NDArray, ...]
Params = List[nd.NDArray]


def to_onehot(X: nd.NDArray, size: int) -> List[nd.NDArray]:
    """Split a ``(batch_size, num_steps)`` index batch into ``num_steps`` one-hot
    matrices of shape ``(batch_size, size)`` (d2l ``to_onehot``)."""
    return [nd.one_hot(x, size) for x in X.T]


def init_rnn_state(batch_size: int, num_hiddens: int, ctx: Optional[mx.Context] = None) -> State:
    """The zero hidden state, as a one-element tuple (d2l ``init_rnn_state``)."""
    return (nd.zeros(shape=(batch_size, num_hiddens), ctx=ctx),)


def get_params(num_inputs: int, num_hiddens: int, num_outputs: int,
               ctx: Optional[mx.Context] = None) -> Params:
    """The chapter's five parameters ``[W_xh, W_hh, b_h, W_hq, b_q]``, weights drawn
    from N(0, 0.01^2) with MXNet's generator in the chapter's order, with gradients
    attached."""
    def _one(shape):
        return nd.random.normal(scale=0.01, shape=shape, ctx=ctx)

    params = [_one((num_inputs, num_hiddens)), _one((num_hiddens, num_hiddens)),
              nd.zeros(num_hiddens, ctx=ctx),
              _one((num_hiddens, num_outputs)), nd.zeros(num_outputs, ctx=ctx)]
    for param in params:
        param.attach_grad()
    return params


def params_factory(vocab_size: int, num_hiddens: int,
                   ctx: Optional[mx.Context] = None) -> Callable[[], Params]:
    """A zero-argument ``get_params`` for :func:`train_and_predict_rnn`, as the
    chapter defines it (inputs and outputs of size ``len(vocab)``)."""
    return lambda: get_params(vocab_size, num_hiddens, vocab_size, ctx)


def rnn(inputs: Sequence[nd.NDArray], state: State, params: Params) -> Tuple[List[nd.NDArray], State]:
    """One tanh layer over ``num_steps`` inputs (d2l 8.5 ``rnn``).

    ``H_t = tanh(X_t W_xh + H_{t-1} W_hh + b_h)``, ``Y_t = H_t W_hq + b_q``.
    Returns the list of outputs and the new state tuple.
    """
    W_xh, W_hh, b_h, W_hq, b_q = params
    H, = state
    outputs = []
    for X in inputs:
        H = nd.tanh(nd.dot(X, W_xh) + nd.dot(H, W_hh) + b_h)
        outputs.append(nd.dot(H, W_hq) + b_q)
    return outputs, (H,)
