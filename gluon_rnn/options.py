"""Options of the library's configurations, described once: each field of a configuration
dataclass (``TrainConfig``, the tutorials' ``RNNLMConfig`` and ``CharRNNConfig``, the
comparison's ``CompareConfig``) carries its help text, the kind of value it takes and the
other spellings it answers to. The command line generates its options from them
(``gluon_rnn.cli``), so a default or a help text is written in one place.

Kinds: ``count`` (an integer >= 1), ``count0`` (>= 0), ``int`` and ``number`` (read as
written; the configuration checks the range and names the option), ``rate`` (a positive
number), ``choice`` (one of ``choices``), ``text``, ``path``, ``switch`` (on when given).
"""
from __future__ import annotations

import dataclasses
from typing import Any, Dict, Iterator, Optional, Sequence, Tuple

KINDS = ("count", "count0", "int", "number", "rate", "choice", "text", "path", "switch")


def option(default: Any, help: str, kind: str = "text", aliases: Sequence[str] = (),
           choices: Optional[Sequence[str]] = None) -> Any:
    """A dataclass field with its description (see the module's text)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return dataclasses.field(default=default, metadata={
        "help": help, "kind": kind, "aliases": tuple(aliases),
        "choices": tuple(choices) if choices is not None else None})


@dataclasses.dataclass(frozen=True)
class Described:
    """One described field: its name, flag (``--num-hiddens``), other spellings, default,
    kind, choices and help."""

    name: str
    flag: str
    aliases: Tuple[str, ...]
    default: Any
    kind: str
    choices: Optional[Tuple[str, ...]]
    help: str


def described(config_class, only: Optional[Sequence[str]] = None,
              defaults: Any = None) -> Iterator[Described]:
    """The described fields of ``config_class`` (those in ``only``, in that order), with
    the defaults of the instance ``defaults`` when given (a preset's, say)."""
    fields: Dict[str, dataclasses.Field] = {
        f.name: f for f in dataclasses.fields(config_class) if "help" in f.metadata}
    for name in only if only is not None else list(fields):
        field = fields[name]
        meta = field.metadata
        default = getattr(defaults, name) if defaults is not None else field.default
        yield Described(name, "--" + name.replace("_", "-"), meta["aliases"], default,
                        meta["kind"], meta["choices"], meta["help"])
