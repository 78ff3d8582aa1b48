"""Seconds per epoch of the unmodified d2l 8.5 chapter script (its own ``rnn``, its own
training loop; 512 hidden, 64 steps, batch 32): ``python script.py`` on the published
d2l==0.9.2 (the peer) against ``gluon-rnn chapter script.py`` on d2l_compat, in the same
environment.

    python bench/chapter_epoch.py [--epochs N] [--repeats R]

The script is the test fixture ``tests/fixtures/chapter_8_5.py`` with ``num_epochs``
set to N and its reporting period to N / 2 (nothing else changed); it runs from a
chapter folder beside ``data/timemachine.txt``, where d2l 0.9.2 looks for it. The
seconds per epoch are those the script itself prints for its second reporting
period (the first includes warm-up), for random and consecutive partitioning; the
two commands run in turn ``--repeats`` times and each one's best run counts, under
each load of ``--loads`` (idle, one competing process, one per core).

Targets: >= 1.5x idle; busy, at least as fast as the peer under the same load.
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

FIXTURE = ROOT / "tests" / "fixtures" / "chapter_8_5.py"


def shortened_script(folder: Path, epochs: int) -> Path:
    text = FIXTURE.read_text()
    text = text.replace("= 500, 64, 32, 1, 1", f"= {epochs}, 64, 32, 1, 1")
    text = text.replace("(epoch + 1) % 50 == 0", f"(epoch + 1) % {epochs // 2} == 0")
    text = text.replace("(epoch + 1) % 100 == 0", "False")
    script = book_folder(folder) / "rnn_scratch.py"
    script.write_text(text)
    return script


def seconds_per_epoch(stdout: str, epochs: int) -> dict:
    """The second reporting period's time of each of the script's two runs."""
    times = epoch_seconds(stdout, 4)
    period = epochs // 2
    return {"random": times[1] / period, "consecutive": times[3] / period}


def measure(script: Path, epochs: int, repeats: int) -> tuple:
    """(peer, ours): the best seconds per epoch of each, by partitioning."""
    # the peer: the published d2l==0.9.2, which make test installs in .venv/oracles
    peer_env = dict(os.environ, PYTHONPATH=str(ROOT / ".venv" / "oracles" / "d2l-0.9.2"))
    commands = {"peer": ([python()], peer_env),
                "ours": ([python(), "-m", "gluon_rnn", "chapter"], None)}
    runs: dict = {name: [] for name in commands}
    for _ in range(repeats):  # in turn, so a slow spell of the machine hits both
        for name, (command, env) in commands.items():
            runs[name].append(seconds_per_epoch(
                run_child([*command, str(script)], env=env, cwd=script.parent), epochs))
    return tuple({mode: min(run[mode] for run in runs[name]) for mode in ("random", "consecutive")}
                 for name in ("peer", "ours"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="epochs per run (even)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each (the best counts)")
    add_load_argument(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        script = shortened_script(Path(tmp), args.epochs)
        for load, processes in loads(args.loads):
            with competing(processes):
                peer, ours = measure(script, args.epochs, args.repeats)
            target = 1.5 if processes == 0 else 1.0
            for name in ("random", "consecutive"):
                print(f"{load:>18} {name:>11}: d2l==0.9.2 {peer[name]:.3f} s/epoch, "
                      f"gluon-rnn chapter {ours[name]:.3f} s/epoch", flush=True)
                result(f"chapter 8.5 script, unmodified ({name})", ours[name], peer[name],
                       "s/epoch", "the same script on d2l==0.9.2", f">= {target:g}x",
                       peer[name] / ours[name] >= target, load=load)


if __name__ == "__main__":
    sys.exit(main())
