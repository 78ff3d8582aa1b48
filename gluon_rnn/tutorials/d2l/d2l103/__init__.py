"""The MXNet helper of d2l-en 1.0, ``d2l==1.0.3`` (``from d2l import mxnet as d2l`` in its
class-based chapters), recurrent-network names: the object-oriented frame
(:mod:`.framework`), the text and the recurrent models (:mod:`.rnn`), and what it shares
with 0.17.6 (devices, data files, the tensor aliases: :mod:`..numpy_api`; figures:
:mod:`..plotting`)."""
from ..numpy_api import (
    abs,
    arange,
    argmax,
    astype,
    batch_matmul,
    concat,
    cos,
    cosh,
    cpu,
    exp,
    expand_dims,
    eye,
    fetch,
    float32,
    gpu,
    int32,
    int64,
    linspace,
    log,
    matmul,
    meshgrid,
    normal,
    num_gpus,
    numpy,
    ones,
    ones_like,
    rand,
    randn,
    reduce_mean,
    reduce_sum,
    repeat,
    reshape,
    sigmoid,
    sin,
    sinh,
    size,
    stack,
    swapaxes,
    tanh,
    tensor,
    to,
    transpose,
    try_all_gpus,
    try_gpu,
    zeros,
    zeros_like,
)
from ..plotting import plot, set_axes, set_figsize, use_svg_display
from .framework import (
    SGD,
    Classifier,
    DataModule,
    HyperParameters,
    LinearRegression,
    Module,
    ProgressBoard,
    Trainer,
    add_to_class,
)
from .rnn import (
    DATA_URL,
    GRU,
    RNN,
    RNNLM,
    RNNLMScratch,
    RNNScratch,
    TimeMachine,
    Vocab,
    check_len,
    check_shape,
)

DATA_HUB: dict = {}  # d2l's registry of data files (the recurrent chapters register none)


def download(url, folder="../data", sha1_hash=None):
    """The local path of the file at ``url`` (d2l ``download``; a ``DATA_HUB`` name works
    too): in ``folder`` when its SHA-1 matches, else through gluon-rnn's resolver or a
    verified download (:func:`~..numpy_api.fetch`)."""
    if not url.startswith("http"):
        url, sha1_hash = DATA_HUB[url]
    return fetch(url, folder, sha1_hash)


__all__ = [  # with d2l 1.0.3's config.ini aliases, from size to repeat
    "size", "transpose", "sigmoid", "batch_matmul", "ones_like", "ones", "zeros_like", "zeros",
    "arange", "meshgrid", "sin", "sinh", "cos", "cosh", "tanh", "linspace", "exp", "log",
    "tensor", "normal", "randn", "expand_dims", "rand", "matmul", "int32", "int64", "float32",
    "concat", "stack", "abs", "eye", "numpy", "reshape", "to", "reduce_sum", "argmax",
    "astype", "reduce_mean", "swapaxes", "repeat",
    "Classifier", "DATA_HUB", "DATA_URL", "DataModule", "GRU", "HyperParameters",
    "LinearRegression", "Module", "ProgressBoard", "RNN", "RNNLM", "RNNLMScratch",
    "RNNScratch", "SGD", "TimeMachine", "Trainer", "Vocab", "add_to_class", "check_len",
    "check_shape", "cpu", "download", "gpu", "num_gpus", "plot", "set_axes", "set_figsize",
    "try_all_gpus", "try_gpu", "use_svg_display",
]
