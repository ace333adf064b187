"""Shape ops and views: view, reshape, transpose, permute, (un)squeeze, expand, split, cat, flip, diagonal...

A view shares storage and the version counter with its base, as in PyTorch:
``_base`` points at the tensor whose storage it shows (always a non-view, the
"root"), and the root keeps weak references to its views so that an in-place
change to one of them can rewrite the others' history (``ops/inplace.py``).
"""

from __future__ import annotations

import math
import weakref
from typing import Any

from ..tensor import _typename
from ._base import STATE, D, Node, Tensor, dims_arg, record, record_outputs, wrap, wrap_dim, xp
from ._ns import register_rule_fn

_as_strided = xp.lib.stride_tricks.as_strided


def _shape_arg(shape: tuple[Any, ...]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _infer(shape: tuple[int, ...], numel: int) -> tuple[int, ...]:
    """Resolve one ``-1`` and check the element count, with PyTorch's error."""
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


# ====================================================================== views
#: How a view was made, when that restricts in-place changes to it (PyTorch's CreationMeta);
#: kept in the view's ``_extra["cm"]`` (absent: made in grad mode by a single-output view op).
NO_GRAD, MULTI, INFERENCE = "no_grad", "multi_output", "inference_mode"


def make_view(base: Tensor, data: Any, multi: bool = False) -> Tensor:
    """A tensor showing ``data`` (a NumPy view of ``base``'s storage).

    It shares the version counter, points ``_base`` at the root, is registered
    with the root, and remembers a restricting creation mode: made under
    ``no_grad``/``inference_mode``, or one of several outputs (``multi``: unbind,
    split, chunk).  Like PyTorch, a view of a tensor that requires grad requires
    grad even when made under ``no_grad``.
    """
    r = wrap(data)
    root = base._base
    if root is None:
        root = base
    r._base = root
    r._vc = base._version_box()
    if STATE.inference:
        cm: str | None = INFERENCE
    elif not STATE.grad_enabled:
        cm = NO_GRAD
    else:
        cm = MULTI if multi else None
    ex = None
    bex = base._extra
    if bex is not None:
        parent = bex.get("cm")
        if parent is not None and (cm is None or parent == INFERENCE):
            cm = parent
        if bex.get("inference"):  # a view is an inference tensor when its base is one (whatever the mode)
            ex = {"inference": True}
    if cm is not None:
        ex = ex or {}
        ex["cm"] = cm
    r._extra = ex
    if root._rg:
        r._rg = True
    _register_view(root, r)
    return r


def _register_view(root: Tensor, v: Tensor) -> None:
    """Remember ``v`` (weakly) in ``root._extra["views"]``; dead references are pruned as the list grows."""
    ex = root._extra
    if ex is None:
        ex = root._extra = {}
    refs = ex.get("views")
    if refs is None:
        ex["views"] = [weakref.ref(v)]
        return
    refs.append(weakref.ref(v))
    if len(refs) >= ex.get("views_limit", 32):
        alive = [w for w in refs if w() is not None]
        ex["views"] = alive
        ex["views_limit"] = max(32, 2 * len(alive))


def live_views(root: Tensor) -> list[Tensor]:
    """The views of ``root`` still alive (pruning the dead ones)."""
    ex = root._extra
    refs = ex.get("views") if ex is not None else None
    if not refs:
        return []
    out = []
    alive = []
    for w in refs:
        v = w()
        if v is not None:
            out.append(v)
            alive.append(w)
    ex["views"] = alive
    return out


def view(input: Tensor, *shape: Any) -> Tensor:
    """Same data, new shape (no copy; PyTorch's error when the strides don't allow it).

    d/dinput = grad.reshape(input.shape)."""
    if len(shape) == 1 and isinstance(shape[0], D.dtype):
        raise NotImplementedError("view(dtype) is not supported by glassgrad")
    d = input._data
    new = _infer(_shape_arg(shape), d.size)
    try:
        nd = xp.reshape(d, new, copy=False)
    except ValueError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one dimension spans "
            "across two contiguous subspaces). Use .reshape(...) instead."
        ) from None
    r = make_view(input, nd)
    if STATE.grad_enabled and input._rg:
        n = ViewBackward0()
        n.shape = d.shape
        record(r, n, (input,))
    return r


class ViewBackward0(Node):
    __slots__ = ("shape",)
    formula = "self.view(size)"
    derivatives = ("grad.reshape(self.shape)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.reshape(g, self.shape),)


class UnsafeViewBackward0(ViewBackward0):
    __slots__ = ()
    formula = "_unsafe_view(self, size)"


def reshape(input: Tensor, *shape: Any) -> Tensor:
    """``view`` when the strides allow it (ViewBackward0, or ReshapeAliasBackward0 for a non-contiguous
    input), else a copy (CloneBackward0 then UnsafeViewBackward0)."""
    d = input._data
    new = _infer(_shape_arg(shape), d.size)
    try:
        nd = xp.reshape(d, new, copy=False)
    except ValueError:
        c = clone(input)
        r = wrap(c._data.reshape(new))
        if STATE.grad_enabled and c._rg:
            n = UnsafeViewBackward0()
            n.shape = d.shape
            record(r, n, (c,))
        return r
    r = make_view(input, nd)
    if STATE.grad_enabled and input._rg:
        # a contiguous input is viewed (view); a strided one that still allows it is aliased (_reshape_alias)
        n = ViewBackward0() if d.flags.c_contiguous else ReshapeAliasBackward0()
        n.shape = d.shape
        record(r, n, (input,))
    return r


class ReshapeAliasBackward0(ViewBackward0):
    __slots__ = ()
    formula = "self._reshape_alias(size, stride)"


def view_as(input: Tensor, other: Tensor) -> Tensor:
    return view(input, other._data.shape)


def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    return reshape(input, other._data.shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one."""
    sh = input._data.shape
    if not sh:
        return reshape(input, (1,))
    s, e = wrap_dim(start_dim, len(sh)), wrap_dim(end_dim, len(sh))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    n = 1
    for k in sh[s:e + 1]:
        n *= k
    return reshape(input, sh[:s] + (n,) + sh[e + 1:])


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dims (a view).  d/dinput = grad.transpose(dim0, dim1)."""
    d = input._data
    a, b = wrap_dim(dim0, d.ndim), wrap_dim(dim1, d.ndim)
    r = make_view(input, xp.swapaxes(d, a, b) if d.ndim else d.view())
    if STATE.grad_enabled and input._rg:
        n = TransposeBackward0()
        n.dims = (a, b)
        record(r, n, (input,))
    return r


swapaxes = swapdims = transpose


class TransposeBackward0(Node):
    __slots__ = ("dims",)
    formula = "self.transpose(dim0, dim1)"
    derivatives = ("grad.transpose(dim0, dim1)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        if len(g.shape) < 2:
            return (g,)
        return (F.transpose(g, *self.dims),)


def t(input: Tensor) -> Tensor:
    """Transpose a matrix (0-d and 1-d unchanged).  d/dinput = grad.t()."""
    d = input._data
    if d.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {d.ndim}D")
    r = make_view(input, d.T if d.ndim == 2 else d.view())
    if STATE.grad_enabled and input._rg:
        record(r, TBackward0(), (input,))
    return r


class TBackward0(Node):
    __slots__ = ()
    formula = "self.t()"
    derivatives = ("grad.t()",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.transpose(g, 0, 1) if len(g.shape) == 2 else g,)


def permute(input: Tensor, *dims: Any) -> Tensor:
    """Reorder dims (a view).  d/dinput = grad.permute(inverse of dims)."""
    d = input._data
    dd = _shape_arg(dims)
    if len(dd) != d.ndim:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the "
            f"desired ordering of dimensions i.e. input.dim() = {d.ndim} is not equal to len(dims) = {len(dd)}"
        )
    axes = tuple(wrap_dim(a, d.ndim) for a in dd)
    if len(set(axes)) != len(axes):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    r = make_view(input, xp.transpose(d, axes))
    if STATE.grad_enabled and input._rg:
        n = PermuteBackward0()
        inv = [0] * len(axes)
        for i, a in enumerate(axes):
            inv[a] = i
        n.inverse = tuple(inv)
        record(r, n, (input,))
    return r


class PermuteBackward0(Node):
    __slots__ = ("inverse",)
    formula = "self.permute(dims)"
    derivatives = ("grad.permute(argsort(dims))",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.permute(g, self.inverse),)


def T(input: Tensor) -> Tensor:
    """``x.T``: reverse all dims (PyTorch warns for ndim other than 2)."""
    nd = input._data.ndim
    if nd != 2:
        import warnings
        warnings.warn(
            "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and it "
            "will throw an error in a future release. Consider `x.mT` to transpose batches of matrices or "
            "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor. (Triggered "
            "internally at /__w/pytorch/pytorch/aten/src/ATen/native/TensorShape.cpp:4314.)",
            UserWarning, stacklevel=3,
        )
    return permute(input, tuple(range(nd - 1, -1, -1)))


def mT(input: Tensor) -> Tensor:
    """Transpose the last two dims."""
    if input._data.ndim < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got {input._data.ndim}-D tensor.")
    return transpose(input, -2, -1)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a dim of size 1.  d/dinput = grad.squeeze(dim)."""
    d = input._data
    a = wrap_dim(dim, d.ndim + 1)
    r = make_view(input, xp.expand_dims(d, a))
    if STATE.grad_enabled and input._rg:
        n = UnsqueezeBackward0()
        n.shape = d.shape
        record(r, n, (input,))
    return r


class UnsqueezeBackward0(ViewBackward0):
    __slots__ = ()
    formula = "self.unsqueeze(dim)"
    derivatives = ("grad.squeeze(dim)",)


def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    """Remove dims of size 1 (all, or the given ones).  d/dinput = grad.reshape(input.shape)."""
    d = input._data
    if dim is None:
        cls: type[Node] = SqueezeBackward0
        axes = tuple(i for i, s in enumerate(d.shape) if s == 1)
    elif isinstance(dim, (tuple, list)):
        cls = SqueezeBackward2
        axes = tuple(a for a in dims_arg(dim, d.ndim) if d.ndim and d.shape[a] == 1)
    else:
        cls = SqueezeBackward1
        a = wrap_dim(dim, d.ndim)
        axes = (a,) if d.ndim and d.shape[a] == 1 else ()
    r = make_view(input, xp.squeeze(d, axis=axes) if axes else d.view())
    if STATE.grad_enabled and input._rg:
        n = cls()
        n.shape = d.shape
        record(r, n, (input,))
    return r


class SqueezeBackward0(ViewBackward0):
    __slots__ = ()
    formula = "self.squeeze()"
    derivatives = ("grad.reshape(self.shape)",)


class SqueezeBackward1(SqueezeBackward0):
    __slots__ = ()
    formula = "self.squeeze(dim)"


class SqueezeBackward2(SqueezeBackward0):
    __slots__ = ()
    formula = "self.squeeze(dims)"


def expand(input: Tensor, *sizes: Any) -> Tensor:
    """Broadcast to ``sizes`` without copying (-1 keeps a dim).  d/dinput = grad summed back to input's shape."""
    d = input._data
    sh = _shape_arg(sizes)
    if len(sh) < d.ndim:
        raise RuntimeError(
            f"expand({input.dtype.tensor_type.replace('Tensor', '')}{{{list(d.shape)}}}, size={list(sh)}): the "
            "number of sizes provided ("
            f"{len(sh)}) must be greater or equal to the number of dimensions in the tensor ({d.ndim})"
        )
    lead = len(sh) - d.ndim
    target = []
    for i, s in enumerate(sh):
        if i < lead:
            if s < 0:
                raise RuntimeError(
                    f"The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension {i}"
                )
            target.append(s)
        else:
            cur = d.shape[i - lead]
            if s == -1:
                s = cur
            elif cur != 1 and s != cur:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at non-singleton "
                    f"dimension {i}.  Target sizes: {list(sh)}.  Tensor sizes: {list(d.shape)}"
                )
            target.append(s)
    r = make_view(input, _broadcast_view(d, tuple(target)))
    if STATE.grad_enabled and input._rg:
        n = ExpandBackward0()
        n.shape = d.shape
        record(r, n, (input,))
    return r


def _broadcast_view(d: Any, shape: tuple[int, ...]) -> Any:
    """``d`` broadcast to ``shape`` as a writable view (stride 0 along the expanded dims)."""
    lead = len(shape) - d.ndim
    strides = (0,) * lead + tuple(0 if n == 1 and s != 1 else st for n, s, st in zip(d.shape, shape[lead:], d.strides))
    return _as_strided(d, shape, strides)


class ExpandBackward0(Node):
    __slots__ = ("shape",)
    formula = "self.expand(size)"
    derivatives = ("grad.sum_to(self.shape)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.sum_to(g, self.shape),)


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, other._data.shape)


def broadcast_to(input: Tensor, size: Any) -> Tensor:
    return expand(input, size)


def contiguous(input: Tensor, memory_format: Any = None) -> Tensor:
    """The tensor itself when already contiguous, else a contiguous copy (CloneBackward0)."""
    if input._data.flags.c_contiguous:
        return input
    return clone(input)


def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    """A copy with its own storage.  d/dinput = grad."""
    r = wrap(xp.array(input._data, copy=True, order="C"))
    if STATE.grad_enabled and input._rg:
        record(r, CloneBackward0(), (input,))
    return r


class CloneBackward0(Node):
    __slots__ = ()
    formula = "self.clone()"
    derivatives = ("grad",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (g,)


def to(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """Cast to a dtype (device ``cpu`` accepted).  Returns self when nothing changes.  d/dinput = grad (cast back)."""
    dtype = kwargs.get("dtype")
    copy = kwargs.get("copy", False)
    for a in args:
        if isinstance(a, D.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, bool):
            copy = a
        elif a is not None:
            _check_device(a)
    if "device" in kwargs and kwargs["device"] is not None:
        _check_device(kwargs["device"])
    if (dtype is None or dtype.np == input._data.dtype) and not copy:
        return input
    target = dtype.np if dtype is not None else input._data.dtype
    r = wrap(input._data.astype(target, copy=True))
    if STATE.grad_enabled and input._rg and r._data.dtype.kind == "f":
        record(r, ToCopyBackward0(), (input,))
    return r


def _check_device(dev: Any) -> None:
    from ..tensor import device
    d = device(dev) if not isinstance(dev, device) else dev
    if d.type != "cpu":
        raise RuntimeError(
            "Torch not compiled with CUDA enabled" if d.type == "cuda" else f"glassgrad has no device {d}"
        )


class ToCopyBackward0(Node):
    __slots__ = ()
    formula = "self.to(dtype)"
    derivatives = ("grad.to(self.dtype)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (g,)


def _caster(dt: D.dtype) -> Any:
    def cast(input: Tensor, memory_format: Any = None) -> Tensor:
        return to(input, dt)
    cast.__doc__ = f"``self.to({dt!r})``."
    return cast


float_ = _caster(D.float32)
double = _caster(D.float64)
half = _caster(D.float16)
long = _caster(D.int64)
int_ = _caster(D.int32)
short = _caster(D.int16)
char = _caster(D.int8)
byte = _caster(D.uint8)
bool_ = _caster(D.bool_)


def type_as(input: Tensor, other: Tensor) -> Tensor:
    return to(input, other.dtype)


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """Indices of non-zero elements: an (n, ndim) int64 tensor, or one tensor per dim."""
    idx = xp.nonzero(input._data if input._data.ndim else input._data.reshape(1))
    if as_tuple:
        return tuple(wrap(i.astype(xp.int64)) for i in idx)
    return wrap(xp.stack(idx, axis=1).astype(xp.int64) if idx else xp.zeros((0, 0), dtype=xp.int64))



# ====================================================================== several views at once: unbind, split, chunk
class _JoinedViews(Node):
    """Base of the multi-output view nodes: the outputs' gradients joined back along ``dim``.

    An output that received no gradient contributes zeros of its shape.
    """

    __slots__ = ("n_outputs", "dim", "shapes")

    def _parts(self, F: Any, grads: Any) -> list[Any]:
        if self.n_outputs == 1:  # the engine passes a single output's gradient as is
            grads = [grads]
        like = next(g for g in grads if g is not None)
        return [g if g is not None else F.zeros_for(s, like) for g, s in zip(grads, self.shapes)]


def _multi_views(input: Tensor, keys: list[Any], node: _JoinedViews) -> tuple[Tensor, ...]:
    """One view per key, all outputs of ``node`` (PyTorch forbids modifying them in place)."""
    d = input._data
    outs = tuple(make_view(input, d[k + (Ellipsis,)], multi=True) for k in keys)
    if STATE.grad_enabled and input._rg and outs:
        node.n_outputs = len(outs)
        record_outputs(outs, node, (input,))
    return outs


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into views along ``dim`` (one dim fewer each).  d/dinput = stack(grads, dim), zeros for unused outputs."""
    d = input._data
    if d.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    a = wrap_dim(dim, d.ndim)
    n = d.shape[a]
    node = UnbindBackward0()
    node.dim = a
    node.shapes = (d.shape[:a] + d.shape[a + 1:],) * n
    return _multi_views(input, [(slice(None),) * a + (i,) for i in range(n)], node)


class UnbindBackward0(_JoinedViews):
    __slots__ = ()
    formula = "self.unbind(dim)"
    derivatives = ("stack(grads, dim)   (zeros for outputs without a gradient)",)

    def backward(self, F: Any, grads: Any) -> tuple[Any, ...]:
        return (F.stack(self._parts(F, grads), self.dim),)


def _split(input: Tensor, dim: int, sizes: list[int], node: _JoinedViews) -> tuple[Tensor, ...]:
    d = input._data
    keys = []
    start = 0
    for n in sizes:
        keys.append((slice(None),) * dim + (slice(start, start + n),))
        start += n
    node.dim = dim
    node.shapes = tuple(d.shape[:dim] + (n,) + d.shape[dim + 1:] for n in sizes)
    return _multi_views(input, keys, node)


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Views of consecutive pieces along ``dim``: of ``split_size`` each (the last may be smaller), or of
    the listed sizes.  d/dinput = cat(grads, dim)."""
    if isinstance(split_size_or_sections, Tensor) and split_size_or_sections._data.ndim == 0:
        split_size_or_sections = int(split_size_or_sections)
    if not isinstance(split_size_or_sections, int):
        return split_with_sizes(tensor, split_size_or_sections, dim)
    d = tensor._data
    s = split_size_or_sections
    if d.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    if s < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={s}")
    a = wrap_dim(dim, d.ndim)
    n = d.shape[a]
    if s == 0 and n != 0:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
    count = max(-(-n // s), 1) if s else 1
    return _split(tensor, a, [max(min(s, n - i * s), 0) for i in range(count)], SplitBackward0())


def split_with_sizes(input: Tensor, split_sizes: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Views of the listed sizes along ``dim``.  d/dinput = cat(grads, dim)."""
    d = input._data
    sizes = [int(s) for s in split_sizes]
    if d.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    a = wrap_dim(dim, d.ndim)
    if any(s < 0 for s in sizes):
        raise RuntimeError(
            f"split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes={sizes}"
        )
    if sum(sizes) != d.shape[a]:
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {d.shape[a]} (input tensor's size at "
            f"dimension {a}), but got split_sizes={sizes}"
        )
    return _split(input, a, sizes, SplitWithSizesBackward0())


class SplitBackward0(_JoinedViews):
    __slots__ = ()
    formula = "self.split(split_size, dim)"
    derivatives = ("cat(grads, dim)   (zeros for outputs without a gradient)",)

    def backward(self, F: Any, grads: Any) -> tuple[Any, ...]:
        return (F.cat(self._parts(F, grads), self.dim),)


class SplitWithSizesBackward0(SplitBackward0):
    __slots__ = ()
    formula = "self.split_with_sizes(split_sizes, dim)"


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """``chunks`` views (or fewer) of equal size along ``dim``, the last smaller: ``split(ceil(n / chunks))``."""
    d = input._data
    if d.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    a = wrap_dim(dim, d.ndim)
    n = d.shape[a]
    size = -(-n // chunks)
    if size == 0 and n == 0:
        return split_with_sizes(input, [0] * chunks, a)
    return split(input, size, a)


def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Slices along ``dim``: ``n`` near-equal sections, or cut at the given indices (SliceBackward0 each)."""
    from .indexing import SliceBackward0, _basic
    d = input._data
    if d.ndim == 0:
        raise RuntimeError(
            "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims"
        )
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios.dtype is not D.int64:
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                f"{ios.dtype.scalar_name}"
            )
        if ios._data.ndim > 1:
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or one-dimensional "
                f"tensor, but got a tensor with {ios._data.ndim} dims"
            )
        ios = int(ios) if ios._data.ndim == 0 else ios.tolist()
    a = wrap_dim(dim, d.ndim)
    n = d.shape[a]
    if isinstance(ios, int):
        if ios <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {ios}")
        q, r = divmod(n, ios)
        bounds, start = [], 0
        for i in range(ios):
            size = q + (1 if i < r else 0)
            bounds.append((start, start + size))
            start += size
    else:
        cuts = [int(i) for i in ios]
        bounds = list(zip([0] + cuts, cuts + [n]))
    return tuple(_basic(input, (slice(None),) * a + (slice(s, e),), SliceBackward0) for s, e in bounds)


def _split_along(name: str, dim: int, min_dims: int) -> Any:
    def fn(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
        nd = input._data.ndim
        if nd < min_dims:
            raise RuntimeError(
                f"torch.{name} requires a tensor with at least {min_dims} dimension, but got a tensor with {nd} "
                "dimensions!"
            )
        a = 0 if name == "hsplit" and nd == 1 else dim
        if isinstance(indices_or_sections, int):
            n = input._data.shape[a]
            if indices_or_sections == 0 or n % indices_or_sections:
                raise RuntimeError(
                    f"torch.{name} attempted to split along dimension {a}, but the size of the dimension {n} is "
                    f"not divisible by the split_size {indices_or_sections}!"
                )
        return tensor_split(input, indices_or_sections, a)
    fn.__name__ = name
    fn.__doc__ = f"``tensor_split`` along dim {dim} (sections must divide the size)."
    return fn


hsplit = _split_along("hsplit", 1, 1)
vsplit = _split_along("vsplit", 0, 2)
dsplit = _split_along("dsplit", 2, 3)


def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """``input`` restricted to ``start:start + length`` along ``dim`` (a view, SliceBackward0)."""
    from .indexing import SliceBackward0, _basic
    d = input._data
    if d.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    start, length = int(start), int(length)
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    a = wrap_dim(dim, d.ndim)
    n = d.shape[a]
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if start > n - length:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return _basic(input, (slice(None),) * a + (slice(start, start + length),), SliceBackward0)


# ====================================================================== rearranging dims
def unflatten(input: Tensor, dim: int, sizes: Any) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one may be -1): a view (ViewBackward0)."""
    d = input._data
    a = wrap_dim(dim, d.ndim)
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if sizes.count(-1) > 1:
        raise RuntimeError("unflatten got an unexpected error:\nonly one dimension can be inferred")
    n = d.shape[a] if d.ndim else 1
    known = math.prod(s for s in sizes if s != -1)
    if (known != n) if -1 not in sizes else (known == 0 or n % known):
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {a} ({n}) in the input "
            "tensor"
        )
    sizes = tuple(n // known if s == -1 else s for s in sizes)
    return view(input, d.shape[:a] + sizes + d.shape[a + 1:])


def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    """Move dims ``source`` to positions ``destination``, the others keeping their order (a permute)."""
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({src} dims) should contain the same number of "
            f"dims as destination ({dst} dims)"
        )
    nd = input._data.ndim
    if nd == 0:  # a 0-d tensor: an alias (AliasBackward0), as in PyTorch
        from .indexing import AliasBackward0, _basic
        return _basic(input, (Ellipsis,), AliasBackward0)
    ns = [wrap_dim(s, nd) for s in src]
    nt = [wrap_dim(t, nd) for t in dst]
    if len(set(ns)) != len(ns):
        raise RuntimeError(f"movedim: repeated dim in `source` ({src})")
    if len(set(nt)) != len(nt):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({dst})")
    perm = [-1] * nd
    for s, t in zip(ns, nt):
        perm[t] = s
    rest = iter([i for i in range(nd) if i not in ns])
    return permute(input, tuple(p if p != -1 else next(rest) for p in perm))


moveaxis = movedim


def ravel(input: Tensor) -> Tensor:
    """``input.contiguous().view(-1)``."""
    return view(contiguous(input), -1)


# ====================================================================== copies: repeat, flip, roll
def repeat(input: Tensor, *sizes: Any) -> Tensor:
    """Tile ``input`` ``sizes`` times along each dim (new leading dims as needed).

    d/dinput = grad summed over the copies."""
    d = input._data
    reps = _shape_arg(sizes)
    if len(reps) < d.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"
        )
    padded = (1,) * (len(reps) - d.ndim) + d.shape
    out_shape = tuple(p * r for p, r in zip(padded, reps))
    for s in out_shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(out_shape)}")
    r = wrap(xp.tile(d.reshape(padded), tuple(max(k, 0) for k in reps)) if reps else d.copy())
    if STATE.grad_enabled and input._rg:
        n = RepeatBackward0()
        n.reps, n.padded, n.shape = reps, padded, d.shape
        record(r, n, (input,))
    return r


class RepeatBackward0(Node):
    __slots__ = ("reps", "padded", "shape")
    formula = "self.repeat(repeats)"
    derivatives = ("grad.reshape(r0, s0, r1, s1, ...).sum(r0, r1, ...).reshape(self.shape)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        inter: list[int] = []
        for r, s in zip(self.reps, self.padded):
            inter += [r, s]
        g = F.reshape(g, tuple(inter))
        if inter:
            g = F.sum(g, tuple(range(0, len(inter), 2)))
        return (F.reshape(g, self.shape),)


def tile(input: Tensor, *dims: Any) -> Tensor:
    """``repeat`` with ``dims`` padded with leading 1s to the tensor's rank."""
    reps = _shape_arg(dims)
    return repeat(input, (1,) * (input._data.ndim - len(reps)) + reps)


def flip(input: Tensor, *dims: Any) -> Tensor:
    """Reverse the order along ``dims`` (a copy).  d/dinput = grad.flip(dims)."""
    d = input._data
    axes = dims_arg(list(_shape_arg(dims)), d.ndim) if d.ndim else ()
    r = wrap(xp.flip(d, axes).copy() if axes else d.copy())
    if STATE.grad_enabled and input._rg:
        n = FlipBackward0()
        n.dims = axes
        record(r, n, (input,))
    return r


class FlipBackward0(Node):
    __slots__ = ("dims",)
    formula = "self.flip(dims)"
    derivatives = ("grad.flip(dims)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.flip(g, self.dims),)


def fliplr(input: Tensor) -> Tensor:
    """Reverse dim 1 (input at least 2-d)."""
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input: Tensor) -> Tensor:
    """Reverse dim 0 (input at least 1-d)."""
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Rotate elements by ``shifts`` along ``dims`` (the flattened tensor when no dims).

    d/dinput = grad.roll(-shifts, dims)."""
    d = input._data
    sh = (int(shifts),) if isinstance(shifts, int) else tuple(int(s) for s in shifts)
    dd = () if dims is None else (dims,) if isinstance(dims, int) else tuple(dims)
    if not sh:
        raise RuntimeError("`shifts` required")
    if dd or len(sh) != 1:
        if len(sh) != len(dd):
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, dims:{len(dd)}")
        axes: Any = tuple(wrap_dim(a, d.ndim) for a in dd)
        amount: Any = sh
    else:
        axes, amount = None, sh[0]
    r = wrap(xp.roll(d, amount, axes) if d.ndim else d.copy())
    if STATE.grad_enabled and input._rg:
        n = RollBackward0()
        n.shifts = tuple(-s for s in amount) if axes is not None else -amount
        n.dims = axes
        record(r, n, (input,))
    return r


class RollBackward0(Node):
    __slots__ = ("shifts", "dims")
    formula = "self.roll(shifts, dims)"
    derivatives = ("grad.roll(-shifts, dims)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.roll(g, self.shifts, self.dims),)


# ====================================================================== joining: cat, stack and friends
def _tensor_list(tensors: Any) -> list[Tensor]:
    ts = list(tensors)
    for i, t in enumerate(ts):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {_typename(t)}")
    return ts


def _common_dtype(ts: list[Tensor]) -> Any:
    dt = ts[0].dtype
    for t in ts[1:]:
        if t.dtype is not dt:
            dt = D.promote_types(dt, t.dtype)
    return dt.np


def cat(tensors: Any, dim: int = 0) -> Tensor:
    """Join tensors along ``dim`` (1-d empty tensors are skipped, as in PyTorch).

    d/dtensors[i] = grad's slice of tensors[i] along ``dim``."""
    if isinstance(tensors, (list, tuple)) and not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    ts = _tensor_list(tensors)
    for i, t in enumerate(ts):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    kept = [i for i, t in enumerate(ts) if t._data.shape != (0,)]
    dt = _common_dtype(ts)
    if kept:
        first = ts[kept[0]]._data
        a = wrap_dim(dim, first.ndim)
        for i in kept:
            s = ts[i]._data.shape
            if len(s) != first.ndim:
                raise RuntimeError(f"Tensors must have same number of dimensions: got {first.ndim} and {len(s)}")
            for k in range(first.ndim):
                if k != a and s[k] != first.shape[k]:
                    raise RuntimeError(
                        f"Sizes of tensors must match except in dimension {a}. Expected size {first.shape[k]} but "
                        f"got size {s[k]} for tensor number {i} in the list."
                    )
        r = wrap(xp.concatenate([ts[i]._data.astype(dt, copy=False) for i in kept], axis=a))
    else:
        a = 0
        r = wrap(xp.zeros((0,), dtype=dt))
    if STATE.grad_enabled and any(t._rg for t in ts):
        n = CatBackward0()
        n.dim = a
        bounds: list[Any] = [None] * len(ts)
        start = 0
        for i in kept:
            size = ts[i]._data.shape[a]
            bounds[i] = (start, start + size)
            start += size
        n.bounds = tuple(bounds)
        record(r, n, tuple(ts))
    return r


concat = cat


def concatenate(tensors: Any, axis: int = 0, *, dim: int | None = None) -> Tensor:
    """``cat``, with NumPy's name ``axis`` for ``dim``."""
    return cat(tensors, axis if dim is None else dim)


class CatBackward0(Node):
    __slots__ = ("dim", "bounds")
    formula = "cat(tensors, dim)"
    derivatives = ("grad.narrow(dim, offset_i, tensors[i].size(dim))   (for each i)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        out = []
        lead = (slice(None),) * self.dim
        for e, b in zip(self._next, self.bounds):
            if e is None:
                out.append(None)
            elif b is None:  # a skipped 1-d empty tensor
                out.append(F.zeros_for((0,), g))
            else:
                out.append(F.take_key(g, lead + (slice(*b),)))
        return tuple(out)


def stack(tensors: Any, dim: int = 0) -> Tensor:
    """Join equal-shaped tensors along a new dim.  d/dtensors[i] = grad.select(dim, i)."""
    ts = _tensor_list(tensors)
    if not ts:
        raise RuntimeError("stack expects a non-empty TensorList")
    s0 = ts[0]._data.shape
    a = wrap_dim(dim, len(s0) + 1)
    for i, t in enumerate(ts):
        if t._data.shape != s0:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(s0)} at entry 0 and "
                f"{list(t._data.shape)} at entry {i}"
            )
    dt = _common_dtype(ts)
    r = wrap(xp.stack([t._data.astype(dt, copy=False) for t in ts], axis=a))
    if STATE.grad_enabled and any(t._rg for t in ts):
        n = StackBackward0()
        n.dim = a
        record(r, n, tuple(ts))
    return r


class StackBackward0(Node):
    __slots__ = ("dim",)
    formula = "stack(tensors, dim)"
    derivatives = ("grad.select(dim, i)   (for each i)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        lead = (slice(None),) * self.dim
        return tuple(None if e is None else F.take_key(g, lead + (i,)) for i, e in enumerate(self._next))


def _at1(t: Tensor) -> Tensor:
    return reshape(t, (1,)) if t._data.ndim == 0 else t


def _at2(t: Tensor) -> Tensor:
    nd = t._data.ndim
    return reshape(t, (1, 1)) if nd == 0 else unsqueeze(t, 0) if nd == 1 else t


def _at3(t: Tensor) -> Tensor:
    nd = t._data.ndim
    if nd == 0:
        return reshape(t, (1, 1, 1))
    if nd == 1:
        return unsqueeze(unsqueeze(t, 0), -1)
    return unsqueeze(t, -1) if nd == 2 else t


def _atleast(args: tuple[Any, ...], fn: Any) -> Any:
    if len(args) == 1:
        args = args[0]
    if isinstance(args, Tensor):
        return fn(args)
    return tuple(fn(t) for t in args)


def atleast_1d(*tensors: Any) -> Any:
    """The tensor (or each tensor) with at least 1 dim (0-d -> shape (1,))."""
    return _atleast(tensors, _at1)


def atleast_2d(*tensors: Any) -> Any:
    """The tensor (or each tensor) with at least 2 dims (leading dims of size 1 added)."""
    return _atleast(tensors, _at2)


def atleast_3d(*tensors: Any) -> Any:
    """The tensor (or each tensor) with at least 3 dims (1-d (n,) -> (1, n, 1), 2-d -> (m, n, 1))."""
    return _atleast(tensors, _at3)


def _nonempty(name: str, tensors: Any) -> list[Tensor]:
    ts = _tensor_list(tensors)
    if not ts:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return ts


def hstack(tensors: Any) -> Tensor:
    """``cat`` of ``atleast_1d`` tensors along dim 1 (dim 0 for 1-d tensors)."""
    ts = [_at1(t) for t in _nonempty("hstack", tensors)]
    return cat(ts, 0 if ts[0]._data.ndim == 1 else 1)


def vstack(tensors: Any) -> Tensor:
    """``cat`` of ``atleast_2d`` tensors along dim 0."""
    return cat([_at2(t) for t in _nonempty("vstack", tensors)], 0)


row_stack = vstack


def dstack(tensors: Any) -> Tensor:
    """``cat`` of ``atleast_3d`` tensors along dim 2."""
    return cat([_at3(t) for t in _nonempty("dstack", tensors)], 2)


def column_stack(tensors: Any) -> Tensor:
    """``cat`` along dim 1, 0-d and 1-d tensors first reshaped to columns."""
    ts = _nonempty("column_stack", tensors)
    return cat([reshape(t, (t._data.size, 1)) if t._data.ndim <= 1 else t for t in ts], 1)


# ====================================================================== triangles and diagonals
def _tri(name: str, np_fn: Any) -> Any:
    def fn(input: Tensor, diagonal: int = 0) -> Tensor:
        d = input._data
        if d.ndim < 2:
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        r = wrap(np_fn(d, diagonal))
        if STATE.grad_enabled and input._rg:
            n = TrilBackward0() if name == "tril" else TriuBackward0()
            n.diagonal = diagonal
            record(r, n, (input,))
        return r
    fn.__name__ = name
    return fn


tril = _tri("tril", xp.tril)
tril.__doc__ = "The lower triangle (on and below ``diagonal``) of the last two dims, zeros elsewhere.  d/dinput = grad.tril(diagonal)."
triu = _tri("triu", xp.triu)
triu.__doc__ = "The upper triangle (on and above ``diagonal``) of the last two dims, zeros elsewhere.  d/dinput = grad.triu(diagonal)."


class TrilBackward0(Node):
    __slots__ = ("diagonal",)
    formula = "self.tril(diagonal)"
    derivatives = ("grad.tril(diagonal)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.tril(g, self.diagonal),)


class TriuBackward0(Node):
    __slots__ = ("diagonal",)
    formula = "self.triu(diagonal)"
    derivatives = ("grad.triu(diagonal)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.triu(g, self.diagonal),)


def _diag_len(n1: int, n2: int, offset: int) -> int:
    return max(min(n1, n2 - offset), 0) if offset >= 0 else max(min(n1 + offset, n2), 0)


def _diag_key(shape: tuple[int, ...], offset: int, d1: int, d2: int) -> tuple[Any, ...]:
    """Index arrays picking the ``offset`` diagonal of dims ``d1, d2`` of ``shape``.

    ``x[key]`` has the other dims in order, then the diagonal (``diagonal``'s layout).
    """
    others = [i for i in range(len(shape)) if i not in (d1, d2)]
    k = len(others) + 1
    key: list[Any] = [None] * len(shape)
    for pos, i in enumerate(others):
        sh = [1] * k
        sh[pos] = shape[i]
        key[i] = xp.arange(shape[i]).reshape(sh)
    diag = xp.arange(_diag_len(shape[d1], shape[d2], offset)).reshape([1] * (k - 1) + [-1])
    key[d1] = diag + max(-offset, 0)
    key[d2] = diag + max(offset, 0)
    return tuple(key)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The ``offset`` diagonal of dims ``dim1, dim2``, as a new last dim (a view).

    d/dinput = zeros with grad placed on that diagonal."""
    return _diagonal(input, offset, dim1, dim2, DiagonalBackward0)


def _diagonal(input: Tensor, offset: int, dim1: int, dim2: int, cls: type[Node]) -> Tensor:
    d = input._data
    a1, a2 = wrap_dim(dim1, d.ndim), wrap_dim(dim2, d.ndim)
    if a1 == a2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = _diag_len(d.shape[a1], d.shape[a2], offset)
    sub = d
    if n and offset:  # start the diagonal at its first element
        a = a2 if offset > 0 else a1
        sub = d[(slice(None),) * a + (slice(abs(offset), None),)]
    others = [i for i in range(d.ndim) if i not in (a1, a2)]
    shape = tuple(d.shape[i] for i in others) + (n,)
    strides = tuple(d.strides[i] for i in others) + (d.strides[a1] + d.strides[a2],)
    view_data = _as_strided(sub, shape, strides)
    if cls is DiagonalBackward0:
        r = make_view(input, view_data)
    else:
        r = wrap(view_data.copy())
    if STATE.grad_enabled and input._rg:
        node = cls()
        node.shape, node.key = d.shape, _diag_key(d.shape, offset, a1, a2)
        record(r, node, (input,))
    return r


class DiagonalBackward0(Node):
    __slots__ = ("shape", "key")
    formula = "self.diagonal(offset, dim1, dim2)"
    derivatives = ("zeros(self.shape) with grad on the diagonal (diagonal_backward)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.embed(g, self.shape, self.key, False),)


class DiagonalBackward0_copy(DiagonalBackward0):  # noqa: N801 - PyTorch's name for diag() of a matrix
    __slots__ = ()
    formula = "torch.diag(self, diagonal)   (self a matrix: a copy of its diagonal)"


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Zeros with ``input``'s last dim placed on the ``offset`` diagonal of new dims ``dim1, dim2``.

    d/dinput = grad.diagonal(offset, dim1, dim2)."""
    d = input._data
    nd = d.ndim + 1
    a1, a2 = wrap_dim(dim1, nd), wrap_dim(dim2, nd)
    if a1 == a2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = d.shape[-1] + abs(offset)
    shape = list(d.shape[:-1])
    lo, hi = sorted((a1, a2))
    shape.insert(lo, n)
    shape.insert(hi, n)
    key = _diag_key(tuple(shape), offset, a1, a2)
    out = xp.zeros(tuple(shape), dtype=d.dtype)
    out[key] = d
    r = wrap(out)
    if STATE.grad_enabled and input._rg:
        node = DiagEmbedBackward0()
        node.key = key
        record(r, node, (input,))
    return r


class DiagEmbedBackward0(Node):
    __slots__ = ("key",)
    formula = "diag_embed(self, offset, dim1, dim2)"
    derivatives = ("grad.diagonal(offset, dim1, dim2)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.take_key(g, self.key),)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A vector to a matrix with it on the ``diagonal`` (diag_embed), or a matrix's diagonal (a copy)."""
    nd = input._data.ndim
    if nd == 1:
        return diag_embed(input, diagonal, 0, 1)
    if nd == 2:
        return _diagonal(input, diagonal, 0, 1, DiagonalBackward0_copy)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {nd}D")


# ====================================================================== the functions derivative rules call
def _zeros_for(shape: tuple[int, ...], like: Any) -> Tensor:
    return wrap(xp.zeros(shape, dtype=like._data.dtype))


register_rule_fn("flip", lambda g, dims: xp.flip(g, dims), flip)
register_rule_fn("roll", lambda g, shifts, dims: xp.roll(g, shifts, dims), roll)
register_rule_fn("tril", lambda g, k: xp.tril(g, k), tril)
register_rule_fn("triu", lambda g, k: xp.triu(g, k), triu)
register_rule_fn("cat", lambda parts, dim: xp.concatenate(parts, axis=dim), cat)
register_rule_fn("stack", lambda parts, dim: xp.stack(parts, axis=dim), stack)
register_rule_fn("zeros_for", lambda shape, like: xp.zeros(shape, dtype=like.dtype), _zeros_for)

__all__ = [
    "unflatten", "movedim", "moveaxis", "tile", "flip", "fliplr", "flipud", "roll", "narrow", "split",
    "split_with_sizes", "chunk", "tensor_split", "hsplit", "vsplit", "dsplit", "cat", "concat", "concatenate",
    "stack", "hstack", "vstack", "row_stack", "dstack", "column_stack", "atleast_1d", "atleast_2d", "atleast_3d",
    "tril", "triu", "diag", "diagonal", "diag_embed", "ravel", "unbind", "broadcast_to",
    # the older view ops (also exported by glassgrad/__init__)
    "reshape", "flatten", "transpose", "swapaxes", "swapdims", "t", "permute", "unsqueeze", "squeeze", "clone",
]

METHODS: dict[str, Any] = {
    "unflatten": unflatten, "movedim": movedim, "moveaxis": movedim, "repeat": repeat, "tile": tile,
    "flip": flip, "fliplr": fliplr, "flipud": flipud, "roll": roll, "narrow": narrow, "split": split,
    "split_with_sizes": split_with_sizes, "chunk": chunk, "tensor_split": tensor_split, "hsplit": hsplit,
    "vsplit": vsplit, "dsplit": dsplit, "tril": tril, "triu": triu, "diag": diag, "diagonal": diagonal,
    "diag_embed": diag_embed, "ravel": ravel, "unbind": unbind, "view_as": view_as, "reshape_as": reshape_as,
    "expand_as": expand_as, "broadcast_to": broadcast_to, "contiguous": contiguous,
    "view": view, "reshape": reshape, "flatten": flatten, "transpose": transpose, "swapaxes": transpose,
    "swapdims": transpose, "t": t, "permute": permute, "unsqueeze": unsqueeze, "squeeze": squeeze, "expand": expand,
}
