"""A reader's own function traced where the reader's code calls it under
``autograd.record()`` (``gluon_rnn.train.traced.TracedFunction``; issue 30): chapter
8.5's own loop gives the imperative run's bits with its ``to_onehot`` and ``rnn`` as
cached graphs, and a function a graph cannot replay stays the function (the same bits,
saying why in verbose mode). A reader's Gluon Block in the 2020+ books' loop likewise
(``gluon_training_step``), unless its forward does more than compute."""
from __future__ import annotations

import random
from pathlib import Path

import mxnet as mx
import pytest
from mxnet import autograd, nd
from mxnet.gluon import loss as gloss

from conftest import book_function
from gluon_rnn.train.traced import TracedFunction

V, HIDDEN, BATCH, STEPS = 12, 16, 4, 6
CHAPTER = (Path(__file__).parent / "fixtures" / "chapter_8_5.py").read_text()
rnn = book_function(CHAPTER, "rnn", nd=nd)
to_onehot = book_function(CHAPTER, "to_onehot", nd=nd)
grad_clipping = book_function(CHAPTER, "grad_clipping", nd=nd)


def _params():
    mx.random.seed(3)
    params = [nd.random.normal(scale=0.1, shape=shape)
              for shape in [(V, HIDDEN), (HIDDEN, HIDDEN), (HIDDEN,), (HIDDEN, V), (V,)]]
    for param in params:
        param.attach_grad()
    return params


def _chapter_loop(mode, cell=rnn, is_random_iter=False, minibatches=8):
    """Chapter 8.5's minibatches as its own ``train_and_predict_rnn`` runs them (its
    no-op ``s.detach()`` included), its functions as TracedFunctions in ``mode``; the
    losses' and parameters' bits, and the two functions."""
    onehot, forward = TracedFunction(to_onehot, mode=mode), TracedFunction(cell, mode=mode)
    params, loss, draw = _params(), gloss.SoftmaxCrossEntropyLoss(), random.Random(0)
    mx.random.seed(5)  # the same draws where the cell draws
    state, losses = (nd.zeros((BATCH, HIDDEN)),), []
    for _ in range(minibatches):
        X, Y = (nd.array([[draw.randrange(V) for _ in range(STEPS)] for _ in range(BATCH)])
                for _ in range(2))
        if is_random_iter:
            state = (nd.zeros((BATCH, HIDDEN)),)
        for s in state:
            s.detach()
        with autograd.record():
            outputs, state = forward(onehot(X, V), state, params)
            l = loss(nd.concat(*outputs, dim=0), Y.T.reshape((-1,))).mean()
        l.backward()
        grad_clipping(params, 0.5, mx.cpu())
        for param in params:
            param[:] = param - 0.5 * param.grad
        losses.append(l.asnumpy().tobytes())
    return losses, [p.asnumpy().tobytes() for p in params], onehot, forward


@pytest.mark.parametrize("is_random_iter", [False, True], ids=["consecutive", "random"])
def test_chapter_8_5s_own_loop_gives_the_imperative_bits(is_random_iter):
    imperative = _chapter_loop("off", is_random_iter=is_random_iter)
    traced = _chapter_loop("on", is_random_iter=is_random_iter)
    for function in traced[2:]:
        assert function.why_not == {} and len(function.graphs) == 1
        assert None not in function.graphs.values()  # the graph kept: the bits below are its
    assert traced[0] == imperative[0] and traced[1] == imperative[1]
    assert imperative[2].graphs == {} and imperative[3].graphs == {}


def _dropped(inputs, state, params):
    outputs, state = rnn(inputs, state, params)
    return [nd.Dropout(Y, p=0.3) for Y in outputs], state


def _read(inputs, state, params):
    outputs, (H,) = rnn(inputs, state, params)
    return outputs, (H * float(H.sum().asscalar() > 0),)


def _printing(inputs, state, params):
    print("a minibatch of", len(inputs))
    return rnn(inputs, state, params)


def _paused(inputs, state, params):
    outputs, (H,) = rnn(inputs, state, params)
    with autograd.pause():
        scale = H * 2
    return outputs, (H + scale,)


def _backward_inside(inputs, state, params):
    outputs, state = rnn(inputs, state, params)
    outputs[0].backward(retain_graph=True)
    return outputs, state


@pytest.mark.parametrize("cell, why", [
    (_dropped, "draws random numbers"),
    (_read, "reads a value back into Python"),
    (_printing, "prints"),
    (_backward_inside, "runs a backward pass"),
    (_paused, "gradient"),  # recorded as if differentiated: the gradient check sees it
], ids=["random", "value", "print", "backward", "paused"])
def test_a_function_a_graph_cannot_replay_stays_the_function(cell, why, capsys):
    imperative = _chapter_loop("off", cell=cell, is_random_iter=True, minibatches=3)
    ours = _chapter_loop("verbose", cell=cell, is_random_iter=True, minibatches=3)
    assert list(ours[3].graphs.values()) == [None] and why in next(iter(ours[3].why_not.values()))
    assert capsys.readouterr().err.count(f"{cell.__name__} stays imperative") == 1
    assert ours[0] == imperative[0] and ours[1] == imperative[1]


def _two_halves(mode):
    """The sequence in two calls under one ``autograd.record()``, the state carried from
    the first to the second, one backward: both graph calls are in flight together."""
    forward, params = TracedFunction(rnn, mode=mode), _params()
    X = nd.array([[(3 * t + b) % V for t in range(2 * STEPS)] for b in range(BATCH)])
    inputs = to_onehot(X, V)
    with autograd.record():
        first, state = forward(inputs[:STEPS], (nd.zeros((BATCH, HIDDEN)),), params)
        second, state = forward(inputs[STEPS:], state, params)
        l = nd.concat(*first, *second, dim=0).sum() + state[0].sum()
    l.backward()
    return [p.grad.asnumpy().tobytes() for p in params], forward


def test_two_calls_in_flight_give_the_imperative_gradients():
    imperative, _ = _two_halves("off")
    grads, forward = _two_halves("on")
    assert len(forward.graphs) == 1 and None not in forward.graphs.values()
    assert grads == imperative


def test_outside_a_recording_or_with_keywords_it_is_the_function_itself():
    forward, params = TracedFunction(rnn, mode="on"), _params()
    inputs, state = to_onehot(nd.zeros((BATCH, STEPS)), V), (nd.zeros((BATCH, HIDDEN)),)
    outputs, _ = forward(inputs, state, params)  # as predict_rnn calls it
    with autograd.record():
        forward(inputs, state=state, params=params)
        forward(inputs, state, iter(params))  # an iterator: not traced
    assert forward.graphs == {} and len(outputs) == STEPS


def _gluon_epochs(monkeypatch, trace: str, net_class, epochs=2):
    """Two epochs of the 2020+ books' loop (``train_epoch_ch8``, consecutive) on a
    reader's Gluon net (``net_class``: an ``nn.Block`` around ``rnn.GRU``); the
    perplexities, the parameters' bits and the net."""
    from mxnet import gluon, init, np, npx

    from gluon_rnn.tutorials.d2l.base import one_epoch

    monkeypatch.setenv("GLUON_RNN_TRACE", trace)
    npx.set_np()
    try:
        mx.random.seed(7)
        net = net_class()
        net.initialize(init.Normal(0.01))
        net(np.zeros((BATCH, STEPS)), net.begin_state(batch_size=BATCH))  # shapes known
        trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 1})
        draw = random.Random(0)
        batches = [tuple(np.array([[draw.randrange(V) for _ in range(STEPS)]
                                   for _ in range(BATCH)]) for _ in range(2)) for _ in range(4)]
        loss = gluon.loss.SoftmaxCrossEntropyLoss()
        ppl = [one_epoch(net, batches, loss, trainer.step, mx.cpu(), False)[0]
               for _ in range(epochs)]
        return ppl, [p.data().asnumpy().tobytes() for p in net.collect_params().values()], net
    finally:
        npx.reset_np()


def _reader_gluon_model(keep_last: bool):
    from mxnet import npx
    from mxnet.gluon import nn, rnn

    class RNNModel(nn.Block):  # the 2020+ rnn-concise page's model, written by a reader
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.rnn, self.dense = rnn.GRU(HIDDEN), nn.Dense(V)

        def forward(self, inputs, state):
            X = npx.one_hot(inputs.T, V)
            Y, state = self.rnn(X, state)
            return self.dense(Y.reshape(-1, Y.shape[-1])), state

        def begin_state(self, *args, **kwargs):
            return self.rnn.begin_state(*args, **kwargs)

    class Remembering(RNNModel):  # keeps its last output: a graph would skip that
        def forward(self, inputs, state):
            self.last, state = super().forward(inputs, state)
            return self.last, state
    return Remembering if keep_last else RNNModel


@pytest.mark.parametrize("keep_last", [False, True], ids=["reader's RNNModel", "side effect"])
def test_a_readers_gluon_block_is_traced_where_its_forward_only_computes(keep_last,
                                                                         monkeypatch):
    imperative = _gluon_epochs(monkeypatch, "0", _reader_gluon_model(keep_last))
    ours = _gluon_epochs(monkeypatch, "1", _reader_gluon_model(keep_last))
    steps = list(vars(ours[2])["_gluon_rnn_training_steps"].values())
    if keep_last:
        assert steps == [None]  # stays the Block's own forward, which sets .last
        # the last minibatch's, as the Block set it each time
        assert ours[2].last.asnumpy().tobytes() == imperative[2].last.asnumpy().tobytes()
    else:
        assert len(steps) == 1 and steps[0].why_not == {} and len(steps[0].graphs) == 1
        assert None not in steps[0].graphs.values()
    assert ours[0] == imperative[0] and ours[1] == imperative[1]
    assert "_gluon_rnn_training_steps" not in vars(imperative[2])


@pytest.mark.parametrize("scale", [0.01, 10.0], ids=["within theta", "clipped"])
def test_the_clipping_factor_outside_a_recording_is_one_graph_with_its_bits(scale):
    """The 2020+ helpers' ``grad_clipping`` arithmetic (float64 norm via ``astype``, a
    view the recording follows) as a graph outside ``autograd.record()``."""
    from mxnet import np, npx

    from gluon_rnn.tutorials.d2l.base.numpy_rnn import clip_factor

    npx.set_np()
    try:
        mx.random.seed(2)
        grads = [np.random.normal(scale=scale, size=shape) for shape in [(V, HIDDEN), (HIDDEN,)]]
        factor = TracedFunction(clip_factor, mode="on", recording_only=False)
        results = [factor(grads, 1) for _ in range(3)]
        assert factor.why_not == {} and None not in factor.graphs.values()
        want = clip_factor(grads, 1)
        assert all(r.dtype == want.dtype and r.asnumpy().tobytes() == want.asnumpy().tobytes()
                   for r in results)
        assert (float(want) < 1) == (scale > 1)
        only_recording = TracedFunction(clip_factor, mode="on")
        only_recording(grads, 1)
        assert only_recording.graphs == {}  # outside a recording: the function itself
    finally:
        npx.reset_np()


def _with_a_count(inputs, state, params):
    outputs, state = rnn(inputs, state, params)
    return outputs, state, len(outputs) * 2  # a plain value: a graph would return the first


def test_a_plain_value_returned_or_a_graph_that_fails_leaves_the_function(monkeypatch):
    ours = _chapter_loop("on", cell=lambda i, s, p: _with_a_count(i, s, p)[:2], minibatches=2)
    assert None not in ours[3].graphs.values()  # the same cell without the count: a graph
    forward, params = TracedFunction(_with_a_count, mode="on"), _params()
    inputs, state = to_onehot(nd.zeros((BATCH, STEPS)), V), (nd.zeros((BATCH, HIDDEN)),)
    with autograd.record():
        assert forward(inputs, state, params)[2] == 2 * STEPS
    assert "something other than arrays" in next(iter(forward.why_not.values()))

    from gluon_rnn.train import traced

    def broken(recorder, results):
        raise mx.base.MXNetError("Check failed: a symbol MXNet will not compose")
    monkeypatch.setattr(traced, "build_graph", broken)
    imperative = _chapter_loop("off", minibatches=2)
    failed = _chapter_loop("on", minibatches=2)
    assert failed[0] == imperative[0] and failed[1] == imperative[1]
    assert "its graph failed (MXNetError: Check failed" in next(iter(failed[3].why_not.values()))


def test_a_function_called_with_ever_new_shapes_keeps_a_bounded_number_of_graphs():
    from gluon_rnn.train.traced import MAX_SIGNATURES

    forward, params = TracedFunction(rnn, mode="on"), _params()
    for steps in range(1, MAX_SIGNATURES + 4):
        inputs = to_onehot(nd.zeros((BATCH, steps)), V)
        with autograd.record():
            outputs, _ = forward(inputs, (nd.zeros((BATCH, HIDDEN)),), params)
        assert len(outputs) == steps
    assert len(forward.graphs) == MAX_SIGNATURES and None not in forward.graphs.values()
