"""Without ../shared and offline, the data-dependent tests are skipped with the reason;
the others still run and pass."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_missing_data_skips_with_the_reason(tmp_path):
    copy = tmp_path / "project" / "tests"  # no ../shared beside this copy
    shutil.copytree(TESTS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items()
           if k not in ("GLUON_RNN_DATA", "GLUON_RNN_OFFLINE", "GLUON_RNN_CACHE")}
    env["GLUON_RNN_CACHE"] = str(tmp_path / "empty-cache")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                           str(copy / "test_corpora.py"), str(copy / "test_vocab.py"),
                           str(copy / "test_text.py")],
                          capture_output=True, text=True, timeout=300, env=env,
                          cwd=tmp_path / "project")
    summary = done.stdout.strip().splitlines()[-1]
    assert done.returncode == 0, done.stdout[-3000:]
    assert " skipped" in summary and "failed" not in summary and "error" not in summary
    assert "data file timemachine.txt is missing; set GLUON_RNN_DATA" in done.stdout
    assert int(summary.split(" passed")[0].split()[-1]) >= 20  # resolver and vocab tests ran
