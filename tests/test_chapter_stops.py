"""A reader's chapter stopped as Python would stop it (issue 33, class 2): Ctrl-C or
SIGTERM in a cell of a page stops the page (130 or 143, one line, no later cell runs);
SIGTERM is no KeyboardInterrupt to a reader's script; exit() ends a page as it ends a
script; an error raised before the chapter's code ran, or a BaseException of the reader's,
is shown as Python shows it, without the runner's frames."""
from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from gluon_rnn.cli import main

WAIT = "import time\nprint('waiting', flush=True)\nwhile True:\n    time.sleep(0.05)\n"


def _page(path, *cells):
    path.write_text("".join(f"```{{.python .input}}\n{cell}\n```\n\n" for cell in cells))
    return path


def _stopped(path, how):
    proc = subprocess.Popen([sys.executable, "-m", "gluon_rnn", "chapter", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "waiting\n"  # the cell is running
    proc.send_signal(how)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


@pytest.mark.parametrize("how, status, said", [(signal.SIGINT, 130, "interrupted"),
                                               (signal.SIGTERM, 143, "terminated (SIGTERM)")])
def test_a_page_stops_in_its_cell_as_a_script_does(tmp_path, how, status, said):
    page = _page(tmp_path / "page.md", WAIT, "print('a later cell ran')")
    code, out, err = _stopped(page, how)
    assert code == status, err
    assert err.strip().splitlines() == [f"gluon-rnn: {said}"], err
    assert "later cell" not in out


def test_sigterm_is_no_keyboard_interrupt_to_a_readers_script(tmp_path):
    """Under `python script.py` SIGTERM ends the script whatever it catches; the runner
    keeps that: the reader's except KeyboardInterrupt does not run, the status is 143."""
    script = tmp_path / "script.py"
    script.write_text("try:\n" + "".join("    " + line + "\n" for line in WAIT.splitlines())
                      + "except KeyboardInterrupt:\n    print('caught as Ctrl-C')\n"
                      "print('went on')\n")
    code, out, err = _stopped(script, signal.SIGTERM)
    assert code == 143 and "caught" not in out and "went on" not in out, (out, err)
    assert err.strip().splitlines() == ["gluon-rnn: terminated (SIGTERM)"], err
    code, out, err = _stopped(script, signal.SIGINT)  # Ctrl-C is the reader's to catch
    assert code == 0 and out.splitlines()[-2:] == ["caught as Ctrl-C", "went on"], (out, err)


@pytest.mark.parametrize("ending", ["exit()", "quit()", "exit(3)", "import sys\nsys.exit(3)"])
def test_exit_in_a_page_ends_it_as_in_a_script(tmp_path, capsys, ending):
    page = _page(tmp_path / "page.md", f"print('before')\n{ending}", "print('after')")
    status = 3 if "3" in ending else 0
    assert main(["chapter", str(page)]) == status
    captured = capsys.readouterr()
    assert captured.out == "before\n" and "Traceback" not in captured.err, captured


@pytest.mark.parametrize("source, shown", [
    (b"print(1)\x00\n", "null bytes"),
    (b"class Mine(BaseException):\n    pass\nraise Mine('mine')\n", "Mine: mine"),
])
def test_errors_of_the_readers_own_are_shown_without_the_runners_frames(tmp_path, capsys,
                                                                          source, shown):
    script = tmp_path / "script.py"
    script.write_bytes(source)
    assert main(["chapter", str(script)]) == 1
    err = capsys.readouterr().err
    assert shown in err.strip().splitlines()[-1], err
    assert "gluon_rnn" not in err and "runpy" not in err, err


@pytest.mark.parametrize("ending, status", [("sys.exit(3)", 3), ("sys.exit()", 0),
                                            ("sys.exit('a message')", 1)])
def test_sys_exit_in_a_notebook_cell_is_the_runs_status(tmp_path, capsys, ending, status):
    import nbformat

    notebook = tmp_path / "nb.ipynb"
    cells = ["print('before')", f"import sys\n{ending}", "print('after')"]
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]),
                   str(notebook))
    assert main(["chapter", str(notebook)]) == status
    captured = capsys.readouterr()
    assert captured.out == "before\n" and "Traceback" not in captured.err, captured
    assert ("a message" in captured.err) == (status == 1)


def test_a_notebook_runs_beside_a_readers_zmq_py_and_gluon_rnn_folder(tmp_path, capsys):
    """The stock kernel starts in such a folder; ours did not (the folder came first on
    sys.path while the kernel loaded)."""
    import nbformat

    (tmp_path / "zmq.py").write_text("raise ImportError('the reader’s own zmq.py')\n")
    (tmp_path / "gluon_rnn").mkdir()
    (tmp_path / "gluon_rnn" / "__init__.py").write_text("raise ImportError('theirs')\n")
    (tmp_path / "helper.py").write_text("ANSWER = 42\n")  # the notebook's own imports work
    notebook = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import helper\nprint(helper.ANSWER)")]), str(notebook))
    assert main(["chapter", str(notebook)]) == 0, capsys.readouterr().err
    assert capsys.readouterr().out == "42\n"


@pytest.mark.parametrize("tab, shown", [("mxnet", "2\n"), ("pytorch", ""), ("mxnet, pytorch", "2\n")])
def test_a_notebooks_tab_cells_run_as_a_pages_do(tmp_path, capsys, tab, shown):
    import nbformat

    notebook = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("print(1)"), nbformat.v4.new_code_cell(f"%%tab {tab}\nprint(2)")]),
        str(notebook))
    assert main(["chapter", str(notebook)]) == 0, capsys.readouterr().err
    assert capsys.readouterr().out == "1\n" + shown


def test_a_fractional_timeout_is_taken_not_refused_with_a_traceback(tmp_path, capsys):
    import nbformat

    notebook = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(3)")]),
                   str(notebook))
    assert main(["chapter", "--timeout", "2.5", str(notebook)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "3\n" and "Traceback" not in captured.err


def test_a_notebook_4_4_with_cell_ids_runs_as_jupyter_runs_it(tmp_path, capsys):
    """Newer tools write cell ids into notebooks they keep at nbformat 4.4; Jupyter opens
    them, leaving the ids out: so does the runner (it refused them as no notebook)."""
    import json

    import nbformat

    data = json.loads(nbformat.writes(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("print('ran')")])))
    data["nbformat_minor"] = 4
    assert "id" in data["cells"][0]
    notebook = tmp_path / "nb.ipynb"
    notebook.write_text(json.dumps(data))
    assert main(["chapter", str(notebook)]) == 0, capsys.readouterr().err
    assert capsys.readouterr().out == "ran\n"


GPU_CODE = ("import mxnet as mx\nctx = mx.gpu(0)\nx = mx.nd.zeros((2,), ctx=ctx)\n"
            "print(x.context, mx.context.num_gpus(), mx.nd.ones((1,), ctx=mx.Context('gpu', 1))"
            ".context)\n")


@pytest.mark.parametrize("kind", ["script", "notebook"])
def test_gpu_written_code_runs_on_the_cpu_and_says_so_once(tmp_path, capsys, kind):
    """The Straight Dope's notebooks say ctx = mx.gpu(0): without a GPU (this machine's MXNet
    has none) each GPU context is the CPU's of the same number, said once naming the place;
    num_gpus() stays truthful; --ctx gpu keeps them GPU contexts (and MXNet refuses)."""
    import mxnet as mx
    import nbformat

    if mx.context.num_gpus():
        pytest.skip("MXNet sees a GPU here: auto keeps GPU contexts (--ctx cpu maps them)")
    if kind == "script":
        chapter = tmp_path / "gpu.py"
        chapter.write_text(GPU_CODE)
    else:
        chapter = tmp_path / "gpu.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(GPU_CODE)]),
                       str(chapter))
    assert main(["chapter", str(chapter)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "cpu(0) 0 cpu(1)\n"
    said = [line for line in captured.err.splitlines() if "has no GPU here" in line]
    assert len(said) == 1 and "asks for gpu(0)" in said[0], captured.err
    assert (f"{chapter}:2" in said[0]) if kind == "script" else True
    assert main(["chapter", "--ctx", "gpu", str(chapter)]) == 1  # MXNet's own refusal
    assert "not implemented for GPU" in capsys.readouterr().err
    assert mx.gpu(0).device_type == "gpu"  # nothing of the runner's mapping stays behind


def test_mxnet_0_11_reshape_to_a_smaller_size_is_kept_in_a_chapter(tmp_path, capsys):
    """The Straight Dope (MXNet 0.11) reshapes a longer array to a smaller shape: a view of
    its first elements then, a ValueError in 1.9.1; in a chapter, 0.11's view, said once;
    a larger size stays an error; outside a chapter nothing changes."""
    import mxnet as mx

    script = tmp_path / "old.py"
    script.write_text("import mxnet as mx\na = mx.nd.arange(10)\nb = a.reshape((2, 3))\n"
                      "b[0, 0] = 100\nc = a.reshape(2, 2)\n"
                      "print(a[0].asscalar(), b.shape, c.shape)\n"
                      "try:\n    a.reshape((4, 4))\nexcept Exception:\n    print('larger: refused')\n")
    assert main(["chapter", str(script)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "100.0 (2, 3) (2, 2)\nlarger: refused\n"
    assert captured.err.count("as MXNet 0.11 did") == 1
    with pytest.raises(ValueError, match="Cannot reshape"):
        mx.nd.arange(10).reshape((2, 3))  # the library's own code keeps 1.9.1's rule
