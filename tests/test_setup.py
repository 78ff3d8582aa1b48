"""Set-up (issue 21): which interpreters and platforms the Makefile accepts, the one line it
prints for the others, and a .venv rebuilt when another interpreter is chosen."""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _check_python():
    spec = importlib.util.spec_from_file_location("check_python", ROOT / "tools" / "check_python.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_supported_range_is_setup_cfgs_and_the_makefiles():
    check = _check_python()
    assert check.supported_range() == (9, 13)
    makefile = (ROOT / "Makefile").read_text()
    listed = re.search(r"^SUPPORTED_PYTHONS := (.*)$", makefile, re.M).group(1).split()
    assert listed == [f"3.{minor}" for minor in range(13, 8, -1)]  # newest first
    setup = (ROOT / "setup.cfg").read_text()
    classifiers = re.findall(r"Programming Language :: Python :: (3\.\d+)", setup)
    assert classifiers == [f"3.{minor}" for minor in range(9, 14)]


@pytest.mark.parametrize("version, system, machine, expected", [
    ((3, 11, 7), "Linux", "x86_64", None),
    ((3, 13, 0), "Linux", "aarch64", None),
    ((3, 9, 18), "Darwin", "x86_64", None),
    ((3, 8, 18), "Linux", "x86_64", "gluon-rnn needs Python 3.9 to 3.13"),
    ((3, 14, 0), "Linux", "x86_64", "gluon-rnn needs Python 3.9 to 3.13"),
    ((3, 12, 1), "Darwin", "arm64", "no wheel for Darwin on arm64.*Rosetta 2"),
    ((3, 12, 1), "Windows", "AMD64", "no wheel for Windows on AMD64.*WSL2"),
    ((3, 12, 1), "FreeBSD", "amd64", "no wheel for FreeBSD.*Linux x86_64 or aarch64"),
])
def test_one_line_for_what_cannot_run_gluon_rnn(monkeypatch, version, system, machine, expected):
    check = _check_python()
    monkeypatch.setattr(check.sys, "version_info", version)
    monkeypatch.setattr(check.platform, "system", lambda: system)
    monkeypatch.setattr(check.platform, "machine", lambda: machine)
    problem = check.problem()
    if expected is None:
        assert problem is None
    else:
        assert re.search(expected, problem) and "\n" not in problem
        if "needs Python" in problem:
            assert "PYTHON=python3.12" in problem


def _make(tmp: Path, *args: str, env=None) -> subprocess.CompletedProcess:
    """make in ``tmp``, not as a sub-make of the `make test` running this: its command-line
    variables (CI's `make test PYTHON=... VENV=.venv-py3.13`) reach child processes both
    through MAKEFLAGS and as plain environment variables, and would choose another venv."""
    env = {k: v for k, v in (os.environ if env is None else env).items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "VENV", "PYTHON", "ARGS")}
    return subprocess.run([shutil.which("make"), "--no-print-directory", "-C", str(tmp), *args],
                          capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture
def checkout(tmp_path):
    """The files that decide how .venv is built, in a folder of their own."""
    for name in ("Makefile", "setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "tools", tmp_path / "tools")
    return tmp_path


def test_an_interpreter_that_does_not_run_is_one_line(checkout):
    done = _make(checkout, "venv", "PYTHON=/nowhere/python3.14")
    assert done.returncode != 0
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("PYTHON=/nowhere/python3.14 does not run here")
    assert "Python 3.9 to 3.13" in lines[0]
    assert not (checkout / ".venv").exists()


def test_no_supported_interpreter_found_is_one_line(checkout, tmp_path_factory):
    empty = tmp_path_factory.mktemp("bin")  # a PATH with no python at all
    done = _make(checkout, "venv", env={"PATH": str(empty), "HOME": str(empty)})
    assert done.returncode != 0
    assert done.stdout.strip() == (
        "no supported Python found (tried python3.13 python3.12 python3.11 python3.10 python3.9 "
        "and python3): gluon-rnn needs Python 3.9 to 3.13; install one and pass it as "
        "PYTHON=python3.12")


def test_venv_of_another_interpreter_is_rebuilt_without_make_clean(checkout, tmp_path_factory):
    """A .venv left by another interpreter (or by a failed try) is replaced; a second try with
    the same interpreter keeps what the first one built. pip has no index here, so the build
    stops after the venv is made: what matters is what happened to .venv before that."""
    venv = checkout / ".venv"
    venv.mkdir()
    (venv / ".python").write_text("3.12 /opt/other/python3.12\n")
    (venv / "left-by-the-other").write_text("")
    no_wheels = tmp_path_factory.mktemp("no-wheels")
    env = dict(os.environ, PIP_NO_INDEX="1", PIP_FIND_LINKS=str(no_wheels),
               PIP_CONFIG_FILE=os.devnull)
    me = f"{sys.version_info[0]}.{sys.version_info[1]} {os.path.realpath(sys.executable)}"
    first = _make(checkout, "venv", f"PYTHON={sys.executable}", env=env)
    assert first.returncode != 0  # no index: the install itself cannot finish
    assert (f".venv was built with 3.12 /opt/other/python3.12; rebuilding it with Python {me}"
            in first.stdout)
    assert not (venv / "left-by-the-other").exists()
    assert (venv / ".python").read_text().strip() == me
    assert (venv / "bin" / "python").exists() and not (venv / ".installed").exists()
    (venv / "kept").write_text("")
    second = _make(checkout, "venv", f"PYTHON={sys.executable}", env=env)
    assert "rebuilding" not in second.stdout and (venv / "kept").exists()


def test_a_working_venv_is_used_as_it_is_without_python(checkout):
    """After `make run PYTHON=.../python3.13`, a plain `make jupyter` (no PYTHON) uses that
    .venv's own interpreter instead of the first python3.X on PATH, so nothing is rebuilt;
    only an explicit other PYTHON rebuilds it (the test above)."""
    venv = checkout / ".venv"
    venv.mkdir()
    me = os.path.realpath(sys.executable)
    (venv / ".python").write_text(f"{sys.version_info[0]}.{sys.version_info[1]} {me}\n")
    (venv / ".installed").write_text("")
    def chosen() -> set:
        plan = _make(checkout, "-pn", "venv")  # make's own account of its variables
        return {line for line in plan.stdout.splitlines() if line.startswith("PYTHON := ")}

    assert chosen() == {f"PYTHON := {me}"}
    (venv / ".installed").unlink()  # a build that never finished is no working .venv
    assert chosen() != {f"PYTHON := {me}"}  # the first supported python3.X on PATH, by name
