"""``glassgrad.autograd.Function``: custom differentiable operations (``torch.autograd.Function``).

A subclass defines static ``forward`` and ``backward``; ``Cls.apply(*args)``
runs ``forward`` under ``no_grad`` and records one node, of a class named
``<Cls>Backward`` made for each subclass.  As in PyTorch, that node *is* the
``ctx`` object: ``y.grad_fn.saved_tensors`` and attributes set on ``ctx`` are
reachable from the output's ``grad_fn``.

Outputs saved with ``ctx.save_for_backward`` are kept as arrays
(``SavedOutput``) and rebuilt on demand, so the node never holds its outputs
(no reference cycle), exactly as built-in ops do.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

from ..engine.node import FREED_MSG, Node, SavedOutput, next_seq
from ..tensor import Tensor, check_saved_versions
from .grad_mode import STATE, no_grad, set_grad_enabled

__all__ = ["Function", "FunctionCtx", "BackwardCFunction", "once_differentiable", "InplaceFunction",
           "NestedIOFunction"]

#: the creation mode of a view output of a custom Function (in-place changes to it are forbidden)
CUSTOM_FUNCTION = "custom_function"

_BACKWARD_MSG = ("You must implement either the backward or vjp method for your custom autograd.Function "
                 "to use it with backward mode AD.")


class FunctionCtx:
    """What ``forward`` / ``setup_context`` receive as ``ctx``: saves values for ``backward``."""

    def save_for_backward(self, *tensors: Any) -> None:
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward can only save variables, but argument {i} is of type {type(t).__name__}"
                )
        self.to_save = tensors

    def save_for_forward(self, *tensors: Any) -> None:
        self.saved_for_forward = tensors

    def mark_dirty(self, *args: Any) -> None:
        self.dirty_tensors = args

    def mark_non_differentiable(self, *args: Any) -> None:
        self.non_differentiable = args

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value


class BackwardCFunction(Node, FunctionCtx):
    """The base of every ``<Cls>Backward`` node: runs the user's ``backward``."""

    _forward_cls: Any = None

    def __init__(self) -> None:
        self._next = ()
        self._saved = ()
        self._seq = next_seq()
        self._hooks = None
        self._versions = None
        self.to_save = None
        self.dirty_tensors = None
        self.non_differentiable = None
        self.materialize_grads = True
        self.needs_input_grad = ()
        self._out_meta: tuple[Any, ...] = ()
        self._in_tensor: tuple[bool, ...] = ()

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__} object at {hex(id(self))}>"

    # ------------------------------------------------------------------ saved values
    def release(self) -> None:
        self._saved = None

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        saved = self._saved
        if saved is None:
            raise RuntimeError(FREED_MSG)
        versions = self._versions
        if versions is not None:
            check_saved_versions(self, saved, versions)
        out = []
        for s in saved:
            if isinstance(s, SavedOutput):
                s = s.rebuild(self if s._rg else None)
            out.append(s)
        return tuple(out)

    @property
    def saved_variables(self) -> tuple[Any, ...]:
        return self.saved_tensors

    # ------------------------------------------------------------------ backward
    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        cls = self._forward_cls
        tensor_mode = F.tensor_mode
        grads = list(g) if self.n_outputs > 1 else [g]
        user_grads = []
        for gi, (shape, dtype) in zip(grads, self._out_meta):
            if gi is None:
                if self.materialize_grads:
                    from ..backends import backend
                    user_grads.append(Tensor._make(backend().xp.zeros(shape, dtype=dtype)))
                else:
                    user_grads.append(None)
            elif tensor_mode:
                user_grads.append(gi)
            else:
                user_grads.append(Tensor._make(gi if gi.ndim else gi.__array__()))
        backward_fn = cls.backward
        vjp_fn = cls.vjp
        if backward_fn is not Function.backward and vjp_fn is not Function.vjp:
            raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function is not allowed. "
                               "You should only implement one of them.")
        user_fn = vjp_fn if vjp_fn is not Function.vjp else backward_fn
        with set_grad_enabled(tensor_mode):
            res = user_fn(self, *user_grads)
        if not isinstance(res, tuple):
            res = (res,)
        n_in = len(self._next)
        if len(res) != n_in:
            if len(res) > n_in and all(r is None for r in res[n_in:]):
                res = res[:n_in]
            else:
                raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                                   f"(expected {n_in}, got {len(res)})")
        out: list[Any] = []
        for i, r in enumerate(res):
            if r is None:
                out.append(None)
                continue
            if not isinstance(r, Tensor):
                raise RuntimeError(f"expected Variable or None (got {type(r).__name__})")
            if not self._in_tensor[i]:
                raise RuntimeError(f"function {self.name()} returned a gradient different than None at position "
                                   f"{i + 1}, but the corresponding forward input was not a Variable")
            if self._next[i] is None:
                out.append(None)
            else:
                out.append(r if tensor_mode else r._data)
        return tuple(out)


class _DelayedError(Node):
    """``grad_fn`` of gradients computed by a ``@once_differentiable`` backward: differentiating fails."""

    def __init__(self, msg: str, n: int) -> None:
        self.msg = msg
        self.n_outputs = n
        self._saved = ()
        self._seq = next_seq()
        self._hooks = None
        self._versions = None

    def name(self) -> str:
        return "torch::autograd::Error"

    def backward(self, F: Any, g: Any) -> tuple[Any, ...]:
        raise RuntimeError(self.msg)


_DelayedError.__name__ = "Error"
_DelayedError.__qualname__ = "Error"


def once_differentiable(fn: Any) -> Any:
    """Run a ``backward`` without recording; differentiating its result again raises an error."""

    @functools.wraps(fn)
    def wrapper(ctx: Any, *args: Any) -> Any:
        with no_grad():
            outputs = fn(ctx, *args)
        if not STATE.grad_enabled:
            return outputs
        if not any(isinstance(a, Tensor) and a._rg for a in args):
            return outputs
        is_tuple = isinstance(outputs, tuple)
        outs = outputs if is_tuple else (outputs,)
        from ..ops._base import edge
        node = _DelayedError("trying to differentiate twice a function that was marked with @once_differentiable",
                             len(outs))
        node._next = tuple(edge(a) if isinstance(a, Tensor) else None for a in args)
        new = []
        for i, o in enumerate(outs):
            if isinstance(o, Tensor):
                t = Tensor._make(o._data)
                t.grad_fn = node
                t._rg = True
                t._output_nr = i
                o = t
            new.append(o)
        return tuple(new) if is_tuple else new[0]

    return wrapper


def _is_setup_context_defined(fn: Any) -> bool:
    return fn is not Function.setup_context


class Function(FunctionCtx):
    """Base class of custom differentiable operations; use ``Cls.apply(*args)``.

    >>> import glassgrad as torch
    >>> class Exp(torch.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         y = x.exp()
    ...         ctx.save_for_backward(y)
    ...         return y
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (y,) = ctx.saved_tensors
    ...         return g * y
    >>> Exp.apply(torch.zeros(2, requires_grad=True))
    tensor([1., 1.], grad_fn=<ExpBackward>)
    """

    _backward_cls: Any = BackwardCFunction
    generate_vmap_rule = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._backward_cls = type(cls.__name__ + "Backward", (BackwardCFunction,), {"_forward_cls": cls})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        warnings.warn(
            f"{self.__class__} should not be instantiated. Methods on autograd functions are all static, so you "
            "should invoke them on the class itself. Instantiating an autograd function will raise an error in a "
            "future version of PyTorch.",
            DeprecationWarning,
            stacklevel=2,
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use new-style autograd "
            "function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)"
        )

    @staticmethod
    def forward(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> Any:
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError(_BACKWARD_MSG)

    vjp = backward

    @staticmethod
    def jvp(ctx: Any, *grad_inputs: Any) -> Any:
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it "
                                  "with forward mode AD.")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is Function or cls.forward is Function.forward:
            raise NotImplementedError("You must implement the forward function for custom autograd.Function.")
        from ..ops._base import edge
        setup = _is_setup_context_defined(cls.setup_context)
        if setup:
            import inspect
            bound = inspect.signature(cls.forward).bind(*args, **kwargs)
            bound.apply_defaults()
            args = tuple(bound.args)
            kwargs = {}
        ctx = cls._backward_cls()
        in_tensor = tuple(isinstance(a, Tensor) for a in args)
        ctx._in_tensor = in_tensor
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._rg for a in args)
        is_executable = STATE.grad_enabled and any(ctx.needs_input_grad)
        # edges are taken before forward: an input modified in place keeps its old history as the edge
        nxt = tuple(edge(a) if isinstance(a, Tensor) else None for a in args) if is_executable else ()
        with no_grad():
            if setup:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        return _wrap_outputs(ctx, args, output, nxt, is_executable)


def _wrap_outputs(ctx: BackwardCFunction, args: tuple[Any, ...], output: Any, nxt: tuple[Any, ...],
                  is_executable: bool) -> Any:
    is_tuple = isinstance(output, tuple)
    outs = list(output) if is_tuple else [output]
    dirty = ctx.dirty_tensors or ()
    non_diff = ctx.non_differentiable or ()
    dirty_ids = {id(t) for t in dirty}
    input_ids = {id(a) for a in args if isinstance(a, Tensor)}
    out_ids = {id(o) for o in outs if isinstance(o, Tensor)}
    if dirty and not dirty_ids <= out_ids:
        raise RuntimeError("Some elements marked as dirty during the forward method were not returned as output. "
                           "The inputs that are modified inplace must all be outputs of the Function.")
    for t in dirty:
        t._bump_version()
    if is_executable:
        for t in dirty:
            if t.grad_fn is None and t._rg:
                raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
    nd_ids = {id(t) for t in non_diff}
    meta = []
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            meta.append(((), None))
            continue
        if id(o) in input_ids and id(o) not in dirty_ids:
            # an input returned unchanged: the output is a new tensor sharing its data (a view, in PyTorch)
            t = Tensor._make(o._data)
            t._vc = o._version_box()
            if is_executable:
                from ..ops.shape import _register_view
                root = o._base if o._base is not None else o
                t._base = root
                _register_view(root, t)
            o = outs[i] = t
        if is_executable and o._base is not None and id(o) not in dirty_ids:
            # PyTorch forbids modifying in place a view made by a custom Function (CreationMeta IN_CUSTOM_FUNCTION)
            ex = o._extra
            if ex is None:
                ex = o._extra = {}
            ex["cm"] = CUSTOM_FUNCTION
        d = o._data
        meta.append((d.shape, d.dtype))
        if not is_executable:
            continue
        if id(o) in nd_ids or d.dtype.kind not in "fc":
            if id(o) in dirty_ids:
                o.grad_fn = None
                o._rg = False
            continue
        o.grad_fn = ctx
        o._rg = True
        o._output_nr = i
    ctx._out_meta = tuple(meta)
    # the node must not hold its outputs (a reference cycle): drop the marks now that they are applied
    ctx.dirty_tensors = None
    ctx.non_differentiable = None
    if is_executable:
        ctx._next = nxt
        ctx.n_outputs = len(outs)
        ctx._seq = next_seq()
    _save(ctx, outs, is_executable)
    from .forward_ad import FW
    if FW.used and is_executable:
        _forward_tangents(ctx, args, outs)
    return tuple(outs) if is_tuple else outs[0]


def _forward_tangents(ctx: BackwardCFunction, args: tuple[Any, ...], outs: list[Any]) -> None:
    """Forward AD through a custom Function: its own ``jvp`` when it defines one (as PyTorch requires);
    otherwise — where PyTorch raises — the tangent derived from its ``backward``, as for every op
    (see autograd/forward_ad.py), so that forward mode checks a custom backward too."""
    from .forward_ad import _set_tangent, after_record, tangent_of
    tensors = tuple(o for o in outs if isinstance(o, Tensor) and o.grad_fn is ctx)
    if not tensors:
        return
    fn_cls = type(ctx)._forward_cls
    if fn_cls.jvp is Function.jvp:
        after_record(tensors, ctx, args)
        return
    tangents = [tangent_of(a) if isinstance(a, Tensor) else None for a in args]
    if all(t is None for t in tangents):
        return
    res = fn_cls.jvp(ctx, *tangents)
    res = res if isinstance(res, tuple) else (res,)
    for o, tan in zip(outs, res):
        if isinstance(o, Tensor) and tan is not None:
            _set_tangent(o, tan)


def _save(ctx: BackwardCFunction, outs: list[Any], is_executable: bool) -> None:
    to_save = ctx.to_save
    ctx.to_save = None
    if not to_save:
        ctx._saved = ()
        ctx._versions = None
        return
    saved: list[Any] = []
    versions: list[Any] = []
    for t in to_save:
        if t is None:
            saved.append(None)
            versions.append(None)
            continue
        nr = next((i for i, o in enumerate(outs) if o is t), None)
        if nr is not None and is_executable:
            s = SavedOutput(t._data, t._version_box(), nr)
            saved.append(_SavedOut(s, t.grad_fn is ctx))
            versions.append(s.version)
        else:
            saved.append(t)
            versions.append(t._version)
    ctx._saved = tuple(saved)
    ctx._versions = tuple(versions)


class _SavedOut(SavedOutput):
    """A saved output that remembers whether it is differentiable (rebuilt with the node as grad_fn)."""

    __slots__ = ("_rg",)

    def __init__(self, s: SavedOutput, rg: bool) -> None:
        super().__init__(s.data, s._vc, s.output_nr)
        self.version = s.version
        self._rg = rg


class InplaceFunction(Function):
    """A Function with an ``inplace`` flag (PyTorch's legacy helper)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace


class NestedIOFunction(Function):
    """Legacy nested-input Function: not supported in glassgrad."""
