"""Convolution, pooling, padding and sliding blocks (unfold/fold): the spatial ops of ``torch.nn.functional``.

Everything here stands on one view: the sliding windows of a padded input
(``sliding_window_view``, strided by ``stride`` and ``dilation``; no copy).  A
convolution reshapes that view into columns (im2col) and does one matrix
product per group; its input gradient multiplies back and adds the columns
into place (col2im: one strided add per kernel offset).  Pooling reduces the
same windows.

Every op is linear in its input (a convolution in each of its two inputs), so
its derivative is the adjoint map, and that map is itself a differentiable op
here with its own node, named as in PyTorch: pad and crop, unfold (Im2Col) and
fold (Col2Im), avg_pool and its backward, max_pool's gather and scatter, the
convolution and its backward (ConvolutionBackwardBackward0).  The rules call
these through ``F``, so ``create_graph=True`` gives higher derivatives.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

from ..tensor import _C_NAMES
from ._base import STATE, Node, Tensor, record, record_outputs, wrap, xp
from ._ns import register_rule_fn
from .indexing import _slice, setitem
from .reduction import mean
from .shape import squeeze, unsqueeze

__all__ = ["conv1d", "conv2d", "conv3d", "constant_pad_nd", "max_pool1d", "max_pool2d", "max_pool1d_with_indices",
           "avg_pool1d", "adaptive_avg_pool1d"]
#: Tensor methods this family adds (name -> function)
METHODS: dict[str, Any] = {}
#: names of this family's functions that also live in glassgrad.nn.functional
FUNCTIONAL: list[str] = ["conv1d", "conv2d", "conv3d", "pad", "max_pool1d", "max_pool2d", "max_pool1d_with_indices",
                         "max_pool2d_with_indices", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
                         "adaptive_avg_pool2d", "unfold", "fold"]

_sliding_window_view = xp.lib.stride_tricks.sliding_window_view


# ====================================================================== helpers
def _ints(v: Any, n: int) -> list[int]:
    """An int-list argument as PyTorch's parser reads it: a single int stands for ``n`` copies."""
    if isinstance(v, (list, tuple)):
        return [int(e) for e in v]
    return [int(v)] * n


def _type_name(a: Any, which: int) -> str:
    """The C++ (``which=0``: 'float') or scalar-type (``which=1``: 'Float') name of an array's dtype."""
    return _C_NAMES[a.dtype.name][which]


def _not_implemented(kernel: str, a: Any) -> NotImplementedError:
    return NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(a, 1)}'")


def _arr(t: Any) -> Any:
    """The backend array of a Tensor (arrays and None pass through)."""
    return t._data if isinstance(t, Tensor) else t


def _check_dim_range(op: str, t: Tensor, lo: int, hi: int) -> None:
    """ATen's ``checkDimRange`` (``lo <= dim < hi``) for argument #1 'self'."""
    if not lo <= t.ndim < hi:
        raise RuntimeError(f"Expected {lo} to {hi - 1} dimensions, but got {t.ndim}-dimensional tensor for "
                           f"argument #1 'self' (while checking arguments for {op})")


def _check_1d(op: str, name: str, v: list[int]) -> None:
    if len(v) != 1:
        raise RuntimeError(f"{op}() argument '{name}' should contain one int (got {len(v)})")


def _pad_array(a: Any, pads: list[tuple[int, int]], value: Any = 0) -> Any:
    """``a`` with ``(before, after)`` elements of ``value`` added to each of its last ``len(pads)`` dims."""
    if not any(lo or hi for lo, hi in pads):
        return a
    return xp.pad(a, [(0, 0)] * (a.ndim - len(pads)) + list(pads), constant_values=value)


def _windows(a: Any, kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...]) -> Any:
    """The sliding windows over ``a``'s last ``len(kernel)`` dims: a view of shape (..., *out, *kernel)."""
    nd = len(kernel)
    span = [(k - 1) * d + 1 for k, d in zip(kernel, dilation)]
    v = _sliding_window_view(a, span, axis=tuple(range(a.ndim - nd, a.ndim)))
    lead = (slice(None),) * (a.ndim - nd)
    return v[lead + tuple(slice(None, None, s) for s in stride) + tuple(slice(None, None, d) for d in dilation)]


def _col2im(cols: Any, size: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...]) -> Any:
    """The adjoint of ``_windows``: ``cols`` (..., *kernel, *out) added into zeros of spatial ``size``."""
    nd = len(size)
    lead = cols.shape[:cols.ndim - 2 * nd]
    kernel = cols.shape[cols.ndim - 2 * nd:cols.ndim - nd]
    out = cols.shape[cols.ndim - nd:]
    res = xp.zeros(lead + tuple(size), dtype=cols.dtype)
    if 0 in out:
        return res
    pre = (slice(None),) * len(lead)
    for k in itertools.product(*[range(n) for n in kernel]):
        dst = tuple(slice(i * d, i * d + s * (o - 1) + 1, s) for i, d, s, o in zip(k, dilation, stride, out))
        res[pre + dst] += cols[pre + k]
    return res


def _compute_dtype(a: Any) -> Any:
    """float16 products accumulate in float32 (as PyTorch's CPU kernels do)."""
    return xp.float32 if a.dtype == xp.float16 else a.dtype


# ---------------------------------------------------------------------- linear maps
def _apply(x: Tensor, p: Any, array_fn: Callable[[Any, Any], Any], cls: type[Node]) -> Tensor:
    """``array_fn(x, p)``, a linear map of ``x``, recorded as a ``cls`` node holding ``p``."""
    r = wrap(array_fn(x._data, p))
    if STATE.grad_enabled and x._rg:
        n = cls()
        n.p = p
        record(r, n, (x,))
    return r


def _linear(array_fn: Callable[[Any, Any], Any], cls: type[Node]) -> Callable[[Tensor, Any], Tensor]:
    """The differentiable op of a linear map (the tensor twin of ``array_fn`` for derivative rules)."""
    def op(x: Tensor, p: Any) -> Tensor:
        return _apply(x, p, array_fn, cls)
    op.__doc__ = f"{array_fn.__doc__} (differentiable: {cls.__name__})"
    return op


# ====================================================================== padding
def _pad_ints(pad: Any) -> list[int]:
    if isinstance(pad, Tensor):
        raise TypeError("pad(): argument 'pad' (position 2) must be tuple of ints, not Tensor")
    out = []
    for i, v in enumerate(pad):
        if isinstance(v, (bool, float)) or not hasattr(v, "__index__"):
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type "
                            f"{type(v).__name__} at pos {i}")
        out.append(int(v))
    return out


def _constant_pad_arr(a: Any, p: tuple[tuple[int, ...], Any]) -> Any:
    """Constant padding: ``pad`` = (left, right) pairs from the last dim backwards; negative pads crop."""
    pad, value = p
    shape = list(a.shape)
    src, dst = [slice(None)] * a.ndim, [slice(None)] * a.ndim
    for i in range(len(pad) // 2):
        d = a.ndim - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        size = a.shape[d]
        shape[d] = size + lo + hi
        src[d] = slice(max(-lo, 0), size - max(-hi, 0))
        dst[d] = slice(max(lo, 0), shape[d] - max(hi, 0))
    out = xp.full(shape, value, dtype=a.dtype)
    out[tuple(dst)] = a[tuple(src)]
    return out


class ConstantPadNdBackward0(Node):
    __slots__ = ("p",)
    formula = "constant_pad_nd(self, pad, value)"
    derivatives = ("constant_pad_nd(grad, -pad, 0)   (crops the padding, zero-fills the cropped part)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.constant_pad_nd(g, (tuple(-q for q in self.p[0]), 0)),)


_constant_pad_op = _linear(_constant_pad_arr, ConstantPadNdBackward0)


def constant_pad_nd(input: Tensor, pad: Any, value: Any = 0) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims with ``value`` (negative pads crop).  d/dinput = grad cropped back."""
    pad = _pad_ints(pad)
    if len(pad) % 2:
        raise RuntimeError(f"Length of pad must be even but instead it equals {len(pad)}")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError("Length of pad should be no more than twice the number of dimensions of the input. "
                           f"Pad length is {len(pad)}while the input has {input.ndim}dimensions.")
    shape = input.shape
    for i in range(len(pad) // 2):  # PyTorch narrows the negative pads first
        cur = shape[input.ndim - 1 - i]
        for q in pad[2 * i:2 * i + 2]:
            if q < 0:
                cur += q
                if cur < 0:
                    raise RuntimeError("narrow(): length must be non-negative.")
    return _constant_pad_op(input, (tuple(pad), value))


class _IndexPad(NamedTuple):
    """Reflection/replication padding as a gather: ``out = x[key]`` (``key`` an open mesh of indices)."""

    mode: str
    n: int
    key: tuple[Any, ...]
    shape: tuple[int, ...]


def _pad_gather_arr(a: Any, p: _IndexPad) -> Any:
    """Gather the padded tensor ``x[key]``"""
    return a[p.key]


def _pad_scatter_arr(g: Any, p: _IndexPad) -> Any:
    """Add ``grad`` back at ``key`` (repeated indices accumulate)"""
    out = xp.zeros(p.shape, dtype=g.dtype)
    xp.add.at(out, p.key, g)
    return out


class _PadGather(Node):
    """Base of ReflectionPadNDBackward0 / ReplicationPadNDBackward0: the padding is a gather."""

    __slots__ = ("p",)
    derivatives = ("zeros(self.shape).index_put(index, grad, accumulate=True)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.pad_scatter(g, self.p),)


class _PadScatter(Node):
    """Base of the padding backward's nodes: the backward is a scatter-add, its derivative the gather."""

    __slots__ = ("p",)
    derivatives = ("grad[index]",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.pad_gather(g, self.p),)


#: (mode, padded dims) -> (node of the padding, node of its backward), named as PyTorch names them
_PAD_NODES: dict[tuple[str, int], tuple[type[Node], type[Node]]] = {}
for _mode, _cname in (("reflect", "Reflection"), ("replicate", "Replication")):
    for _n in (1, 2, 3):
        _PAD_NODES[_mode, _n] = (
            type(f"{_cname}Pad{_n}DBackward0", (_PadGather,),
                 {"__slots__": (), "formula": f"{_cname.lower()}_pad{_n}d(self, padding)"}),
            type(f"{_cname}Pad{_n}DBackwardBackward0", (_PadScatter,),
                 {"__slots__": (), "formula": f"{_cname.lower()}_pad{_n}d_backward(grad, self, padding)"}),
        )


def _pad_gather_op(x: Tensor, p: _IndexPad) -> Tensor:
    return _apply(x, p, _pad_gather_arr, _PAD_NODES[p.mode, p.n][0])


def _pad_scatter_op(g: Tensor, p: _IndexPad) -> Tensor:
    return _apply(g, p, _pad_scatter_arr, _PAD_NODES[p.mode, p.n][1])


_NON_CONSTANT_HELP = (
    "Supported combinations for non-constant padding:\n"
    "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
    "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
    "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
)


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims: ``constant`` (``value``), ``reflect``, ``replicate`` or ``circular``.

    The derivative sends each output's gradient back to the input element it copies (summed where
    reflection/replication copies one element several times).
    """
    pad = _pad_ints(pad)
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    ndim = input.ndim
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) > 2 * ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {ndim}")
    if mode == "constant":
        return constant_pad_nd(input, pad, 0.0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    n = len(pad) // 2
    if n not in (1, 2, 3) or ndim not in (n + 1, n + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {ndim}D input tensor.\n"
                                  + _NON_CONSTANT_HELP)
    if mode == "circular":
        return _pad_circular(input, pad)
    return _pad_indexed(input, pad, mode, n)


def _pad_indexed(input: Tensor, pad: list[int], mode: str, n: int) -> Tensor:
    """Reflection or replication padding of the last ``n`` dims (checks in PyTorch's words)."""
    shape = tuple(input.shape)
    ndim = len(shape)
    batch = ndim == n + 2
    if any(s == 0 for s in (shape[1:] if batch else shape)):
        raise RuntimeError(f"Expected {n + 1}D or {n + 2}D (batch mode) tensor with possibly 0 batch size and other "
                           f"non-zero dimensions for input, but got: {list(shape)}")
    sizes = [shape[ndim - 1 - i] for i in range(n)]  # W, H, D
    outs = [sizes[i] + pad[2 * i] + pad[2 * i + 1] for i in range(n)]
    if mode == "reflect":
        for i in range(n):
            lo, hi = pad[2 * i], pad[2 * i + 1]
            if not (lo < sizes[i] and hi < sizes[i]):
                raise RuntimeError(f"Argument #{4 + 2 * i}: Padding size should be less than the corresponding input "
                                   f"dimension, but got: padding ({lo}, {hi}) at dimension {ndim - 1 - i} of input "
                                   f"{list(shape)}")
    if all(o < 1 for o in outs):
        (w, h, dd), (ow, oh, od) = (sizes + [0, 0])[:3], (outs + [0, 0])[:3]
        raise RuntimeError({
            1: f"input (W: {w}) is too small. Calculated output W: {ow}",
            2: f"input (H: {h}, W: {w}{')' if mode == 'reflect' else ' )'} is too small. Calculated output "
               f"H: {oh} W: {ow}",
            3: f"input (D: {dd} H: {h}, W: {w}) is too small. Calculated output D: {od} H: {oh} W: {ow}",
        }[n])
    if any(o < 0 for o in outs):
        out_shape = list(shape[:ndim - n]) + outs[::-1]
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(outs)}: {out_shape}")
    d = input._data
    if d.dtype == bool:
        raise _not_implemented(f"{'reflection' if mode == 'reflect' else 'replication'}_pad{n}d", d)
    idx = []
    for i in range(n - 1, -1, -1):  # dims in order: D, H, W
        size, lo, hi = sizes[i], pad[2 * i], pad[2 * i + 1]
        j = xp.arange(size + lo + hi) - lo
        if mode == "reflect":
            j = (size - 1) - xp.abs((size - 1) - xp.abs(j))
        else:
            j = xp.clip(j, 0, size - 1)
        idx.append(j)
    key = (slice(None),) * (ndim - n) + tuple(xp.ix_(*idx))
    return _pad_gather_op(input, _IndexPad(mode, n, key, shape))


def _pad_circular(input: Tensor, pad: list[int]) -> Tensor:
    """Circular padding, built as PyTorch builds it: copy the input into the middle, then wrap each side."""
    shape = list(input.shape)
    n = len(pad) // 2
    lead = len(shape) - n
    out_shape = list(shape)
    for i in range(n):
        lo, hi = pad[2 * (n - i - 1)], pad[2 * (n - i - 1) + 1]
        size = shape[lead + i]
        out_shape[lead + i] = size + lo + hi
        if not (lo <= size and hi <= size):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if out_shape[lead + i] < 0:
            raise RuntimeError("Negative padding value is resulting in an empty dimension")
    out = wrap(xp.zeros(out_shape, dtype=input._data.dtype))
    key = [slice(None)] * len(shape)
    part = input
    for i in range(n):
        dim = n - i + lead - 1
        lo, hi = pad[2 * i], pad[2 * i + 1]
        key[dim] = slice(max(lo, 0), out_shape[dim] - max(hi, 0))
        part = _slice(part, dim, slice(max(-lo, 0), shape[dim] - max(-hi, 0)))
    setitem(out, tuple(key), part)
    for i in range(n):
        dim = n - i + lead - 1
        lo, hi = pad[2 * i], pad[2 * i + 1]
        size = out_shape[dim]
        pre = (slice(None),) * dim
        if lo > 0:
            setitem(out, pre + (slice(0, lo),), _slice(out, dim, slice(size - lo - max(hi, 0), size - max(hi, 0))))
        if hi > 0:
            setitem(out, pre + (slice(size - hi, size),), _slice(out, dim, slice(max(lo, 0), max(lo, 0) + hi)))
    return out


# ====================================================================== convolution
class _ConvP(NamedTuple):
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    dilation: tuple[int, ...]
    groups: int


def _conv_columns(x: Any, kernel: tuple[int, ...], p: _ConvP) -> tuple[Any, tuple[int, ...]]:
    """im2col: ``x`` (N, C, *S) as columns (G, N * P, C/G * prod(kernel)), and the output's spatial shape."""
    nd = len(kernel)
    n, c = x.shape[:2]
    g = p.groups
    win = _windows(_pad_array(x, [(q, q) for q in p.padding]), kernel, p.stride, p.dilation)  # (N, C, *out, *k)
    out = win.shape[2:2 + nd]
    win = win.reshape((n, g, c // g) + win.shape[2:])
    perm = (1, 0) + tuple(range(3, 3 + nd)) + (2,) + tuple(range(3 + nd, 3 + 2 * nd))
    return win.transpose(perm).reshape(g, n * math.prod(out), (c // g) * math.prod(kernel)), out


def _conv_forward(x: Any, w: Any, b: Any, p: _ConvP) -> Any:
    """The convolution ``x ⋆ w + b``: one matrix product per group on the im2col columns"""
    dt = x.dtype
    ct = _compute_dtype(x)
    x, w = x.astype(ct, copy=False), w.astype(ct, copy=False)
    n, o, g = x.shape[0], w.shape[0], p.groups
    cols, out = _conv_columns(x, w.shape[2:], p)
    y = cols @ w.reshape(g, o // g, w.size // o).transpose(0, 2, 1)  # (G, N*P, O/G)
    y = y.reshape(g, n, math.prod(out), o // g).transpose(1, 0, 3, 2).reshape((n, o) + out)
    if b is not None:
        y = y + b.reshape((o,) + (1,) * len(out))
    return y.astype(dt, copy=False)


def _conv_backward(g: Any, x: Any, w: Any, in_shape: tuple[int, ...], w_shape: tuple[int, ...], p: _ConvP,
                   mask: tuple[bool, bool, bool]) -> tuple[Any, Any, Any]:
    """The convolution's gradients (input, weight, bias) for the outputs ``mask`` asks for"""
    dt = g.dtype
    g = g.astype(_compute_dtype(g), copy=False)
    n, o = g.shape[:2]
    out = g.shape[2:]
    nd, npos, grp = len(out), math.prod(out), p.groups
    kernel, cg = tuple(w_shape[2:]), w_shape[1]
    gi = gw = gb = None
    if mask[0]:
        w = w.astype(g.dtype, copy=False)
        gm = g.reshape(n, grp, o // grp, npos).transpose(1, 0, 3, 2).reshape(grp, n * npos, o // grp)
        cols = (gm @ w.reshape(grp, o // grp, cg * math.prod(kernel))).reshape((grp, n) + out + (cg,) + kernel)
        perm = (1, 0, 2 + nd) + tuple(range(3 + nd, 3 + 2 * nd)) + tuple(range(2, 2 + nd))
        cols = cols.transpose(perm).reshape((n, grp * cg) + kernel + out)
        padded = tuple(s + 2 * q for s, q in zip(in_shape[2:], p.padding))
        full = _col2im(cols, padded, p.stride, p.dilation)
        crop = (slice(None), slice(None)) + tuple(slice(q, q + s) for q, s in zip(p.padding, in_shape[2:]))
        gi = xp.ascontiguousarray(full[crop]).astype(dt, copy=False)
    if mask[1]:
        cols, _ = _conv_columns(x.astype(g.dtype, copy=False), kernel, p)
        gm = g.reshape(n, grp, o // grp, npos).transpose(1, 2, 0, 3).reshape(grp, o // grp, n * npos)
        gw = (gm @ cols).reshape(w_shape).astype(dt, copy=False)
    if mask[2]:
        gb = g.sum(axis=(0,) + tuple(range(2, g.ndim))).astype(dt, copy=False)
    return gi, gw, gb


def _convolution(x: Tensor, w: Tensor, b: Tensor | None, p: _ConvP) -> Tensor:
    """The convolution op (checked arguments, batched input), recorded as ConvolutionBackward0."""
    r = wrap(_conv_forward(x._data, w._data, None if b is None else b._data, p))
    if STATE.grad_enabled and (x._rg or w._rg or (b is not None and b._rg)):
        n = ConvolutionBackward0()
        n.p, n.in_shape, n.w_shape = p, x._data.shape, w._data.shape
        record(r, n, (x, w, b), (x, w))
    return r


class ConvolutionBackward0(Node):
    __slots__ = ("p", "in_shape", "w_shape")
    formula = "convolution(input, weight, bias, stride, padding, dilation, groups)"
    derivatives = ("conv_transpose(grad, weight)   (col2im(grad @ weight))",
                   "conv(input, grad) over the batch   (grad @ im2col(input))",
                   "grad.sum(batch and spatial dims)")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        x, w = self.unpack(F)
        return F.convolution_backward(g, x, w, self.in_shape, self.w_shape, self.p,
                                      (self.needs(0), self.needs(1), self.needs(2)))


def _convolution_backward(g: Tensor, x: Tensor | None, w: Tensor | None, in_shape: tuple[int, ...],
                          w_shape: tuple[int, ...], p: _ConvP, mask: tuple[bool, bool, bool]) -> tuple[Any, ...]:
    """The convolution's gradients as a differentiable op (three outputs: ConvolutionBackwardBackward0)."""
    outs = tuple(None if a is None else wrap(a)
                 for a in _conv_backward(g._data, _arr(x), _arr(w), in_shape, w_shape, p, mask))
    produced = [o for o in outs if o is not None]
    if produced and STATE.grad_enabled and any(isinstance(t, Tensor) and t._rg for t in (g, x, w)):
        n = ConvolutionBackwardBackward0()
        n.p, n.in_shape, n.w_shape = p, in_shape, w_shape
        record_outputs(outs, n, (g, x, w), (g, x, w))
    return outs


class ConvolutionBackwardBackward0(Node):
    __slots__ = ("p", "in_shape", "w_shape")
    n_outputs = 3
    formula = "convolution_backward(grad_output, input, weight) -> (grad_input, grad_weight, grad_bias)"
    derivatives = ("conv(ggI, weight) + conv(input, ggW) + ggb",
                   "convolution_backward(grad_output, weight=ggW).grad_input",
                   "convolution_backward(grad_output, input=ggI).grad_weight")

    def backward(self, F: Any, grads: Any) -> tuple[Any, ...]:
        ggi, ggw, ggb = grads
        g, x, w = self.unpack(F)
        p = self.p
        dg = dx = dw = None
        if self.needs(0):
            if ggi is not None:
                dg = F.convolution(ggi, w, None, p)
            if ggw is not None:
                t = F.convolution(x, ggw, None, p)
                dg = t if dg is None else dg + t
            if ggb is not None:
                t = F.expand(F.reshape(ggb, (1, self.w_shape[0]) + (1,) * (len(g.shape) - 2)), g.shape)
                dg = t if dg is None else dg + t
        if self.needs(1) and ggw is not None:
            dx = F.convolution_backward(g, None, ggw, self.in_shape, self.w_shape, p, (True, False, False))[0]
        if self.needs(2) and ggi is not None:
            dw = F.convolution_backward(g, ggi, None, self.in_shape, self.w_shape, p, (False, True, False))[1]
        return dg, dx, dw


def _expand_param(v: list[int], name: str, dim: int) -> tuple[int, ...]:
    """ATen's ``expand_param_if_needed``: one value serves every spatial dim."""
    if len(v) == 1:
        return tuple(v) * dim
    if len(v) != dim:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {dim} values to match the "
                           f"convolution dimensions, but got {name}={v}")
    return tuple(v)


def _conv_params(x: Tensor, w: Tensor, b: Tensor | None, stride: Any, padding: Any, dilation: Any, groups: int,
                 nd: int) -> _ConvP:
    """Check a (batched) convolution's arguments as ATen's ``_convolution`` does, in its order and words."""
    dim = w.ndim - 2
    if dim <= 0:
        raise RuntimeError("weight should have at least three dimensions")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    s = _expand_param(_ints(stride, nd), "stride", dim)
    pd = _expand_param(_ints(padding, nd), "padding", dim)
    dl = _expand_param(_ints(dilation, nd), "dilation", dim)
    if any(q < 0 for q in pd):
        raise RuntimeError("negative padding is not supported")
    if any(q <= 0 for q in s):
        raise RuntimeError("non-positive stride is not supported")
    if any(q < 0 for q in dl):
        raise RuntimeError("dilation should be greater than zero")
    ws, xs = list(w.shape), list(x.shape)
    if w.ndim != x.ndim:
        raise RuntimeError(f"Expected {w.ndim}-dimensional input for {w.ndim}-dimensional weight {ws}, but got "
                           f"{x.ndim}-dimensional input of size {xs} instead")
    if ws[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but got "
                           f"weight of size {ws} instead")
    if ws[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{ws}] instead")
    if xs[1] != ws[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {ws}, expected input{xs} to have "
                           f"{ws[1] * groups} channels, but got {xs[1]} channels instead")
    if b is not None and (b.ndim != 1 or b.shape[0] != ws[0]):
        raise RuntimeError(f"Given weight of size {ws}, expected bias to be 1-dimensional with {ws[0]} elements, but "
                           f"got bias of size {list(b.shape)} instead")
    padded = [xs[2 + i] + 2 * pd[i] for i in range(dim)]
    kernel = [dl[i] * (ws[2 + i] - 1) + 1 for i in range(dim)]
    if any(a < k for a, k in zip(padded, kernel)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                           f"Kernel size: ({' x '.join(map(str, kernel))}). "
                           "Kernel size can't be greater than actual input size")
    if 0 in dl:
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dl)}")
    xd, wd = x._data, w._data
    if xd.dtype != wd.dtype:
        raise RuntimeError(f"expected scalar type {_type_name(xd, 1)} but found {_type_name(wd, 1)}")
    if xd.dtype == bool:
        raise _not_implemented("compute_columns3d" if dim == 3 else "slow_conv2d_cpu", xd)
    return _ConvP(s, pd, dl, groups)


_warned_same = False


def _conv(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any, dilation: Any,
          groups: int, nd: int) -> Tensor:
    """conv1d/2d/3d: batch an unbatched input, resolve ``padding='same'/'valid'``, convolve."""
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to conv{nd}d, but got input "
                           f"of size: {list(input.shape)}")
    if bias is not None and bias._data.dtype != input._data.dtype:
        raise RuntimeError(f"Input type ({_type_name(input._data, 0)}) and bias type ({_type_name(bias._data, 0)}) "
                           "should be the same")
    batched = input.ndim == nd + 2
    x = input if batched else unsqueeze(input, 0)
    if isinstance(padding, str):
        x, padding = _padding_mode(x, weight, stride, padding, dilation, nd)
    out = _convolution(x, weight, bias, _conv_params(x, weight, bias, stride, padding, dilation, groups, nd))
    return out if batched else squeeze(out, 0)


def _padding_mode(x: Tensor, weight: Tensor, stride: Any, padding: str, dilation: Any,
                  nd: int) -> tuple[Tensor, Any]:
    """``padding='valid'`` is no padding; ``'same'`` pads ``dilation * (kernel - 1)`` in all, the odd one at the end."""
    global _warned_same
    if padding == "valid":
        return x, 0
    if padding != "same":
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    if any(s != 1 for s in _ints(stride, nd)):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    dim = max(weight.ndim - 2, 1)
    dl = _expand_param(_ints(dilation, nd), "dilation", dim)
    total = [d * (k - 1) for d, k in zip(dl, weight.shape[2:])]
    left = [t // 2 for t in total]
    if all(t == 2 * lo for t, lo in zip(total, left)):
        return x, left
    if not _warned_same:
        _warned_same = True
        warnings.warn("Using padding='same' with even kernel lengths and odd dilation may require a zero-padded "
                      "copy of the input be created", UserWarning, stacklevel=4)
    pad_nd = [0] * (2 * dim)
    for i in range(dim):
        pad_nd[2 * (dim - 1 - i) + 1] = total[i] - 2 * left[i]  # the extra element goes at the end
    return constant_pad_nd(x, pad_nd, 0), left


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-d convolution (cross-correlation) of (N, C, L) or (C, L) input with (O, C/groups, k) weight.

    d/dinput = conv_transpose(grad, weight), d/dweight = input ⋆ grad, d/dbias = grad summed.
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-d convolution (cross-correlation) of (N, C, H, W) or (C, H, W) input with (O, C/groups, kh, kw) weight.

    d/dinput = conv_transpose(grad, weight), d/dweight = input ⋆ grad, d/dbias = grad summed.
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2)


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """3-d convolution (cross-correlation) of (N, C, D, H, W) or (C, D, H, W) input.

    d/dinput = conv_transpose(grad, weight), d/dweight = input ⋆ grad, d/dbias = grad summed.
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3)


# ====================================================================== unfold / fold
class _Blocks(NamedTuple):
    """Sliding blocks of an image of ``shape`` ((N,) C, H, W)."""

    shape: tuple[int, ...]
    kernel: tuple[int, int]
    dilation: tuple[int, int]
    padding: tuple[int, int]
    stride: tuple[int, int]


def _im2col_arr(a: Any, p: _Blocks) -> Any:
    """Image -> columns (N, C * kh * kw, L)"""
    x = a if a.ndim == 4 else a[None]
    n, c = x.shape[:2]
    win = _windows(_pad_array(x, [(q, q) for q in p.padding]), p.kernel, p.stride, p.dilation)  # (N,C,oh,ow,kh,kw)
    cols = win.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * math.prod(p.kernel), win.shape[2] * win.shape[3])
    return cols if a.ndim == 4 else cols[0]


def _blocks(p: _Blocks) -> tuple[int, int]:
    """Number of sliding blocks along H and W."""
    return tuple((s + 2 * q - d * (k - 1) - 1) // st + 1  # type: ignore[return-value]
                 for s, q, d, k, st in zip(p.shape[-2:], p.padding, p.dilation, p.kernel, p.stride))


def _col2im_arr(c: Any, p: _Blocks) -> Any:
    """Columns -> image, overlapping blocks summed"""
    cols = c if c.ndim == 3 else c[None]
    (oh, ow), (h, w) = _blocks(p), p.shape[-2:]
    (ph, pw) = p.padding
    cols = cols.reshape((cols.shape[0], p.shape[-3]) + p.kernel + (oh, ow))
    img = _col2im(cols, (h + 2 * ph, w + 2 * pw), p.stride, p.dilation)[..., ph:ph + h, pw:pw + w]
    img = xp.ascontiguousarray(img)
    return img if c.ndim == 3 else img[0]


class Im2ColBackward0(Node):
    __slots__ = ("p",)
    formula = "im2col(self, kernel_size, dilation, padding, stride)   (F.unfold)"
    derivatives = ("col2im(grad, self.shape[-2:], kernel_size, dilation, padding, stride)   (F.fold)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.col2im(g, self.p),)


class Col2ImBackward0(Node):
    __slots__ = ("p",)
    formula = "col2im(self, output_size, kernel_size, dilation, padding, stride)   (F.fold)"
    derivatives = ("im2col(grad, kernel_size, dilation, padding, stride)   (F.unfold)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.im2col(g, self.p),)


_im2col_op = _linear(_im2col_arr, Im2ColBackward0)
_col2im_op = _linear(_col2im_arr, Col2ImBackward0)


def _pair_args(**kw: Any) -> dict[str, tuple[int, int]]:
    """``_pair`` of each argument, each required to have two entries."""
    out = {}
    for name, v in kw.items():
        t = tuple(int(e) for e in v) if isinstance(v, (list, tuple)) else (int(v), int(v))
        if len(t) != 2:
            raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(t)}")
        out[name] = t
    return out


def _check_blocks(a: dict[str, tuple[int, int]], order: tuple[str, ...]) -> None:
    texts = {
        "kernel_size": ("kernel size should be greater than zero, but got kernel_height: {} kernel_width: {}", 1),
        "dilation": ("dilation should be greater than zero, but got dilation_height: {} dilation_width: {}", 1),
        "padding": ("padding should be non-negative, but got pad_height: {} pad_width: {}", 0),
        "stride": ("stride should be greater than zero, but got stride_height: {} stride_width: {}", 1),
    }
    for name in order:
        text, lo = texts[name]
        if min(a[name]) < lo:
            raise RuntimeError(text.format(*a[name]))


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:
    """Extract sliding blocks (im2col): (N, C, H, W) -> (N, C * kh * kw, L).  d/dinput = fold(grad)."""
    a = _pair_args(kernel_size=kernel_size, dilation=dilation, padding=padding, stride=stride)
    _check_blocks(a, ("kernel_size", "dilation", "padding", "stride"))
    shape = tuple(input.shape)
    valid = input.size(1) != 0 and input.size(2) != 0
    if not ((len(shape) == 3 and shape[0] and valid) or (len(shape) == 4 and valid and shape[3] != 0)):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(shape)}")
    p = _Blocks(shape, a["kernel_size"], a["dilation"], a["padding"], a["stride"])
    oh, ow = _blocks(p)
    if oh < 1 or ow < 1:
        (h, w), (kh, kw), (dh, dw), (ph, pw) = shape[-2:], p.kernel, p.dilation, p.padding
        raise RuntimeError(f"Given input with spatial size ({h}, {w}), kernel_size=({kh}, {kw}), dilation=({dh}, "
                           f"{dw}), padding=({ph}, {pw}), calculated shape of the array of sliding blocks as ({oh}, "
                           f"{ow}), but its components must be at least one.")
    if input._data.dtype.kind in "iu":
        raise _not_implemented("im2col_out_cpu", input._data)
    return _im2col_op(input, p)


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """Combine sliding blocks into an image (col2im), summing overlaps.  d/dinput = unfold(grad)."""
    a = _pair_args(output_size=output_size, kernel_size=kernel_size, dilation=dilation, padding=padding,
                   stride=stride)
    _check_blocks(a, ("kernel_size", "stride", "dilation", "padding"))
    shape = tuple(input.shape)
    if not ((len(shape) == 2 and shape[0] and shape[1]) or (len(shape) == 3 and shape[1] and shape[2])):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {list(shape)}")
    (kh, kw) = a["kernel_size"]
    planes = shape[-2]
    if planes % (kh * kw):
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={planes} and kernel_size=({kh}, {kw}).")
    image = shape[:-2] + (planes // (kh * kw),) + a["output_size"]
    p = _Blocks(image, a["kernel_size"], a["dilation"], a["padding"], a["stride"])
    oh, ow = _blocks(p)
    if shape[-1] != oh * ow:
        (h, w), (dh, dw), (ph, pw), (sh, sw) = a["output_size"], p.dilation, p.padding, p.stride
        raise RuntimeError(f"Given output_size=({h}, {w}), kernel_size=({kh}, {kw}), dilation=({dh}, {dw}), "
                           f"padding=({ph}, {pw}), stride=({sh}, {sw}), expected size of input's dimension 2 to "
                           f"match the calculated number of sliding blocks {oh} * {ow} = {oh * ow}, but got "
                           f"input.size(2)={shape[-1]}.")
    if input._data.dtype.kind in "iu":
        raise _not_implemented("col2im_out_cpu", input._data)
    return _col2im_op(input, p)


# ====================================================================== pooling: shared checks
class _Pool(NamedTuple):
    """A 2-d pooling's geometry: input ``shape`` ((N,) C, H, W) and its output's spatial size ``out``."""

    shape: tuple[int, ...]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    ceil_mode: bool
    out: tuple[int, int]
    count_include_pad: bool = True
    divisor_override: int | None = None


def _pool_out(size: int, k: int, pad: int, s: int, d: int, ceil_mode: bool) -> int:
    """ATen's ``pooling_output_shape`` (with its checks)."""
    if s == 0:
        raise RuntimeError("stride should not be zero")
    if pad < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {pad}")
    if pad > int(((k - 1) * d + 1) / 2):
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pad}, kernel_size={k} "
                           f"and dilation={d}")
    o = (size + 2 * pad - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (o - 1) * s >= size + pad:  # the last window must start inside the input
        o -= 1
    return o


def _pool2d_shape_check(shape: tuple[int, ...], k: list[int], s: list[int], pd: list[int], dl: list[int],
                        out: tuple[int, int]) -> None:
    """ATen's ``pool2d_shape_check``."""
    if not (k[0] > 0 and k[1] > 0):
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {k[0]} kW: {k[1]}")
    if not (s[0] > 0 and s[1] > 0):
        raise RuntimeError(f"stride should be greater than zero, but got dH: {s[0]} dW: {s[1]}")
    if not (dl[0] > 0 and dl[1] > 0):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {dl[0]} dilationW: {dl[1]}")
    valid = shape[1] != 0 and shape[2] != 0
    if not ((len(shape) == 3 and shape[0] != 0 and valid) or (len(shape) == 4 and valid and shape[3] != 0)):
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but "
                           f"got:{list(shape)}")
    if not (k[1] // 2 >= pd[1] and k[0] // 2 >= pd[0]):
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got padW = {pd[1]}, "
                           f"padH = {pd[0]}, kW = {k[1]}, kH = {k[0]}")
    if out[0] < 1 or out[1] < 1:
        c, h, w = shape[-3:]
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{out[0]}x{out[1]}). "
                           "Output size is too small")


def _pool2d_args(op: str, kernel_size: Any, stride: Any, padding: Any) -> tuple[list[int], list[int], list[int]]:
    """kernel_size, stride (default: kernel_size) and padding of a 2-d pooling, each one or two ints."""
    k = _ints(kernel_size, 2)
    if len(k) not in (1, 2):
        raise RuntimeError(f"{op}: kernel_size must either be a single int, or a tuple of two ints")
    s = [] if stride is None else _ints(stride, 2)
    if len(s) not in (0, 1, 2):
        raise RuntimeError(f"{op}: stride must either be omitted, a single int, or a tuple of two ints")
    pd = _ints(padding, 2)
    if len(pd) not in (1, 2):
        raise RuntimeError(f"{op}: padding must either be a single int, or a tuple of two ints")
    k = k * 2 if len(k) == 1 else k
    s = list(k) if not s else (s * 2 if len(s) == 1 else s)
    return k, s, pd * 2 if len(pd) == 1 else pd


def _padded_windows(x: Any, p: _Pool, fill: Any) -> Any:
    """The pooling windows (N, C, oh, ow, kh, kw) of ``x`` padded with ``fill`` (and on the right for ceil_mode)."""
    pads = []
    for size, k, s, q, d, o in zip(x.shape[-2:], p.kernel, p.stride, p.padding, p.dilation, p.out):
        pads.append((q, q + max(0, (o - 1) * s + (k - 1) * d + 1 - (size + 2 * q))))
    win = _windows(_pad_array(x, pads, fill), p.kernel, p.stride, p.dilation)
    return win[:, :, :p.out[0], :p.out[1]]


def _batched(a: Any, p: _Pool) -> Any:
    return a if len(p.shape) == 4 else a[None]


def _unbatched(a: Any, p: _Pool) -> Any:
    return a if len(p.shape) == 4 else a[0]


# ====================================================================== max pooling
def _max_pool_arr(a: Any, p: _Pool) -> tuple[Any, Any]:
    """Max over each window and its flat index into H * W (the first max, the last NaN, as PyTorch)."""
    x = _batched(a, p)
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow) = p.kernel, p.stride, p.padding, p.dilation, p.out
    fill = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min
    flat = _padded_windows(x, p, fill).reshape(n, c, oh, ow, kh * kw)
    am = flat.argmax(-1)
    if x.dtype.kind == "f":
        nan = xp.isnan(flat)
        if nan.any():  # PyTorch keeps the last NaN of a window
            am = xp.where(nan.any(-1), kh * kw - 1 - nan[..., ::-1].argmax(-1), am)
    vals = xp.take_along_axis(flat, am[..., None], -1)[..., 0]
    top, left = xp.arange(oh)[:, None] * sh - ph, xp.arange(ow) * sw - pw
    ih, iw = top + (am // kw) * dh, left + (am % kw) * dw
    bad = (ih < 0) | (ih >= h) | (iw < 0) | (iw >= w)
    if bad.any():  # a window holding only the lowest value: PyTorch takes its first element inside the input
        ih = xp.where(bad, top + (xp.maximum(-top, 0) + dh - 1) // dh * dh, ih)
        iw = xp.where(bad, left + (xp.maximum(-left, 0) + dw - 1) // dw * dw, iw)
    return _unbatched(vals, p), _unbatched((ih * w + iw).astype(xp.int64), p)


def _max_pool_rows(idx: Any, p: _Pool) -> tuple[Any, Any]:
    """Index of (row of N * C, flat position in H * W) for each output element."""
    nc = math.prod(p.shape[:-2])
    return xp.arange(nc)[:, None], idx.reshape(nc, p.out[0] * p.out[1])


def _max_pool_gather_arr(x: Any, idx: Any, p: _Pool) -> Any:
    """``x`` at the max-pool indices (the max pool of x, if idx were its argmax)"""
    rows, cols = _max_pool_rows(_arr(idx), p)
    return x.reshape(rows.shape[0], p.shape[-2] * p.shape[-1])[rows, cols].reshape(_arr(idx).shape)


def _max_pool_scatter_arr(g: Any, idx: Any, p: _Pool) -> Any:
    """``grad`` sent to the max-pool indices (summed where windows overlap)"""
    rows, cols = _max_pool_rows(_arr(idx), p)
    out = xp.zeros((rows.shape[0], p.shape[-2] * p.shape[-1]), dtype=g.dtype)
    gm = g.reshape(cols.shape)
    if any(s < (k - 1) * d + 1 for s, k, d in zip(p.stride, p.kernel, p.dilation)):
        xp.add.at(out, (rows, cols), gm)
    else:  # windows do not overlap: every index is hit once
        out[rows, cols] = gm
    return out.reshape(p.shape)


def _max_pool_record(r: Tensor, x: Tensor, idx: Tensor, p: _Pool, cls: type[Node]) -> Tensor:
    if STATE.grad_enabled and x._rg:
        n = cls()
        n.p = p
        record(r, n, (x,), (idx,))
    return r


class MaxPool2DWithIndicesBackward0(Node):
    __slots__ = ("p",)
    formula = "max_pool2d_with_indices(self, kernel_size, stride, padding, dilation, ceil_mode)"
    derivatives = ("zeros(self.shape).flatten(-2).scatter_add(-1, indices, grad)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (idx,) = self.unpack(F)
        return (F.max_pool2d_scatter(g, idx, self.p),)


class MaxPool2DWithIndicesBackwardBackward0(Node):
    __slots__ = ("p",)
    formula = "max_pool2d_with_indices_backward(grad, self, indices)"
    derivatives = ("grad.flatten(-2).gather(-1, indices)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (idx,) = self.unpack(F)
        return (F.max_pool2d_gather(g, idx, self.p),)


def _max_pool_gather_op(x: Tensor, idx: Any, p: _Pool) -> Tensor:
    return _max_pool_record(wrap(_max_pool_gather_arr(x._data, idx, p)), x, idx, p, MaxPool2DWithIndicesBackward0)


def _max_pool_scatter_op(g: Tensor, idx: Any, p: _Pool) -> Tensor:
    return _max_pool_record(wrap(_max_pool_scatter_arr(g._data, idx, p)), g, idx, p,
                            MaxPool2DWithIndicesBackwardBackward0)


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """2-d max pooling over (N, C, H, W) or (C, H, W); with ``return_indices``, also the flat argmax indices.

    d/dinput = grad sent to the (first) max of each window, summed where windows overlap.
    """
    k, s, pd = _pool2d_args("max_pool2d", kernel_size, stride, padding)
    dl = _ints(dilation, 2)
    if len(dl) not in (1, 2):
        raise RuntimeError("max_pool2d: dilation must be either a single int, or a tuple of two ints")
    dl = dl * 2 if len(dl) == 1 else dl
    if input.ndim not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    shape = tuple(input.shape)
    out = (_pool_out(shape[-2], k[0], pd[0], s[0], dl[0], ceil_mode),
           _pool_out(shape[-1], k[1], pd[1], s[1], dl[1], ceil_mode))
    _pool2d_shape_check(shape, k, s, pd, dl, out)
    if input._data.dtype == bool:
        raise _not_implemented("max_pool2d", input._data)
    p = _Pool(shape, tuple(k), tuple(s), tuple(pd), tuple(dl), bool(ceil_mode), out)  # type: ignore[arg-type]
    vals, idx = _max_pool_arr(input._data, p)
    indices = wrap(idx)
    r = _max_pool_record(wrap(vals), input, indices, p, MaxPool2DWithIndicesBackward0)
    return (r, indices) if return_indices else r


def max_pool2d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                            dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """``max_pool2d`` returning ``(values, indices)``."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool1d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                            dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """``max_pool1d`` returning ``(values, indices)``: a 2-d max pool over (…, 1, L)."""
    k = _ints(kernel_size, 1)
    s = k if stride is None or _ints(stride, 1) == [] else _ints(stride, 1)
    pd, dl = _ints(padding, 1), _ints(dilation, 1)
    _check_dim_range("max_pool1d", input, 2, 4)
    for name, v in (("kernel_size", k), ("stride", s), ("padding", pd), ("dilation", dl)):
        _check_1d("max_pool1d", name, v)
    out, idx = max_pool2d(unsqueeze(input, -2), (1, k[0]), (1, s[0]), (0, pd[0]), (1, dl[0]), ceil_mode, True)
    return squeeze(out, -2), squeeze(idx, -2)


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """1-d max pooling over (N, C, L) or (C, L).  d/dinput = grad sent to the (first) max of each window."""
    if return_indices:
        return max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    shape = tuple(input.shape)
    if not ((len(shape) == 2 and shape[0] and shape[1]) or (len(shape) == 3 and shape[1] and shape[2])):
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                           f"input, but got:{list(shape)}")
    k, pd, dl = _ints(kernel_size, 1), _ints(padding, 1), _ints(dilation, 1)
    s = [] if stride is None else _ints(stride, 1)
    for name, v, what in (("kernel_size", k, "an int, list of ints or tuple of ints"),
                          ("stride", s, "None, an int, list of ints, or tuple of ints"),
                          ("padding", pd, "an int, list of ints, or tuple of ints"),
                          ("dilation", dl, "an int, list of ints or tuple of ints")):
        if len(v) != 1 and not (name == "stride" and not v):
            raise RuntimeError(f"max_pool1d() {name} must be {what} of size 1 but got size {len(v)}")
    s = s or k
    for cond, text in ((k[0] > 0, f"kernel_size must be greater than zero, but got {k[0]}"),
                       (s[0] > 0, f"stride must be greater than zero, but got {s[0]}"),
                       (pd[0] >= 0, f"padding must be non-negative, but got {pd[0]}"),
                       (pd[0] <= k[0] // 2, f"padding should be at most half of kernel size, but got padding={pd[0]} "
                                            f"and kernel_size={k[0]}"),
                       (dl[0] > 0, f"dilation must be greater than zero, but got {dl[0]}")):
        if not cond:
            raise RuntimeError(f"max_pool1d() {text}")
    ow = _pool_out(shape[-1], k[0], pd[0], s[0], dl[0], ceil_mode)
    if ow <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {ow}")
    if not (STATE.grad_enabled and input._rg) and input._data.dtype.kind != "f":
        raise _not_implemented("max_pool1d_impl", input._data)
    return max_pool1d_with_indices(input, k, s, pd, dl, ceil_mode)[0]


# ====================================================================== average pooling
def _avg_divisor(p: _Pool) -> tuple[Any, Any]:
    """Each window's divisor (oh, ow) and whether it holds any input element at all."""
    counts, nonempty = [], []
    for size, k, s, q, o in zip(p.shape[-2:], p.kernel, p.stride, p.padding, p.out):
        start = xp.arange(o) * s - q
        end = xp.minimum(start + k, size + q)
        inside = xp.minimum(end, size) - xp.maximum(start, 0)
        counts.append(end - start if p.count_include_pad else inside)
        nonempty.append(inside > 0)
    div = counts[0][:, None] * counts[1] if p.divisor_override is None else xp.full(p.out, p.divisor_override)
    return div, nonempty[0][:, None] & nonempty[1]


def _avg_pool_arr(a: Any, p: _Pool) -> Any:
    """Average over each window (PyTorch's divisor rules; integer division truncates)"""
    x = _batched(a, p)
    sums = _padded_windows(x, p, 0).sum(axis=(-2, -1), dtype=_compute_dtype(x))
    div, nonempty = _avg_divisor(p)
    if x.dtype.kind == "f":
        out = xp.where(nonempty, sums / xp.where(nonempty, div, 1).astype(sums.dtype), 0).astype(x.dtype)
    else:
        q = xp.where(nonempty, div, 1)
        out = xp.where(nonempty, xp.sign(sums) * (xp.abs(sums) // q), 0).astype(x.dtype)
    return _unbatched(out, p)


def _avg_pool_backward_arr(g: Any, p: _Pool) -> Any:
    """Each output's ``grad / divisor`` spread over its window"""
    gb = _batched(g, p)
    div, nonempty = _avg_divisor(p)
    gd = xp.where(nonempty, gb / xp.where(nonempty, div, 1).astype(g.dtype), 0).astype(g.dtype)
    cols = xp.broadcast_to(gd[:, :, None, None], gd.shape[:2] + p.kernel + p.out)
    h, w = p.shape[-2:]
    (ph, pw) = p.padding
    padded = tuple(max(size + 2 * q, (o - 1) * s + k)
                   for size, q, o, s, k in zip((h, w), p.padding, p.out, p.stride, p.kernel))
    full = _col2im(cols, padded, p.stride, (1, 1))
    return _unbatched(xp.ascontiguousarray(full[..., ph:ph + h, pw:pw + w]), p)


class AvgPool2DBackward0(Node):
    __slots__ = ("p",)
    formula = "avg_pool2d(self, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)"
    derivatives = ("avg_pool2d_backward(grad, self, ...)   (grad / divisor spread over each window)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.avg_pool2d_backward(g, self.p),)


class AvgPool2DBackwardBackward0(Node):
    __slots__ = ("p",)
    formula = "avg_pool2d_backward(grad, self, kernel_size, stride, padding, ceil_mode, count_include_pad, ...)"
    derivatives = ("avg_pool2d(grad, kernel_size, stride, padding, ceil_mode, count_include_pad, ...)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.avg_pool2d_forward(g, self.p),)


_avg_pool_op = _linear(_avg_pool_arr, AvgPool2DBackward0)
_avg_pool_backward_op = _linear(_avg_pool_backward_arr, AvgPool2DBackwardBackward0)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """2-d average pooling over (N, C, H, W) or (C, H, W).  d/dinput = grad / divisor spread over each window."""
    k, s, pd = _pool2d_args("avg_pool2d", kernel_size, stride, padding)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    input.size(-3)  # PyTorch reads the channel count first: its IndexError for inputs of fewer than 3 dims
    shape = tuple(input.shape)
    out = (_pool_out(shape[-2], k[0], pd[0], s[0], 1, ceil_mode), _pool_out(shape[-1], k[1], pd[1], s[1], 1, ceil_mode))
    _pool2d_shape_check(shape, k, s, pd, [1, 1], out)
    d = input._data
    if d.dtype.kind == "b" or (d.dtype.kind in "iu" and d.dtype != xp.int64):
        raise _not_implemented("avg_pool2d", d)
    p = _Pool(shape, tuple(k), tuple(s), tuple(pd), (1, 1), bool(ceil_mode), out,  # type: ignore[arg-type]
              bool(count_include_pad), divisor_override)
    return _avg_pool_op(input, p)


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """1-d average pooling over (N, C, L) or (C, L): a 2-d pool over (…, 1, L)."""
    k = _ints(kernel_size, 1)
    s = k if stride is None or _ints(stride, 1) == [] else _ints(stride, 1)
    pd = _ints(padding, 1)
    _check_dim_range("avg_pool1d", input, 2, 4)
    for name, v in (("kernel_size", k), ("stride", s), ("padding", pd)):
        _check_1d("avg_pool1d", name, v)
    out = avg_pool2d(unsqueeze(input, -2), (1, k[0]), (1, s[0]), (0, pd[0]), ceil_mode, count_include_pad)
    return squeeze(out, -2)


# ====================================================================== adaptive average pooling
def _adaptive_ranges(size: int, o: int) -> tuple[Any, Any]:
    """Window ``i`` spans [floor(i * size / o), ceil((i + 1) * size / o))."""
    i = xp.arange(o)
    return (i * size) // o, ((i + 1) * size + o - 1) // o


def _adaptive_parts(p: _Pool) -> list[tuple[Any, Any]]:
    return [_adaptive_ranges(size, o) for size, o in zip(p.shape[-2:], p.out)]


def _adaptive_arr(a: Any, p: _Pool) -> Any:
    """Average over adaptive windows (sum, then / kh / kw)"""
    (hs, he), (ws, we) = _adaptive_parts(p)
    out = xp.zeros(a.shape[:-2] + p.out, dtype=a.dtype)
    if 0 in p.out:
        return out
    ct = _compute_dtype(a)
    rows = xp.stack([a[..., s:e, :].sum(-2, dtype=ct) for s, e in zip(hs, he)], axis=-2)  # (..., oh, W)
    out = xp.stack([rows[..., s:e].sum(-1) for s, e in zip(ws, we)], axis=-1)
    return (out / (he - hs).astype(ct)[:, None] / (we - ws).astype(ct)).astype(a.dtype, copy=False)


def _adaptive_backward_arr(g: Any, p: _Pool) -> Any:
    """Each output's ``grad / (kh * kw)`` spread over its window"""
    if 0 in p.out:
        raise RuntimeError("adaptive_avg_pool2d_backward(): Expected grad_output to have non-zero size for non-batch "
                           f"dimensions, but grad_output has sizes {list(g.shape)} with dimension "
                           f"{g.ndim - 2 + p.out.index(0)} being empty")
    (hs, he), (ws, we) = _adaptive_parts(p)
    gd = g / (he - hs).astype(g.dtype)[:, None] / (we - ws).astype(g.dtype)
    h, w = p.shape[-2:]
    rows = xp.zeros(g.shape[:-1] + (w,), dtype=g.dtype)
    for j, (s, e) in enumerate(zip(ws, we)):
        rows[..., s:e] += gd[..., j:j + 1]
    out = xp.zeros(g.shape[:-2] + (h, w), dtype=g.dtype)
    for i, (s, e) in enumerate(zip(hs, he)):
        out[..., s:e, :] += rows[..., i:i + 1, :]
    return out


class AdaptiveAvgPool2DBackward0(Node):
    __slots__ = ("p",)
    formula = "adaptive_avg_pool2d(self, output_size)"
    derivatives = ("adaptive_avg_pool2d_backward(grad, self)   (grad / window size spread over each window)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.adaptive_avg_pool2d_backward(g, self.p),)


class AdaptiveAvgPool2DBackwardBackward0(Node):
    __slots__ = ("p",)
    formula = "adaptive_avg_pool2d_backward(grad, self)"
    derivatives = ("adaptive_avg_pool2d(grad, output_size)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.adaptive_avg_pool2d_forward(g, self.p),)


_adaptive_op = _linear(_adaptive_arr, AdaptiveAvgPool2DBackward0)
_adaptive_backward_op = _linear(_adaptive_backward_arr, AdaptiveAvgPool2DBackwardBackward0)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling to a fixed ``output_size`` (None keeps that dim).  d/dinput = grad / window size, spread."""
    if not isinstance(output_size, int):  # torch.nn.functional's _list_with_default
        if input.ndim <= len(output_size):
            raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
        output_size = [d if v is None else v for v, d in zip(output_size, input.shape[-len(output_size):])]
    o = _ints(output_size, 2)
    if len(o) != 2:
        raise RuntimeError("adaptive_avg_pool2d: output_size must be 2")
    if o[0] < 0 or o[1] < 0:
        raise RuntimeError("adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but "
                           f"received {{{o[0]}, {o[1]}}}")
    if o == [1, 1]:  # PyTorch takes the mean over H and W
        return mean(input, (-1, -2), keepdim=True)
    shape = tuple(input.shape)
    if len(shape) not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(shape)}")
    for i in (-2, -1):
        if shape[i] <= 0:
            raise RuntimeError("adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(shape)} with dimension {i + len(shape)} being "
                               "empty")
    if input._data.dtype.kind != "f":
        raise _not_implemented("adaptive_avg_pool2d", input._data)
    p = _Pool(shape, (1, 1), (1, 1), (0, 0), (1, 1), False, (o[0], o[1]))
    return _adaptive_op(input, p)


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling of (N, C, L) or (C, L) to ``output_size``: a 2-d adaptive pool over (…, 1, L)."""
    _check_dim_range("adaptive_avg_pool1d", input, 2, 4)
    o = _ints(output_size, 1)
    _check_1d("adaptive_avg_pool1d", "output_size", o)
    return squeeze(adaptive_avg_pool2d(unsqueeze(input, -2), (1, o[0])), -2)


# ====================================================================== rule functions
# The maps the derivative rules above call through F: arrays for backward(), these ops for create_graph=True.
for _name, _array_fn, _tensor_fn in (
    ("convolution", _conv_forward, _convolution),
    ("convolution_backward", _conv_backward, _convolution_backward),
    ("constant_pad_nd", _constant_pad_arr, _constant_pad_op),
    ("pad_gather", _pad_gather_arr, _pad_gather_op),
    ("pad_scatter", _pad_scatter_arr, _pad_scatter_op),
    ("im2col", _im2col_arr, _im2col_op),
    ("col2im", _col2im_arr, _col2im_op),
    ("max_pool2d_gather", _max_pool_gather_arr, _max_pool_gather_op),
    ("max_pool2d_scatter", _max_pool_scatter_arr, _max_pool_scatter_op),
    ("avg_pool2d_forward", _avg_pool_arr, _avg_pool_op),
    ("avg_pool2d_backward", _avg_pool_backward_arr, _avg_pool_backward_op),
    ("adaptive_avg_pool2d_forward", _adaptive_arr, _adaptive_op),
    ("adaptive_avg_pool2d_backward", _adaptive_backward_arr, _adaptive_backward_op),
):
    register_rule_fn(_name, _array_fn, _tensor_fn)
