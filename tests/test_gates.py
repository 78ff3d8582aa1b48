"""Seed 001: gates against finite differences, both BPTT variants against MXNet autograd."""
from __future__ import annotations

import math

import numpy as np
import pytest
from mxnet import autograd, nd

from gluon_rnn.tutorials.gates import AddGate, Model, MultiplyGate, Sigmoid, Softmax, Tanh
from gluon_rnn.tutorials.wildml.numpy_rnn import RNNNumpy

RNG = np.random.RandomState(0)


def _numeric(f, x, h=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (f(up) - f(down)) / (2 * h)
    return grad


@pytest.mark.parametrize("gate", [Sigmoid(), Tanh()])
def test_activations_backward(gate):
    x, top = RNG.randn(6), RNG.randn(6)
    np.testing.assert_allclose(gate.backward(x, top), _numeric(lambda v: gate.forward(v) @ top, x),
                               rtol=1e-6, atol=1e-9)


def test_multiply_and_add_gates_backward():
    W, x, dz = RNG.randn(3, 4), RNG.randn(4), RNG.randn(3)
    dW, dx = MultiplyGate().backward(W, x, dz)
    np.testing.assert_allclose(dW, _numeric(lambda w: MultiplyGate().forward(w, x) @ dz, W), rtol=1e-6)
    np.testing.assert_allclose(dx, _numeric(lambda v: MultiplyGate().forward(W, v) @ dz, x), rtol=1e-6)
    d1, d2 = AddGate().backward(x, x, dx)
    np.testing.assert_array_equal(d1, dx)
    np.testing.assert_array_equal(d2, dx)


def test_softmax_is_stable_and_its_diff_is_the_loss_gradient():
    scores = np.array([1000.0, 999.0, -5.0])
    probs = Softmax().predict(scores)
    assert np.isfinite(probs).all() and probs.sum() == pytest.approx(1.0)
    assert Softmax().loss(scores, 1) == pytest.approx(1.0 + math.log(1 + math.exp(-1) + math.exp(-1005)))
    x = RNG.randn(5)
    np.testing.assert_allclose(Softmax().diff(x, 2), _numeric(lambda v: Softmax().loss(v, 2), x), rtol=1e-5)


def _autograd_gradients(model, x, y):
    U, W, V = (nd.array(p, dtype="float64") for p in (model.U, model.W, model.V))
    for p in (U, W, V):
        p.attach_grad()
    with autograd.record():
        s = nd.zeros(model.hidden_dim, dtype="float64")
        loss = 0
        for t in range(len(x)):
            s = nd.tanh(U[:, int(x[t])] + nd.dot(W, s))
            loss = loss - nd.log_softmax(nd.dot(V, s))[int(y[t])]
    loss.backward()
    return U.grad.asnumpy(), W.grad.asnumpy(), V.grad.asnumpy()


@pytest.mark.parametrize("mode", ["truncated", "single_pass"])
def test_bptt_variants_equal_autograd(mode):
    x, y = [0, 4, 2, 7, 3, 1], [4, 2, 7, 3, 1, 5]
    model = Model(9, 5, bptt_truncate=len(x), bptt_mode=mode, seed=4)
    for ours, reference in zip(model.bptt(x, y), _autograd_gradients(model, x, y)):
        np.testing.assert_allclose(ours, reference, rtol=1e-5, atol=1e-12)


def test_truncated_double_loop_equals_wildml_truncation():
    x, y = [0, 4, 2, 7, 3, 1, 6, 8], [4, 2, 7, 3, 1, 6, 8, 5]
    model = Model(9, 5, bptt_truncate=2, seed=4)
    reference = RNNNumpy(9, 5, bptt_truncate=2)
    reference.set_parameters(model.U, model.V, model.W)
    dU, dV, dW = reference.bptt(x, y)
    for ours, theirs in zip(model.bptt(x, y), (dU, dW, dV)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-14)


def test_initial_loss_and_training_lowers_it(capsys):
    model = Model(200, 10, seed=10)
    X = [list(RNG.randint(0, 200, 8)) for _ in range(10)]
    Y = [x[1:] + [1] for x in X]
    assert model.calculate_total_loss(X, Y) == pytest.approx(math.log(200), abs=0.05)
    small = Model(12, 8, seed=0, bptt_mode="single_pass")
    Xs = [[0] + list(RNG.randint(2, 12, 5)) for _ in range(15)]
    Ys = [x[1:] + [1] for x in Xs]
    losses = small.train(Xs, Ys, learning_rate=0.05, nepoch=4, evaluate_loss_after=1)
    assert losses[-1][1] < losses[0][1] and len(losses) == 4
    assert "Loss after num_examples_seen=15 epoch=1" in capsys.readouterr().out
    assert len(small.predict(Xs[0])) == len(Xs[0])


@pytest.mark.requires_data('reddit-comments-2015-08.csv')
def test_reads_the_wildml_word_data():
    from gluon_rnn.tutorials.wildml.pipeline import load_word_data

    data = load_word_data(vocabulary_size=300)
    model = Model(data.vocabulary_size, 8, seed=1)
    loss = model.calculate_total_loss(data.X_train[:5], data.y_train[:5])
    assert loss == pytest.approx(math.log(300), abs=0.1)


def test_bad_arguments():
    with pytest.raises(ValueError, match="bptt_mode"):
        Model(5, 2, bptt_mode="magic")
    with pytest.raises(ValueError, match="same length"):
        Model(5, 2).bptt([1, 2], [1])
