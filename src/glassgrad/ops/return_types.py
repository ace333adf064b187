"""Named tuples that ops return, printed as ``torch.return_types.max(values=..., indices=...)``."""

from __future__ import annotations

from typing import Any

_TYPES: dict[str, type] = {}


class _ReturnType(tuple):
    _fields: tuple[str, ...] = ()
    _name = ""

    def __new__(cls, *values: Any) -> Any:
        return tuple.__new__(cls, values)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[self._fields.index(name)]
        except ValueError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"torch.return_types.{self._name}(\n{body})"

    __str__ = __repr__


def _make(name: str, fields: tuple[str, ...]) -> type:
    cls = type(name, (_ReturnType,), {"_fields": fields, "_name": name, "__slots__": ()})
    cls.__module__ = "torch.return_types"
    _TYPES[name] = cls
    return cls


for _n in ("max", "min", "median", "nanmedian", "mode", "kthvalue", "cummax", "cummin", "sort", "topk"):
    _make(_n, ("values", "indices"))
_make("aminmax", ("min", "max"))


def return_type(name: str, *values: Any) -> Any:
    return _TYPES[name](*values)
