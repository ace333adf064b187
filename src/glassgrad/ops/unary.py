"""Unary elementwise maths and activations.

Maths: ``exp2 expm1 log2 log10 log1p rsqrt tan asin acos atan sinh cosh asinh
acosh atanh logit erf erfc`` (integer inputs compute in the default dtype);
rounding: ``floor ceil round trunc fix frac`` (zero gradient, integers kept);
``nan_to_num``; and the activations of ``torch.nn.functional``: ``relu6
leaky_relu elu selu celu gelu silu mish softplus softsign hardtanh hardsigmoid
hardswish logsigmoid``.

Each op is its forward on backend arrays followed by its node class, whose
``backward`` is the derivative rule written with operators and ``F`` (so it runs
for ``backward()`` and, recorded, for ``create_graph=True``).  Every rule stays
finite where PyTorch's does: exponentials only ever see non-positive arguments
in the branch that ``where`` keeps, so the discarded branch cannot turn a zero
gradient into ``0 * inf``.

NumPy has no ``erf``: it is W. J. Cody's rational Chebyshev approximation
(relative error below 1e-15 in float64), vectorised.
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd.forward_ad import transposing_rule
from ..backends import backend
from ..backends.numpy_backend import PRECISE_MAX
from . import elementwise as E
from ._base import STATE, D, Node, Tensor, record, saved_output, wrap, xp
from ._ns import register_rule_fn
from .inplace import _unary_inplace

__all__ = [
    "exp2", "expm1", "log2", "log10", "log1p", "rsqrt", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh",
    "acosh", "atanh", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "logit", "erf", "erfc",
    "floor", "ceil", "round", "trunc", "fix", "frac", "nan_to_num", "selu", "celu",
    "exp2_", "expm1_", "log2_", "log10_", "log1p_", "rsqrt_", "tan_", "asin_", "acos_", "atan_", "sinh_", "cosh_",
    "asinh_", "acosh_", "atanh_", "arcsin_", "arccos_", "arctan_", "arcsinh_", "arccosh_", "arctanh_", "logit_",
    "erf_", "erfc_", "floor_", "ceil_", "round_", "trunc_", "fix_", "frac_", "nan_to_num_", "selu_", "celu_",
]
#: names of this family's functions that also live in glassgrad.nn.functional
FUNCTIONAL: list[str] = [
    "relu6", "leaky_relu", "leaky_relu_", "elu", "elu_", "selu", "selu_", "celu", "celu_", "gelu", "silu", "mish",
    "softplus", "softsign", "hardtanh", "hardtanh_", "hardsigmoid", "hardswish", "logsigmoid",
]

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT1_2 = math.sqrt(0.5)


# ====================================================================== helpers
#: ``fn`` evaluated in float64 for small float16/float32 arrays (the backend's ``precise``: PyTorch's
#: values to the last bit far more often than NumPy's float32 kernels)
_in_f64 = backend().precise


def _float_data(t: Tensor) -> Any:
    """The data of a float-valued function's input: integers and bools compute in the default dtype."""
    d = t._data
    return d if d.dtype.kind == "f" else d.astype(D.get_default_dtype().np)


def _type_name(t: Tensor) -> str:
    return t.dtype.scalar_name


def _float_only(t: Tensor, kernel: str) -> Any:
    """The data of an activation's input; PyTorch has no integer kernel for it."""
    d = t._data
    if d.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(t)}'")
    return d


def _finish(name: str, input: Tensor, r: Tensor, node: Node, save: str | None = None,
            out: Tensor | None = None) -> Tensor:
    """Record ``node`` for ``r``, saving the input (``save="self"``), the result (``"result"``) or nothing;
    or, given ``out=``, write ``r`` into it."""
    if out is not None:
        return _into(name, input, r, out)
    if STATE.grad_enabled and input._rg:
        saved = (input,) if save == "self" else (saved_output(r),) if save == "result" else ()
        record(r, node, (input,), saved)
    return r


def _math(name: str, input: Tensor, fn: Any, node: Node, save: str | None, out: Tensor | None) -> Tensor:
    """A float-valued function ``fn`` of the input's data (integers and bools in the default dtype), recorded."""
    return _finish(name, input, wrap(fn(_float_data(input))), node, save, out)


def _into(name: str, input: Tensor, r: Tensor, out: Tensor) -> Tensor:
    """``out=``: PyTorch's errors for a graph or a narrower dtype, then the copy."""
    if STATE.grad_enabled and (input._rg or out._rg):
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic differentiation, "
            "but one of the arguments requires grad."
        )
    if r.dtype.category > out.dtype.category:
        raise RuntimeError(
            f"result type {_type_name(r)} can't be cast to the desired output type {_type_name(out)}"
        )
    return E._out(r, out)


def _check_out_dtype(input: Tensor, out: Tensor | None, name: str = "") -> None:
    """Rounding functions and ``nan_to_num`` write only into an ``out=`` of the input's own dtype."""
    if out is None or out.dtype is input.dtype:
        return
    have, want = _type_name(out), _type_name(input)
    if name == "nan_to_num":
        raise RuntimeError(f"nan_to_num: dtype of out: {have} should be same as input: {want}")
    raise RuntimeError(f"Found dtype {have} but expected {want}")


def _nonpositive(F: Any, x: Any) -> Any:
    """``x`` where ``x <= 0``, else 0: what an exponential of the negative branch may safely see."""
    return F.where(F.gt(x, 0), 0.0, x)


# ====================================================================== erf (Cody's rational approximations)
_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03,
          1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
_ERFC_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01, 2.98635138197400131e02,
           8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03,
           2.15311535474403846e-8)
_ERFC_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
           3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03)
_ERFC_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2,
           6.58749161529837803e-4, 1.63153871373020978e-2)
_ERFC_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1, 6.05183413124413191e-2,
           2.33520497626869185e-3)
_ONE_OVER_SQRT_PI = 5.6418958354775628695e-1
_ERFC_ZERO = 28.0  # erfc(y) underflows to 0 in float64 beyond this


def _cody_terms(z: Any, p: tuple[float, ...], q: tuple[float, ...], n: int) -> tuple[Any, Any]:
    """The numerator and denominator of one of Cody's rational approximations, by Horner's rule in place:
    num = ((p[n] z + p[0]) z + p[1]) z … + p[n-1],  den = ((z + q[0]) z + q[1]) z … + q[n-1].

    (Written in place: a fresh 1 MiB array per step costs more than the step.)
    """
    num, den = z * p[n], z + q[0]
    den *= z
    num += p[0]
    num *= z
    for a, b in zip(p[1:n - 1], q[1:n - 1]):
        num += a
        num *= z
        den += b
        den *= z
    num += p[n - 1]
    den += q[n - 1]
    return num, den


def _erf_near_zero(x: Any) -> Any:
    """erf(x) for |x| <= 0.5: x * P(x²) / Q(x²)."""
    num, den = _cody_terms(x * x, _ERF_A, _ERF_B, 4)
    num *= x
    num /= den
    return num


def _erfc_mid(ym: Any) -> Any:
    """erfc(y) / exp(-y²) for 0.5 < y <= 4."""
    num, den = _cody_terms(ym, _ERFC_C, _ERFC_D, 8)
    num /= den
    return num


def _erfc_far(yf: Any) -> Any:
    """erfc(y) / exp(-y²) for 4 < y < _ERFC_ZERO."""
    z = yf * yf
    xp.divide(1.0, z, out=z)
    num, den = _cody_terms(z, _ERFC_P, _ERFC_Q, 5)
    num *= z
    num /= den
    xp.subtract(_ONE_OVER_SQRT_PI, num, out=num)
    num /= yf
    return num


def _exp_neg_sq(yk: Any) -> Any:
    """exp(-y²) as exp(-t²) exp(-(y - t)(y + t)) with t = y rounded down to 1/16: no cancellation in y²."""
    t = yk * 16.0
    xp.trunc(t, out=t)
    t /= 16.0
    e = t * t
    xp.negative(e, out=e)  # (negation is exact: -t * t and -(t * t) are the same number)
    xp.exp(e, out=e)
    d = yk - t
    t += yk
    d *= t
    xp.negative(d, out=d)
    xp.exp(d, out=d)
    e *= d
    return e


def _erfc_positive(y: Any) -> Any:
    """erfc(y) for y > 0.5: exp(-y²) R(y), with R rational in y (y <= 4) or in 1/y² (y > 4)."""
    out = xp.zeros_like(y)
    mid = y <= 4.0
    far = ~mid & (y < _ERFC_ZERO)
    out[mid] = _erfc_mid(y[mid])
    out[far] = _erfc_far(y[far])
    keep = mid | far
    out[keep] *= _exp_neg_sq(y[keep])
    return out


def _select(m: Any, a: Any, b: Any) -> Any:
    """``where(m, a, b)`` for float arrays of one shape and dtype, bit by bit (branch-free; see _keep_where)."""
    it = _SELECT_BITS[a.dtype]
    mask = m.astype(it)
    xp.negative(mask, out=mask)  # True -> all bits set
    r = xp.bitwise_and(a.view(it), mask)
    xp.invert(mask, out=mask)
    xp.bitwise_and(b.view(it), mask, out=mask)
    xp.bitwise_or(r, mask, out=r)
    return r.view(a.dtype)


_SELECT_BITS = {xp.dtype(xp.float16): xp.int16, xp.dtype(xp.float32): xp.int32, xp.dtype(xp.float64): xp.int64}


def _dense(x: Any) -> bool:
    """Whether erf/erfc of ``x`` evaluates every branch on the whole array and selects (see ``_erf_parts``)."""
    return x.size > PRECISE_MAX and x.dtype in _SELECT_BITS


def _erf_parts(x: Any) -> tuple[Any, Any, Any, Any]:
    """|x| <= 0.5, 0.5 < |x|, erf near zero and erfc(|x|), each computed over the whole (large) array.

    Note: gathering the elements of each range with a data-dependent boolean mask and scattering
    them back cost more than the arithmetic (a random mask runs at branch-misprediction speed:
    erf of 262,144 float32 values took 13.5 ms).  Every formula is elementwise, so evaluating
    each on the whole array and selecting the right one bit by bit gives the same values, about
    3x faster; what a branch computes outside its range (inf, nan) is never selected.
    """
    y = xp.abs(x)
    small, big = y <= 0.5, y > 0.5
    if not (y > 4.0).any():  # the usual case: no tail values, so only the middle range's formula
        return small, big, _erf_near_zero(x), _erfc_mid(y) * _exp_neg_sq(y)
    mid, far = y <= 4.0, y < _ERFC_ZERO
    r = _select(mid, _erfc_mid(y), _select(far, _erfc_far(y), xp.zeros_like(y)))
    r = _select(far, r * _exp_neg_sq(y), r)  # (far includes mid: y < 28)
    return small, big, _erf_near_zero(x), r


def _erf_f64(x: Any) -> Any:
    x = xp.asarray(x)
    if _dense(x):
        small, big, near, r = _erf_parts(x)
        return _select(small, near, _select(big, xp.copysign(1.0 - r, x), x))  # nan stays nan
    y = xp.abs(x)
    out = xp.array(x, copy=True)  # nan stays nan
    small = y <= 0.5
    out[small] = _erf_near_zero(x[small])
    big = y > 0.5
    out[big] = xp.copysign(1.0 - _erfc_positive(y[big]), x[big])
    return out


def _erfc_f64(x: Any) -> Any:
    x = xp.asarray(x)
    if _dense(x):
        small, big, near, r = _erf_parts(x)
        return _select(small, 1.0 - near, _select(big, _select(x < 0, 2.0 - r, r), x))
    y = xp.abs(x)
    out = xp.array(x, copy=True)
    small = y <= 0.5
    out[small] = 1.0 - _erf_near_zero(x[small])
    big = y > 0.5
    r = _erfc_positive(y[big])
    out[big] = xp.where(x[big] < 0, 2.0 - r, r)
    return out


_erf_array = _in_f64(_erf_f64)
_erfc_array = _in_f64(_erfc_f64)


# ====================================================================== exponentials and logarithms
_exp2_array = _in_f64(xp.exp2)
_expm1_array = _in_f64(xp.expm1)
_log2_array = _in_f64(xp.log2)
_log10_array = _in_f64(xp.log10)
_log1p_array = _in_f64(xp.log1p)


def exp2(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """2 ** input.  d/dinput = grad * result * ln 2."""
    return _math("exp2", input, _exp2_array, Exp2Backward0(), "result", out)


class Exp2Backward0(Node):
    __slots__ = ()
    formula = "exp2(self)"
    derivatives = ("grad * result * ln(2)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (r,) = self.unpack(F)
        return (g * r * _LN2,)


def expm1(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """e ** input - 1, accurate near 0.  d/dinput = grad * (result + 1)."""
    return _math("expm1", input, _expm1_array, Expm1Backward0(), "result", out)


class Expm1Backward0(Node):
    __slots__ = ()
    formula = "expm1(self)"
    derivatives = ("grad * (result + 1)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (r,) = self.unpack(F)
        return (g * (r + 1),)


def log2(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Base-2 logarithm.  d/dinput = grad / (input * ln 2)."""
    return _math("log2", input, _log2_array, Log2Backward0(), "self", out)


class Log2Backward0(Node):
    __slots__ = ()
    formula = "log2(self)"
    derivatives = ("grad / (self * ln(2))",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (g / (x * _LN2),)


def log10(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Base-10 logarithm.  d/dinput = grad / (input * ln 10)."""
    return _math("log10", input, _log10_array, Log10Backward0(), "self", out)


class Log10Backward0(Node):
    __slots__ = ()
    formula = "log10(self)"
    derivatives = ("grad / (self * ln(10))",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (g / (x * _LN10),)


def log1p(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """log(1 + input), accurate near 0.  d/dinput = grad / (input + 1)."""
    return _math("log1p", input, _log1p_array, Log1PBackward0(), "self", out)


class Log1PBackward0(Node):
    __slots__ = ()
    formula = "log1p(self)"
    derivatives = ("grad / (self + 1)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (g / (x + 1),)


def _rsqrt_array(d: Any) -> Any:
    return 1 / xp.sqrt(d)


def rsqrt(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """1 / sqrt(input).  d/dinput = -0.5 * grad * result³."""
    return _math("rsqrt", input, _rsqrt_array, RsqrtBackward0(), "result", out)


class RsqrtBackward0(Node):
    __slots__ = ()
    formula = "rsqrt(self)"
    derivatives = ("-0.5 * grad * result ** 3",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (r,) = self.unpack(F)
        return (-0.5 * g * (r * r * r),)


# ====================================================================== trigonometric and hyperbolic
_tan_array = _in_f64(xp.tan)
_asin_array = _in_f64(xp.arcsin)
_acos_array = _in_f64(xp.arccos)
_atan_array = _in_f64(xp.arctan)
_sinh_array = _in_f64(xp.sinh)
_cosh_array = _in_f64(xp.cosh)
_asinh_array = _in_f64(xp.arcsinh)
_acosh_array = _in_f64(xp.arccosh)
_atanh_array = _in_f64(xp.arctanh)


def tan(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Tangent.  d/dinput = grad * (1 + result²)."""
    return _math("tan", input, _tan_array, TanBackward0(), "result", out)


class TanBackward0(Node):
    __slots__ = ()
    formula = "tan(self)"
    derivatives = ("grad * (1 + result ** 2)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (r,) = self.unpack(F)
        return (g * (1 + r * r),)


def asin(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Arcsine (nan outside [-1, 1]).  d/dinput = grad * rsqrt(1 - input²)."""
    return _math("asin", input, _asin_array, AsinBackward0(), "self", out)


class AsinBackward0(Node):
    __slots__ = ()
    formula = "asin(self)"
    derivatives = ("grad * rsqrt(1 - self ** 2)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (g * F.rsqrt(-x * x + 1),)


def acos(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Arccosine (nan outside [-1, 1]).  d/dinput = -grad * rsqrt(1 - input²)."""
    return _math("acos", input, _acos_array, AcosBackward0(), "self", out)


class AcosBackward0(Node):
    __slots__ = ()
    formula = "acos(self)"
    derivatives = ("-grad * rsqrt(1 - self ** 2)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (g * -F.rsqrt(-x * x + 1),)


def atan(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Arctangent.  d/dinput = grad / (input² + 1)."""
    return _math("atan", input, _atan_array, AtanBackward0(), "self", out)


class AtanBackward0(Node):
    __slots__ = ()
    formula = "atan(self)"
    derivatives = ("grad / (self ** 2 + 1)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (g / (x * x + 1),)


def sinh(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Hyperbolic sine.  d/dinput = grad * cosh(input)."""
    return _math("sinh", input, _sinh_array, SinhBackward0(), "self", out)


class SinhBackward0(Node):
    __slots__ = ()
    formula = "sinh(self)"
    derivatives = ("grad * cosh(self)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (g * F.cosh(x),)


def cosh(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Hyperbolic cosine.  d/dinput = grad * sinh(input)."""
    return _math("cosh", input, _cosh_array, CoshBackward0(), "self", out)


class CoshBackward0(Node):
    __slots__ = ()
    formula = "cosh(self)"
    derivatives = ("grad * sinh(self)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (g * F.sinh(x),)


def asinh(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Inverse hyperbolic sine.  d/dinput = grad * rsqrt(input² + 1)."""
    return _math("asinh", input, _asinh_array, AsinhBackward0(), "self", out)


class AsinhBackward0(Node):
    __slots__ = ()
    formula = "asinh(self)"
    derivatives = ("grad * rsqrt(self ** 2 + 1)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (g * F.rsqrt(x * x + 1),)


def acosh(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Inverse hyperbolic cosine (nan below 1).  d/dinput = grad * rsqrt(input² - 1)."""
    return _math("acosh", input, _acosh_array, AcoshBackward0(), "self", out)


class AcoshBackward0(Node):
    __slots__ = ()
    formula = "acosh(self)"
    derivatives = ("grad * rsqrt(self ** 2 - 1)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (g * F.rsqrt(x * x - 1),)


def atanh(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Inverse hyperbolic tangent (nan outside [-1, 1]).  d/dinput = grad / (1 - input²)."""
    return _math("atanh", input, _atanh_array, AtanhBackward0(), "self", out)


class AtanhBackward0(Node):
    __slots__ = ()
    formula = "atanh(self)"
    derivatives = ("grad / (1 - self ** 2)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (g / (1 - x * x),)


arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh


class _NoInplaceDerivative(Node):
    """PyTorch records a node for ``asinh_``, ``acosh_`` and ``atanh_`` but has no derivative for it."""

    __slots__ = ()

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        op = self.formula.split("_(")[0]
        raise NotImplementedError(f"the derivative for 'inplace version of {op}' is not implemented.")


class AsinhBackward1(_NoInplaceDerivative):
    __slots__ = ()
    formula = "asinh_(self)"
    derivatives = ("not implemented",)


class AcoshBackward1(_NoInplaceDerivative):
    __slots__ = ()
    formula = "acosh_(self)"
    derivatives = ("not implemented",)


class AtanhBackward1(_NoInplaceDerivative):
    __slots__ = ()
    formula = "atanh_(self)"
    derivatives = ("not implemented",)


def _no_derivative_inplace(name: str, array_fn: Any, node_cls: type[Node]) -> Any:
    """The in-place twin of ``name``, recording ``node_cls`` (whose backward raises, as PyTorch's does)."""
    def recorded(input: Tensor) -> Tensor:
        return _math(name, input, array_fn, node_cls(), None, None)
    recorded.__name__ = name
    return _unary_inplace(recorded)


# ====================================================================== logit, erf, erfc
_log_array = _in_f64(xp.log)


def _logit_bounds(eps: float | None, dt: Any) -> tuple[float, float] | None:
    """(lo, hi) = (eps, 1 - eps) in the input's dtype, or None: no clamping (eps None or negative)."""
    if eps is None or eps < 0:
        return None
    e = xp.asarray(eps, dtype=dt)
    return float(e), float(xp.asarray(1, dtype=dt) - e)


def logit(input: Tensor, eps: float | None = None, *, out: Tensor | None = None) -> Tensor:
    """log(p / (1 - p)), p clamped to [eps, 1 - eps] when eps is given.

    d/dinput = grad / (p (1 - p)); 0 where eps clamped p, nan outside [0, 1] without eps.
    """
    d = _float_data(input)
    bounds = _logit_bounds(eps, d.dtype)
    if bounds is not None:
        lo, hi = bounds
        d = xp.where(d < lo, d.dtype.type(lo), xp.where(d > hi, d.dtype.type(hi), d))
    r = wrap(_log_array(d / (1 - d)))
    n = LogitBackward0()
    n.bounds = bounds
    return _finish("logit", input, r, n, "self", out)


class LogitBackward0(Node):
    __slots__ = ("bounds",)
    formula = "logit(self, eps)"
    derivatives = ("where(self outside [eps, 1 - eps], 0 (nan without eps), grad / (self * (1 - self)))",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        d = g / (x * (1 - x))
        if self.bounds is None:
            return (F.where(F.lt(x, 0) | F.gt(x, 1), math.nan, d),)
        lo, hi = self.bounds
        return (F.where(F.lt(x, lo) | F.gt(x, hi), 0.0, d),)


def erf(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Error function.  d/dinput = grad * 2 / sqrt(pi) * exp(-input²)."""
    return _math("erf", input, _erf_array, ErfBackward0(), "self", out)


class ErfBackward0(Node):
    __slots__ = ()
    formula = "erf(self)"
    derivatives = ("2 / sqrt(pi) * exp(-self ** 2) * grad",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (_TWO_OVER_SQRT_PI * F.exp(-(x * x)) * g,)


def erfc(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Complementary error function 1 - erf, accurate in the tails.  d/dinput = -grad * 2 / sqrt(pi) * exp(-input²)."""
    return _math("erfc", input, _erfc_array, ErfcBackward0(), "self", out)


class ErfcBackward0(Node):
    __slots__ = ()
    formula = "erfc(self)"
    derivatives = ("-2 / sqrt(pi) * exp(-self ** 2) * grad",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (-_TWO_OVER_SQRT_PI * F.exp(-(x * x)) * g,)


# ====================================================================== rounding (zero gradient)
def _rounded(name: str, kernel: str, input: Tensor, fn: Any, node: Node, out: Tensor | None,
             integers: bool = True) -> Tensor:
    """A rounding function: integers are returned as they are (a copy) where PyTorch allows them; bool never."""
    _check_out_dtype(input, out)
    d = input._data
    if d.dtype == xp.bool_ or not integers:
        _float_only(input, kernel)
    return _finish(name, input, wrap(fn(d) if d.dtype.kind == "f" else d.copy()), node, None, out)


class _ZeroGradient(Node):
    """A piecewise-constant function: the gradient is zero everywhere."""

    __slots__ = ()

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.zeros_like(g),)


def floor(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Largest integer <= input.  Gradient zero."""
    return _rounded("floor", "floor_vml_cpu", input, xp.floor, FloorBackward0(), out)


class FloorBackward0(_ZeroGradient):
    __slots__ = ()
    formula = "floor(self)"
    derivatives = ("0",)


def ceil(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Smallest integer >= input.  Gradient zero."""
    return _rounded("ceil", "ceil_vml_cpu", input, xp.ceil, CeilBackward0(), out)


class CeilBackward0(_ZeroGradient):
    __slots__ = ()
    formula = "ceil(self)"
    derivatives = ("0",)


def trunc(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """input rounded towards zero.  Gradient zero."""
    return _rounded("trunc", "trunc_vml_cpu", input, xp.trunc, TruncBackward0(), out)


def fix(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``trunc`` (its NumPy name).  Gradient zero."""
    return _rounded("fix", "trunc_vml_cpu", input, xp.trunc, TruncBackward0(), out)


class TruncBackward0(_ZeroGradient):
    __slots__ = ()
    formula = "trunc(self)"
    derivatives = ("0",)


def _round_decimals(d: Any, decimals: int) -> Any:
    """Round half to even at ``decimals`` digits, in PyTorch's arithmetic: float32 for float16/float32."""
    op = xp.float64 if d.dtype == xp.float64 else xp.float32
    scale = xp.asarray(10.0 ** abs(decimals)).astype(op)
    a = d.astype(op)
    r = xp.rint(a / scale) * scale if decimals < 0 else xp.rint(a * scale) / scale
    return r.astype(d.dtype)


def round(input: Tensor, *, decimals: int | None = None, out: Tensor | None = None) -> Tensor:  # noqa: A001
    """Round half to even (at ``decimals`` digits).  Gradient zero (RoundBackward1 with ``decimals``)."""
    if decimals is None:
        return _rounded("round", "round_vml_cpu", input, xp.rint, RoundBackward0(), out)
    n = RoundBackward1()
    n.decimals = decimals
    return _rounded("round", "round_cpu", input, lambda d: _round_decimals(d, decimals), n, out, integers=False)


class RoundBackward0(_ZeroGradient):
    __slots__ = ()
    formula = "round(self)"
    derivatives = ("0",)


class RoundBackward1(_ZeroGradient):
    __slots__ = ("decimals",)
    formula = "round(self, decimals)"
    derivatives = ("0",)


def frac(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """input - trunc(input).  d/dinput = grad."""
    _check_out_dtype(input, out)
    d = _float_only(input, "frac_cpu")
    return _finish("frac", input, wrap(d - xp.trunc(d)), FracBackward0(), None, out)


class FracBackward0(Node):
    __slots__ = ()
    formula = "frac(self)"
    derivatives = ("grad",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (g,)


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None, *,
               out: Tensor | None = None) -> Tensor:
    """nan, +inf and -inf replaced (by 0 and the dtype's extremes by default).  d/dinput = grad * isfinite(input)."""
    _check_out_dtype(input, out, "nan_to_num")
    d = input._data
    if d.dtype.kind == "f":
        fi = xp.finfo(d.dtype)
        as_dtype = lambda v: xp.asarray(v, dtype=xp.float64).astype(d.dtype)  # noqa: E731 (too big: inf, as PyTorch)
        big = fi.max if posinf is None else as_dtype(posinf)
        small = fi.min if neginf is None else as_dtype(neginf)
        r = xp.where(xp.isnan(d), as_dtype(nan), xp.where(xp.isposinf(d), big, xp.where(xp.isneginf(d), small, d)))
    else:
        r = d.copy()
    return _finish("nan_to_num", input, wrap(r), NanToNumBackward0(), "self", out)


class NanToNumBackward0(Node):
    __slots__ = ()
    formula = "nan_to_num(self, nan, posinf, neginf)"
    derivatives = ("grad * isfinite(self)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (g * F.isfinite(x),)


# ====================================================================== piecewise-linear activations
def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """input clamped to [min_val, max_val].  d/dinput = grad strictly inside, else 0."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return hardtanh_(input, min_val, max_val) if inplace else _hardtanh(input, min_val, max_val)


def _hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    d = input._data
    if d.dtype == xp.bool_:
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if d.dtype.kind != "f":
        if d.dtype.kind == "u" and min_val < 0:
            raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
        r = xp.clip(d, int(min_val), int(max_val)).astype(d.dtype)
    else:
        r = xp.clip(d, min_val, max_val)
    n = HardtanhBackward0()
    n.min_val, n.max_val = min_val, max_val
    return _finish("hardtanh", input, wrap(r), n, "self")


class HardtanhBackward0(Node):
    __slots__ = ("min_val", "max_val")
    formula = "hardtanh(self, min_val, max_val)"
    derivatives = ("where(self <= min_val or self >= max_val, 0, grad)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (F.where(F.ge(self.min_val, x) | F.ge(x, self.max_val), 0.0, g),)


_hardtanh_inplace = _unary_inplace(_hardtanh)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place ``hardtanh``."""
    return _hardtanh_inplace(input, min_val, max_val)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(input, 0), 6), i.e. hardtanh(input, 0, 6).  d/dinput = grad on (0, 6), else 0."""
    return hardtanh(input, 0.0, 6.0, inplace)


def _leaky_relu_array(d: Any, negative_slope: float) -> Any:
    return xp.where(d > 0, d, d * negative_slope)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """input if input > 0 else negative_slope * input.  d/dinput = grad or negative_slope * grad."""
    if inplace:
        return leaky_relu_(input, negative_slope)
    d = _float_only(input, "leaky_relu_cpu")
    n = LeakyReluBackward0()
    n.negative_slope = negative_slope
    return _finish("leaky_relu", input, wrap(_leaky_relu_array(d, negative_slope)), n, "self")


class LeakyReluBackward0(Node):
    __slots__ = ("negative_slope",)
    formula = "leaky_relu(self, negative_slope)"
    derivatives = ("where(self > 0, grad, grad * negative_slope)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (F.where(F.gt(x, 0), g, g * self.negative_slope),)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place ``leaky_relu``; its node (LeakyReluBackward1) saves the result."""
    return _leaky_relu_inplace(input, negative_slope)


def _leaky_relu_saving_result(input: Tensor, negative_slope: float) -> Tensor:
    """``leaky_relu`` recorded as its in-place form records it (then written back by ``_unary_inplace``)."""
    d = _float_only(input, "leaky_relu_cpu")
    n = LeakyReluBackward1()
    n.negative_slope = negative_slope
    return _finish("leaky_relu_", input, wrap(_leaky_relu_array(d, negative_slope)), n, "result")


_leaky_relu_inplace = _unary_inplace(_leaky_relu_saving_result)


class LeakyReluBackward1(Node):
    __slots__ = ("negative_slope",)
    formula = "leaky_relu_(self, negative_slope)"
    derivatives = ("where(result > 0, grad, grad * negative_slope)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        if self.negative_slope < 0:
            raise RuntimeError(
                "In-place leakyReLu backward calculation is triggered with a negative slope which is not "
                "supported. This is caused by calling in-place forward function with a negative slope, please "
                "call out-of-place version instead. File an issue at https://github.com/pytorch/pytorch if you "
                "do require supporting in-place leakRelu backward calculation with negative slope"
            )
        (r,) = self.unpack(F)
        return (F.where(F.gt(r, 0), g, g * self.negative_slope),)


_ONE_SIXTH_F32 = float(xp.float32(1.0) / xp.float32(6.0))  # PyTorch's ``1.0f / 6.0f``, for every dtype


def _hard_sigmoid_array(d: Any) -> Any:
    return xp.minimum(xp.maximum(d + 3, 0), 6) / 6


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(input + 3, 0), 6) / 6.  d/dinput = grad / 6 on (-3, 3), else 0."""
    if inplace:
        return _hardsigmoid_inplace(input)
    d = _float_only(input, "hardsigmoid_cpu")
    return _finish("hardsigmoid", input, wrap(_hard_sigmoid_array(d)), HardsigmoidBackward0(), "self")


class HardsigmoidBackward0(Node):
    __slots__ = ()
    formula = "hardsigmoid(self)"
    derivatives = ("where(-3 < self < 3, grad * float32(1 / 6), 0)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        gx = F.where(F.gt(x, -3.0) & F.lt(x, 3.0), g * _ONE_SIXTH_F32, 0.0)
        if F.tensor_mode and not transposing_rule():  # PyTorch has no derivative for hardsigmoid_backward
            gx = _without_derivative(gx, (g, x), _HardsigmoidBackwardBackward)
        return (gx,)


class _HardsigmoidBackwardBackward(Node):
    """Recorded as PyTorch records it (``NotImplemented``) by ``create_graph=True``; differentiating it raises."""

    __slots__ = ()
    formula = "hardsigmoid_backward(grad, self)"
    derivatives = ("not implemented", "not implemented")

    def name(self) -> str:
        return "torch::autograd::NotImplemented"

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        raise RuntimeError("derivative for aten::hardsigmoid_backward is not implemented")


_HardsigmoidBackwardBackward.__name__ = "NotImplemented"  # PyTorch's class name, which repr() prints


def _without_derivative(t: Tensor, inputs: tuple[Any, ...], node_cls: type[Node]) -> Tensor:
    """``t``'s value, recorded under a node whose backward raises (a derivative PyTorch does not have)."""
    r = wrap(t._data)
    inputs = tuple(i for i in inputs if isinstance(i, Tensor) and i._rg)  # PyTorch's edges: those needing grad
    if STATE.grad_enabled and inputs:
        record(r, node_cls(), inputs)
    return r


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """input * min(max(input + 3, 0), 6) / 6.  d/dinput = 0 below -3, grad * (input / 3 + 1/2) to 3, then grad."""
    if inplace:
        return _hardswish_inplace(input)
    d = _float_only(input, "hardswish_cpu")
    return _finish("hardswish", input, wrap(d * xp.minimum(xp.maximum(d + 3, 0), 6) / 6), HardswishBackward0(),
                   "self")


class HardswishBackward0(Node):
    __slots__ = ()
    formula = "hardswish(self)"
    derivatives = ("where(self < -3, 0, where(self <= 3, grad * (self / 3 + 0.5), grad))",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (F.where(F.lt(x, -3.0), 0.0, F.where(F.ge(3.0, x), g * (x / 3 + 0.5), g)),)


_hardsigmoid_inplace = _unary_inplace(hardsigmoid)
_hardswish_inplace = _unary_inplace(hardswish)


# ====================================================================== exponential linear units
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _elu_array(d: Any, alpha: float, scale: float, input_scale: float) -> Any:
    """x * scale for x > 0, else expm1(x * input_scale) * alpha * scale."""
    def f(x: Any) -> Any:
        neg = xp.expm1(xp.minimum(x, 0) * input_scale) * (alpha * scale)
        return xp.where(x > 0, x * scale, neg)
    return _in_f64(f)(d)


def _elu(input: Tensor, alpha: float, scale: float, input_scale: float, inplace: bool, celu: bool = False) -> Tensor:
    """ELU, SELU and CELU: one kernel, recorded as EluBackward0 (in place: EluBackward1, saving the result)."""
    if inplace:
        return _elu_inplace(input, alpha, scale, input_scale, celu, True)
    return _elu_recorded(input, alpha, scale, input_scale, celu, False)


def _elu_recorded(input: Tensor, alpha: float, scale: float, input_scale: float, celu: bool,
                  saving_result: bool) -> Tensor:
    d = _float_only(input, "elu_cpu")
    r = wrap(_elu_array(d, alpha, scale, input_scale))
    if celu:
        node: Node = CeluBackward1() if saving_result else CeluBackward0()
        # PyTorch's CELU derivative takes 1 / alpha with alpha rounded to float32 (``alpha.toFloat()``)
        input_scale = 1.0 / float(xp.float32(alpha))
    else:
        node = EluBackward1() if saving_result else EluBackward0()
    node.alpha, node.scale, node.input_scale = alpha, scale, input_scale
    return _finish("elu", input, r, node, "result" if saving_result else "self")


_elu_inplace = _unary_inplace(_elu_recorded)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """input if input > 0 else alpha * (e ** input - 1).  d/dinput = grad or grad * alpha * e ** input."""
    return _elu(input, alpha, 1.0, 1.0, inplace)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``elu``; its node (EluBackward1) saves the result."""
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(input, alpha) with SELU's fixed alpha and scale (records EluBackward0)."""
    return _elu(input, _SELU_ALPHA, _SELU_SCALE, 1.0, inplace)


def selu_(input: Tensor) -> Tensor:
    """In-place ``selu``."""
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """input if input > 0 else alpha * (e ** (input / alpha) - 1).  d/dinput = grad or grad * e ** (input / alpha)."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _elu(input, alpha, 1.0, 1.0 / alpha, inplace, celu=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``celu``."""
    return celu(input, alpha, inplace=True)


class EluBackward0(Node):
    __slots__ = ("alpha", "scale", "input_scale")
    formula = "elu(self, alpha, scale, input_scale)"
    derivatives = ("where(self > 0, grad * scale, grad * input_scale * alpha * scale * exp(self * input_scale))",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        s, a, i = self.scale, self.alpha, self.input_scale
        return (F.where(F.gt(x, 0), g * s, g * (i * a * s) * F.exp(_nonpositive(F, x) * i)),)


class CeluBackward0(EluBackward0):
    __slots__ = ()
    formula = "celu(self, alpha)"
    derivatives = ("where(self > 0, grad, grad * exp(self / alpha))",)


class EluBackward1(Node):
    __slots__ = ("alpha", "scale", "input_scale")
    formula = "elu_(self, alpha, scale, input_scale)"
    derivatives = ("where(result > 0, grad * scale, grad * input_scale * (result + alpha * scale))",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        if self.alpha < 0:
            raise RuntimeError(
                "In-place elu backward calculation is triggered with a negative slope which is not supported. "
                "This is caused by calling in-place forward function with a negative slope, please call "
                "out-of-place version instead."
            )
        (r,) = self.unpack(F)
        s, a, i = self.scale, self.alpha, self.input_scale
        return (F.where(F.gt(r, 0), g * s, g * i * (r + a * s)),)


class CeluBackward1(EluBackward1):
    __slots__ = ()
    formula = "celu_(self, alpha)"
    derivatives = ("where(result > 0, grad, grad * (result / alpha + 1))",)


# ====================================================================== smooth activations
def gelu(input: Tensor, *, approximate: str = "none") -> Tensor:
    """input * Φ(input), Φ the normal CDF (``approximate='tanh'``: its tanh approximation).

    d/dinput = grad * (Φ(input) + input * φ(input)), φ the normal density (or the tanh form's derivative).
    """
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    d = _float_only(input, "GeluKernelImpl")
    f = _gelu_tanh_f64 if approximate == "tanh" else _gelu_f64
    n = GeluBackward0()
    n.approximate = approximate
    return _finish("gelu", input, wrap(_in_f64(f)(d)), n, "self")


_GELU_BETA = math.sqrt(2.0 / math.pi)  # tanh form: 0.5 x (1 + tanh(β (x + κ x³)))
_GELU_KAPPA = 0.044715
_GELU_PDF = 1.0 / math.sqrt(2.0 * math.pi)  # φ(x) = e ** (-x²/2) / sqrt(2π)


def _gelu_f64(x: Any) -> Any:
    e = _erf_f64(x * _SQRT1_2)  # x * 0.5 * (1 + erf(x / √2)), in place on erf's fresh result
    e += 1
    e *= x * 0.5
    return e


def _gelu_tanh_f64(x: Any) -> Any:
    return 0.5 * x * (1 + xp.tanh(_GELU_BETA * (x + _GELU_KAPPA * x * x * x)))


class GeluBackward0(Node):
    __slots__ = ("approximate",)
    formula = "gelu(self, approximate)"
    derivatives = ("grad * (Φ(self) + self * φ(self))   (or the derivative of the tanh form)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        if self.approximate == "none" and not F.tensor_mode:
            # the formula below in place (fresh arrays from erf and exp): the same operations
            cdf = F.erf(x * _SQRT1_2)
            cdf += 1
            cdf *= 0.5
            pdf = x * -0.5
            pdf *= x
            pdf = F.exp(pdf)
            pdf *= _GELU_PDF
            pdf *= x
            cdf += pdf
            cdf *= g
            return (cdf,)
        if self.approximate == "none":
            cdf = 0.5 * (1 + F.erf(x * _SQRT1_2))
            pdf = F.exp(-0.5 * x * x) * _GELU_PDF
            return (g * (cdf + x * pdf),)
        x_sq = x * x
        t = F.tanh(_GELU_BETA * (x + _GELU_KAPPA * x_sq * x))
        left_derivative = 0.5 * (1 + t)
        right_derivative = 0.5 * x * (1 - t * t) * (_GELU_BETA * (1 + 3 * _GELU_KAPPA * x_sq))
        return (g * (left_derivative + right_derivative),)


def _silu_f64(x: Any) -> Any:
    return x / (1 + xp.exp(-x))


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """input * sigmoid(input).  d/dinput = grad * s * (1 + input * (1 - s)), s = sigmoid(input)."""
    if inplace:
        return _silu_inplace(input)
    d = _float_only(input, "silu_cpu")
    return _finish("silu", input, wrap(_in_f64(_silu_f64)(d)), SiluBackward0(), "self")


class SiluBackward0(Node):
    __slots__ = ()
    formula = "silu(self)"
    derivatives = ("grad * sigmoid(self) * (1 + self * (1 - sigmoid(self)))",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        s = F.sigmoid(x)
        return (g * s * (1 + x * (1 - s)),)


def _mish_f64(x: Any) -> Any:
    return x * xp.tanh(_softplus_f64(x))


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """input * tanh(softplus(input)).  d/dinput = grad * (t + input * sigmoid(input) * (1 - t²)), t = tanh(softplus)."""
    if inplace:
        return _mish_inplace(input)
    d = _float_only(input, "mish_cpu")
    return _finish("mish", input, wrap(_in_f64(_mish_f64)(d)), MishBackward0(), "self")


class MishBackward0(Node):
    __slots__ = ()
    formula = "mish(self)"
    derivatives = ("grad * (tanh(softplus(self)) + self * sigmoid(self) * (1 - tanh(softplus(self)) ** 2))",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        t = F.tanh(F.softplus(x))
        return (g * (t + x * F.sigmoid(x) * (1 - t * t)),)


_silu_inplace = _unary_inplace(silu)
_mish_inplace = _unary_inplace(mish)


def _softplus_f64(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
    bx = x * beta
    # PyTorch's log1p(e ** bx) (for bx <= threshold), as max(bx, 0) + log1p(e ** -|bx|): the same value, no overflow
    soft = (xp.maximum(bx, 0) + xp.log1p(xp.exp(-xp.abs(bx)))) / beta
    return xp.where(bx > threshold, x, soft)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e ** (beta * input)) / beta; input itself where beta * input > threshold.

    d/dinput = grad * sigmoid(beta * input) (grad above the threshold).
    """
    d = _float_only(input, "softplus_cpu")
    n = SoftplusBackward0()
    n.beta, n.threshold = beta, threshold
    return _finish("softplus", input, wrap(_in_f64(lambda x: _softplus_f64(x, beta, threshold))(d)), n, "self")


class SoftplusBackward0(Node):
    __slots__ = ("beta", "threshold")
    formula = "softplus(self, beta, threshold)"
    derivatives = ("where(self * beta > threshold, grad, grad * sigmoid(self * beta))",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        bx = x * self.beta
        return (F.where(F.gt(bx, self.threshold), g, g * F.sigmoid(bx)),)


def _logsigmoid_f64(x: Any) -> Any:
    return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(input)) = min(input, 0) - log1p(e ** -|input|).  d/dinput = grad * sigmoid(-input)."""
    d = _float_only(input, "log_sigmoid_cpu")
    return _finish("logsigmoid", input, wrap(_in_f64(_logsigmoid_f64)(d)), LogSigmoidBackward0(), "self")


class LogSigmoidBackward0(Node):
    __slots__ = ()
    formula = "log_sigmoid(self)"
    derivatives = ("grad * sigmoid(-self)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (g * F.sigmoid(-x),)


def softsign(input: Tensor) -> Tensor:
    """input / (1 + |input|), composed as PyTorch composes it (DivBackward0 over AddBackward0 over AbsBackward0)."""
    if input._data.dtype == xp.bool_:
        raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
    return E.div(input, E.add(E.abs(input), 1))


# ====================================================================== F functions for the rules above
register_rule_fn("erf", _erf_array, erf)
register_rule_fn("rsqrt", _rsqrt_array, rsqrt)
register_rule_fn("sinh", _sinh_array, sinh)
register_rule_fn("cosh", _cosh_array, cosh)
register_rule_fn("sigmoid", E._stable_sigmoid, E.sigmoid)
register_rule_fn("softplus", _in_f64(_softplus_f64), softplus)
register_rule_fn("isfinite", xp.isfinite, E.isfinite)


# ====================================================================== in place
exp2_ = _unary_inplace(exp2)
expm1_ = _unary_inplace(expm1)
log2_ = _unary_inplace(log2)
log10_ = _unary_inplace(log10)
log1p_ = _unary_inplace(log1p)
rsqrt_ = _unary_inplace(rsqrt)
tan_ = _unary_inplace(tan)
asin_ = _unary_inplace(asin)
acos_ = _unary_inplace(acos)
atan_ = _unary_inplace(atan)
sinh_ = _unary_inplace(sinh)
cosh_ = _unary_inplace(cosh)
asinh_ = _no_derivative_inplace("asinh", _asinh_array, AsinhBackward1)
acosh_ = _no_derivative_inplace("acosh", _acosh_array, AcoshBackward1)
atanh_ = _no_derivative_inplace("atanh", _atanh_array, AtanhBackward1)
arcsin_, arccos_, arctan_, arcsinh_, arccosh_, arctanh_ = asin_, acos_, atan_, asinh_, acosh_, atanh_
logit_ = _unary_inplace(logit)
erf_ = _unary_inplace(erf)
erfc_ = _unary_inplace(erfc)
floor_ = _unary_inplace(floor)
ceil_ = _unary_inplace(ceil)
round_ = _unary_inplace(round)
trunc_ = _unary_inplace(trunc)
fix_ = _unary_inplace(fix)
frac_ = _unary_inplace(frac)
nan_to_num_ = _unary_inplace(nan_to_num)

#: Tensor methods this family adds (name -> function)
METHODS: dict[str, Any] = {
    name: globals()[name]
    for base in ("exp2", "expm1", "log2", "log10", "log1p", "rsqrt", "tan", "asin", "acos", "atan", "sinh", "cosh",
                 "asinh", "acosh", "atanh", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "logit",
                 "erf", "erfc", "floor", "ceil", "round", "trunc", "fix", "frac", "nan_to_num")
    for name in (base, base + "_")
}
