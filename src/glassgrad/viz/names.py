"""Names for the tensors and nodes of a graph, taken from the caller's variables.

The chapter writes ``a = x * 2; b = a + 3``: a picture or a narration should say ``a`` and ``b``,
not ``MulBackward0``.  :class:`Namer` looks at a frame's local (and, for a script's top level,
global) variables, remembers which Tensor — and so which ``grad_fn`` — each name holds, and hands
out ``t0, t1, …`` for the rest.  It keeps ids only, never the tensors, so it keeps nothing alive.

Every view of a graph — the drawing (text, DOT, HTML), the narration, :func:`~glassgrad.viz.check` and
:func:`~glassgrad.viz.why_no_grad` — numbers the unnamed results the same way, with
:meth:`Namer.number`: in **forward creation order** (the order the forward pass made them, i.e. by
each node's creation sequence number; an unnamed leaf or constant counts as made just before the
first node that uses it).  So ``f = x * y + (x + y).sin()`` reads ``t0 = x * y``, ``t1 = x + y``,
``t2 = t1.sin()``, ``f = t0 + t2`` in every view, whatever order the view visits the nodes in.
"""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any

from ..tensor import Tensor


def caller_frame(skip_module: str = "glassgrad.") -> FrameType | None:
    """The innermost frame outside glassgrad (the user's code), or None."""
    f = sys._getframe(1)
    while f is not None and f.f_globals.get("__name__", "").startswith(skip_module):
        f = f.f_back
    return f


def frame_scopes(frame: FrameType | None, names: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The variable dicts to look in: ``frame``'s locals, its globals (a function's frame), then ``names``."""
    scopes: list[dict[str, Any]] = []
    if frame is not None:
        scopes.append(frame.f_locals)
        if frame.f_globals is not frame.f_locals:
            scopes.append(frame.f_globals)
    if names:
        scopes.append(names)
    return scopes


def graph_nodes(roots: list[Any]) -> list[Any]:
    """Every node reachable from ``roots`` (each once, roots first)."""
    seen: set[int] = set()
    out: list[Any] = []
    stack = [r for r in roots if r is not None]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        out.append(n)
        stack.extend(e[0] for e in n._next if e is not None)
    return out


class Namer:
    """Maps tensors and graph nodes to the names the user gave them."""

    def __init__(self, frame: FrameType | None = None, names: dict[str, Any] | None = None) -> None:
        self._by_tensor: dict[int, str] = {}   # id(Tensor) -> name
        self._by_node: dict[int, str] = {}     # id(grad_fn) -> name of the tensor it produced
        self._fresh: dict[int, str] = {}
        for scope in frame_scopes(frame):
            self.add(scope)
        if names:
            self.add(names, override=True)

    def add(self, names: dict[str, Any], override: bool = False) -> None:
        """Learn ``{name: tensor}`` pairs (private names like ``_x`` are skipped).

        With ``override`` these names replace those learnt before; within ``names`` the first name of a
        tensor wins (``l5`` over a later loop variable ``t`` holding the same tensor).
        """
        seen: set[int] = set()
        for name, value in list(names.items()):
            if not isinstance(value, Tensor) or name.startswith("_"):
                continue
            if (override and id(value) not in seen) or id(value) not in self._by_tensor:
                self._by_tensor[id(value)] = name
            fn = value.grad_fn
            if fn is not None and ((override and id(fn) not in seen) or id(fn) not in self._by_node):
                self._by_node[id(fn)] = name
            seen.add(id(value))
            if fn is not None:
                seen.add(id(fn))

    def tensor(self, t: Tensor) -> str:
        """The user's name for ``t``, else a fresh ``tN`` (that of its ``grad_fn`` for a non-leaf)."""
        name = self._by_tensor.get(id(t))
        if name is None and t.grad_fn is not None:
            name = self._by_node.get(id(t.grad_fn))
            if name is None:
                name = self._fresh_name(id(t.grad_fn))
                return name if t.grad_fn.n_outputs == 1 else f"{name}[{t._output_nr}]"
        return name if name is not None else self._fresh_name(id(t))

    def node(self, node: Any) -> str:
        """The name of the tensor a ``grad_fn`` produced; for AccumulateGrad, its leaf's name."""
        var = getattr(node, "variable", None)
        if isinstance(var, Tensor):
            return self.tensor(var)
        name = self._by_node.get(id(node))
        return name if name is not None else self._fresh_name(id(node))

    def known(self, node: Any) -> bool:
        """True when the user's own variables name this node's result."""
        var = getattr(node, "variable", None)
        if isinstance(var, Tensor):
            return id(var) in self._by_tensor
        return id(node) in self._by_node

    def number(self, roots: Any) -> None:
        """Give every unnamed result of the graph behind ``roots`` its ``tN``, in forward creation order.

        ``roots`` are ``grad_fn`` nodes (or one node).  Call this before asking for any name, so that all
        views of one graph agree; results already numbered keep their names (it may be called again).
        """
        for kind, obj in forward_order(roots if isinstance(roots, list | tuple) else [roots]):
            if kind == "node":
                if not self.known(obj):
                    self.node(obj)
            elif id(obj) not in self._by_tensor:
                self.tensor(obj)

    def _fresh_name(self, key: int) -> str:
        name = self._fresh.get(key)
        if name is None:
            name = self._fresh[key] = f"t{len(self._fresh)}"
        return name


def constant_input(node: Any, i: int) -> Tensor | None:
    """The tensor input ``i`` of ``node`` when it needs no gradient and the node saved it, else None.

    ``h = X @ W`` with ``X`` data: the edge to ``X`` is empty, but MmBackward0 keeps ``X`` among its
    saved values, one per input, so the drawing and the narration can still name it.
    """
    nxt = node._next
    if i >= len(nxt) or nxt[i] is not None:
        return None
    saved = node._saved if isinstance(node._saved, tuple) else None
    if saved is None or len(saved) != len(nxt):
        return None
    const = saved[i]
    return const if isinstance(const, Tensor) and not const._rg else None


def forward_order(roots: list[Any]) -> list[tuple[str, Any]]:
    """The nodes and constant tensors behind ``roots`` in forward creation order.

    Items are ``("node", grad_fn)`` or ``("constant", tensor)``.  Op nodes are ordered by their
    creation sequence number; a leaf's AccumulateGrad (created lazily, with a large number) and a
    constant input come just before the first node that uses them, in input order.
    """
    nodes = graph_nodes(roots)
    keys: dict[int, tuple[int, int, int]] = {}
    items: dict[int, tuple[str, Any]] = {}
    for n in nodes:
        if n._next or getattr(n, "variable", None) is None:
            keys[id(n)] = (n._seq, 1, 0)
            items[id(n)] = ("node", n)
    for n in nodes:
        if id(n) not in keys:
            continue
        for i, e in enumerate(n._next):
            obj: Any = e[0] if e is not None else constant_input(n, i)
            if obj is None or (e is not None and id(obj) in items and items[id(obj)][1] is obj
                               and keys[id(obj)][1] == 1):
                continue
            key = (n._seq, 0, i)
            if id(obj) not in keys or key < keys[id(obj)]:
                keys[id(obj)] = key
                items[id(obj)] = ("node", obj) if e is not None else ("constant", obj)
    for n in nodes:  # a root that is itself a leaf's accumulator
        if id(n) not in keys:
            keys[id(n)] = (n._seq, 1, 0)
            items[id(n)] = ("node", n)
    return [items[k] for k in sorted(keys, key=keys.__getitem__)]
