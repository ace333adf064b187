"""RMSprop, with PyTorch's single-tensor update (weight decay, momentum, centered)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import (
    Optimizer,
    _add_,
    _addcmul_,
    _bump,
    _check_lr,
    _check_non_negative,
    _count_step,
    _fma,
    _grad,
    _lerp_,
    _step_tensor,
    _to_scalar,
    _use_grad,
    _zeros_like,
)


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop``.

    Per parameter (g negated when ``maximize``):

        g = g + wd·p;  v = α·v + (1 − α)·g²;  avg = √(v − ḡ²) with ḡ = lerp(ḡ, g, 1 − α) if centered else √v
        avg = avg + eps;  with momentum μ > 0: buf = μ·buf + g/avg, p = p − lr·buf;  else p = p − lr·g/avg

    State per parameter: ``step``, ``square_avg`` (and ``momentum_buffer``, ``grad_avg``).
    """

    def __init__(self, params: Iterable[Any], lr: float | Tensor = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False, differentiable: bool = False) -> None:
        _check_lr(lr)
        _check_non_negative(eps, "epsilon value")
        _check_non_negative(momentum, "momentum value")
        _check_non_negative(weight_decay, "weight_decay value")
        _check_non_negative(alpha, "alpha value")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._set_group_defaults(momentum=0, centered=False, foreach=None, maximize=False, differentiable=False,
                                 capturable=False)
        self._steps_to_tensors()

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _step_tensor()
            state["square_avg"] = _zeros_like(p)
            if group["momentum"] > 0:
                state["momentum_buffer"] = _zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = _zeros_like(p)
        return state

    @_use_grad
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params_and_states = self._params_and_states(group, self._init_state)
            lr, alpha, eps = _to_scalar(group["lr"]), group["alpha"], group["eps"]
            wd, momentum = group["weight_decay"], group["momentum"]
            for p, state in params_and_states:
                x = p._data
                g = _grad(p, group["maximize"], wd)
                square_avg = state["square_avg"]
                _count_step(state["step"])
                v = square_avg._data
                v *= alpha
                _addcmul_(v, g, g, 1 - alpha)
                _bump(square_avg, square_avg)
                if group["centered"]:
                    grad_avg = state["grad_avg"]
                    _lerp_(grad_avg._data, g, 1 - alpha)
                    _bump(grad_avg)
                    avg = np.sqrt(_fma(-1 * grad_avg._data, grad_avg._data, v, v.dtype))  # addcmul(value=-1)
                else:
                    avg = np.sqrt(v)
                avg += eps
                if momentum > 0:
                    buf = state["momentum_buffer"]
                    b = buf._data
                    b *= momentum
                    b += g / avg
                    _bump(buf, buf)
                    _add_(x, b, -lr)
                else:
                    x += -lr * g / avg
                _bump(p)
        return loss
