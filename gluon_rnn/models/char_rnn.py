"""The Straight Dope character RNN (seed 002): ``nd`` + ``autograd`` from scratch.

Parameters ``Wxh, Whh, bh, Why, by`` drawn from N(0, 1) times 0.01; one-hot
inputs; ``softmax`` with a temperature; per-step cross-entropy averaged over
the sequence. Where ours differs from the seed: the character list is sorted
(``set`` order changes from run to run), the softmax maximum is taken per row
(the seed took the maximum over the whole batch), and the one-hot batches are
built lazily (see :func:`char_batches`) instead of all at once.
"""
from __future__ import annotations

from typing import Iterator, List, Optional, Sequence, Tuple

import mxnet as mx
import numpy as np
from mxnet import nd

from .._checks import check_counts


def character_list(text: str) -> List[str]:
    """The corpus's distinct characters, sorted: index ``i`` is character ``i``."""
    return sorted(set(text))


def encode_chars(text: str, characters: Sequence[str]) -> np.ndarray:
    """The seed's ``time_numerical`` as a compact int32 array (4 bytes a character,
    not a Python list of ints); characters outside ``characters`` are an error."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    lookup = np.full(max(max(map(ord, characters)), int(codes.max(initial=0))) + 1, -1, np.int32)
    lookup[[ord(c) for c in characters]] = np.arange(len(characters), dtype=np.int32)
    encoded = lookup[codes]
    if (encoded < 0).any():
        missing = sorted({text[i] for i in np.nonzero(encoded < 0)[0][:20]})
        raise ValueError(f"characters {missing} are not in the character list")
    return encoded


def one_hots(numerical_list: Sequence[int], vocab_size: int,
             ctx: Optional[mx.Context] = None) -> List[nd.NDArray]:
    """One ``(1, vocab_size)`` one-hot row per index (the seed's ``one_hots``)."""
    rows = nd.one_hot(nd.array(list(numerical_list), ctx=ctx), vocab_size)
    return [rows[i:i + 1] for i in range(len(numerical_list))]


def textify(vector_list: Sequence[nd.NDArray], characters: Sequence[str]) -> str:
    """The characters of a list of ``(1, vocab_size)`` rows (argmax of each)."""
    return "".join(characters[int(v[0].argmax(axis=0).asscalar())] for v in vector_list)


def char_batches(time_numerical: Sequence[int], seq_length: int, batch_size: int,
                 vocab_size: int, ctx: Optional[mx.Context] = None
                 ) -> Iterator[Tuple[List[nd.NDArray], List[nd.NDArray]]]:
    """The seed's stacked batches, one at a time: ``(data, labels)``, each a list of
    ``seq_length`` one-hot ``(batch_size, vocab_size)`` arrays.

    The corpus is cut into ``seq_length`` sequences; row ``r`` reads the ``r``-th
    of ``batch_size`` equal runs of sequences, so row ``r`` of batch ``i + 1``
    continues row ``r`` of batch ``i``; labels are the inputs shifted by one
    character. Only the current batch is ever one-hot encoded.
    """
    check_counts(seq_length=seq_length, batch_size=batch_size)
    corpus = np.asarray(time_numerical)
    num_sequences = (len(corpus) - 1) // seq_length
    per_row = num_sequences // batch_size
    if per_row < 1:
        raise ValueError(f"corpus of {len(corpus)} characters is too short for batch_size="
                         f"{batch_size} x seq_length={seq_length}")
    steps = np.arange(seq_length)
    for i in range(per_row):
        starts = (np.arange(batch_size) * per_row + i) * seq_length
        idx = starts[:, None] + steps                      # (batch_size, seq_length)
        X = nd.one_hot(nd.array(corpus[idx].T, ctx=ctx), vocab_size)
        Y = nd.one_hot(nd.array(corpus[idx + 1].T, ctx=ctx), vocab_size)
        yield list(X), list(Y)


def num_char_batches(corpus_len: int, seq_length: int, batch_size: int) -> int:
    return ((corpus_len - 1) // seq_length) // batch_size


def get_params(num_inputs: int, num_hidden: int, num_outputs: int,
               ctx: Optional[mx.Context] = None) -> List[nd.NDArray]:
    """``[Wxh, Whh, bh, Why, by]``, N(0, 1) * 0.01, gradients attached."""
    shapes = [(num_inputs, num_hidden), (num_hidden, num_hidden), (num_hidden,),
              (num_hidden, num_outputs), (num_outputs,)]
    params = [nd.random_normal(shape=shape, ctx=ctx or mx.cpu()) * .01 for shape in shapes]
    for param in params:
        param.attach_grad()
    return params


def softmax(y_linear: nd.NDArray, temperature: float = 1.0) -> nd.NDArray:
    """Row-wise softmax of ``y_linear / temperature`` (low temperature sharpens,
    high flattens)."""
    lin = (y_linear - nd.max(y_linear, axis=1, keepdims=True)) / temperature
    exp = nd.exp(lin)
    return exp / nd.sum(exp, axis=1, keepdims=True)


def simple_rnn(inputs: Sequence[nd.NDArray], state: nd.NDArray, params: Sequence[nd.NDArray],
               temperature: float = 1.0) -> Tuple[List[nd.NDArray], nd.NDArray]:
    """``h_t = tanh(X_t Wxh + h_{t-1} Whh + bh)``, ``yhat_t = softmax(h_t Why + by)``."""
    Wxh, Whh, bh, Why, by = params
    outputs, h = [], state
    for X in inputs:
        h = nd.tanh(nd.dot(X, Wxh) + nd.dot(h, Whh) + bh)
        outputs.append(softmax(nd.dot(h, Why) + by, temperature=temperature))
    return outputs, h


def cross_entropy(yhat: nd.NDArray, y: nd.NDArray) -> nd.NDArray:
    """Mean over the batch of ``-sum(y * log(yhat))``."""
    return -nd.mean(nd.sum(y * nd.log(yhat), axis=0, exclude=True))


def average_ce_loss(outputs: Sequence[nd.NDArray], labels: Sequence[nd.NDArray]) -> nd.NDArray:
    """Cross-entropy averaged over the time steps."""
    if len(outputs) != len(labels):
        raise ValueError(f"{len(outputs)} outputs but {len(labels)} labels")
    total = cross_entropy(outputs[0], labels[0])
    for output, label in zip(outputs[1:], labels[1:]):
        total = total + cross_entropy(output, label)
    return total / len(outputs)


def SGD(params: Sequence[nd.NDArray], lr: float) -> None:
    """``param -= lr * grad`` in place."""
    for param in params:
        param[:] = param - lr * param.grad


class StraightDopeRNN:
    """The seed's globals (parameters, character list, context) in one object, so its
    functions keep their signatures: ``simple_rnn(inputs, state, temperature=1.0)``
    and ``sample(prefix, num_chars, temperature=1.0)``."""

    def __init__(self, characters: Sequence[str], num_hidden: int = 256,
                 ctx: Optional[mx.Context] = None, params: Optional[List[nd.NDArray]] = None,
                 seed: Optional[int] = None):
        self.characters, self.num_hidden, self.ctx = list(characters), num_hidden, ctx
        self.rng = np.random.RandomState(seed)
        self.params = params if params is not None else get_params(
            len(self.characters), num_hidden, len(self.characters), ctx)

    def simple_rnn(self, inputs, state, temperature: float = 1.0):
        return simple_rnn(inputs, state, self.params, temperature)

    def sample(self, prefix: str, num_chars: int, temperature: float = 1.0) -> str:
        from ..sampling import sample_chars
        return sample_chars(prefix, num_chars, self.params, self.characters, temperature,
                            self.rng, self.ctx)
