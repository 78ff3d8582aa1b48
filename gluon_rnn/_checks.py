"""Argument checks shared by the modules: each error names the argument and its value."""
from __future__ import annotations

import math
import numbers
import sys

SMALLEST_NORMAL = sys.float_info.min  # MXNet's parameter parser refuses anything smaller
FLOAT32_MAX = 3.4028234663852886e38  # MXNet's optimizers take learning rates as float32
FLOAT32_TINY = 1.1754943508222875e-38  # the smallest normal float32: below it a rate is 0


def check_counts(**values) -> None:
    """Raise ``ValueError`` naming the first argument that is not a positive integer."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def check_non_negative(**values) -> None:
    """Raise ``ValueError`` naming the first argument that is not an integer of 0 or more."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            raise ValueError(f"{name} must be an integer of 0 or more, got {value!r}")


def check_rates(**values) -> None:
    """Raise ``ValueError`` naming the first argument that is not a positive finite number."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real) \
                or not (math.isfinite(value) and float(value) > 0):
            raise ValueError(f"{name} must be a positive finite number, got {value!r}")
        if float(value) < SMALLEST_NORMAL:
            raise ValueError(f"{name} {value!r} is below {SMALLEST_NORMAL:.3g}, a subnormal "
                             "number, which MXNet refuses; use a larger one")


def check_float32_rates(**values) -> None:
    """:func:`check_rates`, and within float32's normal range: a model that keeps its
    parameters in float32 (MXNet's) turns a smaller rate into 0 (training that changes
    nothing) and a larger one into infinity."""
    check_rates(**values)
    for name, value in values.items():
        if not FLOAT32_TINY <= float(value) <= FLOAT32_MAX:
            raise ValueError(f"{name} {value!r} is outside float32's range ({FLOAT32_TINY:.3g} "
                             f"to {FLOAT32_MAX:.3g}), where a float32 model takes it as 0 or "
                             "infinity: choose a rate inside it")


def check_model_sizes(word_dim: int, hidden_dim: int, bptt_truncate: int) -> None:
    """The WildML-style models' sizes: positive dimensions, a truncation of 0 or more."""
    if word_dim < 1 or hidden_dim < 1 or bptt_truncate < 0:
        raise ValueError(f"word_dim and hidden_dim must be positive and bptt_truncate >= 0; "
                         f"got {word_dim}, {hidden_dim}, {bptt_truncate}")


def check_choice(name: str, value, choices) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")


def is_mxnet_error(err: BaseException) -> bool:
    """MXNet's own error (``mxnet.base.MXNetError``), told without importing MXNet."""
    return type(err).__name__ == "MXNetError"


def one_line_reason(err: BaseException) -> str:
    """The line that says why: for MXNet's errors (a C++ stack first) the line with the
    check that failed or the error's own message, else the first line."""
    lines = [line.strip() for line in str(err).strip().splitlines() if line.strip()]
    if not lines:
        return type(err).__name__
    if is_mxnet_error(err):
        frames = ("Traceback", "File ", "[bt]", "Stack trace", "at ")
        reasons = [line for line in lines if not line.startswith(frames)]
        checks = [line for line in reasons if "Check failed" in line or "Error" in line]
        if checks:
            return checks[0]
        return (reasons or lines)[-1]
    return lines[0]


def without_mxnet_stack(err: BaseException) -> BaseException:
    """An MXNet error as the same type with its one reason line (MXNet puts its C++ stack
    in the message, dozens of lines a reader cannot act on); any other error as it is."""
    if not is_mxnet_error(err) or len(str(err).strip().splitlines()) <= 1:
        return err
    try:
        reason = one_line_reason(err).removeprefix(f"{type(err).__name__}: ")
        short = type(err)(f"{reason} (MXNet's C++ stack left out)")
    except Exception:  # a subclass with another constructor: leave it whole
        return err
    short.__traceback__ = err.__traceback__
    return short
