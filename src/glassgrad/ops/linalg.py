"""Matrix products: dot, mv, mm, bmm, addmm, and matmul built from them as PyTorch builds it.

``matmul`` dispatches on the operands' dims exactly like ATen's ``_matmul_impl``
(dot / mv / mm, folding a batch into rows, or expand + bmm), so the same nodes
appear in the graph as in PyTorch.
"""

from __future__ import annotations

from typing import Any

from ._base import STATE, Node, Tensor, operands, record, wrap, xp
from .shape import expand, reshape, squeeze, unsqueeze


def _dt(t: Tensor) -> str:
    return t.dtype.tensor_type.replace("Tensor", "")


def _same_dtype(a: Tensor, b: Tensor, what: str) -> None:
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {a.dtype.name if False else _c(a)} != {_c(b)}"
            if what == "mm" else
            f"expected scalar type {_dt(a)} but found {_dt(b)}"
        )


def _c(t: Tensor) -> str:
    from ..tensor import _C_NAMES
    return _C_NAMES[t.dtype.name][0]


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
    _same_dtype(input, mat2, "mm")
    r = wrap(a @ b)
    if STATE.grad_enabled and (input._rg or mat2._rg):
        record(r, MmBackward0(), (input, mat2), (input if mat2._rg else None, mat2 if input._rg else None))
    return r


class MmBackward0(Node):
    __slots__ = ()
    formula = "self @ mat2"
    derivatives = ("grad @ mat2.T", "self.T @ grad")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        a, b = self.unpack(F)
        return (g @ F.transpose(b, 0, 1) if b is not None else None,
                F.transpose(a, 0, 1) @ g if a is not None else None)


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


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix-vector product.  d/dinput = outer(grad, vec), d/dvec = inputᵀ @ grad."""
    a, b = input._data, vec._data
    if a.ndim != 2 or b.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.ndim}, {b.ndim}")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(
            f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x{a.shape[1]}), vec ({b.shape[0]})"
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


def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """Inner product of two 1-d tensors.  d/dinput = grad * tensor, d/dtensor = grad * input."""
    a, b = input._data, tensor._data
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have the same number of elements, "
            f"but got {a.shape[0]} and {b.shape[0]} elements respectively"
        )
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"dot : expected both vectors to have same dtype, but found {_dt(input)} and {_dt(tensor)}"
        )
    r = wrap(a @ b)
    if STATE.grad_enabled and (input._rg or tensor._rg):
        record(r, DotBackward0(), (input, tensor), (input if tensor._rg else None, tensor if input._rg else None))
    return r


class DotBackward0(Node):
    __slots__ = ()
    formula = "dot(self, tensor)"
    derivatives = ("grad * tensor", "grad * self")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        a, b = self.unpack(F)
        return (g * b if b is not None else None, g * a if a is not None else None)


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
    prod = a @ b
    if alpha != 1:
        prod = prod * alpha
    bias = input._data if isinstance(input, Tensor) else input
    r = wrap(prod + (bias if beta == 1 else bias * beta) if beta != 0 else prod)
    if STATE.grad_enabled and (getattr(input, "_rg", False) or mat1._rg or mat2._rg):
        n = AddmmBackward0()
        n.alpha, n.beta = alpha, beta
        record(r, n, (input, mat1, mat2), (mat1 if mat2._rg else None, mat2 if mat1._rg else None))
    return r


class AddmmBackward0(Node):
    __slots__ = ("alpha", "beta")
    formula = "beta * self + alpha * (mat1 @ mat2)"
    derivatives = ("beta * grad", "alpha * grad @ mat2.T", "alpha * mat1.T @ grad")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        m1, m2 = self.unpack(F)
        gi = (g if self.beta == 1 else g * self.beta) if self._next[0] is not None else None
        ga = g if self.alpha == 1 else g * self.alpha
        g1 = ga @ F.transpose(m2, 0, 1) if m2 is not None else None
        g2 = F.transpose(m1, 0, 1) @ ga if m1 is not None else None
        return gi, g1, g2


def _unsafe_view(input: Tensor, shape: tuple[int, ...]) -> Tensor:
    from .shape import UnsafeViewBackward0
    d = input._data
    r = wrap(d.reshape(shape))
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


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """``input @ other`` for every shape case, as PyTorch composes it."""
    if not isinstance(other, Tensor):
        raise TypeError(f"matmul(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    d1, d2 = input._data.ndim, other._data.ndim
    if d1 == 0 or d2 == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {d1}D and {d2}D")
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {_c(input)} != {_c(other)}"
        )
    if d1 == 1 and d2 == 1:
        return dot(input, other)
    if d1 == 2 and d2 == 1:
        return mv(input, other)
    if d1 == 1 and d2 == 2:
        if input._data.shape[0] != other._data.shape[0]:
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied (1x{input._data.shape[0]} and "
                f"{other._data.shape[0]}x{other._data.shape[1]})"
            )
        return _squeeze0_(mm(unsqueeze(input, 0), other))
    if d1 == 2 and d2 == 2:
        return mm(input, other)
    if _should_fold(input, other) or _should_fold(other, input):
        return _folded(input, other)
    # batched: broadcast the batch dims, then one bmm
    if d1 == 3 and d2 == 3 and input._data.shape[0] != other._data.shape[0]:
        # as ATen: a batch of one that would be broadcast is squeezed so the fold path is taken
        if input._data.shape[0] == 1 and input._rg:
            return matmul(squeeze(input, 0), other)
        if other._data.shape[0] == 1 and other._rg:
            return matmul(input, squeeze(other, 0))
    a = unsqueeze(input, 0) if d1 == 1 else input
    b = unsqueeze(other, -1) if d2 == 1 else other
    n, m1 = a._data.shape[-2:]
    m2, p = b._data.shape[-2:]
    if m1 != m2:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{_prod(_bshape(a, b))}, {m1}] but got: [{_prod(_bshape(a, b))}, {m2}]."
        )
    batch = _bshape(a, b)
    bn = _prod(batch)
    a3 = reshape(expand(a, batch + (n, m1)), (bn, n, m1))
    b3 = reshape(expand(b, batch + (m2, p)), (bn, m2, p))
    out_shape = batch + ((n,) if d1 > 1 else ()) + ((p,) if d2 > 1 else ())
    return _unsafe_view(bmm(a3, b3), out_shape)


def _should_fold(t1: Tensor, t2: Tensor) -> bool:
    """ATen's ``should_fold``: can the larger operand's batch fold into matrix rows without a copy?"""
    d1, d2 = t1._data.ndim, t2._data.ndim
    if d1 < d2:
        big = xp.swapaxes(t2._data, -1, -2)
        small_dim, big_dim = d1, d2
    else:
        big, small_dim, big_dim = t1._data, d2, d1
    if not (big_dim >= 3 and small_dim <= 2):
        return False
    if t2._rg:  # folding keeps t2's gradient from being a broadcast [b, n, k] tensor
        return True
    if d1 == 2:
        return False
    if big.size == 0:
        return True
    st = [s // big.itemsize for s in big.strides]
    sh = big.shape
    return all(st[i] == st[i + 1] * sh[i + 1] for i in range(big_dim - 2))


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
    if s1[-1] != s2[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_prod(s1[:-1])}x{s1[-1]} and {s2[0]}x{s2[1]})"
            if len(s2) == 2 else
            f"size mismatch, got input ({_prod(s1[:-1])}), mat ({_prod(s1[:-1])}x{s1[-1]}), vec ({s2[0]})"
        )
    folded = reshape(t1, (_prod(out_shape), s1[-1]))
    if len(s2) == 2:
        out = _unsafe_view(mm(folded, t2), out_shape + (s2[1],))
        return contiguous(mT(out)) if transpose else out
    return _unsafe_view(mv(folded, t2), out_shape)


def _bshape(a: Tensor, b: Tensor) -> tuple[int, ...]:
    try:
        return tuple(xp.broadcast_shapes(a._data.shape[:-2], b._data.shape[:-2]))
    except ValueError:
        sa, sb = a._data.shape[:-2], b._data.shape[:-2]
        raise RuntimeError(
            f"The size of tensor a ({sa[-1]}) must match the size of tensor b ({sb[-1]}) at non-singleton dimension "
            f"{max(len(sa), len(sb)) - 1}"
        ) from None


def _prod(s: tuple[int, ...]) -> int:
    n = 1
    for k in s:
        n *= k
    return n


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two vectors (``input[:, None] * vec2[None, :]``)."""
    from .elementwise import mul
    return mul(unsqueeze(input, 1), vec2)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``, composed as PyTorch's ``linear`` composes it."""
    from .elementwise import add
    from .shape import t
    nd = input._data.ndim
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


__all__ = ["mm", "bmm", "mv", "dot", "addmm", "matmul", "outer", "linear", "operands"]
