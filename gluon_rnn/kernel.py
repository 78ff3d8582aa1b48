"""The Jupyter kernel of ``gluon-rnn kernel install`` and ``gluon-rnn chapter
NOTEBOOK.ipynb``: ipykernel's own kernel, started after ``import d2l`` and ``import
d2lzh`` are bound to the facades (``--d2l`` chooses the d2l generation).

    python -m gluon_rnn.kernel --d2l 0.9.2 -f CONNECTION_FILE
"""
from __future__ import annotations

import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> None:
    import argparse

    from ipykernel.kernelapp import IPKernelApp

    from .helpers import FACADES, helpers_bound

    parser = argparse.ArgumentParser(prog="python -m gluon_rnn.kernel", add_help=False)
    parser.add_argument("--d2l", choices=tuple(FACADES), default="0.9.2")
    args, rest = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    with helpers_bound(args.d2l):  # held for the kernel's whole life
        IPKernelApp.launch_instance(argv=rest)


if __name__ == "__main__":
    main()
