"""configure_blas: only before mxnet loads, only with AVX2, never over the user's values."""
from __future__ import annotations

import subprocess
import sys

from gluon_rnn import blas


def test_does_nothing_once_mxnet_is_loaded():
    import mxnet  # noqa: F401  (loaded by the test session anyway)
    env = {}
    assert blas.configure_blas(env) == {} and env == {}


def test_sets_only_what_the_user_left_unset(monkeypatch):
    monkeypatch.delitem(sys.modules, "mxnet")
    monkeypatch.setattr(blas, "cpu_has_avx2", lambda: True)
    env = {"OMP_NUM_THREADS": "2"}
    assert blas.configure_blas(env) == {"OPENBLAS_CORETYPE": "Haswell"}
    assert env == {"OMP_NUM_THREADS": "2", "OPENBLAS_CORETYPE": "Haswell"}
    assert blas.configure_blas({"GLUON_RNN_NO_BLAS_TUNING": "1"}) == {}
    monkeypatch.setattr(blas, "cpu_has_avx2", lambda: False)
    assert blas.configure_blas({}) == {}


def test_cpuinfo_parsing(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor : 0\nflags : fpu sse avx avx2 fma\n")
    assert blas.cpu_has_avx2(str(info))
    info.write_text("flags : fpu sse avx\n")
    assert not blas.cpu_has_avx2(str(info))
    assert not blas.cpu_has_avx2(str(tmp_path / "missing"))


def test_cli_process_gets_the_setting_before_mxnet():
    code = ("import os, gluon_rnn.cli as c, sys; c.main(['data']); "
            "print('CORETYPE', os.environ.get('OPENBLAS_CORETYPE'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in __import__("os").environ.items()
                               if k not in ("OPENBLAS_CORETYPE", "OMP_NUM_THREADS")})
    expected = "Haswell" if blas.cpu_has_avx2() else "None"
    assert done.stdout.strip().endswith(f"CORETYPE {expected}"), done.stderr
