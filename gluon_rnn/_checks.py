"""Argument checks shared by the modules: each error names the argument and its value."""
from __future__ import annotations

import math
import numbers


def check_counts(**values) -> None:
    """Raise ``ValueError`` naming the first argument that is not a positive integer."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def check_rates(**values) -> None:
    """Raise ``ValueError`` naming the first argument that is not a positive finite number."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real) \
                or not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive finite number, got {value!r}")
