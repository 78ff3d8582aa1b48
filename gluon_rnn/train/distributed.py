"""Distributed training over MXNet's ``dist_sync`` KVStore: the worker's side (the
KVStore and its first parameter broadcast) and a local launcher (a scheduler,
servers and workers as processes on this machine, talking over 127.0.0.1).

MXNet's parameter server (ps-lite) reads its role and peers from the DMLC
environment variables; a process whose role is ``scheduler`` or ``server`` only
needs to import mxnet, which then serves until the workers finish. The workers run
the given command (``gluon-rnn train ...``) with ``DMLC_ROLE=worker``; ``gluon-rnn
train`` sees that and trains with ``kvstore='dist_sync'``.

Across machines, run the same command on each machine with ``DMLC_PS_ROOT_URI`` set
to the scheduler's address (see the README); this launcher itself only ever binds to
127.0.0.1.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence

from ..signals import Terminated, handled

LOOPBACK = "127.0.0.1"
VERBOSE_WORKERS_ENV = "GLUON_RNN_VERBOSE_WORKERS"  # every worker prints, labelled


def distributed_kvstore():
    """The ``dist_sync`` KVStore of a worker of a ``gluon-rnn launch`` job (MXNet finds
    the job's scheduler from the ``DMLC_*`` variables the launcher set)."""
    import mxnet as mx  # here, not at import: the launcher itself never loads MXNet

    return mx.kv.create("dist_sync")


def launched_as_worker() -> bool:
    """Whether this process was started as a worker of a ``gluon-rnn launch`` job (the
    launcher sets ``DMLC_ROLE=worker``). Only the command line asks, and passes the answer
    on as ``distributed=``: a library caller's run is never made distributed by its
    environment."""
    return os.environ.get("DMLC_ROLE") == "worker"


def broadcast_initial_parameters(trainer) -> None:
    """Give every worker rank 0's parameters now, and wait until they have arrived.

    Gluon does this lazily inside the first ``allreduce_grads``, where MXNet 1.9's
    dist KVStore does not order the parameter pull before the gradient push of the
    same key (on CPU the key's buffer becomes the gradient array itself): when the
    other worker's gradient reached the server first, the pull returned the summed
    gradient as the weight, and about half of the 2-worker runs diverged."""
    import mxnet as mx

    trainer._init_kvstore()
    trainer._init_params()
    mx.nd.waitall()


def free_port() -> int:
    """A TCP port that is free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def dmlc_environment(num_workers: int, num_servers: int, port: int) -> Dict[str, str]:
    """The variables every process of the job shares."""
    return {"DMLC_PS_ROOT_URI": LOOPBACK, "DMLC_PS_ROOT_PORT": str(port),
            "DMLC_NUM_WORKER": str(num_workers), "DMLC_NUM_SERVER": str(num_servers),
            "DMLC_NODE_HOST": LOOPBACK, "DMLC_INTERFACE": "lo"}


@dataclasses.dataclass
class Process:
    name: str
    popen: subprocess.Popen


class LaunchError(RuntimeError):
    """A worker failed or the job ran out of time; the message names which."""


# Run first in every process of a job (Linux): the kernel kills the process when the
# launcher dies, even by SIGKILL, which no handler of the launcher's can see; then the
# real command replaces it (the setting survives exec). A launcher already gone by then
# is caught by the parent check.
_GUARD = ("import ctypes, os, signal, sys\n"
          "ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG\n"
          "if os.getppid() != int(sys.argv[1]):\n    sys.exit(1)\n"
          "os.execvp(sys.argv[2], sys.argv[2:])\n")


def _start(name: str, argv: Sequence[str], env: Dict[str, str]) -> Process:
    argv = list(argv)
    found = shutil.which(argv[0]) if argv else None
    if found is None:
        raise LaunchError(f"cannot start the {name}: {argv[0] if argv else '(nothing)'}: no such "
                          "executable file")
    if sys.platform.startswith("linux"):
        argv = [sys.executable, "-c", _GUARD, str(os.getpid()), found, *argv[1:]]
    try:
        return Process(name, subprocess.Popen(argv, env=env, start_new_session=True))
    except OSError as err:
        raise LaunchError(f"cannot start the {name}: {argv[0]}: {err.strerror or err}") from err


def _stop_all(processes: List[Process], grace: float = 5.0) -> None:
    for proc in processes:
        if proc.popen.poll() is None:
            os.killpg(proc.popen.pid, signal.SIGTERM)
    deadline = time.time() + grace
    for proc in processes:
        try:
            proc.popen.wait(max(0.0, deadline - time.time()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.popen.pid, signal.SIGKILL)
            proc.popen.wait()


def max_processes() -> int:
    """The most processes one local job starts: four per core, at least 16 (each one is
    a Python process with MXNet loaded; a thousand of them would only exhaust memory)."""
    return max(16, 4 * (os.cpu_count() or 1))


def launch(command: Sequence[str], num_workers: int, num_servers: int = 1,
           timeout: Optional[float] = None, port: Optional[int] = None,
           poll: float = 0.2, verbose_workers: bool = False) -> None:
    """Run ``command`` as ``num_workers`` workers of a ``dist_sync`` job with
    ``num_servers`` servers and a scheduler, all on 127.0.0.1; return when every worker
    has exited 0. A worker that fails stops the others and raises :class:`LaunchError`
    naming it; so does passing ``timeout`` seconds. Only worker 0 prints unless
    ``verbose_workers`` (``GLUON_RNN_VERBOSE_WORKERS=1`` in the workers' environment)."""
    if num_workers < 1 or num_servers < 1:
        raise ValueError(f"need at least one worker and one server, got {num_workers} and "
                         f"{num_servers}")
    most = max_processes()
    if num_workers + num_servers > most:
        raise ValueError(f"{num_workers} workers and {num_servers} servers are more than the "
                         f"{most} processes a job on this machine's {os.cpu_count()} cores may "
                         "start; use fewer (-n, -s)")
    if not command:
        raise ValueError("no worker command given: gluon-rnn launch -n 2 -- gluon-rnn train ...")
    shared = dict(os.environ, **dmlc_environment(num_workers, num_servers, port or free_port()))
    # a scheduler or server is MXNet's import itself (ps-lite starts it by DMLC_ROLE);
    # gluon_rnn first, so that MXNet finds what it needs on Python 3.12+ (mxnet_compat)
    serve = [sys.executable, "-c", "import gluon_rnn, mxnet"]
    worker_env = dict(shared, DMLC_ROLE="worker")
    if verbose_workers:
        worker_env[VERBOSE_WORKERS_ENV] = "1"
    processes: List[Process] = []
    deadline = None if timeout is None else time.time() + timeout
    # SIGTERM to the launcher becomes an exception, so that it stops the job it started
    with handled(_stopped_by_sigterm):
        try:  # every way out of here stops every process started here
            processes.append(_start("scheduler", serve, dict(shared, DMLC_ROLE="scheduler")))
            for i in range(num_servers):
                processes.append(_start(f"server {i}", serve, dict(shared, DMLC_ROLE="server")))
            for i in range(num_workers):
                processes.append(_start(f"worker {i}", command, worker_env))
            workers, serving = processes[1 + num_servers:], processes[:1 + num_servers]
            gone_since: Dict[str, float] = {}  # a server or the scheduler that ended, and when
            while True:
                for worker in workers:
                    code = worker.popen.poll()
                    if code is not None and code != 0:
                        raise LaunchError(f"{worker.name} (pid {worker.popen.pid}) exited with "
                                          f"status {_status(code)}; stopped the other processes")
                if all(worker.popen.poll() == 0 for worker in workers):
                    return
                _check_serving(serving, gone_since)
                if deadline is not None and time.time() > deadline:
                    raise LaunchError(f"the job did not finish within {timeout:g} s; stopped it")
                time.sleep(poll)
        finally:
            _stop_all(processes)


# After the last worker's Finalize the scheduler and servers end, possibly a moment before
# the workers' processes do: one that ended cleanly is a failure only if the workers
# are still running this long after
SERVING_GRACE = 10.0


def _check_serving(serving: List[Process], gone_since: Dict[str, float]) -> None:
    """Raise :class:`LaunchError` for a scheduler or server that died (killed, or a
    failing status) while the workers run, or that ended cleanly :data:`SERVING_GRACE`
    seconds before them: without it the workers would wait for it forever."""
    for proc in serving:
        code = proc.popen.poll()
        if code is None:
            continue
        if code != 0:
            raise LaunchError(f"the {proc.name} (pid {proc.popen.pid}) exited with status "
                              f"{_status(code)} while the workers ran; stopped the other "
                              "processes")
        since = gone_since.setdefault(proc.name, time.time())
        if time.time() - since > SERVING_GRACE:
            raise LaunchError(f"the {proc.name} (pid {proc.popen.pid}) ended {SERVING_GRACE:g} s "
                              "before the workers, which cannot finish without it; stopped "
                              "them")


def _status(code: int) -> str:
    """An exit status as a shell would name it: the number, or the signal that ended it."""
    if code < 0:
        try:
            return f"{-code} ({signal.Signals(-code).name})"
        except ValueError:
            return str(code)
    return str(code)


def _stopped_by_sigterm(signum, frame) -> None:
    raise Terminated  # the job's processes are stopped on the way out; the command says 143
