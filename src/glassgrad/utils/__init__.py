"""``glassgrad.utils``: ``checkpoint`` (recompute in backward to save memory)."""

from . import checkpoint

__all__ = ["checkpoint"]
