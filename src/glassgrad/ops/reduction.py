"""Reductions: sum, mean, max/min (whole tensor and over a dim), argmax/argmin.

The gradient of a reduction is the incoming gradient put back in the reduced
positions: expanded for sum/mean, routed to the chosen element for max/min.
"""

from __future__ import annotations

from typing import Any

from ._base import STATE, D, Node, Tensor, dims_arg, record, saved_output, wrap, wrap_dim, xp
from .return_types import return_type


def _dims_or_all(dim: Any, ndim: int) -> tuple[int, ...] | None:
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        return None  # PyTorch: an empty dim list reduces over everything
    axes = dims_arg(dim, ndim)
    return () if ndim == 0 else axes  # a 0-d tensor accepts dim 0 / -1 and reduces nothing


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: D.dtype | None = None) -> Tensor:  # noqa: A001
    """Sum of elements (over ``dim``).  d/dinput = grad expanded back to input's shape."""
    d = input._data
    if dtype is not None:
        d = d.astype(dtype.np)
    elif d.dtype.kind in "biu":
        d = d.astype(xp.int64)  # integer sums are int64, as in PyTorch
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


def _unsqueeze_dims(F: Any, g: Any, dims: tuple[int, ...], keepdim: bool) -> Any:
    if not keepdim:
        for a in dims:  # sorted ascending
            g = F.unsqueeze(g, a)
    return g


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: D.dtype | None = None) -> Tensor:
    """Mean of elements (over ``dim``).  d/dinput = grad expanded back, divided by the count."""
    d = input._data
    if dtype is not None:
        d = d.astype(dtype.np)
    if d.dtype.kind != "f":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex "
            f"dtype. Got: {D.FROM_NP[d.dtype].tensor_type[:-6]}"
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
        count = 1
        for a in n.dims:
            count *= d.shape[a]
        n.count = count
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


# ---------------------------------------------------------------------- max / min
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
    if d.ndim and d.shape[ax] == 0:
        raise IndexError(
            f"{which}(): Expected reduction dim {ax} to have non-zero size."
        )
    dd = d if d.ndim else d.reshape(1)
    idx = (xp.argmax if which == "max" else xp.argmin)(dd, axis=ax, keepdims=True)
    vals = xp.take_along_axis(dd, idx, axis=ax)
    if not keepdim or d.ndim == 0:
        vals = vals.squeeze(ax) if d.ndim else vals.reshape(())
        idx = idx.squeeze(ax) if d.ndim else idx.reshape(())
    values = wrap(vals)
    indices = wrap(idx.astype(xp.int64, copy=False))
    if STATE.grad_enabled and input._rg:
        n = (MaxBackward0 if which == "max" else MinBackward0)()
        n.shape = d.shape
        n.dim = ax
        n.keepdim = keepdim
        record(values, n, (input,), (indices,))
    return return_type(which, values, indices)


class MaxBackward1(Node):
    __slots__ = ()
    formula = "max(self)"
    derivatives = ("grad * (self == result) / count(self == result)   (ties share evenly)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        x, r = self.unpack(F)
        mask = F.eq(x, r)
        return (mask * (g / F.sum(mask)),)


class MinBackward1(MaxBackward1):
    __slots__ = ()
    formula = "min(self)"


class MaxBackward0(Node):
    __slots__ = ("shape", "dim", "keepdim")
    formula = "max(self, dim, keepdim)"
    derivatives = ("zeros(self.shape).scatter(dim, indices, grad)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (idx,) = self.unpack(F)
        if len(self.shape) == 0:
            return (g,)
        if not self.keepdim:
            g = F.unsqueeze(g, self.dim)
            idx = F.unsqueeze(idx, self.dim)
        return (F.scatter_dim(self.shape, self.dim, idx, g, g.dtype),)


class MinBackward0(MaxBackward0):
    __slots__ = ()
    formula = "min(self, dim, keepdim)"


def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Max over ``dim`` (all dims by default); ties share the gradient evenly."""
    return _amaxmin(input, dim, keepdim, "max")


def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Min over ``dim`` (all dims by default); ties share the gradient evenly."""
    return _amaxmin(input, dim, keepdim, "min")


def _amaxmin(input: Tensor, dim: Any, keepdim: bool, which: str) -> Tensor:
    d = input._data
    axes = _dims_or_all(dim, d.ndim)
    fn = xp.max if which == "max" else xp.min
    r = wrap(fn(d, axis=axes, keepdims=True))
    kept = r._data
    if not keepdim:
        r = wrap(kept.reshape([s for i, s in enumerate(kept.shape) if axes is not None and i not in axes])
                 if axes is not None else kept.reshape(()))
    if STATE.grad_enabled and input._rg:
        n = (AmaxBackward0 if which == "max" else AminBackward0)()
        n.dims = axes if axes is not None else tuple(range(d.ndim))
        n.keepdim = keepdim
        record(r, n, (input,), (input, saved_output(r)))
    return r


class AmaxBackward0(Node):
    __slots__ = ("dims", "keepdim")
    formula = "amax(self, dim, keepdim)"
    derivatives = ("grad * (self == result) / count   (ties share evenly)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        x, r = self.unpack(F)
        r = _unsqueeze_dims(F, r, self.dims, self.keepdim)
        g = _unsqueeze_dims(F, g, self.dims, self.keepdim)
        mask = F.eq(x, r)
        return (mask * (g / F.sum(mask, self.dims, True)),)


class AminBackward0(AmaxBackward0):
    __slots__ = ()
    formula = "amin(self, dim, keepdim)"


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
