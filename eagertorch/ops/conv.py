"""Convolutions: ``conv1d``/``conv2d`` and their transposes, with gradients of every order.

The three primitives are the partial derivatives of one trilinear form
``L(x, w, y) = <conv(x, w), y>``: ``Convolution`` is dL/dy (the forward),
``ConvolutionTranspose`` dL/dx (the input gradient, also the transposed convolution) and
``ConvolutionWeight`` dL/dw (the weight gradient). Each one's backward is made of the other
two, so ``create_graph=True`` works to any order with no second implementation.

Layout: NCHW in and out, as PyTorch; a 1-d convolution is a 2-d one of height 1 (a free
reshape). The forward copies the windows of the (zero-padded) input from one strided view
into an im2col buffer of shape (N, groups, K, L) (K = in_channels/groups * kh * kw, L = output
pixels), and one batched matmul with the (groups, out/groups, K) weight writes NCHW output
directly, so no layout transposes are ever copied. The weight gradient reuses that buffer;
the input gradient is one matmul plus kh*kw strided adds into a padded buffer (col2im).
At stride 1 with 'same'-width output (the common 3x3/pad-1 case) the buffer pads rows only
and each window copy or add is one long contiguous run per image and channel (see
``_Geometry.flat``). Scratch buffers are reused across calls (see ``_scratch``).
"""

from __future__ import annotations

import sys

import numpy as np

from .._backend.device import array_module
from .._backend.dtype import cpp_name, scalar_name
from .._tensor import Tensor
from ..autograd.function import ArrayFunction

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "fold", "unfold"]


class _Geometry:
    """Everything shape-related about one convolution, computed once per argument set.

    ``x`` is the convolution's input side, ``y`` its output side, ``w`` the weight
    (out_channels, in_channels/groups, kh, kw); a transposed convolution maps y to x. Sizes
    are those of the canonical 4-d problem; ``*_shape`` are the caller's (1-d, unbatched).
    Padding is per side; a negative high side (from ``output_padding``) leaves trailing input
    rows that no window reads.
    """

    __slots__ = (
        "C",
        "Cg",
        "G",
        "H",
        "Hb",
        "Ho",
        "K",
        "L",
        "N",
        "O",
        "Og",
        "W",
        "Wb",
        "Wo",
        "buffer_size",
        "dh",
        "dw",
        "edges",
        "flat",
        "front",
        "image_shape",
        "interior",
        "kh",
        "kw",
        "offsets",
        "padded",
        "pointwise",
        "sh",
        "sw",
        "w_shape",
        "wm_shape",
        "x4",
        "x_shape",
        "x_sum_dims",
        "y_shape",
        "y_sum_dims",
    )

    def __init__(self, x_shape, w_shape, y_shape, x4, wm, stride, dilation, pads, groups):
        N, C, H, W = x4
        (kh, kw), (sh, sw), (dh, dw) = wm, stride, dilation
        (ph0, ph1), (pw0, pw1) = pads
        O = w_shape[0]
        Ho = (H + ph0 + ph1 - dh * (kh - 1) - 1) // sh + 1
        Wo = (W + pw0 + pw1 - dw * (kw - 1) - 1) // sw + 1
        self.N, self.C, self.H, self.W, self.O, self.G = N, C, H, W, O, groups
        self.Cg, self.Og = C // groups, O // groups
        self.kh, self.kw, self.sh, self.sw, self.dh, self.dw = kh, kw, sh, sw, dh, dw
        self.Ho, self.Wo = Ho, Wo
        self.K, self.L = self.Cg * kh * kw, Ho * Wo
        # The zero-padded buffer: every window lies inside it.
        self.Hb, self.Wb = ph0 + H + max(ph1, 0), pw0 + W + max(pw1, 0)
        self.padded = (self.Hb, self.Wb) != (H, W)
        # A 1x1, stride-1 convolution of every pixel: the windows are the input itself.
        self.pointwise = kh == kw == sh == sw == 1 and (Ho, Wo) == (H, W) and not self.padded
        # The flat layout (stride 1, output as wide as the input, as with 'same' padding):
        # the buffer pads rows only, so the window of kernel offset (i, j) over all outputs
        # of an image is ONE contiguous run of the flat buffer from i*dh*W + j*dw, and
        # im2col/col2im move runs of Ho*W instead of rows of Wo. The runs wrap around the
        # row ends where the padding columns would be: those window entries are zeroed.
        self.flat = sh == sw == 1 and Wo == W and not self.pointwise
        width = W if self.flat else self.Wb
        self.image_shape = (N, C, self.Hb, width)
        self.front = pw0 if self.flat else 0
        self.buffer_size = self.front + N * C * self.Hb * width + (max(pw1, 0) if self.flat else 0)
        # per kernel column j: output columns [0, lo) and [hi, Wo) read across a row end
        self.edges = tuple(
            (j, min(max(pw0 - j * dw, 0), Wo), max(Wo - max(j * dw - pw0, 0), 0)) for j in range(kw)
        )
        self.interior = (
            slice(None),
            slice(None),
            slice(ph0, ph0 + H),
            slice(None) if self.flat else slice(pw0, pw0 + W),
        )
        # col2im otherwise: where kernel offset (i, j) of every window lands in the buffer.
        self.offsets = tuple(
            (
                i,
                j,
                (
                    slice(None),
                    slice(None),
                    slice(None),
                    slice(i * dh, i * dh + sh * (Ho - 1) + 1, sh),
                    slice(j * dw, j * dw + sw * (Wo - 1) + 1, sw),
                ),
            )
            for i in range(kh)
            for j in range(kw)
        )
        self.x_shape, self.w_shape, self.y_shape = tuple(x_shape), tuple(w_shape), y_shape
        self.x4 = (N, C, H, W)
        self.wm_shape = (groups, self.Og, self.K)
        batch = len(x_shape) == len(w_shape)
        channel = 1 if batch else 0
        self.y_sum_dims = tuple(d for d in range(len(y_shape)) if d != channel)
        self.x_sum_dims = tuple(d for d in range(len(x_shape)) if d != channel)


# Scratch arrays (im2col buffers, padded images) kept per (geometry, role, dtype) and reused
# while nothing else refers to them. Without this, each call's fresh allocation of a few
# hundred KB goes back to the OS when freed and page-faults again on the next call, which
# cost more than the matmul itself. Reuse is safe: whatever still uses an array (ctx.cols, a
# returned view of it) holds a reference, so the reference count says when it is free.
# At most 64 MB is kept.
_SCRATCH: dict = {}
_SCRATCH_BYTES = [0]  # kept in all; beyond the limit new arrays are not kept
_SCRATCH_LIMIT = 1 << 26
_SCRATCH_PER_KEY = 4  # layers sharing one geometry each get their own
_FREE_REFS = 3  # the list's reference, the loop variable and getrefcount's argument


def _scratch(g: _Geometry, role: str, xp, shape, dtype) -> tuple:
    """``(array, reused)``: a free array of this key as it was left, or a new zeroed one."""
    key = (g, role, dtype, xp)
    arrays = _SCRATCH.get(key)
    if arrays is None:
        arrays = _SCRATCH[key] = []
    for a in arrays:
        if sys.getrefcount(a) == _FREE_REFS:
            return a, True
    a = xp.zeros(shape, dtype)
    if len(arrays) < _SCRATCH_PER_KEY and _SCRATCH_BYTES[0] + a.nbytes <= _SCRATCH_LIMIT:
        arrays.append(a)
        _SCRATCH_BYTES[0] += a.nbytes
    return a, False


def _clear_scratch() -> None:
    _SCRATCH.clear()
    _SCRATCH_BYTES[0] = 0


def _image_buffer(flat, g: _Geometry):
    """The (N, C, Hb, W or Wb) images inside a flat buffer."""
    return flat[g.front : g.front + g.N * g.C * g.Hb * g.image_shape[3]].reshape(g.image_shape)


def _strided(a, shape: tuple, strides: tuple, offset: int = 0):
    """A view of ``a`` (from element ``offset``) with any shape and byte strides."""
    if type(a) is np.ndarray and a.flags.c_contiguous and all(shape):
        # The constructor costs a tenth of as_strided's Python wrapper.
        return np.ndarray(shape, a.dtype, a, offset * a.itemsize, strides)
    return array_module(a).lib.stride_tricks.as_strided(a[offset:], shape, strides)


def _runs(flat, g: _Geometry, offset: int = 0, kernel: bool = True):
    """The flat layout's windows: per image and channel (and kernel offset), a run of
    ``Ho * W`` elements of the flat buffer, as an (N, groups, Cg, [kh, kw,] L) view."""
    item = flat.itemsize
    plane = g.Hb * g.W * item
    shape, strides = (g.N, g.G, g.Cg), (g.C * plane, g.Cg * plane, plane)
    if kernel:
        shape, strides = (*shape, g.kh, g.kw), (*strides, g.dh * g.W * item, g.dw * item)
    return _strided(flat, (*shape, g.L), (*strides, item), offset)


def _zero_edges(cols, g: _Geometry) -> None:
    """Zero the window entries that the flat layout's runs read across a row end."""
    cols = cols.reshape(g.N, g.G, g.Cg, g.kh, g.kw, g.Ho, g.Wo)
    for j, lo, hi in g.edges:
        if lo:
            cols[:, :, :, :, j, :, :lo] = 0
        if hi < g.Wo:
            cols[:, :, :, :, j, :, hi:] = 0


def _im2col(x, g: _Geometry):
    """The windows of ``x`` as a contiguous (N, groups, K, L) array: one strided copy."""
    xp = array_module(x)
    x = x.reshape(g.x4)
    if g.pointwise and x.flags.c_contiguous:
        return x.reshape(g.N, g.G, g.K, g.L)  # a 1x1 convolution reads x as it is
    if g.padded or g.flat:
        # Only the interior is ever written, so a reused buffer's border is still zero.
        flat, _ = _scratch(g, "padded", xp, g.buffer_size, x.dtype)
        buf = _image_buffer(flat, g)
        buf[g.interior] = x
        x = buf
    if g.flat:
        windows = _runs(flat, g)
    else:
        sN, sC, sH, sW = x.strides
        windows = _strided(
            x,
            (g.N, g.G, g.Cg, g.kh, g.kw, g.Ho, g.Wo),
            (sN, g.Cg * sC, sC, g.dh * sH, g.dw * sW, g.sh * sH, g.sw * sW),
        )
    cols, _ = _scratch(g, "cols", xp, (g.N, g.G, g.K, g.L), x.dtype)
    xp.copyto(cols.reshape(windows.shape), windows)
    if g.flat:
        _zero_edges(cols, g)
    return cols


def _output_matrix(y, g: _Geometry):
    """``y`` (output side) as a contiguous (N, groups, Og, L) matrix."""
    if not y.flags.c_contiguous:
        y = array_module(y).ascontiguousarray(y)
    return y.reshape(g.N, g.G, g.Og, g.L)


def _col2im(cols, g: _Geometry):
    """Sum (N, groups, K, L) windows back onto the input: kh*kw strided adds (of long runs
    in the flat layout), no loop over pixels or images. ``cols`` is scratch: it is changed."""
    xp = array_module(cols)
    if g.pointwise:
        return cols.reshape(g.x4)
    flat, reused = _scratch(g, "col2im", xp, g.buffer_size, cols.dtype)
    if reused:
        flat.fill(0)
    if g.flat:
        _zero_edges(cols, g)  # what they hold belongs to no input pixel
        cols = cols.reshape(g.N, g.G, g.Cg, g.kh, g.kw, g.L)
        for i in range(g.kh):
            for j in range(g.kw):
                dst = _runs(flat, g, i * g.dh * g.W + j * g.dw, kernel=False)
                xp.add(dst, cols[:, :, :, i, j], out=dst)
    else:
        buf = _image_buffer(flat, g).reshape(g.N, g.G, g.Cg, g.Hb, g.Wb)
        cols = cols.reshape(g.N, g.G, g.Cg, g.kh, g.kw, g.Ho, g.Wo)
        for i, j, where in g.offsets:
            dst = buf[where]
            xp.add(dst, cols[:, :, :, i, j], out=dst)
    buf = _image_buffer(flat, g)
    return buf[g.interior] if g.padded else buf


class Convolution(ArrayFunction):
    """y = conv(x, w) + b."""

    @staticmethod
    def forward(ctx, x, w, b, g):
        cols = _im2col(x, g)
        y = array_module(cols).matmul(w.reshape(g.wm_shape), cols)
        if b is not None:
            y += b.reshape(g.G, g.Og, 1)
        need = ctx.needs_input_grad
        if need:
            ctx.save_for_backward(x if need[1] else None, w if need[0] else None)
            ctx.g = g
            if need[1]:
                ctx.cols = cols  # the weight gradient's operand: im2col once per step
        return y.reshape(g.y_shape)

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        g = ctx.g
        need = ctx.needs_input_grad
        gx = ConvolutionTranspose.apply(gy, w, None, g) if need[0] else None
        # pop: the buffer is freed once used (a retained graph's next backward rebuilds it).
        gw = ConvolutionWeight.apply(x, gy, g, ctx.__dict__.pop("cols", None)) if need[1] else None
        gb = gy.sum(g.y_sum_dims) if need[2] else None
        return gx, gw, gb, None


class ConvolutionTranspose(ArrayFunction):
    """x = conv_transpose(y, w) + b: the adjoint of ``Convolution`` in its input."""

    @staticmethod
    def forward(ctx, y, w, b, g):
        xp = array_module(y)
        wt = w.reshape(g.wm_shape).swapaxes(1, 2)
        cols, _ = _scratch(g, "gcols", xp, (g.N, g.G, g.K, g.L), y.dtype)
        xp.matmul(wt, _output_matrix(y, g), out=cols)
        x = _col2im(cols, g)
        if b is not None:
            x += b.reshape(g.C, 1, 1)
        need = ctx.needs_input_grad
        if need:
            ctx.save_for_backward(y if need[1] else None, w if need[0] else None)
            ctx.g = g
        return x.reshape(g.x_shape)

    @staticmethod
    def backward(ctx, gx):
        y, w = ctx.saved_tensors
        g = ctx.g
        need = ctx.needs_input_grad
        gy = Convolution.apply(gx, w, None, g) if need[0] else None
        gw = ConvolutionWeight.apply(gx, y, g, None) if need[1] else None
        gb = gx.sum(g.x_sum_dims) if need[2] else None
        return gy, gw, gb, None


class ConvolutionWeight(ArrayFunction):
    """dL/dw of ``<conv(x, w), y>``: the weight gradient, from im2col(x) and y."""

    @staticmethod
    def forward(ctx, x, y, g, cols=None):
        if cols is None:
            cols = _im2col(x, g)
        xp = array_module(cols)
        gw = xp.matmul(_output_matrix(y, g), cols.swapaxes(2, 3)).sum(0)
        need = ctx.needs_input_grad
        if need:
            ctx.save_for_backward(x if need[1] else None, y if need[0] else None)
            ctx.g = g
        return gw.reshape(g.w_shape)

    @staticmethod
    def backward(ctx, gw):
        x, y = ctx.saved_tensors
        g = ctx.g
        need = ctx.needs_input_grad
        gx = ConvolutionTranspose.apply(y, gw, None, g) if need[0] else None
        gy = Convolution.apply(x, gw, None, g) if need[1] else None
        return gx, gy, None, None


# ----- argument checking and geometry, cached per argument set ---------------------------
_CACHE: dict = {}
_CACHE_LIMIT = 4096


def _cached(key, build, *args):
    try:
        return _CACHE[key]
    except KeyError:
        pass
    except TypeError:  # list arguments are not hashable: build every time
        return build(*args)
    g = build(*args)
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
        _clear_scratch()
    _CACHE[key] = g
    return g


def _ints(fn: str, name: str, value, nd: int) -> tuple:
    """An int or a sequence of 1 or ``nd`` ints, as ``nd`` ints."""
    values = (value,) if isinstance(value, int) else tuple(value)
    for v in values:
        if not isinstance(v, int):
            raise TypeError(
                f"{fn}(): argument '{name}' must be tuple of ints, but found element of type "
                f"{type(v).__name__}"
            )
    if len(values) == 1:
        return values * nd
    if len(values) != nd:
        raise RuntimeError(
            f"expected {name} to be a single integer value or a list of {nd} values to match "
            f"the convolution dimensions, but got {name}={list(values)}"
        )
    return tuple(int(v) for v in values)


def _check_common(fn, nd, x_shape, w_shape, stride, dilation, groups) -> bool:
    """Checks shared by both directions; returns whether the input is batched."""
    if len(x_shape) not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {fn}, but got "
            f"input of size: {list(x_shape)}"
        )
    if len(w_shape) != nd + 2:
        raise RuntimeError(
            f"{fn}: expected weight to be {nd + 2}-dimensional, but got weight of size "
            f"{list(w_shape)}"
        )
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    if not isinstance(groups, int):
        raise TypeError(f"{fn}(): argument 'groups' must be int, not {type(groups).__name__}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if w_shape[0] == 0:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be at least 1 at dimension 0, but got "
            f"weight of size {list(w_shape)} instead"
        )
    if w_shape[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension "
            f"0, but got weight of size [{list(w_shape)}] instead"
        )
    batched = len(x_shape) == nd + 2
    if any(s == 0 for s in x_shape[2 - (not batched) :]):
        raise RuntimeError(
            "Only zero batch or zero channel inputs are supported, but got input shape: "
            f"{list(x_shape)}"
        )
    return batched


def _canonical(nd, batched, shape) -> tuple:
    """The 4-d (N, C, H, W) form of a 1-d/2-d, batched or unbatched shape."""
    if not batched:
        shape = (1, *shape)
    return tuple(shape) if nd == 2 else (shape[0], shape[1], 1, shape[2])


def _per_dim_2d(nd, values, one) -> tuple:
    return tuple(values) if nd == 2 else (one, values[0])


def _forward_geometry(fn, nd, x_shape, w_shape, stride, padding, dilation, groups):
    stride = _ints(fn, "stride", stride, nd)
    dilation = _ints(fn, "dilation", dilation, nd)
    if len(w_shape) == nd + 2:
        kernel = w_shape[2:]
        if isinstance(padding, str):
            if padding == "valid":
                pads = ((0, 0),) * nd
            elif padding == "same":
                if any(s != 1 for s in stride):
                    raise RuntimeError("padding='same' is not supported for strided convolutions")
                # PyTorch puts the odd unit of total padding on the high side.
                totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
                pads = tuple((t // 2, t - t // 2) for t in totals)
            else:
                raise RuntimeError(f"Invalid padding string: '{padding}'")
        else:
            pads = tuple((p, p) for p in _ints(fn, "padding", padding, nd))
            if any(p < 0 for p, _ in pads):
                raise RuntimeError("negative padding is not supported")
    batched = _check_common(fn, nd, x_shape, w_shape, stride, dilation, groups)
    O, Cg = w_shape[0], w_shape[1]
    channels = x_shape[1 if batched else 0]
    if channels != Cg * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(w_shape)}, expected "
            f"input{list(x_shape)} to have {Cg * groups} channels, but got {channels} "
            "channels instead"
        )
    spatial = x_shape[-nd:]
    padded = [s + lo + hi for s, (lo, hi) in zip(spatial, pads)]
    span = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    if any(p < k for p, k in zip(padded, span)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(map(str, span))}). Kernel size can't be greater than "
            "actual input size"
        )
    out = [(p - k) // s + 1 for p, k, s in zip(padded, span, stride)]
    y_shape = (*x_shape[: -nd - 1], O, *out)
    return _Geometry(
        x_shape,
        w_shape,
        y_shape,
        _canonical(nd, batched, x_shape),
        _per_dim_2d(nd, kernel, 1),
        _per_dim_2d(nd, stride, 1),
        _per_dim_2d(nd, dilation, 1),
        _per_dim_2d(nd, pads, (0, 0)),
        groups,
    )


def _transpose_geometry(
    fn, nd, in_shape, w_shape, stride, padding, output_padding, groups, dilation
):
    if isinstance(padding, str):
        raise TypeError(f"{fn}(): argument 'padding' must be tuple of ints, not str")
    stride = _ints(fn, "stride", stride, nd)
    dilation = _ints(fn, "dilation", dilation, nd)
    padding = _ints(fn, "padding", padding, nd)
    output_padding = _ints(fn, "output_padding", output_padding, nd)
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    batched = _check_common(fn, nd, in_shape, w_shape, stride, dilation, groups)
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        op2, s2, d2 = (
            _per_dim_2d(nd, v, one) for v, one in ((output_padding, 0), (stride, 1), (dilation, 1))
        )
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            f"output_padding_height: {op2[0]} output_padding_width: {op2[1]} stride_height: "
            f"{s2[0]} stride_width: {s2[1]} dilation_height: {d2[0]} dilation_width: {d2[1]}"
        )
    O, Cg = w_shape[0], w_shape[1]
    channels = in_shape[1 if batched else 0]
    if channels != O:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(w_shape)}, expected input"
            f"{list(in_shape)} to have {O} channels, but got {channels} channels instead"
        )
    kernel = w_shape[2:]
    spatial = in_shape[-nd:]
    out = [
        (i - 1) * s - 2 * p + d * (k - 1) + op + 1
        for i, s, p, d, k, op in zip(spatial, stride, padding, dilation, kernel, output_padding)
    ]
    if any(o <= 0 for o in out):
        raise RuntimeError(
            f"Given input size per channel: ({' x '.join(map(str, spatial))}). Calculated "
            f"output size per channel: ({' x '.join(map(str, out))}). Output size is too small"
        )
    x_shape = (*in_shape[: -nd - 1], Cg * groups, *out)
    # The adjoint of a convolution of x padded by (p, p - output_padding).
    pads = tuple((p, p - op) for p, op in zip(padding, output_padding))
    return _Geometry(
        x_shape,
        w_shape,
        tuple(in_shape),
        _canonical(nd, batched, x_shape),
        _per_dim_2d(nd, kernel, 1),
        _per_dim_2d(nd, stride, 1),
        _per_dim_2d(nd, dilation, 1),
        _per_dim_2d(nd, pads, (0, 0)),
        groups,
    )


def _check_dtypes(x, w, b) -> None:
    if x.dtype != w.dtype:
        raise RuntimeError(
            f"expected scalar type {scalar_name(x.dtype)} but found {scalar_name(w.dtype)}"
        )
    if b is not None and b.dtype != x.dtype:
        raise RuntimeError(
            f"Input type ({cpp_name(x.dtype)}) and bias type ({cpp_name(b.dtype)}) should be "
            "the same"
        )


def _check_bias(bias, w_shape, channels: int, transposed: bool) -> None:
    if bias._data.shape != (channels,):
        prefix = "transposed=1, " if transposed else ""
        raise RuntimeError(
            f"Given {prefix}weight of size {list(w_shape)}, expected bias to be 1-dimensional "
            f"with {channels} elements, but got bias of size {list(bias._data.shape)} instead"
        )


def _conv(fn, nd, input, weight, bias, stride, padding, dilation, groups) -> Tensor:
    x, w = input._data, weight._data
    key = (nd, x.shape, w.shape, stride, padding, dilation, groups)
    g = _cached(key, _forward_geometry, fn, nd, x.shape, w.shape, stride, padding, dilation, groups)
    if x.dtype is not w.dtype or bias is not None:
        _check_dtypes(x, w, None if bias is None else bias._data)
        if bias is not None:
            _check_bias(bias, w.shape, g.O, False)
    return Convolution.apply(input, weight, bias, g)


def _conv_transpose(
    fn, nd, input, weight, bias, stride, padding, output_padding, groups, dilation
) -> Tensor:
    x, w = input._data, weight._data
    key = (-nd, x.shape, w.shape, stride, padding, output_padding, groups, dilation)
    g = _cached(
        key,
        _transpose_geometry,
        fn,
        nd,
        x.shape,
        w.shape,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
    )
    if x.dtype is not w.dtype or bias is not None:
        _check_dtypes(x, w, None if bias is None else bias._data)
        if bias is not None:
            _check_bias(bias, w.shape, g.C, True)
    return ConvolutionTranspose.apply(input, weight, bias, g)


def conv1d(
    input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
    groups: int = 1,
) -> Tensor:  # fmt: skip
    """1-d convolution (cross-correlation) of ``input`` (N, C_in, L) or (C_in, L) with
    ``weight`` (C_out, C_in/groups, k); ``padding`` is an int, a 1-tuple, ``'valid'`` or
    ``'same'``."""
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(
    input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
    groups: int = 1,
) -> Tensor:  # fmt: skip
    """2-d convolution (cross-correlation) of ``input`` (N, C_in, H, W) or (C_in, H, W) with
    ``weight`` (C_out, C_in/groups, kH, kW).

    ``stride``, ``padding`` and ``dilation`` are ints or pairs; ``padding`` may also be
    ``'valid'`` (none) or ``'same'`` (output size = input size, stride 1 only; an odd total
    goes to the bottom/right, as in PyTorch).
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(
    input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
    output_padding=0, groups: int = 1, dilation=1,
) -> Tensor:  # fmt: skip
    """Transposed 1-d convolution of ``input`` (N, C_in, L) with ``weight``
    (C_in, C_out/groups, k): the gradient of ``conv1d`` with respect to its input."""
    return _conv_transpose(
        "conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
        dilation,
    )  # fmt: skip


def conv_transpose2d(
    input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
    output_padding=0, groups: int = 1, dilation=1,
) -> Tensor:  # fmt: skip
    """Transposed 2-d convolution ("deconvolution") of ``input`` (N, C_in, H, W) with
    ``weight`` (C_in, C_out/groups, kH, kW).

    Output size per dim: ``(in - 1) * stride - 2 * padding + dilation * (k - 1) +
    output_padding + 1``; ``output_padding`` (smaller than stride or dilation) picks among
    the input sizes that a strided ``conv2d`` maps to the same output size.
    """
    return _conv_transpose(
        "conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
        dilation,
    )  # fmt: skip


# ----- unfold (im2col) and fold (col2im) -------------------------------------------------
# The same window geometry with no weight: unfold is ``_im2col`` and fold ``_col2im``. They
# are adjoint linear maps, so each one's backward is the other (gradients of every order).
class Im2Col(ArrayFunction):
    """(N, C, H, W) -> (N, C*kh*kw, L): the sliding blocks of the (zero-padded) input."""

    @staticmethod
    def forward(ctx, x, g):
        ctx.g = g
        cols = _im2col(x, g)
        if g.pointwise and x.flags.c_contiguous:  # then _im2col returns x: do not alias it
            cols = array_module(cols).array(cols)
        return cols.reshape(g.y_shape)

    @staticmethod
    def backward(ctx, gy):
        return Col2Im.apply(gy, ctx.g), None


class Col2Im(ArrayFunction):
    """(N, C*kh*kw, L) -> (N, C, H, W): blocks summed back onto the image (overlaps add)."""

    @staticmethod
    def forward(ctx, y, g):
        ctx.g = g
        xp = array_module(y)
        # _col2im changes its argument (the flat layout) or returns it (pointwise): a copy.
        cols, _ = _scratch(g, "fold", xp, (g.N, 1, g.K, g.L), y.dtype)
        xp.copyto(cols, y.reshape(cols.shape))
        return _col2im(cols, g).reshape(g.x_shape)

    @staticmethod
    def backward(ctx, gx):
        return Im2Col.apply(gx, ctx.g), None


def _fold_pairs(fn: str, args: tuple) -> tuple:
    """``(name, position, value)`` triples as pairs of ints, with PyTorch's errors."""
    pairs = []
    for name, position, value in args:
        values = tuple(value) if isinstance(value, (list, tuple)) else (value, value)
        if len(values) != 2:
            raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(values)}")
        for i, v in enumerate(values):
            if not isinstance(v, int) or isinstance(v, bool):
                raise TypeError(
                    f"{fn}(): argument '{name}' (position {position}) must be tuple of ints, but "
                    f"found element of type {type(v).__name__} at pos {i}"
                )
        pairs.append(values)
    return tuple(pairs)


def _check_windows(kernel, dilation, padding, stride) -> None:
    for what, (h, w), ok, names in (
        ("kernel size should be greater than zero", kernel, min(kernel) > 0, "kernel"),
        ("dilation should be greater than zero", dilation, min(dilation) > 0, "dilation"),
        ("padding should be non-negative", padding, min(padding) >= 0, "pad"),
        ("stride should be greater than zero", stride, min(stride) > 0, "stride"),
    ):
        if not ok:
            raise RuntimeError(f"{what}, but got {names}_height: {h} {names}_width: {w}")


def _blocks(size, kernel, dilation, padding, stride) -> tuple:
    """The number of sliding blocks per spatial dim (floor division, as PyTorch's div_rtn)."""
    return tuple(
        (n + 2 * p - d * (k - 1) - 1) // s + 1
        for n, k, d, p, s in zip(size, kernel, dilation, padding, stride)
    )


def _window_geometry(image_shape, cols_shape, kernel, dilation, padding, stride) -> _Geometry:
    """The geometry of a one-group convolution of ``image_shape`` with no weight."""
    batched = len(image_shape) == 4
    N, C, H, W = image_shape if batched else (1, *image_shape)
    return _Geometry(
        image_shape,
        (1, C, *kernel),
        cols_shape,
        (N, C, H, W),
        kernel,
        stride,
        dilation,
        tuple((p, p) for p in padding),
        1,
    )


def _check_floating(fn: str, x) -> None:
    if x.dtype.kind not in "fc":
        raise NotImplementedError(f"\"{fn}_out_cpu\" not implemented for '{scalar_name(x.dtype)}'")


def _unfold_geometry(shape, kernel, dilation, padding, stride) -> _Geometry:
    _check_windows(kernel, dilation, padding, stride)
    nd = len(shape)
    for d in (1, 2):  # PyTorch reads these sizes before it checks the number of dims
        if nd == 0:
            raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
        if d >= nd:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got "
                f"{d})"
            )
    if not ((nd == 3 and all(shape)) or (nd == 4 and all(shape[1:]))):
        raise RuntimeError(
            "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
            f"dimensions for input, but got: {list(shape)}"
        )
    size = shape[-2:]
    blocks = _blocks(size, kernel, dilation, padding, stride)
    if min(blocks) < 1:
        raise RuntimeError(
            f"Given input with spatial size {size}, kernel_size={kernel}, dilation={dilation}, "
            f"padding={padding}, calculated shape of the array of sliding blocks as {blocks}, "
            "but its components must be at least one."
        )
    cols = (*shape[:-3], shape[-3] * kernel[0] * kernel[1], blocks[0] * blocks[1])
    return _window_geometry(tuple(shape), cols, kernel, dilation, padding, stride)


def _fold_geometry(shape, size, kernel, dilation, padding, stride) -> _Geometry:
    _check_windows(kernel, dilation, padding, stride)
    nd = len(shape)
    if not ((nd == 2 and all(shape)) or (nd == 3 and all(shape[1:]))):
        raise RuntimeError(
            "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
            f"non-zero dimensions for input, but got: {list(shape)}"
        )
    planes, length = shape[-2:]
    if planes % (kernel[0] * kernel[1]):
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={planes} and kernel_size={kernel}."
        )
    blocks = _blocks(size, kernel, dilation, padding, stride)
    given = (
        f"Given output_size={size}, kernel_size={kernel}, dilation={dilation}, "
        f"padding={padding}, stride={stride}, "
    )
    if length != blocks[0] * blocks[1]:
        raise RuntimeError(
            f"{given}expected size of input's dimension 2 to match the calculated number of "
            f"sliding blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got "
            f"input.size(2)={length}."
        )
    if min(blocks) < 1:
        raise RuntimeError(
            f"{given}calculated shape of the array of sliding blocks as {blocks}, which is too "
            "small (non-positive)"
        )
    image = (*shape[:-2], planes // (kernel[0] * kernel[1]), *size)
    return _window_geometry(image, tuple(shape), kernel, dilation, padding, stride)


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """im2col: the sliding ``kernel_size`` blocks of ``input`` (N, C, H, W) or (C, H, W) as
    the columns of (N, C*kh*kw, L), L the number of blocks."""
    x = input._data
    # Checked before the cache: a float 2.0 would find the geometry cached for 2.
    args = _fold_pairs(
        "im2col",
        (("kernel_size", 2, kernel_size), ("dilation", 3, dilation), ("padding", 4, padding),
         ("stride", 5, stride)),
    )  # fmt: skip
    g = _cached(("unfold", x.shape, *args), _unfold_geometry, x.shape, *args)
    _check_floating("im2col", x)
    return Im2Col.apply(input, g)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """col2im, the adjoint of ``unfold``: blocks (N, C*kh*kw, L) or (C*kh*kw, L) summed into
    an (N, C, *output_size) image; overlapping entries add up."""
    x = input._data
    args = _fold_pairs(
        "col2im",
        (("output_size", 2, output_size), ("kernel_size", 3, kernel_size),
         ("dilation", 4, dilation), ("padding", 5, padding), ("stride", 6, stride)),
    )  # fmt: skip
    g = _cached(("fold", x.shape, *args), _fold_geometry, x.shape, *args)
    _check_floating("col2im", x)
    return Col2Im.apply(input, g)
