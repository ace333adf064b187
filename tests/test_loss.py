"""Losses and other ``nn.functional`` functions: what the op table cannot express.

Errors and warnings in PyTorch's words, double backward against torch, stability
at ±1000, dropout's random mask (checked structurally), ``one_hot``, the in-place
``max_norm`` of ``embedding`` and where each function is exported.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassgrad as gg
from opinfo import need_torch, to_np

rng = np.random.default_rng(0)
X = rng.standard_normal((3, 5)).astype(np.float32)
P = rng.uniform(0.05, 0.95, (3, 5)).astype(np.float32)
T = np.array([1, 0, 4])
W5 = rng.uniform(0.5, 2.0, 5)


def T_(m: Any, a: Any, rg: bool = False) -> Any:
    """``a`` as a tensor of library ``m`` (NumPy arrays are copied; ints and lists pass through ``m.tensor``)."""
    return m.tensor(np.array(a).copy(), requires_grad=rg)


def both(fn: Callable[[Any, Any], Any]) -> tuple[Any, Any]:
    """``fn(m, m.nn.functional)`` for torch and for glassgrad."""
    torch = need_torch()
    return fn(torch, torch.nn.functional), fn(gg, gg.nn.functional)


def assert_close(g: Any, t: Any, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    assert str(g.dtype) == str(t.dtype) and tuple(g.shape) == tuple(t.shape)
    np.testing.assert_allclose(to_np(g), to_np(t), rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------- errors
ERRORS: dict[str, Callable[[Any, Any], Any]] = {
    "ce_target_out_of_bounds": lambda m, F: F.cross_entropy(T_(m, X), T_(m, [1, 0, 5])),
    "ce_negative_target": lambda m, F: F.cross_entropy(T_(m, X), T_(m, [1, 0, -3])),
    "nll_4d_out_of_bounds": lambda m, F: F.nll_loss(T_(m, np.zeros((2, 3, 2, 2), np.float32)),
                                                    T_(m, np.full((2, 2, 2), 3))),
    "nll_batch_mismatch": lambda m, F: F.nll_loss(T_(m, X), T_(m, [1, 0])),
    "nll_0d_input": lambda m, F: F.nll_loss(T_(m, 1.0), T_(m, 0)),
    "nll_0d_target": lambda m, F: F.nll_loss(T_(m, X), T_(m, 1)),
    "nll_1d_target_size": lambda m, F: F.nll_loss(T_(m, X[0]), T_(m, [1, 2])),
    "nll_float_target": lambda m, F: F.nll_loss(T_(m, X), T_(m, [1.0, 0.0, 2.0])),
    "nll_int32_target": lambda m, F: F.nll_loss(T_(m, X), T_(m, [1, 0, 2]).int()),
    "nll_4d_byte_target": lambda m, F: F.nll_loss(T_(m, np.zeros((2, 3, 2, 2), np.float32)),
                                                  T_(m, np.zeros((2, 2, 2), np.uint8))),
    "nll_2d_target": lambda m, F: F.nll_loss(T_(m, X), T_(m, np.zeros((3, 2), np.int64))),
    "nll_weight_size": lambda m, F: F.nll_loss(T_(m, X), T_(m, T), weight=T_(m, P[0, :4])),
    "nll_4d_weight_size": lambda m, F: F.nll_loss(T_(m, np.zeros((2, 3, 2, 2), np.float32)),
                                                  T_(m, np.zeros((2, 2, 2), np.int64)), weight=T_(m, P[0, :4])),
    "nll_weight_dtype": lambda m, F: F.nll_loss(T_(m, X), T_(m, T), weight=T_(m, P[0].astype(np.float64))),
    "nll_weight_requires_grad": lambda m, F: F.nll_loss(T_(m, X), T_(m, T), weight=T_(m, P[0], True)),
    "nll_4d_weight_requires_grad": lambda m, F: F.nll_loss(T_(m, np.zeros((2, 3, 2, 2), np.float32)),
                                                           T_(m, np.zeros((2, 2, 2), np.int64)),
                                                           weight=T_(m, P[0, :3], True)),
    "nll_3d_target_size": lambda m, F: F.nll_loss(T_(m, np.zeros((2, 3, 4), np.float32)),
                                                  T_(m, np.zeros((2, 5), np.int64))),
    "nll_4d_target_size": lambda m, F: F.nll_loss(T_(m, np.zeros((2, 3, 4, 4), np.float32)),
                                                  T_(m, np.zeros((2, 5, 4), np.int64))),
    "nll_4d_target_dim": lambda m, F: F.nll_loss(T_(m, np.zeros((2, 3, 4, 4), np.float32)),
                                                 T_(m, np.zeros((2, 4), np.int64))),
    "nll_int_input": lambda m, F: F.nll_loss(T_(m, np.ones((3, 5), np.int64)), T_(m, T)),
    "nll_reduction": lambda m, F: F.nll_loss(T_(m, X), T_(m, T), reduction="avg"),
    "ce_reduction": lambda m, F: F.cross_entropy(T_(m, X), T_(m, T), reduction="avg"),
    "ce_label_smoothing_range": lambda m, F: F.cross_entropy(T_(m, X), T_(m, T), label_smoothing=1.5),
    "ce_label_smoothing_range_int": lambda m, F: F.cross_entropy(T_(m, X), T_(m, T), label_smoothing=2.0),
    "ce_probs_label_smoothing_range": lambda m, F: F.cross_entropy(T_(m, X), T_(m, P), label_smoothing=1.5),
    "ce_probs_shape": lambda m, F: F.cross_entropy(T_(m, X), T_(m, P[:, :4])),
    "ce_probs_weight_size": lambda m, F: F.cross_entropy(T_(m, X), T_(m, P), weight=T_(m, P[0, :4])),
    "ce_probs_ignore_index": lambda m, F: F.cross_entropy(T_(m, X), T_(m, P), ignore_index=1),
    "ce_probs_int_target": lambda m, F: F.cross_entropy(T_(m, X), T_(m, np.ones((3, 5), np.int64))),
    "ce_weight_dtype": lambda m, F: F.cross_entropy(T_(m, X).double(), T_(m, T), weight=T_(m, P[0])),
    "ce_weight_requires_grad": lambda m, F: F.cross_entropy(T_(m, X), T_(m, T), weight=T_(m, P[0], True)),
    "mse_reduction": lambda m, F: F.mse_loss(T_(m, X), T_(m, X), reduction="avg"),
    "mse_shapes": lambda m, F: F.mse_loss(T_(m, X), T_(m, P[0, :4])),
    "mse_int": lambda m, F: F.mse_loss(T_(m, [1, 2]), T_(m, [1, 2])),
    "mse_number_target": lambda m, F: F.mse_loss(T_(m, X), 1.0),
    "bce_number_target": lambda m, F: F.binary_cross_entropy(T_(m, P), 1.0),
    "mse_weight_size": lambda m, F: F.mse_loss(T_(m, X), T_(m, X), weight=T_(m, P[0])),
    "mse_weight_reduction": lambda m, F: F.mse_loss(T_(m, X), T_(m, X), weight=T_(m, P), reduction="avg"),
    "l1_int": lambda m, F: F.l1_loss(T_(m, [1, 2]), T_(m, [1, 2])),
    "huber_delta": lambda m, F: F.huber_loss(T_(m, X), T_(m, X), delta=0.0),
    "huber_int": lambda m, F: F.huber_loss(T_(m, [1, 2]), T_(m, [1, 2])),
    "smooth_l1_beta": lambda m, F: F.smooth_l1_loss(T_(m, X), T_(m, X), beta=-1.0),
    "smooth_l1_int": lambda m, F: F.smooth_l1_loss(T_(m, [1, 2]), T_(m, [1, 2])),
    "bce_shape": lambda m, F: F.binary_cross_entropy(T_(m, P), T_(m, P[0])),
    "bce_input_range": lambda m, F: F.binary_cross_entropy(T_(m, P + 1), T_(m, P)),
    "bce_input_nan": lambda m, F: F.binary_cross_entropy(T_(m, [math.nan]), T_(m, [0.5])),
    "bce_target_range": lambda m, F: F.binary_cross_entropy(T_(m, P), T_(m, P + 1)),
    "bce_target_dtype": lambda m, F: F.binary_cross_entropy(T_(m, P), T_(m, P).double()),
    "bce_int": lambda m, F: F.binary_cross_entropy(T_(m, [1, 0]), T_(m, [1, 0])),
    "bce_weight_requires_grad": lambda m, F: F.binary_cross_entropy(T_(m, P), T_(m, P), weight=T_(m, P, True)),
    "bce_logits_shape": lambda m, F: F.binary_cross_entropy_with_logits(T_(m, X), T_(m, P[0])),
    "bce_logits_int": lambda m, F: F.binary_cross_entropy_with_logits(T_(m, [1, 0]), T_(m, [1, 0])),
    "bce_logits_weight_requires_grad": lambda m, F: F.binary_cross_entropy_with_logits(
        T_(m, X), T_(m, P), weight=T_(m, P[0], True), pos_weight=T_(m, P[0], True)),
    "bce_logits_pos_weight_requires_grad": lambda m, F: F.binary_cross_entropy_with_logits(
        T_(m, X), T_(m, P), pos_weight=T_(m, P[0], True)),
    "bce_logits_weight_broadcast": lambda m, F: F.binary_cross_entropy_with_logits(
        T_(m, X[0]), T_(m, P[0]), weight=T_(m, P)),
    "kl_reduction": lambda m, F: F.kl_div(T_(m, X), T_(m, P), reduction="avg"),
    "kl_int": lambda m, F: F.kl_div(T_(m, [1, 2]), T_(m, [1, 2]), reduction="sum"),
    "cosine_shapes": lambda m, F: F.cosine_similarity(T_(m, X), T_(m, X[:2])),
    "cosine_int": lambda m, F: F.cosine_similarity(T_(m, [[1, 2]]), T_(m, [[1, 2]])),
    "cosine_dim": lambda m, F: F.cosine_similarity(T_(m, X), T_(m, X), dim=2),
    "pairwise_shapes": lambda m, F: F.pairwise_distance(T_(m, X), T_(m, X[:2])),
    "normalize_int": lambda m, F: F.normalize(T_(m, [1, 2, 3])),
    "normalize_inf_empty": lambda m, F: F.normalize(T_(m, np.zeros((0, 3), np.float32)), p=math.inf, dim=0),
    "embedding_float_indices": lambda m, F: F.embedding(T_(m, [1.0]), T_(m, X)),
    "embedding_out_of_range": lambda m, F: F.embedding(T_(m, [3]), T_(m, X)),
    "embedding_negative_index": lambda m, F: F.embedding(T_(m, [-1]), T_(m, X)),
    "embedding_padding_idx": lambda m, F: F.embedding(T_(m, [1]), T_(m, X), padding_idx=3),
    "embedding_padding_idx_negative": lambda m, F: F.embedding(T_(m, [1]), T_(m, X), padding_idx=-4),
    "embedding_weight_1d": lambda m, F: F.embedding(T_(m, [1]), T_(m, X[0])),
    "embedding_max_norm_out_of_range": lambda m, F: F.embedding(T_(m, [5]), T_(m, X), max_norm=1.0),
    "one_hot_float": lambda m, F: F.one_hot(T_(m, [1.0])),
    "one_hot_int32": lambda m, F: F.one_hot(T_(m, [1]).int()),
    "one_hot_negative": lambda m, F: F.one_hot(T_(m, [-1])),
    "one_hot_too_small": lambda m, F: F.one_hot(T_(m, [3]), 2),
    "one_hot_zero_classes": lambda m, F: F.one_hot(T_(m, [0]), 0),
    "one_hot_empty": lambda m, F: F.one_hot(T_(m, np.zeros(0, np.int64))),
    "dropout_p": lambda m, F: F.dropout(T_(m, X), 1.5),
    "dropout_negative_p": lambda m, F: F.dropout(T_(m, X), -0.1),
    "dropout_int": lambda m, F: F.dropout(T_(m, [1, 2]), 0.5),
    "dropout_inplace_leaf": lambda m, F: F.dropout(T_(m, X, True), 0.5, inplace=True),
    "bilinear_dims": lambda m, F: F.bilinear(T_(m, X), T_(m, X[0]), T_(m, np.zeros((2, 5, 5), np.float32))),
    "bilinear_batch": lambda m, F: F.bilinear(T_(m, X), T_(m, X[:2]), T_(m, np.zeros((2, 5, 5), np.float32))),
    "bilinear_input1": lambda m, F: F.bilinear(T_(m, X), T_(m, X), T_(m, np.zeros((2, 4, 5), np.float32))),
    "bilinear_input2": lambda m, F: F.bilinear(T_(m, X), T_(m, X), T_(m, np.zeros((2, 5, 4), np.float32))),
    "bilinear_bias": lambda m, F: F.bilinear(T_(m, X), T_(m, X), T_(m, np.zeros((2, 5, 5), np.float32)),
                                             T_(m, np.ones(3, np.float32))),
    "bilinear_dtypes": lambda m, F: F.bilinear(T_(m, X), T_(m, X).double(), T_(m, np.zeros((2, 5, 5), np.float32)),
                                               T_(m, [1, 2])),
    "bilinear_weight_2d": lambda m, F: F.bilinear(T_(m, X), T_(m, X), T_(m, np.zeros((2, 5), np.float32))),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_error_matches_torch(case: str) -> None:
    torch = need_torch()
    fn = ERRORS[case]
    errors = []
    for m in (torch, gg):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(Exception) as info:
                fn(m, m.nn.functional)
        errors.append((type(info.value).__name__, str(info.value)))
    assert errors[1] == errors[0]


def test_weight_requiring_grad_is_accepted_without_grad_mode() -> None:
    """PyTorch refuses a class weight that requires grad only while recording."""
    F = gg.nn.functional
    w = gg.tensor(W5.astype(np.float32), requires_grad=True)
    with gg.no_grad():
        out = F.nll_loss(gg.tensor(X), gg.tensor(T), weight=w)
        F.binary_cross_entropy(gg.tensor(P), gg.tensor(P), weight=w)
        F.binary_cross_entropy_with_logits(gg.tensor(X), gg.tensor(P), weight=w, pos_weight=w)
    assert out.grad_fn is None and not out.requires_grad


# ---------------------------------------------------------------------------- values
VALUES: dict[str, Callable[[Any, Any], Any]] = {
    "cosine_int_and_float": lambda m, F: F.cosine_similarity(T_(m, [[1, 2]]), T_(m, [[1.0, 3.0]])),
    "pairwise_int": lambda m, F: F.pairwise_distance(T_(m, [[1, 2]]), T_(m, [[4, 3]])),
    "pairwise_0d": lambda m, F: F.pairwise_distance(T_(m, 1.0), T_(m, 3.0)),
    "normalize_out": lambda m, F: F.normalize(T_(m, X), out=m.zeros(3, 5)),
    "mse_float32_float64": lambda m, F: F.mse_loss(T_(m, X), T_(m, P.astype(np.float64))),
    "ce_probs_float64_weight": lambda m, F: F.cross_entropy(T_(m, X), T_(m, P), weight=T_(m, W5)),
    "nll_all_ignored": lambda m, F: F.nll_loss(T_(m, X), T_(m, [-100, -100, -100])),
    "ce_smoothing_all_ignored": lambda m, F: F.cross_entropy(T_(m, X), T_(m, [-100, -100, -100]), label_smoothing=0.1),
    "ce_negative_smoothing_is_none": lambda m, F: F.cross_entropy(T_(m, X), T_(m, T), label_smoothing=-0.5),
    "kl_div_zero_target": lambda m, F: F.kl_div(T_(m, [1.0, 2.0]), T_(m, [0.0, 1.0]), reduction="none"),
    "embedding_int_weight": lambda m, F: F.embedding(T_(m, [[0, 1]]), T_(m, [[1, 2], [3, 4]])),
    "dropout_p1_values": lambda m, F: F.dropout(T_(m, X), 1.0),
    "softmin_float64": lambda m, F: F.softmin(T_(m, X), dim=0, dtype=m.float64),
}


@pytest.mark.parametrize("case", list(VALUES))
def test_values_match_torch(case: str) -> None:
    t, g = both(VALUES[case])
    assert_close(g, t)
    np.testing.assert_array_equal(np.signbit(to_np(g)), np.signbit(to_np(t)))


# ---------------------------------------------------------------------------- warnings
WARNINGS: dict[str, Callable[[Any, Any], Any]] = {
    "mse_size": lambda m, F: F.mse_loss(T_(m, X), T_(m, X[0])),
    "l1_size": lambda m, F: F.l1_loss(T_(m, X[0]), T_(m, X)),
    "huber_size": lambda m, F: F.huber_loss(T_(m, X), T_(m, X[:1])),
    "smooth_l1_size": lambda m, F: F.smooth_l1_loss(T_(m, X), T_(m, X[0])),
    "kl_mean": lambda m, F: F.kl_div(T_(m, X), T_(m, P)),
    "softmin_implicit_dim": lambda m, F: F.softmin(T_(m, X)),
    "legacy_size_average": lambda m, F: F.mse_loss(T_(m, X), T_(m, P), size_average=False),
    "legacy_reduce": lambda m, F: F.nll_loss(T_(m, X), T_(m, T), reduce=False),
    "legacy_kl": lambda m, F: F.kl_div(T_(m, X), T_(m, P), size_average=True, reduce=True),
    "elementwise_mean": lambda m, F: F.cross_entropy(T_(m, X), T_(m, T), reduction="elementwise_mean"),
}


@pytest.mark.parametrize("case", list(WARNINGS))
def test_warning_matches_torch(case: str) -> None:
    torch = need_torch()
    fn = WARNINGS[case]
    seen, values = [], []
    for m in (torch, gg):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            values.append(fn(m, m.nn.functional))
        seen.append([(x.category.__name__, str(x.message)) for x in w])
        if m is gg:  # the warning points at the caller, as PyTorch's does
            assert all(x.filename == __file__ for x in w), [x.filename for x in w]
    assert seen[1] == seen[0] and seen[0]
    assert_close(values[1], values[0])


def test_no_warning_for_same_size() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gg.nn.functional.mse_loss(gg.tensor(X), gg.tensor(P))
        gg.nn.functional.kl_div(gg.tensor(X), gg.tensor(P), reduction="batchmean")


# ---------------------------------------------------------------------------- double backward
A = rng.standard_normal((3, 5))
B = rng.uniform(0.1, 0.9, (3, 5))
C = rng.uniform(0.1, 0.9, (3, 5))

DOUBLE: dict[str, tuple[Callable[..., Any], tuple[Any, ...], tuple[bool, ...]]] = {
    "softmin": (lambda m, F, x: F.softmin(x, 1), (A,), (True,)),
    "bilinear": (lambda m, F, a, b, w, c: F.bilinear(a, b, w, c),
                 (A[:, :4], B[:, :2], rng.standard_normal((3, 4, 2)), W5[:3]), (True, True, True, True)),
    "cross_entropy": (lambda m, F, x, t: F.cross_entropy(x, t), (A, T), (True, False)),
    "cross_entropy_none_weight": (lambda m, F, x, t, w: F.cross_entropy(x, t, weight=w, reduction="none"),
                                  (A, T, W5), (True, False, False)),
    "cross_entropy_4d": (lambda m, F, x, t: F.cross_entropy(x, t), (rng.standard_normal((2, 3, 2, 2)),
                                                                    rng.integers(0, 3, (2, 2, 2))), (True, False)),
    "cross_entropy_smoothing": (lambda m, F, x, t: F.cross_entropy(x, t, label_smoothing=0.2, ignore_index=0),
                                (A, T), (True, False)),
    "cross_entropy_probs": (lambda m, F, x, p: F.cross_entropy(x, p, label_smoothing=0.1), (A, B), (True, True)),
    "nll_loss": (lambda m, F, x, t: F.nll_loss(x, t, reduction="sum"), (A, T), (True, False)),
    "mse_loss": (lambda m, F, x, y: F.mse_loss(x, y), (A, B), (True, True)),
    "l1_loss": (lambda m, F, x, y: F.l1_loss(x, y, reduction="sum"), (A, B), (True, True)),
    "smooth_l1_loss": (lambda m, F, x, y: F.smooth_l1_loss(x, y, beta=0.8), (A, B), (True, True)),
    "huber_loss": (lambda m, F, x, y: F.huber_loss(x, y, delta=0.6, reduction="none"), (A, B), (True, True)),
    "binary_cross_entropy": (lambda m, F, x, y, w: F.binary_cross_entropy(x, y, weight=w), (B, C, W5),
                             (True, True, False)),
    "binary_cross_entropy_with_logits": (
        lambda m, F, x, y, w, pw: F.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=pw),
        (A * 3, B, W5, W5[::-1].copy()), (True, True, False, False)),
    "binary_cross_entropy_with_logits_plain": (
        lambda m, F, x, y: F.binary_cross_entropy_with_logits(x, y, reduction="sum"), (A * 3, B), (True, True)),
    "kl_div": (lambda m, F, x, y: F.kl_div(x, y, reduction="batchmean"), (A, B), (True, True)),
    "kl_div_log_target": (lambda m, F, x, y: F.kl_div(x, y, reduction="sum", log_target=True), (A, A[::-1].copy()),
                          (True, True)),
    "cosine_similarity": (lambda m, F, x, y: F.cosine_similarity(x, y), (A, B), (True, True)),
    "pairwise_distance": (lambda m, F, x, y: F.pairwise_distance(x, y), (A, B), (True, True)),
    "pairwise_distance_p3": (lambda m, F, x, y: F.pairwise_distance(x, y, p=3), (A, B), (True, True)),
    "pairwise_distance_p1": (lambda m, F, x, y: F.pairwise_distance(x, y, p=1), (A, B), (True, True)),
    "normalize": (lambda m, F, x: F.normalize(x, dim=0), (A,), (True,)),
    "embedding": (lambda m, F, w, i: F.embedding(i, w * w, padding_idx=2), (A, np.array([[0, 2], [1, 1]])),
                  (True, False)),
    "dropout_p1": (lambda m, F, x: F.dropout(x * x, 1.0), (A,), (True,)),
}


def _dense(t: Any) -> np.ndarray:
    """A gradient as an array (torch returns a ``ZeroTensor`` for a gradient known to be zero)."""
    return t.detach().numpy(force=True) if not isinstance(t, gg.Tensor) else to_np(t)


@pytest.mark.parametrize("case", list(DOUBLE))
def test_double_backward_matches_torch(case: str) -> None:
    """d/dx of sum(v * d(loss)/dx) (create_graph=True) against torch, for every differentiable input."""
    torch = need_torch()
    fn, arrays, rg = DOUBLE[case]
    results = []
    for m in (torch, gg):
        ts = [T_(m, a, r) for a, r in zip(arrays, rg)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(m, m.nn.functional, *ts)
        diff = [t for t, r in zip(ts, rg) if r]
        up = T_(m, np.random.default_rng(1).standard_normal(tuple(out.shape)))
        grads = m.autograd.grad(out, diff, up, create_graph=True)
        vs = [np.random.default_rng(2 + i).standard_normal(tuple(g.shape)) for i, g in enumerate(grads)]
        total = None
        for g, v in zip(grads, vs):
            if g.requires_grad:
                term = (g * T_(m, v)).sum()
                total = term if total is None else total + term
        second = m.autograd.grad(total, diff, allow_unused=True) if total is not None else [None] * len(diff)
        results.append(([to_np(g) for g in grads],
                        [np.zeros(d.shape) if s is None else _dense(s) for s, d in zip(second, diff)]))
    (t_first, t_second), (g_first, g_second) = results
    for g, t in zip(g_first + g_second, t_first + t_second):
        np.testing.assert_allclose(g, t, rtol=1e-7, atol=1e-9)


# ---------------------------------------------------------------------------- stability
def test_stable_at_extremes() -> None:
    """Losses on logits of ±1000 (and BCE on probabilities 0 and 1): PyTorch's finite values and gradients."""
    torch = need_torch()
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]], np.float32)
    p = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.25]], np.float32)
    cases = [
        lambda m, F, a: F.cross_entropy(a, T_(m, [1, 0])),
        lambda m, F, a: F.cross_entropy(a, T_(m, p), label_smoothing=0.1),
        lambda m, F, a: F.binary_cross_entropy_with_logits(a, T_(m, p), pos_weight=T_(m, [2.0, 0.5, 1.0])),
        lambda m, F, a: F.binary_cross_entropy_with_logits(a, T_(m, p), reduction="none"),
        lambda m, F, a: F.kl_div(F.log_softmax(a, 1), T_(m, p), reduction="batchmean"),
        lambda m, F, a: F.softmin(a, 1),
        lambda m, F, a: F.binary_cross_entropy(F.sigmoid(a), T_(m, p), reduction="none"),
        lambda m, F, a: F.binary_cross_entropy(T_(m, p) * 1 + a * 0, T_(m, p[::-1].copy())),
    ]
    for fn in cases:
        outs = []
        for m in (torch, gg):
            a = T_(m, x, True)
            out = fn(m, m.nn.functional, a)
            out.sum().backward()
            outs.append((out, a.grad))
        (t_out, t_grad), (g_out, g_grad) = outs
        assert np.isfinite(to_np(g_out)).all() and np.isfinite(to_np(g_grad)).all()
        assert_close(g_out, t_out, rtol=1e-5, atol=1e-5)
        assert_close(g_grad, t_grad, rtol=1e-5, atol=1e-6)


def test_bce_clamps_log_at_minus_100() -> None:
    F = gg.nn.functional
    out = F.binary_cross_entropy(gg.tensor([0.0, 1.0]), gg.tensor([1.0, 0.0]), reduction="none")
    assert out.tolist() == [100.0, 100.0]


# ---------------------------------------------------------------------------- dropout
@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
@pytest.mark.parametrize("dtype", [gg.float32, gg.float64])
def test_dropout_mask_structure(p: float, dtype: Any) -> None:
    """Zeros where dropped, ``x / (1 - p)`` elsewhere; the gradient is the same mask; about ``p`` dropped."""
    x = gg.randn(200, 50, dtype=dtype).requires_grad_()
    out = gg.nn.functional.dropout(x, p)
    assert out.grad_fn.name() == "MulBackward0" and out.dtype == dtype
    o, xv = to_np(out), to_np(x)
    kept = o != 0
    scale = np.asarray(1 / (1 - p), dtype=xv.dtype)
    np.testing.assert_allclose(o[kept], xv[kept] * scale, rtol=1e-6)
    assert abs(1 - kept.mean() - p) < 0.03
    out.backward(gg.ones_like(out))
    g = to_np(x.grad)
    np.testing.assert_allclose(g[kept], scale, rtol=1e-6)
    assert (g[~kept] == 0).all()


def test_dropout_uses_glassgrad_generator() -> None:
    x = gg.ones(6, 7)
    gg.manual_seed(3)
    a = gg.nn.functional.dropout(x, 0.5)
    gg.manual_seed(3)
    b = gg.nn.functional.dropout(x, 0.5)
    assert a.tolist() == b.tolist()
    assert gg.nn.functional.dropout(x, 0.5).tolist() != a.tolist()  # a new draw (equal with chance 2**-42)


def test_dropout_identity_cases_return_input() -> None:
    F = gg.nn.functional
    x = gg.randn(3, 4, requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    e = gg.zeros(0, 3)
    assert F.dropout(e, 0.5) is e
    assert gg.dropout(x, 0.5, False) is x


def test_dropout_inplace() -> None:
    F = gg.nn.functional
    x = gg.randn(4, 5, requires_grad=True)
    y = x * 1
    v = y._version
    z = F.dropout(y, 0.5, inplace=True)
    assert z is y and y._version == v + 1 and y.grad_fn.name() == "MulBackward0"
    z.sum().backward()
    kept = to_np(z) != 0
    np.testing.assert_allclose(to_np(x.grad), np.where(kept, 2.0, 0.0))
    w = gg.randn(3)
    F.dropout(w, 1.0, inplace=True)
    assert (to_np(w) == 0).all()


# ---------------------------------------------------------------------------- one_hot, embedding
@pytest.mark.parametrize("args", [([0, 2, 1],), ([[0, 3], [1, 1]], 5), (2,), ([], 3), ([[]], 4), ([0, 0],)])
def test_one_hot_matches_torch(args: tuple[Any, ...]) -> None:
    t, g = both(lambda m, F: F.one_hot(T_(m, np.array(args[0], dtype=np.int64)), *args[1:]))
    assert str(g.dtype) == str(t.dtype) == "torch.int64"
    assert tuple(g.shape) == tuple(t.shape)
    assert g.tolist() == t.tolist() and not g.requires_grad


def test_embedding_max_norm_renormalises_weight_in_place() -> None:
    torch = need_torch()
    idx = np.array([[0, 2], [2, 1]])
    res = []
    for m in (torch, gg):
        w = T_(m, X * 3, True)
        v = w._version
        out = m.nn.functional.embedding(T_(m, idx), w, max_norm=1.5, norm_type=1.0)
        out.sum().backward()
        res.append((to_np(w.detach()), to_np(out), to_np(w.grad), w._version - v))
    (tw, to, tg, tv), (gw, go, gg_, gv) = res
    np.testing.assert_allclose(gw, tw, rtol=1e-6)
    np.testing.assert_allclose(go, to, rtol=1e-6)
    np.testing.assert_allclose(gg_, tg)
    assert gv >= 1 and tv >= 1


def test_embedding_padding_row_gets_no_gradient() -> None:
    w = gg.randn(4, 3, requires_grad=True)
    gg.nn.functional.embedding(gg.tensor([[1, 2], [1, 0]]), w, padding_idx=1).sum().backward()
    np.testing.assert_array_equal(to_np(w.grad), [[1, 1, 1], [0, 0, 0], [1, 1, 1], [0, 0, 0]])


# ---------------------------------------------------------------------------- cross entropy by hand
@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 4), c=st.integers(1, 5), smoothing=st.sampled_from([0.0, 0.3]),
       reduction=st.sampled_from(["mean", "sum", "none"]), seed=st.integers(0, 2**16))
def test_cross_entropy_is_nll_of_log_softmax(n: int, c: int, smoothing: float, reduction: str, seed: int) -> None:
    """Against the definition: -(1 - s) * logp[target] - s / C * sum(logp), in float64."""
    r = np.random.default_rng(seed)
    x, t = r.standard_normal((n, c)), r.integers(0, c, n)
    out = gg.nn.functional.cross_entropy(gg.tensor(x), gg.tensor(t), reduction=reduction, label_smoothing=smoothing)
    logp = x - np.log(np.exp(x - x.max(1, keepdims=True)).sum(1, keepdims=True)) - x.max(1, keepdims=True)
    per = -(1 - smoothing) * logp[np.arange(n), t] - smoothing / c * logp.sum(1)
    expected = per if reduction == "none" else per.sum() if reduction == "sum" else per.mean()
    np.testing.assert_allclose(to_np(out), expected, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------- exports
def test_exports_follow_torch() -> None:
    torch = need_torch()
    from glassgrad.ops import loss
    for name in loss.FUNCTIONAL:
        assert hasattr(torch.nn.functional, name)
        assert getattr(gg.nn.functional, name) is getattr(loss, name)
    for name in loss.__all__:
        assert hasattr(torch, name) and getattr(gg, name) is getattr(loss, name)
    assert not loss.METHODS
