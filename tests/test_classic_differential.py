"""d2lzh_compat and d2l087_compat against the published d2lzh==1.0.0 and d2l==0.8.7
(installed --no-deps by `make test` into .venv/oracles, each in its own folder): the
same loaders and index order (under the same PYTHONHASHSEED), batches, predictions
and printed lines, for the books' from-scratch RNN, GRU, LSTM and Gluon pages."""
from __future__ import annotations

import json
import random
import re
import runpy
import subprocess
import sys

import mxnet as mx
import numpy as np
import pytest

import d2l087_compat
import d2lzh_compat
from conftest import FIXTURES, ORACLES, load_oracle
from gluon_rnn.cli import main

TIME = re.compile(r", time [0-9.]+ sec$")


@pytest.fixture(scope="session")
def d2lzh_oracle():
    return load_oracle("d2lzh", "1.0.0")


@pytest.fixture(scope="session")
def d2l087_oracle():
    return load_oracle("d2l", "0.8.7")


@pytest.mark.parametrize("which, loader, vocab_size", [
    ("d2lzh", "load_data_jay_lyrics", 1027), ("d2lzh", "load_data_time_machine", 43),
    ("d2l087", "load_data_time_machine", 43), ("d2l087", "load_data_timemachine", None),
    ("d2l087", "load_data_jay_lyrics", 1027),
])
def test_loaders_give_the_same_four_values(book, d2lzh_oracle, d2l087_oracle, which, loader,
                                           vocab_size):
    ours = getattr({"d2lzh": d2lzh_compat, "d2l087": d2l087_compat}[which], loader)()
    theirs = getattr({"d2lzh": d2lzh_oracle, "d2l087": d2l087_oracle}[which], loader)()
    assert ours == theirs
    if vocab_size is not None:
        assert ours[3] == vocab_size and "<unk>" not in ours[1]


def test_the_index_order_follows_the_hash_seed_as_theirs_does(book):
    utils = ORACLES / "d2lzh-1.0.0" / "d2lzh" / "utils.py"
    code = ("import json, sys, importlib.util\n"
            "import d2lzh_compat\n"
            f"spec = importlib.util.spec_from_file_location('o', {str(utils)!r})\n"
            "o = importlib.util.module_from_spec(spec); spec.loader.exec_module(o)\n"
            "print(json.dumps([d2lzh_compat.load_data_jay_lyrics()[2][:20], "
            "o.load_data_jay_lyrics()[2][:20]]))\n")
    orders = []
    for seed in ("0", "1"):
        env = dict(__import__("os").environ, PYTHONHASHSEED=seed)
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        ours, theirs = json.loads(done.stdout)
        assert ours == theirs
        orders.append(ours)
    assert orders[0] != orders[1]  # the books' list(set(...)): PYTHONHASHSEED decides


@pytest.mark.parametrize("seed", [0, 3])
@pytest.mark.parametrize("batch_size, num_steps", [(32, 35), (2, 6), (3, 7)])
@pytest.mark.parametrize("name", ["data_iter_random", "data_iter_consecutive"])
@pytest.mark.parametrize("which", ["d2lzh", "d2l087"])
def test_iterators_yield_the_same_batches(d2lzh_oracle, d2l087_oracle, which, name, batch_size,
                                          num_steps, seed):
    ours = getattr({"d2lzh": d2lzh_compat, "d2l087": d2l087_compat}[which], name)
    theirs = getattr({"d2lzh": d2lzh_oracle, "d2l087": d2l087_oracle}[which], name)
    corpus = list(np.random.RandomState(seed).randint(0, 40, size=1500))
    got = []
    for fn in (ours, theirs):
        random.seed(seed)
        got.append([(X.asnumpy(), Y.asnumpy()) for X, Y in fn(corpus, batch_size, num_steps,
                                                              mx.cpu())])
        got[-1].append(random.random())  # the same draws were made
    assert len(got[0]) == len(got[1]) > 1
    for (x1, y1), (x2, y2) in zip(got[0][:-1], got[1][:-1]):
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)
    assert got[0][-1] == got[1][-1]


def test_predict_rnn_gives_their_continuation(book, d2lzh_oracle):
    corpus, char_to_idx, idx_to_char, vocab_size = d2lzh_compat.load_data_jay_lyrics()
    from gluon_rnn.models.scratch import get_params, init_rnn_state, rnn
    mx.random.seed(1)
    params = get_params(vocab_size, 16, vocab_size, mx.cpu())
    args = ("分开", 12, rnn, params, init_rnn_state, 16, vocab_size, mx.cpu(), idx_to_char,
            char_to_idx)
    assert d2lzh_compat.predict_rnn(*args) == d2lzh_oracle.predict_rnn(*args)
    with pytest.raises(ValueError, match="prefix character 'Z' is not in the corpus's"):
        d2lzh_compat.predict_rnn("Z", *args[1:])


SHRINK = [("= 250, 35, 32, 1e2, 1e-2", "= 4, 35, 32, 1e2, 1e-2"),
          ("= 160, 35, 32, 1e2, 1e-2", "= 4, 35, 32, 1e2, 1e-2"),
          # the Gluon page: the book's lr 1e2 on the shrunken 16-unit model went to a perplexity
          # above 2000 in 2 of about 20 full-suite runs (ours and the real helper alike, so
          # the comparison held); 1e1 keeps the shrunken page in its sane range
          ("= 250, 32, 1e2, 1e-2", "= 4, 32, 1e1, 1e-2"),
          ("pred_period, pred_len, prefixes = 50,", "pred_period, pred_len, prefixes = 2,"),
          ("pred_period, pred_len, prefixes = 40,", "pred_period, pred_len, prefixes = 2,"),
          ("vocab_size, 256, vocab_size", "vocab_size, 16, vocab_size"),
          ("num_hiddens = 256", "num_hiddens = 16")]


def _shortened(book, generation: str, page: str):
    text = (FIXTURES / generation / f"{page}.py").read_text(encoding="utf-8")
    for old, new in SHRINK:
        text = text.replace(old, new)
    assert "= 4," in text and "prefixes = 2," in text
    script = book / f"{page}.py"
    script.write_text(text, encoding="utf-8")
    return script


def _printed(run, capsys) -> list:
    capsys.readouterr()
    random.seed(0)
    mx.random.seed(0)
    run()
    return [TIME.sub("", line) for line in capsys.readouterr().out.splitlines()]


@pytest.mark.parametrize("generation", ["d2lzh", "d2l087"])
@pytest.mark.parametrize("page", ["rnn_scratch", "rnn_gluon", "gru", "lstm"])
def test_book_pages_print_what_the_real_helper_prints(book, d2lzh_oracle, d2l087_oracle,
                                                      monkeypatch, capsys, generation, page):
    """The page run on the published helper, and through `gluon-rnn chapter` (which
    must bind the right facade by itself): same lines, same perplexities, same samples."""
    script = _shortened(book, generation, page)
    name, oracle = ("d2lzh", d2lzh_oracle) if generation == "d2lzh" else ("d2l", d2l087_oracle)

    def theirs():
        with monkeypatch.context() as patch:
            patch.setitem(sys.modules, name, oracle)
            patch.setattr(sys, "path", sys.path[:])
            runpy.run_path(str(script), run_name="__main__")

    expected = _printed(theirs, capsys)
    ours = _printed(lambda: main(["chapter", str(script)]), capsys)
    assert ours == expected
    epochs = [line for line in ours if line.startswith("epoch ")]
    assert len(epochs) == (4 if page in ("rnn_scratch", "gru", "lstm") else 2)
    assert all(0 < float(line.split("perplexity ")[1]) < 2000 for line in epochs), epochs
    assert sum(line.startswith(" - ") for line in ours) == 2 * len(epochs)


@pytest.mark.parametrize("is_random_iter", [False, True])
def test_a_corpus_d2lzh_trains_on_is_not_refused(d2lzh_oracle, capsys, is_random_iter):
    """100 tokens, batch 9 x 10 steps: d2lzh (no start offset) has one batch either way and
    trains; a size rule that allowed for 0.9.2's random offset (up to 9) refused it. Both
    print the same lines; d2l 0.8.7 (0.9.2's offsets) refuses it, naming the sizes."""
    from gluon_rnn.models.scratch import get_params, init_rnn_state, rnn

    corpus = [i % 20 for i in range(100)]
    idx_to_char = [chr(ord("a") + i) for i in range(20)]
    char_to_idx = {c: i for i, c in enumerate(idx_to_char)}

    def train(helper):
        return lambda: helper.train_and_predict_rnn(
            rnn, lambda: get_params(20, 8, 20, mx.cpu()), init_rnn_state, 8, 20, mx.cpu(),
            corpus, idx_to_char, char_to_idx, is_random_iter, 2, 10, 1.0, 1.0, 9, 1, 5,
            ["abc"])

    ours = _printed(train(d2lzh_compat), capsys)
    assert ours == _printed(train(d2lzh_oracle), capsys)
    assert [line.split(",")[0] for line in ours if line.startswith("epoch")] == \
        ["epoch 1", "epoch 2"]
    with pytest.raises(ValueError, match=r"corpus length 100 .*batch_size=9 x num_steps=10"):
        train(d2l087_compat)()
