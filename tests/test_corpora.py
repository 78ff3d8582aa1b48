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
    copy_into,
    download_file,
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
        if self.path == "/endless":  # no Content-Length, and no end
            self.send_response(200)
            self.end_headers()
            try:
                while True:
                    self.wfile.write(PAYLOAD)
            except OSError:  # the client hung up
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
    """A loopback HTTP server (127.0.0.1 only) serving /good, /bad, /error, /cut and
    /endless."""
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
        if entry.sha1 and (shared / name).is_file():  # the published file, or a documented copy
            assert sha1_of(shared / name) in {entry.sha1, *dict(entry.alternatives)}, name
            checked += 1
    assert checked >= 5


def test_search_order(isolated_data, monkeypatch):
    # a file of no published checksum: the labels written here are all taken as it
    entry = DataFile("timemachine.txt", "http://127.0.0.1:9/timemachine.txt", None)
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
    assert resolve(entry, explicit).read_text() == "explicit"
    assert resolve(entry, places["parent"]).read_text() == "parent"  # a folder
    for label in ("env", "cwd", "parent", "cache"):
        assert resolve(entry, download=False).read_text() == label
        (places[label] / "timemachine.txt").unlink()
    with pytest.raises(FileNotFoundError):
        resolve(entry, download=False)


def test_local_copies_are_checked_against_the_published_sha1(isolated_data, monkeypatch):
    """A copy cut short (a full disk) is refused, naming the file and both checksums; named
    explicitly it is used as it is; a good copy passes, and passes again once edited only
    after it is restored (the check is cached per file version, not per path)."""
    entry = DataFile("sample.txt", "http://127.0.0.1:9/sample.txt", PAYLOAD_SHA1)
    folder = isolated_data / "env"
    folder.mkdir()
    monkeypatch.setenv("GLUON_RNN_DATA", str(folder))
    copy = folder / "sample.txt"
    copy.write_bytes(PAYLOAD[:1000])
    cut_sha1 = hashlib.sha1(PAYLOAD[:1000]).hexdigest()
    with pytest.raises(ChecksumError) as info:
        resolve(entry, download=False)
    assert str(info.value) == (
        f"{copy} is not the published sample.txt: its SHA-1 is {cut_sha1}, the published "
        f"file's {PAYLOAD_SHA1} (a copy cut short, damaged, or another version). Delete it to "
        "use another copy or download it again, or name it explicitly (--data PATH) to use it "
        "as it is")
    assert resolve(entry, copy) == copy
    copy.write_bytes(PAYLOAD)
    assert resolve(entry, download=False) == copy
    copy.write_bytes(PAYLOAD[::-1])  # same size, another version
    os.utime(copy, ns=(1, 1))
    with pytest.raises(ChecksumError, match="is not the published sample.txt"):
        resolve(entry, download=False)


def test_data_command_names_a_damaged_copy(isolated_data, monkeypatch, capsys):
    from gluon_rnn.cli import main

    folder = isolated_data / "env"
    folder.mkdir()
    (folder / "timemachine.txt").write_text("cut short")
    monkeypatch.setenv("GLUON_RNN_DATA", str(folder))
    monkeypatch.setenv("GLUON_RNN_OFFLINE", "1")
    assert main(["data"]) == 0
    line = [row for row in capsys.readouterr().out.splitlines() if "timemachine.txt" in row][0]
    assert f"not used: {folder / 'timemachine.txt'} is not the published timemachine.txt" in line


def test_copy_into_never_replaces_a_file_of_the_users(isolated_data, server, monkeypatch):
    base, _ = server
    monkeypatch.setitem(DATA_FILES, "sample.txt", _entry(base, "good"))
    into = isolated_data / "book-data"
    into.mkdir()
    (into / "sample.txt").write_text("my own notes")
    rows = dict(copy_into(into, ["sample.txt"]))
    assert rows["sample.txt"] == (f"{into / 'sample.txt'} kept: it is not the published file "
                                  "(remove it yourself to put the published one there)")
    assert (into / "sample.txt").read_text() == "my own notes"
    (into / "sample.txt").unlink()
    assert dict(copy_into(into, ["sample.txt"]))["sample.txt"] == str(into / "sample.txt")
    assert (into / "sample.txt").read_bytes() == PAYLOAD and _leftovers(into) == ["sample.txt"]
    again = dict(copy_into(into, ["sample.txt"]))["sample.txt"]
    assert again == f"{into / 'sample.txt'} (already there)"


@pytest.mark.parametrize("folder", ["", "  "])
def test_copy_into_an_empty_name_is_refused(isolated_data, folder):
    with pytest.raises(ValueError, match="--into names no folder"):
        copy_into(folder)
    assert _leftovers(Path.cwd()) == []


def test_copy_into_a_full_disk_leaves_no_file_cut_short(isolated_data, monkeypatch, tmp_path):
    source = tmp_path / "source.txt"
    source.write_bytes(PAYLOAD)
    monkeypatch.setattr("gluon_rnn.data.resolve.resolve", lambda name: source)

    def full_disk(src, dst):
        Path(dst).write_bytes(PAYLOAD[:100])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("shutil.copyfile", full_disk)
    into = isolated_data / "book-data"
    with pytest.raises(OSError, match="No space left"):
        copy_into(into, ["timemachine.txt"])
    assert _leftovers(into) == []


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


@pytest.mark.parametrize("size, limit", [(len(PAYLOAD) * 3, len(PAYLOAD) * 3), (None, 1 << 20)])
def test_a_server_that_never_stops_is_stopped_at_the_size_expected(
        isolated_data, server, monkeypatch, size, limit):
    """Bounded by the published size, else by DOWNLOAD_LIMIT; nothing is left behind."""
    base, _ = server
    monkeypatch.setattr("gluon_rnn.data.resolve.DOWNLOAD_LIMIT", 1 << 20)
    dest = isolated_data / "cache" / "sample.txt"
    dest.parent.mkdir()
    with pytest.raises(OSError) as info:
        download_file(f"{base}/endless", dest, PAYLOAD_SHA1, progress=False, size=size)
    assert str(info.value) == f"{base}/endless sent more than the {limit} bytes expected: stopped"
    assert _leftovers(dest.parent) == []


def test_temporaries_a_killed_download_left_are_removed(isolated_data, server):
    """atomic_write's temporaries of this file older than an hour (no download still
    running writes them) go with the next download; a fresh one and other files stay."""
    base, _ = server
    cache = isolated_data / "cache"
    cache.mkdir()
    stale, fresh, other = (cache / "sample.txt.abc123.tmp", cache / "sample.txt.def456.tmp",
                           cache / "other.txt.abc123.tmp")
    for path in (stale, fresh, other):
        path.write_bytes(b"half")
    os.utime(stale, (1, 1))
    os.utime(other, (1, 1))
    download_file(f"{base}/good", cache / "sample.txt", PAYLOAD_SHA1, progress=False)
    assert _leftovers(cache) == sorted([fresh.name, other.name, "sample.txt"])


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


def test_a_documented_copy_is_used_and_said_and_any_other_refused(isolated_data, capsys):
    """fra-eng.zip: the published SHA-1 stays what a download must match; a local copy with
    the documented alternative's is used, said once in one line; any other is refused,
    naming both SHA-1s."""
    import dataclasses

    from gluon_rnn.data import resolve as resolver

    entry = DATA_FILES["fra-eng.zip"]
    assert entry.sha1 == "94646ad1522d915e7b0f9296181140edcf86a4f5"
    copy = isolated_data / "chapter" / "data" / "fra-eng.zip"  # ../data of the chapter
    copy.parent.mkdir()
    copy.write_bytes(b"the same pairs in another zip")
    documented = dataclasses.replace(entry, alternatives=((sha1_of(copy), "a test's copy"),))
    capsys.readouterr()
    assert resolver.resolve(documented).resolve() == copy
    assert resolver.resolve(documented).resolve() == copy
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "fra-eng.zip" in err[0] and entry.sha1 in err[0] \
        and sha1_of(copy) in err[0] and "a test's copy" in err[0]
    with pytest.raises(resolver.ChecksumError) as refused:
        resolver.resolve("fra-eng.zip")
    said = str(refused.value)
    assert entry.sha1 in said and "73848f36c17cc9c0187a058d6f7f315e68cdd61f" in said
    assert len(said.splitlines()) == 1
