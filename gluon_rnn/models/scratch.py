"""The from-scratch RNN of d2l's "Recurrent Neural Networks from Scratch": ``nd``
parameters, ``autograd``, and its fused form for our own loops.

Functions keep the chapter's names and signatures so chapter code can call them
unchanged; each creates its arrays on the ``ctx`` it is given.
"""
from __future__ import annotations

from typing import Callable, List, Optional, Sequence, Tuple

import mxnet as mx
from mxnet import nd

State = Tuple[nd.NDArray, ...]
Params = List[nd.NDArray]


def to_onehot(X: nd.NDArray, size: int) -> List[nd.NDArray]:
    """Split a ``(batch_size, num_steps)`` index batch into ``num_steps`` one-hot
    matrices of shape ``(batch_size, size)`` (d2l ``to_onehot``).

    d2l calls ``one_hot`` once per column of ``X.T``; here one ``one_hot`` and one
    ``split`` give the same arrays with a tenth of the Python work."""
    if X.ndim != 2 or X.shape[1] <= 1:  # d2l's predict_rnn passes a (1,) array
        return [nd.one_hot(x, size) for x in X.T]
    num_steps = X.shape[1]
    return list(nd.split(nd.one_hot(X.T, size), num_steps, axis=0, squeeze_axis=True))


def init_rnn_state(batch_size: int, num_hiddens: int, ctx: Optional[mx.Context] = None) -> State:
    """The zero hidden state, as a one-element tuple (d2l ``init_rnn_state``)."""
    return (nd.zeros(shape=(batch_size, num_hiddens), ctx=ctx),)


def get_params(num_inputs: int, num_hiddens: int, num_outputs: int,
               ctx: Optional[mx.Context] = None) -> Params:
    """The chapter's five parameters ``[W_xh, W_hh, b_h, W_hq, b_q]``, weights drawn
    from N(0, 0.01^2) with MXNet's generator in the chapter's order, with gradients
    attached."""
    def _one(shape):
        return nd.random.normal(scale=0.01, shape=shape, ctx=ctx)

    params = [_one((num_inputs, num_hiddens)), _one((num_hiddens, num_hiddens)),
              nd.zeros(num_hiddens, ctx=ctx),
              _one((num_hiddens, num_outputs)), nd.zeros(num_outputs, ctx=ctx)]
    for param in params:
        param.attach_grad()
    return params


def params_factory(vocab_size: int, num_hiddens: int,
                   ctx: Optional[mx.Context] = None) -> Callable[[], Params]:
    """A zero-argument ``get_params`` for :func:`train_and_predict_rnn`, as the
    chapter defines it (inputs and outputs of size ``len(vocab)``)."""
    return lambda: get_params(vocab_size, num_hiddens, vocab_size, ctx)


def rnn(inputs: Sequence[nd.NDArray], state: State,
        params: Params) -> Tuple[List[nd.NDArray], State]:
    """One tanh layer over ``num_steps`` inputs (d2l's ``rnn``).

    ``H_t = tanh(X_t W_xh + H_{t-1} W_hh + b_h)``, ``Y_t = H_t W_hq + b_q``.
    Returns the list of outputs and the new state tuple.

    Where the chapter loops over steps with three products each, this hands the
    recurrence to MXNet's fused ``RNN`` operator (see :func:`_fused_recurrence`)
    and computes every output in one product. Outputs equal the chapter's loop up
    to float rounding (tests: 1e-5 relative).
    """
    W_hq, b_q = params[3], params[4]
    H, = state
    num_steps = len(inputs)
    if num_steps == 0:
        return [], (H,)
    hiddens, _ = _fused_recurrence(nd.stack(*inputs), H, params)
    # The new state is the last step's hidden output, taken from the same split that
    # feeds the output layer, so it lies on the loss's graph as the chapter's H does: a
    # caller whose ``s.detach()`` detaches nothing (d2l 0.9.2) then works as with the
    # chapter's loop (MXNet frees the graph after backward; a state outside it would
    # point into freed nodes and the next backward fails on a missing ``AGInfo``).
    steps = nd.split(hiddens, num_steps, axis=0, squeeze_axis=True) if num_steps > 1 \
        else [hiddens[0]]
    Y = _output_layer(nd.concat(*steps, dim=0), W_hq, b_q)
    outputs = nd.split(Y, num_steps, axis=0) if num_steps > 1 else [Y]
    return list(outputs), (steps[-1],)


def rnn_scores(inputs: nd.NDArray, state: State, params: Params) -> Tuple[nd.NDArray, State]:
    """:func:`rnn` on time-major inputs ``(num_steps, batch_size, vocab_size)``,
    returning all steps' scores as one ``(num_steps * batch_size, vocab_size)`` array
    (what d2l's training loop concatenates :func:`rnn`'s list into), without the
    split and concatenation :func:`rnn` needs for its list and its state. The same
    numbers as :func:`rnn`; the state it returns is not on the loss's graph, so a
    caller must ``detach()`` it (as gluon-rnn's loops do) before reusing it."""
    hiddens, last = _fused_recurrence(inputs, state[0], params)
    Y = _output_layer(hiddens.reshape((-1, last.shape[-1])), params[3], params[4])
    return Y, (last[0],)


def _output_layer(H: nd.NDArray, W_hq: nd.NDArray, b_q: nd.NDArray) -> nd.NDArray:
    """``H W_hq + b_q`` (the chapter's ``nd.dot(H, W_hq) + b_q``) as oneDNN's
    ``FullyConnected``: the chapter's OpenBLAS ``dot`` rounds differently with each
    OpenMP thread count, so a run's numbers would follow the machine's load (the thread
    governor); oneDNN's product gives the same bits on one thread or several."""
    return nd.FullyConnected(H, W_hq.T, b_q, num_hidden=W_hq.shape[1])


def _fused_recurrence(inputs: nd.NDArray, H: nd.NDArray, params: Params):
    """MXNet's fused ``RNN`` operator (``mode='rnn_tanh'``, oneDNN on CPU, cuDNN on
    GPU) with the chapter's parameters packed in its layout (the input and recurrent
    weights transposed, ``b_h`` as the input bias, a zero recurrent bias): returns
    the hidden outputs ``(num_steps, batch_size, num_hiddens)`` and the last state
    ``(1, batch_size, num_hiddens)``. Gradients reach the parameters through the
    packing."""
    W_xh, W_hh, b_h = params[:3]
    packed = nd.concat(W_xh.T.reshape((-1,)), W_hh.T.reshape((-1,)), b_h, nd.zeros_like(b_h),
                       dim=0)
    hiddens, last = nd.RNN(inputs, packed, H.expand_dims(0), state_size=W_hh.shape[0],
                           num_layers=1, mode="rnn_tanh", state_outputs=True)
    return hiddens, last


class ScratchRNNModel(mx.gluon.Block):
    """The chapter's from-scratch RNN (:func:`rnn`) held as a Gluon block, so the
    training command can give it the same trainer, checkpoints and evaluation as
    the Gluon models. Its parameters are d2l's five, registered in
    :func:`get_params`'s order; initialised with ``init.Normal(0.01)`` they draw
    the same numbers as :func:`get_params` (biases start at zero).

    ``model(X, state)`` takes ``(batch_size, num_steps)`` indices and returns
    ``(num_steps * batch_size, vocab_size)`` scores, time-major, and the state.
    """

    def __init__(self, vocab_size: int, num_hiddens: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.vocab_size, self.num_hiddens = vocab_size, num_hiddens
        shapes = [("W_xh", (vocab_size, num_hiddens)), ("W_hh", (num_hiddens, num_hiddens)),
                  ("b_h", (num_hiddens,)), ("W_hq", (num_hiddens, vocab_size)),
                  ("b_q", (vocab_size,))]
        with self.name_scope():
            for name, shape in shapes:  # attributes, so checkpoints find them by name
                setattr(self, name, self.params.get(
                    name, shape=shape, init=mx.init.Zero() if name[0] == "b" else None))
        self.weights = [getattr(self, name) for name, _ in shapes]

    def forward(self, X: nd.NDArray, state: State):
        ctx = X.context
        return rnn_scores(nd.one_hot(X.T, self.vocab_size), state,
                          [p.data(ctx) for p in self.weights])

    def begin_state(self, batch_size: int = 1, ctx: Optional[mx.Context] = None, **_) -> list:
        """The zero state, as a list like Gluon's layers return."""
        return list(init_rnn_state(batch_size, self.num_hiddens, ctx))


def step_scores(rnn: Callable, X: nd.NDArray, state, params, vocab_size: int):
    """The scores of a ``(batch_size, num_steps)`` minibatch, concatenated over steps
    as d2l's loop does with ``rnn``'s list, and the new state.

    An ``rnn`` that declares a fused form (``rnn.scores``, as :func:`rnn` does with
    :func:`rnn_scores`) is given one one-hot array and never builds the list: the
    same numbers, fewer operators. The state must be detached before it is reused."""
    fused = getattr(rnn, "scores", None)
    if fused is not None:
        return fused(nd.one_hot(X.T, vocab_size), state, params)
    outputs, state = rnn(to_onehot(X, vocab_size), state, params)
    return nd.concat(*outputs, dim=0), state


# the chapter's rnn, computed without its per-step list (set through vars(): type checkers
# know no attributes of functions)
vars(rnn)["scores"] = rnn_scores
