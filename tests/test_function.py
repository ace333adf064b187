"""``glassgrad.autograd.Function`` against ``torch.autograd.Function``: the same classes run on both."""

from __future__ import annotations

import gc
import warnings
import weakref
from typing import Any

import numpy as np
import pytest

import glassgrad as gg


def _fns(lib: Any) -> dict[str, Any]:
    """Custom Functions written once, for ``lib`` = glassgrad or torch."""
    Function = lib.autograd.Function
    once_differentiable = lib.autograd.function.once_differentiable

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    class ExpSC(Function):  # setup_context form saving the output
        @staticmethod
        def forward(x):
            return x.exp()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(output)

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    class LegendreP3(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return 0.5 * (5 * x ** 3 - 3 * x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 1.5 * (5 * x ** 2 - 1)

    class MulK(Function):  # setup_context form, a non-tensor input with a default
        @staticmethod
        def forward(x, k=3.0):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.k = inputs[1]

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    class Mul(Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            ctx.nig = ctx.needs_input_grad
            ctx.grad_mode = lib.is_grad_enabled()
            return a * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g * b if ctx.needs_input_grad[0] else None, g * a if ctx.needs_input_grad[1] else None

    class Split(Function):  # two outputs, one of them integer, one marked non-differentiable
        @staticmethod
        def forward(ctx, x):
            s = x * 3
            ctx.mark_non_differentiable(s)
            return x * 2, x.argmax(), s, x.sin()

        @staticmethod
        def backward(ctx, g1, g2, g3, g4):
            ctx.seen = [None if g is None else g.tolist() for g in (g1, g2, g3, g4)]
            return g1 * 2

    class SplitNoMat(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            ctx.seen = [g is None for g in (g1, g2)]
            out = 0
            if g1 is not None:
                out = out + 2 * g1
            if g2 is not None:
                out = out + 3 * g2
            return out

    class Double(Function):  # in place
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return 2 * g

    class Once(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    class Ident(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    return {k: v for k, v in locals().items() if isinstance(v, type)}


def _both() -> tuple[Any, dict[str, Any], dict[str, Any]]:
    torch = pytest.importorskip("torch")
    return torch, _fns(gg), _fns(torch)


def _pair(torch: Any, data: Any, requires_grad: bool = True) -> tuple[Any, Any]:
    return (gg.tensor(data, requires_grad=requires_grad), torch.tensor(data, requires_grad=requires_grad))


def _close(a: Any, b: Any) -> None:
    assert a.shape == tuple(b.shape)
    np.testing.assert_allclose(np.asarray(a.detach().numpy()), b.detach().numpy(), rtol=1e-6, atol=1e-6)


def _err(fn: Any) -> tuple[type, str]:
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - comparing the exception itself
        return type(e), str(e)
    return (type(None), "")


DATA = [0.3, -1.2, 2.0]


@pytest.mark.parametrize("name", ["Exp", "ExpSC", "LegendreP3", "MulK", "Ident"])
def test_values_grads_names(name: str) -> None:
    torch, G, T = _both()
    xg, xt = _pair(torch, DATA)
    yg, yt = G[name].apply(xg * 1), T[name].apply(xt * 1)
    _close(yg, yt)
    assert yg.grad_fn.name() == yt.grad_fn.name() == name + "Backward"
    assert type(yg.grad_fn).__name__ == name + "Backward"
    assert isinstance(yg.grad_fn, gg.autograd.function.BackwardCFunction)
    assert repr(yg).split("grad_fn=")[1] == repr(yt).split("grad_fn=")[1]
    assert G[name]._backward_cls is type(yg.grad_fn) and yg.grad_fn._forward_cls is G[name]
    (yg * yg).sum().backward()
    (yt * yt).sum().backward()
    _close(xg.grad, xt.grad)


def test_next_functions_and_needs_input_grad() -> None:
    torch, G, T = _both()
    ag, at = _pair(torch, DATA)
    bg, bt = _pair(torch, [1.0, 2.0, 3.0], requires_grad=False)
    yg, yt = G["Mul"].apply(ag, bg), T["Mul"].apply(at, bt)
    assert yg.grad_fn.nig == yt.grad_fn.nig == (True, False)
    assert yg.grad_fn.grad_mode is yt.grad_fn.grad_mode is False
    assert yg.grad_fn.next_functions[0][0] is ag.grad_fn or yg.grad_fn.next_functions[0][0].name().endswith(
        "AccumulateGrad")
    assert yg.grad_fn.next_functions[1] == (None, 0)
    yg.sum().backward()
    yt.sum().backward()
    _close(ag.grad, at.grad)
    assert bg.grad is None and bt.grad is None
    # no input requires grad, or grad mode off: no node (needs_input_grad still reflects requires_grad)
    with gg.no_grad():
        zg = G["Mul"].apply(ag, bg)
    with torch.no_grad():
        zt = T["Mul"].apply(at, bt)
    assert zg.grad_fn is None and zt.grad_fn is None and not zg.requires_grad and not zt.requires_grad
    assert zg.grad_fn is None


def test_setup_context_kwargs() -> None:
    torch, G, T = _both()
    xg, xt = _pair(torch, DATA)
    G["MulK"].apply(xg, k=5.0).sum().backward()
    T["MulK"].apply(xt, k=5.0).sum().backward()
    _close(xg.grad, xt.grad)


def test_multi_output_non_differentiable_and_materialize() -> None:
    torch, G, T = _both()
    xg, xt = _pair(torch, DATA)
    og, ot = G["Split"].apply(xg), T["Split"].apply(xt)
    assert [o.requires_grad for o in og] == [o.requires_grad for o in ot] == [True, False, False, True]
    assert [o.grad_fn is None for o in og] == [o.grad_fn is None for o in ot]
    assert og[3]._output_nr == ot[3].output_nr == 3
    og[0].sum().backward()
    ot[0].sum().backward()
    assert og[0].grad_fn.seen == ot[0].grad_fn.seen
    _close(xg.grad, xt.grad)
    sg, st = G["SplitNoMat"].apply(xg), T["SplitNoMat"].apply(xt)
    sg[1].sum().backward()
    st[1].sum().backward()
    assert sg[1].grad_fn.seen == st[1].grad_fn.seen == [True, False]
    _close(xg.grad, xt.grad)


def test_mark_dirty() -> None:
    torch, G, T = _both()
    xg, xt = _pair(torch, DATA)
    ag, at = xg * 1, xt * 1
    bg, bt = G["Double"].apply(ag), T["Double"].apply(at)
    assert bg is ag and bt is at
    assert ag._version == at._version
    assert bg.grad_fn.name() == bt.grad_fn.name() == "DoubleBackward"
    (bg * bg).sum().backward()
    (bt * bt).sum().backward()
    _close(xg.grad, xt.grad)
    # a leaf that requires grad
    assert _err(lambda: G["Double"].apply(gg.tensor(DATA, requires_grad=True))) == _err(
        lambda: T["Double"].apply(torch.tensor(DATA, requires_grad=True)))


def test_input_returned_unchanged_is_a_new_tensor() -> None:
    torch, G, T = _both()
    xg, xt = _pair(torch, DATA)
    yg, yt = G["Ident"].apply(xg), T["Ident"].apply(xt)
    assert (yg is xg) == (yt is xt) is False
    assert yg.grad_fn.name() == yt.grad_fn.name()


def test_once_differentiable() -> None:
    torch, G, T = _both()
    xg, xt = _pair(torch, DATA)
    yg, yt = G["Once"].apply(xg), T["Once"].apply(xt)
    (gxg,) = gg.autograd.grad((yg * yg).sum(), xg, create_graph=True)
    (gxt,) = torch.autograd.grad((yt * yt).sum(), xt, create_graph=True)
    _close(gxg, gxt)
    assert gxg.grad_fn.name() == gxt.grad_fn.name() == "torch::autograd::Error"
    assert _err(lambda: gxg.sum().backward()) == _err(lambda: gxt.sum().backward())
    # plain backward works
    (yg * 1).sum().backward()
    (yt * 1).sum().backward()
    _close(xg.grad, xt.grad)


@pytest.mark.parametrize("name", ["Exp", "ExpSC", "LegendreP3"])
def test_double_backward(name: str) -> None:
    torch, G, T = _both()
    xg, xt = _pair(torch, DATA)
    gs = [G[name].apply(xg).sum()]
    ts = [T[name].apply(xt).sum()]
    for _ in range(3):
        (a,) = gg.autograd.grad(gs[-1].sum(), xg, create_graph=True)
        (b,) = torch.autograd.grad(ts[-1].sum(), xt, create_graph=True)
        _close(a, b)
        gs.append(a)
        ts.append(b)


def test_freed_and_retain_graph() -> None:
    torch, G, T = _both()
    xg, xt = _pair(torch, DATA)
    yg, yt = G["Exp"].apply(xg), T["Exp"].apply(xt)
    yg.sum().backward(retain_graph=True)
    yt.sum().backward(retain_graph=True)
    _close(yg.grad_fn.saved_tensors[0], yt.grad_fn.saved_tensors[0])
    yg.sum().backward()
    yt.sum().backward()
    _close(xg.grad, xt.grad)
    e = _err(lambda: yg.grad_fn.saved_tensors)
    assert e == _err(lambda: yt.grad_fn.saved_tensors)
    assert e[0] is RuntimeError and "backward through the graph a second time" in e[1]
    assert _err(lambda: yg.sum().backward()) == _err(lambda: yt.sum().backward())
    # nothing saved: still freed
    zg, zt = G["Ident"].apply(xg), T["Ident"].apply(xt)
    zg.sum().backward()
    zt.sum().backward()
    assert _err(lambda: zg.grad_fn.saved_tensors) == _err(lambda: zt.grad_fn.saved_tensors)


def test_inplace_modification_detected() -> None:
    torch, G, T = _both()
    xg, xt = _pair(torch, DATA)
    yg, yt = G["Exp"].apply(xg), T["Exp"].apply(xt)
    with gg.no_grad():
        yg.mul_(2)
    with torch.no_grad():
        yt.mul_(2)
    e = _err(lambda: yg.sum().backward())
    assert e == _err(lambda: yt.sum().backward())
    assert "output 0 of Exp," in e[1]
    ag, at = xg * 1, xt * 1
    yg, yt = G["Mul"].apply(ag, ag), T["Mul"].apply(at, at)
    with gg.no_grad():
        ag.add_(1)
    with torch.no_grad():
        at.add_(1)
    e = _err(lambda: yg.sum().backward())
    assert e == _err(lambda: yt.sum().backward())
    assert "output 0 of Mul," in e[1]


def _errors(lib: Any) -> dict[str, Any]:
    Function = lib.autograd.Function

    class Few(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g

    class NonTensorGrad(Function):
        @staticmethod
        def forward(ctx, a, k):
            return a * k

        @staticmethod
        def backward(ctx, g):
            return g, g

    class Shape(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return lib.ones(2)

    class NotTensor(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return 3

    class SaveInt(Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a, 3)
            return a * 2

    class NoBackward(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

    class NoForward(Function):
        pass

    class Extra(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g, None

    class DirtyNotReturned(Function):
        @staticmethod
        def forward(ctx, a):
            a.mul_(2)
            ctx.mark_dirty(a)
            return a * 1

        @staticmethod
        def backward(ctx, g):
            return g

    return {k: v for k, v in locals().items() if isinstance(v, type)}


@pytest.mark.parametrize("name", ["Few", "NonTensorGrad", "Shape", "NotTensor", "SaveInt", "NoBackward",
                                  "NoForward", "Extra", "DirtyNotReturned"])
def test_errors(name: str) -> None:
    torch = pytest.importorskip("torch")

    def run(lib: Any) -> tuple[type, str]:
        cls = _errors(lib)[name]
        x = lib.tensor(DATA, requires_grad=True)

        def go() -> Any:
            args = (x * 1, x) if name == "Few" else (x * 1, 2) if name == "NonTensorGrad" else (x * 1,)
            return cls.apply(*args).sum().backward()
        t, msg = _err(go)
        return t.__name__, msg

    got, want = run(gg), run(torch)
    assert got == want


def test_legacy_call() -> None:
    torch, G, T = _both()
    with warnings.catch_warnings(record=True) as wg:
        warnings.simplefilter("always")
        fg = G["Exp"]()
    with warnings.catch_warnings(record=True) as wt:
        warnings.simplefilter("always")
        ft = T["Exp"]()
    assert [str(w.message).split(">", 1)[1] for w in wg] == [str(w.message).split(">", 1)[1] for w in wt]
    assert _err(lambda: fg(gg.ones(2))) == _err(lambda: ft(torch.ones(2)))


def test_ctx_attributes_and_hooks() -> None:
    torch, G, T = _both()
    xg, xt = _pair(torch, DATA)
    yg, yt = G["MulK"].apply(xg, 2.0), T["MulK"].apply(xt, 2.0)
    assert yg.grad_fn.k == yt.grad_fn.k == 2.0
    seen: list[Any] = []
    yg.grad_fn.register_hook(lambda gi, go: seen.append((gi[0].tolist(), go[0].tolist())))
    yg.sum().backward()
    assert seen == [([2.0] * 3, [1.0] * 3)]


def test_no_reference_cycle() -> None:
    _, G, _t = _both()
    x = gg.tensor(DATA, requires_grad=True)
    gc.disable()
    try:
        for name in ("Exp", "ExpSC", "Split", "Once", "Double", "Ident"):
            y = G[name].apply(x * 1)
            out = y[0] if isinstance(y, tuple) else y
            r_node = weakref.ref(out.grad_fn)
            r_out = weakref.ref(out)
            del y, out
            assert r_node() is None and r_out() is None, name
    finally:
        gc.enable()


def test_non_tensor_and_no_grad_outputs() -> None:
    _, G, _t = _both()
    x = gg.tensor(DATA)  # no grad needed: forward runs, no node
    y = G["Exp"].apply(x)
    assert y.grad_fn is None and not y.requires_grad
    _close(y, __import__("torch").tensor(DATA).exp())


def _more(lib: Any) -> dict[str, Any]:
    Function = lib.autograd.Function

    class K(Function):  # ctx form with a keyword argument
        @staticmethod
        def forward(ctx, x, k=2.0):
            ctx.k = k
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    class VJ(Function):  # vjp instead of backward; a float64 gradient is cast to the input's dtype
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def vjp(ctx, g):
            return g.double() * 7

    class View(Function):  # a view of the input made in forward
        @staticmethod
        def forward(ctx, x):
            return x.view(-1)[1:]

        @staticmethod
        def backward(ctx, g):
            return lib.cat([lib.zeros(1), g]) * 5

    class Ident(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    return {k: v for k, v in locals().items() if isinstance(v, type)}


def test_kwargs_vjp_views_and_hooks() -> None:
    torch = pytest.importorskip("torch")
    G, T = _more(gg), _more(torch)
    for call in (lambda F, x: F["K"].apply(x, k=3.0), lambda F, x: F["VJ"].apply(x),
                 lambda F, x: F["View"].apply(x) * 2):
        xg, xt = _pair(torch, DATA)
        yg, yt = call(G, xg), call(T, xt)
        _close(yg, yt)
        yg.sum().backward()
        yt.sum().backward()
        assert xg.grad.dtype == gg.float32
        _close(xg.grad, xt.grad)
    xg, xt = _pair(torch, DATA)
    yg, yt = G["View"].apply(xg * 1), T["View"].apply(xt * 1)
    yg.retain_grad()
    yt.retain_grad()
    hg: list[Any] = []
    ht: list[Any] = []
    yg.register_hook(lambda g: hg.append(g.tolist()))
    yt.register_hook(lambda g: ht.append(g.tolist()))
    (yg * 3).sum().backward()
    (yt * 3).sum().backward()
    assert hg == ht
    _close(yg.grad, yt.grad)
    _close(xg.grad, xt.grad)


def test_inplace_on_custom_function_views_is_forbidden() -> None:
    torch = pytest.importorskip("torch")
    G, T = _more(gg), _more(torch)
    for name in ("View", "Ident"):
        xg, xt = _pair(torch, DATA)
        eg = _err(lambda: G[name].apply(xg * 1).add_(1))  # noqa: B023
        et = _err(lambda: T[name].apply(xt * 1).add_(1))  # noqa: B023
        assert eg[0] is et[0] is RuntimeError
        assert eg[1].startswith(f"Output 0 of {name} is a view")
    # the input changed in place after being returned as-is: the output's history is invalid
    xg, xt = _pair(torch, DATA)
    ag, at = xg * 1, xt * 1
    yg, yt = G["Ident"].apply(ag), T["Ident"].apply(at)
    ag.add_(1)
    at.add_(1)
    eg, et = _err(lambda: yg.sum().backward()), _err(lambda: yt.sum().backward())
    assert eg[0] is et[0] is RuntimeError
