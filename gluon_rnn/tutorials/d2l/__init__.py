"""d2l's recurrent-network chapters ("Recurrent Neural Networks from Scratch", "Concise
Implementation", the GRU/LSTM/deep/bidirectional sections) in each helper generation
the MXNet-era books shipped, one module (or package) per generation, on the core:

* :mod:`~.d2l092`: ``d2l==0.9.2`` (the English book, mid 2019); ``d2l_compat``;
* :mod:`~.d2lzh`: ``d2lzh==1.0.0`` (the Chinese edition); ``d2lzh_compat``;
* :mod:`~.d2l087`: ``d2l==0.8.7`` (the English book before April 2019); ``d2l087_compat``;
* :mod:`~.gluonbook071`: ``gluonbook==0.7.1`` (d2l-zh v0.7, 2018); ``gluonbook_compat``;
* :mod:`~.d2l012`: ``d2l==0.12.0`` and ``0.11.1`` (d2l-en v0.8.0, v0.7.0: ``import d2l``
  on MXNet's numpy interface); ``d2l012_compat``;
* :mod:`~.d2l0176`: ``d2l==0.17.6`` (2020-2022, d2l-zh 2.0.0); ``d2l0176_compat``;
* :mod:`~.d2l103`: ``d2l==1.0.3`` (d2l-en 1.0); ``d2l103_compat``;
* :mod:`~.base`: what several generations share (devices, the data hub, plotting, the
  nd-era loops, the no-offset iterators, the 4-tuple API, the numpy API's helpers and
  recurrent chapter, the translation helpers), public, in one place.

Each generation imports only the core and :mod:`~.base`, never another generation; it
owns its loaders, its iterators (built on the core's partitioning blocks) and their size
rules. A facade is two lines that re-export one generation.
"""
