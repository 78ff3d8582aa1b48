"""WildML's "Recurrent Neural Networks Tutorial, Part 2" (numpy + Theano): the text
pipeline (:mod:`~.pipeline`), the numpy model with truncated BPTT and its SGD loop
(:mod:`~.numpy_rnn`), the Theano model as a compiled MXNet graph (:mod:`~.symbolic`),
the model files (:mod:`~.files`) and the train/generate workflow (:mod:`~.workflow`)."""
