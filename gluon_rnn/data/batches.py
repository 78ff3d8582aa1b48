"""Minibatches of (X, Y) from a token-index sequence: random and consecutive
(sequential) partitioning, as in d2l's "Recurrent Neural Networks from Scratch".

A corpus of 26 tokens ``a b c ... z``, ``batch_size=2``, ``num_steps=3``, offset 1::

    random: windows of 3 from the offset, shuffled, 2 per batch (Y = X shifted by 1)
        windows   bcd efg hij klm nop qrs tuv   (3 batches; the rest is dropped)
        batch 1   X = [klm]  Y = [lmn]      batch 2   X = [bcd]  Y = [cde]
                      [tuv]      [uvw]                    [hij]      [ijk]
        every window starts a fresh hidden state

    consecutive: the corpus cut into 2 rows, read 3 columns at a time
        row 0     b c d e f g h i j k l m
        row 1     n o p q r s t u v w x y
        batch 1   X = [bcd]  Y = [cde]      batch 2   X = [efg]  Y = [fgh]
                      [nop]      [opq]                    [qrs]      [rst]
        row r of batch i + 1 continues row r of batch i: the state carries over

Two building blocks cut any such layout: :func:`window_batches` (windows at given
starts, in the given order) and :func:`row_batches` (rows of a given length from an
offset). The helper generations of the books differ only in how they choose the offset,
how many windows or columns they use and how they shuffle (``gluon_rnn.tutorials.d2l``
builds each on these blocks, with its own size rule).

The library's own partitioning (:func:`data_iter_random`, :func:`data_iter_consecutive`,
used by ``gluon-rnn train`` and ``compare``) is that of ``d2l==0.9.2``: an offset drawn
from ``rng`` (default: the :mod:`random` module) as ``int(rng.uniform(0, num_steps))``,
unless the caller gives one (evaluation reads from offset 0 and draws nothing). After the
same ``random.seed`` it yields d2l's batches bit for bit. Where it differs from d2l: a
corpus too short for a single batch raises ``ValueError`` when the iterator is created
(:func:`check_fits`), where d2l silently yields nothing (and its training loop then
divides by zero).
"""
from __future__ import annotations

import random
from typing import Iterator, Optional, Sequence, Tuple

import mxnet as mx
import numpy as np
from mxnet import nd

from .._checks import check_counts

Batch = Tuple[nd.NDArray, nd.NDArray]


def as_corpus(corpus_indices: Sequence[int]) -> np.ndarray:
    """The corpus as a flat array, or a ``ValueError`` for anything else."""
    array = np.asarray(corpus_indices)
    if array.ndim != 1:
        raise ValueError(f"corpus_indices must be a flat sequence of token indices, "
                         f"got shape {array.shape}")
    return array


def check_indices(corpus_indices, vocab_size: int, name: str = "corpus_indices") -> None:
    """Refuse token indices that a vocabulary of ``vocab_size`` tokens cannot have: not
    whole numbers, negative, or ``vocab_size`` and above. One-hot inputs and the output
    layer would clip, wrap or truncate them and train on other tokens without a word."""
    array = np.asarray(corpus_indices)
    if array.size == 0:
        return
    if array.dtype.kind not in "iub" and not (array.dtype.kind == "f"
                                              and np.all(np.floor(array) == array)):
        raise ValueError(f"{name} must hold whole token indices, got {array.dtype} values "
                         f"such as {array.ravel()[0]!r}: index the corpus with its vocabulary")
    low, high = array.min(), array.max()
    if low < 0 or high >= vocab_size:
        bad = low if low < 0 else high
        raise ValueError(f"{name} holds the index {bad:g}, outside 0..{vocab_size - 1} (the "
                         f"vocabulary has {vocab_size} tokens): index the corpus with the "
                         "vocabulary the model is built for")


def nd_float32(values: np.ndarray, ctx: Optional[mx.Context]):
    """An ``nd`` float32 array of ``values`` on ``ctx`` (the books' batches; the 2020+
    books' helpers make ``mx.np`` arrays instead)."""
    return nd.array(values, ctx=ctx, dtype="float32")


def window_batches(corpus: np.ndarray, starts: Sequence[int], batch_size: int, num_steps: int,
                   ctx: Optional[mx.Context] = None, array=nd_float32) -> Iterator[Batch]:
    """Windows ``corpus[s:s + num_steps]`` (``Y``: shifted by one) at ``starts``, in their
    order, ``batch_size`` to a batch (a last incomplete batch is dropped); float32 arrays
    of shape ``(batch_size, num_steps)`` on ``ctx``, made by ``array(values, ctx)``."""
    window = np.arange(num_steps + 1)
    rows = np.asarray(starts[:len(starts) // batch_size * batch_size], dtype=np.int64)
    yield from _uploaded(corpus, rows.reshape(-1, batch_size)[:, :, None] + window,
                         num_steps, ctx, array)


def row_batches(corpus: np.ndarray, batch_size: int, num_steps: int, offset: int,
                row_length: int, num_batches: int, ctx: Optional[mx.Context] = None,
                array=nd_float32) -> Iterator[Batch]:
    """Row ``r`` is ``corpus[offset + r * row_length:]``; batch ``i`` holds its columns
    ``i * num_steps`` to ``(i + 1) * num_steps`` (``Y``: the next token of each)."""
    columns = np.arange(batch_size)[:, None] * row_length + offset
    starts = np.arange(max(num_batches, 0))[:, None, None] * num_steps + columns[None]
    yield from _uploaded(corpus, starts + np.arange(num_steps + 1), num_steps, ctx, array)


# batches copied to the device at a time: a copy from Python waits for every operator
# queued before it (MXNet's engine runs them in order), so one copy per batch would stop
# the next batch's Python until the last batch's arithmetic is done
UPLOAD_BATCHES = 64


def _uploaded(corpus: np.ndarray, positions: np.ndarray, num_steps: int,
              ctx: Optional[mx.Context], array) -> Iterator[Batch]:
    """For each ``positions[i]`` (rows of ``num_steps + 1`` corpus positions), ``X`` its
    first ``num_steps`` columns and ``Y`` its last: the values copied to ``ctx`` by
    ``array`` :data:`UPLOAD_BATCHES` batches at a time, each batch cut from them by an
    operator (the same float32 values as one copy per batch)."""
    for first in range(0, len(positions), UPLOAD_BATCHES):
        chunk = positions[first:first + UPLOAD_BATCHES]
        values = array(corpus[chunk.reshape(-1, num_steps + 1)], ctx)
        rows = chunk.shape[1]
        for i in range(len(chunk)):
            yield (values[i * rows:(i + 1) * rows, :num_steps],
                   values[i * rows:(i + 1) * rows, 1:])


def require_batches(count: int, corpus_len: int, batch_size: int, num_steps: int, kind: str,
                    offsets: str, steps_name: str = "num_steps") -> None:
    """The one "corpus too short" error: ``count`` batches (for the worst offset the
    iterator may use, described by ``offsets``) must be at least one."""
    if count < 1:
        raise ValueError(
            f"the corpus is too short for {kind} partitioning: corpus length {corpus_len} "
            f"gives no full batch of batch_size={batch_size} x {steps_name}={num_steps} "
            f"(+1 target, {offsets}). Use a longer corpus or smaller batch_size/{steps_name}.")


def num_random_batches(corpus_len: int, batch_size: int, num_steps: int, offset: int) -> int:
    """Batches :func:`data_iter_random` yields from a given start offset."""
    num_examples = (corpus_len - offset - 1) // num_steps - 1
    return max(num_examples, 0) // batch_size


def num_consecutive_batches(corpus_len: int, batch_size: int, num_steps: int, offset: int) -> int:
    """Batches :func:`data_iter_consecutive` yields from a given start offset."""
    num_indices = (corpus_len - offset) // batch_size * batch_size
    return max((num_indices // batch_size - 1) // num_steps, 0)


def check_fits(corpus_len: int, batch_size: int, num_steps: int, is_random_iter: bool,
               offset: Optional[int] = None) -> None:
    """Raise ``ValueError`` (naming the sizes) unless the corpus gives at least one full
    batch from ``offset``, or, without one, from every offset the iterator may draw."""
    check_counts(batch_size=batch_size, num_steps=num_steps)
    worst = num_steps - 1 if offset is None else offset
    offsets = f"random start offset up to {worst}" if offset is None else f"start offset {offset}"
    count = num_random_batches if is_random_iter else num_consecutive_batches
    require_batches(count(corpus_len, batch_size, num_steps, worst), corpus_len, batch_size,
                    num_steps, "random" if is_random_iter else "consecutive", offsets)


def fitting_batch_size(corpus_len: int, batch_size: int, num_steps: int) -> int:
    """The largest batch size up to ``batch_size`` whose consecutive partitioning
    from offset 0 (evaluation) gives a batch of ``corpus_len`` tokens with room to
    spare; 0 when none does."""
    return max(0, min(batch_size, (corpus_len - num_steps + 1) // (num_steps + 1)))


def draw_offset(rng, num_steps: int) -> int:
    """The start offset of an epoch, d2l 0.9.2's draw: ``int(rng.uniform(0, num_steps))``."""
    return int(rng.uniform(0, num_steps))


def data_iter_random(corpus_indices: Sequence[int], batch_size: int, num_steps: int,
                     ctx: Optional[mx.Context] = None, rng: Optional[random.Random] = None,
                     offset: Optional[int] = None) -> Iterator[Batch]:
    """Random partitioning: each example is a random, non-overlapping window.

    ``d2l.data_iter_random`` (0.9.2): an offset in ``[0, num_steps)`` (drawn from ``rng``
    unless given), windows starting every ``num_steps`` tokens after it (the last one
    whose target would reach the end left out, as d2l does), shuffled with ``rng``,
    ``batch_size`` to a batch; ``Y`` is ``X`` shifted by one token. Arrays are float32
    on ``ctx``, shape ``(batch_size, num_steps)``.
    """
    corpus = as_corpus(corpus_indices)
    check_fits(len(corpus), batch_size, num_steps, True, offset)
    return _random(corpus, batch_size, num_steps, ctx, rng or random, offset)


def _random(corpus, batch_size, num_steps, ctx, rng, offset) -> Iterator[Batch]:
    # a generator, as d2l's: the draws happen when the first batch is asked for
    offset = draw_offset(rng, num_steps) if offset is None else offset
    num_examples = (len(corpus) - offset - 1) // num_steps - 1
    starts = list(range(offset, offset + num_examples * num_steps, num_steps))
    rng.shuffle(starts)
    yield from window_batches(corpus, starts, batch_size, num_steps, ctx)


def data_iter_consecutive(corpus_indices: Sequence[int], batch_size: int, num_steps: int,
                          ctx: Optional[mx.Context] = None,
                          rng: Optional[random.Random] = None,
                          offset: Optional[int] = None) -> Iterator[Batch]:
    """Consecutive (sequential) partitioning: row ``r`` of batch ``i + 1``
    continues row ``r`` of batch ``i``, so the hidden state can be carried over.

    ``d2l.data_iter_consecutive`` (0.9.2): an offset in ``[0, num_steps)`` (drawn from
    ``rng`` unless given: evaluation reads from 0 and draws nothing), the corpus cut into
    ``batch_size`` equal rows, read ``num_steps`` columns at a time.
    """
    corpus = as_corpus(corpus_indices)
    check_fits(len(corpus), batch_size, num_steps, False, offset)
    return _consecutive(corpus, batch_size, num_steps, ctx, rng or random, offset)


def _consecutive(corpus, batch_size, num_steps, ctx, rng, offset) -> Iterator[Batch]:
    offset = draw_offset(rng, num_steps) if offset is None else offset
    row_length = (len(corpus) - offset) // batch_size
    num_batches = num_consecutive_batches(len(corpus), batch_size, num_steps, offset)
    yield from row_batches(corpus, batch_size, num_steps, offset, row_length, num_batches, ctx)


def data_iter(corpus_indices: Sequence[int], batch_size: int, num_steps: int,
              ctx: Optional[mx.Context] = None, is_random_iter: bool = True,
              rng: Optional[random.Random] = None) -> Iterator[Batch]:
    """Either partitioning, chosen by ``is_random_iter`` (d2l's flag)."""
    make = data_iter_random if is_random_iter else data_iter_consecutive
    return make(corpus_indices, batch_size, num_steps, ctx, rng)
