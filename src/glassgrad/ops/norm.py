"""Normalization and attention (``torch.nn.functional``): layer, RMS, group, batch, instance and
local response norm, and scaled dot-product attention.

``layer_norm``, ``group_norm`` and ``batch_norm`` are fused nodes, as in PyTorch
(``Native*Backward0``); their rules recompute the normalisation from the saved
input with ``F`` ops, so the same rule gives first and second derivatives.
``rms_norm``, ``instance_norm``, ``local_response_norm`` and
``scaled_dot_product_attention`` are built from differentiable ops and record
every step.  Forward values are computed in float64 and rounded to the input's
dtype (centred moments: stable for inputs of ±1000 and beyond).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from ._base import STATE, D, Node, Tensor, broadcast_error, record, wrap, wrap_dim, xp
from ._rows import sum_keep
from .elementwise import add_scalar as _add_scalar

__all__ = ["layer_norm", "rms_norm", "group_norm"]
#: Tensor methods this family adds (name -> function)
METHODS: dict[str, Any] = {}
#: names of this family's functions that also live in glassgrad.nn.functional
FUNCTIONAL = ["layer_norm", "rms_norm", "group_norm", "batch_norm", "instance_norm", "local_response_norm",
              "scaled_dot_product_attention"]

_f64 = xp.float64
_F64 = xp.dtype(_f64)


# ====================================================================== shared helpers
def _name(t: Tensor) -> str:
    """PyTorch's scalar-type name of a tensor's dtype (``Float``, ``Long``…)."""
    return t.dtype.scalar_name


def _c_name(t: Tensor) -> str:
    """The C type name PyTorch prints for a dtype (``float``, ``long int``…)."""
    from ..tensor import _C_NAMES
    return _C_NAMES[t.dtype.name][0]


def _rg(t: Any) -> bool:
    return isinstance(t, Tensor) and t._rg


def _recording(*inputs: Any) -> bool:
    return STATE.grad_enabled and any(_rg(t) for t in inputs)


def _check_float(input: Tensor, kernel: str) -> None:
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_name(input)}'")


def _check_params(input: Tensor, *params: Tensor | None) -> None:
    """PyTorch's CPU dtype rules for a normalisation's parameters.

    Parameters share the input's dtype, except that a float16 input may have
    float32 parameters ("mixed dtype"), decided by the first one given.
    """
    given = [p for p in params if p is not None]
    if not given:
        return
    xd = input._data.dtype
    if given[0]._data.dtype != xd:
        for p in given:
            if p._data.dtype != xp.float32:
                raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
        if xd != xp.float16:
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
        return
    for p in given:
        if p._data.dtype != xd:
            raise RuntimeError(f"expected scalar type {_name(input)} but found {_name(p)}")


def _normalized_shape(normalized_shape: Any, fn: str) -> tuple[int, ...]:
    if isinstance(normalized_shape, int) or not isinstance(normalized_shape, (tuple, list)):
        raise TypeError(f"{fn}(): argument 'normalized_shape' (position 2) must be tuple of ints, "
                        f"not {type(normalized_shape).__name__}")
    ns = tuple(int(s) for s in normalized_shape)
    if not ns:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    return ns


def _prod(shape: Any) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _verify_batch_size(size: Any) -> None:
    """``F.batch_norm``/``F.group_norm``'s check that each channel sees more than one value."""
    prod = size[0]
    for s in size[2:]:
        prod *= s
    if prod == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")


def _stats64(d: Any, axes: tuple[int, ...]) -> tuple[Any, Any, Any]:
    """float64 mean, biased variance and centred input of ``d`` over ``axes`` (two passes: stable)."""
    n = max(_prod(d.shape[a] for a in axes), 1)
    xc = d.astype(_f64)  # a fresh copy: centred in place
    mean = sum_keep(xc, axes) / n
    xc -= mean
    return mean, sum_keep(xc * xc, axes) / n, xc


def _affine64(y: Any, weight: Tensor | None, bias: Tensor | None, shape: tuple[int, ...]) -> Any:
    """``y * weight + bias`` with the parameters reshaped to ``shape`` (float64), in place: ``y`` is a fresh array."""
    if weight is not None:
        y *= weight._data.astype(_f64).reshape(shape)
    if bias is not None:
        y += bias._data.astype(_f64).reshape(shape)
    return y


# The rules' shared steps, written with F so that they differentiate again.
# They compute in float64 (the engine casts the gradients back): float32 sums of
# values far from their mean lose the digits that the centred terms need.
def _normalize(F: Any, x: Any, axes: tuple[int, ...], n: int, eps: float) -> tuple[Any, Any]:
    """x̂ = (x - mean) * rstd over ``axes`` (``n`` elements each) and rstd = 1 / sqrt(var + eps)."""
    if not F.tensor_mode:  # backward(): the same steps on one float64 copy, in place
        xc = xp.array(x, dtype=_f64)
        xc -= sum_keep(xc, axes) / n
        rstd = 1 / xp.sqrt(sum_keep(xc * xc, axes) / n + eps)
        xc *= rstd
        return xc, rstd
    x = F.to_dtype(x, _F64)
    xc = x - F.sum(x, axes, True) / n
    rstd = 1 / F.sqrt(F.sum(xc * xc, axes, True) / n + eps)
    return xc * rstd, rstd


def _input_grad(F: Any, gxh: Any, xhat: Any, rstd: Any, axes: tuple[int, ...], n: int) -> Any:
    """Gradient of the normalisation for ``gxh`` = d/dx̂: rstd * (gxh - mean(gxh) - x̂ * mean(gxh * x̂))."""
    if not F.tensor_mode:  # backward(): the same operations in the same order, in place on one copy
        gx = xp.array(gxh, dtype=_f64)
        m2 = sum_keep(gx * xhat, axes) / n
        gx -= sum_keep(gx, axes) / n
        gx -= xhat * m2
        gx *= rstd
        return gx
    gxh = F.to_dtype(gxh, _F64)
    return rstd * (gxh - F.sum(gxh, axes, True) / n - xhat * (F.sum(gxh * xhat, axes, True) / n))


def _sum_over(F: Any, t: Any, axes: tuple[int, ...]) -> Any:
    return F.sum(t, axes) if axes else t


# ====================================================================== layer_norm
def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5, cudnn_enable: bool = True) -> Tensor:
    """(x - mean) / sqrt(var + eps) * weight + bias over the last ``len(normalized_shape)`` dims.

    d/dx = rstd * (gw - mean(gw) - x̂ * mean(gw * x̂)) with gw = grad * weight;
    d/dweight = sum(grad * x̂), d/dbias = sum(grad) over the leading dims.
    """
    ns = _normalized_shape(normalized_shape, "layer_norm")
    for what, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p._data.shape) != ns:
            raise RuntimeError(f"Expected {what} to be of same shape as normalized_shape, but got {what} of shape "
                               f"{list(p._data.shape)} and normalized_shape = {list(ns)}")
    d = input._data
    k = len(ns)
    if d.ndim < k or tuple(d.shape[d.ndim - k:]) != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape [*, "
                           f"{', '.join(map(str, ns))}], but got input of size{list(d.shape)}")
    _check_params(input, weight, bias)
    _check_float(input, "LayerNormKernelImpl")
    axes = tuple(range(d.ndim - k, d.ndim))
    mean, var, xc = _stats64(d, axes)
    std = xp.sqrt(var + eps)
    xc /= std
    out = wrap(_affine64(xc, weight, bias, ns).astype(d.dtype))
    if _recording(input, weight, bias):
        n = NativeLayerNormBackward0()
        n.axes, n.lead, n.n, n.eps = axes, tuple(range(d.ndim - k)), _prod(ns), eps
        # as PyTorch's native_layer_norm, keep mean and rstd (one value per row) for backward
        n.stats = (mean, 1 / std)
        record(out, n, (input, weight, bias), (input, weight, bias))
    return out


class NativeLayerNormBackward0(Node):
    __slots__ = ("axes", "lead", "n", "eps", "stats")
    formula = "native_layer_norm(input, normalized_shape, weight, bias, eps)"
    derivatives = ("rstd * (gw - mean(gw) - x̂ * mean(gw * x̂)),  gw = grad * weight",
                   "sum(grad * x̂) over the leading dims", "sum(grad) over the leading dims")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        x, w, _ = self.unpack(F)
        if F.tensor_mode:  # create_graph: x̂ recomputed from x, so that it differentiates again
            xhat, rstd = _normalize(F, x, self.axes, self.n, self.eps)
        else:  # x̂ from the saved statistics: two passes instead of _normalize's five (same values)
            mean, rstd = self.stats
            xhat = xp.subtract(x, mean, dtype=_f64)
            xhat *= rstd
        gx = _input_grad(F, g if w is None else g * w, xhat, rstd, self.axes, self.n) if self.needs(0) else None
        gw = _sum_over(F, g * xhat, self.lead) if self.needs(1) else None
        gb = _sum_over(F, g, self.lead) if self.needs(2) else None
        return gx, gw, gb


# ====================================================================== rms_norm
_rms_warned = False


def rms_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None, eps: float | None = None) -> Tensor:
    """x * rsqrt(mean(x², last dims) + eps) * weight, recorded step by step as PyTorch records it.

    PyTorch builds it from ops (pow, mean, add, rsqrt, mul; float16 computed in
    float32), so the graph is PowBackward0 → MeanBackward1 → AddBackward1 →
    RsqrtBackward0 → MulBackward0, then MulBackward0 by the weight and
    CloneBackward0 when the result is not contiguous.  ``eps`` defaults to the
    machine epsilon of the compute dtype.
    """
    from .elementwise import mul, pow
    from .reduction import mean
    from .shape import contiguous, to
    from .unary import rsqrt

    ns = _normalized_shape(normalized_shape, "rms_norm")
    if weight is not None and tuple(weight._data.shape) != ns:
        raise RuntimeError("Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{list(weight._data.shape)} and normalized_shape = {list(ns)}")
    d = input._data
    k = len(ns)
    if d.ndim < k:
        raise ValueError(f"Input tensor must have at least {k} dimensions, but got {d.ndim}")
    if tuple(d.shape[d.ndim - k:]) != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape [*"
                           f"{', '.join(map(str, ns))}], but got input of size{list(d.shape)}")
    _check_float(input, "rms_norm")
    global _rms_warned
    if weight is not None and weight._data.dtype != d.dtype and not _rms_warned:
        _rms_warned = True  # (PyTorch warns once per process)
        warnings.warn(f"Mismatch dtype between input and weight: input dtype = {_c_name(input)}, weight dtype = "
                      f"{_c_name(weight)}, Cannot dispatch to fused implementation.", UserWarning, stacklevel=2)
    x = to(input, D.float32) if d.dtype == xp.float16 else input  # half computes in float32
    if eps is None:
        eps = float(xp.finfo(x._data.dtype).eps)
    r = rsqrt(_add_scalar(mean(pow(x, 2), tuple(range(d.ndim - k, d.ndim)), keepdim=True), eps))
    out = mul(x, r)
    if weight is not None:
        out = mul(out, weight)
    return contiguous(to(out, input.dtype))


# ====================================================================== group_norm
def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise each of ``num_groups`` groups of channels (with the dims after them), then weight and bias per channel.

    Over a group's M values: d/dx = rstd * (gw - mean(gw) - x̂ * mean(gw * x̂)), gw = grad * weight;
    d/dweight = sum(grad * x̂), d/dbias = sum(grad) over all dims but the channels.
    """
    from .shape import contiguous

    d = input._data
    if d.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {d.ndim}")
    _verify_batch_size([d.shape[0] * d.shape[1] // num_groups, num_groups] + list(d.shape[2:]))
    N, C = d.shape[:2]
    if num_groups <= 0:
        raise RuntimeError(f"Expected num groups to be greater than 0, got {num_groups}")
    if C % num_groups:
        raise RuntimeError("Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(d.shape)} and num_groups={num_groups}")
    for what, p in (("weight", weight), ("bias", bias)):
        if p is not None and (p._data.ndim != 1 or p._data.size != C):
            # (PyTorch prints the weight's shape in both messages: [0] when there is none)
            shown = list(weight._data.shape) if weight is not None else [0]
            raise RuntimeError(f"Expected {what} to be a vector of size equal to the number of channels in input, "
                               f"but got {what} of shape {shown} and input of shape {list(d.shape)}")
    _check_params(input, weight, bias)
    _check_float(input, "GroupNormKernelImpl")
    input = contiguous(input)  # PyTorch's group norm works on a contiguous copy (CloneBackward0)
    groups = (N, num_groups, _prod(d.shape[1:]) // num_groups)
    _, var, xc = _stats64(d.reshape(groups), (2,))
    y = (xc / xp.sqrt(var + eps)).reshape(d.shape)
    cshape = (1, C) + (1,) * (d.ndim - 2)
    out = wrap(_affine64(y, weight, bias, cshape).astype(d.dtype))
    if _recording(input, weight, bias):
        n = NativeGroupNormBackward0()
        n.groups, n.shape, n.cshape, n.eps = groups, d.shape, cshape, eps
        n.axes = (0,) + tuple(range(2, d.ndim))
        record(out, n, (input, weight, bias), (input, weight))
    return out


class NativeGroupNormBackward0(Node):
    __slots__ = ("groups", "shape", "cshape", "axes", "eps")
    formula = "native_group_norm(input, weight, bias, N, C, HxW, group, eps)"
    derivatives = ("per group: rstd * (gw - mean(gw) - x̂ * mean(gw * x̂)),  gw = grad * weight",
                   "sum(grad * x̂) over all dims but the channels", "sum(grad) over all dims but the channels")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        x, w = self.unpack(F)
        m = self.groups[2]
        xhat, rstd = _normalize(F, F.reshape(x, self.groups), (2,), m, self.eps)
        gx = gw = gb = None
        if self.needs(0):
            gxh = F.reshape(g if w is None else g * F.reshape(w, self.cshape), self.groups)
            gx = F.reshape(_input_grad(F, gxh, xhat, rstd, (2,), m), self.shape)
        if self.needs(1):
            gw = F.sum(g * F.reshape(xhat, self.shape), self.axes)
        if self.needs(2):
            gb = F.sum(g, self.axes)
        return gx, gw, gb


# ====================================================================== batch_norm
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dim 1) over the batch and the dims after it, then weight and bias per channel.

    Training: batch statistics; ``running_mean``/``running_var`` are updated in
    place (``(1 - momentum) * running + momentum * batch``, the unbiased batch
    variance), as PyTorch does.  Evaluation: the running statistics.
    d/dx = rstd * (gw - mean(gw) - x̂ * mean(gw * x̂)) in training, gw * rstd in evaluation (gw = grad * weight);
    d/dweight = sum(grad * x̂), d/dbias = sum(grad) over all dims but the channels.
    """
    if training:
        _verify_batch_size(input.size())
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    return _batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps)


def _batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None, running_mean: Tensor | None,
                running_var: Tensor | None, training: bool, momentum: float, eps: float,
                cudnn_enabled: bool = True) -> Tensor:
    """``torch.batch_norm`` (ATen's argument order, no Python-level checks): see ``batch_norm``."""
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must either both be None or neither be None")
    d = input._data
    C = d.shape[1] if d.ndim > 1 else 0
    # PyTorch's order: the running statistics, then (evaluation) their presence, then the affine parameters
    for what, p in (("running_mean", running_mean), ("running_var", running_var)):
        if p is not None and p._data.size != C:
            raise RuntimeError(f"{what} should contain {C} elements not {p._data.size}")
    if not training and running_mean is None:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    for what, p in (("weight", weight), ("bias", bias)):
        if p is not None and p._data.size != C:
            raise RuntimeError(f"{what} should contain {C} elements not {p._data.size}")
    if STATE.grad_enabled:
        for what, p in (("running_mean", running_mean), ("running_var", running_var)):
            if _rg(p):
                raise RuntimeError(f"The function 'native_batch_norm' is not differentiable with respect to argument "
                                   f"'{what}'. This input cannot have requires_grad True.")
    _check_params(input, weight, bias, running_mean, running_var)
    _check_float(input, "batch_norm")
    if d.ndim < 2:
        wrap_dim(1, d.ndim)  # PyTorch's IndexError for dim 1
    if d.size == 0:
        return _batch_norm_empty(input, weight, bias)
    axes = (0,) + tuple(range(2, d.ndim))
    cshape = (1, C) + (1,) * (d.ndim - 2)
    if training:
        mean, var, xc = _stats64(d, axes)
        n = _prod(d.shape[a] for a in axes)
        if running_mean is not None:  # (one value per channel: nan, as PyTorch's n / (n - 1))
            _update_running(running_mean, mean, momentum)
            _update_running(running_var, var * (n / (n - 1) if n > 1 else math.inf), momentum)
    else:
        xc = d.astype(_f64) - running_mean._data.astype(_f64).reshape(cshape)
        var = running_var._data.astype(_f64).reshape(cshape)
    out = wrap(_affine64(xc / xp.sqrt(var + eps), weight, bias, cshape).astype(d.dtype))
    if _recording(input, weight, bias):
        node = NativeBatchNormBackward0()
        node.training, node.axes, node.cshape, node.eps = training, axes, cshape, eps
        node.n = _prod(d.shape[a] for a in axes)
        record(out, node, (input, weight, bias), (input, weight, running_mean, running_var))
    return out


def _batch_norm_empty(input: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    """PyTorch's result for an empty input: ``input.clone() * weight[0] + bias[0]`` (keeps the graph connected)."""
    from .elementwise import add, mul
    from .indexing import select
    from .shape import clone

    out = clone(input)
    if weight is not None:
        out = mul(out, select(weight, 0, 0))
    if bias is not None:
        out = add(out, select(bias, 0, 0))
    return out


def _update_running(stat: Tensor, batch: Any, momentum: float) -> None:
    """``stat = (1 - momentum) * stat + momentum * batch`` in place (no version bump, as in PyTorch)."""
    s = stat._data
    s[...] = ((1 - momentum) * s.astype(_f64) + momentum * batch.reshape(s.shape)).astype(s.dtype)


class NativeBatchNormBackward0(Node):
    __slots__ = ("training", "axes", "cshape", "n", "eps")
    formula = "native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps)"
    derivatives = ("training: rstd * (gw - mean(gw) - x̂ * mean(gw * x̂)); eval: gw * rstd;  gw = grad * weight",
                   "sum(grad * x̂) over all dims but the channels", "sum(grad) over all dims but the channels")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        x, w, rm, rv = self.unpack(F)
        if self.training:
            xhat, rstd = _normalize(F, x, self.axes, self.n, self.eps)
        else:
            rstd = 1 / F.sqrt(F.reshape(rv, self.cshape) + self.eps)
            xhat = (x - F.reshape(rm, self.cshape)) * rstd
        gx = gw = gb = None
        if self.needs(0):
            gxh = g if w is None else g * F.reshape(w, self.cshape)
            gx = _input_grad(F, gxh, xhat, rstd, self.axes, self.n) if self.training else gxh * rstd
        if self.needs(1):
            gw = F.sum(g * xhat, self.axes)
        if self.needs(2):
            gb = F.sum(g, self.axes)
        return gx, gw, gb


# ====================================================================== instance_norm
def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each (sample, channel) over the dims after the channel: ``batch_norm`` on the input viewed
    as one sample of N * C channels, as PyTorch computes it (so grad_fn is ViewBackward0 over
    NativeBatchNormBackward0).  Running statistics, when given, get the mean of the per-sample updates."""
    if use_input_stats:
        size = input.size()
        if _prod(size[2:]) == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size {size}")
    return _instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps)


def _instance_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None, running_mean: Tensor | None,
                   running_var: Tensor | None, use_input_stats: bool, momentum: float, eps: float,
                   cudnn_enabled: bool = True) -> Tensor:
    """``torch.instance_norm`` (ATen's argument order, no Python-level checks): see ``instance_norm``."""
    from .shape import contiguous, view

    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    shape = input._data.shape
    N, C = shape[0], shape[1]
    stats = [None if s is None else wrap(xp.tile(s._data, N)) for s in (running_mean, running_var)]
    x = view(contiguous(input), (1, N * C) + tuple(shape[2:]))
    out = _batch_norm(x, _repeat(weight, N), _repeat(bias, N), stats[0], stats[1], use_input_stats, momentum, eps)
    for s, rep in zip((running_mean, running_var), stats):
        if s is not None:
            s._data[...] = rep._data.reshape(N, C).mean(axis=0).astype(s._data.dtype)
            s._bump_version()
    return view(out, shape)


def _repeat(p: Tensor | None, times: int) -> Tensor | None:
    """``p`` (C,) repeated ``times`` times to (times * C,), differentiably (expand + reshape)."""
    if p is None:
        return None
    from .shape import expand, reshape, unsqueeze
    c = p._data.size
    return reshape(expand(unsqueeze(p, 0), (times, c)), (times * c,))


# ====================================================================== local_response_norm
def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """x / (k + alpha * avg(x², a window of ``size`` channels around each)) ** beta, recorded step by step.

    The zero-padded window sum is a product with a banded (C, C) matrix of ones
    (PyTorch pads and average-pools: same values, and the same
    DivBackward0 → PowBackward0 → AddBackward0 → MulBackward0 on top).
    """
    from .elementwise import add, div, mul, pow
    from .linalg import matmul
    from .shape import reshape

    d = input._data
    if d.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {d.ndim} dimensions)")
    if d.size == 0:
        return input
    sq = mul(input, input)
    C = d.shape[1]
    c, j = xp.arange(C)[:, None], xp.arange(C)[None, :]
    band = wrap(((j >= c - size // 2) & (j <= c + (size - 1) // 2)).astype(sq._data.dtype))
    window_sum = reshape(matmul(band, reshape(sq, (d.shape[0], C, -1))), d.shape)
    # (integer input: PyTorch's integer average pooling truncates)
    avg = div(window_sum, size) if d.dtype.kind == "f" else div(window_sum, size, rounding_mode="trunc")
    return div(input, pow(add(mul(avg, alpha), k), beta))


# ====================================================================== attention
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(Q Kᵀ * scale + mask) V, with scale = 1 / sqrt(E) by default.

    Not one opaque node: the graph records each step, built from differentiable ops —
    QKᵀ (``matmul``) → scale (``mul``) → mask (``where`` for a bool mask or ``is_causal``,
    ``add`` for a float mask) → ``softmax`` over the keys → dropout (``mul`` by a
    kept-mask scaled by 1 / (1 - dropout_p), drawn from glassgrad's generator) → ·V (``matmul``),
    so every intermediate and its gradient can be inspected.  A row whose keys are
    all masked gives zeros (and zero gradients), as in PyTorch.  Values and
    gradients match PyTorch's; the grad_fn names are those of these steps, not of
    PyTorch's fused kernel.  ``enable_gqa`` repeats each key/value head for its
    group of query heads (dim -3).
    """
    from ..creation import _rng
    from .activation import softmax
    from .elementwise import add, mul, where
    from .linalg import matmul
    from .shape import transpose

    _check_attention(query, key, value, attn_mask, is_causal)
    if enable_gqa and query._data.ndim >= 3:
        key, value = _repeat_heads(query, key, value)
    L, E = query._data.shape[-2:]
    S = key._data.shape[-2]
    scores = matmul(query, transpose(key, -2, -1))
    if E:  # (E == 0: the scores are exact zeros; 1 / sqrt(0) would make them nan)
        scores = mul(scores, 1 / math.sqrt(E) if scale is None else scale)
    if is_causal or attn_mask is not None:
        mask = wrap(xp.tril(xp.ones((L, S), dtype=bool))) if is_causal else attn_mask
        _check_mask_shape(scores, mask)
        scores = where(mask, scores, -math.inf) if mask._data.dtype == bool else add(scores, mask)
    if S == 0:
        return matmul(scores, value)
    dead = (scores._data == -math.inf).all(axis=-1, keepdims=True)
    if dead.any():  # rows with every key masked: softmax on zeros, then zeroed (PyTorch's "safe softmax")
        dead = wrap(dead)
        attn = where(dead, 0.0, softmax(where(dead, 0.0, scores), -1))
    else:
        attn = softmax(scores, -1)
    if dropout_p > 0.0:
        keep = _rng(None).random(attn._data.shape) >= dropout_p
        factor = 1 / (1 - dropout_p) if dropout_p < 1 else 0.0
        attn = mul(attn, wrap((keep * factor).astype(attn._data.dtype)))
    return matmul(attn, value)


def _check_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, is_causal: bool) -> None:
    """PyTorch's argument checks for ``scaled_dot_product_attention`` (same order, same texts)."""
    if q._data.ndim < 2 or k._data.ndim < 2 or v._data.ndim < 2:
        raise RuntimeError("Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
                           f"{q._data.ndim} key.dim: {k._data.ndim} and value.dim: {v._data.ndim} instead.")
    if not (q._data.dtype == k._data.dtype == v._data.dtype):
        raise RuntimeError("Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{_c_name(q)} key.dtype: {_c_name(k)} and value.dtype: {_c_name(v)} instead.")
    if mask is not None and mask._data.dtype not in (xp.dtype(bool), xp.dtype(xp.float32), q._data.dtype):
        raise RuntimeError("Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                           f"attn_mask.dtype: {_c_name(mask)} and  query.dtype: {_c_name(q)} instead.")
    if is_causal and mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if q._data.dtype.kind != "f":
        raise RuntimeError(f"expected scalar type Float but found {_name(q)}")


def _check_mask_shape(scores: Tensor, mask: Tensor) -> None:
    """The mask is added to the scores in place in PyTorch: it must broadcast to their shape."""
    s, m = scores._data.shape, mask._data.shape
    try:
        b = xp.broadcast_shapes(s, m)
    except ValueError:
        raise broadcast_error(scores._data, mask._data) from None
    if b != s:
        raise RuntimeError(f"output with shape {list(s)} doesn't match the broadcast shape {list(b)}")


def _repeat_heads(q: Tensor, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
    """Grouped-query attention: repeat each key/value head (dim -3) for its group of query heads."""
    from .shape import expand, reshape, unsqueeze

    hq = q._data.shape[-3]
    if hq % k._data.shape[-3] or hq % v._data.shape[-3]:
        raise RuntimeError("Number of heads in key and value must divide the number of heads in ")

    def rep(t: Tensor) -> Tensor:
        sh = t._data.shape
        r = hq // sh[-3]
        if r == 1:
            return t
        e = expand(unsqueeze(t, -3), sh[:-2] + (r,) + sh[-2:])
        return reshape(e, sh[:-3] + (hq,) + sh[-2:])
    return rep(k), rep(v)
