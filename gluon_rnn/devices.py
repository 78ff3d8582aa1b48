"""Choosing MXNet contexts."""
from __future__ import annotations

from typing import List

import mxnet as mx
from mxnet import nd


def working_gpus() -> List[mx.Context]:
    """Every GPU MXNet can allocate on (none with the CPU wheel, which answers at once:
    MXNet is asked how many GPUs there are before any is touched)."""
    try:
        count = mx.context.num_gpus()
    except mx.base.MXNetError:
        return []
    gpus = []
    for device_id in range(count):
        try:
            nd.array([0], ctx=mx.gpu(device_id)).wait_to_read()
        except mx.base.MXNetError:
            continue
        gpus.append(mx.gpu(device_id))
    return gpus


def parse_ctx(text: str) -> mx.Context:
    """``'cpu'``, ``'cpu:0'``, ``'gpu'``, ``'gpu:1'`` or ``'auto'`` (the first working GPU,
    else the CPU) to a context."""
    text = text.strip().lower()
    if text == "auto":
        return (working_gpus() or [mx.cpu()])[0]
    kind, _, index = text.partition(":")
    if kind not in ("cpu", "gpu") or (index and not (index.isascii() and index.isdigit())):
        raise ValueError(f"--ctx: context {text!r} is not one of auto, cpu, cpu:N, gpu, gpu:N "
                         "(N in ASCII digits)")
    number = int(index or 0)
    if number >= MAX_DEVICE_ID:  # beyond it MXNet grows per-device tables without end
        raise ValueError(f"--ctx: device number {number} in {text!r} is out of range: "
                         f"{kind}:0 to {kind}:{MAX_DEVICE_ID - 1}")
    return getattr(mx, kind)(number)


# MXNet's own bound on device ids (Context::kMaxDevID in mxnet/base.h)
MAX_DEVICE_ID = 16


def check_context(ctx, name: str = "ctx") -> None:
    """Raise ``ValueError`` unless ``ctx`` is an MXNet context (or None: the default);
    the books' helpers take ``mx.cpu()`` or ``d2l.try_gpu()``, and MXNet answers a string
    with a C++ error."""
    if ctx is not None and not isinstance(ctx, mx.Context):
        raise ValueError(f"{name} must be an MXNet context such as mx.cpu(), mx.gpu(0) or "
                         f"d2l.try_gpu(), got {ctx!r}")


def parse_contexts(text: str) -> List[mx.Context]:
    """A comma-separated list of :func:`parse_ctx` names (``'cpu:0,cpu:1'``), each once."""
    contexts = [parse_ctx(part) for part in text.split(",") if part.strip()]
    if not contexts:
        raise ValueError("no context given: use auto, cpu, gpu:N or a list like cpu:0,cpu:1")
    if len(set(contexts)) != len(contexts):
        raise ValueError(f"context list {text!r} names a context twice")
    return contexts
