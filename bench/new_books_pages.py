"""Tokens per second of the 2020+ books' recurrent pages, d2l 0.17.6 (d2l-en 0.15-0.17 and
the Chinese 2nd edition): *RNN from Scratch* (512 hidden; its own ``rnn`` and loop) and
*Concise Implementation* (Gluon's ``rnn.RNN(256)`` in ``d2l.RNNModel`` through
``d2l.train_ch8``), unmodified but for the number of epochs.

    python bench/new_books_pages.py [--epochs N] [--repeats R] [--loads 0,1,2]

The peer is how a reader runs the page: its MXNet cells in IPython (the engine of
Jupyter's kernel) with the published ``d2l==0.17.6`` (``.venv/oracles``) and MXNet's
defaults; ours is ``gluon-rnn chapter PAGE.md``. Both run from a chapter folder beside
``data/timemachine.txt``. The figure is the speed ``train_ch8`` itself prints for its last
epoch (the scratch page trains twice: both count), the best of ``--repeats`` runs, the two
commands in turn under each load.

Targets: scratch >= 1.5x idle and >= 1.0x busy; concise >= 2x.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from _harness import ROOT, add_load_argument, competing, loads, python, result, run_child

FIXTURES = ROOT / "tests" / "fixtures" / "d2l0176"
ORACLE = ROOT / ".venv" / "oracles" / "d2l-0.17.6"
SPEED = re.compile(r"perplexity [0-9.]+, ([0-9.]+) tokens/sec on ")
PAGES = {  # page: the sizes the book uses (the test fixture cuts them)
    "rnn-scratch": [("num_hiddens = 32", "num_hiddens = 512")],
    "rnn-concise": [("num_hiddens = 32", "num_hiddens = 256")],
}
TARGETS = {"rnn-scratch": (1.5, 1.0), "rnn-concise": (2.0, 2.0)}  # (idle, busy)


def write_page(folder: Path, name: str, epochs: int) -> tuple:
    """The page (``.md``, for ours) and its MXNet cells as an IPython script (the peer)."""
    sys.path.insert(0, str(ROOT))
    from gluon_rnn.books.pages import page_cells

    text = (FIXTURES / f"{name}.md").read_text(encoding="utf-8")
    for old, new in PAGES[name] + [("num_epochs, lr = 3, 1", f"num_epochs, lr = {epochs}, 1")]:
        text = text.replace(old, new)
    page = folder / "chapter" / f"{name}.md"
    page.write_text(text, encoding="utf-8")
    prelude = "import gluon_rnn.mxnet_compat as c; c.prepare_mxnet()\n" \
        if sys.version_info >= (3, 12) else ""  # MXNet 1.9.1 on 3.12+ (no effect on speed)
    script = page.with_suffix(".ipy")
    script.write_text(prelude + "\n".join(code for _, code in page_cells(text)), encoding="utf-8")
    return page, script


def speeds(stdout: str) -> list:
    found = [float(m.group(1)) for m in map(SPEED.search, stdout.splitlines()) if m]
    if not found:
        raise RuntimeError(f"no speed line in:\n{stdout}")
    return found


def measure(page: Path, script: Path, repeats: int) -> tuple:
    """(peer, ours): the best tokens/s of each (the mean of a page's training runs)."""
    peer_env = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "GLUON_RNN"))}
    peer_env.update(PYTHONPATH=str(ORACLE), MPLBACKEND="Agg")
    commands = {"peer": ([python(), "-m", "IPython", "--no-banner", "--quick", str(script)],
                         peer_env),
                "ours": ([python(), "-m", "gluon_rnn", "chapter", str(page)], None)}
    best = {name: 0.0 for name in commands}
    for _ in range(repeats):  # in turn, so a slow spell of the machine hits both
        for name, (argv, env) in commands.items():
            found = speeds(run_child(argv, env=env, cwd=page.parent))
            best[name] = max(best[name], sum(found) / len(found))
    return best["peer"], best["ours"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="epochs per training run")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each (the best counts)")
    add_load_argument(parser)
    args = parser.parse_args()
    if not (ORACLE / "d2l" / "mxnet.py").is_file():
        sys.exit(f"the d2l==0.17.6 oracle is not installed in {ORACLE}: run `make test` first")
    from gluon_rnn.data.resolve import resolve

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "data").mkdir()
        (folder / "chapter").mkdir()
        shutil.copy(resolve("timemachine.txt"), folder / "data" / "timemachine.txt")
        pages = {name: write_page(folder, name, args.epochs) for name in PAGES}
        for load, processes in loads(args.loads):
            for name, (page, script) in pages.items():
                with competing(processes):
                    peer, ours = measure(page, script, args.repeats)
                target = TARGETS[name][0 if processes == 0 else 1]
                print(f"{load:>18} {name:>11}: d2l==0.17.6 {peer:,.0f} tokens/s, gluon-rnn "
                      f"chapter {ours:,.0f} tokens/s (x{ours / peer:.2f})", flush=True)
                # result() takes times (lower is better): seconds per million tokens
                result(f"d2l 0.17.6 page {name}.md, unmodified", 1e6 / ours, 1e6 / peer,
                       "s/Mtoken", "the same page in IPython on d2l==0.17.6",
                       f">= {target:g}x", ours / peer >= target, load=load)


if __name__ == "__main__":
    sys.exit(main())
