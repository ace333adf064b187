"""The ``train`` command: ``glassgrad train digits|charlm [--steps N] [--seed S] [--out DIR]``.

``add_train_parser(subparsers)`` adds it to glassgrad's command line; ``python -m glassgrad.demos``
runs it alone (``main``).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

DEMOS = ("digits", "charlm")


def _cmd_train(args: argparse.Namespace) -> int:
    from . import charlm, digits
    from ._common import blas_threads

    demo = digits if args.demo == "digits" else charlm
    steps = demo.DEFAULT_STEPS if args.steps is None else args.steps
    if steps < 1:
        print(f"glassgrad train: --steps must be at least 1, got {steps}")
        return 2
    with blas_threads(args.threads if args.threads > 0 else None):
        return demo.run(steps=steps, seed=args.seed, out=args.out, progress=not args.no_progress)


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("demo", choices=DEMOS, help="digits: an MLP on the 8x8 digits (needs scikit-learn); "
                                               "charlm: a causal-attention character language model")
    p.add_argument("--steps", type=int, default=None,
                   help="optimizer steps (default: digits 1000, charlm 600)")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights, batches and samples (default 0)")
    p.add_argument("--out", default="glassgrad-train", metavar="DIR",
                   help="folder for the loss/accuracy plot (default: ./glassgrad-train)")
    p.add_argument("--threads", type=int, default=1, metavar="N",
                   help="NumPy BLAS threads (default 1: the matrices are small; 0 leaves BLAS as it is; "
                        "needs threadpoolctl, which comes with scikit-learn)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar or progress lines")
    p.set_defaults(func=_cmd_train)


def add_train_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train`` subcommand (its options and ``func``) to ``subparsers``."""
    p = subparsers.add_parser("train", help="train a demo model on glassgrad (digits MLP, character LM)",
                              description="Train a demo model on glassgrad and report its loss, accuracy and speed.")
    _add_arguments(p)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m glassgrad.demos digits|charlm [--steps N] [--seed S] [--out DIR]``."""
    p = argparse.ArgumentParser(prog="python -m glassgrad.demos", description="Train a demo model on glassgrad.")
    _add_arguments(p)
    args = p.parse_args(argv)
    return int(args.func(args))
