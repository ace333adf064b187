"""Binary/ternary elementwise ops beyond the op table (``tests/opdb/binary.py``).

Error types and texts, dtype rules (integers, bools, Python numbers, 0-d promotion), NaN and
signed-zero behaviour, the NotImplemented grad_fn of floor_divide and ``number % tensor``,
in-place semantics, ``out=``, gradients at the clamp bounds, double backward and stability at ±1000,
each compared with PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassgrad as gg
from opinfo import need_torch, to_np

try:  # Hypothesis is a test dependency; without it only its test is skipped.
    from hypothesis import given, settings
    from hypothesis import strategies as st

    HAVE_HYPOTHESIS = True
except ImportError:  # pragma: no cover
    HAVE_HYPOTHESIS = False


# ---------------------------------------------------------------------------- helpers
def _compare_values(g: Any, t: Any, what: str = "") -> None:
    torch = need_torch()
    if isinstance(t, torch.Tensor):
        assert isinstance(g, gg.Tensor), f"{what}: glassgrad returned {type(g).__name__}"
        assert str(g.dtype) == str(t.dtype), f"{what}: dtype {g.dtype} != {t.dtype}"
        assert tuple(g.shape) == tuple(t.shape), f"{what}: shape {tuple(g.shape)} != {tuple(t.shape)}"
        gv, tv = to_np(g), to_np(t)
        if tv.dtype.kind == "f":
            np.testing.assert_allclose(gv, tv, rtol=1e-6, atol=1e-7, equal_nan=True, err_msg=what)
            both_zero = (gv == 0) & (tv == 0)
            assert (np.signbit(gv) == np.signbit(tv))[both_zero].all(), f"{what}: sign of zero differs"
        else:
            np.testing.assert_array_equal(gv, tv, err_msg=what)
    elif isinstance(t, (tuple, list)):
        assert len(g) == len(t)
        for i, (a, b) in enumerate(zip(g, t)):
            _compare_values(a, b, f"{what}[{i}]")
    else:
        assert g == t, what


def same(fn: Callable[[Any], Any]) -> None:
    """``fn(glassgrad)`` and ``fn(torch)`` return the same values, or raise the same error (type and text)."""
    torch = need_torch()
    results = []
    for m in (gg, torch):
        try:
            results.append((True, fn(m)))
        except Exception as e:  # noqa: BLE001 - the exception itself is compared
            results.append((False, e))
    (g_ok, g), (t_ok, t) = results
    assert g_ok == t_ok, f"glassgrad: {g!r}, torch: {t!r}"
    if not t_ok:
        assert type(g) is type(t), f"{type(g).__name__} != {type(t).__name__}: {g}"
        assert str(g) == str(t)
    else:
        _compare_values(g, t)


def _f(m: Any, *v: Any, **kw: Any) -> Any:
    return m.tensor(list(v) if len(v) != 1 else v[0], **kw)


I5 = (5, -3, 7, 0, 2)
J5 = (2, 2, -3, 3, -1)
F5 = (1.5, -2.5, 3.0, float("nan"), -0.0)
B5 = (True, False, True, False, True)


# ---------------------------------------------------------------------------- errors
ERRORS: dict[str, Callable[[Any], Any]] = {
    "atan2_number_other": lambda m: m.atan2(_f(m, 1.0, 2.0), 2),
    "atan2_number_input": lambda m: m.atan2(2, _f(m, 1.0, 2.0)),
    "atan2_method_number": lambda m: _f(m, 1.0, 2.0).atan2(2),
    "atan2_inplace_number": lambda m: _f(m, 1.0, 2.0).atan2_(2.5),
    "arctan2_method_number": lambda m: _f(m, 1.0, 2.0).arctan2(1),
    "fmax_number": lambda m: m.fmax(_f(m, 1.0), 2.0),
    "fmin_method_number": lambda m: _f(m, 1.0).fmin(2),
    "hypot_number": lambda m: m.hypot(_f(m, 1.0), 1),
    "hypot_method_number": lambda m: _f(m, 1.0).hypot(1),
    "hypot_long": lambda m: m.hypot(_f(m, *I5), _f(m, *J5)),
    "hypot_bool": lambda m: m.hypot(_f(m, *B5), _f(m, *B5)),
    "logical_and_number": lambda m: m.logical_and(_f(m, 1.0), 1),
    "logical_or_method_number": lambda m: _f(m, 1.0).logical_or(True),
    "logical_xor_number_input": lambda m: m.logical_xor(0, _f(m, 1.0)),
    "fmod_number_input": lambda m: m.fmod(2, _f(m, 1.0)),
    "fmod_method_str": lambda m: _f(m, 1.0).fmod("a"),
    "fmod_inplace_str": lambda m: _f(m, 1.0).fmod_("a"),
    "copysign_number_input": lambda m: m.copysign(2, _f(m, 1.0)),
    "copysign_method_str": lambda m: _f(m, 1.0).copysign("a"),
    "remainder_numbers": lambda m: m.remainder(2, 2),
    "xlogy_numbers": lambda m: m.xlogy(2, 2),
    "fmod_bool": lambda m: m.fmod(_f(m, *B5), _f(m, *B5)),
    "remainder_bool": lambda m: m.remainder(_f(m, *B5), _f(m, *B5)),
    "floor_divide_bool": lambda m: m.floor_divide(_f(m, *B5), _f(m, *B5)),
    "fmod_int_by_zero": lambda m: m.fmod(_f(m, *I5), 0),
    "remainder_int_by_zero_tensor": lambda m: m.remainder(_f(m, *I5), _f(m, 1, 0, 1, 1, 1)),
    "floor_divide_int_by_zero": lambda m: m.floor_divide(_f(m, *I5), 0),
    "remainder_number_by_int_zero": lambda m: m.remainder(2, _f(m, *I5)),
    "floordiv_op_int_zero": lambda m: _f(m, *I5) // _f(m, *I5),
    "clamp_no_bounds": lambda m: m.clamp(_f(m, 1.0)),
    "clamp_none_bounds": lambda m: m.clamp(_f(m, 1.0), None, None),
    "clamp_method_no_bounds": lambda m: _f(m, 1.0).clamp(),
    "clamp_tensor_and_number": lambda m: m.clamp(_f(m, 1.0, 2.0), _f(m, [0.0]), 0.5),
    "clamp_number_and_tensor": lambda m: m.clamp(_f(m, 1.0, 2.0), 0.5, _f(m, [3.0])),
    "clamp_0d_grad_tensor_and_number": lambda m: m.clamp(_f(m, 1.0, 2.0), _f(m, 0.0, requires_grad=True), 0.5),
    "clip_tensor_and_number": lambda m: m.clip(_f(m, 1.0, 2.0), _f(m, [0.0]), 0.5),
    "clamp_method_tensor_and_number": lambda m: _f(m, 1.0, 2.0).clamp(_f(m, [0.0]), 0.5),
    "clip_method_tensor_and_number": lambda m: _f(m, 1.0, 2.0).clip(_f(m, [0.0]), 0.5),
    "clamp_inplace_tensor_and_number": lambda m: _f(m, 1.0, 2.0).clamp_(_f(m, [0.0]), 0.5),
    "clamp_min_none": lambda m: m.clamp_min(_f(m, 1.0), None),
    "clamp_min_method_none": lambda m: _f(m, 1.0).clamp_min(None),
    "clamp_max_inplace_none": lambda m: _f(m, 1.0).clamp_max_(None),
    "clamp_broadcast": lambda m: m.clamp(m.zeros(3, 4), m.zeros(2, 4)),
    "clamp_inplace_int_float_bounds": lambda m: _f(m, 1, 2).clamp_(0.5, 1.5),
    "clamp_inplace_broadcast": lambda m: m.ones(2).clamp_(m.zeros(2, 2)),
    "lerp_end_dtype": lambda m: m.lerp(_f(m, 1.0, 2.0), _f(m, 1.0, 2.0, dtype=m.float64), 0.5),
    "lerp_end_long": lambda m: m.lerp(_f(m, 1.0, 2.0), _f(m, 1, 2), 0.5),
    "lerp_weight_dtype": lambda m: m.lerp(_f(m, 1.0, 2.0), _f(m, 1.0, 2.0), _f(m, 0.5, 0.5, dtype=m.float64)),
    "lerp_number_end": lambda m: m.lerp(_f(m, 1.0, 2.0), 2.0, 0.5),
    "lerp_method_number_end": lambda m: _f(m, 1.0, 2.0).lerp(2.0, 0.5),
    "lerp_inplace_number_end": lambda m: _f(m, 1.0, 2.0).lerp_(2.0, 0.5),
    "lerp_long": lambda m: m.lerp(_f(m, 1, 2), _f(m, 1, 2), 0.5),
    "lerp_long_tensor_weight": lambda m: m.lerp(_f(m, 1, 2), _f(m, 1, 2), _f(m, 1, 2)),
    "lerp_broadcast": lambda m: m.lerp(m.ones(2), m.ones(3), 0.5),
    "lerp_inplace_broadcast": lambda m: m.ones(2).lerp_(m.ones(2, 2), 0.5),
    "atan2_broadcast": lambda m: m.atan2(m.ones(3), m.ones(2)),
    "fmax_broadcast": lambda m: m.fmax(m.ones(2, 3), m.ones(2)),
    "atan2_inplace_long": lambda m: _f(m, 1, 2).atan2_(_f(m, 1, 2)),
    "fmod_inplace_long_float": lambda m: _f(m, 1, 2).fmod_(1.5),
    "remainder_inplace_long_float": lambda m: _f(m, 1, 2).remainder_(0.5),
    "inplace_on_leaf": lambda m: _f(m, 1.0, 2.0, requires_grad=True).clamp_(0.0, 1.0),
    "inplace_on_leaf_lerp": lambda m: _f(m, 1.0, 2.0, requires_grad=True).lerp_(_f(m, 0.0, 0.0), 0.5),
    "no_fmax_inplace": lambda m: _f(m, 1.0).fmax_(_f(m, 1.0)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name: str) -> None:
    same(ERRORS[name])


# ---------------------------------------------------------------------------- dtypes, numbers, NaN, zeros
VALUES: dict[str, Callable[[Any], Any]] = {}
for _name in ("atan2", "fmax", "fmin", "fmod", "remainder", "floor_divide", "copysign", "xlogy", "logical_and",
              "logical_or", "logical_xor"):
    VALUES[f"{_name}_long_long"] = lambda m, _n=_name: getattr(m, _n)(_f(m, *I5), _f(m, *J5))
    VALUES[f"{_name}_long_float"] = lambda m, _n=_name: getattr(m, _n)(_f(m, *I5), _f(m, *F5))
    VALUES[f"{_name}_float_long"] = lambda m, _n=_name: getattr(m, _n)(_f(m, *F5), _f(m, *J5))
    VALUES[f"{_name}_bool_long"] = lambda m, _n=_name: getattr(m, _n)(_f(m, *B5), _f(m, *J5))
    VALUES[f"{_name}_f64_f32"] = lambda m, _n=_name: getattr(m, _n)(_f(m, *F5, dtype=m.float64), _f(m, *J5).float())
    VALUES[f"{_name}_f32_0d_f64"] = lambda m, _n=_name: getattr(m, _n)(_f(m, *F5), _f(m, 2.5, dtype=m.float64))
    VALUES[f"{_name}_0d_long_f32"] = lambda m, _n=_name: getattr(m, _n)(_f(m, 3), _f(m, *F5))
for _name in ("fmod", "remainder", "floor_divide", "copysign", "xlogy"):
    for _s in (2, 2.5, -1.5, True):
        VALUES[f"{_name}_long_number_{_s}"] = lambda m, _n=_name, _s=_s: getattr(m, _n)(_f(m, *I5), _s)
        VALUES[f"{_name}_float_number_{_s}"] = lambda m, _n=_name, _s=_s: getattr(m, _n)(_f(m, *F5), _s)
for _name in ("remainder", "floor_divide", "xlogy"):
    for _s in (2, 2.5, -3):
        VALUES[f"{_name}_number_{_s}_long"] = lambda m, _n=_name, _s=_s: getattr(m, _n)(_s, _f(m, *J5))
        VALUES[f"{_name}_number_{_s}_float"] = lambda m, _n=_name, _s=_s: getattr(m, _n)(_s, _f(m, *F5))
VALUES.update({
    "hypot_float_long": lambda m: m.hypot(_f(m, *F5), _f(m, *J5)),
    "hypot_0d": lambda m: m.hypot(_f(m, 3.0), _f(m, 4.0)),
    "hypot_huge": lambda m: m.hypot(m.tensor(np.array([1e200, 3e300])), m.tensor(np.array([1e200, 4e300]))),
    "hypot_f32_large": lambda m: m.hypot(_f(m, 3e30, 1e-30), _f(m, 4e30, 1e-30)),
    "atan2_zeros": lambda m: m.atan2(_f(m, 0.0, -0.0, 0.0, -0.0), _f(m, 0.0, 0.0, -0.0, -0.0)),
    "remainder_zero_signs": lambda m: m.remainder(_f(m, 2.5, -2.5, 0.0, -0.0, 5.0), _f(m, -2.5, 2.5, -1.0, 1.0, 2.5)),
    "fmod_zero_signs": lambda m: m.fmod(_f(m, 2.5, -2.5, 0.0, -0.0, 5.0), _f(m, -2.5, 2.5, -1.0, 1.0, 2.5)),
    "floor_divide_zero_signs": lambda m: m.floor_divide(_f(m, 0.5, -0.5, 0.0, -0.0, 1.0), _f(m, 2.0, 2.0, -1.0, 1.0, 0.0)),
    "remainder_by_zero": lambda m: m.remainder(_f(m, *F5), 0.0),
    "fmod_by_zero": lambda m: m.fmod(_f(m, *F5), 0),
    "floor_divide_by_zero": lambda m: m.floor_divide(_f(m, *F5), 0.0),
    "remainder_f32_rounding": lambda m: m.remainder(_f(m, 1e8, -1e8, 0.1, -7.3), _f(m, 0.3, 0.3, -0.7, 2.1)),
    "floor_divide_f32_rounding": lambda m: m.floor_divide(_f(m, 1e8, -1e8, 0.1, -7.3), _f(m, 0.3, 0.3, -0.7, 2.1)),
    "mod_operator": lambda m: _f(m, *F5) % 1.5,
    "rmod_operator": lambda m: 2.5 % _f(m, *J5),
    "rmod_operator_int": lambda m: 2 % _f(m, *J5),
    "floordiv_operator": lambda m: _f(m, *F5) // -1.5,
    "rfloordiv_operator": lambda m: 7 // _f(m, *J5),
    "rfloordiv_operator_float": lambda m: 7.5 // _f(m, *F5),
    "floordiv_tensors": lambda m: _f(m, *I5) // _f(m, *J5),
    "clamp_nan": lambda m: m.clamp(_f(m, *F5), -1, 2),
    "clamp_nan_bound": lambda m: m.clamp(_f(m, *F5), float("nan"), 2),
    "clamp_min_above_max": lambda m: m.clamp(_f(m, *F5), 2, 1),
    "clamp_long_float_bounds": lambda m: _f(m, *I5).clamp(-1.5, 2.5),
    "clamp_long_int_bounds": lambda m: _f(m, *I5).clamp(-1, 2),
    "clamp_bool": lambda m: _f(m, *B5).clamp(0, 1),
    "clamp_long_tensor_float": lambda m: _f(m, *I5).clamp(_f(m, 0.5)),
    "clamp_f32_tensor_f64": lambda m: _f(m, *F5).clamp(_f(m, 0.5, dtype=m.float64)),
    "clamp_f32_0d_f64": lambda m: _f(m, *F5).clamp(_f(m, 0.5, dtype=m.float64), _f(m, 1.0, dtype=m.float64)),
    "clamp_tensor_nan_bound": lambda m: _f(m, *F5).clamp(_f(m, float("nan"), 0.0, 0.0, 0.0, 0.0)),
    "clamp_long_tensor_bounds": lambda m: _f(m, *F5).clamp(_f(m, 0), _f(m, 1)),
    "clamp_0d_tensor_and_number": lambda m: _f(m, *F5).clamp(_f(m, 0.5), 1.5),
    "clamp_0d_tensor_and_number_grad_fn": lambda m: _f(m, *F5, requires_grad=True).clamp(max=_f(m, 0.5), min=-1).grad_fn.name(),
    "clamp_signed_zeros": lambda m: m.clamp(_f(m, -0.0, 0.0, -0.0, 0.0), _f(m, 0.0, -0.0, -0.0, 0.0)),
    "clamp_number_signed_zeros": lambda m: m.clamp(_f(m, -0.0, 0.0), 0.0, -0.0),
    "clamp_min_signed_zeros": lambda m: m.clamp_min(_f(m, -0.0, 0.0), 0.0),
    "fmax_signed_zeros": lambda m: m.fmax(_f(m, -0.0, 0.0), _f(m, 0.0, -0.0)),
    "fmin_signed_zeros": lambda m: m.fmin(_f(m, -0.0, 0.0), _f(m, 0.0, -0.0)),
    "clamp_min_long": lambda m: m.clamp_min(_f(m, *I5), 1),
    "clamp_max_float_on_long": lambda m: m.clamp_max(_f(m, *I5), 1.5),
    "fmax_nan": lambda m: m.fmax(_f(m, *F5), _f(m, float("nan"), 1.0, float("nan"), float("nan"), 0.0)),
    "fmin_nan": lambda m: m.fmin(_f(m, *F5), _f(m, float("nan"), 1.0, float("nan"), float("nan"), 0.0)),
    "fmax_bool": lambda m: m.fmax(_f(m, *B5), _f(m, False, True, False, True, False)),
    "xlogy_zeros_nan": lambda m: m.xlogy(_f(m, 0.0, 0.0, 0.0, 1.0, 2.0), _f(m, 0.0, float("nan"), -1.0, 0.0, -1.0)),
    "xlogy_bools": lambda m: m.xlogy(_f(m, *B5), _f(m, *B5)),
    "lerp_f16": lambda m: m.lerp(_f(m, 0.1, 1.7, dtype=m.float16), _f(m, 3.3, -2.1, dtype=m.float16), 0.3),
    "lerp_0d_f64_weight": lambda m: m.lerp(_f(m, 1.0, 2.0), _f(m, 3.0, 5.0), _f(m, 0.5, dtype=m.float64)),
    "lerp_int_weight": lambda m: m.lerp(_f(m, 1.0, 2.0), _f(m, 3.0, 5.0), 2),
    "lerp_f32_exact": lambda m: m.lerp(_f(m, 0.1, 1e-8, -3.7, 1e6), _f(m, 0.7, 3.3, 1e-3, -1e6), 0.3),
    "lerp_f32_exact_big_weight": lambda m: m.lerp(_f(m, 0.1, 1e-8, -3.7, 1e6), _f(m, 0.7, 3.3, 1e-3, -1e6), 0.7),
    "lerp_f32_tensor_weight": lambda m: m.lerp(_f(m, 0.1, 1e-8, -3.7), _f(m, 0.7, 3.3, 1e-3), _f(m, 0.3, 0.5, 0.9)),
    "logical_and_empty": lambda m: m.logical_and(m.zeros(0), m.ones(2, 0)),
    "copysign_zero_other": lambda m: m.copysign(_f(m, 1.0, 2.0, 3.0), _f(m, 0.0, -0.0, float("nan"))),
})


@pytest.mark.parametrize("name", list(VALUES))
def test_values_and_dtypes_match_torch(name: str) -> None:
    same(VALUES[name])


def test_out_argument() -> None:
    for m_fn in (lambda m, out: m.atan2(_f(m, 1.0, 2.0), _f(m, 3.0, 4.0), out=out),
                 lambda m, out: m.clamp(_f(m, 1.0, 2.0), 0.0, 1.5, out=out),
                 lambda m, out: m.fmod(_f(m, 1.0, 2.0), 1.5, out=out),
                 lambda m, out: m.remainder(_f(m, 1.0, -2.0), 1.5, out=out),
                 lambda m, out: m.floor_divide(_f(m, 1.0, -2.0), 1.5, out=out),
                 lambda m, out: m.lerp(_f(m, 1.0, 2.0), _f(m, 3.0, 4.0), 0.5, out=out),
                 lambda m, out: m.hypot(_f(m, 1.0, 2.0), _f(m, 3.0, 4.0), out=out),
                 lambda m, out: m.xlogy(_f(m, 1.0, 2.0), 3.0, out=out),
                 lambda m, out: m.fmax(_f(m, 1.0, 2.0), _f(m, 3.0, 0.0), out=out)):
        def run(m: Any, fn: Any = m_fn) -> Any:
            out = m.empty(2)
            r = fn(m, out)
            assert r is out
            return out
        same(run)
    same(lambda m: m.logical_xor(_f(m, 1.0, 0.0), _f(m, 1.0, 1.0), out=m.empty(2)))
    same(lambda m: m.atan2(_f(m, 1.0, 2.0, requires_grad=True), _f(m, 3.0, 4.0), out=m.empty(2)))


# ---------------------------------------------------------------------------- NotImplemented grad_fn
NOT_IMPLEMENTED = {
    "floordiv_number": lambda m, x, y: x // 2,
    "rfloordiv_number": lambda m, x, y: 2 // x,
    "floordiv_tensors": lambda m, x, y: x // y,
    "floordiv_tensor_no_grad_lhs": lambda m, x, y: y.detach() // x,
    "floor_divide_fn": lambda m, x, y: m.floor_divide(x, y.detach()),
    "rmod_number": lambda m, x, y: 2.5 % x,
    "remainder_number_first": lambda m, x, y: m.remainder(2, x),
}


@pytest.mark.parametrize("name", list(NOT_IMPLEMENTED))
def test_not_implemented_grad_fn(name: str) -> None:
    torch = need_torch()
    results = []
    for m in (gg, torch):
        x = m.tensor([1.5, -2.5, 3.0], requires_grad=True)
        y = m.tensor([0.5, 2.0, -1.0], requires_grad=True)
        out = NOT_IMPLEMENTED[name](m, x, y)
        fn = out.grad_fn
        below = [None if f is None else f.name() for f, _ in fn.next_functions]
        with pytest.raises(RuntimeError) as e:
            out.sum().backward()
        results.append((fn.name(), below, repr(fn).split(" object")[0], str(e.value), to_np(out)))
    (gn, gb, grepr, gmsg, gv), (tn, tb, trepr, tmsg, tv) = results
    assert (gn, gb, grepr, gmsg) == (tn, tb, trepr, tmsg)
    np.testing.assert_allclose(gv, tv)


def test_scalar_operand_grad_fn_names() -> None:
    torch = need_torch()
    for fn in (lambda m, x: x % 2, lambda m, x: m.fmod(x, 2.5), lambda m, x: m.copysign(x, -1),
               lambda m, x: m.xlogy(x, 2.0), lambda m, x: m.xlogy(2.0, x.abs()), lambda m, x: m.lerp(x, x * 2, 0.3),
               lambda m, x: m.clamp_min(x, 0.0), lambda m, x: m.clamp_max(x, 0.0), lambda m, x: x.clip(max=0.5)):
        names = []
        for m in (gg, torch):
            x = m.tensor([1.5, -2.5, 3.0], requires_grad=True)
            names.append(fn(m, x).grad_fn.name())
        assert names[0] == names[1]


# ---------------------------------------------------------------------------- gradients at kinks and ties
def _grads(m: Any, fn: Callable[..., Any], arrays: list[np.ndarray]) -> list[Any]:
    xs = [m.tensor(a, requires_grad=True) for a in arrays]
    out = fn(m, *xs)
    out.backward(m.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(tuple(out.shape))))
    return [x.grad for x in xs]


KINKS: dict[str, tuple[Callable[..., Any], list[Any]]] = {
    "clamp_at_bounds": (lambda m, x: m.clamp(x, -1.0, 1.0), [[-1.0, 1.0, 0.0, -2.0, 2.0]]),
    "clamp_min_at_bound": (lambda m, x: x.clamp(min=1.0), [[-1.0, 1.0, 0.0, -2.0, 2.0]]),
    "clamp_max_at_bound": (lambda m, x: m.clamp_max(x, 1.0), [[-1.0, 1.0, 0.0, -2.0, 2.0]]),
    "clamp_min_above_max": (lambda m, x: m.clamp(x, 1.0, -1.0), [[-1.0, 1.0, 0.0, -2.0, 2.0]]),
    "clamp_tensor_ties": (lambda m, x, lo, hi: m.clamp(x, lo, hi),
                          [[-1.0, 1.0, 0.0, 0.5, 2.0], [-1.0, 0.0, 0.0, 1.0, 3.0], [1.0, 1.0, 0.0, 0.0, 2.0]]),
    "clamp_tensor_min_ties": (lambda m, x, lo: m.clamp(x, min=lo), [[-1.0, 1.0, 0.0], [-1.0, 0.0, 1.0]]),
    "clamp_tensor_max_ties": (lambda m, x, hi: m.clamp(x, max=hi), [[-1.0, 1.0, 0.0], [-1.0, 0.0, 1.0]]),
    "clamp_min_tensor_ties": (lambda m, x, lo: m.clamp_min(x, lo), [[-1.0, 1.0, 0.0], [-1.0, 0.0, 1.0]]),
    "clamp_max_tensor_ties": (lambda m, x, hi: m.clamp_max(x, hi), [[-1.0, 1.0, 0.0], [-1.0, 0.0, 1.0]]),
    "clamp_nan": (lambda m, x: m.clamp(x, -1.0, 1.0), [[float("nan"), 0.5]]),
    "clamp_tensor_broadcast_bound": (lambda m, x, lo, hi: m.clamp(x, lo, hi), [[[0.5, -2.0], [3.0, 0.0]], [0.0], [1.0, 2.0]]),
    "fmax_ties_nan": (lambda m, a, b: m.fmax(a, b), [[1.0, float("nan"), 2.0, float("nan")], [1.0, 3.0, float("nan"), float("nan")]]),
    "fmin_ties_nan": (lambda m, a, b: m.fmin(a, b), [[1.0, float("nan"), 2.0, float("nan")], [1.0, 3.0, float("nan"), float("nan")]]),
    "copysign_zero": (lambda m, a, b: m.copysign(a, b), [[0.0, -0.0, 2.0, -3.0], [-1.0, 1.0, -0.0, float("nan")]]),
    "copysign_number_zero": (lambda m, a: m.copysign(a, -2.0), [[0.0, -0.0, 2.0]]),
    "xlogy_zero": (lambda m, a, b: m.xlogy(a, b), [[0.0, 0.0, 0.0, 1.0], [0.0, -1.0, 2.0, 0.0]]),
    "xlogy_number_other_nonpositive": (lambda m, a: m.xlogy(a, -1.0), [[0.0, 2.0]]),
    "xlogy_number_other_zero": (lambda m, a: m.xlogy(a, 0.0), [[0.0, 2.0]]),
    "xlogy_number_self": (lambda m, b: m.xlogy(0.0, b), [[0.0, 2.0]]),
    "hypot_origin": (lambda m, a, b: m.hypot(a, b), [[0.0, 3.0], [0.0, 4.0]]),
    "atan2_origin": (lambda m, a, b: m.atan2(a, b), [[0.0, 1.0], [0.0, 0.0]]),
    "fmod_at_jump": (lambda m, a, b: m.fmod(a, b), [[3.0, -3.0, 2.5], [1.5, 1.5, -0.5]]),
    "remainder_at_jump": (lambda m, a, b: m.remainder(a, b), [[3.0, -3.0, 2.5], [1.5, 1.5, -0.5]]),
    "lerp_weight_half": (lambda m, a, b, w: m.lerp(a, b, w), [[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]]),
}


@pytest.mark.parametrize("name", list(KINKS))
def test_gradients_at_kinks_match_torch(name: str) -> None:
    fn, values = KINKS[name]
    arrays = [np.asarray(v, dtype=np.float64) for v in values]
    same(lambda m: _grads(m, fn, arrays))


# ---------------------------------------------------------------------------- in-place semantics
INPLACE: dict[str, Callable[[Any, Any, Any], Any]] = {
    "clamp_": lambda m, y, o: y.clamp_(-0.5, 0.5),
    "clamp_tensor_": lambda m, y, o: y.clamp_(o),
    "clip_": lambda m, y, o: y.clip_(max=o),
    "clamp_min_": lambda m, y, o: y.clamp_min_(o),
    "clamp_max_": lambda m, y, o: y.clamp_max_(0.25),
    "atan2_": lambda m, y, o: y.atan2_(o),
    "arctan2_": lambda m, y, o: y.arctan2_(o),
    "hypot_": lambda m, y, o: y.hypot_(o),
    "lerp_": lambda m, y, o: y.lerp_(o, 0.25),
    "lerp_tensor_": lambda m, y, o: y.lerp_(o, o),
    "fmod_": lambda m, y, o: y.fmod_(o),
    "remainder_": lambda m, y, o: y.remainder_(1.5),
    "imod": lambda m, y, o: y.__imod__(o),
    "ifloordiv": lambda m, y, o: y.__ifloordiv__(o),
    "floor_divide_": lambda m, y, o: y.floor_divide_(o),
    "copysign_": lambda m, y, o: y.copysign_(o),
    "xlogy_": lambda m, y, o: y.xlogy_(o.abs()),
    "logical_and_": lambda m, y, o: y.logical_and_(o),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_matches_torch(name: str) -> None:
    """The op writes into self (same object, version bumped), records torch's grad_fn, and the gradients
    to self's history and to the other operand match torch's."""
    torch = need_torch()
    fn = INPLACE[name]
    results = []
    for m in (gg, torch):
        x = m.tensor([1.5, -2.5, 3.0, 0.3], dtype=m.float64, requires_grad=True)
        o = m.tensor([0.7, 2.0, -1.0, 0.2], dtype=m.float64, requires_grad=True)
        y = x * 1.0
        v = y._version
        r = fn(m, y, o)
        assert r is y and y._version > v
        names = (None if y.grad_fn is None else y.grad_fn.name(),
                 [None if f is None else f.name() for f, _ in y.grad_fn.next_functions] if y.grad_fn else None)
        grads = None
        if y.requires_grad and name not in ("floor_divide_", "ifloordiv"):
            y.backward(m.ones_like(y))
            grads = (x.grad, o.grad)
        results.append((y.detach(), names, grads))
    (gy, gnames, ggrads), (ty, tnames, tgrads) = results
    _compare_values(gy, ty, "value")
    assert gnames == tnames
    if tgrads is not None:
        for a, b in zip(ggrads, tgrads):
            assert (a is None) == (b is None)
            if b is not None:
                _compare_values(a, b, "grad")


def test_inplace_without_grad_on_leaf_and_with_grad_other() -> None:
    torch = need_torch()
    for m in (gg, torch):
        x = m.tensor([1.5, -2.5], requires_grad=True)
        with m.no_grad():
            x.clamp_(-1.0, 1.0)
        assert x.grad_fn is None and x.tolist() == [1.0, -1.0]
    results = []
    for m in (gg, torch):
        y = m.zeros(2)
        o = m.tensor([1.0, 3.0], requires_grad=True)
        y.lerp_(o, 0.25)
        nxt = [None if f is None else f.name() for f, _ in y.grad_fn.next_functions]
        y.sum().backward()
        results.append((y.grad_fn.name(), nxt, o.grad.tolist()))
    assert results[0] == results[1]


def test_inplace_mod_operator_statement() -> None:
    same(lambda m: _augmented(m))


def _augmented(m: Any) -> Any:
    y = m.tensor([5.5, -3.0, 7.0])
    y %= 2
    z = m.tensor([5, -3, 7])
    z //= 2
    return y, z


# ---------------------------------------------------------------------------- double backward
DOUBLE: dict[str, tuple[Callable[..., Any], list[Any]]] = {
    "atan2": (lambda m, a, b: m.atan2(a, b), [[1.5, -2.0, 0.3], [0.5, 1.0, -2.0]]),
    "hypot": (lambda m, a, b: m.hypot(a, b), [[1.5, -2.0, 0.3], [0.5, 1.0, -2.0]]),
    "clamp": (lambda m, a: m.clamp(a * a, -0.5, 1.0), [[0.5, -2.0, 0.3]]),
    "clamp_min": (lambda m, a: m.clamp_min(a * a, 0.2), [[0.5, -2.0, 0.3]]),
    "clamp_max": (lambda m, a: a.clamp_max(0.2) * a, [[0.5, -2.0, 0.3]]),
    "clamp_tensor": (lambda m, a, lo, hi: m.clamp(a * a, lo * lo, hi), [[0.5, -2.0, 0.3], [0.1, 1.0, 1.0], [1.0, 1.5, 0.2]]),
    "clamp_min_tensor": (lambda m, a, lo: m.clamp_min(a * lo, lo * lo), [[0.5, -2.0, 0.3], [0.1, 1.0, 1.0]]),
    "clamp_max_tensor": (lambda m, a, hi: m.clamp_max(a * hi, hi), [[0.5, -2.0, 0.3], [0.1, 1.0, 1.0]]),
    "fmax": (lambda m, a, b: m.fmax(a * b, b), [[1.5, -2.0, 0.3], [0.5, 1.0, -2.0]]),
    "fmin": (lambda m, a, b: m.fmin(a * b, b), [[1.5, -2.0, 0.3], [0.5, 1.0, -2.0]]),
    "lerp": (lambda m, a, b: m.lerp(a * a, b * a, 0.3), [[1.5, -2.0, 0.3], [0.5, 1.0, -2.0]]),
    "lerp_tensor_weight": (lambda m, a, b, w: m.lerp(a, b, w * w), [[1.5, -2.0, 0.3], [0.5, 1.0, -2.0], [0.1, 0.7, 0.4]]),
    "fmod": (lambda m, a, b: m.fmod(a * a, b), [[1.5, -2.0, 0.3], [0.5, 1.3, -2.0]]),
    "fmod_number": (lambda m, a: m.fmod(a * a, 1.3), [[1.5, -2.0, 0.3]]),
    "remainder": (lambda m, a, b: m.remainder(a * b, b), [[1.5, -2.0, 0.3], [0.5, 1.3, -2.0]]),
    "remainder_number": (lambda m, a: (a * a) % 0.7, [[1.5, -2.0, 0.3]]),
    "copysign": (lambda m, a, b: m.copysign(a * a, b), [[1.5, -2.0, 0.3], [0.5, 1.0, -2.0]]),
    "copysign_number": (lambda m, a: m.copysign(a * a, -1.0), [[1.5, -2.0, 0.3]]),
    "xlogy": (lambda m, a, b: m.xlogy(a * b, b), [[1.5, -2.0, 0.3], [0.5, 1.0, 2.0]]),
    "xlogy_number_other": (lambda m, a: m.xlogy(a * a, 2.5), [[1.5, -2.0, 0.3]]),
    "xlogy_number_self": (lambda m, b: m.xlogy(2.5, b * b), [[1.5, -2.0, 0.3]]),
}


def _double_backward(m: Any, fn: Callable[..., Any], arrays: list[np.ndarray]) -> Any:
    xs = [m.tensor(a, requires_grad=True) for a in arrays]
    out = fn(m, *xs)
    v = m.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(tuple(out.shape)))
    first = m.autograd.grad(out, xs, grad_outputs=v, create_graph=True, allow_unused=True)
    weights = [m.tensor(np.linspace(-1.0, 2.0, a.size).reshape(a.shape)) for a in arrays]
    terms = [(g * w).sum() for g, w in zip(first, weights) if g is not None and g.requires_grad]
    second = None
    if terms:
        total = terms[0]
        for t in terms[1:]:
            total = total + t
        second = m.autograd.grad(total, xs, allow_unused=True)
        second = [m.zeros_like(x) if s is None else s for s, x in zip(second, xs)]
    first = [m.zeros_like(x) if f is None else f.detach() for f, x in zip(first, xs)]
    return first, second


@pytest.mark.parametrize("name", list(DOUBLE))
def test_double_backward_matches_torch(name: str) -> None:
    fn, values = DOUBLE[name]
    arrays = [np.asarray(v, dtype=np.float64) for v in values]
    same(lambda m: _double_backward(m, fn, arrays))


# ---------------------------------------------------------------------------- stability at ±1000
STABILITY: dict[str, tuple[Callable[..., Any], list[Any]]] = {
    "atan2": (lambda m, a, b: m.atan2(a, b), [[1000.0, -1000.0, 1e-3], [-1000.0, 1000.0, 1000.0]]),
    "hypot": (lambda m, a, b: m.hypot(a, b), [[1000.0, -1000.0, 1e-3], [-1000.0, 1000.0, 1000.0]]),
    "xlogy": (lambda m, a, b: m.xlogy(a, b), [[1000.0, -1000.0, 1e-3], [1000.0, 1e-3, 1000.0]]),
    "lerp": (lambda m, a, b, w: m.lerp(a, b, w), [[1000.0, -1000.0], [-1000.0, 1000.0], [0.3, 0.9]]),
    "fmod": (lambda m, a, b: m.fmod(a, b), [[1000.0, -1000.0], [3.0, 7.0]]),
    "remainder": (lambda m, a, b: m.remainder(a, b), [[1000.0, -1000.0], [3.0, 7.0]]),
    "clamp": (lambda m, a, lo, hi: m.clamp(a, lo, hi), [[1000.0, -1000.0], [-1000.0, 0.0], [1000.0, 1.0]]),
    "copysign": (lambda m, a, b: m.copysign(a, b), [[1000.0, -1000.0], [-1000.0, 1000.0]]),
    "fmax": (lambda m, a, b: m.fmax(a, b), [[1000.0, -1000.0], [-1000.0, 1000.0]]),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(STABILITY))
def test_stability_at_1000(name: str, dtype: str) -> None:
    fn, values = STABILITY[name]
    arrays = [np.asarray(v, dtype=dtype) for v in values]
    same(lambda m: [fn(m, *[m.tensor(a) for a in arrays]), _grads(m, fn, arrays)])
    for g in _grads(gg, fn, arrays):
        assert np.isfinite(to_np(g)).all()


# ---------------------------------------------------------------------------- Hypothesis: fmod / remainder / floor_divide
if HAVE_HYPOTHESIS:
    _floats = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, width=32)

    @settings(max_examples=25, deadline=None)
    @given(st.lists(st.tuples(_floats, _floats), min_size=1, max_size=8))
    def test_division_family_matches_torch(pairs: list[tuple[float, float]]) -> None:
        a = np.asarray([p[0] for p in pairs], dtype=np.float32)
        b = np.asarray([p[1] for p in pairs], dtype=np.float32)
        for name in ("fmod", "remainder", "floor_divide"):
            same(lambda m, _n=name: getattr(m, _n)(m.tensor(a), m.tensor(b)))


# ---------------------------------------------------------------------------- printing
def test_not_implemented_grad_fn_printing() -> None:
    same(lambda m: str(m.tensor([1.5, -2.5], requires_grad=True) // 2))


def test_printing_matches_torch() -> None:
    same(lambda m: str(m.clamp(m.tensor([1.5, -2.5], requires_grad=True), -1, 1)))
    same(lambda m: str(m.lerp(m.tensor([1.5, -2.5]), m.tensor([0.5, 2.0], requires_grad=True), 0.25)))
    same(lambda m: repr(m.remainder(m.tensor([1.5, -2.5, 7.0]), 2)))
