"""Where The Straight Dope's own notebooks look for their data: the repository's
``data/nlp/`` (``chapter05_recurrent-neural-networks/*.ipynb`` open
``../data/nlp/timemachine.txt``, the PTB splits and tiny-shakespeare beside it).
``gluon-rnn data --into DIR --layout straight-dope`` lays them out under ``DIR``."""
from __future__ import annotations

from ...data.layout import Layout

STRAIGHT_DOPE_LAYOUT: Layout = (
    ("data/nlp/timemachine.txt", "timemachine-gutenberg.txt", None),  # as the repo ships it
    ("data/nlp/ptb.train.txt", "ptb.zip", "ptb/ptb.train.txt"),
    ("data/nlp/ptb.valid.txt", "ptb.zip", "ptb/ptb.valid.txt"),
    ("data/nlp/ptb.test.txt", "ptb.zip", "ptb/ptb.test.txt"),
    ("data/nlp/tinyshakespeare.txt", "tinyshakespeare.txt", None),
)
