"""A drop-in for the MXNet helper of d2l-en 1.0, ``d2l==1.0.3``: ``from d2l import mxnet as
d2l`` in a chapter of that book, run by ``gluon-rnn chapter`` or the kernel, gives this
module; ``import d2l103_compat as d2l`` works in code of your own. Recurrent-network
names, the object-oriented frame (``Module``, ``Trainer``, ...) included.

Every name is a re-export of :mod:`gluon_rnn.tutorials.d2l.d2l103`; nothing here holds
logic of its own."""
from gluon_rnn.tutorials.d2l.d2l103 import *  # noqa: F403 - the generation's names, all
from gluon_rnn.tutorials.d2l.d2l103 import __all__, __getattr__, __version__  # noqa: F401
