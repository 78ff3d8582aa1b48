"""Hostile inputs, tried systematically against every command (through ``main``) and
every public loader: each gets one line naming the problem (exit status 2 from the
command line), never a traceback, and leaves no output file behind."""
from __future__ import annotations

import os

import numpy as np
import pytest

from conftest import require_data
from gluon_rnn.cli import main
from gluon_rnn.data.corpora import (
    load_data_time_machine_split,
    load_token_corpus,
    time_machine_text,
)
from gluon_rnn.data.resolve import resolve
from gluon_rnn.train.checkpoints import load_training_checkpoint
from gluon_rnn.train.run import load_model
from gluon_rnn.tutorials.d2l.d2l092 import load_data_time_machine
from gluon_rnn.tutorials.straight_dope import load_char_corpus, load_char_rnn
from gluon_rnn.tutorials.wildml.files import load_model_parameters, read_model_parameters
from gluon_rnn.tutorials.wildml.numpy_rnn import RNNNumpy
from gluon_rnn.tutorials.wildml.pipeline import load_word_data, read_comments


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The hostile files, and one good checkpoint to break."""
    require_data('timemachine.txt')
    root = tmp_path_factory.mktemp("hostile")
    made = {
        "empty": root / "empty.txt", "binary": root / "binary.bin",
        "latin1": root / "latin1.txt", "nobody": root / "nobody.csv",
        "pickled": root / "pickled.npz", "truncated": root / "truncated.npz",
        "wildml": root / "wildml.npz", "single_npy": root / "array.npy",
        "good_corpus": root / "tm.txt", "checkpoint": root / "run" / "checkpoint.npz",
        "missing": root / "missing.txt",
    }
    made["empty"].write_bytes(b"")
    made["binary"].write_bytes(bytes(range(256)) * 8)
    made["latin1"].write_bytes("caf\xe9 cr\xe8me br\xfbl\xe9e, ".encode("latin-1") * 50)
    made["nobody"].write_text("title,score\nhello world,1\n")
    np.savez(made["pickled"], U=np.array([{"evil": 1}], dtype=object), V=np.zeros(2),
             W=np.zeros(2))
    np.savez(made["wildml"], U=np.zeros((2, 3)), V=np.zeros((3, 2)), W=np.zeros((2, 2)))
    np.save(made["single_npy"], np.zeros(3))
    made["good_corpus"].write_text(time_machine_text(4000))
    assert main(["train", "--corpus", str(made["good_corpus"]), "--num-hiddens", "8",
                 "--num-epochs", "1", "--num-steps", "10", "--batch-size", "4", "--out",
                 str(root / "run"), "--no-progress"]) == 0
    data = made["checkpoint"].read_bytes()
    made["truncated"].write_bytes(data[:len(data) // 2])
    assert main(["train", "--corpus", str(made["good_corpus"]), "--num-hiddens", "8",
                 "--num-epochs", "1", "--num-steps", "10", "--batch-size", "4", "--optimizer",
                 "adam", "--lr", "0.01", "--out", str(root / "adam"), "--no-progress"]) == 0
    for how in EDITS:  # Adam keeps two arrays per parameter: one can go missing
        source = root / "adam" / "checkpoint.npz" if how == "no_optimizer_state" else \
            made["checkpoint"]
        made[f"edited_{how}"] = _edited(source, root / f"edited_{how}.npz", how)
    made["huge"] = _huge_header(root / "huge.npz")
    made["compare_out"] = root / "compare_out"
    made["directory"] = root / "a_folder"
    made["directory"].mkdir()
    made["fifo"] = root / "a_fifo"
    os.mkfifo(made["fifo"])
    return made


EDITS = ("unknown_key", "missing_key", "wrong_type", "vocab_lists", "no_optimizer_state",
         "no_vocab", "position")


def _edited(source, target, how: str):
    """``source`` with its metadata or arrays edited as a user with a text editor might."""
    import json

    arrays = dict(np.load(source))
    meta = json.loads(arrays["meta"].tobytes())
    if how == "unknown_key":
        meta["config"]["colour"] = "red"
    elif how == "missing_key":
        del meta["config"]["num_hiddens"]
    elif how == "wrong_type":
        meta["config"]["num_hiddens"] = "8"
    elif how == "vocab_lists":
        meta["vocab"] = [[token] for token in meta["vocab"]]
    elif how == "no_vocab":
        del meta["vocab"]
    elif how == "position":
        meta["position"]["epoch"] = "one"
    else:
        arrays = {k: v for k, v in arrays.items() if not k.startswith("state/0/")}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(target, **arrays)
    return target


def _huge_header(target):
    """An npz whose member's header declares 10**12 float64 values but holds 16 bytes."""
    import io
    import zipfile

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (10**12,)})
    with zipfile.ZipFile(target, "w") as archive:
        for name in ("U", "V", "W"):
            archive.writestr(f"{name}.npy", header.getvalue() + b"\0" * 16)
    return target


# (command line with {placeholders} for the files, what the one-line error must say)
CASES = [
    ("train --corpus {empty}", "holds 0 char tokens"),
    ("train --corpus {binary}", "is not utf-8 text"),
    ("train --corpus {latin1}", "is not utf-8 text"),
    ("train --corpus {missing}", "is neither one of"),
    ("train --corpus {good_corpus} --num-hiddens 0", "num_hiddens must be a positive integer"),
    ("train --corpus {good_corpus} --num-hiddens -5", "num_hiddens must be a positive integer"),
    ("train --corpus {good_corpus} --lr -1", "lr must be a positive finite number"),
    ("train --corpus {good_corpus} --lr inf", "lr must be a positive finite number"),
    ("train --corpus {good_corpus} --lr nan", "lr must be a positive finite number"),
    ("train --corpus {good_corpus} --batch-size 100000", "too short"),
    ("train --corpus {good_corpus} --num-steps 1000000000", "too short"),
    ("train --corpus {good_corpus} --dropout 1.5", "dropout in [0, 1)"),
    ("train --corpus {good_corpus} --valid-fraction 0", "valid_fraction must be between"),
    ("train --corpus {good_corpus} --model transformer", "invalid choice"),
    ("train --corpus {good_corpus} --ctx gpu:x", "not one of auto, cpu"),
    ("train --corpus {good_corpus} --out {binary}/run", "cannot write the run folder"),
    ("generate --checkpoint {empty} --prefix the", "not a readable gluon-rnn checkpoint"),
    ("generate --checkpoint {binary} --prefix the", "not a readable gluon-rnn checkpoint"),
    ("generate --checkpoint {truncated} --prefix the", "not a readable gluon-rnn checkpoint"),
    ("generate --checkpoint {pickled} --prefix the", "not a readable gluon-rnn checkpoint"),
    ("generate --checkpoint {wildml} --prefix the", "not a gluon-rnn checkpoint"),
    ("generate --checkpoint {single_npy} --prefix the", "single .npy array"),
    ("generate --checkpoint {missing} --prefix the", "does not exist"),
    ("generate --checkpoint {checkpoint} --prefix \u20ac\u00df", "are not in the model's vocabulary"),
    ("generate --checkpoint {checkpoint} --prefix", "expected one argument"),
    ("generate --checkpoint {checkpoint} --prefix the --num-chars 0", "must be a positive integer"),
    ("generate --checkpoint {checkpoint} --prefix the --temperature 0", "must be a positive number"),
    ("compare --num-examples 10 --no-progress --out {missing}", "too short"),
    ("compare --epochs -1", "must be a positive integer"),
    ("compare --lr 1e999", "must be a positive number"),
    ("rnnlm train --data {empty}", ""),
    ("rnnlm train --data {binary}", "is not utf-8 text"),
    ("rnnlm train --data {nobody}", "body"),
    ("rnnlm train --data {missing}", "does not exist"),
    ("rnnlm train --hidden-dim 0", "must be a positive integer"),
    ("rnnlm generate --model {pickled}", "pickled"),
    ("rnnlm generate --model {truncated}", ""),
    ("rnnlm generate --model {checkpoint}", "holds arrays"),
    ("rnnlm generate --model {missing}", "does not exist"),
    ("straight-dope train --corpus {empty}", "holds 0 characters"),
    ("straight-dope train --corpus {binary}", "is not utf-8 text"),
    ("straight-dope train --corpus {missing}", "is neither one of"),
    ("straight-dope sample --model {wildml}", "holds arrays"),
    ("straight-dope sample --model {truncated}", ""),
    ("chapter {missing}", "does not exist"),
    ("chapter {directory}", "is a directory, not a regular file"),
    ("rnnlm train --data {directory}", "is a directory, not a regular file"),
    ("rnnlm train --data {fifo}", "is a FIFO (named pipe), not a regular file"),
    ("rnnlm generate --model {directory}", "is a directory, not a regular file"),
    ("generate --checkpoint {fifo} --prefix the", "is a FIFO (named pipe), not a regular file"),
    ("straight-dope sample --model {fifo}", "is a FIFO (named pipe), not a regular file"),
    ("generate --checkpoint {huge} --prefix the", "declares shape (1000000000000,)"),
    ("rnnlm generate --model {huge}", "declares shape (1000000000000,)"),
    ("straight-dope sample --model {huge}", "declares shape (1000000000000,)"),
    ("generate --checkpoint {edited_unknown_key} --prefix the", "meta.config has unknown fields ['colour']"),
    ("generate --checkpoint {edited_missing_key} --prefix the", "no value for ['num_hiddens']"),
    ("generate --checkpoint {edited_wrong_type} --prefix the", "meta.config.num_hiddens must be an integer, got '8'"),
    ("generate --checkpoint {edited_vocab_lists} --prefix the", "meta.vocab[0] must be a string"),
    ("generate --checkpoint {edited_no_vocab} --prefix the", "meta has no value for ['vocab']"),
    ("generate --checkpoint {edited_no_optimizer_state} --prefix the",
     "holds shapes [], Adam keeps [(8,), (8,)]"),
    ("train --corpus {good_corpus} --num-layers 100000", "num_layers 100000 is more than 100"),
    ("train --corpus {good_corpus} --num-hiddens 1000000", "GiB is available"),
    ("train --corpus {good_corpus} --embed-size 100000000", "GiB is available"),
    ("straight-dope train --corpus {good_corpus} --num-hidden 2000000000", "GiB is available"),
    ("compare --lr 1e30 --epochs 2 --num-examples 2000 --no-progress --out {compare_out}",
     "training diverged"),
    ("launch -n 100000 -- true", "processes a job on this machine"),
    ("launch -n 0 -- true", "must be a positive integer"),
    ("data --fetch nothing.zip", "invalid choice"),
]


def _argv(template: str, files) -> list:
    return [part.format(**{k: str(v) for k, v in files.items()}) for part in template.split(" ")]


@pytest.mark.parametrize("template, message", CASES, ids=[c[0][:48] for c in CASES])
def test_hostile_input_gets_one_line(files, tmp_path, monkeypatch, capsys, template, message):
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    try:
        code = main(_argv(template, files))
    except SystemExit as stop:  # argparse's own usage errors
        code = stop.code
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err  # argparse's usage block does not come first either
    assert lines[0].startswith("gluon-rnn") and message in lines[0], err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written
    assert not files["missing"].exists()


@pytest.mark.parametrize("loader, name", [
    (lambda f: load_token_corpus(str(f["empty"])), "holds 0"),
    (lambda f: load_token_corpus(str(f["binary"])), "is not utf-8 text"),
    (lambda f: load_token_corpus(str(f["good_corpus"]), level="byte"), "level must be"),
    (lambda f: load_char_corpus(str(f["latin1"])), "is not utf-8 text"),
    (lambda f: load_data_time_machine(0), "num_examples must be a positive integer"),
    (lambda f: resolve("no-such-file.txt"), "no-such-file.txt"),
    (lambda f: read_comments(f["nobody"]), "body"),
    (lambda f: read_comments(f["binary"]), "is not utf-8 text"),
    (lambda f: load_training_checkpoint(f["pickled"]), "not a readable"),
    (lambda f: load_training_checkpoint(f["truncated"]), "not a readable"),
    (lambda f: read_model_parameters(f["pickled"]), "pickled"),
    (lambda f: read_model_parameters(f["checkpoint"]), "holds arrays"),
    (lambda f: load_char_rnn(f["wildml"]), "holds arrays"),
    (lambda f: load_char_rnn(f["single_npy"]), "single .npy array"),
    (lambda f: load_model_parameters(f["truncated"], RNNNumpy(10, 4)), "readable"),
    (lambda f: load_word_data(f["binary"]), "is not utf-8 text"),
    (lambda f: load_word_data(f["nobody"]), "body"),
    (lambda f: load_data_time_machine_split(10, -3), "valid_examples must be"),
    (lambda f: load_model(f["pickled"]), "not a readable"),
    (lambda f: load_model(f["wildml"]), "not a gluon-rnn checkpoint"),
])
def test_loaders_refuse_hostile_files(files, loader, name):
    with pytest.raises((ValueError, FileNotFoundError, KeyError)) as info:
        loader(files)
    assert name in str(info.value)
