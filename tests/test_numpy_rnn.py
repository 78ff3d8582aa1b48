"""RNNNumpy (WildML): initial loss, BPTT against finite differences, training, generation."""
from __future__ import annotations

import math

import numpy as np
import pytest

from gluon_rnn.tutorials.wildml.numpy_rnn import (
    RNNNumpy,
    gradient_check,
    softmax_rows,
    train_with_sgd,
    tutorial_bptt,
)
from gluon_rnn.tutorials.wildml.pipeline import SENTENCE_END, SENTENCE_START, UNKNOWN_TOKEN
from gluon_rnn.tutorials.wildml.workflow import generate_sentence


def test_initial_loss_is_log_vocabulary():
    model = RNNNumpy(8000, 100, seed=10)
    rng = np.random.RandomState(0)
    X = [list(rng.randint(0, 8000, 15)) for _ in range(20)]
    Y = [x[1:] + [1] for x in X]
    assert model.calculate_loss(X, Y) == pytest.approx(math.log(8000), abs=0.01)
    assert model.predict(X[0]).shape == (15,)


@pytest.mark.parametrize("truncate", [0, 2, 4])
def test_bptt_equals_the_tutorial_loop(truncate):
    model = RNNNumpy(30, 6, bptt_truncate=truncate, seed=1)
    x, y = [0, 5, 7, 2, 9, 11, 3], [5, 7, 2, 9, 11, 3, 1]
    for ours, theirs in zip(model.bptt(x, y), tutorial_bptt(model, x, y)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_gradient_check_passes_with_full_bptt_and_fails_when_truncated():
    model = RNNNumpy(20, 5, bptt_truncate=1000, seed=10)
    x, y = [0, 1, 2, 3, 4], [1, 2, 3, 4, 5]
    result = gradient_check(model, x, y)
    assert result.passed and result.worst_error < 1e-4
    assert result.checked == 2 * 20 * 5 + 25
    truncated = RNNNumpy(20, 5, bptt_truncate=0, seed=10)
    failed = gradient_check(truncated, x, y)
    assert not failed.passed and failed.worst_param in ("U", "W")


def test_softmax_is_stable_for_large_scores():
    out = softmax_rows(np.array([[1000.0, 1000.0, -1000.0]]))
    np.testing.assert_allclose(out, [[0.5, 0.5, 0.0]])


def test_bad_indices_are_clear():
    model = RNNNumpy(10, 3)
    with pytest.raises(ValueError, match="outside the vocabulary of 10"):
        model.forward_propagation([1, 12])
    with pytest.raises(ValueError, match="same length"):
        model.bptt([1, 2], [2])


def test_train_with_sgd_lowers_loss_and_anneals(capsys):
    rng = np.random.RandomState(3)
    X = [[0] + list(rng.randint(2, 12, 6)) for _ in range(20)]
    Y = [x[1:] + [1] for x in X]
    model = RNNNumpy(12, 8, seed=0)
    seen = []
    losses = train_with_sgd(model, X, Y, learning_rate=0.05, nepoch=6, evaluate_loss_after=2,
                            callback=lambda *args: seen.append(args))
    assert [n for n, _ in losses] == [0, 40, 80]
    assert losses[-1][1] < losses[0][1]
    assert "Loss after num_examples_seen=40 epoch=2" in capsys.readouterr().out
    # Annealing: a learning rate so large the loss rises gets halved.
    wild = RNNNumpy(12, 8, seed=0)
    rates = []
    train_with_sgd(wild, X, Y, learning_rate=50.0, nepoch=4, evaluate_loss_after=1, verbose=False,
                   callback=lambda seen_, epoch, loss, lr: rates.append((loss, lr)))
    for (prev_loss, prev_lr), (loss, lr) in zip(rates, rates[1:]):
        assert lr == (prev_lr / 2 if loss > prev_loss else prev_lr)
    assert any(lr < 50.0 for _, lr in rates)
    assert all(np.isfinite(loss) for loss, _ in rates)  # a diverged model's loss stays a number


def test_total_loss_is_the_tutorials_where_finite_and_finite_where_its_is_not():
    model = RNNNumpy(12, 8, seed=0)
    x, y = [0, 3, 5, 7], [3, 5, 7, 1]
    o, _ = model.forward_propagation(x)
    tutorial = -np.sum(np.log(o[np.arange(4), y]))
    assert model.calculate_total_loss([x], [y]) == pytest.approx(tutorial, rel=1e-12)
    model.V *= 20000.0  # scores so large that softmax probabilities underflow to 0
    o, _ = model.forward_propagation(x)
    assert (o[np.arange(4), y] == 0).any()
    loss = model.calculate_total_loss([x], [y])
    assert np.isfinite(loss) and loss > 1000


def test_generate_sentence_never_emits_unknown_and_is_repeatable():
    words = [SENTENCE_START, SENTENCE_END, "a", "b", UNKNOWN_TOKEN]
    index = {w: i for i, w in enumerate(words)}
    model = RNNNumpy(5, 4, seed=0)
    model.V[4] += 5.0  # make the unknown token the most likely word everywhere
    sentences = [generate_sentence(model, words, index, min_length=2, max_length=30, seed=s)
                 for s in range(20)]
    assert all(UNKNOWN_TOKEN not in s and 2 <= len(s) <= 30 for s in sentences)
    assert sentences[3] == generate_sentence(model, words, index, min_length=2, max_length=30, seed=3)
    with pytest.raises(ValueError, match="min_length 5 exceeds max_length 2"):
        generate_sentence(model, words, index, min_length=5, max_length=2)
