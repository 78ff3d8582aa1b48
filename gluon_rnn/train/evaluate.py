"""Held-out evaluation: perplexity of a Gluon or from-scratch model on text it never
trained on (consecutive batches from offset 0, the state carried, no gradients)."""
from __future__ import annotations

import math
from typing import Optional, Sequence

import mxnet as mx
from mxnet.gluon import loss as gloss

from ..data.batches import data_iter_consecutive
from ..data.corpora import split_held_out
from ..models.scratch import step_scores


def perplexity(loss_sum: float, num_tokens: int) -> float:
    """``exp`` of the mean cross-entropy (``inf`` past float range, as a diverged
    model's is); a clear error when nothing was counted."""
    if num_tokens <= 0:
        raise ValueError("perplexity of zero tokens is undefined: no batch was evaluated")
    try:
        return math.exp(loss_sum / num_tokens)
    except OverflowError:
        return math.inf


# A model whose perplexity exceeds this many times the vocabulary size (a uniform guess
# scores exactly the vocabulary size) is worse than knowing nothing: its loss may still
# be finite (an lr of 1e4 or 1e30 saturates every tanh), but what it learned is useless.
DIVERGED_FACTOR = 2.0


def diverged(perplexity_value: float, vocab_size: int) -> bool:
    """Whether a perplexity (NaN and ``inf`` included) says training diverged."""
    return not perplexity_value <= DIVERGED_FACTOR * vocab_size


class Diverged(ValueError):
    """Training left the model worse than a uniform guess (the loss may be finite)."""


def check_diverged(perplexity_value: float, vocab_size: int, tokens: str, advice: str,
                   when: str = "") -> None:
    """The one divergence rule of every training loop (``gluon-rnn train`` and ``compare``,
    the WildML RNNLM, The Straight Dope): raise :class:`Diverged` when :func:`diverged`,
    saying ``when`` (" in epoch 3") and what to do (``advice``)."""
    if diverged(perplexity_value, vocab_size):
        raise Diverged(f"training diverged{when}: perplexity {perplexity_value:.4g} is worse "
                       f"than guessing uniformly among the {vocab_size} {tokens}{advice}")


def split_corpus(corpus_indices: Sequence[int], valid_fraction: float = 0.1):
    """``(train, valid)`` indices: :func:`~gluon_rnn.data.corpora.split_held_out`."""
    return split_held_out(corpus_indices, valid_fraction)


def evaluate_perplexity(model, corpus_indices: Sequence[int], vocab_size: int, batch_size: int,
                        num_steps: int, ctx: Optional[mx.Context] = None) -> float:
    """Perplexity of ``model`` on held-out ``corpus_indices``: consecutive batches
    from offset 0, the state carried across them, no gradients.

    ``model(X, state) -> (outputs, state)`` is a Gluon :class:`RNNModel` (with
    ``begin_state``), or a from-scratch triple ``(rnn, params, init_rnn_state)``
    with ``num_hiddens`` as a fourth element.
    """
    forward, state = _evaluation_model(model, vocab_size, batch_size, ctx)
    loss = gloss.SoftmaxCrossEntropyLoss()
    l_sum, n = 0.0, 0
    for X, Y in data_iter_consecutive(corpus_indices, batch_size, num_steps, ctx, offset=0):
        output, state = forward(X, state)
        y = Y.T.reshape((-1,))
        l_sum += float(loss(output, y).sum().asscalar())
        n += y.size
    return perplexity(l_sum, n)


def _evaluation_model(model, vocab_size, batch_size, ctx):
    if isinstance(model, tuple):
        rnn, params, init_rnn_state, num_hiddens = model
        return (lambda X, state: step_scores(rnn, X, state, params, vocab_size),
                init_rnn_state(batch_size, num_hiddens, ctx))
    return model, model.begin_state(batch_size=batch_size, ctx=ctx)
