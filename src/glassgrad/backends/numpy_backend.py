"""NumPy backend: the array namespace derivative rules use in first-order mode.

Every function here takes and returns backend arrays and mirrors, name for name
and argument for argument, the differentiable function of the same name in
``glassgrad.ops`` (see ``ops/_ns.py``), so a rule written once runs on raw arrays
for ``backward()`` and on Tensors for ``create_graph=True``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# Note: PyTorch computes log(0) = -inf and 0/0 = nan silently; NumPy would print a
# RuntimeWarning for each.  glassgrad matches PyTorch, so NumPy's floating-point
# warnings are turned off when the backend loads.
np.seterr(all="ignore")


#: float16/float32 arrays up to this many elements are evaluated via float64 by ``precise``
PRECISE_MAX = 2048


def precise(fn: Any) -> Any:
    """``fn`` evaluated in float64 for small float16/float32 input, rounded back to the input's dtype.

    Note: NumPy's float32 SIMD kernels for exp/log/sin/cos/tanh differ from
    PyTorch's in the last bit for 15-40% of inputs, while the float64 result
    rounded to float32 agrees with PyTorch for 95-99.9% of them (measured on
    100,000 uniform inputs).  For the small tensors whose values people print
    (up to ``PRECISE_MAX`` elements) parity is worth the upcast; for large ones
    it would cost 5x the time of the float32 kernel (measured at 10^6 elements),
    so they use NumPy's own float32 kernels.
    """
    f64, f32, f16 = np.dtype(np.float64), np.dtype(np.float32), np.dtype(np.float16)

    ufunc = isinstance(fn, np.ufunc)

    def wrapped(x: Any) -> Any:
        dt = x.dtype
        # (NumPy's dtypes are singletons: `is` costs ~30 ns where `== np.float32` costs ~250 ns)
        if (dt is f32 or dt is f16) and x.size <= PRECISE_MAX:
            if ufunc:  # the ufunc casts its input itself: one call fewer
                return fn(x, dtype=f64).astype(dt)
            return np.asarray(fn(x.astype(f64))).astype(dt)
        return fn(x)
    wrapped.__name__ = fn.__name__
    wrapped.__doc__ = fn.__doc__
    return wrapped


exp = precise(np.exp)
log = precise(np.log)
sin = precise(np.sin)
cos = precise(np.cos)
tanh = precise(np.tanh)


_BLAS = (np.dtype(np.float32), np.dtype(np.float64))


def _prod(shape: tuple[int, ...]) -> int:
    n = 1
    for k in shape:
        n *= k
    return n


def sum_to(x: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``x`` down to ``shape`` (the inverse of broadcasting ``shape`` up to ``x.shape``)."""
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and x.shape[i + lead] != 1
    )
    if len(axes) == lead and x.size > PRECISE_MAX and x.dtype in _BLAS and x.flags.c_contiguous:
        # Only leading dims summed away (a bias's gradient): a vector of ones times the rows is
        # 2.5x faster than NumPy's row-by-row reduction (1024x256 float32: 45 -> 18 us).
        # Arrays up to PRECISE_MAX elements keep NumPy's order of additions.
        rows = x.size // max(_prod(shape), 1)
        return (np.ones(rows, dtype=x.dtype) @ x.reshape(rows, -1)).reshape(shape)
    out = x.sum(axis=axes, keepdims=True) if axes else x
    if lead:
        out = out.reshape(shape)
    return out


#: the signed integer type of each float's width, to mask floats bit by bit
_BITS = {np.dtype(np.float16): np.int16, np.dtype(np.float32): np.int32, np.dtype(np.float64): np.int64}


def _is_zero(x: Any) -> bool:
    """True for the Python scalar ``0`` or ``+0.0`` (not ``-0.0``), the zero that gradient masks use."""
    t = type(x)
    return (t is float and x == 0.0 and math.copysign(1.0, x) > 0) or (t is int and x == 0)


def _keep_where(cond: Any, g: Any, invert: bool) -> Any:
    """``where(cond, g, 0)`` (``where(cond, 0, g)`` if ``invert``) for a float ``g`` as large as the result, or None.

    Note: the gradient masks of relu, clamp, masked_fill, max... are this shape, and ``np.where``
    on a data-dependent mask runs at branch-misprediction speed (2.7 ms for 512x1024 float32, where
    ``g * mask`` takes 0.35 ms).  ``g * mask`` would give -0.0 and NaN where ``where`` gives +0.0,
    so instead the float bits are ANDed with an all-ones / all-zeros integer mask: bit-identical to
    ``np.where``, branch-free (about 1.3x the time of ``g * mask``).
    """
    it = _BITS.get(g.dtype)
    if it is None or (cond.shape != g.shape and np.broadcast_shapes(cond.shape, g.shape) != g.shape):
        return None
    # True -> -1 (all bits set), False -> 0; inverted: True -> 0, False -> -1.  (bool -> int
    # with astype, then in place: 3x faster than np.negative(cond, dtype=it)'s casting loop)
    mask = cond.astype(it)
    if invert:
        mask -= 1
    else:
        np.negative(mask, out=mask)
    if mask.shape == g.shape:
        return np.bitwise_and(g.view(it), mask, out=mask).view(g.dtype)
    return np.bitwise_and(g.view(it), mask).view(g.dtype)


def _rows_summed(out: Any, key: Any, g: Any) -> bool:
    """``np.add.at(out, key, g)`` for rows ``g[i]`` added at ``out[key[0][i]]`` (embedding backward); False if not that case.

    Note: ``np.add.at`` adds one row at a time (about 0.5 us a row: 1024 rows of 64 float32, 520 us);
    sorting the indices and adding each run of equal ones with ``np.add.reduceat`` takes 110 us.
    The additions happen in another order, so this is used only above ``PRECISE_MAX`` elements
    (smaller gradients keep the one-at-a-time order that PyTorch's ``index_add_`` also uses).
    """
    if len(key) != 1 or g.size <= PRECISE_MAX or g.ndim < 2:
        return False
    idx = key[0]
    if type(idx) is not np.ndarray or idx.ndim != 1 or idx.dtype.kind not in "iu" or idx.shape[0] != g.shape[0] \
            or g.shape[1:] != out.shape[1:] or idx.min() < 0 or idx.max() >= out.shape[0]:
        return False
    order = np.argsort(idx, kind="stable")
    s = idx[order]
    starts = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
    out[s[starts]] += np.add.reduceat(g[order], starts, axis=0)
    return True


class ArrayNamespace:
    """Array-level twins of the differentiable ops that derivative rules call."""

    # elementwise
    exp = staticmethod(exp)
    log = staticmethod(log)
    sin = staticmethod(sin)
    cos = staticmethod(cos)
    sqrt = staticmethod(np.sqrt)
    tanh = staticmethod(tanh)
    sign = staticmethod(np.sign)
    abs = staticmethod(np.abs)
    matmul = staticmethod(np.matmul)
    sum_to = staticmethod(sum_to)

    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Any:
        if type(cond) is np.ndarray and cond.dtype == np.bool_:
            r = None
            if _is_zero(b) and type(a) is np.ndarray:
                r = _keep_where(cond, a, False)
            elif _is_zero(a) and type(b) is np.ndarray:
                r = _keep_where(cond, b, True)
            if r is not None:
                return r
        return np.where(cond, a, b)

    @staticmethod
    def sum(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
        return np.sum(x, axis=dim, keepdims=keepdim)

    @staticmethod
    def expand(x: Any, shape: tuple[int, ...]) -> Any:
        return np.broadcast_to(x, shape)

    @staticmethod
    def reshape(x: Any, shape: tuple[int, ...]) -> Any:
        return np.reshape(x, shape)

    @staticmethod
    def unsqueeze(x: Any, dim: int) -> Any:
        return np.expand_dims(x, dim)

    @staticmethod
    def transpose(x: Any, d0: int, d1: int) -> Any:
        return x.swapaxes(d0, d1)  # (the method: np.swapaxes's dispatch wrapper costs 4x the call)

    @staticmethod
    def permute(x: Any, dims: tuple[int, ...]) -> Any:
        return np.transpose(x, dims)

    @staticmethod
    def zeros_like(x: Any) -> Any:
        return np.zeros_like(x)

    @staticmethod
    def gt(x: Any, y: Any) -> Any:
        return np.greater(x, y)

    @staticmethod
    def eq(x: Any, y: Any) -> Any:
        return np.equal(x, y)

    @staticmethod
    def ge(x: Any, y: Any) -> Any:
        return np.greater_equal(x, y)

    @staticmethod
    def lt(x: Any, y: Any) -> Any:
        return np.less(x, y)

    @staticmethod
    def scatter_dim(shape: tuple[int, ...], dim: int, index: Any, src: Any, dtype: Any) -> Any:
        """Zeros of ``shape`` with ``src`` put at ``index`` along ``dim`` (max/min over a dim)."""
        out = np.zeros(shape, dtype=dtype)
        if len(shape) == 2 and dim in (1, -1) and index.shape == (shape[0], 1) and np.shape(src) == index.shape:
            # one entry per row (nll_loss, max over the last dim): plain fancy indexing, without
            # put_along_axis's index-building (8 us of a 64x10 loss's backward)
            out[np.arange(shape[0]), index[:, 0]] = src[:, 0]
            return out
        np.put_along_axis(out, index, src, axis=dim)
        return out

    @staticmethod
    def to_dtype(x: Any, dtype: Any) -> Any:
        return x.astype(dtype, copy=False)

    @staticmethod
    def embed(g: Any, shape: tuple[int, ...], key: Any, advanced: bool) -> Any:
        """Zeros of ``shape`` with ``g`` placed at ``key`` (summed where an advanced index repeats)."""
        out = np.zeros(shape, dtype=g.dtype)
        if advanced:
            if _rows_summed(out, key, g):
                return out
            np.add.at(out, key, g)
        else:
            out[key] = g
        return out

    @staticmethod
    def take_key(g: Any, key: Any) -> Any:
        return g[key]

    @staticmethod
    def zero_at(g: Any, key: Any) -> Any:
        out = np.array(g, copy=True)
        out[key] = 0
        return out


class NumpyBackend:
    """The default backend: arrays are ``numpy.ndarray``."""

    precise = staticmethod(precise)
    name = "numpy"
    xp = np
    ns = ArrayNamespace
    ndarray = np.ndarray

    def asarray(self, x: Any, dtype: Any = None) -> Any:
        return np.asarray(x, dtype=dtype)

    def to_host(self, x: Any) -> Any:
        return x
