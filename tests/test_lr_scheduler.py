"""glassgrad.optim.lr_scheduler against torch: the same learning-rate (and momentum) sequences, exactly."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassgrad as gg
from opinfo import both, need_torch, same_error


def make_opt(m: Any, kind: str = "SGD") -> Any:
    a = m.zeros(3, requires_grad=True)
    b = m.zeros(2, requires_grad=True)
    groups = [{"params": [a]}, {"params": [b], "lr": 0.05}]
    if kind == "Adam":
        return m.optim.Adam(groups, lr=0.1, betas=(0.9, 0.99))
    return m.optim.SGD(groups, lr=0.1, momentum=0.9)


def trace(m: Any, build: Callable[[Any, Any], Any], steps: int = 100, kind: str = "SGD") -> list[Any]:
    """The lrs (and momenta) of both groups after construction and after each of ``steps`` steps."""
    opt = make_opt(m, kind)
    sched = build(m.optim.lr_scheduler, opt)
    out = []
    for _ in range(steps + 1):
        momenta = [g.get("momentum", g["betas"][0] if "betas" in g else None) for g in opt.param_groups]
        out.append((sched.get_last_lr(), [g["lr"] for g in opt.param_groups], momenta))
        opt.step()
        sched.step()
    return out


SCHEDULERS: dict[str, Callable[[Any, Any], Any]] = {
    "StepLR": lambda S, o: S.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda S, o: S.MultiStepLR(o, milestones=[10, 30, 30, 60], gamma=0.3),
    "ExponentialLR": lambda S, o: S.ExponentialLR(o, gamma=0.97),
    "CosineAnnealingLR-periodic": lambda S, o: S.CosineAnnealingLR(o, T_max=30, eta_min=0.001),
    "CosineAnnealingLR": lambda S, o: S.CosineAnnealingLR(o, T_max=100),
    "LambdaLR": lambda S, o: S.LambdaLR(o, lambda e: 1.0 / (1.0 + e)),
    "LambdaLR-list": lambda S, o: S.LambdaLR(o, [lambda e: 0.95**e, lambda e: e // 10 + 1]),
    "MultiplicativeLR": lambda S, o: S.MultiplicativeLR(o, lambda e: 0.98),
    "ConstantLR": lambda S, o: S.ConstantLR(o, factor=0.5, total_iters=12),
    "LinearLR-warmup": lambda S, o: S.LinearLR(o, start_factor=0.25, total_iters=20),
    "LinearLR-decay": lambda S, o: S.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=70),
    "PolynomialLR": lambda S, o: S.PolynomialLR(o, total_iters=40, power=2.0),
    "OneCycleLR-cos": lambda S, o: S.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=101),
    "OneCycleLR-linear": lambda S, o: S.OneCycleLR(o, max_lr=0.4, epochs=10, steps_per_epoch=11,
                                                   anneal_strategy="linear", pct_start=0.25),
    "OneCycleLR-three-phase": lambda S, o: S.OneCycleLR(o, max_lr=0.3, total_steps=120, three_phase=True,
                                                        base_momentum=0.8, max_momentum=[0.9, 0.95]),
    "OneCycleLR-no-momentum": lambda S, o: S.OneCycleLR(o, max_lr=0.3, total_steps=101, cycle_momentum=False),
    "CyclicLR-triangular": lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=7),
    "CyclicLR-triangular2": lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5, step_size_down=9,
                                                    mode="triangular2"),
    "CyclicLR-exp_range": lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=6, mode="exp_range",
                                                  gamma=0.97, base_momentum=0.7, max_momentum=0.95),
    "CyclicLR-scale_fn": lambda S, o: S.CyclicLR(o, base_lr=0.02, max_lr=0.1, step_size_up=4, cycle_momentum=False,
                                                 scale_fn=lambda x: 1.0 / (1 + x), scale_mode="iterations"),
    "CosineAnnealingWarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=9, eta_min=0.002),
    "CosineAnnealingWarmRestarts-mult": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2),
    "SequentialLR": lambda S, o: S.SequentialLR(
        o, [S.LinearLR(o, start_factor=0.1, total_iters=10), S.ExponentialLR(o, gamma=0.95)], milestones=[10]),
    "ChainedScheduler": lambda S, o: S.ChainedScheduler(
        [S.ConstantLR(o, factor=0.5, total_iters=5), S.ExponentialLR(o, gamma=0.9)]),
}


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_lr_sequence_matches_torch_exactly(name: str) -> None:
    got, expected = both(lambda m: trace(m, SCHEDULERS[name]))
    assert got == expected


@pytest.mark.parametrize("name", ["OneCycleLR-cos", "CyclicLR-exp_range"])
def test_momentum_cycling_uses_adam_beta1(name: str) -> None:
    got, expected = both(lambda m: trace(m, SCHEDULERS[name], kind="Adam"))
    assert got == expected
    assert got[0][2] == [0.95, 0.95]


def test_warm_restarts_with_fractional_epochs() -> None:
    def case(m: Any) -> Any:
        opt = make_opt(m)
        out = []
        for mult in (1, 2):
            sched = m.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=4, T_mult=mult, eta_min=0.01)
            for epoch in (0.5, 1.25, 3.9, 4.0, 7.5, 13.2, 30.0, 2.0):
                sched.step(epoch)
                out.append((sched.get_last_lr(), sched.T_cur, sched.T_i, sched.last_epoch))
        return out

    got, expected = both(case)
    assert got == expected


def test_one_cycle_errors() -> None:
    same_error(lambda m: trace(m, lambda S, o: S.OneCycleLR(o, max_lr=0.1, total_steps=10), steps=11))
    same_error(lambda m: make_opt(m) and m.optim.lr_scheduler.OneCycleLR(make_opt(m), max_lr=0.1))
    same_error(lambda m: m.optim.lr_scheduler.OneCycleLR(make_opt(m), max_lr=0.1, total_steps=5, pct_start=1))
    same_error(lambda m: m.optim.lr_scheduler.OneCycleLR(make_opt(m), max_lr=[0.1], total_steps=5))
    same_error(lambda m: m.optim.lr_scheduler.OneCycleLR(make_opt(m), max_lr=0.1, total_steps=5,
                                                         anneal_strategy="exp"))
    same_error(lambda m: m.optim.lr_scheduler.OneCycleLR(
        m.optim.Adagrad([m.zeros(1, requires_grad=True)]), max_lr=0.1, total_steps=5))


def test_closed_form_with_epoch_argument_warns_and_matches() -> None:
    def case(m: Any) -> Any:
        opt = make_opt(m)
        out = []
        for sched in (m.optim.lr_scheduler.StepLR(opt, 3, gamma=0.5), m.optim.lr_scheduler.CosineAnnealingLR(opt, 20),
                      m.optim.lr_scheduler.MultiStepLR(opt, [2, 5]), m.optim.lr_scheduler.LinearLR(opt)):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                opt.step()
                for epoch in (4, 9, 1, 25):
                    sched.step(epoch)
                    out.append(sched.get_last_lr())
            out.append(sorted({str(x.message) for x in w}))
        return out

    got, expected = both(case)
    assert got == expected


def test_reduce_lr_on_plateau() -> None:
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.89, 0.9, 0.91, 0.92, 0.93, 0.94, 0.8, 0.8, 0.8, 0.8, 0.8] * 6

    def case(m: Any) -> Any:
        out = []
        for kw in [dict(patience=2), dict(mode="max", patience=1, factor=0.5, threshold_mode="abs", threshold=0.05),
                   dict(patience=1, cooldown=3, min_lr=[0.01, 0.02]), dict(patience=0, factor=0.5, min_lr=0.003),
                   dict(patience=1, factor=0.9, eps=0.01)]:
            opt = make_opt(m)
            sched = m.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
            for x in metrics:
                sched.step(m.tensor(x) if x == 0.8 else x)
                out.append((sched.get_last_lr(), sched.num_bad_epochs, sched.cooldown_counter, sched.best))
            state = sched.state_dict()
            out.append(sorted(state))
            out.append({k: v for k, v in state.items() if k != "best"})
        return out

    got, expected = both(case)
    assert got == expected


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR-periodic", "LambdaLR", "OneCycleLR-cos",
                                  "SequentialLR", "LinearLR-warmup", "CyclicLR-exp_range", "ChainedScheduler",
                                  "CosineAnnealingWarmRestarts-mult", "MultiStepLR"])
def test_state_dict_keys_and_round_trip(name: str) -> None:
    def case(m: Any) -> Any:
        build = SCHEDULERS[name]
        opt = make_opt(m)
        sched = build(m.optim.lr_scheduler, opt)
        for _ in range(13):
            opt.step()
            sched.step()
        state = copy.deepcopy(sched.state_dict())
        opt2 = make_opt(m)
        opt2.load_state_dict(opt.state_dict())
        sched2 = build(m.optim.lr_scheduler, opt2)
        sched2.load_state_dict(state)
        lrs = []
        for _ in range(30):
            opt2.step()
            sched2.step()
            lrs.append(sched2.get_last_lr())
        return _plain(state), lrs

    got, expected = both(case)
    assert got == expected


def _plain(state: Any) -> Any:
    """A scheduler state dict with nested scheduler dicts and Counters as plain comparable values."""
    if isinstance(state, dict):
        return {k: _plain(v) for k, v in state.items()}
    if isinstance(state, list):
        return [_plain(v) for v in state]
    return state


def test_warnings_match_torch() -> None:
    def case(m: Any) -> list[str]:
        opt = make_opt(m)
        sched = m.optim.lr_scheduler.StepLR(opt, 2)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            sched.step()  # before optimizer.step()
            sched.get_lr()  # outside step()
            opt.step()
            sched.step()
        return [str(x.message) for x in w]

    got, expected = both(case)
    assert got == expected and len(got) == 2


def test_no_warning_in_the_right_order() -> None:
    opt = make_opt(gg)
    sched = gg.optim.lr_scheduler.ExponentialLR(opt, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            opt.step()
            sched.step()
    assert sched.get_last_lr() == [0.1 * 0.5**3, 0.05 * 0.5**3]


@pytest.mark.parametrize("case", [
    lambda m: m.optim.lr_scheduler.StepLR(object(), 3),
    lambda m: m.optim.lr_scheduler.StepLR(make_opt(m), 3, last_epoch=4),
    lambda m: m.optim.lr_scheduler.LinearLR(make_opt(m), start_factor=0),
    lambda m: m.optim.lr_scheduler.LinearLR(make_opt(m), end_factor=2),
    lambda m: m.optim.lr_scheduler.ConstantLR(make_opt(m), factor=2),
    lambda m: m.optim.lr_scheduler.LambdaLR(make_opt(m), [lambda e: 1.0]),
    lambda m: m.optim.lr_scheduler.MultiplicativeLR(make_opt(m), 0.5),
    lambda m: m.optim.lr_scheduler.ReduceLROnPlateau(make_opt(m), factor=1.0),
    lambda m: m.optim.lr_scheduler.ReduceLROnPlateau(make_opt(m), mode="mid"),
    lambda m: m.optim.lr_scheduler.ReduceLROnPlateau(make_opt(m), threshold_mode="pct"),
    lambda m: m.optim.lr_scheduler.ReduceLROnPlateau(make_opt(m), min_lr=[0.1]),
    lambda m: m.optim.lr_scheduler.SequentialLR(make_opt(m), [], []),
    lambda m: _sequential_bad_milestones(m),
    lambda m: m.optim.lr_scheduler.CyclicLR(make_opt(m), 0.1, 0.2, mode="sawtooth"),
    lambda m: m.optim.lr_scheduler.CyclicLR(m.optim.Adagrad([m.zeros(1, requires_grad=True)]), 0.1, 0.2),
    lambda m: m.optim.lr_scheduler.CosineAnnealingWarmRestarts(make_opt(m), T_0=0),
    lambda m: m.optim.lr_scheduler.CosineAnnealingWarmRestarts(make_opt(m), T_0=3, T_mult=1.5),
    lambda m: m.optim.lr_scheduler.CosineAnnealingWarmRestarts(make_opt(m), T_0=3).step(-1),
], ids=lambda c: "")
def test_errors_match_torch(case: Any) -> None:
    same_error(case)


def _sequential_bad_milestones(m: Any) -> Any:
    opt = make_opt(m)
    S = m.optim.lr_scheduler
    return S.SequentialLR(opt, [S.ConstantLR(opt), S.ExponentialLR(opt, 0.9)], milestones=[3, 5])


def test_scheduler_drives_training_like_torch() -> None:
    """Adam + OneCycleLR on a small least-squares problem: the same parameters as torch after 40 steps."""
    torch = need_torch()
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(16, 3)), rng.normal(size=(16,))
    w0 = rng.normal(size=3)

    def case(m: Any) -> np.ndarray:
        w = m.tensor(w0.copy(), requires_grad=True)
        opt = m.optim.Adam([w], lr=0.01)
        sched = m.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=40)
        xs, ys = m.tensor(x), m.tensor(y)
        for _ in range(40):
            opt.zero_grad()
            ((xs @ w - ys) ** 2).mean().backward()
            opt.step()
            sched.step()
        return np.asarray(w.detach().numpy())

    got, expected = case(gg), case(torch)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
