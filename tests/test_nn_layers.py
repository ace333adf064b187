"""The ``nn`` layers against real torch.

Each case builds the same layer in both libraries, copies torch's ``state_dict`` into
glassgrad's (through NumPy), then compares: the printed module, the ``state_dict`` keys,
the outputs, the input and parameter gradients, and the buffers after the forward, in
float64 and float32, in training and in eval mode.
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassgrad as gg
from opinfo import need_torch, raised, same_error, to_np

torch = need_torch()

TOL = {"float64": (1e-10, 1e-12), "float32": (2e-5, 2e-6)}


def to_gg_state(sd: dict[str, Any]) -> dict[str, gg.Tensor]:
    """A torch state_dict as glassgrad tensors (through NumPy)."""
    return OrderedDict((k, gg.tensor(v.detach().numpy().copy())) for k, v in sd.items())


def pair(make: Callable[[Any], Any], dtype: str) -> tuple[Any, Any]:
    """``make(gg)`` and ``make(torch)`` in ``dtype``, glassgrad's state loaded from torch's."""
    torch.manual_seed(0)
    t = make(torch).to(getattr(torch, dtype))
    g = make(gg).to(getattr(gg, dtype))
    g.load_state_dict(to_gg_state(t.state_dict()))
    return g, t


def close(g: Any, t: Any, dtype: str, what: str) -> None:
    assert str(g.dtype) == str(t.dtype), (what, g.dtype, t.dtype)
    assert tuple(g.shape) == tuple(t.shape), (what, g.shape, t.shape)
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(to_np(g), to_np(t), rtol=rtol, atol=atol, err_msg=what)


def run_case(make: Callable[[Any], Any], shapes: list[tuple[int, ...]], dtype: str, train: bool,
             index_high: int | None = None, steps: int = 1, seed: int = 0) -> tuple[Any, Any]:
    """Forward ``steps`` times and backward once; compare everything with torch."""
    g, t = pair(make, dtype)
    g.train(train)
    t.train(train)
    assert repr(g) == repr(t)
    assert list(g.state_dict()) == list(t.state_dict())
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in g.named_buffers()] == [n for n, _ in t.named_buffers()]
    rng = np.random.default_rng(seed)
    for step in range(steps):
        if index_high is not None:
            arrays = [rng.integers(0, index_high, size=s) for s in shapes]
            gi = [gg.tensor(a) for a in arrays]
            ti = [torch.tensor(a) for a in arrays]
        else:
            arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
            gi = [gg.tensor(a, requires_grad=True) for a in arrays]
            ti = [torch.tensor(a, requires_grad=True) for a in arrays]
        go, to = g(*gi), t(*ti)
        close(go, to, dtype, f"output (step {step})")
        for (name, gb), (_, tb) in zip(g.named_buffers(), t.named_buffers()):
            close(gb, tb, dtype if tb.is_floating_point() else "float64", f"buffer {name} (step {step})")
    if to.requires_grad:
        up = rng.standard_normal(tuple(to.shape)).astype(dtype)
        go.backward(gg.tensor(up))
        to.backward(torch.tensor(up))
        if index_high is None:
            for k, (a, b) in enumerate(zip(gi, ti)):
                close(a.grad, b.grad, dtype, f"input {k} grad")
        for (name, gp), (_, tp) in zip(g.named_parameters(), t.named_parameters()):
            assert (gp.grad is None) == (tp.grad is None), name
            if tp.grad is not None:
                close(gp.grad, tp.grad, dtype, f"{name}.grad")
    return g, t


# ---------------------------------------------------------------------------- the cases

CASES: list[tuple[str, Callable[[Any], Any], list[tuple[int, ...]]]] = [
    ("Bilinear", lambda L: L.nn.Bilinear(3, 4, 5), [(2, 3), (2, 4)]),
    ("Bilinear-nobias", lambda L: L.nn.Bilinear(3, 4, 2, bias=False), [(6, 3), (6, 4)]),
    ("Flatten", lambda L: L.nn.Flatten(), [(2, 3, 4)]),
    ("Flatten-0-1", lambda L: L.nn.Flatten(0, 1), [(2, 3, 4)]),
    ("Unflatten", lambda L: L.nn.Unflatten(1, (2, 3)), [(2, 6, 2)]),
    ("LayerNorm", lambda L: L.nn.LayerNorm(4), [(3, 4)]),
    ("LayerNorm-2d-noaffine", lambda L: L.nn.LayerNorm((3, 4), elementwise_affine=False, eps=1e-3), [(2, 3, 4)]),
    ("LayerNorm-nobias", lambda L: L.nn.LayerNorm([4], bias=False), [(2, 3, 4)]),
    ("RMSNorm", lambda L: L.nn.RMSNorm(4), [(3, 4)]),
    ("RMSNorm-eps", lambda L: L.nn.RMSNorm([3, 4], eps=1e-6, elementwise_affine=False), [(2, 3, 4)]),
    ("GroupNorm", lambda L: L.nn.GroupNorm(2, 4), [(2, 4, 3, 3)]),
    ("GroupNorm-noaffine", lambda L: L.nn.GroupNorm(1, 4, affine=False, eps=1e-3), [(2, 4, 5)]),
    ("Conv1d", lambda L: L.nn.Conv1d(2, 4, 3, stride=2, padding=1), [(2, 2, 9)]),
    ("Conv1d-same", lambda L: L.nn.Conv1d(2, 3, 4, padding="same", dilation=2, bias=False), [(2, 2, 9)]),
    ("Conv1d-unbatched", lambda L: L.nn.Conv1d(2, 3, 2), [(2, 5)]),
    ("Conv2d", lambda L: L.nn.Conv2d(2, 4, 3), [(2, 2, 5, 5)]),
    ("Conv2d-args", lambda L: L.nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2,
                                          bias=False), [(2, 4, 6, 7)]),
    ("Conv2d-same", lambda L: L.nn.Conv2d(2, 3, 4, padding="same"), [(1, 2, 6, 5)]),
    ("Conv2d-valid", lambda L: L.nn.Conv2d(2, 3, 2, padding="valid"), [(1, 2, 4, 4)]),
    ("Conv2d-reflect", lambda L: L.nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"), [(2, 2, 5, 4)]),
    ("Conv2d-replicate", lambda L: L.nn.Conv2d(2, 3, 3, padding=(2, 1), padding_mode="replicate"), [(1, 2, 4, 4)]),
    ("Conv2d-circular", lambda L: L.nn.Conv2d(2, 3, 3, padding=1, padding_mode="circular"), [(1, 2, 4, 5)]),
    ("Conv2d-reflect-unbatched", lambda L: L.nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"), [(2, 4, 5)]),
    ("Conv2d-same-reflect", lambda L: L.nn.Conv2d(1, 2, 4, padding="same", padding_mode="reflect"), [(1, 1, 6, 6)]),
    ("MaxPool2d", lambda L: L.nn.MaxPool2d(2), [(2, 3, 4, 4)]),
    ("MaxPool2d-args", lambda L: L.nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), [(1, 2, 6, 7)]),
    ("MaxPool2d-dilation", lambda L: L.nn.MaxPool2d((2, 3), dilation=2), [(1, 2, 7, 8)]),
    ("MaxPool1d", lambda L: L.nn.MaxPool1d(3, stride=2), [(2, 3, 9)]),
    ("AvgPool2d", lambda L: L.nn.AvgPool2d(2), [(2, 3, 4, 4)]),
    ("AvgPool2d-args", lambda L: L.nn.AvgPool2d(3, 2, 1, count_include_pad=False, ceil_mode=True), [(1, 2, 6, 7)]),
    ("AvgPool2d-divisor", lambda L: L.nn.AvgPool2d((2, 3), divisor_override=4), [(1, 2, 4, 6)]),
    ("AvgPool1d", lambda L: L.nn.AvgPool1d(3, padding=1), [(2, 3, 8)]),
    ("AdaptiveAvgPool2d", lambda L: L.nn.AdaptiveAvgPool2d((2, 3)), [(2, 3, 5, 7)]),
    ("AdaptiveAvgPool2d-1", lambda L: L.nn.AdaptiveAvgPool2d(1), [(2, 3, 4, 4)]),
    ("AdaptiveAvgPool2d-None", lambda L: L.nn.AdaptiveAvgPool2d((None, 2)), [(2, 3, 4, 5)]),
    ("AdaptiveAvgPool1d", lambda L: L.nn.AdaptiveAvgPool1d(3), [(2, 3, 7)]),
    ("ReLU", lambda L: L.nn.ReLU(), [(3, 4)]),
    ("ReLU6", lambda L: L.nn.ReLU6(), [(3, 4)]),
    ("Hardtanh", lambda L: L.nn.Hardtanh(-0.5, 1.5), [(3, 4)]),
    ("GELU", lambda L: L.nn.GELU(), [(3, 4)]),
    ("GELU-tanh", lambda L: L.nn.GELU(approximate="tanh"), [(3, 4)]),
    ("SiLU", lambda L: L.nn.SiLU(), [(3, 4)]),
    ("Mish", lambda L: L.nn.Mish(), [(3, 4)]),
    ("Hardsigmoid", lambda L: L.nn.Hardsigmoid(), [(3, 4)]),
    ("Hardswish", lambda L: L.nn.Hardswish(), [(3, 4)]),
    ("Tanh", lambda L: L.nn.Tanh(), [(3, 4)]),
    ("Sigmoid", lambda L: L.nn.Sigmoid(), [(3, 4)]),
    ("LogSigmoid", lambda L: L.nn.LogSigmoid(), [(3, 4)]),
    ("Softsign", lambda L: L.nn.Softsign(), [(3, 4)]),
    ("Softmax", lambda L: L.nn.Softmax(dim=1), [(3, 4)]),
    ("Softmin", lambda L: L.nn.Softmin(dim=0), [(3, 4)]),
    ("LogSoftmax", lambda L: L.nn.LogSoftmax(dim=-1), [(2, 3, 4)]),
    ("LeakyReLU", lambda L: L.nn.LeakyReLU(0.2), [(3, 4)]),
    ("ELU", lambda L: L.nn.ELU(alpha=0.5), [(3, 4)]),
    ("CELU", lambda L: L.nn.CELU(alpha=2.0), [(3, 4)]),
    ("SELU", lambda L: L.nn.SELU(), [(3, 4)]),
    ("Softplus", lambda L: L.nn.Softplus(beta=2, threshold=1.0), [(3, 4)]),
    ("Dropout-p0", lambda L: L.nn.Dropout(0.0), [(3, 4)]),
    ("Sequential", lambda L: L.nn.Sequential(
        L.nn.Conv2d(1, 4, 3, padding=1), L.nn.GroupNorm(2, 4), L.nn.ReLU(), L.nn.MaxPool2d(2), L.nn.Flatten(),
        L.nn.Linear(16, 5), L.nn.LayerNorm(5), L.nn.GELU(), L.nn.Dropout(0.0), L.nn.Linear(5, 3)), [(2, 1, 4, 4)]),
    ("Sequential-dict", lambda L: L.nn.Sequential(OrderedDict(
        [("fc", L.nn.Linear(3, 4)), ("act", L.nn.Tanh()), ("out", L.nn.Linear(4, 2))])), [(5, 3)]),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,make,shapes", CASES, ids=[c[0] for c in CASES])
def test_layer_matches_torch(name: str, make: Callable[[Any], Any], shapes: list[tuple[int, ...]], dtype: str) -> None:
    run_case(make, shapes, dtype, train=True)
    if dtype == "float64":  # eval mode once (float32 adds nothing mode-specific)
        run_case(make, shapes, dtype, train=False, seed=1)


# ---------------------------------------------------------------------------- batch norm

BN_CASES: list[tuple[str, Callable[[Any], Any], tuple[int, ...]]] = [
    ("1d-2d-input", lambda L: L.nn.BatchNorm1d(3), (4, 3)),
    ("1d-3d-input", lambda L: L.nn.BatchNorm1d(3, momentum=0.3), (4, 3, 5)),
    ("2d", lambda L: L.nn.BatchNorm2d(3), (2, 3, 4, 4)),
    ("2d-cumulative", lambda L: L.nn.BatchNorm2d(3, momentum=None), (2, 3, 3, 2)),
    ("2d-no-affine", lambda L: L.nn.BatchNorm2d(3, affine=False, eps=1e-3), (2, 3, 3, 3)),
    ("2d-no-bias", lambda L: L.nn.BatchNorm2d(3, bias=False), (2, 3, 3, 3)),
    ("2d-untracked", lambda L: L.nn.BatchNorm2d(3, track_running_stats=False), (2, 3, 3, 3)),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,make,shape", BN_CASES, ids=[c[0] for c in BN_CASES])
def test_batchnorm_running_stats(name: str, make: Callable[[Any], Any], shape: tuple[int, ...], dtype: str) -> None:
    """Three training steps update the running statistics as torch does; eval then uses them."""
    g, t = run_case(make, [shape], dtype, train=True, steps=3)
    if t.track_running_stats:
        assert int(g.num_batches_tracked.item()) == int(t.num_batches_tracked.item()) == 3
        assert g.num_batches_tracked.dtype == gg.int64
    g.eval()
    t.eval()
    x = np.random.default_rng(5).standard_normal(shape).astype(dtype)
    close(g(gg.tensor(x)), t(torch.tensor(x)), dtype, "eval output after training")
    for (n, gb), (_, tb) in zip(g.named_buffers(), t.named_buffers()):
        close(gb, tb, dtype if tb.is_floating_point() else "float64", f"{n} unchanged in eval")


def test_batchnorm_eval_uses_running_stats() -> None:
    bn = gg.nn.BatchNorm1d(2)
    bn.running_mean.copy_(gg.tensor([1.0, -1.0]))
    bn.running_var.copy_(gg.tensor([4.0, 0.25]))
    bn.eval()
    y = bn(gg.tensor([[3.0, 0.0]]))
    np.testing.assert_allclose(to_np(y), [[2 / math.sqrt(4 + 1e-5), 1 / math.sqrt(0.25 + 1e-5)]], rtol=1e-6)
    assert int(bn.num_batches_tracked.item()) == 0


def test_batchnorm_reset_running_stats() -> None:
    bn = gg.nn.BatchNorm1d(2)
    bn(gg.randn(5, 2))
    bn.reset_running_stats()
    assert to_np(bn.running_mean).tolist() == [0.0, 0.0]
    assert to_np(bn.running_var).tolist() == [1.0, 1.0]
    assert int(bn.num_batches_tracked.item()) == 0


# ---------------------------------------------------------------------------- embedding

def test_embedding_padding_idx() -> None:
    for dtype in ("float64", "float32"):
        run_case(lambda L: L.nn.Embedding(6, 3, padding_idx=0), [(2, 5)], dtype, train=True, index_high=6)
        run_case(lambda L: L.nn.Embedding(6, 3, padding_idx=-2, scale_grad_by_freq=True), [(7,)], dtype,
                 train=True, index_high=6)
    e = gg.nn.Embedding(5, 2, padding_idx=-1)
    assert e.padding_idx == 4
    assert to_np(e.weight[4]).tolist() == [0.0, 0.0]


def test_embedding_max_norm_renormalises_weight() -> None:
    g, t = pair(lambda L: L.nn.Embedding(5, 4, max_norm=1.0, norm_type=1.0), "float64")
    assert repr(g) == repr(t) == "Embedding(5, 4, max_norm=1.0, norm_type=1.0)"
    idx = np.array([[0, 2], [2, 4]])
    close(g(gg.tensor(idx)), t(torch.tensor(idx)), "float64", "output")
    close(g.weight.detach(), t.weight.detach(), "float64", "weight renormalised in place")


def test_embedding_from_pretrained() -> None:
    w = np.arange(6.0).reshape(3, 2)
    for freeze in (True, False):
        g = gg.nn.Embedding.from_pretrained(gg.tensor(w), freeze=freeze, padding_idx=1)
        t = torch.nn.Embedding.from_pretrained(torch.tensor(w), freeze=freeze, padding_idx=1)
        assert repr(g) == repr(t)
        assert g.weight.requires_grad == t.weight.requires_grad == (not freeze)
        close(g(gg.tensor([2, 1])), t(torch.tensor([2, 1])), "float64", "lookup")
    same_error(lambda L: L.nn.Embedding.from_pretrained(L.zeros(3)))


# ---------------------------------------------------------------------------- dropout

def test_dropout_train_and_eval() -> None:
    gg.manual_seed(0)
    d = gg.nn.Dropout(0.25)
    assert repr(d) == repr(torch.nn.Dropout(0.25)) == "Dropout(p=0.25, inplace=False)"
    x = gg.ones(200, 100, requires_grad=True)
    y = d(x)
    vals = to_np(y)
    kept = vals != 0
    assert 0.70 < kept.mean() < 0.80
    np.testing.assert_allclose(vals[kept], 1 / 0.75)
    y.sum().backward()
    np.testing.assert_allclose(to_np(x.grad), kept / 0.75)
    d.eval()
    assert d(x) is x or np.array_equal(to_np(d(x)), to_np(x))


# ---------------------------------------------------------------------------- initialisation

def test_init_order_and_distribution() -> None:
    """Parameters are drawn from glassgrad's generator in torch's order with torch's distributions."""
    def redraw(*shapes_and_inits: tuple[tuple[int, ...], Callable[[gg.Tensor], Any]]) -> list[np.ndarray]:
        out = []
        for shape, fill in shapes_and_inits:
            t = gg.empty(shape)
            fill(t)
            out.append(to_np(t))
        return out

    gg.manual_seed(3)
    conv = gg.nn.Conv2d(4, 6, (3, 2), groups=2)
    gg.manual_seed(3)
    fan_in = 2 * 3 * 2
    w, b = redraw(((6, 2, 3, 2), lambda t: gg.nn.init.kaiming_uniform_(t, a=math.sqrt(5))),
                  ((6,), lambda t: gg.nn.init.uniform_(t, -1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in))))
    np.testing.assert_array_equal(to_np(conv.weight), w)
    np.testing.assert_array_equal(to_np(conv.bias), b)

    gg.manual_seed(4)
    bil = gg.nn.Bilinear(5, 2, 3)
    gg.manual_seed(4)
    w, b = redraw(((3, 5, 2), lambda t: gg.nn.init.uniform_(t, -1 / math.sqrt(5), 1 / math.sqrt(5))),
                  ((3,), lambda t: gg.nn.init.uniform_(t, -1 / math.sqrt(5), 1 / math.sqrt(5))))
    np.testing.assert_array_equal(to_np(bil.weight), w)
    np.testing.assert_array_equal(to_np(bil.bias), b)

    gg.manual_seed(5)
    emb = gg.nn.Embedding(400, 50, padding_idx=3)
    gg.manual_seed(5)
    (w,) = redraw(((400, 50), gg.nn.init.normal_))
    w[3] = 0
    np.testing.assert_array_equal(to_np(emb.weight), w)
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02


@pytest.mark.parametrize("make,bound", [
    (lambda L: L.nn.Conv1d(3, 8, 5), 1 / math.sqrt(15)),
    (lambda L: L.nn.Conv2d(6, 9, 3, groups=3), 1 / math.sqrt(18)),
    (lambda L: L.nn.Bilinear(7, 3, 4), 1 / math.sqrt(7)),
])
def test_uniform_init_bounds(make: Callable[[Any], Any], bound: float) -> None:
    gg.manual_seed(0)
    m = make(gg)
    t = make(torch)
    for (n, p), (_, tp) in zip(m.named_parameters(), t.named_parameters()):
        assert p.shape == tp.shape and p.dtype == gg.float32 and p.requires_grad
        v = to_np(p)
        assert v.min() >= -bound and v.max() <= bound, n
        assert v.max() - v.min() > bound  # spread over the interval, not a constant


def test_norm_layers_init_and_dtype() -> None:
    for make in (lambda L: L.nn.LayerNorm((2, 3), dtype=L.float64), lambda L: L.nn.GroupNorm(2, 4, dtype=L.float64),
                 lambda L: L.nn.BatchNorm2d(3, dtype=L.float64), lambda L: L.nn.RMSNorm(3, dtype=L.float64)):
        g, t = make(gg), make(torch)
        assert repr(g) == repr(t)
        for (n, a), (_, b) in zip(g.state_dict().items(), t.state_dict().items()):
            assert str(a.dtype) == str(b.dtype), n
            np.testing.assert_array_equal(to_np(a), to_np(b), err_msg=n)


def test_conv_padding_mode_reprs() -> None:
    for make in (lambda L: L.nn.Conv2d(2, 2, 3, padding="same", padding_mode="circular"),
                 lambda L: L.nn.Conv1d(2, 4, 3, padding="valid", groups=2),
                 lambda L: L.nn.Conv2d(1, 1, (1, 3), stride=2, dilation=(2, 1), padding=(0, 1))):
        g, t = make(gg), make(torch)
        assert repr(g) == repr(t)
        assert g._reversed_padding_repeated_twice == list(t._reversed_padding_repeated_twice)


def test_pool_return_indices() -> None:
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 4))
    go, gi = gg.nn.MaxPool2d(2, return_indices=True)(gg.tensor(x))
    to, ti = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x))
    close(go, to, "float64", "values")
    assert to_np(gi).tolist() == to_np(ti).tolist()


# ---------------------------------------------------------------------------- containers

def test_container_reprs() -> None:
    def build(L: Any) -> Any:
        return L.nn.Sequential(OrderedDict([
            ("blocks", L.nn.ModuleList([L.nn.Linear(2, 2), L.nn.Linear(2, 2), L.nn.ReLU(), L.nn.ReLU(), L.nn.Tanh()])),
            ("heads", L.nn.ModuleDict({"b": L.nn.Linear(2, 1), "a": L.nn.Identity()})),
            ("bn", L.nn.BatchNorm1d(2)),
            ("conv", L.nn.Conv1d(2, 2, 1)),
        ]))
    g, t = build(gg), build(torch)
    assert repr(g) == repr(t)
    assert list(g.state_dict()) == list(t.state_dict())
    assert repr(gg.nn.ModuleList()) == repr(torch.nn.ModuleList()) == "ModuleList()"


def test_parameter_containers() -> None:
    def build(L: Any) -> Any:
        m = L.nn.Module()
        m.plist = L.nn.ParameterList([L.nn.Parameter(L.zeros(2, 3)), L.ones(4), "x"])
        m.pdict = L.nn.ParameterDict({"w": L.zeros(3, dtype=L.float64), "a": L.nn.Parameter(L.ones(1, 2))})
        return m
    g, t = build(gg), build(torch)
    assert repr(g) == repr(t)
    assert list(g.state_dict()) == list(t.state_dict()) == ["plist.0", "plist.1", "pdict.a", "pdict.w"]
    assert isinstance(g.plist[1], gg.nn.Parameter) and g.plist[2] == "x"
    assert len(g.plist) == 3 and len(g.plist[:2]) == 2 and g.plist[-1] == "x"
    assert list(g.pdict) == list(t.pdict) == ["a", "w"]
    assert "w" in g.pdict and g.pdict.get("zz") is None
    g.pdict["q"] = gg.zeros(1)
    assert isinstance(g.pdict["q"], gg.nn.Parameter) and len(g.pdict) == 3
    assert g.pdict.pop("q").shape == (1,) and "q" not in g.pdict
    same_error(lambda L: L.nn.ParameterList()(1))
    same_error(lambda L: L.nn.ParameterDict()(1))
    same_error(lambda L: L.nn.ParameterDict()[1])
    same_error(lambda L: L.nn.ParameterList([L.zeros(1)])[1])
    same_error(lambda L: L.nn.ParameterList().extend(L.zeros(2)))


def test_sequential_api() -> None:
    def ops(L: Any) -> list[str]:
        a, b, c = L.nn.Linear(2, 2), L.nn.ReLU(), L.nn.Tanh()
        s = L.nn.Sequential(a, b)
        out = [repr(s[0]), repr(s[-1]), repr(s[0:1]), str(len(s))]
        s.append(c)
        out.append(repr(s))
        s.insert(1, L.nn.Sigmoid())
        out.append(repr(s))
        del s[0]
        out.append(repr(s))
        out.append(repr(s.pop(1)))
        s.extend([L.nn.Identity()])
        s[0] = L.nn.GELU()
        out.append(repr(s))
        out.append(repr(s + L.nn.Sequential(L.nn.ReLU())))
        out.append(repr(s * 2))
        out.append(repr([type(m).__name__ for m in s]))
        return out
    assert ops(gg) == ops(torch)
    same_error(lambda L: L.nn.Sequential(L.nn.ReLU())[1])
    same_error(lambda L: L.nn.Sequential() + L.nn.ReLU())
    same_error(lambda L: L.nn.Sequential(L.nn.ReLU()) * 0)


def test_module_list_and_dict_api() -> None:
    def ops(L: Any) -> list[str]:
        ml = L.nn.ModuleList([L.nn.ReLU(), L.nn.Tanh()])
        ml.append(L.nn.Sigmoid())
        ml.extend([L.nn.GELU()])
        ml.insert(0, L.nn.Identity())
        out = [repr(ml), repr(ml[1:3]), repr(ml[-1])]
        del ml[1]
        out.append(repr(ml))
        out.append(repr(ml.pop(0)))
        out.append(repr(ml + L.nn.ModuleList([L.nn.ReLU()])))
        md = L.nn.ModuleDict([("x", L.nn.ReLU()), ("a", L.nn.Tanh())])
        md["z"] = L.nn.Identity()
        md.update({"b": L.nn.GELU()})
        out += [repr(md), str(list(md)), str(list(md.keys())), str("a" in md), repr(md.pop("x")), str(len(md))]
        return out
    assert ops(gg) == ops(torch)
    same_error(lambda L: L.nn.ModuleList([L.nn.ReLU()])[3])
    same_error(lambda L: L.nn.ModuleList().extend(3))
    same_error(lambda L: L.nn.ModuleDict().update([("a",)]))
    same_error(lambda L: L.nn.ModuleDict().update(3))


# ---------------------------------------------------------------------------- misuse

@pytest.mark.parametrize("case", [
    lambda L: L.nn.Conv2d(3, 4, 3)(L.zeros(2, 3, 4, 4, 4)),
    lambda L: L.nn.Conv2d(3, 4, 3)(L.zeros(3)),
    lambda L: L.nn.Conv2d(3, 4, 3)(L.zeros(1, 2, 5, 5)),
    lambda L: L.nn.Conv2d(3, 4, 5)(L.zeros(1, 3, 4, 4)),
    lambda L: L.nn.Conv1d(3, 4, 3)(L.zeros(1, 3, 4, 4)),
    lambda L: L.nn.BatchNorm1d(3)(L.zeros(2, 3, 4, 4)),
    lambda L: L.nn.BatchNorm2d(3)(L.zeros(2, 3, 4)),
    lambda L: L.nn.BatchNorm2d(3)(L.zeros(2, 4, 2, 2)),
    lambda L: L.nn.BatchNorm2d(3).eval()(L.zeros(2, 4, 2, 2)),
    lambda L: L.nn.BatchNorm1d(3)(L.zeros(1, 3)),
    lambda L: L.nn.LayerNorm(4)(L.zeros(2, 3)),
    lambda L: L.nn.GroupNorm(2, 4)(L.zeros(2, 6, 3)),
    lambda L: L.nn.Conv2d(3, 4, 3, groups=2),
    lambda L: L.nn.Conv2d(4, 3, 3, groups=2),
    lambda L: L.nn.Conv2d(4, 4, 3, groups=0),
    lambda L: L.nn.Conv2d(4, 4, 3, stride=2, padding="same"),
    lambda L: L.nn.GroupNorm(3, 4),
    lambda L: L.nn.Dropout(1.5),
    lambda L: L.nn.Embedding(3, 2, padding_idx=3),
    lambda L: L.nn.Embedding(3, 2, padding_idx=-4),
    lambda L: L.nn.Embedding(3, 2)(L.tensor([3])),
    lambda L: L.nn.Unflatten(1, (2, 2.0)),
    lambda L: L.nn.Unflatten(1, 4),
    lambda L: L.nn.Bilinear(0, 2, 3),
    lambda L: L.nn.Bilinear(2, 2, 3)(L.zeros(1, 2), L.zeros(2, 2)),
    lambda L: L.nn.Linear(2, 3)(L.zeros(2, 4)),
    lambda L: L.nn.MaxPool2d(3)(L.zeros(1, 1, 2, 2)),
    lambda L: L.nn.MaxPool2d(2)(L.zeros(2)),
    lambda L: L.nn.AvgPool2d(5)(L.zeros(1, 1, 2, 2)),
    lambda L: L.nn.AdaptiveAvgPool2d(2)(L.zeros(2)),
    lambda L: L.nn.Embedding(3, 2)(L.zeros(2)),
    lambda L: L.nn.Conv2d(1, 1, 3, padding=3, padding_mode="reflect")(L.zeros(1, 1, 3, 3)),
    lambda L: L.nn.GELU("bad")(L.zeros(2)),
    lambda L: L.nn.Unflatten(1, (2, 2))(L.zeros(2, 3)),
    lambda L: L.nn.RMSNorm(3)(L.zeros(2, 2)),
    lambda L: L.nn.Hardtanh(1.0, 0.0),
    lambda L: L.nn.Conv1d(2, 2, 3)(L.zeros(1, 2, 2)),
])
def test_misuse_errors(case: Callable[[Any], Any]) -> None:
    same_error(case)


def _sorted_sets(msg: str) -> str:
    """A message with each ``{...}`` set display sorted (a set's printed order is not fixed)."""
    return re.sub(r"\{([^}]*)\}", lambda m: "{" + ", ".join(sorted(m.group(1).split(", "))) + "}", msg)


@pytest.mark.parametrize("case", [
    lambda L: L.nn.Conv2d(4, 4, 3, padding_mode="mirror"),
    lambda L: L.nn.Conv1d(4, 4, 3, padding="full"),
])
def test_misuse_errors_with_sets(case: Callable[[Any], Any]) -> None:
    expected, got = raised(lambda: case(torch)), raised(lambda: case(gg))
    assert type(got) is type(expected)
    assert _sorted_sets(str(got)) == _sorted_sets(str(expected))
