"""The numpy-interface helper of d2l-en v0.7.0 and v0.8.0 (2019-2020), ``import d2l``
beside ``from mxnet import np, npx``: ``d2l==0.12.0``, which also serves ``d2l==0.11.1``
(v0.7.0), whose recurrent-network chapter is the same code. The text, language models
and RNNs (:mod:`.rnn`), machine translation, the encoder-decoder and seq2seq
(:mod:`.seq2seq`, 0.12.0's), on what several generations share (:mod:`..base`)."""
from ..base import (
           Decoder,
           Encoder,
           EncoderDecoder,
           MaskedSoftmaxCELoss,
           lazy_plt,
           tokenize_nmt,
           truncate_pad,
)
from .rnn import *  # noqa: F403 - the RNN chapter's names, all
from .rnn import __all__ as _rnn
from .seq2seq import *  # noqa: F403 - the seq2seq pages' names, all
from .seq2seq import __all__ as _seq2seq

__version__ = "0.12.0"  # the d2l release whose behaviour this package follows

__all__ = [*_rnn, *_seq2seq, "Decoder", "Encoder", "EncoderDecoder", "MaskedSoftmaxCELoss",
           "tokenize_nmt", "truncate_pad"]

__getattr__ = lazy_plt("d2l", __version__)
