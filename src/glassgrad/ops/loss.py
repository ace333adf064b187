"""Losses and the other ``torch.nn.functional`` functions: cross entropy, NLL, MSE, BCE, KL, distances, dropout…

Where PyTorch has a fused kernel with its own node (``nll_loss``, ``mse_loss``,
``binary_cross_entropy``…) the op here is fused too, with the node of the same
name; where PyTorch composes a function from other ops (``l1_loss``,
``kl_div``, ``cross_entropy``…) it is composed here from the same ops, so
``grad_fn`` chains read as PyTorch's.  A few of those composites use C++-only
overloads (``mul(Tensor, Scalar)`` records ``MulBackward1``, not the
``MulBackward0`` of Python's ``x * 2``); they are the first section below.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from ..autograd.grad_mode import no_grad
from ..backends import backend
from ..creation import _rng
from . import shape as S
from ._base import STATE, D, Node, Tensor, broadcast_error, dims_arg, operands, record, saved_output, wrap, xp
from ._ns import register_rule_fn
from .activation import log_softmax, softmax
from .binary import clamp_min, xlogy
from .elementwise import _stable_sigmoid, abs, add, div, exp, mul, neg, pow, sigmoid, sub, where
from .elementwise import add_scalar as _add_scalar
from .elementwise import div_scalar as _div_scalar
from .elementwise import mul_scalar as _mul_scalar
from .gather import masked_fill
from .inplace import fill_, mul_
from .linalg import LinalgVectorNormBackward0
from .reduction import mean, sum, vector_norm

__all__: list[str] = ["bilinear", "cosine_similarity", "pairwise_distance", "dropout"]
#: Tensor methods this family adds (name -> function)
METHODS: dict[str, Any] = {}
#: names of this family's functions that also live in glassgrad.nn.functional
FUNCTIONAL: list[str] = [
    "softmin", "bilinear", "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "cosine_similarity",
    "pairwise_distance", "normalize", "dropout", "embedding", "one_hot",
]

_nb = backend().ns
_f64 = xp.float64


# ====================================================================== helpers
def _req(x: Any) -> bool:
    return isinstance(x, Tensor) and x._rg


def _tname(dt: Any) -> str:
    """PyTorch's short name of a NumPy dtype (``Float``, ``Long``…), as in its error messages."""
    return D.FROM_NP[xp.dtype(dt)].scalar_name


def _cfmt(v: float) -> str:
    """A float as C++ streams print it (``2`` for 2.0, ``1.5`` for 1.5)."""
    return f"{v:g}"


def _precise(d: Any) -> Any:
    """Float16/float32 data as float64, for transcendental maths rounded back afterwards."""
    return d.astype(_f64) if d.dtype.itemsize < 8 else d


def _reduction(reduction: str, size_average: bool | None = None, reduce: bool | None = None,
               stacklevel: int = 3) -> str:
    """The reduction name (PyTorch's ``_Reduction``): legacy ``size_average``/``reduce`` override ``reduction``."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
        warnings.warn(
            f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
            UserWarning, stacklevel=stacklevel,
        )
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
                      UserWarning, stacklevel=stacklevel)
        return "mean"
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    """PyTorch's ``apply_loss_reduction``: ``mean()`` (MeanBackward0), ``sum()`` (SumBackward0) or nothing."""
    if reduction == "mean":
        return mean(loss)
    if reduction == "sum":
        return sum(loss)
    return loss


def _reduce_array(d: Any, reduction: str) -> Any:
    if reduction == "none":
        return d
    s = d.sum()
    if reduction == "sum":
        return s
    return s / d.size if d.size else xp.asarray(xp.nan, dtype=d.dtype)


def _scale(reduction: str, n: int) -> float:
    """The factor the gradient of an elementwise loss carries: 1/numel for 'mean'."""
    if reduction != "mean":
        return 1.0
    return 1.0 / n if n else math.inf


def _weighted(loss: Tensor, weight: Tensor, reduction: str, mean_by_weight: bool) -> Tensor:
    """The reduction of a per-element weighted loss (the ``weight=`` path of mse/l1/huber)."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return sum(loss)
    if reduction == "mean":
        return div(sum(loss), sum(weight)) if mean_by_weight else mean(loss)
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


def _size_warning(input: Tensor, target: Tensor, stacklevel: int = 3) -> None:
    if target.size() != input.size():
        warnings.warn(
            f"Using a target size ({target.size()}) that is different to the input size ({input.size()}). "
            "This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.",
            UserWarning, stacklevel=stacklevel,
        )


def _regression_inputs(input: Tensor, target: Tensor, reduction: str, size_average: bool | None,
                       reduce: bool | None) -> tuple[Tensor, Tensor, str]:
    """What mse/l1/smooth_l1 do first: warn on a size mismatch, resolve the legacy arguments, broadcast."""
    _size_warning(input, target, stacklevel=4)
    if size_average is not None or reduce is not None:
        reduction = _reduction(reduction, size_average, reduce, stacklevel=4)
    x, t = _broadcast(input, target)
    return x, t, reduction


def _check_weight_size(weight: Tensor, input: Tensor) -> None:
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")


def _broadcast_shape(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    try:
        return tuple(xp.broadcast_shapes(*shapes))
    except ValueError:
        raise broadcast_error(xp.empty(shapes[0]), xp.empty(shapes[1])) from None


def _broadcast(a: Tensor, b: Tensor, both: bool = False) -> tuple[Tensor, Tensor]:
    """``torch.broadcast_tensors(a, b)``: each tensor not already of the common shape is expanded.

    ``both=True`` is ATen's two-tensor ``expand_outplace``, which expands both as soon as the shapes differ.
    """
    sa, sb = tuple(a.shape), tuple(b.shape)
    if sa == sb:
        return a, b
    shape = _broadcast_shape(sa, sb)
    return (S.expand(a, shape) if both or sa != shape else a), (S.expand(b, shape) if both or sb != shape else b)


def _not_differentiable(fn: str, arg: str, t: Tensor | None) -> None:
    """PyTorch's refusal of a ``requires_grad`` argument it has no derivative for (such as a class weight)."""
    if t is not None and STATE.grad_enabled and t._rg:
        raise RuntimeError(
            f"The function '{fn}' is not differentiable with respect to argument '{arg}'. "
            "This input cannot have requires_grad True."
        )


def _const(d: Any) -> Tensor:
    """A constant a derivative rule needs (saved as a tensor, so the rule gets an array or a Tensor)."""
    return wrap(xp.asarray(d))


# ---------------------------------------------------------------------- rule functions
def _log_sigmoid_array(d: Any) -> Any:
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)): finite for inputs of ±1000."""
    return xp.minimum(d, 0) - xp.log1p(_nb.exp(-xp.abs(d)))


def _log_sigmoid_tensor(x: Tensor) -> Tensor:
    """Differentiable log(sigmoid(x)); each branch sees only inputs it cannot overflow on."""
    lt0 = x < 0
    xn = where(lt0, x, 0.0)
    xp_ = where(lt0, 0.0, x)
    return where(lt0, xn - (exp(xn) + 1).log(), -((exp(-xp_) + 1).log()))


register_rule_fn("sigmoid", _stable_sigmoid, sigmoid)
register_rule_fn("log_sigmoid", _log_sigmoid_array, _log_sigmoid_tensor)


# ====================================================================== C++ building blocks
# PyTorch's C++ composites call the Scalar overloads (mul.Scalar, div.Scalar, add.Scalar) and
# at::norm, whose nodes (MulBackward1, DivBackward1, AddBackward1, NormBackward1) Python's
# spellings never record; these record them.
class NormBackward1(LinalgVectorNormBackward0):
    """ATen's ``norm(Tensor, Scalar p, dim, keepdim)``: linalg_vector_norm's values and derivative, its own name."""

    __slots__ = ()
    formula = "norm(self, p, dim, keepdim)"


def _norm(x: Tensor, p: float, dim: int, keepdim: bool) -> Tensor:
    """``at::norm(x, p, dim, keepdim)`` (NormBackward1), as ``pairwise_distance`` calls it."""
    with no_grad():
        r = vector_norm(x, p, dim, keepdim)
    if STATE.grad_enabled and x._rg:
        n = NormBackward1()
        n.ord, n.dims, n.keepdim = float(p), dims_arg(dim, x.dim()) if x.dim() else (), keepdim
        record(r, n, (x,), (x, saved_output(r)))
    return r


# ====================================================================== softmin, bilinear
def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: D.dtype | None = None) -> Tensor:
    """softmax(-input) along ``dim``.  The gradient is softmax's, negated."""
    if dim is None:
        warnings.warn(
            "Implicit dimension choice for softmin has been deprecated. Change the call to include dim=X as an argument.",
            UserWarning, stacklevel=_stacklevel - 1,
        )
        dim = 0 if input.dim() in (0, 1, 3) else 1
    x = neg(input)
    if dtype is not None:
        x = S.to(x, dtype)  # PyTorch casts first: SoftmaxBackward0 over ToCopyBackward0
    return softmax(x, dim)


#: C++ type names PyTorch's messages print for dtypes
_CPP_TYPE_NAMES = {"float16": "c10::Half", "float32": "float", "float64": "double", "int64": "long int", "int32": "int",
                   "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y[..., o] = input1[..., i] * weight[o, i, j] * input2[..., j] + bias[o]`` (via ``_trilinear``)."""
    named = [("input1", input1), ("input2", input2), ("weight", weight)] + ([("bias", bias)] if bias is not None else [])
    if len({t._data.dtype for _, t in named}) > 1:
        got = ", ".join(f"{k}: {_CPP_TYPE_NAMES[t._data.dtype.name]}" for k, t in named)
        raise RuntimeError(f"All tensors must have the same dtype, got {got}")
    n1, n2 = input1.dim(), input2.dim()
    if n1 != n2:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {n1} and {n2}")
    for i in range(n1 - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(
                f"bilinear(): input batch dimensions do not match at dim {i}: got {input1.shape[i]} and {input2.shape[i]}"
            )
    for k, x in ((1, input1), (2, input2)):
        if x.shape[-1] != weight.size(k):
            raise RuntimeError(
                f"bilinear(): input{k} size does not match weight size: got {x.shape[-1]} but expected {weight.size(k)}"
            )
    if bias is not None and bias.size(0) != weight.size(0):
        raise RuntimeError(
            f"bilinear(): bias size does not match weight size: got {bias.size(0)} but expected {weight.size(0)}"
        )
    out_shape = tuple(input1.shape[:-1]) + (weight.shape[0],)
    a = S.reshape(input1, (-1, input1.shape[-1]))
    c = S.reshape(input2, (-1, input2.shape[-1]))
    out = S.reshape(_trilinear(a, weight, c), out_shape)
    return add(out, bias) if bias is not None else out


def _trilinear(a: Tensor, w: Tensor, c: Tensor) -> Tensor:
    """``out[b, o] = sum_ij a[b, i] w[o, i, j] c[b, j]`` (ATen's ``_trilinear`` as bilinear calls it)."""
    ad, wd, cd = a._data, w._data, c._data
    (bsz, i), (o, _, j) = ad.shape, wd.shape
    outer = (ad[:, :, None] * cd[:, None, :]).reshape(bsz, i * j)
    r = wrap(outer @ wd.reshape(o, i * j).T)
    if STATE.grad_enabled and (_req(a) or _req(w) or _req(c)):
        record(r, TrilinearBackward0(), (a, w, c), (a, w, c))
    return r


class TrilinearBackward0(Node):
    __slots__ = ()
    formula = "_trilinear(i1, i2, i3)   (out[b,o] = sum_ij i1[b,i] i2[o,i,j] i3[b,j])"
    derivatives = (
        "sum_oj grad[b,o] i2[o,i,j] i3[b,j]",
        "sum_b grad[b,o] i1[b,i] i3[b,j]",
        "sum_oi grad[b,o] i1[b,i] i2[o,i,j]",
    )

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        a, w, c = self.unpack(F)
        (bsz, i), (o, _, j) = a.shape, w.shape
        ga = gw = gc = None
        if self._next[0] is not None or self._next[2] is not None:
            m = F.reshape(F.matmul(g, F.reshape(w, (o, i * j))), (bsz, i, j))  # grad contracted with w
            if self._next[0] is not None:
                ga = F.reshape(F.matmul(m, F.unsqueeze(c, 2)), (bsz, i))
            if self._next[2] is not None:
                gc = F.reshape(F.matmul(F.unsqueeze(a, 1), m), (bsz, j))
        if self._next[1] is not None:
            outer = F.reshape(F.unsqueeze(a, 2) * F.unsqueeze(c, 1), (bsz, i * j))
            gw = F.reshape(F.matmul(F.transpose(g, 0, 1), outer), (o, i, j))
        return ga, gw, gc


# ====================================================================== nll_loss, cross_entropy
def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: bool | None = None,
             ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """``-input[n, target[n]] * weight[target[n]]``, reduced (mean divides by the total weight).

    d/dinput = -weight[target] * grad at the target class (scaled by 1/total weight for 'mean'), else 0.
    """
    reduction = _reduction(reduction, size_average, reduce)
    return _nll_nd(input, target, weight, reduction, ignore_index)


def _nll_nd(input: Tensor, target: Tensor, weight: Tensor | None, reduction: str, ignore_index: int) -> Tensor:
    """ATen's ``nll_loss_nd``: 1-D/2-D input go to nll_loss, 4-D to nll_loss2d, others are viewed as 4-D."""
    nd = input.dim()
    if nd < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {nd})")
    if nd != 1 and input.shape[0] != (target.shape[0] if target.dim() else 0):
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
            f"({target.shape[0] if target.dim() else 0})."
        )
    if nd == 1 and target.dim() == 1 and target.shape[0] != 1:
        raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}")
    if nd <= 2:
        return _nll(input, target, weight, reduction, ignore_index, NllLossBackward0)
    if nd == 4:
        return _nll(input, target, weight, reduction, ignore_index, NllLoss2DBackward0)
    n, c = input.shape[:2]
    out_size = (n,) + tuple(input.shape[2:])
    if tuple(target.shape[1:]) != tuple(input.shape[2:]):
        raise RuntimeError(f"Expected target size {list(out_size)}, got {list(target.shape)}")
    x = S.view(S.contiguous(input), (n, c, 1, -1) if input.numel() else (n, c, 0, 0))
    t = S.view(S.contiguous(target), (n, 1, -1) if target.numel() else (n, 0, 0))
    out = _nll(x, t, weight, reduction, ignore_index, NllLoss2DBackward0)
    return S.view(out, out_size) if reduction == "none" else out


def _nll_checks(x: Any, t: Any, weight: Tensor | None, two_d: bool) -> None:
    """The shape and dtype checks of nll_loss / nll_loss2d, in PyTorch's order and words."""
    if two_d:
        if t.ndim != 3:
            raise RuntimeError(
                f"only batches of spatial targets supported (3D tensors) but got targets of dimension: {t.ndim}"
            )
        if x.ndim != 4:
            raise RuntimeError(f"only batches of spatial inputs supported (4D tensors), but got input of dimension: {x.ndim}")
        if weight is not None and weight.numel() != x.shape[1]:
            raise RuntimeError("weight tensor should be defined either for all or no classes")
        if (x.shape[0], x.shape[2], x.shape[3]) != t.shape:
            raise RuntimeError(f"size mismatch (got input: {list(x.shape)} , target: {list(t.shape)}")
    else:
        if t.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if not (x.ndim == 1 and t.ndim == 0) and x.shape[0] != t.shape[0]:
            raise RuntimeError(f"size mismatch (got input: {list(x.shape)}, target: {list(t.shape)})")
        c = x.shape[-1]
        if weight is not None and (weight.dim() != 1 or weight.numel() != c):
            raise RuntimeError(
                f"weight tensor should be defined either for all {c} classes or no classes but got weight tensor "
                f"of shape: {list(weight.shape)}"
            )
    if t.dtype != xp.int64 and t.dtype != xp.uint8:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_tname(t.dtype)}")
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"nll_loss{'2d' if two_d else ''}_out_frame\" not implemented for '{_tname(x.dtype)}'")
    if two_d and t.dtype == xp.uint8:
        raise RuntimeError("expected scalar type Long but found Byte")
    if weight is not None and weight._data.dtype != x.dtype:
        raise RuntimeError(f"expected scalar type {_tname(x.dtype)} but found {_tname(weight._data.dtype)}")


def _nll(input: Tensor, target: Tensor, weight: Tensor | None, reduction: str, ignore_index: int,
         node_cls: type[Node]) -> Tensor:
    """The fused nll_loss (1-D/2-D input) or nll_loss2d (4-D input)."""
    two_d = node_cls is NllLoss2DBackward0
    _not_differentiable("nll_loss2d_forward" if two_d else "nll_loss_forward", "weight", weight)
    x, t = input._data, target._data
    _nll_checks(x, t, weight, two_d)
    cdim = 1 if x.ndim >= 2 else 0
    if x.ndim == 1:
        t = t.reshape(())
    t = t.astype(xp.int64, copy=False)
    valid = t != ignore_index
    bad = (t < 0) | (t >= x.shape[cdim])
    if (bad & valid).any():
        raise IndexError(f"Target {t[bad & valid].reshape(-1)[0]} is out of bounds.")
    if weight is None and x.ndim == 2 and t.size and reduction != "none" and not two_d and valid.all():
        return _nll_unweighted(input, t, reduction, node_cls)
    idx = xp.expand_dims(xp.where(valid, t, 0), cdim)
    picked = xp.take_along_axis(x, idx, axis=cdim).squeeze(cdim)
    w = weight._data[idx.squeeze(cdim)] if weight is not None else xp.ones((), x.dtype)
    w = xp.where(valid, w, xp.zeros((), x.dtype))
    losses = xp.where(valid, -picked * w, xp.zeros((), x.dtype))
    if reduction == "none" and x.ndim >= 2:
        r, coef = wrap(losses), -w
    else:
        total = xp.broadcast_to(w, t.shape).sum()
        if t.size == 0:
            r = wrap(xp.asarray(xp.nan if reduction == "mean" else 0.0, dtype=x.dtype))
        else:
            r = wrap(losses.sum() / total if reduction == "mean" else losses.sum())
        coef = xp.where(valid, -w / total, xp.zeros((), x.dtype)) if reduction == "mean" else -w
    if STATE.grad_enabled and input._rg:
        n = node_cls()
        n.shape, n.dim, n.index = x.shape, cdim, idx
        record(r, n, (input,), (_const(xp.broadcast_to(coef, t.shape).astype(x.dtype)),))
    return r


def _nll_unweighted(input: Tensor, t: Any, reduction: str, node_cls: type[Node]) -> Tensor:
    """``_nll`` for the common case: 2-D input, no class weights, no ignored target, reduced.

    Note: with every weight 1 the general path's ``where``/``broadcast`` steps are identities
    (``-picked * 1``, a total weight of exactly n): this computes the same values with five
    fewer array operations, which is a third of a small classifier's loss (W3: 64x10 logits).
    """
    x = input._data
    idx = t[:, None]
    losses = -x[xp.arange(t.shape[0]), t]  # (take_along_axis(x, idx, 1) without its index-building)
    if reduction == "mean":
        total = x.dtype.type(t.size)
        r = wrap(losses.sum() / total)
        coef = -1 / total
    else:
        r = wrap(losses.sum())
        coef = x.dtype.type(-1)
    if STATE.grad_enabled and input._rg:
        n = node_cls()
        n.shape, n.dim, n.index = x.shape, 1, idx
        record(r, n, (input,), (_const(xp.full(t.shape, coef, dtype=x.dtype)),))
    return r


class NllLossBackward0(Node):
    __slots__ = ("shape", "dim", "index")
    formula = "nll_loss(self, target, weight, reduction, ignore_index)"
    derivatives = ("-weight[target] * grad at target's class (/ total_weight for 'mean'; 0 where ignored)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (coef,) = self.unpack(F)
        src = F.unsqueeze(g * coef, self.dim)
        return (F.scatter_dim(self.shape, self.dim, self.index, src, src.dtype),)


class NllLoss2DBackward0(NllLossBackward0):
    __slots__ = ()
    formula = "nll_loss2d(self, target, weight, reduction, ignore_index)"


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: bool | None = None,
                  ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """``nll_loss(log_softmax(input, class_dim), target)`` for class indices; for class probabilities
    ``-sum(log_softmax(input) * target)``; ``label_smoothing`` mixes in the uniform distribution."""
    reduction = _reduction(reduction, size_average, reduce)
    cdim = 0 if input.dim() == 1 else 1
    if tuple(input.shape) == tuple(target.shape):
        if target._data.dtype.kind != "f":
            raise RuntimeError(
                f"Expected floating point type for target with class probabilities, got {_tname(target._data.dtype)}"
            )
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing, cdim)
    if label_smoothing > 0.0:
        _check_smoothing(label_smoothing)
        return _cross_entropy_smoothed(input, target, weight, reduction, ignore_index, label_smoothing, cdim)
    return _nll_nd(log_softmax(input, cdim), target, weight, reduction, ignore_index)


def _check_smoothing(label_smoothing: float) -> None:
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {_cfmt(label_smoothing)}")


def _class_view(weight: Tensor, ndim: int, cdim: int) -> Tensor:
    """The class weight viewed to broadcast along the class dim of an ``ndim``-d input."""
    shape = [1] * ndim
    shape[cdim] = weight.shape[0]
    return S.view(weight, tuple(shape))


def _cross_entropy_smoothed(input: Tensor, target: Tensor, weight: Tensor | None, reduction: str,
                            ignore_index: int, ls: float, cdim: int) -> Tensor:
    """ATen's ``cross_entropy_loss_label_smoothing``: (1 - ls) * nll + ls / C * (-sum of log-probabilities)."""
    logp = log_softmax(input, cdim)
    nll = _nll_nd(logp, target, weight, reduction, ignore_index)
    c = input.shape[cdim]
    ignore = target._data == ignore_index
    summed = sum(mul(logp, _class_view(weight, logp.dim(), cdim)) if weight is not None else logp, cdim)
    smooth = masked_fill(neg(summed), wrap(ignore), 0.0)
    if reduction == "mean":
        if weight is not None:
            denom = wrap(weight._data[target._data[~ignore].astype(xp.int64)].sum())
        else:
            denom = wrap(xp.asarray((~ignore).sum(), dtype=xp.int64))
        ret = div(sum(smooth), denom)
    else:
        ret = sum(smooth) if reduction == "sum" else smooth
    return add(_mul_scalar(nll, 1 - ls), _mul_scalar(ret, ls / c))


def _cross_entropy_probs(input: Tensor, target: Tensor, weight: Tensor | None, reduction: str, ls: float,
                         cdim: int) -> Tensor:
    """ATen's ``cross_entropy_loss_prob_target``: -sum(log_softmax(input) * target [* weight])."""
    c = input.shape[cdim]
    if weight is not None and not (weight.dim() == 1 and weight.numel() == c):
        raise RuntimeError(
            f"cross_entropy: weight tensor should be defined either for all {c} classes or no classes but got "
            f"weight tensor of shape: {list(weight.shape)}"
        )
    logp = log_softmax(input, cdim)
    if ls > 0.0:
        _check_smoothing(ls)
        target = _add_scalar(_mul_scalar(target, 1 - ls), ls / c)
    prod = mul(logp, target)
    if weight is not None:
        prod = mul(prod, _class_view(weight, logp.dim(), cdim) if logp.dim() > 1 else weight)
    if reduction == "none":
        return neg(sum(prod, cdim))
    if reduction == "sum":
        return neg(sum(prod))
    if input.numel() == 0:
        return neg(fill_(sum(prod), math.nan))
    return _div_scalar(neg(sum(prod)), input.numel() // c)


# ====================================================================== elementwise regression losses
def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """``(input - target) ** 2``, reduced.  d/dinput = 2 * (input - target) * grad (/ numel for 'mean')."""
    x, t, reduction = _regression_inputs(input, target, reduction, size_average, reduce)
    if weight is not None:
        _check_weight_size(weight, input)
        return _weighted(mul(pow(sub(x, t), 2), weight), weight, reduction, True)
    return _pointwise_loss(x, t, _reduction(reduction), MseLossBackward0, "mse")


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """``|input - target|``, reduced (composed: AbsBackward0 over SubBackward0)."""
    x, t, reduction = _regression_inputs(input, target, reduction, size_average, reduce)
    if weight is not None:
        _check_weight_size(weight, input)
        return _weighted(mul(abs(sub(x, t)), weight), weight, reduction, True)
    return _reduce(abs(sub(x, t)), _reduction(reduction))


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """``0.5 * d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 * beta`` (d = input - target).

    d/dinput = grad * (d / beta where |d| < beta, else sign(d)).
    """
    x, t, reduction = _regression_inputs(input, target, reduction, size_average, reduce)
    reduction = _reduction(reduction)
    if beta == 0.0:
        return _reduce(abs(sub(x, t)), reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _pointwise_loss(x, t, reduction, SmoothL1LossBackward0, "smooth_l1", beta)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """``0.5 * d**2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 * delta)`` (d = input - target).

    d/dinput = grad * (d where |d| < delta, else delta * sign(d)).
    """
    _size_warning(input, target)
    x, t = _broadcast(input, target)
    if weight is None:
        return _pointwise_loss(x, t, _reduction(reduction), HuberLossBackward0, "huber", delta)
    _check_weight_size(weight, input)
    return _weighted(mul(_pointwise_loss(x, t, "none", HuberLossBackward0, "huber", delta), weight), weight,
                     reduction, False)


def _pointwise_loss(input: Tensor, target: Tensor, reduction: str, node_cls: type[_PointwiseLoss], name: str,
                    param: float = 0.0) -> Tensor:
    """The fused elementwise losses (mse, huber, smooth_l1) of same-shaped input and target."""
    if name == "huber" and param <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    a, b = operands(input, target)
    if a.dtype.kind != "f":
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{_tname(a.dtype)}'")
    r = wrap(_reduce_array(node_cls.elementwise(a - b, param), reduction))
    if STATE.grad_enabled and (_req(input) or _req(target)):
        n = node_cls()
        n.param = param
        n.scale = _scale(reduction, a.size)
        record(r, n, (input, target), (input, target))
    return r


class _PointwiseLoss(Node):
    """An elementwise loss of d = input - target: d/dinput = loss'(d) * grad * scale, d/dtarget its negative."""

    __slots__ = ("param", "scale")

    @staticmethod
    def elementwise(d: Any, param: float) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def slope(self, F: Any, d: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        x, t = self.unpack(F)
        gx = self.slope(F, x - t) * (g * self.scale if self.scale != 1 else g)
        return (gx if self._next[0] is not None else None, -gx if self._next[1] is not None else None)


class MseLossBackward0(_PointwiseLoss):
    __slots__ = ()
    formula = "mse_loss(self, target, reduction)"
    derivatives = ("2 * (self - target) * grad   (/ numel for 'mean')", "-2 * (self - target) * grad")

    @staticmethod
    def elementwise(d: Any, param: float) -> Any:
        return d * d

    def slope(self, F: Any, d: Any) -> Any:
        return d * 2.0


class HuberLossBackward0(_PointwiseLoss):
    __slots__ = ()
    formula = "huber_loss(self, target, reduction, delta)"
    derivatives = ("grad * (d if |d| < delta else delta * sign(d)),  d = self - target", "the negative")

    @staticmethod
    def elementwise(d: Any, param: float) -> Any:
        z = xp.abs(d)
        return xp.where(z < param, 0.5 * z * z, param * (z - 0.5 * param))

    def slope(self, F: Any, d: Any) -> Any:
        return F.where(F.lt(F.abs(d), self.param), d, F.sign(d) * self.param)


class SmoothL1LossBackward0(_PointwiseLoss):
    __slots__ = ()
    formula = "smooth_l1_loss(self, target, reduction, beta)"
    derivatives = ("grad * (d / beta if |d| < beta else sign(d)),  d = self - target", "the negative")

    @staticmethod
    def elementwise(d: Any, param: float) -> Any:
        z = xp.abs(d)
        return xp.where(z < param, 0.5 * z * z / param, z - 0.5 * param)

    def slope(self, F: Any, d: Any) -> Any:
        return F.where(F.lt(F.abs(d), self.param), d / self.param, F.sign(d))


# ====================================================================== binary cross entropy
_BCE_EPS = 1e-12


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """``-weight * (target * log(input) + (1 - target) * log(1 - input))``, each log clamped at -100.

    d/dinput = grad * weight * (input - target) / max(input * (1 - input), 1e-12);
    d/dtarget = grad * weight * (log(1 - input) - log(input)).
    """
    reduction = _reduction(reduction, size_average, reduce)
    if target.size() != input.size():
        raise ValueError(
            f"Using a target size ({target.size()}) that is different to the input size ({input.size()}) is "
            "deprecated. Please ensure they have the same size."
        )
    if weight is not None:
        shape = _broadcast_shape(tuple(target.shape), tuple(weight.shape))
        weight = S.expand(weight, shape)
    _not_differentiable("binary_cross_entropy", "weight", weight)
    x, t = input._data, target._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"binary_cross_entropy\" not implemented for '{_tname(x.dtype)}'")
    if t.dtype != x.dtype:
        raise RuntimeError(f"Found dtype {_tname(t.dtype)} but expected {_tname(x.dtype)}")
    if not ((x >= 0) & (x <= 1)).all():
        raise RuntimeError("all elements of input should be between 0 and 1")
    if not ((t >= 0) & (t <= 1)).all():
        raise RuntimeError("all elements of target should be between 0 and 1")
    x64, t64 = _precise(x), _precise(t)
    log1m = xp.maximum(xp.log1p(-x64), -100.0)
    logx = xp.maximum(xp.log(x64), -100.0)
    loss = ((t64 - 1) * log1m - t64 * logx).astype(x.dtype)
    if weight is not None:
        loss = _loss_times_weight(loss, weight._data)
    r = wrap(_reduce_array(loss, reduction))
    if STATE.grad_enabled and (input._rg or target._rg):
        n = BinaryCrossEntropyBackward0()
        n.scale = _scale(reduction, x.size)
        record(r, n, (input, target), (input, target, weight))
    return r


def _loss_times_weight(loss: Any, w: Any) -> Any:
    """``loss.mul_(weight)``: the weight broadcasts to the loss, never the other way."""
    try:
        return loss * xp.broadcast_to(w, loss.shape)
    except ValueError:
        raise RuntimeError(
            f"output with shape {list(loss.shape)} doesn't match the broadcast shape "
            f"{list(xp.broadcast_shapes(loss.shape, w.shape))}"
        ) from None


class BinaryCrossEntropyBackward0(Node):
    __slots__ = ("scale",)
    formula = "binary_cross_entropy(self, target, weight, reduction)"
    derivatives = (
        "grad * weight * (self - target) / max(self * (1 - self), 1e-12)   (/ numel for 'mean')",
        "grad * weight * (log(1 - self) - log(self))",
    )

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        x, t, w = self.unpack(F)
        if self.scale != 1:
            g = g * self.scale
        if w is not None:
            g = g * w
        gx = gt = None
        if self._next[0] is not None:
            v = (1 - x) * x
            gx = g * (x - t) / F.where(F.gt(v, _BCE_EPS), v, _BCE_EPS)
        if self._next[1] is not None:
            gt = g * (F.log(1 - x) - F.log(x))
        return gx, gt


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average: bool | None = None, reduce: bool | None = None,
                                     reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
    """``-weight * (pos_weight * target * log(sigmoid(x)) + (1 - target) * log(1 - sigmoid(x)))``, computed
    stably as ``(1 - target) * x - (1 + (pos_weight - 1) * target) * log_sigmoid(x)``.

    d/dinput = grad * weight * ((pos_weight * target + 1 - target) * sigmoid(x) - pos_weight * target);
    d/dtarget = grad * weight * (log_sigmoid(-x) - pos_weight * log_sigmoid(x)).
    """
    reduction = _reduction(reduction, size_average, reduce)
    if target.size() != input.size():
        raise ValueError(f"Target size ({target.size()}) must be the same as input size ({input.size()})")
    _not_differentiable("binary_cross_entropy_with_logits", "weight", weight)
    _not_differentiable("binary_cross_entropy_with_logits", "pos_weight", pos_weight)
    x, t = operands(input, target)
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"log_sigmoid_cpu\" not implemented for '{_tname(x.dtype)}'")
    x64, t64 = _precise(x), _precise(t)
    log_sig = _log_sigmoid_array(x64)
    if pos_weight is not None:
        log_sig = _loss_times_weight(log_sig, (_precise(pos_weight._data) - 1) * t64 + 1)
    loss = ((1 - t64) * x64 - log_sig).astype(x.dtype)
    if weight is not None:
        loss = _loss_times_weight(loss, weight._data).astype(x.dtype)
    r = wrap(_reduce_array(loss, reduction))
    if STATE.grad_enabled and (_req(input) or _req(target)):
        n = BinaryCrossEntropyWithLogitsBackward0()
        n.scale = _scale(reduction, x.size)
        record(r, n, (input, target), (input, target, weight, pos_weight))
    return r


class BinaryCrossEntropyWithLogitsBackward0(Node):
    __slots__ = ("scale",)
    formula = "binary_cross_entropy_with_logits(self, target, weight, pos_weight, reduction)"
    derivatives = (
        "grad * weight * ((pos_weight * target + 1 - target) * sigmoid(self) - pos_weight * target)",
        "grad * weight * (log_sigmoid(-self) - pos_weight * log_sigmoid(self))   (no pos_weight: -self)",
    )

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        x, t, w, pw = self.unpack(F)
        if self.scale != 1:
            g = g * self.scale
        if w is not None:
            g = g * w
        gx = gt = None
        if self._next[0] is not None:
            if pw is None:
                gx = (F.sigmoid(x) - t) * g
            else:
                pt = pw * t
                gx = ((pt + 1 - t) * F.sigmoid(x) - pt) * g
        if self._next[1] is not None:
            gt = (-x if pw is None else F.log_sigmoid(-x) - F.log_sigmoid(x) * pw) * g
        return gx, gt


# ====================================================================== kl_div
def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """``target * (log(target) - input)`` (``exp(target) * (target - input)`` for ``log_target``), reduced;
    ``'batchmean'`` divides the sum by the batch size.  Composed: xlogy, mul, sub."""
    if size_average is not None or reduce is not None:
        red = _reduction(reduction, size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the support size."
                "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                UserWarning, stacklevel=2,
            )
        red = "sum" if reduction == "batchmean" else _reduction(reduction)
    if input._data.dtype.kind in "biu" or target._data.dtype.kind in "biu":
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        out = mul(exp(target), sub(target, input))
    else:
        out = sub(xlogy(target, target), mul(target, input))
    reduced = _reduce(out, red)
    if reduction == "batchmean" and input.dim() != 0:
        reduced = div(reduced, input.shape[0])
    return reduced


# ====================================================================== distances, normalize
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum(x1 / max(|x1|, eps) * x2 / max(|x2|, eps), dim)`` (norms over ``dim``).

    As in PyTorch the norms are clamped in place without recording, so the gradient
    flows through the unclamped norms.
    """
    a, b = operands(x1, x2)
    common = xp.result_type(a, b)
    if common.kind != "f":
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is {_tname(common)}")
    fdt = D.FROM_NP[common]
    x1 = S.to(x1, fdt) if x1._data.dtype.kind != "f" else x1
    x2 = S.to(x2, fdt) if x2._data.dtype.kind != "f" else x2
    x1, x2 = _broadcast(x1, x2, both=True)
    n1 = S.clone(vector_norm(x1, 2, dim, True))
    n2 = S.clone(vector_norm(x2, 2, dim, True))
    for n in (n1, n2):  # clamp_min_ under no_grad: a new value, no node
        xp.maximum(n._data, eps, out=n._data)
        n._bump_version()
    return sum(mul(div(x1, n1), div(x2, n2)), dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """``norm(x1 - x2 + eps, p, dim=-1)``.  The gradient is the p-norm's (NormBackward1)."""
    inner = max(x1.dim(), x2.dim()) - 1
    return _norm(_add_scalar(sub(x1, x2), eps), p, inner, keepdim)


def normalize(input: Tensor, p: float = 2.0, dim: Any = 1, eps: float = 1e-12, out: Tensor | None = None) -> Tensor:
    """``input / max(norm(input, p, dim, keepdim=True), eps)``."""
    denom = S.expand(clamp_min(vector_norm(input, p, dim, True), eps), tuple(input.shape))
    return div(input, denom, out=out)


# ====================================================================== dropout, embedding, one_hot
def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    ``input * mask`` (MulBackward0): the gradient is ``grad * mask``.  The mask is drawn
    from glassgrad's default generator.  ``p == 0``, ``training=False`` or an empty
    input return ``input`` itself, as PyTorch does.
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    d = input._data
    if p == 0 or not training or d.size == 0:
        return input
    if p == 1:
        mask = xp.zeros((), d.dtype)
    else:
        if d.dtype.kind != "f":
            raise RuntimeError(f"result type Float can't be cast to the desired output type {_tname(d.dtype)}")
        keep = _rng(None).random(d.shape) < 1 - p
        mask = keep.astype(d.dtype) / d.dtype.type(1 - p)
    noise = wrap(mask)
    return mul_(input, noise) if inplace else mul(input, noise)


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` at the indices ``input``: ``weight[input]``.

    d/dweight: each output row's gradient added into its row of ``weight`` (none into
    ``padding_idx``; divided by the index's count with ``scale_grad_by_freq``).
    ``max_norm`` first renormalises, in place, the looked-up rows longer than it.
    """
    num = weight.size(0)
    if padding_idx is not None:
        if padding_idx > 0 and padding_idx >= num or padding_idx < 0 and padding_idx < -num:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx + num if padding_idx < 0 else padding_idx
    else:
        padding_idx = -1
    if max_norm is not None:
        _embedding_renorm_(weight, input, max_norm, norm_type)
    return _embedding(weight, input, padding_idx, scale_grad_by_freq)


def _indices(input: Tensor, fn: str) -> Any:
    d = input._data
    if d.dtype != xp.int64 and d.dtype != xp.int32:
        raise RuntimeError(
            f"Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but "
            f"got torch.{D.FROM_NP[d.dtype].tensor_type} instead (while checking arguments for {fn})"
        )
    return d.reshape(-1).astype(xp.int64)


def _embedding_renorm_(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    """``torch.embedding_renorm_`` under no_grad: scale each looked-up row to norm at most ``max_norm``."""
    w = weight._data
    for i in xp.unique(_indices(input, "embedding_renorm_")):
        if not -w.shape[0] <= i < w.shape[0]:
            raise IndexError(f"select(): index {i} out of range for tensor of size {list(w.shape)} at dimension 0")
        norm = float(xp.linalg.norm(w[i], ord=norm_type))
        if norm > max_norm:
            w[i] = w[i] * w.dtype.type(max_norm / (norm + 1e-7))
    weight._bump_version()


def _embedding(weight: Tensor, input: Tensor, padding_idx: int, scale_grad_by_freq: bool) -> Tensor:
    """``torch.embedding(weight, indices, padding_idx, scale_grad_by_freq)``."""
    w = weight._data
    if w.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    flat = _indices(input, "embedding")
    if ((flat < 0) | (flat >= w.shape[0])).any():
        raise IndexError("index out of range in self")
    r = wrap(w[flat].reshape(tuple(input.shape) + (w.shape[1],)))
    if STATE.grad_enabled and weight._rg:
        n = EmbeddingBackward0()
        n.shape, n.index = w.shape, flat
        coef = None
        if padding_idx >= 0 or scale_grad_by_freq:
            c = xp.ones(flat.shape, w.dtype)
            if scale_grad_by_freq:
                c = c / xp.bincount(flat, minlength=w.shape[0])[flat].astype(w.dtype)
            c[flat == padding_idx] = 0
            coef = _const(c[:, None])
        record(r, n, (weight,), (coef,))
    return r


class EmbeddingBackward0(Node):
    __slots__ = ("shape", "index")
    formula = "embedding(weight, indices, padding_idx, scale_grad_by_freq)"
    derivatives = ("zeros_like(weight).index_add(0, indices, grad)   (rows of padding_idx left zero)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        (coef,) = self.unpack(F)
        rows = F.reshape(g, (self.index.shape[0], self.shape[1]))
        if coef is not None:
            rows = rows * coef
        return (F.embed(rows, self.shape, (self.index,), True),)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 tensor with a 1 at each index along a new last dim of size ``num_classes``.  No gradient."""
    d = tensor._data
    if d.dtype != xp.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if d.size == 0:
        if num_classes <= 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        return wrap(xp.zeros(d.shape + (num_classes,), xp.int64))
    if d.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = int(d.max()) + 1
    elif num_classes <= d.max():
        raise RuntimeError("Class values must be smaller than num_classes.")
    return wrap((d[..., None] == xp.arange(num_classes)).astype(xp.int64))
