"""Building what a run trains: the network a :class:`~.config.TrainConfig` names, its
initialisation on every context and its trainer."""
from __future__ import annotations

from typing import List, Sequence, Union

import mxnet as mx
from mxnet import gluon

from .config import TrainConfig, initializer
from .distributed import broadcast_initial_parameters

Contexts = Union[mx.Context, Sequence[mx.Context], None]


def contexts(ctx: Contexts) -> List[mx.Context]:
    """``ctx`` as a non-empty list (``None``: the CPU)."""
    if ctx is None:
        return [mx.cpu()]
    return [ctx] if isinstance(ctx, mx.Context) else list(ctx)


def build_model(config: TrainConfig, vocab_size: int) -> gluon.Block:
    """The network a configuration names: d2l's from-scratch RNN as a block, or
    :class:`~gluon_rnn.models.gluon.RNNModel` around Gluon's RNN/GRU/LSTM, hybridized."""
    from mxnet.gluon import rnn

    from ..models.gluon import RNNModel
    from ..models.scratch import ScratchRNNModel

    if config.model == "scratch":
        return ScratchRNNModel(vocab_size, config.num_hiddens)
    layer = {"rnn": rnn.RNN, "gru": rnn.GRU, "lstm": rnn.LSTM}[config.model]
    net = RNNModel(layer(config.num_hiddens, num_layers=config.num_layers, dropout=config.dropout),
                   vocab_size, embed_size=config.embed_size or None, dropout=config.dropout)
    net.hybridize(static_alloc=True)  # one compiled graph per input shape
    return net


def initialize(net: gluon.Block, ctx: Contexts, how: str = "normal") -> gluon.Block:
    """Initialise the weights (``how``: a key of
    :data:`~gluon_rnn.train.config.INITIALIZERS`; the default is d2l's N(0, 0.01^2)) on
    every context (equal copies) and run one token through the network, so every
    parameter has its shape before a checkpoint is restored into it."""
    from mxnet import nd

    ctxs = contexts(ctx)
    net.initialize(initializer(how), ctx=ctxs)
    net(nd.zeros((1, 1), ctx=ctxs[0]), net.begin_state(batch_size=1, ctx=ctxs[0]))
    return net


def make_trainer(config: TrainConfig, net: gluon.Block, kvstore=None) -> gluon.Trainer:
    """Plain SGD (d2l's) or Adam over all of ``net``'s parameters. With several
    contexts the gradients are summed through a ``device`` KVStore and each context
    updates its own copy (``update_on_kvstore=False``, so they can be clipped in
    between)."""
    options = {"learning_rate": config.lr}
    if config.optimizer == "sgd":
        options.update(momentum=0, wd=0)
    trainer = gluon.Trainer(net.collect_params(), config.optimizer, options,
                            kvstore=kvstore or "device", update_on_kvstore=False)
    if kvstore is not None:
        broadcast_initial_parameters(trainer)
    return trainer
