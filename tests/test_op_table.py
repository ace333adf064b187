"""Every entry of the op database (``tests/opdb/``) checked the same way.

Forward against torch and NumPy, gradients against torch (two spellings of the
upstream gradient), ``grad_fn`` names, and gradients against central finite
differences in float64 (the last needs no torch).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import glassgrad as gg
from opdb import OPS
from opinfo import (
    OpInfo,
    Sample,
    assert_same_tensor,
    build_params,
    check_finite_differences,
    from_np,
    grad_fn_tree,
    need_torch,
    out_tensors,
    primary,
    run_op,
    to_np,
    tolerance,
)

FLOAT_PARAMS = build_params(OPS, (np.float32, np.float64))
GRAD_PARAMS = build_params(OPS, (np.float32, np.float64), needs_grad=True)
NAME_PARAMS = build_params([op for op in OPS if op.check_names], (np.float32,), needs_grad=True)
FD_PARAMS = build_params(OPS, (np.float64,), needs_grad=True, fd=True)


# ---------------------------------------------------------------------------- 1. forward

@pytest.mark.parametrize("op,sample", FLOAT_PARAMS)
def test_forward_matches_torch(op: OpInfo, sample: Sample) -> None:
    torch = need_torch()
    g_out, _ = run_op(gg, op, sample)
    t_out, _ = run_op(torch, op, sample)
    rtol, atol = tolerance(op, sample)
    assert isinstance(g_out, tuple) == isinstance(t_out, tuple)
    g_list, t_list = out_tensors(g_out), out_tensors(t_out)
    assert len(g_list) == len(t_list)
    for i, (g, t) in enumerate(zip(g_list, t_list)):
        assert_same_tensor(g, t, rtol, atol, what=f"output {i}")


@pytest.mark.parametrize("op,sample", [p for p in FLOAT_PARAMS if p.values[0].ref is not None])
def test_forward_matches_numpy(op: OpInfo, sample: Sample) -> None:
    g_out, _ = run_op(gg, op, sample)
    expected = np.asarray(op.ref(*sample.args, **sample.kwargs))
    rtol, atol = tolerance(op, sample)
    got = to_np(primary(g_out))
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=max(rtol, 1e-6) if got.dtype == np.float32 else 1e-10,
                               atol=max(atol, 1e-6) if got.dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("op,sample", FLOAT_PARAMS)
def test_forward_output_flags(op: OpInfo, sample: Sample) -> None:
    """Built from tensors that do not require grad: no ``grad_fn``, ``requires_grad`` False."""
    g_out, _ = run_op(gg, op, sample)
    for g in out_tensors(g_out):
        assert g.grad_fn is None and not g.requires_grad


# ---------------------------------------------------------------------------- 2. gradients vs torch

def _backward(m: Any, out: Any, upstream: np.ndarray) -> None:
    p = primary(out)
    p.backward(gradient=from_np(m, upstream))


@pytest.mark.parametrize("op,sample", GRAD_PARAMS)
def test_grad_matches_torch(op: OpInfo, sample: Sample) -> None:
    torch = need_torch()
    g_out, g_args = run_op(gg, op, sample, requires_grad=True)
    t_out, t_args = run_op(torch, op, sample, requires_grad=True)
    assert primary(g_out).requires_grad == primary(t_out).requires_grad
    for g, t in zip(out_tensors(g_out), out_tensors(t_out)):
        assert g.requires_grad == t.requires_grad
    t_p = primary(t_out)
    upstream = np.random.default_rng(1).standard_normal(tuple(t_p.shape)).astype(to_np(t_p).dtype)
    _backward(torch, t_out, upstream)
    _backward(gg, g_out, upstream)
    rtol, atol = tolerance(op, sample)
    for i, (g, t) in enumerate(zip(g_args, t_args)):
        if not isinstance(t, torch.Tensor):
            continue
        if t.grad is None:
            assert g.grad is None, f"input {i}: torch has no gradient"
        else:
            assert g.grad is not None, f"input {i}: glassgrad has no gradient"
            assert_same_tensor(g.grad, t.grad, rtol, max(atol, 1e-6), what=f"grad of input {i}")


@pytest.mark.parametrize("op,sample", GRAD_PARAMS[::3])
def test_sum_backward_matches_torch(op: OpInfo, sample: Sample) -> None:
    """``out.sum().backward()``: a second spelling of the upstream gradient (every third sample)."""
    torch = need_torch()
    g_out, g_args = run_op(gg, op, sample, requires_grad=True)
    t_out, t_args = run_op(torch, op, sample, requires_grad=True)
    primary(t_out).sum().backward()
    primary(g_out).sum().backward()
    rtol, atol = tolerance(op, sample)
    for i, (g, t) in enumerate(zip(g_args, t_args)):
        if isinstance(t, torch.Tensor) and t.grad is not None:
            assert_same_tensor(g.grad, t.grad, rtol, max(atol, 1e-6), what=f"grad of input {i}")


# ---------------------------------------------------------------------------- 3. grad_fn names

@pytest.mark.parametrize("op,sample", NAME_PARAMS)
def test_grad_fn_names_match_torch(op: OpInfo, sample: Sample) -> None:
    torch = need_torch()
    g_out, _ = run_op(gg, op, sample, requires_grad=True)
    t_out, _ = run_op(torch, op, sample, requires_grad=True)
    for i, (g, t) in enumerate(zip(out_tensors(g_out), out_tensors(t_out))):
        assert grad_fn_tree(g) == grad_fn_tree(t), f"output {i}"
        assert g.is_leaf == t.is_leaf



@pytest.mark.parametrize("op,sample", FD_PARAMS)
def test_grad_matches_finite_differences(op: OpInfo, sample: Sample) -> None:
    check_finite_differences(op, sample)


def test_op_table_is_well_formed() -> None:
    names = [op.name for op in OPS]
    assert len(names) == len(set(names)), "op names must be unique"
    assert len(FD_PARAMS) > 100


# ---------------------------------------------------------------------------- 5. second derivatives vs torch

def _first_sample_params() -> list[Any]:
    """One float64 sample per differentiable op (the first), for the double-backward check."""
    seen: set[str] = set()
    out = []
    for p in build_params(OPS, (np.float64,), needs_grad=True):
        op = p.values[0]
        if op.name not in seen and op.fd:
            seen.add(op.name)
            out.append(p)
    return out


def _second_derivatives(m: Any, op: OpInfo, sample: Sample) -> Any:
    out, args = run_op(m, op, sample, requires_grad=True)
    p = primary(out)
    xs = [a for a in args if isinstance(a, m.Tensor) and a.requires_grad]
    rng = np.random.default_rng(5)
    v = from_np(m, rng.standard_normal(tuple(p.shape)))
    firsts = m.autograd.grad(p, xs, v, create_graph=True, allow_unused=True)
    s = None
    for g, x in zip(firsts, xs):
        if g is not None and g.requires_grad:
            w = from_np(m, rng.standard_normal(tuple(x.shape)))
            term = (g * w).sum()
            s = term if s is None else s + term
    if s is None:
        return [None] * len(xs)
    seconds = m.autograd.grad(s, xs, allow_unused=True)
    # force: PyTorch returns ZeroTensors for the (zero) second derivative of piecewise-linear ops
    return [None if g is None else np.asarray(g.detach().numpy(force=True)) for g in seconds]


#: glassgrad has first derivatives only for these (the singular values' second derivative is not written yet)
FIRST_ORDER_ONLY = {"linalg_svdvals", "linalg_matrix_norm_nuc", "linalg_matrix_norm_2", "linalg_matrix_norm_-2"}


@pytest.mark.parametrize("op,sample", _first_sample_params())
def test_double_backward_matches_torch(op: OpInfo, sample: Sample) -> None:
    """create_graph=True through every op: second derivatives (a vector-Hessian product) equal PyTorch's."""
    torch = need_torch()
    if op.name in FIRST_ORDER_ONLY:
        with pytest.raises(NotImplementedError, match="second derivative of the singular values"):
            _second_derivatives(gg, op, sample)
        return
    try:
        want = _second_derivatives(torch, op, sample)
    except RuntimeError:  # PyTorch has no double backward here: glassgrad must refuse too
        with pytest.raises((RuntimeError, NotImplementedError)):
            _second_derivatives(gg, op, sample)
        return
    got = _second_derivatives(gg, op, sample)
    for i, (g, t) in enumerate(zip(got, want)):
        if t is None or g is None:  # no dependence: one side may report None, the other zeros
            assert (g is None or not np.any(g)) and (t is None or not np.any(t)), f"input {i}"
        else:
            np.testing.assert_allclose(g, t, rtol=1e-7, atol=1e-9, err_msg=f"input {i}")
