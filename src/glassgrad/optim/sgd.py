"""Stochastic gradient descent, with PyTorch's exact update (momentum, dampening, nesterov, weight decay)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..autograd.grad_mode import no_grad
from .optimizer import Optimizer, required


class SGD(Optimizer):
    """``p -= lr * d_p``, where ``d_p`` is the gradient with weight decay, momentum and nesterov applied:

    d_p = g + wd·p;  buf = μ·buf + (1 − dampening)·d_p  (buf = d_p at the first step);
    d_p = d_p + μ·buf if nesterov else buf;  p -= lr·d_p  (p += lr·d_p when maximize).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: Any = None, differentiable: bool = False, fused: Any = None) -> None:
        if lr is not required and lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable,
                        fused=fused)
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure: Any = None) -> Any:
        """One update of every parameter that has a gradient."""
        loss = None
        if closure is not None:
            from ..autograd.grad_mode import enable_grad
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, mom, damp = group["lr"], group["momentum"], group["dampening"]
            wd, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                d_p = p.grad._data
                if maximize:
                    d_p = -d_p
                if wd != 0:
                    d_p = d_p + wd * p._data
                if mom != 0:
                    state = self.state.setdefault(p, {})
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = p.grad.detach().clone()
                        buf._data[...] = d_p
                        state["momentum_buffer"] = buf
                    else:
                        b = buf._data
                        b *= mom
                        b += (1 - damp) * d_p
                    d_p = d_p + mom * buf._data if nesterov else buf._data
                p._data -= lr * d_p
                p._bump_version()
        return loss
