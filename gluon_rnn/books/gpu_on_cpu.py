"""GPU-written code on a machine where MXNet has no GPU (The Straight Dope's notebooks say
``ctx = mx.gpu(0)``; most readers have no GPU, or no CUDA build of MXNet 1.9.1 that fits
their driver): within a chapter run by ``gluon-rnn chapter`` or the kernel, every GPU
context the code makes (``mx.gpu(i)``, ``mx.context.gpu(i)``, ``mx.Context('gpu', i)``,
``npx.gpu(i)``; they all build a ``Context``) is ``cpu(i)``, said once, in one line naming
the first place. ``mx.context.num_gpus()`` and the books' ``try_gpu()`` keep answering
truthfully (no GPU), and arrays show the context they live on.

``--ctx`` chooses: ``auto`` (the default: map only where MXNet sees no GPU), ``cpu``
(always map), ``gpu`` (never; a GPU context stays one, and MXNet says it has none).
"""
from __future__ import annotations

import contextlib
import os
import sys
from types import FrameType
from typing import Callable, Iterator, List, Optional

CHOICES = ("auto", "cpu", "gpu")
CTX_ENV = "GLUON_RNN_CTX"  # the choice, as the notebook runner hands it to the kernel


def check_choice(choice: str) -> None:
    """Refuse a ``--ctx`` that is none of :data:`CHOICES`, before anything runs."""
    if choice not in CHOICES:
        raise ValueError(f"--ctx must be one of {', '.join(CHOICES)}, got {choice!r}")


def maps_gpus(choice: str) -> bool:
    """Whether GPU contexts run on the CPU under ``choice``."""
    check_choice(choice)
    if choice != "auto":
        return choice == "cpu"
    import mxnet as mx

    try:
        return mx.context.num_gpus() == 0
    except mx.base.MXNetError:  # a CPU build of MXNet: no GPU at all
        return True


def _caller() -> str:
    """``file:line`` of the first frame outside MXNet and this module: where the chapter's
    own code asked for a GPU."""
    import mxnet

    skip = (os.path.dirname(mxnet.__file__), __file__)
    frame: Optional[FrameType] = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(skip):
        frame = frame.f_back
    if frame is None:
        return "the chapter"
    return _place(frame.f_code.co_filename, frame.f_lineno)


def _place(filename: str, line: int) -> str:
    """A notebook cell's line as IPython names it in tracebacks (``Cell In[3], line 6``)
    rather than the temporary file ipykernel compiles the cell from; else ``file:line``."""
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    cells = getattr(getattr(shell, "compile", None), "_filename_map", None) or {}
    number = cells.get(filename) if isinstance(cells, dict) else None
    return f"Cell In[{number}], line {line}" if number is not None else f"{filename}:{line}"


def install(choice: str) -> Callable[[], None]:
    """Map GPU contexts to CPU ones from now on when ``choice`` says so; returns what undoes
    it (a kernel keeps it for its whole life)."""
    if not maps_gpus(choice):
        return lambda: None
    import mxnet as mx

    original = mx.Context.__init__
    said: List[bool] = []

    def __init__(self, device_type, device_id=0):
        if device_type == "gpu":
            if not said:
                said.append(True)
                print(f"gluon-rnn: MXNet has no GPU here: {_caller()} asks for gpu("
                      f"{device_id}), which runs on cpu({device_id}), as every GPU context "
                      "of this chapter does (--ctx gpu keeps them)", file=sys.stderr)
            device_type = "cpu"
        original(self, device_type, device_id)

    mx.Context.__init__ = __init__

    def undo() -> None:
        mx.Context.__init__ = original
    return undo


@contextlib.contextmanager
def gpu_contexts_on_cpu(choice: str = "auto") -> Iterator[None]:
    """:func:`install` within the block."""
    undo = install(choice)
    try:
        yield
    finally:
        undo()
