"""Word-level language modelling on the Penn Treebank within a CPU time budget.

    python bench/ptb.py [--minutes 30] [--model lstm] [--num-hiddens 200] ...

Trains a Gluon model through ``gluon_rnn.train`` (the loop of ``gluon-rnn train``) on
Mikolov's ``ptb.zip`` (found or fetched by the data resolver), one epoch at a time
until the next epoch would pass the budget, then prints validation and test
perplexity, tokens/s and wall time next to the literature's test perplexities:
Kneser-Ney 5-gram 141.2, Mikolov's RNN LM 124.7, Zaremba et al.'s non-regularised
small LSTM 114.5. The defaults are Zaremba et al.'s small configuration (2 x 200 LSTM,
embedding 200, 20 steps, batch 20, U(-0.1, 0.1) initialisation, SGD with lr 1 halved each
epoch after the 4th, gradient norm clipped at 5, no dropout) in this library's loss
normalisation: d2l averages the loss over all batch_size x num_steps tokens where they sum
it over the 20 steps, so their lr 1 and clipping at 5 are lr 20 and clipping at 0.25 here.
With d2l's N(0, 0.01^2) initialisation and lr 1 (this normalisation) the model is still at
a unigram model's perplexity after one epoch (valid 707).
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from gluon_rnn.blas import configure_blas

REFERENCES = [("Kneser-Ney 5-gram", 141.2), ("Mikolov RNN LM", 124.7),
              ("Zaremba small LSTM, no dropout", 114.5)]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--minutes", type=float, default=30.0, help="training budget")
    p.add_argument("--model", default="lstm", choices=("rnn", "gru", "lstm"))
    p.add_argument("--num-hiddens", type=int, default=200)
    p.add_argument("--num-layers", type=int, default=2)
    p.add_argument("--embed-size", type=int, default=200)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--num-steps", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=20)
    p.add_argument("--optimizer", default="sgd", choices=("sgd", "adam"))
    p.add_argument("--lr", type=float, default=20.0)
    p.add_argument("--lr-decay", type=float, default=0.5)
    p.add_argument("--decay-after", type=int, default=4)
    p.add_argument("--clipping-theta", type=float, default=0.25)
    p.add_argument("--init", default="uniform", choices=("normal", "uniform", "xavier"))
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    configure_blas()  # before mxnet loads: one OpenMP thread per available core, etc.
    import mxnet as mx

    from gluon_rnn.train.loop import fit
    from gluon_rnn.train.run import TrainConfig, new_run

    config = TrainConfig(model=args.model, iter="consecutive", corpus="ptb", level="word",
                         num_hiddens=args.num_hiddens, num_layers=args.num_layers,
                         embed_size=args.embed_size, dropout=args.dropout,
                         num_steps=args.num_steps, batch_size=args.batch_size, num_epochs=1,
                         optimizer=args.optimizer, lr=args.lr, lr_decay=args.lr_decay,
                         decay_after=args.decay_after, init=args.init,
                         clipping_theta=args.clipping_theta, seed=args.seed)
    run = new_run(config, mx.cpu())
    print(f"PTB: {len(run.train)} training, {len(run.valid)} validation, {len(run.test)} test "
          f"tokens, vocabulary {len(run.vocab)}; {args.model} {args.num_layers}x"
          f"{args.num_hiddens}, embedding {args.embed_size}, budget {args.minutes:g} min",
          flush=True)
    budget, start, last = args.minutes * 60, time.perf_counter(), 0.0
    result = None
    while run.position.epoch == 0 or time.perf_counter() - start + last <= budget:
        run.config = dataclasses.replace(run.config, num_epochs=run.position.epoch + 1)
        result = fit(run, handle_sigint=False)
        rep = result.reports[-1]
        last = rep.seconds
        print(f"epoch {rep.epoch}: train {rep.perplexity:.1f}, valid {rep.valid_perplexity:.1f}, "
              f"{rep.seconds:.0f} s, {rep.tokens_per_second:.0f} tokens/s", flush=True)
    wall = time.perf_counter() - start
    best = min(r.valid_perplexity for r in result.reports)
    tokens = sum(r.tokens for r in result.reports)
    print(f"\nafter {len(result.reports)} epochs, {wall / 60:.1f} min wall "
          f"({tokens / sum(r.seconds for r in result.reports):.0f} training tokens/s): "
          f"valid {result.reports[-1].valid_perplexity:.1f} (best {best:.1f}), "
          f"test {result.test_perplexity:.1f}")
    for name, value in REFERENCES:
        print(f"  {name:<32} test {value:6.1f}   ours / theirs = "
              f"{result.test_perplexity / value:.3f}")
    from _harness import result as report
    report(f"PTB word-level {args.model} {args.num_layers}x{args.num_hiddens}, "
           f"{args.minutes:g} min budget", result.test_perplexity, 141.2, "test perplexity",
           "Kneser-Ney 5-gram", "< 141.2 within 30 min of CPU training"
           + ("" if args.minutes >= 30 else " (a shorter smoke run: judged on the 30-min log)"),
           result.test_perplexity < 141.2 if args.minutes >= 30 else None,
           f"{len(result.reports)} epochs, {wall / 60:.1f} min")


if __name__ == "__main__":
    main()
