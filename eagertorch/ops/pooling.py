"""Pooling and resampling ops: max/avg pooling over windows, adaptive pooling, interpolation.

No loop visits a window or a pixel. A pooling forward is a short loop over the kernel
*offsets*: each offset is one strided view of the (padded) input that holds that offset's
element of every window at once, so a 2x2 max pool is three ``maximum`` calls. Max pooling
keeps, per output element, which offset won (a small int array). Its backward writes each
offset's winning gradients back through the same strided view (a plain write when windows
are disjoint, an add when they overlap); uneven (adaptive) windows and user indices
(``max_unpool``) go through flat positions instead (a put, or a bincount when positions
repeat). The backward is itself differentiable: its backward gathers at the same positions.

Resampling (``interpolate``, non-constant padding, adaptive average pooling with uneven
windows) is separable: one sparse linear map per spatial axis (``AxisMap``), applied as a
few takes and multiply-adds; its backward applies the transposed maps.

These are the primitives behind ``nn.functional``; argument checking lives there.
"""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np

from .._backend.device import array_module, device_of
from ..autograd.function import ArrayFunction

__all__: list[str] = []

# Up to this many kernel offsets a pool over disjoint tiles is a scan over strided views;
# beyond, one transposed copy of the tiles and a reduction over their last axis is cheaper.
_SCAN_LIMIT = 16


# ----- window geometry --------------------------------------------------------------------
def pool_output_size(size: int, kernel: int, stride: int, pad: int, dilation: int, ceil: bool):
    """PyTorch's pooling output length (``ceil_mode`` drops a window starting in padding)."""
    out = (size + 2 * pad - dilation * (kernel - 1) - 1 + (stride - 1 if ceil else 0)) // stride + 1
    if ceil and (out - 1) * stride >= size + pad:
        out -= 1
    return out


class _Windows:
    """Where a pooling's windows sit over the last ``len(kernel)`` dims of its input.

    ``slices[q]`` views kernel offset ``q`` (row-major over the kernel) of every window in
    the padded input; ``base`` and ``offsets`` give an output element's flat in-plane input
    position (``base + offsets[q]``); ``first`` is each window's first in-bounds offset.
    """

    __slots__ = (
        "base",
        "dilation",
        "first",
        "in_sizes",
        "kernel",
        "offsets",
        "out_sizes",
        "overlap",
        "pad_hi",
        "padded",
        "padding",
        "slices",
        "stride",
        "tiles",
    )

    def __init__(self, in_sizes, out_sizes, kernel, stride, padding, dilation) -> None:
        self.in_sizes = in_sizes
        self.out_sizes = out_sizes
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        span = tuple((k - 1) * d + 1 for k, d in zip(kernel, dilation))
        # ceil_mode's last window may reach past the right padding: pad that far too.
        self.pad_hi = tuple(
            max(0, (o - 1) * s + e - n - p)
            for o, s, e, n, p in zip(out_sizes, stride, span, in_sizes, padding)
        )
        self.padded = any(padding) or any(self.pad_hi)
        self.overlap = any(s < e for s, e in zip(stride, span))
        self.tiles = not self.padded and all(
            s == k and d == 1 for k, s, d in zip(kernel, stride, dilation)
        )
        per_dim = [
            [slice(o * d, o * d + (n - 1) * s + 1, s) for o in range(k)]
            for k, s, d, n in zip(kernel, stride, dilation, out_sizes)
        ]
        self.slices = [(Ellipsis, *sl) for sl in itertools.product(*per_dim)]
        # Flat in-plane strides of the unpadded input.
        strides = [math.prod(in_sizes[i + 1 :]) for i in range(len(in_sizes))]
        nd = len(in_sizes)
        base = np.zeros(out_sizes, np.int64)
        first = np.zeros(out_sizes, np.int64)
        for i, (o, s, p, k, d, st) in enumerate(
            zip(out_sizes, stride, padding, kernel, dilation, strides)
        ):
            start = np.arange(o, dtype=np.int64) * s - p
            shape = [1] * nd
            shape[i] = o
            base = base + (start * st).reshape(shape)
            # The first kernel offset landing at or after 0: what PyTorch reports for a
            # window whose max is -inf (every element ties with the padding).
            lead = np.minimum(np.maximum(-start + d - 1, 0) // d, k - 1)
            first = first * k + lead.reshape(shape)
        self.base = base
        self.first = first.astype(_offset_dtype(math.prod(kernel)))
        self.offsets = np.array(
            [
                sum(o * d * st for o, d, st in zip(q, dilation, strides))
                for q in itertools.product(*(range(k) for k in kernel))
            ],
            np.int64,
        )


@functools.lru_cache(maxsize=256)
def windows(in_sizes, out_sizes, kernel, stride, padding, dilation) -> _Windows:
    """The (cached) geometry of one pooling configuration; all arguments are int tuples."""
    return _Windows(in_sizes, out_sizes, kernel, stride, padding, dilation)


def _padded(x, w: _Windows, value):
    """``x`` with the windows' padding on its last dims, filled with ``value``."""
    xp = array_module(x)
    nd = len(w.kernel)
    lead = x.shape[: x.ndim - nd]
    shape = lead + tuple(n + p + h for n, p, h in zip(w.in_sizes, w.padding, w.pad_hi))
    out = xp.full(shape, value, x.dtype)
    out[(Ellipsis, *(slice(p, p + n) for p, n in zip(w.padding, w.in_sizes)))] = x
    return out


def _tiled(x, w: _Windows):
    """Disjoint tiles as ``(*lead, *out_sizes, K)``: one copy, each window contiguous."""
    nd = len(w.kernel)
    lead = x.shape[: x.ndim - nd]
    x = x[(Ellipsis, *(slice(0, o * k) for o, k in zip(w.out_sizes, w.kernel)))]
    split = lead + tuple(v for ok in zip(w.out_sizes, w.kernel) for v in ok)
    n = len(lead)
    order = (
        *range(n),
        *(n + 2 * i for i in range(nd)),
        *(n + 2 * i + 1 for i in range(nd)),
    )
    t = x.reshape(split).transpose(order)
    return t.reshape(lead + w.out_sizes + (math.prod(w.kernel),))


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


# ----- max pooling: the winning offset per output element ----------------------------------
def _offset_dtype(count: int):
    return np.uint8 if count <= 256 else np.int64


def _scan_max(views, count: int, need_index: bool):
    """Running maximum over the offset views; with ``need_index``, the first winner's offset."""
    it = iter(views)
    v0 = next(it)
    xp = array_module(v0)
    kdtype = _offset_dtype(count)
    if count == 1:
        return v0.copy(), (xp.zeros(v0.shape, kdtype) if need_index else None)
    v1 = next(it)
    m = xp.maximum(v0, v1)
    if not need_index:
        for v in it:
            xp.maximum(m, v, out=m)
        return m, None
    k = (v1 > v0).view(np.uint8) if kdtype is np.uint8 else (v1 > v0).astype(kdtype)
    for q, v in enumerate(it, 2):
        # Offsets only grow, so "k = q where v wins" is a branch-free max(k, q * wins);
        # putmask/where on a random mask cost several times more.
        xp.maximum(k, xp.multiply(v > m, kdtype(q), dtype=kdtype), out=k)
        xp.maximum(m, v, out=m)
    return m, k


def _scan_max_nan(views, count: int):
    """PyTorch's exact rule, for inputs with NaN: a NaN wins (the last one), else first max."""
    it = iter(views)
    v0 = next(it)
    xp = array_module(v0)
    m = v0.copy()
    k = xp.zeros(v0.shape, _offset_dtype(count))
    for q, v in enumerate(it, 1):
        take = (v > m) | xp.isnan(v)
        xp.putmask(k, take, q)
        xp.copyto(m, v, where=take)
    return m, k


def _max_over(views_fn, count: int, float_: bool, need_index: bool):
    m, k = _scan_max(views_fn(), count, need_index)
    if need_index and float_ and array_module(m).isnan(m).any():
        m, k = _scan_max_nan(views_fn(), count)
    return m, k


def _max_windows(x, w: _Windows, need_index: bool):
    """``(values, picked)`` of a max pool; ``picked`` is None unless ``need_index``."""
    if w.padded:
        x = _padded(x, w, _lowest(x.dtype))
    count = len(w.slices)
    float_ = x.dtype.kind == "f"
    if w.tiles and count > _SCAN_LIMIT:
        t = _tiled(x, w)
        if not need_index:
            return t.max(-1), None
        k = t.argmax(-1)
        m = array_module(t).take_along_axis(t, k[..., None], -1)[..., 0]
        if float_ and array_module(m).isnan(m).any():
            m, k = _max_over(lambda: (x[s] for s in w.slices), count, float_, True)
    else:
        m, k = _max_over(lambda: (x[s] for s in w.slices), count, float_, need_index)
    if not need_index:
        return m, None
    if w.padded:
        # A window whose max equals the padding value may have picked the padding.
        tie = m == _lowest(m.dtype)
        if tie.any():
            k = array_module(k).where(tie, array_module(k).asarray(w.first), k)
    return m, _WindowPicks(k, w, m.shape)


class _Positions:
    """Where each element of a pooled tensor came from: flat positions in its input plane.

    Shared by a max pool's node and its backward's node (and by ``max_unpool``): the
    gradient is scattered to these positions and gathered back from them.
    """

    __slots__ = ("_global", "_plane", "in_shape", "nd", "out_shape", "overlap")

    def __init__(self, in_shape: tuple, out_shape: tuple, nd: int, overlap: bool) -> None:
        self.in_shape = in_shape  # the shape gradients are scattered into
        self.out_shape = out_shape  # the shape of the pooled tensor
        self.nd = nd  # spatial dims; the others are planes
        self.overlap = overlap  # may two outputs pick the same input element?
        self._plane = None
        self._global = None

    def plane_index(self):
        """Flat position within each input plane (PyTorch's ``return_indices``), int64."""
        if self._plane is None:
            self._plane = self._compute_plane_index()
        return self._plane

    def _compute_plane_index(self):
        raise NotImplementedError

    def global_index(self):
        """Flat position in the whole input, one per pooled element (1-d)."""
        if self._global is None:
            plane = self.plane_index()
            xp = array_module(plane)
            size = math.prod(self.in_shape[len(self.in_shape) - self.nd :])
            planes = math.prod(self.in_shape[: len(self.in_shape) - self.nd])
            flat = plane.reshape(planes, math.prod(self.out_shape[len(self.out_shape) - self.nd :]))
            if planes > 1:
                flat = flat + xp.arange(0, planes * size, size, dtype=np.int64)[:, None]
            self._global = flat.reshape(-1)
        return self._global

    def scatter(self, g):
        """Zeros of ``in_shape`` with ``g`` added at the positions."""
        xp = array_module(g)
        n = math.prod(self.in_shape)
        idx = self.global_index()
        if self.overlap:
            flat = xp.bincount(idx, weights=g.reshape(-1), minlength=n).astype(g.dtype)
        else:
            flat = xp.zeros(n, g.dtype)
            flat[idx] = g.reshape(-1)
        return flat.reshape(self.in_shape)

    def gather(self, x):
        """``x`` (of ``in_shape``) read at the positions, shaped like the pooled tensor."""
        return x.reshape(-1)[self.global_index()].reshape(self.out_shape)


class _WindowPicks(_Positions):
    """The winners of a max pool over regular windows: one kernel offset per output element."""

    __slots__ = ("k", "w")

    def __init__(self, k, w: _Windows, out_shape: tuple) -> None:
        nd = len(w.kernel)
        in_shape = out_shape[: len(out_shape) - nd] + w.in_sizes
        super().__init__(in_shape, out_shape, nd, w.overlap)
        self.k = k
        self.w = w

    def _compute_plane_index(self):
        xp = array_module(self.k)
        return xp.asarray(self.w.base) + xp.asarray(self.w.offsets)[self.k]

    def scatter(self, g):
        """Per kernel offset, the gradients of the windows it won, written through the
        same strided view the forward read (no flat indices needed)."""
        w = self.w
        if w.tiles and len(w.slices) > _SCAN_LIMIT:
            return super().scatter(g)  # many offsets: one put through flat indices
        xp = array_module(g)
        k = self.k
        lead = self.in_shape[: len(self.in_shape) - self.nd]
        shape = lead + tuple(n + p + h for n, p, h in zip(w.in_sizes, w.padding, w.pad_hi))
        out = xp.zeros(shape, g.dtype)
        # g * (k == q) is the cheapest masking, but would turn inf/nan into nan elsewhere.
        finite = bool(xp.isfinite(g).all())
        zero = g.dtype.type(0)
        for q, sl in enumerate(w.slices):
            won = k == q
            if not w.overlap and finite:
                xp.multiply(g, won, out=out[sl])
            elif finite:
                out[sl] += g * won
            else:
                out[sl] += xp.where(won, g, zero)
        if w.padded:
            out = out[(Ellipsis, *(slice(p, p + n) for p, n in zip(w.padding, w.in_sizes)))]
        return out


class _TablePicks(_Positions):
    """The winners of a max pool over uneven windows: offset ``q`` of output ``i`` is
    input position ``table[q, i]``."""

    __slots__ = ("k", "table")

    def __init__(self, k, table, in_shape: tuple, out_shape: tuple, nd: int) -> None:
        super().__init__(in_shape, out_shape, nd, True)
        self.k = k
        self.table = table

    def _compute_plane_index(self):
        xp = array_module(self.k)
        size = math.prod(self.out_shape[len(self.out_shape) - self.nd :])
        table = xp.asarray(self.table).reshape(-1)
        planes = math.prod(self.out_shape[: len(self.out_shape) - self.nd])
        flat = self.k.reshape(planes, size).astype(np.int64) * size
        flat += xp.arange(size, dtype=np.int64)
        return table[flat].reshape(self.out_shape)


class _GivenPositions(_Positions):
    """Positions supplied by the caller (``max_unpool``'s indices)."""

    __slots__ = ()

    def __init__(self, plane, in_shape: tuple, out_shape: tuple, nd: int) -> None:
        super().__init__(in_shape, out_shape, nd, False)
        self._plane = plane


def _adaptive_ranges(n: int, out: int):
    """PyTorch's adaptive windows along one dim: ``[floor(i*n/out), ceil((i+1)*n/out))``."""
    i = np.arange(out, dtype=np.int64)
    return (i * n) // out, ((i + 1) * n + out - 1) // out


@functools.lru_cache(maxsize=128)
def _adaptive_table(in_sizes: tuple, out_sizes: tuple):
    """Per dim the ``(kmax, out)`` positions of each window (the last one repeated to pad
    short windows: a repeat never beats the first max), and the flat position table."""
    pos = []
    for n, o in zip(in_sizes, out_sizes):
        start, end = _adaptive_ranges(n, o)
        kmax = int((end - start).max()) if o else 0
        pos.append(np.minimum(start[None, :] + np.arange(kmax)[:, None], end[None, :] - 1))
    nd = len(in_sizes)
    strides = [math.prod(in_sizes[i + 1 :]) for i in range(nd)]
    table = []
    for q in itertools.product(*(range(p.shape[0]) for p in pos)):
        flat = np.zeros(out_sizes, np.int64)
        for i, (o, p, st) in enumerate(zip(q, pos, strides)):
            shape = [1] * nd
            shape[i] = out_sizes[i]
            flat = flat + (p[o] * st).reshape(shape)
        table.append(flat)
    table = np.stack(table) if table else np.zeros((0, *out_sizes), np.int64)
    return pos, table


def _adaptive_max(x, out_sizes: tuple, need_index: bool):
    xp = array_module(x)
    nd = len(out_sizes)
    in_sizes = x.shape[x.ndim - nd :]
    out_shape = x.shape[: x.ndim - nd] + out_sizes
    if 0 in out_shape:
        m = xp.empty(out_shape, x.dtype)
        k = xp.zeros(out_shape, np.uint8)
        count = 1
        table = np.zeros((1, *out_sizes), np.int64)
    else:
        pos, table = _adaptive_table(in_sizes, out_sizes)
        count = table.shape[0]
        grids = [
            [
                xp.asarray(p[o]).reshape([-1 if j == i else 1 for j in range(nd)])
                for o in range(len(p))
            ]
            for i, p in enumerate(pos)
        ]

        def views():
            for q in itertools.product(*grids):
                yield x[(Ellipsis, *q)]

        m, k = _max_over(views, count, x.dtype.kind == "f", need_index)
    if not need_index:
        return m, None
    return m, _TablePicks(k, table, x.shape, out_shape, nd)


# ----- max pooling ops ------------------------------------------------------------------------
class PoolScatter(ArrayFunction):
    """``g`` sent to saved input positions (a max pool's backward, ``max_unpool``)."""

    @staticmethod
    def forward(ctx, g, pos):
        ctx.pos = pos
        return pos.scatter(g)

    @staticmethod
    def backward(ctx, gg):
        return PoolGather.apply(gg, ctx.pos), None


class PoolGather(ArrayFunction):
    """``x`` read at saved input positions: a max pool with its winners fixed."""

    @staticmethod
    def forward(ctx, x, pos):
        ctx.pos = pos
        return pos.gather(x)

    @staticmethod
    def backward(ctx, g):
        return PoolScatter.apply(g, ctx.pos), None


class MaxPool2DWithIndicesBackward(PoolScatter):
    """A max pool's backward (named as PyTorch's)."""


class MaxUnpool2D(PoolScatter):
    """``max_unpool``: values put at the given flat positions of zero planes."""


class MaxPool2DWithIndices(ArrayFunction):
    """Max over regular windows; returns ``(values, indices)`` when asked for indices."""

    @staticmethod
    def forward(ctx, x, w, return_indices):
        m, picked = _max_windows(x, w, return_indices or bool(ctx.needs_input_grad))
        ctx.pos = picked
        if not return_indices:
            return m
        idx = picked.plane_index()
        ctx.mark_non_differentiable(idx)
        return m, idx

    @staticmethod
    def backward(ctx, g, *_):
        return MaxPool2DWithIndicesBackward.apply(g, ctx.pos), None, None


class MaxPool1DWithIndices(MaxPool2DWithIndices):
    pass


class MaxPool3DWithIndices(MaxPool2DWithIndices):
    pass


class AdaptiveMaxPool2D(ArrayFunction):
    """Max over PyTorch's adaptive windows (regular windows when the sizes divide)."""

    @staticmethod
    def forward(ctx, x, out_sizes, return_indices):
        need = return_indices or bool(ctx.needs_input_grad)
        nd = len(out_sizes)
        in_sizes = x.shape[x.ndim - nd :]
        if all(o and n % o == 0 for n, o in zip(in_sizes, out_sizes)):
            kernel = tuple(n // o for n, o in zip(in_sizes, out_sizes))
            w = windows(in_sizes, out_sizes, kernel, kernel, (0,) * nd, (1,) * nd)
            m, picked = _max_windows(x, w, need)
        else:
            m, picked = _adaptive_max(x, out_sizes, need)
        ctx.pos = picked
        if not return_indices:
            return m
        idx = picked.plane_index()
        ctx.mark_non_differentiable(idx)
        return m, idx

    @staticmethod
    def backward(ctx, g, *_):
        return MaxPool2DWithIndicesBackward.apply(g, ctx.pos), None, None


class AdaptiveMaxPool1D(AdaptiveMaxPool2D):
    pass


class AdaptiveMaxPool3D(AdaptiveMaxPool2D):
    pass


def unpool_positions(indices, in_shape: tuple, out_shape: tuple, nd: int) -> _Positions:
    """Positions for ``max_unpool`` from the user's per-plane ``indices`` array."""
    return _GivenPositions(indices, in_shape, out_shape, nd)


# ----- average pooling ------------------------------------------------------------------------
def _window_sum(x, w: _Windows):
    if w.padded:
        x = _padded(x, w, 0)
    if w.tiles and len(w.slices) > _SCAN_LIMIT:
        return _tiled(x, w).sum(-1)
    it = iter(w.slices)
    s = x[next(it)]
    s = s.copy() if len(w.slices) == 1 else s + x[next(it)]
    for sl in it:
        s += x[sl]
    return s


def _window_spread(g, w: _Windows, in_shape: tuple):
    """The transpose of ``_window_sum``: each window's value added over its elements."""
    xp = array_module(g)
    nd = len(w.kernel)
    lead = in_shape[: len(in_shape) - nd]
    if w.tiles and len(w.slices) > _SCAN_LIMIT:
        tile = lead + tuple(v for ok in zip(w.out_sizes, w.kernel) for v in ok)
        spread = xp.broadcast_to(
            g.reshape(lead + tuple(v for o in w.out_sizes for v in (o, 1))), tile
        )
        spread = spread.reshape(lead + tuple(o * k for o, k in zip(w.out_sizes, w.kernel)))
        if spread.shape == tuple(in_shape):
            return spread
        out = xp.zeros(in_shape, g.dtype)
        out[(Ellipsis, *(slice(0, n) for n in spread.shape[len(lead) :]))] = spread
        return out
    shape = lead + tuple(n + p + h for n, p, h in zip(w.in_sizes, w.padding, w.pad_hi))
    out = xp.zeros(shape, g.dtype)
    if w.overlap:
        for sl in w.slices:
            out[sl] += g
    else:
        for sl in w.slices:
            out[sl] = g
    if w.padded:
        out = out[(Ellipsis, *(slice(p, p + n) for p, n in zip(w.padding, w.in_sizes)))]
    return out


@functools.lru_cache(maxsize=128)
def avg_divisor(w: _Windows, count_include_pad: bool):
    """PyTorch's per-window divisor: the window clipped to the padded input, or to the input
    itself without ``count_include_pad``; an int when every window has the same one."""
    sizes = []
    for n, o, k, s, p in zip(w.in_sizes, w.out_sizes, w.kernel, w.stride, w.padding):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if not count_include_pad:
            start = np.maximum(start, 0)
            end = np.minimum(end, n)
        sizes.append(end - start)
    div = functools.reduce(np.multiply.outer, sizes)
    flat = div.reshape(-1)
    if flat.size == 0 or (flat == flat[0]).all():
        return int(flat[0]) if flat.size else 1
    return div


def _divide(s, divisor, dtype):
    if dtype.kind != "f":
        # Integer average pooling truncates like PyTorch's integer division.
        return array_module(s).trunc(s / divisor).astype(dtype)
    if isinstance(divisor, np.ndarray):
        divisor = array_module(s).asarray(divisor, dtype=dtype)
    return s / divisor


class AvgPool2D(ArrayFunction):
    """Mean over regular windows: a sum of offset views over a (per-window) divisor."""

    @staticmethod
    def forward(ctx, x, w, divisor):
        ctx.w = w
        ctx.divisor = divisor
        ctx.in_shape = x.shape
        return _divide(_window_sum(x, w), divisor, x.dtype)

    @staticmethod
    def backward(ctx, g):
        return AvgPool2DBackward.apply(g, ctx.w, ctx.divisor, ctx.in_shape), None, None


class AvgPool2DBackward(ArrayFunction):
    """The transpose of ``AvgPool2D`` (its backward); its own backward is ``AvgPool2D``."""

    @staticmethod
    def forward(ctx, g, w, divisor, in_shape):
        ctx.w = w
        ctx.divisor = divisor
        return _window_spread(_divide(g, divisor, g.dtype), w, in_shape)

    @staticmethod
    def backward(ctx, gg):
        return AvgPool2D.apply(gg, ctx.w, ctx.divisor), None, None, None


class AvgPool1D(AvgPool2D):
    pass


class AvgPool3D(AvgPool2D):
    pass


# ----- separable resampling -------------------------------------------------------------------
class AxisMap:
    """A sparse linear map along one axis: ``out[r] = sum(vals * in[cols])`` over row ``r``.

    Stored as a few *taps*: tap ``t`` reads input ``cols[t][r]`` for every output ``r``
    with weight ``weights[t][r]`` (rows with fewer entries get zero-weight taps). Applying
    it is one take (or, when a tap's columns are evenly spaced, a strided view) and one
    multiply-add per tap: O(entries), never O(in * out) like a dense matrix. A selection
    (nearest neighbour, padding) is a single unweighted take. The transpose (the backward)
    is the same kind of map with rows and columns swapped.
    """

    __slots__ = ("_cast", "_t", "cols", "in_size", "out_size", "rows", "taps", "vals")

    def __init__(self, rows, cols, vals, out_size: int, in_size: int) -> None:
        order = np.argsort(rows, kind="stable")
        self.rows = rows = np.asarray(rows, np.int64)[order]
        self.cols = cols = np.asarray(cols, np.int64)[order]
        self.vals = vals = np.asarray(vals, np.float64)[order]
        self.out_size = out_size
        self.in_size = in_size
        counts = np.bincount(rows, minlength=out_size)
        width = int(counts.max()) if rows.size else 0
        slot = np.arange(rows.size) - np.repeat(np.cumsum(counts) - counts, counts)
        tap_cols = np.zeros((width, out_size), np.int64)
        tap_vals = np.zeros((width, out_size))
        tap_cols[slot, rows] = cols
        tap_vals[slot, rows] = vals
        self.taps = [self._tap(c, v) for c, v in zip(tap_cols, tap_vals)]
        self._cast = {}
        self._t = None

    @staticmethod
    def _tap(cols, vals) -> tuple:
        """``(columns, weights, unit)``: columns as a slice when evenly spaced."""
        step = int(cols[1] - cols[0]) if cols.size > 1 else 1
        if step > 0 and (cols.size < 2 or (np.diff(cols) == step).all()):
            cols = slice(int(cols[0]), int(cols[0]) + step * (cols.size - 1) + 1, step)
        return cols, vals, bool((vals == 1).all())

    @classmethod
    def selection(cls, index, in_size: int) -> AxisMap:
        index = np.asarray(index, np.int64)
        n = index.size
        return cls(np.arange(n), index, np.ones(n), n, in_size)

    @property
    def T(self) -> AxisMap:
        if self._t is None:
            self._t = AxisMap(self.cols, self.rows, self.vals, self.in_size, self.out_size)
            self._t._t = self
        return self._t

    def _device(self, xp, dev, i: int, axis: int, dtype):
        """Tap ``i``'s columns and broadcastable weights as arrays of ``xp`` on ``dev``, cached."""
        key = (dev, i, axis, dtype)
        v = self._cast.get(key)
        if v is None:
            cols, vals, _ = self.taps[i]
            if not isinstance(cols, slice):
                cols = xp.asarray(cols)
            vals = xp.asarray(vals.astype(dtype).reshape((-1,) + (1,) * (-axis - 1)))
            v = self._cast[key] = (cols, vals)
        return v

    def along(self, x, axis: int):
        xp = array_module(x)
        if not self.taps or x.size == 0:
            shape = list(x.shape)
            shape[axis] = self.out_size
            return xp.zeros(shape, x.dtype)
        rest = (slice(None),) * (-axis - 1)
        dev = None if xp is np else device_of(x)  # cpu: None hashes faster than a device
        out = None
        for i, (_, _, unit) in enumerate(self.taps):
            cols, vals = self._device(xp, dev, i, axis, x.dtype)
            view = isinstance(cols, slice)
            part = x[(Ellipsis, cols, *rest)] if view else xp.take(x, cols, axis=axis)
            if not unit:
                part = part * vals
            elif out is None and view:
                part = part.copy()  # a view of x must not be accumulated into
            if out is None:
                out = part
            else:
                out += part
        return out


def _apply_maps(x, maps):
    n = len(maps)
    out = x
    for i, m in enumerate(maps):
        if m is not None:
            out = m.along(out, i - n)
    return out.copy() if out is x else out


class Resample(ArrayFunction):
    """One ``AxisMap`` (or None: identity) per trailing axis; backward: the transposes."""

    @staticmethod
    def forward(ctx, x, maps):
        ctx.maps = maps
        return _apply_maps(x, maps)

    @staticmethod
    def backward(ctx, g):
        return ResampleBackward.apply(g, tuple(None if m is None else m.T for m in ctx.maps)), None


class ResampleBackward(Resample):
    pass


class UpsampleNearest1D(Resample):
    pass


class UpsampleNearest2D(Resample):
    pass


class UpsampleNearest3D(Resample):
    pass


class UpsampleLinear1D(Resample):
    pass


class UpsampleBilinear2D(Resample):
    pass


class UpsampleTrilinear3D(Resample):
    pass


class UpsampleBicubic2D(Resample):
    pass


class AdaptiveAvgPool1D(Resample):
    pass


class AdaptiveAvgPool2D(Resample):
    pass


class AdaptiveAvgPool3D(Resample):
    pass


class PadIndexed(Resample):
    """Reflection, replication and circular padding: a selection along each padded axis."""


# ----- the per-axis maps of each mode ---------------------------------------------------------
def _scale(in_size: int, out_size: int, scale, dtype):
    """PyTorch's ``compute_scales_value``: ``1/scale_factor`` when given, else in/out."""
    if scale is not None and scale > 0:
        return dtype(1.0 / scale)
    return dtype(in_size) / dtype(out_size)


@functools.lru_cache(maxsize=256)
def nearest_map(in_size: int, out_size: int, scale, exact: bool) -> AxisMap | None:
    """``nearest`` (PyTorch's legacy floor rule, float32 arithmetic) or ``nearest-exact``."""
    if in_size == out_size and not exact:
        return None
    dst = np.arange(out_size, dtype=np.float32)
    s = _scale(in_size, out_size, scale, np.float32)
    if exact:
        src = np.floor((dst + np.float32(0.5)) * s)
    elif out_size == 2 * in_size:
        src = np.arange(out_size) // 2
    else:
        src = np.floor(dst * s)
    idx = np.minimum(src.astype(np.int64), in_size - 1)
    if in_size == out_size and (idx == np.arange(out_size)).all():
        return None
    return AxisMap.selection(idx, in_size)


def _source_index(in_size, out_size, scale, align_corners: bool, cubic: bool, opmath):
    """PyTorch's source coordinate of each output position, computed in ``opmath`` (float32
    for float32 input, as PyTorch does, so the weights round the same way)."""
    dst = np.arange(out_size, dtype=opmath)
    if align_corners:
        s = opmath(in_size - 1) / opmath(out_size - 1) if out_size > 1 else opmath(0)
        return dst * s
    s = _scale(in_size, out_size, scale, opmath)
    # PyTorch's compiled ``scale * (dst + 0.5) - 0.5`` is one fused multiply-add: compute it
    # exactly in float64 and round once, or float32 weights differ in the last bit.
    src = (np.float64(s) * (dst + opmath(0.5)).astype(np.float64) - 0.5).astype(opmath)
    return src if cubic else np.maximum(src, opmath(0))


def _taps(out_size: int, in_size: int, cols: list, weights: list) -> AxisMap:
    rows = np.tile(np.arange(out_size), len(cols))
    return AxisMap(rows, np.concatenate(cols), np.concatenate(weights), out_size, in_size)


@functools.lru_cache(maxsize=256)
def linear_map(in_size: int, out_size: int, scale, align_corners: bool, opmath) -> AxisMap:
    """Linear interpolation weights (``linear``/``bilinear``/``trilinear``) along one axis."""
    src = _source_index(in_size, out_size, scale, align_corners, False, opmath)
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    i1 = np.minimum(i0 + 1, in_size - 1)
    l1 = np.clip(src - i0.astype(opmath), opmath(0), opmath(1))
    return _taps(out_size, in_size, [i0, i1], [opmath(1) - l1, l1])


def _cubic_weights(t, opmath):
    a = opmath(-0.75)
    one, two = opmath(1), opmath(2)
    x1 = t + one
    x2 = one - t
    x3 = two - t
    return [
        ((a * x1 - 5 * a) * x1 + 8 * a) * x1 - 4 * a,
        ((a + 2) * t - (a + 3)) * t * t + one,
        ((a + 2) * x2 - (a + 3)) * x2 * x2 + one,
        ((a * x3 - 5 * a) * x3 + 8 * a) * x3 - 4 * a,
    ]


@functools.lru_cache(maxsize=256)
def cubic_map(in_size: int, out_size: int, scale, align_corners: bool, opmath) -> AxisMap:
    """Bicubic (Keys, a=-0.75) weights along one axis, taps clamped to the border."""
    src = _source_index(in_size, out_size, scale, align_corners, True, opmath)
    i = np.floor(src)
    cols = [np.clip(i.astype(np.int64) + tap, 0, in_size - 1) for tap in range(-1, 3)]
    return _taps(out_size, in_size, cols, _cubic_weights(src - i, opmath))


@functools.lru_cache(maxsize=256)
def area_map(in_size: int, out_size: int) -> AxisMap:
    """Adaptive average pooling along one axis: mean over ``[floor(i*n/o), ceil((i+1)*n/o))``."""
    start, end = _adaptive_ranges(in_size, out_size)
    length = end - start
    rows = np.repeat(np.arange(out_size), length)
    cols = (
        np.arange(rows.size)
        - np.repeat(np.cumsum(length) - length, length)
        + np.repeat(start, length)
    )
    return AxisMap(rows, cols, np.repeat(1.0 / length, length), out_size, in_size)


@functools.lru_cache(maxsize=256)
def pad_map(in_size: int, lo: int, hi: int, mode: str) -> AxisMap | None:
    """Selection for ``reflect``/``replicate``/``circular`` padding (negative amounts crop)."""
    if lo == 0 and hi == 0:
        return None
    # Negative amounts crop first; the padding then repeats the cropped range (PyTorch).
    first = max(-lo, 0)
    size = in_size - first - max(-hi, 0)
    pos = np.arange(-lo, in_size + hi) - first
    if mode == "reflect":
        period = 2 * (size - 1)
        r = np.abs(pos) % period if period else np.zeros_like(pos)
        idx = np.where(r >= size, period - r, r)
    elif mode == "replicate":
        idx = np.clip(pos, 0, size - 1)
    else:
        idx = pos % size
    return AxisMap.selection(idx + first, in_size)
