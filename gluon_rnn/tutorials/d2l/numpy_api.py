"""What the two helpers of the 2020+ books (``d2l==0.17.6`` and ``d2l==1.0.3``, both on
MXNet's numpy interface) share: timing and summing, devices, fetching a data file, and
the tensor aliases of d2l's ``config.ini`` (``d2l.zeros``, ``d2l.tensor``, ...).

Data files: the book's own folder (``../data``) when the file there has the expected
SHA-1, else, for a file gluon-rnn knows, its resolver (``$GLUON_RNN_DATA``, ``./data``,
``../data``, the cache; downloading, verified, only when online), else a verified
download into the book's folder. The helpers themselves write whatever ``requests``
brings, unverified, and fail with a connection error offline.
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import List, Optional

import mxnet as mx
import numpy as onp
from mxnet import np, npx

from ...data.resolve import DATA_FILES, download_file, resolve
from ...devices import working_gpus


class Timer:
    """Several running times (d2l ``Timer``)."""

    def __init__(self) -> None:
        self.times: List[float] = []
        self.start()

    def start(self) -> None:
        self.tik = time.time()

    def stop(self) -> float:
        self.times.append(time.time() - self.tik)
        return self.times[-1]

    def avg(self) -> float:
        return sum(self.times) / len(self.times)

    def sum(self) -> float:
        return sum(self.times)

    def cumsum(self) -> list:
        return onp.array(self.times).cumsum().tolist()


class Accumulator:
    """Sums over ``n`` variables (d2l ``Accumulator``)."""

    def __init__(self, n: int) -> None:
        self.data = [0.0] * n

    def add(self, *args) -> None:
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self) -> None:
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx):
        return self.data[idx]


def cpu() -> mx.Context:
    return npx.cpu()


def gpu(i: int = 0) -> mx.Context:
    return npx.gpu(i)


def num_gpus() -> int:
    """The GPUs MXNet can use (0 with the CPU wheel, at once)."""
    return len(working_gpus())


def try_gpu(i: int = 0) -> mx.Context:
    """``gpu(i)`` if it works, else ``cpu()`` (d2l ``try_gpu``)."""
    return next((device for device in working_gpus() if device.device_id == i), mx.cpu())


def try_all_gpus() -> List[mx.Context]:
    """Every working GPU, or ``[cpu()]`` (d2l ``try_all_gpus``)."""
    return working_gpus() or [mx.cpu()]


def _sha1(path: Path) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(url: str, folder: str, sha1_hash: Optional[str]) -> str:
    """The local path of the file at ``url`` (see the module's text)."""
    fname = Path(folder) / url.split("/")[-1]
    if fname.is_file() and (sha1_hash is None or _sha1(fname) == sha1_hash):
        return str(fname)
    known = DATA_FILES.get(fname.name)
    if known is not None and (sha1_hash is None or known.sha1 == sha1_hash):
        return str(resolve(fname.name))
    return str(download_file(url, fname, sha1_hash))


# d2l's config.ini aliases (each generation re-exports those its helper has)
ones, zeros, ones_like, zeros_like = np.ones, np.zeros, np.ones_like, np.zeros_like
arange, meshgrid, linspace, eye = np.arange, np.meshgrid, np.linspace, np.eye
sin, sinh, cos, cosh, tanh, exp, log = np.sin, np.sinh, np.cos, np.cosh, np.tanh, np.exp, np.log
tensor, normal, rand, randn = np.array, np.random.normal, np.random.rand, np.random.randn
matmul, concat, stack, expand_dims = np.dot, np.concatenate, np.stack, np.expand_dims
int32, int64, float32, abs = np.int32, np.int64, np.float32, np.abs
sigmoid, batch_matmul = npx.sigmoid, npx.batch_dot


def size(a):
    return a.size


def transpose(a):
    return a.T


def numpy(x, *args, **kwargs):
    return x.asnumpy(*args, **kwargs)


def reshape(x, *args, **kwargs):
    return x.reshape(*args, **kwargs)


def to(x, *args, **kwargs):
    return x.as_in_context(*args, **kwargs)


def reduce_sum(x, *args, **kwargs):
    return x.sum(*args, **kwargs)


def reduce_mean(x, *args, **kwargs):
    return x.mean(*args, **kwargs)


def argmax(x, *args, **kwargs):
    return x.argmax(*args, **kwargs)


def astype(x, *args, **kwargs):
    return x.astype(*args, **kwargs)


def swapaxes(x, *args, **kwargs):
    return x.swapaxes(*args, **kwargs)


def repeat(x, *args, **kwargs):
    return x.repeat(*args, **kwargs)
