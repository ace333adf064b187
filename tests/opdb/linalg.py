"""Linear algebra: bmm / mv / dot / vdot, addmm / addmv / baddbmm / addbmm, matmul shape cases, einsum,
tensordot, kron, trace, cross, and ``linalg`` (vector_norm, matrix_norm, norm, cross, vecdot, svdvals)."""

from __future__ import annotations

from typing import Any

import numpy as np

from opinfo import OpInfo, Sample, SampleFn, away_from_zero, distinct, signed

OPS: list[OpInfo] = []
_TOL = (1e-4, 1e-5)  # float32 sums of products: summation order differs from PyTorch's BLAS
INF = float("inf")


def add_op(*args: Any, **kwargs: Any) -> None:
    kwargs.setdefault("tol32", _TOL)
    OPS.append(OpInfo(*args, **kwargs))


def cases(gen: Any, specs: list[tuple[Any, ...]]) -> SampleFn:
    """One sample per spec ``(lead_args, shapes, kwargs)``: ``lead_args`` are passed as is (an equation,
    an ord), then one array of ``gen`` per shape."""
    def samples(rng: np.random.Generator, dtype: Any) -> list[Sample]:
        out = []
        for lead, shapes, kw in specs:
            arrays = tuple(gen(rng, s, dtype) for s in shapes)
            desc = f"{lead}{'-'.join('x'.join(map(str, s)) or '0d' for s in shapes)}{kw or ''}"
            out.append(Sample(tuple(lead) + arrays, dict(kw), desc.replace(" ", "")))
        return out
    return samples


def shapes(*sets: tuple[Any, ...], **kw: Any) -> list[tuple[Any, ...]]:
    return [((), s, kw) for s in sets]


def add_cases(name: str, op: Any, gen: Any, specs: list[tuple[Any, ...]], ref: Any = None, **kw: Any) -> None:
    """An entry for ``specs``; the specs with an empty array go to a second entry ``NAME_empty`` without
    finite differences (an empty array has no element to perturb)."""
    full = [s for s in specs if all(np.prod(shape) > 0 for shape in s[1])]
    empty = [s for s in specs if s not in full]
    if full:
        add_op(name, op, cases(gen, full), ref, **kw)
    if empty:
        add_op(f"{name}_empty", op, cases(gen, empty), ref, **{**kw, "fd": False})


# ---------------------------------------------------------------------------- products
_BMM = shapes(((2, 3, 4), (2, 4, 5)), ((1, 1, 3), (1, 3, 1)), ((0, 2, 3), (0, 3, 2)), ((2, 0, 3), (2, 3, 4)))
add_cases("bmm_fn", lambda m, a, b: m.bmm(a, b), signed, _BMM, np.matmul)
add_cases("bmm_method", lambda m, a, b: a.bmm(b), signed, _BMM[:1], np.matmul)
add_cases("bmm_noncontiguous", lambda m, a, b: m.bmm(a.transpose(1, 2), b), signed, shapes(((2, 4, 3), (2, 4, 5))))
_MV = shapes(((2, 3), (3,)), ((1, 1), (1,)), ((0, 3), (3,)), ((3, 0), (0,)))
add_cases("mv_fn", lambda m, a, b: m.mv(a, b), signed, _MV, np.matmul)
add_cases("mv_method", lambda m, a, b: a.mv(b), signed, _MV[:1], np.matmul)
add_cases("mv_noncontiguous", lambda m, a, b: m.mv(a.t(), b), signed, shapes(((3, 2), (3,))))
_DOT = shapes(((3,), (3,)), ((1,), (1,)), ((0,), (0,)))
add_cases("dot_fn", lambda m, a, b: m.dot(a, b), signed, _DOT, np.dot)
add_cases("dot_method", lambda m, a, b: a.dot(b), signed, _DOT[:1], np.dot)
add_cases("vdot_fn", lambda m, a, b: m.vdot(a, b), signed, _DOT, np.vdot)
add_cases("vdot_method", lambda m, a, b: a.vdot(b), signed, _DOT[:1], np.vdot)
add_cases("outer_fn", lambda m, a, b: m.outer(a, b), signed, shapes(((3,), (4,)), ((1,), (2,)), ((0,), (2,))),
          np.outer)
add_cases("outer_method", lambda m, a, b: a.outer(b), signed, shapes(((3,), (4,))), np.outer)

# beta * input + alpha * product; `input` broadcasts
_SCALARS = [{}, {"beta": 0.5, "alpha": 2}, {"beta": 0}, {"alpha": -1.5}]


def _plus(shape_sets: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [((), s, kw) for s in shape_sets for kw in _SCALARS]


_ADDMM = _plus([((3, 5), (3, 4), (4, 5)), ((5,), (3, 4), (4, 5)), ((), (3, 4), (4, 5)), ((3, 1), (3, 4), (4, 5))])
add_cases("addmm_fn", lambda m, i, a, b, **kw: m.addmm(i, a, b, **kw), signed, _ADDMM)
add_cases("addmm_method", lambda m, i, a, b, **kw: i.addmm(a, b, **kw), signed, _ADDMM[:4])
add_cases("addmm_inplace", lambda m, i, a, b, **kw: i.clone().addmm_(a, b, **kw), signed, _ADDMM[:4])
add_cases("addmm_noncontiguous", lambda m, i, a, b: m.addmm(i, a.t(), b.t()), signed,
          shapes(((3, 5), (4, 3), (5, 4))))
_ADDMV = _plus([((3,), (3, 4), (4,)), ((1,), (3, 4), (4,)), ((), (3, 4), (4,)), ((0,), (0, 2), (2,))])
add_cases("addmv_fn", lambda m, i, a, b, **kw: m.addmv(i, a, b, **kw), signed, _ADDMV)
add_cases("addmv_method", lambda m, i, a, b, **kw: i.addmv(a, b, **kw), signed, _ADDMV[:4])
add_cases("addmv_inplace", lambda m, i, a, b, **kw: i.clone().addmv_(a, b, **kw), signed, _ADDMV[:4])
_BADDBMM = _plus([((2, 3, 5), (2, 3, 4), (2, 4, 5)), ((5,), (2, 3, 4), (2, 4, 5)), ((), (2, 3, 4), (2, 4, 5)),
                  ((3, 1), (2, 3, 4), (2, 4, 5))])
add_cases("baddbmm_fn", lambda m, i, a, b, **kw: m.baddbmm(i, a, b, **kw), signed, _BADDBMM)
add_cases("baddbmm_method", lambda m, i, a, b, **kw: i.baddbmm(a, b, **kw), signed, _BADDBMM[:4])
add_cases("baddbmm_inplace", lambda m, i, a, b, **kw: i.clone().baddbmm_(a, b, **kw), signed, _BADDBMM[:4])
_ADDBMM = _plus([((3, 5), (2, 3, 4), (2, 4, 5)), ((5,), (2, 3, 4), (2, 4, 5)), ((), (2, 3, 4), (2, 4, 5))])
add_cases("addbmm_fn", lambda m, i, a, b, **kw: m.addbmm(i, a, b, **kw), signed, _ADDBMM)
add_cases("addbmm_method", lambda m, i, a, b, **kw: i.addbmm(a, b, **kw), signed, _ADDBMM[:4])
add_cases("addbmm_inplace", lambda m, i, a, b, **kw: i.clone().addbmm_(a, b, **kw), signed, _ADDBMM[:4])

# matmul: the shape cases beyond tests/opdb/core.py (batch broadcasting, folding, size-1 batches, empty)
_MATMUL_MORE = [
    ((5, 2, 3), (1, 3, 2)), ((2, 4, 2, 3), (3,)), ((3,), (2, 2, 3, 4)), ((2, 2, 2, 3), (3, 4)), ((2, 3), (2, 2, 3, 4)),
    ((1, 2, 3), (3, 4)), ((2, 1, 3), (3, 1)), ((0, 3), (3, 4)), ((2, 0, 3), (3, 4)), ((2, 3, 0), (0, 4)),
    ((1, 2, 3), (3, 3, 4)), ((3, 2, 3), (1, 3, 4)), ((3,), (1, 3, 4)), ((1, 2, 3), (3,)), ((2, 3, 2, 3), (2, 1, 3, 4)),
]
add_cases("matmul_more_shapes", lambda m, a, b: a @ b, signed, shapes(*_MATMUL_MORE), np.matmul)
add_cases("matmul_noncontiguous", lambda m, a, b: a.transpose(-1, -2) @ b.transpose(-1, -2), signed,
          shapes(((2, 3, 2), (4, 3)), ((3, 2), (2, 4, 3)), ((2, 3, 2), (2, 4, 3)), ((4, 3, 2), (1, 3))))
add_cases("linalg_matmul", lambda m, a, b: m.linalg.matmul(a, b), signed, shapes(((2, 3), (3, 4)), ((2, 2, 3), (3,))),
          np.matmul)

# ---------------------------------------------------------------------------- einsum, tensordot, kron
_EINSUM = [
    ("ij,jk->ik", (2, 3), (3, 4)), ("bij,bjk->bik", (2, 2, 3), (2, 3, 4)), ("i,i->", (3,), (3,)), ("ij->ji", (2, 3)),
    ("ii->i", (3, 3)), ("ii", (3, 3)), ("ij", (2, 3)), ("ij->", (2, 3)), ("ij->i", (2, 3)), ("i,j->ij", (2,), (3,)),
    ("...ij,...jk", (2, 2, 3), (3, 4)), ("ij,ij->ij", (2, 3), (2, 3)), ("ijk->kji", (2, 3, 4)),
    ("ij,jk,kl->il", (2, 3), (3, 4), (4, 5)), ("bn,anm,bm->ba", (2, 3), (4, 3, 5), (2, 5)), ("iij->j", (3, 3, 2)),
    ("->", ()), ("i,->i", (3,), ()), ("...ii->...i", (2, 3, 3)), ("ij,kj->ik", (2, 3), (4, 3)),
    ("ji,jk->ik", (3, 2), (3, 4)), ("ijk,jil->kl", (2, 3, 4), (3, 2, 5)), ("ii,jj->ij", (3, 3), (2, 2)),
    ("...j,j->...", (2, 4, 3), (3,)), ("ij,jk->ik", (2, 1), (3, 4)), ("bij,bjk->bik", (1, 2, 3), (4, 3, 2)),
    ("AB,Bc->Ac", (2, 3), (3, 4)), ("iii->i", (3, 3, 3)), ("i i -> i", (3, 3)), ("ij,jk->ik", (2, 0), (0, 3)),
    ("bhqd,bhkd->bhqk", (2, 3, 4, 5), (2, 3, 6, 5)), ("ij,kl->jl", (2, 3), (4, 5)), ("kji,k->ij", (4, 3, 2), (4,)),
]
_EINSUM_SPECS = [((eq,), s, {}) for eq, *s in _EINSUM]
add_cases("einsum", lambda m, eq, *ts: m.einsum(eq, *ts), signed, _EINSUM_SPECS, lambda eq, *a: np.einsum(eq, *a))
add_cases("einsum_list", lambda m, eq, *ts: m.einsum(eq, list(ts)), signed, _EINSUM_SPECS[:3],
          lambda eq, *a: np.einsum(eq, *a))
add_cases("einsum_sublist", lambda m, a, b: m.einsum(a, [0, 1], b, [1, 2], [0, 2]), signed,
          shapes(((2, 3), (3, 4))), lambda a, b: a @ b)
add_cases("einsum_noncontiguous", lambda m, a, b: m.einsum("bij,bjk->bik", a.transpose(1, 2), b), signed,
          shapes(((2, 3, 2), (2, 3, 4))))

_TENSORDOT = [
    ((), ((2, 3, 4), (3, 4, 5)), {"dims": 2}), ((), ((2, 3), (4, 5)), {"dims": 0}),
    ((), ((2, 3, 4), (4, 3, 5)), {"dims": ([1, 2], [1, 0])}), ((), ((2, 3), (2, 3)), {"dims": 2}),
    ((), ((2, 3), (3, 2)), {"dims": 1}), ((), ((3,), (3,)), {"dims": 1}),
    ((), ((2, 3, 4), (4, 3, 2)), {"dims": ([-1, -2], [0, 1])}), ((), ((), ()), {"dims": 0}),
    ((), ((2, 3, 4), (3, 4)), {"dims": [[1, 2], [0, 1]]}), ((), ((1, 3), (3, 1)), {"dims": ([0, 1], [1, 0])}),
]
add_cases("tensordot", lambda m, a, b, **kw: m.tensordot(a, b, **kw), signed, _TENSORDOT,
          lambda a, b, dims: np.tensordot(a, b, dims))
# a contracted dim of size 1 against a larger one is summed first (PyTorch broadcasts; NumPy does not)
add_cases("tensordot_broadcast", lambda m, a, b, **kw: m.tensordot(a, b, **kw), signed,
          [((), ((2, 1), (3, 2)), {"dims": ([1], [0])}), ((), ((2, 3), (1, 2)), {"dims": ([1], [0])})])
add_cases("tensordot_positional", lambda m, a, b: m.tensordot(a, b, 1), signed, shapes(((2, 3), (3, 4))))
add_cases("tensordot_full_noncontiguous", lambda m, a, b: m.tensordot(a.t(), b, dims=2), signed,
          shapes(((3, 2), (2, 3))))

_KRON = shapes(((2, 3), (4, 5)), ((2,), (4, 5)), ((), (2, 3)), ((2, 3), ()), ((2, 1, 3), (2, 2)), ((0, 2), (3,)))
add_cases("kron_fn", lambda m, a, b: m.kron(a, b), signed, _KRON, np.kron)
add_cases("kron_method", lambda m, a, b: a.kron(b), signed, _KRON[:2], np.kron)

# ---------------------------------------------------------------------------- trace, cross
_TRACE = shapes(((3, 3),), ((2, 4),), ((4, 2),), ((0, 3),), ((1, 1),))
add_cases("trace_fn", lambda m, a: m.trace(a), signed, _TRACE, np.trace)
add_cases("trace_method", lambda m, a: a.trace(), signed, _TRACE[:2], np.trace)
add_cases("trace_noncontiguous", lambda m, a: m.trace(a.t()), signed, shapes(((3, 4),)))

_CROSS = [((), ((4, 3), (4, 3)), {"dim": 1}), ((), ((3, 4), (3, 4)), {"dim": 0}), ((), ((4, 3), (1, 3)), {"dim": 1}),
          ((), ((4, 3), (4, 3)), {"dim": -1}), ((), ((3,), (3,)), {"dim": 0}), ((), ((2, 3, 3), (2, 3, 3)), {"dim": 1}),
          ((), ((0, 3), (0, 3)), {"dim": 1})]
add_cases("cross_fn", lambda m, a, b, **kw: m.cross(a, b, **kw), signed, _CROSS,
          lambda a, b, dim: np.cross(a, b, axis=dim))
add_cases("cross_method", lambda m, a, b, **kw: a.cross(b, **kw), signed, _CROSS[:3])
add_cases("linalg_cross", lambda m, a, b, **kw: m.linalg.cross(a, b, **kw), signed,
          _CROSS + [((), ((5, 3), (5, 3)), {})])

# ---------------------------------------------------------------------------- norms
_VN_SHAPES: list[tuple[tuple[int, ...], dict[str, Any]]] = [
    ((5,), {}), ((3, 4), {}), ((2, 3, 4), {}), ((), {}), ((3, 4), {"dim": 0}), ((3, 4), {"dim": -1, "keepdim": True}),
    ((2, 3, 4), {"dim": (0, 2)}), ((2, 3, 4), {"dim": (-1, 0), "keepdim": True}), ((3, 4), {"dim": []}),
    ((), {"dim": 0}), ((0, 3), {"dim": 1}),
]


def _vn_ref(x: np.ndarray, ord: float = 2, dim: Any = None, keepdim: bool = False) -> np.ndarray:  # noqa: A002
    axis = tuple(range(x.ndim)) if dim is None or dim == [] else dim if x.ndim else None
    a = np.abs(x)
    if ord == INF:
        return a.max(axis=axis, keepdims=keepdim)
    if ord == -INF:
        return a.min(axis=axis, keepdims=keepdim)
    if ord == 0:
        return (x != 0).sum(axis=axis, keepdims=keepdim).astype(x.dtype)
    return (a ** ord).sum(axis=axis, keepdims=keepdim) ** (1 / ord)


# smooth away from 0 for ord <= 1 (|x| has a kink at 0); ties-free for ±inf
for _ord, _gen in [(2, signed), (1, away_from_zero), (3, signed), (1.5, away_from_zero), (0.5, away_from_zero),
                   (-1, away_from_zero), (INF, distinct), (-INF, distinct)]:
    _specs = [((_ord,), (s,), kw) for s, kw in _VN_SHAPES if not (s == (0, 3) and (_ord == -INF or _ord < 0))]
    add_cases(f"linalg_vector_norm_ord{_ord}", lambda m, o, x, **kw: m.linalg.vector_norm(x, o, **kw), _gen, _specs,
           lambda o, x, **kw: _vn_ref(x, o, **kw))
# ord 0 counts non-zeros: PyTorch returns no gradient at all (x.grad stays None), so finite differences do not apply
add_cases("linalg_vector_norm_ord0", lambda m, x, **kw: m.linalg.vector_norm(x, 0, **kw), away_from_zero,
          [((), (s,), kw) for s, kw in _VN_SHAPES], lambda x, **kw: _vn_ref(x, 0, **kw), fd=False)
add_cases("linalg_vector_norm_zeros", lambda m, x: m.linalg.vector_norm(x * 0), signed, shapes(((3,),)), fd=False)
add_cases("linalg_vector_norm_dtype", lambda m, x: m.linalg.vector_norm(x, dtype=m.float64), signed,
          shapes(((3, 4),)))
add_cases("linalg_vector_norm_noncontiguous", lambda m, x: m.linalg.vector_norm(x.t(), 3, dim=0), signed,
          shapes(((3, 4),)))

_MN_SHAPES = [((3, 4), {}), ((4, 3), {"keepdim": True}), ((2, 3, 4), {}), ((2, 3, 4), {"dim": (0, 2)}),
              ((2, 3, 4), {"dim": (2, 0), "keepdim": True}), ((3, 4), {"dim": (1, 0)}), ((0, 3), {})]


def _mn_ref(x: np.ndarray, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False) -> np.ndarray:  # noqa: A002
    return np.linalg.norm(x, ord, axis=dim, keepdims=keepdim)


# 'nuc' and ±2 go through the singular values (distinct for random matrices); ±1 / ±inf through |x| (kink at 0)
for _ord, _gen in [("fro", signed), ("nuc", signed), (1, away_from_zero), (-1, away_from_zero), (INF, away_from_zero),
                   (-INF, away_from_zero), (2, signed), (-2, signed)]:
    _specs = [((_ord,), (s,), kw) for s, kw in _MN_SHAPES if not (s == (0, 3) and _ord in (-1, -2, -INF, INF, 2))]
    add_cases(f"linalg_matrix_norm_{_ord}", lambda m, o, x, **kw: m.linalg.matrix_norm(x, o, **kw), _gen, _specs,
           lambda o, x, **kw: _mn_ref(x, o, **kw))
add_cases("linalg_matrix_norm_default", lambda m, x: m.linalg.matrix_norm(x), signed, shapes(((3, 4),)),
          lambda x: np.linalg.norm(x))

_NORM = [((None,), ((5,),), {}), ((None,), ((3, 4),), {}), ((None,), ((2, 3, 4),), {}), ((2,), ((5,),), {}),
         ((1,), ((3, 4),), {}), ((INF,), ((3, 4),), {}), (("fro",), ((3, 4),), {}), (("nuc",), ((3, 4),), {}),
         ((None,), ((3, 4),), {"dim": 1}), ((3,), ((2, 3, 4),), {"dim": (0,)}), ((-1,), ((2, 3, 4),), {"dim": (1, 2)}),
         ((2,), ((3, 4),), {"keepdim": True}), ((None,), ((),), {})]
add_cases("linalg_norm", lambda m, o, x, **kw: m.linalg.norm(x, o, **kw), away_from_zero, _NORM)

_VECDOT = [((), ((2, 3), (2, 3)), {}), ((), ((2, 3), (3,)), {}), ((), ((2, 3), (2, 3)), {"dim": 0}),
           ((), ((3,), (3,)), {}), ((), ((0, 3), (0, 3)), {})]
add_cases("linalg_vecdot", lambda m, a, b, **kw: m.linalg.vecdot(a, b, **kw), signed, _VECDOT)
add_cases("linalg_svdvals", lambda m, a: m.linalg.svdvals(a), signed,
          shapes(((3, 4),), ((4, 3),), ((2, 3, 3),), ((1, 1),)), lambda a: np.linalg.svd(a, compute_uv=False))
