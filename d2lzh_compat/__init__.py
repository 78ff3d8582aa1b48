"""A drop-in for the Chinese edition's helper module ``d2lzh==1.0.0`` (d2l-zh v1.0.0),
recurrent-network names: ``import d2lzh_compat as d2l`` and the chapter's pages run
unchanged.

Every name is a re-export: the 4-tuple API of :mod:`gluon_rnn.tutorials.d2l.classic`
bound to its ``d2lzh`` iterators (no random offset), and the helpers it shares with
``d2l==0.9.2``; nothing here holds logic of its own. Differences from ``d2lzh`` are
documented there (no crash on an unknown prefix character, a ``pred_period`` of 0 or a
diverged model; data found through the resolver)."""
from gluon_rnn.tutorials.d2l.classic import (
    D2LZH,
    grad_clipping,
    load_data_jay_lyrics,
    load_data_time_machine,
)
from gluon_rnn.tutorials.d2l.d2l092 import (
    RNNModel,
    semilogy,
    set_figsize,
    sgd,
    to_onehot,
    try_all_gpus,
    try_gpu,
    use_svg_display,
)

data_iter_random = D2LZH.data_iter_random
data_iter_consecutive = D2LZH.data_iter_consecutive
predict_rnn = D2LZH.predict_rnn
predict_rnn_gluon = D2LZH.predict_rnn_gluon
train_and_predict_rnn = D2LZH.train_and_predict_rnn
train_and_predict_rnn_gluon = D2LZH.train_and_predict_rnn_gluon

__version__ = "1.0.0"  # the d2lzh release whose behaviour this module follows

__all__ = [
    "RNNModel", "data_iter_consecutive", "data_iter_random", "grad_clipping",
    "load_data_jay_lyrics", "load_data_time_machine", "predict_rnn", "predict_rnn_gluon",
    "semilogy", "set_figsize", "sgd", "to_onehot", "train_and_predict_rnn",
    "train_and_predict_rnn_gluon", "try_all_gpus", "try_gpu", "use_svg_display", "plt",
]


def __getattr__(name: str):
    """``d2l.plt`` is matplotlib's pyplot, loaded when first used."""
    if name == "plt":
        from gluon_rnn.tutorials.d2l.plotting import pyplot
        return pyplot()
    raise AttributeError(f"module 'd2lzh_compat' has no attribute {name!r}")
