"""The iterators of the Chinese edition's helpers, ``d2lzh==1.0.0`` and, before it,
``gluonbook==0.7.1`` (the same code): windows and rows from the corpus's first token, no
random start offset, every whole window used, on the core's partitioning blocks.
"""
from __future__ import annotations

import random
from typing import Iterator, Optional, Sequence

import mxnet as mx

from ...._checks import check_counts
from ....data.batches import Batch, as_corpus, require_batches, row_batches, window_batches

__all__ = ["check_fits", "data_iter_consecutive", "data_iter_random"]


def _random_batches(corpus_len: int, batch_size: int, num_steps: int) -> int:
    return (corpus_len - 1) // num_steps // batch_size


def _consecutive_geometry(corpus_len: int, batch_size: int, num_steps: int):
    """(row length, batches) of their consecutive partitioning (no offset)."""
    row_length = corpus_len // batch_size
    return row_length, max(row_length - 1, 0) // num_steps


def check_fits(corpus_len: int, batch_size: int, num_steps: int, is_random_iter: bool) -> None:
    """Their size rule: at least one batch from the corpus's first token."""
    check_counts(batch_size=batch_size, num_steps=num_steps)
    count = _random_batches(corpus_len, batch_size, num_steps) if is_random_iter else \
        _consecutive_geometry(corpus_len, batch_size, num_steps)[1]
    require_batches(count, corpus_len, batch_size, num_steps,
                    "random" if is_random_iter else "consecutive", "no start offset")


def data_iter_random(corpus_indices: Sequence[int], batch_size: int, num_steps: int,
                     ctx: Optional[mx.Context] = None,
                     rng: Optional[random.Random] = None) -> Iterator[Batch]:
    """``data_iter_random``: windows from position 0, ``num_steps`` apart, every whole
    one used (``(len - 1) // num_steps``), shuffled, ``batch_size`` to a batch. One
    ``rng.shuffle`` per epoch (default: the :mod:`random` module) and nothing else, so the
    same ``random.seed`` gives their batches."""
    corpus = as_corpus(corpus_indices)
    check_fits(len(corpus), batch_size, num_steps, True)
    return _shuffled_windows(corpus, batch_size, num_steps, ctx, rng or random)


def _shuffled_windows(corpus, batch_size, num_steps, ctx, rng) -> Iterator[Batch]:
    starts = list(range(0, (len(corpus) - 1) // num_steps * num_steps, num_steps))
    rng.shuffle(starts)  # when the first batch is asked for, as their generators do
    yield from window_batches(corpus, starts, batch_size, num_steps, ctx)


def data_iter_consecutive(corpus_indices: Sequence[int], batch_size: int, num_steps: int,
                          ctx: Optional[mx.Context] = None,
                          rng: Optional[random.Random] = None) -> Iterator[Batch]:
    """``data_iter_consecutive``: rows from the corpus's first token, no random
    draw (``rng`` is accepted for the common signature and not used)."""
    corpus = as_corpus(corpus_indices)
    check_fits(len(corpus), batch_size, num_steps, False)
    row_length, num_batches = _consecutive_geometry(len(corpus), batch_size, num_steps)
    return row_batches(corpus, batch_size, num_steps, 0, row_length, num_batches, ctx)
