"""Names for the tensors and nodes of a graph, taken from the caller's variables.

The chapter writes ``a = x * 2; b = a + 3``: a picture or a narration should say ``a`` and ``b``,
not ``MulBackward0``.  :class:`Namer` looks at a frame's local (and, for a script's top level,
global) variables, remembers which Tensor — and so which ``grad_fn`` — each name holds, and hands
out ``t0, t1, …`` for the rest.  It keeps ids only, never the tensors, so it keeps nothing alive.
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


class Namer:
    """Maps tensors and graph nodes to the names the user gave them."""

    def __init__(self, frame: FrameType | None = None, names: dict[str, Any] | None = None) -> None:
        self._by_tensor: dict[int, str] = {}   # id(Tensor) -> name
        self._by_node: dict[int, str] = {}     # id(grad_fn) -> name of the tensor it produced
        self._fresh: dict[int, str] = {}
        if frame is not None:
            scopes = [frame.f_locals]
            if frame.f_globals is not frame.f_locals:
                scopes.append(frame.f_globals)
            for scope in scopes:
                self.add(scope)
        if names:
            self.add(names, override=True)

    def add(self, names: dict[str, Any], override: bool = False) -> None:
        """Learn ``{name: tensor}`` pairs (private names like ``_x`` are skipped)."""
        for name, value in list(names.items()):
            if not isinstance(value, Tensor) or name.startswith("_"):
                continue
            if override or id(value) not in self._by_tensor:
                self._by_tensor[id(value)] = name
            fn = value.grad_fn
            if fn is not None and (override or id(fn) not in self._by_node):
                self._by_node[id(fn)] = name

    def tensor(self, t: Tensor) -> str:
        """The user's name for ``t``, else a fresh ``tN``."""
        name = self._by_tensor.get(id(t))
        if name is None and t.grad_fn is not None:
            name = self._by_node.get(id(t.grad_fn))
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

    def _fresh_name(self, key: int) -> str:
        name = self._fresh.get(key)
        if name is None:
            name = self._fresh[key] = f"t{len(self._fresh)}"
        return name
