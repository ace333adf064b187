"""``glassgrad.autograd``: run backward passes and ask for gradients.

``backward`` accumulates into leaves' ``.grad``; ``grad`` returns gradients
without touching ``.grad``.  Both hand the work to the engine
(``engine/engine.py``) with the array namespace, or with the Tensor namespace
when ``create_graph=True`` so the backward pass is recorded too.
"""

from __future__ import annotations

from typing import Any

from .. import tensor as _tm
from ..engine import engine as _engine
from ..engine.node import Node
from .grad_mode import (
    STATE,
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_detect_anomaly,
    set_grad_enabled,
)

__all__ = [
    "backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
    "is_grad_enabled", "is_inference_mode_enabled", "Variable", "detect_anomaly", "set_detect_anomaly",
    "is_anomaly_enabled", "is_anomaly_check_nan_enabled",
]


def _as_seq(x: Any) -> tuple[Any, ...]:
    if x is None:
        return ()
    if isinstance(x, _tm.Tensor):
        return (x,)
    return tuple(x)


def _root(t: Any, i: int) -> tuple[Node, int]:
    if not t.requires_grad:
        raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    return (t._accumulator(), 0)


_NS: list[Any] = []


def _namespace(create_graph: bool) -> Any:
    if not _NS:  # ops import autograd, so their namespaces are looked up on first use
        from ..ops._ns import ARRAY, TENSOR
        _NS.extend((ARRAY, TENSOR))
    return _NS[1] if create_graph else _NS[0]


def _root_grads(outputs: tuple[Any, ...], grad_outputs: tuple[Any, ...], create_graph: bool) -> list[Any]:
    """The seed gradient of each output: ones for a scalar, else the caller's tensor, checked."""
    Tensor = _tm.Tensor
    xp = _tm._xp
    if grad_outputs and len(grad_outputs) < len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grad_outputs)} gradients")
    seeds = []
    for i, t in enumerate(outputs):
        g = grad_outputs[i] if grad_outputs else None
        d = t._data
        if g is None:
            if d.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if d.dtype.kind != "f":
                raise RuntimeError(
                    f"grad can be implicitly created only for real scalar outputs but got {t.dtype!r}"
                )
            if d.ndim == 0 and not create_graph:
                seeds.append(_one(d.dtype))
                continue
            arr = xp.ones(d.shape, dtype=d.dtype)
            seeds.append(Tensor._make(arr) if create_graph else arr)
            continue
        if not isinstance(g, Tensor):
            if isinstance(g, (int, float)):
                g = Tensor._make(xp.asarray(g, dtype=d.dtype))
            else:
                raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
        if g._data.shape != d.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] has a "
                f"shape of {t.shape}."
            )
        if create_graph:
            seeds.append(g if g._data.dtype == d.dtype else g.to(t.dtype))
        else:
            seeds.append(g._data if g._data.dtype == d.dtype else g._data.astype(d.dtype))
    return seeds


def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    grad_variables: Any = None,
    inputs: Any = None,
) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the graph's leaves.

    With ``inputs``, only those tensors accumulate (and only the graph leading
    to them runs).  Saved values are freed unless ``retain_graph`` (default:
    ``create_graph``).
    """
    outputs = _as_seq(tensors)
    if grad_variables is not None:
        grad_tensors = grad_variables
    grads = _as_seq(grad_tensors)
    if grads and len(grads) != len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grads)} gradients")
    if retain_graph is None:
        retain_graph = create_graph
    roots = [_root(t, i) for i, t in enumerate(outputs)]
    seeds = _root_grads(outputs, grads, create_graph)
    input_edges = None
    capture = None
    nonleaf_inputs: list[tuple[Any, tuple[Node, int]]] = []
    if inputs is not None:
        ins = _as_seq(inputs)
        if not ins:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        input_edges = []
        for t in ins:
            if not t._rg:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            e = (t.grad_fn, t._output_nr) if t.grad_fn is not None else (t._accumulator(), 0)
            input_edges.append(e)
            if t.grad_fn is not None:
                nonleaf_inputs.append((t, e))
        if nonleaf_inputs:
            capture = {e: None for _, e in nonleaf_inputs}
            for r, s in zip(roots, seeds):
                if r in capture:
                    capture[r] = s if capture[r] is None else capture[r] + s
    _run(roots, seeds, retain_graph, create_graph, input_edges, capture, leaves=True)
    for t, e in nonleaf_inputs:
        g = capture[e] if capture else None
        if g is not None:
            g = g if isinstance(g, _tm.Tensor) else _tm.Tensor._make(_tm._xp.array(g))
            t._grad = g if t._grad is None else t._grad + g


_ONE: dict[Any, Any] = {}


def _one(dtype: Any) -> Any:
    """The seed of a 0-d output: 1 as a NumPy scalar of ``dtype`` (immutable, so one per dtype is shared;
    its arithmetic is ~10x cheaper than a 0-d array's, and it costs nothing to make again)."""
    one = _ONE.get(dtype)
    if one is None:
        one = _ONE[dtype] = dtype.type(1)
    return one


def backward_scalar(t: Any, retain_graph: bool | None) -> bool:
    """``loss.backward()`` on a 0-d float tensor with a graph: the common call, without the general
    argument handling of ``backward`` (~3 µs, about a tenth of a small graph's whole backward).
    False when ``t`` is not such a tensor (the caller then takes the general path)."""
    fn = t.grad_fn
    d = t._data
    if fn is None or d.ndim or d.dtype.kind != "f":
        return False
    _run(((fn, t._output_nr),), (_one(d.dtype),), bool(retain_graph), False, None, None, leaves=True)
    return True


def _run(roots: Any, seeds: Any, retain_graph: bool, create_graph: bool, input_edges: Any, capture: Any,
         leaves: bool = False) -> None:
    """Run the engine with grad mode set to ``create_graph`` (the backward pass is recorded only then)."""
    prev = STATE.grad_enabled
    STATE.grad_enabled = create_graph
    try:
        _engine.run_backward(roots, seeds, retain_graph, create_graph, _namespace(create_graph),
                             inputs=input_edges, capture=capture, leaves=leaves)
    finally:
        STATE.grad_enabled = prev


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> tuple[Any, ...]:
    """Return the gradients of ``outputs`` with respect to ``inputs`` (``.grad`` is left alone).

    >>> import glassgrad as torch
    >>> x = torch.tensor(3.0, requires_grad=True)
    >>> torch.autograd.grad(x ** 2, x)
    (tensor(6.),)
    """
    if is_grads_batched:  # each grad_output carries a batch dimension first: one backward pass per entry
        return _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                             materialize_grads)
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, but got: allow_unused=False."
        )
    if allow_unused is None:
        allow_unused = materialize_grads
    outs = _as_seq(outputs)
    ins = _as_seq(inputs)
    if retain_graph is None:
        retain_graph = create_graph
    for t in ins:
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    roots = [_root(t, i) for i, t in enumerate(outs)]
    seeds = _root_grads(outs, _as_seq(grad_outputs), create_graph)
    edges = [(t.grad_fn, t._output_nr) if t.grad_fn is not None else (t._accumulator(), 0) for t in ins]
    capture: dict[tuple[Node, int], Any] = {e: None for e in edges}
    for r, s in zip(roots, seeds):
        if r in capture:
            capture[r] = s if capture[r] is None else capture[r] + s
    _run(roots, seeds, retain_graph, create_graph, edges, capture)
    result = []
    for i, (t, e) in enumerate(zip(ins, edges)):
        g = capture[e]
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
            if materialize_grads:
                from ..creation import zeros_like
                g = zeros_like(t)
        elif not isinstance(g, _tm.Tensor):
            g = _tm.Tensor._make(g if type(g) is _tm._ndarray else _tm._xp.asarray(g))
        result.append(g)
    return tuple(result)


def _batched_grad(outputs: Any, inputs: Any, grad_outputs: Any, retain_graph: bool | None, create_graph: bool,
                  allow_unused: bool | None, materialize_grads: bool) -> tuple[Any, ...]:
    """``grad(..., is_grads_batched=True)``: PyTorch vmaps the backward over the first dimension of
    ``grad_outputs``; glassgrad loops over it (same results) and stacks the gradients."""
    from ..ops.shape import stack
    gos = _as_seq(grad_outputs)
    if not gos or any(g is None for g in gos):
        raise RuntimeError("If `is_grads_batched=True`, we interpret the first dimension of each grad_output "
                           "as the batch dimension. The sizes of the remaining dimensions are expected to match "
                           "the shape of corresponding output, but a mismatch was detected: grad_output[0] is None")
    n = gos[0].shape[0]
    per: list[tuple[Any, ...]] = []
    for b in range(n):
        keep = True if b < n - 1 else retain_graph
        per.append(grad(outputs, inputs, tuple(g[b] for g in gos), retain_graph=keep, create_graph=create_graph,
                        allow_unused=allow_unused, materialize_grads=materialize_grads))
    return tuple(None if per[0][i] is None else stack([p[i] for p in per]) for i in range(len(per[0])))


class Variable:
    """PyTorch's deprecated ``Variable``: calling it returns the tensor itself."""

    def __new__(cls, data: Any, requires_grad: bool = False) -> Any:
        if requires_grad:
            data.requires_grad_(True)
        return data


def _attach_api() -> None:
    """Export the API modules' public names here (called once the package is loaded: they need Tensor ops)."""
    import importlib
    g = globals()
    for name in ("function", "functional", "gradcheck", "graph"):
        mod = importlib.import_module(f"{__name__}.{name}")
        g[name] = mod
        for n in getattr(mod, "__all__", ()):
            g[n] = getattr(mod, n)
    g["forward_ad"] = importlib.import_module(f"{__name__}.forward_ad")  # a submodule only, as in PyTorch
