"""The releases before the 2020+ books that had no facade until issue 28: d2l-en v0.7.0 and
v0.8.0 (`import d2l` beside `from mxnet import np, npx`: d2l==0.11.1 and d2l==0.12.0) and
d2l-zh v0.7 (`import gluonbook as gb`, gluonbook==0.7.1), against the published helpers
`make test` installs --no-deps into .venv/oracles. Every recurrent page of each release
(tests/fixtures/d2l070, d2l080, gluonbook: the pages' code cells, epochs and sizes cut)
runs on the real helper and through `gluon-rnn chapter`, which must bind the right facade
by itself, under the same seeds; the printed lines (speeds aside) must be the same."""
from __future__ import annotations

import re
import shutil

import mxnet as mx
import pytest

from conftest import (
    FIXTURES,
    fixture_page,
    load_oracle,
    output_on_real_helper,
    output_through_chapter,
    require_data,
    seeded,
    small_zip,
)
from gluon_rnn.books.generations import generation_of
from gluon_rnn.books.pages import page_cells
from gluon_rnn.cli import main

SPEED = re.compile(r"\b\d+(\.\d+)? tokens/sec on")
TIME = re.compile(r"\btime \d+\.\d+s\b")  # gluonbook's PTB page prints its epochs' times
ALT_FRA_ENG = "73848f36c17cc9c0187a058d6f7f315e68cdd61f"  # data/README.md
V070 = ["text-preprocessing", "lang-model", "rnn-scratch", "rnn-gluon",  # and of the
        "gru", "lstm", "deep-rnn", "bi-rnn"]  # modern chapter, on the same helpers
V080 = ["language-models-and-dataset", "rnn-scratch", "rnn-gluon", "gru", "lstm", "deep-rnn",
        "bi-rnn"]
V080_MT = ["machine-translation-and-dataset", "encoder-decoder", "seq2seq"]
GLUONBOOK = ["rnn", "gru", "lstm", "rnn-gluon"]


def _lines(text: str) -> list:
    return [TIME.sub("time Ns", SPEED.sub("N tokens/sec on", line)) for line in text.splitlines()]


def _compare(book, fixtures, name, module, helper, monkeypatch, capsys, edits=()) -> list:
    page = fixture_page(book, fixtures, name, edits)
    ours = _lines(output_through_chapter(page, capsys))
    assert ours == _lines(output_on_real_helper(page, {module: helper}, monkeypatch, capsys))
    return ours


@pytest.mark.parametrize("name", V070)
def test_d2l_en_0_7_pages_print_what_d2l_0_11_1_prints(book, monkeypatch, capsys, name):
    ours = _compare(book, "d2l070", name, "d2l", load_oracle("d2l", "0.11.1"), monkeypatch,
                    capsys)
    trained = [line for line in ours if "tokens/sec on cpu(0)" in line]
    assert len(trained) == {"rnn-scratch": 2, "rnn-gluon": 1, "gru": 2, "lstm": 2,
                            "deep-rnn": 1, "bi-rnn": 1}.get(name, 0)
    assert all(1 < float(line.split()[1].rstrip(",")) < 40 for line in trained)


@pytest.mark.parametrize("name", V080)
def test_d2l_en_0_8_pages_print_what_d2l_0_12_0_prints(book, monkeypatch, capsys, name):
    ours = _compare(book, "d2l080", name, "d2l", load_oracle("d2l", "0.12.0"), monkeypatch,
                    capsys)
    trained = [line for line in ours if "tokens/sec on cpu(0)" in line]
    assert len(trained) == {"rnn-scratch": 2, "rnn-gluon": 1, "gru": 2, "lstm": 2,
                            "deep-rnn": 1, "bi-rnn": 1}.get(name, 0)


@pytest.mark.parametrize("name", V080_MT)
def test_d2l_en_0_8_translation_pages_print_what_d2l_0_12_0_prints(
        book, monkeypatch, capsys, name):
    """On the first 3,000 pairs in the books' data/ (the pages read and prepare the whole
    text on both sides), registered in both DATA_HUBs and in the page's own line."""
    import d2l012_compat as ours

    from conftest import small_fra_eng

    sha = small_fra_eng(book.parent / "data")
    theirs = load_oracle("d2l", "0.12.0")
    for helper in (ours, theirs):
        monkeypatch.setitem(helper.DATA_HUB, "fra-eng", (helper.DATA_URL + "fra-eng.zip", sha))
    ours = _compare(book, "d2l080", name, "d2l", theirs, monkeypatch, capsys,
                    [(ALT_FRA_ENG, sha)])
    if name == "seq2seq":
        assert [line.split(" =>")[0] for line in ours if " => " in line] == \
            ["Go .", "Wow !", "I'm OK .", "I won !"]


@pytest.mark.parametrize("name", GLUONBOOK)
def test_d2l_zh_0_7_pages_print_what_gluonbook_prints(book, monkeypatch, capsys, name):
    if name == "rnn-gluon":  # the page reads all of PTB in Python, twice: its first lines do
        small_zip("ptb.zip", book.parent / "data" / "ptb.zip", lines=400)
    ours = _compare(book, "gluonbook", name, "gluonbook", load_oracle("gluonbook", "0.7.1"),
                    monkeypatch, capsys)
    assert any(line.startswith(("epoch 1, perplexity", "epoch 1,")) for line in ours), ours


@pytest.mark.parametrize("fixtures, name, generation", [
    ("d2l070", "rnn-scratch", "0.12.0"), ("d2l080", "seq2seq", "0.12.0"),
    ("gluonbook", "gru", "0.9.2"), ("d2l0176", "rnn-scratch", "0.17.6"),
])
def test_the_numpy_interface_binds_the_numpy_era_facade(fixtures, name, generation):
    """`import d2l` with mxnet's np/npx is d2l 0.11.1/0.12.0's API, not 0.9.2's nd one; a
    gluonbook page imports no d2l at all (its `gluonbook` is bound whatever the d2l)."""
    source = "\n".join(code for _, code in page_cells(
        (FIXTURES / fixtures / f"{name}.md").read_text(encoding="utf-8")))
    assert generation_of(source) == generation


def test_numpy_era_helpers_match_the_real_ones(book):
    """Called as a reader's own code would: the same vocabulary (ties alphabetical), batches
    of both iterators under the same seeds, and 0.11.1's special tokens."""
    import d2l012_compat as ours

    theirs = load_oracle("d2l", "0.12.0")
    older = load_oracle("d2l", "0.11.1")
    mx.npx.set_np()
    try:
        got = []
        for helper in (ours, theirs):
            seeded()
            corpus, vocab = helper.load_corpus_time_machine(5000)
            batches = [[x.asnumpy().tolist() for x in batch]
                       for fn in (helper.seq_data_iter_random, helper.seq_data_iter_consecutive)
                       for batch in fn(corpus, 3, 7)]
            words = helper.Vocab(helper.tokenize(helper.read_time_machine()), min_freq=2)
            got.append((corpus, vocab.idx_to_token, batches, words.idx_to_token[:50],
                        len(words)))
        assert got[0] == got[1] and len(got[0][2]) > 100
        tokens = [["b", "a", "c", "a"], ["c", "d"]]
        special = ours.Vocab(tokens, use_special_tokens=True)
        real = older.Vocab(tokens, use_special_tokens=True)
        assert special.idx_to_token == real.idx_to_token == ["<pad>", "<bos>", "<eos>", "<unk>",
                                                             "a", "c", "b", "d"]
        assert (special.unk, special["zzz"]) == (real.unk, real["zzz"]) == (3, 3)
    finally:
        mx.npx.reset_np()


@pytest.mark.parametrize("fixtures, name, expect", [
    ("d2l070", "rnn-gluon", "tokens/sec on cpu(0)"),
    ("gluonbook", "gru", "epoch 1, perplexity"),
])
def test_a_notebook_of_each_older_release_runs_through_chapter(book, capsys, fixtures, name,
                                                               expect):
    """The page's cells as a notebook, run in the kernel, which binds `import d2l` (numpy
    interface) and `import gluonbook` with no choice made by hand."""
    import nbformat

    page = FIXTURES / fixtures / f"{name}.md"
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(code) for _, code in page_cells(page.read_text(encoding="utf-8"))])
    path = book / f"{name}.ipynb"
    nbformat.write(notebook, str(path))
    assert main(["chapter", str(path)]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert expect in out and "Traceback" not in out


@pytest.mark.parametrize("fixtures, name, generation", [
    ("d2l080", "seq2seq", "0.12.0"), ("d2l103", "seq2seq", "1.0.3"),
    # unpacked as 0.12.0's is (download_extract): `make test-slow` runs it
    pytest.param("d2l0176", "seq2seq", "0.17.6", marks=pytest.mark.slow),
])
def test_translation_pages_run_in_a_bare_folder(tmp_path, monkeypatch, capsys, fixtures, name,
                                                generation):
    """No book layout: the English-French pairs come from $GLUON_RNN_DATA, a read-only
    folder (as ../shared/data is), which nothing is written into."""
    require_data("fra-eng.zip")
    from gluon_rnn.data.resolve import resolve

    data = tmp_path / "shared" / "data"
    data.mkdir(parents=True)
    shutil.copy(resolve("fra-eng.zip"), data / "fra-eng.zip")
    data.chmod(0o555)
    monkeypatch.setenv("GLUON_RNN_DATA", str(data))
    monkeypatch.setenv("GLUON_RNN_CACHE", str(tmp_path / "cache"))
    bare = tmp_path / "work" / "bare"
    bare.mkdir(parents=True)
    monkeypatch.chdir(bare)
    page = bare / f"{name}.md"
    shutil.copy(FIXTURES / fixtures / f"{name}.md", page)
    try:
        assert main(["chapter", str(page)]) == 0, capsys.readouterr().err
    finally:
        data.chmod(0o755)
    out = capsys.readouterr().out
    assert "tokens/sec on cpu(0)" in out or generation == "1.0.3", out
    assert sorted(p.name for p in data.iterdir()) == ["fra-eng.zip"]
    # 0.12.0 and 0.17.6 unpack beside the archive (here: the cache); the 1.0 book's download
    # copies the archive into its root, ../data, and unpacks it there
    unpacked = tmp_path / "work" / "data" if generation == "1.0.3" else tmp_path / "cache"
    assert (unpacked / "fra-eng" / "fra.txt").is_file()


@pytest.mark.parametrize("marks", [",.!?", ",.!"])  # 0.17.6/1.0.3's and 0.12.0's
def test_the_prepared_text_is_the_character_loops(marks):
    """prepare_nmt_text's regular expression against the books' loop (a space before each
    mark that follows a non-space), on the data's first 20,000 pairs and the edges."""
    import zipfile

    from gluon_rnn.data.resolve import resolve
    from gluon_rnn.tutorials.d2l.base import prepare_nmt_text

    def books(text):
        text = text.replace("\u202f", " ").replace("\xa0", " ").lower()
        return "".join(" " + c if i and c in marks and text[i - 1] != " " else c
                       for i, c in enumerate(text))

    require_data("fra-eng.zip")
    with zipfile.ZipFile(resolve("fra-eng.zip")) as archive:
        text = archive.read("fra-eng/fra.txt").decode("utf-8")
    sample = "".join(text.splitlines(True)[:20000])
    for case in [sample, "", ".", " .", "a\n.", "!!hi..\u202f!", "Va !\tGo?", "\xa0?x"]:
        assert prepare_nmt_text(case, marks) == books(case), case[:40]
    assert prepare_nmt_text("Hi.Go?", marks) == ("hi .go ?" if "?" in marks else "hi .go?")
