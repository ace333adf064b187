"""Compare glassgrad's tensor printing with real PyTorch's ``repr``.

Every test builds the same values as a NumPy array (for glassgrad) and as a
torch tensor (``torch.from_numpy(arr.copy())``) and checks the strings are
identical. The whole module is skipped when torch is not installed.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from glassgrad._printing import (
    format_tensor,
    get_printoptions,
    printoptions,
    set_printoptions,
)

# Skip cleanly where the oracle (torch) or hypothesis is not installed.
torch = pytest.importorskip("torch")
hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")
hnp = pytest.importorskip("hypothesis.extra.numpy")
given, settings = hypothesis.given, hypothesis.settings

DEFAULT_OPTIONS = {
    "precision": 4,
    "threshold": 1000,
    "edgeitems": 3,
    "linewidth": 80,
    "sci_mode": None,
}

ALL_DTYPES = [
    np.float16,
    np.float32,
    np.float64,
    np.int8,
    np.int16,
    np.int32,
    np.int64,
    np.uint8,
    np.bool_,
]
FLOAT_DTYPES = [np.float16, np.float32, np.float64]
INT_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8]


@pytest.fixture(autouse=True)
def _restore_print_options() -> Iterator[None]:
    """Every test starts and ends with default options in both libraries."""
    torch.set_printoptions(profile="default")
    set_printoptions(profile="default")
    yield
    torch.set_printoptions(profile="default")
    set_printoptions(profile="default")
    torch.set_default_dtype(torch.float32)


def set_both(**kwargs: object) -> None:
    torch.set_printoptions(**kwargs)
    set_printoptions(**kwargs)


def dtype_name(t: torch.Tensor) -> str:
    return str(t.dtype).removeprefix("torch.")


def default_dtype_name() -> str:
    return str(torch.get_default_dtype()).removeprefix("torch.")


def ours(arr: np.ndarray, t: torch.Tensor, **kwargs: object) -> str:
    return format_tensor(
        arr,
        dtype_name=dtype_name(t),
        default_dtype_name=default_dtype_name(),
        **kwargs,
    )


def check(arr: np.ndarray, requires_grad: bool = False) -> str:
    """Assert format_tensor(arr) == repr(torch tensor) (and str)."""
    arr = np.asarray(arr)
    t = torch.from_numpy(arr.copy())
    if requires_grad:
        t.requires_grad_(True)
    expected = repr(t)
    assert str(t) == expected
    got = ours(arr, t, requires_grad=requires_grad)
    assert got == expected, f"\nexpected:\n{expected}\ngot:\n{got}"
    return got


# --------------------------------------------------------------------------
# print options
# --------------------------------------------------------------------------


def test_default_printoptions_match_torch() -> None:
    assert get_printoptions() == DEFAULT_OPTIONS
    assert get_printoptions() == torch._tensor_str.get_printoptions()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"precision": 2},
        {"sci_mode": False},
        {"sci_mode": True},
        {"profile": "full"},
        {"profile": "short"},
        {"profile": "full", "precision": 6},
        {"threshold": 5, "edgeitems": 1, "linewidth": 40},
    ],
)
def test_set_printoptions_round_trip(kwargs: dict[str, object]) -> None:
    set_both(**kwargs)
    assert get_printoptions() == torch._tensor_str.get_printoptions()
    saved = get_printoptions()
    set_printoptions(profile="default")
    assert get_printoptions() == DEFAULT_OPTIONS
    set_printoptions(**saved)
    assert get_printoptions() == saved


def test_set_printoptions_resets_sci_mode_like_torch() -> None:
    set_both(sci_mode=True)
    set_both(precision=3)
    assert get_printoptions()["sci_mode"] is None
    assert get_printoptions() == torch._tensor_str.get_printoptions()


def test_printoptions_context_manager() -> None:
    with printoptions(precision=1):
        assert get_printoptions()["precision"] == 1
    assert get_printoptions() == DEFAULT_OPTIONS


# --------------------------------------------------------------------------
# examples from the specification
# --------------------------------------------------------------------------


def test_documented_examples() -> None:
    assert check(np.array([2.0, 3.0], np.float32), requires_grad=True) == (
        "tensor([2., 3.], requires_grad=True)"
    )
    assert check(np.array([1.0, 2.5], np.float32)) == "tensor([1.0000, 2.5000])"
    assert check(np.array([1e-5, 1.0], np.float32)) == (
        "tensor([1.0000e-05, 1.0000e+00])"
    )
    assert check(np.array(3, np.int32)) == "tensor(3, dtype=torch.int32)"
    assert check(np.zeros((0, 3), np.float32)) == "tensor([], size=(0, 3))"
    assert check(np.array(-2.6146, np.float64)) == (
        "tensor(-2.6146, dtype=torch.float64)"
    )
    assert check(np.array([True, False])) == "tensor([ True, False])"


# --------------------------------------------------------------------------
# dtypes and shapes
# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize(
    "shape", [(), (1,), (5,), (2, 3), (2, 3, 4), (2, 2, 2, 3), (1, 1, 1)]
)
def test_dtypes_and_shapes(dtype: type, shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(abs(hash((dtype.__name__, shape))) % 2**32)
    size = int(np.prod(shape))
    if dtype is np.bool_:
        arr = rng.random(size) > 0.5
    elif dtype in INT_DTYPES:
        info = np.iinfo(dtype)
        arr = rng.integers(max(info.min, -1000), min(info.max, 1000), size)
    else:
        arr = rng.standard_normal(size) * 3
    check(arr.astype(dtype).reshape(shape))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0, 3), (3, 0), (1, 0, 0, 2)])
def test_empty(dtype: type, shape: tuple[int, ...]) -> None:
    check(np.zeros(shape, dtype))


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_integer_extremes(dtype: type) -> None:
    info = np.iinfo(dtype)
    check(np.array([info.min, 0, info.max, 1, -1 if info.min < 0 else 2], dtype))


def test_bool_shapes() -> None:
    check(np.array(True))
    check(np.array(False))
    check(np.array([[True, True], [True, True]]))
    check(np.ones(200, dtype=bool))


# --------------------------------------------------------------------------
# float value formatting
# --------------------------------------------------------------------------

FLOAT_CASES = [
    [1.0, 2.0, 3.0],
    [1.0, -2.0, 300.0],
    [0.0, 0.0],
    [-0.0],
    [-0.0, 0.0, 1.0],
    [-0.0, 0.5],
    [1.5, -0.0],
    [0.1, 0.2, 0.3],
    [1.0, 2.5],
    [123456.789, 1.0],
    [1234.5, 1.0],
    [999.0, 1.0],
    [1000.0, 1.0],
    [1001.0, 1.0],
    [1e-5, 1.0],
    [1e-4, 1.0],
    [1e-4],
    [9.9e-5],
    [1e8],
    [1.0000001e8],
    [1e9],
    [1e9, 1.0],
    [1e16],
    [1e16, 3.0],
    [1e-30, 1e30],
    [1e-3, 1e-1],
    [12345678.0],
    [0.00011, 0.05],
    [3.14159265358979, 2.718281828],
    [0.99995, 0.99994],
    [-1.0, -100.5],
    [float("nan")],
    [float("inf")],
    [float("-inf")],
    [float("nan"), 1.0, 2.0],
    [float("nan"), 1.5],
    [float("inf"), float("-inf"), float("nan")],
    [float("inf"), -1.0, 0.25],
    [float("inf"), 1e-7, 1.0],
    [float("-inf"), 1e10],
    [0.0, float("nan"), -0.0],
    [65504.0, -65504.0],
    [6e-8, 1.0],
    [1e-10, 1e-10],
    [123.0, 4567.0],
    [1e5, 1e5 + 1],
]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("values", FLOAT_CASES, ids=[str(v) for v in FLOAT_CASES])
def test_float_values(dtype: type, values: list[float]) -> None:
    with np.errstate(over="ignore"):
        arr = np.array(values, dtype=dtype)
    check(arr)
    check(arr.reshape(1, -1))
    if arr.size == 1:
        check(arr.reshape(()))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(
    "value", [0.0, -0.0, 1.0, -1.5, 1e-5, 1e9, 1e16, float("nan"), float("-inf")]
)
def test_float_scalars(dtype: type, value: float) -> None:
    with np.errstate(over="ignore"):
        arr = np.array(value, dtype=dtype)
    check(arr)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_float_2d_mixed_magnitudes(dtype: type) -> None:
    check(np.array([[1.0, 1e-3], [250.0, -0.5]], dtype=dtype))
    with np.errstate(over="ignore"):
        check(np.array([[1.0, 1e5], [250.0, -0.5]], dtype=dtype))
    check(np.array([[1.0, 2.0], [3.0, float("nan")]], dtype=dtype))


# --------------------------------------------------------------------------
# layout: nesting, wrapping, summarisation
# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int16])
@pytest.mark.parametrize(
    "shape", [(3, 4, 5), (2, 3, 2, 4), (2, 1, 2, 1, 2), (4, 30), (2, 3, 25)]
)
def test_nested_layout(dtype: type, shape: tuple[int, ...]) -> None:
    arr = np.arange(int(np.prod(shape))).reshape(shape).astype(dtype)
    check(arr)
    check(arr - arr.size / 2.5 if dtype in FLOAT_DTYPES else arr)


@pytest.mark.parametrize("n", [10, 11, 12, 13, 25, 26, 79, 80, 81, 200, 1000])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int8])
def test_line_wrapping(n: int, dtype: type) -> None:
    check((np.arange(n) % 128 - 40).astype(dtype))


@pytest.mark.parametrize("n", [13, 14, 20, 120])
def test_line_wrapping_with_floats(n: int) -> None:
    rng = np.random.default_rng(n)
    check(rng.standard_normal(n).astype(np.float32))
    check((rng.standard_normal(n) * 1e6).astype(np.float64))
    check(rng.standard_normal(n).astype(np.float32), requires_grad=True)


def test_suffix_wrapping() -> None:
    # The suffix moves to a new line when the last line is too long.
    for n in range(1, 15):
        check(np.arange(n, dtype=np.int32))
        check(np.arange(n, dtype=np.float64) / 3)
        check(np.arange(n, dtype=np.float16) / 3, requires_grad=True)
        check(np.arange(n, dtype=np.float64).reshape(1, n) / 7, requires_grad=True)


@pytest.mark.parametrize(
    "shape",
    [
        (1001,),
        (1000,),
        (5000,),
        (100, 100),
        (1001, 1),
        (1, 1001),
        (20, 20, 20),
        (5, 5, 5, 10),
        (3, 7, 50),
        (7, 3, 50),
        (2, 1000),
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32])
def test_summarisation(shape: tuple[int, ...], dtype: type) -> None:
    arr = np.arange(int(np.prod(shape))).reshape(shape).astype(dtype)
    check(arr)


def test_summarisation_hidden_values_do_not_affect_format() -> None:
    arr = np.ones(2000, np.float32)
    arr[1000] = 1e20  # hidden by the summary: no scientific notation
    arr[500] = 0.5  # hidden: still int mode
    assert check(arr) == "tensor([1., 1., 1.,  ..., 1., 1., 1.])"
    arr2d = np.full((50, 50), 2.0)
    arr2d[25, 25] = 1e-9
    check(arr2d)
    check(np.random.default_rng(0).standard_normal((40, 40)) * 1000)


def test_summarisation_bool_and_float16() -> None:
    check(np.arange(3000) % 3 == 0)
    check((np.arange(3000) % 3 == 0).reshape(30, 100))
    check((np.arange(2000) / 7).astype(np.float16))
    check((np.arange(2000) / 7).astype(np.float16).reshape(4, 500))


def test_custom_threshold_edgeitems_linewidth() -> None:
    set_both(threshold=5)
    check(np.arange(10))
    check(np.arange(10).reshape(2, 5))
    check(np.arange(60, dtype=np.float32).reshape(3, 4, 5) / 3)
    set_both(threshold=5, edgeitems=1)
    check(np.arange(10))
    check(np.arange(60, dtype=np.float32).reshape(3, 4, 5) / 3)
    set_both(linewidth=30)
    check(np.arange(40, dtype=np.float64) / 3)
    check(np.arange(40, dtype=np.float64).reshape(2, 20) / 3, requires_grad=True)
    set_both(linewidth=200)
    check(np.arange(200, dtype=np.float64) / 3)
    set_both(linewidth=5)
    check(np.arange(12, dtype=np.int64).reshape(3, 4))


def test_edgeitems_zero() -> None:
    set_both(edgeitems=0)
    check(np.arange(5))
    check(np.arange(2000, dtype=np.float32))
    check(np.arange(2000, dtype=np.float32).reshape(40, 50))
    check(np.arange(2000).reshape(10, 10, 20))


def test_profile_full() -> None:
    set_both(profile="full")
    check(np.arange(1500))
    check(np.arange(1100, dtype=np.float32).reshape(11, 100) / 3)


def test_profile_short() -> None:
    set_both(profile="short")
    check(np.arange(1500, dtype=np.float64) / 7)
    check(np.arange(1500).reshape(15, 100))
    check(np.array([1.23456, 2.5], np.float32))


# --------------------------------------------------------------------------
# precision / sci_mode options
# --------------------------------------------------------------------------

OPTION_VALUES = [
    np.array([1.0, 2.5, 3.14159], np.float32),
    np.array([1.0, 2.0, 3.0], np.float32),
    np.array([1e-5, 1.0], np.float64),
    np.array([1e16, 2.0, float("nan")], np.float64),
    np.array([[0.1234567, -5.5], [float("inf"), 0.0]], np.float32),
    np.array(0.333333, np.float64),
    np.array([-0.0, 0.0], np.float32),
]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"precision": 2},
        {"precision": 0},
        {"precision": 8},
        {"sci_mode": False},
        {"sci_mode": True},
        {"precision": 2, "sci_mode": True},
    ],
)
@pytest.mark.parametrize("index", range(len(OPTION_VALUES)))
def test_precision_and_sci_mode(kwargs: dict[str, object], index: int) -> None:
    set_both(**kwargs)
    check(OPTION_VALUES[index])


def test_sci_mode_ignored_for_integers() -> None:
    set_both(sci_mode=True)
    check(np.arange(5))
    check(np.array([True]))


# --------------------------------------------------------------------------
# flags, prefixes, default dtype
# --------------------------------------------------------------------------


def test_grad_fn_suffix() -> None:
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for y in (x.sum() * 2.0 + 2.0, x * 2, x.exp(), x.view(3, 1) @ x.view(1, 3)):
        got = ours(y.detach().numpy(), y, grad_fn_name=type(y.grad_fn).__name__)
        assert got == repr(y)
    y = (x * x).sum()
    assert repr(y) == "tensor(14., grad_fn=<SumBackward0>)"
    assert ours(np.array(14.0, np.float32), y, grad_fn_name="SumBackward0") == repr(y)
    # grad_fn wins over requires_grad
    assert ours(
        np.array(14.0, np.float32), y, requires_grad=True, grad_fn_name="SumBackward0"
    ) == repr(y)


def test_grad_fn_suffix_wrapping() -> None:
    x = torch.randn(3, 15, dtype=torch.float64, requires_grad=True)
    y = x * 3
    got = ours(y.detach().numpy(), y, grad_fn_name=type(y.grad_fn).__name__)
    assert got == repr(y)
    x = torch.randn(11, requires_grad=True)
    y = x + 1
    got = ours(y.detach().numpy(), y, grad_fn_name=type(y.grad_fn).__name__)
    assert got == repr(y)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_requires_grad(dtype: type) -> None:
    check(np.array(1.5, dtype), requires_grad=True)
    check(np.zeros((0,), dtype), requires_grad=True)
    check(np.zeros((2, 0), dtype), requires_grad=True)
    check(np.arange(30, dtype=dtype).reshape(2, 15), requires_grad=True)
    check(np.arange(1500, dtype=dtype), requires_grad=True)


@pytest.mark.parametrize(
    "values",
    [
        np.ones(2, np.float32),
        np.random.default_rng(1).standard_normal((3, 40)).astype(np.float32),
        np.random.default_rng(2).standard_normal((2, 3, 4)),
        np.zeros((0, 2), np.float32),
        np.array(3.5, np.float32),
    ],
)
def test_parameter_prefix(values: np.ndarray) -> None:
    p = torch.nn.Parameter(torch.from_numpy(values.copy()))
    got = format_tensor(
        values,
        dtype_name=dtype_name(p),
        requires_grad=True,
        prefix="Parameter containing:\ntensor(",
    )
    assert got == repr(p)
    assert got == str(p)


def test_parameter_example() -> None:
    assert (
        format_tensor(
            np.ones(2, np.float32),
            dtype_name="float32",
            requires_grad=True,
            prefix="Parameter containing:\ntensor(",
        )
        == "Parameter containing:\ntensor([1., 1.], requires_grad=True)"
    )


def test_custom_prefix_and_extra_suffixes() -> None:
    assert (
        format_tensor(
            np.arange(3), dtype_name="int32", prefix="Foo(", extra_suffixes=("x=1",)
        )
        == "Foo([0, 1, 2], dtype=torch.int32, x=1)"
    )
    got = format_tensor(
        np.arange(2), dtype_name="int64", prefix="A(", extra_suffixes=("y" * 80,)
    )
    assert got == "A([0, 1],\n  " + "y" * 80 + ")"


def test_dtype_name_aliases() -> None:
    arr = np.array([1.0, 2.0])
    assert format_tensor(arr, dtype_name="torch.float32") == "tensor([1., 2.])"
    assert format_tensor(arr, dtype_name="float") == "tensor([1., 2.])"
    assert format_tensor(arr, dtype_name="double") == (
        "tensor([1., 2.], dtype=torch.float64)"
    )
    assert format_tensor(arr, dtype_name="long") == "tensor([1, 2])"


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", [(), (3,), (0,), (2, 0)])
def test_default_dtype_float64(dtype: type, shape: tuple[int, ...]) -> None:
    torch.set_default_dtype(torch.float64)
    check(np.ones(shape, dtype))
    check(np.full(shape, 2.5).astype(dtype))


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_complex(dtype: type) -> None:
    check(np.array([1 + 2j, -3.5 - 0.25j, 0j], dtype))
    check(np.array(1 - 1j, dtype))
    check(np.array([[1e-5 + 1j, 2], [3j, -0.0 - 0.0j]], dtype))
    check(np.array([complex(float("nan"), float("inf")), 1j], dtype))
    check((np.arange(1200) * (1 + 0.5j)).astype(dtype))
    check(np.zeros((0,), dtype))
    torch.set_default_dtype(torch.float64)
    check(np.array([1 + 2j], dtype))


# --------------------------------------------------------------------------
# property-based comparison
# --------------------------------------------------------------------------

_elements = st.one_of(
    st.floats(-10.0, 10.0, allow_nan=False, allow_infinity=False),
    st.integers(-1000, 1000).map(float),
    st.sampled_from([0.0, -0.0, 1.0, float("nan"), float("inf"), float("-inf")]),
)


@st.composite
def float_arrays(draw: st.DrawFn) -> np.ndarray:
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5))
    base = draw(hnp.arrays(np.float64, shape, elements=_elements))
    exponent = draw(st.integers(-12, 20))
    integral = draw(st.booleans())
    with np.errstate(over="ignore", invalid="ignore"):
        values = base * 10.0**exponent
        if integral:
            values = np.round(values)
        return values.astype(dtype)


@settings(max_examples=200, deadline=None)
@given(float_arrays(), st.booleans())
def test_hypothesis_float_arrays(arr: np.ndarray, requires_grad: bool) -> None:
    check(arr, requires_grad=requires_grad)


@settings(max_examples=50, deadline=None)
@given(
    hnp.arrays(
        st.sampled_from([np.int8, np.int32, np.int64, np.float16, np.float32]),
        hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=12),
    ),
    st.integers(0, 6),
    st.integers(1, 30),
    st.sampled_from([None, True, False]),
)
def test_hypothesis_with_options(
    arr: np.ndarray, precision: int, threshold: int, sci_mode: bool | None
) -> None:
    set_both(precision=precision, threshold=threshold, sci_mode=sci_mode)
    check(arr)
