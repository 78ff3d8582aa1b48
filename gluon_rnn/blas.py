"""Choosing MXNet's BLAS kernels before MXNet loads.

MXNet 1.9.1's bundled OpenBLAS does not recognise recent x86 CPUs and falls back
to slow generic kernels (about 5x slower matrix products here). On a CPU with
AVX2, ``OPENBLAS_CORETYPE=Haswell`` selects the right ones. This module never
runs on import: the CLI and the benchmarks call :func:`configure_blas` first
thing; library users may call it before their first ``import mxnet``. A value
the user already set always wins, and ``GLUON_RNN_NO_BLAS_TUNING=1`` disables it.
Results change only by float rounding.
"""
from __future__ import annotations

import os
import sys
from typing import Dict


def cpu_has_avx2(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """True when the CPU flags list ``avx2`` (Linux); False when unknown."""
    try:
        with open(cpuinfo) as f:
            return any(line.startswith("flags") and " avx2" in line for line in f)
    except OSError:
        return False


def configure_blas(environ=os.environ) -> Dict[str, str]:
    """Set ``OPENBLAS_CORETYPE=Haswell`` and ``OMP_NUM_THREADS=1`` when MXNet is
    not loaded yet, the CPU has AVX2 and the user set neither; return what was set.

    One OpenMP thread: the RNN steps here are many small operators, for which
    thread hand-offs cost more than they save on a 2-core machine."""
    if "mxnet" in sys.modules or environ.get("GLUON_RNN_NO_BLAS_TUNING") or not cpu_has_avx2():
        return {}
    chosen = {}
    for name, value in (("OPENBLAS_CORETYPE", "Haswell"), ("OMP_NUM_THREADS", "1")):
        if name not in environ:
            environ[name] = chosen[name] = value
    return chosen
