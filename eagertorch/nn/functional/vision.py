"""nn.functional: resampling, padding and shuffling of images (``interpolate``, ``pad``,
``pixel_shuffle``, ``channel_shuffle``...).

Every mode is separable: one sparse linear map per spatial axis (``ops.pooling.AxisMap``),
applied as a take plus a segment sum, so its backward (the transposed maps) costs the same.
"""

from __future__ import annotations

import math
import operator
import warnings

import numpy as np

from ..._backend.dtype import float64 as _float64
from ..._tensor import Tensor
from ...ops import pooling as _ops
from ...ops.shape import pad as _constant_pad
from . import pooling as _pooling

__all__ = [
    "channel_shuffle",
    "interpolate",
    "pad",
    "pixel_shuffle",
    "pixel_unshuffle",
    "upsample",
    "upsample_bilinear",
    "upsample_nearest",
]

_MODES = "nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact"
_NEEDS = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
_OPS = {
    ("nearest", 1): _ops.UpsampleNearest1D,
    ("nearest", 2): _ops.UpsampleNearest2D,
    ("nearest", 3): _ops.UpsampleNearest3D,
    ("nearest-exact", 1): _ops.UpsampleNearest1D,
    ("nearest-exact", 2): _ops.UpsampleNearest2D,
    ("nearest-exact", 3): _ops.UpsampleNearest3D,
    ("linear", 1): _ops.UpsampleLinear1D,
    ("bilinear", 2): _ops.UpsampleBilinear2D,
    ("trilinear", 3): _ops.UpsampleTrilinear3D,
    ("bicubic", 2): _ops.UpsampleBicubic2D,
}


def _spatial_args(input: Tensor, size, scale_factor, dim: int):
    """``(output_size, scale_factors)`` as PyTorch's ``interpolate`` resolves them."""
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {spatial} and output size of {size}. "
                    "Please provide input tensor in (N, C, d1, d2, ...,dK) format and output "
                    "size in (o1, o2, ...,oK) format."
                )
            return [operator.index(s) for s in size], None
        return [operator.index(size)] * dim, None
    if scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, "
                    f"but got input with spatial dimensions of {spatial} and scale_factor of "
                    f"shape {scale_factor}. Please provide input tensor in (N, C, d1, d2, "
                    "...,dK) format and scale_factor in (s1, s2, ...,sK) format."
                )
            return None, [float(s) for s in scale_factor]
        return None, [float(scale_factor)] * dim
    raise ValueError("either size or scale_factor should be defined")


def _check_sizes(in_sizes, out_sizes) -> None:
    if min(in_sizes) > 0 and min(out_sizes) > 0:
        return
    letters = ("W",) if len(in_sizes) == 1 else ("H", "W") if len(in_sizes) == 2 else "DHW"
    got_in = ", ".join(f"{c}: {n}" for c, n in zip(letters, in_sizes))
    got_out = ", ".join(f"{c}: {n}" for c, n in zip(letters, out_sizes))
    raise RuntimeError(
        "Input and output sizes should be greater than 0, but got input "
        f"({got_in}) output ({got_out})"
    )


def interpolate(
    input: Tensor,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial dims of ``(N, C, *spatial)`` input to ``size`` or by ``scale_factor``.

    ``mode``: 'nearest' (PyTorch's floor rule), 'nearest-exact', 'linear' (3-d input),
    'bilinear'/'bicubic' (4-d), 'trilinear' (5-d) or 'area' (adaptive average pooling).
    ``align_corners`` (interpolating modes only, default False) maps corner pixel centres
    onto each other. Given a ``scale_factor``, coordinates use ``1/scale_factor`` unless
    ``recompute_scale_factor`` is True.
    """
    if not isinstance(input, Tensor):
        raise TypeError(
            f"interpolate(): argument 'input' (position 1) must be Tensor, not "
            f"{type(input).__name__}"
        )
    dim = input.ndim - 2
    output_size, scale_factors = _spatial_args(input, size, scale_factor, dim)
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor and scale_factors is not None:
        output_size = [math.floor(float(input.shape[i + 2]) * scale_factors[i]) for i in range(dim)]
        scale_factors = None
    if antialias:
        if not (mode in ("bilinear", "bicubic") and input.ndim == 4):
            raise ValueError(
                "Anti-alias option is restricted to bilinear and bicubic modes and requires a "
                "4-D tensor as input"
            )
        raise NotImplementedError("interpolate(antialias=True) is not supported by eagertorch")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: "
                "linear | bilinear | bicubic | trilinear"
            )
    elif align_corners is None:
        align_corners = False
    if input.ndim not in (3, 4, 5) or mode not in (*_NEEDS, "nearest", "area", "nearest-exact"):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
            f"the modes: {_MODES} (got {mode})"
        )
    if mode in _NEEDS and _NEEDS[mode] != input.ndim:
        raise NotImplementedError(
            f"Got {input.ndim}D input, but {mode} mode needs {_NEEDS[mode]}D input"
        )
    in_sizes = tuple(input.shape[2:])
    if output_size is None:
        output_size = [math.floor(n * s) for n, s in zip(in_sizes, scale_factors)]
    if mode == "area":
        return _pooling._adaptive_avg(dim, input, tuple(output_size))
    _check_sizes(in_sizes, output_size)
    if mode not in ("nearest", "nearest-exact"):
        if not input.is_floating_point():
            raise NotImplementedError(
                f'"upsample_{mode}{dim}d" not implemented for '
                f"'{str(input.dtype).split('.')[-1].capitalize()}'"
            )
        if input.shape[1] == 0:
            raise RuntimeError(
                f"Non-empty {input.ndim}D data tensor expected but got a tensor with sizes "
                f"{list(input.shape)}"
            )
    scales = scale_factors or [None] * dim
    # PyTorch computes coordinates in float32 unless the input is float64.
    opmath = np.float64 if input.dtype == _float64 else np.float32
    if mode in ("nearest", "nearest-exact"):
        exact = mode == "nearest-exact"
        maps = [_ops.nearest_map(n, o, s, exact) for n, o, s in zip(in_sizes, output_size, scales)]
    elif mode == "bicubic":
        maps = [
            _ops.cubic_map(n, o, s, bool(align_corners), opmath)
            for n, o, s in zip(in_sizes, output_size, scales)
        ]
    else:
        maps = [
            _ops.linear_map(n, o, s, bool(align_corners), opmath)
            for n, o, s in zip(in_sizes, output_size, scales)
        ]
    return _OPS[mode, dim].apply(input, tuple(maps))


def upsample(
    input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None
) -> Tensor:
    """Deprecated alias of ``interpolate``."""
    warnings.warn(
        "`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='nearest')``."""
    warnings.warn(
        "`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``."""
    warnings.warn(
        "`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last dims: ``pad = (last_lo, last_hi, second_last_lo, second_last_hi, ...)``.

    ``mode``: 'constant' (with ``value``, default 0; negative amounts crop), or 'reflect',
    'replicate', 'circular' for the last 1-3 dims of a batched or unbatched input.
    """
    if mode == "constant":
        return _constant_pad(input, pad, "constant", value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    pad = tuple(operator.index(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    nd = len(pad) // 2
    if nd > input.ndim:
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pad)} and input of dimension {input.ndim}"
        )
    if nd not in (1, 2, 3) or input.ndim not in (nd + 1, nd + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )
    shape = tuple(input.shape)
    maps = []
    for i in reversed(range(nd)):  # the last dim first: PyTorch reports the first bad one so
        d = input.ndim - nd + i
        lo, hi = pad[2 * (nd - 1 - i)], pad[2 * (nd - 1 - i) + 1]
        n = shape[d]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(
                f"Argument #{4 + 2 * (nd - 1 - i)}: Padding size should be less than the "
                f"corresponding input dimension, but got: padding ({lo}, {hi}) at dimension {d} "
                f"of input {list(shape)}"
            )
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if n == 0 or n + lo + hi < 0:
            raise RuntimeError(
                f"input tensor must have non-empty spatial dimensions and a non-negative padded "
                f"size, but got dimension {d} of size {n} with padding ({lo}, {hi})"
            )
        maps.append(_ops.pad_map(n, lo, hi, mode))
    return _ops.PadIndexed.apply(input, tuple(reversed(maps)))


def _check_int(fn: str, name: str, value) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(
            f"{fn}(): argument '{name}' (position 2) must be int, not {type(value).__name__}"
        )


def _check_factor(fn: str, name: str, input: Tensor, factor) -> None:
    _check_int(fn, name, factor)
    if input.ndim < 3:
        raise RuntimeError(
            f"{fn} expects input to have at least 3 dimensions, but got input with {input.ndim} "
            "dimension(s)"
        )
    if factor <= 0:
        raise RuntimeError(f"{fn} expects a positive {name}, but got {factor}")


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r): sub-pixel convolution's rearrangement, each
    group of r*r channels becoming an r x r block of pixels."""
    _check_factor("pixel_shuffle", "upscale_factor", input, upscale_factor)
    r = upscale_factor
    *batch, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
            f"of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}"
        )
    n = len(batch)
    x = input.reshape(*batch, c // (r * r), r, r, h, w)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W): the inverse of ``pixel_shuffle``."""
    _check_factor("pixel_unshuffle", "downscale_factor", input, downscale_factor)
    r = downscale_factor
    *batch, c, h, w = input.shape
    for what, size, d in (("height", h, -2), ("width", w, -1)):
        if size % r:
            raise RuntimeError(
                f"pixel_unshuffle expects {what} to be divisible by downscale_factor, but "
                f"input.size({d})={size} is not divisible by {r}"
            )
    n = len(batch)
    x = input.reshape(*batch, c, h // r, r, w // r, r)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*batch, c * r * r, h // r, w // r)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, C, *) with C = g*k: channel ``i*k + j`` moves to ``j*g + i`` (ShuffleNet), so the
    next grouped convolution sees channels from every group."""
    _check_int("channel_shuffle", "groups", groups)
    if input.ndim <= 2:
        raise RuntimeError(
            f"channel_shuffle expects input with > 2 dims, but got input with sizes "
            f"{list(input.shape)}"
        )
    if groups <= 0:
        raise RuntimeError(
            f"Number of groups to divide channels in must be positive. Value of groups:{groups}"
        )
    n, c, *rest = input.shape
    if c % groups:
        raise RuntimeError(
            f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups."
        )
    return input.reshape(n, groups, c // groups, *rest).transpose(1, 2).reshape(input.shape)
