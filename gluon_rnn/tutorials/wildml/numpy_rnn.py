"""``RNNNumpy``: the WildML tutorial's numpy RNN language model and its SGD loop.

    s_t = tanh(U[:, x_t] + W s_{t-1}),   o_t = softmax(V s_t)

with ``U`` (hidden_dim, word_dim), ``V`` (word_dim, hidden_dim), ``W``
(hidden_dim, hidden_dim), trained by truncated backpropagation through time.
The methods and their results are the tutorial's; the output layer and its
gradient are computed for all time steps at once (one matrix product instead of
one per step), which changes nothing but speed.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..._checks import check_counts, check_model_sizes, check_rates
from .files import PARAM_NAMES, save_model_parameters


def softmax_rows(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for large scores (the row maximum is subtracted)."""
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def init_params(word_dim: int, hidden_dim: int, rng: np.random.RandomState, dtype=np.float64):
    """The tutorial's initialisation: uniform in +-1/sqrt(fan-in) of each matrix."""
    U = rng.uniform(-np.sqrt(1. / word_dim), np.sqrt(1. / word_dim), (hidden_dim, word_dim))
    V = rng.uniform(-np.sqrt(1. / hidden_dim), np.sqrt(1. / hidden_dim), (word_dim, hidden_dim))
    W = rng.uniform(-np.sqrt(1. / hidden_dim), np.sqrt(1. / hidden_dim), (hidden_dim, hidden_dim))
    return U.astype(dtype), V.astype(dtype), W.astype(dtype)


Indices = Union[Sequence[int], np.ndarray]  # a sentence as word indices


def as_indices(seq: Indices, word_dim: int, what: str) -> np.ndarray:
    arr = np.asarray(seq, dtype=np.int64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{what} must be a non-empty sequence of word indices, got shape "
                         f"{arr.shape}")
    if arr.min() < 0 or arr.max() >= word_dim:
        bad = int(arr.max() if arr.max() >= word_dim else arr.min())
        raise ValueError(f"{what} holds index {bad} "
                         f"outside the vocabulary of {word_dim} words")
    return arr


class RNNNumpy:
    """The tutorial's ``RNNNumpy(word_dim, hidden_dim=100, bptt_truncate=4)``.

    ``seed`` (or ``rng``) makes the initialisation repeatable; the tutorial
    seeded numpy's global generator instead.
    """

    def __init__(self, word_dim: int, hidden_dim: int = 100, bptt_truncate: int = 4,
                 seed: Optional[int] = None, rng: Optional[np.random.RandomState] = None):
        check_model_sizes(word_dim, hidden_dim, bptt_truncate)
        self.word_dim, self.hidden_dim, self.bptt_truncate = word_dim, hidden_dim, bptt_truncate
        rng = rng if rng is not None else np.random.RandomState(seed)
        self.U, self.V, self.W = init_params(word_dim, hidden_dim, rng)

    # -- parameters -------------------------------------------------------------
    def get_parameters(self) -> dict:
        """``{'U': ..., 'V': ..., 'W': ...}`` as numpy arrays (copies)."""
        return {name: np.array(getattr(self, name)) for name in PARAM_NAMES}

    def set_parameters(self, U: np.ndarray, V: np.ndarray, W: np.ndarray) -> None:
        """Replace the parameters (shapes define word_dim and hidden_dim)."""
        self.U, self.V, self.W = (np.asarray(p, dtype=np.float64) for p in (U, V, W))
        self.hidden_dim, self.word_dim = self.U.shape

    # -- the tutorial's methods ---------------------------------------------------
    def forward_propagation(self, x: Indices) -> Tuple[np.ndarray, np.ndarray]:
        """``(o, s)``: softmax outputs (T, word_dim) and hidden states (T + 1, hidden_dim),
        where ``s[-1]`` is the zero initial state, as in the tutorial."""
        scores, s = self._scores(x)
        return softmax_rows(scores), s

    def _scores(self, x: Indices) -> Tuple[np.ndarray, np.ndarray]:
        """The output layer's scores (before the softmax) and the hidden states."""
        x = as_indices(x, self.word_dim, "x")
        T = len(x)
        s = np.zeros((T + 1, self.hidden_dim))
        inputs = self.U[:, x].T  # U x_t for a one-hot x_t is column x_t of U
        for t in range(T):
            s[t] = np.tanh(inputs[t] + self.W.dot(s[t - 1]))
        return s[:T].dot(self.V.T), s

    def predict(self, x: Indices) -> np.ndarray:
        """The most likely next word at each step."""
        o, _ = self.forward_propagation(x)
        return np.argmax(o, axis=1)

    def calculate_total_loss(self, X: Sequence[Sequence[int]], Y: Sequence[Sequence[int]]) -> float:
        """Summed cross-entropy over every word of every sentence.

        The tutorial takes ``log`` of the softmax output, which is ``-inf`` once a
        diverging model's probability underflows to 0; the log-softmax of the scores
        gives the same value where that is finite, and a finite one where it is not."""
        loss = 0.0
        for x, y in zip(X, Y):
            scores, _ = self._scores(x)
            labels = as_indices(y, self.word_dim, "y")
            top = scores.max(axis=1)
            log_norm = top + np.log(np.exp(scores - top[:, None]).sum(axis=1))
            loss += np.sum(log_norm - scores[np.arange(len(labels)), labels])
        return float(loss)

    def calculate_loss(self, X: Sequence[Sequence[int]], Y: Sequence[Sequence[int]]) -> float:
        """Cross-entropy per word (``log(word_dim)`` for uniform predictions)."""
        num_words = sum(len(y) for y in Y)
        if num_words == 0:
            raise ValueError("no words to compute a loss over")
        return self.calculate_total_loss(X, Y) / num_words

    def bptt(self, x: Indices, y: Indices) -> List[np.ndarray]:
        """``[dLdU, dLdV, dLdW]`` by backpropagation through time, each output's
        gradient followed back at most ``bptt_truncate`` steps (the tutorial's loop)."""
        x, y = np.asarray(x), as_indices(y, self.word_dim, "y")
        if len(x) != len(y):
            raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
        o, s = self.forward_propagation(x)
        T = len(y)
        delta_o = o
        delta_o[np.arange(T), y] -= 1.
        dLdU, dLdW = np.zeros_like(self.U), np.zeros_like(self.W)
        dLdV = delta_o.T.dot(s[:T])
        back = delta_o.dot(self.V) * (1 - s[:T] ** 2)  # dL/d(pre-activation) at each t
        for t in range(T - 1, -1, -1):
            delta_t = back[t]
            for step in range(t, max(0, t - self.bptt_truncate) - 1, -1):
                dLdW += np.outer(delta_t, s[step - 1])
                dLdU[:, x[step]] += delta_t
                delta_t = self.W.T.dot(delta_t) * (1 - s[step - 1] ** 2)
        return [dLdU, dLdV, dLdW]

    def sgd_step(self, x: Indices, y: Indices, learning_rate: float) -> None:
        """One SGD update on one sentence."""
        dLdU, dLdV, dLdW = self.bptt(x, y)
        self.U -= learning_rate * dLdU
        self.V -= learning_rate * dLdV
        self.W -= learning_rate * dLdW


@dataclasses.dataclass
class GradientCheckResult:
    """Outcome of :func:`gradient_check`: passed, the worst relative error and where."""

    passed: bool
    worst_error: float
    worst_param: str
    worst_index: tuple
    checked: int
    errors: dict  # parameter name -> largest relative error

    def __bool__(self) -> bool:
        return self.passed


def gradient_check(model, x: Indices, y: Indices, h: float = 0.001,
                   error_threshold: float = 0.01) -> GradientCheckResult:
    """Compare ``model.bptt(x, y)`` with central differences of the total loss
    (the tutorial's ``gradient_check``), for any model with ``bptt``,
    ``calculate_total_loss`` and ``get_parameters``/``set_parameters``.

    The relative error is ``|b - e| / (|b| + |e|)`` (0 when both are 0). The
    check is exact only when ``bptt_truncate`` covers the whole sentence; use a
    small vocabulary, as every parameter costs two loss evaluations.
    """
    gradients = dict(zip(PARAM_NAMES, model.bptt(x, y)))
    params = model.get_parameters()
    worst: Tuple[float, str, Tuple[int, ...]] = (0.0, PARAM_NAMES[0], ())
    errors, checked = {}, 0
    for name in PARAM_NAMES:
        original = params[name]
        errors[name] = 0.0
        for index in np.ndindex(original.shape):
            losses = []
            for sign in (1, -1):
                probe = {**params, name: original.copy()}
                probe[name][index] += sign * h
                model.set_parameters(**probe)
                losses.append(model.calculate_total_loss([x], [y]))
            model.set_parameters(**params)
            estimate = (losses[0] - losses[1]) / (2 * h)
            backprop = float(gradients[name][index])
            denom = abs(backprop) + abs(estimate)
            error = abs(backprop - estimate) / denom if denom else 0.0
            errors[name] = max(errors[name], error)
            if error > worst[0]:
                worst = (error, name, index)
            checked += 1
    return GradientCheckResult(worst[0] <= error_threshold, worst[0], worst[1], worst[2],
                               checked, errors)


def tutorial_bptt(model, x: Indices, y: Indices) -> List[np.ndarray]:
    """The tutorial's BPTT as it wrote it (one outer product per output and per
    truncated step, the output layer per step), kept as the reference that
    :meth:`RNNNumpy.bptt` is tested and benchmarked against."""
    T = len(y)
    s = np.zeros((T + 1, model.hidden_dim))
    o = np.zeros((T, model.word_dim))
    for t in range(T):
        s[t] = np.tanh(model.U[:, x[t]] + model.W.dot(s[t - 1]))
        o[t] = softmax_rows(model.V.dot(s[t]))
    dU, dV, dW = np.zeros_like(model.U), np.zeros_like(model.V), np.zeros_like(model.W)
    delta_o = o
    delta_o[np.arange(T), y] -= 1.
    for t in np.arange(T)[::-1]:
        dV += np.outer(delta_o[t], s[t].T)
        delta_t = model.V.T.dot(delta_o[t]) * (1 - s[t] ** 2)
        for step in np.arange(max(0, t - model.bptt_truncate), t + 1)[::-1]:
            dW += np.outer(delta_t, s[step - 1])
            dU[:, x[step]] += delta_t
            delta_t = model.W.T.dot(delta_t) * (1 - s[step - 1] ** 2)
    return [dU, dV, dW]


def train_with_sgd(model, X_train: Sequence[Sequence[int]], y_train: Sequence[Sequence[int]],
                   learning_rate: float = 0.005, nepoch: int = 1, evaluate_loss_after: int = 5,
                   callback: Optional[Callable[[int, int, float, float], None]] = None,
                   snapshot_path: Optional[str] = None, verbose: bool = True,
                   progress: bool = False,
                   loss_fn: Optional[Callable[[Sequence, Sequence], float]] = None,
                   final_loss: bool = False) -> List[tuple]:
    """The tutorial's SGD loop: one ``sgd_step`` per sentence.

    Every ``evaluate_loss_after`` epochs (from epoch 0) the per-word loss over the
    training set is computed, printed in the tutorial's format when ``verbose``,
    passed to ``callback(num_examples_seen, epoch, loss, learning_rate)``, and,
    with ``snapshot_path`` (a format string with ``{epoch}``, ``{hidden}``,
    ``{words}``, ``{seen}``), the parameters are saved. When the loss rose since the
    last evaluation the learning rate is halved. ``progress`` shows a bar over all
    SGD steps (stderr). ``loss_fn(X, y)`` replaces ``model.calculate_loss`` as the
    evaluated loss (the numpy BPTT port evaluates its ``calculate_total_loss``).
    ``final_loss`` evaluates (and logs) once more after the last epoch, so a run always
    ends with its trained loss (the tutorial's loop logs only at epoch starts). Returns
    ``[(num_examples_seen, loss)]``.
    """
    from tqdm.auto import tqdm

    check_counts(nepoch=nepoch, evaluate_loss_after=evaluate_loss_after)
    check_rates(learning_rate=learning_rate)
    if len(X_train) != len(y_train) or not len(X_train):
        raise ValueError(f"X_train and y_train must be non-empty and of equal length, got "
                         f"{len(X_train)} and {len(y_train)}")
    losses: List[tuple] = []
    num_examples_seen = 0
    bar = tqdm(total=nepoch * len(X_train), disable=not progress, unit="sentence", leave=False)
    def evaluate(epoch: int) -> float:
        loss = (loss_fn or model.calculate_loss)(X_train, y_train)
        losses.append((num_examples_seen, loss))
        if verbose:
            print("%s: Loss after num_examples_seen=%d epoch=%d: %f"
                  % (datetime.now().strftime("%Y-%m-%d %H:%M:%S"), num_examples_seen, epoch, loss))
        return loss

    for epoch in range(nepoch):
        if epoch % evaluate_loss_after == 0:
            loss = evaluate(epoch)
            if len(losses) > 1 and losses[-1][1] > losses[-2][1]:
                learning_rate *= 0.5
                if verbose:
                    print("Setting learning rate to %f" % learning_rate)
            if callback is not None:
                callback(num_examples_seen, epoch, loss, learning_rate)
            if snapshot_path:
                save_model_parameters(snapshot_path.format(
                    epoch=epoch, hidden=model.hidden_dim, words=model.word_dim,
                    seen=num_examples_seen), model)
        for x, y in zip(X_train, y_train):
            model.sgd_step(x, y, learning_rate)
            num_examples_seen += 1
            bar.update(1)
    bar.close()
    if final_loss:
        evaluate(nepoch)
    return losses
