"""Op specs for the indexing family (see op_db.py).

Index arguments (keys, index arrays, masks) are drawn as numpy arrays in ``kwargs`` for the
drawn input shapes; repeated indices are drawn on purpose wherever the op accumulates.
Advanced keys here hold no plain ints, where numpy and PyTorch agree; mixed keys are
compared with PyTorch in the parity tests.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import eagertorch as torch
from eagertorch.testing.strategies import advanced_indices, arrays, basic_indices, shapes
from tests.ops.op_db import OpSpec


# ----- strategies (index keys come from eagertorch.testing.strategies) ----------------------
def _ints(shape, low: int, high: int):
    """int64 arrays in [low, high] (an empty range only for empty shapes)."""
    return arrays(np.int64, shape, low, max(low, high))


def _key_kwargs(keys, **kw):
    return lambda shp: keys(shp[0], **kw).map(lambda key: {"key": key})


@st.composite
def _region_key(draw, shapes_):
    """A key whose region has exactly the value's shape (slices, or one unique index array)."""
    xshape, vshape = shapes_
    items = []
    array_dim = draw(st.integers(-1, len(xshape) - 1))
    for d, (s, n) in enumerate(zip(xshape, vshape)):
        if d == array_dim:
            items.append(np.array(draw(st.permutations(range(s)))[:n], np.int64))
            continue
        step = draw(st.integers(1, 3))
        while step > 1 and (n - 1) * step >= s:
            step -= 1
        start = draw(st.integers(0, s - 1 - (n - 1) * step)) if n else draw(st.integers(0, s))
        items.append(slice(start, start + (n - 1) * step + 1 if n else start, step))
    return {"key": tuple(items)}


@st.composite
def _region_shapes(draw):
    xshape = draw(shapes(0, 3, 0, 4))
    return xshape, tuple(draw(st.integers(0, s)) for s in xshape)


# gather / scatter
@st.composite
def _gather_kwargs(draw, shapes_, src: bool = False, unique: bool = False):
    """``dim`` and an index no larger than self (and src) apart from dim, values in range."""
    xshape = shapes_[0]
    sshape = shapes_[1] if src else None
    ndim = len(xshape)
    dim = draw(st.integers(-ndim, ndim - 1))
    d0 = dim % ndim
    ishape = []
    for d in range(ndim):
        limit = 4 if d == d0 else xshape[d]
        if src:
            limit = min(limit, sshape[d])
        if unique and d == d0:
            limit = min(limit, xshape[d])
        ishape.append(draw(st.integers(0, limit)))
    size = xshape[d0]
    if size == 0:
        ishape[d0] = 0
    if unique:
        perm = np.array(draw(st.permutations(range(size)))[: ishape[d0]], np.int64)
        view = [1] * ndim
        view[d0] = -1
        index = np.broadcast_to(perm.reshape(view), ishape).copy()
    else:
        index = draw(_ints(tuple(ishape), 0, size - 1))
    return {"dim": dim, "index": index}


@st.composite
def _two_same_ndim(draw, min_dims: int = 1):
    a = draw(shapes(min_dims, 3, 0, 4))
    return a, tuple(draw(st.integers(0, 4)) for _ in a)


def _positions(index, dim):
    """(index position, target position) pairs of gather/scatter along ``dim``."""
    for p in np.ndindex(*index.shape):
        q = list(p)
        q[dim] = index[p]
        yield p, tuple(q)


def _gather_ref(x, dim, index):
    out = np.zeros(index.shape)
    for p, q in _positions(index, dim % x.ndim):
        out[p] = x[q]
    return out


def _scatter_ref(x, src, dim, index, add=False):
    out = x.copy()
    for p, q in _positions(index, dim % x.ndim):
        v = src if np.ndim(src) == 0 else src[p]
        out[q] = out[q] + v if add else v
    return out


# index_select and the index_* family
@st.composite
def _dim_index(draw, shapes_, unique: bool = False, count_from_source: bool = False):
    """``dim`` and a 1-d index along it (its length from the source when there is one)."""
    xshape = shapes_[0]
    ndim = len(xshape)
    if count_from_source:
        sshape = shapes_[1]
        dims = [
            d
            for d in range(ndim)
            if all(xshape[i] == sshape[i] for i in range(ndim) if i != d)
            and (not unique or sshape[d] <= xshape[d])
        ]
        d0 = draw(st.sampled_from(dims))
        n = sshape[d0]
    else:
        d0 = draw(st.integers(0, ndim - 1))
        n = draw(st.integers(0, xshape[d0] if unique else 4))
    size = xshape[d0]
    if size == 0:
        n = 0
    if unique:
        index = np.array(draw(st.permutations(range(size)))[:n], np.int64)
    else:
        index = draw(_ints((n,), 0, size - 1))
    dim = d0 - ndim if draw(st.booleans()) else d0
    return {"dim": dim, "index": index}


@st.composite
def _source_shapes(draw, unique: bool = False):
    """Self's shape and a source shape that differs from it only along one dim."""
    xshape = draw(shapes(1, 3, 0, 4))
    d = draw(st.integers(0, len(xshape) - 1))
    n = draw(st.integers(0, xshape[d] if unique else 4))
    if xshape[d] == 0:
        n = 0
    return xshape, (*xshape[:d], n, *xshape[d + 1 :])


def _index_add_ref(x, src, dim, index, alpha=1.0):
    out = np.moveaxis(x.copy(), dim, 0)
    np.add.at(out, index, alpha * np.moveaxis(src, dim, 0))
    return np.moveaxis(out, 0, dim)


def _index_copy_ref(x, src, dim, index):
    out = np.moveaxis(x.copy(), dim, 0)
    out[index] = np.moveaxis(src, dim, 0)
    return np.moveaxis(out, 0, dim)


def _index_fill_ref(x, dim, index, value):
    out = np.moveaxis(x.copy(), dim, 0)
    out[index] = value
    return np.moveaxis(out, 0, dim)


# masks
def _mask_kwargs(shp):
    return (
        hnp.broadcastable_shapes(shp[0], min_dims=0, max_dims=3, min_side=0, max_side=4)
        .flatmap(lambda s: hnp.arrays(np.bool_, s))
        .map(lambda m: {"mask": m})
    )


@st.composite
def _masked_scatter_kwargs(draw, shp):
    xshape, sshape = shp
    mshape = draw(hnp.broadcastable_shapes(xshape, min_side=0, max_side=4))
    mask = draw(hnp.arrays(np.bool_, mshape))
    # At most source.numel() True values: keep only the first ones.
    full = np.broadcast_to(mask, np.broadcast_shapes(xshape, mask.shape)).copy()
    flat = full.reshape(-1)
    flat[np.flatnonzero(flat)[int(np.prod(sshape)) :]] = False
    return {"mask": full}


def _masked_scatter_ref(x, src, mask):
    out = np.broadcast_to(x, mask.shape).copy()
    out[mask] = src.reshape(-1)[: mask.sum()]
    return out


# flat positions
@st.composite
def _take_kwargs(draw, shp):
    n = int(np.prod(shp[0]))
    ishape = draw(shapes(0, 2, 0, 4)) if n else (0,)
    return {"index": draw(_ints(ishape, -n, n - 1))}


@st.composite
def _put_kwargs(draw, shp, unique: bool = False):
    n = int(np.prod(shp[0]))
    k = shp[1][0]
    if unique:
        return {"index": np.array(draw(st.permutations(range(-n, 0)))[:k], np.int64)}
    return {"index": draw(_ints((k,), -n, n - 1))}


@st.composite
def _put_shapes(draw, unique: bool = False):
    xshape = draw(shapes(0, 3, 0, 4))
    n = int(np.prod(xshape))
    return xshape, (draw(st.integers(0, min(n, 4) if unique else (4 if n else 0))),)


def _put_ref(x, src, index, accumulate):
    out = x.copy()
    flat = out.reshape(-1)
    if accumulate:
        np.add.at(flat, index, src)
    else:
        flat[index] = src
    return out


@st.composite
def _take_along_kwargs(draw, shp):
    xshape = shp[0]
    ndim = len(xshape)
    dim = draw(st.integers(-ndim, ndim - 1))
    d0 = dim % ndim
    ishape = []
    for d, s in enumerate(xshape):
        if d == d0:
            ishape.append(draw(st.integers(0, 3)) if s else 0)
        else:
            ishape.append(draw(st.sampled_from([s, 1] if s != 1 else [1, 2, 3])))
    return {"dim": dim, "indices": draw(_ints(tuple(ishape), 0, xshape[d0] - 1))}


def _take_along_ref(x, indices, dim):
    return np.take_along_axis(x, indices, dim)


# ----- ops under test --------------------------------------------------------------------------
def _getitem(x, key):
    return x[key]


def _setitem(x, v, key):
    y = x.clone()
    y[key] = v
    return y


def _setitem_ref(x, v, key):
    y = x.copy()
    y[key] = v
    return y


def _t(a):
    return torch.tensor(a)


SPECS = [
    OpSpec(
        "getitem_basic",
        _getitem,
        _getitem,
        shapes=lambda: shapes(0, 3).map(lambda s: (s,)),
        kwargs=_key_kwargs(basic_indices),
    ),
    OpSpec(
        "getitem_advanced",
        _getitem,
        _getitem,
        shapes=lambda: shapes(0, 3).map(lambda s: (s,)),
        kwargs=_key_kwargs(advanced_indices),
    ),
    OpSpec(
        "setitem_scalar_tensor",
        _setitem,
        _setitem_ref,
        2,
        shapes=lambda: shapes(0, 3).map(lambda s: (s, ())),
        kwargs=lambda shp: (basic_indices(shp[0]) | advanced_indices(shp[0], unique=True)).map(
            lambda key: {"key": key}
        ),
    ),
    OpSpec("setitem_region", _setitem, _setitem_ref, 2, shapes=_region_shapes, kwargs=_region_key),
    OpSpec(
        "index_put_accumulate",
        lambda x, v, index: torch.index_put(x, (_t(index),), v, accumulate=True),
        lambda x, v, index: _index_add_ref(x, v, 0, index % max(x.shape[0], 1)),
        2,
        shapes=lambda: _source_shapes().filter(lambda s: s[0][1:] == s[1][1:]),
        kwargs=lambda shp: _ints((shp[1][0],), -shp[0][0], shp[0][0] - 1).map(
            lambda i: {"index": i}
        ),
    ),
    OpSpec(
        "gather",
        lambda x, dim, index: torch.gather(x, dim, _t(index)),
        _gather_ref,
        shapes=lambda: shapes(1, 3).map(lambda s: (s,)),
        kwargs=_gather_kwargs,
    ),
    OpSpec(
        "scatter",
        lambda x, src, dim, index: x.scatter(dim, _t(index), src),
        lambda x, src, dim, index: _scatter_ref(x, src, dim, index),
        2,
        shapes=_two_same_ndim,
        kwargs=lambda shp: _gather_kwargs(shp, src=True, unique=True),
    ),
    OpSpec(
        "scatter_value",
        lambda x, dim, index: torch.scatter(x, dim, _t(index), value=2.5),
        lambda x, dim, index: _scatter_ref(x, 2.5, dim, index),
        shapes=lambda: shapes(1, 3).map(lambda s: (s,)),
        kwargs=lambda shp: _gather_kwargs(shp, unique=True),
    ),
    OpSpec(
        "scatter_add",
        lambda x, src, dim, index: torch.scatter_add(x, dim, _t(index), src),
        lambda x, src, dim, index: _scatter_ref(x, src, dim, index, add=True),
        2,
        shapes=_two_same_ndim,
        kwargs=lambda shp: _gather_kwargs(shp, src=True),
    ),
    OpSpec(
        "index_select",
        lambda x, dim, index: torch.index_select(x, dim, _t(index)),
        lambda x, dim, index: np.take(x, index, axis=dim),
        shapes=lambda: shapes(1, 3).map(lambda s: (s,)),
        kwargs=_dim_index,
    ),
    OpSpec(
        "index_add",
        lambda x, s, dim, index: torch.index_add(x, dim, _t(index), s, alpha=1.5),
        lambda x, s, dim, index: _index_add_ref(x, s, dim % x.ndim, index, 1.5),
        2,
        shapes=_source_shapes,
        kwargs=lambda shp: _dim_index(shp, count_from_source=True),
    ),
    OpSpec(
        "index_copy",
        lambda x, s, dim, index: x.index_copy(dim, _t(index), s),
        lambda x, s, dim, index: _index_copy_ref(x, s, dim % x.ndim, index),
        2,
        shapes=lambda: _source_shapes(unique=True),
        kwargs=lambda shp: _dim_index(shp, unique=True, count_from_source=True),
    ),
    OpSpec(
        "index_fill",
        lambda x, dim, index: x.index_fill(dim, _t(index), -1.5),
        lambda x, dim, index: _index_fill_ref(x, dim % x.ndim, index, -1.5),
        shapes=lambda: shapes(1, 3).map(lambda s: (s,)),
        kwargs=_dim_index,
    ),
    OpSpec(
        "index_fill_tensor_value",
        lambda x, v, dim, index: x.index_fill(dim, _t(index), v),
        lambda x, v, dim, index: _index_fill_ref(x, dim % x.ndim, index, v),
        2,
        shapes=lambda: shapes(1, 3).map(lambda s: (s, ())),
        kwargs=_dim_index,
    ),
    OpSpec(
        "masked_fill",
        lambda x, mask: x.masked_fill(_t(mask), 0.5),
        lambda x, mask: np.where(mask, 0.5, x),
        shapes=lambda: shapes(0, 3).map(lambda s: (s,)),
        kwargs=_mask_kwargs,
    ),
    OpSpec(
        "masked_fill_tensor_value",
        lambda x, v, mask: torch.masked_fill(x, _t(mask), v),
        lambda x, v, mask: np.where(mask, v, x),
        2,
        shapes=lambda: shapes(0, 3).map(lambda s: (s, ())),
        kwargs=_mask_kwargs,
    ),
    OpSpec(
        "masked_select",
        lambda x, mask: torch.masked_select(x, _t(mask)),
        lambda x, mask: np.broadcast_arrays(x, mask)[0][np.broadcast_arrays(x, mask)[1]],
        shapes=lambda: shapes(0, 3).map(lambda s: (s,)),
        kwargs=_mask_kwargs,
    ),
    OpSpec(
        "masked_scatter",
        lambda x, s, mask: x.masked_scatter(_t(mask), s),
        _masked_scatter_ref,
        2,
        shapes=lambda: st.tuples(shapes(0, 3), shapes(0, 2)),
        kwargs=_masked_scatter_kwargs,
    ),
    OpSpec(
        "take",
        lambda x, index: torch.take(x, _t(index)),
        lambda x, index: np.take(x, index),
        shapes=lambda: shapes(0, 3).map(lambda s: (s,)),
        kwargs=_take_kwargs,
    ),
    OpSpec(
        "take_along_dim",
        lambda x, dim, indices: torch.take_along_dim(x, _t(indices), dim),
        lambda x, dim, indices: _take_along_ref(x, indices, dim),
        shapes=lambda: shapes(1, 3).map(lambda s: (s,)),
        kwargs=_take_along_kwargs,
    ),
    OpSpec(
        "take_along_dim_flat",
        lambda x, index: torch.take_along_dim(x, _t(index)),
        lambda x, index: np.take(x, index.reshape(-1)),
        shapes=lambda: shapes(0, 3).map(lambda s: (s,)),
        kwargs=lambda shp: _take_kwargs(shp).map(
            lambda kw: {"index": kw["index"] % max(int(np.prod(shp[0])), 1)}
        ),
    ),
    OpSpec(
        "put_accumulate",
        lambda x, s, index: x.put(_t(index), s, accumulate=True),
        lambda x, s, index: _put_ref(x, s, index, True),
        2,
        shapes=_put_shapes,
        kwargs=_put_kwargs,
    ),
    OpSpec(
        "put",
        lambda x, s, index: torch.put(x, _t(index), s),
        lambda x, s, index: _put_ref(x, s, index, False),
        2,
        shapes=lambda: _put_shapes(unique=True),
        kwargs=lambda shp: _put_kwargs(shp, unique=True),
    ),
]
