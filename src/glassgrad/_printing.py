"""Tensor pretty-printing: a port of PyTorch's ``torch/_tensor_str.py``.

This module reproduces, character for character, what ``repr(tensor)`` (and
``str(tensor)``, which is the same) returns in PyTorch 2.13 for dense CPU
tensors, but it operates on plain NumPy arrays so that glassgrad can print its
tensors exactly like PyTorch does.

The structure deliberately mirrors the original so the two can be compared
side by side:

* :class:`_Formatter` decides, from the (possibly summarised) values, whether
  floats are printed in "int mode" (``1.``), fixed-point (``1.0000``) or
  scientific notation (``1.0000e+00``), and how wide every element is.
* :func:`_tensor_str_with_formatter` / :func:`_vector_str` lay the values out
  with nested brackets, line wrapping at ``linewidth`` and ``...`` summaries.
* :func:`format_tensor` plays the role of ``_str_intern``: it adds the prefix
  and the ``size=`` / ``dtype=`` / ``grad_fn=`` / ``requires_grad=`` suffixes.

Print options (precision, threshold, edgeitems, linewidth, sci_mode) are kept
in this module and behave like ``torch.set_printoptions``.

Only NumPy and the standard library are used.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["format_tensor", "get_printoptions", "printoptions", "set_printoptions"]


# --------------------------------------------------------------------------
# Print options
# --------------------------------------------------------------------------


@dataclasses.dataclass
class _PrinterOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrinterOptions()


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set options for printing, exactly like ``torch.set_printoptions``.

    Args:
        precision: Number of digits of precision for floating point output
            (default = 4).
        threshold: Total number of array elements which trigger summarization
            rather than full ``repr`` (default = 1000).
        edgeitems: Number of array items in summary at beginning and end of
            each dimension (default = 3).
        linewidth: The number of characters per line for the purpose of
            inserting line breaks (default = 80).
        profile: Sane defaults for pretty printing; one of ``"default"``,
            ``"short"`` or ``"full"``. Can be overridden by the other options.
        sci_mode: Enable (True) or disable (False) scientific notation. If
            None (default), it is chosen automatically. As in PyTorch, this
            option is *always* assigned, so any call that omits it resets it
            to None.
    """
    if profile is not None:
        if profile == "default":
            PRINT_OPTS.precision = 4
            PRINT_OPTS.threshold = 1000
            PRINT_OPTS.edgeitems = 3
            PRINT_OPTS.linewidth = 80
        elif profile == "short":
            PRINT_OPTS.precision = 2
            PRINT_OPTS.threshold = 1000
            PRINT_OPTS.edgeitems = 2
            PRINT_OPTS.linewidth = 80
        elif profile == "full":
            PRINT_OPTS.precision = 4
            PRINT_OPTS.threshold = math.inf
            PRINT_OPTS.edgeitems = 3
            PRINT_OPTS.linewidth = 80

    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """Return the current print options as a dict.

    The keys are those of PyTorch's ``get_printoptions()`` (``precision``,
    ``threshold``, ``edgeitems``, ``linewidth``, ``sci_mode``) and the dict
    can be passed back as ``**kwargs`` to :func:`set_printoptions`.
    """
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Context manager that temporarily changes the print options."""
    old_kwargs = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old_kwargs)


# --------------------------------------------------------------------------
# dtype names
# --------------------------------------------------------------------------

# torch dtype name -> NumPy dtype used to hold the values.
_NUMPY_DTYPES: dict[str, type[np.generic]] = {
    "float16": np.float16,
    "float32": np.float32,
    "float64": np.float64,
    "complex64": np.complex64,
    "complex128": np.complex128,
    "int8": np.int8,
    "int16": np.int16,
    "int32": np.int32,
    "int64": np.int64,
    "uint8": np.uint8,
    "bool": np.bool_,
}

# torch's alternative names for the same dtypes (``torch.float is torch.float32``).
_DTYPE_ALIASES: dict[str, str] = {
    "half": "float16",
    "float": "float32",
    "double": "float64",
    "cfloat": "complex64",
    "cdouble": "complex128",
    "short": "int16",
    "int": "int32",
    "long": "int64",
}

_FLOATING_NAMES = frozenset({"float16", "bfloat16", "float32", "float64"})
_COMPLEX_NAMES = frozenset({"complex32", "complex64", "complex128"})


def _canonical_dtype_name(name: str) -> str:
    """``"torch.float"`` / ``"float"`` / ``"float32"`` -> ``"float32"``."""
    name = name.removeprefix("torch.")
    return _DTYPE_ALIASES.get(name, name)


# --------------------------------------------------------------------------
# Formatting of the values
# --------------------------------------------------------------------------


class _Formatter:
    """Port of ``torch._tensor_str._Formatter``.

    Looks at every value once to choose the mode (int / fixed / scientific)
    and the common element width.
    """

    def __init__(self, values: np.ndarray, floating: bool) -> None:
        self.floating_dtype = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1

        flat = values.reshape(-1)

        if not self.floating_dtype:
            for value in flat.tolist():
                value_str = f"{value}"
                self.max_width = max(self.max_width, len(value_str))
            return

        nonzero_finite_vals = flat[np.isfinite(flat) & (flat != 0)]
        if nonzero_finite_vals.size == 0:
            # no valid number, do nothing
            return

        # PyTorch converts to double for these computations (half overflows).
        nonzero_finite_abs = np.abs(nonzero_finite_vals).astype(np.float64)
        nonzero_finite_min = nonzero_finite_abs.min()
        nonzero_finite_max = nonzero_finite_abs.max()

        if np.any(nonzero_finite_vals != np.ceil(nonzero_finite_vals)):
            self.int_mode = False

        if PRINT_OPTS.sci_mode is None:
            with np.errstate(over="ignore"):  # the ratio may overflow to inf
                ratio = nonzero_finite_max / nonzero_finite_min
            self.sci_mode = bool(
                ratio > 1000.0
                or nonzero_finite_max > 1.0e8
                or nonzero_finite_min < 1.0e-4
            )
        else:
            self.sci_mode = PRINT_OPTS.sci_mode

        # Python floats (exact widening of the stored values), as torch's
        # ``Tensor.__format__`` formats ``tensor.item()``.
        py_values = nonzero_finite_vals.tolist()
        precision = PRINT_OPTS.precision
        if self.sci_mode:
            for value in py_values:
                value_str = f"{{:.{precision}e}}".format(value)
                self.max_width = max(self.max_width, len(value_str))
        elif self.int_mode:
            # in int_mode for floats, all numbers are integers, and we append
            # a decimal point to indicate that the tensor is of floating type.
            # add 1 to the len to account for this.
            for value in py_values:
                value_str = f"{value:.0f}"
                self.max_width = max(self.max_width, len(value_str) + 1)
        else:
            for value in py_values:
                value_str = f"{{:.{precision}f}}".format(value)
                self.max_width = max(self.max_width, len(value_str))

    def width(self) -> int:
        return self.max_width

    def format(self, value: Any) -> str:
        if self.floating_dtype:
            if self.sci_mode:
                ret = f"{{:{self.max_width}.{PRINT_OPTS.precision}e}}".format(value)
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = f"{{:.{PRINT_OPTS.precision}f}}".format(value)
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


def _join_complex(real_str: str, imag_str: str) -> str:
    # handles negative numbers, +0.0, -0.0
    if imag_str[0] == "+" or imag_str[0] == "-":
        return real_str + imag_str
    return real_str + "+" + imag_str


def _scalar_str(
    arr: np.ndarray, formatter1: _Formatter, formatter2: _Formatter | None = None
) -> str:
    if formatter2 is not None:
        real_str = _scalar_str(arr.real, formatter1)
        imag_str = (_scalar_str(arr.imag, formatter2) + "j").lstrip()
        return _join_complex(real_str, imag_str)
    return formatter1.format(arr.item())


def _vector_str(
    arr: np.ndarray,
    indent: int,
    summarize: bool,
    formatter1: _Formatter,
    formatter2: _Formatter | None = None,
) -> str:
    # length includes spaces and comma between elements
    element_length = formatter1.width() + 2
    if formatter2 is not None:
        # width for imag_formatter + an extra j for complex
        element_length += formatter2.width() + 1

    elements_per_line = max(
        1, math.floor((PRINT_OPTS.linewidth - indent) / element_length)
    )

    def _val_formatter(val: Any) -> str:
        if formatter2 is not None:
            real_str = formatter1.format(val.real)
            imag_str = (formatter2.format(val.imag) + "j").lstrip()
            return _join_complex(real_str, imag_str)
        return formatter1.format(val)

    edgeitems = PRINT_OPTS.edgeitems
    if summarize and not edgeitems:
        data = ["..."]
    elif summarize and arr.shape[0] > 2 * edgeitems:
        data = (
            [_val_formatter(val) for val in arr[:edgeitems].tolist()]
            + [" ..."]
            + [_val_formatter(val) for val in arr[-edgeitems:].tolist()]
        )
    else:
        data = [_val_formatter(val) for val in arr.tolist()]

    data_lines = [
        data[i : i + elements_per_line] for i in range(0, len(data), elements_per_line)
    ]
    lines = [", ".join(line) for line in data_lines]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_with_formatter(
    arr: np.ndarray,
    indent: int,
    summarize: bool,
    formatter1: _Formatter,
    formatter2: _Formatter | None = None,
) -> str:
    dim = arr.ndim

    if dim == 0:
        return _scalar_str(arr, formatter1, formatter2)

    if dim == 1:
        return _vector_str(arr, indent, summarize, formatter1, formatter2)

    def sub(i: int) -> str:
        return _tensor_str_with_formatter(
            arr[i], indent + 1, summarize, formatter1, formatter2
        )

    edgeitems = PRINT_OPTS.edgeitems
    size = arr.shape[0]
    if summarize and size > 2 * edgeitems:
        slices = (
            [sub(i) for i in range(edgeitems)]
            + ["..."]
            + [sub(i) for i in range(size - edgeitems, size)]
        )
    else:
        slices = [sub(i) for i in range(size)]

    tensor_str = ("," + "\n" * (dim - 1) + " " * (indent + 1)).join(slices)
    return "[" + tensor_str + "]"


def _get_summarized_data(arr: np.ndarray) -> np.ndarray:
    """The values that remain visible once the tensor is summarised."""
    dim = arr.ndim
    edgeitems = PRINT_OPTS.edgeitems
    if dim == 0:
        return arr
    if dim == 1:
        if arr.shape[0] > 2 * edgeitems:
            # NB: like PyTorch, ``arr[-0:]`` is the whole array when edgeitems == 0.
            return np.concatenate((arr[:edgeitems], arr[-edgeitems:]))
        return arr
    if not edgeitems:
        return np.empty([0] * dim, dtype=arr.dtype)
    if arr.shape[0] > 2 * edgeitems:
        start = [arr[i] for i in range(edgeitems)]
        end = [arr[i] for i in range(len(arr) - edgeitems, len(arr))]
        return np.stack([_get_summarized_data(x) for x in start + end])
    return np.stack([_get_summarized_data(x) for x in arr])


def _tensor_str(arr: np.ndarray, indent: int, floating: bool, is_complex: bool) -> str:
    if arr.size == 0:
        return "[]"

    summarize = arr.size > PRINT_OPTS.threshold

    if is_complex:
        real, imag = arr.real, arr.imag
        real_formatter = _Formatter(
            _get_summarized_data(real) if summarize else real, floating=True
        )
        imag_formatter = _Formatter(
            _get_summarized_data(imag) if summarize else imag, floating=True
        )
        return _tensor_str_with_formatter(
            arr, indent, summarize, real_formatter, imag_formatter
        )
    formatter = _Formatter(
        _get_summarized_data(arr) if summarize else arr, floating=floating
    )
    return _tensor_str_with_formatter(arr, indent, summarize, formatter)


def _add_suffixes(
    tensor_str: str, suffixes: list[str], indent: int, force_newline: bool
) -> str:
    tensor_strs = [tensor_str]
    # (sic) PyTorch's "+ 1" is kept so line breaks land where PyTorch's do.
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        suffix_len = len(suffix)
        if force_newline or last_line_len + suffix_len + 2 > PRINT_OPTS.linewidth:
            tensor_strs.append(",\n" + " " * indent + suffix)
            last_line_len = indent + suffix_len
            force_newline = False
        else:
            tensor_strs.append(", " + suffix)
            last_line_len += suffix_len + 2
    tensor_strs.append(")")
    return "".join(tensor_strs)


# --------------------------------------------------------------------------
# Public entry point (the equivalent of ``_str_intern``)
# --------------------------------------------------------------------------


def format_tensor(
    data: np.ndarray,
    *,
    dtype_name: str,
    default_dtype_name: str = "float32",
    requires_grad: bool = False,
    grad_fn_name: str | None = None,
    prefix: str = "tensor(",
    extra_suffixes: tuple[str, ...] = (),
) -> str:
    """Return what ``repr(t)`` (== ``str(t)``) gives for a PyTorch CPU tensor.

    Args:
        data: the tensor's values (any shape, including 0-d and empty). They
            are converted to the NumPy dtype matching ``dtype_name``.
        dtype_name: the torch dtype name, e.g. ``"float32"``, ``"int64"``,
            ``"bool"`` (a ``"torch."`` prefix and aliases such as ``"float"``
            or ``"long"`` are accepted).
        default_dtype_name: the current default floating dtype
            (``torch.get_default_dtype()``); it decides whether the
            ``dtype=`` suffix is shown.
        requires_grad: adds ``requires_grad=True`` when there is no grad_fn.
        grad_fn_name: e.g. ``"SumBackward0"``, printed as ``grad_fn=<...>``.
        prefix: text before the values, ``"tensor("`` by default. Continuation
            lines are indented by the length of its last line, so a multi-line
            prefix like ``"Parameter containing:\\ntensor("`` reproduces
            ``repr(torch.nn.Parameter(...))``.
        extra_suffixes: additional ``key=value`` strings appended after the
            standard suffixes (where PyTorch puts e.g. ``tangent=``), subject
            to the same line-wrapping rule.
    """
    name = _canonical_dtype_name(dtype_name)
    default_name = _canonical_dtype_name(default_dtype_name)

    arr = np.asarray(data)
    if name in _NUMPY_DTYPES:
        arr = arr.astype(_NUMPY_DTYPES[name], copy=False)
    is_complex = name in _COMPLEX_NAMES or arr.dtype.kind == "c"
    floating = name in _FLOATING_NAMES or arr.dtype.kind == "f"

    # Anything up to the last newline of the prefix is a header printed
    # verbatim (``Parameter containing:\n``); the rest is ``_str_intern``'s
    # prefix, whose length is the indentation of continuation lines.
    newline = prefix.rfind("\n")
    header, line_prefix = prefix[: newline + 1], prefix[newline + 1 :]
    indent = len(line_prefix)

    default_complex_name = "complex128" if default_name == "float64" else "complex64"
    has_default_dtype = name in (default_name, default_complex_name, "int64", "bool")
    dtype_suffix = "dtype=torch." + name

    suffixes: list[str] = []
    if arr.size == 0:
        # Explicitly print the shape if it is not (0,), to match NumPy behavior
        if arr.ndim != 1:
            suffixes.append("size=" + str(tuple(arr.shape)))
        # In an empty tensor, there are no elements to infer if the dtype
        # should be int64, so it must be shown explicitly.
        if name != default_name:
            suffixes.append(dtype_suffix)
        tensor_str = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append("size=" + str(tuple(arr.shape)))
        if not has_default_dtype:
            suffixes.append(dtype_suffix)
        tensor_str = _tensor_str(arr, indent, floating, is_complex)

    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")

    suffixes.extend(extra_suffixes)

    return header + _add_suffixes(
        line_prefix + tensor_str, suffixes, indent, force_newline=False
    )
