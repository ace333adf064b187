"""Stochastic gradient descent, with PyTorch's exact update (momentum, dampening, nesterov, weight decay)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, _add, _add_, _bump, _grad, _to_scalar, _use_grad


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    Per parameter, with g its gradient (negated when ``maximize``):

        g = g + wd·p;  buf = g at the first step, then buf = μ·buf + (1 − dampening)·g;
        g = g + μ·buf if nesterov else buf;  p = p − lr·g.

    >>> import glassgrad as torch
    >>> p = torch.tensor([1.0, 2.0], requires_grad=True)
    >>> opt = torch.optim.SGD([p], lr=0.1)
    >>> (p * p).sum().backward()
    >>> opt.step()
    >>> p
    tensor([0.8000, 1.6000], requires_grad=True)
    """

    def __init__(self, params: Iterable[Any], lr: float | Tensor = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False, fused: bool | None = None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize, "foreach": foreach,
                    "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._set_group_defaults(nesterov=False, maximize=False, foreach=None, differentiable=False, fused=False)

    @_use_grad
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            mom, damp, wd = group["momentum"], group["dampening"], _to_scalar(group["weight_decay"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = _grad(p, group["maximize"], wd)
                if mom != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = Tensor._make(np.array(g))  # a copy, and 0-dim arrays stay arrays
                        state["momentum_buffer"] = buf
                    else:
                        b = buf._data
                        b *= mom
                        _add_(b, g, 1 - damp)
                        _bump(buf, buf)  # mul_ then add_
                    g = _add(g, buf._data, mom) if group["nesterov"] else buf._data
                _add_(p._data, g, -lr)
                _bump(p)
        return loss
