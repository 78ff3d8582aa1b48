"""npz files, the one home of every model and checkpoint file's arrays: written atomically,
read as if hostile.

Reading (:func:`read_npz`) is one error boundary: whatever is wrong with the archive (not
a zip, a member cut short, a corrupt deflate or lzma stream, the encryption flag, a
compression method Python cannot read, a pickled or structured array, a header that
declares more values than the member holds) comes out as one ``ValueError`` naming the
file and the member. Sizes are bounded before anything is inflated or allocated: every
member's npy header is read and its declared size compared with the member's size in the
zip directory, and the archive's declared total with the file's own size and the memory
available (a zip bomb of a few megabytes that declares gigabytes is refused, not
inflated). numpy's own ``np.lib.format`` header readers are used; only the checks around
them are ours (``np.load`` trusts the header and unpickles on request).
"""
from __future__ import annotations

import io
import lzma
import zipfile
import zlib
from pathlib import Path
from typing import Dict, Mapping, Optional, Sequence, Union

import numpy as np
from numpy.lib import format as npy_format

from .blas import available_bytes

# An archive may inflate to this many times its own size (numpy's savez stores members
# uncompressed: ratio 1; savez_compressed of float data stays far below this), or to
# MIN_BOUND, whichever is larger; and never to more than the memory available.
MAX_RATIO = 100
MIN_BOUND = 64 << 20


def save_npz(path: Union[str, Path], arrays: Dict[str, np.ndarray]) -> Path:
    """Write ``arrays`` as npz to ``path`` (the name kept as given), atomically.

    The archive is built in memory and written in one piece: when the disk fills
    up, the write fails with one error and no half-closed ``ZipFile`` is left to
    fail again (with a traceback) when it is collected."""
    from ._files import atomic_write

    buffer = io.BytesIO()
    np.savez(buffer, **arrays)

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            f.write(buffer.getbuffer())
    return atomic_write(path, write)


def _header(stream, version):
    if version == (1, 0):
        return npy_format.read_array_header_1_0(stream)
    if version == (2, 0):
        return npy_format.read_array_header_2_0(stream)
    # 3.0: no public reader in numpy 1.23
    return npy_format._read_array_header(stream, version)  # type: ignore[attr-defined]


def _check_kind(name: str, dtype: np.dtype, kinds: Mapping[str, str]) -> None:
    """Parameters are floating point (float16/32/64); ``kinds`` names the members that
    hold something else (``{'characters': 'U'}``: a string array)."""
    wanted = kinds.get(name, "f")
    if dtype.fields is not None or dtype.kind not in wanted or dtype.subdtype is not None:
        described = {"f": "floating-point numbers", "U": "text", "u": "bytes"}
        raise ValueError(f"member {name} holds {dtype} values, not "
                         f"{' or '.join(described.get(k, k) for k in wanted)}")


def _open_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str):
    """The member's stream after its npy header, and the header, checked: no pickled
    objects, and its declared size against what the member holds (nothing is allocated)."""
    stream = archive.open(info)
    version = npy_format.read_magic(stream)
    shape, fortran_order, dtype = _header(stream, version)
    if dtype.hasobject:
        stream.close()
        raise ValueError(f"member {name} holds pickled objects (Python objects), which are "
                         "never read: model files hold plain numeric arrays")
    declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
    held = info.file_size - stream.tell()
    if declared != held:
        stream.close()
        raise ValueError(f"member {name} declares shape {shape} of {dtype} ({declared:,} "
                         f"bytes) but holds {held:,} bytes")
    return stream, (shape, fortran_order, dtype, declared)


def _read_member(stream, header, name: str) -> np.ndarray:
    shape, fortran_order, dtype, declared = header
    with stream:
        data = bytearray(stream.read(declared))  # writable, as np.load's arrays are
    if len(data) != declared:
        raise ValueError(f"member {name} ends after {len(data):,} of {declared:,} bytes")
    array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")
    if dtype.kind == "f" and not np.isfinite(array).all():
        # a model that diverged (nothing of ours saves one) or a damaged file: every
        # number drawn from it would be NaN, and the sampler would blame its temperature
        raise ValueError(f"member {name} holds {np.count_nonzero(~np.isfinite(array)):,} "
                         "values that are NaN or infinite (a model that diverged, or a damaged "
                         "file): train the model again")
    return array


def _check_sizes(path: Path, infos: Sequence[zipfile.ZipInfo]) -> None:
    declared = sum(info.file_size for info in infos)
    bound = min(max(MIN_BOUND, MAX_RATIO * path.stat().st_size), available_bytes())
    if declared > bound:
        raise ValueError(f"its members declare {declared:,} bytes once inflated, from a file of "
                         f"{path.stat().st_size:,} bytes: refused before inflating (at most "
                         f"{bound:,} here)")


def _names(infos: Sequence[zipfile.ZipInfo]) -> Dict[str, zipfile.ZipInfo]:
    members: Dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
        if name in members:
            raise ValueError(f"member {name} is there twice")
        members[name] = info
    return members


def read_npz(path: Union[str, Path], what: str, names: Optional[Sequence[str]] = None,
             kinds: Optional[Mapping[str, str]] = None) -> Dict[str, np.ndarray]:
    """Every array of the npz file ``path`` by name (``.npy`` stripped), checked as the
    module says; ``names``, when given, are exactly the members it must hold; members are
    floating point unless ``kinds`` says otherwise. ``what`` ("gluon-rnn checkpoint", "npz
    model file") names the file in errors: ``FileNotFoundError`` when there is none, ``ValueError``
    (one line) for everything else."""
    from ._files import regular_file

    path = regular_file(path, what)
    with open(path, "rb") as f:
        if f.read(6) == b"\x93NUMPY":
            raise ValueError(f"{path} is a single .npy array, not an {what}")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            members = _names(infos)
            _check_sizes(path, infos)
            headers = {name: _open_member(archive, info, name)
                       for name, info in members.items()}
            if names is not None and sorted(members) != sorted(names):
                raise ValueError(f"it holds arrays {sorted(members)}; a {what} holds exactly "
                                 f"{', '.join(names)}")
            for name, (_, header) in headers.items():
                _check_kind(name, header[2], kinds or {})
            return {name: _read_member(stream, header, name)
                    for name, (stream, header) in headers.items()}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, KeyError,
            SyntaxError, RuntimeError, NotImplementedError, OverflowError, TypeError,
            zlib.error, lzma.LZMAError) as err:
        # RuntimeError: an encrypted member; NotImplementedError: a compression method
        # Python cannot read (9, deflate64; 99, AES); zlib/lzma: a damaged stream
        raise ValueError(f"{path} is not a readable {what} ({_reason(err)})") from None


def _reason(err: BaseException) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return text or type(err).__name__
