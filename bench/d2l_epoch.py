"""Seconds per epoch of the d2l 8.5 training loop: gluon-rnn (d2l_compat) against the
published d2l==0.9.2, in one process, same seeds, same chapter settings.

    python bench/d2l_epoch.py [--epochs N] [--num-hiddens H]

Prints one line per implementation and partitioning, then the ratio (peer / ours).
"""
from __future__ import annotations

import argparse
import contextlib
import io
import random
import time

import mxnet as mx

import d2l as d2l_oracle
import d2l_compat


def seconds_per_epoch(module, corpus_indices, vocab, is_random_iter, args) -> float:
    random.seed(0)
    mx.random.seed(0)
    get_params = d2l_compat.params_factory(len(vocab), args.num_hiddens, mx.cpu())
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        module.train_and_predict_rnn(
            d2l_compat.rnn, get_params, d2l_compat.init_rnn_state, args.num_hiddens,
            corpus_indices, vocab, mx.cpu(), is_random_iter, args.epochs, args.num_steps,
            1.0, 1.0, args.batch_size, [])
    return (time.perf_counter() - start) / args.epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--num-hiddens", type=int, default=512)
    parser.add_argument("--num-steps", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    corpus_indices, vocab = d2l_compat.load_data_time_machine()
    for is_random_iter, name in ((True, "random"), (False, "consecutive")):
        peer = seconds_per_epoch(d2l_oracle, corpus_indices, vocab, is_random_iter, args)
        ours = seconds_per_epoch(d2l_compat, corpus_indices, vocab, is_random_iter, args)
        print(f"{name:>11}: d2l==0.9.2 {peer:.3f} s/epoch, gluon-rnn {ours:.3f} s/epoch, "
              f"speed-up x{peer / ours:.2f}")


if __name__ == "__main__":
    main()
