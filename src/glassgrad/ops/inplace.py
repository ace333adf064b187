"""In-place ops (``add_``, ``mul_``, ``zero_``…), the version counter and PyTorch's in-place errors.

An in-place op writes into the tensor's storage, bumps its version (shared
with its views) and, when recording, makes the tensor's ``grad_fn`` the op's
node, whose edge for ``self`` is the tensor's previous history.
"""

from __future__ import annotations

from typing import Any

from . import elementwise as E
from ._base import FROM_NP, STATE, Node, Tensor, record, xp

LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."


def check_inplace(self: Tensor, op: str = "") -> None:
    """PyTorch's errors for in-place ops that autograd cannot allow."""
    if not STATE.grad_enabled:
        return
    if self._rg and self.grad_fn is None:
        if self._base is not None and self._base._rg:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place operation."
            )
        raise RuntimeError(LEAF_INPLACE)
    if self._base is not None and (self._rg or self._base._rg):
        raise RuntimeError(
            "glassgrad does not yet support in-place operations on a view of a tensor that requires grad "
            "(PyTorch rewrites the base's history with CopySlices); apply the operation out of place, e.g. "
            "`y = y.add(1)` instead of `y.add_(1)`."
        )


def _snapshot(self: Tensor) -> Tensor:
    """The value and history ``self`` had before an in-place op, for a rule that needs it."""
    t = Tensor._make(self._data.copy())
    t.grad_fn = self.grad_fn
    t._output_nr = self._output_nr
    t._rg = self._rg
    return t


def _write(self: Tensor, result: Any, opname: str) -> None:
    d = self._data
    rdt = getattr(result, "dtype", None)
    if rdt is not None and rdt != d.dtype:
        rk, sk = FROM_NP[rdt], FROM_NP[d.dtype]
        if rk.category > sk.category:
            raise RuntimeError(
                f"result type {rk.tensor_type[:-6]} can't be cast to the desired output type {sk.tensor_type[:-6]}"
            )
    if d.shape != getattr(result, "shape", d.shape):
        try:
            xp.broadcast_to(result, d.shape)
        except ValueError:
            raise RuntimeError(
                f"output with shape {list(d.shape)} doesn't match the broadcast shape {list(result.shape)}"
            ) from None
    d[...] = result


def _binary_inplace(self: Tensor, other: Any, fn: Any, node: Node | None, saved: Any, opname: str) -> Tensor:
    recording = STATE.grad_enabled and (self._rg or (isinstance(other, Tensor) and other._rg))
    if recording:
        check_inplace(self, opname)
    a, b = E.operands(self, other)
    result = fn(a, b)
    if recording and node is not None:
        saved_vals = saved() if callable(saved) else saved
        _write(self, result, opname)
        record(self, node, (self, other), saved_vals)
        self._output_nr = 0
    else:
        _write(self, result, opname)
    self._bump_version()
    return self


def add_(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """In-place ``self += alpha * other``."""
    n = E.AddBackward0()
    n.alpha = alpha
    return _binary_inplace(self, other, (lambda a, b: a + b) if alpha == 1 else (lambda a, b: a + alpha * b),
                           n, (), "add_")


def sub_(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """In-place ``self -= alpha * other``."""
    n = E.SubBackward0()
    n.alpha = alpha
    return _binary_inplace(self, other, (lambda a, b: a - b) if alpha == 1 else (lambda a, b: a - alpha * b),
                           n, (), "sub_")


def mul_(self: Tensor, other: Any) -> Tensor:
    """In-place ``self *= other``."""
    other_rg = isinstance(other, Tensor) and other._rg
    return _binary_inplace(
        self, other, lambda a, b: a * b, E.MulBackward0(),
        lambda: (_snapshot(self) if other_rg else None, other if self._rg else None), "mul_",
    )


def div_(self: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """In-place ``self /= other``."""
    if rounding_mode is not None:
        r = E.div(self, other, rounding_mode=rounding_mode)
        return copy_(self, r)
    other_rg = isinstance(other, Tensor) and other._rg
    return _binary_inplace(
        self, other, lambda a, b: a / b, E.DivBackward0(),
        lambda: (_snapshot(self) if other_rg else None, other), "div_",
    )


def _recording(self: Tensor, other: Any = None) -> bool:
    return STATE.grad_enabled and (self._rg or (isinstance(other, Tensor) and other._rg))


def _rebase(self: Tensor, result: Tensor) -> Tensor:
    """Make ``self`` hold ``result``'s value and history (an in-place op computed out of place)."""
    check_inplace(self)
    _write(self, result._data, "")
    self.grad_fn = result.grad_fn
    self._output_nr = result._output_nr
    self._rg = result._rg
    self._bump_version()
    return self


def _unary_inplace(fn: Any) -> Any:
    """The in-place twin of ``fn``: computed out of place, written back, history rebased."""
    def op(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        if _recording(self) or any(isinstance(a, Tensor) and a._rg and STATE.grad_enabled for a in args):
            return _rebase(self, fn(_snapshot(self), *args, **kwargs))
        _write(self, fn(self.detach(), *args, **kwargs)._data, fn.__name__ + "_")
        self._bump_version()
        return self
    op.__name__ = fn.__name__ + "_"
    op.__doc__ = f"In-place ``{fn.__name__}``."
    return op


exp_ = _unary_inplace(E.exp)
log_ = _unary_inplace(E.log)
sqrt_ = _unary_inplace(E.sqrt)
sin_ = _unary_inplace(E.sin)
cos_ = _unary_inplace(E.cos)
tanh_ = _unary_inplace(E.tanh)
sigmoid_ = _unary_inplace(E.sigmoid)
relu_ = _unary_inplace(E.relu)
abs_ = _unary_inplace(E.abs)
neg_ = _unary_inplace(E.neg)
reciprocal_ = _unary_inplace(E.reciprocal)
pow_ = _unary_inplace(E.pow)


def zero_(self: Tensor) -> Tensor:
    """Fill with zeros in place (the gradient through it is zero)."""
    if _recording(self):
        check_inplace(self)
        self._data[...] = 0
        record(self, ZeroBackward0(), (self,))
        self._output_nr = 0
    else:
        self._data[...] = 0
    self._bump_version()
    return self


def fill_(self: Tensor, value: Any) -> Tensor:
    """Fill with ``value`` in place (the gradient to the old value is zero)."""
    v = value._data if isinstance(value, Tensor) else value
    if _recording(self, value):
        check_inplace(self)
        self._data[...] = v
        n = FillBackward3() if isinstance(value, Tensor) else FillBackward2()
        record(self, n, (self,) if not isinstance(value, Tensor) else (self, value))
        self._output_nr = 0
    else:
        self._data[...] = v
    self._bump_version()
    return self


class ZeroBackward0(Node):
    __slots__ = ()
    formula = "self.zero_()"
    derivatives = ("0",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.zeros_like(g),)


class FillBackward2(Node):
    __slots__ = ()
    formula = "self.fill_(value)   (value a number)"
    derivatives = ("0",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.zeros_like(g),)


class FillBackward3(Node):
    __slots__ = ()
    formula = "self.fill_(value)   (value a 0-d tensor)"
    derivatives = ("0", "grad.sum()")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return F.zeros_like(g), F.sum(g)


def copy_(self: Tensor, src: Any, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` (broadcast, cast) into ``self`` in place.  d/dsrc = grad (summed back)."""
    s = src._data if isinstance(src, Tensor) else xp.asarray(src)
    if _recording(self, src):
        check_inplace(self)
        self._data[...] = xp.broadcast_to(s, self._data.shape)
        n = CopyBackwards()
        record(self, n, (self, src))
        self._output_nr = 0
    else:
        try:
            self._data[...] = xp.broadcast_to(s, self._data.shape)
        except ValueError:
            raise RuntimeError(
                f"output with shape {list(self._data.shape)} doesn't match the broadcast shape {list(s.shape)}"
            ) from None
    self._bump_version()
    return self


class CopyBackwards(Node):
    __slots__ = ()
    formula = "self.copy_(src)"
    derivatives = ("0", "grad")

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.zeros_like(g), g)
