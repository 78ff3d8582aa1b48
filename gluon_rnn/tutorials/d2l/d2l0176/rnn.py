"""The MXNet helper of the 2020-2022 books, ``d2l==0.17.6`` (``from d2l import mxnet as
d2l``): d2l-en 0.15-0.17 and the Chinese 2nd edition (d2l-zh 2.0.0, whose ``d2l/mxnet.py``
is byte-identical), recurrent-network chapters, on MXNet's numpy interface (the pages call
``npx.set_np()``) and the core's partitioning blocks.

Faithful: under the same ``random.seed``, ``mx.random.seed`` and ``numpy.random.seed`` the
same batches (Python's ``random``: one ``randint`` offset per pass, a ``shuffle`` for
random sampling), vocabulary (``<unk>`` first, then by frequency), initial parameters,
printed lines (``perplexity {ppl:.1f}, {speed:.1f} tokens/sec on {device}``, speeds aside)
and predictions as the real package. Minus its crashes: ``num_epochs=0``, an unknown
token type or a corpus too short for a batch is a ``ValueError`` naming it; data come
through gluon-rnn's resolver (``$GLUON_RNN_DATA``, ``./data``, ``../data``, the cache)
before any download, and a download is verified; figures appear inline in Jupyter and
never as ``<Figure ...>`` text elsewhere (:mod:`..base.plotting`). Faster where the arithmetic
allows: ``train_ch8`` hybridizes this module's :class:`RNNModel` and reads the epoch's
loss once per epoch instead of once per minibatch (the same sums, in the same order).
"""
from __future__ import annotations

import collections
import os
import random
import re
from typing import Callable, Iterator, List, Sequence, Tuple

from mxnet import gluon, init

from ...._checks import check_counts, check_rates
from ....data.batches import as_corpus, check_indices, window_batches
from ....devices import check_context
from ..base import (
    DATA_URL,
    Accumulator,
    Animator,
    OneHotRNNModel,
    ScratchRNNModel,
    SeqLoader,
    Timer,
    TokenLookup,
    abs,
    arange,
    argmax,
    astype,
    check_np_batches,
    check_output_size,
    clip_model_gradients,
    concat,
    corpus_and_vocab,
    cos,
    cosh,
    evaluate_loss,
    exp,
    eye,
    float32,
    greedy_predict,
    hub_download,
    hub_entry,
    int32,
    linspace,
    load_array,
    log,
    matmul,
    meshgrid,
    normal,
    np_float32,
    numpy,
    one_epoch,
    ones,
    plot,
    rand,
    reduce_sum,
    reshape,
    sequential_np_iter,
    set_axes,
    set_figsize,
    sgd,
    sin,
    sinh,
    size,
    stack,
    tanh,
    tensor,
    time_machine_data,
    to,
    transpose,
    try_all_gpus,
    try_gpu,
    use_svg_display,
    zeros,
)

DATA_HUB = {"time_machine": hub_entry("timemachine.txt"), "fra-eng": hub_entry("fra-eng.zip")}

__all__ = [  # with d2l 0.17.6's config.ini aliases, from size to astype
    "size", "transpose", "ones", "zeros", "arange", "meshgrid", "sin", "sinh", "cos", "cosh",
    "tanh", "linspace", "exp", "log", "tensor", "normal", "rand", "matmul", "int32", "float32",
    "concat", "stack", "abs", "eye", "numpy", "reshape", "to", "reduce_sum", "argmax", "astype",
    "Accumulator", "Animator", "DATA_HUB", "DATA_URL", "RNNModel", "RNNModelScratch",
    "SeqDataLoader", "Timer", "Vocab", "count_corpus", "download", "evaluate_loss",
    "grad_clipping", "load_array", "load_corpus_time_machine", "load_data_time_machine",
    "plot", "predict_ch8", "read_time_machine", "seq_data_iter_random",
    "seq_data_iter_sequential", "set_axes", "set_figsize", "sgd", "tokenize", "train_ch8",
    "train_epoch_ch8", "try_all_gpus", "try_gpu", "use_svg_display",
]


def download(name: str, cache_dir: str = os.path.join("..", "data")) -> str:
    """The local path of ``DATA_HUB[name]`` (d2l ``download``), found or fetched and
    verified as :func:`~..base.fetch` says."""
    return hub_download(DATA_HUB, name, cache_dir)


def read_time_machine() -> List[str]:
    """The Time Machine's lines, letters only, lower-cased (d2l ``read_time_machine``)."""
    with open(download("time_machine")) as f:
        lines = f.readlines()
    return [re.sub("[^A-Za-z]+", " ", line).strip().lower() for line in lines]


def tokenize(lines: Sequence[str], token: str = "word") -> list:
    """Each line split into words or characters (d2l ``tokenize``; another token type is
    a ``ValueError`` here, where d2l prints an error and returns ``None``)."""
    if token == "word":
        return [line.split() for line in lines]
    if token == "char":
        return [list(line) for line in lines]
    raise ValueError(f"unknown token type {token!r}: use 'word' or 'char'")


def count_corpus(tokens) -> collections.Counter:
    """Token frequencies of a list of tokens or of token lists (d2l ``count_corpus``)."""
    if len(tokens) == 0 or isinstance(tokens[0], list):
        tokens = [token for line in tokens for token in line]
    return collections.Counter(tokens)


class Vocab(TokenLookup):
    """Vocabulary for text (d2l 0.17.6 ``Vocab``): ``<unk>`` at 0, the reserved tokens,
    then the tokens by frequency, most frequent first (ties in order of appearance);
    those seen fewer than ``min_freq`` times are left out."""

    def __init__(self, tokens=None, min_freq: int = 0, reserved_tokens=None) -> None:
        tokens = [] if tokens is None else tokens
        reserved_tokens = [] if reserved_tokens is None else reserved_tokens
        counter = count_corpus(tokens)
        self._token_freqs = sorted(counter.items(), key=lambda x: x[1], reverse=True)
        self.unk = 0  # an attribute here (d2l: a read-only property), the same index
        self.idx_to_token = ["<unk>"] + list(reserved_tokens)
        self.token_to_idx = {token: idx for idx, token in enumerate(self.idx_to_token)}
        for token, freq in self._token_freqs:
            if freq < min_freq:
                break
            if token not in self.token_to_idx:
                self.idx_to_token.append(token)
                self.token_to_idx[token] = len(self.idx_to_token) - 1

    def __contains__(self, token) -> bool:
        return token in self.token_to_idx

    @property
    def token_freqs(self):
        return self._token_freqs


def load_corpus_time_machine(max_tokens: int = -1) -> Tuple[List[int], Vocab]:
    """The Time Machine as character indices and their vocabulary (28 tokens), the first
    ``max_tokens`` when positive (d2l ``load_corpus_time_machine``)."""
    tokens = tokenize(read_time_machine(), "char")
    return corpus_and_vocab(tokens, Vocab(tokens), max_tokens)


def _fits(corpus_len: int, batch_size: int, num_steps: int, is_random: bool) -> None:
    """Their size rule, for the worst offset each iterator may draw (``num_steps - 1``
    for random sampling, ``num_steps`` for sequential partitioning)."""
    check_np_batches(corpus_len, batch_size, num_steps, is_random,
                     num_steps - 1 if is_random else num_steps,
                     "random" if is_random else "sequential")


def seq_data_iter_random(corpus: Sequence[int], batch_size: int, num_steps: int):
    """Random sampling (d2l ``seq_data_iter_random``): an offset ``random.randint(0,
    num_steps - 1)``, the windows after it shuffled with ``random.shuffle``; ``X`` and
    ``Y`` float32 ``mx.np`` arrays of shape ``(batch_size, num_steps)``."""
    array = as_corpus(corpus)
    _fits(len(array), batch_size, num_steps, True)
    return _random_batches(array, batch_size, num_steps)


def _random_batches(corpus, batch_size: int, num_steps: int) -> Iterator:
    offset = random.randint(0, num_steps - 1)  # drawn when iterated, as d2l's generator
    num_subseqs = (len(corpus) - offset - 1) // num_steps
    starts = list(range(offset, offset + num_subseqs * num_steps, num_steps))
    random.shuffle(starts)
    yield from window_batches(corpus, starts, batch_size, num_steps, None, np_float32)


def seq_data_iter_sequential(corpus: Sequence[int], batch_size: int, num_steps: int):
    """Sequential partitioning (d2l ``seq_data_iter_sequential``): an offset
    ``random.randint(0, num_steps)``, ``batch_size`` rows read ``num_steps`` at a time."""
    return sequential_np_iter(corpus, batch_size, num_steps, _fits)


class SeqDataLoader(SeqLoader):
    """The Time Machine's minibatches, one pass per iteration (d2l ``SeqDataLoader``)."""

    def __init__(self, batch_size: int, num_steps: int, use_random_iter: bool,
                 max_tokens: int) -> None:
        super().__init__(seq_data_iter_random if use_random_iter else seq_data_iter_sequential,
                         load_corpus_time_machine(max_tokens), batch_size, num_steps,
                         use_random_iter, _fits)


def load_data_time_machine(batch_size: int, num_steps: int, use_random_iter: bool = False,
                           max_tokens: int = 10000):
    """``(SeqDataLoader, Vocab)`` of The Time Machine (d2l ``load_data_time_machine``)."""
    return time_machine_data(SeqDataLoader, batch_size, num_steps, use_random_iter, max_tokens)


class RNNModelScratch(ScratchRNNModel):
    """An RNN language model from a parameter function, a state function and a forward
    function (d2l ``RNNModelScratch(vocab_size, num_hiddens, device, get_params,
    init_state, forward_fn)``)."""


def predict_ch8(prefix: str, num_preds: int, net, vocab, device) -> str:
    """``prefix`` and ``num_preds`` characters chosen greedily (d2l ``predict_ch8``)."""
    return greedy_predict(prefix, num_preds, net, vocab, device)


def grad_clipping(net, theta: float) -> None:
    """The gradients rescaled to a joint L2 norm of at most ``theta``, bit for bit as
    d2l's ``grad_clipping`` (:func:`~..base.clip_model_gradients`)."""
    clip_model_gradients(net, theta)


def train_epoch_ch8(net, train_iter, loss, updater: Callable, device,
                    use_random_iter: bool) -> Tuple[float, float]:
    """One epoch (d2l ``train_epoch_ch8``): ``(perplexity, tokens per second)``, the
    perplexity d2l's (:func:`~..base.one_epoch`)."""
    return one_epoch(net, train_iter, loss, updater, device, use_random_iter)


def train_ch8(net, train_iter, vocab, lr: float, num_epochs: int, device,
              use_random_iter: bool = False) -> None:
    """Train and print as d2l's ``train_ch8`` does: a point of the perplexity plot every
    10 epochs, then the last perplexity and speed and two predictions. A Gluon net is
    re-initialised with N(0, 0.01^2) and trained by SGD, this module's :class:`RNNModel`
    hybridized (the same operators, compiled once); any other is updated by :func:`sgd`."""
    check_counts(num_epochs=num_epochs)
    check_context(device, "device")
    check_rates(lr=lr)
    check_output_size(net, len(vocab))  # a model for another vocabulary, or indices beyond it
    check_indices(getattr(train_iter, "corpus", []), len(vocab), "the training corpus")
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    animator = Animator(xlabel="epoch", ylabel="perplexity", legend=["train"],
                        xlim=[10, num_epochs])
    if isinstance(net, gluon.Block):
        net.initialize(ctx=device, force_reinit=True, init=init.Normal(0.01))
        if isinstance(net, RNNModel):
            net.hybridize(static_alloc=True, static_shape=True)
        trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": lr})

        def updater(batch_size):
            trainer.step(batch_size)
    else:
        def updater(batch_size):
            sgd(net.params, lr, batch_size)

    def predict(prefix):
        return predict_ch8(prefix, 50, net, vocab, device)
    for epoch in range(num_epochs):
        ppl, speed = train_epoch_ch8(net, train_iter, loss, updater, device, use_random_iter)
        if (epoch + 1) % 10 == 0:
            animator.add(epoch + 1, [ppl])
    print(f"perplexity {ppl:.1f}, {speed:.1f} tokens/sec on {str(device)}")
    print(predict("time traveller"))
    print(predict("traveller"))


class RNNModel(OneHotRNNModel):
    """A recurrent layer, its one-hot input and a dense output layer (d2l ``RNNModel``),
    a ``HybridBlock`` so that ``train_ch8`` can compile it."""
