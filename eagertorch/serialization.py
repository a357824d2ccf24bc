"""``eagertorch.save`` / ``eagertorch.load``: checkpoints that never run code when loaded.

A checkpoint is one `safetensors <https://github.com/huggingface/safetensors>`_ file:

* every tensor (and numpy array) in the saved object is one safetensors entry, named by
  its path in the object with dots (``"fc.weight"``, ``"optimizer.state.0.exp_avg"``), so
  a module's ``state_dict()`` is stored under exactly its own keys and PyTorch reads it
  with ``safetensors.torch.load_file``;
* everything else (nested dicts, OrderedDicts, lists, tuples, ints, floats, bools, None,
  strings, bytes, dtypes, devices) is JSON in the header's ``__metadata__`` under the key
  ``"eagertorch"``: ``{"version": 1, "tensors": [...], "object": ...}``. ``tensors`` lists
  one entry per distinct Tensor object (``{"name": entry, "requires_grad": true,
  "parameter": true, "device": "cuda:0"}``, defaults left out) and ``object`` is the saved
  object with ``{"$tensor": i}`` where tensor ``i`` was. JSON objects stand for dicts whose
  keys are all strings (not starting with ``$``); other values are tagged: ``{"$tuple":
  [...]}``, ``{"$dict": [[k, v], ...]}`` (other keys), ``{"$odict": [[k, v], ...]}``
  (OrderedDict), ``{"$float": "inf"}`` (inf/nan), ``{"$dtype": "float32"}``,
  ``{"$device": "cuda:0"}``, ``{"$size": [...]}``, ``{"$bytes": base64}``,
  ``{"$ndarray": i}``, ``{"$npscalar": ["float32", value]}``. The metadata also holds
  ``"format": "pt"`` so that tools that read PyTorch safetensors files accept it.

Loading parses the header with ``json`` and the tensor bytes with ``safetensors``; nothing
is unpickled, whatever ``weights_only`` says. A safetensors file without eagertorch
metadata (for instance from ``safetensors.torch.save_file``) loads as a dict of tensors.

Sharing: a Tensor object that occurs twice is stored once and loads as one Tensor object;
distinct Tensors over the same memory (``w`` and ``w.detach()``, tied weights in a
``state_dict()``) are stored once and load as distinct Tensors sharing one array. Tensors
that overlap only partly (``w`` and ``w[0]``) are stored as separate copies, because a
safetensors entry cannot point into another: after loading they no longer share memory.

Saving to a path writes a temporary file in the same directory, flushes and fsyncs it, and
renames it over the target (``os.replace``, atomic), so an interrupted save leaves the old
file (or none), never a truncated one. Writing to a file object writes in place.
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import os
from collections import OrderedDict

import numpy as np

from ._backend import dtype as _dt
from ._backend.device import device as _device
from ._backend.size import Size
from ._tensor import Tensor, _make
from .nn.parameter import Parameter

__all__ = ["CheckpointError", "UnsafeCheckpointError", "load", "save"]

FORMAT_VERSION = 1
_META_KEY = "eagertorch"

# safetensors dtype codes that eagertorch tensors can hold
_ST_DTYPES = {
    "BOOL": np.dtype(np.bool_),
    "U8": np.dtype(np.uint8),
    "I8": np.dtype(np.int8),
    "I16": np.dtype(np.int16),
    "I32": np.dtype(np.int32),
    "I64": np.dtype(np.int64),
    "F16": np.dtype(np.float16),
    "F32": np.dtype(np.float32),
    "F64": np.dtype(np.float64),
}


class CheckpointError(RuntimeError):
    """A file that is not a readable checkpoint: truncated, corrupted or of another format."""


class UnsafeCheckpointError(CheckpointError):
    """A file that holds a pickle (such as PyTorch's ``torch.save`` format): never loaded."""


def _safetensors_numpy():
    try:
        import safetensors.numpy
    except ImportError:
        raise ImportError(
            "eagertorch.save and eagertorch.load store tensors in the safetensors format and "
            'need the safetensors package: pip install safetensors (or pip install "eagertorch'
            '[serialization]")'
        ) from None
    return safetensors.numpy


# ----- saving ------------------------------------------------------------------------------
def _is_plain_key(k) -> bool:
    return type(k) is str and not k.startswith("$")


def _describe(path: tuple) -> str:
    return "obj" + "".join(f"[{k!r}]" for k in path)


def _memory_key(arr) -> tuple:
    if type(arr) is np.ndarray:
        ptr = arr.__array_interface__["data"][0]
    elif isinstance(arr, np.generic):  # a numpy scalar (immutable): shared only by identity
        return (id(arr),)
    else:
        ptr = arr.data.ptr  # cupy
    return (ptr, arr.shape, arr.strides, arr.dtype.str)


class _Encoder:
    """Turns an object into JSON-able structure plus the arrays to store."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.tensors: list[dict] = []
        self._tensor_index: dict[int, int] = {}  # id(Tensor) -> index in self.tensors
        self._stored: dict[tuple, str] = {}  # memory key -> entry name
        self._keep: list = []  # keeps every seen object alive, so ids and pointers stay unique
        self._active: set[int] = set()  # containers on the current path (cycle check)

    def _entry(self, arr, path: tuple) -> str:
        """The entry name holding ``arr``'s values, storing them on first sight."""
        key = _memory_key(arr)
        name = self._stored.get(key)
        if name is not None:
            return name
        self._keep.append(arr)
        if isinstance(arr, np.generic):
            arr = np.asarray(arr)
        elif type(arr) is not np.ndarray:
            arr = arr.get()  # cupy -> host
        _dt.from_numpy_dtype(arr.dtype.newbyteorder("="))  # unsupported dtypes: TypeError
        base = ".".join(str(k) for k in path) or "tensor"
        name, n = base, 0
        while name in self.arrays or name == "__metadata__":
            n += 1
            name = f"{base}~{n}"
        # safetensors copies raw memory: it must be C-contiguous and little-endian
        self.arrays[name] = np.asarray(arr, dtype=arr.dtype.newbyteorder("<"), order="C")
        self._stored[key] = name
        return name

    def _tensor(self, t: Tensor, path: tuple) -> int:
        i = self._tensor_index.get(id(t))
        if i is not None:
            return i
        self._keep.append(t)
        entry: dict = {"name": self._entry(t._data, path)}
        if t._requires_grad:
            entry["requires_grad"] = True
        if isinstance(t, Parameter):
            entry["parameter"] = True
        if not isinstance(t._data, (np.ndarray, np.generic)):
            entry["device"] = str(t.device)
        i = self._tensor_index[id(t)] = len(self.tensors)
        self.tensors.append(entry)
        return i

    def encode(self, obj, path: tuple):
        t = type(obj)
        if obj is None or t is bool or t is int or t is str:
            return obj
        if t is float:
            return obj if math.isfinite(obj) else {"$float": repr(obj)}
        if isinstance(obj, Tensor):
            return {"$tensor": self._tensor(obj, path)}
        if t in (list, tuple, dict, OrderedDict, Size):
            if id(obj) in self._active:
                raise ValueError(f"cannot save a self-referencing container at {_describe(path)}")
            self._active.add(id(obj))
            try:
                return self._container(obj, t, path)
            finally:
                self._active.discard(id(obj))
        if t is _dt.dtype:
            return {"$dtype": obj._name}
        if t is _device:
            return {"$device": str(obj)}
        if t is bytes:
            return {"$bytes": base64.b64encode(obj).decode("ascii")}
        if t is np.ndarray:
            i = len(self.tensors)
            self.tensors.append({"name": self._entry(obj, path)})
            self._keep.append(obj)
            return {"$ndarray": i}
        if isinstance(obj, np.generic) and obj.dtype in _dt._FROM_NP:
            return {"$npscalar": [obj.dtype.name, self.encode(obj.item(), path)]}
        hint = (
            " (save its state_dict() instead: checkpoints hold data, never code)"
            if hasattr(obj, "state_dict")
            else ""
        )
        raise TypeError(
            f"eagertorch.save cannot store {type(obj).__module__}.{type(obj).__qualname__} at "
            f"{_describe(path)}{hint}; it stores tensors, numpy arrays, None, bools, ints, "
            "floats, strings, bytes, dtypes, devices, and lists, tuples and dicts of them"
        )

    def _container(self, obj, t, path: tuple):
        if t is list:
            return [self.encode(v, (*path, i)) for i, v in enumerate(obj)]
        if t is tuple:
            return {"$tuple": [self.encode(v, (*path, i)) for i, v in enumerate(obj)]}
        if t is Size:
            return {"$size": list(obj)}
        pairs = [(k, self.encode(v, (*path, k))) for k, v in obj.items()]
        if t is dict and all(_is_plain_key(k) for k, _ in pairs):
            return dict(pairs)
        tag = "$dict" if t is dict else "$odict"
        return {tag: [[self.encode(k, (*path, "<key>")), v] for k, v in pairs]}


def _fsync_directory(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # not possible on every platform (Windows); the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_file(path: str, arrays: dict, metadata: dict) -> None:
    """Write the safetensors file (straight from the arrays: no copy of the whole file)."""
    _safetensors_numpy().save_file(arrays, path, metadata=metadata)


def _atomic_save(path: str, arrays: dict, metadata: dict) -> None:
    """Write a new file beside ``path``, fsync it, and rename it over ``path``."""
    directory, base = os.path.split(os.path.abspath(path))
    tmp = os.path.join(directory, f".{base}.{os.urandom(6).hex()}.tmp")
    # reserve a fresh name; mode 0o666 under the umask, as open() would give the target
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        mode = os.stat(tmp).st_mode
        _write_file(tmp, arrays, metadata)
        os.chmod(tmp, mode)  # safetensors may recreate the file with private permissions
        fd = os.open(tmp, os.O_RDWR)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def save(obj, f, pickle_module=None, pickle_protocol=None) -> None:
    """Save ``obj`` (tensors, state_dicts, nested containers of plain values) to ``f``.

    Args:
        obj: a Tensor, a ``state_dict()``, or nested dicts/lists/tuples of tensors and plain
            Python values (see the module docstring for every supported type).
        f: a path (``str`` or ``os.PathLike``), written atomically, or a binary file object.
        pickle_module, pickle_protocol: accepted for PyTorch compatibility and ignored;
            nothing is pickled.
    """
    st = _safetensors_numpy()
    enc = _Encoder()
    structure = enc.encode(obj, ())
    meta = {"version": FORMAT_VERSION, "tensors": enc.tensors, "object": structure}
    metadata = {
        "format": "pt",
        _META_KEY: json.dumps(meta, separators=(",", ":"), allow_nan=False),
    }
    if isinstance(f, (str, os.PathLike)):
        _atomic_save(os.fspath(f), enc.arrays, metadata)
    elif hasattr(f, "write"):
        f.write(st.save(enc.arrays, metadata=metadata))
    else:
        raise TypeError(
            f"eagertorch.save expected a path or a binary file object, got {type(f).__name__}"
        )


# ----- loading -----------------------------------------------------------------------------
def _file_name(f) -> str:
    if isinstance(f, (str, os.PathLike)):
        return os.fspath(f)
    name = getattr(f, "name", None)
    return name if isinstance(name, str) else f"<{type(f).__name__}>"


def _read(f) -> bytes:
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            return fh.read()
    if not hasattr(f, "read"):
        raise TypeError(
            f"eagertorch.load expected a path or a binary file object, got {type(f).__name__}"
        )
    data = f.read()
    if isinstance(data, str):
        raise TypeError("eagertorch.load needs a file opened in binary mode ('rb')")
    return bytes(data)


_PICKLE_HINT = (
    "eagertorch never unpickles, because unpickling can run arbitrary code. In PyTorch, "
    "re-save the tensors with safetensors.torch.save_file(state_dict, path) (or "
    "eagertorch-compatible torch code) and load that file instead."
)


def _sniff_other_format(data: bytes, name: str) -> CheckpointError:
    """The error for a file that is not safetensors, naming what it looks like."""
    if data[:4] == b"PK\x03\x04":
        return UnsafeCheckpointError(
            f"{name}: this is a zip archive, the format of PyTorch's torch.save, whose objects "
            f"are stored as a pickle; it cannot be loaded safely. {_PICKLE_HINT}"
        )
    if (len(data) >= 2 and data[0] == 0x80 and 2 <= data[1] <= 5) or (
        data[:1] in (b"(", b"]", b"}", b"c") and data.rstrip()[-1:] == b"."
    ):
        return UnsafeCheckpointError(
            f"{name}: this file is a Python pickle (such as a legacy torch.save checkpoint); "
            f"it cannot be loaded safely. {_PICKLE_HINT}"
        )
    if data[:6] == b"\x93NUMPY":
        return CheckpointError(f"{name}: this is a numpy .npy file, not an eagertorch checkpoint")
    return CheckpointError(
        f"{name}: not an eagertorch checkpoint or safetensors file (it does not start with an "
        f"8-byte header length followed by a JSON header; first bytes: {data[:16]!r})"
    )


def _parse_header(data: bytes, name: str) -> dict:
    """Check the safetensors framing and return the JSON header, with clear errors."""
    if len(data) == 0:
        raise CheckpointError(f"{name}: the file is empty")
    if len(data) < 9:
        other = _sniff_other_format(data, name)
        if isinstance(other, UnsafeCheckpointError):
            raise other
        raise CheckpointError(
            f"{name}: the file is truncated ({len(data)} bytes, shorter than a checkpoint header)"
        )
    if data[8:9] != b"{":
        raise _sniff_other_format(data, name)
    n = int.from_bytes(data[:8], "little")
    if 8 + n > len(data):
        raise CheckpointError(
            f"{name}: the file is truncated: its header length says {n} bytes but only "
            f"{len(data) - 8} bytes follow"
        )
    try:
        header = json.loads(data[8 : 8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise CheckpointError(f"{name}: the header is corrupted (not valid JSON: {e})") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{name}: the header is corrupted (not a JSON object)")
    body = len(data) - 8 - n
    end = 0
    for key, info in header.items():
        if key == "__metadata__":
            if not isinstance(info, dict) or not all(isinstance(v, str) for v in info.values()):
                raise CheckpointError(f"{name}: the header's __metadata__ is corrupted")
            continue
        try:
            code, shape, (start, stop) = info["dtype"], info["shape"], info["data_offsets"]
            nbytes = math.prod(shape)
            valid = (
                all(type(s) is int and s >= 0 for s in shape)
                and type(start) is int
                and type(stop) is int
                and 0 <= start <= stop
            )
        except (KeyError, TypeError, ValueError):
            valid = False
        if not valid:
            raise CheckpointError(f"{name}: the header entry of tensor {key!r} is corrupted")
        if code not in _ST_DTYPES:
            raise CheckpointError(
                f"{name}: tensor {key!r} has dtype {code}, which eagertorch does not support "
                f"(supported: {', '.join(_ST_DTYPES)})"
            )
        if stop - start != nbytes * _ST_DTYPES[code].itemsize:
            raise CheckpointError(
                f"{name}: the header entry of tensor {key!r} is corrupted (shape {shape} does "
                f"not match its {stop - start} bytes)"
            )
        end = max(end, stop)
    if end > body:
        raise CheckpointError(
            f"{name}: the file is truncated: the header describes {end} bytes of tensor data "
            f"but only {body} are present"
        )
    if end < body:
        raise CheckpointError(
            f"{name}: the file is corrupted: {body - end} unexpected bytes after the tensor data"
        )
    return header


class _PlacementError(Exception):
    """Carries an error raised while placing tensors, past the corrupted-metadata handler."""

    def __init__(self, error: Exception) -> None:
        self.error = error


class _Decoder:
    """Rebuilds the saved object from the structure JSON and the loaded arrays."""

    def __init__(self, arrays: dict, table: list, place) -> None:
        self.arrays = arrays
        self.table = table
        self.place = place
        self.tensors: dict[int, Tensor] = {}
        self.placed: dict[tuple, object] = {}  # (entry name, saved device) -> placed array

    def _array(self, name: str, location: str):
        key = (name, location)
        arr = self.placed.get(key)
        if arr is None:
            host = self.arrays[name]
            try:
                arr = self.place(host, location)
            except Exception as e:  # the user's map_location, or no such device
                raise _PlacementError(e) from None
            self.placed[key] = arr
        return arr

    def _tensor(self, i: int) -> Tensor:
        t = self.tensors.get(i)
        if t is not None:
            return t
        entry = self.table[i]
        data = self._array(entry["name"], entry.get("device", "cpu"))
        requires_grad = bool(entry.get("requires_grad", False))
        if entry.get("parameter"):
            t = Parameter(_make(data), requires_grad)
        else:
            t = _make(data, requires_grad)
        self.tensors[i] = t
        return t

    def decode(self, x):
        t = type(x)
        if t is list:
            return [self.decode(v) for v in x]
        if t is not dict:
            return x
        if len(x) == 1:
            (tag, v), *_ = x.items()
            if tag.startswith("$"):
                return self._tagged(tag, v)
        return {k: self.decode(v) for k, v in x.items()}

    def _tagged(self, tag: str, v):
        if tag == "$tensor":
            return self._tensor(v)
        if tag == "$tuple":
            return tuple(self.decode(e) for e in v)
        if tag == "$dict":
            return {self.decode(k): self.decode(e) for k, e in v}
        if tag == "$odict":
            return OrderedDict((self.decode(k), self.decode(e)) for k, e in v)
        if tag == "$float":
            if v not in ("inf", "-inf", "nan"):
                raise ValueError(f"bad $float value {v!r}")
            return float(v)
        if tag == "$dtype":
            return _dt._NAMES[v]
        if tag == "$device":
            return _device(v)
        if tag == "$size":
            return Size(v)
        if tag == "$bytes":
            return base64.b64decode(v, validate=True)
        if tag == "$ndarray":
            return self._array(self.table[v]["name"], "cpu")
        if tag == "$npscalar":
            dtype, value = v
            return np.dtype(_dt._NAMES[dtype].np).type(self.decode(value))
        raise ValueError(f"unknown tag {tag!r}")


def _placer(map_location, name: str):
    """``place(cpu_array, saved_location) -> array`` for a ``map_location`` argument."""

    def to(arr, dev) -> object:
        dev = dev if isinstance(dev, _device) else _device(dev)
        if dev.type == "cpu":
            return arr
        try:
            return _make(arr).to(dev)._data
        except RuntimeError as e:
            raise RuntimeError(
                f"{name}: attempting to load a tensor onto {dev}, which is not available "
                f"({e}). On a machine without CUDA, pass map_location='cpu'."
            ) from None

    if map_location is None:
        return to
    if isinstance(map_location, (str, _device)):
        target = _device(map_location)
        return lambda arr, location: to(arr, target)
    if isinstance(map_location, dict):
        table = {str(k): v for k, v in map_location.items()}
        return lambda arr, location: to(arr, table.get(location, location))
    if callable(map_location):

        def call(arr, location):
            result = map_location(_make(arr), location)
            if result is None:
                return to(arr, location)
            if not isinstance(result, Tensor):
                raise TypeError(
                    f"map_location returned {type(result).__name__}; expected a Tensor or None"
                )
            return result._data

        return call
    raise TypeError(
        "map_location should be a str, an eagertorch.device, a dict or a callable, got "
        f"{type(map_location).__name__}"
    )


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None):
    """Load an object saved by :func:`save`, or the tensors of any safetensors file.

    Args:
        f: a path (``str`` or ``os.PathLike``) or a binary file object.
        map_location: where to put tensors. ``None`` restores each to the device it was
            saved from; a device (``'cpu'``, ``eagertorch.device('cuda:0')``) puts all
            there; a dict maps saved locations to new ones (``{'cuda:0': 'cpu'}``); a
            callable ``fn(tensor, location)`` gets each tensor (on the CPU) and the saved
            location string and returns a Tensor, or None to keep the saved location.
        pickle_module: must be None: eagertorch never unpickles.
        weights_only, mmap: accepted for PyTorch compatibility. Loading is always
            "weights only": nothing in the file is executed, whatever the value.

    Raises:
        CheckpointError: the file is truncated, corrupted or not a checkpoint; the message
            names the file and the problem. ``UnsafeCheckpointError`` (a subclass) when the
            file is a pickle, such as one written by ``torch.save``.
    """
    if pickle_module is not None:
        raise ValueError("eagertorch.load never unpickles: pickle_module must be None")
    name = _file_name(f)
    placer = _placer(map_location, name)
    data = _read(f)
    header = _parse_header(data, name)
    st = _safetensors_numpy()
    try:
        arrays = st.load(data)
    except Exception as e:  # safetensors' own checks; ours above should have caught these
        raise CheckpointError(f"{name}: the file is corrupted ({e})") from None
    for k, arr in arrays.items():
        if not arr.flags.writeable:  # tensors must be writable for in-place ops
            arrays[k] = arr.copy()
    metadata = header.get("__metadata__") or {}
    if _META_KEY not in metadata:
        # a plain safetensors file (e.g. safetensors.torch.save_file): a dict of tensors
        return {k: _make(placer(arr, "cpu")) for k, arr in arrays.items()}
    try:
        meta = json.loads(metadata[_META_KEY])
        version = meta["version"]
    except (ValueError, TypeError, KeyError) as e:
        raise CheckpointError(f"{name}: the eagertorch metadata is corrupted ({e})") from None
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"{name}: checkpoint format version {version!r} is not supported by this eagertorch "
            f"(it reads version {FORMAT_VERSION}); it was written by another version"
        )
    try:
        table = meta["tensors"]
        for entry in table:
            if entry["name"] not in arrays:
                raise KeyError(f"tensor {entry['name']!r} is missing from the file")
        return _Decoder(arrays, table, placer).decode(meta["object"])
    except _PlacementError as e:
        raise e.error from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as e:
        raise CheckpointError(f"{name}: the eagertorch metadata is corrupted ({e})") from None
