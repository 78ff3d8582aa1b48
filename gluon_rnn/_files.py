"""Atomic file writes and safe npz files: a write goes to a temporary file beside its target and is
renamed over it only when complete, so an interrupted write never leaves a
half-written or missing file. The result has the mode a plain ``open`` would give
it: the user's umask for a new file, the old file's mode for a replaced one
(``mkstemp`` alone would leave every result at 0600)."""
from __future__ import annotations

import os
import stat
import tempfile
import zipfile
from pathlib import Path
from typing import Callable, Dict, Union

import numpy as np


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


def atomic_write(path: Union[str, Path], write: Callable[[Path], None]) -> Path:
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


def save_npz(path: Union[str, Path], arrays: Dict[str, np.ndarray]) -> Path:
    """Write ``arrays`` as npz to ``path`` (the name kept as given), atomically."""
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
    return atomic_write(path, write)


def load_npz(path: Union[str, Path], names: tuple, what: str) -> Dict[str, np.ndarray]:
    """The arrays of an npz file that holds exactly ``names``, never unpickling."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file {path} does not exist")
    try:
        data = np.load(path, allow_pickle=False)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as err:
        raise ValueError(f"{path} is not a readable npz model file ({err})") from err
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValueError(f"{path} is a single .npy array, not an npz model file")
    with data:
        if sorted(data.files) != sorted(names):
            raise ValueError(f"{path} holds arrays {sorted(data.files)}; {what} holds exactly "
                             f"{', '.join(names)}")
        try:
            return {name: data[name] for name in names}
        except (zipfile.BadZipFile, EOFError, OSError) as err:
            raise ValueError(f"{path} is not a readable npz model file ({err})") from err
        except ValueError as err:
            raise ValueError(f"{path} holds pickled objects, which are refused; {what} holds "
                             f"plain numeric arrays ({err})") from err
