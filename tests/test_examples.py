"""The example page and notebook README points to: the same cells, and both run through
the installed `gluon-rnn chapter` with the same numbers, run after run."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from gluon_rnn.books.pages import page_cells

EXAMPLES = ROOT / "examples"
GLUON_RNN = Path(sys.executable).with_name("gluon-rnn")
SPEED = re.compile(r", [0-9.]+ tokens/sec on ")


def test_the_example_notebook_holds_the_pages_cells():
    import nbformat

    page = page_cells((EXAMPLES / "rnn-concise.md").read_text(encoding="utf-8"))
    notebook = nbformat.read(str(EXAMPLES / "rnn-concise.ipynb"), as_version=4)
    nbformat.validate(notebook)
    assert [c.source for c in notebook.cells if c.cell_type == "code"] == \
        [code.rstrip("\n") for _, code in page]
    assert notebook.metadata["kernelspec"]["name"] == "gluon-rnn-d2l"


@pytest.mark.requires_data("timemachine.txt")
@pytest.mark.parametrize("name", ["rnn-concise.md", "rnn-concise.ipynb"])
def test_the_examples_run_and_repeat_their_numbers(tmp_path, name):
    shutil.copy(EXAMPLES / name, tmp_path / name)  # the executed notebook lands beside it
    runs = []
    for _ in range(2):
        done = subprocess.run([str(GLUON_RNN), "chapter", name], capture_output=True,
                              text=True, cwd=tmp_path, timeout=600)
        assert done.returncode == 0, done.stderr
        runs.append([SPEED.sub(", N tokens/sec on ", line) for line in done.stdout.splitlines()
                     if not line.startswith("[figure")])
    assert runs[0] == runs[1]
    assert runs[0][0] == "28"
    ppl = float(re.search(r"^perplexity ([0-9.]+), N tokens/sec on cpu\(0\)$",
                          "\n".join(runs[0]), re.M).group(1))
    assert ppl < 14  # trained: far below the 28 characters an untrained model spreads over
