"""Reading npz archives that may be hostile: every member's npy header is read and
checked against the bytes the member really holds *before* anything is allocated,
object (pickled) arrays are refused, and every failure is one ``ValueError``.

``np.load`` trusts the header: a 200-byte member whose header declares a shape of
10**12 floats makes it try to allocate terabytes (a ``MemoryError`` far from the
file's name). numpy's own ``np.lib.format`` header readers are used; only the
size check around them is ours."""
from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Dict, Union

import numpy as np
from numpy.lib import format as npy_format


class UnreadableArchive(ValueError):
    """The file is not a readable npz archive (the message says why)."""


class PickledArray(ValueError):
    """A member holds Python objects, which are never unpickled."""


class SingleArray(UnreadableArchive):
    """The file is one ``.npy`` array, not an npz archive."""


def _header(stream, version):
    if version == (1, 0):
        return npy_format.read_array_header_1_0(stream)
    if version == (2, 0):
        return npy_format.read_array_header_2_0(stream)
    return npy_format._read_array_header(stream, version)  # 3.0: no public reader in numpy 1.23


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    with archive.open(info) as stream:
        version = npy_format.read_magic(stream)
        shape, fortran_order, dtype = _header(stream, version)
        if dtype.hasobject:
            raise PickledArray(f"member {info.filename} holds Python objects (pickled)")
        declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
        held = info.file_size - stream.tell()
        if declared != held:
            raise UnreadableArchive(
                f"member {info.filename} declares shape {shape} of {dtype} ({declared:,} bytes) "
                f"but holds {held:,} bytes")
        data = bytearray(stream.read(declared))  # writable, as np.load's arrays are
        return np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")


def read_npz(path: Union[str, Path]) -> Dict[str, np.ndarray]:
    """Every array of the npz file ``path`` by name (``.npy`` stripped), sizes checked
    before reading. Raises ``FileNotFoundError`` unless ``path`` is a regular file, and
    ``UnreadableArchive`` (``SingleArray`` for one ``.npy``) or ``PickledArray`` (all
    ``ValueError``) otherwise."""
    path = Path(path)
    if not path.is_file():  # callers name it first (``_files.regular_file``); never open a FIFO
        raise FileNotFoundError(f"{path} is not an existing regular file")
    with open(path, "rb") as f:
        if f.read(6) == b"\x93NUMPY":
            raise SingleArray("a single .npy array, not an npz archive")
    try:
        with zipfile.ZipFile(path) as archive:
            return {info.filename[:-4] if info.filename.endswith(".npy") else info.filename:
                    _member(archive, info) for info in archive.infolist()}
    except (UnreadableArchive, PickledArray):
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, SyntaxError, KeyError) as err:
        raise UnreadableArchive(str(err) or type(err).__name__) from err
