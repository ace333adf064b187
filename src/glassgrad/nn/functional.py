"""``glassgrad.nn.functional``: the functions PyTorch puts under ``torch.nn.functional``."""

from __future__ import annotations

from typing import Any

from ..ops.activation import log_softmax, softmax
from ..ops.elementwise import relu as _relu
from ..ops.elementwise import sigmoid, tanh
from ..ops.linalg import linear
from ..tensor import Tensor

__all__ = ["linear", "relu", "softmax", "log_softmax", "sigmoid", "tanh"]


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(input, 0)."""
    if inplace:
        return input.relu_()  # type: ignore[attr-defined]
    return _relu(input)




def _export_families() -> None:
    """Export the op families' ``FUNCTIONAL`` names here, as PyTorch puts them in ``torch.nn.functional``."""
    from ..ops import FAMILIES
    g = globals()
    for fam in FAMILIES:
        for name in getattr(fam, "FUNCTIONAL", ()):
            g.setdefault(name, getattr(fam, name))
            if name not in __all__:
                __all__.append(name)


_export_families()


def __getattr__(name: str) -> Any:
    # multi_head_attention_forward lives with nn.MultiheadAttention (which imports this module)
    if name == "multi_head_attention_forward":
        from .modules.transformer import multi_head_attention_forward
        return multi_head_attention_forward
    raise AttributeError(f"module 'glassgrad.nn.functional' has no attribute '{name}'")
