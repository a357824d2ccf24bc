"""``F.dropout`` and its channel-wise (``dropout1d/2d/3d``) and SELU (``alpha_dropout``) kin.

The random mask comes from eagertorch's generator (``manual_seed`` makes it reproducible)
and is applied with one multiplication, so the gradient is ``g * mask`` and double
backward comes for free.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..._backend.device import array_module
from ..._backend.random import numpy_generator
from ..._tensor import Tensor, _make

__all__ = [
    "alpha_dropout",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "feature_alpha_dropout",
]

# -alpha * scale of SELU: the value an alpha-dropped unit takes before the affine correction.
_SELU_NEG_SATURATION = 1.7580993408473766


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep(x, shape: tuple, p: float):
    """A bool array of ``shape``, True with probability ``1 - p`` (32 random bits each)."""
    n = 1
    for s in shape:
        n *= s
    bits = numpy_generator(None).bit_generator.random_raw((n + 1) // 2).view(np.uint32)
    keep = (bits[:n] >= int(p * 4294967296.0)).reshape(shape)
    xp = array_module(x)
    return keep if xp is np else xp.asarray(keep)


def _scaled_mask(input: Tensor, shape: tuple, p: float) -> Tensor:
    """0 where dropped, ``1 / (1 - p)`` where kept, in the input's dtype."""
    x = input._data
    mask = _keep(x, shape, p).astype(x.dtype)
    mask *= 1.0 / (1.0 - p)
    return _make(mask)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    Not training: the input itself.
    """
    _check_p(p)
    return _feature_dropout(input, p, training, inplace, input._data.shape)


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool, shape: tuple):
    # As PyTorch on the CPU: nothing to drop gives the input itself; p = 1 multiplies by 0.
    if not training or p == 0.0 or input._data.size == 0:
        return input
    if p == 1.0:
        return input.mul_(0.0) if inplace else input * 0.0
    mask = _scaled_mask(input, shape, p)
    return input.mul_(mask) if inplace else input * mask


def _channels_shape(x: Tensor) -> tuple:
    """The mask shape that drops whole channels of a batched (N, C, ...) input."""
    s = x._data.shape
    if len(s) < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return s[:2] + (1,) * (len(s) - 2)


def dropout1d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) inputs, with probability ``p`` each."""
    _check_p(p)
    nd = input.ndim
    if nd not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {nd}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs)."
        )
    s = input._data.shape
    shape = (*s[:2], 1) if nd == 3 else (s[0], 1)
    return _feature_dropout(input, p, training, inplace, shape)


def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of (N, C, H, W) inputs, with probability ``p`` each.

    As in PyTorch, a 3-D input is read as (N, C, L) (with a warning).
    """
    _check_p(p)
    nd = input.ndim
    if nd not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if nd == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _feature_dropout(input, p, training, inplace, _channels_shape(input))


def dropout3d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) inputs, with probability ``p``."""
    _check_p(p)
    nd = input.ndim
    if nd not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {nd}-D input to dropout3d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout3d exists to provide "
            "channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 4D or 5D inputs).",
            stacklevel=2,
        )
    s = input._data.shape
    # Unbatched (anything but 5-D): dim 0 holds the channels.
    shape = s[:2] + (1,) * 3 if nd == 5 else s[:1] + (1,) * (nd - 1)
    return _feature_dropout(input, p, training, inplace, shape)


def _alpha_dropout(input: Tensor, p: float, training: bool, inplace: bool, shape: tuple):
    _check_p(p)
    x = input._data
    if not training or p == 0.0 or x.size == 0:
        return input
    if p == 1.0:
        return input.mul_(0.0) if inplace else input * 0.0
    keep = _keep(x, shape, p).astype(x.dtype)
    alpha = _SELU_NEG_SATURATION
    a = 1.0 / float(np.sqrt((alpha * alpha * p + 1.0) * (1.0 - p)))
    # Kept: a * x + alpha * a * p; dropped: a * (alpha * p - alpha), the SELU saturation
    # value shifted so that mean and variance are preserved.
    shift = keep * (alpha * a) + (alpha * a * (p - 1.0))
    mult = _make(keep * a)
    out = input.mul_(mult) if inplace else input * mult
    return out.add_(_make(shift)) if inplace else out + _make(shift)


def alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """Dropout for SELU networks: dropped units take SELU's saturation value, and an affine
    map keeps the mean and variance of the input (0 and 1) unchanged."""
    return _alpha_dropout(input, p, training, inplace, input._data.shape)


def feature_alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """``alpha_dropout`` of whole channels (dim 1)."""
    return _alpha_dropout(input, p, training, inplace, _channels_shape(input))
