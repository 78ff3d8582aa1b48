"""d2l's data hub, as every generation that has one sees it: ``DATA_URL``, the
``(url, sha1)`` entries of its ``DATA_HUB`` (read from the core's one list of data files,
:data:`gluon_rnn.data.resolve.DATA_FILES`) and ``fetch``, where a data file is found.

``fetch``: the book's own folder (``../data``) when the file there has the expected
SHA-1, else, for a file gluon-rnn knows (asked for with its published SHA-1 or a documented
alternative's), its resolver (``$GLUON_RNN_DATA``, ``./data``,
``../data``, the cache; downloading, verified, only when online), else a verified
download into the book's folder. The helpers themselves write whatever ``requests``
brings, unverified, and fail with a connection error offline.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional, Tuple

from ....data.registry import D2L_DATA_URL, DATA_FILES
from ....data.resolve import download_file, resolve, sha1_of

__all__ = ["DATA_URL", "fetch", "hub_download", "hub_entry"]

DATA_URL = D2L_DATA_URL  # d2l's ``DATA_URL``


def hub_entry(file_name: str) -> Tuple[str, Optional[str]]:
    """``(url, sha1)`` of a data file gluon-rnn knows, as d2l's ``DATA_HUB`` holds it."""
    known = DATA_FILES[file_name]
    return known.url, known.sha1


def fetch(url: str, folder: str, sha1_hash: Optional[str]) -> str:
    """The local path of the file at ``url`` (see the module's text)."""
    fname = Path(folder) / url.split("/")[-1]
    if fname.is_file() and (sha1_hash is None or sha1_of(fname) == sha1_hash):
        return str(fname)
    known = DATA_FILES.get(fname.name)
    documented = () if known is None else (known.sha1, *(sha for sha, _ in known.alternatives))
    if known is not None and (sha1_hash is None or sha1_hash in documented):
        return str(resolve(fname.name))
    return str(download_file(url, fname, sha1_hash))


def hub_download(hub: Dict[str, Tuple[str, Optional[str]]], name: str, cache_dir: str) -> str:
    """d2l's ``download(name, cache_dir)`` on a generation's ``DATA_HUB``: the local path
    of ``hub[name]``, found or fetched and verified as :func:`fetch` says."""
    if name not in hub:
        raise ValueError(f"{name!r} is not in DATA_HUB (it holds {', '.join(sorted(hub))})")
    url, sha1_hash = hub[name]
    return fetch(url, cache_dir, sha1_hash)
