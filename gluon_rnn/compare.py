"""Random against consecutive (sequential) partitioning: the closing experiment of
d2l's "Recurrent Neural Networks from Scratch" as a reusable function, with a table,
CSV and plot.

Both runs start from the same seed, so they share the initial parameters and
differ only in how minibatches are cut and how the hidden state is initialised.
"""
from __future__ import annotations

import contextlib
import csv
import dataclasses
import statistics
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from ._checks import check_choice, check_counts
from ._files import atomic_write, claim_output, locked_output
from .options import option
from .train.config import ITERATORS, TrainConfig

if TYPE_CHECKING:  # the training modules load MXNet: imported where a comparison runs
    import mxnet as mx

    from .train.report import EpochReport

def chapter_config(**changes) -> TrainConfig:
    """The chapter's settings for the comparison (its from-scratch RNN, 256 hidden
    units, 35 steps, batch 32, lr 1, clipping at 1, 250 epochs), with ``changes``."""
    return dataclasses.replace(TrainConfig(model="scratch", num_epochs=250), **changes)


@dataclasses.dataclass(frozen=True)
class CompareConfig:
    """The comparison: the training configuration both partitionings share (``train``;
    its ``iter`` and ``seed`` are set for each run: seeds ``train.seed``,
    ``train.seed + 1``, ... up to ``runs`` per partitioning), the text (the first
    ``num_examples`` characters of The Time Machine, the next ``valid_examples`` held
    out), and what to sample."""

    train: TrainConfig = dataclasses.field(default_factory=chapter_config)
    prefixes: Sequence[str] = option(("traveller", "time traveller"), "prefix to continue after "
                                     "training (repeatable)", "text", aliases=("--prefix",))
    pred_len: int = option(50, "characters to predict", "count")
    runs: int = option(1, "seeds per partitioning (SEED, SEED+1, ...): the table shows "
                       "mean±std, the plot the mean and the band between lowest and highest",
                       "count")
    num_examples: int = option(10000, "characters of The Time Machine to train on (as d2l "
                               "reads it)", "count")
    valid_examples: int = option(5000, "characters after the training text held out for "
                                 "validation (0: none)", "count0")


@dataclasses.dataclass
class PartitionResult:
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
                   valid_indices: Optional[Sequence[int]] = None) -> Dict[str, PartitionResult]:
    """Train ``config.model`` once per partitioning and seed; return the results keyed
    by iterator name. ``on_epoch(iterator, report)`` follows progress. With
    ``valid_indices`` (held-out text, never trained on) each epoch's report also
    carries its validation perplexity. Runs of the same seed share their initial
    parameters; with ``model='scratch'`` each run is d2l's ``train_and_predict_rnn``."""
    import mxnet as mx

    from .data.batches import check_fits
    from .data.corpora import TokenCorpus
    from .sampling import generate_text
    from .train.loop import fit
    from .train.run import new_run

    ctx = ctx or mx.cpu()
    base = config.train
    if valid_indices is not None:  # fail before training when no validation batch fits
        check_fits(len(valid_indices), base.batch_size, base.num_steps, False)
    check_counts(runs=config.runs)
    corpus = TokenCorpus("timemachine", "char", vocab.to_tokens(list(corpus_indices)),
                         vocab.to_tokens(list(valid_indices or [])), [])
    results: Dict[str, PartitionResult] = {}
    for name in iterators:
        check_choice("iterator", name, ITERATORS)
        seed_reports: List[List[EpochReport]] = []
        samples: Dict[str, str] = {}
        for seed in range(base.seed, base.seed + config.runs):
            run = new_run(dataclasses.replace(base, iter=name, seed=seed), ctx, corpus=corpus)
            result = fit(run, on_epoch=_follow(on_epoch, name), handle_sigint=False)
            seed_reports.append(result.reports)
            samples = samples or {prefix: generate_text(run.net, run.vocab, prefix,
                                                        config.pred_len, ctx=ctx)
                                  for prefix in config.prefixes}
        results[name] = PartitionResult(name, seed_reports, samples)
    return results


def _follow(on_epoch: Optional[Callable[[str, EpochReport], None]],
            name: str) -> Optional[Callable[[EpochReport], None]]:
    """``on_epoch`` for the runs of one partitioning: ``on_epoch(name, report)``."""
    if on_epoch is None:
        return None
    return lambda report: on_epoch(name, report)


def format_table(results: Dict[str, PartitionResult], every: int = 1) -> str:
    """Side-by-side perplexity per epoch (every ``every`` epochs, and the last),
    as ``mean±std`` over seeds when there are several, then the final samples."""
    columns = [(name, results[name].perplexities, results[name].spread) for name in results]
    for name, result in results.items():
        valid, spread = result.valid_perplexities, result.valid_spread
        if valid is not None and spread is not None:
            columns.append((f"{name} valid", valid, spread))
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


DEFAULT_OUT = Path("runs") / "compare"  # where `gluon-rnn compare` (`make run`) writes


def default_output_folder(base: Path = DEFAULT_OUT) -> Tuple[Path, Optional[str]]:
    """Where a comparison goes when no folder was named: ``base``, or, when an earlier
    comparison is there, the first free ``base-2``, ``base-3``, ... (the earlier results
    are kept, never replaced), with a line that says so."""
    def holds_one(folder: Path) -> bool:
        return any((folder / name).exists() for name in ("compare.csv", "compare.png"))

    if not holds_one(base):
        return base, None
    number = 2
    while holds_one(base.with_name(f"{base.name}-{number}")):
        number += 1
    chosen = base.with_name(f"{base.name}-{number}")
    return chosen, (f"{base} holds an earlier comparison, kept: this one goes to {chosen} "
                    "(name a folder with --out, or replace one with --overwrite)")


@contextlib.contextmanager
def comparison_outputs(out, overwrite: bool = False) -> Iterator[Tuple[Path, Path]]:
    """The files a comparison into the folder ``out`` writes, ``(compare.csv,
    compare.png)``, held by this process within the block: a second comparison into
    ``out`` is refused while this one runs, and each file is claimed now, before any
    training (an existing one is replaced only with ``overwrite``; a folder never)."""
    out = Path(out)
    csv_path, png_path = out / "compare.csv", out / "compare.png"
    with locked_output(csv_path, "the comparison"):
        for path in (csv_path, png_path):
            claim_output(path, overwrite, "the comparison")
        yield csv_path, png_path


def write_csv(results: Dict[str, PartitionResult], path) -> Path:
    """One row per (iterator, seed, epoch): perplexities, seconds, tokens/s."""
    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["iterator", "epoch", "perplexity", "valid_perplexity", "seconds",
                          "tokens_per_second", "run"])
            for name, result in results.items():
                for run, reports in enumerate(result.seed_reports):
                    for rep in reports:
                        valid = "" if rep.valid_perplexity is None else \
                            f"{rep.valid_perplexity:.6f}"
                        out.writerow([name, rep.epoch, f"{rep.perplexity:.6f}", valid,
                                      f"{rep.seconds:.4f}", f"{rep.tokens_per_second:.1f}", run])
    return atomic_write(Path(path), write)


def plot(results: Dict[str, PartitionResult], path, title: str = "") -> Path:
    """Perplexity per epoch for each partitioning (training solid, validation dashed;
    with several seeds the mean, and a band from the lowest to the highest seed), log
    scale, saved as PNG."""
    fig = figure(results, title)
    return atomic_write(Path(path), lambda tmp: fig.savefig(tmp, format="png"))


def figure(results: Dict[str, PartitionResult], title: str = ""):
    """The matplotlib ``Figure`` :func:`plot` saves (no pyplot, no display)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.5), dpi=110)
    ax = fig.add_subplot()
    plotted = []
    for (name, result), color in zip(results.items(), ("tab:blue", "tab:orange")):
        epochs = [rep.epoch for rep in result.reports]
        curves = [("training", "-", "perplexity", result.perplexities)]
        if result.valid_perplexities is not None:
            curves.append(("validation", "--", "valid_perplexity", result.valid_perplexities))
        for label, style, field, mean in curves:
            ax.plot(epochs, mean, color=color, linewidth=2, linestyle=style,
                    label=f"{name}, {label} (final {mean[-1]:.2f})")
            plotted += mean
            if len(result.seed_reports) > 1:  # the band between the lowest and highest seed
                per_seed = list(zip(*result._curves(field)))
                ax.fill_between(epochs, [min(v) for v in per_seed], [max(v) for v in per_seed],
                                color=color, alpha=0.15, linewidth=0)
    _log_axis(ax, min(plotted), max(plotted))
    ax.set_xlabel("epoch")
    ax.set_title(title or "Random vs consecutive partitioning")
    ax.legend()
    fig.tight_layout()
    return fig


def _log_axis(ax, low: float, high: float) -> None:
    """A log-scale perplexity axis whose labels let every curve be read: 1, 1.5, 2, 3,
    5, 7 times each power of ten, and, when one decade or so holds the data, every
    integer multiple too, with the limits on labelled ticks around the data."""
    import math

    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    label = FuncFormatter(lambda value, _: f"{value:g}")
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 1.5, 2.0, 3.0, 5.0, 7.0)))
    ax.yaxis.set_major_formatter(label)
    ax.yaxis.set_minor_locator(LogLocator(base=10, subs=tuple(range(1, 10))))
    ax.yaxis.set_minor_formatter(NullFormatter())
    if 0 < low and high / low < 12:
        ax.yaxis.set_minor_formatter(label)
        low_step, high_step = (10 ** math.floor(math.log10(v)) for v in (low, high))
        ax.set_ylim(math.floor(low / low_step) * low_step, math.ceil(high / high_step) * high_step)
    ax.set_ylabel("perplexity (log scale)")
    ax.grid(True, which="both", alpha=0.3)
