"""Argument types and shared pieces of the ``gluon-rnn`` commands."""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from typing import Iterator

from .._checks import SMALLEST_NORMAL
from ..train.distributed import VERBOSE_WORKERS_ENV

EXIT_USAGE = 2


# Every integer option is bounded to what a C int holds: MXNet keeps sizes, shapes and
# seeds as 32-bit integers, and no count (epochs, characters, workers) needs more.
INT_MAX = 2**31 - 1


def _ascii(text: str) -> str:
    """``text`` unless it holds a non-ASCII character: ``int`` and ``float`` read any
    Unicode digit ("\u0663" is 3), which a user never means to type."""
    if not text.isascii():
        raise argparse.ArgumentTypeError(f"must be written with ASCII digits, got {text!r}")
    return text


def _int(text: str, low: int, what: str) -> int:
    try:
        value = int(_ascii(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
    if not low <= value <= INT_MAX:
        raise argparse.ArgumentTypeError(f"must be {what} (at most {INT_MAX}), got {text}"
                                         if value > INT_MAX else f"must be {what}, got {text}")
    return value


def positive_int(text: str) -> int:
    return _int(text, 1, "a positive integer")


def nonnegative_int(text: str) -> int:
    return _int(text, 0, "an integer >= 0")


def any_int(text: str) -> int:
    """An integer of either sign (its range is checked where it is used)."""
    return _int(text, -INT_MAX, "an integer")


def any_float(text: str) -> float:
    """A number as ``float`` reads it, ``nan`` and ``inf`` included: the configuration
    that uses it checks its range and names the option."""
    try:
        return float(_ascii(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None


def positive_float(text: str) -> float:
    value = any_float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    if value < SMALLEST_NORMAL:
        raise argparse.ArgumentTypeError(f"must be at least {SMALLEST_NORMAL:.3g} (smaller "
                                         f"numbers are subnormal, which MXNet refuses), got {text}")
    return value


def print_stream(pieces) -> None:
    """Print text pieces as they come (flushed about five times a second), then a newline:
    a long generation shows at once and never sits whole in memory."""
    import time

    last = time.monotonic()
    for piece in pieces:
        sys.stdout.write(piece)
        if time.monotonic() - last > 0.2:
            sys.stdout.flush()
            last = time.monotonic()
    print()


def progress(total: int, disable: bool, unit: str = "epoch"):
    """A progress bar on stderr: done of ``total`` ``unit``s, the rate and the time left."""
    from tqdm.auto import tqdm
    return tqdm(total=total, disable=disable, unit=unit, dynamic_ncols=True, file=sys.stderr)


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """argparse's formatter that shows each default once: not for options whose help
    already says it, nor a ``None`` that only means "not given"."""

    def _get_help_string(self, action) -> str:
        text = action.help or ""
        if "default" in text or any(action.default is v for v in (None, argparse.SUPPRESS, False)):
            return text
        main, also, aliases = text.partition(" (also ")
        return f"{main} (default: %(default)s)" + (f" (also {aliases}" if also else "")


def command(parent, name: str, help_text: str, description: str = "") -> argparse.ArgumentParser:
    """A (sub)command: its help line, its description (the help line when none is
    given) and every default shown once."""
    return parent.add_parser(name, help=help_text, formatter_class=HelpFormatter,
                             description=description or help_text[:1].upper() + help_text[1:] + ".")


def actions(sub, name: str, help_text: str, description: str, table) -> None:
    """A command with required actions (``gluon-rnn NAME ACTION``): one row of ``table``
    per action, ``(action, help, description, options, func)`` (see :func:`add_options`)."""
    parser = command(sub, name, help_text, description)
    choices = parser.add_subparsers(dest=f"{name}_action", metavar="ACTION")
    choices.required = True
    for action, action_help, action_description, options, func in table:
        add_options(command(choices, action, action_help, action_description), options, func)


def add_options(parser: argparse.ArgumentParser, options, func) -> argparse.ArgumentParser:
    """Add ``options`` (``(flags, keywords)`` rows; a row's first flag names it, the
    others are aliases) and the function that runs the command."""
    for flags, keywords in options:
        add_option(parser, flags, **keywords)
    parser.set_defaults(func=func)
    return parser


_PARSERS = {"count": positive_int, "count0": nonnegative_int, "int": any_int, "number": any_float,
            "rate": positive_float}


def config_rows(config_class, only=None, defaults=None, flags=None, given_only: bool = False,
                kinds=None):
    """``(flags, keywords)`` rows of :func:`add_options` for the described fields of a
    configuration (:mod:`gluon_rnn.options`): the library's help, defaults, kinds and
    other spellings. ``flags`` renames a field's options (``{"num_epochs": ("--epochs",
    "--num-epochs")}``) and ``kinds`` reads some more strictly (``{"lr": "rate"}``: at
    the command line, not in the configuration's own check); with ``given_only`` every
    default is ``None`` (so that what the
    user gave can be told apart: ``train --resume``) and the help says the real one. A
    field whose default is a tuple is repeatable (``--prefix A --prefix B``)."""
    from ..options import described

    rows = []
    for field in described(config_class, only, defaults):
        names = (flags or {}).get(field.name, (field.flag, *field.aliases))
        keywords = dict(help=field.help, dest=field.name, default=field.default)
        if field.kind == "switch":
            keywords.update(action="store_true", default=None if given_only else False)
        elif isinstance(field.default, tuple):
            keywords.update(action="append", default=None,
                            help=f"{field.help} (default: {list(field.default)})")
        else:
            keywords.update(type=_PARSERS.get((kinds or {}).get(field.name, field.kind), str))
        if field.choices:
            keywords["choices"] = field.choices
        if given_only and field.kind != "switch":
            keywords.update(default=None, help=f"{field.help} (default: {field.default})")
        rows.append((names, keywords))
    return rows


def config_from(config_class, args, defaults=None, **changes):
    """The configuration ``args`` describe: each described field the user gave (``None``
    and repeatable fields not given keep ``defaults``' or the class's own)."""
    import dataclasses

    base = defaults if defaults is not None else config_class()
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(config_class)
             if "help" in f.metadata and getattr(args, f.name, None) is not None}
    values = {k: tuple(v) if isinstance(getattr(base, k), tuple) else v for k, v in given.items()}
    return dataclasses.replace(base, **values, **changes)


def add_option(parser: argparse.ArgumentParser, flags, **keywords) -> None:
    """An option under its own name (``flags[0]``: the tutorial's), and each alias
    (the name the other commands use) as a second spelling that its help mentions;
    errors name the spelling the user typed."""
    name, *aliases = flags
    help_text = keywords.get("help", "")
    if aliases:
        keywords["help"] = f"{help_text} (also {', '.join(aliases)})".lstrip()
    action = parser.add_argument(name, **keywords)
    for alias in aliases:
        parser.add_argument(alias, **dict(keywords, dest=action.dest, help=argparse.SUPPRESS,
                                          default=argparse.SUPPRESS))




class _Labelled(io.TextIOBase):
    """A text stream that starts every line it passes on with ``label``. Each labelled
    line goes out in one write and is flushed at once: two workers share one pipe, and
    a write of a short line to a pipe is never split by another process's."""

    def __init__(self, stream, label: str) -> None:
        self._stream, self._label, self._partial = stream, label, ""

    def write(self, text: str) -> int:
        *lines, self._partial = (self._partial + text).split("\n")
        for line in lines:
            self._stream.write(f"{self._label}{line}\n")
            self._stream.flush()
        return len(text)

    def flush(self) -> None:
        if self._partial:
            self._stream.write(self._label + self._partial)
            self._partial = ""
        self._stream.flush()


@contextlib.contextmanager
def worker_output(rank: int, num_workers: int, no_progress: bool) -> Iterator[bool]:
    """Under ``gluon-rnn launch`` only worker 0 prints (with its progress bar), or, with
    ``--verbose-workers``, every worker prints with its lines labelled ``[worker RANK]``
    and no bars. Yields whether the progress bar is off."""
    if num_workers == 1 or (rank == 0 and not os.environ.get(VERBOSE_WORKERS_ENV)):
        yield no_progress
        return
    if os.environ.get(VERBOSE_WORKERS_ENV):
        with contextlib.redirect_stdout(_Labelled(sys.stdout, f"[worker {rank}] ")):
            yield True
        return
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        yield True
