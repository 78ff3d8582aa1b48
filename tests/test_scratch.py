"""The from-scratch model against a numpy transcription of the chapter's formulas."""
from __future__ import annotations

import math

import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, nd

from gluon_rnn.data.vocab import Vocab
from gluon_rnn.models.scratch import (
    get_params,
    init_rnn_state,
    params_factory,
    rnn,
    rnn_scores,
    to_onehot,
)
from gluon_rnn.tutorials.d2l.d2l092 import grad_clipping, predict_rnn, sgd


def test_to_onehot_shapes_and_values():
    X = nd.array([[0, 2, 1], [3, 3, 0]])
    steps = to_onehot(X, 4)
    assert len(steps) == 3 and steps[0].shape == (2, 4)
    np.testing.assert_array_equal(steps[1].asnumpy(), np.eye(4)[[2, 3]])


def test_params_shapes_scale_and_gradients():
    mx.random.seed(0)
    params = get_params(44, 64, 44, mx.cpu())
    assert [p.shape for p in params] == [(44, 64), (64, 64), (64,), (64, 44), (44,)]
    assert abs(float(params[1].asnumpy().std()) - 0.01) < 0.001
    assert not params[2].asnumpy().any() and not params[4].asnumpy().any()
    assert all(p.grad is not None for p in params)
    assert len(params_factory(10, 8)()) == 5


def test_rnn_matches_numpy_formula():
    mx.random.seed(1)
    params = get_params(5, 7, 5)
    for p in params:
        p[:] = nd.random.normal(scale=0.5, shape=p.shape)
    X = nd.array([[0, 1, 4], [2, 3, 3]])
    H0 = nd.random.normal(shape=(2, 7))
    outputs, (H,) = rnn(to_onehot(X, 5), (H0,), params)
    W_xh, W_hh, b_h, W_hq, b_q = (p.asnumpy().astype(np.float64) for p in params)
    h = H0.asnumpy().astype(np.float64)
    for t in range(3):
        h = np.tanh(np.eye(5)[X.asnumpy()[:, t].astype(int)] @ W_xh + h @ W_hh + b_h)
        np.testing.assert_allclose(outputs[t].asnumpy(), h @ W_hq + b_q, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(H.asnumpy(), h, rtol=1e-5, atol=1e-6)


def test_initial_loss_is_log_vocab():
    mx.random.seed(2)
    params = get_params(44, 32, 44)
    X = nd.array(np.random.RandomState(0).randint(0, 44, size=(8, 10)))
    outputs, _ = rnn(to_onehot(X, 44), init_rnn_state(8, 32), params)
    loss = mx.gluon.loss.SoftmaxCrossEntropyLoss()(nd.concat(*outputs, dim=0),
                                                   X.T.reshape((-1,))).mean().asscalar()
    assert loss == pytest.approx(math.log(44), rel=1e-3)


def test_grad_clipping_bounds_the_norm_and_sgd_steps():
    a, b = nd.ones((2, 2)), nd.ones(3)
    for p in (a, b):
        p.attach_grad()
    with autograd.record():
        loss = (a * 10).sum() + (b * 10).sum()
    loss.backward()
    norm = grad_clipping([a, b], 1.0, mx.cpu())
    assert norm == pytest.approx(math.sqrt(7) * 10, rel=1e-6)
    clipped = math.sqrt(sum(float((p.grad ** 2).sum().asscalar()) for p in (a, b)))
    assert clipped == pytest.approx(1.0, rel=1e-5)
    sgd([a], 2.0, 4)
    np.testing.assert_allclose(a.asnumpy(), 1 - 2.0 * (10 / (math.sqrt(7) * 10)) / 4, rtol=1e-6)


def test_predict_rnn_prefix_and_unknown_chars():
    vocab = Vocab("abcabc")
    params = get_params(len(vocab), 4, len(vocab))
    text = predict_rnn("ab", 5, rnn, params, init_rnn_state, 4, vocab)
    assert text.startswith("ab") and len(text) == 7
    assert predict_rnn("zab", 0, rnn, params, init_rnn_state, 4, vocab) == "<unk>ab"
    with pytest.raises(ValueError, match="prefix"):
        predict_rnn("", 5, rnn, params, init_rnn_state, 4, vocab)
    with pytest.raises(ValueError, match="num_chars"):
        predict_rnn("a", -1, rnn, params, init_rnn_state, 4, vocab)


def _chapter_rnn(inputs, state, params):
    """The chapter's per-step loop, as its page writes it."""
    W_xh, W_hh, b_h, W_hq, b_q = params
    H, = state
    outputs = []
    for X in inputs:
        H = nd.tanh(nd.dot(X, W_xh) + nd.dot(H, W_hh) + b_h)
        outputs.append(nd.dot(H, W_hq) + b_q)
    return outputs, (H,)


@pytest.mark.parametrize("batch_size, num_steps, num_hiddens", [(8, 12, 64), (1, 1, 16),
                                                                (32, 35, 256), (3, 2, 5)])
def test_fused_rnn_equals_the_chapters_loop_with_gradients(batch_size, num_steps, num_hiddens):
    """Our rnn (one fused operator) computes the chapter's outputs, state and the
    gradients of all five parameters, to float rounding."""
    mx.random.seed(batch_size + num_steps)
    vocab_size = 44
    params = get_params(vocab_size, num_hiddens, vocab_size)
    for p in params:
        p[:] = nd.random.normal(scale=1 / math.sqrt(num_hiddens), shape=p.shape)  # trained-like
    X = nd.random.randint(0, vocab_size, shape=(batch_size, num_steps)).astype("float32")
    state = (nd.random.normal(scale=0.5, shape=(batch_size, num_hiddens)),)
    results = []
    for fn in (_chapter_rnn, rnn):
        with autograd.record():
            outputs, (H,) = fn(to_onehot(X, vocab_size), state, params)
            loss = (nd.concat(*outputs, dim=0) ** 2).sum() + (H * H).sum()
        loss.backward()
        results.append(([o.asnumpy() for o in outputs], H.asnumpy(),
                        [p.grad.asnumpy().copy() for p in params]))
    (theirs, H_theirs, g_theirs), (ours, H_ours, g_ours) = results
    assert len(ours) == num_steps and ours[0].shape == (batch_size, vocab_size)
    for a, b in zip(ours + [H_ours] + g_ours, theirs + [H_theirs] + g_theirs):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * (np.abs(b).max() + 1e-6))
    assert np.abs(g_ours[1]).max() > 0  # the recurrent weight did get a gradient


def test_rnn_scores_equal_rnns_concatenated_list_and_state():
    """The training loops' list-free path gives rnn's numbers and gradients exactly."""
    mx.random.seed(7)
    vocab_size, num_hiddens, batch_size, num_steps = 30, 24, 5, 9
    params = get_params(vocab_size, num_hiddens, vocab_size)
    for p in params:
        p[:] = nd.random.normal(scale=0.3, shape=p.shape)
    X = nd.random.randint(0, vocab_size, shape=(batch_size, num_steps)).astype("float32")
    state = (nd.random.normal(shape=(batch_size, num_hiddens)),)
    results = []
    for scores in (lambda: (lambda o, s: (nd.concat(*o, dim=0), s))(
                       *rnn(to_onehot(X, vocab_size), state, params)),
                   lambda: rnn_scores(nd.one_hot(X.T, vocab_size), state, params)):
        with autograd.record():
            Y, (H,) = scores()
            loss = (Y * Y).sum()
        loss.backward()
        results.append([Y.asnumpy(), H.asnumpy()] + [p.grad.asnumpy().copy() for p in params])
    assert results[0][0].shape == (num_steps * batch_size, vocab_size)
    for ours, listed in zip(results[1], results[0]):
        np.testing.assert_array_equal(ours, listed)
