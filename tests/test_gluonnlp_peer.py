"""gluonnlp 0.10, the ecosystem's word-level toolkit, as a peer: its
``CorpusBPTTBatchify`` (the batches of its word language model) cuts a corpus into
exactly the minibatches our consecutive partitioning gives from offset 0, and its
vocabulary orders tokens as our ``Vocab`` does."""
from __future__ import annotations

import collections

import gluonnlp as nlp
import pytest

from conftest import require_data
from gluon_rnn.data.batches import data_iter_consecutive
from gluon_rnn.data.corpora import load_token_corpus
from gluon_rnn.data.vocab import Vocab


@pytest.fixture(scope="module")
def ptb_words():
    require_data('ptb.zip')
    return load_token_corpus("ptb", "word").train[:30000]


@pytest.mark.parametrize("batch_size, num_steps", [(20, 35), (20, 20), (7, 13)])
def test_consecutive_batches_equal_gluonnlp_bptt_batches(ptb_words, batch_size, num_steps):
    theirs_vocab = nlp.Vocab(nlp.data.count_tokens(ptb_words), unknown_token=None,
                             padding_token=None, bos_token=None, eos_token=None)
    batchify = nlp.data.batchify.CorpusBPTTBatchify(theirs_vocab, num_steps, batch_size,
                                                    last_batch="discard")
    theirs = [(theirs_vocab.to_tokens(d.asnumpy().T.astype(int).ravel().tolist()),
               theirs_vocab.to_tokens(t.asnumpy().T.astype(int).ravel().tolist()))
              for d, t in batchify(ptb_words)]
    ours_vocab = Vocab(ptb_words)
    indices = [ours_vocab[w] for w in ptb_words]
    ours = [(ours_vocab.to_tokens(X.asnumpy().astype(int).ravel().tolist()),
             ours_vocab.to_tokens(Y.asnumpy().astype(int).ravel().tolist()))
            for X, Y in data_iter_consecutive(indices, batch_size, num_steps, offset=0)]
    assert len(ours) == len(theirs) > 10
    assert ours == theirs


def test_vocab_order_equals_gluonnlp_vocab(ptb_words):
    """Both order tokens by frequency, ties alphabetically; PTB's text holds its own
    ``<unk>``, so without special tokens the two index maps are the same list."""
    theirs = nlp.Vocab(nlp.data.count_tokens(ptb_words), unknown_token=None,
                       padding_token=None, bos_token=None, eos_token=None)
    ours = Vocab(ptb_words)
    assert nlp.data.count_tokens(ptb_words) == collections.Counter(ptb_words)
    assert len(ours) > 4000
    assert ours.idx_to_token == theirs.idx_to_token
