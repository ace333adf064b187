"""The founding chapter's programs print exactly what real PyTorch 2.13 printed (the contract)."""

from __future__ import annotations

import pytest

from glassgrad import examples

PROGRAMS = examples.programs()


def test_all_programs_are_present() -> None:
    names = {p.stem for p in PROGRAMS}
    assert len(PROGRAMS) == 14
    assert {"s7_2b_leaf_nodes", "s7_4_graph", "hw5_attention_grad_shapes"} <= names
    for p in PROGRAMS:
        assert p.with_suffix(".expected").exists()


@pytest.mark.parametrize("path", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_program_matches_pytorch(path) -> None:
    result = examples.run_program(path)
    problems = examples.compare(path, result)
    assert not problems, f"{path.name}:\n" + "\n".join(problems) + f"\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def test_leaf_example_fails_like_pytorch() -> None:
    """Section 7.2b frees y's graph in z.backward(); z2.backward() must fail with PyTorch's message."""
    path = next(p for p in PROGRAMS if p.stem == "s7_2b_leaf_nodes")
    result = examples.run_program(path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("RuntimeError: Trying to backward through the graph a second time")
    assert "UserWarning: The .grad attribute of a Tensor that is not a leaf Tensor is being accessed." in result.stderr
    assert "y.grad (retained)" not in result.stdout


def test_comparer_catches_a_difference(tmp_path) -> None:
    """The comparison is not vacuous: a wrong value is reported."""
    src = next(p for p in PROGRAMS if p.stem == "s7_3a_scalar_grad")
    prog = tmp_path / src.name
    prog.write_text(src.read_text().replace("x ** 2", "x ** 3"))
    (tmp_path / (src.stem + ".expected")).write_text(src.with_suffix(".expected").read_text())
    result = examples.run_program(prog)
    assert examples.compare(prog, result)


def test_cli_run_missing_file(capsys) -> None:
    from glassgrad.cli import main
    assert main(["run", "/nonexistent/script.py"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_unsupported_torch_submodule_is_named(tmp_path) -> None:
    import subprocess
    import sys
    prog = tmp_path / "p.py"
    prog.write_text("import torch.distributions\n")
    r = subprocess.run([sys.executable, "-m", "glassgrad", "run", str(prog)], capture_output=True, text=True)
    assert r.returncode == 1
    assert "torch.distributions" in r.stderr and "glassgrad" in r.stderr
