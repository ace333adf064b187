"""``glassgrad.save`` / ``glassgrad.load``: tensors and state dicts on disk, in a format that holds
only data — loading never runs code (no pickle).

What can be saved: tensors (dtype, shape, values, ``requires_grad``, and whether it is an
``nn.Parameter``), ``None``, bools, ints, floats (``nan``/``inf`` included), complex numbers,
strings, bytes, ``glassgrad.Size``, dtypes and devices, and lists, tuples, dicts (any of these as
keys, e.g. an optimizer's integer parameter ids) and ``OrderedDict``\\ s (with their
``_metadata``) nesting them — so module and optimizer ``state_dict()``\\ s round-trip.  Anything
else (a whole ``nn.Module``, a NumPy scalar, an arbitrary class) is refused by ``save`` with a
``TypeError`` naming it.

Not preserved, unlike ``torch.save``: shared storage between different tensors (views are saved
as separate copies; the *same* tensor object saved twice loads as one object), gradients and
hooks; subclasses of the containers (named tuples, ``defaultdict``...) are refused like any other
type.  ``torch.load`` cannot read these files, nor ``glassgrad.load`` ``torch.save``'s (it says so).

The file layout (version 1), all integers little-endian::

    0   16 bytes  signature  b"GLASSGRAD-SAVE\\n\\x00"
    16  uint32    format version
    20  uint64    M = length of the manifest
    28  uint32    CRC-32 of the manifest
    32  M bytes   manifest: UTF-8 JSON {"version", "tensors", "object", "data_bytes", "data_crc32"}
    32+M          data: each tensor's bytes (C order, little-endian) at its offset, 64-byte aligned

The manifest's ``data_bytes`` and ``data_crc32`` give the data section's length and CRC-32; each
entry of ``tensors`` gives ``dtype``, ``shape``, ``offset``, ``nbytes``, ``requires_grad`` and
``parameter``; ``object`` is the saved object with every value that JSON cannot hold as itself
written as a one-key tag (``{"tensor": i}``, ``{"tuple": [...]}``,
``{"dict": [[key, value], ...]}``...).  ``load`` checks the signature, the version, both kinds of
checksum and every field, and reports any damage as a ``RuntimeError`` naming the file.

>>> import io, glassgrad as torch
>>> buf = io.BytesIO()
>>> torch.save({"w": torch.ones(2, requires_grad=True), "step": 3}, buf)
>>> _ = buf.seek(0)
>>> torch.load(buf)
{'w': tensor([1., 1.], requires_grad=True), 'step': 3}
"""

from __future__ import annotations

import base64
import collections
import io
import json
import math
import os
import struct
import zlib
from typing import IO, Any

import numpy as np

from . import dtypes as D
from .tensor import Size, Tensor, device

__all__ = ["load", "save"]

MAGIC = b"GLASSGRAD-SAVE\n\x00"
VERSION = 1
_HEADER = struct.Struct("<16sIQI")  # signature, version, manifest length, manifest CRC-32
_ALIGN = 64
_DTYPES = {d.name: d for d in D.ALL}
_FileLike = str | os.PathLike | IO[bytes]


# ---------------------------------------------------------------------- save
class _Encoder:
    """Turns an object into JSON-ready data, collecting its tensors' arrays on the way."""

    def __init__(self) -> None:
        self.tensors: list[dict[str, Any]] = []
        self.arrays: list[np.ndarray] = []
        self._index: dict[int, int] = {}  # id(tensor) -> its entry, so a tensor saved twice is stored once
        self._keep: list[Tensor] = []  # keeps ids valid while encoding
        self._active: set[int] = set()  # containers being encoded, to refuse cycles

    def encode(self, obj: Any) -> Any:
        if obj is None or type(obj) in (bool, int, str):
            return obj
        if type(obj) is float:
            return obj if math.isfinite(obj) else {"float": repr(obj)}
        if type(obj) is complex:
            return {"complex": [self.encode(obj.real), self.encode(obj.imag)]}
        if type(obj) is bytes:
            return {"bytes": base64.b64encode(obj).decode("ascii")}
        if isinstance(obj, Tensor):
            return {"tensor": self._tensor(obj)}
        if isinstance(obj, Size):
            return {"size": [int(s) for s in obj]}
        if isinstance(obj, D.dtype):
            return {"dtype": obj.name}
        if isinstance(obj, device):
            return {"device": str(obj)}
        if type(obj) in (list, tuple, dict, collections.OrderedDict):
            if id(obj) in self._active:
                raise ValueError("glassgrad.save cannot store an object that contains itself")
            self._active.add(id(obj))
            try:
                return self._container(obj)
            finally:
                self._active.discard(id(obj))
        what = f"{type(obj).__module__}.{type(obj).__qualname__}"
        hint = " (save its state_dict() instead)" if hasattr(obj, "state_dict") else ""
        raise TypeError(
            f"glassgrad.save cannot store an object of type {what}{hint}: it stores tensors, None, bools, ints, "
            "floats, complex numbers, strings, bytes, Size, dtypes, devices, and lists, tuples and dicts of these"
        )

    def _container(self, obj: Any) -> Any:
        if type(obj) is list:
            return {"list": [self.encode(v) for v in obj]}
        if type(obj) is tuple:
            return {"tuple": [self.encode(v) for v in obj]}
        items = [[self.encode(k), self.encode(v)] for k, v in obj.items()]
        if type(obj) is dict:
            return {"dict": items}
        out: dict[str, Any] = {"ordereddict": items}
        if hasattr(obj, "_metadata"):  # Module.state_dict() keeps each submodule's version here
            out["metadata"] = self.encode(obj._metadata)
        return out

    def _tensor(self, t: Tensor) -> int:
        if id(t) in self._index:
            return self._index[id(t)]
        from .nn.parameter import Parameter
        array = t.detach().numpy()
        if not array.flags.c_contiguous:
            array = array.copy(order="C")  # NOTE: not np.ascontiguousarray, which turns 0-d into 1-d
        array = array.astype(array.dtype.newbyteorder("<"), copy=False)
        self._index[id(t)] = len(self.tensors)
        self._keep.append(t)
        self.tensors.append({
            "dtype": t.dtype.name, "shape": list(array.shape), "nbytes": array.nbytes,
            "requires_grad": bool(t.requires_grad),
            "parameter": isinstance(t, Parameter),
        })
        self.arrays.append(array)
        return self._index[id(t)]


def save(obj: Any, f: _FileLike, pickle_module: Any = None, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True, _disable_byteorder_record: bool = False) -> None:
    """Save ``obj`` (tensors, state dicts, and containers of them: see the module's docstring) to
    ``f``, a path or a binary file object (written from its current position).

    Nothing is written if ``obj`` holds something that cannot be saved.  ``pickle_module``,
    ``pickle_protocol`` and the underscored options are accepted for compatibility with
    ``torch.save`` and ignored: the format holds data only, never pickles.
    """
    enc = _Encoder()
    tree = enc.encode(obj)
    offset = crc = 0
    for entry, array in zip(enc.tensors, enc.arrays):
        entry["offset"] = offset
        offset += -(-entry["nbytes"] // _ALIGN) * _ALIGN
        crc = zlib.crc32(b"\0" * (-entry["nbytes"] % _ALIGN), zlib.crc32(array.data, crc))
    manifest = json.dumps({"version": VERSION, "tensors": enc.tensors, "object": tree, "data_bytes": offset,
                           "data_crc32": crc}, allow_nan=False, separators=(",", ":")).encode()
    header = _HEADER.pack(MAGIC, VERSION, len(manifest), zlib.crc32(manifest))

    def write(out: IO[bytes]) -> None:
        out.write(header)
        out.write(manifest)
        for entry, array in zip(enc.tensors, enc.arrays):
            out.write(array.data)
            out.write(b"\0" * (-entry["nbytes"] % _ALIGN))

    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as out:
            write(out)
    else:
        write(f)


# ---------------------------------------------------------------------- load
class _Damaged(Exception):
    """Raised inside ``load`` for any fault in the file; ``load`` re-raises it as a RuntimeError."""


def _check(cond: bool, what: str) -> None:
    if not cond:
        raise _Damaged(what)


def _read_exact(f: IO[bytes], n: int, what: str) -> bytes:
    """Exactly ``n`` bytes of ``f`` (read in chunks, so a damaged length cannot ask for all memory)."""
    chunks, got = [], 0
    while got < n:
        chunk = f.read(min(n - got, 1 << 24))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    _check(got == n, f"it is truncated: expected {n} bytes of {what}, found {got}")
    return b"".join(chunks)


class _CallerError(Exception):
    """Carries an exception raised by the caller's ``map_location`` function out of ``load``'s checks."""


class _Decoder:
    """Rebuilds the saved object from the manifest and the data section."""

    def __init__(self, tensors: list[Any], data: bytes, map_location: Any) -> None:
        self.entries = tensors
        self.data = data
        self.map_location = map_location
        self.loaded: dict[int, Tensor] = {}

    def decode(self, node: Any) -> Any:
        if node is None or isinstance(node, (bool, int, str)):
            return node
        if isinstance(node, float):
            return node
        _check(isinstance(node, dict) and len(node) in (1, 2), f"unexpected value {str(node)[:80]!r} in the manifest")
        tag = next(iter(node))
        body = node[tag]
        if tag == "float":
            _check(body in ("nan", "inf", "-inf"), f"bad float {body!r}")
            return float(body)
        if tag == "complex":
            _check(isinstance(body, list) and len(body) == 2, "bad complex number")
            return complex(self.decode(body[0]), self.decode(body[1]))
        if tag == "bytes":
            _check(isinstance(body, str), "bad bytes value")
            return base64.b64decode(body.encode("ascii"), validate=True)
        if tag == "tensor":
            _check(isinstance(body, int) and not isinstance(body, bool) and 0 <= body < len(self.entries),
                   f"bad tensor index {body!r}")
            if body not in self.loaded:
                self.loaded[body] = self._tensor(body)
            return self.loaded[body]
        if tag == "size":
            _check(isinstance(body, list) and all(type(s) is int for s in body), "bad Size")
            return Size(body)
        if tag == "dtype":
            _check(body in _DTYPES, f"unknown dtype {body!r}")
            return _DTYPES[body]
        if tag == "device":
            _check(isinstance(body, str), "bad device")
            return device(body)
        _check(isinstance(body, list), f"bad {tag!r} value")
        if tag == "list":
            return [self.decode(v) for v in body]
        if tag == "tuple":
            return tuple(self.decode(v) for v in body)
        if tag in ("dict", "ordereddict"):
            _check(all(isinstance(kv, list) and len(kv) == 2 for kv in body), f"bad {tag} items")
            items = [(self.decode(k), self.decode(v)) for k, v in body]
            if tag == "dict":
                return dict(items)
            out = collections.OrderedDict(items)
            if "metadata" in node:
                out._metadata = self.decode(node["metadata"])  # type: ignore[attr-defined]
            return out
        raise _Damaged(f"unknown tag {tag!r} in the manifest")

    def _tensor(self, i: int) -> Tensor:
        e = self.entries[i]
        _check(isinstance(e, dict), f"bad entry for tensor {i}")
        dtype = _DTYPES.get(e.get("dtype"))  # type: ignore[arg-type]
        _check(dtype is not None, f"tensor {i} has unknown dtype {e.get('dtype')!r}")
        shape, offset, nbytes = e.get("shape"), e.get("offset"), e.get("nbytes")
        _check(isinstance(shape, list) and all(type(s) is int and s >= 0 for s in shape), f"tensor {i} has a bad shape")
        _check(type(offset) is int and type(nbytes) is int and offset >= 0, f"tensor {i} has a bad offset")
        _check(nbytes == math.prod(shape) * dtype.itemsize,  # type: ignore[union-attr]
               f"tensor {i} has {nbytes} bytes, not the {math.prod(shape)} elements of its shape {tuple(shape)}")
        _check(offset + nbytes <= len(self.data), f"tensor {i} lies past the end of the data")
        raw = self.data[offset:offset + nbytes]
        np_dtype = dtype.np  # type: ignore[union-attr]
        array = np.frombuffer(raw, dtype=np_dtype.newbyteorder("<")).astype(np_dtype).reshape(tuple(shape))
        requires_grad = bool(e.get("requires_grad", False))
        t = Tensor._make(array)
        if e.get("parameter"):
            from .nn.parameter import Parameter
            t = Parameter(t, requires_grad)
        else:
            t.requires_grad_(requires_grad)
        return self._map(t)

    def _map(self, t: Tensor) -> Tensor:
        loc = self.map_location
        if callable(loc) and not isinstance(loc, (str, device)):
            try:
                out = loc(t, "cpu")
            except Exception as e:  # the caller's own error, not damage in the file
                raise _CallerError(e) from e
            return out if isinstance(out, Tensor) else t
        if isinstance(loc, dict):
            loc = loc.get("cpu", "cpu")
        kind = None if loc is None else device(loc).type
        if kind not in (None, "cpu", "cuda"):
            raise RuntimeError(f"glassgrad.load: map_location={loc!r} is not supported; glassgrad tensors live on the cpu")
        if kind == "cuda":
            raise RuntimeError(
                "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. If you are "
                "running on a CPU-only machine, please use torch.load with map_location=torch.device('cpu') to map "
                "your storages to the CPU.")
        return t


def _describe(f: Any) -> str:
    if isinstance(f, (str, os.PathLike)):
        return repr(os.fspath(f))
    name = getattr(f, "name", None)
    return repr(name) if isinstance(name, str) else f"<{type(f).__name__}>"


def load(f: _FileLike, map_location: Any = None, pickle_module: Any = None, *, weights_only: bool | None = None,
         mmap: bool | None = None, **pickle_load_args: Any) -> Any:
    """Load what :func:`save` wrote to ``f`` (a path or a binary file object, read from its current
    position up to the end of the save).

    The file holds data only, so loading is always safe: ``weights_only`` is accepted (either
    value) and changes nothing.  ``map_location`` may be ``None``, ``"cpu"``, a cpu ``device``, a
    dict of locations or a function ``(tensor, "cpu") -> tensor``; asking for CUDA fails as in a
    CPU-only PyTorch.  ``mmap=True`` and ``pickle_module`` are refused (there is no pickle);
    ``pickle_load_args`` are ignored.  A file that is not a glassgrad save, or that is truncated or
    damaged, raises a ``RuntimeError`` naming the file and the fault.
    """
    name = _describe(f)
    if pickle_module is not None:
        raise RuntimeError(f"glassgrad.load({name}): pickle_module is not supported, glassgrad files are not pickles")
    if mmap:
        raise RuntimeError(f"glassgrad.load({name}): mmap=True is not supported")
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as stream:
            return _load(stream, name, map_location)
    return _load(f, name, map_location)


def _load(stream: IO[bytes], name: str, map_location: Any) -> Any:
    try:
        _check(not isinstance(stream, io.TextIOBase), "it was opened in text mode (open it with 'rb')")
        head = stream.read(_HEADER.size) or b""
        _check(bool(head), "it is empty")
        if not MAGIC.startswith(head[:len(MAGIC)]):
            zip_hint = (" (it is a zip archive, perhaps written by torch.save; glassgrad.load reads only what "
                        "glassgrad.save wrote)") if head.startswith(b"PK") else ""
            raise _Damaged(f"it is not a file written by glassgrad.save{zip_hint}")
        _check(len(head) == _HEADER.size, f"it is truncated: the header has {len(head)} of {_HEADER.size} bytes")
        _, version, manifest_len, manifest_crc = _HEADER.unpack(head)
        _check(1 <= version <= VERSION,
               f"it was written in format version {version}; this glassgrad reads versions 1 to {VERSION}")
        manifest_raw = _read_exact(stream, manifest_len, "manifest")
        _check(zlib.crc32(manifest_raw) == manifest_crc, "its manifest is damaged (checksum mismatch)")
        try:
            manifest = json.loads(manifest_raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise _Damaged(f"its manifest is not valid JSON ({e})") from None
        _check(isinstance(manifest, dict) and isinstance(manifest.get("tensors"), list) and "object" in manifest
               and type(manifest.get("data_bytes")) is int and manifest["data_bytes"] >= 0,
               "its manifest lacks the tensors, object or data_bytes fields")
        data = _read_exact(stream, manifest["data_bytes"], "tensor data")
        _check(zlib.crc32(data) == manifest.get("data_crc32"), "its tensor data is damaged (checksum mismatch)")
        return _Decoder(manifest["tensors"], data, map_location).decode(manifest["object"])
    except _CallerError as e:
        raise e.args[0] from None
    except _Damaged as e:
        raise RuntimeError(f"glassgrad.load: cannot read {name}: {e}") from None
    except (RecursionError, ValueError, TypeError, KeyError, OverflowError, MemoryError) as e:
        raise RuntimeError(f"glassgrad.load: cannot read {name}: its manifest is damaged ({type(e).__name__}: {e})") \
            from None
