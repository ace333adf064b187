"""The benchmark script runs (tiny sizes, no timing asserted: shared machines are too noisy for that)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bench_runs_on_a_tiny_size() -> None:
    systems = "glassgrad,floor" + (",torch" if importlib.util.find_spec("torch") else "")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--tiny", "--no-write", "--no-single-thread",
                        "--systems", systems], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    out = r.stdout
    for wl in ("| W1 |", "| W2 (per op) |", "| W3 |", "| W4 |", "W5"):
        assert wl in out, out
    assert "see notes" not in out and "## Notes" not in out, out  # every system agreed with PyTorch and ran
