"""The run folder of ``gluon-rnn train``: who may write it (one run at a time, a lock that
ends with its process), whether a new run may replace what is there, whether it can hold
the checkpoints, and the metrics written beside them."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import List

from .._files import atomic_write, hold_lock, missing_folders, remove_empty

CHECKPOINT_NAME = "checkpoint.npz"
LOCK_NAME = ".gluon-rnn.lock"
WRITTEN = (CHECKPOINT_NAME, "metrics.csv", "metrics.json", "config.json")


def check_claim(out: Path, resume: bool, overwrite: bool) -> None:
    """The one policy of a command that writes a run folder: ``resume`` continues the
    checkpoint in ``out``, a new run is refused where one is unless ``overwrite``."""
    checkpoint = out / CHECKPOINT_NAME
    if resume and overwrite:
        raise ValueError("--resume continues the run in OUT and --overwrite replaces it: pass one")
    if resume and not checkpoint.is_file():
        raise FileNotFoundError(f"nothing to resume: {checkpoint} does not exist")
    if not resume and checkpoint.exists() and not overwrite:
        raise ValueError(f"{out} already holds a run ({checkpoint}): pass --resume to continue "
                         "it, --overwrite to replace it, or --out for a new folder")


class RunFolder:
    """``out``, locked for this process's life (the lock ends with the process, however it
    ends); :meth:`release` gives it back and removes the folders the claim created when a
    start is refused."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self._created = missing_folders(self.out)
        self._handle = lock_run_folder(self.out)

    def release(self, refused: bool = False) -> None:
        if self._handle is not None:
            self._handle.close()
            (self.out / LOCK_NAME).unlink(missing_ok=True)
            self._handle = None
        if refused:
            remove_empty(self._created)


def lock_run_folder(out: Path):
    """Hold ``out``'s lock, refusing when another run holds it; then remove the temporary
    files an interrupted write of an earlier run left behind. Returns the open lock file."""
    try:  # the lock file is also the proof that the folder can be written
        handle = hold_lock(out / LOCK_NAME, str(out))
    except OSError as err:
        raise ValueError(f"cannot write the run folder {out} ({err.strerror or err}); choose "
                         "another --out") from err
    for name in WRITTEN:
        for stale in out.glob(f"{name}.*.tmp"):
            stale.unlink(missing_ok=True)
    return handle


def check_free_space(out: Path, checkpoint_bytes: int) -> None:
    """Refuse to start when ``out``'s file system cannot hold two checkpoints (the
    one being written and the previous one, kept until the new one is complete)."""
    import shutil

    where = Path(out)
    while not where.exists() and where != where.parent:  # not created yet: its file system
        where = where.parent
    need, free = 2 * checkpoint_bytes, shutil.disk_usage(where).free
    if free < need:
        raise ValueError(f"only {free / 2**20:.1f} MB free where {out} is; checkpoints of this "
                         f"model need about {need / 2**20:.1f} MB: free some space or choose "
                         "another --out")


def write_json(path: Path, obj) -> None:
    text = json.dumps(obj, indent=2)
    atomic_write(path, lambda tmp: tmp.write_text(text + "\n"))


def write_metrics(out: Path, history: List[dict]) -> None:
    """``metrics.csv`` and ``metrics.json``: one row per epoch."""
    write_json(out / "metrics.json", history)
    buffer = io.StringIO()
    if history:
        writer = csv.DictWriter(buffer, fieldnames=list(history[0]))
        writer.writeheader()
        writer.writerows(history)
    atomic_write(out / "metrics.csv", lambda tmp: tmp.write_text(buffer.getvalue()))
