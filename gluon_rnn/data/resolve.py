"""Finding, fetching and verifying the data files, and reading their text.

One resolver serves every data file. It looks, in order, at

1. an explicit ``path`` argument (a file, or a folder holding the file),
2. every folder in ``$GLUON_RNN_DATA`` (``os.pathsep``-separated),
3. ``./data`` and ``../data`` (the d2l convention: chapter scripts run from a
   chapter folder and read ``../data/timemachine.txt``),
4. the user cache (``$GLUON_RNN_CACHE``, else ``$XDG_CACHE_HOME/gluon-rnn``,
   else ``~/.cache/gluon-rnn``),

and only then, unless ``download=False`` or ``$GLUON_RNN_OFFLINE`` is set,
downloads the file from its public source into the cache, showing a progress
bar and checking its SHA-1, as ``mxnet.gluon.utils.download`` and gluonnlp do.
A download goes to a temporary file in the cache folder and is renamed into
place only once complete and verified, so no partial file is ever left behind.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import os
import sys
import time
import urllib.request
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

from .._files import atomic_write, regular_file
from .registry import DATA_FILES, DataFile
from .settings import recorded_data_folder

LOG = logging.getLogger(__name__)

DATA_ENV = "GLUON_RNN_DATA"
CACHE_ENV = "GLUON_RNN_CACHE"
OFFLINE_ENV = "GLUON_RNN_OFFLINE"


class ChecksumError(ValueError):
    """A data file's SHA-1 differs from the published one (a download, or a local copy)."""


class MissingDataError(FileNotFoundError):
    """A data file is nowhere the resolver looks and could not be downloaded. Its
    message is short: the file, where it was looked for, why no download, and the ways
    to provide it (a chapter or notebook shows it as one error, not a traceback)."""

    def __init__(self, message: str, name: str) -> None:
        super().__init__(message)
        self.name = name

    def __str__(self) -> str:
        return str(self.args[0])


def default_cache_dir() -> Path:
    """The user cache folder for downloaded corpora."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return Path(base).expanduser() / "gluon-rnn"


def named_data_folders() -> List[Path]:
    """The folders ``$GLUON_RNN_DATA`` names, in its order."""
    return [Path(p).expanduser() for p in os.environ.get(DATA_ENV, "").split(os.pathsep) if p]


def search_dirs(cache_dir: Optional[Path] = None) -> List[Path]:
    """The folders searched for a data file, in order (explicit path excluded):
    ``$GLUON_RNN_DATA``, the folder recorded by ``gluon-rnn data --use``, ./data, ../data,
    the cache."""
    dirs = named_data_folders()
    recorded = recorded_data_folder()
    dirs += [recorded] if recorded is not None and recorded not in dirs else []
    dirs += [Path("data"), Path("..") / "data"]
    dirs.append(Path(cache_dir) if cache_dir is not None else default_cache_dir())
    return dirs


def sha1_of(path: Union[str, Path], chunk_size: int = 1 << 20) -> str:
    """Hex SHA-1 of a file, read in chunks."""
    digest = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _lookup(name: Union[str, DataFile]) -> DataFile:
    if isinstance(name, DataFile):
        return name
    if name in DATA_FILES:
        return DATA_FILES[name]
    raise ValueError(f"unknown data file {name!r}; known files: {', '.join(sorted(DATA_FILES))}. "
                     "Pass path= to read a file of your own.")


def _offline() -> bool:
    return os.environ.get(OFFLINE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def resolve(name: Union[str, DataFile], path: Union[str, Path, None] = None, *,
            download: bool = True, cache_dir: Union[str, Path, None] = None,
            progress: bool = True, timeout: float = 30.0) -> Path:
    """Return the local path of a data file, finding or downloading it.

    ``name`` is a key of :data:`DATA_FILES` (``'timemachine.txt'``) or a
    :class:`DataFile`. An explicit ``path`` that names no existing file or folder
    is an error rather than a silent fall-back to another copy.

    Raises :class:`MissingDataError` (a ``FileNotFoundError``) naming every place
    tried and the URL when the file is nowhere and cannot be downloaded, and
    :class:`ChecksumError` when a download does not match its SHA-1 (the partial file
    is deleted).
    """
    entry = _lookup(name)
    if path is not None:
        path = Path(path).expanduser()
        if path.is_file():
            return path  # named by the user: used as it is
        if not path.is_dir():
            regular_file(path, f"the path given for {entry.name},")
        candidates = [path]
    else:
        candidates = []
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    candidates += search_dirs(cache)
    for folder in candidates:
        found = folder / entry.name
        if found.is_file():
            LOG.debug("found %s at %s", entry.name, found)
            return check_copy(entry, found)
    if not download or _offline():
        raise MissingDataError(_missing(entry, candidates, "downloads are off"), entry.name)
    try:
        return download_file(entry.url, cache / entry.name, entry.sha1,
                             progress=progress, timeout=timeout, size=entry.size)
    except OSError as err:  # URLError, refused connections, cut-off transfers
        # the network's own frames (socket, urllib) say nothing the message does not
        raise MissingDataError(_missing(entry, candidates, f"the download failed: {_why(err)}"),
                               entry.name) from None


def check_copy(entry: DataFile, found: Path) -> Path:
    """``found``, when it is the published file (its SHA-1, where one is published);
    else :class:`ChecksumError`: a copy cut short by a full disk, damaged or of another
    version is never read as if it were the file."""
    if entry.sha1 is None:
        return found
    actual = _sha1_cached(str(found), *_stamp(found))
    if actual == entry.sha1:
        return found
    source = dict(entry.alternatives).get(actual)
    if source is not None:
        _say_once(f"gluon-rnn: using {found}, a documented copy of {entry.name} (SHA-1 "
                  f"{actual}, not the published {entry.sha1}): {source}")
        return found
    also = "".join(f" or the documented copy's {sha1}" for sha1, _ in entry.alternatives)
    raise ChecksumError(
        f"{found} is not the published {entry.name}: its SHA-1 is {actual}, the published "
        f"file's {entry.sha1}{also} (a copy cut short, damaged, or another version). Delete it "
        f"to use another copy or download it again, or name it explicitly (--data PATH) to "
        f"use it as it is")


@functools.lru_cache(maxsize=None)  # as _sha1_cached: once per process
def _say_once(line: str) -> None:
    """``line`` on stderr, once a process (which copy of a data file is used)."""
    print(line, file=sys.stderr)


def _stamp(path: Path) -> Tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


@functools.lru_cache(maxsize=64)
def _sha1_cached(path: str, size: int, mtime_ns: int) -> str:
    """:func:`sha1_of`, once per file version (path, size and modification time)."""
    return sha1_of(path)


def _why(err: OSError) -> str:
    code = getattr(err, "code", None)
    if isinstance(code, int):  # HTTPError: the server answered
        url = getattr(err, "url", "") or "the server"
        return f"{url} answered HTTP {code} {getattr(err, 'reason', '')}"
    reason = getattr(err, "reason", None)  # URLError wraps the socket's error
    return str(getattr(reason, "strerror", None) or reason or err)


def _missing(entry: DataFile, folders: Sequence[Path], no_download: str) -> str:
    """Where ``entry`` was looked for, why it was not downloaded, how to provide it."""
    looked = ", ".join(_described(folder) for folder in folders)
    return (f"{entry.name} not found (looked in {looked}); {no_download}. Set {DATA_ENV} "
            f"to the folder holding it, or put it in ./data or ../data, or fetch it when "
            f"online (`gluon-rnn data --fetch {entry.name}`, or {entry.url})")


def _described(folder: Path) -> str:
    """A searched folder, said to be missing when it is one the user named."""
    named = named_data_folders()
    if folder in named and folder.is_file():
        return f"{DATA_ENV}={folder}, which is a file, not the folder holding the data files"
    if folder in named and not folder.is_dir():
        return f"{DATA_ENV}={folder}, which does not exist"
    return str(folder)


def _progress_bar(total: Optional[int], name: str, enabled: bool):
    from tqdm.auto import tqdm
    return tqdm(total=total, unit="B", unit_scale=True, desc=f"downloading {name}",
                disable=not enabled, leave=False)


DOWNLOAD_LIMIT = 1 << 30  # bytes: a file of unknown size that grows past this is refused


def download_file(url: str, dest: Union[str, Path], sha1: Optional[str] = None, *,
                  progress: bool = True, timeout: float = 30.0,
                  size: Optional[int] = None) -> Path:
    """Download ``url`` to ``dest`` atomically and verify its SHA-1.

    The bytes go to a temporary file beside ``dest``, renamed to ``dest`` only
    when the transfer is complete (as long as the server's Content-Length says)
    and the checksum matches; on any failure the temporary file is removed, and
    temporaries that a killed download left are removed first. A transfer that
    grows past ``size`` (the published size), the server's Content-Length or
    :data:`DOWNLOAD_LIMIT` is stopped.
    """
    def fetch(tmp: Path) -> None:
        digest = hashlib.sha1()
        with open(tmp, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            _mark_alive(out)
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            limit = min(n for n in (size, total, DOWNLOAD_LIMIT) if n is not None)
            received = 0
            with _progress_bar(total or size, Path(dest).name, progress) as bar:
                for chunk in iter(lambda: resp.read(1 << 16), b""):
                    received += len(chunk)
                    if received > limit:
                        raise OSError(f"{url} sent more than the {limit} bytes expected: stopped")
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
        if total is not None and received != total:
            raise OSError(f"transfer of {url} was cut off after {received} of {total} bytes")
        if sha1 is not None and digest.hexdigest() != sha1:
            raise ChecksumError(f"{url} has SHA-1 {digest.hexdigest()}, expected {sha1}; "
                                "the download was deleted. The source may have changed or the "
                                "transfer was corrupted: try again, or fetch the file by hand.")

    _remove_stale_temporaries(Path(dest))
    atomic_write(dest, fetch)
    LOG.info("downloaded %s to %s", url, dest)
    return Path(dest)


CREATING_SECONDS = 1.0  # a temporary younger than this may be one whose writer is starting


def _mark_alive(handle) -> None:
    """A running download holds a lock on its temporary file for as long as it writes;
    the kernel drops it however the process ends (killed included)."""
    import fcntl

    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _remove_stale_temporaries(dest: Path) -> None:
    """The temporaries of ``dest`` (atomic_write's names) that no running download holds:
    a killed download's, removed by the next fetch of the same file."""
    import fcntl

    if not dest.parent.is_dir():
        return
    for tmp in dest.parent.glob(f"{dest.name}.*.tmp"):
        try:
            if time.time() - tmp.stat().st_mtime < CREATING_SECONDS:
                continue
            with open(tmp, "rb") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # else: a live download
                tmp.unlink()
        except OSError:
            pass


def read_text(name: Union[str, DataFile], path: Union[str, Path, None] = None,
              encoding: str = "utf-8") -> str:
    """Resolve a data file and return its text, with a clear error for bad bytes."""
    return read_file_text(resolve(name, path), encoding)


def read_file_text(file: Path, encoding: str = "utf-8") -> str:
    """A file's text, with a one-line error naming the file for bytes that do not decode."""
    try:
        return Path(file).read_text(encoding=encoding)
    except UnicodeDecodeError as err:
        raise ValueError(f"{file} is not {encoding} text ({err.reason} at byte "
                         f"{err.start})") from err


def copy_into(folder: Union[str, Path], names: Optional[Sequence[str]] = None) -> List[tuple]:
    """Copy each known data file (or those ``names``) that the resolver finds, or can
    download, into ``folder`` (the book's ``../data`` layout); ``(name, what happened)``
    per file: its new path, "already there", kept (a different file of the user's is
    there: never replaced), or why it is missing. Each copy is written whole or not at
    all (a full disk leaves no file cut short)."""
    if not str(folder).strip():
        raise ValueError("--into names no folder: give the folder to copy the data files into, "
                         "e.g. ../data")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in names or list(DATA_FILES):
        target = folder / name
        if target.exists():
            rows.append((name, _existing(DATA_FILES[name], target)))
            continue
        try:
            source = resolve(name)
        except (FileNotFoundError, ValueError) as err:
            rows.append((name, f"missing: {str(err).splitlines()[0]}"))
            continue
        atomic_write(target, functools.partial(_copy_file, source))
        rows.append((name, str(target)))
    return rows


def _copy_file(source: Path, tmp: Path) -> None:
    import shutil

    shutil.copyfile(source, tmp)


def _existing(entry: DataFile, target: Path) -> str:
    """What copy_into says of a file already at ``target`` (it never replaces one)."""
    if target.is_file():
        try:
            check_copy(entry, target)  # the one check of a local copy (cached per version)
        except ChecksumError:
            pass
        else:
            return f"{target} (already there" + (
                "; no published checksum to check it against)" if entry.sha1 is None else ")")
    return (f"{target} kept: it is not the published file (remove it yourself to put the "
            "published one there)")


def _from_where(found: Path) -> str:
    """Which setting led to ``found``: `` ($GLUON_RNN_DATA)``, `` (gluon-rnn data --use)``,
    `` (the cache)`` or nothing (./data, ../data)."""
    folder = found.parent.resolve()
    named = [p.resolve() for p in named_data_folders()]
    recorded = recorded_data_folder()
    if folder in named:
        return f" (${DATA_ENV})"
    if recorded is not None and folder == recorded.resolve():
        return " (gluon-rnn data --use)"
    return " (the cache)" if folder == default_cache_dir().resolve() else ""


def available(names: Sequence[str] = tuple(DATA_FILES)) -> List[Tuple[str, str]]:
    """(name, where it is found) for each known data file, without downloading: its path,
    "missing" with its source, or why the copy found is not used."""
    rows: List[Tuple[str, str]] = []
    for name in names:
        try:
            found = resolve(name, download=False)
            rows.append((name, f"{found}{_from_where(found)}"))
        except ChecksumError as err:
            rows.append((name, f"not used: {err}"))
        except FileNotFoundError:
            rows.append((name, f"missing (source: {DATA_FILES[name].url})"))
    return rows
