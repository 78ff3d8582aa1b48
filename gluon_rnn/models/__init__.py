"""The core models: the from-scratch ``nd`` RNN of d2l's chapter and its fused form
(:mod:`~.scratch`), and ``RNNModel`` over Gluon's recurrent layers (:mod:`~.gluon`)."""
