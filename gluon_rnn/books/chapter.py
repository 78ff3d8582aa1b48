"""Running an unmodified chapter of the MXNet-era books: a script (``.py``, as ``python
script.py`` runs it), a book page (d2lbook markdown, ``.md``, in IPython's shell:
:mod:`~gluon_rnn.books.pages`) or a notebook (``.ipynb``, in a Jupyter kernel:
:mod:`~gluon_rnn.books.notebooks`), with ``import d2l`` and ``import d2lzh`` bound to
the facade of the helper generation the chapter was written for
(:mod:`~gluon_rnn.books.generations`).

A chapter's own failure looks as it would under ``python script.py`` or in Jupyter (its
own traceback, from its own frame); a chapter whose code opens ``../data/<file>`` that
is not there gets one line naming the file and the command that puts it there. Options
that do not apply to the kind of chapter given are refused, not ignored.
"""
from __future__ import annotations

import ast
import builtins
import contextlib
import os
import sys
import types
from pathlib import Path
from typing import Iterator, Optional, Sequence

from .._files import regular_file
from ..data.resolve import read_file_text
from ..signals import ChapterTerminated, sigterm_ends_chapter
from .errors import exit_status, missing_data, print_traceback_from
from .figures import FigureSink
from .forwards import TracedForwards
from .generations import generation_of, helpers_bound
from .gpu_on_cpu import check_choice as check_ctx_choice
from .gpu_on_cpu import gpu_contexts_on_cpu
from .mxnet011 import mxnet_011_kept

KINDS = {".py": "a script", ".md": "a book page", ".ipynb": "a notebook"}


@contextlib.contextmanager
def _as_main(path: Path, argv: Sequence[str]) -> Iterator[None]:
    """``sys.argv`` is the chapter's and its folder leads ``sys.path``; both restored."""
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.argv = [str(path), *argv]
    sys.path.insert(0, str(path.parent))
    try:
        yield
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path


@contextlib.contextmanager
def _numpy_mode_kept() -> Iterator[None]:
    """MXNet's numpy mode as it was before the chapter (the 2020+ books' ``npx.set_np()``
    switches it for the whole process; the books before them use ``nd``)."""
    mxnet = sys.modules.get("mxnet")
    before = mxnet is not None and mxnet.util.is_np_array()
    try:
        yield
    finally:
        mxnet = sys.modules.get("mxnet")
        if mxnet is not None and mxnet.util.is_np_array() and not before:
            mxnet.npx.reset_np()


def _check_options(path: Path, argv: Sequence[str], output, figures, timeout=None) -> None:
    kind = KINDS.get(path.suffix)
    if kind is None:
        raise ValueError(f"{path} is not a chapter gluon-rnn can run: give a .py script, a .md "
                         "book page or a .ipynb notebook")
    if argv and path.suffix != ".py":
        raise ValueError(f"arguments after the chapter ({' '.join(argv)}) are a script's command "
                         f"line; {path.name} is {kind}, which takes none (chapter's own options "
                         "go before CHAPTER)")
    if output is not None and path.suffix != ".ipynb":
        raise ValueError(f"--output is where an executed notebook is written; {path.name} is "
                         f"{kind}, whose output is printed")
    if timeout is not None and path.suffix != ".ipynb":
        raise ValueError(f"--timeout bounds each cell of a notebook; {path.name} is {kind}, "
                         "which runs in this process (stop it with Ctrl-C)")
    if timeout is not None and not (isinstance(timeout, (int, float)) and 0 < timeout < 1e9):
        raise ValueError(f"--timeout must be a number of seconds above 0, got {timeout!r}")
    if figures is not None and path.suffix == ".ipynb":
        raise ValueError("--figures is for scripts and pages; a notebook keeps its figures in "
                         "the executed notebook (--output)")


def run_chapter(path: os.PathLike, argv: Sequence[str] = (), d2l: Optional[str] = None,
                output: Optional[os.PathLike] = None,
                figures: Optional[os.PathLike] = None, timeout: Optional[float] = None,
                ctx: str = "auto") -> int:
    """Run a chapter (script, book page or notebook) with its helper bound; return its
    exit status (0 when it ends normally). ``d2l`` chooses the d2l generation instead of
    the chapter's code; ``output`` is where an executed notebook is written; ``figures``
    a folder for the PNG files of a script's or page's figures; ``timeout`` the seconds
    each cell of a notebook may run (default: no bound, as in Jupyter); ``ctx`` whether the
    chapter's GPU contexts run on the CPU (:mod:`.gpu_on_cpu`: ``auto``, ``cpu``, ``gpu``)."""
    path = regular_file(path, "chapter")
    _check_options(path, argv, output, figures, timeout)
    os.environ.setdefault("MPLBACKEND", "Agg")  # chapter plots must not need a display
    check_ctx_choice(ctx)  # before anything runs (whether to map is decided where it runs)
    if path.suffix == ".ipynb":
        from .notebooks import run_notebook
        return run_notebook(path, d2l, output, timeout, ctx)
    # the folder as the reader named it from here, before the chapter changes directory
    sink = FigureSink(None if figures is None else Path(figures).absolute(), path.stem)
    try:
        with helpers_bound(_generation(path, d2l)), _as_main(path, argv), _numpy_mode_kept(), \
                sigterm_ends_chapter(), gpu_contexts_on_cpu(ctx), mxnet_011_kept():
            return _run_page(path, sink) if path.suffix == ".md" else _run_script(path, sink)
    finally:
        note = sink.summary()
        if note:
            print(note, file=sys.stderr)


def _generation(path: Path, requested: Optional[str]) -> str:
    source = read_file_text(path)
    if path.suffix == ".md":
        from .pages import page_cells

        cells = page_cells(source)
        if not cells:
            raise ValueError(f"{path} holds no {{.python .input}} cells: is it a d2lbook page?")
        source = "\n".join(code for _, code in cells)
    return generation_of(source, requested)


def _run_as_main(path: Path) -> None:
    """``python path`` in this process, as ``runpy.run_path`` runs it, with the chapter's
    own forward functions traced (:mod:`.forwards`): parsed, decorated, compiled."""
    with open(path, "rb") as file:  # bytes: the source's own encoding line decides
        tree = ast.parse(file.read(), filename=str(path))
    code = compile(ast.fix_missing_locations(TracedForwards().visit(tree)), str(path), "exec",
                   dont_inherit=True)  # not this module's __future__ annotations
    module = types.ModuleType("__main__")
    module.__dict__.update(__file__=str(path), __cached__=None, __loader__=None,
                           __package__="", __spec__=None, __builtins__=builtins)
    saved = sys.modules.get("__main__")
    sys.modules["__main__"] = module  # what pickle and the chapter's imports see
    try:
        exec(code, module.__dict__)
    finally:
        if saved is not None:
            sys.modules["__main__"] = saved


def _run_script(path: Path, figures: FigureSink) -> int:
    try:
        _run_as_main(path)
    except SystemExit as stop:
        return exit_status(stop.code)
    except (KeyboardInterrupt, ChapterTerminated):
        raise  # the command's stop: one line, 130 or 143
    except BaseException as err:  # the chapter's own error (any kind), shown as Python shows it
        missing = missing_data(err) if isinstance(err, Exception) else None
        if missing:
            raise FileNotFoundError(missing) from None
        print_traceback_from(str(path), err)
        return 1
    finally:
        figures.take_open_figures()
    return 0


def _run_page(path: Path, figures: FigureSink) -> int:
    from .pages import PageFailed, page_cells, run_page

    try:
        run_page(path, page_cells(read_file_text(path)), figures)
    except PageFailed as failed:
        missing = missing_data(failed.error) if failed.error is not None else None
        if missing:
            raise FileNotFoundError(missing) from None
        return failed.status
    return 0
