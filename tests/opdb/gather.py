"""Gather/scatter-style indexing: index_select, gather, scatter (+ add, reduce), index_add, index_copy,
index_fill, masked_fill/select/scatter, take, take_along_dim (function, method and in-place spellings).

A case lists the op's arguments: ``F(*shape)`` is a random float tensor (it requires grad in the
gradient checks), ``I(...)`` an int64 index tensor, ``M(...)`` a bool mask; anything else is passed
as is.  Scatter-like cases write each position at most once where PyTorch leaves the winner of a
repeated index unspecified (scatter, index_copy).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from opinfo import OpInfo, Sample, away_from_zero, shape_id, signed

OPS: list[OpInfo] = []


def add_op(*args: Any, **kwargs: Any) -> None:
    OPS.append(OpInfo(*args, **kwargs))


class F:
    """A random float argument of this shape."""

    def __init__(self, *shape: int) -> None:
        self.shape = shape


def I(*values: Any) -> np.ndarray:  # noqa: E743
    """An int64 index (a 0-d one from a single int)."""
    return np.asarray(values[0] if len(values) == 1 else values, dtype=np.int64)


def M(*values: Any) -> np.ndarray:
    """A bool mask (a 0-d one from a single bool)."""
    return np.asarray(values[0] if len(values) == 1 else values, dtype=bool)


def cases(*case_list: tuple[Any, ...], gen: Any = signed, kwargs: dict[str, Any] | None = None) -> Any:
    def samples(rng: np.random.Generator, dtype: Any) -> list[Sample]:
        out = []
        for case in case_list:
            args = tuple(gen(rng, a.shape, dtype) if isinstance(a, F) else a for a in case)
            desc = "-".join(shape_id(a.shape) if isinstance(a, (F, np.ndarray)) else repr(a) for a in case)
            out.append(Sample(args, dict(kwargs or {}), desc))
        return out
    return samples


EMPTY = np.zeros(0, dtype=np.int64)

# ---------------------------------------------------------------------------- index_select
_INDEX_SELECT = cases((F(3, 4), 0, I(0, 2, 2)), (F(3, 4), 1, I(3, 0)), (F(2, 3, 4), -1, I([1])),
                      (F(2, 3, 4), 1, I(2, 0, 2, 1)), (F(5), 0, I(3)), (F(), 0, I([0])), (F(), 0, I(0)),
                      (F(3, 4), 0, EMPTY))
add_op("index_select_fn", lambda m, x, dim, idx: m.index_select(x, dim, idx), _INDEX_SELECT)
add_op("index_select_method", lambda m, x, dim, idx: x.index_select(dim, idx), _INDEX_SELECT)
add_op("index_select_noncontiguous", lambda m, x, idx: x.t().index_select(0, idx), cases((F(3, 4), I(1, 3, 1))))
add_op("index_select_int32_index", lambda m, x: m.index_select(x, 1, m.tensor([2, 0], dtype=m.int32)),
       cases((F(3, 4),)))

# ---------------------------------------------------------------------------- gather, take_along_dim
_GATHER = cases((F(3, 4), 0, I([0, 1, 2, 0], [2, 2, 1, 0])), (F(3, 4), 1, I([0], [3], [1])),
                (F(3, 4), 1, I([[0, 0, 3]])), (F(2, 3, 4), -1, I([[[3, 0], [1, 1], [2, 3]], [[0, 0], [3, 2], [1, 0]]])),
                (F(2, 3, 4), 1, I([[[2, 0, 1, 1]], [[0, 0, 2, 1]]])), (F(), 0, I(0)), (F(5), 0, I(2)),
                (F(), 0, I(0, 0)), (F(3, 4), 1, np.zeros((3, 0), dtype=np.int64)))
add_op("gather_fn", lambda m, x, dim, idx: m.gather(x, dim, idx), _GATHER)
add_op("gather_method", lambda m, x, dim, idx: x.gather(dim, idx), _GATHER)
add_op("gather_kw", lambda m, x, idx: m.gather(x, dim=1, index=idx), cases((F(3, 4), I([1, 1], [0, 3], [2, 2]))))
add_op("gather_noncontiguous", lambda m, x, idx: x.t().gather(1, idx), cases((F(3, 4), I([1, 1], [0, 2], [2, 2], [0, 0]))))
_TAKE_ALONG = cases((F(3, 4), I([1, 0, 3, 2], [0, 0, 1, 1], [3, 3, 3, 3]), 1), (F(3, 4), I([[2, 0, 1, 1]]), 0),
                    (F(3, 4), I([0], [2], [1]), 1), (F(3, 1), I([[0, 0, 0, 0]]), 0), (F(3, 4), I(11, 0, 5, 5), None),
                    (F(2, 3, 4), I([[[0], [1], [2]]]), 2))
add_op("take_along_dim_fn", lambda m, x, idx, dim: m.take_along_dim(x, idx, dim), _TAKE_ALONG)
add_op("take_along_dim_method", lambda m, x, idx, dim: x.take_along_dim(idx, dim=dim), _TAKE_ALONG)

# ---------------------------------------------------------------------------- scatter, scatter_add
_SCATTER_SRC = cases((F(3, 4), 0, I([0, 1, 2, 0], [2, 2, 1, 1]), F(2, 4)), (F(3, 4), 1, I([0, 2], [1, 3], [3, 0]), F(3, 2)),
                     (F(), 0, I(0), F()), (F(5), 0, I(4, 0, 2), F(3)), (F(2, 3, 4), 2, I([[[3], [0], [1]]]), F(1, 3, 1)))
add_op("scatter_src_fn", lambda m, x, dim, idx, src: m.scatter(x, dim, idx, src), _SCATTER_SRC)
add_op("scatter_src_method", lambda m, x, dim, idx, src: x.scatter(dim, idx, src=src), _SCATTER_SRC)
add_op("scatter_src_inplace", lambda m, x, dim, idx, src: x.clone().scatter_(dim, idx, src), _SCATTER_SRC)
# a src larger than the index: PyTorch's backward rejects the gather-shaped gradient, so forward only
add_op("scatter_src_larger", lambda m, x, idx, src: m.scatter(x, 0, idx, src), cases((F(3, 4), I([[1, 0]]), F(3, 4))),
       supports_grad=False)
_SCATTER_VALUE = cases((F(3, 4), 0, I([0, 1, 2, 0], [0, 1, 1, 1])), (F(3, 4), -1, I([[0], [3], [1]])), (F(), 0, I(0)))
add_op("scatter_value_fn", lambda m, x, dim, idx: m.scatter(x, dim, idx, 1.5), _SCATTER_VALUE)
add_op("scatter_value_kw", lambda m, x, dim, idx: x.scatter(dim, idx, value=-2), _SCATTER_VALUE)
add_op("scatter_value_inplace", lambda m, x, dim, idx: x.clone().scatter_(dim, idx, 0.5), _SCATTER_VALUE)
# scatter(reduce=...) has no derivative in PyTorch (NotImplemented): forward only
add_op("scatter_reduce_kw_add", lambda m, x, idx, src: m.scatter(x, 0, idx, src, reduce="add"),
       cases((F(3, 4), I([0, 0, 2, 0], [0, 1, 2, 2]), F(2, 4))), supports_grad=False)
add_op("scatter_reduce_kw_multiply", lambda m, x, idx: x.scatter(1, idx, 2.5, reduce="multiply"),
       cases((F(3, 4), I([0, 0], [3, 1], [2, 2]))), supports_grad=False)
_SCATTER_ADD = cases((F(3, 4), 0, I([0, 0, 2, 0], [0, 1, 2, 2]), F(2, 4)), (F(5), 0, I(0, 0, 4, 1, 1, 1), F(6)),
                     (F(3, 4), 1, I([3, 3, 3], [0, 1, 0], [2, 2, 2]), F(3, 3)), (F(), 0, I(0), F()))
add_op("scatter_add_fn", lambda m, x, dim, idx, src: m.scatter_add(x, dim, idx, src), _SCATTER_ADD)
add_op("scatter_add_method", lambda m, x, dim, idx, src: x.scatter_add(dim, idx, src), _SCATTER_ADD)
add_op("scatter_add_inplace", lambda m, x, dim, idx, src: x.clone().scatter_add_(dim, idx, src), _SCATTER_ADD)
add_op("scatter_add_noncontiguous", lambda m, x, idx, src: m.scatter_add(x.t(), 0, idx, src.t()),
       cases((F(3, 4), I([0, 0, 2], [1, 1, 1]), F(3, 2))))

# ---------------------------------------------------------------------------- scatter_reduce
_SCATTER_REDUCE = ((F(3, 4), 0, I([0, 0, 2, 0], [0, 1, 2, 2], [1, 1, 2, 0]), F(3, 4)),
                   (F(5), 0, I(0, 0, 4, 1, 1, 1), F(6)), (F(2, 3), 1, I([[2, 2, 0, 0]] * 2), F(2, 4)))
for _reduce in ("sum", "prod", "mean", "amax", "amin"):
    for _inc in (True, False):
        # (amax/amin: random values never tie, so the gradient is defined; prod: no zeros)
        add_op(f"scatter_reduce_{_reduce}_{'incl' if _inc else 'excl'}",
               lambda m, x, dim, idx, src, _r=_reduce, _i=_inc: m.scatter_reduce(x, dim, idx, src, _r, include_self=_i),
               cases(*_SCATTER_REDUCE, gen=away_from_zero))
add_op("scatter_reduce_method", lambda m, x, idx, src: x.scatter_reduce(0, idx, src, reduce="amax"),
       cases((F(4), I(0, 0, 3), F(3))))
add_op("scatter_reduce_inplace", lambda m, x, idx, src: x.clone().scatter_reduce_(0, idx, src, "mean",
                                                                                   include_self=False),
       cases((F(4), I(0, 0, 3), F(3))))
add_op("scatter_reduce_src_larger", lambda m, x, idx, src: m.scatter_reduce(x, 0, idx, src, "prod"),
       cases((F(4), I(0, 0, 3), F(5)), gen=away_from_zero), supports_grad=False)

# ---------------------------------------------------------------------------- index_add, index_copy, index_fill
_INDEX_ADD = cases((F(3, 4), 0, I(0, 2, 0), F(3, 4)), (F(3, 4), 1, I(3, 3), F(3, 2)), (F(), 0, I([0]), F()),
                   (F(3, 4), 0, I(1), F(1, 4)), (F(2, 3, 4), 1, I(2, 0, 2, 2), F(2, 4, 4)))
add_op("index_add_fn", lambda m, x, dim, idx, src: m.index_add(x, dim, idx, src), _INDEX_ADD)
add_op("index_add_alpha", lambda m, x, dim, idx, src: m.index_add(x, dim, idx, src, alpha=2.5), _INDEX_ADD)
add_op("index_add_method", lambda m, x, dim, idx, src: x.index_add(dim, idx, src, alpha=-1), _INDEX_ADD)
add_op("index_add_inplace", lambda m, x, dim, idx, src: x.clone().index_add_(dim, idx, src), _INDEX_ADD)
add_op("index_add_noncontiguous", lambda m, x, idx, src: m.index_add(x.t(), 1, idx, src.t()),
       cases((F(3, 4), I(0, 0), F(2, 4))))
_INDEX_COPY = cases((F(3, 4), 0, I(2, 0), F(2, 4)), (F(3, 4), 1, I(3, 1), F(3, 2)), (F(), 0, I([0]), F()),
                    (F(3, 4), 0, I(1), F(1, 4)), (F(2, 3, 4), -1, I(0, 3, 1), F(2, 3, 3)))
add_op("index_copy_fn", lambda m, x, dim, idx, src: m.index_copy(x, dim, idx, src), _INDEX_COPY)
add_op("index_copy_method", lambda m, x, dim, idx, src: x.index_copy(dim, idx, src), _INDEX_COPY)
add_op("index_copy_inplace", lambda m, x, dim, idx, src: x.clone().index_copy_(dim, idx, src), _INDEX_COPY)
_INDEX_FILL = cases((F(3, 4), 1, I(0, 2, -1)), (F(3, 4), 0, I(1, 1)), (F(), 0, I([0])), (F(2, 3, 4), 1, I(2)),
                    (F(3, 4), 0, EMPTY))
add_op("index_fill_fn", lambda m, x, dim, idx: m.index_fill(x, dim, idx, 1.5), _INDEX_FILL)
add_op("index_fill_method", lambda m, x, dim, idx: x.index_fill(dim, idx, -1), _INDEX_FILL)
add_op("index_fill_inplace", lambda m, x, dim, idx: x.clone().index_fill_(dim, idx, 2.0), _INDEX_FILL)
add_op("index_fill_tensor_value", lambda m, x, idx, v: m.index_fill(x, 0, idx, v),
       cases((F(3, 4), I(0, 0, 2), F()), (F(5), I(4), F()), (F(), I([0]), F())))
add_op("index_fill_tensor_value_inplace", lambda m, x, idx, v: x.clone().index_fill_(1, idx, v),
       cases((F(3, 4), I(3, 1), F())))

# ---------------------------------------------------------------------------- masked_fill, masked_select, masked_scatter
_MASK34 = M([True, False, False, True], [False, False, True, True], [True, True, True, False])
_MASKED_FILL = cases((F(3, 4), _MASK34), (F(4), _MASK34), (F(3, 4), M(False, True, True, False)), (F(), M(True)),
                     (F(2, 3, 4), M([True], [False], [True])))
add_op("masked_fill_fn", lambda m, x, mask: m.masked_fill(x, mask, 2.0), _MASKED_FILL)
add_op("masked_fill_method", lambda m, x, mask: x.masked_fill(mask, -1), _MASKED_FILL)
add_op("masked_fill_inplace", lambda m, x, mask: x.clone().masked_fill_(mask, 0.5),
       cases((F(3, 4), _MASK34), (F(3, 4), M(False, True, True, False)), (F(), M(True))))
add_op("masked_fill_tensor_value", lambda m, x, mask, v: m.masked_fill(x, mask, v),
       cases((F(3, 4), _MASK34, F()), (F(4), _MASK34, F()), (F(), M(False), F())))
add_op("masked_fill_tensor_value_inplace", lambda m, x, mask, v: x.clone().masked_fill_(mask, v),
       cases((F(3, 4), M(False, True, True, False), F())))
add_op("masked_fill_noncontiguous", lambda m, x, mask: x.t().masked_fill(mask, 3.0),
       cases((F(4, 3), _MASK34)))
_MASKED_SELECT = cases((F(3, 4), _MASK34), (F(4), _MASK34), (F(3, 4), M(False, True, True, False)), (F(), M(True)),
                       (F(), M(False)), (F(3, 1), M(True, False, True, False)))
add_op("masked_select_fn", lambda m, x, mask: m.masked_select(x, mask), _MASKED_SELECT)
add_op("masked_select_method", lambda m, x, mask: x.masked_select(mask), _MASKED_SELECT)
_MASKED_SCATTER = cases((F(3, 4), _MASK34, F(12)), (F(3, 4), M(True, False, True, True), F(3, 5)),
                        (F(4), _MASK34, F(2, 3, 2)), (F(), M(True), F(2)), (F(3, 4), _MASK34, F(7)))
add_op("masked_scatter_fn", lambda m, x, mask, src: m.masked_scatter(x, mask, src), _MASKED_SCATTER)
add_op("masked_scatter_method", lambda m, x, mask, src: x.masked_scatter(mask, src), _MASKED_SCATTER)
add_op("masked_scatter_inplace", lambda m, x, mask, src: x.clone().masked_scatter_(mask, src),
       cases((F(3, 4), _MASK34, F(12)), (F(3, 4), M(True, False, True, True), F(3, 5))))

# ---------------------------------------------------------------------------- take
_TAKE = cases((F(3, 4), I([0, -1], [11, 5])), (F(3, 4), I(1, 1, 1)), (F(), I(0)), (F(5), EMPTY), (F(2, 3), I(-6)),
              (F(2, 3, 4), I([[23, 0, 7]])))
add_op("take_fn", lambda m, x, idx: m.take(x, idx), _TAKE)
add_op("take_method", lambda m, x, idx: x.take(idx), _TAKE)
add_op("take_noncontiguous", lambda m, x, idx: x.t().take(idx), cases((F(3, 4), I(0, 1, 2, 1))))

# ---------------------------------------------------------------------------- empty inputs
# (fd=False: opinfo's finite differences need at least one element)
add_op("index_select_empty", lambda m, x, dim, idx: m.index_select(x, dim, idx), cases((F(0, 4), 1, I(1, 1))), fd=False)
add_op("index_add_empty", lambda m, x, idx, src: m.index_add(x, 0, idx, src), cases((F(3, 4), EMPTY, F(0, 4))),
       fd=False)
add_op("masked_fill_empty", lambda m, x, mask: m.masked_fill(x, mask, 1.0), cases((F(0, 4), M(True, False, True, False))),
       fd=False)
add_op("masked_select_empty", lambda m, x, mask: x.masked_select(mask), cases((F(0, 4), M(True, False, True, False))),
       fd=False)
add_op("take_empty", lambda m, x, idx: m.take(x, idx), cases((F(0, 2), EMPTY)), fd=False)
