"""Generating text from a trained model: one decoder (the prefix only warms up the
hidden state, then each step feeds back a chosen token), greedy as d2l's
``predict_rnn`` is (:func:`greedy_text`) or drawn with a temperature
(:func:`generate_text`, what ``gluon-rnn generate`` runs).
"""
from __future__ import annotations

from typing import Callable, Iterator, List, Optional, Sequence

import mxnet as mx
import numpy as np
from mxnet import nd

from ._checks import check_counts, check_rates
from .data.text import char_tokens, word_tokens


def _decode(prefix: Sequence, num_tokens: int, vocab, state, step: Callable,
            choose: Callable[[nd.NDArray], int]) -> Iterator:
    """Feed ``prefix`` token by token (only warming up the state), then feed back
    ``choose(scores)`` ``num_tokens`` times; yield every token as soon as it is known,
    prefix included (unknown prefix tokens come back as ``<unk>``). ``step(index,
    state) -> (scores, state)`` with ``scores`` of shape ``(1, len(vocab))``. Checks
    run before the first token, not when the generator is first advanced."""
    if not len(prefix):
        raise ValueError("prefix must hold at least one token to start the prediction from")
    if num_tokens != 0:
        check_counts(num_tokens=num_tokens)

    def tokens(current):
        index = vocab[prefix[0]]
        yield vocab.idx_to_token[index]
        for t in range(num_tokens + len(prefix) - 1):
            Y, current = step(index, current)
            index = vocab[prefix[t + 1]] if t < len(prefix) - 1 else choose(Y)
            yield vocab.idx_to_token[index]
    return tokens(state)


def _argmax(scores: nd.NDArray) -> int:
    return int(scores.argmax(axis=1).asscalar())


def greedy_text(prefix: str, num_chars: int, vocab, state, step: Callable) -> str:
    """The greedy decoder over characters (d2l's ``predict_rnn``): the prefix, then
    the most likely next token fed back ``num_chars`` times, joined."""
    if num_chars != 0:
        check_counts(num_chars=num_chars)
    return "".join(str(token) for token in _decode(prefix, num_chars, vocab, state, step, _argmax))


def draw(weights, rng: np.random.RandomState, banned: Sequence[Optional[int]] = ()) -> int:
    """The one sampling step of every decoder: an index drawn with probability
    proportional to ``weights`` (renormalised in float64), never one of ``banned`` (its
    weight set to zero and the rest renormalised, which is what drawing again until
    another comes gives: WildML's tutorial re-draws its unknown token). A NaN, infinite
    or negative weight is a ``ValueError``: the model's numbers are broken."""
    probs = np.array(weights, dtype=np.float64).ravel()
    probs[[i for i in banned if i is not None]] = 0.0
    if not np.isfinite(probs).all() or (probs < 0).any():
        raise ValueError("the model gives probabilities that are not finite (NaN or infinite): "
                         "its parameters are broken; retrain it, or use another model file")
    total = probs.sum()
    if not total > 0:
        raise ValueError("the model gives every token it may draw a probability of 0")
    return int(rng.choice(len(probs), p=probs / total))


def _sampler(temperature: float, rng: np.random.RandomState,
             banned: int) -> Callable[[nd.NDArray], int]:
    """Draw an index from ``softmax(scores / temperature)`` (float64, max-shifted),
    never ``banned``."""
    check_rates(temperature=temperature)

    def choose(scores: nd.NDArray) -> int:
        values = scores.asnumpy()[0].astype(np.float64)
        if not np.isfinite(values).all():
            return draw(values, rng)  # the model's own scores are broken: say so
        with np.errstate(over="ignore", invalid="ignore"):
            logits = values / temperature
        if not np.isfinite(logits).all():  # so low a temperature that it overflowed: shift first
            with np.errstate(over="ignore", divide="ignore"):
                logits = (values - values.max()) / temperature
        logits[banned] = -np.inf  # the same as banning it in draw, and the max without it
        return draw(np.exp(logits - logits.max()), rng)
    return choose


def generate_text(model, vocab, prefix: str, num_tokens: int, level: str = "char",
                  temperature: Optional[float] = None, rng: Optional[np.random.RandomState] = None,
                  ctx: Optional[mx.Context] = None) -> str:
    """Continue ``prefix`` by ``num_tokens`` tokens with a model of ``gluon-rnn train``:
    greedily (d2l's ``predict_rnn_gluon``) when ``temperature`` is ``None``, else
    sampled at that temperature, never drawing ``<unk>`` (as WildML's generator
    never draws its unknown token). ``level='word'`` splits the prefix into words as
    training did and joins the result with spaces."""
    return "".join(stream_text(model, vocab, prefix, num_tokens, level, temperature, rng, ctx))


def stream_text(model, vocab, prefix: str, num_tokens: int, level: str = "char",
                temperature: Optional[float] = None, rng: Optional[np.random.RandomState] = None,
                ctx: Optional[mx.Context] = None) -> Iterator[str]:
    """:func:`generate_text` as it is generated: the pieces (a character, or a word
    with the space before it) that joined give its text, each as soon as it is
    drawn, so that a long generation can be printed while it runs, in constant memory.
    A prefix with tokens outside ``vocab`` is refused (:func:`check_prefix`)."""
    tokens = check_prefix(prefix, vocab, level)
    choose = _argmax if temperature is None else \
        _sampler(temperature, rng if rng is not None else np.random.RandomState(), vocab.unk)

    def step(index, state):
        return model(nd.array([index], ctx=ctx).reshape((1, 1)), state)
    decoded = _decode(tokens, num_tokens, vocab, model.begin_state(batch_size=1, ctx=ctx), step,
                      choose)
    separator = "" if level == "char" else " "
    return (("" if i == 0 else separator) + str(token) for i, token in enumerate(decoded))


def unknown_tokens(prefix: str, vocab, level: str = "char") -> List[str]:
    """The tokens of ``prefix`` (split as :func:`generate_text` splits it) that
    ``vocab`` lacks, each once, in order."""
    return list(dict.fromkeys(t for t in _tokens(prefix, level) if t not in vocab))


def check_prefix(prefix: str, vocab, level: str = "char") -> List[str]:
    """``prefix``'s tokens, or a ``ValueError`` naming those ``vocab`` lacks (a model can
    only be warmed up on tokens it knows; d2l would feed ``<unk>`` in silence)."""
    unknown = unknown_tokens(prefix, vocab, level)
    if unknown:
        raise ValueError(f"prefix {level}s {unknown} are not in the model's vocabulary of "
                         f"{len(vocab)} tokens")
    return _tokens(prefix, level)


def default_prefix(indices: Sequence[int], vocab, level: str = "char") -> str:
    """What a sample starts from when no prefix is given: the corpus's first ten
    characters, or its first three words."""
    tokens = [vocab.idx_to_token[i] for i in indices[:10 if level == "char" else 3]]
    return ("" if level == "char" else " ").join(tokens)


def _tokens(prefix: str, level: str) -> List[str]:
    """``prefix`` split as training split its corpus at ``level``."""
    return char_tokens(prefix) if level == "char" else word_tokens(prefix)
