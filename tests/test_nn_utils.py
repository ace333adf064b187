"""``nn.utils``: gradient clipping and parameters <-> vector, against torch's."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest

import glassgrad as gg
from glassgrad.nn import utils
from opinfo import same_error, to_np

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(11)
SHAPES = [(3, 4), (5,), (2, 2, 2)]


def params(m: Any, grads: list[np.ndarray | None], dtype: Any = np.float32) -> list[Any]:
    """Parameters of library ``m`` with the given gradients (``None``: no gradient)."""
    out = []
    for i, g in enumerate(grads):
        shape = SHAPES[i % len(SHAPES)] if g is None else g.shape
        p = m.nn.Parameter(m.tensor(np.ones(shape, dtype=dtype)))
        if g is not None:
            p.grad = m.tensor(g.astype(dtype))
        out.append(p)
    return out


def grads(scale: float = 1.0) -> list[np.ndarray | None]:
    return [RNG.standard_normal(s) * scale for s in SHAPES] + [None]


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf", 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_grad_norm_matches_torch(norm_type: Any, max_norm: float, dtype: Any) -> None:
    gs = grads()
    gp, tp = params(gg, gs, dtype), params(torch, gs, dtype)
    gn = utils.clip_grad_norm_(gp, max_norm, norm_type=norm_type)
    tn = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type=norm_type)
    assert str(gn.dtype) == str(tn.dtype) and gn.shape == () and gn.grad_fn is None
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(to_np(gn), tn.numpy(), rtol=rtol)
    for g, t in zip(gp, tp):
        if t.grad is None:
            assert g.grad is None
        else:
            np.testing.assert_allclose(to_np(g.grad), t.grad.numpy(), rtol=rtol, atol=1e-7)


def test_clip_grad_norm_single_tensor_generator_and_empty() -> None:
    gs = grads()
    gp, tp = params(gg, gs), params(torch, gs)
    gn = utils.clip_grad_norm_(gp[0], 0.1)
    tn = torch.nn.utils.clip_grad_norm_(tp[0], 0.1)
    np.testing.assert_allclose(to_np(gn), tn.numpy(), rtol=1e-6)
    np.testing.assert_allclose(to_np(gp[0].grad), tp[0].grad.numpy(), rtol=1e-6)
    gn = utils.clip_grad_norm_((p for p in gp), 0.1, foreach=True)
    tn = torch.nn.utils.clip_grad_norm_((p for p in tp), 0.1, foreach=True)
    np.testing.assert_allclose(to_np(gn), tn.numpy(), rtol=1e-6)
    assert to_np(utils.clip_grad_norm_([], 1.0)).tolist() == torch.nn.utils.clip_grad_norm_([], 1.0).tolist()
    with pytest.warns(UserWarning, match="^`parameters` is an empty generator, no gradient clipping will occur.$"):
        utils.clip_grad_norm_((p for p in []), 1.0)


def test_clip_grad_norm_nonfinite() -> None:
    bad = [np.array([np.nan, 1.0, 2.0])]
    same_error(lambda m: m.nn.utils.clip_grad_norm_(params(m, bad), 1.0, error_if_nonfinite=True))
    same_error(lambda m: m.nn.utils.clip_grad_norm_(params(m, bad), 1.0, norm_type=math.inf, error_if_nonfinite=True))
    gp = params(gg, [np.array([np.inf, 1.0])])
    n = utils.clip_grad_norm_(gp, 1.0)
    assert math.isinf(n.item())
    tp = params(torch, [np.array([np.inf, 1.0])])
    torch.nn.utils.clip_grad_norm_(tp, 1.0)
    np.testing.assert_array_equal(to_np(gp[0].grad), tp[0].grad.numpy())


def test_total_norm_and_clip_with_norm() -> None:
    gs = grads()
    ggr = [gg.tensor(g) for g in gs if g is not None]
    tgr = [torch.tensor(g) for g in gs if g is not None]
    gn, tn = utils.get_total_norm(ggr, 3.0), torch.nn.utils.get_total_norm(tgr, 3.0)
    np.testing.assert_allclose(to_np(gn), tn.numpy(), rtol=1e-12)
    gp, tp = params(gg, gs, np.float64), params(torch, gs, np.float64)
    utils.clip_grads_with_norm_(gp, 0.3, gn)
    torch.nn.utils.clip_grads_with_norm_(tp, 0.3, tn)
    for g, t in zip(gp[:3], tp[:3]):
        np.testing.assert_allclose(to_np(g.grad), t.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_deprecated_name() -> None:
    gs = grads()
    with warnings.catch_warnings(record=True) as gw:
        warnings.simplefilter("always")
        gn = utils.clip_grad_norm(params(gg, gs), 1.0)
    with warnings.catch_warnings(record=True) as tw:
        warnings.simplefilter("always")
        tn = torch.nn.utils.clip_grad_norm(params(torch, gs), 1.0)
    np.testing.assert_allclose(to_np(gn), tn.numpy(), rtol=1e-6)
    assert [(w.category, str(w.message)) for w in gw] == [(w.category, str(w.message)) for w in tw]


@pytest.mark.parametrize("clip", [0.5, 2])
def test_clip_grad_value_matches_torch(clip: float) -> None:
    gs = grads(scale=2.0)
    gp, tp = params(gg, gs), params(torch, gs)
    assert utils.clip_grad_value_(gp, clip) is None
    torch.nn.utils.clip_grad_value_(tp, clip)
    for g, t in zip(gp, tp):
        if t.grad is not None:
            np.testing.assert_array_equal(to_np(g.grad), t.grad.numpy())
    x = gg.nn.Parameter(gg.tensor([3.0, -3.0]))
    x.grad = gg.tensor([3.0, -3.0])
    utils.clip_grad_value_(x, 1)
    assert to_np(x.grad).tolist() == [1.0, -1.0]


def test_parameters_to_vector_and_back() -> None:
    gm = gg.nn.Linear(3, 2)
    tm = torch.nn.Linear(3, 2)
    with torch.no_grad():
        for p, q in zip(gm.parameters(), tm.parameters()):
            q.copy_(torch.tensor(to_np(p)))
    gv = utils.parameters_to_vector(gm.parameters())
    tv = torch.nn.utils.parameters_to_vector(tm.parameters())
    np.testing.assert_array_equal(to_np(gv), tv.detach().numpy())
    assert gv.grad_fn.name() == tv.grad_fn.name() and gv.requires_grad
    gv.sum().backward()
    assert all(np.all(to_np(p.grad) == 1) for p in gm.parameters())

    new = RNG.standard_normal(8).astype(np.float32)
    gnew = gg.tensor(new)
    utils.vector_to_parameters(gnew, gm.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), tm.parameters())
    for p, q in zip(gm.parameters(), tm.parameters()):
        np.testing.assert_array_equal(to_np(p), q.detach().numpy())
        assert p.requires_grad and p.is_leaf
    gnew[0] = 100.0  # the parameters share the vector's storage, as in torch
    assert gm.weight[0, 0].item() == 100.0


def test_vector_to_parameters_type_error() -> None:
    same_error(lambda m: m.nn.utils.vector_to_parameters([1.0, 2.0], m.nn.Linear(1, 1).parameters()))
    same_error(lambda m: m.nn.utils.vector_to_parameters(np.zeros(2), m.nn.Linear(1, 1).parameters()))
    same_error(lambda m: m.nn.utils.vector_to_parameters(m.nn.Linear(1, 1), m.nn.Linear(1, 1).parameters()))


def test_public_names() -> None:
    for name in utils.__all__:
        assert hasattr(torch.nn.utils, name), name
    assert gg.nn.utils is utils
