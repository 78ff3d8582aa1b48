"""The ``gluon-rnn`` command's entry point (and ``python -m gluon_rnn``'s): SIGTERM and
Ctrl-C are handled from the first line of ours that runs, so a stop that comes while the
command line is still loading is its one line and status too (130, 143), not a
traceback of the import it interrupted."""
from __future__ import annotations

import sys

from .signals import Terminated, stops_raise


def main() -> int:
    with stops_raise():
        try:
            from .cli import main as command
        except KeyboardInterrupt as stop:  # Terminated is one too
            terminated = isinstance(stop, Terminated)
            print(f"gluon-rnn: {'terminated (SIGTERM)' if terminated else 'interrupted'}",
                  file=sys.stderr)
            return 143 if terminated else 130
        return command()
