"""A chapter's own functions, traced when its code calls them under ``autograd.record()``.

The books' chapters before the 2020 releases write the model as a module-level function
(``rnn(inputs, state, params)``, ``to_onehot(X, size)``) and, in chapter 8.5, the
training loop too: the facade never runs that loop, so the cached graph of
:mod:`gluon_rnn.train.traced` reaches it through the functions themselves. The runner
parses each script or page cell anyway (to compile it); :class:`TracedForwards` adds one
decorator to the module-level functions that could be a forward,
:func:`~gluon_rnn.train.traced.traced_function`, which is the function itself unless it
is called under ``autograd.record()`` with arrays, and a cached graph only where that
gives the function's very bits (checked on its first call). Functions whose text does
more than compute what they return (:func:`~gluon_rnn.train.recording.side_effect_free`:
``global`` names, ``yield``, a ``with`` block such as ``autograd.pause()``, attribute
writes, appending to what is not their own) or that already have decorators are left
as they are: a graph would skip what they do besides computing their arrays. The
decorator sits on the ``def`` line, so the chapter's line numbers and tracebacks do not
move; nothing else changes.
``GLUON_RNN_TRACE=0`` leaves every function as it is.
"""
from __future__ import annotations

import ast

from ..train.traced import side_effect_free, tracing_mode

_DECORATOR = "__import__('gluon_rnn.train.traced', fromlist=['_']).traced_function"


def could_be_forward(node: ast.FunctionDef) -> bool:
    """Whether a graph replaying ``node``'s operators would do all that it does (the
    module text); its arrays' side is checked when it runs."""
    return not node.decorator_list and side_effect_free(node)


class TracedForwards(ast.NodeTransformer):
    """Decorates a module's (a script's, a cell's) top-level functions that could be a
    forward with ``traced_function`` (module text); with ``GLUON_RNN_TRACE=0``, none."""

    def __init__(self) -> None:
        self.on = tracing_mode() != "off"

    def visit_Module(self, node: ast.Module) -> ast.Module:
        for statement in node.body if self.on else ():
            if isinstance(statement, ast.FunctionDef) and could_be_forward(statement):
                decorator = ast.parse(_DECORATOR, mode="eval").body
                for part in ast.walk(decorator):  # on the def line: no line moves
                    ast.copy_location(part, statement)
                    part.end_lineno = statement.lineno  # type: ignore[attr-defined]
                    part.end_col_offset = statement.col_offset + 3  # type: ignore[attr-defined]
                statement.decorator_list.append(decorator)
        return node
