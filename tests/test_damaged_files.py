"""A generated table of damaged files against every reader (issue 25, class 1).

Each model and checkpoint kind is written by the code that writes it, then damaged one
way at a time: each member's stream corrupted, the file truncated, a member flagged as
encrypted or given a compression method Python cannot read, a member re-typed (integers,
complex, bool, dates, a record, pickled objects, a scalar); each metadata field of a
checkpoint removed, re-typed, out of range or nested past any depth. Every reader must
answer each case with one ``ValueError`` (the CLI's one line, exit 2): never another
exception, never a damaged file accepted.
"""
from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import mxnet as mx
import numpy as np
import pytest

from gluon_rnn.cli import main
from gluon_rnn.train.checkpoints import load_training_checkpoint
from gluon_rnn.tutorials.straight_dope import get_params, load_char_rnn, save_char_rnn
from gluon_rnn.tutorials.wildml.files import load_vocabulary, read_model_parameters

# ---- writing and damaging archives -------------------------------------------------


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _members(path: Path) -> dict:
    """name -> npy bytes of an archive (the undamaged file)."""
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _zip(members: dict, deflated=()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data, zipfile.ZIP_DEFLATED if name in deflated
                             else zipfile.ZIP_STORED)
    return buffer.getvalue()


def _patch_headers(data: bytes, name: str, *, flag: int = 0, method=None) -> bytes:
    """Set ``flag`` bits and/or the compression ``method`` of member ``name`` in both its
    local header and its central-directory entry."""
    data = bytearray(data)
    encoded = name.encode()
    for signature, flag_at, method_at, name_at in ((b"PK\x03\x04", 6, 8, 30),
                                                   (b"PK\x01\x02", 8, 10, 46)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            length = struct.unpack_from("<H", data, start + name_at - (2 if signature ==
                                                                       b"PK\x03\x04" else 18))[0]
            if bytes(data[start + name_at:start + name_at + length]) == encoded:
                old = struct.unpack_from("<H", data, start + flag_at)[0]
                struct.pack_into("<H", data, start + flag_at, old | flag)
                if method is not None:
                    struct.pack_into("<H", data, start + method_at, method)
            start += 4
    return bytes(data)


def _corrupt_stream(members: dict, name: str) -> bytes:
    """``name`` deflated, with bytes in the middle of its compressed stream flipped."""
    data = bytearray(_zip(members, deflated=(name,)))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo(name)
    start = info.header_offset + 30 + len(name.encode()) + len(info.extra)
    middle = start + max(1, info.compress_size // 2)
    for i in range(middle, min(middle + 8, start + info.compress_size)):
        data[i] ^= 0x5A
    return bytes(data)


RETYPED = {
    "int64": lambda a: a.astype(np.int64),
    "complex": lambda a: a.astype(np.complex128),
    "bool": lambda a: a.astype(bool),
    "datetime64": lambda a: np.zeros(a.shape, "datetime64[s]"),
    "record": lambda a: np.zeros(a.shape, [("x", "f4"), ("y", "f4")]),
    "objects": lambda a: np.array([object()] * max(1, a.size), dtype=object),
    "scalar": lambda a: np.array(a.reshape(-1)[0] if a.size else 0, a.dtype),
    "nan": lambda a: np.where(np.arange(a.size).reshape(a.shape) == 0, np.nan, a),
    "inf": lambda a: np.full(a.shape, np.inf, a.dtype),
}


def archive_damages(path: Path, skip_retype=()) -> dict:
    """case id -> damaged bytes, for every member of the archive at ``path``."""
    members = _members(path)
    whole = path.read_bytes()
    cases = {f"truncated-{f}": whole[:int(len(whole) * f)] for f in (0.0, 0.1, 0.5, 0.9, 0.99)}
    cases["not-a-zip"] = b"PK\x03\x04" + b"\0" * 100
    for name in members:
        cases[f"{name}-corrupt-stream"] = _corrupt_stream(members, name)
        cases[f"{name}-encrypted"] = _patch_headers(_zip(members), name, flag=0x1)
        for method in (9, 12, 14, 99):  # deflate64, bzip2 (as a stored member), lzma, AES
            cases[f"{name}-method-{method}"] = _patch_headers(_zip(members), name, method=method)
        cases[f"{name}-cut-short"] = _zip(dict(members, **{name: members[name][:-3]}))
        cases[f"{name}-header-lies"] = _zip(dict(members, **{
            name: members[name].replace(b"'shape': (", b"'shape': (99999, ", 1)}))
        if name in skip_retype:
            continue
        array = np.load(io.BytesIO(members[name]), allow_pickle=False)
        for kind, retype in RETYPED.items():
            cases[f"{name}-{kind}"] = _zip(dict(members, **{name: _npy(retype(array))}))
    cases["member-missing"] = _zip(dict(list(members.items())[1:]))
    cases["member-added"] = _zip(dict(members, **{"extra.npy": _npy(np.zeros(2))}))
    return cases


def _assert_refused(read, path: Path) -> str:
    """``read(path)`` raises one ValueError naming the file: the text, for the table."""
    with pytest.raises(ValueError) as info:
        read(path)
    text = str(info.value)
    assert "\n" not in text and str(path) in text, text
    return text


# ---- the files under test, written by the code that writes them -------------------


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ckpt")
    corpus = folder / "c.txt"
    corpus.write_text("the cat sat on the mat. " * 40)
    assert main(["train", "--corpus", str(corpus), "--num-hiddens", "4", "--num-steps", "5",
                 "--batch-size", "4", "--num-epochs", "1", "--no-progress",
                 "--out", str(folder / "run")]) == 0
    return folder / "run" / "checkpoint.npz"


@pytest.fixture(scope="module")
def char_rnn(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sd") / "model.npz"
    return save_char_rnn(path, get_params(5, 3, 5, mx.cpu()), "abcde")


@pytest.fixture(scope="module")
def wildml(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("wildml") / "model.npz"
    from gluon_rnn.npzfile import save_npz

    rng = np.random.RandomState(0)
    return save_npz(path, {"U": rng.rand(3, 6), "V": rng.rand(6, 3), "W": rng.rand(3, 3)})


def _load_model(path):
    from gluon_rnn.train.run import load_model

    return load_model(path, mx.cpu())


READERS = {  # what generate, train --resume, straight-dope sample and rnnlm generate read
    "checkpoint": (_load_model, ("meta.npy",)),
    "char_rnn": (load_char_rnn, ("characters.npy",)),
    "wildml": (read_model_parameters, ()),
}


@pytest.mark.parametrize("kind", list(READERS))
def test_every_damaged_archive_is_one_value_error(kind, request, tmp_path):
    source = request.getfixturevalue(kind)
    read, skip = READERS[kind]
    read(source)  # the undamaged file reads
    cases = archive_damages(source, skip_retype=skip)
    assert len(cases) > 40
    table, failures = {}, []
    for number, (case, data) in enumerate(cases.items()):
        damaged = tmp_path / f"case{number}.npz"
        damaged.write_bytes(data)
        try:
            table[case] = _assert_refused(read, damaged)
        except BaseException as err:  # noqa: B036 - name the case, whatever it raised
            failures.append(f"{case}: {type(err).__name__}: {str(err)[:200]}")
    assert failures == [], "\n".join(failures)
    assert any("encrypt" in t.lower() or "password" in t.lower() for t in table.values())
    assert any("NaN or infinite" in text for case, text in table.items() if case.endswith("nan"))


def test_a_zip_bomb_is_refused_before_inflating(tmp_path):
    """A member that declares 4 GB of zeros in a file of a few kilobytes."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (1 << 29,)})
    bomb = tmp_path / "bomb.npz"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("U.npy", "w", force_zip64=True) as member:
            member.write(header.getvalue())
            zeros = bytes(1 << 20)
            for _ in range(64):  # 64 MiB written of the 4 GiB declared: enough to refuse
                member.write(zeros)
    assert bomb.stat().st_size < 1 << 20
    text = _assert_refused(read_model_parameters, bomb)
    assert "refused before inflating" in text or "declares shape" in text


# ---- checkpoint metadata ------------------------------------------------------------


def _leaves(value, path=()):
    """Each field path of the metadata (dicts walked; lists are fields of their own)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _leaves(inner, path + (key,))
    if path:
        yield path


def _with(meta, path, change):
    meta = json.loads(json.dumps(meta))
    holder = meta
    for key in path[:-1]:
        holder = holder[key]
    change(holder, path[-1])
    return meta


def _deep(levels: int):
    return json.loads("[" * levels + "]" * levels) if levels < 500 else None


FIELD_DAMAGE = {
    "removed": lambda h, k: h.pop(k),
    "string": lambda h, k: h.__setitem__(k, "x"),
    "list": lambda h, k: h.__setitem__(k, [1]),
    "null": lambda h, k: h.__setitem__(k, None),
    "negative": lambda h, k: h.__setitem__(k, -5),
    "huge": lambda h, k: h.__setitem__(k, 10 ** 30),
    "float": lambda h, k: h.__setitem__(k, 0.5),
    "mapping": lambda h, k: h.__setitem__(k, {"a": 1}),
}

# what may be changed this way and still be a checkpoint (another run's, or the same):
# an optional field's absence, or a value of the field's own kind in its range
ACCEPTED = {
    ("removed", "hidden_contexts"), ("removed", "data"), ("null", "data"),
    ("null", "position.rng_state"),  # at an epoch's start: the run's seed draws it
    ("string", "config.corpus"),  # a corpus by name or path: read (and checked) on resume
    ("string", "data.path"),  # where the data was: the SHA-1 beside it is what is checked
    *(("float", f"config.{name}") for name in ("dropout", "lr", "lr_decay", "clipping_theta",
                                               "valid_fraction")),
    ("float", "optimizer.lr"),
    *(("huge", f"config.{name}") for name in ("num_epochs", "lr", "lr_decay", "decay_after",
                                              "clipping_theta")),
    ("huge", "optimizer.lr"),
}


def _resume(path):
    from gluon_rnn.train.run import resume_run

    return resume_run(path, mx.cpu())


def _write_meta(source: Path, target: Path, meta_bytes: bytes) -> None:
    members = _members(source)
    members["meta.npy"] = _npy(np.frombuffer(meta_bytes, dtype=np.uint8))
    target.write_bytes(_zip(members))


def test_every_damaged_metadata_field_is_refused_or_harmless(checkpoint, tmp_path):
    with zipfile.ZipFile(checkpoint) as archive:
        meta = json.loads(np.load(io.BytesIO(archive.read("meta.npy"))).tobytes())
    accepted = []
    paths = list(_leaves(meta))
    assert len(paths) > 30
    for path in paths:
        for how, change in FIELD_DAMAGE.items():
            try:
                damaged = _with(meta, path, change)
            except (TypeError, KeyError):
                continue
            if damaged == meta:
                continue
            target = tmp_path / "damaged.npz"
            _write_meta(checkpoint, target, json.dumps(damaged).encode())
            try:
                _load_model(target)
                _resume(target)
            except ValueError as err:
                assert "\n" not in str(err) and str(target) in str(err), str(err)
                continue
            accepted.append((how, ".".join(map(str, path))))
    assert sorted(accepted) == sorted(ACCEPTED)


@pytest.mark.parametrize("text", [b"[" * 100_000 + b"]" * 100_000, b'{"format": 1' + b" " * 10,
                                  b"\xff\xfe", b"[]", b"null", b'"text"'])
def test_metadata_that_is_not_a_checkpoints_json(checkpoint, tmp_path, text):
    target = tmp_path / "damaged.npz"
    _write_meta(checkpoint, target, text)
    _assert_refused(load_training_checkpoint, target)


# ---- the rnnlm vocabulary -----------------------------------------------------------


@pytest.mark.parametrize("text, message", [
    ("[" * 100_000 + "]" * 100_000, "nests"),
    ('["a", "b", "a"]', "twice"),
    ('{"a": 1}', "JSON list of words"),
    ('["a", 3]', "JSON list of words"),
    ("[", "not"),
])
def test_a_damaged_vocabulary_is_one_value_error(tmp_path, text, message):
    path = tmp_path / "model.npz.vocab.json"
    path.write_text(text)
    assert message in _assert_refused(load_vocabulary, path)


# ---- the same through the CLI: one line, exit 2 -------------------------------------


@pytest.mark.parametrize("case", ["truncated-0.5", "param/dense.weight.npy-encrypted",
                                  "param/dense.weight.npy-method-99", "meta.npy-corrupt-stream",
                                  "param/dense.weight.npy-scalar"])
def test_generate_on_a_damaged_checkpoint_is_one_line(checkpoint, tmp_path, capsys, case):
    cases = archive_damages(checkpoint, skip_retype=("meta.npy",))
    target = tmp_path / "damaged.npz"
    target.write_bytes(cases[case])
    assert main(["generate", "--checkpoint", str(target), "--prefix", "the"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gluon-rnn: error: ") and err.count("\n") == 1, err
