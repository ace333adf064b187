"""glassgrad.viz graph data, text drawing and Graphviz output, on the chapter's section-7.4 graph,
an attention block and a graph of a few hundred nodes."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import glassgrad
from glassgrad import viz
from vizcases import chapter_graph


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
    x, a, b, c, d, e = chapter_graph()
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
    x, a, b, c, d, e = chapter_graph()
    with viz.record() as trace:
        e.backward()
    g = viz.build_graph(e, trace=trace)
    assert g.gradients == "trace" and float(x.grad) == 14.0
    # the same gradients PyTorch sends along each edge (read with hooks on the intermediates)
    tx, ta, tb, tc, td, te = chapter_graph(torch)
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
    x, a, b, c, d, e = chapter_graph()
    e.backward()
    g = viz.build_graph(e)
    assert g.gradients == "leaves only"
    assert float(g.by_label("x").grad) == 14.0
    assert all(grad is None for _, _, grad in g.edges)
    assert "viz.record()" in g.notes[0]


def test_names_argument_and_fresh_names():
    x, a, b, c, d, e = chapter_graph()
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
    x, a, b, c, d, e = chapter_graph()
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


# ---------------------------------------------------------------------- text
def test_text_drawing_of_the_chapter_graph():
    x, a, b, c, d, e = chapter_graph()
    text = viz.build_graph(e).text()
    lines = text.splitlines()
    assert lines[0].startswith("graph of e: 6 nodes (1 leaf)")
    assert lines[1].startswith("e = d + 1") and "AddBackward0" in lines[1] and "value 25.5" in lines[1]
    row_c = next(ln for ln in lines if "c = b ** 2" in ln)
    assert "PowBackward0" in row_c and "value 49." in row_c and "grad 0.5" in row_c and "◀ 0.5" in row_c
    row_x = next(ln for ln in lines if "x (leaf)" in ln)
    assert ".grad 14." in row_x and "◀ 14." in row_x
    # inputs are drawn beneath (indented under) the node that uses them
    assert [ln.index("=") if "=" in ln else ln.index("x (leaf)") for ln in lines[1:]] == sorted(
        ln.index("=") if "=" in ln else ln.index("x (leaf)") for ln in lines[1:])


def test_draw_prints_and_shared_nodes_are_drawn_once(capsys):
    x = glassgrad.tensor(3.0, requires_grad=True)
    y = x * x + x
    viz.draw(y)
    out = capsys.readouterr().out
    assert "x (see above)" in out and out.count("x (leaf)") == 1
    assert ".grad 7." in out  # dy/dx = 2x + 1


def test_text_of_a_big_graph_is_summarised():
    w, loss = big_chain()
    text = viz.build_graph(loss).text(max_nodes=40)
    lines = text.splitlines()
    assert len(lines) < 45
    assert "… and 922 nodes:" in lines[-1] and "TanhBackward0" in lines[-1]
    assert max(len(ln) for ln in lines) < 200  # indentation stops growing on a long chain


# ---------------------------------------------------------------------- dot
def test_dot_text_kinds_look_different():
    w = glassgrad.tensor([1.0, 2.0], requires_grad=True)
    data = glassgrad.tensor([3.0, 4.0])
    y = (w * data).sum()
    dot = viz.to_dot(y)
    assert dot.startswith("digraph glassgrad {") and dot.rstrip().endswith("}")
    line = {v: next(ln for ln in dot.splitlines() if f"<B>{v}</B>" in ln) for v in ("w", "data", "SumBackward0")}
    assert "shape=ellipse" in line["w"] and "#cfe5ff" in line["w"]
    assert "dashed" in line["data"] and "(no grad)" in line["data"]
    assert "shape=doubleoctagon" in line["SumBackward0"] and "#c9f2c0" in line["SumBackward0"]
    mul = next(ln for ln in dot.splitlines() if "MulBackward0" in ln)
    assert "shape=box" in mul and "t0 = w * data" in mul
    assert ".grad [3., 4.]" in line["w"]


def test_dot_of_the_chapter_graph_has_formulas_values_and_edge_gradients():
    x, a, b, c, d, e = chapter_graph()
    dot = viz.build_graph(e).dot()
    assert "c = b ** 2" in dot and "value 49." in dot
    ids = {v.label: v.id for v in viz.build_graph(e).nodes.values()}
    assert f'{ids["b"]} -> {ids["c"]} [label="◀ 7."];' in dot
    assert f'{ids["x"]} -> {ids["a"]} [label="◀ 14."];' in dot


def test_dot_groups_and_big_graph_summary():
    Q, K, V, scores, weights, out, loss = attention()
    g = viz.build_graph(loss)
    g.group("attention", out, (Q, K, V))
    dot = g.dot()
    assert 'subgraph cluster_0 {' in dot and 'label="attention"' in dot
    cluster = dot[dot.index("subgraph cluster_0"):dot.index("  }", dot.index("subgraph cluster_0"))]
    assert "SoftmaxBackward0" in cluster and "<B>Q</B>" not in cluster
    w, big = big_chain()
    dot = viz.to_dot(big, max_nodes=50)
    assert dot.count("[label=<") == 50 and "more [label=" in dot and "912 nodes" in dot


needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed (apt-get install graphviz)")


@needs_dot
def test_svg_and_png_rendering(tmp_path):
    x, a, b, c, d, e = chapter_graph()
    svg = viz.to_svg(e, str(tmp_path / "g.svg"))
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "c = b ** 2" in svg and "PowBackward0" in svg and ".grad 14." in svg
    assert (tmp_path / "g.svg").read_text() == svg
    png = viz.to_png(e, str(tmp_path / "g.png"))
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    g = viz.build_graph(e)
    assert "<svg" in g._repr_svg_()


def test_missing_dot_says_how_to_install(monkeypatch):
    from glassgrad.viz import dot as dotmod
    monkeypatch.setattr(dotmod.shutil, "which", lambda name: None)
    x, a, b, c, d, e = chapter_graph()
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        viz.to_svg(e)
    g = viz.build_graph(e)
    assert g._repr_svg_() is None          # Jupyter falls back to the HTML view
    assert "gg-root" in g._repr_html_()
    assert "digraph" in viz.to_dot(e)      # DOT text needs nothing


def test_ops_with_several_outputs_and_constants_lost_by_backward():
    x = glassgrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    p, q = x.split(1)
    y = (p * q).sum()
    g = viz.build_graph(y)
    split = g.by_label("p, q")
    assert split.op == "SplitBackward0" and split.formula.startswith("p, q = x.split(")
    assert next(v for v in g.nodes.values() if v.op == "MulBackward0").formula.endswith("= p * q")
    assert split.grad is None and [u.tolist() for u in split.upstream] == [[[3.0, 4.0]], [[1.0, 2.0]]]
    # after backward without retain_graph the graph has forgotten MulBackward0's number; x and a solve it
    w = glassgrad.tensor(1.5, requires_grad=True)
    a = w * 4
    (a * a).backward()
    g2 = viz.build_graph(a)
    assert g2.by_label("a").formula == "a = w * 4"
    u = (w * 4).exp()  # the product is not held anywhere: its number is unknown once freed
    u.backward()
    assert viz.build_graph(u).nodes["n1"].formula.endswith("= w * (constant)")
