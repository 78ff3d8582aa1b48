"""The command as a newcomer meets it, through the installed entry point: version,
help, option aliases and suggestions, one overwrite policy, the tutorials' log lines."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "gluon-rnn"  # what `pip install -e .` put on PATH


def gluon_rnn(*argv, timeout=300, cwd=None):
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "gluon_rnn"]
    return subprocess.run([*command, *map(str, argv)], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd)


def test_the_installed_command_and_its_version():
    assert SCRIPT.exists(), "make installs the console script into .venv/bin"
    done = gluon_rnn("--version")
    assert done.returncode == 0 and done.stdout.startswith("gluon-rnn 0.1.0 (mxnet 1.9.1")
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert ".venv/bin/gluon-rnn" in readme and "source .venv/bin/activate" in readme


@pytest.mark.parametrize("argv", [["compare", "--help"], ["train", "--help"],
                                  ["straight-dope", "sample", "--help"], ["rnnlm", "train", "--help"]])
def test_help_shows_each_default_once_and_a_description(argv):
    done = gluon_rnn(*argv)
    assert done.returncode == 0
    text = done.stdout
    assert "(default: None)" not in text
    for line in text.splitlines():
        assert line.count("default") <= 1, line
    description = text.split("\n\n")[1]
    assert len(description.split()) >= 4 and not description.startswith("options")


def test_chapter_without_a_script_names_only_what_is_missing():
    done = gluon_rnn("chapter")
    assert done.returncode == 2
    assert "required: script (" in done.stderr and "script_args" not in done.stderr


@pytest.mark.parametrize("argv, expected", [
    (["train", "--epochs", "x"], "gluon-rnn train: error: argument --epochs: must be an integer, got 'x'"),
    (["compare", "--num-epochs", "0"], "gluon-rnn compare: error: argument --num-epochs: must"),
    (["straight-dope", "train", "--lr", "0"], "argument --lr: must be a positive number"),
    (["straight-dope", "train", "--num-hiddens", "0"], "argument --num-hiddens: must be"),
    (["rnnlm", "train", "--num-hiddens", "0"], "argument --num-hiddens: must be"),
    (["compare", "--epohcs", "2"], "unrecognized arguments: --epohcs 2 (did you mean --epochs?)"),
])
def test_common_option_names_are_accepted_everywhere(argv, expected):
    """Aliases parse (the errors come from their values, in the command's own usage)."""
    done = gluon_rnn(*argv)
    assert done.returncode == 2
    assert expected in done.stderr and "Traceback" not in done.stderr
    command = " ".join(argv[:2] if argv[0] in ("straight-dope", "rnnlm") else argv[:1])
    assert done.stderr.startswith(f"gluon-rnn {command}: error: ")  # one line, no usage block
    assert done.stderr.count("\n") == 1 and f"`gluon-rnn {command} --help` lists" in done.stderr


def test_train_accepts_epochs_for_num_epochs(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat. " * 100)
    done = gluon_rnn("train", "--corpus", corpus, "--epochs", "1", "--num-hiddens", "8",
                     "--num-steps", "5", "--batch-size", "4", "--out", tmp_path / "run",
                     "--no-progress")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("epoch 1: perplexity") == 1 and "epoch 2:" not in done.stdout


@pytest.mark.requires_data('timemachine.txt', 'reddit-comments-2015-08.csv', 'timemachine-gutenberg.txt')
def test_every_command_that_writes_results_refuses_to_overwrite(tmp_path):
    out = tmp_path / "cmp"
    tiny = ["--epochs", "2", "--num-examples", "1200", "--num-hiddens", "8", "--num-steps", "10",
            "--batch-size", "4", "--valid-examples", "0", "--no-progress", "--out", out]
    assert gluon_rnn("compare", *tiny).returncode == 0
    before = (out / "compare.csv").read_text()
    again = gluon_rnn("compare", *tiny, "--seed", "3")
    assert again.returncode == 2 and "already exists" in again.stderr
    assert "--overwrite" in again.stderr and (out / "compare.csv").read_text() == before
    assert gluon_rnn("compare", *tiny, "--seed", "3", "--overwrite").returncode == 0
    assert (out / "compare.csv").read_text() != before
    model = tmp_path / "sd.npz"
    sd = ["straight-dope", "train", "--corpus", "timemachine", "--epochs", "1", "--num-hidden",
          "8", "--seq-length", "8", "--batch-size", "4", "--max-chars", "600", "--sample-chars",
          "0", "--out", model]
    assert gluon_rnn(*sd).returncode == 0
    refused = gluon_rnn(*sd)
    assert refused.returncode == 2 and "already exists" in refused.stderr
    assert gluon_rnn(*sd, "--overwrite").returncode == 0
    run = ["train", "--corpus", "timemachine", "--resume", "--overwrite", "--out", tmp_path / "r"]
    both = gluon_rnn(*run)
    assert both.returncode == 2 and "pass one" in both.stderr


def test_unwritable_output_is_refused_before_training(tmp_path):
    if os.geteuid() == 0:
        locked = Path("/proc/gluon-rnn-test")  # not writable even for root
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
    done = gluon_rnn("rnnlm", "train", "--out", locked / "m.npz", "--max-sentences", "5")
    assert done.returncode == 2 and "cannot write the output folder" in done.stderr
    assert "Loss after" not in done.stdout  # refused before any training


@pytest.mark.requires_data('reddit-comments-2015-08.csv')
def test_rnnlm_train_logs_the_trained_loss_at_the_end(tmp_path):
    done = gluon_rnn("rnnlm", "train", "--max-sentences", "30", "--epochs", "1",
                     "--vocabulary-size", "200", "--hidden-dim", "8", "--out", tmp_path / "m.npz",
                     "--no-progress")
    assert done.returncode == 0, done.stderr
    logged = [line for line in done.stdout.splitlines() if "Loss after" in line]
    assert [line.split("num_examples_seen=")[1].split(":")[0] for line in logged] == \
        ["0 epoch=0", "30 epoch=1"]
    first, last = (float(line.rsplit(": ", 1)[1]) for line in logged)
    assert last < first


def test_results_keep_the_users_umask(tmp_path):
    out = tmp_path / "run"
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat. " * 100)
    env_umask = os.umask(0o022)
    try:
        done = gluon_rnn("train", "--corpus", corpus, "--epochs", "1", "--num-hiddens", "8",
                         "--num-steps", "5", "--batch-size", "4", "--out", out, "--no-progress")
    finally:
        os.umask(env_umask)
    assert done.returncode == 0, done.stderr
    modes = {p.name: p.stat().st_mode & 0o777 for p in out.iterdir()}
    assert modes and set(modes.values()) == {0o644}, modes


@pytest.mark.requires_data('timemachine.txt')
def test_the_main_job_run_twice_keeps_the_first_and_says_where_the_second_went(tmp_path,
                                                                               monkeypatch):
    """`make run` twice (no --out): the second goes to runs/compare-2, said in one line; a
    file the user made is still never replaced (runs/compare-2 holding one is skipped)."""
    monkeypatch.chdir(tmp_path)
    tiny = ["--epochs", "1", "--num-examples", "1200", "--num-hiddens", "8", "--num-steps", "10",
            "--batch-size", "4", "--valid-examples", "0", "--no-progress"]
    first = gluon_rnn("compare", *tiny)
    assert first.returncode == 0, first.stderr
    before = (tmp_path / "runs" / "compare" / "compare.csv").read_bytes()
    (tmp_path / "runs" / "compare-2").mkdir()
    (tmp_path / "runs" / "compare-2" / "compare.png").write_text("the user's own picture")
    second = gluon_rnn("compare", *tiny, "--seed", "5")
    assert second.returncode == 0, second.stderr
    said = [line for line in second.stderr.splitlines() if line.startswith("gluon-rnn:")]
    assert len(said) == 1 and "runs/compare-3" in said[0] and "kept" in said[0], second.stderr
    assert (tmp_path / "runs" / "compare" / "compare.csv").read_bytes() == before
    assert (tmp_path / "runs" / "compare-2" / "compare.png").read_text() == "the user's own picture"
    assert (tmp_path / "runs" / "compare-3" / "compare.csv").is_file()
