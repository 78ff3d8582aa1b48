"""Partitioning: what each iterator promises, and its errors."""
from __future__ import annotations

import random

import mxnet as mx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gluon_rnn.data.batches import (
    data_iter_consecutive,
    data_iter_random,
    num_consecutive_batches,
    num_random_batches,
)

CORPUS = list(range(1000))  # token i sits at position i, so X holds positions


@pytest.mark.parametrize("make", [data_iter_random, data_iter_consecutive])
def test_targets_are_inputs_shifted_by_one(make):
    batches = list(make(CORPUS, 4, 7, rng=random.Random(1)))
    assert batches
    for X, Y in batches:
        np.testing.assert_array_equal(Y.asnumpy(), X.asnumpy() + 1)
        assert X.dtype == np.float32 and X.shape == (4, 7)


def test_random_windows_are_disjoint_aligned_and_shuffled():
    X = np.concatenate([X.asnumpy() for X, _ in data_iter_random(CORPUS, 5, 10, rng=random.Random(3))])
    starts = X[:, 0].astype(int)
    offset = starts[0] % 10
    assert np.all(starts % 10 == offset)                         # one offset for the epoch
    assert len(set(starts)) == len(starts)                        # no window twice
    assert np.all(np.diff(X, axis=1) == 1)                        # contiguous windows
    assert list(starts) != sorted(starts)                         # shuffled


def test_consecutive_rows_continue_across_batches():
    batches = [X.asnumpy() for X, _ in data_iter_consecutive(CORPUS, 4, 6, rng=random.Random(2))]
    assert len(batches) > 2
    for before, after in zip(batches, batches[1:]):
        np.testing.assert_array_equal(after[:, 0], before[:, -1] + 1)


@settings(max_examples=60, deadline=None)
@given(length=st.integers(40, 400), batch_size=st.integers(1, 6), num_steps=st.integers(1, 9),
       seed=st.integers(0, 10 ** 6))
def test_batch_counts_match_the_formulas(length, batch_size, num_steps, seed):
    corpus = list(range(length))
    for make, count in ((data_iter_random, num_random_batches),
                        (data_iter_consecutive, num_consecutive_batches)):
        if count(length, batch_size, num_steps, num_steps - 1) < 1:
            with pytest.raises(ValueError, match=f"corpus length {length}"):
                make(corpus, batch_size, num_steps)
            continue
        offset = int(random.Random(seed).uniform(0, num_steps))
        batches = list(make(corpus, batch_size, num_steps, rng=random.Random(seed)))
        assert len(batches) == count(length, batch_size, num_steps, offset)
        for _, Y in batches:
            assert Y.asnumpy().max() < length                      # never reads past the end


def test_too_short_corpus_names_sizes_and_length():
    with pytest.raises(ValueError) as info:
        data_iter_random(list(range(50)), 32, 35)
    message = str(info.value)
    assert "batch_size=32" in message and "num_steps=35" in message and "corpus length 50" in message


@pytest.mark.parametrize("make", [data_iter_random, data_iter_consecutive])
@pytest.mark.parametrize("batch_size, num_steps, bad", [(0, 5, "batch_size"), (2, -1, "num_steps"),
                                                        (2.5, 5, "batch_size"), (2, True, "num_steps")])
def test_bad_sizes(make, batch_size, num_steps, bad):
    with pytest.raises(ValueError, match=f"{bad} must be a positive integer"):
        make(CORPUS, batch_size, num_steps)


def test_nested_corpus_is_rejected():
    with pytest.raises(ValueError, match="flat sequence"):
        data_iter_random([[1, 2], [3, 4]], 1, 1)


def test_ctx_is_honoured_and_global_random_untouched_with_rng():
    state = random.getstate()
    X, Y = next(data_iter_consecutive(CORPUS, 2, 3, ctx=mx.cpu(0), rng=random.Random(0)))
    assert X.context == Y.context == mx.cpu(0)
    assert random.getstate() == state


@settings(max_examples=60, deadline=None)
@given(length=st.integers(60, 500), batch_size=st.integers(1, 5), num_steps=st.integers(1, 8),
       seed=st.integers(0, 10 ** 6))
def test_every_position_where_the_partitioning_promises(length, batch_size, num_steps, seed):
    """With token i at position i: random partitioning covers each window of the
    usable range [offset, offset + num_steps * num_examples) exactly once; consecutive
    partitioning gives row r the contiguous stretch r * row_len + offset + t, in order
    across batches; in both, Y is X shifted by one."""
    corpus = list(range(length))
    if num_random_batches(length, batch_size, num_steps, num_steps - 1) >= 1:
        offset = int(random.Random(seed).uniform(0, num_steps))
        X = np.concatenate([x.asnumpy() for x, y in
                            data_iter_random(corpus, batch_size, num_steps, rng=random.Random(seed))])
        num_examples = (length - offset - 1) // num_steps
        assert len(X) == num_random_batches(length, batch_size, num_steps, offset) * batch_size
        starts = sorted(X[:, 0].astype(int))
        assert all((s - offset) % num_steps == 0 and s >= offset for s in starts)
        assert len(set(starts)) == len(starts)
        assert max(starts) + num_steps <= offset + num_examples * num_steps
        np.testing.assert_array_equal(X, X[:, :1] + np.arange(num_steps))  # whole windows
    if num_consecutive_batches(length, batch_size, num_steps, num_steps - 1) >= 1:
        offset = int(random.Random(seed).uniform(0, num_steps))
        batches = [(x.asnumpy(), y.asnumpy()) for x, y in
                   data_iter_consecutive(corpus, batch_size, num_steps, rng=random.Random(seed))]
        row_len = (length - offset) // batch_size
        X = np.concatenate([x for x, _ in batches], axis=1)
        Y = np.concatenate([y for _, y in batches], axis=1)
        expected = offset + np.arange(batch_size)[:, None] * row_len + np.arange(X.shape[1])
        np.testing.assert_array_equal(X, expected)
        np.testing.assert_array_equal(Y, expected + 1)
        assert X.shape[1] == len(batches) * num_steps and Y.max() < offset + batch_size * row_len


@pytest.mark.parametrize("make", [data_iter_random, data_iter_consecutive])
@pytest.mark.parametrize("upload", [1, 2, 64])
def test_batches_copied_in_chunks_are_those_copied_one_by_one(make, upload, monkeypatch):
    """The values go to the device a few batches at a time (one copy from Python waits
    for all queued arithmetic): whatever the chunk, the same batches (the default's are
    the real d2l's: test_d2l_differential), as separate arrays a reader may change."""
    from gluon_rnn.data import batches

    expected = [(X.asnumpy(), Y.asnumpy()) for X, Y in make(CORPUS, 3, 5, rng=random.Random(4))]
    monkeypatch.setattr(batches, "UPLOAD_BATCHES", upload)
    got = list(make(CORPUS, 3, 5, rng=random.Random(4)))
    assert len(got) == len(expected) > 64  # two chunks of 64 too
    for (X, Y), (want_X, want_Y) in zip(got, expected):
        np.testing.assert_array_equal(X.asnumpy(), want_X)
        np.testing.assert_array_equal(Y.asnumpy(), want_Y)
    got[0][0][:] = -1  # its own array: the next batch's values stay
    np.testing.assert_array_equal(got[1][0].asnumpy(), expected[1][0])
