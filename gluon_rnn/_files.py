"""Files: atomic writes, output paths checked before the work, a path named as what it is.

A write goes to a temporary file beside its target and is renamed over it only when
complete, so an interrupted write never leaves a half-written or missing file. The result
has the mode a plain ``open`` would give it: the user's umask for a new file, the old
file's mode for a replaced one (``mkstemp`` alone would leave every result at 0600)."""
from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import Callable, Iterator, Union


def _umask() -> int:
    """The process's umask, read without changing it where Linux shows it."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: read it by setting it, and put it back
    os.umask(mask)
    return mask


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _why_missing(path: Path) -> str:
    """What stands at a path that does not exist: nothing, or a link to nowhere."""
    if not path.is_symlink():
        return "does not exist"
    try:
        path.resolve(strict=True)
    except RuntimeError:  # Python < 3.13: a loop
        return "is a symbolic link that loops (it leads back to itself): fix or remove it"
    except OSError as err:
        if err.errno == errno.ELOOP:
            return "is a symbolic link that loops (it leads back to itself): fix or remove it"
    return f"is a symbolic link to {os.readlink(path)}, which does not exist"


def regular_file(path: Union[str, "os.PathLike[str]"], what: str = "") -> Path:
    """``path`` when it is a regular file (or a link to one); else ``FileNotFoundError``
    when nothing is there, ``ValueError`` saying what is there (a directory, a FIFO,
    a device) instead. ``what`` (e.g. ``"model file"``) starts the message."""
    path = Path(path)
    name = f"{what} {path}".strip()
    if path.is_file():
        return path
    if not path.exists():
        raise FileNotFoundError(f"{name} {_why_missing(path)}")
    kind = ("a directory" if path.is_dir() else "a FIFO (named pipe)" if path.is_fifo()
            else "a socket" if path.is_socket() else "a device" if path.is_block_device()
            or path.is_char_device() else "not a regular file")
    raise ValueError(f"{name} is {kind}, not a regular file: pass the file itself")


def claim_output(path: Union[str, Path], overwrite: bool = False, what: str = "output") -> Path:
    """The one policy of every command that writes results: refuse ``path`` when it
    already exists (unless ``overwrite``), and find out now, before any training,
    whether its folder can be written."""
    path = Path(path)
    if path.exists() and not path.is_file():  # not even --overwrite replaces a folder
        regular_file(path, f"where {what} goes,")
    if path.exists() and not overwrite:
        raise ValueError(f"{path} already exists ({what} of an earlier run): pass --overwrite to "
                         "replace it, or choose another --out")
    writable_folder(path.parent)
    return path


def hold_lock(lock: Path, what: str):
    """Hold the lock file ``lock`` for this process's life (the kernel releases it however
    the process ends), refusing when another process holds it; ``what`` names what it
    guards. Returns the open file (close it to release) and writes our pid in it."""
    import fcntl

    lock.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        owner = handle.read().strip() or "another process"
        handle.close()
        raise ValueError(f"{what} is in use by another gluon-rnn run ({owner}); wait for it to "
                         "end, or choose another --out") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}\n")
    handle.flush()
    return handle


@contextlib.contextmanager
def locked_output(path: Union[str, Path], what: str = "output") -> Iterator[Path]:
    """``path`` (a file to be written) held by this run within the block: a second run
    writing the same file is refused while the first runs (``.NAME.lock`` beside it,
    removed after)."""
    path = Path(path)
    created = missing_folders(path.parent)
    lock = path.parent / f".{path.name}.lock"
    try:
        handle = hold_lock(lock, f"{path} ({what})")
    except OSError as err:
        remove_empty(created)
        raise ValueError(f"cannot write the output folder {path.parent} "
                         f"({err.strerror or err}); choose another --out") from err
    try:
        yield path
    finally:
        lock.unlink(missing_ok=True)
        handle.close()
        remove_empty(created)


def writable_folder(folder: Path, what: str = "the output folder", option: str = "--out") -> Path:
    """Check now that a file can be written in ``folder``, leaving nothing behind:
    folders this check had to create are removed again (the write creates them).
    ``option`` is the command's option that names another place."""
    folder = Path(folder)
    missing = missing_folders(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
            pass
    except OSError as err:
        raise ValueError(f"cannot write {what} {folder} ({err.strerror or err}); choose "
                         f"another {option}") from err
    finally:
        remove_empty(missing)
    return folder


def missing_folders(folder: Path) -> list:
    """``folder`` and those of its parents that do not exist yet, deepest first."""
    missing, probe = [], Path(folder)
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    return missing


def remove_empty(folders) -> None:
    """Remove ``folders`` (deepest first) while they are empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            break


def atomic_write(path: Union[str, Path], write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp_path)``, then rename ``tmp_path`` to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
