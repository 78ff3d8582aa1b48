"""Issue 30's ratios on a quiet machine, one a line: ``x<ours against the peer> <path>``.

    python bench/quiet_ratios.py [--repeats R]

Runs, idle only (no competitors; run it when nothing else does), the scripts that
measure the reader's step as one cached graph: the chapter 8.5 script
(``chapter_epoch.py``), the 2020+ pages *RNN from Scratch*, *Concise Implementation*
and *Gated Recurrent Units* (``new_books_pages.py``) and chapter 8.8/8.9 through d2l's
loop (``traced_step.py``), each against its published helper in the same run; then
prints the machine's CPU and each ratio with its target, best of ``--repeats`` runs of
each side. The full tables, idle and busy, are ``make bench``'s (``run_all.py``).
"""
from __future__ import annotations

import argparse
import json
import sys

from _harness import RESULT_PREFIX, ROOT, python, run_child
from run_all import machine

RUNS = [  # (script, its arguments)
    ("chapter_epoch.py", ["--epochs", "10"]),
    ("new_books_pages.py", ["--pages", "rnn-scratch", "rnn-concise", "gru"]),
    ("traced_step.py", []),
]


def ratios(script: str, arguments: list, repeats: int) -> list:
    """The RESULT rows ``script`` prints, run idle with ``repeats``."""
    stdout = run_child([python(), str(ROOT / "bench" / script), *arguments, "--loads", "0",
                        "--repeats", str(repeats)])
    return [json.loads(line[len(RESULT_PREFIX):]) for line in stdout.splitlines()
            if line.startswith(RESULT_PREFIX)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each (the best counts)")
    args = parser.parse_args()
    print(machine(), flush=True)
    for script, arguments in RUNS:
        for row in ratios(script, arguments, args.repeats):
            met = "" if row["met"] is None else ", met" if row["met"] else ", NOT met"
            print(f"x{row['ratio']:.2f}  {row['path']}  (target {row['target']}{met})",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
