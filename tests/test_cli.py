"""The glassgrad command: explain, run --explain/--graph/--check, ops, parity, chapter; errors and exit codes."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import glassgrad
from glassgrad.cli import main
from vizcases import CUBE3_APPLY, CUBE3_SCRIPT

CHAPTER = Path(glassgrad.__file__).parent / "examples" / "chapter7" / "s7_4_graph.py"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_explain_chapter_expression(capsys):
    code, out, _ = run(capsys, "explain", "(2*x + 3)**2 / 2 + 1", "--at", "x=2")
    assert code == 0
    assert "  t2 = 2 * x + 3 = 7" in out and "  f = (2 * x + 3) ** 2 / 2 + 1 = 25.5" in out
    steps = [ln for ln in out.splitlines() if ln.startswith("[")]
    assert [s.split()[1] for s in steps] == ["AddBackward0", "DivBackward0", "PowBackward0", "AddBackward0",
                                             "MulBackward0", "AccumulateGrad"]
    assert "local     dt3/dt2 = 2t2 = 14" in out and "local     dt4/dt3 = 1/2 = 0.5" in out
    assert out.endswith("partial derivatives:\n  df/dx = 14\n")


def test_explain_several_variables_and_tensor_literals(capsys):
    code, out, _ = run(capsys, "explain", "sum(w*x) + sin(y)", "--at", "w=[1,2],x=[3,4]", "--at", "y=0")
    assert code == 0
    assert out.endswith("partial derivatives:\n  df/dw = [3, 4]\n  df/dx = [1, 2]\n  df/dy = 1\n")
    code, out, _ = run(capsys, "explain", "[1, 2] * x", "--at", "x=3")
    assert code == 0 and "f = sum([1, 2] * x)" in out and "df/dx = 3" in out


@pytest.mark.parametrize("expr,at,msg", [
    ("__import__('os').system('true')", "x=1", "unsupported syntax Call"),
    ("x.__class__", "x=1", "unsupported syntax Attribute"),
    ("open('f')", "x=1", "unsupported function 'open'"),
    ("x +", "x=1", "bad expression 'x +'"),
    ("x * y", "x=1", "unknown variable 'y': give its value with --at y=VALUE"),
    ("x", "x=os", "not a number or a list of numbers: os"),
    ("lambda: 1", "x=1", "unsupported syntax Lambda"),
])
def test_explain_rejects_what_is_not_whitelisted(capsys, expr, at, msg):
    code, out, err = run(capsys, "explain", expr, "--at", at)
    assert code == 2 and out == "" and msg in err


def test_run_check_names_the_wrong_function(capsys, tmp_path):
    script = tmp_path / "cube.py"
    script.write_text(CUBE3_SCRIPT)
    code, out, err = run(capsys, "run", str(script), "--check")
    assert code == 1
    line = CUBE3_SCRIPT.splitlines().index(CUBE3_APPLY) + 1
    assert f"FAIL: Cube3Backward (t1 = Cube3.apply(t0)), created at {script}:{line}" in out
    assert "2 passed, 1 failed" in out and "disagrees with finite differences" in err


def test_run_explain_and_graph(capsys, tmp_path):
    code, out, _ = run(capsys, "run", str(CHAPTER), "--explain")
    assert code == 0
    assert "[3] PowBackward0   c = b ** 2" in out and "[6] AccumulateGrad   x.grad = 14   (was None)" in out
    assert "de/dx = 14.0" in out
    pytest.importorskip("glassgrad.viz.html")
    code, out, err = run(capsys, "run", "--graph", str(tmp_path / "g"), str(CHAPTER))
    assert code == 0 and "graph of backward #1" in err
    page = (tmp_path / "g" / "backward_001.html").read_text()
    assert page.startswith("<!DOCTYPE html>") or "<html" in page[:200]


def test_explain_html(capsys, tmp_path):
    pytest.importorskip("glassgrad.viz.html")
    code, out, _ = run(capsys, "explain", "x*x", "--at", "x=3", "--html", str(tmp_path / "f.html"))
    assert code == 0 and (tmp_path / "f.html").stat().st_size > 1000


def test_ops_table(capsys):
    code, out, _ = run(capsys, "ops")
    assert code == 0 and "  PowBackward0" in out and "self ** exponent" in out and "d: " not in out
    code, out, _ = run(capsys, "ops", "--formulas")
    assert "d: grad * exponent * self ** (exponent - 1)" in out


def test_usage_errors_and_help(capsys, tmp_path):
    assert run(capsys, "run", str(tmp_path / "missing.py"), "--explain")[0] == 2
    assert run(capsys, "parity", str(tmp_path / "missing.py"))[0] == 2
    assert run(capsys)[0] == 2
    for argv in (["--help"], ["explain", "--help"], ["run", "--help"], ["ops", "--help"], ["parity", "--help"]):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 0
    assert "--at NAME=VALUE" in capsys.readouterr().out


def test_python_dash_m(tmp_path):
    r = subprocess.run([sys.executable, "-m", "glassgrad", "explain", "x**3", "--at", "x=2"], capture_output=True,
                       text=True)
    assert r.returncode == 0 and r.stdout.endswith("df/dx = 12\n")


def test_parity_comparison():
    from types import SimpleNamespace as Run

    from glassgrad.cli_viz import compare_runs
    tb = "Traceback (most recent call last):\n  File ...\nRuntimeError: boom at 0x7f00\n"
    same = compare_runs(Run(stdout="<A object at 0x7f1>\n1\n", stderr=tb, returncode=1),
                        Run(stdout="<A object at 0x5a2>\n1\n", stderr=tb.replace("7f00", "1234"), returncode=1))
    assert same == ("same output: 2 stdout line(s), same error: RuntimeError: boom at 0x….", 0)
    assert compare_runs(Run(stdout="1\n2\n", stderr="", returncode=0), Run(stdout="1\n", stderr="", returncode=0)) \
        == ("stdout: torch printed 1 more line(s), from line 2:\n  torch: 2", 1)
    text, code = compare_runs(Run(stdout="", stderr=tb, returncode=1), Run(stdout="", stderr="", returncode=0))
    assert code == 1 and text.endswith("torch:     exit 1: RuntimeError: boom at 0x…\n  glassgrad: exit 0")


def test_parity_difference(capsys, tmp_path):
    """Both runs are real subprocesses."""
    pytest.importorskip("torch")
    diff = tmp_path / "diff.py"
    diff.write_text("import torch\nprint(1)\nprint(type(torch.tensor(1.0)).__module__)\n")
    code, out, _ = run(capsys, "parity", str(diff))
    assert code == 1
    assert out.startswith("first difference at stdout line 2:\n  torch:     torch\n  glassgrad: ")


GRAD_SCRIPT = textwrap.dedent("""\
    import torch

    x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = (x.sin() * x).sum()
    (g,) = torch.autograd.grad(y, x)
    torch.autograd.backward((x ** 2).sum())
    torch.autograd.gradcheck(torch.sin, (x.detach().double().requires_grad_(),))
    print(g.shape, x.grad)
""")


def test_run_check_and_graph_cover_autograd_grad_and_backward(capsys, tmp_path):
    """The script's own autograd.grad / autograd.backward calls are checked and drawn too; glassgrad's
    internal ones (here gradcheck's) are not separate backward calls of the program."""
    script = tmp_path / "grads.py"
    script.write_text(GRAD_SCRIPT)
    code, out, _ = run(capsys, "run", "--check", str(script))
    assert code == 0
    assert "== check of backward #1 ==" in out and "== check of backward #2 ==" in out
    assert "== check of backward #3 ==" not in out
    assert "SinBackward0" in out and "PowBackward0" in out
    code, _, err = run(capsys, "run", "--graph", str(tmp_path / "g"), str(script))
    assert code == 0 and "graph of backward #2" in err and "graph of backward #3" not in err
    assert sorted(p.name for p in (tmp_path / "g").iterdir()) == ["backward_001.html", "backward_002.html"]
