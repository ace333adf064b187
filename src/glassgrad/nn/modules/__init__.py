from .linear import Identity, Linear
from .module import Module

__all__ = ["Module", "Linear", "Identity"]
