"""The four tutorials, each standing on the core (never the reverse):

* :mod:`~gluon_rnn.tutorials.d2l`: d2l's "Recurrent Neural Networks from Scratch" and
  its concise Gluon sequel, everything that must match ``d2l==0.9.2`` exactly
  (``d2l_compat`` re-exports it);
* :mod:`~gluon_rnn.tutorials.wildml`: WildML's "Recurrent Neural Networks Tutorial"
  RNNLM (the text pipeline, the numpy model, the compiled symbolic model);
* :mod:`~gluon_rnn.tutorials.gates`: the numpy computation-graph BPTT port;
* :mod:`~gluon_rnn.tutorials.straight_dope`: The Straight Dope's char-RNN.
"""
