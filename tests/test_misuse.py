"""Misuse that used to crash, hang or pass silently (issue 25's cases): each now one clear
line from the CLI, a ``ValueError`` naming the argument from Python, or what the published
helper does."""
from __future__ import annotations

import random
import signal
import subprocess
import sys
import time

import mxnet as mx
import pytest
from mxnet.gluon import rnn

import d2l_compat
import d2lzh_compat
from conftest import loaded_library, wait_until
from gluon_rnn.cli import main
from gluon_rnn.devices import MAX_DEVICE_ID, check_context, parse_ctx

CHARS = list("abcdefghijklmnopqrstuvwxyz .")  # 28 tokens, as the Time Machine's


def _corpus(n=600, seed=0):
    draw = random.Random(seed)
    return [draw.randrange(len(CHARS)) for _ in range(n)]


@pytest.mark.parametrize("value", ["abc", "0", "100000", " ", "\u0663"])
def test_an_omp_thread_count_mxnet_cannot_run_with_is_one_line(monkeypatch, capsys, value):
    """MXNet aborts on `abc` (dmlc::ParamError), crashes on 100000 and crawls on 0: refused
    before it loads."""
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    assert main(["data"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"gluon-rnn: error: OMP_NUM_THREADS={value!r} is not a thread count "
                          "MXNet can run with: set it to a whole number from 1 to ")
    assert err.count("\n") == 1


@pytest.mark.parametrize("text", ["cpu:2147483647", f"cpu:{MAX_DEVICE_ID}", "gpu:99"])
def test_a_device_number_past_mxnets_bound_is_refused(text):
    """MXNet keeps tables per device id up to 16; past it cpu:2147483647 grew memory without
    end and printed nothing."""
    with pytest.raises(ValueError, match=r"--ctx: device number \d+ in .* is out of range: "
                                         r"(cpu|gpu):0 to (cpu|gpu):15"):
        parse_ctx(text)
    assert parse_ctx(f"cpu:{MAX_DEVICE_ID - 1}") == mx.cpu(MAX_DEVICE_ID - 1)


def test_the_cli_refuses_a_device_number_in_one_line():
    started = time.time()
    done = subprocess.run([sys.executable, "-m", "gluon_rnn", "generate", "--ctx",
                           "cpu:2147483647", "--checkpoint", "nowhere.npz", "--prefix", "a"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and time.time() - started < 60
    assert done.stderr.strip().splitlines() == [
        "gluon-rnn: error: --ctx: device number 2147483647 in 'cpu:2147483647' is out of "
        "range: cpu:0 to cpu:15"]


@pytest.mark.parametrize("ctx", ["cpu", "gpu(0)", 0])
def test_a_context_that_is_not_one_is_a_value_error(ctx):
    with pytest.raises(ValueError, match=r"ctx must be an MXNet context such as mx\.cpu\(\)"):
        check_context(ctx)
    check_context(None)
    check_context(mx.cpu())


def test_facades_name_a_string_context_instead_of_mxnets_cpp_text():
    model = d2lzh_compat.RNNModel(rnn.RNN(8), len(CHARS))
    with pytest.raises(ValueError, match="ctx must be an MXNet context"):
        d2lzh_compat.train_and_predict_rnn_gluon(
            model, 8, len(CHARS), "cpu", _corpus(), CHARS, {c: i for i, c in enumerate(CHARS)},
            1, 5, 1.0, 1.0, 4, 1, 5, ["ab"])


def test_a_gluon_model_sized_for_another_vocabulary_is_refused():
    """RNNModel(..., 5) on a 28-token corpus trained on clipped labels and reported a
    perplexity of 2.59; the real d2l crashes. Here: an error naming both sizes."""
    vocab = d2l_compat.Vocab(CHARS)
    model = d2l_compat.RNNModel(rnn.RNN(8), 5)
    with pytest.raises(ValueError, match=rf"5 .*{len(vocab)}|{len(vocab)} .*5"):
        d2l_compat.train_and_predict_rnn_gluon(model, 8, _corpus(), vocab, mx.cpu(), 1, 5, 1.0,
                                               1.0, 4, ["a"])


def test_print_period_zero_is_refused_not_taken_for_the_default():
    vocab = d2l_compat.Vocab(CHARS)
    model = d2l_compat.RNNModel(rnn.RNN(8), len(vocab))
    with pytest.raises(ValueError, match="print_period must be a positive integer, got 0"):
        d2l_compat.train_and_predict_rnn_gluon(model, 8, _corpus(), vocab, mx.cpu(), 2, 5, 1.0,
                                               1.0, 4, ["a"], print_period=0)


@pytest.mark.parametrize("facade", [d2lzh_compat, pytest.param("d2l087", id="d2l087")])
def test_pred_len_zero_prints_the_prefix_alone_as_the_real_packages_do(facade, capsys):
    if facade == "d2l087":
        import d2l087_compat as facade
    char_to_idx = {c: i for i, c in enumerate(CHARS)}
    mx.random.seed(0)
    model = facade.RNNModel(rnn.RNN(8), len(CHARS))
    facade.train_and_predict_rnn_gluon(model, 8, len(CHARS), mx.cpu(), _corpus(), CHARS,
                                       char_to_idx, 1, 5, 1.0, 1.0, 4, 1, 0, ["the", "a"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("epoch 1, perplexity ") and lines[1:] == [" - the", " - a"]


def test_sigterm_before_training_is_one_line_and_143(tmp_path):
    """Exit 143 (128 + SIGTERM, as a shell reports it) and a message, also while MXNet loads
    (README: Ctrl-C is 130, SIGTERM 143)."""
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat. " * 100)
    proc = subprocess.Popen([sys.executable, "-m", "gluon_rnn", "train", "--corpus", str(corpus),
                             "--num-epochs", "100000", "--no-progress", "--out",
                             str(tmp_path / "r")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_until(lambda: loaded_library(proc.pid, "libmxnet") or proc.poll() is not None, 60,
               "MXNet to start loading")  # the interpreter is up, MXNet loading
    assert proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert err.strip() == "gluon-rnn: terminated (SIGTERM)" or "saved" in err, err


def test_a_folder_given_as_corpus_is_named_as_a_folder(tmp_path, capsys):
    assert main(["train", "--corpus", str(tmp_path), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "is a directory" in err and "neither one of" not in err, err
    assert err.count("\n") == 1


def test_kernel_install_with_an_empty_prefix_is_refused(capsys):
    assert main(["kernel", "install", "--prefix", ""]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--prefix" in err, err


def test_data_into_an_empty_folder_name_is_refused(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["data", "--into", ""]) == 2
    assert "--into names no folder" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def _tiny_run(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat. " * 100)
    assert main(["train", "--corpus", str(corpus), "--num-hiddens", "8", "--num-epochs", "1",
                 "--no-progress", "--out", str(tmp_path / "run")]) == 0
    return tmp_path / "run" / "checkpoint.npz"


def test_closed_stdout_is_one_line_not_a_traceback(tmp_path, capsys):
    checkpoint = _tiny_run(tmp_path)
    capsys.readouterr()
    done = subprocess.run(f"{sys.executable} -m gluon_rnn generate --checkpoint {checkpoint} "
                          "--prefix the >&-", shell=True, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert done.stderr == ("gluon-rnn: error: standard output is closed, and the command prints "
                           "its results there: redirect it to a file, or to /dev/null to discard "
                           "them\n")


def test_an_engine_mxnet_cannot_start_is_said_once(tmp_path, capsys):
    """MXNet's exit hook raised the same error again after our line: said once now."""
    checkpoint = _tiny_run(tmp_path)
    capsys.readouterr()
    done = subprocess.run([sys.executable, "-m", "gluon_rnn", "generate", "--checkpoint",
                           str(checkpoint), "--prefix", "the"], capture_output=True, text=True,
                          timeout=120, env=dict(__import__("os").environ,
                                                MXNET_ENGINE_TYPE="Bogus"))
    assert done.returncode == 2
    assert done.stderr == ("gluon-rnn: error: MXNET_ENGINE_TYPE='Bogus' names no engine of "
                           "MXNet's (MXNetError: Cannot find Engine Bogus): set it to one of "
                           "NaiveEngine, ThreadedEngine, ThreadedEnginePerDevice, or unset it\n")


def test_trains_final_continuation_is_streamed(tmp_path):
    """--pred-len 2**31-1 | head -c 300: the continuation is printed as it is drawn, so
    head gets its bytes at once and the run ends quietly when head has them."""
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat. " * 100)
    started = time.time()
    done = subprocess.run(f"{sys.executable} -m gluon_rnn train --corpus {corpus} --num-hiddens 8 "
                          f"--num-epochs 1 --no-progress --out {tmp_path / 'run'} --pred-len "
                          "2147483647 | head -c 300", shell=True, capture_output=True,
                          timeout=180)
    assert time.time() - started < 120
    assert len(done.stdout) == 300 and b" - the" in done.stdout
    assert b"Traceback" not in done.stderr


def test_a_sentence_limit_that_could_not_be_streamed_is_refused():
    from gluon_rnn.tutorials.wildml.workflow import MAX_SENTENCE_WORDS, generate_sentence

    with pytest.raises(ValueError, match=f"max_length 2147483647 is above {MAX_SENTENCE_WORDS:,}"):
        generate_sentence(None, ["a"], {"a": 0}, 1, 2**31 - 1)


def test_more_than_ten_layers_train_save_generate_and_resume(tmp_path, capsys):
    """Gluon's own parameter-name pattern reads one digit of the layer number (l10_... did
    not match: an AttributeError while saving after a whole epoch); ours reads them all."""
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat. " * 100)
    out = tmp_path / "run"
    base = ["train", "--corpus", str(corpus), "--model", "lstm", "--num-layers", "11",
            "--num-hiddens", "4", "--no-progress", "--out", str(out)]
    assert main(base + ["--num-epochs", "1"]) == 0
    assert main(["generate", "--checkpoint", str(out / "checkpoint.npz"), "--prefix", "the",
                 "--num-tokens", "5"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("the")
    assert main(["train", "--out", str(out), "--resume", "--num-epochs", "2", "--no-progress"]) == 0
