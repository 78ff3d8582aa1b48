"""Can this interpreter run gluon-rnn? The Makefile asks it before building .venv.

    python tools/check_python.py            exit 0 and print "VERSION EXECUTABLE", or
                                            exit 1 and print one line saying why and what to do
    python tools/check_python.py --quiet    only the exit status (used to pick an interpreter)

The supported versions are setup.cfg's ``python_requires`` (read here, written once);
the platforms are those MXNet 1.9.1 publishes wheels for. Written for any Python,
2.7 included, so that an old interpreter also gets the one line instead of a
syntax error.
"""
import os
import platform
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# (system, machine) pairs with an mxnet==1.9.1 wheel on PyPI
WHEELS = {("Linux", "x86_64"), ("Linux", "aarch64"), ("Darwin", "x86_64")}
NO_WHEEL_ADVICE = {
    "Darwin": "on Apple Silicon use an x86_64 Python under Rosetta 2 (for example "
              "`arch -x86_64 /usr/local/bin/python3.11`, from python.org's universal "
              "installer or an x86_64 Homebrew) and pass it as PYTHON=..., or a Linux container",
    "Windows": "use WSL2 (Ubuntu) and run make there, or a Linux container",
}


def supported_range():
    """(lowest, highest) minor versions of Python 3, from setup.cfg's python_requires."""
    with open(os.path.join(ROOT, "setup.cfg")) as f:
        text = f.read()
    spec = re.search(r"^python_requires\s*=\s*(.+)$", text, re.M).group(1)
    low = int(re.search(r">=\s*3\.(\d+)", spec).group(1))
    high = int(re.search(r"<\s*3\.(\d+)", spec).group(1)) - 1
    return low, high


def problem():
    """Why this interpreter cannot run gluon-rnn, or None."""
    low, high = supported_range()
    version = "%d.%d" % sys.version_info[:2]
    wanted = "Python 3.%d to 3.%d" % (low, high)
    if sys.version_info[0] != 3 or not low <= sys.version_info[1] <= high:
        return ("gluon-rnn needs %s (MXNet 1.9.1 and its numpy); %s is Python %s: install one "
                "(python.org, your distribution's python3.12, or `pyenv install 3.12`) and run "
                "make again with PYTHON=python3.12" % (wanted, sys.executable, version))
    system, machine = platform.system(), platform.machine().lower()
    machine = {"amd64": "x86_64", "arm64": "aarch64" if system == "Linux" else "arm64"}.get(
        machine, machine)
    if (system, machine) not in WHEELS:
        advice = NO_WHEEL_ADVICE.get(system, "use a Linux x86_64 or aarch64 machine or container")
        return ("MXNet 1.9.1 publishes no wheel for %s on %s, so gluon-rnn cannot be installed "
                "here; %s (README, Set-up)" % (system, platform.machine(), advice))
    return None


def main():
    why = problem()
    if "--quiet" not in sys.argv:
        if why:
            sys.stdout.write(why + "\n")
        else:
            sys.stdout.write("%d.%d %s\n" % (sys.version_info[0], sys.version_info[1],
                                             os.path.realpath(sys.executable)))
    return 1 if why else 0


if __name__ == "__main__":
    sys.exit(main())
