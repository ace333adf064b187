"""Adagrad, with PyTorch's single-tensor update (dense gradients)."""

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
    _step_tensor,
    _to_scalar,
    _use_grad,
)


class Adagrad(Optimizer):
    """Adagrad, as ``torch.optim.Adagrad``.

    Per parameter, at step t (g negated when ``maximize``):

        g = g + wd·p;  clr = lr / (1 + (t − 1)·lr_decay);  sum = sum + g²;  p = p − clr·g/(√sum + eps)

    State per parameter (made at construction, as PyTorch does): ``step`` and ``sum``
    (filled with ``initial_accumulator_value``).
    """

    def __init__(self, params: Iterable[Any], lr: float | Tensor = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0, eps: float = 1e-10,
                 foreach: bool | None = None, *, maximize: bool = False, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        _check_lr(lr)
        _check_non_negative(lr_decay, "lr_decay value")
        _check_non_negative(weight_decay, "weight_decay value")
        _check_non_negative(initial_accumulator_value, "initial_accumulator_value value")
        _check_non_negative(eps, "epsilon value")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._set_group_defaults(foreach=None, maximize=False, differentiable=False, fused=None)
        self._steps_to_tensors()

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _step_tensor()
            state["sum"] = Tensor._make(np.full_like(p._data, self.defaults["initial_accumulator_value"]))
        return state

    def share_memory(self) -> None:
        """PyTorch moves ``sum`` to shared memory for multiprocessing; NumPy arrays need nothing."""

    @_use_grad
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, wd, lr_decay, eps = _to_scalar(group["lr"]), group["weight_decay"], group["lr_decay"], group["eps"]
            for p, state in self._params_and_states(group, self._init_state):
                state_sum = state["sum"]
                step = _count_step(state["step"])
                x = p._data
                g = _grad(p, group["maximize"], wd)
                clr = lr / (1 + (step - 1) * lr_decay)
                s = state_sum._data
                _addcmul_(s, g, g, 1)
                _bump(state_sum)
                std = np.sqrt(s) + eps
                x += -clr * g / std
                _bump(p)
        return loss
