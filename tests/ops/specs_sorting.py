"""Op specs for sorting and selection (see op_db.py): the values outputs, through gather."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import eagertorch as torch
from eagertorch.testing.strategies import shapes
from tests.ops.op_db import OpSpec
from tests.ops.specs_reduction import _dim_kwargs, _distinct


def _one_dim(shapes_):
    ndim = len(shapes_[0])
    return st.integers(-max(ndim, 1), max(ndim, 1) - 1)


def _sort_kwargs(shapes_):
    return st.fixed_dictionaries({"dim": _one_dim(shapes_), "descending": st.booleans()})


def _size(x, dim):
    return x.shape[dim] if x.ndim else 1


def _sort_ref(x, dim, descending=False):
    if x.ndim == 0:
        return x
    out = np.sort(x, axis=dim)
    return np.flip(out, axis=dim) if descending else out


def _k_kwargs(low):
    """A dim and a ``k`` in ``[low, size]`` along it."""

    def kwargs(shapes_):
        def with_k(dim):
            shape = shapes_[0]
            n = shape[dim] if shape else 1
            return st.fixed_dictionaries({"dim": st.just(dim), "k": st.integers(low, max(n, low))})

        return _one_dim(shapes_).flatmap(with_k)

    return kwargs


def _topk_ref(x, k, dim, largest=True):
    return np.take(_sort_ref(x, dim, largest), np.arange(k), axis=dim) if x.ndim else x


def _kth_ref(x, k, dim, keepdim=False):
    if x.ndim == 0:
        return x
    out = np.take(np.sort(x, axis=dim), [k - 1], axis=dim)
    return out if keepdim else np.squeeze(out, axis=dim)


def _fits(low):
    """``k`` in range (empty slices have no k-th value)."""
    return lambda x, k, dim, **kw: low <= k <= _size(x, dim) and _distinct(x)


def _bincount_index(n):
    return torch.tensor(np.arange(n) % 3, dtype=torch.int64)


SPECS = [
    OpSpec(
        "sort",
        lambda x, **kw: torch.sort(x, **kw),
        _sort_ref,
        output=lambda out: out.values,
        kwargs=_sort_kwargs,
        valid=lambda x, **kw: _distinct(x),
    ),
    OpSpec(
        "argsort",
        lambda x, **kw: torch.argsort(x, **kw),
        lambda x, dim, descending=False: (
            np.argsort(-x if descending else x, axis=dim, kind="stable") if x.ndim else 0
        ),
        grad=False,
        kwargs=_sort_kwargs,
        valid=lambda x, **kw: _distinct(x),
    ),
    OpSpec(
        "msort",
        torch.msort,
        lambda x: np.sort(x, axis=0) if x.ndim else x,
        valid=lambda x: _distinct(x),
    ),
    OpSpec(
        "topk",
        lambda x, **kw: x.topk(**kw),
        _topk_ref,
        output=lambda out: out.values,
        kwargs=_k_kwargs(0),
        valid=_fits(0),
    ),
    OpSpec(
        "topk_smallest",
        lambda x, **kw: torch.topk(x, largest=False, **kw),
        lambda x, **kw: _topk_ref(x, largest=False, **kw),
        output=lambda out: out[0],
        kwargs=_k_kwargs(0),
        valid=_fits(0),
    ),
    OpSpec(
        "kthvalue",
        lambda x, **kw: torch.kthvalue(x, **kw),
        _kth_ref,
        output=lambda out: out.values,
        kwargs=lambda s: st.tuples(_k_kwargs(1)(s), _dim_kwargs(none=False)(s)).map(
            lambda t: {**t[0], "keepdim": t[1]["keepdim"]}
        ),
        valid=_fits(1),
    ),
    OpSpec(
        "bincount_weights",
        lambda w: torch.bincount(_bincount_index(w.shape[0]), weights=w, minlength=2),
        lambda w: np.bincount(np.arange(w.shape[0]) % 3, weights=w, minlength=2),
        shapes=lambda: shapes(1, 1).map(lambda s: (s,)),
    ),
]
