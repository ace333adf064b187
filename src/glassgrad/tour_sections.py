"""The founding chapter, section by section: what each section teaches and how its result is verified.

Each :class:`Section` names one program of ``examples/chapter7`` and says

* what the section is about (a title and one paragraph, in the chapter's words where it has them);
* which graph to draw and narrate: the program's own lines up to ``graph_until`` (the line that would
  call ``backward()``), or a short ``graph_code`` snippet, with ``root`` naming the graph's output;
  ``more`` adds further (code, root) steps, each run and narrated after the first backward;
* ``verify(ctx)``: the hand derivation.  It returns :class:`Check` items that compare what autograd gave
  (the program's own variables after it ran, in ``ctx.run``; the narrated graph's, in ``ctx.graph``)
  with a formula evaluated in plain Python / NumPy, written out here independently of autograd
  (a plain string in the list is a line of explanation, printed in its place).

:mod:`glassgrad.tour` runs them; nothing here runs at import.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class Check:
    """One verified fact: ``got`` (from autograd) against ``hand`` (from the hand derivation ``formula``).

    Numbers and arrays are compared with ``rtol``/``atol`` (and must have the same shape); anything else
    (shapes, None, names, booleans) with ``==``.
    """

    what: str
    got: Any
    hand: Any
    formula: str = ""
    rtol: float = 1e-5
    atol: float = 1e-6

    @property
    def numeric(self) -> bool:
        """True when both sides are numbers or arrays of numbers."""
        def num(v: Any) -> bool:
            if isinstance(v, bool | str) or v is None:
                return False
            try:
                a = np.asarray(v)
            except ValueError:  # ragged (a list of shapes)
                return False
            return a.dtype.kind in "iuf" and a.size > 0
        return num(self.got) and num(self.hand)

    @property
    def ok(self) -> bool:
        """True when autograd's value agrees with the hand derivation."""
        if self.numeric:
            g, h = np.asarray(self.got, dtype=np.float64), np.asarray(self.hand, dtype=np.float64)
            return g.shape == h.shape and bool(np.allclose(g, h, rtol=self.rtol, atol=self.atol))
        try:
            return bool(self.got == self.hand)
        except Exception:  # noqa: BLE001 - an uncomparable pair simply disagrees
            return False


@dataclass
class Context:
    """What a section's ``verify`` can read."""

    run: dict[str, Any]                  # the program's variables after it ran
    graph: dict[str, Any]                # the graph's variables after its narrated backward(s)
    stdout: str                          # what the program printed
    error: BaseException | None          # the exception the program raised, if any
    torch: Any                           # glassgrad, standing in for torch


@dataclass
class Section:
    """One section (or homework item) of the chapter."""

    key: str                             # "7.4", "hw3"
    program: str                         # file stem in examples/chapter7
    title: str
    text: str
    verify: Callable[[Context], list[Check | str]]
    root: str | None = None              # the graph's output (None: no graph to draw)
    graph_until: str | None = None       # run the program's lines before the first line starting with this
    graph_code: str | None = None        # ... or this snippet instead
    more: tuple[tuple[str, str], ...] = ()   # further (code, root) steps, each narrated
    fails_on_purpose: str | None = None  # the program raises, as it does in PyTorch: why
    narration_lines: int = 64            # longer narrations are shortened in the middle
    finite_differences: bool = True      # also check every node with viz.check


# ---------------------------------------------------------------------------- helpers for the hand side

def _floats(text: str, pattern: str) -> list[float]:
    """Every number captured by ``pattern`` (one group) in the program's output."""
    return [float(m) for m in re.findall(pattern, text)]


def _grad(t: Any) -> Any:
    """``t.grad`` as a NumPy array (None stays None)."""
    return None if t.grad is None else t.grad.numpy()


def _softmax(s: np.ndarray) -> np.ndarray:
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def attention_backward(q: np.ndarray, k: np.ndarray, v: np.ndarray, d_out: np.ndarray,
                       scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """By hand: the gradients of ``softmax(q @ kᵀ · scale) @ v`` with respect to q, k, v, given d_out.

    Returns ``(d_q, d_k, d_v, weights)``; works on batched arrays (last two axes are matrices).
    The softmax rule: ``d_s = w ⊙ (d_w − Σⱼ d_w ⊙ w)`` row by row.
    """
    kt = np.swapaxes(k, -1, -2)
    w = _softmax(q @ kt * scale)
    d_v = np.swapaxes(w, -1, -2) @ d_out
    d_w = d_out @ np.swapaxes(v, -1, -2)
    d_s = w * (d_w - (d_w * w).sum(axis=-1, keepdims=True)) * scale
    d_q = d_s @ k
    d_k = np.swapaxes(d_s, -1, -2) @ q
    return d_q, d_k, d_v, w


# ---------------------------------------------------------------------------- the hand derivations

def verify_7_2a(c: Context) -> list[Check]:
    x = c.graph["x"].detach().numpy().astype(np.float64)
    return [
        Check("x.requires_grad after requires_grad_(True)", c.run["x"].requires_grad, True),
        Check("y = x * 2 is recorded as", c.run["y"].grad_fn.name(), "MulBackward0"),
        Check("z = y.sum() is recorded as", c.run["z"].grad_fn.name(), "SumBackward0"),
        Check("dz/dx for z = Σ 2xᵢ", _grad(c.graph["x"]), np.full_like(x, 2.0), "∂(Σ 2xⱼ)/∂xᵢ"),
    ]


FIX_7_2B = """\
x = torch.tensor([2.0], requires_grad=True)
y = x * 3
z = y + 1
z.backward(retain_graph=True)   # keep y's graph: z2 below goes through it again
y.retain_grad()
z2 = y * 2
z2.backward()"""


def verify_7_2b(c: Context) -> list[Check | str]:
    err = c.error
    checks: list[Check | str] = [
        Check("dz/dx for z = 3x + 1, as printed", _floats(c.stdout, r"x.grad: tensor\(\[([\d.]+)\]\)"), [3.0],
              "d(3x + 1)/dx"),
        Check("the program printed y.grad of the non-leaf y (not retained)",
              [ln for ln in c.stdout.splitlines() if ln.startswith("y.grad")], ["y.grad: None"]),
        Check("y.grad after the failed z2.backward() (its retain_grad hook ran before y's node raised)",
              _grad(c.run["y"]), np.array([2.0]), "dz2/dy"),
        Check("x.grad after the failed z2.backward() (nothing more reached x)", _grad(c.run["x"]),
              np.array([3.0]), "d(3x + 1)/dx"),
        Check("z2.backward() fails as in PyTorch", type(err).__name__ + ": " + str(err).split(" (or")[0],
              "RuntimeError: Trying to backward through the graph a second time"),
    ]
    checks.append("The fix: keep the graph with retain_graph=True on the first backward:")
    checks += ["    " + line for line in FIX_7_2B.splitlines()]
    ns: dict[str, Any] = {"torch": c.torch}
    exec(FIX_7_2B, ns)  # noqa: S102 - the tour's own fixed snippet
    checks += [
        Check("with the fix, y.grad (retained) for z2 = 2y", _grad(ns["y"]), np.array([2.0]), "dz2/dy"),
        Check("with the fix, x.grad accumulates both backwards", _grad(ns["x"]), np.array([3.0 + 2.0 * 3.0]),
              "d(3x+1)/dx + d(2·3x)/dx = 3 + 6"),
    ]
    return checks


def verify_7_3a(c: Context) -> list[Check]:
    x = float(c.run["x"].item())
    return [Check(f"d(x²)/dx at x = {x:g}", c.run["x"].grad.item(), 2 * x, "2x")]


def verify_7_3b(c: Context) -> list[Check]:
    x, y = float(c.run["x"].item()), float(c.run["y"].item())
    return [
        Check(f"∂(x² + 2y)/∂x at ({x:g}, {y:g})", c.run["x"].grad.item(), 2 * x, "2x"),
        Check(f"∂(x² + 2y)/∂y at ({x:g}, {y:g})", c.run["y"].grad.item(), 2.0, "2"),
    ]


def verify_7_3c(c: Context) -> list[Check]:
    x = c.run["x"].detach().numpy().astype(np.float64)
    return [
        Check("f(x) = ‖x‖² = Σ xᵢ²", c.run["y"].item(), float((x * x).sum()), "Σ xᵢ²"),
        Check("∇‖x‖² at x = [1, 2, 3]", _grad(c.run["x"]), 2 * x, "2xᵢ"),
    ]


def verify_7_4(c: Context) -> list[Check]:
    x = float(c.run["x"].item())
    return [
        Check(f"e = (2x + 3)²/2 + 1 at x = {x:g}", c.run["e"].item(), (2 * x + 3) ** 2 / 2 + 1, "(2x + 3)²/2 + 1"),
        Check(f"de/dx at x = {x:g}", c.run["x"].grad.item(), 2 * (2 * x + 3), "2·(2x + 3)·2 / 2 = 2(2x + 3)"),
    ]


def verify_7_5(c: Context) -> list[Check]:
    x = float(c.run["x"].item())
    printed = _floats(c.stdout, r"grad = (-?[\d.]+)")
    d = 2 * x                      # d(x²)/dx
    return [
        Check("x.grad after backward #1, #2 (not zeroed), after zero_() + #3", printed, [d, d + d, d],
              "2x, 2x + 2x, 2x"),
        Check("x.grad in the narrated graph after its three backwards", _grad(c.graph["x"]), np.float32(d),
              "2x (after zero_())"),
    ]


NO_GRAD_7_6 = """\
x = torch.tensor(2.0, requires_grad=True)
with torch.no_grad():
    y1 = x * 2
y2 = (x * 2).detach()
with torch.inference_mode():
    y3 = x * 2
y4 = x * 2                     # tracked, for contrast
(dy4,) = torch.autograd.grad(y4, x)"""


def verify_7_6(c: Context) -> list[Check | str]:
    ns: dict[str, Any] = {"torch": c.torch}
    exec(NO_GRAD_7_6, ns)  # noqa: S102 - the tour's own snippet
    x = float(ns["x"].item())
    printed = [line.split(": ", 1)[1] for line in c.stdout.splitlines() if line.startswith("y.requires_grad")]
    checks: list[Check | str] = [Check("the program's three y.requires_grad", printed, ["False"] * 3)]
    for name, how in (("y1", "no_grad"), ("y2", "detach"), ("y3", "inference_mode")):
        t = ns[name]
        checks.append(Check(f"{how}: requires_grad, grad_fn", (t.requires_grad, t.grad_fn), (False, None)))
        checks.append(Check(f"{how}: the value is still computed", t.item(), 2 * x, "2x"))
    checks += [
        Check("inference_mode marks its result", ns["y3"].is_inference(), True),
        Check("outside them y4 = x * 2 is tracked, dy4/dx", ns["dy4"].item(), 2.0, "d(2x)/dx"),
    ]
    return checks


def verify_7_7(c: Context) -> list[Check]:
    r = c.run
    W_q, W_k, W_v, X = (r[n].detach().numpy().astype(np.float64) for n in ("W_q", "W_k", "W_v", "X"))
    d = r["d_model"]
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    # loss = Σ softmax(Q Kᵀ/√d) V, so d loss/d output is all ones
    d_q, d_k, d_v, _ = attention_backward(Q, K, V, np.ones((X.shape[0], d)), 1 / math.sqrt(d))
    checks = [Check(f"{n}.grad shape", tuple(r[n].grad.shape), (d, d)) for n in ("W_q", "W_k", "W_v")]
    checks += [
        Check("X.grad (X does not require grad)", r["X"].grad, None),
        Check("W_v.grad", _grad(r["W_v"]), X.T @ d_v, "Xᵀ·(weightsᵀ·1)", rtol=1e-4, atol=1e-5),
        Check("W_q.grad", _grad(r["W_q"]), X.T @ d_q, "Xᵀ·(softmax′(1·Vᵀ))·K/√d", rtol=1e-4, atol=1e-5),
        Check("W_k.grad", _grad(r["W_k"]), X.T @ d_k, "Xᵀ·(softmax′(1·Vᵀ))ᵀ·Q/√d", rtol=1e-4, atol=1e-5),
    ]
    return checks


def verify_hw1(c: Context) -> list[Check]:
    x = float(c.run["x"].item())
    hand = 2 * x * math.cos(x * x)
    return [
        Check(f"sin(x²) at x = {x:g}", c.run["y"].item(), math.sin(x * x), "sin(x²)"),
        Check(f"d sin(x²)/dx at x = {x:g} (float32)", c.run["x"].grad.item(), hand, "2x·cos(x²)"),
        Check(f"d sin(x²)/dx at x = {x:g} (float64, autograd.grad)", c.run["g"].item(), hand, "2x·cos(x²)",
              rtol=1e-12, atol=0.0),
    ]


def verify_hw2(c: Context) -> list[Check]:
    x, y, z = (float(c.run[n].item()) for n in "xyz")
    hand = [y + z, x + z, x + y]
    return [
        Check("f = xy + yz + zx at (1, 2, 3)", c.run["f"].item(), x * y + y * z + z * x, "xy + yz + zx"),
        Check("(∂f/∂x, ∂f/∂y, ∂f/∂z)", [c.run[n].grad.item() for n in "xyz"], hand, "(y + z, x + z, x + y)"),
        Check("the same through one vector v = (x, y, z)", _grad(c.run["v"]), np.array(hand), "(y + z, x + z, x + y)"),
    ]


def verify_hw3(c: Context) -> list[Check]:
    lr = c.run["lr"]
    w, grads = 1.0, []
    for _ in range(5):                 # gradient descent by hand: w ← w − lr·6(3w − 6)
        grads.append(6 * (3 * w - 6))
        w -= lr * grads[-1]
    printed = _floats(c.stdout, r"  grad = (-?[\d.]+)  manual")
    return [
        Check("the 5 gradients, zeroed each step", printed, grads, "6(3w − 6), w ← w − 0.01·grad", rtol=1e-5),
        Check("final w", c.run["w"].item(), w, "5 steps of the recurrence", rtol=1e-5),
        Check("v.grad after 5 backwards without zeroing", c.run["v"].grad.item(), 5 * 6 * (3 * 1.0 - 6), "5 · 6(3·1 − 6)"),
        Check("final p (SGD zeroing for us)", c.run["p"].item(), w, "the same recurrence", rtol=1e-5),
        Check("p.grad after opt.zero_grad() (set_to_none)", c.run["p"].grad, None),
        Check("dloss/dw at w = 1 in the narrated graph", c.graph["w"].grad.item(), 6 * (3 * 1.0 - 6), "6(3w − 6)"),
    ]


def verify_hw4(c: Context) -> list[Check]:
    x = float(c.run["x"].item())
    l1 = 3 * x + 1
    l2 = l1 ** 2
    l4 = 4 * math.sin(l2) - 1
    d_l2 = math.exp(l4) * 4 * math.cos(l2)         # dl5/dl2
    return [
        Check("dl5/dl4", c.run["l4"].grad.item(), math.exp(l4), "exp(l4)"),
        Check("dl5/dl3", c.run["l3"].grad.item(), 4 * math.exp(l4), "4·exp(l4)"),
        Check("dl5/dl2", c.run["l2"].grad.item(), d_l2, "4·exp(l4)·cos(l2)"),
        Check("dl5/dl1", c.run["l1"].grad.item(), d_l2 * 2 * l1, "… · 2·l1"),
        Check(f"dl5/dx at x = {x:g}", c.run["x"].grad.item(), d_l2 * 2 * l1 * 3, "exp(l4)·4·cos(l2)·2·l1·3"),
    ]


def verify_hw5(c: Context) -> list[Check]:
    r = c.run
    attn = r["attn"]
    P = {n: p.detach().numpy().astype(np.float64) for n, p in attn.named_parameters()}
    x = r["x"].detach().numpy().astype(np.float64)
    d = attn.d_model

    def lin(a: np.ndarray, name: str) -> np.ndarray:
        return a @ P[name + ".weight"].T + P[name + ".bias"]

    Q, K, V = lin(x, "W_q"), lin(x, "W_k"), lin(x, "W_v")
    w = _softmax(Q @ np.swapaxes(K, -1, -2) / math.sqrt(d))
    h = w @ V
    out = lin(h, "W_o")
    loss = (out ** 2).mean()
    d_out = 2 * out / out.size                      # d mean(out²)/d out
    d_h = d_out @ P["W_o.weight"]
    d_q, d_k, d_v, _ = attention_backward(Q, K, V, d_h, 1 / math.sqrt(d))

    def flat(a: np.ndarray) -> np.ndarray:
        return a.reshape(-1, a.shape[-1])

    hand = {"W_o.weight": flat(d_out).T @ flat(h), "W_o.bias": flat(d_out).sum(0)}
    for name, g in (("W_q", d_q), ("W_k", d_k), ("W_v", d_v)):
        hand[name + ".weight"] = flat(g).T @ flat(x)
        hand[name + ".bias"] = flat(g).sum(0)
    params = dict(attn.named_parameters())
    checks = [
        Check("every parameter's .grad has its parameter's shape",
              [tuple(p.grad.shape) for p in params.values()], [tuple(p.shape) for p in params.values()]),
        Check("x.grad (the input does not require grad)", r["x"].grad, None),
        Check("loss = mean(out²)", r["loss"].item(), loss, "forward by hand", rtol=1e-5),
    ]
    for name, g in hand.items():
        checks.append(Check(f"{name}.grad", _grad(params[name]), g, "(done in NumPy)",
                            rtol=1e-4, atol=1e-6))
    return checks


# ---------------------------------------------------------------------------- the sections

SECTIONS: list[Section] = [
    Section(
        "7.2a", "s7_2a_requires_grad", "requires_grad: controlling gradients",
        "A tensor is tracked only when it asks to be: requires_grad=True at creation, or requires_grad_() "
        "later. From then on every operation on it is recorded: the result also requires grad and carries a "
        "grad_fn, the node that knows how to send a gradient back (MulBackward0 for x * 2, SumBackward0 for "
        ".sum()). The program never calls backward(); the tour does, to show what the graph would give.",
        verify_7_2a, root="z"),
    Section(
        "7.2b", "s7_2b_leaf_nodes", "leaf nodes and non-leaf nodes",
        "Tensors you create are leaves; tensors computed from them are not. backward() fills .grad on leaves "
        "only (reading .grad of a non-leaf warns), unless you call retain_grad(). As printed in the chapter, "
        "this block fails in real PyTorch: z.backward() frees the saved values of y = x * 3, and z2 = y * 2 "
        "needs that graph again, so z2.backward() raises. glassgrad fails the same way, with the same warning "
        "and the same error.",
        verify_7_2b, root="z", graph_until="z.backward()",
        fails_on_purpose="z.backward() freed the saved values of y = x * 3, and z2.backward() needs them again"),
    Section(
        "7.3a", "s7_3a_scalar_grad", "the gradient of a simple function",
        "backward() on a scalar fills x.grad with dy/dx. For y = x² the derivative is 2x, so at x = 3 "
        "autograd must give 6: PowBackward0 multiplies the incoming gradient 1 by exponent · x^(exponent-1).",
        verify_7_3a, root="y", graph_until="y.backward()"),
    Section(
        "7.3b", "s7_3b_multivariate_grad", "partial derivatives of a multivariate function",
        "With two leaves one backward() gives both partial derivatives: the graph of f = x² + 2y splits at the "
        "addition, and each branch carries its own factor back (2x to x, 2 to y).",
        verify_7_3b, root="z", graph_until="z.backward()"),
    Section(
        "7.3c", "s7_3c_vector_grad", "the gradient with a vector input",
        "For a vector x and a scalar f = Σ xᵢ², x.grad is the gradient vector ∇f, one partial derivative per "
        "element: SumBackward0 spreads the 1 over every element, PowBackward0 multiplies each by 2xᵢ.",
        verify_7_3c, root="y", graph_until="y.backward()"),
    Section(
        "7.4", "s7_4_graph", "visualizing the computation graph",
        "Five operations make five nodes; each tensor's grad_fn is its node, and the leaf x has none. "
        "backward() walks the graph from e back to x, multiplying each node's local derivative into the "
        "gradient it received: the chain rule, one node at a time, ending with de/dx = 2(2x + 3) = 14.",
        verify_7_4, root="e", graph_until="e.backward()"),
    Section(
        "7.5", "s7_5_accumulation", "gradient accumulation and zeroing",
        "backward() adds into .grad, it does not overwrite it: a second backward of the same function doubles "
        "x.grad. That is what lets several losses share one gradient, and why a training loop zeroes the "
        "gradients (x.grad.zero_(), optimizer.zero_grad()) before each step. The narration below shows each "
        "AccumulateGrad adding to what was there.",
        verify_7_5, root="y", graph_until="y.backward()",
        more=(("y2 = x ** 2", "y2"), ("x.grad.zero_()\ny3 = x ** 2", "y3"))),
    Section(
        "7.6", "s7_6_no_grad", "disabling gradient tracking",
        "Inference and bookkeeping need no graph. Inside torch.no_grad() results are not tracked; detach() "
        "returns an untracked tensor sharing the data; torch.inference_mode() goes further and marks the "
        "results as inference tensors. In all three, y = x * 2 is computed but has no grad_fn, so there is "
        "no graph to draw.",
        verify_7_6, root="y", finite_differences=False),
    Section(
        "7.7", "s7_7_attention", "autograd and attention",
        "Attention is just more nodes: three matrix products, a transpose, a scaling, a softmax and one more "
        "product. One backward() gives W_q, W_k and W_v their gradients; X was created without "
        "requires_grad, so it gets none. The tour derives the three gradients by hand (through the softmax "
        "rule) and checks every node against finite differences.",
        verify_7_7, root="loss", graph_until="loss.backward()", narration_lines=40),
    Section(
        "hw1", "hw1_sin_x2", "homework 1: d sin(x²)/dx",
        "The chain rule on two nodes: PowBackward0 gives 2x and SinBackward0 gives cos(x²), so autograd's "
        "answer must equal 2x·cos(x²); at x = 2 that is 4cos(4). The float64 version (autograd.grad) must "
        "agree to twelve digits.",
        verify_hw1, root="y", graph_until="y.backward()"),
    Section(
        "hw2", "hw2_multivariate", "homework 2: ∇(xy + yz + zx)",
        "Each variable appears in two products, so its gradient is the sum of two contributions: "
        "∂f/∂x = y + z, ∂f/∂y = x + z, ∂f/∂z = x + y, i.e. (5, 4, 3) at (1, 2, 3). With one vector "
        "input, the indexing nodes route each contribution back into its slot of v.grad.",
        verify_hw2, root="f", graph_until="f.backward()"),
    Section(
        "hw3", "hw3_zero_grad_loop", "homework 3: zeroing gradients in a loop",
        "Gradient descent on loss(w) = (3w − 6)², whose derivative is 6(3w − 6). Zeroing before each "
        "backward gives the true gradient every step; without zeroing the same gradient piles up (−18, −36, "
        "…); an optimizer's zero_grad() does the zeroing for you (setting .grad to None).",
        verify_hw3, root="loss", graph_code="w = torch.tensor(1.0, requires_grad=True)\nloss = (3 * w - 6) ** 2"),
    Section(
        "hw4", "hw4_five_layer_chain", "homework 4: a five-layer chain",
        "Five nodes in a row, so five local derivatives multiplied together: exp(l4) · 4 · cos(l2) · 2l1 · 3. "
        "retain_grad() on each layer exposes the partial products along the way, and each must match its "
        "hand-derived prefix of the chain.",
        verify_hw4, root="l5", graph_until="l5.backward()"),
    Section(
        "hw5", "hw5_attention_grad_shapes", "homework 5: single-head attention's parameter gradients",
        "The attention of 7.7 as an nn.Module with four nn.Linear projections (weights and biases). One "
        "backward() gives all eight parameters a gradient of their own shape; the input x gets none. The "
        "tour redoes the whole forward and backward by hand in NumPy and compares every gradient.",
        verify_hw5, root="loss", graph_until="loss.backward()", narration_lines=30),
]
