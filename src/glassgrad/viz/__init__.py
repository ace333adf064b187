"""``glassgrad.viz``: see and verify every gradient.

It only reads the graph, never changes it:

- :func:`build_graph` — the graph of nodes a tensor came from, with names, formulas, values,
  saved tensors and (after backward) gradients; draw it as text (``Graph.text()``), Graphviz
  DOT/SVG/PNG (``to_dot``, ``to_svg``) or one self-contained interactive page (``to_html``).
- :func:`explain` / :func:`narrate` — each step of the chain rule as ``backward()`` runs it.
- :func:`check` — each node's backward against finite differences of its own forward.
- :func:`why_no_grad` — why a tensor's ``.grad`` is None or zero, naming where the path breaks.
- :func:`record` / :func:`trace_backward` — the backward steps as data.

Submodules load on first use, so ``import glassgrad`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> submodule that defines it
_WHERE = {
    "Namer": "names",
    "build_graph": "graph", "Graph": "graph",
    "draw": "text",
    "to_dot": "dot", "to_svg": "dot", "to_png": "dot",
    "to_html": "html",
    "record": "trace", "trace_backward": "trace", "Trace": "trace", "Step": "trace",
    "explain": "narration", "narrate": "narration",
    "check": "checking", "CheckReport": "checking", "NodeCheck": "checking", "capture": "checking",
    "why_no_grad": "why",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module 'glassgrad.viz' has no attribute '{name}'")
    value = getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value
