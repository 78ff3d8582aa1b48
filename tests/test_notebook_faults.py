"""Notebooks through `gluon-rnn chapter` when things go wrong (issue 25, class 2): a
kernel that dies, a cell that runs too long, the runner stopped by Ctrl-C or SIGTERM,
files that are no notebook Gluon-rnn can run. Every way out writes what ran, says what
happened in one line and leaves no kernel running."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import nbformat
import pytest

from conftest import processes_with_env
from gluon_rnn.cli import main


def _notebook(path, *cells, **metadata):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata.update(metadata)
    nbformat.write(nb, str(path))
    return path


def _kernels_gone(marker: str, seconds: float = 20) -> list:
    deadline = time.time() + seconds
    while processes_with_env(marker) and time.time() < deadline:
        time.sleep(0.2)
    return processes_with_env(marker)


@pytest.fixture
def marker(tmp_path, monkeypatch):
    """An environment variable every kernel started by the test inherits."""
    value = f"GLUON_RNN_NOTEBOOK_TEST={tmp_path.name}"
    monkeypatch.setenv("GLUON_RNN_NOTEBOOK_TEST", tmp_path.name)
    return value


def test_a_kernel_that_dies_is_reported_not_waited_for(tmp_path, capsys, marker):
    path = _notebook(tmp_path / "die.ipynb", "print('before')", "import os\nos._exit(1)",
                     "print('after')")
    started = time.time()
    assert main(["chapter", str(path)]) == 1
    assert time.time() - started < 60
    captured = capsys.readouterr()
    assert captured.out == "before\n"
    assert captured.err.splitlines()[-1] == (
        f"{path}: the kernel died in cell 2 (a crash, os._exit or out of memory); it ran no "
        "further cells")
    executed = nbformat.read(str(tmp_path / "die.executed.ipynb"), as_version=4)
    assert executed.cells[0].outputs[0]["text"] == "before\n" and not executed.cells[2].outputs
    assert _kernels_gone(marker) == []


def test_a_cell_past_the_timeout_is_stopped(tmp_path, capsys, marker):
    path = _notebook(tmp_path / "slow.ipynb", "print('start')", "import time\ntime.sleep(120)",
                     "print('after')")
    started = time.time()
    assert main(["chapter", "--timeout", "2", str(path)]) == 1
    assert time.time() - started < 60
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == (f"{path}: cell 2 ran past the timeout of 2 s; the kernel was stopped "
                       "(give more time with --timeout)")
    assert (tmp_path / "slow.executed.ipynb").is_file()
    assert _kernels_gone(marker) == []


@pytest.mark.parametrize("how, status, said", [("SIGTERM", 143, "terminated (SIGTERM)"),
                                               ("SIGINT", 130, "interrupted")])
@pytest.mark.parametrize("group", [False, True], ids=["runner", "process-group"])
def test_a_runner_stopped_while_a_cell_runs_stops_its_kernel(tmp_path, marker, how, status,
                                                              said, group):
    """Ctrl-C (the terminal signals the whole group) or SIGTERM (`kill`, `timeout`): the
    kernel is stopped, the executed notebook written, and the runner exits as every command
    does when stopped so (130, 143)."""
    path = _notebook(tmp_path / "slow.ipynb", "print('start', flush=True)",
                     "open('started', 'w').close()\nimport time\ntime.sleep(120)")
    proc = subprocess.Popen([sys.executable, "-m", "gluon_rnn", "chapter", str(path)],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    deadline = time.time() + 90
    while not (tmp_path / "started").exists() and time.time() < deadline:
        time.sleep(0.1)
    assert (tmp_path / "started").exists(), "the second cell never started"
    if group:
        os.killpg(proc.pid, getattr(signal, how))
    else:
        proc.send_signal(getattr(signal, how))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == status, err
    assert err.splitlines()[-2:] == [f"{path}: stopped in cell 2", f"gluon-rnn: {said}"], err
    assert "Traceback" not in err and out == "start\n"
    executed = nbformat.read(str(tmp_path / "slow.executed.ipynb"), as_version=4)
    assert executed.cells[0].outputs[0]["text"] == "start\n"
    assert _kernels_gone(marker) == []


def test_a_runner_killed_outright_takes_its_kernel_with_it(tmp_path, marker):
    """SIGKILL leaves no handler to run: the kernel notices its parent is gone."""
    path = _notebook(tmp_path / "slow.ipynb", "open('started', 'w').close()\n"
                                              "import time\ntime.sleep(120)")
    proc = subprocess.Popen([sys.executable, "-m", "gluon_rnn", "chapter", str(path)],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 90
    while not (tmp_path / "started").exists() and time.time() < deadline:
        time.sleep(0.1)
    proc.kill()
    proc.wait(timeout=30)
    assert _kernels_gone(marker, 30) == []


NOT_NOTEBOOKS = {
    "list": ("[1, 2]", "its JSON is not an object with cells"),
    "no-cells": (json.dumps({"nbformat": 4, "nbformat_minor": 2, "metadata": {}}), "cells"),
    "cells-mapping": (json.dumps({"nbformat": 4, "nbformat_minor": 2, "metadata": {},
                                  "cells": {"a": 1}}), ""),
    "cell-without-source": (json.dumps({"nbformat": 4, "nbformat_minor": 2, "metadata": {},
                                        "cells": [{"cell_type": "code", "metadata": {},
                                                   "outputs": [], "execution_count": None}]}),
                            "'source' is a required property"),
    "not-json": ("{cells: ", "not JSON: Expecting property name"),
    "empty": ("", "not JSON: Expecting value: line 1 column 1"),
}


@pytest.mark.parametrize("case", list(NOT_NOTEBOOKS))
def test_a_file_that_is_no_notebook_is_one_line(tmp_path, capsys, case):
    text, reason = NOT_NOTEBOOKS[case]
    path = tmp_path / "bad.ipynb"
    path.write_text(text)
    assert main(["chapter", str(path)]) == 2
    captured = capsys.readouterr()
    err = captured.err
    assert err.startswith(f"gluon-rnn: error: {path} is not a Jupyter notebook gluon-rnn can "
                          "run (") and err.count("\n") == 1, err
    assert reason in err and captured.out == ""
    assert not (tmp_path / "bad.executed.ipynb").exists()


def test_a_notebook_in_another_language_is_refused(tmp_path, capsys):
    path = _notebook(tmp_path / "r.ipynb", "print(1)",
                     kernelspec={"name": "ir", "language": "R", "display_name": "R"})
    assert main(["chapter", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"gluon-rnn: error: {path} is a notebook in R; gluon-rnn runs the books' Python "
        "notebooks, in a Python kernel\n")


@pytest.mark.parametrize("argv, message", [
    (["--timeout", "5", "{dir}/s.py"], "--timeout bounds each cell of a notebook"),
    (["--timeout", "0", "{dir}/n.ipynb"], "argument --timeout: must be a positive number, got 0"),
    (["--timeout", "nan", "{dir}/n.ipynb"], "argument --timeout: must be a positive number, "
                                            "got nan"),
])
def test_timeout_options_that_do_not_fit_are_refused(tmp_path, capsys, argv, message):
    (tmp_path / "s.py").write_text("print('ran')\n")
    _notebook(tmp_path / "n.ipynb", "print('ran')")
    try:
        code = main(["chapter", *[a.format(dir=tmp_path) for a in argv]])
    except SystemExit as stop:  # the parser's own refusal
        code = stop.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), "5"])
def test_run_chapter_refuses_a_timeout_that_is_no_number_of_seconds(tmp_path, timeout):
    from gluon_rnn.books.chapter import run_chapter

    path = _notebook(tmp_path / "n.ipynb", "print('ran')")
    with pytest.raises(ValueError, match="--timeout must be a number of seconds above 0"):
        run_chapter(path, timeout=timeout)
