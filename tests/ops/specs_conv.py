"""Op specs for the convolution family (see op_db.py).

Shapes are drawn tiny (sides 1-4, at most 2 channels per group) so that gradcheck and
gradgradcheck stay fast; hyper-parameters are drawn per case and always valid.
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as st

from eagertorch.ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
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


SPECS = [
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
