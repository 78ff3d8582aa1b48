"""Book pages (d2lbook .md) and notebooks (.ipynb, through a real Jupyter kernel) of
each helper generation, unmodified, through `gluon-rnn chapter`; the kernelspecs of
`gluon-rnn kernel install`; which facade a chapter gets; the books' ../data pages."""
from __future__ import annotations

import random
import re
import shutil
import sys

import mxnet as mx
import pytest

from conftest import FIXTURES
from gluon_rnn.books.generations import UnsupportedGeneration, generation_of
from gluon_rnn.books.pages import page_cells
from gluon_rnn.cli import main

PAGES = FIXTURES / "pages"
TIME = re.compile(r", time [0-9.]+ sec$")


@pytest.mark.parametrize("source, requested, expected", [
    ("import d2l\ncorpus_indices, vocab = d2l.load_data_time_machine()", None, "0.9.2"),
    ("import d2l\n(a, b, c, d) = d2l.load_data_time_machine()", None, "0.8.7"),
    ("import d2l\na, b, c, d = d2l.load_data_jay_lyrics()", None, "0.8.7"),
    ("import d2l\nx = d2l.load_data_timemachine()", None, "0.8.7"),
    ("%matplotlib inline\nimport d2l\n" + "d2l.train_and_predict_rnn(" + "1, " * 18 + ")",
     None, "0.8.7"),
    ("import d2l\nd2l.train_and_predict_rnn(" + "1, " * 14 + ")", None, "0.9.2"),
    ("import d2l\ncorpus_indices, vocab = d2l.load_data_time_machine()", "0.8.7", "0.8.7"),
    ("import d2lzh as d2l\nprint(1)", None, "0.9.2"),  # d2lzh is bound whatever d2l is
])
def test_the_generation_a_chapter_needs(source, requested, expected):
    assert generation_of(source, requested) == expected


@pytest.mark.parametrize("line, framework", [("from d2l import torch as d2l", "torch"),
                                             ("from d2l import tensorflow as d2l", "tensorflow"),
                                             ("import d2l.jax", "jax")])
def test_another_frameworks_tab_gets_one_line(tmp_path, capsys, line, framework):
    with pytest.raises(UnsupportedGeneration, match=f"helper for {framework}"):
        generation_of(line + "\n")
    script = tmp_path / "new.py"
    script.write_text(line + "\nprint(d2l.tensor)\n")
    assert main(["chapter", str(script)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "serves the MXNet version" in err[0] and "Traceback" not in err[0]


@pytest.mark.parametrize("source, requested, expected", [
    ("from d2l import mxnet as d2l\ntrain_iter, vocab = d2l.load_data_time_machine(32, 35)",
     None, "0.17.6"),
    ("import d2l.mxnet as d2l\nd2l.train_ch8(net, it, vocab, 1, 5, d2l.try_gpu())", None, "0.17.6"),
    ("from d2l import mxnet as d2l\ndata = d2l.TimeMachine(batch_size=1024, num_steps=32)",
     None, "1.0.3"),
    ("from d2l import mxnet as d2l\n@d2l.add_to_class(RNNScratch)\ndef f(self): pass",
     None, "1.0.3"),
    ("%%tab mxnet\nfrom d2l import mxnet as d2l\n", None, "1.0.3"),
    ("from d2l import mxnet as d2l\n", "1.0.3", "1.0.3"),
])
def test_the_2020_books_generation(source, requested, expected):
    assert generation_of(source, requested) == expected


def test_a_generation_that_does_not_fit_the_code_is_refused():
    with pytest.raises(ValueError, match="--d2l 0.9.2 does not fit this chapter.*0.17.6, 1.0.3"):
        generation_of("from d2l import mxnet as d2l\n", "0.9.2")
    with pytest.raises(ValueError, match="--d2l 1.0.3 does not fit this chapter.*0.9.2, 0.8.7"):
        generation_of("import d2l\n", "1.0.3")


def test_from_d2l_import_mxnet_binds_the_new_facades(tmp_path, capsys):
    script = tmp_path / "which.py"
    script.write_text("from d2l import mxnet as d2l\nimport d2l.mxnet as again\n"
                      "print(d2l.__name__, d2l.__version__, again is d2l)\n")
    assert main(["chapter", str(script)]) == 0
    assert capsys.readouterr().out.split() == ["d2l0176_compat", "0.17.6", "True"]
    assert main(["chapter", "--d2l", "1.0.3", str(script)]) == 0
    assert capsys.readouterr().out.split() == ["d2l103_compat", "1.0.3", "True"]
    assert "d2l.mxnet" not in sys.modules


def test_a_page_runs_the_mxnet_tab_only(tmp_path, capsys):
    """d2lbook's tabs: 0.17's `#@tab` comments and 1.0's `%%tab` magics select the cells
    that run, the tab chooser cell is left out, `tab.selected` answers for MXNet."""
    page = tmp_path / "tabs.md"
    page.write_text("```{.python .input}\n%load_ext d2lbook.tab\ntab.interact_select('mxnet', "
                    "'pytorch')\n```\n\n```{.python .input}\n%%tab pytorch\nimport torch\n```\n\n"
                    "```{.python .input}\n%%tab mxnet, pytorch\nprint('mxnet and pytorch')\n```\n\n"
                    "```{.python .input}\n#@tab tensorflow\nimport tensorflow\n```\n\n"
                    "```{.python .input}\n#@tab all\nprint(tab.selected('mxnet'), "
                    "tab.selected('jax'))\n```\n\n```{.python .input}\n%%tab all\n1 / 0\n```\n")
    assert main(["chapter", str(page)]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == ["mxnet and pytorch", "True False"]
    line = page.read_text().splitlines().index("1 / 0") + 1
    assert f'File "{page}", line {line}' in captured.err and "ZeroDivisionError" in captured.err


def test_a_script_is_bound_to_the_facade_its_code_needs(tmp_path, capsys):
    script = tmp_path / "which.py"
    script.write_text("import d2l, d2lzh\nprint(d2l.__name__, d2lzh.__name__)\n"
                      "if False:\n    (a, b, c, d) = d2l.load_data_time_machine()\n")
    assert main(["chapter", str(script)]) == 0
    assert capsys.readouterr().out.split() == ["d2l087_compat", "d2lzh_compat"]
    assert main(["chapter", "--d2l", "0.9.2", str(script)]) == 0
    assert capsys.readouterr().out.split() == ["d2l_compat", "d2lzh_compat"]
    assert "d2l" not in sys.modules or "compat" not in sys.modules["d2l"].__name__


def test_page_cells_in_order_with_their_lines():
    text = (PAGES / "d2lzh_gru.md").read_text(encoding="utf-8")
    cells = page_cells(text)
    assert len(cells) == 3
    lines = text.splitlines()
    for first, code in cells:
        assert lines[first - 1] == code.splitlines()[0]
        assert lines[first - 2].startswith("```{.python .input")


def _oracle_page_lines(page, oracle_name, oracle, monkeypatch, capsys):
    """The page's cells run with the published helper bound (our runner, their helper)."""
    from gluon_rnn.books.figures import FigureSink
    from gluon_rnn.books.pages import run_page

    capsys.readouterr()
    random.seed(0)
    mx.random.seed(0)
    with monkeypatch.context() as patch:
        patch.setitem(sys.modules, oracle_name, oracle)
        run_page(page, page_cells(page.read_text(encoding="utf-8")), FigureSink(None, page.stem))
    return [TIME.sub("", line) for line in capsys.readouterr().out.splitlines()]


def test_a_d2lzh_page_runs_and_prints_what_the_real_helper_prints(book, monkeypatch, capsys):
    from conftest import load_oracle

    page = book / "gru.md"
    shutil.copy(PAGES / "d2lzh_gru.md", page)
    random.seed(0)
    mx.random.seed(0)
    assert main(["chapter", str(page)]) == 0
    ours = [TIME.sub("", line) for line in capsys.readouterr().out.splitlines()]
    assert ours[0] == "(1027, cpu(0))"  # the second cell's last expression, shown
    assert [line.split(",")[0] for line in ours[1:] if line.startswith("epoch")] == \
        ["epoch 1", "epoch 2"]
    assert sum(line.startswith((" - 分开", " - 不分开")) for line in ours) == 4
    oracle = load_oracle("d2lzh", "1.0.0")
    assert ours == _oracle_page_lines(page, "d2lzh", oracle, monkeypatch, capsys)


@pytest.mark.parametrize("page, first", [("d2l087_rnn.md", "43"), ("d2l092_rnn.md", "44")])
def test_english_pages_of_both_generations_run(book, capsys, page, first):
    shutil.copy(PAGES / page, book / page)
    assert main(["chapter", str(book / page)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == first  # vocab_size / len(vocab), shown as Jupyter shows it
    assert any(line.startswith(" - traveller") for line in out)
    assert not out[-1].startswith("[")  # a training call ending a cell shows nothing, as d2l's


def test_a_failing_page_shows_its_own_traceback_at_the_page_line(book, capsys):
    page = book / "broken.md"
    page.write_text("# Broken\n\n```{.python .input}\nx = 1\n```\n\ntext\n\n"
                    "```{.python .input}\ny = 2\nz = x / 0\n```\n")
    assert main(["chapter", str(page)]) == 1
    err = capsys.readouterr().err
    assert f'File "{page}", line 11' in err and "z = x / 0" in err
    assert "ZeroDivisionError" in err and "gluon_rnn" not in err


@pytest.mark.requires_data('timemachine.txt')
def test_a_page_that_opens_missing_book_data_gets_one_line(tmp_path, monkeypatch, capsys):
    (tmp_path / "chapter").mkdir()
    monkeypatch.chdir(tmp_path / "chapter")
    page = tmp_path / "chapter" / "lyrics.md"
    page.write_text("```{.python .input}\nimport zipfile\n"
                    "with zipfile.ZipFile('../data/jaychou_lyrics.txt.zip') as zin:\n"
                    "    print(zin.namelist())\n```\n")
    assert main(["chapter", str(page)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "../data/jaychou_lyrics.txt.zip" in err[0]
    # the folder named in full: the command works from wherever it is run (the checkout)
    assert err[0].endswith(f"gluon-rnn data --into {tmp_path / 'data'}")
    monkeypatch.chdir(tmp_path.parent)
    assert main(["data", "--into", str(tmp_path / "data")]) == 0  # the command it names
    capsys.readouterr()
    monkeypatch.chdir(tmp_path / "chapter")
    assert main(["chapter", str(page)]) == 0
    assert capsys.readouterr().out.strip() == "['jaychou_lyrics.txt']"


def _notebook_of(page, target):
    """A notebook built from a book page: prose as markdown cells, code as code cells."""
    import nbformat

    text = page.read_text(encoding="utf-8")
    cells, last = [], 0
    for first, code in page_cells(text):
        start = text.rfind("```{", 0, sum(len(l) + 1 for l in text.splitlines()[:first - 1]))
        prose = text[last:start].strip()
        if prose:
            cells.append(nbformat.v4.new_markdown_cell(prose))
        cells.append(nbformat.v4.new_code_cell(code.rstrip("\n")))
        last = text.find("```\n", start + 4 + len(code)) + 4
    nbformat.write(nbformat.v4.new_notebook(cells=cells), str(target))
    return target


@pytest.mark.parametrize("page, shown", [("d2lzh_gru.md", "(1027, cpu(0))"),
                                         ("d2l087_rnn.md", "43"), ("d2l092_rnn.md", "44")])
def test_a_notebook_runs_in_a_kernel_and_is_written_back_executed(book, capfd, page, shown):
    import nbformat

    notebook = _notebook_of(PAGES / page, book / page.replace(".md", ".ipynb"))
    assert main(["chapter", str(notebook)]) == 0
    out, err = capfd.readouterr()  # the kernel's own output too (a child process)
    assert "WARNING" not in err, err  # no TCP warning (IPC sockets), no shutdown chatter
    assert shown in out.splitlines() and "epoch 1, perplexity" in out
    executed = nbformat.read(str(book / page.replace(".md", ".executed.ipynb")), as_version=4)
    assert executed.metadata["kernelspec"] == {  # Jupyter reopens it in the same kernel
        "name": "gluon-rnn-d2l", "display_name": "Python 3 (gluon-rnn: d2l books)",
        "language": "python"}
    code = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code)
    texts = [o.get("text", "") + o.get("data", {}).get("text/plain", "")
             for cell in code for o in cell.outputs]
    assert shown in texts and any("epoch 2, perplexity" in t for t in texts)
    assert [o.output_type for o in code[-1].outputs] == ["stream"] * len(code[-1].outputs)


def test_a_notebook_keeps_its_figures(book, capsys):
    """A plot through the facade's d2l.plt lands in the executed notebook as an image."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import d2lzh as d2l\nd2l.set_figsize((3, 2))\nd2l.plt.plot([1, 3, 2])\nd2l.plt.show()")])
    path = book / "plot.ipynb"
    nbformat.write(nb, str(path))
    assert main(["chapter", str(path)]) == 0
    assert "[figure: <Figure size 300x200 with 1 Axes>]" in capsys.readouterr().out
    executed = nbformat.read(str(book / "plot.executed.ipynb"), as_version=4)
    kinds = [kind for o in executed.cells[0].outputs for kind in o.get("data", {})]
    assert "image/svg+xml" in kinds  # set_figsize asks for SVG, as the books' helpers do


def test_a_failing_notebook_cell_shows_where_and_keeps_what_ran(book, capsys):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import d2lzh\nprint('ok')"),
                                         nbformat.v4.new_code_cell("a = 1\nb = a / 0")])
    path = book / "bad.ipynb"
    nbformat.write(nb, str(path))
    out = book / "out.ipynb"
    assert main(["chapter", "--output", str(out), str(path)]) == 1  # options before CHAPTER
    captured = capsys.readouterr()
    assert "ZeroDivisionError" in captured.err and "line 2" in captured.err
    executed = nbformat.read(str(out), as_version=4)
    assert executed.cells[0].outputs[0]["text"] == "ok\n"


def test_a_page_runs_in_ipython_as_its_notebook_would(tmp_path, capsys):
    """Magics work as in Jupyter (the page runs in IPython's own shell): a %time line
    times the statement and runs it, %matplotlib inline is accepted, a trailing `;` hides
    a cell's value, `_` is the last one shown."""
    page = tmp_path / "magic.md"
    page.write_text("# Magic\n\n```{.python .input}\n%matplotlib inline\n"
                    "%time total = sum(range(10))\ntotal\n```\n\n"
                    "```{.python .input}\ntotal * 2;\n```\n\n"
                    "```{.python .input}\n_ + 1\n```\n")
    assert main(["chapter", str(page)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("CPU times:") and out[1].startswith("Wall time:")
    assert out[2:] == ["45", "46"]


def test_options_that_do_not_fit_the_chapter_are_refused(tmp_path, capsys):
    script, page = tmp_path / "s.py", tmp_path / "p.md"
    script.write_text("print('ran')\n")
    page.write_text("```{.python .input}\nprint('ran')\n```\n")
    cases = [(["--output", str(tmp_path / "o.ipynb"), str(script)], "--output is where an executed"),
             ([str(page), "--epochs", "3"], "arguments after the chapter (--epochs 3)"),
             (["--figures", str(tmp_path), str(tmp_path / "n.ipynb")], "--figures is for scripts and pages"),
             ([str(tmp_path / "notes.txt")], "not a chapter gluon-rnn can run")]
    (tmp_path / "n.ipynb").write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    (tmp_path / "notes.txt").write_text("text")
    for argv, message in cases:
        assert main(["chapter", *argv]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "ran" not in err
        assert message in err, err


def test_figures_of_a_page_are_written_or_counted(tmp_path, capsys):
    page = tmp_path / "plots.md"
    page.write_text("```{.python .input}\nfrom matplotlib import pyplot as plt\n"
                    "plt.plot([1, 2, 3])\nfig = plt.figure()\nplt.plot([3, 2, 1]);\n```\n")
    assert main(["chapter", str(page)]) == 0
    assert capsys.readouterr().err.strip() == (
        "2 figure(s) drawn, not shown outside Jupyter: pass --figures DIR to write them as PNG "
        "files")
    assert main(["chapter", "--figures", str(tmp_path / "figs"), str(page)]) == 0
    assert sorted(p.name for p in (tmp_path / "figs").iterdir()) == ["plots-1.png", "plots-2.png"]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in (tmp_path / "figs").iterdir())


@pytest.mark.parametrize("kind", ["page", "script"])
def test_a_syntax_error_points_at_the_chapters_own_line(tmp_path, capsys, kind):
    """As Python shows a script's syntax error: the file, the line (the page's, not the
    cell's), the text of that line and the caret; none of the runner's frames."""
    if kind == "page":
        path = tmp_path / "syntax.md"
        path.write_text("# A page\n\n```{.python .input}\nx = 1\n```\n\ntext\n\n"
                        "```{.python .input}\ny = (2\n```\n")
        line = 10
    else:
        path = tmp_path / "syntax.py"
        path.write_text("x = 1\ny = (2\n")
        line = 2
    assert main(["chapter", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f'  File "{path}", line {line}' and err[1].strip() == "y = (2"
    # the wording is Python's and changes with its version ("'(' was never closed",
    # IPython's interactive "incomplete input", 3.9's "unexpected EOF while parsing"); the
    # type is SyntaxError (3.13's private _IncompleteInputError is shown as one)
    assert err[-1].startswith("SyntaxError: "), err
    assert not any("gluon_rnn" in line or "runpy" in line for line in err), err
