"""Gluon RNNModel and train/predict_rnn_gluon against d2l==0.9.2, same seeds."""
from __future__ import annotations

import mxnet as mx
import numpy as np
import pytest
from mxnet import nd
from mxnet.gluon import rnn

import d2l_compat
from test_d2l_differential import EPOCH_LINE, _run_printing, _seeded, _without_times

LAYERS = {
    "rnn": lambda: rnn.RNN(24),
    "gru": lambda: rnn.GRU(24),
    "lstm": lambda: rnn.LSTM(24),
    "deep-bidirectional-lstm": lambda: rnn.LSTM(12, num_layers=2, bidirectional=True),
}


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_model_outputs_equal_d2l_model(d2l_oracle, kind):
    outputs = []
    for Model in (d2l_compat.RNNModel, d2l_oracle.RNNModel):
        _seeded(2)
        model = Model(LAYERS[kind](), 30)
        model.initialize(init=mx.init.Normal(0.01))
        X = nd.array(np.random.RandomState(0).randint(0, 30, size=(4, 6)))
        state = model.begin_state(batch_size=4, ctx=mx.cpu())
        Y, new_state = model(X, state)
        outputs.append((Y.asnumpy(), [s.asnumpy() for s in new_state]))
    (ours, our_state), (theirs, their_state) = outputs
    assert ours.shape == (6 * 4, 30)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)
    for a, b in zip(our_state, their_state):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)


def test_hybridized_model_computes_the_same():
    _seeded(3)
    model = d2l_compat.RNNModel(rnn.GRU(16), 20)
    model.initialize(init=mx.init.Normal(0.1))
    X = nd.array(np.random.RandomState(1).randint(0, 20, size=(3, 5)))
    eager, _ = model(X, model.begin_state(batch_size=3))
    model.hybridize()
    compiled, _ = model(X, model.begin_state(batch_size=3))
    np.testing.assert_allclose(compiled.asnumpy(), eager.asnumpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("kind, seed", [("rnn", 0), ("lstm", 1)])
def test_train_and_predict_rnn_gluon_follows_d2l(d2l_oracle, time_machine, kind, seed):
    corpus_indices, vocab = time_machine[0][:3000], time_machine[1]
    runs = []
    for module in (d2l_compat, d2l_oracle):
        model = module.RNNModel(LAYERS[kind](), len(vocab))
        _seeded(seed)
        runs.append(_run_printing(module.train_and_predict_rnn_gluon, model, 24, corpus_indices,
                                  vocab, mx.cpu(), 20, 20, 1.0, 1.0, 16, ["traveller", "time"]))
    (ours, our_lines), (theirs, their_lines) = runs
    assert theirs is None and len(ours) == 20
    assert _without_times(our_lines) == _without_times(their_lines)
    printed = {int(m.group(1)): float(m.group(2)) for m in map(EPOCH_LINE.match, their_lines) if m}
    assert sorted(printed) == [5, 10, 15, 20]
    for epoch, ppl in printed.items():
        assert ours[epoch - 1] == pytest.approx(ppl, rel=1e-3)
    assert ours[-1] < ours[0]


def test_predict_and_clipping_gluon_match(d2l_oracle, time_machine):
    d2l_train = __import__("sys").modules[d2l_oracle.__name__ + ".train"]
    _, vocab = time_machine
    _seeded(4)
    model = d2l_compat.RNNModel(rnn.RNN(16), len(vocab))
    model.initialize(init=mx.init.Normal(0.1))
    assert (d2l_compat.predict_rnn_gluon("time ", 15, model, vocab, mx.cpu())
            == d2l_train.predict_rnn_gluon("time ", 15, model, vocab, mx.cpu()))
    norm = d2l_compat.grad_clipping_gluon(model, 1.0, mx.cpu())
    assert norm == 0.0  # no backward yet: all gradients are zero


def test_short_runs_do_not_crash(time_machine, capsys):
    corpus_indices, vocab = time_machine
    model = d2l_compat.RNNModel(rnn.RNN(8), len(vocab))
    ppl = d2l_compat.train_and_predict_rnn_gluon(model, 8, corpus_indices[:2000], vocab, mx.cpu(),
                                                 2, 10, 1.0, 1.0, 4, ["t"])
    assert len(ppl) == 2 and capsys.readouterr().out.count("epoch ") == 2
    with pytest.raises(ValueError, match="num_epochs"):
        d2l_compat.train_and_predict_rnn_gluon(model, 8, corpus_indices, vocab, mx.cpu(), 0, 10,
                                               1.0, 1.0, 4, ["t"])
