"""d2l_compat against the published d2l==0.9.2: same seeds, same batches, same
perplexities, same printed lines (times aside) and same predictions."""
from __future__ import annotations

import contextlib
import io
import random
import re
import shutil
import sys

import mxnet as mx
import numpy as np
import pytest
from mxnet import nd

import d2l_compat
from gluon_rnn.data.resolve import resolve

EPOCH_LINE = re.compile(r"^epoch (\d+), perplexity ([0-9.]+), time [0-9.]+ sec$")


def _seeded(seed: int) -> None:
    random.seed(seed)
    mx.random.seed(seed)


def _run_printing(fn, *args, **kwargs):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = fn(*args, **kwargs)
    return result, out.getvalue().splitlines()


def _without_times(lines):
    return [EPOCH_LINE.sub(lambda m: f"epoch {m.group(1)}, perplexity {m.group(2)}", line)
            for line in lines]


@pytest.mark.parametrize("tokens, kwargs", [
    ("the time machine, by h. g. wells", {}),
    ("a b a c b a d d e".split(), {}),
    ("a b a c b a d d e".split(), {"min_freq": 2}),
    ("x <unk> y y z <pad> z z".split(), {"use_special_tokens": True}),
    ("x <unk> y y z <pad> z z".split(), {}),
    ([], {}),
])
def test_vocab_order_and_lookup(d2l_oracle, tokens, kwargs):
    ours, theirs = d2l_compat.Vocab(tokens, **kwargs), d2l_oracle.Vocab(tokens, **kwargs)
    assert ours.idx_to_token == theirs.idx_to_token
    assert ours.token_to_idx == theirs.token_to_idx
    probe = list(tokens) + ["never-seen", "<unk>"]
    assert ours[probe] == theirs[probe]
    assert ours[tuple(probe[:3])] == theirs[tuple(probe[:3])]
    assert ours.to_tokens(list(range(len(ours)))) == theirs.to_tokens(list(range(len(theirs))))


@pytest.mark.requires_data('timemachine.txt')
@pytest.mark.parametrize("num_examples", [10000, 1234, 500000])
def test_load_data_time_machine(d2l_oracle, tmp_path, monkeypatch, num_examples):
    (tmp_path / "data").mkdir()
    shutil.copy(resolve("timemachine.txt"), tmp_path / "data" / "timemachine.txt")
    (tmp_path / "chapter").mkdir()
    monkeypatch.chdir(tmp_path / "chapter")  # d2l reads ../data/timemachine.txt
    ours_idx, ours_vocab = d2l_compat.load_data_time_machine(num_examples)
    their_idx, their_vocab = d2l_oracle.load_data_time_machine(num_examples)
    assert ours_idx == their_idx
    assert ours_vocab.idx_to_token == their_vocab.idx_to_token


@pytest.mark.parametrize("seed", [0, 1, 7])
@pytest.mark.parametrize("batch_size, num_steps", [(32, 35), (2, 6), (5, 64), (1, 1), (3, 7)])
@pytest.mark.parametrize("name", ["data_iter_random", "data_iter_consecutive"])
def test_iterators_yield_identical_batches(d2l_oracle, time_machine, seed, batch_size,
                                           num_steps, name):
    corpus_indices = time_machine[0][:3000]
    batches = []
    for module in (d2l_compat, d2l_oracle):
        random.seed(seed)
        got = [(X.asnumpy(), Y.asnumpy(), X.dtype, X.context)
               for X, Y in getattr(module, name)(corpus_indices, batch_size, num_steps, mx.cpu())]
        batches.append((got, random.random()))  # the global generator ends in the same state
    (ours, our_next), (theirs, their_next) = batches
    assert our_next == their_next
    assert len(ours) == len(theirs) > 0
    for (oX, oY, odt, octx), (tX, tY, tdt, tctx) in zip(ours, theirs):
        assert oX.shape == tX.shape == (batch_size, num_steps)
        np.testing.assert_array_equal(oX, tX)
        np.testing.assert_array_equal(oY, tY)
        assert odt == tdt and octx == tctx


def test_to_onehot_predict_and_helpers_match(d2l_oracle, time_machine):
    # d2l 0.9.2 keeps to_onehot and predict_rnn in d2l.train without exporting them
    d2l_train = sys.modules[d2l_oracle.__name__ + ".train"]
    _, vocab = time_machine
    for X in (nd.arange(10).reshape((2, 5)), nd.array([[3], [1], [4]]), nd.arange(64).reshape((1, 64)),
              nd.array([7])):
        ours, theirs = d2l_compat.to_onehot(X, len(vocab)), d2l_train.to_onehot(X, len(vocab))
        assert len(ours) == len(theirs) == X.T.shape[0]
        for o, t in zip(ours, theirs):
            assert o.shape == t.shape and o.dtype == t.dtype
            np.testing.assert_array_equal(o.asnumpy(), t.asnumpy())
    _seeded(3)
    params = d2l_compat.get_params(len(vocab), 16, len(vocab), mx.cpu())
    for prefix in ("traveller", "time traveller", "x"):
        assert (d2l_compat.predict_rnn(prefix, 20, d2l_compat.rnn, params, d2l_compat.init_rnn_state,
                                       16, vocab, mx.cpu())
                == d2l_train.predict_rnn(prefix, 20, d2l_compat.rnn, params,
                                          d2l_compat.init_rnn_state, 16, vocab, mx.cpu()))
    assert d2l_compat.try_gpu() == d2l_oracle.try_gpu() == mx.cpu()


@pytest.mark.parametrize("theta", [1e-3, 1e3])
def test_grad_clipping_and_sgd_match(d2l_oracle, theta):
    def make():
        _seeded(5)
        params = [nd.random.normal(shape=(4, 3)), nd.random.normal(shape=(3,))]
        for p in params:
            p.attach_grad()
            p.grad[:] = nd.random.normal(shape=p.shape)
        return params
    ours, theirs = make(), make()
    norm = d2l_compat.grad_clipping(ours, theta, mx.cpu())
    d2l_oracle.grad_clipping(theirs, theta, mx.cpu())
    d2l_compat.sgd(ours, 0.5, 2)
    d2l_oracle.sgd(theirs, 0.5, 2)
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o.grad.asnumpy(), t.grad.asnumpy())
        np.testing.assert_array_equal(o.asnumpy(), t.asnumpy())
    assert norm > 1  # the gradients were drawn from N(0, 1): the norm is about sqrt(15)


TRAIN_CASES = [  # seed, is_random_iter, batch_size, num_steps, corpus length
    (0, True, 32, 35, 10000),
    (1, False, 32, 35, 10000),
    (2, True, 8, 10, 2500),
    (3, False, 16, 20, 4000),
]


@pytest.mark.parametrize("seed, is_random_iter, batch_size, num_steps, length", TRAIN_CASES)
def test_train_and_predict_rnn_follows_d2l(d2l_oracle, time_machine, seed, is_random_iter,
                                           batch_size, num_steps, length):
    corpus_indices, vocab = time_machine[0][:length], time_machine[1]
    num_hiddens, num_epochs = 32, 20
    get_params = d2l_compat.params_factory(len(vocab), num_hiddens, mx.cpu())
    args = (d2l_compat.rnn, get_params, d2l_compat.init_rnn_state, num_hiddens, corpus_indices,
            vocab, mx.cpu(), is_random_iter, num_epochs, num_steps, 1.0, 1.0, batch_size,
            ["traveller", "time traveller"])
    _seeded(seed)
    ours, our_lines = _run_printing(d2l_compat.train_and_predict_rnn, *args)
    _seeded(seed)
    theirs, their_lines = _run_printing(d2l_oracle.train_and_predict_rnn, *args)
    assert theirs is None and len(ours) == num_epochs
    assert _without_times(our_lines) == _without_times(their_lines)
    printed = {int(m.group(1)): float(m.group(2))
               for m in map(EPOCH_LINE.match, their_lines) if m}
    assert sorted(printed) == [5, 10, 15, 20]
    for epoch, ppl in printed.items():
        assert ours[epoch - 1] == pytest.approx(ppl, rel=1e-3)
    assert ours[-1] < ours[0]  # it learns


def test_d2l_crashes_where_ours_does_not(d2l_oracle, time_machine):
    corpus_indices, vocab = time_machine
    args = (d2l_compat.rnn, d2l_compat.params_factory(len(vocab), 8, mx.cpu()),
            d2l_compat.init_rnn_state, 8, corpus_indices[:2000], vocab, mx.cpu(), True, 2, 35,
            1.0, 1.0, 32, ["the"])
    _seeded(0)
    with pytest.raises(ZeroDivisionError):
        _run_printing(d2l_oracle.train_and_predict_rnn, *args)
    _seeded(0)
    ours, lines = _run_printing(d2l_compat.train_and_predict_rnn, *args)
    assert len(ours) == 2
    assert [line.split(",")[0] for line in lines if line.startswith("epoch")] == ["epoch 1", "epoch 2"]
    assert sum(line.startswith(" - the") for line in lines) == 2
