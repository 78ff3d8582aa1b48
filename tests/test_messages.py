"""Messages that say what is there and what to do (issue 33, class 5)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import processes_with_env, wait_until
from gluon_rnn.cli import main


@pytest.mark.parametrize("kind, said", [("loop", "symbolic link that loops"),
                                        ("dangling", "symbolic link to"),
                                        ("nothing", "does not exist")])
def test_a_path_that_is_not_there_says_what_stands_there(tmp_path, capsys, kind, said):
    path = tmp_path / "model.npz"
    if kind == "loop":
        os.symlink(path, path)
    elif kind == "dangling":
        os.symlink(tmp_path / "gone.npz", path)
    assert main(["straight-dope", "sample", "--model", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and said in err, err


def test_gluon_rnn_data_naming_a_file_says_so(tmp_path, capsys, monkeypatch):
    named = tmp_path / "timemachine.txt"
    named.write_text("not a folder")
    monkeypatch.setenv("GLUON_RNN_DATA", str(named))
    monkeypatch.setenv("GLUON_RNN_OFFLINE", "1")
    monkeypatch.setenv("GLUON_RNN_CACHE", str(tmp_path / "cache"))
    assert main(["compare", "--epochs", "1", "--no-progress", "--out", str(tmp_path / "o")]) == 2
    assert "which is a file, not the folder holding the data files" in capsys.readouterr().err


def test_the_free_space_asked_for_is_the_checkpoints(tmp_path):
    from gluon_rnn.data.corpora import TokenCorpus
    from gluon_rnn.train.config import TrainConfig
    from gluon_rnn.train.run import checkpoint_bytes, new_run

    corpus = TokenCorpus("tiny", "char", list("the cat sat on the mat " * 20), [], [])
    run = new_run(TrainConfig(num_hiddens=8, num_steps=5, batch_size=4, num_epochs=1),
                  corpus=corpus)
    need = checkpoint_bytes(run.net, run.config, len(run.vocab))
    assert need < 128 << 10  # a 1 KB model asks for no megabytes


def test_a_mxnet_engine_type_mxnet_refuses_is_named(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat. " * 100)
    done = subprocess.run([sys.executable, "-m", "gluon_rnn", "train", "--corpus", str(corpus),
                           "--num-epochs", "1", "--num-hiddens", "8", "--no-progress", "--out",
                           str(tmp_path / "r")], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, MXNET_ENGINE_TYPE="Bogus"))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "MXNET_ENGINE_TYPE='Bogus'" in lines[0], done.stderr
    assert "NaiveEngine" in lines[0]


def test_launch_stopped_by_sigterm_is_143_and_one_line(tmp_path):
    marker = f"GLUON_RNN_MESSAGE_TEST={tmp_path.name}"
    proc = subprocess.Popen([sys.executable, "-m", "gluon_rnn", "launch", "-n", "1", "--",
                             "sleep", "1000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=dict(os.environ, GLUON_RNN_MESSAGE_TEST=tmp_path.name))
    wait_until(lambda: len(processes_with_env(marker)) >= 4, 60, "the job's processes")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert err.strip().splitlines() == ["gluon-rnn: terminated (SIGTERM)"], err
    deadline = time.time() + 15
    while processes_with_env(marker) and time.time() < deadline:
        time.sleep(0.1)
    assert processes_with_env(marker) == []


def test_chapter_names_its_own_option(tmp_path, capsys):
    import nbformat

    notebook = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")]),
                   str(notebook))
    (tmp_path / "blocker").write_text("a file where the folder would be")
    assert main(["chapter", "--output", str(tmp_path / "blocker" / "out.ipynb"),
                 str(notebook)]) == 2
    err = capsys.readouterr().err
    assert "choose another --output" in err and "--out " not in err, err
    assert capsys.readouterr().out == ""  # refused before any cell ran


def test_d2l_is_taken_for_a_chapter_that_imports_no_helper(tmp_path, capsys):
    script = tmp_path / "plain.py"
    script.write_text("print('no helper here')\n")
    assert main(["chapter", "--d2l", "0.17.6", str(script)]) == 0
    assert capsys.readouterr().out == "no helper here\n"


MXNET_SHAPE_ERROR = ("import mxnet as mx\n"
                     "mx.nd.dot(mx.nd.ones((2, 3)), mx.nd.ones((4, 5))).wait_to_read()\n")


@pytest.mark.parametrize("suffix", [".py", ".md"])
def test_an_mxnet_error_in_a_chapter_ends_in_its_reason(tmp_path, capsys, monkeypatch, suffix):
    """MXNet writes its C++ stack into the error's message; a reader's traceback ends in
    the check that failed, its own frames kept."""
    monkeypatch.chdir(tmp_path)
    chapter = tmp_path / f"shapes{suffix}"
    chapter.write_text(MXNET_SHAPE_ERROR if suffix == ".py" else
                       f"# shapes\n\n```{{.python .input}}\n{MXNET_SHAPE_ERROR}```\n")
    assert main(["chapter", str(chapter)]) == 1
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith("mxnet.base.MXNetError: Check failed"), err
    assert last.endswith("(MXNet's C++ stack left out)")
    assert "[bt]" not in err and "Stack trace" not in err and "src/operator" not in err
    assert "line 2" in err  # the reader's own frame


def test_the_1_0_vocabulary_and_predict_say_what_is_wrong():
    import d2l103_compat as d2l

    vocab = d2l.Vocab(list("hello world"))
    with pytest.raises(IndexError, match=r"index 50 is outside the vocabulary of 9 tokens"):
        vocab.to_tokens(50)
    assert vocab.to_tokens([3]) == ["e"]  # d2l: TypeError for a list of one index
    model = d2l.RNNLMScratch(d2l.RNNScratch(num_inputs=9, num_hiddens=4), vocab_size=9)
    with pytest.raises(ValueError, match="prefix must hold at least one character"):
        model.predict("", 5, vocab)
