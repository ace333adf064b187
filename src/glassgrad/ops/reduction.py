"""Reductions: sum, prod, var/std, norms, logsumexp, cumsum/cumprod, max/min, all/any, median, sort, topk.

Also mean, nansum/nanmean, var_mean/std_mean, amax/amin/aminmax, argmax/argmin,
count_nonzero, and the other value-selecting ops (nanmedian, kthvalue, mode,
argsort, msort).

The gradient of a reduction is the incoming gradient put back in the reduced
positions: expanded for sum/mean, routed to the selected element for the
value-selecting ops (``max(dim)``, ``sort``…), shared evenly among ties for
``max()``, ``amax`` and ``median()``.

Where PyTorch's CPU kernels let the C++ standard library (``std::sort``,
``std::nth_element``, ``std::partial_sort``) or its own quickselect decide
among equal values, the same algorithms are replayed here (last section), so
ties come out at the same indices and gradients reach the same elements.
"""

from __future__ import annotations

import builtins
import math
import warnings
from typing import Any

from ..tensor import _C_NAMES
from ._base import STATE, D, Node, Tensor, dims_arg, record, record_outputs, saved_output, wrap, wrap_dim, xp
from ._ns import register_rule_fn
from .elementwise import _out
from .inplace import _unary_inplace
from .return_types import return_type
from .scatter import embed, take_key

_default_np = lambda: D.get_default_dtype().np  # noqa: E731
#: the default of an argument whose presence matters: ``sort(stable=...)`` picks another overload;
#: a missing ``dim`` of ``logsumexp``/``cumsum``/``cumprod`` is reported in PyTorch's words
_UNSET: Any = object()


# ====================================================================== helpers
def _dims_or_all(dim: Any, ndim: int) -> tuple[int, ...] | None:
    """``dim`` as sorted axes; None for "every dim" (``dim=None`` or an empty list)."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        return None  # PyTorch: an empty dim list reduces over everything
    axes = dims_arg(dim, ndim)
    return () if ndim == 0 else axes  # a 0-d tensor accepts dim 0 / -1 and reduces nothing


def _unsqueeze_dims(F: Any, g: Any, dims: tuple[int, ...] | None, keepdim: bool) -> Any:
    """Put the reduced dims back as size-1 dims (PyTorch's ``unsqueeze_multiple``)."""
    if not keepdim and dims:
        for a in dims:  # sorted ascending
            g = F.unsqueeze(g, a)
    return g


def _count(shape: tuple[int, ...], dims: tuple[int, ...] | None) -> int:
    """How many elements each output element reduces."""
    return math.prod(shape) if dims is None else math.prod(shape[a] for a in dims)


def _keep(r: Any, axes: tuple[int, ...] | None, keepdim: bool) -> Any:
    """A result computed with ``keepdims=True``, squeezed unless ``keepdim``."""
    if keepdim:
        return r
    return r.reshape(()) if axes is None else r.reshape([s for i, s in enumerate(r.shape) if i not in axes])


def _acc(d: Any) -> Any:
    """float16 is accumulated in float32, as PyTorch's CPU kernels do."""
    return d.astype(xp.float32) if d.dtype == xp.float16 else d


def _sum_dtype(d: Any, dtype: D.dtype | None) -> Any:
    """The input of a sum-like op: cast to ``dtype``; integers and bools sum as int64."""
    if dtype is not None:
        return d.astype(dtype.np)
    return d.astype(xp.int64) if d.dtype.kind in "biu" else d


def _data(x: Any) -> Any:
    """The array behind a rule's value (a Tensor with ``create_graph``, else an array)."""
    return x._data if isinstance(x, Tensor) else x


def _has_zero(x: Any) -> bool:
    return bool((_data(x) == 0).any())


def _is_nan(x: Any) -> bool:
    d = _data(x)
    return d.dtype.kind == "f" and bool(xp.isnan(d).any())


def _type_name(d: Any) -> str:
    """PyTorch's ScalarType name (``Float``, ``Long``…) used in its messages."""
    return D.FROM_NP[d.dtype].scalar_name


def _along(dim: int, s: Any) -> tuple[Any, ...]:
    """An index that applies ``s`` along ``dim`` (a non-negative axis)."""
    return (slice(None),) * dim + (s,)


def _write_out(name: str, r: Tensor, out: Tensor | None) -> Tensor:
    """``out=``: ``r`` written into ``out`` (PyTorch refuses when gradients are recorded)."""
    if out is not None and STATE.grad_enabled and (r._rg or out._rg):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    return _out(r, out)


def _nonempty_dim(name: str, d: Any, ax: int) -> None:
    if d.ndim and d.shape[ax] == 0:
        raise IndexError(f"{name}: Expected reduction dim {ax} to have non-zero size.")


# ---------------------------------------------------------------------- rule functions
# Derivative rules below call ``F.cumsum``, ``F.cumprod``, ``F.reverse`` and ``F.shift_right``;
# on Tensors (``create_graph=True``) they are built from differentiable ops.
def _reverse_array(x: Any, dim: int) -> Any:
    return xp.flip(x, dim)


def _reverse_tensor(x: Tensor, dim: int) -> Tensor:
    return take_key(x, _along(dim, slice(None, None, -1)))


def _shift_right_array(x: Any, dim: int, fill: float) -> Any:
    out = xp.empty_like(x)
    out[_along(dim, slice(1, None))] = x[_along(dim, slice(0, -1))]
    out[_along(dim, slice(0, 1))] = fill
    return out


def _shift_right_tensor(x: Tensor, dim: int, fill: float) -> Tensor:
    """``x`` moved one step along ``dim``: ``fill`` in front, the last element dropped."""
    from .elementwise import add
    d = x._data
    moved = embed(take_key(x, _along(dim, slice(0, -1))), d.shape, _along(dim, slice(1, None)), False)
    head = xp.zeros(d.shape, d.dtype)
    head[_along(dim, slice(0, 1))] = fill
    return add(moved, Tensor._make(head))


def _reversed_cumsum(F: Any, w: Any, dim: int) -> Any:
    """``w.flip(dim).cumsum(dim).flip(dim)``: sums from each position to the end."""
    return F.reverse(F.cumsum(F.reverse(w, dim), dim), dim)


def _prod_others(F: Any, x: Any, dim: int) -> Any:
    """The product of all other elements along ``dim`` (exact with zeros): exclusive cumprods from both ends."""
    left = F.cumprod(F.shift_right(x, dim, 1.0), dim)
    right = F.reverse(F.cumprod(F.shift_right(F.reverse(x, dim), dim, 1.0), dim), dim)
    return left * right


# ====================================================================== sum, mean, nansum, nanmean
def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: D.dtype | None = None) -> Tensor:  # noqa: A001
    """Sum of elements (over ``dim``).  d/dinput = grad expanded back to input's shape."""
    d = _sum_dtype(input._data, dtype)
    axes = _dims_or_all(dim, d.ndim)
    if axes is None and dim is None:
        r = wrap(d.sum())
        if STATE.grad_enabled and input._rg:
            n = SumBackward0()
            n.shape = d.shape
            record(r, n, (input,))
        return r
    r = wrap(d.sum(axis=axes, keepdims=keepdim))
    if STATE.grad_enabled and input._rg:
        n = SumBackward1()
        n.shape = d.shape
        n.dims = axes if axes is not None else tuple(range(d.ndim))
        n.keepdim = keepdim
        record(r, n, (input,))
    return r


class SumBackward0(Node):
    __slots__ = ("shape",)
    formula = "sum(self)"
    derivatives = ("grad.expand(self.shape)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.expand(g, self.shape),)


class SumBackward1(Node):
    __slots__ = ("shape", "dims", "keepdim")
    formula = "sum(self, dim, keepdim)"
    derivatives = ("grad.unsqueeze(dim).expand(self.shape)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.expand(_unsqueeze_dims(F, g, self.dims, self.keepdim), self.shape),)


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: D.dtype | None = None) -> Tensor:
    """Mean of elements (over ``dim``).  d/dinput = grad expanded back, divided by the count."""
    d = input._data
    if dtype is not None:
        d = d.astype(dtype.np)
    if d.dtype.kind != "f":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex "
            f"dtype. Got: {_type_name(d)}"
        )
    axes = _dims_or_all(dim, d.ndim)
    if dim is None:
        r = wrap(d.mean() if d.size else xp.asarray(xp.nan, dtype=d.dtype))
        if STATE.grad_enabled and input._rg:
            n = MeanBackward0()
            n.shape = d.shape
            n.count = d.size
            record(r, n, (input,))
        return r
    r = wrap(d.mean(axis=axes, keepdims=keepdim).astype(d.dtype, copy=False))
    if STATE.grad_enabled and input._rg:
        n = MeanBackward1()
        n.shape = d.shape
        n.dims = axes if axes is not None else tuple(range(d.ndim))
        n.keepdim = keepdim
        n.count = _count(d.shape, n.dims)
        record(r, n, (input,))
    return r


class MeanBackward0(Node):
    __slots__ = ("shape", "count")
    formula = "mean(self)"
    derivatives = ("grad.expand(self.shape) / self.numel()",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.expand(g / self.count, self.shape),)


class MeanBackward1(Node):
    __slots__ = ("shape", "dims", "keepdim", "count")
    formula = "mean(self, dim, keepdim)"
    derivatives = ("grad.unsqueeze(dim).expand(self.shape) / count",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.expand(_unsqueeze_dims(F, g / self.count, self.dims, self.keepdim), self.shape),)


def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: D.dtype | None = None,
           out: Tensor | None = None) -> Tensor:
    """Sum treating NaN as zero.  d/dinput = grad expanded back, zero where input is NaN."""
    d = _sum_dtype(input._data, dtype)
    axes = _dims_or_all(dim, d.ndim)
    r = wrap(_keep(xp.nansum(_acc(d), axis=axes, keepdims=True).astype(d.dtype), axes, keepdim))
    if STATE.grad_enabled and input._rg:
        n = NansumBackward0()
        n.dims = axes if axes is not None else tuple(range(d.ndim))
        n.keepdim = keepdim
        n.shape = d.shape
        record(r, n, (input,), (input,))
    return _write_out("nansum", r, out)


class NansumBackward0(Node):
    __slots__ = ("dims", "keepdim", "shape")
    formula = "nansum(self, dim, keepdim)"
    derivatives = ("grad.unsqueeze(dim).expand(self.shape) * self.isnan().logical_not()",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (F.expand(_unsqueeze_dims(F, g, self.dims, self.keepdim), self.shape) * F.eq(x, x),)


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: D.dtype | None = None,
            out: Tensor | None = None) -> Tensor:
    """Mean of the non-NaN elements: ``nansum / count`` (PyTorch records the division, DivBackward0)."""
    from .elementwise import div
    d = input._data
    if d.dtype.kind != "f":
        raise RuntimeError(
            f"nanmean(): expected input to have floating point or complex dtype but got {_type_name(d)}"
        )
    axes = _dims_or_all(dim, d.ndim)
    count = _keep(xp.sum(~xp.isnan(d), axis=axes, keepdims=True), axes, keepdim)
    return _write_out("nanmean", div(nansum(input, dim, keepdim, dtype=dtype), wrap(count)), out)


# ====================================================================== prod
def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype: D.dtype | None = None,
         out: Tensor | None = None) -> Tensor:
    """Product of elements (over ``dim``).  d/dinput = grad * (product of the other elements)."""
    d = _sum_dtype(input._data, dtype)
    if dim is not None and not hasattr(dim, "__index__"):
        raise TypeError(f"prod(): argument 'dim' (position 1) must be int, not {type(dim).__name__}")
    ax = None if dim is None else wrap_dim(dim, d.ndim)
    axis = ax if d.ndim else None
    r = wrap(_keep(xp.prod(_acc(d), axis=axis, keepdims=True), None if axis is None else (axis,),
                   keepdim and dim is not None).astype(d.dtype))
    if STATE.grad_enabled and input._rg:
        if dim is None:
            record(r, ProdBackward0(), (input,), (input, saved_output(r)))
        else:
            n = ProdBackward1()
            n.dim = ax
            n.keepdim = keepdim
            record(r, n, (input,), (input, saved_output(r)))
    return _write_out("prod", r, out)


class ProdBackward0(Node):
    __slots__ = ()
    formula = "prod(self)"
    derivatives = ("grad * result / self   (with zeros: grad * product of the other elements)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        x, r = self.unpack(F)
        if len(x.shape) == 0:
            return (g,)
        if not _has_zero(x):
            return (g * (r / x),)
        return (g * F.reshape(_prod_others(F, F.reshape(x, (-1,)), 0), x.shape),)


class ProdBackward1(Node):
    __slots__ = ("dim", "keepdim")
    formula = "prod(self, dim, keepdim)"
    derivatives = ("grad * result / self   (with zeros: grad * product of the other elements along dim)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        x, r = self.unpack(F)
        if len(x.shape) == 0:
            return (g,)
        g = _unsqueeze_dims(F, g, (self.dim,), self.keepdim)
        if not _has_zero(x):
            return (g * (_unsqueeze_dims(F, r, (self.dim,), self.keepdim) / x),)
        return (g * _prod_others(F, x, self.dim),)


# ====================================================================== var, std, var_mean, std_mean
def var(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None, out: Tensor | None = None) -> Tensor:
    """Variance ``sum((x - mean)²) / (N - correction)``.  d/dinput = 2 * grad * (x - mean) / (N - correction)."""
    return _write_out("var", _moments(input, dim, unbiased, keepdim, correction, "var")[0], out)


def std(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None, out: Tensor | None = None) -> Tensor:
    """Standard deviation ``sqrt(var)``.  d/dinput = var's gradient of ``grad / (2 * std)`` (0 where std is 0)."""
    return _write_out("std", _moments(input, dim, unbiased, keepdim, correction, "std")[0], out)


def var_mean(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction: float | None = None) -> tuple[Tensor, Tensor]:
    """``(var, mean)`` in one node.  d/dinput = var's gradient + mean's gradient."""
    return _moments(input, dim, unbiased, keepdim, correction, "var_mean")


def std_mean(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction: float | None = None) -> tuple[Tensor, Tensor]:
    """``(std, mean)`` in one node.  d/dinput = std's gradient + mean's gradient."""
    return _moments(input, dim, unbiased, keepdim, correction, "std_mean")


def _moments(input: Tensor, dim: Any, unbiased: bool | None, keepdim: bool, correction: Any, name: str) -> Any:
    if isinstance(dim, bool):  # var(x, False): the ``unbiased`` overload
        unbiased, dim = dim, None
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments - got both 'unbiased' and "
                        "'correction'; pass only one of them")
    c = correction if correction is not None else (0 if unbiased is False else 1)
    d = input._data
    if d.dtype.kind != "f":
        what = "std and var" if name in ("var", "std") else name
        raise RuntimeError(f"{what} only support floating point and complex dtypes")
    axes = _dims_or_all(dim, d.ndim)
    a = _acc(d)
    count = _count(d.shape, axes)
    mean_kept = a.sum(axis=axes, keepdims=True) / count  # 0 / 0 is NaN for an empty reduction
    dof = builtins.max(count - c, 0)
    v = ((a - mean_kept) ** 2).sum(axis=axes, keepdims=True) / dof
    if dof <= 0 and v.size:
        warnings.warn(
            f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction factor "
            "(input numel divided by output numel). (Triggered internally at "
            "/__w/pytorch/pytorch/aten/src/ATen/native/ReduceOps.cpp:1861.)", UserWarning, stacklevel=3)
    first = xp.sqrt(v) if name.startswith("std") else v
    first = wrap(_keep(first, axes, keepdim).astype(d.dtype))
    outs: Any = (first,)
    if name.endswith("_mean"):
        outs = (first, wrap(_keep(mean_kept, axes, keepdim).astype(d.dtype)))
    if STATE.grad_enabled and input._rg:
        n = _MOMENT_NODES[name]()
        n.correction = c
        n.keepdim = keepdim
        n.shape = d.shape
        # PyTorch's rule takes the whole-tensor branch only for dim=None or a 0-d input; an explicit
        # empty dim list reduces everything but counts 1 element per output in the derivative
        n.dims = None if dim is None or d.ndim == 0 else (axes if axes is not None else ())
        record_outputs(outs, n, (input,), (input, saved_output(first)) if name.startswith("std") else (input,))
    return outs


class _MomentBackward(Node):
    """Shared derivative of var/std/var_mean/std_mean (PyTorch's ``var_backward``)."""

    __slots__ = ("correction", "keepdim", "shape", "dims")

    def _var_grad(self, F: Any, g: Any, x: Any) -> Any:
        c, shape, dims = self.correction, self.shape, self.dims
        if dims is None:
            n = math.prod(shape)
            mean = F.sum(x) / n
            if n - c <= 0:  # 2 / (n - correction) is infinite: nan where x == mean, else inf
                return g * F.where(F.eq(x, mean), math.nan, math.inf)
            return (2.0 / (n - c)) * g * (x - mean)
        g = _unsqueeze_dims(F, g, dims, self.keepdim)
        dof = _count(shape, dims) - c
        factor = 2.0 / dof if dof != 0 else math.inf
        mean = F.sum(x, dims or None, True) / _count(shape, dims or None)
        return factor * g * (x - mean)

    def _std_grad(self, F: Any, g: Any, x: Any, r: Any) -> Any:
        return self._var_grad(F, F.where(F.eq(r, 0), 0.0, g / (r * 2)), x)

    def _mean_grad(self, F: Any, g: Any) -> Any:
        dims = self.dims or None
        return F.expand(_unsqueeze_dims(F, g, dims, self.keepdim), self.shape) / _count(self.shape, dims)


class VarBackward0(_MomentBackward):
    __slots__ = ()
    formula = "var(self, dim, correction, keepdim)"
    derivatives = ("2 * grad * (self - self.mean(dim, keepdim=True)) / (N - correction)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        return (self._var_grad(F, g, x),)


class StdBackward0(_MomentBackward):
    __slots__ = ()
    formula = "std(self, dim, correction, keepdim)"
    derivatives = ("var_backward(grad / (2 * result)   (0 where result == 0))",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        x, r = self.unpack(F)
        return (self._std_grad(F, g, x, r),)


class VarMeanBackward0(_MomentBackward):
    __slots__ = ()
    n_outputs = 2
    formula = "var_mean(self, dim, correction, keepdim)"
    derivatives = ("var_backward(grads[0]) + grads[1].unsqueeze(dim).expand(self.shape) / N",)

    def backward(self, F: Any, grads: Any) -> tuple[Any, ...]:
        (x,) = self.unpack(F)
        parts = [self._var_grad(F, grads[0], x) if grads[0] is not None else None,
                 self._mean_grad(F, grads[1]) if grads[1] is not None else None]
        return (_add_parts(parts),)


class StdMeanBackward0(_MomentBackward):
    __slots__ = ()
    n_outputs = 2
    formula = "std_mean(self, dim, correction, keepdim)"
    derivatives = ("std_backward(grads[0]) + grads[1].unsqueeze(dim).expand(self.shape) / N",)

    def backward(self, F: Any, grads: Any) -> tuple[Any, ...]:
        x, r = self.unpack(F)
        parts = [self._std_grad(F, grads[0], x, r) if grads[0] is not None else None,
                 self._mean_grad(F, grads[1]) if grads[1] is not None else None]
        return (_add_parts(parts),)


def _add_parts(parts: list[Any]) -> Any:
    out = None
    for p in parts:
        if p is not None:
            out = p if out is None else out + p
    return out


_MOMENT_NODES: dict[str, type[_MomentBackward]] = {
    "var": VarBackward0, "std": StdBackward0, "var_mean": VarMeanBackward0, "std_mean": StdMeanBackward0,
}


# ====================================================================== norm
def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False, out: Tensor | None = None,
         dtype: D.dtype | None = None) -> Tensor:
    """``torch.norm``, composed as PyTorch composes it: ``vector_norm`` for numbers and ``'fro'``
    (grad_fn ``LinalgVectorNormBackward0``), ``linalg.matrix_norm`` for other strings (e.g. ``'nuc'``)."""
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
            return vector_norm(input, 2, dim, keepdim, dtype=dtype, out=out)
        from .linalg import matrix_norm
        dims = list(range(input._data.ndim)) if dim is None else [dim] if isinstance(dim, int) else dim
        return _write_out("linalg_matrix_norm", matrix_norm(input, p, dims, keepdim, dtype=dtype), out)
    return vector_norm(input, 2.0 if p is None else p, dim, keepdim, dtype=dtype, out=out)


def vector_norm(input: Tensor, ord: Any = 2, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
                dtype: D.dtype | None = None, out: Tensor | None = None) -> Tensor:
    """``linalg.vector_norm`` (defined with the linear-algebra family), with ``out=``."""
    from .linalg import vector_norm as _vector_norm
    return _write_out("linalg_vector_norm", _vector_norm(input, ord, dim, keepdim, dtype=dtype), out)


# ====================================================================== logsumexp
def logsumexp(input: Tensor, dim: Any = _UNSET, keepdim: bool = False, *, out: Tensor | None = None) -> Tensor:
    """``log(sum(exp(x)))`` over ``dim``, computed as ``max + log(sum(exp(x - max)))`` (stable at ±1000).

    d/dinput = grad * exp(x - result) (a softmax).
    """
    if dim is _UNSET:
        raise TypeError('logsumexp() missing 1 required positional arguments: "dim"')
    if dim is None:
        raise TypeError("logsumexp(): argument 'dim' (position 2) must be tuple of ints, not NoneType")
    d = input._data
    if d.dtype.kind != "f":
        d = d.astype(_default_np())
    if isinstance(dim, (tuple, list)) and len(dim) == 0 and d.ndim and not keepdim:
        raise RuntimeError(f"output with shape [] doesn't match the broadcast shape {[1] * d.ndim}")
    axes = _dims_or_all(dim, d.ndim)
    a = d.astype(xp.float64) if d.dtype != xp.float64 else d
    if a.size:
        m = xp.max(a, axis=axes, keepdims=True)
        m = xp.where(xp.isinf(m), 0.0, m)
        r = xp.log(xp.sum(xp.exp(a - m), axis=axes, keepdims=True)) + m
    else:
        r = xp.log(xp.sum(xp.exp(a), axis=axes, keepdims=True))
    r = wrap(_keep(r, axes, keepdim).astype(d.dtype))
    if STATE.grad_enabled and input._rg:
        n = LogsumexpBackward0()
        n.dims = axes if axes is not None else tuple(range(d.ndim))
        n.keepdim = keepdim
        record(r, n, (input,), (input, saved_output(r)))
    return _write_out("logsumexp", r, out)


class LogsumexpBackward0(Node):
    __slots__ = ("dims", "keepdim")
    formula = "logsumexp(self, dim, keepdim)"
    derivatives = ("grad * exp(self - result)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        x, r = self.unpack(F)
        g = _unsqueeze_dims(F, g, self.dims, self.keepdim)
        return (g * F.exp(x - _unsqueeze_dims(F, r, self.dims, self.keepdim)),)


# ====================================================================== cumsum, cumprod
def cumsum(input: Tensor, dim: int = _UNSET, *, dtype: D.dtype | None = None, out: Tensor | None = None) -> Tensor:
    """Running sum along ``dim``.  d/dinput = running sum of grad from the end."""
    return _write_out("cumsum", _cumulative(input, dim, dtype, xp.cumsum, CumsumBackward0), out)


def cumprod(input: Tensor, dim: int = _UNSET, *, dtype: D.dtype | None = None, out: Tensor | None = None) -> Tensor:
    """Running product along ``dim``.  d/dinput_k = sum over j >= k of grad_j * prod(x_i, i <= j, i != k)."""
    return _write_out("cumprod", _cumulative(input, dim, dtype, xp.cumprod, CumprodBackward0), out)


def _cumulative(input: Tensor, dim: Any, dtype: D.dtype | None, fn: Any, cls: type[Node]) -> Tensor:
    if dim is _UNSET:
        raise TypeError(f'{fn.__name__}() missing 1 required positional arguments: "dim"')
    if not hasattr(dim, "__index__"):
        raise TypeError(f"{fn.__name__}(): argument 'dim' (position 1) must be int, not {type(dim).__name__}")
    d = _sum_dtype(input._data, dtype)
    ax = wrap_dim(dim, d.ndim)
    r = wrap(d.copy() if d.ndim == 0 else fn(_acc(d), axis=ax).astype(d.dtype, copy=False))
    if STATE.grad_enabled and input._rg:
        n = cls()
        n.dim = ax
        n.dtype = input._data.dtype if dtype is not None else None
        record(r, n, (input,), (input, saved_output(r)) if cls is CumprodBackward0 else ())
    return r


def _inplace_cumulative(fn: Any) -> Any:
    """``cumsum_``/``cumprod_``: the op written back into ``self`` (``dtype`` must be ``self``'s)."""
    op = _unary_inplace(fn)

    def inplace(self: Tensor, dim: int = _UNSET, *, dtype: D.dtype | None = None) -> Tensor:
        if dtype is not None and dtype.np != self._data.dtype:
            raise RuntimeError(f"Bad in-place call: input tensor dtype {_C_NAMES[self._data.dtype.name][0]} and "
                               f"output tensor dtype {_C_NAMES[dtype.np.name][0]} should match")
        return op(self, dim)
    inplace.__name__ = fn.__name__ + "_"
    return inplace


class CumsumBackward0(Node):
    __slots__ = ("dim", "dtype")
    formula = "cumsum(self, dim)"
    derivatives = ("grad.flip(dim).cumsum(dim).flip(dim)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        if self.dtype is not None:  # PyTorch first casts grad to the input's dtype
            g = F.to_dtype(g, self.dtype)
        if len(g.shape) == 0 or g.shape[self.dim] <= 1:
            return (g,)
        return (_reversed_cumsum(F, g, self.dim),)


class CumprodBackward0(Node):
    __slots__ = ("dim", "dtype")
    formula = "cumprod(self, dim)"
    derivatives = ("(grad * result).flip(dim).cumsum(dim).flip(dim) / self   "
                   "(with zeros: sum over j >= k of grad_j * prod(self_i, i <= j, i != k))",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        x, r = self.unpack(F)
        if self.dtype is not None:
            g = F.to_dtype(g, self.dtype)
        dim = self.dim
        if len(x.shape) == 0 or x.shape[dim] <= 1:
            return (g,)
        if not _has_zero(x):
            return (_reversed_cumsum(F, r * g, dim) / x,)
        # zeros: M[k, j] = prod(x_i, i <= j, i != k) for j >= k (0 below), the exact derivative matrix
        n = x.shape[dim]
        eye = xp.eye(n, dtype=bool)
        xt = F.transpose(x, dim, -1)
        m = F.cumprod(F.unsqueeze(xt, -2) * ~eye + eye, -1) * xp.triu(xp.ones((n, n), dtype=bool))
        gk = F.sum(F.unsqueeze(F.transpose(g, dim, -1), -2) * m, -1)
        return (F.transpose(gk, dim, -1),)


# ====================================================================== all, any, count_nonzero
def all(input: Tensor, dim: Any = None, keepdim: bool = False, *, out: Tensor | None = None) -> Tensor:  # noqa: A001
    """True where every element (over ``dim``) is non-zero (uint8 in, uint8 out).  Not differentiable."""
    return _write_out("all", _logical(input, dim, keepdim, xp.all), out)


def any(input: Tensor, dim: Any = None, keepdim: bool = False, *, out: Tensor | None = None) -> Tensor:  # noqa: A001
    """True where some element (over ``dim``) is non-zero (uint8 in, uint8 out).  Not differentiable."""
    return _write_out("any", _logical(input, dim, keepdim, xp.any), out)


def _logical(input: Tensor, dim: Any, keepdim: bool, fn: Any) -> Tensor:
    d = input._data
    axes = None
    if dim is not None:
        axes = dims_arg(dim, d.ndim)  # validated; a 0-d tensor has nothing to reduce
        axes = axes if d.ndim else ()
    r = fn(d, axis=axes, keepdims=keepdim)  # note: an empty dim list reduces nothing here, as in PyTorch
    return wrap(xp.asarray(r, dtype=xp.uint8 if d.dtype == xp.uint8 else bool))


def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:
    """Number of non-zero elements (over ``dim``), int64.  Not differentiable."""
    d = input._data
    axes = _dims_or_all(dim, d.ndim)
    return wrap(xp.asarray(xp.count_nonzero(d, axis=axes), dtype=xp.int64))


# ====================================================================== max / min
def max(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """``max(input)``: the largest element (ties share the gradient evenly);
    ``max(input, dim)``: ``(values, indices)``, the gradient goes to the returned index;
    ``max(input, other)``: elementwise ``maximum``."""
    return _extreme(input, dim, keepdim, "max")


def min(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """Like ``max``, for the smallest element."""
    return _extreme(input, dim, keepdim, "min")


def _extreme(input: Tensor, dim: Any, keepdim: bool, which: str) -> Any:
    if isinstance(dim, Tensor):
        from .elementwise import maximum, minimum
        return maximum(input, dim) if which == "max" else minimum(input, dim)
    d = input._data
    if dim is None:
        if d.size == 0:
            raise RuntimeError(
                f"{which}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        r = wrap(d.max() if which == "max" else d.min())
        if STATE.grad_enabled and input._rg:
            record(r, (MaxBackward1 if which == "max" else MinBackward1)(), (input,), (input, saved_output(r)))
        return r
    ax = wrap_dim(dim, d.ndim)
    _nonempty_dim(f"{which}()", d, ax)
    dd = d if d.ndim else d.reshape(1)
    idx = (xp.argmax if which == "max" else xp.argmin)(dd, axis=ax, keepdims=True)
    return _selected(input, idx, ax, keepdim, which, MaxBackward0 if which == "max" else MinBackward0)


class MaxBackward1(Node):
    __slots__ = ()
    formula = "max(self)"
    derivatives = ("grad * (self == result) / count(self == result)   (ties share evenly; a NaN result: the NaNs)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        x, r = self.unpack(F)
        mask = ~F.eq(x, x) if _is_nan(r) else F.eq(x, r)
        return (mask * (g / F.sum(mask)),)


class MinBackward1(MaxBackward1):
    __slots__ = ()
    formula = "min(self)"


def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Max over ``dim`` (all dims by default); ties share the gradient evenly."""
    return _amaxmin(input, dim, keepdim, "max")


def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Min over ``dim`` (all dims by default); ties share the gradient evenly."""
    return _amaxmin(input, dim, keepdim, "min")


def _amaxmin(input: Tensor, dim: Any, keepdim: bool, which: str) -> Tensor:
    d = input._data
    axes = _dims_or_all(dim, d.ndim)
    r = wrap(_keep((xp.max if which == "max" else xp.min)(d, axis=axes, keepdims=True), axes, keepdim))
    if STATE.grad_enabled and input._rg:
        n = (AmaxBackward0 if which == "max" else AminBackward0)()
        n.dims = axes if axes is not None else tuple(range(d.ndim))
        n.keepdim = keepdim
        record(r, n, (input,), (input, saved_output(r)))
    return r


def _evenly(F: Any, g: Any, x: Any, r: Any, dims: tuple[int, ...], keepdim: bool) -> Any:
    """``grad`` shared evenly among the elements equal to the (amax/amin) result along ``dims``."""
    mask = F.eq(x, _unsqueeze_dims(F, r, dims, keepdim))
    return mask * (_unsqueeze_dims(F, g, dims, keepdim) / F.sum(mask, dims, True))


class AmaxBackward0(Node):
    __slots__ = ("dims", "keepdim")
    formula = "amax(self, dim, keepdim)"
    derivatives = ("grad * (self == result) / count   (ties share evenly)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        x, r = self.unpack(F)
        return (_evenly(F, g, x, r, self.dims, self.keepdim),)


class AminBackward0(AmaxBackward0):
    __slots__ = ()
    formula = "amin(self, dim, keepdim)"


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:
    """``(min, max)`` over ``dim`` (everything by default); each output's ties share its gradient evenly."""
    d = input._data
    if dim is None:
        if d.size == 0:
            raise RuntimeError(
                "aminmax(): cannot compute aminmax over an empty dimension as the operation has no identity."
            )
        axes = None
    else:
        ax = wrap_dim(dim, d.ndim)
        _nonempty_dim("aminmax", d, ax)
        axes = (ax,) if d.ndim else ()
    lo = wrap(_keep(xp.min(d, axis=axes, keepdims=True), axes, keepdim))
    hi = wrap(_keep(xp.max(d, axis=axes, keepdims=True), axes, keepdim))
    if STATE.grad_enabled and input._rg:
        n = AminmaxBackward0()
        n.dims = axes if axes is not None else tuple(range(d.ndim))
        n.keepdim = keepdim
        record_outputs((lo, hi), n, (input,), (input, saved_output(lo, 0), saved_output(hi, 1)))
    return return_type("aminmax", lo, hi)


class AminmaxBackward0(Node):
    __slots__ = ("dims", "keepdim")
    n_outputs = 2
    formula = "aminmax(self, dim, keepdim)"
    derivatives = ("grads[0] shared among the minima + grads[1] shared among the maxima",)

    def backward(self, F: Any, grads: Any) -> tuple[Any, ...]:
        x, lo, hi = self.unpack(F)
        return (_add_parts([None if g is None else _evenly(F, g, x, r, self.dims, self.keepdim)
                            for g, r in zip(grads, (lo, hi))]),)


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the largest element (flattened when ``dim`` is None)."""
    return _arg(input, dim, keepdim, xp.argmax)


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the smallest element (flattened when ``dim`` is None)."""
    return _arg(input, dim, keepdim, xp.argmin)


def _arg(input: Tensor, dim: int | None, keepdim: bool, fn: Any) -> Tensor:
    d = input._data
    if dim is None:
        r = fn(d.reshape(-1))
        if keepdim:
            r = xp.asarray(r).reshape((1,) * d.ndim)
        return wrap(xp.asarray(r, dtype=xp.int64))
    ax = wrap_dim(dim, d.ndim)
    r = fn(d if d.ndim else d.reshape(1), axis=ax, keepdims=keepdim and d.ndim > 0)
    return wrap(xp.asarray(r, dtype=xp.int64).reshape(()) if d.ndim == 0 else xp.asarray(r, dtype=xp.int64))


# ====================================================================== value-selecting ops
def _selected(input: Tensor, idx: Any, ax: int, keepdim: bool, name: str, cls: type[Node],
              keep_reduced: bool = False) -> Any:
    """``return_types.name(values, indices)`` from indices along ``ax`` (axis kept); records ``cls``.

    ``keep_reduced``: ``idx`` is the whole output (sort/topk), not one index per reduced row.
    """
    d = input._data
    dd = d if d.ndim else d.reshape(1)
    vals = xp.take_along_axis(dd, idx, axis=ax)
    if d.ndim == 0:
        vals, idx = vals.reshape(()), idx.reshape(())
    elif not keepdim and not keep_reduced:
        vals, idx = vals.squeeze(ax), idx.squeeze(ax)
    values, indices = wrap(vals), wrap(idx.astype(xp.int64, copy=False))
    if STATE.grad_enabled and input._rg:
        n = cls()
        n.shape = d.shape
        n.dim = ax
        n.keepdim = keepdim or keep_reduced
        record(values, n, (input,), (indices,))
    return return_type(name, values, indices)


class _SelectBackward(Node):
    """The gradient goes to the selected elements (PyTorch's ``value_selecting_reduction_backward``)."""

    __slots__ = ("shape", "dim", "keepdim")
    derivatives = ("zeros(self.shape).scatter(dim, indices, grad)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (idx,) = self.unpack(F)
        if len(self.shape) == 0:
            return (g,)
        if not self.keepdim:
            g = F.unsqueeze(g, self.dim)
            idx = F.unsqueeze(idx, self.dim)
        return (F.scatter_dim(self.shape, self.dim, idx, g, g.dtype),)


class MaxBackward0(_SelectBackward):
    __slots__ = ()
    formula = "max(self, dim, keepdim)"


class MinBackward0(_SelectBackward):
    __slots__ = ()
    formula = "min(self, dim, keepdim)"


class MedianBackward1(_SelectBackward):
    __slots__ = ()
    formula = "median(self, dim, keepdim)"


class NanmedianBackward1(_SelectBackward):
    __slots__ = ()
    formula = "nanmedian(self, dim, keepdim)"


class KthvalueBackward0(_SelectBackward):
    __slots__ = ()
    formula = "kthvalue(self, k, dim, keepdim)"


class ModeBackward0(_SelectBackward):
    __slots__ = ()
    formula = "mode(self, dim, keepdim)"


class SortBackward0(_SelectBackward):
    __slots__ = ()
    formula = "sort(self, dim, descending)"


class SortBackward1(_SelectBackward):
    __slots__ = ()
    formula = "sort(self, stable, dim, descending)"


class TopkBackward0(_SelectBackward):
    __slots__ = ()
    formula = "topk(self, k, dim, largest, sorted)"


class MedianBackward0(MaxBackward1):
    __slots__ = ()
    formula = "median(self)"


class NanmedianBackward0(MaxBackward1):
    __slots__ = ()
    formula = "nanmedian(self)"


def _rows(d: Any, ax: int) -> Any:
    """``d`` with ``ax`` moved last, as a 2-d array of rows (a 0-d tensor is one row of one)."""
    a = xp.moveaxis(d, ax, -1) if d.ndim else d.reshape(1)
    return a.reshape(math.prod(a.shape[:-1]), a.shape[-1])


def _unrows(r: Any, d: Any, ax: int, n: int) -> Any:
    """Rows back to ``d``'s layout, with ``n`` elements along ``ax``."""
    if d.ndim == 0:
        return r.reshape(1)
    shape = list(xp.moveaxis(d, ax, -1).shape)
    shape[-1] = n
    return xp.moveaxis(r.reshape(shape), -1, ax)


def _stable_order(rows: Any, descending: bool) -> Any:
    """Stable argsort of each row, NaN as the largest value."""
    if not descending:
        return xp.argsort(rows, axis=-1, kind="stable")
    n = rows.shape[-1]  # stable descending: reverse, sort ascending, reverse back
    return (n - 1 - xp.argsort(rows[:, ::-1], axis=-1, kind="stable"))[:, ::-1]


def _tied_rows(rows: Any, order: Any) -> list[int]:
    """Rows holding equal values (NaNs are equal to each other here)."""
    s = xp.take_along_axis(rows, order, axis=-1)
    eq = s[:, 1:] == s[:, :-1]
    if s.dtype.kind == "f":
        eq |= xp.isnan(s[:, 1:]) & xp.isnan(s[:, :-1])
    return [int(i) for i in xp.nonzero(eq.any(axis=-1))[0]]


def _check_sortable(d: Any, kernel: str) -> None:
    if d.dtype == bool:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def median(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """``median(input)``: the lower median (NaN if any), ties share the gradient;
    ``median(input, dim)``: ``(values, indices)``, the gradient goes to the returned index."""
    return _median(input, dim, keepdim, ignore_nan=False)


def nanmedian(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """Like ``median``, ignoring NaNs (NaN only when everything is NaN)."""
    return _median(input, dim, keepdim, ignore_nan=True)


def _median(input: Tensor, dim: int | None, keepdim: bool, ignore_nan: bool) -> Any:
    name = "nanmedian" if ignore_nan else "median"
    d = input._data
    if dim is None:
        _check_sortable(d, "median_cpu")
        flat = xp.sort(d.reshape(-1))  # NaNs last
        nans = int(xp.isnan(flat).sum()) if d.dtype.kind == "f" else 0
        if flat.size == 0 or (nans and not ignore_nan) or nans == flat.size:
            v = xp.asarray(xp.nan).astype(d.dtype)
        else:
            v = flat[(flat.size - nans - 1) // 2]
        r = wrap(xp.asarray(v, dtype=d.dtype))
        if STATE.grad_enabled and input._rg:
            record(r, (NanmedianBackward0 if ignore_nan else MedianBackward0)(), (input,), (input, saved_output(r)))
        return r
    _check_sortable(d, "median_out")
    ax = wrap_dim(dim, d.ndim)
    _nonempty_dim("median()", d, ax)
    rows = _rows(d, ax)
    m, n = rows.shape
    order = _stable_order(rows, False)  # PyTorch breaks ties by index: a stable order
    nan = xp.isnan(rows) if rows.dtype.kind == "f" else xp.zeros(rows.shape, dtype=bool)
    if ignore_nan:
        pos = xp.maximum(n - nan.sum(axis=1) - 1, 0) // 2  # C++ division truncates: -1 // 2 is 0
        idx = order[xp.arange(m), pos]
        for i in xp.nonzero(nan.all(axis=1))[0]:  # all NaN: std::nth_element decides among equals
            idx[i] = _nth_element(list(range(n)), 0, lambda a, b: False)
    else:
        idx = order[:, (n - 1) // 2]
        has_nan = nan.any(axis=1)
        idx = xp.where(has_nan, xp.argmax(nan, axis=1), idx)  # the first NaN
    idx = _unrows(idx.reshape(m, 1), d, ax, 1)
    return _selected(input, idx, ax, keepdim, name, NanmedianBackward1 if ignore_nan else MedianBackward1)


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """The k-th smallest element along ``dim``: ``(values, indices)``; the gradient goes to the index."""
    d = input._data
    _check_sortable(d, "kthvalue_cpu")
    ax = wrap_dim(dim, d.ndim)
    _nonempty_dim("kthvalue()", d, ax)
    rows = _rows(d, ax)
    m, n = rows.shape
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {ax}")
    order = _stable_order(rows, False)
    idx = order[:, k - 1].copy()
    for i in _tied_rows(rows, order):
        idx[i] = _quickselect(rows[i].tolist(), k - 1)
    idx = _unrows(idx.reshape(m, 1), d, ax, 1)
    return _selected(input, idx, ax, keepdim, "kthvalue", KthvalueBackward0)


def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> Any:
    """The most frequent value along ``dim`` (the smallest such): ``(values, indices)``."""
    d = input._data
    ax = wrap_dim(dim, d.ndim)
    _nonempty_dim("mode()", d, ax)
    rows = _rows(d, ax)
    m, n = rows.shape
    order = _stable_order(rows, False)
    emulate = set(_tied_rows(rows, order)) if n > _THRESHOLD else set()
    if rows.dtype.kind == "f":
        emulate |= {int(i) for i in xp.nonzero(xp.isnan(rows).any(axis=1))[0]}
    idx = xp.empty(m, dtype=xp.int64)
    for i in range(m):
        vals = rows[i].tolist()
        if i in emulate:  # PyTorch sorts (value, index) pairs with std::sort comparing values by <
            pairs = list(zip(vals, range(n)))
            _std_sort(pairs, lambda a, b: a[0] < b[0])
        else:
            pairs = [(vals[j], j) for j in order[i].tolist()]
        idx[i] = _mode_of_sorted(pairs)
    idx = _unrows(idx.reshape(m, 1), d, ax, 1)
    return _selected(input, idx, ax, keepdim, "mode", ModeBackward0)


def _mode_of_sorted(pairs: list[tuple[Any, int]]) -> int:
    """PyTorch's scan of sorted (value, index) pairs: the first longest run wins, at its last index."""
    best, best_i, run = 0, 0, 0
    for j, (v, i) in enumerate(pairs):
        run += 1
        if j == len(pairs) - 1 or v != pairs[j + 1][0]:
            if run > best:
                best, best_i = run, i
            run = 0
    return best_i


def sort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: Any = _UNSET) -> Any:
    """Sorted values along ``dim`` and their indices; NaN is the largest.  d/dinput = grad scattered back.

    Passing ``stable`` at all selects PyTorch's other overload (grad_fn ``SortBackward1``).
    """
    d = input._data
    ax = wrap_dim(dim, d.ndim)
    idx = _sort_order(d, ax, descending, stable is not _UNSET and bool(stable))
    cls = SortBackward0 if stable is _UNSET else SortBackward1
    return _selected(input, idx, ax, False, "sort", cls, keep_reduced=True)


def argsort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (``sort(...).indices``)."""
    d = input._data
    ax = wrap_dim(dim, d.ndim)
    idx = _sort_order(d, ax, descending, bool(stable))
    return wrap((idx.reshape(()) if d.ndim == 0 else idx).astype(xp.int64, copy=False))


def msort(input: Tensor) -> Tensor:
    """Sorted along dim 0 (``sort(input, 0).values``)."""
    return sort(input, 0)[0]


def _sort_order(d: Any, ax: int, descending: bool, stable: bool) -> Any:
    """Sorting indices along ``ax`` as PyTorch's CPU kernel finds them, ties included."""
    rows = _rows(d, ax)
    order = _stable_order(rows, descending)
    # Note: PyTorch's unstable sort is std::sort, stable up to 16 elements; its radix sort
    # (1-d integers from 32768 elements, ascending) is stable too.
    radix = d.ndim == 1 and not descending and d.dtype.kind in "iu" and d.size >= 32768
    if not stable and not radix and rows.shape[1] > _THRESHOLD:
        less = _desc if descending else _asc
        for i in _tied_rows(rows, order):
            pairs = list(zip(rows[i].tolist(), range(rows.shape[1])))
            _std_sort(pairs, less)
            order[i] = [j for _, j in pairs]
    return _unrows(order, d, ax, rows.shape[1])


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    """The ``k`` largest (smallest) elements along ``dim`` and their indices.  d/dinput = grad scattered back."""
    d = input._data
    if d.dtype == bool:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    ax = wrap_dim(dim, d.ndim)
    rows = _rows(d, ax)
    n = rows.shape[1]
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if d.ndim == 0:  # a 0-d tensor is its own top element, whatever k
        return _selected(input, xp.zeros(1, dtype=xp.int64), ax, False, "topk", TopkBackward0, keep_reduced=True)
    order = _stable_order(rows, largest)
    idx = order[:, :k].copy()
    partial = k * 64 <= n  # PyTorch: std::partial_sort, else std::nth_element (then std::sort if sorted)
    tied = range(rows.shape[0]) if not (sorted or partial) else _tied_rows(rows, order)
    less = _desc if largest else _asc
    for i in tied if k else ():
        pairs = list(zip(rows[i].tolist(), range(n)))
        if partial:
            _partial_sort(pairs, k, less)
        else:
            _nth_element(pairs, k - 1, less)
            if sorted:
                _std_sort(pairs, less, 0, k - 1)
        idx[i] = [j for _, j in pairs[:k]]
    return _selected(input, _unrows(idx, d, ax, k), ax, False, "topk", TopkBackward0, keep_reduced=True)


# ====================================================================== the C++ algorithms PyTorch's kernels use
# Replayed step for step (libstdc++'s std::sort, std::nth_element, std::partial_sort, and
# PyTorch's quickselect for kthvalue) so that equal values end up where PyTorch puts them.
# They run only on rows where ties make the outcome depend on the algorithm.
_THRESHOLD = 16  # libstdc++'s _S_threshold


def _asc(x: tuple[Any, int], y: tuple[Any, int]) -> bool:
    """PyTorch's ascending comparator: NaN is the largest value."""
    a, b = x[0], y[0]
    return (a == a and b != b) or a < b


def _desc(x: tuple[Any, int], y: tuple[Any, int]) -> bool:
    a, b = x[0], y[0]
    return (a != a and b == b) or a > b


def _std_sort(a: list[Any], less: Any, first: int = 0, last: int | None = None) -> None:
    """``std::sort(a + first, a + last, less)``: introsort, then a final insertion sort."""
    last = len(a) if last is None else last
    if last - first > 1:
        _introsort_loop(a, first, last, 2 * ((last - first).bit_length() - 1), less)
        if last - first > _THRESHOLD:
            _insertion_sort(a, first, first + _THRESHOLD, less)
            for i in range(first + _THRESHOLD, last):
                _linear_insert(a, i, less)
        else:
            _insertion_sort(a, first, last, less)


def _introsort_loop(a: list[Any], first: int, last: int, depth: int, less: Any) -> None:
    while last - first > _THRESHOLD:
        if depth == 0:
            _heap_select(a, first, last, last, less)
            _sort_heap(a, first, last, less)
            return
        depth -= 1
        cut = _partition_pivot(a, first, last, less)
        _introsort_loop(a, cut, last, depth, less)
        last = cut


def _partition_pivot(a: list[Any], first: int, last: int, less: Any) -> int:
    """Median of three moved to ``first``, then Hoare partition of the rest around it."""
    x, y, z = first + 1, first + (last - first) // 2, last - 1
    if less(a[x], a[y]):
        m = y if less(a[y], a[z]) else z if less(a[x], a[z]) else x
    else:
        m = x if less(a[x], a[z]) else z if less(a[y], a[z]) else y
    a[first], a[m] = a[m], a[first]
    lo, hi = first + 1, last
    while True:
        while less(a[lo], a[first]):
            lo += 1
        hi -= 1
        while less(a[first], a[hi]):
            hi -= 1
        if lo >= hi:
            return lo
        a[lo], a[hi] = a[hi], a[lo]
        lo += 1


def _insertion_sort(a: list[Any], first: int, last: int, less: Any) -> None:
    for i in range(first + 1, last):
        if less(a[i], a[first]):
            a[first:i + 1] = [a[i]] + a[first:i]
        else:
            _linear_insert(a, i, less)


def _linear_insert(a: list[Any], last: int, less: Any) -> None:
    v = a[last]
    while less(v, a[last - 1]):
        a[last] = a[last - 1]
        last -= 1
    a[last] = v


def _adjust_heap(a: list[Any], first: int, hole: int, n: int, value: Any, less: Any) -> None:
    top = child = hole
    while child < (n - 1) // 2:
        child = 2 * (child + 1)
        if less(a[first + child], a[first + child - 1]):
            child -= 1
        a[first + hole] = a[first + child]
        hole = child
    if n % 2 == 0 and child == (n - 2) // 2:
        child = 2 * (child + 1)
        a[first + hole] = a[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and less(a[first + parent], value):
        a[first + hole] = a[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    a[first + hole] = value


def _heap_select(a: list[Any], first: int, middle: int, last: int, less: Any) -> None:
    """Make ``a[first:middle]`` a heap of the smallest elements (by ``less``) of ``a[first:last]``."""
    n = middle - first
    for parent in range((n - 2) // 2, -1, -1) if n >= 2 else ():
        _adjust_heap(a, first, parent, n, a[first + parent], less)
    for i in range(middle, last):
        if less(a[i], a[first]):
            v, a[i] = a[i], a[first]
            _adjust_heap(a, first, 0, n, v, less)


def _sort_heap(a: list[Any], first: int, last: int, less: Any) -> None:
    while last - first > 1:
        last -= 1
        v, a[last] = a[last], a[first]
        _adjust_heap(a, first, 0, last - first, v, less)


def _partial_sort(a: list[Any], middle: int, less: Any) -> None:
    """``std::partial_sort(a, a + middle, a + len(a), less)``."""
    _heap_select(a, 0, middle, len(a), less)
    _sort_heap(a, 0, middle, less)


def _nth_element(a: list[Any], nth: int, less: Any) -> Any:
    """``std::nth_element(a, a + nth, a + len(a), less)`` (introselect); returns ``a[nth]``."""
    first, last = 0, len(a)
    depth = 2 * (last.bit_length() - 1) if last else 0
    while last - first > 3:
        if depth == 0:
            _heap_select(a, first, nth + 1, last, less)
            a[first], a[nth] = a[nth], a[first]
            return a[nth]
        depth -= 1
        cut = _partition_pivot(a, first, last, less)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(a, first, last, less)
    return a[nth]


def _quickselect(vals: list[Any], k: int) -> int:
    """PyTorch's ``quick_select_template`` (kthvalue): the index that lands at position ``k``."""
    idx = list(range(len(vals)))

    def gt(x: Any, y: Any) -> bool:  # NaN is the largest
        return (x != x and y == y) or x > y

    def swap(i: int, j: int) -> None:
        vals[i], vals[j] = vals[j], vals[i]
        idx[i], idx[j] = idx[j], idx[i]

    lo, hi = 0, len(vals) - 1
    while hi > lo:
        if hi == lo + 1:
            if gt(vals[lo], vals[hi]):
                swap(lo, hi)
            break
        swap(lo + (hi - lo) // 2, lo + 1)  # median of three as the pivot, at lo
        if gt(vals[lo + 1], vals[hi]):
            swap(lo + 1, hi)
        if gt(vals[lo], vals[hi]):
            swap(lo, hi)
        if gt(vals[lo + 1], vals[lo]):
            swap(lo + 1, lo)
        i, j, piv = lo + 1, hi, vals[lo]
        while True:
            i += 1
            while gt(piv, vals[i]):
                i += 1
            j -= 1
            while gt(vals[j], piv):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(lo, j)
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1
    return idx[k]


# ====================================================================== registration
register_rule_fn("cumsum", lambda x, dim: xp.cumsum(x, axis=dim), lambda x, dim: cumsum(x, dim))
register_rule_fn("cumprod", lambda x, dim: xp.cumprod(x, axis=dim), lambda x, dim: cumprod(x, dim))
register_rule_fn("reverse", _reverse_array, _reverse_tensor)
register_rule_fn("shift_right", _shift_right_array, _shift_right_tensor)

__all__ = [
    "sum", "mean", "nansum", "nanmean", "prod", "var", "std", "var_mean", "std_mean", "norm", "logsumexp",
    "cumsum", "cumprod", "all", "any", "count_nonzero", "max", "min", "amax", "amin", "aminmax", "argmax", "argmin",
    "median", "nanmedian", "kthvalue", "mode", "sort", "argsort", "msort", "topk",
]

#: Tensor methods (name -> function)
METHODS: dict[str, Any] = {name: globals()[name] for name in __all__ if name not in ("var_mean", "std_mean")}
METHODS.update({"cumsum_": _inplace_cumulative(cumsum), "cumprod_": _inplace_cumulative(cumprod)})

FUNCTIONAL: list[str] = []
