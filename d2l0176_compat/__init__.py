"""A drop-in for the MXNet helper of the 2020-2022 books, ``d2l==0.17.6`` (d2l-en 0.15-0.17
and the Chinese 2nd edition, d2l-zh 2.0.0): ``from d2l import mxnet as d2l`` in a chapter
run by ``gluon-rnn chapter`` or the kernel gives this module; ``import d2l0176_compat as
d2l`` works in code of your own. Recurrent-network names.

Every name is a re-export of :mod:`gluon_rnn.tutorials.d2l.d2l0176`; nothing here holds
logic of its own. Differences from the real package (no crash for ``num_epochs=0``, an
unknown token type or a too-short corpus; data through the resolver; figures never
printed as text) are documented there."""
from gluon_rnn.tutorials.d2l.d2l0176 import *  # noqa: F403 - the generation's names, all
from gluon_rnn.tutorials.d2l.d2l0176 import __all__, __getattr__, __version__  # noqa: F401
