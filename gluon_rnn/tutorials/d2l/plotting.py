"""The d2l (0.9.2) plotting helpers the recurrent-networks chapter calls
(``set_figsize``, ``use_svg_display``, ``semilogy``, ``plt``), on matplotlib.

Nothing is imported at module import: ``pyplot`` loads on the first call, so
``import gluon_rnn`` never selects a matplotlib backend. ``use_svg_display``
switches Jupyter's inline figures to SVG when running under IPython and does
nothing elsewhere (d2l calls IPython unconditionally).
"""
from __future__ import annotations

from typing import Optional, Sequence, Tuple


def pyplot():
    """``matplotlib.pyplot``, imported on first use."""
    from matplotlib import pyplot as plt
    return plt


def use_svg_display() -> None:
    """SVG figures in Jupyter; a no-op outside IPython."""
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        return
    if get_ipython() is not None:
        set_matplotlib_formats("svg")


def set_figsize(figsize: Tuple[float, float] = (3.5, 2.5)) -> None:
    """Default size of new figures, in inches (d2l ``set_figsize``)."""
    use_svg_display()
    pyplot().rcParams["figure.figsize"] = figsize


def semilogy(x_vals: Sequence, y_vals: Sequence, x_label: str, y_label: str,
             x2_vals: Optional[Sequence] = None, y2_vals: Optional[Sequence] = None,
             legend: Optional[Sequence[str]] = None,
             figsize: Tuple[float, float] = (3.5, 2.5)) -> None:
    """Plot ``y`` on a log scale against ``x``, optionally a second dotted curve
    (d2l ``semilogy``); shows the figure (a no-op on non-interactive backends)."""
    set_figsize(figsize)
    plt = pyplot()
    plt.xlabel(x_label)
    plt.ylabel(y_label)
    plt.semilogy(x_vals, y_vals)
    if x2_vals is not None and y2_vals is not None:
        plt.semilogy(x2_vals, y2_vals, linestyle=":")
        plt.legend(legend)
    plt.show()
