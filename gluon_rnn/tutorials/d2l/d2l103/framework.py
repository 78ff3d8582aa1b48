"""The object-oriented frame of d2l-en 1.0 (``d2l==1.0.3``): hyperparameters saved from
the caller's frame, a progress board, ``Module``, ``DataModule`` and ``Trainer``, with the
models the recurrent chapters reach (``Classifier``, ``LinearRegression``, ``SGD``).

As d2l's, faithfully (the same attributes, draws and arithmetic); minus its crashes: a
``Module`` without ``net`` or ``forward``, a ``Trainer`` fitted on no data or for 0 epochs
is a ``ValueError`` saying so (d2l asserts, or fails later); figures appear inline in
Jupyter and are kept for ``gluon-rnn chapter --figures`` elsewhere (:mod:`..base.plotting`).
"""
from __future__ import annotations

import collections
import inspect
import math
import sys
from typing import Any, Dict, Sequence, Tuple

from mxnet import autograd, gluon, init, np
from mxnet.gluon import nn

from ...._checks import check_counts, check_rates
from ....data.batches import check_indices
from ..base import gpu, pyplot, show, to, use_svg_display
from ..base import num_gpus as _num_gpus


def add_to_class(Class):
    """Register the decorated function as a method of ``Class`` (d2l ``add_to_class``)."""
    def wrapper(obj):
        setattr(Class, obj.__name__, obj)
    return wrapper


class HyperParameters:
    """The base class of hyperparameters (d2l ``HyperParameters``)."""

    def save_hyperparameters(self, ignore=()):
        """Save the calling ``__init__``'s arguments as attributes (and in ``hparams``)."""
        _, _, _, local_vars = inspect.getargvalues(sys._getframe(1))  # the caller's frame
        self.hparams = {k: v for k, v in local_vars.items()
                        if k not in set(list(ignore) + ["self"]) and not k.startswith("_")}
        for k, v in self.hparams.items():
            setattr(self, k, v)


class ProgressBoard(HyperParameters):
    """The board that plots data points in animation (d2l ``ProgressBoard``): each
    ``draw`` adds a point, every ``every_n`` points their mean goes on the curve."""

    # set by save_hyperparameters from __init__'s arguments (named here for the type checker)
    xlabel: Any
    ylabel: Any
    xlim: Any
    ylim: Any
    xscale: str
    yscale: str
    ls: Sequence[str]
    colors: Sequence[str]
    fig: Any
    axes: Any
    figsize: Tuple[float, float]
    display: bool
    raw_points: Dict[str, list]
    data: Dict[str, list]

    def __init__(self, xlabel=None, ylabel=None, xlim=None, ylim=None, xscale="linear",
                 yscale="linear", ls=("-", "--", "-.", ":"), colors=("C0", "C1", "C2", "C3"),
                 fig=None, axes=None, figsize=(3.5, 2.5), display=True):
        self.save_hyperparameters()

    def draw(self, x, y, label, every_n=1):
        Point = collections.namedtuple("Point", ["x", "y"])
        if not hasattr(self, "raw_points"):
            self.raw_points = collections.OrderedDict()
            self.data = collections.OrderedDict()
        if label not in self.raw_points:
            self.raw_points[label] = []
            self.data[label] = []
        points = self.raw_points[label]
        line = self.data[label]
        points.append(Point(x, y))
        if len(points) != every_n:
            return
        line.append(Point(sum(p.x for p in points) / len(points),
                          sum(p.y for p in points) / len(points)))
        points.clear()
        if not self.display:
            return
        self._redraw()

    def _redraw(self):
        plt = pyplot()
        use_svg_display()
        if self.fig is None:
            self.fig = plt.figure(figsize=self.figsize)
        plt_lines, labels = [], []
        for (k, v), ls, color in zip(self.data.items(), self.ls, self.colors):
            plt_lines.append(plt.plot([p.x for p in v], [p.y for p in v], linestyle=ls,
                                      color=color)[0])
            labels.append(k)
        axes = self.axes if self.axes else plt.gca()
        if self.xlim:
            axes.set_xlim(self.xlim)
        if self.ylim:
            axes.set_ylim(self.ylim)
        if not self.xlabel:
            self.xlabel = getattr(self, "x", "x")  # d2l reads an attribute it never sets
        axes.set_xlabel(self.xlabel)
        axes.set_ylabel(self.ylabel)
        axes.set_xscale(self.xscale)
        axes.set_yscale(self.yscale)
        axes.legend(plt_lines, labels)
        show(self.fig, replace=True)


class Module(nn.Block, HyperParameters):
    """The base class of models (d2l ``Module``)."""

    def __init__(self, plot_train_per_epoch=2, plot_valid_per_epoch=1):
        super().__init__()
        self.save_hyperparameters()
        self.board = ProgressBoard()

    def loss(self, y_hat, y):
        raise NotImplementedError(f"{type(self).__name__} defines no loss: give it a `loss` "
                                  "method (or derive it from Classifier)")

    def forward(self, X, *args):  # *args: what subclasses take (an encoder-decoder's two)
        if not hasattr(self, "net"):
            raise ValueError(f"{type(self).__name__} has no `net` and no `forward` of its own: "
                             "set self.net or define forward")
        return self.net(X, *args)

    def plot(self, key, value, train):
        """Plot a point in animation."""
        if not hasattr(self, "trainer"):
            raise ValueError("the model is not being trained: plot is called by its Trainer")
        self.board.xlabel = "epoch"
        if train:
            x = self.trainer.train_batch_idx / self.trainer.num_train_batches
            n = self.trainer.num_train_batches / self.plot_train_per_epoch
        else:
            x = self.trainer.epoch + 1
            n = self.trainer.num_val_batches / self.plot_valid_per_epoch
        self.board.draw(x, value.asnumpy(), ("train_" if train else "val_") + key,
                        every_n=int(n))

    def training_step(self, batch):
        l = self.loss(self(*batch[:-1]), batch[-1])
        self.plot("loss", l, train=True)
        return l

    def validation_step(self, batch):
        l = self.loss(self(*batch[:-1]), batch[-1])
        self.plot("loss", l, train=False)

    def configure_optimizers(self):
        params = self.parameters()
        if isinstance(params, list):
            return SGD(params, self.lr)
        return gluon.Trainer(params, "sgd", {"learning_rate": self.lr})

    def get_scratch_params(self):
        params = []
        for attr in dir(self):
            a = getattr(self, attr)
            if isinstance(a, np.ndarray):
                params.append(a)
            if isinstance(a, Module):
                params.extend(a.get_scratch_params())
        return params

    def parameters(self):
        params = self.collect_params()
        return params if isinstance(params, gluon.parameter.ParameterDict) and len(
            params.keys()) else self.get_scratch_params()

    def set_scratch_params_device(self, device):
        for attr in dir(self):
            a = getattr(self, attr)
            if isinstance(a, np.ndarray):
                with autograd.record():
                    setattr(self, attr, a.as_in_ctx(device))
                getattr(self, attr).attach_grad()
            if isinstance(a, Module):
                a.set_scratch_params_device(device)
            if isinstance(a, list):
                for elem in a:
                    elem.set_scratch_params_device(device)


class DataModule(HyperParameters):
    """The base class of data (d2l ``DataModule``)."""

    root: str  # set by save_hyperparameters from __init__'s arguments (a subclass's too)
    batch_size: int

    def __init__(self, root="../data", num_workers=4):
        self.save_hyperparameters()

    def get_dataloader(self, train):
        raise NotImplementedError(f"{type(self).__name__} defines no get_dataloader")

    def train_dataloader(self):
        return self.get_dataloader(train=True)

    def val_dataloader(self):
        return self.get_dataloader(train=False)

    def get_tensorloader(self, tensors, train, indices=slice(0, None)):
        """A Gluon ``DataLoader`` over ``tensors[indices]``, shuffled for training (from
        numpy's global generator, as Gluon's always is)."""
        tensors = tuple(a[indices] for a in tensors)
        dataset = gluon.data.ArrayDataset(*tensors)
        return gluon.data.DataLoader(dataset, self.batch_size, shuffle=train)


def _check_model_and_data(model, data) -> None:
    """What d2l trains on without a word, and gets wrong: a learning rate that is not a
    positive number, a language model that scores another number of tokens than the
    data's vocabulary has, or data with indices beyond it (clipped one-hot inputs)."""
    if isinstance(getattr(model, "lr", None), (int, float)):
        check_rates(lr=model.lr)
    vocab, size = getattr(data, "vocab", None), getattr(model, "vocab_size", None)
    if vocab is None or not isinstance(size, int):
        return
    if size != len(vocab):
        raise ValueError(f"the model scores {size} tokens but the data's vocabulary has "
                         f"{len(vocab)}: build it with vocab_size=len(data.vocab)")
    X = getattr(data, "X", None)
    if X is not None and hasattr(X, "asnumpy"):
        check_indices(X.asnumpy(), size, "the data's token indices")


class Trainer(HyperParameters):
    """Fit a :class:`Module` to a :class:`DataModule` (d2l ``Trainer``): SGD steps over the
    training batches, gradients clipped to ``gradient_clip_val`` when it is positive, the
    validation batches evaluated after each epoch, on ``num_gpus`` GPUs at most."""

    max_epochs: int  # set by save_hyperparameters from __init__'s arguments
    gradient_clip_val: float

    def __init__(self, max_epochs, num_gpus=0, gradient_clip_val=0):
        self.save_hyperparameters()
        self.gpus = [gpu(i) for i in range(min(num_gpus, _num_gpus()))]

    def prepare_data(self, data):
        self.train_dataloader = data.train_dataloader()
        self.val_dataloader = data.val_dataloader()
        self.num_train_batches = len(self.train_dataloader)
        self.num_val_batches = (len(self.val_dataloader)
                                if self.val_dataloader is not None else 0)
        if not self.num_train_batches:
            raise ValueError("the data give no training batch: use more training examples "
                             "or a smaller batch_size")

    def prepare_model(self, model):
        model.trainer = self
        model.board.xlim = [0, self.max_epochs]
        if self.gpus:
            model.collect_params().reset_ctx(self.gpus[0])
            model.set_scratch_params_device(self.gpus[0])
        self.model = model

    def fit(self, model, data):
        check_counts(max_epochs=self.max_epochs)
        _check_model_and_data(model, data)
        self.prepare_data(data)
        self.prepare_model(model)
        self.optim = model.configure_optimizers()
        self.epoch = 0
        self.train_batch_idx = 0
        self.val_batch_idx = 0
        for epoch in range(self.max_epochs):
            self.epoch = epoch
            self.fit_epoch()

    def prepare_batch(self, batch):
        if self.gpus:
            batch = [to(a, self.gpus[0]) for a in batch]
        return batch

    def fit_epoch(self):
        for batch in self.train_dataloader:
            with autograd.record():
                loss = self.model.training_step(self.prepare_batch(batch))
            loss.backward()
            if self.gradient_clip_val > 0:
                self.clip_gradients(self.gradient_clip_val, self.model)
            self.optim.step(1)
            self.train_batch_idx += 1
        if self.val_dataloader is None:
            return
        for batch in self.val_dataloader:
            self.model.validation_step(self.prepare_batch(batch))
            self.val_batch_idx += 1

    def clip_gradients(self, grad_clip_val, model):
        """d2l's clipping: the joint L2 norm with a ``**`` per element."""
        params = model.parameters()
        if not isinstance(params, list):
            params = [p.data() for p in params.values()]
        norm = math.sqrt(sum((p.grad ** 2).sum() for p in params))
        if norm > grad_clip_val:
            for param in params:
                param.grad[:] *= grad_clip_val / norm


class SGD(HyperParameters):
    """Minibatch SGD over scratch parameters (d2l ``SGD``)."""

    params: Any  # set by save_hyperparameters from __init__'s arguments
    lr: float

    def __init__(self, params, lr):
        self.save_hyperparameters()

    def step(self, _):
        for param in self.params:
            param -= self.lr * param.grad


class Classifier(Module):
    """The base class of classification models (d2l ``Classifier``)."""

    def validation_step(self, batch):
        Y_hat = self(*batch[:-1])
        self.plot("loss", self.loss(Y_hat, batch[-1]), train=False)
        self.plot("acc", self.accuracy(Y_hat, batch[-1]), train=False)

    def accuracy(self, Y_hat, Y, averaged=True):
        Y_hat = Y_hat.reshape((-1, Y_hat.shape[-1]))
        preds = Y_hat.argmax(axis=1).astype(Y.dtype)
        compare = (preds == Y.reshape(-1)).astype(np.float32)
        return compare.mean() if averaged else compare

    def loss(self, Y_hat, Y, averaged=True):
        Y_hat = Y_hat.reshape((-1, Y_hat.shape[-1]))
        Y = Y.reshape((-1,))
        l = gluon.loss.SoftmaxCrossEntropyLoss()(Y_hat, Y)
        return l.mean() if averaged else l

    def layer_summary(self, X_shape):
        X = np.random.randn(*X_shape)
        for layer in self.net:
            X = layer(X)
            print(layer.__class__.__name__, "output shape:\t", X.shape)


class LinearRegression(Module):
    """Linear regression with Gluon's ``Dense`` (d2l ``LinearRegression``)."""

    def __init__(self, lr):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Dense(1)
        self.net.initialize(init.Normal(sigma=0.01))

    def forward(self, X):
        return self.net(X)

    def loss(self, y_hat, y):
        return gluon.loss.L2Loss()(y_hat, y).mean()

    def configure_optimizers(self):
        return gluon.Trainer(self.collect_params(), "sgd", {"learning_rate": self.lr})

    def get_w_b(self):
        return (self.net.weight.data(), self.net.bias.data())
