"""Losses and other ``nn.functional`` functions: cross entropy, NLL, MSE/L1/Huber, BCE, KL, distances, embedding.

Class-index targets are int64 arrays (never differentiable); class weights and
``pos_weight`` are passed with ``requires_grad=False`` (PyTorch refuses them).
Dropout's random mask cannot be compared with torch's, so only its deterministic
settings are here (the random ones are in ``test_loss.py``), as is ``one_hot``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from opinfo import OpInfo, Sample, away_from_zero, positive, shape_id, signed, uniform

OPS: list[OpInfo] = []

prob = uniform(0.1, 0.9)  # BCE inputs and targets: away from the clamped logs at 0 and 1
unit = uniform(0.0, 1.0)


def add_op(*args: Any, **kwargs: Any) -> None:
    OPS.append(OpInfo(*args, **kwargs))


def F(m: Any) -> Any:
    return m.nn.functional


def quiet(op: Any) -> Any:
    """``op`` with its UserWarnings silenced (the size-mismatch warning of broadcast targets, kl_div's 'mean')."""
    def run(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return op(*args, **kwargs)
    return run


def _targets(rng: np.random.Generator, shape: tuple[int, ...], c: int, ignore: int | None = None) -> np.ndarray:
    t = rng.integers(0, c, size=shape).astype(np.int64)
    if ignore is not None and t.size > 1:
        t.reshape(-1)[::3] = ignore
    elif ignore is not None and t.ndim == 0 and t == ignore:
        t = np.asarray((ignore + 1) % c, dtype=np.int64)
    return t


# (input shape, target shape) for class-index targets: (C), (N, C), (N, C, d1), (N, C, d1, d2), 5-d
_CLASS_SHAPES = [((5,), ()), ((4, 5), (4,)), ((2, 3, 4), (2, 4)), ((2, 3, 2, 2), (2, 2, 2)),
                 ((2, 3, 2, 1, 2), (2, 2, 1, 2))]
# Note: an empty batch gives no finite differences to check (and opinfo's helper cannot view an empty
# array), so each family's empty samples are a separate entry with fd=False.
_EMPTY_CLASS_SHAPES = [((0, 5), (0,)), ((0, 3, 2), (0, 2))]
_REDUCTIONS = [{}, {"reduction": "sum"}, {"reduction": "none"}]


def class_samples(weighted: bool = False, ignore: int | None = None, extra: dict[str, Any] | None = None,
                  empty: bool = False):
    """Input logits and int64 class targets of every supported rank, each reduction; optional class weight."""
    def samples(rng: np.random.Generator, dtype: Any) -> list[Sample]:
        out = []
        for xs, ts in _EMPTY_CLASS_SHAPES if empty else _CLASS_SHAPES:
            c = xs[1] if len(xs) > 1 else xs[0]
            for red in _REDUCTIONS:
                kw = dict(red, **(extra or {}))
                if ignore is not None:
                    kw["ignore_index"] = ignore
                args: tuple[Any, ...] = (signed(rng, xs, dtype), _targets(rng, ts, c, ignore))
                if weighted:
                    args += (positive(rng, (c,), dtype),)
                out.append(Sample(args, kw, f"{shape_id(xs)}{kw}", (True, False, False)[:len(args)]))
        return out
    return samples


# ---------------------------------------------------------------------- nll_loss
add_op("nll_loss", lambda m, x, t, **kw: F(m).nll_loss(x, t, **kw), class_samples())
add_op("nll_loss_weight", lambda m, x, t, w, **kw: F(m).nll_loss(x, t, weight=w, **kw), class_samples(True))
add_op("nll_loss_ignore_index", lambda m, x, t, **kw: F(m).nll_loss(x, t, **kw), class_samples(ignore=1))
add_op("nll_loss_ignore_default", lambda m, x, t, w, **kw: F(m).nll_loss(x, t, weight=w, **kw),
       class_samples(True, ignore=-100))
# non-contiguous inputs: (C, N).t() and a transposed 3-d input (contiguous() records CloneBackward0)
add_op("nll_loss_transposed", lambda m, x, t, **kw: F(m).nll_loss(x.t(), t, **kw),
       lambda rng, dt: [Sample((signed(rng, (5, 4), dt), _targets(rng, (4,), 5)), red, f"{red}") for red in _REDUCTIONS])
add_op("nll_loss_transposed_3d", lambda m, x, t, **kw: F(m).nll_loss(x.transpose(1, 2), t, **kw),
       lambda rng, dt: [Sample((signed(rng, (2, 4, 3), dt), _targets(rng, (2, 4), 3)), red, f"{red}")
                        for red in _REDUCTIONS])
add_op("nll_loss_empty", lambda m, x, t, w, **kw: F(m).nll_loss(x, t, weight=w, **kw), class_samples(True, empty=True),
       fd=False)
add_op("nll_loss_byte_target", lambda m, x, t: F(m).nll_loss(x, t.to(m.uint8)),
       lambda rng, dt: [Sample((signed(rng, (4, 5), dt), _targets(rng, (4,), 5)), {}, "4x5")])

# ---------------------------------------------------------------------- cross_entropy, class indices
add_op("cross_entropy", lambda m, x, t, **kw: F(m).cross_entropy(x, t, **kw), class_samples(), tol32=(1e-5, 2e-6))
add_op("cross_entropy_weight", lambda m, x, t, w, **kw: F(m).cross_entropy(x, t, weight=w, **kw),
       class_samples(True), tol32=(1e-5, 2e-6))
add_op("cross_entropy_ignore_index", lambda m, x, t, w, **kw: F(m).cross_entropy(x, t, weight=w, **kw),
       class_samples(True, ignore=2), tol32=(1e-5, 2e-6))
add_op("cross_entropy_label_smoothing", lambda m, x, t, **kw: F(m).cross_entropy(x, t, **kw),
       class_samples(extra={"label_smoothing": 0.1}), tol32=(1e-5, 2e-6))
add_op("cross_entropy_label_smoothing_weight", lambda m, x, t, w, **kw: F(m).cross_entropy(x, t, weight=w, **kw),
       class_samples(True, ignore=0, extra={"label_smoothing": 0.25}), tol32=(1e-5, 2e-6))
add_op("cross_entropy_label_smoothing_one", lambda m, x, t, **kw: F(m).cross_entropy(x, t, label_smoothing=1.0, **kw),
       lambda rng, dt: [Sample((signed(rng, (4, 5), dt), _targets(rng, (4,), 5)), red, f"{red}") for red in _REDUCTIONS])
add_op("cross_entropy_empty", lambda m, x, t, **kw: F(m).cross_entropy(x, t, **kw), class_samples(empty=True),
       fd=False)
add_op("cross_entropy_empty_smoothing", lambda m, x, t, w, **kw: F(m).cross_entropy(x, t, weight=w, **kw),
       class_samples(True, extra={"label_smoothing": 0.5}, empty=True), fd=False)
add_op("cross_entropy_transposed", lambda m, x, t: F(m).cross_entropy(x.t(), t, label_smoothing=0.2),
       lambda rng, dt: [Sample((signed(rng, (5, 4), dt), _targets(rng, (4,), 5)), {}, "5x4.t()")])


# ---------------------------------------------------------------------- cross_entropy, class probabilities
def prob_samples(weighted: bool = False, extra: dict[str, Any] | None = None, empty: bool = False):
    """Logits and same-shaped probability targets (which get gradients too); optional class weight."""
    def samples(rng: np.random.Generator, dtype: Any) -> list[Sample]:
        out = []
        for xs in [(0, 3)] if empty else [(5,), (4, 5), (2, 3, 4)]:
            c = xs[1] if len(xs) > 1 else xs[0]
            for red in _REDUCTIONS:
                kw = dict(red, **(extra or {}))
                args: tuple[Any, ...] = (signed(rng, xs, dtype), unit(rng, xs, dtype))
                if weighted:
                    args += (positive(rng, (c,), dtype),)
                out.append(Sample(args, kw, f"{shape_id(xs)}{kw}", (True, True, False)[:len(args)]))
        return out
    return samples


add_op("cross_entropy_probs", lambda m, x, p, **kw: F(m).cross_entropy(x, p, **kw), prob_samples())
add_op("cross_entropy_probs_weight", lambda m, x, p, w, **kw: F(m).cross_entropy(x, p, weight=w, **kw),
       prob_samples(True))
add_op("cross_entropy_probs_label_smoothing", lambda m, x, p, **kw: F(m).cross_entropy(x, p, **kw),
       prob_samples(extra={"label_smoothing": 0.3}))
add_op("cross_entropy_probs_weight_smoothing", lambda m, x, p, w, **kw: F(m).cross_entropy(x, p, weight=w, **kw),
       prob_samples(True, extra={"label_smoothing": 0.1}))
add_op("cross_entropy_probs_empty", lambda m, x, p, w, **kw: F(m).cross_entropy(x, p, weight=w, **kw),
       prob_samples(True, empty=True), fd=False)

# ---------------------------------------------------------------------- softmin
_SOFTMIN_CASES = [((), 0), ((5,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), -1), ((2, 3, 4), 1)]
add_op("softmin", lambda m, x, dim: F(m).softmin(x, dim),
       lambda rng, dt: [Sample((signed(rng, s, dt),), {"dim": d}, f"{shape_id(s)}-dim{d}") for s, d in _SOFTMIN_CASES],
       tol32=(1e-4, 1e-6))
add_op("softmin_dtype", lambda m, x: F(m).softmin(x, dim=-1, dtype=m.float64),
       lambda rng, dt: [Sample((signed(rng, s, dt),), {}, shape_id(s)) for s in [(5,), (3, 4)]])
add_op("softmin_transposed", lambda m, x: F(m).softmin(x.t(), 1),
       lambda rng, dt: [Sample((signed(rng, (4, 3), dt),), {}, "4x3.t()")], tol32=(1e-4, 1e-6))


# ---------------------------------------------------------------------- elementwise regression losses
def pair_samples(gx: Any = signed, gt: Any = signed, broadcast: bool = True,
                 kwargs_list: list[dict[str, Any]] | None = None, empty: bool = False):
    """Input and target (both differentiable), same shapes and, with a size warning, broadcast ones."""
    pairs = [((0, 3), (0, 3)), ((0,), (3, 0))] if empty else [
        ((), ()), ((5,), (5,)), ((3, 4), (3, 4)), ((2, 3, 4), (2, 3, 4))]
    if broadcast and not empty:
        pairs += [((3, 4), (4,)), ((4,), (3, 4)), ((3, 1), (1, 4))]

    def samples(rng: np.random.Generator, dtype: Any) -> list[Sample]:
        return [Sample((gx(rng, a, dtype), gt(rng, b, dtype)), dict(kw), f"{shape_id(a)}-{shape_id(b)}{kw}")
                for a, b in pairs for kw in kwargs_list or _REDUCTIONS]
    return samples


def _np_reduce(v: np.ndarray, reduction: str = "mean") -> np.ndarray:
    if reduction == "none":
        return v
    return v.sum() if reduction == "sum" else (v.mean() if v.size else np.asarray(np.nan, v.dtype))


def _ref(fn: Any) -> Any:
    def ref(x: np.ndarray, t: np.ndarray, reduction: str = "mean", **kw: Any) -> np.ndarray:
        return _np_reduce(np.asarray(fn(*np.broadcast_arrays(x, t), **kw)), reduction)
    return ref


def _huber(x: np.ndarray, t: np.ndarray, delta: float = 1.0) -> np.ndarray:
    z = np.abs(x - t)
    return np.where(z < delta, 0.5 * z * z, delta * (z - 0.5 * delta))


def _smooth_l1(x: np.ndarray, t: np.ndarray, beta: float = 1.0) -> np.ndarray:
    z = np.abs(x - t)
    return np.where(z < beta, 0.5 * z * z / beta, z - 0.5 * beta) if beta else z


add_op("mse_loss", quiet(lambda m, x, t, **kw: F(m).mse_loss(x, t, **kw)), pair_samples(), _ref(lambda x, t: (x - t) ** 2))
add_op("l1_loss", quiet(lambda m, x, t, **kw: F(m).l1_loss(x, t, **kw)), pair_samples(signed, away_from_zero),
       _ref(lambda x, t: np.abs(x - t)))
add_op("huber_loss", quiet(lambda m, x, t, **kw: F(m).huber_loss(x, t, **kw)), pair_samples(), _ref(_huber))
add_op("huber_loss_delta", lambda m, x, t, **kw: F(m).huber_loss(x, t, **kw),
       pair_samples(broadcast=False, kwargs_list=[{"delta": 0.5}, {"delta": 2.0, "reduction": "sum"},
                                                  {"delta": 0.3, "reduction": "none"}]), _ref(_huber))
add_op("smooth_l1_loss", quiet(lambda m, x, t, **kw: F(m).smooth_l1_loss(x, t, **kw)), pair_samples(), _ref(_smooth_l1))
add_op("smooth_l1_loss_beta", lambda m, x, t, **kw: F(m).smooth_l1_loss(x, t, **kw),
       pair_samples(broadcast=False, kwargs_list=[{"beta": 0.5}, {"beta": 2.0, "reduction": "none"},
                                                  {"beta": 0.0}, {"beta": 0.0, "reduction": "none"}]),
       _ref(_smooth_l1))
for _name in ("mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"):
    add_op(f"{_name}_empty", quiet(lambda m, x, t, _n=_name, **kw: getattr(F(m), _n)(x, t, **kw)),
           pair_samples(empty=True), fd=False)
add_op("mse_loss_transposed", lambda m, x, t: F(m).mse_loss(x.t(), t, reduction="none"),
       lambda rng, dt: [Sample((signed(rng, (4, 3), dt), signed(rng, (3, 4), dt)), {}, "4x3.t()-3x4")])


def weighted_pair_samples(rng: np.random.Generator, dtype: Any) -> list[Sample]:
    """Input, target and a per-element weight (all three differentiable), each reduction."""
    return [Sample((signed(rng, s, dtype), signed(rng, s, dtype), positive(rng, s, dtype)), dict(kw),
                   f"{shape_id(s)}{kw}") for s in [(5,), (3, 4)] for kw in _REDUCTIONS]


for _name in ("mse_loss", "l1_loss", "huber_loss"):
    add_op(f"{_name}_weight", lambda m, x, t, w, _n=_name, **kw: getattr(F(m), _n)(x, t, weight=w, **kw),
           weighted_pair_samples)


# ---------------------------------------------------------------------- binary cross entropy
def bce_samples(gx: Any, weighted: bool = False, pos_weighted: bool = False, empty: bool = False,
                shapes: list[tuple[tuple[int, ...], tuple[int, ...]]] | None = None):
    cases = [((0, 3), (3,))] if empty else shapes or [((), ()), ((5,), (5,)), ((3, 4), (4,)), ((2, 3, 4), (3, 1))]

    def samples(rng: np.random.Generator, dtype: Any) -> list[Sample]:
        out = []
        for s, ws in cases:
            for kw in _REDUCTIONS:
                args: tuple[Any, ...] = (gx(rng, s, dtype), unit(rng, s, dtype))
                if weighted:
                    args += (positive(rng, ws, dtype),)
                if pos_weighted:
                    args += (positive(rng, ws, dtype),)
                out.append(Sample(args, dict(kw), f"{shape_id(s)}{kw}", (True, True, False, False)[:len(args)]))
        return out
    return samples


def _np_bce(x: np.ndarray, t: np.ndarray, reduction: str = "mean") -> np.ndarray:
    return _np_reduce(-(t * np.log(x) + (1 - t) * np.log1p(-x)), reduction)


def _np_bce_logits(x: np.ndarray, t: np.ndarray, reduction: str = "mean") -> np.ndarray:
    return _np_reduce((1 - t) * x + np.logaddexp(0, -x), reduction)


_bce_logit = uniform(-4.0, 4.0)
add_op("binary_cross_entropy", lambda m, x, t, **kw: F(m).binary_cross_entropy(x, t, **kw), bce_samples(prob),
       _np_bce)
add_op("binary_cross_entropy_weight", lambda m, x, t, w, **kw: F(m).binary_cross_entropy(x, t, weight=w, **kw),
       bce_samples(prob, weighted=True))
add_op("binary_cross_entropy_with_logits",
       lambda m, x, t, **kw: F(m).binary_cross_entropy_with_logits(x, t, **kw), bce_samples(_bce_logit),
       _np_bce_logits)
add_op("binary_cross_entropy_with_logits_weight",
       lambda m, x, t, w, **kw: F(m).binary_cross_entropy_with_logits(x, t, weight=w, **kw),
       bce_samples(_bce_logit, weighted=True))
add_op("binary_cross_entropy_with_logits_pos_weight",
       lambda m, x, t, pw, **kw: F(m).binary_cross_entropy_with_logits(x, t, pos_weight=pw, **kw),
       bce_samples(_bce_logit, pos_weighted=True))
add_op("binary_cross_entropy_with_logits_both_weights",
       lambda m, x, t, w, pw, **kw: F(m).binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=pw, **kw),
       bce_samples(_bce_logit, weighted=True, pos_weighted=True))
add_op("binary_cross_entropy_with_logits_transposed",
       lambda m, x, t, **kw: F(m).binary_cross_entropy_with_logits(x.t(), t.t(), **kw),
       bce_samples(_bce_logit, shapes=[((4, 3), ())]))
add_op("binary_cross_entropy_empty", lambda m, x, t, w, **kw: F(m).binary_cross_entropy(x, t, weight=w, **kw),
       bce_samples(prob, weighted=True, empty=True), fd=False)
add_op("binary_cross_entropy_with_logits_empty",
       lambda m, x, t, w, pw, **kw: F(m).binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=pw, **kw),
       bce_samples(_bce_logit, weighted=True, pos_weighted=True, empty=True), fd=False)


# ---------------------------------------------------------------------- kl_div
def kl_samples(gt: Any, kwargs_list: list[dict[str, Any]], grad_target: bool = True):
    def samples(rng: np.random.Generator, dtype: Any) -> list[Sample]:
        return [Sample((signed(rng, s, dtype), gt(rng, s, dtype)), dict(kw), f"{shape_id(s)}{kw}",
                       (True, grad_target)) for s in [(), (5,), (3, 4), (2, 3, 4)] for kw in kwargs_list]
    return samples


_KL_REDUCTIONS = [{}, {"reduction": "sum"}, {"reduction": "none"}, {"reduction": "batchmean"}]
add_op("kl_div", quiet(lambda m, x, t, **kw: F(m).kl_div(x, t, **kw)), kl_samples(positive, _KL_REDUCTIONS, False))
add_op("kl_div_target_grad", quiet(lambda m, x, t, **kw: F(m).kl_div(x, t, **kw)), kl_samples(positive, _KL_REDUCTIONS))
add_op("kl_div_log_target", quiet(lambda m, x, t, **kw: F(m).kl_div(x, t, log_target=True, **kw)),
       kl_samples(signed, _KL_REDUCTIONS))
add_op("kl_div_log_target_no_grad", lambda m, x, t, **kw: F(m).kl_div(x, t, log_target=True, **kw),
       kl_samples(signed, [{"reduction": "batchmean"}], False))


# ---------------------------------------------------------------------- distances, normalize
def two_samples(pairs: list[tuple[tuple[int, ...], tuple[int, ...]]], kwargs_list: list[dict[str, Any]],
                gen: Any = signed):
    def samples(rng: np.random.Generator, dtype: Any) -> list[Sample]:
        return [Sample((gen(rng, a, dtype), gen(rng, b, dtype)), dict(kw), f"{shape_id(a)}-{shape_id(b)}{kw}")
                for a, b in pairs for kw in kwargs_list]
    return samples


add_op("cosine_similarity", lambda m, x, y, **kw: F(m).cosine_similarity(x, y, **kw),
       two_samples([((3, 5), (3, 5)), ((2, 3, 4), (2, 3, 4)), ((3, 5), (5,)), ((4, 1), (1, 4))],
                   [{}, {"dim": -1}]))
# (no finite differences: with norms below eps PyTorch differentiates through the unclamped norm)
add_op("cosine_similarity_large_eps", lambda m, x, y, **kw: F(m).cosine_similarity(x, y, **kw),
       two_samples([((2, 3, 4), (2, 3, 4)), ((4, 1), (1, 4))], [{"dim": 0, "eps": 0.5}]), fd=False)
add_op("cosine_similarity_vectors", lambda m, x, y: m.cosine_similarity(x, y, dim=0),
       two_samples([((5,), (5,)), ((), ())], [{}]))
add_op("cosine_similarity_transposed", lambda m, x, y: F(m).cosine_similarity(x.t(), y),
       two_samples([((4, 3), (3, 4))], [{}]))
_P = [{}, {"p": 1.0}, {"p": 3.0}, {"p": 1.5}, {"p": 0.5}, {"p": float("inf")}, {"keepdim": True},
      {"p": 1.0, "eps": 0.1, "keepdim": True}]
add_op("pairwise_distance", lambda m, x, y, **kw: F(m).pairwise_distance(x, y, **kw),
       two_samples([((3, 5), (3, 5)), ((5,), (5,)), ((2, 3, 4), (3, 4)), ((3, 1), (1, 4))], _P, away_from_zero))
# (no finite differences: for p=0 PyTorch's gradient is undefined, so the inputs' .grad stays None)
add_op("pairwise_distance_p0", lambda m, x, y, **kw: F(m).pairwise_distance(x, y, **kw),
       two_samples([((3, 5), (3, 5))], [{"p": 0.0}]), fd=False)
add_op("pairwise_distance_top_level", lambda m, x, y: m.pairwise_distance(x, y),
       two_samples([((3, 5), (3, 5)), ((), ())], [{}]))
_NORMALIZE = [((3, 4), {}), ((3, 4), {"dim": 0}), ((3, 4), {"p": 1.0}), ((3, 4), {"p": float("inf"), "dim": -1}),
              ((2, 3, 4), {"dim": (1, 2)}), ((2, 3, 4), {"p": 3.0, "dim": 2}), ((5,), {"dim": 0}),
              ((), {"dim": 0}), ((3, 4), {"eps": 10.0})]
add_op("normalize", lambda m, x, **kw: F(m).normalize(x, **kw),
       lambda rng, dt: [Sample((away_from_zero(rng, s, dt),), kw, f"{shape_id(s)}{kw}") for s, kw in _NORMALIZE])
add_op("normalize_transposed", lambda m, x: F(m).normalize(x.t()),
       lambda rng, dt: [Sample((signed(rng, (4, 3), dt),), {}, "4x3.t()")])


# ---------------------------------------------------------------------- bilinear
def bilinear_samples(bias: bool):
    cases = [((3, 4), (3, 2)), ((4,), (2,)), ((2, 3, 4), (2, 3, 2))]

    def samples(rng: np.random.Generator, dtype: Any) -> list[Sample]:
        out = []
        for s1, s2 in cases:
            args = (signed(rng, s1, dtype), signed(rng, s2, dtype), signed(rng, (5, 4, 2), dtype))
            out.append(Sample(args + ((signed(rng, (5,), dtype),) if bias else ()), {}, f"{shape_id(s1)}-{shape_id(s2)}"))
        return out
    return samples


add_op("bilinear", lambda m, a, b, w, c: F(m).bilinear(a, b, w, c), bilinear_samples(True), tol32=(1e-4, 1e-5))
add_op("bilinear_no_bias", lambda m, a, b, w: F(m).bilinear(a, b, w), bilinear_samples(False), tol32=(1e-4, 1e-5))
add_op("bilinear_empty", lambda m, a, b, w, c: F(m).bilinear(a, b, w, c),
       lambda rng, dt: [Sample((signed(rng, (0, 4), dt), signed(rng, (0, 2), dt), signed(rng, (5, 4, 2), dt),
                                signed(rng, (5,), dt)), {}, "0x4")], fd=False)
add_op("bilinear_top_level", lambda m, a, b, w: m.bilinear(a.t(), b, w),
       lambda rng, dt: [Sample((signed(rng, (4, 3), dt), signed(rng, (3, 2), dt), signed(rng, (5, 4, 2), dt)), {},
                               "4x3.t()")], tol32=(1e-4, 1e-5))
add_op("bilinear_input2_only", lambda m, a, b, w: F(m).bilinear(a, b, w),
       lambda rng, dt: [Sample((signed(rng, (3, 4), dt), signed(rng, (3, 2), dt), signed(rng, (5, 4, 2), dt)), {},
                               "3x4", (False, True, False))], tol32=(1e-4, 1e-5))


# ---------------------------------------------------------------------- embedding
def embedding_samples(kwargs: dict[str, Any]):
    def samples(rng: np.random.Generator, dtype: Any) -> list[Sample]:
        out = []
        for idx_shape in [(), (4,), (2, 3), (0,), (2, 0)]:
            idx = rng.integers(0, 5, size=idx_shape).astype(np.int64)
            if idx.size > 2:
                idx.reshape(-1)[:2] = (1, 1)  # a repeated row (summed gradient) and the padding row
            out.append(Sample((signed(rng, (5, 3), dtype), idx), dict(kwargs), f"{shape_id(idx_shape)}{kwargs}"))
        return out
    return samples


add_op("embedding", lambda m, w, i, **kw: F(m).embedding(i, w, **kw), embedding_samples({}))
add_op("embedding_int32", lambda m, w, i: F(m).embedding(i.to(m.int32), w), embedding_samples({}))
# (no finite differences for the next three: PyTorch's gradient deliberately is not the derivative —
# the padding row gets none, scale_grad_by_freq divides by counts, max_norm's renorm is not differentiated)
add_op("embedding_padding_idx", lambda m, w, i, **kw: F(m).embedding(i, w, **kw),
       embedding_samples({"padding_idx": 1}), fd=False)
add_op("embedding_padding_idx_negative", lambda m, w, i, **kw: F(m).embedding(i, w, **kw),
       embedding_samples({"padding_idx": -4}), fd=False)
add_op("embedding_scale_grad_by_freq", lambda m, w, i, **kw: F(m).embedding(i, w, **kw),
       embedding_samples({"scale_grad_by_freq": True, "padding_idx": 0}), fd=False)
add_op("embedding_max_norm", lambda m, w, i, **kw: F(m).embedding(i, w * 1, **kw),
       embedding_samples({"max_norm": 1.0}), fd=False)


# ---------------------------------------------------------------------- dropout (deterministic settings)
add_op("dropout_eval", lambda m, x: F(m).dropout(x, 0.5, training=False),
       lambda rng, dt: [Sample((signed(rng, s, dt),), {}, shape_id(s)) for s in [(), (3, 4)]], lambda x: x)
add_op("dropout_p0", lambda m, x: F(m).dropout(x * 2, 0.0), lambda rng, dt: [Sample((signed(rng, (3, 4), dt),))],
       lambda x: x * 2)
add_op("dropout_p1", lambda m, x: F(m).dropout(x, 1.0), lambda rng, dt: [Sample((signed(rng, (3, 4), dt),))],
       lambda x: x * 0)
add_op("dropout_p1_inplace", lambda m, x: F(m).dropout(x * 1, p=1.0, inplace=True),
       lambda rng, dt: [Sample((signed(rng, (3, 4), dt),))], lambda x: x * 0)
add_op("dropout_top_level_eval", lambda m, x: m.dropout(x, 0.3, False),
       lambda rng, dt: [Sample((signed(rng, (3, 4), dt),))], lambda x: x)
