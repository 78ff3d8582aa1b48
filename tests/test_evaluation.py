"""Held-out evaluation: the split never overlaps, perplexity is computed on held-out text only."""
from __future__ import annotations

import random

import mxnet as mx
import pytest
from mxnet import nd
from mxnet.gluon import rnn as grnn

from gluon_rnn.data.batches import data_iter_consecutive
from gluon_rnn.models.gluon import RNNModel
from gluon_rnn.models.scratch import get_params, init_rnn_state, rnn
from gluon_rnn.train.evaluate import split_corpus
from gluon_rnn.train.loop import evaluate_perplexity


def test_split_is_contiguous_and_disjoint():
    corpus = list(range(1000))
    train, valid = split_corpus(corpus, 0.1)
    assert train == list(range(900)) and valid == list(range(900, 1000))
    with pytest.raises(ValueError, match="valid_fraction"):
        split_corpus(corpus, 1.5)


def test_fixed_offset_draws_no_randomness():
    rng = random.Random(3)
    state = rng.getstate()
    batches = list(data_iter_consecutive(list(range(200)), 2, 5, rng=rng, offset=0))
    assert rng.getstate() == state and batches[0][0].asnumpy()[0, 0] == 0


def test_untrained_models_score_about_the_vocabulary_size(time_machine):
    corpus_indices, vocab = time_machine
    _, valid = split_corpus(corpus_indices, 0.2)
    mx.random.seed(0)
    scratch = (rnn, get_params(len(vocab), 16, len(vocab)), init_rnn_state, 16)
    assert evaluate_perplexity(scratch, valid, len(vocab), 8, 10) == pytest.approx(len(vocab), rel=0.05)
    model = RNNModel(grnn.GRU(16), len(vocab))
    model.initialize(init=mx.init.Normal(0.01))
    assert evaluate_perplexity(model, valid, len(vocab), 8, 10) == pytest.approx(len(vocab), rel=0.05)


def test_evaluation_reads_only_the_held_out_text():
    """A model that has memorised 'a b a b ...' is perfect on such text and bad elsewhere."""
    vocab_size = 3

    class Memoriser:
        def begin_state(self, batch_size, ctx=None):
            return [nd.zeros((1,))]

        def __call__(self, X, state):
            nxt = (X.T.reshape((-1,)) + 1) % 2  # predicts the other of tokens 0/1
            return nd.one_hot(nxt, vocab_size) * 50, state

    alternating = [i % 2 for i in range(400)]
    assert evaluate_perplexity(Memoriser(), alternating, vocab_size, 4, 5) == pytest.approx(1.0, abs=1e-5)
    constant = [2] * 400
    assert evaluate_perplexity(Memoriser(), constant, vocab_size, 4, 5) > 1e10
