"""What every op uses: operand promotion, result wrapping and node recording.

An op's forward works on backend arrays; ``record`` then attaches a node when
gradients are being recorded (the one place grad modes are consulted).
"""

from __future__ import annotations

from typing import Any

from .. import dtypes as D
from ..autograd.forward_ad import FW, after_record
from ..autograd.grad_mode import ANOMALY, PLAIN, STATE, user_stack
from ..autograd.graph import pack_saved
from ..backends import backend
from ..engine.node import Node, SavedOutput, next_seq
from ..tensor import Tensor, _new, wrap_dim

_B = backend()
xp = _B.xp
ndarray = _B.ndarray
FROM_NP = D.FROM_NP

__all__ = ["Tensor", "Node", "xp", "wrap", "record", "edge", "operands", "arith_operands", "number_like", "record_one", "as_tensor_arg", "wrap_dim",
           "SavedOutput", "saved_output", "record_outputs", "FROM_NP", "D", "STATE", "dims_arg", "broadcast_error"]


def wrap(data: Any) -> Tensor:
    """A new result tensor around ``data`` (a backend array or array scalar), not yet in a graph."""
    if type(data) is not ndarray:
        data = xp.asarray(data)
    # (tensor._init written out: this runs once per op)
    t = _new(Tensor)
    t._data = data
    t._rg = False
    t.grad_fn = None
    t._output_nr = 0
    t._grad = None
    t._vc = None
    t._base = None
    t._accum = None
    t._extra = None if PLAIN.on or not STATE.inference else {"inference": True}
    return t


def edge(t: Tensor) -> tuple[Node, int, tuple[int, ...], Any] | None:
    """The graph edge to input ``t``: its grad_fn, or its AccumulateGrad if it is a leaf that requires grad."""
    fn = t.grad_fn
    if fn is not None:
        d = t._data
        return (fn, t._output_nr, d.shape, d.dtype)
    if t._rg:
        ex = t._extra
        if ex is not None and "fw_only" in ex:  # a dual tensor that carries a tangent only (forward_ad)
            return None
        d = t._data
        return (t._accumulator(), 0, d.shape, d.dtype)
    return None


def needs_grad(*inputs: Any) -> bool:
    """True when an op on ``inputs`` must be recorded."""
    if not STATE.grad_enabled:
        return False
    for t in inputs:
        if isinstance(t, Tensor) and t._rg:
            return True
    return False


def record(out: Tensor, node: Node, inputs: tuple[Any, ...], saved: tuple[Any, ...] = (), *,
           more_outputs: bool = False) -> Tensor:
    """Make ``node`` the grad_fn of ``out``: edges to the tensor ``inputs``, ``saved`` values for backward.

    Saved input tensors remember their version now, so an in-place change
    before backward is reported (PyTorch's "modified by an inplace operation").
    """
    # (one- and two-input ops are nearly all of them: no list built for those; a one-input op on another
    # op's result and its one saved value are written out — W1's pow: ~0.2 µs of its ~20)
    n = len(inputs)
    if n == 1:
        t = inputs[0]
        if type(t) is Tensor and t.grad_fn is not None:
            d = t._data
            node._next = ((t.grad_fn, t._output_nr, d.shape, d.dtype),)
        else:
            node._next = (edge(t) if isinstance(t, Tensor) else None,)
    elif n == 2:
        t, u = inputs
        node._next = (edge(t) if isinstance(t, Tensor) else None, edge(u) if isinstance(u, Tensor) else None)
    else:
        node._next = tuple([edge(t) if isinstance(t, Tensor) else None for t in inputs])
    node._seq = next_seq()
    node._hooks = None
    plain = PLAIN.on
    if saved:
        if not plain and STATE.saved_hooks:  # autograd.graph.saved_tensors_hooks: store what pack_hook returns
            saved = pack_saved(saved)
        node._saved = saved
        s = saved[0]
        if len(saved) == 1 and s.__class__ is Tensor:
            vc = s._vc
            node._versions = (vc[0] if vc is not None else 0,)
        else:
            node._versions = _versions(saved)
    else:
        node._saved = saved
        node._versions = None
    out.grad_fn = node
    out._rg = True
    if not plain:
        if ANOMALY.enabled:  # anomaly mode: remember where in the user's code this node was made
            node._hook_state()["traceback_"] = user_stack()
        if FW.used and not more_outputs:  # forward-mode AD has been used: give the result its tangent
            after_record((out,), node, inputs)
    return out


_ONE_INPUT = object()


def record_one(data: Any, node: Node, t: Tensor, save: Any, number: Any = _ONE_INPUT) -> Tensor:
    """A new result around ``data`` (a backend array or array scalar, as for ``wrap``) with ``node`` as its grad_fn, for an op whose one tensor input is ``t``
    (which needs grad): a unary op, or ``t`` with a ``number`` (``x * 1.01``: edges ``t``'s and None).

    ``save``: ``"input"`` (the node saves ``t``), ``"result"`` (the new tensor) or a tuple of plain
    values saved as they are (``(None, 1.01)``, or ``()`` for nothing).

    The same as ``wrap`` then ``record``, written out for the commonest case — ``t`` the result of
    another op, plain recording (``PLAIN.on``) — because elementwise chains spend more time recording
    than computing (a 16-element ``sin``: ~1.1 µs of bookkeeping against 1 µs of NumPy); other cases
    go through ``record``.
    """
    if type(data) is not ndarray:
        data = xp.asarray(data)
    out = _new(Tensor)
    out._data = data
    out._output_nr = 0
    out._grad = None
    out._base = None
    out._accum = None
    out._vc = None
    fn = t.grad_fn
    if fn is None or not PLAIN.on or type(t) is not Tensor:
        out._rg = False
        out.grad_fn = None
        out._extra = None if PLAIN.on or not STATE.inference else {"inference": True}
        inputs = (t,) if number is _ONE_INPUT else (t, number)
        if type(save) is tuple:
            return record(out, node, inputs, save)
        return record(out, node, inputs, (t,) if save == "input" else (saved_output(out),))
    d = t._data
    e = (fn, t._output_nr, d.shape, d.dtype)
    node._next = (e,) if number is _ONE_INPUT else (e, None)
    node._seq = next_seq()
    node._hooks = None
    if type(save) is tuple:  # (tested first: a tuple compared with a string takes Python's slow path)
        node._saved = save
        node._versions = None
    elif save == "input":
        node._saved = (t,)
        vc = t._vc
        node._versions = (vc[0] if vc is not None else 0,)
    else:  # "result"
        vc = out._vc = [0]
        so = _new(SavedOutput)  # (SavedOutput(data, vc) without the call to __init__)
        so.data = data
        so._vc = vc
        so.version = 0
        so.output_nr = 0
        node._saved = (so,)
        node._versions = (0,)
    out._extra = None
    out.grad_fn = node
    out._rg = True
    return out


def record_outputs(outs: tuple[Tensor | None, ...], node: Node, inputs: tuple[Any, ...],
                   saved: tuple[Any, ...] = ()) -> None:
    """``record`` for a node with several outputs: output i of ``node`` is ``outs[i]`` (None: not produced)."""
    made = tuple(o for o in outs if o is not None)
    record(made[0], node, inputs, saved, more_outputs=True)
    for i, o in enumerate(outs):
        if o is not None:
            o.grad_fn = node
            o._rg = True
            o._output_nr = i
    if FW.used:
        after_record(made, node, inputs)


def _versions(saved: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The version of each saved tensor now (None for plain values), to detect later in-place changes;
    None when nothing saved is a tensor."""
    vs = None
    i = 0
    for s in saved:
        c = s.__class__
        if c is SavedOutput:
            v = s.version
        elif c is Tensor or (s is not None and c is not float and c is not int and c is not ndarray
                             and isinstance(s, Tensor)):
            vc = s._vc
            v = vc[0] if vc is not None else 0
        else:
            i += 1
            continue
        if vs is None:
            vs = [None] * len(saved)
        vs[i] = v
        i += 1
    return tuple(vs) if vs is not None else None


def saved_output(out: Tensor, output_nr: int = 0) -> SavedOutput:
    """Save an op's own output for its backward: the array and the output's version box."""
    vc = out._vc
    if vc is None:
        vc = out._vc = [0]
    return SavedOutput(out._data, vc, output_nr)


def as_tensor_arg(x: Any) -> Tensor:
    """Accept a Tensor where an op needs one (lists and arrays are converted)."""
    if isinstance(x, Tensor):
        return x
    from ..creation import tensor
    return tensor(x)


# ---------------------------------------------------------------------- promotion
_PROMO_CACHE: dict[tuple[Any, Any, bool, bool], Any] = {}


def _promoted(ad: Any, bd: Any) -> Any:
    key = (ad.dtype, bd.dtype, ad.ndim == 0, bd.ndim == 0)
    r = _PROMO_CACHE.get(key)
    if r is None:
        da, db = FROM_NP[ad.dtype], FROM_NP[bd.dtype]
        if key[2] == key[3]:
            r = D.promote_types(da, db).np
        elif key[2]:  # a is 0-dim, b dimensioned
            r = D.result_type([db], [da], []).np
        else:
            r = D.result_type([da], [db], []).np
        _PROMO_CACHE[key] = r
    return r


def _py_scalar(x: Any) -> Any:
    if isinstance(x, (bool, int, float)):
        return x
    if hasattr(x, "item") and hasattr(x, "dtype") and getattr(x, "ndim", 1) == 0 and not isinstance(x, Tensor):
        return x.item()  # numpy scalars act as Python numbers
    return None


def operands(a: Any, b: Any) -> tuple[Any, Any]:
    """Backend operands of a binary op, promoted as PyTorch promotes them.

    Python scalars stay scalars (NumPy treats them as weakly typed, as PyTorch
    does), except a float scalar with an integer tensor, which gives the
    default float dtype.
    """
    if isinstance(a, Tensor):
        ad = a._data
        if isinstance(b, Tensor):
            bd = b._data
            if ad.dtype is not bd.dtype and ad.dtype != bd.dtype:
                rt = _promoted(ad, bd)
                ad = ad.astype(rt, copy=False)
                bd = bd.astype(rt, copy=False)
            return ad, bd
        tb = type(b)
        if tb is int and not -_I64 <= b < _U64:
            raise _int_overflow(b)
        if (tb is float or tb is int) and ad.dtype.kind == "f":  # the common case: nothing to convert
            # (a 0-d array as a NumPy scalar: same value, dtype and promotion, ~0.1 µs arithmetic instead of ~0.7)
            return (ad[()] if ad.ndim == 0 else ad), b
        return _with_scalar(ad, b), _scalar(b)
    bd = b._data
    return _scalar(a), _with_scalar(bd, a)


_F32, _F64 = xp.dtype(xp.float32), xp.dtype(xp.float64)
#: number -> the number as a read-only 0-d float32 / float64 array (see ``arith_operands``)
_C32: dict[Any, Any] = {}
_C64: dict[Any, Any] = {}


def arith_operands(a: Any, b: Any) -> tuple[Any, Any]:
    """``operands`` for ``+ - * /`` (without ``alpha``): a Python number with a float32/float64 tensor
    becomes a cached 0-d array of the tensor's dtype.

    Why: NumPy converts the number to the array's dtype either way (PyTorch does too), so the result
    is the same, but NumPy 2's promotion of a Python number costs ~0.3 µs per operation (measured: a
    16-element float32 array times ``1.01`` takes 0.65 µs, times a float32 0-d array 0.34 µs).  Rules
    that save the constant get the array too, so backward gains the same.  Zero is left as a number
    (``0.0`` and ``-0.0`` are equal keys), and so is a 0-d tensor (its data becomes a NumPy scalar,
    whose arithmetic is already cheap).
    """
    tb = type(b)
    if tb is int and not -_I64 <= b < _U64:
        raise _int_overflow(b)
    if (tb is float or tb is int) and type(a) is Tensor:
        ad = a._data
        dt = ad.dtype
        if dt is _F32 or dt is _F64:
            # (a 0-d tensor: operands' NumPy scalar)
            return (ad, _constant(b, dt)) if ad.ndim else (ad[()], b)
    return operands(a, b)


def number_like(b: Any, like: Any) -> Any:
    """For derivative rules (``F.number``): the number ``b`` as ``arith_operands`` would give it next to
    the array ``like`` (a cached 0-d array for a float32/float64 array, else ``b`` itself)."""
    if type(like) is ndarray and like.ndim:
        dt = like.dtype
        if dt is _F32 or dt is _F64:
            return _constant(b, dt)
    return b


def _constant(b: Any, dt: Any) -> Any:
    """The number ``b`` as a cached read-only 0-d array of float dtype ``dt`` (zero stays a number:
    ``0.0`` and ``-0.0`` are equal keys; so does an int too large for ``dt``, which NumPy then
    converts, or refuses, itself)."""
    cache = _C32 if dt is _F32 else _C64
    c = cache.get(b)
    if c is not None:
        return c
    if not b:
        return b
    try:
        c = xp.asarray(b, dtype=dt)
    except OverflowError:
        return b
    c.flags.writeable = False
    if len(cache) > 1024:  # (NaN keys never match: keep the cache bounded)
        cache.clear()
    cache[b] = c
    return c


_I64, _U64 = 2 ** 63, 2 ** 64


def _int_overflow(b: int) -> OverflowError:
    """PyTorch's error for a Python int that fits no 64-bit integer (it converts numbers through them)."""
    return OverflowError("int too big to convert" if b > 0 else "can't convert negative int to unsigned")


def _scalar(s: Any) -> Any:
    t = type(s)
    if t is int and not -_I64 <= s < _U64:
        raise _int_overflow(s)
    if t is float or t is int or t is bool:
        return s
    v = _py_scalar(s)
    if v is None:
        if isinstance(s, (list, tuple)) or hasattr(s, "__array__"):
            return as_tensor_arg(s)._data
        raise TypeError(f"unsupported operand type: '{type(s).__name__}'")
    return v


def _with_scalar(d: Any, s: Any) -> Any:
    k = d.dtype.kind
    if k == "f":
        return d
    if isinstance(s, float) or (k == "b" and type(s) is not bool and isinstance(s, (int, float))):
        if isinstance(s, float):
            return d.astype(D.get_default_dtype().np)
        return d.astype(xp.int64)
    return d


def broadcast_error(a: Any, b: Any) -> RuntimeError:
    """PyTorch's error for shapes that do not broadcast (the first clash from the right)."""
    sa, sb = getattr(a, "shape", ()), getattr(b, "shape", ())
    n = max(len(sa), len(sb))
    for i in range(n - 1, -1, -1):
        x = sa[i - n + len(sa)] if i - n + len(sa) >= 0 else 1
        y = sb[i - n + len(sb)] if i - n + len(sb) >= 0 else 1
        if x != y and x != 1 and y != 1:
            return RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton dimension {i}"
            )
    return RuntimeError(f"shapes {list(sa)} and {list(sb)} cannot be broadcast together")


def dims_arg(dim: Any, ndim: int) -> tuple[int, ...]:
    """Normalise a ``dim`` argument (int, tuple or list) to sorted non-negative axes."""
    if isinstance(dim, (tuple, list)):
        seen = []
        for d in dim:
            w = wrap_dim(d, ndim)
            if w in seen:
                raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
            seen.append(w)
        return tuple(sorted(seen))
    return (wrap_dim(dim, ndim),)
