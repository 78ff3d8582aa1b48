"""The command line through main(argv): compare, data, help and bad input."""
from __future__ import annotations

import csv
import os
import re

import pytest

from conftest import require_data
from gluon_rnn.cli import main

TINY = ["--epochs", "3", "--num-hiddens", "8", "--num-steps", "10", "--batch-size", "4",
        "--num-examples", "1200", "--pred-len", "5", "--no-progress"]


@pytest.mark.requires_data('timemachine.txt')
def test_compare_writes_table_csv_and_png(tmp_path, capsys):
    assert main(["compare", *TINY, "--out", str(tmp_path), "--prefix", "the",
                 "--valid-examples", "1000"]) == 0
    out = capsys.readouterr().out
    assert "1200 characters for training, 1000 held out" in out
    header = next(line for line in out.splitlines() if line.lstrip().startswith("epoch"))
    assert header.split() == ["epoch", "random", "consecutive", "random", "valid",
                              "consecutive", "valid"]
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [row[0] for row in rows] == ["1", "2", "3"]
    assert all(1 < float(v) < 50 for row in rows for v in row[1:])
    assert out.count(" - 'the") == 2
    with open(tmp_path / "compare.csv") as f:
        table = list(csv.DictReader(f))
    assert [(r["iterator"], r["epoch"]) for r in table] == [
        ("random", "1"), ("random", "2"), ("random", "3"),
        ("consecutive", "1"), ("consecutive", "2"), ("consecutive", "3")]
    assert [round(float(r["perplexity"]), 4) for r in table[:3]] == [float(row[1]) for row in rows]
    assert [round(float(r["valid_perplexity"]), 4) for r in table[:3]] == [float(row[3]) for row in rows]
    png = (tmp_path / "compare.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10000
    assert sorted(os.listdir(tmp_path)) == ["compare.csv", "compare.png"]  # no temp files left


@pytest.mark.requires_data('timemachine.txt')
def test_compare_without_validation(tmp_path, capsys):
    assert main(["compare", *TINY, "--out", str(tmp_path), "--valid-examples", "0"]) == 0
    header = next(line for line in capsys.readouterr().out.splitlines()
                  if line.lstrip().startswith("epoch"))
    assert header.split() == ["epoch", "random", "consecutive"]
    with open(tmp_path / "compare.csv") as f:
        assert all(row["valid_perplexity"] == "" for row in csv.DictReader(f))


@pytest.mark.requires_data('timemachine.txt')
def test_validation_text_too_short_is_a_clear_error(tmp_path, capsys):
    assert main(["compare", *TINY, "--out", str(tmp_path), "--valid-examples", "30"]) == 2
    assert "corpus length 30" in capsys.readouterr().err


@pytest.mark.requires_data('timemachine.txt')
def test_compare_same_seed_same_numbers(tmp_path, capsys):
    outs = []
    for run in ("a", "b"):
        assert main(["compare", *TINY, "--seed", "4", "--out", str(tmp_path / run)]) == 0
        outs.append((tmp_path / run / "compare.csv").read_text().splitlines())
    capsys.readouterr()
    def strip(lines):  # no timings
        return [",".join(line.split(",")[:3]) for line in lines]
    assert strip(outs[0]) == strip(outs[1])


@pytest.mark.parametrize("argv, message", [
    (["compare", "--epochs", "0"], "--epochs: must be a positive integer"),
    (["compare", "--batch-size", "-2"], "--batch-size: must be a positive integer"),
    (["compare", "--lr", "0"], "--lr: must be a positive number"),
])
def test_bad_options_exit_2_with_one_line(argv, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as stop:  # argparse's own usage error
        main(argv + ["--out", str(tmp_path)])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bad_context_exit_2(capsys, tmp_path):
    assert main(["compare", "--ctx", "tpu", "--out", str(tmp_path)]) == 2
    assert "context 'tpu' is not one of auto, cpu" in capsys.readouterr().err


@pytest.mark.requires_data('timemachine.txt')
def test_corpus_too_short_is_a_clear_error(capsys, tmp_path):
    code = main(["compare", "--num-examples", "100", "--no-progress", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("gluon-rnn: error: the corpus is too short") and "corpus length 100" in err
    assert not (tmp_path / "compare.csv").exists()


def test_missing_data_file_names_places_and_url(isolated_data, capsys, monkeypatch):
    monkeypatch.setenv("GLUON_RNN_OFFLINE", "1")
    assert main(["compare", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "timemachine.txt not found" in err and "d2l-data.s3-accelerate.amazonaws.com" in err
    assert f"{isolated_data / 'cache'}); downloads are off" in err
    assert err.count("\n") == 1 and err.startswith("gluon-rnn: error: ")


@pytest.mark.requires_data('timemachine.txt')
def test_data_lists_where_files_are(capsys):
    assert main(["data"]) == 0
    lines = capsys.readouterr().out.splitlines()
    tm = next(line for line in lines if line.startswith("timemachine.txt "))
    assert tm.split()[1].endswith("timemachine.txt") and os.path.isfile(tm.split()[1])


def test_help_explains_every_option_with_default(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["compare", "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    for option in ("--epochs", "--num-hiddens", "--num-steps", "--batch-size", "--lr",
                   "--clipping-theta", "--seed", "--out", "--ctx"):
        assert option in out
    assert "(default: 250)" in out and "(default: 1.0)" in out
    options = re.split(r"\n  (?=-)", out.split("options:", 1)[1])
    seed = next(text for text in options if text.startswith("--seed"))
    assert "(default: 0)" in " ".join(seed.split())  # a default of 0 is shown too
    undocumented = [text.split()[0] for text in options if text.strip() and "default" not in text
                    and not text.startswith(("-h", "--overwrite", "--no-progress", "--prefix",
                                             "--data", "--table-every"))]
    assert undocumented == []


def test_module_and_console_script_entry_points():
    import subprocess
    import sys
    from pathlib import Path

    for cmd in ([sys.executable, "-m", "gluon_rnn", "data"],
                [str(Path(sys.executable).with_name("gluon-rnn")), "data"]):
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("timemachine.txt ")


@pytest.mark.requires_data('reddit-comments-2015-08.csv')
def test_rnnlm_train_then_generate(tmp_path, capsys):
    model = tmp_path / "m.npz"
    assert main(["rnnlm", "train", "--max-sentences", "40", "--epochs", "2", "--vocabulary-size",
                 "300", "--hidden-dim", "10", "--out", str(model)]) == 0
    out = capsys.readouterr().out
    # epochs 0 and 1 as the tutorial logs them, and the trained model's loss after epoch 2
    assert out.count("Loss after num_examples_seen=") == 3 and "epoch=1" in out
    assert "num_examples_seen=80 epoch=2" in out
    assert model.is_file() and (tmp_path / "m.npz.vocab.json").is_file()
    assert main(["rnnlm", "generate", "--model", str(model), "--num-sentences", "4",
                 "--seed", "3", "--min-length", "2"]) == 0
    sentences = capsys.readouterr().out.splitlines()
    assert len(sentences) == 4
    assert all("UNKNOWN_TOKEN" not in s and "SENTENCE_" not in s and len(s.split()) >= 2
               for s in sentences)
    assert main(["rnnlm", "generate", "--model", str(model), "--num-sentences", "4",
                 "--seed", "3", "--min-length", "2"]) == 0
    assert capsys.readouterr().out.splitlines() == sentences


@pytest.mark.parametrize("argv, message", [
    (["rnnlm", "train", "--data", "{tmp}/missing.csv"], "missing.csv does not exist"),
    (["rnnlm", "train", "--data", "{tmp}/nobody.csv"], "no 'body' column"),
    (["rnnlm", "generate", "--model", "{tmp}/nothing.npz"], "nothing.npz does not exist"),
])
def test_rnnlm_bad_input(tmp_path, capsys, argv, message):
    (tmp_path / "nobody.csv").write_text("title\nhello\n")
    argv = [a.format(tmp=tmp_path) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize("corpus", ["timemachine", "tinyshakespeare", "PATH"])
def test_straight_dope_train_then_sample(tmp_path, capsys, corpus):
    if corpus in ("timemachine", "tinyshakespeare"):
        require_data({"timemachine": "timemachine-gutenberg.txt"}.get(corpus, f"{corpus}.txt"))
    if corpus == "PATH":
        corpus = str(tmp_path / "mine.txt")
        (tmp_path / "mine.txt").write_text("the cat sat on the mat. " * 80)
    model = tmp_path / "sd.npz"
    assert main(["straight-dope", "train", "--corpus", corpus, "--epochs", "2", "--num-hidden", "16",
                 "--seq-length", "8", "--batch-size", "4", "--max-chars", "1500",
                 "--sample-chars", "10", "--out", str(model)]) == 0
    out = capsys.readouterr().out
    assert "Epoch 0. Loss:" in out and "Epoch 1. Loss:" in out
    assert main(["straight-dope", "sample", "--model", str(model), "--prefix", "th",
                 "--num-chars", "20", "--seed", "2"]) == 0
    text = capsys.readouterr().out[:-1]  # print's own newline
    assert text.startswith("th") and len(text) == 22


def test_straight_dope_bad_input(tmp_path, capsys):
    assert main(["straight-dope", "train", "--corpus", str(tmp_path / "none.txt")]) == 2
    assert "neither one of timemachine, tinyshakespeare" in capsys.readouterr().err
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    assert main(["straight-dope", "sample", "--model", str(bad)]) == 2
    assert "not a readable npz" in capsys.readouterr().err


def _tiny_corpus(tmp_path):
    from gluon_rnn.data.corpora import time_machine_text

    path = tmp_path / "tm.txt"
    path.write_text(time_machine_text(8000))
    return str(path)


@pytest.mark.requires_data('timemachine.txt')
def test_train_generate_and_resume_through_main(tmp_path, capsys):
    corpus, out = _tiny_corpus(tmp_path), str(tmp_path / "run")
    argv = ["train", "--corpus", corpus, "--model", "gru", "--num-hiddens", "16", "--num-epochs",
            "2", "--num-steps", "10", "--batch-size", "8", "--out", out, "--no-progress",
            "--prefix", "the time"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "7200 training, 800 validation, 0 test tokens" in printed
    assert printed.count("epoch ") >= 2 and " - the time" in printed
    rows = (tmp_path / "run" / "metrics.csv").read_text().splitlines()
    assert rows[0] == ("epoch,perplexity,seconds,tokens,valid_perplexity,skipped,"
                       "tokens_per_second,lr")
    assert [r.split(",")[0] for r in rows[1:]] == ["1", "2"]
    assert main(argv) == 2  # a second start would overwrite the run
    assert "--resume" in capsys.readouterr().err
    resume = [a if a != "2" else "3" for a in argv] + ["--resume"]  # same options, 3 epochs
    assert main(resume) == 0
    assert "resuming after epoch 2, minibatch 0" in capsys.readouterr().out
    assert len((tmp_path / "run" / "metrics.csv").read_text().splitlines()) == 4
    assert main(["train", "--out", out, "--resume", "--num-hiddens", "32"]) == 2
    assert "trained with num_hiddens=16" in capsys.readouterr().err
    checkpoint = str(tmp_path / "run" / "checkpoint.npz")
    assert main(["generate", "--checkpoint", checkpoint, "--prefix", "time", "--num-chars", "20",
                 "--seed", "1"]) == 0
    first = capsys.readouterr().out
    assert main(["generate", "--checkpoint", checkpoint, "--prefix", "time", "--num-chars", "20",
                 "--seed", "1"]) == 0
    assert capsys.readouterr().out == first and first.startswith("time") and len(first) == 25
    with pytest.raises(SystemExit) as stop:  # one or the other
        main(["generate", "--checkpoint", checkpoint, "--prefix", "time", "--greedy",
              "--temperature", "2"])
    assert stop.value.code == 2
    capsys.readouterr()
    assert main(["generate", "--checkpoint", str(tmp_path / "nope.npz"), "--prefix", "x"]) == 2
    assert "nope.npz does not exist" in capsys.readouterr().err


def test_train_help_gives_every_default(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for flag in ("--model", "--iter", "--corpus", "--level", "--num-hiddens", "--lr",
                 "--clipping-theta", "--num-epochs", "--dropout", "--optimizer", "--out"):
        assert flag in text
    assert text.count("(default: ") >= 21


@pytest.mark.requires_data('timemachine.txt')
def test_ctrl_c_saves_a_checkpoint_and_resume_continues(tmp_path):
    """A real SIGINT to a training process: it saves, says how to resume, exits 130."""
    import os
    import signal
    import subprocess
    import sys
    import time

    corpus, out = _tiny_corpus(tmp_path), tmp_path / "run"
    argv = [sys.executable, "-m", "gluon_rnn", "train", "--corpus", corpus, "--num-hiddens", "16",
            "--num-steps", "10", "--batch-size", "8", "--num-epochs", "100000", "--out", str(out),
            "--no-progress"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONUNBUFFERED="1"))
    deadline = time.time() + 120
    while not (out / "checkpoint.npz").exists() and time.time() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "continue with: gluon-rnn train --out" in stderr and "Traceback" not in stderr
    from gluon_rnn.train.checkpoints import load_training_checkpoint

    position = load_training_checkpoint(out / "checkpoint.npz").meta["position"]
    assert position["epoch"] >= 1
    done = position["epoch"] + 1
    assert main(["train", "--out", str(out), "--resume", "--num-epochs", str(done),
                 "--no-progress"]) == 0
    history = load_training_checkpoint(out / "checkpoint.npz").meta["position"]["history"]
    assert [row["epoch"] for row in history] == list(range(1, done + 1))


@pytest.mark.requires_data('timemachine.txt')
def test_compare_several_seeds_and_a_gluon_model(tmp_path, capsys):
    assert main(["compare", *TINY, "--out", str(tmp_path), "--runs", "3", "--model", "gru",
                 "--valid-examples", "1000"]) == 0
    out = capsys.readouterr().out
    assert "model gru; 3 epochs x 3 run(s) per partitioning" in out
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [row[0] for row in rows] == ["1", "2", "3"]
    cells = [cell.split("±") for row in rows for cell in row[1:]]
    assert all(len(c) == 2 and 1 < float(c[0]) < 50 and float(c[1]) > 0 for c in cells)
    with open(tmp_path / "compare.csv") as f:
        table = list(csv.DictReader(f))
    assert len(table) == 2 * 3 * 3
    final = [float(r["perplexity"]) for r in table if r["iterator"] == "random" and r["epoch"] == "3"]
    assert len(set(final)) == 3  # three seeds, three different runs
    mean = sum(final) / 3
    assert float(rows[-1][1].split("±")[0]) == pytest.approx(mean, abs=1e-4)


@pytest.mark.requires_data('timemachine.txt')
def test_compare_scratch_is_d2l_train_and_predict_rnn(tmp_path, capsys):
    """The compare command's default model trains exactly as d2l 8.5 does."""
    import random

    import mxnet as mx

    from gluon_rnn.models.scratch import init_rnn_state, params_factory, rnn
    from gluon_rnn.tutorials.d2l.d2l092 import load_data_time_machine, train_rnn

    assert main(["compare", *TINY, "--seed", "2", "--out", str(tmp_path),
                 "--valid-examples", "0"]) == 0
    capsys.readouterr()
    with open(tmp_path / "compare.csv") as f:
        table = list(csv.DictReader(f))
    corpus_indices, vocab = load_data_time_machine(1200)
    for name in ("random", "consecutive"):
        mx.random.seed(2)
        _, reports = train_rnn(rnn, params_factory(len(vocab), 8), init_rnn_state, 8,
                               corpus_indices, vocab, mx.cpu(), name == "random", 3, 10, 1.0,
                               1.0, 4, rng=random.Random(2))
        ours = [float(r["perplexity"]) for r in table if r["iterator"] == name]
        assert ours == pytest.approx([rep.perplexity for rep in reports], abs=1e-6)


@pytest.mark.requires_data('timemachine.txt')
def test_train_on_two_contexts_through_main(tmp_path, capsys):
    corpus = _tiny_corpus(tmp_path)
    assert main(["train", "--corpus", corpus, "--num-hiddens", "8", "--num-epochs", "1",
                 "--num-steps", "10", "--batch-size", "8", "--ctx", "cpu:0,cpu:1", "--init",
                 "uniform", "--out", str(tmp_path / "run"), "--no-progress"]) == 0
    assert "context cpu(0), cpu(1)" in capsys.readouterr().out
    for bad, message in (("cpu:0,cpu:0", "names a context twice"), ("cpu:0,tpu", "not one of"),
                         (",", "no context given")):
        assert main(["train", "--corpus", corpus, "--ctx", bad, "--out",
                     str(tmp_path / "other")]) == 2
        assert message in capsys.readouterr().err
