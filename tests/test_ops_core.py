"""One op table drives the tests of glassgrad's core ops (after PyTorch's OpInfo).

Every entry of ``OPS`` names an op, a function ``op(m, *args, **kwargs)`` that
is called with ``m = glassgrad`` and with ``m = torch`` (so one spelling covers
both libraries), the sample inputs (NumPy arrays become tensors, anything else
is passed as it is) with the domain each op needs, and optionally a NumPy
reference.  From the table the tests check:

1. forward values, dtype and shape against torch (and NumPy where natural);
2. gradients against torch, with the same random upstream gradient;
3. ``grad_fn.name()`` and the names in ``next_functions`` against torch;
4. gradients against central finite differences in float64 (glassgrad only:
   this section runs where torch is not installed).

Below the table: Hypothesis tests for broadcasting and reductions, type
promotion, ``max``/``min`` ties and return types, and in-place ops (values,
``_version``, gradients through non-leaf tensors and PyTorch's error texts).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
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


def need_torch() -> Any:
    """The oracle, or skip this test (only tests that compare with torch call this)."""
    return pytest.importorskip("torch")


# ---------------------------------------------------------------------------- helpers

FD_EPS = 1e-6
FD_RTOL = 1e-5
FD_ATOL = 1e-7
TOL = {np.float32: (1e-5, 1e-6), np.float64: (1e-10, 1e-12)}


def from_np(m: Any, arr: np.ndarray, requires_grad: bool = False) -> Any:
    """The same values as a tensor of library ``m`` (glassgrad or torch)."""
    return m.tensor(arr.copy(), requires_grad=requires_grad)


def to_np(t: Any) -> np.ndarray:
    """A tensor (either library) as a NumPy array."""
    return np.asarray(t.detach().numpy()).copy()


def to_torch(t: gg.Tensor) -> Any:
    """A glassgrad tensor as a torch tensor with the same values and ``requires_grad``."""
    torch = need_torch()
    return torch.tensor(to_np(t), requires_grad=t.requires_grad)


def shape_id(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape)) if shape else "0d"


def assert_same_tensor(g: Any, t: Any, rtol: float = 1e-5, atol: float = 1e-6, what: str = "") -> None:
    """A glassgrad tensor has torch's dtype, shape and (close) values."""
    assert isinstance(g, gg.Tensor), f"{what}: glassgrad returned {type(g).__name__}, torch a tensor"
    assert str(g.dtype) == str(t.dtype), f"{what}: dtype {g.dtype} != torch's {t.dtype}"
    assert tuple(g.shape) == tuple(t.shape), f"{what}: shape {tuple(g.shape)} != torch's {tuple(t.shape)}"
    gv, tv = to_np(g), to_np(t)
    if tv.dtype.kind in "fc":
        np.testing.assert_allclose(gv, tv, rtol=rtol, atol=atol, err_msg=what)
    else:
        np.testing.assert_array_equal(gv, tv, err_msg=what)


def out_tensors(out: Any) -> list[Any]:
    """The tensors an op returned (a tensor, or a tuple such as ``(values, indices)``)."""
    return list(out) if isinstance(out, tuple) else [out]


def primary(out: Any) -> Any:
    """The output gradients flow through (``values`` of ``max(dim)``)."""
    return out[0] if isinstance(out, tuple) else out


def grad_fn_tree(t: Any) -> tuple[Any, ...]:
    """``grad_fn`` name and the ``(name, input_nr)`` pairs one level down."""
    fn = t.grad_fn
    if fn is None:
        return (None, ())
    below = tuple((None if f is None else f.name(), nr) for f, nr in fn.next_functions)
    return (fn.name(), below)


# ---------------------------------------------------------------------------- sample inputs

Gen = Callable[[np.random.Generator, tuple[int, ...], Any], np.ndarray]


def uniform(lo: float, hi: float) -> Gen:
    def gen(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        return np.asarray(rng.uniform(lo, hi, size=shape), dtype=dtype)
    return gen


signed = uniform(-2.0, 2.0)
positive = uniform(0.5, 2.0)


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """|x| in [0.2, 2]: no kink of abs/relu within reach of a finite difference."""
    mag = rng.uniform(0.2, 2.0, size=shape)
    sign = rng.choice([-1.0, 1.0], size=shape)
    return np.asarray(mag * sign, dtype=dtype)


def distinct(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """Values at least 0.2 apart: no ties for max/min, even after a finite-difference step."""
    n = int(np.prod(shape, dtype=np.int64))
    vals = (rng.permutation(n) - n / 2) * 0.25 + rng.uniform(0, 0.05)
    return np.asarray(vals.reshape(shape), dtype=dtype)


@dataclass
class Sample:
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    desc: str = ""
    # which array arguments require grad (default: every floating array)
    requires_grad: tuple[bool, ...] | None = None

    def grad_mask(self) -> list[bool]:
        if self.requires_grad is not None:
            return list(self.requires_grad)
        return [isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in self.args]


SampleFn = Callable[[np.random.Generator, Any], list[Sample]]


@dataclass
class OpInfo:
    name: str
    op: Callable[..., Any]  # op(m, *args, **kwargs), m is glassgrad or torch
    samples: SampleFn
    ref: Callable[..., Any] | None = None  # NumPy reference on the arrays (and scalars)
    supports_grad: bool = True
    fd: bool = True
    tol32: tuple[float, float] | None = None  # (rtol, atol) for float32 against torch


UNARY_SHAPES: list[tuple[int, ...]] = [(), (5,), (3, 4), (2, 3, 4)]
BINARY_PAIRS: list[tuple[tuple[int, ...], tuple[int, ...]]] = [
    ((), ()), ((5,), (5,)), ((3, 4), (3, 4)), ((2, 3, 4), (2, 3, 4)),
    ((3, 1), (1, 4)), ((4,), (2, 3, 4)), ((2, 3, 4), (4,)), ((), (2, 3)), ((2, 3), ()), ((2, 1, 4), (3, 1)),
]
SCALAR_SHAPES: list[tuple[int, ...]] = [(), (3, 4)]


def unary_samples(gen: Gen = signed, shapes: list[tuple[int, ...]] | None = None,
                  kwargs_list: list[dict[str, Any]] | None = None) -> SampleFn:
    def samples(rng: np.random.Generator, dtype: Any) -> list[Sample]:
        out = []
        for shape in shapes if shapes is not None else UNARY_SHAPES:
            for kw in kwargs_list or [{}]:
                out.append(Sample((gen(rng, shape, dtype),), dict(kw), f"{shape_id(shape)}{kw or ''}"))
        return out
    return samples


def shaped_samples(gen: Gen, cases: list[tuple[tuple[int, ...], dict[str, Any]]]) -> SampleFn:
    """One array of each shape, with its keyword arguments."""
    def samples(rng: np.random.Generator, dtype: Any) -> list[Sample]:
        return [Sample((gen(rng, shape, dtype),), dict(kw), f"{shape_id(shape)}{kw or ''}") for shape, kw in cases]
    return samples


def binary_samples(ga: Gen = signed, gb: Gen = signed, pairs: list[Any] | None = None,
                   scalar_rhs: tuple[Any, ...] = (), scalar_lhs: tuple[Any, ...] = ()) -> SampleFn:
    def samples(rng: np.random.Generator, dtype: Any) -> list[Sample]:
        out = []
        for sa, sb in pairs if pairs is not None else BINARY_PAIRS:
            out.append(Sample((ga(rng, sa, dtype), gb(rng, sb, dtype)), desc=f"{shape_id(sa)}-{shape_id(sb)}"))
        for s in scalar_rhs:
            for shape in SCALAR_SHAPES:
                out.append(Sample((ga(rng, shape, dtype), s), desc=f"{shape_id(shape)}-py{s!r}"))
        for s in scalar_lhs:
            for shape in SCALAR_SHAPES:
                out.append(Sample((s, gb(rng, shape, dtype)), desc=f"py{s!r}-{shape_id(shape)}"))
        return out
    return samples


def multi_samples(gens: tuple[Gen, ...], shape_sets: list[tuple[tuple[int, ...], ...]]) -> SampleFn:
    def samples(rng: np.random.Generator, dtype: Any) -> list[Sample]:
        return [Sample(tuple(g(rng, s, dtype) for g, s in zip(gens, shapes)),
                       desc="-".join(shape_id(s) for s in shapes)) for shapes in shape_sets]
    return samples


# ---------------------------------------------------------------------------- the op table

OPS: list[OpInfo] = []


def add_op(*args: Any, **kwargs: Any) -> None:
    OPS.append(OpInfo(*args, **kwargs))


# binary arithmetic: operators, functions and methods
add_op("add_op", lambda m, a, b: a + b, binary_samples(scalar_rhs=(2, 2.5), scalar_lhs=(2, -1.5)), np.add)
add_op("add_fn", lambda m, a, b: m.add(a, b), binary_samples(scalar_rhs=(2.5,)), np.add)
add_op("add_method", lambda m, a, b: a.add(b), binary_samples(scalar_rhs=(3,)), np.add)
add_op("add_alpha", lambda m, a, b: m.add(a, b, alpha=2), binary_samples(scalar_rhs=(1.5,)),
       lambda a, b: a + 2 * np.asarray(b, dtype=np.result_type(a, np.float32)))
add_op("add_method_alpha", lambda m, a, b: a.add(b, alpha=-0.5), binary_samples(scalar_rhs=(3,)))
add_op("sub_op", lambda m, a, b: a - b, binary_samples(scalar_rhs=(1, 0.5), scalar_lhs=(2, 2.5)), np.subtract)
add_op("sub_fn", lambda m, a, b: m.sub(a, b), binary_samples(scalar_rhs=(2.5,)), np.subtract)
add_op("sub_method", lambda m, a, b: a.sub(b), binary_samples(scalar_rhs=(2,)), np.subtract)
add_op("sub_alpha", lambda m, a, b: m.sub(a, b, alpha=3), binary_samples(scalar_rhs=(2,)))
add_op("sub_method_alpha", lambda m, a, b: a.sub(b, alpha=0.25), binary_samples(scalar_rhs=(1.5,)))
add_op("mul_op", lambda m, a, b: a * b, binary_samples(scalar_rhs=(2, 2.5), scalar_lhs=(2, -1.5)), np.multiply)
add_op("mul_fn", lambda m, a, b: m.mul(a, b), binary_samples(scalar_rhs=(2,)), np.multiply)
add_op("mul_method", lambda m, a, b: a.mul(b), binary_samples(scalar_rhs=(0.5,)), np.multiply)
add_op("div_op", lambda m, a, b: a / b,
       binary_samples(signed, away_from_zero, scalar_rhs=(4, 0.5), scalar_lhs=(2, 1.5)), np.divide)
add_op("div_fn", lambda m, a, b: m.div(a, b), binary_samples(signed, away_from_zero, scalar_rhs=(3,)), np.divide)
add_op("div_method", lambda m, a, b: a.div(b), binary_samples(signed, away_from_zero, scalar_rhs=(2.5,)), np.divide)
add_op("true_divide", lambda m, a, b: m.true_divide(a, b), binary_samples(signed, away_from_zero), np.divide)
add_op("pow_op", lambda m, a, b: a ** b,
       binary_samples(positive, signed, scalar_rhs=(2, 2.5, -1, 0.5, 0, 3.0), scalar_lhs=(2, 2.5)), np.power)
add_op("pow_fn", lambda m, a, b: m.pow(a, b), binary_samples(positive, signed, scalar_rhs=(2, -0.5), scalar_lhs=(2,)),
       np.power)
add_op("pow_method", lambda m, a, b: a.pow(b), binary_samples(positive, signed, scalar_rhs=(3,)), np.power)
add_op("pow_int_exponent_signed_base", lambda m, a, b: a ** b, binary_samples(signed, signed, pairs=[],
                                                                              scalar_rhs=(2, 3, -2)), np.power)

# unary ops
for _name, _gen, _ref in [
    ("exp", signed, np.exp), ("log", positive, np.log), ("sqrt", positive, np.sqrt), ("sin", signed, np.sin),
    ("cos", signed, np.cos), ("tanh", signed, np.tanh), ("sigmoid", signed, lambda x: 1 / (1 + np.exp(-x))),
    ("relu", away_from_zero, lambda x: np.maximum(x, 0)), ("abs", away_from_zero, np.abs),
    ("neg", signed, np.negative),
]:
    add_op(f"{_name}_fn", lambda m, x, _n=_name: getattr(m, _n)(x), unary_samples(_gen), _ref)
    add_op(f"{_name}_method", lambda m, x, _n=_name: getattr(x, _n)(), unary_samples(_gen), _ref)
add_op("unary_minus", lambda m, x: -x, unary_samples(), np.negative)
add_op("builtin_abs", lambda m, x: abs(x), unary_samples(away_from_zero), np.abs)
add_op("relu_functional", lambda m, x: m.nn.functional.relu(x), unary_samples(away_from_zero),
       lambda x: np.maximum(x, 0))
add_op("clone_method", lambda m, x: x.clone(), unary_samples(), lambda x: x)
add_op("clone_fn", lambda m, x: m.clone(x), unary_samples(), lambda x: x)

# reductions
_RED_CASES: list[tuple[tuple[int, ...], dict[str, Any]]] = [
    ((), {}), ((5,), {}), ((3, 4), {}), ((2, 3, 4), {}),
    ((), {"dim": 0}), ((), {"dim": -1, "keepdim": True}),
    ((5,), {"dim": 0}), ((5,), {"dim": -1, "keepdim": True}),
    ((3, 4), {"dim": 0}), ((3, 4), {"dim": 1}), ((3, 4), {"dim": -1}), ((3, 4), {"dim": (-1, 0)}),
    ((3, 4), {"dim": 0, "keepdim": True}),
    ((2, 3, 4), {"dim": 1}), ((2, 3, 4), {"dim": -2, "keepdim": True}), ((2, 3, 4), {"dim": (0, 2)}),
    ((2, 3, 4), {"dim": (0, -1), "keepdim": True}), ((2, 3, 4), {"dim": [1, 2]}), ((2, 3, 4), {"dim": (0, 1, 2)}),
]


def _np_reduce(fn: Callable[..., Any]) -> Callable[..., Any]:
    def ref(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> Any:
        if dim is not None and x.ndim == 0:
            return fn(x)
        return fn(x, axis=tuple(dim) if isinstance(dim, list) else dim, keepdims=keepdim)
    return ref


add_op("sum_method", lambda m, x, **kw: x.sum(**kw), shaped_samples(signed, _RED_CASES), _np_reduce(np.sum))
add_op("sum_fn", lambda m, x, **kw: m.sum(x, **kw), shaped_samples(signed, _RED_CASES), _np_reduce(np.sum))
add_op("mean_method", lambda m, x, **kw: x.mean(**kw), shaped_samples(signed, _RED_CASES), _np_reduce(np.mean))
add_op("mean_fn", lambda m, x, **kw: m.mean(x, **kw), shaped_samples(signed, _RED_CASES), _np_reduce(np.mean))
add_op("sum_positional", lambda m, x: x.sum(1, True), unary_samples(shapes=[(3, 4), (2, 3, 4)]))
add_op("mean_positional_tuple", lambda m, x: m.mean(x, (0, 1)), unary_samples(shapes=[(3, 4), (2, 3, 4)]))

# matmul and friends
_MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((2, 2, 3), (3, 4)), ((2, 2, 3), (2, 3, 4)),
    ((2, 3), (2, 3, 4)), ((2, 1, 2, 3), (1, 3, 3, 4)), ((3,), (2, 3, 4)), ((2, 2, 3), (3,)), ((1, 2, 3), (5, 3, 2)),
]
_MM_TOL = (1e-4, 1e-5)
add_op("matmul_op", lambda m, a, b: a @ b, binary_samples(pairs=_MATMUL_SHAPES), np.matmul, tol32=_MM_TOL)
add_op("matmul_fn", lambda m, a, b: m.matmul(a, b), binary_samples(pairs=_MATMUL_SHAPES), np.matmul, tol32=_MM_TOL)
add_op("matmul_method", lambda m, a, b: a.matmul(b), binary_samples(pairs=_MATMUL_SHAPES), np.matmul, tol32=_MM_TOL)
add_op("mm_fn", lambda m, a, b: m.mm(a, b), binary_samples(pairs=[((2, 3), (3, 4)), ((1, 3), (3, 1))]), np.matmul,
       tol32=_MM_TOL)
add_op("mm_method", lambda m, a, b: a.mm(b), binary_samples(pairs=[((4, 2), (2, 3))]), np.matmul, tol32=_MM_TOL)
add_op("linear_bias", lambda m, x, w, b: m.nn.functional.linear(x, w, b),
       multi_samples((signed, signed, signed), [((3,), (5, 3), (5,)), ((2, 3), (5, 3), (5,)),
                                                ((4, 2, 3), (5, 3), (5,))]),
       lambda x, w, b: x @ w.T + b, tol32=_MM_TOL)
add_op("linear_nobias", lambda m, x, w: m.nn.functional.linear(x, w),
       multi_samples((signed, signed), [((3,), (5, 3)), ((2, 3), (5, 3)), ((4, 2, 3), (5, 3))]),
       lambda x, w: x @ w.T, tol32=_MM_TOL)

# shape ops
add_op("t_method", lambda m, x: x.t(), unary_samples(shapes=[(), (5,), (3, 4)]), lambda x: x.T)
add_op("t_fn", lambda m, x: m.t(x), unary_samples(shapes=[(3, 4)]), lambda x: x.T)
add_op("T_property", lambda m, x: x.T, unary_samples(shapes=[(3, 4), (1, 5)]), lambda x: x.T)
add_op("transpose_method", lambda m, x, d0, d1: x.transpose(d0, d1),
       shaped_samples(signed, [((3, 4), {"d0": 0, "d1": 1}), ((2, 3, 4), {"d0": 0, "d1": 2}),
                               ((2, 3, 4), {"d0": -1, "d1": 1}), ((3, 4), {"d0": 1, "d1": 1})]),
       lambda x, d0, d1: np.swapaxes(x, d0, d1))
add_op("transpose_fn", lambda m, x: m.transpose(x, -1, 0), unary_samples(shapes=[(3, 4), (2, 3, 4)]),
       lambda x: np.swapaxes(x, -1, 0))
_RESHAPES = [((3, 4), {"shape": (4, 3)}), ((3, 4), {"shape": (12,)}), ((3, 4), {"shape": (-1,)}),
             ((3, 4), {"shape": (2, -1, 3)}), ((2, 3, 4), {"shape": (6, 4)}), ((), {"shape": (1,)}),
             ((5,), {"shape": (5, 1)}), ((1,), {"shape": ()})]
add_op("reshape_method", lambda m, x, shape: x.reshape(shape), shaped_samples(signed, _RESHAPES),
       lambda x, shape: x.reshape(shape))
add_op("reshape_varargs", lambda m, x, shape: x.reshape(*shape), shaped_samples(signed, _RESHAPES[:5]),
       lambda x, shape: x.reshape(shape))
add_op("reshape_fn", lambda m, x, shape: m.reshape(x, shape), shaped_samples(signed, _RESHAPES),
       lambda x, shape: x.reshape(shape))
add_op("view_method", lambda m, x, shape: x.view(shape), shaped_samples(signed, _RESHAPES),
       lambda x, shape: x.reshape(shape))
add_op("view_varargs", lambda m, x, shape: x.view(*shape), shaped_samples(signed, _RESHAPES[:5]),
       lambda x, shape: x.reshape(shape))
# reshape of a non-contiguous tensor copies: torch records CloneBackward0 under UnsafeViewBackward0
add_op("reshape_noncontiguous", lambda m, x: x.t().reshape(-1), unary_samples(shapes=[(3, 4)]),
       lambda x: x.T.reshape(-1))
add_op("reshape_noncontiguous_3d", lambda m, x: x.transpose(0, 2).reshape(4, 6), unary_samples(shapes=[(2, 3, 4)]),
       lambda x: np.swapaxes(x, 0, 2).reshape(4, 6))
add_op("view_after_contiguous", lambda m, x: x.t().contiguous().view(-1), unary_samples(shapes=[(3, 4)]),
       lambda x: x.T.reshape(-1))
add_op("unsqueeze_method", lambda m, x, dim: x.unsqueeze(dim),
       shaped_samples(signed, [((), {"dim": 0}), ((), {"dim": -1}), ((5,), {"dim": 0}), ((5,), {"dim": 1}),
                               ((3, 4), {"dim": 1}), ((3, 4), {"dim": -1}), ((3, 4), {"dim": -3})]),
       lambda x, dim: np.expand_dims(x, dim))
add_op("unsqueeze_fn", lambda m, x: m.unsqueeze(x, 0), unary_samples(shapes=[(3, 4)]), lambda x: x[None])
add_op("squeeze_all", lambda m, x: x.squeeze(), unary_samples(shapes=[(3, 1, 4), (1,), (), (1, 1), (3, 4)]),
       np.squeeze)
add_op("squeeze_dim", lambda m, x, dim: x.squeeze(dim),
       shaped_samples(signed, [((3, 1, 4), {"dim": 1}), ((3, 1, 4), {"dim": -2}), ((3, 1, 4), {"dim": 0}),
                               ((1, 3, 1), {"dim": (0, 2)}), ((), {"dim": 0})]))
add_op("squeeze_fn", lambda m, x: m.squeeze(x, 1), unary_samples(shapes=[(3, 1, 4)]))
add_op("expand", lambda m, x, size: x.expand(*size),
       shaped_samples(signed, [((3, 1), {"size": (3, 4)}), ((4,), {"size": (2, 3, 4)}), ((3, 1), {"size": (-1, 4)}),
                               ((), {"size": (2, 3)}), ((1, 4), {"size": (2, 3, 4)}), ((3, 4), {"size": (3, 4)})]),
       lambda x, size: np.broadcast_to(x, tuple(s if s != -1 else x.shape[i] for i, s in enumerate(size))))
add_op("expand_tuple", lambda m, x: x.expand((2, 3, 4)), unary_samples(shapes=[(3, 1)]),
       lambda x: np.broadcast_to(x, (2, 3, 4)))

# dtype conversion
add_op("to_float64", lambda m, x: x.to(m.float64), unary_samples(), lambda x: x.astype(np.float64))
add_op("to_dtype_kw", lambda m, x: x.to(dtype=m.float64), unary_samples(shapes=[(3, 4)]),
       lambda x: x.astype(np.float64))
add_op("double", lambda m, x: x.double(), unary_samples(), lambda x: x.astype(np.float64))
# (no finite differences: the output is float32, too coarse for them)
add_op("float", lambda m, x: x.float(), unary_samples(), lambda x: x.astype(np.float32), fd=False)
add_op("to_float32", lambda m, x: x.to(m.float32), unary_samples(shapes=[(3, 4)]), lambda x: x.astype(np.float32),
       fd=False)

# softmax family
_SOFTMAX_CASES = [((), {"dim": 0}), ((5,), {"dim": 0}), ((5,), {"dim": -1}), ((3, 4), {"dim": 0}),
                  ((3, 4), {"dim": 1}), ((3, 4), {"dim": -1}), ((2, 3, 4), {"dim": 1}), ((2, 3, 4), {"dim": -1})]


def _np_softmax(x: np.ndarray, dim: int) -> np.ndarray:
    if x.ndim == 0:
        return np.ones_like(x)
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _np_log_softmax(x: np.ndarray, dim: int) -> np.ndarray:
    if x.ndim == 0:
        return np.zeros_like(x)
    s = x - x.max(axis=dim, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=dim, keepdims=True))


_SM_TOL = (1e-4, 1e-6)
for _name, _ref in [("softmax", _np_softmax), ("log_softmax", _np_log_softmax)]:
    _samples = shaped_samples(signed, _SOFTMAX_CASES)
    add_op(f"{_name}_fn", lambda m, x, dim, _n=_name: getattr(m, _n)(x, dim), _samples, _ref, tol32=_SM_TOL)
    add_op(f"{_name}_fn_kw", lambda m, x, dim, _n=_name: getattr(m, _n)(x, dim=dim), _samples, _ref, tol32=_SM_TOL)
    add_op(f"{_name}_method", lambda m, x, dim, _n=_name: getattr(x, _n)(dim), _samples, _ref, tol32=_SM_TOL)
    add_op(f"{_name}_functional", lambda m, x, dim, _n=_name: getattr(m.nn.functional, _n)(x, dim=dim), _samples,
           _ref, tol32=_SM_TOL)

# max / min (ties are tested separately)
_MAXDIM_CASES: list[tuple[tuple[int, ...], dict[str, Any]]] = [
    ((), {"dim": 0}), ((5,), {"dim": 0}), ((3, 4), {"dim": 0}), ((3, 4), {"dim": 1}), ((3, 4), {"dim": -1}),
    ((3, 4), {"dim": 1, "keepdim": True}), ((2, 3, 4), {"dim": 1}), ((2, 3, 4), {"dim": -3, "keepdim": True}),
]
for _name in ("max", "min"):
    add_op(f"{_name}_all_method", lambda m, x, _n=_name: getattr(x, _n)(), unary_samples(distinct),
           getattr(np, _name))
    add_op(f"{_name}_all_fn", lambda m, x, _n=_name: getattr(m, _n)(x), unary_samples(distinct), getattr(np, _name))
    add_op(f"{_name}_dim_method", lambda m, x, _n=_name, **kw: getattr(x, _n)(**kw),
           shaped_samples(distinct, _MAXDIM_CASES))
    add_op(f"{_name}_dim_fn", lambda m, x, dim, _n=_name: getattr(m, _n)(x, dim),
           shaped_samples(distinct, [((3, 4), {"dim": 1}), ((2, 3, 4), {"dim": -1})]))
    add_op(f"{_name}_dim_values", lambda m, x, _n=_name: getattr(x, _n)(dim=0).values,
           unary_samples(distinct, shapes=[(3, 4)]), lambda x, _n=_name: getattr(np, _n)(x, axis=0))
    add_op(f"{_name}_dim_item0", lambda m, x, _n=_name: getattr(x, _n)(1)[0],
           unary_samples(distinct, shapes=[(3, 4)]), lambda x, _n=_name: getattr(np, _n)(x, axis=1))

# indexing
_IDX = [
    ("index_int", lambda m, x: x[0], [(5,), (3, 4), (2, 3, 4)]),
    ("index_neg_int", lambda m, x: x[-1], [(3, 4)]),
    ("index_int_int", lambda m, x: x[1, 2], [(3, 4), (2, 3, 4)]),
    ("index_col", lambda m, x: x[:, 1], [(3, 4), (2, 3, 4)]),
    ("index_slice", lambda m, x: x[1:], [(5,), (3, 4), (2, 3, 4)]),
    ("index_step", lambda m, x: x[::2], [(5,), (3, 4)]),
    ("index_slices_2d", lambda m, x: x[1:3, ::2], [(3, 4), (2, 3, 4)]),
    ("index_none", lambda m, x: x[None], [(), (5,), (3, 4)]),
    ("index_ellipsis", lambda m, x: x[..., 0], [(5,), (3, 4), (2, 3, 4)]),
    ("index_ellipsis_only", lambda m, x: x[...], [(), (3, 4)]),
    ("index_list", lambda m, x: x[[0, 2]], [(3,), (3, 4), (3, 2, 2)]),
    ("index_list_repeat", lambda m, x: x[[1, 1, 0]], [(3, 4)]),
    ("index_mask", lambda m, x: x[x > 0], [(5,), (3, 4), (2, 3, 4)]),
    ("index_mixed", lambda m, x: x[0, [0, 2]], [(3, 4)]),
]
for _name, _fn, _shapes in _IDX:
    add_op(_name, _fn, unary_samples(away_from_zero, shapes=_shapes))


def _op_id(op: OpInfo) -> str:
    return op.name


def _build_params(dtypes: tuple[Any, ...], needs_grad: bool = False, fd: bool = False) -> list[Any]:
    params = []
    for op in OPS:
        if (needs_grad and not op.supports_grad) or (fd and not op.fd):
            continue
        for dtype in dtypes:
            rng = np.random.default_rng(zlib.crc32(f"{op.name}{np.dtype(dtype).name}".encode()))
            for i, s in enumerate(op.samples(rng, dtype)):
                params.append(pytest.param(op, s, id=f"{op.name}-{i}-{s.desc}-{np.dtype(dtype).name}"))
    return params


FLOAT_PARAMS = _build_params((np.float32, np.float64))
GRAD_PARAMS = _build_params((np.float32, np.float64), needs_grad=True)
NAME_PARAMS = _build_params((np.float32,), needs_grad=True)
FD_PARAMS = _build_params((np.float64,), needs_grad=True, fd=True)


def run_op(m: Any, op: OpInfo, s: Sample, requires_grad: bool = False) -> tuple[Any, list[Any]]:
    """Call the op with ``m``'s tensors; returns the output and the input tensors."""
    mask = s.grad_mask()
    args = [from_np(m, a, requires_grad and rg) if isinstance(a, np.ndarray) else a for a, rg in zip(s.args, mask)]
    return op.op(m, *args, **s.kwargs), args


def tolerance(op: OpInfo, s: Sample) -> tuple[float, float]:
    dt = next(a.dtype for a in s.args if isinstance(a, np.ndarray))
    if dt == np.float32 and op.tol32 is not None:
        return op.tol32
    return TOL[dt.type]


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


# ---------------------------------------------------------------------------- 4. finite differences (no torch)

def _numeric_grad(op: OpInfo, s: Sample, i: int, upstream: np.ndarray) -> np.ndarray:
    """d/d(args[i]) of sum(op(args) * upstream), by central differences."""
    args = [a.copy() if isinstance(a, np.ndarray) else a for a in s.args]
    x = args[i]
    flat = x.reshape(-1)
    assert np.shares_memory(flat, x)
    grad = np.zeros(x.size)

    def f() -> float:
        with gg.no_grad():
            out, _ = run_op(gg, op, Sample(tuple(args), s.kwargs))
        return float(np.sum(to_np(primary(out)) * upstream))

    for j in range(x.size):
        orig = flat[j]
        flat[j] = orig + FD_EPS
        fp = f()
        flat[j] = orig - FD_EPS
        fm = f()
        flat[j] = orig
        grad[j] = (fp - fm) / (2 * FD_EPS)
    return grad.reshape(x.shape)


def check_finite_differences(op: OpInfo, s: Sample) -> None:
    out, args = run_op(gg, op, s, requires_grad=True)
    p = primary(out)
    upstream = np.random.default_rng(2).standard_normal(tuple(p.shape))
    p.backward(gradient=gg.tensor(upstream))
    checked = 0
    for i, (a, rg) in enumerate(zip(args, s.grad_mask())):
        if not rg:
            continue
        expected = _numeric_grad(op, s, i, upstream)
        assert a.grad is not None, f"input {i} has no gradient"
        assert str(a.grad.dtype) == "torch.float64"
        np.testing.assert_allclose(to_np(a.grad), expected, rtol=FD_RTOL, atol=FD_ATOL, err_msg=f"input {i}")
        checked += 1
    assert checked


@pytest.mark.parametrize("op,sample", FD_PARAMS)
def test_grad_matches_finite_differences(op: OpInfo, sample: Sample) -> None:
    check_finite_differences(op, sample)


def test_op_table_is_well_formed() -> None:
    names = [op.name for op in OPS]
    assert len(names) == len(set(names))
    assert len(FD_PARAMS) > 100


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
    torch = need_torch()
    with pytest.raises(Exception) as te:
        fn(torch)
    with pytest.raises(Exception) as ge:
        fn(gg)
    assert type(ge.value).__name__ == type(te.value).__name__
    assert str(ge.value) == str(te.value)
