"""The comparison plot can be read without its legend: labelled ticks around the data."""
from __future__ import annotations

from gluon_rnn.compare import PartitionResult, figure
from gluon_rnn.train.report import EpochReport


def _result(name, values):
    reports = [EpochReport(i + 1, v, 1.0, 100, valid_perplexity=v * 1.1) for i, v in enumerate(values)]
    return PartitionResult(name, [reports], {})


def _labels(fig):
    fig.canvas.draw()
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.get_yticklabels() + ax.get_yticklabels(minor=True)]
    ticks = [float(t) for t in texts if t]
    low, high = ax.get_ylim()
    return sorted(t for t in ticks if low <= t <= high), (low, high)


def test_a_small_range_gets_labels_near_the_final_values():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = figure({"random": _result("random", [38, 20, 14, 11.2]),
                  "consecutive": _result("consecutive", [36, 18, 12, 10.7])})
    FigureCanvasAgg(fig)
    labels, (low, high) = _labels(fig)
    assert low <= 10.7 and high >= 38 * 1.1
    assert 10 in labels and 15 in labels  # the finals (10.7, 11.2) lie between labelled ticks
    assert labels[0] <= 10.7 and labels[-1] >= 41.8
    assert len(labels) >= 5


def test_a_wide_range_keeps_one_label_set_per_decade():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = figure({"random": _result("random", [40, 10, 3, 1.6])})
    FigureCanvasAgg(fig)
    labels, _ = _labels(fig)
    assert {1.5, 2, 3, 5, 10, 20}.issubset(labels)
    assert 4 not in labels and 6 not in labels  # minor ticks unlabelled
