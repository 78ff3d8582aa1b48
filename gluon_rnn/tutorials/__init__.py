"""The four tutorials, each standing on the core (never the reverse):

* :mod:`~gluon_rnn.tutorials.d2l`: d2l's "Recurrent Neural Networks from Scratch" and
  its concise Gluon sequel in each helper generation of the MXNet books, one module per
  generation, everything that must match the published helpers exactly (the facades
  ``d2l_compat``, ``d2lzh_compat``, ``d2l087_compat`` re-export them);
* :mod:`~gluon_rnn.tutorials.wildml`: WildML's "Recurrent Neural Networks Tutorial"
  RNNLM (the text pipeline, the numpy model, the compiled symbolic model);
* :mod:`~gluon_rnn.tutorials.gates`: the numpy computation-graph BPTT port;
* :mod:`~gluon_rnn.tutorials.straight_dope`: The Straight Dope's char-RNN.
"""
