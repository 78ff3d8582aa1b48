"""The training stage: :mod:`~gluon_rnn.train.config` (what defines a run, presets),
:mod:`~gluon_rnn.train.loop` (:func:`~gluon_rnn.train.loop.fit` and the
``EpochReport`` contract), :mod:`~gluon_rnn.train.run` (new, resumed and loaded runs),
:mod:`~gluon_rnn.train.checkpoints`, :mod:`~gluon_rnn.train.evaluate` and
:mod:`~gluon_rnn.train.distributed`."""
