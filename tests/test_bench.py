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
    for wl in ("| W1 |", "| W2 (per op) |", "| W3 |", "| W4 |", "W5", "| W6-digits |", "| W6-charlm |"):
        assert wl in out, out
    # every system agreed with PyTorch and ran: the only note is W6's standing one (no floor, peers n/a)
    assert "see notes" not in out, out
    notes = out.split("## Notes\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(notes) == 1 and notes[0].startswith("- W6: "), notes
    w6_digits = next(line for line in out.splitlines() if line.startswith("| W6-digits |"))
    assert w6_digits.split(" | ")[2] == "n/a", w6_digits  # the floor column: no floor for W6
