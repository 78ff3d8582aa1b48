"""Tokens per second of the books' numpy-interface recurrent pages against their published
helpers: d2l 0.17.6 (d2l-en 0.15-0.17 and the Chinese 2nd edition) *RNN from Scratch* (512
hidden; its own ``rnn`` and loop), *Concise Implementation* (Gluon's ``rnn.RNN(256)`` in
``d2l.RNNModel`` through ``d2l.train_ch8``) and *Sequence to Sequence Learning* (the GRU
encoder-decoder through ``d2l.train_seq2seq``), *Gated Recurrent Units* (the page's own
``gru`` in ``d2l.RNNModelScratch`` through ``d2l.train_ch8``, 256 hidden: the speed of that
first training; ``--untraced`` adds ours with the step not traced), and d2l-en v0.7.0's
*RNN from Scratch* (``import d2l``, d2l 0.11.1), unmodified but for the number of epochs.

    python bench/new_books_pages.py [--epochs N] [--repeats R] [--loads 0,1,2] [--pages ...]
                                    [--untraced]

The peer is how a reader runs the page: its MXNet cells in IPython (the engine of
Jupyter's kernel) with the published helper (``.venv/oracles``) and MXNet's defaults; ours
is ``gluon-rnn chapter PAGE.md``. Both run from a chapter folder beside ``data/`` (the Time
Machine, the English-French pairs). The figure is the speed the page's training itself
prints for its last epoch (a page that trains twice: both count), the best of
``--repeats`` runs, the two commands in turn under each load.

Targets: the scratch pages >= 1.5x idle and >= 1.0x busy; concise >= 2x; seq2seq >= 1.0x.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
import tempfile
from pathlib import Path

from _harness import (
    ROOT,
    add_load_argument,
    book_folder,
    competing,
    loads,
    python,
    result,
    run_child,
)

FIXTURES = ROOT / "tests" / "fixtures"
ORACLES = ROOT / ".venv" / "oracles"
SPEED = re.compile(r"(?:perplexity|loss) [0-9.]+, ([0-9.]+) tokens/sec on ", re.I)


@dataclasses.dataclass(frozen=True)
class Page:
    """A page of a release: its fixture, the helper that runs it, the book's sizes (the
    fixture cuts them) and where its epoch count is set."""
    fixtures: str
    name: str
    helper: str  # the oracle's folder, d2l-VERSION
    sizes: tuple
    epochs: tuple  # (the fixture's text, a format of the new one)
    targets: tuple  # (idle, busy)
    peer_setup: str = ""  # run after the page's first cell, on the real helper only
    min_epochs: int = 1  # seq2seq: fewer leave translations its own bleu divides by zero on
    first_run_only: bool = False  # gru: its scratch model's training, not the concise one's

    @property
    def label(self) -> str:
        return f"{self.helper.replace('-', ' ')} page {self.name}.md"


# the real helper's DATA_HUB with the documented copy of fra-eng.zip (data/README.md), which
# ours accepts through the resolver: the published file cannot be fetched here
REGISTER_COPY = ("d2l.DATA_HUB['fra-eng'] = (d2l.DATA_URL + 'fra-eng.zip', "
                 "'73848f36c17cc9c0187a058d6f7f315e68cdd61f')")

PAGES = {
    "rnn-scratch": Page("d2l0176", "rnn-scratch", "d2l-0.17.6",
                        (("num_hiddens = 32", "num_hiddens = 512"),),
                        ("num_epochs, lr = 3, 1", "num_epochs, lr = {}, 1"), (1.5, 1.0)),
    "rnn-concise": Page("d2l0176", "rnn-concise", "d2l-0.17.6",
                        (("num_hiddens = 32", "num_hiddens = 256"),),
                        ("num_epochs, lr = 3, 1", "num_epochs, lr = {}, 1"), (2.0, 2.0)),
    "seq2seq": Page("d2l0176", "seq2seq", "d2l-0.17.6", (),
                    ("lr, num_epochs, device = 0.005, 10,", "lr, num_epochs, device = 0.005, {},"),
                    (1.0, 1.0), REGISTER_COPY, 10),
    "gru": Page("d2l0176", "gru", "d2l-0.17.6",
                (("= len(vocab), 32, d2l.try_gpu()", "= len(vocab), 256, d2l.try_gpu()"),),
                ("num_epochs, lr = 3, 1", "num_epochs, lr = {}, 1"), (1.5, 1.0),
                first_run_only=True),
    "v0.7.0-rnn-scratch": Page("d2l070", "rnn-scratch", "d2l-0.11.1",
                               (("= len(vocab), 32, d2l.try_gpu()",
                                 "= len(vocab), 512, d2l.try_gpu()"),),
                               ("num_epochs, lr = 2, 1", "num_epochs, lr = {}, 1"), (1.5, 1.0)),
}


def write_page(folder: Path, key: str, epochs: int) -> tuple:
    """The page (``.md``, for ours) and its MXNet cells as an IPython script (the peer)."""
    sys.path.insert(0, str(ROOT))
    from gluon_rnn.books.pages import page_cells

    page_of = PAGES[key]
    text = (FIXTURES / page_of.fixtures / f"{page_of.name}.md").read_text(encoding="utf-8")
    old_epochs, new_epochs = page_of.epochs
    epochs = max(epochs, page_of.min_epochs)
    for old, new in page_of.sizes + ((old_epochs, new_epochs.format(epochs)),):
        if old not in text:
            raise RuntimeError(f"{key}: {old!r} is not in the fixture")
        text = text.replace(old, new)
    page = folder / "chapter" / f"{key}.md"
    page.write_text(text, encoding="utf-8")
    prelude = "import gluon_rnn.mxnet_compat as c; c.prepare_mxnet()\n" \
        if sys.version_info >= (3, 12) else ""  # MXNet 1.9.1 on 3.12+ (no effect on speed)
    script = page.with_suffix(".ipy")
    cells = [code for _, code in page_cells(text)]
    cells.insert(1, page_of.peer_setup)
    script.write_text(prelude + "\n".join(cells), encoding="utf-8")
    return page, script


def speeds(stdout: str) -> list:
    found = [float(m.group(1)) for m in map(SPEED.search, stdout.splitlines()) if m]
    if not found:
        raise RuntimeError(f"no speed line in:\n{stdout}")
    return found


def measure(page: Path, script: Path, page_of: Page, repeats: int, untraced: bool) -> dict:
    """The best tokens/s of the peer, ours and (``untraced``) ours with
    ``GLUON_RNN_TRACE=0``: the mean of a page's training runs, or its first."""
    peer_env = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "GLUON_RNN"))}
    peer_env.update(PYTHONPATH=str(ORACLES / page_of.helper), MPLBACKEND="Agg")
    ours = [python(), "-m", "gluon_rnn", "chapter", str(page)]
    commands = {"peer": ([python(), "-m", "IPython", "--no-banner", "--quick", str(script)],
                         peer_env), "ours": (ours, None)}
    if untraced:
        commands["untraced"] = (ours, dict(os.environ, GLUON_RNN_TRACE="0"))
    best = {name: 0.0 for name in commands}
    for _ in range(repeats):  # in turn, so a slow spell of the machine hits both
        for name, (argv, env) in commands.items():
            found = speeds(run_child(argv, env=env, cwd=page.parent))
            found = found[:1] if page_of.first_run_only else found
            best[name] = max(best[name], sum(found) / len(found))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="epochs per training run")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each (the best counts)")
    parser.add_argument("--pages", nargs="+", choices=tuple(PAGES), default=tuple(PAGES))
    parser.add_argument("--untraced", action="store_true",
                        help="also run ours with GLUON_RNN_TRACE=0 (the step not traced)")
    add_load_argument(parser)
    args = parser.parse_args()
    for key in args.pages:
        if not (ORACLES / PAGES[key].helper / "d2l").is_dir():
            sys.exit(f"the {PAGES[key].helper} oracle is not in {ORACLES}: run `make test` first")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        book_folder(folder, ("timemachine.txt", "fra-eng.zip"))
        pages = {key: write_page(folder, key, args.epochs) for key in args.pages}
        for load, processes in loads(args.loads):
            for key, (page, script) in pages.items():
                page_of = PAGES[key]
                with competing(processes):
                    best = measure(page, script, page_of, args.repeats, args.untraced)
                peer, ours = best["peer"], best["ours"]
                target = page_of.targets[0 if processes == 0 else 1]
                release = page_of.helper.replace("-", "==")
                untraced = f", untraced {best['untraced']:,.0f} (x{best['untraced'] / peer:.2f})" \
                    if "untraced" in best else ""
                print(f"{load:>18} {key:>18}: {release} {peer:,.0f} tokens/s, gluon-rnn "
                      f"chapter {ours:,.0f} tokens/s (x{ours / peer:.2f}){untraced}", flush=True)
                # result() takes times (lower is better): seconds per million tokens
                result(f"{page_of.label}, unmodified", 1e6 / ours, 1e6 / peer, "s/Mtoken",
                       f"the same page in IPython on {release}", f">= {target:g}x",
                       ours / peer >= target, load=load)


if __name__ == "__main__":
    sys.exit(main())
