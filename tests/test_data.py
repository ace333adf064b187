"""glassgrad.utils.data: datasets, samplers, collation and the DataLoader, against torch.utils.data."""

from __future__ import annotations

import collections
import warnings
from typing import Any

import numpy as np
import pytest

import glassgrad as gg
from glassgrad.utils import data as gdata
from opinfo import both, same_error

Point = collections.namedtuple("Point", ["x", "y"])


def plain(obj: Any) -> Any:
    """A library-neutral picture of ``obj``: tensors become ``("T", dtype, shape, values)``."""
    if type(obj).__name__ in ("Tensor", "Parameter"):
        return ("T", str(obj.dtype), tuple(obj.shape), obj.detach().numpy().tolist())
    if isinstance(obj, Point):
        return ("Point", plain(obj.x), plain(obj.y))
    if isinstance(obj, dict):
        return (type(obj).__name__, [(k, plain(v)) for k, v in obj.items()])
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [plain(v) for v in obj])
    return obj


def lib_data(L: Any) -> Any:
    return gdata if L is gg else L.utils.data


# ---------------------------------------------------------------------------- default_collate

COLLATE_CASES = {
    "tensors": lambda L: [L.tensor([1.0, 2.0]), L.tensor([3.0, 4.0])],
    "int_tensors": lambda L: [L.tensor(1), L.tensor(2)],
    "ints": lambda L: [0, 1, 2, 3],
    "floats": lambda L: [0.5, 1.5],
    "bools": lambda L: [True, False, True],
    "strings": lambda L: ["a", "b"],
    "bytes": lambda L: [b"a", b"b"],
    "np_arrays": lambda L: [np.ones((2, 3), np.float32), np.zeros((2, 3), np.float32)],
    "np_int_arrays": lambda L: [np.arange(3, dtype=np.int16), np.arange(3, dtype=np.int16)],
    "np_f32_scalars": lambda L: [np.float32(1.5), np.float32(2.5)],
    "np_f64_scalars": lambda L: [np.float64(1.5), np.float64(2.5)],
    "np_i32_scalars": lambda L: [np.int32(1), np.int32(7)],
    "np_bool_scalars": lambda L: [np.bool_(True), np.bool_(False)],
    "tuples": lambda L: [(L.tensor([1.0]), 0), (L.tensor([2.0]), 1)],
    "lists": lambda L: [[0, 1.5], [2, 3.5]],
    "dicts": lambda L: [{"A": 0, "B": L.tensor([1, 2])}, {"A": 100, "B": L.tensor([3, 4])}],
    "ordered_dicts": lambda L: [collections.OrderedDict(b=1.0, a=2), collections.OrderedDict(b=3.0, a=4)],
    "namedtuples": lambda L: [Point(0, 1.0), Point(2, 3.0)],
    "nested": lambda L: [{"x": (L.ones(2), [1, 2]), "name": "p"}, {"x": (L.zeros(2), [3, 4]), "name": "q"}],
}


@pytest.mark.parametrize("case", sorted(COLLATE_CASES))
def test_default_collate_matches_torch(case: str) -> None:
    got, expected = both(lambda L: lib_data(L).default_collate(COLLATE_CASES[case](L)))
    assert plain(got) == plain(expected)


@pytest.mark.parametrize("batch", [
    [object(), object()],
    [[1, 2], [3]],
    [np.array(["a"]), np.array(["b"])],
])
def test_default_collate_errors_match_torch(batch: list[Any]) -> None:
    same_error(lambda L: lib_data(L).default_collate(batch))


@pytest.mark.parametrize("value", [np.arange(3), (np.float32(2.0), [np.arange(2)]), {"k": np.ones(2)}, 5, "s"])
def test_default_convert_matches_torch(value: Any) -> None:
    got, expected = both(lambda L: lib_data(L).default_convert(value))
    assert plain(got) == plain(expected)


# ---------------------------------------------------------------------------- datasets

def test_tensor_dataset_indexing_and_size_mismatch() -> None:
    got, expected = both(lambda L: (lambda ds: (len(ds), ds[2], ds[1:3]))(
        lib_data(L).TensorDataset(L.arange(12.0).reshape(4, 3), L.tensor([0, 1, 0, 1]))))
    assert plain(got) == plain(expected)
    same_error(lambda L: lib_data(L).TensorDataset(L.ones(3), L.ones(4)))


def test_subset_and_concat() -> None:
    def case(L: Any) -> Any:
        d = lib_data(L)
        ds = d.TensorDataset(L.arange(10))
        sub = d.Subset(ds, [7, 2, 5])
        cat = ds + d.TensorDataset(L.arange(100, 103))
        return len(sub), sub[0], sub[[0, 2]], sub.__getitems__([1, 2]), len(cat), cat[10], cat[-1], cat.cumulative_sizes
    got, expected = both(case)
    assert plain(got) == plain(expected)
    same_error(lambda L: lib_data(L).ConcatDataset([]))
    same_error(lambda L: lib_data(L).ConcatDataset([range(3)])[-4])


def test_dataset_base_class_error() -> None:
    same_error(lambda L: lib_data(L).Dataset()[0])


@pytest.mark.parametrize("n, lengths", [
    (10, [3, 7]), (10, [0.5, 0.5]), (10, [0.3, 0.3, 0.4]), (11, [0.3, 0.3, 0.4]), (7, [0.1] * 10),
    (30, [0.3, 0.3, 0.4]), (5, [0.9, 0.1]), (1000, [1 / 3, 1 / 3, 1 / 3]), (3, [1.0]),
])
def test_random_split_lengths_match_torch(n: int, lengths: list[float]) -> None:
    def case(L: Any) -> Any:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            parts = lib_data(L).random_split(range(n), lengths, generator=L.Generator().manual_seed(0))
        return [len(p) for p in parts], [str(x.message) for x in w], parts
    (got, got_warn, parts), (expected, expected_warn, _) = both(case)
    assert got == expected and got_warn == expected_warn
    assert sorted(i for p in parts for i in p) == list(range(n))  # disjoint and covering


@pytest.mark.parametrize("lengths", [[3, 3], [1.5, -0.5], [0.2, 0.2]])
def test_random_split_errors_match_torch(lengths: list[float]) -> None:
    same_error(lambda L: lib_data(L).random_split(range(10), lengths))


def test_random_split_is_deterministic_for_a_seed() -> None:
    def split(seed: int) -> list[list[int]]:
        return [list(p) for p in gdata.random_split(range(20), [0.5, 0.5], generator=gg.Generator().manual_seed(seed))]
    assert split(3) == split(3)
    assert split(3) != split(4)
    gg.manual_seed(5)
    a = [list(p) for p in gdata.random_split(range(20), [10, 10])]
    gg.manual_seed(5)
    assert a == [list(p) for p in gdata.random_split(range(20), [10, 10])]


# ---------------------------------------------------------------------------- samplers

def test_samplers_match_torch() -> None:
    def case(L: Any) -> Any:
        d = lib_data(L)
        seq = d.SequentialSampler(range(7))
        return (list(seq), len(seq), list(d.BatchSampler(seq, 3, False)), list(d.BatchSampler(seq, 3, True)),
                len(d.BatchSampler(seq, 3, False)), len(d.BatchSampler(seq, 3, True)),
                len(d.RandomSampler(range(7))), len(d.RandomSampler(range(7), replacement=True, num_samples=40)))
    got, expected = both(case)
    assert got == expected


@pytest.mark.parametrize("make", [
    lambda d: d.BatchSampler(range(3), 0, False),
    lambda d: d.BatchSampler(range(3), True, False),
    lambda d: d.BatchSampler(range(3), 2, 1),
    lambda d: d.RandomSampler(range(3), replacement=1),
    lambda d: d.RandomSampler(range(3), num_samples=0),
    lambda d: d.WeightedRandomSampler([0.5, 0.5], 0),
    lambda d: d.WeightedRandomSampler([[0.5, 0.5]], 2),
])
def test_sampler_errors_match_torch(make: Any) -> None:
    same_error(lambda L: make(lib_data(L)))


def test_random_samplers_are_seeded_permutations() -> None:
    g = gg.Generator().manual_seed(0)
    sampler = gdata.RandomSampler(range(50), generator=g)
    first, second = list(sampler), list(sampler)
    assert sorted(first) == sorted(second) == list(range(50)) and first != second
    again = gdata.RandomSampler(range(50), generator=gg.Generator().manual_seed(0))
    assert [list(again), list(again)] == [first, second]
    drawn = list(gdata.RandomSampler(range(5), replacement=True, num_samples=70, generator=g))
    assert len(drawn) == 70 and set(drawn) <= set(range(5))
    assert len(list(gdata.RandomSampler(range(5), num_samples=12, generator=g))) == 12
    assert sorted(gdata.SubsetRandomSampler([4, 8, 9], generator=g)) == [4, 8, 9]
    weighted = list(gdata.WeightedRandomSampler([0.0, 1.0, 0.0, 2.0], 30, generator=g))
    assert len(weighted) == 30 and set(weighted) <= {1, 3}


# ---------------------------------------------------------------------------- DataLoader

class DictDataset:
    """A map-style dataset that is not a Dataset subclass (any __getitem__/__len__ will do)."""

    def __init__(self, L: Any) -> None:
        self.L = L

    def __len__(self) -> int:
        return 5

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"x": self.L.full((2,), float(i)), "label": i, "w": i / 2, "name": f"s{i}"}


def loader_cases() -> dict[str, Any]:
    def tensors(L: Any) -> Any:
        return lib_data(L).TensorDataset(L.arange(14.0).reshape(7, 2), L.arange(7))
    return {
        "default": lambda L: lib_data(L).DataLoader(tensors(L)),
        "bs3": lambda L: lib_data(L).DataLoader(tensors(L), batch_size=3),
        "bs3_drop": lambda L: lib_data(L).DataLoader(tensors(L), batch_size=3, drop_last=True),
        "bs7": lambda L: lib_data(L).DataLoader(tensors(L), batch_size=7, shuffle=False),
        "bs10": lambda L: lib_data(L).DataLoader(tensors(L), batch_size=10),
        "no_batching": lambda L: lib_data(L).DataLoader(tensors(L), batch_size=None),
        "dicts": lambda L: lib_data(L).DataLoader(DictDataset(L), batch_size=2),
        "sampler": lambda L: lib_data(L).DataLoader(tensors(L), batch_size=2, sampler=[6, 0, 3]),
        "batch_sampler": lambda L: lib_data(L).DataLoader(tensors(L), batch_sampler=[[1, 2], [0], [6, 5, 4]]),
        "collate_fn": lambda L: lib_data(L).DataLoader(tensors(L), batch_size=4, collate_fn=lambda b: len(b)),
        "subset": lambda L: lib_data(L).DataLoader(lib_data(L).Subset(tensors(L), [5, 1, 3]), batch_size=2),
        "workers": lambda L: lib_data(L).DataLoader(tensors(L), batch_size=3, num_workers=0),
        "list": lambda L: lib_data(L).DataLoader([1.0, 2.0, 3.0], batch_size=2),
    }


@pytest.mark.parametrize("case", sorted(loader_cases()))
def test_dataloader_batches_match_torch(case: str) -> None:
    make = loader_cases()[case]
    got, expected = both(lambda L: (lambda dl: (len(dl), len(iter(dl)), [plain(b) for b in dl]))(make(L)))
    assert got == expected


def test_iterable_dataset_loading_matches_torch() -> None:
    def case(L: Any) -> Any:
        class Stream(lib_data(L).IterableDataset):
            def __iter__(self) -> Any:
                return iter(range(7))

            def __len__(self) -> int:
                return 7
        d = lib_data(L)
        return [(len(dl), [plain(b) for b in dl]) for dl in (
            d.DataLoader(Stream(), batch_size=3), d.DataLoader(Stream(), batch_size=3, drop_last=True),
            d.DataLoader(Stream(), batch_size=None), d.DataLoader(Stream() + Stream(), batch_size=5))]
    got, expected = both(case)
    assert got == expected


def test_num_workers_runs_in_process() -> None:
    ds = gdata.TensorDataset(gg.arange(10))
    a = [b[0].tolist() for b in gdata.DataLoader(ds, batch_size=4, num_workers=2)]
    assert a == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert gdata.get_worker_info() is None


def test_shuffle_is_a_seeded_permutation_each_epoch() -> None:
    ds = gdata.TensorDataset(gg.arange(20))

    def epochs(loader: Any, n: int = 3) -> list[list[int]]:
        return [[i for b in loader for i in b[0].tolist()] for _ in range(n)]
    runs = epochs(gdata.DataLoader(ds, batch_size=6, shuffle=True, generator=gg.Generator().manual_seed(1)))
    assert all(sorted(r) == list(range(20)) for r in runs)
    assert len({tuple(r) for r in runs}) == 3  # each epoch a new order
    assert runs == epochs(gdata.DataLoader(ds, batch_size=6, shuffle=True, generator=gg.Generator().manual_seed(1)))
    assert runs != epochs(gdata.DataLoader(ds, batch_size=6, shuffle=True, generator=gg.Generator().manual_seed(2)))
    gg.manual_seed(0)  # no generator: seeded from the default generator, so manual_seed reproduces it
    first = epochs(gdata.DataLoader(ds, batch_size=5, shuffle=True))
    gg.manual_seed(0)
    assert first == epochs(gdata.DataLoader(ds, batch_size=5, shuffle=True))
    shapes = [tuple(b[0].shape) for b in gdata.DataLoader(ds, batch_size=6, shuffle=True, drop_last=True)]
    assert shapes == [(6,)] * 3


@pytest.mark.parametrize("make", [
    lambda d, ds: d.DataLoader(ds, shuffle=True, sampler=[0, 1]),
    lambda d, ds: d.DataLoader(ds, batch_size=2, batch_sampler=[[0, 1]]),
    lambda d, ds: d.DataLoader(ds, drop_last=True, batch_sampler=[[0, 1]]),
    lambda d, ds: d.DataLoader(ds, batch_size=None, drop_last=True),
    lambda d, ds: d.DataLoader(ds, num_workers=-1),
    lambda d, ds: d.DataLoader(ds, timeout=-1),
    lambda d, ds: d.DataLoader(ds, prefetch_factor=2),
    lambda d, ds: d.DataLoader(ds, persistent_workers=True),
    lambda d, ds: d.DataLoader(ds, batch_size=0),
    lambda d, ds: setattr(d.DataLoader(ds), "batch_size", 4),
])
def test_dataloader_errors_match_torch(make: Any) -> None:
    same_error(lambda L: make(lib_data(L), lib_data(L).TensorDataset(L.arange(4))))


def test_dataloader_iterable_dataset_errors_match_torch() -> None:
    def case(L: Any, **kw: Any) -> Any:
        class Stream(lib_data(L).IterableDataset):
            def __iter__(self) -> Any:
                return iter(range(3))
        return lib_data(L).DataLoader(Stream(), **kw)
    same_error(lambda L: case(L, shuffle=True))
    same_error(lambda L: len(case(L)))
