"""Recording a forward's MXNet operators into a Symbol (what :mod:`.traced` replays).

While :func:`recording` is active, every operator the forward calls from Python (at
``_imperative_invoke``, where each ``nd`` and ``mx.np`` function ends, plus the views
``reshape``, integer indexing and slicing make without one) is composed into a Symbol
with MXNet's own symbol creator, input by input; what a graph could not replay (a write
into an existing array, a random draw, a value read back into Python, an array made
outside the inputs, a backward pass, a print) marks the recording as failed, with the
reason. MXNet 1.9.1 has no deferred compute, hence this module.

Recording patches MXNet's Python entry points for the length of one forward, on the
thread that records; other threads' calls pass through unrecorded, and while one
forward is recorded no other starts (:func:`recording_active`).
"""
from __future__ import annotations

import ast
import contextlib
import os
import sys
import threading
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import mxnet as mx
from mxnet import nd

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


class Recorder:
    """Maps each array the forward makes to the Symbol that computes it."""

    def __init__(self, inputs: Sequence[nd.NDArray], random_ops: Dict[int, str]) -> None:
        self.thread, self.random_ops = threading.get_ident(), random_ops
        self.count_keys: Dict[int, str] = {}
        self.symbols: Dict[int, mx.sym.Symbol] = {}
        self.alive: List[nd.NDArray] = list(inputs)  # held: no address is reused meanwhile
        self.n_inputs = len(self.alive)
        self.problem: Optional[str] = None
        self.inside = 0  # within a view method: its own calls are not the forward's
        for i, array in enumerate(inputs):
            variable = mx.sym.var(f"input{i}")
            self.symbols[array.handle.value] = variable.as_np_ndarray() \
                if is_np(array) else variable

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
        if is_np(source):  # the same legacy operators, on the numpy interface's arrays
            symbol = symbol_fn(symbol.as_nd_ndarray()).as_np_ndarray()
        else:
            symbol = symbol_fn(symbol)
        self.made(result, symbol)


def is_np(array) -> bool:
    """Whether ``array`` is one of the numpy interface's (``mx.np``) arrays."""
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


def recording_active() -> bool:
    """Whether a forward is being recorded now (on any thread): another does not start."""
    from mxnet.ndarray import register

    return getattr(register._imperative_invoke, "recorder", None) is not None


@contextlib.contextmanager
def recording(recorder: Recorder) -> Iterator[Recorder]:
    """Route MXNet's operator calls and views through ``recorder`` for the block, and
    mark it failed on what a graph cannot replay (module text); ``sys.stdout`` and
    ``sys.stderr`` mark it too when written to."""
    from mxnet import numpy as mx_np
    from mxnet.ndarray import register

    real_invoke = register._imperative_invoke
    NDArray = nd.NDArray
    real = {(cls, name): cls.__dict__[name] for cls in (NDArray, mx_np.ndarray)
            for name in _PATCHED if name in cls.__dict__
            and (cls, name) != (mx_np.ndarray, "reshape")}  # that one is an operator itself

    def mine() -> bool:
        return threading.get_ident() == recorder.thread and recorder.problem is None \
            and not recorder.inside

    def invoke(handle, ndargs, keys, vals, out, is_np_op, output_is_list):
        result = real_invoke(handle, ndargs, keys, vals, out, is_np_op, output_is_list)
        if mine():
            try:
                recorder.operator(handle, ndargs, keys, vals, out, is_np_op, result)
            except Untraceable as err:
                recorder.fail(str(err))
        return result
    invoke.recorder = recorder  # type: ignore[attr-defined]

    def viewing(cls, name: str, symbol_for: Callable):
        def method(self, *args, **kwargs):
            if not mine():
                return real[cls, name](self, *args, **kwargs)
            recorder.inside += 1  # what the method calls itself (astype's copy) is its own
            try:
                result = real[cls, name](self, *args, **kwargs)
            finally:
                recorder.inside -= 1
            try:
                recorder.view(self, result, symbol_for(self, result, *args))
            except Untraceable as err:
                recorder.fail(str(err))
            return result
        return method

    def refused(cls, name: str, why: str):
        def method(self, *args, **kwargs):
            if mine():
                recorder.fail(why)
            return real[cls, name](self, *args, **kwargs)
        return method

    views: Dict[str, Callable] = {
        "reshape": lambda s, r, *a: lambda x: mx.sym.reshape(x, shape=r.shape),
        "_at": lambda s, r, i, *a: lambda x: mx.sym.reshape(
            mx.sym.slice_axis(x, axis=0, begin=i % s.shape[0], end=i % s.shape[0] + 1),
            shape=r.shape),
        "_slice": lambda s, r, start, stop, *a: lambda x: mx.sym.slice_axis(
            x, axis=0, begin=start, end=stop),
        "astype": lambda s, r, *a: lambda x: x if r is s else mx.sym.cast(x, dtype=r.dtype)}
    patches = {(cls, name): viewing(cls, name, views[name]) if name in views
               else refused(cls, name, _REFUSED[name]) for cls, name in real}
    out, err = sys.stdout, sys.stderr
    register._imperative_invoke = invoke
    for (cls, name), method in patches.items():
        setattr(cls, name, method)
    sys.stdout, sys.stderr = _Printed(out, recorder), _Printed(err, recorder)
    try:
        yield recorder
    finally:
        sys.stdout, sys.stderr = out, err
        register._imperative_invoke = real_invoke
        for (cls, name) in patches:
            setattr(cls, name, real[cls, name])


# what a graph cannot replay, by the NDArray method that does it
_REFUSED = {
    "asnumpy": "it reads a value back into Python (asnumpy, asscalar)",
    "detach": "it detaches an array from the graph",
    "backward": "it runs a backward pass",
    "attach_grad": "it attaches a gradient to an array",
}
_PATCHED = ("reshape", "_at", "_slice", "astype", *_REFUSED)


class _Printed:
    """Stands for stdout/stderr while a forward is recorded: anything written marks it."""

    def __init__(self, stream, recorder: Recorder) -> None:
        self.stream, self.recorder = stream, recorder

    def write(self, text: str) -> int:
        if text and threading.get_ident() == self.recorder.thread:
            self.recorder.fail("it prints (a graph would print only once)")
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str):  # encoding, isatty(), fileno(): the stream's own
        return getattr(self.stream, name)


Graph = Tuple[nd.CachedOp, List[int]]


def build_graph(recorder: Recorder, results: Sequence) -> Tuple[Optional[Graph], Optional[str]]:
    """``((cached op, order), None)``: the recorded forward giving ``results``, run with
    the recorder's inputs picked by ``order``; or ``(None, why it cannot)``."""
    if recorder.problem is not None:
        return None, recorder.problem
    known = {array.handle.value for array in recorder.alive[:recorder.n_inputs]}
    if any(r.handle.value in known for r in results):
        return None, "it returns one of its inputs unchanged"
    try:
        symbol = mx.sym.Group([recorder.symbol_of(r) for r in results])
    except Untraceable:
        return None, "an output is not computed from its inputs"
    kinds = {is_np(r) for r in results}
    if kinds == {True}:  # the graph then gives the numpy interface's arrays, as the forward
        symbol = symbol.as_np_ndarray()
    elif len(kinds) > 1:
        return None, "its outputs mix the numpy interface's arrays and nd's"
    names = {f"input{i}": i for i in range(recorder.n_inputs)}
    order = [names[name] for name in symbol.list_inputs()]
    flags = [("static_alloc", True), ("static_shape", True)]
    return (nd.CachedOp(symbol, flags), order), None


def same_bits(a: nd.NDArray, b: nd.NDArray) -> bool:
    """Whether two arrays have the same shape, dtype and bytes."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return bool(a.asnumpy().tobytes() == b.asnumpy().tobytes())


# what a function's text may do that a graph of its operators would not
_NOT_A_FORWARD = (ast.Global, ast.Nonlocal, ast.Yield, ast.YieldFrom, ast.Await, ast.With,
                  ast.AsyncWith)
_MUTATORS = {"append", "extend", "insert", "update", "add", "pop", "popitem", "clear",
             "setdefault", "remove", "discard", "sort", "reverse"}


def side_effect_free(node: ast.FunctionDef) -> bool:
    """Whether a function's text does nothing besides computing what it returns that a
    graph of its operators would skip, as far as the text shows (a recording sees only
    the operators): no ``global``/``nonlocal``, ``yield``, ``await`` or ``with`` block
    (``autograd.pause()``), no assignment to an attribute (``self.x = ...``) or to an
    item of what is not its own local (``cache[k] = ...``), no container method that
    changes what is not its own local (``self.weights.append(...)``, ``history.append``
    on an argument). Its own lists (``outputs.append(Y)``, names it assigns) are its
    business; an argument is the caller's; writes into arrays are refused when it runs."""
    local = {name.id for name in ast.walk(node) if isinstance(name, ast.Name)
             and isinstance(name.ctx, ast.Store)}
    for inner in ast.walk(node):
        if isinstance(inner, _NOT_A_FORWARD):
            return False
        if isinstance(inner, (ast.Attribute, ast.Subscript)) and \
                isinstance(inner.ctx, (ast.Store, ast.Del)) and \
                not (isinstance(inner, ast.Subscript) and _name(inner.value) in local):
            return False
        if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and \
                inner.func.attr in _MUTATORS and _name(inner.func.value) not in local:
            return False
    return True


def _name(expression: ast.expr) -> Optional[str]:
    return expression.id if isinstance(expression, ast.Name) else None
