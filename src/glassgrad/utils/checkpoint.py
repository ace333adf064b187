"""Activation checkpointing: keep less for backward, recompute it there.

``checkpoint(function, *args, use_reentrant=...)`` runs ``function`` so that the
values its ops would save for backward are not kept; backward runs ``function``
again to get them.  Peak memory falls from "every intermediate of ``function``"
to "its inputs", at the price of a second forward.

* ``use_reentrant=True``: ``function`` runs under ``no_grad``; one node,
  ``CheckpointFunctionBackward``, recomputes it with gradients on and
  backpropagates through the recomputed graph.
* ``use_reentrant=False`` (PyTorch's recommendation): ``function`` is recorded
  as usual, but through ``saved_tensors_hooks`` that keep only a slot number;
  the first unpack in backward recomputes ``function`` once and hands each node
  its value back.  The graph looks exactly as without checkpointing.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from ..autograd.grad_mode import STATE, enable_grad, no_grad
from ..autograd.graph import saved_tensors_hooks
from ..creation import default_generator
from ..engine.node import Node
from ..ops._base import record
from ..tensor import Tensor

__all__ = ["checkpoint"]

_USE_REENTRANT_WARNING = (
    "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting in PyTorch 2.9, "
    "calling checkpoint without use_reentrant will raise an exception. use_reentrant=False is recommended, but if "
    "you need to preserve the current default behavior, you can pass use_reentrant=True. Refer to docs for more "
    "details on the differences between the two variants."
)


def checkpoint(function: Callable[..., Any], *args: Any, use_reentrant: bool | None = None,
               preserve_rng_state: bool = True, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)``, recomputed in backward instead of keeping its intermediates."""
    if use_reentrant is None:
        warnings.warn(_USE_REENTRANT_WARNING, UserWarning, stacklevel=2)
        use_reentrant = True
    rng = default_generator.get_state() if preserve_rng_state else None
    if use_reentrant:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        return _reentrant(function, args, rng)
    return _non_reentrant(function, args, kwargs, rng)


# ---------------------------------------------------------------------- use_reentrant=True
def _reentrant(function: Callable[..., Any], args: tuple[Any, ...], rng: Any) -> Any:
    with no_grad():
        out = function(*args)
    outs = out if isinstance(out, tuple) else (out,)
    if not STATE.grad_enabled or not any(isinstance(a, Tensor) and a._rg for a in args):
        return out
    node = CheckpointFunctionBackward()
    node.function, node.args, node.rng, node.n_outputs = function, args, rng, len(outs)
    record(outs[0], node, tuple(a if isinstance(a, Tensor) else None for a in args))
    for i, o in enumerate(outs[1:], 1):
        o.grad_fn, o._rg, o._output_nr = node, True, i
    return out


class CheckpointFunctionBackward(Node):
    """Recompute the checkpointed function with gradients on, then backpropagate through it."""

    __slots__ = ("function", "args", "rng", "n_outputs")
    formula = "checkpoint(function, *args)"
    derivatives = ("autograd.grad(function(*args), args, grads)   (function recomputed)",)

    def __repr__(self) -> str:
        return f"<torch.autograd.function.CheckpointFunctionBackward object at {hex(id(self))}>"

    def backward(self, F: Any, grads: Any) -> tuple[Any, ...]:
        from ..autograd import grad
        if self.args is None:
            from ..engine.node import FREED_MSG
            raise RuntimeError(FREED_MSG)
        grads = grads if self.n_outputs > 1 else [grads]
        inputs = [a.detach().requires_grad_(a._rg) if isinstance(a, Tensor) else a for a in self.args]
        saved_rng = default_generator.get_state() if self.rng is not None else None
        if self.rng is not None:
            default_generator.set_state(self.rng)
        try:
            with enable_grad():
                out = self.function(*inputs)
        finally:
            if saved_rng is not None:
                default_generator.set_state(saved_rng)
        outs = out if isinstance(out, tuple) else (out,)
        pairs = [(o, g) for o, g in zip(outs, grads) if g is not None and isinstance(o, Tensor) and o._rg]
        wanted = [t for t in inputs if isinstance(t, Tensor) and t._rg]
        if not pairs or not wanted:
            return tuple(None for _ in self.args)
        gs = [g if F.tensor_mode else Tensor._make(g) for _, g in pairs]
        found = iter(grad([o for o, _ in pairs], wanted, gs, allow_unused=True, create_graph=F.tensor_mode))
        result = []
        for a in inputs:
            g = next(found) if isinstance(a, Tensor) and a._rg else None
            result.append(g if g is None or F.tensor_mode else g._data)
        return tuple(result)

    def release(self) -> None:
        self.args = None


# ---------------------------------------------------------------------- use_reentrant=False
def _non_reentrant(function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], rng: Any) -> Any:
    frame = _Frame(function, args, kwargs, rng)
    with saved_tensors_hooks(frame.pack, frame.unpack):
        return function(*args, **kwargs)


class _Frame:
    """One checkpointed call: slot numbers stand in for saved values until backward recomputes them."""

    def __init__(self, function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
                 rng: Any) -> None:
        self.function, self.args, self.kwargs, self.rng = function, args, kwargs, rng
        self.count = 0
        self.values: list[Any] | None = None

    def pack(self, t: Tensor) -> int:
        self.count += 1
        return self.count - 1

    def unpack(self, slot: int) -> Tensor:
        if self.values is None:
            self._recompute()
        assert self.values is not None
        return self.values[slot]

    def _recompute(self) -> None:
        values: list[Any] = []
        inputs = [a.detach().requires_grad_(a._rg) if isinstance(a, Tensor) else a for a in self.args]
        saved_rng = default_generator.get_state() if self.rng is not None else None
        if self.rng is not None:
            default_generator.set_state(self.rng)
        try:
            with enable_grad(), saved_tensors_hooks(lambda t: values.append(t.detach()) or len(values) - 1,
                                                     lambda i: values[i]):
                self.function(*inputs, **self.kwargs)
        finally:
            if saved_rng is not None:
                default_generator.set_state(saved_rng)
        self.values = values
