"""glassgrad.optim against torch.optim: the same parameters and state after many steps of the same gradients.

Each framework optimizes its own copy of the same parameters; at every step the gradient is a fixed
NumPy function of that framework's current parameter values (so the runs agree only if every update
agrees). Float64 runs must match to ~1e-12 relative, float32 runs to ~1e-6.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

import glassgrad as gg
from opinfo import both, need_torch, same_error

SHAPES = [(3, 4), (4,), ()]
TOL = {"float64": 1e-12, "float32": 1e-6}


def assert_close(got: Any, expected: Any, dtype: str, what: str = "") -> None:
    """Equal up to ``TOL[dtype]`` relative to the tensor's largest entry (entries that cancel are not singled out)."""
    a, b = np_of(got), np_of(expected)
    assert a.shape == b.shape, what
    scale = max(float(np.max(np.abs(b), initial=0.0)), 1e-30)
    err = float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)), initial=0.0))
    assert err <= TOL[dtype] * scale, f"{what}: max error {err:.3g} over max entry {scale:.3g}"


def make_params(m: Any, dtype: str, seed: int = 0) -> list[Any]:
    rng = np.random.default_rng(seed)
    return [m.tensor(rng.normal(size=s).astype(dtype), requires_grad=True) for s in SHAPES]


def gradient(x: np.ndarray, step: int) -> np.ndarray:
    """A deterministic, non-trivial gradient: a quartic bowl with a step-dependent tilt."""
    return 2.0 * (x - 0.5) + 0.3 * x**3 + 0.1 * np.cos(step + x)


def set_grads(params: list[Any], step: int, skip: int | None = None, sign: float = 1.0) -> None:
    for i, p in enumerate(params):
        if skip is not None and i == skip:
            p.grad = None
            continue
        x = np.asarray(p.detach().numpy())
        g = (sign * gradient(x.astype(np.float64), step)).astype(x.dtype)
        p.grad = _like(p, g)


def _like(p: Any, g: np.ndarray) -> Any:
    mod = gg if isinstance(p, gg.Tensor) else need_torch()
    return mod.tensor(g)


def run(m: Any, cls_name: str, kwargs: dict[str, Any], dtype: str, steps: int, groups: bool = False) -> Any:
    params = make_params(m, dtype)
    if groups:
        spec = [{"params": params[:2]}, {"params": params[2:], "lr": 0.003}]
        opt = getattr(m.optim, cls_name)(spec, **kwargs)
    else:
        opt = getattr(m.optim, cls_name)(params, **kwargs)
    for k in range(steps):
        # the scalar parameter misses its gradient every third step: it must then be left alone
        # (maximize=True climbs the negated bowl)
        set_grads(params, k, skip=2 if k % 3 == 1 else None, sign=-1.0 if kwargs.get("maximize") else 1.0)
        opt.step()
    return params, opt


def np_of(t: Any) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def assert_same_state(g_opt: Any, t_opt: Any, g_params: list[Any], t_params: list[Any], dtype: str) -> None:
    for gp, tp in zip(g_params, t_params):
        assert_close(gp, tp, dtype, "param")
        assert gp._version == tp._version
    g_sd, t_sd = g_opt.state_dict(), t_opt.state_dict()
    assert g_sd["param_groups"] == _groups(t_sd)
    assert list(g_sd["state"]) == list(t_sd["state"])
    for idx, t_state in t_sd["state"].items():
        g_state = g_sd["state"][idx]
        assert list(g_state) == list(t_state)
        for key, tv in t_state.items():
            gv = g_state[key]
            assert isinstance(gv, gg.Tensor)
            assert str(gv.dtype) == str(tv.dtype) and tuple(gv.shape) == tuple(tv.shape), key
            assert_close(gv, tv, dtype, key)
            assert gv._version == tv._version, key


def continue_alike(g_params: list[Any], g_opt: Any, t_params: list[Any], t_opt: Any, steps: range) -> None:
    """Step both optimizers over ``steps`` with the same gradients; their parameters must then agree (float64)."""
    for k in steps:
        for params, opt in ((g_params, g_opt), (t_params, t_opt)):
            set_grads(params, k)
            opt.step()
    for a, b in zip(g_params, t_params):
        assert_close(a, b, "float64")


def _groups(t_sd: dict[str, Any]) -> list[dict[str, Any]]:
    """torch's param_groups with its hyper-parameters as plain Python values (betas stay tuples)."""
    return [dict(g) for g in t_sd["param_groups"]]


CASES = [
    ("SGD", dict(lr=0.01)),
    ("SGD", dict(lr=0.01, momentum=0.9)),
    ("SGD", dict(lr=0.01, momentum=0.9, dampening=0.3, weight_decay=0.05)),
    ("SGD", dict(lr=0.01, momentum=0.8, nesterov=True, maximize=True)),
    ("SGD", dict(lr=0.02, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, weight_decay=0.05, amsgrad=True, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.2, amsgrad=True)),
    ("AdamW", dict(lr=0.01, betas=(0.5, 0.9), maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True)),
    ("RMSprop", dict(lr=0.005, momentum=0.9, weight_decay=0.05)),
    ("RMSprop", dict(lr=0.005, momentum=0.5, centered=True, maximize=True, eps=1e-4)),
    ("Adagrad", dict(lr=0.05)),
    ("Adagrad", dict(lr=0.05, lr_decay=0.01, weight_decay=0.05)),
    ("Adagrad", dict(lr=0.05, initial_accumulator_value=0.1, eps=1e-6, maximize=True)),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_fifty_steps_match_torch(name: str, kwargs: dict[str, Any], dtype: str) -> None:
    torch = need_torch()
    (gp, go), (tp, to) = run(gg, name, kwargs, dtype, 50), run(torch, name, kwargs, dtype, 50)
    assert_same_state(go, to, gp, tp, dtype)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_param_groups_with_their_own_lr(name: str) -> None:
    torch = need_torch()
    kwargs = {"lr": 0.02, **({"momentum": 0.9} if name in ("SGD", "RMSprop") else {})}
    (gp, go), (tp, to) = (run(m, name, kwargs, "float64", 30, groups=True) for m in (gg, torch))
    assert [g["lr"] for g in go.param_groups] == [0.02, 0.003]
    assert_same_state(go, to, gp, tp, "float64")


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_reprs_match_torch(name: str) -> None:
    def case(m: Any) -> str:
        params = make_params(m, "float32")
        opt = getattr(m.optim, name)([{"params": params[:1]}, {"params": params[1:], "lr": 0.5}], lr=0.1)
        return repr(opt)

    got, expected = both(case)
    assert got == expected


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_state_dict_round_trip_continues_identically(name: str) -> None:
    torch = need_torch()
    kwargs = {"lr": 0.01, **({"momentum": 0.9} if name in ("SGD", "RMSprop") else {})}
    gp, go = run(gg, name, kwargs, "float64", 10, groups=True)
    sd = copy.deepcopy(go.state_dict())
    fresh = [p.detach().clone().requires_grad_(True) for p in gp]
    opt2 = getattr(gg.optim, name)([{"params": fresh[:2]}, {"params": fresh[2:]}], lr=123.0)
    opt2.load_state_dict(sd)
    assert [g["lr"] for g in opt2.param_groups] == [0.01, 0.003]
    assert opt2.param_groups[0]["params"][0] is fresh[0]
    tp, to = run(torch, name, kwargs, "float64", 10, groups=True)
    continue_alike(fresh, opt2, tp, to, range(10, 20))
    assert opt2.state_dict()["param_groups"] == _groups(to.state_dict())


def test_load_state_dict_of_torch_format() -> None:
    """A torch optimizer's state dict, its tensors converted, loads into glassgrad and the runs continue alike."""
    torch = need_torch()
    tp, to = run(torch, "Adam", dict(lr=0.01, amsgrad=True), "float64", 7)
    t_sd = to.state_dict()
    sd = {"state": {i: {k: gg.tensor(v.numpy().copy()) for k, v in s.items()} for i, s in t_sd["state"].items()},
          "param_groups": copy.deepcopy(t_sd["param_groups"])}
    gp = [gg.tensor(np_of(p).copy(), requires_grad=True) for p in tp]
    go = gg.optim.Adam(gp)
    go.load_state_dict(sd)
    continue_alike(gp, go, tp, to, range(7, 15))


def test_load_state_dict_casts_state_to_param_dtype_and_keeps_step() -> None:
    p = gg.zeros(3, dtype=gg.float32, requires_grad=True)
    opt = gg.optim.Adam([p])
    sd = {"state": {0: {"step": gg.tensor(4.0, dtype=gg.float64), "exp_avg": gg.ones(3, dtype=gg.float64),
                        "exp_avg_sq": gg.ones(3, dtype=gg.float64)}},
          "param_groups": [dict(opt.state_dict()["param_groups"][0])]}
    opt.load_state_dict(sd)
    state = opt.state[p]
    assert state["exp_avg"].dtype is gg.float32 and state["step"].dtype is gg.float64
    assert state["step"] is sd["state"][0]["step"]


def test_load_state_dict_errors() -> None:
    def groups_differ(m: Any) -> None:
        a, b = make_params(m, "float32")[:2]
        m.optim.SGD([{"params": [a]}, {"params": [b]}]).load_state_dict(m.optim.SGD([a, b]).state_dict())

    def sizes_differ(m: Any) -> None:
        a, b = make_params(m, "float32")[:2]
        m.optim.SGD([a]).load_state_dict(m.optim.SGD([a, b]).state_dict())

    same_error(groups_differ)
    same_error(sizes_differ)


@pytest.mark.parametrize("case", [
    lambda m: m.optim.SGD([]),
    lambda m: m.optim.SGD(m.zeros(2, requires_grad=True)),
    lambda m: m.optim.SGD([{"params": {m.zeros(2, requires_grad=True)}}]),
    lambda m: m.optim.SGD([m.zeros(2, requires_grad=True) * 2]),
    lambda m: m.optim.SGD([1.0]),
    lambda m: m.optim.SGD([m.zeros(2, requires_grad=True)], lr=-1),
    lambda m: m.optim.SGD([m.zeros(2, requires_grad=True)], momentum=-0.5),
    lambda m: m.optim.SGD([m.zeros(2, requires_grad=True)], nesterov=True),
    lambda m: m.optim.Adam([m.zeros(2, requires_grad=True)], betas=(1.0, 0.9)),
    lambda m: m.optim.Adam([m.zeros(2, requires_grad=True)], betas=(0.9, 1)),
    lambda m: m.optim.Adam([m.zeros(2, requires_grad=True)], eps=-1.0),
    lambda m: m.optim.AdamW([m.zeros(2, requires_grad=True)], weight_decay=-1.0),
    lambda m: m.optim.RMSprop([m.zeros(2, requires_grad=True)], alpha=-1.0),
    lambda m: m.optim.Adagrad([m.zeros(2, requires_grad=True)], lr_decay=-1.0),
    lambda m: m.optim.Adagrad([m.zeros(2, requires_grad=True)], initial_accumulator_value=-1.0),
    lambda m: _two_groups_sharing(m),
    lambda m: m.optim.SGD([m.zeros(2, requires_grad=True)]).add_param_group([m.zeros(2, requires_grad=True)]),
], ids=lambda c: "")
def test_construction_errors_match_torch(case: Any) -> None:
    same_error(case)


def _two_groups_sharing(m: Any) -> None:
    a = m.zeros(2, requires_grad=True)
    m.optim.SGD([{"params": [a]}, {"params": [a]}])


def test_zero_grad_and_closure() -> None:
    def case(m: Any) -> tuple[Any, ...]:
        w = m.tensor([1.0, -2.0, 3.0], requires_grad=True)
        opt = m.optim.SGD([w], lr=0.1, momentum=0.5)
        calls = []

        def closure() -> Any:
            calls.append(m.is_grad_enabled())
            opt.zero_grad()
            loss = ((w - 1) ** 2).sum()
            loss.backward()
            return loss

        losses = [opt.step(closure).item() for _ in range(5)]
        opt.zero_grad(set_to_none=False)
        zeroed = w.grad.tolist()
        opt.zero_grad()
        return losses, calls, zeroed, w.grad, w.tolist()

    got, expected = both(case)
    assert got[1:4] == expected[1:4]
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-6)
    np.testing.assert_allclose(got[4], expected[4], rtol=1e-6)


def test_step_runs_without_grad_mode_and_hooks_run_around_it() -> None:
    def case(m: Any) -> list[Any]:
        w = m.tensor([1.0, 2.0], requires_grad=True)
        opt = m.optim.Adam([w], lr=0.1)
        seen: list[Any] = []
        opt.register_step_pre_hook(lambda o, args, kwargs: seen.append(("pre", m.is_grad_enabled(), len(o.state))))
        handle = opt.register_step_post_hook(lambda o, args, kwargs: seen.append(("post", len(o.state))))
        w.grad = m.tensor([1.0, 1.0])
        opt.step()
        handle.remove()
        opt.step()
        seen.append(w.requires_grad and w.grad_fn is None)
        return seen

    got, expected = both(case)
    assert got == expected


def test_state_and_group_key_order_match_torch() -> None:
    def case(m: Any) -> Any:
        ps = make_params(m, "float32")
        out = []
        for name, kw in [("SGD", {"momentum": 0.9}), ("Adam", {"amsgrad": True}), ("AdamW", {}),
                         ("RMSprop", {"momentum": 0.1, "centered": True}), ("Adagrad", {})]:
            opt = getattr(m.optim, name)(ps, **kw)
            before = {i: list(s) for i, s in opt.state_dict()["state"].items()}
            set_grads(ps, 0)
            opt.step()
            sd = opt.state_dict()
            out.append((before, list(sd["param_groups"][0]), {i: list(s) for i, s in sd["state"].items()},
                        {i: repr(s.get("step")) for i, s in sd["state"].items()}))
        return out

    got, expected = both(case)
    assert got == expected


def test_default_float64_makes_float64_steps() -> None:
    torch = need_torch()
    old_g, old_t = gg.get_default_dtype(), torch.get_default_dtype()
    gg.set_default_dtype(gg.float64)
    torch.set_default_dtype(torch.float64)
    try:
        (gp, go), (tp, to) = run(gg, "Adam", {}, "float32", 2), run(torch, "Adam", {}, "float32", 2)
        assert repr(go.state[gp[0]]["step"]) == repr(to.state[tp[0]]["step"])
        assert go.state[gp[0]]["step"].dtype is gg.float64
    finally:
        gg.set_default_dtype(old_g)
        torch.set_default_dtype(old_t)


def test_tensor_lr_and_no_grad_params_are_skipped() -> None:
    def case(m: Any) -> Any:
        a, b = m.tensor([1.0, 2.0], requires_grad=True), m.tensor([3.0], requires_grad=True)
        opt = m.optim.SGD([a, b], lr=m.tensor(0.5))
        a.grad = m.tensor([1.0, 1.0])
        opt.step()
        return a.tolist(), b.tolist(), b._version, len(opt.state)

    got, expected = both(case)
    assert got == expected


def test_named_parameters_give_param_names() -> None:
    def case(m: Any) -> Any:
        a, b, c = make_params(m, "float32")
        opt = m.optim.Adam([("a", a), ("b", b)], lr=0.1)
        errors = []
        for bad in ([c], [("c", c), c]):  # a group without names; a group with a name missing
            try:
                opt.add_param_group({"params": bad})
            except ValueError as e:
                errors.append(str(e))
        set_grads([a, b], 0)
        opt.step()
        sd = opt.state_dict()
        fresh = m.optim.Adam([a.detach().clone().requires_grad_(True), b], lr=0.5)
        fresh.load_state_dict(sd)
        return sd["param_groups"], errors, fresh.param_groups[0]["param_names"], fresh.param_groups[0]["lr"]

    got, expected = both(case)
    assert got == expected
    assert got[0][0]["param_names"] == ["a", "b"]


def test_state_dict_hooks_and_deepcopy() -> None:
    def case(m: Any) -> Any:
        a = m.tensor([1.0, 2.0], requires_grad=True)
        opt = m.optim.SGD([a], lr=0.1, momentum=0.9)
        log: list[Any] = []
        opt.register_state_dict_pre_hook(lambda o: log.append("pre"))
        opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
        opt.register_load_state_dict_pre_hook(lambda o, sd: log.append(sorted(sd)))
        opt.register_load_state_dict_post_hook(lambda o: log.append("loaded"), prepend=True)
        a.grad = m.tensor([1.0, 1.0])
        opt.step()
        sd = opt.state_dict()
        opt.load_state_dict(sd)
        twin = copy.deepcopy(opt)
        twin_param = twin.param_groups[0]["params"][0]
        twin_param.grad = m.tensor([1.0, -1.0])
        twin.step()
        return (log, sorted(sd), twin_param.tolist(), a.tolist(),
                twin.state[twin_param]["momentum_buffer"].tolist(), repr(twin) == repr(opt))

    got, expected = both(case)
    assert got == expected


def test_custom_optimizer_subclass_runs_hooks_once() -> None:
    def case(m: Any) -> Any:
        class Sign(m.optim.Optimizer):
            def __init__(self, params: Any, lr: float = 0.1) -> None:
                super().__init__(params, {"lr": lr})

            @m.no_grad()
            def step(self, closure: Any = None) -> None:
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is not None:
                            p.sub_(group["lr"] * p.grad.sign())
                            self.state[p]["n"] = self.state[p].get("n", 0) + 1

        w = m.tensor([1.0, -2.0], requires_grad=True)
        opt = Sign([w])
        calls: list[str] = []
        opt.register_step_pre_hook(lambda o, args, kwargs: calls.append("pre"))
        for _ in range(3):
            w.grad = m.tensor([0.5, -0.5])
            opt.step()
        return calls, w.tolist(), opt.state_dict(), repr(opt)

    got, expected = both(case)
    assert got == expected
