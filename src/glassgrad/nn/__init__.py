"""``glassgrad.nn``: modules, parameters, functional and init (PyTorch's names and defaults)."""

from . import functional, init
from .modules import Identity, Linear, Module
from .parameter import Buffer, Parameter

__all__ = ["Module", "Linear", "Identity", "Parameter", "Buffer", "functional", "init"]

from . import utils
from .modules import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    MultiheadAttention,
    NLLLoss,
    SmoothL1Loss,
    TransformerEncoderLayer,
)

__all__ += ["utils", "L1Loss", "MSELoss", "SmoothL1Loss", "HuberLoss", "NLLLoss", "CrossEntropyLoss", "BCELoss",
            "BCEWithLogitsLoss", "KLDivLoss", "MultiheadAttention", "TransformerEncoderLayer"]
