"""``nn.Module`` itself against real torch: registration, traversal, modes, casting, state dicts, hooks, printing."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassgrad as gg
from opinfo import need_torch, same_error, to_np

torch = need_torch()


def same(case: Callable[[Any], Any]) -> Any:
    """``case(glassgrad) == case(torch)`` (both results compared as text)."""
    g, t = case(gg), case(torch)
    assert repr(g) == repr(t)
    return g


class Net:
    """A small model defined once for both libraries (``Net.build(L)``)."""

    @staticmethod
    def build(L: Any) -> Any:
        class Block(L.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.conv = L.nn.Conv2d(1, 2, 3, padding=1)
                self.bn = L.nn.BatchNorm2d(2)
                self.register_buffer("scale", L.ones(1))
                self.register_buffer("cache", L.zeros(2), persistent=False)

            def forward(self, x: Any, shift: float = 0.0) -> Any:
                return L.relu(self.bn(self.conv(x))) * self.scale + shift

        class Model(L.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.block = Block()
                self.head = L.nn.Sequential(L.nn.Flatten(), L.nn.Linear(8, 3))
                self.gain = L.nn.Parameter(L.ones(3))

            def forward(self, x: Any, shift: float = 0.0) -> Any:
                return self.head(self.block(x, shift=shift)) * self.gain

            def extra_repr(self) -> str:
                return "gain=learned"

        return Model()


# ---------------------------------------------------------------------------- traversal and printing

def test_tree_names_and_printing() -> None:
    def case(L: Any) -> Any:
        m = Net.build(L)
        return (str(m), [n for n, _ in m.named_modules()], [n for n, _ in m.named_children()],
                [n for n, _ in m.named_parameters()], [n for n, _ in m.named_buffers()], list(m.state_dict()),
                [n for n, _ in m.named_parameters(recurse=False)], [type(c).__name__ for c in m.children()],
                [type(c).__name__ for c in m.modules()], len(list(m.parameters())), len(list(m.buffers())),
                [n for n, _ in m.block.named_parameters(prefix="block")])
    same(case)


def test_state_dict_round_trip_and_keep_vars() -> None:
    torch.manual_seed(0)
    t = Net.build(torch)
    g = Net.build(gg)
    result = g.load_state_dict({k: gg.tensor(v.numpy().copy()) for k, v in t.state_dict().items()})
    assert repr(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    x = np.random.default_rng(0).standard_normal((2, 1, 2, 2))
    for mode in (True, False):
        g.train(mode)
        t.train(mode)
        np.testing.assert_allclose(to_np(g(gg.tensor(x, dtype=gg.float32), shift=0.5)),
                                   to_np(t(torch.tensor(x, dtype=torch.float32), shift=0.5)), rtol=1e-5, atol=1e-6)
    sd = g.state_dict()
    assert not sd["gain"].requires_grad and sd["gain"] is not g.gain
    assert g.state_dict(keep_vars=True)["gain"] is g.gain
    assert sd["block.bn.num_batches_tracked"].dtype == gg.int64
    # the state dict shares storage with the parameters
    sd["gain"].fill_(2.0)
    assert to_np(g.gain).tolist() == [2.0, 2.0, 2.0]


def test_load_state_dict_errors_and_non_strict() -> None:
    def case(L: Any) -> Any:
        m = L.nn.Sequential(L.nn.Linear(2, 3), L.nn.BatchNorm1d(3))
        sd = m.state_dict()
        del sd["1.running_var"]
        sd["extra"] = L.zeros(1)
        return m.load_state_dict(sd, strict=False)
    same(case)
    same_error(lambda L: L.nn.Sequential(L.nn.Linear(2, 3)).load_state_dict(
        {"0.weight": L.zeros(3, 3), "x": L.zeros(3)}))
    same_error(lambda L: L.nn.Linear(2, 3).load_state_dict({"weight": [[0.0] * 2] * 3, "bias": L.zeros(3)}))
    same_error(lambda L: L.nn.Linear(2, 3).load_state_dict({"weight": L.zeros(3, 2)}))


# ---------------------------------------------------------------------------- modes, grads, casting

def test_train_eval_zero_grad_requires_grad_apply() -> None:
    def case(L: Any) -> Any:
        m = Net.build(L)
        out = [m.training, m.eval() is m, [c.training for c in m.modules()]]
        m.train()
        out.append([c.training for c in m.modules()])
        m.block.train(False)
        out.append([c.training for c in m.modules()])
        m.train()
        m(L.ones(2, 1, 2, 2)).sum().backward()
        out.append([p.grad is not None for p in m.parameters()])
        m.zero_grad(set_to_none=False)
        out.append([float(p.grad.abs().sum()) for p in m.parameters()])
        m.zero_grad()
        out.append([p.grad for p in m.parameters()])
        out.append(m.requires_grad_(False) is m)
        out.append([p.requires_grad for p in m.parameters()])
        seen: list[str] = []
        out.append(m.apply(lambda mod: seen.append(type(mod).__name__)) is m)
        out.append(seen)
        return out
    same(case)
    same_error(lambda L: L.nn.Linear(1, 1).train("yes"))


def test_to_dtype_keeps_parameters_and_converts_grads() -> None:
    def case(L: Any) -> Any:
        m = Net.build(L)
        m(L.ones(2, 1, 2, 2)).sum().backward()
        params = list(m.parameters())
        out = [m.double() is m, all(a is b for a, b in zip(params, m.parameters()))]
        out.append(sorted({str(p.dtype) for p in m.parameters()} | {str(p.grad.dtype) for p in m.parameters()}))
        out.append([(n, str(b.dtype)) for n, b in m.named_buffers()])
        m.float()
        out.append(sorted({str(p.dtype) for p in m.parameters()}))
        m.to(L.float64)
        out.append(str(m.gain.dtype))
        m.to(L.zeros(1, dtype=L.float32))
        out.append(str(m.gain.dtype))
        m.to("cpu", L.float64)
        out.append(str(m.gain.dtype))
        m.to(device="cpu", dtype=L.float32)
        out.append(str(m.gain.dtype))
        out.append(m.to("cpu") is m)
        out.append(type(m.gain).__name__)
        return out
    same(case)
    same_error(lambda L: L.nn.Linear(2, 3).to(L.int64))


def test_optimizer_sees_cast_parameters() -> None:
    m = gg.nn.Linear(2, 1)
    opt = gg.optim.SGD(m.parameters(), lr=0.1)
    m.double()
    before = to_np(m.weight).copy()
    m(gg.ones(1, 2, dtype=gg.float64)).sum().backward()
    opt.step()
    np.testing.assert_allclose(to_np(m.weight), before - 0.1)


# ---------------------------------------------------------------------------- registration

@pytest.mark.parametrize("case", [
    lambda L: setattr(L.nn.Linear(2, 3), "weight", L.zeros(3, 2)),
    lambda L: setattr(L.nn.Linear(2, 3), "weight", 3),
    lambda L: L.nn.Module().register_buffer("a", 3),
    lambda L: L.nn.Module().register_buffer(3, None),
    lambda L: L.nn.Module().register_buffer("", None),
    lambda L: L.nn.Module().register_buffer("a.b", None),
    lambda L: L.nn.Module().register_parameter("a", L.zeros(2)),
    lambda L: L.nn.Module().register_parameter(3, None),
    lambda L: L.nn.Module().register_parameter("", None),
    lambda L: L.nn.Module().register_parameter("a.b", None),
    lambda L: L.nn.Module().register_parameter("a", L.nn.Parameter(L.zeros(2)) * 2),
    lambda L: L.nn.Module().add_module("a.b", None),
    lambda L: L.nn.Module().add_module("", None),
    lambda L: L.nn.Module().add_module(3, None),
    lambda L: L.nn.Module().add_module("a", 3),
    lambda L: L.nn.Module().add_module("a", L.zeros(1)),
    lambda L: L.nn.Module().add_module("training", None),
    lambda L: L.nn.Module().register_buffer("training", None),
    lambda L: L.nn.Module().register_parameter("forward", None),
    lambda L: setattr(L.nn.Sequential(L.nn.ReLU()), "0", 3),
    lambda L: setattr(L.nn.BatchNorm1d(2), "running_mean", 2),
    lambda L: L.nn.Sequential(L.nn.Linear(2, 3)).get_submodule("0.foo"),
    lambda L: L.nn.Sequential(L.nn.Linear(2, 3)).get_submodule("1"),
    lambda L: L.nn.Sequential(L.nn.Linear(2, 3)).get_submodule("0.weight"),
    lambda L: L.nn.Sequential(L.nn.Linear(2, 3)).get_parameter("0.foo"),
    lambda L: L.nn.Sequential(L.nn.Linear(2, 3)).get_parameter("0.in_features"),
    lambda L: L.nn.Sequential(L.nn.BatchNorm1d(2)).get_buffer("0.weight"),
    lambda L: L.nn.Linear(2, 3).nothing,
    lambda L: L.nn.Module()(1),
])
def test_registration_errors(case: Callable[[Any], Any]) -> None:
    same_error(case)


def test_registration_semantics() -> None:
    def case(L: Any) -> Any:
        m = L.nn.Module()
        m.register_buffer("a", L.zeros(2))
        m.register_buffer("b", L.ones(2), persistent=False)
        m.a = L.ones(3)  # a buffer stays a buffer
        m.c = L.nn.Buffer(L.ones(1), persistent=False)
        m.p = L.nn.Parameter(L.zeros(1))
        m.l1 = L.nn.Linear(1, 1)
        m.l2 = L.nn.ReLU()
        m.l1 = L.nn.Tanh()  # keeps its place
        m.p = L.nn.Parameter(L.ones(2))
        m.p = None
        out = [list(m.state_dict()), [n for n, _ in m.named_buffers()], list(m._modules), list(m._parameters),
               str(m.a.shape), type(m.c).__name__, repr(m)]
        del m.l1
        out.append(list(m._modules))
        s = L.nn.Sequential(L.nn.Linear(2, 2), L.nn.Linear(2, 2))
        out += [str(m.get_submodule("")), str(s.get_submodule("1")), str(s.get_parameter("1.bias").shape),
                str(L.nn.Sequential(L.nn.BatchNorm1d(2)).get_buffer("0.running_mean").shape)]
        shared = L.nn.Linear(2, 2)
        twice = L.nn.Sequential(shared, shared)
        out += [[n for n, _ in twice.named_parameters()], [n for n, _ in twice.named_modules()],
                [n for n, _ in twice.named_parameters(remove_duplicate=False)], list(twice.state_dict())]
        return out
    same(case)


# ---------------------------------------------------------------------------- calling and hooks

def test_forward_hooks() -> None:
    def case(L: Any) -> Any:
        m = L.nn.Linear(2, 2)
        with L.no_grad():
            m.weight.copy_(L.tensor([[1.0, 2.0], [3.0, 4.0]]))
            m.bias.zero_()
        log: list[Any] = []
        m.register_forward_pre_hook(lambda mod, a: log.append("pre1"))
        m.register_forward_pre_hook(lambda mod, a: log.append("pre0"), prepend=True)
        h = m.register_forward_pre_hook(lambda mod, a: (a[0] * 2,))
        m.register_forward_pre_hook(lambda mod, a, k: (a, {**k}), with_kwargs=True)
        m.register_forward_hook(lambda mod, a, k, o: log.append(("kw", sorted(k))), with_kwargs=True)
        h2 = m.register_forward_hook(lambda mod, a, o: o + 1)
        y = m(L.ones(1, 2))
        h.remove()
        h2.remove()
        z = m(L.ones(1, 2))
        return log, y.tolist(), z.tolist(), len(m._forward_hooks), len(m._forward_pre_hooks)
    same(case)

    def always(L: Any) -> Any:
        m = L.nn.Linear(2, 2)
        log: list[Any] = []
        m.register_forward_hook(lambda mod, a, o: log.append(("always", o)), always_call=True)
        m.register_forward_hook(lambda mod, a, o: log.append("normal"))
        try:
            m(L.ones(1, 3))
        except RuntimeError:
            log.append("raised")
        return log
    same(always)

    def bad_pre(L: Any) -> Any:
        m = L.nn.Linear(2, 2)
        m.register_forward_pre_hook(lambda mod, a, k: 5, with_kwargs=True)
        return m(L.ones(1, 2))
    same_error(bad_pre)


def test_copy_and_pickle() -> None:
    def case(L: Any) -> Any:
        m = L.nn.Sequential(L.nn.Linear(2, 3), L.nn.BatchNorm1d(3))
        m2 = copy.deepcopy(m)
        m3 = pickle.loads(pickle.dumps(m))
        return (m2[0].weight is m[0].weight, bool((m2[0].weight == m[0].weight).all()), str(m3),
                type(m3[0].weight).__name__, list(m3.state_dict()), m3[0].weight.requires_grad)
    same(case)


def test_subclass_without_forward_and_extra_repr() -> None:
    def case(L: Any) -> Any:
        class M(L.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.inner = L.nn.Linear(1, 1)
                self.empty = L.nn.Sequential()
                self.add_module("missing", None)

            def extra_repr(self) -> str:
                return "a=1\nb=2"
        return str(M())
    same(case)


def test_state_dict_metadata_and_loading_rules() -> None:
    def case(L: Any) -> Any:
        out = []
        m = L.nn.Sequential(L.nn.Linear(1, 1), L.nn.BatchNorm1d(2))
        out.append(dict(m.state_dict()._metadata))
        # a checkpoint without metadata may lack num_batches_tracked (older PyTorch): accepted
        bn = L.nn.BatchNorm1d(2)
        out.append(bn.load_state_dict({k: v for k, v in bn.state_dict().items() if "num_batches" not in k}))
        # ... but with version-2 metadata it is missing
        sd = bn.state_dict()
        del sd["num_batches_tracked"]
        try:
            bn.load_state_dict(sd)
        except RuntimeError as e:
            out.append(str(e))
        # unexpected keys are listed module by module; dtype is cast on copy
        sd = L.nn.Sequential(L.nn.Linear(1, 1)).state_dict()
        del sd["0.bias"]
        sd["0.q"] = L.zeros(1)
        sd["zz"] = L.zeros(1)
        sd["0.weight"] = L.full((1, 1), 3.0, dtype=L.float64)
        target = L.nn.Sequential(L.nn.Linear(1, 1))
        out.append(target.load_state_dict(sd, strict=False))
        out.append((target[0].weight.tolist(), str(target[0].weight.dtype)))
        # assign=True takes the tensors (as Parameters with the module's requires_grad)
        lin = L.nn.Linear(1, 1)
        lin.load_state_dict({"weight": L.ones(1, 1, dtype=L.float64), "bias": L.zeros(1)}, assign=True)
        out.append((type(lin.weight).__name__, str(lin.weight.dtype), lin.weight.requires_grad))
        # a 1-element checkpoint value loads into a 0-dim buffer
        bn2 = L.nn.BatchNorm1d(2)
        sd = bn2.state_dict()
        sd["num_batches_tracked"] = L.tensor([7])
        bn2.load_state_dict(sd)
        out.append(int(bn2.num_batches_tracked))
        return out
    same(case)
    same_error(lambda L: L.nn.Linear(1, 1).load_state_dict([("weight", L.zeros(1, 1))]))
