"""Vocab behaviour beyond the d2l differential tests."""
from hypothesis import given
from hypothesis import strategies as st

from gluon_rnn.data.vocab import Vocab


def test_round_trip_and_unknown():
    vocab = Vocab("hello world")
    indices = vocab[list("hello")]
    assert vocab.to_tokens(indices) == list("hello")
    assert vocab["?"] == vocab.unk == 0
    assert "l" in vocab and "?" not in vocab
    assert vocab.idx_to_token[1] == "l"            # most frequent first
    assert "size=9" in repr(vocab)


def test_special_tokens_and_min_freq():
    vocab = Vocab(["a", "a", "b"], min_freq=2, use_special_tokens=True)
    assert vocab.idx_to_token == ["<pad>", "<bos>", "<eos>", "<unk>", "a"]
    assert (vocab.pad, vocab.bos, vocab.eos, vocab.unk) == (0, 1, 2, 3)
    assert vocab["b"] == 3


@given(tokens=st.lists(st.text(min_size=1, max_size=3), max_size=60),
       min_freq=st.integers(0, 3), special=st.booleans())
def test_round_trip_property(tokens, min_freq, special):
    """Every kept token maps to its index and back; dropped and unseen tokens map to
    <unk>; indices are 0..len-1 without gaps; more frequent tokens come first."""
    vocab = Vocab(tokens, min_freq=min_freq, use_special_tokens=special)
    assert sorted(vocab.token_to_idx.values()) == list(range(len(vocab)))
    for token in set(tokens):
        index = vocab[token]
        kept = tokens.count(token) >= min_freq or token in vocab.idx_to_token[:4 if special else 1]
        if kept:
            assert vocab.to_tokens(index) == token
        else:
            assert index == vocab.unk
    counts = [tokens.count(t) for t in vocab.idx_to_token[4 if special else 1:]]
    assert counts == sorted(counts, reverse=True)
    assert vocab.to_tokens(vocab[list(tokens)]) == [t if t in vocab else "<unk>" for t in tokens]


def test_a_saved_order_is_taken_as_it_is():
    vocab = Vocab.from_tokens(["b", "<unk>", "a"])
    assert vocab.idx_to_token == ["b", "<unk>", "a"] and vocab.token_to_idx["a"] == 2
    assert vocab["zzz"] == 1 == vocab.unk  # unknown tokens map to <unk>'s own index
    assert Vocab.from_tokens(["x", "y"])["zzz"] == 0
