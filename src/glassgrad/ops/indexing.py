"""Indexing: ``x[...]`` as PyTorch applies it, and ``x[...] = v``.

``x[i, a:b, None]`` is applied one component at a time, as PyTorch's
``applySlicing`` does, so the graph shows the same nodes (SelectBackward0,
SliceBackward0, UnsqueezeBackward0, AliasBackward0); integer-tensor and
boolean-mask components then go through one ``index`` (IndexBackward0).
Every one of these has the same derivative: the gradient placed back into
zeros of the input's shape at the indexed positions (``F.embed``).
"""

from __future__ import annotations

from typing import Any

from ._base import STATE, Node, Tensor, record, wrap, wrap_dim, xp
from .shape import make_view, unsqueeze


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
    r = make_view(input, d[key])
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


def getitem(input: Tensor, index: Any) -> Tensor:
    """``input[index]`` with ints, slices, None, Ellipsis, integer tensors/lists and bool masks."""
    if isinstance(index, slice):
        return _slice(input, 0, index) if input._data.ndim else _bad_0d()
    comps = index if isinstance(index, tuple) else (index,)
    # how many dims each component consumes, to expand the Ellipsis
    used = 0
    for c in comps:
        if c is None or c is Ellipsis:
            continue
        if isinstance(c, Tensor) and c._data.dtype == bool:
            used += c._data.ndim
        elif isinstance(c, bool):
            continue
        else:
            used += 1
    nd = input._data.ndim
    if used > nd:
        raise IndexError(f"too many indices for tensor of dimension {nd}")
    if len(comps) == 1 and comps[0] is Ellipsis:
        return _basic(input, (Ellipsis,), AliasBackward0)
    r = input
    dim = 0
    advanced: list[tuple[int, Any]] = []
    for c in comps:
        if c is None:
            r = unsqueeze(r, dim)
            dim += 1
        elif c is Ellipsis:
            dim += nd - used
        elif isinstance(c, bool):
            advanced.append((dim, xp.asarray([c])))
            r = unsqueeze(r, dim)
            dim += 1
        elif isinstance(c, int) or (hasattr(c, "__index__") and not _is_index_tensor(c)):
            r = select(r, dim, int(c))
        elif isinstance(c, slice):
            if c != slice(None):
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
    if advanced:
        r = _advanced(r, advanced)
    elif r is input:
        r = _basic(input, (slice(None),) * 0 + (Ellipsis,), SliceBackward0) if comps else input
    return r


def _bad_0d() -> Tensor:
    raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>(m)` in C++ to convert a 0-dim tensor to a number")


def _advanced(input: Tensor, advanced: list[tuple[int, Any]]) -> Tensor:
    d = input._data
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
    k = tuple(key)
    r = wrap(d[k])
    if STATE.grad_enabled and input._rg:
        n = IndexBackward0()
        n.shape, n.key, n.advanced = d.shape, k, True
        record(r, n, (input,))
    return r


# ---------------------------------------------------------------------- setitem
def setitem(self: Tensor, index: Any, value: Any) -> None:
    """``self[index] = value``; on a tensor in the graph the write is recorded (CopySlices)."""
    from .inplace import check_inplace
    key = _numpy_key(self, index)
    v = value._data if isinstance(value, Tensor) else value
    recording = STATE.grad_enabled and (self._rg or (isinstance(value, Tensor) and value._rg))
    if recording:
        check_inplace(self, "index_put_")
    try:
        self._data[key] = v
    except (ValueError, TypeError) as e:
        raise RuntimeError(str(e)) from None
    if recording:
        n = CopySlices()
        n.key = key
        n.value_shape = value._data.shape if isinstance(value, Tensor) else None
        record(self, n, (self, value))
        self._output_nr = 0
    self._bump_version()


def _numpy_key(self: Tensor, index: Any) -> Any:
    comps = index if isinstance(index, tuple) else (index,)
    out = []
    for c in comps:
        if isinstance(c, Tensor):
            out.append(c._data)
        elif isinstance(c, list):
            out.append(xp.asarray(c))
        else:
            out.append(c)
    return tuple(out)


class CopySlices(Node):
    """``self[key] = value``: the old self gets the gradient outside ``key``, value the part inside."""

    __slots__ = ("key", "value_shape")
    formula = "self[key] = value"
    derivatives = ("grad with grad[key] = 0", "grad[key]")

    def name(self) -> str:
        return "CopySlices"

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        gv = None
        if self._next[1] is not None:
            gv = F.take_key(g, self.key)
        gs = None
        if self._next[0] is not None:
            gs = F.zero_at(g, self.key)
        return gs, gv
