"""Graph nodes (``node``) and the backward walk (``engine``)."""

from .node import AccumulateGrad, Node, RemovableHandle

__all__ = ["Node", "AccumulateGrad", "RemovableHandle"]
