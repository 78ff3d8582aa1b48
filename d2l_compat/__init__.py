"""A drop-in for the d2l MXNet helper module (``d2l==0.9.2``, the English book of 2019),
recurrent-network names: ``import d2l_compat as d2l`` and chapter 8.5 code runs unchanged.

Every name is a re-export of :mod:`gluon_rnn.tutorials.d2l.d2l092`, whose docstrings say
where it differs from d2l 0.9.2; nothing here holds logic of its own."""
from gluon_rnn.tutorials.d2l.d2l092 import *  # noqa: F403 - the generation's names, all
from gluon_rnn.tutorials.d2l.d2l092 import __all__, __getattr__, __version__  # noqa: F401
