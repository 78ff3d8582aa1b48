"""How this process stops when asked: Ctrl-C (SIGINT) raises ``KeyboardInterrupt``, as
Python does; SIGTERM (``kill``, ``timeout``, a scheduler) raises :class:`Terminated`, a
``KeyboardInterrupt`` too, so every clean stop written for Ctrl-C serves both, and the
command line can tell them apart (exit 130 and 143, as a shell reports each). While a
reader's chapter runs, SIGTERM keeps its meaning for the reader's code instead
(:class:`ChapterTerminated`: no ``except KeyboardInterrupt`` of theirs catches it)."""
from __future__ import annotations

import contextlib
import os
import signal
import threading
from pathlib import Path
from typing import Callable, Iterator, List, Optional


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C's ``KeyboardInterrupt`` would be."""


class ChapterTerminated(BaseException):
    """SIGTERM while a reader's chapter (a script or a book page) runs. Python's default
    ends a script at once, whatever the script catches; this is raised instead, and is
    neither a ``KeyboardInterrupt`` (a reader's ``except KeyboardInterrupt`` must not
    catch a SIGTERM, as it cannot under ``python script.py``) nor an ``Exception``: the
    chapter stops, the runner's own clean-up runs, the command ends with 143."""


def _sent_again_later(signum: int, frame) -> bool:
    """A stop raised inside an object's finalizer (``__del__``, which MXNet's arrays run
    on every collection) is dropped by Python ("Exception ignored in ..."): such a signal
    is sent again 10 ms later, once the finalizer has returned. True when it was."""
    if frame is None or frame.f_code.co_name != "__del__":
        return False
    threading.Timer(0.01, os.kill, (os.getpid(), signum)).start()
    return True


def _terminate(signum, frame) -> None:
    if not _sent_again_later(signum, frame):
        raise Terminated


def _interrupt(signum, frame) -> None:
    if not _sent_again_later(signum, frame):
        raise KeyboardInterrupt


def _end_chapter(signum, frame) -> None:
    if not _sent_again_later(signum, frame):
        raise ChapterTerminated


@contextlib.contextmanager
def handled(handler: Callable, signals=(signal.SIGTERM,)) -> Iterator[None]:
    """``handler(signum, frame)`` for ``signals`` within the block, the previous handlers
    after it; outside the main thread (where Python allows no handler) nothing changes."""
    try:
        previous = {signum: signal.signal(signum, handler) for signum in signals}
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def sigterm_raises() -> contextlib.AbstractContextManager:
    """SIGTERM raises :class:`Terminated` within the block."""
    return handled(_terminate)


def stops_raise() -> contextlib.AbstractContextManager:
    """Within the block SIGTERM raises :class:`Terminated` and Ctrl-C ``KeyboardInterrupt``,
    as Python's own handler does, but never inside a finalizer (:func:`_sent_again_later`)."""
    return handled(lambda signum, frame: (_terminate if signum == signal.SIGTERM
                                          else _interrupt)(signum, frame),
                   (signal.SIGINT, signal.SIGTERM))


def sigterm_ends_chapter() -> contextlib.AbstractContextManager:
    """SIGTERM raises :class:`ChapterTerminated` within the block (a reader's chapter)."""
    return handled(_end_chapter)


def raise_for(signum: int) -> None:
    """Raise what ``signum`` raises under :func:`sigterm_raises` (or Python's default)."""
    raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt


@contextlib.contextmanager
def kept(signals=(signal.SIGINT, signal.SIGTERM)) -> Iterator[None]:
    """The handlers of ``signals`` as they were before the block, whatever code inside it
    (an event loop's own handlers) installed."""
    try:
        previous = {signum: signal.getsignal(signum) for signum in signals}
        yield
    finally:
        for signum, old in previous.items():
            try:
                signal.signal(signum, old)
            except (ValueError, TypeError):  # not the main thread; a handler set from C
                pass


@contextlib.contextmanager
def saving_when_stopped(save: Callable[[], Optional[List[Path]]]) -> Iterator[None]:
    """On Ctrl-C or SIGTERM within the block, ``save()`` what the work has so far (it
    returns the files written, or None when nothing is worth keeping) and re-raise the
    same stop, its ``saved`` attribute naming those files for whoever reports it."""
    try:
        yield
    except KeyboardInterrupt as stop:
        saved = save()
        if saved:
            stop.saved = saved  # type: ignore[attr-defined]
        raise
