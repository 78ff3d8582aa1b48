"""The WildML tutorial's Theano model (seed 000: ``RNNTheano``), ported to pytensor, Theano's
maintained successor, and timed per ``sgd_step``: the peer of ``RNNSymbolic`` in
``bench/rnnlm_step.py``.

    .venv-pytensor/bin/python bench/pytensor_rnnlm.py SENTENCES.npz STEPS REPEATS

Runs in its own virtual environment (``make bench`` builds ``.venv-pytensor`` with
pytensor and the same numpy), never imports gluon-rnn or MXNet, and prints one JSON
line: milliseconds per step (best of REPEATS passes over the first STEPS sentences),
the float type and pytensor's version. Written from the seed's description: the forward
pass is a ``scan`` over the words (``s_t = tanh(U[:, x_t] + W s_{t-1})``,
``o_t = softmax(V s_t)``), the loss the summed cross-entropy, the gradients ``grad``
of it through ``scan(truncate_gradient=bptt_truncate)``, and ``sgd_step`` one compiled
function that applies ``param -= learning_rate * gradient`` to U, V and W.
"""
from __future__ import annotations

import json
import sys
import time

import numpy as np


def build_sgd_step(word_dim: int, hidden_dim: int, bptt_truncate: int, seed: int = 10):
    import pytensor
    import pytensor.tensor as pt
    from pytensor.tensor.special import softmax

    floatX = pytensor.config.floatX
    rng = np.random.RandomState(seed)

    def shared(shape, fan_in, name):
        bound = np.sqrt(1.0 / fan_in)
        return pytensor.shared(rng.uniform(-bound, bound, shape).astype(floatX), name=name)

    U = shared((hidden_dim, word_dim), word_dim, "U")
    V = shared((word_dim, hidden_dim), hidden_dim, "V")
    W = shared((hidden_dim, hidden_dim), hidden_dim, "W")
    x, y = pt.ivector("x"), pt.ivector("y")

    def step(x_t, s_prev):
        s_t = pt.tanh(U[:, x_t] + pt.dot(W, s_prev))
        return softmax(pt.dot(V, s_t)), s_t

    (o, _), _ = pytensor.scan(step, sequences=x, truncate_gradient=bptt_truncate,
                              outputs_info=[None, pt.zeros(hidden_dim, dtype=floatX)])
    loss = -pt.sum(pt.log(o[pt.arange(y.shape[0]), y]))  # summed cross-entropy
    dU, dV, dW = pytensor.grad(loss, [U, V, W])
    learning_rate = pt.scalar("learning_rate", dtype=floatX)
    return pytensor.function([x, y, learning_rate], [], updates=[
        (U, U - learning_rate * dU), (V, V - learning_rate * dV), (W, W - learning_rate * dW)])


def main() -> None:
    import pytensor

    path, steps, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    data = np.load(path, allow_pickle=True)
    X, Y = list(data["X"]), list(data["Y"])
    sgd_step = build_sgd_step(int(data["word_dim"]), int(data["hidden_dim"]),
                              int(data["bptt_truncate"]))
    lr = np.asarray(0.005, dtype=pytensor.config.floatX)
    as_int = [(np.asarray(x, dtype=np.int32), np.asarray(y, dtype=np.int32)) for x, y in zip(X, Y)]
    for x, y in as_int[:5]:  # warm-up
        sgd_step(x, y, lr)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for i in range(steps):
            sgd_step(*as_int[i % len(as_int)], lr)
        best = min(best, (time.perf_counter() - start) / steps * 1000)
    print(json.dumps({"ms_per_step": best, "floatX": pytensor.config.floatX,
                      "pytensor": pytensor.__version__}))


if __name__ == "__main__":
    main()
