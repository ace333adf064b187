"""The backward pass as data: one :class:`Step` per node that ran, in the engine's order.

:func:`record` installs an observer on the engine (``engine.OBSERVERS``) for the duration of a
``with`` block; every backward walk inside it appends its steps to the :class:`Trace` it yields.
A step is either a node's backward (the gradient that arrived, the gradient sent along each edge)
or an accumulation into a leaf's ``.grad`` (node = the leaf's AccumulateGrad, ``passed == ()``).

Gradients are copied as they are recorded, so a later in-place ``x.grad += ...`` does not change
what the trace shows.  With ``create_graph=True`` the engine passes Tensors; their values are kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import engine as _engine
from ..engine.node import AccumulateGrad, Node
from ..tensor import Tensor


def _copy(g: Any) -> np.ndarray | None:
    """A private NumPy copy of one gradient (array, NumPy scalar or Tensor), or None."""
    if g is None:
        return None
    if isinstance(g, Tensor):
        g = g._data
    return np.array(g, copy=True)


@dataclass
class Step:
    """One step of a backward walk.

    ``upstream``: the gradient(s) that arrived, one per output of ``node``; ``passed``: the gradient
    sent along each edge of ``node.next_functions`` (None where nothing was sent).  For an accumulation
    (``node`` is an AccumulateGrad), ``upstream`` is the gradient added, ``passed`` is ``()`` and
    ``total`` is the leaf's ``.grad`` right after the addition.
    """

    index: int
    node: Node
    upstream: tuple[np.ndarray | None, ...]
    passed: tuple[np.ndarray | None, ...]
    #: which backward walk (0 for the first ``backward()`` inside ``record()``)
    walk: int = 0
    #: for an accumulation: the leaf's ``.grad`` after this step
    total: np.ndarray | None = None

    @property
    def is_accumulation(self) -> bool:
        """True for a step that adds into a leaf's ``.grad``."""
        return isinstance(self.node, AccumulateGrad)

    @property
    def variable(self) -> Tensor | None:
        """The leaf tensor an accumulation step adds into (None for other steps)."""
        return getattr(self.node, "variable", None)


@dataclass
class Trace:
    """The steps of every backward walk run inside :func:`record`, in execution order."""

    steps: list[Step] = field(default_factory=list)
    #: per walk: the roots ``(node, output_nr)`` and the seed gradients it started from
    walks: list[tuple[tuple[tuple[Node, int], ...], tuple[np.ndarray | None, ...]]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def nodes(self) -> list[Step]:
        """The steps that ran a node's backward (accumulations left out)."""
        return [s for s in self.steps if not s.is_accumulation]

    def accumulations(self) -> list[Step]:
        """The steps that added into a leaf's ``.grad``."""
        return [s for s in self.steps if s.is_accumulation]

    def steps_of(self, node: Node) -> list[Step]:
        """Every step that ran ``node`` (more than one if several walks went through it)."""
        return [s for s in self.steps if s.node is node]

    def grad_on_edge(self, src: Node, dst: Node) -> np.ndarray | None:
        """The gradient ``src`` sent to ``dst`` (summed over edges and walks), or None if none was sent."""
        total = None
        for s in self.steps:
            if s.node is not src or s.is_accumulation:
                continue
            for (m, _nr), g in zip(src.next_functions, s.passed):
                if m is dst and g is not None:
                    total = g.copy() if total is None else total + g
        return total

    def grad_into(self, node: Node) -> np.ndarray | None:
        """The gradient that arrived at ``node`` (its first output; summed over walks), or None."""
        total = None
        for s in self.steps_of(node):
            g = s.upstream[0] if s.upstream else None
            if g is not None:
                total = g.copy() if total is None else total + g
        return total


class _Recorder:
    """The engine observer that fills a :class:`Trace`."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.walk = -1

    def on_start(self, roots: Any, grads: Any) -> None:
        self.walk += 1
        self.trace.walks.append((tuple((n, nr) for n, nr in roots), tuple(_copy(g) for g in grads)))

    def on_node(self, node: Node, upstream: Any, passed: Any) -> None:
        if isinstance(upstream, list | tuple):
            up = tuple(_copy(u) for u in upstream)
        else:
            up = (_copy(upstream),)
        steps = self.trace.steps
        steps.append(Step(len(steps), node, up, tuple(_copy(p) for p in passed), self.walk))

    def on_accumulate(self, variable: Tensor, grad: Any) -> None:
        steps = self.trace.steps
        node = variable._accumulator()
        steps.append(Step(len(steps), node, (_copy(grad),), (), self.walk, _copy(variable.grad)))

    def on_end(self) -> None:
        pass


@contextmanager
def record() -> Iterator[Trace]:
    """Record every backward walk run inside the block::

        with glassgrad.viz.record() as trace:
            loss.backward()
        for step in trace: ...
    """
    trace = Trace()
    ob = _Recorder(trace)
    _engine.OBSERVERS.append(ob)
    try:
        yield trace
    finally:
        _engine.OBSERVERS.remove(ob)


def trace_backward(root: Tensor, gradient: Tensor | None = None, retain_graph: bool = True) -> Trace:
    """Run ``root.backward(gradient, retain_graph=retain_graph)`` and return its :class:`Trace`.

    The graph is retained by default so that it can still be drawn or checked afterwards.
    """
    with record() as trace:
        root.backward(gradient, retain_graph=retain_graph)
    return trace
