"""Cases shared by the viz, CLI and forward-AD tests: the chapter's section-7.4 graph, and a custom cube
``Function`` written right (``Cube``) and with a planted mistake (``Cube3``).

The Functions are written as PyTorch code (``torch`` here is glassgrad), so the source of ``Cube3`` also
makes the script that ``glassgrad run --check`` is tested on (:data:`CUBE3_SCRIPT`).
"""

from __future__ import annotations

import inspect
from typing import Any

import glassgrad as torch


def chapter_graph(lib: Any = torch) -> tuple[Any, ...]:
    """The chapter's section-7.4 graph in ``lib`` (glassgrad or torch): x = 2, a = x*2, b = a+3, c = b**2,
    d = c/2, e = d+1; returns ``x, a, b, c, d, e``."""
    x = lib.tensor(2.0, requires_grad=True)
    a = x * 2
    b = a + 3
    c = b ** 2
    d = c / 2
    e = d + 1
    return x, a, b, c, d, e


class Cube3(torch.autograd.Function):
    """x ** 3 with a planted mistake: the backward of x ** 2 times x's scale (2 * grad * x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 2 * grad * x


class Cube(torch.autograd.Function):
    """x ** 3, right."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * grad * x ** 2


#: the line of :data:`CUBE3_SCRIPT` that applies ``Cube3`` (where ``check`` says the wrong node was created)
CUBE3_APPLY = "y = Cube3.apply(x.sin()).sum()"

#: a PyTorch script that runs the wrong ``Cube3`` and prints ``x.grad``
CUBE3_SCRIPT = f"""\
import torch


{inspect.getsource(Cube3)}

x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
{CUBE3_APPLY}
y.backward()
print(x.grad)
"""
