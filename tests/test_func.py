"""glassgrad.func against torch.func: values and result structures."""

from __future__ import annotations

import numpy as np
import pytest

import glassgrad as gg
from glassgrad import func as gf

torch = pytest.importorskip("torch")
tf = torch.func

X = np.array([0.5, -1.2, 2.0])
W = np.array([[0.3, -0.7, 1.1], [0.2, 0.4, -0.5]])


def _close(a, b):
    if isinstance(b, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b)
        for u, v in zip(a, b):
            _close(u, v)
        return
    if isinstance(b, dict):
        assert a.keys() == b.keys()
        for k in b:
            _close(a[k], b[k])
        return
    assert isinstance(a, gg.Tensor), type(a)
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6, atol=1e-9)


def both(arr):
    return gg.tensor(arr), torch.tensor(arr)


def f1(lib, x):
    return (lib.sin(x) * x ** 2).sum()


def test_grad_and_nested_grad():
    gx, tx = both(X)
    _close(gf.grad(lambda x: f1(gg, x))(gx), tf.grad(lambda x: f1(torch, x))(tx))
    a, b = both(1.3)
    _close(gf.grad(gf.grad(gf.grad(gg.sin)))(a), tf.grad(tf.grad(tf.grad(torch.sin)))(b))
    _close(gf.grad(lambda x: gf.grad(lambda y: f1(gg, y))(x).sum())(gx),
           tf.grad(lambda x: tf.grad(lambda y: f1(torch, y))(x).sum())(tx))
    g = gf.grad(lambda x: f1(gg, x))(gx)
    assert not g.requires_grad and g.grad_fn is None


def test_grad_argnums_aux_and_value():
    gx, tx = both(X)
    gw, tw = both(W)
    gfn = lambda w, x: ((w @ x).tanh().sum(), w.sum())  # noqa: E731
    tfn = lambda w, x: ((w @ x).tanh().sum(), w.sum())  # noqa: E731
    _close(gf.grad(gfn, argnums=(0, 1), has_aux=True)(gw, gx), tf.grad(tfn, argnums=(0, 1), has_aux=True)(tw, tx))
    _close(gf.grad_and_value(lambda w, x: gfn(w, x)[0], argnums=1)(gw, gx),
           tf.grad_and_value(lambda w, x: tfn(w, x)[0], argnums=1)(tw, tx))
    # unused input gives zeros; tuple argnums gives a tuple
    r = gf.grad(lambda a, b: (a * 2).sum(), argnums=(0, 1))(gx, gx)
    assert isinstance(r, tuple)
    _close(r, tf.grad(lambda a, b: (a * 2).sum(), argnums=(0, 1))(tx, tx))


def test_grad_errors():
    gx, tx = both(X)
    msgs = []
    for lib, x in ((gf, gx), (tf, tx)):
        out = []
        for fn, kw in ((lambda x: x * 2, {}), (lambda x: x.sum(), {"argnums": 2}),
                       (lambda x: x.sum(), {"has_aux": True}), (lambda x: x.sum(), {"argnums": ()}),
                       (lambda x: x.sum(), {"argnums": (0, 0)})):
            with pytest.raises(RuntimeError) as e:
                lib.grad(fn, **kw)(x)
            out.append(str(e.value))
        msgs.append(out)
    assert msgs[0] == msgs[1]


def test_vjp_and_jvp():
    gx, tx = both(X)
    gw, tw = both(W)
    go, gfn = gf.vjp(lambda w, x: (w @ x).exp(), gw, gx)
    to, tfn = tf.vjp(lambda w, x: (w @ x).exp(), tw, tx)
    _close(go, to)
    gc, tc = both(np.array([1.0, -2.0]))
    _close(gfn(gc), tfn(tc))
    _close(gfn(gc), tfn(tc))  # callable twice
    gt, tt = both(np.array([0.1, 0.2, -0.3]))
    _close(gf.jvp(lambda x: (x.sin() * x).cumsum(0), (gx,), (gt,)),
           tf.jvp(lambda x: (x.sin() * x).cumsum(0), (tx,), (tt,)))
    _close(gf.jvp(lambda w, x: w @ x, (gw, gx), (gw * 0 + 1, gt)),
           tf.jvp(lambda w, x: w @ x, (tw, tx), (tw * 0 + 1, tt)))


@pytest.mark.parametrize("name", ["jacrev", "jacfwd"])
def test_jacobians(name):
    gx, tx = both(X)
    gw, tw = both(W)
    gj, tj = getattr(gf, name), getattr(tf, name)
    _close(gj(lambda x: x.sin() * x[0])(gx), tj(lambda x: x.sin() * x[0])(tx))
    _close(gj(lambda w, x: (w @ x).tanh(), argnums=(0, 1))(gw, gx),
           tj(lambda w, x: (w @ x).tanh(), argnums=(0, 1))(tw, tx))
    _close(gj(lambda x: (x.sum(), x * 3))(gx), tj(lambda x: (x.sum(), x * 3))(tx))
    _close(gj(lambda w: w.exp(), argnums=0)(gw), tj(lambda w: w.exp(), argnums=0)(tw))
    _close(gj(lambda x: (x.prod(), {"a": x}), has_aux=True)(gx),
           tj(lambda x: (x.prod(), {"a": x}), has_aux=True)(tx))


def test_hessian():
    gx, tx = both(X)
    gw, tw = both(W)
    _close(gf.hessian(lambda x: f1(gg, x))(gx), tf.hessian(lambda x: f1(torch, x))(tx))
    _close(gf.hessian(lambda w, x: (w @ x).tanh().sum(), argnums=(0, 1))(gw, gx),
           tf.hessian(lambda w, x: (w @ x).tanh().sum(), argnums=(0, 1))(tw, tx))
    _close(gf.jacfwd(gf.jacrev(lambda x: x.sin() * x))(gx), tf.jacfwd(tf.jacrev(lambda x: x.sin() * x))(tx))


def test_vmap_basic_and_nested():
    ga, ta = both(np.arange(24.0).reshape(2, 3, 4) / 7)
    gx, tx = both(X)
    _close(gf.vmap(lambda a, x: a.T @ x, in_dims=(0, None))(ga, gx),
           tf.vmap(lambda a, x: a.T @ x, in_dims=(0, None))(ta, tx))
    _close(gf.vmap(lambda a: a.sum(0), in_dims=2, out_dims=1)(ga), tf.vmap(lambda a: a.sum(0), in_dims=2, out_dims=1)(ta))
    _close(gf.vmap(gf.vmap(lambda v: v * v.sum()))(ga), tf.vmap(tf.vmap(lambda v: v * v.sum()))(ta))
    _close(gf.vmap(lambda a: (a.sum(), a.exp()), out_dims=(0, 1))(ga),
           tf.vmap(lambda a: (a.sum(), a.exp()), out_dims=(0, 1))(ta))
    _close(gf.vmap(lambda p: p[0] + p[1], in_dims=((0, 1),))((ga, ga.transpose(0, 1))),
           tf.vmap(lambda p: p[0] + p[1], in_dims=((0, 1),))((ta, ta.transpose(0, 1))))


def test_vmap_errors():
    for args, kw in [((np.ones(2), np.ones(3)), {}), ((np.ones(3),), {"in_dims": 2}),
                     ((np.ones(3), 1.0), {"in_dims": (0, 0)}), ((np.ones(3),), {"in_dims": None})]:
        got = []
        for lib, mod in ((gf, gg), (tf, torch)):
            def fn(*a):
                return a[0]
            call_args = [mod.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
            with pytest.raises(ValueError) as e:
                lib.vmap(fn, **kw)(*call_args)
            got.append(str(e.value).replace("test_vmap_errors.<locals>.", ""))
        assert got[0] == got[1]


def test_vmap_per_example_grad():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((2, 3))
    xs = rng.standard_normal((5, 3))
    ys = rng.standard_normal((5, 2))

    def loss(lib):
        return lambda w, x, y: ((lib.tanh(w @ x) - y) ** 2).mean()

    gres = gf.vmap(gf.grad(loss(gg)), in_dims=(None, 0, 0))(gg.tensor(w), gg.tensor(xs), gg.tensor(ys))
    tres = tf.vmap(tf.grad(loss(torch)), in_dims=(None, 0, 0))(torch.tensor(w), torch.tensor(xs), torch.tensor(ys))
    _close(gres, tres)


def test_functional_call_linear():
    gl = gg.nn.Linear(3, 2)
    tl = torch.nn.Linear(3, 2).double()
    gw, tw = both(W)
    gb, tb = both(np.array([0.1, -0.2]))
    gx, tx = both(X)
    old_w = gl.weight
    gout = gf.functional_call(gl, {"weight": gw, "bias": gb}, (gx,))
    tout = tf.functional_call(tl, {"weight": tw, "bias": tb}, (tx,))
    _close(gout, tout)
    assert gl.weight is old_w and isinstance(gl.weight, gg.nn.Parameter)
    # tuple of dicts, a single non-tuple arg, and grad through the call
    g = gf.grad(lambda p: gf.functional_call(gl, ({"weight": p}, {"bias": gb}), gx).sum())(gw)
    t = tf.grad(lambda p: tf.functional_call(tl, ({"weight": p}, {"bias": tb}), tx).sum())(tw)
    _close(g, t)
    # restored even when forward raises
    with pytest.raises(RuntimeError):
        gf.functional_call(gl, {"weight": gg.ones(5, 5)}, (gx,))
    assert gl.weight is old_w


def test_inputs_requiring_grad_stay_connected():
    gx = gg.tensor(X, requires_grad=True)
    tx = torch.tensor(X, requires_grad=True)
    gg_ = gf.grad(lambda x: (x ** 3).sum())(gx)
    tg_ = tf.grad(lambda x: (x ** 3).sum())(tx)
    (ga,) = gg.autograd.grad(gg_.sum(), gx)
    (ta,) = torch.autograd.grad(tg_.sum(), tx)
    _close(ga, ta)


def test_closure_capture_and_no_grad():
    a, b = both(0.7)
    c, d = both(1.9)
    _close(gf.grad(lambda x: gf.grad(lambda y: (x * y).sin())(c))(a),
           tf.grad(lambda x: tf.grad(lambda y: (x * y).sin())(d))(b))
    gx, tx = both(X)
    with gg.no_grad():
        g = gf.grad(lambda x: f1(gg, x))(gx)
        h = gf.hessian(lambda x: f1(gg, x))(gx)
    with torch.no_grad():
        t = tf.grad(lambda x: f1(torch, x))(tx)
        th = tf.hessian(lambda x: f1(torch, x))(tx)
    _close(g, t)
    _close(h, th)


def test_vjp_jvp_structures_and_errors():
    gx, tx = both(X)
    gy, ty = both(np.array([2.0, 0.5]))
    go, gfn, gaux = gf.vjp(lambda x, y: ((x * 2, y.exp()), x.sum()), gx, gy, has_aux=True)
    to, tfn, taux = tf.vjp(lambda x, y: ((x * 2, y.exp()), x.sum()), tx, ty, has_aux=True)
    _close(go, to)
    _close(gaux, taux)
    _close(gfn((gx, gy)), tfn((tx, ty)))
    for lib, x in ((gf, gx), (tf, tx)):
        with pytest.raises(RuntimeError, match="expected f\\(\\*primals\\) to return only tensors"):
            lib.vjp(lambda x: (x, 1.0), x)
        with pytest.raises(RuntimeError, match="Expected primals to be a tuple"):
            lib.jvp(lambda x: x, [x], (x,))
    with pytest.raises(ValueError, match="Thing passed to transform API must be Tensor"):
        gf.vjp(lambda x: x, 1.0)


def test_functional_call_nested_buffers_and_errors():
    got = []
    for lib in (gg, torch):
        class M(lib.nn.Module):
            def __init__(self, lib=lib):
                super().__init__()
                self.lin = lib.nn.Linear(2, 2)
                self.register_buffer("b", lib.ones(2))

            def forward(self, x):
                return self.lin(x) + self.b

        m = M()
        out = lib.func.functional_call(
            m, ({"lin.weight": lib.eye(2), "lin.bias": lib.zeros(2)}, {"b": lib.ones(2) * 3}), lib.ones(2))
        assert out.tolist() == [4.0, 4.0] and m.b.tolist() == [1.0, 1.0]
        assert type(m.lin.weight).__name__ == "Parameter"
        msgs = []
        with pytest.raises(RuntimeError) as e:
            lib.func.functional_call(m, {"lin.weight": lib.eye(2), "zz": lib.ones(1)}, (lib.ones(2),), strict=True)
        msgs.append(str(e.value))
        with pytest.raises(ValueError) as e:
            lib.func.functional_call(m, ({"b": lib.eye(2)}, {"b": lib.ones(2)}), lib.ones(2))
        msgs.append(str(e.value))
        got.append(msgs)
    assert got[0] == got[1]


def test_vmap_of_jacobians_and_negative_in_dims():
    ga, ta = both(np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.25]]))
    _close(gf.vmap(gf.hessian(lambda r: (r ** 3).sum() * r[0]))(ga),
           tf.vmap(tf.hessian(lambda r: (r ** 3).sum() * r[0]))(ta))
    _close(gf.vmap(gf.jacrev(lambda r: r.exp() * r[0]))(ga), tf.vmap(tf.jacrev(lambda r: r.exp() * r[0]))(ta))
    _close(gf.vmap(lambda r: r * 2, in_dims=-1)(ga), tf.vmap(lambda r: r * 2, in_dims=-1)(ta))


def test_vmap_randomness_modes() -> None:
    torch = pytest.importorskip("torch")
    for m in (gg, torch):
        with pytest.raises(RuntimeError, match="called random operation while in randomness error mode"):
            m.func.vmap(lambda x, m=m: x + m.rand(()))(m.zeros(3))
    gg.manual_seed(0)
    same = gg.func.vmap(lambda x: x + gg.rand(()), randomness="same")(gg.zeros(3))
    assert same[0] == same[1] == same[2]
    diff = gg.func.vmap(lambda x: x + gg.rand(()), randomness="different")(gg.zeros(3))
    assert len(set(diff.tolist())) == 3
    gg.rand(())   # random ops work again after vmap
