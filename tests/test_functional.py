"""``glassgrad.autograd.functional`` against ``torch.autograd.functional``: values, structures, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import glassgrad as gg
from glassgrad.autograd import functional as GF
from opinfo import same_error

X = np.array([0.5, -1.25, 2.0])
Y = np.array([[1.5, -0.5], [0.25, 3.0]])


def _torch() -> Any:
    return pytest.importorskip("torch")


def _pair(lib: Any, *arrays: np.ndarray) -> tuple[Any, ...]:
    return tuple(lib.tensor(a.tolist(), dtype=lib.float64) for a in arrays)


def _same(g: Any, t: Any) -> None:
    """``g`` (glassgrad) has the nested structure and values of ``t`` (torch)."""
    if isinstance(t, (tuple, list)):
        assert type(g) is type(t) and len(g) == len(t)
        for a, b in zip(g, t):
            _same(a, b)
        return
    assert isinstance(g, gg.Tensor), type(g)
    assert tuple(g.shape) == tuple(t.shape)
    assert str(g.dtype) == str(t.dtype)
    assert g.requires_grad == t.requires_grad
    np.testing.assert_allclose(g.detach().numpy(), t.detach().numpy(), rtol=1e-12, atol=1e-12)


# functions written once, run on both libraries (only Tensor methods and operators)
def f_single(a: Any) -> Any:
    return (a * a).sin() * 2 + a.exp()


def f_scalar(a: Any) -> Any:
    return (a ** 3).sum() + (a.sin() * a).sum()


def f_multi_in(a: Any, b: Any) -> Any:
    return (a.sum() * b).cos()


def f_multi_out(a: Any) -> Any:
    return a ** 2, a.sum().exp()


def f_multi_both(a: Any, b: Any) -> Any:
    return a * 2, (b * b).sum() + a.sum()


def f_scalar2(a: Any, b: Any) -> Any:
    return (a.sin() * a).sum() * (b ** 2).sum()


def _run(name: str, fn: Any, arrays: tuple[np.ndarray, ...], tupled: bool, **kw: Any) -> None:
    torch = _torch()
    gi = _pair(gg, *arrays)
    ti = _pair(torch, *arrays)
    if "v" in kw:
        v = kw.pop("v")
        kw["v"] = _pair(gg, *v) if isinstance(v, tuple) else _pair(gg, v)[0]
        tkw = dict(kw, v=_pair(torch, *v) if isinstance(v, tuple) else _pair(torch, v)[0])
    else:
        tkw = kw
    g = getattr(GF, name)(fn, gi if tupled else gi[0], **kw)
    t = getattr(torch.autograd.functional, name)(fn, ti if tupled else ti[0], **tkw)
    _same(g, t)


@pytest.mark.parametrize("create_graph", [False, True])
def test_vjp_jvp(create_graph: bool) -> None:
    _run("vjp", f_single, (X,), False, v=X[::-1].copy(), create_graph=create_graph)
    _run("jvp", f_single, (X,), False, v=X[::-1].copy(), create_graph=create_graph)
    _run("vjp", f_multi_in, (X, Y), True, v=Y, create_graph=create_graph)
    _run("jvp", f_multi_in, (X, Y), True, v=(X, Y), create_graph=create_graph)
    _run("vjp", f_multi_out, (X,), False, v=(X, np.array(0.5)), create_graph=create_graph)
    _run("jvp", f_multi_both, (X, Y), True, v=(X, Y), create_graph=create_graph)
    _run("vjp", f_scalar, (X,), False, create_graph=create_graph)
    _run("vjp", f_scalar, (X,), True, v=(np.array(2.0),), create_graph=create_graph)


@pytest.mark.parametrize("vectorize", [False, True])
@pytest.mark.parametrize("create_graph", [False, True])
def test_jacobian_structures(vectorize: bool, create_graph: bool) -> None:
    kw = {"vectorize": vectorize, "create_graph": create_graph}
    _run("jacobian", f_single, (X,), False, **kw)
    _run("jacobian", f_single, (X,), True, **kw)
    _run("jacobian", f_multi_in, (X, Y), True, **kw)
    _run("jacobian", f_multi_out, (X,), False, **kw)
    _run("jacobian", f_multi_both, (X, Y), True, **kw)
    _run("jacobian", f_scalar, (X,), False, **kw)


def test_jacobian_unused_input_gives_zeros() -> None:
    _run("jacobian", lambda a, b: a * 3, (X, Y), True)


@pytest.mark.parametrize("create_graph", [False, True])
def test_hessian_hvp_vhp(create_graph: bool) -> None:
    _run("hessian", f_scalar, (X,), False, create_graph=create_graph)
    _run("hessian", f_scalar2, (X, Y), True, create_graph=create_graph)
    _run("hessian", f_scalar2, (X, Y), True, vectorize=True, create_graph=create_graph)
    for name in ("hvp", "vhp"):
        _run(name, f_scalar, (X,), False, v=X[::-1].copy(), create_graph=create_graph)
        _run(name, f_scalar2, (X, Y), True, v=(X, Y), create_graph=create_graph)


def test_create_graph_gives_differentiable_result() -> None:
    x = gg.tensor(X.tolist(), dtype=gg.float64, requires_grad=True)
    h = GF.hessian(lambda a: (a ** 4).sum(), x, create_graph=True)
    assert h.requires_grad
    (g,) = gg.autograd.grad(h.sum(), x)
    np.testing.assert_allclose(g.numpy(), 24 * X)


def _errors(call: Any) -> tuple[type, str]:
    got = same_error(call)
    return type(got), str(got)


def _x(lib: Any) -> Any:
    return lib.tensor(X.tolist(), dtype=lib.float64)


@pytest.mark.parametrize("case", [
    lambda L: L.autograd.functional.vjp(lambda a: a * 2, _x(L)),
    lambda L: L.autograd.functional.vjp(lambda a: a * 2, _x(L), L.ones(2, dtype=L.float64)),
    lambda L: L.autograd.functional.vjp(lambda a: (a, a), _x(L), (L.ones(3, dtype=L.float64),)),
    lambda L: L.autograd.functional.vjp(lambda a: (a, a), _x(L), (L.ones(3, dtype=L.float64), L.ones(2))),
    lambda L: L.autograd.functional.vjp(lambda a: a * 2, _x(L), (_x(L), _x(L))),
    lambda L: L.autograd.functional.vjp(lambda a: a * 2, [1.0, 2.0]),
    lambda L: L.autograd.functional.vjp(lambda a, b: a * 2, (_x(L), 3)),
    lambda L: L.autograd.functional.vjp(lambda a: 3.0, _x(L)),
    lambda L: L.autograd.functional.jvp(lambda a: a * 2, _x(L)),
    lambda L: L.autograd.functional.vjp(lambda a: _x(L), _x(L), _x(L), strict=True),
    lambda L: L.autograd.functional.vjp(lambda a, b: a * 2, (_x(L), _x(L)), _x(L), strict=True),
    lambda L: L.autograd.functional.jvp(lambda a: a.detach(), _x(L), _x(L), strict=True),
    lambda L: L.autograd.functional.jacobian(lambda a, b: a * 2, (_x(L), _x(L)), strict=True),
    lambda L: L.autograd.functional.jacobian(lambda a: a * 2, _x(L), strict=True, vectorize=True),
    lambda L: L.autograd.functional.jacobian(lambda a: a * 2, _x(L), strategy="other"),
    lambda L: L.autograd.functional.jacobian(lambda a: a * 2, _x(L), strategy="forward-mode"),
    lambda L: L.autograd.functional.jacobian(lambda a: a * 2, _x(L), strategy="forward-mode",
                                             create_graph=True),
    lambda L: L.autograd.functional.hessian(lambda a: a * 2, _x(L)),
    lambda L: L.autograd.functional.hessian(lambda a: (a.sum(), a.sum()), _x(L)),
    lambda L: L.autograd.functional.hessian(lambda a: (a * 2).sum(), _x(L), strict=True),
    lambda L: L.autograd.functional.hvp(lambda a: a * 2, _x(L), _x(L)),
    lambda L: L.autograd.functional.vhp(lambda a: a * 2, _x(L), _x(L)),
    lambda L: L.autograd.functional.hvp(lambda a: a.sum(), _x(L)),
    lambda L: L.autograd.functional.vhp(lambda a: (a ** 2).sum(), _x(L), _x(L)[:2]),
    lambda L: L.autograd.functional.vhp(lambda a: (a * 2).sum(), _x(L), _x(L), strict=True),
    lambda L: L.autograd.functional.hvp(lambda a: (a * 2).sum(), _x(L), _x(L), strict=True),
])
def test_errors_match_torch(case: Any) -> None:
    _errors(case)


@pytest.mark.parametrize("fn,arrays,tupled", [
    (f_multi_both, (X, Y), True), (f_single, (X,), False), (f_single, (X,), True),
    (f_multi_out, (X,), False), (f_multi_in, (X, Y), True),
])
def test_forward_mode_strategy_structures(fn: Any, arrays: tuple[np.ndarray, ...], tupled: bool) -> None:
    _run("jacobian", fn, arrays, tupled, vectorize=True, strategy="forward-mode")
    _run("hessian", f_scalar2, (X, Y), True, vectorize=True, outer_jacobian_strategy="forward-mode")


def test_inputs_not_modified_and_results_detached() -> None:
    x = gg.tensor(X.tolist(), dtype=gg.float64, requires_grad=True)
    out, v = GF.vjp(lambda a: (a * a).sum(), x)
    assert not out.requires_grad and not v.requires_grad
    assert x.grad is None
    assert x.requires_grad and x.grad_fn is None


def test_forward_mode_keeps_history_when_inputs_require_grad() -> None:
    torch = _torch()
    g = GF.jacobian(lambda a: a ** 3, gg.tensor(X.tolist(), dtype=gg.float64, requires_grad=True),
                    vectorize=True, strategy="forward-mode")
    t = torch.autograd.functional.jacobian(lambda a: a ** 3, torch.tensor(X.tolist(), dtype=torch.float64,
                                                                          requires_grad=True),
                                           vectorize=True, strategy="forward-mode")
    _same(g, t)


def test_newton_example_matches_torch(tmp_path: Any) -> None:
    """``examples/newton_hessian.py`` prints the same iterates under glassgrad and under torch."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    _torch()
    src = Path(__file__).resolve().parents[1] / "examples" / "newton_hessian.py"
    text = src.read_text()
    torch_version = tmp_path / "newton_torch.py"
    torch_version.write_text(text.replace("import glassgrad as torch", "import torch").replace(
        "from glassgrad.autograd.functional", "from torch.autograd.functional"))
    env = dict(os.environ, PYTHONPATH=str(src.parents[1] / "src"))
    ours = subprocess.run([sys.executable, str(src)], capture_output=True, text=True, env=env, check=True)
    theirs = subprocess.run([sys.executable, str(torch_version)], capture_output=True, text=True, cwd=tmp_path,
                            check=True)
    assert ours.stdout == theirs.stdout
    assert "minimum found at tensor([1., 1.], dtype=torch.float64)" in ours.stdout


@pytest.mark.parametrize("name", ["vjp", "jvp", "vhp", "hvp"])
def test_v_none_needs_a_single_element(name: str) -> None:
    """v may be left out only for one single-element tensor (the outputs for vjp, the inputs otherwise)."""
    def fn(x: Any) -> Any:
        return x * 2 if name in ("vjp", "jvp") else (x * x).sum()
    same_error(lambda L: getattr(L.autograd.functional, name)(fn, L.ones(2)))
