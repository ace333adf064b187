"""``Optimizer``: parameter groups, per-parameter state, ``zero_grad``, hooks and state dicts, as ``torch.optim``.

The subclasses (``SGD``, ``Adam``, ``AdamW``, ``RMSprop``, ``Adagrad``) follow PyTorch's single-tensor
(``foreach=False``) update formulas operation by operation, on the parameters' NumPy arrays: an update
is not recorded by autograd, and each in-place change bumps the tensor's version counter as the
matching in-place op (``add_``, ``mul_``, ``addcdiv_`` ...) does in PyTorch.
"""

from __future__ import annotations

import functools
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from copy import deepcopy
from itertools import chain
from typing import Any

import numpy as np

from .. import dtypes as D
from ..autograd.grad_mode import enable_grad, set_grad_enabled
from ..engine.node import RemovableHandle
from ..tensor import Tensor, _typename


class _RequiredParameter:
    """Marks a hyper-parameter that every parameter group must give (``torch.optim.optimizer.required``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

_global_optimizer_pre_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
_global_optimizer_post_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()


def register_optimizer_step_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Register ``hook(optimizer, args, kwargs)`` to run before every optimizer's ``step``."""
    handle = RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Register ``hook(optimizer, args, kwargs)`` to run after every optimizer's ``step``."""
    handle = RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


def _torch_typename(x: object) -> str:
    return f"torch.{x.dtype.tensor_type}" if isinstance(x, Tensor) else _typename(x)


def _to_scalar(x: Any) -> Any:
    """A hyper-parameter as a Python number (PyTorch accepts one-element tensors for lr and betas)."""
    return x.item() if isinstance(x, Tensor) else x


def _scalar_dtype() -> D.dtype:
    """The dtype of ``state['step']``: float64 when that is the default dtype, else float32."""
    return D.float64 if D.get_default_dtype() is D.float64 else D.float32


def _step_tensor(value: float = 0.0) -> Tensor:
    """A fresh 0-dim ``step`` counter, kept as a tensor as PyTorch keeps it."""
    return Tensor._make(np.array(value, dtype=_scalar_dtype().np))


def _zeros_like(p: Tensor) -> Tensor:
    return Tensor._make(np.zeros_like(p._data))


_CAPTURABLE_DEVICES = "['cuda', 'xpu', 'hpu', 'privateuseone', 'xla']"


def _check_non_negative(value: Any, what: str) -> None:
    """PyTorch's ``ValueError("Invalid <what>: <value>")`` unless ``0 <= value`` (NaN fails too)."""
    if not 0.0 <= value:
        raise ValueError(f"Invalid {what}: {value}")


def _check_lr(lr: float | Tensor) -> None:
    """A learning rate is a one-element tensor or a number, and not negative (NaN fails too)."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    _check_non_negative(lr, "learning rate")


def _grad(p: Tensor, maximize: bool, weight_decay: float) -> np.ndarray:
    """The gradient of ``p`` (negated when ``maximize``) plus ``weight_decay·p`` (the L2 penalty), as a new
    array unless neither applies."""
    g = p.grad._data if not maximize else -p.grad._data
    if weight_decay != 0:
        g = _add(g, p._data, weight_decay)
    return g


def _count_step(step_t: Tensor) -> float:
    """``state['step'] += 1`` (a 0-dim tensor, version bumped); returns the new count."""
    step_t._data += 1
    _bump(step_t)
    return float(step_t._data)


def _bump(*tensors: Tensor) -> None:
    """Record an in-place change of each tensor (one version-counter increment each)."""
    for t in tensors:
        t._bump_version()


# NOTE: ATen's vectorized CPU kernels for add(alpha=), addcmul and lerp use fused multiply-adds (one
# rounding for a·b + c). NumPy has no FMA; for float32 the same result comes from computing in float64
# and rounding once. For float64 the plain formula is used: it differs from torch's by an ulp at times.
_WIDER = {np.dtype(np.float32): np.float64}


def _fma(a: Any, b: Any, c: Any, dtype: np.dtype, out: np.ndarray | None = None) -> Any:
    """``a·b + c`` in ``dtype``, rounded once (as an FMA) where a wider type allows it; into ``out`` if given.

    Note: the float64 product of two float32 values is exact, so ``multiply`` then ``add`` with
    ``dtype=float64`` rounds only in the add (and once more to float32, as before).  NumPy casts
    the float32 operands chunk by chunk inside the ufunc loops, so the update takes two passes and
    one float64 temporary instead of five full-size ``astype`` copies (a 1024x1024 SGD step:
    about 3x faster).
    """
    wide = _WIDER.get(dtype)
    if wide is None:
        r = a * b + c
        if out is None:
            return r
        out[...] = r
        return out
    a, b, c = _in_dtype(a, dtype), _in_dtype(b, dtype), _in_dtype(c, dtype)
    if out is not None and out.size > _CHUNK and _chunkable(out, (a, b, c)):
        _fma_chunked(a, b, c, out, wide)
        return out
    if a.ndim > b.ndim:
        a, b = b, a  # (the float64 product is exact, so the order of the factors changes nothing)
    if (a.ndim == 0 or a.shape == b.shape) and (c.ndim == 0 or c.shape == b.shape):
        # NumPy's float32 -> float64 astype is a fast SIMD cast; ufuncs given dtype=float64 cast
        # through a slower buffered loop (a 128x64 SGD update: 14.7 -> 12.5 us)
        t = b.astype(wide)
        t *= a
        t += c.astype(wide)
    else:
        t = np.multiply(a, b, dtype=wide)
        t = t + c
    if out is not None:
        np.copyto(out, t, casting="same_kind")
        return out
    return t.astype(dtype)


#: elements per block of a large in-place FMA update (a float64 block of 512 KiB stays in cache)
_CHUNK = 65536


def _chunkable(out: np.ndarray, operands: tuple[Any, ...]) -> bool:
    """Whether every array operand is C-contiguous and of ``out``'s shape (so flat blocks line up)."""
    if not out.flags.c_contiguous:
        return False
    return all(v.ndim == 0 or (v.shape == out.shape and v.flags.c_contiguous) for v in operands)


def _fma_chunked(a: Any, b: Any, c: Any, out: np.ndarray, wide: Any) -> None:
    """``out = a·b + c`` as ``_fma`` computes it, block by block through one cache-sized float64 buffer.

    Note: the same operations on each element as the unblocked path; for a 1024x1024 float32
    parameter the whole-array float64 temporary makes three trips to memory (1.85 ms a step),
    the blocked one 1.4 ms.
    """
    flat = [v.reshape(-1) if v.ndim else v for v in (a, b, c)]
    o = out.reshape(-1)
    buf = np.empty(min(_CHUNK, o.size), dtype=wide)
    for i in range(0, o.size, _CHUNK):
        s = slice(i, i + _CHUNK)
        fa, fb, fc = (v[s] if v.ndim else v for v in flat)
        t = buf[:o[s].size]
        np.multiply(fa, fb, out=t, dtype=wide)
        np.add(t, fc, out=t)
        np.copyto(o[s], t, casting="same_kind")


def _in_dtype(v: Any, dtype: np.dtype) -> Any:
    """``v`` rounded to ``dtype`` (Python scalars and arrays of another dtype), as the FMA's operands are."""
    if isinstance(v, np.ndarray):
        return v if v.dtype == dtype else v.astype(dtype)
    return np.asarray(v, dtype=dtype)


def _add(x: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
    """``x.add(y, alpha=alpha)``: ``x + alpha·y``."""
    return _fma(alpha, y, x, x.dtype)


def _add_(x: np.ndarray, y: np.ndarray, alpha: float) -> None:
    """``x.add_(y, alpha=alpha)``: ``x += alpha·y`` in place (no result array to copy back)."""
    _fma(alpha, y, x, x.dtype, out=x)


def _addcmul_(x: np.ndarray, t1: np.ndarray, t2: np.ndarray, value: float) -> None:
    """``x.addcmul_(t1, t2, value=value)``: ``x += (value·t1)·t2``."""
    _fma(value * t1, t2, x, x.dtype, out=x)


def _lerp_(m: np.ndarray, end: np.ndarray, weight: float) -> None:
    """``m.lerp_(end, weight)`` with ATen's formula (which of two forms depends on the weight's size)."""
    diff = end - m
    if abs(weight) < 0.5:
        _fma(weight, diff, m, m.dtype, out=m)
    else:
        one_minus = m.dtype.type(1) - m.dtype.type(weight)
        _fma(-diff, one_minus, end, m.dtype, out=m)


def _use_grad(step: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``step`` with grad mode off, as PyTorch's ``_use_grad_for_differentiable`` does."""

    @functools.wraps(step)
    def wrapper(self: Optimizer, *args: Any, **kwargs: Any) -> Any:
        with set_grad_enabled(False):
            return step(self, *args, **kwargs)

    return wrapper


def _with_step_hooks(step: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a subclass's ``step`` so the global and per-optimizer step hooks run around it."""

    @functools.wraps(step)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        self = args[0]
        for pre_hook in chain(_global_optimizer_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            result = pre_hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, new_kwargs), but got {result}.")
        out = step(*args, **kwargs)
        for post_hook in chain(self._optimizer_step_post_hooks.values(), _global_optimizer_post_hooks.values()):
            post_hook(self, args, kwargs)
        return out

    wrapper.hooked = True  # type: ignore[attr-defined]
    return wrapper


class Optimizer:
    """Base class of all optimizers.

    Holds ``param_groups`` (a list of dicts: ``"params"`` plus hyper-parameters, missing ones filled
    from ``defaults``) and ``state`` (a ``defaultdict(dict)`` keyed by parameter). Subclasses implement
    ``step``; the first instance of a class wraps its ``step`` so that the step hooks run around it.
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
        self._patch_step_function()
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, but got "
                + _torch_typename(params)
            )
        if defaults.get("differentiable", False):
            raise NotImplementedError(
                "glassgrad optimizers update the parameters' arrays outside autograd: differentiable=True is "
                "not supported"
            )
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def _patch_step_function(self) -> None:
        """Make this class's ``step`` run the step hooks (once per class, as PyTorch patches it)."""
        cls = self.__class__
        if not getattr(cls.step, "hooked", False):
            cls.step = _with_step_hooks(cls.step)  # type: ignore[method-assign]

    # ------------------------------------------------------------------ pickling and printing
    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
                     "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            self.__dict__.setdefault(name, OrderedDict())
        self._patch_step_function()
        self.defaults.setdefault("differentiable", False)

    def __repr__(self) -> str:
        format_string = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            format_string += "\n"
            format_string += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    format_string += f"    {key}: {group[key]}\n"
        format_string += ")"
        return format_string

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (with its own hyper-parameters; missing ones come from ``defaults``)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering of tensors "
                "in sets will change between runs. Please use a list instead."
            )
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):  # (name, tensor) pairs from named_parameters()
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names

        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _torch_typename(param))
            if not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)

        params = param_group["params"]
        if len(params) != len({id(p) for p in params}):
            import warnings
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, this will cause an "
                "error; see github.com/pytorch/pytorch/issues/40967 for more information",
                stacklevel=3,
            )

        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {which} to the optimizer"
                )
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient: to ``None`` by default, else fill it with zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        if p.grad.grad_fn is not None:
                            p.grad.detach_()
                        else:
                            p.grad.requires_grad_(False)
                        p.grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step (subclasses implement it); ``closure`` re-evaluates the loss."""
        raise NotImplementedError

    def _closure_loss(self, closure: Callable[[], Any] | None) -> Any:
        """Call ``closure`` (if any) with grad mode on, as every PyTorch ``step`` does first."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def _params_and_states(self, group: dict[str, Any], init_state: Callable[[Tensor, dict[str, Any]], dict[str, Any]]
                           ) -> list[tuple[Tensor, dict[str, Any]]]:
        """The group's parameters that have a gradient, each with its state (``init_state`` makes an empty one);
        then, as PyTorch's CPU step, the ``capturable=True`` error when there is any such parameter."""
        params = [p for p in group["params"] if p.grad is not None]
        states = [init_state(p, group) for p in params]
        if group.get("capturable", False) and params:
            raise AssertionError(
                f"If capturable=True, params and state_steps must be on supported devices: {_CAPTURABLE_DEVICES}."
            )
        return list(zip(params, states))

    def _set_group_defaults(self, **defaults: Any) -> None:
        """Give every param group the ``defaults`` entries it lacks (an optimizer pickled by an older version)."""
        for group in self.param_groups:
            for key, value in defaults.items():
                group.setdefault(key, value)

    # ------------------------------------------------------------------ hooks
    def register_step_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Register ``hook(optimizer, args, kwargs)`` to run before ``step``; it may return new (args, kwargs)."""
        handle = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Register ``hook(optimizer, args, kwargs)`` to run after ``step``."""
        handle = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    def _register(self, hooks: OrderedDict[int, Callable[..., Any]], hook: Callable[..., Any],
                  prepend: bool) -> RemovableHandle:
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_state_dict_pre_hook(self, hook: Callable[..., Any], prepend: bool = False) -> RemovableHandle:
        """Register ``hook(optimizer)`` to run before ``state_dict``."""
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable[..., Any], prepend: bool = False) -> RemovableHandle:
        """Register ``hook(optimizer, state_dict)`` to run after ``state_dict``; it may return a new dict."""
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable[..., Any], prepend: bool = False) -> RemovableHandle:
        """Register ``hook(optimizer, state_dict)`` to run before ``load_state_dict``; it may return a new dict."""
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable[..., Any], prepend: bool = False) -> RemovableHandle:
        """Register ``hook(optimizer)`` to run after ``load_state_dict``."""
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ------------------------------------------------------------------ state dicts
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: per-param state}, "param_groups": [group with "params" as indices]}``.

        Parameters are numbered in the order of the groups; the state tensors are not copied.
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        mapping: dict[int, int] = {}
        start = 0

        def pack_group(group: dict[str, Any]) -> dict[str, Any]:
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            mapping.update({id(p): i for i, p in enumerate(group["params"], start) if id(p) not in mapping})
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": param_groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a ``state_dict()``: parameters are matched by position; state tensors take each param's dtype."""
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"
            )
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def cast(param: Tensor, value: Any, key: Any = None) -> Any:
            if isinstance(value, Tensor):
                # NOTE: like Tensor.to, a tensor that already has the param's dtype is kept, not copied
                if key == "step" or not param.is_floating_point() or value.dtype is param.dtype:
                    return value
                return Tensor._make(value._data.astype(param.dtype.np))
            if isinstance(value, dict):
                return {k: cast(param, v, k) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(cast(param, v) for v in value)
            return value

        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                state[id_map[k]] = cast(id_map[k], v)
            else:
                state[k] = v

        def update_group(group: dict[str, Any], new_group: dict[str, Any]) -> dict[str, Any]:
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    def _steps_to_tensors(self) -> None:
        """Turn Python-number ``step`` entries (old checkpoints) into tensors, as PyTorch's ``__setstate__``."""
        for group in self.param_groups:
            for p in group["params"]:
                p_state = self.state.get(p, {})
                if len(p_state) != 0 and "step" in p_state and not isinstance(p_state["step"], Tensor):
                    p_state["step"] = _step_tensor(float(p_state["step"]))
