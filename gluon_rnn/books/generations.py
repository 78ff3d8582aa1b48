"""Which helper generation a chapter of the MXNet-era books was written for, and binding
``import d2l`` / ``import d2lzh`` to its facade (for scripts, book pages and the notebook
kernel alike).

    d2lzh                  always d2lzh_compat (the Chinese edition, d2lzh 1.0.0)
    d2l, 4-tuple API       d2l087_compat (the English book before April 2019, d2l 0.8.7)
    d2l                    d2l_compat (d2l 0.9.2), unless --d2l says otherwise
    from d2l import mxnet  the 2020+ books: not supported, one line says so
"""
from __future__ import annotations

import ast
import contextlib
import importlib
import re
import sys
from typing import Dict, Iterator, Optional

FACADES: Dict[str, str] = {"0.9.2": "d2l_compat", "0.8.7": "d2l087_compat"}
D2LZH_FACADE = "d2lzh_compat"
# calls only the 4-tuple generation makes, or makes with its longer signature
_CLASSIC_LOADERS = ("load_data_time_machine", "load_data_timemachine", "load_data_jay_lyrics")
_CLASSIC_MIN_ARGS = {"train_and_predict_rnn": 17, "train_and_predict_rnn_gluon": 15,
                     "predict_rnn": 10, "predict_rnn_gluon": 7}
_NEW_BOOKS = re.compile(r"^\s*(from\s+d2l\s+import\s+(mxnet|torch|tensorflow|jax|paddle)\b"
                        r"|import\s+d2l\.)", re.M)


class UnsupportedGeneration(ValueError):
    """The chapter was written for a helper generation gluon-rnn does not provide."""


def as_python(source: str) -> str:
    """``source`` as IPython runs it: its ``%magic`` and ``!shell`` lines turned into the
    Python calls IPython makes of them (line numbers kept), so that a page or notebook
    cell can be read with :mod:`ast`."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def generation_of(source: str, requested: Optional[str] = None) -> str:
    """The d2l generation a chapter's code needs: ``requested`` when given, else
    ``"0.8.7"`` when the code shows the 4-tuple API, else ``"0.9.2"``. Code of the
    2020+ books (``from d2l import mxnet``) raises :class:`UnsupportedGeneration`."""
    if _NEW_BOOKS.search(source):
        raise UnsupportedGeneration(
            "this chapter uses the d2l API of the 2020+ books (`from d2l import mxnet as d2l`), "
            "which gluon-rnn does not provide; it runs chapters written for d2l 0.9.2, d2l 0.8.7 "
            "and d2lzh 1.0.0")
    if requested is not None:
        if requested not in FACADES:
            raise ValueError(f"--d2l must be one of {', '.join(FACADES)}, got {requested!r}")
        return requested
    try:
        tree = ast.parse(as_python(source))
    except SyntaxError:
        return "0.9.2"  # the chapter's own syntax error is reported when it runs
    return "0.8.7" if any(_is_classic(node) for node in ast.walk(tree)) else "0.9.2"


def _called(node: ast.AST) -> str:
    func = node.func if isinstance(node, ast.Call) else None
    return func.attr if isinstance(func, ast.Attribute) else ""


def _is_classic(node: ast.AST) -> bool:
    """A 4-value unpacking of a loader, 0.8.7's own loader, or a 4-tuple-API call."""
    if isinstance(node, ast.Assign) and _called(node.value) in _CLASSIC_LOADERS:
        return any(isinstance(t, (ast.Tuple, ast.List)) and len(t.elts) == 4 for t in node.targets)
    name = _called(node)
    if name == "load_data_timemachine":
        return True
    return isinstance(node, ast.Call) and name in _CLASSIC_MIN_ARGS \
        and len(node.args) >= _CLASSIC_MIN_ARGS[name]


@contextlib.contextmanager
def helpers_bound(generation: str) -> Iterator[None]:
    """Within the block ``import d2l`` gives the facade of ``generation`` and ``import
    d2lzh`` gives :mod:`d2lzh_compat`; the modules they replaced come back after."""
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
