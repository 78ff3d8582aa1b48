"""The runner decorates a chapter's own functions that could be a forward
(``gluon_rnn.books.forwards``; issue 30): only those, on their own ``def`` line, none
with ``GLUON_RNN_TRACE=0``; a script run through ``gluon-rnn chapter`` has its forward
traced, stays ``__main__`` (pickle finds its functions) and shows its own traceback."""
from __future__ import annotations

import ast
import math

import pytest
from mxnet import autograd, nd

from gluon_rnn.books.chapter import run_chapter
from gluon_rnn.books.forwards import TracedForwards

SOURCE = '''\
def pure(X, w):
    return nd.dot(X, w)


def counting(X):
    global calls
    calls += 1
    return X


@staticmethod
def decorated(X):
    return X


def paused(X):
    with autograd.pause():
        return X * 2


def chunks(X):
    yield X


def own_list(X):
    outputs, seen = [], {}
    outputs.append(X)
    seen[0] = X
    return outputs


def keeps_history(X):
    history.append(X)
    return X


def sets_an_attribute(X):
    X.seen = True
    return X


def fills_a_cache(X):
    cache[X.shape] = X
    return X


def appends_to_its_argument(X, seen):
    seen.append(X)
    return X


def fills_its_argument(X, cache):
    cache[0] = X
    return X


class Model:
    def forward(self, X):
        return X
'''


@pytest.mark.parametrize("setting, traced", [("1", {"pure", "own_list"}), ("0", set())])
def test_the_runner_decorates_what_could_be_a_forward_on_its_own_line(setting, traced,
                                                                      monkeypatch):
    monkeypatch.setenv("GLUON_RNN_TRACE", setting)
    tree = TracedForwards().visit(ast.parse(SOURCE))
    namespace = {"nd": nd, "autograd": autograd}
    exec(compile(ast.fix_missing_locations(tree), "chapter.py", "exec"), namespace)
    found = {name for name, value in namespace.items() if hasattr(value, "traced")}
    assert found == traced
    assert namespace["pure"].__name__ == "pure"
    assert getattr(namespace["pure"], "__wrapped__", namespace["pure"]).__code__.co_firstlineno == 1
    lines = {node.lineno for node in ast.walk(tree) if hasattr(node, "lineno")}
    assert lines == {node.lineno for node in ast.walk(ast.parse(SOURCE))
                     if hasattr(node, "lineno")}  # no line added or moved


SCRIPT = '''\
import pickle
from mxnet import autograd, nd


def forward(X, w):
    return nd.tanh(nd.dot(X, w))


def broken(X, w):
    return nd.dot(X, w) + undefined_name


w = nd.ones((3, 3))
w.attach_grad()
for _ in range(3):
    with autograd.record():
        l = forward(nd.ones((2, 3)), w).sum()
    l.backward()
print(__name__, forward.__name__, len(forward.traced.graphs), w.grad.sum().asscalar())
print(pickle.loads(pickle.dumps(forward)) is forward)
with autograd.record():
    broken(nd.ones((2, 3)), w)
'''


def test_a_script_runs_with_its_forward_traced_and_its_own_traceback(tmp_path, capsys):
    script = tmp_path / "chapter.py"
    script.write_text(SCRIPT)
    assert run_chapter(script) == 1
    out, err = capsys.readouterr()
    grad = 3 * 2 * (1 - math.tanh(3.0) ** 2)  # each column: two rows, tanh'(3)
    name, function, graphs, total = out.splitlines()[0].split()
    assert (name, function, graphs) == ("__main__", "forward", "1")
    assert abs(float(total) - 3 * grad) < 1e-5 and out.splitlines()[1] == "True"
    assert 'line 22, in <module>' in err and 'line 10, in broken' in err
    assert "traced.py" not in err and "recording.py" not in err
    assert err.rstrip().endswith("NameError: name 'undefined_name' is not defined")
