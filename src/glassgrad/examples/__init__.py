"""The founding chapter's programs (``chapter7/``), run on glassgrad and checked against real PyTorch.

Each ``NAME.py`` is a plain PyTorch program; ``NAME.expected`` is what PyTorch 2.13
printed, ``NAME.expected_stderr`` its stderr where non-empty.  A comparison
ignores object addresses (``0x…``) and, on lines listed in a ``# random-lines:``
comment, the numbers themselves (only the structure is compared).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

CHAPTER_DIR = Path(__file__).parent / "chapter7"

_ADDR = re.compile(r"0x[0-9a-fA-F]+")
_NUM = re.compile(r"-?\d+(\.\d+)?(e[-+]?\d+)?")


def programs(names: list[str] | None = None) -> list[Path]:
    """The chapter's programs in reading order (sections, then homework)."""
    files = sorted(CHAPTER_DIR.glob("*.py"), key=lambda p: (not p.name.startswith("s7"), p.name))
    files = [f for f in files if not f.name.startswith("__")]
    if names:
        wanted = {n.removesuffix(".py") for n in names}
        unknown = wanted - {f.stem for f in files}
        if unknown:
            raise SystemExit(f"glassgrad chapter: no program named {', '.join(sorted(unknown))}")
        files = [f for f in files if f.stem in wanted]
    return files


@dataclass
class Result:
    name: str
    stdout: str
    stderr: str
    returncode: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def run_program(path: Path) -> Result:
    """Run one program in a fresh interpreter with glassgrad standing in for torch."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8", PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run(
        [sys.executable, "-m", "glassgrad", "run", str(path)],
        capture_output=True, text=True, encoding="utf-8", env=env, cwd=str(path.parent), timeout=300,
    )
    return Result(path.stem, proc.stdout, proc.stderr, proc.returncode)


def _random_lines(source: str) -> set[int]:
    m = re.search(r"#\s*random-lines:\s*([\d,\s]+)", source)
    return {int(x) for x in re.findall(r"\d+", m.group(1))} if m else set()


def compare(path: Path, result: Result) -> list[str]:
    """Differences between ``result`` and the recorded PyTorch output (empty when they agree)."""
    problems = []
    expected = path.with_suffix(".expected").read_text(encoding="utf-8")
    random_lines = _random_lines(path.read_text(encoding="utf-8"))
    exp_lines = expected.splitlines()
    got_lines = result.stdout.splitlines()
    for i in range(max(len(exp_lines), len(got_lines))):
        e = exp_lines[i] if i < len(exp_lines) else "<missing>"
        g = got_lines[i] if i < len(got_lines) else "<missing>"
        ne, ng = _ADDR.sub("0x…", e), _ADDR.sub("0x…", g)
        if i + 1 in random_lines:
            ne, ng = _NUM.sub("N", ne), _NUM.sub("N", ng)
        if ne != ng:
            problems.append(f"stdout line {i + 1}: expected {e!r}, got {g!r}")
            break
    err_file = path.with_name(path.stem + ".expected_stderr")
    if err_file.exists():
        exp_err = err_file.read_text(encoding="utf-8").replace("<case-dir>", str(path.parent))
        lines = exp_err.splitlines()
        for i, line in enumerate(lines):
            if re.search(r":\d+: \w*Warning: ", line):
                if line not in result.stderr:
                    problems.append(f"stderr: missing warning {line[:100]!r}…")
                elif i + 1 < len(lines) and lines[i + 1] not in result.stderr:
                    problems.append(f"stderr: warning not followed by its source line {lines[i + 1]!r}")
        if "Traceback (most recent call last):" in exp_err:
            got_last = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
            if got_last != lines[-1]:
                problems.append(f"stderr: expected the error {lines[-1]!r}, got {got_last!r}")
            if result.returncode == 0:
                problems.append("expected the program to fail, but it exited with status 0")
    elif result.stderr.strip():
        problems.append(f"unexpected stderr: {result.stderr.strip().splitlines()[-1]!r}")
    if not err_file.exists() and result.returncode != 0:
        problems.append(f"exit status {result.returncode}")
    return problems


def main(check: bool = False, names: list[str] | None = None, verbose: bool = True) -> int:
    """Run the chapter's programs; with ``check``, compare with PyTorch's output. Exit status 1 on a difference."""
    failed = 0
    files = programs(names)
    for path in files:
        res = run_program(path)
        if verbose:
            print(f"===== {path.name} =====")
            print(res.stdout, end="")
            if res.stderr:
                print(res.stderr, end="", file=sys.stdout)
        if check:
            res.problems = compare(path, res)
            status = "matches PyTorch" if res.ok else "DIFFERS: " + "; ".join(res.problems)
            print(f"[{path.stem}] {status}")
            failed += not res.ok
        elif verbose:
            print()
    if check:
        print(f"{len(files) - failed} of {len(files)} chapter programs print exactly what PyTorch 2.13 prints")
    return 1 if failed else 0
