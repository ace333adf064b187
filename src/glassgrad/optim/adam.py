"""Adam (and, with ``decoupled_weight_decay=True``, AdamW), with PyTorch's single-tensor update."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import (
    Optimizer,
    _addcmul_,
    _bump,
    _check_lr,
    _check_non_negative,
    _count_step,
    _grad,
    _lerp_,
    _step_tensor,
    _to_scalar,
    _use_grad,
    _zeros_like,
)


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam``.

    Per parameter, at step t (g negated when ``maximize``; ``max_exp_avg_sq`` only with ``amsgrad``):

        g = g + wd·p  (or p = p·(1 − lr·wd) when ``decoupled_weight_decay``)
        m = lerp(m, g, 1 − β1);  v = β2·v + (1 − β2)·g²;  v̂ = max(v̂, v)
        p = p − lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + eps)

    State per parameter: ``step`` (a 0-dim tensor), ``exp_avg``, ``exp_avg_sq`` (and ``max_exp_avg_sq``).
    """

    def __init__(self, params: Iterable[Any], lr: float | Tensor = 1e-3,
                 betas: tuple[float | Tensor, float | Tensor] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False) -> None:
        if isinstance(lr, Tensor):
            if foreach and not capturable:
                raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
        _check_lr(lr)
        _check_non_negative(eps, "epsilon value")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        _check_non_negative(weight_decay, "weight_decay value")
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        for i, beta in enumerate(betas):
            if isinstance(beta, Tensor):
                if not capturable and foreach:
                    raise ValueError(f"betas[{i}] as a Tensor is not supported for capturable=False and foreach=True")
                if beta.numel() != 1:
                    raise ValueError(f"Tensor betas[{i}] must be 1-element")
        betas = tuple(b.squeeze() if isinstance(b, Tensor) and b.dim() != 0 else b for b in betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._set_group_defaults(amsgrad=False, maximize=False, foreach=None, capturable=False, differentiable=False,
                                 decoupled_weight_decay=False, fused=None)
        self._steps_to_tensors()

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _step_tensor()
            state["exp_avg"] = _zeros_like(p)
            state["exp_avg_sq"] = _zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = _zeros_like(p)
        return state

    @_use_grad
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params_and_states = self._params_and_states(group, self._init_state)
            beta1, beta2 = (_to_scalar(b) for b in group["betas"])
            lr, wd, eps = _to_scalar(group["lr"]), group["weight_decay"], group["eps"]
            for p, state in params_and_states:
                _adam_update(p, state, beta1, beta2, lr, wd, eps, group["amsgrad"], group["maximize"],
                             group["decoupled_weight_decay"])
        return loss


def _adam_update(p: Tensor, state: dict[str, Any], beta1: float, beta2: float, lr: float, wd: float, eps: float,
                 amsgrad: bool, maximize: bool, decoupled: bool) -> None:
    """One Adam step of ``p``, following ``torch.optim.adam._single_tensor_adam`` op by op."""
    x = p._data
    g = _grad(p, maximize, 0 if decoupled else wd)
    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
    step = _count_step(state["step"])
    if wd != 0 and decoupled:
        x *= 1 - lr * wd
        _bump(p)
    _lerp_(exp_avg._data, g, 1 - beta1)
    v = exp_avg_sq._data
    v *= beta2
    _addcmul_(v, g, g, 1 - beta2)
    _bump(exp_avg, exp_avg_sq, exp_avg_sq)
    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    step_size = lr / bias_correction1
    bias_correction2_sqrt = bias_correction2**0.5
    if amsgrad:
        vmax = state["max_exp_avg_sq"]
        np.maximum(vmax._data, v, out=vmax._data)
        _bump(vmax)
        v = vmax._data
    # the same operations as ``(sqrt(v) / bc2_sqrt + eps)`` and ``x += -step_size * exp_avg / denom``,
    # written in place so a step allocates two temporaries instead of five
    denom = np.sqrt(v)
    denom /= bias_correction2_sqrt
    denom += eps
    upd = exp_avg._data * -step_size
    upd /= denom
    x += upd
    _bump(p)
