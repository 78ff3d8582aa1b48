"""The shape of the package: a core that knows no tutorial, the tutorials (each helper
generation of the books its own module) on it, the books runner on them, the command line
on top; every module placed in its layer by name; no import cycle (module level, inside
functions, or by a string: ``importlib``, a facade's name, ``python -m``); no module over
400 lines; no six-line block repeated; the facades only re-export."""
from __future__ import annotations

import ast
import collections
import importlib
import re
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "gluon_rnn"
FACADES = ("d2l_compat", "d2lzh_compat", "d2l087_compat", "d2l0176_compat", "d2l103_compat",
           "d2l012_compat", "gluonbook_compat")

CORE = {  # knows no tutorial, generation or book; each module is named here on purpose
    "gluon_rnn", "gluon_rnn.mxnet_compat", "gluon_rnn._checks", "gluon_rnn._files",
    "gluon_rnn._schema", "gluon_rnn.npzfile", "gluon_rnn.options", "gluon_rnn.blas",
    "gluon_rnn.threads", "gluon_rnn.signals",
    "gluon_rnn.devices", "gluon_rnn.sampling", "gluon_rnn.compare",
    "gluon_rnn.data", "gluon_rnn.data.resolve", "gluon_rnn.data.corpora", "gluon_rnn.data.text",
    "gluon_rnn.data.vocab", "gluon_rnn.data.batches", "gluon_rnn.data.registry",
    "gluon_rnn.data.settings", "gluon_rnn.data.layout",
    "gluon_rnn.models", "gluon_rnn.models.scratch", "gluon_rnn.models.gluon",
    "gluon_rnn.train", "gluon_rnn.train.config", "gluon_rnn.train.loop", "gluon_rnn.train.build",
    "gluon_rnn.train.run", "gluon_rnn.train.folder", "gluon_rnn.train.checkpoints",
    "gluon_rnn.train.evaluate", "gluon_rnn.train.sizes", "gluon_rnn.train.distributed",
    "gluon_rnn.train.report", "gluon_rnn.train.recording", "gluon_rnn.train.traced",
}
CORE_LEVELS = [  # inside the core, data flows one way: each level imports only those before it
    ("process and files", {"gluon_rnn.mxnet_compat", "gluon_rnn._checks", "gluon_rnn._files",
                           "gluon_rnn._schema", "gluon_rnn.npzfile", "gluon_rnn.options",
                           "gluon_rnn.blas", "gluon_rnn.threads", "gluon_rnn.signals",
                           "gluon_rnn.devices"}),
    ("data", {"gluon_rnn.data"}),
    ("models and sampling", {"gluon_rnn.models", "gluon_rnn.sampling"}),
    ("train", {"gluon_rnn.train"}),
    ("compare and the lazy API", {"gluon_rnn.compare", "gluon_rnn"}),
]
D2L = "gluon_rnn.tutorials.d2l"
BASE = f"{D2L}.base"
GENERATIONS = {  # each helper generation of the books: its module, and the facade of it
    f"{D2L}.d2l092": "d2l_compat", f"{D2L}.d2lzh": "d2lzh_compat",
    f"{D2L}.d2l087": "d2l087_compat", f"{D2L}.d2l0176": "d2l0176_compat",
    f"{D2L}.d2l103": "d2l103_compat", f"{D2L}.d2l012": "d2l012_compat",
    f"{D2L}.gluonbook071": "gluonbook_compat",
}
LAYERS = {"core": 0, "tutorial": 1, "facade": 1, "books": 2, "app": 3}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
MODULES.update({name: ROOT / name / "__init__.py" for name in FACADES})


def _layer(name: str) -> str:
    if name in CORE:
        return "core"
    if name in FACADES:
        return "facade"
    for prefix, layer in (("gluon_rnn.tutorials", "tutorial"), ("gluon_rnn.books", "books"),
                          ("gluon_rnn.cli", "app"), ("gluon_rnn.__main__", "app"),
                          ("gluon_rnn.console", "app")):
        if name == prefix or name.startswith(prefix + "."):
            return layer
    return "unplaced"


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _imports(name: str):
    """Every module of ours ``name`` imports, anywhere in its file (functions too), by an
    import statement or by a string naming it (``importlib.import_module("d2l_compat")``,
    ``"-m", "gluon_rnn.books.kernel"``, the lazy API's ``"train.loop"``)."""
    tree = ast.parse(MODULES[name].read_text())
    here = name if _is_package(name) else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here.split(".")[:len(here.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                       for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and re.fullmatch(r"[A-Za-z_][\w.]*", node.value):
            targets = [t for t in (node.value, f"{here}.{node.value}") if t in MODULES]
            targets = targets if "." in node.value or node.value in FACADES else []
        else:
            continue
        for target in targets:
            while target and target not in MODULES:  # a name inside a module: the module
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


GRAPH = {name: set(_imports(name)) for name in MODULES}


def test_the_import_graph_is_read_with_string_imports():
    assert "gluon_rnn.data.batches" in GRAPH["gluon_rnn.train.loop"]
    assert "gluon_rnn.train.run" in GRAPH["gluon_rnn.cli.training"]  # inside a function
    assert "gluon_rnn.tutorials.wildml.numpy_rnn" in GRAPH["gluon_rnn.tutorials.gates"]
    assert {"d2l_compat", "d2lzh_compat", "d2l087_compat"} <= \
        GRAPH["gluon_rnn.books.generations"]  # bound by name, with importlib
    assert "gluon_rnn.train.loop" in GRAPH["gluon_rnn"]  # the lazy API's table
    assert "gluon_rnn.books.kernel" in GRAPH["gluon_rnn.books.notebooks"]  # "-m" and a name
    assert "gluon_rnn.blas" in GRAPH["gluon_rnn.npzfile"]
    assert len(MODULES) > 40


def test_every_module_is_placed_in_a_layer():
    assert [name for name in MODULES if _layer(name) == "unplaced"] == []
    assert CORE <= set(MODULES), sorted(CORE - set(MODULES))


def test_the_books_runner_is_one_package():
    for name in ("chapter", "notebooks", "kernel", "helpers", "plotting", "pages"):
        assert f"gluon_rnn.{name}" not in MODULES
    assert {"gluon_rnn.books.chapter", "gluon_rnn.books.pages", "gluon_rnn.books.notebooks",
            "gluon_rnn.books.kernel", "gluon_rnn.books.generations"} <= set(MODULES)


def test_no_import_cycle():
    """Edges into a package's own ``__init__`` from its submodules are how Python
    loads packages, not a cycle; every other cycle is."""
    def edges(name):
        return {t for t in GRAPH[name] if not (_is_package(t) and name.startswith(t + "."))}

    state = {}

    def visit(name, path):
        state[name] = "open"
        for target in sorted(edges(name)):
            if state.get(target) == "open":
                pytest.fail("import cycle: " + " -> ".join(path[path.index(target):] + [target]))
            if target not in state:
                visit(target, path + [target])
        state[name] = "done"

    for name in MODULES:
        if name not in state:
            visit(name, [name])


def test_each_layer_imports_only_the_layers_below_it():
    """core < tutorials and facades < books < command line; a tutorial may use another
    tutorial (the gates port reads WildML's data), nothing imports upwards."""
    wrong = [(name, target) for name, targets in GRAPH.items() for target in targets
             if LAYERS[_layer(target)] > LAYERS[_layer(name)]
             or (_layer(name), _layer(target)) in {("tutorial", "facade"), ("facade", "facade")}]
    assert wrong == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_over_400_lines(name):
    assert len(MODULES[name].read_text().splitlines()) <= 400


def _code_lines(path: Path):
    """(line number, text) of the lines that carry code: blank lines, comments and
    docstrings left out, whitespace collapsed."""
    tree = ast.parse(path.read_text())
    docstrings = set()  # and import statements: a list of names is no logic
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            docstrings.update(range(node.lineno, node.end_lineno + 1))
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(getattr(body[0], "value", None), ast.Constant) \
                and isinstance(body[0].value.value, str):
            docstrings.update(range(body[0].lineno, body[0].end_lineno + 1))
    for number, line in enumerate(path.read_text().splitlines(), 1):
        text = " ".join(line.split("#")[0].split()) if "#" in line and '"' not in line \
            else " ".join(line.split())
        if text and number not in docstrings and not text.startswith(("import ", "from ")):
            yield number, text


def test_no_block_of_six_lines_repeated():
    """The same six code lines in a row, in two places of the package (``duplicates``
    also finds blocks of the same shape; run it before a commit)."""
    seen = collections.defaultdict(list)
    for name, path in MODULES.items():
        if name in FACADES:  # their lists of re-exported names are alike by design
            continue
        lines = list(_code_lines(path))
        for i in range(len(lines) - 5):
            block = tuple(text for _, text in lines[i:i + 6])
            if len(set(block)) > 2:  # not six closing brackets
                seen[block].append(f"{name}:{lines[i][0]}")
    repeated = {block: places for block, places in seen.items() if len(places) > 1}
    assert not repeated, next(iter(repeated.values()))


def _core_level(name: str) -> Optional[int]:
    return next((i for i, (_, homes) in enumerate(CORE_LEVELS)
                 if name in homes or any(name.startswith(home + ".") for home in homes
                                         if home != "gluon_rnn")), None)


def _loads_package(name: str, target: str) -> bool:
    """An import of a package's ``__init__`` by one of its own submodules: how Python
    loads packages, not an arrow."""
    return _is_package(target) and name.startswith(target + ".")


def test_inside_the_core_no_arrow_points_upwards():
    """process and files < data < models and sampling < train < compare; e.g. ``npzfile``
    asks ``blas`` for the memory left, not ``train.sizes``."""
    assert sorted(n for n in CORE if _core_level(n) is None) == []
    upward = [(name, target) for name in CORE for target in GRAPH[name]
              if target in CORE and not _loads_package(name, target)
              and _core_level(target) > _core_level(name)]
    assert upward == []


def _in(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_each_generation_stands_on_the_core_and_the_shared_base_only():
    """A generation module imports the core and ``tutorials.d2l.base`` (its package's public
    names, not one of its parts), and its own package's modules; the base imports the
    core and itself; nothing of ours imports a generation but its facade (and the books
    runner, which binds facades by name)."""
    assert set(GENERATIONS) <= set(MODULES)
    wrong = []
    for name in MODULES:
        own = next((g for g in GENERATIONS if _in(name, g)), None)
        for target in GRAPH[name]:
            if own is not None:
                allowed = target in CORE or target == BASE or _in(target, own)
            elif _in(name, BASE):
                allowed = target in CORE or _in(target, BASE)
            else:
                allowed = True
            target_generation = next((g for g in GENERATIONS if _in(target, g)), None)
            if target_generation is not None and target_generation != own:
                allowed = allowed and GENERATIONS[target_generation] == name
            if not allowed:
                wrong.append((name, target))
    assert wrong == []
    d2l_modules = {n for n in MODULES if n.startswith(D2L + ".")}
    assert d2l_modules <= {n for n in MODULES if _in(n, BASE) or any(_in(n, g) for g in GENERATIONS)}


@pytest.mark.parametrize("generation, facade", sorted(GENERATIONS.items()))
def test_a_facade_is_two_lines_that_re_export_its_generation(generation, facade):
    """One style for every facade: a docstring, every name of one generation (a star
    import of its ``__all__``), and its ``__all__``, ``__getattr__`` (the lazy ``plt``) and
    ``__version__``; no logic, no other source."""
    tree = ast.parse((ROOT / facade / "__init__.py").read_text())
    body = tree.body[1:] if isinstance(tree.body[0], ast.Expr) else tree.body
    assert [type(node) for node in body] == [ast.ImportFrom, ast.ImportFrom]
    assert {node.module for node in body} == {generation}
    assert [alias.name for alias in body[0].names] == ["*"]
    assert sorted(alias.name for alias in body[1].names) == ["__all__", "__getattr__",
                                                             "__version__"]
    module = __import__(facade)
    generation_module = importlib.import_module(generation)
    assert module.__all__ and all(getattr(module, name) is getattr(generation_module, name)
                                  for name in module.__all__)
    assert "plt" not in module.__all__  # a star import of the facade loads no matplotlib
    assert module.plt.__name__ == "matplotlib.pyplot"
    with pytest.raises(AttributeError, match=f"no attribute 'nope'.*=={module.__version__}"):
        module.nope  # noqa: B018 - the attribute access is what is tested


def test_importing_a_facade_loads_no_run_machinery():
    code = ("import sys, d2l_compat, d2lzh_compat, d2l087_compat\n"
            "heavy = [m for m in ('gluon_rnn.train.run', 'gluon_rnn.train.checkpoints',\n"
            "         'gluon_rnn.train.distributed', 'gluon_rnn.train.folder', 'matplotlib')\n"
            "         if m in sys.modules]\n"
            "assert heavy == [], heavy\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr


def test_docstrings_name_tutorials_not_seed_numbers():
    jargon = [f"{name}: {m.group(0)}" for name, path in MODULES.items()
              for m in re.finditer(r"seed 00[0-3]", path.read_text())]
    assert jargon == []


def test_the_public_api_loads_lazily():
    code = ("import sys, gluon_rnn\n"
            "assert 'mxnet' not in sys.modules, 'import gluon_rnn loaded mxnet'\n"
            "from gluon_rnn import (TrainConfig, fit, new_run, resume_run, load_model,\n"
            "                       generate_text, preset, EpochReport, Vocab, resolve)\n"
            "assert fit.__module__ == 'gluon_rnn.train.loop'\n"
            "assert preset('zaremba-small').num_layers == 2\n"
            "import dataclasses\n"
            "try:\n"
            "    gluon_rnn.PRESETS['zaremba-small'].num_epochs = 1\n"
            "except dataclasses.FrozenInstanceError:\n"
            "    pass\n"
            "assert preset('zaremba-small').num_epochs == 13  # presets cannot be changed\n"
            "print(sorted(gluon_rnn.__all__)[:3])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    import gluon_rnn
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        gluon_rnn.nope  # noqa: B018 - the attribute access is what is tested
