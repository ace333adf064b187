"""Reductions: prod, var/std (and var_mean/std_mean), norm, logsumexp, cumsum/cumprod, nansum/nanmean,
all/any/count_nonzero, aminmax, and the value-selecting ops (median, nanmedian, kthvalue, mode, sort,
argsort, msort, topk).  sum/mean/max/min are in core.py."""

from __future__ import annotations

from typing import Any

import numpy as np

from opinfo import OpInfo, distinct, shaped_samples, signed, unary_samples

OPS: list[OpInfo] = []


def add_op(*args: Any, **kwargs: Any) -> None:
    OPS.append(OpInfo(*args, **kwargs))


# ---------------------------------------------------------------------------- sample generators

def with_zeros(k: int) -> Any:
    """Signed values with ``k`` zeros (prod/cumprod take their zero-safe derivative path)."""
    def gen(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        x = signed(rng, shape, dtype)
        flat = x.reshape(-1)
        flat[rng.choice(flat.size, size=min(k, flat.size), replace=False)] = 0
        return x
    return gen


def zeros(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    return np.zeros(shape, dtype=dtype)


def with_nans(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """Signed values, about a third of them NaN."""
    x = signed(rng, shape, dtype)
    x[rng.random(shape) < 0.3] = np.nan
    return x


def ties(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """Small integers: many equal values, so the tie rules decide indices and gradients."""
    return rng.integers(0, 3, size=shape).astype(dtype)


def add_cases(name: str, op: Any, gen: Any, cases: list[tuple[tuple[int, ...], dict[str, Any]]], ref: Any = None,
              **kwargs: Any) -> None:
    """One entry for ``cases``; cases with an empty input go to ``NAME_empty``, without finite
    differences (an empty input has no element to perturb)."""
    full = [c for c in cases if 0 not in c[0]]
    empty = [c for c in cases if 0 in c[0]]
    if full:
        add_op(name, op, shaped_samples(gen, full), ref, **kwargs)
    if empty:
        add_op(f"{name}_empty", op, shaped_samples(gen, empty), ref, **{**kwargs, "fd": False})


def _np_reduce(fn: Any) -> Any:
    return lambda x, dim=None, keepdim=False: fn(x, axis=dim, keepdims=keepdim)


# shapes and dim cases shared by the ops below
_ALL_SHAPES = [(), (5,), (3, 4), (2, 3, 4), (0,), (0, 3)]
_DIM_CASES: list[tuple[tuple[int, ...], dict[str, Any]]] = [
    ((), {"dim": 0}), ((5,), {"dim": 0}), ((3, 4), {"dim": 1}), ((3, 4), {"dim": -2, "keepdim": True}),
    ((2, 3, 4), {"dim": 1}), ((2, 3, 4), {"dim": -1, "keepdim": True}), ((0, 3), {"dim": 1}), ((0, 3), {"dim": 0}),
]
_MULTIDIM_CASES = _DIM_CASES + [((2, 3, 4), {"dim": (0, 2)}), ((2, 3, 4), {"dim": [-1, 0], "keepdim": True})]
_NONEMPTY_DIM_CASES = [c for c in _DIM_CASES if 0 not in c[0]]

# ---------------------------------------------------------------------------- prod
add_cases("prod_fn", lambda m, x: m.prod(x), signed, [(s, {}) for s in _ALL_SHAPES], np.prod)
add_op("prod_method", lambda m, x: x.prod(), unary_samples(shapes=[(3, 4)]), np.prod)
add_cases("prod_dim", lambda m, x, **kw: x.prod(**kw), signed, _DIM_CASES, _np_reduce(np.prod))
add_op("prod_dim_fn_positional", lambda m, x: m.prod(x, 1, True), unary_samples(shapes=[(3, 4), (2, 3, 4)]))
add_op("prod_one_zero", lambda m, x: x.prod(), unary_samples(with_zeros(1), shapes=[(5,), (3, 4)]), np.prod)
add_op("prod_two_zeros", lambda m, x: m.prod(x), unary_samples(with_zeros(2), shapes=[(5,), (3, 4)]), np.prod)
add_op("prod_dim_zeros", lambda m, x, **kw: x.prod(**kw),
       shaped_samples(with_zeros(3), [((3, 4), {"dim": 1}), ((3, 4), {"dim": 0, "keepdim": True}),
                                      ((2, 3, 4), {"dim": -1})]))
add_op("prod_dtype", lambda m, x: m.prod(x, 1, dtype=m.float64), unary_samples(shapes=[(3, 4)]))
add_op("prod_noncontiguous", lambda m, x: x.t().prod(0), unary_samples(with_zeros(1), shapes=[(3, 4)]),
       lambda x: x.T.prod(0))

# ---------------------------------------------------------------------------- var, std, var_mean, std_mean
_VAR_CASES: list[tuple[tuple[int, ...], dict[str, Any]]] = [
    ((5,), {}), ((3, 4), {}), ((3, 4), {"dim": 1}), ((3, 4), {"dim": 0, "keepdim": True}),
    ((2, 3, 4), {"dim": (0, 2)}), ((2, 3, 4), {"dim": -1, "unbiased": False}), ((3, 4), {"correction": 0}),
    ((3, 4), {"dim": 1, "correction": 2}), ((3, 4), {"correction": 0.5, "keepdim": True}), ((0, 3), {"dim": 1}),
    ((3, 4), {"dim": None, "keepdim": True}), ((), {"correction": 0}), ((), {"dim": 0}), ((1,), {}),
    ((3, 1), {"dim": 1}), ((0,), {}),
]
for _name in ("var", "std"):
    _ref = getattr(np, _name)
    add_cases(f"{_name}_method", lambda m, x, _n=_name, **kw: getattr(x, _n)(**kw), signed, _VAR_CASES)
    # (no finite differences: for an explicit empty dim list PyTorch's derivative counts 1 element per output)
    add_op(f"{_name}_empty_dim_list", lambda m, x, _n=_name, **kw: getattr(x, _n)(**kw),
           shaped_samples(signed, [((3, 4), {"dim": ()}), ((5,), {"dim": [], "correction": 0})]), fd=False)
    add_op(f"{_name}_fn", lambda m, x, _n=_name, **kw: getattr(m, _n)(x, **kw),
           shaped_samples(signed, _VAR_CASES[:8]))
    add_op(f"{_name}_unbiased_positional", lambda m, x, _n=_name: getattr(x, _n)(False),
           unary_samples(shapes=[(3, 4)]), lambda x, _r=_ref: _r(x))
    add_op(f"{_name}_dim_unbiased_keepdim_positional", lambda m, x, _n=_name: getattr(m, _n)(x, 1, False, True),
           unary_samples(shapes=[(3, 4)]), lambda x, _r=_ref: _r(x, axis=1, keepdims=True))
    add_op(f"{_name}_noncontiguous", lambda m, x, _n=_name: getattr(x.t(), _n)(0), unary_samples(shapes=[(3, 4)]),
           lambda x, _r=_ref: _r(x.T, axis=0, ddof=1))
    # a constant row: std is 0 there (its gradient is 0 by PyTorch's rule; finite differences see a kink)
    add_op(f"{_name}_constant", lambda m, x, _n=_name: getattr(x * 0 + 1, _n)(1), unary_samples(shapes=[(3, 4)]),
           fd=_name == "var")
    add_op(f"{_name}_mean", lambda m, x, _n=_name, **kw: getattr(m, f"{_n}_mean")(x, **kw),
           shaped_samples(signed, _VAR_CASES[:6] + [((), {})]))
    # both outputs carry gradient (one node, VarMeanBackward0 / StdMeanBackward0)
    add_cases(f"{_name}_mean_both", lambda m, x, _n=_name, **kw: (lambda r: r[0] * 2 + r[1] * 3)(
        getattr(m, f"{_n}_mean")(x, **kw)), signed, _VAR_CASES[:10])
    add_op(f"{_name}_mean_only_mean", lambda m, x, _n=_name: getattr(m, f"{_n}_mean")(x, 1, keepdim=True)[1],
           unary_samples(shapes=[(3, 4)]))

# ---------------------------------------------------------------------------- norm
_NORM_PS = [2, 1, 3, 1.5, 0.5, -1, float("inf"), float("-inf"), "fro", None]
for _p in _NORM_PS:
    _pid = {None: "none", "fro": "fro", float("inf"): "inf", float("-inf"): "neginf"}.get(_p, str(_p))
    add_op(f"norm_p{_pid}", lambda m, x, _p=_p, **kw: x.norm(_p, **kw),
           shaped_samples(distinct, [((5,), {}), ((3, 4), {}), ((3, 4), {"dim": 1}),
                                     ((2, 3, 4), {"dim": (0, 2), "keepdim": True}), ((), {})]))
    add_op(f"norm_fn_p{_pid}", lambda m, x, _p=_p: m.norm(x, _p, dim=-1), unary_samples(distinct, shapes=[(3, 4)]))
add_cases("norm_default", lambda m, x, **kw: x.norm(**kw), signed,
          [((3, 4), {}), ((3, 4), {"dim": 0}), ((0, 3), {}), ((0, 3), {"dim": 0}), ((2, 3, 4), {"dim": [0, 1]}),
           ((2, 3), {"dim": ()})])
add_op("norm_dtype", lambda m, x: m.norm(x, dtype=m.float64), unary_samples(shapes=[(3, 4)]))
add_op("norm_noncontiguous", lambda m, x: x.t().norm(dim=0), unary_samples(shapes=[(3, 4)]))
# (no finite differences: every p-norm has a kink at the zero vector; PyTorch's gradient there is 0)
add_op("norm_at_zero", lambda m, x, p: x.norm(p, dim=-1),
       shaped_samples(zeros, [((3,), {"p": p}) for p in (2, 1, 3, 1.5, 0.5, float("inf"))]), fd=False)
add_op("norm_zero_row", lambda m, x: (x * m.tensor([[0.0], [1.0]], dtype=x.dtype)).norm(dim=1),
       unary_samples(shapes=[(2, 3)]), fd=False)
# (no finite differences: PyTorch gives the 0-"norm" (a count) no gradient at all)
add_op("norm_p0", lambda m, x: x.norm(0, dim=1), unary_samples(shapes=[(3, 4)]), fd=False)

# ---------------------------------------------------------------------------- logsumexp
_LSE_CASES: list[tuple[tuple[int, ...], dict[str, Any]]] = [
    ((), {"dim": 0}), ((5,), {"dim": 0}), ((3, 4), {"dim": 1}), ((3, 4), {"dim": 0, "keepdim": True}),
    ((2, 3, 4), {"dim": (0, 2)}), ((2, 3, 4), {"dim": [-1]}), ((0, 3), {"dim": 0}), ((0, 3), {"dim": 1}),
    ((3, 4), {"dim": (), "keepdim": True}),
]


def _np_logsumexp(x: np.ndarray, dim: Any, keepdim: bool = False) -> np.ndarray:
    if x.ndim == 0:
        return x.copy()
    axes = (tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)) or tuple(range(x.ndim))
    m = np.max(x, axis=axes, keepdims=True) if x.size else 0
    r = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
    return (r if keepdim else np.squeeze(r, axis=axes)).astype(x.dtype)


add_cases("logsumexp_fn", lambda m, x, **kw: m.logsumexp(x, **kw), signed, _LSE_CASES, _np_logsumexp,
          tol32=(1e-5, 1e-5))
add_op("logsumexp_method", lambda m, x, **kw: x.logsumexp(**kw), shaped_samples(signed, _LSE_CASES[:6]),
       _np_logsumexp, tol32=(1e-5, 1e-5))
add_op("logsumexp_positional", lambda m, x: m.logsumexp(x, 1, True), unary_samples(shapes=[(3, 4)]))
add_op("logsumexp_large", lambda m, x: m.logsumexp(x * 500, 1), unary_samples(shapes=[(3, 4)]))
add_op("logsumexp_noncontiguous", lambda m, x: x.t().logsumexp(1), unary_samples(shapes=[(3, 4)]))

# ---------------------------------------------------------------------------- cumsum, cumprod
_CUM_CASES: list[tuple[tuple[int, ...], dict[str, Any]]] = [
    ((), {"dim": 0}), ((5,), {"dim": 0}), ((3, 4), {"dim": 1}), ((3, 4), {"dim": -2}), ((2, 3, 4), {"dim": 1}),
    ((0, 3), {"dim": 0}), ((0, 3), {"dim": 1}), ((3, 1), {"dim": 1}),
]
for _name, _ref in [("cumsum", np.cumsum), ("cumprod", np.cumprod)]:
    add_cases(f"{_name}_method", lambda m, x, _n=_name, **kw: getattr(x, _n)(**kw), signed, _CUM_CASES,
              (lambda x, dim, _r=_ref: _r(x, axis=dim) if x.ndim else x.copy()))
    add_op(f"{_name}_fn", lambda m, x, _n=_name: getattr(m, _n)(x, 1), unary_samples(shapes=[(3, 4), (2, 3, 4)]))
    add_op(f"{_name}_fn_kw", lambda m, x, _n=_name: getattr(m, _n)(x, dim=-1), unary_samples(shapes=[(5,)]))
    add_op(f"{_name}_dtype", lambda m, x, _n=_name: getattr(x, _n)(0, dtype=m.float64),
           unary_samples(shapes=[(3, 4)]))
    add_op(f"{_name}_noncontiguous", lambda m, x, _n=_name: getattr(x.t(), _n)(1), unary_samples(shapes=[(3, 4)]))
add_op("cumprod_one_zero", lambda m, x, **kw: x.cumprod(**kw),
       shaped_samples(with_zeros(1), [((5,), {"dim": 0}), ((3, 4), {"dim": 1})]))
add_op("cumprod_zeros", lambda m, x, **kw: m.cumprod(x, **kw),
       shaped_samples(with_zeros(3), [((6,), {"dim": 0}), ((3, 4), {"dim": 1}), ((3, 4), {"dim": 0}),
                                      ((2, 3, 4), {"dim": -1})]))

# ---------------------------------------------------------------------------- nansum, nanmean
for _name, _ref in [("nansum", np.nansum), ("nanmean", np.nanmean)]:
    add_cases(f"{_name}_method", lambda m, x, _n=_name, **kw: getattr(x, _n)(**kw), with_nans,
              [((5,), {}), ((3, 4), {}), ((3, 4), {"dim": 1}), ((2, 3, 4), {"dim": (0, 2), "keepdim": True}),
               ((), {}), ((0, 3), {"dim": 0})], None if _name == "nanmean" else _np_reduce(_ref))
    add_op(f"{_name}_fn", lambda m, x, _n=_name: getattr(m, _n)(x, 1), unary_samples(signed, shapes=[(3, 4)]),
           lambda x, _r=_ref: _r(x, axis=1))
    add_op(f"{_name}_dtype", lambda m, x, _n=_name: getattr(m, _n)(x, dtype=m.float64),
           unary_samples(with_nans, shapes=[(3, 4)]))

# ---------------------------------------------------------------------------- all, any, count_nonzero
_LOGICAL_CASES: list[tuple[tuple[int, ...], dict[str, Any]]] = [
    ((), {}), ((5,), {}), ((3, 4), {"dim": 1}), ((3, 4), {"dim": 0, "keepdim": True}), ((2, 3, 4), {"dim": (0, 2)}),
    ((0, 3), {}), ((0, 3), {"dim": 1}), ((3, 4), {"dim": ()}), ((), {"dim": 0}),
]
for _name in ("all", "any"):
    add_op(f"{_name}_method", lambda m, x, _n=_name, **kw: getattr(x, _n)(**kw),
           shaped_samples(with_zeros(2), _LOGICAL_CASES), supports_grad=False)
    add_op(f"{_name}_fn", lambda m, x, _n=_name, **kw: getattr(m, _n)(x, **kw),
           shaped_samples(zeros, [((3, 4), {}), ((3, 4), {"dim": 1})]), supports_grad=False)
add_op("count_nonzero", lambda m, x, **kw: m.count_nonzero(x, **kw),
       shaped_samples(with_zeros(3), [((), {}), ((3, 4), {}), ((3, 4), {"dim": 1}), ((2, 3, 4), {"dim": (0, 2)}),
                                      ((3, 4), {"dim": ()}), ((0, 3), {"dim": 0})]), supports_grad=False)
add_op("count_nonzero_method", lambda m, x: x.count_nonzero(0), unary_samples(with_zeros(3), shapes=[(3, 4)]),
       lambda x: np.count_nonzero(x, axis=0), supports_grad=False)

# ---------------------------------------------------------------------------- aminmax
add_op("aminmax_min", lambda m, x, **kw: x.aminmax(**kw)[0],
       shaped_samples(distinct, [((5,), {}), ((3, 4), {"dim": 1}), ((2, 3, 4), {"dim": 0, "keepdim": True}),
                                 ((), {}), ((3, 4), {"keepdim": True})]))
add_op("aminmax_both", lambda m, x, **kw: (lambda r: r.min * 2 + r.max * 3)(m.aminmax(x, **kw)),
       shaped_samples(distinct, [((5,), {}), ((3, 4), {"dim": -1}), ((), {"dim": 0})]))
add_op("aminmax_max_only", lambda m, x: m.aminmax(x, dim=0).max, unary_samples(distinct, shapes=[(3, 4)]))
# (no finite differences: ties are a kink)
add_op("aminmax_ties", lambda m, x: (lambda r: r[0] + r[1] * 2)(x.aminmax(dim=1)),
       unary_samples(ties, shapes=[(4, 5)]), fd=False)

# ---------------------------------------------------------------------------- median, nanmedian
add_op("median_all", lambda m, x: x.median(), unary_samples(distinct, shapes=[(), (5,), (4,), (3, 4)]),
       lambda x: np.sort(x.reshape(-1))[(x.size - 1) // 2])
add_op("median_fn", lambda m, x: m.median(x), unary_samples(distinct, shapes=[(2, 3, 4)]))
add_cases("median", lambda m, x: m.median(x), signed, [((0,), {}), ((0, 3), {})])
add_cases("median_dim", lambda m, x, **kw: x.median(**kw), distinct, _NONEMPTY_DIM_CASES + [((0, 3), {"dim": 1})])
add_op("median_dim_fn", lambda m, x: m.median(x, 1, keepdim=True), unary_samples(distinct, shapes=[(3, 4)]))
add_op("median_noncontiguous", lambda m, x: x.t().median(0), unary_samples(distinct, shapes=[(3, 4)]))
add_op("nanmedian_all", lambda m, x: x.nanmedian(), unary_samples(with_nans, shapes=[(5,), (3, 4)]))
add_op("nanmedian_dim", lambda m, x, **kw: m.nanmedian(x, **kw),
       shaped_samples(with_nans, [((3, 4), {"dim": 1}), ((2, 3, 4), {"dim": 0, "keepdim": True}), ((), {"dim": 0})]))
# (no finite differences below: with ties the selected element changes under a perturbation)
add_op("median_ties", lambda m, x: x.median(), unary_samples(ties, shapes=[(6,), (3, 4)]), fd=False)
add_op("median_dim_ties", lambda m, x: x.median(1), unary_samples(ties, shapes=[(4, 7), (3, 20)]), fd=False)
add_op("median_nan", lambda m, x: x.median(-1), unary_samples(with_nans, shapes=[(4, 5)]), fd=False)

# ---------------------------------------------------------------------------- kthvalue, mode
add_op("kthvalue", lambda m, x, k, **kw: x.kthvalue(k, **kw),
       shaped_samples(distinct, [((5,), {"k": 2}), ((3, 4), {"k": 4}), ((3, 4), {"k": 1, "dim": 0}),
                                 ((2, 3, 4), {"k": 2, "dim": 1, "keepdim": True}), ((), {"k": 1})]))
add_op("kthvalue_fn", lambda m, x: m.kthvalue(x, 3, 0), unary_samples(distinct, shapes=[(4, 3)]))
add_op("kthvalue_ties", lambda m, x: x.kthvalue(3), unary_samples(ties, shapes=[(4, 6), (3, 30)]), fd=False)
add_op("mode", lambda m, x, **kw: x.mode(**kw),
       shaped_samples(distinct, [((5,), {}), ((3, 4), {"dim": 0}), ((), {}), ((2, 3, 4), {"keepdim": True})]))
add_op("mode_ties", lambda m, x, **kw: m.mode(x, **kw),
       shaped_samples(ties, [((4, 7), {}), ((3, 30), {"dim": 1}), ((6, 3), {"dim": 0, "keepdim": True})]), fd=False)

# ---------------------------------------------------------------------------- sort, argsort, msort, topk
_SORT_CASES: list[tuple[tuple[int, ...], dict[str, Any]]] = [
    ((), {}), ((5,), {}), ((3, 4), {"dim": 0}), ((3, 4), {"descending": True}), ((2, 3, 4), {"dim": 1}),
    ((0, 3), {"dim": 0}), ((3, 4), {"dim": -1, "descending": True, "stable": True}),
]
add_cases("sort", lambda m, x, **kw: x.sort(**kw), distinct, _SORT_CASES)
add_op("sort_fn", lambda m, x: m.sort(x, 0, True), unary_samples(distinct, shapes=[(3, 4)]))
add_op("sort_values", lambda m, x: m.sort(x).values, unary_samples(distinct, shapes=[(3, 4)]),
       lambda x: np.sort(x, axis=-1))
add_op("sort_noncontiguous", lambda m, x: x.t().sort(1), unary_samples(distinct, shapes=[(3, 4)]))
add_op("sort_ties", lambda m, x, **kw: x.sort(**kw),
       shaped_samples(ties, [((6,), {}), ((40,), {}), ((2, 40), {"descending": True}), ((40, 2), {"dim": 0}),
                             ((2, 40), {"stable": True, "descending": True})]), fd=False)
add_op("sort_nan", lambda m, x, **kw: x.sort(**kw),
       shaped_samples(with_nans, [((20,), {}), ((2, 20), {"descending": True})]), fd=False)
add_op("argsort", lambda m, x, **kw: m.argsort(x, **kw),
       shaped_samples(ties, [((), {}), ((6,), {}), ((3, 20), {"dim": 1}), ((20, 3), {"dim": 0, "descending": True}),
                             ((3, 20), {"stable": True})]), supports_grad=False)
add_op("argsort_method", lambda m, x: x.argsort(0), unary_samples(distinct, shapes=[(3, 4)]),
       lambda x: np.argsort(x, axis=0), supports_grad=False)
add_op("msort", lambda m, x: m.msort(x), unary_samples(distinct, shapes=[(5,), (3, 4)]), lambda x: np.sort(x, axis=0))
add_op("msort_method", lambda m, x: x.msort(), unary_samples(distinct, shapes=[(3, 4)]))
_TOPK_CASES: list[tuple[tuple[int, ...], dict[str, Any]]] = [
    ((5,), {"k": 2}), ((3, 4), {"k": 3}), ((3, 4), {"k": 2, "dim": 0}), ((3, 4), {"k": 1, "largest": False}),
    ((2, 3, 4), {"k": 2, "dim": 1, "largest": False}), ((), {"k": 1}), ((5,), {"k": 0}), ((0, 3), {"k": 0, "dim": 0}),
    ((3, 5), {"k": 3, "sorted": False}), ((3, 130), {"k": 2}),
]
add_cases("topk", lambda m, x, **kw: x.topk(**kw), distinct, _TOPK_CASES)
add_op("topk_fn", lambda m, x: m.topk(x, 2, 0, False, True), unary_samples(distinct, shapes=[(4, 3)]))
add_op("topk_noncontiguous", lambda m, x: x.t().topk(2), unary_samples(distinct, shapes=[(3, 4)]))
add_op("topk_ties", lambda m, x, **kw: x.topk(**kw),
       shaped_samples(ties, [((2, 40), {"k": 5}), ((2, 40), {"k": 5, "largest": False}), ((40, 2), {"k": 7, "dim": 0}),
                             ((2, 200), {"k": 3}), ((2, 30), {"k": 6, "sorted": False}), ((6,), {"k": 3})]), fd=False)
add_op("topk_nan", lambda m, x: x.topk(4), unary_samples(with_nans, shapes=[(2, 20)]), fd=False)
