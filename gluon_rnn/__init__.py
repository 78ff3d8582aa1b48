"""gluon-rnn: four classic RNN language-model tutorials on MXNet 1.9.1 + Gluon.

The core knows nothing of any tutorial: :mod:`~gluon_rnn.data` (resolver, corpora,
tokenisers, vocabulary, batches), :mod:`~gluon_rnn.models` (the chapter's scratch RNN,
``RNNModel``), :mod:`~gluon_rnn.train` (configuration, loop, runs and checkpoints,
distributed), :mod:`~gluon_rnn.sampling` and :mod:`~gluon_rnn.compare`. The tutorials
stand on it in :mod:`gluon_rnn.tutorials` (``d2l`` with one module per helper generation
of the books, ``wildml``, ``gates``, ``straight_dope``); :mod:`~gluon_rnn.books` (running
the books' scripts, pages and notebooks) and :mod:`~gluon_rnn.cli` sit on top.

From Python::

    from gluon_rnn import TrainConfig, new_run, fit, load_model, generate_text
    run = new_run(TrainConfig(model="lstm", num_epochs=5), out="runs/lstm")
    fit(run, on_epoch=print)
    net, vocab, config = load_model("runs/lstm/checkpoint.npz")
    print(generate_text(net, vocab, "time traveller", 50))

Importing the package loads nothing heavy: each public name is imported on first
use, so :func:`gluon_rnn.blas.configure_blas` can still run before MXNet loads. What
MXNet 1.9.1 needs on Python 3.12+ and numpy 1.24+ is put back just before MXNet's first
import (:mod:`gluon_rnn.mxnet_compat`).
"""
from __future__ import annotations

import importlib

from . import mxnet_compat

mxnet_compat.install()  # a finder that acts only when mxnet is first imported

__version__ = "0.1.0"

_PUBLIC = {  # name: the module that defines it
    "TrainConfig": "train.config", "PRESETS": "train.config", "preset": "train.config",
    "EpochReport": "train.report", "fit": "train.loop", "perplexity": "train.loop",
    "new_run": "train.run", "resume_run": "train.run", "load_model": "train.run",
    "Run": "train.run",
    "generate_text": "sampling",
    "Vocab": "data.vocab", "resolve": "data.resolve", "DATA_FILES": "data.resolve",
    "DataFile": "data.resolve", "load_token_corpus": "data.corpora",
    "data_iter_random": "data.batches", "data_iter_consecutive": "data.batches",
    "RNNModel": "models.gluon", "evaluate_perplexity": "train.evaluate",
}
__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    raise AttributeError(f"module 'gluon_rnn' has no attribute {name!r}")
