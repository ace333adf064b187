"""Normalization and attention: layer/RMS/group/batch/instance/local-response norm, scaled dot-product attention.

``SDPA_OPS`` (scaled_dot_product_attention) is kept out of ``OPS``: glassgrad
records attention as its steps (matmul, mul, where/add, softmax, matmul) where
PyTorch records its fused kernel, so the grad_fn names differ by design.
``tests/test_norm.py`` runs the other checks of the table on those entries.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from opinfo import Gen, OpInfo, Sample, positive, shape_id, signed

OPS: list[OpInfo] = []
SDPA_OPS: list[OpInfo] = []

_TOL = (1e-4, 1e-5)  # float32: the normalisations' sums are ordered differently from PyTorch's


def add_op(*args: Any, **kwargs: Any) -> None:
    OPS.append(OpInfo(*args, tol32=kwargs.pop("tol32", _TOL), **kwargs))


Case = tuple[tuple[Any, ...], dict[str, Any]]


def cases(*specs: Case) -> Any:
    """Samples from ``((array spec, ...), kwargs)``; an array spec is a shape (signed values), ``(gen, shape)``,
    ``(gen, shape, False)`` for an array that must not require grad, or a non-array value passed as is."""
    def samples(rng: np.random.Generator, dtype: Any) -> list[Sample]:
        out = []
        for arrays, kw in specs:
            args: list[Any] = []
            rg: list[bool] = []
            descs = []
            for a in arrays:
                gen: Gen = signed
                needs = True
                if isinstance(a, tuple) and a and callable(a[0]):
                    gen, a, *rest = a
                    needs = rest[0] if rest else True
                if isinstance(a, tuple):
                    args.append(gen(rng, a, dtype))
                    rg.append(needs)
                    descs.append(shape_id(a))
                else:
                    args.append(a)
                    rg.append(False)
                    descs.append(f"mask{shape_id(a.shape)}" if isinstance(a, np.ndarray) else repr(a))
            out.append(Sample(tuple(args), dict(kw), "-".join(descs) + (str(kw) if kw else ""), tuple(rg)))
        return out
    return samples


def _bool_mask(shape: tuple[int, ...], dead_row: bool = False) -> np.ndarray:
    """A fixed attention mask (numbers drawn once), optionally with one row of all-masked keys."""
    m = np.random.default_rng(7).random(shape) > 0.35
    m[..., 0] = True
    if dead_row:
        m[..., 1, :] = False
    return m


def _stat(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    return signed(rng, shape, dtype)


# ---------------------------------------------------------------------------- layer_norm
def _ln(m: Any, x: Any, w: Any = None, b: Any = None, ns: Any = (), **kw: Any) -> Any:
    return m.nn.functional.layer_norm(x, ns, w, b, **kw)


_LN_CASES = cases(
    (((5,),), {"ns": (5,)}),
    (((3, 4), (4,), (4,)), {"ns": (4,)}),
    (((2, 3, 4), (3, 4), (3, 4)), {"ns": (3, 4)}),
    (((2, 3, 4), (4,)), {"ns": [4], "eps": 1e-3}),
    (((4,), (4,), (4,)), {"ns": (4,)}),
    (((2, 3, 4), None, (4,)), {"ns": (4,)}),
)
add_op("layer_norm", _ln, _LN_CASES)
add_op("layer_norm_torch", lambda m, x, w=None, b=None, ns=(), **kw: m.layer_norm(x, ns, w, b, **kw), _LN_CASES)
# non-contiguous input; normalized_shape given as a Size
add_op("layer_norm_transposed", lambda m, x, w, b: m.nn.functional.layer_norm(x.transpose(0, 1), x.shape[:1], w, b),
       cases((((3, 2), (3,), (3,)), {}), (((4, 3), (4,), (4,)), {})))

# ---------------------------------------------------------------------------- rms_norm
_RMS_CASES = cases(
    (((5,),), {"ns": (5,)}),
    (((3, 4), (4,)), {"ns": (4,)}),
    (((2, 3, 4), (3, 4)), {"ns": (3, 4), "eps": 1e-3}),
    (((2, 3, 4),), {"ns": [4], "eps": 1e-6}),
)
add_op("rms_norm", lambda m, x, w=None, ns=(), **kw: m.nn.functional.rms_norm(x, ns, w, **kw), _RMS_CASES)
add_op("rms_norm_torch", lambda m, x, w=None, ns=(), **kw: m.rms_norm(x, ns, w, **kw), _RMS_CASES)
add_op("rms_norm_transposed", lambda m, x, w: m.nn.functional.rms_norm(x.t(), (3,), w), cases((((3, 4), (3,)), {})))

# ---------------------------------------------------------------------------- group_norm
_GN_CASES = cases(
    (((2, 6), 3, (6,), (6,)), {}),
    (((2, 6, 3), 3, (6,), (6,)), {}),
    (((3, 4, 2, 2), 2, (4,)), {}),
    (((2, 6, 3), 6, (6,)), {"eps": 1e-3}),  # (bias without weight: PyTorch's backward fails)
    (((2, 6, 3), 1), {}),
)
add_op("group_norm", lambda m, x, g, w=None, b=None, **kw: m.nn.functional.group_norm(x, g, w, b, **kw), _GN_CASES)
add_op("group_norm_torch", lambda m, x, g, w=None, b=None, **kw: m.group_norm(x, g, w, b, **kw), _GN_CASES)
add_op("group_norm_transposed", lambda m, x, w, b: m.nn.functional.group_norm(x.transpose(1, 2), 2, w, b),
       cases((((2, 3, 4), (4,), (4,)), {})))

# ---------------------------------------------------------------------------- batch_norm
_S = (_stat, (3,), False)  # running mean: no grad
_V = (positive, (3,), False)  # running variance: positive, no grad


def _bn(m: Any, x: Any, rm: Any, rv: Any, w: Any = None, b: Any = None, **kw: Any) -> Any:
    return m.nn.functional.batch_norm(x, rm, rv, w, b, **kw)


add_op("batch_norm_train", _bn, cases(
    (((4, 3), _S, _V, (3,), (3,)), {"training": True}),
    (((4, 3, 2), _S, _V), {"training": True, "momentum": 0.3}),
    (((2, 3, 2, 2), None, None, (3,), (3,)), {"training": True, "eps": 1e-3}),
    (((1, 3, 5), _S, _V, (3,)), {"training": True}),
))
add_op("batch_norm_eval", _bn, cases(
    (((4, 3), _S, _V, (3,), (3,)), {}),
    (((4, 3, 2), _S, _V), {"training": False}),
    (((2, 3, 2, 2), _S, _V, None, (3,)), {"eps": 1e-3}),
    (((1, 3), _S, _V, (3,), (3,)), {}),
))
add_op("batch_norm_transposed", lambda m, x, w, b: m.nn.functional.batch_norm(x.transpose(0, 2), None, None, w, b,
                                                                               training=True),
       cases((((2, 3, 4), (3,), (3,)), {})))

# ---------------------------------------------------------------------------- instance_norm
add_op("instance_norm", lambda m, x, rm=None, rv=None, w=None, b=None, **kw:
       m.nn.functional.instance_norm(x, rm, rv, w, b, **kw), cases(
    (((2, 3, 4),), {}),
    (((2, 3, 4), None, None, (3,), (3,)), {}),
    (((2, 3, 2, 2), _S, _V, (3,)), {"momentum": 0.2}),
    (((2, 3, 4), _S, _V, (3,), (3,)), {"use_input_stats": False}),
))

# ---------------------------------------------------------------------------- local_response_norm
add_op("local_response_norm", lambda m, x, size, **kw: m.nn.functional.local_response_norm(x, size, **kw), cases(
    (((2, 5, 3), 2), {}),
    (((2, 5, 3, 2), 3), {"alpha": 0.5, "beta": 0.6, "k": 2.0}),
    (((2, 4, 3, 2, 2), 3), {"alpha": 0.1}),
    (((1, 3, 4), 7), {"alpha": 1.0}),
))


# ---------------------------------------------------------------------------- empty inputs
# (no finite differences: the table's finite differences need at least one element)
add_op("layer_norm_empty", _ln, cases((((0, 4), (4,), (4,)), {"ns": (4,)}), (((2, 0, 3), (3,)), {"ns": (3,)})),
       fd=False)
add_op("rms_norm_empty", lambda m, x, w: m.nn.functional.rms_norm(x, (4,), w), cases((((0, 4), (4,)), {})), fd=False)
add_op("group_norm_empty", lambda m, x, w, b: m.nn.functional.group_norm(x, 3, w, b),
       cases((((0, 6, 3), (6,), (6,)), {})), fd=False)
# PyTorch returns input.clone() * weight[0] + bias[0] for an empty batch (no NativeBatchNormBackward0)
add_op("batch_norm_empty", _bn, cases(
    (((0, 3), None, None, (3,), (3,)), {"training": True}),
    (((0, 3, 2), _S, _V, (3,)), {"training": True}),
    (((0, 3), _S, _V, None, (3,)), {}),
    (((0, 3), None, None), {"training": True}),
), fd=False)


# ---------------------------------------------------------------------------- scaled_dot_product_attention
def _sdpa(m: Any, q: Any, k: Any, v: Any, mask: Any = None, **kw: Any) -> Any:
    return m.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, **kw)


SDPA_OPS.append(OpInfo("scaled_dot_product_attention", _sdpa, cases(
    (((2, 3, 4), (2, 5, 4), (2, 5, 6)), {}),
    (((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 6)), {}),
    (((3, 4), (5, 4), (5, 2)), {}),
    (((2, 3, 4), (1, 5, 4), (1, 5, 6)), {}),
    (((2, 3, 4), (2, 5, 4), (2, 5, 6)), {"scale": 0.3}),
    (((2, 3, 4), (2, 5, 4), (2, 5, 6)), {"is_causal": True}),
    (((2, 6, 4), (2, 5, 4), (2, 5, 6)), {"is_causal": True}),
    (((2, 3, 4), (2, 5, 4), (2, 5, 6), _bool_mask((3, 5))), {}),
    (((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 6), _bool_mask((2, 1, 3, 5), dead_row=True)), {}),
    (((2, 3, 4), (2, 5, 4), (2, 5, 6), (3, 5)), {}),
    (((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 6), (2, 1, 3, 5)), {"scale": 1.5}),
    (((2, 4, 3, 4), (2, 2, 5, 4), (2, 2, 5, 6)), {"enable_gqa": True}),
), tol32=_TOL))
SDPA_OPS.append(OpInfo("scaled_dot_product_attention_empty", _sdpa, cases(
    (((2, 3, 4), (2, 0, 4), (2, 0, 6)), {}),
    (((2, 0, 4), (2, 5, 4), (2, 5, 6)), {}),
    (((2, 3, 0), (2, 5, 0), (2, 5, 6)), {}),
), fd=False))  # (finite differences need at least one element)
SDPA_OPS.append(OpInfo("scaled_dot_product_attention_transposed",
                       lambda m, q, k, v: m.nn.functional.scaled_dot_product_attention(q.transpose(-2, -1), k, v),
                       cases((((2, 4, 3), (2, 5, 4), (2, 5, 6)), {})), tol32=_TOL))
