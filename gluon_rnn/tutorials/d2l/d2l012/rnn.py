"""The numpy-interface helper of d2l-en v0.7.0 and v0.8.0 (2019-2020), ``import d2l``
beside ``from mxnet import np, npx``: ``d2l==0.12.0``'s recurrent-network chapter (and
``d2l==0.11.1``'s, the same code apart from where the text is read and ``Vocab``'s
``use_special_tokens``, both served here).

Faithful: under the same ``random.seed``, ``mx.random.seed`` and ``numpy.random.seed`` the
same batches (one ``random.randint(0, num_steps)`` offset per pass, inclusive, and a
``shuffle`` for random sampling), vocabulary (``<unk>`` first, then by frequency, ties in
alphabetical order), initial parameters, printed lines (a prediction every 10 epochs,
then ``Perplexity {ppl:.1f}, {speed:d} tokens/sec on {ctx}``, speeds aside) and
predictions as the real package. Minus its crashes: ``num_epochs=0``, an unknown token
type (d2l prints an error and returns ``None``) or a corpus too short for a batch is a
``ValueError`` naming it; the text comes through gluon-rnn's resolver (``../data``,
``$GLUON_RNN_DATA``, ``./data``, the cache) before any download, verified. Faster where
the arithmetic allows: ``train_ch8`` hybridizes :class:`RNNModel` and reads the epoch's
loss once (the same sums, in the same order; :mod:`..base.numpy_rnn`).
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
    check_np_batches,
    check_output_size,
    clip_model_gradients,
    corpus_and_vocab,
    evaluate_loss,
    greedy_predict,
    hub_download,
    hub_entry,
    load_array,
    np_float32,
    one_epoch,
    plot,
    sequential_np_iter,
    set_axes,
    set_figsize,
    sgd,
    time_machine_data,
    try_all_gpus,
    try_gpu,
    use_svg_display,
)

DATA_HUB = {"time_machine": hub_entry("timemachine.txt"), "fra-eng": hub_entry("fra-eng.zip")}

__all__ = [
    "Accumulator", "Animator", "DATA_HUB", "DATA_URL", "RNNModel", "RNNModelScratch",
    "SeqDataLoader", "Timer", "Vocab", "count_corpus", "download", "download_all",
    "evaluate_loss", "grad_clipping", "load_array", "load_corpus_time_machine",
    "load_data_time_machine", "plot", "predict_ch8", "read_time_machine",
    "seq_data_iter_consecutive", "seq_data_iter_random", "set_axes", "set_figsize", "sgd",
    "tokenize", "train_ch8", "train_epoch_ch8", "try_all_gpus", "try_gpu", "use_svg_display",
]


def download(name: str, cache_dir: str = os.path.join("..", "data")) -> str:
    """The local path of ``DATA_HUB[name]`` (d2l ``download``), found or fetched and
    verified as :func:`~..base.fetch` says."""
    return hub_download(DATA_HUB, name, cache_dir)


def download_all() -> None:
    """Every file of ``DATA_HUB`` (d2l ``download_all``)."""
    for name in DATA_HUB:
        download(name)


def read_time_machine() -> List[str]:
    """The Time Machine's lines, stripped and lower-cased, then every run of non-letters
    one space (d2l ``read_time_machine``: a line may end in a space)."""
    with open(download("time_machine")) as f:
        lines = f.readlines()
    return [re.sub("[^A-Za-z]+", " ", line.strip().lower()) for line in lines]


def tokenize(lines: Sequence[str], token: str = "word") -> list:
    """Each line split at single spaces into words, or into characters (d2l
    ``tokenize``; another token type is a ``ValueError`` here)."""
    if token == "word":
        return [line.split(" ") for line in lines]
    if token == "char":
        return [list(line) for line in lines]
    raise ValueError(f"unknown token type {token!r}: use 'word' or 'char'")


def count_corpus(sentences) -> collections.Counter:
    """Token frequencies of a list of token lists (d2l ``count_corpus``)."""
    return collections.Counter(token for line in sentences for token in line)


class Vocab(TokenLookup):
    """Vocabulary for text (d2l 0.12.0 ``Vocab``; 0.11.1's ``use_special_tokens``
    too): ``<unk>`` at 0 and the reserved tokens (or ``<pad> <bos> <eos> <unk>`` at 0-3),
    then the tokens seen at least ``min_freq`` times, most frequent first, ties in
    alphabetical order."""

    def __init__(self, tokens, min_freq: int = 0, reserved_tokens=None,
                 use_special_tokens: bool = False) -> None:
        counter = count_corpus(tokens)
        self.token_freqs = sorted(counter.items(), key=lambda x: x[0])
        self.token_freqs.sort(key=lambda x: x[1], reverse=True)
        if use_special_tokens:
            self.pad, self.bos, self.eos, self.unk = (0, 1, 2, 3)
            uniq_tokens = ["<pad>", "<bos>", "<eos>", "<unk>"]
        else:
            self.unk, uniq_tokens = 0, ["<unk>"] + list(reserved_tokens or [])
        uniq_tokens += [token for token, freq in self.token_freqs
                        if freq >= min_freq and token not in uniq_tokens]
        self.idx_to_token, self.token_to_idx = [], {}
        for token in uniq_tokens:
            self.idx_to_token.append(token)
            self.token_to_idx[token] = len(self.idx_to_token) - 1


def load_corpus_time_machine(max_tokens: int = -1) -> Tuple[List[int], Vocab]:
    """The Time Machine as character indices and their vocabulary, the first
    ``max_tokens`` when positive (d2l ``load_corpus_time_machine``)."""
    tokens = tokenize(read_time_machine(), "char")
    return corpus_and_vocab(tokens, Vocab(tokens), max_tokens)


def _fits(corpus_len: int, batch_size: int, num_steps: int, is_random: bool) -> None:
    """Their size rule, for the worst offset (``num_steps``) either iterator may draw."""
    check_np_batches(corpus_len, batch_size, num_steps, is_random, num_steps,
                     "random" if is_random else "consecutive")


def seq_data_iter_random(corpus: Sequence[int], batch_size: int, num_steps: int):
    """Random sampling (d2l ``seq_data_iter_random``): the corpus after an offset
    ``random.randint(0, num_steps)``, its windows shuffled with ``random.shuffle``; ``X``
    and ``Y`` float32 ``mx.np`` arrays of shape ``(batch_size, num_steps)``."""
    array = as_corpus(corpus)
    _fits(len(array), batch_size, num_steps, True)
    return _random_batches(array, batch_size, num_steps)


def _random_batches(corpus, batch_size: int, num_steps: int) -> Iterator:
    corpus = corpus[random.randint(0, num_steps):]  # drawn when iterated, as d2l's generator
    num_examples = (len(corpus) - 1) // num_steps
    starts = list(range(0, num_examples * num_steps, num_steps))
    random.shuffle(starts)
    yield from window_batches(corpus, starts, batch_size, num_steps, None, np_float32)


def seq_data_iter_consecutive(corpus: Sequence[int], batch_size: int, num_steps: int):
    """Consecutive (sequential) partitioning (d2l ``seq_data_iter_consecutive``): an
    offset ``random.randint(0, num_steps)``, ``batch_size`` rows read ``num_steps`` at a
    time."""
    return sequential_np_iter(corpus, batch_size, num_steps, _fits)


def load_data_time_machine(batch_size: int, num_steps: int, use_random_iter: bool = False,
                           max_tokens: int = 10000):
    """``(SeqDataLoader, Vocab)`` of The Time Machine (d2l ``load_data_time_machine``)."""
    return time_machine_data(SeqDataLoader, batch_size, num_steps, use_random_iter, max_tokens)


class SeqDataLoader(SeqLoader):
    """The Time Machine's minibatches, one pass per iteration (d2l ``SeqDataLoader``)."""

    def __init__(self, batch_size: int, num_steps: int, use_random_iter: bool,
                 max_tokens: int) -> None:
        super().__init__(seq_data_iter_random if use_random_iter else seq_data_iter_consecutive,
                         load_corpus_time_machine(max_tokens), batch_size, num_steps,
                         use_random_iter, _fits)


class RNNModelScratch(ScratchRNNModel):
    """An RNN language model from a parameter function, a state function and a forward
    function (d2l ``RNNModelScratch(vocab_size, num_hiddens, ctx, get_params,
    init_state, forward)``)."""

    def __init__(self, vocab_size: int, num_hiddens: int, ctx, get_params: Callable,
                 init_state: Callable, forward: Callable) -> None:
        super().__init__(vocab_size, num_hiddens, ctx, get_params, init_state, forward)


def predict_ch8(prefix: str, num_predicts: int, model, vocab, ctx) -> str:
    """``prefix`` and ``num_predicts`` characters chosen greedily (d2l ``predict_ch8``)."""
    return greedy_predict(prefix, num_predicts, model, vocab, ctx)


def grad_clipping(model, theta: float) -> None:
    """The gradients rescaled to a joint L2 norm of at most ``theta``, bit for bit as
    d2l's ``grad_clipping`` (:func:`~..base.clip_model_gradients`)."""
    clip_model_gradients(model, theta)


def train_epoch_ch8(model, train_iter, loss, updater: Callable, ctx,
                    use_random_iter: bool) -> Tuple[float, float]:
    """One epoch (d2l ``train_epoch_ch8``): ``(perplexity, tokens per second)``, the
    perplexity d2l's (:func:`~..base.one_epoch`)."""
    return one_epoch(model, train_iter, loss, updater, ctx, use_random_iter)


def train_ch8(model, train_iter, vocab, lr: float, num_epochs: int, ctx,
              use_random_iter: bool = False) -> None:
    """Train and print as d2l 0.12.0's ``train_ch8`` does: a prediction and a point of
    the perplexity plot at epochs 1, 11, 21, ..., then the last perplexity and speed and
    two predictions. A Gluon model is re-initialised with N(0, 0.01^2) and trained by
    SGD (this module's :class:`RNNModel` hybridized); any other is updated by :func:`sgd`."""
    check_counts(num_epochs=num_epochs)
    check_context(ctx, "ctx")
    check_rates(lr=lr)
    check_output_size(model, len(vocab))
    check_indices(getattr(train_iter, "corpus", []), len(vocab), "the training corpus")
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    animator = Animator(xlabel="epoch", ylabel="perplexity", legend=["train"],
                        xlim=[1, num_epochs])
    if isinstance(model, gluon.Block):
        model.initialize(ctx=ctx, force_reinit=True, init=init.Normal(0.01))
        if isinstance(model, RNNModel):
            model.hybridize(static_alloc=True, static_shape=True)
        trainer = gluon.Trainer(model.collect_params(), "sgd", {"learning_rate": lr})

        def updater(batch_size):
            trainer.step(batch_size)
    else:
        def updater(batch_size):
            sgd(model.params, lr, batch_size)

    def predict(prefix):
        return predict_ch8(prefix, 50, model, vocab, ctx)
    for epoch in range(num_epochs):
        ppl, speed = train_epoch_ch8(model, train_iter, loss, updater, ctx, use_random_iter)
        if epoch % 10 == 0:
            print(predict("time traveller"))
            animator.add(epoch + 1, [ppl])
    print("Perplexity %.1f, %d tokens/sec on %s" % (ppl, speed, ctx))
    print(predict("time traveller"))
    print(predict("traveller"))


class RNNModel(OneHotRNNModel):
    """A recurrent layer, its one-hot input and a dense output layer (d2l ``RNNModel``),
    a ``HybridBlock`` so that ``train_ch8`` can compile it."""
