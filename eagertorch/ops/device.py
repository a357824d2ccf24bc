"""Moving tensors between devices: a differentiable copy whose gradient moves back."""

from __future__ import annotations

import numpy as np

from .._backend.device import device as _device
from .._tensor import Tensor
from ..autograd.function import ArrayFunction

__all__ = ["cpu", "cuda", "move"]


def _cupy():
    try:
        import cupy
    except ImportError:
        raise RuntimeError(
            "CUDA is not available: eagertorch runs on NVIDIA GPUs through cupy; install it "
            "with pip install 'eagertorch[cuda]' on a machine with a CUDA GPU"
        ) from None
    return cupy


def _to_device_array(x, d: _device):
    if d.type == "cpu":
        return x if type(x) is np.ndarray else x.get()
    cupy = _cupy()
    with cupy.cuda.Device(d.index or 0):
        return cupy.asarray(x)


class ToDevice(ArrayFunction):
    @staticmethod
    def forward(ctx, x, d):
        ctx.src = _device("cpu") if type(x) is np.ndarray else _device("cuda", x.device.id)
        return _to_device_array(x, d)

    @staticmethod
    def backward(ctx, g):
        return move(g, ctx.src), None


def move(t: Tensor, d: _device) -> Tensor:
    if t.device == d:
        return t
    return ToDevice.apply(t, d)


def cpu(self: Tensor, memory_format=None) -> Tensor:
    return move(self, _device("cpu"))


def cuda(self: Tensor, device=None, non_blocking: bool = False, memory_format=None) -> Tensor:
    if isinstance(device, int):
        device = _device("cuda", device)
    return move(self, _device(device or "cuda:0"))
