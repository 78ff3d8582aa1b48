"""The Chinese edition's helper module, ``d2lzh==1.0.0`` (d2l-zh v1.0.0), recurrent-network
names: the 4-tuple API (:class:`~.base.Helpers`) bound to d2lzh's own iterators, which
start at the corpus's first token and use every whole window (no random offset), and the
helpers it shares with the other generations. ``d2lzh_compat`` re-exports this module.
Differences from ``d2lzh`` are those of the shared 4-tuple API (no crash on an unknown
prefix character, a ``pred_period`` of 0 or a diverged model; data found through the
resolver)."""
from __future__ import annotations

import random
from typing import Iterator, Optional, Sequence

import mxnet as mx

from ..._checks import check_counts
from ...data.batches import Batch, as_corpus, require_batches, row_batches, window_batches
from ...models.gluon import RNNModel
from ...models.scratch import to_onehot
from .base import (
    Helpers,
    lazy_plt,
    semilogy,
    set_figsize,
    sgd,
    try_all_gpus,
    try_gpu,
    use_svg_display,
)

__version__ = "1.0.0"  # the d2lzh release whose behaviour this module follows

__all__ = [
    "RNNModel", "data_iter_consecutive", "data_iter_random", "grad_clipping",
    "load_data_jay_lyrics", "load_data_time_machine", "predict_rnn", "predict_rnn_gluon",
    "semilogy", "set_figsize", "sgd", "to_onehot", "train_and_predict_rnn",
    "train_and_predict_rnn_gluon", "try_all_gpus", "try_gpu", "use_svg_display",
]


def _random_batches(corpus_len: int, batch_size: int, num_steps: int) -> int:
    return (corpus_len - 1) // num_steps // batch_size


def _consecutive_geometry(corpus_len: int, batch_size: int, num_steps: int):
    """(row length, batches) of d2lzh's consecutive partitioning (no offset)."""
    row_length = corpus_len // batch_size
    return row_length, max(row_length - 1, 0) // num_steps


def check_fits(corpus_len: int, batch_size: int, num_steps: int, is_random_iter: bool) -> None:
    """d2lzh's size rule: at least one batch from the corpus's first token."""
    check_counts(batch_size=batch_size, num_steps=num_steps)
    count = _random_batches(corpus_len, batch_size, num_steps) if is_random_iter else \
        _consecutive_geometry(corpus_len, batch_size, num_steps)[1]
    require_batches(count, corpus_len, batch_size, num_steps,
                    "random" if is_random_iter else "consecutive", "no start offset")


def data_iter_random(corpus_indices: Sequence[int], batch_size: int, num_steps: int,
                     ctx: Optional[mx.Context] = None,
                     rng: Optional[random.Random] = None) -> Iterator[Batch]:
    """d2lzh's ``data_iter_random``: windows from position 0, ``num_steps`` apart, every
    whole one used (``(len - 1) // num_steps``), shuffled, ``batch_size`` to a batch. One
    ``rng.shuffle`` per epoch (default: the :mod:`random` module) and nothing else, so the
    same ``random.seed`` gives d2lzh's batches."""
    corpus = as_corpus(corpus_indices)
    check_fits(len(corpus), batch_size, num_steps, True)
    return _shuffled_windows(corpus, batch_size, num_steps, ctx, rng or random)


def _shuffled_windows(corpus, batch_size, num_steps, ctx, rng) -> Iterator[Batch]:
    starts = list(range(0, (len(corpus) - 1) // num_steps * num_steps, num_steps))
    rng.shuffle(starts)  # when the first batch is asked for, as d2lzh's generator does
    yield from window_batches(corpus, starts, batch_size, num_steps, ctx)


def data_iter_consecutive(corpus_indices: Sequence[int], batch_size: int, num_steps: int,
                          ctx: Optional[mx.Context] = None,
                          rng: Optional[random.Random] = None) -> Iterator[Batch]:
    """d2lzh's ``data_iter_consecutive``: rows from the corpus's first token, no random
    draw (``rng`` is accepted for the common signature and not used)."""
    corpus = as_corpus(corpus_indices)
    check_fits(len(corpus), batch_size, num_steps, False)
    row_length, num_batches = _consecutive_geometry(len(corpus), batch_size, num_steps)
    return row_batches(corpus, batch_size, num_steps, 0, row_length, num_batches, ctx)


D2LZH = Helpers(data_iter_random, data_iter_consecutive, check_fits)
predict_rnn = D2LZH.predict_rnn
predict_rnn_gluon = D2LZH.predict_rnn_gluon
train_and_predict_rnn = D2LZH.train_and_predict_rnn
train_and_predict_rnn_gluon = D2LZH.train_and_predict_rnn_gluon
grad_clipping = D2LZH.grad_clipping
load_data_jay_lyrics = D2LZH.load_data_jay_lyrics
load_data_time_machine = D2LZH.load_data_time_machine
__getattr__ = lazy_plt("d2lzh", __version__)
