"""`gluon-rnn train` runs: the from-scratch model equals d2l's loop, checkpoints
resume exactly, Ctrl-C saves, writes are atomic, generation reads checkpoints."""
from __future__ import annotations

import dataclasses
import json
import os
import random
import signal

import mxnet as mx
import numpy as np
import pytest

from conftest import require_data
from gluon_rnn.data.corpora import TokenCorpus, time_machine_text
from gluon_rnn.models.scratch import init_rnn_state, params_factory, rnn
from gluon_rnn.sampling import generate_text
from gluon_rnn.train import loop
from gluon_rnn.train.checkpoints import load_training_checkpoint, restore_training_checkpoint
from gluon_rnn.train.config import TrainConfig
from gluon_rnn.train.loop import NonFiniteLoss, _epoch_batches, _train_step, fit
from gluon_rnn.train.run import CHECKPOINT_NAME, checkpoint_bytes, load_model, new_run, resume_run
from gluon_rnn.tutorials.d2l.d2l092 import predict_rnn_gluon, train_rnn


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory):
    """The first 12,000 characters of the prepared Time Machine as a corpus file."""
    require_data('timemachine.txt')
    path = tmp_path_factory.mktemp("corpus") / "tm.txt"
    path.write_text(time_machine_text(12000))
    return str(path)


def _config(corpus, **changes):
    base = dict(corpus=corpus, num_hiddens=24, num_epochs=3, num_steps=20, batch_size=16)
    return TrainConfig(**{**base, **changes})


@pytest.mark.parametrize("iter_name", ["random", "consecutive"])
def test_scratch_model_trains_as_d2l_train_rnn(time_machine, iter_name):
    """--model scratch is d2l 8.5's RNN and loop: same seeds, same perplexities."""
    corpus_indices, vocab = time_machine
    text = time_machine_text(10000)
    corpus = TokenCorpus("tm", "char", list(text), list(time_machine_text(11000)[10000:]), [])
    config = TrainConfig(model="scratch", iter=iter_name, num_hiddens=32, num_epochs=4,
                              num_steps=35, batch_size=32, seed=5)
    run = new_run(config, corpus=corpus)
    assert run.vocab.idx_to_token == vocab.idx_to_token and run.train == corpus_indices
    ours = [rep.perplexity for rep in fit(run, handle_sigint=False).reports]
    mx.random.seed(5)
    _, reports = train_rnn(rnn, params_factory(len(vocab), 32), init_rnn_state, 32,
                           corpus_indices, vocab, mx.cpu(), iter_name == "random", 4, 35, 1.0,
                           1.0, 32, rng=random.Random(5))
    np.testing.assert_allclose(ours, [rep.perplexity for rep in reports], rtol=1e-6)
    assert ours[-1] < ours[0]


def _interrupt_at(epoch, batch):
    def on_batch(e, index, tokens, loss):
        if (e, index) == (epoch, batch):
            os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C sends
    return on_batch


@pytest.mark.parametrize("changes", [
    dict(model="scratch", iter="random"),
    dict(model="gru", lr_decay=0.5, decay_after=1),
    dict(model="lstm", optimizer="adam", lr=0.01, num_layers=2, embed_size=16, dropout=0.3),
])
def test_interrupted_run_resumed_equals_uninterrupted_run(small_corpus, tmp_path, changes):
    config = _config(small_corpus, **changes)
    full = fit(new_run(config, out=tmp_path / "full"))
    stopped = fit(new_run(config, out=tmp_path / "cut"), on_batch=_interrupt_at(2, 7))
    assert stopped.interrupted and [r.epoch for r in stopped.reports] == [1]
    saved = load_training_checkpoint(tmp_path / "cut" / CHECKPOINT_NAME)
    assert (saved.meta["position"]["epoch"], saved.meta["position"]["batch"]) == (1, 8)
    if changes.get("iter") != "random":  # the carried state is part of the checkpoint
        assert [h.shape for h in saved.hidden] == [(config.num_layers, 16, 24)] * (
            2 if config.model == "lstm" else 1)
    resumed = fit(resume_run(tmp_path / "cut" / CHECKPOINT_NAME))
    assert not resumed.interrupted
    want = [(r.epoch, r.perplexity, r.valid_perplexity, r.tokens) for r in full.reports]
    got = [(r.epoch, r.perplexity, r.valid_perplexity, r.tokens) for r in resumed.reports]
    assert got == want  # bit for bit
    assert json.loads((tmp_path / "cut" / "metrics.json").read_text())[-1]["perplexity"] == want[-1][1]


def test_uninterrupted_runs_differ_by_seed(small_corpus):
    """The resume test above is not vacuous: another seed gives other numbers."""
    a = fit(new_run(_config(small_corpus, num_epochs=1)), handle_sigint=False)
    b = fit(new_run(_config(small_corpus, num_epochs=1, seed=1)), handle_sigint=False)
    assert a.reports[0].perplexity != b.reports[0].perplexity


def test_failed_checkpoint_write_keeps_previous_checkpoint(small_corpus, tmp_path, monkeypatch):
    run = new_run(_config(small_corpus, num_epochs=1), out=tmp_path)
    fit(run, handle_sigint=False)
    path = tmp_path / CHECKPOINT_NAME
    before = path.read_bytes()

    def broken_savez(file, **arrays):
        file.write(b"PK\x03\x04 half a zip")
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(np, "savez", broken_savez)
    run.config = dataclasses.replace(run.config, num_epochs=2)
    with pytest.raises(OSError, match="No space"):
        fit(run, handle_sigint=False)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "checkpoint.npz", "config.json", "metrics.csv", "metrics.json"]  # no temporary left
    assert load_training_checkpoint(path).meta["position"]["epoch"] == 1


def test_resume_refuses_changed_model_options_and_extends_epochs(small_corpus, tmp_path):
    fit(new_run(_config(small_corpus, num_epochs=1), out=tmp_path), handle_sigint=False)
    path = tmp_path / CHECKPOINT_NAME
    with pytest.raises(ValueError, match="trained with num_hiddens=24"):
        resume_run(path, changes={"num_hiddens": 32})
    run = resume_run(path, changes={"num_epochs": 2, "num_hiddens": 24, "lr": None})
    result = fit(run, handle_sigint=False)
    assert [r.epoch for r in result.reports] == [1, 2]


def test_checkpoint_of_another_model_is_refused(small_corpus, tmp_path):
    fit(new_run(_config(small_corpus, num_epochs=1), out=tmp_path), handle_sigint=False)
    saved = load_training_checkpoint(tmp_path / CHECKPOINT_NAME)
    other = new_run(_config(small_corpus, num_hiddens=8))
    with pytest.raises(ValueError, match="another size"):
        restore_training_checkpoint(saved, other.net, other.trainer)
    scratch = new_run(_config(small_corpus, model="scratch"))
    with pytest.raises(ValueError, match="different model"):
        restore_training_checkpoint(saved, scratch.net, scratch.trainer)


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04broken"])
def test_unreadable_checkpoints_are_refused(tmp_path, content):
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="not a readable gluon-rnn checkpoint"):
        load_training_checkpoint(path)


def test_model_file_that_is_not_a_checkpoint_is_refused(tmp_path):
    path = tmp_path / "wildml.npz"
    np.savez(path, U=np.zeros((2, 3)), V=np.zeros((3, 2)), W=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="not a gluon-rnn checkpoint"):
        load_training_checkpoint(path)


def test_unwritable_run_folder_is_reported_before_training(small_corpus, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ValueError, match="cannot write the run folder"):
        new_run(_config(small_corpus), out=blocker / "run")


def test_generation_from_a_checkpoint(small_corpus, tmp_path):
    run = new_run(_config(small_corpus, model="gru", num_epochs=2), out=tmp_path)
    fit(run, handle_sigint=False)
    net, vocab, config = load_model(tmp_path / CHECKPOINT_NAME)
    assert config.model == "gru" and vocab.idx_to_token == run.vocab.idx_to_token
    greedy = generate_text(net, vocab, "the time ", 30)
    assert greedy == predict_rnn_gluon("the time ", 30, run.net, run.vocab)
    assert greedy.startswith("the time ") and len(greedy) == 39
    a = generate_text(net, vocab, "the", 40, temperature=1.0, rng=np.random.RandomState(3))
    b = generate_text(net, vocab, "the", 40, temperature=1.0, rng=np.random.RandomState(3))
    c = generate_text(net, vocab, "the", 40, temperature=1.0, rng=np.random.RandomState(4))
    assert a == b != c
    cold = generate_text(net, vocab, "the time ", 30, temperature=1e-3,
                         rng=np.random.RandomState(0))
    assert cold == greedy  # a very low temperature is greedy


def test_word_level_run(small_corpus, tmp_path):
    config = _config(small_corpus, level="word", model="lstm", embed_size=16, num_epochs=2,
                     num_steps=10, batch_size=8)
    result = fit(new_run(config, out=tmp_path), handle_sigint=False)
    assert len(result.reports) == 2 and result.reports[-1].valid_perplexity > 1
    net, vocab, _ = load_model(tmp_path / CHECKPOINT_NAME)
    text = generate_text(net, vocab, "The time machine", 5, level="word")
    words = text.split(" ")
    assert words[:3] == ["the", "time", "machine"] and len(words) == 8
    assert all(w in vocab.token_to_idx for w in words)


@pytest.mark.parametrize("changes, message", [
    (dict(model="transformer"), "model must be one of"),
    (dict(iter="shuffled"), "iter must be one of"),
    (dict(num_hiddens=0), "num_hiddens must be a positive integer"),
    (dict(lr=float("nan")), "lr must be a positive finite number"),
    (dict(dropout=1.0), "dropout in"),
    (dict(model="scratch", num_layers=2), "scratch model"),
    (dict(batch_size=4000), "too short"),
])
def test_bad_configurations_are_refused(small_corpus, changes, message):
    with pytest.raises(ValueError, match=message):
        new_run(_config(small_corpus, **changes))


def test_sampling_never_draws_unk(small_corpus):
    run = new_run(_config(small_corpus, num_epochs=1))
    vocab = run.vocab
    with mx.autograd.pause():
        run.net.dense.bias.set_data(mx.nd.one_hot(mx.nd.array([vocab.unk]), len(vocab))[0] * 50)
    assert generate_text(run.net, vocab, "the", 10) == "the" + "<unk>" * 10  # greedy: d2l's
    text = generate_text(run.net, vocab, "the", 200, temperature=1.0, rng=np.random.RandomState(0))
    assert "<unk>" not in text and len(text) == 203


def _nan_on_steps(monkeypatch, steps):
    """Make the loss NaN on the given (0-based, counted over the run) minibatches."""
    original, count = _train_step, [0]

    def step(run, loss, X, Y, epoch, index):
        count[0] += 1
        if count[0] - 1 in steps:
            return original(run, lambda *a: loss(*a) * float("nan"), X, Y, epoch, index)
        return original(run, loss, X, Y, epoch, index)
    monkeypatch.setattr(loop, "_train_step", step)


def test_nan_loss_stops_with_a_message_and_keeps_the_last_good_checkpoint(small_corpus, tmp_path,
                                                                           monkeypatch):
    run = new_run(_config(small_corpus, num_epochs=3), out=tmp_path)
    batches = len(list(_epoch_batches(run, random.Random(0), 1)))
    run.position.rng_state = None
    _nan_on_steps(monkeypatch, {batches + 4})  # epoch 2, minibatch 5
    path = tmp_path / CHECKPOINT_NAME
    with pytest.raises(NonFiniteLoss, match="epoch 2, minibatch 5.*after epoch 1.*--skip-nonfinite"):
        fit(run, handle_sigint=False)
    saved = load_training_checkpoint(path)
    assert saved.meta["position"]["epoch"] == 1
    assert all(np.isfinite(a).all() for a in saved.params.values())


def test_skip_nonfinite_skips_and_counts(small_corpus, monkeypatch):
    _nan_on_steps(monkeypatch, {2, 3, 10})
    run = new_run(_config(small_corpus, num_epochs=1, skip_nonfinite=True))
    before = {k: p.data().asnumpy().copy() for k, p in run.net._collect_params_with_prefix().items()}
    report = fit(run, handle_sigint=False).reports[0]
    assert report.skipped == 3 and np.isfinite(report.perplexity)
    after = run.net._collect_params_with_prefix()
    assert all(np.isfinite(p.data().asnumpy()).all() for p in after.values())
    assert any((after[k].data().asnumpy() != v).any() for k, v in before.items())


def test_nan_loss_from_the_command_line_is_one_line(small_corpus, tmp_path, monkeypatch, capsys):
    from gluon_rnn.cli import main

    _nan_on_steps(monkeypatch, {0})
    assert main(["train", "--corpus", small_corpus, "--num-hiddens", "8", "--num-epochs", "1",
                 "--out", str(tmp_path / "run"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "NaN or infinite in epoch 1, minibatch 1" in err[0]
    assert "no checkpoint was written" in err[0]


def test_two_contexts_train_as_one(small_corpus):
    """Data parallel over cpu(0) and cpu(1) (a device KVStore sums the gradients):
    the same perplexities as one context, to float rounding, for both partitionings."""
    for changes in (dict(model="gru"), dict(model="scratch", iter="random")):
        config = _config(small_corpus, num_epochs=2, **changes)
        one = fit(new_run(config, mx.cpu(0)), handle_sigint=False).reports
        two_run = new_run(config, [mx.cpu(0), mx.cpu(1)])
        two = fit(two_run, handle_sigint=False).reports
        np.testing.assert_allclose([r.perplexity for r in two], [r.perplexity for r in one],
                                   rtol=1e-5)
        np.testing.assert_allclose([r.valid_perplexity for r in two],
                                   [r.valid_perplexity for r in one], rtol=1e-5)
        first = list(two_run.net.collect_params().values())[0]
        np.testing.assert_array_equal(first.data(mx.cpu(0)).asnumpy(),
                                      first.data(mx.cpu(1)).asnumpy())  # copies stay in sync


def test_two_contexts_resume_and_uneven_batches(small_corpus, tmp_path):
    config = _config(small_corpus, model="lstm", num_epochs=2, optimizer="adam", lr=0.01)
    ctxs = [mx.cpu(0), mx.cpu(1)]
    full = fit(new_run(config, ctxs, out=tmp_path / "full"), handle_sigint=False)
    cut = fit(new_run(config, ctxs, out=tmp_path / "cut"), on_batch=_interrupt_at(1, 5))
    assert cut.interrupted
    path = tmp_path / "cut" / CHECKPOINT_NAME
    with pytest.raises(ValueError, match="resume it on 2 context"):
        resume_run(path, mx.cpu())
    rest = fit(resume_run(path, ctxs), handle_sigint=False)
    assert [r.perplexity for r in rest.reports] == [r.perplexity for r in full.reports]
    with pytest.raises(ValueError, match="does not split evenly over 3 contexts"):
        new_run(_config(small_corpus, batch_size=16), [mx.cpu(0), mx.cpu(1), mx.cpu(2)])


def test_full_disk_is_reported_before_training(small_corpus, tmp_path, monkeypatch):
    import collections
    import shutil

    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10 ** 9, 10 ** 9 - 4096, 4096))
    with pytest.raises(ValueError, match=r"only 0.0 MB free .* need about \d+\.\d MB"):
        new_run(_config(small_corpus), out=tmp_path / "run")
    assert not (tmp_path / "run" / CHECKPOINT_NAME).exists()
    config = _config(small_corpus, model="lstm", optimizer="adam")
    run = new_run(config)
    size = checkpoint_bytes(run.net, config, len(run.vocab))
    values = sum(p.data().size for p in run.net.collect_params().values())
    assert size == values * 12 + 64 * len(run.vocab) + (64 << 10)


def test_checkpoint_size_estimate_bounds_the_file(small_corpus, tmp_path):
    config = _config(small_corpus, model="lstm", optimizer="adam", num_epochs=1)
    run = new_run(config, out=tmp_path)
    fit(run, handle_sigint=False)
    size = (tmp_path / CHECKPOINT_NAME).stat().st_size
    estimate = checkpoint_bytes(run.net, config, len(run.vocab))
    assert size < estimate < size + (128 << 10)  # above the file, and not by a megabyte
