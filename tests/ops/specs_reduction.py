"""Op specs for the reduction family (see op_db.py): dims and keepdim drawn by hypothesis."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

import eagertorch as torch
from eagertorch.testing.strategies import axes
from tests.ops.op_db import OpSpec

INF = math.inf


# ----- kwargs strategies -------------------------------------------------------------------
def _first_or_zero(dims: tuple) -> int:
    return dims[0] if dims else 0  # a 0-d tensor accepts dim 0


def _dim_kwargs(none: bool = True, single: bool = False, keepdim: bool = True, extra=None):
    """``dim`` (a tuple of axes, or one int when ``single``; maybe None) and ``keepdim``."""

    def kwargs(shapes):
        ndim = len(shapes[0])
        dim = axes(ndim, max_size=1).map(_first_or_zero) if single else axes(ndim)
        if none:
            dim = st.none() | dim
        fields = {"dim": dim}
        if keepdim:
            fields["keepdim"] = st.booleans()
        base = st.fixed_dictionaries(fields)
        if extra is None:
            return base
        return st.tuples(base, extra).map(lambda t: {**t[0], **t[1]})

    return kwargs


_CORRECTION = st.one_of(
    st.just({}),
    st.fixed_dictionaries({"correction": st.sampled_from([0, 1, 2])}),
    st.fixed_dictionaries({"unbiased": st.booleans()}),
)
_NORM_P = st.fixed_dictionaries({"p": st.sampled_from([2, "fro", 1, 3, 1.5, 0.5, 0, INF, -INF])})


# ----- numpy helpers -------------------------------------------------------------------------
def _axis(x, dim):
    """numpy's axis for our dim argument (a 0-d tensor reduces over 'all' of nothing)."""
    if dim is None or x.ndim == 0:
        return None
    return dim


def _n(x, dim) -> int:
    axis = _axis(x, dim)
    if axis is None:
        return x.size
    axis = (axis,) if isinstance(axis, int) else axis
    return math.prod(x.shape[d] for d in axis)


def _reduced(fn):
    """A reference ``fn(x, axis=..., keepdims=...)`` taking our ``dim``/``keepdim``."""

    def ref(x, dim=None, keepdim=False, **kw):
        out = fn(x, axis=_axis(x, dim), keepdims=keepdim, **kw)
        return out if x.ndim or not keepdim else np.reshape(out, ())

    return ref


def _along(fn):
    """A reference ``fn(x, axis)`` along one dim, identity-shaped for 0-d input."""

    def ref(x, dim):
        if x.ndim == 0:
            return fn(x.reshape(1), 0).reshape(())
        return fn(x, dim)

    return ref


def _distinct(x, **kw) -> bool:
    """No ties anywhere (max/min/median pick one element; a tie has no derivative)."""
    v = np.sort(x.ravel())
    return bool(np.all(np.diff(v) > 1e-3))


def _nonempty_distinct(x, dim=None, **kw) -> bool:
    if x.size == 0:
        return False
    return _distinct(x)


def _var_valid(x, dim=None, correction=None, unbiased=None, keepdim=False, std=False):
    c = correction if correction is not None else (0 if unbiased is False else 1)
    if _n(x, dim) - c <= 0:
        return False
    if std and x.size:
        v = np.var(x, axis=_axis(x, dim), ddof=c)
        return bool(np.all(v > 1e-3))
    return True


def _var_ref(fn):
    def ref(x, dim=None, correction=None, unbiased=None, keepdim=False):
        c = correction if correction is not None else (0 if unbiased is False else 1)
        out = fn(x, axis=_axis(x, dim), ddof=c, keepdims=keepdim)
        return out if x.ndim or not keepdim else np.reshape(out, ())

    return ref


def _norm_ref(x, p, dim=None, keepdim=False):
    a = np.abs(x)
    kw = {"axis": _axis(x, dim), "keepdims": keepdim}
    if p in (2, "fro"):
        return np.sqrt(np.sum(a * a, **kw))
    if p == INF:
        return np.max(a, **kw)
    if p == -INF:
        return np.min(a, **kw)
    if p == 0:
        return np.sum(a != 0, **kw).astype(float)
    return np.sum(a**p, **kw) ** (1.0 / p)


def _norm_valid(x, p, dim=None, keepdim=False) -> bool:
    if not np.all(np.abs(x) > 0.1):  # |x| is not differentiable at 0
        return False
    if p in (INF, -INF):
        return x.size > 0 and _distinct(np.abs(x))
    return True


def _median_ref(x):
    v = np.sort(x.ravel())
    return v[(v.size - 1) // 2]


def _median_dim_ref(x, dim, keepdim=False):
    if x.ndim == 0:
        return x
    k = (x.shape[dim] - 1) // 2
    out = np.take(np.sort(x, axis=dim), [k], axis=dim)
    return out if keepdim else np.squeeze(out, axis=dim)


def _max_dim_ref(fn):
    def ref(x, dim, keepdim=False):
        if x.ndim == 0:
            return x
        return fn(x, axis=dim, keepdims=keepdim)

    return ref


def _softmax_ref(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True, initial=-INF))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax_ref(x, axis):
    t = x - np.max(x, axis=axis, keepdims=True, initial=-INF)
    return t - np.log(np.sum(np.exp(t), axis=axis, keepdims=True))


def _logsumexp_ref(x, dim, keepdim=False):
    return np.log(np.sum(np.exp(x), axis=_axis(x, dim), keepdims=keepdim))


def _not_tiny(x, **kw) -> bool:
    """Products divide by their inputs: keep nonzero inputs away from underflow."""
    return bool(np.all((x == 0) | (np.abs(x) > 1e-3)))


def _slices_nonempty(x, dim, **kw) -> bool:
    return x.ndim == 0 or x.shape[dim] > 0


SPECS = [
    OpSpec("sum", lambda x, **kw: torch.sum(x, **kw), _reduced(np.sum), kwargs=_dim_kwargs()),
    OpSpec(
        "sum_method",
        lambda x, **kw: x.sum(**kw),
        _reduced(np.sum),
        gradgrad=False,
        kwargs=_dim_kwargs(),
    ),
    OpSpec("mean", lambda x, **kw: torch.mean(x, **kw), _reduced(np.mean), kwargs=_dim_kwargs()),
    OpSpec(
        "nansum",
        lambda x, **kw: torch.nansum(x, **kw),
        _reduced(np.nansum),
        gradgrad=False,
        kwargs=_dim_kwargs(),
    ),
    OpSpec(
        "prod",
        lambda x, **kw: torch.prod(x, **kw),
        _reduced(np.prod),
        low=-2.0,
        high=2.0,
        valid=_not_tiny,
        kwargs=_dim_kwargs(single=True),
    ),
    OpSpec(
        "amax",
        lambda x, **kw: torch.amax(x, **kw),
        _reduced(np.max),
        kwargs=_dim_kwargs(none=False),
        valid=_nonempty_distinct,
    ),
    OpSpec(
        "amin",
        lambda x, **kw: torch.amin(x, **kw),
        _reduced(np.min),
        gradgrad=False,
        kwargs=_dim_kwargs(none=False),
        valid=_nonempty_distinct,
    ),
    OpSpec("max_full", torch.max, np.max, gradgrad=False, valid=_nonempty_distinct),
    OpSpec("min_full", lambda x: x.min(), np.min, gradgrad=False, valid=_nonempty_distinct),
    OpSpec(
        "max_dim",
        lambda x, **kw: torch.max(x, **kw),
        _max_dim_ref(np.max),
        output=lambda out: out.values,
        gradgrad=False,
        kwargs=_dim_kwargs(none=False, single=True),
        valid=lambda x, **kw: _slices_nonempty(x, **kw) and _distinct(x),
    ),
    OpSpec(
        "min_dim",
        lambda x, **kw: x.min(**kw),
        _max_dim_ref(np.min),
        output=lambda out: out[0],
        gradgrad=False,
        kwargs=_dim_kwargs(none=False, single=True),
        valid=lambda x, **kw: _slices_nonempty(x, **kw) and _distinct(x),
    ),
    OpSpec(
        "aminmax",
        lambda x, **kw: torch.aminmax(x, **kw),
        lambda x, **kw: _reduced(np.min)(x, **kw) + _reduced(np.max)(x, **kw),
        output=lambda out: out.min + out.max,
        gradgrad=False,
        kwargs=_dim_kwargs(single=True),
        valid=_nonempty_distinct,
    ),
    OpSpec("median_full", torch.median, _median_ref, gradgrad=False, valid=_nonempty_distinct),
    OpSpec(
        "median_dim",
        lambda x, **kw: torch.median(x, **kw),
        _median_dim_ref,
        output=lambda out: out.values,
        gradgrad=False,
        kwargs=_dim_kwargs(none=False, single=True),
        valid=lambda x, **kw: _slices_nonempty(x, **kw) and _distinct(x),
    ),
    OpSpec(
        "argmax",
        lambda x, **kw: torch.argmax(x, **kw),
        _reduced(np.argmax),
        grad=False,
        kwargs=_dim_kwargs(single=True),
        valid=lambda x, dim=None, **kw: x.size > 0 and _distinct(x),
    ),
    OpSpec(
        "argmin",
        lambda x, **kw: x.argmin(**kw),
        _reduced(np.argmin),
        grad=False,
        kwargs=_dim_kwargs(single=True),
        valid=lambda x, dim=None, **kw: x.size > 0 and _distinct(x),
    ),
    OpSpec(
        "all",
        lambda x, **kw: torch.all(x > 0, **kw),
        lambda x, **kw: _reduced(np.all)(x > 0, **kw),
        grad=False,
        kwargs=_dim_kwargs(),
    ),
    OpSpec(
        "any",
        lambda x, **kw: (x > 0).any(**kw),
        lambda x, **kw: _reduced(np.any)(x > 0, **kw),
        grad=False,
        kwargs=_dim_kwargs(),
    ),
    OpSpec(
        "count_nonzero",
        lambda x, **kw: torch.count_nonzero(x.round(), **kw),
        lambda x, dim=None: np.count_nonzero(np.round(x), axis=_axis(x, dim)),
        grad=False,
        kwargs=_dim_kwargs(keepdim=False),
    ),
    OpSpec(
        "var",
        lambda x, **kw: torch.var(x, **kw),
        _var_ref(np.var),
        kwargs=_dim_kwargs(extra=_CORRECTION),
        valid=_var_valid,
    ),
    OpSpec(
        "std",
        lambda x, **kw: x.std(**kw),
        _var_ref(np.std),
        kwargs=_dim_kwargs(extra=_CORRECTION),
        valid=lambda x, **kw: _var_valid(x, **kw, std=True),
    ),
    OpSpec(
        "var_mean",
        lambda x, **kw: torch.var_mean(x, **kw),
        lambda x, **kw: (
            _var_ref(np.var)(x, **kw)
            + _reduced(np.mean)(x, kw.get("dim"), kw.get("keepdim", False))
        ),
        output=lambda out: out[0] + out[1],
        gradgrad=False,
        kwargs=_dim_kwargs(extra=_CORRECTION),
        valid=_var_valid,
    ),
    OpSpec(
        "std_mean",
        lambda x, **kw: torch.std_mean(x, **kw),
        lambda x, **kw: (
            _var_ref(np.std)(x, **kw)
            + _reduced(np.mean)(x, kw.get("dim"), kw.get("keepdim", False))
        ),
        output=lambda out: out[0] + out[1],
        gradgrad=False,
        kwargs=_dim_kwargs(extra=_CORRECTION),
        valid=lambda x, **kw: _var_valid(x, **kw, std=True),
    ),
    OpSpec(
        "logsumexp",
        lambda x, **kw: torch.logsumexp(x, **kw),
        _logsumexp_ref,
        kwargs=_dim_kwargs(none=False),
    ),
    OpSpec(
        "norm",
        lambda x, **kw: torch.norm(x, **kw),
        _norm_ref,
        kwargs=_dim_kwargs(extra=_NORM_P),
        valid=_norm_valid,
    ),
    OpSpec(
        "cumsum",
        lambda x, **kw: torch.cumsum(x, **kw),
        _along(np.cumsum),
        kwargs=_dim_kwargs(none=False, single=True, keepdim=False),
    ),
    OpSpec(
        "cumprod",
        lambda x, **kw: x.cumprod(**kw),
        _along(np.cumprod),
        low=-2.0,
        high=2.0,
        valid=_not_tiny,
        kwargs=_dim_kwargs(none=False, single=True, keepdim=False),
    ),
    OpSpec(
        "softmax",
        lambda x, **kw: torch.softmax(x, **kw),
        _along(_softmax_ref),
        low=-10.0,
        high=10.0,
        kwargs=_dim_kwargs(none=False, single=True, keepdim=False),
    ),
    OpSpec(
        "log_softmax",
        lambda x, **kw: x.log_softmax(**kw),
        _along(_log_softmax_ref),
        low=-10.0,
        high=10.0,
        kwargs=_dim_kwargs(none=False, single=True, keepdim=False),
    ),
]
