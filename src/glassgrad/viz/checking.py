"""Check every node's backward against central finite differences of its own forward.

A node does not keep its forward (only what its backward needs), so :func:`capture` records, for
each op call made while it is active, the call itself: the function, its arguments (tensor values
copied), the random-number state and the line of the user's code that made it.  :func:`check`
then re-runs each node's call on float64 copies of its inputs and compares, input by input,

* the Jacobian its backward gives (one backward per output element), with
* central differences of the call's forward, ``(f(x + h) - f(x - h)) / 2h``,

and reports per node: the largest error, pass or FAIL, and for a failure the node, its formula and
where it was created.  Large nodes are compared along a few random directions instead of in full
(PyTorch's gradcheck "fast mode").  A node made inside a bigger call (``F.linear`` → mm + add) is
checked as part of that call; a node whose forward was not recorded is reported as not checkable,
never as passing::

    with glassgrad.viz.capture():
        loss = model(x)
    print(glassgrad.viz.check(loss))

or in one go: ``glassgrad.viz.check(lambda: model(x))``.
"""

from __future__ import annotations

import functools
import warnings
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine.node import AccumulateGrad, Node, next_seq
from ..tensor import Tensor
from .names import Namer, caller_frame, graph_nodes

__all__ = ["capture", "check", "CheckReport", "NodeCheck"]

#: Tensor attributes that are not ops (never wrapped while capturing)
_NOT_OPS = {"__init__", "__new__", "__repr__", "__str__", "__format__", "__hash__", "__getattribute__", "__getattr__",
            "__setattr__", "__delattr__", "__del__", "__len__", "__iter__", "__bool__", "__int__", "__float__",
            "__index__", "__complex__", "__array__", "__array_wrap__", "__reduce_ex__", "__deepcopy__", "__copy__",
            "__contains__", "__dir__", "__sizeof__", "__init_subclass__", "__subclasshook__", "__class_getitem__",
            "__setstate__", "__getstate__", "__reduce__", "backward", "register_hook", "item",
            "tolist", "numpy", "size", "dim", "numel", "retain_grad", "requires_grad_", "data_ptr", "storage_offset",
            "stride", "is_contiguous", "element_size", "nelement", "ndimension", "_make"}


#: Tensor properties that are ops (``x.T`` makes a PermuteBackward0)
_OP_PROPERTIES = {"T", "mT", "H", "mH", "real", "imag"}

# ---------------------------------------------------------------------------- capture

@dataclass
class _Call:
    """One recorded op call: enough to run its forward again on other inputs."""

    fn: Callable[..., Any]
    args: tuple[Any, ...]            # tensors replaced by _Slot
    kwargs: dict[str, Any]
    values: list[np.ndarray]         # each tensor argument's value at call time (a copy)
    requires_grad: list[bool]
    where: str | None
    rng: Any
    lo: int = 0                      # sequence numbers of the nodes this call created: (lo, hi]
    hi: int = 0
    label: str = ""                  # how the user called it: "matmul", "Tensor.__matmul__", "Cube.apply"


@dataclass(frozen=True)
class _Slot:
    k: int


class _Capture:
    def __init__(self) -> None:
        self.depth = 0
        self.active = 0
        #: output node -> (call, output index); an entry (and its copied inputs) goes when its node goes
        self.forwards: weakref.WeakKeyDictionary[Node, tuple[_Call, int]] = weakref.WeakKeyDictionary()


_STATE = _Capture()


def _split(obj: Any, values: list[np.ndarray], rgs: list[bool]) -> Any:
    """``obj`` with every Tensor (also inside lists and tuples) replaced by a _Slot; values copied."""
    if isinstance(obj, Tensor):
        values.append(np.array(obj._data, copy=True))
        rgs.append(bool(obj.requires_grad))
        return _Slot(len(values) - 1)
    if type(obj) in (list, tuple):
        return type(obj)(_split(o, values, rgs) for o in obj)
    return obj


def _fill(obj: Any, tensors: list[Any]) -> Any:
    if isinstance(obj, _Slot):
        return tensors[obj.k]
    if type(obj) in (list, tuple):
        return type(obj)(_fill(o, tensors) for o in obj)
    return obj


def _outputs(out: Any) -> list[Tensor | None]:
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, list | tuple):
        return [o if isinstance(o, Tensor) else None for o in out]
    return []


def _recorded(fn: Callable[..., Any], setitem: bool = False, label: str = "") -> Callable[..., Any]:
    """``fn`` wrapped so that an outermost call that makes graph nodes is recorded.

    ``setitem``: ``fn`` is ``Tensor.__setitem__``, whose result is its first argument, changed in place.
    """
    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        st = _STATE
        if st.depth or not st.active:
            return fn(*args, **kwargs)
        from .. import creation
        values: list[np.ndarray] = []
        rgs: list[bool] = []
        a, kw = _split(args, values, rgs), _split(kwargs, values, rgs)
        if not any(rgs):
            return fn(*args, **kwargs)
        frame = caller_frame()
        where = f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else None
        rec = _Call(fn, a, kw, values, rgs, where, creation.get_rng_state(), next_seq(), label=label)
        before = args[0].grad_fn if setitem else None
        st.depth += 1
        try:
            out = fn(*args, **kwargs)
        finally:
            st.depth -= 1
        rec.hi = next_seq()
        if setitem:  # x[i] = v: the result is x itself, with a new grad_fn (CopySlices keeps an old number)
            rec.fn = _setitem_result
            node = args[0].grad_fn
            if node is not None and node is not before and node not in st.forwards:
                st.forwards[node] = (rec, 0)
            return out
        for i, t in enumerate(_outputs(out)):
            node = None if t is None else t.grad_fn
            if node is not None and rec.lo < node._seq < rec.hi and node not in st.forwards:
                st.forwards[node] = (rec, i)
        return out
    return call


def _setitem_result(x: Tensor, key: Any, value: Any) -> Tensor:
    """``x[key] = value`` as a function that returns ``x`` (how a recorded ``__setitem__`` is run again)."""
    Tensor.__setitem__(x, key, value)
    return x


def _targets() -> list[tuple[Any, str]]:
    """(owner, attribute) of every op function a user can call."""
    import glassgrad

    from ..autograd.function import Function
    from ..nn import functional as nnf
    out: list[tuple[Any, str]] = []
    for mod in (glassgrad, nnf, getattr(glassgrad, "linalg", None), getattr(glassgrad, "special", None)):
        if mod is None:
            continue
        for name, v in vars(mod).items():
            if not name.startswith("_") and callable(v) and not isinstance(v, type) and hasattr(v, "__code__"):
                out.append((mod, name))
    for name, v in vars(Tensor).items():
        if name in _NOT_OPS or (name.startswith("_") and not name.startswith("__")):
            continue
        if (callable(v) and hasattr(v, "__code__")) or (name in _OP_PROPERTIES and isinstance(v, property)):
            out.append((Tensor, name))
    out.append((Function, "apply"))
    return out


@contextmanager
def capture() -> Iterator[None]:
    """Record, for each graph node made inside the block, the op call that made it (for :func:`check`)."""
    from ..autograd.function import Function
    st = _STATE
    patched: list[tuple[Any, str, Any]] = []
    if not st.active:
        for owner, name in _targets():
            orig = owner.__dict__[name]
            if owner is Function:
                func = orig.__func__

                def apply(cls: Any, *args: Any, _func: Any = func, **kwargs: Any) -> Any:
                    return _recorded(functools.partial(_func, cls), label=f"{cls.__name__}.apply")(*args, **kwargs)
                new = classmethod(apply)
            elif isinstance(orig, property):
                new = property(_recorded(orig.fget, label=f"Tensor.{name}"))
            else:
                label = f"Tensor.{name}" if owner is Tensor else f"{owner.__name__}.{name}"
                new = _recorded(orig, setitem=name == "__setitem__", label=label)
            patched.append((owner, name, orig))
            setattr(owner, name, new)
    st.active += 1
    try:
        yield
    finally:
        st.active -= 1
        for owner, name, orig in reversed(patched):
            setattr(owner, name, orig)


# ---------------------------------------------------------------------------- the check

@dataclass
class NodeCheck:
    """The result for one node."""

    node: str                       # the grad_fn's name
    name: str                       # the user's name for its result
    formula: str
    where: str | None
    status: str                     # "pass", "FAIL", "inside" (checked with a larger call) or "not checkable"
    max_error: float | None = None
    detail: str = ""

    def line(self) -> str:
        err = "" if self.max_error is None else f"max error {self.max_error:.2e}"
        return f"{self.status:<6} {self.node:<24} {self.formula:<36} {err:<20} {self.detail}".rstrip()


@dataclass
class CheckReport:
    """Per node: pass / FAIL / not checkable, the largest error, and where a failing node was created."""

    results: list[NodeCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no node failed (nodes that could not be checked are listed, not failed)."""
        return not self.failures

    @property
    def failures(self) -> list[NodeCheck]:
        """The nodes whose backward disagrees with finite differences."""
        return [r for r in self.results if r.status == "FAIL"]

    def __str__(self) -> str:
        lines = [r.line() for r in self.results]
        for r in self.failures:
            lines.append(f"FAIL: {r.node} ({r.formula}), created at {r.where or 'an unknown place'}: {r.detail}")
        n_pass = sum(r.status == "pass" for r in self.results)
        lines.append(f"{n_pass} passed, {len(self.failures)} failed, "
                     f"{sum(r.status == 'not checkable' for r in self.results)} not checkable, "
                     f"{sum(r.status == 'inside' for r in self.results)} checked inside a larger call")
        return "\n".join(lines)


def _graph_nodes(root: Node) -> list[Node]:
    """The nodes reachable from ``root`` (AccumulateGrad left out), newest first."""
    seen: dict[Node, None] = {}
    stack = [root]
    while stack:
        n = stack.pop()
        if n in seen or isinstance(n, AccumulateGrad):
            continue
        seen[n] = None
        stack.extend(m for m, _ in n.next_functions if m is not None)
    return sorted(seen, key=lambda n: -n._seq)


def _replay(call: _Call, out_index: int, x: list[np.ndarray], grad: bool) -> tuple[Tensor, list[Tensor]]:
    """Run the recorded call again on float64 ``x`` (one array per tensor argument)."""
    from .. import creation
    from ..autograd.grad_mode import set_grad_enabled
    bases, args = [], []
    for v, rg in zip(x, call.requires_grad):
        t = creation.tensor(v, requires_grad=grad and rg)
        bases.append(t)
        args.append(t.clone() if grad and rg else t)   # a clone: in-place ops must not hit a leaf
    creation.set_rng_state(call.rng)
    with set_grad_enabled(grad), warnings.catch_warnings():
        warnings.simplefilter("ignore")   # the op's own warnings were shown when the user ran it
        out = call.fn(*_fill(call.args, args), **_fill(call.kwargs, args))
    return _outputs(out)[out_index], bases


def _as64(v: np.ndarray) -> np.ndarray:
    return v.astype(np.float64) if v.dtype.kind == "f" else v


def _check_call(call: _Call, out_index: int, eps: float, atol: float, rtol: float,
                full_limit: int) -> tuple[str, float | None, str]:
    """(status, max error, detail) for one recorded call."""
    from ..autograd import grad as autograd_grad
    x0 = [_as64(v) for v in call.values]
    wrt = [k for k, (v, rg) in enumerate(zip(x0, call.requires_grad)) if rg and v.dtype.kind == "f"]
    if not wrt:
        return "not checkable", None, "no floating input needs a gradient"
    rng_state = _rng_state()
    try:
        out, bases = _replay(call, out_index, x0, grad=True)
        if out is None or out.grad_fn is None:
            return "not checkable", None, "the call's output has no grad_fn when run again"
        if out._data.dtype.kind == "c":
            return "not checkable", None, "complex output"
        y0 = np.array(out._data, dtype=np.float64)
        inputs = [bases[k] for k in wrt]
        n_in = sum(x0[k].size for k in wrt)
        full = y0.size <= full_limit and n_in <= full_limit

        def vjp(v: np.ndarray) -> list[np.ndarray]:
            from .. import creation
            gs = autograd_grad(out, inputs, grad_outputs=creation.tensor(v.reshape(y0.shape)),
                               retain_graph=True, allow_unused=True)
            return [np.zeros(x0[k].shape) if g is None else np.asarray(g._data, dtype=np.float64)
                    for g, k in zip(gs, wrt)]

        def f(x: list[np.ndarray]) -> np.ndarray:
            y, _ = _replay(call, out_index, x, grad=False)
            return np.asarray(y._data, dtype=np.float64)

        def dderiv(k: int, u: np.ndarray) -> np.ndarray:
            xp = [v.copy() for v in x0]
            xm = [v.copy() for v in x0]
            xp[k] = x0[k] + eps * u
            xm[k] = x0[k] - eps * u
            return (f(xp) - f(xm)) / (2 * eps)

        worst, where_worst, bad = 0.0, "", False
        if full:
            ana = {k: np.zeros((y0.size, x0[k].size)) for k in wrt}
            for j in range(y0.size):
                e = np.zeros(y0.size)
                e[j] = 1.0
                for k, g in zip(wrt, vjp(e)):
                    ana[k][j] = g.reshape(-1)
            for k in wrt:
                num = np.zeros((y0.size, x0[k].size))
                for i in range(x0[k].size):
                    u = np.zeros(x0[k].size)
                    u[i] = 1.0
                    num[:, i] = dderiv(k, u.reshape(x0[k].shape)).reshape(-1)
                err = np.abs(ana[k] - num)
                if err.size:
                    m = float(err.max())
                    if m > worst:
                        j, i = np.unravel_index(int(err.argmax()), err.shape)
                        worst = m
                        where_worst = (f"input {k}: d out[{j}]/d in[{i}] backward {ana[k][j, i]:.6g}, "
                                       f"finite differences {num[j, i]:.6g}")
                    bad |= bool((err > atol + rtol * np.abs(num)).any())
        else:
            r = np.random.default_rng(0)
            for _ in range(3):
                v = r.standard_normal(y0.size)
                gs = vjp(v)
                for k, g in zip(wrt, gs):
                    u = r.standard_normal(x0[k].shape)
                    a = float((g * u).sum())
                    n = float((v * dderiv(k, u).reshape(-1)).sum())
                    err = abs(a - n)
                    if err > worst:
                        worst = err
                        where_worst = f"input {k}, random direction: backward {a:.6g}, finite differences {n:.6g}"
                    bad |= err > atol + rtol * abs(n)
        detail = where_worst if bad else ("" if full else "(random directions)")
        return ("FAIL" if bad else "pass"), worst, detail
    except Exception as exc:  # noqa: BLE001 - an op that cannot be re-run is reported, not passed
        return "not checkable", None, f"re-running it raised {type(exc).__name__}: {exc}"
    finally:
        _set_rng_state(rng_state)


def _call_name(call: _Call) -> str:
    return f"{call.label or getattr(call.fn, '__name__', 'a call')}()"


def _rng_state() -> Any:
    from .. import creation
    return creation.get_rng_state()


def _set_rng_state(state: Any) -> None:
    from .. import creation
    creation.set_rng_state(state)


def check(loss: Tensor | Callable[..., Tensor], *args: Any, eps: float = 1e-6, atol: float = 1e-5,
          rtol: float = 1e-3, full_limit: int = 64, names: dict[str, Any] | None = None) -> CheckReport:
    """Check each node of ``loss``'s graph: its backward against finite differences of its forward (float64).

    ``loss`` is a Tensor built inside :func:`capture`, or a function (called with ``args``) that builds
    it — then the capture is done here.  Nodes with at most ``full_limit`` input and output elements are
    compared in full, larger ones along random directions.  Returns a :class:`CheckReport`; ``print`` it.
    """
    frame = caller_frame()
    if callable(loss) and not isinstance(loss, Tensor):
        with capture():
            loss = loss(*args)
    if not isinstance(loss, Tensor):
        raise TypeError(f"check() expects a Tensor or a function returning one, got {type(loss).__name__}")
    namer = Namer(frame, names)
    report = CheckReport()
    if loss.grad_fn is None:
        return report
    from .graph import _formulas, input_labels, known_values, node_label, output_names
    from .narration import held_values
    # the same names, numbering and solved numbers as the drawing and the narration
    namer.number([loss.grad_fn])
    graph = _graph_nodes(loss.grad_fn)
    outs = output_names(frame, names)
    known = known_values(graph_nodes([loss.grad_fn]), held_values(frame, names))
    done: dict[int, str] = {}       # id(call) -> its status
    owners = {id(c): (n, i) for n, (c, i) in _STATE.forwards.items()}
    calls = {id(c): c for c, _ in _STATE.forwards.values()}
    inside: list[tuple[NodeCheck, _Call]] = []
    for node in graph:
        formula = _formulas(node, node_label(node, namer, outs), list(input_labels(node, namer, outs, known)))[0]
        entry = _STATE.forwards.get(node)
        if entry is not None:
            call, idx = entry
            status, err, detail = _check_call(call, idx, eps, atol, rtol, full_limit)
            done[id(call)] = status
            report.results.append(NodeCheck(node.name(), namer.node(node), formula, call.where, status, err, detail))
            continue
        outer = next((c for c in calls.values() if c.lo < node._seq < c.hi), None)
        if outer is not None:
            owner = owners[id(outer)][0]
            r = NodeCheck(node.name(), namer.node(node), formula, outer.where, "inside", None,
                          f"checked with the call that made it: {_call_name(outer)} → {owner.name()}")
            report.results.append(r)
            inside.append((r, outer))
            continue
        tb = (node._hooks or {}).get("traceback_")
        where = tb[-1].strip().splitlines()[0] if tb else None
        report.results.append(NodeCheck(node.name(), namer.node(node), formula, where, "not checkable", None,
                                        "its forward was not recorded (build the graph inside glassgrad.viz.capture())"))
    # a node made inside a larger call is checked with that call, and fails with it
    for r, call in inside:
        if id(call) not in done:
            done[id(call)] = _check_call(call, owners[id(call)][1], eps, atol, rtol, full_limit)[0]
        if done[id(call)] == "FAIL":
            r.status = "FAIL"
            r.detail = f"made inside {_call_name(call)}, which fails"
        elif done[id(call)] != "pass":
            r.status = "not checkable"
    return report
