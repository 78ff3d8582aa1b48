"""The d2l plotting helpers the recurrent-networks chapters call, on matplotlib:
``set_figsize``, ``use_svg_display``, ``semilogy``, ``plt`` (every generation) and, from
the 2020+ books, ``set_axes``, ``plot`` and ``Animator``.

Nothing is imported at module import: ``pyplot`` loads on the first call, so
``import gluon_rnn`` never selects a matplotlib backend. Where a figure goes is decided
once (:func:`show`): inline in Jupyter or a book page (IPython's display), nowhere in a
plain script, where it stays open for ``gluon-rnn chapter --figures`` to write (d2l calls
IPython unconditionally: outside Jupyter its ``Animator`` prints ``<Figure size ...>``
and terminal codes on every update, and ``use_svg_display`` fails).
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

__all__ = ["Animator", "lazy_plt", "plot", "pyplot", "semilogy", "set_axes", "set_figsize", "show",
           "use_svg_display"]


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


def _shell():
    """The running IPython shell (a Jupyter kernel, a book page), or None."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def show(figure, replace: bool = False) -> None:
    """Show ``figure`` where it can be seen: through IPython's display when a shell runs
    (``replace``: the previous output of the cell is cleared when this one arrives, as an
    animation's frames are), else leave it open in pyplot for the chapter runner."""
    if _shell() is None:
        return
    from IPython import display

    display.display(figure)
    if replace:
        display.clear_output(wait=True)


def set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend) -> None:
    """Label, scale and limit ``axes``, with a legend and a grid (d2l ``set_axes``)."""
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    axes.set_xlim(xlim)
    axes.set_ylim(ylim)
    if legend:
        axes.legend(legend)
    axes.grid()


def _has_one_axis(X) -> bool:
    return (hasattr(X, "ndim") and X.ndim == 1) or (
        isinstance(X, list) and not hasattr(X[0], "__len__"))


def plot(X, Y=None, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
         xscale="linear", yscale="linear", fmts=("-", "m--", "g-.", "r:"),
         figsize=(3.5, 2.5), axes=None) -> None:
    """Plot one or several curves (d2l ``plot``): ``X`` alone is plotted against its
    indices; several ``Y`` share one ``X`` or have one each."""
    legend = [] if legend is None else legend
    set_figsize(figsize)
    axes = axes if axes else pyplot().gca()
    if _has_one_axis(X):
        X = [X]
    if Y is None:
        X, Y = [[]] * len(X), X
    elif _has_one_axis(Y):
        Y = [Y]
    if len(X) != len(Y):
        X = X * len(Y)
    axes.cla()
    for x, y, fmt in zip(X, Y, fmts):
        if len(x):
            axes.plot(_values(x), _values(y), fmt)
        else:
            axes.plot(_values(y), fmt)
    set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend)


def _values(v):
    """What matplotlib can draw: MXNet arrays become numpy arrays."""
    return v.asnumpy() if hasattr(v, "asnumpy") else v


class Animator:
    """Curves that grow point by point, redrawn on each :meth:`add` (d2l ``Animator``):
    inline in Jupyter (each frame replacing the last), the final frame written by
    ``gluon-rnn chapter --figures`` elsewhere, never ``<Figure ...>`` text."""

    def __init__(self, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
                 xscale="linear", yscale="linear", fmts=("-", "m--", "g-.", "r:"), nrows=1,
                 ncols=1, figsize=(3.5, 2.5)) -> None:
        legend = [] if legend is None else legend
        use_svg_display()
        self.fig, self.axes = pyplot().subplots(nrows, ncols, figsize=figsize)
        if nrows * ncols == 1:
            self.axes = [self.axes]
        self.config_axes = lambda: set_axes(self.axes[0], xlabel, ylabel, xlim, ylim, xscale,
                                            yscale, legend)
        self.X: Optional[List[list]] = None
        self.Y: Optional[List[list]] = None
        self.fmts = fmts

    def add(self, x, y) -> None:
        if not hasattr(y, "__len__"):
            y = [y]
        n = len(y)
        if not hasattr(x, "__len__"):
            x = [x] * n
        if not self.X:
            self.X = [[] for _ in range(n)]
        if not self.Y:
            self.Y = [[] for _ in range(n)]
        for i, (a, b) in enumerate(zip(x, y)):
            if a is not None and b is not None:
                self.X[i].append(a)
                self.Y[i].append(b)
        self.axes[0].cla()
        for xs, ys, fmt in zip(self.X, self.Y, self.fmts):
            self.axes[0].plot(xs, ys, fmt)
        self.config_axes()
        show(self.fig, replace=True)


def lazy_plt(module: str, release: str):
    """A generation module's ``__getattr__``: ``d2l.plt`` is matplotlib's pyplot, loaded
    when first used (so importing a helper never picks a backend); any other missing name
    is an ``AttributeError`` that says which helper release is served."""
    def __getattr__(name: str):
        if name == "plt":
            return pyplot()
        raise AttributeError(f"module {module!r} has no attribute {name!r} (gluon-rnn serves "
                             f"the recurrent-network names of {module.split('.')[0]}=={release})")
    return __getattr__
