"""Hostile but plausible input, through the real entry point: one clear line and exit 2
(or a sane exit 0), never a traceback of ours; a chapter script's own failures look as
they would under ``python script.py``."""
from __future__ import annotations

import math
import subprocess
import sys

import pytest

from gluon_rnn.train.config import TrainConfig
from gluon_rnn.train.evaluate import perplexity


def gluon_rnn(*argv, timeout=300):
    return subprocess.run([sys.executable, "-m", "gluon_rnn", *map(str, argv)],
                          capture_output=True, text=True, timeout=timeout)


def _corpus(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat. " * 100)
    return corpus


def test_perplexity_past_float_range_is_inf_not_an_error():
    assert perplexity(1e6, 10) == math.inf
    assert perplexity(math.log(7.0) * 3, 3) == pytest.approx(7.0)


def test_a_learning_rate_schedule_out_of_float_range_is_refused_up_front():
    with pytest.raises(ValueError, match="gives a learning rate of inf by epoch 3"):
        TrainConfig(lr=1e-250, lr_decay=1e200, num_epochs=3).check()
    assert TrainConfig(lr=20, lr_decay=0.5, decay_after=4, num_epochs=13).check()
    assert TrainConfig(lr=1e-250, lr_decay=1e200, num_epochs=3).learning_rate(3) == math.inf


@pytest.mark.parametrize("argv", [
    ["train", "--lr", "10000", "--num-epochs", "2"],
    ["train", "--lr", "1e30", "--num-epochs", "1"],
    ["train", "--lr", "1e-250", "--lr-decay", "1e200", "--num-epochs", "3"],
])
def test_huge_learning_rates_end_in_one_line(tmp_path, argv):
    done = gluon_rnn(*argv, "--corpus", _corpus(tmp_path), "--num-hiddens", "8", "--num-steps",
                     "5", "--batch-size", "4", "--out", tmp_path / "run", "--no-progress")
    assert "Traceback" not in done.stderr and "OverflowError" not in done.stderr
    if done.returncode == 2:
        assert len(done.stderr.strip().splitlines()) == 1 and "gluon-rnn: error:" in done.stderr
    else:
        assert done.returncode == 0 and "epoch 1: perplexity" in done.stdout


def test_mxnet_errors_show_their_reason_not_a_traceback_header(tmp_path):
    done = gluon_rnn("train", "--ctx", "gpu:0", "--corpus", _corpus(tmp_path), "--num-epochs",
                     "1", "--out", tmp_path / "run")
    assert done.returncode == 2
    assert done.stderr.strip() == "gluon-rnn: error: MXNet refused the input: MXNetError: GPU is not enabled"


def test_a_chapter_scripts_exit_message_and_own_errors(tmp_path):
    quits = tmp_path / "quits.py"
    quits.write_text("import sys\nimport d2l\nsys.exit('the data folder is missing')\n")
    done = gluon_rnn("chapter", quits)
    assert done.returncode == 1 and done.stderr.strip() == "the data folder is missing"
    fails = tmp_path / "fails.py"
    fails.write_text("import d2l\n\ndef load():\n    raise ValueError('bad shape (3, 4)')\n\nload()\n")
    done = gluon_rnn("chapter", fails)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert f'File "{fails}", line 6, in <module>' in lines[1]
    assert f'File "{fails}", line 4, in load' in done.stderr
    assert lines[-1] == "ValueError: bad shape (3, 4)"
    assert "runpy" not in done.stderr and "gluon-rnn: error" not in done.stderr


def _train(tmp_path, *extra, cwd=None, corpus=None):
    corpus = corpus or _corpus(tmp_path)
    return subprocess.run([sys.executable, "-m", "gluon_rnn", "train", "--corpus", str(corpus),
                           "--num-hiddens", "8", "--num-steps", "5", "--batch-size", "4",
                           "--no-progress", *map(str, extra)],
                          capture_output=True, text=True, timeout=300, cwd=cwd)


def test_two_runs_into_one_folder_the_second_is_refused(tmp_path):
    import time

    out = tmp_path / "run"
    first = subprocess.Popen([sys.executable, "-m", "gluon_rnn", "train", "--corpus",
                              str(_corpus(tmp_path)), "--num-hiddens", "8", "--num-steps", "5",
                              "--batch-size", "4", "--num-epochs", "100000", "--no-progress",
                              "--out", str(out)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while not (out / "checkpoint.npz").exists() and time.time() < deadline:
            time.sleep(0.2)
        second = _train(tmp_path, "--num-epochs", "1", "--overwrite", "--out", out)
        assert second.returncode == 2
        assert f"is in use by another gluon-rnn run (pid {first.pid})" in second.stderr
    finally:
        first.kill()
        first.wait()
    again = _train(tmp_path, "--num-epochs", "1", "--overwrite", "--out", out)  # lock freed
    assert again.returncode == 0, again.stderr


def test_temporaries_of_an_interrupted_write_are_removed_by_the_next_run(tmp_path):
    out = tmp_path / "run"
    assert _train(tmp_path, "--num-epochs", "1", "--out", out).returncode == 0
    (out / "checkpoint.npz.k2j3l4.tmp").write_bytes(b"half a checkpoint")
    (out / "notes.k2j3l4.tmp").write_text("not ours")
    assert _train(tmp_path, "--num-epochs", "2", "--resume", "--out", out).returncode == 0
    assert not (out / "checkpoint.npz.k2j3l4.tmp").exists()
    assert (out / "notes.k2j3l4.tmp").exists()  # only what gluon-rnn itself writes


def test_a_refused_start_leaves_no_folder_behind(tmp_path):
    done = _train(tmp_path, "--num-epochs", "1", "--num-steps", "100000", "--out", tmp_path / "x")
    assert done.returncode == 2 and "too short" in done.stderr
    assert not (tmp_path / "x").exists()


def test_resume_reads_the_data_it_was_trained_on_and_refuses_changed_data(tmp_path):
    first, other = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    other.mkdir()
    (first / "c.txt").write_text("the cat sat on the mat. " * 100)
    (other / "c.txt").write_text("a different text, of other words entirely. " * 60)
    out = tmp_path / "run"
    assert _train(tmp_path, "--num-epochs", "1", "--out", out, cwd=first,
                  corpus="c.txt").returncode == 0
    from gluon_rnn.train.checkpoints import load_training_checkpoint

    data = load_training_checkpoint(out / "checkpoint.npz").meta["data"]
    assert data["path"] == str((first / "c.txt").resolve()) and len(data["sha1"]) == 40
    resumed = _train(tmp_path, "--num-epochs", "2", "--resume", "--out", out, cwd=other,
                     corpus="c.txt")
    assert resumed.returncode == 0, resumed.stderr  # read a/c.txt again, not b/c.txt
    (first / "c.txt").write_text("the cat sat on the hat. " * 100)
    refused = _train(tmp_path, "--num-epochs", "3", "--resume", "--out", out, cwd=first,
                     corpus="c.txt")
    assert refused.returncode == 2 and "now holds other data" in refused.stderr


def test_the_progress_bar_moves_within_an_epoch(tmp_path):
    import re

    corpus = tmp_path / "long.txt"
    corpus.write_text("the time traveller held the lamp and spoke of the fourth dimension. " * 400)
    done = subprocess.run([sys.executable, "-m", "gluon_rnn", "train", "--corpus", str(corpus),
                           "--num-hiddens", "16", "--num-steps", "5", "--batch-size", "4",
                           "--num-epochs", "1", "--out", str(tmp_path / "run")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    # minibatches done of all epochs' (a total, so a rate and the time left), while epoch 1 ran
    shown = [(int(n), int(total)) for n, total in re.findall(r"epoch 1/1: .*?(\d+)/(\d+) \[",
                                                              done.stderr)]
    totals = {total for _, total in shown}
    assert len(totals) == 1 and totals.pop() >= 100
    assert len({n for n, _ in shown}) >= 3 and shown == sorted(shown)
    assert re.search(r"\d+/\d+ \[\d\d:\d\d<\d\d:\d\d, ", done.stderr)  # elapsed<left


def test_a_full_disk_during_a_model_write_is_one_error_and_no_late_traceback(tmp_path):
    code = ("import errno, gc, sys\n"
            "import numpy as np\n"
            "from gluon_rnn import npzfile\n"
            "class Full:\n"
            "    def __init__(self, *a, **k): pass\n"
            "    def __enter__(self): return self\n"
            "    def __exit__(self, *a): return False\n"
            "    def write(self, data): raise OSError(errno.ENOSPC, 'No space left on device')\n"
            "npzfile.open = Full\n"
            f"target = {str(tmp_path / 'm.npz')!r}\n"
            "try:\n"
            "    npzfile.save_npz(target, {'U': np.ones((300, 300))})\n"
            "except OSError as err:\n"
            "    print('error:', err.strerror)\n"
            "gc.collect()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "error: No space left on device"
    assert done.stderr == ""  # no "Exception ignored in ... ZipFile.__del__"
    assert list(tmp_path.iterdir()) == []  # neither the file nor a temporary


@pytest.mark.requires_data('reddit-comments-2015-08.csv')
def test_sizes_beyond_memory_are_one_line(tmp_path):
    done = gluon_rnn("rnnlm", "train", "--hidden-dim", "100000000", "--max-sentences", "5",
                     "--out", tmp_path / "m.npz")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("gluon-rnn: error: not enough memory for the sizes asked for")
    assert "choose smaller sizes" in done.stderr and not (tmp_path / "m.npz").exists()


@pytest.mark.parametrize("ctx", ["cpu:\u00b2", "cpu:\u0663", "gpu:x"])
def test_a_context_in_other_digits_names_the_option(ctx):
    from gluon_rnn.devices import parse_ctx

    with pytest.raises(ValueError, match="--ctx: context .* is not one of"):
        parse_ctx(ctx)


@pytest.mark.parametrize("extra, message", [
    (["--snapshot", "{tmp}/o/{{nope}}.npz"], "only the fields {epoch}, {hidden}, {words}, {seen}"),
    (["--learning-rate", "1e30"], "training diverged"),
    (["--learning-rate", "1e300"], "outside float32's range"),  # refused before training
    (["--vocabulary-size", "2"], "keeps no SENTENCE_END, so no sentence could ever be generated"),
])
@pytest.mark.requires_data('reddit-comments-2015-08.csv')
def test_rnnlm_train_refuses_what_it_could_not_use(tmp_path, extra, message):
    extra = [e.format(tmp=tmp_path) for e in extra]
    done = gluon_rnn("rnnlm", "train", "--max-sentences", "20", "--hidden-dim", "8",
                     "--vocabulary-size", "300", *extra, "--out", tmp_path / "m.npz",
                     "--no-progress")
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and message in done.stderr
    assert not (tmp_path / "m.npz").exists()


def _gluon_checkpoint(tmp_path):
    out = tmp_path / "run"
    assert _train(tmp_path, "--num-epochs", "1", "--out", out).returncode == 0
    return out / "checkpoint.npz"


def test_generation_streams_as_it_is_drawn(tmp_path):
    """2,000,000,000 characters: the first ones arrive while the rest are still being drawn
    (before, nothing was printed until the end); a reader that goes away ends it quietly."""
    import itertools

    from gluon_rnn.sampling import stream_text
    from gluon_rnn.train.run import load_model

    checkpoint = _gluon_checkpoint(tmp_path)
    net, vocab, config = load_model(checkpoint)
    pieces = stream_text(net, vocab, "the", 2_000_000_000, config.level)
    first = "".join(itertools.islice(pieces, 8))
    assert first.startswith("the") and len(first) == 8  # the prefix's 3 and 5 drawn
    proc = subprocess.Popen([sys.executable, "-m", "gluon_rnn", "generate", "--checkpoint",
                             str(checkpoint), "--prefix", "the", "--num-chars", "2000000000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    head = proc.stdout.read(200)  # blocks until printed: the whole text would take days
    proc.stdout.close()  # the reader goes away, as `| head` does
    _, err = proc.communicate(timeout=120)
    assert head.startswith(b"the") and len(head) == 200
    assert proc.returncode == 141 and b"Traceback" not in err and not err.strip(), err


def test_sigterm_during_training_saves_and_resumes(tmp_path):
    import signal
    import time

    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "gluon_rnn", "train", "--corpus",
                             str(_corpus(tmp_path)), "--num-hiddens", "8", "--num-steps", "5",
                             "--batch-size", "4", "--num-epochs", "100000", "--no-progress",
                             "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.time() + 120
    while not (out / "checkpoint.npz").exists() and time.time() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and "saved" in err and "--resume" in err, err
    assert err.startswith("terminated (SIGTERM) in epoch "), err
    from gluon_rnn.train.checkpoints import load_training_checkpoint

    epoch = load_training_checkpoint(out / "checkpoint.npz").meta["position"]["epoch"]
    done = _train(tmp_path, "--num-epochs", epoch + 1, "--resume", "--out", out)
    assert done.returncode == 0, done.stderr


@pytest.mark.requires_data('reddit-comments-2015-08.csv')
def test_rnnlm_generate_refuses_what_it_cannot_use(tmp_path):
    import json

    from gluon_rnn.tutorials.wildml.numpy_rnn import RNNNumpy
    from gluon_rnn.tutorials.wildml.workflow import NoSentence, generate_sentence

    model = tmp_path / "m.npz"
    assert gluon_rnn("rnnlm", "train", "--max-sentences", "20", "--vocabulary-size", "60",
                     "--hidden-dim", "4", "--no-progress", "--out", model).returncode == 0
    vocab = json.loads((tmp_path / "m.npz.vocab.json").read_text())
    other = tmp_path / "other.json"
    other.write_text(json.dumps(["w%d" % i for i in range(len(vocab))]))
    done = gluon_rnn("rnnlm", "generate", "--model", model, "--vocab", other)
    assert done.returncode == 2 and "has no SENTENCE_START or SENTENCE_END" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    # a model that never ends a sentence: every hidden unit saturates at +1 and
    # SENTENCE_END's output weights are far below zero
    never = RNNNumpy(len(vocab), 4, seed=1)
    never.U[:], never.W[:] = 5.0, 0.0
    never.V[vocab.index("SENTENCE_END")] = -100.0
    with pytest.raises(NoSentence, match="no sentence of 1 to 5 words in 3 tries") as info:
        generate_sentence(never, vocab, {w: i for i, w in enumerate(vocab)}, 1, 5, seed=0,
                          max_tries=3)
    assert isinstance(info.value, ValueError)  # so the CLI reports it as one line


@pytest.mark.requires_data('timemachine.txt')
def test_finite_but_useless_training_is_refused(tmp_path):
    """lr 1e4: every loss stays finite (tanh saturates), the model is worse than a guess."""
    from gluon_rnn.data.corpora import time_machine_text

    out, corpus = tmp_path / "run", tmp_path / "tm.txt"
    corpus.write_text(time_machine_text(4000))
    done = _train(tmp_path, "--num-epochs", "2", "--lr", "1e4", "--out", out, corpus=corpus)
    assert done.returncode == 2, done.stderr
    assert "training diverged in epoch 1" in done.stderr and "no checkpoint" in done.stderr
    assert not (out / "checkpoint.npz").exists()
    compared = gluon_rnn("compare", "--lr", "1e30", "--epochs", "2", "--num-examples", "2000",
                         "--no-progress", "--out", tmp_path / "cmp")
    assert compared.returncode == 2 and "training diverged" in compared.stderr
    assert "checkpoint" not in compared.stderr  # compare writes none: nothing to say about one


def test_a_one_line_corpus_is_indexed_in_one_pass(monkeypatch):
    """Vocab.indices reads its tokens once, from any iterable, with no per-token call of
    __getitem__ (the path that made a 55 MB corpus take half a minute)."""
    from gluon_rnn.data.vocab import Vocab

    tokens = list("the time machine " * 1000)
    vocab = Vocab(tokens)
    expected = vocab[tokens]
    reads = []

    def once(items):
        for item in items:
            reads.append(item)
            yield item

    def per_token(self, token):
        raise AssertionError("indexed one token at a time")
    monkeypatch.setattr(Vocab, "__getitem__", per_token)
    assert vocab.indices(once(tokens)) == expected
    assert reads == tokens  # every token read, once, in order
    assert vocab.indices(iter("thé")) == [expected[0], expected[1], vocab.unk]
