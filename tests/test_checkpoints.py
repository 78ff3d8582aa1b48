"""npz model files: round trip, the published parameters, refusals, atomic writes."""
from __future__ import annotations

import numpy as np
import pytest

from gluon_rnn.data.resolve import resolve
from gluon_rnn.tutorials.wildml.files import load_model_parameters, save_model_parameters
from gluon_rnn.tutorials.wildml.numpy_rnn import RNNNumpy


def test_round_trip(tmp_path):
    model = RNNNumpy(30, 6, seed=1)
    path = save_model_parameters(tmp_path / "model.npz", model)
    other = load_model_parameters(path, RNNNumpy(10, 3))
    assert (other.word_dim, other.hidden_dim) == (30, 6)
    for name in "UVW":
        np.testing.assert_array_equal(getattr(other, name), getattr(model, name))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]


@pytest.mark.requires_data('trained-model-theano.npz')
def test_published_theano_model_loads():
    model = load_model_parameters(resolve("trained-model-theano.npz"), RNNNumpy(10, 3))
    assert (model.hidden_dim, model.word_dim) == (50, 8000)
    assert model.U.shape == (50, 8000) and model.V.shape == (8000, 50) and model.W.shape == (50, 50)
    probs, _ = model.forward_propagation([0, 10, 20])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)


def _write(path, **arrays):
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


@pytest.mark.parametrize("arrays, message", [
    ({"U": np.zeros((2, 5)), "V": np.zeros((5, 2))}, "holds arrays"),
    ({"U": np.zeros((2, 5)), "V": np.zeros((5, 3)), "W": np.zeros((2, 2))}, "inconsistent shapes"),
    ({"U": np.zeros((2, 5)), "V": np.zeros((5, 2)), "W": np.array([{"a": 1}], dtype=object)},
     "pickled objects"),
])
def test_refusals(tmp_path, arrays, message):
    path = _write(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match=message):
        load_model_parameters(path, RNNNumpy(5, 2))


def test_truncated_file_is_refused(tmp_path):
    good = save_model_parameters(tmp_path / "m.npz", RNNNumpy(20, 4))
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good.read_bytes()[:200])
    with pytest.raises(ValueError, match="not a readable npz"):
        load_model_parameters(cut, RNNNumpy(5, 2))


def test_failed_write_keeps_the_previous_file(tmp_path):
    path = save_model_parameters(tmp_path / "m.npz", RNNNumpy(20, 4, seed=0))
    before = path.read_bytes()

    class Broken:
        def get_parameters(self):
            return {"U": np.zeros((2, 2)), "V": np.zeros((2, 2)), "W": Exploding()}

    class Exploding:
        def __array__(self, *args):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        save_model_parameters(path, Broken())
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]
