"""Random against consecutive (sequential) partitioning: the chapter's closing
experiment (seed 003, §8.5.6) as a reusable function, with a table, CSV and plot.

Both runs start from the same seed, so they share the initial parameters and
differ only in how minibatches are cut and how the hidden state is initialised.
"""
from __future__ import annotations

import csv
import dataclasses
import statistics
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import mxnet as mx

from ._files import atomic_write
from ._checks import check_choice, check_counts
from .corpora import TokenCorpus
from .iterators import data_iter_consecutive
from .sampling import generate_text
from .training import EpochReport

ITERATORS = ("random", "consecutive")


@dataclasses.dataclass
class CompareConfig:
    """Hyper-parameters of the comparison (the chapter's names); ``model`` is any
    model of ``gluon-rnn train`` (``'scratch'`` is the chapter's), ``runs`` the
    number of seeds (``seed``, ``seed + 1``, ...) per partitioning."""

    num_epochs: int = 250
    num_hiddens: int = 256
    num_steps: int = 35
    batch_size: int = 32
    lr: float = 1.0
    clipping_theta: float = 1.0
    prefixes: Sequence[str] = ("traveller", "time traveller")
    pred_len: int = 50
    seed: int = 0
    model: str = "scratch"
    runs: int = 1


@dataclasses.dataclass
class RunResult:
    """One partitioning's training curves (one per seed) and the first seed's final
    samples. Perplexities are means over the seeds; ``spread`` their standard
    deviation (0 for one seed)."""

    iterator: str
    seed_reports: List[List[EpochReport]]
    samples: Dict[str, str]

    @property
    def reports(self) -> List[EpochReport]:
        return self.seed_reports[0]

    @property
    def perplexities(self) -> List[float]:
        return _mean(self._curves("perplexity"))

    @property
    def spread(self) -> List[float]:
        return _std(self._curves("perplexity"))

    @property
    def valid_perplexities(self) -> Optional[List[float]]:
        curves = self._curves("valid_perplexity")
        return None if any(None in c for c in curves) else _mean(curves)

    @property
    def valid_spread(self) -> Optional[List[float]]:
        curves = self._curves("valid_perplexity")
        return None if any(None in c for c in curves) else _std(curves)

    def _curves(self, field: str) -> List[list]:
        return [[getattr(rep, field) for rep in reports] for reports in self.seed_reports]


def _mean(curves: List[list]) -> List[float]:
    return [sum(values) / len(values) for values in zip(*curves)]


def _std(curves: List[list]) -> List[float]:
    if len(curves) < 2:
        return [0.0] * len(curves[0])
    return [statistics.stdev(values) for values in zip(*curves)]


def run_comparison(corpus_indices: Sequence[int], vocab, config: CompareConfig,
                   ctx: Optional[mx.Context] = None, iterators: Sequence[str] = ITERATORS,
                   on_epoch: Optional[Callable[[str, EpochReport], None]] = None,
                   valid_indices: Optional[Sequence[int]] = None) -> Dict[str, RunResult]:
    """Train ``config.model`` once per partitioning and seed; return the results keyed
    by iterator name. ``on_epoch(iterator, report)`` follows progress. With
    ``valid_indices`` (held-out text, never trained on) each epoch's report also
    carries its validation perplexity. Runs of the same seed share their initial
    parameters; with ``model='scratch'`` each run is d2l's ``train_and_predict_rnn``."""
    from .runs import TrainConfig, fit, new_run

    ctx = ctx or mx.cpu()
    if valid_indices is not None:  # fail before training when no validation batch fits
        data_iter_consecutive(valid_indices, config.batch_size, config.num_steps, ctx, offset=0)
    check_counts(runs=config.runs)
    corpus = TokenCorpus("timemachine", "char", vocab.to_tokens(list(corpus_indices)),
                         vocab.to_tokens(list(valid_indices or [])), [])
    results: Dict[str, RunResult] = {}
    for name in iterators:
        check_choice("iterator", name, ITERATORS)
        seed_reports, samples = [], {}
        for seed in range(config.seed, config.seed + config.runs):
            train_config = TrainConfig(
                model=config.model, iter=name, num_hiddens=config.num_hiddens,
                num_steps=config.num_steps, batch_size=config.batch_size,
                num_epochs=config.num_epochs, lr=config.lr,
                clipping_theta=config.clipping_theta, seed=seed)
            run = new_run(train_config, ctx, corpus=corpus)
            result = fit(run, on_epoch=lambda rep, name=name: on_epoch and on_epoch(name, rep),
                         handle_sigint=False)
            seed_reports.append(result.reports)
            samples = samples or {prefix: generate_text(run.net, run.vocab, prefix,
                                                        config.pred_len, ctx=ctx)
                                  for prefix in config.prefixes}
        results[name] = RunResult(name, seed_reports, samples)
    return results


def format_table(results: Dict[str, RunResult], every: int = 1) -> str:
    """Side-by-side perplexity per epoch (every ``every`` epochs, and the last),
    as ``mean±std`` over seeds when there are several, then the final samples."""
    columns = [(name, results[name].perplexities, results[name].spread) for name in results]
    columns += [(f"{name} valid", results[name].valid_perplexities, results[name].valid_spread)
                for name in results if results[name].valid_perplexities is not None]
    several = len(next(iter(results.values())).seed_reports) > 1
    width = 20 if several else 18
    epochs = len(columns[0][1])
    header = f"{'epoch':>6}" + "".join(f"{title:>{width}}" for title, _, _ in columns)
    lines = [header, "-" * len(header)]
    for i in range(epochs):
        if (i + 1) % every and i + 1 != epochs:
            continue
        cells = [f"{mean[i]:.4f}±{std[i]:.4f}" if several else f"{mean[i]:.4f}"
                 for _, mean, std in columns]
        lines.append(f"{i + 1:>6}" + "".join(f"{cell:>{width}}" for cell in cells))
    for name in results:
        lines.append(f"\n{name} partitioning, final samples:")
        lines += [f" - {text!r}" for text in results[name].samples.values()]
    return "\n".join(lines)


def write_csv(results: Dict[str, RunResult], path) -> Path:
    """One row per (iterator, seed, epoch): perplexities, seconds, tokens/s."""
    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["iterator", "epoch", "perplexity", "valid_perplexity", "seconds",
                          "tokens_per_second", "run"])
            for name, result in results.items():
                for run, reports in enumerate(result.seed_reports):
                    for rep in reports:
                        valid = "" if rep.valid_perplexity is None else f"{rep.valid_perplexity:.6f}"
                        out.writerow([name, rep.epoch, f"{rep.perplexity:.6f}", valid,
                                      f"{rep.seconds:.4f}", f"{rep.tokens_per_second:.1f}", run])
    return atomic_write(Path(path), write)


def plot(results: Dict[str, RunResult], path, title: str = "") -> Path:
    """Perplexity per epoch for each partitioning (training solid, validation dashed;
    with several seeds the mean, and a band from the lowest to the highest seed), log
    scale, saved as PNG."""
    import matplotlib
    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    fig = Figure(figsize=(7, 4.5), dpi=110)
    ax = fig.add_subplot()
    for (name, result), color in zip(results.items(), ("tab:blue", "tab:orange")):
        epochs = [rep.epoch for rep in result.reports]
        curves = [("training", "-", "perplexity", result.perplexities)]
        if result.valid_perplexities is not None:
            curves.append(("validation", "--", "valid_perplexity", result.valid_perplexities))
        for label, style, field, mean in curves:
            ax.plot(epochs, mean, color=color, linewidth=2, linestyle=style,
                    label=f"{name}, {label} (final {mean[-1]:.2f})")
            if len(result.seed_reports) > 1:  # the band between the lowest and highest seed
                per_seed = list(zip(*result._curves(field)))
                ax.fill_between(epochs, [min(v) for v in per_seed], [max(v) for v in per_seed],
                                color=color, alpha=0.15, linewidth=0)
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
