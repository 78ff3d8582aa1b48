"""Random against consecutive (sequential) partitioning: the chapter's closing
experiment (seed 003, §8.5.6) as a reusable function, with a table, CSV and plot.

Both runs start from the same seed, so they share the initial parameters and
differ only in how minibatches are cut and how the hidden state is initialised.
"""
from __future__ import annotations

import csv
import dataclasses
import random
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import mxnet as mx

from ._files import atomic_write
from .models.scratch import init_rnn_state, params_factory, rnn
from .sampling import predict_rnn
from .training import EpochReport, train_rnn

ITERATORS = ("random", "consecutive")


@dataclasses.dataclass
class CompareConfig:
    """Hyper-parameters of the comparison (the chapter's names)."""

    num_epochs: int = 250
    num_hiddens: int = 256
    num_steps: int = 35
    batch_size: int = 32
    lr: float = 1.0
    clipping_theta: float = 1.0
    prefixes: Sequence[str] = ("traveller", "time traveller")
    pred_len: int = 50
    seed: int = 0


@dataclasses.dataclass
class RunResult:
    """One partitioning's training curve and its final samples."""

    iterator: str
    reports: List[EpochReport]
    samples: Dict[str, str]

    @property
    def perplexities(self) -> List[float]:
        return [rep.perplexity for rep in self.reports]


def seed_generators(seed: int) -> random.Random:
    """Seed MXNet's generator (parameter initialisation) and return a
    :class:`random.Random` for the iterators; the caller asked for this by
    passing ``seed``, and Python's global generator is left alone."""
    mx.random.seed(seed)
    return random.Random(seed)


def run_comparison(corpus_indices: Sequence[int], vocab, config: CompareConfig,
                   ctx: Optional[mx.Context] = None, iterators: Sequence[str] = ITERATORS,
                   on_epoch: Optional[Callable[[str, EpochReport], None]] = None
                   ) -> Dict[str, RunResult]:
    """Train the chapter's from-scratch RNN once per partitioning; return the results
    keyed by iterator name. ``on_epoch(iterator, report)`` follows progress."""
    ctx = ctx or mx.cpu()
    results: Dict[str, RunResult] = {}
    for name in iterators:
        if name not in ITERATORS:
            raise ValueError(f"iterator {name!r} is not one of {', '.join(ITERATORS)}")
        rng = seed_generators(config.seed)
        params, reports = train_rnn(
            rnn, params_factory(len(vocab), config.num_hiddens, ctx), init_rnn_state,
            config.num_hiddens, corpus_indices, vocab, ctx, name == "random",
            config.num_epochs, config.num_steps, config.lr, config.clipping_theta,
            config.batch_size, rng=rng,
            on_epoch=None if on_epoch is None else (lambda rep, _p, n=name: on_epoch(n, rep)))
        samples = {prefix: predict_rnn(prefix, config.pred_len, rnn, params, init_rnn_state,
                                       config.num_hiddens, vocab, ctx)
                   for prefix in config.prefixes}
        results[name] = RunResult(name, reports, samples)
    return results


def format_table(results: Dict[str, RunResult], every: int = 1) -> str:
    """Side-by-side perplexity per epoch (every ``every`` epochs, and the last),
    then the final samples."""
    names = list(results)
    epochs = len(next(iter(results.values())).reports)
    header = f"{'epoch':>6}" + "".join(f"{name:>14}" for name in names)
    lines = [header, "-" * len(header)]
    for i in range(epochs):
        if (i + 1) % every and i + 1 != epochs:
            continue
        lines.append(f"{i + 1:>6}" + "".join(f"{results[n].perplexities[i]:>14.4f}" for n in names))
    for name in names:
        lines.append(f"\n{name} partitioning, final samples:")
        lines += [f" - {text!r}" for text in results[name].samples.values()]
    return "\n".join(lines)


def write_csv(results: Dict[str, RunResult], path) -> Path:
    """One row per (iterator, epoch): perplexity, seconds, tokens/s."""
    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["iterator", "epoch", "perplexity", "seconds", "tokens_per_second"])
            for name, result in results.items():
                for rep in result.reports:
                    out.writerow([name, rep.epoch, f"{rep.perplexity:.6f}", f"{rep.seconds:.4f}",
                                  f"{rep.tokens_per_second:.1f}"])
    return atomic_write(Path(path), write)


def plot(results: Dict[str, RunResult], path, title: str = "") -> Path:
    """Perplexity per epoch for each partitioning, log scale, saved as PNG."""
    import matplotlib
    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    fig = Figure(figsize=(7, 4.5), dpi=110)
    ax = fig.add_subplot()
    for name, result in results.items():
        epochs = [rep.epoch for rep in result.reports]
        ax.plot(epochs, result.perplexities, label=f"{name} (final {result.perplexities[-1]:.2f})",
                linewidth=2)
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 1.5, 2.0, 3.0, 5.0, 7.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("epoch")
    ax.set_ylabel("training perplexity (log scale)")
    ax.set_title(title or "Random vs consecutive partitioning")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return atomic_write(Path(path), lambda tmp: fig.savefig(tmp, format="png"))
