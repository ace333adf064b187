"""Views and in-place semantics, compared with PyTorch.

A view shares storage and the version counter with its base (both ways, views
of views, basic indexing); advanced indexing copies.  An in-place op on a view
of a tensor in a graph rewrites the base's history (``CopySlices``) and the
views' (``AsStridedBackward0``), with the right gradients, double backward,
and PyTorch's errors (views of leaves, views made under ``no_grad``,
multi-output views, saved tensors modified, overlapping memory).
``x[...] = v`` goes through the same mechanism.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassgrad as gg
from opinfo import assert_same_tensor, both, need_torch, same_error, to_np

# ---------------------------------------------------------------------------- helpers




def tree(t: Any, depth: int = 3) -> Any:
    """``grad_fn`` names down to ``depth`` levels (None for a missing edge)."""
    def rec(fn: Any, d: int) -> Any:
        if fn is None:
            return None
        if d == 0:
            return fn.name()
        return (fn.name(), tuple(rec(f, d - 1) for f, _ in fn.next_functions))
    return rec(t.grad_fn, depth)


def same(g: Any, t: Any, what: str = "") -> None:
    """Nested results equal: tensors by value, dtype and shape; everything else by ``==``."""
    torch = need_torch()
    if isinstance(t, torch.Tensor):
        assert_same_tensor(g, t, 1e-5, 1e-6, what)
    elif isinstance(t, (tuple, list)):
        assert isinstance(g, (tuple, list)) and len(g) == len(t), (what, g, t)
        for i, (a, b) in enumerate(zip(g, t)):
            same(a, b, f"{what}[{i}]")
    else:
        assert g == t, (what, g, t)


def check(fn: Callable[[Any], Any]) -> None:
    g, t = both(fn)
    same(g, t)


# ---------------------------------------------------------------------------- storage sharing

VIEWS: list[tuple[str, Callable[[Any], Any]]] = [
    ("view", lambda x: x.view(4, 3)), ("view_flat", lambda x: x.view(-1)), ("reshape", lambda x: x.reshape(2, 6)),
    ("transpose", lambda x: x.transpose(0, 1)), ("t", lambda x: x.t()), ("T", lambda x: x.T),
    ("mT", lambda x: x.mT), ("permute", lambda x: x.permute(1, 0)), ("unsqueeze", lambda x: x.unsqueeze(1)),
    ("squeeze", lambda x: x.unsqueeze(0).squeeze()), ("select", lambda x: x[1]), ("select_fn", lambda x: x.select(1, 2)),
    ("slice", lambda x: x[1:]), ("slice_step", lambda x: x[::2, 1::2]), ("col", lambda x: x[:, 0]),
    ("ellipsis", lambda x: x[...]), ("none", lambda x: x[None]), ("ellipsis_int", lambda x: x[..., 1]),
    ("int_int", lambda x: x[1, 2]), ("tensor_0d_index", lambda x: x[x.new_tensor(1).long()] if hasattr(x, "new_tensor") else x[1]),
    ("narrow", lambda x: x.narrow(1, 1, 2)), ("diagonal", lambda x: x.diagonal()),
    ("diagonal_offset", lambda x: x.diagonal(1)), ("unflatten", lambda x: x.unflatten(1, (2, 2))),
    ("movedim", lambda x: x.movedim(0, 1)), ("flatten", lambda x: x.flatten()), ("ravel", lambda x: x.ravel()),
    ("view_as", lambda x: x.view_as(x.t())), ("expand_as_same", lambda x: x.expand(3, 4)),
    ("unbind", lambda x: x.unbind(1)[2]), ("split", lambda x: x.split(2, 1)[1]), ("chunk", lambda x: x.chunk(3)[1]),
    ("tensor_split", lambda x: x.tensor_split(3, 1)[0]), ("split_sizes", lambda x: x.split([1, 2])[1]),
    ("view_of_view", lambda x: x[1:].t()[1]), ("contiguous_same", lambda x: x.contiguous()[0]),
    ("swapaxes", lambda x: x.swapaxes(0, 1)[1:]), ("hsplit", lambda x: x.hsplit(2)[1]),
]


def _base_of(m: Any) -> Any:
    return m.arange(12.0).reshape(3, 4).clone()


@pytest.mark.parametrize("name,view", VIEWS, ids=[v[0] for v in VIEWS])
def test_view_shares_storage_both_ways(name: str, view: Callable[[Any], Any]) -> None:
    def case(m: Any) -> Any:
        x = _base_of(m)
        v = view(x)
        out = [v.clone(), v._base is x, x._version]
        v.mul_(10)  # through the view
        out += [x.clone(), x._version, v._version]
        x.add_(1)  # through the base
        out += [v.clone(), x._version, v._version, v.is_contiguous(), tuple(v.stride())]
        return out
    check(case)


@pytest.mark.parametrize("name,view", VIEWS, ids=[v[0] for v in VIEWS])
def test_view_is_a_view_of_the_root(name: str, view: Callable[[Any], Any]) -> None:
    x = _base_of(gg)
    v = view(x)
    assert v._base is x
    assert v._version == x._version == 0
    assert np.shares_memory(v._data, x._data)


COPIES: list[tuple[str, Callable[[Any], Any]]] = [
    ("list_index", lambda x: x[[0, 2]]), ("mask", lambda x: x[x > 5]), ("tensor_index", lambda x: x[:, [1, 1]]),
    ("reshape_noncontiguous", lambda x: x.t().reshape(-1)), ("contiguous", lambda x: x.t().contiguous()),
    ("clone", lambda x: x.clone()), ("flip", lambda x: x.flip(0)), ("roll", lambda x: x.roll(1)),
    ("repeat", lambda x: x.repeat(1, 1)), ("cat", lambda x: x.__class__.cat([x]) if False else x.tril()),
    ("diag", lambda x: x.diag()), ("index_bool_true", lambda x: x[True]),
]


@pytest.mark.parametrize("name,op", COPIES, ids=[c[0] for c in COPIES])
def test_copies_do_not_share_storage(name: str, op: Callable[[Any], Any]) -> None:
    def case(m: Any) -> Any:
        x = _base_of(m)
        c = op(x)
        out = [c._base is None, c._version]
        c.add_(100)
        out += [x.clone(), x._version]
        return out
    check(case)


def test_cat_and_stack_copy() -> None:
    def case(m: Any) -> Any:
        x = _base_of(m)
        c, s = m.cat([x, x]), m.stack([x, x])
        c.zero_()
        s.zero_()
        return x.clone(), c._base is None, s._base is None
    check(case)


def test_detach_shares_storage_and_version_but_is_no_view() -> None:
    def case(m: Any) -> Any:
        x = m.tensor([1.0, 2.0], requires_grad=True)
        d = x.detach()
        d[0] = 5.0
        return x.detach().clone(), x._version, d._version, d._base is None, d.requires_grad
    check(case)


def test_int_views_share_storage() -> None:
    def case(m: Any) -> Any:
        x = m.arange(6).reshape(2, 3)
        x[1][::2] = 7
        x.t()[0].mul_(2)
        return x.clone(), x._version
    check(case)


def test_expanded_view_refuses_in_place() -> None:
    same_error(lambda m: m.zeros(1, 3).expand(2, 3).add_(1))
    same_error(lambda m: m.zeros(3, 1).expand(3, 2).exp_())
    same_error(lambda m: m.zeros(1).expand(3).copy_(m.ones(3)))
    same_error(lambda m: m.zeros(1).expand(3).fill_(m.tensor(2.0)))
    same_error(lambda m: m.zeros(3, 1).expand(3, 2).__setitem__(0, 1.0))


def test_expanded_view_allows_zero_and_fill() -> None:
    def case(m: Any) -> Any:
        x = m.zeros(3, 1)
        x.expand(3, 2).fill_(2)
        y = m.ones(1, 2)
        y.expand(4, 2).zero_()
        return x.clone(), y.clone()
    check(case)


def test_expand_to_the_same_shape_is_writable() -> None:
    def case(m: Any) -> Any:
        x = m.zeros(2, 3)
        x.expand(2, 3).add_(1)
        x.expand_as(x)[0] = 5
        return x.clone()
    check(case)


# ---------------------------------------------------------------------------- in-place ops on views with autograd

INPLACE_STEPS: list[tuple[str, Callable[[Any, Any], Any]]] = [
    ("mul_", lambda m, v: v.mul_(3)), ("add_", lambda m, v: v.add_(1, alpha=2)), ("zero_", lambda m, v: v.zero_()),
    ("fill_", lambda m, v: v.fill_(2)), ("exp_", lambda m, v: v.exp_()), ("sigmoid_", lambda m, v: v.sigmoid_()),
    ("pow_", lambda m, v: v.pow_(2)), ("div_", lambda m, v: v.div_(4)), ("neg_", lambda m, v: v.neg_()),
    ("copy_", lambda m, v: v.copy_(m.ones(v.shape) * 2)), ("iadd", lambda m, v: v.__iadd__(5)),
    ("tril_", lambda m, v: v.tril_() if v.dim() >= 2 else v.abs_()),
]
VIEW_KINDS: list[tuple[str, Callable[[Any], Any]]] = [
    ("select", lambda y: y[0]), ("col", lambda y: y[:, 1]), ("view", lambda y: y.view(2, 6)),
    ("t", lambda y: y.t()), ("slice_step", lambda y: y[1:, ::2]), ("view_of_view", lambda y: y.t()[1:]),
    ("diagonal", lambda y: y.diagonal()), ("unsqueeze", lambda y: y.unsqueeze(0)),
]


@pytest.mark.parametrize("kind,view", VIEW_KINDS, ids=[v[0] for v in VIEW_KINDS])
@pytest.mark.parametrize("name,step", INPLACE_STEPS, ids=[s[0] for s in INPLACE_STEPS])
def test_inplace_on_view_rewrites_history(kind: str, view: Callable[[Any], Any], name: str,
                                          step: Callable[[Any, Any], Any]) -> None:
    def case(m: Any) -> Any:
        x = m.tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)
        y = x * 2
        v = view(y)
        step(m, v)
        out = [tree(y), tree(v), y._version, v._version, v.requires_grad, v.is_leaf, y.is_leaf]
        (y * y).sum().backward()
        return out + [y.detach().clone(), v.detach().clone(), x.grad]
    check(case)


def test_brief_examples_names() -> None:
    def case(m: Any) -> Any:
        x = m.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        out = []
        for make in (lambda y: y[0].mul_(3), lambda y: y.view(2, 2).add_(1), lambda y: y.t().zero_()):
            y = x * 2
            r = make(y)
            out += [tree(y, 4), tree(r, 4), r._base is y]
        return out
    check(case)


def test_other_views_see_the_new_history() -> None:
    """Views made before an in-place change of their base (or of another view) show it, value and gradient."""
    def case(m: Any) -> Any:
        x = m.tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
        w = m.tensor([2.0, -1.0, 0.5], requires_grad=True)
        y = x * 1
        a, b, c = y[0], y[1], y.t()
        a.mul_(w)            # through one view
        y[1].add_(a)         # through another, reading the first
        out = [tree(a), tree(b), tree(c), tree(y)]
        (b * c.t()[1] + a.exp()).sum().backward()
        return out + [a.detach().clone(), b.detach().clone(), x.grad, w.grad]
    check(case)


def test_base_changed_in_place_then_view_used() -> None:
    def case(m: Any) -> Any:
        x = m.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        y = x * 1
        v = y[1:3]
        y.mul_(x)
        z = (v * v).sum()
        z.backward()
        return tree(v), x.grad
    check(case)


def test_view_of_non_requiring_base_modified_with_requiring_value() -> None:
    def case(m: Any) -> Any:
        w = m.tensor([1.0, -2.0], requires_grad=True)
        y = m.zeros(2, 3)
        v = y[:, 1]
        u = y[0]
        v.add_(w * w)
        out = [tree(y), tree(v), tree(u), y.requires_grad, u.requires_grad, y.is_leaf]
        (y * m.arange(6.0).reshape(2, 3)).sum().backward()
        return out + [w.grad]
    check(case)


def test_base_not_requiring_grad_modified_by_requiring_value() -> None:
    def case(m: Any) -> Any:
        w = m.tensor(3.0, requires_grad=True)
        y = m.ones(3)
        v = y[1:]
        y.mul_(w)
        out = [tree(v), v.requires_grad]
        v.sum().backward()
        return out + [w.grad]
    check(case)


def test_inplace_on_view_with_tensor_operand_gradients() -> None:
    def case(m: Any) -> Any:
        x = m.tensor(np.linspace(0.5, 2, 6).reshape(2, 3), requires_grad=True)
        w = m.tensor([1.5, -0.5], requires_grad=True)
        y = x * 1.5
        y[:, 2].mul_(w).add_(w)
        y.t()[0].div_(w)
        (y ** 2).sum().backward()
        return tree(y, 4), x.grad, w.grad
    check(case)


def test_inplace_on_view_under_no_grad() -> None:
    def case(m: Any) -> Any:
        x = m.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = x * 2
        v = y[0]
        with m.no_grad():
            v.mul_(3)
        out = [tree(y), tree(v), y._version]
        y.sum().backward()
        return out + [x.grad, y.detach().clone()]
    check(case)


def test_view_of_leaf_under_no_grad() -> None:
    def case(m: Any) -> Any:
        x = m.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        with m.no_grad():
            x[0].mul_(2)
            x.t()[1] = 7
        return x.detach().clone(), x.is_leaf, x._version, x.grad_fn is None
    check(case)


def test_chain_of_inplace_ops_on_views() -> None:
    def case(m: Any) -> Any:
        x = m.tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)
        y = x.sin()
        for i in range(3):
            y[i, i:].mul_(x[i, i:])
            y[:, i].add_(1)
        y.diagonal().sqrt_() if hasattr(y, "sqrt_") else None
        (y * y).sum().backward()
        return tree(y, 2), y._version, x.grad
    check(case)


def test_inplace_on_view_in_a_loop_gradients() -> None:
    def case(m: Any) -> Any:
        x = m.tensor([0.5, -1.0, 2.0, 1.5], requires_grad=True)
        y = m.zeros(4)
        for i in range(4):
            y[i] = x[i] * (y[i - 1] + 1 if i else 1.0)
        y.sum().backward()
        return y.detach().clone(), x.grad, tree(y, 2)
    check(case)


def test_retain_grad_follows_the_base() -> None:
    def case(m: Any) -> Any:
        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1
        y.retain_grad()
        y.mul_(3)
        z = x * 1
        z.retain_grad()
        z[0].mul_(3)
        (y.sum() + (z * z).sum()).backward()
        return y.grad, z.grad, x.grad
    check(case)


def test_composite_inplace_op_on_view() -> None:
    """An in-place op computed by several ops (its node's first input is not the old value): the region
    is replaced by the result, whose own graph reaches the old value (same gradients as PyTorch)."""
    from glassgrad.ops import elementwise as E
    from glassgrad.ops.inplace import _rebase, _snapshot

    torch = need_torch()
    grads = []
    for m in (gg, torch):
        x = m.tensor(np.linspace(-1, 1, 6).reshape(2, 3).tolist(), requires_grad=True)
        w = m.tensor([0.5, 2.0], requires_grad=True)
        y = x * x
        v = y[:, 1]
        if m is gg:
            _rebase(v, E.add(E.mul(_snapshot(v), 2), w))
            assert y.grad_fn.name() == "torch::autograd::CopySlices" and v.grad_fn.name() == "AsStridedBackward0"
        else:
            v.mul_(2).add_(w)
        (y * y.exp()).sum().backward()
        grads.append((y.detach().clone(), x.grad, w.grad))
    same(grads[0], grads[1])


def test_retain_grad_of_views_follows_them() -> None:
    def case(m: Any) -> Any:
        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 1
        v, w = y[1:], y[:2]
        v.retain_grad()
        w.retain_grad()
        v.mul_(3)
        (v * w.sum()).sum().backward()
        return v.grad, w.grad, x.grad
    check(case)


def test_setitem_of_requiring_value_into_plain_tensor() -> None:
    def case(m: Any) -> Any:
        w = m.tensor([1.0, -2.0], requires_grad=True)
        y = m.zeros(3, 2)
        y[1] = w * 2
        y[[0, 2], 1] = w
        out = [tree(y, 2), y.requires_grad, y.is_leaf]
        (y * y).sum().backward()
        return out + [w.grad]
    check(case)


GETITEM_NAMES = ["x[0:3, 1]", "x[0:3]", "x[:]", "x[:, :]", "x[0:5, 1:2]", "x[..., 0:4]", "x[None, 0:3]", "x[1, 0:4]",
                 "x[m.tensor(1)]", "x[m.tensor([1])]", "x[0, ...]", "x[[True, False, True]]", "x[True]", "x[False]",
                 "x[1:, [0, 1]]", "x[:, None, [0, 1]]", "x[()]", "x[...]", "x[:, -1]", "x[::2]", "x[None, None, ..., None]",
                 "x[m.tensor(True)]", "x[0][1]", "x[np.int64(1)]", "x[0:0]", "x[-10:]", "x[:, -10:10]", "x[:-0, 1]",
                 "x[0:100, 1]", "x[-3:, 1]", "x[0::1, 1]"]


@pytest.mark.parametrize("expr", GETITEM_NAMES)
def test_getitem_history_and_views(expr: str) -> None:
    def case(m: Any) -> Any:
        x = m.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
        r = eval(expr)
        chain, fn = [], r.grad_fn
        while fn is not None and "AccumulateGrad" not in fn.name():
            chain.append(fn.name())
            fn = fn.next_functions[0][0]
        return chain, r._base is x, r.detach().clone()
    check(case)


def test_tensor_hook_stays_with_the_old_value() -> None:
    def case(m: Any) -> Any:
        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1
        seen: list[Any] = []
        y.register_hook(lambda g: seen.append(g.clone()))
        y[1].mul_(5)
        y.sum().backward()
        return seen, x.grad
    check(case)


def test_second_backward_through_copyslices() -> None:
    def case(m: Any) -> Any:
        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1
        y[0].add_(1)
        y.sum().backward(retain_graph=True)
        y.sum().backward()
        return x.grad
    check(case)

    def twice(m: Any) -> None:
        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1
        y[0].add_(1)
        y.sum().backward()
        y.sum().backward()
    same_error(twice)


# ---------------------------------------------------------------------------- double backward

DOUBLE: list[tuple[str, Callable[[Any, Any], Any]]] = [
    ("mul_select", lambda m, x: _then(x * x, lambda y: y[0].mul_(x[1]))),
    ("exp_slice", lambda m, x: _then(x * 1, lambda y: y[1:, ::2].exp_())),
    ("pow_t", lambda m, x: _then(x.sin(), lambda y: y.t().pow_(3))),
    ("setitem", lambda m, x: _then(x * 2, lambda y: y.__setitem__((slice(None), 0), x[:, 1] ** 2))),
    ("setitem_index", lambda m, x: _then(x * 2, lambda y: y.__setitem__([1, 0], x[0] * x[1]))),
    ("view_then_base", lambda m, x: _then(x * x, lambda y: (y.view(-1).mul_(x.view(-1)), y.sigmoid_()))),
    ("diagonal", lambda m, x: _then(x * x, lambda y: y.diagonal().mul_(x[0, :2]))),
    ("fill", lambda m, x: _then(x * x, lambda y: y[0].fill_(x[1, 1]))),
    ("copy", lambda m, x: _then(x * x, lambda y: y[1].copy_(x[0].exp()))),
    ("asstrided_view", lambda m, x: _view_after(x)),
]


def _then(y: Any, step: Callable[[Any], Any]) -> Any:
    step(y)
    return y


def _view_after(x: Any) -> Any:
    y = x * x
    v = y[:, 1]
    y.mul_(x)
    return v * 2


@pytest.mark.parametrize("name,fn", DOUBLE, ids=[d[0] for d in DOUBLE])
def test_double_backward_through_inplace_on_views(name: str, fn: Callable[[Any, Any], Any]) -> None:
    def case(m: Any) -> Any:
        x = m.tensor(np.linspace(0.3, 1.4, 6).reshape(2, 3), requires_grad=True)
        out = fn(m, x)
        up = m.tensor(np.linspace(-1, 1, out.numel()).reshape(out.shape))
        (g,) = m.autograd.grad(out, x, up, create_graph=True)
        (g * g).sum().backward()
        return g.detach().clone(), x.grad
    check(case)


# ---------------------------------------------------------------------------- errors

def _y(m: Any) -> Any:
    return m.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True) * 2


def _no_grad_view(m: Any, base: Any) -> Any:
    with m.no_grad():
        return base[0]


ERRORS: list[tuple[str, Callable[[Any], Any]]] = [
    ("view_of_leaf_select", lambda m: m.ones(2, 2, requires_grad=True)[0].mul_(2)),
    ("view_of_leaf_view", lambda m: m.ones(2, 2, requires_grad=True).view(4).zero_()),
    ("view_of_leaf_setitem", lambda m: m.ones(2, 2, requires_grad=True).__setitem__(0, 1.0)),
    ("leaf_setitem_index", lambda m: m.ones(2, 2, requires_grad=True).__setitem__([0], 1.0)),
    ("leaf_setitem_ellipsis", lambda m: m.ones(2, 2, requires_grad=True).__setitem__(..., 1.0)),
    ("leaf_setitem_full_slice", lambda m: m.ones(2, 2, requires_grad=True).__setitem__(slice(None), 1.0)),
    ("no_grad_view", lambda m: _no_grad_view(m, _y(m)).mul_(2)),
    ("no_grad_view_setitem", lambda m: _no_grad_view(m, _y(m)).__setitem__(0, 2.0)),
    ("no_grad_view_of_leaf", lambda m: _no_grad_view(m, m.ones(2, 2, requires_grad=True)).mul_(2)),
    ("no_grad_view_requiring_value", lambda m: _no_grad_view(m, m.ones(2, 2)).mul_(m.ones(2, requires_grad=True))),
    ("view_of_no_grad_view", lambda m: _no_grad_view(m, _y(m))[1:].mul_(2)),
    ("unbind", lambda m: _y(m).unbind()[1].mul_(2)),
    ("unbind_iter", lambda m: [r.add_(1) for r in _y(m)]),
    ("split", lambda m: _y(m).split(1)[0].zero_()),
    ("split_one_output", lambda m: _y(m).split(2)[0].zero_()),
    ("split_sizes", lambda m: _y(m).split([1, 1], 1)[1].exp_()),
    ("chunk", lambda m: _y(m).chunk(2)[0].fill_(1)),
    ("view_of_unbind", lambda m: _y(m).unbind()[1].view(2, 1).mul_(2)),
    ("setitem_on_unbind", lambda m: _y(m).unbind()[1].__setitem__(0, 5.0)),
    ("unbind_requiring_value", lambda m: m.ones(2, 2).unbind()[0].add_(m.ones(2, requires_grad=True))),
    ("saved_view_modified", lambda m: _saved_then_modified(m)),
    ("saved_output_of_view_op", lambda m: _saved_output_then_modified(m)),
    ("mul_self_in_place", lambda m: _mul_self(m)),
    ("inference_tensor", lambda m: _inference_in_place(m)),
    ("inference_mode_view", lambda m: _inference_view_in_place(m)),
    ("no_grad_view_modified_twice", lambda m: _no_grad_view_modified_twice(m)),
]


def _saved_then_modified(m: Any) -> None:
    y = _y(m)
    a = y[0]
    b = a * a
    y.mul_(2)
    b.sum().backward()


def _saved_output_then_modified(m: Any) -> None:
    y = _y(m)
    s = y.exp()
    s[0].mul_(2)
    s.sum().backward()


def _mul_self(m: Any) -> None:
    y = _y(m)
    y.mul_(y)
    y.sum().backward()


def _inference_in_place(m: Any) -> None:
    with m.inference_mode():
        t = m.ones(3)
    t[0:2].mul_(2)


def _inference_view_in_place(m: Any) -> None:
    x = m.ones(2, 2, requires_grad=True)
    with m.inference_mode():
        v = x[0]
        v.mul_(2)  # allowed inside
    v.mul_(2)


def _no_grad_view_modified_twice(m: Any) -> None:
    y = _y(m)
    with m.no_grad():
        v = y[0]
        v.mul_(2)
    v.mul_(2)


@pytest.mark.parametrize("name,fn", ERRORS, ids=[e[0] for e in ERRORS])
def test_inplace_errors_match_torch(name: str, fn: Callable[[Any], Any]) -> None:
    same_error(fn)


def test_error_leaves_values_unchanged() -> None:
    x = gg.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError):
        x[0].mul_(2)
    assert x._version == 0 and to_np(x).tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_multi_output_view_after_base_change_is_invalid() -> None:
    """PyTorch raises when such a view is used; glassgrad prints it as PyTorch does and raises the same
    error when a gradient reaches it."""
    torch = need_torch()
    msgs = []
    for m in (gg, torch):
        y = _y(m)
        a, b = y.unbind()
        y.mul_(2)
        assert repr(a).endswith("grad_fn=<Invalid>)")
        with pytest.raises(RuntimeError) as e:
            (a * 2).sum().backward()
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]
    assert msgs[0].startswith("Output 0 of Unbind is a view and its base or another view of its base has been")


def test_views_made_in_inference_mode() -> None:
    def case(m: Any) -> Any:
        x = m.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        with m.inference_mode():
            v = x[0]
            t = m.ones(3)
            w = t[1:]
            flags = [v.is_inference(), v.requires_grad, w.is_inference(), repr(v)]
            v.mul_(2)
        return flags + [x.detach().clone(), w.is_inference()]
    check(case)


def test_no_grad_view_reports_requires_grad_as_torch() -> None:
    def case(m: Any) -> Any:
        x = m.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        with m.no_grad():
            v = x[0]
            w = v.t()
        return v.requires_grad, v.is_leaf, v.grad_fn is None, repr(v), w.requires_grad
    check(case)


# ---------------------------------------------------------------------------- x[...] = v

SETITEM_CASES: list[tuple[str, Any, Any]] = [
    ("int", 1, 5.0), ("slice", slice(1, None), 0.5), ("step", slice(None, None, 2), -1.0),
    ("tuple", (0, slice(1, 3)), 2.0), ("ellipsis", ..., 3.0), ("none", None, 1.0), ("true", True, 4.0),
    ("false", False, 4.0), ("list", [0, 2], 9.0), ("mask", "mask", 0.0), ("list_list", ([0, 1], [1, 2]), 7.0),
    ("tensor_value", (slice(None), 0), "tensor"), ("broadcast_row", slice(0, 2), "row"),
    ("tensor_int_index", "tint", 6.0),
]


def _index(m: Any, index: Any, x: Any) -> Any:
    if isinstance(index, str):
        return x > 4 if index == "mask" else m.tensor(2)
    return index


def _value(m: Any, value: Any) -> Any:
    if value == "tensor":
        return m.tensor([1.0, 2.0, 3.0])
    if value == "row":
        return m.tensor([[1.0, 2.0, 3.0, 4.0]])
    return value


@pytest.mark.parametrize("name,index,value", SETITEM_CASES, ids=[c[0] for c in SETITEM_CASES])
def test_setitem_values_version_and_history(name: str, index: Any, value: Any) -> None:
    def case(m: Any) -> Any:
        x = m.arange(12.0).reshape(3, 4).clone()
        x[_index(m, index, x)] = _value(m, value)
        out = [x.clone(), x._version]
        leaf = m.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
        y = leaf * 1
        y[_index(m, index, y)] = _value(m, value)
        out += [tree(y), y._version]
        (y * y).sum().backward()
        return out + [leaf.grad]
    check(case)


def test_setitem_gradient_for_value() -> None:
    def case(m: Any) -> Any:
        x = m.tensor(np.linspace(-1, 1, 12).reshape(3, 4).tolist(), requires_grad=True)
        v = m.tensor([0.5, 1.5, -2.0], requires_grad=True)
        s = m.tensor(3.0, requires_grad=True)
        y = x.exp() * 1
        y[:, 1] = v
        y[[0, 2], 3] = v[:2] * s
        y[y < 0.5] = s
        y[1:, None, 2] = v[:2].unsqueeze(1)
        (y * y).sum().backward()
        return tree(y, 2), x.grad, v.grad, s.grad
    check(case)


def test_setitem_into_leaf_under_no_grad() -> None:
    def case(m: Any) -> Any:
        x = m.zeros(3, 2, requires_grad=True)
        with m.no_grad():
            x[0] = 1.0
            x[1:, 1] = m.tensor([2.0, 3.0])
            x[x > 2.5] = -1.0
        return x.detach().clone(), x.is_leaf, x.requires_grad, x._version
    check(case)


def test_setitem_casts_and_converts() -> None:
    def case(m: Any) -> Any:
        a = m.zeros(3, dtype=m.int64)
        a[0] = 2.7
        a[1:] = m.tensor([1.5, -2.5])
        b = m.zeros(2, 2)
        b[0] = m.tensor([1, 2])
        b[1] = True
        b[1, 1] = np.int32(4)
        b[0, 0] = np.float64(0.5)
        t = m.tensor(1.0)
        t[...] = 2.0
        t[None] = m.tensor([3.0])
        t[()] = 4.0
        t[True] = 5.0
        return a.clone(), b.clone(), t.clone(), t._version
    check(case)


SETITEM_ERRORS: list[tuple[str, Callable[[Any], Any]]] = [
    ("list_value", lambda m: m.zeros(2, 2).__setitem__(0, [1.0, 2.0])),
    ("shape_mismatch", lambda m: m.zeros(2, 2).__setitem__(0, m.ones(3))),
    ("shape_mismatch_index", lambda m: m.zeros(2, 2).__setitem__([0, 1], m.ones(3))),
    ("shape_mismatch_mask", lambda m: m.zeros(3).__setitem__(m.tensor([True, False, True]), m.ones(3))),
    ("index_dtype", lambda m: m.zeros(2, 2).__setitem__([0], m.ones(1, 2, dtype=m.float64))),
    ("out_of_range", lambda m: m.zeros(2, 2).__setitem__(2, 1.0)),
    ("index_out_of_range", lambda m: m.zeros(2, 2).__setitem__([0, 2], 1.0)),
    ("too_many", lambda m: m.zeros(2).__setitem__((0, 0), 1.0)),
    ("float_index", lambda m: m.zeros(2).__setitem__(m.tensor([0.0]), 1.0)),
    ("mask_shape", lambda m: m.zeros(2, 2).__setitem__(m.tensor([True, False, True]), 1.0)),
    ("0d_int", lambda m: m.tensor(1.0).__setitem__(0, 1.0)),
    ("0d_slice", lambda m: m.tensor(1.0).__setitem__(slice(None), 1.0)),
    ("0d_list", lambda m: m.tensor(1.0).__setitem__([0], 1.0)),
    ("numpy_float32_value", lambda m: m.zeros(2).__setitem__(0, np.float32(1.0))),
    ("numpy_bool_value", lambda m: m.zeros(2).__setitem__(0, np.bool_(True))),
    ("none_value", lambda m: m.zeros(2).__setitem__(0, None)),
    ("getitem_0d_int", lambda m: m.tensor(1.0)[0]),
    ("getitem_0d_slice", lambda m: m.tensor(1.0)[0:1]),
    ("getitem_0d_tuple", lambda m: m.tensor(1.0)[None, 0]),
    ("getitem_negative_step", lambda m: m.zeros(3)[::-1]),
    ("setitem_negative_step", lambda m: m.zeros(3, 2).__setitem__((slice(None, None, -1), 0), 1.0)),
]


@pytest.mark.parametrize("name,fn", SETITEM_ERRORS, ids=[e[0] for e in SETITEM_ERRORS])
def test_setitem_errors_match_torch(name: str, fn: Callable[[Any], Any]) -> None:
    same_error(fn)


def test_index_put_errors_and_accumulate() -> None:
    def case(m: Any) -> Any:
        x = m.zeros(3)
        x.index_put_((m.tensor([0, 0, 2]),), m.tensor([1.0, 2.0, 3.0]), accumulate=True)
        y = x.index_put((m.tensor([1]),), m.tensor(5.0))
        return x.clone(), y, x._version
    check(case)
    same_error(lambda m: m.zeros(3).index_put_((m.tensor([0]),), m.tensor([1], dtype=m.int64)))
