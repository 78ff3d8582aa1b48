"""The thread governor: its rule, its load reading, and that the thread count it
sets reaches MXNet's worker and changes no result."""
from __future__ import annotations

import hashlib
from pathlib import Path

import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, nd

from gluon_rnn import threads
from gluon_rnn.models.scratch import get_params, init_rnn_state, rnn_scores


@pytest.mark.parametrize("others, cores, expected", [
    (0.0, 2, 2), (0.2, 2, 2), (0.34, 2, 1), (1.0, 2, 1), (2.0, 2, 1), (5.0, 2, 1),
    (0.0, 8, 8), (1.0, 8, 7), (2.5, 8, 5), (0.0, 1, 1),
])
def test_threads_for_leaves_the_cores_others_use(others, cores, expected):
    assert threads.threads_for(others, cores) == expected


def test_load_meter_subtracts_own_cpu_time():
    readings = iter([(10.0, 1.0, 100.0), (11.5, 1.9, 101.0), (11.5, 1.9, 101.0),
                     (12.0, 2.0, 103.0)])
    sample = []

    def take(index):
        return lambda: sample[-1][index]

    def next_sample():
        sample.append(next(readings))

    next_sample()
    meter = threads.LoadMeter(busy=take(0), own=take(1), clock=take(2))
    next_sample()
    assert meter.others() == pytest.approx(0.6)  # 1.5 busy - 0.9 ours over 1 s
    next_sample()
    assert meter.others() is None  # no time passed
    next_sample()
    assert meter.others() == pytest.approx(0.2)  # 0.5 - 0.1 over 2 s


def test_load_meter_without_proc_stat(tmp_path):
    assert threads.busy_cpu_seconds(str(tmp_path / "missing")) is None
    stat = tmp_path / "stat"
    stat.write_text("cpu  100 0 50 9999 7 3 2 5 0 0\ncpu0 1 2 3\n")
    import os
    assert threads.busy_cpu_seconds(str(stat)) == pytest.approx(160 / os.sysconf("SC_CLK_TCK"))


def test_governor_switches_only_on_a_changed_count():
    applied = []
    governor = threads.ThreadGovernor(cores=2, apply=applied.append, threads=2)
    for others in (0.1, None, 0.9, 1.2, 0.5, 0.05, 0.0):
        governor.step(others)
    assert applied == [1, 2]
    assert [threads for _, _, threads in governor.changes] == [1, 2]
    assert governor.threads == 2


def test_governor_reaches_the_worker_and_stops():
    class Busy:
        def others(self):
            return 1.0

    threads.set_worker_threads(2)  # before the governor starts: set after, it could undo its switch
    governor = threads.ThreadGovernor(cores=2, interval=0.01, meter=Busy(), threads=2).start()
    try:
        for _ in range(500):
            if governor.threads == 1 and threads.worker_threads() == 1:
                break
            threads.time.sleep(0.01)
        assert governor.threads == 1
        assert threads.worker_threads() == 1
    finally:
        governor.stop()
        threads.set_worker_threads(2)
    assert threads.worker_threads() == 2
    threads.set_worker_threads(1)
    with pytest.raises(ValueError, match="at least 1"):
        threads.set_worker_threads(0)


def test_numpy_openblas_follows_too():
    import numpy

    if threads._numpy_openblas() is None:  # numpy 1.26 built from source (Python 3.13)
        bundled = Path(numpy.__file__).parent.parent / "numpy.libs"
        assert not bundled.is_dir() and not threads.set_numpy_threads(1)
        pytest.skip("this numpy has no OpenBLAS of its own (built from source): nothing to follow")
    before = threads.numpy_threads()
    try:
        threads.set_threads(1)
        assert threads.numpy_threads() == 1 and threads.worker_threads() == 1
        threads.set_threads(2)
        assert threads.numpy_threads() == 2 and threads.worker_threads() == 2
    finally:
        threads.set_numpy_threads(max(before, 1))


def test_no_governor_over_the_users_thread_count(monkeypatch):
    assert threads._governor_for({"OMP_NUM_THREADS": "2"}) is None
    assert threads._governor_for({"OMP_NUM_THREADS": "1", "GLUON_RNN_OMP_CHOSEN": "1",
                                  "GLUON_RNN_NO_BLAS_TUNING": "1"}) is None
    from gluon_rnn import blas
    monkeypatch.setattr(blas, "available_cores", lambda: 1)
    assert threads._governor_for({"OMP_NUM_THREADS": "1", "GLUON_RNN_OMP_CHOSEN": "1"}) is None
    with threads.governed({"OMP_NUM_THREADS": "2"}) as governor:
        assert governor is None


def test_training_governs_and_everything_else_keeps_one_thread():
    """A command that trains (fit) lets the governor give MXNet's worker the free cores
    (here under a meter that says the machine is idle), nested blocks share it, and the
    worker is back at one thread after; a command that only runs code (here `data`)
    starts no governor at all."""
    import subprocess
    import sys

    from gluon_rnn.blas import available_cores

    if available_cores() < 2:
        pytest.skip("one core: no governor is started")

    code = ("import os, time, threading\n"
            "from gluon_rnn import threads\n"
            "class Idle:\n"
            "    def others(self): return 0.0\n"
            "threads.LoadMeter = Idle  # what the governor reads the load with\n"
            "from gluon_rnn.cli import main\n"
            "main(['data'])\n"
            "import mxnet\n"
            "assert os.environ['OMP_NUM_THREADS'] == '1' and threads.worker_threads() == 1\n"
            "assert not any(t.name == 'gluon-rnn-threads' for t in threading.enumerate())\n"
            "with threads.governed() as governor, threads.governed() as inner:\n"
            "    assert inner is governor\n"
            "    for _ in range(500):\n"
            "        if governor.threads == 2: break\n"
            "        time.sleep(0.01)\n"
            "    inside = (governor.threads, threads.worker_threads())\n"
            "print('RESULT', *inside, threads.worker_threads(), len(governor.changes))\n")
    env = {k: v for k, v in __import__("os").environ.items()
           if k not in ("OMP_NUM_THREADS", "GLUON_RNN_OMP_CHOSEN", "GLUON_RNN_NO_BLAS_TUNING")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "RESULT 2 2 1 1"


def _digest(*arrays) -> str:
    h = hashlib.sha1()
    for a in arrays:
        h.update(a.asnumpy().tobytes())
    return h.hexdigest()


def _workload() -> str:
    """The operators whose results must not follow the thread count: oneDNN's
    FullyConnected (every Gluon output layer, RNNSymbolic), the fused LSTM, and
    elementwise operators with their gradients, forward and backward."""
    rng = np.random.RandomState(0)
    x = nd.array(rng.randn(32, 512))
    big = nd.array(rng.randn(400, 200))
    out_w = nd.array(rng.randn(10000, 200) * 0.05)
    layer = mx.gluon.rnn.LSTM(200, num_layers=2, input_size=200)
    layer.initialize(mx.init.Uniform(0.1), ctx=mx.cpu())
    layer(nd.zeros((1, 1, 200)))
    for i, p in enumerate(layer.collect_params().values()):
        p.set_data(nd.array(np.random.RandomState(i).uniform(-0.1, 0.1, p.shape)))
    seq = nd.array(rng.randn(20, 20, 200))
    x.attach_grad()
    out_w.attach_grad()
    chars = get_params(28, 512, 28)  # the core's scratch model: fused RNN and output layer
    with autograd.record():
        h = nd.tanh(x * 0.5 + 1)
        scores = nd.FullyConnected(big, out_w, no_bias=True, num_hidden=10000)
        char_scores, _ = rnn_scores(nd.one_hot(nd.array(rng.randint(0, 28, (35, 32))), 28),
                                    init_rnn_state(32, 512), chars)
        loss = (h ** 2).sum() + nd.log_softmax(scores).sum() + layer(seq).sum() + \
            nd.log_softmax(char_scores).sum()
    loss.backward()
    grads = [p.grad() for p in layer.collect_params().values()] + [p.grad for p in chars]
    return _digest(h, scores, char_scores, loss, x.grad, out_w.grad, *grads)


def _products() -> list:
    rng = np.random.RandomState(1)
    h, w = nd.array(rng.randn(32, 512)), nd.array(rng.randn(512, 512) * 0.05)
    return [nd.dot(h, w).asnumpy(), nd.dot(nd.array(rng.randn(512, 2048)),
                                           nd.array(rng.randn(2048, 512))).asnumpy()]


def test_thread_count_changes_no_result():
    mx.random.seed(0)
    threads.set_worker_threads(1)
    one = _workload()
    threads.set_worker_threads(2)
    mx.random.seed(0)
    two = _workload()
    threads.set_worker_threads(1)
    assert one == two


def test_openblas_products_repeat_at_each_count():
    """nd.dot goes to OpenBLAS, whose products round differently with another thread
    count (which is why only the core's models, which never call it, are governed); at
    one count they repeat exactly, and across counts agree to float rounding."""
    by_count = {}
    for count in (1, 2, 1, 2):
        threads.set_worker_threads(count)
        products = _products()
        if count in by_count:
            for a, b in zip(by_count[count], products):
                np.testing.assert_array_equal(a, b)
        by_count[count] = products
    threads.set_worker_threads(1)
    for a, b in zip(by_count[1], by_count[2]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4)
