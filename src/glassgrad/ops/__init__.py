"""The op families.  Each file declares its ops' forwards and derivative rules side by side."""

from __future__ import annotations

from typing import Any

from . import (
    activation,
    binary,
    conv,
    elementwise,
    gather,
    indexing,
    inplace,
    linalg,
    loss,
    norm,
    reduction,
    scatter,
    shape,
    unary,
)
from ._ns import ARRAY, TENSOR, register_rule_fn

#: The op families.  A family module may define ``__all__`` (functions exported as
#: ``glassgrad.NAME``), ``METHODS`` (Tensor methods) and ``FUNCTIONAL`` (names also
#: exported by ``glassgrad.nn.functional``); ``glassgrad/__init__``, ``ops/methods``
#: and ``nn/functional`` collect them from here.
FAMILIES = (elementwise, unary, binary, reduction, shape, indexing, gather, linalg, activation, inplace, loss,
            norm, conv)


def _sum_to(x: Any, shape: tuple[int, ...]) -> Any:
    """Differentiable sum of ``x`` down to ``shape`` (reverse of broadcasting)."""
    xs = x._data.shape
    if xs == shape:
        return x
    lead = len(xs) - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and xs[i + lead] != 1)
    out = reduction.sum(x, axes, keepdim=True) if axes else x
    return shape_mod.reshape(out, shape) if lead else out


shape_mod = shape

# The Tensor-level twins of the array functions rules call (create_graph=True).
for _name, _fn in {
    "exp": elementwise.exp, "log": elementwise.log, "sin": elementwise.sin, "cos": elementwise.cos,
    "sqrt": elementwise.sqrt, "tanh": elementwise.tanh, "sign": elementwise.sign, "abs": elementwise.abs,
    "matmul": linalg.matmul, "where": elementwise.where, "gt": elementwise.gt, "eq": elementwise.eq,
    "ge": elementwise.ge, "lt": elementwise.lt,
    "sum": lambda x, dim=None, keepdim=False: reduction.sum(x, dim, keepdim),
    "sum_to": _sum_to, "expand": shape.expand, "reshape": shape.reshape, "unsqueeze": shape.unsqueeze,
    "transpose": shape.transpose, "permute": shape.permute,
    "zeros_like": lambda x: elementwise.mul(x, 0.0),
    "to_dtype": lambda x, dt: shape.to(x, __import__("glassgrad").dtypes.FROM_NP[dt]),
    "embed": scatter.embed, "take_key": scatter.take_key, "zero_at": scatter.zero_at,
    "scatter_dim": scatter.scatter_dim,
}.items():
    setattr(TENSOR, _name, staticmethod(_fn))

__all__ = ["ARRAY", "TENSOR", "FAMILIES", "register_rule_fn"]
