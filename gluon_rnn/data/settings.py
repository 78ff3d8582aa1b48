"""The one data setting every entry point reads: a folder recorded once with ``gluon-rnn
data --use DIR`` (in the user's configuration file), searched by the resolver after
``$GLUON_RNN_DATA`` and before ``./data``, ``../data`` and the cache, by the command line,
the books runner and the Jupyter kernel alike (a Jupyter started from a desktop has no
``GLUON_RNN_DATA``).

The file: ``$GLUON_RNN_CONFIG``, else ``$XDG_CONFIG_HOME/gluon-rnn/config.json``, else
``~/.config/gluon-rnn/config.json``; JSON, ``{"data": "/absolute/folder"}``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

from .._files import atomic_write

CONFIG_ENV = "GLUON_RNN_CONFIG"


def config_path() -> Path:
    """Where the user's gluon-rnn settings are kept."""
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV]).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join("~", ".config")
    return Path(base).expanduser() / "gluon-rnn" / "config.json"


def recorded_data_folder() -> Optional[Path]:
    """The folder ``gluon-rnn data --use`` recorded, or None (none recorded). A settings
    file that cannot be read is one error naming it and what to do."""
    path = config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f"cannot read the gluon-rnn settings {path} ({err}): fix or delete "
                         "it, then record the data folder again (gluon-rnn data --use DIR)"
                         ) from None
    try:
        folder = json.loads(text).get("data")
    except (ValueError, AttributeError):
        raise ValueError(f"{path} is not gluon-rnn's settings (JSON with a 'data' folder): fix "
                         "or delete it, then gluon-rnn data --use DIR") from None
    return Path(folder) if isinstance(folder, str) and folder else None


def record_data_folder(folder) -> Path:
    """Record ``folder`` (an existing folder, kept as an absolute path) as the data folder
    of every entry point; returns the settings file written (atomically)."""
    where = Path(folder).expanduser().resolve()
    if not where.is_dir():
        raise ValueError(f"--use {folder}: {where} is not a folder; name the folder holding "
                         "timemachine.txt and the other data files")
    path = config_path()
    try:
        settings = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError):
        settings = {}  # a damaged file is replaced by one that works
    settings = settings if isinstance(settings, dict) else {}
    settings["data"] = str(where)
    atomic_write(path, lambda tmp: tmp.write_text(json.dumps(settings, indent=1) + "\n"))
    return path
