"""A drop-in for the numpy-interface helper of d2l-en v0.7.0 and v0.8.0, ``d2l==0.12.0``
(also serving ``d2l==0.11.1``): ``import d2l`` beside ``from mxnet import np, npx`` in a
chapter run by ``gluon-rnn chapter`` or the kernel gives this module; ``import
d2l012_compat as d2l`` works in code of your own. Recurrent-network and seq2seq names.

Every name is a re-export of :mod:`gluon_rnn.tutorials.d2l.d2l012`; nothing here holds
logic of its own. Differences from the real package are documented there."""
from gluon_rnn.tutorials.d2l.d2l012 import *  # noqa: F403 - the generation's names, all
from gluon_rnn.tutorials.d2l.d2l012 import __all__, __getattr__, __version__  # noqa: F401
