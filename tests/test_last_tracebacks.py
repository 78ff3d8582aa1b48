"""The last tracebacks (issue 33, class 4): what a reader can type that ended in a
traceback of ours ends in one line, or in the work done."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import require_data
from gluon_rnn.cli import main


@pytest.mark.parametrize("pattern", ["{epoch[0]}.npz", "{epoch.real.x}.npz", "{0}.npz",
                                     "{epoch:q}.npz"])
def test_a_snapshot_pattern_that_cannot_be_filled_is_one_line(tmp_path, capsys, pattern):
    assert main(["rnnlm", "train", "--snapshot", str(tmp_path / pattern), "--out",
                 str(tmp_path / "m.npz")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--snapshot" in err and "Traceback" not in err, err


def test_a_terminal_that_cannot_show_the_table_keeps_the_comparison(tmp_path):
    """The table's ± (with several seeds) in an ASCII terminal: the files are written
    first and the table is printed with replacements."""
    require_data("timemachine.txt")
    out = tmp_path / "cmp"
    done = subprocess.run([sys.executable, "-m", "gluon_rnn", "compare", "--epochs", "1",
                           "--num-examples", "1200", "--num-hiddens", "8", "--num-steps", "5",
                           "--batch-size", "4", "--runs", "2", "--no-progress", "--out",
                           str(out)], capture_output=True, timeout=300,
                          env=dict(os.environ, PYTHONIOENCODING="ascii"))
    assert done.returncode == 0, done.stderr.decode()
    assert (out / "compare.csv").stat().st_size and (out / "compare.png").stat().st_size
    assert b"?" in done.stdout and b"Traceback" not in done.stderr
