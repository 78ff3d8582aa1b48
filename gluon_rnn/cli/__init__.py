"""The ``gluon-rnn`` command line: parsing, progress and printing, nothing else.

    gluon-rnn compare   train the chapter's RNN with random and consecutive partitioning
    gluon-rnn train     train a char- or word-level model (scratch, RNN, GRU, LSTM), resumable
    gluon-rnn generate  continue a prefix with a trained model
    gluon-rnn launch    run gluon-rnn train as the workers of a dist_sync job (127.0.0.1)
    gluon-rnn chapter   run an unmodified chapter (script, book page, notebook) of the MXNet books
    gluon-rnn kernel    install the Jupyter kernel in which the books' notebooks run unmodified
    gluon-rnn data      show where each data file is found (or fetch it)
    gluon-rnn rnnlm     the WildML word-level RNNLM: train, generate
    gluon-rnn straight-dope   The Straight Dope char-RNN: train, sample
"""
from __future__ import annotations

import argparse
import difflib
import logging
import sys
from typing import List, Optional

from .._checks import is_mxnet_error, one_line_reason
from ..signals import ChapterTerminated, Terminated, stops_raise
from ._args import EXIT_USAGE
from .training import COMMANDS as _TRAINING
from .tutorials import COMMANDS as _TUTORIALS

COMMANDS = {**_TRAINING, **_TUTORIALS}


class Parser(argparse.ArgumentParser):
    """argparse's parser, except that a usage error is one line, as every other error of
    the command is (argparse prints the whole usage block first): what was wrong, and
    where the options are listed."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (`{self.prog} --help` lists "
                              "the options)\n")


def build_parser(only: Optional[str] = None) -> argparse.ArgumentParser:
    """The whole command line, or, with ``only``, every command listed but only that one's
    options built: each command's options come from a configuration of the library, and
    ``gluon-rnn --help`` (or any other command) should not import them all (and MXNet)."""
    parser = Parser(
        prog="gluon-rnn",
        description="Four classic RNN language-model tutorials on MXNet 1.9.1 + Gluon.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command_name", metavar="COMMAND")
    sub.required = True
    for name, (help_text, add) in COMMANDS.items():
        if only is None or name == only:
            add(sub)
        else:
            sub.add_parser(name, help=help_text)
    return parser


def _command_named(argv: List[str]) -> Optional[str]:
    """The command ``argv`` asks for (the first word that is not an option), when it is one."""
    words = [word for word in argv if not word.startswith("-")]
    return words[0] if words and words[0] in COMMANDS else None


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    from .. import __version__

    try:
        mxnet = version("mxnet")
    except PackageNotFoundError:
        mxnet = "not installed"
    return f"gluon-rnn {__version__} (mxnet {mxnet}, Python {sys.version.split()[0]})"


def parse(parser: argparse.ArgumentParser, argv: Optional[List[str]]) -> argparse.Namespace:
    """``parser.parse_args``, except that an unknown option is reported by the command
    it was given to (its own usage line), with the nearest known option suggested, and
    a missing positional named by ``needs`` is reported too."""
    words = [word for word in (sys.argv[1:] if argv is None else argv) if not word.startswith("-")]
    if words and words[0] not in COMMANDS:  # argparse lists the choices; say which was meant
        near = difflib.get_close_matches(words[0], list(COMMANDS), n=1)
        if near:
            parser.error(f"unknown command {words[0]!r} (did you mean {near[0]}?)")
    args, extras = parser.parse_known_args(argv)
    command = _subparser(parser, args)
    if extras:
        option = extras[0].split("=")[0]
        known = [flag for action in command._actions for flag in action.option_strings]
        near = difflib.get_close_matches(option, known, n=1)
        command.error(f"unrecognized arguments: {' '.join(extras)}"
                      + (f" (did you mean {near[0]}?)" if near else ""))
    missing = [name for name in getattr(args, "needs", ()) if getattr(args, name) is None]
    if missing:
        command.error(f"the following arguments are required: {', '.join(missing)}")
    return args


def _subparser(parser: argparse.ArgumentParser, args) -> argparse.ArgumentParser:
    """The deepest (sub)command parser ``args`` went through."""
    while True:
        chosen = [action for action in parser._actions
                  if isinstance(action, argparse._SubParsersAction)]
        name = getattr(args, chosen[0].dest, None) if chosen else None
        if not isinstance(name, str) or name not in chosen[0].choices:
            return parser
        parser = chosen[0].choices[name]


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of ``gluon-rnn``; returns the exit status (2 for bad input, 130 when
    interrupted and 143 when terminated, even while MXNet is still loading)."""
    try:
        with stops_raise():
            return _main(argv)
    except (Terminated, ChapterTerminated) as stop:
        _quiet_half_built_arrays()
        print(f"gluon-rnn: terminated (SIGTERM){_saved(stop)}", file=sys.stderr)
        return 143
    except KeyboardInterrupt as stop:
        _quiet_half_built_arrays()
        print(f"gluon-rnn: interrupted{_saved(stop)}", file=sys.stderr)
        return 130


def _quiet_half_built_arrays() -> None:
    """A stop that lands inside MXNet's NDArray constructor leaves an object without a
    handle, whose ``__del__`` then fails ("Exception ignored ... no attribute 'handle'")
    when it is collected: after the stop's one line, such noise from MXNet's destructors
    is dropped; anything else unraisable is shown as Python shows it."""
    shown = sys.unraisablehook

    def hook(unraisable) -> None:
        where = getattr(unraisable.object, "__qualname__", "")
        module = getattr(unraisable.object, "__module__", "") or ""
        if where.endswith("__del__") and module.startswith("mxnet"):
            return
        shown(unraisable)

    sys.unraisablehook = hook


def _saved(stop: BaseException) -> str:
    """What a stopped command saved (signals.saving_when_stopped), said after the stop."""
    saved = getattr(stop, "saved", None)
    return f"; saved what it had so far: {', '.join(map(str, saved))}" if saved else ""


def _main(argv: Optional[List[str]]) -> int:
    from ..blas import check_thread_count, configure_blas

    try:
        check_thread_count()
    except ValueError as err:  # MXNet would abort or crash on it when it loads
        print(f"gluon-rnn: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    if sys.stdout is None:  # started with stdout closed (`gluon-rnn ... >&-`)
        print("gluon-rnn: error: standard output is closed, and the command prints its results "
              "there: redirect it to a file, or to /dev/null to discard them", file=sys.stderr)
        return EXIT_USAGE
    configure_blas()  # before anything loads mxnet
    _replace_what_cannot_be_shown()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse(build_parser(_command_named(argv) or ""), argv)  # "": none built
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except BrokenPipeError:  # the reader went away (`gluon-rnn generate ... | head`): stop quietly
        _silence_stdout()
        return 141  # as a shell reports a process ended by SIGPIPE
    except (ValueError, OSError, OverflowError) as err:  # bad input, missing or unwritable files
        print(f"gluon-rnn: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError as err:
        print(f"gluon-rnn: error: {_memory(err)}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as err:  # MXNet's own errors, as one line
        if not is_mxnet_error(err):
            raise
        print(f"gluon-rnn: error: {_mxnet_refusal(err)}", file=sys.stderr)
        _quiet_mxnet_shutdown()
        return EXIT_USAGE


def _replace_what_cannot_be_shown() -> None:
    """A terminal (or PYTHONIOENCODING) that cannot show a character the output holds
    (a table's ±, a sample's letters) gets a replacement character, not a
    UnicodeEncodeError that ends the command after its work."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):  # not a text stream of io's
            pass


MXNET_ENGINES = ("NaiveEngine", "ThreadedEngine", "ThreadedEnginePerDevice")


def _mxnet_refusal(err: BaseException) -> str:
    """MXNet's error as one line, naming the setting of the user's it comes from."""
    import os

    line = one_line_reason(err)
    engine = os.environ.get("MXNET_ENGINE_TYPE")
    if engine is not None and "Engine" in line:
        return (f"MXNET_ENGINE_TYPE={engine!r} names no engine of MXNet's ({line}): set it to "
                f"one of {', '.join(MXNET_ENGINES)}, or unset it")
    return f"MXNet refused the input: {line}"


def _quiet_mxnet_shutdown() -> None:
    """MXNet's exit hook raises the same error again when its engine could not start (an
    unknown MXNET_ENGINE_TYPE, an allocation that failed): after the one line said it, the
    hook's traceback would say it twice."""
    import atexit

    base = sys.modules.get("mxnet.base")
    hook = getattr(base, "_notify_shutdown", None)
    if hook is None:
        return
    atexit.unregister(hook)

    def quietly() -> None:
        try:
            hook()
        except Exception:  # already reported, once
            pass

    atexit.register(quietly)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush does not fail again
    (Python's documented advice for SIGPIPE)."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _memory(err: MemoryError) -> str:
    return ("not enough memory for the sizes asked for" + (f" ({err})" if str(err) else "")
            + "; choose smaller sizes (hidden units, layers, vocabulary, batch)")


if __name__ == "__main__":
    sys.exit(main())
