"""The generated table of numeric values: every numeric option of every command (found
in the parser itself, so a new option joins the table by existing) gets 0, -1, nan,
inf, 1e308, 1e-320, 2**63 and a non-ASCII digit. Each outcome is one of:

* exit 0 with output and no traceback;
* exit 2 with one ``gluon-rnn...`` line and no traceback (``launch``: 1 when the job
  itself fails, e.g. a timeout too short to start it);
* still working at the deadline with sane output so far: the value asked for that
  much work (2**31 - 1 epochs), which Ctrl-C ends as usual.

A value the option's type refuses never gets past the parser, and every option of one
type refuses the same values with the same words: such a value is tried once per
(type, value), through one option of that type, and the type itself is checked on its
own; every value a type accepts is tried on every option of that type, where it reaches
the command. ``-m slow`` (``make test-slow``) adds boundary spellings, the largest
accepted integer among them, whose runs go on until the deadline."""
from __future__ import annotations

import argparse
import signal

import pytest

from conftest import require_data
from gluon_rnn.cli import _args, build_parser, main
from gluon_rnn.data.corpora import time_machine_text

VALUES = ("0", "-1", "nan", "inf", "1e308", "1e-320", str(2**63), "\u0663")
EXTRA = (str(2**31 - 1), str(2**31), "0x10", "1_000", " 3 ", "+1", "1e3", "-0", "\uff11")
NUMERIC = {_args.positive_int, _args.nonnegative_int, _args.any_int, _args.any_float,
           _args.positive_float}
DEADLINE_S = 6.0

# the fastest valid command line of each command; the option under test comes last
BASE = {
    "compare": "--epochs 1 --num-examples 1200 --valid-examples 300 --num-hiddens 8 "
               "--num-steps 5 --batch-size 4 --pred-len 3 --no-progress --out {out}",
    "train": "--corpus {corpus} --num-hiddens 8 --num-epochs 1 --num-steps 5 --batch-size 4 "
             "--pred-len 3 --no-progress --out {out}",
    "generate": "--checkpoint {checkpoint} --prefix the --num-chars 5",
    "launch": "-n 1 -s 1 --timeout 60 -- true",
    "rnnlm train": "--max-sentences 12 --vocabulary-size 60 --hidden-dim 4 --epochs 1 "
                   "--no-progress --out {out}/m.npz",
    "rnnlm generate": "--model {rnnlm} --num-sentences 1 --min-length 1 --seed 1",
    "straight-dope train": "--corpus {corpus} --epochs 1 --num-hidden 8 --seq-length 8 "
                           "--batch-size 4 --max-chars 600 --sample-chars 5 --out {out}/sd.npz",
    "straight-dope sample": "--model {sd} --prefix th --num-chars 5 --seed 1",
    "chapter": " -- {nb}",  # chapter's options go before CHAPTER
}


def numeric_options(parser: argparse.ArgumentParser, path=()):
    """``(command, flag, type)`` of every visible numeric option under ``parser``."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from numeric_options(sub, path + (name,))
        elif action.option_strings and action.help != argparse.SUPPRESS and \
                action.type is not None:
            yield " ".join(path), action.option_strings[0], action.type


KINDS = {(cmd, flag): kind for cmd, flag, kind in numeric_options(build_parser())
         if kind in NUMERIC}
OPTIONS = sorted(KINDS)


def _accepts(kind, value: str) -> bool:
    try:
        kind(value)
    except (argparse.ArgumentTypeError, ValueError):
        return False
    return True


def _tables(values):
    """Every (option, value) its type accepts, and one (option, value) per refusal of a
    type: the first option of that type stands for all of them."""
    reaching = [(cmd, flag, value) for cmd, flag in OPTIONS for value in values
                if _accepts(KINDS[cmd, flag], value)]
    first = {}
    for cmd, flag in OPTIONS:
        first.setdefault(KINDS[cmd, flag], (cmd, flag))
    refused = [(*first[kind], value) for kind in sorted(first, key=lambda k: k.__name__)
               for value in values if not _accepts(kind, value)]
    return reaching, refused


TABLE, REFUSED = _tables(VALUES)
SLOW_TABLE, SLOW_REFUSED = _tables(EXTRA)


def test_every_numeric_option_is_in_the_table():
    kinds = {(cmd, flag): kind for cmd, flag, kind in numeric_options(build_parser())}
    plain = sorted(key for key, kind in kinds.items() if kind in (int, float))
    assert not plain, f"options parsed by bare int/float (they read Unicode digits): {plain}"
    assert set(BASE) == {cmd for cmd, _ in OPTIONS}
    assert len(OPTIONS) >= 40 and ("train", "--num-hiddens") in OPTIONS


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    require_data('timemachine.txt', 'reddit-comments-2015-08.csv')
    root = tmp_path_factory.mktemp("table")
    corpus = root / "tm.txt"
    corpus.write_text(time_machine_text(3000))
    files = {"corpus": corpus, "checkpoint": root / "run" / "checkpoint.npz",
             "rnnlm": root / "rnnlm" / "m.npz", "sd": root / "sd.npz", "nb": root / "nb.ipynb"}
    import nbformat
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('ok')")]),
                   str(files["nb"]))
    for argv in (f"train --corpus {corpus} --num-hiddens 8 --num-epochs 1 --num-steps 5 "
                 f"--batch-size 4 --no-progress --out {root / 'run'}",
                 "rnnlm train --max-sentences 30 --vocabulary-size 60 --hidden-dim 4 --epochs 1 "
                 f"--no-progress --out {files['rnnlm']}",
                 f"straight-dope train --corpus {corpus} --epochs 1 --num-hidden 8 --seq-length 8 "
                 f"--batch-size 4 --max-chars 600 --sample-chars 0 --out {files['sd']}"):
        assert main(argv.split()) == 0, argv
    return files


class _Deadline(BaseException):
    """Raised by the alarm: the command was still working."""


def _run(argv, seconds: float):
    def alarm(signum, frame):
        raise _Deadline
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return main(argv)
    except SystemExit as stop:  # argparse's usage errors
        return stop.code
    except _Deadline:
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check_outcome(cmd: str, flag: str, value: str, made, tmp_path, capsys) -> None:
    out_dir = tmp_path / "out"
    base = BASE[cmd].format(out=out_dir, **{k: str(v) for k, v in made.items()})
    head, _, tail = base.partition(" -- ")  # launch: options before the worker command
    argv = cmd.split() + head.split() + [flag, value] + (["--", *tail.split()] if tail else [])
    code = _run(argv, DEADLINE_S)
    out, err = capsys.readouterr()
    case = f"{' '.join(argv)} -> {code}\nstdout: {out[-500:]}\nstderr: {err[-1500:]}"
    assert "Traceback" not in out + err, case
    if code == 0 or code is None:  # sane output, or visible progress (launch's `true` is mute)
        assert out.strip() or err.strip() or (cmd == "launch" and code == 0), case
        return
    assert code == 2 or (cmd == "launch" and code == 1), case
    lines = [line for line in err.strip().splitlines()
             if not line.startswith(("usage:", " ")) and line.strip()]
    assert len(lines) == 1 and lines[0].startswith("gluon-rnn"), case
    if out_dir.exists():  # a refused or failed run leaves no temporary files
        assert not list(out_dir.rglob("*.tmp")), case


def test_each_type_refuses_the_same_values_in_one_line_that_says_what_it_got():
    """What stands behind one refused case per (type, value): the type's own answer, the
    same for every option of that type, one line quoting the value."""
    for kind in NUMERIC:
        for value in VALUES + EXTRA:
            if _accepts(kind, value):
                continue
            with pytest.raises(argparse.ArgumentTypeError) as refused:
                kind(value)
            said = str(refused.value)
            assert len(said.splitlines()) == 1 and said.startswith("must ") and ", got " in said, \
                (kind.__name__, said)
    assert len(TABLE) + len(REFUSED) < len(OPTIONS) * len(VALUES) / 2  # the table shrank
    assert {KINDS[c, f] for c, f, _ in REFUSED} == set(KINDS.values())


@pytest.mark.parametrize("cmd, flag, value", TABLE + REFUSED,
                         ids=[" ".join(c) for c in TABLE + REFUSED])
def test_numeric_value_table(cmd, flag, value, made, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    check_outcome(cmd, flag, value, made, tmp_path, capsys)


@pytest.mark.slow
@pytest.mark.parametrize("cmd, flag, value", SLOW_TABLE + SLOW_REFUSED,
                         ids=[" ".join(c) for c in SLOW_TABLE + SLOW_REFUSED])
def test_numeric_boundary_table(cmd, flag, value, made, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    check_outcome(cmd, flag, value, made, tmp_path, capsys)
