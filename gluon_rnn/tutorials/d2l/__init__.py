"""d2l's recurrent-network chapters ("Recurrent Neural Networks from Scratch", "Concise
Implementation", the GRU/LSTM/deep/bidirectional sections) in each helper generation
the MXNet-era books shipped, one module per generation, on the core:

* :mod:`~.d2l092`: ``d2l==0.9.2`` (the English book, mid 2019); ``d2l_compat``;
* :mod:`~.classic`: the 4-tuple API of ``d2lzh==1.0.0`` (the Chinese edition) and
  ``d2l==0.8.7`` (the English book before April 2019); ``d2lzh_compat``,
  ``d2l087_compat``;
* :mod:`~.plotting`: the plotting helpers the chapters call.

Each generation owns its loaders, its iterators (built on the core's partitioning blocks)
and their size rules. The facades only re-export a generation.
"""
