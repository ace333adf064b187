"""``glassgrad.linalg``: PyTorch's ``torch.linalg`` functions (being filled in)."""

from __future__ import annotations

__all__: list[str] = []
