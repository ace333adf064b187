"""gradcheck catches a custom Function whose backward is wrong — and passes the corrected one.

``python examples/gradcheck_finds_a_bug.py`` (glassgrad) or ``glassgrad run`` / real PyTorch.
"""

try:
    import torch
except ImportError:
    import glassgrad as torch


class Cube(torch.autograd.Function):
    """x³ with a deliberately wrong derivative: 2x² instead of 3x²."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 2 * x ** 2  # the bug


class FixedCube(Cube):
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x ** 2


def main() -> None:
    x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
    try:
        torch.autograd.gradcheck(Cube.apply, (x,))
    except RuntimeError as e:  # torch.autograd.gradcheck.GradcheckError
        print("gradcheck caught the bug:")
        print(str(e).strip())
    print("fixed backward passes:", torch.autograd.gradcheck(FixedCube.apply, (x,)))


if __name__ == "__main__":
    main()
