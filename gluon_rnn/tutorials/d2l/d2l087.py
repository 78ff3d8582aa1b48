"""The English book's helper module before April 2019, ``d2l==0.8.7``, recurrent-network
names: the 4-tuple API (:class:`~.base.Helpers`) bound to the core's iterators (a random
offset, as 0.9.2's), 0.8.7's whole-book loader, and the helpers it shares with the other
generations. ``d2l087_compat`` re-exports this module (``gluon-rnn chapter --d2l 0.8.7``
binds it to ``import d2l``)."""
from __future__ import annotations

import io

from ...data.batches import check_fits, data_iter_consecutive, data_iter_random
from ...data.resolve import read_text
from ...models.gluon import RNNModel
from ...models.scratch import to_onehot
from .base import (
    Corpus,
    Helpers,
    indexed,
    lazy_plt,
    semilogy,
    set_figsize,
    sgd,
    try_all_gpus,
    try_gpu,
    use_svg_display,
)

__version__ = "0.8.7"  # the d2l release whose behaviour this module follows

__all__ = [
    "RNNModel", "data_iter_consecutive", "data_iter_random", "grad_clipping",
    "load_data_jay_lyrics", "load_data_time_machine", "load_data_timemachine", "predict_rnn",
    "predict_rnn_gluon", "semilogy", "set_figsize", "sgd", "to_onehot", "train_and_predict_rnn",
    "train_and_predict_rnn_gluon", "try_all_gpus", "try_gpu", "use_svg_display",
]


def load_data_timemachine() -> Corpus:
    """0.8.7's other loader: the whole of The Time Machine, lower-cased, every run of
    white space one space."""
    lines = io.StringIO(read_text("timemachine.txt")).readlines()
    return indexed(" ".join(" ".join(lines).lower().split()))


D2L_087 = Helpers(data_iter_random, data_iter_consecutive, check_fits)
predict_rnn = D2L_087.predict_rnn
predict_rnn_gluon = D2L_087.predict_rnn_gluon
train_and_predict_rnn = D2L_087.train_and_predict_rnn
train_and_predict_rnn_gluon = D2L_087.train_and_predict_rnn_gluon
grad_clipping = D2L_087.grad_clipping
load_data_jay_lyrics = D2L_087.load_data_jay_lyrics
load_data_time_machine = D2L_087.load_data_time_machine
__getattr__ = lazy_plt("d2l", __version__)
