"""One self-contained interactive page for a graph: ``glassgrad.viz.to_html(loss, "graph.html")``.

The page needs no network and no library: the graph is laid out here, in Python (layers from the
inputs down to the output, ordered to keep edges short), and embedded as JSON next to a small script
that draws it as SVG.  Clicking a box shows the node's formula, derivative rule, values, saved tensors
and gradients; the Step button walks the backward pass one node at a time in PyTorch's execution
order, highlighting the node (orange), the gradient arriving at it (orange edges), its local
derivative and what it passes on to each input (blue edges).

In Jupyter, a :class:`~glassgrad.viz.graph.Graph` shows itself with the same view (``_repr_html_``).
"""

from __future__ import annotations

import html
import itertools
import json
from typing import Any

import numpy as np

from ._static_page import CSS, JS
from .graph import Graph, VNode, build_graph, fmt_value
from .names import caller_frame

_CHAR_W = 7.3    # width of one character of the 12px monospace font, in px
_LINE_H = 16
_GAP_X = 36
_GAP_Y = 64
_MARGIN = 24
_ids = itertools.count()


# ---------------------------------------------------------------------- text for the page
def _full(a: Any) -> str:
    """An array as the side panel shows it: shape and dtype, then the numbers (long ones shortened)."""
    if a is None:
        return "not known"
    a = np.asarray(a)
    body = np.array2string(a, precision=4, threshold=120, edgeitems=3, suppress_small=True, max_line_width=52)
    return body if a.ndim == 0 else f"shape {list(a.shape)}\n{body}"


def _short(a: Any, limit: int = 38) -> str:
    text = " ".join(fmt_value(a).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _edge_grad(g: Any) -> str:
    if g is None:
        return ""
    a = np.asarray(g)
    return " ".join(fmt_value(a, max_items=2).split()) if a.size <= 2 else "grad [" + ", ".join(map(str, a.shape)) + "]"


def _style(v: VNode) -> str:
    if v.kind == "leaf":
        return "leaf" if v.requires_grad else "constant"
    return v.kind


def _shape(v: VNode) -> str:
    return "[" + ", ".join(str(d) for d in v.shape) + "]" if v.shape is not None else "?"


def _lines(v: VNode) -> list[tuple[str, str]]:
    dtype = (v.dtype or "?").replace("torch.", "")
    if v.kind == "leaf":
        lines = [("gg-title", f"{v.label} (leaf)" if v.requires_grad else f"{v.label} (no grad)"),
                 ("gg-op", f"{_shape(v)} {dtype}")]
    else:
        formula = v.formula if len(v.formula) <= 40 else v.formula[:39] + "…"
        lines = [("gg-title", formula), ("gg-op", f"{v.op} · {_shape(v)} {dtype}")]
    lines.append(("gg-value", "value " + (_short(v.value) if v.value is not None else "?")))
    if v.grad is not None:
        lines.append(("gg-grad", (".grad " if v.kind == "leaf" else "grad ") + _short(v.grad)))
    return lines


# ---------------------------------------------------------------------- layout
def layout(graph: Graph, ids: list[str], extra_inputs: dict[str, list[str]] | None = None,
           pseudo: dict[str, list[list[str]]] | None = None) -> dict[str, list[float]]:
    """Positions ``[x, y, w, h]`` (box centre and size) for the nodes ``ids``: inputs above their users.

    Layers come from the longest path from the inputs; inputs with nothing above them sit just above
    their first user; ``pseudo`` gives the text lines of boxes that are not graph nodes (the summary).
    Within a layer, a few sweeps order the boxes by the mean position of their
    neighbours (the barycentre heuristic), so edges stay short and mostly straight.
    """
    idset = set(ids)
    inputs = {n: [i for i in graph.nodes[n].inputs if i in idset] if n in graph.nodes else [] for n in ids}
    for n, extra in (extra_inputs or {}).items():
        inputs[n] = inputs.get(n, []) + extra
    users: dict[str, list[str]] = {n: [] for n in ids}
    for n in ids:
        for i in inputs[n]:
            users[i].append(n)
    # layers: ids are in topological order (inputs first)
    layer: dict[str, int] = {}
    for n in ids:
        layer[n] = 1 + max((layer[i] for i in inputs[n]), default=-1)
    for n in reversed(ids):  # sources sit just above their nearest user
        if not inputs[n] and users[n]:
            layer[n] = min(layer[u] for u in users[n]) - 1
    size: dict[str, tuple[float, float]] = {}
    for n in ids:
        lines = _lines(graph.nodes[n]) if n in graph.nodes else (pseudo or {}).get(n, [["", "…"]])
        size[n] = (max(len(t) for _, t in lines) * _CHAR_W + 22, 9 + _LINE_H * len(lines) + 2)
    layers: dict[int, list[str]] = {}
    for n in ids:
        layers.setdefault(layer[n], []).append(n)
    keys = sorted(layers)
    x: dict[str, float] = {}

    def pack(row: list[str], want: dict[str, float]) -> None:
        row.sort(key=lambda n: want[n])
        prev_right = None
        for n in row:
            w = size[n][0]
            left = want[n] - w / 2
            if prev_right is not None and left < prev_right + _GAP_X:
                left = prev_right + _GAP_X
            x[n] = left + w / 2
            prev_right = left + w
        # centre the row on where it wanted to be
        shift = sum(want[n] - x[n] for n in row) / len(row)
        for n in row:
            x[n] += shift

    for k in keys:  # first placement: side by side
        pack(layers[k], {n: float(i) * 300 for i, n in enumerate(layers[k])})
    for sweep in range(6):
        down = sweep % 2 == 0
        for k in (keys if down else reversed(keys)):
            row = layers[k]
            want = {}
            for n in row:
                nb = inputs[n] if down else users[n]
                want[n] = sum(x[m] for m in nb) / len(nb) if nb else x[n]
            pack(row, want)
    left = min(x[n] - size[n][0] / 2 for n in ids)
    pos: dict[str, list[float]] = {}
    y = float(_MARGIN)
    for k in keys:
        row_h = max(size[n][1] for n in layers[k])
        for n in layers[k]:
            pos[n] = [round(x[n] - left + _MARGIN, 1), round(y + row_h / 2, 1), round(size[n][0], 1),
                      round(size[n][1], 1)]
        y += row_h + _GAP_Y
    return pos


# ---------------------------------------------------------------------- data for the page
def page_data(graph: Graph, max_nodes: int = 300) -> dict[str, Any]:
    """Everything the page's script needs, as JSON-ready data (positions included)."""
    keep, hidden = graph.visible(max_nodes)
    kept = set(keep)
    extra: dict[str, list[str]] = {}
    ids = list(keep)
    if hidden:
        cut = sorted({d for s, d, _ in graph.edges if s not in kept and d in kept}, key=keep.index)
        ids = ["more", *keep]
        for d in cut:
            extra[d] = ["more"]
    more_lines = [["gg-title", "… " + graph.summarize(hidden)], ["gg-op", "not drawn (nearer the inputs)"]]
    pos = layout(graph, ids, extra, {"more": more_lines})
    labels = {nid: v.label for nid, v in graph.nodes.items()}
    nodes = []
    for nid in keep:
        v = graph.nodes[nid]
        x, y, w, h = pos[nid]
        in_desc = ", ".join(
            f"{labels[i]} {list(s) if s is not None else ''}".strip()
            for i, s in zip(v.inputs, v.input_shapes + [None] * len(v.inputs))) if v.inputs else ""
        nodes.append({
            "id": nid, "kind": v.kind, "style": _style(v), "label": v.label, "op": v.op, "formula": v.formula,
            "local": [list(r) for r in v.local], "rules": list(v.rules) if v.kind != "leaf" else [],
            "shape": _shape(v), "dtype": v.dtype or "?", "value": _full(v.value),
            "grad": _full(v.grad) if v.grad is not None else "not known", "saved": v.saved,
            "created_at": v.created_at, "group": v.group, "inputs_desc": in_desc,
            "lines": [list(ln) for ln in _lines(v)], "x": x, "y": y, "w": w, "h": h,
        })
    if hidden:
        x, y, w, h = pos["more"]
        nodes.append({"id": "more", "kind": "summary", "style": "summary", "label": "…", "op": "summary",
                      "formula": f"{graph.summarize(hidden)} nearer the inputs, not drawn", "local": [], "rules": [],
                      "shape": "", "dtype": "", "value": "", "grad": "", "saved": {}, "created_at": None,
                      "group": None, "inputs_desc": "", "lines": more_lines,
                      "x": x, "y": y, "w": w, "h": h})
    edges = []
    fan: dict[str, int] = {}
    for s, d, g in graph.edges:
        if d not in kept:
            continue
        n_in = len(graph.nodes[d].inputs)
        k = fan.get(d, 0)
        fan[d] = k + 1
        dx = (k - (n_in - 1) / 2) * 14 if n_in > 1 else 0
        if s not in kept:
            if not any(e["src"] == "more" and e["dst"] == d for e in edges):
                edges.append({"src": "more", "dst": d, "grad": "", "dashed": True, "dx": dx})
            continue
        edges.append({"src": s, "dst": d, "grad": _edge_grad(g), "dashed": not graph.nodes[s].requires_grad,
                      "dx": dx})
    steps = []
    for nid in graph.order:
        if nid not in kept:
            continue
        v = graph.nodes[nid]
        passed = [[labels[s], s, _full(g)] for s, d, g in graph.edges if d == nid and graph.nodes[s].requires_grad]
        incoming = [g for s, d, g in graph.edges if s == nid]
        up = None
        if incoming and all(g is not None for g in incoming):
            up = incoming[0].copy()
            for g in incoming[1:]:
                up = up + g
        elif nid == graph.root:
            up = v.grad
        if up is None and v.kind != "leaf":
            up = v.grad
        up_text = _full(up)
        if len(v.upstream) > 1:  # an op with several outputs: the gradient arriving at each
            up_text = "\n".join(f"output {k}: {_full(u)}" for k, u in enumerate(v.upstream))
        steps.append({"node": nid, "upstream": up_text, "local": [list(r) for r in v.local], "passed": passed})
    groups = []
    for name, members in graph.groups.items():
        m = [pos[n] for n in members if n in pos]
        if not m:
            continue
        x0 = min(p[0] - p[2] / 2 for p in m) - 16
        x1 = max(p[0] + p[2] / 2 for p in m) + 16
        y0 = min(p[1] - p[3] / 2 for p in m) - 28
        y1 = max(p[1] + p[3] / 2 for p in m) + 12
        groups.append({"name": name, "x": round(x0, 1), "y": round(y0, 1), "w": round(x1 - x0, 1),
                       "h": round(y1 - y0, 1)})
    width = max(p[0] + p[2] / 2 for p in pos.values()) + _MARGIN + 60
    height = max(p[1] + p[3] / 2 for p in pos.values()) + _MARGIN
    leaves = sum(1 for v in graph.nodes.values() if v.kind == "leaf")
    src = {"trace": "recorded while backward ran", "dry run": "a dry run of backward (no .grad was changed)",
           "leaves only": "the leaves' .grad only", "none": "none"}[graph.gradients]
    return {
        "root": graph.root, "nodes": nodes, "edges": edges, "steps": steps, "groups": groups,
        "width": round(width, 1), "height": round(height, 1), "notes": list(graph.notes),
        "summary": f"{len(graph)} nodes ({leaves} lea{'f' if leaves == 1 else 'ves'}). Gradients: {src}." + (
            f" Showing the {len(keep)} nodes nearest the output." if hidden else ""),
    }


# ---------------------------------------------------------------------- the page
def _json_for_script(data: dict[str, Any]) -> str:
    """JSON that is safe inside a <script> element."""
    return json.dumps(data, separators=(",", ":")).replace("</", "<\\/").replace("<!--", "<\\!--")


def render_fragment(graph: Graph, height: int = 640, max_nodes: int = 300) -> str:
    """The interactive view as an HTML fragment (styles and script included): for Jupyter and for the page."""
    data = page_data(graph, max_nodes)
    rid = f"gg-{next(_ids)}-{id(graph):x}"
    title = html.escape(f"graph of {graph.nodes[graph.root].label}")
    return f"""<div class="gg-root" id="{rid}" tabindex="0" style="height:{height}px">
<style>{CSS}</style>
<div class="gg-bar"><h1>{title}</h1>
<button class="gg-reset" type="button">Reset</button>
<button class="gg-prev" type="button">&#9664; Back</button>
<button class="gg-next" type="button">Step &#9654;</button>
<span class="gg-status"></span>
<div class="gg-legend"><span class="k-leaf">leaf</span><span class="k-constant">no grad</span>
<span class="k-op">op</span><span class="k-output">output</span></div></div>
<div class="gg-main"><div class="gg-canvas"><svg class="gg-graph" xmlns="http://www.w3.org/2000/svg"></svg></div>
<aside class="gg-side"></aside></div>
<script type="application/json" class="gg-data">{_json_for_script(data)}</script>
<script>{JS}</script>
</div>"""


def render_page(graph: Graph, max_nodes: int = 300) -> str:
    """A whole self-contained HTML page for the graph."""
    title = html.escape(f"glassgrad: graph of {graph.nodes[graph.root].label}")
    body = render_fragment(graph, max_nodes=max_nodes).replace('style="height:640px"', 'style="height:100vh"', 1)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>html, body {{ margin: 0; height: 100%; }}</style></head>
<body>
{body}
</body></html>
"""


def to_html(tensor: Any, path: str | None = None, names: dict[str, Any] | None = None, trace: Any = None,
            max_nodes: int = 300) -> str:
    """Write one self-contained interactive page for the graph ``tensor`` came from (or for a :class:`Graph`).

    Returns the HTML; writes it to ``path`` when given.  Pass ``trace`` (from ``viz.record()``) to show
    the gradients of a backward that already ran; otherwise they come from a dry run when the graph
    still holds its saved values.
    """
    graph = tensor if isinstance(tensor, Graph) else build_graph(tensor, names, trace, frame=caller_frame())
    page = render_page(graph, max_nodes)
    if path is not None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(page)
    return page
