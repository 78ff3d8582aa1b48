"""d2l's "Recurrent Neural Networks from Scratch" and "Concise Implementation of
Recurrent Neural Networks" (``d2l==0.9.2``): everything that must match the published
helper exactly, on the core's data, models and decoder.

The loops keep d2l's arithmetic and the order of its random draws (clipping with
``**`` per element, SGD, mean cross-entropy), so the same seeds print the same
perplexities to the last digit. The loops themselves, with the printing taken out, are
the shared base's (:func:`~.base.train_rnn`, :func:`~.base.train_gluon_rnn`: 0.8.7 and
d2lzh 1.0.0 train the same way); :func:`train_and_predict_rnn` and
:func:`train_and_predict_rnn_gluon` print at d2l's cadence. ``d2l_compat`` re-exports
this module. Where ours differs from d2l: no crash for ``num_epochs < 4`` or a corpus
too short for a batch, data found through the resolver, and the ``train_and_predict``
functions return the perplexities.
"""
from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Callable, Optional, Sequence, Union

import mxnet as mx
from mxnet import nd

from ..._checks import check_counts
from ...data.batches import data_iter_consecutive, data_iter_random
from ...data.corpora import time_machine_text
from ...data.vocab import Vocab
from ...models.gluon import RNNModel
from ...models.scratch import get_params, init_rnn_state, params_factory, rnn, to_onehot
from ...sampling import greedy_text
from ...train.report import EpochReport
from .base import (
    Perplexities,
    check_sizes,
    grad_clipping,
    grad_clipping_gluon,
    lazy_plt,
    semilogy,
    set_figsize,
    sgd,
    train_gluon_rnn,
    train_rnn,
    try_all_gpus,
    try_gpu,
    use_svg_display,
)

__version__ = "0.9.2"  # the d2l release whose behaviour this module follows

__all__ = [
    "RNNModel", "Vocab", "data_iter_consecutive", "data_iter_random", "get_params",
    "grad_clipping", "grad_clipping_gluon", "init_rnn_state", "load_data_time_machine",
    "params_factory", "predict_rnn", "predict_rnn_gluon", "rnn", "semilogy", "set_figsize",
    "sgd", "to_onehot", "train_and_predict_rnn", "train_and_predict_rnn_gluon",
    "train_gluon_rnn", "train_rnn", "try_all_gpus", "try_gpu", "use_svg_display",
]


def load_data_time_machine(num_examples: int = 10000, path: Union[str, Path, None] = None):
    """``d2l.load_data_time_machine`` (0.9.2): the first ``num_examples`` characters of
    The Time Machine (lines joined, lower-cased, runs of white space one space) and their
    character vocabulary: ``(corpus_indices, vocab)``, 44 tokens (with ``<unk>``) for the
    default 10,000 characters. Unlike d2l, the file is found through the data resolver
    (``$GLUON_RNN_DATA``, ``./data``, ``../data``, the cache) instead of the fixed path
    ``../data/timemachine.txt``."""
    check_counts(num_examples=num_examples)
    text = time_machine_text(num_examples, path)
    vocab = Vocab(text)
    return vocab.indices(text), vocab


def _every(period: int, epoch: int) -> bool:
    return period > 0 and epoch % period == 0


def _d2l_reporter(num_epochs: int, prefixes: Sequence[str], predict: Callable[[str, int], str],
                  pred_period: Optional[int], pred_len: int, print_period: Optional[int]):
    """The printing of d2l's ``train_and_predict_rnn*``: perplexity every
    ``num_epochs // 4`` epochs, predictions every ``num_epochs // 2`` (each at least
    1), or the periods given. Returns ``on_epoch(report)``; ``predict(prefix, n)``
    continues a prefix with the model as it stands."""
    if pred_period is None:
        pred_period = max(1, num_epochs // 2)
        print_period = max(1, num_epochs // 4) if print_period is None else print_period
    elif print_period is None:
        print_period = pred_period  # 0 is refused below, not taken for "the default"
    check_counts(pred_period=pred_period, print_period=print_period, pred_len=pred_len)
    clock = {"start": time.time()}

    def report(rep: EpochReport) -> None:
        if _every(print_period, rep.epoch):
            print('epoch %d, perplexity %f, time %.2f sec'
                  % (rep.epoch, rep.perplexity, time.time() - clock["start"]))
            clock["start"] = time.time()
        if _every(pred_period, rep.epoch):
            for prefix in prefixes:
                print(' -', predict(prefix, pred_len))
    return report


def train_and_predict_rnn(rnn: Callable, get_params: Callable, init_rnn_state: Callable,
                          num_hiddens: int, corpus_indices: Sequence[int], vocab,
                          ctx: Optional[mx.Context], is_random_iter: bool, num_epochs: int,
                          num_steps: int, lr: float, clipping_theta: float, batch_size: int,
                          prefixes: Sequence[str], *, pred_period: Optional[int] = None,
                          pred_len: int = 50, print_period: Optional[int] = None,
                          rng: Optional[random.Random] = None) -> Perplexities:
    """``d2l.train_and_predict_rnn`` (0.9.2), printing as it does, minus its crashes.

    d2l prints perplexity every ``num_epochs // 4`` epochs and predictions every
    ``num_epochs // 2``, and divides by zero when ``num_epochs < 4``; here each
    period is at least 1. ``pred_period`` sets the prediction period (and, unless
    ``print_period`` is also given, the print period, as in d2l-zh);
    ``print_period=50, pred_period=100`` is the book page's cadence. ``pred_len``
    is the number of characters predicted. Returns the per-epoch training
    perplexities (d2l returns ``None``).
    """
    holder: list = []
    report = _d2l_reporter(
        num_epochs, prefixes,
        lambda prefix, n: predict_rnn(prefix, n, rnn, holder[0], init_rnn_state, num_hiddens,
                                      vocab, ctx),
        pred_period, pred_len, print_period)
    check_sizes(corpus_indices, batch_size, num_steps, num_epochs, is_random_iter, lr,
                 clipping_theta, ctx=ctx, num_hiddens=num_hiddens)
    holder.append(get_params())
    _, reports = train_rnn(rnn, get_params, init_rnn_state, num_hiddens, corpus_indices, vocab,
                           ctx, is_random_iter, num_epochs, num_steps, lr, clipping_theta,
                           batch_size, rng=rng, on_epoch=report, params=holder[0])
    return Perplexities(rep.perplexity for rep in reports)


def train_and_predict_rnn_gluon(model, num_hiddens: int, corpus_indices: Sequence[int], vocab,
                                ctx: Optional[mx.Context], num_epochs: int, num_steps: int,
                                lr: float, clipping_theta: float, batch_size: int,
                                prefixes: Sequence[str], *, pred_period: Optional[int] = None,
                                pred_len: int = 50, print_period: Optional[int] = None,
                                rng: Optional[random.Random] = None) -> Perplexities:
    """``d2l.train_and_predict_rnn_gluon`` (0.9.2), printing as it does, minus the
    ``num_epochs < 4`` crash; returns the per-epoch perplexities. Keywords as
    :func:`train_and_predict_rnn`."""
    report = _d2l_reporter(
        num_epochs, prefixes, lambda prefix, n: predict_rnn_gluon(prefix, n, model, vocab, ctx),
        pred_period, pred_len, print_period)
    reports = train_gluon_rnn(model, num_hiddens, corpus_indices, vocab, ctx, num_epochs,
                              num_steps, lr, clipping_theta, batch_size, rng=rng, on_epoch=report)
    return Perplexities(rep.perplexity for rep in reports)


def predict_rnn(prefix: str, num_chars: int, rnn: Callable, params, init_rnn_state: Callable,
                num_hiddens: int, vocab, ctx: Optional[mx.Context] = None) -> str:
    """Extend ``prefix`` by ``num_chars`` greedily chosen tokens (d2l ``predict_rnn``).

    Characters of the prefix that are not in ``vocab`` map to ``<unk>`` and
    come back as ``'<unk>'`` in the result.
    """
    def step(index, state):
        outputs, state = rnn(to_onehot(nd.array([index], ctx=ctx), len(vocab)), state, params)
        return outputs[0], state
    return greedy_text(prefix, num_chars, vocab, init_rnn_state(1, num_hiddens, ctx), step)


def predict_rnn_gluon(prefix: str, num_chars: int, model, vocab,
                      ctx: Optional[mx.Context] = None) -> str:
    """Greedy continuation with a Gluon :class:`~gluon_rnn.models.gluon.RNNModel`
    (d2l ``predict_rnn_gluon``)."""
    def step(index, state):
        return model(nd.array([index], ctx=ctx).reshape((1, 1)), state)
    return greedy_text(prefix, num_chars, vocab, model.begin_state(batch_size=1, ctx=ctx), step)


__getattr__ = lazy_plt("d2l", __version__)
