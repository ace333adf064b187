"""``glassgrad train digits``: an MLP on scikit-learn's bundled 8×8 handwritten digits.

1,797 images of 64 pixels (values 0–16) in ten classes; a fixed 80/20 split (1,437 to train,
360 to test). The model is 64 → 128 → ReLU → 10, trained with Adam on cross-entropy in mini-batches
from a shuffling ``DataLoader``; it reaches about 98% test accuracy in 1,000 steps (about 45 epochs).

The training code is plain PyTorch code written against a ``torch`` argument, so the same lines
run on glassgrad (``glassgrad train digits``) and on real PyTorch (``bench/compare_training.py``).
``examples/train_digits.py`` is the same program as one readable script.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from ._common import EXTRA_HINT, Progress, framework_name, optional, save_curves

DEFAULT_STEPS = 1000
BATCH_SIZE = 64
LR = 2e-3
EVAL_EVERY = 25


def load_digits_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The digits as ``(x_train, y_train, x_test, y_test)``: pixels scaled to [0, 1] (float32), labels int64.

    The 80/20 split is fixed (a permutation drawn with seed 0), whatever the training seed.
    Raises ImportError with the install hint when scikit-learn is missing.
    """
    datasets = optional("sklearn.datasets")
    if datasets is None:
        raise ImportError(f"the digits demo needs scikit-learn's bundled digits data set: {EXTRA_HINT}")
    d = datasets.load_digits()
    x = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(x))
    n_test = len(x) // 5
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def build_mlp(torch: ModuleType, n_in: int = 64, hidden: int = 128, n_out: int = 10) -> Any:
    """The classifier: ``Linear(64, 128) → ReLU → Linear(128, 10)`` (logits), built with ``torch.nn``."""
    nn, F = torch.nn, torch.nn.functional

    class MLP(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = nn.Linear(n_in, hidden)
            self.fc2 = nn.Linear(hidden, n_out)

        def forward(self, x: Any) -> Any:
            return self.fc2(F.relu(self.fc1(x)))

    return MLP()


@dataclass
class DigitsResult:
    """What a training run gives: the final test accuracy and loss, timings and the curves."""

    framework: str
    steps: int
    test_accuracy: float
    test_loss: float
    train_loss: float
    wall_s: float
    steps_per_s: float
    history: dict[str, list[float]] = field(default_factory=dict)


def evaluate(torch: ModuleType, model: Any, x: Any, y: Any) -> tuple[float, float]:
    """``(mean cross-entropy, accuracy)`` of ``model`` on the tensors ``x``, ``y``, without a graph."""
    with torch.no_grad():
        logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits, y).item()
        acc = (logits.argmax(dim=1) == y).float().mean().item()
    return loss, acc


def train(torch: ModuleType, steps: int = DEFAULT_STEPS, seed: int = 0, progress: bool = True,
          data: tuple[np.ndarray, ...] | None = None) -> DigitsResult:
    """Train the MLP for ``steps`` Adam steps on the framework ``torch`` (glassgrad or torch)."""
    from_numpy = torch.from_numpy
    x_train, y_train, x_test, y_test = (from_numpy(a) for a in (data or load_digits_arrays()))
    torch.manual_seed(seed)
    model = build_mlp(torch)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x_train, y_train), batch_size=BATCH_SIZE, shuffle=True,
        generator=torch.Generator().manual_seed(seed))

    hist: dict[str, list[float]] = {"step": [], "train_loss": [], "test_loss": [], "test_accuracy": []}
    bar = Progress(steps, f"digits [{framework_name(torch)}]", enabled=progress)
    step, running, seen = 0, 0.0, 0
    start = time.perf_counter()
    while step < steps:
        for xb, yb in loader:
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            running, seen = running + loss.item(), seen + 1
            bar.update(loss.item())
            if step % EVAL_EVERY == 0 or step == steps:
                test_loss, test_acc = evaluate(torch, model, x_test, y_test)
                for k, v in zip(hist, (step, running / seen, test_loss, test_acc)):
                    hist[k].append(v)
                running, seen = 0.0, 0
            if step == steps:
                break
    wall = time.perf_counter() - start
    bar.close()
    return DigitsResult(framework_name(torch), steps, hist["test_accuracy"][-1], hist["test_loss"][-1],
                        hist["train_loss"][-1], wall, steps / wall, hist)


def run(steps: int = DEFAULT_STEPS, seed: int = 0, out: str = "glassgrad-train", progress: bool = True) -> int:
    """``glassgrad train digits``: train on glassgrad, print the result and write ``OUT/digits.png``."""
    import glassgrad

    try:
        data = load_digits_arrays()
    except ImportError as e:
        print(f"glassgrad train digits: {e}")
        return 1
    print(f"digits: {len(data[0])} training and {len(data[2])} test images of 8x8 pixels, 10 classes; "
          f"MLP 64-128-10, Adam lr={LR}, batch {BATCH_SIZE}, {steps} steps, seed {seed}")
    r = train(glassgrad, steps=steps, seed=seed, progress=progress, data=data)
    h = r.history
    png = save_curves(os.path.join(out, "digits.png"), f"glassgrad: MLP on the 8x8 digits ({steps} steps)", [
        ("cross-entropy", {"train (mean over the interval)": (h["step"], h["train_loss"]),
                           "test": (h["step"], h["test_loss"])}),
        ("test accuracy", {"test": (h["step"], h["test_accuracy"])}),
    ])
    print(f"test accuracy {r.test_accuracy:.2%}  test loss {r.test_loss:.4f}  train loss {r.train_loss:.4f}")
    print(f"{r.steps} steps in {r.wall_s:.1f} s ({r.steps_per_s:.1f} steps/s); curves: {png}")
    return 0
