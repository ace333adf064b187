"""Convolution, pooling, padding and sliding blocks: conv1d/2d/3d, max/avg/adaptive pooling, pad, unfold/fold.

Sizes are kept small so the finite differences stay fast.  Max pooling draws
``distinct`` values (no ties within reach of a finite-difference step).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from opinfo import Gen, OpInfo, Sample, distinct, shape_id, signed

OPS: list[OpInfo] = []

_MM_TOL = (1e-4, 1e-5)  # float32: a convolution's sums run in another order than PyTorch's


def add_op(*args: Any, **kwargs: Any) -> None:
    OPS.append(OpInfo(*args, **kwargs))


Case = tuple[tuple[tuple[int, ...], ...], dict[str, Any]]


def cases(*specs: Case, gen: Gen = signed) -> Any:
    """One sample per ``((shape, ...), kwargs)``: an array of each shape, the keyword arguments as given."""
    def samples(rng: np.random.Generator, dtype: Any) -> list[Sample]:
        return [Sample(tuple(gen(rng, s, dtype) for s in shapes), dict(kw),
                       "-".join(shape_id(s) for s in shapes) + (str(kw) if kw else ""))
                for shapes, kw in specs]
    return samples


def F(m: Any) -> Any:
    return m.nn.functional


# ---------------------------------------------------------------------------- convolution
_CONV2D = cases(
    (((2, 3, 5, 5), (4, 3, 3, 3), (4,)), {}),
    (((2, 3, 5, 6), (4, 3, 2, 3)), {}),
    (((2, 3, 6, 7), (4, 3, 3, 2), (4,)), {"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1)}),
    (((1, 3, 7, 6), (2, 3, 3, 3), (2,)), {"stride": 3, "padding": 1}),
    (((2, 4, 5, 5), (6, 2, 3, 3), (6,)), {"groups": 2, "padding": 1}),
    (((1, 3, 4, 5), (6, 1, 2, 2)), {"groups": 3, "stride": 2, "padding": 1}),
    (((2, 3, 5, 5), (4, 3, 3, 3), (4,)), {"padding": "same"}),
    (((2, 3, 5, 4), (4, 3, 2, 3)), {"padding": "same"}),
    (((1, 2, 5, 6), (3, 2, 2, 2)), {"padding": "same", "dilation": (1, 2)}),
    (((2, 3, 5, 5), (4, 3, 3, 2), (4,)), {"padding": "valid"}),
    (((3, 5, 5), (4, 3, 3, 3), (4,)), {"padding": 1}),
    (((3, 4, 4), (2, 3, 1, 1)), {}),
)
add_op("conv2d", lambda m, x, w, b=None, **kw: F(m).conv2d(x, w, b, **kw), _CONV2D, tol32=_MM_TOL)
add_op("conv2d_torch", lambda m, x, w, b: m.conv2d(x, w, b, 2, 1),
       cases((((2, 3, 5, 6), (4, 3, 3, 3), (4,)), {})), tol32=_MM_TOL)
# a non-contiguous input and weight (transposed views)
add_op("conv2d_views", lambda m, x, w: F(m).conv2d(x.transpose(2, 3), w.transpose(2, 3), padding=(1, 0)),
       cases((((2, 3, 6, 5), (4, 3, 2, 3)), {})), tol32=_MM_TOL)
add_op("conv1d", lambda m, x, w, b=None, **kw: F(m).conv1d(x, w, b, **kw), cases(
    (((2, 3, 7), (4, 3, 3), (4,)), {}),
    (((2, 3, 9), (4, 3, 3)), {"stride": 2, "padding": 1, "dilation": 2}),
    (((2, 4, 6), (6, 2, 2), (6,)), {"groups": 2, "padding": 1}),
    (((2, 3, 6), (4, 3, 4)), {"padding": "same"}),
    (((3, 7), (2, 3, 3), (2,)), {"stride": (2,)}),
), tol32=_MM_TOL)
add_op("conv1d_torch", lambda m, x, w: m.conv1d(x, w, padding=2), cases((((2, 3, 5), (4, 3, 3)), {})), tol32=_MM_TOL)
add_op("conv3d", lambda m, x, w, b=None, **kw: F(m).conv3d(x, w, b, **kw), cases(
    (((1, 2, 3, 4, 3), (2, 2, 2, 2, 2), (2,)), {"padding": (1, 0, 1)}),
    (((2, 3, 4, 3), (3, 2, 2, 1, 2)), {"stride": (1, 2, 1)}),
), tol32=_MM_TOL)

# ---------------------------------------------------------------------------- empty inputs
# fd=False: an empty input has no element to perturb (the finite-difference check needs one)
add_op("conv2d_empty_batch", lambda m, x, w, b: F(m).conv2d(x, w, b), cases((((0, 3, 5, 5), (4, 3, 3, 3), (4,)), {})),
       fd=False)
add_op("max_pool2d_empty_batch", lambda m, x: F(m).max_pool2d(x, 2, return_indices=True),
       cases((((0, 2, 4, 4),), {})), fd=False)
add_op("pad_constant_empty", lambda m, x: F(m).pad(x, (1, 1)), cases((((0, 3),), {})), fd=False)

# ---------------------------------------------------------------------------- max pooling
_MP2D = cases(
    (((2, 3, 4, 6),), {"kernel_size": 2}),
    (((2, 2, 5, 5),), {"kernel_size": 3, "stride": 1, "padding": 1}),
    (((1, 2, 7, 6),), {"kernel_size": (2, 3), "stride": (2, 1), "padding": (1, 1), "dilation": (2, 1),
                       "ceil_mode": True}),
    (((1, 2, 5, 5),), {"kernel_size": 2, "ceil_mode": True}),
    (((3, 5, 6),), {"kernel_size": 3, "stride": 2, "padding": 1}),
    gen=distinct)
add_op("max_pool2d", lambda m, x, **kw: F(m).max_pool2d(x, **kw), _MP2D)
add_op("max_pool2d_indices", lambda m, x, **kw: F(m).max_pool2d(x, return_indices=True, **kw), _MP2D)
add_op("max_pool2d_with_indices", lambda m, x: F(m).max_pool2d_with_indices(x, 3, 2, 1),
       cases((((2, 2, 5, 6),), {}), gen=distinct))
add_op("max_pool2d_torch_view", lambda m, x: m.max_pool2d(x.transpose(2, 3), 2, 1),
       cases((((1, 2, 4, 5),), {}), gen=distinct))
_MP1D = cases(
    (((2, 3, 7),), {"kernel_size": 2}),
    (((2, 2, 9),), {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True}),
    (((3, 8),), {"kernel_size": 3, "stride": 1, "padding": 1}),
    gen=distinct)
add_op("max_pool1d", lambda m, x, **kw: F(m).max_pool1d(x, **kw), _MP1D)
add_op("max_pool1d_indices", lambda m, x, **kw: F(m).max_pool1d(x, return_indices=True, **kw), _MP1D)
add_op("max_pool1d_torch", lambda m, x: m.max_pool1d(x, 3, 2), cases((((2, 3, 7),), {}), gen=distinct))
add_op("max_pool1d_with_indices_torch", lambda m, x: m.max_pool1d_with_indices(x, 2),
       cases((((2, 3, 7),), {}), gen=distinct))

# ---------------------------------------------------------------------------- average pooling
add_op("avg_pool2d", lambda m, x, **kw: F(m).avg_pool2d(x, **kw), cases(
    (((2, 3, 4, 6),), {"kernel_size": 2}),
    (((2, 2, 5, 6),), {"kernel_size": 3, "stride": 2, "padding": 1}),
    (((2, 2, 5, 6),), {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False}),
    (((1, 2, 6, 5),), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    (((1, 2, 6, 5),), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False}),
    (((1, 2, 5, 5),), {"kernel_size": 2, "ceil_mode": True}),
    (((1, 2, 5, 6),), {"kernel_size": (2, 3), "stride": (1, 2), "padding": (1, 1), "divisor_override": 5}),
    (((3, 5, 4),), {"kernel_size": 2, "stride": 1}),
))
add_op("avg_pool2d_view", lambda m, x: F(m).avg_pool2d(x.transpose(2, 3), 2), cases((((1, 2, 5, 4),), {})))
add_op("avg_pool1d", lambda m, x, **kw: F(m).avg_pool1d(x, **kw), cases(
    (((2, 3, 7),), {"kernel_size": 2}),
    (((2, 2, 8),), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False}),
    (((3, 8),), {"kernel_size": 3, "stride": 1, "padding": 1}),
))
add_op("avg_pool1d_torch", lambda m, x: m.avg_pool1d(x, 3, 2, 1), cases((((2, 3, 7),), {})))

# ---------------------------------------------------------------------------- adaptive average pooling
add_op("adaptive_avg_pool2d", lambda m, x, output_size: F(m).adaptive_avg_pool2d(x, output_size), cases(
    (((2, 3, 7, 5),), {"output_size": 3}),
    (((2, 3, 7, 5),), {"output_size": (2, 4)}),
    (((2, 3, 7, 5),), {"output_size": (None, 2)}),
    (((2, 3, 4, 3),), {"output_size": (6, 5)}),
    (((2, 3, 4, 3),), {"output_size": 1}),
    (((3, 5, 6),), {"output_size": (3, 2)}),
))
add_op("adaptive_avg_pool1d", lambda m, x, output_size: F(m).adaptive_avg_pool1d(x, output_size), cases(
    (((2, 3, 7),), {"output_size": 3}),
    (((3, 5),), {"output_size": 7}),
    (((2, 3, 7),), {"output_size": 1}),
))
add_op("adaptive_avg_pool1d_torch", lambda m, x: m.adaptive_avg_pool1d(x, 4), cases((((2, 3, 6),), {})))

# ---------------------------------------------------------------------------- unfold / fold
add_op("unfold", lambda m, x, **kw: F(m).unfold(x, **kw), cases(
    (((2, 3, 4, 5),), {"kernel_size": 2}),
    (((2, 2, 4, 5),), {"kernel_size": (2, 3), "dilation": (1, 2), "padding": 1, "stride": (2, 1)}),
    (((3, 4, 5),), {"kernel_size": 2, "stride": 2}),
))
add_op("unfold_view", lambda m, x: F(m).unfold(x.transpose(2, 3), 2), cases((((1, 2, 5, 4),), {})))
add_op("fold", lambda m, x, **kw: F(m).fold(x, **kw), cases(
    (((2, 12, 12),), {"output_size": (4, 5), "kernel_size": 2}),
    (((2, 12, 9),), {"output_size": (4, 5), "kernel_size": (2, 3), "dilation": (1, 2), "padding": 1,
                      "stride": (2, 1)}),
    (((8, 4),), {"output_size": (4, 5), "kernel_size": 2, "stride": 2}),
    (((1, 3, 6),), {"output_size": (2, 3), "kernel_size": 1}),
))

# ---------------------------------------------------------------------------- padding
add_op("pad_constant", lambda m, x, **kw: F(m).pad(x, **kw), cases(
    (((2, 3, 4),), {"pad": (1, 2)}),
    (((2, 3, 4),), {"pad": (1, 2, 0, 1, 2, 0), "value": 2.5}),
    (((2, 3, 4),), {"pad": (-1, 2, 1, -1)}),
    (((2, 3, 4),), {"pad": (-1, 0, 0, -2)}),
    (((2, 3, 4, 2),), {"pad": [1, 1, 0, 1, 1, 0, 2, 1], "mode": "constant"}),
    (((),), {"pad": ()}),
    (((5,),), {"pad": (0, 0)}),
))
add_op("constant_pad_nd_torch", lambda m, x: m.constant_pad_nd(x, (1, 2, 2, 0), -1.0), cases((((2, 3, 4),), {})))
add_op("pad_view", lambda m, x: F(m).pad(x.t(), (1, 2), mode="reflect"), cases((((4, 3),), {})))
for _mode in ("reflect", "replicate", "circular"):
    add_op(f"pad_{_mode}", lambda m, x, _mode=_mode, **kw: F(m).pad(x, mode=_mode, **kw), cases(
        (((2, 3, 4),), {"pad": (2, 1)}),
        (((3, 4),), {"pad": (1, 3)}),
        (((2, 3, 4),), {"pad": (-1, 2)}),
        (((2, 2, 4, 3),), {"pad": (2, 1, 0, 2)}),
        (((2, 4, 3),), {"pad": (1, 1, 2, 2)}),
        (((1, 2, 3, 4, 3),), {"pad": (1, 1, 2, 0, 1, 1)}),
        (((2, 3, 4, 3),), {"pad": (1, 0, 1, 1, 1, 2)}),
    ))
