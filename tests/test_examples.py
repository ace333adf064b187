"""The worked examples print the same under glassgrad as under real PyTorch."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ROOT = EXAMPLES.parent


def _run(args: list[str]) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=300, cwd=EXAMPLES)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.parametrize("name", ["legendre_p3.py", "gradcheck_finds_a_bug.py"])
def test_example_matches_pytorch(name: str) -> None:
    got = _run(["-m", "glassgrad", "run", name])
    assert got.strip()
    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch not installed: ran on glassgrad only")
    assert got == _run([name])


def test_gradcheck_example_catches_the_bug() -> None:
    out = _run(["-m", "glassgrad", "run", "gradcheck_finds_a_bug.py"])
    assert "Jacobian mismatch for output 0 with respect to input 0" in out
    assert "fixed backward passes: True" in out
