"""gluon_rnn.mxnet_compat: what MXNet 1.9.1 needs on Python 3.12+ and numpy 1.24+, put
back only where it is missing, before MXNet's first import, by importing gluon_rnn."""
from __future__ import annotations

import subprocess
import sys
import types

import pytest

from gluon_rnn import mxnet_compat


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)


def test_aliases_are_set_only_where_numpy_lacks_them(monkeypatch):
    fake = types.ModuleType("numpy")
    fake.int = "numpy's own int"
    monkeypatch.setitem(sys.modules, "numpy", fake)
    restored = mxnet_compat.restore_numpy_aliases()
    assert restored == ["bool", "float", "complex", "object", "str"]
    assert fake.int == "numpy's own int"  # never replaced
    assert (fake.bool, fake.float, fake.complex, fake.object, fake.str) == \
        (bool, float, complex, object, str)
    assert mxnet_compat.restore_numpy_aliases() == []  # a second call changes nothing


def test_the_real_numpy_has_the_builtins_mxnet_uses():
    import mxnet  # noqa: F401 - the aliases are in place once MXNet has loaded
    import numpy

    assert (numpy.int, numpy.float, numpy.object) == (int, float, object)
    # numpy 2 has np.bool again, as its own boolean type: a dtype MXNet takes as it took bool
    assert numpy.bool is (bool if numpy.__version__ < "2" else numpy.bool_)


def test_numpy2_names_are_put_back_only_where_missing(monkeypatch):
    fake = types.ModuleType("numpy")
    fake.all, fake.any, fake.prod, fake.cumprod, fake.round = all, any, "prod", "cumprod", round
    fake.NaN = "numpy's own NaN"
    monkeypatch.setitem(sys.modules, "numpy", fake)
    restored = mxnet_compat.restore_numpy2_names()
    assert "NaN" not in restored and fake.NaN == "numpy's own NaN"
    assert {"PZERO", "NINF", "alltrue", "sometrue", "product", "round_", "compat", "mirr",
            "msort"} <= set(restored)
    assert (fake.PZERO, fake.NINF, fake.alltrue, fake.product) == (0.0, float("-inf"), all, "prod")
    assert fake.compat.basestring is str  # what MXNet's pad() asks of it
    with pytest.raises(RuntimeError, match=r"numpy\.mirr was removed .*NEP 32.*numpy_financial"):
        fake.mirr(0.1, [1, 2])
    assert mxnet_compat.restore_numpy2_names() == []


@pytest.mark.parametrize("version, has_switch, expected", [
    ("1.26.4", False, None), ("2.1.3", True, "legacy"), ("2.2.6", False, "unavailable")])
def test_numpy1_promotion_where_numpy_can_give_it(monkeypatch, version, has_switch, expected):
    fake = types.ModuleType("numpy")
    fake.__version__ = version
    states = []
    if has_switch:
        fake._set_promotion_state = states.append
    monkeypatch.setitem(sys.modules, "numpy", fake)
    if expected == "unavailable":
        with pytest.warns(UserWarning, match=r"numpy 2\.2\.6 has no numpy 1 promotion rules"):
            assert mxnet_compat.numpy1_promotion() == expected
    else:
        assert mxnet_compat.numpy1_promotion() == expected
    assert states == (["legacy"] if has_switch else [])


def test_the_books_sums_are_numpy_1s_on_any_numpy():
    """d2l's ``l_sum += l.asscalar() * y.size`` starts from a Python 0.0: numpy 1 summed in
    float64, NEP 50 (numpy 2) in float32; with the layer every numpy gives numpy 1's."""
    import mxnet as mx
    import numpy

    l_sum = 0.0
    for value in (2.7182817, 3.1415927, 1.4142135):
        l_sum += mx.nd.array([value]).asscalar() * 32
    assert type(l_sum) is numpy.float64
    assert l_sum == float(numpy.float32(2.7182817)) * 32 + float(numpy.float32(3.1415927)) * 32 \
        + float(numpy.float32(1.4142135)) * 32


def test_distutils_comes_from_setuptools_where_python_has_none(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name.startswith("distutils") else real(name, *a))
    monkeypatch.delitem(sys.modules, "distutils", raising=False)
    monkeypatch.delitem(sys.modules, "distutils.version", raising=False)
    assert mxnet_compat.provide_distutils() == "setuptools._distutils"
    from distutils.version import LooseVersion  # what mxnet/numpy_dispatch_protocol.py runs

    assert LooseVersion("1.26.4") > LooseVersion("1.9")


def test_without_setuptools_the_error_says_to_install_it(monkeypatch):
    import importlib

    monkeypatch.setattr(mxnet_compat, "_importable", lambda name: False)
    real = importlib.import_module

    def no_setuptools(name, *args):
        if name.startswith("setuptools"):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real(name, *args)
    monkeypatch.setattr(importlib, "import_module", no_setuptools)
    with pytest.raises(ImportError, match=r"install setuptools .*pip install setuptools"):
        mxnet_compat.provide_distutils()


def test_importing_gluon_rnn_prepares_mxnet_without_loading_numpy_early():
    """The finder acts at MXNet's first import, not before (configure_blas must still be able
    to run before numpy's OpenBLAS loads), and steps aside afterwards; MXNet's numpy
    interface, which uses ``np.bool``, works."""
    done = _python(
        "import sys, gluon_rnn\n"
        "assert 'numpy' not in sys.modules, 'import gluon_rnn loaded numpy'\n"
        "import mxnet as mx\n"
        "from gluon_rnn.mxnet_compat import _BeforeMXNet\n"
        "assert not any(isinstance(f, _BeforeMXNet) for f in sys.meta_path)\n"
        "a = mx.np.array([1.0, 2.0, 3.0])\n"
        "print(a[a > 1.5].asnumpy().tolist())  # a boolean key: MXNet compares with np.bool\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[2.0,", "3.0]"]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="numpy < 1.24 below Python 3.12 keeps "
                                                      "the aliases: MXNet imports bare")
def test_on_312_and_later_mxnet_alone_does_not_import():
    """Why the layer exists: without it, MXNet 1.9.1 fails on numpy 1.26's missing alias."""
    done = _python("import mxnet")
    assert done.returncode != 0
    assert "np.bool" in done.stderr or "distutils" in done.stderr or \
        "was removed in the NumPy 2.0 release" in done.stderr  # np.PZERO, the first it reads
