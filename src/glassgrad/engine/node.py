"""Graph nodes: what an op records so that backward can run later.

A node is an explicit, inspectable object (never a closure).  It holds:

* ``_next``: one *edge* per differentiable input, ``(node, output_nr, shape, dtype)``
  or ``None`` for an input that needs no gradient.  The shape and dtype are the
  input's, so the engine can un-broadcast and cast every gradient centrally.
* ``_saved``: the values the derivative needs (input Tensors, ``SavedOutput``
  records, Python scalars), released after backward unless ``retain_graph``.
* ``_seq``: a creation sequence number; the engine runs the newest ready node first.

Note: a node never holds the Tensor it produced (that would be a reference
cycle); outputs it needs are saved as arrays (``SavedOutput``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

_sequence = itertools.count()
next_seq = _sequence.__next__

#: the Tensor class, set by ``tensor.py`` (which imports this module)
Tensor: Any = None
#: classes of saved values that backward uses as they are (tensor.py adds the backend's array type)
AS_IS = {type(None), float, int, bool}

FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` takes the hook out again."""

    _ids = itertools.count()

    def __init__(self, hooks: dict[int, Any]) -> None:
        self.id = next(self._ids)
        self._hooks = hooks

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


class SavedOutput:
    """An op's own output kept for its backward, as an array (not the Tensor: no cycle).

    ``vc`` is the output Tensor's version box, so an in-place change to the output
    before backward is detected; ``version`` is its value when saved.
    """

    __slots__ = ("data", "_vc", "version", "output_nr")

    def __init__(self, data: Any, vc: list[int], output_nr: int = 0) -> None:
        self.data = data
        self._vc = vc
        self.version = vc[0]
        self.output_nr = output_nr

    def rebuild(self, node: Node | None) -> Any:
        """The output as a Tensor again, sharing the version box; with ``node`` as its grad_fn unless None
        (made on demand, so the node never holds its own output: no cycle)."""
        from ..tensor import Tensor
        t = Tensor._make(self.data)
        if node is not None:
            t.grad_fn = node
            t._rg = True
            t._output_nr = self.output_nr
        t._vc = self._vc
        return t


class Node:
    """Base class of every ``grad_fn``; subclasses are named as PyTorch names them."""

    __slots__ = ("_next", "_saved", "_seq", "_hooks", "_versions", "__weakref__")

    #: number of outputs (1 for almost every op)
    n_outputs = 1
    #: the forward formula and derivative rules, for docs and the graph viewer
    formula = ""
    derivatives: tuple[str, ...] = ()

    # ------------------------------------------------------------------ identity
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    @property
    def next_functions(self) -> tuple[tuple[Node | None, int], ...]:
        return tuple((None, 0) if e is None else (e[0], e[1]) for e in self._next)

    @property
    def metadata(self) -> dict[str, Any]:
        h = self._hook_state()
        return h.setdefault("metadata", {})

    def _sequence_nr(self) -> int:
        return self._seq

    # ------------------------------------------------------------------ backward
    def backward(self, F: Any, grad: Any) -> tuple[Any, ...]:  # pragma: no cover - abstract
        """Return one gradient per entry of ``_next`` (``None`` where not needed)."""
        raise NotImplementedError

    def needs(self, i: int) -> bool:
        """True when input ``i`` needs a gradient (PyTorch's ``needs_input_grad``)."""
        return self._next[i] is not None

    def release(self) -> None:
        """Free saved values (after a backward without ``retain_graph``)."""
        if self._saved:
            self._saved = None

    def unpack(self, F: Any) -> tuple[Any, ...]:
        """The saved values, checked for in-place changes, as arrays or as Tensors."""
        saved = self._saved
        if saved is None:
            raise RuntimeError(FREED_MSG)
        versions = self._versions
        if len(saved) == 1 and not F.tensor_mode:
            # One saved tensor (most unary ops), for backward(): every rule of such a node calls this,
            # so it is written out (~0.15 µs against ~0.45 µs through the general loop below).
            s = saved[0]
            c = s.__class__
            if c is SavedOutput:
                if versions is not None and s._vc[0] != s.version:
                    self._check_versions()
                d = s.data
                return (d[()] if d.ndim == 0 else d,)
            if c is Tensor:
                if versions is not None:
                    vc = s._vc
                    if (vc[0] if vc is not None else 0) != versions[0]:
                        self._check_versions()
                d = s._data
                return (d[()] if d.ndim == 0 else d,)
        if versions is not None:
            for s, v in zip(saved, versions):
                if v is not None:
                    vc = s._vc
                    if (vc[0] if vc is not None else 0) != v:
                        self._check_versions()
        elif len(saved) == 2 and not F.tensor_mode:
            # two saved values and no tensor among them (x * 2: None and the number): nothing to convert
            a, b = saved
            if a.__class__ in AS_IS and b.__class__ in AS_IS:
                return saved
        return F.unpack_saved(self, saved)

    def _check_versions(self) -> None:
        """Raise PyTorch's error for a saved tensor changed in place since it was saved."""
        from ..tensor import check_saved_versions
        check_saved_versions(self, self._saved, self._versions)

    # ------------------------------------------------------------------ hooks
    def _hook_state(self) -> dict[str, Any]:
        h = self._hooks
        if h is None:
            h = self._hooks = {}
        return h

    def register_hook(self, fn: Callable[..., Any]) -> RemovableHandle:
        """``fn(grad_inputs, grad_outputs)`` runs after this node; may return new grad_inputs."""
        d = self._hook_state().setdefault("post", {})
        handle = RemovableHandle(d)
        d[handle.id] = fn
        return handle

    def register_prehook(self, fn: Callable[..., Any]) -> RemovableHandle:
        """``fn(grad_outputs)`` runs before this node; may return new grad_outputs."""
        d = self._hook_state().setdefault("pre", {})
        handle = RemovableHandle(d)
        d[handle.id] = fn
        return handle

    def _register_tensor_prehook(self, output_nr: int, fn: Callable[..., Any]) -> RemovableHandle:
        d = self._hook_state().setdefault("tensor_pre", {})
        handle = RemovableHandle(d)
        d[handle.id] = (output_nr, fn)
        return handle


class AccumulateGrad(Node):
    """The node behind a leaf tensor: adds the incoming gradient into ``variable.grad``."""

    __slots__ = ("variable",)

    formula = "leaf"
    derivatives = ("x.grad += grad",)

    def __init__(self, variable: Any) -> None:
        self.variable = variable
        self._next = ()
        self._saved = ()
        self._versions = None
        self._hooks = None
        # PyTorch gives AccumulateGrad the largest sequence number, so it runs as soon as it is ready
        self._seq = 2**62 + next_seq()

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"
