"""Unary maths (exp2 … erfc), rounding, nan_to_num and the nn.functional activations.

Every op appears in each of its spellings: ``torch.X`` and ``x.X()``, the in-place
``x.X_()`` (on a clone, so it records over CloneBackward0), ``F.X(…, inplace=True)``
and ``F.X_``, with keyword variants, 0-d and empty inputs, and non-contiguous
(transposed) inputs.  Sample generators keep each op inside its domain and away
from its kinks, so finite differences are meaningful.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from opinfo import Gen, OpInfo, away_from_zero, positive, signed, unary_samples, uniform

OPS: list[OpInfo] = []

SHAPES: list[tuple[int, ...]] = [(), (5,), (3, 4), (2, 3, 4)]
NONCONTIG = [(3, 4), (2, 3, 4)]
# (no finite differences for empty inputs: there is nothing to perturb)
EMPTY = [(0,), (2, 0)]


def avoiding(lo: float, hi: float, points: tuple[float, ...], gap: float = 0.05) -> Gen:
    """Uniform on [lo, hi], with values within ``gap`` of a kink in ``points`` pushed away from it."""
    def gen(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        x = rng.uniform(lo, hi, size=shape)
        for p in points:
            near = np.abs(x - p) < gap
            x = np.where(near, p + np.where(x >= p, gap, -gap) * 2, x)
        return np.asarray(x, dtype=dtype)
    return gen


def off_grid(step: float, span: float = 3.0) -> Gen:
    """Values whose position between multiples of ``step`` is in (0.1, 0.4) or (0.6, 0.9): no rounding boundary
    (neither a multiple nor a half) within reach of a finite difference."""
    def gen(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        k = rng.integers(-int(span / step), int(span / step), size=shape)
        f = rng.uniform(0.1, 0.4, size=shape) + rng.choice([0.0, 0.5], size=shape)
        return np.asarray((k + f) * step, dtype=dtype)
    return gen


def nonfinite(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """Finite values with nan, +inf and -inf in the first three places."""
    x = rng.uniform(-2.0, 2.0, size=shape)
    flat = x.reshape(-1)
    for i, v in enumerate((math.nan, math.inf, -math.inf)[: flat.size]):
        flat[i] = v
    return np.asarray(x, dtype=dtype)


def add(name: str, op: Callable[..., Any], gen: Gen = signed, kwargs_list: list[dict[str, Any]] | None = None,
        ref: Callable[..., Any] | None = None, shapes: list[tuple[int, ...]] | None = None, **kw: Any) -> None:
    OPS.append(OpInfo(name, op, unary_samples(gen, shapes or SHAPES, kwargs_list), ref, **kw))


def transposed(m: Any, x: Any) -> Any:
    """A non-contiguous view of ``x`` (its last and first dims swapped)."""
    return x.transpose(0, -1)


# ---------------------------------------------------------------------------- maths: function, method, in place
_MATH: list[tuple[str, Gen, Callable[..., Any] | None]] = [
    ("exp2", signed, np.exp2), ("expm1", signed, np.expm1), ("log2", positive, np.log2),
    ("log10", positive, np.log10), ("log1p", uniform(-0.5, 2.0), np.log1p), ("rsqrt", positive, lambda x: 1 / np.sqrt(x)),
    ("tan", uniform(-1.2, 1.2), np.tan), ("asin", uniform(-0.9, 0.9), np.arcsin), ("acos", uniform(-0.9, 0.9), np.arccos),
    ("atan", signed, np.arctan), ("sinh", signed, np.sinh), ("cosh", signed, np.cosh), ("asinh", signed, np.arcsinh),
    ("acosh", uniform(1.2, 3.0), np.arccosh), ("atanh", uniform(-0.9, 0.9), np.arctanh),
    ("arcsin", uniform(-0.9, 0.9), np.arcsin), ("arccos", uniform(-0.9, 0.9), np.arccos), ("arctan", signed, np.arctan),
    ("arcsinh", signed, np.arcsinh), ("arccosh", uniform(1.2, 3.0), np.arccosh), ("arctanh", uniform(-0.9, 0.9), np.arctanh),
    ("logit", uniform(0.05, 0.95), lambda x: np.log(x / (1 - x))),
    ("erf", uniform(-3.0, 3.0), np.vectorize(math.erf, otypes=[float])),
    ("erfc", uniform(-3.0, 3.0), np.vectorize(math.erfc, otypes=[float])),
    ("frac", signed, lambda x: x - np.trunc(x)),
]
# rounding: the gradient is zero; samples keep clear of the jumps
_ROUNDING: list[tuple[str, Callable[..., Any]]] = [
    ("floor", np.floor), ("ceil", np.ceil), ("round", np.round), ("trunc", np.trunc), ("fix", np.trunc),
]
_MATH += [(name, off_grid(1.0), ref) for name, ref in _ROUNDING]

# PyTorch records AsinhBackward1 … for these and has no derivative for them (tested in test_unary.py)
_NO_INPLACE_GRAD = {"asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh"}

for _n, _gen, _ref in _MATH:
    add(f"{_n}_fn", lambda m, x, _n=_n: getattr(m, _n)(x), _gen, ref=_ref)
    add(f"{_n}_method", lambda m, x, _n=_n: getattr(x, _n)(), _gen, ref=_ref)
    if _n not in _NO_INPLACE_GRAD:
        add(f"{_n}_inplace", lambda m, x, _n=_n: getattr(x.clone(), _n + "_")(), _gen, ref=_ref)
    add(f"{_n}_noncontiguous", lambda m, x, _n=_n: getattr(m, _n)(transposed(m, x)), _gen, shapes=NONCONTIG)
    add(f"{_n}_empty", lambda m, x, _n=_n: getattr(m, _n)(x), _gen, shapes=EMPTY, fd=False)

add("logit_eps", lambda m, x, **kw: m.logit(x, **kw), avoiding(0.01, 0.99, (0.2, 0.8), 0.03),
    [{"eps": 0.2}, {"eps": 0.0}, {"eps": 1e-6}])
add("logit_eps_positional", lambda m, x: x.logit(0.2), avoiding(0.01, 0.99, (0.2, 0.8), 0.03))
add("logit_eps_inplace", lambda m, x: x.clone().logit_(eps=0.2), avoiding(0.01, 0.99, (0.2, 0.8), 0.03))
# eps > 0.5: PyTorch clamps below eps first, then above 1 - eps
add("logit_eps_crossed", lambda m, x: m.logit(x, eps=0.7), avoiding(0.05, 0.95, (0.3, 0.7), 0.03))

add("round_decimals", lambda m, x, **kw: m.round(x, **kw), off_grid(0.01, 3.0), [{"decimals": 2}])
add("round_decimals_negative", lambda m, x: x.round(decimals=-1), off_grid(10.0, 300.0))
add("round_decimals_zero", lambda m, x: m.round(x, decimals=0), off_grid(1.0))
add("round_decimals_inplace", lambda m, x: x.clone().round_(decimals=1), off_grid(0.1, 3.0))

# (no finite differences: the default replacements are the dtype's extremes, which overflow the
#  finite-difference sum; nan_to_num_args below checks the same gradient with small replacements)
add("nan_to_num_fn", lambda m, x: m.nan_to_num(x), nonfinite, fd=False)
add("nan_to_num_method", lambda m, x: x.nan_to_num(), nonfinite, fd=False)
add("nan_to_num_args", lambda m, x, **kw: m.nan_to_num(x, **kw), nonfinite,
    [{"nan": 1.5, "posinf": 5.0, "neginf": -5.0}, {"nan": -1.0, "posinf": 2.0, "neginf": -0.5}])
add("nan_to_num_positional", lambda m, x: x.nan_to_num(0.5, 3.0, -3.0), nonfinite)
add("nan_to_num_inplace", lambda m, x: x.clone().nan_to_num_(nan=0.25, posinf=4.0, neginf=-4.0), nonfinite)
add("nan_to_num_finite", lambda m, x: m.nan_to_num(x), signed, ref=np.nan_to_num)
add("nan_to_num_noncontiguous", lambda m, x: m.nan_to_num(transposed(m, x), posinf=1.0, neginf=-1.0), nonfinite,
    shapes=NONCONTIG)

# ---------------------------------------------------------------------------- activations (nn.functional)
_sigmoid = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
_softplus = lambda x: np.logaddexp(0, x)  # noqa: E731
_ACT: list[tuple[str, Gen, list[dict[str, Any]], Callable[..., Any] | None]] = [
    ("relu6", avoiding(-2.0, 8.0, (0.0, 6.0)), [{}], lambda x: np.clip(x, 0, 6)),
    ("leaky_relu", away_from_zero, [{}, {"negative_slope": 0.2}, {"negative_slope": 1.5}], None),
    ("elu", away_from_zero, [{}, {"alpha": 0.5}], None),
    ("selu", away_from_zero, [{}], None),
    ("celu", away_from_zero, [{}, {"alpha": 1.5}, {"alpha": -0.7}], None),
    ("gelu", uniform(-4.0, 4.0), [{}, {"approximate": "tanh"}, {"approximate": "none"}], None),
    ("silu", uniform(-6.0, 6.0), [{}], lambda x: x * _sigmoid(x)),
    ("mish", uniform(-6.0, 6.0), [{}], lambda x: x * np.tanh(_softplus(x))),
    ("softplus", uniform(-6.0, 6.0), [{}, {"beta": 2.0}, {"beta": 0.5, "threshold": 1.0}], None),
    ("softsign", signed, [{}], lambda x: x / (1 + np.abs(x))),
    ("hardtanh", avoiding(-2.0, 2.0, (-1.0, 1.0)), [{}], lambda x: np.clip(x, -1, 1)),
    ("hardsigmoid", avoiding(-5.0, 5.0, (-3.0, 3.0)), [{}], lambda x: np.clip(x + 3, 0, 6) / 6),
    ("hardswish", avoiding(-5.0, 5.0, (-3.0, 3.0)), [{}], lambda x: x * np.clip(x + 3, 0, 6) / 6),
    ("logsigmoid", uniform(-6.0, 6.0), [{}], lambda x: -_softplus(-x)),
]
_INPLACE_KW = {"relu6", "leaky_relu", "elu", "selu", "celu", "silu", "mish", "hardtanh", "hardsigmoid", "hardswish"}
_UNDERSCORE = {"leaky_relu", "elu", "selu", "celu", "hardtanh"}

for _n, _gen, _kws, _ref in _ACT:
    add(_n, lambda m, x, _n=_n, **kw: getattr(m.nn.functional, _n)(x, **kw), _gen, _kws, ref=_ref)
    add(f"{_n}_noncontiguous", lambda m, x, _n=_n: getattr(m.nn.functional, _n)(transposed(m, x)), _gen,
        shapes=NONCONTIG)
    add(f"{_n}_empty", lambda m, x, _n=_n: getattr(m.nn.functional, _n)(x), _gen, shapes=EMPTY, fd=False)
    if _n in _INPLACE_KW:
        # leaky_relu, elu, selu and celu record their ...Backward1 node, which saves the result
        _kw_ok = [kw for kw in _kws if kw.get("negative_slope", 1) >= 0 and kw.get("alpha", 1) >= 0]
        add(f"{_n}_inplace_kw", lambda m, x, _n=_n, **kw: getattr(m.nn.functional, _n)(x.clone(), inplace=True, **kw),
            _gen, _kw_ok, ref=_ref)
    if _n in _UNDERSCORE:
        add(f"{_n}_underscore", lambda m, x, _n=_n: getattr(m.nn.functional, _n + "_")(x.clone()), _gen)

add("leaky_relu_positional", lambda m, x: m.nn.functional.leaky_relu(x, 0.3), away_from_zero)
add("elu_positional", lambda m, x: m.nn.functional.elu(x, 2.0), away_from_zero)
add("celu_top_level", lambda m, x: m.celu(x, 0.8), away_from_zero)
add("selu_top_level", lambda m, x: m.selu(x), away_from_zero)
add("selu_top_level_inplace", lambda m, x: m.selu_(x.clone()), away_from_zero)
add("celu_top_level_inplace", lambda m, x: m.celu_(x.clone(), 1.2), away_from_zero)
add("softplus_positional", lambda m, x: m.nn.functional.softplus(x, 3.0, 4.0),
    avoiding(-3.0, 3.0, (4.0 / 3.0,)))
add("softplus_threshold", lambda m, x: m.nn.functional.softplus(x, threshold=1.0), avoiding(-3.0, 3.0, (1.0,)))
add("hardtanh_limits", lambda m, x, **kw: m.nn.functional.hardtanh(x, **kw), avoiding(-3.0, 3.0, (-0.5, 2.0)),
    [{"min_val": -0.5, "max_val": 2.0}])
add("hardtanh_positional", lambda m, x: m.nn.functional.hardtanh(x, -2.0, 0.5), avoiding(-3.0, 3.0, (-2.0, 0.5)))
add("hardtanh_underscore_limits", lambda m, x: m.nn.functional.hardtanh_(x.clone(), -0.5, 0.5),
    avoiding(-2.0, 2.0, (-0.5, 0.5)))
add("gelu_tanh_wide", lambda m, x: m.nn.functional.gelu(x, approximate="tanh"), uniform(-8.0, 8.0),
    shapes=[(50,)])
add("gelu_wide", lambda m, x: m.nn.functional.gelu(x), uniform(-8.0, 8.0), shapes=[(50,)])
