"""Minibatches of (X, Y) from a token-index sequence: random and consecutive
(sequential) partitioning, as in d2l's "Recurrent Neural Networks from Scratch"
(``d2l==0.9.2``).

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

Both iterators draw their randomness from ``rng`` (default: the :mod:`random`
module itself), in exactly the order ``d2l==0.9.2`` does, so that after the same
``random.seed`` they yield bit-identical batches. They differ from d2l in one
way: a corpus too short for a single batch raises ``ValueError`` when the
iterator is created, where d2l silently yields nothing (and its training loop
then divides by zero).
"""
from __future__ import annotations

import random
from typing import Iterator, Optional, Sequence, Tuple

import mxnet as mx
import numpy as np
from mxnet import nd

from .._checks import check_counts

Batch = Tuple[nd.NDArray, nd.NDArray]


def _as_array(corpus_indices: Sequence[int]) -> np.ndarray:
    array = np.asarray(corpus_indices)
    if array.ndim != 1:
        raise ValueError(f"corpus_indices must be a flat sequence of token indices, "
                         f"got shape {array.shape}")
    return array


def num_random_batches(corpus_len: int, batch_size: int, num_steps: int, offset: int) -> int:
    """Batches :func:`data_iter_random` yields for a given start offset."""
    num_examples = (corpus_len - offset - 1) // num_steps - 1
    return max(num_examples, 0) // batch_size


def num_consecutive_batches(corpus_len: int, batch_size: int, num_steps: int, offset: int) -> int:
    """Batches :func:`data_iter_consecutive` yields for a given start offset."""
    num_indices = (corpus_len - offset) // batch_size * batch_size
    return max((num_indices // batch_size - 1) // num_steps, 0)


def _require_a_batch(count_fn, corpus_len: int, batch_size: int, num_steps: int, kind: str) -> None:
    # The offset is drawn from [0, num_steps); the worst case is the largest one.
    if count_fn(corpus_len, batch_size, num_steps, num_steps - 1) < 1:
        raise ValueError(
            f"the corpus is too short for {kind} partitioning: corpus length {corpus_len} "
            f"gives no full batch of batch_size={batch_size} x num_steps={num_steps} "
            f"(+1 target, random start offset up to {num_steps - 1}). "
            "Use a longer corpus or smaller batch_size/num_steps.")


def check_fits(corpus_len: int, batch_size: int, num_steps: int, is_random_iter: bool) -> None:
    """Raise ``ValueError`` (naming the sizes) unless the corpus gives at least one
    full batch for every start offset the iterator may draw."""
    check_counts(batch_size=batch_size, num_steps=num_steps)
    if is_random_iter:
        _require_a_batch(num_random_batches, corpus_len, batch_size, num_steps, "random")
    else:
        _require_a_batch(num_consecutive_batches, corpus_len, batch_size, num_steps, "consecutive")


def fitting_batch_size(corpus_len: int, batch_size: int, num_steps: int) -> int:
    """The largest batch size up to ``batch_size`` whose consecutive partitioning
    from offset 0 (evaluation) gives a batch of ``corpus_len`` tokens with room to
    spare; 0 when none does."""
    return max(0, min(batch_size, (corpus_len - num_steps + 1) // (num_steps + 1)))


def _checked(corpus_indices, batch_size: int, num_steps: int, count_fn, kind: str) -> np.ndarray:
    """Validate the sizes eagerly (before the generator starts) and return the corpus array."""
    check_counts(batch_size=batch_size, num_steps=num_steps)
    corpus = _as_array(corpus_indices)
    _require_a_batch(count_fn, len(corpus), batch_size, num_steps, kind)
    return corpus


def data_iter_random(corpus_indices: Sequence[int], batch_size: int, num_steps: int,
                     ctx: Optional[mx.Context] = None,
                     rng: Optional[random.Random] = None) -> Iterator[Batch]:
    """Random partitioning: each example is a random, non-overlapping window.

    Reproduces ``d2l.data_iter_random``: a random offset in ``[0, num_steps)``,
    windows starting every ``num_steps`` tokens after it, shuffled, then grouped
    into ``batch_size`` rows; ``Y`` is ``X`` shifted by one token. Arrays are
    float32 on ``ctx``, shape ``(batch_size, num_steps)``.
    """
    corpus = _checked(corpus_indices, batch_size, num_steps, num_random_batches, "random")
    return _random_batches(corpus, batch_size, num_steps, ctx, rng or random)


def _random_batches(corpus, batch_size, num_steps, ctx, rng) -> Iterator[Batch]:
    offset = int(rng.uniform(0, num_steps))
    num_examples = (len(corpus) - offset - 1) // num_steps - 1
    num_batches = num_examples // batch_size
    example_indices = list(range(offset, offset + num_examples * num_steps, num_steps))
    rng.shuffle(example_indices)
    window = np.arange(num_steps)
    for i in range(0, batch_size * num_batches, batch_size):
        starts = np.asarray(example_indices[i:i + batch_size])[:, None] + window
        yield (nd.array(corpus[starts], ctx=ctx, dtype="float32"),
               nd.array(corpus[starts + 1], ctx=ctx, dtype="float32"))


def data_iter_consecutive(corpus_indices: Sequence[int], batch_size: int, num_steps: int,
                          ctx: Optional[mx.Context] = None,
                          rng: Optional[random.Random] = None,
                          offset: Optional[int] = None) -> Iterator[Batch]:
    """Consecutive (sequential) partitioning: row ``r`` of batch ``i + 1``
    continues row ``r`` of batch ``i``, so the hidden state can be carried over.

    Reproduces ``d2l.data_iter_consecutive``: a random offset in
    ``[0, num_steps)``, the corpus cut into ``batch_size`` equal rows, read
    ``num_steps`` columns at a time. A fixed ``offset`` (evaluation: 0) replaces
    the random one and draws nothing from ``rng``.
    """
    corpus = _checked(corpus_indices, batch_size, num_steps, num_consecutive_batches, "consecutive")
    return _consecutive_batches(corpus, batch_size, num_steps, ctx, rng or random, offset)


def _consecutive_batches(corpus, batch_size, num_steps, ctx, rng, offset=None) -> Iterator[Batch]:
    offset = int(rng.uniform(0, num_steps)) if offset is None else offset
    num_indices = (len(corpus) - offset) // batch_size * batch_size
    rows = corpus[offset:offset + num_indices].reshape((batch_size, -1))
    num_batches = (num_indices // batch_size - 1) // num_steps
    for i in range(0, num_batches * num_steps, num_steps):
        yield (nd.array(rows[:, i:i + num_steps], ctx=ctx, dtype="float32"),
               nd.array(rows[:, i + 1:i + 1 + num_steps], ctx=ctx, dtype="float32"))


def data_iter_random_whole(corpus_indices: Sequence[int], batch_size: int, num_steps: int,
                           ctx: Optional[mx.Context] = None,
                           rng: Optional[random.Random] = None) -> Iterator[Batch]:
    """Random partitioning without an offset, as ``d2lzh==1.0.0`` (the Chinese edition)
    does it: windows start at 0, ``num_steps`` apart, every whole window used
    (``(len - 1) // num_steps`` of them), shuffled, grouped into ``batch_size`` rows.
    One ``rng.shuffle`` per epoch and nothing else, so the same ``random.seed`` gives
    d2lzh's batches."""
    check_counts(batch_size=batch_size, num_steps=num_steps)
    corpus = _as_array(corpus_indices)
    num_examples = (len(corpus) - 1) // num_steps
    if num_examples // batch_size < 1:
        raise ValueError(f"corpus of {len(corpus)} tokens is too short for one random batch of "
                         f"batch_size={batch_size} x num_steps={num_steps} (it needs "
                         f"{batch_size * num_steps + 1}); lower batch_size or num_steps")
    return _whole_windows(corpus, batch_size, num_steps, ctx, rng or random, num_examples)


def _whole_windows(corpus, batch_size, num_steps, ctx, rng, num_examples) -> Iterator[Batch]:
    example_indices = list(range(num_examples))
    rng.shuffle(example_indices)
    window = np.arange(num_steps)
    for i in range(0, num_examples // batch_size * batch_size, batch_size):
        starts = np.asarray(example_indices[i:i + batch_size])[:, None] * num_steps + window
        yield (nd.array(corpus[starts], ctx=ctx, dtype="float32"),
               nd.array(corpus[starts + 1], ctx=ctx, dtype="float32"))


def data_iter_consecutive_from_0(corpus_indices: Sequence[int], batch_size: int, num_steps: int,
                                 ctx: Optional[mx.Context] = None,
                                 rng: Optional[random.Random] = None) -> Iterator[Batch]:
    """Consecutive partitioning from the corpus's first token, as ``d2lzh==1.0.0`` does
    (:func:`data_iter_consecutive` with ``offset=0``: no random draw)."""
    return data_iter_consecutive(corpus_indices, batch_size, num_steps, ctx, rng, offset=0)


def data_iter(corpus_indices: Sequence[int], batch_size: int, num_steps: int,
              ctx: Optional[mx.Context] = None, is_random_iter: bool = True,
              rng: Optional[random.Random] = None) -> Iterator[Batch]:
    """Either partitioning, chosen by ``is_random_iter`` (d2l's flag)."""
    make = data_iter_random if is_random_iter else data_iter_consecutive
    return make(corpus_indices, batch_size, num_steps, ctx, rng)
