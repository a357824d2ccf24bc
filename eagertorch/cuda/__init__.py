"""``eagertorch.cuda``: the CUDA device (through cupy), as ``torch.cuda``.

Nothing here imports cupy until a function is called. ``is_available()`` and
``device_count()`` answer False / 0 when cupy or a GPU is missing; the functions that need a
device raise ``CudaUnavailableError`` (a RuntimeError, and an AssertionError like PyTorch's
"Torch not compiled with CUDA enabled") saying how to install cupy.
"""

from __future__ import annotations

from .._backend import device as _bdev
from .._backend.device import CudaUnavailableError

__all__ = [
    "CudaUnavailableError",
    "current_device",
    "device",
    "device_count",
    "empty_cache",
    "get_device_name",
    "is_available",
    "manual_seed",
    "manual_seed_all",
    "max_memory_allocated",
    "memory_allocated",
    "reset_peak_memory_stats",
    "set_device",
    "synchronize",
]

_peak: dict[int, int] = {}


def _backend():
    return _bdev.get_backend("cuda")


def _index(device) -> int:
    """A device argument (None, int, 'cuda:1', device) as a cuda index."""
    b = _backend()
    if device is None:
        return b.current_device()
    if isinstance(device, int) and not isinstance(device, bool):
        idx = device
    else:
        d = _bdev.device(device)
        if d.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {d}")
        idx = b.current_device() if d.index is None else d.index
    n = b.device_count()
    if not 0 <= idx < n:
        raise RuntimeError(f"CUDA error: invalid device ordinal {idx} ({n} device(s) visible)")
    return idx


def is_available() -> bool:
    """True when cupy imports and sees at least one GPU; never raises."""
    try:
        b = _bdev.get_backend("cuda", required=False)
        return b is not None and b.device_count() > 0
    except Exception:  # cupy present but no driver / no device
        return False


def device_count() -> int:
    """Number of visible GPUs (0 without cupy or a GPU)."""
    try:
        b = _bdev.get_backend("cuda", required=False)
        return 0 if b is None else b.device_count()
    except Exception:
        return 0


def _require():
    if not is_available():
        raise CudaUnavailableError(_bdev._NO_CUDA)
    return _backend()


def current_device() -> int:
    return _require().current_device()


def set_device(device) -> None:
    """Make ``device`` current (an index, ``'cuda:N'`` or a device); negative is a no-op."""
    _require()
    if isinstance(device, int) and device < 0:
        return
    _backend().set_device(_index(device))


def get_device_name(device=None) -> str:
    _require()
    return _backend().get_device_name(_index(device))


def synchronize(device=None) -> None:
    """Wait for every queued kernel on ``device`` (the current one by default)."""
    _require()
    _backend().synchronize(_index(device))


def manual_seed(seed: int) -> None:
    """Seed the current GPU's generator; silently nothing without CUDA, as in PyTorch."""
    if is_available():
        _backend().manual_seed(int(seed), _backend().current_device())


def manual_seed_all(seed: int) -> None:
    """Seed every GPU's generator; silently nothing without CUDA, as in PyTorch."""
    if is_available():
        b = _backend()
        for i in range(b.device_count()):
            b.manual_seed(int(seed), i)


def memory_allocated(device=None) -> int:
    """Bytes held by tensors on ``device`` (cupy's default memory pool, in use)."""
    _require()
    idx = _index(device)
    used = _backend().memory_allocated(idx)
    if used > _peak.get(idx, 0):
        _peak[idx] = used
    return used


def max_memory_allocated(device=None) -> int:
    """The largest ``memory_allocated`` seen since start or ``reset_peak_memory_stats``.

    cupy keeps no peak counter, so this is the maximum over the values observed by calls to
    ``memory_allocated`` / ``max_memory_allocated`` / ``synchronize`` (a lower bound).
    """
    idx = _index(device) if is_available() else None
    if idx is None:
        raise CudaUnavailableError(_bdev._NO_CUDA)
    memory_allocated(idx)
    return _peak.get(idx, 0)


def reset_peak_memory_stats(device=None) -> None:
    _require()
    idx = _index(device)
    _peak[idx] = _backend().memory_allocated(idx)


def empty_cache() -> None:
    """Return cached, unused GPU memory to the driver; nothing without CUDA, as in PyTorch."""
    if is_available():
        _backend().empty_cache()


class device:
    """``with eagertorch.cuda.device(1):`` makes GPU 1 current inside the block.

    ``None`` or a negative index leaves the current device alone, as in PyTorch.
    """

    def __init__(self, device) -> None:
        self.device = device
        self.prev = -1

    def __enter__(self):
        d = self.device
        if d is None or (isinstance(d, int) and d < 0):
            return self
        b = _require()
        idx = _index(d)
        self.prev = b.current_device()
        if idx != self.prev:
            b.set_device(idx)
        return self

    def __exit__(self, *exc) -> bool:
        if self.prev >= 0:
            _backend().set_device(self.prev)
        return False
