"""Book pages (d2lbook markdown, ``.md``): their ``{.python .input}`` cells run in order in
IPython's own ``InteractiveShell``, the engine inside Jupyter's Python kernel, so a page
runs as its notebook does: ``%time``, ``%matplotlib inline`` and the other magics, the
display of each cell's last value (nothing for ``None``, a trailing ``;`` or an object
that displays itself), ``_`` and ``Out``.

What differs from a notebook is where output goes: text to the terminal as it comes,
figures to :class:`~gluon_rnn.books.figures.FigureSink` (PNG files with ``--figures``),
and a failing cell's traceback, pointing at the page's own file and line, to stderr,
after which no further cell runs. The shell runs in this process (live output, the
CLI's thread settings) with a temporary IPython folder (no profile or history of the
reader's is read or written).
"""
from __future__ import annotations

import ast
import re
import sys
import tempfile
import traceback
import warnings
from pathlib import Path
from typing import List, Optional, Tuple

from ..signals import ChapterTerminated
from .errors import exit_status, missing_data, print_traceback_from
from .forwards import TracedForwards
from .generations import book_tab, tab_selected

_CELL = re.compile(r"^```\{\.python \.input[^}]*\}[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
_TAB = re.compile(r"^(#@tab|%%tab)\s+(.*?)\s*$")  # d2lbook: 0.17's comment, 1.0's cell magic
_TAB_CHOOSER = re.compile(r"^\s*%load_ext\s+d2lbook\.tab\b", re.M)


def page_cells(text: str, framework: str = "mxnet") -> List[Tuple[int, str]]:
    """The ``{.python .input}`` cells of a d2lbook page that run for ``framework``, in
    order, as ``(line of the cell's first code line in the page, code)``. A cell marked
    for other frameworks (``#@tab pytorch``, ``%%tab tensorflow``) is left out, its marker
    line kept as a comment (line numbers stay the page's); the cell that loads d2lbook's
    tab chooser is left out (this runner's tab is ``framework``, and the 1.0 book's
    ``tab.selected`` answers for it: :func:`~.generations.book_tab`)."""
    cells = []
    for match in _CELL.finditer(text):
        code = match.group(1)
        first, _, rest = code.partition("\n")
        tab = _TAB.match(first)
        if tab:
            if not tab_selected(tab.group(2).split(","), framework):
                continue
            code = f"# {first}\n{rest}"
        if _TAB_CHOOSER.search(code):
            continue
        cells.append((text.count("\n", 0, match.start(1)) + 1, code))
    return cells


class PageFailed(Exception):
    """A cell of the page failed (its traceback is printed); ``status`` is the exit status,
    ``error`` the exception."""

    def __init__(self, status: int, error: Optional[BaseException]) -> None:
        super().__init__(status)
        self.status, self.error = status, error


def _shell_classes():
    """IPython's shell, compiler, display formatter and publisher, adapted to a page (built
    on first use: IPython loads only when a page runs)."""
    from IPython.core.compilerop import CachingCompiler
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.formatters import DisplayFormatter
    from IPython.core.interactiveshell import InteractiveShell

    class PageCompiler(CachingCompiler):
        """Cells compile under the page's own file name and are not cached as IPython's
        ``<ipython-input-N>``: tracebacks then read their lines from the page itself."""

        page = "<page>"

        def get_code_name(self, raw_code, transformed_code, number):
            return self.page

        def cache(self, transformed_code, number=0, raw_code=None):
            return self.page

    class Prompts(DisplayHook):
        """A cell's value as Jupyter's console output shows it: no ``Out[N]:`` prompt."""

        def write_output_prompt(self):
            pass

    class FigureFormatter(DisplayFormatter):
        """A matplotlib figure shown (``display(fig)``, a cell ending in one, the inline
        backend's flush) goes to the run's figure sink instead of printing its repr."""

        def format(self, obj, include=None, exclude=None):
            sink = getattr(self.parent, "figures", None)
            if sink is not None and type(obj).__name__ == "Figure" \
                    and type(obj).__module__.startswith("matplotlib"):
                sink.take(obj)
                return {}, {}
            return super().format(obj, include, exclude)

    class Publisher(DisplayPublisher):
        def clear_output(self, wait=False):
            """Nothing to clear on a terminal (IPython's default writes escape codes)."""

    class PageShell(InteractiveShell):
        figures = None
        page = "<page>"
        offset = 0  # page line of the running cell's first line, minus one
        failure: Optional[PageFailed] = None
        stopped: Optional[BaseException] = None  # Ctrl-C or SIGTERM in a cell

        def ask_exit(self):
            """IPython's own ``exit`` (``%exit``) ends the page as ``exit()`` ends a script."""
            raise SystemExit(0)

        def enable_gui(self, gui=None):
            """No event loop to join: figures go to the sink (``%matplotlib inline`` works)."""

        def init_display_formatter(self):
            self.display_formatter = FigureFormatter(parent=self)
            self.configurables.append(self.display_formatter)  # type: ignore[arg-type]

        def showtraceback(self, exc_tuple=None, filename=None, tb_offset=None,
                          exception_only=False, running_compiled_code=False):
            etype, value, tb = exc_tuple or sys.exc_info()
            if isinstance(value, (KeyboardInterrupt, ChapterTerminated)):
                # the page stops as a script does: raised again once run_cell is done
                # (IPython's run_cell returns from a finally, which would drop it here)
                self.stopped = value
                return
            if isinstance(value, SystemExit):
                self.failure = PageFailed(exit_status(value.code), value)
                return
            if value is not None and missing_data(value) is None:  # else one line
                print_traceback_from(self.page, value, tb)
            self.failure = PageFailed(1, value)

        def showsyntaxerror(self, filename=None, running_compiled_code=False):
            etype, value, _ = sys.exc_info()
            if isinstance(value, SyntaxError) and value.lineno is not None:
                value.lineno += self.offset  # the cell's line, as the page's
                end = getattr(value, "end_lineno", None)
                if end is not None:
                    value.end_lineno = end + self.offset
                value.filename = self.page
                value.text = _page_line(self.page, value.lineno) or value.text
                if type(value).__name__.startswith("_"):
                    # Python 3.13's private _IncompleteInputError: shown as the SyntaxError
                    # it is (Python's own traceback prints "SyntaxError: incomplete input")
                    value = _plain_syntax_error(value)
                    etype = SyntaxError
            traceback.print_exception(etype, value, None, file=sys.stderr)
            self.failure = PageFailed(1, value)

        def showindentationerror(self):
            self.showsyntaxerror()

    return PageShell, PageCompiler, Prompts, Publisher


class _Exit:
    """``exit`` and ``quit`` in a page are Python's, not IPython's (whose take no status):
    ``exit(3)`` ends the page with status 3, as it ends a script."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Use {self.name}() to end the page"

    def __call__(self, code=None):
        raise SystemExit(code)


def _plain_syntax_error(error: SyntaxError) -> SyntaxError:
    plain = SyntaxError(error.msg, (error.filename, error.lineno, error.offset, error.text))
    plain.end_lineno = getattr(error, "end_lineno", None)
    plain.end_offset = getattr(error, "end_offset", None)
    return plain


def _page_line(page: str, lineno: int) -> Optional[str]:
    """Line ``lineno`` of the page, as a SyntaxError shows it (the cell's own text, which
    IPython hands over, is numbered from the cell's start)."""
    try:
        lines = Path(page).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return lines[lineno - 1] + "\n" if 0 < lineno <= len(lines) else None


class _PageLines(ast.NodeTransformer):
    """Line numbers of a cell's code as the page's (IPython parses each cell alone)."""

    def __init__(self, shell) -> None:
        self.shell = shell

    def visit(self, node):
        return ast.increment_lineno(node, self.shell.offset)


def run_page(path: Path, cells: List[Tuple[int, str]], figures) -> None:
    """Run ``cells`` of the page ``path`` in order in one IPython shell; raise
    :class:`PageFailed` when a cell fails (its traceback printed) or exits."""
    from traitlets.config import Config

    PageShell, PageCompiler, Prompts, Publisher = _shell_classes()
    config = Config()
    config.HistoryManager.enabled = False
    with tempfile.TemporaryDirectory(prefix="gluon-rnn-ipython-") as folder, \
            warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="To exit: use 'exit'")
        shell = PageShell.instance(config=config, ipython_dir=folder, colors="NoColor",
                                   compiler_class=PageCompiler, displayhook_class=Prompts,
                                   display_pub_class=Publisher)
        try:
            shell.figures = figures
            shell.page = shell.compile.page = str(path)
            shell.ast_transformers.extend([_PageLines(shell), TracedForwards()])
            shell.user_ns.update(__file__=str(path), tab=book_tab(), exit=_Exit("exit"),
                                 quit=_Exit("quit"))
            for first_line, code in cells:
                shell.offset = first_line - 1
                shell.run_cell(code, store_history=True)
                figures.take_open_figures()
                if shell.stopped is not None:
                    raise shell.stopped
                if shell.failure is not None:
                    raise shell.failure
        finally:
            PageShell.clear_instance()
