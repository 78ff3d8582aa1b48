"""``gluon-rnn chapter``, ``kernel``, ``data``, ``rnnlm`` (WildML) and ``straight-dope``:
parsing and printing; the work, the defaults and the policies are the library's (the
tutorials' configurations give the options)."""
from __future__ import annotations

import argparse
import math
from pathlib import Path

from ._args import (
    actions,
    add_options,
    command,
    config_from,
    config_rows,
    positive_float,
    print_stream,
)


def _add_chapter(sub) -> None:
    from ..books.generations import FACADES

    p = command(
        sub, "chapter", "run an unmodified chapter (script, book page or notebook) of the "
                        "MXNet-era d2l books",
        description="Run CHAPTER with `import d2l`, `from d2l import mxnet`, `import d2lzh` and "
                    "`import gluonbook` resolving to the facade of the helper it was written "
                    "for, read from its code: d2l 1.0.3 (the 1.0 book's classes) or 0.17.6 "
                    "(`from d2l import mxnet`), d2l 0.12.0 (also serving 0.11.1: `import d2l` "
                    "with mxnet's np/npx), d2l 0.8.7 (the 4-tuple API) or 0.9.2 (`import "
                    "d2l`), d2lzh 1.0.0, gluonbook 0.7.1; --d2l chooses. A .py script runs "
                    "as __main__ with ARGS as its command line; a .md "
                    "book page runs its {.python .input} cells in order in IPython; a .ipynb "
                    "notebook runs in a Jupyter kernel and is written back executed.")
    add_options(p, [
        (("script",), dict(nargs="?", metavar="CHAPTER",
                           help="the chapter: a .py script, a .md book page or a .ipynb "
                                "notebook")),
        (("--d2l",), dict(choices=tuple(FACADES), default=None,
                          help="the d2l generation to bind `import d2l` to (default: the one the "
                               "chapter's code shows; 0.9.2 when it shows none)")),
        (("--output",), dict(default=None, help="notebooks: where the executed notebook is "
                                                "written (default: NAME.executed.ipynb beside "
                                                "it)")),
        (("--figures",), dict(default=None, metavar="DIR",
                              help="scripts and pages: write each figure as DIR/NAME-N.png "
                                   "(default: figures are counted, not shown)")),
        (("--timeout",), dict(type=positive_float, default=None, metavar="SECONDS",
                              help="notebooks: stop (and report) a cell that runs longer than "
                                   "this (default: no bound, as in Jupyter)")),
        (("--ctx",), dict(choices=("auto", "cpu", "gpu"), default="auto",
                          help="where the chapter's GPU contexts (mx.gpu(0), ...) run: auto "
                               "(on the CPU when MXNet sees no GPU), cpu (always), gpu "
                               "(never mapped)")),
        (("script_args",), dict(nargs=argparse.REMAINDER, metavar="ARGS",
                                help="arguments for a script (optional; options of chapter "
                                     "itself go before CHAPTER)")),
    ], _chapter)
    p.set_defaults(needs=("script",))


def _chapter(args) -> int:
    from ..books.chapter import run_chapter
    return run_chapter(args.script, args.script_args, args.d2l, args.output, args.figures,
                       args.timeout, args.ctx)


def _add_kernel(sub) -> None:
    p = command(
        sub, "kernel", "install the Jupyter kernel in which the books' notebooks run unmodified",
        description="Install the Jupyter kernel 'Python 3 (gluon-rnn: d2l books)'. In it "
                    "`import d2l`, `from d2l import mxnet as d2l` and `import d2lzh` give the "
                    "facade of the generation each notebook's code needs (%%d2l shows it). "
                    "By default it goes into your own Jupyter folder, which every Jupyter you "
                    "start finds, whichever environment it is installed in.")
    p.add_argument("action", choices=("install",), help="install the kernelspec")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", default=True,
                       help="into your own Jupyter folder (the default)")
    where.add_argument("--sys-prefix", action="store_true",
                       help="into this environment's share/jupyter/kernels (for a Jupyter "
                            "installed in it only)")
    where.add_argument("--prefix", default=None, help="into PREFIX/share/jupyter/kernels")
    p.add_argument("--data", metavar="DIR", default=None,
                   help="the folder holding the corpora, recorded in the kernel (a Jupyter "
                        "started from a desktop has no GLUON_RNN_DATA; default: "
                        "$GLUON_RNN_DATA when set)")
    p.add_argument("--default", action="store_true",
                   help="also make it the kernel the Jupyter of this environment (or of "
                        "--prefix) starts for a notebook that names none, without asking "
                        "(make jupyter does)")
    p.set_defaults(func=_cmd_kernel)


def _cmd_kernel(args) -> int:
    import sys

    from ..books.kernel import (
        DISPLAY_NAME,
        data_folder,
        install_kernel,
        make_default,
        replaced_environment,
    )

    if args.prefix is not None and not args.prefix.strip():  # Jupyter would install system-wide
        raise ValueError("--prefix names no folder: give the prefix to install under, or leave "
                         "it out to install into your own Jupyter folder")
    data = data_folder(args.data)
    prefix = sys.prefix if args.sys_prefix else args.prefix
    other = replaced_environment(user=prefix is None, prefix=prefix)
    where, removed = install_kernel(user=prefix is None, prefix=prefix, data=data)
    print(f"installed the kernel '{DISPLAY_NAME}' in {where}")
    if other:  # one kernel name for every checkout: the last install is the one Jupyter runs
        print(f"it replaces the kernel of another environment ({other}): notebooks now run "
              f"with {sys.executable}; run `gluon-rnn kernel install` there to switch back")
    for folder in removed:
        print(f"removed the per-generation kernel of an earlier version: {folder}")
    print(f"data: {data}" if data else
          "data: none recorded; notebooks look in ./data, ../data and the cache "
          "(pass --data DIR to record a folder)")
    if args.default:
        make_default(args.prefix)
        print(f"the Jupyter of {args.prefix or sys.prefix} starts it for a notebook that "
              "names no kernel, without asking")
    else:
        print("in Jupyter, choose this kernel for the books' notebooks (Kernel > Change "
              "Kernel), or install it with --default to make it the one started unasked")
    return 0


def _add_data(sub) -> None:
    from ..data.resolve import DATA_FILES

    p = command(
        sub, "data", "show where each data file is found, or fetch one",
        description="List every known data file with the place the resolver finds it "
                    "($GLUON_RNN_DATA, ./data, ../data, the cache), or download one into the "
                    "cache.")
    add_options(p, [
        (("--fetch",), dict(choices=sorted(DATA_FILES), action="append",
                            help="download this file into the cache when it is not found "
                                 "locally")),
        (("--into",), dict(default=None, metavar="FOLDER",
                           help="copy every data file found (or fetched) into FOLDER, e.g. "
                                "../data for the book pages that open ../data/<file>")),
        (("--layout",), dict(choices=("book", "straight-dope"), default="book",
                             help="with --into: book (every file in FOLDER, as ../data) or "
                                  "straight-dope (FOLDER/data/nlp/..., where The Straight "
                                  "Dope's notebooks look)")),
        (("--use",), dict(default=None, metavar="FOLDER",
                          help="record FOLDER as the data folder of every entry point (the "
                               "commands, chapters, notebooks and the kernel), in your "
                               "gluon-rnn settings")),
    ], _cmd_data)


def _cmd_data(args) -> int:
    from ..data.resolve import available, copy_into, resolve
    from ..data.settings import record_data_folder

    if args.use is not None:
        if not args.use.strip():
            raise ValueError("--use names no folder: give the folder holding the data files")
        settings = record_data_folder(args.use)
        print(f"recorded {Path(args.use).expanduser().resolve()} as the data folder (in "
              f"{settings}): the commands, chapters, notebooks and the kernel look there, "
              "after $GLUON_RNN_DATA")

    for name in args.fetch or ():
        print(f"{name}: {resolve(name)}")
    if args.into is not None and args.layout == "straight-dope":
        from ..data.layout import lay_out
        from ..tutorials.straight_dope.layout import STRAIGHT_DOPE_LAYOUT

        for inside, where in lay_out(args.into, STRAIGHT_DOPE_LAYOUT):
            print(f"{inside:<28} {where}")
    elif args.into is not None:
        for name, where in copy_into(args.into, args.fetch or None):
            print(f"{name:<28} {where}")
    elif not args.fetch and args.use is None:
        for name, where in available():
            print(f"{name:<28} {where}")
    return 0


def _rnnlm_train_options():
    from ..tutorials.wildml.workflow import RNNLMConfig

    return config_rows(RNNLMConfig) + [
        (("--out",), dict(default="runs/rnnlm/model.npz", help="model file to write")),
        (("--overwrite",), dict(action="store_true", help="replace an existing model file")),
        (("--no-progress",), dict(action="store_true", help="no progress bar")),
    ]


def _rnnlm_generate_options():
    from ..tutorials.wildml.workflow import SentenceConfig

    return [(("--model",), dict(required=True, help="model file (npz with U, V, W)")),
            (("--vocab",), dict(default=None, help="vocabulary JSON (default: "
                                                   "MODEL.vocab.json)"))] \
        + config_rows(SentenceConfig)


def _add_rnnlm(sub) -> None:
    actions(sub, "rnnlm", "the WildML word-level RNN language model: train, generate",
            "The WildML RNNLM tutorial (numpy + Theano) on MXNet.", [
                ("train", "train on a CSV (body column) or text file",
                 "Tokenise, build the vocabulary, train with SGD (halving the learning rate "
                 "when the loss rises), save MODEL and MODEL.vocab.json.",
                 _rnnlm_train_options(), _cmd_rnnlm_train),
                ("generate", "print sentences sampled from a model",
                 "Sample sentences from SENTENCE_START to SENTENCE_END, never emitting "
                 "UNKNOWN_TOKEN.", _rnnlm_generate_options(), _cmd_rnnlm_generate)])


def _cmd_rnnlm_train(args) -> int:
    from ..tutorials.wildml.workflow import RNNLMConfig, train_rnnlm

    config = config_from(RNNLMConfig, args)
    model, _ = train_rnnlm(config, args.out, progress=not args.no_progress,
                           overwrite=args.overwrite)
    print(f"wrote {args.out} ({model.word_dim} words, {model.hidden_dim} hidden) and its "
          "vocabulary")
    return 0


def _cmd_rnnlm_generate(args) -> int:
    from ..tutorials.wildml.workflow import SentenceConfig, iter_sentences

    for sentence in iter_sentences(args.model, config_from(SentenceConfig, args), args.vocab):
        print(sentence, flush=True)
    return 0


def _straight_dope_train_options():
    from ..tutorials.straight_dope import CharRNNConfig

    return config_rows(CharRNNConfig) + [
        (("--out",), dict(default="runs/straight-dope/model.npz", help="model file to write")),
        (("--overwrite",), dict(action="store_true", help="replace an existing model file")),
    ]


def _straight_dope_sample_options():
    from ..tutorials.straight_dope import SampleConfig

    return [(("--model",), dict(required=True, help="model file written by train"))] \
        + config_rows(SampleConfig)


def _add_straight_dope(sub) -> None:
    actions(sub, "straight-dope", "The Straight Dope character RNN: train, sample",
            "The Straight Dope char-RNN (MXNet nd + autograd from scratch).", [
                ("train", "train on a character corpus",
                 "Train, halving the learning rate every 100 epochs; print the moving-average "
                 "loss and a sample after each epoch; save MODEL.",
                 _straight_dope_train_options(), _cmd_sd_train),
                ("sample", "sample text from a trained model",
                 "Sample characters from a model written by `straight-dope train`, one at a "
                 "time at --temperature.", _straight_dope_sample_options(), _cmd_sd_sample)])


def _cmd_sd_train(args) -> int:
    from ..tutorials import straight_dope as sd

    config = config_from(sd.CharRNNConfig, args)
    sd.check_model_file(args.out, args.overwrite)  # before the corpus is read
    text = sd.load_char_corpus(config.corpus)[:config.max_chars]
    model = sd.new_model(text, config.num_hidden, config.seed)
    prefix = model.usable_prefix(config.prefix, text)
    print(f"{len(text)} characters, {len(model.characters)} distinct; {config.epochs} epochs")

    def on_epoch(report):
        print(f"Epoch {report.epoch - 1}. Loss: {math.log(report.perplexity):.6f}")
        if config.sample_chars > 0:  # model.sample, printed as it is drawn
            print_stream(sd.stream_chars(prefix, config.sample_chars, model.params,
                                         model.characters, config.temperature, model.rng,
                                         model.ctx))

    sd.train_model(model, text, config, on_epoch=on_epoch, save_to=args.out,
                   overwrite=args.overwrite)
    print(f"wrote {args.out}")
    return 0


def _cmd_sd_sample(args) -> int:
    import numpy as np

    from ..tutorials.straight_dope import SampleConfig, load_char_rnn, stream_chars

    config = config_from(SampleConfig, args)
    params, chars = load_char_rnn(args.model)
    print_stream(stream_chars(config.prefix, config.num_chars, params, chars, config.temperature,
                              np.random.RandomState(config.seed)))
    return 0


COMMANDS = {  # name: (help line, adder)
    "chapter": ("run an unmodified chapter (script, book page or notebook) of the MXNet-era d2l "
                "books", _add_chapter),
    "kernel": ("install the Jupyter kernel in which the books' notebooks run unmodified",
               _add_kernel),
    "data": ("show where each data file is found, or fetch one", _add_data),
    "rnnlm": ("the WildML word-level RNN language model: train, generate", _add_rnnlm),
    "straight-dope": ("The Straight Dope character RNN: train, sample", _add_straight_dope),
}
