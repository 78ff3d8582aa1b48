"""The ``gluon-rnn`` command line: parsing, progress and printing, nothing else.

    gluon-rnn compare   train the d2l 8.5 RNN with random and consecutive partitioning
    gluon-rnn train     train a char- or word-level model (scratch, RNN, GRU, LSTM), resumable
    gluon-rnn generate  continue a prefix with a trained model
    gluon-rnn launch    run gluon-rnn train as the workers of a dist_sync job (127.0.0.1)
    gluon-rnn chapter   run an unmodified d2l chapter script on d2l_compat
    gluon-rnn data      show where each data file is found (or fetch it)
    gluon-rnn rnnlm     the WildML word-level RNNLM: train, generate
    gluon-rnn straight-dope   The Straight Dope char-RNN: train, sample
"""
from __future__ import annotations

import argparse
import logging
import math
import sys
import time
from pathlib import Path
from typing import List, Optional, Sequence

EXIT_USAGE = 2


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _add_compare(sub) -> None:
    from .compare import CompareConfig

    d = CompareConfig()
    p = sub.add_parser(
        "compare", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        help="train the d2l 8.5 RNN with random and consecutive partitioning and compare",
        description="Train the from-scratch RNN of d2l 8.5 on The Time Machine twice, with "
                    "random and with consecutive (sequential) partitioning, from the same "
                    "initial parameters; print a side-by-side perplexity table and the final "
                    "samples, and write a CSV and a PNG plot of both curves.")
    p.add_argument("--epochs", type=_positive_int, default=d.num_epochs, help="training epochs per run")
    p.add_argument("--num-hiddens", type=_positive_int, default=d.num_hiddens, help="hidden units")
    p.add_argument("--num-steps", type=_positive_int, default=d.num_steps, help="time steps per example")
    p.add_argument("--batch-size", type=_positive_int, default=d.batch_size, help="examples per minibatch")
    p.add_argument("--lr", type=_positive_float, default=d.lr, help="SGD learning rate")
    p.add_argument("--clipping-theta", type=_positive_float, default=d.clipping_theta,
                   help="gradient-norm clipping threshold")
    p.add_argument("--num-examples", type=_positive_int, default=10000,
                   help="characters of The Time Machine to train on (d2l's default)")
    p.add_argument("--valid-examples", type=int, default=5000,
                   help="characters after the training text held out for validation (0: none)")
    p.add_argument("--seed", type=int, default=d.seed, help="seed for parameters and batches")
    p.add_argument("--model", choices=("scratch", "rnn", "gru", "lstm"), default=d.model,
                   help="scratch: d2l 8.5's RNN; rnn/gru/lstm: Gluon layers (as gluon-rnn train)")
    p.add_argument("--runs", type=_positive_int, default=d.runs,
                   help="seeds per partitioning (SEED, SEED+1, ...): the table shows mean±std, "
                        "the plot the mean and the band between lowest and highest")
    p.add_argument("--prefix", action="append", dest="prefixes", default=None,
                   help=f"prefix to continue after training (repeatable; default {list(d.prefixes)})")
    p.add_argument("--pred-len", type=_positive_int, default=d.pred_len, help="characters to predict")
    p.add_argument("--ctx", default="auto", help="context: auto (GPU if any), cpu, gpu:N")
    p.add_argument("--data", default=None, help="path of timemachine.txt (else found by the resolver)")
    p.add_argument("--out", default="runs/compare", help="folder for compare.csv and compare.png")
    p.add_argument("--table-every", type=_positive_int, default=None,
                   help="print every Nth epoch in the table (default: about 20 rows)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_compare)


def _cmd_compare(args) -> int:
    from .compare import CompareConfig, format_table, plot, run_comparison, write_csv
    from .corpora import load_data_time_machine_split
    from .devices import parse_ctx

    config = CompareConfig(num_epochs=args.epochs, num_hiddens=args.num_hiddens,
                           num_steps=args.num_steps, batch_size=args.batch_size, lr=args.lr,
                           clipping_theta=args.clipping_theta, seed=args.seed,
                           prefixes=tuple(args.prefixes or CompareConfig.prefixes),
                           pred_len=args.pred_len, model=args.model, runs=args.runs)
    ctx = parse_ctx(args.ctx)
    corpus_indices, vocab, valid = load_data_time_machine_split(
        args.num_examples, max(args.valid_examples, 0), args.data)
    print(f"The Time Machine: {len(corpus_indices)} characters for training, {len(valid)} held "
          f"out, vocabulary of {len(vocab)}; context {ctx}; model {config.model}; "
          f"{config.num_epochs} epochs x {config.runs} run(s) per partitioning")
    with _progress(2 * config.num_epochs * config.runs, disable=args.no_progress) as bar:
        def on_epoch(name, rep):
            bar.set_description(f"{name:>11}")
            bar.set_postfix(epoch=rep.epoch, ppl=f"{rep.perplexity:.3f}",
                            tok_s=f"{rep.tokens_per_second:.0f}", refresh=False)
            bar.update(1)

        results = run_comparison(corpus_indices, vocab, config, ctx, on_epoch=on_epoch,
                                 valid_indices=valid or None)
    every = args.table_every or max(1, config.num_epochs // 20)
    print(format_table(results, every))
    out = Path(args.out)
    csv_path = write_csv(results, out / "compare.csv")
    png_path = plot(results, out / "compare.png",
                    title=f"{config.model} RNN on The Time Machine ({config.num_hiddens} hidden, "
                          f"{config.num_steps} steps, batch {config.batch_size}"
                          + (f", {config.runs} seeds" if config.runs > 1 else "") + ")")
    print(f"\nwrote {csv_path} and {png_path}")
    return 0


def _progress(total: int, disable: bool):
    from tqdm.auto import tqdm
    return tqdm(total=total, disable=disable, unit="epoch", dynamic_ncols=True, file=sys.stderr)


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


def _add_train(sub) -> None:
    from .runs import TrainConfig

    defaults = TrainConfig()
    p = sub.add_parser(
        "train", help="train a character- or word-level RNN language model, with checkpoints",
        description="Train from scratch or with Gluon's RNN/GRU/LSTM layers, showing a progress "
                    "bar with epoch, perplexity and tokens/s. After every epoch OUT/checkpoint.npz "
                    "(parameters, optimizer and RNG state), OUT/metrics.csv and OUT/metrics.json "
                    "are rewritten. Ctrl-C saves a checkpoint and stops; --resume continues "
                    "exactly where it stopped.")
    for flag, kind, choices, text in TRAIN_OPTIONS:
        default = getattr(defaults, flag[2:].replace("-", "_"))
        p.add_argument(flag, type=kind, choices=choices, default=None,
                       help=f"{text} (default: {default})")
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
    p.add_argument("--pred-len", type=_positive_int, default=50,
                   help="tokens of that sample (default: 50)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_train)


def _train_options(args) -> dict:
    options = {flag[2:].replace("-", "_"): getattr(args, flag[2:].replace("-", "_"))
               for flag, *_ in TRAIN_OPTIONS}
    return dict(options, skip_nonfinite=args.skip_nonfinite)


def _start_or_resume(args, ctx):
    from .runs import CHECKPOINT_NAME, TrainConfig, new_run, resume_run

    out = Path(args.out)
    checkpoint = out / CHECKPOINT_NAME
    options = _train_options(args)
    if args.resume:
        if not checkpoint.is_file():
            raise FileNotFoundError(f"nothing to resume: {checkpoint} does not exist")
        return resume_run(checkpoint, ctx, out, options)
    if checkpoint.exists() and not args.overwrite:
        raise ValueError(f"{out} already holds a run ({checkpoint}): pass --resume to continue "
                         "it, --overwrite to replace it, or --out for a new folder")
    config = TrainConfig(**{k: v for k, v in options.items() if v is not None})
    return new_run(config, ctx, out)


def _cmd_train(args) -> int:
    from .devices import parse_contexts
    from .runs import fit
    from .sampling import generate_text

    run = _start_or_resume(args, parse_contexts(args.ctx))
    c, pos = run.config, run.position
    print(f"{c.corpus} ({c.level}s): {len(run.train)} training, {len(run.valid)} validation, "
          f"{len(run.test)} test tokens; vocabulary {len(run.vocab)}; model {c.model}, "
          f"{c.num_layers}x{c.num_hiddens}; context {', '.join(map(str, run.ctxs))}"
          + (f"; resuming after epoch {pos.epoch}, minibatch {pos.batch}" if args.resume else ""))
    with _progress(c.num_epochs, disable=args.no_progress) as bar:
        bar.update(pos.epoch)
        clock = {"start": time.time(), "tokens": 0}

        def on_batch(epoch, index, tokens, loss):
            clock["tokens"] += tokens
            rate = clock["tokens"] / max(time.time() - clock["start"], 1e-9)
            bar.set_postfix(epoch=epoch, batch=index + 1, ppl=f"{math.exp(min(loss, 50)):.2f}",
                            tok_s=f"{rate:.0f}", refresh=False)

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
    p = sub.add_parser(
        "generate", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        help="continue a prefix with a model trained by `gluon-rnn train`",
        description="Load a checkpoint of `gluon-rnn train` and continue PREFIX, sampling each "
                    "token at --temperature, or greedily (d2l's predict_rnn_gluon) with --greedy.")
    p.add_argument("--checkpoint", required=True, help="checkpoint.npz written by train")
    p.add_argument("--prefix", required=True, help="text to continue (words for word-level models)")
    p.add_argument("--num-chars", "--num-tokens", dest="num_tokens", type=_positive_int,
                   default=100, help="tokens to generate (characters or words)")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--temperature", type=_positive_float, default=1.0,
                     help="sampling temperature: low is nearly greedy, high nearly uniform")
    how.add_argument("--greedy", action="store_true", help="always take the most likely token")
    p.add_argument("--seed", type=int, default=None, help="sampling seed (repeatable output)")
    p.add_argument("--ctx", default="auto", help="context: auto (GPU if any), cpu, gpu:N")
    p.set_defaults(func=_cmd_generate)


def _cmd_generate(args) -> int:
    import numpy as np

    from .devices import parse_ctx
    from .runs import load_model
    from .sampling import generate_text, unknown_tokens

    ctx = parse_ctx(args.ctx)
    net, vocab, config = load_model(Path(args.checkpoint), ctx)
    unknown = unknown_tokens(args.prefix, vocab, config.level)
    if unknown:
        raise ValueError(f"prefix {config.level}s {unknown} are not in the model's vocabulary "
                         f"of {len(vocab)} tokens")
    print(generate_text(net, vocab, args.prefix, args.num_tokens, config.level,
                        None if args.greedy else args.temperature,
                        np.random.RandomState(args.seed), ctx))
    return 0


def _add_launch(sub) -> None:
    p = sub.add_parser(
        "launch", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        help="run a command as the workers of a dist_sync job on this machine",
        description="Start a scheduler, SERVERS parameter servers and WORKERS copies of COMMAND "
                    "(e.g. gluon-rnn train ...) on 127.0.0.1 with MXNet's DMLC variables; the "
                    "workers train with kvstore='dist_sync'. A failing worker stops the job.")
    p.add_argument("-n", "--num-workers", type=_positive_int, default=2, help="worker processes")
    p.add_argument("-s", "--num-servers", type=_positive_int, default=1, help="server processes")
    p.add_argument("--timeout", type=_positive_float, default=None,
                   help="stop everything after this many seconds (default: no limit)")
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- then the worker command")
    p.set_defaults(func=_cmd_launch)


def _cmd_launch(args) -> int:
    from .launch import LaunchError, launch

    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    try:
        launch(command, args.num_workers, args.num_servers, args.timeout)
    except LaunchError as err:
        print(f"gluon-rnn launch: {err}", file=sys.stderr)
        return 1
    return 0


def _add_chapter(sub) -> None:
    p = sub.add_parser(
        "chapter", help="run an unmodified d2l (MXNet) chapter script on d2l_compat",
        description="Run SCRIPT as __main__ with `import d2l` resolving to d2l_compat, "
                    "passing ARGS as its command line.")
    p.add_argument("script", help="path of the chapter's Python script")
    p.add_argument("script_args", nargs=argparse.REMAINDER, help="arguments for the script")
    p.set_defaults(func=lambda args: _chapter(args.script, args.script_args))


def _chapter(script: str, script_args: Sequence[str]) -> int:
    from .chapter import run_chapter
    return run_chapter(script, script_args)


def _add_data(sub) -> None:
    from .corpora import DATA_FILES

    p = sub.add_parser(
        "data", help="show where each data file is found, or fetch one",
        description="List every known data file with the place the resolver finds it "
                    "($GLUON_RNN_DATA, ./data, ../data, the cache), or download one into the cache.")
    p.add_argument("--fetch", choices=sorted(DATA_FILES), action="append",
                   help="download this file into the cache when it is not found locally")
    p.set_defaults(func=_cmd_data)


def _cmd_data(args) -> int:
    from .corpora import DATA_FILES, available, resolve

    for name in args.fetch or ():
        print(f"{name}: {resolve(name)}")
    if not args.fetch:
        for name, path in available():
            where = str(path) if path else f"missing (source: {DATA_FILES[name].url})"
            print(f"{name:<28} {where}")
    return 0


def _actions(sub, name: str, help_text: str, description: str):
    """A command with required actions (``gluon-rnn NAME ACTION``); returns the action parsers."""
    parser = sub.add_parser(name, help=help_text, description=description)
    actions = parser.add_subparsers(dest=f"{name}_action", metavar="ACTION")
    actions.required = True
    return actions


def _add_rnnlm(sub) -> None:
    cmds = _actions(sub, "rnnlm", "the WildML word-level RNN language model: train, generate",
                    "The WildML RNNLM tutorial (numpy + Theano) on MXNet.")
    fmt = argparse.ArgumentDefaultsHelpFormatter
    t = cmds.add_parser("train", formatter_class=fmt, help="train on a CSV (body column) or text file",
                        description="Tokenise, build the vocabulary, train with SGD (halving the "
                                    "learning rate when the loss rises), save MODEL and "
                                    "MODEL.vocab.json.")
    t.add_argument("--data", default=None, help="CSV with a body column, or a text file "
                   "(default: the tutorial's reddit CSV, through the data resolver)")
    t.add_argument("--column", default="body", help="CSV column holding the text")
    t.add_argument("--vocabulary-size", type=_positive_int, default=8000, help="words kept, UNKNOWN_TOKEN included")
    t.add_argument("--hidden-dim", type=_positive_int, default=100, help="hidden units")
    t.add_argument("--bptt-truncate", type=int, default=4, help="BPTT truncation (steps)")
    t.add_argument("--model", choices=("numpy", "symbolic"), default="symbolic", help="implementation")
    t.add_argument("--epochs", type=_positive_int, default=1, help="passes over the sentences")
    t.add_argument("--learning-rate", type=_positive_float, default=0.005, help="SGD learning rate")
    t.add_argument("--evaluate-loss-after", type=_positive_int, default=1, help="epochs between loss reports")
    t.add_argument("--max-sentences", type=_positive_int, default=None, help="train on the first N sentences only")
    t.add_argument("--seed", type=int, default=10, help="seed of the initial parameters")
    t.add_argument("--snapshot", default=None, help="save parameters at each evaluation to this "
                   "pattern ({epoch}, {hidden}, {words}, {seen} are filled in)")
    t.add_argument("--out", default="runs/rnnlm/model.npz", help="model file to write")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.set_defaults(func=_cmd_rnnlm_train)
    g = cmds.add_parser("generate", formatter_class=fmt, help="print sentences sampled from a model",
                        description="Sample sentences from SENTENCE_START to SENTENCE_END, never "
                                    "emitting UNKNOWN_TOKEN.")
    g.add_argument("--model", required=True, help="model file (npz with U, V, W)")
    g.add_argument("--vocab", default=None, help="vocabulary JSON (default: MODEL.vocab.json)")
    g.add_argument("--num-sentences", type=_positive_int, default=10, help="sentences to print")
    g.add_argument("--min-length", type=_positive_int, default=5, help="shortest sentence, in words")
    g.add_argument("--max-length", type=_positive_int, default=50, help="longest sentence, in words")
    g.add_argument("--seed", type=int, default=None, help="sampling seed (repeatable output)")
    g.set_defaults(func=_cmd_rnnlm_generate)


def _cmd_rnnlm_train(args) -> int:
    from .wildml import train_rnnlm

    model, losses = train_rnnlm(args.data, args.out, args.model, args.vocabulary_size,
                                args.hidden_dim, args.bptt_truncate, args.epochs,
                                args.learning_rate, args.evaluate_loss_after, args.max_sentences,
                                args.column, args.seed, args.snapshot,
                                progress=not args.no_progress)
    print(f"wrote {args.out} ({model.word_dim} words, {model.hidden_dim} hidden) and its vocabulary")
    return 0


def _cmd_rnnlm_generate(args) -> int:
    from .wildml import generate

    for sentence in generate(args.model, args.num_sentences, args.vocab, "numpy",
                             args.min_length, args.max_length, args.seed):
        print(sentence)
    return 0


def _add_straight_dope(sub) -> None:
    cmds = _actions(sub, "straight-dope", "The Straight Dope character RNN: train, sample",
                    "The Straight Dope char-RNN (MXNet nd + autograd from scratch).")
    fmt = argparse.ArgumentDefaultsHelpFormatter
    t = cmds.add_parser("train", formatter_class=fmt, help="train on a character corpus",
                        description="Train, halving the learning rate every 100 epochs; print the "
                                    "moving-average loss and a sample after each epoch; save MODEL.")
    t.add_argument("--corpus", default="timemachine",
                   help="timemachine (Gutenberg edition, licence trimmed), tinyshakespeare, or a file path")
    t.add_argument("--epochs", type=_positive_int, default=10, help="passes over the corpus")
    t.add_argument("--num-hidden", type=_positive_int, default=256, help="hidden units")
    t.add_argument("--seq-length", type=_positive_int, default=64, help="characters per sequence")
    t.add_argument("--batch-size", type=_positive_int, default=32, help="sequences per batch")
    t.add_argument("--learning-rate", type=_positive_float, default=.5, help="SGD learning rate")
    t.add_argument("--max-chars", type=_positive_int, default=None, help="train on the first N characters only")
    t.add_argument("--prefix", default="The Time Ma", help="prefix sampled after each epoch")
    t.add_argument("--sample-chars", type=int, default=200, help="characters sampled after each epoch (0: none)")
    t.add_argument("--temperature", type=_positive_float, default=.1, help="sampling temperature")
    t.add_argument("--seed", type=int, default=1, help="seed for parameters and sampling")
    t.add_argument("--out", default="runs/straight-dope/model.npz", help="model file to write")
    t.set_defaults(func=_cmd_sd_train)
    s = cmds.add_parser("sample", formatter_class=fmt, help="sample text from a trained model")
    s.add_argument("--model", required=True, help="model file written by train")
    s.add_argument("--prefix", default="The ", help="text to start from")
    s.add_argument("--num-chars", type=_positive_int, default=500, help="characters to sample")
    s.add_argument("--temperature", type=_positive_float, default=1.0, help="low: sharper, high: noisier")
    s.add_argument("--seed", type=int, default=None, help="sampling seed (repeatable output)")
    s.set_defaults(func=_cmd_sd_sample)


def _cmd_sd_train(args) -> int:
    import mxnet as mx
    import numpy as np

    from .checkpoints import save_char_rnn
    from .corpora import load_char_corpus
    from .models.char_rnn import character_list, encode_chars, get_params
    from .sampling import sample_chars
    from .training import train_char_rnn

    text = load_char_corpus(args.corpus)[:args.max_chars]
    chars = character_list(text)
    index = {c: i for i, c in enumerate(chars)}
    mx.random.seed(args.seed)
    rng = np.random.RandomState(args.seed)
    params = get_params(len(chars), args.num_hidden, len(chars))
    prefix = "".join(c for c in args.prefix if c in index) or text[0]
    print(f"{len(text)} characters, {len(chars)} distinct; {args.epochs} epochs")

    def on_epoch(epoch, loss):
        print(f"Epoch {epoch}. Loss: {loss:.6f}")
        if args.sample_chars > 0:
            print(sample_chars(prefix, args.sample_chars, params, chars, args.temperature, rng))

    train_char_rnn(params, encode_chars(text, chars), len(chars), args.num_hidden, args.epochs,
                   args.learning_rate, args.seq_length, args.batch_size, on_epoch=on_epoch)
    save_char_rnn(args.out, params, chars)
    print(f"wrote {args.out}")
    return 0


def _cmd_sd_sample(args) -> int:
    import numpy as np

    from .checkpoints import load_char_rnn
    from .sampling import sample_chars

    params, chars = load_char_rnn(args.model)
    print(sample_chars(args.prefix, args.num_chars, params, chars, args.temperature,
                       np.random.RandomState(args.seed)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gluon-rnn",
        description="Four classic RNN language-model tutorials on MXNet 1.9.1 + Gluon.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for add in (_add_compare, _add_train, _add_generate, _add_launch, _add_chapter, _add_data, _add_rnnlm, _add_straight_dope):
        add(sub)
    return parser


def _one_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of ``gluon-rnn``; returns the exit status (2 for bad input)."""
    from .blas import configure_blas
    from .threads import start_thread_governor

    configure_blas()  # before anything loads mxnet
    args = build_parser().parse_args(argv)
    start_thread_governor()  # threads follow the machine's load (gluon_rnn/threads.py)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except (ValueError, OSError) as err:  # bad input, missing or unwritable files
        print(f"gluon-rnn: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as err:  # noqa: BLE001 - MXNet's own errors, as one line
        if type(err).__name__ != "MXNetError":
            raise
        print(f"gluon-rnn: error: MXNet refused the input: {_one_line(err)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("gluon-rnn: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
