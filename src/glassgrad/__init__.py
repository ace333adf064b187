"""glassgrad: PyTorch's autograd, readable, in Python on NumPy.

``import glassgrad as torch`` gives the same values, gradients, ``grad_fn``
names, printing and error messages as PyTorch on the CPU.

>>> import glassgrad as torch
>>> x = torch.tensor(2.0, requires_grad=True)
>>> e = ((x * 2 + 3) ** 2) / 2 + 1
>>> e.backward()
>>> x.grad
tensor(14.)
"""

from __future__ import annotations

import builtins

from . import dtypes as _dtypes
from ._printing import get_printoptions, set_printoptions
from .autograd.grad_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled  # noqa: F401
from .autograd.grad_mode import (
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad, set_grad_enabled,
)
from .dtypes import (
    bool_ as bool,  # noqa: A001
    dtype, float16, float32, float64, get_default_dtype, int8, int16, int32, int64, promote_types,
    set_default_dtype, uint8,
)
from .tensor import Size, Tensor, device
from .ops import methods as _methods

_methods.attach()

from . import autograd  # noqa: E402
from .creation import (  # noqa: E402
    Generator, arange, as_tensor, bernoulli, empty, empty_like, eye, from_numpy, full, full_like,
    get_rng_state, initial_seed, linspace, manual_seed, multinomial, normal, ones, ones_like, rand, rand_like,
    randint, randint_like, randn, randn_like, randperm, seed, set_rng_state, tensor, zeros, zeros_like,
)
from .ops.activation import log_softmax, softmax  # noqa: E402
from .ops.elementwise import (  # noqa: E402
    abs, absolute, add, allclose, bitwise_and, bitwise_not, bitwise_or, bitwise_xor, cos, div, eq, equal, exp,
    ge, greater, greater_equal, gt, isclose, isfinite, isinf, isnan, le, less, less_equal, log, logical_not,
    lt, maximum, minimum, mul, ne, neg, negative, not_equal, pow, reciprocal, relu, rsub, sigmoid, sign, sin,
    sqrt, square, sub, tanh, true_divide, where,
)
from .ops.indexing import select  # noqa: E402
from .ops.linalg import addmm, bmm, dot, matmul, mm, mv, outer  # noqa: E402
from .ops.reduction import amax, amin, argmax, argmin, max, mean, min, sum  # noqa: E402
from .ops.shape import (  # noqa: E402
    broadcast_to, clone, expand, flatten, nonzero, permute, reshape, squeeze, swapaxes, swapdims, t,
    transpose, unbind, unsqueeze,
)

multiply, subtract, divide = mul, sub, div


def _export_families() -> None:
    """Export every op family's public functions (``ops.FAMILIES``) as ``glassgrad.NAME``."""
    from .ops import FAMILIES
    g = globals()
    for fam in FAMILIES:
        for name in getattr(fam, "__all__", ()):
            g.setdefault(name, getattr(fam, name))


_export_families()
# torch.batch_norm / torch.instance_norm take ATen's argument order, unlike their nn.functional namesakes
from .ops.norm import _batch_norm as batch_norm  # noqa: E402
from .ops.norm import _instance_norm as instance_norm  # noqa: E402

float = float32  # noqa: A001
double = float64
half = float16
long = int64
int = int32  # noqa: A001
short = int16

from . import linalg, nn, optim, utils  # noqa: E402,F401

autograd._attach_api()
from . import func  # noqa: E402,F401
from .serialization import load, save  # noqa: E402
from .ops import return_types  # noqa: E402,F401

__version__ = "0.1.0"


def is_tensor(obj: object) -> builtins.bool:
    """True when ``obj`` is a glassgrad Tensor."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> builtins.int:
    return input.numel()


def is_floating_point(input: Tensor) -> builtins.bool:
    return input.is_floating_point()


def set_num_threads(n: builtins.int) -> None:
    """Accepted for compatibility; NumPy's BLAS decides its own threads."""


def get_num_threads() -> builtins.int:
    import os
    return os.cpu_count() or 1


def __getattr__(name: str) -> object:
    """A PyTorch name glassgrad does not have: say so, naming it."""
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"module 'torch' has no attribute '{name}' (glassgrad does not support torch.{name} yet)")
