"""A book's forward as one cached MXNet graph, when it gives the same bits.

A book's own forward (the chapter's ``rnn``, its one-hot inputs and the loss) calls
hundreds of MXNet operators from Python per minibatch, each through the ctypes layer
(about 29 us apiece). Both classes here run the forward once as written, recording every
operator it calls (:mod:`.recording`), and from then on run the same operators as one
``CachedOp`` (``static_alloc``): one call from Python per minibatch, and the backward
pass of that graph. MXNet 1.9.1 has no deferred compute, and a ``HybridBlock`` cannot
take the reader's function (a Symbol's ``+`` does not broadcast as ``nd``'s does),
hence this.

- :class:`TracedStep`: a whole training step (forward, loss, backward) where the facade
  owns the loop (``train_and_predict_rnn``, ``train_epoch_ch8``).
- :class:`TracedFunction` (:func:`traced_function`): one of the reader's functions where
  the reader owns the loop (chapter 8.5's ``rnn``), called under ``autograd.record()``;
  its graph becomes one node of the reader's autograd graph.

Either is used only where it gives the very same numbers: on the first call of each
signature (shapes, dtypes, context, and for a function the layout of its arguments, its
plain values and the training mode) it runs as written, then the graph on the same
inputs, and the outputs and the gradients must agree bit for bit; if not, or if the
forward did what a graph cannot replay (wrote into an existing array, drew random
numbers, read a value back into Python, used an array made outside its inputs, ran a
backward pass, printed), that signature stays imperative for good. A forward that
branches on something other than its inputs' shapes and plain values, or uses a global
Python number that changes between calls, is not seen by that check:
``GLUON_RNN_TRACE=0`` turns tracing off, and ``GLUON_RNN_TRACE=verbose`` says on stderr
why a signature stays imperative.
"""
from __future__ import annotations

import ast
import functools
import inspect
import sys
import textwrap
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import mxnet as mx
import numpy as np
from mxnet import autograd, nd

from .recording import (
    TRACE_ENV,
    Graph,
    Recorder,
    Untraceable,
    build_graph,
    is_np,
    random_operators,
    recording,
    recording_active,
    same_bits,
    side_effect_free,
    tracing_mode,
)

__all__ = ["MAX_SIGNATURES", "TRACE_ENV", "TracedFunction", "TracedStep", "Untraceable",
           "blocks_side_effect_free", "random_operators", "recorded_calls", "side_effect_free",
           "traced_function", "tracing_mode"]


def recorded_calls(forward: Callable, inputs: Sequence[nd.NDArray],
                   params: Sequence[nd.NDArray]) -> int:
    """How many operator calls (views included) ``forward(*inputs)`` makes from Python
    under ``autograd.record()``, as the recording counts them (bench/minibatch_breakdown.py)."""
    known = list(inputs) + list(params)
    recorder = Recorder(known, random_operators())
    with recording(recorder), autograd.record():
        forward(*inputs)
    if recorder.problem is not None:
        raise Untraceable(recorder.problem)
    return len(recorder.alive) - len(known)


Signature = Tuple[Tuple[Tuple[int, ...], str, str], ...]
# graphs kept per step or function: a loop whose shapes change every call (sequences of
# any length) would otherwise record and keep one for each; past this, the new ones run
# as written
MAX_SIGNATURES = 8


class TracedStep:
    """``step(*inputs) -> (loss, *outputs)``: ``forward(*inputs)`` under
    ``autograd.record()`` and ``loss.backward()``, the gradients landing in ``params``'
    ``.grad`` as the imperative run puts them; from the second minibatch of a signature
    on, through the verified cached graph (module text)."""

    def __init__(self, forward: Callable, params: Sequence[nd.NDArray],
                 mode: Optional[str] = None) -> None:
        self.forward, self.params = forward, list(params)
        self.mode = tracing_mode() if mode is None else mode
        if any(p.grad is None for p in self.params):  # nothing to verify the graph's against
            self.mode = "off"
        self.graphs: Dict[Signature, Optional[Graph]] = {}
        self.why_not: Dict[Signature, str] = {}

    def __call__(self, *inputs: nd.NDArray):
        signature = tuple((a.shape, str(a.dtype), str(a.context)) for a in inputs)
        if self.mode == "off" or self.graphs.get(signature, 0) is None:
            return self._imperative(inputs)
        if signature in self.graphs:
            return self._replay(self.graphs[signature], inputs)
        if len(self.graphs) >= MAX_SIGNATURES:
            return self._imperative(inputs)
        return self._trace(signature, inputs)

    def with_state(self, X, Y, state):
        """``(loss, state)`` for a forward of ``(X, Y, *state)``: the state given and given
        back in the caller's form, one array, a tuple or a list of them (a reader's cell may
        carry either; Gluon's layers a list; the numpy interface's arrays are ``nd.NDArray``
        too)."""
        single = isinstance(state, nd.NDArray)
        loss, *results = self(X, Y, *((state,) if single else state))
        if single:
            return loss, results[0]
        return loss, (results if isinstance(state, list) else tuple(results))

    def _imperative(self, inputs):
        with autograd.record():
            results = self.forward(*inputs)
        results[0].backward()
        return results

    def _replay(self, graph, inputs):
        op, order = graph
        arrays = list(inputs) + self.params
        with autograd.record():
            results = op(*[arrays[i] for i in order])
        results = results if isinstance(results, (list, tuple)) else [results]
        results[0].backward()
        return tuple(results)

    def _trace(self, signature: Signature, inputs):
        recorder = Recorder(list(inputs) + self.params, random_operators())
        with recording(recorder), autograd.record():
            results = self.forward(*inputs)
        results[0].backward()
        graph, why = _checked_graph(recorder, results,
                                    lambda graph: self._differs(graph, inputs, results))
        self.graphs[signature] = graph
        if why is not None:
            self.why_not[signature] = why
            if self.mode == "verbose":
                print(f"gluon-rnn: the training step stays imperative for inputs "
                      f"{[s[0] for s in signature]}: {why}", file=sys.stderr)
        return results

    def _differs(self, graph, inputs, results) -> Optional[str]:
        """Why the graph's loss, outputs or gradients are not the imperative run's bits
        (None: they are); the imperative gradients are left in place either way."""
        expected = [r.copy() for r in results]
        grads = [p.grad.copy() for p in self.params]
        replayed = self._replay(graph, inputs)
        try:
            for i, (want, got) in enumerate(zip(expected, replayed)):
                if not same_bits(want, got):
                    return f"its output {i} differs from the imperative run's"
            for i, (want, param) in enumerate(zip(grads, self.params)):
                if not same_bits(want, param.grad):
                    return f"the gradient of parameter {i} differs from the imperative run's"
            return None
        finally:
            for want, param in zip(grads, self.params):
                want.copyto(param.grad)


# A value's layout: ("a",) an array, ("v", type, value) a plain value, ("list"|"tuple", parts)
Layout = tuple
_PLAIN = (bool, int, float, str, type(None))


def _flatten(value, arrays: List[nd.NDArray]) -> Optional[Layout]:
    """The layout of ``value`` (lists and tuples of arrays and plain values, nested), its
    arrays appended to ``arrays`` in order; None for anything else (not traced)."""
    if isinstance(value, nd.NDArray):
        arrays.append(value)
        return ("a",)
    if type(value) in (list, tuple):
        parts = [_flatten(item, arrays) for item in value]
        return None if None in parts else (type(value).__name__, tuple(parts))
    if type(value) in _PLAIN and value == value:  # NaN would never find its graph again
        return ("v", type(value).__name__, value)
    return None


def _holds_values(layout: Layout) -> bool:
    """Whether a layout has a plain value other than None (a graph would give back the
    first call's value every time)."""
    if layout[0] == "v":
        return layout[2] is not None
    return layout[0] != "a" and any(_holds_values(part) for part in layout[1])


def _checked_graph(recorder: Recorder, results: Sequence[nd.NDArray],
                   differs: Callable[[Graph], Optional[str]]):
    """``(graph, None)``, the recorded forward's graph with the imperative run's bits
    (``differs(graph)`` says why not, None when they agree), or ``(None, why not)``. An
    error on the way (MXNet refusing the Symbol or the CachedOp) is a why, not the
    reader's error: the step then runs as written."""
    try:
        graph, why = build_graph(recorder, results)
        if graph is not None:
            why = differs(graph)
    except Exception as err:  # anything of ours keeps the reader's code as it is
        last = (str(err).strip().splitlines() or [""])[-1]
        return None, f"its graph failed ({type(err).__name__}: {last})"
    return (graph, None) if why is None else (None, why)


def _unflatten(layout: Layout, arrays) -> object:
    if layout[0] == "a":
        return next(arrays)
    if layout[0] == "v":
        return layout[2]
    items = [_unflatten(part, arrays) for part in layout[1]]
    return items if layout[0] == "list" else tuple(items)


class TracedFunction:
    """A reader's forward function (the chapter's ``rnn(inputs, state, params)``,
    ``to_onehot(X, size)``) that, called under ``autograd.record()`` with arrays (in
    lists and tuples) and plain values, runs as one cached graph recorded into the
    reader's autograd graph as one node; called otherwise, or with anything else, it is
    the function itself. The first call of each signature (the layout of the arguments,
    their plain values, the arrays' shapes, dtypes and contexts, the training mode) runs
    the function as written, recording it; the graph is kept only if, on the same
    arguments, its outputs and its gradients with respect to every argument that has
    one attached (the parameters) are the function's bits (the gradients for one
    pseudo-random output gradient: the summation order that decides the bits does not
    depend on the values). ``recording_only=False`` traces it outside a recording too (a
    helper's own arithmetic, such as the clipping norm, where no gradient is taken)."""

    def __init__(self, function: Callable, mode: Optional[str] = None,
                 recording_only: bool = True) -> None:
        self.function, self.recording_only = function, recording_only
        self.mode = tracing_mode() if mode is None else mode
        self.graphs: Dict[tuple, Optional[Tuple[Graph, Layout]]] = {}
        self.why_not: Dict[tuple, str] = {}

    def __call__(self, *args, **kwargs):
        __tracebackhide__ = True  # the reader's error shows the reader's frames
        if self.mode == "off" or kwargs or recording_active() or \
                (self.recording_only and not autograd.is_recording()):
            return self.function(*args, **kwargs)
        arrays: List[nd.NDArray] = []
        layout = _flatten(args, arrays)
        if layout is None or not arrays or \
                len({a.handle.value for a in arrays}) < len(arrays):
            return self.function(*args)
        signature = (layout, autograd.is_training(),
                     tuple((a.shape, str(a.dtype), str(a.context), type(a)) for a in arrays))
        if signature not in self.graphs:
            if len(self.graphs) >= MAX_SIGNATURES:
                return self.function(*args)
            return self._trace(signature, args, arrays)
        known = self.graphs[signature]
        return self.function(*args) if known is None else self._replay(known, arrays)

    @staticmethod
    def _replay(known: Tuple[Graph, Layout], arrays: Sequence[nd.NDArray]):
        (op, order), out_layout = known
        results = op(*[arrays[i] for i in order])
        return _unflatten(out_layout, iter(results if isinstance(results, (list, tuple))
                                           else [results]))

    def _trace(self, signature: tuple, args, arrays: List[nd.NDArray]):
        __tracebackhide__ = True
        recorder = Recorder(arrays, random_operators())
        with recording(recorder):
            result = self.function(*args)
        outputs: List[nd.NDArray] = []
        out_layout = _flatten(result, outputs)
        graph: Optional[Graph] = None
        why: Optional[str] = "it returns something other than arrays (in lists and tuples)"
        if out_layout is not None and outputs and not _holds_values(out_layout):
            graph, why = _checked_graph(recorder, outputs, lambda graph: self._differs(
                graph, signature[0], arrays))
        if out_layout is None or graph is None:
            self.graphs[signature] = None
            self.why_not[signature] = why or ""
            if self.mode == "verbose":
                name = getattr(self.function, "__name__", "the function")
                print(f"gluon-rnn: {name} stays imperative for arguments of shapes "
                      f"{_shapes_text([s[0] for s in signature[2]])}: {why}", file=sys.stderr)
        else:
            self.graphs[signature] = (graph, out_layout)
        return result

    def _differs(self, graph: Graph, layout: Layout, arrays) -> Optional[str]:
        """Why the graph's outputs or gradients are not the function's bits (None: they
        are), on the arguments cut from the reader's graph (the parameters kept)."""
        probe = [a if a.grad is not None else a.detach() for a in arrays]
        expected: List[nd.NDArray] = []
        arguments = _unflatten(layout, iter(probe))
        assert isinstance(arguments, tuple)  # the layout of a call's positional arguments
        _flatten(self.function(*arguments), expected)
        op, order = graph
        results = op(*[probe[i] for i in order])
        replayed = list(results) if isinstance(results, (list, tuple)) else [results]
        if len(expected) != len(replayed):
            return "it returns a different number of arrays on the same arguments"
        for i, (want, got) in enumerate(zip(expected, replayed)):
            if not same_bits(want, got):
                return f"its output {i} differs from the function's"
        variables = [probe[i] for i in sorted(set(order)) if probe[i].grad is not None]
        heads = [i for i, want in enumerate(expected) if want.dtype in (np.float16, np.float32,
                                                                        np.float64)]
        if not variables or not heads:
            return None
        head_grads = [_output_gradient(expected[i], i) for i in heads]
        try:
            want, got = (autograd.grad([outputs[i] for i in heads], variables, head_grads,
                                       retain_graph=True) for outputs in (expected, replayed))
        except mx.base.MXNetError as err:
            return f"its gradients could not be compared ({str(err).strip().splitlines()[-1]})"
        for i, (w, g) in enumerate(zip(want, got)):
            if not same_bits(w, g):
                return f"the gradient for its argument array {i} differs from the function's"
        return None


def _shapes_text(shapes: List[tuple]) -> str:
    """``[35 x (32, 28), (32, 256), ...]``: runs of one shape counted."""
    runs: List[list] = []
    for shape in shapes:
        if runs and runs[-1][1] == shape:
            runs[-1][0] += 1
        else:
            runs.append([1, shape])
    return "[" + ", ".join(f"{n} x {shape}" if n > 1 else str(shape) for n, shape in runs) + "]"


def _output_gradient(output: nd.NDArray, seed: int) -> nd.NDArray:
    values = np.random.RandomState(seed).uniform(-1, 1, size=output.shape)
    gradient = nd.array(values, ctx=output.context, dtype=output.dtype)
    return gradient.as_np_ndarray() if is_np(output) else gradient


def traced_function(function: Callable) -> Callable:
    """``function`` as a :class:`TracedFunction` (kept as ``.traced``), wrapped as a
    plain function of the same name and signature: a book chapter's module-level
    forward, decorated where the runner finds it called under ``autograd.record()``."""
    traced = TracedFunction(function)

    @functools.wraps(function)
    def call(*args, **kwargs):
        __tracebackhide__ = True
        return traced(*args, **kwargs)
    call.traced = traced  # type: ignore[attr-defined]
    return call


def blocks_side_effect_free(net) -> bool:
    """Whether every Block in the Gluon ``net`` is MXNet's own or has a ``forward`` (and
    ``hybrid_forward``) whose text is :func:`side_effect_free` (a reader's ``RNNModel``;
    not d2l's attention decoders, which keep their attention weights on ``self``); one
    whose source cannot be read counts as not."""
    verdicts: List[bool] = []

    def check(block) -> None:
        for name in ("forward", "hybrid_forward"):
            method = getattr(type(block), name, None)
            if method is not None and not getattr(method, "__module__", "").startswith("mxnet."):
                verdicts.append(_text_side_effect_free(method))
    net.apply(check)
    return all(verdicts)


def _text_side_effect_free(function: Callable) -> bool:
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return False
    node = tree.body[0] if tree.body else None
    return isinstance(node, ast.FunctionDef) and side_effect_free(node)
