"""What both training demos share: a progress bar (tqdm, or plain lines), a PNG of the curves
(matplotlib, or a CSV), and the seeding of a framework.

Every function here takes the *framework* as an argument where it needs one: the demos are PyTorch
code run on ``glassgrad`` by ``glassgrad train`` and on real ``torch`` by ``bench/compare_training.py``.
"""

from __future__ import annotations

import csv
import importlib
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import Any, TextIO

EXTRA_HINT = "pip install 'glassgrad[examples]'"


def optional(name: str) -> ModuleType | None:
    """Import the optional dependency ``name``, or return None when it is not installed."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


@contextmanager
def blas_threads(n: int | None) -> Iterator[None]:
    """Run the block with NumPy's BLAS limited to ``n`` threads (``None``: leave it as it is).

    The demos' matrices are small (64 to 256 wide): BLAS threads cost more than they give, and on a
    busy machine they can make a step ten times slower. The limit needs threadpoolctl (it comes with
    scikit-learn); without it the block runs unchanged.
    """
    threadpoolctl = optional("threadpoolctl") if n is not None else None
    if threadpoolctl is None:
        yield
        return
    with threadpoolctl.threadpool_limits(limits=n, user_api="blas"):
        yield


class Progress:
    """A progress bar over ``total`` steps showing the loss and steps/s.

    It is tqdm's bar when tqdm is installed and ``enabled``; otherwise it prints a plain line
    (step, loss, steps/s) about ``lines`` times over the run, so that a run without tqdm, or with
    its output sent to a file, still shows how training goes.
    """

    def __init__(self, total: int, desc: str, enabled: bool = True, lines: int = 10,
                 stream: TextIO | None = None) -> None:
        self.total, self.desc, self.enabled = total, desc, enabled
        self.stream = stream if stream is not None else sys.stdout
        self.every = max(1, total // max(1, lines))
        self.step, self.start = 0, time.perf_counter()
        tqdm = optional("tqdm") if enabled else None
        self.bar: Any = None
        if tqdm is not None:
            self.bar = tqdm.tqdm(total=total, desc=desc, unit="step", file=self.stream, dynamic_ncols=True)
        elif enabled:
            print(f"({desc}: tqdm is not installed, printing plain progress lines; {EXTRA_HINT})", file=self.stream)

    def update(self, loss: float) -> None:
        """Count one step whose training loss was ``loss``."""
        self.step += 1
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
            self.bar.update(1)
        elif self.enabled and (self.step % self.every == 0 or self.step == self.total):
            rate = self.step / max(time.perf_counter() - self.start, 1e-9)
            print(f"{self.desc} step {self.step:5d}/{self.total}  loss {loss:.4f}  {rate:.1f} steps/s",
                  file=self.stream, flush=True)

    def write(self, line: str) -> None:
        """Print ``line`` without breaking the bar."""
        if self.bar is not None:
            self.bar.write(line, file=self.stream)
        else:
            print(line, file=self.stream, flush=True)

    def close(self) -> None:
        """Close the bar."""
        if self.bar is not None:
            self.bar.close()


def save_curves(path_png: str, title: str, panels: Sequence[tuple[str, dict[str, tuple[list[int], list[float]]]]],
                stream: TextIO | None = None) -> str:
    """Plot curves to ``path_png`` (one panel per ``(ylabel, {label: (steps, values)})``).

    Without matplotlib the same curves are written as a CSV next to it (``.csv`` instead of
    ``.png``: columns panel, curve, step, value) and a line says so. Returns the path written.
    """
    stream = stream if stream is not None else sys.stdout
    os.makedirs(os.path.dirname(os.path.abspath(path_png)), exist_ok=True)
    matplotlib = optional("matplotlib")
    if matplotlib is None:
        path_csv = os.path.splitext(path_png)[0] + ".csv"
        with open(path_csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["panel", "curve", "step", "value"])
            for ylabel, curves in panels:
                for label, (steps, values) in curves.items():
                    w.writerows([ylabel, label, s, v] for s, v in zip(steps, values))
        print(f"matplotlib is not installed: wrote the curves as {path_csv} instead of a plot ({EXTRA_HINT})",
              file=stream)
        return path_csv
    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4))
    axes = axes if len(panels) > 1 else [axes]
    for ax, (ylabel, curves) in zip(axes, panels):
        for label, (steps, values) in curves.items():
            ax.plot(steps, values, label=label, marker="o" if len(steps) < 30 else None, markersize=3)
        ax.set_xlabel("step")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path_png, dpi=100)
    plt.close(fig)
    return path_png


def framework_name(torch: ModuleType) -> str:
    """``'glassgrad'`` or ``'torch'``: the name of the framework module the demo runs on."""
    return torch.__name__.split(".")[0]
