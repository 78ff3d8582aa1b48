"""The facades of the 2020+ books (d2l 0.17.6 and 1.0.3) minus the real helpers' crashes:
clear errors where d2l raises UnboundLocalError, prints and returns None, or fails later;
data through the resolver; figures never printed as text; the 1.0 book's scratch deep
RNN trains its output layer only, as the book's does."""
from __future__ import annotations

import random
import subprocess
import sys

import mxnet as mx
import pytest
from mxnet import npx

import d2l0176_compat
import d2l103_compat
from conftest import require_data


@pytest.fixture
def np_mode():
    npx.set_np()
    yield
    npx.reset_np()


@pytest.mark.requires_data("timemachine.txt")
def test_data_come_through_the_resolver_without_the_books_folder(isolated_data, monkeypatch,
                                                                 np_mode):
    """No ../data and offline, but GLUON_RNN_DATA names a folder with the file: found
    (d2l would try to download it and fail on a connection error)."""
    from conftest import SHARED_DATA
    monkeypatch.setenv("GLUON_RNN_DATA", str(SHARED_DATA))
    monkeypatch.setenv("GLUON_RNN_OFFLINE", "1")
    train_iter, vocab = d2l0176_compat.load_data_time_machine(4, 5)
    assert len(vocab) == 28 and vocab.idx_to_token[:3] == ["<unk>", " ", "e"]
    data = d2l103_compat.TimeMachine(batch_size=2, num_steps=10)
    assert len(data.vocab) == 28 and data.vocab.idx_to_token[:2] == [" ", "<unk>"]


def test_a_corpus_too_short_and_no_epochs_are_clear_errors(np_mode):
    require_data("timemachine.txt")
    with pytest.raises(ValueError, match=r"too short for sequential partitioning: corpus length 100"):
        d2l0176_compat.load_data_time_machine(32, 35, max_tokens=100)
    with pytest.raises(ValueError, match="too short for random partitioning"):
        list(d2l0176_compat.seq_data_iter_random(list(range(50)), 4, 20))
    train_iter, vocab = d2l0176_compat.load_data_time_machine(2, 5, max_tokens=400)
    net = d2l0176_compat.RNNModel(mx.gluon.rnn.RNN(4), len(vocab))
    with pytest.raises(ValueError, match="num_epochs must be a positive integer, got 0"):
        d2l0176_compat.train_ch8(net, train_iter, vocab, 1, 0, mx.cpu())
    with pytest.raises(ValueError, match="unknown token type 'byte'"):
        d2l0176_compat.tokenize(["a b"], "byte")
    with pytest.raises(ValueError, match="fewer than num_train \\+ num_val = 200000"):
        d2l103_compat.TimeMachine(batch_size=2, num_steps=10, num_train=100000, num_val=100000)
    with pytest.raises(ValueError, match="max_epochs must be a positive integer, got 0"):
        d2l103_compat.Trainer(max_epochs=0).fit(None, None)


def test_the_1_0_frame_says_what_is_missing(np_mode):
    class Bare(d2l103_compat.Module):
        pass

    with pytest.raises(ValueError, match="Bare has no `net` and no `forward`"):
        Bare()(mx.np.ones((1, 2)))
    with pytest.raises(NotImplementedError, match="Bare defines no loss"):
        Bare().loss(1, 2)
    with pytest.raises(ValueError, match="list's length 2 != expected length 3"):
        d2l103_compat.check_len([1, 2], 3)


def test_save_hyperparameters_reads_the_callers_arguments():
    class Model(d2l103_compat.HyperParameters):
        def __init__(self, a, b=2, _hidden=3):
            self.save_hyperparameters(ignore=["b"])

    model = Model(1)
    assert model.hparams == {"a": 1} and model.a == 1 and not hasattr(model, "b")


@pytest.mark.requires_data("timemachine.txt")
def test_a_script_shows_no_figure_text(tmp_path):
    """d2l's Animator prints `<Figure size 350x250 with 1 Axes>` and terminal codes outside
    Jupyter; through `gluon-rnn chapter` the figure is counted, or written as PNG."""
    script = tmp_path / "train.py"
    script.write_text("import random\nfrom d2l import mxnet as d2l\nfrom mxnet import npx, gluon\n"
                      "npx.set_np()\nrandom.seed(0)\n"
                      "it, vocab = d2l.load_data_time_machine(8, 10, max_tokens=2000)\n"
                      "net = d2l.RNNModel(gluon.rnn.RNN(8), len(vocab))\n"
                      "d2l.train_ch8(net, it, vocab, 1, 10, d2l.try_gpu())\n")
    done = subprocess.run([sys.executable, "-m", "gluon_rnn", "chapter", "--figures",
                           str(tmp_path / "figs"), str(script)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "<Figure" not in done.stdout and "\x1b" not in done.stdout
    assert done.stdout.splitlines()[0].startswith("perplexity ")
    assert (tmp_path / "figs" / "train-1.png").stat().st_size > 1000


def test_the_1_0_deep_scratch_model_trains_its_output_layer_only(np_mode):
    """The deep-RNN page keeps its layers in a list, which get_scratch_params does not look
    into: only W_hq and b_q are handed to the optimizer (the book's behaviour, kept)."""
    class Stacked(d2l103_compat.Module):
        def __init__(self, num_inputs, num_hiddens, num_layers, sigma=0.01):
            super().__init__()
            self.save_hyperparameters()
            self.rnns = [d2l103_compat.RNNScratch(num_inputs if i == 0 else num_hiddens,
                                                  num_hiddens, sigma) for i in range(num_layers)]

    random.seed(0)
    model = d2l103_compat.RNNLMScratch(Stacked(5, 4, 2), vocab_size=5)
    shapes = sorted(p.shape for p in model.get_scratch_params())
    assert shapes == [(4, 5), (5,)]
