"""A drop-in for the d2l MXNet helper module (``d2l==0.9.2``), recurrent-network names.

``import d2l_compat as d2l`` and chapter 8.5 code runs unchanged. Every name is a
re-export of :mod:`gluon_rnn.tutorials.d2l.d2l092`; nothing here holds logic of its own.
Differences from d2l 0.9.2 (no crash for ``num_epochs < 4`` or a too-short corpus, data
found through :func:`gluon_rnn.data.resolve.resolve`, ``train_and_predict_rnn`` returning
the perplexities) are documented on each function.
"""
from gluon_rnn.tutorials.d2l.d2l092 import (
    RNNModel,
    Vocab,
    data_iter_consecutive,
    data_iter_random,
    get_params,
    grad_clipping,
    grad_clipping_gluon,
    init_rnn_state,
    load_data_time_machine,
    params_factory,
    predict_rnn,
    predict_rnn_gluon,
    rnn,
    semilogy,
    set_figsize,
    sgd,
    to_onehot,
    train_and_predict_rnn,
    train_and_predict_rnn_gluon,
    try_all_gpus,
    try_gpu,
    use_svg_display,
)

__version__ = "0.9.2"  # the d2l release whose behaviour this module follows

__all__ = [
    "RNNModel", "grad_clipping_gluon", "predict_rnn_gluon", "train_and_predict_rnn_gluon",
    "Vocab", "data_iter_consecutive", "data_iter_random", "get_params", "grad_clipping",
    "init_rnn_state", "load_data_time_machine", "params_factory", "predict_rnn", "rnn", "sgd",
    "to_onehot", "train_and_predict_rnn", "try_all_gpus", "try_gpu", "semilogy", "set_figsize",
    "use_svg_display", "plt",
]


def __getattr__(name: str):
    """``d2l.plt`` is matplotlib's pyplot, loaded when first used."""
    if name == "plt":
        from gluon_rnn.tutorials.d2l.plotting import pyplot
        return pyplot()
    raise AttributeError(f"module 'd2l_compat' has no attribute {name!r}")
