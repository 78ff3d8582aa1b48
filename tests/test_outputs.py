"""Outputs (issue 25, class 3): every output file and folder is checked before the work,
no file of the user's is replaced without --overwrite, and two runs never write the same
output at once."""
from __future__ import annotations

import nbformat
import pytest

from conftest import require_data
from gluon_rnn._files import locked_output
from gluon_rnn.cli import main


def _corpus(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("the cat sat on the mat. the dog sat on the log. " * 40)
    return str(path)


def _sd(tmp_path, out, *extra):
    return ["straight-dope", "train", "--corpus", _corpus(tmp_path), "--epochs", "1",
            "--num-hidden", "8", "--seq-length", "8", "--batch-size", "4", "--max-chars", "600",
            "--sample-chars", "0", "--out", str(out), *extra]


def _rnnlm(tmp_path, out, *extra):
    text = tmp_path / "sentences.txt"
    text.write_text("the cat sat on the mat.\nthe dog sat on the log.\n" * 20)
    return ["rnnlm", "train", "--data", str(text), "--hidden-dim", "4", "--vocabulary-size",
            "20", "--no-progress", "--out", str(out), *extra]


def _compare(tmp_path, out, *extra):
    return ["compare", "--epochs", "1", "--num-hiddens", "8", "--num-examples", "2000",
            "--no-progress", "--out", str(out), *extra]


COMMANDS = {"straight-dope": (_sd, "model.npz"), "rnnlm": (_rnnlm, "model.npz"),
            "compare": (_compare, "compare.csv")}


def _target(tmp_path, command):
    argv, name = COMMANDS[command]
    out = tmp_path / "out"
    return argv, out, (out / name if command == "compare" else out / name)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_folder_where_an_output_file_goes_is_refused_before_the_work(tmp_path, capsys,
                                                                       command):
    """Found before training, even with --overwrite (which replaces files, not folders)."""
    argv, out, target = _target(tmp_path, command)
    target.mkdir(parents=True)
    given = target if command != "compare" else out
    assert main(argv(tmp_path, given, "--overwrite")) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "is a directory, not a regular file" in captured.err
    assert "Epoch" not in captured.out and "epoch" not in captured.out.lower()
    assert target.is_dir() and list(target.iterdir()) == []


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_second_run_into_the_same_output_is_refused_while_the_first_runs(tmp_path, capsys,
                                                                         command):
    if command == "compare":  # it trains on The Time Machine once the lock is free
        require_data("timemachine.txt")
    argv, out, target = _target(tmp_path, command)
    given = target if command != "compare" else out
    with locked_output(target, "a model"):  # what the first run holds while it trains
        assert main(argv(tmp_path, given)) == 2
        err = capsys.readouterr().err
        assert "is in use by another gluon-rnn run (pid " in err and err.count("\n") == 1, err
        assert not target.exists()
    assert main(argv(tmp_path, given)) == 0  # once it is done, the next may write
    assert target.is_file()
    assert not list(target.parent.glob(".*.lock"))  # the lock goes with its run


def test_rnnlm_snapshots_never_replace_a_users_file(tmp_path, capsys):
    """The --snapshot pattern's files are known before training: an existing one is
    refused (a user's thesis.txt became an npz), --overwrite replaces it."""
    thesis = tmp_path / "thesis.txt"
    thesis.write_text("three years of work")
    argv = _rnnlm(tmp_path, tmp_path / "m.npz", "--snapshot", str(thesis), "--epochs", "2")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{thesis} already exists (a snapshot of an earlier run)" in err
    assert thesis.read_text() == "three years of work" and not (tmp_path / "m.npz").exists()
    fields = _rnnlm(tmp_path, tmp_path / "m.npz", "--snapshot", str(tmp_path / "s-{epoch}.npz"),
                    "--epochs", "3")
    (tmp_path / "s-2.npz").write_text("mine")  # the third evaluation's file
    assert main(fields) == 2
    assert "s-2.npz already exists" in capsys.readouterr().err
    assert main(fields + ["--overwrite"]) == 0
    assert sorted(p.name for p in tmp_path.glob("s-*.npz")) == ["s-0.npz", "s-1.npz", "s-2.npz"]


def test_rnnlm_keeps_an_existing_vocabulary(tmp_path, capsys):
    model = tmp_path / "m.npz"
    vocab = tmp_path / "m.npz.vocab.json"
    vocab.write_text('["mine"]')
    assert main(_rnnlm(tmp_path, model)) == 2
    assert "m.npz.vocab.json already exists" in capsys.readouterr().err
    assert vocab.read_text() == '["mine"]' and not model.exists()


@pytest.mark.parametrize("case", ["a text file", "the notebook itself", "a folder"])
def test_an_executed_notebook_never_replaces_what_is_not_one(tmp_path, capsys, case):
    notebook = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")]),
                   str(notebook))
    target = {"a text file": tmp_path / "notes.txt", "the notebook itself": notebook,
              "a folder": tmp_path / "out.ipynb"}[case]
    if case == "a text file":
        target.write_text("my notes")
    if case == "a folder":
        target.mkdir()
    before = notebook.read_text()
    assert main(["chapter", "--output", str(target), str(notebook)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(target) in err, err
    assert notebook.read_text() == before
    if case == "a text file":
        assert target.read_text() == "my notes"


@pytest.mark.parametrize("command, how, status, said", [
    ("straight-dope", "SIGTERM", 143, "terminated (SIGTERM)"),
    ("rnnlm", "SIGINT", 130, "interrupted"),
])
def test_a_tutorial_stopped_in_training_saves_what_it_has(tmp_path, command, how, status, said):
    """Ctrl-C or SIGTERM in the middle of training: the model as it stands is written
    (loadable, never half-written), said in the stop's one line."""
    import signal
    import subprocess
    import sys

    out = tmp_path / "model.npz"
    argv = _sd(tmp_path, out) if command == "straight-dope" else _rnnlm(tmp_path, out)
    if "--epochs" in argv:
        argv[argv.index("--epochs") + 1] = "100000"
    else:
        argv += ["--epochs", "100000"]
    proc = subprocess.Popen([sys.executable, "-m", "gluon_rnn", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline()  # training has begun (its first report line)
    second = proc.stdout.readline()  # and gone on: a model to save
    assert first and second, proc.stderr.read()
    proc.send_signal(getattr(signal, how))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == status, err
    assert err.strip().splitlines()[-1].startswith(
        f"gluon-rnn: {said}; saved what it had so far: {out}"), err
    assert "Traceback" not in err
    if command == "straight-dope":
        from gluon_rnn.tutorials.straight_dope import load_char_rnn
        load_char_rnn(out)
    else:
        from gluon_rnn.tutorials.wildml.files import load_vocabulary, read_model_parameters
        read_model_parameters(out)
        assert load_vocabulary(str(out) + ".vocab.json")
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.lock"))


def _library_sd(tmp_path, out, overwrite=False):
    from gluon_rnn.tutorials import straight_dope as sd

    text = "the cat sat on the mat. " * 30
    model = sd.new_model(text, 8, 0)
    return sd.train_model(model, text, sd.CharRNNConfig(epochs=1, seq_length=8, batch_size=4),
                          save_to=out, overwrite=overwrite)


def _library_rnnlm(tmp_path, out, overwrite=False):
    from gluon_rnn.tutorials.wildml.workflow import RNNLMConfig, train_rnnlm

    text = tmp_path / "sentences.txt"
    text.write_text("the cat sat on the mat.\nthe dog sat on the log.\n" * 20)
    return train_rnnlm(RNNLMConfig(data=str(text), hidden_dim=4, vocabulary_size=20), out,
                       overwrite=overwrite)


def _library_compare(tmp_path, out, overwrite=False):
    from gluon_rnn.compare import comparison_outputs

    with comparison_outputs(out.parent, overwrite) as targets:
        return targets


LIBRARY = {"straight-dope": (_library_sd, "model.npz"), "rnnlm": (_library_rnnlm, "model.npz"),
           "compare": (_library_compare, "compare.csv")}


@pytest.mark.parametrize("what", list(LIBRARY))
def test_a_library_caller_gets_the_same_lock_and_claims_as_the_command(tmp_path, what):
    """The lock and the output policy are the library's (the command line only calls it):
    from Python too, a second writer of the same output is refused while the first holds
    it, and an existing file is replaced only with overwrite."""
    write, name = LIBRARY[what]
    target = tmp_path / "out" / name
    target.parent.mkdir()
    with locked_output(target, "a model"):  # a first run holding it
        with pytest.raises(ValueError, match="is in use by another gluon-rnn run"):
            write(tmp_path, target)
    target.write_text("mine")
    with pytest.raises(ValueError, match="already exists"):
        write(tmp_path, target)
    assert target.read_text() == "mine"
    write(tmp_path, target, overwrite=True)
    assert not list(target.parent.glob(".*.lock"))
    if what != "compare":  # a comparison's files are written after its runs, by the caller
        assert target.read_bytes()[:2] == b"PK"  # replaced by a model (.npz)


def test_a_launchers_environment_makes_no_library_run_distributed(monkeypatch):
    """DMLC_ROLE=worker (a `gluon-rnn launch` worker's environment) used to turn every new
    run distributed; now only `distributed=True` (given by the command line) does."""
    from gluon_rnn.data.corpora import TokenCorpus
    from gluon_rnn.train import run as runs
    from gluon_rnn.train.config import TrainConfig
    from gluon_rnn.train.run import new_run

    def no_scheduler():  # what a dist_sync KVStore would need: a job's scheduler
        raise AssertionError("the run was made distributed")

    monkeypatch.setattr(runs, "distributed_kvstore", no_scheduler)
    monkeypatch.setenv("DMLC_ROLE", "worker")
    corpus = TokenCorpus("tiny", "char", list("the cat sat on the mat " * 20), [], [])
    run = new_run(TrainConfig(num_hiddens=8, num_steps=5, batch_size=4, num_epochs=1),
                  corpus=corpus)
    assert run.num_workers == 1 and run.rank == 0
    with pytest.raises(AssertionError, match="made distributed"):
        new_run(TrainConfig(num_hiddens=8, num_steps=5, batch_size=4, num_epochs=1),
                corpus=corpus, distributed=True)
