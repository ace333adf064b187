"""``glassgrad tour``: the founding chapter, section by section, shown, run, drawn, narrated and verified.

For each section (7.2a … 7.7) and each homework item (hw1 … hw5) the tour

1. says what the section teaches (:mod:`glassgrad.tour_sections` holds the texts);
2. shows the program's code (``examples/chapter7/NAME.py``, unchanged PyTorch);
3. runs it in this process with glassgrad standing in for ``torch`` and prints what it printed
   (7.2b fails on purpose, exactly as it does in real PyTorch);
4. compares that with real PyTorch 2.13's recorded output (``NAME.expected``);
5. draws the section's key graph (:func:`glassgrad.viz.draw`'s text form), narrates its backward
   (:func:`glassgrad.viz.explain`) and checks every node against finite differences
   (:func:`glassgrad.viz.check`);
6. verifies the result against the hand derivation, evaluated with plain Python / NumPy, one
   ``✓ verified: …`` line per fact (``✗`` with both numbers when they disagree: exit status 1).

Usage: ``glassgrad tour [--section 7.4] [--step] [--list]``.  Exit status 0 when everything is
verified, 1 when a check fails, 2 for a usage error (an unknown section).
"""

from __future__ import annotations

import argparse
import builtins
import contextlib
import difflib
import importlib
import io
import re
import sys
import time
import traceback
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import CodeType, TracebackType
from typing import Any, TextIO

import numpy as np

from .tour_sections import SECTIONS, Check, Context, Section

#: the output fits a terminal this wide
WIDTH = 100

_ADDR = re.compile(r"0x[0-9a-fA-F]+")


# ---------------------------------------------------------------------------- running a program in-process

def _torch_import(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
    """``__import__`` for the chapter's programs: ``torch`` and ``torch.X`` resolve to glassgrad's modules.

    Unlike the import hook of ``glassgrad run``, this leaves ``sys.modules`` alone, so a real torch loaded
    in the same process (a test's oracle) is not disturbed.
    """
    if level == 0 and (name == "torch" or name.startswith("torch.")):
        module = importlib.import_module("glassgrad" + name[len("torch"):])
        return module if fromlist else importlib.import_module("glassgrad")
    return builtins.__import__(name, globals, locals, fromlist, level)


def _namespace(path: Path) -> dict[str, Any]:
    """Fresh globals for running ``path`` as ``__main__`` with glassgrad as torch."""
    bi = dict(vars(builtins))
    bi["__import__"] = _torch_import
    return {"__name__": "__main__", "__file__": str(path), "__builtins__": bi}


@dataclass
class Run:
    """One run of a chapter program: what it printed, its variables afterwards, and its error if any.

    ``stderr`` is what Python would print (for the comparison with PyTorch); ``shown_stderr`` the same
    with the file named by its base name and the traceback's frames inside glassgrad counted, not listed.
    """

    stdout: str
    stderr: str
    shown_stderr: str
    namespace: dict[str, Any]
    error: BaseException | None


def _program_traceback(path: Path, exc: BaseException) -> tuple[str, str]:
    """The traceback as Python prints it from the program on, and its condensed form for the screen."""
    tb: TracebackType | None = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != str(path):
        tb = tb.tb_next
    full = "".join(traceback.format_exception(type(exc), exc, tb))
    frames = traceback.extract_tb(tb)
    shown = ["Traceback (most recent call last):"]
    inside = 0
    for f in frames:
        if f.filename == str(path):
            shown += [f'  File "{path.name}", line {f.lineno}, in {f.name}', f"    {f.line}"]
        else:
            inside += 1
    if inside:
        shown.append(f"  … {inside} more frame{'s' if inside > 1 else ''} inside glassgrad …")
    shown += [s.rstrip("\n") for s in traceback.format_exception_only(type(exc), exc)]
    return full, "\n".join(shown) + "\n"


def _execute(code: CodeType, ns: dict[str, Any], out: io.StringIO, err: io.StringIO) -> None:
    """Run ``code`` in ``ns`` with stdout/stderr captured and warnings shown as a fresh interpreter shows them."""
    def show(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
        err.write(warnings.formatwarning(message, category, filename, lineno, line))

    with warnings.catch_warnings(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        warnings.simplefilter("default")
        warnings.showwarning = show
        exec(code, ns)  # noqa: S102 - the chapter's own programs, shipped with the package


def run_program(path: Path) -> Run:
    """Run the chapter program at ``path`` in this process with glassgrad standing in for torch."""
    ns = _namespace(path)
    out, err = io.StringIO(), io.StringIO()
    error: BaseException | None = None
    full = shown = ""
    try:
        _execute(compile(path.read_text(encoding="utf-8"), str(path), "exec"), ns, out, err)
    except Exception as e:  # noqa: BLE001 - the program's own error is part of what the tour shows
        error = e
        full, shown = _program_traceback(path, e)
    warned = err.getvalue()
    return Run(out.getvalue(), warned + full, warned.replace(str(path), path.name) + shown, ns, error)


def _prefix(source: str, until: str | None) -> str:
    """The program's lines before the first line that starts with ``until`` (all of it when None)."""
    if until is None:
        return source
    lines = source.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith(until):   # a top-level line
            return "".join(lines[:i])
    raise ValueError(f"tour: no line starting with {until!r} in the program")


def graph_namespace(section: Section, path: Path) -> dict[str, Any]:
    """Build the section's key graph (recorded for :func:`glassgrad.viz.check`); returns its variables."""
    from . import viz
    code = section.graph_code if section.graph_code is not None else _prefix(path.read_text("utf-8"), section.graph_until)
    ns = _namespace(path)
    ns["torch"] = importlib.import_module("glassgrad")
    with viz.capture():
        _execute(compile(code, str(path), "exec"), ns, io.StringIO(), io.StringIO())
    return ns


# ---------------------------------------------------------------------------- output helpers

class _Printer:
    """Writes the tour, keeping every line within :data:`WIDTH` columns."""

    def __init__(self, file: TextIO) -> None:
        self.file = file

    def __call__(self, line: str = "") -> None:
        print(line, file=self.file)

    def wrapped(self, line: str, prefix: str = "", cont: str | None = None) -> None:
        """``line`` after ``prefix``, hard-wrapped (continuation lines start with ``cont``)."""
        cont = prefix if cont is None else cont
        room = WIDTH - len(prefix)
        first = True
        while True:
            head = prefix if first else cont
            room = WIDTH - len(head)
            if len(line) <= room:
                self(head + line)
                return
            self(head + line[:room - 1] + "↩")
            line = line[room - 1:]
            first = False

    def prose(self, line: str, first: str = "", cont: str = "    ") -> None:
        """``line`` wrapped at word boundaries (after ``first``; continuation lines start with ``cont``)."""
        import textwrap
        parts = textwrap.wrap(line, WIDTH, initial_indent=first, subsequent_indent=cont,
                              break_on_hyphens=False) if len(first + line) > WIDTH else [first + line]
        for part in parts:
            self(part.rstrip())

    def fitted(self, line: str, prefix: str = "") -> None:
        """``line`` after ``prefix``, cut with ``…`` at the right margin."""
        text = prefix + line
        self(text if len(text) <= WIDTH else text[:WIDTH - 1] + "…")

    def paragraph(self, text: str, indent: str = "") -> None:
        import textwrap
        for line in textwrap.wrap(text, WIDTH - 4, initial_indent=indent, subsequent_indent=indent):
            self(line)

    def rule(self, title: str) -> None:
        self(f"── {title} " + "─" * max(3, WIDTH - 20 - len(title)))


def _short(v: Any) -> str:
    """A value in a check line: numbers as the chapter writes them, small arrays in full, big ones summarised."""
    from .viz.narration import fmt_value
    if v is None or isinstance(v, bool | str):
        return repr(v) if isinstance(v, str) else str(v)
    if isinstance(v, tuple | list) and v and not all(isinstance(e, int | float | np.number) for e in v):
        return str(v) if len(str(v)) <= 60 else str(v)[:57] + "…]"
    a = np.asarray(v)
    if a.dtype.kind in "iuf":
        return fmt_value(a)
    return str(v)


def check_line(c: Check) -> str:
    """``✓ verified: …`` or ``✗ NOT verified: …`` for one check."""
    hand = _short(c.hand)
    if c.formula and c.formula != hand:
        hand = f"{c.formula} = {hand}"
    if c.numeric and np.size(c.got) > 6 and np.shape(c.got) == np.shape(c.hand):
        g, h = np.asarray(c.got, dtype=np.float64), np.asarray(c.hand, dtype=np.float64)
        facts = f"largest difference {np.max(np.abs(g - h)):.1e}; norm {np.sqrt((h * h).sum()):.6g}"
        verdict = "✓ verified" if c.ok else "✗ NOT verified"
        agree = "agrees with" if c.ok else "DIFFERS from"
        return f"{verdict}: {c.what} {list(g.shape)}: {agree} the hand derivation {c.formula} ({facts})".replace(
            "  ", " ")
    if c.ok:
        if not c.formula and not c.numeric:
            return f"✓ verified: {c.what}: {_short(c.got)}"
        return f"✓ verified: {c.what}: {_short(c.got)}  (by hand: {hand})"
    diff = ""
    if c.numeric:
        g, h = np.asarray(c.got, dtype=np.float64), np.asarray(c.hand, dtype=np.float64)
        if g.shape == h.shape:
            diff = f"; largest difference {np.max(np.abs(g - h)):.3g}"
        else:
            diff = f"; shapes {list(g.shape)} and {list(h.shape)}"
    if not c.formula and not c.numeric:
        return f"✗ NOT verified: {c.what}: got {_short(c.got)}, expected {hand}"
    return f"✗ NOT verified: {c.what}: autograd gives {_short(c.got)}, the hand derivation {hand}{diff}"


# ---------------------------------------------------------------------------- one section

def _compare_with_pytorch(p: _Printer, path: Path, run: Run) -> bool:
    from .examples import Result, _random_lines, compare
    res = Result(path.stem, run.stdout, run.stderr, 1 if run.error is not None else 0)
    problems = compare(path, res)
    if not problems:
        n = len(run.stdout.splitlines())
        extra = []
        if path.with_name(path.stem + ".expected_stderr").exists():
            extra.append("the same warning and the same error on stderr")
        random_lines = sorted(_random_lines(path.read_text("utf-8")))
        if random_lines:
            extra.append(f"line {', '.join(map(str, random_lines))} prints random values: compared by form")
        extra.append("object addresses aside")
        p.prose(f"✓ matches PyTorch: all {n} lines of PyTorch 2.13's recorded output ({'; '.join(extra)})")
        return True
    for problem in problems:
        p.prose(f"✗ differs from PyTorch: {problem}")
    expected = path.with_suffix(".expected").read_text("utf-8").splitlines()
    diff = list(difflib.unified_diff([_ADDR.sub("0x…", s) for s in expected],
                                     [_ADDR.sub("0x…", s) for s in run.stdout.splitlines()],
                                     "PyTorch 2.13", "glassgrad", lineterm="", n=1))
    for line in diff[:24]:
        p.fitted(line, "    ")
    return False


def _tensors(ns: dict[str, Any]) -> dict[str, Any]:
    """The program's tensors by name, with each module's parameters as ``W_q.weight`` (for the pictures)."""
    from .nn import Module
    from .tensor import Tensor
    out = {k: v for k, v in ns.items() if isinstance(v, Tensor) and not k.startswith("_")}
    for v in list(ns.values()):
        if isinstance(v, Module):
            out.update({n: p for n, p in v.named_parameters() if n not in out})
    return out


def _draw(p: _Printer, root: Any, names: dict[str, Any]) -> None:
    from . import viz
    graph = viz.build_graph(root, names=names)
    text = graph.text()
    for narrower in ({"values": False}, {"values": False, "max_width": 34}):
        if max(len(s) for s in text.splitlines()) + 2 <= WIDTH:
            break
        text = graph.text(**narrower)
    for line in text.splitlines():
        p.fitted(line, "  ")


def _narrate(p: _Printer, root: Any, names: dict[str, Any], limit: int) -> None:
    from . import viz
    buf = io.StringIO()
    viz.explain(root, names=names, file=buf)
    lines = buf.getvalue().splitlines()
    if len(lines) > limit:
        keep_tail = 6
        left_out = len(lines) - (limit - keep_tail)
        lines = lines[:limit - keep_tail] + [f"      … {left_out - keep_tail} lines of the narration left out …"] \
            + lines[-keep_tail:]
    for line in lines:
        p.fitted(line, "  ")


def _finite_differences(root: Any, names: dict[str, Any]) -> tuple[bool, str]:
    from . import viz
    report = viz.check(root, names=names)
    passed = [r for r in report.results if r.status == "pass"]
    inner = sum(r.status.startswith("part of") for r in report.results)
    unchecked = [r for r in report.results if r.status == "not checkable"]
    if not report.ok:
        bad = "; ".join(f"{r.node} ({r.formula}): max error {r.max_error:.3g}" for r in report.failures)
        return False, f"✗ NOT verified: finite differences disagree with backward at {bad}"
    worst = max((r.max_error or 0.0 for r in passed), default=0.0)
    counts = f"{len(passed)} node{'' if len(passed) == 1 else 's'}"
    counts += f", {inner} more inside them" if inner else ""
    counts += f", {len(unchecked)} not checkable" if unchecked else ""
    return True, (f"✓ verified: each node's backward agrees with finite differences of its forward "
                  f"({counts}; largest error {worst:.1e})")


def run_section(section: Section, file: TextIO | None = None) -> bool:
    """Show, run, compare, draw, narrate and verify one section; True when every check passed."""
    from .examples import CHAPTER_DIR
    p = _Printer(file if file is not None else sys.stdout)
    path = CHAPTER_DIR / f"{section.program}.py"
    p("═" * WIDTH)
    head = f" {section.key}  {section.title}"
    p(head + f"({path.name})".rjust(WIDTH - len(head)))
    p("═" * WIDTH)
    p.paragraph(section.text)
    p()
    p.rule(f"the code: {path.name}")
    for i, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        p.wrapped(line, f"{i:4d} │ ", "     ┆ ")
    p.rule("its output, with glassgrad standing in for torch")
    gg = importlib.import_module("glassgrad")
    rng = gg.get_rng_state()
    run = run_program(path)
    for line in run.stdout.splitlines():
        p.wrapped(line, "  │ ", "  ┆ ")
    for line in run.shown_stderr.splitlines():
        p.prose(line, "  ! ", "  !     ")
    ok = True
    if run.error is not None and section.fails_on_purpose is None:
        p(f"✗ the program raised {type(run.error).__name__}: {run.error}")
        ok = False
    elif run.error is not None:
        p.paragraph(f"(as in real PyTorch, the program stops with {type(run.error).__name__}: "
                    f"{section.fails_on_purpose})", "  ")
    p.rule("compared with real PyTorch 2.13")
    ok &= _compare_with_pytorch(p, path, run)
    graph_ns: dict[str, Any] = {}
    checks: list[str] = []
    if section.root is not None:
        gg.set_rng_state(rng)   # the graph is built from the same random numbers as the run (7.7 is unseeded)
        graph_ns = graph_namespace(section, path)
        names = _tensors(graph_ns)
        root = graph_ns[section.root]
        p.rule(f"the graph of {section.root}")
        _draw(p, root, names)
        if root.requires_grad:
            if section.finite_differences:
                good, line = _finite_differences(root, names)
                ok &= good
                checks.append(line)
            p.rule(f"backward from {section.root}, step by step")
            _narrate(p, root, names, section.narration_lines)
            for code, more_root in section.more:
                p()
                for line in code.splitlines():
                    p(f"  >>> {line}")
                exec(code, graph_ns)  # noqa: S102 - the section's own short step
                _narrate(p, graph_ns[more_root], _tensors(graph_ns), section.narration_lines)
    p.rule("verified: finite differences and the hand derivation")
    for line in checks:
        p.prose(line)
    for item in section.verify(Context(run.namespace, graph_ns, run.stdout, run.error, gg)):
        if isinstance(item, Check):
            p.prose(check_line(item))
            ok &= item.ok
        else:
            p.wrapped(item, "  ", "    ")
    p()
    return ok


# ---------------------------------------------------------------------------- choosing sections

def find_sections(names: Sequence[str] | None) -> list[Section]:
    """The sections named (``7.4``, ``s7_4``, ``s7_4_graph``, ``7.2`` for both 7.2a and 7.2b, ``hw3``…).

    Raises ValueError naming the unknown ones.
    """
    if not names:
        return list(SECTIONS)
    chosen: list[Section] = []
    unknown = []
    for raw in names:
        n = raw.strip().lower().removesuffix(".py")
        m = re.fullmatch(r"s?(\d+)[._](\d+)([a-z]?)(_\w*)?", n)
        h = re.fullmatch(r"(hw\d+)(_\w*)?", n)
        hits = []
        for s in SECTIONS:
            if n in (s.key, s.program):
                hits.append(s)
            elif m and (s.key == f"{m[1]}.{m[2]}{m[3]}" or (not m[3] and s.key.rstrip("abc") == f"{m[1]}.{m[2]}")):
                hits.append(s)
            elif h and s.key == h[1]:
                hits.append(s)
        if not hits:
            unknown.append(raw)
        chosen += [s for s in hits if s not in chosen]
    if unknown:
        raise ValueError(f"no section named {', '.join(repr(u) for u in unknown)}; "
                         f"the sections are {', '.join(s.key for s in SECTIONS)} (see glassgrad tour --list)")
    return sorted(chosen, key=SECTIONS.index)


def list_sections(file: TextIO | None = None) -> None:
    """Print one line per section: its key, title and program."""
    for s in SECTIONS:
        print(f"{s.key:<5} {s.title:<58} {s.program}.py", file=file if file is not None else sys.stdout)


def run_tour(names: Sequence[str] | None = None, step: bool = False, file: TextIO | None = None) -> int:
    """Walk the chosen sections (all by default); 0 when everything is verified, 1 otherwise."""
    out = file if file is not None else sys.stdout
    sections = find_sections(names)
    start = time.perf_counter()
    failed: list[str] = []
    if len(sections) > 1:
        _Printer(out).paragraph(
            "glassgrad tour: chapter 7 of the course, \"Autograd — the soul of PyTorch\", section by section. "
            "Each program is the chapter's PyTorch code, unchanged, run here with glassgrad standing in for torch; "
            "its output is compared with what real PyTorch 2.13 printed, its graph is drawn, its backward is "
            "narrated step by step, and its result is checked against finite differences and against the "
            "derivation by hand.")
        print(file=out)
    for i, section in enumerate(sections):
        try:
            ok = run_section(section, out)
        except Exception:  # noqa: BLE001 - a broken section is reported, the tour goes on
            print(f"✗ the tour of {section.key} itself failed:", file=out)
            print(traceback.format_exc(limit=-4), file=out)
            ok = False
        if not ok:
            failed.append(section.key)
        if step and i + 1 < len(sections) and sys.stdin is not None and sys.stdin.isatty():
            answer = input(f"── {section.key} done; press Enter for {sections[i + 1].key} (q to stop) ── ")
            if answer.strip().lower() == "q":
                break
    took = time.perf_counter() - start
    if failed:
        print(f"✗ tour: {len(failed)} of {len(sections)} sections NOT verified: {', '.join(failed)} "
              f"({took:.1f} s)", file=out)
        return 1
    what = f"all {len(sections)} sections" if len(sections) > 1 else f"section {sections[0].key}"
    print(f"✓ tour: {what} shown, run, compared with PyTorch and verified ({took:.1f} s)", file=out)
    return 0


# ---------------------------------------------------------------------------- command line

def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--section", action="append", metavar="NAME",
                   help="only this section: 7.4, s7_4, 7.2 (both parts), hw3 ... (repeatable)")
    p.add_argument("--step", action="store_true", help="pause for Enter between sections (when on a terminal)")
    p.add_argument("--list", action="store_true", help="list the sections and exit")
    p.set_defaults(func=_cmd_tour)


def _cmd_tour(args: argparse.Namespace) -> int:
    if args.list:
        list_sections()
        return 0
    try:
        find_sections(args.section)
    except ValueError as e:
        print(f"glassgrad tour: {e}", file=sys.stderr)
        return 2
    return run_tour(args.section, step=args.step)


_DESCRIPTION = ("Walk the founding chapter section by section: show each program's code, run it on "
                "glassgrad, compare its output with real PyTorch 2.13's, draw its graph, narrate its backward "
                "and verify the result against the hand derivation; then the five homework exercises.")


def add_tour_parser(subparsers: Any) -> None:
    """Add the ``tour`` subcommand (with its options and ``func``) to ``glassgrad``'s subparsers."""
    p = subparsers.add_parser("tour", help="walk the founding chapter: code, output, graph, backward, verified",
                              description=_DESCRIPTION)
    _add_arguments(p)


def main(argv: Sequence[str] | None = None) -> int:
    """``glassgrad tour`` as a function: returns the exit status (2 for a usage error)."""
    parser = argparse.ArgumentParser(prog="glassgrad tour", description=_DESCRIPTION)
    _add_arguments(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 2
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
