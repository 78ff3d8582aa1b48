"""The MXNet helper of d2l-en 1.0, ``d2l==1.0.3`` (``from d2l import mxnet as d2l`` in its
class-based chapters), recurrent-network names: the object-oriented frame
(:mod:`.framework`), the text and the recurrent models (:mod:`.rnn`), and what it shares
with other generations (devices, data files, the tensor aliases, figures: the shared
:mod:`..base`)."""
from ..base import (
    DATA_URL,
    abs,
    arange,
    argmax,
    astype,
    batch_matmul,
    bleu,
    concat,
    cos,
    cosh,
    cpu,
    exp,
    expand_dims,
    eye,
    float32,
    gpu,
    int32,
    int64,
    lazy_plt,
    linspace,
    log,
    matmul,
    meshgrid,
    normal,
    num_gpus,
    numpy,
    ones,
    ones_like,
    plot,
    rand,
    randn,
    reduce_mean,
    reduce_sum,
    repeat,
    reshape,
    set_axes,
    set_figsize,
    show_list_len_pair_hist,
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
    use_svg_display,
    zeros,
    zeros_like,
)
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
from .seq2seq import (
    Decoder,
    Encoder,
    EncoderDecoder,
    MTFraEng,
    Seq2Seq,
    Seq2SeqEncoder,
    download,
    extract,
)

__version__ = "1.0.3"  # the d2l release whose behaviour this module follows
USE_MXNET, USE_PYTORCH, USE_TENSORFLOW, USE_JAX = True, False, False, False
DATA_HUB: dict = {}  # d2l's registry of data files (the recurrent chapters register none)


__all__ = [  # with d2l 1.0.3's config.ini aliases, from size to repeat
    "size", "transpose", "sigmoid", "batch_matmul", "ones_like", "ones", "zeros_like", "zeros",
    "arange", "meshgrid", "sin", "sinh", "cos", "cosh", "tanh", "linspace", "exp", "log",
    "tensor", "normal", "randn", "expand_dims", "rand", "matmul", "int32", "int64", "float32",
    "concat", "stack", "abs", "eye", "numpy", "reshape", "to", "reduce_sum", "argmax",
    "astype", "reduce_mean", "swapaxes", "repeat",
    "Classifier", "DATA_HUB", "DATA_URL", "DataModule", "Decoder", "Encoder",
    "EncoderDecoder", "MTFraEng", "Seq2Seq", "Seq2SeqEncoder", "bleu",
    "show_list_len_pair_hist", "GRU", "HyperParameters",
    "LinearRegression", "Module", "ProgressBoard", "RNN", "RNNLM", "RNNLMScratch",
    "RNNScratch", "SGD", "TimeMachine", "Trainer", "Vocab", "add_to_class", "check_len",
    "check_shape", "cpu", "download", "extract", "gpu", "num_gpus", "plot", "set_axes",
    "set_figsize",
    "try_all_gpus", "try_gpu", "use_svg_display",
    "USE_MXNET", "USE_PYTORCH", "USE_TENSORFLOW", "USE_JAX",
]

__getattr__ = lazy_plt("d2l.mxnet", __version__)
