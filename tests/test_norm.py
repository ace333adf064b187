"""Normalization and attention beyond the op table (``tests/opdb/norm.py``).

The table's checks for scaled_dot_product_attention (all but the grad_fn names:
glassgrad records its steps, PyTorch its fused kernel), the recorded steps and
dropout, running statistics, dtype rules, PyTorch's error texts, double
backward against PyTorch for every op, and stability for inputs of ±1000.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassgrad as gg
from opdb.norm import SDPA_OPS
from opinfo import (
    OpInfo,
    Sample,
    assert_same_tensor,
    build_params,
    check_finite_differences,
    need_torch,
    run_op,
    to_np,
    tolerance,
)

try:  # Hypothesis is a test dependency; without it only its tests are skipped.
    from hypothesis import given, settings
    from hypothesis import strategies as st

    HAVE_HYPOTHESIS = True
except ImportError:  # pragma: no cover
    HAVE_HYPOTHESIS = False


def _t(m: Any, a: Any, rg: bool = False) -> Any:
    return m.tensor(np.array(a, copy=True), requires_grad=rg)


# ---------------------------------------------------------------------------- sdpa: the op table's checks but names

@pytest.mark.parametrize("op,sample", build_params(SDPA_OPS, (np.float32, np.float64)))
def test_sdpa_forward_and_grad_match_torch(op: OpInfo, sample: Sample) -> None:
    torch = need_torch()
    g_out, g_args = run_op(gg, op, sample, requires_grad=True)
    t_out, t_args = run_op(torch, op, sample, requires_grad=True)
    rtol, atol = tolerance(op, sample)
    assert_same_tensor(g_out, t_out, rtol, atol, what="output")
    upstream = np.random.default_rng(1).standard_normal(tuple(t_out.shape)).astype(to_np(t_out).dtype)
    g_out.backward(gg.tensor(upstream))
    t_out.backward(torch.tensor(upstream))
    for i, (g, t) in enumerate(zip(g_args, t_args)):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            assert_same_tensor(g.grad, t.grad, rtol, max(atol, 1e-6), what=f"grad of input {i}")
    with gg.no_grad():
        assert run_op(gg, op, sample, requires_grad=True)[0].grad_fn is None


@pytest.mark.parametrize("op,sample", build_params(SDPA_OPS, (np.float64,), needs_grad=True, fd=True))
def test_sdpa_finite_differences(op: OpInfo, sample: Sample) -> None:
    check_finite_differences(op, sample)


def _graph_names(t: gg.Tensor) -> list[str]:
    seen, order, stack = set(), [], [t.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        order.append(fn.name())
        stack.extend(f for f, _ in fn.next_functions)
    return order


@pytest.mark.parametrize("mask,step", [(None, None), ("bool", "WhereBackward0"), ("float", "AddBackward0"),
                                       ("causal", "WhereBackward0")])
def test_sdpa_records_its_steps(mask: str | None, step: str | None) -> None:
    rng = np.random.default_rng(0)
    q, k, v = (_t(gg, rng.standard_normal(s), True) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 6)))
    kw: dict[str, Any] = {}
    if mask == "bool":
        kw["attn_mask"] = gg.tensor(rng.random((3, 5)) > 0.3)
    elif mask == "float":
        kw["attn_mask"] = gg.tensor(rng.standard_normal((3, 5)))
    elif mask == "causal":
        kw["is_causal"] = True
    out = gg.nn.functional.scaled_dot_product_attention(q, k, v, **kw)
    names = _graph_names(out)
    for expected in ("BmmBackward0", "MulBackward0", "SoftmaxBackward0", "TransposeBackward0"):
        assert expected in names
    if step:
        assert step in names
    doc = gg.nn.functional.scaled_dot_product_attention.__doc__
    assert "softmax" in doc and "matmul" in doc and "dropout" in doc


def test_sdpa_dropout() -> None:
    """Dropout draws from glassgrad's generator; kept weights are scaled by 1 / (1 - p)."""
    F = gg.nn.functional
    S, p = 40, 0.3
    q, k = gg.zeros(50, 4), gg.zeros(S, 4)  # uniform attention 1 / S
    v = gg.eye(S, requires_grad=True)
    gg.manual_seed(0)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=p)
    gg.manual_seed(0)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=p)
    assert gg.equal(a, b)
    w = to_np(a)  # the dropped attention weights themselves (v is the identity)
    kept = w != 0
    np.testing.assert_allclose(w[kept], 1 / S / (1 - p), rtol=1e-6)
    assert abs(1 - kept.mean() - p) < 0.05
    u = np.random.default_rng(3).standard_normal(w.shape).astype(np.float32)
    a.backward(gg.tensor(u))
    np.testing.assert_allclose(to_np(v.grad), w.T @ u, rtol=1e-5, atol=1e-6)
    assert not to_np(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)).any()
    np.testing.assert_allclose(to_np(F.scaled_dot_product_attention(q, k, v, dropout_p=-0.5)), np.full((50, S), 1 / S),
                               rtol=1e-6)


def test_sdpa_fully_masked_rows_give_zeros() -> None:
    torch = need_torch()
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 6))]
    fmask = np.zeros((3, 5))
    fmask[1] = -np.inf
    bmask = np.ones((3, 5), dtype=bool)
    bmask[2] = False
    for mask in (fmask, bmask):
        res = []
        for m in (gg, torch):
            q, k, v = (_t(m, a, True) for a in arrays)
            out = m.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=_t(m, mask))
            out.sum().backward()
            res.append([out, q.grad, k.grad, v.grad])
        for g, t in zip(*res):
            assert_same_tensor(g, t, 1e-10, 1e-12)
            assert np.isfinite(to_np(g)).all()


# ---------------------------------------------------------------------------- errors

_X = np.random.default_rng(5).standard_normal((2, 3, 4)).astype(np.float32)
_X4 = np.random.default_rng(6).standard_normal((2, 6, 3)).astype(np.float32)


def _f(m: Any) -> Any:
    return m.nn.functional


def _x(m: Any, dtype: str | None = None) -> Any:
    t = _t(m, _X)
    return t if dtype is None else t.to(getattr(m, dtype))


def _x4(m: Any, dtype: str | None = None) -> Any:
    t = _t(m, _X4)
    return t if dtype is None else t.to(getattr(m, dtype))


def _ones(m: Any, n: Any, dtype: str = "float32") -> Any:
    return m.ones(n, dtype=getattr(m, dtype))


ERRORS: dict[str, Callable[[Any], Any]] = {
    "ln_shape": lambda m: _f(m).layer_norm(_x(m), (5,)),
    "ln_shape2": lambda m: _f(m).layer_norm(_x(m), (2, 4)),
    "ln_too_many": lambda m: _f(m).layer_norm(_x(m), (1, 2, 3, 4)),
    "ln_int_shape": lambda m: _f(m).layer_norm(_x(m), 4),
    "ln_empty_shape": lambda m: _f(m).layer_norm(_x(m), ()),
    "ln_weight": lambda m: _f(m).layer_norm(_x(m), (4,), _ones(m, 3)),
    "ln_weight_2d": lambda m: _f(m).layer_norm(_x(m), (4,), _ones(m, (1, 4))),
    "ln_bias": lambda m: _f(m).layer_norm(_x(m), (4,), _ones(m, 4), _ones(m, 3)),
    "ln_mixed_param": lambda m: _f(m).layer_norm(_x(m), (4,), _ones(m, 4, "float64")),
    "ln_mixed_input": lambda m: _f(m).layer_norm(_x(m, "float64"), (4,), _ones(m, 4)),
    "ln_bias_dtype": lambda m: _f(m).layer_norm(_x(m), (4,), _ones(m, 4), _ones(m, 4, "float64")),
    "ln_half_param": lambda m: _f(m).layer_norm(_x(m, "float16"), (4,), _ones(m, 4, "float16"), _ones(m, 4)),
    "ln_long": lambda m: _f(m).layer_norm(_x(m, "int64"), (4,)),
    "rms_shape": lambda m: _f(m).rms_norm(_x(m), (5,)),
    "rms_shape2": lambda m: _f(m).rms_norm(_x(m), (2, 4)),
    "rms_too_many": lambda m: _f(m).rms_norm(_x(m), (1, 2, 3, 4)),
    "rms_int_shape": lambda m: _f(m).rms_norm(_x(m), 4),
    "rms_empty_shape": lambda m: _f(m).rms_norm(_x(m), []),
    "rms_weight": lambda m: _f(m).rms_norm(_x(m), (4,), _ones(m, 3)),
    "rms_long": lambda m: _f(m).rms_norm(_x(m, "int64"), (4,)),
    "gn_divisible": lambda m: _f(m).group_norm(_x4(m), 4),
    "gn_1d": lambda m: _f(m).group_norm(_ones(m, 6), 3),
    "gn_weight": lambda m: _f(m).group_norm(_x4(m), 3, _ones(m, 5)),
    "gn_weight_2d": lambda m: _f(m).group_norm(_x4(m), 3, _ones(m, (2, 3))),
    "gn_bias": lambda m: _f(m).group_norm(_x4(m), 3, _ones(m, 6), _ones(m, 5)),
    "gn_bias_no_weight": lambda m: _f(m).group_norm(_x4(m), 3, None, _ones(m, 5)),
    "gn_one_value": lambda m: _f(m).group_norm(_ones(m, (1, 3)), 3),
    "gn_zero_groups": lambda m: _f(m).group_norm(_x4(m), 0),
    "gn_negative_groups": lambda m: _f(m).group_norm(_x4(m), -3),
    "gn_long": lambda m: _f(m).group_norm(_x4(m, "int64"), 3),
    "gn_mixed": lambda m: _f(m).group_norm(_x4(m), 3, _ones(m, 6, "float16")),
    "bn_one_value": lambda m: _f(m).batch_norm(_ones(m, (1, 6)), _ones(m, 6), _ones(m, 6), training=True),
    "bn_eval_no_stats": lambda m: _f(m).batch_norm(_x4(m), None, None),
    "bn_one_stat": lambda m: _f(m).batch_norm(_x4(m), _ones(m, 6), None, training=True),
    "bn_running_mean": lambda m: _f(m).batch_norm(_x4(m), _ones(m, 5), _ones(m, 6), training=True),
    "bn_running_var_eval": lambda m: _f(m).batch_norm(_x4(m), _ones(m, 6), _ones(m, 5)),
    "bn_weight": lambda m: _f(m).batch_norm(_x4(m), None, None, _ones(m, 5), training=True),
    "bn_bias": lambda m: _f(m).batch_norm(_x4(m), None, None, None, _ones(m, 2), training=True),
    "bn_eps_train": lambda m: _f(m).batch_norm(_x4(m), None, None, training=True, eps=0.0),
    "bn_eps_eval": lambda m: _f(m).batch_norm(_x4(m), _ones(m, 6), _ones(m, 6), eps=-1.0),
    "bn_long": lambda m: _f(m).batch_norm(_x4(m, "int64"), None, None, training=True),
    "bn_mixed_stats": lambda m: _f(m).batch_norm(_x4(m), _ones(m, 6, "float64"), _ones(m, 6, "float64")),
    "bn_mixed_input": lambda m: _f(m).batch_norm(_x4(m, "float64"), _ones(m, 6), _ones(m, 6)),
    "bn_1d": lambda m: _f(m).batch_norm(_ones(m, 6), _ones(m, 6), _ones(m, 6), training=True),
    "bn_stats_requires_grad": lambda m: _f(m).batch_norm(_x4(m), m.zeros(6, requires_grad=True), _ones(m, 6),
                                                         training=True),
    "bn_var_requires_grad_eval": lambda m: _f(m).batch_norm(_x4(m), _ones(m, 6), m.ones(6, requires_grad=True)),
    "in_one_spatial": lambda m: _f(m).instance_norm(_ones(m, (2, 3, 1))),
    "in_2d": lambda m: _f(m).instance_norm(_ones(m, (3, 4))),
    "in_eval_no_stats": lambda m: _f(m).instance_norm(_x(m), use_input_stats=False),
    "in_weight": lambda m: _f(m).instance_norm(_x(m), weight=_ones(m, 2)),
    "lrn_2d": lambda m: _f(m).local_response_norm(_ones(m, (2, 3)), 2),
    "sdpa_1d": lambda m: _f(m).scaled_dot_product_attention(_ones(m, 4), _ones(m, 4), _ones(m, 4)),
    "sdpa_head_dim": lambda m: _f(m).scaled_dot_product_attention(_x(m), _ones(m, (2, 5, 3)), _ones(m, (2, 5, 6))),
    "sdpa_head_dim_4d": lambda m: _f(m).scaled_dot_product_attention(
        _ones(m, (2, 2, 3, 4)), _ones(m, (2, 2, 5, 3)), _ones(m, (2, 2, 5, 6))),
    "sdpa_seq_len": lambda m: _f(m).scaled_dot_product_attention(_x(m), _ones(m, (2, 5, 4)), _ones(m, (2, 4, 6))),
    "sdpa_batch": lambda m: _f(m).scaled_dot_product_attention(_x(m), _ones(m, (3, 5, 4)), _ones(m, (3, 5, 6))),
    "sdpa_dtype_key": lambda m: _f(m).scaled_dot_product_attention(_x(m), _ones(m, (2, 5, 4), "float64"),
                                                                   _ones(m, (2, 5, 6))),
    "sdpa_dtype_value": lambda m: _f(m).scaled_dot_product_attention(_x(m), _ones(m, (2, 5, 4)),
                                                                     _ones(m, (2, 5, 6), "float64")),
    "sdpa_long": lambda m: _f(m).scaled_dot_product_attention(_x(m, "int64"), _x(m, "int64"), _x(m, "int64")),
    "sdpa_int": lambda m: _f(m).scaled_dot_product_attention(_x(m, "int32"), _x(m, "int32"), _x(m, "int32")),
    "sdpa_mask_dtype": lambda m: _f(m).scaled_dot_product_attention(_x(m), _x(m), _x(m),
                                                                    attn_mask=_ones(m, (3, 3), "float64")),
    "sdpa_mask_long": lambda m: _f(m).scaled_dot_product_attention(_x(m), _x(m), _x(m),
                                                                   attn_mask=_ones(m, (3, 3), "int64")),
    "sdpa_mask_shape": lambda m: _f(m).scaled_dot_product_attention(_x(m), _x(m), _x(m), attn_mask=_ones(m, (4, 3))),
    "sdpa_bool_mask_shape": lambda m: _f(m).scaled_dot_product_attention(
        _x(m), _x(m), _x(m), attn_mask=_ones(m, (4, 3), "bool")),
    "sdpa_mask_grows_output": lambda m: _f(m).scaled_dot_product_attention(
        _x(m)[:1], _x(m)[:1], _x(m)[:1], attn_mask=_ones(m, (2, 3, 3))),
    "sdpa_causal_and_mask": lambda m: _f(m).scaled_dot_product_attention(_x(m), _x(m), _x(m),
                                                                         attn_mask=_ones(m, (3, 3)), is_causal=True),
    "sdpa_gqa_heads": lambda m: _f(m).scaled_dot_product_attention(
        _ones(m, (2, 3, 3, 4)), _ones(m, (2, 2, 5, 4)), _ones(m, (2, 2, 5, 6)), enable_gqa=True),
    "sdpa_heads_without_gqa": lambda m: _f(m).scaled_dot_product_attention(
        _ones(m, (2, 4, 3, 4)), _ones(m, (2, 2, 5, 4)), _ones(m, (2, 2, 5, 6))),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name: str) -> None:
    torch = need_torch()
    results = []
    for m in (torch, gg):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ERRORS[name](m)
            except Exception as e:  # noqa: BLE001 - comparing whatever is raised
                results.append((type(e).__name__, str(e)))
            else:
                results.append(None)
    assert results[0] is not None, "torch raised nothing"
    assert results[1] == results[0]


# ---------------------------------------------------------------------------- running statistics

@pytest.mark.parametrize("momentum", [0.1, 0.5, 1.0])
@pytest.mark.parametrize("shape", [(4, 3), (5, 3, 2), (2, 3, 2, 2)])
def test_batch_norm_running_stats(shape: tuple[int, ...], momentum: float) -> None:
    torch = need_torch()
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape).astype(np.float32) * 3 + 1
    rm0, rv0 = rng.standard_normal(3).astype(np.float32), rng.uniform(0.5, 2, 3).astype(np.float32)
    stats = {}
    for m in (gg, torch):
        rm, rv = _t(m, rm0), _t(m, rv0)
        y = m.nn.functional.batch_norm(_t(m, x, True), rm, rv, training=True, momentum=momentum)
        assert (rm._version, rv._version) == (0, 0)  # updated in place without a version bump, as PyTorch does
        y_eval = m.nn.functional.batch_norm(_t(m, x), rm, rv, momentum=momentum)  # eval: uses, keeps the stats
        stats[m.__name__] = [to_np(rm), to_np(rv), to_np(y), to_np(y_eval)]
    for g, t in zip(stats["glassgrad"], stats["torch"]):
        np.testing.assert_allclose(g, t, rtol=1e-5, atol=1e-6)
    xd = x.astype(np.float64)
    axes = tuple(i for i in range(len(shape)) if i != 1)
    np.testing.assert_allclose(stats["glassgrad"][1], (1 - momentum) * rv0 + momentum * xd.var(axes, ddof=1),
                               rtol=1e-5)


def test_instance_norm_running_stats() -> None:
    torch = need_torch()
    x = np.random.default_rng(3).standard_normal((3, 2, 5))
    res = []
    for m in (gg, torch):
        rm, rv = m.zeros(2, dtype=m.float64), m.ones(2, dtype=m.float64)
        m.nn.functional.instance_norm(_t(m, x), rm, rv, momentum=0.2)
        res.append((to_np(rm), to_np(rv), rm._version, rv._version))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-12)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-12)
    assert res[0][2:] == res[1][2:]


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_saved_stats_are_version_checked(training: bool) -> None:
    torch = need_torch()
    x = np.random.default_rng(4).standard_normal((4, 3))
    msgs = []
    for m in (gg, torch):
        rm, rv = m.zeros(3, dtype=m.float64), m.ones(3, dtype=m.float64)
        y = m.nn.functional.batch_norm(_t(m, x, True), rm, rv, training=training)
        rv.add_(1)
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]


# ---------------------------------------------------------------------------- dtypes

HALF: dict[str, Callable[..., Any]] = {
    "ln": lambda m, x, w: m.nn.functional.layer_norm(x.transpose(1, 2), (6,), w, w),
    "gn": lambda m, x, w: m.nn.functional.group_norm(x, 3, w, w),
    "bn": lambda m, x, w: m.nn.functional.batch_norm(x, m.zeros(6), m.ones(6), w, w, training=True),
    "rms": lambda m, x, w: m.nn.functional.rms_norm(x.transpose(1, 2), (6,), w),
    "in": lambda m, x, w: m.nn.functional.instance_norm(x, weight=w, bias=w),
}


@pytest.mark.parametrize("case", list(HALF))
def test_half_input_with_float_parameters(case: str) -> None:
    torch = need_torch()
    x = np.random.default_rng(5).standard_normal((4, 6, 2)).astype(np.float16)
    w = np.random.default_rng(6).standard_normal(6).astype(np.float32)
    outs = []
    for m in (gg, torch):
        xt, wt = _t(m, x, True), _t(m, w, True)
        y = HALF[case](m, xt, wt)
        y.float().sum().backward()
        outs.append((y, xt.grad, wt.grad))
    for g, t in zip(*outs):
        assert_same_tensor(g, t, 1e-2, 1e-2)


@pytest.mark.parametrize("xd,wd", [("float32", "float64"), ("float64", "float32"), ("float16", "float16"),
                                   ("float32", "float16")])
def test_rms_norm_mixed_dtypes(xd: str, wd: str) -> None:
    torch = need_torch()
    x = np.random.default_rng(7).standard_normal((3, 4))
    res = []
    for m in (gg, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            xt = _t(m, x).to(getattr(m, xd)).requires_grad_()
            y = m.nn.functional.rms_norm(xt, (4,), m.ones(4, dtype=getattr(m, wd)))
        y.sum().backward()
        res.append((y, xt.grad, y.grad_fn.name()))
    assert_same_tensor(res[0][0], res[1][0], 1e-3, 1e-3)
    assert_same_tensor(res[0][1], res[1][1], 1e-2, 1e-2)
    assert res[0][2] == res[1][2]


def test_rms_norm_dtype_mismatch_warns_once() -> None:
    from glassgrad.ops import norm

    norm._rms_warned = False
    x, w = gg.ones(2, 4), gg.ones(4, dtype=gg.float64)
    with pytest.warns(UserWarning, match="Mismatch dtype between input and weight: input dtype = float, weight dtype = "
                                         "double, Cannot dispatch to fused implementation."):
        gg.nn.functional.rms_norm(x, (4,), w)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gg.nn.functional.rms_norm(x, (4,), w)


def test_aten_argument_order() -> None:
    """``torch.batch_norm``/``torch.instance_norm`` take (input, weight, bias, running_mean, running_var, use
    batch stats, momentum, eps, cudnn_enabled); glassgrad has them as ``ops.norm._batch_norm``/``_instance_norm``."""
    torch = need_torch()
    from glassgrad.ops import norm

    x = np.random.default_rng(8).standard_normal((4, 3, 2))
    w, b = np.linspace(0.5, 1.5, 3), np.linspace(-1, 1, 3)
    for name, fn in (("batch_norm", norm._batch_norm), ("instance_norm", norm._instance_norm)):
        res = []
        for m, f in ((gg, fn), (torch, getattr(torch, name))):
            rm, rv = m.zeros(3, dtype=m.float64), m.ones(3, dtype=m.float64)
            y = f(_t(m, x), _t(m, w), _t(m, b), rm, rv, True, 0.3, 1e-5, False)
            res.append([y, rm, rv])
        for g, t in zip(*res):
            assert_same_tensor(g, t, 1e-10, 1e-12)


def test_exports_and_printing() -> None:
    torch = need_torch()
    for name in ("layer_norm", "rms_norm", "group_norm"):
        assert getattr(gg, name) is getattr(gg.nn.functional, name)
    for name in ("layer_norm", "rms_norm", "group_norm", "batch_norm", "instance_norm", "local_response_norm",
                 "scaled_dot_product_attention"):
        assert callable(getattr(gg.nn.functional, name))
    x = np.arange(6.0).reshape(2, 3)
    outs = [m.nn.functional.layer_norm(_t(m, x, True), (3,)) for m in (gg, torch)]
    assert repr(outs[0]) == repr(outs[1])


# ---------------------------------------------------------------------------- double backward

def _double_backward(m: Any, fn: Callable[..., Any], arrays: list[Any], grads: list[bool]) -> list[Any]:
    """Second derivatives: d/dinputs of sum(d(sum(fn * u))/dinputs * v), via create_graph=True."""
    ins = [_t(m, a, rg) if isinstance(a, np.ndarray) else a for a, rg in zip(arrays, grads)]
    diff = [t for t, rg in zip(ins, grads) if rg]
    y = fn(m, *ins)
    rng = np.random.default_rng(11)
    u = m.tensor(rng.standard_normal(tuple(y.shape)))
    first = m.autograd.grad((y * u).sum(), diff, create_graph=True)
    total = sum((g * m.tensor(rng.standard_normal(tuple(g.shape)))).sum() for g in first)
    second = m.autograd.grad(total, diff, allow_unused=True)
    return [to_np(g) for g in first] + [np.zeros(t.shape) if s is None else to_np(s) for t, s in zip(diff, second)]


_R = np.random.default_rng(12)
_STATS = [_R.standard_normal(3), _R.uniform(0.5, 2, 3)]
DOUBLE: dict[str, tuple[Callable[..., Any], list[Any], list[bool]]] = {
    "layer_norm": (lambda m, x, w, b: m.nn.functional.layer_norm(x, (3, 4), w, b),
                   [_R.standard_normal((2, 3, 4)), _R.standard_normal((3, 4)), _R.standard_normal((3, 4))],
                   [True, True, True]),
    "layer_norm_plain": (lambda m, x: m.nn.functional.layer_norm(x, (4,)), [_R.standard_normal((3, 4))], [True]),
    "rms_norm": (lambda m, x, w: m.nn.functional.rms_norm(x, (4,), w),
                 [_R.standard_normal((3, 4)), _R.standard_normal(4)], [True, True]),
    "group_norm": (lambda m, x, w, b: m.nn.functional.group_norm(x, 2, w, b),
                   [_R.standard_normal((2, 4, 3)), _R.standard_normal(4), _R.standard_normal(4)], [True, True, True]),
    "batch_norm_train": (lambda m, x, w, b: m.nn.functional.batch_norm(x, None, None, w, b, training=True),
                         [_R.standard_normal((4, 3, 2)), _R.standard_normal(3), _R.standard_normal(3)],
                         [True, True, True]),
    "batch_norm_train_stats": (lambda m, x, rm, rv: m.nn.functional.batch_norm(x, rm, rv, training=True),
                               [_R.standard_normal((5, 3))] + _STATS, [True, False, False]),
    "batch_norm_eval": (lambda m, x, rm, rv, w, b: m.nn.functional.batch_norm(x, rm, rv, w, b),
                        [_R.standard_normal((4, 3))] + _STATS + [_R.standard_normal(3), _R.standard_normal(3)],
                        [True, False, False, True, True]),
    "instance_norm": (lambda m, x, w, b: m.nn.functional.instance_norm(x, weight=w, bias=b),
                      [_R.standard_normal((2, 3, 4)), _R.standard_normal(3), _R.standard_normal(3)],
                      [True, True, True]),
    "local_response_norm": (lambda m, x: m.nn.functional.local_response_norm(x, 3, alpha=0.5),
                            [_R.standard_normal((2, 4, 3))], [True]),
    "sdpa": (lambda m, q, k, v: m.nn.functional.scaled_dot_product_attention(q, k, v),
             [_R.standard_normal((2, 3, 4)), _R.standard_normal((2, 5, 4)), _R.standard_normal((2, 5, 6))],
             [True, True, True]),
    "sdpa_float_mask": (lambda m, q, k, v, a: m.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=a),
                        [_R.standard_normal((2, 3, 4)), _R.standard_normal((2, 5, 4)), _R.standard_normal((2, 5, 6)),
                         _R.standard_normal((3, 5))], [True, True, True, True]),
    "sdpa_causal": (lambda m, q, k, v: m.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True),
                    [_R.standard_normal((1, 2, 4, 3)), _R.standard_normal((1, 2, 4, 3)),
                     _R.standard_normal((1, 2, 4, 2))], [True, True, True]),
}


@pytest.mark.parametrize("name", list(DOUBLE))
def test_double_backward_matches_torch(name: str) -> None:
    torch = need_torch()
    fn, arrays, grads = DOUBLE[name]
    for g, t in zip(_double_backward(gg, fn, arrays, grads), _double_backward(torch, fn, arrays, grads)):
        np.testing.assert_allclose(g, t, rtol=1e-8, atol=1e-10)


# ---------------------------------------------------------------------------- stability

def _big(shape: tuple[int, ...], offset: float = 0.0) -> np.ndarray:
    """Values of magnitude 500 to 1000 and either sign, or (with ``offset``) offset ± 1."""
    r = np.random.default_rng(13)
    if offset:
        return offset + r.uniform(-1, 1, size=shape)
    return r.choice([-1000.0, 1000.0], size=shape) * r.uniform(0.5, 1.0, size=shape)


STABLE: dict[str, tuple[Callable[..., Any], list[np.ndarray]]] = {
    "layer_norm": (lambda m, x, w: m.nn.functional.layer_norm(x, (6,), w), [_big((3, 6)), np.ones(6)]),
    "layer_norm_offset": (lambda m, x: m.nn.functional.layer_norm(x, (6,)), [_big((3, 6), 1000.0)]),
    "rms_norm": (lambda m, x, w: m.nn.functional.rms_norm(x, (6,), w), [_big((3, 6)), np.ones(6)]),
    "group_norm": (lambda m, x, w: m.nn.functional.group_norm(x, 2, w), [_big((2, 4, 3)), np.ones(4)]),
    "group_norm_offset": (lambda m, x: m.nn.functional.group_norm(x, 2), [_big((2, 4, 3), 1000.0)]),
    "batch_norm": (lambda m, x, w: m.nn.functional.batch_norm(x, None, None, w, training=True),
                   [_big((4, 3, 2)), np.ones(3)]),
    "batch_norm_offset": (lambda m, x: m.nn.functional.batch_norm(x, None, None, training=True),
                          [_big((8, 3), -1000.0)]),
    "instance_norm": (lambda m, x: m.nn.functional.instance_norm(x), [_big((2, 3, 4))]),
    "local_response_norm": (lambda m, x: m.nn.functional.local_response_norm(x, 3), [_big((2, 4, 3))]),
    "sdpa": (lambda m, q, k, v: m.nn.functional.scaled_dot_product_attention(q, k, v),
             [_big((2, 3, 4)), _big((2, 5, 4)), _big((2, 5, 6))]),
}


def _run_stable(m: Any, name: str, dtype: Any, inputs_dtype: Any = None) -> list[Any]:
    fn, arrays = STABLE[name]
    ins = [_t(m, a.astype(inputs_dtype or dtype).astype(dtype), True) for a in arrays]
    y = fn(m, *ins)
    (y * _t(m, np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)).astype(dtype))).sum().backward()
    return [y] + [t.grad for t in ins]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(STABLE))
def test_stable_at_large_inputs(name: str, dtype: Any) -> None:
    """Finite values and gradients, as PyTorch's in float64.  In float32 glassgrad's moments are
    computed in float64, so they are compared with the exact (float64) result: PyTorch's float32
    kernels lose digits for values far from their mean (its group norm uses E[x²] - E[x]²)."""
    torch = need_torch()
    truth = _run_stable(torch, name, np.float64, inputs_dtype=dtype)  # (from the same rounded inputs)
    for g, t in zip(_run_stable(gg, name, dtype), truth):
        assert np.isfinite(to_np(g)).all()
        assert str(g.dtype) == f"torch.{np.dtype(dtype).name}"
        tv = to_np(t)
        rtol = 1e-5 if dtype == np.float32 else 1e-9
        np.testing.assert_allclose(to_np(g), tv, rtol=rtol, atol=rtol * max(1.0, float(np.abs(tv).max())))


# ---------------------------------------------------------------------------- Hypothesis

if HAVE_HYPOTHESIS:

    @settings(max_examples=15, deadline=None)
    @given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), k=st.integers(1, 4), seed=st.integers(0, 99))
    def test_layer_norm_any_shape(shape: list[int], k: int, seed: int) -> None:
        torch = need_torch()
        k = min(k, len(shape))
        ns = tuple(shape[len(shape) - k:])
        rng = np.random.default_rng(seed)
        x, w, b = rng.standard_normal(shape), rng.standard_normal(ns), rng.standard_normal(ns)
        res = []
        for m in (gg, torch):
            ts = [_t(m, a, True) for a in (x, w, b)]
            y = m.nn.functional.layer_norm(ts[0], ns, ts[1], ts[2])
            (y * y).sum().backward()
            res.append([y] + [t.grad for t in ts])
        for g, t in zip(*res):
            assert_same_tensor(g, t, 1e-7, 1e-9)

    @settings(max_examples=15, deadline=None)
    @given(n=st.integers(1, 3), groups=st.sampled_from([1, 2, 4]), spatial=st.lists(st.integers(1, 3), max_size=2),
           seed=st.integers(0, 99))
    def test_group_norm_any_shape(n: int, groups: int, spatial: list[int], seed: int) -> None:
        torch = need_torch()
        shape = [n, 4] + spatial
        if 4 // groups * int(np.prod(spatial)) == 1:
            return  # one value per group: PyTorch's ValueError (checked in test_errors_match_torch)
        rng = np.random.default_rng(seed)
        x, w = rng.standard_normal(shape), rng.standard_normal(4)
        res = []
        for m in (gg, torch):
            ts = [_t(m, a, True) for a in (x, w)]
            y = m.nn.functional.group_norm(ts[0], groups, ts[1])
            (y * y).sum().backward()
            res.append([y] + [t.grad for t in ts])
        for g, t in zip(*res):
            assert_same_tensor(g, t, 1e-7, 1e-9)
