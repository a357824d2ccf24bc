"""Dtype casts and copies: ``to(dtype)``, ``clone``, ``contiguous``, ``type`` and friends.

Casts are differentiable: the gradient is cast back to the input's dtype.
"""

from __future__ import annotations

import numpy as np

from .._backend import dtype as _dt
from .._backend.device import device as _device
from .._tensor import Tensor
from ..autograd.function import ArrayFunction

__all__ = ["clone", "contiguous", "to", "type_as"]


class ToCopy(ArrayFunction):
    @staticmethod
    def forward(ctx, x, npdtype):
        ctx.src = x.dtype
        return x.astype(npdtype)

    @staticmethod
    def backward(ctx, g):
        return g.to(ctx.src), None


class Clone(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


def _parse_to_args(args, kwargs):
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``, as in PyTorch."""
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, (_dt.dtype, type, np.dtype)):
            dtype = a
        elif isinstance(a, (str, _device, int)) and not isinstance(a, bool):
            device = a
        elif isinstance(a, bool):
            copy = a
        elif a is not None:
            raise TypeError(f"to() received an invalid combination of arguments: {args!r}")
    return dtype, device, copy


def to(self: Tensor, *args, **kwargs) -> Tensor:
    """Cast to a dtype and/or move to a device; returns ``self`` when nothing changes."""
    dtype, device, copy = _parse_to_args(args, kwargs)
    t = self
    if device is not None:
        from ..ops.device import move

        t = move(t, _device(device) if not isinstance(device, int) else _device("cuda", device))
    if dtype is not None:
        npd = _dt.to_numpy_dtype(dtype)
        if npd != t._data.dtype:
            t = ToCopy.apply(t, npd)
    if copy and t is self:
        t = Clone.apply(self)
    return t


def clone(self: Tensor, *, memory_format=None) -> Tensor:
    """A copy with its own memory that stays on the tape (gradient flows through)."""
    return Clone.apply(self)


def contiguous(self: Tensor, memory_format=None) -> Tensor:
    if self._data.flags.c_contiguous:
        return self
    return Clone.apply(self)


def type_as(self: Tensor, other: Tensor) -> Tensor:
    return to(self, other.dtype)


def _caster(dtype):
    def cast(self: Tensor, memory_format=None) -> Tensor:
        return to(self, dtype)

    cast.__name__ = dtype._name
    cast.__doc__ = f"``self.to({dtype})``."
    return cast


CASTS = {
    "float": _caster(_dt.float32),
    "double": _caster(_dt.float64),
    "half": _caster(_dt.float16),
    "long": _caster(_dt.int64),
    "int": _caster(_dt.int32),
    "short": _caster(_dt.int16),
    "char": _caster(_dt.int8),
    "byte": _caster(_dt.uint8),
    "bool": _caster(_dt.bool),
}

_LEGACY_TYPE_NAMES = {
    "torch.FloatTensor": _dt.float32,
    "torch.DoubleTensor": _dt.float64,
    "torch.HalfTensor": _dt.float16,
    "torch.LongTensor": _dt.int64,
    "torch.IntTensor": _dt.int32,
    "torch.ShortTensor": _dt.int16,
    "torch.CharTensor": _dt.int8,
    "torch.ByteTensor": _dt.uint8,
    "torch.BoolTensor": _dt.bool,
}
_TYPE_NAMES_BY_DTYPE = {v: k for k, v in _LEGACY_TYPE_NAMES.items()}


def type_(self: Tensor, dtype=None, non_blocking: bool = False, **kwargs):
    """``t.type()`` names the legacy type (``'torch.FloatTensor'``); ``t.type(d)`` casts."""
    if dtype is None:
        return _TYPE_NAMES_BY_DTYPE[self.dtype]
    if isinstance(dtype, str):
        key = dtype.replace("eagertorch.", "torch.")
        if key in _LEGACY_TYPE_NAMES:
            dtype = _LEGACY_TYPE_NAMES[key]
    return to(self, dtype)
