"""glassgrad.viz.check: each node's backward against finite differences of its own forward."""

import sys
import zlib

import numpy as np

import glassgrad as gg
from glassgrad import viz
from opdb import OPS
from opinfo import from_np
from vizcases import Cube, Cube3


def _model(cube):
    gg.manual_seed(0)
    W = gg.randn(3, 4, requires_grad=True)
    b = gg.randn(4, requires_grad=True)
    x = gg.randn(5, 3)
    with viz.capture():
        h = (x @ W + b).tanh()
        line = sys._getframe().f_lineno + 1
        c = cube.apply(h)
        loss = gg.nn.functional.mse_loss(c.sum(1), gg.zeros(5)) + h.exp().mean() + (W * W).sum()
    return loss, line, {"c": c, "h": h}


def test_planted_wrong_backward_is_found_and_located():
    loss, line, names = _model(Cube3)
    report = viz.check(loss, names=names)
    assert not report.ok
    (bad,) = report.failures
    assert bad.node == "Cube3Backward" and bad.name == "c"
    assert bad.formula == "c = Cube3.apply(h)"
    assert bad.where == f"{__file__}:{line}"
    assert bad.max_error > 1
    others = [r for r in report.results if r is not bad]
    assert len(others) >= 8 and all(r.status == "pass" and r.max_error < 1e-6 for r in others)
    text = str(report)
    assert f"FAIL: Cube3Backward (c = Cube3.apply(h)), created at {__file__}:{line}" in text
    assert "1 failed" in text


def test_the_right_backward_passes():
    loss, _, _ = _model(Cube)
    report = viz.check(loss)
    assert report.ok and all(r.status == "pass" for r in report.results), str(report)


def test_a_wrong_builtin_rule_is_caught(monkeypatch):
    from glassgrad.ops.elementwise import ExpBackward0
    monkeypatch.setattr(ExpBackward0, "backward", lambda self, F, g: (g * 2,))
    x = gg.tensor([0.5, -1.0, 2.0], requires_grad=True)
    report = viz.check(lambda: (x.exp() * x).sum())
    assert [r.node for r in report.failures] == ["ExpBackward0"]


def test_function_form_and_random_directions_for_large_nodes():
    gg.manual_seed(1)
    A = gg.randn(20, 30, requires_grad=True)
    B = gg.randn(30, 10, requires_grad=True)
    report = viz.check(lambda: (A @ B).relu().pow(2).mean())
    assert report.ok and {r.status for r in report.results} == {"pass"}
    assert any("random directions" in r.detail for r in report.results)


def test_uncaptured_graph_is_never_reported_as_passing():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    loss = (x.sin() * 3).sum()
    report = viz.check(loss)
    assert {r.status for r in report.results} == {"not checkable"}
    assert report.ok and "3 not checkable" in str(report)


def test_capture_restores_the_library():
    before = (gg.Tensor.__mul__, gg.matmul, gg.Tensor.T, gg.autograd.Function.__dict__["apply"])
    with viz.capture():
        assert gg.Tensor.__mul__ is not before[0]
    assert (gg.Tensor.__mul__, gg.matmul, gg.Tensor.T, gg.autograd.Function.__dict__["apply"]) == before


def test_every_op_sample_graph_passes():
    """One float64 sample per op of the op database: no node fails; all but in-place-through-a-view are checked."""
    checked, unchecked = 0, []
    failures = []
    for op in OPS:
        if not op.supports_grad or not op.fd:
            continue
        rng = np.random.default_rng(zlib.crc32(f"{op.name}float64".encode()))
        s = op.samples(rng, np.float64)[0]
        args = [from_np(gg, a, rg) if isinstance(a, np.ndarray) else a for a, rg in zip(s.args, s.grad_mask())]

        def build(op=op, args=args, s=s):
            out = op.op(gg, *args, **s.kwargs)
            return out[0] if isinstance(out, tuple) else out
        report = viz.check(build)
        failures += [(op.name, r.node, r.detail) for r in report.failures]
        for r in report.results:
            if r.status == "pass":
                checked += 1
            elif r.status == "not checkable":
                unchecked.append((op.name, r.node))
    assert not failures
    assert checked > 1000
    assert {n for _, n in unchecked} <= {"torch::autograd::CopySlices"}, unchecked
    assert len(unchecked) < 20


def test_nodes_made_inside_one_call_are_checked_with_it(monkeypatch):
    gg.manual_seed(2)
    x = gg.randn(2, 3, 4)
    W = gg.randn(5, 4, requires_grad=True)
    b = gg.randn(5, requires_grad=True)

    def build():
        return gg.nn.functional.linear(x, W, b).tanh().sum()
    report = viz.check(build)
    statuses = {r.node: r.status for r in report.results}
    assert statuses["AddmmBackward0"] == "inside" and report.ok
    inner = next(r for r in report.results if r.node == "AddmmBackward0")
    assert "glassgrad.nn.functional.linear()" in inner.detail and inner.where == f"{__file__}:{build.__code__.co_firstlineno + 1}"

    from glassgrad.ops.linalg import AddmmBackward0
    right = AddmmBackward0.backward
    monkeypatch.setattr(AddmmBackward0, "backward", lambda self, F, g: tuple(
        None if r is None else r * 1.5 for r in right(self, F, g)))
    report = viz.check(build)
    assert {r.node for r in report.failures} >= {"AddmmBackward0"}
    assert next(r for r in report.failures if r.node == "AddmmBackward0").detail.startswith(
        "made inside glassgrad.nn.functional.linear(), which fails")


def test_capture_keeps_no_graph_alive():
    import weakref

    from glassgrad.viz.checking import _STATE
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    with viz.capture():
        y = (x * 2).sin()
    node = weakref.ref(y.grad_fn)
    assert node() in _STATE.forwards
    n = len(_STATE.forwards)
    del y
    assert node() is None and len(_STATE.forwards) == n - 2
