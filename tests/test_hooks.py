"""Hooks against PyTorch: tensor hooks, retain_grad, node pre/post hooks, post-accumulate hooks, removal, order."""

from __future__ import annotations

from typing import Any

import pytest

import glassgrad as gg


def _scenario(m: Any, remove_first: bool = False) -> list[Any]:
    log: list[Any] = []
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = (y * y).sum()
    y.retain_grad()  # registered first: PyTorch still runs it after the tensor hooks
    h1 = y.register_hook(lambda g: log.append(("y-hook1", g.tolist())))
    y.register_hook(lambda g: (log.append(("y-hook2", g.tolist())), g * 10)[1])
    y.grad_fn.register_prehook(lambda go: log.append(("pre", [t.tolist() for t in go])))
    y.grad_fn.register_hook(lambda gi, go: log.append(
        ("post", [None if t is None else t.tolist() for t in gi], [t.tolist() for t in go])))
    x.register_hook(lambda g: (log.append(("x-hook", g.tolist())), g + 1)[1])
    x.register_post_accumulate_grad_hook(lambda t: log.append(("x-post-acc", t.grad.tolist())))
    if remove_first:
        h1.remove()
    z.backward()
    log += [("y.grad", y.grad.tolist()), ("x.grad", x.grad.tolist())]
    return log


@pytest.mark.parametrize("remove_first", [False, True])
def test_hook_order_and_effects_match_torch(remove_first: bool) -> None:
    torch = pytest.importorskip("torch")
    assert _scenario(gg, remove_first) == _scenario(torch, remove_first)


def test_node_hooks_can_replace_gradients() -> None:
    torch = pytest.importorskip("torch")

    def case(m: Any) -> list[Any]:
        x = m.tensor([1.0, -2.0, 3.0], requires_grad=True)
        y = x.sin()
        y.grad_fn.register_prehook(lambda go: (go[0] * 2,))
        y.grad_fn.register_hook(lambda gi, go: (gi[0] + 1,))
        y.sum().backward()
        return x.grad.tolist()

    assert case(gg) == pytest.approx(case(torch))


def test_hook_on_tensor_that_does_not_require_grad() -> None:
    torch = pytest.importorskip("torch")
    for m in (gg, torch):
        with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
            m.ones(2).register_hook(lambda g: g)


def test_handle_as_context_manager_removes_the_hook() -> None:
    calls = []
    x = gg.ones(2, requires_grad=True)
    with x.register_hook(lambda g: calls.append(1)):
        (x * 2).sum().backward()
    (x * 2).sum().backward()
    assert calls == [1]
