"""A drop-in for the Chinese edition's helper before d2lzh, ``gluonbook==0.7.1`` (d2l-zh
v0.7): ``import gluonbook as gb`` in a chapter run by ``gluon-rnn chapter`` or the kernel
gives this module; ``import gluonbook_compat as gb`` works in code of your own.
Recurrent-network names.

Every name is a re-export of :mod:`gluon_rnn.tutorials.d2l.gluonbook071`, whose
docstrings say where it differs from gluonbook 0.7.1; nothing here holds logic of its
own."""
from gluon_rnn.tutorials.d2l.gluonbook071 import *  # noqa: F403 - the generation's names, all
from gluon_rnn.tutorials.d2l.gluonbook071 import __all__, __getattr__, __version__  # noqa: F401
