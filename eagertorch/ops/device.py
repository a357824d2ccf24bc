"""Moving tensors between devices: a differentiable copy whose gradient moves back."""

from __future__ import annotations

from .._backend import device as _bdev
from .._backend.device import device as _device
from .._tensor import Tensor
from ..autograd.function import ArrayFunction

__all__ = ["cpu", "cuda", "move"]


class ToDevice(ArrayFunction):
    @staticmethod
    def forward(ctx, x, d):
        ctx.src = _bdev.device_of(x)
        return _bdev.to_device(x, d)

    @staticmethod
    def backward(ctx, g):
        return move(g, ctx.src), None


def move(t: Tensor, d) -> Tensor:
    """``t`` on device ``d`` (``t`` itself when already there); gradient flows back."""
    d = _bdev.resolve(d)
    if _bdev.device_of(t._data) == d:
        return t
    return ToDevice.apply(t, d)


def cpu(self: Tensor, memory_format=None) -> Tensor:
    return move(self, _bdev.CPU)


def cuda(self: Tensor, device=None, non_blocking: bool = False, memory_format=None) -> Tensor:
    if device is None:
        device = _device("cuda")
    elif isinstance(device, int):
        device = _device("cuda", device)
    else:
        device = _device(device)
        if device.type != "cuda":
            raise RuntimeError(f"Invalid device, must be cuda device, got {device}")
    return move(self, device)
