"""The Straight Dope's chapter-5 notebooks (zackchase/mxnet-the-straight-dope: simple-rnn,
lstm-scratch, gru-scratch, rnns-gluon; tests/fixtures/straight_dope: their code cells,
epochs, hidden units and samples cut), written for `mx.gpu(0)` and MXNet 0.11, run unmodified through `gluon-rnn
chapter` on this GPU-less machine, in the repository's layout (chapter05_.../ beside
data/nlp/, the text and PTB cut short), and print what the real MXNet 1.9.1 prints for
the same notebook in a stock Jupyter kernel with the context set to the CPU and 0.11's
reshape to a smaller size written out as a slice, under the same seeds (issue 29)."""
from __future__ import annotations

import re
import shutil
import sys

import pytest

from conftest import FIXTURES, require_data
from gluon_rnn.cli import main

# lstm-scratch and gru-scratch share simple-rnn's mechanisms (GPU contexts, the 0.11
# reshape, the layout) and take 15 s each: `make test-slow` runs them
NOTEBOOKS = ["simple-rnn", "rnns-gluon",
             pytest.param("lstm-scratch", marks=pytest.mark.slow),
             pytest.param("gru-scratch", marks=pytest.mark.slow)]
CHAPTER = "chapter05_recurrent-neural-networks"
SEEDS = "import random\nimport numpy\nrandom.seed(0)\nnumpy.random.seed(0)"
# what the oracle's copy says instead: the CPU, and 0.11's view of the first elements
GPU = re.compile(r"mx\.gpu\(\d*\)")
SMALLER = re.compile(r"labels\.reshape\(\((\w+), (\w+), (\w+), (\w+)\)\)")
NUMBER = re.compile(r"-?\d+\.\d+(?:e-?\d+)?")
TIME = re.compile(r"time cost [0-9.]+s")


@pytest.fixture
def repository(tmp_path):
    """The repository's layout: the chapter's folder beside data/nlp/, with the first
    61,500 characters of the text (the notebooks drop its last 38,083, and index an 11th
    batch) and
    the first 200 lines of each PTB file."""
    require_data("timemachine-gutenberg.txt", "ptb.zip")
    from gluon_rnn.data.layout import lay_out
    from gluon_rnn.tutorials.straight_dope.layout import STRAIGHT_DOPE_LAYOUT

    lay_out(tmp_path, STRAIGHT_DOPE_LAYOUT)
    nlp = tmp_path / "data" / "nlp"
    for path in nlp.iterdir():
        text = path.read_text(encoding="utf-8")
        cut = text[:61500] if path.name == "timemachine.txt" else \
            "".join(text.splitlines(True)[:200])
        path.unlink()  # a link into the data folder, perhaps: replaced, never written through
        path.write_text(cut, encoding="utf-8")
    (tmp_path / CHAPTER).mkdir()
    return tmp_path / CHAPTER


def _copy(name: str, folder, oracle: bool):
    """The fixture with a cell of seeds first; the oracle's also on the CPU, 0.11's
    reshape as a slice, and MXNet 1.9.1's numpy aliases put back on Python 3.12+."""
    import nbformat

    notebook = nbformat.read(str(FIXTURES / "straight_dope" / f"{name}.ipynb"), as_version=4)
    first = [SEEDS]
    if oracle and sys.version_info >= (3, 12):
        first.insert(0, "import gluon_rnn.mxnet_compat as c\nc.prepare_mxnet()")
    for cell in notebook.cells:
        if oracle:
            cell.source = SMALLER.sub(
                r"labels.reshape((-1,))[:\1 * \2 * \3 * \4].reshape((\1, \2, \3, \4))",
                GPU.sub("mx.cpu()", cell.source))
    notebook.cells.insert(0, nbformat.v4.new_code_cell("\n".join(first)))
    path = folder / f"{name}{'-oracle' if oracle else ''}.ipynb"
    nbformat.write(notebook, str(path))
    return path


def _outputs(notebook, stream: str = "stdout") -> list:
    """Each code cell's printed text (``stream``) and shown values, times taken out."""
    lines = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") != stream:
                continue
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            lines += [TIME.sub("time cost Ns", line) for line in text.splitlines()]
    return lines


def _same(ours: list, theirs: list) -> None:
    """Equal lines, numbers within 1e-4 (relative): the words must match exactly."""
    assert len(ours) == len(theirs), (ours, theirs)
    for mine, real in zip(ours, theirs):
        assert NUMBER.sub("#", mine) == NUMBER.sub("#", real), (mine, real)
        for a, b in zip(NUMBER.findall(mine), NUMBER.findall(real)):
            assert float(a) == pytest.approx(float(b), rel=1e-4, abs=1e-6), (mine, real)


def _run_oracle(path, monkeypatch) -> object:
    """The notebook in a stock ipykernel (the real MXNet 1.9.1, one OpenMP thread as ours)."""
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    notebook = nbformat.read(str(path), as_version=4)
    NotebookClient(notebook, kernel_name="python3", timeout=600,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return notebook


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_straight_dope_notebooks_print_what_mxnet_1_9_prints(repository, monkeypatch,
                                                                 capsys, name):
    """Both kernels with one hash seed: the notebooks index characters by list(set(text))."""
    import nbformat

    monkeypatch.setenv("PYTHONHASHSEED", "0")
    ours_path = _copy(name, repository, oracle=False)
    assert main(["chapter", str(ours_path)]) == 0, capsys.readouterr().err
    err = capsys.readouterr().err
    ours = nbformat.read(str(ours_path.with_suffix(".executed.ipynb")), as_version=4)
    said = _outputs(ours, "stderr")  # what the notebook shows (the runner echoes it too)
    assert sum("MXNet has no GPU here" in line for line in said) == 1, said
    assert re.search(r"no GPU here: Cell In\[\d+\], line \d+ asks for gpu\(0\), which runs on "
                     r"cpu\(0\)", err), err  # the cell, as IPython's tracebacks name it
    theirs = _run_oracle(_copy(name, repository, oracle=True), monkeypatch)
    lines = _outputs(ours)
    _same(lines, _outputs(theirs))
    assert any(line.startswith(("Epoch 0. Loss: ", "[Epoch 1]")) for line in lines), lines


def test_the_oracle_copy_writes_the_0_11_reshape_out(repository):
    """The differential test's oracle is faithful to 0.11 only if its rewrite happened."""
    text = _copy("simple-rnn", repository, oracle=True).read_text(encoding="utf-8")
    assert "labels.reshape((-1,))[:batch_size * num_batches * seq_length * vocab_size]" in text
    assert "mx.gpu(" not in text and "mx.cpu()" in text
    shutil.rmtree(repository)


def test_straight_dope_and_the_notebook_compute_the_same_step():
    """Where `gluon-rnn straight-dope` and simple-rnn.ipynb compute the same thing they
    agree: the notebook's own softmax, simple_rnn, cross-entropy and SGD (its cells, run
    here) and the tutorial module's give the same outputs, loss, gradients and update for
    the same parameters and batch. (They differ in what README names: character order,
    licence cut, lazy batches.)"""
    import mxnet as mx
    import nbformat
    import numpy as np
    from mxnet import autograd, nd

    from gluon_rnn.tutorials import straight_dope as ours

    notebook = nbformat.read(str(FIXTURES / "straight_dope" / "simple-rnn.ipynb"), as_version=4)
    theirs: dict = {"nd": nd}
    for name in ("softmax", "simple_rnn", "cross_entropy", "average_ce_loss", "SGD"):
        exec(next(c.source for c in notebook.cells if f"def {name}(" in c.source), theirs)
    mx.random.seed(1)
    params = ours.get_params(10, 8, 10)
    copies = [p.copy() for p in params]
    for p in copies:
        p.attach_grad()
    theirs.update(zip(("Wxh", "Whh", "bh", "Why", "by"), copies))
    rng = np.random.RandomState(0)
    inputs = [nd.one_hot(nd.array(rng.randint(0, 10, 4)), 10) for _ in range(5)]
    labels = [nd.one_hot(nd.array(rng.randint(0, 10, 4)), 10) for _ in range(5)]
    state = nd.zeros((4, 8))
    with autograd.record():
        mine, h_mine = ours.simple_rnn(inputs, state, params, temperature=1.0)
        loss_mine = ours.average_ce_loss(mine, labels)
    loss_mine.backward()
    with autograd.record():
        real, h_real = theirs["simple_rnn"](inputs, state, temperature=1.0)
        loss_real = theirs["average_ce_loss"](real, labels)
    loss_real.backward()
    np.testing.assert_allclose(loss_mine.asnumpy(), loss_real.asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(h_mine.asnumpy(), h_real.asnumpy(), rtol=1e-6)
    for a, b in zip(mine, real):
        np.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-6)
    for a, b in zip(params, copies):
        np.testing.assert_allclose(a.grad.asnumpy(), b.grad.asnumpy(), rtol=1e-5, atol=1e-8)
    ours.SGD(params, 0.5)
    theirs["SGD"](copies, 0.5)
    for a, b in zip(params, copies):
        np.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-6, atol=1e-8)
    assert float(loss_mine.asscalar()) > 2  # an untrained model: about log(10)
