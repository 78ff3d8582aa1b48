"""Chapter scripts of d2l (MXNet) chapter 8, unmodified, through `gluon-rnn chapter`:
8.5 (from scratch), 8.6 (Gluon), 8.8 GRU, 8.9 LSTM, 8.10-8.11 deep and bidirectional."""
from __future__ import annotations

import sys

import pytest

from conftest import FIXTURES
from gluon_rnn.cli import main

HYPER = "num_epochs, num_steps, batch_size, lr, clipping_theta = 500, 64, 32, 1, 1"


def _short_copy(tmp_path, epochs: int, hidden: int = 512, batch_size: int = 32):
    """The fixture with fewer epochs (and optionally hiddens, or larger minibatches: fewer
    steps an epoch); nothing else changed."""
    text = (FIXTURES / "chapter_8_5.py").read_text()
    assert text.count(HYPER) == 1
    text = text.replace(HYPER, HYPER.replace("= 500, 64, 32", f"= {epochs}, 64, {batch_size}"))
    text = text.replace("len(vocab), 512, len(vocab)", f"len(vocab), {hidden}, len(vocab)")
    (tmp_path / "chapter8").mkdir()
    script = tmp_path / "chapter8" / "rnn_scratch.py"
    script.write_text(text)
    return script


@pytest.mark.requires_data('timemachine.txt')
def test_chapter_script_runs_unmodified_through_d2l_compat(tmp_path, capsys):
    import random

    import mxnet as mx

    script = _short_copy(tmp_path, epochs=100, hidden=16, batch_size=128)
    random.seed(0)  # seeded: untrained parameters may well predict '<unk>' (5 characters)
    mx.random.seed(0)
    assert main(["chapter", str(script)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == ["(2, 44)", "5 (2, 44)", "Using cpu(0)"]
    assert out[3] == "5 (2, 44) (2, 16)"
    assert out[4].startswith("traveller ") and len(out[4]) == len("traveller ") + 10
    epochs = [line for line in out if line.startswith("epoch ")]
    assert [line.split(",")[0] for line in epochs] == ["epoch 50", "epoch 100"] * 2
    ppl = [float(line.split("perplexity ")[1].split(",")[0]) for line in epochs]
    assert all(1 < p < 44 for p in ppl) and ppl[1] < ppl[0] and ppl[3] < ppl[2]
    samples = [line for line in out if line.startswith(" - ")]
    assert len(samples) == 4
    for sample, prefix in zip(samples, ["traveller", "time traveller"] * 2):
        assert sample.startswith(" - " + prefix) and len(sample) == len(" - " + prefix) + 50
    assert "d2l" not in sys.modules or "d2l_compat" not in sys.modules["d2l"].__name__


@pytest.mark.requires_data('timemachine.txt')
def test_chapter_script_default_size_trains_and_reports(tmp_path, capsys):
    """The page's own size (512 hidden units) for one epoch of each partitioning, its
    report made every epoch (the page's loop reports every 50) so that the epoch shows."""
    script = _short_copy(tmp_path, epochs=1)
    text = script.read_text()
    assert text.count("if (epoch + 1) % 50 == 0:") == 1
    script.write_text(text.replace("if (epoch + 1) % 50 == 0:", "if (epoch + 1) % 1 == 0:"))
    assert main(["chapter", str(script)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "Using cpu(0)" in out
    epochs = [line for line in out if line.startswith("epoch ")]
    assert [line.split(",")[0] for line in epochs] == ["epoch 1"] * 2  # random, consecutive
    ppl = [float(line.split("perplexity ")[1].split(",")[0]) for line in epochs]
    assert all(1 < p < 44 for p in ppl), ppl  # one epoch already beats the uniform guess


def test_chapter_passes_arguments_and_exit_status(tmp_path, capsys):
    script = tmp_path / "args.py"
    script.write_text("import sys, d2l\nprint(d2l.__name__, sys.argv[1:])\nsys.exit(3)\n")
    assert main(["chapter", str(script), "--alpha", "1"]) == 3
    assert capsys.readouterr().out.strip() == "d2l_compat ['--alpha', '1']"
    assert "d2l" not in sys.modules or sys.modules["d2l"].__name__ != "d2l_compat"


def test_chapter_missing_script_is_a_usage_error(tmp_path, capsys):
    assert main(["chapter", str(tmp_path / "nope.py")]) == 2
    assert "nope.py does not exist" in capsys.readouterr().err


@pytest.mark.requires_data('timemachine.txt')
def test_gluon_chapter_script_runs_unmodified(tmp_path, capsys):
    text = (FIXTURES / "chapter_8_6.py").read_text()
    hyper = "num_epochs, batch_size, lr, clipping_theta = 500, 32, 1, 1"
    assert text.count(hyper) == 1 and text.count("num_hiddens = 256") == 1
    text = text.replace(hyper, hyper.replace("= 500", "= 4")).replace("num_hiddens = 256",
                                                                    "num_hiddens = 32")
    (tmp_path / "chapter8").mkdir()
    script = tmp_path / "chapter8" / "rnn_gluon.py"
    script.write_text(text)
    assert main(["chapter", str(script)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["(1, 2, 32)", "(35, 2, 32) 1 (1, 2, 32)"]
    # ten predicted tokens; the unseeded model may predict d2l's "<unk>" (one token)
    assert out[2].startswith("traveller") and len(out[2][9:].replace("<unk>", "?")) == 10
    epochs = [line for line in out if line.startswith("epoch ")]
    assert [line.split(",")[0] for line in epochs] == ["epoch 1", "epoch 2", "epoch 3", "epoch 4"] * 2
    ppl = [float(line.split("perplexity ")[1].split(",")[0]) for line in epochs]
    assert ppl[3] < ppl[0] and ppl[7] < ppl[4] and all(1 < p < 50 for p in ppl)
    assert sum(line.startswith(" - time traveller") for line in out) == 4


def _shortened(tmp_path, fixture: str, edits):
    """A copy of a chapter fixture with smaller sizes, in ``tmp_path/chapter8`` beside a
    ``data/timemachine.txt`` (where d2l 0.9.2 itself looks for the corpus)."""
    import shutil

    from gluon_rnn.data.resolve import resolve

    text = (FIXTURES / fixture).read_text()
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (tmp_path / "chapter8").mkdir(exist_ok=True)
    (tmp_path / "data").mkdir(exist_ok=True)
    shutil.copy(resolve("timemachine.txt"), tmp_path / "data" / "timemachine.txt")
    script = tmp_path / "chapter8" / fixture
    script.write_text(text)
    return script


def _run_with(module, script, monkeypatch, capsys, seed: int = 0):
    """Run ``script`` with ``import d2l`` giving ``module``; return its printed lines,
    epoch times blanked."""
    import random
    import re
    import runpy

    import mxnet as mx

    capsys.readouterr()
    monkeypatch.chdir(script.parent)
    random.seed(seed)
    mx.random.seed(seed)
    with monkeypatch.context() as patch:
        patch.setitem(sys.modules, "d2l", module)
        patch.setattr(sys, "path", sys.path[:])
        runpy.run_path(str(script), run_name="__main__")
    lines = capsys.readouterr().out.splitlines()
    return [re.sub(r", time [0-9.]+ sec$", "", line) for line in lines]


SHRINK_SCRATCH = [("= 160, 35, 32, 1e2, 1e-2", "= 8, 35, 32, 1e2, 1e-2"),
                  ("len(vocab), 256, len(vocab)", "len(vocab), 24, len(vocab)")]
SHRINK_DEEP = [("= 100, 35, 32, 1e2, 1e-2", "= 4, 35, 32, 1e2, 1e-2"),
               ("num_hiddens, num_layers = 256, 2", "num_hiddens, num_layers = 16, 2")]


@pytest.mark.parametrize("fixture, edits, num_states", [
    ("chapter_8_8_gru.py", SHRINK_SCRATCH, 1),
    ("chapter_8_9_lstm.py", SHRINK_SCRATCH, 2),
    ("chapter_8_10_deep_bidirectional.py", SHRINK_DEEP, 2),
])
@pytest.mark.requires_data('timemachine.txt')
def test_gated_and_deep_chapter_scripts_print_what_d2l_prints(d2l_oracle, tmp_path, monkeypatch,
                                                                capsys, fixture, edits, num_states):
    """GRU/LSTM from scratch (states ``(H,)`` and ``(H, C)``), their Gluon versions, a
    deep and a bidirectional LSTM: same seeds, same printed perplexities and samples."""
    import d2l_compat

    script = _shortened(tmp_path, fixture, edits)
    ours = _run_with(d2l_compat, script, monkeypatch, capsys)
    theirs = _run_with(d2l_oracle, script, monkeypatch, capsys)
    assert ours == theirs
    epochs = [line for line in ours if line.startswith("epoch ")]
    assert len(epochs) == 8
    assert sum(line.startswith(" - time traveller") for line in ours) == 4
    ppl = [float(line.split("perplexity ")[1]) for line in epochs]
    assert all(1 < p < 60 for p in ppl)
    assert main(["chapter", str(script)]) == 0  # and through the command itself
    assert len([line for line in capsys.readouterr().out.splitlines()
                if line.startswith("epoch ")]) == 8


def test_language_model_chapter_plotting_helpers(tmp_path, monkeypatch, capsys):
    """8.3's token-frequency plot: d2l.set_figsize, d2l.plt, d2l.semilogy work outside
    Jupyter, and importing d2l_compat does not load pyplot."""
    import subprocess

    code = ("import sys, d2l_compat as d2l\n"
            "assert 'matplotlib.pyplot' not in sys.modules\n"
            "d2l.set_figsize((4, 3))\n"
            "print(d2l.plt.rcParams['figure.figsize'])\n"
            "d2l.plt.loglog([1, 2, 3], [30, 20, 10])\n"
            "d2l.semilogy([1, 2, 3], [1, 10, 100], 'x', 'y', [1, 2, 3], [2, 20, 200], ['a', 'b'])\n"
            "print(d2l.plt.gca().get_yscale(), len(d2l.plt.gca().lines))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**__import__("os").environ, "MPLBACKEND": "Agg"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["[4.0, 3.0]", "log 3"]  # loglog + two curves
