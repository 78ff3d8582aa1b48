"""Seconds for The Straight Dope's ``simple-rnn`` notebook (chapter 5, written for
``mx.gpu(0)`` and MXNet 0.11) run unmodified through ``gluon-rnn chapter``, against the
same notebook in a stock Jupyter kernel on the real MXNet 1.9.1, with the context set
to the CPU and 0.11's reshape to a smaller size written out as a slice (the issue-29
differential test's oracle), MXNet's defaults.

    python bench/straight_dope_notebook.py [--epochs N] [--repeats R] [--loads 0,1,2]

Both run from the repository's layout (``chapter05_recurrent-neural-networks/`` beside
``data/nlp/``, the whole text), the notebook's code cells with its 2,000 epochs cut to
``--epochs``; the figure is the wall time of the whole execution (kernel start included,
as a reader waits for it), the best of ``--repeats``, the two in turn under each load.

Target: ours at least as fast as the oracle (>= 1.0x), idle and busy.
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

from _harness import ROOT, add_load_argument, competing, loads, python, result, run_child

FIXTURE = ROOT / "tests" / "fixtures" / "straight_dope" / "simple-rnn.ipynb"
CHAPTER = "chapter05_recurrent-neural-networks"
_ORACLE = """
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, kernel_name='python3', timeout=None,
               resources={'metadata': {'path': sys.argv[2]}}).execute()
"""


def write_notebooks(chapter: Path, epochs: int) -> tuple:
    """(ours, the oracle's): the fixture at ``epochs`` and the book's sizes; the oracle's
    on the CPU with the reshape as a slice, as the differential test writes it."""
    import nbformat

    notebook = nbformat.read(str(FIXTURE), as_version=4)
    for cell in notebook.cells:
        cell.source = cell.source.replace("epochs = 1\n", f"epochs = {epochs}\n") \
            .replace("num_hidden = 32", "num_hidden = 256") \
            .replace(", 64, temperature=.1)", ", 1024, temperature=.1)")  # the book's sizes
    ours = chapter / "simple-rnn.ipynb"
    nbformat.write(notebook, str(ours))
    prelude = "import gluon_rnn.mxnet_compat as c\nc.prepare_mxnet()" \
        if sys.version_info >= (3, 12) else ""  # MXNet 1.9.1 on 3.12+ (no effect on speed)
    for cell in notebook.cells:
        cell.source = re.sub(r"labels\.reshape\(\((\w+), (\w+), (\w+), (\w+)\)\)",
                             r"labels.reshape((-1,))[:\1 * \2 * \3 * \4].reshape((\1, \2, \3, \4))",
                             re.sub(r"mx\.gpu\(\d*\)", "mx.cpu()", cell.source))
    notebook.cells.insert(0, nbformat.v4.new_code_cell(prelude))
    oracle = chapter / "simple-rnn-oracle.ipynb"
    nbformat.write(notebook, str(oracle))
    return ours, oracle


def timed(argv, cwd: Path) -> float:
    start = time.perf_counter()
    run_child(argv, cwd=cwd)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2, help="epochs of the notebook's loop")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each (the best counts)")
    add_load_argument(parser)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from gluon_rnn.data.layout import lay_out
    from gluon_rnn.tutorials.straight_dope.layout import STRAIGHT_DOPE_LAYOUT

    with tempfile.TemporaryDirectory() as tmp:
        lay_out(tmp, STRAIGHT_DOPE_LAYOUT)
        chapter = Path(tmp) / CHAPTER
        chapter.mkdir()
        ours, oracle = write_notebooks(chapter, args.epochs)
        commands = {"ours": [python(), "-m", "gluon_rnn", "chapter", str(ours)],
                    "peer": [python(), "-c", _ORACLE, str(oracle), str(chapter)]}
        for load, processes in loads(args.loads):
            best = {name: float("inf") for name in commands}
            with competing(processes):
                for _ in range(args.repeats):  # in turn: a slow spell hits both
                    for name, argv in commands.items():
                        best[name] = min(best[name], timed(argv, chapter))
            print(f"{load:>18}: MXNet 1.9.1 on the CPU {best['peer']:.1f} s, gluon-rnn chapter "
                  f"{best['ours']:.1f} s (x{best['peer'] / best['ours']:.2f})", flush=True)
            result("Straight Dope notebook simple-rnn.ipynb, unmodified", best["ours"],
                   best["peer"], "s", "the notebook in a stock kernel, mx.cpu(), slice",
                   ">= 1x", best["ours"] <= best["peer"], load=load)


if __name__ == "__main__":
    sys.exit(main())
