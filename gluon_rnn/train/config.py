"""What defines a training run (:class:`TrainConfig`), its checks, and named presets.
Nothing here loads MXNet (``gluon-rnn --help`` reads the defaults)."""
from __future__ import annotations

import dataclasses
import math
import types
from typing import Mapping

from .. import _schema as S
from .._checks import (
    FLOAT32_MAX,
    FLOAT32_TINY,
    SMALLEST_NORMAL,
    check_choice,
    check_counts,
    check_rates,
)
from ..data.corpora import LEVELS
from ..options import option

MODELS = ("scratch", "rnn", "gru", "lstm")


ITERATORS = ("random", "consecutive")


OPTIMIZERS = ("sgd", "adam")


MAX_LAYERS = 100  # see TrainConfig.check


INITIALIZERS = {  # name: what it is
    "normal": "N(0, 0.01^2), d2l's",
    "uniform": "U(-0.1, 0.1), Zaremba et al.'s",
    "xavier": "Xavier (Glorot) uniform",
}


def initializer(name: str):
    """The MXNet initializer of :data:`INITIALIZERS` ``name``."""
    from mxnet import init

    check_choice("init", name, tuple(INITIALIZERS))
    return {"normal": lambda: init.Normal(0.01), "uniform": lambda: init.Uniform(0.1),
            "xavier": lambda: init.Xavier()}[name]()


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a run. Defaults follow d2l's "Concise Implementation
    of Recurrent Neural Networks" (256 hidden units, 35 steps, batch 32, SGD with
    learning rate 1, clipping at 1)."""

    model: str = option("rnn", "scratch: d2l 8.5's RNN from scratch; rnn/gru/lstm: Gluon's fused "
                        "layers in RNNModel", "choice", choices=MODELS)
    iter: str = option("consecutive", "minibatch partitioning (d2l 8.3)", "choice",
                       choices=ITERATORS)
    corpus: str = option("timemachine", "timemachine, tinyshakespeare, ptb (its own valid/test), "
                         "or a UTF-8 text file", "path")
    level: str = option("char", "tokens: characters or words", "choice", choices=LEVELS)
    num_hiddens: int = option(256, "hidden units per layer", "int")
    num_layers: int = option(1, "recurrent layers (Gluon models)", "int")
    embed_size: int = option(0, "embedding size; 0 feeds one-hot vectors as d2l does", "int")
    dropout: float = option(0.0, "dropout on embedding, between and after layers (training "
                            "only)", "number")
    num_steps: int = option(35, "time steps per example (BPTT length)", "int")
    batch_size: int = option(32, "examples per minibatch", "int")
    num_epochs: int = option(20, "epochs in all (with --resume: may be raised to train on)", "int",
                             aliases=("--epochs",))
    optimizer: str = option("sgd", "optimizer (sgd is d2l's: no momentum, no decay)", "choice",
                            choices=OPTIMIZERS)
    lr: float = option(1.0, "learning rate", "number")
    lr_decay: float = option(1.0, "factor applied to the learning rate each epoch after "
                             "--decay-after", "number")
    decay_after: int = option(0, "epochs at the full learning rate before --lr-decay applies",
                              "int")
    clipping_theta: float = option(1.0, "gradient-norm clipping threshold", "number")
    init: str = option("normal", "weight initialisation: N(0, 0.01^2) as d2l, U(-0.1, 0.1) as "
                       "Zaremba et al., or Xavier", "choice", choices=tuple(INITIALIZERS))
    valid_fraction: float = option(0.1, "share of the corpus held out at its end for validation "
                                   "(ptb uses its own files)", "number")
    seed: int = option(0, "seed of parameters, minibatch order and dropout", "int")
    skip_nonfinite: bool = option(False, "skip (and count) minibatches whose loss is NaN or "
                                  "infinite instead of stopping", "switch")

    @classmethod
    def schema(cls) -> S.Check:
        """Each field with its type (a checkpoint's JSON is checked against it; the ranges
        are :meth:`check`'s)."""
        kinds = {"int": S.integer(), "float": S.number(finite=False), "str": S.string(),
                 "bool": S.boolean()}
        return S.record({f.name: kinds[str(f.type)] for f in dataclasses.fields(cls)})

    @classmethod
    def from_mapping(cls, values: Mapping, where: str = "the configuration") -> "TrainConfig":
        """The configuration a mapping describes, checked: an unknown or missing field, a
        value of the wrong kind or out of range is a ``ValueError`` naming it and
        ``where`` it came from."""
        return cls(**cls.schema()(values, where)).check()

    def check(self) -> "TrainConfig":
        """Raise ``ValueError`` naming the first bad option."""
        check_choice("model", self.model, MODELS)
        check_choice("iter", self.iter, ITERATORS)
        check_choice("level", self.level, LEVELS)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_choice("init", self.init, tuple(INITIALIZERS))
        check_counts(num_hiddens=self.num_hiddens, num_layers=self.num_layers,
                     num_steps=self.num_steps, batch_size=self.batch_size,
                     num_epochs=self.num_epochs)
        check_rates(lr=self.lr, clipping_theta=self.clipping_theta, lr_decay=self.lr_decay)
        if self.embed_size < 0 or self.decay_after < 0 or not (
                self.dropout == 0 or SMALLEST_NORMAL <= self.dropout < 1):
            raise ValueError("embed_size and decay_after must be >= 0 and dropout in [0, 1); got "
                             f"{self.embed_size}, {self.decay_after}, {self.dropout}")
        last = self.learning_rate(self.num_epochs)
        if not (FLOAT32_TINY <= min(self.lr, last) and max(self.lr, last) <= FLOAT32_MAX):
            raise ValueError(f"lr {self.lr:g} with lr_decay {self.lr_decay:g} after epoch "
                             f"{self.decay_after} gives a learning rate of {last:g} by epoch "
                             f"{self.num_epochs} (MXNet's optimizers take it as a float32, "
                             f"from {FLOAT32_TINY:.3g} to {FLOAT32_MAX:.3g}: outside that it "
                             "becomes 0 or infinite); choose another lr, a lr_decay closer to 1 "
                             "or fewer epochs")
        if not 0 < self.valid_fraction < 1 or not 0 <= self.seed <= 2**31 - 1:
            raise ValueError("valid_fraction must be between 0 and 1 and seed from 0 to "
                             f"2**31 - 1; got {self.valid_fraction}, {self.seed}")
        if self.num_layers > MAX_LAYERS:
            raise ValueError(f"num_layers {self.num_layers} is more than {MAX_LAYERS}: stacks of "
                             "plain recurrent layers that deep do not train, and each minibatch "
                             f"would take minutes; use at most {MAX_LAYERS}")
        if self.model == "scratch" and (self.num_layers != 1 or self.embed_size or self.dropout):
            raise ValueError("the scratch model is d2l's one-layer one-hot RNN: it takes no "
                             "num_layers, embed_size or dropout; use --model rnn for those")
        return self

    def learning_rate(self, epoch: int) -> float:
        """``lr`` up to epoch ``decay_after``, then multiplied by ``lr_decay`` each epoch
        (Zaremba et al.'s schedule: ``decay_after=4, lr_decay=0.5``); ``inf`` or 0 past
        float range."""
        try:
            return self.lr * self.lr_decay ** max(0, epoch - self.decay_after)
        except OverflowError:
            return math.inf


# Options a resumed run may change; the others define the model and its data.
RESUMABLE_CHANGES = ("num_epochs", "skip_nonfinite")


PRESETS: Mapping[str, TrainConfig] = types.MappingProxyType({  # frozen configs
    # Zaremba et al. (2014), the small non-regularised LSTM on the Penn Treebank, in
    # this library's loss normalisation (mean over batch_size x num_steps tokens, where
    # they sum over the 20 steps): their lr 1 and clipping at 5 are lr 20 and 0.25 here.
    "zaremba-small": TrainConfig(model="lstm", iter="consecutive", corpus="ptb", level="word",
                                 num_hiddens=200, num_layers=2, embed_size=200, num_steps=20,
                                 batch_size=20, num_epochs=13, lr=20.0, lr_decay=0.5,
                                 decay_after=4, clipping_theta=0.25, init="uniform"),
    # d2l's "Concise Implementation of Recurrent Neural Networks" (the defaults).
    "d2l-concise": TrainConfig(),
})


def preset(name: str, **changes) -> TrainConfig:
    """A named preset (:data:`PRESETS`), with ``changes``."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; known: {', '.join(sorted(PRESETS))}")
    return dataclasses.replace(PRESETS[name], **changes).check()
