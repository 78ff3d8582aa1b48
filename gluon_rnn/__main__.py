"""``python -m gluon_rnn`` runs the command line."""
import sys

from .console import main

sys.exit(main())
