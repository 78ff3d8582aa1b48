"""The 4-tuple helper API of the MXNet books before ``d2l==0.9.2``: the Chinese edition's
``d2lzh==1.0.0`` (d2l-zh v1.0.0, 2020) and the English book's ``d2l==0.8.7`` (before
April 2019), on the core's data, iterators, loops and decoder.

Both generations load a corpus as ``(corpus_indices, char_to_idx, idx_to_char,
vocab_size)`` (index order from ``list(set(text))``, so it depends on
``PYTHONHASHSEED`` exactly as theirs does), train with
``train_and_predict_rnn(rnn, get_params, init_rnn_state, num_hiddens, vocab_size, ctx,
corpus_indices, idx_to_char, char_to_idx, is_random_iter, ...)`` and print every
``pred_period`` epochs. They differ in the iterators only: ``d2lzh``'s start at the
corpus's first token and use every whole window (:data:`D2LZH`), 0.8.7's are 0.9.2's
(:data:`D2L_087`); each generation's size rule is its own iterators' (a corpus d2lzh
trains on is never refused for an offset d2lzh does not draw). :class:`Helpers` binds
one generation; ``d2lzh_compat`` and ``d2l087_compat`` re-export one each.

Where ours differs from theirs: the data files are found through the resolver (as well
as in ``../data``); a prefix character outside the vocabulary, a ``pred_period`` of 0
or a corpus too short for one batch is a ``ValueError`` naming it, not a ``KeyError``
or ``ZeroDivisionError``; a diverged model prints perplexity ``inf`` instead of
raising ``OverflowError``. The training functions return ``None`` as theirs do (a
notebook cell ending in one shows nothing more than the book's does).
"""
from __future__ import annotations

import dataclasses
import io
import random
import zipfile
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import mxnet as mx
from mxnet import nd

from ..._checks import check_counts, check_non_negative
from ...data.batches import (
    Batch,
    as_corpus,
    check_fits,
    data_iter_consecutive,
    data_iter_random,
    require_batches,
    row_batches,
    window_batches,
)
from ...data.resolve import read_text, resolve
from ...sampling import greedy_text
from ...train.loop import EpochReport
from . import d2l092 as _d2l
from .d2l092 import Partitioning

Corpus = Tuple[List[int], Dict[str, int], List[str], int]


def _indexed(corpus_chars: str) -> Corpus:
    """The books' index: ``list(set(corpus_chars))`` (hash order, as theirs)."""
    idx_to_char = list(set(corpus_chars))
    char_to_idx = {char: i for i, char in enumerate(idx_to_char)}
    return [char_to_idx[char] for char in corpus_chars], char_to_idx, idx_to_char, len(idx_to_char)


def load_data_jay_lyrics() -> Corpus:
    """The first 10,000 characters of Jay Chou's lyrics (the Chinese book's corpus),
    line breaks as spaces: ``(corpus_indices, char_to_idx, idx_to_char, vocab_size)``."""
    with zipfile.ZipFile(resolve("jaychou_lyrics.txt.zip")) as archive:
        text = archive.read("jaychou_lyrics.txt").decode("utf-8")
    return _indexed(text.replace("\n", " ").replace("\r", " ")[:10000])


def load_data_time_machine() -> Corpus:
    """The first 10,000 characters of The Time Machine, lower-cased, line breaks as
    spaces (``d2lzh``'s and 0.8.7's ``load_data_time_machine``: 43 tokens, no ``<unk>``)."""
    text = read_text("timemachine.txt")
    return _indexed(text.replace("\n", " ").replace("\r", " ").lower()[:10000])


def load_data_timemachine() -> Corpus:
    """0.8.7's other loader: the whole of The Time Machine, lower-cased, every run of
    white space one space."""
    lines = io.StringIO(read_text("timemachine.txt")).readlines()
    return _indexed(" ".join(" ".join(lines).lower().split()))


class _CharIndex:
    """``char_to_idx`` and ``idx_to_char`` as the decoder's vocabulary, refusing an
    unknown prefix character with its name (theirs raise ``KeyError``)."""

    def __init__(self, char_to_idx: Dict[str, int], idx_to_char: Sequence[str]) -> None:
        self.char_to_idx, self.idx_to_token = char_to_idx, list(idx_to_char)

    def __getitem__(self, char: str) -> int:
        try:
            return self.char_to_idx[char]
        except KeyError:
            raise ValueError(f"prefix character {char!r} is not in the corpus's "
                             f"{len(self.char_to_idx)} characters") from None

    def __len__(self) -> int:
        return len(self.idx_to_token)


def _period_reporter(pred_period: int, prefixes: Sequence[str], predict: Callable[[str], str]):
    """Their printing: every ``pred_period`` epochs the epoch's perplexity and time,
    then one prediction per prefix."""
    check_counts(pred_period=pred_period)

    def report(rep: EpochReport) -> None:
        if rep.epoch % pred_period == 0:
            print('epoch %d, perplexity %f, time %.2f sec' % (rep.epoch, rep.perplexity,
                                                              rep.seconds))
            for prefix in prefixes:
                print(' -', predict(prefix))
    return report


def _d2lzh_random_batches(corpus_len: int, batch_size: int, num_steps: int) -> int:
    return (corpus_len - 1) // num_steps // batch_size


def _d2lzh_consecutive_geometry(corpus_len: int, batch_size: int, num_steps: int):
    """(row length, batches) of d2lzh's consecutive partitioning (no offset)."""
    row_length = corpus_len // batch_size
    return row_length, max(row_length - 1, 0) // num_steps


def d2lzh_check_fits(corpus_len: int, batch_size: int, num_steps: int,
                     is_random_iter: bool) -> None:
    """d2lzh's size rule: at least one batch from the corpus's first token."""
    check_counts(batch_size=batch_size, num_steps=num_steps)
    count = _d2lzh_random_batches(corpus_len, batch_size, num_steps) if is_random_iter else \
        _d2lzh_consecutive_geometry(corpus_len, batch_size, num_steps)[1]
    require_batches(count, corpus_len, batch_size, num_steps,
                    "random" if is_random_iter else "consecutive", "no start offset")


def d2lzh_data_iter_random(corpus_indices: Sequence[int], batch_size: int, num_steps: int,
                           ctx: Optional[mx.Context] = None,
                           rng: Optional[random.Random] = None) -> Iterator[Batch]:
    """d2lzh's ``data_iter_random``: windows from position 0, ``num_steps`` apart, every
    whole one used (``(len - 1) // num_steps``), shuffled, ``batch_size`` to a batch. One
    ``rng.shuffle`` per epoch (default: the :mod:`random` module) and nothing else, so the
    same ``random.seed`` gives d2lzh's batches."""
    corpus = as_corpus(corpus_indices)
    d2lzh_check_fits(len(corpus), batch_size, num_steps, True)
    return _shuffled_windows(corpus, batch_size, num_steps, ctx, rng or random)


def _shuffled_windows(corpus, batch_size, num_steps, ctx, rng) -> Iterator[Batch]:
    starts = list(range(0, (len(corpus) - 1) // num_steps * num_steps, num_steps))
    rng.shuffle(starts)  # when the first batch is asked for, as d2lzh's generator does
    yield from window_batches(corpus, starts, batch_size, num_steps, ctx)


def d2lzh_data_iter_consecutive(corpus_indices: Sequence[int], batch_size: int,
                                num_steps: int, ctx: Optional[mx.Context] = None,
                                rng: Optional[random.Random] = None) -> Iterator[Batch]:
    """d2lzh's ``data_iter_consecutive``: rows from the corpus's first token, no random
    draw (``rng`` is accepted for the common signature and not used)."""
    corpus = as_corpus(corpus_indices)
    d2lzh_check_fits(len(corpus), batch_size, num_steps, False)
    row_length, num_batches = _d2lzh_consecutive_geometry(len(corpus), batch_size, num_steps)
    return row_batches(corpus, batch_size, num_steps, 0, row_length, num_batches, ctx)


@dataclasses.dataclass(frozen=True)
class Helpers(Partitioning):
    """One generation of the 4-tuple API: its iterators and size rule
    (:class:`~.d2l092.Partitioning`), and the functions that train with them."""

    def predict_rnn(self, prefix: str, num_chars: int, rnn: Callable, params,
                    init_rnn_state: Callable, num_hiddens: int, vocab_size: int,
                    ctx: Optional[mx.Context], idx_to_char: Sequence[str],
                    char_to_idx: Dict[str, int]) -> str:
        """Greedy continuation with a from-scratch RNN (their ``predict_rnn``)."""
        def step(index, state):
            outputs, state = rnn(_d2l.to_onehot(nd.array([index], ctx=ctx), vocab_size), state,
                                 params)
            return outputs[0], state
        return greedy_text(prefix, num_chars, _CharIndex(char_to_idx, idx_to_char),
                           init_rnn_state(1, num_hiddens, ctx), step)

    def predict_rnn_gluon(self, prefix: str, num_chars: int, model, vocab_size: int,
                          ctx: Optional[mx.Context], idx_to_char: Sequence[str],
                          char_to_idx: Dict[str, int]) -> str:
        """Greedy continuation with a Gluon ``RNNModel`` (their ``predict_rnn_gluon``)."""
        def step(index, state):
            return model(nd.array([index], ctx=ctx).reshape((1, 1)), state)
        return greedy_text(prefix, num_chars, _CharIndex(char_to_idx, idx_to_char),
                           model.begin_state(batch_size=1, ctx=ctx), step)

    def train_and_predict_rnn(self, rnn: Callable, get_params: Callable,
                              init_rnn_state: Callable, num_hiddens: int, vocab_size: int,
                              ctx: Optional[mx.Context], corpus_indices: Sequence[int],
                              idx_to_char: Sequence[str], char_to_idx: Dict[str, int],
                              is_random_iter: bool, num_epochs: int, num_steps: int, lr: float,
                              clipping_theta: float, batch_size: int, pred_period: int,
                              pred_len: int, prefixes: Sequence[str]) -> None:
        """Their ``train_and_predict_rnn``: 0.9.2's loop (the same arithmetic) on this
        generation's iterators, printing every ``pred_period`` epochs."""
        holder: list = []
        report = _period_reporter(pred_period, prefixes, lambda prefix: self.predict_rnn(
            prefix, pred_len, rnn, holder[0], init_rnn_state, num_hiddens, vocab_size, ctx,
            idx_to_char, char_to_idx))
        _d2l._check_sizes(corpus_indices, batch_size, num_steps, num_epochs, is_random_iter,
                          lr, clipping_theta, self, ctx, num_hiddens=num_hiddens)
        check_non_negative(pred_len=pred_len)  # 0: the prefix alone, as theirs print
        holder.append(get_params())
        _d2l.train_rnn(rnn, get_params, init_rnn_state, num_hiddens, corpus_indices,
                       range(vocab_size), ctx, is_random_iter, num_epochs, num_steps, lr,
                       clipping_theta, batch_size, on_epoch=report, params=holder[0],
                       partitioning=self)

    def train_and_predict_rnn_gluon(self, model, num_hiddens: int, vocab_size: int,
                                    ctx: Optional[mx.Context], corpus_indices: Sequence[int],
                                    idx_to_char: Sequence[str], char_to_idx: Dict[str, int],
                                    num_epochs: int, num_steps: int, lr: float,
                                    clipping_theta: float, batch_size: int, pred_period: int,
                                    pred_len: int, prefixes: Sequence[str]) -> None:
        """Their ``train_and_predict_rnn_gluon``: 0.9.2's Gluon loop on this
        generation's consecutive iterator, printing every ``pred_period`` epochs."""
        report = _period_reporter(pred_period, prefixes, lambda prefix: self.predict_rnn_gluon(
            prefix, pred_len, model, vocab_size, ctx, idx_to_char, char_to_idx))
        check_non_negative(pred_len=pred_len)  # 0: the prefix alone, as theirs print
        _d2l.train_gluon_rnn(model, num_hiddens, corpus_indices, range(vocab_size), ctx,
                             num_epochs, num_steps, lr, clipping_theta, batch_size,
                             on_epoch=report, partitioning=self)


def grad_clipping(params: Sequence[nd.NDArray], theta: Optional[float],
                  ctx: Optional[mx.Context] = None) -> Optional[float]:
    """Their ``grad_clipping``: 0.9.2's, and ``theta=None`` clips nothing."""
    return None if theta is None else _d2l.grad_clipping(params, theta, ctx)


D2LZH = Helpers(d2lzh_data_iter_random, d2lzh_data_iter_consecutive, d2lzh_check_fits)
D2L_087 = Helpers(data_iter_random, data_iter_consecutive, check_fits)
