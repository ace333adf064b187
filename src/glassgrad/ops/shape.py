"""Shape ops and views: view, reshape, transpose, t, permute, (un)squeeze, expand, clone, casts.

A view shares storage and the version counter with its base, as in PyTorch:
``_base`` points at the tensor whose storage it shows.
"""

from __future__ import annotations

from typing import Any

from ._base import STATE, D, Node, Tensor, dims_arg, record, wrap, wrap_dim, xp


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


def make_view(base: Tensor, data: Any) -> Tensor:
    """A tensor showing ``data`` (a view of ``base``'s storage): shares the version counter."""
    r = wrap(data)
    r._base = base._base if base._base is not None else base
    r._vc = base._version_box()
    return r


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
    """``view`` when the strides allow it, else a copy (CloneBackward0 then UnsafeViewBackward0)."""
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
        n = ViewBackward0()
        n.shape = d.shape
        record(r, n, (input,))
    return r


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
    r = make_view(input, xp.broadcast_to(d, tuple(target)))
    if STATE.grad_enabled and input._rg:
        n = ExpandBackward0()
        n.shape = d.shape
        record(r, n, (input,))
    return r


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


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into views along ``dim`` (one dim fewer each).  d/dinput = stack(grads, dim), zeros for unused outputs."""
    d = input._data
    if d.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    a = wrap_dim(dim, d.ndim)
    n = d.shape[a]
    outs = tuple(make_view(input, d[(slice(None),) * a + (i,)]) for i in range(n))
    if STATE.grad_enabled and input._rg and n:
        node = UnbindBackward0()
        node.n_outputs = n
        node.dim = a
        node.shape = d.shape
        record(outs[0], node, (input,))
        for i, o in enumerate(outs[1:], 1):
            o.grad_fn = node
            o._rg = True
            o._output_nr = i
    return outs


class UnbindBackward0(Node):
    __slots__ = ("n_outputs", "dim", "shape")
    formula = "self.unbind(dim)"
    derivatives = ("stack(grads, dim)   (zeros for outputs without a gradient)",)

    def backward(self, F: Any, grads: Any) -> tuple[Any, ...]:
        out = None
        for i, g in enumerate(grads):
            if g is None:
                continue
            key = (slice(None),) * self.dim + (i,)
            part = F.embed(g, self.shape, key, False)
            out = part if out is None else out + part
        return (out,)
