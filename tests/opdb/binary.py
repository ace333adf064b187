"""Binary and ternary elementwise ops: atan2, hypot, clamp, fmax/fmin, lerp, fmod, remainder,
floor_divide, copysign, xlogy, logical ops (function, method, in-place and operator spellings)."""

from __future__ import annotations

from typing import Any

import numpy as np

from opinfo import (
    BINARY_PAIRS,
    OpInfo,
    away_from_zero,
    binary_samples,
    multi_samples,
    positive,
    signed,
    unary_samples,
    uniform,
)

OPS: list[OpInfo] = []


def add_op(*args: Any, **kwargs: Any) -> None:
    OPS.append(OpInfo(*args, **kwargs))


PAIRS = BINARY_PAIRS
#: empty operands (no finite differences: opinfo's numeric gradient needs at least one element)
EMPTY_PAIRS = [((0,), (0,)), ((2, 0), (1, 0)), ((0, 3), (3,))]
#: shapes of (input, min, max) or (input, end, weight): equal, broadcast, 0-d.
#: Note: PyTorch's clamp backward fails when a bound broadcasts beyond ``input``
#: (an in-place logical_and_), so no triple here does that.
TRIPLES = [((), (), ()), ((5,), (5,), (5,)), ((3, 4), (3, 4), (3, 4)), ((3, 1), (1, 4), (4,)),
           ((2, 3, 4), (4,), ()), ((3, 4), (), (1, 4)), ((2, 3, 4), (3, 1), ())]
EMPTY_TRIPLES = [((0, 4), (4,), (1, 4)), ((0,), (), ())]


def _with_zeros(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """Values in {-1.5, 0, 0.5, 2}: truth values for the logical ops."""
    return np.asarray(rng.choice([-1.5, 0.0, 0.5, 2.0], size=shape), dtype=dtype)


def _np_clamp(x: np.ndarray, lo: Any = None, hi: Any = None, min: Any = None, max: Any = None) -> np.ndarray:  # noqa: A002
    lo, hi = (min, max) if lo is None and hi is None else (lo, hi)
    r = x if lo is None else np.maximum(x, lo)
    return r if hi is None else np.minimum(r, hi)


def _np_remainder(a: Any, b: Any) -> Any:
    return np.remainder(a, b)


# ---------------------------------------------------------------------------- atan2, hypot
for _name in ("atan2", "arctan2"):
    add_op(f"{_name}_fn", lambda m, a, b, _n=_name: getattr(m, _n)(a, b), binary_samples(pairs=PAIRS), np.arctan2)
    add_op(f"{_name}_method", lambda m, a, b, _n=_name: getattr(a, _n)(b), binary_samples(), np.arctan2)
add_op("atan2_noncontiguous", lambda m, a, b: m.atan2(a.t(), b), binary_samples(pairs=[((4, 3), (3, 4))]),
       lambda a, b: np.arctan2(a.T, b))
add_op("atan2_inplace", lambda m, a, b: a.clone().atan2_(b), binary_samples(pairs=[((3, 4), (3, 4)), ((3, 4), (4,))]),
       np.arctan2)
add_op("hypot_fn", lambda m, a, b: m.hypot(a, b), binary_samples(away_from_zero, away_from_zero, pairs=PAIRS),
       np.hypot)
add_op("hypot_method", lambda m, a, b: a.hypot(b), binary_samples(away_from_zero, away_from_zero), np.hypot)
add_op("hypot_inplace", lambda m, a, b: a.clone().hypot_(b), binary_samples(pairs=[((3, 4), (1, 4))]), np.hypot)

# ---------------------------------------------------------------------------- clamp with number bounds
# (uniform(-2, 2) inputs are never within a finite-difference step of the bounds ±0.5 / 0.25)
_CLAMP_SHAPES = [(), (5,), (3, 4), (2, 3, 4)]
_CLAMP_KW: list[dict[str, Any]] = [{"min": -0.5, "max": 0.5}, {"min": 0.25}, {"max": 0.25}, {"min": -1, "max": 1},
                                   {"min": 0.5, "max": -0.5}]
for _name in ("clamp", "clip"):
    add_op(f"{_name}_fn", lambda m, x, _n=_name, **kw: getattr(m, _n)(x, **kw),
           unary_samples(shapes=_CLAMP_SHAPES, kwargs_list=_CLAMP_KW), _np_clamp)
    add_op(f"{_name}_method", lambda m, x, _n=_name, **kw: getattr(x, _n)(**kw),
           unary_samples(shapes=_CLAMP_SHAPES, kwargs_list=_CLAMP_KW), _np_clamp)
    add_op(f"{_name}_inplace", lambda m, x, _n=_name, **kw: getattr(x.clone(), _n + "_")(**kw),
           unary_samples(shapes=[(3, 4)], kwargs_list=_CLAMP_KW), _np_clamp)
add_op("clamp_positional", lambda m, x: m.clamp(x, -0.5, 0.75), unary_samples(), lambda x: np.clip(x, -0.5, 0.75))
add_op("clamp_positional_method", lambda m, x: x.clamp(-1.5), unary_samples(), lambda x: np.maximum(x, -1.5))
add_op("clamp_noncontiguous", lambda m, x: x.t().clamp(-0.5, 0.5), unary_samples(shapes=[(3, 4)]),
       lambda x: np.clip(x.T, -0.5, 0.5))
for _name, _ref in (("clamp_min", np.maximum), ("clamp_max", np.minimum)):
    add_op(f"{_name}_fn", lambda m, x, _n=_name: getattr(m, _n)(x, 0.25), unary_samples(shapes=_CLAMP_SHAPES),
           lambda x, _r=_ref: _r(x, 0.25))
    add_op(f"{_name}_method", lambda m, x, _n=_name: getattr(x, _n)(-0.25), unary_samples(),
           lambda x, _r=_ref: _r(x, -0.25))
    add_op(f"{_name}_inplace", lambda m, x, _n=_name: getattr(x.clone(), _n + "_")(0.5), unary_samples(),
           lambda x, _r=_ref: _r(x, 0.5))

# ---------------------------------------------------------------------------- clamp with tensor bounds
add_op("clamp_tensor_bounds", lambda m, x, lo, hi: m.clamp(x, lo, hi), multi_samples((signed,) * 3, TRIPLES),
       _np_clamp)
add_op("clamp_tensor_bounds_method", lambda m, x, lo, hi: x.clamp(lo, hi), multi_samples((signed,) * 3, TRIPLES),
       _np_clamp)
add_op("clip_tensor_bounds", lambda m, x, lo, hi: m.clip(x, min=lo, max=hi),
       multi_samples((signed,) * 3, TRIPLES[:4]), _np_clamp)
add_op("clamp_tensor_min", lambda m, x, lo: m.clamp(x, min=lo), binary_samples(pairs=PAIRS),
       lambda x, lo: np.maximum(x, lo))
add_op("clamp_tensor_max", lambda m, x, hi: x.clamp(max=hi), binary_samples(pairs=PAIRS),
       lambda x, hi: np.minimum(x, hi))
add_op("clamp_tensor_inplace", lambda m, x, lo, hi: x.clone().clamp_(lo, hi),
       multi_samples((signed,) * 3, [((3, 4), (3, 4), (4,))]), _np_clamp)
add_op("clamp_min_tensor", lambda m, x, lo: m.clamp_min(x, lo), binary_samples(pairs=PAIRS), np.maximum)
add_op("clamp_max_tensor", lambda m, x, hi: x.clamp_max(hi), binary_samples(), np.minimum)
add_op("clamp_min_tensor_inplace", lambda m, x, lo: x.clone().clamp_min_(lo),
       binary_samples(pairs=[((3, 4), (3, 4)), ((3, 4), ())]), np.maximum)

# ---------------------------------------------------------------------------- fmax, fmin
for _name in ("fmax", "fmin"):
    add_op(f"{_name}_fn", lambda m, a, b, _n=_name: getattr(m, _n)(a, b), binary_samples(pairs=PAIRS),
           getattr(np, _name))
    add_op(f"{_name}_method", lambda m, a, b, _n=_name: getattr(a, _n)(b), binary_samples(), getattr(np, _name))
    add_op(f"{_name}_noncontiguous", lambda m, a, b, _n=_name: getattr(m, _n)(a, b.transpose(0, 1)),
           binary_samples(pairs=[((3, 4), (4, 3))]), lambda a, b, _n=_name: getattr(np, _n)(a, b.T))

# ---------------------------------------------------------------------------- lerp
for _w in (0.3, 0.75, -1.0):
    add_op(f"lerp_scalar_{_w}", lambda m, a, b, _w=_w: m.lerp(a, b, _w), binary_samples(pairs=PAIRS),
           lambda a, b, _w=_w: a + _w * (b - a))
add_op("lerp_method", lambda m, a, b: a.lerp(b, 0.5), binary_samples(), lambda a, b: a + 0.5 * (b - a))
add_op("lerp_int_weight", lambda m, a, b: m.lerp(a, b, 2), binary_samples(pairs=[((3, 4), (3, 4))]),
       lambda a, b: a + 2 * (b - a))
add_op("lerp_tensor_weight", lambda m, a, b, w: m.lerp(a, b, w),
       multi_samples((signed, signed, uniform(-0.5, 1.5)), TRIPLES), lambda a, b, w: a + w * (b - a))
add_op("lerp_tensor_weight_method", lambda m, a, b, w: a.lerp(b, weight=w),
       multi_samples((signed, signed, uniform(0.0, 1.0)), TRIPLES[:4]), lambda a, b, w: a + w * (b - a))
add_op("lerp_inplace", lambda m, a, b: a.clone().lerp_(b, 0.25), binary_samples(pairs=[((3, 4), (4,))]),
       lambda a, b: a + 0.25 * (b - a))
add_op("lerp_inplace_tensor_weight", lambda m, a, b, w: a.clone().lerp_(b, w),
       multi_samples((signed, signed, uniform(0.0, 1.0)), [((3, 4), (3, 4), (3, 1))]),
       lambda a, b, w: a + w * (b - a))

# ---------------------------------------------------------------------------- fmod, remainder
# (random operands are never within a finite-difference step of a jump at input = k * other)
_DIV_SAMPLES = binary_samples(signed, away_from_zero, pairs=PAIRS, scalar_rhs=(1.5, 2, -0.7))
add_op("fmod_fn", lambda m, a, b: m.fmod(a, b), _DIV_SAMPLES, np.fmod)
add_op("fmod_method", lambda m, a, b: a.fmod(b), binary_samples(signed, away_from_zero, scalar_rhs=(0.3,)), np.fmod)
add_op("fmod_inplace", lambda m, a, b: a.clone().fmod_(b),
       binary_samples(signed, away_from_zero, pairs=[((3, 4), (4,))], scalar_rhs=(0.6,)), np.fmod)
add_op("remainder_fn", lambda m, a, b: m.remainder(a, b), _DIV_SAMPLES, _np_remainder)
add_op("remainder_method", lambda m, a, b: a.remainder(b), binary_samples(signed, away_from_zero, scalar_rhs=(-1.5,)),
       _np_remainder)
add_op("remainder_op", lambda m, a, b: a % b, binary_samples(signed, away_from_zero, scalar_rhs=(1.5, -2)),
       _np_remainder)
add_op("remainder_inplace_op", lambda m, a, b: a.clone().__imod__(b),
       binary_samples(signed, away_from_zero, pairs=[((3, 4), (3, 4))], scalar_rhs=(0.75,)), _np_remainder)
add_op("remainder_noncontiguous", lambda m, a, b: m.remainder(a.t(), b),
       binary_samples(signed, away_from_zero, pairs=[((4, 3), (3, 4))]), lambda a, b: np.remainder(a.T, b))
# a number on the left has no derivative in PyTorch (NotImplemented): forward only
add_op("remainder_number_lhs", lambda m, a, b: 2.5 % b,
       binary_samples(signed, away_from_zero, pairs=[((), ()), ((3, 4), (3, 4))]),
       lambda a, b: np.remainder(2.5, b), supports_grad=False)

# ---------------------------------------------------------------------------- floor_divide (no derivative)
add_op("floor_divide_fn", lambda m, a, b: m.floor_divide(a, b), _DIV_SAMPLES, np.floor_divide, supports_grad=False)
add_op("floor_divide_op", lambda m, a, b: a // b,
       binary_samples(signed, away_from_zero, scalar_rhs=(0.5, 3), scalar_lhs=(2, -1.5)), np.floor_divide,
       supports_grad=False)
add_op("floor_divide_method", lambda m, a, b: a.floor_divide(b), binary_samples(signed, away_from_zero),
       np.floor_divide, supports_grad=False)

# ---------------------------------------------------------------------------- copysign, xlogy
add_op("copysign_fn", lambda m, a, b: m.copysign(a, b),
       binary_samples(away_from_zero, away_from_zero, pairs=PAIRS, scalar_rhs=(-1.5, 2)), np.copysign)
add_op("copysign_method", lambda m, a, b: a.copysign(b), binary_samples(away_from_zero, signed), np.copysign)
add_op("copysign_inplace", lambda m, a, b: a.clone().copysign_(b),
       binary_samples(away_from_zero, signed, pairs=[((3, 4), (4,))], scalar_rhs=(-1,)), np.copysign)


def _np_xlogy(x: Any, y: Any) -> Any:
    x, y = np.asarray(x), np.asarray(y)
    dt = x.dtype if x.dtype.kind == "f" else y.dtype if y.dtype.kind == "f" else np.float32
    return np.where(x == 0, 0, x * np.log(np.asarray(y, dtype=dt))).astype(dt)


add_op("xlogy_fn", lambda m, a, b: m.xlogy(a, b),
       binary_samples(signed, positive, pairs=PAIRS, scalar_rhs=(2.5, 3), scalar_lhs=(1.5, 2)), _np_xlogy)
add_op("xlogy_method", lambda m, a, b: a.xlogy(b), binary_samples(signed, positive, scalar_rhs=(0.5,)), _np_xlogy)
add_op("xlogy_inplace", lambda m, a, b: a.clone().xlogy_(b), binary_samples(signed, positive, pairs=[((3, 4), (4,))]),
       _np_xlogy)

# ---------------------------------------------------------------------------- logical ops (no gradient)
for _name in ("logical_and", "logical_or", "logical_xor"):
    add_op(f"{_name}_fn", lambda m, a, b, _n=_name: getattr(m, _n)(a, b),
           binary_samples(_with_zeros, _with_zeros, pairs=PAIRS), getattr(np, _name), supports_grad=False)
    add_op(f"{_name}_method", lambda m, a, b, _n=_name: getattr(a, _n)(b), binary_samples(_with_zeros, _with_zeros),
           getattr(np, _name), supports_grad=False)
    add_op(f"{_name}_inplace", lambda m, a, b, _n=_name: getattr(a.clone(), _n + "_")(b),
           binary_samples(_with_zeros, _with_zeros, pairs=[((3, 4), (4,))]),
           lambda a, b, _n=_name: getattr(np, _n)(a, b).astype(a.dtype), supports_grad=False)

# ---------------------------------------------------------------------------- empty operands
# (fd=False: opinfo's finite differences need at least one element)
for _name, _fn, _gens in [
    ("atan2", lambda m, a, b: m.atan2(a, b), (signed, signed)),
    ("hypot", lambda m, a, b: m.hypot(a, b), (signed, signed)),
    ("clamp_min_tensor", lambda m, a, b: m.clamp_min(a, b), (signed, signed)),
    ("fmax", lambda m, a, b: m.fmax(a, b), (signed, signed)),
    ("fmin", lambda m, a, b: a.fmin(b), (signed, signed)),
    ("lerp", lambda m, a, b: m.lerp(a, b, 0.75), (signed, signed)),
    ("fmod", lambda m, a, b: m.fmod(a, b), (signed, away_from_zero)),
    ("remainder", lambda m, a, b: a % b, (signed, away_from_zero)),
    ("copysign", lambda m, a, b: m.copysign(a, b), (signed, signed)),
    ("xlogy", lambda m, a, b: m.xlogy(a, b), (signed, positive)),
]:
    add_op(f"{_name}_empty", _fn, binary_samples(*_gens, pairs=EMPTY_PAIRS), fd=False)
add_op("clamp_empty", lambda m, x: x.clamp(-0.5, 0.5), unary_samples(shapes=[(0,), (0, 3)]), fd=False)
add_op("clamp_tensor_bounds_empty", lambda m, x, lo, hi: m.clamp(x, lo, hi),
       multi_samples((signed,) * 3, EMPTY_TRIPLES), fd=False)
add_op("lerp_tensor_weight_empty", lambda m, a, b, w: m.lerp(a, b, w), multi_samples((signed,) * 3, EMPTY_TRIPLES),
       fd=False)
