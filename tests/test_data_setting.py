"""One data setting for every entry point (issue 31, item 5): a folder recorded once with
`gluon-rnn data --use DIR` is where the command line, the books runner and the kernel find
the data files without GLUON_RNN_DATA; `gluon-rnn data` says where each was found from."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import require_data
from gluon_rnn.cli import main


@pytest.fixture
def no_data_env(tmp_path, monkeypatch):
    require_data("timemachine.txt")
    source = os.environ["GLUON_RNN_DATA"].split(os.pathsep)[0]
    monkeypatch.setenv("GLUON_RNN_CONFIG", str(tmp_path / "settings" / "config.json"))
    monkeypatch.delenv("GLUON_RNN_DATA")
    monkeypatch.setenv("GLUON_RNN_OFFLINE", "1")
    monkeypatch.setenv("GLUON_RNN_CACHE", str(tmp_path / "cache"))
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    return source


def test_a_recorded_folder_serves_every_entry_point(no_data_env, tmp_path, capsys):
    import nbformat

    assert main(["data", "--use", no_data_env]) == 0
    said = capsys.readouterr().out
    assert f"recorded {os.path.realpath(no_data_env)} as the data folder" in said
    settings = json.loads((tmp_path / "settings" / "config.json").read_text())
    assert settings == {"data": os.path.realpath(no_data_env)}
    assert main(["data"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert any(row.startswith("timemachine.txt") and row.endswith("(gluon-rnn data --use)")
               for row in rows), rows
    notebook = tmp_path / "work" / "nb.ipynb"  # the kernel, in a process of its own
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import d2l_compat as d2l\ncorpus, vocab = d2l.load_data_time_machine()\n"
        "print(len(vocab))")]), str(notebook))
    assert main(["chapter", str(notebook)]) == 0, capsys.readouterr().err
    assert capsys.readouterr().out == "44\n"
    done = subprocess.run([sys.executable, "-m", "gluon_rnn", "data", "--fetch",
                           "timemachine.txt"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and os.path.realpath(no_data_env) in done.stdout, done.stderr


@pytest.mark.parametrize("content, said", [(b"{not json", "is not gluon-rnn's settings"),
                                           (b"\xff\xfe", "cannot read the gluon-rnn settings")])
def test_damaged_settings_are_one_line_naming_the_file(no_data_env, tmp_path, capsys,
                                                       content, said):
    settings = tmp_path / "settings" / "config.json"
    settings.parent.mkdir()
    settings.write_bytes(content)
    assert main(["data"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and said in err and str(settings) in err, err
    assert main(["data", "--use", no_data_env]) == 0  # recording again repairs it
    assert json.loads(settings.read_text())["data"] == os.path.realpath(no_data_env)


def test_use_refuses_what_is_no_folder(no_data_env, tmp_path, capsys):
    assert main(["data", "--use", str(tmp_path / "nowhere")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert not (tmp_path / "settings").exists()


def test_the_straight_dope_layout_puts_its_files_where_its_notebooks_look(tmp_path, capsys):
    """`data --into DIR --layout straight-dope`: DIR/data/nlp/ holds the Gutenberg Time
    Machine, the PTB splits and tiny-shakespeare; a second time says they are there; a file
    of the user's is kept; a missing data file is one line naming the command that fetches
    it."""
    from gluon_rnn.data.resolve import resolve

    require_data("timemachine-gutenberg.txt", "ptb.zip", "tinyshakespeare.txt")
    repo = tmp_path / "mxnet-the-straight-dope"
    assert main(["data", "--into", str(repo), "--layout", "straight-dope"]) == 0
    nlp = repo / "data" / "nlp"
    assert sorted(p.name for p in nlp.iterdir()) == [
        "ptb.test.txt", "ptb.train.txt", "ptb.valid.txt", "timemachine.txt",
        "tinyshakespeare.txt"]
    assert (nlp / "timemachine.txt").read_bytes() == \
        resolve("timemachine-gutenberg.txt").read_bytes()
    assert (nlp / "ptb.valid.txt").read_text().startswith(" consumers may want")
    capsys.readouterr()
    (nlp / "tinyshakespeare.txt").write_text("my own")
    assert main(["data", "--into", str(repo), "--layout", "straight-dope"]) == 0
    out = capsys.readouterr().out
    assert out.count("(already there)") == 4 and "kept: another file is there" in out
    assert (nlp / "tinyshakespeare.txt").read_text() == "my own"


def test_a_missing_file_of_a_layout_names_the_command_that_fetches_it(no_data_env, tmp_path,
                                                                        capsys, monkeypatch):
    monkeypatch.delenv("GLUON_RNN_DATA", raising=False)
    assert main(["data", "--into", str(tmp_path / "r"), "--layout", "straight-dope"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert len(rows) == 5 and all("gluon-rnn data --fetch" in row for row in rows), rows
