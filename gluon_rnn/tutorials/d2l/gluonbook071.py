"""The Chinese edition's helper before d2lzh, ``gluonbook==0.7.1`` (d2l-zh v0.7, 2018),
recurrent-network names: ``import gluonbook as gb`` in the chapter's pages ``rnn``,
``rnn-gluon``, ``gru`` and ``lstm``. ``gluonbook_compat`` re-exports this module.

gluonbook's RNN API is its own: ``rnn(inputs, state_h, *params)`` (and ``state_c`` with
``is_lstm=True``), inputs made by the page's ``get_inputs``, the prefix lower-cased, and
training on the loss summed over the minibatch's tokens with ``sgd(params, lr, 1)``; its
iterators are d2lzh's (no start offset; :mod:`.base.from_start`). Faithful: under the same
``random.seed`` and ``mx.random.seed`` the same batches, printed lines and predictions.
Minus its crashes: a prefix character outside the corpus (``KeyError``), a
``pred_period`` of 0 (``ZeroDivisionError``) or a corpus too short for a batch (nothing
trained, perplexity ``nan``) is a ``ValueError`` naming it; a rate that is not a
positive number is refused.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Optional, Sequence

import mxnet as mx
from mxnet import autograd, nd
from mxnet.gluon import loss as gloss

from ..._checks import check_counts, check_rates
from ...models.scratch import to_onehot
from .base import (
    check_fits,
    data_iter_consecutive,
    data_iter_random,
    lazy_plt,
    semilogy,
    set_figsize,
    sgd,
    try_all_gpus,
    try_gpu,
)
from .base import grad_clipping as clip_gradients

__version__ = "0.7.1"  # the gluonbook release whose behaviour this module follows

__all__ = [
    "data_iter_consecutive", "data_iter_random", "grad_clipping", "predict_rnn", "semilogy",
    "set_figsize", "sgd", "to_onehot", "train_and_predict_rnn", "try_all_gpus", "try_gpu",
]


def grad_clipping(params: Sequence[nd.NDArray], theta: Optional[float],
                  ctx: Optional[mx.Context]) -> None:
    """The gradients rescaled to a joint L2 norm of at most ``theta``; none when
    ``theta`` is ``None`` (gluonbook ``grad_clipping``)."""
    if theta is not None:
        clip_gradients(params, theta, ctx)


def _index(char_to_idx: Dict[str, int], char: str) -> int:
    try:
        return char_to_idx[char]
    except KeyError:
        raise ValueError(f"prefix character {char!r} is not in the corpus's "
                         f"{len(char_to_idx)} characters") from None


def _zeros(is_lstm: bool, batch_size: int, num_hiddens: int, ctx) -> List[nd.NDArray]:
    """The hidden state (and, for an LSTM, the memory cell) as gluonbook starts them."""
    return [nd.zeros(shape=(batch_size, num_hiddens), ctx=ctx) for _ in range(1 + is_lstm)]


def predict_rnn(rnn: Callable, prefix: str, num_chars: int, params, num_hiddens: int,
                vocab_size: int, ctx, idx_to_char: Sequence[str], char_to_idx: Dict[str, int],
                get_inputs: Callable, is_lstm: bool = False) -> str:
    """The lower-cased ``prefix`` fed one character at a time, then the most likely
    character each step: ``num_chars + 1`` of them, as gluonbook's loop runs
    ``num_chars + len(prefix)`` steps (gluonbook ``predict_rnn``)."""
    prefix = prefix.lower()
    state = _zeros(is_lstm, 1, num_hiddens, ctx)
    output = [_index(char_to_idx, prefix[0])]
    for i in range(num_chars + len(prefix)):
        X = nd.array([output[-1]], ctx=ctx)
        Y, *state = rnn(get_inputs(X, vocab_size), *state, *params)
        if i < len(prefix) - 1:
            output.append(_index(char_to_idx, prefix[i + 1]))
        else:
            output.append(int(Y[0].argmax(axis=1).asscalar()))
    return "".join(idx_to_char[i] for i in output)


def train_and_predict_rnn(rnn: Callable, is_random_iter: bool, num_epochs: int,
                          num_steps: int, num_hiddens: int, lr: float, clipping_theta,
                          batch_size: int, vocab_size: int, pred_period: int, pred_len: int,
                          prefixes: Sequence[str], get_params: Callable, get_inputs: Callable,
                          ctx, corpus_indices, idx_to_char, char_to_idx,
                          is_lstm: bool = False) -> None:
    """Train with the loss summed over each minibatch's tokens, the gradients clipped to
    ``clipping_theta`` and ``sgd(params, lr, 1)``; every ``pred_period`` epochs print the
    epoch's perplexity (``exp`` of the float32 mean loss) and a prediction for each
    prefix (gluonbook ``train_and_predict_rnn``). The state starts at zero for each
    random minibatch, or once an epoch and is detached for consecutive ones."""
    check_counts(pred_period=pred_period)
    check_rates(lr=lr)
    check_fits(len(corpus_indices), batch_size, num_steps, is_random_iter)
    data_iter = data_iter_random if is_random_iter else data_iter_consecutive
    params = get_params()
    loss = gloss.SoftmaxCrossEntropyLoss()
    for epoch in range(1, num_epochs + 1):
        state = _zeros(is_lstm, batch_size, num_hiddens, ctx)
        train_l_sum, train_l_cnt = nd.array([0], ctx=ctx), 0
        for X, Y in data_iter(corpus_indices, batch_size, num_steps, ctx):
            state = _zeros(is_lstm, batch_size, num_hiddens, ctx) if is_random_iter \
                else [s.detach() for s in state]
            with autograd.record():
                outputs, *state = rnn(get_inputs(X, vocab_size), *state, *params)
                l = loss(nd.concat(*outputs, dim=0), Y.T.reshape((-1,)))
            l.backward()
            grad_clipping(params, clipping_theta, ctx)
            sgd(params, lr, 1)
            train_l_sum = train_l_sum + l.sum()
            train_l_cnt += l.size
        if epoch % pred_period == 0:
            print("\nepoch %d, perplexity %f"
                  % (epoch, (train_l_sum / train_l_cnt).exp().asscalar()))
            for prefix in prefixes:
                print(" - ", predict_rnn(rnn, prefix, pred_len, params, num_hiddens,
                                         vocab_size, ctx, idx_to_char, char_to_idx,
                                         get_inputs, is_lstm))


__getattr__ = lazy_plt("gluonbook", __version__)
