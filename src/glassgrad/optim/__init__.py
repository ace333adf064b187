"""``glassgrad.optim``: optimizers with PyTorch's update formulas."""

from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD"]
