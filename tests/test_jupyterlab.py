"""JupyterLab as a reader meets it after `make jupyter` (issue 31, item 4): a book's
notebook, whose metadata names no kernel, opens and runs in the gluon-rnn kernel without
JupyterLab's "Select Kernel" dialog. A real JupyterLab server, driven by headless Chromium
through Playwright; `make test-jupyter` installs both Python sides, CI installs Chromium
where it can. Elsewhere these tests are skipped, saying what is missing."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from gluon_rnn.books.kernel import DISPLAY_NAME, KERNEL_NAME, LAB_DEFAULTS, SERVER_DEFAULTS

pytestmark = pytest.mark.browser
pytest.importorskip("jupyterlab", reason="JupyterLab is not installed: make test-jupyter")

GLUON_RNN = Path(sys.executable).with_name("gluon-rnn")
TOKEN = "gluon-rnn-test"
# Chromium as root in a container, on a machine with no network (the machines' notes)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
BOOK_CELLS = ["from d2l import mxnet as d2l", "%d2l"]
STRAIGHT_DOPE_CELLS = ["import mxnet as mx\nctx = mx.gpu(0)",
                       "print('sum', mx.nd.ones((2, 3), ctx=ctx).sum().asscalar())"]


def test_default_goes_where_this_environments_jupyter_reads():
    """Without --prefix, `--default` writes where this environment's JupyterLab and
    server look (the browser test below points them at a temporary prefix instead)."""
    from jupyter_core.paths import jupyter_config_path
    from jupyterlab.labapp import LabApp

    prefix = Path(sys.prefix)
    assert Path(LabApp().app_settings_dir) == prefix / LAB_DEFAULTS.parent.parent
    assert str(prefix / SERVER_DEFAULTS.parent) in jupyter_config_path()


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return str(shutil.which(name))
    pytest.skip("no Chromium to drive JupyterLab with (apt-get install chromium)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str):
    url = f"http://127.0.0.1:{port}{path}?token={TOKEN}"
    with urllib.request.urlopen(url, timeout=10) as reply:
        return json.loads(reply.read())


def _notebook(path: Path, cells, metadata) -> Path:
    cells = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
              "source": code} for code in cells]
    path.write_text(json.dumps({"cells": cells, "metadata": metadata, "nbformat": 4,
                                "nbformat_minor": 2}))
    return path


def _books(folder: Path) -> None:
    """A book notebook as d2l ships it (no kernelspec in its metadata), and one as The
    Straight Dope's (written for a GPU, naming the stock "python3")."""
    _notebook(folder / "book.ipynb", BOOK_CELLS, {})
    _notebook(folder / "straight-dope.ipynb", STRAIGHT_DOPE_CELLS, {"kernelspec": {
        "display_name": "Python 3", "language": "python", "name": "python3"}})


@pytest.fixture(params=[True, False], ids=["default", "installed-only"])
def lab(request, tmp_path):
    """A JupyterLab server whose environment is the prefix `kernel install` wrote to."""
    prefix, notebooks = tmp_path / "env", tmp_path / "notebooks"
    notebooks.mkdir()
    _books(notebooks)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_"))}
    env.update(JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_DATA_DIR=str(tmp_path / "data"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTER_CONFIG_PATH=str(prefix / SERVER_DEFAULTS.parent),
               JUPYTER_PATH=str(prefix / "share" / "jupyter"))
    flags = ["--default"] if request.param else []
    done = subprocess.run([str(GLUON_RNN), "kernel", "install", "--prefix", str(prefix), *flags],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert ("starts it for a notebook that names no kernel" in done.stdout) is request.param
    port, log = _free_port(), tmp_path / "jupyterlab.log"
    stream = log.open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
         "--ip=127.0.0.1", f"--ServerApp.token={TOKEN}", f"--ServerApp.root_dir={notebooks}",
         f"--LabApp.app_settings_dir={prefix / LAB_DEFAULTS.parent.parent}",
         # no fetches from the internet, which this machine's closed network leaves hanging
         "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=subprocess.DEVNULL, stderr=stream, text=True)
    # the server's log goes to a file: a pipe nobody reads fills, and the server then blocks
    try:
        for _ in range(120):
            try:
                _get(port, "/api/status")
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                time.sleep(0.5)
        yield port, request.param
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # still shutting its kernels down: stop it
            server.kill()
            server.wait(timeout=30)
        stream.close()


def test_a_book_notebook_opens_in_our_kernel_without_asking(lab):
    port, made_default = lab
    specs = _get(port, "/api/kernelspecs")
    assert KERNEL_NAME in specs["kernelspecs"]
    assert (specs["default"] == KERNEL_NAME) is made_default
    playwright = pytest.importorskip("playwright.sync_api",
                                     reason="Playwright is not installed: make test-jupyter")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/lab/tree/book.ipynb?token={TOKEN}")
            if not made_default:  # what a reader saw before: the dialog asks
                page.wait_for_selector(".jp-Dialog", timeout=60_000)
                assert "Select Kernel" in page.inner_text(".jp-Dialog")
                return
            output = _run_all(page, port, "book.ipynb", "text=/d2l 0.17.6/")
            assert "from the code of book.ipynb" in output
            # the notebook names the stock kernel, which this Jupyter leaves out
            output = _run_all(page, port, "straight-dope.ipynb", "text=/^sum /")
            assert output.strip() == "sum 6.0"
        finally:
            browser.close()
    sessions = _get(port, "/api/sessions")
    assert sorted(s["path"] for s in sessions) == ["book.ipynb", "straight-dope.ipynb"]
    assert [s["kernel"]["name"] for s in sessions] == [KERNEL_NAME] * 2


def _run_all(page, port: int, notebook: str, shown: str) -> str:
    """Open ``notebook``: it must start our kernel unasked; Run > Run All Cells, and
    return the text of the output matching ``shown``."""
    page.goto(f"http://127.0.0.1:{port}/lab/tree/{notebook}?reset&token={TOKEN}")
    page.wait_for_selector(f".jp-NotebookPanel-toolbar >> text={DISPLAY_NAME}", timeout=60_000)
    page.wait_for_selector(f"text={DISPLAY_NAME} | Idle", timeout=60_000)  # the status bar
    assert page.locator(".jp-Dialog").count() == 0
    page.click("#jp-MainMenu >> text=Run")
    page.click(".lm-Menu-content >> text=Run All Cells")
    return page.wait_for_selector(shown, timeout=120_000).inner_text()
