"""Fast reductions over the last dim of large float arrays (softmax, log_softmax, layer_norm).

NumPy reduces a short contiguous last axis slowly: summing rows of 32 float32 values runs at
about 0.8 ns an element where a matrix-vector product with a vector of ones runs at 0.2, and
``max`` over rows of up to 64 values takes 2-4 ns an element (no SIMD for short rows) where
halving the rows with elementwise ``maximum`` takes under 2.  Arrays up to ``PRECISE_MAX``
elements keep NumPy's own reductions, so the values people print are summed exactly as before;
for larger ones the order of the additions changes (as it differs from PyTorch's anyway).
"""

from __future__ import annotations

from typing import Any

from ..backends.numpy_backend import PRECISE_MAX
from ._base import xp

_BLAS = (xp.dtype(xp.float32), xp.dtype(xp.float64))


def row_sum(d: Any) -> Any:
    """``d.sum(axis=-1, keepdims=True)``; a matrix-vector product with ones for large float32/float64 ``d``."""
    if d.size > PRECISE_MAX and d.dtype in _BLAS and d.ndim >= 1 and d.shape[-1] > 1:
        return (d @ xp.ones(d.shape[-1], dtype=d.dtype))[..., None]
    return d.sum(axis=-1, keepdims=True)


def row_max(d: Any) -> Any:
    """``d.max(axis=-1, keepdims=True)``, by halving short rows with ``maximum`` for large ``d``.

    The maximum does not depend on the order of comparisons (NaN propagates either way), so the
    result is NumPy's (up to the sign of a row whose maximum is a zero).
    """
    n = d.shape[-1] if d.ndim else 0
    if d.size <= PRECISE_MAX or not 1 < n <= 64 or d.dtype.kind != "f":
        return d.max(axis=-1, keepdims=True)
    while n > 1:
        h = (n + 1) // 2  # the halves overlap by one element when n is odd: harmless for a maximum
        d = xp.maximum(d[..., :h], d[..., n - h:])
        n = h
    return d


def sum_keep(d: Any, axes: tuple[int, ...]) -> Any:
    """``d.sum(axis=axes, keepdims=True)``, through ``row_sum`` when ``axes`` is the last dim only."""
    if len(axes) == 1 and axes[0] == d.ndim - 1:
        return row_sum(d)
    return d.sum(axis=axes, keepdims=True)
