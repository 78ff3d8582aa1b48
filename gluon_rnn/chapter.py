"""Running an unmodified chapter of the MXNet-era books: a script (``.py``), a book page
(d2lbook markdown, ``.md``) or a notebook (``.ipynb``, through
:mod:`gluon_rnn.notebooks`), with ``import d2l`` and ``import d2lzh`` bound to the
facade of the helper generation the chapter was written for:

    d2lzh                  always d2lzh_compat (the Chinese edition, d2lzh 1.0.0)
    d2l, 4-tuple API       d2l087_compat (the English book before April 2019, d2l 0.8.7)
    d2l                    d2l_compat (d2l 0.9.2), unless --d2l says otherwise
    from d2l import mxnet  the 2020+ books: not supported, one line says so

A chapter's own failure looks as it would under ``python script.py`` (its own
traceback, from its own frame); a page whose code opens ``../data/<file>`` that is
not there gets one line naming the file and the command that puts it there.
"""
from __future__ import annotations

import ast
import contextlib
import os
import re
import runpy
import sys
import traceback
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Tuple

from ._files import regular_file
from .helpers import code_only, generation_of, helpers_bound

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


def run_chapter(path: os.PathLike, argv: Sequence[str] = (), d2l: Optional[str] = None,
                output: Optional[os.PathLike] = None) -> int:
    """Run a chapter (script, book page or notebook) with its helper bound; return its
    exit status (0 when it ends normally). ``d2l`` chooses the d2l generation instead of
    the chapter's code; ``output`` is where an executed notebook is written."""
    path = regular_file(path, "chapter")
    os.environ.setdefault("MPLBACKEND", "Agg")  # chapter plots must not need a display
    if path.suffix == ".ipynb":
        from .notebooks import run_notebook
        return run_notebook(path, d2l, output)
    source = path.read_text(encoding="utf-8")
    cells = page_cells(source) if path.suffix == ".md" else [(1, source)]
    if path.suffix == ".md" and not cells:
        raise ValueError(f"{path} holds no {{.python .input}} cells: is it a d2lbook page?")
    generation = generation_of("\n".join(code for _, code in cells), d2l)
    with helpers_bound(generation), _as_main(path, argv):
        try:
            if path.suffix == ".md":
                _run_cells(path, cells)
            else:
                runpy.run_path(str(path), run_name="__main__")
        except SystemExit as stop:
            return _exit_status(stop.code)
        except Exception as err:  # noqa: BLE001 - the chapter's own error, shown as Python shows it
            missing = missing_book_data(err)
            if missing:
                raise FileNotFoundError(missing) from None
            _print_chapter_traceback(err, path)
            return 1
    return 0


_CELL = re.compile(r"^```\{\.python \.input[^}]*\}[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)


def page_cells(text: str) -> List[Tuple[int, str]]:
    """The ``{.python .input}`` cells of a d2lbook page, in order, as ``(line of the
    cell's first code line in the page, code)``."""
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in _CELL.finditer(text)]


def _run_cells(page: Path, cells: List[Tuple[int, str]]) -> None:
    """Run the cells in one ``__main__`` namespace, as a notebook would: each cell's
    last expression, when not ``None``, is shown (its ``repr``). Code is compiled with
    the page's own file name and line numbers, so a traceback points at the page."""
    namespace = {"__name__": "__main__", "__file__": str(page), "__builtins__": __builtins__}
    for first_line, code in cells:
        tree = ast.parse(code_only(code), filename=str(page))
        ast.increment_lineno(tree, first_line - 1)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, str(page), "exec"), namespace)
        if last is not None:
            _show(eval(compile(ast.Expression(last.value), str(page), "eval"), namespace))


def _show(value) -> None:
    """What IPython's display hook shows for a cell's value: nothing for ``None`` or an
    object that displays itself (``_ipython_display_``), else its ``repr``."""
    if value is None:
        return
    if hasattr(value, "_ipython_display_"):
        value._ipython_display_()
        return
    print(repr(value))


def missing_book_data(err: BaseException) -> str:
    """For a chapter that opened ``../data/<file>`` of a known data file that is not
    there: what to do (else ``''``)."""
    from .data.resolve import DATA_FILES

    name = getattr(err, "filename", None)
    if not isinstance(err, FileNotFoundError) or not name:
        return ""
    wanted = Path(name)
    if wanted.name not in DATA_FILES or wanted.parent.name != "data":
        return ""
    return (f"the chapter opens {name}, which is not there (it expects the book's data folder "
            f"at {wanted.parent.resolve()}); put the known data files there with: "
            f"gluon-rnn data --into {wanted.parent}")


def _exit_status(code) -> int:
    if code is None or isinstance(code, int):
        return code or 0
    print(code, file=sys.stderr)
    return 1


def _print_chapter_traceback(err: BaseException, path: Path) -> None:
    """The traceback from the first frame in ``path`` on (the runner's frames dropped)."""
    tb = err.__traceback__
    while tb is not None and Path(tb.tb_frame.f_code.co_filename).resolve() != path.resolve():
        tb = tb.tb_next
    traceback.print_exception(type(err), err, tb or err.__traceback__, file=sys.stderr)
