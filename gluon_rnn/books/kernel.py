"""The Jupyter kernel of ``gluon-rnn kernel install`` and ``gluon-rnn chapter
NOTEBOOK.ipynb``: ipykernel's own kernel, started after ``import d2l`` and ``import
d2lzh`` are bound to the facades (``--d2l`` chooses the d2l generation), and the
kernelspecs that let Jupyter start it.

    python -m gluon_rnn.books.kernel --d2l 0.9.2 -f CONNECTION_FILE
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Dict, Iterable, List, Optional

from .generations import FACADES

KERNEL_PREFIX = "gluon-rnn-d2l-"


def kernel_name(generation: str) -> str:
    return KERNEL_PREFIX + generation


def kernel_spec(generation: str) -> Dict[str, object]:
    """The ``kernel.json`` of the kernel for one d2l generation (``d2lzh`` is bound
    in every one)."""
    return {"argv": [sys.executable, "-m", "gluon_rnn.books.kernel", "--d2l", generation,
                     "-f", "{connection_file}"],
            "display_name": f"Python 3 (gluon-rnn: d2l {generation}, d2lzh 1.0.0)",
            "language": "python", "metadata": {"debugger": False}}


def write_specs(root: Path, generations: Iterable[str] = tuple(FACADES)) -> List[Path]:
    """One kernelspec folder per generation under ``root``; their paths."""
    folders = []
    for generation in generations:
        folder = root / kernel_name(generation)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "kernel.json").write_text(json.dumps(kernel_spec(generation), indent=1))
        folders.append(folder)
    return folders


def install_kernels(user: bool = False, prefix: Optional[str] = None) -> List[str]:
    """Install one kernelspec per d2l generation with Jupyter's own installer, into
    ``prefix`` (default: this Python's environment, which a Jupyter installed beside it
    finds) or the user's Jupyter folder; return where each went."""
    from jupyter_client.kernelspec import KernelSpecManager

    if not user and prefix is None:
        prefix = sys.prefix
    manager = KernelSpecManager()
    with tempfile.TemporaryDirectory() as tmp:
        return [manager.install_kernel_spec(str(folder), folder.name, user=user, prefix=prefix)
                for folder in write_specs(Path(tmp))]


def main(argv: Optional[List[str]] = None) -> None:
    import argparse

    from ipykernel.kernelapp import IPKernelApp

    from .generations import book_tab, helpers_bound

    parser = argparse.ArgumentParser(prog="python -m gluon_rnn.books.kernel", add_help=False)
    parser.add_argument("--d2l", choices=tuple(FACADES), default="0.9.2")
    args, rest = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    with helpers_bound(args.d2l):  # held for the kernel's whole life
        app = IPKernelApp.instance()
        app.initialize(rest)
        if app.shell is not None:  # the 1.0 book's tab.selected('mxnet')
            app.shell.user_ns["tab"] = book_tab()
        app.start()


if __name__ == "__main__":
    main()
