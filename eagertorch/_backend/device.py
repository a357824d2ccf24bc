"""Devices, the array module (numpy or cupy) behind each one, and moves between them.

A non-cpu device type is served by a ``DeviceBackend``: ``cuda`` by cupy (imported only
when a cuda device is used or asked about), and any other type a test registers with
``register_device_type`` (``tests/device/`` registers a numpy-backed fake ``cuda`` so the
device plumbing runs in CI without a GPU). Plain numpy arrays are cpu; that check comes
first everywhere, so the cpu hot path pays one ``type(a) is np.ndarray``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["array_module", "device"]


class CudaUnavailableError(RuntimeError, AssertionError):
    """No CUDA here (cupy or a GPU missing). An AssertionError too, as PyTorch raises one."""


_NO_CUDA = (
    "CUDA is not available: eagertorch runs on NVIDIA GPUs through cupy; install it with "
    "pip install 'eagertorch[cuda]' (cupy-cuda12x; cupy-cuda13x for a CUDA 13 driver) on a "
    "machine with an NVIDIA GPU and driver"
)


class DeviceBackend:
    """What a non-cpu device type provides. Subclass and ``register_device_type`` it."""

    name = "cuda"

    def is_array(self, a) -> bool:
        """True for this backend's arrays."""
        raise NotImplementedError

    def index_of(self, a) -> int:
        return a.device.id

    def to_device(self, a, index: int):
        """``a`` (numpy or any backend's array) copied onto device ``index``."""
        raise NotImplementedError

    def to_host(self, a) -> np.ndarray:
        raise NotImplementedError

    def device_count(self) -> int:
        return 1

    def current_device(self) -> int:
        return 0

    def set_device(self, index: int) -> None:
        pass

    def get_device_name(self, index: int) -> str:
        return self.name

    def synchronize(self, index: int) -> None:
        pass

    def manual_seed(self, seed: int, index: int) -> None:
        pass

    def memory_allocated(self, index: int) -> int:
        return 0

    def empty_cache(self) -> None:
        pass

    # A context manager making device ``index`` current, for backends that create arrays
    # and launch work on a current device (cupy). ``None``: no such state.
    context = None


class CupyBackend(DeviceBackend):
    """CUDA through cupy."""

    def __init__(self, cupy) -> None:
        self.cupy = cupy
        self.ndarray = cupy.ndarray

    def is_array(self, a) -> bool:
        return isinstance(a, self.ndarray)

    def context(self, index: int):
        return self.cupy.cuda.Device(index)

    def to_device(self, a, index: int):
        with self.cupy.cuda.Device(index):
            return self.cupy.asarray(a)

    def to_host(self, a) -> np.ndarray:
        return a.get()

    def device_count(self) -> int:
        return self.cupy.cuda.runtime.getDeviceCount()

    def current_device(self) -> int:
        return self.cupy.cuda.Device().id

    def set_device(self, index: int) -> None:
        self.cupy.cuda.Device(index).use()

    def get_device_name(self, index: int) -> str:
        name = self.cupy.cuda.runtime.getDeviceProperties(index)["name"]
        return name.decode() if isinstance(name, bytes) else name

    def synchronize(self, index: int) -> None:
        with self.cupy.cuda.Device(index):
            self.cupy.cuda.Device(index).synchronize()

    def manual_seed(self, seed: int, index: int) -> None:
        with self.cupy.cuda.Device(index):
            self.cupy.random.seed(seed)

    def memory_allocated(self, index: int) -> int:
        with self.cupy.cuda.Device(index):
            return self.cupy.get_default_memory_pool().used_bytes()

    def empty_cache(self) -> None:
        self.cupy.get_default_memory_pool().free_all_blocks()
        self.cupy.get_default_pinned_memory_pool().free_all_blocks()


_BACKENDS: dict[str, DeviceBackend] = {}
_cupy_tried = [False]
# True once a backend with a current device (cupy) serves a device type: ops then run under
# their inputs' device context (see ArrayFunction.apply). Stays False on the cpu path.
device_ctx = [False]


def _update_ctx_flag() -> None:
    device_ctx[0] = any(b.context is not None for b in _BACKENDS.values())


def register_device_type(backend: DeviceBackend) -> DeviceBackend | None:
    """Serve device type ``backend.name`` with ``backend``; returns the one it replaces."""
    old = _BACKENDS.get(backend.name)
    _BACKENDS[backend.name] = backend
    _update_ctx_flag()
    return old


def unregister_device_type(name: str, previous: DeviceBackend | None = None) -> None:
    """Remove the backend of ``name`` (restoring ``previous`` when given)."""
    if previous is None:
        _BACKENDS.pop(name, None)
        if name == "cuda":
            _cupy_tried[0] = False
    else:
        _BACKENDS[name] = previous
    _update_ctx_flag()


def _load_cupy() -> None:
    """Register cupy as the cuda backend, once, if it imports (never at eagertorch import)."""
    if _cupy_tried[0] or "cuda" in _BACKENDS:
        return
    _cupy_tried[0] = True
    try:
        import cupy
    except Exception:  # ImportError, or a broken CUDA install failing at import
        return
    _BACKENDS["cuda"] = CupyBackend(cupy)
    _update_ctx_flag()


def get_backend(type: str, required: bool = True) -> DeviceBackend | None:
    """The backend serving device type ``type``; raises when absent unless not ``required``."""
    b = _BACKENDS.get(type)
    if b is None and type == "cuda":
        _load_cupy()
        b = _BACKENDS.get(type)
    if b is None and required:
        if type == "cuda":
            raise CudaUnavailableError(_NO_CUDA)
        raise RuntimeError(f"no backend for device type '{type}'")
    return b


class device:
    """A place where tensor data lives: ``device('cpu')``, ``device('cuda', 0)``, ``'cuda:1'``."""

    __slots__ = ("index", "type")

    def __init__(self, type: str | device | int, index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        elif isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type  # torch.device(0) is cuda:0
        elif not isinstance(type, str):
            raise TypeError(
                f"device() received an invalid combination of arguments - got "
                f"({type.__class__.__name__})"
            )
        elif ":" in type:
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in ("cpu", "cuda") and type not in _BACKENDS:
            names = ", ".join(["cpu", "cuda", *(n for n in _BACKENDS if n != "cuda")])
            raise RuntimeError(
                f"Expected one of {names} device type at start of device string: {type}"
            )
        if index is not None:
            if index < 0:
                raise RuntimeError(f"Device index must not be negative, got {index}")
            if type == "cpu" and index != 0:
                raise RuntimeError(f"CPU device index must be -1 or zero, got {index}")
        self.type = type
        self.index = index

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __repr__(self) -> str:
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")


def array_module(a):
    """numpy for numpy arrays and scalars; the owning module (cupy) for other array types.

    An ndarray subclass answers through its own ``__array_namespace__`` (numpy's by default).
    """
    if type(a) is np.ndarray or isinstance(a, np.generic):
        return np
    return a.__array_namespace__()


def device_of(a) -> device:
    """The device an array lives on: cpu for numpy, ``cuda:N`` for cupy, or a backend's."""
    if type(a) is np.ndarray:
        return CPU
    for b in _BACKENDS.values():
        if b.is_array(a):
            return device(b.name, b.index_of(a))
    if isinstance(a, (np.ndarray, np.generic)):
        return CPU
    dev = getattr(a, "device", None)
    if dev is not None and hasattr(dev, "id"):  # cupy before its backend is registered
        return device("cuda", dev.id)
    return CPU


def context_of(a):
    """A context manager making the device of array ``a`` current, or None if not needed."""
    for b in _BACKENDS.values():
        if b.context is not None and b.is_array(a):
            return b.context(b.index_of(a))
    return None


def on_device_of(a, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` with the device of array ``a`` current (creation in cupy)."""
    if type(a) is np.ndarray:  # the cpu: nothing to switch, and this is on hot paths
        return fn(*args, **kwargs)
    context = context_of(a)
    if context is None:
        return fn(*args, **kwargs)
    with context:
        return fn(*args, **kwargs)


def resolve(d) -> device:
    """``d`` as a device with an index (``'cuda'`` -> the current cuda device)."""
    if not isinstance(d, device):
        d = device(d)
    if d.index is None and d.type != "cpu":
        return device(d.type, get_backend(d.type).current_device())
    return d


def to_device(a, d: device):
    """Array ``a`` copied onto device ``d`` (``a`` itself when it is already there)."""
    d = resolve(d)
    if d.type == "cpu":
        return to_host(a)
    if device_of(a) == d:
        return a
    return get_backend(d.type).to_device(a, d.index)


def to_host(a) -> np.ndarray:
    """Array ``a`` as a numpy array (``a`` itself when it is one)."""
    if type(a) is np.ndarray:
        return a
    src = device_of(a)
    if src.type == "cpu":
        return np.asarray(a)
    return get_backend(src.type).to_host(a)
