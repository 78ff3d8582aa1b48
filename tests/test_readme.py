"""README's quoted figures are what the main job prints (``make figures`` wrote them).

The full check trains the 250-epoch main job (about a minute): it is marked slow and runs
with ``make test-slow`` or ``make figures-check``; the default suite keeps a cheap guard
that the figures block is there, says what the chapter says, and is what
``docs/figures.py`` would write from a run's CSV."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from conftest import require_data

ROOT = Path(__file__).resolve().parents[1]


def _figures_module():
    spec = importlib.util.spec_from_file_location("figures", ROOT / "docs" / "figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _numbers(text: str) -> list:
    return [float(v) for v in re.findall(r"\d+\.\d{4}", text)]


def test_readme_figures_block_is_what_figures_py_writes():
    figures = _figures_module()
    quoted, made_on = figures.quoted((ROOT / "README.md").read_text())
    theirs = _numbers(quoted)
    assert len(theirs) == 4 and made_on
    finals = {"consecutive": (theirs[0], theirs[2]), "random": (theirs[1], theirs[3])}
    assert figures.sentence(finals) == quoted  # the same words around the same numbers
    assert theirs[0] < theirs[1] and theirs[2] > theirs[3]  # the chapter's finding, and overfitting
    assert (ROOT / "docs" / "compare.png").stat().st_size > 10000


@pytest.mark.slow
def test_readme_quotes_the_main_jobs_final_perplexities(tmp_path):
    """On the kind of CPU that wrote them, to the last printed digit. Elsewhere a kernel
    may round the last bit of a product otherwise (oneDNN blocks by cache size), and
    250 epochs carry that into the 3rd digit: within 3% then."""
    require_data("timemachine.txt")
    figures = _figures_module()
    quoted, made_on = figures.quoted((ROOT / "README.md").read_text())
    finals = figures.run_main_job(tmp_path)
    ours, theirs = _numbers(figures.sentence(finals)), _numbers(quoted)
    assert len(theirs) == 4 and len(ours) == 4
    if made_on == figures.cpu():
        assert ours == theirs
    else:
        for a, b in zip(ours, theirs):
            assert abs(a - b) <= 3e-2 * b, (ours, theirs, made_on)
    assert ours[0] < ours[1] and ours[2] > ours[3]  # the chapter's finding, and overfitting
    assert (tmp_path / "compare.png").stat().st_size > 10000
