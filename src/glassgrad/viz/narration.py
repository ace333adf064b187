"""The chain rule, told step by step while ``backward()`` runs.

For the chapter's graph (section 7.4: ``a = x*2; b = a+3; c = b**2; d = c/2; e = d+1``)::

    >>> glassgrad.viz.explain(e)
    backward from e (AddBackward0), seeded with de/de = 1
    [1] AddBackward0   e = d + 1
          upstream  de/de = 1
          local     de/dd = 1
          product   de/dd = 1 × 1 = 1   → d (DivBackward0)
    [2] DivBackward0   d = c / 2
          ...
          local     dd/dc = 1/2 = 0.5
    ...
    [6] AccumulateGrad   x.grad = 14   (was None)

Every step names the node, the gradient arriving from above (*upstream*), the node's own
derivative (*local*: its formula and value), their product and where it goes.  For tensors the
rule is shown in matrix form (``grad_x = grad_h @ W.T``) with shapes; small values are printed in
full, large ones summarised.  The narrator is an engine observer: it reads what the engine passes,
it never changes a gradient.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

import numpy as np

from ..engine import engine as _engine
from ..engine.node import AccumulateGrad, Node
from ..tensor import Tensor
from .graph import _formulas, derived_slots, input_labels, known_values, node_label
from .graph import output_names as output_names
from .names import Namer, caller_frame, frame_scopes, graph_nodes
from .trace import _copy

#: values with at most this many elements are printed in full
SMALL = 6
#: the caller's tensors with at most this many elements are remembered, to solve the numbers a graph lost
HELD_LIMIT = 1 << 16

_IDENT = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_NOT_ARGS = {"grad", "result", "grads", "and", "or", "not", "if", "else", "for", "in", "is", "None", "True", "False",
             "dim", "keepdim", "dtype", "shape", "T", "mT", "numel", "ln", "count", "along", "a", "number", "tensor",
             "batched", "only", "here", "with", "zeros", "the", "of", "elements", "indices"}


# ---------------------------------------------------------------------------- formatting values

def fmt_value(v: Any) -> str:
    """A number as the chapter writes it (``14``, ``0.5``); a small array in full; a large one summarised."""
    if v is None:
        return "None"
    a = np.asarray(v)
    if a.size == 1 and a.ndim == 0:
        return _num(a.item())
    if a.size <= SMALL:
        return np.array2string(a, separator=", ", max_line_width=10**6,
                               formatter={"all": lambda x: _num(x.item() if hasattr(x, "item") else x)}).replace("\n", "")
    if a.dtype.kind in "fc" or a.dtype.kind in "iub":
        af = a.astype(np.float64) if a.dtype.kind != "c" else np.abs(a)
        return (f"<{list(a.shape)}: mean {_num(af.mean())}, min {_num(af.min())}, max {_num(af.max())}, "
                f"norm {_num(float(np.sqrt((af * af).sum())))}>")
    return f"<{list(a.shape)} {a.dtype}>"


def _num(x: Any) -> str:
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int | np.integer):
        return str(int(x))
    if isinstance(x, complex):
        return str(x)
    x = float(x)
    if not np.isfinite(x):
        return str(x)
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"


def _shape(a: Any) -> str:
    return str(list(np.shape(a)))


# ---------------------------------------------------------------------------- formulas with the user's names

def _slot_values(node: Node) -> dict[str, Any]:
    """The node's scalar slots (``exponent``, ``alpha``, ``other`` …) that read well in a formula."""
    out = {}
    for cls in type(node).__mro__:
        for s in getattr(cls, "__slots__", ()):
            if s.startswith("_") or s in out:
                continue
            v = getattr(node, s, None)
            if isinstance(v, bool | int | float | np.integer | np.floating):
                out[s] = v
            elif isinstance(v, tuple) and len(v) <= 4 and all(isinstance(e, int) for e in v):
                out[s] = v
    return {**out, **derived_slots(node)}


def _arg_names(node: Node) -> list[str]:
    """The formula's tensor arguments in order (``self``, ``other``, ``mat2`` …), matched to the node's edges."""
    formula = type(node).formula.split("   (")[0]
    slots = _slot_values(node)
    names: list[str] = []
    for m in _IDENT.finditer(formula):
        word = m.group()
        before = formula[:m.start()].rstrip()
        after = formula[m.end():].lstrip()
        if (word in _NOT_ARGS or word in slots or word in names or after.startswith("(")
                or before.endswith(".") or word[0].isdigit()):
            continue
        names.append(word)
    return names


class _Names:
    """Names for one node's inputs, output and scalars, ready to substitute into its formulas.

    The output's and the inputs' names come from :func:`glassgrad.viz.graph.node_label` and
    :func:`~glassgrad.viz.graph.input_labels`, as in the drawing: the same ``tN`` numbering, the same
    constants' names and the same numbers solved from known values.
    """

    def __init__(self, namer: Namer, node: Node, outs: dict[tuple[int, int], str] | None = None,
                 inputs: list[str] | None = None, label: str | None = None) -> None:
        outs = outs or {}
        self.out = label if label is not None else node_label(node, namer, outs)
        base = namer.node(node)
        #: one name per output (``a, b, c = x.unbind(0)``)
        self.outs = [self.out] if node.n_outputs == 1 else \
            [outs.get((id(node), k), f"{base}[{k}]") for k in range(node.n_outputs)]
        self.args = _arg_names(node)
        labels = inputs if inputs is not None else input_labels(node, namer, outs)
        #: the name (or number) of each input; None where it is an unknown constant
        self.inputs: list[str | None] = [None if lab == "(constant)" else lab for lab in labels]
        self.labels = list(labels)
        self.map: dict[str, str] = {"result": self.out}
        for i, a in enumerate(self.args):
            if i < len(self.inputs) and self.inputs[i] is not None:
                self.map[a] = self.inputs[i]  # type: ignore[assignment]
            elif a == "self":  # a constant (no gradient needed): the formula's own name, not "self"
                self.map[a] = "input"
        for k, v in _slot_values(node).items():
            self.map.setdefault(k, _num(v) if not isinstance(v, tuple) else str(v))

    def sub(self, text: str, grad: str | None = None) -> str:
        """``text`` with argument names replaced (attribute names after a dot are left alone)."""
        def one(m: re.Match[str]) -> str:
            word = m.group()
            if m.start() > 0 and text[m.start() - 1] == ".":
                return word
            if grad is not None and word == "grad":
                return grad
            return self.map.get(word, word)
        return re.sub(r"\b1 \* ", "", _IDENT.sub(one, text)) if "alpha" in text else _IDENT.sub(one, text)

    def named(self, i: int) -> bool:
        """True when input ``i`` has a name or a known value (a tensor of the graph, a constant, a number)."""
        return i < len(self.inputs) and self.inputs[i] is not None

    def input(self, i: int) -> str:
        """The name of input ``i`` (``input{i}`` for an unknown constant)."""
        name = self.inputs[i] if i < len(self.inputs) else None
        return name if name is not None else f"input{i}"


def forward_formula(node: Node, names: _Names) -> str:
    """``c = b ** 2``: the node's forward formula with the user's names, exactly as the drawing writes it."""
    return _formulas(node, names.out, list(names.labels))[0]


def _power(base: str, n: Any) -> str:
    sup = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
    if n == 1:
        return base
    if isinstance(n, int) or float(n).is_integer():
        return base + str(int(n)).translate(sup)
    return f"{base}^{_num(n)}"


def local_formula(node: Node, i: int, names: _Names) -> str:
    """The local derivative d(output)/d(input i) as a formula with the user's names (``2b``, ``1/2``, ``cos(x)``)."""
    kind = type(node).__name__
    slots = _slot_values(node)
    x = names.input(0)
    if kind in ("PowBackward0",) and "exponent" in slots:
        n = slots["exponent"]
        coef = _num(n)
        rest = _power(x, n - 1) if n - 1 != 0 else ""
        return (coef if rest == "" else (rest if coef == "1" else f"{coef}{rest}"))
    if kind == "MulBackward0":
        return names.input(1 - i) if names.named(1 - i) else ""
    if kind == "DivBackward0":
        if i == 0 and not names.named(1):
            return "1/{}"   # filled in with the constant divisor, 1 / local
        y = names.input(1)
        return f"1/{y}" if i == 0 else f"-{x}/{_power(y, 2)}"
    ders = type(node).derivatives
    if i >= len(ders):
        return ""   # no rule to show (a custom Function): the value alone
    rule = names.sub(ders[i].split("   (")[0]).strip()
    if rule == "grad":
        return "1"
    if rule == "-grad":
        return "-1"
    for pre in ("grad * ", "-grad * "):
        if rule.startswith(pre):
            return ("-" if pre[0] == "-" else "") + _paren(rule[len(pre):])
    for post in (" * grad",):
        if rule.endswith(post):
            return rule[: -len(post)]
    if rule.startswith("grad / "):
        return "1/" + rule[len("grad / "):]
    return rule


def held_values(frame: Any, names: dict[str, Any] | None = None) -> dict[int, np.ndarray]:
    """id(grad_fn) -> value of each non-leaf tensor the caller's variables (and ``names``) hold.

    Copies of tensors of up to :data:`HELD_LIMIT` elements: with the values the graph saved, they let
    the narration solve ``b = a + 3``'s 3 as the drawing does (see :func:`glassgrad.viz.graph.input_labels`).
    """
    out: dict[int, np.ndarray] = {}
    for scope in frame_scopes(frame, names):
        for v in list(scope.values()):
            if isinstance(v, Tensor) and v.grad_fn is not None and v._data.size <= HELD_LIMIT:
                out.setdefault(id(v.grad_fn), np.array(v._data, copy=True))
    return out


def _paren(s: str) -> str:
    return s[1:-1] if s.startswith("(") and s.endswith(")") and s.count("(") == 1 else s


def matrix_rule(node: Node, i: int, names: _Names) -> str:
    """The rule for input ``i`` in matrix form: ``grad_W = x.T @ grad_h``."""
    ders = type(node).derivatives
    if i >= len(ders):   # a custom Function: its own backward is the rule
        cls = getattr(type(node), "_forward_cls", None)
        fn = f"{cls.__name__}.backward" if cls is not None else f"{node.name()}.backward"
        pick = f"[{i}]" if len(node.next_functions) > 1 else ""
        return f"grad_{names.input(i)} = {fn}(ctx, grad_{names.out}){pick}"
    main = ders[i].split("   (")[0]
    return f"grad_{names.input(i)} = {names.sub(main, grad=f'grad_{names.out}')}"


# ---------------------------------------------------------------------------- the narrator

class Narrator:
    """An engine observer that writes one paragraph per backward step to ``file``."""

    def __init__(self, namer: Namer, file: TextIO | None = None, values: dict[int, np.ndarray] | None = None,
                 outs: dict[tuple[int, int], str] | None = None) -> None:
        self.namer = namer
        #: names of the outputs of nodes with several outputs (see :func:`output_names`)
        self.outs = outs or {}
        #: id(node) -> (its name, its inputs' names), read when backward starts, as the drawing reads them
        self._named: dict[int, tuple[str, list[str]]] = {}
        #: id(grad_fn) -> the value of its result, where the caller holds it (see :func:`held_values`)
        self.values = values or {}
        self.file = file
        self.lines: list[str] = []
        self.root = "output"
        self.count = 0
        self._before: dict[int, np.ndarray | None] = {}

    def _say(self, line: str) -> None:
        self.lines.append(line)
        if self.file is not None:
            print(line, file=self.file)

    def on_start(self, roots: Any, grads: Any) -> None:
        self.count = 0
        self._before = {}
        # name every result of the graph now, before backward frees what the nodes saved: the same
        # numbering (forward creation order) and solved numbers as build_graph's
        nodes = graph_nodes([n for n, _ in roots])
        self.namer.number([n for n, _ in roots])
        known = known_values(nodes, self.values)
        self._named = {id(n): (node_label(n, self.namer, self.outs), input_labels(n, self.namer, self.outs, known))
                       for n in nodes if not isinstance(n, AccumulateGrad)}
        parts = []
        for (node, _nr), g in zip(roots, grads):
            name = self.namer.node(node)
            self.root = name
            parts.append(f"{name} ({node.name()}), seeded with d{name}/d{name} = {fmt_value(_copy(g))}")
        self._say("backward from " + "; ".join(parts))

    def on_node(self, node: Node, upstream: Any, passed: Any) -> None:
        self.count += 1
        label, inputs = self._named.get(id(node), (None, None))
        names = _Names(self.namer, node, self.outs, inputs, label)
        ups = [_copy(u) for u in upstream] if isinstance(upstream, list | tuple) else [_copy(upstream)]
        up = ups[0] if len(ups) == 1 else None
        L = self.root
        self._say(f"[{self.count}] {node.name()}   {forward_formula(node, names)}")
        if any(u is not None and np.ndim(u) > 0 for u in ups) or any(e is not None and e[2] for e in node._next):
            # tensors: the shapes the rule works on
            ins = [f"{names.input(i)}: {list(e[2])}" for i, e in enumerate(node._next) if e is not None]
            outs = [f"{n}: {_shape(u)}" for n, u in zip(names.outs, ups) if u is not None]
            self._say(f"      shapes    {', '.join(ins)} → {', '.join(outs)}")
        if len(ups) == 1:
            self._say(f"      upstream  d{L}/d{names.out} = {self._shown(up)}")
        else:
            for k, u in enumerate(ups):
                self._say(f"      upstream  d{L}/d{names.outs[k]} = {self._shown(u)}")
        for i, ((m, _nr), g) in enumerate(zip(node.next_functions, passed)):
            if m is None:
                continue
            target = names.input(i)
            dest = f"{target} (leaf: into {target}.grad)" if isinstance(m, AccumulateGrad) else f"{target} ({m.name()})"
            if isinstance(m, AccumulateGrad) and id(m.variable) not in self._before:
                gr = m.variable.grad
                self._before[id(m.variable)] = None if gr is None else _copy(gr)
            if g is None:
                self._say(f"      to {dest}: no gradient")
                continue
            gv = _copy(g)
            scalar = up is not None and np.size(up) == 1 and np.size(gv) == 1
            if scalar:
                local = local_formula(node, i, names)
                upv = float(np.asarray(up).reshape(()).real)
                if upv != 0:
                    lv = float(np.asarray(gv).reshape(()).real) / upv
                    lval = _num(lv)
                    if local == "1/{}":
                        local = f"1/{_num(1 / lv)}" if lv != 0 else ""
                    shown = local if local in (lval, "") or "input" in local else f"{local} = {lval}"
                    shown = lval if shown == "" or "input" in local else shown
                    self._say(f"      local     d{names.out}/d{target} = {shown}")
                    self._say(f"      product   d{L}/d{target} = {_num(upv)} × {lval} = {fmt_value(gv)}   → {dest}")
                else:
                    self._say(f"      local     d{names.out}/d{target} = {local or '(not needed: upstream is 0)'}")
                    self._say(f"      product   d{L}/d{target} = 0   → {dest}")
            else:
                shapes = f"{_shape(gv)}"
                self._say(f"      rule      {matrix_rule(node, i, names)}")
                self._say(f"      result    grad_{target}: {shapes} = {fmt_value(gv)}   → {dest}")

    def on_accumulate(self, variable: Tensor, grad: Any) -> None:
        self.count += 1
        name = self.namer.tensor(variable)
        g = _copy(grad)
        before = self._before.pop(id(variable), "unknown")
        total = _copy(variable.grad)
        if isinstance(before, str):
            note = ""
        elif before is None:
            note = "   (was None)"
        else:
            note = f"   (was {fmt_value(before)}, + {fmt_value(g)})"
        self._say(f"[{self.count}] AccumulateGrad   {name}.grad = {fmt_value(total)}{note}")

    def on_end(self) -> None:
        pass

    def _shown(self, a: Any) -> str:
        if a is None:
            return "None"
        return fmt_value(a) if np.size(a) == 1 else f"{_shape(a)} {fmt_value(a)}"


def user_frame() -> Any:
    """The innermost frame outside glassgrad and contextlib (the user's code, also under ``with``)."""
    f = caller_frame()
    while f is not None and f.f_globals.get("__name__", "") == "contextlib":
        f = f.f_back
    return f


@contextmanager
def narrate(file: TextIO | None = None, names: dict[str, Any] | None = None) -> Iterator[Narrator]:
    """Narrate every backward pass run inside the block (to ``file``, default ``sys.stdout``)::

        with glassgrad.viz.narrate():
            loss.backward()

    Names come from the caller's variables (and ``names``, which win).  The narrator yielded keeps the
    text in ``.lines``.
    """
    frame = user_frame()
    ob = Narrator(Namer(frame, names), sys.stdout if file is None else file, held_values(frame, names),
                  output_names(frame, names))
    _engine.OBSERVERS.append(ob)
    try:
        yield ob
    finally:
        _engine.OBSERVERS.remove(ob)


def explain(loss: Tensor, gradient: Tensor | None = None, retain_graph: bool | None = None,
            names: dict[str, Any] | None = None, file: TextIO | None = None) -> None:
    """Run ``loss.backward(gradient, retain_graph)`` and narrate each step of the chain rule.

    Prints to ``file`` (default ``sys.stdout``); leaves ``.grad`` exactly as ``loss.backward()`` would.
    """
    frame = caller_frame()
    ob = Narrator(Namer(frame, names), sys.stdout if file is None else file, held_values(frame, names),
                  output_names(frame, names))
    _engine.OBSERVERS.append(ob)
    try:
        loss.backward(gradient, retain_graph=retain_graph)
    finally:
        _engine.OBSERVERS.remove(ob)
