"""Newton's method with ``glassgrad.autograd.functional.hessian``.

Minimises the Rosenbrock function f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 from the
classic start (-1.2, 1).  Each step solves H(x) d = -grad f(x), with the gradient
from ``autograd.grad`` and the 2x2 Hessian from ``hessian``; the minimum is (1, 1).

Run: ``PYTHONPATH=src python examples/newton_hessian.py`` (``import torch`` instead
of glassgrad gives the same iterates).
"""

from __future__ import annotations

import glassgrad as torch
from glassgrad.autograd.functional import hessian


def rosenbrock(p: torch.Tensor) -> torch.Tensor:
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def solve2(h: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """Solve the 2x2 system h d = g (Cramer's rule)."""
    det = h[0, 0] * h[1, 1] - h[0, 1] * h[1, 0]
    return torch.stack([(g[0] * h[1, 1] - h[0, 1] * g[1]) / det, (h[0, 0] * g[1] - g[0] * h[1, 0]) / det])


def newton(p: torch.Tensor, steps: int = 20, tol: float = 1e-12) -> torch.Tensor:
    for k in range(steps):
        p = p.detach().requires_grad_(True)
        f = rosenbrock(p)
        (g,) = torch.autograd.grad(f, p)
        print(f"iter {k:2d}  x = [{p[0].item(): .10f}, {p[1].item(): .10f}]  "
              f"f = {f.item():.3e}  |grad| = {g.norm().item():.3e}")
        if g.norm().item() < tol:
            break
        h = hessian(rosenbrock, p.detach())
        p = p.detach() - solve2(h, g)
    return p.detach()


if __name__ == "__main__":
    start = torch.tensor([-1.2, 1.0], dtype=torch.float64)
    print("Hessian at the start:")
    print(hessian(rosenbrock, start))
    x_min = newton(start)
    print("minimum found at", x_min)
