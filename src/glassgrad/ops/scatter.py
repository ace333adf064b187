"""Placing a gradient back into zeros (``embed``) and taking it out again (``take_key``).

These are the derivative rules of indexing and of max/min over a dim; as
differentiable ops they make those rules work with ``create_graph=True``:
each one's derivative is the other.
"""

from __future__ import annotations

from typing import Any

from ..backends.numpy_backend import ArrayNamespace
from ._base import STATE, Node, Tensor, record, wrap, xp


def embed(g: Tensor, shape: tuple[int, ...], key: Any, advanced: bool) -> Tensor:
    """Zeros of ``shape`` with ``g`` at ``key``.  d/dg = grad[key]."""
    r = wrap(ArrayNamespace.embed(g._data, shape, key, advanced))
    if STATE.grad_enabled and g._rg:
        n = EmbedBackward0()
        n.key = key
        record(r, n, (g,))
    return r


class EmbedBackward0(Node):
    __slots__ = ("key",)
    formula = "zeros(shape).index_put(key, g)"
    derivatives = ("grad[key]",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.take_key(g, self.key),)


def take_key(g: Tensor, key: Any) -> Tensor:
    """``g[key]`` for a ready-made NumPy key.  d/dg = embed(grad, g.shape, key)."""
    d = g._data
    r = wrap(d[key])
    if STATE.grad_enabled and g._rg:
        n = TakeBackward1()
        n.key = key
        n.shape = d.shape
        record(r, n, (g,))
    return r


class TakeBackward1(Node):
    __slots__ = ("key", "shape")
    formula = "self[key]"
    derivatives = ("zeros(self.shape).index_put(key, grad)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.embed(g, self.shape, self.key, _is_advanced(self.key)),)


def _is_advanced(key: Any) -> bool:
    return any(hasattr(k, "dtype") for k in (key if isinstance(key, tuple) else (key,)))


def scatter_dim(shape: tuple[int, ...], dim: int, index: Any, src: Tensor, dtype: Any = None) -> Tensor:
    """Zeros of ``shape`` with ``src`` put at ``index`` along ``dim``."""
    idx = index._data if isinstance(index, Tensor) else index
    key = list(xp.indices(idx.shape, sparse=True))
    key[dim] = idx
    return embed(src, shape, tuple(key), True)


def zero_at(g: Tensor, key: Any) -> Tensor:
    """``g`` with the positions at ``key`` set to zero."""
    mask = xp.ones(g._data.shape, dtype=bool)
    mask[key] = False
    from .elementwise import mul
    return mul(g, Tensor._make(mask))
