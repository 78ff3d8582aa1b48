"""The Jupyter kernel as a reader meets it: installed by the `gluon-rnn` command where
their Jupyter looks, started through Jupyter's own client without GLUON_RNN_DATA (as a
Jupyter started from a desktop has none), binding the generation each notebook's code
needs without being told."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import require_data
from gluon_rnn.books.kernel import KERNEL_BOOTSTRAP

GLUON_RNN = Path(sys.executable).with_name("gluon-rnn")  # the installed command
_DRIVER = """
import json, sys
from jupyter_client.manager import start_new_kernel
km, kc = start_new_kernel(kernel_name='gluon-rnn-d2l', cwd=sys.argv[1])
replies = []
for code in json.loads(sys.argv[2]):
    out = []
    def hook(m):
        c = m['content']
        if m['msg_type'] == 'stream':
            out.append(c['text'])
        elif m['msg_type'] == 'execute_result':
            out.append(c['data']['text/plain'] + '\\n')
        elif m['msg_type'] == 'error':
            out.append('ERROR ' + c['ename'] + ': ' + c['evalue'] + '\\n')
            out.append('TRACEBACK %d\\n' % len(c['traceback']))
    kc.execute_interactive(code, output_hook=hook, timeout=240)
    replies.append(''.join(out))
kc.stop_channels()
km.shutdown_kernel(now=True)
print(json.dumps(replies))
"""


def _reader_env(tmp_path, **extra) -> dict:
    """A reader's environment: no GLUON_RNN_DATA, no thread settings, their own Jupyter
    folder and cache, nothing downloadable."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GLUON_RNN", "OMP_", "JUPYTER", "JPY_", "MXNET_"))}
    env.update(JUPYTER_DATA_DIR=str(tmp_path / "jupyter"), GLUON_RNN_CACHE=str(tmp_path / "cache"),
               GLUON_RNN_OFFLINE="1", **extra)
    return env


def _install(tmp_path, *args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([str(GLUON_RNN), "kernel", "install", *args], capture_output=True,
                          text=True, env=env or _reader_env(tmp_path), timeout=120)


def _cells(tmp_path, cells, env=None, cwd=None) -> list:
    """Run ``cells`` in turn in the installed kernel; what each showed."""
    work = cwd or tmp_path / "notebooks"
    work.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([sys.executable, "-c", _DRIVER, str(work), json.dumps(cells)],
                          capture_output=True, text=True, env=env or _reader_env(tmp_path),
                          timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_install_goes_where_the_readers_jupyter_looks_and_replaces_old_kernels(tmp_path):
    kernels = tmp_path / "jupyter" / "kernels"
    for old in ("gluon-rnn-d2l-0.8.7", "gluon-rnn-d2l-0.9.2"):  # an earlier version's
        (kernels / old).mkdir(parents=True)
        (kernels / old / "kernel.json").write_text('{"argv": [], "display_name": "old"}')
    done = _install(tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in kernels.iterdir()) == ["gluon-rnn-d2l"]
    spec = json.loads((kernels / "gluon-rnn-d2l" / "kernel.json").read_text())
    assert spec["argv"] == [sys.executable, "-c", KERNEL_BOOTSTRAP, "-f", "{connection_file}"]
    assert spec["display_name"] == "Python 3 (gluon-rnn: d2l books)" and "env" not in spec
    out = done.stdout
    assert f"in {kernels / 'gluon-rnn-d2l'}" in out and out.count("removed the per-generation") == 2
    assert "data: none recorded" in out and "--data DIR" in out


def test_install_records_the_data_folder(tmp_path):
    data = tmp_path / "corpora"
    data.mkdir()
    assert _install(tmp_path, "--data", str(data)).returncode == 0
    spec = json.loads((tmp_path / "jupyter" / "kernels" / "gluon-rnn-d2l" / "kernel.json")
                      .read_text())
    assert spec["env"] == {"GLUON_RNN_DATA": str(data)}
    # $GLUON_RNN_DATA is recorded when no --data is given; a folder that is not there is refused
    env = _reader_env(tmp_path, GLUON_RNN_DATA=str(tmp_path / "elsewhere"))
    done = _install(tmp_path, env=env)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"gluon-rnn: error: GLUON_RNN_DATA names {tmp_path / 'elsewhere'}, which is not a folder "
        f"({tmp_path / 'elsewhere'} does not exist): pass the folder holding timemachine.txt "
        "and the other corpora"]


def test_the_kernel_binds_what_the_code_needs_and_says_why_data_are_missing(tmp_path):
    assert _install(tmp_path).returncode == 0
    replies = _cells(tmp_path, [
        "import os\nprint(os.environ['OMP_NUM_THREADS'], os.environ['MXNET_USE_OPERATOR_TUNING'])",
        "import d2l, d2lzh\nprint(d2l.__name__, d2lzh.__name__)",
        "%d2l",
        "corpus_indices, vocab = d2l.load_data_time_machine()",
        # a later cell shows d2l 0.8.7's 4-tuple API: the binding moves before it runs
        "def later():\n    (a, b, c, d) = d2l.load_data_time_machine()\nprint(d2l.__name__)",
        "%d2l",
    ])
    assert replies[0] == "1 0\n"  # the command line's process settings: one OpenMP thread
    assert replies[1] == "d2l_compat d2lzh_compat\n"
    assert replies[2] == "d2l 0.9.2 (from the cells run so far); d2lzh 1.0.0; gluonbook 0.7.1\n"
    error, traceback = replies[3].splitlines()
    assert error.startswith("ERROR MissingDataError: timemachine.txt not found (looked in data, "
                            "../data, ")
    assert "Set GLUON_RNN_DATA to the folder holding it" in error and traceback == "TRACEBACK 1"
    assert replies[4] == "d2l087_compat\n"
    assert replies[5] == "d2l 0.8.7 (from the cells run so far); d2lzh 1.0.0; gluonbook 0.7.1\n"


def test_the_kernel_reads_the_notebook_jupyter_names(tmp_path):
    """jupyter_server tells the kernel its notebook (JPY_SESSION_NAME): a d2l-en 1.0
    notebook's first import already gets the 1.0 API, and the recorded data serve it."""
    require_data("timemachine.txt")
    import nbformat

    work = tmp_path / "book"
    work.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from d2l import mxnet as d2l"),
        nbformat.v4.new_code_cell("class Mine(d2l.Module):\n    pass")]), str(work / "ch.ipynb"))
    data = Path(os.environ["GLUON_RNN_DATA"])
    assert _install(tmp_path, "--data", str(data)).returncode == 0
    env = _reader_env(tmp_path, JPY_SESSION_NAME="book/ch.ipynb")  # relative, as Lab gives it
    replies = _cells(tmp_path, [
        "from d2l import mxnet as d2l\nprint(d2l.__name__)",
        "%d2l",
        "data = d2l.TimeMachine(batch_size=2, num_steps=10)\nprint(len(data.vocab))",
        "from d2l import torch",
    ], env=env, cwd=work)
    assert replies[:3] == ["d2l103_compat\n",
                           "d2l 1.0.3 (from the code of ch.ipynb); d2lzh 1.0.0; gluonbook 0.7.1\n",
                           "28\n"]
    assert replies[3].startswith("ERROR ImportError: this chapter uses the d2l helper for torch")


def test_the_environments_own_python_kernel_imports_no_oracle():
    """The published helpers live in .venv/oracles, not in site-packages, where the
    environment's default 'Python 3 (ipykernel)' would import the real d2l."""
    done = subprocess.run([sys.executable, "-c", "import d2l"], capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
                          cwd="/", timeout=60)
    assert done.returncode == 1 and "No module named 'd2l'" in done.stderr


@pytest.mark.parametrize("value", ["", "0.9.3"])
def test_the_d2l_magic_refuses_what_it_cannot_bind(tmp_path, value):
    assert _install(tmp_path).returncode == 0
    replies = _cells(tmp_path, [f"%d2l {value}"])
    expected = f"%d2l: choose one of 0.9.2, 0.8.7, 0.11.1, 0.12.0, 0.17.6, 1.0.3, got '{value}'\n" if value \
        else "d2l - (none yet: no cell imported d2l); d2lzh 1.0.0; gluonbook 0.7.1\n"
    assert replies == [expected]


@pytest.mark.parametrize("kind", [".py", ".md", ".ipynb"])
def test_chapter_without_data_says_so_in_short(tmp_path, kind):
    """A chapter that loads the Time Machine where it is nowhere: the resolver's one line
    (a notebook adds the cell it ran), no urllib or socket frames."""
    import nbformat

    code = ["import d2l", "corpus_indices, vocab = d2l.load_data_time_machine()"]
    chapter = tmp_path / "book" / f"ch{kind}"
    chapter.parent.mkdir()
    if kind == ".py":
        chapter.write_text("\n".join(code) + "\n")
    elif kind == ".md":
        chapter.write_text("# Ch\n\n```{.python .input}\n" + "\n".join(code) + "\n```\n")
    else:
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in code]),
                       str(chapter))
    done = subprocess.run([str(GLUON_RNN), "chapter", str(chapter)], capture_output=True,
                          text=True, env=_reader_env(tmp_path), cwd=chapter.parent, timeout=300)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    missing = [line for line in lines if "timemachine.txt not found (looked in data, ../data" in line]
    assert len(missing) == 1 and "Traceback" not in done.stderr and "urllib" not in done.stderr
    assert "gluon-rnn data --fetch timemachine.txt" in missing[0]
    if kind == ".ipynb":
        assert done.returncode == 1 and missing[0].startswith("MissingDataError: ")
        assert len(lines) <= 6  # the executed notebook's name, the cell, the error
    else:
        assert done.returncode == 2 and lines == missing


def test_the_kernel_serves_the_2020_books_api_with_the_recorded_data(tmp_path):
    """d2l-en 0.17 / d2l-zh 2.0 code in the installed kernel (no notebook named: the cells
    decide), its data from the folder `kernel install` recorded."""
    require_data("timemachine.txt")
    assert _install(tmp_path, "--data", os.environ["GLUON_RNN_DATA"]).returncode == 0
    replies = _cells(tmp_path, [
        "from d2l import mxnet as d2l\nfrom mxnet import npx\nnpx.set_np()\nprint(d2l.__name__)",
        "train_iter, vocab = d2l.load_data_time_machine(32, 35)\nprint(len(vocab), vocab.idx_to_token[:3])",
        "%d2l",
    ])
    assert replies == ["d2l0176_compat\n", "28 ['<unk>', ' ', 'e']\n",
                       "d2l 0.17.6 (from the cells run so far); d2lzh 1.0.0; gluonbook 0.7.1\n"]


def test_installing_over_another_checkouts_kernel_says_so(tmp_path):
    """One kernel name serves every checkout: a second checkout's install replaces the
    first's, and says so (the same checkout's reinstall says nothing)."""
    kernels = tmp_path / "jupyter" / "kernels" / "gluon-rnn-d2l"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps(
        {"argv": ["/elsewhere/.venv/bin/python", "-c", "pass"], "display_name": "theirs"}))
    first = _install(tmp_path)
    assert first.returncode == 0, first.stderr
    assert "replaces the kernel of another environment (/elsewhere/.venv/bin/python)" in \
        first.stdout
    again = _install(tmp_path)
    assert again.returncode == 0 and "replaces the kernel" not in again.stdout


def test_default_makes_jupyter_start_it_unasked_keeping_other_settings(tmp_path):
    """`--default` (make jupyter): the environment's server names the kernel as its
    default, keeping the settings already in its file, and JupyterLab starts the preferred
    kernel without asking (tests/test_jupyterlab.py: the same in a real JupyterLab)."""
    prefix = tmp_path / "env"
    server = prefix / "etc" / "jupyter" / "jupyter_server_config.json"
    server.parent.mkdir(parents=True)
    server.write_text('{"ServerApp": {"open_browser": false}}')
    done = _install(tmp_path, "--prefix", str(prefix), "--default")
    assert done.returncode == 0, done.stderr
    assert f"the Jupyter of {prefix} starts it for a notebook that names no kernel" in done.stdout
    assert json.loads(server.read_text()) == {
        "ServerApp": {"open_browser": False, "kernel_spec_manager_class":
                      "gluon_rnn.books.kernelspecs.BooksKernelSpecManager"},
        "MultiKernelManager": {"default_kernel_name": "gluon-rnn-d2l"}}
    from gluon_rnn.books.kernelspecs import BooksKernelSpecManager  # what the server imports

    kernels = BooksKernelSpecManager(kernel_dirs=[str(prefix / "share" / "jupyter" / "kernels")])
    assert sorted(kernels.find_kernel_specs()) == ["gluon-rnn-d2l"]  # the stock python3 left out
    lab = prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.d" / "gluon-rnn.json"
    assert json.loads(lab.read_text()) == {
        "@jupyterlab/notebook-extension:tracker": {"autoStartDefaultKernel": True}}
    # a settings file that is not Jupyter's JSON is named, not overwritten
    server.write_text("c.ServerApp.open_browser = False\n")
    done = _install(tmp_path, "--prefix", str(prefix), "--default")
    assert done.returncode == 2 and server.read_text() == "c.ServerApp.open_browser = False\n"
    assert f"{server} is not a Jupyter settings file gluon-rnn can read" in done.stderr
    # without --default the reader is told how to choose, and nothing of Jupyter's changes
    other = tmp_path / "other"
    done = _install(tmp_path, "--prefix", str(other))
    assert "install it with --default" in done.stdout
    assert not (other / "etc").exists() and not (other / "share" / "jupyter" / "lab").exists()


def test_the_kernel_traces_a_cells_own_forward_from_a_later_cell(tmp_path):
    """A function a cell defines is decorated (gluon_rnn.books.forwards) and, called under
    ``autograd.record()`` in a later cell, runs as one kept graph with its own gradient."""
    assert _install(tmp_path).returncode == 0
    replies = _cells(tmp_path, [
        "from mxnet import autograd, nd\ndef forward(X, w):\n    return nd.dot(X, w)",
        "w = nd.ones((2, 3))\nw.attach_grad()\nfor _ in range(3):\n"
        "    with autograd.record():\n        l = forward(nd.ones((4, 2)), w).sum()\n"
        "    l.backward()\n"
        "print(forward.__name__, list(forward.traced.graphs.values())[0] is not None, "
        "w.grad.sum().asscalar())",
    ])
    assert replies == ["", "forward True 24.0\n"]
