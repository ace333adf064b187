"""glassgrad.viz graph data, text drawing and Graphviz output, on the chapter's section-7.4 graph,
an attention block and a graph of a few hundred nodes."""

from __future__ import annotations

import numpy as np
import pytest

import glassgrad
from glassgrad import viz


def chapter():
    """The chapter's section-7.4 graph: x = 2, a = x*2, b = a+3, c = b**2, d = c/2, e = d+1."""
    x = glassgrad.tensor(2.0, requires_grad=True)
    a = x * 2
    b = a + 3
    c = b ** 2
    d = c / 2
    e = d + 1
    return x, a, b, c, d, e


def attention(seed=0):
    glassgrad.manual_seed(seed)
    Q = glassgrad.randn(3, 4, requires_grad=True)
    K = glassgrad.randn(3, 4, requires_grad=True)
    V = glassgrad.randn(3, 4, requires_grad=True)
    scores = Q @ K.T / 4 ** 0.5
    weights = glassgrad.softmax(scores, dim=-1)
    out = weights @ V
    loss = out.sum()
    return Q, K, V, scores, weights, out, loss


def big_chain(n=320):
    w = glassgrad.tensor([0.5, -1.0], requires_grad=True)
    h = w
    for _ in range(n):
        h = glassgrad.tanh(h * 1.01 + 0.1)
    return w, h.sum()


# ---------------------------------------------------------------------- graph data
def test_chapter_graph_names_formulas_values_and_dry_run_gradients():
    x, a, b, c, d, e = chapter()
    g = viz.build_graph(e)
    labels = [v.label for v in g.nodes.values()]
    assert labels == ["x", "a", "b", "c", "d", "e"]  # inputs first
    assert [g.nodes[i].label for i in g.order] == ["e", "d", "c", "b", "a", "x"]
    c_node = g.by_label("c")
    assert c_node.op == "PowBackward0" and c_node.kind == "op"
    assert c_node.formula == "c = b ** 2"
    assert c_node.derivatives == ("grad * 2 * b ** (2 - 1)",)
    assert c_node.rules == ("grad * exponent * self ** (exponent - 1)",)
    assert g.by_label("a").formula == "a = x * 2"
    assert g.by_label("b").formula == "b = a + 3"   # the 3 is recovered from the values of a and b
    assert g.by_label("d").formula == "d = c / 2"
    assert g.by_label("e").kind == "output" and g.by_label("x").kind == "leaf"
    assert g.by_label("x").op == "leaf"
    assert c_node.saved["b"].startswith("7.") and c_node.saved["exponent"] == "2"
    assert c_node.shape == () and c_node.dtype == "torch.float32"
    assert [float(g.by_label(n).value) for n in "xabcde"] == [2.0, 4.0, 7.0, 49.0, 24.5, 25.5]
    # nothing ran backward into .grad: the gradients come from a dry run
    assert x.grad is None and g.gradients == "dry run"
    assert float(g.by_label("x").grad) == 14.0
    assert float(g.edge_grad(g.by_label("b").id, c_node.id)) == 14.0 / 2  # dd/dc = 1/2, dc/db = 2b: 7
    assert float(g.edge_grad(c_node.id, g.by_label("d").id)) == 0.5
    assert c_node.saved["b"] != "freed"


def test_chapter_graph_after_backward_with_a_trace_matches_torch():
    torch = pytest.importorskip("torch")
    x, a, b, c, d, e = chapter()
    with viz.record() as trace:
        e.backward()
    g = viz.build_graph(e, trace=trace)
    assert g.gradients == "trace" and float(x.grad) == 14.0
    # the same gradients PyTorch sends along each edge (read with hooks on the intermediates)
    tx = torch.tensor(2.0, requires_grad=True)
    ta = tx * 2
    tb = ta + 3
    tc = tb ** 2
    td = tc / 2
    te = td + 1
    seen = {}
    for name, t in zip("abcd", (ta, tb, tc, td)):
        t.register_hook(lambda grad, name=name: seen.__setitem__(name, float(grad)))
    te.backward()
    for name in "abcd":
        v = g.by_label(name)
        consumer = next(dst for src, dst, _ in g.edges if src == v.id)
        assert float(g.edge_grad(v.id, consumer)) == seen[name]
    assert float(g.by_label("x").grad) == float(tx.grad)
    assert [g.nodes[i].op for i in g.order] == [
        "AddBackward0", "DivBackward0", "PowBackward0", "AddBackward0", "MulBackward0", "leaf"]
    assert te.grad_fn.name() == g.by_label("e").op
    # backward freed the saved values: the graph says so
    assert g.by_label("c").saved["saved values"] == "freed"


def test_freed_graph_without_trace_says_what_is_unknown():
    x, a, b, c, d, e = chapter()
    e.backward()
    g = viz.build_graph(e)
    assert g.gradients == "leaves only"
    assert float(g.by_label("x").grad) == 14.0
    assert all(grad is None for _, _, grad in g.edges)
    assert "viz.record()" in g.notes[0]


def test_names_argument_and_fresh_names():
    x, a, b, c, d, e = chapter()
    g = viz.build_graph(e, names={"loss": e, "h": c})
    assert g.nodes[g.root].label == "loss" and g.by_label("h").formula == "h = b ** 2"

    def inner(t):
        return (t * 3).exp().sum()  # no variables for the intermediates
    g2 = viz.build_graph(inner(x))
    assert [v.label for v in g2.nodes.values()] == ["x", "t0", "t1", "t2"]


def test_attention_graph_matches_torch_grad_fns_and_gradients():
    torch = pytest.importorskip("torch")
    Q, K, V, scores, weights, out, loss = attention()
    g = viz.build_graph(loss)
    tQ, tK, tV = (torch.tensor(t.detach().numpy(), requires_grad=True) for t in (Q, K, V))
    tout = torch.softmax(tQ @ tK.T / 4 ** 0.5, dim=-1) @ tV
    tout.sum().backward()
    assert g.by_label("weights").op == tout.grad_fn.next_functions[0][0].name()
    assert g.by_label("weights").formula == "weights = softmax(scores, 1)"
    assert g.by_label("out").formula == "out = weights @ V"
    for leaf, t in (("Q", tQ), ("K", tK), ("V", tV)):
        np.testing.assert_allclose(g.by_label(leaf).grad, t.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert g.by_label("out").shape == (3, 4) and g.by_label("weights").shape == (3, 3)
    members = g.group("attention", out, (Q, K, V))
    assert {g.nodes[m].label for m in members} >= {"scores", "weights", "out"}
    assert "Q" not in {g.nodes[m].label for m in members}


def test_build_graph_changes_nothing():
    x, a, b, c, d, e = chapter()
    saved_before = e.grad_fn._saved
    viz.build_graph(e)
    assert x.grad is None and e.grad_fn._saved is saved_before
    e.backward()  # the graph is still whole
    assert float(x.grad) == 14.0


def test_leaf_and_no_grad_inputs():
    w = glassgrad.tensor([1.0, 2.0], requires_grad=True)
    data = glassgrad.tensor([3.0, 4.0])
    y = (w * data).sum()
    g = viz.build_graph(y)
    mul = g.by_label("t0") if "t0" in [v.label for v in g.nodes.values()] else None
    assert mul is not None and mul.formula == "t0 = w * data"
    const = g.by_label("data")
    assert const.kind == "leaf" and const.node is None and not const.requires_grad
    np.testing.assert_array_equal(g.by_label("w").grad, [3.0, 4.0])
    lone = viz.build_graph(data)
    assert len(lone) == 1 and lone.nodes[lone.root].kind == "leaf"


def test_big_graph_builds_quickly():
    w, loss = big_chain()
    g = viz.build_graph(loss)
    assert len(g) == 3 * 320 + 2  # per step: mul, add, tanh; plus the sum and the leaf
    np.testing.assert_allclose(g.by_label("w").grad, _big_chain_grad(), rtol=1e-4)


def _big_chain_grad():
    torch = pytest.importorskip("torch")
    w = torch.tensor([0.5, -1.0], requires_grad=True)
    h = w
    for _ in range(320):
        h = torch.tanh(h * 1.01 + 0.1)
    h.sum().backward()
    return w.grad.numpy()
