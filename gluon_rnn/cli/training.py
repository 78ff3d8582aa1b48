"""``gluon-rnn compare``, ``train``, ``generate`` and ``launch``: parsing and printing. The
options of ``compare`` and ``train`` come from the library's configurations
(:class:`~gluon_rnn.compare.CompareConfig`, :class:`~gluon_rnn.train.config.TrainConfig`)."""
from __future__ import annotations

import argparse
import math
import signal
import sys
import time
from pathlib import Path

from ._args import (
    add_options,
    command,
    config_from,
    config_rows,
    nonnegative_int,
    positive_float,
    positive_int,
    print_stream,
    progress,
    worker_output,
)

COMPARE_TRAIN = {  # what the comparison lets vary of its training, read as its options were
    "num_epochs": "count", "num_hiddens": "count", "num_steps": "count", "batch_size": "count",
    "lr": "rate", "clipping_theta": "rate", "seed": "count0", "model": "choice"}
CTX_HELP = "context: auto (GPU if any), cpu, gpu:N"


def _add_compare(sub) -> None:
    from ..compare import CompareConfig, chapter_config

    p = command(
        sub, "compare", "train the chapter's RNN with random and consecutive partitioning",
        description="Train the from-scratch RNN of d2l's chapter on The Time Machine twice, with "
                    "random and with consecutive (sequential) partitioning, from the same "
                    "initial parameters; print a side-by-side perplexity table and the final "
                    "samples, and write a CSV and a PNG plot of both curves.")
    from ..train.config import TrainConfig

    add_options(p, config_rows(TrainConfig, list(COMPARE_TRAIN), chapter_config(),
                               flags={"num_epochs": ("--epochs", "--num-epochs")},
                               kinds=COMPARE_TRAIN)
                + config_rows(CompareConfig, flags={"prefixes": ("--prefix",)}) + [
        (("--ctx",), dict(default="auto", help=CTX_HELP)),
        (("--data",), dict(default=None, help="path of timemachine.txt (else found by the "
                                              "resolver)")),
        (("--out",), dict(default=None, help="folder for compare.csv and compare.png (default: "
                          "runs/compare, or runs/compare-2, -3, ... when an earlier comparison "
                          "is there)")),
        (("--table-every",), dict(type=positive_int, default=None,
                                  help="print every Nth epoch in the table (default: about 20 "
                                       "rows)")),
        (("--overwrite",), dict(action="store_true",
                                help="replace the results of an earlier comparison in OUT")),
        (("--no-progress",), dict(action="store_true", help="no progress bar")),
    ], _cmd_compare)


def _cmd_compare(args) -> int:
    from ..compare import (
        DEFAULT_OUT,
        CompareConfig,
        chapter_config,
        comparison_outputs,
        default_output_folder,
        format_table,
        plot,
        run_comparison,
        write_csv,
    )
    from ..data.corpora import load_data_time_machine_split
    from ..devices import parse_ctx
    from ..train.config import TrainConfig

    train = config_from(TrainConfig, args, chapter_config()).check()
    config = config_from(CompareConfig, args, train=train)
    out = args.out
    if out is None:
        out, note = (DEFAULT_OUT, None) if args.overwrite else default_output_folder()
        if note:
            print(f"gluon-rnn: {note}", file=sys.stderr)
    with comparison_outputs(out, args.overwrite) as (csv_target, png_target):
        ctx = parse_ctx(args.ctx)
        corpus_indices, vocab, valid = load_data_time_machine_split(
            config.num_examples, config.valid_examples, args.data)
        print(f"The Time Machine: {len(corpus_indices)} characters for training, {len(valid)} held "
              f"out, vocabulary of {len(vocab)}; context {ctx}; model {train.model}; "
              f"{train.num_epochs} epochs x {config.runs} run(s) per partitioning, "
              f"{2 * train.num_epochs * config.runs} epochs in all (the bar's count)")
        with progress(2 * train.num_epochs * config.runs, disable=args.no_progress) as bar:
            def on_epoch(name, rep):
                bar.set_description(f"{name:>11}")
                bar.set_postfix(epoch=rep.epoch, ppl=f"{rep.perplexity:.3f}",
                                tok_s=f"{rep.tokens_per_second:.0f}", refresh=False)
                bar.update(1)

            results = run_comparison(corpus_indices, vocab, config, ctx, on_epoch=on_epoch,
                                     valid_indices=valid or None)
        # the results are written first: nothing printed afterwards can lose them
        csv_path = write_csv(results, csv_target)
        png_path = plot(results, png_target,
                        title=f"{train.model} RNN on The Time Machine ({train.num_hiddens} hidden, "
                              f"{train.num_steps} steps, batch {train.batch_size}"
                              + (f", {config.runs} seeds" if config.runs > 1 else "") + ")")
        every = args.table_every or max(1, train.num_epochs // 20)
        print(format_table(results, every))
        print(f"\nwrote {csv_path} and {png_path}")
        return 0


def _add_train(sub) -> None:
    from ..train.config import TrainConfig

    p = command(
        sub, "train", "train a character- or word-level RNN language model, with checkpoints",
        description="Train from scratch or with Gluon's RNN/GRU/LSTM layers, showing a progress "
                    "bar with epoch, perplexity and tokens/s. After every epoch OUT/checkpoint.npz "
                    "(parameters, optimizer and RNG state), OUT/metrics.csv and OUT/metrics.json "
                    "are rewritten. Ctrl-C saves a checkpoint and stops; --resume continues "
                    "exactly where it stopped.")
    # numbers are read as written and checked by TrainConfig, which names the option; every
    # default is None here, so that --resume knows which options were given
    add_options(p, config_rows(TrainConfig, given_only=True) + [
        (("--ctx",), dict(default="auto", help="context, or a comma-separated list for "
                          "data-parallel training over several (cpu:0,cpu:1 or gpu:0,gpu:1; "
                          "gradients summed through a KVStore): auto (GPU if any), cpu, gpu:N")),
        (("--out",), dict(default="runs/train", help="run folder")),
        (("--resume",), dict(action="store_true",
                             help="continue the run in OUT from its checkpoint")),
        (("--overwrite",), dict(action="store_true", help="start a new run even though OUT holds "
                                                          "a checkpoint (it is replaced)")),
        (("--prefix",), dict(default=None, help="prefix for the greedy sample printed at the end "
                                                "(default: the corpus's first tokens)")),
        (("--pred-len",), dict(type=positive_int, default=50, help="tokens of that sample")),
        (("--no-progress",), dict(action="store_true", help="no progress bar")),
    ], _cmd_train)


def _cmd_train(args) -> int:
    import dataclasses

    from ..devices import parse_contexts
    from ..train.config import TrainConfig
    from ..train.distributed import launched_as_worker
    from ..train.run import open_run

    options = {f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)}
    run = open_run(Path(args.out), options, parse_contexts(args.ctx), args.resume,
                   args.overwrite, distributed=launched_as_worker())
    try:
        with worker_output(run.rank, run.num_workers, args.no_progress) as no_progress:
            return _train_and_report(args, run, no_progress)
    finally:
        run.close()


def _train_and_report(args, run, no_progress: bool) -> int:
    from ..sampling import check_prefix, default_prefix, stream_text
    from ..train.loop import fit
    from ..train.run import batches_per_epoch

    c, pos = run.config, run.position
    if run.finished:
        print(f"the run in {args.out} has already trained all {c.num_epochs} epochs; nothing "
              "to do (pass --num-epochs with more to train on)", file=sys.stderr)
        return 0
    prefix = args.prefix or default_prefix(run.train, run.vocab, c.level)
    check_prefix(prefix, run.vocab, c.level)  # before training, not after
    print(f"{c.corpus} ({c.level}s): {len(run.train)} training, {len(run.valid)} validation, "
          f"{len(run.test)} test tokens; vocabulary {len(run.vocab)}; model {c.model}, "
          f"{c.num_layers}x{c.num_hiddens}; context {', '.join(map(str, run.ctxs))}"
          + (f"; resuming after epoch {pos.epoch}, minibatch {pos.batch}" if args.resume else ""))
    per_epoch = batches_per_epoch(run)  # the bar counts minibatches: it moves, with a time left
    with progress(c.num_epochs * per_epoch, disable=no_progress, unit="batch") as bar:
        bar.update(pos.epoch * per_epoch + pos.batch)
        clock = {"start": time.time(), "tokens": 0}

        def on_batch(epoch, index, tokens, loss):
            clock["tokens"] += tokens
            rate = clock["tokens"] / max(time.time() - clock["start"], 1e-9)
            bar.set_description(f"epoch {epoch}/{c.num_epochs}", refresh=False)
            bar.set_postfix(ppl=f"{math.exp(min(loss, 50)):.2f}", tok_s=f"{rate:.0f}",
                            refresh=False)
            bar.update(min(epoch * per_epoch, (epoch - 1) * per_epoch + index + 1) - bar.n)

        def on_epoch(rep):
            valid = "" if rep.valid_perplexity is None else f", valid {rep.valid_perplexity:.3f}"
            valid += f", {rep.skipped} minibatches skipped (non-finite loss)" if rep.skipped else ""
            bar.write(f"epoch {rep.epoch}: perplexity {rep.perplexity:.3f}{valid}, "
                      f"{rep.seconds:.1f} s, {rep.tokens_per_second:.0f} tokens/s")
            bar.update(rep.epoch * per_epoch - bar.n)  # an epoch one minibatch short ends whole

        result = fit(run, on_batch=on_batch, on_epoch=on_epoch)
    if result.interrupted:
        terminated = result.signal == signal.SIGTERM
        print(f"{'terminated (SIGTERM)' if terminated else 'interrupted'} in epoch "
              f"{pos.epoch + 1} after minibatch {pos.batch}: saved {result.checkpoint}; "
              f"continue with: gluon-rnn train --out {args.out} --resume", file=sys.stderr)
        return 143 if terminated else 130  # as a shell reports each
    if result.test_perplexity is not None:
        print(f"test perplexity {result.test_perplexity:.3f}")
    sys.stdout.write(" - ")  # the greedy continuation, printed as it is drawn
    print_stream(stream_text(run.net, run.vocab, prefix, args.pred_len, c.level, ctx=run.ctx))
    if run.out is not None:  # under gluon-rnn launch, worker 0 writes
        print(f"wrote {run.checkpoint_path}, {run.out / 'metrics.csv'} and "
              f"{run.out / 'metrics.json'}")
    return 0


def _add_generate(sub) -> None:
    p = command(
        sub, "generate", "continue a prefix with a model trained by `gluon-rnn train`",
        description="Load a checkpoint of `gluon-rnn train` and continue PREFIX, sampling each "
                    "token at --temperature, or greedily (d2l's predict_rnn_gluon) with --greedy.")
    add_options(p, [
        (("--checkpoint",), dict(required=True, help="checkpoint.npz written by train")),
        (("--prefix",), dict(required=True, help="text to continue (words for word-level "
                                                 "models)")),
        (("--num-chars", "--num-tokens"), dict(dest="num_tokens", type=positive_int, default=100,
                                               help="tokens to generate (characters or words)")),
        (("--seed",), dict(type=nonnegative_int, default=None,
                           help="sampling seed (repeatable output)")),
        (("--ctx",), dict(default="auto", help=CTX_HELP)),
    ], _cmd_generate)
    how = p.add_mutually_exclusive_group()
    how.add_argument("--temperature", type=positive_float, default=1.0,
                     help="sampling temperature: low is nearly greedy, high nearly uniform")
    how.add_argument("--greedy", action="store_true", help="always take the most likely token")


def _cmd_generate(args) -> int:
    import numpy as np

    from ..devices import parse_ctx
    from ..sampling import stream_text
    from ..train.run import load_model

    ctx = parse_ctx(args.ctx)
    net, vocab, config = load_model(Path(args.checkpoint), ctx)
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
    add_options(p, [
        (("-n", "--num-workers"), dict(dest="num_workers", type=positive_int, default=2,
                                       help="worker processes")),
        (("-s", "--num-servers"), dict(dest="num_servers", type=positive_int, default=1,
                                       help="server processes")),
        (("--timeout",), dict(type=positive_float, default=None,
                              help="stop everything after this many seconds (default: no "
                                   "limit)")),
        (("--verbose-workers",), dict(action="store_true",
                                      help="every worker prints, each line labelled [worker "
                                           "RANK] (default: only worker 0 prints)")),
        (("command",), dict(nargs=argparse.REMAINDER, help="-- then the worker command")),
    ], _cmd_launch)


def _cmd_launch(args) -> int:
    from ..train.distributed import LaunchError, launch

    worker = args.command[1:] if args.command[:1] == ["--"] else args.command
    try:
        launch(worker, args.num_workers, args.num_servers, args.timeout,
               verbose_workers=args.verbose_workers)
    except LaunchError as err:
        print(f"gluon-rnn launch: {err}", file=sys.stderr)
        return 1
    return 0


COMMANDS = {  # name: (help line, adder)
    "compare": ("train the chapter's RNN with random and consecutive partitioning", _add_compare),
    "train": ("train a character- or word-level RNN language model, with checkpoints",
              _add_train),
    "generate": ("continue a prefix with a model trained by `gluon-rnn train`", _add_generate),
    "launch": ("run a command as the workers of a dist_sync job on this machine", _add_launch),
}
