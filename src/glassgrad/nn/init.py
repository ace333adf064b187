"""Parameter initialisation, as ``torch.nn.init``: PyTorch's formulas, checks and messages.

Every function fills its tensor in place with autograd off and returns it, so it can be used on
parameters that require gradients.  Random numbers come from glassgrad's own generator
(``glassgrad.manual_seed`` or ``generator=``): the distributions are PyTorch's, the numbers are not.

The scale of the random schemes comes from the tensor's fans: for a weight of shape
``(out, in, *kernel)``, ``fan_in = in · prod(kernel)`` and ``fan_out = out · prod(kernel)``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

from ..autograd.grad_mode import no_grad
from ..backends import backend
from ..creation import Generator, _rng
from ..tensor import Tensor

xp = backend().xp

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_",
    # deprecated aliases, as in PyTorch
    "uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal", "kaiming_uniform",
    "kaiming_normal", "orthogonal", "sparse",
]


# ---------------------------------------------------------------------- filling the storage
def _check_float(tensor: Tensor, kernel: str) -> None:
    """Random fills exist for floating tensors only (PyTorch's message names its CPU kernel)."""
    if not tensor.dtype.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{tensor.dtype.scalar_name}\'')


def _fill(tensor: Tensor, values: Any) -> Tensor:
    """Write ``values`` (broadcast to the tensor's shape) into its storage: one in-place change, no graph."""
    with no_grad():
        tensor._data[...] = values
        tensor._bump_version()
    return tensor


# ---------------------------------------------------------------------- gains and fans
def calculate_gain(nonlinearity: str, param: int | float | None = None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table).

    linear, conv*, sigmoid: 1; tanh: 5/3; relu: √2; leaky_relu: √(2 / (1 + slope²)) (slope ``param``,
    default 0.01); selu: 3/4.
    """
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, int) or isinstance(param, float):
            negative_slope = param  # NOTE: True/False are ints, hence the bool test
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight shaped ``(out, in, *kernel)``."""
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive_field_size = math.prod(tensor.shape[2:])
    return tensor.size(1) * receptive_field_size, tensor.size(0) * receptive_field_size


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


# ---------------------------------------------------------------------- plain fills
def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Fill with values drawn from U(a, b)."""
    _check_float(tensor, "check_uniform_bounds")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a:g} > to={b:g}")
    return _fill(tensor, _rng(generator).uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Fill with values drawn from N(mean, std²)."""
    _check_float(tensor, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    return _fill(tensor, _rng(generator).normal(mean, std, tensor.shape))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator: Generator | None = None) -> Tensor:
    """Fill with N(mean, std²) truncated to [a, b] (values outside are redrawn).

    As in PyTorch: when [a, b] holds more than 30% of the mass, normal draws outside it are redrawn;
    otherwise uniform draws on [a, b] are accepted with probability pdf(x) / pdf(mode).
    """
    def norm_cdf(x: float) -> float:
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    if (mean < a - 2 * std) or (mean > b + 2 * std):
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)
    rng = _rng(generator)
    shape = tensor.shape
    # NOTE: the bounds are compared in the tensor's own precision, so a float32 value rounded onto a
    # bound's float32 neighbour outside [a, b] is redrawn too.
    lo, hi = xp.asarray(a, dtype=tensor._data.dtype), xp.asarray(b, dtype=tensor._data.dtype)
    p = norm_cdf((b - mean) / std) - norm_cdf((a - mean) / std)
    if p > 0.3:
        values = rng.normal(mean, std, shape).astype(tensor._data.dtype)
        while True:
            outside = (values < lo) | (values > hi)
            if not outside.any():
                break
            values[outside] = rng.normal(mean, std, int(outside.sum()))
    else:
        mode = max(a, min(mean, b))
        log_peak = -0.5 * ((mode - mean) / std) ** 2
        values = rng.uniform(a, b, shape)
        pending = xp.log(rng.uniform(size=shape)) > -0.5 * ((values - mean) / std) ** 2 - log_peak
        while pending.any():
            n = int(pending.sum())
            candidates = rng.uniform(a, b, n)
            values[pending] = candidates
            rejected = xp.log(rng.uniform(size=n)) > -0.5 * ((candidates - mean) / std) ** 2 - log_peak
            pending[pending] = rejected
    return _fill(tensor, values)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0."""
    with no_grad():
        return tensor.zero_()


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity matrix (ones on the main diagonal, zeros elsewhere)."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, xp.eye(*tensor.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3-, 4- or 5-D convolution weight so that the convolution copies its input channels.

    In each of ``groups`` groups, output channel ``d`` gets a 1 at the kernel's centre of input channel
    ``d`` (for as many channels as both sides have).
    """
    dimensions = tensor.dim()
    if dimensions not in [3, 4, 5]:
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.size()
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_chans_per_grp = sizes[0] // groups
    min_dim = min(out_chans_per_grp, sizes[1])
    centre = tuple(s // 2 for s in sizes[2:])
    values = xp.zeros(tensor.shape)
    for g in range(groups):
        for d in range(min_dim):
            values[(g * out_chans_per_grp + d, d, *centre)] = 1
    return _fill(tensor, values)


# ---------------------------------------------------------------------- scaled random schemes
def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Glorot uniform: U(-a, a) with ``a = gain · √(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Glorot normal: N(0, std²) with ``std = gain · √(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator: Generator | None = None) -> Tensor:
    """He uniform: U(-bound, bound) with ``bound = gain · √(3 / fan)``; ``a`` is leaky_relu's slope."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator: Generator | None = None) -> Tensor:
    """He normal: N(0, std²) with ``std = gain / √fan``; ``a`` is leaky_relu's slope."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1, generator: Generator | None = None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix times ``gain`` (trailing dimensions flattened).

    Q of the QR factorisation of a Gaussian matrix, its columns' signs fixed by R's diagonal so that Q is
    uniformly distributed (Mezzadri, 2007).
    """
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.size(0)
    cols = tensor.numel() // rows
    flattened = _rng(generator).normal(0.0, 1.0, (rows, cols)).astype(tensor._data.dtype)
    if rows < cols:
        flattened = flattened.T
    q, r = xp.linalg.qr(flattened)
    q = q * xp.sign(xp.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator: Generator | None = None) -> Tensor:
    """Fill a 2-D tensor with N(0, std²) values, then zero ``ceil(sparsity · rows)`` random rows of each column."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rng = _rng(generator)
    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    values = rng.normal(0.0, std, (rows, cols))
    for col_idx in range(cols):
        values[rng.permutation(rows)[:num_zeros], col_idx] = 0
    return _fill(tensor, values)


# ---------------------------------------------------------------------- deprecated names
def _make_deprecate(meth: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """``init.uniform`` and friends: the old names, which warn and call the new ones."""
    new_name = meth.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args: Any, **kwargs: Any) -> Tensor:
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of `nn.init.{new_name}`.",
                      FutureWarning, stacklevel=2)
        return meth(*args, **kwargs)

    deprecated_init.__doc__ = f"{old_name}(...): deprecated in favor of ``nn.init.{new_name}``."
    deprecated_init.__name__ = old_name
    return deprecated_init


uniform = _make_deprecate(uniform_)
normal = _make_deprecate(normal_)
constant = _make_deprecate(constant_)
eye = _make_deprecate(eye_)
dirac = _make_deprecate(dirac_)
xavier_uniform = _make_deprecate(xavier_uniform_)
xavier_normal = _make_deprecate(xavier_normal_)
kaiming_uniform = _make_deprecate(kaiming_uniform_)
kaiming_normal = _make_deprecate(kaiming_normal_)
orthogonal = _make_deprecate(orthogonal_)
sparse = _make_deprecate(sparse_)
