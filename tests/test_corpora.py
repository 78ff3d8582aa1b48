"""The data resolver: search order, errors, and downloads from a loopback server."""
from __future__ import annotations

import hashlib
import http.server
import os
import socket
import threading
from pathlib import Path

import pytest

from gluon_rnn.data.corpora import time_machine_text
from gluon_rnn.data.resolve import (
    DATA_FILES,
    ChecksumError,
    DataFile,
    MissingDataError,
    read_text,
    resolve,
    sha1_of,
)
from gluon_rnn.tutorials.d2l.d2l092 import load_data_time_machine

PAYLOAD = b"the time traveller (for so it will be convenient to speak of him)\n" * 200
PAYLOAD_SHA1 = hashlib.sha1(PAYLOAD).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    hits: list = []

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):
        type(self).hits.append(self.path)
        if self.path == "/error":
            self.send_error(500, "boom")
            return
        body = PAYLOAD if self.path != "/bad" else PAYLOAD[::-1]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.path == "/cut":
            self.wfile.write(body[: len(body) // 3])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)


@pytest.fixture
def server():
    """A loopback HTTP server (127.0.0.1 only) serving /good, /bad, /error and /cut."""
    _Handler.hits = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", _Handler.hits
    httpd.shutdown()
    httpd.server_close()


def _entry(base: str, route: str) -> DataFile:
    return DataFile("sample.txt", f"{base}/{route}", PAYLOAD_SHA1)


def _leftovers(folder: Path):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_registry_checksums_match_the_shared_files():
    if not os.environ.get("GLUON_RNN_DATA"):
        pytest.skip("no GLUON_RNN_DATA: the shared data files are not here to check")
    shared = Path(os.environ["GLUON_RNN_DATA"])
    checked = 0
    for name, entry in DATA_FILES.items():
        if entry.sha1 and (shared / name).is_file():
            assert sha1_of(shared / name) == entry.sha1, name
            checked += 1
    assert checked >= 5


def test_search_order(isolated_data, monkeypatch):
    places = {
        "env": isolated_data / "env",
        "cwd": isolated_data / "chapter" / "work" / "data",
        "parent": isolated_data / "chapter" / "data",
        "cache": isolated_data / "cache",
    }
    for label, folder in places.items():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "timemachine.txt").write_text(label)
    monkeypatch.setenv("GLUON_RNN_DATA", os.pathsep.join([str(isolated_data / "nowhere"),
                                                          str(places["env"])]))
    explicit = isolated_data / "mine.txt"
    explicit.write_text("explicit")
    assert resolve("timemachine.txt", explicit).read_text() == "explicit"
    assert resolve("timemachine.txt", places["parent"]).read_text() == "parent"  # a folder
    for label in ("env", "cwd", "parent", "cache"):
        assert resolve("timemachine.txt", download=False).read_text() == label
        (places[label] / "timemachine.txt").unlink()
    with pytest.raises(FileNotFoundError):
        resolve("timemachine.txt", download=False)


def test_missing_offline_names_every_place_and_the_url(isolated_data, monkeypatch):
    """One line: the file, each folder looked in (the one GLUON_RNN_DATA names said not to
    exist), why nothing was downloaded, and the ways to provide it."""
    env = isolated_data / "env"
    monkeypatch.setenv("GLUON_RNN_DATA", str(env))
    monkeypatch.setenv("GLUON_RNN_OFFLINE", "1")
    with pytest.raises(MissingDataError) as info:
        resolve("timemachine.txt")
    assert str(info.value) == (
        f"timemachine.txt not found (looked in GLUON_RNN_DATA={env}, which does not exist, "
        f"data, ../data, {isolated_data / 'cache'}); downloads are off. Set GLUON_RNN_DATA to "
        "the folder holding it, or put it in ./data or ../data, or fetch it when online "
        "(`gluon-rnn data --fetch timemachine.txt`, or "
        f"{DATA_FILES['timemachine.txt'].url})")
    assert info.value.__cause__ is None and info.value.__suppress_context__ is False
    env.mkdir()  # a folder that exists is named as one, without comment
    with pytest.raises(MissingDataError, match=rf"looked in {env}, data, "):
        resolve("timemachine.txt")


def test_explicit_missing_path_is_an_error_not_a_fallback(tmp_path):
    with pytest.raises(FileNotFoundError, match="does-not-exist"):
        resolve("timemachine.txt", tmp_path / "does-not-exist.txt")


def test_unknown_name():
    with pytest.raises(ValueError, match="unknown data file 'nope.txt'.*timemachine.txt"):
        resolve("nope.txt")


def test_download_good_file_verified_and_cached(isolated_data, server):
    base, hits = server
    path = resolve(_entry(base, "good"), progress=False)
    assert path == isolated_data / "cache" / "sample.txt"
    assert path.read_bytes() == PAYLOAD
    assert _leftovers(isolated_data / "cache") == ["sample.txt"]
    assert resolve(_entry(base, "good"), progress=False) == path
    assert hits == ["/good"]  # the second call found the cached copy


def test_offline_switch_never_downloads(isolated_data, server, monkeypatch):
    base, hits = server
    monkeypatch.setenv("GLUON_RNN_OFFLINE", "1")
    with pytest.raises(FileNotFoundError, match="downloads are off"):
        resolve(_entry(base, "good"))
    assert hits == []


def test_download_bad_checksum_deletes_the_file(isolated_data, server):
    base, _ = server
    with pytest.raises(ChecksumError, match=PAYLOAD_SHA1):
        resolve(_entry(base, "bad"), progress=False)
    assert _leftovers(isolated_data / "cache") == []


def test_download_server_error(isolated_data, server):
    base, _ = server
    with pytest.raises(FileNotFoundError) as info:
        resolve(_entry(base, "error"), progress=False)
    assert f"{base}/error" in str(info.value) and "500" in str(info.value)
    assert _leftovers(isolated_data / "cache") == []


def test_interrupted_transfer_leaves_no_partial_file(isolated_data, server):
    base, _ = server
    with pytest.raises(FileNotFoundError, match="cut off|IncompleteRead|incomplete"):
        resolve(_entry(base, "cut"), progress=False)
    assert _leftovers(isolated_data / "cache") == []


def test_unreachable_server_is_file_not_found(isolated_data):
    with socket.socket() as sock:  # a port that nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    entry = DataFile("sample.txt", f"http://127.0.0.1:{port}/x", PAYLOAD_SHA1)
    with pytest.raises(MissingDataError, match=r"the download failed: Connection refused\. Set") \
            as info:
        resolve(entry, progress=False, timeout=5)
    assert entry.url in str(info.value) and str(isolated_data / "cache") in str(info.value)
    # one short error: no urllib or socket frames chained to it, no second line
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert "\n" not in str(info.value) and isinstance(info.value, FileNotFoundError)


def test_read_text_rejects_non_utf8(tmp_path):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(ValueError, match="not utf-8 text"):
        read_text("timemachine.txt", bad)


def test_time_machine_text_is_prepared_like_d2l(tmp_path):
    raw = tmp_path / "tm.txt"
    raw.write_text("The Time\nMachine,  by\n\n  H. G. Wells\n")
    assert time_machine_text(None, raw) == "the time machine, by h. g. wells"
    assert time_machine_text(8, raw) == "the time"


def test_load_data_time_machine_default(time_machine):
    corpus_indices, vocab = time_machine
    assert len(corpus_indices) == 10000
    assert len(vocab) == 44
    assert vocab.idx_to_token[:4] == ["<unk>", " ", "e", "t"]
    assert "".join(vocab.to_tokens(corpus_indices[:16])) == "the time machine"


@pytest.mark.parametrize("bad", [0, -1, 2.5])
def test_load_data_time_machine_rejects_bad_sizes(bad):
    with pytest.raises(ValueError, match="num_examples"):
        load_data_time_machine(bad)
