"""glassgrad.save / glassgrad.load: round trips (checked against torch.save/torch.load) and damaged files."""

from __future__ import annotations

import collections
import io
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassgrad as gg
from opinfo import both, same_error


def plain(obj: Any, values: bool = True) -> Any:
    """A library-neutral picture of ``obj``, tensors with their dtype, shape, values (exactly) and flags."""
    name = type(obj).__name__
    if name in ("Tensor", "Parameter"):
        data = repr(obj.detach().numpy().tolist()) if values else None
        return (name, str(obj.dtype), tuple(obj.shape), data, obj.requires_grad)
    if isinstance(obj, dict):
        return (name, [(plain(k, values), plain(v, values)) for k, v in obj.items()])
    if isinstance(obj, (list, tuple)) and name in ("list", "tuple"):
        return (name, [plain(v, values) for v in obj])
    if isinstance(obj, float):
        return ("float", repr(obj))
    return (name, repr(obj))


def roundtrip(L: Any, obj: Any) -> Any:
    buf = io.BytesIO()
    L.save(obj, buf)
    buf.seek(0)
    return L.load(buf)


OBJECTS = {
    "tensor": lambda L: L.arange(6.0).reshape(2, 3),
    "requires_grad": lambda L: L.tensor([1.5, -2.0], requires_grad=True),
    "scalar_tensor": lambda L: L.tensor(3, dtype=L.int16),
    "empty": lambda L: L.zeros(0, 3, dtype=L.float64),
    "dtypes": lambda L: [L.tensor([1, 0, 1], dtype=d) for d in
                         (L.float16, L.float32, L.float64, L.int8, L.int16, L.int32, L.int64, L.uint8, L.bool)],
    "transposed": lambda L: L.arange(6.0).reshape(2, 3).t(),
    "parameter": lambda L: L.nn.Parameter(L.ones(2, 2)),
    "frozen_parameter": lambda L: L.nn.Parameter(L.ones(2), requires_grad=False),
    "python": lambda L: {"a": [1, 2.5, None, True, "é✓", float("inf"), -0.0, 2**70], "b": (1, (2, [3.0]))},
    "int_keys": lambda L: {0: {"step": 1}, 1: {"momentum_buffer": None}, (1, "x"): b"bytes"},
    "ordered": lambda L: collections.OrderedDict([("z", L.ones(1)), ("a", 2)]),
    "size_dtype": lambda L: [L.Size([2, 3]), L.float64, 1 + 2j],
    "nested_tensors": lambda L: {"layers": [{"w": L.full((2,), 0.25), "b": L.zeros(1)}], "ids": L.arange(3)},
}


@pytest.mark.parametrize("case", sorted(OBJECTS))
def test_roundtrip_matches_torch(case: str) -> None:
    got, expected = both(lambda L: roundtrip(L, OBJECTS[case](L)))
    assert plain(got) == plain(expected)


_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5) \
    | st.binary(max_size=5)
_tensors = st.lists(st.floats(-1e6, 1e6, width=32), max_size=4).map(gg.tensor)
_values = st.recursive(_scalars | _tensors, lambda inner: st.lists(inner, max_size=3)
                       | st.lists(inner, max_size=3).map(tuple)
                       | st.dictionaries(st.integers() | st.text(max_size=3), inner, max_size=3), max_leaves=12)


@settings(max_examples=40, deadline=None)
@given(_values)
def test_roundtrip_of_any_nesting(obj: Any) -> None:
    assert plain(roundtrip(gg, obj)) == plain(obj)


def test_nan_and_same_tensor_twice() -> None:
    t = gg.ones(3)
    out = roundtrip(gg, [float("nan"), t, t, {"again": t}])
    assert math.isnan(out[0]) and out[1] is out[2] is out[3]["again"]


def test_loaded_tensors_own_writable_memory() -> None:
    out = roundtrip(gg, {"w": gg.ones(2)})
    out["w"].add_(1)
    assert out["w"].tolist() == [2.0, 2.0]


def test_ordered_dict_metadata_preserved() -> None:
    sd = collections.OrderedDict(weight=gg.ones(1))
    sd._metadata = collections.OrderedDict([("", {"version": 1})])
    out = roundtrip(gg, sd)
    assert type(out) is collections.OrderedDict and out._metadata == {"": {"version": 1}}


def test_linear_state_dict_roundtrip(tmp_path: Any) -> None:
    gg.manual_seed(0)
    model = gg.nn.Linear(4, 3)
    path = tmp_path / "model.gg"
    gg.save(model.state_dict(), path)
    loaded = gg.load(path)
    assert type(loaded) is collections.OrderedDict and list(loaded) == ["weight", "bias"]
    fresh = gg.nn.Linear(4, 3)
    fresh.load_state_dict(loaded)
    x = gg.randn(5, 4)
    assert np.array_equal(fresh(x).detach().numpy(), model(x).detach().numpy())
    gg.save(model.state_dict(), str(path))  # a str path works too
    assert plain(gg.load(str(path))) == plain(model.state_dict())


def test_sgd_state_dict_roundtrip_matches_torch() -> None:
    """Train, save model and optimizer (momentum buffers), restore into fresh ones, train on: as torch."""
    w0 = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    x = np.linspace(0, 2, 12, dtype=np.float32).reshape(4, 3)

    def run(L: Any) -> Any:
        def make() -> Any:
            model = L.nn.Linear(3, 2)
            with L.no_grad():
                model.weight.copy_(L.tensor(w0))
                model.bias.fill_(0.5)
            return model, L.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)

        def step(model: Any, opt: Any) -> None:
            opt.zero_grad()
            (model(L.tensor(x)) ** 2).mean().backward()
            opt.step()
        model, opt = make()
        step(model, opt)
        step(model, opt)
        saved = roundtrip(L, {"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 2})
        assert plain(saved["optim"]) == plain(opt.state_dict())
        buffers = [s["momentum_buffer"].numpy() for s in saved["optim"]["state"].values()]
        model2, opt2 = make()
        model2.load_state_dict(saved["model"])
        opt2.load_state_dict(saved["optim"])
        step(model2, opt2)
        return (plain(saved["optim"], values=False), saved["epoch"], buffers, model2.weight.detach().numpy(),
                model2.bias.detach().numpy())
    got, expected = both(run)
    assert got[:2] == expected[:2]
    for g, e in zip(got[2] + [got[3], got[4]], expected[2] + [expected[3], expected[4]]):
        np.testing.assert_allclose(g, e, rtol=1e-5)


def test_file_objects_sequential_saves_and_options() -> None:
    buf = io.BytesIO()
    gg.save(gg.ones(2), buf)
    gg.save({"k": 1}, buf)
    buf.seek(0)
    assert gg.load(buf, weights_only=False).tolist() == [1.0, 1.0]
    assert gg.load(buf, map_location="cpu") == {"k": 1}
    buf.seek(0)
    doubled = gg.load(buf, map_location=lambda t, loc: t * 2)
    assert doubled.tolist() == [2.0, 2.0]
    buf.seek(0)
    assert gg.load(buf, map_location=gg.device("cpu"), weights_only=True).tolist() == [1.0, 1.0]


def test_map_location_cuda_error_matches_torch() -> None:
    def case(L: Any) -> Any:
        buf = io.BytesIO()
        L.save({"w": L.ones(2)}, buf)
        buf.seek(0)
        return L.load(buf, map_location="cuda")
    same_error(case)


# ---------------------------------------------------------------------------- refusals

def saved_bytes(obj: Any) -> bytes:
    buf = io.BytesIO()
    gg.save(obj, buf)
    return buf.getvalue()


def load_error(data: bytes) -> str:
    with pytest.raises(RuntimeError) as info:
        gg.load(io.BytesIO(data))
    assert str(info.value).startswith("glassgrad.load: cannot read <BytesIO>: ")
    return str(info.value)


def test_every_truncation_is_refused() -> None:
    data = saved_bytes({"w": gg.arange(40.0), "b": [gg.ones(3, dtype=gg.int64)]})
    for cut in sorted({0, 1, 15, 16, 31, 32, 33, len(data) // 2, len(data) - 64, len(data) - 1} | set(range(0, 64, 7))):
        msg = load_error(data[:cut])
        assert ("empty" in msg) if cut == 0 else ("truncated" in msg), (cut, msg)


@pytest.mark.parametrize("where", [40, -1, -200])
def test_flipped_bytes_are_refused(where: int) -> None:
    data = bytearray(saved_bytes({"w": gg.arange(40.0)}))
    data[where] ^= 0x55
    assert "checksum" in load_error(bytes(data))


def test_any_damaged_byte_is_refused() -> None:
    """Flip each byte of a small save in turn: every one is caught, always as the RuntimeError."""
    data = saved_bytes({"w": gg.arange(5.0), "n": [1, None]})
    for i in range(len(data)):
        damaged = bytearray(data)
        damaged[i] ^= 0xFF
        load_error(bytes(damaged))


@pytest.mark.parametrize("data, fragment", [
    (b"not a model at all, just some text", "not a file written by glassgrad.save"),
    (b"\x00" * 100, "not a file written by glassgrad.save"),
    (b"GLASSGRAD", "truncated"),
])
def test_garbage_is_refused(data: bytes, fragment: str) -> None:
    assert fragment in load_error(data)


def test_newer_version_and_bad_manifest_are_refused() -> None:
    import json
    import struct
    import zlib

    from glassgrad import serialization as S

    def build(manifest: Any, version: int = 1) -> bytes:
        raw = json.dumps(manifest).encode()
        return struct.pack("<16sIQI", S.MAGIC, version, len(raw), zlib.crc32(raw)) + raw
    assert "format version 7" in load_error(build({}, version=7))
    assert "lacks" in load_error(build({"object": 1}))
    empty = {"tensors": [], "data_bytes": 0, "data_crc32": 0}
    assert "tensor index" in load_error(build({**empty, "object": {"tensor": 0}}))
    bad_shape = {"dtype": "float32", "shape": [4], "offset": 0, "nbytes": 4}
    assert "not the 4 elements" in load_error(build({**empty, "tensors": [bad_shape], "object": {"tensor": 0}}))
    assert "unknown tag" in load_error(build({**empty, "object": {"pickle": []}}))
    assert "unknown dtype" in load_error(build({**empty, "object": {"dtype": "object"}}))


def test_torch_file_is_refused_by_name(tmp_path: Any) -> None:
    torch = pytest.importorskip("torch")
    path = tmp_path / "torch_model.pt"
    torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(RuntimeError, match=r"cannot read '.*torch_model\.pt': .*zip archive, perhaps written by torch"):
        gg.load(path)


def test_text_mode_file_and_unsupported_options_are_refused(tmp_path: Any) -> None:
    path = tmp_path / "t.gg"
    gg.save([gg.ones(1)], path)
    with open(path) as text, pytest.raises(RuntimeError, match="opened in text mode"):
        gg.load(text)
    for kw in ({"map_location": "meta"}, {"mmap": True}, {"pickle_module": object()}):
        with pytest.raises(RuntimeError, match="not supported"):
            gg.load(path, **kw)


def test_missing_file_error_matches_torch(tmp_path: Any) -> None:
    same_error(lambda L: L.load(tmp_path / "missing.pt"))


class Custom:
    pass


@pytest.mark.parametrize("obj, fragment", [
    (gg.nn.Linear(2, 2), "Linear (save its state_dict() instead)"),
    ({"loss": np.float64(1.0)}, "numpy.float64"),
    ([Custom()], "Custom"),
    (collections.namedtuple("P", "x")(1), "P"),
])
def test_unsupported_objects_are_refused_before_writing(tmp_path: Any, obj: Any, fragment: str) -> None:
    path = tmp_path / "out.gg"
    with pytest.raises(TypeError, match="glassgrad.save cannot store an object of type") as info:
        gg.save(obj, path)
    assert fragment in str(info.value) and not path.exists()


def test_self_containing_object_is_refused() -> None:
    loop: list[Any] = [1]
    loop.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        gg.save(loop, io.BytesIO())
