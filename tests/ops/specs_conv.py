"""Op specs for the convolution family (see op_db.py).

Shapes are drawn tiny (sides 1-4, at most 2 channels per group) so that gradcheck and
gradgradcheck stay fast; hyper-parameters are drawn per case and always valid.
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as st

from eagertorch.ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d, fold, unfold
from tests.ops.op_db import OpSpec


# ----- numpy references: one einsum per kernel offset (no im2col) -------------------------
def _tuple(v, nd):
    return (v,) * nd if isinstance(v, int) else tuple(v)


def conv_reference(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Cross-correlation by definition: out += x[window offset] . w[offset], offset by offset."""
    nd = w.ndim - 2
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = x[None]
    s, d, k = _tuple(stride, nd), _tuple(dilation, nd), w.shape[2:]
    if padding == "valid":
        pads = [(0, 0)] * nd
    elif padding == "same":
        pads = [(dd * (kk - 1) // 2, dd * (kk - 1) - dd * (kk - 1) // 2) for dd, kk in zip(d, k)]
    else:
        pads = [(p, p) for p in _tuple(padding, nd)]
    xp = np.pad(x, [(0, 0), (0, 0), *pads])
    out_sp = [(xp.shape[2 + i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(nd)]
    N, C = x.shape[:2]
    O, G = w.shape[0], groups
    xg = xp.reshape(N, G, C // G, *xp.shape[2:])
    wg = w.reshape(G, O // G, *w.shape[1:])
    out = np.zeros((N, G, O // G, *out_sp))
    for offs in itertools.product(*[range(kk) for kk in k]):
        window = tuple(
            slice(o * dd, o * dd + ss * (n - 1) + 1, ss) for o, dd, ss, n in zip(offs, d, s, out_sp)
        )
        out += np.einsum("ngc...,goc->ngo...", xg[(Ellipsis, *window)], wg[(Ellipsis, *offs)])
    out = out.reshape(N, O, *out_sp)
    if b is not None:
        out += b.reshape(O, *[1] * nd)
    return out[0] if unbatched else out


def conv_transpose_reference(
    x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """Scatter every input pixel times the kernel into a full output, then crop the padding."""
    nd = w.ndim - 2
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = x[None]
    s, d, k = _tuple(stride, nd), _tuple(dilation, nd), w.shape[2:]
    p, op = _tuple(padding, nd), _tuple(output_padding, nd)
    N, Cin, *sp = x.shape
    G = groups
    Cout = w.shape[1] * G
    full = [(n - 1) * ss + dd * (kk - 1) + 1 + oo for n, ss, dd, kk, oo in zip(sp, s, d, k, op)]
    out = np.zeros((N, G, Cout // G, *full))
    xg = x.reshape(N, G, Cin // G, *sp)
    wg = w.reshape(G, Cin // G, Cout // G, *k)
    for offs in itertools.product(*[range(kk) for kk in k]):
        window = tuple(
            slice(o * dd, o * dd + ss * (n - 1) + 1, ss) for o, dd, ss, n in zip(offs, d, s, sp)
        )
        out[(Ellipsis, *window)] += np.einsum("ngc...,gco->ngo...", xg, wg[(Ellipsis, *offs)])
    out = out[(Ellipsis, *[slice(pp, f - pp) for pp, f in zip(p, full)])]
    out = out.reshape(N, Cout, *out.shape[3:])
    if b is not None:
        out += b.reshape(Cout, *[1] * nd)
    return out[0] if unbatched else out


# ----- shape and hyper-parameter strategies ----------------------------------------------
def _conv_shapes(nd: int, batched: bool = True, bias: bool = True, max_kernel: int = 3):
    """(input, weight[, bias]) shapes; groups is implied: in_channels // weight.shape[1]."""

    @st.composite
    def draw(draw):
        n = draw(st.integers(0, 2))
        groups = draw(st.integers(1, 2))
        cg = draw(st.integers(0 if groups == 1 else 1, 2))
        og = draw(st.integers(1, 2))
        spatial = tuple(draw(st.integers(1, 4)) for _ in range(nd))
        kernel = tuple(draw(st.integers(1, max_kernel)) for _ in range(nd))
        x = ((n,) if batched else ()) + (groups * cg, *spatial)
        shapes = (x, (groups * og, cg, *kernel))
        return (*shapes, (groups * og,)) if bias else shapes

    return draw


def _conv_kwargs(shapes):
    """stride, padding (ints or 'same'/'valid'), dilation: always a kernel that fits."""
    x_shape, w_shape = shapes[:2]
    nd = len(w_shape) - 2
    spatial, kernel = x_shape[-nd:], w_shape[2:]
    groups = x_shape[-nd - 1] // w_shape[1] if w_shape[1] else 1

    @st.composite
    def draw(draw):
        stride, padding, dilation = [], [], []
        for n, k in zip(spatial, kernel):
            p = draw(st.integers(0, 2))
            # the dilated kernel must fit the padded input: d * (k - 1) + 1 <= n + 2p
            d_max = 2 if k == 1 else max(1, min(2, (n + 2 * p - 1) // (k - 1)))
            d = draw(st.integers(1, d_max))
            if d * (k - 1) + 1 > n + 2 * p:
                p = (d * (k - 1) + 1 - n + 1) // 2
            stride.append(draw(st.integers(1, 3)))
            padding.append(p)
            dilation.append(d)
        kind = draw(st.sampled_from(["ints", "ints", "same", "valid"]))
        if kind == "same":
            return {"padding": "same", "dilation": tuple(dilation), "groups": groups}
        if kind == "valid" and all(
            d * (k - 1) + 1 <= n for d, k, n in zip(dilation, kernel, spatial)
        ):
            return {"stride": tuple(stride), "padding": "valid", "dilation": tuple(dilation),
                    "groups": groups}  # fmt: skip
        return {
            "stride": tuple(stride),
            "padding": tuple(padding),
            "dilation": tuple(dilation),
            "groups": groups,
        }

    return draw()


def _transpose_shapes(nd: int, batched: bool = True):
    """(input, weight (C_in, C_out/groups, *k), bias) shapes: the bias length sets groups."""

    @st.composite
    def draw(draw):
        n = draw(st.integers(0, 2))
        groups = draw(st.integers(1, 2))
        cin_g = draw(st.integers(1, 2))
        cout_g = draw(st.integers(0 if groups == 1 else 1, 2))
        spatial = tuple(draw(st.integers(1, 3)) for _ in range(nd))
        kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
        x = ((n,) if batched else ()) + (groups * cin_g, *spatial)
        return x, (groups * cin_g, cout_g, *kernel), (groups * cout_g,)

    return draw


def _transpose_kwargs(shapes):
    x_shape, w_shape = shapes[:2]
    nd = len(w_shape) - 2
    spatial, kernel = x_shape[-nd:], w_shape[2:]
    # C_out = groups * weight.shape[1] is the bias length (groups > 1 has C_out > 0)
    groups = shapes[2][0] // w_shape[1] if w_shape[1] else 1

    @st.composite
    def draw(draw):
        stride, padding, output_padding, dilation = [], [], [], []
        for n, k in zip(spatial, kernel):
            s, d = draw(st.integers(1, 3)), draw(st.integers(1, 2))
            op = draw(st.integers(0, max(s, d) - 1))
            full = (n - 1) * s + d * (k - 1) + op + 1
            p = draw(st.integers(0, min(2, (full - 1) // 2)))  # output size stays >= 1
            stride.append(s)
            padding.append(p)
            output_padding.append(op)
            dilation.append(d)
        return {
            "stride": tuple(stride),
            "padding": tuple(padding),
            "output_padding": tuple(output_padding),
            "groups": groups,
            "dilation": tuple(dilation),
        }

    return draw()


# ----- unfold / fold: references that visit one block at a time --------------------------
def _block_args(kernel_size, dilation, padding, stride):
    return [_tuple(v, 2) for v in (kernel_size, dilation, padding, stride)]


def unfold_reference(x, kernel_size, dilation=1, padding=0, stride=1):
    """Block (i, j) of the zero-padded input is column i * blocks_w + j."""
    unbatched = x.ndim == 3
    x = x[None] if unbatched else x
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = _block_args(kernel_size, dilation, padding, stride)
    n, c = x.shape[:2]
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    bh = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    bw = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, c * kh * kw, bh * bw))
    for i, j in itertools.product(range(bh), range(bw)):
        block = xp[:, :, i * sh : i * sh + dh * kh : dh, j * sw : j * sw + dw * kw : dw]
        out[:, :, i * bw + j] = block.reshape(n, c * kh * kw)
    return out[0] if unbatched else out


def fold_reference(y, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Column i * blocks_w + j added back onto block (i, j), then the padding cropped."""
    unbatched = y.ndim == 2
    y = y[None] if unbatched else y
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = _block_args(kernel_size, dilation, padding, stride)
    (h, w), (n, k, length) = output_size, y.shape
    out = np.zeros((n, k // (kh * kw), h + 2 * ph, w + 2 * pw))
    bw = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    for b in range(length):
        i, j = divmod(b, bw)
        where = (Ellipsis, slice(i * sh, i * sh + dh * kh, dh), slice(j * sw, j * sw + dw * kw, dw))
        out[where] += y[:, :, b].reshape(n, k // (kh * kw), kh, kw)
    out = out[:, :, ph : ph + h, pw : pw + w]
    return out[0] if unbatched else out


@st.composite
def _image_shape(draw):
    batch = draw(st.sampled_from([(), (0,), (1,), (2,)]))
    return ((*batch, draw(st.integers(1, 2)), draw(st.integers(1, 4)), draw(st.integers(1, 4))),)


def _unfold_kwargs(shapes):
    """Blocks that fit: the dilated kernel is at most the padded size."""

    @st.composite
    def draw(draw):
        kernel, dilation, padding, stride = [], [], [], []
        for n in shapes[0][-2:]:
            p = draw(st.integers(0, 1))
            k = draw(st.integers(1, min(3, n + 2 * p)))
            d = draw(st.integers(1, 2 if k == 1 else max(1, min(2, (n + 2 * p - 1) // (k - 1)))))
            kernel.append(k)
            dilation.append(d)
            padding.append(p)
            stride.append(draw(st.integers(1, 3)))
        return {"kernel_size": tuple(kernel), "dilation": tuple(dilation),
                "padding": tuple(padding), "stride": tuple(stride)}  # fmt: skip

    return draw()


@st.composite
def _columns_shape(draw):
    batch = draw(st.sampled_from([(), (0,), (1,), (2,)]))
    return ((*batch, draw(st.integers(1, 8)), draw(st.integers(1, 6))),)


def _divisors(n: int, most: int) -> list:
    return [d for d in range(1, most + 1) if n % d == 0]


def _fold_kwargs(shapes):
    """A kernel whose size divides the rows, blocks (bh, bw) with bh * bw = the columns, and
    per dim an output size that makes exactly that many blocks."""
    k_all, length = shapes[0][-2:]

    @st.composite
    def draw(draw):
        kh = draw(st.sampled_from(_divisors(k_all, 3)))
        kw = draw(st.sampled_from(_divisors(k_all // kh, 3)))
        bh = draw(st.sampled_from(_divisors(length, length)))
        size, dilation, padding, stride = [], [], [], []
        for k, b in ((kh, bh), (kw, length // bh)):
            s, d, p = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(0, 1))
            out = (b - 1) * s + d * (k - 1) + 1 + draw(st.integers(0, s - 1))
            p = p if out - 2 * p >= 1 else 0
            size.append(out - 2 * p)
            dilation.append(d)
            padding.append(p)
            stride.append(s)
        return {"output_size": tuple(size), "kernel_size": (kh, kw), "dilation": tuple(dilation),
                "padding": tuple(padding), "stride": tuple(stride)}  # fmt: skip

    return draw()


SPECS = [
    OpSpec(
        "functional_unfold",
        unfold,
        unfold_reference,
        1,
        shapes=lambda: _image_shape(),
        kwargs=_unfold_kwargs,
    ),
    OpSpec(
        "functional_fold",
        fold,
        fold_reference,
        1,
        shapes=lambda: _columns_shape(),
        kwargs=_fold_kwargs,
    ),
    OpSpec(
        "conv2d",
        conv2d,
        conv_reference,
        3,
        shapes=lambda: _conv_shapes(2)(),
        kwargs=_conv_kwargs,
    ),
    OpSpec(
        "conv2d_unbatched_no_bias",
        conv2d,
        conv_reference,
        2,
        shapes=lambda: _conv_shapes(2, batched=False, bias=False)(),
        kwargs=_conv_kwargs,
    ),
    OpSpec(
        "conv1d",
        conv1d,
        conv_reference,
        3,
        shapes=lambda: _conv_shapes(1, max_kernel=4)(),
        kwargs=_conv_kwargs,
    ),
    OpSpec(
        "conv_transpose2d",
        conv_transpose2d,
        conv_transpose_reference,
        3,
        shapes=lambda: _transpose_shapes(2)(),
        kwargs=_transpose_kwargs,
    ),
    OpSpec(
        "conv_transpose1d_unbatched",
        conv_transpose1d,
        conv_transpose_reference,
        3,
        shapes=lambda: _transpose_shapes(1, batched=False)(),
        kwargs=_transpose_kwargs,
    ),
]
