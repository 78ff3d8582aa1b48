"""A drop-in for the English book's helper module before April 2019, ``d2l==0.8.7``,
recurrent-network names: ``import d2l087_compat as d2l`` (or ``gluon-rnn chapter
--d2l 0.8.7``) and pages that unpack four values from ``load_data_time_machine`` run
unchanged.

Every name is a re-export of :mod:`gluon_rnn.tutorials.d2l.d2l087`, whose docstrings say
where it differs from d2l 0.8.7; nothing here holds logic of its own."""
from gluon_rnn.tutorials.d2l.d2l087 import *  # noqa: F403 - the generation's names, all
from gluon_rnn.tutorials.d2l.d2l087 import __all__, __getattr__, __version__  # noqa: F401
