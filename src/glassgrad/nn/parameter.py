"""``nn.Parameter``: a leaf tensor that a Module registers as a parameter."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor, _init


class Parameter(Tensor):
    """A tensor that is a module parameter (``requires_grad=True`` by default).

    Prints as ``Parameter containing:`` followed by the tensor, as in PyTorch.
    """

    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        from ..creation import empty
        if data is None:
            data = empty(0)
        t = object.__new__(cls)
        _init(t, data._data)
        t._vc = data._version_box()  # shares storage and version with ``data``, as PyTorch does
        if requires_grad:
            t.requires_grad = True
        return t

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass

    def __repr__(self, **kw: Any) -> str:  # type: ignore[override]
        return Tensor.__repr__(self, prefix="Parameter containing:\ntensor(")

    __str__ = __repr__

    def __reduce_ex__(self, proto: int) -> Any:
        return (Parameter, (Tensor._make(self._data.copy()), self._rg))

    def __deepcopy__(self, memo: dict[int, Any]) -> Parameter:
        p = Parameter(Tensor._make(self._data.copy()), self._rg)
        memo[id(self)] = p
        return p


class Buffer(Tensor):
    """Marks a tensor to be registered as a module buffer (``nn.Buffer``)."""

    __slots__ = ("persistent",)

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Any:
        from ..creation import empty
        if data is None:
            data = empty(0)
        t = object.__new__(cls)
        _init(t, data._data)
        t._rg = data._rg
        t.persistent = persistent
        return t

    def __init__(self, data: Tensor | None = None, *, persistent: bool = True) -> None:
        pass
