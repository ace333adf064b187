"""The machinery of glassgrad's op database (after PyTorch's OpInfo).

An :class:`OpInfo` names an op, a function ``op(m, *args, **kwargs)`` called with
``m = glassgrad`` and with ``m = torch`` (one spelling for both libraries), its
sample inputs (NumPy arrays become tensors; anything else is passed as is), with
the domain each op needs, and optionally a NumPy reference.  The entries live in
``tests/opdb/`` (one file per op family); ``tests/test_op_table.py`` runs the
same checks on every entry:

1. forward values, dtype and shape against torch (and NumPy where given);
2. gradients against torch, with the same random upstream gradient;
3. ``grad_fn.name()`` and the names in ``next_functions`` against torch;
4. gradients against central finite differences in float64 (glassgrad only:
   this part runs where torch is not installed).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import glassgrad as gg


def need_torch() -> Any:
    """The oracle, or skip this test (only tests that compare with torch call this)."""
    return pytest.importorskip("torch")


def raised(fn: Callable[[], Any]) -> BaseException:
    """The exception ``fn()`` raises (the test fails if it raises none)."""
    with pytest.raises(Exception) as info:
        fn()
    return info.value


def same_error(case: Callable[[Any], Any]) -> BaseException:
    """Run ``case(L)`` with torch and with glassgrad: both must raise the same type with the same text."""
    torch = need_torch()
    expected = raised(lambda: case(torch))
    got = raised(lambda: case(gg))
    assert type(got) is type(expected), (type(got), got, type(expected), expected)
    assert str(got) == str(expected)
    return got


def both(case: Callable[[Any], Any]) -> tuple[Any, Any]:
    """``case(glassgrad), case(torch)``."""
    torch = need_torch()
    return case(gg), case(torch)


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
    # False only where glassgrad records its graph differently on purpose (say why at the entry)
    check_names: bool = True


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



def build_params(ops: list[OpInfo], dtypes: tuple[Any, ...], needs_grad: bool = False, fd: bool = False) -> list[Any]:
    """One pytest param per (op, sample, dtype), seeded by the op's name so runs repeat."""
    params = []
    for op in ops:
        if (needs_grad and not op.supports_grad) or (fd and not op.fd):
            continue
        for dtype in dtypes:
            rng = np.random.default_rng(zlib.crc32(f"{op.name}{np.dtype(dtype).name}".encode()))
            for i, s in enumerate(op.samples(rng, dtype)):
                params.append(pytest.param(op, s, id=f"{op.name}-{i}-{s.desc}-{np.dtype(dtype).name}"))
    return params


def _numeric_grad(op: OpInfo, s: Sample, i: int, upstream: np.ndarray) -> np.ndarray:
    """d/d(args[i]) of sum(op(args) * upstream), by central differences."""
    args = [a.copy() if isinstance(a, np.ndarray) else a for a in s.args]
    x = args[i]
    flat = x.reshape(-1)
    assert x.size == 0 or np.shares_memory(flat, x)
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

