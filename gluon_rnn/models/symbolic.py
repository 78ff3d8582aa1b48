"""``RNNSymbolic``: the WildML tutorial's Theano model (seed 000) as compiled MXNet graphs.

Theano built the forward pass once with ``scan`` and compiled the loss and its
gradients. Here the same model is a hybridized Gluon block: ``contrib.foreach``
is the ``scan``, ``take`` gathers columns of ``U`` instead of multiplying by a
one-hot vector, and ``autograd`` gives the gradients through the cached graph.
The parameters live in NDArrays with gradients attached and enter the graphs as
inputs, so every graph shares them.

What ``bptt_truncate`` means (``truncate_mode``):

* ``'numpy'`` (default), the numpy model's meaning: the gradient of each
  output ``o_t`` is followed back through the steps ``t - bptt_truncate .. t``
  only. The graph recomputes, for all ``t`` at once, the last
  ``bptt_truncate + 1`` steps before ``s_t`` from the (gradient-stopped) state
  ``s_{t - bptt_truncate - 1}``; values are unchanged, gradients equal
  ``RNNNumpy.bptt``.
* ``'theano'``: Theano's ``scan(truncate_gradient=k)`` as the tutorial's Theano
  model used it: gradients flow only through the last ``k`` steps of each
  sentence, so the outputs before them contribute nothing at all.

With ``bptt_truncate`` at least the sentence length both are full BPTT.
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, nd

from .numpy_rnn import PARAM_NAMES, _as_indices, init_params, softmax_rows

TRUNCATE_MODES = ("numpy", "theano")


class _ScanGraph(gluon.HybridBlock):
    """Full recurrence from ``s0``: returns (summed cross-entropy, states, logits)."""

    def hybrid_forward(self, F, x, y, s0, U, V, W):
        inputs = F.expand_dims(F.transpose(F.take(U, x, axis=1)), axis=1)  # (T, 1, H)

        def step(xu, states):
            s = F.tanh(xu + F.dot(states[0], W, transpose_b=True))
            return s, [s]

        S, _ = F.contrib.foreach(step, inputs, [s0])
        S = F.reshape(S, shape=(-1, 0), reverse=True)  # (T, H)
        logits = F.dot(S, V, transpose_b=True)
        loss = -F.sum(F.pick(F.log_softmax(logits), y, axis=1))
        return loss, S, logits


class _WindowGraph(gluon.HybridBlock):
    """Loss whose gradient follows each output back ``bptt_truncate`` steps only."""

    def __init__(self, bptt_truncate: int, **kwargs):
        super().__init__(**kwargs)
        self.bptt_truncate = bptt_truncate

    def hybrid_forward(self, F, x, y, S, U, V, W):
        k = self.bptt_truncate
        XU = F.transpose(F.take(U, x, axis=1))                              # (T, H)
        pad = F.zeros_like(F.slice_axis(F.concat(XU, XU, dim=0), axis=0, begin=0, end=k + 1))
        # Row t of `starts` is s_{t-k-1} (zero before the sentence starts).
        starts = F.slice_like(F.concat(pad, F.stop_gradient(S), dim=0), S, axes=(0,))
        XU_pad = F.concat(F.slice_axis(pad, axis=0, begin=0, end=k), XU, dim=0) if k else XU
        h = starts
        for j in range(k + 1):  # positions t-k+j; zero input keeps the zero state before t=0
            xu = F.slice_like(F.slice_axis(XU_pad, axis=0, begin=j, end=None), XU, axes=(0,))
            h = F.tanh(xu + F.dot(h, W, transpose_b=True))
        logits = F.dot(h, V, transpose_b=True)
        return -F.sum(F.pick(F.log_softmax(logits), y, axis=1))


class RNNSymbolic:
    """The tutorial's ``RNNTheano`` on MXNet: ``RNNSymbolic(word_dim, hidden_dim=100,
    bptt_truncate=4)`` with the same methods as :class:`RNNNumpy`.

    ``dtype`` is float32 (as the tutorial's Theano model) or float64; ``ctx``
    places the parameters and graphs; ``seed`` initialises like ``RNNNumpy(seed=...)``.
    """

    def __init__(self, word_dim: int, hidden_dim: int = 100, bptt_truncate: int = 4,
                 seed: Optional[int] = None, truncate_mode: str = "numpy",
                 dtype: str = "float32", ctx: Optional[mx.Context] = None):
        if truncate_mode not in TRUNCATE_MODES:
            raise ValueError(f"truncate_mode must be one of {TRUNCATE_MODES}, got {truncate_mode!r}")
        if word_dim < 1 or hidden_dim < 1 or bptt_truncate < 0:
            raise ValueError(f"word_dim and hidden_dim must be positive and bptt_truncate >= 0; "
                             f"got {word_dim}, {hidden_dim}, {bptt_truncate}")
        self.bptt_truncate, self.truncate_mode = bptt_truncate, truncate_mode
        self.dtype, self.ctx = dtype, ctx or mx.cpu()
        self._scan = _ScanGraph()
        self._window = _WindowGraph(bptt_truncate)
        for graph in (self._scan, self._window):
            graph.hybridize(static_alloc=True)
        self.set_parameters(*init_params(word_dim, hidden_dim, np.random.RandomState(seed)))

    # -- parameters -------------------------------------------------------------
    def set_parameters(self, U, V, W) -> None:
        self.U, self.V, self.W = (nd.array(p, ctx=self.ctx, dtype=self.dtype) for p in (U, V, W))
        for p in (self.U, self.V, self.W):
            p.attach_grad()
        self.hidden_dim, self.word_dim = self.U.shape

    def get_parameters(self) -> Dict[str, np.ndarray]:
        return {name: getattr(self, name).asnumpy() for name in PARAM_NAMES}

    # -- graph inputs -----------------------------------------------------------
    def _inputs(self, x, y=None):
        x = _as_indices(x, self.word_dim, "x")
        y = np.zeros_like(x) if y is None else _as_indices(y, self.word_dim, "y")
        if len(x) != len(y):
            raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
        as_nd = lambda a: nd.array(a, ctx=self.ctx, dtype=self.dtype)
        return as_nd(x), as_nd(y)

    def _zero_state(self) -> nd.NDArray:
        return nd.zeros((1, self.hidden_dim), ctx=self.ctx, dtype=self.dtype)

    def _scan_outputs(self, x, y=None):
        xs, ys = self._inputs(x, y)
        return (xs, ys) + tuple(self._scan(xs, ys, self._zero_state(), self.U, self.V, self.W))

    # -- the tutorial's methods ---------------------------------------------------
    def forward_propagation(self, x: Sequence[int]) -> Tuple[np.ndarray, np.ndarray]:
        """``(o, s)`` as numpy arrays, shaped as :meth:`RNNNumpy.forward_propagation`'s."""
        _, _, _, S, logits = self._scan_outputs(x)
        s = np.zeros((S.shape[0] + 1, self.hidden_dim), dtype=self.dtype)
        s[:-1] = S.asnumpy()
        return softmax_rows(logits.asnumpy()), s

    def predict(self, x: Sequence[int]) -> np.ndarray:
        _, _, _, _, logits = self._scan_outputs(x)
        return logits.argmax(axis=1).asnumpy().astype(np.int64)

    def ce_error(self, x: Sequence[int], y: Sequence[int]) -> float:
        """Summed cross-entropy of one sentence (Theano's ``ce_error``)."""
        return float(self._scan_outputs(x, y)[2].asscalar())

    def calculate_total_loss(self, X, Y) -> float:
        return float(sum(self.ce_error(x, y) for x, y in zip(X, Y)))

    def calculate_loss(self, X, Y) -> float:
        num_words = sum(len(y) for y in Y)
        if num_words == 0:
            raise ValueError("no words to compute a loss over")
        return self.calculate_total_loss(X, Y) / num_words

    def _backward(self, x, y) -> None:
        T, k = len(x), self.bptt_truncate
        params = (self.U, self.V, self.W)
        if k >= T - (self.truncate_mode == "numpy"):   # the truncation covers the sentence
            xs, ys = self._inputs(x, y)
            with autograd.record():
                loss = self._scan(xs, ys, self._zero_state(), *params)[0]
        elif self.truncate_mode == "numpy":
            xs, ys, _, S, _ = self._scan_outputs(x, y)
            with autograd.record():
                loss = self._window(xs, ys, S, *params)
        else:  # theano: only the last k steps, entered from the stopped state s_{T-k-1}
            xs, ys, _, S, _ = self._scan_outputs(x, y)
            start = S[T - k - 1:T - k] if k else None
            with autograd.record():
                loss = self._scan(xs[T - k:], ys[T - k:], start, *params)[0] if k else None
            if loss is None:
                for p in params:
                    p.grad[:] = 0
                return
        loss.backward()

    def bptt(self, x: Sequence[int], y: Sequence[int]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(dU, dV, dW)`` as numpy arrays (truncation as ``truncate_mode`` says)."""
        self._backward(x, y)
        return tuple(p.grad.asnumpy() for p in (self.U, self.V, self.W))

    def sgd_step(self, x: Sequence[int], y: Sequence[int], learning_rate: float) -> None:
        """One SGD update, computed and applied on ``ctx`` without leaving MXNet."""
        self._backward(x, y)
        for p in (self.U, self.V, self.W):
            p -= learning_rate * p.grad  # (nd.sgd_update holds lr in float32)
