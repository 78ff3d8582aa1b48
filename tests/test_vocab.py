"""Vocab behaviour beyond the d2l differential tests."""
from gluon_rnn.vocab import Vocab


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
