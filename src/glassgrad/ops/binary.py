"""Binary and ternary elementwise ops: atan2, clamp, fmax/fmin, lerp, fmod, remainder,
floor_divide, hypot, copysign, xlogy and the logical ops.

Each op is its forward function followed by its node class (named as PyTorch names
its ``grad_fn``); the node's ``backward`` is the derivative rule, written with
operators and ``F`` so that it runs on arrays and, for ``create_graph=True``, on
Tensors.  Broadcasting and dtype casts of gradients are undone by the engine.
The in-place twins (``clamp_``, ``lerp_``…) and the ``%``/``//`` operators are at
the end.
"""

from __future__ import annotations

from typing import Any

from ..backends import backend
from . import elementwise as E
from ._base import FROM_NP, STATE, D, Node, Tensor, broadcast_error, operands, record, saved_output, wrap, xp
from ._ns import register_rule_fn
from .inplace import _commit, _rebase, _recording, _snapshot, _write

_nb = backend().ns
_default_np = lambda: D.get_default_dtype().np  # noqa: E731


# ====================================================================== helpers
def _req(x: Any) -> bool:
    return isinstance(x, Tensor) and x._rg


def _grad_on(*xs: Any) -> bool:
    """True when an op on ``xs`` must be recorded."""
    return STATE.grad_enabled and any(_req(x) for x in xs)


def _type_name(np_dtype: Any) -> str:
    """PyTorch's ScalarType name (``Float``, ``Long``…) used in its error messages."""
    return FROM_NP[np_dtype].scalar_name


#: the C++ type names PyTorch prints in some messages ("expected dtype float…")
_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
              "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
              "bool": "bool"}


def _cpp_name(np_dtype: Any) -> str:
    return _CPP_NAMES[xp.dtype(np_dtype).name]


def _arg_type(x: Any) -> str:
    return "Tensor" if isinstance(x, Tensor) else type(x).__name__


def _expect_tensor(fname: str, name: str, pos: int, x: Any) -> None:
    """PyTorch's TypeError for a non-Tensor where only a Tensor is accepted."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{fname}(): argument '{name}' (position {pos}) must be Tensor, not {_arg_type(x)}")


def _invalid_combination(fname: str, args: tuple[Any, ...], signatures: tuple[str, ...]) -> TypeError:
    """PyTorch's TypeError when no overload accepts ``args`` (the signatures as it prints them).

    The error remembers its parts (``overloads``) so that the method spelling can restate it.
    """
    got = [_arg_type(a) for a in args]
    msg = f"{fname}() received an invalid combination of arguments - got ({', '.join(got)}), but expected one of:\n"
    for sig in signatures:
        msg += f" * ({sig})\n"
        if "*" not in sig:  # PyTorch details the mismatch for signatures without keyword-only arguments
            msg += ("      didn't match because some of the arguments have invalid types: ("
                    + ", ".join(f"!{t}!" for t in got) + ")\n")
    err = TypeError(msg)
    err.overloads = (args, signatures)  # type: ignore[attr-defined]
    return err


def _method_signature(sig: str) -> str:
    """A function signature as PyTorch prints it for the method: no ``input``, no ``out``."""
    return sig.replace("Tensor input, ", "").replace(", *, Tensor out = None", "")


def _is_number(x: Any) -> bool:
    return isinstance(x, (bool, int, float)) or (hasattr(x, "item") and getattr(x, "ndim", 1) == 0
                                                  and not isinstance(x, Tensor))


def _number(x: Any) -> Any:
    """A Python number (NumPy scalars act as Python numbers)."""
    return x if isinstance(x, (bool, int, float)) else x.item()


def _out(name: str, r: Tensor, out: Tensor | None) -> Tensor:
    """Write ``r`` into ``out=`` (PyTorch's error, naming the op, when autograd would be needed)."""
    if out is not None and STATE.grad_enabled and (r._rg or out._rg):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    return E._out(r, out)


def _broadcasting(fn: Any, *arrays: Any) -> Any:
    """``fn(*arrays)`` with PyTorch's error for shapes that do not broadcast."""
    try:
        return fn(*arrays)
    except ValueError:
        shapes = [a for a in arrays if hasattr(a, "shape")]
        for i in range(1, len(shapes)):
            try:
                xp.broadcast_shapes(*(s.shape for s in shapes[:i + 1]))
            except ValueError:
                lead = xp.broadcast_to(xp.empty(()), xp.broadcast_shapes(*(s.shape for s in shapes[:i])))
                raise broadcast_error(lead, shapes[i]) from None
        raise


def _floating(d: Any) -> Any:
    """Integer and bool operands of float-valued functions compute in the default dtype."""
    if hasattr(d, "dtype"):
        return d if d.dtype.kind == "f" else d.astype(_default_np())
    return float(d)


def _precise(fn: Any) -> Any:
    """``fn`` evaluated in float64 for float16/float32 operands and rounded back (PyTorch parity)."""
    def wrapped(a: Any, b: Any) -> Any:
        dt = a.dtype if hasattr(a, "dtype") else b.dtype
        if dt == xp.float32 or dt == xp.float16:
            return fn(xp.asarray(a, dtype=xp.float64), xp.asarray(b, dtype=xp.float64)).astype(dt)
        return fn(a, b)
    return wrapped


def _not_implemented_for(kernel: str, np_dtype: Any) -> NotImplementedError:
    return NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(np_dtype)}'")


def _check_int_division(a: Any, b: Any) -> None:
    """Integer division (fmod, remainder, floor_divide) by zero raises, as in PyTorch."""
    dt = a.dtype if hasattr(a, "dtype") else b.dtype
    if dt.kind in "iu" and (xp.asarray(b) == 0).any():
        raise RuntimeError("ZeroDivisionError")


def _result_np(*args: Any) -> Any:
    """The dtype PyTorch gives an op on ``args`` (tensors, 0-d tensors, Python numbers; None skipped)."""
    dims, zero_dims, scalars = [], [], []
    for a in args:
        if isinstance(a, Tensor):
            (zero_dims if a._data.ndim == 0 else dims).append(FROM_NP[a._data.dtype])
        elif a is not None:
            v = _number(a)
            scalars.append(D.bool_ if isinstance(v, bool) else D.int64 if isinstance(v, int)
                           else D.get_default_dtype())
    return D.result_type(dims, zero_dims, scalars).np


class NotImplementedBackward(Node):
    """The node PyTorch records for an op without a derivative: backward through it fails."""

    __slots__ = ("op",)
    formula = "an op without a derivative (floor_divide, remainder(number, tensor), scatter(reduce=...))"
    derivatives = ("error: derivative for aten::<op> is not implemented",)

    def name(self) -> str:
        return "torch::autograd::NotImplemented"

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        raise RuntimeError(f"derivative for aten::{self.op} is not implemented")


# PyTorch's Python type of this node is ``NotImplemented`` (its repr and ``grad_fn=<...>`` show that name)
NotImplementedBackward.__name__ = NotImplementedBackward.__qualname__ = "NotImplemented"


def record_not_implemented(out: Tensor, op: str, *inputs: Any) -> Tensor:
    """Give ``out`` PyTorch's NotImplemented grad_fn when one of ``inputs`` requires grad."""
    if _grad_on(*inputs):
        n = NotImplementedBackward()
        n.op = op
        record(out, n, tuple(t for t in inputs if _req(t)))  # edges only to inputs that require grad
    return out


# ====================================================================== atan2, hypot
def atan2(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Angle of (other, input) in radians.  d/dinput = grad * other / (input² + other²),
    d/dother = -grad * input / (input² + other²)."""
    return _out("atan2", _atan2("atan2", input, other), out)


def arctan2(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Alias of ``atan2``."""
    return _out("arctan2", _atan2("arctan2", input, other), out)


def _atan2(name: str, input: Tensor, other: Tensor) -> Tensor:
    _expect_tensor(name, "input", 1, input)
    _expect_tensor(name, "other", 2, other)
    a, b = operands(input, other)
    r = wrap(_broadcasting(_precise(xp.arctan2), _floating(a), _floating(b)))
    if _grad_on(input, other):
        record(r, Atan2Backward0(), (input, other), (input, other))
    return r


class Atan2Backward0(Node):
    __slots__ = ()
    formula = "atan2(self, other)"
    derivatives = ("grad * other * r, r = 1 / (self * self + other * other), 0 where infinite",
                   "grad * -self * r")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        a, b = self.unpack(F)
        r = 1.0 / (a * a + b * b)
        r = F.where(F.eq(r, float("inf")), 0.0, r)  # PyTorch: zero gradient at the origin
        return (g * b * r if self.needs(0) else None, g * -a * r if self.needs(1) else None)


def hypot(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """sqrt(input² + other²) without overflow.  d/dinput = grad * input / result, d/dother = grad * other / result."""
    _expect_tensor("hypot", "input", 1, input)
    _expect_tensor("hypot", "other", 2, other)
    a, b = operands(input, other)
    if a.dtype.kind != "f":
        raise _not_implemented_for("hypot_cpu", a.dtype)
    r = wrap(_broadcasting(_precise(xp.hypot), a, b))
    if _grad_on(input, other):
        record(r, HypotBackward0(), (input, other), (input, other, saved_output(r)))
    return _out("hypot", r, out)


class HypotBackward0(Node):
    __slots__ = ()
    formula = "hypot(self, other)"
    derivatives = ("grad * self / result", "grad * other / result")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        a, b, r = self.unpack(F)
        return (g * a / r if self.needs(0) else None, g * b / r if self.needs(1) else None)


# ====================================================================== clamp
_CLAMP_SIGNATURES = ("Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None",
                     "Tensor input, Number min = None, Number max = None, *, Tensor out = None")


def clamp(input: Tensor, min: Any = None, max: Any = None, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """``min(max(input, min), max)`` (NaN propagates).  d/dinput = grad where min <= input <= max
    (the bounds included), else 0; a tensor bound gets the grad where it is the result."""
    return _out("clamp", _clamp_checked("clamp", input, min, max), out)


def clip(input: Tensor, min: Any = None, max: Any = None, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """Alias of ``clamp``."""
    return _out("clip", _clamp_checked("clip", input, min, max), out)


def _clamp_checked(name: str, input: Tensor, lo: Any, hi: Any) -> Tensor:
    if lo is None and hi is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    tmin, tmax = isinstance(lo, Tensor), isinstance(hi, Tensor)
    if (tmin and hi is not None and not tmax) or (tmax and lo is not None and not tmin):
        # PyTorch takes a 0-d tensor that does not require grad as a number
        if not (_as_number(lo) and _as_number(hi)):
            raise _invalid_combination(name, (input, lo, hi), _CLAMP_SIGNATURES)
        lo, hi = (b.item() if isinstance(b, Tensor) else b for b in (lo, hi))
    return _clamp(input, lo, hi)


def _as_number(x: Any) -> bool:
    """True for what PyTorch accepts as a Number argument: a number, or a 0-d tensor not requiring grad."""
    return _is_number(x) or (isinstance(x, Tensor) and x._data.ndim == 0 and not x._rg)


def _clamp(input: Tensor, lo: Any, hi: Any, node: type[Node] | None = None) -> Tensor:
    """The clamp forward for every spelling; ``node`` overrides the grad_fn class (clamp_min/max)."""
    tensors = isinstance(lo, Tensor) or isinstance(hi, Tensor)
    if not tensors:
        lo = None if lo is None else _number(lo)
        hi = None if hi is None else _number(hi)
    dt = _result_np(input, lo, hi)
    r = input._data.astype(dt, copy=False)
    bounds = [b if b is None or not isinstance(b, Tensor) else b._data.astype(dt, copy=False) for b in (lo, hi)]
    if bounds[0] is not None:
        r = _broadcasting(_raise_to, r, bounds[0])
    if bounds[1] is not None:
        r = _broadcasting(_lower_to, r, bounds[1])
    res = wrap(r)
    if tensors:
        if _grad_on(input, lo, hi):
            args = (input, lo, hi) if node is None else (input, hi if lo is None else lo)
            record(res, (node or ClampBackward0)(), args, args)
    elif _grad_on(input):
        n = (node or ClampBackward1)()
        n.min, n.max = lo, hi
        record(res, n, (input,), (input,))
    return res


def _raise_to(x: Any, lo: Any) -> Any:
    """``max(x, lo)`` as PyTorch: NaN in either propagates, a tie (±0) keeps ``x``."""
    return xp.where((x < lo) | (lo != lo), lo, x)


def _lower_to(x: Any, hi: Any) -> Any:
    """``min(x, hi)`` as PyTorch: NaN in either propagates, a tie (±0) keeps ``x``."""
    return xp.where((x > hi) | (hi != hi), hi, x)


def _keep_between(F: Any, x: Any, lo: Any, hi: Any) -> Any:
    """Where ``lo <= x <= hi`` (a None bound is no bound): where clamp passes its input through."""
    if lo is not None and hi is not None:
        return F.ge(x, lo) & F.ge(hi, x)
    if lo is not None:
        return F.ge(x, lo)
    return F.ge(hi, x)


class ClampBackward1(Node):
    __slots__ = ("min", "max")
    formula = "clamp(self, min, max)   (min, max numbers)"
    derivatives = ("where(min <= self <= max, grad, 0)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (F.where(_keep_between(F, x, self.min, self.max), g, 0.0),)


class ClampBackward0(Node):
    __slots__ = ()
    formula = "clamp(self, min, max)   (min, max tensors)"
    derivatives = ("where(min <= self <= max, grad, 0)", "where(self < min and min < max, grad, 0)",
                   "where(self > max or max < min, grad, 0)")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        x, lo, hi = self.unpack(F)
        gx = F.where(_keep_between(F, x, lo, hi), g, 0.0) if self.needs(0) else None
        glo = ghi = None
        if self.needs(1):
            below = F.lt(x, lo) if hi is None else F.lt(x, lo) & F.lt(lo, hi)
            glo = F.where(below, g, 0.0)
        if self.needs(2):
            above = F.gt(x, hi) if lo is None else F.gt(x, hi) | F.lt(hi, lo)
            ghi = F.where(above, g, 0.0)
        return gx, glo, ghi


def clamp_min(input: Tensor, min: Any, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """``max(input, min)``.  d/dinput = grad where input >= min; a tensor min gets grad where input < min."""
    if min is None:
        raise _invalid_combination("clamp_min", (input, min), (
            "Tensor input, Tensor min, *, Tensor out = None", "Tensor input, Number min, *, Tensor out = None"))
    node = ClampMinBackward1 if isinstance(min, Tensor) else ClampMinBackward0
    return _out("clamp_min", _clamp(input, min, None, node), out)


def clamp_max(input: Tensor, max: Any, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """``min(input, max)``.  d/dinput = grad where input <= max; a tensor max gets grad where input > max."""
    if max is None:
        raise _invalid_combination("clamp_max", (input, max), (
            "Tensor input, Tensor max, *, Tensor out = None", "Tensor input, Number max, *, Tensor out = None"))
    node = ClampMaxBackward1 if isinstance(max, Tensor) else ClampMaxBackward0
    return _out("clamp_max", _clamp(input, None, max, node), out)


class ClampMinBackward0(Node):
    __slots__ = ("min", "max")
    formula = "clamp_min(self, min)   (min a number)"
    derivatives = ("where(self >= min, grad, 0)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (F.where(F.ge(x, self.min), g, 0.0),)


class ClampMaxBackward0(Node):
    __slots__ = ("min", "max")
    formula = "clamp_max(self, max)   (max a number)"
    derivatives = ("where(self <= max, grad, 0)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (F.where(F.ge(self.max, x), g, 0.0),)


class ClampMinBackward1(Node):
    __slots__ = ()
    formula = "clamp_min(self, min)   (min a tensor)"
    derivatives = ("where(self >= min, grad, 0)", "where(self < min, grad, 0)")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        x, lo = self.unpack(F)
        keep = F.ge(x, lo)
        return (F.where(keep, g, 0.0) if self.needs(0) else None,
                F.where(keep, 0.0, g) if self.needs(1) else None)


class ClampMaxBackward1(Node):
    __slots__ = ()
    formula = "clamp_max(self, max)   (max a tensor)"
    derivatives = ("where(self <= max, grad, 0)", "where(self > max, grad, 0)")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        x, hi = self.unpack(F)
        keep = F.ge(hi, x)
        return (F.where(keep, g, 0.0) if self.needs(0) else None,
                F.where(keep, 0.0, g) if self.needs(1) else None)


# ====================================================================== fmax, fmin
def fmax(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Elementwise max ignoring NaN.  d/dinput = grad where input >= other or other is NaN, d/dother = the rest."""
    return _fminmax("fmax", input, other, lambda a, b: xp.where((a >= b) | (b != b), a, b), FmaxBackward0, out)


def fmin(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Elementwise min ignoring NaN.  d/dinput = grad where input <= other or other is NaN, d/dother = the rest."""
    return _fminmax("fmin", input, other, lambda a, b: xp.where((a <= b) | (b != b), a, b), FminBackward0, out)


def _fminmax(name: str, input: Any, other: Any, fn: Any, cls: type[Node], out: Tensor | None) -> Tensor:
    _expect_tensor(name, "input", 1, input)
    _expect_tensor(name, "other", 2, other)
    a, b = operands(input, other)
    r = wrap(_broadcasting(fn, a, b))
    if _grad_on(input, other):
        record(r, cls(), (input, other), (input, other))
    return _out(name, r, out)


class FmaxBackward0(Node):
    __slots__ = ()
    formula = "fmax(self, other)"
    derivatives = ("where(self >= other or isnan(other), grad, 0)", "where(self >= other or isnan(other), 0, grad)")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        a, b = self.unpack(F)
        to_self = F.ge(a, b) | ~F.eq(b, b)
        return (F.where(to_self, g, 0.0) if self.needs(0) else None,
                F.where(to_self, 0.0, g) if self.needs(1) else None)


class FminBackward0(Node):
    __slots__ = ()
    formula = "fmin(self, other)"
    derivatives = ("where(self <= other or isnan(other), grad, 0)", "where(self <= other or isnan(other), 0, grad)")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        a, b = self.unpack(F)
        to_self = F.ge(b, a) | ~F.eq(b, b)
        return (F.where(to_self, g, 0.0) if self.needs(0) else None,
                F.where(to_self, 0.0, g) if self.needs(1) else None)


# ====================================================================== lerp
_LERP_SIGNATURES = ("Tensor input, Tensor end, Tensor weight, *, Tensor out = None",
                    "Tensor input, Tensor end, Number weight, *, Tensor out = None")


def lerp(input: Tensor, end: Tensor, weight: Any, *, out: Tensor | None = None) -> Tensor:
    """``input + weight * (end - input)``.  d/dinput = grad * (1 - weight), d/dend = grad * weight,
    d/dweight = grad * (end - input)."""
    if not isinstance(input, Tensor) or not isinstance(end, Tensor) or not (
            isinstance(weight, Tensor) or _is_number(weight)):
        raise _invalid_combination("lerp", (input, end, weight), _LERP_SIGNATURES)
    s, e = input._data, end._data
    wt = isinstance(weight, Tensor)
    if s.dtype.kind != "f":
        raise _not_implemented_for("lerp_kernel_tensor" if wt else "lerp_kernel_scalar", s.dtype)
    if e.dtype != s.dtype:
        raise RuntimeError(f"expected dtype {_cpp_name(s.dtype)} for `end` but got dtype {_cpp_name(e.dtype)}")
    if wt and weight._data.dtype != s.dtype and weight._data.ndim:
        raise RuntimeError(
            f"expected dtype {_cpp_name(s.dtype)} for `weight` but got dtype {_cpp_name(weight._data.dtype)}")
    op = xp.dtype(xp.float32) if s.dtype == xp.float16 else s.dtype  # float16 computes in float32 (PyTorch)
    w = weight._data.astype(op, copy=False) if wt else op.type(_number(weight))
    r = wrap(_broadcasting(_lerp_kernel, s.astype(op, copy=False), e.astype(op, copy=False), w).astype(s.dtype))
    if wt:
        if _grad_on(input, end, weight):
            record(r, LerpBackward1(), (input, end, weight), (input if weight._rg else None,
                                                               end if weight._rg else None, weight))
    elif _grad_on(input, end):
        n = LerpBackward0()
        n.weight = _number(weight)
        record(r, n, (input, end))
    return _out("lerp", r, out)


def _lerp_kernel(s: Any, e: Any, w: Any) -> Any:
    """PyTorch's CPU lerp: ``fma(w, e - s, s)`` for |w| < 0.5, else ``fma(w - 1, e - s, e)``.

    For float32 the fused multiply-add is emulated exactly enough in float64.
    """
    dt = s.dtype
    small = xp.abs(w) < 0.5
    coeff = xp.where(small, w, w - dt.type(1))
    base = xp.where(small, s, e)
    diff = e - s
    if dt == xp.float32:
        f64 = xp.float64
        return (coeff.astype(f64) * diff.astype(f64) + base.astype(f64)).astype(dt)
    return (coeff * diff + base).astype(dt, copy=False)


class LerpBackward0(Node):
    __slots__ = ("weight",)
    formula = "lerp(self, end, weight)   (weight a number)"
    derivatives = ("grad * (1 - weight)", "grad * weight")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        w = self.weight
        return (g * (1 - w) if self.needs(0) else None, g * w if self.needs(1) else None)


class LerpBackward1(Node):
    __slots__ = ()
    formula = "lerp(self, end, weight)   (weight a tensor)"
    derivatives = ("grad * (1 - weight)", "grad * weight", "grad * (end - self)")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        s, e, w = self.unpack(F)
        return (g * (1 - w) if self.needs(0) else None, g * w if self.needs(1) else None,
                g * (e - s) if self.needs(2) else None)


# ====================================================================== fmod, remainder, floor_divide
_FMOD_SIGNATURES = ("Tensor input, Tensor other, *, Tensor out = None",
                    "Tensor input, Number other, *, Tensor out = None")


def _division_operands(kernel: str, input: Any, other: Any) -> tuple[Any, Any]:
    """Promoted operands of fmod/remainder/floor_divide, with PyTorch's dtype and zero checks."""
    a, b = operands(input, other)
    dt = (a if hasattr(a, "dtype") else b).dtype
    if dt.kind == "b":
        raise _not_implemented_for(kernel, dt)
    _check_int_division(a, b)
    return a, b


def _torch_remainder(a: Any, b: Any) -> Any:
    """PyTorch's remainder: ``fmod`` moved to the sign of the divisor (a zero keeps fmod's sign)."""
    dt = (a if hasattr(a, "dtype") else b).dtype
    if dt.kind != "f":
        return xp.remainder(a, b)
    m = xp.fmod(a, b)
    return xp.where((m != 0) & ((b < 0) != (m < 0)), m + b, m).astype(dt, copy=False)


def fmod(input: Tensor, other: Any, *, out: Tensor | None = None) -> Tensor:
    """C's ``fmod`` (the result has the sign of input).  d/dinput = grad, d/dother = -grad * trunc(input / other)."""
    if not isinstance(input, Tensor) or not (isinstance(other, Tensor) or _is_number(other)):
        raise _invalid_combination("fmod", (input, other), _FMOD_SIGNATURES)
    a, b = _division_operands("fmod_cpu", input, other)
    r = wrap(_broadcasting(xp.fmod, a, b))
    if isinstance(other, Tensor):
        if _grad_on(input, other):
            record(r, FmodBackward1(), (input, other), (input if other._rg else None, other if other._rg else None))
    elif _grad_on(input):
        record(r, FmodBackward0(), (input,))
    return _out("fmod", r, out)


class FmodBackward0(Node):
    __slots__ = ()
    formula = "fmod(self, other)   (other a number)"
    derivatives = ("grad",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (g,)


class FmodBackward1(Node):
    __slots__ = ()
    formula = "fmod(self, other)"
    derivatives = ("grad", "-grad * trunc(self / other)")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        a, b = self.unpack(F)
        return (g if self.needs(0) else None, -g * F.div_trunc(a, b) if self.needs(1) else None)


def remainder(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """Python's ``%`` (the result has the sign of other).  d/dinput = grad,
    d/dother = -grad * floor(input / other); a number ``input`` has no derivative (as PyTorch)."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise _invalid_combination("remainder", (input, other), (
            "Tensor input, Tensor other, *, Tensor out = None", "Number self, Tensor other",
            "Tensor input, Number other, *, Tensor out = None"))
    a, b = _division_operands("remainder_cpu", input, other)
    r = wrap(_broadcasting(_torch_remainder, a, b))
    if not isinstance(input, Tensor):
        record_not_implemented(r, "remainder", other)
    elif isinstance(other, Tensor):
        if _grad_on(input, other):
            record(r, RemainderBackward1(), (input, other),
                   (input if other._rg else None, other if other._rg else None))
    elif _grad_on(input):
        record(r, RemainderBackward0(), (input,))
    return _out("remainder", r, out)


class RemainderBackward0(Node):
    __slots__ = ()
    formula = "remainder(self, other)   (other a number)"
    derivatives = ("grad",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (g,)


class RemainderBackward1(Node):
    __slots__ = ()
    formula = "remainder(self, other)"
    derivatives = ("grad", "-grad * floor(self / other)")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        a, b = self.unpack(F)
        return (g if self.needs(0) else None, -g * F.div_floor(a, b) if self.needs(1) else None)


def floor_divide(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """``floor(input / other)`` (Python's ``//``).  No derivative (PyTorch records NotImplemented)."""
    a, b = _division_operands("div_floor_cpu", input, other)
    r = wrap(_broadcasting(xp.floor_divide, a, b))
    return _out("floor_divide", record_not_implemented(r, "floor_divide", input, other), out)


# the rounded quotients the fmod/remainder rules use (as ops, their derivative is zero: DivBackward1)
register_rule_fn("div_trunc", lambda a, b: xp.trunc(a / b), lambda a, b: E.div(a, b, rounding_mode="trunc"))
register_rule_fn("div_floor", xp.floor_divide, lambda a, b: E.div(a, b, rounding_mode="floor"))


# ====================================================================== copysign, xlogy
def copysign(input: Tensor, other: Any, *, out: Tensor | None = None) -> Tensor:
    """|input| with the sign of other.  d/dinput = grad * result / input (0 where input == 0), d/dother = 0."""
    if not isinstance(input, Tensor) or not (isinstance(other, Tensor) or _is_number(other)):
        raise _invalid_combination("copysign", (input, other), _FMOD_SIGNATURES)
    a, b = operands(input, other)
    r = wrap(_broadcasting(xp.copysign, _floating(a), _floating(b)))
    if isinstance(other, Tensor):
        if _grad_on(input, other):
            record(r, CopysignBackward0(), (input, other), (input, saved_output(r)))
    elif _grad_on(input):
        record(r, CopysignBackward1(), (input,), (input, saved_output(r)))
    return _out("copysign", r, out)


def _copysign_self_grad(F: Any, g: Any, x: Any, r: Any) -> Any:
    return g * F.where(F.eq(x, 0), 0.0, r / x)


class CopysignBackward0(Node):
    __slots__ = ()
    formula = "copysign(self, other)"
    derivatives = ("grad * where(self == 0, 0, result / self)", "0")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        x, r = self.unpack(F)
        return (_copysign_self_grad(F, g, x, r) if self.needs(0) else None,
                F.zeros_like(g) if self.needs(1) else None)


class CopysignBackward1(Node):
    __slots__ = ()
    formula = "copysign(self, other)   (other a number)"
    derivatives = ("grad * where(self == 0, 0, result / self)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        x, r = self.unpack(F)
        return (_copysign_self_grad(F, g, x, r),)


def _xlogy_kernel(x: Any, y: Any) -> Any:
    """``x * log(y)``, 0 where x == 0, NaN where y is NaN (float32 log rounded as PyTorch's)."""
    x, y = _floating(x), _floating(y)
    dt = (x if hasattr(x, "dtype") else y).dtype
    x = xp.asarray(x, dtype=dt)
    y = xp.asarray(y, dtype=dt)
    r = _broadcasting(xp.multiply, x, _nb.log(y))
    return xp.where(xp.isnan(y), xp.nan, xp.where(x == 0, 0, r)).astype(dt, copy=False)


def xlogy(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """``input * log(other)``, 0 where input == 0.  d/dinput = xlogy(grad, other) (0 where input == 0 and
    other <= 0), d/dother = grad * input / other."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise _invalid_combination("xlogy", (input, other), (
            "Tensor input, Tensor other, *, Tensor out = None", "Number self, Tensor other, *, Tensor out = None",
            "Tensor input, Number other, *, Tensor out = None"))
    a, b = operands(input, other)
    r = wrap(_xlogy_kernel(a, b))
    if isinstance(input, Tensor) and isinstance(other, Tensor):
        if _grad_on(input, other):
            record(r, XlogyBackward0(), (input, other), (input, other))
    elif isinstance(other, Tensor):
        if _grad_on(other):
            n = XlogyBackward1()
            n.number = _number(input)
            record(r, n, (other,), (other,))
    elif _grad_on(input):
        n = XlogyBackward2()
        n.number = _number(other)
        record(r, n, (input,), (input,))
    return _out("xlogy", r, out)


def _xlogy_self_grad(F: Any, g: Any, x: Any, y: Any) -> Any:
    return F.where(F.eq(x, 0) & F.ge(0.0, y), 0.0, F.xlogy(g, y))


class XlogyBackward0(Node):
    __slots__ = ()
    formula = "xlogy(self, other)"
    derivatives = ("where(self == 0 and other <= 0, 0, xlogy(grad, other))", "grad * self / other")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        x, y = self.unpack(F)
        return (_xlogy_self_grad(F, g, x, y) if self.needs(0) else None, g * x / y if self.needs(1) else None)


class XlogyBackward1(Node):
    __slots__ = ("number",)
    formula = "xlogy(self, other)   (self a number)"
    derivatives = ("grad * self / other",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (y,) = self.unpack(F)
        return (g * self.number / y,)


class XlogyBackward2(Node):
    __slots__ = ("number",)
    formula = "xlogy(self, other)   (other a number)"
    derivatives = ("where(self == 0 and other <= 0, 0, xlogy(grad, other))",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        y = self.number
        if y <= 0:
            return (F.where(F.eq(x, 0), 0.0, F.xlogy(g, y)),)
        return (F.xlogy(g, y),)


register_rule_fn("xlogy", _xlogy_kernel, lambda a, b: xlogy(a, b))


# ====================================================================== logical ops (no gradient)
def _logical(name: str, fn: Any) -> Any:
    def op(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
        _expect_tensor(name, "input", 1, input)
        _expect_tensor(name, "other", 2, other)
        return _out(name, wrap(_broadcasting(fn, input._data, other._data)), out)
    op.__name__ = name
    op.__doc__ = f"Elementwise {name.replace('_', ' ')} of the truth values (a bool tensor, no gradient)."
    return op


logical_and = _logical("logical_and", xp.logical_and)
logical_or = _logical("logical_or", xp.logical_or)
logical_xor = _logical("logical_xor", xp.logical_xor)


# ====================================================================== methods, in-place variants, operators
def _method(fn: Any, *tensor_args: str | None, name: str = "") -> Any:
    """``Tensor.<name>``: PyTorch's TypeErrors for a method count positions from after ``self``
    and list the signatures without ``input`` and ``out``."""
    name = name or fn.__name__

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        for pos, (arg, a) in enumerate(zip(tensor_args, args), start=1):
            if arg is not None:  # None: a non-tensor argument in that position
                _expect_tensor(name, arg, pos, a)
        try:
            return fn(self, *args, **kwargs)
        except TypeError as e:
            overloads = getattr(e, "overloads", None)
            if overloads is None:
                raise
            raise _invalid_combination(name, overloads[0][1:],
                                       tuple(_method_signature(s) for s in overloads[1])) from None
    method.__name__ = name
    method.__doc__ = fn.__doc__
    return method


def _inplace(fn: Any, *tensor_args: str | None, name: str = "") -> Any:
    """The in-place twin of ``fn``: computed out of place, written back into ``self``, history rebased."""
    fn = _method(fn, *tensor_args, name=(name or fn.__name__) + "_")

    def op(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        if _recording(self) or _grad_on(*args, *kwargs.values()):
            return _rebase(self, fn(_snapshot(self), *args, **kwargs))
        _write(self, fn(self.detach(), *args, **kwargs)._data, fn.__name__)
        return _commit(self, None)
    op.__name__ = fn.__name__
    op.__doc__ = f"In-place ``{fn.__name__[:-1]}``."
    return op


def _clamp_inplace(fn: Any, *tensor_args: str | None, name: str = "") -> Any:
    """In-place clamp: PyTorch names the C++ type when the result cannot be cast back."""
    inplace = _inplace(fn, *tensor_args, name=name)

    def op(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        rt = _result_np(self, *args, *kwargs.values())
        if FROM_NP[rt].category > FROM_NP[self._data.dtype].category:
            raise RuntimeError(f"result type {_type_name(rt)} can't be cast to the desired output type "
                               f"{_cpp_name(self._data.dtype)}")
        return inplace(self, *args, **kwargs)
    op.__name__ = inplace.__name__
    op.__doc__ = inplace.__doc__
    return op


def _rfloordiv(self: Tensor, other: Any) -> Tensor:
    return floor_divide(other, self)


def _rmod(self: Tensor, other: Any) -> Tensor:
    return remainder(other, self)


__all__ = ["atan2", "arctan2", "clamp", "clip", "clamp_min", "clamp_max", "fmax", "fmin", "lerp", "fmod",
           "remainder", "floor_divide", "hypot", "copysign", "xlogy", "logical_and", "logical_or", "logical_xor"]

#: Tensor methods this family adds (name -> function)
_TENSOR_OTHER = ("atan2", "arctan2", "hypot", "fmax", "fmin", "logical_and", "logical_or", "logical_xor")
_FUNCTIONS = {name: globals()[name] for name in __all__}
METHODS: dict[str, Any] = {
    name: _method(fn, *(("other",) if name in _TENSOR_OTHER else ()), name=name) for name, fn in _FUNCTIONS.items()
}
METHODS.update({"__mod__": remainder, "__rmod__": _rmod, "__floordiv__": floor_divide,
                "__rfloordiv__": _rfloordiv})
for _name, _fn in _FUNCTIONS.items():
    if _name not in ("fmax", "fmin"):  # PyTorch has no fmax_ / fmin_
        _make = _clamp_inplace if _name.startswith("clamp") or _name == "clip" else _inplace
        METHODS[_name + "_"] = _make(_fn, *(("other",) if _name in _TENSOR_OTHER else ()), name=_name)
METHODS["__imod__"] = METHODS["remainder_"]
METHODS["__ifloordiv__"] = METHODS["floor_divide_"]

#: names of this family's functions that also live in glassgrad.nn.functional
FUNCTIONAL: list[str] = []
