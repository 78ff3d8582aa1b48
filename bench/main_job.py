"""Wall time of the main job (``make run`` = ``gluon-rnn compare`` with its defaults:
train on The Time Machine, random against consecutive partitioning), idle and with
one competing CPU-bound process.

    python bench/main_job.py [--epochs N]

Target: with one competing process, within 2x of the idle time of the same run.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time

from _harness import competing, python, result, run_child


def wall(epochs: int) -> float:
    with tempfile.TemporaryDirectory() as out:
        argv = [python(), "-m", "gluon_rnn", "compare", "--no-progress", "--out", out]
        if epochs:
            argv += ["--epochs", str(epochs)]
        start = time.perf_counter()
        run_child(argv)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=0, help="0: the command's default")
    args = parser.parse_args()
    idle = wall(args.epochs)
    with competing(1):
        busy = wall(args.epochs)
    epochs = "default epochs" if not args.epochs else f"{args.epochs} epochs"
    print(f"gluon-rnn compare ({epochs}): "
          f"idle {idle:.0f} s, with one competing process {busy:.0f} s (x{busy / idle:.2f})")
    result("make run (gluon-rnn compare, defaults), wall time", busy, idle, "s",
           "the same run on an idle machine", "busy within 2x of idle", busy <= 2 * idle,
           load="busy: 1 process")


if __name__ == "__main__":
    sys.exit(main())
