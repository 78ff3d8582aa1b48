"""Data files laid out where a tutorial's own code looks for them (a layout is the
tutorial's; the core only copies): each entry a path inside the folder, the data file it
comes from, and the member of that zip, if it is one. Nothing there is replaced: a file
that is already the right one is said to be, a different one is kept and said to be."""
from __future__ import annotations

import functools
import hashlib
import zipfile
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

from .._files import atomic_write
from .resolve import resolve

Layout = Sequence[Tuple[str, str, Optional[str]]]  # (path inside, data file, zip member)


def lay_out(folder: Union[str, Path], layout: Layout) -> List[Tuple[str, str]]:
    """Put each entry of ``layout`` under ``folder``; ``(path inside, what happened)`` per
    entry: its new path, already there, kept (a different file), or missing (with the
    command that fetches it). Each file is written whole or not at all."""
    if not str(folder).strip():
        raise ValueError("--into names no folder: give the folder to lay the data files out in")
    rows = []
    for inside, name, member in layout:
        target = Path(folder) / inside
        try:
            source = resolve(name, download=True)
        except (FileNotFoundError, ValueError) as err:
            rows.append((inside, f"missing: {name} ({str(err).splitlines()[0][:120]}...); "
                                 f"fetch it with: gluon-rnn data --fetch {name}"))
            continue
        data = _content(source, member)
        if target.exists():
            same = target.is_file() and _sha1(target.read_bytes()) == _sha1(data)
            rows.append((inside, f"{target} (already there)" if same else
                         f"{target} kept: another file is there (remove it yourself to put "
                         f"{name}'s there)"))
            continue
        atomic_write(target, functools.partial(_write, data))
        rows.append((inside, str(target)))
    return rows


def _write(data: bytes, tmp: Path) -> None:
    tmp.write_bytes(data)


def _content(source: Path, member: Optional[str]) -> bytes:
    if member is None:
        return source.read_bytes()
    try:
        with zipfile.ZipFile(source) as zipped:
            return zipped.read(member)
    except (zipfile.BadZipFile, KeyError, OSError) as err:
        raise ValueError(f"{source}: cannot read {member} from it ({err})") from None


def _sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()
