"""Two MXNet engine workers for book code: the same bits, and is it faster? (issue 30, 2)

    python bench/engine_workers.py [--epochs N] [--repeats R] [--loads 0,1]

Book code keeps one OpenMP thread (the same bits idle and busy); MXNet's engine could
still run independent operators of a minibatch side by side
(``MXNET_CPU_WORKER_NTHREADS=2``), each on one thread, which leaves every result's bits
as they are, if OpenBLAS behaves when two threads call it at once. First the stress:
the chapter's matrix products (32x512x512 and the weight gradients' shapes), forty
independent ones queued at once, repeated, then ``tanh`` of some: the digest of every
result with one worker and with two, in fresh processes (``--stress`` rounds). Then the
speed: the chapter 8.5 script (``chapter_epoch.py``'s shortened fixture) through
``gluon-rnn chapter``, one worker against two, seconds per epoch, under each load.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from _harness import add_load_argument, competing, loads, python, result, run_child
from chapter_epoch import seconds_per_epoch, shortened_script

STRESS = """
import hashlib, sys
import mxnet as mx
from mxnet import nd
mx.random.seed(0)
shapes = [(32, 512, 512), (512, 32, 512), (32, 44, 512), (512, 512, 32), (44, 512, 32)]
A = [nd.random.normal(shape=(m, k)) for m, k, n in shapes]
B = [nd.random.normal(shape=(k, n)) for m, k, n in shapes]
digest = hashlib.sha1()
for _ in range(int(sys.argv[1])):
    outs = [nd.dot(a, b) for _ in range(8) for a, b in zip(A, B)]
    outs += [nd.tanh(o) for o in outs[:10]]
    nd.waitall()
    for o in outs:
        digest.update(o.asnumpy().tobytes())
print(digest.hexdigest())
"""


def workers_env(count: int) -> dict:
    return dict(os.environ, MXNET_CPU_WORKER_NTHREADS=str(count), OMP_NUM_THREADS="1")


def stress(rounds: int) -> bool:
    """Whether one worker and two give the same digest, in ``rounds`` pairs of runs."""
    digests = {run_child([python(), "-c", STRESS, "20"], env=workers_env(count)).strip()
               for _ in range(rounds) for count in (1, 2)}
    return len(digests) == 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="epochs per run (even)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each (the best counts)")
    parser.add_argument("--stress", type=int, default=3, help="pairs of stress runs")
    add_load_argument(parser)
    args = parser.parse_args()
    same = stress(args.stress)
    print(f"stress: one worker and two give {'the same' if same else 'OTHER'} bits", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        script = shortened_script(Path(tmp), args.epochs)
        command = [python(), "-m", "gluon_rnn", "chapter", str(script)]
        for load, processes in loads(args.loads):
            best = {}
            with competing(processes):
                for _ in range(args.repeats):
                    for count in (1, 2):
                        run = seconds_per_epoch(run_child(command, env=workers_env(count),
                                                          cwd=script.parent), args.epochs)
                        best[count] = min(best.get(count, 1e9), run["consecutive"])
            print(f"{load:>18}: one worker {best[1]:.3f} s/epoch, two {best[2]:.3f}", flush=True)
            result("chapter 8.5 script, two engine workers", best[2], best[1], "s/epoch",
                   "one engine worker (the policy)", "faster, the same bits",
                   same and best[2] < best[1], load=load)


if __name__ == "__main__":
    sys.exit(main())
