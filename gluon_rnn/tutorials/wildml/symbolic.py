"""``RNNSymbolic``: the WildML tutorial's Theano model as compiled MXNet graphs.

Theano built the forward pass once with ``scan`` and compiled the loss and its
gradients. Here the same model is a hybridized Gluon block: ``contrib.foreach``
is the ``scan``, ``take`` gathers columns of ``U`` instead of multiplying by a
one-hot vector, and ``autograd`` gives the gradients through the cached graph,
except for truncated BPTT, whose gradient graph is written out (below).
The parameters live in NDArrays with gradients attached and enter the graphs as
inputs, so every graph shares them.

What ``bptt_truncate`` means (``truncate_mode``):

* ``'numpy'`` (default), the numpy model's meaning: the gradient of each
  output ``o_t`` is followed back through the steps ``t - bptt_truncate .. t``
  only. Its gradient graph is written out by hand (:class:`_TruncatedBpttGraph`:
  ``RNNNumpy.bptt``'s double loop vectorised over ``t``) and compiled like the
  forward graph, the way Theano compiled ``T.grad``; gradients equal
  ``RNNNumpy.bptt``'s.
* ``'theano'``: Theano's ``scan(truncate_gradient=k)`` as the tutorial's Theano
  model used it: gradients flow only through the last ``k`` steps of each
  sentence, so the outputs before them contribute nothing at all.

With ``bptt_truncate`` at least the sentence length both are full BPTT.
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, nd

from ..._checks import check_choice, check_model_sizes
from .numpy_rnn import Indices, as_indices, init_params, softmax_rows

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


def _fused_states(F, XU, s0, eye, W, hidden_dim):
    """The states ``s_t = tanh(XU_t + W s_{t-1})`` (T, H) in one call of MXNet's fused
    RNN operator (input weights the identity, biases zero, recurrent weights ``W``)."""
    zero = F.zeros_like(F.concat(s0, s0, dim=1))
    fused = F.concat(F.reshape(eye, shape=(-1,)), F.reshape(W, shape=(-1,)),
                     F.reshape(zero, shape=(-1,)), dim=0)
    S = F.RNN(F.expand_dims(XU, axis=1), fused, F.expand_dims(s0, axis=0),
              state_size=hidden_dim, num_layers=1, mode="rnn_tanh")
    return F.reshape(S, shape=(-1, 0), reverse=True)


class _TruncatedBpttGraph(gluon.HybridBlock):
    """The gradient of a sentence's cross-entropy with each output's gradient
    followed back ``bptt_truncate`` steps: :meth:`RNNNumpy.bptt`'s double loop
    derived by hand and vectorised over ``t`` (Theano compiled ``T.grad``'s graph;
    this is that graph written out).

    With ``dO = softmax(S V^T) - onehot(y)`` and ``M = 1 - S**2``, the deltas that
    reach position ``p`` from the output ``j`` steps later are ``E_0 = (dO V) * M``
    and ``E_{j+1} = (shift(E_j) W) * M`` (``shift`` moves row ``p + 1`` to ``p``,
    zero at the end). With ``G = E_0 + ... + E_k``: ``dV = dO^T S``,
    ``dW = G^T S_prev`` (``S_prev`` the states one step back, zero first) and
    ``dU[:, x_p] += G_p``.

    Input: ``xy`` (2, T) with ``x`` and ``y``. Returns ``(dO, S, S_prev, G)``, so the
    caller can fold each product into its parameter update.
    """

    def __init__(self, bptt_truncate: int, hidden_dim: int, word_dim: int, dtype: str, **kwargs):
        super().__init__(**kwargs)
        self.bptt_truncate, self.hidden_dim = bptt_truncate, hidden_dim
        self.word_dim, self.dtype = word_dim, dtype

    def hybrid_forward(self, F, xy, s0, eye, UT, V, W):
        x = F.reshape(F.slice_axis(xy, axis=0, begin=0, end=1), shape=(-1,))
        y = F.reshape(F.slice_axis(xy, axis=0, begin=1, end=2), shape=(-1,))
        S = _fused_states(F, F.take(UT, x), s0, eye, W, self.hidden_dim)
        # oneDNN's inner product: about twice as fast as dot(S, V, transpose_b=True).
        logits = F.FullyConnected(S, V, no_bias=True, num_hidden=self.word_dim)
        dO = F.softmax(logits) - F.one_hot(y, self.word_dim, dtype=self.dtype)
        M = 1 - F.square(S)
        E = F.dot(dO, V) * M
        G = E
        zero = F.zeros_like(s0)
        for _ in range(self.bptt_truncate):
            E = F.dot(F.concat(F.slice_axis(E, axis=0, begin=1, end=None), zero, dim=0), W) * M
            G = G + E
        S_prev = F.concat(s0, F.slice_axis(S, axis=0, begin=0, end=-1), dim=0)
        return dO, S, S_prev, G


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
        self._truncated = _TruncatedBpttGraph(self.bptt_truncate, self.hidden_dim,
                                              self.word_dim, self.dtype)
        for graph in (self._scan, self._truncated):
            graph.hybridize(static_alloc=True)

    @property
    def U(self) -> nd.NDArray:
        """``U`` (hidden_dim, word_dim), as the tutorial lays it out (a transposed copy)."""
        return self.UT.T

    def get_parameters(self) -> Dict[str, np.ndarray]:
        return {"U": self.UT.asnumpy().T.copy(), "V": self.V.asnumpy(), "W": self.W.asnumpy()}

    # -- graph inputs -----------------------------------------------------------
    def _checked_pair(self, x, y=None) -> Tuple[np.ndarray, np.ndarray]:
        """``x`` and ``y`` as index arrays of one length (``y`` zeros when not given)."""
        x = as_indices(x, self.word_dim, "x")
        y = np.zeros_like(x) if y is None else as_indices(y, self.word_dim, "y")
        if len(x) != len(y):
            raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
        return x, y

    def _gathered(self, x: np.ndarray, y: np.ndarray):
        """For checked ``x``, ``y``: ``XU`` gathered from U with its gradient attached,
        and ``y`` as an NDArray."""
        XU = nd.take(self.UT, nd.array(x, ctx=self.ctx, dtype="int64"))
        XU.attach_grad()
        return XU, nd.array(y, ctx=self.ctx, dtype=self.dtype)

    def _zero_state(self) -> nd.NDArray:
        return nd.zeros((1, self.hidden_dim), ctx=self.ctx, dtype=self.dtype)

    def _scan_outputs(self, x, y=None):
        XU, ys = self._gathered(*self._checked_pair(x, y))
        return self._scan(XU, ys, self._zero_state(), self.V, self.W)

    # -- the tutorial's methods ---------------------------------------------------
    def forward_propagation(self, x: Indices) -> Tuple[np.ndarray, np.ndarray]:
        """``(o, s)`` as numpy arrays, shaped as :meth:`RNNNumpy.forward_propagation`'s."""
        _, S, logits = self._scan_outputs(x)
        s = np.zeros((S.shape[0] + 1, self.hidden_dim), dtype=self.dtype)
        s[:-1] = S.asnumpy()
        return softmax_rows(logits.asnumpy()), s

    def predict(self, x: Indices) -> np.ndarray:
        return self._scan_outputs(x)[2].argmax(axis=1).asnumpy().astype(np.int64)

    def ce_error(self, x: Indices, y: Indices) -> float:
        """Summed cross-entropy of one sentence (Theano's ``ce_error``)."""
        return float(self._scan_outputs(x, y)[0].asscalar())

    def calculate_total_loss(self, X, Y) -> float:
        return float(sum(self.ce_error(x, y) for x, y in zip(X, Y)))

    def calculate_loss(self, X, Y) -> float:
        num_words = sum(len(y) for y in Y)
        if num_words == 0:
            raise ValueError("no words to compute a loss over")
        return self.calculate_total_loss(X, Y) / num_words

    def _truncated_graph_applies(self, num_words: int) -> bool:
        """The hand-derived gradient graph serves the numpy meaning whenever the
        truncation is shorter than the sentence; the rest goes through autograd."""
        return self.truncate_mode == "numpy" and self.bptt_truncate < num_words - 1

    def _truncated_terms(self, x: np.ndarray, y: np.ndarray):
        """``(dO, S, S_prev, G)`` of :class:`_TruncatedBpttGraph` for one sentence."""
        xy = nd.array(np.stack([x, y]), ctx=self.ctx, dtype=self.dtype)
        return self._truncated(xy, self._zero_state(), self._eye, self.UT, self.V, self.W)

    def _autograd_backward(self, x: np.ndarray, y: np.ndarray) -> nd.NDArray:
        """For checked ``x``, ``y``: gradients into ``V.grad``, ``W.grad`` and the
        returned ``XU`` leaf's grad (full BPTT, or Theano's truncation)."""
        T, k = len(x), self.bptt_truncate
        XU, ys = self._gathered(x, y)
        s0 = self._zero_state()
        if self.truncate_mode == "theano" and k == 0:  # truncate_gradient=0: nothing flows back
            for p in (XU, self.V, self.W):
                p.grad[:] = 0
            return XU
        if self.truncate_mode == "theano" and k < T:  # the last k steps, from the stopped s_{T-k-1}
            S = self._scan(XU, ys, s0, self.V, self.W)[1]
            tail = XU[T - k:].copy()
            tail.attach_grad()
            with autograd.record():
                loss = self._scan(tail, ys[T - k:], S[T - k - 1:T - k], self.V, self.W)[0]
            loss.backward()
            XU.grad[:] = 0
            XU.grad[T - k:] = tail.grad
            return XU
        with autograd.record():  # the truncation covers the sentence: full BPTT
            loss = self._scan(XU, ys, s0, self.V, self.W)[0]
        loss.backward()
        return XU

    def bptt(self, x: Indices, y: Indices) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(dU, dV, dW)`` as numpy arrays (truncation as ``truncate_mode`` says)."""
        x, y = self._checked_pair(x, y)
        dUT = np.zeros((self.word_dim, self.hidden_dim), dtype=self.dtype)
        if self._truncated_graph_applies(len(x)):
            dO, S, S_prev, G = self._truncated_terms(x, y)
            np.add.at(dUT, x, G.asnumpy())
            return (dUT.T, nd.dot(dO, S, transpose_a=True).asnumpy(),
                    nd.dot(G, S_prev, transpose_a=True).asnumpy())
        XU = self._autograd_backward(x, y)
        np.add.at(dUT, x, XU.grad.asnumpy())
        return dUT.T, self.V.grad.asnumpy(), self.W.grad.asnumpy()

    def sgd_step(self, x: Indices, y: Indices, learning_rate: float) -> None:
        """One SGD update. ``U`` changes only in the rows of the words seen (repeated
        words' gradients summed). On the hand-derived graph each update is one
        in-place ``gemm`` (``V -= lr dO^T S``, ``W -= lr G^T S_prev``), so the dense
        gradients are never stored and nothing waits for the result."""
        x, y = self._checked_pair(x, y)
        if self._truncated_graph_applies(len(x)):
            dO, S, S_prev, G = self._truncated_terms(x, y)
            self._descend(self.V, dO, S, learning_rate)
            self._descend(self.W, G, S_prev, learning_rate)
        else:
            G = self._autograd_backward(x, y).grad
            for weight in (self.V, self.W):
                weight -= learning_rate * weight.grad
        self._descend_rows(x, G, learning_rate)

    @staticmethod
    def _descend(weight: nd.NDArray, A: nd.NDArray, B: nd.NDArray, learning_rate: float) -> None:
        """``weight -= learning_rate * A^T B`` in one in-place ``gemm``."""
        nd.linalg.gemm(A, B, weight, alpha=-learning_rate, beta=1.0, transpose_a=True, out=weight)

    def _descend_rows(self, x: np.ndarray, G: nd.NDArray, learning_rate: float) -> None:
        """``UT[x_p] -= learning_rate * G_p`` for every position ``p``, repeated words
        summed: the seen rows are gathered, updated by one ``gemm`` with the
        (rows x positions) indicator matrix, and scattered back."""
        rows, inverse = np.unique(x, return_inverse=True)
        indicator = np.zeros((len(rows), len(x)), dtype=self.dtype)
        indicator[inverse, np.arange(len(x))] = 1
        rows = nd.array(rows, ctx=self.ctx, dtype="int64")
        values = nd.take(self.UT, rows)
        nd.linalg.gemm(nd.array(indicator, ctx=self.ctx, dtype=self.dtype), G, values,
                       alpha=-learning_rate, beta=1.0, out=values)
        nd._internal._scatter_set_nd(lhs=self.UT, rhs=values, indices=rows.reshape((1, -1)),
                                     shape=self.UT.shape, out=self.UT)
