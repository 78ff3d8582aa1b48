"""``gluon-rnn chapter``, ``data``, ``rnnlm`` (WildML) and ``straight-dope``: parsing and
printing; the work is the tutorials' own."""
from __future__ import annotations

import argparse
import math
from typing import Sequence

from .._files import claim_output
from ._args import actions, command, positive_float, positive_int


def _add_chapter(sub) -> None:
    p = command(
        sub, "chapter", "run an unmodified d2l (MXNet) chapter script on d2l_compat",
        description="Run SCRIPT as __main__ with `import d2l` resolving to d2l_compat, "
                    "passing ARGS as its command line.")
    p.add_argument("script", nargs="?", help="path of the chapter's Python script")
    p.add_argument("script_args", nargs=argparse.REMAINDER, metavar="ARGS",
                   help="arguments for the script (optional)")
    p.set_defaults(func=lambda args: _chapter(args.script, args.script_args), needs=("script",))


def _chapter(script: str, script_args: Sequence[str]) -> int:
    from ..chapter import run_chapter
    return run_chapter(script, script_args)


def _add_data(sub) -> None:
    from ..data.resolve import DATA_FILES

    p = command(
        sub, "data", "show where each data file is found, or fetch one",
        description="List every known data file with the place the resolver finds it "
                    "($GLUON_RNN_DATA, ./data, ../data, the cache), or download one into the cache.")
    p.add_argument("--fetch", choices=sorted(DATA_FILES), action="append",
                   help="download this file into the cache when it is not found locally")
    p.set_defaults(func=_cmd_data)


def _cmd_data(args) -> int:
    from ..data.resolve import DATA_FILES, available, resolve

    for name in args.fetch or ():
        print(f"{name}: {resolve(name)}")
    if not args.fetch:
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
    (("--bptt-truncate",), dict(type=int, default=4, help="BPTT truncation (steps)")),
    (("--model",), dict(choices=("numpy", "symbolic"), default="symbolic", help="implementation")),
    (("--epochs", "--num-epochs"), dict(type=positive_int, default=1,
                                        help="passes over the sentences")),
    (("--learning-rate", "--lr"), dict(type=positive_float, default=0.005,
                                       help="SGD learning rate")),
    (("--evaluate-loss-after",), dict(type=positive_int, default=1,
                                      help="epochs between loss reports")),
    (("--max-sentences",), dict(type=positive_int, default=None,
                                help="train on the first N sentences only")),
    (("--seed",), dict(type=int, default=10, help="seed of the initial parameters")),
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
    (("--seed",), dict(type=int, default=None, help="sampling seed (repeatable output)")),
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
    from ..tutorials.wildml.workflow import generate

    for sentence in generate(args.model, args.num_sentences, args.vocab, "numpy",
                             args.min_length, args.max_length, args.seed):
        print(sentence)
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
    (("--sample-chars",), dict(type=int, default=200,
                               help="characters sampled after each epoch (0: none)")),
    (("--temperature",), dict(type=positive_float, default=.1, help="sampling temperature")),
    (("--seed",), dict(type=int, default=1, help="seed for parameters and sampling")),
    (("--out",), dict(default="runs/straight-dope/model.npz", help="model file to write")),
    (("--overwrite",), dict(action="store_true", help="replace an existing model file")),
]
STRAIGHT_DOPE_SAMPLE = [
    (("--model",), dict(required=True, help="model file written by train")),
    (("--prefix",), dict(default="The ", help="text to start from")),
    (("--num-chars",), dict(type=positive_int, default=500, help="characters to sample")),
    (("--temperature",), dict(type=positive_float, default=1.0,
                              help="low: sharper, high: noisier")),
    (("--seed",), dict(type=int, default=None, help="sampling seed (repeatable output)")),
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
    from ..tutorials import straight_dope

    claim_output(args.out, args.overwrite, "a model")
    text = straight_dope.load_char_corpus(args.corpus)[:args.max_chars]
    model = straight_dope.new_model(text, args.num_hidden, args.seed)
    prefix = model.usable_prefix(args.prefix, text)
    print(f"{len(text)} characters, {len(model.characters)} distinct; {args.epochs} epochs")

    def on_epoch(report):
        print(f"Epoch {report.epoch - 1}. Loss: {math.log(report.perplexity):.6f}")
        if args.sample_chars > 0:
            print(model.sample(prefix, args.sample_chars, args.temperature))

    straight_dope.train_model(model, text, args.epochs, args.learning_rate, args.seq_length,
                              args.batch_size, on_epoch=on_epoch)
    straight_dope.save_char_rnn(args.out, model.params, model.characters)
    print(f"wrote {args.out}")
    return 0


def _cmd_sd_sample(args) -> int:
    import numpy as np

    from ..tutorials.straight_dope import load_char_rnn, sample_chars

    params, chars = load_char_rnn(args.model)
    print(sample_chars(args.prefix, args.num_chars, params, chars, args.temperature,
                       np.random.RandomState(args.seed)))
    return 0


ADD = (_add_chapter, _add_data, _add_rnnlm, _add_straight_dope)
