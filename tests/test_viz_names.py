"""Every view of a graph names its unnamed results the same way and writes the same formulas.

The drawing (build_graph, its text, DOT and HTML forms), the narration (explain / narrate), check and
why_no_grad share one numbering of unnamed results (forward creation order, ``Namer.number``) and one
solver for the numbers a graph does not keep (``graph.input_labels``).
"""

from __future__ import annotations

import io
import json
import re

import pytest

import glassgrad as gg
from glassgrad import viz
from glassgrad.viz.html import page_data
from glassgrad.viz.names import Namer, forward_order

_STEP = re.compile(r"^\s*\[\d+\] (\w+)   (.*)$")


def narrated_formulas(root: gg.Tensor, names: dict) -> dict[str, str]:
    """op name + formula of each narrated step (AccumulateGrad left out), in the narration's words."""
    buf = io.StringIO()
    viz.explain(root, names=names, file=buf, retain_graph=True)
    out = {}
    for line in buf.getvalue().splitlines():
        m = _STEP.match(line)
        if m and m.group(1) != "AccumulateGrad":
            out[m.group(2)] = m.group(1)
    return out


def drawn_formulas(graph: viz.Graph) -> dict[str, str]:
    return {v.formula: v.op for v in graph.nodes.values() if v.kind != "leaf"}


def assert_views_agree(root: gg.Tensor, names: dict) -> viz.Graph:
    graph = viz.build_graph(root, names=names)
    drawn = drawn_formulas(graph)
    # the terminal drawing and the DOT text show those formulas
    text, dot = graph.text(), graph.dot()
    for formula in drawn:
        assert formula in text
        assert formula.replace('"', '\\"') in dot
    # the page's data: the same labels and formulas
    data = page_data(graph)
    assert {n["formula"]: n["op"] for n in data["nodes"] if n["kind"] not in ("leaf", "summary")} == drawn
    assert {n["label"] for n in data["nodes"]} == {v.label for v in graph.nodes.values()}
    page = graph.to_html()
    m = re.search(r'<script type="application/json" class="gg-data">(.*?)</script>', page, re.S)
    assert m is not None and {n["formula"] for n in json.loads(m.group(1))["nodes"]} >= set(drawn)
    # the narration: the same formula for each node, word for word
    assert narrated_formulas(root, names) == drawn
    # check: the same formulas again
    report = viz.check(root, names=names)
    assert {r.formula for r in report.results} == set(drawn)
    return graph


def test_unnamed_parts_get_one_numbering_in_every_view():
    x = gg.tensor(0.5, requires_grad=True)
    y = gg.tensor(-1.5, requires_grad=True)
    f = (x * y) + (x + y).sin()
    graph = assert_views_agree(f, {"x": x, "y": y, "f": f})
    # forward creation order: x * y first, then x + y, then its sine
    assert graph.by_label("t0").formula == "t0 = x * y"
    assert graph.by_label("t1").formula == "t1 = x + y"
    assert graph.by_label("t2").op == "SinBackward0" and "t1" in graph.by_label("t2").formula
    assert graph.nodes[graph.root].formula == "f = t0 + t2"
    x.grad = y.grad = None   # the views above ran backward once (explain), leaving .grad set
    buf = io.StringIO()
    viz.explain(f, names={"x": x, "y": y, "f": f}, file=buf)
    text = buf.getvalue()
    assert "[1] AddBackward0   f = t0 + t2" in text and "→ t2 (SinBackward0)" in text
    assert "local     dt0/dx = y = -1.5" in text
    torch = pytest.importorskip("torch")
    tx, ty = torch.tensor(0.5, requires_grad=True), torch.tensor(-1.5, requires_grad=True)
    tf = (tx * ty) + (tx + ty).sin()
    tf.backward()
    assert f.grad_fn.name() == tf.grad_fn.name()
    assert x.grad.item() == pytest.approx(tx.grad.item(), rel=1e-6)
    assert y.grad.item() == pytest.approx(ty.grad.item(), rel=1e-6)


def test_the_order_a_view_asks_in_does_not_change_the_names():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    a = x * 2
    f = (a.exp() + a.sin()).sum()
    fwd = [obj for kind, obj in forward_order([f.grad_fn]) if kind == "node"]
    # a leaf's AccumulateGrad counts as made just before its first use
    assert [n.name() for n in fwd] == ["torch::autograd::AccumulateGrad", "MulBackward0", "ExpBackward0",
                                       "SinBackward0", "AddBackward0", "SumBackward0"]
    first, second = Namer(names={"x": x}), Namer(names={"x": x})
    first.number(f.grad_fn)
    second.number([f.grad_fn])
    assert [first.node(n) for n in fwd] == ["x", "t0", "t1", "t2", "t3", "t4"]
    assert [second.node(n) for n in reversed(fwd)] == ["t4", "t3", "t2", "t1", "t0", "x"]
    assert first.tensor(f) == "t4" and first.tensor(a) == "t0"
    second.number(f.grad_fn)   # again: nothing changes
    assert second.node(f.grad_fn) == "t4"


def chapter_attention():
    gg.manual_seed(0)
    X = gg.randn(2, 4)
    W_q = gg.randn(4, 4, requires_grad=True)
    W_k = gg.randn(4, 4, requires_grad=True)
    W_v = gg.randn(4, 4, requires_grad=True)
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    scores = Q @ K.T / 2
    weights = gg.softmax(scores, dim=1)
    output = weights @ V
    loss = output.sum()
    return dict(X=X, W_q=W_q, W_k=W_k, W_v=W_v, Q=Q, K=K, V=V, scores=scores, weights=weights, output=output,
                loss=loss)


def test_chapter_attention_agrees_and_solves_the_divisor():
    names = chapter_attention()
    loss = names["loss"]
    graph = assert_views_agree(loss, names)
    assert graph.by_label("scores").formula == "scores = t1 / 2"
    assert graph.by_label("t1").formula == "t1 = Q @ t0"
    assert graph.by_label("t0").op == "PermuteBackward0"
    buf = io.StringIO()
    viz.explain(loss, names=names, file=buf)
    text = buf.getvalue()
    assert "[4] DivBackward0   scores = t1 / 2" in text
    assert "rule      grad_t1 = grad_scores / 2" in text
    assert "rule      grad_W_q = X.T @ grad_Q" in text
    assert "other" not in text


def test_the_divisor_is_not_guessed_without_values():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    f = ((x * 3) / gg.tensor([2.0, 4.0])).sum()   # a divisor that is a tensor the graph saved, unnamed
    graph = assert_views_agree(f, {"x": x, "f": f})
    div = next(v for v in graph.nodes.values() if v.op == "DivBackward0")
    const = next(v for v in graph.nodes.values() if v.id.startswith("c"))
    assert div.formula == f"{div.label} = t0 / {const.label}" and const.label.startswith("t")


def test_narrate_block_and_why_no_grad_use_the_same_names():
    w = gg.tensor([-1.0, -2.0], requires_grad=True)
    loss = ((w * 3).relu() * 2).sum()
    graph = viz.build_graph(loss, names={"w": w, "loss": loss})
    relu = next(v for v in graph.nodes.values() if v.op == "ReluBackward0")
    assert relu.label == "t1" and relu.formula.startswith("t1 = ")
    ans = viz.why_no_grad(w, loss, names={"w": w, "loss": loss})
    assert f"breaks at ReluBackward0 (which makes {relu.label})" in ans.message
    buf = io.StringIO()
    with viz.narrate(file=buf, names={"w": w, "loss": loss}):
        loss.backward()
    assert f"ReluBackward0   {relu.formula}\n" in buf.getvalue()


def test_a_number_is_solved_through_an_unnamed_step_or_left_as_constant():
    x = gg.tensor([0.2, 0.5], requires_grad=True)
    l1 = 3 * x + 1             # t0 = x * 3 is not held, but follows from x and the saved 3
    l2 = (l1 ** 2).sum()
    graph = assert_views_agree(l2, {"x": x, "l1": l1, "l2": l2})
    assert graph.by_label("l1").formula == "l1 = t0 + 1" and graph.by_label("t0").formula == "t0 = x * 3"
    assert graph.by_label("t0").value is None   # used to solve the 1, never shown as a value
    w = gg.tensor([1.0, 2.0], requires_grad=True)
    f = ((x * w) + 2).sum()      # neither x * w nor its sum with 2 is known: the 2 cannot be told
    graph = assert_views_agree(f, {"x": x, "w": w, "f": f})
    assert graph.by_label("t1").formula == "t1 = t0 + (constant)"


def test_permute_shows_its_dims_in_every_view():
    x = gg.ones(2, 3, 4, requires_grad=True)
    f = x.permute(2, 0, 1).sum()
    graph = assert_views_agree(f, {"x": x, "f": f})
    assert graph.by_label("t0").formula == "t0 = x.permute((2, 0, 1))"
    torch = pytest.importorskip("torch")
    assert torch.ones(2, 3, 4, requires_grad=True).permute(2, 0, 1).grad_fn._saved_dims == (2, 0, 1)
