"""``nn.init``: gains and fans equal to torch's, exact properties of the deterministic schemes, the
bounds and spread of the random ones, errors and warnings in PyTorch's words.

The random numbers come from glassgrad's own generator, so they are checked by their distribution
(bounds, mean, standard deviation over many draws), not against torch's draws.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest

import glassgrad as gg
from glassgrad.nn import init
from opinfo import same_error, to_np

torch = pytest.importorskip("torch")

SHAPES = [(3, 4), (6, 2), (5, 3, 2), (4, 2, 3, 3), (2, 3, 2, 2, 2)]


@pytest.mark.parametrize("nl,param", [
    ("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None), ("conv_transpose1d", None),
    ("conv_transpose2d", None), ("conv_transpose3d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
    ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 3), ("leaky_relu", math.sqrt(5)), ("selu", None),
])
def test_calculate_gain_equals_torch(nl: str, param: Any) -> None:
    g = init.calculate_gain(nl, param)
    t = torch.nn.init.calculate_gain(nl, param)
    assert g == t and type(g) is type(t)


@pytest.mark.parametrize("shape", SHAPES + [(2, 0, 3)])
def test_fans_equal_torch(shape: tuple[int, ...]) -> None:
    assert init._calculate_fan_in_and_fan_out(gg.empty(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    for mode in ["fan_in", "fan_out", "FAN_OUT"]:
        assert init._calculate_correct_fan(gg.empty(*shape), mode) == \
            torch.nn.init._calculate_correct_fan(torch.empty(*shape), mode)


def test_errors_equal_torch() -> None:
    I = lambda m: m.nn.init  # noqa: E731
    same_error(lambda m: I(m).xavier_uniform_(m.empty(3)))
    same_error(lambda m: I(m).kaiming_normal_(m.empty(3)))
    same_error(lambda m: I(m).kaiming_uniform_(m.empty(3, 4), mode="fan_avg"))
    same_error(lambda m: I(m).kaiming_uniform_(m.empty(3, 4), nonlinearity="swish"))
    same_error(lambda m: I(m).calculate_gain("leaky_relu", True))
    same_error(lambda m: I(m).calculate_gain("leaky_relu", "0.1"))
    same_error(lambda m: I(m).eye_(m.empty(3)))
    same_error(lambda m: I(m).eye_(m.empty(2, 2, 2)))
    same_error(lambda m: I(m).dirac_(m.empty(2, 3)))
    same_error(lambda m: I(m).dirac_(m.empty(3, 3, 3), groups=2))
    same_error(lambda m: I(m).orthogonal_(m.empty(3)))
    same_error(lambda m: I(m).sparse_(m.empty(3), 0.5))
    same_error(lambda m: I(m).uniform_(m.empty(3), 1, 0))
    same_error(lambda m: I(m).uniform_(m.empty(3), 2.5, 0.5))
    same_error(lambda m: I(m).normal_(m.empty(3), 0, -1))
    same_error(lambda m: I(m).uniform_(m.empty(3, dtype=m.int64)))
    same_error(lambda m: I(m).normal_(m.empty(3, dtype=m.int64)))


def test_zero_element_and_trunc_warnings() -> None:
    for fn in (init.kaiming_uniform_, init.kaiming_normal_):
        with pytest.warns(UserWarning, match="^Initializing zero-element tensors is a no-op$"):
            x = gg.empty(0, 3)
            assert fn(x) is x
    with pytest.warns(UserWarning, match=r"^mean is more than 2 std from \[a, b\] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.$"):
        init.trunc_normal_(gg.empty(10), mean=10.0)


def test_deterministic_fills() -> None:
    for shape in [(3, 5), (5, 3), (4, 4)]:
        g = init.eye_(gg.empty(*shape, requires_grad=True))
        t = torch.nn.init.eye_(torch.empty(*shape, requires_grad=True))
        np.testing.assert_array_equal(to_np(g), t.detach().numpy())
        assert g.requires_grad and g.is_leaf and g.grad_fn is None
    for shape, groups in [((4, 3, 3), 1), ((6, 2, 3, 3), 2), ((4, 4, 3, 2, 5), 2), ((2, 5, 4, 4), 1)]:
        g = init.dirac_(gg.randn(*shape), groups)
        t = torch.nn.init.dirac_(torch.randn(*shape), groups)
        np.testing.assert_array_equal(to_np(g), t.numpy())
    for fn, val in [(init.zeros_, 0.0), (init.ones_, 1.0), (lambda x: init.constant_(x, 2.5), 2.5)]:
        x = gg.randn(3, 4, requires_grad=True)
        assert fn(x) is x and np.all(to_np(x) == val) and x.grad_fn is None
    x = gg.empty(4, dtype=gg.int64)
    init.constant_(x, 2.5)
    assert to_np(x).tolist() == torch.nn.init.constant_(torch.empty(4, dtype=torch.int64), 2.5).tolist()


def test_dirac_preserves_conv_input() -> None:
    w = init.dirac_(gg.empty(3, 3, 3, 3))
    x = gg.randn(2, 3, 5, 5)
    np.testing.assert_allclose(to_np(gg.nn.functional.conv2d(x, w, padding=1)), to_np(x))


@pytest.mark.parametrize("shape", [(3, 7), (7, 3), (5, 5), (4, 2, 3), (6, 3, 2, 2)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal_is_orthogonal(shape: tuple[int, ...], gain: float) -> None:
    x = gg.empty(*shape, dtype=gg.float64, requires_grad=True)
    assert init.orthogonal_(x, gain=gain) is x
    m = to_np(x).reshape(shape[0], -1) / gain
    rows, cols = m.shape
    gram = m @ m.T if rows <= cols else m.T @ m
    np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=1e-12)
    assert x.grad_fn is None and x.requires_grad


def test_random_fills_are_reproducible_and_take_a_generator() -> None:
    gen = gg.Generator().manual_seed(5)
    a = init.normal_(gg.empty(50), generator=gen)
    b = init.normal_(gg.empty(50), generator=gg.Generator().manual_seed(5))
    np.testing.assert_array_equal(to_np(a), to_np(b))
    gg.manual_seed(1)
    c = init.xavier_uniform_(gg.empty(8, 8))
    gg.manual_seed(1)
    d = init.xavier_uniform_(gg.empty(8, 8))
    np.testing.assert_array_equal(to_np(c), to_np(d))


def _stats(x: gg.Tensor) -> tuple[float, float, float]:
    v = to_np(x).ravel()
    return float(np.abs(v).max()), float(v.mean()), float(v.std())


def test_uniform_schemes_bounds() -> None:
    shape = (200, 50, 3)  # fan_in 150, fan_out 600
    fan_in, fan_out = 150, 600
    cases = [
        (lambda x: init.uniform_(x, -0.3, 0.3), 0.3),
        (lambda x: init.xavier_uniform_(x, gain=2.0), 2.0 * math.sqrt(6.0 / (fan_in + fan_out))),
        (lambda x: init.kaiming_uniform_(x), math.sqrt(2.0 / (1 + 0.0**2)) * math.sqrt(3.0 / fan_in)),
        (lambda x: init.kaiming_uniform_(x, a=math.sqrt(5)), math.sqrt(1.0 / fan_in)),
        (lambda x: init.kaiming_uniform_(x, mode="fan_out", nonlinearity="relu"), math.sqrt(6.0 / fan_out)),
    ]
    for fill, bound in cases:
        mx, mean, std = _stats(fill(gg.empty(*shape)))
        assert bound * 0.99 < mx <= bound
        assert abs(mean) < 0.02 * bound and std == pytest.approx(bound / math.sqrt(3), rel=0.02)


def test_normal_schemes_std() -> None:
    shape = (200, 50, 3)
    fan_in, fan_out = 150, 600
    cases = [
        (lambda x: init.normal_(x, 1.5, 0.2), 0.2, 1.5),
        (lambda x: init.xavier_normal_(x), math.sqrt(2.0 / (fan_in + fan_out)), 0.0),
        (lambda x: init.kaiming_normal_(x, a=0.1, nonlinearity="leaky_relu"),
         torch.nn.init.calculate_gain("leaky_relu", 0.1) / math.sqrt(fan_in), 0.0),
        (lambda x: init.kaiming_normal_(x, mode="fan_out", nonlinearity="tanh"), (5 / 3) / math.sqrt(fan_out), 0.0),
    ]
    for fill, std, mean in cases:
        _, m, s = _stats(fill(gg.empty(*shape)))
        assert s == pytest.approx(std, rel=0.02) and abs(m - mean) < 0.02 * std + 1e-12


@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (0.0, 1.0, 1.0, 1.5), (0.5, 0.1, 0.0, 0.3)])
def test_trunc_normal(mean: float, std: float, a: float, b: float) -> None:
    x = init.trunc_normal_(gg.empty(20000), mean, std, a, b)
    v = to_np(x)
    assert v.min() >= a and v.max() <= b
    # mean of the truncated normal
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: (1 + math.erf(z / math.sqrt(2))) / 2  # noqa: E731
    al, be = (a - mean) / std, (b - mean) / std
    expected = mean + std * (phi(al) - phi(be)) / (cdf(be) - cdf(al))
    assert v.mean() == pytest.approx(expected, abs=0.03 * std)


def test_sparse() -> None:
    x = init.sparse_(gg.empty(10, 30), sparsity=0.25, std=0.5)
    zeros_per_column = (to_np(x) == 0).sum(0)
    assert np.all(zeros_per_column == math.ceil(0.25 * 10))
    assert to_np(x)[to_np(x) != 0].std() == pytest.approx(0.5, rel=0.2)


def test_fills_run_without_grad_and_bump_the_version() -> None:
    p = gg.nn.Parameter(gg.empty(4, 4))
    v = p._version
    for fn in [init.uniform_, init.normal_, init.xavier_uniform_, init.kaiming_normal_, init.orthogonal_, init.eye_,
               init.trunc_normal_, init.zeros_]:
        assert fn(p) is p
        assert p.grad_fn is None and p.is_leaf and p.requires_grad
        assert p._version > v
        v = p._version


def test_writes_through_views() -> None:
    base = gg.zeros(4, 6)
    init.ones_(base[:, 2:4])
    init.eye_(base[:, :2])
    expected = torch.zeros(4, 6)
    torch.nn.init.ones_(expected[:, 2:4])
    torch.nn.init.eye_(expected[:, :2])
    np.testing.assert_array_equal(to_np(base), expected.numpy())


def test_deprecated_aliases_warn() -> None:
    for old in ["uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal", "kaiming_uniform",
                "kaiming_normal", "orthogonal", "sparse"]:
        assert getattr(init, old).__name__ == getattr(torch.nn.init, old).__name__ == old
    with warnings.catch_warnings(record=True) as gw:
        warnings.simplefilter("always")
        init.uniform(gg.empty(2))
    with warnings.catch_warnings(record=True) as tw:
        warnings.simplefilter("always")
        torch.nn.init.uniform(torch.empty(2))
    assert [(w.category, str(w.message)) for w in gw] == [(w.category, str(w.message)) for w in tw]


def test_public_names_match_torch() -> None:
    assert sorted(init.__all__) == sorted(torch.nn.init.__all__)
