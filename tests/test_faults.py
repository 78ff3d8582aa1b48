"""Faults at random moments: ``gluon-rnn train``, ``gluon-rnn launch`` and a notebook's
``gluon-rnn chapter`` killed by SIGKILL or stopped by SIGTERM (or Ctrl-C) anywhere from
start-up to the end. After each,
nothing of the job is left running, and the next run (resumed when a checkpoint was
written, else started again) completes and leaves no temporary file behind."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from conftest import processes_with_env, require_data
from gluon_rnn.data.corpora import time_machine_text
from gluon_rnn.train.checkpoints import load_training_checkpoint

MOMENTS = random.Random(20261201)  # fixed: a failure names a moment that can be replayed


def _train_argv(corpus, out, epochs):
    return [sys.executable, "-m", "gluon_rnn", "train", "--corpus", str(corpus), "--num-hiddens",
            "16", "--num-steps", "8", "--batch-size", "4", "--num-epochs", str(epochs),
            "--no-progress", "--out", str(out)]


def _gone(marker: str, seconds: float = 20.0) -> list:
    deadline = time.time() + seconds
    while processes_with_env(marker) and time.time() < deadline:
        time.sleep(0.2)
    return processes_with_env(marker)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    require_data('timemachine.txt')
    path = tmp_path_factory.mktemp("faults") / "tm.txt"
    path.write_text(time_machine_text(6000))
    return path


CASES = [(how, MOMENTS.uniform(0.3, 6.0)) for how in ("SIGKILL", "SIGTERM") for _ in range(2)]


@pytest.mark.parametrize("how, after", CASES, ids=[f"{h}-{a:.2f}s" for h, a in CASES])
def test_train_stopped_at_a_random_moment_resumes_cleanly(corpus, tmp_path, how, after):
    """The run asks for more epochs than it can finish before any moment, so the signal
    always meets it (a run that had ended would prove nothing): SIGTERM is 143 and one
    line, SIGKILL leaves what it leaves, and the next run completes from there."""
    out = tmp_path / "run"
    marker = f"GLUON_RNN_FAULT_TEST={tmp_path.name}"
    env = dict(os.environ, GLUON_RNN_FAULT_TEST=tmp_path.name)
    proc = subprocess.Popen(_train_argv(corpus, out, 100_000), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(after)
    assert proc.poll() is None, "the run ended before the signal"
    proc.send_signal(getattr(signal, how))
    _, err = proc.communicate(timeout=120)
    assert "Traceback" not in err, err
    if how == "SIGTERM":  # in fit, what was saved; before it, that it was terminated
        assert proc.returncode == 143, err
        assert "saved" in err or err.strip() == "gluon-rnn: terminated (SIGTERM)", err
    else:
        assert proc.returncode == -signal.SIGKILL
    assert _gone(marker) == []
    checkpoint = out / "checkpoint.npz"
    resumed = checkpoint.is_file()
    done_epochs = load_training_checkpoint(checkpoint).position.epoch if resumed else 0
    done = subprocess.run(_train_argv(corpus, out, done_epochs + 1)
                          + (["--resume"] if resumed else ["--overwrite"]),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert not list(out.glob("*.tmp")), list(out.iterdir())
    assert load_training_checkpoint(checkpoint).position.epoch == done_epochs + 1


LAUNCH_CASES = [(how, MOMENTS.uniform(0.5, 6.0)) for how in ("SIGKILL", "SIGTERM")]


@pytest.mark.parametrize("how, after", LAUNCH_CASES, ids=[f"{h}-{a:.2f}s" for h, a in LAUNCH_CASES])
def test_launch_stopped_at_a_random_moment_leaves_nothing_running(corpus, tmp_path, how, after):
    out = tmp_path / "run"
    marker = f"GLUON_RNN_FAULT_TEST={tmp_path.name}"
    env = dict(os.environ, GLUON_RNN_FAULT_TEST=tmp_path.name)
    argv = [sys.executable, "-m", "gluon_rnn", "launch", "-n", "2", "--",
            *_train_argv(corpus, out, 200)[1:]]  # the workers: python -m gluon_rnn train ...
    argv[argv.index("--") + 1:argv.index("--") + 1] = [sys.executable]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    time.sleep(after)
    proc.send_signal(getattr(signal, how))
    proc.communicate(timeout=120)
    assert _gone(marker) == [], "processes of the job outlived the launcher"
    done = subprocess.run(_train_argv(corpus, out, 1) + ["--overwrite"], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr  # the folder's lock went with the job
    assert not list(out.glob("*.tmp")), list(out.iterdir())


# one moment per signal (each case runs the notebook twice: about 10 s)
NOTEBOOK_CASES = [(how, MOMENTS.uniform(0.2, 6.0)) for how in ("SIGKILL", "SIGTERM", "SIGINT")]


@pytest.mark.parametrize("how, after", NOTEBOOK_CASES,
                         ids=[f"{h}-{a:.2f}s" for h, a in NOTEBOOK_CASES])
def test_a_notebook_runner_stopped_at_a_random_moment_leaves_no_kernel(tmp_path, how, after):
    """From start-up (the kernel not yet started) to a cell that runs: whatever the moment,
    no kernel outlives its runner, a stop by SIGTERM or Ctrl-C is its one line and status,
    and the notebook runs again to the end afterwards."""
    import nbformat

    path = tmp_path / "nb.ipynb"
    cells = ["print('one')", "import os, time\nfor i in range(int(os.environ['NB_SECONDS'])):\n"
             "    time.sleep(1)", "print('two')"]
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]),
                   str(path))
    marker = f"GLUON_RNN_FAULT_TEST={tmp_path.name}"
    env = dict(os.environ, GLUON_RNN_FAULT_TEST=tmp_path.name)
    argv = [sys.executable, "-m", "gluon_rnn", "chapter", str(path)]
    # the notebook outlasts every moment (a runner that had ended would prove nothing)
    proc = subprocess.Popen(argv, env=dict(env, NB_SECONDS="60"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(after)
    assert proc.poll() is None, "the runner ended before the signal"
    proc.send_signal(getattr(signal, how))
    _, err = proc.communicate(timeout=120)
    assert _gone(marker, 30) == [], "a kernel outlived its runner"
    if how == "SIGKILL":
        assert proc.returncode == -signal.SIGKILL
    else:
        status, said = {"SIGTERM": (143, "terminated (SIGTERM)"),
                        "SIGINT": (130, "interrupted")}[how]
        assert proc.returncode == status, err
        assert err.strip().splitlines()[-1] == f"gluon-rnn: {said}", err
        assert "Traceback" not in err, err
    done = subprocess.run(argv, capture_output=True, text=True, timeout=180,
                          env=dict(os.environ, NB_SECONDS="1"))
    assert done.returncode == 0 and done.stdout == "one\ntwo\n", done.stderr
