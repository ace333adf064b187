"""Elementwise ops: arithmetic, unary maths, activations, comparisons.

Each op is its forward function followed by its node class; the node's
``backward`` is the derivative rule, written with operators and ``F`` so that
it runs on arrays (``backward()``) and on Tensors (``create_graph=True``).
Broadcasting is undone centrally by the engine, not in the rules.
"""

from __future__ import annotations

import math
from typing import Any

from ..backends import backend
from ._base import (
    FROM_NP,
    STATE,
    D,
    Node,
    Tensor,
    arith_operands,
    as_tensor_arg,
    broadcast_error,
    number_like,
    operands,
    record,
    record_one,
    saved_output,
    wrap,
    xp,
)
from ._ns import register_rule_fn

_default_np = lambda: D.get_default_dtype().np  # noqa: E731
#: the backend's array functions (float32 transcendental functions evaluated via float64)
_nb = backend().ns


# F.number(1, r): the number 1 next to r in a rule (``1 - r * r``), as ``arith_operands`` converts it
register_rule_fn("number", number_like, lambda b, like: b)


def _is_float(x: Any) -> bool:
    dt = getattr(x, "dtype", None)
    return dt.kind == "f" if dt is not None else isinstance(x, float)


def _req(x: Any) -> bool:
    return isinstance(x, Tensor) and x._rg


def _floating(d: Any) -> Any:
    """Integer and bool inputs of float-valued functions compute in the default dtype."""
    return d if d.dtype.kind == "f" else d.astype(_default_np())


# ====================================================================== arithmetic
def add(input: Any, other: Any, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:
    """``input + alpha * other``.  d/dinput = grad, d/dother = alpha * grad."""
    a, b = arith_operands(input, other) if alpha == 1 else operands(input, other)
    if alpha != 1:
        b = b * alpha
    try:
        r = a + b
    except ValueError:
        raise broadcast_error(a, b) from None
    if STATE.grad_enabled and ((isinstance(input, Tensor) and input._rg) or (isinstance(other, Tensor) and other._rg)):
        n = AddBackward0()
        n.alpha = alpha
        if out is None and not isinstance(other, Tensor):  # x + 0.1
            return record_one(r, n, input, (), other)
        r = record(wrap(r), n, (input, other))
        return r if out is None else _out(r, out, "add")
    r = wrap(r)
    return r if out is None else _out(r, out, "add")


class AddBackward0(Node):
    __slots__ = ("alpha",)
    formula = "self + alpha * other"
    derivatives = ("grad", "alpha * grad")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return g, (g if self.alpha == 1 else g * self.alpha)


def sub(input: Any, other: Any, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:
    """``input - alpha * other``.  d/dinput = grad, d/dother = -alpha * grad."""
    _check_bool_sub(input, other)
    a, b = arith_operands(input, other) if alpha == 1 else operands(input, other)
    if alpha != 1:
        b = b * alpha
    try:
        r = wrap(a - b)
    except ValueError:
        raise broadcast_error(a, b) from None
    if STATE.grad_enabled and (_req(input) or _req(other)):
        n = SubBackward0()
        n.alpha = alpha
        record(r, n, (input, other))
    return r if out is None else _out(r, out, "sub")


def _is_bool(x: Any) -> bool:
    return isinstance(x, bool) or (isinstance(x, Tensor) and x._data.dtype == bool)


def _check_bool_sub(a: Any, b: Any) -> None:
    if _is_bool(a) and _is_bool(b):
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead."
        )
    if _is_bool(a) or _is_bool(b):
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. "
            "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )


class SubBackward0(Node):
    __slots__ = ("alpha",)
    formula = "self - alpha * other"
    derivatives = ("grad", "-alpha * grad")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return g, (-g if self.alpha == 1 else g * -self.alpha)


def rsub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """``other - alpha * input`` (``2 - x``).  d/dinput = -alpha * grad."""
    if isinstance(other, Tensor):
        return sub(other, input, alpha=alpha)
    _check_bool_sub(input, other)
    a, b = operands(input, other)
    if alpha != 1:
        a = a * alpha
    r = wrap(b - a)
    if STATE.grad_enabled and _req(input):
        n = RsubBackward1()
        n.alpha = alpha
        record(r, n, (input,))
    return r


class RsubBackward1(Node):
    __slots__ = ("alpha",)
    formula = "other - alpha * self"
    derivatives = ("-alpha * grad",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return ((-g if self.alpha == 1 else g * -self.alpha),)


def mul(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """``input * other``.  d/dinput = grad * other, d/dother = grad * input."""
    a, b = arith_operands(input, other)
    try:
        r = a * b
    except ValueError:
        raise broadcast_error(a, b) from None
    if STATE.grad_enabled:
        ra = isinstance(input, Tensor) and input._rg
        rb = isinstance(other, Tensor) and other._rg
        if ra or rb:
            if out is None and not isinstance(other, Tensor):  # x * 1.01: saves the number as converted above
                return record_one(r, MulBackward0(), input, (None, b), other)
            # save only what the needed gradients use, as PyTorch does (a number as converted above)
            r = record(wrap(r), MulBackward0(), (input, other),
                       (input if rb else None, (other if isinstance(other, Tensor) else b) if ra else None))
            return r if out is None else _out(r, out, "mul")
    r = wrap(r)
    return r if out is None else _out(r, out, "mul")


class MulBackward0(Node):
    __slots__ = ()
    formula = "self * other"
    derivatives = ("grad * other", "grad * self")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        a, b = self.unpack(F)
        return (g * b if b is not None else None, g * a if a is not None else None)


def div(input: Any, other: Any, *, rounding_mode: str | None = None, out: Tensor | None = None) -> Tensor:
    """``input / other``.  d/dinput = grad / other, d/dother = -grad * input / other²."""
    a, b = arith_operands(input, other)
    if rounding_mode is not None:
        return _div_rounding(a, b, rounding_mode, input, other)
    if not _is_float(a) and not _is_float(b):
        # integer / integer is true division in the default float dtype
        f = _default_np()
        a = a.astype(f) if hasattr(a, "astype") else float(a)
        b = b.astype(f) if hasattr(b, "astype") else float(b)
    try:
        r = wrap(a / b)
    except ValueError:
        raise broadcast_error(a, b) from None
    if STATE.grad_enabled:
        ra = isinstance(input, Tensor) and input._rg
        rb = isinstance(other, Tensor) and other._rg
        if ra or rb:
            record(r, DivBackward0(), (input, other), (input if rb else None, other if isinstance(other, Tensor) else b))
    return r if out is None else _out(r, out, "div")


class DivBackward0(Node):
    __slots__ = ()
    formula = "self / other"
    derivatives = ("grad / other", "-grad * ((self / other) / other)")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        a, b = self.unpack(F)
        ga = g / b if self._next[0] is not None else None
        gb = -g * ((a / b) / b) if a is not None else None  # PyTorch's order of operations
        return ga, gb


def _div_rounding(a: Any, b: Any, mode: str, input: Any, other: Any) -> Tensor:
    if mode == "trunc":
        q = a / b
        r = xp.trunc(q) if getattr(q, "dtype", None) is not None and q.dtype.kind == "f" else q
        if hasattr(a, "dtype") and a.dtype.kind in "iu" and not (hasattr(b, "dtype") and b.dtype.kind == "f"):
            r = xp.trunc(a / b).astype(a.dtype)
    elif mode == "floor":
        r = xp.floor_divide(a, b)
    else:
        raise RuntimeError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{mode}'"
        )
    out = wrap(r)
    if STATE.grad_enabled and (_req(input) or _req(other)):
        record(out, DivBackward2(), (input, other))
    return out


class DivBackward2(Node):
    __slots__ = ()
    formula = "rounded(self / other)"
    derivatives = ("0", "0")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        z = F.zeros_like(g)
        return z, z


# ---------------------------------------------------------------------- the Scalar overloads
# PyTorch's C++ composites call mul/div/add with a Scalar (mul.Scalar …), whose nodes are
# MulBackward1, DivBackward1, AddBackward1; Python's spellings never record them.  Composites
# written here the way ATen writes them (rms_norm, pairwise_distance …) use these.
def mul_scalar(x: Tensor, s: float) -> Tensor:
    """``x * s`` as ATen's ``mul(Tensor, Scalar)``.  d/dx = grad * s."""
    a, b = operands(x, s)
    r = wrap(a * b)
    if STATE.grad_enabled and x._rg:
        n = MulBackward1()
        n.other = s
        record(r, n, (x,))
    return r


class MulBackward1(Node):
    __slots__ = ("other",)
    formula = "self * other   (other a number)"
    derivatives = ("grad * other",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (g * self.other,)


def div_scalar(x: Tensor, s: float) -> Tensor:
    """``x / s`` as ATen's ``div(Tensor, Scalar)``.  d/dx = grad / s."""
    a, b = operands(x, s)
    r = wrap(a / b)
    if STATE.grad_enabled and x._rg:
        n = DivBackward1()
        n.other = s
        record(r, n, (x,))
    return r


class DivBackward1(Node):
    __slots__ = ("other",)
    formula = "self / other   (other a number)"
    derivatives = ("grad / other",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (g / self.other,)


def add_scalar(x: Tensor, s: float) -> Tensor:
    """``x + s`` as ATen's ``add(Tensor, Scalar)``.  d/dx = grad."""
    a, b = operands(x, s)
    r = wrap(a + b)
    if STATE.grad_enabled and x._rg:
        record(r, AddBackward1(), (x,))
    return r


class AddBackward1(Node):
    __slots__ = ()
    formula = "self + other   (other a number)"
    derivatives = ("grad",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (g,)


def true_divide(input: Any, other: Any) -> Tensor:
    return div(input, other)


def rdiv(input: Tensor, other: Any) -> Tensor:
    """``other / input`` for a scalar ``other``: PyTorch computes ``reciprocal(input) * other``."""
    if isinstance(other, Tensor):
        return div(other, input)
    return mul(reciprocal(input), other)


def neg(input: Tensor) -> Tensor:
    """``-input``.  d/dinput = -grad."""
    if input._data.dtype == bool:
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. "
            "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    r = wrap(-input._data)
    if STATE.grad_enabled and input._rg:
        record(r, NegBackward0(), (input,))
    return r


negative = neg


class NegBackward0(Node):
    __slots__ = ()
    formula = "-self"
    derivatives = ("-grad",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (-g,)


def reciprocal(input: Tensor) -> Tensor:
    """``1 / input``.  d/dinput = -grad * result²."""
    r = wrap(1.0 / _floating(input._data))
    if STATE.grad_enabled and input._rg:
        record(r, ReciprocalBackward0(), (input,), (saved_output(r),))
    return r


class ReciprocalBackward0(Node):
    __slots__ = ()
    formula = "1 / self"
    derivatives = ("-grad * result * result",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (r,) = self.unpack(F)
        return (-g * r * r,)


# ====================================================================== pow
def pow(input: Any, exponent: Any, *, out: Tensor | None = None) -> Tensor:  # noqa: A001
    """``input ** exponent`` for tensor/scalar in either place.

    PowBackward0 (scalar exponent): grad * exponent * input ** (exponent - 1);
    PowBackward1 (tensor exponent): also d/dexponent = grad * result * log(input);
    PowBackward2 (scalar base): grad * result * log(base).
    """
    if not isinstance(input, Tensor):
        return _rpow(exponent, input)
    if isinstance(exponent, Tensor):
        a, b = operands(input, exponent)
        _check_int_pow(a, b)
        try:
            r = wrap(xp.power(a, b))
        except ValueError:
            raise broadcast_error(a, b) from None
        if STATE.grad_enabled and (input._rg or exponent._rg):
            record(r, PowBackward1(), (input, exponent), (input, exponent, saved_output(r)))
        return _out(r, out, "pow")
    a, b = operands(input, exponent)
    _check_int_pow(a, b)
    r = wrap(_pow_scalar(a, b))
    if STATE.grad_enabled and input._rg:
        n = PowBackward0()
        n.exponent = exponent
        record(r, n, (input,), (input,))
    return r if out is None else _out(r, out, "pow")


def _pow_scalar(a: Any, b: Any) -> Any:
    if b == 2:
        return a * a  # the common square, exactly as PyTorch computes it
    if b == 0.5:
        return xp.sqrt(a)
    return xp.power(a, b)


def _check_int_pow(a: Any, b: Any) -> None:
    if getattr(a, "dtype", None) is not None and a.dtype.kind in "iu":
        bk = b.dtype.kind if hasattr(b, "dtype") else ("i" if isinstance(b, int) else "f")
        if bk in "iu" and (b < 0).any() if hasattr(b, "dtype") else (isinstance(b, int) and b < 0):
            raise RuntimeError("Integers to negative integer powers are not allowed.")


class PowBackward0(Node):
    __slots__ = ("exponent",)
    formula = "self ** exponent"
    derivatives = ("grad * exponent * self ** (exponent - 1)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        p = self.exponent
        if p == 0:
            return (g * 0,)
        if p == 2:
            return (g * (x * 2.0),)
        return (g * (p * x ** (p - 1)),)


class PowBackward1(Node):
    __slots__ = ()
    formula = "self ** exponent"
    derivatives = ("grad * exponent * self ** (exponent - 1)", "grad * result * log(self)")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        x, p, r = self.unpack(F)
        gx = g * (p * x ** (p - 1)) if self._next[0] is not None else None
        gp = None
        if self._next[1] is not None:
            # PyTorch masks 0 ** p (p >= 0) to a zero gradient instead of 0 * -inf
            gp = F.where(F.eq(x, 0) & F.ge(p, 0), 0.0, g * r * F.log(x))
        return gx, gp


def _rpow(exponent: Tensor, base: Any) -> Tensor:
    a, b = operands(base, exponent)
    r = wrap(xp.power(a, b))
    if STATE.grad_enabled and exponent._rg:
        n = PowBackward2()
        n.base = base
        record(r, n, (exponent,), (exponent, saved_output(r)))
    return r


class PowBackward2(Node):
    __slots__ = ("base",)
    formula = "self ** exponent   (self a number)"
    derivatives = ("grad * result * log(self)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        p, r = self.unpack(F)
        base = self.base
        if base == 0:  # masked as in PowBackward1
            return (F.where(F.ge(p, 0), 0.0, g * r * float("-inf")),)
        return (g * r * (math.log(base) if base > 0 else float("nan")),)


def square(input: Tensor) -> Tensor:
    """``input ** 2``."""
    return pow(input, 2)


# ====================================================================== unary maths
def _unary(input: Tensor, fn: Any, node_cls: type[Node], save: str) -> Tensor:
    """Run ``fn`` on the (float) data and record ``node_cls`` saving the input or the result."""
    d = input._data
    r = fn(d if d.dtype.kind == "f" else d.astype(_default_np()))
    if STATE.grad_enabled and input._rg:
        return record_one(r, node_cls(), input, save)
    return wrap(r)


def exp(input: Tensor) -> Tensor:
    """e ** input.  d/dinput = grad * result."""
    return _unary(input, _nb.exp, ExpBackward0, "result")


class ExpBackward0(Node):
    __slots__ = ()
    formula = "exp(self)"
    derivatives = ("grad * result",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (r,) = self.unpack(F)
        return (g * r,)


def log(input: Tensor) -> Tensor:
    """Natural log.  d/dinput = grad / input."""
    return _unary(input, _nb.log, LogBackward0, "input")


class LogBackward0(Node):
    __slots__ = ()
    formula = "log(self)"
    derivatives = ("grad / self",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (g / x,)


def sqrt(input: Tensor) -> Tensor:
    """Square root.  d/dinput = grad / (2 * result)."""
    return _unary(input, xp.sqrt, SqrtBackward0, "result")


class SqrtBackward0(Node):
    __slots__ = ()
    formula = "sqrt(self)"
    derivatives = ("grad / (2 * result)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (r,) = self.unpack(F)
        return (g / (2 * r),)


def sin(input: Tensor) -> Tensor:
    """Sine.  d/dinput = grad * cos(input)."""
    return _unary(input, _nb.sin, SinBackward0, "input")


class SinBackward0(Node):
    __slots__ = ()
    formula = "sin(self)"
    derivatives = ("grad * cos(self)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (g * F.cos(x),)


def cos(input: Tensor) -> Tensor:
    """Cosine.  d/dinput = -grad * sin(input)."""
    return _unary(input, _nb.cos, CosBackward0, "input")


class CosBackward0(Node):
    __slots__ = ()
    formula = "cos(self)"
    derivatives = ("grad * -sin(self)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (g * -F.sin(x),)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent.  d/dinput = grad * (1 - result²)."""
    return _unary(input, _nb.tanh, TanhBackward0, "result")


class TanhBackward0(Node):
    __slots__ = ()
    formula = "tanh(self)"
    derivatives = ("grad * (1 - result * result)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (r,) = self.unpack(F)
        return (g * (F.number(1, r) - r * r),)


def _stable_sigmoid(d: Any) -> Any:
    # exp of a non-positive number never overflows: finite for inputs of ±1000
    e = _nb.exp(-xp.abs(d))
    return xp.where(d >= 0, 1 / (1 + e), e / (1 + e)).astype(d.dtype, copy=False)


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + e ** -input), computed stably.  d/dinput = grad * result * (1 - result)."""
    return _unary(input, _stable_sigmoid, SigmoidBackward0, "result")


class SigmoidBackward0(Node):
    __slots__ = ()
    formula = "sigmoid(self)"
    derivatives = ("grad * result * (1 - result)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (r,) = self.unpack(F)
        return (g * (r * (1 - r)),)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(input, 0).  d/dinput = grad where result > 0, else 0."""
    d = input._data
    r = wrap(xp.maximum(d, 0) if d.dtype != bool else d.copy())
    if STATE.grad_enabled and input._rg:
        record(r, ReluBackward0(), (input,), (saved_output(r),))
    return r


class ReluBackward0(Node):
    __slots__ = ()
    formula = "relu(self)"
    derivatives = ("grad * (result > 0)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (r,) = self.unpack(F)
        return (F.where(F.gt(r, 0), g, 0.0),)


def abs(input: Tensor) -> Tensor:  # noqa: A001
    """|input|.  d/dinput = grad * sign(input)."""
    d = input._data
    r = wrap(xp.abs(d))
    if STATE.grad_enabled and input._rg:
        record(r, AbsBackward0(), (input,), (input,))
    return r


absolute = abs


class AbsBackward0(Node):
    __slots__ = ()
    formula = "abs(self)"
    derivatives = ("grad * sign(self)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (g * F.sign(x),)


def sign(input: Tensor) -> Tensor:
    """Sign of each element (-1, 0, 1).  Gradient zero."""
    d = input._data
    r = wrap(d.copy() if d.dtype == bool else xp.sign(d))
    if STATE.grad_enabled and input._rg:
        record(r, SignBackward0(), (input,))
    return r


class SignBackward0(Node):
    __slots__ = ()
    formula = "sign(self)"
    derivatives = ("0",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.zeros_like(g),)


def where(condition: Any, input: Any = None, other: Any = None) -> Any:
    """Elementwise ``input if condition else other``.  d/dinput = where(c, grad, 0), d/dother = where(c, 0, grad)."""
    cond = as_tensor_arg(condition)
    if input is None and other is None:
        from .shape import nonzero
        return nonzero(cond, as_tuple=True)
    if cond._data.dtype != bool:
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got a tensor with dtype {cond.dtype.scalar_name}"
        )
    a, b = _where_operands(input, other)
    try:
        r = wrap(xp.where(cond._data, a, b))
    except ValueError:
        try:
            ab = xp.broadcast_shapes(xp.shape(a), xp.shape(b))
        except ValueError:
            raise broadcast_error(a, b) from None
        raise broadcast_error(cond._data, xp.empty(ab)) from None
    if STATE.grad_enabled and (_req(input) or _req(other)):
        record(r, WhereBackward0(), (input, other), (cond,))
    return r


def _where_operands(a: Any, b: Any) -> tuple[Any, Any]:
    """The two branches, promoted together; two Python numbers give the default float dtype."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return operands(a, b)
    return xp.asarray(a, dtype=_default_np()), xp.asarray(b, dtype=_default_np())


class WhereBackward0(Node):
    __slots__ = ()
    formula = "where(condition, self, other)"
    derivatives = ("where(condition, grad, 0)", "where(condition, 0, grad)")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (c,) = self.unpack(F)
        ga = F.where(c, g, 0.0) if self._next[0] is not None else None
        gb = F.where(c, 0.0, g) if self._next[1] is not None else None
        return ga, gb


def maximum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise max.  Ties share the gradient equally (grad / 2 each), as PyTorch."""
    return _minmax2(input, other, xp.maximum, MaximumBackward0)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise min.  Ties share the gradient equally (grad / 2 each), as PyTorch."""
    return _minmax2(input, other, xp.minimum, MinimumBackward0)


def _minmax2(input: Any, other: Any, fn: Any, cls: type[Node]) -> Tensor:
    name = "maximum" if fn is xp.maximum else "minimum"
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    a, b = operands(input, other)
    try:
        # a tie (e.g. 0.0 and -0.0) keeps ``input``'s value, as PyTorch does
        r = wrap(xp.where((a == b) & ~xp.isnan(b), a, fn(a, b)) if a.dtype.kind == "f" else fn(a, b))
    except ValueError:
        raise broadcast_error(a, b) from None
    if STATE.grad_enabled and (_req(input) or _req(other)):
        record(r, cls(), (input, other), (input, other))
    return r


class MaximumBackward0(Node):
    __slots__ = ()
    formula = "maximum(self, other)"
    derivatives = ("grad * ((self > other) + (self == other) / 2)", "grad * ((other > self) + (self == other) / 2)")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        a, b = self.unpack(F)
        half = F.eq(a, b) * 0.5
        return g * (F.gt(a, b) + half), g * (F.gt(b, a) + half)


class MinimumBackward0(Node):
    __slots__ = ()
    formula = "minimum(self, other)"
    derivatives = ("grad * ((self < other) + (self == other) / 2)", "grad * ((other < self) + (self == other) / 2)")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        a, b = self.unpack(F)
        half = F.eq(a, b) * 0.5
        return g * (F.gt(b, a) + half), g * (F.gt(a, b) + half)


# ====================================================================== comparisons (no gradient)
def _compare(fn: Any) -> Any:
    def op(input: Any, other: Any) -> Tensor:
        a, b = operands(input, other)
        try:
            return wrap(fn(a, b))
        except ValueError:
            raise broadcast_error(a, b) from None
    op.__doc__ = f"Elementwise comparison ({fn.__name__}); a bool tensor, no gradient."
    return op


eq = _compare(xp.equal)
ne = _compare(xp.not_equal)
lt = _compare(xp.less)
le = _compare(xp.less_equal)
gt = _compare(xp.greater)
ge = _compare(xp.greater_equal)
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def logical_not(input: Tensor) -> Tensor:
    return wrap(xp.logical_not(input._data))


def bitwise_not(input: Tensor) -> Tensor:
    d = input._data
    if d.dtype.kind == "f":
        raise NotImplementedError(f"\"bitwise_not_cpu\" not implemented for '{FROM_NP[d.dtype].scalar_name}'")
    return wrap(xp.logical_not(d) if d.dtype == bool else xp.invert(d))


def _bitwise(fn: Any, logical: Any) -> Any:
    def op(input: Any, other: Any) -> Tensor:
        a, b = operands(input, other)
        if getattr(a, "dtype", None) is not None and a.dtype.kind == "f":
            kind = FROM_NP[a.dtype].scalar_name
            raise NotImplementedError(f"\"{fn.__name__}_cpu\" not implemented for '{kind}'")
        return wrap(fn(a, b))
    return op


bitwise_and = _bitwise(xp.bitwise_and, xp.logical_and)
bitwise_or = _bitwise(xp.bitwise_or, xp.logical_or)
bitwise_xor = _bitwise(xp.bitwise_xor, xp.logical_xor)


def isnan(input: Tensor) -> Tensor:
    return wrap(xp.isnan(input._data))


def isinf(input: Tensor) -> Tensor:
    return wrap(xp.isinf(input._data))


def isfinite(input: Tensor) -> Tensor:
    return wrap(xp.isfinite(input._data))


def equal(input: Tensor, other: Tensor) -> bool:
    """True when both tensors have the same shape and elements."""
    return input._data.shape == other._data.shape and bool((input._data == other._data).all())


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    return bool(xp.allclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(input: Tensor, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    a, b = operands(input, other)
    return wrap(xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


# ====================================================================== helpers
def _out(r: Tensor, out: Tensor | None, op: str = "") -> Tensor:
    """Write ``r`` into ``out=`` (resizing as PyTorch does) and return ``out``."""
    if out is None:
        return r
    if STATE.grad_enabled and (r._rg or out._rg):
        raise RuntimeError(
            f"{op}(): functions with out=... arguments don't support automatic differentiation, "
            "but one of the arguments requires grad."
        )
    if out._data.shape == r._data.shape:
        out._data[...] = r._data
    else:
        out._data = r._data.astype(out._data.dtype)
    out._bump_version()
    return out
