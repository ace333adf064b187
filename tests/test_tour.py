"""glassgrad tour: the founding chapter shown, run, compared with PyTorch, drawn, narrated and verified."""

import argparse
import io
import re
import shutil
import sys
import time

import pytest

from glassgrad import examples, tour
from glassgrad.tour_sections import SECTIONS, Check

#: one verified result per section, as the tour prints it
KEY_RESULTS = {
    "7.2a": "✓ verified: dz/dx for z = Σ 2xᵢ: [2, 2]",
    "7.2b": "✓ verified: with the fix, y.grad (retained) for z2 = 2y: [2]",
    "7.3a": "✓ verified: d(x²)/dx at x = 3: 6  (by hand: 2x = 6)",
    "7.3b": "✓ verified: ∂(x² + 2y)/∂x at (3, 4): 6  (by hand: 2x = 6)",
    "7.3c": "✓ verified: ∇‖x‖² at x = [1, 2, 3]: [2, 4, 6]  (by hand: 2xᵢ = [2, 4, 6])",
    "7.4": "✓ verified: de/dx at x = 2: 14  (by hand: 2·(2x + 3)·2 / 2 = 2(2x + 3) = 14)",
    "7.5": "✓ verified: x.grad after backward #1, #2 (not zeroed), after zero_() + #3: [4, 8, 4]",
    "7.6": "✓ verified: outside them y4 = x * 2 is tracked, dy4/dx: 2  (by hand: d(2x)/dx = 2)",
    "7.7": "✓ verified: W_q.grad [4, 4]: agrees with the hand derivation",
    "hw1": "✓ verified: d sin(x²)/dx at x = 2 (float32): -2.61457  (by hand: 2x·cos(x²) = -2.61457)",
    "hw2": "✓ verified: (∂f/∂x, ∂f/∂y, ∂f/∂z): [5, 4, 3]  (by hand: (y + z, x + z, x + y) = [5, 4, 3])",
    "hw3": "✓ verified: v.grad after 5 backwards without zeroing: -90  (by hand: 5 · 6(3·1 − 6) = -90)",
    "hw4": "✓ verified: dl5/dx at x = 0.2: -106.257  (by hand: exp(l4)·4·cos(l2)·2·l1·3 = -106.257)",
    "hw5": "✓ verified: W_q.weight.grad [8, 8]: agrees with the hand derivation",
}


def _unwrapped(text):
    """The tour's output with its wrapped lines (continued after four spaces) joined again."""
    return re.sub(r"\n {4}(?=\S)", " ", text)


def _sections_of(text):
    """The tour's text cut into sections by their headers."""
    parts = {}
    for s in SECTIONS:
        start = text.index(f" {s.key}  {s.title}")
        nxt = [text.index(f" {t.key}  {t.title}") for t in SECTIONS if text.index(f" {t.key}  {t.title}") > start]
        parts[s.key] = text[start:min(nxt) if nxt else len(text)]
    return parts


def _assert_drawing_matches_narration(key, part):
    """Each narrated step's formula (``[3] AddBackward0   t2 = t0 + t1``) is drawn in the section's graph."""
    drawings = re.findall(r"── the graph of (\S+) ─.*?\n(.*?)\n── ", part, re.S)
    steps = []
    for root, _ in drawings:   # the narration of the drawn graph's own backward (not of later ones)
        walk = re.search(rf"^  backward from {re.escape(root)} \(.*?\n(.*?)(?=^  backward from |^  >>> |^── |\Z)",
                         part, re.S | re.M)
        assert walk is not None, (key, root)
        steps += re.findall(r"^ *\[\d+\] (\w+)   (.+)$", walk.group(1), re.M)
    assert drawings and steps, key
    drawn = {m.group(1).split(" = ")[0]: (m.group(2), m.group(1)) for _, d in drawings  # after "─ ", before the op
             for m in re.finditer(r"(?:^ +|─ )([^─│├└◀\n]+?)  +(\w+Backward\w*) ", d, re.M)}
    compared = 0
    for op, formula in steps:   # a big graph is drawn in part, and long lines end in "…": compare what is shown
        label = formula.split(" = ")[0]
        if op == "AccumulateGrad" or label not in drawn:
            continue
        drawn_op, drawn_formula = drawn[label]
        assert drawn_op == op, (key, label)
        n = min(len(formula.rstrip("…")), len(drawn_formula.rstrip("…")))
        assert formula[:n] == drawn_formula[:n], f"{key}: narrated {formula!r}, drawn {drawn_formula!r}"
        compared += 1
    assert compared >= min(len(drawn), 3), key


def test_the_whole_tour_runs_and_verifies_every_section(capsys):
    start = time.perf_counter()
    code = tour.main([])
    took = time.perf_counter() - start
    out = _unwrapped(capsys.readouterr().out)
    assert code == 0, out[-3000:]
    assert took < 30
    assert "✗" not in out
    assert set(KEY_RESULTS) == {s.key for s in SECTIONS}
    parts = _sections_of(out)
    for key, line in KEY_RESULTS.items():
        part = parts[key]
        assert line in part, f"{key}: {line!r} not in its section"
        assert "✓ matches PyTorch: all " in part, key
        assert "── the code: " in part and "── verified: finite differences and the hand derivation " in part
    for key in ("7.4", "7.7", "hw5"):   # drawn, narrated and checked by finite differences
        assert "graph of " in parts[key] and "backward from " in parts[key]
        assert "✓ verified: each node's backward agrees with finite differences" in parts[key]
    for key, part in parts.items():   # the drawing and the narration name every node the same way
        if "── backward from " in part:
            _assert_drawing_matches_narration(key, part)
    assert "f = t2 + t3   " in parts["hw2"] and "[1] AddBackward0   f = t2 + t3\n" in parts["hw2"]
    assert "scores = t1 / 2   " in parts["7.7"] and "DivBackward0   scores = t1 / 2\n" in parts["7.7"]
    assert "[6] AccumulateGrad   x.grad = 14   (was None)" in parts["7.4"]
    assert "x.grad = 8   (was 4, + 4)" in parts["7.5"]
    assert "the tensor does not require grad: it has no graph" in parts["7.6"]
    assert "RuntimeError: Trying to backward through the graph a second time" in parts["7.2b"]
    assert "the same warning and the same error on stderr" in parts["7.2b"]
    assert out.rstrip().splitlines()[-1].startswith("✓ tour: all 14 sections shown, run, compared with PyTorch")

def test_every_line_fits_the_terminal(capsys):
    assert tour.main(["--section", "7.2b", "--section", "7.7", "--section", "hw3", "--section", "hw5"]) == 0
    assert max(len(line) for line in capsys.readouterr().out.splitlines()) <= tour.WIDTH


def test_one_section_by_any_of_its_names(capsys):
    assert tour.find_sections(["7.4"]) == tour.find_sections(["s7_4"]) == tour.find_sections(["s7_4_graph.py"])
    assert [s.key for s in tour.find_sections(["7.2"])] == ["7.2a", "7.2b"]
    assert [s.key for s in tour.find_sections(["hw3", "7.3b", "hw3_zero_grad_loop"])] == ["7.3b", "hw3"]
    assert tour.main(["--section", "hw3"]) == 0
    out = capsys.readouterr().out
    assert " hw3  homework 3" in out and " 7.4 " not in out
    assert "✓ tour: section hw3 shown" in out


def test_a_bad_section_name_is_a_usage_error(capsys):
    assert tour.main(["--section", "7.9"]) == 2
    err = capsys.readouterr().err
    assert "glassgrad tour: no section named '7.9'" in err
    assert "7.2a, 7.2b, 7.3a" in err and "hw5" in err
    assert tour.main(["--no-such-option"]) == 2


def test_list(capsys):
    assert tour.main(["--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [s.key for s in SECTIONS]
    assert lines[5].startswith("7.4") and lines[5].endswith("s7_4_graph.py")


def test_a_planted_wrong_hand_value_is_reported(monkeypatch, capsys):
    (section,) = tour.find_sections(["7.4"])
    right = section.verify

    def planted(ctx):
        checks = right(ctx)
        for c in checks:
            if isinstance(c, Check) and c.what.startswith("de/dx"):
                c.hand = c.hand + 1          # 15 instead of 14
        return checks

    monkeypatch.setattr(section, "verify", planted)
    assert tour.main(["--section", "7.4"]) == 1
    out = _unwrapped(capsys.readouterr().out)
    assert ("✗ NOT verified: de/dx at x = 2: autograd gives 14, the hand derivation 2·(2x + 3)·2 / 2 = 2(2x + 3) = 15; "
            "largest difference 1") in out
    assert "✓ verified: e = (2x + 3)²/2 + 1" in out     # the other checks still pass
    assert out.rstrip().splitlines()[-1].startswith("✗ tour: 1 of 1 sections NOT verified: 7.4")


def test_a_wrong_backward_is_caught_three_ways(monkeypatch, capsys):
    from glassgrad.ops import elementwise
    monkeypatch.setattr(elementwise.PowBackward0, "backward", lambda self, F, g: (g * 3,))
    assert tour.main(["--section", "7.3a"]) == 1
    out = _unwrapped(capsys.readouterr().out)
    assert "✗ differs from PyTorch: stdout line 4: expected 'dy/dx = 6.0', got 'dy/dx = 3.0'" in out
    assert "✗ NOT verified: finite differences disagree with backward at PowBackward0 (y = x ** 2)" in out
    assert "✗ NOT verified: d(x²)/dx at x = 3: autograd gives 3, the hand derivation 2x = 6" in out


def test_a_difference_from_pytorch_shows_the_diff(monkeypatch, tmp_path, capsys):
    for f in examples.CHAPTER_DIR.glob("s7_3a_scalar_grad.*"):
        shutil.copy(f, tmp_path / f.name)
    (tmp_path / "s7_3a_scalar_grad.expected").write_text("f(x) = x^2\nx = 3.0\ny = 9.0\ndy/dx = 7.0\n")
    monkeypatch.setattr(examples, "CHAPTER_DIR", tmp_path)
    assert tour.main(["--section", "7.3a"]) == 1
    out = capsys.readouterr().out
    assert "✗ differs from PyTorch: stdout line 4: expected 'dy/dx = 7.0', got 'dy/dx = 6.0'" in _unwrapped(out)
    assert "\n    -dy/dx = 7.0\n    +dy/dx = 6.0\n" in out


def test_step_pauses_only_on_a_terminal(monkeypatch, capsys):
    asked = []
    monkeypatch.setattr("builtins.input", lambda prompt="": asked.append(prompt) or "")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))           # not a terminal: no pause
    assert tour.main(["--section", "7.3", "--step"]) == 0
    assert asked == []

    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stdin", Tty(""))
    assert tour.main(["--section", "7.3", "--step"]) == 0
    assert len(asked) == 2 and "press Enter for 7.3b" in asked[0]
    monkeypatch.setattr("builtins.input", lambda prompt="": "q")    # q stops the tour
    capsys.readouterr()
    assert tour.main(["--section", "7.3", "--step"]) == 0
    out = capsys.readouterr().out
    assert " 7.3a " in out and " 7.3b " not in out


def test_subcommand_registration():
    parser = argparse.ArgumentParser(prog="glassgrad")
    tour.add_tour_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["tour", "--section", "7.4", "--section", "hw1", "--step"])
    assert args.section == ["7.4", "hw1"] and args.step and not args.list
    assert args.func is tour._cmd_tour


def test_real_torch_in_the_same_process_is_left_alone(capsys):
    torch = pytest.importorskip("torch")
    assert tour.main(["--section", "hw1"]) == 0
    assert sys.modules["torch"] is torch and "glassgrad" not in repr(torch)
    assert torch.sin(torch.tensor(4.0)).item() == pytest.approx(-0.7568025)
