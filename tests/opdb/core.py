"""Core ops: arithmetic, unary maths, reductions, matmul, shape, softmax, max/min, indexing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from opinfo import (
    OpInfo,
    away_from_zero,
    binary_samples,
    distinct,
    multi_samples,
    positive,
    shaped_samples,
    signed,
    unary_samples,
)

OPS: list[OpInfo] = []


def add_op(*args: Any, **kwargs: Any) -> None:
    OPS.append(OpInfo(*args, **kwargs))


# binary arithmetic: operators, functions and methods
add_op("add_op", lambda m, a, b: a + b, binary_samples(scalar_rhs=(2, 2.5), scalar_lhs=(2, -1.5)), np.add)
add_op("add_fn", lambda m, a, b: m.add(a, b), binary_samples(scalar_rhs=(2.5,)), np.add)
add_op("add_method", lambda m, a, b: a.add(b), binary_samples(scalar_rhs=(3,)), np.add)
add_op("add_alpha", lambda m, a, b: m.add(a, b, alpha=2), binary_samples(scalar_rhs=(1.5,)),
       lambda a, b: a + 2 * np.asarray(b, dtype=np.result_type(a, np.float32)))
add_op("add_method_alpha", lambda m, a, b: a.add(b, alpha=-0.5), binary_samples(scalar_rhs=(3,)))
add_op("sub_op", lambda m, a, b: a - b, binary_samples(scalar_rhs=(1, 0.5), scalar_lhs=(2, 2.5)), np.subtract)
add_op("sub_fn", lambda m, a, b: m.sub(a, b), binary_samples(scalar_rhs=(2.5,)), np.subtract)
add_op("sub_method", lambda m, a, b: a.sub(b), binary_samples(scalar_rhs=(2,)), np.subtract)
add_op("sub_alpha", lambda m, a, b: m.sub(a, b, alpha=3), binary_samples(scalar_rhs=(2,)))
add_op("sub_method_alpha", lambda m, a, b: a.sub(b, alpha=0.25), binary_samples(scalar_rhs=(1.5,)))
add_op("mul_op", lambda m, a, b: a * b, binary_samples(scalar_rhs=(2, 2.5), scalar_lhs=(2, -1.5)), np.multiply)
add_op("mul_fn", lambda m, a, b: m.mul(a, b), binary_samples(scalar_rhs=(2,)), np.multiply)
add_op("mul_method", lambda m, a, b: a.mul(b), binary_samples(scalar_rhs=(0.5,)), np.multiply)
add_op("div_op", lambda m, a, b: a / b,
       binary_samples(signed, away_from_zero, scalar_rhs=(4, 0.5), scalar_lhs=(2, 1.5)), np.divide)
add_op("div_fn", lambda m, a, b: m.div(a, b), binary_samples(signed, away_from_zero, scalar_rhs=(3,)), np.divide)
add_op("div_method", lambda m, a, b: a.div(b), binary_samples(signed, away_from_zero, scalar_rhs=(2.5,)), np.divide)
add_op("true_divide", lambda m, a, b: m.true_divide(a, b), binary_samples(signed, away_from_zero), np.divide)
add_op("pow_op", lambda m, a, b: a ** b,
       binary_samples(positive, signed, scalar_rhs=(2, 2.5, -1, 0.5, 0, 3.0), scalar_lhs=(2, 2.5)), np.power)
add_op("pow_fn", lambda m, a, b: m.pow(a, b), binary_samples(positive, signed, scalar_rhs=(2, -0.5), scalar_lhs=(2,)),
       np.power)
add_op("pow_method", lambda m, a, b: a.pow(b), binary_samples(positive, signed, scalar_rhs=(3,)), np.power)
add_op("pow_int_exponent_signed_base", lambda m, a, b: a ** b, binary_samples(signed, signed, pairs=[],
                                                                              scalar_rhs=(2, 3, -2)), np.power)

# unary ops
for _name, _gen, _ref in [
    ("exp", signed, np.exp), ("log", positive, np.log), ("sqrt", positive, np.sqrt), ("sin", signed, np.sin),
    ("cos", signed, np.cos), ("tanh", signed, np.tanh), ("sigmoid", signed, lambda x: 1 / (1 + np.exp(-x))),
    ("relu", away_from_zero, lambda x: np.maximum(x, 0)), ("abs", away_from_zero, np.abs),
    ("neg", signed, np.negative),
]:
    add_op(f"{_name}_fn", lambda m, x, _n=_name: getattr(m, _n)(x), unary_samples(_gen), _ref)
    add_op(f"{_name}_method", lambda m, x, _n=_name: getattr(x, _n)(), unary_samples(_gen), _ref)
add_op("unary_minus", lambda m, x: -x, unary_samples(), np.negative)
add_op("builtin_abs", lambda m, x: abs(x), unary_samples(away_from_zero), np.abs)
add_op("relu_functional", lambda m, x: m.nn.functional.relu(x), unary_samples(away_from_zero),
       lambda x: np.maximum(x, 0))
add_op("clone_method", lambda m, x: x.clone(), unary_samples(), lambda x: x)
add_op("clone_fn", lambda m, x: m.clone(x), unary_samples(), lambda x: x)

# reductions
_RED_CASES: list[tuple[tuple[int, ...], dict[str, Any]]] = [
    ((), {}), ((5,), {}), ((3, 4), {}), ((2, 3, 4), {}),
    ((), {"dim": 0}), ((), {"dim": -1, "keepdim": True}),
    ((5,), {"dim": 0}), ((5,), {"dim": -1, "keepdim": True}),
    ((3, 4), {"dim": 0}), ((3, 4), {"dim": 1}), ((3, 4), {"dim": -1}), ((3, 4), {"dim": (-1, 0)}),
    ((3, 4), {"dim": 0, "keepdim": True}),
    ((2, 3, 4), {"dim": 1}), ((2, 3, 4), {"dim": -2, "keepdim": True}), ((2, 3, 4), {"dim": (0, 2)}),
    ((2, 3, 4), {"dim": (0, -1), "keepdim": True}), ((2, 3, 4), {"dim": [1, 2]}), ((2, 3, 4), {"dim": (0, 1, 2)}),
]


def _np_reduce(fn: Callable[..., Any]) -> Callable[..., Any]:
    def ref(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> Any:
        if dim is not None and x.ndim == 0:
            return fn(x)
        return fn(x, axis=tuple(dim) if isinstance(dim, list) else dim, keepdims=keepdim)
    return ref


add_op("sum_method", lambda m, x, **kw: x.sum(**kw), shaped_samples(signed, _RED_CASES), _np_reduce(np.sum))
add_op("sum_fn", lambda m, x, **kw: m.sum(x, **kw), shaped_samples(signed, _RED_CASES), _np_reduce(np.sum))
add_op("mean_method", lambda m, x, **kw: x.mean(**kw), shaped_samples(signed, _RED_CASES), _np_reduce(np.mean))
add_op("mean_fn", lambda m, x, **kw: m.mean(x, **kw), shaped_samples(signed, _RED_CASES), _np_reduce(np.mean))
add_op("sum_positional", lambda m, x: x.sum(1, True), unary_samples(shapes=[(3, 4), (2, 3, 4)]))
add_op("mean_positional_tuple", lambda m, x: m.mean(x, (0, 1)), unary_samples(shapes=[(3, 4), (2, 3, 4)]))

# matmul and friends
_MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((2, 2, 3), (3, 4)), ((2, 2, 3), (2, 3, 4)),
    ((2, 3), (2, 3, 4)), ((2, 1, 2, 3), (1, 3, 3, 4)), ((3,), (2, 3, 4)), ((2, 2, 3), (3,)), ((1, 2, 3), (5, 3, 2)),
]
_MM_TOL = (1e-4, 1e-5)
add_op("matmul_op", lambda m, a, b: a @ b, binary_samples(pairs=_MATMUL_SHAPES), np.matmul, tol32=_MM_TOL)
add_op("matmul_fn", lambda m, a, b: m.matmul(a, b), binary_samples(pairs=_MATMUL_SHAPES), np.matmul, tol32=_MM_TOL)
add_op("matmul_method", lambda m, a, b: a.matmul(b), binary_samples(pairs=_MATMUL_SHAPES), np.matmul, tol32=_MM_TOL)
add_op("mm_fn", lambda m, a, b: m.mm(a, b), binary_samples(pairs=[((2, 3), (3, 4)), ((1, 3), (3, 1))]), np.matmul,
       tol32=_MM_TOL)
add_op("mm_method", lambda m, a, b: a.mm(b), binary_samples(pairs=[((4, 2), (2, 3))]), np.matmul, tol32=_MM_TOL)
add_op("linear_bias", lambda m, x, w, b: m.nn.functional.linear(x, w, b),
       multi_samples((signed, signed, signed), [((3,), (5, 3), (5,)), ((2, 3), (5, 3), (5,)),
                                                ((4, 2, 3), (5, 3), (5,))]),
       lambda x, w, b: x @ w.T + b, tol32=_MM_TOL)
add_op("linear_nobias", lambda m, x, w: m.nn.functional.linear(x, w),
       multi_samples((signed, signed), [((3,), (5, 3)), ((2, 3), (5, 3)), ((4, 2, 3), (5, 3))]),
       lambda x, w: x @ w.T, tol32=_MM_TOL)

# shape ops
add_op("t_method", lambda m, x: x.t(), unary_samples(shapes=[(), (5,), (3, 4)]), lambda x: x.T)
add_op("t_fn", lambda m, x: m.t(x), unary_samples(shapes=[(3, 4)]), lambda x: x.T)
add_op("T_property", lambda m, x: x.T, unary_samples(shapes=[(3, 4), (1, 5)]), lambda x: x.T)
add_op("transpose_method", lambda m, x, d0, d1: x.transpose(d0, d1),
       shaped_samples(signed, [((3, 4), {"d0": 0, "d1": 1}), ((2, 3, 4), {"d0": 0, "d1": 2}),
                               ((2, 3, 4), {"d0": -1, "d1": 1}), ((3, 4), {"d0": 1, "d1": 1})]),
       lambda x, d0, d1: np.swapaxes(x, d0, d1))
add_op("transpose_fn", lambda m, x: m.transpose(x, -1, 0), unary_samples(shapes=[(3, 4), (2, 3, 4)]),
       lambda x: np.swapaxes(x, -1, 0))
_RESHAPES = [((3, 4), {"shape": (4, 3)}), ((3, 4), {"shape": (12,)}), ((3, 4), {"shape": (-1,)}),
             ((3, 4), {"shape": (2, -1, 3)}), ((2, 3, 4), {"shape": (6, 4)}), ((), {"shape": (1,)}),
             ((5,), {"shape": (5, 1)}), ((1,), {"shape": ()})]
add_op("reshape_method", lambda m, x, shape: x.reshape(shape), shaped_samples(signed, _RESHAPES),
       lambda x, shape: x.reshape(shape))
add_op("reshape_varargs", lambda m, x, shape: x.reshape(*shape), shaped_samples(signed, _RESHAPES[:5]),
       lambda x, shape: x.reshape(shape))
add_op("reshape_fn", lambda m, x, shape: m.reshape(x, shape), shaped_samples(signed, _RESHAPES),
       lambda x, shape: x.reshape(shape))
add_op("view_method", lambda m, x, shape: x.view(shape), shaped_samples(signed, _RESHAPES),
       lambda x, shape: x.reshape(shape))
add_op("view_varargs", lambda m, x, shape: x.view(*shape), shaped_samples(signed, _RESHAPES[:5]),
       lambda x, shape: x.reshape(shape))
# reshape of a non-contiguous tensor copies: torch records CloneBackward0 under UnsafeViewBackward0
add_op("reshape_noncontiguous", lambda m, x: x.t().reshape(-1), unary_samples(shapes=[(3, 4)]),
       lambda x: x.T.reshape(-1))
add_op("reshape_noncontiguous_3d", lambda m, x: x.transpose(0, 2).reshape(4, 6), unary_samples(shapes=[(2, 3, 4)]),
       lambda x: np.swapaxes(x, 0, 2).reshape(4, 6))
add_op("view_after_contiguous", lambda m, x: x.t().contiguous().view(-1), unary_samples(shapes=[(3, 4)]),
       lambda x: x.T.reshape(-1))
add_op("unsqueeze_method", lambda m, x, dim: x.unsqueeze(dim),
       shaped_samples(signed, [((), {"dim": 0}), ((), {"dim": -1}), ((5,), {"dim": 0}), ((5,), {"dim": 1}),
                               ((3, 4), {"dim": 1}), ((3, 4), {"dim": -1}), ((3, 4), {"dim": -3})]),
       lambda x, dim: np.expand_dims(x, dim))
add_op("unsqueeze_fn", lambda m, x: m.unsqueeze(x, 0), unary_samples(shapes=[(3, 4)]), lambda x: x[None])
add_op("squeeze_all", lambda m, x: x.squeeze(), unary_samples(shapes=[(3, 1, 4), (1,), (), (1, 1), (3, 4)]),
       np.squeeze)
add_op("squeeze_dim", lambda m, x, dim: x.squeeze(dim),
       shaped_samples(signed, [((3, 1, 4), {"dim": 1}), ((3, 1, 4), {"dim": -2}), ((3, 1, 4), {"dim": 0}),
                               ((1, 3, 1), {"dim": (0, 2)}), ((), {"dim": 0})]))
add_op("squeeze_fn", lambda m, x: m.squeeze(x, 1), unary_samples(shapes=[(3, 1, 4)]))
add_op("expand", lambda m, x, size: x.expand(*size),
       shaped_samples(signed, [((3, 1), {"size": (3, 4)}), ((4,), {"size": (2, 3, 4)}), ((3, 1), {"size": (-1, 4)}),
                               ((), {"size": (2, 3)}), ((1, 4), {"size": (2, 3, 4)}), ((3, 4), {"size": (3, 4)})]),
       lambda x, size: np.broadcast_to(x, tuple(s if s != -1 else x.shape[i] for i, s in enumerate(size))))
add_op("expand_tuple", lambda m, x: x.expand((2, 3, 4)), unary_samples(shapes=[(3, 1)]),
       lambda x: np.broadcast_to(x, (2, 3, 4)))

# dtype conversion
add_op("to_float64", lambda m, x: x.to(m.float64), unary_samples(), lambda x: x.astype(np.float64))
add_op("to_dtype_kw", lambda m, x: x.to(dtype=m.float64), unary_samples(shapes=[(3, 4)]),
       lambda x: x.astype(np.float64))
add_op("double", lambda m, x: x.double(), unary_samples(), lambda x: x.astype(np.float64))
# (no finite differences: the output is float32, too coarse for them)
add_op("float", lambda m, x: x.float(), unary_samples(), lambda x: x.astype(np.float32), fd=False)
add_op("to_float32", lambda m, x: x.to(m.float32), unary_samples(shapes=[(3, 4)]), lambda x: x.astype(np.float32),
       fd=False)

# softmax family
_SOFTMAX_CASES = [((), {"dim": 0}), ((5,), {"dim": 0}), ((5,), {"dim": -1}), ((3, 4), {"dim": 0}),
                  ((3, 4), {"dim": 1}), ((3, 4), {"dim": -1}), ((2, 3, 4), {"dim": 1}), ((2, 3, 4), {"dim": -1})]


def _np_softmax(x: np.ndarray, dim: int) -> np.ndarray:
    if x.ndim == 0:
        return np.ones_like(x)
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _np_log_softmax(x: np.ndarray, dim: int) -> np.ndarray:
    if x.ndim == 0:
        return np.zeros_like(x)
    s = x - x.max(axis=dim, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=dim, keepdims=True))


_SM_TOL = (1e-4, 1e-6)
for _name, _ref in [("softmax", _np_softmax), ("log_softmax", _np_log_softmax)]:
    _samples = shaped_samples(signed, _SOFTMAX_CASES)
    add_op(f"{_name}_fn", lambda m, x, dim, _n=_name: getattr(m, _n)(x, dim), _samples, _ref, tol32=_SM_TOL)
    add_op(f"{_name}_fn_kw", lambda m, x, dim, _n=_name: getattr(m, _n)(x, dim=dim), _samples, _ref, tol32=_SM_TOL)
    add_op(f"{_name}_method", lambda m, x, dim, _n=_name: getattr(x, _n)(dim), _samples, _ref, tol32=_SM_TOL)
    add_op(f"{_name}_functional", lambda m, x, dim, _n=_name: getattr(m.nn.functional, _n)(x, dim=dim), _samples,
           _ref, tol32=_SM_TOL)

# max / min (ties are tested separately)
_MAXDIM_CASES: list[tuple[tuple[int, ...], dict[str, Any]]] = [
    ((), {"dim": 0}), ((5,), {"dim": 0}), ((3, 4), {"dim": 0}), ((3, 4), {"dim": 1}), ((3, 4), {"dim": -1}),
    ((3, 4), {"dim": 1, "keepdim": True}), ((2, 3, 4), {"dim": 1}), ((2, 3, 4), {"dim": -3, "keepdim": True}),
]
for _name in ("max", "min"):
    add_op(f"{_name}_all_method", lambda m, x, _n=_name: getattr(x, _n)(), unary_samples(distinct),
           getattr(np, _name))
    add_op(f"{_name}_all_fn", lambda m, x, _n=_name: getattr(m, _n)(x), unary_samples(distinct), getattr(np, _name))
    add_op(f"{_name}_dim_method", lambda m, x, _n=_name, **kw: getattr(x, _n)(**kw),
           shaped_samples(distinct, _MAXDIM_CASES))
    add_op(f"{_name}_dim_fn", lambda m, x, dim, _n=_name: getattr(m, _n)(x, dim),
           shaped_samples(distinct, [((3, 4), {"dim": 1}), ((2, 3, 4), {"dim": -1})]))
    add_op(f"{_name}_dim_values", lambda m, x, _n=_name: getattr(x, _n)(dim=0).values,
           unary_samples(distinct, shapes=[(3, 4)]), lambda x, _n=_name: getattr(np, _n)(x, axis=0))
    add_op(f"{_name}_dim_item0", lambda m, x, _n=_name: getattr(x, _n)(1)[0],
           unary_samples(distinct, shapes=[(3, 4)]), lambda x, _n=_name: getattr(np, _n)(x, axis=1))

# indexing
_IDX = [
    ("index_int", lambda m, x: x[0], [(5,), (3, 4), (2, 3, 4)]),
    ("index_neg_int", lambda m, x: x[-1], [(3, 4)]),
    ("index_int_int", lambda m, x: x[1, 2], [(3, 4), (2, 3, 4)]),
    ("index_col", lambda m, x: x[:, 1], [(3, 4), (2, 3, 4)]),
    ("index_slice", lambda m, x: x[1:], [(5,), (3, 4), (2, 3, 4)]),
    ("index_step", lambda m, x: x[::2], [(5,), (3, 4)]),
    ("index_slices_2d", lambda m, x: x[1:3, ::2], [(3, 4), (2, 3, 4)]),
    ("index_none", lambda m, x: x[None], [(), (5,), (3, 4)]),
    ("index_ellipsis", lambda m, x: x[..., 0], [(5,), (3, 4), (2, 3, 4)]),
    ("index_ellipsis_only", lambda m, x: x[...], [(), (3, 4)]),
    ("index_list", lambda m, x: x[[0, 2]], [(3,), (3, 4), (3, 2, 2)]),
    ("index_list_repeat", lambda m, x: x[[1, 1, 0]], [(3, 4)]),
    ("index_mask", lambda m, x: x[x > 0], [(5,), (3, 4), (2, 3, 4)]),
    ("index_mixed", lambda m, x: x[0, [0, 2]], [(3, 4)]),
]
for _name, _fn, _shapes in _IDX:
    add_op(_name, _fn, unary_samples(away_from_zero, shapes=_shapes))


