"""MXNet 0.11's semantics that the books' oldest notebooks rely on (The Straight Dope was
written for MXNet 0.11), kept within a chapter run by ``gluon-rnn chapter`` or the
kernel, and only where the code needs them; each is said once, in one line:

* ``NDArray.reshape`` to a smaller size: 0.11 gave a view of the first elements (the
  Straight Dope's ``labels.reshape((batch_size, num_batches, seq_length, vocab_size))``
  on a longer array); 1.9.1 raises ``ValueError: Cannot reshape array of size N into
  shape S``. Here the first elements, as a view, as 0.11 did. A larger size stays an error.
"""
from __future__ import annotations

import contextlib
import math
import sys
from typing import Callable, Iterator, List


def _fixed_shape(args, kwargs):
    """The target shape when it is plain positive sizes (0.11 knew no -1/0 codes there)."""
    shape = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
    shape = kwargs.get("shape", shape)
    if shape and all(isinstance(n, int) and n > 0 for n in shape):
        return tuple(shape)
    return None


def install() -> Callable[[], None]:
    """Keep 0.11's ``reshape`` to a smaller size from now on; returns what undoes it."""
    from mxnet import nd

    original = nd.NDArray.reshape
    said: List[bool] = []

    def reshape(self, *args, **kwargs):
        try:
            return original(self, *args, **kwargs)
        except ValueError:
            shape = _fixed_shape(args, kwargs)
            if shape is None or math.prod(shape) >= self.size:
                raise
            if not said:
                said.append(True)
                print(f"gluon-rnn: reshape of an array of size {self.size} into {shape} "
                      "(smaller) gives a view of its first elements, as MXNet 0.11 did "
                      "(1.9.1 refuses it)", file=sys.stderr)
            return original(original(self, -1)[:math.prod(shape)], shape)

    nd.NDArray.reshape = reshape

    def undo() -> None:
        nd.NDArray.reshape = original
    return undo


@contextlib.contextmanager
def mxnet_011_kept() -> Iterator[None]:
    """:func:`install` within the block."""
    undo = install()
    try:
        yield
    finally:
        undo()
