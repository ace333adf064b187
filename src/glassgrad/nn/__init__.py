"""``glassgrad.nn``: modules, parameters, functional and init (PyTorch's names and defaults)."""

from . import functional, init
from .modules import Identity, Linear, Module
from .parameter import Buffer, Parameter

__all__ = ["Module", "Linear", "Identity", "Parameter", "Buffer", "functional", "init"]
