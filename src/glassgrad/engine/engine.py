"""The backward walk.

1. Count, for every node reachable from the roots, how many edges lead into it
   (an explicit stack: no recursion, so a 100,000-node chain is fine).
2. Run a ready queue ordered by sequence number, newest first (as PyTorch's
   engine does).  Each node's incoming gradients are summed into one buffer,
   which is popped when the node runs, so memory falls as backward proceeds.
3. Every gradient a node returns is validated centrally: summed back over
   broadcast dimensions to its input's shape and cast to its input's dtype.
4. After a node runs, its saved values are released unless ``retain_graph``.

Gradients travel as backend arrays; with ``create_graph`` they travel as
Tensors and every rule runs with the differentiable namespace, so the
backward pass is itself recorded.

That general walk (``run_backward``) is the reference.  The common call —
``backward()`` with no ``inputs=``, observers, anomaly mode or hooks — takes
two shorter walks that give the same order and the same sums: ``_run_chain``
while the graph is a chain (no counts, no queue, no buffers), then
``_run_plain`` (nodes in decreasing sequence number, which is the order the
queue would give; only the leaves keep counts).  Each says why it is correct.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from heapq import heappop, heappush
from typing import Any

from .. import tensor as _tm
from ..autograd.grad_mode import ANOMALY
from .node import AccumulateGrad, Node

#: Observers of every backward walk (``glassgrad.viz`` narrates and records with them).  Each is an
#: object with ``on_start(roots, grads)``, ``on_node(node, upstream, passed)`` (``passed``: one
#: validated gradient or None per edge in ``node.next_functions``), ``on_accumulate(variable, grad)``
#: and ``on_end()``.  The walk looks at this list once per call, so an empty list costs nothing.
OBSERVERS: list[Any] = []


def _invalid_shape(node: Node, i: int, got: Any, expected: Any) -> RuntimeError:
    return RuntimeError(
        f"Function {node.name()} returned an invalid gradient at index {i} - got "
        f"{list(got)} but expected shape compatible with {list(expected)}"
    )


def _expandable(got: tuple[int, ...], shape: tuple[int, ...]) -> bool:
    """True when ``shape`` broadcasts to ``got`` (so summing ``got`` down to ``shape`` is right)."""
    if len(shape) > len(got):
        return False
    for s, g in zip(reversed(shape), reversed(got)):
        if s != g and s != 1:
            return False
    return True


def run_backward(
    roots: Sequence[tuple[Node, int]],
    grads: Sequence[Any],
    retain_graph: bool,
    create_graph: bool,
    F: Any,
    inputs: Sequence[tuple[Node, int]] | None = None,
    capture: dict[tuple[Node, int], Any] | None = None,
    leaves: bool = False,
) -> None:
    """Propagate ``grads`` from ``roots`` through the graph.

    ``F`` is the namespace rules run with (arrays, or Tensors for create_graph).
    ``inputs`` restricts the walk to the nodes that lead to those edges; when
    ``capture`` is given (``autograd.grad``), gradients reaching those edges are
    stored there, and leaves accumulate nothing unless ``leaves`` is set
    (``backward(inputs=...)`` with non-leaf inputs).
    """
    if inputs is None and capture is None and not F.tensor_mode and not OBSERVERS and not ANOMALY.enabled:
        if len(roots) == 1:
            rest = _run_chain(roots[0][0], roots[0][1], grads[0], retain_graph, F)
            if rest is None:
                return
            roots, grads = rest
        if _run_plain(roots, grads, retain_graph, F):
            return
    deps = _dependencies(roots)
    needed = None
    if inputs is not None:
        needed = _needed_nodes(deps, inputs)

    # ---- 2. seed the buffers and the ready queue
    buffers: dict[Node, Any] = {}
    for (node, nr), g in zip(roots, grads):
        _add_to_buffer(buffers, node, nr, g)
    heap: list[_Task] = []
    for node in buffers:
        if deps[node] == 0:
            heappush(heap, _Task(node))

    # ---- 3. run
    tensor_mode = F.tensor_mode
    observers = OBSERVERS[:]
    if observers:
        for ob in observers:
            ob.on_start(roots, grads)
    passed: list[Any] | None = None
    while heap:
        node = heappop(heap).node
        g = buffers.pop(node, None)
        nxt = node._next
        out = None
        if g is None or (needed is not None and node not in needed):
            pass
        elif type(node) is AccumulateGrad:
            if capture is None or leaves:
                _accumulate(node, g, create_graph)
                for ob in observers:
                    ob.on_accumulate(node.variable, g)
        else:
            if node._hooks is not None:
                g = _pre_hooks(node, g, capture)
            if g is not None:
                out = node.backward(F, g) if not ANOMALY.enabled else _anomalous_backward(node, F, g)
                if node._hooks is not None and "post" in node._hooks:
                    out = _post_hooks(node, out, g)
                if not retain_graph:
                    node.release()
                if observers:
                    passed = [None] * len(nxt)
        for i, e in enumerate(nxt):
            if e is None:
                continue
            m = e[0]
            if out is not None:
                gi = out[i]
                if gi is not None:
                    # central validation: un-broadcast and cast to the input's dtype
                    if tensor_mode or gi.shape != e[2] or gi.dtype != e[3]:
                        gi = _validate(node, i, gi, e, F)
                    if passed is not None:
                        passed[i] = gi
                    if capture is not None:
                        key = (m, e[1])
                        if key in capture:
                            prev = capture[key]
                            capture[key] = gi if prev is None else prev + gi
                    if m.n_outputs == 1:
                        prev = buffers.get(m)
                        buffers[m] = gi if prev is None else prev + gi
                    else:
                        _add_to_buffer(buffers, m, e[1], gi)
            c = deps[m] - 1
            deps[m] = c
            if c == 0:
                heappush(heap, _Task(m))
        if passed is not None:
            for ob in observers:
                ob.on_node(node, g, passed)
            passed = None
    for ob in observers:
        ob.on_end()


class _Task:
    """A node in the ready queue, ordered as in PyTorch's: the newest (largest sequence number) first,
    and every AccumulateGrad before them, all of equal priority.

    Note: equal priorities leave the order to the heap.  PyTorch's queue is a ``std::priority_queue``;
    Python's ``heapq``, comparing the key only, makes the same moves (push sifts up while strictly
    better, pop takes the last item to the top and sifts it down taking the right child on a tie), so
    leaves ready at the same moment have their hooks called in PyTorch's order (for five leaves of
    one ``cat``: 0, 2, 4, 1, 3).
    """

    __slots__ = ("key", "node")

    def __init__(self, node: Node) -> None:
        self.node = node
        self.key = _LEAF_KEY if type(node) is AccumulateGrad else -node._seq

    def __lt__(self, other: _Task) -> bool:
        return self.key < other.key


_LEAF_KEY = -(2 ** 64)


def _leaf_hooks(acc: Node) -> bool:
    """Whether anything observes when leaf node ``acc`` runs (its hooks, its tensor's hooks)."""
    if acc._hooks is not None:
        return True
    ex = acc.variable._extra
    return ex is not None and bool(ex.get("leaf_hooks") or ex.get("post_acc_hooks"))


def _dependencies(roots: Sequence[tuple[Node, int]]) -> dict[Node, int]:
    """Step 1: for every node reachable from ``roots``, how many edges lead into it (iterative DFS:
    no recursion, so a 100,000-node chain is fine)."""
    deps: dict[Node, int] = {}
    stack = []
    for node, _ in roots:
        if node not in deps:
            deps[node] = 0
            stack.append(node)
    while stack:
        node = stack.pop()
        for e in node._next:
            if e is not None:
                m = e[0]
                c = deps.get(m)
                if c is None:
                    deps[m] = 1
                    stack.append(m)
                else:
                    deps[m] = c + 1
    return deps


def _run_chain(node: Node, nr: int, g: Any, retain_graph: bool, F: Any
               ) -> tuple[list[tuple[Node, int]], list[Any]] | None:
    """Run the graph from one root while it is a chain: each node passing its gradient along one edge.

    Why: in a chain each node is reachable only through the one before it, so it is ready as soon
    as that one has run, and no dependency count, order or gradient buffer is needed.  The
    chapter's scalar graphs, elementwise chains and the 100,000-op chain are chains from end to end;
    other graphs begin with one (the loss and its reduction).  Where the chain ends — a node with two
    input edges, several outputs or hooks — the rest is handed back as ``(roots, grads)`` for
    ``_run_plain``: the same walk PyTorch's queue would make from there, as nothing else is pending.
    None: all done.
    """
    while True:
        if type(node) is AccumulateGrad:
            _accumulate(node, g, False, steal=True)
            return None
        if node._hooks is not None or node.n_outputs != 1:
            return [(node, nr)], [g]
        out = node.backward(F, g)
        if not retain_graph:
            if type(node).release is _RELEASE:  # (Node.release written out: the chain's per-node cost)
                if node._saved:
                    node._saved = None
            else:
                node.release()
        nxt = node._next
        # the one edge that needs a gradient (x * 2, x ** 2, sum(x)...), else hand over
        n = len(nxt)
        if n == 1:
            e = nxt[0]
            i = 0
        elif n == 2 and (nxt[0] is None) != (nxt[1] is None):
            i = 0 if nxt[1] is None else 1
            e = nxt[i]
        else:
            return _fan_out(node, out, F)
        if e is None:
            return None
        g = out[i]
        out = None  # (so that g is referenced only here: see _accumulate's steal)
        if g is None:
            return None
        dt = g.dtype
        if g.shape != e[2] or (dt is not e[3] and dt != e[3]):
            g = _validate(node, i, g, e, F)
        node = e[0]
        nr = e[1]


_RELEASE = Node.release


def _fan_out(node: Node, out: Any, F: Any) -> tuple[list[tuple[Node, int]], list[Any]] | None:
    """The gradients ``node`` just computed, as roots for the rest of the walk (``_run_chain``)."""
    roots = []
    grads = []
    for i, e in enumerate(node._next):
        if e is not None and out[i] is not None:
            gi = out[i]
            dt = gi.dtype
            if gi.shape != e[2] or (dt is not e[3] and dt != e[3]):
                gi = _validate(node, i, gi, e, F)
            roots.append((e[0], e[1]))
            grads.append(gi)
    return (roots, grads) if roots else None


def _by_seq(node: Node) -> int:
    return node._seq


def _run_plain(roots: Sequence[tuple[Node, int]], grads: Sequence[Any], retain_graph: bool, F: Any) -> bool:
    """The whole walk for the common case — ``backward()`` on arrays, with no ``inputs=``, no observers,
    no anomaly mode and no hooks in the graph; False (and nothing done) when a node or leaf has hooks.

    Why a second loop: a small graph (the chapter's scalars, short chains) spends more time in the
    engine's bookkeeping than in NumPy, and each step removed here is paid once per node or edge.
    The general loop in ``run_backward`` is the reference; tests run both on the same graphs.

    How it keeps PyTorch's order without a ready queue: every node's consumers were recorded after it,
    so they have larger sequence numbers.  Running the reachable nodes in decreasing sequence number
    therefore runs each one after all of its gradients have arrived, and it is the order PyTorch's
    queue (newest ready node first) produces.  Only the leaves' AccumulateGrad nodes, which PyTorch
    runs as soon as they are ready, keep dependency counts: each runs right after the last node that
    feeds it.
    """
    # ---- 1. the reachable op nodes, and how many edges lead into each leaf
    seen: set[Node] = set()
    acc_deps: dict[Node, int] = {}
    stack: list[Node] = []
    for node, _ in roots:
        if type(node) is AccumulateGrad:
            if _leaf_hooks(node):
                return False
            acc_deps.setdefault(node, 0)
        elif node not in seen:
            seen.add(node)
            stack.append(node)
    while stack:
        node = stack.pop()
        if node._hooks is not None:
            return False  # tensor, retain_grad or node hooks: the general loop runs them
        for e in node._next:
            if e is not None:
                m = e[0]
                if type(m) is AccumulateGrad:
                    c = acc_deps.get(m)
                    if c is None:
                        if _leaf_hooks(m):
                            return False  # the order leaves run in is seen: the general loop keeps PyTorch's
                        c = 0
                    acc_deps[m] = c + 1
                elif m not in seen:
                    seen.add(m)
                    stack.append(m)
    order = sorted(seen, key=_by_seq, reverse=True)

    # ---- 2. seed the buffers
    if len(roots) == 1 and roots[0][0].n_outputs == 1:  # the usual loss.backward()
        buffers: dict[Node, Any] = {roots[0][0]: grads[0]}
    else:
        buffers = {}
        for (node, nr), g in zip(roots, grads):
            _add_to_buffer(buffers, node, nr, g)
        g = None
    if type(grads) is list:  # the walk's own list (from _fan_out or the seeds): the buffers hold them now,
        grads.clear()        # and a gradient referenced only by its buffer can become a leaf's .grad as is
    pop = buffers.pop
    get = buffers.get
    if acc_deps:  # leaves given as roots that nothing else feeds (no leaf has hooks: their order is not seen)
        for acc in [a for a, c in acc_deps.items() if c == 0]:
            g = pop(acc, None)
            if g is not None:
                _accumulate(acc, g, False)

    # ---- 3. run
    for node in order:
        g = pop(node, None)
        nxt = node._next
        if g is None:  # no gradient reached this node: it does not run, but its leaves stop waiting for it
            ready = [e[0] for e in nxt if e is not None and type(e[0]) is AccumulateGrad and _done(acc_deps, e[0])]
        else:
            out = node.backward(F, g)
            if not retain_graph:
                node.release()
            ready = None
            i = 0
            for e in nxt:
                if e is not None:
                    m = e[0]
                    gi = out[i]
                    if gi is not None:
                        # central validation: un-broadcast and cast to the input's dtype
                        dt = gi.dtype
                        if gi.shape != e[2] or (dt is not e[3] and dt != e[3]):
                            gi = _validate(node, i, gi, e, F)
                        if m.n_outputs == 1:
                            prev = get(m)
                            buffers[m] = gi if prev is None else prev + gi
                        else:
                            _add_to_buffer(buffers, m, e[1], gi)
                    if type(m) is AccumulateGrad:
                        c = acc_deps[m] - 1
                        acc_deps[m] = c
                        if c == 0:
                            if ready is None:
                                ready = [m]
                            else:
                                ready.append(m)
                i += 1
        if ready:
            out = gi = None  # (so that g is referenced only here: see _accumulate's steal)
            for acc in ready:
                g = pop(acc, None)
                if g is not None:
                    _accumulate(acc, g, False, steal=True)
    return True


def _done(acc_deps: dict[Node, int], acc: Node) -> bool:
    """One fewer edge to wait for into leaf node ``acc``; True when it was the last."""
    c = acc_deps[acc] - 1
    acc_deps[acc] = c
    return c == 0


def _needed_nodes(deps: dict[Node, int], inputs: Sequence[tuple[Node, int]]) -> set[Node]:
    """Nodes from which one of ``inputs`` can be reached (the only ones worth running)."""
    targets = {n for n, _ in inputs}
    parents: dict[Node, list[Node]] = {}
    for n in deps:
        for e in n._next:
            if e is not None:
                parents.setdefault(e[0], []).append(n)
    needed = set()
    stack = [t for t in targets if t in deps]
    while stack:
        n = stack.pop()
        if n in needed:
            continue
        needed.add(n)
        stack.extend(parents.get(n, ()))
    return needed


def _add_to_buffer(buffers: dict[Node, Any], node: Node, nr: int, g: Any) -> None:
    n = node.n_outputs
    if n == 1:
        prev = buffers.get(node)
        buffers[node] = g if prev is None else prev + g
    else:
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * n
        buf[nr] = g if buf[nr] is None else buf[nr] + g


def _validate(node: Node, i: int, g: Any, e: tuple[Any, ...], F: Any) -> Any:
    """Un-broadcast ``g`` to input ``i``'s shape and cast it to that input's dtype."""
    shape, dtype = e[2], e[3]
    if F.tensor_mode:
        gd = g._data
        if gd.shape != shape:
            if not _expandable(gd.shape, shape):
                raise _invalid_shape(node, i, gd.shape, shape)
            g = F.sum_to(g, shape)
        if g._data.dtype != dtype:
            g = F.to_dtype(g, dtype)
        return g
    if g.shape != shape:
        if not _expandable(g.shape, shape):
            raise _invalid_shape(node, i, g.shape, shape)
        g = F.sum_to(g, shape)
    if g.dtype != dtype:
        g = g.astype(dtype)
    return g


def _accumulate(node: AccumulateGrad, g: Any, create_graph: bool, steal: bool = False) -> None:
    """``variable.grad += g`` (in place when possible, as PyTorch does).

    A leaf's first gradient is stored as a copy, unless ``steal`` (the chain and plain walks, where the
    caller holds ``g`` in one local variable and nothing else of the walk does) and ``g`` is an array
    that nothing else references — PyTorch's AccumulateGrad steals such a gradient too (``use_count``).
    CPython's reference counts say so exactly: any other holder (another gradient buffer, a hook's
    tensor, the caller's ``gradient=``, another view of the same memory) makes them larger.  It saves
    copying every parameter's gradient on every step (a 1024x1024 float32 weight: 0.3 ms).
    """
    Tensor = _tm.Tensor
    var = node.variable
    ex = var._extra
    if ex is not None and ex.get("leaf_hooks"):  # the leaf's own tensor hooks, in registration order
        for hook in list(ex["leaf_hooks"].values()):
            r = hook(_as_user_grad(g))
            steal = False
            if r is not None:
                g = _from_user_grad(r, g)
    if node._hooks is not None:
        steal = False
        g = _pre_hooks(node, g, None)
        if g is None:
            return
    old = var._grad
    if isinstance(g, Tensor):  # create_graph: the gradient keeps its own graph
        var._grad = g if old is None else old + g
    elif old is None:
        # a copy (the array may be shared with another leaf's gradient or with the caller's), unless it can
        # be stolen (np.array copies an array and makes a 0-d array of a NumPy scalar, in one call)
        var._grad = Tensor._make(g if steal and _getrefcount(g) == 3 and _own(g) else _tm._xp.array(g))
    elif old._rg or old._data.shape != g.shape:
        var._grad = old + Tensor._make(g)
    else:
        od = old._data
        od += g
        old._bump_version()
    ex = var._extra
    if ex is not None and ex.get("post_acc_hooks"):
        for hook in list(ex["post_acc_hooks"].values()):
            hook(var)


_getrefcount = sys.getrefcount


def _own(g: Any) -> bool:
    """Whether ``g`` (referenced by its caller only) is a writable C-ordered array whose memory nothing else
    can reach: it owns it, or it views all of an array that nothing else references (``g.base`` counts
    3 here: ``g``'s own reference, the name ``b`` and the argument)."""
    if type(g) is not _tm._ndarray or not g.flags.c_contiguous or not g.flags.writeable:
        return False
    b = g.base
    if b is None:
        return True
    return type(b) is _tm._ndarray and b.base is None and b.size == g.size and _getrefcount(b) == 3
def _as_user_grad(g: Any) -> Any:
    Tensor = _tm.Tensor
    if isinstance(g, Tensor):
        return g
    return Tensor._make(g if g.ndim else g.__array__())


def _from_user_grad(new: Any, old: Any) -> Any:
    Tensor = _tm.Tensor
    if isinstance(old, Tensor):
        return new
    return new._data


def _pre_hooks(node: Node, g: Any, capture: Any) -> Any:
    """Tensor hooks, then retain_grad, then node pre-hooks (PyTorch's order)."""
    Tensor = _tm.Tensor
    h = node._hooks
    multi = node.n_outputs > 1
    grads = list(g) if multi else [g]
    for nr, fn in list(h.get("tensor_pre", {}).values()):
        if grads[nr] is None:
            continue
        r = fn(_as_user_grad(grads[nr]))
        if r is not None:
            grads[nr] = _from_user_grad(r, grads[nr])
    for nr, ref in list(h.get("retain", {}).items()):
        t = ref()
        if t is None or grads[nr] is None:
            continue
        gv = grads[nr]
        if isinstance(gv, Tensor):
            t._grad = gv if t._grad is None else t._grad + gv
        elif t._grad is None:
            t._grad = Tensor._make(gv.copy() if gv.ndim else gv.__array__().copy())
        else:
            t._grad = Tensor._make(t._grad._data + gv)
    pre = h.get("pre")
    if pre:
        user = tuple(None if x is None else _as_user_grad(x) for x in grads)
        for fn in list(pre.values()):
            r = fn(user)
            if r is not None:
                user = tuple(r)
        grads = [None if u is None else _from_user_grad(u, grads[i] if grads[i] is not None else g)
                 for i, u in enumerate(user)]
    if multi:
        return grads
    return grads[0]


def _post_hooks(node: Node, out: Any, g: Any) -> Any:
    gin = tuple(None if x is None else _as_user_grad(x) for x in out)
    gout = tuple(None if x is None else _as_user_grad(x) for x in (g if node.n_outputs > 1 else [g]))
    for fn in list(node._hooks["post"].values()):
        r = fn(gin, gout)
        if r is not None:
            gin = tuple(r)
    return tuple(None if u is None else _from_user_grad(u, o if o is not None else g) for u, o in zip(gin, out))


def _anomalous_backward(node: Node, F: Any, g: Any) -> Any:
    """``node.backward`` in anomaly mode: show the forward traceback of a failing node; refuse NaN results."""
    try:
        out = node.backward(F, g)
    except Exception:
        _warn_forward_traceback(node)
        raise
    if ANOMALY.check_nan:
        for i, gi in enumerate(out):
            if gi is None:
                continue
            arr = gi._data if F.tensor_mode else gi
            if arr.dtype.kind == "f" and _tm._xp.isnan(arr).any():
                _warn_forward_traceback(node)
                raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
    return out


def _warn_forward_traceback(node: Node) -> None:
    import warnings
    tb = (node._hooks or {}).get("traceback_")
    if tb is not None:
        warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n"
                      + "".join(tb), UserWarning, stacklevel=3)
