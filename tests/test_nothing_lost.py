"""Nothing lost (issue 33, class 1): a replaced run is replaced only once the new one has
a checkpoint to put in its place; every file the project writes goes through its one
atomic writer (an earlier file survives a failed write, the error names the file); a
killed download's temporaries go with the next fetch; a refused start leaves nothing."""
from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time

import nbformat
import pytest

from gluon_rnn.cli import main


def _corpus(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("the cat sat on the mat. the dog sat on the log. " * 40)
    return str(path)


def _train(tmp_path, out, *extra):
    return ["train", "--corpus", _corpus(tmp_path), "--num-hiddens", "8", "--num-steps", "5",
            "--batch-size", "4", "--no-progress", "--out", str(out), *extra]


def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize("why, extra, said", [
    ("a prefix outside the vocabulary", ["--prefix", "\U0001F600"], "not in the model's vocab"),
    ("a run that diverges", ["--lr", "1e4"], "training diverged"),
])
def test_a_refused_overwrite_keeps_the_earlier_run(tmp_path, capsys, why, extra, said):
    """The earlier run's checkpoint, metrics and config.json are byte for byte what they
    were, and --resume still continues it (under its own configuration)."""
    out = tmp_path / "run"
    assert main(_train(tmp_path, out, "--num-epochs", "1")) == 0
    before = _files(out)
    assert set(before) == {"checkpoint.npz", "config.json", "metrics.csv", "metrics.json"}
    capsys.readouterr()
    assert main(_train(tmp_path, out, "--num-epochs", "1", "--overwrite", *extra)) == 2, why
    err = capsys.readouterr().err
    assert said in err and err.count("\n") == 1, err
    assert _files(out) == before
    assert main(_train(tmp_path, out, "--resume", "--num-epochs", "2")) == 0
    assert json.loads((out / "config.json").read_text())["num_epochs"] == 2


def test_a_replacing_run_replaces_everything_at_its_first_checkpoint(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(_train(tmp_path, out, "--num-epochs", "2")) == 0
    assert main(_train(tmp_path, out, "--num-epochs", "1", "--overwrite", "--seed", "7")) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["num_epochs"] == 1 and config["seed"] == 7
    assert len(json.loads((out / "metrics.json").read_text())) == 1  # the new run's epoch only
    assert not [p for p in out.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"]


def test_a_refused_start_leaves_nothing_in_a_folder_it_created(tmp_path, capsys):
    out = tmp_path / "new" / "run"
    assert main(_train(tmp_path, out, "--num-epochs", "1", "--prefix", "\U0001F600")) == 2
    assert not (tmp_path / "new").exists()


def test_a_resumed_run_rewrites_its_config(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(_train(tmp_path, out, "--num-epochs", "1")) == 0
    assert main(_train(tmp_path, out, "--resume", "--num-epochs", "3")) == 0
    assert json.loads((out / "config.json").read_text())["num_epochs"] == 3


def _notebook(path):
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")]),
                   str(path))
    return path


def test_an_executed_notebook_goes_into_a_folder_that_does_not_exist_yet(tmp_path, capsys):
    notebook = _notebook(tmp_path / "nb.ipynb")
    target = tmp_path / "newdir" / "out.ipynb"
    assert main(["chapter", "--output", str(target), str(notebook)]) == 0
    assert nbformat.read(str(target), as_version=4).cells[0].outputs[0]["text"] == "42\n"


def _full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_failed_write_of_the_executed_notebook_keeps_the_earlier_one(tmp_path, capsys,
                                                                       monkeypatch):
    notebook = _notebook(tmp_path / "nb.ipynb")
    target = tmp_path / "out.ipynb"
    assert main(["chapter", "--output", str(target), str(notebook)]) == 0
    before = target.read_bytes()
    monkeypatch.setattr(nbformat, "write", _full_disk)
    capsys.readouterr()
    assert main(["chapter", "--output", str(target), str(notebook)]) == 2
    err = capsys.readouterr().err
    assert str(target) in err and "No space left on device" in err, err
    assert err.strip().splitlines()[-1].startswith("gluon-rnn: error:"), err
    assert target.read_bytes() == before
    assert not list(tmp_path.glob("*.tmp"))


def test_a_kernel_install_that_fails_leaves_no_broken_kernelspec(tmp_path, capsys, monkeypatch):
    import shutil

    real_copy = shutil.copy2

    def copy_then_fail(src, dst, *args, **kwargs):  # the disk fills during the copy
        open(dst, "w").close()
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    monkeypatch.setattr(shutil, "copy2", copy_then_fail)
    monkeypatch.setattr(shutil, "copyfile", copy_then_fail)
    assert main(["kernel", "install", "--prefix", str(tmp_path / "env")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No space left on device" in err and "[(" not in err, err
    assert not list((tmp_path / "env").rglob("kernel.json"))
    monkeypatch.setattr(shutil, "copy2", real_copy)


def test_a_killed_downloads_temporary_goes_with_the_next_fetch(tmp_path):
    import http.server
    import threading

    from gluon_rnn.data.resolve import download_file

    body = b"the time machine\n" * 100
    handler = type("H", (http.server.BaseHTTPRequestHandler,), {
        "do_GET": lambda self: (self.send_response(200),
                                self.send_header("Content-Length", str(len(body))),
                                self.end_headers(), self.wfile.write(body)),
        "log_message": lambda self, *a: None})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        dest = tmp_path / "tm.txt"
        killed = tmp_path / "tm.txt.x1y2z3.tmp"  # what a download killed seconds ago left
        killed.write_bytes(body[:50])
        os.utime(killed, (time.time() - 5, time.time() - 5))
        running = tmp_path / "tm.txt.a1b2c3.tmp"  # another process's download, still running
        running.write_bytes(body[:10])
        os.utime(running, (time.time() - 5, time.time() - 5))
        holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(running)],
                                  stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline() == "holding\n"
        download_file(f"http://127.0.0.1:{server.server_port}/tm.txt", dest, progress=False)
        assert dest.read_bytes() == body and not killed.exists() and running.exists()
        holder.kill()
        holder.wait()
        download_file(f"http://127.0.0.1:{server.server_port}/tm.txt", dest, progress=False)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["tm.txt"]  # its writer is gone
    finally:
        server.shutdown()


HOLDER = """
import fcntl, sys, time
handle = open(sys.argv[1], "ab")
fcntl.flock(handle, fcntl.LOCK_EX)
print("holding", flush=True)
time.sleep(60)
"""
