"""Seconds per epoch of the d2l 8.5 setting (10,000 characters, 512 hidden, 64 steps,
batch 32): the published d2l==0.9.2 with the chapter's own ``rnn`` (the peer) against
gluon-rnn's ``d2l_compat`` with its own ``rnn``, and against Gluon's fused ``rnn.RNN``
layer of the same size in :class:`RNNModel`, hybridized.

    python bench/d2l_epoch.py [--epochs N] [--repeats R]

Each path runs in its own process: the peer with the environment as it is (what a
user running d2l has), ours after ``configure_blas()`` (what the CLI and ``gluon-rnn
chapter`` do). Each figure is the best of ``--repeats`` timed blocks of ``--epochs``
epochs. Prints seconds per epoch, tokens/s, and the speed-up peer / ours, under each
load of ``--loads`` (the three paths run in turn under the same competitors).

Targets: idle >= 3x (d2l_compat) and >= 3.7x (Gluon); busy >= 2x for both.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from _harness import (
    ROOT,
    add_load_argument,
    best_of,
    competing,
    last_json,
    loads,
    python,
    result,
    run_child,
)

NUM_HIDDENS, NUM_STEPS, BATCH_SIZE = 512, 64, 32


def chapter_rnn(inputs, state, params):
    """The chapter's ``rnn`` as its page writes it: three products and a tanh per step."""
    from mxnet import nd

    W_xh, W_hh, b_h, W_hq, b_q = params
    H, = state
    outputs = []
    for X in inputs:
        H = nd.tanh(nd.dot(X, W_xh) + nd.dot(H, W_hh) + b_h)
        Y = nd.dot(H, W_hq) + b_q
        outputs.append(Y)
    return outputs, (H,)


def _scratch_epoch(module, rnn, is_random_iter: bool, epochs: int, repeats: int) -> float:
    import contextlib
    import io
    import random

    import mxnet as mx

    import d2l_compat

    corpus_indices, vocab = d2l_compat.load_data_time_machine()
    random.seed(0)
    mx.random.seed(0)
    get_params = d2l_compat.params_factory(len(vocab), NUM_HIDDENS, mx.cpu())
    with contextlib.redirect_stdout(io.StringIO()):  # warm-up (d2l needs 4 epochs or more)
        module.train_and_predict_rnn(rnn, get_params, d2l_compat.init_rnn_state, NUM_HIDDENS,
                                     corpus_indices, vocab, mx.cpu(), is_random_iter, 4,
                                     NUM_STEPS, 1.0, 1.0, BATCH_SIZE, [])

    def block() -> float:
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            module.train_and_predict_rnn(rnn, get_params, d2l_compat.init_rnn_state, NUM_HIDDENS,
                                         corpus_indices, vocab, mx.cpu(), is_random_iter, epochs,
                                         NUM_STEPS, 1.0, 1.0, BATCH_SIZE, [])
        return (time.perf_counter() - start) / epochs
    return best_of(block, repeats)


def _gluon_epoch(epochs: int, repeats: int) -> float:
    import random

    import mxnet as mx
    from mxnet.gluon import rnn

    from gluon_rnn.models.gluon import RNNModel
    from gluon_rnn.tutorials.d2l.d2l092 import load_data_time_machine, train_gluon_rnn

    corpus_indices, vocab = load_data_time_machine()
    mx.random.seed(0)
    model = RNNModel(rnn.RNN(NUM_HIDDENS), len(vocab))
    model.hybridize(static_alloc=True, static_shape=True)
    train_gluon_rnn(model, NUM_HIDDENS, corpus_indices, vocab, mx.cpu(), 1, NUM_STEPS, 1.0, 1.0,
                    BATCH_SIZE, rng=random.Random(0))  # warm-up: graph building

    def block() -> float:
        reports = train_gluon_rnn(model, NUM_HIDDENS, corpus_indices, vocab, mx.cpu(), epochs,
                                  NUM_STEPS, 1.0, 1.0, BATCH_SIZE, rng=random.Random(0))
        return sum(r.seconds for r in reports) / epochs
    return best_of(block, repeats)


def child(mode: str, epochs: int, repeats: int) -> dict:
    if mode != "peer":
        from gluon_rnn.blas import configure_blas
        configure_blas()  # one thread: the facades run book code (gluon_rnn/threads.py)
    if mode == "gluon":
        return {"consecutive": _gluon_epoch(epochs, repeats)}
    if mode == "peer":  # the published d2l==0.9.2 (make test installs it in .venv/oracles)
        sys.path.insert(0, str(ROOT / ".venv" / "oracles" / "d2l-0.9.2"))
        import d2l as module
        rnn = chapter_rnn
    else:
        import d2l_compat as module
        rnn = module.rnn
    return {name: _scratch_epoch(module, rnn, name == "random", epochs, repeats)
            for name in ("random", "consecutive")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4, help="epochs per timed block (4 or more)")
    parser.add_argument("--repeats", type=int, default=3, help="timed blocks (the best counts)")
    parser.add_argument("--child", choices=("peer", "ours", "gluon"))
    add_load_argument(parser)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.epochs, args.repeats)))
        return
    for load, processes in loads(args.loads):
        with competing(processes):
            times = {mode: last_json(run_child([python(), __file__, "--child", mode, "--epochs",
                                                str(args.epochs), "--repeats", str(args.repeats)]))
                     for mode in ("peer", "ours", "gluon")}
        report(times, load, processes)


def report(times: dict, load: str, processes: int) -> None:
    tokens = 10000  # one epoch sees about every character once
    for mode, row in times.items():
        for name, seconds in row.items():
            print(f"{load:>18} {mode:>6} {name:>11}: {seconds:.3f} s/epoch, "
                  f"{tokens / seconds:,.0f} tokens/s", flush=True)
    peer = times["peer"]
    scratch, gluon = (3.0, 3.7) if processes == 0 else (2.0, 2.0)
    for name in ("random", "consecutive"):
        ratio = peer[name] / times["ours"][name]
        result(f"d2l_compat rnn + train_and_predict_rnn ({name})", times["ours"][name], peer[name],
               "s/epoch", "d2l==0.9.2 with the chapter's rnn", f">= {scratch:g}x",
               ratio >= scratch, load=load)
    ratio = peer["consecutive"] / times["gluon"]["consecutive"]
    result("Gluon RNNModel(rnn.RNN(512)), hybridized (consecutive)", times["gluon"]["consecutive"],
           peer["consecutive"], "s/epoch", "d2l==0.9.2 with the chapter's rnn", f">= {gluon:g}x",
           ratio >= gluon, load=load)


if __name__ == "__main__":
    sys.exit(main())
