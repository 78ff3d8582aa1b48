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

from .._checks import check_choice, check_model_sizes
from .numpy_rnn import _as_indices, init_params, softmax_rows

TRUNCATE_MODES = ("numpy", "theano")


def _scan(F, XU, s0, W):
    """The recurrence ``s_t = tanh(XU_t + W s_{t-1})`` from ``s0`` (1, H): states (T, H)."""
    def step(xu, states):
        s = F.tanh(xu + F.dot(states[0], W, transpose_b=True))
        return s, [s]

    S, _ = F.contrib.foreach(step, F.expand_dims(XU, axis=1), [s0])
    return F.reshape(S, shape=(-1, 0), reverse=True)


def _cross_entropy(F, S, V, y):
    logits = F.dot(S, V, transpose_b=True)
    return -F.sum(F.pick(F.log_softmax(logits), y, axis=1)), logits


class _ScanGraph(gluon.HybridBlock):
    """Full recurrence from ``s0`` over the gathered inputs ``XU = U[:, x].T``:
    returns (summed cross-entropy, states, logits)."""

    def hybrid_forward(self, F, XU, y, s0, V, W):
        S = _scan(F, XU, s0, W)
        loss, logits = _cross_entropy(F, S, V, y)
        return loss, S, logits


class _WindowGraph(gluon.HybridBlock):
    """A head whose backward is the gradient of the sentence's cross-entropy, each
    output's gradient followed back ``bptt_truncate`` steps only.

    The states are computed once under ``stop_gradient``; then, for all ``t`` at
    once, the last ``k + 1`` steps before ``s_t`` are recomputed from
    ``s_{t-k-1}`` (zero before the sentence), so values are unchanged and the
    gradient of ``o_t`` reaches back ``k`` steps, as in ``RNNNumpy.bptt``.
    """

    def __init__(self, bptt_truncate: int, hidden_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.bptt_truncate, self.hidden_dim = bptt_truncate, hidden_dim

    def hybrid_forward(self, F, XU, y, s0, eye, V, W):
        k = self.bptt_truncate
        # The states need no gradient: MXNet's fused RNN operator computes them in one
        # call (input weights = identity, biases zero, recurrent weights = W).
        fused = F.concat(F.reshape(eye, shape=(-1,)), F.reshape(F.stop_gradient(W), shape=(-1,)),
                         F.zeros_like(F.concat(s0, s0, dim=1).reshape((-1,))), dim=0)
        S = F.RNN(F.expand_dims(F.stop_gradient(XU), axis=1), fused, F.expand_dims(s0, axis=0),
                  state_size=self.hidden_dim, num_layers=1, mode="rnn_tanh")
        S = F.stop_gradient(F.reshape(S, shape=(-1, 0), reverse=True))
        pad = F.zeros_like(F.tile(F.slice_axis(XU, axis=0, begin=0, end=1), reps=(k + 1, 1)))
        starts = F.slice_like(F.concat(pad, S, dim=0), S, axes=(0,))   # row t: s_{t-k-1}
        XU_pad = F.concat(F.slice_axis(pad, axis=0, begin=0, end=k), XU, dim=0) if k else XU
        h = starts
        for j in range(k + 1):  # positions t-k+j; a zero input keeps the zero state before t=0
            xu = F.slice_like(F.slice_axis(XU_pad, axis=0, begin=j, end=None), XU, axes=(0,))
            h = F.tanh(xu + F.dot(h, W, transpose_b=True))
        # SoftmaxOutput's backward is softmax - onehot(y): the gradient of the summed
        # cross-entropy, in one fused operator (its forward output is unused).
        return F.SoftmaxOutput(F.dot(h, V, transpose_b=True), y, normalization="null")


class RNNSymbolic:
    """The tutorial's ``RNNTheano`` on MXNet: ``RNNSymbolic(word_dim, hidden_dim=100,
    bptt_truncate=4)`` with the same methods as :class:`RNNNumpy`.

    ``dtype`` is float32 (as the tutorial's Theano model) or float64; ``ctx``
    places the parameters and graphs; ``seed`` initialises like ``RNNNumpy(seed=...)``.
    """

    def __init__(self, word_dim: int, hidden_dim: int = 100, bptt_truncate: int = 4,
                 seed: Optional[int] = None, truncate_mode: str = "numpy",
                 dtype: str = "float32", ctx: Optional[mx.Context] = None):
        check_choice("truncate_mode", truncate_mode, TRUNCATE_MODES)
        check_model_sizes(word_dim, hidden_dim, bptt_truncate)
        self.bptt_truncate, self.truncate_mode = bptt_truncate, truncate_mode
        self.dtype, self.ctx = dtype, ctx or mx.cpu()
        self.set_parameters(*init_params(word_dim, hidden_dim, np.random.RandomState(seed)))

    # -- parameters -------------------------------------------------------------
    def set_parameters(self, U, V, W) -> None:
        # U is kept transposed (word_dim, hidden_dim): column x_t of U is row x_t of UT.
        self.UT = nd.array(np.asarray(U).T, ctx=self.ctx, dtype=self.dtype)
        self.V, self.W = (nd.array(p, ctx=self.ctx, dtype=self.dtype) for p in (V, W))
        for p in (self.V, self.W):
            p.attach_grad()
        self.word_dim, self.hidden_dim = self.UT.shape
        self._eye = nd.array(np.eye(self.hidden_dim), ctx=self.ctx, dtype=self.dtype)
        self._scan = _ScanGraph()
        self._window = _WindowGraph(self.bptt_truncate, self.hidden_dim)
        for graph in (self._scan, self._window):
            graph.hybridize(static_alloc=True)

    @property
    def U(self) -> nd.NDArray:
        """``U`` (hidden_dim, word_dim), as the tutorial lays it out (a transposed copy)."""
        return self.UT.T

    def get_parameters(self) -> Dict[str, np.ndarray]:
        return {"U": self.UT.asnumpy().T.copy(), "V": self.V.asnumpy(), "W": self.W.asnumpy()}

    # -- graph inputs -----------------------------------------------------------
    def _inputs(self, x, y=None):
        """(x indices as numpy, XU gathered from U with its gradient attached, y as NDArray)."""
        x = _as_indices(x, self.word_dim, "x")
        y = np.zeros_like(x) if y is None else _as_indices(y, self.word_dim, "y")
        if len(x) != len(y):
            raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
        XU = nd.take(self.UT, nd.array(x, ctx=self.ctx, dtype="int64"))
        XU.attach_grad()
        return x, XU, nd.array(y, ctx=self.ctx, dtype=self.dtype)

    def _zero_state(self) -> nd.NDArray:
        return nd.zeros((1, self.hidden_dim), ctx=self.ctx, dtype=self.dtype)

    def _scan_outputs(self, x, y=None):
        x, XU, ys = self._inputs(x, y)
        return self._scan(XU, ys, self._zero_state(), self.V, self.W)

    # -- the tutorial's methods ---------------------------------------------------
    def forward_propagation(self, x: Sequence[int]) -> Tuple[np.ndarray, np.ndarray]:
        """``(o, s)`` as numpy arrays, shaped as :meth:`RNNNumpy.forward_propagation`'s."""
        _, S, logits = self._scan_outputs(x)
        s = np.zeros((S.shape[0] + 1, self.hidden_dim), dtype=self.dtype)
        s[:-1] = S.asnumpy()
        return softmax_rows(logits.asnumpy()), s

    def predict(self, x: Sequence[int]) -> np.ndarray:
        return self._scan_outputs(x)[2].argmax(axis=1).asnumpy().astype(np.int64)

    def ce_error(self, x: Sequence[int], y: Sequence[int]) -> float:
        """Summed cross-entropy of one sentence (Theano's ``ce_error``)."""
        return float(self._scan_outputs(x, y)[0].asscalar())

    def calculate_total_loss(self, X, Y) -> float:
        return float(sum(self.ce_error(x, y) for x, y in zip(X, Y)))

    def calculate_loss(self, X, Y) -> float:
        num_words = sum(len(y) for y in Y)
        if num_words == 0:
            raise ValueError("no words to compute a loss over")
        return self.calculate_total_loss(X, Y) / num_words

    def _backward(self, x, y):
        """Gradients into ``V.grad``, ``W.grad`` and the returned ``XU`` leaf's grad;
        returns ``(x, XU)``."""
        T, k = len(x), self.bptt_truncate
        x, XU, ys = self._inputs(x, y)
        s0 = self._zero_state()
        if k >= T - (self.truncate_mode == "numpy"):   # the truncation covers the sentence
            graph = lambda: self._scan(XU, ys, s0, self.V, self.W)[0]
        elif self.truncate_mode == "numpy":
            graph = lambda: self._window(XU, ys, s0, self._eye, self.V, self.W)
        elif k == 0:  # theano with truncate_gradient=0: nothing flows back
            for p in (XU, self.V, self.W):
                p.grad[:] = 0
            return x, XU
        else:  # theano: only the last k steps, entered from the stopped state s_{T-k-1}
            S = self._scan(XU, ys, s0, self.V, self.W)[1]
            tail = XU[T - k:].copy()
            tail.attach_grad()
            with autograd.record():
                loss = self._scan(tail, ys[T - k:], S[T - k - 1:T - k], self.V, self.W)[0]
            loss.backward()
            XU.grad[:] = 0
            XU.grad[T - k:] = tail.grad
            return x, XU
        with autograd.record():
            loss = graph()
        loss.backward()
        return x, XU

    def bptt(self, x: Sequence[int], y: Sequence[int]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(dU, dV, dW)`` as numpy arrays (truncation as ``truncate_mode`` says)."""
        x, XU = self._backward(x, y)
        dUT = np.zeros((self.word_dim, self.hidden_dim), dtype=self.dtype)
        np.add.at(dUT, x, XU.grad.asnumpy())
        return dUT.T, self.V.grad.asnumpy(), self.W.grad.asnumpy()

    def sgd_step(self, x: Sequence[int], y: Sequence[int], learning_rate: float) -> None:
        """One SGD update. ``U`` is updated only in the rows of the words seen (a
        row-sparse gradient with repeated words summed), ``V`` and ``W`` densely."""
        x, XU = self._backward(x, y)
        rows, inverse = np.unique(x, return_inverse=True)
        dU = np.zeros((len(rows), self.hidden_dim), dtype=self.dtype)
        np.add.at(dU, inverse, XU.grad.asnumpy())
        sparse = nd.sparse.row_sparse_array((dU, rows), shape=self.UT.shape, ctx=self.ctx,
                                            dtype=self.dtype)
        self._update(self.UT, sparse, learning_rate)
        self._update(self.V, self.V.grad, learning_rate)
        self._update(self.W, self.W.grad, learning_rate)

    def _update(self, weight, grad, learning_rate: float) -> None:
        if self.dtype == "float32":  # fused, in place; lazy (touched rows only) for row-sparse
            nd.sgd_update(weight, grad, lr=learning_rate, lazy_update=True, out=weight)
        elif grad.stype == "row_sparse":  # float64: sgd_update would round lr to float32
            rows = grad.indices
            weight[rows] = nd.take(weight, rows) - learning_rate * grad.data
        else:
            weight -= learning_rate * grad
