"""The 4-tuple helper API of the MXNet books before ``d2l==0.9.2``, shared by the Chinese
edition's ``d2lzh==1.0.0`` (d2l-zh v1.0.0, 2020) and the English book's ``d2l==0.8.7``
(before April 2019), on the core's data and decoder and the shared loops.

Both generations load a corpus as ``(corpus_indices, char_to_idx, idx_to_char,
vocab_size)`` (index order from ``list(set(text))``, so it depends on
``PYTHONHASHSEED`` exactly as theirs does), train with
``train_and_predict_rnn(rnn, get_params, init_rnn_state, num_hiddens, vocab_size, ctx,
corpus_indices, idx_to_char, char_to_idx, is_random_iter, ...)`` and print every
``pred_period`` epochs. They differ in the iterators only, so :class:`Helpers` takes a
generation's iterators and size rule (a :class:`~.loops.Partitioning`) and gives the
functions that train and predict with them; the generation modules ``d2lzh`` and
``d2l087`` each bind one.

Where ours differs from theirs: the data files are found through the resolver (as well
as in ``../data``); a prefix character outside the vocabulary, a ``pred_period`` of 0
or a corpus too short for one batch is a ``ValueError`` naming it, not a ``KeyError``
or ``ZeroDivisionError``; a diverged model prints perplexity ``inf`` instead of
raising ``OverflowError``. The training functions return ``None`` as theirs do (a
notebook cell ending in one shows nothing more than the book's does).
"""
from __future__ import annotations

import dataclasses
import zipfile
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import mxnet as mx
from mxnet import nd

from ...._checks import check_counts, check_non_negative
from ....data.resolve import read_text, resolve
from ....models.scratch import to_onehot
from ....sampling import greedy_text
from ....train.report import EpochReport
from . import loops
from .loops import Partitioning

__all__ = ["Corpus", "Helpers", "indexed"]


Corpus = Tuple[List[int], Dict[str, int], List[str], int]


def indexed(corpus_chars: str) -> Corpus:
    """The books' index: ``list(set(corpus_chars))`` (hash order, as theirs)."""
    idx_to_char = list(set(corpus_chars))
    char_to_idx = {char: i for i, char in enumerate(idx_to_char)}
    return [char_to_idx[char] for char in corpus_chars], char_to_idx, idx_to_char, len(idx_to_char)


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


@dataclasses.dataclass(frozen=True)
class Helpers(Partitioning):
    """One generation of the 4-tuple API: its iterators and size rule
    (:class:`~.loops.Partitioning`), and the functions that train with them."""

    def predict_rnn(self, prefix: str, num_chars: int, rnn: Callable, params,
                    init_rnn_state: Callable, num_hiddens: int, vocab_size: int,
                    ctx: Optional[mx.Context], idx_to_char: Sequence[str],
                    char_to_idx: Dict[str, int]) -> str:
        """Greedy continuation with a from-scratch RNN (their ``predict_rnn``)."""
        def step(index, state):
            outputs, state = rnn(to_onehot(nd.array([index], ctx=ctx), vocab_size), state,
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
        loops.check_sizes(corpus_indices, batch_size, num_steps, num_epochs, is_random_iter,
                          lr, clipping_theta, self, ctx, num_hiddens=num_hiddens)
        check_non_negative(pred_len=pred_len)  # 0: the prefix alone, as theirs print
        holder.append(get_params())
        loops.train_rnn(rnn, get_params, init_rnn_state, num_hiddens, corpus_indices,
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
        loops.train_gluon_rnn(model, num_hiddens, corpus_indices, range(vocab_size), ctx,
                              num_epochs, num_steps, lr, clipping_theta, batch_size,
                              on_epoch=report, partitioning=self)

    @staticmethod
    def load_data_jay_lyrics() -> Corpus:
        """The first 10,000 characters of Jay Chou's lyrics (the Chinese book's corpus),
        line breaks as spaces: ``(corpus_indices, char_to_idx, idx_to_char, vocab_size)``."""
        with zipfile.ZipFile(resolve("jaychou_lyrics.txt.zip")) as archive:
            text = archive.read("jaychou_lyrics.txt").decode("utf-8")
        return indexed(text.replace("\n", " ").replace("\r", " ")[:10000])

    @staticmethod
    def load_data_time_machine() -> Corpus:
        """The first 10,000 characters of The Time Machine, lower-cased, line breaks as
        spaces (``d2lzh``'s and 0.8.7's ``load_data_time_machine``: 43 tokens, no ``<unk>``)."""
        text = read_text("timemachine.txt")
        return indexed(text.replace("\n", " ").replace("\r", " ").lower()[:10000])

    @staticmethod
    def grad_clipping(params: Sequence[nd.NDArray], theta: Optional[float],
                      ctx: Optional[mx.Context] = None) -> Optional[float]:
        """Their ``grad_clipping``: 0.9.2's, and ``theta=None`` clips nothing."""
        return None if theta is None else loops.grad_clipping(params, theta, ctx)
