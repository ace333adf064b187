"""Linear algebra beyond the op table (``tests/opdb/linalg.py``), against PyTorch.

Double backward (``create_graph=True``) for every op; whole graphs (every node down to the
leaves) for the ops PyTorch composes (matmul's shape cases, einsum, tensordot, kron, the
matrix norms); error types and texts; in-place variants; dtypes; norms at 0 and at ±1000.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassgrad as gg
from opinfo import assert_same_tensor, need_torch, same_error, to_np

try:  # Hypothesis is a test dependency; without it only its tests are skipped.
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    HAVE_HYPOTHESIS = True
except ImportError:  # pragma: no cover
    HAVE_HYPOTHESIS = False

INF = float("inf")
Fn = Callable[..., Any]


def _arrays(shapes: list[tuple[int, ...]], seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.uniform(0.2, 2.0, s) * rng.choice([-1.0, 1.0], s) for s in shapes]


def _leaves(m: Any, arrays: list[np.ndarray], rg: list[bool] | None = None) -> list[Any]:
    rg = rg or [True] * len(arrays)
    return [m.tensor(a.copy(), requires_grad=r) for a, r in zip(arrays, rg)]


# ---------------------------------------------------------------------------- double backward

_DOUBLE: dict[str, tuple[Fn, list[tuple[int, ...]]]] = {
    "mm": (lambda m, a, b: m.mm(a, b), [(2, 3), (3, 4)]),
    "bmm": (lambda m, a, b: m.bmm(a, b), [(2, 2, 3), (2, 3, 4)]),
    "mv": (lambda m, a, b: m.mv(a, b), [(2, 3), (3,)]),
    "dot": (lambda m, a, b: m.dot(a, b), [(3,), (3,)]),
    "vdot": (lambda m, a, b: m.vdot(a, b), [(3,), (3,)]),
    "outer": (lambda m, a, b: m.outer(a, b), [(3,), (4,)]),
    "addmm": (lambda m, i, a, b: m.addmm(i, a, b, beta=0.5, alpha=2), [(2, 4), (2, 3), (3, 4)]),
    "addmv": (lambda m, i, a, b: m.addmv(i, a, b, beta=-1, alpha=0.5), [(2,), (2, 3), (3,)]),
    "baddbmm": (lambda m, i, a, b: m.baddbmm(i, a, b, beta=2, alpha=-1), [(4,), (2, 2, 3), (2, 3, 4)]),
    "addbmm": (lambda m, i, a, b: m.addbmm(i, a, b, alpha=3), [(2, 4), (2, 2, 3), (2, 3, 4)]),
    "matmul_mm": (lambda m, a, b: a @ b, [(2, 3), (3, 4)]),
    "matmul_fold": (lambda m, a, b: a @ b, [(2, 2, 3), (3, 4)]),
    "matmul_fold_transposed": (lambda m, a, b: a @ b, [(3,), (2, 3, 4)]),
    "matmul_batched": (lambda m, a, b: a @ b, [(2, 1, 2, 3), (3, 3, 4)]),
    "matmul_vector_rhs": (lambda m, a, b: a.transpose(-1, -2) @ b, [(2, 3, 2), (3,)]),
    "einsum_mm": (lambda m, a, b: m.einsum("ij,jk->ik", a, b), [(2, 3), (3, 4)]),
    "einsum_bmm": (lambda m, a, b: m.einsum("bij,bjk->bik", a, b), [(2, 2, 3), (2, 3, 4)]),
    "einsum_dot": (lambda m, a, b: m.einsum("i,i->", a, b), [(3,), (3,)]),
    "einsum_diagonal": (lambda m, a: m.einsum("ii->i", a) ** 2, [(3, 3)]),
    "einsum_trace": (lambda m, a, b: m.einsum("ii,jj->ij", a, b), [(3, 3), (2, 2)]),
    "einsum_three": (lambda m, a, b, c: m.einsum("ij,jk,kl->il", a, b, c), [(2, 3), (3, 4), (4, 2)]),
    "einsum_ellipsis": (lambda m, a, b: m.einsum("...ii,...i->...", a, b), [(2, 3, 3), (3,)]),
    "tensordot": (lambda m, a, b: m.tensordot(a, b, dims=([1, 2], [1, 0])), [(2, 3, 4), (4, 3, 5)]),
    "tensordot_full": (lambda m, a, b: m.tensordot(a, b, dims=2), [(2, 3), (2, 3)]),
    "kron": (lambda m, a, b: m.kron(a, b), [(2, 3), (3, 2)]),
    "trace": (lambda m, a: m.trace(a) ** 2, [(3, 4)]),
    "cross": (lambda m, a, b: m.cross(a, b, dim=1), [(4, 3), (4, 3)]),
    "linalg_cross": (lambda m, a, b: m.linalg.cross(a, b), [(4, 3), (1, 3)]),
    "vecdot": (lambda m, a, b: m.linalg.vecdot(a, b, dim=0), [(3, 2), (3, 2)]),
    "matrix_norm_fro": (lambda m, a: m.linalg.matrix_norm(a), [(3, 4)]),
    "matrix_norm_1": (lambda m, a: m.linalg.matrix_norm(a, 1, keepdim=True), [(2, 3, 4)]),
    "matrix_norm_-1": (lambda m, a: m.linalg.matrix_norm(a, -1), [(3, 4)]),
    "matrix_norm_inf": (lambda m, a: m.linalg.matrix_norm(a, INF, dim=(0, 2)), [(3, 2, 4)]),
    "matrix_norm_-inf": (lambda m, a: m.linalg.matrix_norm(a, -INF), [(3, 4)]),
    "norm_default": (lambda m, a: m.linalg.norm(a), [(2, 3, 4)]),
    "norm_ord_dim": (lambda m, a: m.linalg.norm(a, 3, dim=1), [(3, 4)]),
}
for _o in [2, 1, 3, 1.5, 0.5, INF, -INF, -1, -2.5]:
    _DOUBLE[f"vector_norm_{_o}"] = (lambda m, a, _o=_o: m.linalg.vector_norm(a, _o, dim=-1), [(3, 4)])
    _DOUBLE[f"vector_norm_{_o}_all_keepdim"] = (lambda m, a, _o=_o: m.linalg.vector_norm(a, _o, keepdim=True),
                                                [(2, 3)])


def _first_and_second(m: Any, fn: Fn, arrays: list[np.ndarray]) -> tuple[list[Any], list[Any] | None]:
    """Gradients of ``sum(fn * u)`` and of ``sum(grad_i * v_i)`` (the second through ``create_graph=True``)."""
    xs = _leaves(m, arrays)
    out = fn(m, *xs)
    rng = np.random.default_rng(7)
    up = m.tensor(rng.standard_normal(tuple(out.shape)))
    grads = m.autograd.grad(out, xs, up, create_graph=True)
    s = sum((g * m.tensor(rng.standard_normal(tuple(g.shape)))).sum() for g in grads)
    if not s.requires_grad:
        return list(grads), None
    second = m.autograd.grad(s, xs, allow_unused=True)
    return list(grads), [m.zeros_like(x) if g is None or _is_zero(g) else g for g, x in zip(second, xs)]


def _is_zero(t: Any) -> bool:
    """PyTorch's ZeroTensor (an efficient zero gradient) has no NumPy view."""
    return bool(getattr(t, "_is_zerotensor", lambda: False)())


@pytest.mark.parametrize("name", list(_DOUBLE))
def test_double_backward_matches_torch(name: str) -> None:
    torch = need_torch()
    fn, shapes = _DOUBLE[name]
    arrays = _arrays(shapes)
    g1, g2 = _first_and_second(gg, fn, arrays)
    t1, t2 = _first_and_second(torch, fn, arrays)
    for a, b in zip(g1, t1):
        assert_same_tensor(a, b, 1e-10, 1e-12, what="first derivative")
        assert a.requires_grad == b.requires_grad
    assert (g2 is None) == (t2 is None)
    for a, b in zip(g2 or [], t2 or []):
        assert_same_tensor(a, b, 1e-9, 1e-11, what="second derivative")


@pytest.mark.parametrize("ord", ["nuc", 2, -2])
def test_double_backward_through_singular_values_is_not_supported(ord: Any) -> None:
    a = gg.tensor(_arrays([(3, 3)])[0], requires_grad=True)
    (g,) = gg.autograd.grad(gg.linalg.matrix_norm(a, ord), a, create_graph=False)
    with pytest.raises(NotImplementedError, match="second derivative of the singular values"):
        gg.autograd.grad(gg.linalg.matrix_norm(a, ord), a, create_graph=True)
    assert g.shape == (3, 3)


# ---------------------------------------------------------------------------- whole graphs

def _tree(fn: Any) -> list[str]:
    """Every node down to the leaves (``AccumulateGrad`` as ``Acc``), depth-first, indented."""
    out: list[str] = []

    def walk(f: Any, depth: int) -> None:
        if f is None:
            out.append("  " * depth + "None")
            return
        out.append("  " * depth + ("Acc" if "AccumulateGrad" in f.name() else f.name()))
        for nxt, nr in f.next_functions:
            if nxt is None or "AccumulateGrad" not in nxt.name():
                walk(nxt, depth + 1)
            else:
                out.append("  " * (depth + 1) + f"Acc{nr}")
    walk(fn, 0)
    return out


def _same_graph(fn: Fn, arrays: list[np.ndarray], rg: list[bool] | None = None) -> None:
    """Same values, gradients and whole graph as PyTorch."""
    torch = need_torch()
    res = {}
    for m in (gg, torch):
        xs = _leaves(m, arrays, rg)
        out = fn(m, *xs)
        tree = _tree(out.grad_fn)
        if out.requires_grad:
            out.backward(m.tensor(np.random.default_rng(3).standard_normal(tuple(out.shape))))
        res[m.__name__] = (out, tree, [x.grad for x in xs])
    (go, gt, gg_), (to, tt, tg) = res["glassgrad"], res["torch"]
    assert_same_tensor(go, to, 1e-10, 1e-12, what="value")
    for a, b in zip(gg_, tg):
        assert (a is None) == (b is None)
        if b is not None:
            assert_same_tensor(a, b, 1e-10, 1e-12, what="gradient")
    assert gt == tt


_MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((2, 2, 3), (3, 4)), ((2, 2, 3), (2, 3, 4)),
    ((2, 3), (2, 3, 4)), ((2, 1, 2, 3), (1, 3, 3, 4)), ((3,), (2, 3, 4)), ((2, 2, 3), (3,)), ((1, 2, 3), (5, 3, 2)),
    ((5, 2, 3), (1, 3, 2)), ((2, 4, 2, 3), (3,)), ((3,), (2, 2, 3, 4)), ((2, 3), (2, 2, 3, 4)), ((2, 1, 3), (3, 1)),
    ((2, 0, 3), (3, 4)), ((2, 3, 0), (0, 4)), ((3, 2, 3), (1, 3, 4)), ((1, 2, 3), (3, 3, 4)), ((3,), (1, 3, 4)),
    ((1, 2, 3), (3,)), ((2, 3, 2, 3), (2, 1, 3, 4)),
]


def _swap_last(s: tuple[int, ...]) -> tuple[int, ...]:
    return s[:-2] + (s[-1], s[-2]) if len(s) >= 2 else s


@pytest.mark.parametrize("sa,sb", _MATMUL_SHAPES)
@pytest.mark.parametrize("rg,transposed", [
    ((True, True), (False, False)), ((True, False), (False, False)), ((False, True), (False, False)),
    ((True, False), (True, False)), ((False, True), (False, True)), ((True, True), (True, True)),
])
def test_matmul_graph_matches_torch(sa: Any, sb: Any, rg: Any, transposed: Any) -> None:
    """Every shape case, which operand requires grad, and non-contiguous operands (ATen's fold decisions)."""
    ta, tb = transposed
    arrays = _arrays([_swap_last(sa) if ta else sa, _swap_last(sb) if tb else sb])

    def fn(m: Any, a: Any, b: Any) -> Any:
        return (a.transpose(-1, -2) if ta and a.ndim > 1 else a) @ (b.transpose(-1, -2) if tb and b.ndim > 1 else b)
    _same_graph(fn, arrays, list(rg))


_EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]), ("i,i->", [(3,), (3,)]),
    ("ij->ji", [(2, 3)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("ij", [(2, 3)]), ("ij->", [(2, 3)]),
    ("ij->i", [(2, 3)]), ("i,j->ij", [(2,), (3,)]), ("...ij,...jk", [(2, 2, 3), (3, 4)]),
    ("ij,ij->ij", [(2, 3), (2, 3)]), ("ijk->kji", [(2, 3, 4)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]), ("iij->j", [(3, 3, 2)]), ("->", [()]), ("i,->i", [(3,), ()]),
    ("...ii->...i", [(2, 3, 3)]), ("i...->...", [(2, 3, 4)]), ("ij,kj->ik", [(2, 3), (4, 3)]),
    ("ji,jk->ik", [(3, 2), (3, 4)]), ("ij,jk->ki", [(2, 3), (3, 4)]), ("bij,bkj->bik", [(2, 2, 3), (2, 4, 3)]),
    ("i,j,k->ijk", [(2,), (3,), (4,)]), ("ijk,jil->kl", [(2, 3, 4), (3, 2, 5)]), ("a,b,c,d->", [(2,), (3,), (4,), (5,)]),
    ("ii,jj->ij", [(3, 3), (2, 2)]), ("...j,j->...", [(2, 4, 3), (3,)]), ("ij,jk->ik", [(2, 1), (3, 4)]),
    ("ij,jk->ik", [(1, 3), (3, 1)]), ("bij,bjk->bik", [(1, 2, 3), (4, 3, 2)]), ("AB,Bc->Ac", [(2, 3), (3, 4)]),
    ("iii->i", [(3, 3, 3)]), ("ij,jk,ki->", [(2, 3), (3, 4), (4, 2)]), ("ijk,ikl->ijl", [(0, 2, 3), (0, 3, 4)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (3, 3, 4)]), ("ij...,jk...->ik...", [(2, 3, 4), (3, 5, 4)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]), ("ij,kl->jl", [(2, 3), (4, 5)]), ("kji,k->ij", [(4, 3, 2), (4,)]),
]


@pytest.mark.parametrize("eq,shapes", _EINSUM)
@pytest.mark.parametrize("first_only", [False, True])
def test_einsum_graph_matches_torch(eq: str, shapes: list[Any], first_only: bool) -> None:
    """einsum records what ATen's composition records: diagonal, permute, unsqueeze, sum, mul, bmm, view."""
    rg = [True] + [not first_only] * (len(shapes) - 1)
    _same_graph(lambda m, *ts: m.einsum(eq, *ts), _arrays(shapes), rg)


@pytest.mark.parametrize("fn,shapes", [
    (lambda m, a, b: m.tensordot(a, b, dims=2), [(2, 3, 4), (3, 4, 5)]),
    (lambda m, a, b: m.tensordot(a, b, dims=0), [(2, 3), (4, 5)]),
    (lambda m, a, b: m.tensordot(a, b, dims=([1, 2], [1, 0])), [(2, 3, 4), (4, 3, 5)]),
    (lambda m, a, b: m.tensordot(a, b, dims=2), [(2, 3), (2, 3)]),
    (lambda m, a, b: m.tensordot(a.t(), b, dims=2), [(3, 2), (2, 3)]),
    (lambda m, a, b: m.tensordot(a, b, dims=([1], [0])), [(2, 1), (3, 2)]),
    (lambda m, a, b: m.kron(a, b), [(2, 3), (4, 5)]),
    (lambda m, a, b: m.kron(a, b), [(2,), (4, 5)]),
    (lambda m, a, b: m.outer(a, b), [(3,), (4,)]),
    (lambda m, a, b: m.linalg.vecdot(a, b), [(2, 3), (2, 3)]),
    (lambda m, a, b: m.linalg.vecdot(a, b), [(3,), (3,)]),
    (lambda m, a: m.linalg.matrix_norm(a, 1), [(3, 4)]),
    (lambda m, a: m.linalg.matrix_norm(a, -INF, keepdim=True), [(2, 3, 4)]),
    (lambda m, a: m.linalg.matrix_norm(a, "nuc", keepdim=True), [(3, 4)]),
    (lambda m, a: m.linalg.matrix_norm(a, 2, dim=(0, 2)), [(3, 2, 4)]),
    (lambda m, a: m.linalg.matrix_norm(a, INF), [(0, 3)]),
    (lambda m, a: m.linalg.norm(a, "fro", dim=(1, 0), keepdim=True), [(3, 4)]),
    (lambda m, a: m.linalg.vector_norm(a, dtype=m.float64), [(3, 4)]),
], ids=lambda x: "" if callable(x) else "x".join(map(str, x[0])))
def test_composite_graph_matches_torch(fn: Fn, shapes: list[Any]) -> None:
    _same_graph(fn, _arrays(shapes))


# ---------------------------------------------------------------------------- errors

_T = lambda m, *s, dtype=None: m.ones(*s, dtype=None if dtype is None else getattr(m, dtype))  # noqa: E731
_ERRORS: list[Fn] = [
    # matmul family
    lambda m: _T(m, 2, 3) @ _T(m, 4),
    lambda m: _T(m, 2, 3, 4) @ _T(m, 5, 6),
    lambda m: _T(m, 3) @ _T(m, 2, 4, 5),
    lambda m: _T(m, 2, 3, 4) @ _T(m, 3, 4, 5),
    lambda m: _T(m, 2, 2, 3, 4) @ _T(m, 2, 5, 6),
    lambda m: _T(m, 5) @ _T(m, 4, 2),
    lambda m: m.matmul(m.tensor(1.0), _T(m, 3)),
    lambda m: _T(m, 2, 3) @ _T(m, 3, 2, dtype="float64"),
    lambda m: _T(m, 3) @ _T(m, 3, dtype="float64"),
    lambda m: _T(m, 2, 2, 3) @ _T(m, 2, 3, 2, dtype="float64"),
    lambda m: m.mv(_T(m, 2, 3, dtype="float64"), _T(m, 3)),
    lambda m: m.bmm(_T(m, 2, 2, 3), _T(m, 2, 4, 2)),
    lambda m: m.dot(_T(m, 2, dtype="float64"), _T(m, 3)),
    lambda m: m.vdot(_T(m, 2, 2), _T(m, 2)),
    lambda m: m.addmm(_T(m, 2, 3), _T(m, 2, 3), _T(m, 3, 2)),
    lambda m: m.addmm(_T(m, 2, 2, dtype="float64"), _T(m, 2, 3), _T(m, 3, 2)),
    lambda m: m.addmm(_T(m, 2, 2), _T(m, 2, 3, dtype="float64"), _T(m, 3, 2)),
    lambda m: m.addmv(_T(m, 4), _T(m, 3, 4), _T(m, 4)),
    lambda m: m.addmv(_T(m, 3), _T(m, 3, 4, 1), _T(m, 4)),
    lambda m: m.addmv(_T(m, 3), _T(m, 3, 4, dtype="float64"), _T(m, 4)),
    lambda m: m.baddbmm(_T(m, 2, 3, 3), _T(m, 2, 3, 4), _T(m, 2, 3)),
    lambda m: m.baddbmm(_T(m, 2, 3, 3), _T(m, 2, 3, 4, 1), _T(m, 2, 4, 3)),
    lambda m: m.baddbmm(_T(m, 2, 3, 3), _T(m, 2, 3, 4), _T(m, 3, 4, 3)),
    lambda m: m.baddbmm(_T(m, 2, 4, 3), _T(m, 2, 3, 4), _T(m, 2, 4, 3)),
    lambda m: m.baddbmm(_T(m, 2, 3, 3), _T(m, 2, 3, 4, dtype="float64"), _T(m, 2, 4, 3)),
    lambda m: m.baddbmm(_T(m, 2, 3, 3), _T(m, 2, 3, 4), _T(m, 2, 4, 3, dtype="float64")),
    lambda m: m.addbmm(_T(m, 3, 3), _T(m, 2, 3, 4), _T(m, 3, 4, 3)),
    lambda m: m.addbmm(_T(m, 3, 3), _T(m, 2, 3, 4), _T(m, 2, 5, 3)),
    lambda m: m.addbmm(_T(m, 3, 3), _T(m, 4), _T(m, 2, 4, 3)),
    # einsum
    lambda m: m.einsum("ij,jk->ik", _T(m, 2, 3)),
    lambda m: m.einsum("ij->ik", _T(m, 2, 3)),
    lambda m: m.einsum("ij,jk", _T(m, 2, 3), _T(m, 4, 4)),
    lambda m: m.einsum("ij", _T(m, 2, 3, 4)),
    lambda m: m.einsum("...ij", _T(m, 2)),
    lambda m: m.einsum("i.j", _T(m, 2, 3)),
    lambda m: m.einsum("i...j...", _T(m, 2, 3, 4)),
    lambda m: m.einsum("i->i.", _T(m, 3)),
    lambda m: m.einsum("i->......", _T(m, 3)),
    lambda m: m.einsum("i->ii", _T(m, 3)),
    lambda m: m.einsum("i->j", _T(m, 3)),
    lambda m: m.einsum("i1", _T(m, 3, 3)),
    lambda m: m.einsum("i->1", _T(m, 3)),
    lambda m: m.einsum("ii", _T(m, 2, 3)),
    lambda m: m.einsum("i,i", _T(m, 2), _T(m, 3)),
    lambda m: m.einsum("...i,...i", _T(m, 2, 3), _T(m, 4, 3)),
    lambda m: m.einsum("i,i,i", _T(m, 2), _T(m, 2)),
    lambda m: m.einsum("ij-k", _T(m, 2, 3)),
    lambda m: m.einsum("ij,jk->ik", _T(m, 2, 3), _T(m, 3, 4, dtype="float64")),
    lambda m: m.einsum("ij"),
    lambda m: m.einsum(_T(m, 2), [60]),
    # tensordot, kron, trace, cross
    lambda m: m.tensordot(_T(m, 2, 3), _T(m, 3, 2), dims=-1),
    lambda m: m.tensordot(_T(m, 2, 3), _T(m, 3, 2), dims=3),
    lambda m: m.tensordot(_T(m, 2, 3), _T(m, 3, 2), dims=1.5),
    lambda m: m.tensordot(_T(m, 2, 3), _T(m, 3, 2), dims=([0, 1], [0])),
    lambda m: m.tensordot(_T(m, 2, 3), _T(m, 3, 2), dims=([0], [0])),
    lambda m: m.tensordot(_T(m, 2, 3), _T(m, 3, 2, dtype="float64"), dims=1),
    lambda m: m.tensordot(_T(m, 2, 3), _T(m, 3, 2), dims=([2], [0])),
    lambda m: m.tensordot(_T(m, 2, 3), _T(m, 3, 3), dims=([1, 1], [0, 1])),
    lambda m: m.kron(_T(m, 3, 2).t(), _T(m, 2, 2)),
    lambda m: m.trace(_T(m, 3)),
    lambda m: m.trace(_T(m, 3, 3, 3)),
    lambda m: m.trace(m.ones(3, 3, dtype=m.bool)),
    lambda m: m.cross(_T(m, 4, 2), _T(m, 4, 2), dim=1),
    lambda m: m.linalg.cross(_T(m, 4, 3), _T(m, 3)),
    lambda m: m.linalg.cross(_T(m, 4, 2), _T(m, 4, 2)),
    lambda m: m.linalg.cross(_T(m, 4, 3), _T(m, 4, 3), dim=2),
    lambda m: m.linalg.cross(_T(m, 4, 3), _T(m, 2, 3)),
    lambda m: m.linalg.cross(_T(m, 3), _T(m, 3, dtype="float64")),
    # norms
    lambda m: m.linalg.vector_norm(m.ones(3, dtype=m.int64)),
    lambda m: m.linalg.vector_norm(_T(m, 0), INF),
    lambda m: m.linalg.vector_norm(_T(m, 0, 3), INF, dim=-2),
    lambda m: m.linalg.vector_norm(_T(m, 3, 0), -0.5, dim=(0, 1)),
    lambda m: m.linalg.vector_norm(_T(m, 0), -1 / 3),
    lambda m: m.linalg.vector_norm(_T(m, 3), dtype=m.int64),
    lambda m: m.linalg.vector_norm(_T(m, 3, dtype="float64"), dtype=m.float32),
    lambda m: m.linalg.vector_norm(_T(m, 3), "fro"),
    lambda m: m.linalg.vector_norm(_T(m, 2, 3), dim=[0, 0]),
    lambda m: m.linalg.vector_norm(_T(m, 2, 3), dim=2),
    lambda m: m.linalg.matrix_norm(_T(m, 3)),
    lambda m: m.linalg.matrix_norm(m.ones(3, 3, dtype=m.int64)),
    lambda m: m.linalg.matrix_norm(_T(m, 3, 3), 3),
    lambda m: m.linalg.matrix_norm(_T(m, 3, 3), -2.5),
    lambda m: m.linalg.matrix_norm(_T(m, 3, 3), "foo"),
    lambda m: m.linalg.matrix_norm(_T(m, 3, 3), dim=(0,)),
    lambda m: m.linalg.matrix_norm(_T(m, 3, 3, 3), dim=(0, 1, 2)),
    lambda m: m.linalg.matrix_norm(_T(m, 3, 3), dim=(0, -2)),
    lambda m: m.linalg.matrix_norm(_T(m, 3, 3), dim=(0, 2)),
    lambda m: m.linalg.matrix_norm(_T(m, 0, 3), -INF),
    lambda m: m.linalg.matrix_norm(_T(m, 3, 0), -2),
    lambda m: m.linalg.matrix_norm(m.ones(3, 3, dtype=m.float16), 2),
    lambda m: m.linalg.matrix_norm(_T(m, 3, 3), dtype=m.int64),
    lambda m: m.linalg.norm(_T(m, 2, 3, 3), 2),
    lambda m: m.linalg.norm(_T(m, 2, 3, 3), "fro"),
    lambda m: m.linalg.norm(_T(m, 2, 3, 3), dim=(0, 1, 2)),
    lambda m: m.linalg.norm(_T(m, 3), "nuc"),
    lambda m: m.linalg.norm(_T(m, 3, 3), "fro", dim=1),
    lambda m: m.linalg.vecdot(_T(m, 3), _T(m, 3, dtype="float64")),
    lambda m: m.linalg.vecdot(_T(m, 2, 3), _T(m, 4)),
    lambda m: m.linalg.vecdot(m.ones(3, dtype=m.int64), m.ones(3, dtype=m.int64)),
    lambda m: m.linalg.svdvals(_T(m, 3)),
    # arguments that are not tensors
    lambda m: m.mm(_T(m, 2, 2), [1.0]),
    lambda m: m.mm([1.0], _T(m, 2, 2)),
    lambda m: _T(m, 2, 2).mm([1.0]),
    lambda m: _T(m, 2, 2).matmul([1.0]),
    lambda m: m.matmul([1.0], _T(m, 2, 2)),
    lambda m: _T(m, 2, 2) @ 2,
    lambda m: [1.0, 2.0] @ _T(m, 2, 2),
    lambda m: m.addmm(2.0, _T(m, 2, 2), _T(m, 2, 2)),
    lambda m: _T(m, 2, 2).addmm(_T(m, 2, 2), [1.0]),
    lambda m: _T(m, 2, 2, 2).baddbmm(_T(m, 2, 2, 2), [1.0]),
    lambda m: m.addmv(_T(m, 2), [1.0], _T(m, 2)),
    lambda m: m.kron([1.0], _T(m, 2)),
    lambda m: _T(m, 2).kron([1.0]),
    lambda m: m.trace([[1.0]]),
    lambda m: m.cross(_T(m, 3), [1.0, 2.0, 3.0]),
    lambda m: m.linalg.cross(_T(m, 3), [1.0, 2.0, 3.0]),
    lambda m: m.linalg.vector_norm([1.0]),
    lambda m: m.linalg.matrix_norm([[1.0]]),
    lambda m: m.linalg.norm([1.0]),
    lambda m: m.linalg.vecdot(_T(m, 2), [1.0, 2.0]),
    lambda m: m.linalg.matmul(_T(m, 2), [1.0, 2.0]),
    lambda m: m.linalg.svdvals([[1.0]]),
    lambda m: m.einsum("i,i", _T(m, 2), [1.0, 2.0]),
    lambda m: m.einsum("i,i", _T(m, 2), np.ones(2)),
    lambda m: m.outer(_T(m, 2), 2.0),
    lambda m: _T(m, 2).vdot([1.0, 2.0]),
]


@pytest.mark.parametrize("i", range(len(_ERRORS)))
def test_error_matches_torch(i: int) -> None:
    same_error(_ERRORS[i])


def test_cross_without_dim_warns_and_uses_the_first_dim_of_size_3() -> None:
    torch = need_torch()
    a, b = _arrays([(4, 3), (4, 3)])
    with pytest.warns(UserWarning, match="Using torch.cross without specifying the dim arg is deprecated"):
        r = gg.cross(gg.tensor(a), gg.tensor(b))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = torch.cross(torch.tensor(a), torch.tensor(b))
    assert_same_tensor(r, t, 1e-12, 1e-12)


# ---------------------------------------------------------------------------- in-place variants

@pytest.mark.parametrize("name,shapes", [
    ("addmm_", [(2, 4), (2, 3), (3, 4)]), ("addmv_", [(2,), (2, 3), (3,)]),
    ("baddbmm_", [(2, 2, 4), (2, 2, 3), (2, 3, 4)]), ("addbmm_", [(2, 4), (2, 2, 3), (2, 3, 4)]),
])
def test_inplace_variants_match_torch(name: str, shapes: list[Any]) -> None:
    torch = need_torch()
    arrays = _arrays(shapes)
    res = {}
    for m in (gg, torch):
        i, a, b = _leaves(m, arrays)
        y = i * 1
        v = y._version
        r = getattr(y, name)(a, b, beta=0.5, alpha=2)
        assert r is y and y._version == v + 1
        name_fn = y.grad_fn.name()
        y.sum().backward()
        res[m.__name__] = (y, name_fn, i.grad, a.grad, b.grad)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            getattr(i, name)(a, b)
    g, t = res["glassgrad"], res["torch"]
    assert g[1] == t[1]
    for x, y in zip(g[:1] + g[2:], t[:1] + t[2:]):
        assert_same_tensor(x, y, 1e-12, 1e-12)


# ---------------------------------------------------------------------------- dtypes and special values

@pytest.mark.parametrize("fn,arrays", [
    (lambda m, a: m.trace(a), [np.arange(9, dtype=np.int32).reshape(3, 3)]),
    (lambda m, a, b: m.kron(a, b), [np.arange(4).reshape(2, 2), np.ones((2, 2), np.float32)]),
    (lambda m, a, b: m.einsum("ij,jk->ik", a, b), [np.arange(6).reshape(2, 3), np.arange(12).reshape(3, 4)]),
    (lambda m, a: m.einsum("ii", a), [np.arange(9).reshape(3, 3)]),
    (lambda m, a, b: a @ b, [np.arange(6).reshape(2, 3), np.arange(12).reshape(3, 4)]),
    (lambda m, i, a, b: m.addmm(i, a, b, beta=0.5, alpha=2.5), [np.ones((2, 2), np.int64)] * 3),
    (lambda m, i, a, b: m.baddbmm(i, a, b, beta=True), [np.ones((2, 2, 2), np.int64)] * 3),
    (lambda m, a, b: m.linalg.cross(a, b), [np.arange(6).reshape(2, 3), np.ones((2, 3), np.int64)]),
    (lambda m, a: m.linalg.vector_norm(a, dtype=m.float64), [np.ones(3, np.float32)]),
    (lambda m, a: m.linalg.vector_norm(a), [np.array([1e20, 1.0], np.float32)]),
    (lambda m, a: m.linalg.vector_norm(a), [np.array([1e-30, 1e-30], np.float32)]),
    (lambda m, a: m.linalg.vector_norm(a, 1), [np.array([3e38, 3e38], np.float32)]),
    (lambda m, a: m.linalg.vector_norm(a, -1), [np.array([0.0, 1.0])]),
    (lambda m, a: m.linalg.vector_norm(a, INF), [np.array([np.nan, 1.0])]),
    (lambda m, a: m.linalg.vector_norm(a), [np.ones(3, np.float16)]),
    (lambda m, a: m.linalg.vector_norm(a), [np.array([300.0, 400.0], np.float16)]),  # squares beyond float16
    (lambda m, a: m.linalg.vector_norm(a, 3), [np.array([1e-4, 2e-4], np.float16)]),
    (lambda m, a: m.linalg.matrix_norm(a, INF), [np.ones((0, 3))]),
    (lambda m, a: m.linalg.matrix_norm(a, 1, keepdim=True), [np.ones((3, 0))]),
    (lambda m, a, b: m.addmm(a, b, b.t(), beta=0), [np.full((2, 2), np.nan), np.ones((2, 3))]),
])
def test_values_and_dtypes_match_torch(fn: Fn, arrays: list[np.ndarray]) -> None:
    torch = need_torch()
    g = fn(gg, *[gg.tensor(a) for a in arrays])
    t = fn(torch, *[torch.tensor(a) for a in arrays])
    assert_same_tensor(g, t, 1e-6, 1e-6)


@pytest.mark.parametrize("ord", [2, 1, 3, 1.5, 0.5, INF, -INF, -1, 0])
@pytest.mark.parametrize("values", [[0.0, 0.0, 0.0], [0.0, 1.0, -2.0], [1000.0, -1000.0, 1000.0],
                                    [-1000.0, 3.0, 1e-3]])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_vector_norm_grad_at_zero_and_large_values(ord: float, values: list[float], dtype: Any) -> None:
    """The gradient at 0 is what PyTorch gives (0 for ord >= 1 where the norm is 0); finite at ±1000."""
    torch = need_torch()
    res = []
    for m in (gg, torch):
        x = m.tensor(np.array(values, dtype=dtype), requires_grad=True)
        out = m.linalg.vector_norm(x, ord)
        out.backward()
        res.append((out, x.grad))
    (go, gg_), (to, tg) = res
    assert_same_tensor(go, to, 1e-5, 1e-6)
    assert (gg_ is None) == (tg is None)
    if tg is not None:
        assert_same_tensor(gg_, tg, 1e-5, 1e-6)
        if abs(values[0]) == 1000.0:
            assert np.isfinite(to_np(gg_)).all()


def test_matrix_norm_fro_at_zero_matrix_has_zero_gradient() -> None:
    x = gg.zeros(3, 4, requires_grad=True)
    gg.linalg.matrix_norm(x).backward()
    assert (to_np(x.grad) == 0).all()


def test_exports() -> None:
    torch = need_torch()
    for name in ["einsum", "tensordot", "kron", "trace", "cross", "baddbmm", "addbmm", "addmv", "addmv_", "vdot"]:
        assert callable(getattr(gg, name)) and hasattr(torch, name)
    for name in ["baddbmm", "baddbmm_", "addbmm", "addbmm_", "addmv", "addmv_", "addmm_", "trace", "cross", "kron",
                 "vdot"]:
        assert callable(getattr(gg.Tensor, name)) and hasattr(torch.Tensor, name)
    for name in gg.linalg.__all__:
        assert hasattr(torch.linalg, name)


# ---------------------------------------------------------------------------- Hypothesis

if HAVE_HYPOTHESIS:
    _pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=3)

    @settings(max_examples=15, deadline=None)
    @given(batch=_pairs, n=st.integers(1, 3), k=st.integers(1, 3), p=st.integers(1, 3),
           vec=st.sampled_from(["", "a", "b"]), rg=st.sampled_from([(True, True), (True, False), (False, True)]))
    def test_matmul_broadcasting_matches_torch(batch: Any, n: int, k: int, p: int, vec: str, rg: Any) -> None:
        """Random batch shapes (and 1-d operands): values, gradients and whole graph as PyTorch."""
        (ba, bb), _ = batch
        sa = (k,) if vec == "a" else ba + (n, k)
        sb = (k,) if vec == "b" else bb + (k, p)
        _same_graph(lambda m, a, b: a @ b, _arrays([sa, sb]), list(rg))

    @settings(max_examples=15, deadline=None)
    @given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
           ord=st.sampled_from([2, 1, 3, 0.5, INF, -INF, -1]), keepdim=st.booleans(), data=st.data())
    def test_vector_norm_matches_torch(shape: Any, ord: float, keepdim: bool, data: Any) -> None:
        dims = data.draw(st.lists(st.integers(-len(shape), len(shape) - 1), max_size=len(shape), unique_by=lambda d: d % len(shape)))
        _same_graph(lambda m, a: m.linalg.vector_norm(a, ord, dims or None, keepdim), _arrays([shape]))
