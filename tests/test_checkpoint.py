"""saved_tensors_hooks and checkpoint against PyTorch, and checkpoint's memory saving."""

from __future__ import annotations

import tracemalloc
import warnings
from typing import Any

import numpy as np
import pytest

import glassgrad as gg


def _f(m: Any, x: Any, w: Any) -> Any:
    h = x
    for _ in range(3):
        h = (h @ w).tanh() * 1.5
    return h.sin().sum(-1)


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_gradients_and_graph_match_torch(use_reentrant: bool) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    xa, wa = rng.standard_normal((4, 5)), rng.standard_normal((5, 5)) / 3
    res = {}
    for m in (gg, torch):
        x = m.tensor(xa, requires_grad=True)
        w = m.tensor(wa, requires_grad=True)
        y = m.utils.checkpoint.checkpoint(lambda a, b, m=m: _f(m, a, b), x, w, use_reentrant=use_reentrant)
        name = y.grad_fn.name()
        y.sum().backward()
        res[m.__name__] = (y.detach().numpy(), x.grad.numpy(), w.grad.numpy(), name)
    for a, b in zip(res["glassgrad"][:3], res["torch"][:3]):
        np.testing.assert_allclose(a, b, rtol=1e-10)
    assert res["glassgrad"][3] == res["torch"][3]


def test_checkpoint_without_use_reentrant_warns_like_torch() -> None:
    torch = pytest.importorskip("torch")
    msgs = []
    for m in (gg, torch):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m.utils.checkpoint.checkpoint(lambda a: a * 2, m.ones(2, requires_grad=True))
        msgs.append([str(x.message) for x in w if "use_reentrant" in str(x.message)])
    assert msgs[0] and msgs[0] == msgs[1]


def test_saved_tensors_hooks_pack_and_unpack_like_torch() -> None:
    torch = pytest.importorskip("torch")
    logs = []
    for m in (gg, torch):
        log: list[Any] = []
        x = m.tensor([0.1, 0.5, 1.0], requires_grad=True)
        with m.autograd.graph.saved_tensors_hooks(
                lambda t, log=log: (log.append(("pack", tuple(t.shape))), t * 1)[1],
                lambda t, log=log: (log.append("unpack"), t)[1]):
            z = (x * x).sin().exp()
        z.sum().backward()
        logs.append((log, x.grad.tolist()))
    assert logs[0][0] == logs[1][0]
    np.testing.assert_allclose(logs[0][1], logs[1][1], rtol=1e-6)


def _peak_forward(use_checkpoint: bool) -> int:
    x = gg.randn(64, 256, requires_grad=True)
    w = gg.randn(256, 256, requires_grad=True) / 16
    block = lambda h: ((h @ w).tanh() @ w).tanh()  # noqa: E731
    tracemalloc.start()
    h = x
    for _ in range(8):
        h = gg.utils.checkpoint.checkpoint(block, h, use_reentrant=False) if use_checkpoint else block(h)
    loss = h.sum()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    loss.backward()
    return peak


def test_checkpoint_keeps_less_memory() -> None:
    plain, ckpt = _peak_forward(False), _peak_forward(True)
    assert ckpt < plain * 0.75, (plain, ckpt)
