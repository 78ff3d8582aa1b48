"""What MXNet 1.9.1 needs from numpy and the standard library on the Pythons readers
have today: the one place where it is put back.

MXNet 1.9.1 (2022) was built for Python 3.7-3.11 and numpy < 1.24. On Python 3.12 and
3.13 numpy 1.26 is the oldest numpy with wheels (``numpy<1.24`` does not build there),
and two things MXNet reaches for are gone:

* **numpy's aliases of the builtin types.** numpy 1.24 removed ``np.bool``, ``np.int``,
  ``np.float``, ``np.complex``, ``np.object`` and ``np.str`` (deprecated since 1.20;
  they were the builtins themselves). MXNet uses ``np.bool`` when it builds the
  ``mx.np`` and ``mx.nd.numpy`` operators at import (``_np.bool if dtype is None``) and
  in boolean indexing, and the others in its dtype tables. Each is set back to the
  builtin it stood for, and only where numpy lacks it: on numpy < 1.24 nothing changes.
* **distutils.** Python 3.12 removed it; ``import mxnet`` runs
  ``from distutils.version import LooseVersion`` (``mxnet/numpy_dispatch_protocol.py``,
  and ``numpy_op_fallback.py`` its ``StrictVersion``). setuptools carries the same
  module (``setuptools._distutils``) and normally installs a hook that answers
  ``import distutils`` with it; where that hook is not active (``SETUPTOOLS_USE_DISTUTILS
  =stdlib``, or ``-S``), the module is registered under its old name here. Without
  setuptools, the error says to install it.

Nothing else was needed: the whole test suite, the d2l differential tests against the
real helper packages included, passes on Python 3.12 and 3.13 with numpy 1.26 as on 3.11
with numpy 1.23, with the same printed numbers (README, "Set-up").

:func:`prepare_mxnet` applies both; importing :mod:`gluon_rnn` arranges for it to run
just before MXNet is first imported (:func:`install`), by gluon-rnn or by anyone else in
the process (the facades, the chapter runner, the kernel, the real d2l packages the
tests compare against). It imports nothing until then, so that
:func:`gluon_rnn.blas.configure_blas` still runs before numpy and MXNet load.
"""
from __future__ import annotations

import builtins
import importlib
import importlib.abc
import importlib.util
import sys
from typing import Dict, Optional, Sequence

# numpy's removed name -> the builtin it was (numpy < 1.24: ``np.bool is bool``)
REMOVED_NUMPY_ALIASES: Dict[str, str] = {
    "bool": "bool", "int": "int", "float": "float", "complex": "complex",
    "object": "object", "str": "str"}


def restore_numpy_aliases() -> Sequence[str]:
    """Set each alias of :data:`REMOVED_NUMPY_ALIASES` that numpy lacks; return those set."""
    import numpy

    restored = []
    for name, builtin in REMOVED_NUMPY_ALIASES.items():
        if name not in vars(numpy):  # numpy >= 1.24 answers it only with an AttributeError
            setattr(numpy, name, getattr(builtins, builtin))
            restored.append(name)
    return restored


def provide_distutils() -> Optional[str]:
    """Make ``import distutils.version`` work; return where it comes from (None when
    the standard library or setuptools' own hook already provides it)."""
    if _importable("distutils.version"):
        return None
    try:
        stand_in = importlib.import_module("setuptools._distutils")
        version = importlib.import_module("setuptools._distutils.version")
    except ImportError as err:
        raise ImportError(
            f"MXNet 1.9.1 imports distutils, which Python {sys.version_info[0]}."
            f"{sys.version_info[1]} no longer has; install setuptools into this environment "
            "(python -m pip install setuptools), which carries it") from err
    sys.modules["distutils"] = stand_in
    sys.modules["distutils.version"] = version
    return "setuptools._distutils"


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:  # the parent package is missing
        return False


def prepare_mxnet() -> None:
    """Everything MXNet 1.9.1 needs before it is imported (see the module's text)."""
    restore_numpy_aliases()
    provide_distutils()


class _BeforeMXNet(importlib.abc.MetaPathFinder):
    """Runs :func:`prepare_mxnet` when ``mxnet`` is about to be imported, then steps
    aside (it finds nothing itself: the import goes on as usual)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "mxnet":
            uninstall()
            prepare_mxnet()
        return None


def install() -> None:
    """Arrange for :func:`prepare_mxnet` to run before MXNet's first import in this
    process (at once when MXNet is already loaded: nothing to do then)."""
    if "mxnet" in sys.modules:
        return
    if not any(isinstance(finder, _BeforeMXNet) for finder in sys.meta_path):
        sys.meta_path.insert(0, _BeforeMXNet())


def uninstall() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _BeforeMXNet)]
