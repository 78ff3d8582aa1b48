"""Notebooks of the MXNet-era books through a real Jupyter kernel: executed with
``nbclient`` in an ``ipykernel`` whose ``import d2l`` / ``import d2lzh`` give the
facades (:mod:`gluon_rnn.books.kernel`), each cell's output printed, the executed
notebook (outputs and figures) written.

nbclient and ipykernel are the ecosystem's own executor and kernel: what runs here is
what Jupyter runs."""
from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import logging
import math
import os
import re
import signal
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Iterator, List, Optional

from .._files import atomic_write, regular_file, writable_folder
from ..data.resolve import read_file_text
from ..signals import kept, raise_for
from .generations import generation_of
from .gpu_on_cpu import CTX_ENV
from .kernel import KERNEL_NAME, notebook_kernelspec, write_spec

INLINE = "module://matplotlib_inline.backend_inline"  # ipykernel's own figure backend
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _source(notebook) -> str:
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")


def _print_outputs(notebook) -> None:
    """Each code cell's outputs as text: streams, results, errors (figures named)."""
    for cell in notebook.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            kind = out.get("output_type")
            if kind == "stream":
                (sys.stderr if out.get("name") == "stderr" else sys.stdout).write(out["text"])
            elif kind in ("execute_result", "display_data"):
                data = out.get("data", {})
                images = [kind for kind in data if kind.startswith("image/")]
                print(f"[figure: {data.get('text/plain', images[0])}]" if images
                      else data.get("text/plain", ""))


def read_notebook(path: Path):
    """The notebook at ``path`` (nbformat 4), or one ``ValueError`` saying why it is none
    gluon-rnn can run: not JSON, not a notebook's shape, or a notebook of another language."""
    import nbformat

    text = read_file_text(path)  # bytes that are not UTF-8: named with the file
    try:
        try:
            data = json.loads(text)
        except ValueError as err:
            raise ValueError(f"not JSON: {err}") from None
        if not isinstance(data, dict):
            raise ValueError("its JSON is not an object with cells")
        with _quiet():
            notebook = nbformat.reads(text, as_version=4)
            _drop_ids_before_4_5(notebook)
            nbformat.validate(notebook)
    except Exception as err:  # nbformat's many errors (JSON, schema, types)
        raise ValueError(f"{path} is not a Jupyter notebook gluon-rnn can run "
                         f"({_first_line(err)})") from None
    language = (notebook.metadata.get("kernelspec", {}).get("language")
                or notebook.metadata.get("language_info", {}).get("name") or "python")
    if str(language).lower() != "python":
        raise ValueError(f"{path} is a notebook in {language}; gluon-rnn runs the books' "
                         "Python notebooks, in a Python kernel")
    return notebook


def _drop_ids_before_4_5(notebook) -> None:
    """Cell ids came with nbformat 4.5; an older notebook that carries them (written by a
    newer tool) is read as Jupyter reads it: the ids left out, the notebook run."""
    if notebook.get("nbformat") == 4 and notebook.get("nbformat_minor", 0) < 5:
        for cell in notebook.get("cells", []):
            if isinstance(cell, dict):
                cell.pop("id", None)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """nbformat's own report of an invalid notebook (a log record with the whole cell,
    warnings about ids): the one-line error says it."""
    logger = logging.getLogger("traitlets")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _restored(saved: dict) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _execute(notebook, path: Path, generation: str, timeout: Optional[float], running: list,
             ctx: str = "auto"):
    """Run the notebook's cells in a kernel of ours; the error that stopped it, the
    signal (SIGINT, SIGTERM) that stopped this process, or None (``running``: the
    indices of the cells started, in order).
    The kernel is shut down on every way out (a cell's error, its death, a timeout,
    Ctrl-C or SIGTERM of this process)."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    with tempfile.TemporaryDirectory() as tmp:
        write_spec(Path(tmp) / "kernels", generation)
        saved = {name: os.environ.get(name)
                 for name in ("JUPYTER_PATH", "MPLBACKEND", "JPY_SESSION_NAME", CTX_ENV)}
        os.environ[CTX_ENV] = ctx  # the kernel maps GPU contexts as chapter --ctx says
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [tmp, saved["JUPYTER_PATH"]]))
        os.environ["MPLBACKEND"] = INLINE  # figures go into the notebook, as in Jupyter
        os.environ["JPY_SESSION_NAME"] = str(path.resolve())  # as jupyter_server tells it
        # The asynchronous manager, as nbclient's own default: its client waits in the
        # event loop, which watches the kernel (a kernel that dies is DeadKernelError, not
        # a wait without end) and lets this process's signals through. IPC sockets in the
        # temporary folder: the kernel is ours and local, and over TCP ipykernel 7 warns
        # (rightly) that anyone on the machine could connect.
        manager = AsyncKernelManager(kernel_name=KERNEL_NAME, transport="ipc",
                                     ip=str(Path(tmp) / "kernel-ipc"))
        # nbclient counts whole seconds: a fraction is rounded up, never refused
        client = NotebookClient(notebook, km=manager,
                                timeout=None if timeout is None else math.ceil(timeout),
                                resources={"metadata": {"path": str(path.parent.resolve())}},
                                on_cell_execute=lambda cell, cell_index: running.append(
                                    cell_index))
        # jupyter_client's chatter when its zmq contexts are collected at exit, nbclient's
        # log of a kernel's death: not ours to show (the one line that follows says it)
        logging.getLogger("traitlets").setLevel(logging.CRITICAL)
        stop: list = []

        def stopping(signum: int) -> None:
            # nbclient's own handlers stop the kernel and then report it dead, the signal
            # lost; ours (in its event loop, replacing them from the kernel's start on)
            # record the signal and stop the kernel, or, before there is one, the start
            # itself; the signal is raised once the notebook is written
            stop.append(signum)
            process = getattr(manager.provisioner, "process", None)  # a local kernel's
            if process is not None:
                process.kill()
            else:  # still starting: nothing to kill yet, so the start is called off
                for task in asyncio.all_tasks():
                    task.cancel()

        def take_signals(notebook=None) -> None:
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stopping, signum)

        start_kernel = client.async_start_new_kernel

        async def start_kernel_with_our_handlers(**kwargs):
            take_signals()  # over nbclient's, which it has just added
            return await start_kernel(**kwargs)

        client.async_start_new_kernel = start_kernel_with_our_handlers  # type: ignore[method-assign]
        client.on_notebook_start = take_signals
        try:
            with kept():  # nbclient's event loop leaves its handlers behind
                client.execute()
            failed = None
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
            failed = err
        except BaseException:  # a start called off, a kernel that died of our stop
            if not stop:
                raise
            failed = None
            # a start called off never reached nbclient's own clean-up, whose exit hook
            # would then fail on the kernel it never had: ours shuts the kernel down below
            atexit.unregister(client._cleanup_kernel)
        finally:
            if manager.has_kernel:  # a kernel manager passed in is ours to shut down
                run_sync(manager.shutdown_kernel)(now=True)
            _restored(saved)
    return stop[0] if stop else failed


def _check_target(target: Path, source: Path) -> Path:
    """Where the executed notebook goes, checked before any cell runs: never the notebook
    itself, nor a file that is not a notebook (a user's file is not replaced), and in a
    folder that can be written."""
    if target.exists() and target.resolve() == source.resolve():
        raise ValueError(f"--output {target} is the notebook being run: the executed copy goes "
                         "to another file (default: NAME.executed.ipynb)")
    if target.exists():
        regular_file(target, "where the executed notebook goes,")
        try:
            read_notebook(target)
        except ValueError:
            raise ValueError(f"{target} exists and is not a notebook: it is not replaced; name "
                             "another --output") from None
    writable_folder(target.parent, "the folder of the executed notebook", "--output")
    return target


def _exit_status(evalue: str) -> int:
    """A cell's ``sys.exit(code)`` (the kernel reports ``str(code)``) as a script's status:
    a number is the status, nothing is 0, a message is printed and gives 1."""
    text = (evalue or "").strip()
    if text in ("", "None"):
        return 0
    if text.lstrip("-").isdigit():
        return int(text) & 0xFF
    print(text, file=sys.stderr)
    return 1


def _write_executed(notebook, target: Path) -> None:
    """The executed notebook, written whole or not at all (an earlier one stays as it was
    when the disk is full), into its folder even when that folder is not there yet."""
    import nbformat

    try:
        atomic_write(target, lambda tmp: nbformat.write(notebook, str(tmp)))
    except OSError as err:
        raise OSError(f"cannot write the executed notebook {target} "
                      f"({err.strerror or err}); nothing there was changed: free some space "
                      "or name another --output") from None


def _cell(running: list) -> str:
    """The cell a run stopped in (``running``: the indices of the cells started)."""
    return f"cell {running[-1] + 1}" if running else "the kernel's start, before any cell"


def run_notebook(path: Path, d2l: Optional[str] = None, output: Optional[os.PathLike] = None,
                 timeout: Optional[float] = None, ctx: str = "auto") -> int:
    """Execute ``path`` in a kernel with the facades bound (the generation the notebook's
    code needs, or ``d2l``), in the notebook's folder (so ``../data`` works as in the
    book); print the outputs; write the executed notebook to ``output`` (default:
    ``NAME.executed.ipynb`` beside it), also when a cell fails, the kernel dies, a cell
    runs past ``timeout`` seconds or this process is interrupted. Returns 0, or 1 when a
    cell failed (its traceback, pointing at the cell and line, is printed), the kernel
    died or a cell timed out (one line each)."""
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    notebook = read_notebook(path)
    generation = generation_of(_source(notebook), d2l)
    target = _check_target(Path(output) if output else
                           path.with_name(path.stem + ".executed.ipynb"), path)
    failed = None
    running: List[int] = []
    try:
        failed = _execute(notebook, path, generation, timeout, running, ctx)
    finally:  # interrupted too: what ran is kept
        _print_outputs(notebook)
        notebook.metadata["kernelspec"] = notebook_kernelspec()  # reopened in the same kernel
        _write_executed(notebook, target)
        print(f"wrote {target}", file=sys.stderr)
    if isinstance(failed, int):  # a signal: stopped as Ctrl-C or SIGTERM stop every command
        print(f"{path}: stopped in {_cell(running)}", file=sys.stderr)
        raise_for(failed)
    if isinstance(failed, CellExecutionError) and failed.ename == "SystemExit":
        return _exit_status(failed.evalue)  # sys.exit(3) in a cell: 3, as in a script
    if isinstance(failed, CellExecutionError):
        print(_ANSI.sub("", str(failed)), file=sys.stderr)
    elif isinstance(failed, CellTimeoutError):
        print(f"{path}: {_cell(running)} ran past the timeout of {timeout:g} s; the "
              "kernel was stopped (give more time with --timeout)", file=sys.stderr)
    elif failed is not None:  # DeadKernelError
        print(f"{path}: the kernel died in {_cell(running)} (a crash, os._exit or "
              "out of memory); it ran no further cells", file=sys.stderr)
    return 0 if failed is None else 1
