"""Matrix-product kernels chosen by measurement: GFLOP/s of OpenBLAS's kernels
(``OPENBLAS_CORETYPE`` Haswell, SkylakeX, and its own detection) behind ``nd.dot``, and
of oneDNN's ``FullyConnected`` (its own ISA choice, and capped at AVX2), on the shapes
the paths run, against the machine's measured peak (the best rate any of them
reaches on a 2048^3 product), on one thread and on every core.

    python bench/gemm.py [--repeats R]

Shapes (M x K x N): 32x512x512 (one step of the chapter's RNN), 512x2048x512 (a
512-hidden minibatch's hidden-to-hidden gradient), 20x200x10000 and 400x200x10000
(PTB's output layer for one step and for a 20x20 minibatch). Each configuration runs
in its own process, since both libraries read their settings when they load.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

from _harness import cores, last_json, python, result, run_child

SHAPES = [(32, 512, 512), (512, 2048, 512), (20, 200, 10000), (400, 200, 10000)]
PEAK_SHAPE = (2048, 2048, 2048)
OPENBLAS = {"Haswell (AVX2)": "Haswell", "SkylakeX (AVX-512)": "SkylakeX", "its own detection": ""}
ONEDNN = {"its own choice": "", "capped at AVX2": "AVX2"}


def child(kind: str, repeats: int) -> dict:
    import mxnet as mx
    from mxnet import nd

    rates = {}
    for m, k, n in SHAPES + [PEAK_SHAPE]:
        a = nd.random.normal(shape=(m, k))
        if kind == "dot":
            b = nd.random.normal(shape=(k, n))

            def op(a=a, b=b):
                return nd.dot(a, b)
        else:
            b = nd.random.normal(shape=(n, k))

            def op(a=a, b=b, n=n):
                return nd.FullyConnected(a, b, no_bias=True, num_hidden=n)
        op().wait_to_read()
        calls = max(3, int(2e9 / (2 * m * k * n)))  # about 2 GFLOP a block
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(calls):
                out = op()
            out.wait_to_read()
            best = min(best, (time.perf_counter() - start) / calls)
        rates[f"{m}x{k}x{n}"] = 2 * m * k * n / best / 1e9
    mx.nd.waitall()
    return rates


def measure(kind: str, setting: str, threads: int, repeats: int) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_CORETYPE", "DNNL_MAX_CPU_ISA", "MKLDNN_MAX_CPU_ISA")}
    env.update(OMP_NUM_THREADS=str(threads), GLUON_RNN_NO_BLAS_TUNING="1")
    if setting and kind == "dot":
        env["OPENBLAS_CORETYPE"] = setting
    if setting and kind == "fc":
        env["DNNL_MAX_CPU_ISA"] = env["MKLDNN_MAX_CPU_ISA"] = setting
    return last_json(run_child([python(), __file__, "--child", kind, "--repeats", str(repeats)],
                               env=env))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", choices=("dot", "fc"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.repeats)))
        return
    from gluon_rnn.blas import configure_blas, cpu_flags

    flags = cpu_flags()
    print("CPU flags:", " ".join(sorted(f for f in flags if f.startswith(("avx", "amx", "fma")))))
    chosen = configure_blas(dict(os.environ, GLUON_RNN_OMP_CHOSEN="1")).get("OPENBLAS_CORETYPE", "")
    for threads in sorted({1, cores()}):
        table = {}
        for name, setting in OPENBLAS.items():
            table[f"nd.dot, OpenBLAS {name}"] = (setting, measure("dot", setting, threads,
                                                                  args.repeats))
        for name, setting in ONEDNN.items():
            table[f"FullyConnected, oneDNN {name}"] = (setting, measure("fc", setting, threads,
                                                                        args.repeats))
        peak_key = "x".join(map(str, PEAK_SHAPE))
        peak = max(rates[peak_key] for _, rates in table.values())
        print(f"\n{threads} thread(s): GFLOP/s (share of the measured peak {peak:.0f} GFLOP/s, "
              f"the best {peak_key} product)")
        keys = [f"{m}x{k}x{n}" for m, k, n in SHAPES]
        print(f"{'':42}" + "".join(f"{key:>16}" for key in keys))
        for label, (_, rates) in table.items():
            print(f"{label:42}" + "".join(f"{rates[key]:8.1f} ({rates[key] / peak:4.0%})"
                                          for key in keys))
        dots = {label: rates for label, (setting, rates) in table.items()
                if label.startswith("nd.dot")}
        best = max(dots, key=lambda label: sum(dots[label][key] for key in keys))
        ours = next(label for label, (setting, _) in table.items()
                    if label.startswith("nd.dot") and setting == chosen)
        print(f"fastest OpenBLAS kernels over these shapes: {best}; configure_blas chooses: {ours}")
        for key in keys:
            ratio_base = table[ours][1][key]
            result(f"GEMM {key}, nd.dot with configure_blas's kernels ({threads} thread(s))",
                   1 / ratio_base, 1 / peak, "s/GFLOP", f"the measured peak, {peak:.0f} GFLOP/s",
                   "report: share of peak", None,
                   f"{ratio_base:.1f} GFLOP/s, {ratio_base / peak:.0%} of peak; fastest here: "
                   f"{max(dots, key=lambda label: dots[label][key])}")


if __name__ == "__main__":
    sys.exit(main())
