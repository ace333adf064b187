"""Why is ``x.grad`` None (or zero)?  :func:`why_no_grad` names the reason and the node where the path breaks.

The questions, in order:

1. Can ``x`` have a gradient at all?  (integer/bool dtype; an inference tensor)
2. Does it require grad?  (a leaf made with ``requires_grad=False``, computed under ``no_grad``, or a
   ``detach()``-ed copy — a copy that shares its memory with a tensor of the graph is named)
3. Would PyTorch store it?  (``.grad`` is kept for leaves only, unless ``retain_grad()``)
4. Is it on a path to the loss?  (if not, and the graph uses a detached copy of it, the node that
   uses the copy is named)
5. Does a gradient arrive?  The gradient is recomputed (``autograd.grad``, graph retained) with the
   steps recorded; the first node on the way to ``x`` whose incoming gradient is non-zero but whose
   outgoing one is zero is named (relu of negatives, clamp outside its range, where's other branch…).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine.node import AccumulateGrad, Node
from ..tensor import Tensor
from .names import Namer, caller_frame

#: what a zero local derivative means, for the nodes that make one most often
_ZEROING = {
    "ReluBackward0": "relu has derivative 0 for inputs <= 0, and every element reaching it was <= 0",
    "ThresholdBackward0": "threshold passes no gradient below its threshold",
    "HardtanhBackward0": "hardtanh (or clamp) has derivative 0 outside [min_val, max_val]",
    "ClampBackward0": "clamp has derivative 0 outside [min, max], and every element was outside",
    "ClampBackward1": "clamp has derivative 0 outside [min, max], and every element was outside",
    "ClampMinBackward0": "clamp(min=...) has derivative 0 below min, and every element was below",
    "ClampMaxBackward0": "clamp(max=...) has derivative 0 above max, and every element was above",
    "WhereBackward0": "where(cond, a, b) sends the gradient only to the branch it chose, and it chose the other one",
    "MaskedFillBackward0": "masked_fill replaces the masked elements, so they get no gradient — all were masked",
    "MaskedFillBackward1": "masked_fill replaces the masked elements, so they get no gradient — all were masked",
    "MaxBackward1": "max passes the gradient to the maximal elements only",
    "MinBackward1": "min passes the gradient to the minimal elements only",
    "AbsBackward0": "abs has derivative sign(x), which is 0 at x = 0",
    "SignBackward0": "sign is flat: its derivative is 0",
    "RoundBackward0": "round is a step function: its derivative is 0",
    "FloorBackward0": "floor is a step function: its derivative is 0",
    "CeilBackward0": "ceil is a step function: its derivative is 0",
    "MulBackward0": "it was multiplied by zero",
    "MulBackward1": "it was multiplied by zero",
}


@dataclass
class WhyNoGrad:
    """The answer: a short ``reason`` code, the explanation, and the node where the path breaks (if one)."""

    reason: str
    message: str
    node: str | None = None

    def __str__(self) -> str:
        return self.message

    __repr__ = __str__


def _graph(root: Node | None) -> list[Node]:
    """Every node reachable from ``root``, AccumulateGrads included."""
    if root is None:
        return []
    seen: dict[Node, None] = {}
    stack = [root]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen[n] = None
        stack.extend(m for m, _ in n.next_functions if m is not None)
    return list(seen)


def _shares(a: Tensor, b: Any) -> bool:
    return isinstance(b, Tensor) and b is not a and a._data.size > 0 and np.shares_memory(a._data, b._data)


def _copy_user(x: Tensor, nodes: list[Node], namer: Namer) -> str | None:
    """The node of the loss graph that uses a copy of ``x`` made by detach()/.data/no_grad (sharing x's memory)."""
    for n in nodes:
        if isinstance(n, AccumulateGrad):
            if _shares(x, n.variable):
                return f"{namer.tensor(n.variable)} (a leaf of the graph)"
            continue
        for s in n._saved or ():
            if _shares(x, s) and not getattr(s, "requires_grad", False):
                return f"{n.name()} (which makes {namer.node(n)})"
    return None


def why_no_grad(tensor: Tensor, loss: Tensor, names: dict[str, Any] | None = None) -> WhyNoGrad:
    """Explain why ``tensor.grad`` is None or zero after ``loss.backward()``, naming where the path breaks.

    Leaves ``.grad`` untouched: gradients are recomputed with ``autograd.grad`` (the graph must still exist,
    so call it before ``backward()`` or after ``backward(retain_graph=True)``; otherwise the answer stops at
    the structure).
    """
    if not isinstance(tensor, Tensor) or not isinstance(loss, Tensor):
        raise TypeError("why_no_grad(tensor, loss) expects two Tensors")
    namer = Namer(caller_frame(), names)
    if loss.grad_fn is not None:  # the same tN numbering as the drawing and the narration
        namer.number([loss.grad_fn])
    x = namer.tensor(tensor)
    L = namer.tensor(loss)
    nodes = _graph(loss.grad_fn)

    # 1. can it have a gradient at all?
    kind = tensor._data.dtype.kind
    if kind not in "fc":
        return WhyNoGrad("integer dtype", f"{x} has dtype {tensor.dtype}: only floating point and complex tensors "
                         f"can require gradients, so {x}.grad stays None. Convert it first, e.g. {x}.float().")
    if tensor.is_inference():
        return WhyNoGrad("inference tensor", f"{x} was created under torch.inference_mode(): it never records a "
                         "graph and cannot require grad. Create it outside inference_mode (or use no_grad).")
    # 2. does it require grad?
    if not tensor.requires_grad:
        user = _copy_user(tensor, nodes, namer)
        if user is not None:
            return WhyNoGrad("detached", f"{x} does not require grad, and the loss reaches its values only through "
                             f"{user}, which shares memory with {x} but is cut off from it — a detach() / .data "
                             "copy, or one computed under no_grad.", user.split(" ")[0])
        return WhyNoGrad("requires_grad=False", f"{x} does not require grad: it is a leaf created with "
                         "requires_grad=False, computed under torch.no_grad(), or detached. Create it with "
                         f"requires_grad=True or call {x}.requires_grad_() before using it.")
    # 3. would PyTorch keep it?
    if tensor.grad_fn is not None and not tensor.retains_grad:
        return WhyNoGrad("not a leaf", f"{x} is not a leaf (it was made by {tensor.grad_fn.name()}): backward() "
                         f"fills .grad only for leaves. Call {x}.retain_grad() before backward(), or use "
                         f"torch.autograd.grad({L}, {x}).", tensor.grad_fn.name())
    # 4. is it on a path to the loss?
    target = tensor.grad_fn if tensor.grad_fn is not None else tensor._accumulator()
    if loss.grad_fn is None:
        return WhyNoGrad("loss has no graph", f"{L} has no grad_fn: it was computed without recording a graph "
                         "(under no_grad, from detached tensors, or from tensors that do not require grad), "
                         f"so no gradient can reach {x}.")
    if target not in set(nodes):
        user = _copy_user(tensor, nodes, namer)
        where = f" The graph uses a copy of {x} cut off from it at {user}." if user else ""
        return WhyNoGrad("not on a path", f"{x} is not on any path to {L}: no node of {L}'s graph leads to it, "
                         f"so backward never reaches it.{where}", user.split(" ")[0] if user else None)
    # 5. does a non-zero gradient arrive?
    return _gradient_flow(tensor, loss, target, nodes, namer, x, L)


def _gradient_flow(tensor: Tensor, loss: Tensor, target: Node, nodes: list[Node], namer: Namer, x: str,
                   L: str) -> WhyNoGrad:
    from .. import creation
    from ..autograd import grad as autograd_grad
    from .trace import record
    # nodes from which `target` can be reached: the gradient towards x runs through these only
    parents: dict[Node, list[Node]] = {}
    for n in nodes:
        for m, _ in n.next_functions:
            if m is not None:
                parents.setdefault(m, []).append(n)
    toward = {target}
    stack = [target]
    while stack:
        for p in parents.get(stack.pop(), ()):
            if p not in toward:
                toward.add(p)
                stack.append(p)
    seed = creation.ones_like(loss)
    try:
        with record() as trace:
            (g,) = autograd_grad(loss, [tensor], grad_outputs=seed, retain_graph=True, allow_unused=True)
    except RuntimeError as exc:
        if "second time" not in str(exc):
            raise
        state = "is None" if tensor.grad is None else "is zero" if not tensor.grad._data.any() else "is set"
        return WhyNoGrad("graph freed", f"{x} is on a path to {L}, and {x}.grad {state}; the graph was freed by "
                         "backward(), so the gradient cannot be followed now. Ask before backward() or use "
                         "backward(retain_graph=True).")
    gv = None if g is None else np.asarray(g._data)
    if gv is not None and gv.any():
        now = "None" if tensor.grad is None else "zero" if not tensor.grad._data.any() else "set"
        hint = ("backward() has not been run since it was last cleared (zero_grad() sets it to None)"
                if now == "None" else "it was zeroed after backward (zero_grad / grad.zero_())" if now == "zero"
                else "nothing is wrong")
        return WhyNoGrad("has a gradient", f"{x} gets a non-zero gradient from {L} (max |grad| = "
                         f"{float(np.abs(gv).max()):.6g}); {x}.grad is {now}: {hint}.")
    for step in trace.nodes():
        node = step.node
        if node not in toward or node is target:
            continue
        up = [u for u in step.upstream if u is not None]
        if not up or not any(np.any(u) for u in up):
            continue
        for (m, _nr), p in zip(node.next_functions, step.passed):
            if m in toward and (p is None or not np.any(p)):
                why = _ZEROING.get(node.name(), "its local derivative is zero here")
                return WhyNoGrad("gradient zeroed", f"{x}'s gradient is zero: the path from {L} to {x} breaks at "
                                 f"{node.name()} (which makes {namer.node(node)}): {why}.", node.name())
    return WhyNoGrad("zero upstream", f"{x}'s gradient is zero because the gradient flowing into the graph is "
                     f"already zero ({L}'s backward seed or the first node's output).")
