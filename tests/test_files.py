"""Atomic writes keep the permissions a plain write would give."""
from __future__ import annotations

import os
import stat

from gluon_rnn._files import atomic_write


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_new_file_follows_the_umask_and_a_replaced_one_keeps_its_mode(tmp_path):
    old = os.umask(0o022)
    try:
        target = atomic_write(tmp_path / "a.txt", lambda p: p.write_text("one"))
        assert _mode(target) == 0o644 and target.read_text() == "one"
        os.umask(0o077)
        assert _mode(atomic_write(tmp_path / "b.txt", lambda p: p.write_text("x"))) == 0o600
        os.chmod(target, 0o640)
        atomic_write(target, lambda p: p.write_text("two"))
        assert _mode(target) == 0o640 and target.read_text() == "two"
    finally:
        os.umask(old)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]  # no temporary left
