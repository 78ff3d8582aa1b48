"""The command line through main(argv): compare, data, help and bad input."""
from __future__ import annotations

import csv
import os

import pytest

from gluon_rnn.cli import main

TINY = ["--epochs", "3", "--num-hiddens", "8", "--num-steps", "10", "--batch-size", "4",
        "--num-examples", "1200", "--pred-len", "5", "--no-progress"]


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


def test_compare_without_validation(tmp_path, capsys):
    assert main(["compare", *TINY, "--out", str(tmp_path), "--valid-examples", "0"]) == 0
    header = next(line for line in capsys.readouterr().out.splitlines()
                  if line.lstrip().startswith("epoch"))
    assert header.split() == ["epoch", "random", "consecutive"]
    with open(tmp_path / "compare.csv") as f:
        assert all(row["valid_perplexity"] == "" for row in csv.DictReader(f))


def test_validation_text_too_short_is_a_clear_error(tmp_path, capsys):
    assert main(["compare", *TINY, "--out", str(tmp_path), "--valid-examples", "30"]) == 2
    assert "corpus length 30" in capsys.readouterr().err


def test_compare_same_seed_same_numbers(tmp_path, capsys):
    outs = []
    for run in ("a", "b"):
        assert main(["compare", *TINY, "--seed", "4", "--out", str(tmp_path / run)]) == 0
        outs.append((tmp_path / run / "compare.csv").read_text().splitlines())
    capsys.readouterr()
    strip = lambda lines: [",".join(line.split(",")[:3]) for line in lines]  # no timings
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
    assert str(isolated_data / "cache" / "timemachine.txt") in err


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


def test_module_and_console_script_entry_points():
    import subprocess
    import sys
    from pathlib import Path

    for cmd in ([sys.executable, "-m", "gluon_rnn", "data"],
                [str(Path(sys.executable).with_name("gluon-rnn")), "data"]):
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("timemachine.txt ")


def test_rnnlm_train_then_generate(tmp_path, capsys):
    model = tmp_path / "m.npz"
    assert main(["rnnlm", "train", "--max-sentences", "40", "--epochs", "2", "--vocabulary-size",
                 "300", "--hidden-dim", "10", "--out", str(model)]) == 0
    out = capsys.readouterr().out
    assert out.count("Loss after num_examples_seen=") == 2 and "epoch=1" in out
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
    (["rnnlm", "generate", "--model", "{tmp}/nothing.npz"], "nothing.npz.vocab.json does not exist"),
])
def test_rnnlm_bad_input(tmp_path, capsys, argv, message):
    (tmp_path / "nobody.csv").write_text("title\nhello\n")
    argv = [a.format(tmp=tmp_path) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize("corpus", ["timemachine", "tinyshakespeare", "PATH"])
def test_straight_dope_train_then_sample(tmp_path, capsys, corpus):
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
