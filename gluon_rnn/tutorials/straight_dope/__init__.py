"""The Straight Dope's char-RNN ("Recurrent Neural Networks with ``gluon``", its
from-scratch part): the whole tutorial in one file, ``nd`` + ``autograd``.

Corpus (The Time Machine as Project Gutenberg shipped it, licence cut) -> sorted
character list -> int32 codes -> lazy one-hot batches (rows contiguous in the
corpus) -> ``simple_rnn`` (parameters ``Wxh, Whh, bh, Why, by`` drawn from N(0, 1)
times 0.01; softmax with a temperature) -> mean per-step cross-entropy -> SGD, the
learning rate halved every 100 epochs -> temperature sampling; models saved as npz.

Where ours differs from the tutorial: the character list is sorted (``set`` order
changes from run to run), the softmax maximum is taken per row (the tutorial took
the maximum over the whole batch), the one-hot batches are built lazily (see
:func:`char_batches`) instead of all at once, and ``backward`` runs outside
``record``.
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Sequence, Tuple, Union

import mxnet as mx
import numpy as np
from mxnet import autograd, nd

from ..._checks import check_counts, check_rates
from ..._files import claim_output, locked_output
from ...data.batches import require_batches
from ...data.corpora import corpus_file, strip_gutenberg_licence
from ...data.resolve import read_file_text, read_text
from ...npzfile import read_npz, save_npz
from ...options import option
from ...sampling import draw
from ...signals import saving_when_stopped
from ...train.evaluate import check_diverged, perplexity
from ...train.report import EpochReport
from ...train.sizes import check_bytes

CHAR_RNN_NAMES = ("Wxh", "Whh", "bh", "Why", "by")
CHAR_CORPORA = {"timemachine": "timemachine-gutenberg.txt",
                "tinyshakespeare": "tinyshakespeare.txt"}

def load_char_corpus(corpus: str = "timemachine") -> str:
    """The text of a character corpus for the char-RNN:
    ``'timemachine'`` (Gutenberg edition, licence trimmed), ``'tinyshakespeare'``,
    or the path of any UTF-8 text file (a Gutenberg licence in it is trimmed too)."""
    if corpus in CHAR_CORPORA:
        text = read_text(CHAR_CORPORA[corpus])
    else:
        text = read_file_text(corpus_file(corpus, list(CHAR_CORPORA)))
    text = strip_gutenberg_licence(text)
    if len(text) < 2:
        raise ValueError(f"corpus {corpus!r} holds {len(text)} characters; it needs at least 2")
    return text


def character_list(text: str) -> List[str]:
    """The corpus's distinct characters, sorted: index ``i`` is character ``i``."""
    return sorted(set(text))


def encode_chars(text: str, characters: Sequence[str]) -> np.ndarray:
    """The tutorial's ``time_numerical`` as a compact int32 array (4 bytes a character,
    not a Python list of ints); characters outside ``characters`` are an error."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    lookup = np.full(max(max(map(ord, characters)), int(codes.max(initial=0))) + 1, -1, np.int32)
    lookup[[ord(c) for c in characters]] = np.arange(len(characters), dtype=np.int32)
    encoded = lookup[codes]
    if (encoded < 0).any():
        missing = sorted({text[i] for i in np.nonzero(encoded < 0)[0][:20]})
        raise ValueError(f"characters {missing} are not in the character list")
    return encoded


def one_hots(numerical_list: Sequence[int], vocab_size: int,
             ctx: Optional[mx.Context] = None) -> List[nd.NDArray]:
    """One ``(1, vocab_size)`` one-hot row per index (the tutorial's ``one_hots``)."""
    rows = nd.one_hot(nd.array(list(numerical_list), ctx=ctx), vocab_size)
    return [rows[i:i + 1] for i in range(len(numerical_list))]


def textify(vector_list: Sequence[nd.NDArray], characters: Sequence[str]) -> str:
    """The characters of a list of ``(1, vocab_size)`` rows (argmax of each)."""
    return "".join(characters[int(v[0].argmax(axis=0).asscalar())] for v in vector_list)


def char_batches(time_numerical: Union[Sequence[int], np.ndarray], seq_length: int,
                 batch_size: int, vocab_size: int, ctx: Optional[mx.Context] = None
                 ) -> Iterator[Tuple[List[nd.NDArray], List[nd.NDArray]]]:
    """The tutorial's stacked batches, one at a time: ``(data, labels)``, each a list of
    ``seq_length`` one-hot ``(batch_size, vocab_size)`` arrays.

    The corpus is cut into ``seq_length`` sequences; row ``r`` reads the ``r``-th
    of ``batch_size`` equal runs of sequences, so row ``r`` of batch ``i + 1``
    continues row ``r`` of batch ``i``; labels are the inputs shifted by one
    character. Only the current batch is ever one-hot encoded.
    """
    check_counts(seq_length=seq_length, batch_size=batch_size)
    corpus = np.asarray(time_numerical)
    num_sequences = (len(corpus) - 1) // seq_length
    per_row = num_sequences // batch_size
    require_batches(per_row, len(corpus), batch_size, seq_length, "the tutorial's",
                    "no start offset", steps_name="seq_length")
    steps = np.arange(seq_length)
    for i in range(per_row):
        starts = (np.arange(batch_size) * per_row + i) * seq_length
        idx = starts[:, None] + steps                      # (batch_size, seq_length)
        X = nd.one_hot(nd.array(corpus[idx].T, ctx=ctx), vocab_size)
        Y = nd.one_hot(nd.array(corpus[idx + 1].T, ctx=ctx), vocab_size)
        yield list(X), list(Y)


def get_params(num_inputs: int, num_hidden: int, num_outputs: int,
               ctx: Optional[mx.Context] = None) -> List[nd.NDArray]:
    """``[Wxh, Whh, bh, Why, by]``, N(0, 1) * 0.01, gradients attached."""
    shapes = [(num_inputs, num_hidden), (num_hidden, num_hidden), (num_hidden,),
              (num_hidden, num_outputs), (num_outputs,)]
    params = [nd.random_normal(shape=shape, ctx=ctx or mx.cpu()) * .01 for shape in shapes]
    for param in params:
        param.attach_grad()
    return params


def softmax(y_linear: nd.NDArray, temperature: float = 1.0) -> nd.NDArray:
    """Row-wise softmax of ``y_linear / temperature`` (low temperature sharpens,
    high flattens)."""
    lin = (y_linear - nd.max(y_linear, axis=1, keepdims=True)) / temperature
    exp = nd.exp(lin)
    return exp / nd.sum(exp, axis=1, keepdims=True)


def simple_rnn(inputs: Sequence[nd.NDArray], state: nd.NDArray, params: Sequence[nd.NDArray],
               temperature: float = 1.0) -> Tuple[List[nd.NDArray], nd.NDArray]:
    """``h_t = tanh(X_t Wxh + h_{t-1} Whh + bh)``, ``yhat_t = softmax(h_t Why + by)``."""
    Wxh, Whh, bh, Why, by = params
    outputs, h = [], state
    for X in inputs:
        h = nd.tanh(nd.dot(X, Wxh) + nd.dot(h, Whh) + bh)
        outputs.append(softmax(nd.dot(h, Why) + by, temperature=temperature))
    return outputs, h


def cross_entropy(yhat: nd.NDArray, y: nd.NDArray) -> nd.NDArray:
    """Mean over the batch of ``-sum(y * log(yhat))``."""
    return -nd.mean(nd.sum(y * nd.log(yhat), axis=0, exclude=True))


def average_ce_loss(outputs: Sequence[nd.NDArray], labels: Sequence[nd.NDArray]) -> nd.NDArray:
    """Cross-entropy averaged over the time steps."""
    if len(outputs) != len(labels):
        raise ValueError(f"{len(outputs)} outputs but {len(labels)} labels")
    total = cross_entropy(outputs[0], labels[0])
    for output, label in zip(outputs[1:], labels[1:]):
        total = total + cross_entropy(output, label)
    return total / len(outputs)


def SGD(params: Sequence[nd.NDArray], lr: float) -> None:
    """``param -= lr * grad`` in place."""
    for param in params:
        param[:] = param - lr * param.grad


def train_char_rnn(params, time_numerical: Union[Sequence[int], np.ndarray], vocab_size: int,
                   num_hidden: int, epochs: int, learning_rate: float = .5, seq_length: int = 64,
                   batch_size: int = 32, ctx: Optional[mx.Context] = None,
                   on_epoch: Optional[Callable[[EpochReport], None]] = None) -> List[float]:
    """The tutorial's training loop, its bugs fixed (``backward`` outside ``record``,
    batches built from the data actually loaded).

    The learning rate halves every 100 epochs (before epochs 99, 199, ... as the
    seed counts), the state starts at zero each epoch and is carried (detached)
    across batches, and the reported loss is the tutorial's moving average
    (``.99 * moving + .01 * loss``). ``on_epoch(report)`` follows epochs, the
    report's perplexity being ``exp`` of the moving loss. Returns the moving loss
    after each epoch (the tutorial's figure).
    """
    check_counts(epochs=epochs, num_hidden=num_hidden)
    check_rates(learning_rate=learning_rate)
    moving_loss: Optional[float] = None
    history: List[float] = []
    for e in range(epochs):
        start, tokens = time.time(), 0
        if (e + 1) % 100 == 0:
            learning_rate = learning_rate / 2.0
        state = nd.zeros(shape=(batch_size, num_hidden), ctx=ctx)
        for data, label in char_batches(time_numerical, seq_length, batch_size, vocab_size, ctx):
            state = state.detach()
            with autograd.record():
                outputs, state = simple_rnn(data, state, params)
                loss = average_ce_loss(outputs, label)
            loss.backward()
            SGD(params, learning_rate)
            value = float(loss.asscalar())
            tokens += len(label) * label[0].shape[0]
            moving_loss = value if moving_loss is None else .99 * moving_loss + .01 * value
        if moving_loss is None:  # char_batches refuses a text too short for one batch
            raise ValueError("no minibatch in an epoch: the text is too short")
        history.append(moving_loss)
        if on_epoch is not None:
            on_epoch(EpochReport(e + 1, perplexity(moving_loss, 1), time.time() - start, tokens))
    return history


def sample_chars(prefix: str, num_chars: int, params, characters: Sequence[str],
                 temperature: float = 1.0, rng: Optional[np.random.RandomState] = None,
                 ctx: Optional[mx.Context] = None) -> str:
    """The tutorial's ``sample``: run the prefix through the RNN, then
    draw ``num_chars`` characters one at a time from the softmax at ``temperature``
    (low: nearly greedy; high: nearly uniform). ``rng`` makes it repeatable."""
    return "".join(stream_chars(prefix, num_chars, params, characters, temperature, rng, ctx))


def stream_chars(prefix: str, num_chars: int, params, characters: Sequence[str],
                 temperature: float = 1.0, rng: Optional[np.random.RandomState] = None,
                 ctx: Optional[mx.Context] = None) -> Iterator[str]:
    """:func:`sample_chars` as it is drawn: the prefix, then each character as soon as it
    is sampled (the prefix is checked before the first one)."""
    if not prefix:
        raise ValueError("prefix must hold at least one character")
    index = {char: i for i, char in enumerate(characters)}
    unknown = sorted(set(prefix) - set(index))
    if unknown:
        raise ValueError(f"prefix characters {unknown} are not in the corpus's character list")
    rng = rng if rng is not None else np.random.RandomState()

    def chars(state, inputs):
        yield prefix
        for _ in range(num_chars):
            outputs, state = simple_rnn(inputs, state, params, temperature=temperature)
            probs = outputs[-1][0].asnumpy()
            if not np.isfinite(probs).all():  # the parameters are checked finite on loading
                raise ValueError(f"temperature {temperature:g} overflowed the tutorial's "
                                 "softmax (exp of scores / temperature); use a larger one")
            choice = draw(probs, rng)
            yield characters[choice]
            inputs = one_hots([choice], len(characters), ctx)
    return chars(nd.zeros(shape=(1, params[1].shape[0]), ctx=ctx),
                 one_hots([index[c] for c in prefix], len(characters), ctx))


def save_char_rnn(path: Union[str, Path], params, characters) -> Path:
    """The Straight Dope model: its five parameters and its character list (npz)."""
    arrays = {name: p.asnumpy() for name, p in zip(CHAR_RNN_NAMES, params)}
    arrays["characters"] = np.array(list(characters), dtype=str)
    return save_npz(path, arrays)


def load_char_rnn(path: Union[str, Path], ctx=None):
    """``(params, characters)`` from :func:`save_char_rnn`'s file, shapes checked."""
    arrays = read_npz(path, "npz char-RNN model file", CHAR_RNN_NAMES + ("characters",),
                      kinds={"characters": "U"})
    if arrays["characters"].ndim != 1 or arrays["Whh"].ndim != 2:
        raise ValueError(f"{path}: characters must be a list and Whh a matrix, got shapes "
                         f"{arrays['characters'].shape} and {arrays['Whh'].shape}")
    characters = [str(c) for c in arrays["characters"]]
    if len(set(characters)) != len(characters) or any(len(c) != 1 for c in characters):
        raise ValueError(f"{path}: its character list must hold distinct single characters")
    surrogates = [c for c in characters if "\ud800" <= c <= "\udfff"]
    if surrogates:  # half of a UTF-16 pair: no text holds it, and it cannot be printed
        raise ValueError(f"{path}: its character list holds {ascii(surrogates[0])}, half of a "
                         "surrogate pair, which is no character of any text: the file was "
                         "damaged or written by something else")
    V, H = len(characters), arrays["Whh"].shape[0]
    expected = {"Wxh": (V, H), "Whh": (H, H), "bh": (H,), "Why": (H, V), "by": (V,)}
    for name, shape in expected.items():
        if arrays[name].shape != shape:
            raise ValueError(f"{path}: {name} has shape {arrays[name].shape}, expected {shape} "
                             f"for {V} characters and {H} hidden units")
    params = [nd.array(arrays[name], ctx=ctx) for name in CHAR_RNN_NAMES]
    for p in params:
        p.attach_grad()
    return params, characters


class StraightDopeRNN:
    """The tutorial's globals (parameters, character list, context) in one object, so its
    functions keep their signatures: ``simple_rnn(inputs, state, temperature=1.0)``
    and ``sample(prefix, num_chars, temperature=1.0)``."""

    def __init__(self, characters: Sequence[str], num_hidden: int = 256,
                 ctx: Optional[mx.Context] = None, params: Optional[List[nd.NDArray]] = None,
                 seed: Optional[int] = None):
        self.characters, self.num_hidden, self.ctx = list(characters), num_hidden, ctx
        self.rng = np.random.RandomState(seed)
        self.params = params if params is not None else get_params(
            len(self.characters), num_hidden, len(self.characters), ctx)

    def simple_rnn(self, inputs, state, temperature: float = 1.0):
        return simple_rnn(inputs, state, self.params, temperature)

    def usable_prefix(self, prefix: str, text: str) -> str:
        """``prefix`` without the characters the model does not know (else the
        corpus's first character)."""
        known = set(self.characters)
        return "".join(c for c in prefix if c in known) or text[0]

    def sample(self, prefix: str, num_chars: int, temperature: float = 1.0) -> str:
        return sample_chars(prefix, num_chars, self.params, self.characters, temperature,
                            self.rng, self.ctx)


def new_model(text: str, num_hidden: int = 256, seed: int = 1,
              ctx: Optional[mx.Context] = None) -> StraightDopeRNN:
    """A fresh model for ``text``'s characters: MXNet's generator seeded with ``seed``
    for the parameters, and a sampler seeded with it too."""
    characters = character_list(text)
    vocab_size = len(characters)  # parameters, gradients and a 64 x 32 minibatch's states
    check_bytes(4 * 2 * (2 * vocab_size * num_hidden + num_hidden * num_hidden)
                + 4 * 64 * 32 * (2 * vocab_size + 2 * num_hidden),
                f"a char-RNN of {num_hidden} hidden units over {vocab_size} characters",
                "--num-hidden")
    mx.random.seed(seed)
    return StraightDopeRNN(characters, num_hidden, ctx, seed=seed)


@dataclasses.dataclass(frozen=True)
class CharRNNConfig:
    """A training run of the char-RNN as ``gluon-rnn straight-dope train`` takes it (the
    tutorial's values: 256 hidden units, sequences of 64, batches of 32, learning rate .5,
    a sample at temperature .1 after every epoch)."""

    corpus: str = option("timemachine", "timemachine (Gutenberg edition, licence trimmed), "
                         "tinyshakespeare, or a file path", "path")
    epochs: int = option(10, "passes over the corpus", "count", aliases=("--num-epochs",))
    num_hidden: int = option(256, "hidden units", "count", aliases=("--num-hiddens",))
    seq_length: int = option(64, "characters per sequence", "count", aliases=("--num-steps",))
    batch_size: int = option(32, "sequences per batch", "count")
    learning_rate: float = option(.5, "SGD learning rate", "rate", aliases=("--lr",))
    max_chars: Optional[int] = option(None, "train on the first N characters only", "count")
    prefix: str = option("The Time Ma", "prefix sampled after each epoch (characters the corpus "
                         "lacks are left out)")
    sample_chars: int = option(200, "characters sampled after each epoch (0: none)", "count0")
    temperature: float = option(.1, "sampling temperature", "rate")
    seed: int = option(1, "seed for parameters and sampling", "count0")


@dataclasses.dataclass(frozen=True)
class SampleConfig:
    """How ``gluon-rnn straight-dope sample`` draws text from a model file."""

    prefix: str = option("The ", "text to start from")
    num_chars: int = option(500, "characters to sample", "count")
    temperature: float = option(1.0, "low: sharper, high: noisier", "rate")
    seed: Optional[int] = option(None, "sampling seed (repeatable output)", "count0")


def train_model(model: StraightDopeRNN, text: str, config: CharRNNConfig = CharRNNConfig(),
                on_epoch: Optional[Callable[[EpochReport], None]] = None,
                save_to: Optional[Union[str, Path]] = None,
                overwrite: bool = False) -> List[float]:
    """:func:`train_char_rnn` on ``text`` with ``model``'s parameters (in place), stopped
    with :class:`~gluon_rnn.train.evaluate.Diverged` when an epoch leaves the model worse
    than guessing (nothing of it is worth saving then); ``on_epoch`` follows the others.
    With ``save_to`` the model is saved there at the end, and also when Ctrl-C or SIGTERM
    stops the training (the model as it stands, when its parameters are finite); the file
    is claimed before training (an existing one is replaced only with ``overwrite``) and
    held while it trains (a second run writing it is refused)."""
    if save_to is None:
        return _save_when_done(model, text, config, on_epoch, None)
    with locked_output(save_to, "a model"):
        check_model_file(save_to, overwrite)
        return _save_when_done(model, text, config, on_epoch, save_to)


def check_model_file(path: Union[str, Path], overwrite: bool = False) -> Path:
    """Refuse ``path`` as a model file to write: an existing file unless ``overwrite``, a
    folder, or one that cannot be written (what :func:`train_model` checks before it
    trains; a caller may ask before it even reads the corpus)."""
    return claim_output(path, overwrite, "a model")


def _save_when_done(model: StraightDopeRNN, text: str, config: CharRNNConfig,
                    on_epoch: Optional[Callable[[EpochReport], None]],
                    save_to: Optional[Union[str, Path]]) -> List[float]:
    def save() -> Optional[List[Path]]:
        if save_to is None or not all(np.isfinite(p.asnumpy()).all() for p in model.params):
            return None
        return [save_char_rnn(save_to, model.params, model.characters)]

    with saving_when_stopped(save):
        losses = _train(model, text, config, on_epoch)
    save()
    return losses


def _train(model: StraightDopeRNN, text: str, config: CharRNNConfig,
           on_epoch: Optional[Callable[[EpochReport], None]]) -> List[float]:
    def report(rep: EpochReport) -> None:
        check_diverged(rep.perplexity, len(model.characters), "characters",
                       "; nothing was saved: lower --learning-rate", f" in epoch {rep.epoch - 1}")
        if on_epoch is not None:
            on_epoch(rep)

    return train_char_rnn(model.params, encode_chars(text, model.characters),
                          len(model.characters), model.num_hidden, config.epochs,
                          config.learning_rate, config.seq_length, config.batch_size, model.ctx,
                          report)
