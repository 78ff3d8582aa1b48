"""The benchmarks stay runnable (no timing is asserted here: that is `make bench`'s):
every name a script takes from gluon_rnn exists, and `make bench` says how long it takes
and stops cleanly on Ctrl-C."""
from __future__ import annotations

import ast
import importlib
import os
import signal
import subprocess
import sys

import pytest

from conftest import ROOT, child_processes, wait_until

BENCH = ROOT / "bench"


@pytest.mark.parametrize("script", sorted(p.name for p in BENCH.glob("*.py")))
def test_every_gluon_rnn_name_a_benchmark_imports_exists(script):
    tree = ast.parse((BENCH / script).read_text())
    missing = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gluon_rnn"):
            module = importlib.import_module(node.module)
            missing += [f"{node.module}.{a.name}" for a in node.names if not hasattr(module, a.name)
                        and importlib.util.find_spec(f"{node.module}.{a.name}") is None]
    assert missing == []


def test_bench_says_how_long_and_stops_cleanly_on_ctrl_c(tmp_path):
    out = tmp_path / "RESULTS.md"
    proc = subprocess.Popen([sys.executable, str(BENCH / "run_all.py"), "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, start_new_session=True)
    first = proc.stdout.readline()  # announced before the first script starts
    wait_until(lambda: child_processes(proc.pid), 60, "the first bench script to start")
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
    stdout, stderr = proc.communicate(timeout=120)
    assert first.startswith("running ") and " minutes" in first and "Ctrl-C stops cleanly" in first
    assert proc.returncode == 130
    assert "Traceback" not in stderr and "interrupted: bench/RESULTS.md" in stderr
    assert not out.exists() and not out.with_suffix(".json").exists()
