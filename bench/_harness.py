"""Shared by the bench scripts: running a measurement in a child process (each with
the BLAS environment it would have in real use), and the result lines that
``bench/run_all.py`` collects into ``bench/RESULTS.md``."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable, Optional, Sequence

ROOT = Path(__file__).resolve().parents[1]
RESULT_PREFIX = "RESULT "


def run_child(argv: Sequence[str], env: Optional[dict] = None, cwd: Optional[Path] = None) -> str:
    """Run ``argv`` with this interpreter's environment (or ``env``); return its stdout,
    raising with its stderr when it fails."""
    proc = subprocess.run(list(argv), capture_output=True, text=True, cwd=cwd,
                          env=env if env is not None else dict(os.environ))
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} failed ({proc.returncode}):\n{proc.stderr}")
    return proc.stdout


def last_json(stdout: str) -> dict:
    """The last line of a child's output, parsed as JSON."""
    return json.loads(stdout.strip().splitlines()[-1])


def result(path: str, ours: float, peer: float, unit: str, peer_name: str, target: str,
           met: Optional[bool], note: str = "") -> None:
    """Print one result line: ``ours`` and ``peer`` in ``unit`` (lower is better),
    the speed-up ``peer / ours``, the target and whether it is met."""
    row = {"path": path, "ours": ours, "peer": peer, "unit": unit, "peer_name": peer_name,
           "ratio": peer / ours if ours else float("inf"), "target": target,
           "met": None if met is None else bool(met),
           "note": note}
    print(RESULT_PREFIX + json.dumps(row), flush=True)


def best_of(measure: Callable[[], float], repeats: int) -> float:
    """The smallest of ``repeats`` calls of ``measure`` (a time). These VMs share their
    cores with neighbours: a block that a neighbour slowed is the outlier, never the
    fastest one, so every figure here (ours and the peer's alike) is a best block."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    return min(measure() for _ in range(repeats))


def python() -> str:
    return sys.executable
