"""Linear algebra: matrix products (dot, mv, mm, bmm, addmm / addmv / baddbmm / addbmm, matmul),
einsum, tensordot, kron, trace, cross, and the norms of ``glassgrad.linalg``.

Where PyTorch composes an op from others (``matmul``, ``einsum``, ``tensordot``, ``kron``,
``linalg.matrix_norm``), it is composed here the same way, following ATen, so the same nodes
appear in the graph as in PyTorch.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ..autograd.forward_ad import transposing_rule
from ..tensor import _typename
from ._base import STATE, Node, Tensor, dims_arg, record, record_outputs, saved_output, wrap, wrap_dim, xp
from ._ns import register_rule_fn
from .shape import expand, reshape, squeeze, unsqueeze
from .shape import t as _t


def _dt(t: Tensor) -> str:
    return t.dtype.scalar_name


def _c(t: Tensor) -> str:
    from ..tensor import _C_NAMES
    return _C_NAMES[t.dtype.name][0]


def _takes_tensors(fname: str, *names: str) -> Callable[[Callable[..., Tensor]], Callable[..., Tensor]]:
    """Decorator: PyTorch's TypeError when one of the leading (positional) arguments ``names`` is not a Tensor."""
    def deco(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
        @functools.wraps(fn)
        def checked(*args: Any, **kwargs: Any) -> Tensor:
            _check_tensors(fname, names, args, 1)
            return fn(*args, **kwargs)
        checked._tensor_args = (fname, names)  # type: ignore[attr-defined]
        return checked
    return deco


def _check_tensors(fname: str, names: tuple[str, ...], args: tuple[Any, ...], first: int) -> None:
    for pos, (name, x) in enumerate(zip(names, args), first):
        if not isinstance(x, Tensor):
            raise TypeError(f"{fname}(): argument '{name}' (position {pos}) must be Tensor, not {_typename(x)}")


def _method(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """The Tensor method of a ``_takes_tensors`` function (positions counted after ``self``)."""
    fname, names = fn._tensor_args  # type: ignore[attr-defined]
    inner = fn.__wrapped__  # type: ignore[attr-defined]

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        _check_tensors(fname, names[1:], args, 1)
        return inner(self, *args, **kwargs)
    method.__name__, method.__doc__ = fn.__name__, fn.__doc__
    return method


@_takes_tensors("mm", "input", "mat2")
def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Matrix product of two 2-d tensors.  d/dinput = grad @ mat2ᵀ, d/dmat2 = inputᵀ @ grad."""
    a, b = input._data, mat2._data
    if a.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]})"
        )
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_c(input)} != {_c(mat2)}")
    r = wrap(a @ b)
    if STATE.grad_enabled and (input._rg or mat2._rg):
        n = MmBackward0()
        n.colmajor = (_colmajor(a), _colmajor(b))
        record(r, n, (input, mat2), (input if mat2._rg else None, mat2 if input._rg else None))
    return r


_mm_checked = mm.__wrapped__  # type: ignore[attr-defined]


def _colmajor(a: Any) -> bool:
    """ATen's test in ``mm_mat1_backward`` / ``mm_mat2_backward``: is the 2-d ``a`` column-major (a transposed view)?"""
    st, sh, k = a.strides, a.shape, a.itemsize
    return st[0] == k and st[1] == sh[0] * k


def _mm_grads(F: Any, g: Any, m1: Any, m2: Any, colmajor: tuple[bool, bool]) -> tuple[Any, Any]:
    """``(g @ m2ᵀ, m1ᵀ @ g)``, the gradients of ``m1 @ m2``; None where the other factor was not saved.

    Note: as ATen's ``mm_mat1_backward`` / ``mm_mat2_backward``, a factor that was column-major
    (``weight.t()`` in ``linear``, ``K.T`` in attention) gets its gradient computed transposed,
    ``(m1 @ gᵀ)ᵀ``, so that after ``TBackward0`` the parameter's gradient is C-contiguous: no
    strided copy when it is accumulated into ``.grad`` and a contiguous SGD update (W3-big: the
    1024x1024 weight gradients).
    """
    t = F.transpose
    if F.tensor_mode:  # create_graph: the plain formulas, recorded as PyTorch's double backward records them
        colmajor = (False, False)
    elif g.strides == (0, 0) and g.size and g.dtype.kind in "fc":
        return _mm_grads_const(g, m1, m2)
    g1 = g2 = None
    if m2 is not None:
        g1 = t(m2 @ t(g, 0, 1), 0, 1) if colmajor[0] else g @ t(m2, 0, 1)
    if m1 is not None:
        g2 = t(t(g, 0, 1) @ m1, 0, 1) if colmajor[1] else t(m1, 0, 1) @ g
    return g1, g2


def _mm_grads_const(g: Any, m1: Any, m2: Any) -> tuple[Any, Any]:
    """``_mm_grads`` for a ``g`` that is one value expanded (what ``sum()`` / ``mean()`` pass back).

    Note: a constant matrix ``c`` times ``m`` needs no matrix product: every row of ``c @ m2ᵀ`` is
    ``c · (row sums of m2)`` and every column of ``m1ᵀ @ c`` is ``c · (column sums of m1)``.  The
    sums cost one pass where the products cost n·k·p multiply-adds (attention at seq 512, d 256:
    2 ms of a 10 ms step).  Values agree with the products to float rounding (the order of the
    additions differs); the gradients stay expanded views, as ``g`` was.
    """
    c = g[(0,) * g.ndim]
    n, p = g.shape
    g1 = xp.broadcast_to((m2.sum(axis=1) * c)[None, :], (n, m2.shape[0])) if m2 is not None else None
    g2 = xp.broadcast_to((m1.sum(axis=0) * c)[:, None], (m1.shape[1], p)) if m1 is not None else None
    return g1, g2


class MmBackward0(Node):
    __slots__ = ("colmajor",)
    formula = "self @ mat2"
    derivatives = ("grad @ mat2.T", "self.T @ grad")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        a, b = self.unpack(F)
        return _mm_grads(F, g, a, b, self.colmajor)


@_takes_tensors("bmm", "input", "mat2")
def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product of 3-d tensors.  d/dinput = grad @ mat2ᵀ, d/dmat2 = inputᵀ @ grad."""
    a, b = input._data, mat2._data
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, {a.shape[2]}] but got: "
            f"[{b.shape[0]}, {b.shape[1]}]."
        )
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_dt(input)} but found {_dt(mat2)}")
    r = wrap(xp.matmul(a, b))
    if STATE.grad_enabled and (input._rg or mat2._rg):
        record(r, BmmBackward0(), (input, mat2), (input if mat2._rg else None, mat2 if input._rg else None))
    return r


class BmmBackward0(Node):
    __slots__ = ()
    formula = "self @ mat2   (batched)"
    derivatives = ("grad @ mat2.mT", "self.mT @ grad")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        a, b = self.unpack(F)
        return (g @ F.transpose(b, 1, 2) if b is not None else None,
                F.transpose(a, 1, 2) @ g if a is not None else None)


@_takes_tensors("mv", "input", "vec")
def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix-vector product.  d/dinput = outer(grad, vec), d/dvec = inputᵀ @ grad."""
    a, b = input._data, vec._data
    if a.ndim != 2 or b.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.ndim}, {b.ndim}")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(
            f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x{a.shape[1]}), vec ({b.shape[0]})"
        )
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"addmv input tensors must have the same dtype, but got {_dt(vec)}, {_dt(input)}, and {_dt(vec)}"
        )
    r = wrap(a @ b)
    if STATE.grad_enabled and (input._rg or vec._rg):
        record(r, MvBackward0(), (input, vec), (input if vec._rg else None, vec if input._rg else None))
    return r


class MvBackward0(Node):
    __slots__ = ()
    formula = "self @ vec"
    derivatives = ("outer(grad, vec)", "self.T @ grad")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        a, v = self.unpack(F)
        return (F.unsqueeze(g, 1) * F.unsqueeze(v, 0) if v is not None else None,
                F.transpose(a, 0, 1) @ g if a is not None else None)


@_takes_tensors("dot", "input", "tensor")
def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """Inner product of two 1-d tensors.  d/dinput = grad * tensor, d/dtensor = grad * input."""
    return _dot(input, tensor, DotBackward0)


@_takes_tensors("vdot", "input", "other")
def vdot(input: Tensor, other: Tensor) -> Tensor:
    """Inner product of two 1-d tensors, the first conjugated (``dot`` for real tensors)."""
    return _dot(input, other, VdotBackward0)


def _dot(input: Tensor, tensor: Tensor, node: type[Node]) -> Tensor:
    a, b = input._data, tensor._data
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"dot : expected both vectors to have same dtype, but found {_dt(input)} and {_dt(tensor)}"
        )
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have the same "
            f"number of elements, but got {a.shape[0]} and {b.shape[0]} elements respectively"
        )
    r = wrap(a @ b)
    if STATE.grad_enabled and (input._rg or tensor._rg):
        record(r, node(), (input, tensor), (input if tensor._rg else None, tensor if input._rg else None))
    return r


class DotBackward0(Node):
    __slots__ = ()
    formula = "dot(self, tensor)"
    derivatives = ("grad * tensor", "grad * self")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        a, b = self.unpack(F)
        return (g * b if b is not None else None, g * a if a is not None else None)


class VdotBackward0(DotBackward0):
    __slots__ = ()
    formula = "vdot(self, other)"
    derivatives = ("grad * other", "grad * self")


# ====================================================================== beta * input + alpha * product
def _size(t: Tensor, dim: int) -> int:
    """``t.size(dim)`` with PyTorch's errors (ATen's kernels read sizes before checking dims)."""
    d = t._data
    if d.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return d.shape[wrap_dim(dim, d.ndim)]


def _bias(input: Tensor, shape: tuple[int, ...]) -> Any:
    """``input``'s array, broadcastable to the product's shape (``_combine`` broadcasts it), with ``expand``'s error text."""
    d = input._data
    s = d.shape
    # fast path (every linear layer): a bias that broadcasts needs no expand view (7 us a call)
    if s == shape or (len(s) <= len(shape) and all(a == 1 or a == b for a, b in zip(s[::-1], shape[::-1]))):
        return d
    from .shape import expand
    return expand(input.detach(), shape)._data


def _combine(bias: Any, prod: Any, beta: Any, alpha: Any) -> Any:
    """``beta * bias + alpha * prod`` (integer results take the scalars as integers; beta = 0 ignores bias)."""
    if prod.dtype.kind in "biu":
        beta, alpha = int(beta), int(alpha)
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        return prod
    if beta == 1 and bias.dtype == prod.dtype:
        # prod is a fresh array: adding in place saves allocating (and page-faulting) a second result
        prod += bias
        return prod
    return prod + (bias if beta == 1 else bias * beta)


def _scaled(g: Any, s: Any) -> Any:
    return g if s == 1 else g * s


def _check_addmm_dtypes(input: Tensor, m1: Tensor, m2: Tensor) -> None:
    if input._data.dtype != m2._data.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_dt(input)} and {_dt(m2)}")
    if m1._data.dtype != m2._data.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_dt(m1)} and {_dt(m2)}")


@_takes_tensors("addmm", "input", "mat1", "mat2")
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``.  d/dinput = beta * grad, d/dmat1 = alpha * grad @ mat2ᵀ, d/dmat2 = alpha * mat1ᵀ @ grad."""
    a, b = mat1._data, mat2._data
    if a.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {a.ndim}-D tensor")
    if b.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {b.ndim}-D tensor")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]})"
        )
    bias = _bias(input, (a.shape[0], b.shape[1]))
    _check_addmm_dtypes(input, mat1, mat2)
    r = wrap(_combine(bias, a @ b, beta, alpha))
    if STATE.grad_enabled and (input._rg or mat1._rg or mat2._rg):
        n = AddmmBackward0()
        n.alpha, n.beta = alpha, beta
        n.colmajor = (_colmajor(a), _colmajor(b))
        record(r, n, (input, mat1, mat2), (mat1 if mat2._rg else None, mat2 if mat1._rg else None))
    return r


_addmm_checked = addmm.__wrapped__  # type: ignore[attr-defined]


class AddmmBackward0(Node):
    __slots__ = ("alpha", "beta", "colmajor")
    formula = "beta * self + alpha * (mat1 @ mat2)"
    derivatives = ("beta * grad", "alpha * grad @ mat2.T", "alpha * mat1.T @ grad")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        m1, m2 = self.unpack(F)
        gi = _scaled(g, self.beta) if self._next[0] is not None else None
        if g.ndim == 2:
            g1, g2 = _mm_grads(F, g, m1, m2, self.colmajor)
            return gi, _scaled(g1, self.alpha) if g1 is not None else None, \
                _scaled(g2, self.alpha) if g2 is not None else None
        # baddbmm's batches: the last two dims are the matrices
        g1 = _scaled(g @ F.transpose(m2, -2, -1), self.alpha) if m2 is not None else None
        g2 = _scaled(F.transpose(m1, -2, -1) @ g, self.alpha) if m1 is not None else None
        return gi, g1, g2


def _check_batches(batch1: Tensor, batch2: Tensor) -> tuple[int, int, int, int]:
    """``(b, n, m, p)`` of a batched product, with the errors of ATen's baddbmm / addbmm checks."""
    b, n, p = _size(batch1, 0), _size(batch1, 1), _size(batch2, 2)
    if batch1._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if batch2._data.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    return b, n, batch1._data.shape[2], p


@_takes_tensors("baddbmm", "input", "batch1", "batch2")
def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``.  d/dinput = beta * grad, d/dbatch1 = alpha * grad @ batch2ᵀ, d/dbatch2 = alpha * batch1ᵀ @ grad."""
    b, n, m, p = _check_batches(batch1, batch2)
    s2 = batch2._data.shape
    if s2[0] != b or s2[1] != m:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{b}, {m}] but got: [{s2[0]}, {s2[1]}]."
        )
    bias = _bias(input, (b, n, p))
    if input._data.dtype != batch1._data.dtype:
        raise RuntimeError(
            f"Input dtypes must be the same, got: input {_c(input)}, batch1: {_c(batch1)}, batch2: {_c(batch2)}"
        )
    if batch1._data.dtype != batch2._data.dtype:
        raise RuntimeError(f"expected scalar type {_dt(batch1)} but found {_dt(batch2)}")
    r = wrap(_combine(bias, xp.matmul(batch1._data, batch2._data), beta, alpha))
    if STATE.grad_enabled and (input._rg or batch1._rg or batch2._rg):
        node = BaddbmmBackward0()
        node.alpha, node.beta = alpha, beta
        record(r, node, (input, batch1, batch2), (batch1 if batch2._rg else None, batch2 if batch1._rg else None))
    return r


class BaddbmmBackward0(AddmmBackward0):
    __slots__ = ()
    formula = "beta * self + alpha * bmm(batch1, batch2)"
    derivatives = ("beta * grad", "alpha * grad @ batch2.mT", "alpha * batch1.mT @ grad")


@_takes_tensors("addbmm", "input", "batch1", "batch2")
def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * Σ_b batch1[b] @ batch2[b]``.  d/dinput = beta * grad, d/dbatch1 = alpha * grad @ batch2ᵀ (per batch), d/dbatch2 = alpha * batch1ᵀ @ grad."""
    b, n, m, p = _check_batches(batch1, batch2)
    s2 = batch2._data.shape
    if s2[0] != b:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {b} and {s2[0]}")
    if s2[1] != m:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({n}x{m} and {s2[1]}x{p})")
    bias = _bias(input, (n, p))
    _check_addmm_dtypes(input, batch1, batch2)
    prod = xp.matmul(batch1._data, batch2._data).sum(axis=0, dtype=batch1._data.dtype)
    r = wrap(_combine(bias, prod, beta, alpha))
    if STATE.grad_enabled and (input._rg or batch1._rg or batch2._rg):
        node = AddbmmBackward0()
        node.alpha, node.beta, node.batch = alpha, beta, b
        record(r, node, (input, batch1, batch2), (batch1 if batch2._rg else None, batch2 if batch1._rg else None))
    return r


class AddbmmBackward0(Node):
    __slots__ = ("alpha", "beta", "batch")
    formula = "beta * self + alpha * bmm(batch1, batch2).sum(0)"
    derivatives = ("beta * grad", "alpha * grad.expand(b, n, p) @ batch2.mT", "alpha * batch1.mT @ grad.expand(b, n, p)")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        b1, b2 = self.unpack(F)
        gi = _scaled(g, self.beta) if self._next[0] is not None else None
        gb = F.expand(F.unsqueeze(g, 0), (self.batch,) + tuple(g.shape))
        g1 = _scaled(gb @ F.transpose(b2, 1, 2), self.alpha) if b2 is not None else None
        g2 = _scaled(F.transpose(b1, 1, 2) @ gb, self.alpha) if b1 is not None else None
        return gi, g1, g2


@_takes_tensors("addmv", "input", "mat", "vec")
def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``.  d/dinput = beta * grad, d/dmat = alpha * outer(grad, vec), d/dvec = alpha * matᵀ @ grad."""
    a, v = mat._data, vec._data
    nd = input._data.ndim
    if a.ndim != 2 or v.ndim != 1 or nd > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {nd}, {a.ndim}, {v.ndim}")
    if a.shape[1] != v.shape[0] or (nd == 1 and input._data.shape[0] not in (a.shape[0], 1)):
        raise RuntimeError(
            f"size mismatch, got input ({_size(input, 0)}), mat ({a.shape[0]}x{a.shape[1]}), vec ({v.shape[0]})"
        )
    if not input._data.dtype == a.dtype == v.dtype:
        raise RuntimeError(
            f"addmv input tensors must have the same dtype, but got {_dt(input)}, {_dt(mat)}, and {_dt(vec)}"
        )
    r = wrap(_combine(_bias(input, (a.shape[0],)), a @ v, beta, alpha))
    if STATE.grad_enabled and (input._rg or mat._rg or vec._rg):
        node = AddmvBackward0()
        node.alpha, node.beta = alpha, beta
        record(r, node, (input, mat, vec), (mat if vec._rg else None, vec if mat._rg else None))
    return r


class AddmvBackward0(Node):
    __slots__ = ("alpha", "beta")
    formula = "beta * self + alpha * (mat @ vec)"
    derivatives = ("beta * grad", "alpha * outer(grad, vec)", "alpha * mat.T @ grad")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        a, v = self.unpack(F)
        gi = _scaled(g, self.beta) if self._next[0] is not None else None
        ga = _scaled(F.unsqueeze(g, 1) * F.unsqueeze(v, 0), self.alpha) if v is not None else None
        gv = _scaled(F.transpose(a, 0, 1) @ g, self.alpha) if a is not None else None
        return gi, ga, gv


def _unsafe_view(input: Tensor, shape: tuple[int, ...]) -> Tensor:
    """``at::_unsafe_view``: a reshape without a copy, recorded as UnsafeViewBackward0."""
    from .shape import UnsafeViewBackward0
    d = input._data
    try:
        r = wrap(xp.reshape(d, shape, copy=False))
    except ValueError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one dimension spans "
            "across two contiguous subspaces). Use .reshape(...) instead."
        ) from None
    if STATE.grad_enabled and input._rg:
        n = UnsafeViewBackward0()
        n.shape = d.shape
        record(r, n, (input,))
    return r


class SqueezeBackward4(Node):
    __slots__ = ("shape",)
    formula = "self.squeeze_(dim)"
    derivatives = ("grad.unsqueeze(dim)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.reshape(g, self.shape),)


def _squeeze0_(t: Tensor) -> Tensor:
    """``squeeze_(0)`` on matmul's own temporary, recorded as PyTorch records it."""
    d = t._data
    r = wrap(d.reshape(d.shape[1:]))
    if STATE.grad_enabled and t._rg:
        n = SqueezeBackward4()
        n.shape = d.shape
        record(r, n, (t,))
    return r


@_takes_tensors("matmul", "input", "other")
def matmul(input: Tensor, other: Tensor) -> Tensor:
    """``input @ other`` for every shape case, as PyTorch composes it (ATen's ``_matmul_impl``)."""
    d1, d2 = input._data.ndim, other._data.ndim
    if d1 == 0 or d2 == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {d1}D and {d2}D")
    if d1 == 1 and d2 == 1:
        return dot(input, other)
    if d1 == 2 and d2 == 1:
        return mv(input, other)
    if d1 == 1 and d2 == 2:
        return _squeeze0_(mm(unsqueeze(input, 0), other))
    if d1 == 2 and d2 == 2:
        return _mm_checked(input, other)  # (both are Tensors: checked above)
    if _should_fold(input, other):
        return _folded(input, other)
    # batched: broadcast the batch dims, then one bmm
    s1, s2 = input._data.shape, other._data.shape
    if d1 == 3 and d2 == 3 and s1[0] != s2[0]:
        # as ATen: a batch of one that would be broadcast is squeezed so the fold path is taken
        if s1[0] == 1 and input._rg:
            return matmul(squeeze(input, 0), other)
        if s2[0] == 1 and other._rg:
            return matmul(input, squeeze(other, 0))
    n = s1[-2] if d1 > 1 else 1
    m1 = s1[-1]
    m2 = s2[-2] if d2 > 1 else s2[0]
    p = s2[-1] if d2 > 1 else 1
    batch = _bshape(s1[:max(d1 - 2, 0)], s2[:max(d2 - 2, 0)])
    bn = _prod(batch)
    a3 = reshape(expand(input, batch + (n, m1)), (bn, n, m1))
    if d2 == 1:
        b3 = unsqueeze(reshape(expand(other, batch + (m2,)), (bn, m2)), 2)
    else:
        b3 = reshape(expand(other, batch + (m2, p)), (bn, m2, p))
    out_shape = batch + ((n,) if d1 > 1 else ()) + ((p,) if d2 > 1 else ())
    prod = bmm(a3, b3)
    return _unsafe_view(squeeze(prod, -1) if d2 == 1 else prod, out_shape)


def _should_fold(tensor1: Tensor, tensor2: Tensor) -> bool:
    """ATen's ``should_fold``: fold the larger operand's batch into matrix rows (one mm / mv, no bmm)?"""
    d1, d2 = tensor1._data.ndim, tensor2._data.ndim
    larger = d1 >= d2
    t1 = tensor1._data if larger else xp.swapaxes(tensor2._data, -1, -2)
    dim_t1, dim_t2 = t1.ndim, (d2 if larger else d1)
    if not (dim_t1 >= 3 and dim_t2 <= 2):
        return False
    if (tensor2 if larger else tensor1)._rg:  # keeps the smaller operand's gradient from being a broadcast bmm
        return True
    if d1 == 2:
        return False
    if t1.size == 0:
        return True
    st = [s // t1.itemsize for s in t1.strides]
    sh = t1.shape
    return all(st[i] == st[i + 1] * sh[i + 1] for i in range(dim_t1 - 2))


def _folded(input: Tensor, other: Tensor) -> Tensor:
    """The batch of the larger operand folded into the rows of one mm / mv (ATen's folding path)."""
    from .shape import contiguous, mT
    from .shape import t as _t
    d1, d2 = input._data.ndim, other._data.ndim
    transpose = d2 > d1
    t1 = mT(other) if transpose else input
    t2 = (_t(input) if d1 == 2 else input) if transpose else other
    s1 = t1._data.shape
    out_shape = s1[:-1]
    s2 = t2._data.shape
    folded = reshape(t1, (_prod(out_shape), s1[-1]))
    if len(s2) == 2:
        out = _unsafe_view(mm(folded, t2), out_shape + (s2[1],))
        return contiguous(mT(out)) if transpose else out
    return _unsafe_view(mv(folded, t2), out_shape)


def _bshape(sa: tuple[int, ...], sb: tuple[int, ...]) -> tuple[int, ...]:
    """The broadcast of two batch shapes, with PyTorch's error."""
    try:
        return tuple(xp.broadcast_shapes(sa, sb))
    except ValueError:
        n = max(len(sa), len(sb))
        for i in range(n - 1, -1, -1):
            x = sa[i - n + len(sa)] if i - n + len(sa) >= 0 else 1
            y = sb[i - n + len(sb)] if i - n + len(sb) >= 0 else 1
            if x != y and x != 1 and y != 1:
                raise RuntimeError(
                    f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton dimension {i}"
                ) from None
        raise


def _prod(s: tuple[int, ...]) -> int:
    n = 1
    for k in s:
        n *= k
    return n


@_takes_tensors("outer", "input", "vec2")
def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two vectors: ``input.reshape(n, 1) * vec2``, composed as PyTorch composes it."""
    from .elementwise import mul
    return mul(reshape(input, (input._data.shape[0], 1)), vec2)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``, composed as PyTorch's ``linear`` composes it."""
    nd = input._data.ndim
    if bias is not None and nd == 2 and isinstance(weight, Tensor) and isinstance(bias, Tensor):
        # (all three are tensors: addmm's argument-type check, a third of its Python time, is skipped)
        return _addmm_checked(bias, input, _t(weight))
    from .elementwise import add
    from .shape import t
    if bias is not None and nd == 2:
        return addmm(bias, input, t(weight))
    if bias is not None and input._data.flags.c_contiguous and (nd == 3 or bias._data.ndim == 1) and nd >= 1:
        # PyTorch's _flatten_nd_linear: fold every leading dim into rows, one addmm, view back
        flat = reshape(input, (_prod(input._data.shape[:-1]), input._data.shape[-1]))
        out = addmm(bias, flat, t(weight))
        from .shape import view
        return view(out, input._data.shape[:-1] + (weight._data.shape[0],))
    out = matmul(input, t(weight))
    if bias is not None:
        out = add(out, bias)
    return out


# ====================================================================== diagonal (for einsum and trace), trace
def _diagonal_backward_array(g: Any, shape: tuple[int, ...], dim1: int, dim2: int) -> Any:
    """Zeros of ``shape`` with ``g`` (diagonal last) on the diagonal over ``dim1``/``dim2``."""
    out = xp.zeros(shape, dtype=g.dtype)
    k = g.shape[-1] if g.ndim else 0
    idx = xp.arange(k)
    xp.moveaxis(out, (dim1, dim2), (-2, -1))[..., idx, idx] = g
    return out


def _diagonal_backward(g: Tensor, shape: tuple[int, ...], dim1: int, dim2: int) -> Tensor:
    """Differentiable ``diagonal_backward`` (for ``create_graph=True``).  d/dg = grad.diagonal(0, dim1, dim2)."""
    r = wrap(_diagonal_backward_array(g._data, shape, dim1, dim2))
    if STATE.grad_enabled and g._rg:
        n = DiagonalBackwardBackward0()
        n.dim1, n.dim2 = dim1, dim2
        record(r, n, (g,))
    return r


class DiagonalBackwardBackward0(Node):
    __slots__ = ("dim1", "dim2")
    formula = "diagonal_backward(grad, sizes, 0, dim1, dim2)"
    derivatives = ("grad.diagonal(0, dim1, dim2)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.main_diagonal(g, self.dim1, self.dim2),)


def _main_diagonal(x: Tensor, dim1: int, dim2: int) -> Tensor:
    from .shape import diagonal
    return diagonal(x, 0, dim1, dim2)


register_rule_fn("main_diagonal", lambda x, d1, d2: xp.diagonal(x, 0, d1, d2), _main_diagonal)
register_rule_fn("main_diagonal_backward", _diagonal_backward_array, _diagonal_backward)


@_takes_tensors("trace", "input")
def trace(input: Tensor) -> Tensor:
    """Sum of the main diagonal of a matrix.  d/dinput = grad on the diagonal of zeros."""
    d = input._data
    if d.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {d.ndim}")
    if d.dtype == bool:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    r = wrap(xp.trace(d, dtype=xp.int64 if d.dtype.kind in "iu" else d.dtype))
    if STATE.grad_enabled and input._rg:
        n = TraceBackward0()
        n.shape = d.shape
        record(r, n, (input,))
    return r


class TraceBackward0(Node):
    __slots__ = ("shape",)
    formula = "trace(self)"
    derivatives = ("diagonal_backward(grad.expand(min(self.shape)), self.shape, 0, 1)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.main_diagonal_backward(F.expand(g, (min(self.shape),)), self.shape, 0, 1),)


# ====================================================================== kron, cross
@_takes_tensors("kron", "input", "other")
def kron(input: Tensor, other: Tensor) -> Tensor:
    """Kronecker product, composed as ATen's ``KronImpl``: interleaved views of both, one ``mul``, one view."""
    from .elementwise import mul
    sa, sb = input._data.shape, other._data.shape
    nd = max(len(sa), len(sb))
    pa, pb = (1,) * (nd - len(sa)) + sa, (1,) * (nd - len(sb)) + sb
    a_shape = tuple(x for s in pa for x in (s, 1))
    b_shape = tuple(x for s in pb for x in (1, s))
    out_shape = tuple(x * y for x, y in zip(pa, pb))
    return _unsafe_view(mul(_unsafe_view(input, a_shape), _unsafe_view(other, b_shape)), out_shape)


@_takes_tensors("cross", "input", "other")
def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """``torch.cross``: ``linalg.cross`` over ``dim`` (by default, deprecated: the first dim of size 3)."""
    if dim is None:
        import warnings
        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
            "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree with "
            "that of linalg.cross in a future release. (Triggered internally at "
            "/__w/pytorch/pytorch/aten/src/ATen/native/Cross.cpp:63.)", UserWarning, stacklevel=2,
        )
        sizes = input._data.shape
        if 3 not in sizes:
            raise RuntimeError("no dimension of size 3 in input")
        dim = sizes.index(3)
    return linalg_cross(input, other, dim=dim)


@_takes_tensors("linalg_cross", "input", "other")
def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (broadcast).  d/dinput = cross(other, grad), d/dother = cross(grad, input)."""
    a, b = input._data, other._data
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    ax = wrap_dim(dim, a.ndim)
    if a.shape[ax] != 3 or b.shape[ax] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {a.shape[ax]} and {b.shape[ax]}"
        )
    from ._base import broadcast_error
    try:
        xp.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise broadcast_error(a, b) from None
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_dt(input)} but found {_dt(other)}")
    r = wrap(xp.cross(a, b, axis=ax))
    if STATE.grad_enabled and (input._rg or other._rg):
        n = LinalgCrossBackward0()
        n.dim = ax
        record(r, n, (input, other), (input if other._rg else None, other if input._rg else None))
    return r


class LinalgCrossBackward0(Node):
    __slots__ = ("dim",)
    formula = "linalg_cross(self, other, dim)"
    derivatives = ("linalg_cross(other, grad, dim)", "linalg_cross(grad, self, dim)")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        a, b = self.unpack(F)
        return (F.cross(b, g, self.dim) if b is not None else None,
                F.cross(g, a, self.dim) if a is not None else None)


register_rule_fn("cross", lambda a, b, dim: xp.cross(a, b, axis=dim),
                 lambda a, b, dim: linalg_cross(a, b, dim=dim))


# ====================================================================== einsum, tensordot
_ELLIPSIS = 52  # label code of "..." (letters are 0-51: A-Z then a-z, ATen's order)


def _label(c: str) -> int | None:
    if "A" <= c <= "Z":
        return ord(c) - ord("A")
    if "a" <= c <= "z":
        return ord(c) - ord("a") + 26
    return None


def _letter(s: int) -> str:
    return chr(s + ord("A")) if s < 26 else chr(s - 26 + ord("a"))


def einsum(*args: Any) -> Tensor:
    """Einstein summation, composed as ATen composes it: diagonals, unsqueeze + permute to one
    dim order, then left-to-right pairwise contractions by bmm (``sumproduct_pair``), and sums."""
    if len(args) < 2:
        raise ValueError(
            "einsum(): must specify the equation string and at least one operand, "
            "or at least one operand and its subscripts list"
        )
    if isinstance(args[0], Tensor):
        equation, operands_ = _sublist_equation(args)
    else:
        equation, operands_ = args[0], list(args[1:])
        if len(operands_) == 1 and isinstance(operands_[0], (list, tuple)):
            operands_ = list(operands_[0])  # the old interface: the operands as one list
    return _einsum(equation, operands_)


def _sublist_equation(args: tuple[Any, ...]) -> tuple[str, list[Tensor]]:
    """``einsum(op1, [0, 1], op2, [1, 2], [0, 2])``: the equation the sublists spell."""
    def sub(n: Any) -> str:
        if n is Ellipsis:
            return "..."
        if 0 <= n < 26:
            return chr(ord("A") + n)
        if 26 <= n < 52:
            return chr(ord("a") + n - 26)
        raise ValueError("einsum(): subscript in subscript list is not within the valid range [0, 52)")

    equation = ",".join("".join(sub(s) for s in lst) for lst in args[1::2])
    if len(args) % 2 == 1:
        return equation + "->" + "".join(sub(s) for s in args[-1]), list(args[:-1:2])
    return equation, list(args[::2])


def _parse_operand_labels(lhs: str, num_ops: int) -> list[list[int]]:
    op_labels: list[list[int]] = [[] for _ in range(num_ops)]
    ell_in_input = False
    cur = 0
    i = 0
    while i < len(lhs):
        c = lhs[i]
        if c == " ":
            pass
        elif c == ".":
            if ell_in_input:
                raise RuntimeError(f"einsum(): found '.' for operand {cur} for which an ellipsis was already found")
            if not (i + 2 < len(lhs) and lhs[i + 1] == "." and lhs[i + 2] == "."):
                raise RuntimeError(f"einsum(): found '.' for operand {cur} that is not part of any ellipsis")
            i += 2
            op_labels[cur].append(_ELLIPSIS)
            ell_in_input = True
        elif c == ",":
            cur += 1
            if cur >= num_ops:
                raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
            ell_in_input = False
        else:
            s = _label(c)
            if s is None:
                raise RuntimeError(
                    f"einsum(): invalid subscript given at index {i} in the equation string, subscripts must be in [a-zA-Z]"
                )
            op_labels[cur].append(s)
        i += 1
    if cur != num_ops - 1:
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    return op_labels


def _einsum(equation: str, operands_: list[Tensor]) -> Tensor:
    from .reduction import sum as _sum
    from .shape import permute, view
    if not operands_:
        raise RuntimeError("einsum(): must provide at least one operand")
    for k, t in enumerate(operands_):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {k} in argument 1, but got {_typename(t)}")
    num_ops = len(operands_)
    arrow = equation.find("->")
    lhs = equation if arrow < 0 else equation[:arrow]
    op_labels = _parse_operand_labels(lhs, num_ops)

    # label counts and the number of dims any ellipsis covers
    label_count = [0] * 52
    ell_num_dim = 0
    for i, (t, labels) in enumerate(zip(operands_, op_labels)):
        ndims = t._data.ndim
        nlabels = len(labels)
        has_ell = _ELLIPSIS in labels
        for s in labels:
            if s == _ELLIPSIS:
                nlabels -= 1
            else:
                label_count[s] += 1
        if has_ell:
            ell_num_dim = max(ell_num_dim, ndims - nlabels)
        if (nlabels > ndims) if has_ell else (nlabels != ndims):
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({nlabels}) "
                + ("is more than the number of dimensions (" if has_ell else "does not match the number of dimensions (")
                + f"{ndims}) for operand {i}" + ("" if has_ell else " and no ellipsis was given")
            )

    # the aligned dim order: output dims, then the dims summed out
    perm_index_of, out_num_dim, perm_index, ell_index = _einsum_dim_order(equation, arrow, len(lhs), label_count,
                                                                          ell_num_dim)

    # diagonals for repeated labels, unsqueeze missing dims, permute to the aligned order
    label_size = [1] * 52
    ell_sizes = [1] * ell_num_dim
    dim_counts = [0] * perm_index
    ops: list[Tensor] = []
    for i, t in enumerate(operands_):
        op = t
        permutation = [-1] * perm_index
        dim = 0
        for s in op_labels[i]:
            sizes = op._data.shape
            if s == _ELLIPSIS:
                ndim = t._data.ndim - (len(op_labels[i]) - 1)
                for j in range(ell_num_dim - ndim, ell_num_dim):
                    if sizes[dim] != 1:
                        if ell_sizes[j] != 1 and ell_sizes[j] != sizes[dim]:
                            raise RuntimeError(
                                f"einsum(): dimension {dim} covered by ellipsis in operand {i}has size {sizes[dim]} "
                                f"which does not broadcast with previously seen ellipsis with size {ell_sizes[j]} "
                                "for the respective dimension"
                            )
                        ell_sizes[j] = sizes[dim]
                        dim_counts[ell_index + j] += 1
                    permutation[ell_index + j] = dim
                    dim += 1
            elif permutation[perm_index_of[s]] == -1:
                if sizes[dim] != 1:
                    if label_size[s] != 1 and label_size[s] != sizes[dim]:
                        raise RuntimeError(
                            f"einsum(): subscript {_letter(s)} has size {sizes[dim]} for operand {i} which does not "
                            f"broadcast with previously seen size {label_size[s]}"
                        )
                    label_size[s] = sizes[dim]
                    dim_counts[perm_index_of[s]] += 1
                permutation[perm_index_of[s]] = dim
                dim += 1
            else:
                prev = permutation[perm_index_of[s]]
                if sizes[dim] != sizes[prev]:
                    raise RuntimeError(
                        f"einsum(): subscript {_letter(s)} is repeated for operand {i} but the sizes don't match, "
                        f"{sizes[dim]} != {sizes[prev]}"
                    )
                op = _movedim_last(_main_diagonal(op, prev, dim), prev)
        for k, v in enumerate(permutation):
            if v == -1:
                op = unsqueeze(op, dim)
                permutation[k] = dim
                dim += 1
        ops.append(permute(op, permutation))

    # contract left to right, then sum out the contraction dims
    result = _einsum_contract(ops, dim_counts, out_num_dim, perm_index)
    if perm_index - out_num_dim > 0:
        if num_ops > 1:
            return view(result, result._data.shape[:out_num_dim])
        return _sum(result, list(range(out_num_dim, perm_index)))
    return result


def _einsum_contract(ops: list[Tensor], dim_counts: list[int], out_num_dim: int, perm_index: int) -> Tensor:
    """Contract the aligned operands pairwise, left to right: a dim is summed as soon as no operand left
    needs it (``dim_counts``: how many operands still have it with size > 1)."""
    from .reduction import sum as _sum
    while len(ops) > 1:
        a, b = ops[0], ops[1]
        del ops[:2]
        sum_dims: list[int] = []
        a_sum: list[int] = []
        b_sum: list[int] = []
        for dim in range(out_num_dim, perm_index):
            sa, sb = a._data.shape[dim] != 1, b._data.shape[dim] != 1
            if sa and sb:
                if a._data.shape[dim] != b._data.shape[dim]:
                    raise RuntimeError("non-broadcast dimensions must match")
                dim_counts[dim] -= 1
                if dim_counts[dim] == 1:
                    sum_dims.append(dim)
                    dim_counts[dim] = 0
            elif dim_counts[dim] == 1:
                if sa:
                    a_sum.append(dim)
                    dim_counts[dim] = 0
                elif sb:
                    b_sum.append(dim)
                    dim_counts[dim] = 0
        if a_sum:
            a = _sum(a, a_sum, True)
        if b_sum:
            b = _sum(b, b_sum, True)
        ops.insert(0, _sumproduct_pair(a, b, sum_dims))
    return ops[0]


def _einsum_dim_order(equation: str, arrow: int, lhs_len: int, label_count: list[int],
                      ell_num_dim: int) -> tuple[list[int], int, int, int]:
    """Where each label (and the ellipsis) goes in the aligned order: the output's dims (explicit, or
    the ellipsis then the labels seen once, alphabetically), then the dims to sum out.

    Returns the position of each label, the number of output dims, the total, and the ellipsis' start."""
    perm_index_of = [-1] * 52
    perm_index = 0
    ell_index = 0
    ell_in_output = False
    if arrow < 0:
        perm_index = ell_num_dim
        ell_in_output = True
        for s in range(52):
            if label_count[s] == 1:
                perm_index_of[s] = perm_index
                perm_index += 1
    else:
        rhs = equation[arrow + 2:]
        i = 0
        while i < len(rhs):
            c = rhs[i]
            if c == " ":
                pass
            elif c == ".":
                if ell_in_output:
                    raise RuntimeError("einsum(): found '.' for output but an ellipsis (...) was already found")
                if not (i + 2 < len(rhs) and rhs[i + 1] == "." and rhs[i + 2] == "."):
                    raise RuntimeError("einsum(): found '.' for output that is not part of any ellipsis (...)")
                i += 2
                ell_index = perm_index
                perm_index += ell_num_dim
                ell_in_output = True
            else:
                s = _label(c)
                if s is None:
                    raise RuntimeError(
                        f"einsum(): invalid subscript given at index {lhs_len + 2 + i} in the equation string, "
                        "subscripts must be in [a-zA-Z]"
                    )
                if not (label_count[s] > 0 and perm_index_of[s] == -1):
                    raise RuntimeError(
                        f"einsum(): output subscript {c}"
                        + (" appears more than once in the output" if perm_index_of[s] > -1
                           else " does not appear in the equation for any input operand")
                    )
                perm_index_of[s] = perm_index
                perm_index += 1
            i += 1
    out_num_dim = perm_index
    if not ell_in_output:
        ell_index = perm_index
        perm_index += ell_num_dim
    for s in range(52):
        if label_count[s] > 0 and perm_index_of[s] == -1:
            perm_index_of[s] = perm_index
            perm_index += 1
    return perm_index_of, out_num_dim, perm_index, ell_index


def _movedim_last(t: Tensor, dest: int) -> Tensor:
    """``t.movedim(-1, dest)`` (a permute)."""
    from .shape import permute
    n = t._data.ndim
    order = list(range(n - 1))
    order.insert(dest, n - 1)
    return permute(t, order)


def _sumproduct_pair(left: Tensor, right: Tensor, sum_dims: list[int]) -> Tensor:
    """``(left * right).sum(sum_dims, keepdim=True)`` by permute + reshape + bmm (ATen's ``sumproduct_pair``)."""
    from .elementwise import mul
    from .reduction import sum as _sum
    from .shape import permute, view
    if not sum_dims:
        return mul(left, right)
    ndim = left._data.ndim
    summed = set(sum_dims)
    lro: list[int] = []
    lo: list[int] = []
    ro: list[int] = []
    lro_size = lo_size = ro_size = sum_size = 1
    for i in range(ndim):
        ls, rs = left._data.shape[i], right._data.shape[i]
        sl, sr = ls != 1, rs != 1
        if i in summed:
            if sl and sr:
                if ls != rs:
                    raise RuntimeError("non-broadcast dimensions must match")
                sum_size *= ls
            elif sl:
                left = _sum(left, i, True)
            elif sr:
                right = _sum(right, i, True)
        elif sl and sr:
            if ls != rs:
                raise RuntimeError("non-broadcast dimensions must match")
            lro.append(i)
            lro_size *= ls
        elif sl:
            lo.append(i)
            lo_size *= ls
        else:
            ro.append(i)
            ro_size *= rs
    if lo and ro and ro[-1] < lo[0]:  # the right operand's dims come first in the output: swap the operands
        left, right, lo, ro, lo_size, ro_size = right, left, ro, lo, ro_size, lo_size
    out_size = ([left._data.shape[d] for d in lro] + [left._data.shape[d] for d in lo] + [1] * len(sum_dims)
                + [right._data.shape[d] for d in ro])
    lperm = lro + lo + sum_dims + ro
    rperm = lro + sum_dims + ro + lo
    operm = [-1] * len(out_size)
    for i, d in enumerate(lro + lo + sum_dims + ro):
        operm[d] = i
    lhs = reshape(permute(left, lperm), (lro_size, lo_size, sum_size))
    rhs = reshape(permute(right, rperm), (lro_size, sum_size, ro_size))
    return permute(view(bmm(lhs, rhs), tuple(out_size)), operm)


def tensordot(a: Tensor, b: Tensor, dims: Any = 2, out: Tensor | None = None) -> Tensor:
    """Contract ``dims`` of ``a`` with ``dims`` of ``b``, composed as ATen composes it:
    permute + reshape + one mm (or a dot / mul-sum for a full contraction)."""
    if not isinstance(dims, (tuple, list, Tensor, int)) or isinstance(dims, bool):
        raise RuntimeError(
            "tensordot expects dims to be int or tuple[list[int], list[int]] or list[list[int]] containing two "
            f"lists, but got dims={dims}"
        )
    if isinstance(dims, Tensor):
        if dims._data.size > 1:
            dims_a, dims_b = dims._data[0].tolist(), dims._data[1].tolist()
        else:
            dims = int(dims._data.reshape(()))
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a._data.ndim, b._data.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a, dims_b = list(range(-dims, 0)), list(range(dims))
    elif isinstance(dims, (tuple, list)):
        dims_a, dims_b = dims
        for name, lst in (("dims_self", dims_a), ("dims_other", dims_b)):
            if not isinstance(lst, (list, tuple)):
                pos = 3 if name == "dims_self" else 4
                raise TypeError(f"tensordot(): argument '{name}' (position {pos}) must be tuple of ints, not "
                                f"{type(lst).__name__}")
    from .elementwise import _out
    return _out(_tensordot(a, b, list(dims_a), list(dims_b)), out)


def _tensordot(input1: Tensor, input2: Tensor, dims1: list[int], dims2: list[int]) -> Tensor:
    from .elementwise import mul
    from .reduction import sum as _sum
    from .shape import flatten, permute
    from .shape import squeeze as _squeeze
    if len(dims1) != len(dims2):
        raise RuntimeError("both dimension lists should have same length")
    if input1._data.dtype != input2._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    s1, s2 = input1._data.shape, input2._data.shape
    t1, t2 = input1, input2
    csize = 1
    for d1, d2 in zip(dims1, dims2):
        n1, n2 = _size(input1, d1), _size(input2, d2)
        if n2 == 1:  # broadcast dims are summed right away
            t1 = _sum(t1, d1, True)
        elif n1 == 1:
            t2 = _sum(t2, d2, True)
        else:
            if n1 != n2:
                raise RuntimeError(
                    f"contracted dimensions need to match, but first has size {n1} in dim {d1} and second has size "
                    f"{n2} in dim {d2}"
                )
            csize *= n1
    c1, c2 = dims_arg(dims1, len(s1)) if dims1 else (), dims_arg(dims2, len(s2)) if dims2 else ()
    p1 = [i for i in range(len(s1)) if i not in c1] + dims1
    p2 = dims2 + [i for i in range(len(s2)) if i not in c2]
    rsizes = tuple(t1._data.shape[i] for i in range(len(s1)) if i not in c1) + tuple(
        t2._data.shape[i] for i in range(len(s2)) if i not in c2)
    size1 = _prod(tuple(t1._data.shape[i] for i in range(len(s1)) if i not in c1))
    size2 = _prod(tuple(t2._data.shape[i] for i in range(len(s2)) if i not in c2))
    if size1 != 1 or size2 != 1:
        t1 = reshape(permute(t1, p1), (size1, csize))
        t2 = reshape(permute(t2, p2), (csize, size2))
        return reshape(mm(t1, t2), rsizes)
    t1, t2 = permute(t1, p1), permute(t2, p2)
    if t1._data.flags.c_contiguous and t2._data.flags.c_contiguous:
        return reshape(dot(flatten(t1), flatten(t2)), rsizes)
    return reshape(_sum(mul(_squeeze(t1), _squeeze(t2)), dtype=t1.dtype), rsizes)


# ====================================================================== norms
def _num(x: Any) -> str:
    """A number as C++ prints a double (``3``, ``-0.5``, ``inf``, ``1e+10``)."""
    return f"{float(x):g}"


def _check_norm_dtype(input: Tensor, dtype: Any, fn: str) -> None:
    """ATen's checks of a norm's input dtype and ``dtype=`` argument."""
    d = input._data
    if d.dtype.kind != "f":
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as input. Got {_dt(input)}")
    if dtype is not None:
        name = dtype.scalar_name
        if dtype.np.kind != "f":
            raise RuntimeError(f"{fn}: dtype should be floating point or complex, but got {name}")
        if xp.dtype(dtype.np).itemsize < d.dtype.itemsize:
            raise RuntimeError(
                f"{fn}: the dtype of the input ({_dt(input)}) should be convertible without narrowing to the "
                f"specified dtype ({name})"
            )


@_takes_tensors("linalg_vector_norm", "input")
def vector_norm(x: Tensor, ord: Any = 2, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
                dtype: Any = None) -> Tensor:
    """``linalg.vector_norm``: ``(Σ |x|^ord)^(1/ord)`` over ``dim`` (max/min |x| for ±inf, the count of
    non-zeros for 0).  d/dx = sign(x) |x|^(ord-1) / norm^(ord-1) * grad (0 where the norm is 0)."""
    from .reduction import _dims_or_all
    if isinstance(ord, str) or not isinstance(ord, (int, float)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, not {type(ord).__name__}")
    _check_norm_dtype(x, dtype, "linalg.vector_norm")
    d = x._data if dtype is None else x._data.astype(dtype.np)
    p = float(ord)
    if (p < 0 or p == float("inf")) and d.size == 0:  # no identity: an empty reduction is an error
        if dim is None or (isinstance(dim, (tuple, list)) and not dim):
            raise RuntimeError(
                f"linalg.vector_norm cannot compute the {_num(p)} norm on an empty tensor because the operation "
                "does not have an identity"
            )
        for a in [dim] if isinstance(dim, int) else dim:
            if d.shape[wrap_dim(a, d.ndim)] == 0:
                raise RuntimeError(
                    f"linalg.vector_norm cannot compute the {_num(p)} norm on the dimension {a}because this "
                    "dimension is empty and the operation does not have an identity"
                )
    axes = _dims_or_all(dim, d.ndim)
    r = wrap(_vector_norm_array(d, p, axes, keepdim))
    if STATE.grad_enabled and x._rg:
        n = LinalgVectorNormBackward0()
        n.ord, n.keepdim = p, keepdim
        n.dims = axes if axes is not None else tuple(range(d.ndim))
        record(r, n, (x,), (x, saved_output(r)))
    return r


def _vector_norm_array(d: Any, p: float, axes: Any, keepdim: bool) -> Any:
    """The norm of an array.  Powers and the sum's range are PyTorch's (float32 for float16 and
    float32, so the same values under- and overflow); the sum itself is accumulated in float64."""
    a = xp.abs(d)
    if p == float("inf") or p == float("-inf"):
        return (a.max if p > 0 else a.min)(axis=axes, keepdims=keepdim)
    if p == 0:
        return (d != 0).sum(axis=axes, keepdims=keepdim, dtype=xp.float64).astype(d.dtype)
    acc = xp.dtype(xp.float32) if d.dtype == xp.float16 else d.dtype  # PyTorch's opmath type
    a = a.astype(acc)
    pw = a if p == 1 else a * a if p == 2 else a ** acc.type(p)
    s = pw.sum(axis=axes, keepdims=keepdim, dtype=xp.float64).astype(acc).astype(xp.float64)
    return (s if p == 1 else xp.sqrt(s) if p == 2 else s ** (1.0 / p)).astype(d.dtype)


class LinalgVectorNormBackward0(Node):
    __slots__ = ("ord", "dims", "keepdim")
    formula = "linalg_vector_norm(self, ord, dim, keepdim)"
    derivatives = ("grad * sign(self) * |self|^(ord-1) / result^(ord-1)   (0 where result == 0; ord ±inf: "
                   "grad shared evenly by the extreme entries; ord 0: none)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        x, norm = self.unpack(F)
        if len(x.shape) and not self.keepdim:
            for a in self.dims:
                g, norm = F.unsqueeze(g, a), F.unsqueeze(norm, a)
        p = self.ord
        if p == 0:
            return (None,)  # PyTorch returns an undefined gradient: no gradient flows
        if p == 1:
            return (F.sign(x) * g,)
        if p == 2:
            return (g * F.where(F.eq(norm, 0), 0.0, x / norm),)
        a = F.abs(x)
        if p in (float("inf"), float("-inf")):
            mask = F.where(F.eq(a, a), F.eq(a, norm), True)  # the extreme entries, and NaNs
            return (F.sign(x) * ((g / F.sum(mask, self.dims, True)) * mask),)
        if p < 1:
            return (F.sign(x) * F.where(F.eq(x, 0), 0.0, a ** (p - 1)) * g * norm ** (1 - p),)
        scale = F.where(F.eq(norm, 0), 0.0, g / norm ** (p - 1))
        return ((F.sign(x) * a ** (p - 1) if p < 2 else x * a ** (p - 2)) * scale,)


@_takes_tensors("linalg_matrix_norm", "input")
def matrix_norm(A: Tensor, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False, *,  # noqa: A002
                dtype: Any = None) -> Tensor:
    """``linalg.matrix_norm``: 'fro' (= vector 2-norm), 'nuc' (Σ singular values), ±1 / ±inf (max/min
    absolute column / row sum), ±2 (largest / smallest singular value), composed as ATen composes it."""
    from .reduction import sum as _sum
    from .shape import permute
    is_str = isinstance(ord, str)
    if is_str:
        if ord not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    elif abs(float(ord)) not in (1.0, 2.0, float("inf")):
        raise RuntimeError(f"linalg.matrix_norm: Order {_num(ord)} not supported.")
    if A._data.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    low = ord == "fro" or (not is_str and abs(float(ord)) != 2.0)
    if not low and A._data.dtype == xp.float16:
        raise RuntimeError("linalg.matrix_norm: Low precision dtypes not supported. Got Half")
    _check_norm_dtype(A, dtype, "linalg.matrix_norm")
    dims = [dim] if isinstance(dim, int) else list(dim)
    if len(dims) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dims))}")
    nd = A._data.ndim
    dims = [wrap_dim(d, nd) for d in dims]
    if dims[0] == dims[1]:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dims[0]}, {dims[1]})")
    if ord == "fro":
        return vector_norm(A, 2, dims, keepdim, dtype=dtype)
    if is_str or abs(float(ord)) == 2.0:  # through the singular values, with the two dims moved last
        from .shape import to
        perm = [i for i in range(nd) if i not in dims] + dims
        sv = svdvals(permute(A if dtype is None else to(A, dtype), perm))
        r = _sum(sv, -1, keepdim) if is_str else _max_min(sv, -1, keepdim, float(ord))
        if keepdim:
            inv = [0] * nd
            for i, d in enumerate(perm):
                inv[d] = i
            r = permute(unsqueeze(r, -1), inv)
        return r
    if abs(float(ord)) == float("inf"):  # the inf-norm is the 1-norm of the transpose
        dims.reverse()
    if not keepdim and dims[0] < dims[1]:
        dims[1] -= 1
    return _max_min(vector_norm(A, 1, dims[0], keepdim, dtype=dtype), dims[1], keepdim, float(ord))


def _max_min(t: Tensor, dim: int, keepdim: bool, ord: float) -> Tensor:
    """amax over ``dim`` for a positive order, amin for a negative one (zeros for an empty positive one)."""
    from .reduction import amax, amin
    d = t._data
    if d.shape[wrap_dim(dim, d.ndim)] == 0:
        if ord > 0:
            ax = wrap_dim(dim, d.ndim)
            return wrap(xp.zeros(d.shape[:ax] + ((1,) if keepdim else ()) + d.shape[ax + 1:], dtype=d.dtype))
        raise IndexError(f"amin(): Expected reduction dim {dim} to have non-zero size.")
    return amax(t, dim, keepdim) if ord > 0 else amin(t, dim, keepdim)


@_takes_tensors("linalg_norm", "input")
def norm(A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
         dtype: Any = None) -> Tensor:
    """``linalg.norm``: a matrix norm over 2 dims (given, or of a 2-d input when ``ord`` is given),
    else a vector norm (2-norm by default)."""
    nd = A._data.ndim
    dims = None if dim is None else [dim] if isinstance(dim, int) else list(dim)
    if dims is not None:
        if len(dims) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {dims}")
    elif ord is not None and nd not in (1, 2):
        raise RuntimeError(
            f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {nd}D."
        )
    if isinstance(ord, str):
        return matrix_norm(A, ord, dims if dims is not None else (0, 1), keepdim, dtype=dtype)
    if ord is not None and ((dims is not None and len(dims) == 2) or (dims is None and nd == 2)):
        return matrix_norm(A, ord, dims if dims is not None else (0, 1), keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)


@_takes_tensors("linalg_svdvals", "A")
def svdvals(A: Tensor) -> Tensor:
    """Singular values of (a batch of) matrices, descending.  d/dA = U diag(grad) Vᴴ."""
    d = A._data
    if d.ndim < 2:
        raise RuntimeError(
            "linalg.svd: The input tensor A must have at least 2 dimensions."
        )
    if d.dtype.kind != "f":
        raise RuntimeError(f"linalg.svd: Expected a floating point or complex tensor as input. Got {_dt(A)}")
    k = min(d.shape[-2:])
    if d.size == 0:
        u = xp.zeros(d.shape[:-1] + (k,), d.dtype)
        s = xp.zeros(d.shape[:-2] + (k,), d.dtype)
        vh = xp.zeros(d.shape[:-2] + (k, d.shape[-1]), d.dtype)
    else:
        u, s, vh = xp.linalg.svd(d.astype(xp.float64), full_matrices=False)
    r = wrap(s.astype(d.dtype))
    if STATE.grad_enabled and A._rg:
        # S of (U, S, Vh), as PyTorch's svdvals records it
        record_outputs((None, r, None), LinalgSvdBackward0(), (A,), (u.astype(d.dtype), vh.astype(d.dtype)))
    return r


class LinalgSvdBackward0(Node):
    __slots__ = ()
    n_outputs = 3
    formula = "linalg_svd(self, full_matrices=False) -> (U, S, Vh)   (only S is returned here)"
    derivatives = ("U @ diag(grad_S) @ Vh",)

    def backward(self, F: Any, grads: Any) -> tuple[Any, ...]:
        g = grads[1]
        if g is None:
            return (None,)
        if F.tensor_mode and not transposing_rule():  # (forward AD needs only the rule's linearity in grad)
            raise NotImplementedError(
                "glassgrad: the second derivative of the singular values (linalg.svdvals, matrix_norm 'nuc' / 2 / -2)"
                " is not supported yet"
            )
        u, vh = self.unpack(F)
        if F.tensor_mode:  # (saved as arrays: constants here)
            u, vh = Tensor._make(u), Tensor._make(vh)
        return ((u * F.unsqueeze(g, -2)) @ vh,)


@_takes_tensors("linalg_vecdot", "x", "y")
def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """``linalg.vecdot``: ``vdot`` for two vectors, else ``(x * y).sum(dim)`` (as PyTorch composes it)."""
    from .elementwise import mul
    from .reduction import sum as _sum
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.vecdot: Expected a floating point or complex tensor as input. Got {_dt(x)}")
    if x._data.dtype != y._data.dtype:
        raise RuntimeError(
            f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type {_dt(x)} and y of type "
            f"{_dt(y)} instead"
        )
    if x._data.ndim == 1 and y._data.ndim == 1:
        return vdot(x, y)
    return _sum(mul(x, y), dim)


# ====================================================================== exports
def _inplace(fn: Any) -> Any:
    from .inplace import _unary_inplace
    return _unary_inplace(fn)


addmm_ = _inplace(addmm)
addmv_ = _inplace(addmv)
baddbmm_ = _inplace(baddbmm)
addbmm_ = _inplace(addbmm)

__all__ = ["mm", "bmm", "mv", "dot", "vdot", "addmm", "addmv", "addmv_", "baddbmm", "addbmm", "matmul", "outer",
           "einsum", "tensordot", "kron", "trace", "cross"]

linalg_matmul = _takes_tensors("linalg_matmul", "input", "other")(matmul.__wrapped__)  # type: ignore[attr-defined]


_matmul_checked = matmul.__wrapped__  # type: ignore[attr-defined]


def _matmul_op(self: Tensor, other: Any) -> Any:
    """``self @ other`` (Python's own TypeError for a non-Tensor operand; both are Tensors past that)."""
    return _matmul_checked(self, other) if isinstance(other, Tensor) else NotImplemented


def _rmatmul_op(self: Tensor, other: Any) -> Any:
    return _matmul_checked(other, self) if isinstance(other, Tensor) else NotImplemented


METHODS: dict[str, Any] = {
    **{f.__name__: _method(f) for f in (mm, bmm, mv, dot, vdot, addmm, addmv, baddbmm, addbmm, matmul, outer,
                                        trace, kron, cross)},
    "addmm_": addmm_, "addmv_": addmv_, "baddbmm_": baddbmm_, "addbmm_": addbmm_,
    "__matmul__": _matmul_op, "__rmatmul__": _rmatmul_op,
}
