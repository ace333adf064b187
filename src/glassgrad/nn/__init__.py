"""``glassgrad.nn``: modules, parameters, functional and init (PyTorch's names and defaults)."""

from . import functional, init, utils
from .modules import *  # noqa: F403  (every module class; the list is ``modules.__all__``)
from .modules import __all__ as _modules_all
from .parameter import Buffer, Parameter

__all__ = [*_modules_all, "Parameter", "Buffer", "functional", "init", "utils"]
