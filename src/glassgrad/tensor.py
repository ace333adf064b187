"""Tensor: storage in a backend array, autograd flags, printing.

Operators and methods are attached from the op families in ``ops/`` when the
package is imported (``ops/methods.py``), so ``x * y``, ``x.mul(y)`` and
``glassgrad.mul(x, y)`` are the same function.
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Iterator
from typing import Any

from . import autograd as _autograd
from . import dtypes as D
from ._printing import format_tensor
from .autograd.grad_mode import ANOMALY, STATE
from .backends import backend
from .engine import node as _node_module
from .engine.node import AccumulateGrad, Node, RemovableHandle

_B = backend()
_xp = _B.xp
_ndarray = _B.ndarray
_FROM_NP = D.FROM_NP

__all__ = ["Tensor", "Size", "device"]


class Size(tuple):
    """A tensor's shape: a tuple that prints as ``torch.Size([2, 3])``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    __str__ = __repr__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, i: Any) -> Any:  # slicing keeps the Size type
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r

    def __add__(self, other: Any) -> Size:
        return Size(tuple(self) + tuple(other))


class device:
    """Where a tensor lives; glassgrad's NumPy backend is always ``cpu``."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | device = "cpu", index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index
        if ":" in type:
            type, _, idx = type.partition(":")
            index = int(idx)
        if type not in ("cpu", "cuda", "meta"):
            raise RuntimeError(
                "Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, maia, "
                f"xla, lazy, vulkan, mps, meta, hpu, mtia, privateuseone device type at start of device string: {type}"
            )
        self.type = type
        self.index = index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = device("cpu")

NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute "
    "won't be populated during autograd.backward(). If you indeed want the .grad field to be populated "
    "for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor "
    "by mistake, make sure you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 "
    "for more information. (Triggered internally at "
    "/__w/pytorch/pytorch/build/aten/src/ATen/core/TensorBody.h:493.)"
)


NON_LEAF_REQUIRES_GRAD = (
    "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a "
    "subgraph that doesn't require differentiation use var_no_grad = var.detach()."
)


def type_string(t: Tensor) -> str:
    """``[torch.FloatTensor [2, 3]]`` as PyTorch's error messages write a tensor."""
    return _type_string(t._data)


def _type_string(d: Any) -> str:
    dims = ", ".join(str(s) for s in d.shape)
    if d.dtype == bool:  # PyTorch writes bool tensors with their dispatch name
        return f"[CPUBoolType [{dims}]]"
    return f"[torch.{_FROM_NP[d.dtype].tensor_type} [{dims}]]"


class Tensor:
    """A multi-dimensional array that records the operations made on it.

    >>> import glassgrad as torch
    >>> x = torch.tensor([2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    tensor([4., 6.])
    """

    # Note: slots, not a __dict__: a tensor is made for every op, so its size
    # and the cost of setting its fields matter.  Rare state lives in _extra.
    __slots__ = ("_data", "_rg", "grad_fn", "_output_nr", "_grad", "_vc", "_base",
                 "_accum", "_extra", "__weakref__")

    # numpy defers `ndarray * Tensor` to Tensor.__rmul__
    __array_priority__ = 1000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # torch.Tensor(2, 3) / torch.Tensor([1, 2]) legacy constructor
        if len(args) == 1 and not isinstance(args[0], int):
            data = _xp.asarray(args[0], dtype=D.get_default_dtype().np)
        else:
            data = _xp.zeros(tuple(args), dtype=D.get_default_dtype().np)
        _init(self, data)

    # ------------------------------------------------------------------ construction
    @staticmethod
    def _make(data: Any, requires_grad: bool = False) -> Tensor:
        """Wrap a backend array (no copy) as a new tensor that is a leaf."""
        t = _new(Tensor)
        _init(t, data)
        t._rg = requires_grad
        return t

    # ------------------------------------------------------------------ flags
    @property
    def requires_grad(self) -> bool:
        ex = self._extra
        return self._rg and (ex is None or "fw_only" not in ex)  # fw_only: see autograd/forward_ad.py

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        value = bool(value)
        if self.grad_fn is not None:
            if value:
                raise RuntimeError("you can only change requires_grad flags of leaf variables.")
            raise RuntimeError(NON_LEAF_REQUIRES_GRAD)
        self._set_requires_grad(value, "only Tensors of floating point and complex dtype can require gradients")

    def _set_requires_grad(self, value: bool, int_message: str) -> None:
        if value:
            if not _FROM_NP[self._data.dtype].is_floating_point:
                raise RuntimeError(int_message)
            if self.is_inference() and not STATE.inference:
                raise RuntimeError(
                    "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed."
                )
        self._rg = value

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return self (a no-op ``True`` on a non-leaf, as in PyTorch)."""
        requires_grad = bool(requires_grad)
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(NON_LEAF_REQUIRES_GRAD)
            return self
        self._set_requires_grad(requires_grad, "only Tensors of floating point dtype can require gradients")
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self) -> Tensor | None:
        if self.grad_fn is not None and not self.retains_grad and self._grad is None:
            warnings.warn(NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of type {_typename(value)}"
                )
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._data.shape)}' to a tensor of size "
                    f"'{list(self._data.shape)}'. Please ensure that the gradient and the tensor are the same size"
                )
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_C_NAMES[value.dtype.name][0]}' to a tensor "
                    f"with grad_dtype '{_C_NAMES[self.dtype.name][1]}'. The gradient must match the tensor's "
                    "grad_dtype (defaults to the tensor's dtype). You can set the tensor's grad_dtype attribute "
                    "with a specific dtype, or None to allow any dtype. Set grad_dtype with caution. Diverging "
                    "the dtypes of a tensor and its gradient may break downstream systems that assume they match."
                )
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def retains_grad(self) -> bool:
        return bool(self._extra and self._extra.get("retains_grad"))

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` during backward."""
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        fn = self.grad_fn
        if fn is None or self.retains_grad:
            return  # leaves keep their gradient anyway
        ref = weakref.ref(self)
        self._extra_state()["retains_grad"] = True
        fn._hook_state().setdefault("retain", {})[self._output_nr] = ref

    def _extra_state(self) -> dict[str, Any]:
        e = self._extra
        if e is None:
            e = self._extra = {}
        return e

    def _accumulator(self) -> AccumulateGrad:
        """The leaf's AccumulateGrad node; one per leaf while the graph holds it."""
        ref = self._accum
        acc = ref() if ref is not None else None
        if acc is None:
            acc = AccumulateGrad(self)
            self._accum = weakref.ref(acc)
        return acc

    def register_hook(self, hook: Any) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces it."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn._register_tensor_prehook(self._output_nr, hook)
        # a leaf keeps its hooks itself: its AccumulateGrad node lives only as long as a graph uses it
        d = self._extra_state().setdefault("leaf_hooks", {})
        handle = RemovableHandle(d)
        d[handle.id] = hook
        return handle

    def register_post_accumulate_grad_hook(self, hook: Any) -> RemovableHandle:
        """Call ``hook(tensor)`` after a leaf's ``.grad`` has been accumulated."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        d = self._extra_state().setdefault("post_acc_hooks", {})
        handle = RemovableHandle(d)
        d[handle.id] = hook
        return handle

    def is_inference(self) -> bool:
        return bool(self._extra and self._extra.get("inference"))

    # ------------------------------------------------------------------ metadata
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Any:
        if dim is None:
            return Size(self._data.shape)
        if self._data.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    @property
    def dtype(self) -> D.dtype:
        return _FROM_NP[self._data.dtype]

    @property
    def device(self) -> device:
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    def element_size(self) -> int:
        return self._data.itemsize

    def stride(self, dim: int | None = None) -> Any:
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[_wrap_dim(dim, self._data.ndim)]

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def data_ptr(self) -> int:
        return int(self._data.__array_interface__["data"][0])

    @property
    def _version(self) -> int:
        vc = self._vc
        return vc[0] if vc is not None else 0

    def _version_box(self) -> list[int]:
        vc = self._vc
        if vc is None:
            vc = self._vc = [0]
        return vc

    def _bump_version(self) -> None:
        vc = self._vc
        if vc is None:
            vc = self._vc = [1]
        else:
            vc[0] += 1
        if ANOMALY.enabled:  # remember where the in-place change was made, for the saved-tensor error
            from .autograd.grad_mode import user_stack
            vc[1:] = [user_stack()]

    @property
    def _is_view(self) -> bool:
        return self._base is not None

    # ------------------------------------------------------------------ data access
    @property
    def data(self) -> Tensor:
        t = Tensor._make(self._data)
        return t

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        self._data = value._data

    def detach(self) -> Tensor:
        """A tensor sharing storage (and version counter) that is cut from the graph."""
        t = Tensor._make(self._data)
        t._vc = self._version_box()
        return t

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph in place (it becomes a leaf)."""
        if self._base is not None and self._base._rg:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel "
                "(DDP) for training, and gradient_as_bucket_view is set as True, gradients are views of DDP "
                "buckets, and hence detach_() cannot be called on these gradients. To fix this error, please "
                "refer to the Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."
            )
        self.grad_fn = None
        self._rg = False
        self._output_nr = 0
        return self

    def item(self) -> Any:
        d = self._data
        if d.size != 1:
            raise RuntimeError(f"a Tensor with {d.size} elements cannot be converted to Scalar")
        return d.reshape(()).item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def numpy(self, *, force: bool = False) -> Any:
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return _B.to_host(self._data)

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        if self._rg:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        a = _B.to_host(self._data)
        return a if dtype is None else a.astype(dtype, copy=False)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))  # type: ignore[attr-defined]

    def __bool__(self) -> bool:
        d = self._data
        if d.size != 1:
            if d.size == 0:
                raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(d.reshape(()).item())

    def _scalar_value(self) -> Any:
        d = self._data
        if d.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return d.reshape(()).item()

    def __float__(self) -> float:
        return float(self._scalar_value())

    def __int__(self) -> int:
        return int(self._scalar_value())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.reshape(()).item())

    def __complex__(self) -> complex:
        return complex(self._scalar_value())

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        if spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return repr(self)

    def __hash__(self) -> int:
        return id(self)

    # ------------------------------------------------------------------ printing
    def __repr__(self, *, prefix: str = "tensor(") -> str:
        fn = self.grad_fn
        tangent = None
        if self._extra is not None and "fw" in self._extra:
            from .autograd.forward_ad import tangent_of
            tangent = tangent_of(self)
        return format_tensor(
            _B.to_host(self._data),
            dtype_name=self.dtype.name,
            default_dtype_name=D.get_default_dtype().name,
            requires_grad=self.requires_grad and fn is None,
            grad_fn_name=None if fn is None else type(fn).__name__,
            prefix=prefix,
            extra_suffixes=() if tangent is None else (f"tangent={tangent}",),  # __format__: 0-d prints as a number
        )

    __str__ = __repr__

    # ------------------------------------------------------------------ autograd entry points
    def backward(self, gradient: Tensor | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Compute the gradient of this tensor with respect to the graph's leaves (see ``autograd.backward``)."""
        if gradient is None and inputs is None and not create_graph and _autograd.backward_scalar(self, retain_graph):
            return
        _autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # ------------------------------------------------------------------ pickling
    def __reduce_ex__(self, proto: int) -> Any:
        return (_rebuild, (_B.to_host(self._data), self._rg))

    def __deepcopy__(self, memo: dict[int, Any]) -> Tensor:
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at "
                "the moment.  If you were attempting to deepcopy a module, this may be because of a "
                "torch.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001"
            )
        t = type(self).__new__(type(self))
        _init(t, self._data.copy())
        t._rg = self._rg
        if self._grad is not None:
            t._grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = t
        return t


_new = object.__new__
_node_module.Tensor = Tensor
_node_module.AS_IS.add(_ndarray)

# dtype name -> (C type name used in messages, ScalarType name)
_C_NAMES = {
    "float16": ("c10::Half", "Half"), "float32": ("float", "Float"), "float64": ("double", "Double"),
    "int8": ("int8_t", "Char"), "int16": ("short int", "Short"), "int32": ("int", "Int"),
    "int64": ("long int", "Long"), "uint8": ("unsigned char", "Byte"), "bool": ("bool", "Bool"),
}


def _init(t: Tensor, data: Any) -> None:
    t._data = data
    t._rg = False
    t.grad_fn = None
    t._output_nr = 0
    t._grad = None
    t._vc = None
    t._base = None
    t._accum = None
    t._extra = None


def _typename(x: object) -> str:
    t = type(x)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__.split('.')[0]}.{t.__qualname__}"


def _rebuild(data: Any, requires_grad: bool) -> Tensor:
    return Tensor._make(_xp.asarray(data), requires_grad)


def _wrap_dim(dim: int, ndim: int) -> int:
    """PyTorch's dim wrapping with its IndexError text."""
    n = ndim if ndim > 0 else 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


wrap_dim = _wrap_dim


def check_saved_versions(node: Node, saved: tuple[Any, ...], versions: tuple[Any, ...]) -> None:
    """Raise PyTorch's error when a value saved for ``node`` was modified in place since."""
    from .engine.node import SavedOutput
    for s, v in zip(saved, versions):
        if v is None:
            continue
        vc = s._vc
        cur = vc[0] if vc is not None else 0
        if cur == v:
            continue
        if isinstance(s, SavedOutput):
            desc = _type_string(s.data)
            desc += f", which is output {s.output_nr} of {_short(node.name())},"
        else:
            desc = type_string(s)
            if s.grad_fn is not None:
                desc += f", which is output {s._output_nr} of {_short(s.grad_fn.name())},"
        if ANOMALY.enabled:
            hint = ("Hint: the backtrace further above shows the operation that failed to compute its gradient. "
                    "The variable in question was changed in there or anywhere later. Good luck!")
            if vc is not None and len(vc) > 1:  # glassgrad can say where: it kept the in-place op's traceback
                hint += "\nThe in-place operation that changed it last ran at:\n" + "".join(vc[1])
        else:
            hint = ("Hint: enable anomaly detection to find the operation that failed to compute its gradient, "
                    "with torch.autograd.set_detect_anomaly(True, check_nan=False).")
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an inplace operation: "
            f"{desc} is at version {cur}; expected version {v} instead. {hint}"
        )


def _short(name: str) -> str:
    """PyTorch's short op name in messages: ``ExpBackward0`` -> ``Exp``, ``EluBackward1`` -> ``Elu1``."""
    i = name.rfind("Backward")
    if i <= 0:
        return name
    tail = name[i + 8:]
    return name[:i] + ("" if tail == "0" else tail)
