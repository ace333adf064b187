"""(being written: the autograd API issue)"""

from __future__ import annotations

__all__: list[str] = []
