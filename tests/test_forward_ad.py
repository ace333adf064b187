"""Forward-mode AD (``glassgrad.autograd.forward_ad``) against PyTorch.

The API (levels, make_dual / unpack_dual, printing, errors) is compared with
real PyTorch; then every differentiable op of the op table gets random tangents
on its float inputs and its output tangent ``J v`` is checked two ways: against
the reverse-mode Jacobian (``<u, J v> == <Jᵀ u, v>`` for a random ``u``), and
against PyTorch's own forward AD where PyTorch has a forward derivative.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import glassgrad as gg
import glassgrad.autograd.forward_ad as gfw
from opdb import OPS
from opinfo import OpInfo, Sample, build_params, from_np, need_torch, primary, raised
from vizcases import Cube3


def _program(torch: Any, fwAD: Any) -> list[str]:
    """A tour of the API; returns what it printed (run with torch and with glassgrad)."""
    out: list[str] = []
    p = lambda *a: out.append(" ".join(str(x) for x in a))
    x = torch.tensor([1., 2., 3.])
    t = torch.tensor([1., 0., 0.5])
    p(raised(lambda: fwAD.make_dual(x, t)))
    with fwAD.dual_level() as lvl:
        p("level", lvl)
        d = fwAD.make_dual(x, t)
        p(d, d.requires_grad, d.grad_fn, d._base is x, d.is_leaf)
        y = d.sin() * 2
        p(y, y.requires_grad, y.grad_fn)
        u = fwAD.unpack_dual(y)
        p(u, type(u).__name__, u.primal.grad_fn, u.primal.requires_grad)
        p(fwAD.unpack_dual(x))
        p(d.detach(), fwAD.unpack_dual(d.detach()).tangent)
        p(*d.unbind(0))
        p(d.max(0))
        p(raised(lambda: fwAD.make_dual(x, torch.ones(2))))
        p(raised(lambda: fwAD.make_dual(torch.tensor([1, 2]), torch.ones(2))))
        p(raised(lambda: fwAD.enter_dual_level()))
        w = torch.tensor([1., 2., 3.], requires_grad=True)
        dw = fwAD.make_dual(w, t)
        p(dw, dw.grad_fn.name(), dw.requires_grad)
        z = (dw ** 2).sum()
        p(z)
        tz = fwAD.unpack_dual(z).tangent
        p(tz.requires_grad)
        tz.backward()              # reverse over forward: d/dw of (2 w · t)
        p(w.grad)
        dd = fwAD.make_dual(x.clone(), t)
        dd.mul_(3)
        p(dd, dd.requires_grad, dd.grad_fn)
        p(torch.ones(2, 3) + fwAD.make_dual(torch.zeros(3), torch.ones(3)))
        p((d > 1.5), fwAD.unpack_dual(d > 1.5).tangent)
        p(d.sum().item())
    p(fwAD.unpack_dual(y))
    p(y)
    return out


def test_api_matches_torch() -> None:
    torch = need_torch()
    import torch.autograd.forward_ad as tfw
    assert _program(gg, gfw) == _program(torch, tfw)


def test_level_exit_forgets_tangents_and_tensors_stay_usable() -> None:
    x = gg.tensor([1.0, 2.0])
    with gfw.dual_level():
        d = gfw.make_dual(x, gg.ones(2))
    assert gfw.unpack_dual(d).tangent is None and not d.requires_grad
    assert not gfw.FW.used and not d._rg   # ops no longer pay for forward AD once the level is gone
    y = d * 2                       # still an ordinary tensor afterwards
    assert y.grad_fn is None and not y.requires_grad and y.tolist() == [2.0, 4.0]
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()


def test_forward_ad_leaves_backward_untouched() -> None:
    """A dual tensor that needs no gradient never reaches the backward graph (no .grad on it)."""
    w = gg.tensor([1.0, 2.0], requires_grad=True)
    with gfw.dual_level():
        d = gfw.make_dual(gg.tensor([3.0, 4.0]), gg.ones(2))
        loss = (w * d).sum()
        assert gfw.unpack_dual(loss).tangent.item() == 3.0   # d/dt of sum(w * (d + t·1)) = sum(w)
        loss.backward()
    assert w.grad.tolist() == [3.0, 4.0] and d.grad is None


# ---------------------------------------------------------------------------- every op

def _dual_params() -> list[Any]:
    seen: set[str] = set()
    out = []
    for p in build_params(OPS, (np.float64,), needs_grad=True):
        op = p.values[0]
        if op.name not in seen:
            seen.add(op.name)
            out.append(p)
    return out


def _run_dual(m: Any, fw: Any, op: OpInfo, s: Sample, tangents: list[Any]) -> tuple[Any, Any]:
    """The op on dual inputs: (primal output, its tangent) as NumPy arrays."""
    mask = s.grad_mask()
    with fw.dual_level():
        args = []
        for a, rg, v in zip(s.args, mask, tangents):
            if isinstance(a, np.ndarray) and rg:
                args.append(fw.make_dual(from_np(m, a), from_np(m, v)))
            elif isinstance(a, np.ndarray):
                args.append(from_np(m, a))
            else:
                args.append(a)
        out = primary(op.op(m, *args, **s.kwargs))
        primal, tangent = fw.unpack_dual(out)
        return np.asarray(primal.detach().numpy()).copy(), (
            None if tangent is None else np.asarray(tangent.detach().numpy()).copy())


def _tangents(s: Sample, seed: int = 3) -> list[Any]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(a.shape) if isinstance(a, np.ndarray) else None for a in s.args]


#: (empty: ops whose rule has no derivative of its own — hardsigmoid, the singular values — still have a
#: tangent, since transposing a rule needs only its linearity in grad; see forward_ad.transposing_rule)
NO_FORWARD: set[str] = set()
#: where the rule guards a 0/0 with ``where``, its transpose still meets the nan (std of a constant row:
#: PyTorch's forward formula gives 0, the transposed backward nan)
NAN_TANGENT = {"std_constant"}


def _reverse_inner(m: Any, op: OpInfo, sample: Sample, u: np.ndarray, v: list[Any]) -> float:
    """<Jᵀ u, v> by one reverse pass of library ``m``."""
    mask = sample.grad_mask()
    args = [from_np(m, a, rg) if isinstance(a, np.ndarray) else a for a, rg in zip(sample.args, mask)]
    out = primary(op.op(m, *args, **sample.kwargs))
    xs = [a for a, rg in zip(args, mask) if isinstance(a, m.Tensor) and rg]
    grads = m.autograd.grad(out, xs, from_np(m, u), allow_unused=True, materialize_grads=True)
    vs = [t for t, a, rg in zip(v, sample.args, mask) if isinstance(a, np.ndarray) and rg]
    return sum(float(np.sum(g.detach().numpy() * t)) for g, t in zip(grads, vs))


@pytest.mark.parametrize("op,sample", _dual_params())
def test_tangent_matches_reverse_jacobian(op: OpInfo, sample: Sample) -> None:
    """<u, J v> (forward mode) equals <Jᵀ u, v> (reverse mode) for random u, v."""
    v = _tangents(sample)
    if op.name in NO_FORWARD:
        with pytest.raises((NotImplementedError, RuntimeError), match="not implemented|second derivative"):
            _run_dual(gg, gfw, op, sample, v)
        return
    primal, jv = _run_dual(gg, gfw, op, sample, v)
    if jv is None:
        assert primal.dtype.kind not in "fc", "a floating result must carry a tangent"
        return
    if not (np.isfinite(primal).all() and np.isfinite(jv).all()):
        pytest.skip("the Jacobian is undefined here (nan); compared with PyTorch's tangent instead")
    u = np.random.default_rng(4).standard_normal(primal.shape)
    forward = float(np.sum(u * jv))
    assert forward == pytest.approx(_reverse_inner(gg, op, sample, u, v), rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("op,sample", [p for p in _dual_params() if p.values[0].name not in NO_FORWARD])
def test_tangent_matches_torch_forward_ad(op: OpInfo, sample: Sample) -> None:
    torch = need_torch()
    import torch.autograd.forward_ad as tfw
    v = _tangents(sample)
    try:
        t_primal, t_jv = _run_dual(torch, tfw, op, sample, v)
    except (RuntimeError, NotImplementedError) as e:
        pytest.skip(f"PyTorch has no forward derivative here: {str(e).splitlines()[0][:80]}")
    g_primal, g_jv = _run_dual(gg, gfw, op, sample, v)
    np.testing.assert_allclose(g_primal, t_primal, rtol=1e-7, atol=1e-9)
    if not np.isfinite(t_primal).all() or op.name in NAN_TANGENT:
        return  # no meaningful derivative at a nan/inf value; PyTorch's tangents there are arbitrary
    if t_jv is not None and t_primal.size:
        u = np.random.default_rng(4).standard_normal(t_primal.shape)
        if not np.isclose(np.sum(u * t_jv), _reverse_inner(torch, op, sample, u, v), rtol=1e-7, atol=1e-9):
            pytest.skip("PyTorch's forward derivative disagrees with its own backward here")
    if t_jv is None:
        u = np.random.default_rng(4).standard_normal(t_primal.shape)
        if _reverse_inner(torch, op, sample, u, v) != 0:
            pytest.skip("PyTorch drops the tangent here although its backward is not zero")
        assert g_jv is None or not np.any(g_jv)
    else:
        assert g_jv is not None
        np.testing.assert_allclose(g_jv, t_jv, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------------------- tools built on it

def test_gradcheck_forward_ad_passes_and_catches_a_wrong_tangent() -> None:
    x = gg.tensor([0.3, -1.2, 2.0], dtype=gg.float64, requires_grad=True)
    assert gg.autograd.gradcheck(lambda t: (t.sin() * t).sum(0, keepdim=True), (x,), check_forward_ad=True)

    # Cube3's backward is wrong on purpose; the tangent of a custom Function without jvp is derived from its
    # backward, so forward mode sees the bug too
    with pytest.raises(gg.autograd.GradcheckError,
                       match="Jacobian computed with forward mode mismatch for output 0 with respect to input 0"):
        gg.autograd.gradcheck(Cube3.apply, (x,), check_forward_ad=True)
    with pytest.raises(gg.autograd.GradcheckError, match="^Jacobian mismatch for output 0 with respect to input 0"):
        gg.autograd.gradcheck(Cube3.apply, (x,))


def test_custom_function_jvp_is_used_when_defined() -> None:
    torch = need_torch()
    import torch.autograd.forward_ad as tfw

    def run(m: Any, fw: Any) -> Any:
        class Cube(m.autograd.Function):
            @staticmethod
            def forward(ctx, t):
                ctx.save_for_backward(t)
                ctx.t = t
                return t ** 3

            @staticmethod
            def backward(ctx, g):
                (t,) = ctx.saved_tensors
                return g * 3 * t ** 2

            @staticmethod
            def jvp(ctx, tangent):
                return 3 * ctx.t ** 2 * tangent

        with fw.dual_level():
            d = fw.make_dual(m.tensor([1.0, 2.0]), m.tensor([1.0, 0.5]))
            return fw.unpack_dual(Cube.apply(d)).tangent.tolist()

    assert run(gg, gfw) == run(torch, tfw) == [3.0, 6.0]


def test_grad_is_grads_batched_matches_torch() -> None:
    torch = need_torch()

    def run(m: Any) -> list[np.ndarray]:
        x = m.tensor([[1.0, 2.0], [3.0, -1.0]], dtype=m.float64, requires_grad=True)
        y = (x ** 2).sum(1)
        gos = m.eye(2, dtype=m.float64)          # one basis vector per batch entry: the Jacobian's rows
        (jac,) = m.autograd.grad(y, x, gos, is_grads_batched=True)
        return [jac.detach().numpy()]

    np.testing.assert_array_equal(run(gg)[0], run(torch)[0])
