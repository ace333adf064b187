"""Run both training demos on glassgrad and on real PyTorch, side by side, and print a table.

    python bench/compare_training.py [--digits-steps 1000] [--charlm-steps 600] [--seed 0] [--threads 1]

The training code is the same lines for both frameworks (``glassgrad.demos.digits.train`` and
``glassgrad.demos.charlm.train`` take the framework as an argument); each framework draws its own
initial weights and batch order from the same seed, so final figures are close, not equal (the
exact-parity check, with copied weights and shared batches, is ``tests/test_training_parity.py``).
Wall time covers the training loop with its periodic evaluations, not data loading or sampling.

``--threads 1`` (the default) runs both single-threaded: NumPy's BLAS through threadpoolctl and
``torch.set_num_threads(1)``; ``--threads 0`` leaves both at their defaults.
Needs torch, scikit-learn and threadpoolctl (``pip install '.[examples]' torch``).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import sys
from typing import Any

if importlib.util.find_spec("glassgrad") is None:  # run from a checkout without installing
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

import numpy as np  # noqa: E402

import glassgrad  # noqa: E402
from glassgrad.demos import charlm, digits  # noqa: E402
from glassgrad.demos._common import blas_threads  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--digits-steps", type=int, default=digits.DEFAULT_STEPS)
    p.add_argument("--charlm-steps", type=int, default=charlm.DEFAULT_STEPS)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="threads for both frameworks (0: their defaults)")
    p.add_argument("--progress", action="store_true", help="show the progress bars")
    args = p.parse_args(argv)

    import torch

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, numpy {np.__version__}, "
          f"torch {torch.__version__}, threads: {args.threads or 'default'}")

    rows: list[tuple[str, str, Any]] = []
    data = digits.load_digits_arrays()
    with blas_threads(args.threads if args.threads > 0 else None):
        for fw in (glassgrad, torch):
            r = digits.train(fw, steps=args.digits_steps, seed=args.seed, progress=args.progress, data=data)
            rows.append(("digits", fw.__name__, r))
        for fw in (glassgrad, torch):
            r = charlm.train(fw, steps=args.charlm_steps, seed=args.seed, progress=args.progress,
                             sample_chars=0, verbose=False)
            rows.append(("charlm", fw.__name__, r))

    print()
    print("| demo | framework | steps | wall (s) | steps/s | final result |")
    print("|---|---|---:|---:|---:|---|")
    for demo, name, r in rows:
        if demo == "digits":
            result = f"test accuracy {r.test_accuracy:.2%}, test loss {r.test_loss:.4f}"
        else:
            result = f"val loss {r.val_loss:.4f} (unigram entropy {r.unigram_entropy:.4f}), train loss {r.train_loss:.4f}"
        print(f"| {demo} | {name} | {r.steps} | {r.wall_s:.1f} | {r.steps_per_s:.1f} | {result} |")
    for demo in ("digits", "charlm"):
        ours, ref = (r for d, _, r in rows if d == demo)
        print(f"{demo}: glassgrad takes {ours.wall_s / ref.wall_s:.1f}x PyTorch's time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
