"""The Tensor API (dtypes, creation, attributes, conversions, printing) compared with real PyTorch.

Most tests are written once as a function of the library module ``L`` and run
with ``L = glassgrad`` and ``L = torch``; dtypes, shapes, values, printed text
and error messages (type and exact text) must be the same.
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import glassgrad as gg
from opinfo import both, same_error


# ---------------------------------------------------------------------- helpers
def _torch() -> Any:
    return pytest.importorskip("torch")


def _np(t: Any) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def _same_tensor(a: Any, b: Any, exact: bool = True) -> None:
    """``a`` (glassgrad) and ``b`` (torch): same dtype, shape and values."""
    assert str(a.dtype) == str(b.dtype)
    assert tuple(a.shape) == tuple(b.shape)
    if exact:
        np.testing.assert_array_equal(_np(a), _np(b))
    else:
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-6, atol=1e-7)





@pytest.fixture(autouse=True)
def _default_dtype_restored() -> Iterator[None]:
    yield
    gg.set_default_dtype(gg.float32)
    try:
        import torch
    except ImportError:  # pragma: no cover
        return
    torch.set_default_dtype(torch.float32)


# ---------------------------------------------------------------------- dtypes
DTYPE_NAMES = [
    "float32", "float64", "float16", "int8", "int16", "int32", "int64", "uint8", "bool",
    "float", "double", "half", "long", "int", "short",
]


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_dtype_printing_and_aliases(name: str) -> None:
    torch = _torch()
    g, t = getattr(gg, name), getattr(torch, name)
    assert str(g) == str(t)
    assert repr(g) == repr(t)
    assert g.is_floating_point == t.is_floating_point
    assert g.is_signed == t.is_signed
    assert g.itemsize == t.itemsize


def test_dtype_aliases_are_the_same_objects() -> None:
    assert gg.float is gg.float32
    assert gg.double is gg.float64
    assert gg.half is gg.float16
    assert gg.long is gg.int64
    assert gg.int is gg.int32
    assert gg.short is gg.int16
    assert str(gg.bool) == "torch.bool"
    assert gg.float32 == gg.float and gg.float32 != gg.float64


def test_default_dtype_set_and_get() -> None:
    def case(L: Any) -> Any:
        out = [str(L.get_default_dtype())]
        L.set_default_dtype(L.float64)
        try:
            out.append(str(L.get_default_dtype()))
            out.append(str(L.tensor([1.5]).dtype))
            out.append(str(L.tensor(1.5).dtype))
            out.append(str(L.tensor([1, 2]).dtype))
            out.append(str(L.zeros(2).dtype))
            out.append(str(L.arange(0.0, 1.0, 0.5).dtype))
            out.append(str(L.full((2,), 1.5).dtype))
            out.append(str(L.linspace(0, 1, 3).dtype))
            out.append(str((L.tensor([1, 2]) * 1.5).dtype))
            out.append(str((L.tensor([1, 2]) / 2).dtype))
            out.append(repr(L.tensor([1.0, 2.0], dtype=L.float32)))
            out.append(repr(L.tensor([1.0, 2.0])))
        finally:
            L.set_default_dtype(L.float32)
        out.append(str(L.get_default_dtype()))
        return out

    got, want = both(case)
    assert got == want


def test_error_set_default_dtype_int() -> None:
    same_error(lambda L: L.set_default_dtype(L.int64))


PROMO_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _operands(L: Any) -> list[tuple[str, Any]]:
    ops: list[tuple[str, Any]] = []
    for name in PROMO_DTYPES:
        d = getattr(L, name)
        ops.append((f"{name}[2]", L.tensor([1, 1], dtype=d)))
        ops.append((f"{name}[]", L.tensor(1, dtype=d)))
    ops.extend([("True", True), ("2", 2), ("2.5", 2.5)])
    return ops


@pytest.mark.parametrize("op", ["add", "mul", "truediv"])
def test_type_promotion_matches_torch(op: str) -> None:
    import operator

    fn = getattr(operator, op)

    def case(L: Any) -> dict[tuple[str, str], str]:
        out = {}
        for (na, a), (nb, b) in itertools.product(_operands(L), repeat=2):
            if not (hasattr(a, "dtype") or hasattr(b, "dtype")):
                continue
            try:
                out[(na, nb)] = str(fn(a, b).dtype)
            except Exception as e:  # e.g. bool - bool
                out[(na, nb)] = f"{type(e).__name__}: {e}"
        return out

    got, want = both(case)
    diff = {k: (got[k], want[k]) for k in want if got.get(k) != want[k]}
    assert diff == {}


def test_type_promotion_with_default_float64() -> None:
    def case(L: Any) -> list[str]:
        L.set_default_dtype(L.float64)
        try:
            return [
                str((L.tensor([1, 2]) + 2.5).dtype),
                str((L.tensor([1.0], dtype=L.float32) + 2.5).dtype),
                str((L.tensor([True]) + 0.5).dtype),
                str((L.tensor([1, 2]) / 2).dtype),
                str((L.tensor([1, 2]) / L.tensor([2, 2])).dtype),
            ]
        finally:
            L.set_default_dtype(L.float32)

    got, want = both(case)
    assert got == want


def test_promote_types_table() -> None:
    torch = _torch()
    for a, b in itertools.product(PROMO_DTYPES, repeat=2):
        g = gg.promote_types(getattr(gg, a), getattr(gg, b))
        t = torch.promote_types(getattr(torch, a), getattr(torch, b))
        assert str(g) == str(t), (a, b)


# ---------------------------------------------------------------------- creation
@pytest.mark.parametrize(
    "data",
    [
        [[1, 2], [3, 4]],
        [1.0, 2.0, 3.0],
        [1, 2.5],
        [True, False],
        [True, 2],
        [],
        [[]],
        3,
        2.5,
        True,
        [[[1.5]], [[2.5]]],
    ],
    ids=repr,
)
def test_tensor_from_python_data(data: Any) -> None:
    def case(L: Any) -> Any:
        return L.tensor(data)

    got, want = both(case)
    _same_tensor(got, want)
    assert repr(got) == repr(want)


@pytest.mark.parametrize("np_dtype", [np.float64, np.float32, np.float16, np.int64, np.int32, np.int16,
                                      np.int8, np.uint8, np.bool_])
def test_tensor_from_numpy_array_keeps_dtype_and_copies(np_dtype: Any) -> None:
    def case(L: Any) -> Any:
        arr = np.array([[1, 0], [3, 4]], dtype=np_dtype)
        t = L.tensor(arr)
        arr[0, 0] = 0  # tensor() copies
        return t

    got, want = both(case)
    _same_tensor(got, want)


@pytest.mark.parametrize(
    "expr",
    ["L.tensor(np.float64(2.5))", "L.tensor(np.int32(3))", "L.tensor(np.float32(1.5))", "L.tensor(np.array(2.5))",
     "L.tensor([np.float64(1.5), np.float64(2.0)])", "L.as_tensor(np.float64(2.5))"],
)
def test_tensor_from_numpy_scalars(expr: str) -> None:
    got, want = both(lambda L: eval(expr, {"L": L, "np": np}))
    _same_tensor(got, want)


def test_tensor_dtype_and_requires_grad_arguments() -> None:
    def case(L: Any) -> Any:
        a = L.tensor([1, 2], dtype=L.float64, requires_grad=True)
        b = L.tensor([1.7, -2.7], dtype=L.int32)
        return a, a.requires_grad, a.is_leaf, b

    (ga, gr, gl, gb), (ta, tr, tl, tb) = both(case)
    _same_tensor(ga, ta)
    _same_tensor(gb, tb)
    assert (gr, gl) == (tr, tl)


def test_error_tensor_ragged_list() -> None:
    same_error(lambda L: L.tensor([[1, 2], [3]]))


def test_as_tensor_shares_numpy_memory() -> None:
    def case(L: Any) -> Any:
        arr = np.array([1.0, 2.0, 3.0])
        t = L.as_tensor(arr)
        arr[0] = 10.0
        c = L.as_tensor(arr, dtype=L.float32)  # conversion: a copy
        arr[1] = 20.0
        same = L.as_tensor(t) is t
        lst = L.as_tensor([1, 2])
        return t, c, same, lst

    (gt, gc, gs, gl), (tt, tc, ts, tl) = both(case)
    _same_tensor(gt, tt)
    _same_tensor(gc, tc)
    _same_tensor(gl, tl)
    assert gs == ts


def test_from_numpy_shares_memory_both_ways() -> None:
    def case(L: Any) -> Any:
        arr = np.array([[1, 2], [3, 4]], dtype=np.int32)
        t = L.from_numpy(arr)
        arr[0, 0] = 100
        t.add_(1)
        return t, arr.copy()

    (gt, ga), (tt, ta) = both(case)
    _same_tensor(gt, tt)
    np.testing.assert_array_equal(ga, ta)


def test_error_from_numpy_list() -> None:
    same_error(lambda L: L.from_numpy([1, 2]))


@pytest.mark.parametrize(
    "expr",
    [
        "L.zeros(2, 3)",
        "L.zeros((2, 3))",
        "L.zeros([2, 3], dtype=L.int64)",
        "L.ones(4)",
        "L.ones(2, 2, dtype=L.bool)",
        "L.zeros(())",
        "L.zeros(0, 3)",
        "L.full((2, 2), 3)",
        "L.full((2, 2), 2.)",
        "L.full((2,), True)",
        "L.full((2,), 7, dtype=L.float64)",
        "L.zeros_like(L.tensor([[1, 2]]))",
        "L.ones_like(L.tensor([1.5, 2.5], dtype=L.float64))",
        "L.ones_like(L.tensor([1, 2]), dtype=L.float32)",
        "L.full_like(L.tensor([1, 2]), 7)",
        "L.full_like(L.tensor([1., 2.]), 7)",
        "L.full_like(L.tensor([1, 2]), 2.7)",
        "L.eye(3)",
        "L.eye(2, 4)",
        "L.eye(3, dtype=L.int64)",
        "L.arange(5)",
        "L.arange(1, 4)",
        "L.arange(5.)",
        "L.arange(0, 1, 0.25)",
        "L.arange(0, 1, 0.1)",
        "L.arange(0, 5, 2)",
        "L.arange(10, 0, -3)",
        "L.arange(5, dtype=L.float64)",
        "L.arange(0.5, 3)",
        "L.linspace(0, 1, 5)",
        "L.linspace(0, 10, 4, dtype=L.float64)",
        "L.linspace(2, 3, 1)",
    ],
)
def test_creation_functions(expr: str) -> None:
    got, want = both(lambda L: eval(expr, {"L": L}))
    _same_tensor(got, want, exact=False)
    assert repr(got) == repr(want)


@pytest.mark.parametrize(
    "args", [(0, 1, 5), (-1, 1, 7), (0, 10, 4), (0, 1, 11), (-3.5, 2.25, 9), (0, 1, 100), (2, 3, 1)], ids=repr
)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linspace_values_match_torch_exactly(args: tuple[float, float, int], dtype: str) -> None:
    # PyTorch fills the first half from ``start`` and the second half back from ``end``;
    # the values (and so their printing) must match bit for bit.
    got, want = both(lambda L: L.linspace(*args, dtype=getattr(L, dtype)))
    _same_tensor(got, want, exact=True)
    assert repr(got) == repr(want)


def test_integer_true_division_gives_default_float() -> None:
    def case(L: Any) -> list[str]:
        a = L.tensor([1, 2])
        b = L.tensor([2, 4])
        return [str((a / b).dtype), str(L.div(a, b).dtype), str((a / 2).dtype),
                str((L.tensor([1, 2], dtype=L.int32) / L.tensor(2)).dtype)]

    got, want = both(case)
    assert got == want


@pytest.mark.parametrize(
    "expr",
    [
        "L.empty(2, 3)",
        "L.empty((4,), dtype=L.int64)",
        "L.empty_like(L.tensor([[1, 2]]))",
        "L.rand(2, 3)",
        "L.rand((3,), dtype=L.float64)",
        "L.randn(4, 1)",
        "L.randn(())",
        "L.randint(0, 10, (3, 2))",
        "L.randint(10, (5,))",
        "L.randint(3, 6, (4,), dtype=L.int32)",
        "L.rand_like(L.ones(2, 2))",
        "L.randn_like(L.ones(3, dtype=L.float64))",
        "L.randint_like(L.ones(3), 5)",
    ],
)
def test_uninitialised_and_random_shapes_and_dtypes(expr: str) -> None:
    got, want = both(lambda L: eval(expr, {"L": L}))
    assert str(got.dtype) == str(want.dtype)
    assert tuple(got.shape) == tuple(want.shape)
    assert got.requires_grad == want.requires_grad


def test_random_value_ranges() -> None:
    gg.manual_seed(1)
    r = gg.rand(1000).numpy()
    assert r.min() >= 0.0 and r.max() < 1.0
    i = gg.randint(3, 6, (1000,)).numpy()
    assert set(i.tolist()) == {3, 4, 5}
    n = gg.randn(10_000).numpy()
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1.0) < 0.05


def test_manual_seed_reproducibility() -> None:
    gg.manual_seed(1234)
    a = (gg.rand(5), gg.randn(3, 2), gg.randint(0, 100, (4,)))
    gg.manual_seed(1234)
    b = (gg.rand(5), gg.randn(3, 2), gg.randint(0, 100, (4,)))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    gg.manual_seed(4321)
    c = gg.rand(5)
    assert not np.array_equal(a[0].numpy(), c.numpy())
    assert gg.initial_seed() == 4321


def test_creation_requires_grad_argument() -> None:
    def case(L: Any) -> Any:
        ts = [L.zeros(2, requires_grad=True), L.ones(2, 2, requires_grad=True), L.randn(3, requires_grad=True),
              L.full((2,), 1.5, requires_grad=True), L.arange(3.0, requires_grad=True)]
        return [(t.requires_grad, t.is_leaf, repr(t) if not t.dtype.is_floating_point else str(t.dtype)) for t in ts]

    got, want = both(case)
    assert got == want


@pytest.mark.parametrize(
    "expr",
    [
        "L.empty(-2)",
        "L.zeros(-1)",
        "L.zeros(2, -3)",
        "L.ones(2.5)",
        "L.arange(0, 10, 0)",
        "L.arange(10, 0, 1)",
        "L.arange(0, float('inf'))",
        "L.linspace(0, 1, -1)",
        "L.eye(-1)",
        "L.randint(5, 3, (2,))",
        "L.randint(0, 10)",
        "L.rand(2, dtype=L.int64)",
        "L.randn(2, dtype=L.int64)",
        "L.tensor('abc')",
        "L.tensor([1, 'a'])",
        "L.tensor(None)",
        "L.full((2,), 'x')",
        "L.as_tensor([[1], [2, 3]])",
    ],
)
def test_creation_errors_match_torch(expr: str) -> None:
    same_error(lambda L: eval(expr, {"L": L, "np": np}))


def test_tensor_from_tensor_warns_like_torch() -> None:
    def case(L: Any) -> Any:
        src = L.tensor([1.0, 2.0], requires_grad=True)
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            t = L.tensor(src)
        return repr(t), t.requires_grad, [(w.category, str(w.message)) for w in record]

    got, want = both(case)
    assert got == want


# ---------------------------------------------------------------------- attributes
def test_shape_size_dim_numel() -> None:
    def case(L: Any) -> Any:
        x = L.zeros(4, 4)
        y = L.zeros(2, 3, 5)
        s = L.tensor(1.0)
        return (
            str(x.shape), repr(x.shape), str(x.size()), x.size(0), x.size(-1), y.size(1), y.size(-3),
            x.dim(), x.ndim, y.dim(), s.dim(), s.ndim, x.numel(), y.numel(), s.numel(), str(s.shape),
            x.shape == (4, 4), isinstance(x.shape, tuple), list(y.shape), y.shape[1:], str(y.shape[1:]),
            y.shape.numel(), len(y.shape), type(y.size(0)).__name__, x.element_size(),
            L.zeros(2, dtype=L.float64).element_size(), x.is_floating_point(), L.tensor([1]).is_floating_point(),
            x.dtype == L.float32, s.dtype == L.float64,
        )

    got, want = both(case)
    assert got == want


@pytest.mark.parametrize("dim", [2, -3, 5])
def test_error_size_dim_out_of_range(dim: int) -> None:
    same_error(lambda L: L.zeros(2, 3).size(dim))


def test_device() -> None:
    def case(L: Any) -> Any:
        d = L.ones(2).device
        return str(d), repr(d), d.type, d.index, d == L.device("cpu"), repr(L.device("cpu")), str(L.device("cpu"))

    got, want = both(case)
    assert got == want


def test_requires_grad_and_is_leaf_flags() -> None:
    def case(L: Any) -> Any:
        a = L.tensor([1.0, 2.0], requires_grad=True)
        b = L.tensor([1.0, 2.0])
        c = a * 2
        d = b * 2
        e = c.detach()
        return [(t.requires_grad, t.is_leaf) for t in (a, b, c, d, e)]

    got, want = both(case)
    assert got == want


def test_grad_set_get_and_delete() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        before = x.grad
        g = L.tensor([0.5, 0.5])
        x.grad = g
        same = x.grad is g
        x.grad = None
        after_none = x.grad
        x.grad = L.ones(2)
        del x.grad
        return before, same, after_none, x.grad

    got, want = both(case)
    assert got == want == (None, True, None, None)


@pytest.mark.parametrize(
    "value",
    ["L.ones(3)", "L.ones(2, dtype=L.float64)", "L.ones(2, dtype=L.int64)", "[1.0, 2.0]", "np.ones(2)", "1.0"],
)
def test_error_grad_assignment(value: str) -> None:
    def case(L: Any) -> None:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        x.grad = eval(value, {"L": L, "np": np})

    same_error(case)


def test_data_shares_storage_without_history() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        d = x.data
        d.mul_(3.0)  # allowed: .data is outside autograd, and does not bump x's version
        return d.requires_grad, d.is_leaf, x.detach().clone(), x._version, x.requires_grad

    got, want = both(case)
    _same_tensor(got[2], want[2])
    assert got[:2] == want[:2]
    assert got[3:] == want[3:]


def test_data_setter() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        x.data = L.tensor([5.0, 6.0, 7.0])
        return x.detach().clone(), x.requires_grad, tuple(x.shape)

    got, want = both(case)
    _same_tensor(got[0], want[0])
    assert got[1:] == want[1:]


def test_detach_shares_storage_and_version_counter() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        d = y.detach()
        d.add_(1.0)
        return d.requires_grad, d.is_leaf, d.grad_fn, y.detach().clone(), y._version, d._version

    got, want = both(case)
    assert got[:3] == want[:3]
    _same_tensor(got[3], want[3])
    assert got[4:] == want[4:]


def test_detach_in_place() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        r = y.detach_()
        return r is y, y.requires_grad, y.is_leaf, y.grad_fn, repr(y)

    got, want = both(case)
    assert got == want


def test_version_counter() -> None:
    def case(L: Any) -> list[int]:
        x = L.zeros(3)
        out = [x._version]
        x.add_(1)
        out.append(x._version)
        x.mul_(2)
        out.append(x._version)
        x[0] = 5.0
        out.append(x._version)
        _ = x + 1
        out.append(x._version)
        x.zero_()
        out.append(x._version)
        return out

    got, want = both(case)
    assert got == want


@pytest.mark.parametrize(
    ("expr", "value"),
    [("L.tensor(2.5).item()", 2.5), ("L.tensor(3).item()", 3), ("L.tensor([7.0]).item()", 7.0),
     ("L.tensor(True).item()", True), ("L.tensor([[4]], dtype=L.int32).item()", 4),
     ("L.tensor(1.5, requires_grad=True).item()", 1.5)],
)
def test_item(expr: str, value: Any) -> None:
    got, want = both(lambda L: eval(expr, {"L": L}))
    assert got == want == value
    assert type(got) is type(want)


def test_error_item_many_elements() -> None:
    same_error(lambda L: L.tensor([1.0, 2.0]).item())


def test_tolist() -> None:
    def case(L: Any) -> Any:
        return (
            L.tensor([[1, 2], [3, 4]]).tolist(),
            L.tensor([1.5, 2.5], requires_grad=True).tolist(),
            L.tensor(3.0).tolist(),
            L.tensor([True, False]).tolist(),
            L.zeros(0, 2).tolist(),
        )

    got, want = both(case)
    assert got == want
    assert [type(v) for v in got[0][0]] == [type(v) for v in want[0][0]]


def test_numpy_shares_memory_and_dtype() -> None:
    def case(L: Any) -> Any:
        t = L.tensor([1.0, 2.0], dtype=L.float64)
        a = t.numpy()
        a[0] = 9.0
        return a.dtype, t.clone(), L.tensor([1, 2], dtype=L.int32).numpy().dtype

    (gd, gt, gi), (td, tt, ti) = both(case)
    assert gd == td and gi == ti
    _same_tensor(gt, tt)


def test_error_numpy_requires_grad() -> None:
    same_error(lambda L: L.tensor([1.0, 2.0], requires_grad=True).numpy())


def test_numpy_force_and_detach() -> None:
    def case(L: Any) -> Any:
        t = L.tensor([1.0, 2.0], requires_grad=True)
        return t.numpy(force=True), t.detach().numpy()

    (g1, g2), (t1, t2) = both(case)
    np.testing.assert_array_equal(g1, t1)
    np.testing.assert_array_equal(g2, t2)
    assert g1.dtype == t1.dtype


@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")
def test_np_asarray_via_array_protocol() -> None:
    def case(L: Any) -> Any:
        t = L.tensor([[1.0, 2.0], [3.0, 4.0]])
        a = np.asarray(t)
        b = np.asarray(L.tensor([1, 2], dtype=L.int16), dtype=np.float64)
        return a, b, np.array(L.tensor(2.5))

    got, want = both(case)
    for g, t in zip(got, want):
        assert g.dtype == t.dtype
        np.testing.assert_array_equal(g, t)


def test_error_np_asarray_requires_grad() -> None:
    same_error(lambda L: np.asarray(L.tensor([1.0], requires_grad=True)))


def test_transpose_T_clone() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        xt = x.T
        c = x.clone()
        with L.no_grad():
            d = L.tensor([1.0, 2.0])
            e = d.clone()
            e.add_(1.0)
        return xt, repr(xt), c, repr(c), c.is_leaf, c.requires_grad, d, e

    got, want = both(case)
    for g, t in zip(got, want):
        if isinstance(t, str) or isinstance(t, bool):
            assert g == t
        else:
            _same_tensor(g, t)


@pytest.mark.parametrize("method", ["float", "double", "long", "int", "bool", "half", "short"])
@pytest.mark.parametrize("src", ["L.tensor([1.7, -2.2, 0.0])", "L.tensor([3, 0, -1])", "L.tensor([True, False, True])"])
def test_conversion_methods(method: str, src: str) -> None:
    def case(L: Any) -> Any:
        t = eval(src, {"L": L})
        r = getattr(t, method)()
        return r, r is t

    (g, gs), (t, ts) = both(case)
    _same_tensor(g, t)
    assert gs == ts


def test_to_dtype() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.5, -2.5], requires_grad=True)
        a = x.to(L.float64)
        b = x.to(L.float32)
        c = x.to(L.int64)
        d = x.to(dtype=L.float16)
        e = x.to("cpu")
        f = L.tensor([1, 2]).to(L.float32)
        g = x.to(L.tensor([1], dtype=L.float64))
        h = x.to("cpu", L.float64)
        i = x.to(device="cpu", dtype=L.int32)
        return a, repr(a), b is x, c, repr(c), d, e is x, f, repr(g), repr(h), repr(i)

    got, want = both(case)
    for g, t in zip(got, want):
        if isinstance(t, (str, bool)):
            assert g == t
        else:
            _same_tensor(g, t)


def test_len_and_iter() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([[1, 2], [3, 4], [5, 6]])
        rows = list(x)
        return len(x), len(L.zeros(0, 3)), [r.tolist() for r in rows], [str(r.shape) for r in rows], \
            [v.item() for v in L.tensor([7.0, 8.0])], [repr(v) for v in L.tensor([1.0, 2.0], requires_grad=True)]

    got, want = both(case)
    assert got == want


def test_error_len_0d() -> None:
    same_error(lambda L: len(L.tensor(1.0)))


def test_error_iter_0d() -> None:
    same_error(lambda L: iter(L.tensor(1.0)))


def test_bool_of_tensors() -> None:
    def case(L: Any) -> Any:
        return bool(L.tensor(1.0)), bool(L.tensor([0])), bool(L.tensor([[True]])), bool(L.tensor(0.0))

    got, want = both(case)
    assert got == want


@pytest.mark.parametrize("src", ["L.tensor([1.0, 2.0])", "L.tensor([])", "L.zeros(2, 2)"])
def test_error_bool_ambiguous(src: str) -> None:
    same_error(lambda L: bool(eval(src, {"L": L})))


def test_python_float_int_conversions() -> None:
    def case(L: Any) -> Any:
        return (
            float(L.tensor(2.5)), int(L.tensor(2.7)), int(L.tensor(-2.7)), float(L.tensor([3])),
            int(L.tensor([[4]])), [10, 20, 30][L.tensor(1)],
        )

    got, want = both(case)
    assert got == want
    assert [type(v) for v in got] == [type(v) for v in want]


@pytest.mark.parametrize("conv", ["float", "int"])
def test_error_python_scalar_conversion_of_many(conv: str) -> None:
    fn = {"float": float, "int": int}[conv]
    same_error(lambda L: fn(L.tensor([1.0, 2.0])))


def test_error_index_with_float_tensor() -> None:
    same_error(lambda L: [1, 2, 3][L.tensor(1.0)])


def test_format() -> None:
    def case(L: Any) -> Any:
        s = L.tensor(1.23456)
        v = L.tensor([1.0, 2.0])
        return (
            format(s, ".3f"), f"{s:.2e}", f"{s}", f"{v}", f"{L.tensor(3)}", format(L.tensor(7), "05d"),
            f"{L.tensor(2.5, requires_grad=True):.1f}", f"{L.tensor([1.5], requires_grad=True)}",
        )

    got, want = both(case)
    assert got == want


def test_error_format_spec_on_1d() -> None:
    same_error(lambda L: format(L.tensor([1.0, 2.0]), ".3f"))


# ---------------------------------------------------------------------- printing
REPR_CASES = [
    "L.tensor([1.0, 2.0, 3.0])",
    "L.tensor([1.0, 2.0], requires_grad=True)",
    "L.tensor([1.0, 2.0], requires_grad=True) * 2",
    "L.tensor([1.0, 2.0], requires_grad=True).sum()",
    "L.tensor([1.0, 2.0], requires_grad=True) + 1",
    "L.tensor([1.0, 2.5], dtype=L.float64)",
    "L.tensor([1.0, 2.5], dtype=L.float64, requires_grad=True)",
    "L.tensor([1.0, 2.5], dtype=L.float64, requires_grad=True).exp()",
    "L.tensor([1, 2], dtype=L.int32)",
    "L.tensor([1, 2])",
    "L.tensor(3)",
    "L.tensor(2.5)",
    "L.tensor([True, False])",
    "L.tensor([], dtype=L.int32)",
    "L.tensor([])",
    "L.zeros(2, 0)",
    "L.tensor([[1.5, -2.25], [1e-5, 123456.0]])",
    "L.tensor([1e10, 1.0])",
    "L.tensor([0.1, 0.25], dtype=L.float16)",
    "L.arange(12).reshape(3, 4)",
    "L.tensor([1, 2], dtype=L.uint8)",
    "L.ones(2, 3, dtype=L.int8)",
    "L.tensor([[1.0, 2.0]], requires_grad=True).T",
]


@pytest.mark.parametrize("expr", REPR_CASES)
def test_repr_and_str_match_torch(expr: str) -> None:
    got, want = both(lambda L: eval(expr, {"L": L}))
    assert repr(got) == repr(want)
    assert str(got) == str(want)


def test_repr_of_grad_and_detach() -> None:
    def case(L: Any) -> Any:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward()
        return repr(x.grad), repr(x.detach()), repr((x * 2).detach()), repr(x.data)

    got, want = both(case)
    assert got == want


def test_tensor_printing_does_not_warn() -> None:
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        repr(x * 2)
        str(x)
    assert record == []


def test_random_fills_uniform_normal() -> None:
    """Tensor.uniform_ / normal_: PyTorch's grad_fn names and errors; glassgrad's own numbers."""
    torch = pytest.importorskip("torch")
    for m in (gg, torch):
        x = m.zeros(3, requires_grad=True).clone()
        assert x.uniform_(-1, 1).grad_fn.name() == "UniformBackward0"
        assert x.normal_(0, 2).grad_fn.name() == "NormalBackward0"
    for f in (lambda m: m.zeros(2, requires_grad=True).uniform_(), lambda m: m.zeros(2, dtype=m.int64).uniform_(),
              lambda m: m.zeros(2).normal_(0, -1), lambda m: m.zeros(2).uniform_(2, 1)):
        with pytest.raises(Exception) as e_t:
            f(torch)
        with pytest.raises(type(e_t.value), match=re.escape(str(e_t.value))):
            f(gg)
    gg.manual_seed(0)
    u = gg.empty(10000).uniform_(2, 3)
    n = gg.empty(10000).normal_(5, 0.5)
    assert 2 <= u.min().item() and u.max().item() < 3 and abs(n.mean().item() - 5) < 0.05
    assert abs(n.std().item() - 0.5) < 0.05
    w = gg.ones(3, requires_grad=True)
    y = w * 1
    y.normal_()
    y.sum().backward()      # the old value gets no gradient
    assert w.grad.tolist() == [0.0, 0.0, 0.0]
