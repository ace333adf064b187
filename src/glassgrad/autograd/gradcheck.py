"""``gradcheck`` and ``gradgradcheck``: finite differences against the analytical Jacobian.

The numerical Jacobian of every differentiable output with respect to every
input that requires grad is taken by central differences
``(f(x + eps) - f(x - eps)) / (2 eps)``, one input element at a time; the
analytical Jacobian is built row by row with ``glassgrad.autograd.grad`` (one
one-hot ``grad_output`` per output element), twice, to check reentrancy.  Both
are laid out as PyTorch lays them out: ``(input.numel(), output.numel())``.

Only PyTorch's slow (full-Jacobian) mode is implemented: ``fast_mode=True`` is
accepted and runs the same full check.  Forward-mode AD and batched-grad checks
are not available (``check_batched_grad`` must stay False); ``check_forward_ad`` compares the
Jacobian from forward-mode AD (``autograd.forward_ad``) with the numerical one too.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]

FAILED_NONDET_MSG = """\n
NOTE: If your op relies on non-deterministic operations i.e., it is listed here:
https://pytorch.org/docs/stable/generated/torch.use_deterministic_algorithms.html
this failure might be expected.

If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck.
If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with `nondet_tol=<tol>` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have `gradcheck_nondet_tol=<tol>`.
- is a Module test (e.g., in common_nn.py), then modify the corresponding
  module_test entry to have `gradcheck_nondet_tol=<tol>`
"""


class GradcheckError(RuntimeError):
    """Error raised by :func:`gradcheck` and :func:`gradgradcheck`."""


def _is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor)


def _as_tuple(x: Any) -> tuple[Any, ...]:
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _make(arr: Any) -> Any:
    return Tensor._make(np.asarray(arr))


def _check_inputs(tupled_inputs: tuple[Any, ...]) -> None:
    any_rg = False
    for idx, inp in enumerate(tupled_inputs):
        if _is_tensor(inp) and inp.requires_grad:
            if inp._data.dtype != np.float64 and inp._data.dtype != np.complex128:
                warnings.warn(
                    f"Input #{idx} requires gradient and "
                    "is not a double precision floating point or complex. "
                    "This check will likely fail if all the inputs are "
                    "not of double precision floating point or complex. ",
                    stacklevel=3,
                )
            any_rg = True
    if not any_rg:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, "
            "but none of them have requires_grad=True."
        )


def _differentiable_outputs(x: Any) -> tuple[Any, ...]:
    return tuple(o for o in _as_tuple(x) if o.requires_grad)


def _numerical_jacobian(func: Callable[..., Any], inputs: tuple[Any, ...], eps: float) -> list[list[np.ndarray]]:
    """``jac[j][i]``: the (input j numel, output i numel) central-difference Jacobian."""
    result: list[list[np.ndarray]] = []
    for inp in inputs:
        if not (_is_tensor(inp) and inp.requires_grad):
            continue
        orig = inp._data
        base = np.array(orig, copy=True)
        cols: list[list[np.ndarray]] = []
        try:
            for k in range(base.size):
                vals = []
                for sgn in (1.0, -1.0):
                    pert = base.copy()
                    pert.reshape(-1)[k] = pert.reshape(-1)[k] + sgn * eps
                    inp._data = pert
                    outs = _as_tuple(func(*inputs))
                    vals.append([np.array(o._data, copy=True).reshape(-1) for o in outs])
                # the difference is taken in each output's dtype, as PyTorch takes it
                # (integer outputs are not differentiable: PyTorch leaves them out)
                cols.append([(a - b) / (2 * eps) if a.dtype.kind in "fc" else np.zeros(a.shape)
                             for a, b in zip(vals[0], vals[1])])
        finally:
            inp._data = orig
        outs0 = _as_tuple(func(*inputs)) if not cols else None
        n = len(cols[0]) if cols else len(outs0)
        per_out = []
        for i in range(n):
            if cols:
                per_out.append(np.stack([c[i] for c in cols]))
            else:
                per_out.append(np.zeros((0, outs0[i]._data.size), dtype=outs0[i]._data.dtype))
        result.append(per_out)
    return result


def _analytical_rows(inputs: tuple[Any, ...], output: Any) -> list[np.ndarray]:
    from . import grad as _grad
    diff = [t for t in inputs if _is_tensor(t) and t.requires_grad]
    od = output._data
    jacs = [np.zeros((t._data.size, od.size), dtype=t._data.dtype) for t in diff]
    for k in range(od.size):
        go = np.zeros(od.size, dtype=od.dtype)
        go[k] = 1
        gs = _grad(output, diff, _make(go.reshape(od.shape)), retain_graph=True, allow_unused=True)
        for j, g in enumerate(gs):
            if g is None:
                continue
            if tuple(g.shape) != tuple(diff[j].shape):
                raise GradcheckError("Analytical gradient has incorrect size")
            jacs[j][:, k] = np.asarray(g._data).reshape(-1)
    return jacs


def _analytical_jacobian(inputs: tuple[Any, ...], output: Any, nondet_tol: float) -> list[np.ndarray]:
    j1 = _analytical_rows(inputs, output)
    j2 = _analytical_rows(inputs, output)
    for a, b in zip(j1, j2):
        if a.size and np.max(np.abs(a - b)) > nondet_tol:
            raise GradcheckError(
                "Backward is not reentrant, i.e., running backward with "
                "same input and grad_output multiple times gives different values, "
                "although analytical gradient matches numerical gradient."
                f"The tolerance for nondeterminism was {nondet_tol}." + FAILED_NONDET_MSG
            )
    return j1


def _forward_jacobian(func: Callable[..., Any], inputs: tuple[Any, ...], n_outputs: int) -> list[list[np.ndarray]]:
    """The Jacobian by forward-mode AD: one run with dual inputs per input element (PyTorch's layout:
    [input j][output i], rows = input elements, columns = output elements)."""
    from . import forward_ad as fw
    diff = [k for k, t in enumerate(inputs) if _is_tensor(t) and t.requires_grad]
    result = []
    with fw.dual_level():
        for k in diff:
            x = inputs[k]
            rows: list[list[np.ndarray]] = [[] for _ in range(n_outputs)]
            for e in range(x._data.size):
                basis = np.zeros(x._data.size, dtype=x._data.dtype)
                basis[e] = 1
                args = list(inputs)
                args[k] = fw.make_dual(x.detach(), _make(basis.reshape(x._data.shape)))
                outs = _as_tuple(func(*args))
                for i, o in enumerate(outs[:n_outputs]):
                    tan = fw.unpack_dual(o).tangent
                    rows[i].append(np.zeros(o._data.size) if tan is None else np.asarray(tan._data).reshape(-1))
            result.append([np.stack(r) if r else np.zeros((0, 0)) for r in rows])
    return result


def _check_forward_ad(func: Callable[..., Any], tupled: tuple[Any, ...], numerical: list[Any],
                      func_out: tuple[Any, ...], atol: float, rtol: float) -> None:
    forward = _forward_jacobian(func, tupled, len(func_out))
    for j, (fj, nj) in enumerate(zip(forward, numerical)):
        for i, o in enumerate(func_out):
            if o._data.dtype.kind not in "fc":
                continue
            a, n = fj[i], nj[i]
            if a.size == 0 and n.size == 0:
                continue
            dt = np.promote_types(a.dtype, n.dtype)
            if not np.allclose(a.astype(dt), n.astype(dt), rtol=rtol, atol=atol):
                raise GradcheckError(_mismatch_msg(a, n, i, j, forward=True))


def _mismatch_msg(a: np.ndarray, n: np.ndarray, i: int, j: int, forward: bool = False) -> str:
    mode = "computed with forward mode " if forward else ""
    return (
        f"Jacobian {mode}mismatch for output {i:d} with respect to input {j:d},\n"
        f"numerical:{_make(n)}\nanalytical:{_make(a)}\n"
    )


def _gradcheck_helper(func: Callable[..., Any], inputs: Any, eps: float, atol: float, rtol: float,
                      nondet_tol: float, check_undefined_grad: bool, check_forward_ad: bool = False,
                      check_backward_ad: bool = True) -> bool:
    tupled = _as_tuple(inputs)
    _check_inputs(tupled)
    func_out = _as_tuple(func(*tupled))
    outputs = _differentiable_outputs(func_out)
    numerical = _numerical_jacobian(func, tupled, eps)
    if check_forward_ad:
        _check_forward_ad(func, tupled, numerical, func_out, atol, rtol)
    if not check_backward_ad:
        return True
    if not outputs:
        for per_out in numerical:
            for jac in per_out:
                if np.count_nonzero(jac) > 0:
                    raise GradcheckError("Numerical gradient for function expected to be zero")
        return True
    # numerical[j][i] -> per output i, per input j, keeping outputs that require grad
    by_out = [[numerical[j][i] for j in range(len(numerical))] for i in range(len(func_out))]
    by_out = [nj for o, nj in zip(func_out, by_out) if o.requires_grad]
    for i, o in enumerate(outputs):
        analytical = _analytical_jacobian(tupled, o, nondet_tol)
        for j, (a, n) in enumerate(zip(analytical, by_out[i])):
            dt = np.promote_types(a.dtype, n.dtype)
            if not np.allclose(a.astype(dt), n.astype(dt), rtol=rtol, atol=atol):
                raise GradcheckError(_mismatch_msg(a, n, i, j))
    _test_backward_mul_by_grad_output(outputs, tupled)
    return True


def _test_backward_mul_by_grad_output(outputs: tuple[Any, ...], inputs: tuple[Any, ...]) -> None:
    """Backward with zero ``grad_outputs`` must give zero gradients (PyTorch's check)."""
    from . import grad as _grad
    diff = [t for t in inputs if _is_tensor(t) and t.requires_grad]
    gos = [_make(np.zeros(o._data.shape, dtype=o._data.dtype)) for o in outputs]
    grads = _grad(outputs, diff, gos, allow_unused=True)
    for gi, di in zip(grads, diff):
        if gi is None:
            continue
        if np.any(np.asarray(gi._data) != 0):
            raise GradcheckError("backward not multiplied by grad_output")
        if gi._data.dtype != di._data.dtype:
            raise GradcheckError("grad is incorrect type")
        if tuple(gi.shape) != tuple(di.shape):
            raise GradcheckError("grad is incorrect size")


def gradcheck(
    func: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False,
    check_forward_ad: bool = False,
    check_backward_ad: bool = True,
    fast_mode: bool = False,
    masked: bool | None = None,
) -> bool:
    """Check analytical gradients of ``func`` at ``inputs`` against central finite differences.

    Returns True when every Jacobian matches (``allclose`` with ``rtol``/``atol``);
    otherwise raises :class:`GradcheckError` (PyTorch's "Jacobian mismatch ..." message),
    or returns False when ``raise_exception=False``.  ``fast_mode`` runs the full (slow) check.

    >>> import glassgrad as torch
    >>> x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    >>> torch.autograd.gradcheck(torch.sin, (x,))
    True
    """
    if check_batched_grad or check_batched_forward_grad:
        raise NotImplementedError("glassgrad's gradcheck has no batched (vmap) checks: glassgrad.func.vmap "
                                  "loops over the batch, so they would only repeat the unbatched check")
    args = (func, inputs, eps, atol, rtol, nondet_tol, check_undefined_grad, check_forward_ad, check_backward_ad)
    if not raise_exception:
        try:
            return _gradcheck_helper(*args)
        except GradcheckError:
            return False
    return _gradcheck_helper(*args)


def gradgradcheck(
    func: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False,
    check_rev_over_rev: bool = True,
    fast_mode: bool = False,
    masked: bool = False,
) -> bool:
    """Check second derivatives: gradcheck of ``grad(func(inputs), inputs, grad_outputs, create_graph=True)``.

    Without ``grad_outputs``, random ones in [-1, 1) are drawn (requiring grad, so
    they are checked too), as PyTorch does.
    """
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError("Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True")
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_undefined_grad=True requires check_rev_over_rev to be True")
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_batched_grad=True requires check_rev_over_rev to be True")
    from . import grad as _grad
    tupled_inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outs = _differentiable_outputs(func(*tupled_inputs))
        rng = np.random.default_rng()
        gos = []
        for x in outs:
            dt = x._data.dtype if x._data.dtype.kind in "fc" else np.float64
            g = _make(rng.uniform(-1, 1, size=x._data.shape).astype(dt))
            g.requires_grad_(True)
            gos.append(g)
        tupled_grad_outputs = tuple(gos)
    else:
        tupled_grad_outputs = _as_tuple(grad_outputs)
    num_outputs = len(tupled_grad_outputs)
    diff_in = {i for i, x in enumerate(tupled_inputs) if _is_tensor(x) and x.requires_grad}
    diff_go = {i for i, x in enumerate(tupled_grad_outputs) if x.requires_grad}

    def new_func(*args: Any) -> tuple[Any, ...]:
        input_args = tuple(x.requires_grad_() if i in diff_in else x for i, x in enumerate(args[:-num_outputs]))
        outputs = _differentiable_outputs(func(*input_args))
        gos = tuple(x.requires_grad_() if i in diff_go else x for i, x in enumerate(args[-num_outputs:]))
        diff_args = tuple(x for i, x in enumerate(input_args) if i in diff_in)
        gis = _grad(outputs, diff_args, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gis if g is not None)

    return gradcheck(new_func, tupled_inputs + tupled_grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_undefined_grad=check_undefined_grad, check_grad_dtypes=check_grad_dtypes,
                     check_batched_grad=check_batched_grad, fast_mode=fast_mode,
                     check_forward_ad=check_fwd_over_rev, check_backward_ad=check_rev_over_rev,
                     masked=masked)
