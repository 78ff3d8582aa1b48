"""Milliseconds per WildML ``sgd_step`` (word_dim 8000, hidden 100, bptt_truncate 4) on
real sentences of the reddit sample: RNNNumpy against RNNSymbolic, in one run.

    python bench/rnnlm_step.py [--steps N]

The sample has fewer than 8000 distinct words, so the vocabulary is the sample's
words and the models are built with word_dim 8000 (the tutorial's size); the extra
rows cost what they would cost with a full vocabulary. Reference figures: the
tutorial's numpy code 88 ms per step here, its Theano graph compiled by pytensor
8.2 ms (float32).
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from mxnet import nd

from gluon_rnn.models.numpy_rnn import RNNNumpy
from gluon_rnn.models.symbolic import RNNSymbolic
from gluon_rnn.text import load_word_data


def ms_per_step(model, X, Y, steps: int) -> float:
    for i in range(5):  # warm-up (graph building, allocations)
        model.sgd_step(X[i], Y[i], 0.005)
    nd.waitall()
    start = time.perf_counter()
    for i in range(steps):
        model.sgd_step(X[i % len(X)], Y[i % len(Y)], 0.005)
    nd.waitall()
    return (time.perf_counter() - start) / steps * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    words = load_word_data(vocabulary_size=8000)
    X, Y = words.X_train, words.y_train
    mean_len = np.mean([len(x) for x in X])
    numpy_ms = ms_per_step(RNNNumpy(8000, 100, 4, seed=10), X, Y, max(args.steps // 4, 20))
    symbolic_ms = ms_per_step(RNNSymbolic(8000, 100, 4, seed=10), X, Y, args.steps)
    print(f"{len(X)} sentences, mean length {mean_len:.1f} words, word_dim 8000, hidden 100")
    print(f"RNNNumpy    {numpy_ms:7.2f} ms/step")
    print(f"RNNSymbolic {symbolic_ms:7.2f} ms/step (float32)")
    print(f"RNNSymbolic is x{numpy_ms / symbolic_ms:.2f} faster than RNNNumpy; "
          f"x{8.2 / symbolic_ms:.2f} against pytensor's 8.2 ms")


if __name__ == "__main__":
    main()
