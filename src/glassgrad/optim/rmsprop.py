"""RMSprop, with PyTorch's single-tensor update (weight decay, momentum, centered)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..tensor import Tensor
from .adam import _CAPTURABLE_DEVICES
from .optimizer import (
    Optimizer,
    _add,
    _add_,
    _addcmul_,
    _bump,
    _fma,
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
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("momentum", 0)
            group.setdefault("centered", False)
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)
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
            params = [p for p in group["params"] if p.grad is not None]
            states = [self._init_state(p, group) for p in params]
            if group["capturable"] and params:
                raise AssertionError(
                    f"If capturable=True, params and state_steps must be on supported devices: {_CAPTURABLE_DEVICES}."
                )
            lr, alpha, eps = _to_scalar(group["lr"]), group["alpha"], group["eps"]
            wd, momentum = group["weight_decay"], group["momentum"]
            for p, state in zip(params, states):
                x = p._data
                g = p.grad._data if not group["maximize"] else -p.grad._data
                step_t, square_avg = state["step"], state["square_avg"]
                step_t._data += 1
                _bump(step_t)
                if wd != 0:
                    g = _add(g, x, wd)
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
