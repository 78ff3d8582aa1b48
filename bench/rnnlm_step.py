"""Milliseconds per WildML ``sgd_step`` (word_dim 8000, hidden 100, bptt_truncate 4) on
real sentences of the reddit sample: the tutorial's numpy code (the peer), RNNNumpy
and RNNSymbolic, in one run; each figure is the best of ``--repeats`` passes.

    python bench/rnnlm_step.py [--steps N] [--repeats R]

The sample has fewer than 8000 distinct words, so the vocabulary is the sample's
words and the models are built with word_dim 8000 (the tutorial's size); the extra
rows cost what they would cost with a full vocabulary. Reference figures: the
tutorial's numpy code 88 ms per step here, its Theano graph compiled by pytensor
8.2 ms (float32). With ``.venv-pytensor`` present (``make bench``), our own pytensor
port of the Theano model (``bench/pytensor_rnnlm.py``) runs on the same sentences
and its time is printed beside ours; under load (``--loads``: one competing process,
one per core) it is the peer: RNNSymbolic's target there is the port's time under
the same load.
"""
from __future__ import annotations

import argparse
import glob
import os
import tempfile
import time
from pathlib import Path

from _harness import (
    ROOT,
    add_load_argument,
    best_of,
    competing,
    last_json,
    loads,
    result,
    run_child,
)

from gluon_rnn.blas import configure_blas

BLAS = configure_blas()  # before mxnet loads

import numpy as np  # noqa: E402
from mxnet import nd  # noqa: E402

from gluon_rnn.tutorials.wildml.numpy_rnn import RNNNumpy, tutorial_bptt  # noqa: E402
from gluon_rnn.tutorials.wildml.pipeline import load_word_data  # noqa: E402
from gluon_rnn.tutorials.wildml.symbolic import RNNSymbolic  # noqa: E402


class TutorialRNNNumpy(RNNNumpy):
    """``RNNNumpy`` whose ``bptt`` is :func:`tutorial_bptt`: the speed peer of the benchmarks."""

    def bptt(self, x, y):
        return tutorial_bptt(self, x, y)


def ms_per_step(model, X, Y, steps: int, repeats: int) -> float:
    """Milliseconds per step over the first ``steps`` sentences, best of ``repeats`` passes."""
    for i in range(5):  # warm-up (graph building, allocations)
        model.sgd_step(X[i], Y[i], 0.005)

    def one_pass() -> float:
        nd.waitall()
        start = time.perf_counter()
        for i in range(steps):
            model.sgd_step(X[i % len(X)], Y[i % len(Y)], 0.005)
        nd.waitall()
        return (time.perf_counter() - start) / steps * 1000
    return best_of(one_pass, repeats)


PYTENSOR_PYTHON = ROOT / ".venv-pytensor" / "bin" / "python"


def pytensor_ms(X, Y, steps: int, repeats: int) -> dict:
    """Our pytensor port of the Theano model (bench/pytensor_rnnlm.py) in float32, run
    by ``.venv-pytensor``'s interpreter on the same sentences; {} when that
    environment is missing (``make bench`` builds it)."""
    if not PYTENSOR_PYTHON.exists():
        return {}
    libs = glob.glob(str(PYTENSOR_PYTHON.parents[1] / "lib" / "python3*" / "site-packages" /
                         "scipy.libs" / "libopenblas*.so"))
    flags = "floatX=float32"
    if libs:  # link pytensor's C code to scipy's OpenBLAS (else it calls BLAS through numpy)
        lib = Path(libs[0])
        flags += f",blas__ldflags=-L{lib.parent} -l:{lib.name} -Wl\\,-rpath\\,{lib.parent}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sentences.npz"
        np.savez(path, X=_ragged(X), Y=_ragged(Y), word_dim=8000, hidden_dim=100, bptt_truncate=4)
        return last_json(run_child([str(PYTENSOR_PYTHON), str(ROOT / "bench" / "pytensor_rnnlm.py"),
                                    str(path), str(steps), str(repeats)],
                                   env=dict(os.environ, PYTENSOR_FLAGS=flags)))


def _ragged(sentences) -> np.ndarray:
    """Sentences of different lengths as one object array (what ``np.savez`` stores)."""
    ragged = np.empty(len(sentences), dtype=object)
    ragged[:] = [list(map(int, sentence)) for sentence in sentences]
    return ragged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200, help="sentences per timed pass")
    parser.add_argument("--repeats", type=int, default=5, help="timed passes (the best counts)")
    add_load_argument(parser)
    args = parser.parse_args()
    words = load_word_data(vocabulary_size=8000)
    X, Y = words.X_train, words.y_train
    print(f"{len(X)} sentences, mean length {np.mean([len(x) for x in X]):.1f} words, "
          f"word_dim 8000, hidden 100; BLAS settings made: {BLAS or 'none'}; one OpenMP thread "
          f"(the tutorial's OpenBLAS products)")
    for load, processes in loads(args.loads):
        with competing(processes):
            measure_and_report(X, Y, args.steps, args.repeats, load, processes)


def measure_and_report(X, Y, steps: int, repeats: int, load: str, processes: int) -> None:
    tutorial_ms = ms_per_step(TutorialRNNNumpy(8000, 100, 4, seed=10), X, Y,
                              max(steps // 10, 10), repeats)
    numpy_ms = ms_per_step(RNNNumpy(8000, 100, 4, seed=10), X, Y, max(steps // 4, 20), repeats)
    symbolic_ms = ms_per_step(RNNSymbolic(8000, 100, 4, seed=10), X, Y, steps, repeats)
    port = pytensor_ms(X[:steps], Y[:steps], max(steps // 4, 20), repeats)
    print(f"-- {load}")
    print(f"tutorial numpy code {tutorial_ms:7.2f} ms/step (peer)")
    print(f"RNNNumpy            {numpy_ms:7.2f} ms/step  x{tutorial_ms / numpy_ms:.2f} vs peer")
    print(f"RNNSymbolic float32 {symbolic_ms:7.2f} ms/step  "
          f"x{tutorial_ms / symbolic_ms:.2f} vs peer")
    print(f"RNNSymbolic vs RNNNumpy x{numpy_ms / symbolic_ms:.2f}; "
          f"vs pytensor's 8.2 ms (issue figure) x{8.2 / symbolic_ms:.2f}", flush=True)
    if port:
        print(f"our pytensor {port['pytensor']} port of the Theano model ({port['floatX']}, "
              f"scan with truncate_gradient=4): {port['ms_per_step']:.2f} ms/step, "
              f"x{port['ms_per_step'] / symbolic_ms:.2f} vs RNNSymbolic", flush=True)
    else:
        print("pytensor port not run: .venv-pytensor is missing (make bench builds it)")
    result("WildML RNNNumpy.sgd_step", numpy_ms, tutorial_ms, "ms/step",
           "the tutorial's numpy code", ">= 2x", tutorial_ms / numpy_ms >= 2, load=load)
    if processes == 0 or not port:
        result("WildML RNNSymbolic.sgd_step (float32)", symbolic_ms, 8.2, "ms/step",
               "pytensor-compiled Theano model, 8.2 ms (issue figure)", "<= 8.2 ms",
               symbolic_ms <= 8.2, f"x{numpy_ms / symbolic_ms:.2f} vs our RNNNumpy"
               + (f"; our pytensor port {port['ms_per_step']:.2f} ms" if port else ""), load=load)
    else:
        result("WildML RNNSymbolic.sgd_step (float32)", symbolic_ms, port["ms_per_step"],
               "ms/step", "our pytensor port of the Theano model, same load",
               "<= the port's time", symbolic_ms <= port["ms_per_step"],
               f"x{numpy_ms / symbolic_ms:.2f} vs our RNNNumpy", load=load)


if __name__ == "__main__":
    main()
