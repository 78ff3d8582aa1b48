"""Choosing MXNet contexts."""
from __future__ import annotations

from typing import List

import mxnet as mx
from mxnet import nd


def try_gpu(device_id: int = 0) -> mx.Context:
    """``mx.gpu(device_id)`` if that GPU exists and works, else ``mx.cpu()`` (d2l ``try_gpu``).

    Unlike d2l, it asks MXNet how many GPUs there are before touching one, so
    the CPU wheel answers at once."""
    try:
        if mx.context.num_gpus() <= device_id:
            return mx.cpu()
        ctx = mx.gpu(device_id)
        nd.array([0], ctx=ctx).wait_to_read()
        return ctx
    except mx.base.MXNetError:
        return mx.cpu()


def try_all_gpus() -> List[mx.Context]:
    """Every working GPU, or ``[mx.cpu()]`` when there is none (d2l ``try_all_gpus``)."""
    try:
        count = mx.context.num_gpus()
    except mx.base.MXNetError:
        count = 0
    gpus = [try_gpu(i) for i in range(count)]
    gpus = [ctx for ctx in gpus if ctx.device_type == "gpu"]
    return gpus or [mx.cpu()]


def parse_ctx(text: str) -> mx.Context:
    """``'cpu'``, ``'cpu:0'``, ``'gpu'``, ``'gpu:1'`` or ``'auto'`` (:func:`try_gpu`) to a context."""
    text = text.strip().lower()
    if text == "auto":
        return try_gpu()
    kind, _, index = text.partition(":")
    if kind not in ("cpu", "gpu") or (index and not (index.isascii() and index.isdigit())):
        raise ValueError(f"--ctx: context {text!r} is not one of auto, cpu, cpu:N, gpu, gpu:N "
                         "(N in ASCII digits)")
    return getattr(mx, kind)(int(index or 0))


def parse_contexts(text: str) -> List[mx.Context]:
    """A comma-separated list of :func:`parse_ctx` names (``'cpu:0,cpu:1'``), each once."""
    contexts = [parse_ctx(part) for part in text.split(",") if part.strip()]
    if not contexts:
        raise ValueError("no context given: use auto, cpu, gpu:N or a list like cpu:0,cpu:1")
    if len(set(contexts)) != len(contexts):
        raise ValueError(f"context list {text!r} names a context twice")
    return contexts
