"""Notebooks of the MXNet-era books through a real Jupyter kernel: executed with
``nbclient`` in an ``ipykernel`` whose ``import d2l`` / ``import d2lzh`` give the
facades (:mod:`gluon_rnn.books.kernel`), each cell's output printed, the executed
notebook (outputs and figures) written.

nbclient and ipykernel are the ecosystem's own executor and kernel: what runs here is
what Jupyter runs."""
from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Optional

from .generations import generation_of
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


def run_notebook(path: Path, d2l: Optional[str] = None, output: Optional[os.PathLike] = None,
                 timeout: Optional[int] = None) -> int:
    """Execute ``path`` in a kernel with the facades bound (the generation the notebook's
    code needs, or ``d2l``), in the notebook's folder (so ``../data`` works as in the
    book); print the outputs; write the executed notebook to ``output`` (default:
    ``NAME.executed.ipynb`` beside it), also when a cell fails. Returns 0, or 1 when a
    cell failed (its traceback, pointing at the cell and line, is printed)."""
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(str(path), as_version=4)
    generation = generation_of(_source(notebook), d2l)
    target = Path(output) if output else path.with_name(path.stem + ".executed.ipynb")
    with tempfile.TemporaryDirectory() as tmp:
        write_spec(Path(tmp) / "kernels", generation)
        saved = {name: os.environ.get(name)
                 for name in ("JUPYTER_PATH", "MPLBACKEND", "JPY_SESSION_NAME")}
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [tmp, saved["JUPYTER_PATH"]]))
        os.environ["MPLBACKEND"] = INLINE  # figures go into the notebook, as in Jupyter
        os.environ["JPY_SESSION_NAME"] = str(path.resolve())  # as jupyter_server tells it
        # IPC sockets in the temporary folder: the kernel is ours and local, and over TCP
        # ipykernel 7 warns (rightly) that anyone on the machine could connect
        manager = KernelManager(kernel_name=KERNEL_NAME, transport="ipc",
                                ip=str(Path(tmp) / "kernel-ipc"))
        client = NotebookClient(notebook, km=manager, timeout=timeout,
                                resources={"metadata": {"path": str(path.parent.resolve())}})
        # jupyter_client's chatter when its zmq contexts are collected at exit: not ours to show
        logging.getLogger("traitlets").setLevel(logging.ERROR)
        try:
            client.execute()
            failed = None
        except CellExecutionError as err:
            failed = err
        finally:
            if manager.has_kernel:  # a kernel manager passed in is ours to shut down
                manager.shutdown_kernel()
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    _print_outputs(notebook)
    notebook.metadata["kernelspec"] = notebook_kernelspec()  # reopened in the same kernel
    nbformat.write(notebook, str(target))
    print(f"wrote {target}", file=sys.stderr)
    if failed is not None:
        print(_ANSI.sub("", str(failed)), file=sys.stderr)
        return 1
    return 0
