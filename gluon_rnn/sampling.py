"""Generating text from a trained model.

:func:`predict_rnn` is d2l 8.5's greedy (maximum-likelihood) decoder (seed 003):
the prefix only warms up the hidden state, then each step feeds back the most
likely next token.
"""
from __future__ import annotations

from typing import Callable, List, Optional, Sequence

import numpy as np

import mxnet as mx
from mxnet import nd

from ._checks import check_counts, check_rates
from .models.scratch import to_onehot


def _decode(prefix: Sequence, num_tokens: int, vocab, state, step: Callable,
            choose: Callable[[nd.NDArray], int]) -> list:
    """Feed ``prefix`` token by token (only warming up the state), then feed back
    ``choose(scores)`` ``num_tokens`` times; return all tokens, prefix included
    (unknown prefix tokens come back as ``<unk>``). ``step(index, state) ->
    (scores, state)`` with ``scores`` of shape ``(1, len(vocab))``."""
    if not len(prefix):
        raise ValueError("prefix must hold at least one token to start the prediction from")
    if num_tokens != 0:
        check_counts(num_tokens=num_tokens)
    output = [vocab[prefix[0]]]
    for t in range(num_tokens + len(prefix) - 1):
        Y, state = step(output[-1], state)
        output.append(vocab[prefix[t + 1]] if t < len(prefix) - 1 else choose(Y))
    return [vocab.idx_to_token[i] for i in output]


def _argmax(scores: nd.NDArray) -> int:
    return int(scores.argmax(axis=1).asscalar())


def _greedy(prefix: str, num_chars: int, vocab, state, step: Callable) -> str:
    """The d2l greedy decoder over characters: the prefix, then the argmax fed back."""
    if num_chars != 0:
        check_counts(num_chars=num_chars)
    return "".join(str(token) for token in _decode(prefix, num_chars, vocab, state, step, _argmax))


def predict_rnn(prefix: str, num_chars: int, rnn: Callable, params, init_rnn_state: Callable,
                num_hiddens: int, vocab, ctx: Optional[mx.Context] = None) -> str:
    """Extend ``prefix`` by ``num_chars`` greedily chosen tokens (d2l ``predict_rnn``).

    Characters of the prefix that are not in ``vocab`` map to ``<unk>`` and
    come back as ``'<unk>'`` in the result.
    """
    def step(index, state):
        outputs, state = rnn(to_onehot(nd.array([index], ctx=ctx), len(vocab)), state, params)
        return outputs[0], state
    return _greedy(prefix, num_chars, vocab, init_rnn_state(1, num_hiddens, ctx), step)


def predict_rnn_gluon(prefix: str, num_chars: int, model, vocab,
                      ctx: Optional[mx.Context] = None) -> str:
    """Greedy continuation with a Gluon :class:`~gluon_rnn.models.gluon.RNNModel`
    (d2l ``predict_rnn_gluon``)."""
    def step(index, state):
        return model(nd.array([index], ctx=ctx).reshape((1, 1)), state)
    return _greedy(prefix, num_chars, vocab, model.begin_state(batch_size=1, ctx=ctx), step)


def generate_sentence(model, index_to_word: Sequence[str], word_to_index: dict,
                      min_length: int = 1, max_length: int = 100,
                      rng: Optional[np.random.RandomState] = None, seed: Optional[int] = None,
                      max_tries: int = 1000) -> List[str]:
    """A sentence sampled word by word from the model's softmax (WildML, seed 000).

    Starts from ``SENTENCE_START`` and samples until ``SENTENCE_END``; the unknown
    token is never emitted (its probability is set to zero and the rest
    renormalised, which equals the tutorial's re-drawing), nor, unlike the
    tutorial, a second ``SENTENCE_START``. A sentence longer than
    ``max_length`` words or shorter than ``min_length`` is discarded and drawn
    again, at most ``max_tries`` times. Returns the words without the markers.
    """
    from .text import SENTENCE_END, SENTENCE_START, UNKNOWN_TOKEN

    check_counts(min_length=min_length, max_length=max_length, max_tries=max_tries)
    if min_length > max_length:
        raise ValueError(f"min_length {min_length} exceeds max_length {max_length}")
    rng = rng if rng is not None else np.random.RandomState(seed)
    start, end = word_to_index[SENTENCE_START], word_to_index[SENTENCE_END]
    unknown = word_to_index.get(UNKNOWN_TOKEN)
    for _ in range(max_tries):
        sentence = [start]
        while sentence[-1] != end and len(sentence) <= max_length + 1:
            probs = np.array(model.forward_propagation(sentence)[0][-1], dtype=np.float64)
            probs[start] = 0.0
            if unknown is not None:
                probs[unknown] = 0.0
            sentence.append(int(rng.choice(len(probs), p=probs / probs.sum())))
        words = sentence[1:-1]
        if sentence[-1] == end and min_length <= len(words) <= max_length:
            return [index_to_word[i] for i in words]
    raise RuntimeError(f"no sentence of {min_length} to {max_length} words in {max_tries} tries; "
                       "train the model longer or widen the length limits")


def sample_chars(prefix: str, num_chars: int, params, characters: Sequence[str],
                 temperature: float = 1.0, rng: Optional[np.random.RandomState] = None,
                 ctx: Optional[mx.Context] = None) -> str:
    """The Straight Dope ``sample`` (seed 002): run the prefix through the RNN, then
    draw ``num_chars`` characters one at a time from the softmax at ``temperature``
    (low: nearly greedy; high: nearly uniform). ``rng`` makes it repeatable."""
    from .models.char_rnn import one_hots, simple_rnn

    if not prefix:
        raise ValueError("prefix must hold at least one character")
    index = {char: i for i, char in enumerate(characters)}
    unknown = sorted(set(prefix) - set(index))
    if unknown:
        raise ValueError(f"prefix characters {unknown} are not in the corpus's character list")
    rng = rng if rng is not None else np.random.RandomState()
    state = nd.zeros(shape=(1, params[1].shape[0]), ctx=ctx)
    inputs = one_hots([index[c] for c in prefix], len(characters), ctx)
    text = prefix
    for _ in range(num_chars):
        outputs, state = simple_rnn(inputs, state, params, temperature=temperature)
        probs = outputs[-1][0].asnumpy().astype(np.float64)
        choice = int(rng.choice(len(characters), p=probs / probs.sum()))
        text += characters[choice]
        inputs = one_hots([choice], len(characters), ctx)
    return text


def _sampler(temperature: float, rng: np.random.RandomState,
             banned: int) -> Callable[[nd.NDArray], int]:
    """Draw an index from ``softmax(scores / temperature)`` (float64, max-shifted),
    never ``banned`` (its probability set to zero and the rest renormalised)."""
    check_rates(temperature=temperature)

    def choose(scores: nd.NDArray) -> int:
        logits = scores.asnumpy()[0].astype(np.float64) / temperature
        logits[banned] = -np.inf
        probs = np.exp(logits - logits.max())
        return int(rng.choice(len(probs), p=probs / probs.sum()))
    return choose


def generate_text(model, vocab, prefix: str, num_tokens: int, level: str = "char",
                  temperature: Optional[float] = None, rng: Optional[np.random.RandomState] = None,
                  ctx: Optional[mx.Context] = None) -> str:
    """Continue ``prefix`` by ``num_tokens`` tokens with a model of ``gluon-rnn train``:
    greedily (d2l's ``predict_rnn_gluon``) when ``temperature`` is ``None``, else
    sampled at that temperature, never drawing ``<unk>`` (as WildML's generator
    never draws its unknown token). ``level='word'`` splits the prefix into words as
    training did and joins the result with spaces."""
    from .corpora import word_tokens

    tokens = list(prefix) if level == "char" else word_tokens(prefix)
    choose = _argmax if temperature is None else \
        _sampler(temperature, rng if rng is not None else np.random.RandomState(), vocab.unk)

    def step(index, state):
        return model(nd.array([index], ctx=ctx).reshape((1, 1)), state)
    out = _decode(tokens, num_tokens, vocab, model.begin_state(batch_size=1, ctx=ctx), step, choose)
    return ("" if level == "char" else " ").join(str(token) for token in out)


def unknown_tokens(prefix: str, vocab, level: str = "char") -> List[str]:
    """The tokens of ``prefix`` (split as :func:`generate_text` splits it) that
    ``vocab`` lacks, each once, in order."""
    from .corpora import word_tokens

    tokens = list(prefix) if level == "char" else word_tokens(prefix)
    return list(dict.fromkeys(t for t in tokens if t not in vocab))
