"""Training parity with PyTorch: the same model with the same initial weights (copied from torch),
the same batches and the same optimizer give the same losses for 50 steps (float64, relative
difference below 1e-4), and the same weights at the end.

Models: the digits demo's MLP, a small CNN (Conv2d + ReLU + MaxPool2d + Flatten + Linear) and the
charlm demo's causal-attention language model, all tiny so that the file stays fast. Optimizers:
SGD with momentum, Adam, AdamW.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import glassgrad
from glassgrad.demos.charlm import build_charlm, lm_loss
from glassgrad.demos.digits import build_mlp

torch = pytest.importorskip("torch")

STEPS = 50
RTOL = 1e-4

OPTIMIZERS: dict[str, Callable[[ModuleType, Any], Any]] = {
    "sgd_momentum": lambda fw, params: fw.optim.SGD(params, lr=0.05, momentum=0.9),
    "adam": lambda fw, params: fw.optim.Adam(params, lr=1e-2),
    "adamw": lambda fw, params: fw.optim.AdamW(params, lr=1e-2, weight_decay=0.1),
}


def build_cnn(fw: ModuleType) -> Any:
    """A small CNN for 1×8×8 images: conv 3×3 (4 channels) → ReLU → max-pool 2 → flatten → linear to 10."""
    nn = fw.nn
    return nn.Sequential(nn.Conv2d(1, 4, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(4 * 4 * 4, 10))


def classification_batches(rng: np.random.Generator, shape: tuple[int, ...]) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(rng.standard_normal((8, *shape)), rng.integers(0, 10, 8)) for _ in range(STEPS)]


def lm_batches(rng: np.random.Generator, vocab: int, block: int) -> list[tuple[np.ndarray, np.ndarray]]:
    out = []
    for _ in range(STEPS):
        seq = rng.integers(0, vocab, (4, block + 1))
        out.append((seq[:, :-1], seq[:, 1:]))
    return out


VOCAB, BLOCK = 11, 8
MODELS: dict[str, tuple[Callable[[ModuleType], Any], Callable[[np.random.Generator], list], Callable]] = {
    "mlp": (lambda fw: build_mlp(fw, n_in=16, hidden=12, n_out=10),
            lambda rng: classification_batches(rng, (16,)),
            lambda fw, out, y: fw.nn.functional.cross_entropy(out, y)),
    "cnn": (build_cnn,
            lambda rng: classification_batches(rng, (1, 8, 8)),
            lambda fw, out, y: fw.nn.functional.cross_entropy(out, y)),
    "charlm": (lambda fw: build_charlm(fw, VOCAB, block=BLOCK, d_model=8, n_heads=2, n_layers=2),
               lambda rng: lm_batches(rng, VOCAB, BLOCK),
               lm_loss),
}


@pytest.fixture(autouse=True, scope="module")
def _torch_single_threaded():
    """Tiny models: torch's intra-op threads only spin (seconds per test on a busy 2-core machine)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def train(fw: ModuleType, model: Any, batches: list, loss_fn: Callable, optimizer_name: str) -> list[float]:
    """Run one optimizer step per batch on framework ``fw``; return the losses."""
    optimizer = OPTIMIZERS[optimizer_name](fw, model.parameters())
    losses = []
    for x, y in batches:
        x_t = fw.from_numpy(x)
        loss = loss_fn(fw, model(x_t), fw.from_numpy(y))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("optimizer_name", list(OPTIMIZERS))
@pytest.mark.parametrize("model_name", list(MODELS))
def test_same_losses_as_pytorch(model_name: str, optimizer_name: str) -> None:
    build, make_batches, loss_fn = MODELS[model_name]
    torch.manual_seed(0)
    ref = build(torch).double()
    ours = build(glassgrad).double()
    # identical initial weights: torch's, copied across
    ours.load_state_dict({k: glassgrad.from_numpy(v.detach().numpy().copy()) for k, v in ref.state_dict().items()})
    batches = make_batches(np.random.default_rng(1))

    expected = train(torch, ref, batches, loss_fn, optimizer_name)
    got = train(glassgrad, ours, batches, loss_fn, optimizer_name)

    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=0)
    assert expected[-1] < expected[0]  # the run trains: the comparison is over a moving trajectory
    final_ref = {k: v.detach().numpy() for k, v in ref.state_dict().items()}
    for k, v in ours.state_dict().items():
        np.testing.assert_allclose(v.detach().numpy(), final_ref[k], rtol=RTOL, atol=1e-10, err_msg=k)
