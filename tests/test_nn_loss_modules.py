"""Loss modules (``nn.MSELoss``, ``nn.CrossEntropyLoss``…) against torch's: values, gradients, buffers, reprs."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import glassgrad as gg
from opinfo import same_error, to_np

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(3)
X = RNG.standard_normal((4, 5))
Y = RNG.standard_normal((4, 5))
P = RNG.uniform(0.05, 0.95, (4, 5))
Q = RNG.uniform(0.0, 1.0, (4, 5))
T = np.array([1, 0, 4, 2])
T_IGN = np.array([1, -100, 4, 3])
W5 = RNG.uniform(0.5, 2.0, 5)
LOGP = X - np.log(np.exp(X).sum(1, keepdims=True))
LOGQ = Y - np.log(np.exp(Y).sum(1, keepdims=True))


def t(m: Any, a: np.ndarray) -> Any:
    return m.tensor(a.copy())


# (name, constructor kwargs (arrays become tensors), input, target); the input gets the gradient
CASES: list[tuple[str, dict[str, Any], np.ndarray, np.ndarray]] = [
    ("MSELoss", {}, X, Y),
    ("MSELoss", {"reduction": "sum"}, X, Y),
    ("L1Loss", {"reduction": "none"}, X, Y),
    ("SmoothL1Loss", {"beta": 0.5}, X, Y),
    ("HuberLoss", {"delta": 0.7, "reduction": "sum"}, X, Y),
    ("CrossEntropyLoss", {}, X, T),
    ("CrossEntropyLoss", {"weight": W5, "label_smoothing": 0.1}, X, T),
    ("CrossEntropyLoss", {"ignore_index": -100, "reduction": "sum"}, X, T_IGN),
    ("CrossEntropyLoss", {"label_smoothing": 0.2}, X, np.exp(LOGQ)),
    ("NLLLoss", {"weight": W5}, LOGP, T),
    ("NLLLoss", {"ignore_index": 3, "reduction": "none"}, LOGP, T_IGN.clip(0)),
    ("BCELoss", {}, P, Q),
    ("BCELoss", {"weight": W5, "reduction": "sum"}, P, Q),
    ("BCEWithLogitsLoss", {}, X, Q),
    ("BCEWithLogitsLoss", {"weight": W5, "pos_weight": W5[::-1].copy()}, X, Q),
    ("KLDivLoss", {"reduction": "batchmean"}, LOGP, np.exp(LOGQ)),
    ("KLDivLoss", {"reduction": "none", "log_target": True}, LOGP, LOGQ),
]


def build(m: Any, name: str, kwargs: dict[str, Any]) -> Any:
    kw = {k: t(m, v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    return getattr(m.nn, name)(**kw)


@pytest.mark.parametrize("name,kwargs,x,y", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_loss_module_matches_torch(name: str, kwargs: dict[str, Any], x: np.ndarray, y: np.ndarray) -> None:
    gl, tl = build(gg, name, kwargs), build(torch, name, kwargs)
    gx, tx = gg.tensor(x.copy(), requires_grad=True), torch.tensor(x.copy(), requires_grad=True)
    gout, tout = gl(gx, t(gg, y)), tl(tx, t(torch, y))
    assert str(gout.dtype) == str(tout.dtype) and tuple(gout.shape) == tuple(tout.shape)
    np.testing.assert_allclose(to_np(gout), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert gout.grad_fn.name() == tout.grad_fn.name()
    up = RNG.standard_normal(tuple(tout.shape))
    (gout * gg.tensor(up)).sum().backward()
    (tout * torch.tensor(up)).sum().backward()
    np.testing.assert_allclose(to_np(gx.grad), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert repr(gl) == repr(tl)
    assert list(gl.state_dict()) == list(tl.state_dict())
    assert sorted(gl._buffers) == sorted(tl._buffers)
    assert gl.reduction == tl.reduction


def test_defaults_and_attributes() -> None:
    for name in ["L1Loss", "MSELoss", "SmoothL1Loss", "HuberLoss", "NLLLoss", "CrossEntropyLoss", "BCELoss",
                 "BCEWithLogitsLoss", "KLDivLoss"]:
        g, tt = getattr(gg.nn, name)(), getattr(torch.nn, name)()
        for attr in ["reduction", "ignore_index", "label_smoothing", "beta", "delta", "log_target", "weight",
                     "pos_weight"]:
            assert hasattr(g, attr) == hasattr(tt, attr), (name, attr)
            if hasattr(tt, attr):
                assert getattr(g, attr) == getattr(tt, attr), (name, attr)
        assert isinstance(g, gg.nn.Module)


def test_weight_is_a_buffer() -> None:
    w = gg.tensor(W5)
    loss = gg.nn.CrossEntropyLoss(weight=w)
    assert loss.weight is w and "weight" in dict(loss.named_buffers())
    assert list(loss.parameters()) == []
    assert loss.double().weight.dtype == gg.float64


def test_legacy_arguments_warn_like_torch() -> None:
    for kw in [dict(size_average=False), dict(reduce=False), dict(size_average=True, reduce=True)]:
        with warnings.catch_warnings(record=True) as gw:
            warnings.simplefilter("always")
            g = gg.nn.MSELoss(**kw)
        with warnings.catch_warnings(record=True) as tw:
            warnings.simplefilter("always")
            tt = torch.nn.MSELoss(**kw)
        assert g.reduction == tt.reduction
        assert [str(w.message) for w in gw] == [str(w.message) for w in tw]
        assert [w.category for w in gw] == [w.category for w in tw]


def test_errors() -> None:
    same_error(lambda m: m.nn.L1Loss(reduction="bogus")(m.zeros(2), m.zeros(2)))
    same_error(lambda m: m.nn.HuberLoss(delta="a"))
    same_error(lambda m: m.nn.CrossEntropyLoss(label_smoothing=1.5)(m.zeros(2, 3), m.tensor([0, 1])))
    same_error(lambda m: m.nn.NLLLoss(weight=m.ones(4))(m.zeros(2, 3), m.tensor([0, 1])))
