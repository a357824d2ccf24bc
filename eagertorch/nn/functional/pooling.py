"""nn.functional: max, average, adaptive and power-average pooling, and max unpooling.

Arguments are checked here, in PyTorch's order and wording; the work is done by the ops in
``eagertorch.ops.pooling`` (strided views per kernel offset, no loop over windows).
"""

from __future__ import annotations

import functools
import math
import operator

from ..._tensor import Tensor
from ...ops import pooling as _ops

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d",
    "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d",
    "adaptive_max_pool3d_with_indices",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "lp_pool1d",
    "lp_pool2d",
    "lp_pool3d",
    "max_pool1d",
    "max_pool1d_with_indices",
    "max_pool2d",
    "max_pool2d_with_indices",
    "max_pool3d",
    "max_pool3d_with_indices",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
]

_WORDS = {1: "one", 2: "two", 3: "three"}
_MAX_OPS = {
    1: _ops.MaxPool1DWithIndices,
    2: _ops.MaxPool2DWithIndices,
    3: _ops.MaxPool3DWithIndices,
}
_AVG_OPS = {1: _ops.AvgPool1D, 2: _ops.AvgPool2D, 3: _ops.AvgPool3D}
_ADAPTIVE_MAX_OPS = {
    1: _ops.AdaptiveMaxPool1D,
    2: _ops.AdaptiveMaxPool2D,
    3: _ops.AdaptiveMaxPool3D,
}
_ADAPTIVE_AVG_OPS = {
    1: _ops.AdaptiveAvgPool1D,
    2: _ops.AdaptiveAvgPool2D,
    3: _ops.AdaptiveAvgPool3D,
}


# ----- argument parsing -----------------------------------------------------------------------
def _ints(value, fname: str, arg: str, position: int) -> tuple:
    """An int or a sequence of ints as a tuple (PyTorch's TypeError for anything else)."""
    if isinstance(value, (list, tuple)) or type(value).__name__ == "Size":
        out = []
        for i, v in enumerate(value):
            try:
                out.append(operator.index(v))
            except TypeError:
                raise TypeError(
                    f"{fname}(): argument '{arg}' must be tuple of ints, but found element of "
                    f"type {type(v).__name__} at pos {i}"
                ) from None
        return tuple(out)
    try:
        return (operator.index(value),)
    except TypeError:
        raise TypeError(
            f"{fname}(): argument '{arg}' (position {position}) must be tuple of ints, not "
            f"{type(value).__name__}"
        ) from None


def _expand(values: tuple, nd: int) -> tuple:
    return values * nd if len(values) == 1 else values


def _check_tensor(input, fname: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{fname}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )


def _trunc_half(n: int) -> int:
    """C++'s ``n / 2`` (truncating toward zero), as PyTorch's checks compute it."""
    return n // 2 if n >= 0 else -((-n) // 2)


def _output_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's ``pooling_output_shape``, with its checks in its order."""
    if s == 0:
        raise RuntimeError("stride should not be zero")
    if p < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
    if p > _trunc_half((k - 1) * d + 1):
        raise RuntimeError(
            "pad should be at most half of effective kernel size, but got "
            f"pad={p}, kernel_size={k} and dilation={d}"
        )
    return _ops.pool_output_size(size, k, s, p, d, ceil_mode)


def _dims_letters(nd: int) -> tuple:
    return ("W",) if nd == 1 else ("H", "W") if nd == 2 else ("T", "H", "W")


def _pool_geometry(
    fname, shape, nd, kernel_size, stride, padding, dilation, ceil_mode, *, max_pool: bool
):
    """Validated window geometry of a 2-d or 3-d pool (and of 1-d average pooling, which
    PyTorch checks as a 2-d pool of height 1)."""
    word = _WORDS[nd]
    kernel = _ints(kernel_size, fname, "kernel_size", 2)
    if len(kernel) not in (1, nd):
        verb = "must either be" if max_pool or nd == 2 else "must be"
        raise RuntimeError(f"{fname}: kernel_size {verb} a single int, or a tuple of {word} ints")
    stride = () if stride is None else _ints(stride, fname, "stride", 3)
    if len(stride) not in (0, 1, nd):
        raise RuntimeError(
            f"{fname}: stride must either be omitted, a single int, or a tuple of {word} ints"
        )
    padding = _ints(padding, fname, "padding", 4)
    if len(padding) not in (1, nd):
        raise RuntimeError(
            f"{fname}: padding must either be a single int, or a tuple of {word} ints"
        )
    dilation = _ints(dilation, fname, "dilation", 5)
    if len(dilation) not in (1, nd):
        raise RuntimeError(
            f"{fname}: dilation must be either a single int, or a tuple of {word} ints"
        )
    kernel = _expand(kernel, nd)
    stride = _expand(stride, nd) if stride else kernel
    padding = _expand(padding, nd)
    dilation = _expand(dilation, nd)
    ndim = len(shape)
    if ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input"
        )
    in_sizes = tuple(shape[-nd:])
    out_sizes = tuple(
        _output_size(n, k, s, p, d, ceil_mode)
        for n, k, s, p, d in zip(in_sizes, kernel, stride, padding, dilation)
    )
    letters = _dims_letters(nd)
    if min(kernel) <= 0:
        got = " ".join(f"k{c}: {k}" for c, k in zip(letters, kernel))
        raise RuntimeError(f"kernel size should be greater than zero, but got {got}")
    if min(stride) <= 0:
        got = " ".join(f"d{c}: {s}" for c, s in zip(letters, stride))
        raise RuntimeError(f"stride should be greater than zero, but got {got}")
    if min(dilation) <= 0:
        got = " ".join(f"dilation{c}: {d}" for c, d in zip(letters, dilation))
        raise RuntimeError(f"dilation should be greater than zero, but got {got}")
    if 0 in shape[1:] or (ndim == nd + 1 and shape[0] == 0):
        raise RuntimeError(
            f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional 0 dim batch size "
            f"for input, but got:{list(shape)}"
        )
    if any(k // 2 < p for k, p in zip(kernel, padding)):
        if nd == 3:
            kt, kh, kw = kernel
            pt, ph, pw = padding
            got = f"kT: {kt} kW: {kw} kH: {kh} padT: {pt} padW: {pw} padH: {ph}"
        else:
            got = ", ".join(
                [f"pad{c} = {p}" for c, p in zip(reversed(letters), reversed(padding))]
                + [f"k{c} = {k}" for c, k in zip(reversed(letters), reversed(kernel))]
            )
        raise RuntimeError(
            f"pad should be smaller than or equal to half of kernel size, but got {got}"
        )
    if nd == 3 and not max_pool and any(n < k for n, k in zip(in_sizes, kernel)):
        sizes = " ".join(f"{c}: {n}" for c, n in zip(letters, in_sizes))
        kernels = " ".join(f"k{c}: {k}" for c, k in zip(letters, kernel))
        raise RuntimeError(f"input image ({sizes}) smaller than kernel size ({kernels})")
    if min(out_sizes) < 1:
        planes = shape[-nd - 1]
        raise RuntimeError(
            f"Given input size: ({'x'.join(map(str, (planes, *in_sizes)))}). Calculated output "
            f"size: ({'x'.join(map(str, (planes, *out_sizes)))}). Output size is too small"
        )
    return _ops.windows(in_sizes, out_sizes, kernel, stride, padding, dilation)


def _max_pool1d_geometry(shape, kernel_size, stride, padding, dilation, ceil_mode):
    """``max_pool1d`` has its own checks and wording in PyTorch."""
    kernel = _ints(kernel_size, "max_pool1d", "kernel_size", 2)
    if len(kernel) != 1:
        raise RuntimeError(
            "max_pool1d() kernel_size must be an int, list of ints or tuple of ints of size 1 "
            f"but got size {len(kernel)}"
        )
    stride = () if stride is None else _ints(stride, "max_pool1d", "stride", 3)
    if len(stride) > 1:
        raise RuntimeError(
            "max_pool1d() stride must be None, an int, list of ints, or tuple of ints of size 1 "
            f"but got size {len(stride)}"
        )
    padding = _ints(padding, "max_pool1d", "padding", 4)
    if len(padding) != 1:
        raise RuntimeError(
            "max_pool1d() padding must be an int, list of ints, or tuple of ints of size 1 but "
            f"got size {len(padding)}"
        )
    dilation = _ints(dilation, "max_pool1d", "dilation", 5)
    if len(dilation) != 1:
        raise RuntimeError(
            "max_pool1d() dilation must be an int, list of ints or tuple of ints of size 1 but "
            f"got size {len(dilation)}"
        )
    if len(shape) not in (2, 3) or 0 in shape[1:] or (len(shape) == 2 and shape[0] == 0):
        raise RuntimeError(
            "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size "
            f"for input, but got:{list(shape)}"
        )
    (k,) = kernel
    (s,) = stride or kernel
    (p,) = padding
    (d,) = dilation
    if k <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(
            "max_pool1d() padding should be at most half of kernel size, but got "
            f"padding={p} and kernel_size={k}"
        )
    if d <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")
    out = _ops.pool_output_size(shape[-1], k, s, p, d, ceil_mode)
    if out <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {out}")
    return _ops.windows((shape[-1],), (out,), (k,), (s,), (p,), (d,))


# ----- max pooling ----------------------------------------------------------------------------
def _avg_pool1d_geometry(shape, kernel_size, stride, padding, ceil_mode):
    """``avg_pool1d``: PyTorch checks its arguments, then pools a height-1 image (so the
    remaining checks and messages are the 2-d ones)."""
    args = []
    for name, value, pos in (
        ("kernel_size", kernel_size, 2),
        ("stride", stride, 3),
        ("padding", padding, 4),
    ):
        v = () if value is None else _ints(value, "avg_pool1d", name, pos)
        if len(v) > 1 or (not v and name != "stride"):
            raise RuntimeError(
                f"avg_pool1d() argument '{name}' should contain one int (got {len(v)})"
            )
        args.append(v)
    if len(shape) not in (2, 3):
        raise RuntimeError(
            f"Expected 2 to 3 dimensions, but got {len(shape)}-dimensional tensor for argument "
            "#1 'self' (while checking arguments for avg_pool1d)"
        )
    kernel, stride_, pad = args
    w = _pool_geometry(
        "avg_pool2d",
        (*shape[:-1], 1, shape[-1]),
        2,
        (1, kernel[0]),
        (1, (stride_ or kernel)[0]),
        (0, pad[0]),
        1,
        ceil_mode,
        max_pool=False,
    )
    return _ops.windows(
        w.in_sizes[1:], w.out_sizes[1:], w.kernel[1:], w.stride[1:], w.padding[1:], (1,)
    )


def _geometry(kind: str, shape: tuple, kernel_size, stride, padding, dilation, ceil_mode):
    """The checked window geometry of pooling ``kind`` (e.g. 'max_pool2d') over ``shape``."""
    if kind == "max_pool1d":
        return _max_pool1d_geometry(shape, kernel_size, stride, padding, dilation, ceil_mode)
    if kind == "avg_pool1d":
        return _avg_pool1d_geometry(shape, kernel_size, stride, padding, ceil_mode)
    nd = int(kind[-2])
    return _pool_geometry(
        kind,
        shape,
        nd,
        kernel_size,
        stride,
        padding,
        dilation,
        ceil_mode,
        max_pool=kind.startswith("max"),
    )


_cached_geometry = functools.lru_cache(maxsize=512)(_geometry)


def _plain(v) -> bool:
    """An int or a tuple of ints: safe as a cache key (2.0 or True would hash like 2 or 1)."""
    t = type(v)
    return t is int or (t is tuple and all(type(e) is int for e in v))


def _windows_for(kind, input, kernel_size, stride, padding, dilation, ceil_mode):
    _check_tensor(input, kind)
    shape = input._data.shape
    ceil_mode = bool(ceil_mode)
    if (
        _plain(kernel_size)
        and (stride is None or _plain(stride))
        and _plain(padding)
        and _plain(dilation)
    ):
        return _cached_geometry(kind, shape, kernel_size, stride, padding, dilation, ceil_mode)
    return _geometry(kind, shape, kernel_size, stride, padding, dilation, ceil_mode)


def _max_pool(nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    w = _windows_for(f"max_pool{nd}d", input, kernel_size, stride, padding, dilation, ceil_mode)
    return _MAX_OPS[nd].apply(input, w, bool(return_indices))


def max_pool1d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """Max over sliding windows of the last dim of ``(N, C, L)`` or ``(C, L)`` input.

    ``stride`` defaults to ``kernel_size``; ``padding`` (at most half the kernel) pads with
    -inf; ``return_indices`` also returns each maximum's position within its ``L`` plane.
    """
    return _max_pool(1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """Max over sliding windows of the last two dims of ``(N, C, H, W)`` or ``(C, H, W)``.

    ``stride`` defaults to ``kernel_size``; ``padding`` (at most half the effective kernel)
    pads with -inf; ``ceil_mode`` keeps a last partial window unless it starts in the right
    padding; ``return_indices`` also returns the flat ``h * W + w`` position of each maximum
    (ties: the first in row-major window order).
    """
    return _max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool3d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """Max over sliding windows of the last three dims of ``(N, C, D, H, W)`` or 4-d input."""
    return _max_pool(3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool1d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=True
):
    """``max_pool1d`` returning ``(values, indices)``."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=True
):
    """``max_pool2d`` returning ``(values, indices)``."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=True
):
    """``max_pool3d`` returning ``(values, indices)``."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# ----- average pooling ------------------------------------------------------------------------
def _avg(nd, input, w, count_include_pad, divisor_override) -> Tensor:
    if divisor_override is not None:
        divisor = divisor_override
    else:
        divisor = _ops.avg_divisor(w, bool(count_include_pad))
    return _AVG_OPS[nd].apply(input, w, divisor)


def _check_divisor(divisor_override) -> None:
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")


def avg_pool1d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
):
    """Mean over sliding windows of the last dim of ``(N, C, L)`` or ``(C, L)`` input.

    ``count_include_pad`` counts the zero padding in each window's divisor.
    """
    w = _windows_for("avg_pool1d", input, kernel_size, stride, padding, 1, ceil_mode)
    return _avg(1, input, w, count_include_pad, None)


def avg_pool2d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
):
    """Mean over sliding windows of the last two dims of ``(N, C, H, W)`` or ``(C, H, W)``.

    ``count_include_pad`` counts the zero padding in each window's divisor;
    ``divisor_override`` divides every window's sum by that number instead.
    """
    _check_divisor(divisor_override)
    w = _windows_for("avg_pool2d", input, kernel_size, stride, padding, 1, ceil_mode)
    return _avg(2, input, w, count_include_pad, divisor_override)


def avg_pool3d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
):
    """Mean over sliding windows of the last three dims of 5-d (or unbatched 4-d) input."""
    _check_divisor(divisor_override)
    w = _windows_for("avg_pool3d", input, kernel_size, stride, padding, 1, ceil_mode)
    return _avg(3, input, w, count_include_pad, divisor_override)


# ----- adaptive pooling -----------------------------------------------------------------------
def _adaptive_sizes(fname: str, input, nd: int, output_size) -> tuple:
    """PyTorch's checks of an adaptive pool's ``output_size`` (None: keep that input size)."""
    if isinstance(output_size, (list, tuple)) or type(output_size).__name__ == "Size":
        sizes = tuple(output_size)
    else:
        sizes = (output_size,) * nd
    if nd == 1 and len(sizes) != 1:
        raise RuntimeError(
            f"{fname}() argument 'output_size' should contain one int (got {len(sizes)})"
        )
    if any(s is None for s in sizes):
        if input.ndim <= len(sizes):
            raise ValueError(f"Input dimension should be at least {len(sizes) + 1}")
        sizes = tuple(
            input.shape[input.ndim - len(sizes) + i] if s is None else s
            for i, s in enumerate(sizes)
        )
    sizes = _ints(sizes, fname, "output_size", 2)
    if len(sizes) != nd:
        raise RuntimeError(f"{fname}: output_size must be {nd}")
    if nd == 1:
        if input.ndim not in (2, 3):
            raise RuntimeError(
                f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for "
                f"argument #1 'self' (while checking arguments for {fname})"
            )
    elif input.ndim not in (nd + 1, nd + 2):
        colon = ":" if "max" in fname else ""
        raise RuntimeError(
            f"{fname}(): Expected {nd + 1}D or {nd + 2}D tensor, but got{colon} {list(input.shape)}"
        )
    if any(s < 0 for s in sizes):
        got = ", ".join(map(str, sizes))
        raise RuntimeError(
            f"{fname}: elements of output_size must be greater than or equal to 0 but received "
            f"{{{got}}}"
        )
    first = 1 if input.ndim == nd + 2 else 0
    for i in range(first, input.ndim):
        if input.shape[i] == 0:
            raise RuntimeError(
                f"{fname}(): Expected input to have non-zero size for non-batch dimensions, but "
                f"input has sizes {list(input.shape)} with dimension {i} being empty"
            )
    return sizes


def _adaptive_avg(nd: int, input, output_size) -> Tensor:
    fname = f"adaptive_avg_pool{nd}d"
    _check_tensor(input, fname)
    sizes = _adaptive_sizes(fname, input, nd, output_size)
    in_sizes = tuple(input.shape[input.ndim - nd :])
    if all(s == 1 for s in sizes):
        # Global average pooling: one mean over the spatial dims.
        return input.mean(dim=tuple(range(-nd, 0)), keepdim=True)
    if all(s and n % s == 0 for n, s in zip(in_sizes, sizes)):
        kernel = tuple(n // s for n, s in zip(in_sizes, sizes))
        w = _ops.windows(in_sizes, sizes, kernel, kernel, (0,) * nd, (1,) * nd)
        return _AVG_OPS[nd].apply(input, w, math.prod(kernel))
    maps = tuple(_ops.area_map(n, s) for n, s in zip(in_sizes, sizes))
    return _ADAPTIVE_AVG_OPS[nd].apply(input, maps)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average pooling of the last dim to ``output_size`` (PyTorch's adaptive windows)."""
    return _adaptive_avg(1, input, output_size)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling of the last two dims to ``output_size`` (an int, a pair, or None
    entries that keep the input's size)."""
    return _adaptive_avg(2, input, output_size)


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Average pooling of the last three dims to ``output_size``."""
    return _adaptive_avg(3, input, output_size)


def _adaptive_max(nd: int, input, output_size, return_indices):
    fname = f"adaptive_max_pool{nd}d"
    _check_tensor(input, fname)
    sizes = _adaptive_sizes(fname, input, nd, output_size)
    return _ADAPTIVE_MAX_OPS[nd].apply(input, sizes, bool(return_indices))


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling of the last dim to ``output_size``; optionally with indices."""
    return _adaptive_max(1, input, output_size, return_indices)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling of the last two dims to ``output_size``; optionally with flat indices."""
    return _adaptive_max(2, input, output_size, return_indices)


def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling of the last three dims to ``output_size``; optionally with flat indices."""
    return _adaptive_max(3, input, output_size, return_indices)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    """``adaptive_max_pool1d`` returning ``(values, indices)``."""
    return _adaptive_max(1, input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    """``adaptive_max_pool2d`` returning ``(values, indices)``."""
    return _adaptive_max(2, input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    """``adaptive_max_pool3d`` returning ``(values, indices)``."""
    return _adaptive_max(3, input, output_size, True)


# ----- max unpooling --------------------------------------------------------------------------
def _unpool_output_size(input, nd, kernel, stride, padding, output_size) -> tuple:
    """PyTorch's ``_unpool_output_size``: the pooled input's size, or a checked override."""
    default = tuple(
        (input.shape[input.ndim - nd + i] - 1) * stride[i] + kernel[i] - 2 * padding[i]
        for i in range(nd)
    )
    if output_size is None:
        return default
    sizes = tuple(output_size)
    if len(sizes) == nd + 2:
        sizes = sizes[2:]
    elif len(sizes) == nd + 1 and input.ndim == nd + 1:
        sizes = sizes[1:]
    if len(sizes) != nd:
        raise ValueError(
            f"output_size should be a sequence containing {nd} or {nd + 2} elements, but it has "
            f"a length of '{len(sizes)}'"
        )
    for i, s in enumerate(sizes):
        lo = default[i] - stride[i]
        hi = default[i] + stride[i]
        if not lo < s < hi:
            raise ValueError(
                f'invalid output_size "{tuple(sizes)}" (dim {i} must be between {lo} and {hi})'
            )
    return tuple(int(s) for s in sizes)


def _max_unpool(nd, input, indices, kernel_size, stride, padding, output_size) -> Tensor:
    fname = f"max_unpool{nd}d"
    _check_tensor(input, fname)
    kernel = _expand(_ints(kernel_size, fname, "kernel_size", 3), nd)
    stride = kernel if stride is None else _expand(_ints(stride, fname, "stride", 4), nd)
    padding = _expand(_ints(padding, fname, "padding", 5), nd)
    if not isinstance(indices, Tensor) or indices._data.dtype.kind not in "iu":
        got = indices.dtype if isinstance(indices, Tensor) else type(indices).__name__
        raise RuntimeError(f"elements in indices should be type int64 but got: {_scalar(got)}")
    label = max(nd, 2)  # PyTorch reports 1-d unpooling as the 2-d op it runs
    if input.ndim not in (label + 1, label + 2) and not (nd == 1 and input.ndim == 2):
        raise RuntimeError(
            f"Input to max_unpooling{label}d should be a {label + 1}d or {label + 2}d Tensor, "
            f"but got a tensor with {input.ndim} dimensions."
        )
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(
            "Expected shape of indices to be same as that of the input tensor "
            f"({list(input.shape)}) but got indices tensor with shape: {list(indices.shape)}"
        )
    sizes = _unpool_output_size(input, nd, kernel, stride, padding, output_size)
    idx = indices._data.astype("int64", copy=False)
    plane = math.prod(sizes)
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= plane:
            bad = lo if lo < 0 else hi
            raise RuntimeError(
                f"Found an invalid max index: {bad} (output volumes are of size "
                f"{'x'.join(map(str, sizes))})"
            )
    lead = tuple(input.shape[: input.ndim - nd])
    pos = _ops.unpool_positions(idx, lead + sizes, tuple(input.shape), nd)
    return _ops.MaxUnpool2D.apply(input, pos)


def _scalar(dtype) -> str:
    name = str(dtype).replace("eagertorch.", "")
    return {"float32": "Float", "float64": "Double", "float16": "Half", "bool": "Bool"}.get(
        name, name.capitalize()
    )


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of ``max_pool1d``: values put back at their indices, zeros elsewhere."""
    return _max_unpool(1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of ``max_pool2d``: values put back at their flat ``h * W + w``
    indices of zero planes (``output_size`` resolves the ambiguous size)."""
    return _max_unpool(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of ``max_pool3d``."""
    return _max_unpool(3, input, indices, kernel_size, stride, padding, output_size)


# ----- power-average pooling ------------------------------------------------------------------
def _lp_pool(nd, input, norm_type, kernel_size, stride, ceil_mode) -> Tensor:
    kernel = _expand(_ints(kernel_size, f"lp_pool{nd}d", "kernel_size", 3), nd)
    pool = (avg_pool1d, avg_pool2d, avg_pool3d)[nd - 1]
    if stride is not None:
        out = pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = pool(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return (out.sign() * out.abs().relu()).mul(math.prod(kernel)).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling: ``(sum over the window of x**p) ** (1/p)``."""
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over the last two dims: ``(sum of x**p) ** (1/p)``."""
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over the last three dims."""
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)
