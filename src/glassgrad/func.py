"""``glassgrad.func`` (torch.func): function transforms built on ``glassgrad.autograd.grad``.

There is no functorch-style level machinery here.  Every transform runs the
function on private copies of its inputs that require grad (a detached copy
for a tensor that does not require grad, a differentiable alias of one that
does, so outer transforms and ordinary autograd still see through it) and asks
``glassgrad.autograd.grad`` for the gradients.  While a transform runs, inner
transforms record their backward passes (``create_graph=True``), which is what
makes ``grad(grad(f))``, ``jacfwd(jacrev(f))`` and friends work.

* ``jvp`` and ``jacfwd`` are computed in reverse mode (``jvp`` with the
  double-vjp trick), so they give forward-mode values without forward-mode AD.
* ``vmap`` loops over the batch and stacks the results.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .autograd import grad as _ag_grad
from .autograd.grad_mode import STATE, enable_grad
from .tensor import Tensor as _Tensor

__all__ = [
    "grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap", "functional_call",
]

_DEPTH = [0]  # how many transforms are running now


def _is_tensor(x: Any) -> bool:
    return isinstance(x, _Tensor)


# ---------------------------------------------------------------- pytrees (tuple, list, dict)
def _flatten(tree: Any) -> tuple[list[Any], Any]:
    if isinstance(tree, (tuple, list)):
        leaves: list[Any] = []
        specs = []
        for t in tree:
            lv, s = _flatten(t)
            leaves.extend(lv)
            specs.append((len(lv), s))
        return leaves, (type(tree), specs)
    if isinstance(tree, dict):
        leaves = []
        specs = []
        keys = list(tree)
        for k in keys:
            lv, s = _flatten(tree[k])
            leaves.extend(lv)
            specs.append((len(lv), s))
        return leaves, (dict, (keys, specs))
    return [tree], None


def _unflatten(leaves: list[Any], spec: Any) -> Any:
    if spec is None:
        return leaves[0]
    kind, specs = spec
    if kind is dict:
        keys, subs = specs
        out = {}
        i = 0
        for k, (n, s) in zip(keys, subs):
            out[k] = _unflatten(leaves[i:i + n], s)
            i += n
        return out
    items = []
    i = 0
    for n, s in specs:
        items.append(_unflatten(leaves[i:i + n], s))
        i += n
    if kind is tuple or kind is list:
        return kind(items)
    return kind(*items)  # namedtuple


def _tree_map(fn: Callable[[Any], Any], tree: Any) -> Any:
    leaves, spec = _flatten(tree)
    return _unflatten([fn(x) for x in leaves], spec)


# ---------------------------------------------------------------- helpers
def _needs_graph(tensors: list[Any]) -> bool:
    """Record the backward pass when nested in a transform or when a caller's input requires grad."""
    if not STATE.grad_enabled:
        return False
    return _DEPTH[0] > 0 or any(_is_tensor(t) and t.requires_grad for t in tensors)


def _wrap_input(x: Any) -> Any:
    if not _is_tensor(x):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
    if x.requires_grad and STATE.grad_enabled:
        return x.view_as(x)
    return x.detach().requires_grad_()


def _check_argnums(argnums: Any, n: int) -> tuple[int, ...]:
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    if isinstance(argnums, tuple) and not argnums:
        raise RuntimeError("argnums must be non-empty")
    out = []
    for a in nums:
        if not isinstance(a, int):
            raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
        if not -n <= a < n:
            raise RuntimeError(f"Got argnum={a}, but only {n} positional inputs")
        out.append(a % n)
    if len(set(out)) != len(out):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return tuple(out)


def _grads(outputs: list[Any], inputs: list[Any], grad_outputs: list[Any] | None, create_graph: bool) -> list[Any]:
    """Gradients of ``outputs`` w.r.t. ``inputs`` (zeros where unused), as Tensors."""
    outs = []
    gos = []
    for i, o in enumerate(outputs):
        if o.requires_grad:
            outs.append(o)
            if grad_outputs is not None:
                gos.append(grad_outputs[i])
    if not outs:
        return [_zeros_like(x) for x in inputs]
    res = _ag_grad(outs, inputs, gos if grad_outputs is not None else None, retain_graph=True,
                   create_graph=create_graph, allow_unused=True)
    return [_zeros_like(x) if g is None else g for g, x in zip(res, inputs)]


def _zeros_like(x: Any) -> Any:
    from . import zeros_like
    return zeros_like(x).detach()


def _call(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a transformed function: grad mode is on inside (as in torch.func), restored afterwards."""
    _DEPTH[0] += 1
    try:
        with enable_grad():
            return func(*args, **kwargs)
    finally:
        _DEPTH[0] -= 1


# ---------------------------------------------------------------- grad
def grad_and_value(func: Callable[..., Any], argnums: Any = 0, has_aux: bool = False) -> Callable[..., Any]:
    """Like :func:`grad`, but returns ``(gradient, value)`` (``((gradient, value), aux)`` with ``has_aux``)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nums = _check_argnums(argnums, len(args))
        create = _needs_graph(list(args)) or _needs_graph(_flatten([args[i] for i in nums])[0])
        args = list(args)
        diff_trees = []
        for i in nums:
            wrapped = _tree_map(_wrap_input, args[i])
            args[i] = wrapped
            diff_trees.append(wrapped)
        out, aux = _split_aux(_call(func, *args, **kwargs), has_aux, "grad_and_value(f)(*args)")
        if not _is_tensor(out):
            raise RuntimeError(
                f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got {type(out)}"
            )
        if out.dim() != 0:
            raise RuntimeError(
                f"grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor with "
                f"{out.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs instead?"
            )
        flat_in, spec = _flatten(tuple(diff_trees))
        gs = _grads([out], flat_in, None, create)
        gtrees = _unflatten(gs, spec)
        g = gtrees if isinstance(argnums, tuple) else gtrees[0]
        value = out if create else out.detach()
        if has_aux:
            if not create:
                aux = _tree_map(lambda t: t.detach() if _is_tensor(t) else t, aux)
            return (g, value), aux
        return g, value

    return wrapper


def grad(func: Callable[..., Any], argnums: Any = 0, has_aux: bool = False) -> Callable[..., Any]:
    """Return a function computing the gradient of scalar ``func`` w.r.t. the ``argnums`` inputs.

    ``argnums`` is an int (one gradient) or a tuple (a tuple of gradients);
    with ``has_aux`` ``func`` returns ``(output, aux)`` and the result is
    ``(gradient, aux)``.  Nests: ``grad(grad(f))`` is the second derivative.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        res = grad_and_value(func, argnums, has_aux)(*args, **kwargs)
        if has_aux:
            (g, _), aux = res
            return g, aux
        return res[0]

    return wrapper


# ---------------------------------------------------------------- vjp / jvp
def _split_aux(out: Any, has_aux: bool, where: str) -> tuple[Any, Any]:
    """``(output, aux)`` of a transformed function's result (aux None without ``has_aux``), PyTorch's error else."""
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{where}: output of function f should be a tuple: (output, aux) if has_aux is True")
    return out[0], out[1]


def _only_tensors(flat_out: list[Any]) -> None:
    for o in flat_out:
        if not _is_tensor(o):
            raise RuntimeError(
                f"vjp(f, *primals): expected f(*primals) to return only tensors, got unsupported type {type(o)}"
            )


def vjp(func: Callable[..., Any], *primals: Any, has_aux: bool = False) -> Any:
    """Run ``func(*primals)``; return ``(output, vjp_fn)`` (``(output, vjp_fn, aux)`` with ``has_aux``).

    ``vjp_fn(cotangents)`` takes cotangents shaped like the output and returns a
    tuple with one vector-Jacobian product per primal; it may be called many times.
    """
    create = _needs_graph(_flatten(list(primals))[0])
    wrapped = [_tree_map(_wrap_input, p) for p in primals]
    out = _call(func, *wrapped)
    out, aux = _split_aux(out, has_aux, "vjp(f, *primals)")
    flat_out, out_spec = _flatten(out)
    _only_tensors(flat_out)
    flat_in, in_spec = _flatten(wrapped)

    def vjp_fn(*cotangents: Any) -> tuple[Any, ...]:
        ct = cotangents[0] if len(cotangents) == 1 else cotangents
        flat_ct, _ = _flatten(ct)
        if len(flat_ct) != len(flat_out):
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure of outputs to "
                "the function."
            )
        for c in flat_ct:
            if not _is_tensor(c):
                raise RuntimeError(f"Expected tensors, got unsupported type {type(c)}")
        inner = create or _needs_graph(flat_ct)
        gs = _grads(flat_out, flat_in, flat_ct, inner)
        return tuple(_unflatten(gs, in_spec))

    ret_out = out if create else _tree_map(lambda t: t.detach(), out)
    if has_aux:
        if not create:
            aux = _tree_map(lambda t: t.detach() if _is_tensor(t) else t, aux)
        return ret_out, vjp_fn, aux
    return ret_out, vjp_fn


def jvp(func: Callable[..., Any], primals: Any, tangents: Any, *, strict: bool = False,
        has_aux: bool = False) -> Any:
    """Return ``(func(*primals), J @ tangents)``.

    Computed in reverse mode with the double-vjp trick: ``g(u) = vjp(u)`` is
    linear in the cotangent ``u``, and the vjp of ``g`` with ``tangents`` is
    the Jacobian-vector product.
    """
    if not isinstance(primals, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be valid "
                           "to call f(*primals).")
    if not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected tangents to be a tuple. E.g. it should be valid "
                           "to call f(*primals).")
    flat_p, _ = _flatten(list(primals))
    flat_t, _ = _flatten(list(tangents))
    if len(flat_p) != len(flat_t):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the same python "
                           "structure.")
    for p, t in zip(flat_p, flat_t):
        if tuple(p.shape) != tuple(t.shape):
            raise RuntimeError(
                "Trying to set a forward gradient that has a different size than that of the original Tensor, "
                f"this is not supported. Tensor is of size {list(p.shape)} while the given forward gradient is "
                f"of size {list(t.shape)}."
            )
    create = _needs_graph(flat_p + flat_t)
    wrapped = [_tree_map(_wrap_input, p) for p in primals]
    out = _call(func, *wrapped)
    aux = None
    if has_aux:
        out, aux = out
    flat_out, out_spec = _flatten(out)
    flat_in, _ = _flatten(wrapped)
    us = [_zeros_like(o).requires_grad_() for o in flat_out]
    g = _grads(flat_out, flat_in, us, True)
    tang = [t if t.dtype == x.dtype else t.to(x.dtype) for t, x in zip(flat_t, flat_in)]
    jv = _grads(g, us, tang, create)
    out_res = out if create else _tree_map(lambda t: t.detach(), out)
    jv_res = _unflatten(jv if create else [j.detach() for j in jv], out_spec)
    if has_aux:
        return out_res, jv_res, aux
    return out_res, jv_res


# ---------------------------------------------------------------- Jacobians
def _jac(func: Callable[..., Any], argnums: Any, has_aux: bool, name: str) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        from . import stack
        nums = _check_argnums(argnums, len(args))
        create = _needs_graph(_flatten(list(args))[0])
        args = list(args)
        diff = []
        for i in nums:
            args[i] = _tree_map(_wrap_input, args[i])
            diff.append(args[i])
        out = _call(func, *args)
        out, aux = _split_aux(out, has_aux, f"{name}(f, ...)(*args)")
        flat_out, out_spec = _flatten(out)
        _only_tensors(flat_out)
        flat_in, in_spec = _flatten(tuple(diff))
        per_out = []
        with enable_grad():  # the reshapes/stacks must be recorded for nested transforms
            for o in flat_out:
                n = o.numel()
                oshape = tuple(o.shape)
                rows: list[list[Any]] = [[] for _ in flat_in]
                flat_o = o.reshape(-1)
                for k in range(n):
                    from . import zeros
                    e = zeros(n, dtype=o.dtype)
                    e._data[k] = 1
                    gs = _grads([flat_o], flat_in, [e], create)
                    for j, gj in enumerate(gs):
                        rows[j].append(gj)
                jacs = []
                for j, x in enumerate(flat_in):
                    xshape = tuple(x.shape)
                    if n == 0:
                        from . import zeros
                        jj = zeros(oshape + xshape, dtype=x.dtype)
                    else:
                        jj = stack(rows[j], 0).reshape(oshape + xshape)
                    jacs.append(jj if create else jj.detach())
                trees = _unflatten(jacs, in_spec)
                per_out.append(trees if isinstance(argnums, tuple) else trees[0])
        res = _unflatten(per_out, out_spec)
        if has_aux:
            if not create:
                aux = _tree_map(lambda t: t.detach() if _is_tensor(t) else t, aux)
            return res, aux
        return res

    return wrapper


def jacrev(func: Callable[..., Any], argnums: Any = 0, *, has_aux: bool = False, chunk_size: Any = None,
           _preallocate_and_copy: bool = False) -> Callable[..., Any]:
    """Jacobian of ``func`` w.r.t. the ``argnums`` inputs, one vjp per output element.

    For an output of shape ``O`` and input of shape ``I`` the Jacobian has shape
    ``O + I``; tuple ``argnums`` give tuples, tuple/dict outputs give the same
    structure of Jacobians.
    """
    return _jac(func, argnums, has_aux, "jacrev")


def jacfwd(func: Callable[..., Any], argnums: Any = 0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable[..., Any]:
    """Jacobian of ``func``, same results as torch's forward-mode ``jacfwd``.

    Computed in reverse mode here (row by row with vjps), so the values and
    structure are those of forward mode but not the cost profile.
    """
    return _jac(func, argnums, has_aux, "jacfwd")


def hessian(func: Callable[..., Any], argnums: Any = 0) -> Callable[..., Any]:
    """Hessian of ``func``: ``jacfwd(jacrev(func, argnums), argnums)`` (both in reverse mode here)."""
    return jacfwd(jacrev(func, argnums), argnums)


# ---------------------------------------------------------------- vmap
def _fname(func: Any) -> str:
    return getattr(func, "__name__", repr(func))


def vmap(func: Callable[..., Any], in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: Any = None) -> Callable[..., Any]:
    """Vectorise ``func`` over a batch dimension of its inputs.

    This implementation loops over the batch: it calls ``func`` once per
    example on ``x.select(in_dim, i)`` slices (``None`` in ``in_dims`` passes
    an input unchanged) and stacks each output along its ``out_dims``, so the
    results are exactly those of calling ``func`` per example; it nests and
    composes with the other transforms.  ``randomness``: "error" (the default) refuses random ops
    inside ``func`` with PyTorch's message, "different" lets each example draw its own numbers,
    "same" gives every example the same draws (the generator is rewound before each call).
    ``chunk_size`` is accepted and has no effect.
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. "
                           f"Got {randomness}")

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from . import stack
        name = _fname(func)
        if not isinstance(in_dims, (int, tuple)) or isinstance(in_dims, bool):
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int or a "
                f"(potentially nested) tuple matching the structure of inputs, got: {type(in_dims)}."
            )
        flat_args, spec = _flatten(list(args))
        if isinstance(in_dims, int):
            flat_dims = [in_dims] * len(flat_args)
        else:
            if len(in_dims) != len(args):
                raise ValueError(
                    f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the "
                    f"structure of `inputs`."
                )
            flat_dims = []
            for d, a in zip(in_dims, args):
                na = len(_flatten(a)[0])
                if d is None or isinstance(d, int):
                    flat_dims.extend([d] * na)
                else:
                    fd, _ = _flatten(d)
                    if len(fd) != na:
                        raise ValueError(
                            f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible "
                            f"with the structure of `inputs`."
                        )
                    flat_dims.extend(fd)
        sizes = []
        norm = []
        for a, d in zip(flat_args, flat_dims):
            if d is None:
                norm.append(None)
                continue
            if not _is_tensor(a):
                raise ValueError(
                    f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for an input but the "
                    f"input is of type {type(a)}. We cannot vmap over non-Tensor arguments, please use None "
                    f"as the respective in_dim"
                )
            nd = a.dim()
            if not -nd <= d < nd:
                raise ValueError(
                    f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for some input, but that "
                    f"input is a Tensor of dimensionality {nd} so expected in_dim to satisfy -{nd} <= in_dim "
                    f"< {nd}."
                )
            norm.append(d % nd)
            sizes.append(a.shape[d % nd])
        if not sizes:
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): at least one input must be a Tensor "
                f"with a mapped dimension; got in_dims={in_dims}"
            )
        if len(set(sizes)) != 1:
            raise ValueError(
                f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                f"{sizes} for the mapped dimension"
            )
        B = sizes[0]
        results = []
        out_spec = None
        from . import creation
        start = creation.get_rng_state() if randomness == "same" else None
        creation.VMAP_RANDOMNESS.append(randomness)
        try:
            for i in range(B):
                if start is not None:  # "same": every example draws the same numbers
                    creation.set_rng_state(start)
                sl = [a if d is None else a.select(d, i) for a, d in zip(flat_args, norm)]
                out = func(*_unflatten(sl, spec), **kwargs)
                flat_out, out_spec = _flatten(out)
                results.append(flat_out)
        finally:
            creation.VMAP_RANDOMNESS.pop()
        if isinstance(out_dims, (int, type(None))):
            flat_od = [out_dims] * len(results[0])
        else:
            flat_od, _ = _flatten(out_dims)
            if len(flat_od) != len(results[0]):
                if isinstance(out_dims, tuple) and len(out_dims) == 1:
                    flat_od = list(out_dims) * len(results[0])
                else:
                    raise ValueError(
                        f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with the "
                        f"structure of `outputs`."
                    )
        stacked = []
        for j, od in enumerate(flat_od):
            col = [r[j] for r in results]
            if od is None:
                stacked.append(col[0])
                continue
            for c in col:
                if not _is_tensor(c):
                    raise ValueError(
                        f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(c)}. Did you "
                        f"mean to set out_dims= to None for output?"
                    )
            nd = col[0].dim() + 1
            if not -nd <= od < nd:
                raise ValueError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], "
                                 f"but got {od})")
            stacked.append(stack(col, od % nd))
        return _unflatten(stacked, out_spec)

    return wrapper


# ---------------------------------------------------------------- functional_call
def functional_call(module: Any, parameter_and_buffer_dicts: Any, args: Any = None, kwargs: Any = None, *,
                    tie_weights: bool = True, strict: bool = False) -> Any:
    """Call ``module(*args, **kwargs)`` with its parameters and buffers replaced by the given tensors.

    ``parameter_and_buffer_dicts`` maps dotted names (``"0.weight"``) to
    tensors; a tuple of dicts is merged (a key in two dicts is an error).  The
    module's own tensors are put back afterwards, even when the call raises.
    """
    if isinstance(parameter_and_buffer_dicts, dict):
        merged = dict(parameter_and_buffer_dicts)
    else:
        merged = {}
        dups: list[str] = []
        for d in parameter_and_buffer_dicts:
            for k, v in d.items():
                if k in merged and k not in dups:
                    dups.append(k)
                merged[k] = v
        if dups:
            raise ValueError(f"{dups} appeared in multiple dictionaries; behavior of functional call is ambiguous")
    if strict:
        expected = {n for n, _ in module.named_parameters(remove_duplicate=False)}
        expected |= {n for n, _ in module.named_buffers(remove_duplicate=False)}
        missing = sorted(expected - set(merged))
        unexpected = sorted(set(merged) - expected)
        if missing or unexpected:
            msg = f"Error(s) in reparametrizing for {type(module).__name__}:\n\t"
            parts = []
            if unexpected:
                parts.append("Unexpected key(s): {}.".format(", ".join(repr(k) for k in unexpected)))
            if missing:
                parts.append("Missing key(s): {}.".format(", ".join(repr(k) for k in missing)))
            raise RuntimeError(msg + "\n\t".join(parts))
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    if kwargs is None:
        kwargs = {}
    undo: list[tuple[str, Any, str, Any]] = []  # (kind, owner, name, old)
    try:
        for full, value in merged.items():
            *path, leaf = full.split(".")
            owner = module
            for p in path:
                owner = getattr(owner, p)
            d = owner.__dict__
            if leaf in d["_parameters"]:
                undo.append(("_parameters", owner, leaf, d["_parameters"][leaf]))
                d["_parameters"][leaf] = value
            elif leaf in d["_buffers"]:
                undo.append(("_buffers", owner, leaf, d["_buffers"][leaf]))
                d["_buffers"][leaf] = value
            else:
                had = leaf in d
                undo.append(("attr", owner, leaf, (had, d.get(leaf))))
                d[leaf] = value
        return module(*args, **kwargs)
    finally:
        for kind, owner, leaf, old in reversed(undo):
            d = owner.__dict__
            if kind == "attr":
                had, val = old
                if had:
                    d[leaf] = val
                else:
                    d.pop(leaf, None)
            else:
                d[kind][leaf] = old
