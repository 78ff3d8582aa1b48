"""The recurrent-network chapter on MXNet's numpy interface, as every ``import d2l``
numpy-era and ``from d2l import mxnet`` helper has it (d2l 0.11.1, 0.12.0 and 0.17.6,
whose ``RNNModelScratch``, ``predict_ch8``, ``grad_clipping``, ``train_epoch_ch8`` and
``RNNModel`` compute the same things under other argument names): the model around
a reader's own functions, greedy prediction, gradient clipping, one epoch, and the
Gluon model. Each generation gives them its release's names.

Bit for bit the helpers' numbers; faster where the arithmetic allows (see each).
"""
from __future__ import annotations

import math
import random
from typing import Callable, Iterator, Optional, Tuple

from mxnet import autograd, gluon, np, npx
from mxnet.gluon import nn
from mxnet.gluon.parameter import DeferredInitializationError

from ...._checks import check_counts
from ....data.batches import as_corpus, require_batches, row_batches
from ....sampling import greedy_text
from ....train.traced import (
    TracedFunction,
    TracedStep,
    blocks_side_effect_free,
    tracing_mode,
)
from .numpy_api import Timer

__all__ = ["OneHotRNNModel", "ScratchRNNModel", "SeqLoader", "TokenLookup", "clip_model_gradients",
           "check_np_batches", "clip_factor", "consecutive_np_batches", "corpus_and_vocab",
           "gluon_training_step", "kept_step",
           "sequential_np_iter", "time_machine_data", "greedy_predict", "np_float32",
           "one_epoch"]


class TokenLookup:
    """A vocabulary's lookups, as every numpy-era ``Vocab`` has them: its length, token to
    index (``unk`` for an unknown one; lists and tuples element by element), index to
    token. A subclass fills ``idx_to_token``, ``token_to_idx`` and ``unk``."""

    idx_to_token: list
    token_to_idx: dict
    unk: int

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, self.unk)
        return [self.__getitem__(token) for token in tokens]

    def to_tokens(self, indices):
        if not isinstance(indices, (list, tuple)):
            return self.idx_to_token[indices]
        return [self.idx_to_token[index] for index in indices]


def corpus_and_vocab(tokens: list, vocab, max_tokens: int):
    """d2l's ``load_corpus_time_machine`` after its vocabulary: every token's index, the
    first ``max_tokens`` when positive, and the vocabulary."""
    corpus = [vocab[token] for line in tokens for token in line]
    return (corpus[:max_tokens] if max_tokens > 0 else corpus), vocab


def np_float32(values, ctx) -> np.ndarray:
    """The batches' arrays as the numpy-era helpers make them (``np.array`` of indices:
    float32)."""
    return np.array(values, dtype="float32", ctx=ctx)


def check_np_batches(corpus_len: int, batch_size: int, num_steps: int, is_random: bool,
                     worst_offset: int, kind: str) -> None:
    """A numpy-era iterator's size rule: at least one batch after the largest random start
    offset it may draw (``worst_offset``), or the one "corpus too short" error."""
    check_counts(batch_size=batch_size, num_steps=num_steps)
    if is_random:
        count = (corpus_len - worst_offset - 1) // num_steps // batch_size
    else:
        count = (corpus_len - worst_offset - 1) // batch_size // num_steps
    require_batches(count, corpus_len, batch_size, num_steps, kind,
                    f"random start offset up to {worst_offset}")


def sequential_np_iter(corpus, batch_size: int, num_steps: int, fits: Callable) -> Iterator:
    """The corpus checked by the generation's ``fits(corpus_len, batch_size, num_steps,
    is_random)``, then :func:`consecutive_np_batches` of it."""
    array = as_corpus(corpus)
    fits(len(array), batch_size, num_steps, False)
    return consecutive_np_batches(array, batch_size, num_steps)


def time_machine_data(loader: Callable, batch_size: int, num_steps: int,
                      use_random_iter: bool, max_tokens: int):
    """d2l's ``load_data_time_machine`` on a generation's ``SeqDataLoader``: the loader
    and its vocabulary."""
    data_iter = loader(batch_size, num_steps, use_random_iter, max_tokens)
    return data_iter, data_iter.vocab


def consecutive_np_batches(corpus, batch_size: int, num_steps: int) -> Iterator:
    """Sequential partitioning after an offset ``random.randint(0, num_steps)`` drawn when
    the first batch is asked for (d2l 0.12.0 ``seq_data_iter_consecutive``, 0.17.6
    ``seq_data_iter_sequential``): ``batch_size`` rows read ``num_steps`` at a time."""
    offset = random.randint(0, num_steps)
    row_length = (len(corpus) - offset - 1) // batch_size
    yield from row_batches(corpus, batch_size, num_steps, offset, row_length,
                           row_length // num_steps, None, np_float32)


class SeqLoader:
    """A corpus's minibatches, one pass per iteration (d2l ``SeqDataLoader``, whose
    arguments each generation's subclass takes): ``data_iter_fn(corpus, batch_size,
    num_steps)`` over the ``(corpus, vocab)`` a loader gave, checked by the generation's
    size rule ``fits(corpus_len, batch_size, num_steps, is_random)``."""

    def __init__(self, data_iter_fn: Callable, corpus_vocab: tuple, batch_size: int,
                 num_steps: int, is_random: bool, fits: Callable) -> None:
        self.data_iter_fn = data_iter_fn
        self.corpus, self.vocab = corpus_vocab
        self.batch_size, self.num_steps = batch_size, num_steps
        fits(len(self.corpus), batch_size, num_steps, is_random)  # refused at once, not later

    def __iter__(self):
        return self.data_iter_fn(self.corpus, self.batch_size, self.num_steps)


class ScratchRNNModel:
    """An RNN language model from a parameter function, a state function and a forward
    function (d2l ``RNNModelScratch``): the inputs one-hot, time steps first."""

    def __init__(self, vocab_size: int, num_hiddens: int, device, get_params: Callable,
                 init_state: Callable, forward_fn: Callable) -> None:
        self.vocab_size, self.num_hiddens = vocab_size, num_hiddens
        self.params = get_params(vocab_size, num_hiddens, device)
        self.init_state, self.forward_fn = init_state, forward_fn

    def __call__(self, X, state):
        X = npx.one_hot(X.T, self.vocab_size)
        return self.forward_fn(X, state, self.params)

    def begin_state(self, batch_size: int, ctx):
        return self.init_state(batch_size, self.num_hiddens, ctx)

    def training_step(self, loss) -> TracedStep:
        """``step(X, y, *state) -> (mean loss, *state)`` with the backward done: the
        reader's forward function and ``loss`` as one cached graph where that gives the
        same bits (:class:`~gluon_rnn.train.traced.TracedStep`), kept for the loss
        (:func:`kept_step`)."""
        def forward(X, y, *state):
            y_hat, state = self(X, state)
            return (loss(y_hat, y).mean(), *state)
        step = kept_step(self, (id(loss),), lambda: TracedStep(forward, self.params))
        assert step is not None  # made unconditionally
        return step


def greedy_predict(prefix: str, num_preds: int, net, vocab, device) -> str:
    """``prefix`` and ``num_preds`` characters chosen greedily (d2l ``predict_ch8``)."""
    def step(index, state):
        y, state = net(np.array([[index]], ctx=device), state)
        return y.as_nd_ndarray(), state
    return greedy_text(prefix, num_preds, vocab, net.begin_state(batch_size=1, ctx=device), step)


def clip_model_gradients(net, theta: float) -> None:
    """Rescale the gradients to a joint L2 norm of at most ``theta`` (d2l
    ``grad_clipping``), bit for bit: the same float32 sums of squares (a ``**`` per
    element, summed array by array), the square root and ``theta / norm`` in float64 as
    Python computes them, and the same float32 product. d2l reads the norm back to decide
    in Python (waiting for every minibatch to finish); here the decision is an operator
    too (a factor of exactly 1 when the norm is within ``theta``), so MXNet's engine never
    waits and the next minibatch is prepared while this one computes; that arithmetic
    (:func:`clip_factor`) runs as one cached graph where it gives the same bits."""
    if isinstance(net, gluon.Block):
        params = [p.data() for p in net.collect_params().values()]
    else:
        params = net.params
    grads = [p.grad for p in params]
    try:  # one cached graph for the factor, kept on the net (module text of traced)
        factor_of = vars(net).setdefault("_gluon_rnn_clip_factor", TracedFunction(
            clip_factor, recording_only=False))
    except TypeError:  # an object without a __dict__
        factor_of = clip_factor
    factor = factor_of(grads, theta)
    for grad in grads:  # d2l's grad[:] *= ..., less the copy of the result onto itself
        np.multiply(grad, factor, out=grad)


def clip_factor(grads, theta: float):
    """What d2l's ``grad_clipping`` multiplies the gradients by, as an array: ``theta /
    norm`` in float64 where the joint L2 norm exceeds ``theta``, else 1, as float32."""
    total = sum((grad ** 2).sum() for grad in grads)
    norm = np.sqrt(total.astype("float64"))
    return np.where(norm > theta, theta / norm, np.ones_like(norm)).astype("float32")


def gluon_training_step(net, loss, device) -> Optional[TracedStep]:
    """A Gluon net's step (forward, ``loss``, backward) as one cached graph where that
    gives the same bits (:class:`~gluon_rnn.train.traced.TracedStep`), kept on the net
    per loss and parameter arrays (a re-initialised net gets a new one); None, the step
    as written, for anything else: not a Block, tracing off, a parameter not yet
    initialised or without a gradient, a Block whose ``forward`` does more than compute
    (:func:`~gluon_rnn.train.traced.blocks_side_effect_free`)."""
    if not isinstance(net, gluon.Block) or tracing_mode() == "off":
        return None
    try:
        params = [p.data(device) for p in net.collect_params().values()]
    except DeferredInitializationError:
        return None
    if any(p.grad is None for p in params):
        return None

    def forward(X, y, *state):
        y_hat, state = net(X, list(state))
        return (loss(y_hat, y).mean(), *state)
    return kept_step(net, (id(loss), tuple(p.handle.value for p in params)),
                     lambda: TracedStep(forward, params) if blocks_side_effect_free(net)
                     else None)


def kept_step(owner, key: tuple, make: Callable[[], Optional[TracedStep]]
              ) -> Optional[TracedStep]:
    """The training step kept on ``owner`` (a model) for ``key`` (its loss, its parameter
    arrays), made by ``make`` when the key changes; only the latest is kept, so a finished
    training's graphs go with it. The step holds its loss and arrays, so no key's ids are
    reused while it is kept."""
    steps = vars(owner).setdefault("_gluon_rnn_training_steps", {})
    if key not in steps:
        steps.clear()
        steps[key] = make()
    return steps[key]


# minibatches queued in MXNet's engine at most (each holds its activations until it runs)
IN_FLIGHT = 2


def one_epoch(net, train_iter, loss, updater: Callable, device,
              use_random_iter: bool) -> Tuple[float, float]:
    """One epoch (d2l ``train_epoch_ch8``): ``(perplexity, tokens per second)``. The
    sum of the losses is read once, at the end, and added in the same order as d2l's
    ``Accumulator`` adds it minibatch by minibatch, so the perplexity is d2l's."""
    state, timer = None, Timer()
    sums, n = [], 0
    for X, Y in train_iter:
        if state is None or use_random_iter:
            state = net.begin_state(batch_size=X.shape[0], ctx=device)
        else:
            for s in state:
                s.detach()  # as d2l (mx.np's detach returns a new array: this changes nothing)
        y = Y.T.reshape(-1)
        X, y = X.as_in_ctx(device), y.as_in_ctx(device)
        step = net.training_step(loss) if isinstance(net, ScratchRNNModel) \
            else gluon_training_step(net, loss, device)
        if step is not None:  # the reader's cell or Block, as one cached graph
            l, state = step.with_state(X, y, state)
        else:
            with autograd.record():
                y_hat, state = net(X, state)
                l = loss(y_hat, y).mean()
            l.backward()
        clip_model_gradients(net, 1)
        updater(batch_size=1)  # the loss is already a mean
        sums.append(l * y.size)
        n += y.size
        if len(sums) > IN_FLIGHT:  # Python runs ahead of the arithmetic, this far only
            sums[-IN_FLIGHT - 1].wait_to_read()
    if not sums:
        raise ValueError("the data iterator gave no minibatch: the corpus is too short for "
                         "its batch_size x num_steps")
    total = 0.0
    for value in np.stack(sums).asnumpy():  # one read, d2l's order and float arithmetic
        total += float(value)
    return math.exp(total / n), n / timer.stop()


class OneHotRNNModel(nn.HybridBlock):
    """A recurrent layer, its one-hot input and a dense output layer (d2l ``RNNModel``:
    the same parameters, in the same order, and outputs ``(num_steps * batch_size,
    vocab_size)``), a ``HybridBlock`` so that it can be compiled."""

    def __init__(self, rnn_layer, vocab_size: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rnn = rnn_layer
        self.vocab_size = vocab_size
        self.dense = nn.Dense(vocab_size, flatten=False)

    def hybrid_forward(self, F, inputs, state):
        X = F.npx.one_hot(inputs.T, self.vocab_size)
        Y, state = self.rnn(X, state)
        return F.np.reshape(self.dense(Y), (-1, self.vocab_size)), state

    def begin_state(self, *args, **kwargs):
        return self.rnn.begin_state(*args, **kwargs)
