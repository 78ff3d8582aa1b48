"""Shared fixtures. Data files come from $GLUON_RNN_DATA (the Makefile points it at
../shared/data); tests that exercise the resolver itself isolate it."""
from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import sys
from pathlib import Path

import pytest

import gluon_rnn  # noqa: F401 - before any test imports mxnet: gluon_rnn.mxnet_compat
from gluon_rnn.blas import configure_blas

configure_blas()  # the settings the command line and the kernel give MXNet, before it loads

ROOT = Path(__file__).resolve().parents[1]
ORACLES = ROOT / ".venv" / "oracles"  # the published helpers, each in its own folder
SHARED_DATA = ROOT.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# the user's own gluon-rnn settings (a data folder recorded with `gluon-rnn data --use`) are
# neither read nor written by the tests: each session has its own, empty
os.environ["GLUON_RNN_CONFIG"] = os.path.join(__import__("tempfile").mkdtemp(
    prefix="gluon-rnn-test-settings-"), "config.json")
# nor its cache: what a test downloads or unpacks there (an archive found in a read-only data
# folder is unpacked into the cache) lands in the session's own
os.environ["GLUON_RNN_CACHE"] = __import__("tempfile").mkdtemp(prefix="gluon-rnn-test-cache-")
if not os.environ.get("GLUON_RNN_DATA") and SHARED_DATA.is_dir():
    os.environ["GLUON_RNN_DATA"] = str(SHARED_DATA)
DATA_CONFIGURED = bool(os.environ.get("GLUON_RNN_DATA"))
if not DATA_CONFIGURED:  # no data and maybe no network: never try to download
    os.environ.setdefault("GLUON_RNN_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


def load_oracle(package: str, version: str, submodule: str = ""):
    """A published helper package (``d2l``, ``d2lzh``) that `make test` installed
    --no-deps into ``.venv/oracles/PACKAGE-VERSION``, loaded under a name of its own
    (never ``d2l``, which the facades use; nor from site-packages, where a Jupyter kernel
    of the environment would import it); with ``submodule``, that module of it."""
    init = ORACLES / f"{package}-{version}" / package / "__init__.py"
    if not init.is_file():
        pytest.fail(f"the {package}=={version} oracle is not installed ({init}); run `make test`")
    name = f"oracle_{package}_{version.replace('.', '_')}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, init, submodule_search_locations=[str(init.parent)])
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
        assert module.__version__ == version, module.__version__
    return importlib.import_module(f"{name}.{submodule}" if submodule else name)


@pytest.fixture(autouse=True)
def _in_a_folder_of_its_own(tmp_path_factory, monkeypatch):
    """Every test runs in a fresh folder: a command's default outputs (runs/...) land there,
    never in the checkout, and what a user left in the checkout (README's examples' runs)
    changes no test."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture(autouse=True)
def _one_thread_each():
    """Every test starts on one thread, as a fresh process does: a command run in-process
    (main([...]) whose training was governed) must not leave another count to the next
    test, whose numbers (OpenBLAS's dot rounds per thread count) would then depend on the
    order the tests ran in."""
    from gluon_rnn.threads import set_threads

    set_threads(1)


@pytest.fixture(scope="session")
def d2l_oracle():
    """The published d2l==0.9.2 package."""
    return load_oracle("d2l", "0.9.2")


@pytest.fixture(scope="session")
def time_machine():
    """(corpus_indices, vocab) of the default 10,000 characters."""
    require_data("timemachine.txt")
    from gluon_rnn.tutorials.d2l.d2l092 import load_data_time_machine
    return load_data_time_machine()


@pytest.fixture
def isolated_data(tmp_path, monkeypatch):
    """No $GLUON_RNN_DATA, a fresh working folder and cache: the resolver sees nothing."""
    work = tmp_path / "chapter" / "work"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    monkeypatch.delenv("GLUON_RNN_DATA", raising=False)
    monkeypatch.delenv("GLUON_RNN_OFFLINE", raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv("GLUON_RNN_CACHE", str(cache))
    return tmp_path


@pytest.fixture
def book(tmp_path, monkeypatch):
    """The books' layout: data/ (the Time Machine, Jay Chou's lyrics) beside the
    chapter's folder, which is the working one; returns that folder."""
    import shutil

    from gluon_rnn.data.resolve import resolve

    require_data("jaychou_lyrics.txt.zip", "timemachine.txt")
    (tmp_path / "data").mkdir()
    for name in ("jaychou_lyrics.txt.zip", "timemachine.txt"):
        shutil.copy(resolve(name), tmp_path / "data" / name)
    (tmp_path / "chapter").mkdir()
    monkeypatch.chdir(tmp_path / "chapter")
    return tmp_path / "chapter"


def wait_until(condition, seconds: float, what: str):
    """Poll ``condition()`` until it is true (returned), failing after ``seconds`` with
    ``what`` was awaited: a test waits for what it needs, never a fixed time."""
    import time

    deadline = time.monotonic() + seconds
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"waited {seconds:g} s for {what}")
        time.sleep(0.02)


def loaded_library(pid: int, name: str) -> bool:
    """Whether process ``pid`` has mapped a shared library whose file name holds ``name``."""
    try:
        with open(f"/proc/{pid}/maps") as f:
            return any(name in line for line in f)
    except OSError:
        return False


def child_processes(pid: int) -> list:
    """The pids of the live children of ``pid``."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def processes_with_env(marker: str) -> list:
    """Live (not zombie) processes whose environment holds ``marker``."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if marker.encode() in f.read():
                    with open(f"/proc/{pid}/stat") as stat:
                        if stat.read().split(") ")[-1][0] != "Z":
                            found.append(int(pid))
        except OSError:
            pass
    return found


def missing_data(names) -> list:
    """Those of the data files ``names`` the resolver cannot find here (never downloading)."""
    from gluon_rnn.data.resolve import resolve

    missing = []
    for name in names:
        try:
            resolve(name, download=False)
        except FileNotFoundError:
            missing.append(name)
    return missing


def require_data(*names: str) -> None:
    """Skip the calling test (or fixture) unless the data files ``names`` are found, with
    the file's name and how to provide it. With $GLUON_RNN_DATA set (`make test`, CI) a
    missing file is not skipped: the test runs and fails as it would for a user."""
    missing = missing_data(names) if not DATA_CONFIGURED else []
    if missing:
        pytest.skip(f"data file {missing[0]} is missing; set GLUON_RNN_DATA to a folder holding "
                    "it (the Makefile points it at ../shared/data when that folder exists), or "
                    "fetch it online with `gluon-rnn data --fetch NAME`")


def pytest_configure(config):
    config.addinivalue_line("markers", "requires_data(*names): the test reads these data files "
                                       "(skipped, naming the file, where they cannot be found)")


def pytest_runtest_setup(item):
    for marker in item.iter_markers("requires_data"):
        require_data(*marker.args)


def _shared_data_listing() -> list:
    return sorted(p.name for p in SHARED_DATA.iterdir()) if SHARED_DATA.is_dir() else []


_SHARED_DATA_AT_START = _shared_data_listing()


def pytest_sessionfinish(session, exitstatus):
    """Tests write only into temporary folders: the shared data folder the Makefile points
    $GLUON_RNN_DATA at holds the same files after the session (checked once, by the
    controller), or the session fails naming what appeared or went."""
    if hasattr(session.config, "workerinput"):
        return
    now = _shared_data_listing()
    if now != _SHARED_DATA_AT_START:
        changed = sorted(set(now) ^ set(_SHARED_DATA_AT_START))
        print(f"\nthe tests changed {SHARED_DATA}: {', '.join(changed)}", file=sys.stderr)
        session.exitstatus = 1


HUB_MODULES = ("gluon_rnn.tutorials.d2l.d2l012.rnn", "gluon_rnn.tutorials.d2l.d2l0176.rnn",
               "gluon_rnn.tutorials.d2l.d2l103")


@pytest.fixture(autouse=True)
def _data_hubs_restored():
    """A page registers `d2l.DATA_HUB` entries on the helper it was given (the books'
    design: the machine-translation fixtures register the documented fra-eng copy); the
    next test gets each generation's DATA_HUB as it was."""
    hubs = [importlib.import_module(name).DATA_HUB for name in HUB_MODULES]
    saved = [dict(hub) for hub in hubs]
    yield
    for hub, before in zip(hubs, saved):
        hub.clear()
        hub.update(before)


def small_zip(data_name: str, path: Path, lines: int) -> str:
    """``path``: the data file ``data_name`` (a zip of text files, ``fra-eng.zip`` or
    ``ptb.zip``) with the first ``lines`` lines of each text member, in its layout, for
    pages that read a whole corpus in Python on both sides of a differential test;
    returns its SHA-1 (what a test registers in place of the full copy's)."""
    import zipfile

    from gluon_rnn.data.resolve import resolve, sha1_of

    require_data(data_name)
    with zipfile.ZipFile(resolve(data_name)) as full, zipfile.ZipFile(path, "w") as small:
        for name in full.namelist():
            if name.endswith(".txt") and not name.startswith("__MACOSX"):
                text = full.read(name).decode("utf-8")
                small.writestr(name, "".join(text.splitlines(True)[:lines]))
    return sha1_of(path)


def seeded() -> None:
    """The three seeds a differential test gives both sides."""
    import random

    import mxnet as mx
    import numpy as np

    random.seed(0)
    mx.random.seed(0)
    np.random.seed(0)


def fixture_page(book: Path, fixtures: str, name: str, edits=()) -> Path:
    """``FIXTURES/fixtures/name.md`` copied into the chapter folder ``book``, each ``(old,
    new)`` of ``edits`` replaced."""
    text = (FIXTURES / fixtures / f"{name}.md").read_text(encoding="utf-8")
    for old, new in edits:
        text = text.replace(old, new)
    page = book / f"{name}.md"
    page.write_text(text, encoding="utf-8")
    return page


def output_on_real_helper(page: Path, modules: dict, monkeypatch, capsys) -> str:
    """What ``page`` prints run by our page runner (seeded) with ``sys.modules`` holding
    ``modules`` (the published helper's, by the names the page imports)."""
    import mxnet as mx

    from gluon_rnn.books.figures import FigureSink
    from gluon_rnn.books.pages import page_cells, run_page

    capsys.readouterr()
    seeded()
    with monkeypatch.context() as patch:
        for name, module in modules.items():
            patch.setitem(sys.modules, name, module)
        try:
            run_page(page, page_cells(page.read_text(encoding="utf-8")),
                     FigureSink(None, page.stem))
        finally:
            mx.npx.reset_np()  # the page's npx.set_np(), which `gluon-rnn chapter` undoes too
    return capsys.readouterr().out


def output_through_chapter(page: Path, capsys) -> str:
    """What ``page`` prints through ``gluon-rnn chapter`` (seeded), which must succeed."""
    from gluon_rnn.cli import main

    capsys.readouterr()
    seeded()
    assert main(["chapter", str(page)]) == 0, capsys.readouterr().err
    return capsys.readouterr().out


def small_fra_eng(folder: Path, lines: int = 3000) -> str:
    """``folder/fra-eng.zip`` holding the first ``lines`` pairs of the English-French data in
    its layout (``fra-eng/fra.txt``), for pages that read and prepare the whole text on
    both sides of a differential test; returns its SHA-1, which the test registers in
    both helpers' ``DATA_HUB`` (and in a page's own registration) in place of the copy's."""
    return small_zip("fra-eng.zip", Path(folder) / "fra-eng.zip", lines)


def book_function(source: str, name: str, **names):
    """The function ``name`` as a book's code defines it in ``source`` (a script's or a
    page cell's text), defined alone, with ``names`` as its globals."""
    tree = ast.parse(source)
    found = next(node for node in tree.body if isinstance(node, ast.FunctionDef)
                 and node.name == name)
    namespace = dict(names)
    exec(compile(ast.Module(body=[found], type_ignores=[]), name, "exec"), namespace)
    return namespace[name]
