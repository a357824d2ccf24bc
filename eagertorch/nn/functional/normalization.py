"""``F.batch_norm``, ``F.layer_norm``, ``F.group_norm``, ``F.instance_norm``, ``F.rms_norm``,
``F.normalize`` and ``F.local_response_norm``.

Batch, layer and group norm are one primitive each (``ops/normalization.py``); the others
compose Tensor ops. Arguments are checked here, with PyTorch's messages.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..._backend.size import Size
from ..._tensor import Tensor, _make
from ...autograd.grad_mode import no_grad
from ...ops.normalization import NativeBatchNorm, NativeGroupNorm, NativeLayerNorm
from ...ops.shape import cat

__all__ = [
    "batch_norm",
    "group_norm",
    "instance_norm",
    "layer_norm",
    "local_response_norm",
    "normalize",
    "rms_norm",
]


def _bump_version(t: Tensor) -> None:
    """Record an in-place write done on ``t``'s array (the running statistics)."""
    (t._view[0] if t._view is not None else t)._version += 1


def _verify_batch_size(size: Size) -> None:
    n = size[0]
    for s in size[2:]:
        n *= s
    if n == 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size {size}"
        )


def _check_channel_vectors(c: int, **vectors) -> None:
    for name, t in vectors.items():
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (dim 1) over the batch and every other dim.

    Training: batch statistics (biased variance), and ``running_mean``/``running_var``,
    if given, move towards them by ``momentum`` (the variance unbiased), in place.
    Evaluation: the running statistics, which must then be given.
    """
    if training:
        _verify_batch_size(input.shape)
    c = input.size(1)
    _check_channel_vectors(
        c, running_mean=running_mean, running_var=running_var, weight=weight, bias=bias
    )
    if training:
        if input._data.size == 0:
            return _empty_affine(input, weight, bias)
        out = NativeBatchNorm.apply(input, weight, bias, running_mean, running_var, momentum, eps)
        if running_mean is not None:
            _bump_version(running_mean)
        if running_var is not None:
            _bump_version(running_var)
        return out
    if running_mean is None:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    if running_var is None:
        raise RuntimeError("running_var must be defined in evaluation mode")
    # y = x * scale + shift with per-channel scale = weight / sqrt(var + eps) and
    # shift = bias - mean * scale: two ops on the input, the rest on C-vectors.
    shape = (c,) + (1,) * (input.ndim - 2)
    scale = (running_var + eps).rsqrt()
    if weight is not None:
        scale = scale * weight
    shift = running_mean * scale
    shift = -shift if bias is None else bias - shift
    return input * scale.reshape(shape) + shift.reshape(shape)


def _empty_affine(input: Tensor, weight, bias) -> Tensor:
    """An empty batch: an empty result still connected to the graph (as PyTorch)."""
    out = input * 1.0
    if weight is not None:
        out = out * weight[0]
    if bias is not None:
        out = out + bias[0]
    return out


def _normalized_shape(normalized_shape) -> tuple:
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    return tuple(int(s) for s in normalized_shape)


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dims, then ``* weight + bias``."""
    shape = _normalized_shape(normalized_shape)
    nd = len(shape)
    if nd == 0 or input.ndim < nd or tuple(input.shape[input.ndim - nd :]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size{list(input.shape)}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                f"shape {list(t.shape)} and normalized_shape = {list(shape)}"
            )
    return NativeLayerNorm.apply(input, weight, bias, nd, eps)


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over each group of ``C // num_groups`` channels (and all spatial dims)."""
    if input.ndim < 2:
        raise RuntimeError(
            f"Expected at least 2 dimensions for input tensor but received {input.ndim}"
        )
    c = input.shape[1]
    if num_groups <= 0 or c % num_groups != 0:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got "
            f"input of shape {list(input.shape)} and num_groups={num_groups}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t.numel() != c):
            raise RuntimeError(
                f"Expected {name} to be a vector of size equal to the number of channels in "
                f"input, but got {name} of shape {list(t.shape)} and input of shape "
                f"{list(input.shape)}"
            )
    return NativeGroupNorm.apply(input, weight, bias, num_groups, eps)


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each (sample, channel) over its spatial dims.

    With ``use_input_stats`` the running statistics, if given, move towards the batch
    average of the per-instance statistics; otherwise they normalise, as batch norm's eval.
    """
    if use_input_stats:
        size = input.shape
        n = 1
        for s in size[2:]:
            n *= s
        if n == 1:
            raise ValueError(
                f"Expected more than 1 spatial element when training, got input size {size}"
            )
    c = input.size(1)
    _check_channel_vectors(
        c, running_mean=running_mean, running_var=running_var, weight=weight, bias=bias
    )
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    if running_mean is not None or running_var is not None:
        x = input._data
        axes = tuple(range(2, x.ndim))
        with no_grad():
            if running_mean is not None:
                batch_mean = x.mean(axis=axes).mean(0)
                running_mean.mul_(1 - momentum).add_(_make(batch_mean), alpha=momentum)
            if running_var is not None:
                batch_var = x.var(axis=axes, ddof=1).mean(0)
                running_var.mul_(1 - momentum).add_(_make(batch_var), alpha=momentum)
    return group_norm(input, c, weight, bias, eps)


def rms_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    """``x / sqrt(mean(x**2) + eps) * weight`` over the last dims (eps: the dtype's eps)."""
    shape = _normalized_shape(normalized_shape)
    nd = len(shape)
    if nd == 0 or input.ndim < nd or tuple(input.shape[input.ndim - nd :]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size{list(input.shape)}"
        )
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(input.ndim - nd, input.ndim))
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim``."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps)
    if out is None:
        return input / denom
    with no_grad():
        out.copy_(input / denom)
    return out


def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """Divide by ``(k + alpha/size * sum of squares over `size` neighbouring channels)**beta``.

    Zero-padded at the channel ends (``size // 2`` before, ``(size - 1) // 2`` after).
    """
    if input.ndim < 3:
        raise ValueError(
            f"Expected 3D or higher dimensionality input (got {input.ndim} dimensions)"
        )
    if input.numel() == 0:
        return input
    sq = input * input
    shape = list(sq.shape)
    before, after = size // 2, (size - 1) // 2
    parts = []
    if before:
        shape[1] = before
        parts.append(sq.new_zeros(shape))
    parts.append(sq)
    if after:
        shape[1] = after
        parts.append(sq.new_zeros(shape))
    padded = cat(parts, 1) if len(parts) > 1 else sq
    c = input.shape[1]
    window = padded[:, 0:c]
    for i in range(1, size):
        window = window + padded[:, i : i + c]
    div = (window * (alpha / size) + k) ** beta
    return input / div
