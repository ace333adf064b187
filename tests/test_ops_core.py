"""Core-op tests beyond the op table (``test_op_table.py``): Hypothesis, promotion, ties, in-place.

Hypothesis tests for broadcasting and reductions, type
promotion, ``max``/``min`` ties and return types, and in-place ops (values,
``_version``, gradients through non-leaf tensors and PyTorch's error texts).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassgrad as gg

try:  # Hypothesis is a test dependency; without it only its tests are skipped.
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    HAVE_HYPOTHESIS = True
except ImportError:  # pragma: no cover
    HAVE_HYPOTHESIS = False



from opinfo import (
    TOL,
    OpInfo,
    Sample,
    assert_same_tensor,
    away_from_zero,
    check_finite_differences,
    from_np,
    grad_fn_tree,
    need_torch,
    out_tensors,
    positive,
    run_op,
    same_error,
    signed,
    to_np,
)

# ---------------------------------------------------------------------------- Hypothesis

_BINARY = {
    "add": (lambda m, a, b: a + b, signed, signed),
    "sub": (lambda m, a, b: m.sub(a, b, alpha=2), signed, signed),
    "mul": (lambda m, a, b: a * b, signed, signed),
    "div": (lambda m, a, b: a / b, signed, away_from_zero),
    "pow": (lambda m, a, b: a ** b, positive, signed),
}

if HAVE_HYPOTHESIS:
    _shape_pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=1, max_side=4)

    @pytest.mark.parametrize("name", list(_BINARY))
    @settings(max_examples=40, deadline=None)
    @given(shapes=_shape_pairs, dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16))
    def test_hyp_binary_broadcast_vs_torch(name: str, shapes: Any, dtype: Any, seed: int) -> None:
        torch = need_torch()
        fn, ga, gb = _BINARY[name]
        rng = np.random.default_rng(seed)
        (sa, sb), _ = shapes
        op = OpInfo(name, fn, lambda r, d: [])
        s = Sample((ga(rng, sa, dtype), gb(rng, sb, dtype)))
        g_out, g_args = run_op(gg, op, s, requires_grad=True)
        t_out, t_args = run_op(torch, op, s, requires_grad=True)
        rtol, atol = TOL[dtype]
        assert_same_tensor(g_out, t_out, rtol, atol, "forward")
        upstream = rng.standard_normal(tuple(t_out.shape)).astype(dtype)
        t_out.backward(gradient=torch.tensor(upstream))
        g_out.backward(gradient=gg.tensor(upstream))
        for g, t in zip(g_args, t_args):
            assert_same_tensor(g.grad, t.grad, rtol, max(atol, 1e-5 if dtype == np.float32 else 1e-12), "grad")

    @pytest.mark.parametrize("name", list(_BINARY))
    @settings(max_examples=25, deadline=None)
    @given(shapes=_shape_pairs, seed=st.integers(0, 2**16))
    def test_hyp_binary_broadcast_finite_differences(name: str, shapes: Any, seed: int) -> None:
        fn, ga, gb = _BINARY[name]
        rng = np.random.default_rng(seed)
        (sa, sb), _ = shapes
        check_finite_differences(OpInfo(name, fn, lambda r, d: []),
                                 Sample((ga(rng, sa, np.float64), gb(rng, sb, np.float64))))

    @st.composite
    def _reduce_case(draw: Any) -> tuple[tuple[int, ...], dict[str, Any]]:
        shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4))
        nd = len(shape)
        kw: dict[str, Any] = {}
        how = draw(st.sampled_from(["all", "int", "tuple"]))
        if how == "int":
            kw["dim"] = draw(st.integers(-max(nd, 1), max(nd, 1) - 1))
        elif how == "tuple" and nd > 0:
            dims = draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True))
            kw["dim"] = tuple(d - nd if draw(st.booleans()) else d for d in dims)
        if "dim" in kw:
            kw["keepdim"] = draw(st.booleans())
        return shape, kw

    @pytest.mark.parametrize("name", ["sum", "mean"])
    @settings(max_examples=40, deadline=None)
    @given(case=_reduce_case(), dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16))
    def test_hyp_reduce_vs_torch(name: str, case: Any, dtype: Any, seed: int) -> None:
        torch = need_torch()
        shape, kw = case
        rng = np.random.default_rng(seed)
        op = OpInfo(name, lambda m, x, **k: getattr(x, name)(**k), lambda r, d: [])
        s = Sample((signed(rng, shape, dtype),), kw)
        g_out, (gx,) = run_op(gg, op, s, requires_grad=True)
        t_out, (tx,) = run_op(torch, op, s, requires_grad=True)
        rtol, atol = TOL[dtype]
        assert_same_tensor(g_out, t_out, rtol, max(atol, 1e-5 if dtype == np.float32 else 1e-12), "forward")
        assert grad_fn_tree(g_out) == grad_fn_tree(t_out)
        upstream = rng.standard_normal(tuple(t_out.shape)).astype(dtype)
        t_out.backward(gradient=torch.tensor(upstream))
        g_out.backward(gradient=gg.tensor(upstream))
        assert_same_tensor(gx.grad, tx.grad, rtol, atol, "grad")

    @pytest.mark.parametrize("name", ["sum", "mean"])
    @settings(max_examples=30, deadline=None)
    @given(case=_reduce_case(), seed=st.integers(0, 2**16))
    def test_hyp_reduce_finite_differences(name: str, case: Any, seed: int) -> None:
        shape, kw = case
        rng = np.random.default_rng(seed)
        op = OpInfo(name, lambda m, x, **k: getattr(x, name)(**k), lambda r, d: [])
        check_finite_differences(op, Sample((signed(rng, shape, np.float64),), kw))


# ---------------------------------------------------------------------------- type promotion (forward only)

def _i64(*v: int) -> np.ndarray:
    return np.array(v, dtype=np.int64)


PROMOTION_CASES: list[tuple[str, Callable[[Any], Any]]] = [
    ("int64*2.5", lambda m: m.tensor(_i64(1, 2, 3)) * 2.5),
    ("2.5*int64", lambda m: 2.5 * m.tensor(_i64(1, 2, 3))),
    ("int64*2", lambda m: m.tensor(_i64(1, 2, 3)) * 2),
    ("int64+True", lambda m: m.tensor(_i64(1, 2, 3)) + True),
    ("int64-1.5", lambda m: 1.5 - m.tensor(_i64(1, 2, 3))),
    ("float32*float64", lambda m: m.tensor(np.ones(3, np.float32)) * m.tensor(np.full(3, 2.0))),
    ("float32_dim*float64_0d", lambda m: m.tensor(np.ones(3, np.float32)) * m.tensor(np.array(2.0))),
    ("float64_0d*float32_dim", lambda m: m.tensor(np.array(2.0)) * m.tensor(np.ones(3, np.float32))),
    ("float32_0d*float64_0d", lambda m: m.tensor(np.array(3.0, np.float32)) * m.tensor(np.array(2.0))),
    ("int64_dim+float64_0d", lambda m: m.tensor(_i64(1, 2)) + m.tensor(np.array(0.5))),
    ("uint8_dim+int64_0d", lambda m: m.tensor(np.array([1, 2], np.uint8)) + m.tensor(np.array(3))),
    ("int_div_int", lambda m: m.tensor(_i64(1, 2, 3)) / m.tensor(_i64(2, 2, 2))),
    ("int_div_scalar", lambda m: m.tensor(_i64(1, 2, 3)) / 2),
    ("scalar_div_int", lambda m: 3 / m.tensor(_i64(1, 2, 3))),
    ("div_fn_int", lambda m: m.div(m.tensor(_i64(1, 2, 3)), m.tensor(_i64(2, 4, 8)))),
    ("uint8+int8", lambda m: m.tensor(np.array([1, 2], np.uint8)) + m.tensor(np.array([-1, 3], np.int8))),
    ("uint8+1", lambda m: m.tensor(np.array([1, 2], np.uint8)) + 1),
    ("int32+int64", lambda m: m.tensor(np.array([1, 2], np.int32)) + m.tensor(_i64(3, 4))),
    ("int8*int16", lambda m: m.tensor(np.array([1, 2], np.int8)) * m.tensor(np.array([3, 4], np.int16))),
    ("bool+bool", lambda m: m.tensor(np.array([True, False, True])) + m.tensor(np.array([True, False, False]))),
    ("bool*bool", lambda m: m.tensor(np.array([True, False, True])) * m.tensor(np.array([True, True, False]))),
    ("bool+int64", lambda m: m.tensor(np.array([True, False])) + m.tensor(_i64(2, 3))),
    ("bool*2", lambda m: m.tensor(np.array([True, False])) * 2),
    ("bool+1.5", lambda m: m.tensor(np.array([True, False])) + 1.5),
    ("bool*float32", lambda m: m.tensor(np.array([True, False])) * m.tensor(np.array([1.5, 2.5], np.float32))),
    ("float16+float32", lambda m: m.tensor(np.ones(2, np.float16)) + m.tensor(np.ones(2, np.float32))),
    ("float16*2.5", lambda m: m.tensor(np.ones(2, np.float16)) * 2.5),
    ("int64**2", lambda m: m.tensor(_i64(1, 2, 3)) ** 2),
    ("int64**0.5", lambda m: m.tensor(_i64(1, 4, 9)) ** 0.5),
    ("2**int64", lambda m: 2 ** m.tensor(_i64(1, 2, 3))),
    ("2.5**int64", lambda m: 2.5 ** m.tensor(_i64(1, 2, 3))),
    ("int64**int64", lambda m: m.tensor(_i64(1, 2, 3)) ** m.tensor(_i64(2, 1, 0))),
    ("float32**float64_0d", lambda m: m.tensor(np.array([1.5, 2.0], np.float32)) ** m.tensor(np.array(2.0))),
    ("int64_matmul", lambda m: m.tensor(_i64(1, 2, 3, 4).reshape(2, 2)) @ m.tensor(_i64(1, 2))),
    ("neg_int64", lambda m: -m.tensor(_i64(1, -2))),
    ("abs_int64", lambda m: m.tensor(_i64(1, -2)).abs()),
    ("relu_int64", lambda m: m.tensor(_i64(1, -2)).relu()),
    ("exp_int64", lambda m: m.tensor(_i64(0, 1)).exp()),
    ("sqrt_int64", lambda m: m.sqrt(m.tensor(_i64(1, 4)))),
    ("sigmoid_int64", lambda m: m.sigmoid(m.tensor(_i64(0, 1)))),
    ("log_bool", lambda m: m.log(m.tensor(np.array([True, True])))),
    ("sin_uint8", lambda m: m.sin(m.tensor(np.array([0, 1], np.uint8)))),
    ("sum_int32", lambda m: m.tensor(np.array([1, 2], np.int32)).sum()),
    ("sum_uint8_dim", lambda m: m.tensor(np.array([[200, 100]], np.uint8)).sum(1)),
    ("sum_bool", lambda m: m.tensor(np.array([True, True, False])).sum()),
    ("sum_float16", lambda m: m.tensor(np.array([1, 2], np.float16)).sum()),
    ("max_int64", lambda m: m.tensor(_i64(3, 1, 4)).max()),
    ("max_int64_dim", lambda m: m.tensor(_i64(3, 1, 4, 1).reshape(2, 2)).max(1)),
    ("min_bool", lambda m: m.tensor(np.array([True, False])).min()),
    ("int64_index_mask", lambda m: (lambda t: t[t > 1])(m.tensor(_i64(3, 1, 4)))),
    ("int64_to_float64", lambda m: m.tensor(_i64(3, 1)).to(m.float64)),
    ("float64_float", lambda m: m.tensor(np.array([0.1, 0.2])).float()),
    ("add_int_alpha", lambda m: m.add(m.tensor(_i64(1, 2)), m.tensor(_i64(3, 4)), alpha=2)),
    ("softmax_dtype_arg", lambda m: m.softmax(m.tensor(np.array([1.0, 2.0], np.float32)), 0, dtype=m.float64)),
    ("softmax_float64", lambda m: m.softmax(m.tensor(np.array([1.0, 2.0])), 0)),
]


@pytest.mark.parametrize("name,fn", PROMOTION_CASES, ids=[c[0] for c in PROMOTION_CASES])
def test_type_promotion_matches_torch(name: str, fn: Callable[[Any], Any]) -> None:
    torch = need_torch()
    t_out, g_out = fn(torch), fn(gg)
    for g, t in zip(out_tensors(g_out), out_tensors(t_out)):
        assert_same_tensor(g, t, 1e-3 if t.dtype == torch.float16 else 1e-6, 1e-6, name)


@pytest.mark.parametrize("value", [np.float64(2.0), np.float32(1.5), np.int64(3), np.int8(-2), np.bool_(True),
                                   [np.float64(1.0), np.float64(2.0)], [np.float32(1.0)], np.array(2.0)],
                         ids=repr)
def test_tensor_from_numpy_scalar_keeps_dtype(value: Any) -> None:
    """``tensor(np.float64(2.0))`` is float64 in torch: a NumPy scalar carries its dtype."""
    torch = need_torch()
    assert_same_tensor(gg.tensor(value), torch.tensor(value))


def test_mixed_dtype_gradients_keep_input_dtypes() -> None:
    torch = need_torch()
    a32, b64 = np.array([1.0, 2.0, 3.0], np.float32), np.array([0.5, -1.0, 2.0])
    res = {}
    for m in (gg, torch):
        a, b = from_np(m, a32, True), from_np(m, b64, True)
        c = from_np(m, np.array(1.5), True)
        out = a * b + a * c + a / 2.5
        out.backward(gradient=from_np(m, np.array([1.0, -2.0, 0.5])))
        res[m.__name__] = (out, a.grad, b.grad, c.grad)
    for g, t in zip(res["glassgrad"], res["torch"]):
        assert_same_tensor(g, t, 1e-6, 1e-6)


# ---------------------------------------------------------------------------- max / min: ties, return types

@pytest.mark.parametrize("name", ["max", "min"])
def test_whole_tensor_tie_spreads_gradient_evenly(name: str) -> None:
    values = [1.0, 3.0, 3.0] if name == "max" else [3.0, 1.0, 1.0]
    x = gg.tensor(values, requires_grad=True)
    out = getattr(x, name)()
    assert out.grad_fn.name() == f"{name.capitalize()}Backward1"
    out.backward()
    expected = [0.0, 0.5, 0.5] if name == "max" else [0.0, 0.5, 0.5]
    np.testing.assert_allclose(to_np(x.grad), expected)


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("values", [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0, 2.0], [[1.0, 5.0], [5.0, 0.0]],
                                    [[-1.0, -1.0, -3.0]]])
def test_whole_tensor_ties_match_torch(name: str, values: list[Any]) -> None:
    torch = need_torch()
    res = []
    for m in (gg, torch):
        x = m.tensor(values, requires_grad=True)
        out = getattr(x, name)()
        out.backward(gradient=m.tensor(2.0))
        res.append((out, x.grad, out.grad_fn.name()))
    assert_same_tensor(res[0][0], res[1][0])
    assert_same_tensor(res[0][1], res[1][1], what="grad")
    assert res[0][2] == res[1][2]


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_dim_tie_gradient_goes_to_returned_index(name: str, keepdim: bool) -> None:
    x = gg.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]] if name == "max" else [[1.0, 0.0, 0.0], [0.5, 0.5, 2.0]],
                  requires_grad=True)
    values, indices = getattr(x, name)(1, keepdim=keepdim)
    assert values.grad_fn.name() == f"{name.capitalize()}Backward0"
    assert indices.grad_fn is None and str(indices.dtype) == "torch.int64"
    values.sum().backward()
    idx = to_np(indices).reshape(-1)
    expected = np.zeros((2, 3))
    expected[np.arange(2), idx] = 1.0
    np.testing.assert_array_equal(to_np(x.grad), expected)
    np.testing.assert_array_equal(to_np(values).reshape(-1), to_np(x)[np.arange(2), idx])


@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("name", ["max", "min"])
def test_dim_return_type_and_repr_match_torch(name: str, requires_grad: bool) -> None:
    torch = need_torch()
    arr = np.array([[1.0, 5.0, 2.0], [4.0, 0.0, 6.0]], np.float32)
    g = getattr(from_np(gg, arr, requires_grad), name)(0)
    t = getattr(from_np(torch, arr, requires_grad), name)(0)
    assert repr(g) == repr(t)
    assert str(g) == str(t)
    assert len(g) == 2 and isinstance(g, tuple)
    assert_same_tensor(g.values, t.values)
    assert_same_tensor(g.indices, t.indices)
    assert_same_tensor(g[0], t[0])
    assert_same_tensor(g[1], t[1])
    values, indices = g
    assert values is g.values and indices is g.indices
    kept = getattr(from_np(gg, arr, requires_grad), name)(dim=-1, keepdim=True)
    t_kept = getattr(from_np(torch, arr, requires_grad), name)(dim=-1, keepdim=True)
    assert repr(kept) == repr(t_kept)


# ---------------------------------------------------------------------------- in-place ops

INPLACE_STEPS: list[tuple[str, Callable[[Any, Any], Any]]] = [
    ("add_", lambda m, y: y.add_(1)),
    ("add_tensor_alpha", lambda m, y: y.add_(m.tensor([1.0, 2.0, 3.0]), alpha=2)),
    ("mul_", lambda m, y: y.mul_(3)),
    ("mul_tensor", lambda m, y: y.mul_(m.tensor([2.0, -1.0, 0.5]))),
    ("sub_", lambda m, y: y.sub_(0.5)),
    ("sub_alpha", lambda m, y: y.sub_(m.tensor(1.0), alpha=3)),
    ("zero_", lambda m, y: y.zero_()),
    ("fill_", lambda m, y: y.fill_(7)),
    ("fill_tensor", lambda m, y: y.fill_(m.tensor(2.5))),
    ("iadd", lambda m, y: y.__iadd__(2)),
    ("imul", lambda m, y: y.__imul__(m.tensor([1.0, 2.0, 3.0]))),
]


@pytest.mark.parametrize("name,step", INPLACE_STEPS, ids=[s[0] for s in INPLACE_STEPS])
def test_inplace_values_and_version_match_torch(name: str, step: Callable[[Any, Any], Any]) -> None:
    torch = need_torch()
    res = []
    for m in (gg, torch):
        y = m.tensor([1.0, 2.0, 3.0])
        v0 = y._version
        r = step(m, y)
        res.append((y, r is y, v0, y._version))
        y2 = y.view(3)
        step(m, y2)  # through a view: the version is shared
        res.append((y, y2._version, y._version))
    g1, g2, t1, t2 = res
    assert_same_tensor(g1[0], t1[0])
    assert g1[1:] == t1[1:]
    assert g2[1:] == t2[1:]


@pytest.mark.parametrize("name,step", INPLACE_STEPS, ids=[s[0] for s in INPLACE_STEPS])
def test_inplace_on_nonleaf_gradients_match_torch(name: str, step: Callable[[Any, Any], Any]) -> None:
    torch = need_torch()
    res = []
    for m in (gg, torch):
        x = m.tensor([1.0, -2.0, 0.5], requires_grad=True)
        y = x * 2
        step(m, y)
        names = grad_fn_tree(y)
        y.mul_(3)
        z = y * y
        z.backward(gradient=m.tensor([1.0, 0.5, -1.0]))
        res.append((y, x.grad, names, y._version, y.is_leaf, y.requires_grad))
    g, t = res
    assert_same_tensor(g[0], t[0])
    if t[1] is None:
        assert g[1] is None
    else:
        assert_same_tensor(g[1], t[1], what="grad")
    assert g[2:] == t[2:]


def test_inplace_chain_from_brief_matches_torch() -> None:
    torch = need_torch()
    res = []
    for m in (gg, torch):
        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        y.add_(1)
        assert y.grad_fn.name() == "AddBackward0"
        y.mul_(3)
        assert y.grad_fn.name() == "MulBackward0"
        y.sum().backward()
        res.append((y, x.grad, y._version))
    assert_same_tensor(res[0][0], res[1][0])
    assert_same_tensor(res[0][1], res[1][1])
    assert res[0][2] == res[1][2] == 2


def test_inplace_with_tensor_operand_requiring_grad() -> None:
    torch = need_torch()
    res = []
    for m in (gg, torch):
        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w = m.tensor([0.5, -1.0, 2.0], requires_grad=True)
        y = m.tensor([1.0, 1.0, 1.0])  # does not require grad: becomes part of the graph in place
        y.mul_(w)
        y.add_(x, alpha=2)
        assert not y.is_leaf
        y.sub_(w * x)
        (y * y).sum().backward()
        res.append((y, x.grad, w.grad, grad_fn_tree(y)))
    for g, t in zip(res[0][:3], res[1][:3]):
        assert_same_tensor(g, t)
    assert res[0][3] == res[1][3]


@pytest.mark.parametrize("name,step", INPLACE_STEPS, ids=[s[0] for s in INPLACE_STEPS])
def test_inplace_on_leaf_requiring_grad_raises_torch_error(name: str, step: Callable[[Any, Any], Any]) -> None:
    torch = need_torch()
    msgs = []
    for m in (gg, torch):
        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        with pytest.raises(RuntimeError) as e:
            step(m, x)
        msgs.append(str(e.value))
        assert x._version == 0
        np.testing.assert_array_equal(to_np(x), [1.0, 2.0, 3.0])
    assert msgs[0] == msgs[1]


@pytest.mark.parametrize("name,step", INPLACE_STEPS, ids=[s[0] for s in INPLACE_STEPS])
def test_inplace_on_leaf_allowed_under_no_grad(name: str, step: Callable[[Any, Any], Any]) -> None:
    torch = need_torch()
    res = []
    for m in (gg, torch):
        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        with m.no_grad():
            step(m, x)
        res.append((x, x.is_leaf, x.requires_grad, x.grad_fn, x._version))
        (x * x).sum().backward()
        res.append((x.grad,))
    assert_same_tensor(res[0][0], res[2][0])
    assert res[0][1:] == res[2][1:]
    assert_same_tensor(res[1][0], res[3][0])


def _saved_mul(m: Any) -> Any:
    x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    z = y * y
    y.add_(1)
    return z.sum()


def _saved_exp_output(m: Any) -> Any:
    a = m.tensor([1.0, 2.0], requires_grad=True)
    c = a.exp()
    c.mul_(2)
    return c.sum()


def _saved_leaf_under_no_grad(m: Any) -> Any:
    a = m.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    z = (a * a).sum()
    with m.no_grad():
        a.mul_(2)
    return z


def _saved_tanh_output_twice(m: Any) -> Any:
    a = m.tensor([0.5, -0.5], requires_grad=True)
    c = a.tanh()
    c.add_(1)
    c.add_(1)
    return c.sum()


def _saved_matmul_operand(m: Any) -> Any:
    a = m.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = a * 1
    out = b @ a
    b.zero_()
    return out.sum()


def _saved_sigmoid_then_fill(m: Any) -> Any:
    a = m.tensor([0.5, -0.5, 1.0], requires_grad=True)
    s = m.sigmoid(a)
    s.fill_(0.0)
    return s.sum()


def _saved_pow_base(m: Any) -> Any:
    a = m.tensor([1.5, 2.0], requires_grad=True)
    b = a + 0
    c = b ** 2
    b.sub_(1)
    return c.sum()


SAVED_MODIFIED: list[tuple[str, Callable[[Any], Any]]] = [
    ("mul_input", _saved_mul), ("exp_output", _saved_exp_output), ("leaf_no_grad", _saved_leaf_under_no_grad),
    ("tanh_output_twice", _saved_tanh_output_twice), ("matmul_operand", _saved_matmul_operand),
    ("sigmoid_fill", _saved_sigmoid_then_fill), ("pow_base", _saved_pow_base),
]


@pytest.mark.parametrize("name,build", SAVED_MODIFIED, ids=[c[0] for c in SAVED_MODIFIED])
def test_modified_saved_tensor_error_matches_torch(name: str, build: Callable[[Any], Any]) -> None:
    torch = need_torch()
    msgs = []
    for m in (gg, torch):
        loss = build(m)
        with pytest.raises(RuntimeError) as e:
            loss.backward()
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]


def test_inplace_version_counter_basics() -> None:
    """Without torch: in-place ops bump ``_version`` by one each, out-of-place ops do not."""
    x = gg.tensor([1.0, 2.0])
    assert x._version == 0
    x.add_(1)
    x.mul_(2)
    x.sub_(1)
    x.zero_()
    x.fill_(3)
    assert x._version == 5
    _ = x + 1
    assert x._version == 5
    np.testing.assert_array_equal(to_np(x), [3.0, 3.0])


# ---------------------------------------------------------------------------- error messages

ERROR_CASES: list[tuple[str, Callable[[Any], Any]]] = [
    ("broadcast_mismatch", lambda m: m.ones(2, 3) + m.ones(4)),
    ("mm_mismatch", lambda m: m.mm(m.ones(2, 3), m.ones(2, 3))),
    ("matmul_mismatch", lambda m: m.ones(2, 3) @ m.ones(4, 2)),
    ("matmul_0d", lambda m: m.matmul(m.tensor(1.0), m.ones(2))),
    ("mean_int", lambda m: m.tensor([1, 2]).mean()),
    ("view_noncontiguous", lambda m: m.ones(3, 4).t().view(12)),
    ("view_bad_size", lambda m: m.ones(3, 4).view(5)),
    ("reshape_bad_size", lambda m: m.ones(3, 4).reshape(5, -1)),
    ("sum_bad_dim", lambda m: m.ones(3, 4).sum(2)),
    ("softmax_bad_dim", lambda m: m.softmax(m.ones(3), 1)),
    ("max_bad_dim", lambda m: m.ones(3).max(1)),
    ("expand_bad", lambda m: m.ones(3, 2).expand(3, 4)),
    ("transpose_bad_dim", lambda m: m.ones(3, 2).transpose(0, 2)),
    ("index_out_of_range", lambda m: m.ones(3)[3]),
    ("requires_grad_int", lambda m: m.tensor([1, 2], requires_grad=True)),
    ("backward_nonscalar", lambda m: (m.ones(2, requires_grad=True) * 2).backward()),
    ("max_empty", lambda m: m.ones(0).max()),
    ("sub_int_bool", lambda m: m.tensor(_i64(5, 6)) - m.tensor(np.array([True, False]))),
    ("requires_grad_setter_int", lambda m: m.tensor([1, 2]).requires_grad_()),
]


@pytest.mark.parametrize("name,fn", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_error_message_matches_torch(name: str, fn: Callable[[Any], Any]) -> None:
    same_error(fn)
