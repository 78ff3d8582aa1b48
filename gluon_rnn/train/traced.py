"""A training step's forward as one cached MXNet graph, when it gives the same bits.

A book's own forward (the chapter's ``rnn``, its one-hot inputs and the loss) calls
hundreds of MXNet operators from Python per minibatch, each through the ctypes layer
(about 29 us apiece). :class:`TracedStep` runs the forward once as written, recording
every operator it calls (at ``_imperative_invoke``, where each ``nd`` function ends,
plus the views ``reshape`` and integer indexing make without one), composes the same
operators into a Symbol with MXNet's own symbol creator and runs that as a ``CachedOp``
(``static_alloc``): one call from Python per minibatch, and the backward pass of that
graph. MXNet 1.9.1 has no deferred compute, and a ``HybridBlock`` cannot take the
reader's function (a Symbol's ``+`` does not broadcast as ``nd``'s does), hence this.

It is used only where it gives the very same numbers: on the first minibatch of each
input signature (shapes, dtypes, context) the step runs as written, then the graph on
the same inputs, and the loss, the outputs and every gradient must agree bit for bit;
if not, or if the forward did what a graph cannot replay (wrote into an existing array,
drew random numbers, read a value back into Python, used an array made outside its
inputs, printed), that signature stays imperative for good. A forward that branches on
something other than its inputs' shapes, or uses a Python number that changes between
calls, is not seen by that check: ``GLUON_RNN_TRACE=0`` turns tracing off, and
``GLUON_RNN_TRACE=verbose`` says on stderr why a signature stays imperative.

Recording patches MXNet's Python entry points for the length of one forward, on the
thread that records; other threads' calls pass through unrecorded.
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import mxnet as mx
from mxnet import autograd, nd

TRACE_ENV = "GLUON_RNN_TRACE"
# operators whose result depends on more than their inputs: never replayed from a graph
_RANDOM = ("_random_", "_sample_", "random_", "sample_", "Dropout", "_shuffle")


class Untraceable(Exception):
    """What the forward did that a cached graph cannot replay."""


def tracing_mode(environ=os.environ) -> str:
    """``on`` (the default), ``off`` (``GLUON_RNN_TRACE=0``) or ``verbose``."""
    value = environ.get(TRACE_ENV, "1").strip().lower()
    if value in ("0", "off", "no", "false"):
        return "off"
    return "verbose" if value == "verbose" else "on"


class _Recorder:
    """Maps each array the forward makes to the Symbol that computes it."""

    def __init__(self, inputs: Sequence[nd.NDArray], random_ops: Dict[int, str]) -> None:
        self.thread, self.random_ops = threading.get_ident(), random_ops
        self.count_keys: Dict[int, str] = {}
        self.symbols: Dict[int, mx.sym.Symbol] = {}
        self.alive: List[nd.NDArray] = list(inputs)  # held: no address is reused meanwhile
        self.problem: Optional[str] = None
        for i, array in enumerate(inputs):
            variable = mx.sym.var(f"input{i}")
            self.symbols[array.handle.value] = variable.as_np_ndarray() \
                if _is_np(array) else variable

    def symbol_of(self, array) -> mx.sym.Symbol:
        found = self.symbols.get(array.handle.value) if isinstance(array, nd.NDArray) else None
        if found is None:
            raise Untraceable("it uses an array made outside its inputs")
        return found

    def made(self, array: nd.NDArray, symbol: mx.sym.Symbol) -> None:
        self.alive.append(array)
        self.symbols[array.handle.value] = symbol

    def fail(self, why: str) -> None:
        self.problem = self.problem or why

    def operator(self, handle, ndargs, keys, vals, out, is_np_op, result) -> None:
        if out is not None:
            raise Untraceable("it writes into an existing array (out=, [:] =, +=)")
        if handle in self.random_ops:
            raise Untraceable(f"it draws random numbers ({self.random_ops[handle]})")
        from mxnet._ctypes.symbol import _symbol_creator

        counted = _count_key(handle, self.count_keys)  # concat's num_args, which nd sets itself
        if counted and counted not in keys:
            keys, vals = list(keys) + [counted], list(vals) + [len(ndargs)]
        symbol = _symbol_creator(handle, [self.symbol_of(a) for a in ndargs], None, keys,
                                 vals, f"op{len(self.alive)}", bool(is_np_op))
        outputs = result if isinstance(result, (list, tuple)) else [result]
        for i, array in enumerate(outputs):
            if isinstance(symbol, list):  # a numpy operator's outputs come as a list
                self.made(array, symbol[i])
            else:
                self.made(array, symbol[i] if len(outputs) > 1 else symbol)

    def view(self, source, result, symbol_fn: Callable) -> None:
        symbol = self.symbol_of(source)
        if _is_np(source):  # the same legacy operators, on the numpy interface's arrays
            symbol = symbol_fn(symbol.as_nd_ndarray()).as_np_ndarray()
        else:
            symbol = symbol_fn(symbol)
        self.made(result, symbol)


def _is_np(array) -> bool:
    from mxnet import numpy as mx_np

    return isinstance(array, mx_np.ndarray)


def _count_key(handle: int, known: Dict[int, str]) -> str:
    """The attribute in which an operator of a variable number of inputs counts them
    (``num_args``; "" for the others): a Symbol needs it, ``nd`` fills it in itself."""
    if handle not in known:
        import ctypes

        from mxnet.base import _LIB, check_call, py_str

        texts = [ctypes.c_char_p() for _ in range(3)]
        count, lists = ctypes.c_uint(), [ctypes.POINTER(ctypes.c_char_p)() for _ in range(3)]
        key = ctypes.c_char_p()
        check_call(_LIB.MXSymbolGetAtomicSymbolInfo(
            ctypes.c_void_p(handle), ctypes.byref(texts[0]), ctypes.byref(texts[1]),
            ctypes.byref(count), *[ctypes.byref(x) for x in lists], ctypes.byref(key),
            ctypes.byref(texts[2])))
        known[handle] = py_str(key.value) if key.value else ""
    return known[handle]


def random_operators() -> Dict[int, str]:
    """The handles of MXNet's operators that draw random numbers, with their names (the
    handle is what ``_imperative_invoke`` is given)."""
    import ctypes

    from mxnet.base import _LIB, OpHandle, c_str, check_call, py_str

    size, names = ctypes.c_uint(), ctypes.POINTER(ctypes.c_char_p)()
    check_call(_LIB.MXListAllOpNames(ctypes.byref(size), ctypes.byref(names)))
    found = {}
    for i in range(size.value):
        name = py_str(names[i])
        if name.startswith(_RANDOM) and not name.startswith("random_pdf_"):  # pdfs: no draws
            handle = OpHandle()
            check_call(_LIB.NNGetOpHandle(c_str(name), ctypes.byref(handle)))
            found[handle.value] = name
    return found


@contextlib.contextmanager
def _recording(recorder: _Recorder):
    """Route MXNet's operator calls and views through ``recorder`` for the block."""
    from mxnet.ndarray import register

    real_invoke = register._imperative_invoke
    NDArray = nd.NDArray
    real = {name: getattr(NDArray, name) for name in ("reshape", "_at", "_slice", "asnumpy",
                                                      "detach")}

    def mine() -> bool:
        return threading.get_ident() == recorder.thread and recorder.problem is None

    def invoke(handle, ndargs, keys, vals, out, is_np_op, output_is_list):
        result = real_invoke(handle, ndargs, keys, vals, out, is_np_op, output_is_list)
        if mine():
            try:
                recorder.operator(handle, ndargs, keys, vals, out, is_np_op, result)
            except Untraceable as err:
                recorder.fail(str(err))
        return result

    def viewing(name: str, symbol_for: Callable):
        def method(self, *args, **kwargs):
            result = real[name](self, *args, **kwargs)
            if mine():
                try:
                    recorder.view(self, result, symbol_for(self, result, *args))
                except Untraceable as err:
                    recorder.fail(str(err))
            return result
        return method

    def asnumpy(self, *args, **kwargs):
        if mine():
            recorder.fail("it reads a value back into Python (asnumpy, asscalar)")
        return real["asnumpy"](self, *args, **kwargs)

    def detach(self, *args, **kwargs):
        if mine():
            recorder.fail("it detaches an array from the graph")
        return real["detach"](self, *args, **kwargs)

    patches = {
        "reshape": viewing("reshape", lambda s, r, *a: lambda x: mx.sym.reshape(x, shape=r.shape)),
        "_at": viewing("_at", lambda s, r, i, *a: lambda x: mx.sym.reshape(
            mx.sym.slice_axis(x, axis=0, begin=i % s.shape[0], end=i % s.shape[0] + 1),
            shape=r.shape)),
        "_slice": viewing("_slice", lambda s, r, start, stop, *a: lambda x: mx.sym.slice_axis(
            x, axis=0, begin=start, end=stop)),
        "asnumpy": asnumpy, "detach": detach}
    register._imperative_invoke = invoke
    for name, method in patches.items():
        setattr(NDArray, name, method)
    try:
        yield recorder
    finally:
        register._imperative_invoke = real_invoke
        for name, method in real.items():
            setattr(NDArray, name, method)


class _Printed:
    """Stands for stdout/stderr while a forward is recorded: anything written marks it."""

    def __init__(self, stream, recorder: _Recorder) -> None:
        self.stream, self.recorder = stream, recorder

    def write(self, text: str) -> int:
        if text and threading.get_ident() == self.recorder.thread:
            self.recorder.fail("it prints (a graph would print only once)")
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str):  # encoding, isatty(), fileno(): the stream's own
        return getattr(self.stream, name)


def recorded_calls(forward: Callable, inputs: Sequence[nd.NDArray],
                   params: Sequence[nd.NDArray]) -> int:
    """How many operator calls (views included) ``forward(*inputs)`` makes from Python
    under ``autograd.record()``, as the recording counts them (bench/minibatch_breakdown.py)."""
    known = list(inputs) + list(params)
    recorder = _Recorder(known, random_operators())
    with _recording(recorder), autograd.record():
        forward(*inputs)
    if recorder.problem is not None:
        raise Untraceable(recorder.problem)
    return len(recorder.alive) - len(known)


Signature = Tuple[Tuple[Tuple[int, ...], str, str], ...]


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
        self.graphs: Dict[Signature, Optional[Tuple[mx.nd.CachedOp, List[int]]]] = {}
        self.why_not: Dict[Signature, str] = {}

    def __call__(self, *inputs: nd.NDArray):
        signature = tuple((a.shape, str(a.dtype), str(a.context)) for a in inputs)
        if self.mode == "off" or self.graphs.get(signature, 0) is None:
            return self._imperative(inputs)
        if signature in self.graphs:
            return self._replay(self.graphs[signature], inputs)
        return self._trace(signature, inputs)

    def with_state(self, X, Y, state):
        """``(loss, state)`` for a forward of ``(X, Y, *state)``: the state given and given
        back in the caller's form, one array or a tuple of them (a reader's cell may carry
        either; the numpy interface's arrays are ``nd.NDArray`` too)."""
        single = isinstance(state, nd.NDArray)
        loss, *state = self(X, Y, *((state,) if single else state))
        return loss, (state[0] if single else tuple(state))

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
        recorder = _Recorder(list(inputs) + self.params, random_operators())
        out, err = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _Printed(out, recorder), _Printed(err, recorder)
        try:
            with _recording(recorder), autograd.record():
                results = self.forward(*inputs)
        finally:
            sys.stdout, sys.stderr = out, err
        results[0].backward()
        graph, why = self._graph(recorder, results)
        if graph is not None:
            why = self._differs(graph, inputs, results)
        self.graphs[signature] = graph if why is None else None
        if why is not None:
            self.why_not[signature] = why
            if self.mode == "verbose":
                print(f"gluon-rnn: the training step stays imperative for inputs "
                      f"{[s[0] for s in signature]}: {why}", file=sys.stderr)
        return results

    def _graph(self, recorder: _Recorder, results):
        if recorder.problem is not None:
            return None, recorder.problem
        try:
            symbol = mx.sym.Group([recorder.symbol_of(r) for r in results])
        except Untraceable:
            return None, "an output is not computed from its inputs"
        kinds = {_is_np(r) for r in results}
        if kinds == {True}:  # the graph then gives the numpy interface's arrays, as the forward
            symbol = symbol.as_np_ndarray()
        elif len(kinds) > 1:
            return None, "its outputs mix the numpy interface's arrays and nd's"
        names = {f"input{i}": i for i in range(len(recorder.alive))}
        order = [names[name] for name in symbol.list_inputs()]
        flags = [("static_alloc", True), ("static_shape", True)]
        return (nd.CachedOp(symbol, flags), order), None

    def _differs(self, graph, inputs, results) -> Optional[str]:
        """Why the graph's loss, outputs or gradients are not the imperative run's bits
        (None: they are); the imperative gradients are left in place either way."""
        expected = [r.copy() for r in results]
        grads = [p.grad.copy() for p in self.params]
        replayed = self._replay(graph, inputs)
        try:
            for i, (want, got) in enumerate(zip(expected, replayed)):
                if not _same_bits(want, got):
                    return f"its output {i} differs from the imperative run's"
            for i, (want, param) in enumerate(zip(grads, self.params)):
                if not _same_bits(want, param.grad):
                    return f"the gradient of parameter {i} differs from the imperative run's"
            return None
        finally:
            for want, param in zip(grads, self.params):
                want.copyto(param.grad)


def _same_bits(a: nd.NDArray, b: nd.NDArray) -> bool:
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    x, y = a.asnumpy(), b.asnumpy()
    return x.tobytes() == y.tobytes()
