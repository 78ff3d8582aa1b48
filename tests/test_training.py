"""The training loop: cadence, returned values, state handling and bad input."""
from __future__ import annotations

import math
import random

import mxnet as mx
import numpy as np
import pytest
from mxnet import nd

from gluon_rnn.data.batches import num_consecutive_batches
from gluon_rnn.models.scratch import init_rnn_state, params_factory, rnn
from gluon_rnn.train.evaluate import perplexity
from gluon_rnn.tutorials.d2l.d2l092 import train_and_predict_rnn, train_rnn

HIDDEN = 8


@pytest.fixture
def small(time_machine):
    corpus_indices, vocab = time_machine
    return corpus_indices[:1500], vocab


def _args(small, is_random_iter=True, num_epochs=2, num_steps=10, lr=1.0, clipping_theta=1.0,
          batch_size=4):
    corpus_indices, vocab = small
    return (rnn, params_factory(len(vocab), HIDDEN), init_rnn_state, HIDDEN, corpus_indices,
            vocab, mx.cpu(), is_random_iter, num_epochs, num_steps, lr, clipping_theta, batch_size)


def _epochs_printed(out: str):
    return [int(line.split(",")[0].split()[1]) for line in out.splitlines() if line.startswith("epoch")]


def test_book_cadence_keywords(small, capsys):
    ppl = train_and_predict_rnn(*_args(small, num_epochs=4), ["the"], print_period=2,
                                pred_period=4, pred_len=7)
    out = capsys.readouterr().out
    assert _epochs_printed(out) == [2, 4]
    predictions = [line for line in out.splitlines() if line.startswith(" - ")]
    assert len(predictions) == 1 and len(predictions[0]) == len(" - the") + 7
    assert len(ppl) == 4 and all(isinstance(p, float) for p in ppl)


def test_pred_period_alone_sets_both_periods(small, capsys):
    train_and_predict_rnn(*_args(small, num_epochs=3), ["a", "b"], pred_period=1)
    out = capsys.readouterr().out
    assert _epochs_printed(out) == [1, 2, 3]
    assert sum(line.startswith(" - ") for line in out.splitlines()) == 6


def test_d2l_cadence_for_eight_epochs(small, capsys):
    train_and_predict_rnn(*_args(small, num_epochs=8), ["a"])
    out = capsys.readouterr().out
    assert _epochs_printed(out) == [2, 4, 6, 8]
    assert sum(line.startswith(" - ") for line in out.splitlines()) == 2


def test_reports_count_tokens_and_learning_lowers_perplexity(small):
    seen = []
    random.seed(0)
    mx.random.seed(0)
    params, reports = train_rnn(*_args(small, is_random_iter=False, num_epochs=6),
                                rng=random.Random(0), on_epoch=lambda rep: seen.append(rep.epoch))
    assert seen == [1, 2, 3, 4, 5, 6] and len(params) == 5
    assert reports[0].perplexity < len(small[1]) * 1.1       # starts near the uniform guess
    assert reports[-1].perplexity < reports[0].perplexity * 0.8
    max_batches = num_consecutive_batches(len(small[0]), 4, 10, 0)
    assert all(0 < rep.tokens <= max_batches * 40 and rep.tokens % 40 == 0 for rep in reports)


def test_multi_array_state_flows_through(small):
    """A from-scratch LSTM-shaped state (H, C) passes through training and prediction."""
    def init_two(batch_size, num_hiddens, ctx):
        return (nd.zeros((batch_size, num_hiddens), ctx=ctx), nd.zeros((batch_size, num_hiddens), ctx=ctx))

    def rnn_two(inputs, state, params):
        H, C = state
        outputs, (H,) = rnn(inputs, (H + 0 * C,), params)
        return outputs, (H, C + 1)

    corpus_indices, vocab = small
    ppl = train_and_predict_rnn(rnn_two, params_factory(len(vocab), HIDDEN), init_two, HIDDEN,
                                corpus_indices, vocab, mx.cpu(), False, 2, 10, 1.0, 1.0, 4, ["t"])
    assert len(ppl) == 2


@pytest.mark.parametrize("change, name", [
    ({"num_epochs": 0}, "num_epochs"), ({"num_epochs": -3}, "num_epochs"),
    ({"batch_size": 0}, "batch_size"), ({"num_steps": 0}, "num_steps"),
    ({"lr": -1.0}, "lr"), ({"lr": float("nan")}, "lr"), ({"clipping_theta": 0}, "clipping_theta"),
])
def test_bad_hyper_parameters(small, change, name):
    with pytest.raises(ValueError, match=name):
        train_and_predict_rnn(*_args(small, **change), ["a"])


def test_corpus_too_short(small):
    corpus_indices, vocab = small
    with pytest.raises(ValueError, match=r"corpus length 100 .*batch_size=32 x num_steps=35"):
        train_and_predict_rnn(rnn, params_factory(len(vocab), HIDDEN), init_rnn_state, HIDDEN,
                              corpus_indices[:100], vocab, mx.cpu(), True, 5, 35, 1.0, 1.0, 32, [])


def test_perplexity_of_nothing_is_an_error():
    assert perplexity(0.0, 10) == 1.0
    with pytest.raises(ValueError, match="zero tokens"):
        perplexity(0.0, 0)


@pytest.mark.parametrize("theta", [1e-2, 1e4])
def test_fused_clipping_and_sgd_step_agree_with_d2ls(theta):
    """clip_global_norm (gluon-rnn train) gives grad_clipping's norm and gradients to
    float rounding; sgd_step (the d2l loops) equals sgd(params, lr, 1) bit for bit."""
    from gluon_rnn.train.loop import clip_global_norm
    from gluon_rnn.tutorials.d2l.base import grad_clipping, sgd, sgd_step

    def make():
        mx.random.seed(3)
        params = [nd.random.normal(shape=s) for s in ((43, 512), (512, 512), (512,))]
        for p in params:
            p.attach_grad()
            p.grad[:] = nd.random.normal(shape=p.shape)
        return params
    fused, d2l = make(), make()
    exact = math.sqrt(sum(float((p.grad.asnumpy().astype(np.float64) ** 2).sum()) for p in fused))
    norm = clip_global_norm([p.grad for p in fused], theta)
    # two float32 summation orders over 285,000 squares: both within 1e-4 of float64's
    assert norm == pytest.approx(exact, rel=1e-4)
    assert grad_clipping(d2l, theta) == pytest.approx(exact, rel=1e-4)
    assert norm == pytest.approx(math.sqrt(43 * 512 + 512 * 512 + 512), rel=0.02)  # N(0, 1) grads
    for a, b in zip(fused, d2l):
        np.testing.assert_allclose(a.grad.asnumpy(), b.grad.asnumpy(), rtol=1e-4, atol=1e-9)
    if theta < norm:
        assert float(nd.norm(nd.concat(*[p.grad.reshape(-1) for p in fused], dim=0)).asscalar()) \
            == pytest.approx(theta, rel=1e-5)
    sgd_step(fused, 0.37)
    sgd(d2l, 0.37, 1)
    for a, b in zip(fused, d2l):
        if theta > norm:  # same gradients in: the same parameters out, to the bit
            np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())
        else:
            np.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-4, atol=1e-7)
