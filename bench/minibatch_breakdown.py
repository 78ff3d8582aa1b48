"""Where one minibatch of the d2l chapter 8.5 model goes (issue 30): the operator calls its
forward makes from Python, the milliseconds of the whole step (forward, backward) run as
written and as one cached graph (``gluon_rnn.train.traced``, the same bits), and from the
two the Python dispatch: its share of the step and its cost per operator call.

    python bench/minibatch_breakdown.py [--hiddens 256 512] [--steps 35] [--repeats 30]

The step is the chapter's own ``rnn`` (the tests' fixture ``tests/fixtures/chapter_8_5.py``),
its one-hot inputs and d2l's loss, batch 32, on one thread as the books' code runs here
(``configure_blas``). "dispatch" is the imperative step's time less the cached graph's:
the same operators and kernels run in both, so what differs is what Python and the
ctypes layer add per call. Each figure is the median of ``--repeats`` minibatches after
three warm-up ones. A bare ctypes call into MXNet (``MXGetVersion``) is timed for scale.
"""
from __future__ import annotations

import argparse
import ast
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gluon_rnn.blas import configure_blas  # noqa: E402 - before MXNet loads

configure_blas()

import mxnet as mx  # noqa: E402
from mxnet import nd  # noqa: E402
from mxnet.gluon import loss as gloss  # noqa: E402

from gluon_rnn.models.scratch import to_onehot  # noqa: E402
from gluon_rnn.train import traced  # noqa: E402

VOCAB, BATCH = 28, 32


def chapter_rnn():
    """The chapter's ``rnn``, defined alone from the fixture."""
    tree = ast.parse((ROOT / "tests" / "fixtures" / "chapter_8_5.py").read_text())
    found = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "rnn")
    namespace = {"nd": nd}
    exec(compile(ast.Module(body=[found], type_ignores=[]), "rnn", "exec"), namespace)
    return namespace["rnn"]


def make_step(hiddens: int, mode: str):
    rnn, loss = chapter_rnn(), gloss.SoftmaxCrossEntropyLoss()
    mx.random.seed(0)
    params = [nd.random.normal(scale=0.01, shape=shape) for shape in
              ((VOCAB, hiddens), (hiddens, hiddens), (hiddens,), (hiddens, VOCAB), (VOCAB,))]
    for param in params:
        param.attach_grad()

    def forward(X, Y, H):
        outputs, (H,) = rnn(to_onehot(X, VOCAB), (H,), params)
        return loss(nd.concat(*outputs, dim=0), Y.T.reshape((-1,))).mean(), H
    return traced.TracedStep(forward, params, mode=mode), forward, params


def median_ms(step, inputs, repeats: int) -> float:
    times = []
    for i in range(repeats + 3):
        started = time.perf_counter()
        loss, H = step(*inputs)
        loss.wait_to_read()
        H.wait_to_read()
        for param in step.params:
            param.grad.wait_to_read()
        if i >= 3:
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e3


def bare_call_us(count: int = 20000) -> float:
    import ctypes

    from mxnet.base import _LIB

    version = ctypes.c_int()
    started = time.perf_counter()
    for _ in range(count):
        _LIB.MXGetVersion(ctypes.byref(version))
    return (time.perf_counter() - started) / count * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hiddens", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--steps", type=int, default=35)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    print(f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}; a bare ctypes call into "
          f"MXNet: {bare_call_us():.2f} us", flush=True)
    draw = mx.random.randint(0, VOCAB, shape=(2, BATCH, args.steps)).astype("float32")
    for hiddens in args.hiddens:
        inputs = (draw[0], draw[1], nd.zeros((BATCH, hiddens)))
        imperative, forward, params = make_step(hiddens, "off")
        graph, _, _ = make_step(hiddens, "on")
        graph(*inputs)  # traced and checked on this signature
        if graph.why_not:
            sys.exit(f"the step stayed imperative: {graph.why_not}")
        calls = traced.recorded_calls(forward, inputs, params)
        slow, fast = median_ms(imperative, inputs, args.repeats), \
            median_ms(graph, inputs, args.repeats)
        dispatch = slow - fast
        print(f"{hiddens} hidden, {args.steps} steps: {calls} operator calls from Python in the "
              f"forward; step {slow:.1f} ms as written, {fast:.1f} ms as one cached graph; "
              f"dispatch {dispatch:.1f} ms ({dispatch / slow:.0%} of the step, "
              f"{dispatch / calls * 1e3:.0f} us a call)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
