"""glassgrad.viz.explain / narrate: the chain rule, step by step, as backward runs."""

import io

import numpy as np

import glassgrad as gg
from glassgrad import viz
from vizcases import Cube, chapter_graph

CHAPTER_7_4 = """\
backward from e (AddBackward0), seeded with de/de = 1
[1] AddBackward0   e = d + 1
      upstream  de/de = 1
      local     de/dd = 1
      product   de/dd = 1 × 1 = 1   → d (DivBackward0)
[2] DivBackward0   d = c / 2
      upstream  de/dd = 1
      local     dd/dc = 1/2 = 0.5
      product   de/dc = 1 × 0.5 = 0.5   → c (PowBackward0)
[3] PowBackward0   c = b ** 2
      upstream  de/dc = 0.5
      local     dc/db = 2b = 14
      product   de/db = 0.5 × 14 = 7   → b (AddBackward0)
[4] AddBackward0   b = a + 3
      upstream  de/db = 7
      local     db/da = 1
      product   de/da = 7 × 1 = 7   → a (MulBackward0)
[5] MulBackward0   a = x * 2
      upstream  de/da = 7
      local     da/dx = 2
      product   de/dx = 7 × 2 = 14   → x (leaf: into x.grad)
[6] AccumulateGrad   x.grad = 14   (was None)
"""


def test_chapter_section_7_4():
    x, a, b, c, d, e = chapter_graph()
    out = io.StringIO()
    viz.explain(e, file=out)
    assert out.getvalue() == CHAPTER_7_4
    assert x.grad.item() == 14.0
    steps = [line for line in out.getvalue().splitlines() if line.startswith("[")]
    assert len(steps) == 6 and steps[-1].startswith("[6] AccumulateGrad   x.grad = 14")
    locals_ = [line.split(" = ", 1)[1] for line in out.getvalue().splitlines() if "local" in line]
    assert locals_ == ["1", "1/2 = 0.5", "2b = 14", "1", "2"]


def test_narrate_context_and_second_accumulation():
    x = gg.tensor(3.0, requires_grad=True)
    y = x.sin() * x
    out = io.StringIO()
    with viz.narrate(file=out) as n:
        y.backward(retain_graph=True)
        y.backward()
    text = out.getvalue()
    g = np.cos(3.0) * 3.0 + np.sin(3.0)
    assert text.count("backward from y (MulBackward0)") == 2
    assert "local     dt0/dx = cos(x) = " + f"{np.cos(3.0):.6g}" in text
    assert f"x.grad = {2 * g:.6g}   (was {g:.6g}, + {g:.6g})" in text
    assert n.lines == text.splitlines()
    np.testing.assert_allclose(x.grad.item(), 2 * g, rtol=1e-6)


def test_tensors_show_shapes_and_the_matrix_rule():
    gg.manual_seed(0)
    X = gg.randn(4, 3)
    W = gg.randn(3, 2, requires_grad=True)
    h = X @ W
    loss = h.sum()
    out = io.StringIO()
    viz.explain(loss, file=out)
    text = out.getvalue()
    assert "[2] MmBackward0   h = X @ W\n      shapes    W: [3, 2] → h: [4, 2]\n" in text
    assert "rule      grad_W = X.T @ grad_h" in text   # X needs no gradient: named from the caller's variables
    assert "grad_h: [4, 2] = <[4, 2]: mean 1, min 1, max 1, norm 2.82843>" in text   # large: summarised
    small = np.array2string(W.grad.numpy(), separator=", ", max_line_width=10**6,
                            formatter={"all": lambda v: f"{v:.6g}"}).replace("\n", "")
    assert f"W.grad = {small}   (was None)" in text                                  # small: in full


def test_no_observer_left_behind():
    from glassgrad.engine import engine
    x = gg.tensor(1.0, requires_grad=True)
    viz.explain(x * 2, file=io.StringIO())
    assert engine.OBSERVERS == []


def test_every_op_narrates_one_paragraph_per_step():
    """One float64 sample per op of the op database: the narration has one numbered step per recorded step."""
    import zlib

    from opdb import OPS
    from opinfo import from_np
    done = 0
    for op in OPS:
        if not op.supports_grad:
            continue
        rng = np.random.default_rng(zlib.crc32(f"{op.name}float64".encode()))
        s = op.samples(rng, np.float64)[0]
        args = [from_np(gg, a, rg) if isinstance(a, np.ndarray) else a for a, rg in zip(s.args, s.grad_mask())]
        out = op.op(gg, *args, **s.kwargs)
        out = out[0] if isinstance(out, tuple) else out
        if not isinstance(out, gg.Tensor) or out.grad_fn is None:
            continue
        text = io.StringIO()
        with viz.record() as trace:
            viz.explain(out.sum(), file=text)
        steps = [line for line in text.getvalue().splitlines() if line.startswith("[")]
        assert len(steps) == len(trace.steps), op.name
        done += 1
    assert done > 900


def test_create_graph_and_several_outputs():
    x = gg.tensor([1.0, 4.0, 2.0], requires_grad=True)
    a, b, c = x.unbind(0)
    y = a * b + c ** 3
    out = io.StringIO()
    viz.explain(y, file=out)
    text = out.getvalue()
    assert "[3] MulBackward0   t0 = a * b" in text and "local     dt0/db = a = 1" in text
    assert ("[4] UnbindBackward0   a, b, c = x.unbind(0)\n      shapes    x: [3] → a: [], b: [], c: []\n"
            "      upstream  dy/da = 4\n      upstream  dy/db = 1\n"
            "      upstream  dy/dc = 12\n      rule      grad_x = stack(grads, 0)\n") in text
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 1.0, 12.0])
    z = gg.tensor(2.0, requires_grad=True)
    out = io.StringIO()
    viz.explain(z ** 3, file=out)   # the narration reads values, whatever mode the engine runs in
    (g,) = gg.autograd.grad(z ** 3, z, create_graph=True)
    with viz.narrate(file=out):
        g.backward()
    assert "z.grad = 12   (was None)" in out.getvalue() and "z.grad = 24   (was 12, + 12)" in out.getvalue()


def test_custom_function_steps():
    x = gg.tensor(2.0, requires_grad=True)
    y = Cube.apply(x)
    out = io.StringIO()
    viz.explain(y, file=out)
    assert "[1] CubeBackward   y = Cube.apply(x)\n      upstream  dy/dy = 1\n      local     dy/dx = 12\n" in out.getvalue()
    v = gg.tensor([1.0, 2.0], requires_grad=True)
    s = Cube.apply(v).sum()
    out = io.StringIO()
    viz.explain(s, file=out)
    assert "rule      grad_v = Cube.backward(ctx, grad_t0)\n      result    grad_v: [2] = [3, 12]" in out.getvalue()
