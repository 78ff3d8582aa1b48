"""Shared by the bench scripts: running a measurement in a child process (each with
the BLAS environment it would have in real use), the machine loads every path is
measured under (:data:`LOADS`, :func:`competing`), and the result lines that
``bench/run_all.py`` collects into ``bench/RESULTS.md``."""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[1]
RESULT_PREFIX = "RESULT "
# the line d2l 0.9.2's train_and_predict_rnn (and a chapter's copy of it) prints per period
EPOCH_LINE = re.compile(r"^epoch (\d+), perplexity [0-9.]+, time ([0-9.]+) sec$")


def epoch_seconds(stdout: str, count: int) -> List[float]:
    """The seconds on the ``count`` epoch lines of ``stdout`` (an error showing it otherwise)."""
    times = [float(m.group(2)) for m in map(EPOCH_LINE.match, stdout.splitlines()) if m]
    if len(times) != count:
        raise RuntimeError(f"expected {count} epoch lines, got:\n{stdout}")
    return times


def book_folder(folder: Path, data: Sequence[str] = ("timemachine.txt",)) -> Path:
    """``folder`` laid out as the books' chapters run: ``data/`` holding the files ``data``
    (found by gluon-rnn's resolver) and ``chapter/``, which is returned."""
    from gluon_rnn.data.resolve import resolve

    (folder / "data").mkdir(parents=True)
    for name in data:
        shutil.copy(resolve(name), folder / "data" / name)
    chapter = folder / "chapter"
    chapter.mkdir()
    return chapter


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


def cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# (name, competing busy processes): a reader's laptop is rarely idle (a browser, a
# kernel, a second run); one busy process, then one per core.
LOADS: List[Tuple[str, int]] = [("idle", 0), ("busy: 1 process", 1),
                                (f"busy: {cores()} processes", cores())]

_BUSY = "import signal, sys\nsignal.alarm(int(sys.argv[1]))\nwhile True:\n    pass\n"


@contextlib.contextmanager
def competing(processes: int, seconds: int = 1800) -> Iterator[None]:
    """``processes`` CPU-bound competitors (pure Python loops) for the block's length;
    each also ends itself after ``seconds`` (SIGALRM), so none outlives a killed bench."""
    busy = [subprocess.Popen([sys.executable, "-c", _BUSY, str(seconds)]) for _ in range(processes)]
    try:
        yield
    finally:
        for proc in busy:
            proc.kill()
        for proc in busy:
            proc.wait()


def add_load_argument(parser) -> None:
    parser.add_argument("--loads", default=",".join(str(n) for _, n in LOADS),
                        help="competing processes for each condition, comma-separated "
                             "(0 = idle)")


def loads(spec: str) -> List[Tuple[str, int]]:
    """The conditions ``--loads`` names, as (name, processes)."""
    names = dict((n, name) for name, n in LOADS)
    return [(names.get(n, f"busy: {n} processes"), n) for n in map(int, spec.split(","))]


def result(path: str, ours: float, peer: float, unit: str, peer_name: str, target: str,
           met: Optional[bool], note: str = "", load: str = "idle") -> None:
    """Print one result line: ``ours`` and ``peer`` in ``unit`` (lower is better),
    the speed-up ``peer / ours``, the target and whether it is met, under ``load``."""
    row = {"path": path, "load": load, "ours": ours, "peer": peer, "unit": unit,
           "peer_name": peer_name, "ratio": peer / ours if ours else float("inf"),
           "target": target, "met": None if met is None else bool(met), "note": note}
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
