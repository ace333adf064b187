"""glassgrad's benchmark: the same workloads on glassgrad, PyTorch, a hand-written NumPy floor and peers.

    python bench/run.py                  # everything installed; writes docs/benchmarks.md and the plot
    python bench/run.py --tiny           # a few milliseconds per workload (what the test runs)
    python bench/run.py --only W1,W2     # some workloads
    python bench/run.py --systems glassgrad,torch,floor

Workloads (each forward + backward):
  W1  the chapter's 7.4 graph on a scalar (a=x*2; b=a+3; c=b**2; d=c/2; e=d+1), per graph
  W2  200 elementwise ops (mul, add, sin, tanh) on 16 float32 elements, then sum(), per op
  W3  MLP 64-128-128-10, ReLU, cross-entropy, batch 64, SGD update, per step (W3-big: 1024-1024-1024-10, batch 512)
  W4  single-head attention softmax(QKᵀ/√d)V, sum(), at (seq, d) = (128, 64) and (512, 256)
  W5  a chain of 100,000 ops on a 1-element tensor: time and peak memory, fresh process per system
  W6  one training step (forward, cross-entropy, backward, optimizer step) of the demos' models, per step:
      W6-digits: the digits MLP 64-128-10, Adam, batch 64, on synthetic digits-shaped data (no dataset needed);
      W6-charlm: the causal-attention character LM, AdamW, batch 32, context 32, windows of the shipped text.
      glassgrad and PyTorch only: the same initial weights (drawn once) and the same batch for both

Every system's result is checked against PyTorch's before it is timed.  Systems run interleaved,
several rounds, and the median is reported.  The whole run is repeated single-threaded
(OMP/OpenBLAS/MKL threads = 1, torch.set_num_threads(1)) in a child process.
The "floor" is the same float32 maths written by hand in NumPy with no graph (W1-W4; W6 has none).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
F32 = np.float32
LR = 0.01
W2_BLOCKS = 50  # 4 ops each: 200 ops
CHAIN = 100_000
SLOW_S = 1.0  # a call slower than this is measured once, not in every round
#: measured once here, then skipped so the benchmark stays under 10 minutes
TOO_SLOW = {("tinygrad", "W2"): "a single call had not finished after 5 minutes (tinygrad 0.14 compiling the "
                                "200-op graph with its gradient, DEV=CPU)"}

Step = Callable[[], Any]


# ============================================================================ shared inputs
def inputs(tiny: bool) -> dict[str, Any]:
    rng = np.random.default_rng(0)

    def lin(o: int, i: int) -> tuple[np.ndarray, np.ndarray]:
        b = 1 / math.sqrt(i)
        return rng.uniform(-b, b, (o, i)).astype(F32), rng.uniform(-b, b, o).astype(F32)

    def mlp(sizes: list[int], batch: int) -> dict[str, Any]:
        layers = [lin(o, i) for i, o in zip(sizes[:-1], sizes[1:])]
        return {"X": rng.standard_normal((batch, sizes[0])).astype(F32),
                "y": rng.integers(0, sizes[-1], batch), "layers": layers}

    def attn(seq: int, d: int) -> dict[str, Any]:
        return {"X": rng.standard_normal((seq, d)).astype(F32),
                "W": [(rng.standard_normal((d, d)) / math.sqrt(d)).astype(F32) for _ in range(3)]}

    if tiny:
        return {"W2": rng.uniform(-1, 1, 16).astype(F32), "W3": mlp([8, 8, 8, 4], 4),
                "W3-big": mlp([16, 16, 16, 4], 8), "W4": attn(8, 4), "W4-big": attn(16, 8), **demo_inputs(True, rng)}
    return {"W2": rng.uniform(-1, 1, 16).astype(F32), "W3": mlp([64, 128, 128, 10], 64),
            "W3-big": mlp([1024, 1024, 1024, 10], 512), "W4": attn(128, 64), "W4-big": attn(512, 256),
            **demo_inputs(False, rng)}


def demo_inputs(tiny: bool, rng: np.random.Generator) -> dict[str, Any]:
    """W6's inputs: for each demo model, how to build it and its optimizer, its initial weights and one batch.

    The weights are drawn once, by glassgrad's own initialisation (seed 0), and every system loads them.
    """
    import glassgrad
    from glassgrad.demos import charlm, digits

    def model(build: Callable[[Any], Any], optimizer: Callable[[Any, Any], Any], loss: Callable[..., Any],
              x: np.ndarray, y: np.ndarray, probe: str) -> dict[str, Any]:
        glassgrad.manual_seed(0)
        state = {k: v.numpy().copy() for k, v in build(glassgrad).state_dict().items()}
        return {"build": build, "optimizer": optimizer, "loss": loss, "state": state, "x": x, "y": y,
                "probe": probe}

    hidden, batch = (8, 4) if tiny else (128, digits.BATCH_SIZE)
    pixels = rng.integers(0, 17, (batch, 64)) / 16  # like the digits: 8×8 pixels of 0..16, scaled to [0, 1]
    out = {"W6-digits": model(lambda fw: digits.build_mlp(fw, n_in=64, hidden=hidden, n_out=10),
                              lambda fw, params: fw.optim.Adam(params, lr=digits.LR),
                              lambda fw, logits, y: fw.nn.functional.cross_entropy(logits, y),
                              pixels.astype(F32), rng.integers(0, 10, batch), "fc1.weight")}

    text = charlm.load_text()
    stoi = {c: i for i, c in enumerate(sorted(set(text)))}
    ids = np.array([stoi[c] for c in text], dtype=np.int64)
    sizes = {"block": 8, "d_model": 8, "n_heads": 2, "n_layers": 1} if tiny else {}
    block, batch = sizes.get("block", charlm.BLOCK), 4 if tiny else charlm.BATCH
    windows = ids[rng.integers(0, len(ids) - block - 1, batch)[:, None] + np.arange(block + 1)]
    out["W6-charlm"] = model(lambda fw: charlm.build_charlm(fw, len(stoi), **sizes),
                             lambda fw, params: fw.optim.AdamW(params, lr=charlm.LR, weight_decay=0.01),
                             charlm.lm_loss, windows[:, :-1], windows[:, 1:], "blocks.0.attn.W_q.weight")
    return out


# ============================================================================ the floor: NumPy by hand
def floor_w1() -> Step:
    def step() -> Any:
        x = F32(2.0)
        a = x * F32(2)
        b = a + F32(3)
        # c = b*b, d = c/2, e = d+1: de/dc = 1/2, dc/db = 2b, db/da = 1, da/dx = 2
        return (F32(0.5) * (F32(2) * b)) * F32(2)
    return step


def floor_w2(x0: np.ndarray) -> Step:
    def step() -> Any:
        saved = []
        y = x0
        for _ in range(W2_BLOCKS):
            y = y * F32(1.01)
            y = y + F32(0.1)
            saved.append(y)
            y = np.sin(y)
            y = np.tanh(y)
            saved.append(y)
        g = np.ones_like(y)
        for i in range(W2_BLOCKS - 1, -1, -1):
            t = saved[2 * i + 1]
            g = g * (F32(1) - t * t)
            g = g * np.cos(saved[2 * i])
            g = g * F32(1.01)
        return g
    return step


def floor_w3(p: dict[str, Any]) -> Step:
    layers = [(w.copy(), b.copy()) for w, b in p["layers"]]
    X, y = p["X"], p["y"]

    def step() -> Any:
        acts = [X]
        h = X
        for i, (w, b) in enumerate(layers):
            h = h @ w.T + b
            if i < len(layers) - 1:
                h = np.maximum(h, F32(0))
            acts.append(h)
        z = acts[-1] - acts[-1].max(axis=1, keepdims=True)
        e = np.exp(z)
        probs = e / e.sum(axis=1, keepdims=True)
        n = X.shape[0]
        loss = -np.log(probs[np.arange(n), y]).mean()
        g = probs
        g[np.arange(n), y] -= 1
        g /= n
        grads = []
        for i in range(len(layers) - 1, -1, -1):
            w, b = layers[i]
            grads.append((g.T @ acts[i], g.sum(axis=0)))
            if i:
                g = (g @ w) * (acts[i] > 0)
        first = grads[-1][0].copy()
        for (w, b), (gw, gb) in zip(layers, reversed(grads)):
            w -= F32(LR) * gw
            b -= F32(LR) * gb
        return np.array([loss], dtype=F32), first
    return step


def floor_w4(p: dict[str, Any]) -> Step:
    X = p["X"]
    Wq, Wk, Wv = p["W"]
    d = X.shape[1]
    s = F32(1 / math.sqrt(d))

    def step() -> Any:
        Q, K, V = X @ Wq, X @ Wk, X @ Wv
        sc = (Q @ K.T) * s
        e = np.exp(sc - sc.max(axis=-1, keepdims=True))
        A = e / e.sum(axis=-1, keepdims=True)
        gO = np.ones((X.shape[0], d), dtype=F32)
        gA = gO @ V.T
        gV = A.T @ gO
        gS = A * (gA - (gA * A).sum(axis=-1, keepdims=True)) * s
        gQ = gS @ K
        gK = gS.T @ Q
        return X.T @ gQ, X.T @ gK, X.T @ gV
    return step


# ============================================================================ torch-like systems (glassgrad, torch, mygrad)
def torchlike(m: Any) -> dict[str, Callable[..., Step]]:
    """The workloads written once for any library with PyTorch's API."""
    F = getattr(getattr(m, "nn", None), "functional", None)

    def w1() -> Step:
        def step() -> Any:
            x = m.tensor(2.0, requires_grad=True)
            a = x * 2
            b = a + 3
            c = b ** 2
            d = c / 2
            e = d + 1
            e.backward()
            return x.grad.item()
        return step

    def w2(x0: np.ndarray) -> Step:
        def step() -> Any:
            x = m.tensor(x0, requires_grad=True)
            y = x
            for _ in range(W2_BLOCKS):
                y = y * 1.01
                y = y + 0.1
                y = y.sin()
                y = y.tanh()
            y.sum().backward()
            return x.grad.numpy()
        return step

    def w3(p: dict[str, Any]) -> Step:
        params = []
        for w, b in p["layers"]:
            params += [m.tensor(w, requires_grad=True), m.tensor(b, requires_grad=True)]
        X, y = m.tensor(p["X"]), m.tensor(p["y"])
        opt = m.optim.SGD(params, lr=LR)
        n = len(params) // 2

        def step() -> Any:
            opt.zero_grad()
            h = X
            for i in range(n):
                h = F.linear(h, params[2 * i], params[2 * i + 1])
                if i < n - 1:
                    h = F.relu(h)
            loss = F.cross_entropy(h, y) if hasattr(F, "cross_entropy") else \
                -(F.log_softmax(h, dim=1) * F.one_hot(y, h.shape[1])).sum(1).mean()
            loss.backward()
            first = params[0].grad.numpy().copy()
            opt.step()
            return np.array([loss.item()], dtype=F32), first
        return step

    def w4(p: dict[str, Any]) -> Step:
        X = m.tensor(p["X"])
        d = p["X"].shape[1]

        def step() -> Any:
            Wq, Wk, Wv = (m.tensor(w, requires_grad=True) for w in p["W"])
            Q, K, V = X @ Wq, X @ Wk, X @ Wv
            A = m.softmax(Q @ K.T / math.sqrt(d), dim=-1)
            (A @ V).sum().backward()
            return Wq.grad.numpy(), Wk.grad.numpy(), Wv.grad.numpy()
        return step

    def w6(p: dict[str, Any]) -> Step:
        """A demo model's training step; gives the step's loss, one parameter's gradient and that parameter after."""
        model = p["build"](m)
        model.load_state_dict({k: m.from_numpy(v.copy()) for k, v in p["state"].items()})
        opt = p["optimizer"](m, model.parameters())
        x, y = m.from_numpy(p["x"]), m.from_numpy(p["y"])
        probe = dict(model.named_parameters())[p["probe"]]

        def step() -> Any:
            loss = p["loss"](m, model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return np.array([loss.item()], dtype=F32), probe.grad.numpy().copy(), probe.detach().numpy().copy()
        return step

    return {"W1": w1, "W2": w2, "W3": w3, "W4": w4, "W6": w6}


def mygrad_system() -> dict[str, Callable[..., Step]]:
    import mygrad as mg
    from mygrad.nnet.activations import softmax
    from mygrad.nnet.losses import softmax_crossentropy

    def w1() -> Step:
        def step() -> Any:
            x = mg.tensor(2.0)
            e = ((x * 2 + 3) ** 2) / 2 + 1
            e.backward()
            return float(x.grad)
        return step

    def w2(x0: np.ndarray) -> Step:
        def step() -> Any:
            x = mg.tensor(x0)
            y = x
            for _ in range(W2_BLOCKS):
                y = mg.tanh(mg.sin(y * 1.01 + 0.1))
            mg.sum(y).backward()
            return x.grad
        return step

    def w3(p: dict[str, Any]) -> Step:
        params = [mg.tensor(a.copy()) for wb in p["layers"] for a in wb]
        X, y = p["X"], p["y"]
        n = len(params) // 2

        def step() -> Any:
            h = X
            for i in range(n):
                h = mg.matmul(h, params[2 * i].T) + params[2 * i + 1]
                if i < n - 1:
                    h = mg.maximum(h, 0)
            loss = softmax_crossentropy(h, y)
            loss.backward()
            first = params[0].grad.copy()
            for q in params:
                q.data -= F32(LR) * q.grad.astype(F32)
            return np.array([float(loss)], dtype=F32), first
        return step

    def w4(p: dict[str, Any]) -> Step:
        X = p["X"]
        d = X.shape[1]

        def step() -> Any:
            Wq, Wk, Wv = (mg.tensor(w) for w in p["W"])
            A = softmax(mg.matmul(mg.matmul(X, Wq), mg.matmul(X, Wk).T) / math.sqrt(d))
            mg.sum(mg.matmul(A, mg.matmul(X, Wv))).backward()
            return Wq.grad, Wk.grad, Wv.grad
        return step

    return {"W1": w1, "W2": w2, "W3": w3, "W4": w4}


# ============================================================================ functional systems (HIPS autograd, JAX)
def functional(np_: Any, grad: Callable[..., Any], log_softmax: Callable[..., Any], jit: Callable[..., Any],
               to_np: Callable[[Any], Any]) -> dict[str, Callable[..., Step]]:
    """The workloads for a ``grad(f)`` library; ``np_`` is its NumPy-like module."""

    def w1() -> Step:
        g = jit(grad(lambda x: ((x * 2 + 3) ** 2) / 2 + 1))
        return lambda: float(to_np(g(np_.float32(2.0))))

    def w2(x0: np.ndarray) -> Step:
        def f(x: Any) -> Any:
            y = x
            for _ in range(W2_BLOCKS):
                y = np_.tanh(np_.sin(y * 1.01 + 0.1))
            return np_.sum(y)
        g = jit(grad(f))
        return lambda: to_np(g(x0))

    def w3(p: dict[str, Any]) -> Step:
        X, y = p["X"], p["y"]
        onehot = np.eye(p["layers"][-1][0].shape[0], dtype=F32)[y]
        state = {"params": [a.copy() for wb in p["layers"] for a in wb]}
        n = len(state["params"]) // 2

        def loss(params: list[Any]) -> Any:
            h = X
            for i in range(n):
                h = np_.dot(h, params[2 * i].T) + params[2 * i + 1]
                if i < n - 1:
                    h = np_.maximum(h, 0.0)
            return -np_.mean(np_.sum(log_softmax(h) * onehot, axis=1))

        g = jit(grad(loss))
        lf = jit(loss)

        def step() -> Any:
            params = state["params"]
            value = lf(params)
            grads = g(params)
            state["params"] = [q - LR * gq for q, gq in zip(params, grads)]
            return np.array([float(to_np(value))], dtype=F32), to_np(grads[0])
        return step

    def w4(p: dict[str, Any]) -> Step:
        X = p["X"]
        d = X.shape[1]

        def f(Ws: list[Any]) -> Any:
            Wq, Wk, Wv = Ws
            s = np_.dot(np_.dot(X, Wq), np_.dot(X, Wk).T) / math.sqrt(d)
            e = np_.exp(s - np_.max(s, axis=-1, keepdims=True))
            A = e / np_.sum(e, axis=-1, keepdims=True)
            return np_.sum(np_.dot(A, np_.dot(X, Wv)))
        g = jit(grad(f))
        return lambda: tuple(to_np(a) for a in g(list(p["W"])))

    return {"W1": w1, "W2": w2, "W3": w3, "W4": w4}


def hips_system() -> dict[str, Callable[..., Step]]:
    import autograd
    import autograd.numpy as anp

    def log_softmax(h: Any) -> Any:
        m = anp.max(h, axis=1, keepdims=True)
        return h - m - anp.log(anp.sum(anp.exp(h - m), axis=1, keepdims=True))
    return functional(anp, autograd.grad, log_softmax, lambda f: f, np.asarray)


def jax_system(jit: bool) -> dict[str, Callable[..., Step]]:
    import jax
    import jax.numpy as jnp

    def to_np(x: Any) -> Any:
        return np.asarray(jax.block_until_ready(x))
    return functional(jnp, jax.grad, jax.nn.log_softmax, jax.jit if jit else (lambda f: f), to_np)


def micrograd_system() -> dict[str, Callable[..., Step]]:
    from micrograd.engine import Value

    def w1() -> Step:
        def step() -> Any:
            x = Value(2.0)
            e = ((x * 2 + 3) ** 2) / 2 + 1
            e.backward()
            return x.grad
        return step
    return {"W1": w1}  # scalar-only engine, no sin/tanh: the other workloads do not apply


def tinygrad_system() -> dict[str, Callable[..., Step]]:
    os.environ.setdefault("DEV", "CPU")
    from tinygrad import Tensor

    def w1() -> Step:
        def step() -> Any:
            x = Tensor([2.0])  # a Python-number Tensor is "weak" in tinygrad: no gradient to it
            e = ((x * 2 + 3) ** 2) / 2 + 1
            (g,) = e.sum().gradient(x)
            return float(g.numpy()[0])
        return step

    def w2(x0: np.ndarray) -> Step:
        def step() -> Any:
            x = Tensor(x0)
            y = x
            for _ in range(W2_BLOCKS):
                y = (y * 1.01 + 0.1).sin().tanh()
            (g,) = y.sum().gradient(x)
            return g.numpy()
        return step

    def w4(p: dict[str, Any]) -> Step:
        X = Tensor(p["X"])
        d = p["X"].shape[1]

        def step() -> Any:
            Ws = [Tensor(w) for w in p["W"]]
            Q, K, V = (X @ w for w in Ws)
            out = ((Q @ K.T) / math.sqrt(d)).softmax(-1) @ V
            return tuple(g.numpy() for g in out.sum().gradient(*Ws))
        return step
    return {"W1": w1, "W2": w2, "W4": w4}


def system_builders(names: list[str]) -> dict[str, dict[str, Callable[..., Step]]]:
    """Each available system's workload builders; a missing peer is skipped with a note."""
    makers: dict[str, Callable[[], dict[str, Callable[..., Step]]]] = {
        "glassgrad": lambda: torchlike(__import__("glassgrad")),
        "torch": lambda: torchlike(__import__("torch")),
        "floor": lambda: {"W1": floor_w1, "W2": floor_w2, "W3": floor_w3, "W4": floor_w4},
        "micrograd": micrograd_system, "tinygrad": tinygrad_system, "autograd": hips_system,
        "mygrad": mygrad_system, "jax": lambda: jax_system(False), "jax-jit": lambda: jax_system(True),
    }
    out = {}
    for name in names:
        try:
            out[name] = makers[name]()
        except ImportError as e:
            print(f"  ({name} not installed: {e}; skipped)", file=sys.stderr)
    return out


# ============================================================================ measuring
def check(name: str, got: Any, want: Any, rtol: float = 2e-3, atol: float = 1e-4) -> None:
    """A system's result must equal PyTorch's (float32 tolerance) before it is timed."""
    g = got if isinstance(got, tuple) else (got,)
    w = want if isinstance(want, tuple) else (want,)
    for a, b in zip(g, w):
        np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), rtol=rtol,
                                   atol=atol, err_msg=name)


def time_interleaved(steps: dict[str, Step], rounds: int, round_s: float) -> dict[str, float]:
    """Median seconds per call of each step; systems alternate within every round."""
    calls = {}
    samples: dict[str, list[float]] = {n: [] for n in steps}
    for name, fn in steps.items():
        fn()  # warm-up (and JIT compilation)
        t = time.perf_counter()
        fn()
        one = max(time.perf_counter() - t, 1e-7)
        calls[name] = max(1, min(10_000, int(round_s / one)))
        if one > SLOW_S:  # keep the whole run under 10 minutes: one sample is enough to say "slow"
            samples[name].append(one)
    for _ in range(rounds):
        for name, fn in steps.items():
            if samples[name] and len(samples[name]) == 1 and calls[name] == 1 and samples[name][0] > SLOW_S:
                continue
            n = calls[name]
            t = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter() - t) / n)
    return {n: statistics.median(s) for n, s in samples.items()}


WORKLOADS: dict[str, tuple[str, str, float]] = {
    # name: (builder key, input key, divide time by (ops per call))
    "W1": ("W1", "", 1), "W2": ("W2", "W2", 4 * W2_BLOCKS), "W3": ("W3", "W3", 1), "W3-big": ("W3", "W3-big", 1),
    "W4": ("W4", "W4", 1), "W4-big": ("W4", "W4-big", 1), "W6-digits": ("W6", "W6-digits", 1),
    "W6-charlm": ("W6", "W6-charlm", 1),
}


def run_workloads(systems: dict[str, dict[str, Callable[..., Step]]], only: list[str], tiny: bool,
                  rounds: int, round_s: float) -> dict[str, dict[str, Any]]:
    data = inputs(tiny)
    results: dict[str, dict[str, Any]] = {}
    for wl, (key, inp, per) in WORKLOADS.items():
        if wl not in only:
            continue
        steps: dict[str, Step] = {}
        notes: dict[str, str] = {}
        want = None
        if "torch" in systems:
            want = systems["torch"][key](*([data[inp]] if inp else []))()
        for name, builders in systems.items():
            if key not in builders:
                continue
            if (name, wl) in TOO_SLOW and not tiny:
                notes[name] = TOO_SLOW[(name, wl)]
                continue
            try:
                fn = builders[key](*([data[inp]] if inp else []))
                got = fn()
                if want is not None:
                    check(f"{name} {wl}", got, want)
                steps[name] = fn
            except Exception as e:  # noqa: BLE001 - a peer that fails is reported, not fatal
                notes[name] = f"{type(e).__name__}: {str(e).splitlines()[0][:80] if str(e) else ''}"
        times = time_interleaved(steps, rounds, round_s)
        results[wl] = {"seconds": {n: t / per for n, t in times.items()}, "notes": notes, "per_op": per > 1}
        shown = ", ".join(f"{n} {fmt(t / per)}" for n, t in times.items())
        print(f"  {wl}: {shown}", file=sys.stderr)
    return results


# ============================================================================ W5: the 100,000-op chain
def chain_child(name: str, n: int) -> None:
    """Run in a fresh process: the chain for one system; prints one JSON line (imports not timed)."""
    if name not in ("floor", "micrograd"):
        __import__("jax" if name == "jax" else name)
    t0 = time.perf_counter()
    if name == "floor":
        x = F32(1.0)
        ys = [x]
        for i in range(n):
            ys.append(ys[-1] * F32(1.00001) if i % 2 == 0 else ys[-1] + F32(0.00001))
        t1 = time.perf_counter()
        g = F32(1.0)
        for i in range(n - 1, -1, -1):
            if i % 2 == 0:
                g = g * F32(1.00001)
        grad = float(g)
    elif name in ("autograd", "jax"):
        grad_fn = __import__("autograd").grad if name == "autograd" else __import__("jax").grad

        def f(x: Any) -> Any:
            y = x
            for i in range(n):
                y = y * 1.00001 if i % 2 == 0 else y + 0.00001
            return y
        t1 = time.perf_counter()
        grad = float(grad_fn(f)(1.0))
    elif name == "micrograd":
        from micrograd.engine import Value
        x = Value(1.0)
        y = x
        for i in range(n):
            y = y * 1.00001 if i % 2 == 0 else y + 0.00001
        t1 = time.perf_counter()
        y.backward()
        grad = x.grad
    else:
        m = __import__(name)
        if name == "torch":
            m.set_num_threads(1)
        x = m.tensor([1.0]) if name == "mygrad" else m.tensor([1.0], requires_grad=True)
        y = x
        for i in range(n):
            y = y * 1.00001 if i % 2 == 0 else y + 0.00001
        t1 = time.perf_counter()
        if name == "mygrad":
            y.sum().backward()
            grad = float(x.grad[0])
        else:
            y.sum().backward()
            grad = x.grad.item()
    t2 = time.perf_counter()
    print(json.dumps({"forward_s": t1 - t0, "backward_s": t2 - t1, "grad": grad, "peak_mib": peak_mib()}))


def peak_mib() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss it is not inherited from the parent)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_chain(names: list[str], n: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        if name in ("tinygrad", "jax-jit"):
            continue  # lazy/compiled graphs of 100,000 nodes: not a like-for-like eager measurement
        try:
            p = subprocess.run([sys.executable, __file__, "--chain-child", name, "--chain-n", str(n)],
                               capture_output=True, text=True, timeout=300)
            if p.returncode:
                last = (p.stderr.strip().splitlines() or ["failed"])[-1]
                out[name] = {"error": last[:100]}
            else:
                out[name] = json.loads(p.stdout.strip().splitlines()[-1])
        except subprocess.TimeoutExpired:
            out[name] = {"error": "took over 300 s"}
        print(f"  W5 {name}: {out[name]}", file=sys.stderr)
    return out


# ============================================================================ size sweep (the plot)
def size_sweep(sizes: list[int], rounds: int) -> dict[str, dict[int, float]]:
    """Time per elementwise op (forward + backward) against tensor size, for glassgrad, PyTorch and the floor."""
    import glassgrad
    libs: dict[str, Any] = {"glassgrad": glassgrad}
    try:
        import torch
        libs["torch"] = torch
    except ImportError:
        pass
    blocks = 5
    out: dict[str, dict[int, float]] = {n: {} for n in [*libs, "floor"]}
    for size in sizes:
        x0 = np.random.default_rng(size).uniform(-1, 1, size).astype(F32)
        steps: dict[str, Step] = {}
        for name, m in libs.items():
            def step(m: Any = m, x0: np.ndarray = x0) -> Any:
                x = m.tensor(x0, requires_grad=True)
                y = x
                for _ in range(blocks):
                    y = (y * 1.01 + 0.1).sin().tanh()
                y.sum().backward()
                return x.grad
            steps[name] = step

        def floor_step(x0: np.ndarray = x0) -> Any:
            saved = []
            y = x0
            for _ in range(blocks):
                y = y * F32(1.01) + F32(0.1)
                saved.append(y)
                y = np.tanh(np.sin(y))
                saved.append(y)
            g = np.ones_like(y)
            for i in range(blocks - 1, -1, -1):
                g = g * (F32(1) - saved[2 * i + 1] ** 2) * np.cos(saved[2 * i]) * F32(1.01)
            return g
        steps["floor"] = floor_step
        times = time_interleaved(steps, rounds, 0.02)
        for name, t in times.items():
            out[name][size] = t / (4 * blocks)
    return out


def plot(sweep: dict[str, dict[int, float]], path: Path) -> bool:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("  (matplotlib not installed: no plot; pip install '.[bench]')", file=sys.stderr)
        return False
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, series in sweep.items():
        xs = sorted(series)
        ax.loglog(xs, [series[s] * 1e6 for s in xs], marker="o", label=name)
    ax.set_xlabel("elements per tensor")
    ax.set_ylabel("µs per elementwise op (forward + backward)")
    ax.set_title("glassgrad, PyTorch and the NumPy floor: time per op against size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


# ============================================================================ report
def fmt(t: float) -> str:
    if t != t:  # nan
        return "—"
    if t < 1e-3:
        return f"{t * 1e6:.1f} µs"
    if t < 1:
        return f"{t * 1e3:.2f} ms"
    return f"{t:.2f} s"


def machine_facts() -> list[str]:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    facts = [f"CPU: {cpu}; {os.cpu_count()} cores; Python {platform.python_version()}",
             f"NumPy {np.__version__}, BLAS: {blas_name()}"]
    try:
        import torch
        facts.append(f"PyTorch {torch.__version__}, torch threads: {torch.get_num_threads()}")
    except ImportError:
        facts.append("PyTorch: not installed")
    envs = {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS") if k in os.environ}
    facts.append(f"thread settings: {envs or 'defaults'}")
    return facts


def blas_name() -> str:
    try:
        cfg = np.show_config(mode="dicts")
        b = cfg["Build Dependencies"]["blas"]
        return f"{b.get('name')} {b.get('version', '')}".strip()
    except Exception:  # noqa: BLE001 - older NumPy
        return "unknown"


def table(results: dict[str, Any], systems: list[str]) -> list[str]:
    cols = [s for s in systems if any(s in r["seconds"] or s in r["notes"] for r in results.values())]
    lines = ["| workload | " + " | ".join(cols) + " | glassgrad ÷ torch | glassgrad ÷ floor |",
             "|---" * (len(cols) + 3) + "|"]
    for wl, r in results.items():
        sec = r["seconds"]
        cells = []
        for s in cols:
            if s in sec:
                cell = fmt(sec[s])
                if "torch" in sec and s != "torch":
                    cell += f" ({sec[s] / sec['torch']:.2f}×)"
                cells.append(cell)
            else:
                cells.append("see notes" if s in r["notes"] else "n/a")
        ratio_t = f"{sec['glassgrad'] / sec['torch']:.2f}" if {"glassgrad", "torch"} <= sec.keys() else "—"
        ratio_f = f"{sec['glassgrad'] / sec['floor']:.2f}" if {"glassgrad", "floor"} <= sec.keys() else "—"
        unit = " (per op)" if r["per_op"] else ""
        lines.append(f"| {wl}{unit} | " + " | ".join(cells) + f" | {ratio_t} | {ratio_f} |")
    return lines


def chain_table(chain: dict[str, Any]) -> list[str]:
    lines = ["| system | forward | backward | total | ÷ torch | peak memory (MiB) | x.grad |", "|---|---|---|---|---|---|---|"]
    tt = chain.get("torch", {})
    t_total = tt.get("forward_s", 0) + tt.get("backward_s", 0) if "error" not in tt and tt else None
    for name, r in chain.items():
        if "error" in r:
            lines.append(f"| {name} | — | — | failed: {r['error']} | — | — | — |")
            continue
        total = r["forward_s"] + r["backward_s"]
        ratio = f"{total / t_total:.2f}" if t_total else "—"
        lines.append(f"| {name} | {fmt(r['forward_s'])} | {fmt(r['backward_s'])} | {fmt(total)} | {ratio} | "
                     f"{r['peak_mib']:.0f} | {r['grad']:.6f} |")
    return lines


W6_NOTE = ("- W6: a training step of the demos' models (glassgrad.demos.digits and charlm, the same lines of "
           "PyTorch code on both), with the same initial weights and batch; no NumPy floor (not required for W6: "
           "hand-written backward passes and optimizers for whole models are beyond it), and the peers have no "
           "nn/optim: n/a.")


def notes_lines(results: dict[str, Any]) -> list[str]:
    out = [W6_NOTE] if any(wl.startswith("W6") for wl in results) else []
    for wl, r in results.items():
        for s, why in r["notes"].items():
            out.append(f"- {wl} {s}: {why}")
    return out


# ============================================================================ main
ALL_SYSTEMS = ["glassgrad", "torch", "floor", "micrograd", "tinygrad", "autograd", "mygrad", "jax", "jax-jit"]


def one_pass(args: argparse.Namespace) -> dict[str, Any]:
    names = args.systems.split(",")
    if args.threads == 1:
        try:
            import torch
            torch.set_num_threads(1)
        except ImportError:
            pass
    only = args.only.split(",")
    systems = system_builders(names)
    rounds, round_s = (1, 0.001) if args.tiny else (args.rounds, 0.05)
    res: dict[str, Any] = {"facts": machine_facts(),
                           "workloads": run_workloads(systems, only, args.tiny, rounds, round_s)}
    if "W5" in only:
        res["chain"] = run_chain(list(systems), 1000 if args.tiny else CHAIN)
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--systems", default=",".join(ALL_SYSTEMS))
    ap.add_argument("--only", default="W1,W2,W3,W3-big,W4,W4-big,W5,W6-digits,W6-charlm")
    ap.add_argument("--tiny", action="store_true", help="tiny sizes, one round: checks that everything runs")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--threads", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--no-single-thread", action="store_true", help="skip the single-threaded repeat")
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs/ alone")
    ap.add_argument("--chain-child", help=argparse.SUPPRESS)
    ap.add_argument("--chain-n", type=int, default=CHAIN, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.chain_child:
        chain_child(args.chain_child, args.chain_n)
        return 0
    if args.json:  # child pass (single-threaded)
        print(json.dumps(one_pass(args)))
        return 0
    started = time.time()
    print("default threads:", file=sys.stderr)
    default = one_pass(args)
    single = None
    if not args.no_single_thread:
        print("single-threaded:", file=sys.stderr)
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        cmd = [sys.executable, __file__, "--json", "--threads", "1", "--systems", args.systems, "--only",
               args.only.replace(",W5", "").replace("W5,", ""), "--rounds", str(max(3, args.rounds // 2))]
        if args.tiny:
            cmd.append("--tiny")
        single = json.loads(subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout)
    sweep = None
    if not args.tiny and "glassgrad" in args.systems:
        print("size sweep:", file=sys.stderr)
        sweep = size_sweep([1, 10, 100, 1_000, 10_000, 100_000, 1_000_000], 5)
    names = args.systems.split(",")
    cmdline = "python bench/run.py" + ("" if len(sys.argv) == 1 else " " + " ".join(sys.argv[1:]))
    lines = ["# Benchmarks", "", f"Produced by `{cmdline}` on {time.strftime('%Y-%m-%d')} "
             f"({time.time() - started:.0f} s). Times are medians of interleaved rounds; every system's result "
             "was checked against PyTorch's before timing. Ratios in brackets are to PyTorch; "
             "\"floor\" is the same float32 maths written by hand in NumPy, with no graph; "
             "n/a: the system cannot express the workload.", "",
             "Machine:", "", *[f"- {f}" for f in default["facts"]], "", "## Default threads", "",
             *table(default["workloads"], names), ""]
    if single:
        lines += ["## Single-threaded (OMP/OpenBLAS/MKL threads = 1, torch.set_num_threads(1))", "",
                  *table(single["workloads"], names), ""]
    if "chain" in default:
        lines += [f"## W5: a chain of {CHAIN:,} ops on a 1-element tensor (fresh process per system)", "",
                  *chain_table(default["chain"]), ""]
    notes = notes_lines(default["workloads"])
    if notes:
        lines += ["## Notes", "", *notes, ""]
    if sweep:
        lines += ["## Time per op against tensor size", "", "![time per op](benchmarks_size.png)", "",
                  "| elements | " + " | ".join(sweep) + " |", "|---" * (len(sweep) + 1) + "|"]
        for size in sorted(next(iter(sweep.values()))):
            lines.append(f"| {size:,} | " + " | ".join(fmt(sweep[n][size]) for n in sweep) + " |")
        lines.append("")
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        (ROOT / "docs").mkdir(exist_ok=True)
        (ROOT / "docs" / "benchmarks.md").write_text(text, encoding="utf-8")
        if sweep:
            plot(sweep, ROOT / "docs" / "benchmarks_size.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
