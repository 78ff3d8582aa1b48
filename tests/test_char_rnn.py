"""The Straight Dope char-RNN (seed 002): data, batches, softmax temperature, training."""
from __future__ import annotations

import math

import mxnet as mx
import numpy as np
import pytest
from mxnet import nd

from gluon_rnn.data.corpora import strip_gutenberg_licence
from gluon_rnn.data.resolve import read_text
from gluon_rnn.tutorials.straight_dope import (
    average_ce_loss,
    char_batches,
    character_list,
    cross_entropy,
    get_params,
    load_char_corpus,
    one_hots,
    sample_chars,
    simple_rnn,
    softmax,
    textify,
    train_char_rnn,
)


@pytest.mark.requires_data('timemachine-gutenberg.txt')
def test_licence_trimming_equals_the_seeds_cut():
    raw = read_text("timemachine-gutenberg.txt")
    text = load_char_corpus("timemachine")
    assert len(raw) - len(text) == 38083
    assert text == raw[:-38083]
    assert len(character_list(text)) == 77
    assert text.startswith("Project Gutenberg's The Time Machine")
    assert strip_gutenberg_licence("no marker here") == "no marker here"
    assert len(load_char_corpus("tinyshakespeare")) == 1115394


def test_character_list_is_deterministic_and_round_trips():
    text = "hello, world"
    chars = character_list(text)
    assert chars == sorted(chars) == character_list(text[::-1])
    numerical = [chars.index(c) for c in text]
    assert textify(one_hots(numerical, len(chars)), chars) == text


def test_batch_rows_continue_and_labels_shift():
    numerical = list(range(1000))  # value = position
    batches = list(char_batches(numerical, 8, 4, 1000))
    per_row = (999 // 8) // 4
    assert len(batches) == per_row
    positions = [[np.argmax(step.asnumpy(), axis=1) for step in data] for data, _ in batches]
    for i, batch in enumerate(positions):
        assert batch[0].shape == (4,)
        for row in range(4):
            assert batch[0][row] == (row * per_row + i) * 8
            assert [int(step[row]) for step in batch] == list(range(batch[0][row], batch[0][row] + 8))
        if i:
            np.testing.assert_array_equal(batch[0], positions[i - 1][-1] + 1)  # rows continue
    labels = [np.argmax(step.asnumpy(), axis=1) for step in batches[0][1]]
    np.testing.assert_array_equal(labels[0], positions[0][0] + 1)
    with pytest.raises(ValueError, match="too short"):
        next(char_batches(list(range(20)), 8, 4, 20))


def test_softmax_temperature():
    logits = nd.array([[1.0, -1.0, 0.5], [1000.0, 999.0, -3.0]])
    for t in (0.1, 1.0, 1000.0):
        np.testing.assert_allclose(softmax(logits, t).sum(axis=1).asnumpy(), [1, 1], rtol=1e-6)
    sharp, flat = softmax(logits, 0.1).asnumpy(), softmax(logits, 1000.0).asnumpy()
    plain = softmax(logits).asnumpy()
    assert sharp[0].max() > plain[0].max() > flat[0].max()
    assert flat[0].max() - flat[0].min() < 0.01
    assert np.isfinite(plain).all()  # per-row maximum: large scores do not overflow


def test_cross_entropy_values():
    assert cross_entropy(nd.array([[.2, .5, .3]]), nd.array([[1., 0, 0]])).asscalar() == \
        pytest.approx(-math.log(.2), rel=1e-6)
    outputs = [nd.array([[.5, .5]]), nd.array([[.25, .75]])]
    labels = [nd.array([[1., 0]]), nd.array([[0., 1]])]
    expected = (-math.log(.5) - math.log(.75)) / 2
    assert average_ce_loss(outputs, labels).asscalar() == pytest.approx(expected, rel=1e-6)


@pytest.mark.requires_data('timemachine-gutenberg.txt')
def test_short_training_lowers_the_loss_and_sampling_works():
    text = load_char_corpus("timemachine")[:6000]
    chars = character_list(text)
    numerical = [chars.index(c) for c in text]
    mx.random.seed(1)
    params = get_params(len(chars), 32, len(chars))
    X = next(char_batches(numerical, 16, 8, len(chars)))[0]
    outputs, _ = simple_rnn(X, nd.zeros((8, 32)), params)
    assert average_ce_loss(outputs, X).asscalar() == pytest.approx(math.log(len(chars)), rel=0.02)
    history = train_char_rnn(params, numerical, len(chars), 32, epochs=4, learning_rate=.5,
                             seq_length=16, batch_size=8)
    assert len(history) == 4 and history[-1] < history[0] < math.log(len(chars)) + 0.1
    sample = sample_chars("The Time", 30, params, chars, temperature=.1,
                          rng=np.random.RandomState(0))
    assert sample.startswith("The Time") and len(sample) == 38
    assert sample == sample_chars("The Time", 30, params, chars, temperature=.1,
                                  rng=np.random.RandomState(0))
    with pytest.raises(ValueError, match="not in the corpus"):
        sample_chars("\u2603", 3, params, chars)


def test_encode_chars_is_compact_and_checked():
    from gluon_rnn.tutorials.straight_dope import encode_chars

    chars = character_list("abc\u00e9")
    encoded = encode_chars("cab\u00e9a", chars)
    assert encoded.dtype == np.int32 and list(encoded) == [2, 0, 1, 3, 0]
    with pytest.raises(ValueError, match=r"\['z'\]"):
        encode_chars("abz", chars)


def test_seed_signatures_through_the_model_object():
    from gluon_rnn.tutorials.straight_dope import StraightDopeRNN

    chars = character_list("abcdef ")
    mx.random.seed(0)
    model = StraightDopeRNN(chars, num_hidden=8, seed=5)
    outputs, state = model.simple_rnn(one_hots([0, 1, 2], len(chars)), nd.zeros((1, 8)), temperature=.5)
    assert len(outputs) == 3 and state.shape == (1, 8)
    np.testing.assert_allclose(outputs[-1].sum().asscalar(), 1.0, rtol=1e-6)
    text = model.sample("ab", 5, temperature=1.0)
    assert text.startswith("ab") and len(text) == 7 and set(text) <= set(chars)
