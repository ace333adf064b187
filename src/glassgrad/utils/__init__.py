"""``glassgrad.utils``: ``checkpoint`` (recompute in backward to save memory) and ``data`` (datasets,
samplers, DataLoader)."""

from . import checkpoint, data

__all__ = ["checkpoint", "data"]
