"""A custom autograd Function: the Legendre polynomial P3(x) = (5x³ - 3x) / 2, fitted by gradient descent.

Runs on PyTorch and on glassgrad alike (``glassgrad run examples/legendre_p3.py``, or ``python`` it
directly: it imports glassgrad as torch).  The model is ``y = a + b·P3(c + d·x)``, fitted to sin(x)
on [-π, π], as in the PyTorch tutorial that introduced custom Functions.
"""

import math

try:  # run as a PyTorch program under `glassgrad run`, or on glassgrad directly
    import torch
except ImportError:
    import glassgrad as torch


class LegendrePolynomial3(torch.autograd.Function):
    """P3(x) = (5x³ - 3x)/2, and its derivative 1.5(5x² - 1), written by hand."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 0.5 * (5 * x ** 3 - 3 * x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * x ** 2 - 1)


def main() -> None:
    torch.manual_seed(0)
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=torch.float64)
    y = torch.sin(x)
    a = torch.full((), 0.0, dtype=torch.float64, requires_grad=True)
    b = torch.full((), -1.0, dtype=torch.float64, requires_grad=True)
    c = torch.full((), 0.0, dtype=torch.float64, requires_grad=True)
    d = torch.full((), 0.3, dtype=torch.float64, requires_grad=True)
    lr = 5e-6
    for t in range(2000):
        y_pred = a + b * LegendrePolynomial3.apply(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        if t % 400 == 399:
            print(f"step {t + 1}: loss {loss.item():.6f}")
        loss.backward()
        with torch.no_grad():
            for p in (a, b, c, d):
                p -= lr * p.grad
                p.grad = None
    print(f"y = {a.item():.4f} + {b.item():.4f} * P3({c.item():.4f} + {d.item():.4f} x)")
    print(f"grad_fn: {y_pred.grad_fn.next_functions[1][0].next_functions[1][0].name()}")


if __name__ == "__main__":
    main()
