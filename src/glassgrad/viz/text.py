"""A terminal drawing of a graph: the output on top, each node's inputs indented beneath it.

Each line shows the node's forward formula with the user's names, its PyTorch name, shape and dtype,
its value, and the gradient that arrived at it; the connector in front of an input shows the
gradient its consumer sent it (``◀ 7.``)::

    e = d + 1                      AddBackward0    []  float32  value 25.5   grad 1.
    └─◀ 1.── d = c / 2             DivBackward0    []  float32  value 24.5   grad 1.
             └─◀ 0.5── c = b ** 2  PowBackward0    ...

A node used twice is drawn once; later uses say ``(see above)``.  Graphs larger than ``max_nodes``
show the part nearest the output and one summary line for the rest; indentation stops growing
after ``max_depth`` levels, so a long chain stays on the screen.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

import numpy as np

from .graph import Graph, VNode, build_graph, fmt_value
from .names import caller_frame


def _one_line(s: str) -> str:
    return " ".join(s.split())


def _shape(v: VNode) -> str:
    if v.shape is None:
        return "?"
    return "[" + ", ".join(str(d) for d in v.shape) + "]"


def _edge_text(g: Any) -> str:
    """The connector's gradient: its value when it is small, else just the arrow."""
    if g is None:
        return ""
    return ("◀ " + _one_line(fmt_value(g, max_items=2)) + "─") if np.size(g) <= 2 else "◀─"


def render(graph: Graph, max_nodes: int = 200, max_depth: int = 8, values: bool = True,
           max_width: int = 48) -> str:
    """The drawing as text (see the module docstring)."""
    keep, hidden = graph.visible(max_nodes)
    kept = set(keep)
    # edge gradients per (src, dst): several edges between the same pair are summed
    grads: dict[tuple[str, str], Any] = {}
    for s, d, g in graph.edges:
        if g is not None:
            grads[(s, d)] = g if (s, d) not in grads else grads[(s, d)] + g
    rows: list[tuple[str, VNode, bool]] = []   # (prefix + connector, node, already drawn)
    drawn: set[str] = set()
    # explicit stack: (node id, consumer id, prefix for this line, prefix for its children, depth)
    stack: list[tuple[str, str | None, str, str, int]] = [(graph.root, None, "", "", 0)]
    while stack:
        nid, parent, head, cont, depth = stack.pop()
        v = graph.nodes[nid]
        edge = _edge_text(grads.get((nid, parent))) if parent is not None else ""
        seen = nid in drawn
        rows.append((head + edge + (" " if edge else ""), v, seen))
        if seen:
            continue
        drawn.add(nid)
        children = [c for c in dict.fromkeys(v.inputs) if c in kept]
        for k in reversed(range(len(children))):
            last = k == len(children) - 1
            if depth >= max_depth:  # stop indenting: a long chain stays on the screen
                child_head, child_cont = cont + ("└─" if last else "├─"), cont
            else:
                child_head = cont + ("└─" if last else "├─")
                child_cont = cont + ("   " if last else "│  ")
            stack.append((children[k], nid, child_head, child_cont, depth + 1))
    left = [head + (v.formula if not seen else f"{v.label} (see above)") for head, v, seen in rows]
    width = min(max(len(s) for s in left), max_width + 12)
    ops_w = max(len(v.op) for _, v, _ in rows)
    shape_w = max(len(_shape(v)) for _, v, _ in rows)
    leaves = sum(1 for v in graph.nodes.values() if v.kind == "leaf")
    src = {"trace": "recorded backward", "dry run": "dry run of backward (no .grad changed)",
           "leaves only": "leaves' .grad only", "none": "none"}[graph.gradients]
    out = [f"graph of {graph.nodes[graph.root].label}: {len(graph)} nodes ({leaves} lea{'f' if leaves == 1 else 'ves'}); "
           f"gradients: {src}"]
    for text, (_, v, seen) in zip(left, rows):
        if len(text) > width:
            text = text[:width - 1] + "…"
        line = text.ljust(width)
        if not seen:
            line += f"  {v.op.ljust(ops_w)}  {_shape(v).rjust(shape_w)}  {(v.dtype or '?').replace('torch.', '')}"
            if values:
                line += f"  value {_one_line(fmt_value(v.value))}"
                if v.grad is not None:
                    line += f"  {'.grad' if v.kind == 'leaf' else 'grad'} {_one_line(fmt_value(v.grad))}"
        out.append(line.rstrip())
    if hidden:
        out.append(f"… and {graph.summarize(hidden)} (nearer the inputs, not drawn; raise max_nodes to see them)")
    for note in graph.notes:
        out.append(f"note: {note}")
    return "\n".join(out)


def draw(tensor: Any, *, names: dict[str, Any] | None = None, trace: Any = None, file: TextIO | None = None,
         **kwargs: Any) -> None:
    """Print a terminal drawing of the graph ``tensor`` came from (or of a :class:`Graph`).

    ``max_nodes`` (200) and ``max_depth`` (8) bound the drawing; ``values=False`` leaves values out.
    """
    graph = tensor if isinstance(tensor, Graph) else build_graph(tensor, names, trace, frame=caller_frame())
    print(render(graph, **kwargs), file=file if file is not None else sys.stdout)
