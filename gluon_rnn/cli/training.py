"""``gluon-rnn compare``, ``train``, ``generate`` and ``launch``: parsing and printing."""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

from .._files import claim_output
from ._args import add_option, any_float, any_int, command, nonnegative_int, positive_float, \
    positive_int, print_stream, progress, worker_output

def _add_compare(sub) -> None:
    from ..compare import CompareConfig

    config = CompareConfig()
    d = config.train
    p = command(
        sub, "compare", "train the chapter's RNN with random and consecutive partitioning",
        description="Train the from-scratch RNN of d2l's chapter on The Time Machine twice, with "
                    "random and with consecutive (sequential) partitioning, from the same "
                    "initial parameters; print a side-by-side perplexity table and the final "
                    "samples, and write a CSV and a PNG plot of both curves.")
    add_option(p, ("--epochs", "--num-epochs"), type=positive_int, default=d.num_epochs,
               help="training epochs per run")
    p.add_argument("--num-hiddens", type=positive_int, default=d.num_hiddens, help="hidden units")
    p.add_argument("--num-steps", type=positive_int, default=d.num_steps, help="time steps per example")
    p.add_argument("--batch-size", type=positive_int, default=d.batch_size, help="examples per minibatch")
    p.add_argument("--lr", type=positive_float, default=d.lr, help="SGD learning rate")
    p.add_argument("--clipping-theta", type=positive_float, default=d.clipping_theta,
                   help="gradient-norm clipping threshold")
    p.add_argument("--num-examples", type=positive_int, default=10000,
                   help="characters of The Time Machine to train on (as d2l reads it)")
    p.add_argument("--valid-examples", type=nonnegative_int, default=5000,
                   help="characters after the training text held out for validation (0: none)")
    p.add_argument("--seed", type=nonnegative_int, default=d.seed,
                   help="seed for parameters and batches")
    p.add_argument("--model", choices=("scratch", "rnn", "gru", "lstm"), default=d.model,
                   help="scratch: d2l 8.5's RNN; rnn/gru/lstm: Gluon layers (as gluon-rnn train)")
    p.add_argument("--runs", type=positive_int, default=config.runs,
                   help="seeds per partitioning (SEED, SEED+1, ...): the table shows mean±std, "
                        "the plot the mean and the band between lowest and highest")
    p.add_argument("--prefix", action="append", dest="prefixes", default=None,
                   help=f"prefix to continue after training (repeatable; default {list(config.prefixes)})")
    p.add_argument("--pred-len", type=positive_int, default=config.pred_len, help="characters to predict")
    p.add_argument("--ctx", default="auto", help="context: auto (GPU if any), cpu, gpu:N")
    p.add_argument("--data", default=None, help="path of timemachine.txt (else found by the resolver)")
    p.add_argument("--out", default="runs/compare", help="folder for compare.csv and compare.png")
    p.add_argument("--table-every", type=positive_int, default=None,
                   help="print every Nth epoch in the table (default: about 20 rows)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the results of an earlier comparison in OUT")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_compare)


def _cmd_compare(args) -> int:
    from ..compare import CompareConfig, chapter_config, format_table, plot, run_comparison, \
        write_csv
    from ..data.corpora import load_data_time_machine_split
    from ..devices import parse_ctx

    train = chapter_config(num_epochs=args.epochs, num_hiddens=args.num_hiddens,
                           num_steps=args.num_steps, batch_size=args.batch_size, lr=args.lr,
                           clipping_theta=args.clipping_theta, seed=args.seed, model=args.model)
    config = CompareConfig(train, prefixes=tuple(args.prefixes or CompareConfig.prefixes),
                           pred_len=args.pred_len, runs=args.runs)
    out = Path(args.out)
    claim_output(out / "compare.csv", args.overwrite, "the comparison")
    ctx = parse_ctx(args.ctx)
    corpus_indices, vocab, valid = load_data_time_machine_split(
        args.num_examples, max(args.valid_examples, 0), args.data)
    print(f"The Time Machine: {len(corpus_indices)} characters for training, {len(valid)} held "
          f"out, vocabulary of {len(vocab)}; context {ctx}; model {train.model}; "
          f"{train.num_epochs} epochs x {config.runs} run(s) per partitioning")
    with progress(2 * train.num_epochs * config.runs, disable=args.no_progress) as bar:
        def on_epoch(name, rep):
            bar.set_description(f"{name:>11}")
            bar.set_postfix(epoch=rep.epoch, ppl=f"{rep.perplexity:.3f}",
                            tok_s=f"{rep.tokens_per_second:.0f}", refresh=False)
            bar.update(1)

        results = run_comparison(corpus_indices, vocab, config, ctx, on_epoch=on_epoch,
                                 valid_indices=valid or None)
    every = args.table_every or max(1, train.num_epochs // 20)
    print(format_table(results, every))
    csv_path = write_csv(results, out / "compare.csv")
    png_path = plot(results, out / "compare.png",
                    title=f"{train.model} RNN on The Time Machine ({train.num_hiddens} hidden, "
                          f"{train.num_steps} steps, batch {train.batch_size}"
                          + (f", {config.runs} seeds" if config.runs > 1 else "") + ")")
    print(f"\nwrote {csv_path} and {png_path}")
    return 0


ALIASES = {"--num-epochs": ("--epochs",)}  # the common name beside the one of TrainConfig
TRAIN_OPTIONS = [  # (flag, type, choices, help); defaults come from TrainConfig
    ("--model", str, ("scratch", "rnn", "gru", "lstm"),
     "scratch: d2l 8.5's RNN from scratch; rnn/gru/lstm: Gluon's fused layers in RNNModel"),
    ("--iter", str, ("random", "consecutive"), "minibatch partitioning (d2l 8.3)"),
    ("--corpus", str, None, "timemachine, tinyshakespeare, ptb (its own valid/test), or a "
                            "UTF-8 text file"),
    ("--level", str, ("char", "word"), "tokens: characters or words"),
    ("--num-hiddens", int, None, "hidden units per layer"),
    ("--num-layers", int, None, "recurrent layers (Gluon models)"),
    ("--embed-size", int, None, "embedding size; 0 feeds one-hot vectors as d2l does"),
    ("--dropout", float, None, "dropout on embedding, between and after layers (training only)"),
    ("--num-steps", int, None, "time steps per example (BPTT length)"),
    ("--batch-size", int, None, "examples per minibatch"),
    ("--num-epochs", int, None, "epochs in all (with --resume: may be raised to train on)"),
    ("--optimizer", str, ("sgd", "adam"), "optimizer (sgd is d2l's: no momentum, no decay)"),
    ("--lr", float, None, "learning rate"),
    ("--lr-decay", float, None, "factor applied to the learning rate each epoch after "
                                "--decay-after"),
    ("--decay-after", int, None, "epochs at the full learning rate before --lr-decay applies"),
    ("--clipping-theta", float, None, "gradient-norm clipping threshold"),
    ("--init", str, ("normal", "uniform", "xavier"), "weight initialisation: N(0, 0.01^2) as "
                                                     "d2l, U(-0.1, 0.1) as Zaremba et al., or Xavier"),
    ("--valid-fraction", float, None, "share of the corpus held out at its end for validation "
                                      "(ptb uses its own files)"),
    ("--seed", int, None, "seed of parameters, minibatch order and dropout"),
]


# train's numbers are read as written and checked by TrainConfig, which names the option
_PARSERS = {int: any_int, float: any_float}


def _add_train(sub) -> None:
    from ..train.config import TrainConfig

    defaults = TrainConfig()
    p = command(
        sub, "train", "train a character- or word-level RNN language model, with checkpoints",
        description="Train from scratch or with Gluon's RNN/GRU/LSTM layers, showing a progress "
                    "bar with epoch, perplexity and tokens/s. After every epoch OUT/checkpoint.npz "
                    "(parameters, optimizer and RNG state), OUT/metrics.csv and OUT/metrics.json "
                    "are rewritten. Ctrl-C saves a checkpoint and stops; --resume continues "
                    "exactly where it stopped.")
    for flag, kind, choices, text in TRAIN_OPTIONS:
        default = getattr(defaults, flag[2:].replace("-", "_"))
        add_option(p, (flag, *ALIASES.get(flag, ())), type=_PARSERS.get(kind, kind),
                   choices=choices, default=None, help=f"{text} (default: {default})")
    p.add_argument("--ctx", default="auto",
                   help="context, or a comma-separated list for data-parallel training over "
                        "several (cpu:0,cpu:1 or gpu:0,gpu:1; gradients summed through a KVStore): "
                        "auto (GPU if any), cpu, gpu:N (default: auto)")
    p.add_argument("--out", default="runs/train", help="run folder (default: runs/train)")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in OUT from its checkpoint")
    p.add_argument("--overwrite", action="store_true",
                   help="start a new run even though OUT holds a checkpoint (it is replaced)")
    p.add_argument("--skip-nonfinite", action="store_true", default=None,
                   help="skip (and count) minibatches whose loss is NaN or infinite instead of "
                        "stopping")
    p.add_argument("--prefix", default=None, help="prefix for the greedy sample printed at the "
                                                  "end (default: the corpus's first tokens)")
    p.add_argument("--pred-len", type=positive_int, default=50,
                   help="tokens of that sample (default: 50)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_train)


def _train_options(args) -> dict:
    options = {flag[2:].replace("-", "_"): getattr(args, flag[2:].replace("-", "_"))
               for flag, *_ in TRAIN_OPTIONS}
    return dict(options, skip_nonfinite=args.skip_nonfinite)


def _cmd_train(args) -> int:
    from ..devices import parse_contexts
    from ..train.run import open_run

    run = open_run(Path(args.out), _train_options(args), parse_contexts(args.ctx), args.resume,
                   args.overwrite)
    with worker_output(run.rank, run.num_workers, args.no_progress) as no_progress:
        return _train_and_report(args, run, no_progress)


def _train_and_report(args, run, no_progress: bool) -> int:
    from ..sampling import generate_text
    from ..train.loop import fit

    c, pos = run.config, run.position
    if run.finished:
        print(f"the run in {args.out} has already trained all {c.num_epochs} epochs; nothing "
              "to do (pass --num-epochs with more to train on)", file=sys.stderr)
        return 0
    print(f"{c.corpus} ({c.level}s): {len(run.train)} training, {len(run.valid)} validation, "
          f"{len(run.test)} test tokens; vocabulary {len(run.vocab)}; model {c.model}, "
          f"{c.num_layers}x{c.num_hiddens}; context {', '.join(map(str, run.ctxs))}"
          + (f"; resuming after epoch {pos.epoch}, minibatch {pos.batch}" if args.resume else ""))
    with progress(c.num_epochs, disable=no_progress) as bar:
        bar.update(pos.epoch)
        clock = {"start": time.time(), "tokens": 0}

        def on_batch(epoch, index, tokens, loss):
            clock["tokens"] += tokens
            now = time.time()
            rate = clock["tokens"] / max(now - clock["start"], 1e-9)
            bar.set_postfix(epoch=epoch, batch=index + 1, ppl=f"{math.exp(min(loss, 50)):.2f}",
                            tok_s=f"{rate:.0f}", refresh=False)
            if now - clock.get("shown", 0.0) > 0.5:  # a long epoch moves, twice a second
                clock["shown"] = now
                bar.refresh()

        def on_epoch(rep):
            valid = "" if rep.valid_perplexity is None else f", valid {rep.valid_perplexity:.3f}"
            valid += f", {rep.skipped} minibatches skipped (non-finite loss)" if rep.skipped else ""
            bar.write(f"epoch {rep.epoch}: perplexity {rep.perplexity:.3f}{valid}, "
                      f"{rep.seconds:.1f} s, {rep.tokens_per_second:.0f} tokens/s")
            bar.update(1)

        result = fit(run, on_batch=on_batch, on_epoch=on_epoch)
    if result.interrupted:
        print(f"interrupted in epoch {pos.epoch + 1} after minibatch {pos.batch}: saved "
              f"{result.checkpoint}; continue with: gluon-rnn train --out {args.out} --resume",
              file=sys.stderr)
        return 130
    if result.test_perplexity is not None:
        print(f"test perplexity {result.test_perplexity:.3f}")
    prefix = args.prefix or ("".join(run.vocab.idx_to_token[i] for i in run.train[:10])
                             if c.level == "char" else
                             " ".join(run.vocab.idx_to_token[i] for i in run.train[:3]))
    print(" -", generate_text(run.net, run.vocab, prefix, args.pred_len, c.level, ctx=run.ctx))
    if run.out is not None:  # under gluon-rnn launch, worker 0 writes
        print(f"wrote {run.checkpoint_path}, {run.out / 'metrics.csv'} and "
              f"{run.out / 'metrics.json'}")
    return 0


def _add_generate(sub) -> None:
    p = command(
        sub, "generate", "continue a prefix with a model trained by `gluon-rnn train`",
        description="Load a checkpoint of `gluon-rnn train` and continue PREFIX, sampling each "
                    "token at --temperature, or greedily (d2l's predict_rnn_gluon) with --greedy.")
    p.add_argument("--checkpoint", required=True, help="checkpoint.npz written by train")
    p.add_argument("--prefix", required=True, help="text to continue (words for word-level models)")
    p.add_argument("--num-chars", "--num-tokens", dest="num_tokens", type=positive_int,
                   default=100, help="tokens to generate (characters or words)")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--temperature", type=positive_float, default=1.0,
                     help="sampling temperature: low is nearly greedy, high nearly uniform")
    how.add_argument("--greedy", action="store_true", help="always take the most likely token")
    p.add_argument("--seed", type=nonnegative_int, default=None,
                   help="sampling seed (repeatable output)")
    p.add_argument("--ctx", default="auto", help="context: auto (GPU if any), cpu, gpu:N")
    p.set_defaults(func=_cmd_generate)


def _cmd_generate(args) -> int:
    import numpy as np

    from ..devices import parse_ctx
    from ..sampling import stream_text, unknown_tokens
    from ..train.run import load_model

    ctx = parse_ctx(args.ctx)
    net, vocab, config = load_model(Path(args.checkpoint), ctx)
    unknown = unknown_tokens(args.prefix, vocab, config.level)
    if unknown:
        raise ValueError(f"prefix {config.level}s {unknown} are not in the model's vocabulary "
                         f"of {len(vocab)} tokens")
    print_stream(stream_text(net, vocab, args.prefix, args.num_tokens, config.level,
                             None if args.greedy else args.temperature,
                             np.random.RandomState(args.seed), ctx))
    return 0


def _add_launch(sub) -> None:
    p = command(
        sub, "launch", "run a command as the workers of a dist_sync job on this machine",
        description="Start a scheduler, SERVERS parameter servers and WORKERS copies of COMMAND "
                    "(e.g. gluon-rnn train ...) on 127.0.0.1 with MXNet's DMLC variables; the "
                    "workers train with kvstore='dist_sync'. A failing worker stops the job.")
    p.add_argument("-n", "--num-workers", type=positive_int, default=2, help="worker processes")
    p.add_argument("-s", "--num-servers", type=positive_int, default=1, help="server processes")
    p.add_argument("--timeout", type=positive_float, default=None,
                   help="stop everything after this many seconds (default: no limit)")
    p.add_argument("--verbose-workers", action="store_true",
                   help="every worker prints, each line labelled [worker RANK] (default: only "
                        "worker 0 prints)")
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- then the worker command")
    p.set_defaults(func=_cmd_launch)


def _cmd_launch(args) -> int:
    from ..train.distributed import LaunchError, launch

    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    try:
        launch(command, args.num_workers, args.num_servers, args.timeout,
               verbose_workers=args.verbose_workers)
    except LaunchError as err:
        print(f"gluon-rnn launch: {err}", file=sys.stderr)
        return 1
    return 0


ADD = (_add_compare, _add_train, _add_generate, _add_launch)
