"""Op specs for the shape family (see op_db.py): views, joins, splits, repeats, pads."""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import strategies as st

import eagertorch as torch
from eagertorch.ops.shape import pad
from eagertorch.testing.strategies import axes, axis, broadcastable_shapes, reshape_targets, shapes
from tests.ops.op_db import OpSpec


# ----- strategies ------------------------------------------------------------------------
def _one(shape_strategy):
    return lambda: shape_strategy.map(lambda s: (s,))


def _same(n, **kw):
    return lambda: shapes(**kw).map(lambda s: (s,) * n)


def _dim_kwarg(name, extra=0):
    return lambda s: axis(len(s[0]), extra).map(lambda d: {name: d})


def _diagonal_kwarg(s):
    return st.integers(-3, 3).map(lambda k: {"diagonal": k})


def _reshape_kwargs(s):
    return reshape_targets(s[0]).map(lambda t: {"shape": t})


def _reshape_pair():
    return shapes().flatmap(
        lambda s: reshape_targets(s).map(lambda t: (s, np.empty(s).reshape(t).shape))
    )


@st.composite
def _flatten_kwargs(draw, shape):
    n = len(shape)
    if n == 0:
        return {}
    start, end = draw(st.tuples(axis(n), axis(n)).filter(lambda p: p[0] % n < p[1] % n))
    return {"start_dim": start, "end_dim": end}


def _flatten_ref(x, start_dim=0, end_dim=-1):
    if x.ndim == 0:
        return x.reshape(1)
    start, end = start_dim % x.ndim, end_dim % x.ndim
    merged = math.prod(x.shape[start : end + 1])
    return x.reshape((*x.shape[:start], merged, *x.shape[end + 1 :]))


@st.composite
def _unflatten_kwargs(draw, shape):
    dim = draw(axis(len(shape)))
    size = shape[dim]
    if size == 0:
        return {"dim": dim, "sizes": (draw(st.integers(0, 2)), 0)}
    a = draw(st.sampled_from([d for d in range(1, size + 1) if size % d == 0]))
    sizes = [a, size // a]
    if draw(st.booleans()):
        sizes[draw(st.integers(0, 1))] = -1
    return {"dim": dim, "sizes": tuple(sizes)}


def _unflatten_ref(x, dim, sizes):
    d = dim % x.ndim
    known = math.prod(s for s in sizes if s != -1)
    sizes = tuple(x.shape[d] // known if s == -1 else s for s in sizes)
    return x.reshape((*x.shape[:d], *sizes, *x.shape[d + 1 :]))


@st.composite
def _squeeze_kwargs(draw, shape):
    n = len(shape)
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        return {}
    if kind == "int":
        return {"dim": draw(axis(n))}
    return {"dim": draw(axes(n, min_size=0))}


def _squeeze_ref(x, dim=None):
    if dim is None:
        return np.squeeze(x)
    if x.ndim == 0:
        return x
    dims = (dim,) if isinstance(dim, int) else dim
    return np.squeeze(x, tuple(d for d in dims if x.shape[d] == 1))


def _two_dims(names):
    def kwargs(s):
        n = len(s[0])
        return st.tuples(axis(n), axis(n)).map(lambda p: dict(zip(names, p)))

    return kwargs


@st.composite
def _movedim_kwargs(draw, shape):
    n = len(shape)
    src = draw(axes(n))
    dst = draw(axes(n, min_size=len(src), max_size=len(src)))
    return {"source": src, "destination": dst}


@st.composite
def _expand_kwargs(draw, shape):
    """Sizes for ``expand``: new leading dims, size-1 dims grown, -1 to keep a size."""
    lead = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
    target = lead + tuple(
        draw(st.sampled_from([-1, 0, 1, 3] if s == 1 else [-1, s])) for s in shape
    )
    resolved = lead + tuple(s if t == -1 else t for s, t in zip(shape, target[len(lead) :]))
    return {"sizes": target, "resolved": resolved}


@st.composite
def _broadcast_target(draw, shape):
    lead = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
    return {"size": lead + tuple(draw(st.integers(0, 3)) if s == 1 else s for s in shape)}


@st.composite
def _narrow_kwargs(draw, shape):
    dim = draw(axis(len(shape)))
    size = shape[dim]
    start = draw(st.integers(-size, size))
    length = draw(st.integers(0, size - (start + size if start < 0 else start)))
    return {"dim": dim, "start": start, "length": length}


def _narrow_ref(x, dim, start, length):
    start = start + x.shape[dim] if start < 0 else start
    return np.take(x, range(start, start + length), axis=dim)


@st.composite
def _diagonal_kwargs(draw, shape):
    n = len(shape)
    d1, d2 = draw(st.tuples(axis(n), axis(n)).filter(lambda p: p[0] % n != p[1] % n))
    return {"offset": draw(st.integers(-3, 3)), "dim1": d1, "dim2": d2}


@st.composite
def _unfold_kwargs(draw, shape):
    dim = draw(axis(len(shape)))
    length = shape[dim] if shape else 1
    return {"dimension": dim, "size": draw(st.integers(0, length)), "step": draw(st.integers(1, 3))}


def _unfold_ref(x, dimension, size, step):
    if x.ndim == 0:
        return x.reshape(1)[:size]
    d = dimension % x.ndim
    windows = np.lib.stride_tricks.sliding_window_view(x, size, axis=d)
    return np.take(windows, range(0, windows.shape[d], step), axis=d)


@st.composite
def _split_kwargs(draw, shape, sections):
    dim = draw(axis(len(shape)))
    size = shape[dim]
    if sections:
        cuts = sorted(draw(st.lists(st.integers(0, size), max_size=3)))
        bounds = [0, *cuts, size]
        sizes = [b - a for a, b in itertools.pairwise(bounds)]
        return {"split_size_or_sections": sizes, "dim": dim}
    return {"split_size_or_sections": draw(st.integers(0 if size == 0 else 1, 4)), "dim": dim}


def _np_split(x, split_size_or_sections, dim):
    if isinstance(split_size_or_sections, list):
        cuts = np.cumsum(split_size_or_sections)[:-1]
    else:
        s = split_size_or_sections
        cuts = list(range(s, x.shape[dim], s)) if s else []
    return np.split(x, cuts, axis=dim)


def _chunk_ref(x, chunks, dim):
    n = x.shape[dim]
    return _np_split(x, -(-n // chunks), dim)[-1] if n else x


def _weighted_cat(outs, dim, cat):
    """All pieces joined back, each scaled differently: every output gets its own gradient."""
    return cat([o * (i + 1) for i, o in enumerate(outs)], dim)


def _weighted_sum(outs):
    return outs[0] + 2 * outs[1]


@st.composite
def _cat_shapes(draw, n=3):
    """``n`` shapes equal except along one dim."""
    base = draw(shapes(min_dims=1, max_dims=3, max_side=3))
    dim = draw(st.integers(0, len(base) - 1))
    return tuple((*base[:dim], draw(st.integers(0, 3)), *base[dim + 1 :]) for _ in range(n))


def _cat_dim(shapes_):
    n = len(shapes_[0])
    rest = [s[:d] + s[d + 1 :] for s in shapes_ for d in range(n)]
    free = [d for d in range(n) if len({rest[k * n + d] for k in range(len(shapes_))}) == 1]
    return st.sampled_from(free + [d - n for d in free]).map(lambda d: {"dim": d})


@st.composite
def _repeat_kwargs(draw, shape):
    lead = draw(st.lists(st.integers(0, 3), max_size=2))
    return {"sizes": tuple(lead) + tuple(draw(st.integers(0, 3)) for _ in shape)}


@st.composite
def _roll_kwargs(draw, shape):
    if not shape or draw(st.booleans()):
        return {"shifts": draw(st.integers(-5, 5)), "dims": None}
    dims = draw(axes(len(shape)))
    return {"shifts": tuple(draw(st.integers(-5, 5)) for _ in dims), "dims": dims}


@st.composite
def _pad_kwargs(draw, shape):
    """Pads (last dim first) that may crop, never below size 0."""
    amounts = []
    for i in range(draw(st.integers(0, len(shape)))):
        size = shape[len(shape) - 1 - i]
        lo = draw(st.integers(-size, 2))
        hi = draw(st.integers(-(size + min(lo, 0)), 2))
        amounts += [lo, hi]
    return {"pad": tuple(amounts), "value": draw(st.sampled_from([0.0, 1.5]))}


def _pad_ref(x, pad, value):
    for i in range(len(pad) // 2):
        d = x.ndim - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        x = np.take(x, range(max(-lo, 0), x.shape[d] - max(-hi, 0)), axis=d)
        widths = [(0, 0)] * x.ndim
        widths[d] = (max(lo, 0), max(hi, 0))
        x = np.pad(x, widths, constant_values=value)
    return x


def _meshgrid_ref(a, b, indexing):
    return _weighted_sum(np.meshgrid(a, b, indexing=indexing))


SPECS = [
    # views: reshape family
    OpSpec(
        "reshape",
        lambda x, shape: x.reshape(shape),
        lambda x, shape: x.reshape(shape),
        shapes=_one(shapes()),
        kwargs=_reshape_kwargs,
    ),
    OpSpec(
        "view",
        lambda x, shape: x.view(*shape),
        lambda x, shape: x.reshape(shape),
        shapes=_one(shapes()),
        kwargs=_reshape_kwargs,
        gradgrad=False,
        layout="contiguous",  # view() of a strided input raises, as in PyTorch
    ),
    OpSpec(
        "view_as",
        lambda x, y: x.view_as(y),
        lambda x, y: x.reshape(y.shape),
        2,
        shapes=_reshape_pair,
        diff_args=(0,),
        gradgrad=False,
        layout="contiguous",  # view_as() of a strided input raises, as in PyTorch
    ),
    OpSpec(
        "reshape_as",
        lambda x, y: x.reshape_as(y),
        lambda x, y: x.reshape(y.shape),
        2,
        shapes=_reshape_pair,
        diff_args=(0,),
        gradgrad=False,
    ),
    OpSpec(
        "flatten",
        torch.flatten,
        _flatten_ref,
        shapes=_one(shapes().filter(lambda s: len(s) != 1)),
        kwargs=lambda s: _flatten_kwargs(s[0]),
        gradgrad=False,
    ),
    OpSpec(
        "unflatten",
        torch.unflatten,
        _unflatten_ref,
        shapes=_one(shapes(min_dims=1)),
        kwargs=lambda s: _unflatten_kwargs(s[0]),
        gradgrad=False,
    ),
    OpSpec("ravel", torch.ravel, np.ravel, gradgrad=False),
    OpSpec(
        "squeeze",
        torch.squeeze,
        _squeeze_ref,
        shapes=_one(shapes(max_side=2)),
        kwargs=lambda s: _squeeze_kwargs(s[0]),
        gradgrad=False,
    ),
    OpSpec(
        "unsqueeze",
        torch.unsqueeze,
        lambda x, dim: np.expand_dims(x, dim % (x.ndim + 1)),
        kwargs=_dim_kwarg("dim", 1),
        gradgrad=False,
    ),
    # views: transposes
    OpSpec(
        "transpose",
        torch.transpose,
        lambda x, dim0, dim1: np.swapaxes(x, dim0, dim1),
        shapes=_one(shapes(min_dims=1)),
        kwargs=_two_dims(("dim0", "dim1")),
    ),
    OpSpec(
        "swapaxes",
        torch.swapaxes,
        lambda x, axis0, axis1: np.swapaxes(x, axis0, axis1),
        shapes=_one(shapes(min_dims=1)),
        kwargs=_two_dims(("axis0", "axis1")),
        gradgrad=False,
    ),
    OpSpec(
        "swapdims",
        torch.swapdims,
        lambda x, dim0, dim1: np.swapaxes(x, dim0, dim1),
        shapes=_one(shapes(min_dims=1)),
        kwargs=_two_dims(("dim0", "dim1")),
        gradgrad=False,
    ),
    OpSpec("t", torch.t, np.transpose, shapes=_one(shapes(max_dims=2)), gradgrad=False),
    OpSpec("T_property", lambda x: x.T, np.transpose, shapes=_one(shapes(2, 2)), gradgrad=False),
    OpSpec(
        "mT_property",
        lambda x: x.mT,
        lambda x: np.swapaxes(x, -1, -2),
        shapes=_one(shapes(min_dims=2)),
        gradgrad=False,
    ),
    OpSpec(
        "permute",
        lambda x, dims: x.permute(*dims),
        lambda x, dims: np.transpose(x, dims),
        kwargs=lambda s: st.permutations(range(len(s[0]))).map(lambda p: {"dims": tuple(p)}),
    ),
    OpSpec(
        "movedim",
        torch.movedim,
        np.moveaxis,
        shapes=_one(shapes(min_dims=1)),
        kwargs=lambda s: _movedim_kwargs(s[0]),
        gradgrad=False,
    ),
    # views: expand and broadcasting
    OpSpec(
        "expand",
        lambda x, sizes, resolved: x.expand(*sizes),
        lambda x, sizes, resolved: np.broadcast_to(x, resolved),
        shapes=_one(shapes(max_side=3)),
        kwargs=lambda s: _expand_kwargs(s[0]),
    ),
    OpSpec(
        "expand_as",
        lambda x, y: x.expand_as(y),
        lambda x, y: np.broadcast_to(x, y.shape),
        2,
        shapes=lambda: broadcastable_shapes(2).map(lambda p: (p[0], np.broadcast_shapes(*p))),
        diff_args=(0,),
        gradgrad=False,
    ),
    OpSpec(
        "broadcast_to",
        torch.broadcast_to,
        lambda x, size: np.broadcast_to(x, size),
        shapes=_one(shapes(max_side=3)),
        kwargs=lambda s: _broadcast_target(s[0]),
        gradgrad=False,
    ),
    OpSpec(
        "broadcast_tensors",
        lambda a, b: _weighted_sum(torch.broadcast_tensors(a, b)),
        lambda a, b: _weighted_sum(np.broadcast_arrays(a, b)),
        2,
        gradgrad=False,
    ),
    OpSpec(
        "meshgrid",
        lambda a, b, indexing: _weighted_sum(torch.meshgrid(a, b, indexing=indexing)),
        _meshgrid_ref,
        2,
        shapes=lambda: st.tuples(shapes(1, 1), shapes(0, 1)),
        kwargs=lambda s: st.sampled_from(["ij", "xy"]).map(lambda i: {"indexing": i}),
        gradgrad=False,
    ),
    # views: slicing-like
    OpSpec(
        "narrow",
        torch.narrow,
        _narrow_ref,
        shapes=_one(shapes(min_dims=1)),
        kwargs=lambda s: _narrow_kwargs(s[0]),
    ),
    OpSpec(
        "diagonal",
        torch.diagonal,
        lambda x, offset, dim1, dim2: np.diagonal(x, offset, dim1, dim2),
        shapes=_one(shapes(min_dims=2)),
        kwargs=lambda s: _diagonal_kwargs(s[0]),
        gradgrad=True,
    ),
    OpSpec(
        "unfold", lambda x, **kw: x.unfold(**kw), _unfold_ref, kwargs=lambda s: _unfold_kwargs(s[0])
    ),
    # multi-output views
    OpSpec(
        "split",
        torch.split,
        lambda x, **kw: _np_split(x, **kw)[0],
        shapes=_one(shapes(min_dims=1)),
        kwargs=lambda s: _split_kwargs(s[0], False),
        output=lambda out: out[0],
    ),
    OpSpec(
        "split_all_outputs",
        lambda x, **kw: _weighted_cat(torch.split(x, **kw), kw["dim"], torch.cat),
        lambda x, **kw: _weighted_cat(_np_split(x, **kw), kw["dim"], np.concatenate),
        shapes=_one(shapes(min_dims=1)),
        kwargs=lambda s: _split_kwargs(s[0], False),
        gradgrad=False,
    ),
    OpSpec(
        "split_sections",
        torch.split,
        lambda x, **kw: _np_split(x, **kw)[-1],
        shapes=_one(shapes(min_dims=1)),
        kwargs=lambda s: _split_kwargs(s[0], True),
        output=lambda out: out[-1],
        gradgrad=False,
    ),
    OpSpec(
        "chunk",
        torch.chunk,
        _chunk_ref,
        shapes=_one(shapes(min_dims=1)),
        kwargs=lambda s: st.fixed_dictionaries(
            {"chunks": st.integers(1, 4), "dim": axis(len(s[0]))}
        ),
        output=lambda out: out[-1],
        gradgrad=False,
    ),
    OpSpec(
        "unbind",
        torch.unbind,
        lambda x, dim: np.take(x, -1, axis=dim),
        shapes=_one(shapes(min_dims=1, min_side=1)),
        kwargs=_dim_kwarg("dim"),
        output=lambda out: out[-1],
        gradgrad=False,
    ),
    OpSpec(
        "unbind_all_outputs",
        lambda x, dim: torch.stack(x.unbind(dim)[::-1], dim),
        lambda x, dim: np.flip(x, dim),
        shapes=_one(shapes(min_dims=1, min_side=1)),
        kwargs=_dim_kwarg("dim"),
    ),
    # copies: joins
    OpSpec(
        "cat",
        lambda a, b, c, dim: torch.cat([a, b, c], dim),
        lambda a, b, c, dim: np.concatenate([a, b, c], dim),
        3,
        shapes=_cat_shapes,
        kwargs=_cat_dim,
    ),
    OpSpec(
        "concat",
        lambda a, b, dim: torch.concat((a, b), dim),
        lambda a, b, dim: np.concatenate([a, b], dim),
        2,
        shapes=lambda: _cat_shapes(2),
        kwargs=_cat_dim,
        gradgrad=False,
    ),
    OpSpec(
        "stack",
        lambda a, b, c, dim: torch.stack([a, b, c], dim),
        lambda a, b, c, dim: np.stack([a, b, c], dim),
        3,
        shapes=_same(3),
        kwargs=_dim_kwarg("dim", 1),
    ),
    OpSpec(
        "hstack",
        lambda a, b: torch.hstack([a, b]),
        lambda a, b: np.hstack([a, b]),
        2,
        shapes=_same(2),
        gradgrad=False,
    ),
    OpSpec(
        "vstack",
        lambda a, b: torch.vstack([a, b]),
        lambda a, b: np.vstack([a, b]),
        2,
        shapes=_same(2),
        gradgrad=False,
    ),
    OpSpec(
        "dstack",
        lambda a, b: torch.dstack([a, b]),
        lambda a, b: np.dstack([a, b]),
        2,
        shapes=_same(2),
        gradgrad=False,
    ),
    OpSpec(
        "column_stack",
        lambda a, b: torch.column_stack([a, b]),
        lambda a, b: np.column_stack([a, b]),
        2,
        shapes=_same(2, max_dims=2),
        gradgrad=False,
    ),
    # copies: repeat, flip, roll
    OpSpec(
        "repeat",
        lambda x, sizes: x.repeat(*sizes),
        lambda x, sizes: np.tile(x, sizes),
        kwargs=lambda s: _repeat_kwargs(s[0]),
    ),
    OpSpec(
        "tile",
        torch.tile,
        lambda x, dims: np.tile(x, dims),
        kwargs=lambda s: st.lists(st.integers(0, 3), max_size=4).map(lambda v: {"dims": tuple(v)}),
        gradgrad=False,
    ),
    OpSpec(
        "flip",
        lambda x, dims: x.flip(dims),
        lambda x, dims: np.flip(x, dims),
        kwargs=lambda s: axes(len(s[0]), min_size=0).map(lambda d: {"dims": d}),
    ),
    OpSpec("fliplr", torch.fliplr, np.fliplr, shapes=_one(shapes(min_dims=2)), gradgrad=False),
    OpSpec("flipud", torch.flipud, np.flipud, shapes=_one(shapes(min_dims=1)), gradgrad=False),
    OpSpec(
        "roll",
        torch.roll,
        lambda x, shifts, dims: np.roll(x, shifts, dims),
        kwargs=lambda s: _roll_kwargs(s[0]),
        gradgrad=False,
    ),
    # copies: triangles, diag, pad
    OpSpec(
        "tril",
        torch.tril,
        lambda x, diagonal: np.tril(x, diagonal),
        shapes=_one(shapes(min_dims=2)),
        kwargs=_diagonal_kwarg,
    ),
    OpSpec(
        "triu",
        torch.triu,
        lambda x, diagonal: np.triu(x, diagonal),
        shapes=_one(shapes(min_dims=2)),
        kwargs=_diagonal_kwarg,
        gradgrad=False,
    ),
    OpSpec(
        "diag_1d",
        torch.diag,
        lambda x, diagonal: np.diag(x, diagonal),
        shapes=_one(shapes(1, 1)),
        kwargs=_diagonal_kwarg,
    ),
    OpSpec(
        "diag_2d",
        torch.diag,
        lambda x, diagonal: np.diag(x, diagonal),
        shapes=_one(shapes(2, 2)),
        kwargs=_diagonal_kwarg,
        gradgrad=False,
    ),
    OpSpec("pad", pad, _pad_ref, kwargs=lambda s: _pad_kwargs(s[0])),
]
