"""One way to check metadata read from a file (a checkpoint's JSON, a vocabulary, a model
file's fields): a declarative schema, checked in one pass, whose errors name the field by
its path (``position.epoch must be an integer >= 0, got -5``).

JSON is parsed by :func:`loads`, which bounds its size and nesting first (Python's own
parser recurses: 100,000 nested brackets raise ``RecursionError``, far from the file's
name). Written here rather than taken from ``jsonschema``: the checks are few and the
messages must say what to do, in the project's words.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any, Callable, Dict, Iterable, Optional, Sequence

MAX_DEPTH = 32  # no metadata of ours nests deeper than a handful of levels
MAX_JSON_BYTES = 64 << 20


class SchemaError(ValueError):
    """Metadata that does not have the expected shape; the message names the field."""


def loads(data: bytes, what: str) -> Any:
    """``json.loads`` of ``data`` (UTF-8), refusing more than :data:`MAX_JSON_BYTES`
    bytes or :data:`MAX_DEPTH` levels of nesting before parsing, with one ``SchemaError``
    naming ``what`` for anything that is not such JSON."""
    if len(data) > MAX_JSON_BYTES:
        raise SchemaError(f"{what} holds {len(data):,} bytes of metadata, more than any gluon-rnn "
                          f"file writes ({MAX_JSON_BYTES:,})")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SchemaError(f"{what} is not UTF-8 text ({err.reason} at byte {err.start})") from None
    if _depth(text) > MAX_DEPTH:
        raise SchemaError(f"{what} nests its metadata more than {MAX_DEPTH} levels deep")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as err:
        raise SchemaError(f"{what} is not valid JSON ({err})") from None


def _depth(text: str) -> int:
    """The deepest bracket nesting of JSON text (brackets inside strings ignored)."""
    depth = deepest = 0
    for match in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', text):
        token = match.group(0)
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return deepest


Check = Callable[[Any, str], Any]  # (value, path) -> the value, or raises SchemaError


def _fail(path: str, wanted: str, value: Any) -> SchemaError:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return SchemaError(f"{path} must be {wanted}, got {shown}")


def integer(low: Optional[int] = None, high: Optional[int] = None) -> Check:
    """An int (not a bool) in ``[low, high]``."""
    wanted = "an integer" + (f" >= {low}" if low is not None else "") + \
        (f" <= {high}" if high is not None else "")

    def check(value, path):
        if isinstance(value, bool) or not isinstance(value, int) or \
                (low is not None and value < low) or (high is not None and value > high):
            raise _fail(path, wanted, value)
        return value
    return check


def number(low: Optional[float] = None, finite: bool = True) -> Check:
    """An int or float (not a bool), finite unless ``finite=False``, at least ``low``."""
    wanted = ("a finite number" if finite else "a number") + \
        (f" >= {low}" if low is not None else "")

    def check(value, path):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                (finite and not math.isfinite(value)) or (low is not None and not value >= low):
            raise _fail(path, wanted, value)
        return value
    return check


def string(choices: Optional[Sequence[str]] = None, pattern: Optional[str] = None) -> Check:
    def check(value, path):
        if not isinstance(value, str) or (choices is not None and value not in choices) or \
                (pattern is not None and not re.fullmatch(pattern, value)):
            wanted = f"one of {tuple(choices)}" if choices is not None else \
                f"a string matching {pattern}" if pattern else "a string"
            raise _fail(path, wanted, value)
        return value
    return check


def boolean() -> Check:
    def check(value, path):
        if not isinstance(value, bool):
            raise _fail(path, "true or false", value)
        return value
    return check


def nullable(inner: Check) -> Check:
    return lambda value, path: None if value is None else inner(value, path)


def list_of(item: Check, min_len: int = 0, max_len: Optional[int] = None,
            distinct: bool = False) -> Check:
    def check(value, path):
        if not isinstance(value, list) or len(value) < min_len or \
                (max_len is not None and len(value) > max_len):
            size = f"at least {min_len} " if min_len else ""
            size += f"at most {max_len} " if max_len is not None else ""
            raise _fail(path, f"a list of {size}items".replace("  ", " "), value)
        items = [item(v, f"{path}[{i}]") for i, v in enumerate(value)]
        seen: set = set()
        for v in items if distinct else ():
            key = json.dumps(v, sort_keys=True)
            if key in seen:
                raise SchemaError(f"{path} must hold each item once; {v!r} is there twice")
            seen.add(key)
        return items
    return check


def tuple_of(*items: Check) -> Check:
    """A list of exactly ``len(items)`` values, each checked by its own check."""
    def check(value, path):
        if not isinstance(value, list) or len(value) != len(items):
            raise _fail(path, f"a list of {len(items)} items", value)
        return [c(v, f"{path}[{i}]") for i, (c, v) in enumerate(zip(items, value))]
    return check


def mapping(keys: Check, values: Check, max_len: Optional[int] = None) -> Check:
    """A JSON object with any keys that ``keys`` accepts."""
    def check(value, path):
        if not isinstance(value, dict) or (max_len is not None and len(value) > max_len):
            raise _fail(path, "an object" + (f" of at most {max_len} keys" if max_len else ""),
                        value)
        return {keys(k, f"{path} key"): values(v, f"{path}.{k}") for k, v in value.items()}
    return check


def record(fields: Dict[str, Check], optional: Iterable[str] = ()) -> Check:
    """A JSON object with exactly ``fields`` (those in ``optional`` may be missing)."""
    optional = frozenset(optional)

    def check(value, path):
        if not isinstance(value, dict):
            raise _fail(path, "an object", value)
        unknown = sorted(set(value) - set(fields))
        missing = sorted(set(fields) - set(value) - optional)
        if unknown or missing:
            raise SchemaError(f"{path} has " + "; ".join(
                part for part in (unknown and f"unknown fields {unknown}",
                                  missing and f"no value for {missing}") if part))
        return {name: fields[name](v, f"{path}.{name}") for name, v in value.items()}
    return check
