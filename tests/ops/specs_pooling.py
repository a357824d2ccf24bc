"""Op specs for the pooling family (see op_db.py): max/avg/adaptive pooling, interpolation and
non-constant padding, against direct numpy references that visit every window.

Max pooling picks one element per window, so its inputs are made tie-free: the op pools
``x + RAMP`` (RAMP: fixed, well-separated distinct values), and ``valid`` keeps draws whose
sums are at least 1e-3 apart.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import strategies as st

import eagertorch as torch
import eagertorch.nn.functional as F
from tests.ops.op_db import OpSpec


# ----- shapes and window hyper-parameters ---------------------------------------------------
def _batched(nd: int, min_side: int = 1, max_side: int = 5):
    """``(N, C, *spatial)`` with N possibly 0, or unbatched ``(C, *spatial)``."""
    spatial = st.tuples(*[st.integers(min_side, max_side)] * nd)
    batched = st.tuples(st.integers(0, 2), st.integers(1, 2), spatial).map(
        lambda t: (t[0], t[1], *t[2])
    )
    unbatched = st.tuples(st.integers(1, 2), spatial).map(lambda t: (t[0], *t[1]))
    return lambda: st.one_of(batched, unbatched).map(lambda s: (s,))


def _per_dim(values: list, nd: int, as_int: bool):
    return values[0] if as_int and len(set(values)) == 1 else tuple(values)


@st.composite
def _window_kwargs(draw, shapes, nd: int, dilation: bool = True):
    """kernel/stride/padding (maybe dilation) whose windows fit every spatial dim."""
    spatial = shapes[0][-nd:]
    k, s, p, d = [], [], [], []
    for n in spatial:
        dil = draw(st.integers(1, 2)) if dilation else 1
        kernel = draw(st.integers(1, min(3, (n - 1) // dil + 1)))
        k.append(kernel)
        d.append(dil)
        s.append(draw(st.integers(1, 3)))
        p.append(draw(st.integers(0, kernel // 2)))
    as_int = draw(st.booleans())
    kw = {
        "kernel_size": _per_dim(k, nd, as_int),
        "stride": _per_dim(s, nd, as_int),
        "padding": _per_dim(p, nd, as_int),
        "ceil_mode": draw(st.booleans()),
    }
    if dilation:
        kw["dilation"] = _per_dim(d, nd, as_int)
    return kw


def _avg_kwargs(nd: int):
    def kwargs(shapes):
        extra = {"count_include_pad": st.booleans()}
        if nd > 1:
            extra["divisor_override"] = st.none() | st.integers(1, 5)
        return st.tuples(
            _window_kwargs(shapes, nd, dilation=False), st.fixed_dictionaries(extra)
        ).map(lambda t: {**t[0], **t[1]})

    return kwargs


def _sizes_kwargs(name: str, nd: int, low: int = 1, high: int = 6):
    def kwargs(shapes):
        sizes = st.tuples(*[st.integers(low, high)] * nd)
        return sizes.map(lambda s: {name: s[0] if nd == 1 else s})

    return kwargs


def _tuple(v, nd: int) -> tuple:
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * nd


# ----- numpy references: one window at a time -------------------------------------------------
def _out_len(n, k, s, p, d, ceil):
    out = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    if ceil and (out - 1) * s >= n + p:
        out -= 1
    return out


def _windows(x, nd, kernel_size, stride, padding, dilation, ceil_mode):
    """Yield (output index, list of in-bounds input indices, padded window size)."""
    spatial = x.shape[-nd:]
    k, s = _tuple(kernel_size, nd), _tuple(stride, nd)
    p, d = _tuple(padding, nd), _tuple(dilation, nd)
    outs = [_out_len(*a, ceil_mode) for a in zip(spatial, k, s, p, d)]
    for o in itertools.product(*map(range, outs)):
        axes = []
        padded = []
        for i in range(nd):
            start = o[i] * s[i] - p[i]
            pos = [start + j * d[i] for j in range(k[i])]
            axes.append([q for q in pos if 0 <= q < spatial[i]])
            # PyTorch's count_include_pad divisor: the window clipped to the padded input.
            padded.append(min(start + k[i], spatial[i] + p[i]) - start)
        yield o, outs, list(itertools.product(*axes)), math.prod(padded)


def _max_pool_ref(nd):
    def ref(x, kernel_size, stride, padding, ceil_mode, dilation=1):
        x = x + _ramp(x.shape)
        out = None
        for o, outs, idx, _ in _windows(x, nd, kernel_size, stride, padding, dilation, ceil_mode):
            if out is None:
                out = np.empty(x.shape[:-nd] + tuple(outs))
            out[(Ellipsis, *o)] = np.max([x[(Ellipsis, *i)] for i in idx], axis=0)
        return out

    return ref


def _avg_pool_ref(nd):
    def ref(
        x, kernel_size, stride, padding, ceil_mode, count_include_pad=True, divisor_override=None
    ):
        out = None
        for o, outs, idx, size in _windows(x, nd, kernel_size, stride, padding, 1, ceil_mode):
            if out is None:
                out = np.empty(x.shape[:-nd] + tuple(outs))
            total = np.sum([x[(Ellipsis, *i)] for i in idx], axis=0)
            div = divisor_override or (size if count_include_pad else len(idx))
            out[(Ellipsis, *o)] = total / div
        return out

    return ref


def _adaptive_ref(nd, fn, ramp=False):
    def ref(x, output_size):
        if ramp:
            x = x + _ramp(x.shape)
        sizes = _tuple(output_size, nd)
        spatial = x.shape[-nd:]
        out = np.empty(x.shape[:-nd] + sizes)
        for o in itertools.product(*map(range, sizes)):
            key = tuple(
                slice(i * n // m, -(-(i + 1) * n // m)) for i, n, m in zip(o, spatial, sizes)
            )
            out[(Ellipsis, *o)] = fn(x[(Ellipsis, *key)], axis=tuple(range(-nd, 0)))
        return out

    return ref


# ----- tie-breaking ramp ----------------------------------------------------------------------
def _ramp(shape):
    """Distinct values 0.0371 apart in a fixed scrambled order (no ties with "nice" draws)."""
    n = math.prod(shape)
    order = (np.arange(n) * 7919) % max(n, 1)
    return (order * 0.0371 + 0.013).reshape(shape)


def _with_ramp(fn):
    def op(x, **kw):
        return fn(x + torch.tensor(_ramp(tuple(x.shape)), dtype=x.dtype), **kw)

    return op


def _tie_free(x, **kw) -> bool:
    v = np.sort((x + _ramp(x.shape)).ravel())
    return bool(np.all(np.diff(v) > 1e-3))


# ----- interpolation and padding references -------------------------------------------------
def _linear_weights(n_in, n_out, align_corners):
    """(n_out, n_in) matrix of linear interpolation (PyTorch's source-index rule)."""
    m = np.zeros((n_out, n_in))
    for o in range(n_out):
        if align_corners:
            src = o * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        else:
            src = max((o + 0.5) * n_in / n_out - 0.5, 0.0)
        i0 = min(int(np.floor(src)), n_in - 1)
        i1 = min(i0 + 1, n_in - 1)
        lam = src - i0
        m[o, i0] += 1 - lam
        m[o, i1] += lam
    return m


def _cubic_weights(n_in, n_out, align_corners):
    a = -0.75

    def k(t):
        t = abs(t)
        if t <= 1:
            return ((a + 2) * t - (a + 3)) * t * t + 1
        if t < 2:
            return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
        return 0.0

    m = np.zeros((n_out, n_in))
    for o in range(n_out):
        if align_corners:
            src = o * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        else:
            src = (o + 0.5) * n_in / n_out - 0.5
        base = int(np.floor(src))
        for tap in range(-1, 3):
            m[o, min(max(base + tap, 0), n_in - 1)] += k(src - (base + tap))
    return m


def _nearest_weights(n_in, n_out, exact):
    m = np.zeros((n_out, n_in))
    scale = np.float32(n_in) / np.float32(n_out)
    for o in range(n_out):
        if exact:
            i = int(np.floor((o + 0.5) * scale))
        elif n_out == 2 * n_in:
            i = o // 2
        else:
            i = int(np.floor(np.float32(o) * scale))
        m[o, min(i, n_in - 1)] = 1.0
    return m


def _separable_ref(x, matrices):
    """Apply one (out, in) matrix along each trailing axis."""
    nd = len(matrices)
    for i, m in enumerate(matrices):
        x = np.moveaxis(np.tensordot(m, np.moveaxis(x, i - nd, 0), axes=(1, 0)), 0, i - nd)
    return x


def _interp_ref(weights, nd):
    def ref(x, size, mode, align_corners=None):
        sizes = _tuple(size, nd)
        mats = [weights(n, o, align_corners) for n, o in zip(x.shape[-nd:], sizes)]
        return _separable_ref(x, mats)

    return ref


def _nearest_ref(nd):
    def ref(x, size, mode):
        sizes = _tuple(size, nd)
        mats = [
            _nearest_weights(n, o, mode == "nearest-exact") for n, o in zip(x.shape[-nd:], sizes)
        ]
        return _separable_ref(x, mats)

    return ref


def _interp_kwargs(nd, modes, corners):
    def kwargs(shapes):
        sizes = st.tuples(*[st.integers(1, 7)] * nd).map(lambda s: s[0] if nd == 1 else s)
        fields = {"size": sizes, "mode": st.sampled_from(modes)}
        if corners:
            fields["align_corners"] = st.booleans()
        return st.fixed_dictionaries(fields)

    return kwargs


def _pad_kwargs(shapes):
    nd = 2
    spatial = shapes[0][-nd:]
    mode = st.sampled_from(["reflect", "replicate", "circular"])

    @st.composite
    def build(draw):
        m = draw(mode)
        amounts = []
        for n in reversed(spatial):
            limit = n - 1 if m == "reflect" else n
            amounts += [draw(st.integers(0, limit)), draw(st.integers(0, limit))]
        return {"pad": tuple(amounts), "mode": m}

    return build()


def _pad_ref(x, pad, mode):
    np_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    nd = len(pad) // 2
    widths = [(0, 0)] * (x.ndim - nd) + [
        (pad[2 * (nd - 1 - i)], pad[2 * (nd - 1 - i) + 1]) for i in range(nd)
    ]
    return np.pad(x, widths, mode=np_mode)


SPECS = [
    OpSpec(
        "max_pool2d",
        _with_ramp(F.max_pool2d),
        _max_pool_ref(2),
        shapes=_batched(2),
        kwargs=lambda s: _window_kwargs(s, 2),
        valid=_tie_free,
    ),
    OpSpec(
        "max_pool1d",
        _with_ramp(F.max_pool1d),
        _max_pool_ref(1),
        shapes=_batched(1, max_side=7),
        kwargs=lambda s: _window_kwargs(s, 1),
        valid=_tie_free,
    ),
    OpSpec(
        "max_pool3d",
        _with_ramp(F.max_pool3d),
        _max_pool_ref(3),
        shapes=_batched(3, max_side=3),
        kwargs=lambda s: _window_kwargs(s, 3),
        valid=_tie_free,
    ),
    OpSpec("avg_pool2d", F.avg_pool2d, _avg_pool_ref(2), shapes=_batched(2), kwargs=_avg_kwargs(2)),
    OpSpec(
        "avg_pool1d",
        F.avg_pool1d,
        _avg_pool_ref(1),
        shapes=_batched(1, max_side=7),
        kwargs=_avg_kwargs(1),
    ),
    OpSpec(
        "avg_pool3d",
        F.avg_pool3d,
        _avg_pool_ref(3),
        shapes=_batched(3, max_side=3),
        kwargs=_avg_kwargs(3),
    ),
    OpSpec(
        "adaptive_avg_pool2d",
        F.adaptive_avg_pool2d,
        _adaptive_ref(2, np.mean),
        shapes=_batched(2),
        kwargs=_sizes_kwargs("output_size", 2),
    ),
    OpSpec(
        "adaptive_avg_pool1d",
        F.adaptive_avg_pool1d,
        _adaptive_ref(1, np.mean),
        shapes=_batched(1, max_side=7),
        kwargs=_sizes_kwargs("output_size", 1),
    ),
    OpSpec(
        "adaptive_max_pool2d",
        _with_ramp(F.adaptive_max_pool2d),
        _adaptive_ref(2, np.max, ramp=True),
        shapes=_batched(2),
        kwargs=_sizes_kwargs("output_size", 2),
        valid=_tie_free,
    ),
    OpSpec(
        "adaptive_max_pool1d",
        _with_ramp(F.adaptive_max_pool1d),
        _adaptive_ref(1, np.max, ramp=True),
        shapes=_batched(1, max_side=7),
        kwargs=_sizes_kwargs("output_size", 1),
        valid=_tie_free,
    ),
    OpSpec(
        "interpolate_nearest2d",
        F.interpolate,
        _nearest_ref(2),
        shapes=lambda: st.tuples(
            st.integers(0, 2), st.integers(1, 2), st.integers(1, 5), st.integers(1, 5)
        ).map(lambda s: (s,)),
        kwargs=_interp_kwargs(2, ["nearest", "nearest-exact"], False),
    ),
    OpSpec(
        "interpolate_bilinear",
        F.interpolate,
        _interp_ref(_linear_weights, 2),
        shapes=lambda: st.tuples(
            st.integers(0, 2), st.integers(1, 2), st.integers(1, 5), st.integers(1, 5)
        ).map(lambda s: (s,)),
        kwargs=_interp_kwargs(2, ["bilinear"], True),
    ),
    OpSpec(
        "interpolate_bicubic",
        F.interpolate,
        _interp_ref(_cubic_weights, 2),
        shapes=lambda: st.tuples(
            st.integers(1, 2), st.integers(1, 2), st.integers(1, 5), st.integers(1, 5)
        ).map(lambda s: (s,)),
        kwargs=_interp_kwargs(2, ["bicubic"], True),
    ),
    OpSpec(
        "interpolate_linear",
        F.interpolate,
        _interp_ref(_linear_weights, 1),
        shapes=lambda: st.tuples(st.integers(0, 2), st.integers(1, 2), st.integers(1, 7)).map(
            lambda s: (s,)
        ),
        kwargs=_interp_kwargs(1, ["linear"], True),
    ),
    OpSpec(
        "pad_reflect_replicate_circular",
        F.pad,
        _pad_ref,
        shapes=lambda: st.tuples(st.integers(1, 2), st.integers(1, 4), st.integers(1, 4)).map(
            lambda s: (s,)
        ),
        kwargs=_pad_kwargs,
    ),
]
