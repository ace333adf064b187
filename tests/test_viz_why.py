"""glassgrad.viz.why_no_grad: why a tensor's .grad is None or zero, and where the path breaks."""

import pytest

import glassgrad as gg
from glassgrad.viz import why_no_grad


@pytest.fixture
def graph():
    x = gg.tensor([1.0, -2.0], requires_grad=True)
    w = gg.tensor([-1.0, -1.0], requires_grad=True)
    h = x * 2
    r = (w * 3).relu()
    loss = (r + h).sum()
    return x, w, h, r, loss


def test_reasons(graph):
    x, w, h, r, loss = graph
    ans = why_no_grad(h, loss)
    assert ans.reason == "not a leaf" and ans.node == "MulBackward0" and "h.retain_grad()" in str(ans)
    ans = why_no_grad(w, loss)
    assert ans.reason == "gradient zeroed" and ans.node == "ReluBackward0"
    assert "breaks at ReluBackward0 (which makes r)" in ans.message
    ans = why_no_grad(x, loss)
    assert ans.reason == "has a gradient" and "x.grad is None" in ans.message
    assert why_no_grad(gg.tensor([1, 2]), loss).reason == "integer dtype"
    z = gg.tensor(1.0, requires_grad=True)
    ans = why_no_grad(z, loss)
    assert ans.reason == "not on a path" and "z is not on any path to loss" in str(ans)
    with gg.no_grad():
        n = x * 2
    assert why_no_grad(n, loss).reason == "requires_grad=False"
    with gg.inference_mode():
        q = gg.ones(2)
    assert why_no_grad(q, loss).reason == "inference tensor"
    # nothing above touched .grad
    assert x.grad is None and w.grad is None


def test_detached_copy_is_named():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    w = gg.tensor([3.0, 4.0], requires_grad=True)
    loss = (d * w).sum()
    ans = why_no_grad(x, loss)
    assert ans.reason == "not on a path" and ans.node == "MulBackward0"
    assert "a copy of x cut off from it at MulBackward0" in ans.message


def test_clamp_and_where_and_freed_graph():
    x = gg.tensor([1.0, -2.0], requires_grad=True)
    c = gg.clamp(x, 5, 6).sum()
    assert why_no_grad(x, c).node.startswith("Clamp")
    y = gg.where(gg.tensor([False, False]), x, gg.zeros(2)).sum()
    assert why_no_grad(x, y).node == "WhereBackward0"
    c.backward()
    ans = why_no_grad(x, c)
    assert ans.reason == "graph freed" and "x.grad is zero" in ans.message


def test_retained_non_leaf_and_no_graph():
    x = gg.tensor(2.0, requires_grad=True)
    h = x * 0
    h.retain_grad()
    loss = h * 3
    assert why_no_grad(h, loss).reason == "has a gradient"
    assert why_no_grad(x, loss).node == "MulBackward0"
    with gg.no_grad():
        loss2 = x * 3
    assert why_no_grad(x, loss2).reason == "loss has no graph"
