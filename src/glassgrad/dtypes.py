"""dtypes and PyTorch's type-promotion rules.

A :class:`dtype` wraps the backend's array dtype and prints as PyTorch prints it
(``torch.float32``).  Promotion follows c10's ``ResultTypeState``: operands are
grouped into dimensioned tensors, zero-dim tensors and Python scalars ("wrapped
numbers"); a lower group only changes the result when it is of a higher
category (bool < integer < floating).
"""

from __future__ import annotations

import numpy as _np

__all__ = [
    "dtype", "float16", "float32", "float64", "int8", "int16", "int32", "int64",
    "uint8", "bool_", "get_default_dtype", "set_default_dtype", "promote_types",
]


class dtype:
    """A tensor element type, e.g. ``glassgrad.float32`` (prints ``torch.float32``)."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "category", "tensor_type",
                 "scalar_name")

    def __init__(self, name: str, np_dtype: object, category: int, tensor_type: str) -> None:
        self.name = name
        self.np = _np.dtype(np_dtype)
        self.category = category  # 0 bool, 1 integer, 2 floating
        self.is_floating_point = category == 2
        self.is_signed = self.np.kind in "fi"
        self.itemsize = self.np.itemsize
        self.tensor_type = tensor_type  # PyTorch's legacy type name, used in error messages
        self.scalar_name = tensor_type[:-len("Tensor")]  # PyTorch's ScalarType name: "Float", "Long", "Bool"…

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self) -> str:
        return self.name

    @property
    def is_complex(self) -> bool:
        return False

    def to_real(self) -> dtype:
        return self


float16 = dtype("float16", _np.float16, 2, "HalfTensor")
float32 = dtype("float32", _np.float32, 2, "FloatTensor")
float64 = dtype("float64", _np.float64, 2, "DoubleTensor")
int8 = dtype("int8", _np.int8, 1, "CharTensor")
int16 = dtype("int16", _np.int16, 1, "ShortTensor")
int32 = dtype("int32", _np.int32, 1, "IntTensor")
int64 = dtype("int64", _np.int64, 1, "LongTensor")
uint8 = dtype("uint8", _np.uint8, 1, "ByteTensor")
bool_ = dtype("bool", _np.bool_, 0, "BoolTensor")

ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool_)
#: numpy dtype -> glassgrad dtype (the one lookup every ``.dtype`` read does)
FROM_NP: dict[object, dtype] = {d.np: d for d in ALL}


def from_np(np_dtype: object) -> dtype:
    """The glassgrad dtype of a backend dtype; TypeError for one PyTorch lacks."""
    try:
        return FROM_NP[np_dtype]
    except KeyError:
        d = _np.dtype(np_dtype)
        if d in FROM_NP:
            return FROM_NP[d]
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{d.name}. The only supported types are: "
            "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint8, and bool."
        ) from None


class _Defaults:
    float_dtype: dtype = float32


def get_default_dtype() -> dtype:
    """The dtype given to tensors made from Python floats (``float32`` unless changed)."""
    return _Defaults.float_dtype


def set_default_dtype(d: dtype) -> None:
    """Set the default floating dtype (``float32`` or ``float64``, or ``float16``)."""
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _Defaults.float_dtype = d


def promote_types(a: dtype, b: dtype) -> dtype:
    """PyTorch's ``torch.promote_types``: the smallest dtype both fit into."""
    if a is b:
        return a
    if a.category != b.category:
        hi, lo = (a, b) if a.category > b.category else (b, a)
        # an integer or bool never widens a float, and bool never widens anything
        return hi
    return FROM_NP[_np.promote_types(a.np, b.np)]


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    # c10::combine_categories
    if higher is None:
        return lower
    if higher.is_floating_point:
        return higher
    if lower is not None and (higher is bool_ or lower.is_floating_point):
        return promote_types(higher, lower)
    return higher


def result_type(dims: list[dtype], zero_dims: list[dtype], scalars: list[dtype]) -> dtype:
    """``at::result_type`` for operands already sorted into their three groups."""
    def fold(ds: list[dtype]) -> dtype | None:
        out = None
        for d in ds:
            out = d if out is None else promote_types(out, d)
        return out

    r = _combine(fold(dims), _combine(fold(zero_dims), fold(scalars)))
    assert r is not None
    return r
