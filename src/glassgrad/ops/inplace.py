"""In-place ops (``add_``, ``mul_``, ``zero_``…), the version counter, views, and PyTorch's in-place errors.

An in-place op writes into the tensor's storage, bumps its version (shared
with its views) and, when recording, makes the tensor's ``grad_fn`` the op's
node, whose edge for ``self`` is the tensor's previous history.

When the tensor is a view, one mechanism serves every op (``_rebase_history``,
after PyTorch's ``rebase_history``): the root's history becomes a
``CopySlices`` node that wraps the op's node, applied to the view's region of
the root, and every live view of the root gets an ``AsStridedBackward0``
(its region of the root's new history), as PyTorch's views do when their base
changed.  The region is read from the NumPy strides (``_Region``), so any view
(select, slice, transpose, diagonal, view of a view...) works the same way.

Every in-place op follows the same steps: ``_begin`` (PyTorch's checks, before
writing), the write, ``record`` of its node on ``self`` when recording, then
``_commit`` (version bump and ``_rebase_history``).  An op computed out of
place from ``_snapshot(self)`` uses ``_rebase`` for all of it.

Note: PyTorch regenerates a view's ``grad_fn`` lazily, when it is read;
glassgrad's ``grad_fn`` is a plain attribute, so the views are updated at once
(the root keeps weak references to them).  A view PyTorch would refuse to use
then (multi-output or ``no_grad`` views) gets an ``Invalid`` node, printed
``<Invalid>`` as PyTorch prints it, that raises PyTorch's error when a
gradient reaches it.
"""

from __future__ import annotations

from typing import Any

from ..autograd.forward_ad import move_tangent, view_tangent_into_base, view_tangents_from_root
from ..engine.engine import _validate
from ..engine.node import FREED_MSG, SavedOutput, next_seq
from . import elementwise as E
from ._base import FROM_NP, STATE, Node, Tensor, edge, record, xp
from ._ns import register_rule_fn
from .scatter import embed, zero_at
from .shape import INFERENCE, MULTI, live_views

LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."
VIEW_OF_LEAF_INPLACE = "a view of a leaf Variable that requires grad is being used in an in-place operation."
OVERLAP = (
    "unsupported operation: more than one element of the written-to tensor refers to a single memory location. "
    "Please clone() the tensor before performing the operation."
)
INFERENCE_INPLACE = (
    "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to get a "
    "normal tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for more details."
)


# ====================================================================== the checks before writing
def _short(name: str) -> str:
    i = name.rfind("Backward")
    return name[:i] if i > 0 else name


def _view_error(view: Tensor, indirect: bool) -> str:
    """PyTorch's message for modifying a view its creation mode protects (``handle_view_on_rebase``)."""
    cm = view._extra["cm"]
    fn = view.grad_fn
    if isinstance(fn, Invalid):
        fn = fn.prev
    what = "its base or another view of its base has been" if indirect else "is being"
    if cm == "custom_function" and fn is not None:  # a view returned by an autograd.Function
        return (f"Output {view._output_nr} of {_short(fn.name())} is a view and {what} modified inplace. This view "
                "was created inside a custom Function (or because an input was returned as-is) and the autograd "
                "logic to handle view+inplace would override the custom backward associated with the custom "
                "Function, leading to incorrect gradients. This behavior is forbidden. You can fix this by cloning "
                "the output of the custom Function.")
    if cm != MULTI or fn is None:
        prefix = (f"Output {view._output_nr} of {_short(fn.name())} is a view of a view which was created in"
                  if fn is not None else "A view was created in")
        if cm == INFERENCE:
            msg = f"{prefix} inference mode and {what} modified inplace in normal mode."
        else:
            msg = f"{prefix} no_grad mode and {what} modified inplace with grad mode enabled."
    else:
        msg = f"Output {view._output_nr} of {_short(fn.name())} is a view and {what} modified inplace."
    if cm == MULTI:
        return msg + (
            " This view is the output of a function that returns multiple views. Such functions do not allow the "
            "output views to be modified inplace. You should replace the inplace operation by an out-of-place one."
        )
    block = "inference_mode" if cm == INFERENCE else "no_grad"
    return msg + (
        " Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by "
        f"moving both the view and the inplace either both inside the {block} block (if you don't want the "
        "inplace to be tracked) or both outside (if you want the inplace to be tracked)."
    )


def check_inplace(self: Tensor, op: str = "", *, requires_grad: bool = False) -> None:
    """PyTorch's errors for in-place ops that autograd cannot allow (``requires_grad``: another input does)."""
    if not STATE.grad_enabled:
        return
    base = self._base
    if not (self._rg or requires_grad or (base is not None and base._rg)):
        return
    rg = self.requires_grad  # not _rg: a forward-AD dual tensor may carry a tangent only
    if base is not None:
        ex = self._extra
        if ex is not None and ex.get("cm") is not None:
            raise RuntimeError(_view_error(self, False))
        if rg and base.grad_fn is None and base.requires_grad:
            raise RuntimeError(VIEW_OF_LEAF_INPLACE)
    if rg and self.grad_fn is None:
        raise RuntimeError(LEAF_INPLACE)


def _recording(self: Tensor, other: Any = None) -> bool:
    """True when an in-place op on ``self`` (with ``other``) must be recorded."""
    if not STATE.grad_enabled:
        return False
    if self._rg or (isinstance(other, Tensor) and other._rg):
        return True
    base = self._base
    return base is not None and base._rg


def _begin(self: Tensor, *others: Any) -> bool:
    """The checks every in-place op makes before writing; True when it must be recorded."""
    ex = self._extra
    if ex is not None and ex.get("inference") and not STATE.inference:
        raise RuntimeError(INFERENCE_INPLACE)
    rg = any(isinstance(o, Tensor) and o._rg for o in others)
    recording = _recording(self) or (rg and STATE.grad_enabled)
    if recording:
        check_inplace(self, requires_grad=rg)
    return recording


def _write(self: Tensor, result: Any, opname: str) -> None:
    """Store ``result`` into ``self``'s storage, with PyTorch's errors for a wider dtype or shape."""
    d = self._data
    rdt = getattr(result, "dtype", None)
    if rdt is not None and rdt != d.dtype:
        rk, sk = FROM_NP[rdt], FROM_NP[d.dtype]
        if rk.category > sk.category:
            raise RuntimeError(
                f"result type {rk.scalar_name} can't be cast to the desired output type {sk.scalar_name}"
            )
    if d.shape != getattr(result, "shape", d.shape):
        try:
            xp.broadcast_to(result, d.shape)
        except ValueError:
            raise RuntimeError(
                f"output with shape {list(d.shape)} doesn't match the broadcast shape {list(result.shape)}"
            ) from None
    if self._base is not None:
        _check_overlap(d)
    d[...] = result


def _check_overlap(d: Any) -> None:
    """PyTorch refuses to write through a view whose elements share memory (an expanded tensor)."""
    for n, st in zip(d.shape, d.strides):
        if st == 0 and n > 1:
            raise RuntimeError(OVERLAP)


# ====================================================================== after writing: history of views
def _commit(self: Tensor, fn: Node | None) -> Tensor:
    """Finish an in-place op whose result is in ``self``: bump the version, then fix the history.

    ``fn`` is the op's node when it was recorded (already ``self.grad_fn``).
    """
    self._bump_version()
    _rebase_history(self, fn)
    return self


def _rebase_history(self: Tensor, fn: Node | None, old: tuple[Any, int] | None = None) -> None:
    """Make the graph right after an in-place op on ``self`` (its version already bumped).

    Not a view: ``self.grad_fn`` is ``fn`` already; its live views get their region of it.  A view: the
    root's history becomes ``CopySlices(fn)`` and every live view (``self`` too) an ``AsStridedBackward0``
    of it.  ``old`` is ``self``'s history before the op (``fn``'s first edge by default), whose
    ``retain_grad`` moves to the new history, as in PyTorch.  Ops that record themselves on ``self``
    call this (through ``_commit``) instead of only bumping the version.
    """
    base = self._base
    if fn is not None and self.grad_fn is not fn:
        fn = None  # forward AD: only tangents flowed in, ``record`` dropped the node (autograd/forward_ad.py)
    if fn is None and self._extra is not None and "fw" in self._extra:
        _tangents_after_inplace(self)  # no graph to rebase, but tangents to keep consistent
    if fn is not None and old is None and fn._next and fn._next[0] is not None:
        old = fn._next[0][:2]
    if base is None:
        if fn is not None and old is not None:
            _move_retain(self, old, fn)
        _refresh_views(self)
        return
    if fn is not None:
        cs = CopySlices()
        cs.region = _Region(base._data, self._data)
        e0 = fn._next[0] if fn._next else None
        if e0 is None or (old is not None and e0[0] is old[0] and e0[1] == old[1]):
            cs.fn = fn  # PyTorch's CopySlices: fn's input 0 is the view's old value
            rest = fn._next[1:]
        else:  # fn's graph reaches the old value some other way: the region is simply replaced
            cs.fn = None
            rest = ((fn, self._output_nr, self._data.shape, self._data.dtype),)
        root_old = (base.grad_fn, base._output_nr) if base.grad_fn is not None else None
        _init_node(cs, (edge(base),) + tuple(rest))
        if root_old is not None:
            _move_retain(base, root_old, cs)
        base.grad_fn = cs
        base._output_nr = 0
        base._rg = True
    _refresh_views(base)
    if fn is not None and old is not None and self.grad_fn is not fn:
        _move_retain(self, old, self.grad_fn)  # the view's own retain_grad, from its history before the op


def _init_node(n: Node, next_edges: tuple[Any, ...]) -> None:
    n._next = next_edges
    n._seq = next_seq()
    n._hooks = None
    n._saved = ()
    n._versions = None


def _move_retain(t: Tensor, old: tuple[Any, int], new: Node) -> None:
    """``t.retain_grad()`` follows ``t`` to its new history (tensor hooks stay with the old value)."""
    node, nr = old
    h = node._hooks if node is not None else None
    if not h or "retain" not in h:
        return
    ref = h["retain"].get(nr)
    if ref is not None and ref() is t:
        del h["retain"][nr]
        new._hook_state().setdefault("retain", {})[0] = ref


def _refresh_views(root: Tensor) -> None:
    """Every live view of ``root`` now shows part of the root's new history (PyTorch regenerates a view's
    grad_fn when the version it was made at is stale): ``AsStridedBackward0``, or ``Invalid`` for a
    view whose creation mode forbids it."""
    if not root.requires_grad and root.grad_fn is None:  # (a forward-AD dual root carries a tangent only)
        return
    views = live_views(root)
    if not views:
        return
    root_edge = edge(root)
    for v in views:
        if isinstance(v.grad_fn, Invalid):
            continue
        ex = v._extra
        if ex is not None and ex.get("cm") is not None:
            n = Invalid()
            n.message = _view_error(v, True)
            n.prev = v.grad_fn
            _init_node(n, ())
            v.grad_fn = n
            v._rg = True
            continue
        n = AsStridedBackward0()
        n.region = _Region(root._data, v._data)
        _init_node(n, (root_edge,))
        if v.grad_fn is not None:
            _move_retain(v, (v.grad_fn, v._output_nr), n)
        v.grad_fn = n
        v._rg = True
        v._output_nr = 0


class _Region:
    """Where a view's elements lie in its root, found from the two arrays' strides when first needed
    and turned into an index key.  ``key`` is None when the view is the whole root in order (a reshape)."""

    __slots__ = ("root", "view", "_key", "_done")

    def __init__(self, root: Any, view: Any) -> None:
        self.root, self.view = root, view  # the arrays (the view's memory is the root's anyway)
        self._done = False

    @property
    def shape(self) -> tuple[int, ...]:
        return self.view.shape

    @property
    def root_shape(self) -> tuple[int, ...]:
        return self.root.shape

    @property
    def overlap(self) -> bool:
        return any(s == 0 and n > 1 for n, s in zip(self.view.shape, self.view.strides))

    @staticmethod
    def _offsets(shape: tuple[int, ...], strides: tuple[int, ...], start: int) -> Any:
        out = xp.full(shape, start, dtype=xp.int64)
        for i, (n, s) in enumerate(zip(shape, strides)):
            sh = [1] * len(shape)
            sh[i] = n
            out = out + xp.arange(n, dtype=xp.int64).reshape(sh) * s
        return out

    @property
    def key(self) -> Any:
        if self._done:
            return self._key
        root, view = self.root, self.view
        isz = root.itemsize
        rs, n = root.shape, root.size
        offset = (view.__array_interface__["data"][0] - root.__array_interface__["data"][0]) // isz
        pos = self._offsets(view.shape, tuple(s // isz for s in view.strides), offset)
        contiguous, step = True, 1
        for k, s in zip(reversed(rs), reversed(root.strides)):
            if k > 1 and s != step * isz:
                contiguous = False
            step *= k
        if not contiguous:  # memory offset -> position in the root's logical (C) order
            mem = self._offsets(rs, tuple(s // isz for s in root.strides), 0).reshape(-1)
            inv = xp.full(int(mem.max()) + 1 if n else 0, -1, dtype=xp.int64)
            inv[mem] = xp.arange(n)
            pos = inv[pos]
        if pos.size and (pos.min() < 0 or pos.max() >= n):
            raise RuntimeError("internal error: a view does not lie inside its base")
        if pos.size == n and not self.overlap and bool((pos.reshape(-1) == xp.arange(n)).all()):
            self._key = None
        else:
            self._key = xp.unravel_index(pos, rs) if rs else ()
        self._done = True
        return self._key

    # the region as functions of the namespace F (arrays or differentiable Tensors)
    def take(self, F: Any, g: Any) -> Any:
        """The view's part of a gradient for the root."""
        key = self.key
        return F.reshape(g, self.shape) if key is None else F.take_key(g, key)

    def place(self, F: Any, g: Any) -> Any:
        """A gradient for the view placed in zeros of the root's shape."""
        key = self.key
        return F.reshape(g, self.root_shape) if key is None else F.embed(g, self.root_shape, key, self.overlap)

    def replace(self, F: Any, g: Any, r: Any) -> Any:
        """``g`` (root-shaped) with the view's part replaced by ``r``."""
        key = self.key
        return F.reshape(r, self.root_shape) if key is None else F.put_at(g, key, r)

    def clear(self, F: Any, g: Any) -> Any:
        """``g`` with the view's part zeroed."""
        key = self.key
        return F.zeros_like(g) if key is None else F.zero_at(g, key)


def _put_at_array(g: Any, key: Any, r: Any) -> Any:
    out = xp.array(g, copy=True)
    out[key] = r
    return out


def _put_at_tensor(g: Tensor, key: Any, r: Tensor) -> Tensor:
    return E.add(zero_at(g, key), embed(r, g._data.shape, key, False))


register_rule_fn("put_at", _put_at_array, _put_at_tensor)


class CopySlices(Node):
    """The root's history after an in-place op ``fn`` on one of its views.

    The gradient's region of the view goes through ``fn``'s rule; ``fn``'s gradient for the view's old
    value replaces that region in the gradient for the root's old value, and its gradients for the op's
    other inputs pass through (PyTorch's ``CopySlices``).  With no ``fn`` (the op's graph reaches the old
    value by itself), the region goes to the op's result instead.
    """

    __slots__ = ("fn", "region")
    formula = "root with root[view] = fn(root[view], ...)   (in-place fn on a view)"
    derivatives = ("grad with grad[view] = fn's gradient for the view", "fn's gradients for its other inputs")

    def name(self) -> str:
        return "torch::autograd::CopySlices"

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        if self._saved is None:
            raise RuntimeError(FREED_MSG)
        region, fn = self.region, self.fn
        part = region.take(F, g)
        if fn is None:
            return (region.clear(F, g) if self._next[0] is not None else None, part)
        res = list(fn.backward(F, part))
        if self._next[0] is None:
            res[0] = None
        elif res[0] is None or fn._next[0] is None:
            res[0] = region.clear(F, g)
        else:
            res[0] = region.replace(F, g, _validate(fn, 0, res[0], fn._next[0], F))
        return tuple(res)

    def release(self) -> None:
        self._saved = None
        if self.fn is not None:
            self.fn.release()


class AsStridedBackward0(Node):
    """A view's history once its root changed in place: its region of the root."""

    __slots__ = ("region",)
    formula = "self.as_strided(size, stride, storage_offset)   (a view, after its base changed in place)"
    derivatives = ("zeros(self.shape) with grad placed at the view's elements (summed where they overlap)",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (self.region.place(F, g),)


class Invalid(Node):
    """The history of a view that PyTorch forbids using after its base changed in place."""

    __slots__ = ("message", "prev")
    formula = "(a multi-output or no_grad view whose base was modified in place)"
    derivatives = ("error",)

    def name(self) -> str:
        return "Invalid"

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        raise RuntimeError(self.message)


# ====================================================================== in-place ops
def _snapshot(self: Tensor) -> Tensor:
    """The value and history ``self`` had before an in-place op, for a rule that needs it."""
    t = Tensor._make(self._data.copy())
    t.grad_fn = self.grad_fn
    t._output_nr = self._output_nr
    t._rg = self._rg
    if self._extra is not None and "fw" in self._extra:
        move_tangent(self, t)
    return t


def _rebase(self: Tensor, result: Tensor) -> Tensor:
    """Make ``self`` hold ``result``'s value and history (an in-place op computed out of place,
    typically from ``_snapshot(self)``)."""
    fn = result.grad_fn
    recording = fn is not None and STATE.grad_enabled
    _begin(self, result if recording else None)
    old = (self.grad_fn, self._output_nr) if self.grad_fn is not None else None
    _write(self, result._data, "")
    if recording:
        self.grad_fn = fn
        self._output_nr = result._output_nr
        self._rg = True
    self._bump_version()
    if recording:
        _alias_saved_output(fn, result, self)
    if result._extra is not None and "fw" in result._extra:
        move_tangent(result, self)
    _rebase_history(self, fn if recording else None, old)
    return self


def _tangents_after_inplace(self: Tensor) -> None:
    """Forward AD with tangents only (no graph to rebase): an in-place change of ``self`` reaches its
    root's tangent (when ``self`` is a view) and every other live view's tangent, as PyTorch's tangents,
    which are views of one another, would."""
    root = self._base if self._base is not None else self
    if root is not self:
        view_tangent_into_base(self, root, lambda F, bt, vt: _Region(root._data, self._data).replace(F, bt, vt))
    views = [v for v in live_views(root) if v is not self]
    view_tangents_from_root(root, views, lambda F, rt, v: _Region(root._data, v._data).take(F, rt))


def _alias_saved_output(fn: Node, result: Tensor, self: Tensor) -> None:
    """A rule that saved ``result`` (its own output) now refers to ``self``, which holds that value:
    changing ``self`` in place later is then reported, as in PyTorch."""
    vc = result._vc
    if vc is None or not fn._saved:
        return
    versions = list(fn._versions or (None,) * len(fn._saved))
    for i, s in enumerate(fn._saved):
        if isinstance(s, SavedOutput) and s._vc is vc:
            s._vc = self._version_box()
            s.version = versions[i] = self._vc[0]
            s.data = self._data
    fn._versions = tuple(versions)


def _binary_inplace(self: Tensor, other: Any, fn: Any, node: Node | None, saved: Any, opname: str) -> Tensor:
    recording = _begin(self, other)
    a, b = E.operands(self, other)
    result = fn(a, b)
    if recording and node is not None:
        saved_vals = saved() if callable(saved) else saved
        _write(self, result, opname)
        record(self, node, (self, other), saved_vals)
        self._output_nr = 0
        return _commit(self, node)
    _write(self, result, opname)
    return _commit(self, None)


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
        lambda: (_snapshot(self) if other_rg else None, other if _recording(self) else None), "mul_",
    )


def div_(self: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """In-place ``self /= other``."""
    if rounding_mode is not None:
        if _recording(self, other):
            return _rebase(self, E.div(_snapshot(self), other, rounding_mode=rounding_mode))
        with_no_grad = E.div(self.detach(), other, rounding_mode=rounding_mode)
        _begin(self)
        _write(self, with_no_grad._data, "div_")
        return _commit(self, None)
    other_rg = isinstance(other, Tensor) and other._rg
    return _binary_inplace(
        self, other, lambda a, b: a / b, E.DivBackward0(),
        lambda: (_snapshot(self) if other_rg else None, other), "div_",
    )


def _unary_inplace(fn: Any) -> Any:
    """The in-place twin of ``fn``: computed out of place, written back, history rebased."""
    def op(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        if STATE.grad_enabled and (_recording(self) or any(isinstance(a, Tensor) and a._rg
                                                           for a in (*args, *kwargs.values()))):
            return _rebase(self, fn(_snapshot(self), *args, **kwargs))
        _begin(self)
        _write(self, fn(self.detach(), *args, **kwargs)._data, fn.__name__ + "_")
        return _commit(self, None)
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
    return _overwrite(self, lambda: 0, ZeroBackward0)  # (PyTorch allows zero_ on an expanded tensor)


def _overwrite(self: Tensor, values: Any, node_cls: type[Node]) -> Tensor:
    """Write ``values()`` over all of ``self`` in place; the old value gets no gradient (``node_cls``)."""
    recording = _begin(self)
    self._data[...] = values()
    if recording:
        node = node_cls()
        record(self, node, (self,))
        self._output_nr = 0
        return _commit(self, node)
    return _commit(self, None)


def fill_(self: Tensor, value: Any) -> Tensor:
    """Fill with ``value`` in place (the gradient to the old value is zero)."""
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(
            "fill_ only supports 0-dimension value tensor but got tensor with "
            f"{value._data.ndim} dimensions."
        )
    recording = _begin(self, value)
    v = value._data if isinstance(value, Tensor) else value
    if self._base is not None and isinstance(value, Tensor):
        _check_overlap(self._data)
    self._data[...] = v
    if recording:
        n = FillBackward3() if isinstance(value, Tensor) else FillBackward2()
        record(self, n, (self,) if not isinstance(value, Tensor) else (self, value))
        self._output_nr = 0
        return _commit(self, n)
    return _commit(self, None)


def uniform_(self: Tensor, from_: float = 0.0, to: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with U[from, to) numbers from glassgrad's generator (the gradient to the old value is zero)."""
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={from_} > to={to}")
    return _random_fill(self, "check_uniform_bounds", lambda rng: rng.uniform(from_, to, self._data.shape),
                        UniformBackward0, generator)


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with N(mean, std²) numbers from glassgrad's generator (the gradient to the old value is zero)."""
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    return _random_fill(self, "normal_kernel_cpu", lambda rng: rng.normal(mean, std, self._data.shape),
                        NormalBackward0, generator)


def _random_fill(self: Tensor, kernel: str, draw: Any, node_cls: type[Node], generator: Any = None) -> Tensor:
    from ..creation import _rng
    if self._data.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{FROM_NP[self._data.dtype].scalar_name}\'')
    return _overwrite(self, lambda: draw(_rng(generator)), node_cls)


class ZeroBackward0(Node):
    __slots__ = ()
    formula = "self.zero_()"
    derivatives = ("0",)

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.zeros_like(g),)


class UniformBackward0(ZeroBackward0):
    __slots__ = ()
    formula = "self.uniform_(from, to)"


class NormalBackward0(ZeroBackward0):
    __slots__ = ()
    formula = "self.normal_(mean, std)"


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
    recording = _begin(self, src)
    try:
        b = xp.broadcast_to(s, self._data.shape)
    except ValueError:
        raise RuntimeError(
            f"output with shape {list(self._data.shape)} doesn't match the broadcast shape {list(s.shape)}"
        ) from None
    if self._base is not None:
        _check_overlap(self._data)
    self._data[...] = b
    if recording:
        n = CopyBackwards()
        record(self, n, (self, src))
        self._output_nr = 0
        return _commit(self, n)
    return _commit(self, None)


class CopyBackwards(Node):
    __slots__ = ()
    formula = "self.copy_(src)"
    derivatives = ("0", "grad")

    def name(self) -> str:
        return "torch::autograd::CopyBackwards"

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        return (F.zeros_like(g), g)


def _late_inplace() -> dict[str, Any]:
    from . import shape as S
    return {"tril_": _unary_inplace(S.tril), "triu_": _unary_inplace(S.triu)}


METHODS: dict[str, Any] = {
    "add_": add_, "sub_": sub_, "mul_": mul_, "div_": div_, "pow_": pow_, "zero_": zero_, "fill_": fill_,
    "uniform_": uniform_, "normal_": normal_,
    "copy_": copy_, "exp_": exp_, "log_": log_, "sqrt_": sqrt_, "sin_": sin_, "cos_": cos_, "tanh_": tanh_,
    "sigmoid_": sigmoid_, "relu_": relu_, "abs_": abs_, "neg_": neg_, "reciprocal_": reciprocal_,
    "subtract_": sub_, "multiply_": mul_, "divide_": div_, "negative_": neg_, "absolute_": abs_,
    **_late_inplace(),
}
