"""Process settings for speed, made before MXNet loads: BLAS kernels and the allocator.

MXNet 1.9.1's bundled OpenBLAS does not recognise some recent x86 CPUs and falls
back to slow generic kernels (several times slower matrix products). On a CPU
with AVX-512 (F, CD, BW, DQ, VL) ``OPENBLAS_CORETYPE=SkylakeX`` selects its AVX-512
kernels, on one with AVX2 only ``Haswell`` its AVX2 ones; bench/gemm.py measures
both against OpenBLAS's own detection and oneDNN on the shapes the paths run.
oneDNN (``FullyConnected``, the fused RNN) is left to its own ISA choice.

MXNet 1.9 allocates CPU arrays with plain ``malloc``/``free``; glibc serves
blocks over 128 KiB with fresh ``mmap`` pages, so every 512x512 gradient or
(64, 32, 512) activation costs hundreds of page faults per step. Raising glibc's
mmap and trim thresholds (``mallopt``) keeps freed blocks for reuse. The price is
that the process keeps its peak heap instead of returning it to the system.

OpenMP threads: ``OMP_NUM_THREADS=1`` is every thread's default (MXNet then reads
each thread's own count), and :mod:`gluon_rnn.threads` gives MXNet's CPU worker, where
the operators run, one thread per core that other processes leave free. On a shared
machine more threads than free cores is a trap (every operator's barrier waits for a
descheduled thread); threads the governor does not reach (the engine's copy and
priority workers, the Python thread) stay at one. ``GLUON_RNN_OMP_CHOSEN=1`` marks the
count as ours, so that a child process chooses again instead of taking it for the user's.

Elementwise operators: MXNet's operator tuning times each one at start-up and then
runs most of them on one thread; ``nd.tanh`` on a (32, 512) array stays a scalar
loop of 16k ``tanhf`` calls. ``MXNET_USE_OPERATOR_TUNING=0`` lets every elementwise
operator use the OpenMP threads: each element is computed the same way, only by
another thread, so results do not change. On a shared machine this matters little:
the thread governor then gives the worker one thread, and with one thread tuned and
untuned operators run alike.

This module never runs on import: the CLI and the benchmarks call
:func:`configure_blas` first thing; library users may call it before their first
``import mxnet``. A value the user already set always wins, and
``GLUON_RNN_NO_BLAS_TUNING=1`` disables all of it. Results change only by float
rounding (the BLAS kernels; the allocator changes none).
"""
from __future__ import annotations

import logging
import os
import sys
from typing import Dict, Optional

_AVX512 = {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}  # SkylakeX kernels


def cpu_flags(cpuinfo: str = "/proc/cpuinfo") -> set:
    """The CPU's feature flags (Linux); empty when unknown."""
    try:
        with open(cpuinfo) as f:
            return next((set(line.split(":", 1)[1].split()) for line in f
                         if line.startswith("flags")), set())
    except OSError:
        return set()


def cpu_has_avx2(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """True when the CPU flags list ``avx2`` (Linux); False when unknown."""
    return "avx2" in cpu_flags(cpuinfo)


def openblas_coretype(cpuinfo: str = "/proc/cpuinfo") -> Optional[str]:
    """OpenBLAS's fastest kernels for this CPU (bench/gemm.py): ``SkylakeX`` with
    AVX-512, ``Haswell`` with AVX2, None (OpenBLAS's own choice) otherwise."""
    flags = cpu_flags(cpuinfo)
    if _AVX512 <= flags:
        return "SkylakeX"
    return "Haswell" if "avx2" in flags else None


def configure_blas(environ=os.environ) -> Dict[str, str]:
    """When MXNet is not loaded yet: set ``OPENBLAS_CORETYPE`` to
    :func:`openblas_coretype`, ``OMP_NUM_THREADS=1`` (every thread's default; the
    thread governor gives MXNet's worker the free cores), ``MXNET_USE_OPERATOR_TUNING=0``
    (elementwise operators on every thread), each unless the user set it, and keep
    freed memory for reuse (see the module's text) unless the user set glibc's
    ``MALLOC_MMAP_THRESHOLD_``. Returns what was set.

    MXNet reads these once, when it loads: called after ``import mxnet`` it can change
    nothing, and where no ``OMP_NUM_THREADS`` was set either, MXNet runs on its default
    thread count, whose products round otherwise (other numbers than ``gluon-rnn
    chapter`` prints): that is said in one warning (:data:`LOADED_TOO_EARLY`), not
    silently passed over."""
    if environ.get("GLUON_RNN_NO_BLAS_TUNING"):
        return {}
    if "mxnet" in sys.modules:
        if "OMP_NUM_THREADS" not in environ:
            logging.getLogger(__name__).warning(LOADED_TOO_EARLY)
        return {}
    chosen = {}
    coretype = None if "OPENBLAS_CORETYPE" in environ else openblas_coretype()
    if coretype:
        environ["OPENBLAS_CORETYPE"] = chosen["OPENBLAS_CORETYPE"] = coretype
    if "OMP_NUM_THREADS" not in environ or environ.get(CHOSEN_MARK) == "1":
        environ["OMP_NUM_THREADS"] = chosen["OMP_NUM_THREADS"] = "1"
        environ[CHOSEN_MARK] = "1"  # ours, not the user's: children may choose again
    if "MXNET_USE_OPERATOR_TUNING" not in environ:
        environ["MXNET_USE_OPERATOR_TUNING"] = chosen["MXNET_USE_OPERATOR_TUNING"] = "0"
    if "MALLOC_MMAP_THRESHOLD_" not in environ and keep_freed_memory():
        chosen["malloc"] = f"blocks up to {MMAP_THRESHOLD >> 20} MiB reused from the heap"
    return chosen


def check_thread_count(environ=os.environ) -> None:
    """Raise ``ValueError`` (saying what to do) for an ``OMP_NUM_THREADS`` MXNet cannot
    start with: not a whole number (MXNet aborts), 0 (OpenMP then picks, slowly), or far
    more threads than cores (MXNet's thread pool crashes)."""
    value = environ.get("OMP_NUM_THREADS")
    if value is None:
        return
    limit = 8 * available_cores()
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= limit:
        raise ValueError(f"OMP_NUM_THREADS={value!r} is not a thread count MXNet can run with: "
                         f"set it to a whole number from 1 to {limit} ({available_cores()} "
                         "cores here), or unset it to let gluon-rnn choose")


def available_bytes() -> int:
    """Memory the machine can still give (Linux's MemAvailable; else physical memory)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def available_cores() -> int:
    """The cores this process may run on (its affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


LOADED_TOO_EARLY = (
    "gluon-rnn: MXNet was imported before gluon-rnn chose its thread settings, so it runs on "
    "its default thread count and its products may give other numbers than `gluon-rnn "
    "chapter`: call gluon_rnn.blas.configure_blas() before `import mxnet`, or set "
    "OMP_NUM_THREADS=1 before Python starts")
CHOSEN_MARK = "GLUON_RNN_OMP_CHOSEN"  # set beside OMP_NUM_THREADS when we chose it
MMAP_THRESHOLD = 32 << 20  # glibc's largest: blocks up to 32 MiB come from the heap
TRIM_THRESHOLD = 512 << 20  # free heap kept before any is returned to the system
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameter numbers


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds so freed blocks are reused instead of
    returned to the system and faulted in again; False where there is no glibc."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
        bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
