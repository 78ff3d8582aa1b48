"""gluon_rnn.train.traced: a step's forward replayed as one cached graph gives the very
bits of the imperative run (losses, carried states, gradients, over many minibatches of
SGD), and a forward a graph cannot replay stays imperative, saying why (issue 30)."""
from __future__ import annotations

import random
import sys
from pathlib import Path

import mxnet as mx
import pytest
from mxnet import nd
from mxnet.gluon import loss as gloss

from conftest import book_function
from gluon_rnn.models.scratch import to_onehot
from gluon_rnn.train import traced
from gluon_rnn.train.traced import TracedStep, tracing_mode

V, HIDDEN, BATCH, STEPS = 12, 16, 4, 6


FIXTURES = Path(__file__).parent / "fixtures"


rnn = book_function((FIXTURES / "chapter_8_5.py").read_text(), "rnn", nd=nd)  # 8.5's cell
lstm = book_function((FIXTURES / "chapter_8_9_lstm.py").read_text(), "lstm", nd=nd)  # 8.9's


def _params(shapes):
    mx.random.seed(3)
    params = [nd.random.normal(scale=0.1, shape=shape) for shape in shapes]
    for param in params:
        param.attach_grad()
    return params


RNN_SHAPES = [(V, HIDDEN), (HIDDEN, HIDDEN), (HIDDEN,), (HIDDEN, V), (V,)]
LSTM_SHAPES = [(V, HIDDEN), (HIDDEN, HIDDEN), (HIDDEN,)] * 4 + [(HIDDEN, V), (V,)]


def _train(cell, shapes, n_state, mode, minibatches=12, forward_of=None):
    """``minibatches`` steps of d2l's loop (consecutive: the state carried, detached),
    SGD after each; the losses' and parameters' bits, and the step."""
    params = _params(shapes)
    loss = gloss.SoftmaxCrossEntropyLoss()

    def forward(X, Y, *state):
        outputs, state = cell(to_onehot(X, V), state, params)
        return (loss(nd.concat(*outputs, dim=0), Y.T.reshape((-1,))).mean(), *state)
    step = TracedStep((forward_of or (lambda p: forward))(params), params, mode=mode)
    draw = random.Random(0)
    state = [nd.zeros((BATCH, HIDDEN)) for _ in range(n_state)]
    losses = []
    for _ in range(minibatches):
        X, Y = (nd.array([[draw.randrange(V) for _ in range(STEPS)] for _ in range(BATCH)])
                for _ in range(2))
        l, *state = step(X, Y, *[s.detach() for s in state])
        for param in params:
            nd.sgd_update(param, param.grad, lr=0.5, wd=0.0, rescale_grad=1.0, out=param)
        losses.append(l.asnumpy().tobytes())
    return losses, [p.asnumpy().tobytes() for p in params], step


@pytest.mark.parametrize("cell, shapes, n_state", [(rnn, RNN_SHAPES, 1), (lstm, LSTM_SHAPES, 2)],
                         ids=["rnn", "lstm"])
def test_the_graph_gives_the_imperative_bits_over_many_minibatches(cell, shapes, n_state):
    imperative = _train(cell, shapes, n_state, "off")
    replayed = _train(cell, shapes, n_state, "on")
    step = replayed[2]
    assert step.why_not == {} and len(step.graphs) == 1  # traced, and the graph kept
    assert replayed[0] == imperative[0]  # every minibatch's loss, bit for bit
    assert replayed[1] == imperative[1]  # and the parameters after twelve SGD steps


def _with_extra(extra):
    """The rnn forward with ``extra(H)`` applied to the state each minibatch."""
    def forward_of(params):
        loss = gloss.SoftmaxCrossEntropyLoss()

        def forward(X, Y, H):
            outputs, (H,) = rnn(to_onehot(X, V), (H,), params)
            H = extra(H)
            return loss(nd.concat(*outputs, dim=0), Y.T.reshape((-1,))).mean(), H
        return forward
    return forward_of


OUTSIDE = nd.ones((BATCH, HIDDEN))


def _in_place(H):
    doubled = nd.empty(H.shape)
    nd.elemwise_add(H, H, out=doubled)
    return doubled


@pytest.mark.parametrize("extra, why", [
    (lambda H: nd.Dropout(H, p=0.5) * 1, "draws random numbers"),
    (lambda H: H * OUTSIDE, "uses an array made outside its inputs"),
    (lambda H: H * float(H.sum().asscalar() > 0), "reads a value back into Python"),
    (_in_place, "writes into an existing array"),
    (lambda H: print("state", H.shape, sys.stdout.encoding) or H, "prints"),  # stdout as ever
], ids=["random", "outside", "value", "in-place", "print"])
def test_what_a_graph_cannot_replay_stays_imperative(extra, why, capsys):
    imperative = _train(rnn, RNN_SHAPES, 1, "off", minibatches=3, forward_of=_with_extra(extra))
    ours = _train(rnn, RNN_SHAPES, 1, "verbose", minibatches=3, forward_of=_with_extra(extra))
    step = ours[2]
    assert list(step.graphs.values()) == [None]
    assert why in next(iter(step.why_not.values()))
    assert capsys.readouterr().err.count("stays imperative") == 1  # said once, in verbose
    assert ours[0] == imperative[0] and ours[1] == imperative[1]  # the same draws too


def test_a_changed_signature_gets_its_own_graph_and_on_is_silent(capsys):
    params = _params(RNN_SHAPES)

    def forward(X, H):
        outputs, (H,) = rnn(to_onehot(X, V), (H,), params)
        return nd.concat(*outputs, dim=0).sum(), H
    step = TracedStep(forward, params, mode="on")
    for steps in (STEPS, STEPS, STEPS + 1):
        step(nd.zeros((BATCH, steps)), nd.zeros((BATCH, HIDDEN)))
    assert len(step.graphs) == 2 and None not in step.graphs.values()
    assert capsys.readouterr() == ("", "")


def test_the_setting_turns_it_off_or_verbose():
    assert tracing_mode({}) == "on"
    assert tracing_mode({"GLUON_RNN_TRACE": "0"}) == "off"
    assert tracing_mode({"GLUON_RNN_TRACE": " Verbose "}) == "verbose"
    # a parameter without a gradient: nothing to check a graph's gradients against
    assert TracedStep(lambda: None, _params(RNN_SHAPES) + [nd.zeros(1)]).mode == "off"


def test_random_operators_are_known_by_handle():
    names = set(traced.random_operators().values())  # by canonical name; aliases share handles
    assert {"random_normal", "sample_multinomial", "Dropout", "_shuffle"} <= names
    assert "dot" not in names and "random_pdf_normal" not in names


def _np_lstm():
    """d2l 0.17.6's LSTM cell, on MXNet's numpy interface, from the page's MXNet cell."""
    from mxnet import np, npx

    from gluon_rnn.books.pages import page_cells

    text = (FIXTURES / "d2l0176" / "lstm.md").read_text(encoding="utf-8")
    cell = next(code for _, code in page_cells(text) if "def lstm(" in code)
    return book_function(cell, "lstm", np=np, npx=npx)


def _np_epochs(monkeypatch, trace: str):
    """Two epochs of the 2020+ books' loop (consecutive: the state carried) on an
    ``RNNModelScratch`` with the cell above; perplexities, parameter bits, the model."""
    from mxnet import gluon, np, npx

    from gluon_rnn.tutorials.d2l.base import ScratchRNNModel, one_epoch, sgd

    monkeypatch.setenv("GLUON_RNN_TRACE", trace)
    npx.set_np()
    try:
        def get_params(vocab_size, num_hiddens, device):
            params = [p.as_np_ndarray() for p in _params(LSTM_SHAPES)]
            for param in params:
                param.attach_grad()
            return params

        def init_state(batch_size, num_hiddens, device):
            return (np.zeros((batch_size, num_hiddens)), np.zeros((batch_size, num_hiddens)))
        net = ScratchRNNModel(V, HIDDEN, mx.cpu(), get_params, init_state, _np_lstm())
        draw = random.Random(0)
        batches = [tuple(np.array([[draw.randrange(V) for _ in range(STEPS)]
                                   for _ in range(BATCH)]) for _ in range(2)) for _ in range(5)]
        loss = gluon.loss.SoftmaxCrossEntropyLoss()
        ppl = [one_epoch(net, batches, loss, lambda batch_size: sgd(net.params, 0.5, batch_size),
                         mx.cpu(), False)[0] for _ in range(2)]
        return ppl, [p.asnumpy().tobytes() for p in net.params], net
    finally:
        npx.reset_np()


def test_the_numpy_interface_cell_of_the_2020_books_too(monkeypatch):
    imperative = _np_epochs(monkeypatch, "0")
    replayed = _np_epochs(monkeypatch, "1")
    step, = vars(replayed[2])["_gluon_rnn_training_steps"].values()
    assert step.why_not == {} and len(step.graphs) == 1
    assert replayed[0] == imperative[0] and replayed[1] == imperative[1]


def test_the_calls_a_forward_makes_from_python_are_counted():
    """bench/minibatch_breakdown.py's count, as MXNet 1.9.1 dispatches the chapter's rnn
    with its one-hot inputs and d2l's loss: ten calls and eight more a time step; a
    forward the recording cannot follow is refused, saying why."""
    params = _params(RNN_SHAPES)
    loss = gloss.SoftmaxCrossEntropyLoss()

    def forward(X, Y, H):
        outputs, (H,) = rnn(to_onehot(X, V), (H,), params)
        return loss(nd.concat(*outputs, dim=0), Y.T.reshape((-1,))).mean(), H
    counts = [traced.recorded_calls(forward, (nd.zeros((BATCH, steps)),) * 2 +
                                    (nd.zeros((BATCH, HIDDEN)),), params) for steps in (1, 2, 5)]
    assert counts == [18, 26, 50]
    with pytest.raises(traced.Untraceable, match="outside its inputs"):
        traced.recorded_calls(forward, (nd.zeros((BATCH, 2)),) * 2 + (nd.zeros((BATCH, HIDDEN)),),
                              params[:-1])
