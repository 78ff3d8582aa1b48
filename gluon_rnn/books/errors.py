"""A chapter's own failures, shown as Python shows them: ``sys.exit`` statuses, tracebacks
from the chapter's own frame on, and one line (not a traceback) for data that are not
there (the books' data folder, or a file the resolver found nowhere)."""
from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Optional

from .._checks import without_mxnet_stack


def exit_status(code) -> int:
    """``sys.exit(code)`` as Python's own exit status (a message is printed, status 1)."""
    if code is None or isinstance(code, int):
        return code or 0
    print(code, file=sys.stderr)
    return 1


def print_traceback_from(filename: str, error: BaseException, tb=None) -> None:
    """The traceback from the first frame of ``filename`` on (the runner's frames dropped);
    an error raised before any of its code ran (a syntax error, a NUL byte in the file) as
    Python shows it: no frame, the file, line and caret where it has them. MXNet's errors
    end in their reason, without the C++ stack MXNet writes into the message."""
    tb = tb or error.__traceback__
    error = without_mxnet_stack(error)
    start = tb
    while start is not None and \
            Path(start.tb_frame.f_code.co_filename).resolve() != Path(filename).resolve():
        start = start.tb_next
    traceback.print_exception(type(error), error, _unhidden(start), file=sys.stderr)


def _unhidden(tb):
    """``tb`` less the frames between the chapter's that hide themselves
    (``__tracebackhide__``, IPython's and pytest's convention: the traced wrapper around
    a chapter's own function); the frame that raised is always shown."""
    frames = []
    while tb is not None:
        if tb.tb_next is None or not tb.tb_frame.f_locals.get("__tracebackhide__"):
            frames.append(tb)
        tb = tb.tb_next
    for before, after in zip(frames, frames[1:]):
        before.tb_next = after
    return frames[0] if frames else None


def missing_data(err: BaseException) -> Optional[str]:
    """For data that are not there, what to do (else None): the resolver's own short
    message, or, for a chapter that opened ``../data/<file>`` of a known data file
    itself, where to copy the files."""
    from ..data.resolve import DATA_FILES, MissingDataError

    if isinstance(err, MissingDataError):
        return str(err)
    name = getattr(err, "filename", None)
    if not isinstance(err, FileNotFoundError) or not name:
        return None
    wanted = Path(name)
    if wanted.name not in DATA_FILES or wanted.parent.name != "data":
        return None
    return (f"the chapter opens {name}, which is not there (it expects the book's data folder "
            f"at {wanted.parent.resolve()}); put the known data files there with: "
            f"gluon-rnn data --into {wanted.parent.resolve()}")
