"""The devices every helper generation offers (``try_gpu``, ``try_all_gpus`` and, from
the 2020 books on, ``cpu``, ``gpu``, ``num_gpus``), on the core's :mod:`gluon_rnn.devices`.
Unlike d2l's, MXNet is asked how many GPUs there are before one is touched, so the CPU
wheel answers at once."""
from __future__ import annotations

from typing import List

import mxnet as mx

from ....devices import working_gpus

__all__ = ["cpu", "gpu", "num_gpus", "try_all_gpus", "try_gpu"]


def cpu() -> mx.Context:
    return mx.cpu()


def gpu(i: int = 0) -> mx.Context:
    return mx.gpu(i)


def num_gpus() -> int:
    """The GPUs MXNet can use (0 with the CPU wheel, at once)."""
    return len(working_gpus())


def try_gpu(i: int = 0) -> mx.Context:
    """``gpu(i)`` if that GPU works, else ``cpu()`` (d2l ``try_gpu``)."""
    return next((device for device in working_gpus() if device.device_id == i), mx.cpu())


def try_all_gpus() -> List[mx.Context]:
    """Every working GPU, or ``[cpu()]`` when there is none (d2l ``try_all_gpus``)."""
    return working_gpus() or [mx.cpu()]
