"""Which helper generation a chapter of the MXNet books was written for, and binding
``import d2l`` / ``from d2l import mxnet`` / ``import d2lzh`` to its facade (for scripts,
book pages and the notebook kernel alike).

    from d2l import mxnet   the 2020+ books: d2l 0.17.6 (d2l-en 0.15-0.17, d2l-zh 2.0.0),
                            or 1.0.3 (d2l-en 1.0) when the code shows its classes
    d2lzh                   always d2lzh_compat (the Chinese edition, d2lzh 1.0.0)
    gluonbook               always gluonbook_compat (d2l-zh v0.7, gluonbook 0.7.1)
    d2l, numpy interface    d2l012_compat (d2l-en v0.7.0 and v0.8.0: d2l 0.11.1, 0.12.0),
                            when the code imports mxnet's ``np``/``npx`` or calls ``set_np``
    d2l, 4-tuple API        d2l087_compat (the English book before April 2019, d2l 0.8.7)
    d2l                     d2l_compat (d2l 0.9.2), unless --d2l says otherwise
    from d2l import torch   another framework's tab: one line says only MXNet is served
"""
from __future__ import annotations

import ast
import contextlib
import importlib
import re
import sys
import types
from typing import Dict, Iterator, List, Optional

FACADES: Dict[str, str] = {"0.9.2": "d2l_compat", "0.8.7": "d2l087_compat",
                           "0.11.1": "d2l012_compat", "0.12.0": "d2l012_compat",
                           "0.17.6": "d2l0176_compat", "1.0.3": "d2l103_compat"}
NEW_API = ("0.17.6", "1.0.3")  # ``from d2l import mxnet as d2l``
NUMPY_ERA = ("0.11.1", "0.12.0")  # ``import d2l`` with ``from mxnet import np, npx``
D2LZH_FACADE = "d2lzh_compat"
GLUONBOOK_FACADE = "gluonbook_compat"
# the facades of the other module names a chapter may import (always the same generation)
OTHER_HELPERS: Dict[str, str] = {"d2lzh": D2LZH_FACADE, "gluonbook": GLUONBOOK_FACADE}
# calls only the 4-tuple generation makes, or makes with its longer signature
_CLASSIC_LOADERS = ("load_data_time_machine", "load_data_timemachine", "load_data_jay_lyrics")
_CLASSIC_MIN_ARGS = {"train_and_predict_rnn": 17, "train_and_predict_rnn_gluon": 15,
                     "predict_rnn": 10, "predict_rnn_gluon": 7}
_MXNET_API = re.compile(r"^\s*(from\s+d2l\s+import\s+mxnet\b|import\s+d2l\.mxnet\b)", re.M)
_OTHER_FRAMEWORK = re.compile(r"^\s*(?:from\s+d2l\s+import\s+(torch|tensorflow|jax|paddle)\b"
                              r"|import\s+d2l\.(torch|tensorflow|jax|paddle)\b)", re.M)
# what only d2l-en 1.0's class-based helper has (0.17.6 has none of these names)
_BOOK_1_0_NAMES = frozenset((
    "Trainer", "Module", "DataModule", "HyperParameters", "ProgressBoard", "TimeMachine",
    "RNNScratch", "RNNLMScratch", "RNNLM", "Classifier", "add_to_class", "GRU",
    "LinearRegression", "SGD"))
# d2lbook's 1.0 cell magic, or its line as a page's cell keeps it (books/pages.py)
_TAB_CELL = re.compile(r"^(?:# )?%%tab\b", re.M)
# the same, read from the text where the code does not parse (its own error shows later)
_BOOK_1_0 = re.compile(r"\bd2l\.(" + "|".join(sorted(_BOOK_1_0_NAMES)) + r")\b"
                       r"|^(?:# )?%%tab\b|\btab\.selected\(", re.M)


class UnsupportedGeneration(ValueError):
    """The chapter was written for a helper gluon-rnn does not provide."""


def as_python(source: str) -> str:
    """``source`` as IPython runs it: its ``%magic`` and ``!shell`` lines turned into the
    Python calls IPython makes of them (line numbers kept), so that a page or notebook
    cell can be read with :mod:`ast`."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def generation_of(source: str, requested: Optional[str] = None) -> str:
    """The d2l generation a chapter's code needs (module's table), or ``requested`` when
    given and the code's API allows it. Read from the code itself, its imports and the
    names it uses of each module it imported (never from comments or strings, nor from
    another helper's calls: ``d2lzh.load_data_jay_lyrics()`` says nothing of ``d2l``);
    from the text only where the code does not parse."""
    try:  # a %%tab cell's body is the book's code: read as code, not as the magic's text
        tree: Optional[ast.AST] = ast.parse(as_python(re.sub(r"^%%tab\b", "# %%tab", source,
                                                             flags=re.M)))
    except SyntaxError:
        tree = None  # the chapter's own syntax error is reported when it runs
    bound = _bound_names(tree) if tree is not None else None
    other = _other_framework(source, bound)
    new_api = _uses_mxnet_api(source, bound)
    if other and not new_api:
        raise UnsupportedGeneration(other_framework(other))
    if requested is not None:
        if bound is not None and not bound:  # no d2l helper imported: any generation fits
            return _checked_request(requested, requested in NEW_API)
        return _checked_request(requested, new_api)
    if new_api:
        return "1.0.3" if _uses_book_1_0(source, tree, bound) else "0.17.6"
    if tree is None or bound is None:
        return "0.9.2"
    names = (bound.get("d2l") or {"d2l"}) - bound.get("d2lzh", set())
    if any(_is_classic(node, names) for node in ast.walk(tree)):
        return "0.8.7"
    return "0.12.0" if _uses_numpy_interface(tree) else "0.9.2"


def _uses_numpy_interface(tree: ast.AST) -> bool:
    """MXNet's numpy interface in the code: ``from mxnet import np``/``npx`` (or their
    modules imported), or a call of ``set_np``: what the 2019-2020 ``import d2l`` pages
    (d2l 0.11.1, 0.12.0) do and the nd-era ones (0.8.7, 0.9.2) never do."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "mxnet" and not node.level:
            if any(alias.name in ("np", "npx") for alias in node.names):
                return True
        elif isinstance(node, ast.Import):
            if any(alias.name in ("mxnet.np", "mxnet.npx") for alias in node.names):
                return True
        elif _called(node) == "set_np":
            return True
    return False


def _bound_names(tree: ast.AST) -> Dict[str, set]:
    """The names each d2l module is bound to by the code's imports: ``import d2l`` gives
    ``{"d2l": {"d2l"}}``, ``from d2l import mxnet as d2l`` ``{"d2l.mxnet": {"d2l"}}``."""
    bound: Dict[str, set] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in ("d2l", "d2lzh", "gluonbook"):
                    bound.setdefault(alias.name, set()).add(alias.asname or alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module == "d2l" and not node.level:
            for alias in node.names:
                bound.setdefault(f"d2l.{alias.name}", set()).add(alias.asname or alias.name)
    return bound


def _other_framework(source: str, bound: Optional[Dict[str, set]]) -> Optional[str]:
    if bound is None:
        found = _OTHER_FRAMEWORK.search(source)
        return (found.group(1) or found.group(2)) if found else None
    return next((f for f in OTHER_FRAMEWORKS if f"d2l.{f}" in bound), None)


def _uses_mxnet_api(source: str, bound: Optional[Dict[str, set]]) -> bool:
    return bool(_MXNET_API.search(source)) if bound is None else "d2l.mxnet" in bound


def _uses_book_1_0(source: str, tree: Optional[ast.AST], bound: Optional[Dict[str, set]]) -> bool:
    """A name only the 1.0 helper has, used on the module ``from d2l import mxnet`` bound,
    a ``%%tab`` cell or the 1.0 book's ``tab.selected(...)``."""
    if tree is None or bound is None:
        return bool(_BOOK_1_0.search(source))
    if _TAB_CELL.search(source):
        return True
    names = bound["d2l.mxnet"]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            used_on = _dotted(node.value)
            if used_on in names and node.attr in _BOOK_1_0_NAMES:
                return True
            if used_on == "tab" and node.attr == "selected":
                return True
    return False


def _checked_request(requested: str, new_api: bool) -> str:
    if requested not in FACADES:
        raise ValueError(f"--d2l must be one of {', '.join(FACADES)}, got {requested!r}")
    if (requested in NEW_API) != new_api:
        kind = "`from d2l import mxnet as d2l` (the 2020+ books)" if new_api else \
            "`import d2l` (the books up to d2l-en v0.8)"
        fits = ", ".join(g for g in FACADES if (g in NEW_API) == new_api)
        raise ValueError(f"--d2l {requested} does not fit this chapter, which uses {kind}: "
                         f"choose {fits}")
    return requested


def _dotted(node: ast.AST) -> str:
    """``d2l`` or ``d2l.mxnet`` for the names and attribute chains code uses, else ""."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return ""


def _called(node: ast.AST, on: Optional[set] = None) -> str:
    """The attribute a call calls (``d2l.rnn(...)``: ``"rnn"``), when made on one of the
    names ``on`` (any name when None)."""
    func = node.func if isinstance(node, ast.Call) else None
    if not isinstance(func, ast.Attribute):
        return ""
    if on is not None and not (isinstance(func.value, ast.Name) and func.value.id in on):
        return ""
    return func.attr


def _is_classic(node: ast.AST, names: set) -> bool:
    """A 4-value unpacking of a loader, 0.8.7's own loader, or a 4-tuple-API call, made on
    one of ``names`` (those ``import d2l`` bound)."""
    if isinstance(node, ast.Assign) and _called(node.value, names) in _CLASSIC_LOADERS:
        return any(isinstance(t, (ast.Tuple, ast.List)) and len(t.elts) == 4 for t in node.targets)
    name = _called(node, names)
    if name == "load_data_timemachine":
        return True
    return isinstance(node, ast.Call) and name in _CLASSIC_MIN_ARGS \
        and len(node.args) >= _CLASSIC_MIN_ARGS[name]


OTHER_FRAMEWORKS = ("torch", "tensorflow", "jax", "paddle")


def other_framework(framework: str) -> str:
    """What to say to code that imports another framework's d2l helper."""
    return (f"this chapter uses the d2l helper for {framework} (`from d2l import {framework}`); "
            "gluon-rnn serves the MXNet version of the books: use the chapter's MXNet tab or "
            "notebook (`from d2l import mxnet as d2l`)")


def _d2l_package(facade: types.ModuleType) -> types.ModuleType:
    """A ``d2l`` package whose ``mxnet`` is ``facade`` (what ``from d2l import mxnet``
    asks for); its other frameworks' modules are an ImportError that says why."""
    package = types.ModuleType("d2l", "gluon-rnn's stand-in for the d2l package: its "
                                      "`mxnet` is " + facade.__name__)
    package.__path__ = []  # a package: `import d2l.mxnet` looks for its submodules
    package.mxnet = facade  # type: ignore[attr-defined]
    package.__version__ = getattr(facade, "__version__", "")  # type: ignore[attr-defined]

    def missing(name: str):
        if name in OTHER_FRAMEWORKS:
            raise ImportError(other_framework(name))
        raise AttributeError(f"module 'd2l' has no attribute {name!r}")
    package.__getattr__ = missing  # type: ignore[method-assign]  # PEP 562: the module's own
    return package


def refusing_d2l(message: str) -> types.ModuleType:
    """A ``d2l`` whose every name is an ImportError saying ``message``: what the kernel
    binds for another framework's tab (``from d2l import torch``), so that the import
    itself fails with the one line instead of a missing module or the real d2l."""
    package = types.ModuleType("d2l", "gluon-rnn: " + message)
    package.__path__ = []

    def refuse(name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise ImportError(message)
    package.__getattr__ = refuse  # type: ignore[method-assign]
    return package


@contextlib.contextmanager
def helpers_bound(generation: str) -> Iterator[None]:
    """Within the block the chapter's imports of ``d2l`` (or ``d2l.mxnet``) give the
    facade of ``generation``, ``import d2lzh`` :mod:`d2lzh_compat` and ``import
    gluonbook`` :mod:`gluonbook_compat`; the modules they replaced come back after."""
    names = ("d2l", "d2l.mxnet", *OTHER_HELPERS)
    saved = {name: sys.modules.get(name) for name in names}
    facade = importlib.import_module(FACADES[generation])
    if generation in NEW_API:
        sys.modules["d2l"] = _d2l_package(facade)
        sys.modules["d2l.mxnet"] = facade
    else:
        sys.modules["d2l"] = facade
        sys.modules.pop("d2l.mxnet", None)
    for name, other in OTHER_HELPERS.items():
        sys.modules[name] = importlib.import_module(other)
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def tab_selected(tabs, framework: str = "mxnet") -> bool:
    """Whether code marked for ``tabs`` (d2lbook's ``#@tab``/``%%tab`` lists, the 1.0
    book's ``tab.selected(...)``) runs in this runner, which serves ``framework``'s tab."""
    names = {str(name).strip() for name in tabs}
    return framework in names or "all" in names


def tab_cell(lines: List[str]) -> List[str]:
    """d2lbook's ``%%tab`` cell magic in a notebook, as a page's cells have it: a cell for
    the MXNet tab (``%%tab mxnet``, ``%%tab all``) runs its code, a cell for another tab
    runs nothing; the magic's line stays as a comment (line numbers kept). An input
    transformer of IPython's (it runs before magics are looked up)."""
    first = lines[0] if lines else ""
    if not first.startswith("%%tab"):
        return lines
    runs = tab_selected(first[len("%%tab"):].split(","))
    body = lines[1:] if runs else [f"# {line}" for line in lines[1:]]
    return [f"# {first}"] + body


def book_tab():
    """What d2lbook's ``tab`` module gives the 1.0 book's code: this runner serves the
    MXNet tab (``tab.selected('mxnet')`` is true, ``tab.interact_select`` does nothing)."""
    return types.SimpleNamespace(selected=lambda *tabs: tab_selected(tabs),
                                 interact_select=lambda *tabs, **options: None)
