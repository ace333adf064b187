"""Convolution, pooling, padding and unfold/fold beyond the op table (``tests/opdb/conv.py``).

PyTorch's error texts, double (and triple) backward against PyTorch for every
op, the grad_fn names of the backward pass, max pooling's index rules (ties,
NaN, all -inf windows), dtype rules, stability for inputs of ±1000, and random
convolution geometries (hypothesis).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassgrad as gg
from opinfo import need_torch

try:  # Hypothesis is a test dependency; without it only its tests are skipped.
    from hypothesis import given, settings
    from hypothesis import strategies as st

    HAVE_HYPOTHESIS = True
except ImportError:  # pragma: no cover
    HAVE_HYPOTHESIS = False


def F(m: Any) -> Any:
    return m.nn.functional


def _randn(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def _t(m: Any, a: Any, rg: bool = False) -> Any:
    return m.tensor(np.array(a, copy=True), requires_grad=rg)


def _outcome(m: Any, fn: Callable[[Any], Any]) -> Any:
    try:
        return fn(m)
    except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
        return e


# ---------------------------------------------------------------------------- error texts
X4 = (1, 2, 5, 5)
ERRORS: list[tuple[str, Callable[[Any], Any]]] = [
    # convolution
    ("conv2d 2d input", lambda m: F(m).conv2d(_t(m, _randn(5, 5)), _t(m, _randn(3, 2, 3, 3)))),
    ("conv2d 5d input", lambda m: F(m).conv2d(_t(m, _randn(1, 1, 2, 5, 5)), _t(m, _randn(3, 2, 3, 3)))),
    ("conv1d 4d input", lambda m: F(m).conv1d(_t(m, _randn(*X4)), _t(m, _randn(3, 2, 3)))),
    ("conv2d weight 3d", lambda m: F(m).conv2d(_t(m, _randn(*X4)), _t(m, _randn(3, 2, 3)))),
    ("conv2d weight 0d", lambda m: F(m).conv2d(_t(m, _randn(*X4)), _t(m, 1.0))),
    ("conv1d weight 4d", lambda m: F(m).conv1d(_t(m, _randn(1, 2, 5)), _t(m, _randn(3, 2, 3, 3)))),
    ("conv2d channels", lambda m: F(m).conv2d(_t(m, _randn(*X4)), _t(m, _randn(3, 4, 3, 3)))),
    ("conv2d channels unbatched", lambda m: F(m).conv2d(_t(m, _randn(2, 5, 5)), _t(m, _randn(3, 4, 3, 3)))),
    ("conv2d kernel too big", lambda m: F(m).conv2d(_t(m, _randn(*X4)), _t(m, _randn(3, 2, 3, 6)))),
    ("conv2d dilated kernel too big", lambda m: F(m).conv2d(_t(m, _randn(*X4)), _t(m, _randn(3, 2, 3, 3)),
                                                            dilation=3)),
    ("conv1d kernel too big", lambda m: F(m).conv1d(_t(m, _randn(1, 2, 5)), _t(m, _randn(3, 2, 7)))),
    ("conv2d bias size", lambda m: F(m).conv2d(_t(m, _randn(*X4)), _t(m, _randn(3, 2, 3, 3)), _t(m, _randn(4)))),
    ("conv2d bias 2d", lambda m: F(m).conv2d(_t(m, _randn(*X4)), _t(m, _randn(3, 2, 3, 3)), _t(m, _randn(3, 1)))),
    ("conv2d groups", lambda m: F(m).conv2d(_t(m, _randn(1, 4, 5, 5)), _t(m, _randn(3, 2, 3, 3)), groups=2)),
    ("conv2d groups big", lambda m: F(m).conv2d(_t(m, _randn(*X4)), _t(m, _randn(3, 2, 3, 3)), groups=6)),
    ("conv2d groups channels", lambda m: F(m).conv2d(_t(m, _randn(1, 4, 5, 5)), _t(m, _randn(4, 1, 3, 3)),
                                                     groups=2)),
    ("conv2d groups 0", lambda m: F(m).conv2d(_t(m, _randn(*X4)), _t(m, _randn(3, 2, 3, 3)), groups=0)),
    ("conv2d no out channels", lambda m: F(m).conv2d(_t(m, _randn(*X4)), _t(m, _randn(0, 2, 3, 3)))),
    ("conv2d stride 0", lambda m: F(m).conv2d(_t(m, _randn(*X4)), _t(m, _randn(3, 2, 3, 3)), stride=0)),
    ("conv2d padding -1", lambda m: F(m).conv2d(_t(m, _randn(*X4)), _t(m, _randn(3, 2, 3, 3)), padding=-1)),
    ("conv2d dilation 0", lambda m: F(m).conv2d(_t(m, _randn(*X4)), _t(m, _randn(3, 2, 3, 3)), dilation=0)),
    ("conv2d dilation -1", lambda m: F(m).conv2d(_t(m, _randn(*X4)), _t(m, _randn(3, 2, 3, 3)), dilation=-1)),
    ("conv2d stride 3 values", lambda m: F(m).conv2d(_t(m, _randn(*X4)), _t(m, _randn(3, 2, 3, 3)),
                                                     stride=(1, 1, 1))),
    ("conv2d padding 3 values", lambda m: F(m).conv2d(_t(m, _randn(*X4)), _t(m, _randn(3, 2, 3, 3)),
                                                      padding=(1, 1, 1))),
    ("conv2d padding string", lambda m: F(m).conv2d(_t(m, _randn(*X4)), _t(m, _randn(3, 2, 3, 3)), padding="foo")),
    ("conv2d same strided", lambda m: F(m).conv2d(_t(m, _randn(*X4)), _t(m, _randn(3, 2, 3, 3)), padding="same",
                                                  stride=(1, 2))),
    ("conv2d weight dtype", lambda m: F(m).conv2d(_t(m, _randn(*X4)), _t(m, _randn(3, 2, 3, 3)).float())),
    ("conv2d long weight", lambda m: F(m).conv2d(_t(m, _randn(*X4)).float(), _t(m, _randn(3, 2, 3, 3)).long())),
    ("conv2d bias dtype", lambda m: F(m).conv2d(_t(m, _randn(*X4)), _t(m, _randn(3, 2, 3, 3)), _t(m, _randn(3)).float())),
    ("conv2d bool", lambda m: F(m).conv2d(_t(m, np.ones(X4, bool)), _t(m, np.ones((1, 2, 2, 2), bool)))),
    # max pooling
    ("max_pool2d 2d input", lambda m: F(m).max_pool2d(_t(m, _randn(5, 5)), 2)),
    ("max_pool2d padding", lambda m: F(m).max_pool2d(_t(m, _randn(*X4)), 2, padding=2)),
    ("max_pool2d padding dilated", lambda m: F(m).max_pool2d(_t(m, _randn(1, 1, 9, 9)), 3, padding=2, dilation=2)),
    ("max_pool2d output too small", lambda m: F(m).max_pool2d(_t(m, _randn(*X4)), 6)),
    ("max_pool2d stride 0", lambda m: F(m).max_pool2d(_t(m, _randn(*X4)), 2, stride=0)),
    ("max_pool2d kernel 0", lambda m: F(m).max_pool2d(_t(m, _randn(*X4)), 0, stride=1)),
    ("max_pool2d dilation 0", lambda m: F(m).max_pool2d(_t(m, _randn(*X4)), 2, dilation=0)),
    ("max_pool2d negative padding", lambda m: F(m).max_pool2d(_t(m, _randn(*X4)), 2, padding=-1)),
    ("max_pool2d kernel 3 values", lambda m: F(m).max_pool2d(_t(m, _randn(*X4)), (2, 2, 2))),
    ("max_pool2d stride 3 values", lambda m: F(m).max_pool2d(_t(m, _randn(*X4)), 2, stride=(1, 1, 1))),
    ("max_pool2d empty channels", lambda m: F(m).max_pool2d(_t(m, _randn(1, 0, 4, 4)), 2)),
    ("max_pool2d bool", lambda m: F(m).max_pool2d(_t(m, np.ones(X4, bool)), 2)),
    ("max_pool1d 1d input", lambda m: F(m).max_pool1d(_t(m, _randn(5)), 2)),
    ("max_pool1d 1d input grad", lambda m: F(m).max_pool1d(_t(m, _randn(5), True), 2)),
    ("max_pool1d output size", lambda m: F(m).max_pool1d(_t(m, _randn(1, 1, 5)), 6)),
    ("max_pool1d padding", lambda m: F(m).max_pool1d(_t(m, _randn(1, 1, 5)), 2, padding=2)),
    ("max_pool1d stride 0", lambda m: F(m).max_pool1d(_t(m, _randn(1, 1, 5)), 2, stride=0)),
    ("max_pool1d kernel 2 values", lambda m: F(m).max_pool1d(_t(m, _randn(1, 1, 5)), (2, 2))),
    ("max_pool1d dilation 0", lambda m: F(m).max_pool1d(_t(m, _randn(1, 1, 5)), 2, dilation=0)),
    ("max_pool1d long", lambda m: F(m).max_pool1d(_t(m, np.arange(5).reshape(1, 1, 5)), 2)),
    ("max_pool1d indices 1d input", lambda m: F(m).max_pool1d(_t(m, _randn(5)), 2, return_indices=True)),
    ("max_pool1d indices output size", lambda m: F(m).max_pool1d(_t(m, _randn(1, 1, 5)), 6, return_indices=True)),
    ("max_pool1d indices stride", lambda m: F(m).max_pool1d(_t(m, _randn(1, 1, 5)), 2, stride=(1, 1),
                                                            return_indices=True)),
    # average pooling
    ("avg_pool2d 2d input", lambda m: F(m).avg_pool2d(_t(m, _randn(5, 5)), 2)),
    ("avg_pool2d 5d input", lambda m: F(m).avg_pool2d(_t(m, _randn(1, 1, 1, 5, 5)), 2)),
    ("avg_pool2d padding", lambda m: F(m).avg_pool2d(_t(m, _randn(*X4)), 2, padding=2)),
    ("avg_pool2d output too small", lambda m: F(m).avg_pool2d(_t(m, _randn(*X4)), 6)),
    ("avg_pool2d divisor 0", lambda m: F(m).avg_pool2d(_t(m, _randn(*X4)), 2, divisor_override=0)),
    ("avg_pool2d kernel 3 values", lambda m: F(m).avg_pool2d(_t(m, _randn(*X4)), (2, 2, 2))),
    ("avg_pool2d int32", lambda m: F(m).avg_pool2d(_t(m, np.ones(X4, np.int32)), 2)),
    ("avg_pool2d bool", lambda m: F(m).avg_pool2d(_t(m, np.ones(X4, bool)), 2)),
    ("avg_pool1d 1d input", lambda m: F(m).avg_pool1d(_t(m, _randn(5)), 2)),
    ("avg_pool1d kernel 2 values", lambda m: F(m).avg_pool1d(_t(m, _randn(1, 1, 5)), (2, 2))),
    ("avg_pool1d kernel big", lambda m: F(m).avg_pool1d(_t(m, _randn(1, 1, 5)), 6)),
    ("avg_pool1d empty channels", lambda m: F(m).avg_pool1d(_t(m, _randn(1, 0, 5)), 2)),
    # adaptive
    ("adaptive_avg_pool2d 2d input", lambda m: F(m).adaptive_avg_pool2d(_t(m, _randn(5, 5)), 2)),
    ("adaptive_avg_pool2d negative", lambda m: F(m).adaptive_avg_pool2d(_t(m, _randn(*X4)), -1)),
    ("adaptive_avg_pool2d 1 value", lambda m: F(m).adaptive_avg_pool2d(_t(m, _randn(*X4)), [2])),
    ("adaptive_avg_pool2d short input", lambda m: F(m).adaptive_avg_pool2d(_t(m, _randn(3, 4)), [2, 2, 2])),
    ("adaptive_avg_pool2d empty", lambda m: F(m).adaptive_avg_pool2d(_t(m, _randn(1, 2, 0, 3)), 2)),
    ("adaptive_avg_pool2d long", lambda m: F(m).adaptive_avg_pool2d(_t(m, np.ones(X4, np.int64)), 2)),
    ("adaptive_avg_pool2d long mean", lambda m: F(m).adaptive_avg_pool2d(_t(m, np.ones(X4, np.int64)), 1)),
    ("adaptive_avg_pool1d 4d input", lambda m: F(m).adaptive_avg_pool1d(_t(m, _randn(*X4)), 2)),
    ("adaptive_avg_pool1d 2 values", lambda m: F(m).adaptive_avg_pool1d(_t(m, _randn(1, 3, 4)), (2, 2))),
    ("adaptive_avg_pool1d negative", lambda m: F(m).adaptive_avg_pool1d(_t(m, _randn(1, 3, 4)), -1)),
    # unfold / fold
    ("unfold 2d input", lambda m: F(m).unfold(_t(m, _randn(5, 5)), 2)),
    ("unfold 5d input", lambda m: F(m).unfold(_t(m, _randn(1, 1, 1, 5, 5)), 2)),
    ("unfold kernel too big", lambda m: F(m).unfold(_t(m, _randn(1, 1, 3, 7)), (4, 2))),
    ("unfold stride 0", lambda m: F(m).unfold(_t(m, _randn(*X4)), 2, stride=0)),
    ("unfold several", lambda m: F(m).unfold(_t(m, _randn(*X4)), 1, stride=0, dilation=1, padding=-1)),
    ("unfold kernel 0", lambda m: F(m).unfold(_t(m, _randn(*X4)), 0)),
    ("unfold dilation 0", lambda m: F(m).unfold(_t(m, _randn(*X4)), 2, dilation=0)),
    ("unfold 3 values", lambda m: F(m).unfold(_t(m, _randn(*X4)), 2, stride=(1, 1, 1))),
    ("unfold empty channels", lambda m: F(m).unfold(_t(m, _randn(1, 0, 4, 4)), 2)),
    ("unfold long", lambda m: F(m).unfold(_t(m, np.ones(X4, np.int64)), 2)),
    ("fold 4d input", lambda m: F(m).fold(_t(m, _randn(*X4)), (5, 5), 2)),
    ("fold channels", lambda m: F(m).fold(_t(m, _randn(1, 7, 16)), (5, 5), 2)),
    ("fold blocks", lambda m: F(m).fold(_t(m, _randn(1, 8, 15)), (5, 5), 2)),
    ("fold output small", lambda m: F(m).fold(_t(m, _randn(1, 8, 16)), (1, 1), 2)),
    ("fold several", lambda m: F(m).fold(_t(m, _randn(1, 1, 3)), (3, 7), (4, 2), stride=0, dilation=0, padding=-1)),
    ("fold output 3 values", lambda m: F(m).fold(_t(m, _randn(1, 8, 16)), (5, 5, 5), 2)),
    ("fold long", lambda m: F(m).fold(_t(m, np.ones((1, 8, 16), np.int64)), (5, 5), 2)),
    # padding
    ("pad odd", lambda m: F(m).pad(_t(m, _randn(*X4)), (1,))),
    ("pad too long", lambda m: F(m).pad(_t(m, _randn(2, 3)), (1, 1, 1, 1, 1, 1))),
    ("pad mode", lambda m: F(m).pad(_t(m, _randn(*X4)), (1, 1), mode="foo")),
    ("pad float", lambda m: F(m).pad(_t(m, _randn(1, 1, 5)), (1.5, 1))),
    ("pad narrow", lambda m: F(m).pad(_t(m, _randn(1, 2, 3)), (-2, -2))),
    ("pad value with reflect", lambda m: F(m).pad(_t(m, _randn(*X4)), (1, 1, 1, 1), mode="reflect", value=1.0)),
    ("pad reflect too much", lambda m: F(m).pad(_t(m, _randn(1, 2, 3)), (3, 3), mode="reflect")),
    ("pad reflect too much 2d", lambda m: F(m).pad(_t(m, _randn(*X4)), (1, 1, 5, 1), mode="reflect")),
    ("pad reflect too much 3d", lambda m: F(m).pad(_t(m, _randn(1, 2, 3, 3, 3)), (1, 1, 1, 1, 3, 1),
                                                   mode="reflect")),
    ("pad reflect 1d input", lambda m: F(m).pad(_t(m, _randn(3)), (1, 1), mode="reflect")),
    ("pad reflect 4 on 2d", lambda m: F(m).pad(_t(m, _randn(4, 5)), (1, 1, 1, 1), mode="reflect")),
    ("pad reflect empty", lambda m: F(m).pad(_t(m, _randn(1, 0, 3)), (1, 1), mode="reflect")),
    ("pad reflect small", lambda m: F(m).pad(_t(m, _randn(1, 5)), (-3, -3), mode="reflect")),
    ("pad reflect small 2d", lambda m: F(m).pad(_t(m, _randn(1, 2, 3, 3)), (-2, -2, -2, -2), mode="reflect")),
    ("pad replicate small 2d", lambda m: F(m).pad(_t(m, _randn(1, 2, 3, 3)), (-2, -2, -2, -2), mode="replicate")),
    ("pad replicate small 3d", lambda m: F(m).pad(_t(m, _randn(1, 2, 3, 3, 3)), (-2,) * 6, mode="replicate")),
    ("pad replicate bool", lambda m: F(m).pad(_t(m, np.ones((1, 3), bool)), (1, 1), mode="replicate")),
    ("pad reflect bool 2d", lambda m: F(m).pad(_t(m, np.ones((1, 3, 3), bool)), (1, 1, 1, 1), mode="reflect")),
    ("pad circular wrap", lambda m: F(m).pad(_t(m, _randn(1, 2, 3)), (4, 0), mode="circular")),
    ("pad circular empty", lambda m: F(m).pad(_t(m, _randn(1, 1, 5)), (-3, -3), mode="circular")),
    ("constant_pad_nd odd", lambda m: m.constant_pad_nd(_t(m, _randn(2, 3)), (1,))),
    ("constant_pad_nd too long", lambda m: m.constant_pad_nd(_t(m, _randn(2, 3)), (1, 1, 1, 1, 1, 1))),
]


@pytest.mark.parametrize("fn", [e[1] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors_match_torch(fn: Callable[[Any], Any]) -> None:
    torch = need_torch()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t, g = _outcome(torch, fn), _outcome(gg, fn)
    assert isinstance(t, Exception), f"torch raised nothing: {t}"
    assert type(g) is type(t), f"glassgrad: {g!r}, torch: {t!r}"
    assert str(g) == str(t)


# ---------------------------------------------------------------------------- double backward
def _conv2d_unbatched(m: Any, x: Any, w: Any) -> Any:
    return F(m).conv2d(x, w, padding=1)


DOUBLE: list[tuple[str, Callable[..., Any], list[tuple[int, ...]]]] = [
    ("conv2d", lambda m, x, w, b: F(m).conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2),
     [(2, 4, 6, 7), (6, 2, 3, 2), (6,)]),
    ("conv2d_tanh", lambda m, x, w, b: F(m).conv2d(x, w, b, padding=1).tanh(), [(2, 3, 5, 5), (4, 3, 3, 3), (4,)]),
    ("conv2d_unbatched", _conv2d_unbatched, [(3, 4, 5), (2, 3, 3, 3)]),
    ("conv2d_same_even", lambda m, x, w: F(m).conv2d(x, w, padding="same"), [(2, 3, 5, 5), (4, 3, 2, 2)]),
    ("conv1d", lambda m, x, w, b: F(m).conv1d(x, w, b, stride=2, padding=1), [(2, 3, 7), (4, 3, 3), (4,)]),
    ("conv3d", lambda m, x, w: F(m).conv3d(x, w, padding=1), [(1, 2, 3, 3, 3), (2, 2, 2, 2, 2)]),
    ("max_pool2d", lambda m, x: F(m).max_pool2d(x * x, 3, 1, 1), [(2, 3, 5, 5)]),
    ("max_pool1d", lambda m, x: F(m).max_pool1d(x * x, 2), [(2, 3, 6)]),
    ("avg_pool2d", lambda m, x: F(m).avg_pool2d(x * x, 3, 2, 1, ceil_mode=True, count_include_pad=False), [(2, 3, 5, 6)]),
    ("avg_pool1d", lambda m, x: F(m).avg_pool1d(x * x, 3, 2, 1), [(2, 3, 6)]),
    ("adaptive_avg_pool2d", lambda m, x: F(m).adaptive_avg_pool2d(x * x, (3, 4)), [(2, 3, 5, 6)]),
    ("adaptive_avg_pool1d", lambda m, x: F(m).adaptive_avg_pool1d(x * x, 4), [(2, 3, 6)]),
    ("pad_constant", lambda m, x: F(m).pad(x * x, (1, 2, -1, 1), value=0.5), [(2, 3, 5, 6)]),
    ("pad_reflect", lambda m, x: F(m).pad(x * x, (1, 2, 2, 1), mode="reflect"), [(2, 3, 5, 6)]),
    ("pad_replicate", lambda m, x: F(m).pad(x * x, (1, 2), mode="replicate"), [(2, 3, 5)]),
    ("pad_circular", lambda m, x: F(m).pad(x * x, (1, 2, 2, 1), mode="circular"), [(2, 3, 5, 6)]),
    ("unfold", lambda m, x: F(m).unfold(x * x, 2, padding=1, stride=2), [(2, 3, 5, 6)]),
    ("fold", lambda m, x: F(m).fold(x * x, (5, 6), 2, padding=1, stride=2), [(2, 12, 12)]),
]


def _double_backward(m: Any, fn: Callable[..., Any], arrays: list[np.ndarray]) -> tuple[list[Any], ...]:
    """First-order grads (create_graph) of sum(f * u), their grad_fn names, then grads of sum(grad²)."""
    ts = [_t(m, a, True) for a in arrays]
    y = fn(m, *ts)
    u = _t(m, np.random.default_rng(1).standard_normal(tuple(y.shape)))
    first = m.autograd.grad((y * u).sum(), ts, create_graph=True)
    names = [g.grad_fn.name() if g.grad_fn is not None else None for g in first]
    second = m.autograd.grad(sum((g * g).sum() for g in first), ts, allow_unused=True)
    return ([g.detach().numpy() for g in first], names,
            [None if g is None else np.asarray(g.numpy()) for g in second])


@pytest.mark.parametrize("fn,shapes", [d[1:] for d in DOUBLE], ids=[d[0] for d in DOUBLE])
def test_double_backward_matches_torch(fn: Callable[..., Any], shapes: list[tuple[int, ...]]) -> None:
    torch = need_torch()
    arrays = [_randn(*s, seed=i) for i, s in enumerate(shapes)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t1, t_names, t2 = _double_backward(torch, fn, arrays)
        g1, g_names, g2 = _double_backward(gg, fn, arrays)
    if fn is not _conv2d_unbatched:  # Note: the unsqueeze's backward is recorded as a view here, SqueezeBackward1 in torch
        assert g_names == t_names
    for a, b in zip(g1, t1):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)
    for a, b in zip(g2, t2):
        if b is None:  # torch: unused; glassgrad may give None or zeros
            assert a is None or not a.any()
        else:
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


def test_backward_node_names_match_torch() -> None:
    """The nodes of the backward pass (create_graph) are named as PyTorch names them."""
    torch = need_torch()
    x = _randn(2, 3, 5, 6)
    cases = [
        lambda m, x: F(m).max_pool2d(x, 2), lambda m, x: F(m).avg_pool2d(x, 2),
        lambda m, x: F(m).adaptive_avg_pool2d(x, 3), lambda m, x: F(m).pad(x, (1, 1)),
        lambda m, x: F(m).pad(x, (1, 1, 1, 1), mode="reflect"),
        lambda m, x: F(m).pad(x, (1, 1, 1, 1), mode="replicate"),
        lambda m, x: F(m).unfold(x, 2), lambda m, x: F(m).fold(F(m).unfold(x, 2), (5, 6), 2),
    ]
    for fn in cases:
        names = []
        for m in (torch, gg):
            xt = _t(m, x, True)
            (g,) = m.autograd.grad((fn(m, xt) ** 2).sum(), xt, create_graph=True)
            names.append(g.grad_fn.name())
        assert names[0] == names[1]


def test_triple_backward_conv2d_matches_torch() -> None:
    torch = need_torch()
    arrays = [_randn(2, 4, 5, 5), _randn(6, 2, 3, 3, seed=1), _randn(6, seed=2)]
    out = []
    for m in (torch, gg):
        x, w, b = (_t(m, a, True) for a in arrays)
        y = F(m).conv2d(x, w, b, padding=1, groups=2, stride=2).tanh()
        gx, gw, gb = m.autograd.grad(y.sum(), (x, w, b), create_graph=True)
        hx, hw, hb = m.autograd.grad((gx * gx).sum() + (gw ** 3).sum() + (gb * gb).sum(), (x, w, b),
                                     create_graph=True)
        out.append([g.numpy() for g in m.autograd.grad(hx.sin().sum() + (hw * hw).sum() + hb.sum(), (x, w, b))])
    for a, b in zip(*out):
        np.testing.assert_allclose(b, a, rtol=1e-8, atol=1e-8)


# ---------------------------------------------------------------------------- max pooling's indices
@pytest.mark.parametrize("values,kw", [
    ([2.0, 2, 1, 2], {"kernel_size": (1, 3), "padding": (0, 1), "stride": 1}),           # ties: the first max
    ([1.0, float("nan"), 3, float("nan")], {"kernel_size": (1, 4)}),                   # NaN: the last NaN
    ([-float("inf")] * 3, {"kernel_size": (1, 3), "padding": (0, 1), "stride": 1}),     # all -inf: first inside
    ([-float("inf")] * 5, {"kernel_size": (1, 2), "padding": (0, 1), "dilation": (1, 2), "stride": 1}),
    ([5.0, 5, 5, 5, 5], {"kernel_size": (1, 3), "stride": 1, "ceil_mode": True}),
])
def test_max_pool_index_rules_match_torch(values: list[float], kw: dict[str, Any]) -> None:
    torch = need_torch()
    a = np.array(values).reshape(1, 1, 1, -1)
    res = []
    for m in (torch, gg):
        x = _t(m, a, True)
        v, i = F(m).max_pool2d(x, return_indices=True, **kw)
        v.backward(_t(m, np.arange(1.0, v.numel() + 1).reshape(tuple(v.shape))))
        res.append((v.detach().numpy(), i.numpy(), x.grad.numpy(), str(i.dtype)))
    np.testing.assert_array_equal(res[1][0], res[0][0])
    np.testing.assert_array_equal(res[1][1], res[0][1])
    np.testing.assert_array_equal(res[1][2], res[0][2])
    assert res[1][3] == res[0][3] == "torch.int64"


def test_max_pool_indices_do_not_require_grad() -> None:
    x = gg.randn(1, 2, 4, 4, requires_grad=True)
    v, i = F(gg).max_pool2d(x, 2, return_indices=True)
    assert v.requires_grad and not i.requires_grad and i.grad_fn is None


# ---------------------------------------------------------------------------- dtypes
DTYPES: list[tuple[str, Callable[[Any], Any]]] = [
    ("conv2d long", lambda m: F(m).conv2d(_t(m, np.arange(16).reshape(1, 1, 4, 4)), _t(m, np.ones((1, 1, 2, 2), int)),
                                          _t(m, np.ones(1, int)))),
    ("conv1d int32", lambda m: F(m).conv1d(_t(m, np.arange(8, dtype=np.int32).reshape(1, 2, 4)),
                                           _t(m, np.ones((3, 2, 2), np.int32)))),
    ("conv2d half", lambda m: F(m).conv2d(_t(m, _randn(1, 2, 4, 4)).half(), _t(m, _randn(3, 2, 2, 2)).half())),
    ("avg_pool2d long", lambda m: F(m).avg_pool2d(_t(m, -(np.arange(16).reshape(1, 1, 4, 4) * 3 + 1)), 3, 1, 1)),
    ("avg_pool2d long ceil", lambda m: F(m).avg_pool2d(_t(m, np.arange(16).reshape(1, 1, 4, 4)), 3, 2, 1, True)),
    ("avg_pool2d half", lambda m: F(m).avg_pool2d(_t(m, _randn(1, 2, 4, 4)).half(), 2)),
    ("max_pool2d long", lambda m: F(m).max_pool2d(_t(m, np.arange(16).reshape(1, 1, 4, 4)), 3, 2, 1, ceil_mode=True,
                                                  return_indices=True)),
    ("max_pool2d int8", lambda m: F(m).max_pool2d(_t(m, np.arange(16, dtype=np.int8).reshape(1, 1, 4, 4) - 20), 2,
                                                  padding=1)),
    ("max_pool1d long indices", lambda m: F(m).max_pool1d(_t(m, np.arange(6).reshape(1, 1, 6)), 2,
                                                          return_indices=True)),
    ("adaptive half", lambda m: F(m).adaptive_avg_pool2d(_t(m, _randn(1, 3, 4)).half(), 2)),
    ("unfold half", lambda m: F(m).unfold(_t(m, _randn(1, 1, 3, 4)).half(), 2)),
    ("unfold bool", lambda m: F(m).unfold(_t(m, _randn(1, 1, 3, 4) > 0), 2)),
    ("fold bool", lambda m: F(m).fold(_t(m, _randn(1, 4, 6) > 0), (3, 4), 2)),
    ("pad long value", lambda m: F(m).pad(_t(m, np.arange(3)), (1, 1), value=-1.5)),
    ("pad bool value", lambda m: F(m).pad(_t(m, np.array([True, False])), (1, 1), value=1.5)),
    ("pad reflect long", lambda m: F(m).pad(_t(m, np.arange(3).reshape(1, 3)), (1, 2), mode="reflect")),
    ("pad circular bool", lambda m: F(m).pad(_t(m, np.array([[True, False, False]])), (1, 2), mode="circular")),
    ("pad replicate float32", lambda m: F(m).pad(_t(m, _randn(1, 3, 3)).float(), (1, 2, 2, 1), mode="replicate")),
]


@pytest.mark.parametrize("fn", [d[1] for d in DTYPES], ids=[d[0] for d in DTYPES])
def test_dtypes_match_torch(fn: Callable[[Any], Any]) -> None:
    torch = need_torch()
    t, g = fn(torch), fn(gg)
    t, g = (t if isinstance(t, tuple) else (t,)), (g if isinstance(g, tuple) else (g,))
    for a, b in zip(g, t):
        assert str(a.dtype) == str(b.dtype) and tuple(a.shape) == tuple(b.shape)
        tol = 1e-3 if str(b.dtype) == "torch.float16" else 0
        np.testing.assert_allclose(a.numpy().astype(float), b.numpy().astype(float), rtol=tol, atol=tol)


# ---------------------------------------------------------------------------- stability, warnings, in-place
@pytest.mark.parametrize("fn", [
    lambda m, x: F(m).conv2d(x, x[:2, :, :2, :2], padding=1),
    lambda m, x: F(m).max_pool2d(x, 2),
    lambda m, x: F(m).avg_pool2d(x, 3, 1, 1),
    lambda m, x: F(m).adaptive_avg_pool2d(x, 3),
    lambda m, x: F(m).pad(x, (1, 1, 1, 1), mode="reflect"),
    lambda m, x: F(m).unfold(x, 2),
], ids=["conv2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "pad_reflect", "unfold"])
def test_large_inputs_match_torch(fn: Callable[[Any, Any], Any]) -> None:
    torch = need_torch()
    a = np.random.default_rng(3).choice([-1000.0, 1000.0], size=(2, 2, 4, 4)) * np.random.default_rng(4).uniform(
        0.5, 1, size=(2, 2, 4, 4))
    res = []
    for m in (torch, gg):
        x = _t(m, a, True)
        y = fn(m, x)
        y.sum().backward()
        res.append((y.detach().numpy(), x.grad.numpy()))
    for g, t in zip(res[1], res[0]):
        assert np.isfinite(g).all()
        np.testing.assert_allclose(g, t, rtol=1e-10)


def test_same_padding_with_even_kernel_warns_once() -> None:
    from glassgrad.ops import conv
    conv._warned_same = False
    x, w = gg.randn(1, 1, 4, 4), gg.randn(1, 1, 2, 2)
    with pytest.warns(UserWarning, match="padding='same' with even kernel lengths"):
        F(gg).conv2d(x, w, padding="same")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F(gg).conv2d(x, w, padding="same")


def _modified_input(m: Any) -> Any:
    x, w = m.ones(1, 2, 4, 4, requires_grad=True), m.ones(3, 2, 3, 3, requires_grad=True)
    h = x * 1
    y = F(m).conv2d(h, w)
    h.add_(1)
    return y.sum().backward()


def _modified_indices(m: Any) -> Any:
    v, i = F(m).max_pool2d(m.ones(1, 2, 4, 4, requires_grad=True) * 1, 2, return_indices=True)
    i.add_(1)
    return v.sum().backward()


@pytest.mark.parametrize("fn", [_modified_input, _modified_indices], ids=["conv2d input", "max_pool2d indices"])
def test_saved_tensor_modified_in_place(fn: Callable[[Any], Any]) -> None:
    torch = need_torch()
    t, g = _outcome(torch, fn), _outcome(gg, fn)
    assert isinstance(t, RuntimeError) and type(g) is type(t)
    assert str(g) == str(t)


def test_conv_gradients_only_where_required() -> None:
    x = gg.randn(1, 2, 4, 4)
    w = gg.randn(3, 2, 3, 3, requires_grad=True)
    b = gg.randn(3)
    F(gg).conv2d(x, w, b).sum().backward()
    assert w.grad is not None and x.grad is None and b.grad is None
    assert tuple(w.grad.shape) == (3, 2, 3, 3)


# ---------------------------------------------------------------------------- random geometries
if HAVE_HYPOTHESIS:
    @settings(max_examples=15, deadline=None)
    @given(n=st.integers(0, 2), groups=st.sampled_from([1, 2]), cpg=st.integers(1, 2), opg=st.integers(1, 2),
           h=st.integers(3, 7), w=st.integers(3, 7), kh=st.integers(1, 3), kw=st.integers(1, 3),
           sh=st.integers(1, 3), sw=st.integers(1, 3), ph=st.integers(0, 2), pw=st.integers(0, 2),
           dh=st.integers(1, 2), dw=st.integers(1, 2), bias=st.booleans())
    def test_conv2d_random_geometry_matches_torch(n: int, groups: int, cpg: int, opg: int, h: int, w: int, kh: int,
                                                  kw: int, sh: int, sw: int, ph: int, pw: int, dh: int, dw: int,
                                                  bias: bool) -> None:
        torch = need_torch()
        shapes = [(n, groups * cpg, h, w), (groups * opg, cpg, kh, kw)] + ([(groups * opg,)] if bias else [])
        arrays = [_randn(*s, seed=i) for i, s in enumerate(shapes)]
        kw_ = {"stride": (sh, sw), "padding": (ph, pw), "dilation": (dh, dw), "groups": groups}
        res = []
        for m in (torch, gg):
            ts = [_t(m, a, True) for a in arrays]
            y = _outcome(m, lambda m, ts=ts: F(m).conv2d(*ts, **kw_))
            if isinstance(y, Exception):
                res.append((type(y), str(y)))
                continue
            y.backward(_t(m, np.random.default_rng(9).standard_normal(tuple(y.shape))))
            res.append([y.detach().numpy()] + [t.grad.numpy() for t in ts])
        if isinstance(res[0], tuple):
            assert res[1] == res[0]
        else:
            for a, b in zip(res[1], res[0]):
                np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)

    @settings(max_examples=15, deadline=None)
    @given(h=st.integers(2, 7), w=st.integers(2, 7), kh=st.integers(1, 3), kw=st.integers(1, 3),
           sh=st.integers(1, 3), sw=st.integers(1, 3), ph=st.integers(0, 1), pw=st.integers(0, 1),
           ceil=st.booleans(), include=st.booleans(), maxpool=st.booleans())
    def test_pool2d_random_geometry_matches_torch(h: int, w: int, kh: int, kw: int, sh: int, sw: int, ph: int,
                                                  pw: int, ceil: bool, include: bool, maxpool: bool) -> None:
        torch = need_torch()
        a = np.random.default_rng(5).permutation(2 * 2 * h * w).reshape(2, 2, h, w) * 0.5

        def fn(m: Any, x: Any) -> Any:
            if maxpool:
                return F(m).max_pool2d(x, (kh, kw), (sh, sw), (ph, pw), ceil_mode=ceil)
            return F(m).avg_pool2d(x, (kh, kw), (sh, sw), (ph, pw), ceil, include)
        res = []
        for m in (torch, gg):
            x = _t(m, a, True)
            y = _outcome(m, lambda m, x=x: fn(m, x))
            if isinstance(y, Exception):
                res.append((type(y), str(y)))
                continue
            y.backward(_t(m, np.random.default_rng(9).standard_normal(tuple(y.shape))))
            res.append([y.detach().numpy(), x.grad.numpy()])
        if isinstance(res[0], tuple):
            assert res[1] == res[0]
        else:
            for g, t in zip(res[1], res[0]):
                np.testing.assert_allclose(g, t, rtol=1e-10, atol=1e-12)
