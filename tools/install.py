"""Install gluon-rnn and what it needs into this environment; the Makefile runs it with
.venv's Python:

    python tools/install.py [EXTRA ...]     the package (editable) and its requirements,
                                            with those of the extras named (test, lint, ...)
    python tools/install.py --check         exit 1 unless numpy is still the version
                                            setup.cfg pins for this Python

Why not ``pip install -e ".[EXTRA]"`` alone: MXNet 1.9.1's package requires numpy<2, yet
nothing of MXNet is compiled against numpy (it calls numpy from Python and through
ctypes), and on Python 3.13 numpy 1.x has no wheel, so pip compiled numpy 1.26 from
source for about twenty minutes, silently. Here MXNet is installed without its own
requirements; its other requirements (requests, graphviz) go with ours in one resolver
run, and numpy comes as setup.cfg pins it for this Python (numpy 2.1 on 3.13, where
``gluon_rnn.mxnet_compat`` puts back what MXNet reads of numpy 1). pip itself is the
installer throughout; this script only says what to ask of it, and says each step.
"""
import os
import subprocess
import sys
import time
from importlib import metadata

from packaging.requirements import Requirement

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "gluon-rnn"
MXNET = "mxnet"


def pip_install(*args):
    """pip's output only when it fails: on success it is setuptools' notes on editable
    installs and pip's warning that MXNet's numpy<2 pin is not met, which is the point."""
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", *args],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        print(done.stdout, end="")
        sys.exit(f"pip install {' '.join(args)} failed (exit {done.returncode}): see above")


def applicable(dist, extras=()):
    """The requirements of the installed ``dist`` that apply to this interpreter, with
    those of ``extras``."""
    found = []
    for text in metadata.requires(dist) or []:
        requirement = Requirement(text)
        marker = requirement.marker
        if marker is None or any(marker.evaluate({"extra": extra}) for extra in ("", *extras)):
            found.append(requirement)
    return found


def unmarked(requirement):
    """The requirement without its marker, already evaluated here (pip would evaluate
    ``extra == "test"`` again, as false)."""
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    return f"{requirement.name}{extras}{requirement.specifier}"


def step(what, *pip_args):
    started = time.monotonic()
    print(f"  {what} ...", flush=True)
    pip_install(*pip_args)
    return time.monotonic() - started


def install(extras):
    label = f"{PACKAGE}[{','.join(extras)}]" if extras else PACKAGE
    print(f"Installing {label} with Python {sys.version.split()[0]} (pip, one step a line):",
          flush=True)
    took = step(f"{PACKAGE} itself (editable)", "--no-deps", "--no-build-isolation", "-e", ROOT)
    ours = applicable(PACKAGE, extras)
    mxnet = [unmarked(r) for r in ours if r.name.lower() == MXNET]
    took += step(f"{' '.join(mxnet)} without its numpy<2 pin", "--no-deps", *mxnet)
    theirs = [r for r in applicable(MXNET) if r.name.lower() != "numpy"]
    rest = [r for r in ours + theirs if r.name.lower() != MXNET]
    numpy = next((f"{r.name}{r.specifier}" for r in rest if r.name == "numpy"), "numpy")
    took += step(f"the other {len(rest)} requirements ({numpy}: a wheel on every supported "
                 "Python; under a minute)", *sorted({unmarked(r) for r in rest}))
    versions = subprocess.run(
        [sys.executable, "-c", "import gluon_rnn, mxnet, numpy; "
         "print('mxnet', mxnet.__version__, 'numpy', numpy.__version__)"],
        capture_output=True, text=True)
    if versions.returncode != 0:
        sys.exit(f"installed, but MXNet does not load:\n{versions.stderr.strip()}")
    print(f"Installed in {took:.0f} s: {versions.stdout.strip()}", flush=True)


def check_numpy():
    """Exit with a line saying so unless the installed numpy is the one pinned for this
    Python (an install after ours must not have changed it)."""
    pinned = [r for r in applicable(PACKAGE) if r.name.lower() == "numpy"]
    installed = metadata.version("numpy")
    if pinned and not pinned[0].specifier.contains(installed, prereleases=True):
        sys.exit(f"numpy {installed} is installed, but gluon-rnn pins {pinned[0]} for Python "
                 f"{sys.version.split()[0]}: something upgraded it; run: make clean, then make")


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        check_numpy()
    else:
        install(sys.argv[1:])
