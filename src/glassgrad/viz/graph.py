"""The graph a tensor came from, as plain data for every picture of it.

:func:`build_graph` walks ``tensor.grad_fn`` back to the leaves (an explicit stack, so a long chain is
fine) and describes each node: its PyTorch name, the forward formula written with the user's variable
names (``c = b ** 2``), its derivative rules from the op table, shapes, dtypes, what it saved, and —
when they are known — its value and the gradients that flow through it.  It only reads: no node,
tensor or ``.grad`` is changed.

Where gradients come from:

* a :class:`~glassgrad.viz.trace.Trace` recorded while ``backward()`` ran (``viz.record()``): the exact
  gradient on every edge, in PyTorch's execution order;
* otherwise, when the graph still holds its saved values, a dry run with ``autograd.grad(...,
  retain_graph=True)``, which computes the same gradients without touching any ``.grad`` (hooks
  registered on the graph's tensors or nodes do run, as they would in a real backward);
* otherwise (the graph was freed by ``backward()``): only the leaves' ``.grad`` are known.

Values are known for the output, the leaves, the tensors the caller holds in variables, and the
tensors the graph saved; the others are shown as unknown rather than recomputed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from heapq import heappop, heappush
from types import FrameType
from typing import Any

import numpy as np

from ..dtypes import FROM_NP
from ..engine.node import AccumulateGrad, Node, SavedOutput
from ..tensor import Tensor
from .names import Namer, caller_frame, constant_input, frame_scopes
from .trace import _copy

#: words in a formula that are neither arguments nor slots
_KEYWORDS = frozenset({"and", "or", "not", "if", "else", "where", "None", "True", "False", "in", "for", "is",
                       "grad", "result", "inf", "nan", "pi", "e"})
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# ---------------------------------------------------------------------- data
@dataclass(eq=False)
class VNode:
    """One box of the picture: a leaf, an op (a ``grad_fn``) or the output."""

    id: str
    kind: str  # "leaf" | "op" | "output"
    label: str
    node: Node | None
    op: str
    formula: str
    derivatives: tuple[str, ...]
    shape: tuple[int, ...] | None
    dtype: str | None
    value: np.ndarray | None
    grad: np.ndarray | None
    saved: dict[str, str]
    inputs: list[str]
    created_at: str | None = None
    #: the derivative rules as the op table writes them (argument names, not the user's)
    rules: tuple[str, ...] = ()
    #: the shapes and dtypes of the inputs, one per edge (None where the input needs no gradient)
    input_shapes: list[tuple[int, ...] | None] = field(default_factory=list)
    input_dtypes: list[str | None] = field(default_factory=list)
    #: for a node with several outputs, the gradient that arrived at each
    upstream: tuple[np.ndarray | None, ...] = ()
    #: the group (``Graph.group``) this node belongs to, if any
    group: str | None = None
    requires_grad: bool = True
    #: ``(input name, derivative rule)`` for each input that receives a gradient
    local: list[tuple[str, str]] = field(default_factory=list)

    @property
    def title(self) -> str:
        """``a`` plus, for an op, its PyTorch name: ``a (MulBackward0)``."""
        return self.label if self.kind == "leaf" else f"{self.label} ({self.op})"


class Graph:
    """The graph of nodes a tensor came from (see :func:`build_graph`).

    ``nodes``: id -> :class:`VNode`, inputs before the nodes that use them; ``root``: the output's id;
    ``edges``: ``(src, dst, grad)`` — ``src`` feeds ``dst`` forward, and ``grad`` is the gradient
    ``dst`` sent back to ``src`` (None when unknown); ``order``: the ids in PyTorch's backward
    execution order; ``notes``: what is not known and why.
    """

    def __init__(self, nodes: dict[str, VNode], root: str, edges: list[tuple[str, str, np.ndarray | None]],
                 order: list[str], notes: list[str], gradients: str) -> None:
        self.nodes = nodes
        self.root = root
        self.edges = edges
        self.order = order
        self.notes = notes
        #: where the gradients came from: "trace", "dry run", "leaves only" or "none"
        self.gradients = gradients
        self.groups: dict[str, list[str]] = {}

    def __len__(self) -> int:
        return len(self.nodes)

    def __repr__(self) -> str:
        return f"<glassgrad.viz.Graph: {len(self.nodes)} nodes, output {self.nodes[self.root].label}>"

    def by_label(self, label: str) -> VNode:
        """The node named ``label`` (``"c"``)."""
        for v in self.nodes.values():
            if v.label == label:
                return v
        raise KeyError(label)

    def edge_grad(self, src: str, dst: str) -> np.ndarray | None:
        """The gradient ``dst`` sent back to ``src`` (summed if several edges join them)."""
        total = None
        for s, d, g in self.edges:
            if s == src and d == dst and g is not None:
                total = g if total is None else total + g
        return total

    def op_counts(self) -> dict[str, int]:
        """How many nodes of each op the graph holds (leaves counted as ``leaf``)."""
        counts: dict[str, int] = {}
        for v in self.nodes.values():
            counts[v.op] = counts.get(v.op, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def visible(self, max_nodes: int) -> tuple[list[str], list[str]]:
        """The ids to draw when at most ``max_nodes`` fit, and the ids left out.

        The nodes kept are those nearest the output (breadth first from it), so a huge graph is
        shown by its last steps plus a summary of the rest, never as a flood.
        """
        if len(self.nodes) <= max_nodes:
            return list(self.nodes), []
        keep: set[str] = set()
        queue = [self.root]
        i = 0
        while i < len(queue) and len(keep) < max_nodes:
            nid = queue[i]
            i += 1
            if nid in keep:
                continue
            keep.add(nid)
            queue.extend(self.nodes[nid].inputs)
        return [n for n in self.nodes if n in keep], [n for n in self.nodes if n not in keep]

    def summarize(self, ids: list[str]) -> str:
        """``"640 nodes: 320 × TanhBackward0, 320 × AddBackward0"`` for the nodes ``ids``."""
        counts: dict[str, int] = {}
        for nid in ids:
            op = self.nodes[nid].op
            counts[op] = counts.get(op, 0) + 1
        parts = [f"{k} × {op}" for op, k in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
        shown = ", ".join(parts[:6]) + (f", … ({len(parts) - 6} more kinds)" if len(parts) > 6 else "")
        return f"{len(ids)} node{'s' if len(ids) != 1 else ''}: {shown}"

    def consumers(self, nid: str) -> list[str]:
        """The ids of the nodes that use ``nid``'s output."""
        return [d for s, d, _ in self.edges if s == nid]

    # ------------------------------------------------------------------ groups
    def group(self, name: str, output: Tensor | str, inputs: tuple[Tensor | str, ...] | list[Any] = ()) -> list[str]:
        """Put the nodes that compute ``output`` from ``inputs`` into one named box (a composite op).

        ``output`` and ``inputs`` are tensors of this graph (or node ids).  Every node on a path
        from an input (excluded) to the output (included) joins the group; returns their ids.
        """
        out_id = self._id_of(output)
        stop = {self._id_of(t) for t in inputs}
        members: list[str] = []
        seen = set(stop)
        stack = [out_id]
        while stack:
            nid = stack.pop()
            if nid in seen:
                continue
            seen.add(nid)
            if self.nodes[nid].kind == "leaf":
                continue
            members.append(nid)
            stack.extend(self.nodes[nid].inputs)
        members = [n for n in self.nodes if n in set(members)]
        for nid in members:
            self.nodes[nid].group = name
        self.groups[name] = members
        return members

    def _id_of(self, t: Tensor | str) -> str:
        if isinstance(t, str):
            if t not in self.nodes:
                raise KeyError(t)
            return t
        if not isinstance(t, Tensor):
            raise TypeError(f"expected a Tensor or a node id, got {type(t).__name__}")
        target: Any = t.grad_fn if t.grad_fn is not None else (t._accumulator() if t._rg else None)
        for v in self.nodes.values():
            if v.node is not None and v.node is target:
                return v.id
            if v.node is None and v.kind == "leaf" and v.value is not None and target is None \
                    and v.label and v.value.shape == t.shape and np.array_equal(v.value, t._data):
                return v.id
        raise ValueError("the tensor is not part of this graph")

    # ------------------------------------------------------------------ pictures
    def text(self, **kwargs: Any) -> str:
        """A terminal drawing of the graph (see :func:`glassgrad.viz.draw`)."""
        from .text import render
        return render(self, **kwargs)

    def dot(self, **kwargs: Any) -> str:
        """The graph as Graphviz DOT text."""
        from .dot import render_dot
        return render_dot(self, **kwargs)

    def to_svg(self, path: str | None = None) -> str:
        """Render with Graphviz's ``dot`` to SVG (written to ``path`` when given); returns the SVG text."""
        from .dot import to_svg
        return to_svg(self, path)

    def to_png(self, path: str) -> str:
        """Render with Graphviz's ``dot`` to a PNG file at ``path``; returns the path."""
        from .dot import to_png
        return to_png(self, path)

    def to_html(self, path: str | None = None) -> str:
        """One self-contained interactive page (written to ``path`` when given); returns the HTML."""
        from .html import to_html
        return to_html(self, path)

    def _repr_svg_(self) -> str | None:
        from .dot import dot_available, to_svg
        return to_svg(self) if dot_available() else None

    def _repr_html_(self) -> str:
        from .html import render_fragment
        return render_fragment(self)

    def __str__(self) -> str:
        return self.text()


# ---------------------------------------------------------------------- formatting
def dtype_name(np_dtype: Any) -> str:
    """``torch.float32`` for a NumPy dtype."""
    d = FROM_NP.get(np.dtype(np_dtype))
    return repr(d) if d is not None else str(np_dtype)


def fmt_value(a: Any, max_items: int = 6) -> str:
    """A short text for an array: ``14.``, ``[1., 2., 3.]`` or ``mean 0.013, range [-1.2, 0.9]``."""
    if a is None:
        return "?"
    a = np.asarray(a)
    if a.ndim == 0:
        return _num(a.item())
    if a.size <= max_items:
        return np.array2string(a, precision=4, separator=", ", suppress_small=True,
                               formatter=_FORMATTER if a.dtype.kind == "f" else None)
    if a.size and a.dtype.kind in "fiub":
        with np.errstate(all="ignore"):
            return f"mean {_num(float(a.mean()))}, range [{_num(float(a.min()))}, {_num(float(a.max()))}]"
    return f"shape {list(a.shape)}"


def _num(v: Any) -> str:
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, complex):
        return str(v)
    v = float(v)
    if v == int(v) and abs(v) < 1e15 if np.isfinite(v) else False:
        return f"{int(v)}."
    return f"{v:.4g}"


_FORMATTER = {"float_kind": lambda v: _num(v)}


def _scalar_text(v: Any) -> str:
    """A slot's value as it would appear in code (``2``, ``0.5``, ``-1``, ``(0, 1)``)."""
    if isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype.kind == "f":
        v = v.item()  # a number converted to the tensor's dtype when recorded (ops._base.arith_operands)
    if isinstance(v, float):
        if np.isfinite(v) and v == int(v) and abs(v) < 1e15:
            return repr(int(v))
        return repr(v) if len(repr(v)) <= 8 else f"{v:.6g}"
    if isinstance(v, np.ndarray):
        return fmt_value(v)
    if isinstance(v, tuple | list):
        return "(" + ", ".join(_scalar_text(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    return repr(v)


def _is_scalar_like(v: Any) -> bool:
    if isinstance(v, bool | int | float | complex | str):
        return True
    if isinstance(v, tuple | list):
        return len(v) <= 8 and all(_is_scalar_like(x) for x in v)
    if isinstance(v, np.ndarray | np.generic):
        return np.ndim(v) == 0
    return False


# ---------------------------------------------------------------------- formulas
def _slot_values(node: Node) -> dict[str, Any]:
    """The op's own scalars (PowBackward0's ``exponent``, SoftmaxBackward0's ``dim``)."""
    out: dict[str, Any] = {}
    for cls in type(node).__mro__:
        for s in getattr(cls, "__slots__", ()):
            if s.startswith("_") or s in out or s == "variable":
                continue
            v = getattr(node, s, None)
            if v is not None and _is_scalar_like(v):
                out[s] = v
    return {**out, **derived_slots(node)}


def derived_slots(node: Node) -> dict[str, Any]:
    """Arguments a formula names that the node keeps only in another form (PermuteBackward0's ``dims``)."""
    inverse = getattr(node, "inverse", None) if type(node).__name__ == "PermuteBackward0" else None
    if isinstance(inverse, tuple | list) and all(isinstance(i, int | np.integer) for i in inverse):
        return {"dims": tuple(int(i) for i in np.argsort(inverse))}
    return {}


def _substitute(text: str, mapping: dict[str, str]) -> str:
    """Replace whole-word names in ``text`` (function names — a name followed by ``(`` — excepted)."""
    def repl(m: re.Match[str]) -> str:
        name = m.group(0)
        after = text[m.end():m.end() + 1]
        before = text[m.start() - 1:m.start()] if m.start() else ""
        if after == "(" or before == "." or name not in mapping:
            return name
        return mapping[name]
    out = _IDENT.sub(repl, text)
    # ``1 * other`` reads better as ``other`` (AddBackward0's alpha)
    return re.sub(r"(?<![\w.])1 \* ", "", out)


def _formula_args(node: Node) -> list[str]:
    """The tensor arguments of ``node``'s forward formula, in order (``["self", "other"]``)."""
    formula = type(node).formula.split("   (")[0]
    slots = _slot_values(node)
    args: list[str] = []
    for m in _IDENT.finditer(formula):
        name = m.group(0)
        if formula[m.end():m.end() + 1] == "(" or name in _KEYWORDS or name in slots or name in args:
            continue
        args.append(name)
    return args


def _argument_mapping(node: Node, input_labels: list[str | None]) -> dict[str, str]:
    """Formula argument name -> the user's name (or value) of that argument, for ``node``."""
    mapping = {k: _scalar_text(v) for k, v in _slot_values(node).items()}
    for i, name in enumerate(_formula_args(node)):
        if i < len(input_labels) and input_labels[i] is not None:
            mapping[name] = input_labels[i]  # type: ignore[assignment]
    return mapping


def _formulas(node: Node, label: str, input_labels: list[str | None]) -> tuple[str, tuple[str, ...]]:
    """``("c = b ** 2", ("grad * 2 * b ** (2 - 1)",))`` for ``c = b ** 2``."""
    cls = type(node)
    if isinstance(node, AccumulateGrad):
        return f"{label} (leaf)", (f"{label}.grad += grad",)
    if not cls.formula:  # a custom autograd.Function: its class and inputs
        fwd = getattr(cls, "_forward_cls", None)
        fn = f"{fwd.__name__}.apply" if fwd is not None else node.name()
        args = ", ".join(lab if lab is not None else f"input{i}" for i, lab in enumerate(input_labels))
        return f"{label} = {fn}({args})", ()
    mapping = _argument_mapping(node, input_labels)
    forward, _, note = cls.formula.partition("   (")
    forward = f"{label} = {_substitute(forward, mapping)}"
    ders = tuple(_substitute(d, mapping) for d in cls.derivatives)
    return forward, ders


# ---------------------------------------------------------------------- names shared by every view
def output_names(frame: FrameType | None, names: dict[str, Any] | None = None) -> dict[tuple[int, int], str]:
    """(id(grad_fn), output_nr) -> the caller's name for that output (``names`` win), for nodes with several outputs."""
    scopes: list[dict[str, Any]] = []
    if frame is not None:
        scopes += [frame.f_globals] if frame.f_globals is frame.f_locals else [frame.f_globals, frame.f_locals]
    if names:
        scopes.append(names)
    out: dict[tuple[int, int], str] = {}
    for scope in scopes:           # later scopes win: locals over globals, ``names`` over both
        mine: dict[tuple[int, int], str] = {}
        for k, v in list(scope.items()):
            if isinstance(v, Tensor) and v.grad_fn is not None and v.grad_fn.n_outputs > 1 and not k.startswith("_"):
                mine.setdefault((id(v.grad_fn), v._output_nr), k)   # within a scope, the first name wins
        out.update(mine)
    return out


def node_label(node: Node, namer: Namer, out_names: dict[tuple[int, int], str]) -> str:
    """The name a view gives ``node``'s result: ``c``, ``t3``, or ``p, q`` for ``p, q = x.split(2)``."""
    if 1 < node.n_outputs <= 4 and any((id(node), k) in out_names for k in range(node.n_outputs)):
        return ", ".join(out_names.get((id(node), k), "_") for k in range(node.n_outputs))
    return namer.node(node)


def input_labels(node: Node, namer: Namer, out_names: dict[tuple[int, int], str],
                 known: dict[int, np.ndarray] | None = None) -> list[str]:
    """How a formula names each input of ``node``: a tensor's name, a number, or ``(constant)``.

    A tensor input is named by :class:`~glassgrad.viz.names.Namer` (one output of a multi-output op:
    ``p`` or ``t2[1]``); a constant the node saved by its name or its value; a number the graph lost
    (``b = a + 3``) is solved from ``known`` values (see :func:`known_values`) when it can be.
    """
    labels: list[str | None] = []
    saved = node._saved if isinstance(node._saved, tuple) else None
    for i, e in enumerate(node._next):
        if e is not None:
            m, nr = e[0], e[1]
            lab = namer.node(m)
            labels.append(lab if m.n_outputs == 1 else out_names.get((id(m), nr), f"{lab}[{nr}]"))
            continue
        const = constant_input(node, i)
        if const is not None:
            labels.append(namer.tensor(const))
            continue
        item = saved[i] if saved is not None and len(saved) == len(node._next) else None
        labels.append(_scalar_text(item) if item is not None and _is_scalar_like(item) else None)
    if None in labels and known is not None and type(node).__name__ in _INVERTIBLE:
        labels = _infer_constant(node, labels, known)
    return [lab if lab is not None else "(constant)" for lab in labels]


def known_values(nodes: list[Node], held: dict[int, np.ndarray] | None = None) -> dict[int, np.ndarray]:
    """id(node) -> the value of its result, where known, for solving lost numbers.

    Known are the values in ``held`` (id(grad_fn) -> value, the tensors the caller holds), leaves,
    and what the nodes saved (inputs and outputs).  Read before backward frees the saved values.
    """
    values: dict[int, np.ndarray] = dict(held or {})
    for n in nodes:
        if isinstance(n, AccumulateGrad):
            values.setdefault(id(n), n.variable._data)
            continue
        for s in n._saved or ():
            if isinstance(s, SavedOutput) and s.output_nr == 0 and n.n_outputs == 1:
                values.setdefault(id(n), s.data)
            elif isinstance(s, Tensor) and s.grad_fn is not None and s.grad_fn.n_outputs == 1:
                values.setdefault(id(s.grad_fn), s._data)
    return values


# ---------------------------------------------------------------------- walking
def execution_order(root: Node) -> list[Node]:
    """The order PyTorch's engine runs the nodes reachable from ``root`` (newest ready node first)."""
    deps: dict[Node, int] = {root: 0}
    stack = [root]
    while stack:
        n = stack.pop()
        for e in n._next:
            if e is None:
                continue
            m = e[0]
            if m in deps:
                deps[m] += 1
            else:
                deps[m] = 1
                stack.append(m)
    heap = [(-root._seq, 0, root)]
    order: list[Node] = []
    tie = 1
    while heap:
        n = heappop(heap)[2]
        order.append(n)
        for e in n._next:
            if e is None:
                continue
            m = e[0]
            deps[m] -= 1
            if deps[m] == 0:
                heappush(heap, (-m._seq, tie, m))
                tie += 1
    return order


def _frame_tensors(frame: FrameType | None, names: dict[str, Any] | None) -> list[Tensor]:
    found: list[Tensor] = []
    for scope in frame_scopes(frame, names):
        for k, v in list(scope.items()):
            if isinstance(v, Tensor) and not k.startswith("_"):
                found.append(v)
    return found


def _describe_saved(v: Any, input_labels: dict[int, str], label: str) -> tuple[str, str] | None:
    """(name, description) of one saved value, or None for an empty slot."""
    if v is None:
        return None
    if isinstance(v, SavedOutput):
        return (label if v.output_nr == 0 else f"{label}[{v.output_nr}]"), _saved_text(v.data)
    if isinstance(v, Tensor):
        key = id(v.grad_fn) if v.grad_fn is not None else id(v._accum() if v._accum is not None else None)
        name = input_labels.get(key) or "tensor"
        return name, _saved_text(v._data)
    if isinstance(v, np.ndarray) and v.ndim:
        return "array", _saved_text(v)
    if _is_scalar_like(v):
        return "number", _scalar_text(v)
    return type(v).__name__, type(v).__name__


def _saved_text(a: np.ndarray) -> str:
    a = np.asarray(a)
    if a.size <= 6:
        return f"{fmt_value(a)} ({dtype_name(a.dtype)})"
    return f"tensor of shape {list(a.shape)}, {dtype_name(a.dtype)}"


def _created_at(node: Node) -> str | None:
    hooks = node._hooks
    stack = hooks.get("traceback_") if hooks else None
    if not stack:
        return None
    last = stack[-1].strip().splitlines()
    m = re.match(r'File "(.*)", line (\d+)', last[0]) if last else None
    if m is None:
        return last[0] if last else None
    where = f"{m.group(1).rsplit('/', 1)[-1]}:{m.group(2)}"
    return f"{where}: {last[1].strip()}" if len(last) > 1 else where


# ---------------------------------------------------------------------- gradients
def _dry_run(root: Tensor, leaves: list[Tensor]) -> Any:
    """Record the backward steps with ``autograd.grad(retain_graph=True)``: no ``.grad`` changes."""
    from .. import autograd
    from ..creation import ones_like
    from .trace import record
    seed = ones_like(root)
    with record() as trace:
        autograd.grad(root, leaves, grad_outputs=seed, retain_graph=True, allow_unused=True)
    return trace


def _freed(nodes: list[Node]) -> bool:
    return any(n._saved is None for n in nodes)


# ---------------------------------------------------------------------- build
def build_graph(tensor: Tensor, names: dict[str, Tensor] | None = None, trace: Any = None,
                frame: FrameType | None = None) -> Graph:
    """The graph of nodes ``tensor`` came from, described for drawing (see the module docstring).

    ``names`` maps names to tensors (``{"loss": loss}``) and wins over the caller's variables, which
    are used by default; ``trace`` is a :class:`~glassgrad.viz.trace.Trace` recorded while backward ran.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"build_graph() expects a Tensor, got {type(tensor).__name__}")
    if frame is None:
        frame = caller_frame()
    namer = Namer(frame, names)
    holders = _frame_tensors(frame, names)
    held: dict[int, Tensor] = {}   # id(grad_fn) -> tensor the caller holds (for values and retained grads)
    out_names = output_names(frame, names)  # (id(grad_fn), output_nr) -> name, for multi-output ops
    for t in holders:
        if t.grad_fn is not None and t.grad_fn.n_outputs == 1:
            held.setdefault(id(t.grad_fn), t)
    root_fn = tensor.grad_fn
    if root_fn is None and tensor._rg:
        root_fn = tensor._accumulator()
    del holders
    if root_fn is not None:
        namer.number([root_fn])

    # ---- the nodes, in backward execution order (PyTorch's)
    if root_fn is None:
        v = VNode("n0", "leaf", namer.tensor(tensor), None, "leaf", f"{namer.tensor(tensor)} (leaf)", (),
                  tuple(tensor.shape), dtype_name(tensor._data.dtype), _copy(tensor), None, {}, [],
                  requires_grad=False)
        return Graph({"n0": v}, "n0", [], [], ["the tensor does not require grad: it has no graph"], "none")
    exec_order = execution_order(root_fn)
    notes: list[str] = []

    # ---- gradients: a recorded trace, else a dry run when the graph still holds its saved values
    source = "trace" if trace is not None else "none"
    leaves = [n.variable for n in exec_order if isinstance(n, AccumulateGrad)]
    if trace is None and tensor.grad_fn is not None:
        if _freed(exec_order):
            notes.append("backward() has freed this graph's saved values, so the gradient on each edge is "
                         "unknown; record it with `with glassgrad.viz.record() as trace: loss.backward()` "
                         "and pass trace=trace (or use retain_graph=True)")
            source = "leaves only"
        else:
            try:
                trace = _dry_run(tensor, leaves)
                source = "dry run"
                if tensor.numel() != 1:
                    notes.append("gradients shown are for a seed of ones (the output is not a scalar)")
            except Exception as exc:  # noqa: BLE001 - a graph that cannot run backward is still drawn
                notes.append(f"the gradients could not be computed: {type(exc).__name__}: {exc}")
    step_of: dict[int, list[Any]] = {}
    if trace is not None:
        for s in trace.steps:
            step_of.setdefault(id(s.node), []).append(s)

    # ---- ids: inputs first (reverse execution order is a topological order)
    topo = list(reversed(exec_order))
    ids = {id(n): f"n{i}" for i, n in enumerate(topo)}
    # the output's name: the tensor's own name beats the one its grad_fn was given
    labels = {id(n): node_label(n, namer, out_names) for n in topo}
    if root_fn.n_outputs == 1:
        labels[id(root_fn)] = namer.tensor(tensor)

    nodes: dict[str, VNode] = {}
    edges: list[tuple[str, str, np.ndarray | None]] = []
    extra: dict[int, VNode] = {}  # id(tensor) -> leaf VNode for inputs that need no grad
    # values: the output, the tensors the caller holds, and what the graph itself kept
    values = known_values(topo, {id(root_fn): tensor._data, **{k: t._data for k, t in held.items()}})

    for n in topo:
        nid = ids[id(n)]
        label = labels[id(n)]
        in_ids: list[str] = []
        # the same names, numbers and solved constants as the narration's (see input_labels)
        in_labels = input_labels(n, namer, out_names, values)
        in_shapes: list[tuple[int, ...] | None] = []
        in_dtypes: list[str | None] = []
        for i, e in enumerate(n._next):
            if e is None:
                const = constant_input(n, i)
                if const is not None:
                    leaf = extra.get(id(const))
                    if leaf is None:
                        lid = f"c{len(extra)}"
                        lab = in_labels[i]
                        leaf = VNode(lid, "leaf", lab, None, "leaf", f"{lab} (constant)", (), tuple(const.shape),
                                     dtype_name(const._data.dtype), _copy(const), None, {}, [],
                                     requires_grad=False)
                        extra[id(const)] = leaf
                    in_ids.append(leaf.id)
                    edges.append((leaf.id, nid, None))
                in_shapes.append(None)
                in_dtypes.append(None)
                continue
            m = e[0]
            in_ids.append(ids[id(m)])
            in_shapes.append(tuple(e[2]))
            in_dtypes.append(dtype_name(e[3]))
            grad = None
            steps = step_of.get(id(n))
            if steps:
                for s in steps:
                    if i < len(s.passed) and s.passed[i] is not None:
                        grad = s.passed[i] if grad is None else grad + s.passed[i]
            edges.append((ids[id(m)], nid, grad))

        forward, ders = _formulas(n, label, list(in_labels))
        is_leaf = isinstance(n, AccumulateGrad)
        kind = "leaf" if is_leaf else "output" if n is root_fn else "op"
        # shape and dtype of this node's output: from the root tensor or any consumer's edge
        shape: tuple[int, ...] | None = None
        dtype: str | None = None
        value: np.ndarray | None = None
        grad: np.ndarray | None = None
        upstream: tuple[np.ndarray | None, ...] = ()
        if is_leaf:
            var = n.variable
            shape, dtype, value = tuple(var.shape), dtype_name(var._data.dtype), _copy(var)
            grad = _copy(var.grad)
            if grad is None and id(n) in step_of:
                for s in step_of[id(n)]:
                    g = s.upstream[0] if s.upstream else None
                    if g is not None:
                        grad = g if grad is None else grad + g
        else:
            if n is root_fn:
                shape, dtype, value = tuple(tensor.shape), dtype_name(tensor._data.dtype), _copy(tensor)
            holder = held.get(id(n))
            if holder is not None:
                shape, dtype = tuple(holder.shape), dtype_name(holder._data.dtype)
                if value is None:
                    value = _copy(holder)
            if value is None and id(n) in values:
                value = _copy(values[id(n)])
            steps = step_of.get(id(n))
            if steps:
                ups = [s.upstream for s in steps]
                upstream = tuple(
                    _sum_opt([u[k] if k < len(u) else None for u in ups]) for k in range(max(len(u) for u in ups)))
                grad = upstream[0] if upstream and n.n_outputs == 1 else None  # several outputs: see upstream
            elif holder is not None and holder._grad is not None:  # retain_grad()
                grad = _copy(holder._grad)
        saved_desc: dict[str, str] = {}
        if n._saved is None:
            saved_desc["saved values"] = "freed"
        else:
            inl = {id(e[0]): labels[id(e[0])] for e in n._next if e is not None}
            args = _formula_args(n)
            positional = len(n._saved or ()) == len(n._next)
            for i, d in enumerate(n._saved or ()):
                item = _describe_saved(d, inl, label)
                if item is not None:
                    key = item[0]
                    if positional and i < len(args) and not isinstance(d, SavedOutput | Tensor):
                        key = args[i]
                    k = 2
                    while key in saved_desc:
                        key = f"{item[0]}#{k}"
                        k += 1
                    saved_desc[key] = item[1]
        for s, v in _slot_values(n).items():
            saved_desc[s] = _scalar_text(v)
        vn = VNode(nid, kind, label, n, "leaf" if is_leaf else n.name(), forward, ders, shape, dtype, value, grad,
                   saved_desc, in_ids, _created_at(n), tuple(type(n).derivatives), in_shapes, in_dtypes, upstream)
        if is_leaf:
            vn.local = [(label, ders[0])] if ders else []
        else:
            vn.local = [(in_labels[i] or f"input {i}", ders[i]) for i, e in enumerate(n._next)
                        if e is not None and i < len(ders)]
        nodes[nid] = vn
    # fill in output shapes of ops from the edges that consume them
    for n in topo:
        for e in n._next:
            if e is not None:
                v = nodes[ids[id(e[0])]]
                if v.shape is None and e[1] == 0 and e[0].n_outputs == 1:
                    v.shape, v.dtype = tuple(e[2]), dtype_name(e[3])
    if extra:  # constants first: they are inputs
        nodes = {**{v.id: v for v in extra.values()}, **nodes}
    if source == "dry run":
        # the dry run adds nothing to .grad: a leaf's gradient is what its edges carried
        for v in nodes.values():
            if v.kind == "leaf" and v.grad is None and v.node is not None:
                v.grad = _sum_opt([g for s, d, g in edges if s == v.id])
    order = [ids[id(n)] for n in exec_order]
    if trace is not None and step_of:
        seen: set[str] = set()
        traced = []
        for s in trace.steps:
            nid = ids.get(id(s.node))
            if nid is not None and nid not in seen:
                seen.add(nid)
                traced.append(nid)
        # accumulations skipped by a dry run still belong in the order: the engine's own order is kept
        if len(traced) == len(order):
            order = traced
    return Graph(nodes, ids[id(root_fn)], edges, order, notes, source)


#: ops whose lost number can be solved for from the output and the tensor input: out -> number
_INVERTIBLE = {
    "AddBackward0": lambda out, a, alpha: (out - a) / alpha,
    "SubBackward0": lambda out, a, alpha: (a - out) / alpha,
    "MulBackward0": lambda out, a, alpha: out / a,
    "DivBackward0": lambda out, a, alpha: a / out,
}


def _infer_constant(node: Node, in_labels: list[str | None], values: dict[int, np.ndarray]) -> list[str | None]:
    """The number in ``b = a + 3`` when the graph no longer says it.

    PyTorch's AddBackward0 keeps no trace of the 3 (and a freed MulBackward0 forgets its 2), but when
    the output's and the tensor input's values are both known, the number follows: ``(b - a) / alpha``
    for add.  It is shown only when it comes out as one number for every element.
    """
    out = values.get(id(node))
    if out is None or len(node._next) != 2 or node._next[0] is None or node._next[1] is not None:
        return in_labels
    e = node._next[0]
    a = _derived_value(e[0], values)
    if a is None or e[1] != 0 or np.shape(a) != tuple(e[2]):
        return in_labels
    with np.errstate(all="ignore"):
        c = _INVERTIBLE[type(node).__name__](np.asarray(out, dtype=np.float64),
                                             np.asarray(a, dtype=np.float64), getattr(node, "alpha", 1))
    flat = np.ravel(c)
    if flat.size == 0 or not np.all(np.isfinite(flat)) or not np.allclose(flat, flat[0], rtol=1e-6, atol=1e-6):
        return in_labels
    labels = list(in_labels)
    labels[1] = _num(float(flat[0])).rstrip(".")
    return labels


#: the forward of those ops with a number for their second input: (a, number, alpha) -> out
_FORWARD = {
    "AddBackward0": lambda a, c, alpha: a + alpha * c,
    "SubBackward0": lambda a, c, alpha: a - alpha * c,
    "MulBackward0": lambda a, c, alpha: a * c,
    "DivBackward0": lambda a, c, alpha: a / c,
}


def _derived_value(node: Node, values: dict[int, np.ndarray], depth: int = 0) -> np.ndarray | None:
    """``node``'s value if known, else, for ``t0 = x * 3`` with the 3 saved and x's value known, ``x * 3``.

    Used only to solve a lost number further on (``l1 = t0 + 1``: 1 = l1 - t0), never shown as a
    value; at most a few such steps are followed.
    """
    known = values.get(id(node))
    if known is not None or depth > 8:
        return known
    kind = type(node).__name__
    nxt = node._next
    if kind not in _FORWARD or len(nxt) != 2 or nxt[0] is None or nxt[1] is not None or nxt[0][1] != 0:
        return None
    saved = node._saved if isinstance(node._saved, tuple) else None
    c = saved[1] if saved is not None and len(saved) == 2 else None
    if c is None or isinstance(c, bool | str) or not _is_scalar_like(c) or np.ndim(c) != 0:
        return None
    a = _derived_value(nxt[0][0], values, depth + 1)
    if a is None:
        return None
    with np.errstate(all="ignore"):
        return np.asarray(_FORWARD[kind](np.asarray(a, dtype=np.float64), c, getattr(node, "alpha", 1) or 1))


def _sum_opt(gs: list[np.ndarray | None]) -> np.ndarray | None:
    total = None
    for g in gs:
        if g is not None:
            total = np.array(g, copy=True) if total is None else total + g
    return total
