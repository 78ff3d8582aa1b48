"""RNNSymbolic (the Theano model on MXNet) against RNNNumpy, and both truncation meanings."""
from __future__ import annotations

import math

import numpy as np
import pytest

from gluon_rnn.data.resolve import resolve
from gluon_rnn.tutorials.wildml.files import load_model_parameters
from gluon_rnn.tutorials.wildml.numpy_rnn import RNNNumpy, gradient_check
from gluon_rnn.tutorials.wildml.symbolic import RNNSymbolic

RNG = np.random.RandomState(7)
SENTENCES = [list(RNG.randint(0, 40, size=n)) for n in (1, 3, 9, 17)]


def _pair(k, **kwargs):
    return (RNNNumpy(40, 7, bptt_truncate=k, seed=3),
            RNNSymbolic(40, 7, bptt_truncate=k, seed=3, dtype="float64", **kwargs))


@pytest.mark.parametrize("k", [0, 1, 4, 1000])
def test_loss_and_gradients_equal_numpy(k):
    numpy_model, symbolic = _pair(k)
    for x in SENTENCES:
        y = x[1:] + [1]
        o_n, s_n = numpy_model.forward_propagation(x)
        o_s, s_s = symbolic.forward_propagation(x)
        np.testing.assert_allclose(o_s, o_n, rtol=1e-10)
        np.testing.assert_allclose(s_s, s_n, rtol=1e-10, atol=1e-14)
        assert symbolic.ce_error(x, y) == pytest.approx(numpy_model.calculate_total_loss([x], [y]),
                                                        rel=1e-10)
        np.testing.assert_array_equal(symbolic.predict(x), numpy_model.predict(x))
        for ours, theirs in zip(symbolic.bptt(x, y), numpy_model.bptt(x, y)):
            np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-12)


def test_sgd_step_matches_numpy_and_float32_default():
    numpy_model, symbolic = _pair(4)
    x = SENTENCES[2]
    y = x[1:] + [1]
    numpy_model.sgd_step(x, y, 0.1)
    symbolic.sgd_step(x, y, 0.1)
    for name, value in symbolic.get_parameters().items():
        np.testing.assert_allclose(value, getattr(numpy_model, name), rtol=1e-10, atol=1e-14)
    assert RNNSymbolic(10, 3).U.dtype == np.float32


def test_gradient_check_passes_for_symbolic():
    model = RNNSymbolic(15, 4, bptt_truncate=1000, seed=2, dtype="float64")
    result = gradient_check(model, [0, 3, 5, 7], [3, 5, 7, 1])
    assert result.passed and result.worst_error < 1e-4 and result.checked == 2 * 15 * 4 + 16


def test_initial_loss_is_log_vocabulary():
    model = RNNSymbolic(8000, 100, seed=10)
    X = [list(RNG.randint(0, 8000, 15)) for _ in range(10)]
    assert model.calculate_loss(X, [x[1:] + [1] for x in X]) == pytest.approx(math.log(8000), abs=0.01)


def test_theano_truncation_uses_only_the_last_k_steps():
    k = 3
    x = SENTENCES[3]
    T = len(x)
    y = x[1:] + [1]
    model = RNNSymbolic(40, 7, bptt_truncate=k, seed=3, dtype="float64", truncate_mode="theano")
    dU, dV, dW = model.bptt(x, y)
    # Earlier outputs contribute nothing: changing their targets changes no gradient.
    y_changed = [(t + 1) % 40 for t in y[:T - k]] + y[T - k:]
    for before, after in zip((dU, dV, dW), model.bptt(x, y_changed)):
        np.testing.assert_array_equal(before, after)
    # dV is exactly the last k outputs' error times their states.
    o, s = model.forward_propagation(x)
    delta = o.copy()
    delta[np.arange(T), y] -= 1
    np.testing.assert_allclose(dV, delta[T - k:].T.dot(s[T - k:T]), rtol=1e-10, atol=1e-14)
    # Only inputs of the last k steps receive a U gradient.
    assert set(np.nonzero(np.abs(dU).sum(axis=0))[0]) <= set(x[T - k:])
    # Covering the whole sentence it is full BPTT.
    full = RNNNumpy(40, 7, bptt_truncate=1000, seed=3).bptt(x, y)
    long = RNNSymbolic(40, 7, bptt_truncate=T, seed=3, dtype="float64", truncate_mode="theano")
    for ours, theirs in zip(long.bptt(x, y), full):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-12)


def test_numpy_meaning_differs_from_theano_meaning():
    x = SENTENCES[3]
    y = x[1:] + [1]
    numpy_meaning = RNNSymbolic(40, 7, bptt_truncate=2, seed=3, dtype="float64").bptt(x, y)
    theano_meaning = RNNSymbolic(40, 7, bptt_truncate=2, seed=3, dtype="float64",
                                 truncate_mode="theano").bptt(x, y)
    assert not np.allclose(numpy_meaning[1], theano_meaning[1])


@pytest.mark.requires_data('trained-model-theano.npz')
def test_published_model_loads_into_symbolic():
    model = load_model_parameters(resolve("trained-model-theano.npz"), RNNSymbolic(10, 3))
    assert (model.hidden_dim, model.word_dim) == (50, 8000)
    numpy_model = load_model_parameters(resolve("trained-model-theano.npz"), RNNNumpy(10, 3))
    x = [0, 51, 27, 16, 10, 856]
    np.testing.assert_allclose(model.forward_propagation(x)[0], numpy_model.forward_propagation(x)[0],
                               rtol=1e-4, atol=1e-7)


def test_bad_mode_and_sizes():
    with pytest.raises(ValueError, match="truncate_mode"):
        RNNSymbolic(10, 3, truncate_mode="pytorch")
    with pytest.raises(ValueError, match="outside the vocabulary"):
        RNNSymbolic(10, 3).bptt([1, 99], [2, 3])


def test_float32_sgd_step_close_to_numpy():
    numpy_model = RNNNumpy(40, 7, bptt_truncate=2, seed=3)
    symbolic = RNNSymbolic(40, 7, bptt_truncate=2, seed=3)
    for x in SENTENCES:
        y = x[1:] + [1]
        numpy_model.sgd_step(x, y, 0.5)
        symbolic.sgd_step(x, y, 0.5)
    for name, value in symbolic.get_parameters().items():
        np.testing.assert_allclose(value, getattr(numpy_model, name), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("mode,k,length", [("numpy", 2, 3), ("numpy", 2, 4), ("numpy", 0, 9),
                                           ("numpy", 4, 17), ("theano", 3, 9), ("theano", 0, 5)])
def test_sgd_step_is_parameters_minus_rate_times_bptt(mode, k, length):
    """Whichever graph serves the sentence (the hand-derived truncated one with its
    in-place gemm updates, or autograd), one step moves every parameter by
    -lr * bptt; repeated words add their rows' gradients."""
    x = [5, 9, 5, 2, 9, 5, 31, 7, 5, 0, 3, 5, 11, 9, 1, 5, 8][:length]
    y = x[1:] + [1]
    model = RNNSymbolic(40, 7, bptt_truncate=k, seed=3, dtype="float64", truncate_mode=mode)
    before = model.get_parameters()
    grads = dict(zip("UVW", model.bptt(x, y)))
    nothing_flows = mode == "theano" and k == 0
    assert (np.abs(grads["U"][:, 5]).sum() == 0) == nothing_flows  # repeated word 5's gradient
    model.sgd_step(x, y, 0.3)
    for name, value in model.get_parameters().items():
        np.testing.assert_allclose(value, before[name] - 0.3 * grads[name], rtol=1e-12, atol=1e-15)
