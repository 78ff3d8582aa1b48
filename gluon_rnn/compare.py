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
from ._checks import check_choice
from .iterators import data_iter_consecutive
from .training import EpochReport, evaluate_perplexity, train_rnn

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

    @property
    def valid_perplexities(self) -> Optional[List[float]]:
        values = [rep.valid_perplexity for rep in self.reports]
        return None if None in values else values


def seed_generators(seed: int) -> random.Random:
    """Seed MXNet's generator (parameter initialisation) and return a
    :class:`random.Random` for the iterators; the caller asked for this by
    passing ``seed``, and Python's global generator is left alone."""
    mx.random.seed(seed)
    return random.Random(seed)


def run_comparison(corpus_indices: Sequence[int], vocab, config: CompareConfig,
                   ctx: Optional[mx.Context] = None, iterators: Sequence[str] = ITERATORS,
                   on_epoch: Optional[Callable[[str, EpochReport], None]] = None,
                   valid_indices: Optional[Sequence[int]] = None) -> Dict[str, RunResult]:
    """Train the chapter's from-scratch RNN once per partitioning; return the results
    keyed by iterator name. ``on_epoch(iterator, report)`` follows progress. With
    ``valid_indices`` (held-out text, never trained on) each epoch's report also
    carries its validation perplexity."""
    ctx = ctx or mx.cpu()
    if valid_indices is not None:  # fail before training when no validation batch fits
        data_iter_consecutive(valid_indices, config.batch_size, config.num_steps, ctx, offset=0)
    results: Dict[str, RunResult] = {}
    for name in iterators:
        check_choice("iterator", name, ITERATORS)
        rng = seed_generators(config.seed)

        def after_epoch(rep: EpochReport, params, name=name) -> None:
            if valid_indices is not None:
                rep.valid_perplexity = evaluate_perplexity(
                    (rnn, params, init_rnn_state, config.num_hiddens), valid_indices, len(vocab),
                    config.batch_size, config.num_steps, ctx)
            if on_epoch is not None:
                on_epoch(name, rep)

        params, reports = train_rnn(
            rnn, params_factory(len(vocab), config.num_hiddens, ctx), init_rnn_state,
            config.num_hiddens, corpus_indices, vocab, ctx, name == "random",
            config.num_epochs, config.num_steps, config.lr, config.clipping_theta,
            config.batch_size, rng=rng, on_epoch=after_epoch)
        samples = {prefix: predict_rnn(prefix, config.pred_len, rnn, params, init_rnn_state,
                                       config.num_hiddens, vocab, ctx)
                   for prefix in config.prefixes}
        results[name] = RunResult(name, reports, samples)
    return results


def format_table(results: Dict[str, RunResult], every: int = 1) -> str:
    """Side-by-side perplexity per epoch (every ``every`` epochs, and the last),
    then the final samples."""
    columns = [(name, results[name].perplexities) for name in results]
    columns += [(f"{name} valid", results[name].valid_perplexities) for name in results
                if results[name].valid_perplexities is not None]
    epochs = len(columns[0][1])
    header = f"{'epoch':>6}" + "".join(f"{title:>18}" for title, _ in columns)
    lines = [header, "-" * len(header)]
    for i in range(epochs):
        if (i + 1) % every and i + 1 != epochs:
            continue
        lines.append(f"{i + 1:>6}" + "".join(f"{values[i]:>18.4f}" for _, values in columns))
    names = list(results)
    for name in names:
        lines.append(f"\n{name} partitioning, final samples:")
        lines += [f" - {text!r}" for text in results[name].samples.values()]
    return "\n".join(lines)


def write_csv(results: Dict[str, RunResult], path) -> Path:
    """One row per (iterator, epoch): perplexity, seconds, tokens/s."""
    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["iterator", "epoch", "perplexity", "valid_perplexity", "seconds",
                          "tokens_per_second"])
            for name, result in results.items():
                for rep in result.reports:
                    valid = "" if rep.valid_perplexity is None else f"{rep.valid_perplexity:.6f}"
                    out.writerow([name, rep.epoch, f"{rep.perplexity:.6f}", valid,
                                  f"{rep.seconds:.4f}", f"{rep.tokens_per_second:.1f}"])
    return atomic_write(Path(path), write)


def plot(results: Dict[str, RunResult], path, title: str = "") -> Path:
    """Perplexity per epoch for each partitioning, log scale, saved as PNG."""
    import matplotlib
    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    fig = Figure(figsize=(7, 4.5), dpi=110)
    ax = fig.add_subplot()
    for (name, result), color in zip(results.items(), ("tab:blue", "tab:orange")):
        epochs = [rep.epoch for rep in result.reports]
        ax.plot(epochs, result.perplexities, color=color, linewidth=2,
                label=f"{name}, training (final {result.perplexities[-1]:.2f})")
        if result.valid_perplexities is not None:
            ax.plot(epochs, result.valid_perplexities, color=color, linewidth=2, linestyle="--",
                    label=f"{name}, validation (final {result.valid_perplexities[-1]:.2f})")
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 1.5, 2.0, 3.0, 5.0, 7.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("epoch")
    ax.set_ylabel("perplexity (log scale)")
    ax.set_title(title or "Random vs consecutive partitioning")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return atomic_write(Path(path), lambda tmp: fig.savefig(tmp, format="png"))
