"""``glassgrad.linalg``: PyTorch's ``torch.linalg`` functions (norms, cross, vecdot, matmul, svdvals)."""

from __future__ import annotations

from .ops.linalg import linalg_cross as cross
from .ops.linalg import linalg_matmul as matmul
from .ops.linalg import matrix_norm, norm, svdvals, vecdot, vector_norm

__all__ = ["cross", "matmul", "matrix_norm", "norm", "svdvals", "vecdot", "vector_norm"]
