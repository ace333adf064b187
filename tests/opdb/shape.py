"""Shape ops, views and in-place writes through views: split/cat/stack, flip/roll/repeat, tril/diag,
``x[...] = v`` and in-place ops on views (CopySlices), each as a function, a method and on
non-contiguous inputs."""

from __future__ import annotations

from typing import Any

import numpy as np

from opinfo import OpInfo, Sample, multi_samples, shape_id, shaped_samples, signed, unary_samples

OPS: list[OpInfo] = []


def add_op(*args: Any, **kwargs: Any) -> None:
    OPS.append(OpInfo(*args, **kwargs))


def cases(*shape_kw: tuple[tuple[int, ...], dict[str, Any]]) -> Any:
    return shaped_samples(signed, list(shape_kw))


def multi(*shape_sets: tuple[tuple[int, ...], ...]) -> Any:
    return multi_samples(tuple(signed for _ in shape_sets[0]), list(shape_sets))


def with_kwargs(shapes: tuple[tuple[int, ...], ...], **kw: Any) -> Any:
    """Arrays of ``shapes`` and fixed keyword arguments."""
    def samples(rng: np.random.Generator, dtype: Any) -> list[Sample]:
        return [Sample(tuple(signed(rng, s, dtype) for s in shapes), dict(kw),
                       "-".join(shape_id(s) for s in shapes) + (str(kw) if kw else ""))]
    return samples


def weighted_sum(m: Any, parts: Any) -> Any:
    """All outputs of a multi-output op in one tensor (each weighted), so every gradient path is checked."""
    return m.cat([(p * (i + 1)).reshape(-1) for i, p in enumerate(parts)])


# ---------------------------------------------------------------------------- rearranging dims
add_op("unflatten_method", lambda m, x, dim, sizes: x.unflatten(dim, sizes),
       cases(((3, 4), {"dim": 1, "sizes": (2, 2)}), ((2, 6), {"dim": -1, "sizes": (3, -1)}),
             ((6,), {"dim": 0, "sizes": (2, 3)}), ((2, 3, 4), {"dim": 1, "sizes": (3, 1)})),
       lambda x, dim, sizes: x.reshape(x.shape[:dim % x.ndim] + tuple(
           s if s != -1 else x.shape[dim] // -np.prod(sizes) for s in sizes) + x.shape[dim % x.ndim + 1:]))
add_op("unflatten_fn_noncontiguous", lambda m, x: m.unflatten(x.t(), 0, (2, -1)), unary_samples(shapes=[(3, 4)]),
       lambda x: x.T.reshape(2, 2, 3))
_MOVES = [((2, 3, 4), {"source": 0, "destination": 2}), ((2, 3, 4), {"source": (0, 1), "destination": (2, 0)}),
          ((2, 3, 4), {"source": -1, "destination": 0}), ((3, 4), {"source": 0, "destination": 0}),
          ((), {"source": (), "destination": ()})]
add_op("movedim_method", lambda m, x, **kw: x.movedim(**kw), cases(*_MOVES),
       lambda x, source, destination: np.moveaxis(x, source, destination))
add_op("movedim_fn", lambda m, x, **kw: m.movedim(x, **kw), cases(*_MOVES[:3]),
       lambda x, source, destination: np.moveaxis(x, source, destination))
add_op("moveaxis_fn", lambda m, x: m.moveaxis(x, 0, -1), unary_samples(shapes=[(2, 3, 4), (3, 4)]),
       lambda x: np.moveaxis(x, 0, -1))
add_op("moveaxis_method", lambda m, x: x.moveaxis(-1, 1), unary_samples(shapes=[(2, 3, 4)]),
       lambda x: np.moveaxis(x, -1, 1))
add_op("ravel_fn", lambda m, x: m.ravel(x), unary_samples(shapes=[(), (3, 4)]), np.ravel)
add_op("ravel_noncontiguous", lambda m, x: x.t().ravel(), unary_samples(shapes=[(3, 4)]), lambda x: x.T.ravel())
add_op("view_as", lambda m, x: x.view_as(m.zeros(4, 3)), unary_samples(shapes=[(3, 4), (12,)]),
       lambda x: x.reshape(4, 3))
add_op("reshape_as_noncontiguous", lambda m, x: x.t().reshape_as(m.zeros(12)), unary_samples(shapes=[(3, 4)]),
       lambda x: x.T.reshape(12))
add_op("expand_as", lambda m, x: x.expand_as(m.zeros(2, 3, 4)), unary_samples(shapes=[(3, 1), (4,), ()]),
       lambda x: np.broadcast_to(x, (2, 3, 4)))
add_op("broadcast_to_fn", lambda m, x: m.broadcast_to(x, (3, 4)), unary_samples(shapes=[(1, 4), (), (3, 4)]),
       lambda x: np.broadcast_to(x, (3, 4)))
add_op("broadcast_to_method", lambda m, x: x.broadcast_to((2, -1, 4)), unary_samples(shapes=[(3, 1)]),
       lambda x: np.broadcast_to(x, (2, 3, 4)))
add_op("contiguous_noncontiguous", lambda m, x: x.t().contiguous(), unary_samples(shapes=[(3, 4)]), lambda x: x.T)
add_op("contiguous_of_view", lambda m, x: x[1:].contiguous(), unary_samples(shapes=[(3, 4)]), lambda x: x[1:])

# ---------------------------------------------------------------------------- copies: repeat, tile, flip, roll
_REPEATS = [((3,), {"reps": (2,)}), ((2, 3), {"reps": (2, 1, 3)}), ((), {"reps": (2, 3)}),
            ((2, 3), {"reps": (1, 1)}), ((2, 3), {"reps": (0, 2)}), ((), {"reps": ()})]
add_op("repeat_method", lambda m, x, reps: x.repeat(reps), cases(*_REPEATS),
       lambda x, reps: np.tile(x, reps) if reps else x)
add_op("repeat_varargs_noncontiguous", lambda m, x: x.t().repeat(2, 2), unary_samples(shapes=[(3, 4)]),
       lambda x: np.tile(x.T, (2, 2)))
_TILES = [((2, 3), {"dims": (2,)}), ((3,), {"dims": (2, 2)}), ((), {"dims": (3,)}), ((2, 3), {"dims": (2, 1, 2)})]
add_op("tile_fn", lambda m, x, dims: m.tile(x, dims), cases(*_TILES), lambda x, dims: np.tile(x, dims))
add_op("tile_method", lambda m, x: x.tile(2), unary_samples(shapes=[(2, 3)]), lambda x: np.tile(x, 2))
_FLIPS = [((5,), {"dims": (0,)}), ((3, 4), {"dims": (0, 1)}), ((3, 4), {"dims": (-1,)}),
          ((2, 3, 4), {"dims": (0, 2)}), ((), {"dims": (0,)}), ((3, 4), {"dims": ()})]
add_op("flip_fn", lambda m, x, dims: m.flip(x, dims), cases(*_FLIPS),
       lambda x, dims: np.flip(x, dims) if x.ndim else x)
add_op("flip_method_varargs", lambda m, x: x.flip(0, 1), unary_samples(shapes=[(3, 4), (2, 3, 4)]),
       lambda x: np.flip(x, (0, 1)))
add_op("flip_noncontiguous", lambda m, x: x.t().flip(1), unary_samples(shapes=[(3, 4)]), lambda x: np.flip(x.T, 1))
add_op("fliplr", lambda m, x: m.fliplr(x), unary_samples(shapes=[(3, 4), (2, 3, 4)]), np.fliplr)
add_op("fliplr_method", lambda m, x: x.fliplr(), unary_samples(shapes=[(3, 4)]), np.fliplr)
add_op("flipud", lambda m, x: m.flipud(x), unary_samples(shapes=[(5,), (3, 4)]), np.flipud)
add_op("flipud_method", lambda m, x: x.flipud(), unary_samples(shapes=[(3, 4)]), np.flipud)
_ROLLS = [((3, 4), {"shifts": 1}), ((3, 4), {"shifts": -5}), ((3, 4), {"shifts": 1, "dims": 0}),
          ((3, 4), {"shifts": (1, -2), "dims": (0, 1)}), ((5,), {"shifts": 7, "dims": -1}),
          ((2, 3, 4), {"shifts": (2,), "dims": (2,)}), ((), {"shifts": 3})]
add_op("roll_fn", lambda m, x, **kw: m.roll(x, **kw), cases(*_ROLLS),
       lambda x, shifts, dims=None: np.roll(x, shifts, dims))
add_op("roll_method_noncontiguous", lambda m, x: x.t().roll(1, 0), unary_samples(shapes=[(3, 4)]),
       lambda x: np.roll(x.T, 1, 0))

# ---------------------------------------------------------------------------- narrow, split, chunk
_NARROWS = [((5,), {"dim": 0, "start": 1, "length": 3}), ((3, 4), {"dim": 1, "start": -2, "length": 2}),
            ((3, 4), {"dim": 0, "start": 3, "length": 0}), ((2, 3, 4), {"dim": -1, "start": 0, "length": 4})]
add_op("narrow_method", lambda m, x, **kw: x.narrow(**kw), cases(*_NARROWS))
add_op("narrow_fn_noncontiguous", lambda m, x: m.narrow(x.t(), 0, 1, 2), unary_samples(shapes=[(3, 4)]),
       lambda x: x.T[1:3])
_SPLITS = [((5, 4), {"split_size_or_sections": 2}), ((5, 4), {"split_size_or_sections": 2, "dim": 1}),
           ((5, 4), {"split_size_or_sections": [1, 3], "dim": 1}), ((5, 4), {"split_size_or_sections": 5}),
           ((5, 4), {"split_size_or_sections": [2, 0, 3]}), ((6,), {"split_size_or_sections": 4})]
add_op("split_fn", lambda m, x, **kw: m.split(x, **kw), cases(*_SPLITS))
add_op("split_fn_all_outputs", lambda m, x, **kw: weighted_sum(m, m.split(x, **kw)), cases(*_SPLITS))
# (no finite differences for empty inputs: there is no element to perturb)
add_op("split_empty", lambda m, x, **kw: m.split(x, **kw), cases(((0, 3), {"split_size_or_sections": 2})), fd=False)
add_op("split_method", lambda m, x: x.split(2, -1), unary_samples(shapes=[(3, 5)]))
add_op("split_method_sizes_noncontiguous", lambda m, x: weighted_sum(m, x.t().split([3, 1])),
       unary_samples(shapes=[(3, 4)]))
_CHUNKS = [((5, 4), {"chunks": 2}), ((5, 4), {"chunks": 3, "dim": 1}), ((6,), {"chunks": 4}),
           ((2,), {"chunks": 5})]
add_op("chunk_fn", lambda m, x, **kw: m.chunk(x, **kw), cases(*_CHUNKS))
add_op("chunk_method_all_outputs", lambda m, x, **kw: weighted_sum(m, x.chunk(**kw)), cases(*_CHUNKS))
add_op("chunk_empty", lambda m, x: m.chunk(x, 2), unary_samples(shapes=[(0,)]), fd=False)  # nothing to perturb
# (torch takes indices_or_sections by position only)
_TSPLITS = [((7,), {"ios": 3}), ((3, 6), {"ios": [1, 4], "dim": 1}), ((5, 2), {"ios": [2, 1, -1]}),
            ((4, 3), {"ios": 5})]
add_op("tensor_split_fn", lambda m, x, ios, **kw: m.tensor_split(x, ios, **kw), cases(*_TSPLITS))
add_op("tensor_split_all_outputs", lambda m, x, ios, **kw: weighted_sum(m, x.tensor_split(ios, **kw)),
       cases(*_TSPLITS))
add_op("tensor_split_tensor_arg", lambda m, x: weighted_sum(m, x.tensor_split(m.tensor([1, 3]), 1)),
       unary_samples(shapes=[(2, 5)]))
add_op("hsplit", lambda m, x: weighted_sum(m, m.hsplit(x, 2)), unary_samples(shapes=[(4,), (3, 4), (2, 4, 3)]))
add_op("hsplit_method_indices", lambda m, x: x.hsplit([1, 3]), unary_samples(shapes=[(3, 4)]))
add_op("vsplit", lambda m, x: weighted_sum(m, m.vsplit(x, [1])), unary_samples(shapes=[(3, 4)]))
add_op("dsplit", lambda m, x: weighted_sum(m, x.dsplit(3)), unary_samples(shapes=[(2, 2, 3)]))
add_op("unbind_all_outputs", lambda m, x: weighted_sum(m, x.unbind(1)), unary_samples(shapes=[(3, 4), (2, 3, 4)]))
add_op("unbind_fn", lambda m, x: m.unbind(x, -1), unary_samples(shapes=[(3, 2)]))

# ---------------------------------------------------------------------------- cat, stack and friends
add_op("cat_fn", lambda m, a, b, dim: m.cat([a, b], dim),
       lambda rng, dt: [Sample((signed(rng, sa, dt), signed(rng, sb, dt)), {"dim": d}, f"{sa}-{sb}-{d}")
                        for sa, sb, d in [((2, 3), (4, 3), 0), ((2, 3), (2, 5), 1), ((2, 3), (2, 1), -1),
                                          ((5,), (2,), 0), ((2, 3, 4), (2, 2, 4), 1)]],
       lambda a, b, dim: np.concatenate([a, b], dim))
add_op("cat_three_tuple_kw", lambda m, a, b, c: m.cat((a, b, c), dim=1), multi(((2, 1), (2, 3), (2, 2))),
       lambda a, b, c: np.concatenate([a, b, c], 1))
add_op("cat_single", lambda m, a: m.cat([a]), unary_samples(shapes=[(3, 4)]), lambda a: a)
# a 1-d empty tensor is skipped, whatever the other tensors' shapes (PyTorch's legacy rule);
# no finite differences: the empty input has no element to perturb
add_op("cat_empty", lambda m, a, b: m.cat([a, b], 1), multi(((2, 3), (0,))), lambda a, b: a, fd=False)
add_op("cat_empty_rows", lambda m, a, b: m.cat([a, b]), multi(((0, 3), (2, 3))), lambda a, b: b, fd=False)
add_op("cat_noncontiguous", lambda m, a, b: m.cat([a.t(), b[:, ::2]], 1), multi(((3, 2), (2, 6))),
       lambda a, b: np.concatenate([a.T, b[:, ::2]], 1))
add_op("concat", lambda m, a, b: m.concat([a, b], -1), multi(((2, 3), (2, 1))), lambda a, b: np.concatenate([a, b], -1))
add_op("concatenate_axis", lambda m, a, b: m.concatenate([a, b], axis=0), multi(((2, 3), (1, 3))),
       lambda a, b: np.concatenate([a, b], 0))
add_op("stack_fn", lambda m, a, b, dim: m.stack([a, b], dim),
       lambda rng, dt: [Sample((signed(rng, s, dt), signed(rng, s, dt)), {"dim": d}, f"{s}-{d}")
                        for s, d in [((2, 3), 0), ((2, 3), 1), ((2, 3), -1), ((), 0), ((4,), -2)]],
       lambda a, b, dim: np.stack([a, b], dim))
add_op("stack_three_noncontiguous", lambda m, a, b, c: m.stack((a.t(), b, c[0]), dim=2),
       multi(((3, 2), (2, 3), (1, 2, 3))), lambda a, b, c: np.stack([a.T, b, c[0]], 2))
_STACKS = [((3,), (3,)), ((2, 3), (2, 3)), ((), ()), ((2, 3, 2), (2, 3, 2))]
for _name, _np_fn in [("hstack", np.hstack), ("vstack", np.vstack), ("dstack", np.dstack),
                      ("column_stack", np.column_stack)]:
    add_op(_name, lambda m, a, b, _n=_name: getattr(m, _n)([a, b]), multi(*_STACKS),
           lambda a, b, _f=_np_fn: _f([a, b]))
add_op("hstack_mixed", lambda m, a, b: m.hstack((a, b)), multi(((2, 1), (2, 3))), lambda a, b: np.hstack([a, b]))
add_op("vstack_mixed", lambda m, a, b: m.vstack((a, b)), multi(((3,), (2, 3))), lambda a, b: np.vstack([a, b]))
add_op("column_stack_mixed", lambda m, a, b: m.column_stack((a, b)), multi(((3,), (3, 2))),
       lambda a, b: np.column_stack([a, b]))
for _name, _np_fn in [("atleast_1d", np.atleast_1d), ("atleast_2d", np.atleast_2d), ("atleast_3d", np.atleast_3d)]:
    add_op(_name, lambda m, x, _n=_name: getattr(m, _n)(x), unary_samples(shapes=[(), (3,), (2, 3), (2, 3, 4)]),
           _np_fn)
    add_op(f"{_name}_several", lambda m, x, y, _n=_name: weighted_sum(m, getattr(m, _n)(x, y)), multi(((), (3,))))

# ---------------------------------------------------------------------------- triangles and diagonals
_TRI = [((3, 4), {}), ((4, 3), {"diagonal": 1}), ((3, 3), {"diagonal": -1}), ((2, 3, 3), {}),
        ((3, 4), {"diagonal": 5}), ((3, 4), {"diagonal": -5})]
for _name in ("tril", "triu"):
    add_op(f"{_name}_fn", lambda m, x, _n=_name, **kw: getattr(m, _n)(x, **kw), cases(*_TRI),
           lambda x, _n=_name, diagonal=0: getattr(np, _n)(x, diagonal))
    add_op(f"{_name}_method_noncontiguous", lambda m, x, _n=_name: getattr(x.t(), _n)(1),
           unary_samples(shapes=[(4, 3)]), lambda x, _n=_name: getattr(np, _n)(x.T, 1))
_DIAG = [((3,), {}), ((3,), {"diagonal": 1}), ((3,), {"diagonal": -2}), ((3, 4), {}), ((3, 4), {"diagonal": 1}),
         ((3, 4), {"diagonal": -1}), ((3, 4), {"diagonal": 5})]
add_op("diag_fn", lambda m, x, **kw: m.diag(x, **kw), cases(*_DIAG),
       lambda x, diagonal=0: np.diag(x, diagonal))
add_op("diag_method_noncontiguous", lambda m, x: x.t().diag(), unary_samples(shapes=[(3, 4)]),
       lambda x: np.diag(x.T))
_DIAGONAL = [((3, 4), {}), ((3, 4), {"offset": 1}), ((3, 4), {"offset": -2}), ((2, 3, 4), {"dim1": 0, "dim2": 2}),
             ((2, 3, 4), {"offset": 1, "dim1": -1, "dim2": 0}), ((3, 4), {"offset": 4}), ((2, 3, 4), {})]
add_op("diagonal_fn", lambda m, x, **kw: m.diagonal(x, **kw), cases(*_DIAGONAL),
       lambda x, offset=0, dim1=0, dim2=1: np.diagonal(x, offset, dim1, dim2))
add_op("diagonal_method_of_view", lambda m, x: x[1:].t().diagonal(1), unary_samples(shapes=[(4, 3)]),
       lambda x: np.diagonal(x[1:].T, 1))
_EMBED = [((3,), {}), ((2, 3), {}), ((2, 3), {"offset": 1}), ((2, 3), {"offset": -2, "dim1": 0, "dim2": 2}),
          ((2, 3), {"dim1": 2, "dim2": 0})]
add_op("diag_embed_fn", lambda m, x, **kw: m.diag_embed(x, **kw), cases(*_EMBED))
add_op("diag_embed_method", lambda m, x: x.diag_embed(1, 0, 1), unary_samples(shapes=[(3,), (2, 3)]))


# ---------------------------------------------------------------------------- writes: x[...] = v, index_put, in place on views
def setitem_op(index: Any) -> Any:
    """``y = x * 1; y[index] = v; y`` (``index`` may use ``m``)."""
    def op(m: Any, x: Any, v: Any = 2.5) -> Any:
        y = x * 1
        y[index(m) if callable(index) else index] = v
        return y
    return op


_SETITEMS: list[tuple[str, Any, tuple[int, ...], tuple[int, ...] | None]] = [
    ("int", 1, (3, 4), (4,)), ("int_scalar", 0, (3, 4), None), ("int_int", (1, 2), (3, 4), ()),
    ("slice_step", slice(None, None, 2), (5, 3), (3, 3)), ("slice_full", slice(0, 10), (3, 4), (4,)),
    ("col", (slice(None), 1), (3, 4), (3,)), ("none", None, (3, 4), (1, 3, 4)), ("ellipsis", ..., (3, 4), (4,)),
    ("ellipsis_int", (..., 0), (2, 3, 4), (2, 3)), ("true", True, (3,), ()), ("false", False, (3,), None),
    ("list", [0, 2], (3, 4), (2, 4)), ("list_broadcast", [2, 0], (3, 4), (1, 4)),
    ("list_repeat", [1, 1, 0], (3, 4), (4,)), ("slice_list", (slice(1, None), [0, 3]), (3, 4), (2, 2)),
    ("int_list", (0, [0, 3]), (3, 4), (2,)), ("tensor_index", lambda m: m.tensor([2, 0]), (3, 4), (4,)),
    ("tensor_0d_index", lambda m: m.tensor(1), (3, 4), (4,)),
    ("mask", lambda m: m.tensor([True, False, True]), (3, 4), (1, 4)),
    ("mask_2d", lambda m: m.tensor([[True, False], [False, True]]), (2, 2), (2,)),
    ("two_lists", ([0, 2], [1, 3]), (3, 4), ()), ("none_slice_list", (None, slice(None), [1]), (2, 3), (2, 1)),
    ("lead_ones", 0, (3, 4), (1, 1, 4)), ("expand_lead_one", 0, (3, 4), (1,)),
]
for _name, _index, _shape, _vshape in _SETITEMS:
    if _vshape is None:
        add_op(f"setitem_{_name}", setitem_op(_index), unary_samples(shapes=[_shape]))
    else:
        # (a repeated index keeps one of the written values, but PyTorch's gradient counts each write:
        # finite differences disagree with it there)
        add_op(f"setitem_{_name}", setitem_op(_index), multi((_shape, _vshape)), fd=_name != "list_repeat")
add_op("setitem_of_view", lambda m, x, v: _setitem_of_view(x, v), multi(((3, 4), (2,))))
add_op("setitem_noncontiguous", lambda m, x, v: _setitem_noncontiguous(x, v), multi(((3, 4), (3,))))


def _setitem_of_view(x: Any, v: Any) -> Any:
    y = x * 1
    y.t()[1:3, 0] = v
    return y


def _setitem_noncontiguous(x: Any, v: Any) -> Any:
    y = (x * 1).t()
    y[2] = v
    return y


add_op("index_put_method", lambda m, x, v: x.index_put((m.tensor([0, 2]),), v), multi(((3, 4), (2, 4)), ((3,), (2,))))
add_op("index_put_fn_accumulate", lambda m, x, v: m.index_put(x, (m.tensor([0, 0]), m.tensor([1, 1])), v, True),
       multi(((3, 4), (2,)), ((3, 4), ())))
add_op("index_put__method", lambda m, x, v: (x * 1).index_put_((m.tensor([1]),), v), multi(((3, 4), (4,))))


def inplace_on_view(view: Any, step: Any) -> Any:
    """``y = x * 2; step(view(y)); y``: the in-place change shows in ``y``'s graph (CopySlices)."""
    def op(m: Any, x: Any, *rest: Any) -> Any:
        y = x * 2
        step(m, view(y), *rest)
        return y
    return op


_ON_VIEWS: list[tuple[str, Any, Any, tuple[tuple[int, ...], ...]]] = [
    ("mul_scalar_select", lambda y: y[0], lambda m, v: v.mul_(3), ((3, 4),)),
    ("mul_tensor_col", lambda y: y[:, 1], lambda m, v, w: v.mul_(w), ((3, 4), (3,))),
    ("add_view", lambda y: y.view(4, 3), lambda m, v, w: v.add_(w, alpha=2), ((3, 4), (3,))),
    ("zero_t", lambda y: y.t(), lambda m, v: v.zero_(), ((3, 4),)),
    ("exp_slice", lambda y: y[1:, ::2], lambda m, v: v.exp_(), ((3, 4),)),
    ("div_diagonal", lambda y: y.diagonal(), lambda m, v, w: v.div_(w), ((3, 3), (3,))),
    ("sub_narrow", lambda y: y.narrow(1, 1, 2), lambda m, v, w: v.sub_(w), ((3, 4), (3, 1))),
    ("copy_select", lambda y: y[1], lambda m, v, w: v.copy_(w), ((3, 4), (4,))),
    ("fill_tensor_unsqueeze", lambda y: y.unsqueeze(0), lambda m, v, w: v.fill_(w), ((3, 4), ())),
    ("pow_view_of_view", lambda y: y[1:][0], lambda m, v: v.pow_(2), ((3, 4),)),
    ("sigmoid_permute", lambda y: y.permute(1, 0, 2)[0], lambda m, v: v.sigmoid_(), ((2, 3, 4),)),
    ("tanh_expand_as_same", lambda y: y.expand(3, 4), lambda m, v: v.tanh_(), ((3, 4),)),
    ("mul_twice", lambda y: y[0], lambda m, v, w: v.mul_(w).mul_(w), ((2, 3), (3,))),
    ("abs_squeeze", lambda y: y.squeeze(1), lambda m, v: v.abs_(), ((3, 1),)),
]
for _name, _view, _step, _shapes in _ON_VIEWS:
    add_op(f"inplace_on_view_{_name}", inplace_on_view(_view, _step), multi(_shapes))


def _read_view_after_base_change(m: Any, x: Any, w: Any) -> Any:
    """A view made before its base changed in place shows the change (AsStridedBackward0)."""
    y = x * 2
    v = y[1]
    y.mul_(w)
    return v


add_op("view_after_base_inplace", _read_view_after_base_change, multi(((3, 4), (4,))))


def _modified_view_itself(m: Any, x: Any, w: Any) -> Any:
    y = x * 2
    v = y[:, 0]
    v.mul_(w)
    return v


add_op("modified_view_output", _modified_view_itself, multi(((3, 4), (3,))))
