"""Softmax and log-softmax, fused and numerically stable (max subtracted first)."""

from __future__ import annotations

import warnings
from typing import Any

from ._base import STATE, D, Node, Tensor, record, saved_output, wrap, wrap_dim, xp
from ._rows import row_max, row_sum


def _softmax_dim(ndim: int, name: str) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an argument.",
        UserWarning, stacklevel=4,
    )
    return 0 if ndim in (0, 1, 3) else 1


def _prep(input: Tensor, dim: Any, dtype: D.dtype | None, name: str) -> tuple[Tensor, Any, int]:
    """The (cast) input, its array and the wrapped dim; PyTorch's errors for integer input."""
    if dtype is not None:
        from .shape import to
        input = to(input, dtype)  # recorded as ToCopyBackward0, as PyTorch does
    d = input._data
    if dim is None:
        dim = _softmax_dim(d.ndim, name)
    ax = wrap_dim(dim, d.ndim)
    if d.dtype.kind != "f":
        kernel = f"{name}_lastdim_kernel_impl" if ax == d.ndim - 1 or d.ndim == 0 else f"{name}_kernel_impl"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}'")
    return input, d, ax


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: D.dtype | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``.  d/dinput = result * (grad - sum(grad * result, dim))."""
    input, d, ax = _prep(input, dim, dtype, "softmax")
    if d.ndim == 0:
        r = wrap(xp.ones_like(d))
    elif d.size == 0:
        r = wrap(d.copy())
    elif ax == d.ndim - 1:  # the usual last dim: fast row reductions (see _rows), exp in place
        e = d - row_max(d)
        xp.exp(e, out=e)
        e /= row_sum(e)
        r = wrap(e)
    else:
        e = xp.exp(d - d.max(axis=ax, keepdims=True))
        e /= e.sum(axis=ax, keepdims=True)
        r = wrap(e)
    if STATE.grad_enabled and input._rg:
        n = SoftmaxBackward0()
        n.dim = ax if d.ndim else None
        record(r, n, (input,), (saved_output(r),))
    return r


class SoftmaxBackward0(Node):
    __slots__ = ("dim",)
    formula = "softmax(self, dim)"
    derivatives = ("result * (grad - (grad * result).sum(dim, keepdim=True))",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (y,) = self.unpack(F)
        gy = g * y
        if self.dim is None:
            return (gy - gy * y,)
        if not F.tensor_mode and self.dim == y.ndim - 1:  # the same values, one temporary fewer
            gy -= y * row_sum(gy)
            return (gy,)
        return (gy - y * F.sum(gy, self.dim, True),)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: D.dtype | None = None) -> Tensor:
    """x - logsumexp(x) along ``dim``.  d/dinput = grad - exp(result) * sum(grad, dim)."""
    input, d, ax = _prep(input, dim, dtype, "log_softmax")
    if d.ndim == 0:
        r = wrap(xp.zeros_like(d))
    elif d.size == 0:
        r = wrap(d.copy())
    elif ax == d.ndim - 1:  # the usual last dim: fast row reductions (see _rows)
        s = d - row_max(d)
        s -= xp.log(row_sum(xp.exp(s)))
        r = wrap(s)
    else:
        s = d - d.max(axis=ax, keepdims=True)
        r = wrap(s - xp.log(xp.exp(s).sum(axis=ax, keepdims=True)))
    if STATE.grad_enabled and input._rg:
        n = LogSoftmaxBackward0()
        n.dim = ax if d.ndim else None
        record(r, n, (input,), (saved_output(r),))
    return r


class LogSoftmaxBackward0(Node):
    __slots__ = ("dim",)
    formula = "log_softmax(self, dim)"
    derivatives = ("grad - exp(result) * grad.sum(dim, keepdim=True)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (y,) = self.unpack(F)
        if self.dim is None:
            return (g - F.exp(y) * g,)
        if not F.tensor_mode and self.dim == y.ndim - 1:
            e = F.exp(y)
            e *= row_sum(g)
            return (g - e,)
        return (g - F.exp(y) * F.sum(g, self.dim, True),)
