"""The Chinese edition's helper module, ``d2lzh==1.0.0`` (d2l-zh v1.0.0), recurrent-network
names: the 4-tuple API (:class:`~.base.Helpers`) bound to d2lzh's own iterators, which
start at the corpus's first token and use every whole window (no random offset), and the
helpers it shares with the other generations. ``d2lzh_compat`` re-exports this module.
Differences from ``d2lzh`` are those of the shared 4-tuple API (no crash on an unknown
prefix character, a ``pred_period`` of 0 or a diverged model; data found through the
resolver)."""
from __future__ import annotations

from ...models.gluon import RNNModel
from ...models.scratch import to_onehot
from .base import (
    Helpers,
    check_fits,
    data_iter_consecutive,
    data_iter_random,
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


D2LZH = Helpers(data_iter_random, data_iter_consecutive, check_fits)
predict_rnn = D2LZH.predict_rnn
predict_rnn_gluon = D2LZH.predict_rnn_gluon
train_and_predict_rnn = D2LZH.train_and_predict_rnn
train_and_predict_rnn_gluon = D2LZH.train_and_predict_rnn_gluon
grad_clipping = D2LZH.grad_clipping
load_data_jay_lyrics = D2LZH.load_data_jay_lyrics
load_data_time_machine = D2LZH.load_data_time_machine
__getattr__ = lazy_plt("d2lzh", __version__)
