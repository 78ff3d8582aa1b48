"""gluon-rnn: four classic RNN language-model tutorials on MXNet 1.9.1 + Gluon.

Modules, one concern each: :mod:`~gluon_rnn.corpora` (finding and reading data),
:mod:`~gluon_rnn.vocab`, :mod:`~gluon_rnn.iterators`, :mod:`~gluon_rnn.models`,
:mod:`~gluon_rnn.training`, :mod:`~gluon_rnn.sampling`, :mod:`~gluon_rnn.compare`
and :mod:`~gluon_rnn.cli`. Importing the package loads MXNet and nothing else.
"""
from .corpora import DATA_FILES, DataFile, resolve
from .vocab import Vocab

__version__ = "0.1.0"
__all__ = ["DATA_FILES", "DataFile", "Vocab", "resolve", "__version__"]
