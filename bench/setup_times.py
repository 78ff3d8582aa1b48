"""How long a newcomer's set-up takes on each Python (issue 31): for each interpreter, a
fresh clone of this checkout's HEAD and an empty pip cache, then ``make venv`` (what
``make run`` builds before it trains). One line a Python, with the ratio to the first.

    python bench/setup_times.py [--python 3.11=/path/python3.11 ...]

Not part of ``make bench``: it downloads MXNet, numpy and the rest once per Python
(about 300 MB), which is what it measures. The pip cache is emptied per Python
(``PIP_CACHE_DIR`` in a temporary folder); the registry's own caches are not ours to
empty, so "cold" means this machine's pip cache only.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ("3.11", "3.12", "3.13")


def interpreter(version: str) -> str:
    """pyenv's newest 3.X (a pyenv shim on PATH may not run it), else python3.X on PATH."""
    pyenv = subprocess.run(["sh", "-c", "pyenv root 2>/dev/null"], capture_output=True,
                           text=True).stdout.strip()
    pattern = f"versions/{version}.*/bin/python{version}"
    candidates = sorted(Path(pyenv).glob(pattern)) if pyenv else []
    found = str(candidates[-1]) if candidates else shutil.which(f"python{version}")
    if found is None:
        sys.exit(f"no Python {version} here: pass --python {version}=/path/to/python{version}")
    return found


def set_up(python: str, work: Path) -> float:
    """Seconds for ``make venv`` in a fresh clone with an empty pip cache."""
    clone = work / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(PIP_CACHE_DIR=str(work / "pip-cache"), PIP_DISABLE_PIP_VERSION_CHECK="1")
    started = time.monotonic()
    done = subprocess.run(["make", "--no-print-directory", "venv", f"PYTHON={python}"],
                          cwd=clone, env=env, capture_output=True, text=True)
    took = time.monotonic() - started
    if done.returncode != 0:
        sys.exit(f"make venv with {python} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return took


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", default=[], metavar="VERSION=PATH")
    args = parser.parse_args(argv)
    chosen = dict(item.split("=", 1) for item in args.python) or \
        {version: interpreter(version) for version in DEFAULT}
    first = None
    for version, python in chosen.items():
        with tempfile.TemporaryDirectory(prefix=f"setup-{version}-") as tmp:
            took = set_up(python, Path(tmp))
        first = first or took
        print(f"Python {version}: make venv in a fresh clone, empty pip cache: {took:.0f} s "
              f"(x{took / first:.2f} of Python {next(iter(chosen))})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
