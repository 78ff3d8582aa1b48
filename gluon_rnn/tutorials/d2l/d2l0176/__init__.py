"""The MXNet helper of the 2020-2022 books, ``d2l==0.17.6`` (``from d2l import mxnet as
d2l``): d2l-en 0.15-0.17 and the Chinese 2nd edition (d2l-zh 2.0.0, byte-identical), the
recurrent chapters to their end: the text, language models and RNNs (:mod:`.rnn`), and
machine translation, the encoder-decoder and seq2seq (:mod:`.seq2seq`), on what several
generations share (:mod:`..base`)."""
from ..base import (
           bleu,
           lazy_plt,
           preprocess_nmt,
           show_list_len_pair_hist,
           tokenize_nmt,
           truncate_pad,
)
from .rnn import *  # noqa: F403 - the RNN chapters' names, all
from .rnn import __all__ as _rnn
from .seq2seq import *  # noqa: F403 - the seq2seq pages' names, all
from .seq2seq import __all__ as _seq2seq

__version__ = "0.17.6"  # the d2l release whose behaviour this package follows
USE_MXNET, USE_PYTORCH, USE_TENSORFLOW = True, False, False

__all__ = [*_rnn, *_seq2seq, "bleu", "preprocess_nmt", "show_list_len_pair_hist",
           "tokenize_nmt", "truncate_pad", "USE_MXNET", "USE_PYTORCH", "USE_TENSORFLOW"]

__getattr__ = lazy_plt("d2l.mxnet", __version__)
