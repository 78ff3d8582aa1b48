"""The same seed gives the same numbers whatever the load: `gluon-rnn compare` run idle,
beside a competing process (the thread governor then gives MXNet fewer threads), and on
one or two threads pinned by the user, writes the same CSV but for its timings."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

GLUON_RNN = Path(sys.executable).with_name("gluon-rnn")
TIMINGS = ("seconds", "tokens_per_second")
_COMPETITOR = "import sys, time\nend = time.time() + float(sys.argv[1])\nwhile time.time() < end:\n    pass\n"


def _compare(tmp_path, name: str, **env_changes) -> list:
    """The CSV rows of a short comparison, timings left out."""
    out = tmp_path / name
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "GLUON_RNN_OMP_CHOSEN")}
    env.update(env_changes)
    # make run's sizes, 6 epochs: OpenBLAS's dot would already differ at the second
    done = subprocess.run([str(GLUON_RNN), "compare", "--epochs", "6", "--no-progress",
                           "--out", str(out)], capture_output=True, text=True, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    with open(out / "compare.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 12
    return [{k: v for k, v in row.items() if k not in TIMINGS} for row in rows]


@pytest.mark.requires_data("timemachine.txt")
def test_compare_gives_the_same_numbers_on_one_thread_and_two(tmp_path):
    """The core's products (oneDNN's FullyConnected, the fused RNN) round alike on any
    thread count; OpenBLAS's dot, which the scratch model's output layer used, did not."""
    assert _compare(tmp_path, "one", OMP_NUM_THREADS="1") == \
        _compare(tmp_path, "two", OMP_NUM_THREADS="2")


@pytest.mark.requires_data("timemachine.txt")
def test_compare_gives_the_same_numbers_idle_and_beside_a_competitor(tmp_path):
    idle = _compare(tmp_path, "idle")
    competitor = subprocess.Popen([sys.executable, "-c", _COMPETITOR, "300"])  # bounded: 5 min
    try:
        time.sleep(0.5)
        busy = _compare(tmp_path, "busy")
    finally:
        competitor.kill()
        competitor.wait()
    assert busy == idle
