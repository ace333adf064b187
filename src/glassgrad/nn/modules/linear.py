"""``nn.Linear``, ``nn.Bilinear`` and ``nn.Identity`` (and the weight/bias helpers the conv and norm layers share)."""

from __future__ import annotations

import math
from typing import Any

from ... import creation
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module


def _register_weight_and_bias(module: Module, weight_shape: Any, bias_shape: Any, bias: bool, dtype: Any) -> None:
    """Register an uninitialised ``weight`` of ``weight_shape`` and ``bias`` of ``bias_shape`` (``None`` when
    not ``bias``), in PyTorch's order."""
    module.weight = Parameter(creation.empty(weight_shape, dtype=dtype))
    if bias:
        module.bias = Parameter(creation.empty(bias_shape, dtype=dtype))
    else:
        module.register_parameter("bias", None)


def _kaiming_reset(weight: Tensor, bias: Tensor | None) -> None:
    """PyTorch's default init of Linear and Conv: weight by ``kaiming_uniform_(a=√5)``, then bias from
    U(-1/√fan_in, 1/√fan_in)."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(bias, -bound, bound)


class Identity(Module):
    """Returns its input unchanged."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """``y = x @ weight.T + bias``, initialised as PyTorch initialises it.

    weight: kaiming_uniform_(a=√5), i.e. U(-1/√in, 1/√in); bias: U(-1/√in, 1/√in).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        _register_weight_and_bias(self, (out_features, in_features), out_features, bias, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Redraw weight (kaiming_uniform_, a=√5), then bias (U(-1/√in, 1/√in))."""
        _kaiming_reset(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """``y[k] = x1 @ weight[k] @ x2 + bias[k]``; weight and bias drawn from U(-1/√in1, 1/√in1)."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        _register_weight_and_bias(self, (out_features, in1_features, in2_features), out_features, bias, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Redraw weight, then bias, from U(-1/√in1_features, 1/√in1_features)."""
        if self.in1_features <= 0:
            raise ValueError(f"in1_features must be > 0, but got (in1_features={self.in1_features})")
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
