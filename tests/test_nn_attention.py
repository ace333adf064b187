"""``nn.MultiheadAttention`` and ``nn.TransformerEncoderLayer`` against torch's, with torch's weights.

Each case builds the torch module in float64, gives glassgrad's module the same weights through
``load_state_dict`` and compares outputs, attention weights and the gradients of the inputs and of
every parameter (PyTorch's math path; dropout off by ``eval()`` or ``dropout=0``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import glassgrad as gg
from opinfo import need_torch, same_error, to_np

torch = pytest.importorskip("torch")

E, H = 8, 2
L, S, N = 4, 5, 3
RNG = np.random.default_rng(7)


def arr(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


def pair(a: np.ndarray | None, rg: bool = True) -> tuple[Any, Any]:
    """The same array as a glassgrad and a torch tensor."""
    if a is None:
        return None, None
    rg = rg and a.dtype.kind == "f"
    return gg.tensor(a.copy(), requires_grad=rg), torch.tensor(a.copy(), requires_grad=rg)


def twin(make: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    """``make(m, ...)`` in float64 for torch and glassgrad, glassgrad's loaded with torch's weights."""
    torch.manual_seed(0)
    tm = make(torch, *args, **kwargs, dtype=torch.float64)
    gm = make(gg, *args, **kwargs, dtype=gg.float64)
    gm.load_state_dict({k: gg.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()})
    return gm, tm


def close(g: Any, t: Any, what: str = "") -> None:
    if t is None:
        assert g is None, what
        return
    assert tuple(g.shape) == tuple(t.shape), (what, tuple(g.shape), tuple(t.shape))
    np.testing.assert_allclose(to_np(g), t.detach().numpy(), rtol=1e-9, atol=1e-11, err_msg=what)


def check_grads(gm: Any, tm: Any, gouts: list[Any], touts: list[Any], gins: list[Any], tins: list[Any]) -> None:
    """Backpropagate the same random upstream gradients; compare input and parameter gradients."""
    gl, tl = 0, 0
    for g, t in zip(gouts, touts):
        if t is None:
            continue
        up = RNG.standard_normal(tuple(t.shape))
        gl = gl + (g * gg.tensor(up)).sum()
        tl = tl + (t * torch.tensor(up)).sum()
    gl.backward()
    tl.backward()
    for i, (g, t) in enumerate(zip(gins, tins)):
        if t is not None and t.requires_grad:
            close(g.grad, t.grad, f"input {i} grad")
    gparams = dict(gm.named_parameters())
    for name, p in tm.named_parameters():
        close(gparams[name].grad, p.grad, f"{name}.grad")


def mha(m: Any, *args: Any, **kwargs: Any) -> Any:
    return m.nn.MultiheadAttention(*args, **kwargs)


# ---------------------------------------------------------------------------- MultiheadAttention
CONFIGS = [
    dict(),
    dict(batch_first=True),
    dict(bias=False),
    dict(add_bias_kv=True),
    dict(add_zero_attn=True),
    dict(add_bias_kv=True, add_zero_attn=True, batch_first=True),
    dict(kdim=6, vdim=3),
    dict(kdim=6, vdim=3, bias=False, batch_first=True),
]


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()) or "default")
@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
def test_mha_matches_torch(cfg: dict[str, Any], need_weights: bool, average: bool) -> None:
    gm, tm = twin(mha, E, H, **cfg)
    bf = cfg.get("batch_first", False)
    seq = (lambda n, s, d: (n, s, d)) if bf else (lambda n, s, d: (s, n, d))
    q = arr(*seq(N, L, E))
    k = arr(*seq(N, S, cfg.get("kdim", E)))
    v = arr(*seq(N, S, cfg.get("vdim", E)))
    gq, tq = pair(q)
    gk, tk = pair(k)
    gv, tv = pair(v)
    go, gw = gm(gq, gk, gv, need_weights=need_weights, average_attn_weights=average)
    to, tw = tm(tq, tk, tv, need_weights=need_weights, average_attn_weights=average)
    close(go, to, "output")
    close(gw, tw, "weights")
    check_grads(gm, tm, [go, gw], [to, tw], [gq, gk, gv], [tq, tk, tv])


def test_mha_self_attention_same_tensor_train_mode_dropout0() -> None:
    gm, tm = twin(mha, E, H, dropout=0.0)
    gx, tx = pair(arr(L, N, E))
    go, gw = gm(gx, gx, gx)
    to, tw = tm(tx, tx, tx)
    close(go, to)
    close(gw, tw)
    check_grads(gm, tm, [go], [to], [gx], [tx])


def test_mha_eval_turns_dropout_off() -> None:
    gm, tm = twin(mha, E, H, dropout=0.5)
    gm.eval()
    tm.eval()
    gx, tx = pair(arr(N, L, E).transpose(1, 0, 2).copy())
    go, gw = gm(gx, gx, gx)
    to, tw = tm(tx, tx, tx)
    close(go, to)
    close(gw, tw)


def test_mha_grad_fn_names() -> None:
    for kw, call in [(dict(batch_first=True), dict()), (dict(), dict(average_attn_weights=False)), (dict(), dict())]:
        gm, tm = twin(mha, E, H, **kw)
        gx, tx = pair(arr(N, L, E))
        for x in [(gx, tx), (gx[0], tx[0])]:
            go, gw = gm(x[0], x[0], x[0], **call)
            to, tw = tm(x[1], x[1], x[1], **call)
            assert go.grad_fn.name() == to.grad_fn.name()
            assert gw.grad_fn.name() == tw.grad_fn.name()


def test_mha_dropout_in_training_drops_attention_weights() -> None:
    gm = gg.nn.MultiheadAttention(E, H, dropout=0.5, dtype=gg.float64)
    x = gg.tensor(arr(L, N, E))
    gm.eval()
    _, w_eval = gm(x, x, x, average_attn_weights=False)
    gm.train()
    _, w_train = gm(x, x, x, average_attn_weights=False)
    kept = to_np(w_train) != 0
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(to_np(w_train)[kept], 2 * to_np(w_eval)[kept])  # survivors scaled by 1/(1-p)


def test_mha_unbatched() -> None:
    gm, tm = twin(mha, E, H)
    gq, tq = pair(arr(L, E))
    gk, tk = pair(arr(S, E))
    mask = RNG.random((L, S)) < 0.3
    mask[:, 0] = False
    go, gw = gm(gq, gk, gk, attn_mask=gg.tensor(mask), average_attn_weights=False)
    to, tw = tm(tq, tk, tk, attn_mask=torch.tensor(mask), average_attn_weights=False)
    close(go, to)
    close(gw, tw)
    check_grads(gm, tm, [go, gw], [to, tw], [gq, gk], [tq, tk])


def _bool_mask(*shape: int) -> np.ndarray:
    """Random True (masked) entries, never a whole row (which would give NaN in both libraries)."""
    m = RNG.random(shape) < 0.4
    m[..., 0] = False
    return m


MASKS = {
    "bool_2d": lambda: dict(attn_mask=_bool_mask(L, S)),
    "float_2d": lambda: dict(attn_mask=arr(L, S)),
    "bool_3d": lambda: dict(attn_mask=_bool_mask(N * H, L, S)),
    "float_3d": lambda: dict(attn_mask=arr(N * H, L, S)),
    "kpm_bool": lambda: dict(key_padding_mask=_bool_mask(N, S)),
    "kpm_float": lambda: dict(key_padding_mask=arr(N, S)),
    "both_bool": lambda: dict(attn_mask=_bool_mask(L, S), key_padding_mask=_bool_mask(N, S)),
    "both_float": lambda: dict(attn_mask=arr(N * H, L, S), key_padding_mask=arr(N, S)),
}


@pytest.mark.parametrize("name", list(MASKS))
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_masks(name: str, need_weights: bool) -> None:
    gm, tm = twin(mha, E, H, add_zero_attn=name.startswith("both"))
    gq, tq = pair(arr(L, N, E))
    gk, tk = pair(arr(S, N, E))
    gkw, tkw = {}, {}
    for key, a in MASKS[name]().items():
        gkw[key], tkw[key] = pair(a, rg=False)
    go, gw = gm(gq, gk, gk, need_weights=need_weights, **gkw)
    to, tw = tm(tq, tk, tk, need_weights=need_weights, **tkw)
    close(go, to)
    close(gw, tw)
    check_grads(gm, tm, [go], [to], [gq, gk], [tq, tk])


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("kpm", [False, True])
def test_mha_is_causal(need_weights: bool, kpm: bool) -> None:
    gm, tm = twin(mha, E, H, batch_first=True)
    gx, tx = pair(arr(N, L, E))
    causal = np.triu(np.ones((L, L), dtype=bool), 1)
    gkw: dict[str, Any] = {"attn_mask": gg.tensor(causal)}
    tkw: dict[str, Any] = {"attn_mask": torch.tensor(causal)}
    if kpm:
        pad = _bool_mask(N, L)
        gkw["key_padding_mask"], tkw["key_padding_mask"] = gg.tensor(pad), torch.tensor(pad)
    go, _ = gm(gx, gx, gx, need_weights=need_weights, is_causal=True, **gkw)
    to, _ = tm(tx, tx, tx, need_weights=need_weights, is_causal=True, **tkw)
    close(go, to)
    check_grads(gm, tm, [go], [to], [gx], [tx])


def test_mha_is_causal_hint_wins_without_weights() -> None:
    """With need_weights=False and no padding mask PyTorch trusts is_causal and ignores attn_mask's values."""
    gm, tm = twin(mha, E, H)
    gx, tx = pair(arr(L, N, E))
    zeros = np.zeros((L, L))
    go, _ = gm(gx, gx, gx, attn_mask=gg.tensor(zeros), is_causal=True, need_weights=False)
    to, _ = tm(tx, tx, tx, attn_mask=torch.tensor(zeros), is_causal=True, need_weights=False)
    close(go, to)
    unmasked, _ = tm(tx, tx, tx, attn_mask=torch.tensor(zeros), need_weights=False)
    assert not np.allclose(unmasked.detach().numpy(), to.detach().numpy())


def test_mha_parameters_init_repr_state_dict() -> None:
    for kw in [dict(), dict(bias=False, add_bias_kv=True, kdim=4, vdim=6), dict(add_bias_kv=True)]:
        g = gg.nn.MultiheadAttention(E, H, **kw)
        t = torch.nn.MultiheadAttention(E, H, **kw)
        assert repr(g) == repr(t)
        assert list(g.state_dict()) == list(t.state_dict())
        assert [(n, tuple(p.shape)) for n, p in g.named_parameters()] == \
               [(n, tuple(p.shape)) for n, p in t.named_parameters()]
    g = gg.nn.MultiheadAttention(E, H)
    assert np.all(to_np(g.in_proj_bias) == 0) and np.all(to_np(g.out_proj.bias) == 0)
    bound = np.sqrt(6.0 / (E + 3 * E))  # xavier_uniform_ of the (3E, E) in_proj_weight
    w = to_np(g.in_proj_weight)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert type(g.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert isinstance(g.out_proj, gg.nn.Linear)
    assert g.head_dim == E // H and g._qkv_same_embed_dim
    assert gg.nn.MultiheadAttention(E, H, dtype=gg.float64).in_proj_weight.dtype == gg.float64


def test_mha_errors() -> None:
    same_error(lambda m: m.nn.MultiheadAttention(0, 2))
    same_error(lambda m: m.nn.MultiheadAttention(6, 4))
    x = arr(L, N, E)

    def call(m: Any, **kw: Any) -> Any:
        torch.manual_seed(0)
        mod = m.nn.MultiheadAttention(E, H, dtype=m.float64)
        t = m.tensor(x)
        return mod(t, t, t, **kw)

    same_error(lambda m: call(m, is_causal=True))
    same_error(lambda m: call(m, attn_mask=m.zeros(L, L, dtype=m.int64)))
    same_error(lambda m: call(m, attn_mask=m.zeros(3, 3, dtype=m.bool)))
    same_error(lambda m: call(m, attn_mask=m.zeros(5, 3, 3, dtype=m.bool)))
    same_error(lambda m: call(m, key_padding_mask=m.zeros(N, 2, dtype=m.bool)))
    same_error(lambda m: call(m, key_padding_mask=m.zeros(N, L, 1, dtype=m.bool)))
    same_error(lambda m: m.nn.MultiheadAttention(E, H)(m.zeros(2, 3, 4, 5), m.zeros(2, 3, 4, 5), m.zeros(2, 3, 4, 5)))
    same_error(lambda m: m.nn.MultiheadAttention(E, H)(m.zeros(L, N, E), m.zeros(L, E), m.zeros(L, E)))
    same_error(lambda m: m.nn.MultiheadAttention(E, H)(m.zeros(L, N, 6), m.zeros(L, N, 6), m.zeros(L, N, 6)))


def test_mha_rank_errors() -> None:
    """The input-rank checks, batched and unbatched, with PyTorch's texts."""
    def call(m: Any, q: tuple[int, ...], kv: tuple[int, ...], **masks: tuple[int, ...]) -> Any:
        mod = m.nn.MultiheadAttention(E, H)
        kw = {k: m.zeros(shape, dtype=m.bool) for k, shape in masks.items()}
        return mod(m.zeros(q), m.zeros(kv), m.zeros(kv), **kw)

    same_error(lambda m: call(m, (L, E), (S, N, E)))
    same_error(lambda m: call(m, (L, E), (S, E), key_padding_mask=(N, S)))
    same_error(lambda m: call(m, (L, E), (S, E), attn_mask=(S,)))
    same_error(lambda m: call(m, (L, E), (S, E), attn_mask=(1, L, S)))
    same_error(lambda m: call(m, (L, N, E), (S, N, E), attn_mask=(S,)))
    same_error(lambda m: call(m, (E,), (E,)))


def test_mha_mismatched_mask_types_warn() -> None:
    gm, tm = twin(mha, E, H)
    gx, tx = pair(arr(L, N, E))
    kpm = _bool_mask(N, L)
    am = arr(L, L)
    with pytest.warns(UserWarning) as gwarn:
        gm(gx, gx, gx, key_padding_mask=gg.tensor(kpm), attn_mask=gg.tensor(am))
    with pytest.warns(UserWarning) as twarn:
        tm(tx, tx, tx, key_padding_mask=torch.tensor(kpm), attn_mask=torch.tensor(am))
    assert str(gwarn[0].message) == str(twarn[0].message)


# ---------------------------------------------------------------------------- TransformerEncoderLayer
def enc(m: Any, *args: Any, **kwargs: Any) -> Any:
    return m.nn.TransformerEncoderLayer(*args, **kwargs)


ENC_CONFIGS = [
    dict(),
    dict(norm_first=True),
    dict(activation="gelu", batch_first=True),
    dict(bias=False, layer_norm_eps=1e-3),
    dict(norm_first=True, batch_first=True, activation="gelu"),
]


@pytest.mark.parametrize("cfg", ENC_CONFIGS, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()) or "default")
@pytest.mark.parametrize("mask", [None, "causal", "kpm"])
def test_encoder_layer_matches_torch(cfg: dict[str, Any], mask: str | None) -> None:
    gm, tm = twin(enc, E, H, dim_feedforward=16, **cfg)
    gm.eval()
    tm.eval()  # dropout off; parameters require grad, so torch takes its math path
    shape = (N, L, E) if cfg.get("batch_first") else (L, N, E)
    gx, tx = pair(arr(*shape))
    gkw: dict[str, Any] = {}
    tkw: dict[str, Any] = {}
    if mask == "causal":
        c = np.triu(np.full((L, L), -np.inf), 1)
        gkw = dict(src_mask=gg.tensor(c), is_causal=True)
        tkw = dict(src_mask=torch.tensor(c), is_causal=True)
    elif mask == "kpm":
        p = _bool_mask(N, L)
        gkw = dict(src_key_padding_mask=gg.tensor(p))
        tkw = dict(src_key_padding_mask=torch.tensor(p))
    gy = gm(gx, **gkw)
    ty = tm(tx, **tkw)
    close(gy, ty)
    check_grads(gm, tm, [gy], [ty], [gx], [tx])


def test_encoder_layer_train_dropout0_and_callable_activation() -> None:
    gm, tm = twin(lambda m, **kw: m.nn.TransformerEncoderLayer(
        E, H, 16, dropout=0.0, activation=m.nn.functional.silu, **kw))
    assert gm.activation_relu_or_gelu == tm.activation_relu_or_gelu == 0
    gx, tx = pair(arr(L, N, E))
    gy, ty = gm(gx), tm(tx)
    close(gy, ty)
    check_grads(gm, tm, [gy], [ty], [gx], [tx])


def test_encoder_layer_unbatched_and_no_grad_fast_path() -> None:
    gm, tm = twin(enc, E, H, 16, batch_first=True)
    gm.eval()
    tm.eval()
    x = arr(N, L, E)
    with gg.no_grad():
        gy = gm(gg.tensor(x))
    with torch.no_grad():
        ty = tm(torch.tensor(x))  # torch's fused kernel: equal up to rounding
    np.testing.assert_allclose(to_np(gy), ty.numpy(), rtol=1e-7, atol=1e-9)
    close(gm(gg.tensor(x[0])), tm(torch.tensor(x[0])))


def test_encoder_layer_repr_state_dict_and_errors() -> None:
    for kw in [dict(), dict(activation="gelu", norm_first=True, bias=False)]:
        g = gg.nn.TransformerEncoderLayer(E, H, 16, **kw)
        t = torch.nn.TransformerEncoderLayer(E, H, 16, **kw)
        assert repr(g) == repr(t)
        assert list(g.state_dict()) == list(t.state_dict())
        assert g.activation_relu_or_gelu == t.activation_relu_or_gelu
    g = gg.nn.TransformerEncoderLayer(E, H, activation=gg.nn.GELU())
    t = torch.nn.TransformerEncoderLayer(E, H, activation=torch.nn.GELU())
    assert repr(g) == repr(t) and g.activation_relu_or_gelu == 2
    assert g.linear1.out_features == 2048 and g.dropout.p == 0.1 and g.norm1.eps == 1e-5
    same_error(lambda m: m.nn.TransformerEncoderLayer(E, H, activation="tanh"))


def test_exports() -> None:
    need_torch()
    assert gg.nn.MultiheadAttention is gg.nn.modules.MultiheadAttention
    assert gg.nn.TransformerEncoderLayer is gg.nn.modules.TransformerEncoderLayer
