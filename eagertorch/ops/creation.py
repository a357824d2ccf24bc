"""Tensor factories: from data, filled, ranges, random; their ``_like`` and ``new_*`` forms."""

from __future__ import annotations

import builtins
import math

import numpy as np

from .._backend import dtype as _dt
from .._backend.device import device as _device
from .._backend.device import device_of, to_host
from .._backend.random import Generator, numpy_generator
from .._tensor import Tensor, _make, array_from_data

__all__ = [
    "arange",
    "as_tensor",
    "asarray",
    "bernoulli",
    "empty",
    "empty_like",
    "eye",
    "from_dlpack",
    "from_numpy",
    "full",
    "full_like",
    "get_default_device",
    "linspace",
    "logspace",
    "multinomial",
    "normal",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randint_like",
    "randn",
    "randn_like",
    "randperm",
    "scalar_tensor",
    "set_default_device",
    "tensor",
    "zeros",
    "zeros_like",
]


def _sizes(size) -> tuple:
    """Accept ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` and ``f(Size)``."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s)
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(
                f"size must be a tuple of ints, but got an element of type {type(s).__name__}"
            )
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(int(s))
    return tuple(out)


def _float_dtype(dtype) -> np.dtype:
    return _dt.get_default_dtype().np if dtype is None else _dt.to_numpy_dtype(dtype)


def _host_of(x):
    """A Tensor's data as a host array (random sampling runs on the host); others as-is."""
    if isinstance(x, Tensor):
        d = x._data
        return d if type(d) is np.ndarray else to_host(d)
    return x


def _first_device(*xs):
    """The device of the first non-cpu Tensor among ``xs`` (None: cpu)."""
    for x in xs:
        if isinstance(x, Tensor) and type(x._data) is not np.ndarray:
            return device_of(x._data)
    return None


_DEFAULT_DEVICE = [None]  # set_default_device; None: cpu


def set_default_device(device) -> None:
    """Make creation functions given no ``device=`` create tensors on ``device`` (None: cpu)."""
    _DEFAULT_DEVICE[0] = None if device is None else _device(device)


def get_default_device():
    """The device creation functions use when given no ``device=``."""
    d = _DEFAULT_DEVICE[0]
    return _device("cpu") if d is None else d


def _place(arr, device, requires_grad: bool) -> Tensor:
    """Wrap a fresh CPU array, move it to ``device`` and set ``requires_grad``."""
    t = _make(arr)
    if device is None:
        device = _DEFAULT_DEVICE[0]
    if device is not None and _device(device).type != "cpu":
        t = t.to(device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(
    data, *, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False
) -> Tensor:
    """A new leaf tensor copying ``data`` (nested lists, scalars, arrays or Tensors)."""
    return _place(array_from_data(data, dtype, copy=True), device, requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return tensor(float(s), dtype=dtype, device=device, requires_grad=requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a numpy array or Tensor when it can."""
    if isinstance(data, Tensor):
        out = data
        if dtype is not None:
            out = out.to(dtype)
        return out.to(device) if device is not None else out
    return _place(array_from_data(data, dtype, copy=False), device, False)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad: bool = False) -> Tensor:
    t = as_tensor(obj, dtype=dtype, device=device)
    if copy:
        t = t.clone()
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray`` (changes show in both)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dt.from_numpy_dtype(ndarray.dtype)
    return _make(ndarray)


def from_dlpack(ext_tensor) -> Tensor:
    """A tensor sharing memory with any object that implements ``__dlpack__``."""
    if isinstance(ext_tensor, Tensor):
        return _make(ext_tensor._data)
    dev_type = ext_tensor.__dlpack_device__()[0] if hasattr(ext_tensor, "__dlpack_device__") else 1
    if dev_type == 1:  # kDLCPU
        return _make(np.from_dlpack(ext_tensor))
    import cupy

    return _make(cupy.from_dlpack(ext_tensor))


def _filled(fill, size, dtype, device, requires_grad, default_np):
    npd = default_np if dtype is None else _dt.to_numpy_dtype(dtype)
    shape = _sizes(size)
    arr = np.full(shape, fill, npd) if fill is not None else np.empty(shape, npd)
    return _place(arr, device, requires_grad)


def zeros(
    *size, out=None, dtype=None, layout=None, device=None, requires_grad: bool = False
) -> Tensor:
    return _filled(0, size, dtype, device, requires_grad, _float_dtype(None))


def ones(
    *size, out=None, dtype=None, layout=None, device=None, requires_grad: bool = False
) -> Tensor:
    return _filled(1, size, dtype, device, requires_grad, _float_dtype(None))


def empty(
    *size,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
    memory_format=None,
) -> Tensor:
    return _filled(None, size, dtype, device, requires_grad, _float_dtype(None))


def full(
    size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad: bool = False
) -> Tensor:
    """Filled with ``fill_value``; the dtype is inferred from it as ``tensor`` would."""
    default = array_from_data(fill_value, copy=False).dtype if dtype is None else None
    return _filled(fill_value, (size,), dtype, device, requires_grad, default)


def eye(
    n: int,
    m: int | None = None,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    return _place(np.eye(n, m, dtype=_float_dtype(dtype)), device, requires_grad)


def _range_dtype(values, dtype) -> np.dtype:
    if dtype is not None:
        return _dt.to_numpy_dtype(dtype)
    if builtins.any(
        isinstance(v, float) or (isinstance(v, Tensor) and v.is_floating_point()) for v in values
    ):
        return _dt.get_default_dtype().np
    return np.dtype(np.int64)


def arange(
    start=0,
    end=None,
    step=1,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """Values ``start, start+step, ...`` below ``end``; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    npd = _range_dtype((start, end, step), dtype)
    start, end, step = (float(v) if isinstance(v, Tensor) else v for v in (start, end, step))
    n = builtins.max(math.ceil((end - start) / step), 0)
    arr = (
        (start + np.arange(n, dtype=np.float64) * step).astype(npd)
        if npd.kind == "f"
        else (np.arange(start, end, step).astype(npd))
    )
    return _place(arr, device, requires_grad)


def linspace(
    start,
    end,
    steps: int,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    arr = np.linspace(float(start), float(end), int(steps)).astype(_float_dtype(dtype))
    return _place(arr, device, requires_grad)


def logspace(
    start,
    end,
    steps: int,
    base: float = 10.0,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    arr = np.logspace(float(start), float(end), int(steps), base=base)
    return _place(arr.astype(_float_dtype(dtype)), device, requires_grad)


# ----- random --------------------------------------------------------------------------------
def rand(
    *size,
    generator: Generator | None = None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Uniform on [0, 1)."""
    npd = _float_dtype(dtype)
    gen = numpy_generator(generator)
    arr = gen.random(_sizes(size), dtype=npd if npd != np.float16 else np.float32).astype(npd)
    return _place(arr, device, requires_grad)


def randn(
    *size,
    generator: Generator | None = None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Standard normal."""
    npd = _float_dtype(dtype)
    gen = numpy_generator(generator)
    work = npd if npd != np.float16 else np.float32
    arr = gen.standard_normal(_sizes(size), dtype=work).astype(npd, copy=False)
    return _place(arr, device, requires_grad)


def randint(
    low,
    high=None,
    size=None,
    *,
    generator: Generator | None = None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """Integers uniform on ``[low, high)``: ``randint(high, size)``/``randint(low, high, size)``."""
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint() missing required argument 'size'")
    npd = np.dtype(np.int64) if dtype is None else _dt.to_numpy_dtype(dtype)
    arr = numpy_generator(generator).integers(low, high, size=_sizes((size,)))
    return _place(arr.astype(npd, copy=False), device, requires_grad)


def randperm(
    n: int,
    *,
    generator: Generator | None = None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    npd = np.dtype(np.int64) if dtype is None else _dt.to_numpy_dtype(dtype)
    return _place(numpy_generator(generator).permutation(n).astype(npd), device, requires_grad)


def normal(
    mean=0.0,
    std=1.0,
    size=None,
    *,
    generator: Generator | None = None,
    out=None,
    dtype=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """Normal samples; ``mean``/``std`` may be tensors (their broadcast shape) or floats."""
    gen = numpy_generator(generator)
    m = _host_of(mean)
    s = _host_of(std)
    if device is None:  # tensor mean/std: sample on the host, return on their device
        device = _first_device(mean, std)
    if isinstance(std, (int, float)) and std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    shape = _sizes((size,)) if size is not None else np.broadcast_shapes(np.shape(m), np.shape(s))
    npd = _float_dtype(dtype)
    for x in (mean, std):
        if isinstance(x, Tensor) and dtype is None:
            npd = x._data.dtype
    arr = (gen.standard_normal(shape) * s + m).astype(npd)
    return _place(arr, device, requires_grad)


def bernoulli(input: Tensor, p=None, *, generator: Generator | None = None) -> Tensor:
    """0/1 samples with probability ``input`` (or ``p``), in ``input``'s dtype."""
    prob = _host_of(input) if p is None else _host_of(p)
    u = numpy_generator(generator).random(input._data.shape)
    return _place((u < prob).astype(input._data.dtype), _first_device(input), False)


def multinomial(
    input: Tensor,
    num_samples: int,
    replacement: bool = False,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """Indices sampled from the rows of ``input`` (non-negative weights)."""
    gen = numpy_generator(generator)
    w = _host_of(input).astype(np.float64)
    rows = w.reshape(-1, w.shape[-1])
    if not replacement and num_samples > rows.shape[-1]:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        )
    if (rows < 0).any() or not np.isfinite(rows).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    out = np.stack(
        [
            gen.choice(rows.shape[-1], size=num_samples, replace=replacement, p=r / r.sum())
            for r in rows
        ]
    )
    out = out.reshape(*w.shape[:-1], num_samples).astype(np.int64)
    return _place(out, _first_device(input), False)


# ----- _like and new_* forms -----------------------------------------------------------------
def _like(fn):
    """``fn_like(input, ...)``: ``fn`` with ``input``'s shape, dtype and device by default."""

    def like(
        input: Tensor,
        *,
        dtype=None,
        layout=None,
        device=None,
        requires_grad: bool = False,
        memory_format=None,
    ) -> Tensor:
        return fn(
            input._data.shape,
            dtype=dtype or input.dtype,
            device=device or input.device,
            requires_grad=requires_grad,
        )

    like.__name__ = like.__qualname__ = fn.__name__ + "_like"
    like.__doc__ = f"``{fn.__name__}`` shaped like ``input`` (its dtype and device by default)."
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)
rand_like = _like(rand)
randn_like = _like(randn)


def full_like(
    input: Tensor,
    fill_value,
    *,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    memory_format=None,
) -> Tensor:
    return full(
        input._data.shape,
        fill_value,
        dtype=dtype or input.dtype,
        device=device or input.device,
        requires_grad=requires_grad,
    )


def randint_like(
    input: Tensor,
    low=0,
    high=None,
    *,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    memory_format=None,
) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(
        low,
        high,
        input._data.shape,
        dtype=dtype or input.dtype,
        device=device or input.device,
        requires_grad=requires_grad,
    )


def _new(fn):
    def method(
        self: Tensor, *size, dtype=None, device=None, requires_grad: bool = False, **kwargs
    ) -> Tensor:
        return fn(
            *size,
            dtype=dtype or self.dtype,
            device=device or self.device,
            requires_grad=requires_grad,
            **kwargs,
        )

    method.__name__ = "new_" + fn.__name__
    method.__doc__ = f"``{fn.__name__}`` with this tensor's dtype and device by default."
    return method


new_zeros = _new(zeros)
new_ones = _new(ones)
new_empty = _new(empty)


def new_full(
    self: Tensor, size, fill_value, *, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    return full(
        size,
        fill_value,
        dtype=dtype or self.dtype,
        device=device or self.device,
        requires_grad=requires_grad,
    )


def new_tensor(
    self: Tensor, data, *, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    return tensor(
        data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad
    )


# ----- legacy typed constructors (FloatTensor([1, 2]), LongTensor(3)) -------------------------
def _legacy(dtype):
    class _LegacyTensorType(type):
        def __instancecheck__(cls, obj) -> bool:
            return isinstance(obj, Tensor) and obj.dtype is dtype

    class LegacyTensor(metaclass=_LegacyTensorType):
        def __new__(cls, *args, device=None):
            t = Tensor(*args, dtype=dtype)
            return t.to(device) if device is not None else t

    return LegacyTensor


FloatTensor = _legacy(_dt.float32)
DoubleTensor = _legacy(_dt.float64)
HalfTensor = _legacy(_dt.float16)
LongTensor = _legacy(_dt.int64)
IntTensor = _legacy(_dt.int32)
ShortTensor = _legacy(_dt.int16)
CharTensor = _legacy(_dt.int8)
ByteTensor = _legacy(_dt.uint8)
BoolTensor = _legacy(_dt.bool)
for _name in ("Float", "Double", "Half", "Long", "Int", "Short", "Char", "Byte", "Bool"):
    globals()[_name + "Tensor"].__name__ = _name + "Tensor"
