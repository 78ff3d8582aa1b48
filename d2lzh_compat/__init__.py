"""A drop-in for the Chinese edition's helper module ``d2lzh==1.0.0`` (d2l-zh v1.0.0),
recurrent-network names: ``import d2lzh_compat as d2l`` and the chapter's pages run
unchanged.

Every name is a re-export of :mod:`gluon_rnn.tutorials.d2l.d2lzh`, whose docstrings say
where it differs from d2lzh; nothing here holds logic of its own."""
from gluon_rnn.tutorials.d2l.d2lzh import *  # noqa: F403 - the generation's names, all
from gluon_rnn.tutorials.d2l.d2lzh import __all__, __getattr__, __version__  # noqa: F401
