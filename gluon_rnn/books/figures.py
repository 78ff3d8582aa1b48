"""Where a chapter's figures go when no notebook shows them (scripts and book pages run
by ``gluon-rnn chapter``): each distinct figure written as a PNG into the folder of
``--figures DIR``, or, without one, counted and named in one line at the end. A figure
shown again (an ``Animator`` redraws one figure every few epochs) is written again to
its own file, so the file holds its last state, as the notebook would."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional


class FigureSink:
    """The figures of one chapter run; ``folder`` None counts them only."""

    def __init__(self, folder: Optional[Path], stem: str) -> None:
        self.folder, self.stem = folder, stem
        self._numbers: Dict[int, int] = {}  # id(figure) -> its number in the run
        self._kept: List[object] = []  # keeps each figure alive, so ids stay unique
        self.written: List[Path] = []

    def take(self, figure) -> None:
        """Record ``figure`` (a matplotlib ``Figure``) and write it when there is a folder."""
        number = self._numbers.setdefault(id(figure), len(self._numbers) + 1)
        if number == len(self._kept) + 1:
            self._kept.append(figure)
        if self.folder is None:
            return
        from .._files import atomic_write

        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.stem}-{number}.png"
        # "tight": the axis labels inside the picture (a book's small figures lose them else)
        atomic_write(path, lambda tmp: figure.savefig(tmp, format="png", bbox_inches="tight"))
        if path not in self.written:
            self.written.append(path)

    def take_open_figures(self) -> None:
        """Every figure pyplot still holds (``plt.show()`` shows nothing without a display):
        taken, then closed, as Jupyter's inline backend closes them after a cell."""
        import sys

        if "matplotlib.pyplot" not in sys.modules:  # nothing drawn: do not load matplotlib
            return
        from matplotlib import pyplot as plt

        for number in plt.get_fignums():
            self.take(plt.figure(number))
        plt.close("all")

    def summary(self) -> Optional[str]:
        """One line about the figures, or None when there were none."""
        count = len(self._numbers)
        if not count:
            return None
        if self.folder is None:
            return (f"{count} figure(s) drawn, not shown outside Jupyter: pass --figures DIR "
                    "to write them as PNG files")
        return f"wrote {count} figure(s): " + ", ".join(str(p) for p in self.written)
