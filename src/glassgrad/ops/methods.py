"""Attach the ops to ``Tensor`` as methods and operators (``x.mul(y)``, ``x * y``)."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import activation as A
from . import elementwise as E
from . import indexing as I
from . import inplace as IP
from . import shape as S


def _r(fn: Any) -> Any:
    """Reflected operator: ``other OP self``."""
    def reflected(self: Tensor, other: Any) -> Tensor:
        return fn(other, self)
    return reflected


def _i(fn: Any) -> Any:
    """Augmented assignment (``x += y``) through the in-place op."""
    def augmented(self: Tensor, other: Any) -> Tensor:
        return fn(self, other)
    return augmented


def _cmp(fn: Any) -> Any:
    def compare(self: Tensor, other: Any) -> Any:
        if not isinstance(other, (Tensor, int, float, bool, list)) and not hasattr(other, "__array__"):
            return NotImplemented  # e.g. `t == None`, `t == Ellipsis`: Python's default answer
        return fn(self, other)
    return compare


#: The core methods and operators; each op family adds its own (in-place variants, reductions,
#: linear algebra …) through its ``METHODS``, which ``attach`` merges in.
METHODS: dict[str, Any] = {
    # operators
    "__add__": E.add, "__radd__": E.add, "__sub__": E.sub, "__rsub__": E.rsub,
    "__mul__": E.mul, "__rmul__": E.mul, "__truediv__": E.div, "__rtruediv__": E.rdiv,
    "__pow__": E.pow, "__rpow__": lambda self, other: E.pow(other, self),
    "__neg__": E.neg, "__pos__": lambda self: self,
    "__abs__": E.abs, "__getitem__": I.getitem, "__setitem__": I.setitem,
    "__iadd__": _i(IP.add_), "__isub__": _i(IP.sub_), "__imul__": _i(IP.mul_), "__itruediv__": _i(IP.div_),
    "__ipow__": _i(IP.pow_),
    "__eq__": _cmp(E.eq), "__ne__": _cmp(E.ne), "__lt__": _cmp(E.lt), "__le__": _cmp(E.le),
    "__gt__": _cmp(E.gt), "__ge__": _cmp(E.ge),
    "__invert__": E.bitwise_not, "__and__": E.bitwise_and, "__or__": E.bitwise_or, "__xor__": E.bitwise_xor,
    "__rand__": E.bitwise_and, "__ror__": E.bitwise_or, "__rxor__": E.bitwise_xor,
    # arithmetic
    "add": E.add, "sub": E.sub, "subtract": E.sub, "mul": E.mul, "multiply": E.mul, "div": E.div,
    "divide": E.div, "true_divide": E.true_divide, "pow": E.pow, "neg": E.neg, "negative": E.neg,
    "reciprocal": E.reciprocal, "square": E.square,
    "exp": E.exp, "log": E.log, "sqrt": E.sqrt, "sin": E.sin, "cos": E.cos, "tanh": E.tanh,
    "sigmoid": E.sigmoid, "relu": E.relu, "abs": E.abs, "absolute": E.abs, "sign": E.sign,
    "maximum": E.maximum, "minimum": E.minimum, "where": lambda self, cond, other: E.where(cond, self, other),
    "eq": E.eq, "ne": E.ne, "lt": E.lt, "le": E.le, "gt": E.gt, "ge": E.ge, "equal": E.equal,
    "greater": E.gt, "greater_equal": E.ge, "less": E.lt, "less_equal": E.le, "not_equal": E.ne,
    "logical_not": E.logical_not, "isnan": E.isnan, "isinf": E.isinf, "isfinite": E.isfinite,
    "allclose": E.allclose, "isclose": E.isclose,
    # shape
    "view": S.view, "reshape": S.reshape, "view_as": S.view_as, "reshape_as": S.reshape_as,
    "flatten": S.flatten, "transpose": S.transpose, "swapaxes": S.transpose, "swapdims": S.transpose,
    "t": S.t, "permute": S.permute, "unsqueeze": S.unsqueeze, "squeeze": S.squeeze, "expand": S.expand,
    "expand_as": S.expand_as, "broadcast_to": S.broadcast_to, "contiguous": S.contiguous, "clone": S.clone,
    "to": S.to, "float": S.float_, "double": S.double, "half": S.half, "long": S.long, "int": S.int_,
    "short": S.short, "char": S.char, "byte": S.byte, "bool": S.bool_, "type_as": S.type_as,
    "nonzero": S.nonzero,
    "softmax": A.softmax, "log_softmax": A.log_softmax,
}

PROPERTIES: dict[str, Any] = {"T": S.T, "mT": S.mT}


def _cpu(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    return self


def _type(self: Tensor, dtype: Any = None, non_blocking: bool = False) -> Any:
    if dtype is None:
        return f"torch.{self.dtype.tensor_type}"
    if isinstance(dtype, str):
        from .. import dtypes as D
        name = dtype.replace("torch.", "")
        for d in D.ALL:
            if d.tensor_type == name:
                return S.to(self, d)
        raise ValueError(f"invalid type: '{dtype}'")
    return S.to(self, dtype)


def attach() -> None:
    from . import FAMILIES
    for fam in FAMILIES:
        METHODS.update(getattr(fam, "METHODS", {}))
    for name, fn in METHODS.items():
        setattr(Tensor, name, fn)
    for name, fn in PROPERTIES.items():
        setattr(Tensor, name, property(fn))
    Tensor.cpu = _cpu  # type: ignore[attr-defined]
    Tensor.type = _type  # type: ignore[attr-defined]
    Tensor.__hash__ = lambda self: id(self)  # type: ignore[method-assign]
