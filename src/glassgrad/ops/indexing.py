"""Indexing: ``x[...]`` as PyTorch applies it, and ``x[...] = v``.

``x[i, a:b, None]`` is applied one component at a time, as PyTorch's
``applySlicing`` does, so the graph shows the same nodes (SelectBackward0,
SliceBackward0, UnsqueezeBackward0, AliasBackward0); integer-tensor and
boolean-mask components then go through one ``index`` (IndexBackward0).
Every one of these has the same derivative: the gradient placed back into
zeros of the input's shape at the indexed positions (``F.embed``).

``x[...] = v`` is PyTorch's ``__setitem__``: the basic components make a view
of ``x``, then ``copy_``/``fill_`` (or ``index_put_`` when there are tensor
indices) writes into it, so the history is rewritten by the general in-place
mechanism (``CopySlices`` when the view is a part of ``x``).
"""

from __future__ import annotations

import operator
from typing import Any

from ._base import STATE, Node, Tensor, record, wrap, wrap_dim, xp
from .inplace import _begin, _commit, copy_, fill_
from .shape import expand, make_view, unsqueeze, view


class _PlaceBack(Node):
    """Base of the indexing nodes: grad goes back to ``key`` in zeros of ``shape``."""

    __slots__ = ("shape", "key", "advanced")
    derivatives = ("zeros(self.shape).index_put(key, grad)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.embed(g, self.shape, self.key, self.advanced),)


class SelectBackward0(_PlaceBack):
    __slots__ = ()
    formula = "self.select(dim, index)"


class SliceBackward0(_PlaceBack):
    __slots__ = ()
    formula = "self[start:end:step] along dim"


class AliasBackward0(_PlaceBack):
    __slots__ = ()
    formula = "self[...]"


class IndexBackward0(_PlaceBack):
    __slots__ = ()
    formula = "self[indices]"


def _basic(input: Tensor, key: tuple[Any, ...], cls: type[_PlaceBack]) -> Tensor:
    d = input._data
    r = make_view(input, d[key + (Ellipsis,)] if Ellipsis not in key else d[key])
    if STATE.grad_enabled and input._rg:
        n = cls()
        n.shape, n.key, n.advanced = d.shape, key, False
        record(r, n, (input,))
    return r


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` along ``dim`` (a view, one dim fewer)."""
    d = input._data
    if d.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    a = wrap_dim(dim, d.ndim)
    size = d.shape[a]
    i = int(index)
    if not -size <= i < size:
        raise IndexError(f"index {i} is out of bounds for dimension {a} with size {size}")
    key = (slice(None),) * a + (i + size if i < 0 else i,)
    return _basic(input, key, SelectBackward0)


def _slice(input: Tensor, dim: int, s: slice) -> Tensor:
    if s.step is not None and s.step <= 0:
        raise ValueError("step must be greater than zero")
    key = (slice(None),) * dim + (s,)
    return _basic(input, key, SliceBackward0)


def _is_index_tensor(c: Any) -> bool:
    return isinstance(c, (Tensor, list)) or (hasattr(c, "__array__") and not isinstance(c, (int, slice)))


def _is_int(c: Any) -> bool:
    """An integer component: a Python or NumPy integer, or a 0-d integer tensor (PyTorch selects with it)."""
    if isinstance(c, Tensor):
        return c._data.ndim == 0 and c._data.dtype.kind in "iu"
    return isinstance(c, (int, xp.integer)) or (hasattr(c, "__index__") and not _is_index_tensor(c))


def _is_bool(c: Any) -> bool:
    """A Python bool or a 0-d bool tensor (both index as a new dim of size 1 or 0)."""
    return isinstance(c, bool) or (isinstance(c, Tensor) and c._data.ndim == 0 and c._data.dtype == bool)


def _full(c: slice, size: int) -> bool:
    """``start`` 0 (or None), ``stop`` at least the size (or None), step 1: PyTorch's applySlicing skips
    such a slice (no SliceBackward0)."""
    return ((c.start is None or operator.index(c.start) == 0) and (c.stop is None or operator.index(c.stop) >= size)
            and (c.step is None or operator.index(c.step) == 1))


def getitem(input: Tensor, index: Any) -> Tensor:
    """``input[index]`` with ints, slices, None, Ellipsis, integer tensors/lists and bool masks."""
    if isinstance(index, slice):
        return _slice(input, 0, index) if input._data.ndim else _bad_0d_slice()
    if not input._data.ndim and _is_int(index) and not isinstance(index, (bool, Tensor)):
        _bad_0d()
    comps = index if isinstance(index, tuple) else (index,)
    if len(comps) == 1 and comps[0] is Ellipsis:
        return _basic(input, (Ellipsis,), AliasBackward0)
    r, advanced = _apply_slicing(input, comps)
    if advanced:
        return _advanced(r, advanced)
    if r is input:
        return _basic(input, (Ellipsis,), AliasBackward0)
    return r


def _apply_slicing(input: Tensor, comps: tuple[Any, ...]) -> tuple[Tensor, list[tuple[int, Any]]]:
    """The basic components applied one at a time (views), and the advanced ones with the dim each
    applies to in the result."""
    used = 0  # how many dims the components consume, to expand the Ellipsis
    for c in comps:
        if c is None or c is Ellipsis or _is_bool(c):
            continue
        if isinstance(c, Tensor) and c._data.dtype == bool:
            used += c._data.ndim
        else:
            used += 1
    nd = input._data.ndim
    if used > nd:
        raise IndexError(f"too many indices for tensor of dimension {nd}")
    r = input
    dim = 0
    advanced: list[tuple[int, Any]] = []
    for c in comps:
        if c is None:
            r = unsqueeze(r, dim)
            dim += 1
        elif c is Ellipsis:
            dim += nd - used
        elif _is_bool(c):
            advanced.append((dim, xp.asarray([bool(c)])))
            r = unsqueeze(r, dim)
            dim += 1
        elif _is_int(c):
            r = select(r, dim, int(c))
        elif isinstance(c, slice):
            if c.step is not None and c.step <= 0:
                raise ValueError("step must be greater than zero")
            if not _full(c, r._data.shape[dim]):
                r = _slice(r, dim, c)
            dim += 1
        else:
            arr = c._data if isinstance(c, Tensor) else xp.asarray(c)
            if arr.dtype.kind not in "biu":
                raise IndexError(
                    "tensors used as indices must be long, int, byte or bool tensors"
                )
            advanced.append((dim, arr))
            dim += arr.ndim if arr.dtype == bool else 1
    return r, advanced


def _bad_0d() -> Tensor:
    raise IndexError(
        "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a "
        "0-dim tensor to a number"
    )


def _bad_0d_slice() -> Tensor:
    raise IndexError("slice() cannot be applied to a 0-dim tensor.")


def _advanced_key(d: Any, advanced: list[tuple[int, Any]]) -> tuple[Any, ...]:
    """The NumPy key of the advanced components (checked with PyTorch's errors)."""
    key: list[Any] = []
    pos = 0
    for dim, arr in advanced:
        key.extend([slice(None)] * (dim - pos))
        if arr.dtype == bool:
            if arr.shape != d.shape[dim:dim + arr.ndim] and arr.ndim:
                for j, (m, s) in enumerate(zip(arr.shape, d.shape[dim:])):
                    if m != s:
                        raise IndexError(
                            f"The shape of the mask {list(arr.shape)} at index {j} does not match the shape of the "
                            f"indexed tensor {list(d.shape)} at index {dim + j}"
                        )
            key.append(arr)
            pos = dim + arr.ndim
        else:
            size = d.shape[dim]
            if arr.size and (arr.max() >= size or arr.min() < -size):
                bad = int(arr.max() if arr.max() >= size else arr.min())
                raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {size}")
            key.append(arr.astype(xp.int64, copy=False))
            pos = dim + 1
    return tuple(key)


def _advanced(input: Tensor, advanced: list[tuple[int, Any]]) -> Tensor:
    d = input._data
    k = _advanced_key(d, advanced)
    r = wrap(d[k])
    if STATE.grad_enabled and input._rg:
        n = IndexBackward0()
        n.shape, n.key, n.advanced = d.shape, k, True
        record(r, n, (input,))
    return r


# ---------------------------------------------------------------------- setitem
def setitem(self: Tensor, index: Any, value: Any) -> None:
    """``self[index] = value`` as PyTorch does it: a view of ``self`` for the basic components, then
    ``copy_``/``fill_`` into it, or ``index_put_`` with the tensor indices."""
    value = _value_tensor(self, value)
    if index is False:
        return
    if index is Ellipsis:
        return _copy_to(self, value)
    if index is None or index is True:
        return _copy_to(unsqueeze(self, 0), value)
    if isinstance(index, slice):
        if not self._data.ndim:
            _bad_0d_slice()
        if index.step is not None and index.step <= 0:
            raise ValueError("step must be greater than zero")
        return _copy_to(self if _full(index, self._data.shape[0]) else _slice(self, 0, index), value)
    if not self._data.ndim and _is_int(index) and not isinstance(index, (bool, Tensor)):
        _bad_0d()
    comps = index if isinstance(index, tuple) else (index,)
    sliced, advanced = _apply_slicing(self, comps)
    if not advanced:
        return _copy_to(sliced, value)
    _index_put(sliced, _advanced_key(sliced._data, advanced), _strip_leading_ones(value))


def _value_tensor(self: Tensor, value: Any) -> Tensor:
    """The assigned value as a tensor: a number becomes a 0-d tensor of ``self``'s dtype."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (int, float, xp.integer)):  # (bool is an int; NumPy floats other than float64 are not)
        return Tensor._make(xp.asarray(value).astype(self._data.dtype))
    t = type(value)
    name = t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__.split('.')[0]}.{t.__qualname__}"
    raise TypeError(f"can't assign a {name} to a torch.{self.dtype.tensor_type}")


def _strip_leading_ones(value: Tensor) -> Tensor:
    shape = value._data.shape
    i = 0
    while i < len(shape) and shape[i] == 1:
        i += 1
    return view(value, shape[i:]) if i else value


def _copy_to(dst: Tensor, src: Tensor) -> None:
    """PyTorch's ``copy_to``: ``copy_`` for equal shapes, ``fill_`` for a 0-d value, else the value
    (leading 1s dropped) expanded to ``dst``'s shape, then ``copy_``."""
    if dst._data.shape == src._data.shape:
        copy_(dst, src)
    elif src._data.ndim == 0:
        fill_(dst, src)
    else:
        s = view(src, _strip_leading_ones(src)._data.shape)
        if s._data.shape != dst._data.shape:
            s = expand(s, dst._data.shape)
        copy_(dst, s)


def index_put_(self: Tensor, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:
    """``self[indices] = values`` (``+=`` with ``accumulate``) in place, ``indices`` a tuple of index tensors.

    d/dself = grad with grad[indices] = 0 (grad with accumulate), d/dvalues = grad[indices]."""
    advanced = [(i, ix._data if isinstance(ix, Tensor) else xp.asarray(ix)) for i, ix in enumerate(indices)]
    return _index_put(self, _advanced_key(self._data, advanced), values, accumulate)


def _index_put(self: Tensor, key: tuple[Any, ...], values: Tensor, accumulate: bool = False) -> Tensor:
    recording = _begin(self, values)
    _put(self, key, values, accumulate)
    if recording:
        n = IndexPutBackward0()
        n.key, n.accumulate = key, accumulate
        record(self, n, (self, values))
        self._output_nr = 0
        return _commit(self, n)
    return _commit(self, None)


def _put(self: Tensor, key: tuple[Any, ...], values: Tensor, accumulate: bool) -> None:
    """Write ``values`` at ``key`` into ``self``'s array, with PyTorch's errors."""
    d = self._data
    if values._data.dtype != d.dtype:
        raise RuntimeError(
            "Index put requires the source and destination dtypes match, got "
            f"{self.dtype.scalar_name} for the destination and {values.dtype.scalar_name} for the source."
        )
    try:
        if accumulate:
            xp.add.at(d, key, values._data)
        else:
            d[key] = values._data
    except ValueError:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {list(values._data.shape)} cannot be broadcast to indexing "
            f"result of shape {list(d[key].shape)}"
        ) from None


def index_put(input: Tensor, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:
    """``index_put_`` on a copy of ``input`` (IndexPutBackward0, edges to ``input`` and ``values``)."""
    advanced = [(i, ix._data if isinstance(ix, Tensor) else xp.asarray(ix)) for i, ix in enumerate(indices)]
    key = _advanced_key(input._data, advanced)
    r = wrap(xp.array(input._data, copy=True))
    _put(r, key, values, accumulate)
    if STATE.grad_enabled and (input._rg or values._rg):
        n = IndexPutBackward0()
        n.key, n.accumulate = key, accumulate
        record(r, n, (input, values))
    return r


class IndexPutBackward0(Node):
    __slots__ = ("key", "accumulate")
    formula = "self.index_put_(indices, values, accumulate)"
    derivatives = ("grad with grad[indices] = 0 (grad if accumulate)", "grad[indices]")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        gs = None
        if self._next[0] is not None:
            gs = g if self.accumulate else F.zero_at(g, self.key)
        gv = F.take_key(g, self.key) if self._next[1] is not None else None
        return gs, gv


METHODS: dict[str, Any] = {"index_put_": index_put_, "index_put": index_put, "select": select}
__all__ = ["select", "index_put_", "index_put"]
