"""Graphviz pictures of a graph: DOT text always, SVG and PNG when Graphviz's ``dot`` is installed.

Data flows down the picture (inputs at the top, the output at the bottom); each arrow is labelled
with the gradient that flows back along it.  The kinds of box look different:

* leaves that require grad — blue ellipses; inputs that need no gradient — dashed white ellipses;
* ops — grey rounded boxes (the ``grad_fn``'s PyTorch name in bold);
* the output — a green double octagon;

and each box shows the forward formula, shape and dtype, value and gradient.  Groups made with
:meth:`Graph.group` (e.g. the steps of attention) become dashed clusters.  Graphs larger than
``max_nodes`` draw the part nearest the output and one summary box for the rest.
"""

from __future__ import annotations

import html
import shutil
import subprocess
from typing import Any

import numpy as np

from .graph import Graph, VNode, build_graph, fmt_value
from .names import caller_frame

#: how each kind of node looks: (shape, style, fill colour, border colour)
STYLES: dict[str, tuple[str, str, str, str]] = {
    "leaf": ("ellipse", "filled", "#cfe5ff", "#1f5fa8"),
    "constant": ("ellipse", "dashed", "#ffffff", "#777777"),
    "op": ("box", "rounded,filled", "#eeeeee", "#555555"),
    "output": ("doubleoctagon", "filled", "#c9f2c0", "#2e7d32"),
}

_INSTALL = ("Graphviz's `dot` program was not found on PATH, so the graph cannot be rendered to {fmt}. "
            "Install Graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz), or use "
            "glassgrad.viz.to_dot() for the DOT text or glassgrad.viz.to_html() for a page that needs nothing.")


def dot_available() -> bool:
    """True when Graphviz's ``dot`` program is installed."""
    return shutil.which("dot") is not None


def _style_key(v: VNode) -> str:
    if v.kind == "leaf":
        return "leaf" if v.requires_grad else "constant"
    return v.kind


def _cell(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    return html.escape(text)


def _label(v: VNode, values: bool) -> str:
    rows = []
    if v.kind == "leaf":
        title = f"<B>{_cell(v.label)}</B>" + (" (leaf)" if v.requires_grad else " (no grad)")
    else:
        title = f"<B>{_cell(v.op)}</B>"
    rows.append(title)
    if v.kind != "leaf":
        rows.append(_cell(v.formula))
    shape = "[" + ", ".join(str(d) for d in v.shape) + "]" if v.shape is not None else "?"
    rows.append(f"<FONT POINT-SIZE=\"10\">{_cell(shape)} {_cell((v.dtype or '?').replace('torch.', ''))}</FONT>")
    if values:
        if v.value is not None:
            rows.append(f"value {_cell(fmt_value(v.value))}")
        if v.grad is not None:
            rows.append(f"<FONT COLOR=\"#b3261e\">{'.grad' if v.kind == 'leaf' else 'grad'} "
                        f"{_cell(fmt_value(v.grad))}</FONT>")
    return "<" + "<BR/>".join(rows) + ">"


def _edge_grad(g: Any) -> str:
    """An arrow's gradient: the numbers when there are few, else the shape it has."""
    a = np.asarray(g)
    if a.size <= 3:
        return " ".join(fmt_value(a, max_items=3).split())
    return "grad [" + ", ".join(str(d) for d in a.shape) + "]"


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_dot(graph: Graph, max_nodes: int = 300, values: bool = True, rankdir: str = "TB") -> str:
    """The graph as Graphviz DOT text (see the module docstring)."""
    keep, hidden = graph.visible(max_nodes)
    kept = set(keep)
    out = [
        "digraph glassgrad {",
        f"  graph [rankdir={rankdir}, fontname=\"Helvetica\", nodesep=0.35, ranksep=0.45, "
        f"label={_q('graph of ' + graph.nodes[graph.root].label)}, labelloc=t];",
        "  node [fontname=\"Helvetica\", fontsize=12, margin=\"0.12,0.06\"];",
        "  edge [fontname=\"Helvetica\", fontsize=10, color=\"#666666\", fontcolor=\"#b3261e\"];",
    ]

    def node_line(v: VNode, indent: str) -> str:
        shape, style, fill, border = STYLES[_style_key(v)]
        return (f"{indent}{v.id} [label={_label(v, values)}, shape={shape}, style={_q(style)}, "
                f"fillcolor={_q(fill)}, color={_q(border)}, class={_q('kind-' + _style_key(v))}];")

    grouped: dict[str, list[str]] = {}
    for nid in keep:
        v = graph.nodes[nid]
        if v.group is not None:
            grouped.setdefault(v.group, []).append(nid)
        else:
            out.append(node_line(v, "  "))
    for k, (name, ids) in enumerate(grouped.items()):
        out.append(f"  subgraph cluster_{k} {{")
        out.append(f"    label={_q(name)}; style=\"dashed,rounded\"; color=\"#8e44ad\"; fontcolor=\"#8e44ad\";")
        out.extend(node_line(graph.nodes[n], "    ") for n in ids)
        out.append("  }")
    if hidden:
        out.append(f"  more [label={_q('… ' + graph.summarize(hidden) + ' (not drawn)')}, shape=note, "
                   "style=filled, fillcolor=\"#fff8dc\", class=\"kind-summary\"];")
    linked_more: set[str] = set()
    for src, dst, g in graph.edges:
        if dst not in kept:
            continue
        if src not in kept:
            if dst not in linked_more:
                out.append(f"  more -> {dst} [style=dashed];")
                linked_more.add(dst)
            continue
        attrs = []
        if g is not None and values:
            attrs.append(f"label={_q('◀ ' + _edge_grad(g))}")
        style_src = graph.nodes[src]
        if style_src.kind == "leaf" and not style_src.requires_grad:
            attrs.append("style=dashed")
        out.append(f"  {src} -> {dst}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    out.append("}")
    return "\n".join(out) + "\n"


def _graph(x: Any, names: dict[str, Any] | None, trace: Any) -> Graph:
    return x if isinstance(x, Graph) else build_graph(x, names, trace, frame=caller_frame())


def to_dot(tensor: Any, names: dict[str, Any] | None = None, trace: Any = None, **kwargs: Any) -> str:
    """Graphviz DOT text for the graph ``tensor`` came from (or for a :class:`Graph`); needs nothing installed."""
    return render_dot(_graph(tensor, names, trace), **kwargs)


def _run_dot(dot_text: str, fmt: str) -> bytes:
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError(_INSTALL.format(fmt=fmt.upper()))
    done = subprocess.run([exe, f"-T{fmt}"], input=dot_text.encode(), capture_output=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"Graphviz's dot failed ({done.returncode}): {done.stderr.decode(errors='replace')}")
    return done.stdout


def to_svg(tensor: Any, path: str | None = None, names: dict[str, Any] | None = None, trace: Any = None,
           **kwargs: Any) -> str:
    """Render with Graphviz's ``dot`` to SVG; writes it to ``path`` when given and returns the SVG text.

    Raises RuntimeError, saying how to install Graphviz, when ``dot`` is missing.
    """
    svg = _run_dot(render_dot(_graph(tensor, names, trace), **kwargs), "svg").decode()
    if path is not None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(svg)
    return svg


def to_png(tensor: Any, path: str, names: dict[str, Any] | None = None, trace: Any = None, **kwargs: Any) -> str:
    """Render with Graphviz's ``dot`` to a PNG file at ``path``; returns ``path``.

    Raises RuntimeError, saying how to install Graphviz, when ``dot`` is missing.
    """
    png = _run_dot(render_dot(_graph(tensor, names, trace), **kwargs), "png")
    with open(path, "wb") as f:
        f.write(png)
    return path
