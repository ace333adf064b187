"""Reduction tests beyond the op table (``tests/opdb/reduction.py``).

Double backward (``create_graph=True``) against torch for every differentiable
reduction, tie rules (which element gets the gradient, which index is returned),
zeros in prod/cumprod, stability of logsumexp at ±1000, dtype rules, warnings,
in-place and ``out=`` variants, printing, PyTorch's error texts, and Hypothesis
over random shapes, dims and keepdim.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassgrad as gg
from opinfo import assert_same_tensor, from_np, need_torch, primary, same_error, to_np

try:  # Hypothesis is a test dependency; without it only its tests are skipped.
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    HAVE_HYPOTHESIS = True
except ImportError:  # pragma: no cover
    HAVE_HYPOTHESIS = False

INF, NAN = float("inf"), float("nan")


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _same(g: Any, t: Any, rtol: float = 1e-6, atol: float = 1e-7, what: str = "") -> None:
    """Equal results (a tensor, a tuple of tensors, or None) from glassgrad and torch."""
    if t is None:
        assert g is None, f"{what}: torch gives None"
        return
    if isinstance(t, tuple):
        assert isinstance(g, tuple) and len(g) == len(t), what
        for i, (a, b) in enumerate(zip(g, t)):
            _same(a, b, rtol, atol, f"{what}[{i}]")
        return
    assert g is not None, f"{what}: glassgrad gives None"
    assert_same_tensor(g, t, rtol, atol, what)


# ---------------------------------------------------------------------------- double backward

def _second_order(m: Any, fn: Callable[[Any, Any], Any], arr: np.ndarray) -> tuple[Any, ...]:
    """First gradient (with ``create_graph``), then the gradient of ``sum(first * v)`` w.r.t. the input and
    the upstream gradient ``w`` (which requires grad, so linear ops have a second-order graph too)."""
    rng = _rng(3)
    x = from_np(m, arr, True)
    out = primary(fn(m, x))
    w = from_np(m, rng.standard_normal(tuple(out.shape)), True)
    (g,) = m.autograd.grad(out, x, grad_outputs=w, create_graph=True)
    v = from_np(m, rng.standard_normal(arr.shape))
    h = m.autograd.grad((g * v).sum(), (x, w), allow_unused=True)
    return (g.detach(),) + tuple(None if t is None else _materialized(m, t.detach()) for t in h)


def _materialized(m: Any, t: Any) -> Any:
    """torch may answer with a ZeroTensor (e.g. the derivative of sgn); make it an ordinary one."""
    if getattr(t, "_is_zerotensor", lambda: False)():
        return m.zeros(t.shape, dtype=t.dtype)
    return t


def _arr(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


_A34 = _rng(1).uniform(-2, 2, (3, 4))
_D34 = (_rng(2).permutation(12).reshape(3, 4) - 6) * 0.25 + 0.01  # distinct values
_TIES = _arr([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 1.0], [0.0, 0.0, 5.0, 5.0]])
_NANS = _arr([[1.0, NAN, 2.0, 0.5], [NAN, NAN, -1.0, 3.0], [0.3, 0.2, NAN, 0.1]])

DOUBLE_BACKWARD: list[tuple[str, Callable[[Any, Any], Any], np.ndarray]] = [
    ("prod", lambda m, x: x.prod(), _A34),
    ("prod_one_zero", lambda m, x: x.prod(), _arr([2.0, 0.0, 3.0, -1.5])),
    ("prod_two_zeros", lambda m, x: x.prod(), _arr([2.0, 0.0, 0.0, -1.5])),
    ("prod_three_zeros", lambda m, x: x.prod(), _arr([0.0, 0.0, 0.0, -1.5])),
    ("prod_dim", lambda m, x: x.prod(1), _A34),
    ("prod_dim_zeros", lambda m, x: x.prod(1, keepdim=True), _arr([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0], [1.0, 2.0, 3.0]])),
    ("prod_dim0_zeros", lambda m, x: m.prod(x, 0), _arr([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0], [1.0, 2.0, 3.0]])),
    ("prod_0d", lambda m, x: x.prod(), _arr(2.5)),
    ("cumsum", lambda m, x: x.cumsum(1), _A34),
    ("cumprod", lambda m, x: x.cumprod(1), _A34),
    ("cumprod_one_zero", lambda m, x: x.cumprod(0), _arr([2.0, 0.0, 3.0, -1.5])),
    ("cumprod_two_zeros", lambda m, x: x.cumprod(-1), _arr([[2.0, 0.0, 3.0, 0.0], [1.0, 2.0, 0.0, 4.0]])),
    ("cumprod_dim0_zeros", lambda m, x: m.cumprod(x, 0), _arr([[2.0, 0.0, 3.0], [0.0, 2.0, 0.0], [1.5, 2.0, 4.0]])),
    ("var", lambda m, x: x.var(), _A34),
    ("var_dim", lambda m, x: x.var(1, keepdim=True), _A34),
    ("var_dims_correction", lambda m, x: m.var(x, (0, 1), correction=0), _A34),
    ("var_one_element", lambda m, x: x.var(), _arr([2.0])),
    ("std", lambda m, x: x.std(), _A34),
    ("std_dim", lambda m, x: x.std(0, unbiased=False), _A34),
    ("std_constant_row", lambda m, x: x.std(1), _arr([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]])),
    ("var_mean", lambda m, x: (lambda r: r[0] * 2 + r[1] * 3)(m.var_mean(x, 1)), _A34),
    ("std_mean", lambda m, x: (lambda r: r[0] * 2 + r[1] * 3)(m.std_mean(x)), _A34),
    ("std_mean_only_mean", lambda m, x: m.std_mean(x, 0)[1], _A34),
    ("logsumexp", lambda m, x: x.logsumexp(1), _A34),
    ("logsumexp_all", lambda m, x: m.logsumexp(x, (0, 1), keepdim=True), _A34),
    ("logsumexp_large", lambda m, x: m.logsumexp(x, 0), _arr([1000.0, -1000.0, 999.0])),
    ("nansum", lambda m, x: x.nansum(1), _NANS),
    ("nanmean", lambda m, x: x.nanmean(), _NANS),
    ("median", lambda m, x: x.median(), _D34),
    ("median_ties", lambda m, x: x.median(), _TIES),
    ("median_dim", lambda m, x: x.median(1), _TIES),
    ("nanmedian", lambda m, x: x.nanmedian(), _NANS),
    ("nanmedian_dim", lambda m, x: x.nanmedian(0), _NANS),
    ("kthvalue", lambda m, x: x.kthvalue(2), _TIES),
    ("mode", lambda m, x: x.mode(), _TIES),
    ("sort", lambda m, x: x.sort(0, descending=True), _TIES),
    ("sort_stable", lambda m, x: x.sort(stable=True), _TIES),
    ("topk", lambda m, x: x.topk(2), _TIES),
    ("aminmax", lambda m, x: (lambda r: r.min * 2 + r.max)(x.aminmax(dim=1)), _TIES),
    ("max_all_ties", lambda m, x: x.max(), _TIES),
    ("min_dim", lambda m, x: x.min(1), _TIES),
    ("amax_ties", lambda m, x: x.amax(1), _TIES),
    ("amin_all", lambda m, x: m.amin(x), _TIES),
    ("max_nan", lambda m, x: x.max(), _NANS),
] + [
    (f"norm_p{p}", lambda m, x, _p=p: x.norm(_p, dim=1), _A34)
    for p in (2, 1, 3, 1.5, 0.5, -1, INF, -INF, "fro")
] + [
    (f"norm_p{p}_at_zero", lambda m, x, _p=p: x.norm(_p, dim=1), _arr([[0.0, 0.0, 0.0], [1.0, -2.0, 0.5]]))
    for p in (2, 1, 3, 1.5, INF)
] + [("norm_dtype", lambda m, x: m.norm(x.float(), dtype=m.float64), _A34)]
#: float32 steps inside these: compared at float32 precision
_LOOSE = {"norm_dtype"}


@pytest.mark.parametrize("name,fn,arr", DOUBLE_BACKWARD, ids=[c[0] for c in DOUBLE_BACKWARD])
def test_double_backward_matches_torch(name: str, fn: Callable[[Any, Any], Any], arr: np.ndarray) -> None:
    torch = need_torch()
    g_res = _second_order(gg, fn, arr)
    t_res = _second_order(torch, fn, arr)
    rtol, atol = (1e-6, 1e-7) if name in _LOOSE else (1e-9, 1e-10)
    for what, g, t in zip(("grad", "d(grad)/dx", "d(grad)/dw"), g_res, t_res):
        _same(g, t, rtol, atol, what)


def test_prod_third_order_with_zero() -> None:
    """The zero-safe rule is built from differentiable ops all the way down."""
    torch = need_torch()
    res = []
    for m in (gg, torch):
        x = m.tensor([2.0, 0.0, 3.0, 0.0, 1.5], dtype=m.float64, requires_grad=True)
        (g,) = m.autograd.grad(x.prod(), x, create_graph=True)
        (h,) = m.autograd.grad(g[1], x, create_graph=True)
        (k,) = m.autograd.grad(h[3], x)
        res.append((g, h, k))
    _same(tuple(res[0]), tuple(res[1]), 1e-12, 1e-12)


# ---------------------------------------------------------------------------- zeros in prod / cumprod

@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0], [0.0, 0.0, 3.0], [0.0, 0.0, 0.0], [[1.0, 0.0], [0.0, 2.0]],
                                    [[0.0, 1.0, 2.0], [3.0, 4.0, 0.0]]])
@pytest.mark.parametrize("op", ["prod", "prod0", "prod-1", "cumprod0", "cumprod-1"])
def test_zero_safe_gradients_match_torch(values: Any, op: str) -> None:
    torch = need_torch()
    res = []
    for m in (gg, torch):
        x = m.tensor(values, requires_grad=True)
        out = x.prod() if op == "prod" else getattr(x, op[:-1] if op.endswith("0") else op[:-2])(
            0 if op.endswith("0") else -1)
        out.backward(m.ones_like(out) * 2)
        res.append((out.detach(), x.grad))
    _same(res[0], res[1])


def test_prod_one_zero_gradient_is_product_of_others() -> None:
    x = gg.tensor([2.0, 0.0, 3.0, -1.0], requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(to_np(x.grad), [0.0, -6.0, 0.0, 0.0])
    y = gg.tensor([2.0, 0.0, 0.0, -1.0], requires_grad=True)
    y.prod().backward()
    np.testing.assert_array_equal(to_np(y.grad), [0.0, 0.0, 0.0, 0.0])


# ---------------------------------------------------------------------------- stability

@pytest.mark.parametrize("values", [[1000.0, -1000.0, 999.0], [-1000.0, -1000.5, -999.0], [INF, 1.0], [-INF, -INF],
                                    [-INF, 2.0], [NAN, 1.0], [1e30, 1e30]])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logsumexp_stable_matches_torch(values: list[float], dtype: str) -> None:
    torch = need_torch()
    res = []
    for m in (gg, torch):
        x = m.tensor(values, dtype=getattr(m, dtype), requires_grad=True)
        out = m.logsumexp(x, 0)
        out.backward()
        res.append((out.detach(), x.grad))
    _same(res[0], res[1])
    if np.isfinite(values).all():
        assert np.isfinite(to_np(res[0][0])).all() and np.isfinite(to_np(res[0][1])).all()


def test_logsumexp_at_1000_is_exact() -> None:
    x = gg.tensor([[1000.0, 1000.0], [-1000.0, -1000.0]], dtype=gg.float64, requires_grad=True)
    out = x.logsumexp(1)
    np.testing.assert_allclose(to_np(out), [1000.0 + np.log(2), -1000.0 + np.log(2)], rtol=1e-7)
    out.sum().backward()
    np.testing.assert_allclose(to_np(x.grad), np.full((2, 2), 0.5), rtol=1e-7)


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, INF])
def test_norm_gradient_at_zero_is_zero(p: float) -> None:
    x = gg.zeros(4, requires_grad=True)
    x.norm(p).backward()
    np.testing.assert_array_equal(to_np(x.grad), np.zeros(4))


def test_norm_p0_has_no_gradient_as_in_torch() -> None:
    torch = need_torch()
    for m in (gg, torch):
        x = m.tensor([1.0, 0.0, 2.0], requires_grad=True)
        out = x.norm(0)
        assert out.requires_grad and out.grad_fn.name() == "LinalgVectorNormBackward0"
        out.backward()
        assert x.grad is None
    errors = []
    for m in (gg, torch):
        x = m.tensor([1.0, 0.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError) as e:
            m.autograd.grad(x.norm(0), x)
        errors.append(str(e.value))
        assert m.autograd.grad(x.norm(0), x, allow_unused=True) == (None,)
    assert errors[0] == errors[1]


# ---------------------------------------------------------------------------- ties

TIE_CASES: list[tuple[str, Callable[[Any, Any], Any], Callable[[np.random.Generator], np.ndarray]]] = [
    ("max_all", lambda m, x: x.max(), lambda r: r.integers(0, 3, (4, 5)).astype(np.float32)),
    ("min_dim", lambda m, x: x.min(1), lambda r: r.integers(0, 3, (4, 5)).astype(np.float32)),
    ("amax", lambda m, x: x.amax(1), lambda r: r.integers(0, 3, (4, 5)).astype(np.float32)),
    ("amin_all", lambda m, x: x.amin(), lambda r: r.integers(0, 3, (4, 5)).astype(np.float32)),
    ("median_all", lambda m, x: x.median(), lambda r: r.integers(0, 3, (4, 5)).astype(np.float32)),
    ("median_dim", lambda m, x: x.median(0), lambda r: r.integers(0, 3, (25, 4)).astype(np.float32)),
    ("nanmedian_all_nan_rows", lambda m, x: x.nanmedian(1), lambda r: np.full((3, 10), np.nan, np.float32)),
    ("nanmedian_nans", lambda m, x: x.nanmedian(1),
     lambda r: np.where(r.random((4, 30)) < 0.4, np.nan, r.integers(0, 3, (4, 30))).astype(np.float32)),
    ("kthvalue", lambda m, x: x.kthvalue(17), lambda r: r.integers(0, 4, (3, 50)).astype(np.float32)),
    ("kthvalue_nan", lambda m, x: x.kthvalue(40),
     lambda r: np.where(r.random((3, 50)) < 0.3, np.nan, r.integers(0, 4, (3, 50))).astype(np.float32)),
    ("mode", lambda m, x: x.mode(), lambda r: r.integers(0, 4, (3, 50)).astype(np.float32)),
    ("mode_nan", lambda m, x: x.mode(0),
     lambda r: np.where(r.random((30, 3)) < 0.3, np.nan, r.integers(0, 4, (30, 3))).astype(np.float32)),
    ("sort", lambda m, x: x.sort(), lambda r: r.integers(0, 3, (3, 100)).astype(np.float32)),
    ("sort_desc", lambda m, x: x.sort(0, True), lambda r: r.integers(0, 3, (100, 3)).astype(np.float32)),
    ("sort_nan", lambda m, x: x.sort(descending=True),
     lambda r: np.where(r.random((2, 60)) < 0.3, np.nan, r.integers(0, 3, (2, 60))).astype(np.float32)),
    ("argsort", lambda m, x: x.argsort(), lambda r: r.integers(0, 3, (3, 100)).astype(np.float32)),
    ("topk_nth_element", lambda m, x: x.topk(9), lambda r: r.integers(0, 3, (3, 100)).astype(np.float32)),
    ("topk_partial_sort", lambda m, x: x.topk(3, largest=False), lambda r: r.integers(0, 5, (2, 300)).astype(np.float32)),
    ("topk_unsorted", lambda m, x: x.topk(7, sorted=False), lambda r: r.normal(size=(3, 20)).astype(np.float32)),
    ("aminmax", lambda m, x: x.aminmax(dim=0), lambda r: r.integers(0, 3, (4, 5)).astype(np.float32)),
]


@pytest.mark.parametrize("name,fn,gen", TIE_CASES, ids=[c[0] for c in TIE_CASES])
def test_ties_indices_and_gradients_match_torch(name: str, fn: Callable[[Any, Any], Any], gen: Any) -> None:
    torch = need_torch()
    arr = gen(_rng(5))
    res = []
    for m in (gg, torch):
        x = from_np(m, arr, True)
        out = fn(m, x)
        first = primary(out)
        if first.requires_grad:
            first.backward(from_np(m, _rng(6).standard_normal(tuple(first.shape)).astype(np.float32)))
        res.append((out if isinstance(out, tuple) else (out,), x.grad))
    _same(tuple(res[0][0]), tuple(res[1][0]), what="outputs")
    _same(res[0][1], res[1][1], what="grad")


def test_sort_of_large_integer_vector_is_stable_as_in_torch() -> None:
    """PyTorch sorts 1-d integer tensors from 32768 elements with a (stable) radix sort."""
    torch = need_torch()
    arr = _rng(7).integers(0, 3, 40000)
    np.testing.assert_array_equal(to_np(gg.tensor(arr).sort().indices), to_np(torch.tensor(arr).sort().indices))


def test_max_all_nan_shares_gradient_among_nans() -> None:
    x = gg.tensor([1.0, NAN, 3.0, NAN], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(to_np(x.grad), [0.0, 0.5, 0.0, 0.5])


# ---------------------------------------------------------------------------- dtypes and values

_I = np.array([[1, 2, 0], [3, 4, 5]], np.int64)
DTYPE_CASES: list[tuple[str, Callable[[Any], Any]]] = [
    ("prod_int", lambda m: m.tensor(_I).prod()),
    ("prod_int32_dim", lambda m: m.tensor(_I.astype(np.int32)).prod(1)),
    ("prod_bool", lambda m: m.tensor([True, False]).prod()),
    ("prod_uint8", lambda m: m.tensor(np.array([200, 2], np.uint8)).prod()),
    ("prod_int_dtype", lambda m: m.tensor(_I).prod(dtype=m.float32)),
    ("prod_float16", lambda m: m.tensor([1.5, 2.0, 3.0], dtype=m.float16).prod()),
    ("prod_empty", lambda m: m.ones(0, 3).prod(0)),
    ("cumsum_int32", lambda m: m.tensor(_I.astype(np.int32)).cumsum(1)),
    ("cumsum_bool", lambda m: m.tensor([True, True, False]).cumsum(0)),
    ("cumsum_uint8", lambda m: m.tensor(np.array([200, 100], np.uint8)).cumsum(0)),
    ("cumsum_dtype", lambda m: m.tensor(_I).cumsum(0, dtype=m.float64)),
    ("cumsum_float16", lambda m: m.tensor([1.5, 2.0, 3.0], dtype=m.float16).cumsum(0)),
    ("cumprod_int", lambda m: m.tensor(_I).cumprod(1)),
    ("cumprod_0d", lambda m: m.tensor(3.0).cumprod(0)),
    ("all_float", lambda m: m.tensor([[1.0, 0.0], [2.0, 3.0]]).all(1)),
    ("any_uint8", lambda m: m.tensor(np.array([0, 2], np.uint8)).any()),
    ("all_uint8_dim", lambda m: m.tensor(np.array([[0, 2], [1, 1]], np.uint8)).all(0, keepdim=True)),
    ("all_int_tuple", lambda m: m.all(m.tensor(_I), (0, 1))),
    ("any_empty", lambda m: m.ones(0, 3).any()),
    ("all_empty_dim", lambda m: m.ones(0, 3).all(0)),
    ("all_empty_dim_list", lambda m: m.tensor(_I).all([])),
    ("count_nonzero_bool", lambda m: m.count_nonzero(m.tensor([True, False, True]))),
    ("count_nonzero_dims", lambda m: m.tensor(_I).count_nonzero((0, 1))),
    ("count_nonzero_0d", lambda m: m.tensor(0.0).count_nonzero(0)),
    ("median_int", lambda m: m.tensor(_I).median()),
    ("median_int_dim", lambda m: m.tensor(_I).median(1)),
    ("nanmedian_int", lambda m: m.tensor(_I).nanmedian()),
    ("median_empty", lambda m: m.ones(0).median()),
    ("nanmedian_all_nan", lambda m: m.tensor([NAN, NAN]).nanmedian()),
    ("median_nan", lambda m: m.tensor([1.0, NAN, 0.0]).median()),
    ("median_float16", lambda m: m.tensor([3.0, 1.0, 2.0], dtype=m.float16).median()),
    ("mode_bool", lambda m: m.tensor([True, False, True]).mode()),
    ("mode_int", lambda m: m.tensor(_I).mode(0)),
    ("sort_bool", lambda m: m.tensor([True, False, True]).sort()),
    ("sort_int_desc", lambda m: m.tensor(_I).sort(1, True)),
    ("sort_inf_nan", lambda m: m.tensor([1.0, NAN, -INF, INF, 0.0]).sort()),
    ("argsort_int", lambda m: m.tensor(_I).argsort(0)),
    ("topk_int", lambda m: m.tensor(_I).topk(2)),
    ("topk_0d_k0", lambda m: m.tensor(2.0).topk(0)),
    ("kthvalue_int", lambda m: m.tensor(_I).kthvalue(2, 0)),
    ("aminmax_int", lambda m: m.tensor(_I).aminmax()),
    ("aminmax_bool", lambda m: m.tensor([True, False]).aminmax(dim=0)),
    ("aminmax_keepdim", lambda m: m.aminmax(m.tensor(_I), keepdim=True)),
    ("logsumexp_int", lambda m: m.logsumexp(m.tensor(_I), 1)),
    ("logsumexp_bool", lambda m: m.tensor([True, False]).logsumexp(0)),
    ("logsumexp_empty", lambda m: m.logsumexp(m.ones(0), 0)),
    ("nansum_int", lambda m: m.tensor(_I).nansum()),
    ("nansum_bool", lambda m: m.tensor([True, True]).nansum()),
    ("nanmean_all_nan", lambda m: m.tensor([NAN, NAN]).nanmean()),
    ("norm_float16", lambda m: m.tensor([3.0, 4.0], dtype=m.float16).norm()),
    ("norm_big_float32", lambda m: m.tensor([1e20, 1e20]).norm()),
    ("norm_empty", lambda m: m.ones(0).norm()),
    ("norm_empty_p0", lambda m: m.ones(0, 2).norm(0, dim=0)),
    ("var_float16", lambda m: m.tensor([1.0, 2.0, 4.0], dtype=m.float16).var()),
    ("std_float64", lambda m: m.tensor([1.0, 2.0, 4.0], dtype=m.float64).std()),
    ("var_mean_empty", lambda m: m.var_mean(m.ones(0), correction=0)),
    ("std_mean_0d", lambda m: m.std_mean(m.tensor(1.0))),
    ("var_bool_unbiased", lambda m: m.tensor([1.0, 2.0, 4.0]).var(True)),
]


@pytest.mark.parametrize("name,fn", DTYPE_CASES, ids=[c[0] for c in DTYPE_CASES])
def test_dtype_and_values_match_torch(name: str, fn: Callable[[Any], Any]) -> None:
    torch = need_torch()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g, t = fn(gg), fn(torch)
    _same(tuple(g) if isinstance(g, tuple) else g, tuple(t) if isinstance(t, tuple) else t, 1e-3, 1e-6, name)
    assert type(g).__name__ == type(t).__name__


# ---------------------------------------------------------------------------- warnings

@pytest.mark.parametrize("name", ["var", "std"])
def test_degrees_of_freedom_warning_matches_torch(name: str) -> None:
    torch = need_torch()
    msgs = []
    for m in (gg, torch):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = getattr(m.tensor([1.0]), name)()
        assert np.isnan(r.item())
        assert len(w) == 1 and w[0].category is UserWarning
        msgs.append(str(w[0].message))
        if m is gg:
            assert w[0].filename == __file__  # reported at the caller's line
    assert msgs[0] == msgs[1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(gg.tensor([1.0, 2.0]), name)()
        getattr(gg.ones(0, 3), name)(1)  # nothing to reduce into: no warning, as in torch


# ---------------------------------------------------------------------------- in-place and out=

@pytest.mark.parametrize("name", ["cumsum_", "cumprod_"])
def test_inplace_cumulative_matches_torch(name: str) -> None:
    torch = need_torch()
    res = []
    for m in (gg, torch):
        a = m.tensor([[1.0, -2.0, 3.0], [0.5, 2.0, 0.0]], requires_grad=True)
        y = a * 2
        v0 = y._version
        r = getattr(y, name)(1)
        assert r is y and y._version == v0 + 1
        assert y.grad_fn.name() == ("CumsumBackward0" if name == "cumsum_" else "CumprodBackward0")
        y.sum().backward()
        res.append((y.detach(), a.grad))
    _same(res[0], res[1])
    for m in (gg, torch):
        z = m.tensor([1, 2, 3], dtype=m.int32)
        z.cumsum_(0)
        assert str(z.dtype) == "torch.int32" and z.tolist() == [1, 3, 6]


def test_out_argument() -> None:
    torch = need_torch()
    for fn in (lambda m, o: m.prod(m.ones(2, 3) * 2, 1, out=o), lambda m, o: m.cumsum(m.ones(2, 3), 1, out=o),
               lambda m, o: m.logsumexp(m.ones(2, 3), 1, out=o), lambda m, o: m.norm(m.ones(2, 3), dim=0, out=o),
               lambda m, o: m.var(m.ones(2, 3), 0, out=o), lambda m, o: m.nansum(m.ones(2, 3), 0, out=o)):
        outs = []
        for m in (gg, torch):
            o = m.empty(0)
            r = fn(m, o)
            assert r is o
            outs.append(o)
        _same(outs[0], outs[1])


# ---------------------------------------------------------------------------- printing

PRINT_CASES: list[tuple[str, Callable[[Any, Any], Any]]] = [
    ("median", lambda m, x: x.median(1)),
    ("nanmedian", lambda m, x: x.nanmedian(0, keepdim=True)),
    ("sort", lambda m, x: x.sort()),
    ("topk", lambda m, x: m.topk(x, 2)),
    ("kthvalue", lambda m, x: x.kthvalue(1)),
    ("mode", lambda m, x: x.mode(0)),
    ("aminmax", lambda m, x: x.aminmax()),
    ("aminmax_dim", lambda m, x: m.aminmax(x, dim=1)),
    ("var_mean", lambda m, x: m.var_mean(x, 1)),
    ("prod", lambda m, x: x.prod(0)),
    ("norm", lambda m, x: x.norm()),
    ("cumprod", lambda m, x: x.cumprod(1)),
    ("all", lambda m, x: x.all(1)),
]


@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("name,fn", PRINT_CASES, ids=[c[0] for c in PRINT_CASES])
def test_printing_matches_torch(name: str, fn: Callable[[Any, Any], Any], requires_grad: bool) -> None:
    torch = need_torch()
    arr = np.array([[1.0, 5.0, 2.0], [4.0, 0.0, 6.0]], np.float32)
    g, t = fn(gg, from_np(gg, arr, requires_grad)), fn(torch, from_np(torch, arr, requires_grad))
    assert repr(g) == repr(t)
    assert str(g) == str(t)


def test_return_type_fields() -> None:
    r = gg.tensor([[3.0, 1.0], [0.0, 2.0]]).aminmax(dim=0)
    assert r.min.tolist() == [0.0, 1.0] and r.max.tolist() == [3.0, 2.0]
    lo, hi = r
    assert lo is r.min and hi is r[1]
    s = gg.tensor([3.0, 1.0]).sort()
    assert s.values.tolist() == [1.0, 3.0] and s.indices.tolist() == [1, 0]
    assert type(s).__module__ == "torch.return_types" and type(s).__name__ == "sort"


# ---------------------------------------------------------------------------- errors

ERROR_CASES: list[tuple[str, Callable[[Any], Any]]] = [
    ("var_int", lambda m: m.tensor([1, 2]).var()),
    ("std_bool", lambda m: m.tensor([True]).std()),
    ("var_mean_int", lambda m: m.var_mean(m.tensor([1, 2]))),
    ("var_bad_dim", lambda m: m.ones(3).var(1)),
    ("var_dup_dims", lambda m: m.ones(3, 2).var((0, 0))),
    ("prod_bad_dim", lambda m: m.ones(3, 4).prod(2)),
    ("norm_int", lambda m: m.tensor([1, 2]).norm()),
    ("norm_bool_p1", lambda m: m.tensor([True]).norm(1)),
    ("norm_empty_inf", lambda m: m.ones(0).norm(INF)),
    ("norm_empty_neg", lambda m: m.ones(0).norm(-1.0)),
    ("norm_empty_neginf", lambda m: m.ones(0).norm(-INF)),
    ("norm_empty_dim_inf", lambda m: m.ones(0, 2).norm(INF, dim=-2)),
    ("norm_empty_dims_inf", lambda m: m.ones(2, 0).norm(INF, dim=(1, 0))),
    ("norm_fro_3_dims", lambda m: m.ones(2, 2, 2).norm("fro", dim=(0, 1, 2))),
    ("norm_bad_order", lambda m: m.ones(2, 2).norm("abc")),
    ("norm_string_2", lambda m: m.ones(3, 2).norm(p="2")),
    ("norm_dup_dims", lambda m: m.ones(3, 2).norm(dim=(0, 0))),
    ("norm_dtype_int", lambda m: m.ones(3).norm(dtype=m.int64)),
    ("norm_dtype_narrowing", lambda m: m.ones(3, dtype=m.float64).norm(dtype=m.float32)),
    ("logsumexp_no_dim", lambda m: m.logsumexp(m.ones(3))),
    ("logsumexp_empty_dims", lambda m: m.logsumexp(m.ones(2, 3), ())),
    ("logsumexp_bad_dim", lambda m: m.ones(2, 3).logsumexp(2)),
    ("cumsum_no_dim", lambda m: m.ones(3).cumsum()),
    ("cumprod_no_dim", lambda m: m.cumprod(m.ones(3))),
    ("cumsum_bad_dim", lambda m: m.ones(2, 3).cumsum(2)),
    ("cumsum_none_dim", lambda m: m.ones(2, 3).cumsum(None)),
    ("cumsum_inplace_dtype", lambda m: m.ones(3).cumsum_(0, dtype=m.float64)),
    ("all_bad_dim", lambda m: m.ones(2).all(1)),
    ("count_nonzero_dup", lambda m: m.ones(2, 2).count_nonzero((0, 0))),
    ("nanmean_int", lambda m: m.tensor([1, 2]).nanmean()),
    ("median_bool", lambda m: m.tensor([True, False]).median()),
    ("median_dim_bool", lambda m: m.tensor([True, False]).median(0)),
    ("nanmedian_bool", lambda m: m.tensor([True]).nanmedian()),
    ("median_empty_dim", lambda m: m.ones(0, 3).median(0)),
    ("nanmedian_empty_dim", lambda m: m.ones(0).nanmedian(0)),
    ("median_bad_dim", lambda m: m.ones(3).median(1)),
    ("kthvalue_too_big", lambda m: m.ones(3, 2).kthvalue(5, -2)),
    ("kthvalue_zero", lambda m: m.ones(3).kthvalue(0)),
    ("kthvalue_0d_k2", lambda m: m.tensor(3.0).kthvalue(2)),
    ("kthvalue_empty", lambda m: m.ones(0, 2).kthvalue(1, -2)),
    ("kthvalue_bool", lambda m: m.tensor([True]).kthvalue(1)),
    ("mode_empty", lambda m: m.ones(0).mode()),
    ("topk_too_big", lambda m: m.ones(3).topk(4)),
    ("topk_negative", lambda m: m.ones(3).topk(-1)),
    ("topk_0d_k2", lambda m: m.tensor(1.0).topk(2)),
    ("topk_bool", lambda m: m.tensor([True, False]).topk(1)),
    ("topk_bad_dim", lambda m: m.ones(3).topk(1, dim=1)),
    ("sort_bad_dim", lambda m: m.ones(3).sort(1)),
    ("aminmax_empty", lambda m: m.ones(0).aminmax()),
    ("aminmax_empty_dim", lambda m: m.ones(0, 2).aminmax(dim=0)),
    ("max_empty_dim", lambda m: m.ones(0, 2).max(0)),
    ("out_requires_grad", lambda m: m.prod(m.ones(2, 3, requires_grad=True), 1, out=m.empty(0))),
    ("out_requires_grad_norm", lambda m: m.norm(m.ones(2, 3, requires_grad=True), out=m.empty(0))),
    ("out_requires_grad_cumsum", lambda m: m.cumsum(m.ones(3, requires_grad=True), 0, out=m.empty(0))),
    ("prod_modified_inplace", lambda m: (lambda x: (lambda y: (x.mul_(2), y.backward()))(x.prod()))(
        m.ones(3, requires_grad=True) * 1)),
]


@pytest.mark.parametrize("name,fn", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_error_message_matches_torch(name: str, fn: Callable[[Any], Any]) -> None:
    same_error(fn)


# ---------------------------------------------------------------------------- Hypothesis

_HYPO_OPS: dict[str, Callable[..., Any]] = {
    "var": lambda m, x, dim, keepdim: x.var(dim, keepdim=keepdim),
    "std": lambda m, x, dim, keepdim: m.std(x, dim, correction=0, keepdim=keepdim),
    "var_mean": lambda m, x, dim, keepdim: (lambda r: r[0] + r[1])(m.var_mean(x, dim, keepdim=keepdim)),
    "prod": lambda m, x, dim, keepdim: x.prod(dim[0], keepdim),
    "logsumexp": lambda m, x, dim, keepdim: m.logsumexp(x, dim, keepdim),
    "norm2": lambda m, x, dim, keepdim: x.norm(2, dim=dim, keepdim=keepdim),
    "norm3": lambda m, x, dim, keepdim: x.norm(3, dim, keepdim),
    "norm_inf": lambda m, x, dim, keepdim: x.norm(INF, dim, keepdim),
    "nansum": lambda m, x, dim, keepdim: x.nansum(dim, keepdim),
    "amax": lambda m, x, dim, keepdim: x.amax(dim, keepdim),
    "cumsum": lambda m, x, dim, keepdim: x.cumsum(dim[0]),
    "cumprod": lambda m, x, dim, keepdim: x.cumprod(dim[0]),
    "median": lambda m, x, dim, keepdim: x.median(dim[0], keepdim),
    "sort": lambda m, x, dim, keepdim: x.sort(dim[0], descending=keepdim),
    "topk": lambda m, x, dim, keepdim: x.topk(1, dim[0], largest=keepdim),
    "kthvalue": lambda m, x, dim, keepdim: x.kthvalue(1, dim[0], keepdim),
}

if HAVE_HYPOTHESIS:
    @st.composite
    def _reduction_case(draw: Any) -> tuple[np.ndarray, tuple[int, ...], bool]:
        shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
        nd = len(shape)
        dims = draw(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=nd, unique_by=lambda d: d % nd))
        ties = draw(st.booleans())
        rng = np.random.default_rng(draw(st.integers(0, 2**16)))
        arr = rng.integers(-2, 3, shape) if ties else rng.uniform(-2, 2, shape)
        return arr.astype(np.float64), tuple(dims), draw(st.booleans())

    @pytest.mark.parametrize("name", list(_HYPO_OPS))
    @settings(max_examples=12, deadline=None)
    @given(case=_reduction_case())
    def test_random_dims_match_torch(name: str, case: tuple[np.ndarray, tuple[int, ...], bool]) -> None:
        torch = need_torch()
        arr, dims, keepdim = case
        res = []
        for m in (gg, torch):
            x = from_np(m, arr, True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = _HYPO_OPS[name](m, x, dims, keepdim)
            first = primary(out)
            first.backward(from_np(m, np.ones(tuple(first.shape))))
            res.append((tuple(out) if isinstance(out, tuple) else (out,), x.grad))
        _same(res[0][0], res[1][0], 1e-9, 1e-10, "outputs")
        _same(res[0][1], res[1][1], 1e-9, 1e-10, "grad")
