"""The numpy computation-graph BPTT port: an RNN of gates with hand-written backprop.

Operation units with ``forward``/``backward`` (:class:`MultiplyGate`,
:class:`AddGate`, :class:`Sigmoid`, :class:`Tanh`, :class:`Softmax`) build an
:class:`RNNLayer` per time step; :class:`Model` chains them and trains with BPTT.
Two BPTT variants, as the tutorial describes them:

* ``bptt_mode='truncated'``: the double loop, each output backpropagated through
  at most ``bptt_truncate`` earlier layers;
* ``bptt_mode='single_pass'``: one backward sweep ``t = T-1 .. 0`` carrying
  ``delta(t) = dL/dz(t)`` (the tutorial's ``feature/bptt`` idea): full BPTT, one
  layer backward per step.

Where ours differs: :class:`Softmax` subtracts the maximum score (the tutorial's
overflows for large scores), and :meth:`Model.bptt` returns ``(dU, dW, dV)`` in
the tutorial's order. The tutorial's losses are means: ``calculate_loss`` per word of
one sentence, ``calculate_total_loss`` over sentences of those means.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import numpy as np

from .._checks import check_choice, check_model_sizes
from .wildml.numpy_rnn import Indices, as_indices, init_params, train_with_sgd

BPTT_MODES = ("truncated", "single_pass")


class MultiplyGate:
    """``z = W x``."""

    def forward(self, W: np.ndarray, x: np.ndarray) -> np.ndarray:
        return np.dot(W, x)

    def backward(self, W: np.ndarray, x: np.ndarray,
                 dz: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        return np.outer(dz, x), np.dot(W.T, dz)


class AddGate:
    """``z = x1 + x2``."""

    def forward(self, x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
        return x1 + x2

    def backward(self, x1: np.ndarray, x2: np.ndarray,
                 dz: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        return dz * np.ones_like(x1), dz * np.ones_like(x2)


class Sigmoid:
    def forward(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-x))

    def backward(self, x: np.ndarray, top_diff: np.ndarray) -> np.ndarray:
        output = self.forward(x)
        return (1.0 - output) * output * top_diff


class Tanh:
    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.tanh(x)

    def backward(self, x: np.ndarray, top_diff: np.ndarray) -> np.ndarray:
        return (1.0 - np.square(self.forward(x))) * top_diff


class Softmax:
    """Softmax output unit: probabilities, cross-entropy loss and its gradient."""

    def predict(self, x: np.ndarray) -> np.ndarray:
        exp_scores = np.exp(x - np.max(x))
        return exp_scores / np.sum(exp_scores)

    def loss(self, x: np.ndarray, y: int) -> float:
        shifted = x - np.max(x)
        return float(np.log(np.sum(np.exp(shifted))) - shifted[y])

    def diff(self, x: np.ndarray, y: int) -> np.ndarray:
        probs = self.predict(x)
        probs[y] -= 1.0
        return probs


_MUL, _ADD, _TANH = MultiplyGate(), AddGate(), Tanh()


class RNNLayer:
    """One time step: ``s = tanh(U x + W prev_s)``, scores ``V s``."""

    def forward(self, x: np.ndarray, prev_s: np.ndarray, U, W, V) -> None:
        self.mulu = _MUL.forward(U, x)
        self.mulw = _MUL.forward(W, prev_s)
        self.add = _ADD.forward(self.mulw, self.mulu)
        self.s = _TANH.forward(self.add)
        self.mulv = _MUL.forward(V, self.s)

    def backward(self, x, prev_s, U, W, V, diff_s, dmulv):
        """``(dprev_s, dU, dW, dV)`` given the gradient reaching ``s`` from the next
        step (``diff_s``) and from this step's scores (``dmulv``)."""
        self.forward(x, prev_s, U, W, V)
        dV, dsv = _MUL.backward(V, self.s, dmulv)
        dadd = _TANH.backward(self.add, dsv + diff_s)
        dmulw, dmulu = _ADD.backward(self.mulw, self.mulu, dadd)
        dW, dprev_s = _MUL.backward(W, prev_s, dmulw)
        dU, _ = _MUL.backward(U, x, dmulu)
        return dprev_s, dU, dW, dV


class Model:
    """The tutorial's ``Model(word_dim, hidden_dim=100, bptt_truncate=4)`` over one-hot inputs."""

    def __init__(self, word_dim: int, hidden_dim: int = 100, bptt_truncate: int = 4,
                 bptt_mode: str = "truncated", seed: Optional[int] = None):
        check_choice("bptt_mode", bptt_mode, BPTT_MODES)
        check_model_sizes(word_dim, hidden_dim, bptt_truncate)
        self.word_dim, self.hidden_dim = word_dim, hidden_dim
        self.bptt_truncate, self.bptt_mode = bptt_truncate, bptt_mode
        self.U, self.V, self.W = init_params(word_dim, hidden_dim, np.random.RandomState(seed))

    def _one_hot(self, index: int) -> np.ndarray:
        vector = np.zeros(self.word_dim)
        vector[index] = 1
        return vector

    def _prev_state(self, layers: List[RNNLayer], t: int) -> np.ndarray:
        return np.zeros(self.hidden_dim) if t == 0 else layers[t - 1].s

    def forward_propagation(self, x: Indices) -> List[RNNLayer]:
        x = as_indices(x, self.word_dim, "x")
        layers: List[RNNLayer] = []
        for t in range(len(x)):
            layer = RNNLayer()
            layer.forward(self._one_hot(x[t]), self._prev_state(layers, t), self.U, self.W, self.V)
            layers.append(layer)
        return layers

    def predict(self, x: Indices) -> List[int]:
        output = Softmax()
        return [int(np.argmax(output.predict(layer.mulv))) for layer in self.forward_propagation(x)]

    def calculate_loss(self, x: Indices, y: Indices) -> float:
        """Mean cross-entropy per word of one sentence."""
        if len(x) != len(y):
            raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
        y = as_indices(y, self.word_dim, "y")
        output = Softmax()
        layers = self.forward_propagation(x)
        return sum(output.loss(layer.mulv, y[t]) for t, layer in enumerate(layers)) / len(y)

    def calculate_total_loss(self, X: Sequence[Sequence[int]], Y: Sequence[Sequence[int]]) -> float:
        """Mean over sentences of :meth:`calculate_loss`."""
        if not len(Y):
            raise ValueError("no sentences to compute a loss over")
        return sum(self.calculate_loss(x, y) for x, y in zip(X, Y)) / len(Y)

    def bptt(self, x: Indices, y: Indices) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(dU, dW, dV)`` of the summed cross-entropy, by the chosen variant."""
        if len(x) != len(y):
            raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
        y = as_indices(y, self.word_dim, "y")
        layers = self.forward_propagation(x)
        if self.bptt_mode == "single_pass":
            return self._bptt_single_pass(x, y, layers)
        return self._bptt_truncated(x, y, layers)

    def _layer_backward(self, layers, x, t, diff_s, dmulv):
        return layers[t].backward(self._one_hot(x[t]), self._prev_state(layers, t),
                                  self.U, self.W, self.V, diff_s, dmulv)

    def _bptt_truncated(self, x, y, layers):
        output = Softmax()
        dU, dW, dV = np.zeros_like(self.U), np.zeros_like(self.W), np.zeros_like(self.V)
        no_scores = np.zeros(self.word_dim)
        for t in range(len(layers)):
            dprev_s, dU_t, dW_t, dV_t = self._layer_backward(
                layers, x, t, np.zeros(self.hidden_dim), output.diff(layers[t].mulv, y[t]))
            for i in range(t - 1, max(-1, t - self.bptt_truncate - 1), -1):
                dprev_s, dU_i, dW_i, _ = self._layer_backward(layers, x, i, dprev_s, no_scores)
                dU_t += dU_i
                dW_t += dW_i
            dU += dU_t
            dW += dW_t
            dV += dV_t
        return dU, dW, dV

    def _bptt_single_pass(self, x, y, layers):
        output = Softmax()
        dU, dW, dV = np.zeros_like(self.U), np.zeros_like(self.W), np.zeros_like(self.V)
        delta = np.zeros(self.hidden_dim)  # gradient reaching s(t) from step t+1
        for t in range(len(layers) - 1, -1, -1):
            delta, dU_t, dW_t, dV_t = self._layer_backward(
                layers, x, t, delta, output.diff(layers[t].mulv, y[t]))
            dU += dU_t
            dW += dW_t
            dV += dV_t
        return dU, dW, dV

    def sgd_step(self, x: Indices, y: Indices, learning_rate: float) -> None:
        dU, dW, dV = self.bptt(x, y)
        self.U -= learning_rate * dU
        self.V -= learning_rate * dV
        self.W -= learning_rate * dW

    def train(self, X, Y, learning_rate: float = 0.005, nepoch: int = 100,
              evaluate_loss_after: int = 5, **kwargs) -> List[tuple]:
        """The tutorial's training loop (halving the rate when the loss rises); the
        loop itself is WildML's :func:`~gluon_rnn.tutorials.wildml.numpy_rnn.train_with_sgd`,
        evaluating :meth:`calculate_total_loss` as the tutorial does."""
        return train_with_sgd(self, X, Y, learning_rate, nepoch, evaluate_loss_after,
                              loss_fn=self.calculate_total_loss, **kwargs)

    # parameters, for gradient_check and model files
    def get_parameters(self) -> dict:
        return {"U": self.U.copy(), "V": self.V.copy(), "W": self.W.copy()}

    def set_parameters(self, U, V, W) -> None:
        self.U, self.V, self.W = (np.asarray(p, dtype=np.float64) for p in (U, V, W))
        self.hidden_dim, self.word_dim = self.U.shape
