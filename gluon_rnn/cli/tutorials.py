"""``gluon-rnn chapter``, ``data``, ``rnnlm`` (WildML) and ``straight-dope``: parsing and
printing; the work is the tutorials' own."""
from __future__ import annotations

import argparse
import math

from .._files import claim_output
from ._args import actions, command, nonnegative_int, positive_float, positive_int, print_stream


def _add_chapter(sub) -> None:
    from ..books.generations import FACADES

    p = command(
        sub, "chapter", "run an unmodified chapter (script, book page or notebook) of the "
                        "MXNet-era d2l books",
        description="Run CHAPTER with `import d2l` / `import d2lzh` resolving to the facade of "
                    "the helper it was written for: d2lzh 1.0.0 (the Chinese edition), d2l "
                    "0.8.7 (the 4-tuple API, found in the code or chosen with --d2l) or d2l "
                    "0.9.2. A .py script runs as __main__ with ARGS as its command line; a .md "
                    "book page runs its {.python .input} cells in order; a .ipynb notebook runs "
                    "in a Jupyter kernel and is written back executed.")
    p.add_argument("script", nargs="?", metavar="CHAPTER",
                   help="the chapter: a .py script, a .md book page or a .ipynb notebook")
    p.add_argument("--d2l", choices=tuple(FACADES), default=None,
                   help="the d2l generation to bind `import d2l` to (default: the one the "
                        "chapter's code shows; 0.9.2 when it shows none)")
    p.add_argument("--output", default=None,
                   help="notebooks: where the executed notebook is written (default: "
                        "NAME.executed.ipynb beside it)")
    p.add_argument("--figures", default=None, metavar="DIR",
                   help="scripts and pages: write each figure as DIR/NAME-N.png (default: "
                        "figures are counted, not shown)")
    p.add_argument("script_args", nargs=argparse.REMAINDER, metavar="ARGS",
                   help="arguments for a script (optional; options of chapter itself go before "
                        "CHAPTER)")
    p.set_defaults(func=_chapter, needs=("script",))


def _chapter(args) -> int:
    from ..books.chapter import run_chapter
    return run_chapter(args.script, args.script_args, args.d2l, args.output, args.figures)


def _add_kernel(sub) -> None:
    p = command(
        sub, "kernel", "install the Jupyter kernels in which `import d2l` / `import d2lzh` "
                       "give the facades",
        description="Install one Jupyter kernelspec per d2l generation (gluon-rnn-d2l-0.9.2, "
                    "gluon-rnn-d2l-0.8.7; d2lzh is bound in both), so that the books' "
                    "notebooks open unmodified in Jupyter: choose the kernel in the notebook.")
    p.add_argument("action", choices=("install",), help="install the kernelspecs")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="into your own Jupyter folder")
    where.add_argument("--prefix", default=None,
                       help="into PREFIX/share/jupyter/kernels (default: this environment's)")
    p.set_defaults(func=_cmd_kernel)


def _cmd_kernel(args) -> int:
    from ..books.kernel import install_kernels

    for folder in install_kernels(args.user, args.prefix):
        print(f"installed {folder}")
    print("choose the kernel 'Python 3 (gluon-rnn: d2l ...)' in Jupyter's Kernel menu")
    return 0


def _add_data(sub) -> None:
    from ..data.resolve import DATA_FILES

    p = command(
        sub, "data", "show where each data file is found, or fetch one",
        description="List every known data file with the place the resolver finds it "
                    "($GLUON_RNN_DATA, ./data, ../data, the cache), or download one into the cache.")
    p.add_argument("--fetch", choices=sorted(DATA_FILES), action="append",
                   help="download this file into the cache when it is not found locally")
    p.add_argument("--into", default=None, metavar="FOLDER",
                   help="copy every data file found (or fetched) into FOLDER, e.g. ../data for "
                        "the book pages that open ../data/<file>")
    p.set_defaults(func=_cmd_data)


def _cmd_data(args) -> int:
    from ..data.resolve import DATA_FILES, available, resolve

    for name in args.fetch or ():
        print(f"{name}: {resolve(name)}")
    if args.into:
        from ..data.resolve import copy_into

        for name, where in copy_into(args.into, args.fetch or None):
            print(f"{name:<28} {where}")
    elif not args.fetch:
        for name, path in available():
            where = str(path) if path else f"missing (source: {DATA_FILES[name].url})"
            print(f"{name:<28} {where}")
    return 0


RNNLM_TRAIN = [  # (flags: the tutorial's name first, then the common alias), keywords
    (("--data",), dict(default=None, help="CSV with a body column, or a text file "
                       "(default: the tutorial's reddit CSV, through the data resolver)")),
    (("--column",), dict(default="body", help="CSV column holding the text")),
    (("--vocabulary-size",), dict(type=positive_int, default=8000,
                                  help="words kept, UNKNOWN_TOKEN included")),
    (("--hidden-dim", "--num-hiddens"), dict(type=positive_int, default=100, help="hidden units")),
    (("--bptt-truncate",), dict(type=nonnegative_int, default=4, help="BPTT truncation (steps)")),
    (("--model",), dict(choices=("numpy", "symbolic"), default="symbolic", help="implementation")),
    (("--epochs", "--num-epochs"), dict(type=positive_int, default=1,
                                        help="passes over the sentences")),
    (("--learning-rate", "--lr"), dict(type=positive_float, default=0.005,
                                       help="SGD learning rate")),
    (("--evaluate-loss-after",), dict(type=positive_int, default=1,
                                      help="epochs between loss reports")),
    (("--max-sentences",), dict(type=positive_int, default=None,
                                help="train on the first N sentences only")),
    (("--seed",), dict(type=nonnegative_int, default=10, help="seed of the initial parameters")),
    (("--snapshot",), dict(default=None, help="save parameters at each evaluation to this "
                           "pattern ({epoch}, {hidden}, {words}, {seen} are filled in)")),
    (("--out",), dict(default="runs/rnnlm/model.npz", help="model file to write")),
    (("--overwrite",), dict(action="store_true", help="replace an existing model file")),
    (("--no-progress",), dict(action="store_true", help="no progress bar")),
]
RNNLM_GENERATE = [
    (("--model",), dict(required=True, help="model file (npz with U, V, W)")),
    (("--vocab",), dict(default=None, help="vocabulary JSON (default: MODEL.vocab.json)")),
    (("--num-sentences",), dict(type=positive_int, default=10, help="sentences to print")),
    (("--min-length",), dict(type=positive_int, default=5, help="shortest sentence, in words")),
    (("--max-length",), dict(type=positive_int, default=50, help="longest sentence, in words")),
    (("--seed",), dict(type=nonnegative_int, default=None, help="sampling seed (repeatable output)")),
]


def _add_rnnlm(sub) -> None:
    actions(sub, "rnnlm", "the WildML word-level RNN language model: train, generate",
            "The WildML RNNLM tutorial (numpy + Theano) on MXNet.", [
                ("train", "train on a CSV (body column) or text file",
                 "Tokenise, build the vocabulary, train with SGD (halving the learning rate "
                 "when the loss rises), save MODEL and MODEL.vocab.json.",
                 RNNLM_TRAIN, _cmd_rnnlm_train),
                ("generate", "print sentences sampled from a model",
                 "Sample sentences from SENTENCE_START to SENTENCE_END, never emitting "
                 "UNKNOWN_TOKEN.", RNNLM_GENERATE, _cmd_rnnlm_generate)])


def _cmd_rnnlm_train(args) -> int:
    from ..tutorials.wildml.workflow import train_rnnlm

    claim_output(args.out, args.overwrite, "a model")
    model, losses = train_rnnlm(args.data, args.out, args.model, args.vocabulary_size,
                                args.hidden_dim, args.bptt_truncate, args.epochs,
                                args.learning_rate, args.evaluate_loss_after, args.max_sentences,
                                args.column, args.seed, args.snapshot,
                                progress=not args.no_progress)
    print(f"wrote {args.out} ({model.word_dim} words, {model.hidden_dim} hidden) and its vocabulary")
    return 0


def _cmd_rnnlm_generate(args) -> int:
    from ..tutorials.wildml.workflow import iter_sentences

    for sentence in iter_sentences(args.model, args.num_sentences, args.vocab, "numpy",
                             args.min_length, args.max_length, args.seed):
        print(sentence, flush=True)
    return 0


STRAIGHT_DOPE_TRAIN = [
    (("--corpus",), dict(default="timemachine", help="timemachine (Gutenberg edition, licence "
                         "trimmed), tinyshakespeare, or a file path")),
    (("--epochs", "--num-epochs"), dict(type=positive_int, default=10,
                                        help="passes over the corpus")),
    (("--num-hidden", "--num-hiddens"), dict(type=positive_int, default=256, help="hidden units")),
    (("--seq-length", "--num-steps"), dict(type=positive_int, default=64,
                                           help="characters per sequence")),
    (("--batch-size",), dict(type=positive_int, default=32, help="sequences per batch")),
    (("--learning-rate", "--lr"), dict(type=positive_float, default=.5, help="SGD learning rate")),
    (("--max-chars",), dict(type=positive_int, default=None,
                            help="train on the first N characters only")),
    (("--prefix",), dict(default="The Time Ma", help="prefix sampled after each epoch")),
    (("--sample-chars",), dict(type=nonnegative_int, default=200,
                               help="characters sampled after each epoch (0: none)")),
    (("--temperature",), dict(type=positive_float, default=.1, help="sampling temperature")),
    (("--seed",), dict(type=nonnegative_int, default=1, help="seed for parameters and sampling")),
    (("--out",), dict(default="runs/straight-dope/model.npz", help="model file to write")),
    (("--overwrite",), dict(action="store_true", help="replace an existing model file")),
]
STRAIGHT_DOPE_SAMPLE = [
    (("--model",), dict(required=True, help="model file written by train")),
    (("--prefix",), dict(default="The ", help="text to start from")),
    (("--num-chars",), dict(type=positive_int, default=500, help="characters to sample")),
    (("--temperature",), dict(type=positive_float, default=1.0,
                              help="low: sharper, high: noisier")),
    (("--seed",), dict(type=nonnegative_int, default=None, help="sampling seed (repeatable output)")),
]


def _add_straight_dope(sub) -> None:
    actions(sub, "straight-dope", "The Straight Dope character RNN: train, sample",
            "The Straight Dope char-RNN (MXNet nd + autograd from scratch).", [
                ("train", "train on a character corpus",
                 "Train, halving the learning rate every 100 epochs; print the moving-average "
                 "loss and a sample after each epoch; save MODEL.", STRAIGHT_DOPE_TRAIN,
                 _cmd_sd_train),
                ("sample", "sample text from a trained model",
                 "Sample characters from a model written by `straight-dope train`, one at a "
                 "time at --temperature.", STRAIGHT_DOPE_SAMPLE, _cmd_sd_sample)])


def _cmd_sd_train(args) -> int:
    from ..train.evaluate import diverged
    from ..tutorials import straight_dope

    claim_output(args.out, args.overwrite, "a model")
    text = straight_dope.load_char_corpus(args.corpus)[:args.max_chars]
    model = straight_dope.new_model(text, args.num_hidden, args.seed)
    prefix = model.usable_prefix(args.prefix, text)
    print(f"{len(text)} characters, {len(model.characters)} distinct; {args.epochs} epochs")

    def on_epoch(report):
        print(f"Epoch {report.epoch - 1}. Loss: {math.log(report.perplexity):.6f}")
        if diverged(report.perplexity, len(model.characters)):
            raise ValueError(f"training diverged in epoch {report.epoch - 1} (loss "
                             f"{math.log(report.perplexity):g}, worse than guessing among "
                             f"{len(model.characters)} characters); nothing was saved: lower "
                             "--learning-rate")
        if args.sample_chars > 0:  # model.sample, printed as it is drawn
            print_stream(straight_dope.stream_chars(prefix, args.sample_chars, model.params,
                                                    model.characters, args.temperature,
                                                    model.rng, model.ctx))

    straight_dope.train_model(model, text, args.epochs, args.learning_rate, args.seq_length,
                              args.batch_size, on_epoch=on_epoch)
    straight_dope.save_char_rnn(args.out, model.params, model.characters)
    print(f"wrote {args.out}")
    return 0


def _cmd_sd_sample(args) -> int:
    import numpy as np

    from ..tutorials.straight_dope import load_char_rnn, stream_chars

    params, chars = load_char_rnn(args.model)
    print_stream(stream_chars(args.prefix, args.num_chars, params, chars, args.temperature,
                              np.random.RandomState(args.seed)))
    return 0


ADD = (_add_chapter, _add_kernel, _add_data, _add_rnnlm, _add_straight_dope)
