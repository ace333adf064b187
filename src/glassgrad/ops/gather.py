"""Gather/scatter-style indexing: index_select, gather, scatter (+ add, reduce), index_add,
index_copy, index_fill, masked_fill, masked_select, masked_scatter, take, take_along_dim.

Every op turns its index into a NumPy key once (``_along``: one index along a dim;
``_dim_key``: an index tensor that names a position along ``dim`` for every element).
The derivative rules then only move gradients through that key: ``F.take_key`` reads
the indexed positions (gather), ``F.embed`` adds a gradient into zeros at them
(``np.add.at``, so repeated indices accumulate) and ``F.zero_at`` clears them.
0-d tensors are handled as 1-element vectors, as PyTorch does, and reshaped back.
The in-place twins (``index_add_``, ``masked_fill_``…) are at the end.
"""

from __future__ import annotations

import warnings
from typing import Any

from ._base import STATE, Node, Tensor, broadcast_error, record, saved_output, wrap, wrap_dim, xp
from .binary import _cpp_name, _expect_tensor, _inplace, _method, _out, _type_name, record_not_implemented

_INDEX_DTYPES = (xp.int32, xp.int64)


# ====================================================================== helpers
def _req(x: Any) -> bool:
    return isinstance(x, Tensor) and x._rg


def _grad_on(*xs: Any) -> bool:
    return STATE.grad_enabled and any(_req(x) for x in xs)


def _as_1d(a: Any) -> Any:
    """A 0-d array as a 1-element vector (PyTorch's ``ensure_nonempty``); others unchanged."""
    return a.reshape(1) if a.ndim == 0 else a


def _first_out_of_range(idx: Any, size: int, negative_ok: bool = False) -> int | None:
    """The first index (in memory order) outside ``[0, size)`` (or ``[-size, size)``), else None."""
    if idx.size == 0:
        return None
    bad = (idx >= size) | (idx < (-size if negative_ok else 0))
    if not bad.any():
        return None
    return int(idx.reshape(-1)[xp.argmax(bad.reshape(-1))])


def _out_of_bounds(v: int, dim: int, size: int, prefix: str = "") -> str:
    return f"{prefix}index {v} is out of bounds for dimension {dim} with size {size}"


def _along(dim: int, idx: Any) -> tuple[Any, ...]:
    """The key that indexes ``idx`` (a vector) along ``dim``."""
    return (slice(None),) * dim + (idx.astype(xp.int64, copy=False),)


def _dim_key(idx: Any, dim: int) -> tuple[Any, ...]:
    """The key of gather/scatter: element ``i`` of ``idx`` names position ``idx[i]`` along ``dim``."""
    key = list(xp.indices(idx.shape, sparse=True))
    key[dim] = idx.astype(xp.int64, copy=False)
    return tuple(key)


def _reshaped(F: Any, t: Any, shape: tuple[int, ...]) -> Any:
    """``t`` reshaped to ``shape`` (only when it differs, so the graph stays as small as PyTorch's)."""
    return t if tuple(t.shape) == tuple(shape) else F.reshape(t, shape)


def _check_mask(mask: Tensor, message: str) -> Any:
    m = mask._data
    if m.dtype != bool:
        raise RuntimeError(message.format(cpp=_cpp_name(m.dtype), name=_type_name(m.dtype)))
    return m


def _broadcast(mask: Any, d: Any) -> tuple[int, ...]:
    """The broadcast shape of a mask and a tensor (PyTorch's error names the mask ``a``)."""
    try:
        return xp.broadcast_shapes(mask.shape, d.shape)
    except ValueError:
        raise broadcast_error(mask, d) from None


class _Keyed(Node):
    """Base of the nodes here.  ``key`` indexes the input seen at least 1-d (``shape1``; its own shape
    is ``shape``); ``side``/``side1`` are the shapes of the tensor on the key's other side (the output
    of index_select/gather, the source of scatter/index_add…; for scatter the index's shape)."""

    __slots__ = ("key", "shape", "shape1", "side", "side1")

    def taken(self, F: Any, g: Any) -> Any:
        """``grad`` at the key (grad.gather / grad.index_select), in the other side's shape."""
        return _reshaped(F, F.take_key(_reshaped(F, g, self.shape1), self.key), self.side)

    def zeroed(self, F: Any, g: Any) -> Any:
        """``grad`` with the keyed positions zeroed (grad.scatter(dim, index, 0))."""
        return _reshaped(F, F.zero_at(_reshaped(F, g, self.shape1), self.key), self.shape)

    def embedded(self, F: Any, g: Any) -> Any:
        """Zeros of the input's shape with ``grad`` added at the key (repeated indices accumulate)."""
        return _reshaped(F, F.embed(_reshaped(F, g, self.side1), self.shape1, self.key, True), self.shape)


def _keyed(cls: type[_Keyed], key: Any, d: Any, side: Any = None) -> Any:
    """A node of class ``cls`` for input array ``d`` and other-side array ``side``."""
    n = cls()
    n.key, n.shape, n.shape1 = key, d.shape, _as_1d(d).shape
    if side is not None:
        n.side, n.side1 = side.shape, _as_1d(side).shape
    return n


# ====================================================================== index_select
def index_select(input: Tensor, dim: int, index: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The slices at ``index`` along ``dim``.  d/dinput = zeros.index_add(dim, index, grad)."""
    _expect_tensor("index_select", "index", 3, index)
    d, idx = input._data, index._data
    dim = wrap_dim(dim, max(d.ndim, 1))
    if idx.dtype not in _INDEX_DTYPES:
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if d.ndim == 0 and idx.size != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)")
    flat = idx.reshape(-1)
    d1 = _as_1d(d)
    size = d1.shape[dim]
    if d.ndim > 1 and size == 0 and flat.size:
        raise RuntimeError("index_select(): self indexing axis dim should be positive")
    bad = _first_out_of_range(flat, size)
    if bad is not None:
        if d.ndim > 1 and dim == 1:  # PyTorch's fast path for dim 1 words it differently
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={size}")
        raise IndexError("index out of range in self")
    key = _along(dim, flat)
    r1 = d1[key]
    r = wrap(r1.reshape(()) if d.ndim == 0 else r1)
    if _grad_on(input):
        record(r, _keyed(IndexSelectBackward0, key, d, r._data), (input,), (index,))
    return _out("index_select", r, out)


class _Selected(_Keyed):
    """A selection at the key (index_select, gather): the gradient goes back to the selected places."""

    __slots__ = ()

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        self.unpack(F)  # the saved index: PyTorch fails if it was modified in place
        return (self.embedded(F, g),)


class IndexSelectBackward0(_Selected):
    __slots__ = ()
    formula = "index_select(self, dim, index)"
    derivatives = ("zeros(self.shape).index_add(dim, index, grad)",)


# ====================================================================== gather
def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False,
           out: Tensor | None = None) -> Tensor:
    """``out[i][j] = input[index[i][j]][j]`` (for dim 0).  d/dinput = zeros.scatter_add(dim, index, grad)."""
    _expect_tensor("gather", "index", 3, index)
    d, idx = input._data, index._data
    dim = wrap_dim(dim, max(d.ndim, 1))
    if idx.dtype not in _INDEX_DTYPES:
        raise RuntimeError("gather(): Expected dtype int32/int64 for index")
    if max(idx.ndim, 1) != max(d.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    d1, i1 = _as_1d(d), _as_1d(idx)
    for k in range(d1.ndim):
        if k != dim and i1.shape[k] > d1.shape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index {list(idx.shape)} to be no "
                               f"larger than self {list(d.shape)} apart from dimension {dim}")
    bad = _first_out_of_range(i1, d1.shape[dim])
    if bad is not None:
        raise RuntimeError(_out_of_bounds(bad, dim, d1.shape[dim]))
    key = _dim_key(i1, dim)
    r = wrap(d1[key].reshape(idx.shape))
    if _grad_on(input):
        record(r, _keyed(GatherBackward0, key, d, idx), (input,), (index,))
    return _out("gather", r, out)


class GatherBackward0(_Selected):
    __slots__ = ()
    formula = "gather(self, dim, index)"
    derivatives = ("zeros(self.shape).scatter_add(dim, index, grad)",)


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None, *, out: Tensor | None = None) -> Tensor:
    """``gather`` with ``input`` and ``indices`` broadcast against each other (PyTorch's composition:
    expand, then gather; without ``dim``, both flattened)."""
    from .shape import expand, view
    _expect_tensor("take_along_dim", "indices", 2, indices)
    if dim is None:
        return _out("take_along_dim", gather(view(input, -1), 0, view(indices, -1)), out)
    d, idx = input._data, indices._data
    if d.ndim != idx.ndim:
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same number of dimensions, but got "
            f"{d.ndim} dimensions for input, and {idx.ndim} dimensions for indices")
    if idx.dtype != xp.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got {_type_name(idx.dtype)}")
    dim = wrap_dim(dim, d.ndim)

    def with_size(shape: tuple[int, ...], n: int) -> Any:  # an array of ``shape`` with ``n`` at ``dim``
        return xp.broadcast_to(xp.empty(()), shape[:dim] + (n,) + shape[dim + 1:])
    try:
        idx_shape = xp.broadcast_shapes(with_size(d.shape, idx.shape[dim]).shape, idx.shape)
        in_shape = xp.broadcast_shapes(with_size(idx.shape, d.shape[dim]).shape, d.shape)
    except ValueError:
        raise broadcast_error(with_size(d.shape, idx.shape[dim]), idx) from None
    return _out("take_along_dim", gather(expand(input, in_shape), dim, expand(indices, idx_shape)), out)


# ====================================================================== scatter, scatter_add, scatter_reduce
def _scatter_checks(fname: str, d: Any, dim: int, idx: Any, src: Any) -> tuple[Any, Any, Any]:
    """PyTorch's checks of scatter-like ops; returns the 1-d views of input, index and (cropped) source."""
    if idx.dtype not in _INDEX_DTYPES:
        raise RuntimeError(f"{fname}(): Expected dtype int32/int64 for index")
    if src is not None and src.dtype != d.dtype:
        raise RuntimeError(f"{fname}(): Expected self.dtype to be equal to src.dtype")
    if max(idx.ndim, 1) != max(d.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if src is not None and max(idx.ndim, 1) != max(src.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    d1, i1 = _as_1d(d), _as_1d(idx)
    s1 = _as_1d(src) if src is not None else None
    if i1.size:
        too_big = any(i1.shape[k] > d1.shape[k] for k in range(d1.ndim) if k != dim)
        if src is not None and (too_big or any(a > b for a, b in zip(i1.shape, s1.shape))):
            raise RuntimeError(
                f"Expected index {list(idx.shape)} to be no larger than self {list(d.shape)} apart from dimension "
                f"{dim} and to be no larger size than src {list(src.shape)}")
        if too_big:
            raise RuntimeError(
                f"Expected index {list(idx.shape)} to be no larger than self {list(d.shape)} apart from dimension "
                f"{dim}")
    bad = _first_out_of_range(i1, d1.shape[dim])
    if bad is not None:
        raise RuntimeError(_out_of_bounds(bad, dim, d1.shape[dim]))
    if s1 is not None:
        s1 = s1[tuple(slice(0, n) for n in i1.shape)]
    return d1, i1, s1


_SCATTER_DEPRECATED = ("The reduce argument of torch.scatter with Tensor src is deprecated and will be removed in "
                       "a future PyTorch release. Use torch.scatter_reduce instead for more reduction options.")


def scatter(input: Tensor, dim: int, index: Tensor, src: Any = None, value: Any = None, *,
            reduce: str | None = None) -> Tensor:
    """``input`` with ``src`` (or the number ``value``) written at ``index`` along ``dim``.
    d/dinput = grad.scatter(dim, index, 0), d/dsrc = grad.gather(dim, index)."""
    _expect_tensor("scatter", "index", 3, index)
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src
    d, idx = input._data, index._data
    dim = wrap_dim(dim, max(d.ndim, 1))
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    d1, i1, s1 = _scatter_checks("scatter", d, dim, idx, src._data if src is not None else None)
    key = _dim_key(i1, dim)
    r1 = d1.copy()
    new = s1 if src is not None else xp.asarray(value).astype(d.dtype)
    if reduce is None:
        r1[key] = new
    else:
        if src is not None:
            warnings.warn(_SCATTER_DEPRECATED, UserWarning, stacklevel=2)
        (xp.add if reduce == "add" else xp.multiply).at(r1, key, xp.broadcast_to(new, i1.shape))
    r = wrap(r1.reshape(d.shape))
    if reduce is not None:
        return record_not_implemented(r, "scatter", input, src)
    if src is not None:
        if _grad_on(input, src):
            record(r, _keyed(ScatterBackward0, key, d, idx), (input, src), (index,))
    elif _grad_on(input):
        record(r, _keyed(ScatterBackward1, key, d), (input,), (index,))
    return r


class ScatterBackward0(_Keyed):
    __slots__ = ()
    formula = "scatter(self, dim, index, src)"
    derivatives = ("grad.scatter(dim, index, 0)", "grad.gather(dim, index)")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        self.unpack(F)  # the saved index: PyTorch fails if it was modified in place
        # Note: the gradient of src has the index's shape, as in PyTorch (which then rejects a larger src)
        return (self.zeroed(F, g) if self.needs(0) else None, self.taken(F, g) if self.needs(1) else None)


class ScatterBackward1(_Keyed):
    __slots__ = ()
    formula = "scatter(self, dim, index, value)   (value a number)"
    derivatives = ("grad.scatter(dim, index, 0)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        self.unpack(F)  # the saved index: PyTorch fails if it was modified in place
        return (self.zeroed(F, g),)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """``input`` with ``src`` added at ``index`` along ``dim`` (repeats accumulate).
    d/dinput = grad, d/dsrc = grad.gather(dim, index)."""
    _expect_tensor("scatter_add", "index", 3, index)
    _expect_tensor("scatter_add", "src", 4, src)
    d, idx = input._data, index._data
    dim = wrap_dim(dim, max(d.ndim, 1))
    d1, i1, s1 = _scatter_checks("scatter", d, dim, idx, src._data)
    key = _dim_key(i1, dim)
    r1 = d1.copy()
    xp.add.at(r1, key, s1)
    r = wrap(r1.reshape(d.shape))
    if _grad_on(input, src):
        record(r, _keyed(ScatterAddBackward0, key, d, idx), (input, src), (index,))
    return r


class ScatterAddBackward0(_Keyed):
    __slots__ = ()
    formula = "scatter_add(self, dim, index, src)"
    derivatives = ("grad", "grad.gather(dim, index)")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        self.unpack(F)  # the saved index: PyTorch fails if it was modified in place
        return (g if self.needs(0) else None, self.taken(F, g) if self.needs(1) else None)


_REDUCTIONS = {"sum": "sum", "prod": "prod", "mean": "mean", "amax": "amax", "amin": "amin", "max": "amax",
               "min": "amin"}


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """Reduce ``src`` into ``input`` at ``index`` along ``dim`` with sum, prod, mean, amax or amin.

    d/dinput and d/dsrc as PyTorch's ``scatter_reduce_backward``: sum passes grad (gathered for src);
    mean divides by the count; amax/amin share grad equally among the elements equal to the result;
    prod multiplies by result / element.
    """
    _expect_tensor("scatter_reduce", "index", 3, index)
    _expect_tensor("scatter_reduce", "src", 4, src)
    op = _REDUCTIONS.get(reduce)
    if op is None:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    d, idx = input._data, index._data
    dim = wrap_dim(dim, max(d.ndim, 1))
    d1, i1, s1 = _scatter_checks("scatter_reduce", d, dim, idx, src._data)
    key = _dim_key(i1, dim)
    r1, count = _scatter_reduce_kernel(d1, key, s1, op, include_self)
    r = wrap(r1.reshape(d.shape))
    if _grad_on(input, src):
        n = _keyed(ScatterReduceBackward0, key, d, idx)
        n.reduce, n.include_self, n.crop = op, include_self, None
        n.w_self = n.w_src = None
        saved: tuple[Any, ...] = (index,)
        if op == "mean":
            n.w_self, n.w_src = 1.0 / count, 1.0 / count[key]
        elif op in ("amax", "amin"):
            self_hit = (d1 == r1).astype(d.dtype)
            src_hit = (s1 == r1[key]).astype(d.dtype)
            ties = self_hit.copy()
            xp.add.at(ties, key, src_hit)
            n.w_self, n.w_src = self_hit / ties, src_hit / ties[key]
        elif op == "prod":
            saved = (index, input, src, saved_output(r))
            if s1.shape != src._data.shape:
                n.crop = (_as_1d(src._data).shape, tuple(slice(0, k) for k in i1.shape))
        record(r, n, (input, src), saved)
    return r


def _scatter_reduce_kernel(d1: Any, key: Any, s1: Any, op: str, include_self: bool) -> tuple[Any, Any]:
    """The forward of scatter_reduce; also the element counts (for mean)."""
    r1 = d1.copy()
    if not include_self:  # the keyed positions start from the reduction's identity
        kind = d1.dtype.kind
        identity = {"sum": 0, "mean": 0, "prod": 1,
                    "amax": -xp.inf if kind == "f" else xp.iinfo(d1.dtype).min if kind != "b" else False,
                    "amin": xp.inf if kind == "f" else xp.iinfo(d1.dtype).max if kind != "b" else True}[op]
        r1[key] = identity
    # (maximum/minimum: NaN wins, as in PyTorch)
    ufunc = {"sum": xp.add, "mean": xp.add, "prod": xp.multiply, "amax": xp.maximum, "amin": xp.minimum}[op]
    ufunc.at(r1, key, s1)
    count = None
    if op == "mean":
        count = xp.full(d1.shape, 1 if include_self else 0, dtype=d1.dtype)
        xp.add.at(count, key, 1)
        count[count == 0] = 1
        r1 = r1 / count if d1.dtype.kind == "f" else xp.floor_divide(r1, count)
    return r1.astype(d1.dtype, copy=False), count


class ScatterReduceBackward0(_Keyed):
    __slots__ = ("reduce", "include_self", "w_self", "w_src", "crop")
    formula = "scatter_reduce(self, dim, index, src, reduce, include_self)"
    derivatives = ("sum: grad; mean: grad / count; amax/amin: grad * (self == result) / ties; "
                   "prod: grad * result / self; 0 at the index where not include_self",
                   "sum: grad.gather(dim, index); mean: that / count; amax/amin: that * (src == result) / ties; "
                   "prod: (grad * result).gather(dim, index) / src")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        saved = self.unpack(F)  # (index,), and for prod (index, self, src, result)
        g1 = _reshaped(F, g, self.shape1)
        if self.reduce == "prod":
            _, x, s, r = saved
            gr = g1 * _reshaped(F, r, self.shape1)
            gx = gr / _reshaped(F, x, self.shape1)
            if self.crop is not None:  # only the part of src the index covers
                s = F.take_key(_reshaped(F, s, self.crop[0]), self.crop[1])
            gs = F.take_key(gr, self.key) / _reshaped(F, s, self.side1)
        elif self.reduce == "sum":
            gx, gs = g1, F.take_key(g1, self.key)
        else:
            gx, gs = g1 * self.w_self, F.take_key(g1, self.key) * self.w_src
        if not self.include_self:
            gx = F.zero_at(gx, self.key)
        return (_reshaped(F, gx, self.shape) if self.needs(0) else None,
                _reshaped(F, gs, self.side) if self.needs(1) else None)


# ====================================================================== index_add, index_copy, index_fill
def _source_checks(d: Any, dim: int, flat: Any, s: Any) -> None:
    """index_add's checks that ``source`` fits ``input`` apart from ``dim``."""
    d1, s1 = _as_1d(d), _as_1d(s)
    if s1.ndim != d1.ndim or any(a != b for k, (a, b) in enumerate(zip(d1.shape, s1.shape)) if k != dim) \
            or (d.ndim == 0) != (s.ndim == 0):
        raise RuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified dimension. "
            f"Got self.shape = {list(d.shape)} source.shape = {list(s.shape)}")
    if flat.size != s1.shape[dim]:
        raise RuntimeError(f"index_add_(): Number of indices ({flat.size}) should be equal to source.size(dim): "
                           f"({s1.shape[dim]}), for dim: {dim}")


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1,
              out: Tensor | None = None) -> Tensor:
    """``input`` with ``alpha * source`` added at ``index`` along ``dim`` (repeats accumulate).
    d/dinput = grad, d/dsource = alpha * grad.index_select(dim, index)."""
    _expect_tensor("index_add", "index", 3, index)
    _expect_tensor("index_add", "source", 4, source)
    d, idx, s = input._data, index._data, source._data
    dim = wrap_dim(dim, max(d.ndim, 1))
    if idx.dtype not in _INDEX_DTYPES:
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: {_type_name(idx.dtype)}")
    if idx.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: {idx.ndim} with type: "
                         f"{_type_name(idx.dtype)} and size: {list(idx.shape)}")
    if s.dtype != d.dtype:
        raise RuntimeError(f"index_add_(): self ({_type_name(d.dtype)}) and source ({_type_name(s.dtype)}) must "
                           "have the same scalar type")
    flat = idx.reshape(-1)
    _source_checks(d, dim, flat, s)
    d1 = _as_1d(d)
    bad = _first_out_of_range(flat, d1.shape[dim])
    if bad is not None:
        raise RuntimeError(_out_of_bounds(bad, dim, d1.shape[dim]))
    key = _along(dim, flat)
    r1 = d1.copy()
    xp.add.at(r1, key, _as_1d(s) if alpha == 1 else _as_1d(s) * d.dtype.type(alpha))
    r = wrap(r1.reshape(d.shape))
    if _grad_on(input, source):
        n = _keyed(IndexAddBackward0, key, d, s)
        n.alpha = alpha
        record(r, n, (input, source), (index,))
    return _out("index_add", r, out)


class IndexAddBackward0(_Keyed):
    __slots__ = ("alpha",)
    formula = "index_add(self, dim, index, source, alpha)"
    derivatives = ("grad", "alpha * grad.index_select(dim, index)")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        self.unpack(F)  # the saved index: PyTorch fails if it was modified in place
        gs = None
        if self.needs(1):
            gs = self.taken(F, g)
            if self.alpha != 1:
                gs = gs * self.alpha
        return (g if self.needs(0) else None, gs)


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``input`` with the slices of ``source`` written at ``index`` along ``dim``.
    d/dinput = grad.index_fill(dim, index, 0), d/dsource = grad.index_select(dim, index)."""
    _expect_tensor("index_copy", "index", 3, index)
    _expect_tensor("index_copy", "source", 4, source)
    d, idx, s = input._data, index._data, source._data
    dim = wrap_dim(dim, max(d.ndim, 1))
    if idx.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {idx.ndim})")
    if idx.dtype != xp.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {_type_name(idx.dtype)}")
    flat = idx.reshape(-1)
    if d.ndim and s.ndim and d.ndim != s.ndim:
        raise IndexError("index_copy_(): When source and destination are not scalars, their dimensionality must "
                         f"match. Source dimensionality ({s.ndim}), destination dimensionality ({d.ndim})")
    d1, s1 = _as_1d(d), _as_1d(s)
    if flat.size != s1.shape[dim]:
        raise IndexError(f"index_copy_(): Number of indices ({flat.size}) should be equal to source.size(dim) "
                         f"({s1.shape[dim]})")
    dest_slice = d1.shape[:dim] + d1.shape[dim + 1:]
    src_slice = s1.shape[:dim] + s1.shape[dim + 1:]
    if dest_slice != src_slice:
        raise RuntimeError(
            "index_copy_(): Source/destination tensor must have same slice shapes. Destination slice shape: "
            f"{' '.join(map(str, dest_slice))} at dimension {dim} and source slice shape: "
            f"{' '.join(map(str, src_slice))} at dimension 0.")
    if s.dtype != d.dtype:
        raise RuntimeError("index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{_type_name(d.dtype)} and (source) {_type_name(s.dtype)}")
    bad = _first_out_of_range(flat, d1.shape[dim])
    if bad is not None:
        raise IndexError(_out_of_bounds(bad, dim, d1.shape[dim], "index_copy_(): "))
    key = _along(dim, flat)
    r1 = d1.copy()
    r1[key] = s1
    r = wrap(r1.reshape(d.shape))
    if _grad_on(input, source):
        record(r, _keyed(IndexCopyBackward0, key, d, s), (input, source), (index,))
    return _out("index_copy", r, out)


class IndexCopyBackward0(_Keyed):
    __slots__ = ()
    formula = "index_copy(self, dim, index, source)"
    derivatives = ("grad.index_fill(dim, index, 0)", "grad.index_select(dim, index)")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        self.unpack(F)  # the saved index: PyTorch fails if it was modified in place
        return (self.zeroed(F, g) if self.needs(0) else None, self.taken(F, g) if self.needs(1) else None)


def _value_tensor(value: Any, fname: str) -> None:
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(f"{fname} only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value._data.ndim} dimension(s).")


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """``input`` with ``value`` written at ``index`` along ``dim`` (negative indices count from the end).
    d/dinput = grad.index_fill(dim, index, 0), d/dvalue = grad.index_select(dim, unique(index)).sum()."""
    _expect_tensor("index_fill", "index", 3, index)
    d, idx = input._data, index._data
    dim = wrap_dim(dim, max(d.ndim, 1))
    if idx.dtype != xp.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if idx.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    _value_tensor(value, "index_fill_")
    d1 = _as_1d(d)
    size = d1.shape[dim]
    flat = idx.reshape(-1)
    bad = _first_out_of_range(flat, size, negative_ok=True)
    if bad is not None:
        raise IndexError(_out_of_bounds(bad, dim, size))
    key = _along(dim, xp.unique(flat % size) if size else flat)
    r1 = d1.copy()
    r1[key] = value._data if isinstance(value, Tensor) else value
    r = wrap(r1.reshape(d.shape))
    if isinstance(value, Tensor):
        if _grad_on(input, value):
            n = _keyed(IndexFillBackward1, key, d)
            n.negative = bool((flat < 0).any())
            record(r, n, (input, value), (index,))
    elif _grad_on(input):
        record(r, _keyed(IndexFillBackward0, key, d), (input,), (index,))
    return r


class IndexFillBackward0(_Keyed):
    __slots__ = ()
    formula = "index_fill(self, dim, index, value)   (value a number)"
    derivatives = ("grad.index_fill(dim, index, 0)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        self.unpack(F)  # the saved index: PyTorch fails if it was modified in place
        return (self.zeroed(F, g),)


class IndexFillBackward1(_Keyed):
    __slots__ = ("negative",)
    formula = "index_fill(self, dim, index, value)   (value a 0-d tensor)"
    derivatives = ("grad.index_fill(dim, index, 0)", "grad.index_select(dim, unique(index)).sum()")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        self.unpack(F)  # the saved index: PyTorch fails if it was modified in place
        if self.needs(1) and self.negative:  # PyTorch's rule index_selects the raw (negative) index
            raise IndexError("index out of range in self")
        gv = F.sum(F.take_key(_reshaped(F, g, self.shape1), self.key)) if self.needs(1) else None
        return (self.zeroed(F, g) if self.needs(0) else None, gv)


# ====================================================================== masked_fill, masked_select, masked_scatter
def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    """``input`` with ``value`` where ``mask`` is True (broadcast).  d/dinput = where(mask, 0, grad),
    d/dvalue = where(mask, grad, 0).sum()."""
    _expect_tensor("masked_fill", "mask", 2, mask)
    d = input._data
    m = _check_mask(mask, "masked_fill_ only supports boolean masks, but got mask with dtype {cpp}")
    _value_tensor(value, "masked_fill_")
    _broadcast(m, d)
    v = xp.asarray(value._data if isinstance(value, Tensor) else value).astype(d.dtype)
    r = wrap(xp.where(m, v, d))
    if isinstance(value, Tensor):
        if _grad_on(input, value):
            record(r, MaskedFillBackward1(), (input, value), (mask,))
    elif _grad_on(input):
        record(r, MaskedFillBackward0(), (input,), (mask,))
    return r


class MaskedFillBackward0(Node):
    __slots__ = ()
    formula = "masked_fill(self, mask, value)   (value a number)"
    derivatives = ("where(mask, 0, grad)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (m,) = self.unpack(F)
        return (F.where(m, 0.0, g),)


class MaskedFillBackward1(Node):
    __slots__ = ()
    formula = "masked_fill(self, mask, value)   (value a 0-d tensor)"
    derivatives = ("where(mask, 0, grad)", "where(mask, grad, 0).sum()")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (m,) = self.unpack(F)
        return (F.where(m, 0.0, g) if self.needs(0) else None, F.sum(F.where(m, g, 0.0)) if self.needs(1) else None)


def _mask_key(m: Any, shape: tuple[int, ...]) -> tuple[Any, ...]:
    """The positions where the mask (broadcast to ``shape``, seen at least 1-d) is True."""
    return xp.nonzero(xp.broadcast_to(m, shape).reshape(shape or (1,)))


def masked_select(input: Tensor, mask: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The elements of ``input`` where ``mask`` is True (both broadcast), as a vector.
    d/dinput = zeros.masked_scatter(mask, grad)."""
    _expect_tensor("masked_select", "mask", 2, mask)
    d, m = input._data, mask._data
    if m.dtype != bool:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = _broadcast(m, d)
    key = _mask_key(m, shape)
    r = wrap(xp.broadcast_to(d, shape).reshape(shape or (1,))[key])
    if _grad_on(input):
        n = MaskedSelectBackward0()
        n.key, n.shape, n.shape1 = key, shape, shape or (1,)
        record(r, n, (input,), (mask,))
    return _out("masked_select", r, out)


class MaskedSelectBackward0(_Keyed):
    __slots__ = ()
    formula = "masked_select(self, mask)"
    derivatives = ("zeros(broadcast shape).masked_scatter(mask, grad)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        self.unpack(F)  # the saved mask: PyTorch fails if it was modified in place
        return (_reshaped(F, F.embed(g, self.shape1, self.key, True), self.shape),)


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """``input`` with the leading elements of ``source`` written where ``mask`` is True, in order.
    d/dinput = where(mask, 0, grad), d/dsource = grad[mask] padded with zeros to source's shape."""
    _expect_tensor("masked_scatter", "mask", 2, mask)
    _expect_tensor("masked_scatter", "source", 3, source)
    d, s = input._data, source._data
    m = _check_mask(mask, "masked_scatter_ only supports boolean masks, but got mask with dtype {name}")
    if s.dtype != d.dtype:
        raise RuntimeError("masked_scatter: expected self and source to have same dtypes but got"
                           f"{_type_name(d.dtype)} and {_type_name(s.dtype)}")
    shape = _broadcast(m, d)
    key = _mask_key(m, shape)
    count = key[0].size
    if count > s.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    r1 = xp.array(xp.broadcast_to(d, shape).reshape(shape or (1,)))
    r1[key] = s.reshape(-1)[:count]
    r = wrap(r1.reshape(shape))
    if _grad_on(input, source):
        n = MaskedScatterBackward0()
        n.key, n.shape, n.shape1 = key, shape, shape or (1,)
        n.side, n.side1 = s.shape, (s.size,)
        record(r, n, (input, source), (mask,))
    return r


class MaskedScatterBackward0(_Keyed):
    __slots__ = ()
    formula = "masked_scatter(self, mask, source)"
    derivatives = ("where(mask, 0, grad)", "grad[mask] then zeros, in source's shape")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (m,) = self.unpack(F)
        gs = None
        if self.needs(1):
            picked = F.take_key(_reshaped(F, g, self.shape1), self.key)
            count = self.key[0].size
            gs = _reshaped(F, F.embed(picked, self.side1, (slice(0, count),), False), self.side)
        return (F.where(m, 0.0, g) if self.needs(0) else None, gs)


# ====================================================================== take
def take(input: Tensor, index: Tensor) -> Tensor:
    """The elements of ``input`` (seen flat) at ``index`` (negative counts from the end), in index's shape.
    d/dinput = zeros.put(index, grad, accumulate=True)."""
    _expect_tensor("take", "index", 2, index)
    d, idx = input._data, index._data
    if idx.dtype != xp.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {_type_name(idx.dtype)}")
    n = d.size
    if n == 0 and idx.size:
        raise IndexError("take(): tried to take from an empty tensor")
    bad = _first_out_of_range(idx, n, negative_ok=True)
    if bad is not None:
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    key = ((idx % n) if n else idx,)
    r = wrap(d.reshape(-1)[key])
    if _grad_on(input):
        node = TakeBackward0()
        node.key, node.shape, node.shape1 = key, d.shape, (n,)
        record(r, node, (input,), (index,))
    return r


class TakeBackward0(_Keyed):
    __slots__ = ()
    formula = "take(self, index)"
    derivatives = ("zeros(self.numel()).index_put(index, grad, accumulate=True).view(self.shape)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        self.unpack(F)  # the saved index: PyTorch fails if it was modified in place
        return (_reshaped(F, F.embed(g, self.shape1, self.key, True), self.shape),)


# ====================================================================== exports, methods, in-place variants
__all__ = ["index_select", "gather", "scatter", "scatter_add", "scatter_reduce", "index_add", "index_copy",
           "index_fill", "masked_fill", "masked_select", "masked_scatter", "take", "take_along_dim"]

#: the Tensor argument of each op after ``self`` (None: an argument that is not a tensor), for TypeErrors
_TENSOR_ARGS: dict[str, tuple[str | None, ...]] = {
    "index_select": (None, "index"), "gather": (None, "index"), "scatter": (None, "index"),
    "scatter_add": (None, "index", "src"), "scatter_reduce": (None, "index", "src"),
    "index_add": (None, "index", "source"), "index_copy": (None, "index", "source"), "index_fill": (None, "index"),
    "masked_fill": ("mask",), "masked_select": ("mask",), "masked_scatter": ("mask", "source"), "take": ("index",),
    "take_along_dim": ("indices",),
}
#: Tensor methods this family adds (name -> function)
METHODS: dict[str, Any] = {name: _method(globals()[name], *_TENSOR_ARGS[name], name=name) for name in __all__}
for _name in ("scatter", "scatter_add", "scatter_reduce", "index_add", "index_copy", "index_fill", "masked_fill",
              "masked_scatter"):
    METHODS[_name + "_"] = _inplace(globals()[_name], *_TENSOR_ARGS[_name], name=_name)

#: names of this family's functions that also live in glassgrad.nn.functional
FUNCTIONAL: list[str] = []
