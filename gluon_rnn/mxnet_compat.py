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

On Python 3.13, where numpy 1.26 has no wheel (pip compiled it for about 20 minutes),
numpy 2.1 serves (issue 31), with two more things put back:

* **what numpy 2.0 removed and MXNet still names**: the constants (``np.PZERO``,
  ``np.NINF``, ``np.NaN``, ...), ``np.alltrue``/``sometrue``/``product``/``cumproduct``/
  ``round_``/``msort`` (read when MXNet registers its numpy operators), ``np.compat``
  (its ``basestring``, in ``pad``), and the financial functions NEP 32 took out, which
  numpy 1.x kept as names that raise when called (:data:`NUMPY2_REMOVED`).
* **numpy 1's promotion rules.** numpy 2 keeps ``np.float32(x) + 0.0`` a float32 (NEP
  50); numpy 1 made it a float64. The books' own code sums its losses so (``l_sum +=
  l.asscalar() * y.size``), and on NEP 50 its perplexities move in the 7th digit. numpy
  2.0 and 2.1 still carry numpy 1's rules (``np._set_promotion_state("legacy")``), so
  the numbers stay those of numpy 1; later numpy has no such switch, which is why the
  project pins numpy 2.1 on Python 3.13, and a later one gets a warning.

MXNet's package names ``numpy<2`` as its requirement although nothing of MXNet 1.9.1 is
compiled against numpy (it calls numpy through Python and ctypes only), so pip is told to
install MXNet without its own requirements (``tools/install.py``).

With this, the whole test suite, the d2l differential tests against the real helper
packages included, passes on Python 3.12 (numpy 1.26) and 3.13 (numpy 2.1) as on 3.11
(numpy 1.23), with the same printed numbers (README, "Set-up").

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
import math
import sys
import types
import warnings
from typing import Dict, Optional, Sequence

# numpy's removed name -> the builtin it was (numpy < 1.24: ``np.bool is bool``)
REMOVED_NUMPY_ALIASES: Dict[str, str] = {
    "bool": "bool", "int": "int", "float": "float", "complex": "complex",
    "object": "object", "str": "str"}


# numpy 2.0's removed names that MXNet 1.9.1 reads -> what numpy 1.x gave
NUMPY2_REMOVED: Dict[str, object] = {
    "PZERO": 0.0, "NZERO": -0.0, "PINF": math.inf, "NINF": -math.inf, "NAN": math.nan,
    "NaN": math.nan, "Inf": math.inf, "infty": math.inf}
NUMPY2_RENAMED: Dict[str, str] = {  # removed name -> numpy's name for the same function
    "alltrue": "all", "sometrue": "any", "product": "prod", "cumproduct": "cumprod",
    "round_": "round"}
NEP32_REMOVED = ("fv", "ipmt", "irr", "mirr", "nper", "npv", "pmt", "ppmt", "pv", "rate")


def restore_numpy2_names() -> Sequence[str]:
    """Put back what numpy 2.0 removed and MXNet 1.9.1 reads (:data:`NUMPY2_REMOVED`,
    :data:`NUMPY2_RENAMED`, ``np.compat``, NEP 32's names); return the names set. On
    numpy 1.x nothing is missing and nothing changes."""
    import numpy

    names: Dict[str, object] = dict(NUMPY2_REMOVED)
    names.update((old, getattr(numpy, new)) for old, new in NUMPY2_RENAMED.items())
    names.update((name, _removed_by_nep32(name)) for name in NEP32_REMOVED)
    names["msort"] = lambda a: numpy.sort(a, axis=0)
    names["compat"] = types.SimpleNamespace(basestring=str)
    restored = []
    for name, value in names.items():
        if name not in vars(numpy):
            setattr(numpy, name, value)
            restored.append(name)
    return restored


def _removed_by_nep32(name: str):
    def removed(*args, **kwargs):
        raise RuntimeError(f"numpy.{name} was removed from numpy (NEP 32): use the "
                           "numpy_financial package")
    removed.__name__ = name
    return removed


def numpy1_promotion() -> Optional[str]:
    """numpy 1's type promotion where numpy 2.0/2.1 can still give it (module text);
    returns what was done: None on numpy 1, "legacy" when set, "unavailable" on numpy
    2.2 and later, with a warning that the books' last digits may differ."""
    import numpy

    if int(numpy.__version__.split(".")[0]) < 2:
        return None
    set_state = getattr(numpy, "_set_promotion_state", None)
    if set_state is not None:
        set_state("legacy")
        return "legacy"
    warnings.warn(f"numpy {numpy.__version__} has no numpy 1 promotion rules: sums of "
                  "float32 values in the books' own code may differ from numpy 1's in the "
                  "last digits (install numpy 2.1, as make does on Python 3.13)", stacklevel=2)
    return "unavailable"


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
    restore_numpy2_names()
    numpy1_promotion()
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
