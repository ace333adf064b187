"""Creating tensors: ``tensor``, ``zeros``, ``arange``, ``randn``… and the random generator."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

from . import dtypes as D
from .backends import backend
from .ops._base import wrap
from .tensor import Tensor
from .tensor import device as _device

_B = backend()
xp = _B.xp

__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "zeros_like", "ones_like",
    "full_like", "empty_like", "arange", "linspace", "eye", "rand", "randn", "randint", "rand_like",
    "randn_like", "randint_like", "randperm", "manual_seed", "seed", "initial_seed", "Generator",
    "get_rng_state", "set_rng_state", "normal", "bernoulli", "multinomial",
]


# ---------------------------------------------------------------------- generator
class Generator:
    """A seeded source of random numbers (PyTorch's API; the numbers differ from PyTorch's)."""

    #: PyTorch's default seed, so an unseeded program is reproducible as in PyTorch
    DEFAULT_SEED = 67280421310721

    def __init__(self, device: Any = "cpu") -> None:
        self._seed = self.DEFAULT_SEED
        self.rng = xp.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed) & ((1 << 64) - 1)
        self.rng = xp.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        s = int(xp.random.SeedSequence().entropy) & ((1 << 63) - 1)
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Tensor:
        import json
        state = json.dumps(self.rng.bit_generator.state).encode()
        return Tensor._make(xp.frombuffer(state, dtype=xp.uint8).copy())

    def set_state(self, state: Tensor) -> Generator:
        import json
        self.rng.bit_generator.state = json.loads(bytes(state._data.tolist()).decode())
        return self

    @property
    def device(self) -> _device:
        return _device("cpu")


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed glassgrad's default generator."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    return default_generator.get_state()


def set_rng_state(state: Tensor) -> None:
    default_generator.set_state(state)


#: the innermost ``func.vmap``'s randomness mode while its function runs ("error" forbids random ops)
VMAP_RANDOMNESS: list[str] = []


def _rng(generator: Generator | None) -> Any:
    if VMAP_RANDOMNESS and VMAP_RANDOMNESS[-1] == "error":
        raise RuntimeError("vmap: called random operation while in randomness error mode. Please either use the "
                           "'same' or 'different' randomness flags on vmap or perform the randomness operation out "
                           "of vmap")
    return (generator or default_generator).rng


# ---------------------------------------------------------------------- helpers
def _size(size: Sequence[Any], fn: str = "empty") -> tuple[int, ...]:
    """Normalise ``*size`` (ints or one sequence), with PyTorch's errors."""
    packed = len(size) == 1 and isinstance(size[0], (tuple, list))
    if packed:
        size = tuple(size[0])
    out = []
    for i, s in enumerate(size):
        if isinstance(s, Tensor):
            s = int(s.item())
        if isinstance(s, bool) or not (isinstance(s, int) or hasattr(s, "__index__")):
            if packed or len(size) > 1:
                raise TypeError(
                    f"{fn}(): argument 'size' failed to unpack the object at pos {i + 1} with error "
                    f'"type must be tuple of ints,but got {type(s).__name__}"'
                )
            raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, not {type(s).__name__}")
        out.append(int(s))
    if any(s < 0 for s in out):
        if fn == "zeros":
            raise RuntimeError("zeros: Dimension size must be non-negative.")
        bad = next(s for s in out if s < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: {out}")
    return tuple(out)


def _finish(data: Any, requires_grad: bool, device: Any = None) -> Tensor:
    if device is not None:
        from .ops.shape import _check_device
        _check_device(device)
    t = wrap(data)
    if requires_grad:
        t._set_requires_grad(True, "Only Tensors of floating point and complex dtype can require gradients")
    return t


def _float_np(dtype: D.dtype | None) -> Any:
    return (dtype or D.get_default_dtype()).np


# ---------------------------------------------------------------------- from data
def tensor(data: Any, *, dtype: D.dtype | None = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays, tensors).

    >>> import glassgrad as torch
    >>> torch.tensor([2.0, 3.0], requires_grad=True)
    tensor([2., 3.], requires_grad=True)
    """
    if type(data) is float and dtype is None and device is None:
        # the chapter's torch.tensor(2.0, requires_grad=True), written out (~0.6 µs against ~1.4 µs): a
        # float is always of a floating dtype, so _finish's checks for requires_grad have nothing to refuse
        t = wrap(xp.array(data, dtype=D.get_default_dtype().np))
        t._rg = bool(requires_grad)
        return t
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
            "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).",
            UserWarning, stacklevel=2,
        )
        arr = xp.array(data._data, copy=True)
    else:
        arr = _to_array(data, dtype)
    if dtype is not None:
        arr = arr.astype(dtype.np, copy=False)
    return _finish(arr, requires_grad, device)


def _infer_dtype(data: Any) -> D.dtype:
    """PyTorch's dtype inference for ``tensor(data)``: promoted over every element.

    Python floats give the default dtype, ints int64, bools bool; NumPy scalars,
    arrays and tensors keep their own dtype.
    """
    if isinstance(data, Tensor):
        return data.dtype
    if isinstance(data, (_B.ndarray, xp.generic)):
        return D.from_np(data.dtype)
    if isinstance(data, bool):
        return D.bool_
    if isinstance(data, int):
        return D.int64
    if isinstance(data, float):
        return D.get_default_dtype()
    if isinstance(data, (list, tuple)):
        out = None
        for x in data:
            d = _infer_dtype(x)
            out = d if out is None else D.promote_types(out, d)
        return out or D.get_default_dtype()
    if isinstance(data, str):
        raise TypeError("new(): invalid data type 'str'")
    raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")


def _infer_shape(data: Any) -> tuple[int, ...]:
    """The shape of nested sequences, with PyTorch's error for ragged ones."""
    shape: list[int] = []
    x = data
    while isinstance(x, (list, tuple, str)):
        if isinstance(x, str):  # PyTorch walks into a string as if it were a sequence
            raise ValueError("too many dimensions 'str'")
        shape.append(len(x))
        if not x:
            break
        x = x[0]
    if isinstance(x, (Tensor, _B.ndarray)):
        shape.extend(x.shape)
    return tuple(shape)


def _check_shape(x: Any, shape: list[int], dim: int) -> None:
    if dim >= len(shape):
        if isinstance(x, (list, tuple)):
            raise ValueError(f"too many dimensions '{type(x).__name__}'")
        return
    if isinstance(x, (Tensor, _B.ndarray)):
        if tuple(x.shape) != tuple(shape[dim:]):
            raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {x.shape[0] if x.ndim else 0})")
        return
    if not isinstance(x, (list, tuple)):
        raise TypeError("not a sequence")
    if len(x) != shape[dim]:
        raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(x)})")
    for e in x:
        _check_shape(e, shape, dim + 1)


def _to_array(data: Any, dtype: D.dtype | None = None) -> Any:
    """``data`` as a new array, in ``dtype`` if given (converted once: 0.1 as float64 stays exact)."""
    if isinstance(data, _B.ndarray):
        D.from_np(data.dtype)
        return xp.array(data, copy=True)
    if isinstance(data, (list, tuple)):
        # PyTorch's order: shape from the first elements, dtype from all, then every length checked
        shape = _infer_shape(data)
        inferred = _infer_dtype(data)
        dtype = dtype or inferred
        _check_shape(data, list(shape), 0)
        arr = xp.array(_untensor(data), dtype=dtype.np)
        return arr.reshape(shape)
    inferred = _infer_dtype(data)
    return xp.array(data, dtype=(dtype or inferred).np)


def _untensor(data: Any) -> Any:
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_untensor(x) for x in data]
    return data


def as_tensor(data: Any, dtype: D.dtype | None = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array or tensor when it can."""
    if isinstance(data, Tensor):
        return data if dtype is None or dtype is data.dtype else data.to(dtype)
    if isinstance(data, _B.ndarray):
        D.from_np(data.dtype)
        return wrap(data if dtype is None else data.astype(dtype.np, copy=False))
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray: Any) -> Tensor:
    """A tensor sharing memory with ``ndarray``."""
    if not isinstance(ndarray, _B.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    D.from_np(ndarray.dtype)
    return wrap(ndarray)


# ---------------------------------------------------------------------- filled
def zeros(*size: Any, dtype: D.dtype | None = None, device: Any = None, requires_grad: bool = False,
          out: Any = None, layout: Any = None) -> Tensor:
    """A tensor of zeros."""
    return _finish(xp.zeros(_size(size, "zeros"), dtype=_float_np(dtype)), requires_grad, device)


def ones(*size: Any, dtype: D.dtype | None = None, device: Any = None, requires_grad: bool = False,
         out: Any = None, layout: Any = None) -> Tensor:
    """A tensor of ones."""
    return _finish(xp.ones(_size(size, "ones"), dtype=_float_np(dtype)), requires_grad, device)


def empty(*size: Any, dtype: D.dtype | None = None, device: Any = None, requires_grad: bool = False,
          memory_format: Any = None, layout: Any = None, out: Any = None) -> Tensor:
    """An uninitialised tensor (glassgrad fills it with zeros)."""
    return _finish(xp.zeros(_size(size), dtype=_float_np(dtype)), requires_grad, device)


def full(size: Any, fill_value: Any, *, dtype: D.dtype | None = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value`` (its dtype inferred from the value, as PyTorch does)."""
    if dtype is None:
        if isinstance(fill_value, bool):
            dtype = D.bool_
        elif isinstance(fill_value, int):
            dtype = D.int64
        else:
            dtype = D.get_default_dtype()
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if not isinstance(fill_value, (int, float, bool, complex)) and not isinstance(fill_value, xp.generic):
        raise TypeError(f"full(): argument 'fill_value' (position 2) must be Number, not {type(fill_value).__name__}")
    return _finish(xp.full(_size((size,) if isinstance(size, int) else tuple(size)), fill_value, dtype=dtype.np),
                   requires_grad, device)


def _like(fn: Any) -> Any:
    def like(input: Tensor, *, dtype: D.dtype | None = None, device: Any = None, requires_grad: bool = False,
             memory_format: Any = None, layout: Any = None) -> Tensor:
        return fn(input._data.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)
    like.__name__ = fn.__name__ + "_like"
    like.__doc__ = f"``{fn.__name__}`` with the shape (and by default the dtype) of ``input``."
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)


def full_like(input: Tensor, fill_value: Any, *, dtype: D.dtype | None = None, device: Any = None,
              requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    return full(input._data.shape, fill_value, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


# ---------------------------------------------------------------------- ranges
def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: D.dtype | None = None, device: Any = None,
           requires_grad: bool = False, out: Any = None) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if vals[2] == 0:
        raise RuntimeError("step must be nonzero")
    if not all(math.isfinite(v) for v in vals):
        raise RuntimeError(f"unsupported range: {vals[0]} -> {vals[1]}")
    if (vals[1] - vals[0]) / vals[2] < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        dtype = D.get_default_dtype() if any(isinstance(v, float) for v in vals) else D.int64
    n = max(0, math.ceil((vals[1] - vals[0]) / vals[2]))
    data = (vals[0] + vals[2] * xp.arange(n, dtype=xp.float64))
    return _finish(data.astype(dtype.np) if dtype.is_floating_point else
                   (vals[0] + vals[2] * xp.arange(n, dtype=xp.int64)).astype(dtype.np), requires_grad, device)


def linspace(start: Any, end: Any, steps: int, *, dtype: D.dtype | None = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    Computed as PyTorch computes it: the first half forward from ``start``, the
    second half back from ``end``, with one rounding per value (a fused multiply-add).
    """
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    s = start.item() if isinstance(start, Tensor) else start
    e = end.item() if isinstance(end, Tensor) else end
    dt = dtype or D.get_default_dtype()
    idx = xp.arange(steps)
    if dt.is_floating_point:
        sd, ed = dt.np.type(s), dt.np.type(e)
        step = (ed - sd) / dt.np.type(max(steps - 1, 1))
        wide = xp.longdouble  # exact enough to stand for the fused multiply-add
        fwd = wide(sd) + wide(step) * idx
        bwd = wide(ed) - wide(step) * (steps - 1 - idx)
        data = xp.where(idx < steps // 2, fwd, bwd).astype(dt.np)
        if steps == 1:
            data = xp.asarray([sd], dtype=dt.np)
    else:
        step = (float(int(e)) - float(int(s))) / max(steps - 1, 1)
        data = xp.where(idx < steps // 2, int(s) + step * idx, int(e) - step * (steps - 1 - idx)).astype(dt.np)
    return _finish(data, requires_grad, device)


def eye(n: int, m: int | None = None, *, dtype: D.dtype | None = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The identity matrix (``n`` × ``m``)."""
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    return _finish(xp.eye(n, n if m is None else m, dtype=_float_np(dtype)), requires_grad, device)


# ---------------------------------------------------------------------- random
def rand(*size: Any, generator: Generator | None = None, dtype: D.dtype | None = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform random numbers in [0, 1)."""
    _check_float(dtype, "check_uniform_bounds")
    dt = _float_np(dtype)
    data = _rng(generator).random(_size(size), dtype=dt if dt in (xp.float32, xp.float64) else xp.float64)
    return _finish(data.astype(dt, copy=False), requires_grad, device)


def randn(*size: Any, generator: Generator | None = None, dtype: D.dtype | None = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal random numbers."""
    _check_float(dtype, "normal_kernel_cpu")
    dt = _float_np(dtype)
    data = _rng(generator).standard_normal(_size(size), dtype=dt if dt in (xp.float32, xp.float64) else xp.float64)
    return _finish(data.astype(dt, copy=False), requires_grad, device)


def randint(low: int, high: Any = None, size: Any = None, *, generator: Generator | None = None,
            dtype: D.dtype | None = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Random integers in [low, high)."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError(
                f"randint(): argument 'size' (position 2) must be tuple of ints, not {type(high).__name__}"
            )
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    data = _rng(generator).integers(low, high, size=_size((size,) if isinstance(size, int) else tuple(size)))
    return _finish(data.astype((dtype or D.int64).np), requires_grad, device)


def _check_float(dtype: D.dtype | None, kernel: str) -> None:
    if dtype is not None and not dtype.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{dtype.scalar_name}\'')


def rand_like(input: Tensor, *, dtype: D.dtype | None = None, requires_grad: bool = False, **kw: Any) -> Tensor:
    return rand(input._data.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype: D.dtype | None = None, requires_grad: bool = False, **kw: Any) -> Tensor:
    return randn(input._data.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randint_like(input: Tensor, low: int, high: Any = None, *, dtype: D.dtype | None = None, **kw: Any) -> Tensor:
    return randint(low, high, input._data.shape, dtype=dtype or input.dtype)


def randperm(n: int, *, generator: Generator | None = None, dtype: D.dtype | None = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of 0..n-1."""
    return _finish(_rng(generator).permutation(n).astype((dtype or D.int64).np), requires_grad, device)


def normal(mean: Any, std: Any = 1.0, size: Any = None, *, generator: Generator | None = None) -> Tensor:
    """Normal random numbers with the given mean and std (numbers or tensors)."""
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    shape = _size(size) if size is not None else xp.broadcast_shapes(xp.shape(m), xp.shape(s))
    dt = (mean.dtype if isinstance(mean, Tensor) else std.dtype if isinstance(std, Tensor) else D.get_default_dtype()).np
    return wrap((m + s * _rng(generator).standard_normal(shape)).astype(dt))


def bernoulli(input: Tensor, p: float | None = None, *, generator: Generator | None = None) -> Tensor:
    """1 with probability ``input`` (or ``p``), else 0."""
    prob = input._data if p is None else p
    return wrap((_rng(generator).random(input._data.shape) < prob).astype(input._data.dtype))


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None) -> Tensor:
    """Indices drawn with probability proportional to ``input``'s rows."""
    p = input._data.astype(xp.float64)
    rows = p.reshape(-1, p.shape[-1])
    rng = _rng(generator)
    out = xp.stack([rng.choice(r.size, size=num_samples, replace=replacement, p=r / r.sum()) for r in rows])
    return wrap(out.reshape(p.shape[:-1] + (num_samples,)).astype(xp.int64))
