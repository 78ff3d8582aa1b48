"""The Jupyter kernel of ``gluon-rnn kernel install`` and ``gluon-rnn chapter
NOTEBOOK.ipynb``: ipykernel's own kernel, in which ``import d2l``, ``from d2l import
mxnet`` and ``import d2lzh`` give the facade of the generation the notebook's code needs.

One kernel serves every book, so a reader never picks a generation by hand: the choice
is made when a cell first imports a helper, from the whole notebook when Jupyter says
which one it is (``JPY_SESSION_NAME``, set by jupyter_server), else from the cells run
so far; a later cell that shows another generation of the same API (the 4-tuple API of
d2l 0.8.7, the classes of d2l 1.0) moves the binding, the notebook's ``d2l`` variable
included, before that cell runs. ``%d2l`` shows the choice and ``%d2l 0.8.7`` makes it.

The kernel makes the process settings the command line makes (:func:`gluon_rnn.blas.
configure_blas`), however it was started: a notebook runs as fast as the same code as a
script, and gives the same numbers (one OpenMP thread for the book's own code; the
core's training loop governs its threads itself, :mod:`gluon_rnn.threads`).

    python -m gluon_rnn.books.kernel [--d2l GENERATION] -f CONNECTION_FILE
"""
from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from functools import partial
from pathlib import Path
from typing import ContextManager, Dict, List, Optional, Tuple

from .._files import atomic_write
from .generations import FACADES

KERNEL_NAME = "gluon-rnn-d2l"
DISPLAY_NAME = "Python 3 (gluon-rnn: d2l books)"
# the kernels of earlier gluon-rnn versions, one per generation: replaced by this one
OLD_KERNELS = tuple(f"{KERNEL_NAME}-{generation}" for generation in FACADES)
_HELPERS = re.compile(r"^\s*(?:import|from)\s+(?:d2l|d2lzh|gluonbook)\b", re.M)


# The kernel starts in the notebook's folder, first on sys.path: out of it while the kernel
# loads, so that a zmq.py or a gluon_rnn/ of the reader's shadows nothing (IPython puts the
# folder back for the notebook's own imports), as ipykernel's own launcher does.
KERNEL_BOOTSTRAP = ("import sys; del sys.path[0]; "
                    "from gluon_rnn.books.kernel import main; main()")


def kernel_spec(generation: Optional[str] = None, data: Optional[Path] = None) -> Dict:
    """The ``kernel.json``: the generation chosen from the code, or ``generation``; with
    ``data``, the kernel's ``GLUON_RNN_DATA`` (a Jupyter started from a desktop has none)."""
    argv = [sys.executable, "-c", KERNEL_BOOTSTRAP]
    argv += ["--d2l", generation] if generation else []
    spec: Dict = {"argv": argv + ["-f", "{connection_file}"], "display_name": DISPLAY_NAME,
                  "language": "python", "metadata": {"debugger": False}}
    if data is not None:
        spec["env"] = {"GLUON_RNN_DATA": str(data)}
    return spec


def notebook_kernelspec() -> Dict[str, str]:
    """What an executed notebook's metadata names, so that Jupyter reopens it in this kernel."""
    return {"name": KERNEL_NAME, "display_name": DISPLAY_NAME, "language": "python"}


def write_spec(root: Path, generation: Optional[str] = None,
               data: Optional[Path] = None) -> Path:
    """The kernelspec folder ``root/gluon-rnn-d2l``; its path."""
    folder = root / KERNEL_NAME
    text = json.dumps(kernel_spec(generation, data), indent=1)
    atomic_write(folder / "kernel.json", lambda tmp: tmp.write_text(text))
    return folder


# What make_default writes under an environment's prefix. JupyterLab reads every file of
# its ``overrides.d``; the server reads no such folder for its own settings, so its one
# file there is updated in place, keeping whatever else it holds.
SERVER_DEFAULTS = Path("etc", "jupyter", "jupyter_server_config.json")
LAB_DEFAULTS = Path("share", "jupyter", "lab", "settings", "overrides.d", "gluon-rnn.json")


def make_default(prefix: Optional[str] = None) -> List[Path]:
    """Make this kernel the one the Jupyter of the environment ``prefix`` (this one by
    default: where ``make jupyter`` installs JupyterLab) starts for a notebook whose
    metadata names no kernel, as the books' notebooks do, without JupyterLab's "Select
    Kernel" dialog: the server's default kernel (``MultiKernelManager.default_kernel_name``,
    what JupyterLab prefers) and JupyterLab's own setting to start the preferred kernel
    (``autoStartDefaultKernel``, JupyterLab 4); the server leaves out the environment's
    stock "python3", so that The Straight Dope's notebooks, which name it, open in this
    kernel too (:mod:`gluon_rnn.books.kernelspecs`). Returns the files written."""
    root = Path(prefix or sys.prefix)
    server = _json_or_empty(root / SERVER_DEFAULTS)
    server.setdefault("MultiKernelManager", {})["default_kernel_name"] = KERNEL_NAME
    server.setdefault("ServerApp", {})["kernel_spec_manager_class"] = \
        "gluon_rnn.books.kernelspecs.BooksKernelSpecManager"
    lab = {"@jupyterlab/notebook-extension:tracker": {"autoStartDefaultKernel": True}}
    written = []
    for relative, values in ((SERVER_DEFAULTS, server), (LAB_DEFAULTS, lab)):
        text = json.dumps(values, indent=1) + "\n"
        written.append(atomic_write(root / relative, partial(Path.write_text, data=text)))
    return written


def _json_or_empty(path: Path) -> Dict:
    """A Jupyter settings file's contents ({} when there is none); one that is not a JSON
    object is refused, naming it, rather than overwritten."""
    try:
        values = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        raise ValueError(f"{path} is not a Jupyter settings file gluon-rnn can read ({err}): "
                         "repair or remove it, then install the kernel again") from None
    if not isinstance(values, dict) or not all(
            isinstance(values.get(section, {}), dict)
            for section in ("MultiKernelManager", "ServerApp")):
        raise ValueError(f"{path} is not a Jupyter settings file gluon-rnn can read (not a "
                         "JSON object of sections): repair or remove it, then install again")
    return values


def data_folder(data: Optional[str], environ=os.environ) -> Optional[Path]:
    """The data folder to record: ``data``, else ``$GLUON_RNN_DATA``, else None; an
    absolute path that exists (a kernel starts in the notebook's folder)."""
    chosen, source = (data, "--data") if data else (environ.get("GLUON_RNN_DATA"), "GLUON_RNN_DATA")
    if not chosen:
        return None
    folder = Path(chosen).expanduser().resolve()
    if not folder.is_dir():
        raise ValueError(f"{source} names {chosen}, which is not a folder ({folder} does not "
                         "exist): pass the folder holding timemachine.txt and the other corpora")
    return folder


def replaced_environment(user: bool = True, prefix: Optional[str] = None) -> Optional[str]:
    """The Python of another environment (another checkout's ``.venv``) whose kernel an
    install at this place would replace, or None (none there, or this one's)."""
    spec = _destination(user, prefix) / "kernel.json"
    try:
        argv = json.loads(spec.read_text()).get("argv") or [""]
    except (OSError, ValueError, AttributeError):
        return None
    other = str(argv[0])
    return None if not other or os.path.realpath(other) == os.path.realpath(sys.executable) \
        else other


def install_kernel(user: bool = True, prefix: Optional[str] = None,
                   data: Optional[Path] = None) -> Tuple[str, List[str]]:
    """Install the kernelspec with Jupyter's own installer, into the user's Jupyter
    folder (found by every Jupyter the user starts, whichever environment it lives in)
    or under ``prefix``; remove the per-generation kernels of earlier versions there.
    Returns where it went and what was removed (:func:`replaced_environment` says whose
    kernel it replaces: ask before)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    manager = KernelSpecManager()
    with tempfile.TemporaryDirectory() as tmp:
        where = _installed(manager, write_spec(Path(tmp), data=data), user and prefix is None,
                           prefix)
    removed = []
    for old in OLD_KERNELS:
        folder = Path(where).parent / old
        if folder.is_dir():
            try:
                removed.append(manager.remove_kernel_spec(old))
            except NoSuchKernel:  # another Jupyter path than the one searched: remove it here
                import shutil

                shutil.rmtree(folder)
                removed.append(str(folder))
    return where, removed


def _destination(user: bool, prefix: Optional[str]) -> Path:
    """Where Jupyter's installer puts the kernel (jupyter_client's own rule)."""
    from jupyter_core.paths import SYSTEM_JUPYTER_PATH, jupyter_data_dir

    if prefix:
        return Path(prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME
    root = jupyter_data_dir() if user else SYSTEM_JUPYTER_PATH[0]
    return Path(root) / "kernels" / KERNEL_NAME


def _installed(manager, spec: Path, user: bool, prefix: Optional[str]) -> str:
    """Jupyter's own installer, and where it put the kernel; a copy that fails (a full
    disk) is removed again, so that Jupyter lists no broken kernel, and said in one line
    (Jupyter's installer raises shutil's list of the files it could not copy)."""
    import shutil

    try:
        return manager.install_kernel_spec(str(spec), KERNEL_NAME, user=user, prefix=prefix)
    except (OSError, shutil.Error) as err:
        where = _destination(user, prefix)
        shutil.rmtree(where, ignore_errors=True)
        reasons = err.args[0] if isinstance(err, shutil.Error) and err.args else None
        why = reasons[0][2] if isinstance(reasons, list) and reasons else \
            getattr(err, "strerror", None) or str(err)
        raise OSError(f"could not install the kernel into {where} ({why}); nothing was left "
                      "there: free some space, or choose another --prefix") from None


class HelperBinding:
    """Binds the helpers in a running IPython shell to the generation the notebook's
    code needs, before each cell that imports them (or shows another generation) runs."""

    def __init__(self, shell, requested: Optional[str] = None,
                 notebook: Optional[Path] = None) -> None:
        self.shell, self.requested, self.notebook = shell, requested, notebook
        self.generation: Optional[str] = None
        self.seen: List[str] = []
        self._bound: Optional[ContextManager[None]] = None  # helpers_bound, held open

    def source(self, cell: str) -> str:
        """The code the choice is made from: the notebook's when known, else what ran."""
        if self.notebook is not None:
            try:
                import nbformat

                notebook = nbformat.read(str(self.notebook), as_version=4)
                return "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
            except Exception:  # unreadable or not a notebook: use what ran
                self.notebook = None
        return "\n".join(self.seen + [cell])

    def pre_run_cell(self, info) -> None:
        cell = getattr(info, "raw_cell", "") or ""
        try:
            settled = self.generation is not None and self.notebook is not None
            if not settled and (self.generation is not None or _HELPERS.search(cell)):
                self.choose(self.source(cell))
        finally:
            self.seen.append(cell)

    def choose(self, source: str) -> None:
        from .generations import UnsupportedGeneration, generation_of, refusing_d2l

        try:
            generation = generation_of(source, self.requested)
        except UnsupportedGeneration as err:  # another framework's tab: its import says so
            if self.generation is None:
                sys.modules["d2l"] = refusing_d2l(str(err))
            return
        except ValueError as err:  # %d2l chose a generation of the other API
            print(f"%d2l: {err}", file=sys.stderr)
            return
        if generation != self.generation:
            self.bind(generation)

    def bind(self, generation: str) -> None:
        """Bind ``generation`` now; names in the notebook that held the previous one's
        modules are moved to the new ones."""
        from .generations import helpers_bound

        before = {name: sys.modules.get(name) for name in ("d2l", "d2l.mxnet")}
        if self._bound is not None:
            self._bound.__exit__(None, None, None)
        self._bound = helpers_bound(generation)
        self._bound.__enter__()
        self.generation = generation
        for name, old in before.items():
            new = sys.modules.get(name)
            if old is None or new is None or old is new:
                continue
            for key, value in list(self.shell.user_ns.items()):
                if value is old and not key.startswith("_"):
                    self.shell.user_ns[key] = new

    def magic(self, line: str) -> None:
        """``%d2l``: the generation bound; ``%d2l 0.8.7``: bind that one."""
        wanted = line.strip()
        if wanted:
            if wanted not in FACADES:
                print(f"%d2l: choose one of {', '.join(FACADES)}, got {wanted!r}", file=sys.stderr)
                return
            self.requested = wanted
            self.bind(wanted)
        how = "chosen with %d2l" if self.requested else \
            "none yet: no cell imported d2l" if self.generation is None else \
            f"from the code of {self.notebook.name}" if self.notebook else \
            "from the cells run so far"
        print(f"d2l {self.generation or '-'} ({how}); d2lzh 1.0.0; gluonbook 0.7.1")


def show_missing_data_short(shell) -> None:
    """Data that are not there show as one error line in the cell (the file and the ways
    to provide it), not as a traceback through the resolver; MXNet's errors end in their
    reason, without the C++ stack MXNet writes into the message; other errors as always."""
    from .._checks import without_mxnet_stack
    from .errors import missing_data

    def handler(shell, etype, value, tb, tb_offset=None):
        message = missing_data(value)
        if message is None:
            return shell.showtraceback((etype, without_mxnet_stack(value), tb),
                                       tb_offset=tb_offset)
        shell._showtraceback(etype, value, [f"{etype.__name__}: {message}"])
    # MXNetError is a RuntimeError (named here without loading MXNet at the kernel's start)
    shell.set_custom_exc((FileNotFoundError, RuntimeError), handler)


def _notebook_path(environ=os.environ) -> Optional[Path]:
    """The notebook this kernel runs, where Jupyter says (jupyter_server 2 sets
    ``JPY_SESSION_NAME`` to its path, relative to the kernel's folder or absolute)."""
    name = environ.get("JPY_SESSION_NAME", "")
    if not name.endswith(".ipynb"):
        return None
    for candidate in (Path(name), Path.cwd() / Path(name).name):
        if candidate.is_file():
            return candidate.resolve()
    return None


def main(argv: Optional[List[str]] = None) -> None:
    import argparse

    from ..blas import check_thread_count, configure_blas

    try:
        check_thread_count()
    except ValueError as err:  # MXNet would abort on it: say so, and run with our choice
        print(f"gluon-rnn kernel: {err}; using one thread", file=sys.stderr)
        os.environ.pop("OMP_NUM_THREADS")
    configure_blas()  # before anything loads MXNet, as the command line does
    from ipykernel.kernelapp import IPKernelApp

    from .forwards import TracedForwards
    from .generations import book_tab, tab_cell
    from .gpu_on_cpu import CTX_ENV
    from .gpu_on_cpu import install as install_gpu_on_cpu
    from .mxnet011 import install as install_mxnet_011

    parser = argparse.ArgumentParser(prog="python -m gluon_rnn.books.kernel", add_help=False)
    parser.add_argument("--d2l", choices=tuple(FACADES), default=None)
    args, rest = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    app = IPKernelApp.instance()
    app.initialize(rest)
    if app.shell is not None:
        binding = HelperBinding(app.shell, args.d2l, _notebook_path())
        app.shell.events.register("pre_run_cell", binding.pre_run_cell)
        app.shell.register_magic_function(binding.magic, "line", "d2l")
        show_missing_data_short(app.shell)
        app.shell.user_ns["tab"] = book_tab()  # the 1.0 book's tab.selected('mxnet')
        app.shell.input_transformers_cleanup.append(tab_cell)  # and its %%tab cells
        app.shell.ast_transformers.append(TracedForwards())  # a cell's forwards, traced
        install_gpu_on_cpu(os.environ.get(CTX_ENV, "auto"))  # for the kernel's whole life
        install_mxnet_011()  # and MXNet 0.11's reshape the oldest notebooks rely on
    app.start()


if __name__ == "__main__":
    main()
