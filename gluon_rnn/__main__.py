"""``python -m gluon_rnn`` runs the command line."""
import sys

from .cli import main

sys.exit(main())
