"""What the numpy-interface helpers (``from mxnet import np, npx``: ``d2l==0.17.6`` and
``d2l==1.0.3``) share: timing and summing, loading arrays, and the tensor aliases of
d2l's ``config.ini`` (``d2l.zeros``, ``d2l.tensor``, ...)."""
from __future__ import annotations

import time
from typing import List

import numpy as onp
from mxnet import gluon, np, npx

__all__ = [
    "Accumulator", "Timer", "abs", "arange", "argmax", "astype", "batch_matmul", "concat",
    "evaluate_loss", "load_array",
    "cos", "cosh", "exp", "expand_dims", "eye", "float32", "int32", "int64", "linspace", "log",
    "matmul", "meshgrid", "normal", "numpy", "ones", "ones_like", "rand", "randn",
    "reduce_mean", "reduce_sum", "repeat", "reshape", "sigmoid", "sin", "sinh", "size",
    "stack", "swapaxes", "tanh", "tensor", "to", "transpose", "zeros", "zeros_like",
]



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


def load_array(data_arrays, batch_size: int, is_train: bool = True):
    """A Gluon ``DataLoader`` over arrays (d2l ``load_array``; shuffling draws from
    numpy's global generator, as Gluon's always does)."""
    dataset = gluon.data.ArrayDataset(*data_arrays)
    return gluon.data.DataLoader(dataset, batch_size, shuffle=is_train)


def evaluate_loss(net, data_iter, loss) -> float:
    """The mean of ``loss`` over a data set (d2l ``evaluate_loss``)."""
    metric = Accumulator(2)
    for X, y in data_iter:
        l = loss(net(X), y)
        metric.add(l.sum(), l.size)
    return metric[0] / metric[1]



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
