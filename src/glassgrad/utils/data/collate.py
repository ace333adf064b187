"""Collation: turning a list of samples into a batch (``default_collate``), PyTorch's rules.

A batch of tensors is stacked along a new first dimension; Python floats become a float64
tensor, ints an int64 tensor (bools a bool tensor); NumPy arrays and scalars become tensors of
their dtype; strings and bytes stay a list; dicts, named tuples and sequences are collated field by
field (a tuple of fields becomes a list, as in PyTorch).
"""

from __future__ import annotations

import collections.abc
import copy
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from ... import dtypes as D
from ...creation import as_tensor, tensor
from ...ops.shape import stack
from ...tensor import Tensor

__all__ = ["collate", "default_collate", "default_collate_fn_map", "default_convert"]

np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)

CollateMap = dict[type | tuple[type, ...], Callable[..., Any]]


def _like_mapping(template: Any, items: dict[Any, Any]) -> Any:
    """``items`` in ``template``'s mapping type: a mutable mapping is copied and updated, another type is
    called with them; a plain dict where that type cannot be built so (a ``TypeError``)."""
    try:
        if isinstance(template, collections.abc.MutableMapping):
            clone = copy.copy(template)
            clone.update(items)
            return clone
        return type(template)(items)
    except TypeError:
        return items


def _like_sequence(template: Any, items: list[Any]) -> Any:
    """``items`` in ``template``'s sequence type: a mutable sequence is copied and filled in, another type
    is called with the list; the list itself where that type cannot be built so (a ``TypeError``)."""
    try:
        if isinstance(template, collections.abc.MutableSequence):
            clone = copy.copy(template)
            for i, item in enumerate(items):
                clone[i] = item
            return clone
        return type(template)(items)
    except TypeError:
        return items


def default_convert(data: Any) -> Any:
    """Turn every NumPy array or scalar inside ``data`` into a tensor (the DataLoader's conversion
    when automatic batching is off, ``batch_size=None``)."""
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if elem_type.__name__ == "ndarray" and np_str_obj_array_pattern.search(data.dtype.str) is not None:
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _like_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]  # a list, as in PyTorch
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _like_sequence(data, [default_convert(d) for d in data])
    return data


def collate(batch: list[Any], *, collate_fn_map: CollateMap | None = None) -> Any:
    """Collate ``batch`` (a list of samples), using ``collate_fn_map[type]`` for the leaf types
    (exact type first, then the first key ``batch[0]`` is an instance of) and recursing into
    mappings, named tuples and sequences."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)

    def sub(samples: Any) -> Any:
        return collate(list(samples), collate_fn_map=collate_fn_map)

    if isinstance(elem, collections.abc.Mapping):
        return _like_mapping(elem, {key: sub(d[key] for d in batch) for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(sub(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(e) == elem_size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [sub(samples) for samples in transposed]  # a list, as in PyTorch
        return _like_sequence(elem, [sub(samples) for samples in transposed])
    raise TypeError(default_collate_err_msg_format.format(elem_type))


# ---------------------------------------------------------------------- leaf collate functions
def collate_tensor_fn(batch: list[Tensor], *, collate_fn_map: CollateMap | None = None) -> Tensor:
    """Stack tensors along a new first dimension."""
    return stack(batch, 0)


def collate_numpy_array_fn(batch: list[np.ndarray], *, collate_fn_map: CollateMap | None = None) -> Any:
    """NumPy arrays become tensors, then are stacked (string and object arrays are refused)."""
    elem = batch[0]
    if np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    return collate([as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch: list[Any], *, collate_fn_map: CollateMap | None = None) -> Tensor:
    """NumPy scalars become a 1-D tensor of their dtype."""
    return as_tensor(np.asarray(batch))


def collate_float_fn(batch: list[float], *, collate_fn_map: CollateMap | None = None) -> Tensor:
    """Python floats become a float64 tensor (not the default dtype), as in PyTorch."""
    return tensor(batch, dtype=D.float64)


def collate_int_fn(batch: list[int], *, collate_fn_map: CollateMap | None = None) -> Tensor:
    """Python ints become an int64 tensor (bools a bool tensor)."""
    return tensor(batch)


def collate_str_fn(batch: list[Any], *, collate_fn_map: CollateMap | None = None) -> list[Any]:
    """Strings and bytes stay as they are, in a list."""
    return batch


default_collate_fn_map: CollateMap = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch: list[Any]) -> Any:
    """Put a list of samples together into a batch (a new first dimension of size ``len(batch)``).

    >>> default_collate([0, 1, 2, 3])
    tensor([0, 1, 2, 3])
    >>> default_collate(["a", "b", "c"])
    ['a', 'b', 'c']
    >>> default_collate([{"A": 0, "B": 1}, {"A": 100, "B": 100}])
    {'A': tensor([  0, 100]), 'B': tensor([  1, 100])}
    >>> default_collate([(0, 1), (2, 3)])
    [tensor([0, 2]), tensor([1, 3])]
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)
