"""The data stage: :mod:`~gluon_rnn.data.resolve` (finding, fetching and verifying
files), :mod:`~gluon_rnn.data.corpora` (texts as token lists), :mod:`~gluon_rnn.data.text`
(tokenisers), :mod:`~gluon_rnn.data.vocab` (``Vocab``) and :mod:`~gluon_rnn.data.batches`
(random and consecutive partitioning)."""
