"""The two namespaces a derivative rule can run with.

``ARRAY`` (first-order ``backward``) gives array functions from the backend;
``TENSOR`` (``create_graph=True``) gives glassgrad's differentiable ops, so the
backward pass is itself recorded.  Rules use operators (``*``, ``+``, ``@``…),
which work on both, and call everything else through ``F``.
"""

from __future__ import annotations

from typing import Any

from ..autograd.graph import Packed
from ..backends.numpy_backend import ArrayNamespace
from ..engine.node import Node, SavedOutput
from ..tensor import Tensor


class ARRAY(ArrayNamespace):
    tensor_mode = False

    @staticmethod
    def unpack_saved(node: Node, saved: tuple[Any, ...]) -> tuple[Any, ...]:
        out = []
        for s in saved:
            c = s.__class__
            if c is Tensor:
                d = s._data
            elif c is SavedOutput:
                d = s.data
            elif s is None or c is float or c is int or c is bool:
                out.append(s)
                continue
            elif isinstance(s, Tensor):  # Parameter
                d = s._data
            elif c is Packed:
                d = s.unpack()._data
            else:
                out.append(s)
                continue
            # a 0-d array as a NumPy scalar: the same value and dtype, but its arithmetic costs ~0.1 µs
            # instead of ~1 µs (0-d arrays take NumPy's general path); rules only read saved values
            out.append(d[()] if d.ndim == 0 else d)
        return tuple(out)


class TENSOR:
    """Differentiable twins of ``ARRAY``'s functions (filled in by ``ops/__init__``)."""

    tensor_mode = True

    @staticmethod
    def unpack_saved(node: Node, saved: tuple[Any, ...]) -> tuple[Any, ...]:
        out = []
        for s in saved:
            if isinstance(s, Packed):
                s = s.unpack()
            elif isinstance(s, SavedOutput):
                s = s.rebuild(node)
            out.append(s)
        return tuple(out)


def register_rule_fn(name: str, array_fn: Any, tensor_fn: Any) -> None:
    """Make ``F.name`` available to derivative rules: ``array_fn`` on arrays, ``tensor_fn`` on Tensors.

    A family file calls this for each function its rules need beyond the
    built-in ones (``exp``, ``sum``, ``where``…), so that the same rule runs for
    ``backward()`` and for ``create_graph=True``.
    """
    setattr(ARRAY, name, staticmethod(array_fn))
    setattr(TENSOR, name, staticmethod(tensor_fn))
