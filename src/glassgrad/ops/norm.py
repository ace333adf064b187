"""norm ops (this family is being filled in)."""

from __future__ import annotations

from typing import Any

__all__: list[str] = []
#: Tensor methods this family adds (name -> function)
METHODS: dict[str, Any] = {}
#: names of this family's functions that also live in glassgrad.nn.functional
FUNCTIONAL: list[str] = []
