"""A numpy-backed stand-in for cupy, registered as the ``cuda`` device type in tests.

``FakeArray`` is a numpy array that says it lives on GPU ``_index`` and behaves like a
cupy array where it matters for the device plumbing: ``.device.id``, ``.get()`` to copy to
host, results of numpy functions and ufuncs stay on its device, indexing (or iterating) down
to one element gives a 0-d array on its device rather than a host scalar, and mixing it with
a plain (non 0-d) numpy array or with another device's array (in a ufunc or numpy function,
or as an index array or assigned value) raises TypeError, as cupy does. So
transfers, mismatch errors, ``Module.to``, optimizer state and DataLoader batches run in CI
on the exact code path a real GPU takes. Limit: ``np.asarray(fake)`` silently gives a host
view (cupy would raise), so code that forgets ``xp`` is caught only at the next mixed op.

Ufuncs and numpy functions on a GPU other than the current one work (as cupy's do between
GPUs with peer access, though cupy puts their results on the current GPU). With
``_PEER_ACCESS[0] = False`` (as the ``fake_cuda`` fixture sets) they raise TypeError instead,
as cupy does between GPUs without peer access: that catches work done outside an op (which
runs under its inputs' device) on a non-current GPU.
"""

from __future__ import annotations

import numpy as np

from eagertorch._backend.device import DeviceBackend


class _Id:
    __slots__ = ("id",)

    def __init__(self, i: int) -> None:
        self.id = i


class FakeArray(np.ndarray):
    _index = 0

    def __array_finalize__(self, obj) -> None:
        self._index = getattr(obj, "_index", 0)

    @property
    def device(self) -> _Id:
        return _Id(self._index)

    def __array_namespace__(self, api_version=None):
        return NAMESPACE

    def get(self) -> np.ndarray:
        return np.array(self.view(np.ndarray), copy=True)

    def __getitem__(self, key):
        _check_key(self, key, False)
        out = super().__getitem__(key)
        if isinstance(out, np.generic):  # cupy gives a 0-d view on the device, not a scalar
            out = super().__getitem__((*key, ...) if type(key) is tuple else (key, ...))
        return out

    def __setitem__(self, key, value) -> None:
        _check_key(self, (key, value), True)
        super().__setitem__(key, value)

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        idx = _check((inputs, out))
        if out is not None:
            kwargs["out"] = tuple(_unwrap(o) for o in out)
        res = getattr(ufunc, method)(*(_unwrap(x) for x in inputs), **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _wrap(res, idx)

    def __array_function__(self, func, types, args, kwargs):
        idx = _check((args, kwargs))
        res = func(*_unwrap(args), **_unwrap(kwargs))
        if "out" in kwargs and kwargs["out"] is not None:
            return kwargs["out"]
        return _wrap(res, idx)


def _check(obj, kernel: bool = True) -> int:
    """The one fake device among the arrays in ``obj``; TypeError on host/other devices.

    ``kernel``: the call computes on that device (not a mere transfer), so without peer
    access it must be the current device too.
    """
    found = []
    _collect(obj, found)
    fakes = {a._index for a in found if isinstance(a, FakeArray)}
    hosts = [a for a in found if type(a) is np.ndarray and a.ndim > 0]
    if hosts or len(fakes) > 1:
        raise TypeError(f"Unsupported type {type(hosts[0]) if hosts else 'mixed devices'}")
    if not fakes:
        return 0
    idx = fakes.pop()
    if kernel and not _PEER_ACCESS[0] and idx != _CURRENT[0]:
        raise TypeError(
            f"The device where the array resides ({idx}) is different from the current device "
            f"({_CURRENT[0]}). Peer access is unavailable between these devices."
        )
    return idx


def _check_key(a: FakeArray, obj, write: bool) -> None:
    """TypeError when an index array (or assigned value) in ``obj`` is on another fake GPU
    than ``a``, as a cupy kernel indexing ``a`` rejects arrays on another device. Writes,
    and reads with index arrays, run a kernel: see ``_check`` for peer access."""
    found = []
    _collect(obj, found)
    if any(isinstance(k, FakeArray) and k._index != a._index for k in found):
        raise TypeError("Unsupported type mixed devices")
    if write or found:
        _check(a)


def _collect(obj, found) -> None:
    if isinstance(obj, np.ndarray):
        found.append(obj)
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            _collect(o, found)
    elif isinstance(obj, dict):
        for o in obj.values():
            _collect(o, found)


def _unwrap(obj):
    if isinstance(obj, FakeArray):
        return obj.view(np.ndarray)
    if isinstance(obj, (list, tuple)) and type(obj) in (list, tuple):
        return type(obj)(_unwrap(o) for o in obj)
    if isinstance(obj, dict):
        return {k: _unwrap(v) for k, v in obj.items()}
    return obj


def _wrap(obj, idx: int):
    if type(obj) is np.ndarray or isinstance(obj, np.generic):
        out = np.asarray(obj).view(FakeArray)
        out._index = idx
        return out
    if type(obj) in (list, tuple):
        return type(obj)(_wrap(o, idx) for o in obj)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # namedtuple results
        return type(obj)(*(_wrap(o, idx) for o in obj))
    return obj


class _Namespace:
    """numpy, with results on the fake GPU: the one of the array arguments, else the current
    device (as cupy creates arrays on the current device)."""

    def __init__(self, mod) -> None:
        self._mod = mod
        self.__name__ = "fake_cupy." + mod.__name__  # caches keyed by module name

    def __getattr__(self, name):
        attr = getattr(self._mod, name)
        if isinstance(attr, (type, np.ufunc)) or not callable(attr):
            if type(attr).__name__ == "module":
                return _Namespace(attr)
            return attr

        transfer = name in ("asarray", "array")  # cupy.asarray(host array) copies to device

        def call(*args, **kwargs):
            found = []
            _collect((args, kwargs), found)
            if transfer and not any(isinstance(a, FakeArray) for a in found):
                found = []
            idx = _check((args, kwargs), not transfer) if found else _CURRENT[0]
            return _wrap(attr(*_unwrap(args), **_unwrap(kwargs)), idx)

        return call


_CURRENT = [0]
_PEER_ACCESS = [True]  # False: computing on a non-current fake GPU raises (see module doc)


class _Current:
    def __init__(self, index: int) -> None:
        self.index = index

    def __enter__(self):
        self.previous = _CURRENT[0]
        _CURRENT[0] = self.index
        return self

    def __exit__(self, *exc) -> None:
        _CURRENT[0] = self.previous


NAMESPACE = _Namespace(np)


def fake(a, index: int = 0) -> FakeArray:
    """A copy of ``a`` on fake GPU ``index``."""
    out = np.array(a, copy=True).view(FakeArray)
    out._index = index
    return out


class FakeCudaBackend(DeviceBackend):
    """``cuda`` served by FakeArray: ``count`` devices, bookkeeping tests can inspect."""

    name = "cuda"

    def __init__(self, count: int = 2) -> None:
        self.count = count
        self.current = _CURRENT[0] = 0
        self.seeds: dict[int, int] = {}
        self.synchronized: list[int] = []
        self.used = 0
        self.emptied = 0

    def is_array(self, a) -> bool:
        return isinstance(a, FakeArray)

    def index_of(self, a) -> int:
        return a._index

    def to_device(self, a, index: int):
        host = a.get() if isinstance(a, FakeArray) else a
        return fake(host, index)

    def to_host(self, a) -> np.ndarray:
        return a.get()

    def device_count(self) -> int:
        return self.count

    def current_device(self) -> int:
        return self.current

    def set_device(self, index: int) -> None:
        self.current = _CURRENT[0] = index

    def context(self, index: int):
        """Make fake GPU ``index`` current, as ``cupy.cuda.Device(index)`` does."""
        return _Current(index)

    def get_device_name(self, index: int) -> str:
        return f"Fake GPU {index}"

    def synchronize(self, index: int) -> None:
        self.synchronized.append(index)

    def manual_seed(self, seed: int, index: int) -> None:
        self.seeds[index] = seed

    def memory_allocated(self, index: int) -> int:
        return self.used

    def empty_cache(self) -> None:
        self.emptied += 1
