"""The bodies of the ``glassgrad`` commands that explain gradients: ``explain``, ``run --explain/--graph/--check``,
``ops`` and ``parity`` (``cli.py`` holds the argument parser).

``glassgrad explain "(2*x + 3)**2 / 2 + 1" --at x=2`` parses the expression with Python's ``ast`` and
evaluates only a whitelist of node types (numbers, variables, list literals, + - * / ** @, unary minus,
calls of the functions in :data:`FUNCTIONS`): nothing is ever passed to ``eval``.
"""

from __future__ import annotations

import ast
import math
import os
import re
import subprocess
import sys
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

#: functions an expression may call: name -> path under glassgrad
FUNCTIONS = {
    "sin": "sin", "cos": "cos", "tan": "tan", "exp": "exp", "log": "log", "sqrt": "sqrt", "tanh": "tanh",
    "sigmoid": "sigmoid", "relu": "relu", "abs": "abs", "sum": "sum", "mean": "mean", "asin": "asin",
    "acos": "acos", "atan": "atan", "sinh": "sinh", "cosh": "cosh", "log2": "log2", "log10": "log10",
    "log1p": "log1p", "expm1": "expm1", "erf": "erf", "softmax": "softmax", "log_softmax": "log_softmax",
    "max": "max", "min": "min", "prod": "prod", "dot": "dot", "matmul": "matmul", "outer": "outer",
    "gelu": "nn.functional.gelu", "silu": "nn.functional.silu", "softplus": "nn.functional.softplus",
    "norm": "linalg.norm", "square": "square", "rsqrt": "rsqrt", "reciprocal": "reciprocal",
}
CONSTANTS = {"pi": math.pi, "e": math.e}
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.MatMult: "@"}


class ExpressionError(ValueError):
    """An expression that cannot be parsed or uses something outside the whitelist."""


# ---------------------------------------------------------------------------- expressions

def _literal(node: ast.AST) -> Any:
    """A number or a (nested) list of numbers, for tensor literals and --at values."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        v = _literal(node.operand)
        return -v if isinstance(node.op, ast.USub) and not isinstance(v, list) else v
    if isinstance(node, ast.List | ast.Tuple):
        return [_literal(e) for e in node.elts]
    raise ExpressionError(f"not a number or a list of numbers: {ast.unparse(node)}")


def parse_value(text: str) -> Any:
    """``2``, ``-1.5`` or ``[1, 2, 3]`` (nested lists for matrices) — never evaluated as code."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"bad value {text!r}: {exc.msg}") from None
    return _literal(tree.body)


def parse_assignments(items: list[str]) -> dict[str, Any]:
    """``["x=2", "y=[1,2]"]`` (or ``"x=2,y=3"``) -> ``{"x": 2, "y": [1, 2]}``."""
    out: dict[str, Any] = {}
    for item in items:
        for part in re.split(r",(?![^\[]*\])", item):   # commas outside brackets separate assignments
            if not part.strip():
                continue
            name, eq, value = part.partition("=")
            name = name.strip()
            if not eq or not name.isidentifier():
                raise ExpressionError(f"--at expects NAME=VALUE, got {part!r}")
            out[name] = parse_value(value)
    return out


class Evaluator:
    """Evaluates a whitelisted expression tree with glassgrad tensors, naming each intermediate ``t1, t2…``."""

    def __init__(self, variables: dict[str, Any]) -> None:
        import glassgrad
        self.gg = glassgrad
        self.vars = variables
        self.steps: list[tuple[str, str, Any]] = []   # (name, source, tensor)

    def run(self, source: str) -> Any:
        try:
            tree = ast.parse(source.strip(), mode="eval")
        except SyntaxError as exc:
            raise ExpressionError(f"bad expression {source!r}: {exc.msg}") from None
        return self._eval(tree.body)

    def _name(self, node: ast.AST, value: Any) -> Any:
        if isinstance(value, self.gg.Tensor) and value.grad_fn is not None:
            self.steps.append((f"t{len(self.steps) + 1}", ast.unparse(node), value))
        return value

    def _eval(self, node: ast.AST) -> Any:
        gg = self.gg
        if isinstance(node, ast.Constant):
            if isinstance(node.value, int | float) and not isinstance(node.value, bool):
                return node.value
            raise ExpressionError(f"unsupported constant {node.value!r}")
        if isinstance(node, ast.Name):
            if node.id in self.vars:
                return self.vars[node.id]
            if node.id in CONSTANTS:
                return CONSTANTS[node.id]
            raise ExpressionError(f"unknown variable {node.id!r}: give its value with --at {node.id}=VALUE")
        if isinstance(node, ast.List | ast.Tuple):
            return gg.tensor(_literal(node), dtype=gg.float32)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            a, b = self._eval(node.left), self._eval(node.right)
            op = _BINOPS[type(node.op)]
            fn: dict[str, Callable[[Any, Any], Any]] = {
                "+": lambda p, q: p + q, "-": lambda p, q: p - q, "*": lambda p, q: p * q,
                "/": lambda p, q: p / q, "**": lambda p, q: p ** q, "@": lambda p, q: p @ q}
            if not isinstance(a, gg.Tensor) and not isinstance(b, gg.Tensor):
                a = gg.tensor(float(a))
            return self._name(node, fn[op](a, b))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            v = self._eval(node.operand)
            return self._name(node, -v) if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            if name not in FUNCTIONS:
                raise ExpressionError(f"unsupported function {name!r} (supported: {', '.join(sorted(FUNCTIONS))})")
            if node.keywords:
                kw = {k.arg: _literal(k.value) for k in node.keywords if k.arg is not None}
            else:
                kw = {}
            args = [self._eval(a) for a in node.args]
            args = [gg.tensor(float(a)) if i == 0 and not isinstance(a, gg.Tensor) else a for i, a in enumerate(args)]
            target: Any = gg
            for part in FUNCTIONS[name].split("."):
                target = getattr(target, part)
            return self._name(node, target(*args, **kw))
        raise ExpressionError(f"unsupported syntax {type(node).__name__}: {ast.unparse(node)!r} "
                              "(allowed: numbers, variables, lists, + - * / ** @, unary -, function calls)")


def cmd_explain(expr: str, at: list[str], html: str | None = None) -> int:
    """``glassgrad explain EXPR --at x=2``: build the graph, narrate the backward pass, print every partial."""
    import glassgrad as gg

    from .viz.names import Namer
    from .viz.narration import Narrator, fmt_value, held_values
    try:
        values = parse_assignments(at)
        variables = {k: gg.tensor(v, dtype=gg.float32, requires_grad=True) for k, v in values.items()}
        ev = Evaluator(variables)
        out = ev.run(expr)
    except ExpressionError as exc:
        print(f"glassgrad explain: {exc}", file=sys.stderr)
        return 2
    except (RuntimeError, TypeError, IndexError) as exc:
        print(f"glassgrad explain: cannot evaluate {expr!r}: {exc}", file=sys.stderr)
        return 2
    if not isinstance(out, gg.Tensor) or out.grad_fn is None:
        print(f"glassgrad explain: {expr!r} does not depend on any variable given with --at", file=sys.stderr)
        return 2
    f = out if out.numel() == 1 else out.sum()
    names: dict[str, Any] = dict(variables)
    for n, _, t in ev.steps:
        if t is not out or f is not out:
            names[n] = t
    names["f"] = f   # last: the result's own name wins
    if f is not out:
        print(f"f = sum({expr})   (the expression has shape {list(out.shape)}: explaining the gradient of its sum)")
    else:
        print(f"f = {expr}")
    print("at " + ", ".join(f"{k} = {fmt_value(v._data)}" for k, v in variables.items()))
    print("forward:")
    for n, src, t in ev.steps:
        print(f"  {'f' if t is f else n} = {src} = {fmt_value(t._data)}")
    if f is not out:
        print(f"  f = sum(t{len(ev.steps)}) = {fmt_value(f._data)}")
    from .engine import engine as _engine
    from .viz.trace import record
    narrator = Narrator(Namer(names=names), sys.stdout, held_values(None, names))
    _engine.OBSERVERS.append(narrator)
    try:
        with record() as trace:
            f.backward(retain_graph=html is not None)
    finally:
        _engine.OBSERVERS.remove(narrator)
    print("partial derivatives:")
    for k, v in variables.items():
        print(f"  df/d{k} = {fmt_value(None if v.grad is None else v.grad._data)}")
    if html is not None:
        from . import viz
        try:
            viz.to_html(f, html, names=names, trace=trace)
        except (ImportError, AttributeError) as exc:
            print(f"glassgrad explain: cannot write HTML: {exc}", file=sys.stderr)
            return 1
        print(f"wrote {html}")
    return 0


# ---------------------------------------------------------------------------- run --explain / --graph / --check

def cmd_run(script: str, argv: list[str], explain: bool = False, graph: str | None = None,
            check: bool = False) -> int:
    """Run a PyTorch script on glassgrad, narrating, drawing or checking every backward it performs."""
    from . import viz
    from ._torch_shim import run_script
    from .tensor import Tensor
    if not os.path.isfile(script):
        print(f"glassgrad run: no such file: {script}", file=sys.stderr)
        return 2
    if graph is not None:
        os.makedirs(graph, exist_ok=True)
    with ExitStack() as stack:
        if explain:
            stack.enter_context(_observer(_LiveNarrator()))
        if check:
            stack.enter_context(viz.capture())
        wrapped = None
        if graph is not None or check:
            wrapped = _wrapped_backward(Tensor, graph, check)
            stack.enter_context(wrapped)
        try:
            run_script(script, argv)
            if wrapped is not None and wrapped.failed:
                print(f"glassgrad run --check: a backward rule disagrees with finite differences "
                      f"({wrapped.failed} failing node(s))", file=sys.stderr)
                return 1
        except SystemExit as e:
            code = e.code
            return code if isinstance(code, int) else (0 if code is None else 1)
        except BaseException:  # the program's own error: print it as Python would
            import traceback
            etype, value, tb = sys.exc_info()
            while tb is not None and not tb.tb_frame.f_code.co_filename.endswith(os.path.basename(script)):
                tb = tb.tb_next
            traceback.print_exception(etype, value, tb)
            return 1
    return 0


class _LiveNarrator:
    """A narrator that takes names from the frame that called backward, afresh for each walk."""

    def __init__(self) -> None:
        from .viz.names import Namer
        from .viz.narration import Narrator
        self.inner = Narrator(Namer(), sys.stdout)

    def on_start(self, roots: Any, grads: Any) -> None:
        from .viz.names import Namer, caller_frame
        from .viz.narration import held_values, output_names
        frame = caller_frame()
        self.inner.namer = Namer(frame)
        self.inner.values = held_values(frame)
        self.inner.outs = output_names(frame)
        self.inner.on_start(roots, grads)

    def on_node(self, node: Any, upstream: Any, passed: Any) -> None:
        self.inner.on_node(node, upstream, passed)

    def on_accumulate(self, variable: Any, grad: Any) -> None:
        self.inner.on_accumulate(variable, grad)

    def on_end(self) -> None:
        pass


class _observer:
    def __init__(self, ob: Any) -> None:
        self.ob = ob

    def __enter__(self) -> Any:
        from .engine import engine as _engine
        _engine.OBSERVERS.append(self.ob)
        return self.ob

    def __exit__(self, *exc: object) -> None:
        from .engine import engine as _engine
        _engine.OBSERVERS.remove(self.ob)


class _wrapped_backward:
    """The backward entry points replaced, for the run, by ones that check the graph first and/or draw it after.

    ``Tensor.backward`` always; ``autograd.backward`` and ``autograd.grad`` when the script calls them itself
    (glassgrad's own uses — ``Tensor.backward``, gradcheck, forward AD, torch.func — are not separate backward
    calls of the program's).
    """

    def __init__(self, cls: Any, graph_dir: str | None, check: bool) -> None:
        self.cls, self.dir, self.check, self.count, self.failed = cls, graph_dir, check, 0, 0

    def around(self, roots: Any, run: Any) -> Any:
        """Check the graphs of ``roots`` (Tensors), run the backward (``run()``), draw what it did."""
        from . import viz
        self.count += 1
        n = self.count
        roots = [t for t in roots if isinstance(t, self.cls) and t.grad_fn is not None]
        if self.check:
            for root in roots:
                report = viz.check(root)
                self.failed += len(report.failures)
                print(f"== check of backward #{n} ==")
                print(report)
        if self.dir is None:
            return run()
        with viz.record() as trace:
            result = run()
        for k, root in enumerate(roots):
            suffix = "" if len(roots) == 1 else f"_{k}"
            path = os.path.join(self.dir, f"backward_{n:03d}{suffix}.html")
            viz.to_html(root, path, trace=trace)
            print(f"[glassgrad] graph of backward #{n}: {path}", file=sys.stderr)
        return result

    def __enter__(self) -> None:
        from . import autograd
        outer = self
        self.saved = [(self.cls, "backward", self.cls.backward), (autograd, "backward", autograd.backward),
                      (autograd, "grad", autograd.grad)]
        t_backward, a_backward, a_grad = (f for _, _, f in self.saved)

        def from_script() -> bool:
            return not sys._getframe(2).f_globals.get("__name__", "").startswith("glassgrad.")

        def backward(self: Any, gradient: Any = None, retain_graph: Any = None, create_graph: bool = False,
                     inputs: Any = None) -> None:
            return outer.around([self], lambda: t_backward(self, gradient, retain_graph, create_graph, inputs))

        def autograd_backward(tensors: Any, *args: Any, **kwargs: Any) -> Any:
            if not from_script():
                return a_backward(tensors, *args, **kwargs)
            return outer.around(_as_list(tensors), lambda: a_backward(tensors, *args, **kwargs))

        def autograd_grad(outputs: Any, *args: Any, **kwargs: Any) -> Any:
            if not from_script():
                return a_grad(outputs, *args, **kwargs)
            return outer.around(_as_list(outputs), lambda: a_grad(outputs, *args, **kwargs))

        self.cls.backward = backward
        autograd.backward = autograd_backward
        autograd.grad = autograd_grad

    def __exit__(self, *exc: object) -> None:
        for owner, name, original in self.saved:
            setattr(owner, name, original)


def _as_list(tensors: Any) -> list[Any]:
    return list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]


# ---------------------------------------------------------------------------- ops

def cmd_ops(formulas: bool = False) -> int:
    """Print every grad_fn with its forward formula (and, with ``formulas``, the derivative for each input)."""
    from .ops.catalog import _family, _grad_fn_name, node_classes
    rows = [(_family(c), _grad_fn_name(c), c.formula, "; ".join(c.derivatives)) for c in node_classes()]
    w1 = max(len(r[1]) for r in rows)
    fam = None
    for family, name, fwd, ders in rows:
        if family != fam:
            fam = family
            print(f"\n[{family}]")
        line = f"  {name:<{w1}}  {fwd}"
        if formulas:
            line += f"\n  {'':<{w1}}    d: {ders or '—'}"
        print(line)
    print(f"\n{len(rows)} grad_fn classes")
    return 0


# ---------------------------------------------------------------------------- parity

_ADDR = re.compile(r"0x[0-9a-fA-F]+")


def _normalise(text: str) -> list[str]:
    return [_ADDR.sub("0x…", line.rstrip()) for line in text.splitlines()]


def cmd_parity(script: str, argv: list[str], timeout: float = 600) -> int:
    """Run ``script`` with real PyTorch and with glassgrad; report the first difference (exit 1), or none (0)."""
    import importlib.util
    if not os.path.isfile(script):
        print(f"glassgrad parity: no such file: {script}", file=sys.stderr)
        return 2
    if importlib.util.find_spec("torch") is None:
        print("glassgrad parity: PyTorch is not installed in this Python (pip install torch), so there is "
              "nothing to compare with", file=sys.stderr)
        return 2
    env = dict(os.environ, PYTHONHASHSEED="0")
    real = subprocess.run([sys.executable, script, *argv], capture_output=True, text=True, env=env, timeout=timeout)
    ours = subprocess.run([sys.executable, "-m", "glassgrad", "run", script, *argv], capture_output=True, text=True,
                          env=env, timeout=timeout)
    report, code = compare_runs(real, ours)
    print(report)
    return code


def compare_runs(real: Any, ours: Any) -> tuple[str, int]:
    """The first difference between two finished runs (``stdout``, ``stderr``, ``returncode``): (text, exit code)."""
    a, b = _normalise(real.stdout), _normalise(ours.stdout)
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"first difference at stdout line {i + 1}:\n  torch:     {x}\n  glassgrad: {y}", 1
    if len(a) != len(b):
        longer, who = (a, "torch") if len(a) > len(b) else (b, "glassgrad")
        n = min(len(a), len(b))
        return f"stdout: {who} printed {len(longer) - n} more line(s), from line {n + 1}:\n  {who}: {longer[n]}", 1
    ea, eb = _last_error(real.stderr), _last_error(ours.stderr)
    if ea != eb or (real.returncode == 0) != (ours.returncode == 0):
        return ("the programs end differently:\n"
                f"  torch:     exit {real.returncode}{': ' + ea if ea else ''}\n"
                f"  glassgrad: exit {ours.returncode}{': ' + eb if eb else ''}"), 1
    return f"same output: {len(a)} stdout line(s)" + (f", same error: {ea}" if ea else "") + ".", 0


def _last_error(stderr: str) -> str:
    """The exception line of a traceback (``RuntimeError: ...``), or ''."""
    lines = [ln for ln in stderr.strip().splitlines() if ln and not ln.startswith(" ")]
    if not lines or "Traceback" not in stderr:
        return ""
    return _ADDR.sub("0x…", lines[-1])
