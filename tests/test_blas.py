"""configure_blas: only before mxnet loads, only with AVX2, never over the user's values."""
from __future__ import annotations

import subprocess
import sys

from gluon_rnn import blas


def test_does_nothing_once_mxnet_is_loaded(caplog):
    import mxnet  # noqa: F401  (loaded by the test session anyway)
    env = {"OMP_NUM_THREADS": "1"}  # MXNet read a count when it loaded: nothing to say
    assert blas.configure_blas(env) == {} and env == {"OMP_NUM_THREADS": "1"}
    assert caplog.records == []
    env = {}
    assert blas.configure_blas(env) == {} and env == {}
    assert [r.getMessage() for r in caplog.records] == [blas.LOADED_TOO_EARLY]


ORDER_PROBE = """
import os, sys
{first}
import mxnet as mx
from gluon_rnn.threads import worker_threads
a = mx.nd.random.uniform(shape=(256, 256), ctx=mx.cpu())
print(os.environ.get("OMP_NUM_THREADS"), worker_threads(),
      float(mx.nd.dot(a, a).sum().asscalar()).hex())
"""


def _probe(first: str, **env):
    import os

    environ = {k: v for k, v in os.environ.items()
               if k not in ("OMP_NUM_THREADS", "GLUON_RNN_OMP_CHOSEN", "MXNET_USE_OPERATOR_TUNING")}
    done = subprocess.run([sys.executable, "-c", ORDER_PROBE.format(first=first)],
                          capture_output=True, text=True, timeout=120, env={**environ, **env})
    assert done.returncode == 0, done.stderr
    return done.stdout.split(), [line for line in done.stderr.splitlines() if "gluon-rnn" in line]


def test_the_import_order_is_chosen_or_said_in_one_line():
    """configure_blas before MXNet loads: one thread, the numbers of `gluon-rnn chapter`;
    after `import mxnet` it can change nothing, and says so in one line instead of
    leaving the program on MXNet's default count without a word; a count the user set
    before Python started needs no word."""
    configured = "from gluon_rnn.blas import configure_blas\nconfigure_blas()"
    first, quiet = _probe(configured)
    assert first[:2] == ["1", "1"] and quiet == []
    # gluon_rnn first all the same: on Python 3.12+ MXNet 1.9.1 loads only after it
    # (gluon_rnn.mxnet_compat), which chooses no thread setting by itself
    late, said = _probe("import gluon_rnn, mxnet\n" + configured)
    assert late[0] == "None" and said == [blas.LOADED_TOO_EARLY]
    users, quiet = _probe("import gluon_rnn, mxnet\n" + configured, OMP_NUM_THREADS="1")
    assert users == first and quiet == []  # the same bits as the configured order


def test_sets_only_what_the_user_left_unset(monkeypatch):
    monkeypatch.delitem(sys.modules, "mxnet", raising=False)
    monkeypatch.setattr(blas, "openblas_coretype", lambda: "Haswell")
    calls = []
    monkeypatch.setattr(blas, "keep_freed_memory", lambda: calls.append(1) or True)
    env = {"OMP_NUM_THREADS": "2"}
    assert blas.configure_blas(env) == {"OPENBLAS_CORETYPE": "Haswell",
                                        "MXNET_USE_OPERATOR_TUNING": "0",
                                        "malloc": "blocks up to 32 MiB reused from the heap"}
    assert env == {"OMP_NUM_THREADS": "2", "OPENBLAS_CORETYPE": "Haswell",
                   "MXNET_USE_OPERATOR_TUNING": "0"}
    env = {}
    assert blas.configure_blas(env)["OMP_NUM_THREADS"] == "1" == env["OMP_NUM_THREADS"]
    assert env["GLUON_RNN_OMP_CHOSEN"] == "1"  # the governor raises the worker's count
    assert blas.configure_blas({"OPENBLAS_CORETYPE": "Zen", "MALLOC_MMAP_THRESHOLD_": "1",
                                "OMP_NUM_THREADS": "1", "MXNET_USE_OPERATOR_TUNING": "1"}) == {}
    assert blas.configure_blas({"GLUON_RNN_NO_BLAS_TUNING": "1"}) == {}
    inherited = {"OMP_NUM_THREADS": "7", "GLUON_RNN_OMP_CHOSEN": "1"}  # a child of ours
    assert blas.configure_blas(inherited)["OMP_NUM_THREADS"] == "1" == inherited["OMP_NUM_THREADS"]
    monkeypatch.setattr(blas, "openblas_coretype", lambda: None)
    assert blas.configure_blas({"OMP_NUM_THREADS": "1", "MXNET_USE_OPERATOR_TUNING": "1"}) == {
        "malloc": "blocks up to 32 MiB reused from the heap"}
    assert len(calls) == 4
    assert blas.available_cores() >= 1


def test_keep_freed_memory_serves_large_blocks_from_the_heap():
    """A fresh process maps a 16 MiB block with its own mmap (pages faulted in anew
    after every free); after keep_freed_memory it comes from the heap, below the
    program break, and is reused once freed."""
    code = ("import ctypes, sys\n"
            "from gluon_rnn.blas import keep_freed_memory\n"
            "libc = ctypes.CDLL('libc.so.6')\n"
            "libc.malloc.restype = libc.sbrk.restype = ctypes.c_void_p\n"
            "if sys.argv[1] == 'keep': assert keep_freed_memory()\n"
            "p = libc.malloc(16 << 20); top = libc.sbrk(0)\n"
            "libc.free(ctypes.c_void_p(p)); q = libc.malloc(16 << 20)\n"
            "print(int(p < top), int(p == q))\n")
    placed = {mode: subprocess.run([sys.executable, "-c", code, mode], capture_output=True,
                                   text=True, timeout=60, check=True).stdout.split()
              for mode in ("default", "keep")}
    assert placed["default"][0] == "0"  # glibc's default: its own mapping
    assert placed["keep"] == ["1", "1"]


def test_cpuinfo_parsing(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor : 0\nflags : fpu sse avx avx2 fma\n")
    assert blas.cpu_has_avx2(str(info))
    info.write_text("flags : fpu sse avx\n")
    assert not blas.cpu_has_avx2(str(info))
    assert not blas.cpu_has_avx2(str(tmp_path / "missing"))
    assert blas.openblas_coretype(str(tmp_path / "missing")) is None
    info.write_text("flags : fpu avx avx2 fma avx512f avx512cd avx512bw avx512dq avx512vl\n")
    assert blas.openblas_coretype(str(info)) == "SkylakeX"
    info.write_text("flags : fpu avx avx2 fma avx512f\n")  # AVX-512 without BW/DQ/VL
    assert blas.openblas_coretype(str(info)) == "Haswell"
    info.write_text("flags : fpu sse avx\n")
    assert blas.openblas_coretype(str(info)) is None


def test_cli_process_gets_the_setting_before_mxnet():
    code = ("import os, gluon_rnn.cli as c, sys; c.main(['data']); "
            "print('CORETYPE', os.environ.get('OPENBLAS_CORETYPE'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in __import__("os").environ.items()
                               if k not in ("OPENBLAS_CORETYPE", "OMP_NUM_THREADS")})
    expected = str(blas.openblas_coretype())
    assert done.stdout.strip().endswith(f"CORETYPE {expected}"), done.stderr


def test_operator_tuning_off_changes_no_result():
    """Elementwise operators on every thread (MXNET_USE_OPERATOR_TUNING=0) give the
    same bits as MXNet's tuned single-thread choice: tanh, its gradient, the scalar
    power and sum of d2l's clipping, and the fused SGD update."""
    code = ("import hashlib, gluon_rnn, mxnet as mx\n"
            "from mxnet import nd, autograd\n"
            "mx.random.seed(0)\n"
            "x = nd.random.normal(shape=(64, 32, 512)); g = nd.random.normal(shape=x.shape)\n"
            "x.attach_grad()\n"
            "with autograd.record(): y = nd.tanh(x)\n"
            "y.backward(g)\n"
            "w = x.copy(); nd.sgd_update(w, g, lr=0.1, wd=0.0, out=w)\n"
            "outs = [y, x.grad, (g ** 2).sum(), w, x + g, x * 0.5]\n"
            "print(hashlib.sha1(b''.join(o.asnumpy().tobytes() for o in outs)).hexdigest())\n")
    digests = {}
    for tuning in ("1", "0"):
        env = dict(__import__("os").environ, MXNET_USE_OPERATOR_TUNING=tuning, OMP_NUM_THREADS="2")
        digests[tuning] = subprocess.run([sys.executable, "-c", code], capture_output=True,
                                         text=True, timeout=120, env=env, check=True).stdout
    assert len(digests["0"].strip()) == 40
    assert digests["0"] == digests["1"]
