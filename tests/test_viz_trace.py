"""glassgrad.viz.trace: the backward steps as data, in PyTorch's execution order."""

import numpy as np
import pytest

import glassgrad
from glassgrad.viz import Step, Trace, record, trace_backward
from vizcases import chapter_graph


def test_chapter_graph_steps_and_values():
    x, a, b, c, d, e = chapter_graph(glassgrad)
    trace = trace_backward(e)
    assert isinstance(trace, Trace) and all(isinstance(s, Step) for s in trace)
    assert [s.node.name() for s in trace] == ["AddBackward0", "DivBackward0", "PowBackward0", "AddBackward0",
                                              "MulBackward0", "torch::autograd::AccumulateGrad"]
    assert [s.node for s in trace.nodes()] == [e.grad_fn, d.grad_fn, c.grad_fn, b.grad_fn, a.grad_fn]
    assert [float(s.upstream[0]) for s in trace.nodes()] == [1.0, 1.0, 0.5, 7.0, 7.0]
    assert [None if p is None else float(p) for s in trace.nodes() for p in s.passed] == \
        [1.0, None, 0.5, None, 7.0, 7.0, None, 14.0, None]
    (acc,) = trace.accumulations()
    assert acc.variable is x and acc.passed == () and float(acc.upstream[0]) == 14.0 and float(acc.total) == 14.0
    assert float(trace.grad_on_edge(c.grad_fn, b.grad_fn)) == 7.0
    assert trace.grad_on_edge(c.grad_fn, e.grad_fn) is None
    assert float(trace.grad_into(a.grad_fn)) == 7.0
    # retain_graph by default: the graph can be walked again
    e.backward()
    assert x.grad.item() == 28.0


def test_values_are_copies_and_walks_are_numbered():
    x = glassgrad.tensor([1.0, 2.0], requires_grad=True)
    with record() as trace:
        (x * 3).sum().backward()
        (x * x).sum().backward()
    accs = trace.accumulations()
    assert [s.walk for s in accs] == [0, 1] and len(trace.walks) == 2
    np.testing.assert_array_equal(accs[0].total, [3.0, 3.0])     # not changed by the second accumulation
    np.testing.assert_array_equal(accs[1].total, [5.0, 7.0])
    np.testing.assert_array_equal(trace.walks[0][1][0], 1.0)


def test_create_graph_gradients_are_recorded_as_arrays():
    x = glassgrad.tensor([1.0, 2.0], requires_grad=True)
    with record() as trace:
        (x ** 3).sum().backward(create_graph=True)
    assert all(isinstance(g, np.ndarray) for s in trace for g in s.upstream + s.passed if g is not None)
    np.testing.assert_array_equal(trace.accumulations()[0].total, [3.0, 12.0])


def test_observer_removed_even_on_error():
    from glassgrad.engine import engine
    n = len(engine.OBSERVERS)
    x = glassgrad.tensor(1.0, requires_grad=True)
    y = x * 2
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        with record():
            y.backward()
    assert len(engine.OBSERVERS) == n


def test_execution_order_matches_pytorch():
    """A branching graph: the node order equals the order PyTorch runs its nodes in."""
    torch = pytest.importorskip("torch")

    def build(lib):
        w = lib.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
        v = lib.tensor([0.3, -0.7], requires_grad=True)
        h = (w @ v).tanh()
        s = h * v + w.sum(0)
        return (s.exp().sum() + (h ** 2).mean()), w, v

    loss, *_ = build(torch)
    order = []
    seen, stack = set(), [loss.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        fn.register_hook(lambda gi, go, fn=fn: order.append(fn.name()))
        stack.extend(m for m, _ in fn.next_functions)
    loss.backward()
    gloss, w, v = build(glassgrad)
    trace = trace_backward(gloss)
    assert [s.node.name() for s in trace] == order
    np.testing.assert_allclose(trace.grad_into(w._accumulator()), w.grad.numpy())
