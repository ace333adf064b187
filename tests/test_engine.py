"""The autograd engine, compared with real PyTorch.

Most tests are written once as a function of the library module ``L`` and run
with ``L = glassgrad`` and ``L = torch``; values, gradients, ``grad_fn`` names,
warnings and error messages (type and exact text) must be the same.  Tests
that need no oracle (deep chains, reference counting) run without torch.
"""

from __future__ import annotations

import gc
import re
import threading
import tracemalloc
import warnings
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import glassgrad as gg
from glassgrad.engine.node import Node
from opinfo import both, same_error


# ---------------------------------------------------------------------- helpers
def _torch() -> Any:
    return pytest.importorskip("torch")


def _np(t: Any) -> np.ndarray:
    """A tensor (either library) as a NumPy array."""
    return np.asarray(t.detach().numpy())


def _close(a: Any, b: Any, rtol: float = 1e-6, atol: float = 1e-6) -> None:
    """``a`` (glassgrad) and ``b`` (torch): same shape, dtype name and values (None matches None)."""
    if b is None:
        assert a is None
        return
    assert a is not None
    assert str(a.dtype) == str(b.dtype)
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_allclose(_np(a), _np(b), rtol=rtol, atol=atol)





@pytest.fixture(autouse=True)
def _grad_mode_restored() -> Iterator[None]:
    """A failing grad-mode test must not leave gradients disabled for the next test."""
    yield
    gg.set_grad_enabled(True)
    try:
        import torch
    except ImportError:  # pragma: no cover
        return
    torch.set_grad_enabled(True)


# ---------------------------------------------------------------------- graph shapes
def test_diamond_graph() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.5, -2.0, 0.5], requires_grad=True)
        a = x.exp()
        b = x * 3.0
        c = a * b + a
        c.sum().backward()
        return x.grad

    _close(*both(case))


def test_diamond_with_shared_intermediate() -> None:
    # x -> a; a feeds b and c; d = b * c; d also uses a again
    def case(L: Any) -> Any:
        x = L.tensor([[0.3, -1.2], [2.0, 0.7]], requires_grad=True)
        w = L.tensor([0.5, -0.25], requires_grad=True)
        a = x * w
        b = a.sin()
        c = a * a
        d = (b * c + a / 2.0).sum()
        d.backward()
        return x.grad, w.grad

    (gx, gw), (tx, tw) = both(case)
    _close(gx, tx)
    _close(gw, tw)


@pytest.mark.parametrize("expr", ["x*x", "x+x", "x*x*x", "x-x", "x/x", "x*x+x"])
def test_tensor_used_twice(expr: str) -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, -2.0, 3.5], requires_grad=True)
        y = eval(expr, {"x": x})
        y.sum().backward()
        return x.grad

    _close(*both(case))


def test_reuse_across_branches_and_broadcast() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        b = L.tensor([0.5, -1.0, 2.0], requires_grad=True)
        h = x * b  # broadcast
        branches = [h.sum(), (h * h).mean(), (x + b).exp().sum() * 1e-3, (b * 2.0).sum()]
        total = branches[0]
        for t in branches[1:]:
            total = total + t
        total.backward()
        return x.grad, b.grad

    (gx, gb), (tx, tb) = both(case)
    _close(gx, tx, rtol=1e-5)
    _close(gb, tb, rtol=1e-5)


def test_two_roots_in_one_backward() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3.0
        z = x.exp()
        L.autograd.backward([y.sum(), z.sum()])
        return x.grad

    _close(*both(case))


# ---------------------------------------------------------------------- accumulation / retain_graph
def test_accumulation_over_two_backward_calls_and_zero() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        (x * x).sum().backward()
        first = x.grad.clone()
        (x * 2.0).sum().backward()
        second = x.grad.clone()
        g = x.grad
        x.grad.zero_()
        zeroed = x.grad.clone()
        (x * 5.0).sum().backward()
        return first, second, zeroed, x.grad, x.grad is g

    got, want = both(case)
    for a, b in zip(got[:4], want[:4]):
        _close(a, b)
    assert got[4] == want[4]


def test_retain_graph_allows_second_backward_and_adds() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, -2.0], requires_grad=True)
        y = (x * x * x).sum()
        y.backward(retain_graph=True)
        first = x.grad.clone()
        y.backward()
        return first, x.grad

    (g1, g2), (t1, t2) = both(case)
    _close(g1, t1)
    _close(g2, t2)
    np.testing.assert_allclose(_np(g2), 2 * _np(g1))


def test_retain_graph_three_times() -> None:
    def case(L: Any) -> Any:
        x = L.tensor(0.5, requires_grad=True)
        y = x.exp() * x
        for _ in range(3):
            y.backward(retain_graph=True)
        return x.grad

    _close(*both(case))


@pytest.mark.parametrize(
    "expr",
    ["(x*x).sum()", "(x*2).sum()", "x.exp().sum()", "(x/3.0).sum()", "(x*x).sum()*2"],
)
def test_second_backward_without_retain_graph_raises(expr: str) -> None:
    def case(L: Any) -> None:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = eval(expr, {"x": x})
        y.backward()
        y.backward()

    e = same_error(case)
    assert str(e).startswith("Trying to backward through the graph a second time")


def test_second_autograd_grad_without_retain_graph_raises() -> None:
    def case(L: Any) -> None:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        L.autograd.grad(y, x)
        L.autograd.grad(y, x)

    same_error(case)


@pytest.mark.parametrize("expr", ["(x+1).sum()", "x.sum()", "(x-1.5).sum()", "(-x).sum()", "(x+x).sum()"])
def test_nodes_that_save_nothing_can_backward_twice(expr: str) -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = eval(expr, {"x": x})
        y.backward()
        y.backward()  # PyTorch: nothing was freed, so this works and accumulates
        return x.grad

    _close(*both(case))


# ---------------------------------------------------------------------- errors
def test_error_backward_on_tensor_not_requiring_grad() -> None:
    same_error(lambda L: L.tensor([1.0, 2.0]).sum().backward())


def test_error_backward_second_root_not_requiring_grad() -> None:
    def case(L: Any) -> None:
        x = L.tensor(1.0, requires_grad=True)
        L.autograd.backward([x * 2, L.tensor(3.0)])

    same_error(case)


def test_error_implicit_gradient_for_non_scalar() -> None:
    def case(L: Any) -> None:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        (x * 2).backward()

    same_error(case)


@pytest.mark.parametrize("shape", [(3,), (1,), (2, 1), ()])
def test_error_gradient_of_wrong_shape(shape: tuple[int, ...]) -> None:
    def case(L: Any) -> None:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        (x * 2).backward(L.ones(shape))

    e = same_error(case)
    assert str(e).startswith("Mismatch in shape: ")


def test_explicit_gradient_values() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        (x * x).backward(L.tensor([1.0, 0.5, -2.0]))
        return x.grad

    _close(*both(case))


@pytest.mark.parametrize("value", [True, False])
def test_error_set_requires_grad_on_non_leaf(value: bool) -> None:
    def case(L: Any) -> None:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.requires_grad = value

    same_error(case)


def test_error_requires_grad_false_method_on_non_leaf() -> None:
    def case(L: Any) -> None:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        (x * 2).requires_grad_(False)

    same_error(case)


def test_requires_grad_true_method_on_non_leaf_is_allowed() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = (x * 2).requires_grad_(True)
        return y.requires_grad, y.is_leaf

    got, want = both(case)
    assert got == want


def test_error_int_tensor_requires_grad_in_constructor() -> None:
    same_error(lambda L: L.tensor([1, 2], requires_grad=True))


def test_error_int_tensor_requires_grad_method() -> None:
    same_error(lambda L: L.tensor([1, 2]).requires_grad_())


def test_error_int_tensor_requires_grad_attribute() -> None:
    def case(L: Any) -> None:
        t = L.tensor([1, 2])
        t.requires_grad = True

    same_error(case)


def test_error_bool_tensor_requires_grad() -> None:
    same_error(lambda L: L.tensor([True, False]).requires_grad_())


def test_error_zeros_int_requires_grad() -> None:
    same_error(lambda L: L.zeros(2, dtype=L.int64, requires_grad=True))


def test_int_tensor_requires_grad_false_is_fine() -> None:
    got, want = both(lambda L: L.tensor([1, 2]).requires_grad_(False).requires_grad)
    assert got == want is False


@pytest.mark.parametrize("op", ["add_", "mul_", "sub_", "div_", "zero_", "iadd"])
def test_error_in_place_on_leaf_requiring_grad(op: str) -> None:
    def case(L: Any) -> None:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        if op == "zero_":
            x.zero_()
        elif op == "iadd":
            x += 1
        else:
            getattr(x, op)(2.0)

    same_error(case)


def test_in_place_on_leaf_allowed_under_no_grad() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        with L.no_grad():
            x.mul_(3.0)
        return x.detach().clone(), x.requires_grad, x.is_leaf, x._version

    got, want = both(case)
    _close(got[0], want[0])
    assert got[1:] == want[1:]


def test_error_saved_input_modified_in_place() -> None:
    def case(L: Any) -> None:
        a = L.tensor([1.0, 2.0], requires_grad=True)
        b = a * 1.0
        c = b * b
        b.add_(1.0)
        c.sum().backward()

    e = same_error(case)
    assert "modified by an inplace operation" in str(e)


def test_error_saved_output_modified_in_place() -> None:
    def case(L: Any) -> None:
        a = L.tensor([1.0, 2.0], requires_grad=True)
        b = a.exp()
        b.mul_(2.0)
        b.sum().backward()

    same_error(case)


def test_error_saved_leaf_modified_in_place_under_no_grad() -> None:
    def case(L: Any) -> None:
        a = L.tensor([1.0, 2.0], requires_grad=True)
        c = (a * a).sum()
        with L.no_grad():
            a.add_(1.0)
        c.backward()

    same_error(case)


def test_error_saved_tensor_modified_twice_reports_version() -> None:
    def case(L: Any) -> None:
        a = L.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        w = L.tensor([[1.0, 0.0], [0.0, 1.0]]).double()
        b = a.double() + 0
        c = (b * w).sum()
        w.add_(1.0)
        w.mul_(2.0)
        c.backward()

    same_error(case)


def test_in_place_on_unsaved_tensor_is_fine() -> None:
    def case(L: Any) -> Any:
        a = L.tensor([1.0, 2.0], requires_grad=True)
        b = a * 2.0
        c = b + 1.0  # AddBackward saves nothing
        b.add_(5.0)
        (c * 3.0).sum().backward()
        return a.grad

    _close(*both(case))


def test_backward_on_leaf_itself() -> None:
    def case(L: Any) -> Any:
        s = L.tensor(2.0, requires_grad=True)
        s.backward()
        return s.grad

    _close(*both(case))


def test_backward_implicit_gradient_for_one_element_non_scalar() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        (x * 2)[:1].reshape(1, 1).backward()
        return x.grad

    _close(*both(case))


def test_backward_gradient_of_other_float_dtype_is_cast() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        (x * 2).backward(L.ones(2, dtype=L.float64))
        return x.grad

    _close(*both(case))


def test_error_backward_gradient_python_float() -> None:
    def case(L: Any) -> None:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        (x * 2).sum().backward(2.0)

    same_error(case)


def test_error_fewer_gradients_than_outputs_backward() -> None:
    def case(L: Any) -> None:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        L.autograd.backward([(x * 2).sum(), (x * 3).sum()], grad_tensors=[L.ones(())])

    same_error(case)


def test_error_fewer_grad_outputs_than_outputs_grad() -> None:
    def case(L: Any) -> None:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        L.autograd.grad([(x * 2).sum(), (x * 3).sum()], x, grad_outputs=[L.ones(())])

    same_error(case)


def test_extra_grad_outputs_are_ignored_as_in_torch() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        return L.autograd.grad([(x * 2).sum()], x, grad_outputs=[L.ones(()), L.ones(())])[0]

    _close(*both(case))


def test_assigned_grad_is_accumulated_in_place() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        g = L.zeros(2)
        x.grad = g
        (x * 3.0).sum().backward()
        return x.grad is g, g.clone()

    (gi, gv), (ti, tv) = both(case)
    assert gi == ti
    _close(gv, tv)


def test_create_graph_second_derivative() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = (x**3).sum()
        (gx,) = L.autograd.grad(y, x, create_graph=True)
        (gxx,) = L.autograd.grad(gx.sum(), x)
        return gx.requires_grad, gx.grad_fn is not None, gx, gxx

    got, want = both(case)
    assert got[:2] == want[:2]
    _close(got[2], want[2])
    _close(got[3], want[3])


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_backward_create_graph_then_backward_of_grad() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([0.5, -1.0], requires_grad=True)
        y = (x.sin() * x).sum()
        y.backward(create_graph=True)
        first = x.grad.detach().clone()
        g = x.grad
        x.grad = None
        g.sum().backward()
        return first, x.grad

    (g1, g2), (t1, t2) = both(case)
    _close(g1, t1)
    _close(g2, t2)


def test_leaf_grad_has_no_history() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward()
        return x.grad.requires_grad, x.grad.grad_fn, x.grad.is_leaf

    got, want = both(case)
    assert got == want


def test_detach_is_cut_from_graph() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        z = (x * 2).detach()
        y = (x * z).sum()
        y.backward()
        return z.requires_grad, z.is_leaf, z.grad_fn, x.grad

    got, want = both(case)
    assert got[:3] == want[:3]
    _close(got[3], want[3])


# ---------------------------------------------------------------------- retain_grad / non-leaf .grad
def test_retain_grad_values() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, -1.0, 2.0], requires_grad=True)
        a = x * 2.0
        a.retain_grad()
        b = a.exp()
        b.retain_grad()
        c = (b * a).sum()
        c.retain_grad()
        c.backward()
        return a.grad, b.grad, c.grad, x.grad, a.retains_grad, x.retains_grad

    got, want = both(case)
    for g, t in zip(got[:4], want[:4]):
        _close(g, t, rtol=1e-5)
    assert got[4:] == want[4:]


def test_retain_grad_accumulates_with_retain_graph() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        a = x * x
        a.retain_grad()
        y = (a * 3.0).sum()
        y.backward(retain_graph=True)
        y.backward()
        return a.grad

    _close(*both(case))


def test_retain_grad_on_leaf_is_noop() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        x.retain_grad()
        (x * 2.0).sum().backward()
        return x.grad, x.retains_grad

    (g, gr), (t, tr) = both(case)
    _close(g, t)
    assert gr == tr


def test_error_retain_grad_without_requires_grad() -> None:
    same_error(lambda L: L.tensor([1.0]).retain_grad())


def _grad_warnings(L: Any, read: Callable[[Any], Any]) -> tuple[Any, list[warnings.WarningMessage]]:
    x = L.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        value = read(y)
    return value, [w for w in record if issubclass(w.category, UserWarning)]


def test_non_leaf_grad_is_none_and_warns_with_torch_text() -> None:
    torch = _torch()
    g_value, g_warns = _grad_warnings(gg, lambda y: y.grad)
    t_value, t_warns = _grad_warnings(torch, lambda y: y.grad)
    assert g_value is None and t_value is None
    assert len(t_warns) == 1
    assert len(g_warns) == 1
    assert g_warns[0].category is t_warns[0].category
    assert str(g_warns[0].message) == str(t_warns[0].message)


def test_non_leaf_grad_warning_via_pytest_warns() -> None:
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    y = x + 1.0
    with pytest.warns(UserWarning, match=r"The \.grad attribute of a Tensor that is not a leaf Tensor"):
        assert y.grad is None


def test_no_warning_for_leaf_or_retained_grad() -> None:
    def read(y: Any) -> Any:
        y.retain_grad()
        return y.grad

    _, w = _grad_warnings(gg, read)
    assert w == []
    x = gg.tensor([1.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        assert x.grad is None
        assert gg.tensor([1.0]).grad is None
    assert record == []


# ---------------------------------------------------------------------- autograd.grad / backward(inputs=)
def test_autograd_grad_does_not_touch_dot_grad() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w = L.tensor([0.5, 0.5, 0.5], requires_grad=True)
        y = (x * x * w).sum()
        gx, gw = L.autograd.grad(y, [x, w])
        return gx, gw, x.grad, w.grad

    got, want = both(case)
    _close(got[0], want[0])
    _close(got[1], want[1])
    assert got[2] is None and got[3] is None
    assert want[2] is None and want[3] is None


def test_autograd_grad_returns_tuple_for_single_input() -> None:
    def case(L: Any) -> Any:
        x = L.tensor(3.0, requires_grad=True)
        r = L.autograd.grad(x**2, x)
        return type(r).__name__, len(r), r[0]

    got, want = both(case)
    assert got[:2] == want[:2]
    _close(got[2], want[2])


def test_autograd_grad_allow_unused_error_text() -> None:
    def case(L: Any) -> None:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        u = L.tensor([1.0, 2.0], requires_grad=True)
        L.autograd.grad((x * 2).sum(), [x, u])

    same_error(case)


def test_autograd_grad_allow_unused_error_text_first_input() -> None:
    def case(L: Any) -> None:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        u = L.tensor([1.0, 2.0], requires_grad=True)
        L.autograd.grad((x * 2).sum(), [u, x])

    same_error(case)


def test_autograd_grad_allow_unused_true() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        u = L.tensor([1.0, 2.0], requires_grad=True)
        return L.autograd.grad((x * 2).sum(), [x, u], allow_unused=True)

    (gx, gu), (tx, tu) = both(case)
    _close(gx, tx)
    assert gu is None and tu is None


def test_autograd_grad_materialize_grads() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        u = L.tensor([1.0, 2.0], requires_grad=True)
        return L.autograd.grad((x * 2).sum(), [x, u], materialize_grads=True)

    (gx, gu), (tx, tu) = both(case)
    _close(gx, tx)
    _close(gu, tu)


def test_autograd_grad_input_not_requiring_grad() -> None:
    def case(L: Any) -> None:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        L.autograd.grad((x * 2).sum(), [L.ones(2)])

    same_error(case)


def test_autograd_grad_wrt_non_leaf() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2.0
        z = (y * y).sum()
        (gy,) = L.autograd.grad(z, y, retain_graph=True)
        (gx,) = L.autograd.grad(z, x)
        return gy, gx, x.grad

    got, want = both(case)
    _close(got[0], want[0])
    _close(got[1], want[1])
    assert got[2] is None and want[2] is None


def test_autograd_grad_with_grad_outputs() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * x
        return L.autograd.grad(y, x, grad_outputs=L.tensor([1.0, -1.0, 0.5]))[0]

    _close(*both(case))


def test_autograd_grad_wrt_output_itself() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = (x * 3.0).sum()
        return L.autograd.grad(y, [y, x])

    (gy, gx), (ty, tx) = both(case)
    _close(gy, ty)
    _close(gx, tx)


def test_backward_inputs_accumulates_only_into_those() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        w = L.tensor([3.0, 4.0], requires_grad=True)
        y = (x * w).sum()
        y.backward(inputs=[x], retain_graph=True)
        gx1, gw1 = x.grad.clone(), w.grad
        y.backward(inputs=[w])
        return gx1, gw1, x.grad, w.grad

    got, want = both(case)
    _close(got[0], want[0])
    assert got[1] is None and want[1] is None
    _close(got[2], want[2])
    _close(got[3], want[3])


def test_backward_inputs_non_leaf() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        a = x * x
        y = (a * 3.0).sum()
        y.backward(inputs=[a])
        return x.grad, a.grad

    got, want = both(case)
    assert got[0] is None and want[0] is None
    _close(got[1], want[1])


def test_error_backward_inputs_empty() -> None:
    def case(L: Any) -> None:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        (x * 2).sum().backward(inputs=[])

    same_error(case)


def test_error_backward_inputs_not_requiring_grad() -> None:
    def case(L: Any) -> None:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        (x * 2).sum().backward(inputs=[L.ones(2)])

    same_error(case)


def test_error_autograd_grad_output_not_requiring_grad() -> None:
    def case(L: Any) -> None:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        L.autograd.grad(L.ones(2).sum(), x)

    same_error(case)


# ---------------------------------------------------------------------- grad modes
def _flags(L: Any) -> tuple[bool, bool]:
    return L.is_grad_enabled(), L.is_inference_mode_enabled()


def test_grad_mode_context_managers_and_nesting() -> None:
    def case(L: Any) -> list[Any]:
        x = L.tensor([1.0], requires_grad=True)
        out = [_flags(L)]
        with L.no_grad():
            out.append(_flags(L))
            out.append((x * 2).requires_grad)
            with L.enable_grad():
                out.append(_flags(L))
                out.append((x * 2).requires_grad)
                with L.no_grad():
                    out.append(_flags(L))
                out.append(_flags(L))
            out.append(_flags(L))
            with L.set_grad_enabled(True):
                out.append((x * 2).requires_grad)
            out.append(_flags(L))
        out.append(_flags(L))
        with L.set_grad_enabled(False):
            out.append((x * 2).requires_grad)
        out.append(_flags(L))
        with L.inference_mode():
            out.append(_flags(L))
            y = x * 2
            out.append((y.requires_grad, y.is_inference()))
            with L.inference_mode(False):
                out.append(_flags(L))
            out.append(_flags(L))
        out.append(_flags(L))
        with L.no_grad():
            with L.inference_mode(False):
                out.append(_flags(L))
            out.append(_flags(L))
        return out

    got, want = both(case)
    assert got == want


def test_grad_mode_restored_after_exception() -> None:
    def case(L: Any) -> list[bool]:
        out = []
        # set_grad_enabled(False) switches at construction, so each is made just before its block
        for make in (L.no_grad, lambda: L.set_grad_enabled(False), L.inference_mode):
            try:
                with make():
                    raise ValueError("boom")
            except ValueError:
                pass
            out.append(L.is_grad_enabled())
            out.append(L.is_inference_mode_enabled())
        return out

    got, want = both(case)
    assert got == want == [True, False] * 3


def test_no_grad_result_is_leaf_without_grad_fn() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        with L.no_grad():
            y = x * 2
        return y.requires_grad, y.is_leaf, y.grad_fn is None

    got, want = both(case)
    assert got == want


@pytest.mark.parametrize("style", ["call", "bare"])
@pytest.mark.parametrize("mode", ["no_grad", "enable_grad", "inference_mode"])
def test_grad_mode_decorators(mode: str, style: str) -> None:
    def case(L: Any) -> Any:
        deco = getattr(L, mode)
        if style == "call":
            deco = deco()

        @deco
        def f(a: Any, *, scale: float = 2.0) -> Any:
            """doc"""
            y = a * scale
            return y.requires_grad, _flags(L)

        x = L.tensor([1.0], requires_grad=True)
        with L.no_grad():
            inside_nograd = f(x, scale=3.0)
        return f(x), inside_nograd, _flags(L), f.__name__, f.__doc__

    got, want = both(case)
    assert got == want


def test_set_grad_enabled_decorator() -> None:
    def case(L: Any) -> Any:
        @L.set_grad_enabled(False)
        def f() -> bool:
            return L.is_grad_enabled()

        before = L.is_grad_enabled()
        inside = f()
        after = L.is_grad_enabled()
        return before, inside, after

    got, want = both(case)
    assert got == want == (True, False, True)


def test_no_grad_decorator_on_generator() -> None:
    def case(L: Any) -> list[bool]:
        @L.no_grad()
        def gen() -> Iterator[bool]:
            yield L.is_grad_enabled()
            yield L.is_grad_enabled()

        out = []
        for v in gen():
            out.append(v)
            out.append(L.is_grad_enabled())  # the caller's mode between yields
        return out

    got, want = both(case)
    assert got == want


def test_set_grad_enabled_as_plain_function() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0], requires_grad=True)
        try:
            L.set_grad_enabled(False)
            off = (L.is_grad_enabled(), (x * 2).requires_grad)
            L.set_grad_enabled(True)
            on = (L.is_grad_enabled(), (x * 2).requires_grad)
        finally:
            L.set_grad_enabled(True)
        return off, on

    got, want = both(case)
    assert got == want == ((False, False), (True, True))


def test_set_grad_enabled_plain_call_inside_no_grad_block() -> None:
    def case(L: Any) -> Any:
        with L.no_grad():
            L.set_grad_enabled(True)
            inside = L.is_grad_enabled()
        return inside, L.is_grad_enabled()

    got, want = both(case)
    assert got == want


def test_error_set_grad_enabled_without_mode() -> None:
    torch = _torch()
    with pytest.raises(TypeError):
        torch.set_grad_enabled()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        gg.set_grad_enabled()  # type: ignore[call-arg]


def test_inference_tensor_requires_grad_outside_inference_mode() -> None:
    def case(L: Any) -> None:
        with L.inference_mode():
            t = L.ones(2)
        t.requires_grad_()

    same_error(case)


def test_inference_mode_is_inference_flag() -> None:
    def case(L: Any) -> Any:
        with L.inference_mode():
            a = L.ones(2)
        with L.no_grad():
            b = L.ones(2)
        return a.is_inference(), b.is_inference(), L.ones(2).is_inference()

    got, want = both(case)
    assert got == want


def _in_thread(fn: Callable[[], Any]) -> Any:
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as e:  # pragma: no cover - reported below
            box["error"] = e

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def test_grad_mode_is_thread_local_main_disabled() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0], requires_grad=True)
        with L.no_grad():
            in_thread = _in_thread(lambda: (_flags(L), (x * 2).requires_grad))
            main = (_flags(L), (x * 2).requires_grad)
        with L.inference_mode():
            in_thread_inf = _in_thread(lambda: _flags(L))
        return in_thread, main, in_thread_inf

    got, want = both(case)
    assert got == want
    assert got[0] == ((True, False), True)


def test_grad_mode_is_thread_local_thread_disabled() -> None:
    def case(L: Any) -> Any:
        def worker() -> Any:
            L.set_grad_enabled(False)  # left disabled: only this thread's state
            return _flags(L)

        in_thread = _in_thread(worker)
        x = L.tensor([1.0], requires_grad=True)
        return in_thread, _flags(L), (x * 2).requires_grad

    got, want = both(case)
    assert got == want == ((False, False), (True, False), True)


def test_grad_mode_threads_do_not_interfere_concurrently() -> None:
    # two threads toggling at the same time, synchronised with barriers
    barrier = threading.Barrier(2)
    results: dict[str, list[bool]] = {"a": [], "b": []}

    def a() -> None:
        with gg.no_grad():
            barrier.wait()
            results["a"].append(gg.is_grad_enabled())
            barrier.wait()

    def b() -> None:
        barrier.wait()
        results["b"].append(gg.is_grad_enabled())
        barrier.wait()

    ts = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert results == {"a": [False], "b": [True]}


# ---------------------------------------------------------------------- deep chains and memory
N_DEEP = 100_000


def _deep_chain(n: int) -> tuple[Any, Any, weakref.ref, weakref.ref]:
    """y = x * 1.0001 + 1.0 ... alternating; returns x, y and weakrefs into the middle."""
    x = gg.tensor(1.0, dtype=gg.float64, requires_grad=True)
    y = x
    mid_t = mid_fn = None
    for i in range(n):
        y = y * 1.0001 if i % 2 == 0 else y + 1.0
        if i == n // 2:
            mid_t = weakref.ref(y)
            mid_fn = weakref.ref(y.grad_fn)
    assert mid_t is not None and mid_fn is not None
    return x, y, mid_t, mid_fn


def test_deep_chain_forward_backward_and_refcount_free() -> None:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        x, y, mid_t, mid_fn = _deep_chain(N_DEEP)
        assert mid_fn() is not None  # the middle node is kept by the graph while the output lives
        y.backward()
        expected = 1.0001 ** (N_DEEP // 2)
        assert x.grad.dtype == gg.float64
        assert x.grad.item() == pytest.approx(expected, rel=1e-9)
        assert mid_fn() is not None  # the graph is still reachable from y
        del y
        assert mid_fn() is None  # freed by reference counting alone
        assert mid_t() is None
    finally:
        if was_enabled:
            gc.enable()


def test_deep_chain_deleted_without_backward_is_freed() -> None:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        _, y, _, mid_fn = _deep_chain(N_DEEP)
        out_fn = weakref.ref(y.grad_fn)
        del y
        assert out_fn() is None
        assert mid_fn() is None
    finally:
        if was_enabled:
            gc.enable()


def test_deep_chain_of_methods_and_autograd_grad() -> None:
    x = gg.tensor([0.5, 1.5], dtype=gg.float64, requires_grad=True)
    y = x
    for _ in range(20_000):
        y = (y * 2.0) / 2.0
        y = y - 0.0
    (g,) = gg.autograd.grad(y.sum(), x)
    np.testing.assert_allclose(g.numpy(), [1.0, 1.0])


def test_deep_chain_memory_with_tracemalloc() -> None:
    n = N_DEEP

    def run() -> Any:
        x = gg.tensor(1.0, dtype=gg.float64, requires_grad=True)
        y = x
        for i in range(n):
            y = y * 1.0001 if i % 2 == 0 else y + 1.0
        y.backward()
        return x

    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        x = run()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert x.grad.item() == pytest.approx(1.0001 ** (n // 2), rel=1e-9)
    # every node is freed once the function returns; peak is bounded per op
    assert current - base < 1_000_000
    assert peak - base < 1_000 * n


# ---------------------------------------------------------------------- no reference cycles
@pytest.fixture
def no_gc() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def test_output_grad_fn_dies_with_output(no_gc: None) -> None:
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    r = weakref.ref(y.grad_fn)
    ry = weakref.ref(y)
    del y
    assert ry() is None
    assert r() is None


def test_small_graph_has_no_reference_cycles(no_gc: None) -> None:
    refs: list[weakref.ref] = []

    def build(backward: bool) -> Any:
        x = gg.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w = gg.tensor([0.5, -0.5, 2.0], requires_grad=True)
        a = x * w
        a.retain_grad()
        b = a.exp() + a
        c = (b * x).sum()
        refs.extend([weakref.ref(t) for t in (x, w, a, b, c)])
        refs.extend([weakref.ref(t.grad_fn) for t in (a, b, c)])
        refs.append(weakref.ref(a.grad_fn.next_functions[0][0]))  # AccumulateGrad of x
        if backward:
            c.backward()
            refs.extend([weakref.ref(x.grad), weakref.ref(a.grad)])
        return c

    for backward in (False, True):
        refs.clear()
        c = build(backward)
        assert refs[4]() is c
        del c
        dead = [r() is None for r in refs]
        assert all(dead), dead


def test_no_graph_objects_in_gc_garbage() -> None:
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:

        def build() -> None:
            x = gg.tensor([1.0, 2.0], requires_grad=True)
            y = x * x + x.exp()
            y.retain_grad()
            z = y.sum()
            z.backward(retain_graph=True)
            (gx,) = gg.autograd.grad(z, x, create_graph=True)
            gx.sum().backward()
            with gg.no_grad():
                _ = x * 2

        build()
        gc.collect()
        leaked = [o for o in gc.garbage if isinstance(o, (gg.Tensor, Node))]
        assert leaked == []
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()


def test_leaf_and_its_grad_freed_after_graph_deleted(no_gc: None) -> None:
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    rx, rg, racc = weakref.ref(x), weakref.ref(x.grad), weakref.ref(y.grad_fn.next_functions[0][0])
    del y
    assert racc() is None
    del x
    assert rx() is None
    assert rg() is None


# ---------------------------------------------------------------------- grad_fn structure
def _signature(fn: Any, depth: int = 4) -> Any:
    """A comparable description of the graph below ``fn``."""
    if fn is None:
        return None
    if depth == 0:
        return fn.name()
    return (type(fn).__name__, fn.name(), tuple((_signature(f, depth - 1), i) for f, i in fn.next_functions))


def test_next_functions_of_mul_by_scalar() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        nf = y.grad_fn.next_functions
        acc = nf[0][0]
        return (
            type(nf).__name__,
            len(nf),
            type(acc).__name__,
            nf[0][1],
            nf[1],
            acc.variable is x,
            acc.next_functions,
            _signature(y.grad_fn),
        )

    got, want = both(case)
    assert got == want
    assert got[4] == (None, 0)


def test_next_functions_of_two_leaves_and_same_leaf() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        w = L.tensor([3.0, 4.0], requires_grad=True)
        xy = (x * w).grad_fn.next_functions
        xx = (x * x).grad_fn.next_functions
        a, b = x * 2, x * 3
        shared = a.grad_fn.next_functions[0][0] is b.grad_fn.next_functions[0][0]
        return (
            xy[0][0].variable is x,
            xy[1][0].variable is w,
            xy[0][0] is xy[1][0],
            xx[0][0] is xx[1][0],
            xx[0][0].variable is x,
            shared,
        )

    got, want = both(case)
    assert got == want == (True, True, False, True, True, True)


@pytest.mark.parametrize(
    "expr",
    [
        "x*2+1",
        "(x*w).sum()",
        "(x+w)*x",
        "x.exp()-w",
        "(x/w).mean()",
        "-x*c",
        "x**2",
        "x.pow(w)",
        "(x*c).sum()",
        "c*x",
        "x*x.sin()",
    ],
)
def test_graph_signature_matches_torch(expr: str) -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        w = L.tensor([3.0, 4.0], requires_grad=True)
        c = L.tensor([5.0, 6.0])
        y = eval(expr, {"x": x, "w": w, "c": c})
        return _signature(y.grad_fn), str(y)

    got, want = both(case)
    assert got == want


def test_grad_fn_name_and_repr() -> None:
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert y.grad_fn.name() == "MulBackward0"
    assert re.fullmatch(r"<MulBackward0 object at 0x[0-9a-f]+>", repr(y.grad_fn))
    acc = y.grad_fn.next_functions[0][0]
    assert acc.name() == "torch::autograd::AccumulateGrad"
    assert re.fullmatch(r"<AccumulateGrad object at 0x[0-9a-f]+>", repr(acc))
    assert re.fullmatch(r"\(\(<AccumulateGrad object at 0x[0-9a-f]+>, 0\), \(None, 0\)\)", repr(y.grad_fn.next_functions))


def test_grad_fn_repr_format_matches_torch() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        fns = [(x * 2).grad_fn, (x + 1).grad_fn, x.sum().grad_fn, x.exp().grad_fn]
        return [re.sub(r"0x[0-9a-f]+", "0x", repr(f)) for f in fns]

    got, want = both(case)
    assert got == want


def test_leaf_and_no_grad_tensors_have_no_grad_fn() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0], requires_grad=True)
        c = L.tensor([1.0])
        return x.grad_fn, c.grad_fn, (c * 2).grad_fn, x.is_leaf, c.is_leaf, (c * 2).is_leaf, (x * 2).is_leaf

    got, want = both(case)
    assert got == want


# ---------------------------------------------------------------------- gradient dtypes
@pytest.mark.parametrize(
    ("leaf_dtype", "other_dtype"),
    [("float32", "float64"), ("float64", "float32"), ("float32", "int64"), ("float16", "float32"),
     ("float64", "float64")],
)
def test_gradient_dtype_follows_leaf(leaf_dtype: str, other_dtype: str) -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0, 3.0], dtype=getattr(L, leaf_dtype), requires_grad=True)
        o = L.tensor([2, 3, 4], dtype=getattr(L, other_dtype))
        y = x * o
        (y * y).sum().backward()
        return y.dtype, x.grad

    (gd, gx), (td, tx) = both(case)
    assert str(gd) == str(td)
    _close(gx, tx, rtol=1e-3)


def test_gradient_dtype_with_zero_dim_float64() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        s = L.tensor(3.0, dtype=L.float64, requires_grad=True)
        y = x * s
        y.sum().backward()
        return y.dtype, x.grad, s.grad

    (gd, gx, gs), (td, tx, ts) = both(case)
    assert str(gd) == str(td)
    _close(gx, tx)
    _close(gs, ts)


def test_observers_see_each_step_in_order():
    """engine.OBSERVERS (used by glassgrad.viz) sees every node with its upstream and passed gradients."""
    from glassgrad.engine import engine
    seen = []

    class Recorder:
        def on_start(self, roots, grads):
            seen.append("start")

        def on_node(self, node, upstream, passed):
            seen.append((node.name(), float(upstream), [None if p is None else float(p) for p in passed]))

        def on_accumulate(self, variable, grad):
            seen.append(("acc", float(grad)))

        def on_end(self):
            seen.append("end")

    rec = Recorder()
    engine.OBSERVERS.append(rec)
    try:
        x = gg.tensor(2.0, requires_grad=True)
        e = ((x * 2 + 3) ** 2 / 2) + 1
        e.backward()
    finally:
        engine.OBSERVERS.remove(rec)
    assert seen == ["start", ("AddBackward0", 1.0, [1.0, None]), ("DivBackward0", 1.0, [0.5, None]),
                    ("PowBackward0", 0.5, [7.0]), ("AddBackward0", 7.0, [7.0, None]),
                    ("MulBackward0", 7.0, [14.0, None]), ("acc", 14.0), "end"]


def test_plain_loop_and_general_loop_agree():
    """backward() takes the engine's plain loop; with an observer it takes the general one: same gradients."""
    from glassgrad.engine import engine

    class Quiet:
        def on_start(self, roots, grads): ...
        def on_node(self, node, upstream, passed): ...
        def on_accumulate(self, variable, grad): ...
        def on_end(self): ...

    def grads() -> list[np.ndarray]:
        gg.manual_seed(3)
        w = gg.randn(4, 3, requires_grad=True)
        b = gg.randn(3, requires_grad=True)
        x = gg.randn(5, 4)
        h = (x @ w + b).tanh()
        u, v = h.split([1, 2], dim=1)                       # a node with two outputs
        loss = (u * v.sum(1, keepdim=True)).sum() + (h ** 2).mean() * b.sum()   # reuse and a diamond
        loss.backward()
        return [w.grad.numpy().copy(), b.grad.numpy().copy()]

    plain = grads()
    engine.OBSERVERS.append(Quiet())
    try:
        general = grads()
    finally:
        engine.OBSERVERS.pop()
    for p, g in zip(plain, general):
        np.testing.assert_array_equal(p, g)


# ---------------------------------------------------------------------- the chain walk and its hand-over
# backward() runs a chain (each node passing its gradient along one edge) without counts or buffers and
# hands the rest of the graph to the plain walk (engine._run_chain / _fan_out / _run_plain).  These graphs
# start as chains and then fan out, meet hooks, retain_grad, shared leaves and freed buffers; the order of
# every hook call and the values must be PyTorch's.
def _chain_events(L: Any, shape: str) -> list[Any]:
    events: list[Any] = []
    x = L.tensor([0.5, -1.0, 2.0], dtype=L.float64, requires_grad=True)
    w = L.tensor([1.5, 0.25, -2.0], dtype=L.float64, requires_grad=True)
    x.register_hook(lambda g: events.append(("x", g.tolist())))
    w.register_hook(lambda g: events.append(("w", g.tolist())))
    if shape == "fan":          # chain from the loss, then a product of two leaves
        y = ((x * w).sin() * 2).tanh().sum()
    elif shape == "shared":     # the same leaf on both edges, after a chain
        y = (x * x + 1).exp().mean()
    elif shape == "mid_hook":   # a tensor hook in the middle of the chain
        h = (x * 3).cos()
        h.register_hook(lambda g: events.append(("h", g.tolist())))
        y = (h * 2 + w.sum()).sum()
    elif shape == "retain":     # retain_grad in the middle of the chain
        h = (x * w).sigmoid()
        h.retain_grad()
        y = (h ** 2).sum()
        y.backward()
        events.append(("h.grad", h.grad.tolist()))
        events.append(("grads", x.grad.tolist(), w.grad.tolist()))
        return events
    elif shape == "leaf_root":  # backward from a leaf itself
        y = x.sum() * 0 + x[1]
    else:                       # diamond after a chain
        a = (x * w).exp()
        y = (a.sin() + a.cos() * a).sum()
    y.backward()
    events.append(("grads", x.grad.tolist(), w.grad.tolist() if w.grad is not None else [0.0] * 3))
    return events


@pytest.mark.parametrize("shape", ["fan", "shared", "mid_hook", "retain", "leaf_root", "diamond"])
def test_chain_walk_and_hand_over_match_torch(shape: str) -> None:
    got, expected = both(lambda L: _chain_events(L, shape))
    assert [e[0] for e in got] == [e[0] for e in expected]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(np.array(g[1:], dtype=float), np.array(e[1:], dtype=float), rtol=1e-12)


def test_chain_walk_second_backward_and_existing_grad() -> None:
    """A chain frees its saved values (the second backward raises PyTorch's error); with retain_graph a
    second pass adds to the existing .grad, and a leaf fed by a chain and by a fan-out sums both."""
    def case(L: Any) -> list[Any]:
        x = L.tensor([0.3, 0.7], requires_grad=True)
        y = (x * 2).sin().tanh().sum()
        y.backward(retain_graph=True)
        y.backward()
        first = x.grad.tolist()
        z = (x * x).exp().sum() + (x * 3).sum()
        z.backward()
        return [first, x.grad.tolist()]
    got, expected = both(case)
    np.testing.assert_allclose(np.array(got), np.array(expected), rtol=1e-6)
    same_error(lambda L: [(y := (L.tensor([0.3], requires_grad=True) * 2).sin().sum()).backward(),
                          y.backward()])


def test_chain_walk_stops_where_no_gradient_flows() -> None:
    """A rule that passes no gradient ends the chain: nothing reaches the leaf, as in PyTorch."""
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = L.tensor([3.0, 4.0])
        (x.sign() * y).sum().backward()
        return x.grad.tolist()
    got, expected = both(case)
    assert got == expected


@pytest.mark.parametrize("n", [2, 3, 4, 5, 7])
def test_leaves_ready_together_run_their_hooks_in_pytorchs_order(n: int) -> None:
    """Leaves that become ready at the same moment tie in PyTorch's queue; their hooks run in the order its
    heap gives (0, 2, 4, 1, 3 for five leaves of one cat), which the engine reproduces."""
    def case(L: Any) -> list[int]:
        seen: list[int] = []
        xs = [L.tensor([float(i)], requires_grad=True) for i in range(n)]
        for i, x in enumerate(xs):
            x.register_hook(lambda g, i=i: seen.append(i))
        (L.cat(xs) * 2).sum().backward()
        return seen
    got, expected = both(case)
    assert got == expected
