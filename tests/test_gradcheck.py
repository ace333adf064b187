"""``gradcheck`` / ``gradgradcheck``: pass on glassgrad ops, fail with PyTorch's messages on a wrong backward."""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np
import pytest

import glassgrad as gg
from glassgrad.autograd import GradcheckError, gradcheck, gradgradcheck
from glassgrad.engine.node import Node
from glassgrad.ops._base import record, wrap

X = [0.5, -1.25, 2.0]
Y = [[1.5, -0.5, 0.75], [0.25, 3.0, -2.0]]


def _t(lib: Any, v: Any, rg: bool = True, dtype: Any = None) -> Any:
    return lib.tensor(v, dtype=dtype or lib.float64, requires_grad=rg)


# ------------------------------------------------------------------ a deliberately wrong backward
class TimesTwoWrongBackward(Node):
    """Forward ``2 * x`` recorded with the derivative ``3 * grad`` (wrong on purpose)."""

    __slots__ = ()

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (g * 3,)


def times_two_wrong(a: Any) -> Any:
    r = wrap(a._data * 2)
    record(r, TimesTwoWrongBackward(), (a,))
    return r


_calls = itertools.count()


class NoisyBackward(Node):
    """Correct on average, but every backward differs: not reentrant."""

    __slots__ = ()

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (g * (2 + 1e-3 * next(_calls)),)


def times_two_noisy(a: Any) -> Any:
    r = wrap(a._data * 2)
    record(r, NoisyBackward(), (a,))
    return r


def _torch_fn(torch: Any, scale: Any) -> Any:
    class Wrong(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, a: Any) -> Any:
            return a * 2

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            return g * scale()

    return Wrong.apply


# ------------------------------------------------------------------ passing checks
@pytest.mark.parametrize("fn,args", [
    (lambda a: a.sin(), (X,)),
    (lambda a: (a * a).exp().sum(), (X,)),
    (lambda a, b: a * b + b.tanh(), (X, X[::-1])),
    (lambda a, b: (a @ b, b.sum()), (Y, [[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]])),
    (lambda a, b: a.sigmoid() / (b * b + 1), (Y, X)),
])
def test_gradcheck_and_gradgradcheck_pass(fn: Any, args: tuple[Any, ...]) -> None:
    inputs = tuple(_t(gg, a) for a in args)
    assert gradcheck(fn, inputs) is True
    assert gradgradcheck(fn, inputs) is True
    torch = pytest.importorskip("torch")
    tin = tuple(_t(torch, a) for a in args)
    assert torch.autograd.gradcheck(fn, tin) is True


def test_gradcheck_single_tensor_and_non_tensor_args() -> None:
    x = _t(gg, X)
    assert gradcheck(lambda a: a.cos(), x)
    assert gradcheck(lambda a, k: a * k, (x, 3.0))
    assert gradcheck(lambda a, b: a * b, (x, _t(gg, X, rg=False)))


def test_exported() -> None:
    assert gg.autograd.gradcheck is gradcheck
    assert issubclass(gg.autograd.GradcheckError, RuntimeError)


# ------------------------------------------------------------------ failures, with torch's messages
def _torch_message(call: Any) -> str:
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as e:
        call(torch)
    assert type(e.value).__name__ == "GradcheckError"
    return str(e.value)


def test_wrong_backward_message_matches_torch() -> None:
    with pytest.raises(GradcheckError) as e:
        gradcheck(times_two_wrong, (_t(gg, X),))
    expected = _torch_message(lambda torch: torch.autograd.gradcheck(_torch_fn(torch, lambda: 3), (_t(torch, X),)))
    assert str(e.value) == expected
    assert str(e.value).startswith("Jacobian mismatch for output 0 with respect to input 0,\nnumerical:tensor(")


def test_wrong_backward_second_input_and_output_indices() -> None:
    def g(a: Any, b: Any) -> Any:
        return a * 2, b.sin() + times_two_wrong(b)

    with pytest.raises(GradcheckError) as e:
        gradcheck(g, (_t(gg, X), _t(gg, [1.0, -1.0])))
    msg = str(e.value)

    def tcall(torch: Any) -> Any:
        w = _torch_fn(torch, lambda: 3)
        return torch.autograd.gradcheck(lambda a, b: (a * 2, b.sin() + w(b)), (_t(torch, X), _t(torch, [1.0, -1.0])))

    assert msg == _torch_message(tcall)
    assert msg.startswith("Jacobian mismatch for output 1 with respect to input 1,")


def test_raise_exception_false_returns_false() -> None:
    assert gradcheck(times_two_wrong, (_t(gg, X),), raise_exception=False) is False
    assert gradcheck(lambda a: a * 2, (_t(gg, X),), raise_exception=False) is True


def test_tolerances() -> None:
    # |3 - 2| = 1 everywhere: passes once atol allows it
    assert gradcheck(times_two_wrong, (_t(gg, X),), atol=1.5)


def test_not_reentrant_message_matches_torch() -> None:
    with pytest.raises(GradcheckError) as e:
        gradcheck(times_two_noisy, (_t(gg, X),), atol=1.0)
    c = itertools.count()
    expected = _torch_message(lambda torch: torch.autograd.gradcheck(
        _torch_fn(torch, lambda: 2 + 1e-3 * next(c)), (_t(torch, X),), atol=1.0))
    assert str(e.value) == expected
    # within nondet_tol it passes
    assert gradcheck(times_two_noisy, (_t(gg, X),), atol=1.0, nondet_tol=1.0)


def test_gradgradcheck_detects_wrong_double_backward() -> None:
    # first derivative wrong -> gradgradcheck's inner gradcheck compares grad(grad) numerically
    def f(a: Any) -> Any:
        return times_two_wrong(a) * a

    assert gradcheck(f, (_t(gg, X),), raise_exception=False) is False
    go = _t(gg, [1.0, 2.0, -1.0])
    with pytest.raises(GradcheckError, match="^Jacobian mismatch for output 0 with respect to input 0,"):
        gradgradcheck(f, (_t(gg, X),), (go,))
    assert gradgradcheck(lambda a: a.sin() * a, (_t(gg, X),), (go,))


def test_non_double_warning_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings(record=True) as gw:
        warnings.simplefilter("always")
        gradcheck(lambda a: a * 2, (_t(gg, X, dtype=gg.float32),), raise_exception=False)
    with warnings.catch_warnings(record=True) as tw:
        warnings.simplefilter("always")
        torch.autograd.gradcheck(lambda a: a * 2, (_t(torch, X, dtype=torch.float32),), raise_exception=False)
    gmsg = [str(w.message) for w in gw if "double precision" in str(w.message)]
    tmsg = [str(w.message) for w in tw if "double precision" in str(w.message)]
    assert gmsg == tmsg and len(gmsg) == 1
    assert gmsg[0].startswith("Input #0 requires gradient and is not a double precision floating point or complex.")
    assert all(issubclass(w.category, UserWarning) for w in gw)


def test_no_input_requires_grad_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError) as t:
        torch.autograd.gradcheck(lambda a: a * 2, (_t(torch, X, rg=False),))
    with pytest.raises(ValueError) as g:
        gradcheck(lambda a: a * 2, (_t(gg, X, rg=False),))
    assert str(g.value) == str(t.value)
    with pytest.raises(ValueError):  # raise_exception=False only covers GradcheckError
        gradcheck(lambda a: a * 2, (_t(gg, X, rg=False),), raise_exception=False)


def test_no_differentiable_outputs() -> None:
    torch = pytest.importorskip("torch")
    x = _t(gg, X)
    assert gradcheck(lambda a: _t(gg, [1.0, 2.0], rg=False), (x,))
    assert gradcheck(lambda a: a.detach() * 0 + 1, (x,))
    with pytest.raises(GradcheckError) as g:
        gradcheck(lambda a: a.detach() * 2, (x,))
    with pytest.raises(RuntimeError) as t:
        torch.autograd.gradcheck(lambda a: a.detach() * 2, (_t(torch, X),))
    assert str(g.value) == str(t.value) == "Numerical gradient for function expected to be zero"


def test_numerical_jacobian_layout() -> None:
    # (input numel, output numel): d(a.sum(), a*b)/da with a 3-vector -> shapes (3, 1) and (3, 3)
    with pytest.raises(GradcheckError) as e:
        gradcheck(lambda a: (a.sum(), times_two_wrong(a)), (_t(gg, X),))
    assert "output 1 with respect to input 0" in str(e.value)


class IgnoresGradOutputBackward(Node):
    """Returns ones whatever the incoming gradient: right Jacobian for sum(), but not scaled by grad_output."""

    __slots__ = ("ones",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (self.ones + g * 0,)


def sum_ignoring_grad_output(a: Any) -> Any:
    r = wrap(a._data.sum())
    n = IgnoresGradOutputBackward()
    n.ones = np.ones(a._data.shape)
    record(r, n, (a,))
    return r


def test_backward_not_multiplied_by_grad_output() -> None:
    torch = pytest.importorskip("torch")

    class Bad(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, a: Any) -> Any:
            ctx.shape = a.shape
            return a.sum()

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            return torch.ones(ctx.shape, dtype=torch.float64)

    with pytest.raises(RuntimeError) as t:
        torch.autograd.gradcheck(Bad.apply, (_t(torch, X),))
    with pytest.raises(GradcheckError) as g:
        gradcheck(sum_ignoring_grad_output, (_t(gg, X),))
    assert str(g.value) == str(t.value) == "backward not multiplied by grad_output"


def test_float32_mismatch_message_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(GradcheckError) as g:
            gradcheck(lambda a: a * a, (_t(gg, [1.0, 2.0], dtype=gg.float32),))
        with pytest.raises(RuntimeError) as t:
            torch.autograd.gradcheck(lambda a: a * a, (_t(torch, [1.0, 2.0], dtype=torch.float32),))
    assert str(g.value) == str(t.value)


def test_integer_outputs_are_ignored() -> None:
    x = _t(gg, X)
    assert gradcheck(lambda a: (a * 2, (a > 0).long()), (x,))
