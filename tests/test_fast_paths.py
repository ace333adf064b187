"""The speed-ups' written-out paths give what the general ones give (and what PyTorch gives).

* ``ops._base.arith_operands``: a Python number next to a float32/float64 tensor becomes a cached 0-d
  array of the tensor's dtype; values, signs of zero, NaN, infinities and errors must not change.
* ``ops._base.record_one``: recording written out for the common case.
* ``autograd.grad_mode.PLAIN``: one flag for "recording is plain"; it must come back on after every
  mode that turns it off, also when the mode is left by an exception, and modes in another thread
  must still be honoured.
"""

from __future__ import annotations

import operator
import threading
from typing import Any

import numpy as np
import pytest

import glassgrad as gg
from glassgrad.autograd.grad_mode import PLAIN
from opinfo import both, same_error

NUMBERS = [1.01, 0.1, 2, -3, 1e-45, 3.4e38, 1e300, -0.0, 0.0, 0, float("inf"), float("-inf"), float("nan"), True]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "radd", "rmul"])
def test_tensor_with_number_matches_torch_bit_for_bit(dtype: str, op: str) -> None:
    def case(L: Any) -> list[np.ndarray]:
        out = []
        for c in NUMBERS:
            if op == "sub" and c is True:
                continue  # (tensor - bool is an error, the same in both)
            x = L.tensor([0.3, -1.7, 2.5, 0.0, -0.0, 1e-30], dtype=getattr(L, dtype), requires_grad=True)
            y = x * 1  # a non-leaf: the written-out recording path
            f = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
                 "radd": lambda a, b: b + a, "rmul": lambda a, b: b * a}[op]
            r = f(y, c)
            r.sum().backward()
            out += [r.detach().numpy().copy(), x.grad.numpy().copy()]
        return out
    got, expected = both(case)
    for g, e in zip(got, expected):
        assert g.dtype == e.dtype
        np.testing.assert_array_equal(g, e)
        np.testing.assert_array_equal(np.signbit(g), np.signbit(e))


@pytest.mark.parametrize("v", [2 ** 64, 2 ** 200, -2 ** 63 - 1])
@pytest.mark.parametrize("form", ["mul", "rmul", "add", "div", "0-d"])
def test_int_too_big_for_64_bits(v: int, form: str) -> None:
    """PyTorch converts a Python int through a 64-bit integer: beyond that it raises OverflowError."""
    same_error(lambda L: {"mul": lambda: L.ones(3) * v, "rmul": lambda: v * L.ones(3),
                          "add": lambda: L.ones(3) + v, "div": lambda: L.ones(3) / v,
                          "0-d": lambda: L.tensor(2.0) * v}[form]())


def test_ints_that_fit_64_bits_with_float_tensors() -> None:
    got, expected = both(lambda L: [(L.ones(2) * v).tolist() for v in (2 ** 62, 2 ** 63 - 1, 2 ** 63, 2 ** 64 - 1, -2 ** 63)])
    assert got == expected


def test_constant_cache_stays_small_and_read_only() -> None:
    from glassgrad.ops import _base
    x = gg.ones(4)
    for i in range(3000):
        x * (i + 0.5)
    for _ in range(2000):
        x * float("nan")  # NaN keys never match: the cache must not grow without bound
    assert len(_base._C32) <= 1025
    c = _base.arith_operands(x, 1.25)[1]
    assert c.shape == () and c.dtype == np.float32 and not c.flags.writeable


@pytest.mark.parametrize("save", ["input", "result"])
def test_unary_recording_saves_and_checks_versions(save: str) -> None:
    """sin saves its input, tanh its result: changing either in place before backward raises PyTorch's error."""
    def case(L: Any) -> Any:
        x = L.tensor([0.5, 1.5], requires_grad=True)
        y = x * 2
        z = y.sin() if save == "input" else y.tanh()
        (y if save == "input" else z).add_(1)
        z.sum().backward()
    same_error(case)


def test_unary_on_a_leaf_parameter_and_in_inference_mode() -> None:
    def case(L: Any) -> list[Any]:
        p = L.nn.Parameter(L.tensor([0.5, 1.5]))
        y = (p * 3).exp()
        y.sum().backward()
        with L.inference_mode():
            q = (p * 2).sin()
        return [y.grad_fn.name(), p.grad.tolist(), q.is_inference(), q.requires_grad, (p * 2).is_inference()]
    got, expected = both(case)
    assert got == expected


def _modes() -> list[Any]:
    return [
        lambda: gg.inference_mode(),
        lambda: gg.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t),
        lambda: gg.autograd.set_detect_anomaly(True),
        lambda: gg.autograd.forward_ad.dual_level(),
    ]


@pytest.mark.parametrize("make", _modes())
def test_plain_flag_comes_back_after_each_mode_even_on_error(make: Any) -> None:
    assert PLAIN.on
    with pytest.raises(ZeroDivisionError), make():
        if isinstance(make(), gg.autograd.forward_ad.dual_level):
            gg.autograd.forward_ad.make_dual(gg.ones(2), gg.ones(2))
        else:
            assert not PLAIN.on
        raise ZeroDivisionError
    assert PLAIN.on


def test_inference_mode_in_another_thread_is_honoured() -> None:
    """While one thread is in inference mode the others take the full path: still right, not marked."""
    inside = threading.Event()
    leave = threading.Event()

    def worker() -> None:
        with gg.inference_mode():
            inside.set()
            leave.wait(10)

    t = threading.Thread(target=worker)
    t.start()
    try:
        inside.wait(10)
        assert not PLAIN.on
        x = gg.tensor([1.0, 2.0], requires_grad=True)
        y = (x * 2).sin() + 1
        assert not y.is_inference() and y.requires_grad
        y.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), 2 * np.cos(np.array([2.0, 4.0], dtype=np.float32)), rtol=1e-6)
    finally:
        leave.set()
        t.join()
    assert PLAIN.on


def test_a_leafs_first_gradient_is_taken_over_only_when_nothing_else_holds_it() -> None:
    """As PyTorch's AccumulateGrad does, a fresh gradient nothing else references becomes .grad without a
    copy; a gradient shared with another leaf, the caller's ``gradient=``, a hook's tensor or a live view
    is copied.  Changing any .grad in place afterwards must change nothing else."""
    def case(L: Any) -> list[Any]:
        out = []
        x = L.tensor([1.0, 2.0], requires_grad=True)
        w = L.tensor([3.0, 4.0], requires_grad=True)
        (x + w).sin().sum().backward()          # AddBackward0 passes one array to both leaves
        x.grad.mul_(10)
        out.append(w.grad.tolist())
        g = L.tensor([0.5, 0.25])
        v = L.tensor([1.0, 1.0], requires_grad=True)
        v.backward(g)                           # the caller's gradient reaches the leaf as it is
        v.grad.add_(1)
        out.append(g.tolist())
        h = L.tensor([1.0, 2.0], requires_grad=True)
        kept = []
        h.register_hook(lambda t: kept.append(t))
        (h * 3).sum().backward()
        h.grad.add_(100)
        out.append([t.tolist() for t in kept])
        W = L.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        X = L.tensor([[1.0, 0.0], [2.0, 1.0], [0.5, 0.5]])
        y = L.nn.functional.linear(X, W)
        (y * y).sum().backward()
        first = W.grad.clone()
        y2 = L.nn.functional.linear(X, W)
        (y2 * y2).sum().backward()              # accumulates into the .grad taken over: in place, once
        out.append([first.tolist(), W.grad.tolist()])
        return out
    got, expected = both(case)
    assert got == expected


def test_every_way_of_making_a_tensor_sets_every_field() -> None:
    """A result tensor is filled in field by field in three places (tensor._init, ops._base.wrap and
    record_one, written out for speed): each must set every slot, so a new field cannot be forgotten."""
    slots = [s for s in gg.Tensor.__slots__ if s != "__weakref__"]
    x = gg.tensor([0.5, 1.5], requires_grad=True)
    y = x * 2                                   # record (leaf input)
    made = {
        "tensor()": gg.tensor([1.0, 2.0]), "_init": gg.Tensor(2, 3), "wrap": gg.ones(2) + 1,
        "record_one input": y.sin(), "record_one result": y.tanh(), "record_one number": y * 1.5,
        "record_one via record": x.exp(),
    }
    for how, t in made.items():
        for s in slots:
            assert hasattr(t, s), (how, s)
