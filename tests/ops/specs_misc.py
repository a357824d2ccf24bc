"""Op specs for the misc ops of the sorting, reduction, shape, indexing and linalg families:
order statistics, scans, splits and rotations (see op_db.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import eagertorch as torch
from eagertorch.testing.strategies import broadcastable_shapes, shapes
from tests.ops.op_db import OpSpec
from tests.ops.specs_reduction import (
    _along,
    _dim_kwargs,
    _distinct,
    _max_dim_ref,
    _median_dim_ref,
    _slices_nonempty,
)


def _one_dim(shapes_):
    n = max(len(shapes_[0]), 1)
    return st.integers(-n, n - 1)


def _dim_only(shapes_):
    return st.fixed_dictionaries({"dim": _one_dim(shapes_)})


def _single_dim_keepdim(shapes_):
    return _dim_kwargs(none=False, single=True)(shapes_)


def _nd(min_dims):
    return lambda: shapes(min_dims).map(lambda s: (s,))


def _quantile_ref(method):
    def ref(x, dim, keepdim=False):
        if x.ndim == 0:
            return np.stack([x, x])
        return np.quantile(x, [0.3, 0.5], axis=dim, keepdims=keepdim, method=method)

    return ref


def _split_ref(x):
    axis = min(1, x.ndim - 1)
    return np.concatenate([p.reshape(-1) for p in np.array_split(x, 3, axis=axis)])


def _cross_shapes():
    return broadcastable_shapes(2, max_dims=2).map(lambda s: (s[0] + (3,), s[1] + (3,)))


def _diag_embed_ref(x, offset):
    n = x.shape[-1] + abs(offset)
    out = np.zeros((*x.shape[:-1], n, n))
    i = np.arange(x.shape[-1])
    rows, cols = (i, i + offset) if offset >= 0 else (i - offset, i)
    out[..., rows, cols] = x
    return out


def _diff_ref(x, n, dim, prepend=None):
    return (
        np.diff(x, n=n, axis=dim, prepend=prepend)
        if prepend is not None
        else np.diff(x, n=n, axis=dim)
    )


def _nonempty_dims(x, dim, **kw):
    return _slices_nonempty(x, dim) and _distinct(x)


def _cumextremum_ref(ufunc):
    return _along(lambda x, d: ufunc.accumulate(x, axis=d))


SPECS = [
    OpSpec(
        "addcmul",
        lambda a, b, c: torch.addcmul(a, b, c, value=0.5),
        lambda a, b, c: a + 0.5 * b * c,
        3,
    ),
    OpSpec(
        "addcdiv",
        lambda a, b, c: a.addcdiv(b, c, value=-2),
        lambda a, b, c: a - 2 * b / c,
        3,
        valid=lambda a, b, c: np.all(np.abs(c) > 0.2),
    ),
    OpSpec(
        "repeat_interleave_int",
        lambda x, **kw: torch.repeat_interleave(x, 2, **kw),
        lambda x, dim: np.repeat(x.reshape(1) if x.ndim == 0 else x, 2, axis=dim % max(x.ndim, 1)),
        kwargs=_dim_only,
    ),
    OpSpec(
        "repeat_interleave_tensor",
        lambda x: x.repeat_interleave(torch.tensor(np.arange(x.shape[0]) % 3), dim=0),
        lambda x: np.repeat(x, np.arange(x.shape[0]) % 3, axis=0),
        shapes=_nd(1),
    ),
    OpSpec(
        "tensor_split",
        lambda x: torch.cat([p.reshape(-1) for p in x.tensor_split(3, dim=min(1, x.ndim - 1))]),
        _split_ref,
        shapes=_nd(1),
    ),
    OpSpec(
        "select",
        lambda x: x.select(-1, 0),
        lambda x: x[..., 0],
        shapes=lambda: shapes(1, min_side=1).map(lambda s: (s,)),
    ),
    OpSpec("trace", torch.trace, np.trace, shapes=lambda: shapes(2, 2).map(lambda s: (s,))),
    OpSpec("cross", lambda a, b: torch.cross(a, b, dim=-1), np.cross, 2, shapes=_cross_shapes),
    OpSpec(
        "diff",
        lambda x, **kw: torch.diff(x, **kw),
        _diff_ref,
        shapes=_nd(1),
        kwargs=lambda s: st.fixed_dictionaries({"n": st.integers(0, 3), "dim": _one_dim(s)}),
    ),
    OpSpec(
        "diff_prepend",
        lambda x: torch.diff(x, prepend=x[..., :1] * 2),
        lambda x: np.diff(x, prepend=x[..., :1] * 2),
        shapes=_nd(1),
    ),
    OpSpec(
        "rot90",
        lambda x, **kw: torch.rot90(x, **kw),
        lambda x, k: np.rot90(x, k, axes=(0, 1)),
        shapes=_nd(2),
        kwargs=lambda s: st.fixed_dictionaries({"k": st.integers(-5, 5)}),
    ),
    OpSpec(
        "diag_embed",
        lambda x, **kw: torch.diag_embed(x, **kw),
        _diag_embed_ref,
        shapes=_nd(1),
        kwargs=lambda s: st.fixed_dictionaries({"offset": st.integers(-2, 2)}),
    ),
    OpSpec(
        "cummax",
        lambda x, **kw: torch.cummax(x, **kw),
        _cumextremum_ref(np.maximum),
        output=lambda out: out.values,
        kwargs=_dim_only,
        valid=lambda x, **kw: _distinct(x),
    ),
    OpSpec(
        "cummin",
        lambda x, **kw: x.cummin(**kw),
        _cumextremum_ref(np.minimum),
        output=lambda out: out[0],
        kwargs=_dim_only,
        valid=lambda x, **kw: _distinct(x),
    ),
    OpSpec(
        "logcumsumexp",
        lambda x, **kw: torch.logcumsumexp(x, **kw),
        _along(lambda x, d: np.logaddexp.accumulate(x, axis=d)),
        kwargs=_dim_only,
    ),
    OpSpec(
        "nanmean",
        lambda x, **kw: torch.nanmean(x, **kw),
        lambda x, dim=None, keepdim=False: np.mean(
            x, axis=None if dim is None or x.ndim == 0 else dim, keepdims=keepdim
        ),
        kwargs=_dim_kwargs(),
        valid=lambda x, dim=None, **kw: (
            x.size > 0 and (x.ndim == 0 or dim is None or all(x.shape[d] for d in dim))
        ),
    ),
    OpSpec(
        "nanmedian_dim",
        lambda x, **kw: torch.nanmedian(x, **kw),
        _median_dim_ref,  # no NaN drawn: the plain lower median
        output=lambda out: out.values,
        kwargs=_single_dim_keepdim,
        valid=_nonempty_dims,
    ),
    OpSpec(
        "mode",
        lambda x, **kw: torch.mode(x, **kw),
        _max_dim_ref(np.min),  # distinct values: every one occurs once, the smallest wins
        output=lambda out: out.values,
        kwargs=_single_dim_keepdim,
        valid=_nonempty_dims,
    ),
    *(
        OpSpec(
            f"{fn}_{method}",
            lambda x, _fn=fn, _m=method, **kw: getattr(torch, _fn)(
                x, torch.tensor([0.3, 0.5], dtype=x.dtype), interpolation=_m, **kw
            ),
            _quantile_ref(method),
            kwargs=_single_dim_keepdim,
            valid=lambda x, **kw: x.size > 0 and _nonempty_dims(x, **kw),  # as PyTorch
        )
        for fn in ("quantile", "nanquantile")
        for method in ("linear", "lower", "higher", "midpoint", "nearest")
    ),
]
