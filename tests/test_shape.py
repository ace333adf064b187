"""Shape ops beyond the op table (``tests/opdb/shape.py``): PyTorch's error texts, dtype rules, return
types, double backward (``create_graph=True``) for every op, and Hypothesis round trips."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassgrad as gg
from opinfo import assert_same_tensor, need_torch, same_error, to_np

try:  # Hypothesis is a test dependency; without it only its tests are skipped.
    from hypothesis import given, settings
    from hypothesis import strategies as st

    HAVE_HYPOTHESIS = True
except ImportError:  # pragma: no cover
    HAVE_HYPOTHESIS = False




def same(g: Any, t: Any, what: str = "") -> None:
    torch = need_torch()
    if isinstance(t, torch.Tensor):
        assert_same_tensor(g, t, 1e-5, 1e-6, what)
    elif isinstance(t, (tuple, list)):
        assert type(g) is type(t) and len(g) == len(t), (what, g, t)
        for i, (a, b) in enumerate(zip(g, t)):
            same(a, b, f"{what}[{i}]")
    else:
        assert g == t, (what, g, t)


def check(fn: Callable[[Any], Any]) -> None:
    torch = need_torch()
    same(fn(gg), fn(torch))


# ---------------------------------------------------------------------------- errors

def z(m: Any, *shape: int) -> Any:
    return m.zeros(*shape)


ERRORS: list[tuple[str, Callable[[Any], Any]]] = [
    ("narrow_start", lambda m: z(m, 2).narrow(0, 3, 1)),
    ("narrow_negative_start", lambda m: z(m, 2).narrow(0, -3, 1)),
    ("narrow_length", lambda m: z(m, 2).narrow(0, 1, 2)),
    ("narrow_negative_length", lambda m: z(m, 2).narrow(0, 0, -1)),
    ("narrow_0d", lambda m: m.tensor(1.0).narrow(0, 0, 1)),
    ("narrow_dim", lambda m: z(m, 2).narrow(1, 0, 1)),
    ("movedim_lengths", lambda m: z(m, 2, 3, 4).movedim((0, 1), (2,))),
    ("movedim_repeated_source", lambda m: z(m, 2, 3, 4).movedim((0, -3), (1, 2))),
    ("movedim_repeated_destination", lambda m: z(m, 2, 3, 4).movedim((0, 1), (2, 2))),
    ("movedim_dim", lambda m: z(m, 2, 3).movedim(2, 0)),
    ("unflatten_sizes", lambda m: z(m, 2, 6).unflatten(1, (4, 2))),
    ("unflatten_negative_dim", lambda m: z(m, 2, 6).unflatten(-1, (4, -1))),
    ("unflatten_empty", lambda m: z(m, 2, 6).unflatten(1, ())),
    ("cat_empty_list", lambda m: m.cat([])),
    ("cat_0d", lambda m: m.cat([m.tensor(1.0), m.tensor(2.0)])),
    ("cat_sizes", lambda m: m.cat([z(m, 2, 3), z(m, 3, 2)])),
    ("cat_sizes_dim1", lambda m: m.cat([z(m, 2, 3), z(m, 3, 2)], 1)),
    ("cat_ndim", lambda m: m.cat([z(m, 2, 3), z(m, 3)])),
    ("cat_dim", lambda m: m.cat([z(m, 2, 3)], 2)),
    ("cat_not_tensor", lambda m: m.cat([z(m, 2), [1.0]])),
    ("stack_empty", lambda m: m.stack([])),
    ("stack_sizes", lambda m: m.stack([z(m, 2, 3), z(m, 3)])),
    ("stack_dim", lambda m: m.stack([z(m, 2)], 2)),
    ("hstack_empty", lambda m: m.hstack([])),
    ("vstack_empty", lambda m: m.vstack([])),
    ("dstack_empty", lambda m: m.dstack([])),
    ("column_stack_empty", lambda m: m.column_stack([])),
    ("split_sizes_sum", lambda m: z(m, 3).split([1, 1])),
    ("split_sizes_negative", lambda m: z(m, 3).split([-1, 4])),
    ("split_zero", lambda m: z(m, 3).split(0)),
    ("split_negative", lambda m: z(m, 3).split(-1)),
    ("split_0d", lambda m: m.tensor(1.0).split(1)),
    ("chunk_zero", lambda m: z(m, 3).chunk(0)),
    ("chunk_0d", lambda m: m.tensor(1.0).chunk(1)),
    ("tensor_split_zero", lambda m: z(m, 3).tensor_split(0)),
    ("tensor_split_0d", lambda m: m.tensor(1.0).tensor_split(1)),
    ("tensor_split_float_tensor", lambda m: z(m, 3).tensor_split(m.tensor([1.0]))),
    ("hsplit_0d", lambda m: m.hsplit(m.tensor(1.0), 2)),
    ("hsplit_divisible", lambda m: m.hsplit(z(m, 3, 3), 2)),
    ("hsplit_zero", lambda m: m.hsplit(z(m, 3, 3), 0)),
    ("vsplit_1d", lambda m: m.vsplit(z(m, 3), 2)),
    ("dsplit_2d", lambda m: m.dsplit(z(m, 3, 3), 3)),
    ("tril_1d", lambda m: z(m, 3).tril()),
    ("triu_0d", lambda m: m.triu(m.tensor(1.0))),
    ("diag_3d", lambda m: z(m, 2, 2, 2).diag()),
    ("diag_0d", lambda m: m.tensor(1.0).diag()),
    ("diagonal_same_dims", lambda m: z(m, 2, 2).diagonal(0, 1, 1)),
    ("diagonal_same_dims_negative", lambda m: z(m, 2, 2).diagonal(0, -1, 1)),
    ("diagonal_1d", lambda m: z(m, 2).diagonal()),
    ("diag_embed_0d", lambda m: m.diag_embed(m.tensor(1.0))),
    ("diag_embed_same_dims", lambda m: m.diag_embed(z(m, 2), 0, 0, 0)),
    ("repeat_too_few", lambda m: z(m, 2, 3).repeat(2)),
    ("repeat_negative", lambda m: z(m, 2, 3).repeat(2, -1)),
    ("roll_align", lambda m: z(m, 2, 3).roll((1, 2), 0)),
    ("roll_no_shifts", lambda m: z(m, 2, 3).roll(())),
    ("roll_no_dims_two_shifts", lambda m: z(m, 2, 3).roll((1, 2))),
    ("flip_repeated", lambda m: z(m, 2, 3).flip(0, 0)),
    ("flip_repeated_negative", lambda m: z(m, 2, 3).flip(1, -1)),
    ("fliplr_1d", lambda m: z(m, 2).fliplr()),
    ("flipud_0d", lambda m: m.tensor(1.0).flipud()),
    ("fill_nd_value", lambda m: z(m, 3).fill_(z(m, 2))),
    ("unbind_0d", lambda m: m.tensor(1.0).unbind()),
]


@pytest.mark.parametrize("name,fn", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_match_torch(name: str, fn: Callable[[Any], Any]) -> None:
    same_error(fn)


# ---------------------------------------------------------------------------- dtypes, return types, values

def test_cat_and_stack_promote_dtypes() -> None:
    def case(m: Any) -> Any:
        f, d, i, b = m.ones(2), m.ones(2, dtype=m.float64), m.ones(2, dtype=m.int64), m.ones(2, dtype=m.bool)
        return [str(t.dtype) for t in (m.cat([f, d]), m.cat([i, f]), m.cat([b, i]), m.stack([b, b]), m.stack([i, d]),
                                       m.cat([m.zeros(0, dtype=m.float64), i]), m.hstack([i, f]))]
    check(case)


def test_ops_keep_integer_and_bool_dtypes() -> None:
    def case(m: Any) -> Any:
        i = m.arange(12).reshape(3, 4)
        b = i > 5
        return [i.flip(0), i.roll(1, 1), i.repeat(2, 1), i.tril(), b.triu(1), i.diag(), b.diagonal(),
                m.diag_embed(i), i.split(2), m.cat([b, b]), m.tile(b, (2,)), i.movedim(0, 1), i.unflatten(1, (2, 2))]
    check(case)


def test_multi_output_ops_return_tuples() -> None:
    def case(m: Any) -> Any:
        x = m.arange(10.0).reshape(5, 2)
        return [type(x.split(2)).__name__, type(x.chunk(2)).__name__, type(x.unbind()).__name__,
                type(x.tensor_split(2)).__name__, type(m.atleast_1d(x, x)).__name__, type(m.hsplit(x, 2)).__name__,
                len(x.split(2)), len(x.chunk(4)), len(x.chunk(6)), len(m.zeros(0).chunk(3))]
    check(case)


def test_split_accepts_a_0d_tensor_size() -> None:
    check(lambda m: m.arange(5.0).split(m.tensor(2)))


def test_atleast_with_sequences() -> None:
    def case(m: Any) -> Any:
        a, b = m.tensor(1.0), m.zeros(2)
        return [m.atleast_1d([a, b]), m.atleast_2d((a,)), m.atleast_3d(a, b), m.atleast_2d(m.zeros(2, 2, 2))]
    check(case)


def test_contiguous_returns_self_when_contiguous() -> None:
    x = gg.zeros(2, 3, requires_grad=True)
    assert x.contiguous() is x
    assert x.t().contiguous() is not x
    assert gg.atleast_2d(x) is x


def test_concatenate_axis_and_dim() -> None:
    check(lambda m: [m.concatenate([m.ones(2, 1), m.zeros(2, 2)], axis=1),
                     m.concatenate([m.ones(2, 1), m.zeros(2, 2)], dim=-1)])


def test_printing_of_results() -> None:
    torch = need_torch()
    for fn in (lambda m, x: x.flip(0), lambda m, x: m.cat([x, x]), lambda m, x: x.split(1)[0],
               lambda m, x: x.diagonal(), lambda m, x: m.diag(x), lambda m, x: x.unbind()[1], lambda m, x: x.roll(1)):
        outs = []
        for m in (gg, torch):
            x = m.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
            outs.append(repr(fn(m, x)))
        assert outs[0] == outs[1]


# ---------------------------------------------------------------------------- double backward

DOUBLE: list[tuple[str, Callable[[Any, Any], Any]]] = [
    ("unflatten", lambda m, x: x.unflatten(1, (2, 2))), ("movedim", lambda m, x: x.movedim(0, 1)),
    ("repeat", lambda m, x: x.repeat(2, 1, 2)), ("tile", lambda m, x: m.tile(x, (2,))),
    ("flip", lambda m, x: x.flip(0, 1)), ("fliplr", lambda m, x: x.fliplr()), ("roll", lambda m, x: x.roll(2)),
    ("roll_dims", lambda m, x: x.roll((1, -1), (0, 1))), ("narrow", lambda m, x: x.narrow(1, 1, 2)),
    ("split", lambda m, x: x.split(2, 1)[1]), ("split_all", lambda m, x: m.cat([p * i for i, p in enumerate(x.split(1))])),
    ("split_sizes", lambda m, x: x.split([1, 3], 1)[1]), ("chunk", lambda m, x: x.chunk(2)[0]),
    ("tensor_split", lambda m, x: x.tensor_split([1, 3], 1)[1]), ("unbind", lambda m, x: x.unbind(1)[2]),
    ("cat", lambda m, x: m.cat([x, x * x], 1)), ("stack", lambda m, x: m.stack([x, x.exp()], 1)),
    ("hstack", lambda m, x: m.hstack([x, x])), ("vstack", lambda m, x: m.vstack([x[0], x])),
    ("dstack", lambda m, x: m.dstack([x, x])), ("column_stack", lambda m, x: m.column_stack([x[:, 0], x])),
    ("tril", lambda m, x: x.tril()), ("triu", lambda m, x: x.triu(1)), ("diag_matrix", lambda m, x: m.diag(x, 1)),
    ("diag_vector", lambda m, x: m.diag(x[0], -1)), ("diagonal", lambda m, x: x.diagonal(-1)),
    ("diag_embed", lambda m, x: m.diag_embed(x, 1, 0, 2)), ("ravel", lambda m, x: x.t().ravel()),
    ("atleast_3d", lambda m, x: m.atleast_3d(x)), ("expand_as", lambda m, x: x[0].expand_as(x)),
    ("index_put", lambda m, x: x.index_put((m.tensor([0, 2]),), x[1] * 2)),
    ("setitem", lambda m, x: _setitem(x)),
]


def _setitem(x: Any) -> Any:
    y = x * 1
    y[1:, 2] = x[0, :2] * x[2, 0]
    return y


@pytest.mark.parametrize("name,fn", DOUBLE, ids=[d[0] for d in DOUBLE])
def test_double_backward_matches_torch(name: str, fn: Callable[[Any, Any], Any]) -> None:
    """The gradient of ``sum(out**3 * up)``, then the gradient of a function of that gradient."""
    def case(m: Any) -> Any:
        x = m.tensor(np.linspace(-1.2, 1.1, 12).reshape(3, 4), requires_grad=True)
        out = fn(m, x)
        up = m.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)))
        (g,) = m.autograd.grad((out ** 3 * up).sum(), x, create_graph=True)
        (g * g.sin()).sum().backward()
        return g.detach().clone(), x.grad
    check(case)


# ---------------------------------------------------------------------------- Hypothesis

if HAVE_HYPOTHESIS:
    _shape = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)

    @settings(max_examples=25, deadline=None)
    @given(shape=_shape, data=st.data())
    def test_split_then_cat_is_identity_with_gradients(shape: tuple[int, ...], data: Any) -> None:
        dim = data.draw(st.integers(-len(shape), len(shape) - 1))
        size = data.draw(st.integers(1, shape[dim] + 1))
        arr = np.arange(float(np.prod(shape))).reshape(shape)
        x = gg.tensor(arr, requires_grad=True)
        parts = x.split(size, dim)
        y = gg.cat([p * (i + 1) for i, p in enumerate(parts)], dim)
        y.sum().backward()
        expected = np.concatenate([np.full(p.shape, i + 1.0) for i, p in enumerate(parts)], axis=dim % len(shape))
        np.testing.assert_array_equal(to_np(x.grad), expected)
        np.testing.assert_array_equal(to_np(gg.cat(x.chunk(size, dim), dim)), arr)

    @settings(max_examples=25, deadline=None)
    @given(shape=_shape, data=st.data())
    def test_random_view_chain_and_inplace_matches_torch(shape: tuple[int, ...], data: Any) -> None:
        """A random chain of views of a graph tensor, one in-place op at its end: values and gradients."""
        torch = need_torch()
        steps = data.draw(st.lists(st.sampled_from(["t", "select", "slice", "unsqueeze", "flatten", "diag"]),
                                   max_size=3))
        op = data.draw(st.sampled_from(["mul_", "add_", "exp_", "zero_"]))
        arr = np.linspace(-1, 1, int(np.prod(shape))).reshape(shape)

        def run(m: Any) -> Any:
            x = m.tensor(arr, requires_grad=True)
            y = x * 2
            v = y
            for s in steps:
                if s == "t" and v.dim() >= 2:
                    v = v.transpose(0, -1)
                elif s == "select" and v.dim() >= 1 and v.shape[0]:
                    v = v[v.shape[0] // 2]
                elif s == "slice" and v.dim() >= 1 and v.shape[0] > 1:
                    v = v[1:]
                elif s == "unsqueeze":
                    v = v.unsqueeze(0)
                elif s == "flatten" and v.is_contiguous():
                    v = v.view(-1)
                elif s == "diag" and v.dim() >= 2:
                    v = v.diagonal()
            getattr(v, op)(*((3.0,) if op in ("mul_", "add_") else ()))
            (y * y).sum().backward()
            return y.detach().clone(), x.grad, y.grad_fn.name(), v.grad_fn.name()

        same(run(gg), run(torch))
