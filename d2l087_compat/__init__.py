"""A drop-in for the English book's helper module before April 2019, ``d2l==0.8.7``,
recurrent-network names: ``import d2l087_compat as d2l`` (or ``gluon-rnn chapter
--d2l 0.8.7``) and pages that unpack four values from ``load_data_time_machine`` run
unchanged.

Every name is a re-export: the 4-tuple API of :mod:`gluon_rnn.tutorials.d2l.classic`
bound to 0.8.7's iterators (a random offset, as 0.9.2's), and the helpers it shares
with ``d2l==0.9.2``; nothing here holds logic of its own."""
from gluon_rnn.tutorials.d2l.classic import (
    D2L_087,
    grad_clipping,
    load_data_jay_lyrics,
    load_data_time_machine,
    load_data_timemachine,
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

data_iter_random = D2L_087.data_iter_random
data_iter_consecutive = D2L_087.data_iter_consecutive
predict_rnn = D2L_087.predict_rnn
predict_rnn_gluon = D2L_087.predict_rnn_gluon
train_and_predict_rnn = D2L_087.train_and_predict_rnn
train_and_predict_rnn_gluon = D2L_087.train_and_predict_rnn_gluon

__version__ = "0.8.7"  # the d2l release whose behaviour this module follows

__all__ = [
    "RNNModel", "data_iter_consecutive", "data_iter_random", "grad_clipping",
    "load_data_jay_lyrics", "load_data_time_machine", "load_data_timemachine", "predict_rnn",
    "predict_rnn_gluon", "semilogy", "set_figsize", "sgd", "to_onehot", "train_and_predict_rnn",
    "train_and_predict_rnn_gluon", "try_all_gpus", "try_gpu", "use_svg_display", "plt",
]


def __getattr__(name: str):
    """``d2l.plt`` is matplotlib's pyplot, loaded when first used."""
    if name == "plt":
        from gluon_rnn.tutorials.d2l.plotting import pyplot
        return pyplot()
    raise AttributeError(f"module 'd2l087_compat' has no attribute {name!r}")
