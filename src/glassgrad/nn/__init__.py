"""``glassgrad.nn``: modules, parameters, functional and init (PyTorch's names and defaults)."""

from . import functional, init
from .modules import (
    CELU,
    ELU,
    GELU,
    SELU,
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Bilinear,
    Conv1d,
    Conv2d,
    Dropout,
    Embedding,
    Flatten,
    GroupNorm,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    Identity,
    LayerNorm,
    LeakyReLU,
    Linear,
    LogSigmoid,
    LogSoftmax,
    MaxPool1d,
    MaxPool2d,
    Mish,
    Module,
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    ReLU,
    ReLU6,
    RMSNorm,
    Sequential,
    Sigmoid,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Softsign,
    Tanh,
    Unflatten,
)
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
__all__ += ["CELU", "ELU", "GELU", "SELU", "Hardsigmoid", "Hardswish", "Hardtanh", "LeakyReLU", "LogSigmoid",
            "LogSoftmax", "Mish", "ReLU", "ReLU6", "Sigmoid", "SiLU", "Softmax", "Softmin", "Softplus", "Softsign",
            "Tanh", "ModuleDict", "ModuleList", "ParameterDict", "ParameterList", "Sequential", "Conv1d", "Conv2d",
            "Dropout", "Flatten", "Unflatten", "Bilinear", "BatchNorm1d", "BatchNorm2d", "GroupNorm", "LayerNorm",
            "RMSNorm", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AvgPool1d", "AvgPool2d", "MaxPool1d", "MaxPool2d",
            "Embedding"]
