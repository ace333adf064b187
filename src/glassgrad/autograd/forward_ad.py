"""``glassgrad.autograd.forward_ad``: forward-mode AD with dual tensors (PyTorch's API).

Inside ``with dual_level():``, ``make_dual(x, t)`` gives a tensor that carries a
*tangent* ``t`` beside its value; every op on it computes its result's tangent
``J @ t`` as it runs, and ``unpack_dual(y)`` returns ``(primal, tangent)``::

    with fwAD.dual_level():
        x = fwAD.make_dual(torch.tensor([1., 2.]), torch.tensor([1., 0.]))
        y = (x * x).sin()
        fwAD.unpack_dual(y).tangent      # d y / d x[0], all of y at once

How tangents are computed: mechanically, from each op's reverse-mode rule.
glassgrad writes one derivative rule per op, the vector-Jacobian product
``g -> Jᵀg``.  That map is linear in ``g``, so its transpose is the
Jacobian-vector product: ``J t = d/dg <Jᵀg, t>``.  ``_tangent`` runs the op's
rule on a symbolic ``g`` (a Tensor) with the differentiable namespace and
differentiates ``Σᵢ <ruleᵢ(g), tᵢ>`` with respect to ``g``.  So every op that has
a double backward (all of them, see ``tests/test_op_table.py``) has a forward
derivative, with no second set of formulas to keep in step, at the price of a
small reverse pass per op (a few hundred µs: forward mode here is for
understanding and checking, not for speed).  The tests compare each op's
tangent with real PyTorch's forward AD and with the reverse-mode Jacobian.

How dual tensors take part: a tensor with a tangent but no ``requires_grad`` is
marked ``fw_only`` and has ``_rg`` set internally, so ops record a node for it
(that is where the tangent is computed); the node is then dropped, the result
keeps only its tangent, and ``requires_grad`` still reads False — as in PyTorch.

Differences from PyTorch (documented, tested where it matters): tangents are not
propagated under ``no_grad`` (PyTorch propagates them); an in-place op on a dual
tensor replaces its tangent rather than updating it in place; a custom
``autograd.Function`` without a ``jvp`` staticmethod gets a tangent derived from
its ``backward`` where PyTorch raises (so forward mode checks a custom backward
too); the tangents' own ``grad_fn`` names come from the transposed rules.
"""

from __future__ import annotations

import weakref
from collections import namedtuple
from typing import Any

from .. import dtypes as D
from ..engine.node import Node
from ..tensor import Tensor
from .grad_mode import PLAIN

__all__ = ["dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual", "UnpackedDualTensor"]

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])
UnpackedDualTensor.__doc__ = "The (primal, tangent) pair ``unpack_dual`` returns; tangent is None when there is none."


class _ForwardState:
    """The one dual level (PyTorch allows no nesting) and the tensors carrying a tangent in it.

    Leaving the level visits those tensors (``duals``) and takes their tangents away.
    """

    def __init__(self) -> None:
        self.level: int | None = None
        self.busy = False       # inside a tangent computation (its own ops must not compute tangents)
        self.rule_only = False  # inside one whose result needs no graph beyond the upstream gradient
        # the tensors carrying a tangent, by id (weak: a WeakSet would compare tensors with ==, elementwise)
        self.duals: dict[int, weakref.ref[Tensor]] = {}

    @property
    def used(self) -> bool:
        """True inside a dual level once make_dual ran: until then ``record`` skips all this."""
        return PLAIN.forward_ad

    @used.setter
    def used(self, value: bool) -> None:
        PLAIN.forward_ad = bool(value)
        PLAIN.refresh()


FW = _ForwardState()


# ---------------------------------------------------------------------- levels
def enter_dual_level() -> int:
    """Start the dual level (0); PyTorch's error when one is already active."""
    if FW.level is not None:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    FW.level = 0
    return 0


def exit_dual_level(*, level: int | None = None) -> None:
    """End the dual level: every tangent made inside it is gone."""
    if FW.level is None or (level is not None and level != FW.level):
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. "
                           "This is not supported.")
    FW.level = None
    # the dual tensors become ordinary ones again, so ops stop paying for forward AD
    for ref in list(FW.duals.values()):
        t = ref()
        if t is not None:
            _clear(t)
    FW.duals.clear()
    FW.used = False


class dual_level:
    """Context manager for the forward-AD level: ``with dual_level(): ...`` (returns the level, 0)."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: Any) -> None:
        exit_dual_level()


# ---------------------------------------------------------------------- dual tensors
def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A view of ``tensor`` that carries ``tangent`` as its forward gradient."""
    if FW.level is None:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make sure to "
                           "enter_dual_level() first.")
    if not (tensor.is_floating_point() or tensor.is_complex()):
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if not (tangent.is_floating_point() or tangent.is_complex()):
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                           f"Tensor, this is not supported. Tensor is of size {list(tensor.shape)} while the given "
                           f"forward gradient is of size {list(tangent.shape)}.")
    if tangent.dtype != tensor.dtype:
        raise RuntimeError("Expected tangent to have the same dtype as the primal: primal is "
                           f"{tensor.dtype}, tangent is {tangent.dtype}")
    FW.used = True
    out = _alias(tensor)
    _set_tangent(out, tangent)
    return out


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)``: a view of the value without its tangent, and the tangent (or None)."""
    t = tangent_of(tensor)
    if t is None:
        return UnpackedDualTensor(tensor, None)
    return UnpackedDualTensor(_alias(tensor), t)


def _alias(tensor: Tensor) -> Tensor:
    """A view of ``tensor`` with the same autograd history and no tangent."""
    busy, FW.busy = FW.busy, True
    try:
        out = tensor.view(tuple(tensor.shape))
    finally:
        FW.busy = busy
    _clear(out)
    return out


def transposing_rule() -> bool:
    """True while forward AD runs a rule only to transpose it, with no graph wanted beyond the upstream
    gradient: a rule whose own derivative is missing (a second derivative PyTorch or glassgrad lacks)
    may then run, since the tangent needs only its linearity in ``grad``."""
    return FW.rule_only


def tangent_of(t: Tensor) -> Tensor | None:
    """The tangent ``t`` carries at the active level, or None."""
    ex = t._extra
    if ex is None:
        return None
    fw = ex.get("fw")
    if fw is None or FW.level is None:
        return None
    return fw


def _set_tangent(t: Tensor, tangent: Tensor) -> None:
    ex = t._extra_state()
    if not t._rg:          # a dual tensor that needs no gradient: ops must still see it (see module doc)
        ex["fw_only"] = True
        t._rg = True
    _store(t, ex, tangent)


def _store(t: Tensor, ex: dict[str, Any], tangent: Tensor) -> None:
    ex["fw"] = tangent
    FW.duals[id(t)] = weakref.ref(t)  # (to take it away when the level ends)


def move_tangent(src: Tensor, dst: Tensor) -> None:
    """``dst`` takes ``src``'s tangent (an in-place op computed out of place hands its result's over)."""
    tan = tangent_of(src)
    if tan is None:
        return
    ex = dst._extra_state()
    if "fw_only" in src._extra:
        ex["fw_only"] = True
        dst._rg = True
    else:
        ex.pop("fw_only", None)
    _store(dst, ex, tan)


def view_tangent_into_base(view: Tensor, base: Tensor, replace: Any) -> None:
    """After an in-place op on ``view`` (tangents only): ``base``'s tangent gets the view's in its place.

    ``replace(F, base_tangent, view_tangent)`` puts the second into the view's region of the first.
    """
    tan = tangent_of(view)
    if tan is None:
        return
    from ..ops._ns import TENSOR
    bt = tangent_of(base)
    busy, FW.busy = FW.busy, True
    try:
        new = replace(TENSOR, bt if bt is not None else base.detach() * 0, tan)
    finally:
        FW.busy = busy
    _set_tangent(base, new)


def view_tangents_from_root(root: Tensor, views: list[Tensor], take: Any) -> None:
    """After a root changed in place (tangents only): each live view's tangent is its part of the root's.

    ``take(F, root_tangent, view)`` cuts the view's region out of the root's tangent.
    """
    rt = tangent_of(root)
    if rt is None:
        return
    from ..ops._ns import TENSOR
    busy, FW.busy = FW.busy, True
    try:
        parts = [(v, take(TENSOR, rt, v)) for v in views if not v.requires_grad]
    finally:
        FW.busy = busy
    for v, part in parts:
        _set_tangent(v, part)


def _clear(t: Tensor) -> None:
    ex = t._extra
    if ex is None:
        return
    ex.pop("fw", None)
    if ex.pop("fw_only", None):
        t._rg = False


# ---------------------------------------------------------------------- the tangent of an op's result
class _TangentSlot(Node):
    """Stands in for the edge of an input that carries a tangent only, while its op's rule runs."""

    __slots__ = ()

    def __init__(self) -> None:
        self._next = ()
        self._seq = -1
        self._hooks = None
        self._saved = ()
        self._versions = None


_SLOT = _TangentSlot()


def after_record(outs: tuple[Tensor, ...], node: Any, inputs: tuple[Any, ...]) -> None:
    """Called by ``record`` (once ``make_dual`` has been used): give ``outs`` their tangents.

    When no input truly requires grad (only tangents flowed in), the node is
    dropped: the results keep their tangents and look like PyTorch's — no
    ``grad_fn``, ``requires_grad=False``.
    """
    tangents = [tangent_of(t) if isinstance(t, Tensor) else None for t in inputs]
    real = any(e is not None for e in node._next)
    if FW.busy or not any(tan is not None for tan in tangents):
        if not real:
            for o in outs:
                o.grad_fn = None
                o._rg = False
        return
    result = _tangent(node, inputs, tangents, outs)
    for o, tan in zip(outs, result):
        if not real:
            o.grad_fn = None
            o._rg = False
        if tan is not None:
            _set_tangent(o, tan)


def _tangent(node: Any, inputs: tuple[Any, ...], tangents: list[Any], outs: tuple[Tensor, ...]) -> list[Any]:
    """``J t`` for each output of ``node``, by transposing its reverse rule (see the module doc)."""
    from ..ops._ns import TENSOR
    from . import grad as _grad
    from .grad_mode import enable_grad

    floating = [D.FROM_NP[o._data.dtype].is_floating_point or D.FROM_NP[o._data.dtype].is_complex for o in outs]
    if not any(floating):
        return [None] * len(outs)
    keep = node._next
    # the rule skips inputs whose edge is None: give every input with a tangent an edge for this call
    node._next = tuple(e if e is not None or tan is None else (_SLOT, 0, t._data.shape, t._data.dtype)
                       for e, t, tan in zip(keep, inputs, tangents))
    busy, FW.busy = FW.busy, True
    try:
        create = any(isinstance(t, Tensor) and t.requires_grad for t in inputs) or \
            any(tan is not None and tan.requires_grad for tan in tangents)
        FW.rule_only = not create
        with enable_grad():
            gs = [Tensor._make(o._data * 0, requires_grad=f) if f else None for o, f in zip(outs, floating)]
            if node.n_outputs == 1:
                upstream = gs[0]
            else:  # one entry per output of the node, None for those not among ``outs``
                upstream = [None] * node.n_outputs
                for o, g in zip(outs, gs):
                    upstream[o._output_nr] = g
            rule = node.backward(TENSOR, upstream)
            total = None
            for r, tan in zip(rule, tangents):
                if r is None or tan is None:
                    continue
                term = (r * tan).sum() if r.dtype == tan.dtype else (r * tan.to(r.dtype)).sum()
                total = term if total is None else total + term
            wanted = [g for g in gs if g is not None]
            if total is None or not total.requires_grad:
                res = [g.detach() * 0 for g in wanted]
            else:
                res = list(_grad(total, wanted, create_graph=create, allow_unused=True, materialize_grads=True))
    finally:
        FW.busy = busy
        FW.rule_only = False
        node._next = keep
    it = iter(res)
    return [next(it) if f else None for f in floating]
