"""Seconds per epoch of the d2l chapters that hand the reader's own cell to the book's
``d2l.train_and_predict_rnn`` (8.8's ``gru``, 8.9's ``lstm``; 256 hidden, 35 steps, batch
32, consecutive partitioning): ``python script.py`` on the published d2l==0.9.2 (the peer)
against ``gluon-rnn chapter script.py`` with the step as one cached graph (issue 30) and
with ``GLUON_RNN_TRACE=0`` (the same loop, imperative), in the same environment, in turn.

    python bench/traced_step.py [--epochs N] [--repeats R] [--loads 0,1]

The scripts are the test fixtures ``tests/fixtures/chapter_8_8_gru.py`` and
``chapter_8_9_lstm.py`` up to their scratch model's training, with ``num_epochs`` set
to N (nothing else changed), run from a chapter folder beside ``data/timemachine.txt``.
The seconds are what the book's loop prints for its second reporting period (the first
includes warm-up and, for ours, the tracing and its check). Each command's best run
counts. The printed lines agree (times aside): the tests prove the traced and imperative
steps give the same bits (tests/test_traced.py).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from _harness import (
    ROOT,
    add_load_argument,
    book_folder,
    competing,
    epoch_seconds,
    loads,
    python,
    result,
    run_child,
)

FIXTURES = {"gru": ROOT / "tests" / "fixtures" / "chapter_8_8_gru.py",
            "lstm": ROOT / "tests" / "fixtures" / "chapter_8_9_lstm.py"}


def shortened_script(folder: Path, cell: str, epochs: int) -> Path:
    """The chapter up to its scratch model's training, ``epochs`` long (d2l 0.9.2 prints
    every ``epochs // 4`` epochs)."""
    text = FIXTURES[cell].read_text()
    text = text[:text.index(f"{cell}_layer = rnn.")]
    text = text.replace("= 160, 35, 32, 1e2, 1e-2", f"= {epochs}, 35, 32, 1e2, 1e-2")
    script = book_folder(folder / cell) / f"{cell}.py"
    script.write_text(text)
    return script


def seconds_per_epoch(stdout: str, epochs: int) -> float:
    """The second reporting period's seconds per epoch."""
    return epoch_seconds(stdout, 4)[1] / (epochs // 4)


def measure(script: Path, epochs: int, repeats: int) -> dict:
    peer_env = dict(os.environ, PYTHONPATH=str(ROOT / ".venv" / "oracles" / "d2l-0.9.2"))
    commands = {"peer": ([python()], peer_env),
                "traced": ([python(), "-m", "gluon_rnn", "chapter"], dict(os.environ)),
                "imperative": ([python(), "-m", "gluon_rnn", "chapter"],
                               dict(os.environ, GLUON_RNN_TRACE="0"))}
    runs: dict = {name: [] for name in commands}
    for _ in range(repeats):  # in turn, so a slow spell of the machine hits all three
        for name, (command, env) in commands.items():
            runs[name].append(seconds_per_epoch(
                run_child([*command, str(script)], env=env, cwd=script.parent), epochs))
    return {name: min(times) for name, times in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8, help="epochs per run (a multiple of 4)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each (the best counts)")
    add_load_argument(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for cell in FIXTURES:
            script = shortened_script(Path(tmp), cell, args.epochs)
            for load, processes in loads(args.loads):
                with competing(processes):
                    best = measure(script, args.epochs, args.repeats)
                print(f"{load:>18} {cell:>5}: d2l==0.9.2 {best['peer']:.3f} s/epoch, traced "
                      f"{best['traced']:.3f}, imperative {best['imperative']:.3f} "
                      f"(traced x{best['imperative'] / best['traced']:.2f} of imperative)",
                      flush=True)
                result(f"d2l.train_and_predict_rnn with the chapter's {cell}, traced",
                       best["traced"], best["peer"], "s/epoch", "the same script on d2l==0.9.2",
                       "faster", best["peer"] > best["traced"], load=load)


if __name__ == "__main__":
    sys.exit(main())
