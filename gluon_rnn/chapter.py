"""Running an unmodified d2l (MXNet) chapter script with ``import d2l`` bound to
:mod:`d2l_compat`."""
from __future__ import annotations

import contextlib
import os
import runpy
import sys
import traceback
from pathlib import Path
from typing import Iterator, Sequence


@contextlib.contextmanager
def d2l_bound_to_compat(script: Path, argv: Sequence[str]) -> Iterator[None]:
    """Within the block ``import d2l`` gives :mod:`d2l_compat`, ``sys.argv`` is the
    script's, and its folder leads ``sys.path``; all three are restored after."""
    import d2l_compat

    saved_module = sys.modules.get("d2l")
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.modules["d2l"] = d2l_compat
    sys.argv = [str(script), *argv]
    sys.path.insert(0, str(script.parent))
    try:
        yield
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
        if saved_module is None:
            sys.modules.pop("d2l", None)
        else:
            sys.modules["d2l"] = saved_module


def run_chapter(script: os.PathLike, argv: Sequence[str] = ()) -> int:
    """Run ``script`` as ``__main__`` with d2l resolved to :mod:`d2l_compat`;
    return its exit status (0 when it ends normally).

    As ``python script.py`` would: ``sys.exit("message")`` prints the message and
    exits 1, and an error the script raises prints its own traceback (from the
    script's frame on, not this runner's) and exits 1. Ctrl-C still reaches the CLI."""
    script = Path(script)
    if not script.is_file():
        raise FileNotFoundError(f"chapter script {script} does not exist")
    os.environ.setdefault("MPLBACKEND", "Agg")  # chapter plots must not need a display
    with d2l_bound_to_compat(script, argv):
        try:
            runpy.run_path(str(script), run_name="__main__")
        except SystemExit as stop:
            return _exit_status(stop.code)
        except Exception as err:  # noqa: BLE001 - the script's own error, shown as Python shows it
            _print_script_traceback(err, script)
            return 1
    return 0


def _exit_status(code) -> int:
    if code is None or isinstance(code, int):
        return code or 0
    print(code, file=sys.stderr)
    return 1


def _print_script_traceback(err: BaseException, script: Path) -> None:
    """The traceback from the first frame in ``script`` on (runpy's frames dropped)."""
    tb = err.__traceback__
    while tb is not None and Path(tb.tb_frame.f_code.co_filename).resolve() != script.resolve():
        tb = tb.tb_next
    traceback.print_exception(type(err), err, tb or err.__traceback__, file=sys.stderr)
