"""The numpy computation-graph BPTT port's two BPTT variants on real reddit sentences:
the tutorial's truncated double loop against the single backward pass (its delta(t)
recursion), one process, same parameters; also checks they agree when truncation
covers the sentence.

    python bench/gates_bptt.py [--sentences N] [--word-dim C] [--loads 0,1,2]

Both variants are numpy (the same BLAS), timed in turn under each load.
"""
from __future__ import annotations

import argparse
import time

from gluon_rnn.blas import configure_blas

configure_blas()  # before numpy and mxnet load: one thread each, as the CLI runs the tutorial

import numpy as np  # noqa: E402
from _harness import add_load_argument, competing, loads, result  # noqa: E402

from gluon_rnn.tutorials.gates import Model  # noqa: E402
from gluon_rnn.tutorials.wildml.pipeline import load_word_data  # noqa: E402


def ms_per_bptt(model, X, Y) -> float:
    start = time.perf_counter()
    for x, y in zip(X, Y):
        model.bptt(x, y)
    return (time.perf_counter() - start) / len(X) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=20)
    parser.add_argument("--word-dim", type=int, default=2000)
    add_load_argument(parser)
    args = parser.parse_args()
    words = load_word_data(vocabulary_size=args.word_dim)
    X, Y = words.X_train[:args.sentences], words.y_train[:args.sentences]
    double = Model(words.vocabulary_size, 100, bptt_truncate=1000, seed=10)
    single = Model(words.vocabulary_size, 100, bptt_truncate=1000, bptt_mode="single_pass", seed=10)
    worst = max(np.abs(a - b).max() / (np.abs(a).max() or 1)
                for a, b in zip(double.bptt(X[0], Y[0]), single.bptt(X[0], Y[0])))
    print(f"{len(X)} sentences (mean length {np.mean([len(x) for x in X]):.1f}), "
          f"word_dim {words.vocabulary_size}, hidden 100; variants agree to {worst:.1e} (relative)")
    truncated = Model(words.vocabulary_size, 100, 4, seed=10)
    for load, processes in loads(args.loads):
        with competing(processes):
            double_ms, single_ms = ms_per_bptt(double, X, Y), ms_per_bptt(single, X, Y)
            truncated_ms = ms_per_bptt(truncated, X, Y)
        print(f"-- {load}")
        print(f"double loop, full BPTT      {double_ms:8.1f} ms/sentence")
        print(f"double loop, bptt_truncate=4 {truncated_ms:7.1f} ms/sentence")
        print(f"single pass (full BPTT)     {single_ms:8.1f} ms/sentence")
        print(f"single pass vs double loop (full): x{double_ms / single_ms:.2f}; "
              f"vs double loop truncated at 4: x{truncated_ms / single_ms:.2f}", flush=True)
        result("numpy BPTT port: single-pass BPTT", single_ms, double_ms, "ms/sentence",
               "the tutorial's double loop (full BPTT)", ">= 5x", double_ms / single_ms >= 5,
               load=load)


if __name__ == "__main__":
    main()
