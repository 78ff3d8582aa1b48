"""The WildML word pipeline on the reddit sample and on hostile files."""
from __future__ import annotations

import pytest

from conftest import require_data
from gluon_rnn.tutorials.wildml.pipeline import (
    SENTENCE_END,
    SENTENCE_START,
    UNKNOWN_TOKEN,
    build_training_data,
    load_word_data,
    read_comments,
    tokenize_sentences,
)


@pytest.fixture(scope="module")
def reddit():
    require_data('reddit-comments-2015-08.csv')
    return load_word_data(vocabulary_size=500)


def test_sample_pipeline_markers_cap_and_shift(reddit):
    assert len(read_comments()) == 212
    assert reddit.vocabulary_size == 500
    assert reddit.index_to_word[:2] == [SENTENCE_START, SENTENCE_END]
    assert reddit.index_to_word[-1] == UNKNOWN_TOKEN
    assert len(reddit.X_train) > 1000
    for sentence, x, y in zip(reddit.sentences, reddit.X_train, reddit.y_train):
        assert sentence[0] == SENTENCE_START and sentence[-1] == SENTENCE_END
        assert x[0] == 0 and y[-1] == 1 and x[1:] == y[:-1]
        assert all(w == w.lower() for w in sentence[1:-1] if w != UNKNOWN_TOKEN)
    unknown = reddit.word_to_index[UNKNOWN_TOKEN]
    assert any(unknown in x for x in reddit.X_train)


def test_rare_words_become_unknown_and_order_is_by_frequency():
    sentences = tokenize_sentences(["The cat sat. The dog sat!", "A zebra ran."])
    data = build_training_data(sentences, vocabulary_size=5)
    assert data.index_to_word == [SENTENCE_START, SENTENCE_END, "the", "sat", UNKNOWN_TOKEN]
    assert data.sentences[0] == [SENTENCE_START, "the", UNKNOWN_TOKEN, "sat", UNKNOWN_TOKEN, SENTENCE_END]
    assert len(sentences) == 3 and sentences[1][-2] == "!"


def test_tokenizer_splits_like_treebank():
    (sentence,) = tokenize_sentences(["He didn't go, it's 3.5 dollars."])
    assert sentence == [SENTENCE_START, "he", "did", "n't", "go", ",", "it", "'s", "3.5", "dollars",
                        ".", SENTENCE_END]


def test_text_file_lines_are_comments(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("first line here.\n\nsecond one.\n")
    assert read_comments(path) == ["first line here.", "second one."]


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b"title,text\n\"a\",\"b\"\n", "no 'body' column"),
    (b"body\n\xff\xfe bad bytes\n", "(?i)not utf-8 text"),
    (b"body\n\n", "no comments"),
])
def test_bad_csv_files(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        read_comments(path)


def test_vocabulary_size_must_hold_a_word():
    with pytest.raises(ValueError, match="vocabulary_size must be at least 2"):
        build_training_data([[SENTENCE_START, SENTENCE_END]], vocabulary_size=1)
