"""Which helper generation a chapter of the MXNet-era books was written for, and
binding ``import d2l`` / ``import d2lzh`` to its facade (for scripts, book pages and
the notebook kernel alike)."""
from __future__ import annotations

import ast
import contextlib
import re
import sys
from typing import Iterator, Optional

FACADES = {"0.9.2": "d2l_compat", "0.8.7": "d2l087_compat"}
D2LZH_FACADE = "d2lzh_compat"
# calls only the 4-tuple generation makes, or makes with its longer signature
_CLASSIC_LOADERS = ("load_data_time_machine", "load_data_timemachine", "load_data_jay_lyrics")
_CLASSIC_MIN_ARGS = {"train_and_predict_rnn": 17, "train_and_predict_rnn_gluon": 15,
                     "predict_rnn": 10, "predict_rnn_gluon": 7}


class UnsupportedGeneration(ValueError):
    """The chapter was written for a helper generation gluon-rnn does not provide."""


def code_only(source: str) -> str:
    """``source`` with IPython's line magics and shell escapes blanked (line numbers kept)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


def generation_of(source: str, requested: Optional[str] = None) -> str:
    """The d2l generation a chapter's code needs: ``requested`` when given, else
    ``"0.8.7"`` when the code shows the 4-tuple API, else ``"0.9.2"``. Code of the
    2020+ books (``from d2l import mxnet``) raises :class:`UnsupportedGeneration`."""
    if re.search(r"^\s*(from\s+d2l\s+import\s+(mxnet|torch|tensorflow|jax)\b|import\s+d2l\.)",
                 source, re.M):
        raise UnsupportedGeneration(
            "this chapter uses the d2l API of the 2020+ books (`from d2l import mxnet as d2l`), "
            "which gluon-rnn does not provide; it runs chapters written for d2l 0.9.2, d2l 0.8.7 "
            "and d2lzh 1.0.0")
    if requested is not None:
        if requested not in FACADES:
            raise ValueError(f"--d2l must be one of {', '.join(FACADES)}, got {requested!r}")
        return requested
    try:
        tree = ast.parse(code_only(source))
    except SyntaxError:
        return "0.9.2"  # the chapter's own syntax error is reported when it runs
    return "0.8.7" if any(_is_classic(node) for node in ast.walk(tree)) else "0.9.2"


def _called(node) -> str:
    func = node.func if isinstance(node, ast.Call) else None
    return func.attr if isinstance(func, ast.Attribute) else ""


def _is_classic(node) -> bool:
    """A 4-value unpacking of a loader, 0.8.7's own loader, or a 4-tuple-API call."""
    if isinstance(node, ast.Assign) and _called(node.value) in _CLASSIC_LOADERS:
        return any(isinstance(t, (ast.Tuple, ast.List)) and len(t.elts) == 4 for t in node.targets)
    name = _called(node)
    if name == "load_data_timemachine":
        return True
    return name in _CLASSIC_MIN_ARGS and len(node.args) >= _CLASSIC_MIN_ARGS[name]


@contextlib.contextmanager
def helpers_bound(generation: str) -> Iterator[None]:
    """Within the block ``import d2l`` gives the facade of ``generation`` and ``import
    d2lzh`` gives :mod:`d2lzh_compat`; the modules they replaced come back after."""
    import importlib

    saved = {name: sys.modules.get(name) for name in ("d2l", "d2lzh")}
    sys.modules["d2l"] = importlib.import_module(FACADES[generation])
    sys.modules["d2lzh"] = importlib.import_module(D2LZH_FACADE)
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


