"""OpenMP threads that follow how busy the machine is.

Every MXNet operator on the CPU runs on the engine's worker thread, and with more
than one OpenMP thread each operator is a parallel region that ends at a barrier.
When another process holds a core, the barrier waits for a thread the OS has
descheduled, and a per-step loop of small operators slows down by an order of
magnitude or more (bench/RESULTS.md, the busy rows). One thread is never caught
that way.

So the thread count is not fixed at start-up. :class:`ThreadGovernor` samples
``/proc/stat`` twice a second, takes this process's own CPU time out of it, and
gives MXNet's worker as many threads as the other processes leave cores free (at
least one). The count is applied inside the worker itself (an engine operation
that calls ``omp_set_num_threads`` there), because OpenMP's count is per thread
and MXNet reads it on each operator when ``OMP_NUM_THREADS`` is set; numpy's own
OpenBLAS (the numpy models' products) gets the same count.

Nothing here starts on import. The governor runs only inside :func:`governed`, which the
core's training loop (``fit``: ``gluon-rnn train`` and ``compare``) enters after
:func:`gluon_rnn.blas.configure_blas` chose the threads; it does nothing when the user
chose ``OMP_NUM_THREADS`` themselves, or set ``GLUON_RNN_NO_BLAS_TUNING=1``.

What the thread count changes: nothing for elementwise operators, oneDNN's products
(``FullyConnected``, every Gluon output layer and the core's scratch model) and the fused
RNN, which give the same bits on one thread or two; OpenBLAS's ``dot`` rounds
differently on one thread and on two (tests/test_threads.py). So the governor is for the
core's models only, whose numbers stay the same idle and busy; everything else (a book's
own ``nd.dot`` run by ``gluon-rnn chapter`` or the Jupyter kernel, the WildML and
Straight Dope tutorials) keeps the one thread configure_blas gives every thread, and its
numbers stay the same too.
"""
from __future__ import annotations

import atexit
import contextlib
import ctypes
import ctypes.util
import functools
import os
import sys
import threading
import time
from typing import Any, Callable, Iterator, List, Optional, Tuple

_STAT = "/proc/stat"
_BUSY_FIELDS = (0, 1, 2, 5, 6, 7)  # user nice system irq softirq steal (a neighbour VM's too)


def busy_cpu_seconds(stat: str = _STAT) -> Optional[float]:
    """CPU seconds all processes have used since boot (``/proc/stat``), or None
    where there is no such file."""
    try:
        with open(stat) as f:
            fields = f.readline().split()[1:]
    except (OSError, IndexError):
        return None
    ticks = sum(int(fields[i]) for i in _BUSY_FIELDS if i < len(fields))
    return ticks / os.sysconf("SC_CLK_TCK")


def threads_for(others: float, cores: int) -> int:
    """The thread count for ``cores`` cores when other processes keep ``others``
    cores busy: a core counts as free when less than a third of it is in use."""
    return max(1, min(cores, int(cores - others + 1 / 3)))


class LoadMeter:
    """How many cores the *other* processes used between two calls of :meth:`others`."""

    def __init__(self, busy: Callable[[], Optional[float]] = busy_cpu_seconds,
                 own: Callable[[], float] = time.process_time,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._busy, self._own, self._clock = busy, own, clock
        self._last = self._sample()

    def _sample(self) -> Tuple[Optional[float], float, float]:
        return self._busy(), self._own(), self._clock()

    def others(self) -> Optional[float]:
        """Cores used by other processes since the last call; None when unknown."""
        now = self._sample()
        (busy0, own0, t0), (busy1, own1, t1) = self._last, now
        self._last = now
        if busy0 is None or busy1 is None or t1 <= t0:
            return None
        return max(0.0, (busy1 - busy0) - (own1 - own0)) / (t1 - t0)


class _Context(ctypes.Structure):  # mxnet::Context: device type, device id
    _fields_ = [("dev_type", ctypes.c_int), ("dev_id", ctypes.c_int)]


_SYNC_FUNC = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)


@functools.lru_cache(maxsize=None)
def _openmp():
    """The OpenMP runtime MXNet's operators use (already loaded with libmxnet)."""
    return ctypes.CDLL(ctypes.util.find_library("gomp") or "libgomp.so.1")


def _in_worker(task: Callable[[], Any]) -> Any:
    """Run ``task`` on MXNet's CPU worker thread, in order with the operators
    queued before it, and return what it returned.

    MXNet has no Python call for this (``MXSetNumOMPThreads`` changes only the
    calling thread), so ``task`` travels as an engine operation that writes a
    one-element array, which the engine orders like any other write."""
    import mxnet as mx
    from mxnet.base import _LIB, check_call

    marker = mx.nd.zeros((1,), ctx=mx.cpu())
    returned = []
    callback = _SYNC_FUNC(lambda _run_context, _param: returned.append(task()))
    handles = (ctypes.c_void_p * 1)(marker.handle.value)
    check_call(_LIB.MXEnginePushSyncND(callback, None, None, ctypes.byref(_Context(1, 0)),
                                       None, 0, handles, 1, None, 0, None))
    marker.wait_to_read()  # the callback must outlive the operation
    return returned[0]


def set_worker_threads(count: int) -> None:
    """Give MXNet's CPU worker ``count`` OpenMP threads from its next operator on."""
    if count < 1:
        raise ValueError(f"the thread count must be at least 1, got {count}")
    openmp = _openmp()
    _in_worker(lambda: openmp.omp_set_num_threads(count))


def worker_threads() -> int:
    """The OpenMP thread count MXNet's CPU worker gives its next operator."""
    return int(_in_worker(_openmp().omp_get_max_threads))


@functools.lru_cache(maxsize=None)
def _numpy_openblas():
    """numpy's own OpenBLAS (the wheel bundles one, apart from MXNet's), or None. Its
    thread count is one per process, so it can be set from any thread."""
    import glob

    import numpy

    folder = os.path.join(os.path.dirname(numpy.__file__), os.pardir, "numpy.libs")
    # numpy 1.x bundles libopenblas (openblas_*), numpy 2.x libscipy_openblas (scipy_openblas_*)
    for path in sorted(glob.glob(os.path.join(folder, "lib*openblas*.so*"))):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas_", "openblas_"):
            for suffix in ("64_", ""):
                if hasattr(lib, f"{prefix}set_num_threads{suffix}"):
                    return getattr(lib, f"{prefix}set_num_threads{suffix}"), \
                        getattr(lib, f"{prefix}get_num_threads{suffix}")
    return None


def set_numpy_threads(count: int) -> bool:
    """Give numpy's OpenBLAS ``count`` threads (the numpy models: RNNNumpy, the gates);
    False where numpy has no OpenBLAS of its own."""
    found = _numpy_openblas()
    if found is None:
        return False
    found[0](count)
    return True


def numpy_threads() -> int:
    """The thread count of numpy's OpenBLAS (0 when numpy has none of its own)."""
    found = _numpy_openblas()
    return int(found[1]()) if found else 0


def _loaded(name: str) -> bool:
    """Whether module ``name`` has finished importing (not merely begun: the governor's
    thread must never import MXNet or numpy, nor call into them while another thread is
    still importing them, which deadlocked a chapter run)."""
    module = sys.modules.get(name)
    spec = getattr(module, "__spec__", None)
    return module is not None and not getattr(spec, "_initializing", False)


def set_threads(count: int) -> bool:
    """What the governor applies: MXNet's worker and numpy's OpenBLAS alike, once MXNet
    has been imported by the program (before that there is nothing to set: every thread
    starts at one). Returns whether it was applied."""
    if not _loaded("mxnet"):
        return False
    set_worker_threads(count)
    set_numpy_threads(count)
    return True


class ThreadGovernor:
    """Keeps MXNet's CPU worker at :func:`threads_for` the load, checked every
    ``interval`` seconds on a daemon thread; ``changes`` records each switch as
    (seconds since start, others' cores, threads)."""

    def __init__(self, cores: int, interval: float = 0.5,
                 meter: Optional[LoadMeter] = None,
                 apply: Callable[[int], object] = set_threads, threads: int = 1) -> None:
        self.cores, self.interval = cores, interval
        self.threads = threads  # what the worker has now (OMP_NUM_THREADS at start)
        self.changes: List[Tuple[float, float, int]] = []
        self._meter, self._apply = meter, apply
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._start = time.monotonic()

    def step(self, others: Optional[float]) -> int:
        """Apply the count for one load reading (None: leave it as it is)."""
        if others is not None:
            wanted = threads_for(others, self.cores)
            if wanted != self.threads and self._apply(wanted) is not False:
                self.threads = wanted
                self.changes.append((time.monotonic() - self._start, others, wanted))
        return self.threads

    def _run(self) -> None:
        meter = self._meter or LoadMeter()
        wait = self.interval / 5  # the first reading soon after start
        while not self._stop.wait(wait):
            self.step(meter.others())
            wait = self.interval

    def start(self) -> "ThreadGovernor":
        if self._thread is None and self.cores > 1:
            self._thread = threading.Thread(target=self._run, name="gluon-rnn-threads",
                                            daemon=True)
            self._thread.start()
            atexit.register(self.stop)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)


def _governor_for(environ) -> Optional[ThreadGovernor]:
    """A governor for the threads :func:`~gluon_rnn.blas.configure_blas` chose, or None
    when the user set ``OMP_NUM_THREADS`` themselves, turned the tuning off, or there is
    one core."""
    from .blas import CHOSEN_MARK, available_cores

    if environ.get("GLUON_RNN_NO_BLAS_TUNING") or environ.get(CHOSEN_MARK) != "1":
        return None
    cores = available_cores()
    if cores < 2:
        return None
    return ThreadGovernor(cores, threads=int(environ.get("OMP_NUM_THREADS", "1")))


@contextlib.contextmanager
def governed(environ=os.environ) -> Iterator[Optional[ThreadGovernor]]:
    """MXNet's CPU worker follows the machine's load for the block (the governor, or
    None where :func:`_governor_for` says there is none), and is back at its count
    before it after: one thread, where configure_blas chose.

    Only for code whose every product gives the same bits on any thread count (the
    core's models: oneDNN's ``FullyConnected`` and fused RNN, elementwise operators).
    OpenBLAS's ``dot`` rounds differently on one thread and on two, so code that calls
    it (a book's own ``nd.dot``, the Straight Dope and WildML tutorials) runs on the
    fixed count instead, and gives the same numbers whatever the load."""
    if _active:  # nested: the outer block governs
        yield _active[0]
        return
    governor = _governor_for(environ)
    if governor is None:
        yield None
        return
    start = governor.threads
    _active.append(governor.start())
    try:
        yield governor
    finally:
        _active.clear()
        governor.stop()
        if governor.threads != start:
            set_threads(start)


# the governor of the block running now: MXNet has one CPU worker per process, so a
# nested block (a comparison's runs) keeps the outer one instead of starting another
_active: List[ThreadGovernor] = []
