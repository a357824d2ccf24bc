"""Sorting, selection and counting: sort, topk, kthvalue, unique, searchsorted, bincount, histc.

Indices are found on arrays (a stable argsort, int64) and carry no gradient. Selected values
are ``gather``-ed through those indices, so their gradient scatters back to the chosen
positions and is itself differentiable (double backward for free).
"""

from __future__ import annotations

import math
import operator

import numpy as np

from .._backend.device import array_module, device_ctx
from .._backend.dtype import scalar_name
from .._tensor import Tensor, _make, _wrap_dim, array_from_data
from ..autograd.diagnostics import integer_result
from ..autograd.function import run_in_device
from .elementwise import lerp
from .indexing import Gather, ScatterAdd
from .reduction import _check_nonempty, _return_type
from .shape import stack

__all__ = [
    "argsort",
    "bincount",
    "bucketize",
    "histc",
    "isin",
    "kthvalue",
    "mode",
    "msort",
    "nanmedian",
    "nanquantile",
    "quantile",
    "searchsorted",
    "sort",
    "topk",
    "unique",
    "unique_consecutive",
]

# Tensor methods (searchsorted and bucketize are functions only, as in PyTorch).
METHOD_NAMES = [n for n in __all__ if n not in ("searchsorted", "bucketize", "isin")]

_SortResult = _return_type("sort", ("values", "indices"))
_TopkResult = _return_type("topk", ("values", "indices"))
_KthvalueResult = _return_type("kthvalue", ("values", "indices"))
_ModeResult = _return_type("mode", ("values", "indices"))
_NanmedianResult = _return_type("nanmedian", ("values", "indices"))
_INT64 = np.dtype(np.int64)


# ----- sort and selection ----------------------------------------------------------------
def _argsort_array(x, dim: int, descending: bool):
    """Stable argsort with NaN largest, as PyTorch: last ascending, first descending.

    Descending sorts the reversed array ascending and reverses back, so ties keep their
    original order (negating would break for NaN, bool and unsigned dtypes).
    """
    xp = array_module(x)
    if x.ndim == 0:
        return xp.zeros((), _INT64)
    if not descending:
        return xp.argsort(x, axis=dim, kind="stable").astype(_INT64, copy=False)
    idx = xp.flip(xp.argsort(xp.flip(x, axis=dim), axis=dim, kind="stable"), axis=dim)
    return (x.shape[dim] - 1 - idx).astype(_INT64, copy=False)


def _sort_indices(input: Tensor, dim, descending: bool) -> tuple[int, Tensor]:
    """The wrapped dim and the int64 sort permutation along it."""
    if device_ctx[0]:  # computed outside any op: under the input's device
        return run_in_device(_sort_indices, input, dim, descending)
    d = _wrap_dim(operator.index(dim), input._data.ndim)
    return d, _make(_argsort_array(input._data, d, bool(descending)))


def _picked(name: str, input: Tensor, d: int, idx: Tensor, result):
    """Values gathered at ``idx`` (differentiable) and the indices, as ``result``."""
    return result(Gather.apply(input, d, idx), integer_result(idx, name, 1, input))


def sort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False):
    """``(values, indices)`` sorted along ``dim``; always stable, NaN sorts as the largest."""
    d, idx = _sort_indices(input, dim, descending)
    return _picked("sort", input, d, idx, _SortResult)


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (int64)."""
    return integer_result(_sort_indices(input, dim, descending)[1], "argsort", 0, input)


def msort(input: Tensor) -> Tensor:
    """``sort(input, dim=0).values``."""
    return sort(input, 0).values


def _size_along(input: Tensor, d: int) -> int:
    shape = input._data.shape
    return shape[d] if shape else 1


def _narrow_indices(idx: Tensor, d: int, start: int, stop: int) -> Tensor:
    a = idx._data
    if a.ndim == 0:
        return idx
    key = (slice(None),) * d + (slice(start, stop),)
    return _make(a[key])


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """The ``k`` largest (or smallest) values along ``dim`` and their indices, largest first.

    Results are always sorted; NaN counts as the largest value, as in PyTorch.
    """
    d = _wrap_dim(operator.index(dim), input._data.ndim)
    k = operator.index(k)
    if not 0 <= k <= _size_along(input, d):
        raise RuntimeError("selected index k out of range")
    d, idx = _sort_indices(input, d, largest)
    return _picked("topk", input, d, _narrow_indices(idx, d, 0, k), _TopkResult)


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    """The ``k``-th smallest value (1-based) along ``dim`` and its index."""
    d = _wrap_dim(operator.index(dim), input._data.ndim)
    k = operator.index(k)
    if not 1 <= k <= _size_along(input, d):
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    d, idx = _sort_indices(input, d, False)
    idx = _narrow_indices(idx, d, k - 1, k)
    values = Gather.apply(input, d, idx)
    if not keepdim and idx._data.ndim:
        values = values.squeeze(d)
        idx = _make(idx._data.squeeze(d))
    return _KthvalueResult(values, integer_result(idx, "kthvalue", 0, input))


# ----- unique ------------------------------------------------------------------------------
def _runs(flat):
    """Values, run ids and lengths of runs of equal neighbours (NaNs are never equal)."""
    xp = array_module(flat)
    new = xp.empty(flat.shape, bool)
    new[:1] = True
    new[1:] = flat[1:] != flat[:-1]
    starts = xp.flatnonzero(new)
    counts = xp.diff(xp.append(starts, flat.size)).astype(_INT64, copy=False)
    return flat[starts], (xp.cumsum(new) - 1).astype(_INT64, copy=False), counts


def _unique_result(
    input: Tensor, name: str, values, inverse, counts, return_inverse, return_counts
):
    out = _make(values)
    if not (return_inverse or return_counts):
        return out
    result = [out]
    if return_inverse:
        result.append(integer_result(_make(inverse.reshape(input._data.shape)), name, 1, input))
    if return_counts:
        result.append(integer_result(_make(counts), name, 1, input))
    return tuple(result)


def _no_dim(name: str, dim) -> None:
    if dim is not None:
        raise NotImplementedError(f"eagertorch.{name}() supports only dim=None (flattened)")


def unique(
    input: Tensor,
    sorted: bool = True,
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
):
    """Sorted distinct elements of the flattened input (each NaN is distinct, as in PyTorch).

    ``return_inverse`` adds where each input element went; ``return_counts`` adds how many
    times each value occurs. Not differentiable.
    """
    _no_dim("unique", dim)
    flat = input._data.reshape(-1)
    xp = array_module(flat)
    order = xp.argsort(flat, kind="stable")
    values, ids, counts = _runs(flat[order])
    inverse = xp.empty(flat.shape, _INT64)
    inverse[order] = ids
    return _unique_result(input, "unique", values, inverse, counts, return_inverse, return_counts)


def unique_consecutive(
    input: Tensor, return_inverse: bool = False, return_counts: bool = False, dim=None
):
    """The flattened input with each run of equal neighbours collapsed to one element."""
    _no_dim("unique_consecutive", dim)
    values, ids, counts = _runs(input._data.reshape(-1))
    return _unique_result(
        input, "unique_consecutive", values, ids, counts, return_inverse, return_counts
    )


# ----- searchsorted / bucketize ------------------------------------------------------------
def _values_array(values, like):
    if isinstance(values, Tensor):
        return values._data
    return array_module(like).asarray(array_from_data(values, copy=False))


def searchsorted(
    sorted_sequence: Tensor,
    input,
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter: Tensor | None = None,
) -> Tensor:
    """Where each value of ``input`` would be inserted in the innermost dim of
    ``sorted_sequence`` to keep it sorted (after equal elements when ``right``/``side='right'``).
    """
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(
                f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}"
            )
        if right and side == "left":
            raise RuntimeError(
                "torch.searchsorted(): side and right can't be set to opposites, got side of "
                "left while right was True"
            )
        right = side == "right"
    seq = sorted_sequence._data
    if sorter is not None:
        seq = array_module(seq).take_along_axis(seq, sorter._data, axis=-1)
    vals = _values_array(input, seq)
    xp = array_module(seq)
    how = "right" if right else "left"
    dtype = np.int32 if out_int32 else _INT64
    if seq.ndim <= 1:
        out = xp.searchsorted(seq.reshape(-1), vals, side=how)
    elif not isinstance(input, Tensor) or vals.ndim == 0:
        raise RuntimeError(
            "torch.searchsorted(): input value can be a scalar only when boundaries tensor "
            f"dimension is 1, but we got boundaries tensor dim({seq.ndim}) and input value's "
            f"dim({vals.ndim}) numel({vals.size})"
        )
    else:
        if vals.ndim != seq.ndim or vals.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError(
                "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                "dimensions of boundaries tensor and input value tensor must match, but we got "
                f"boundaries tensor {list(seq.shape)} and input value tensor {list(vals.shape)}"
            )
        rows = seq.reshape(-1, seq.shape[-1])
        queries = vals.reshape(len(rows), -1)
        out = xp.stack([xp.searchsorted(r, q, side=how) for r, q in zip(rows, queries)])
        out = out.reshape(vals.shape)
    result = _make(xp.asarray(out, dtype=dtype))
    return integer_result(result, "searchsorted", 0, sorted_sequence, input)


def bucketize(input, boundaries: Tensor, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """The bucket of each value: ``i`` with ``boundaries[i-1] < x <= boundaries[i]``
    (``<= x <`` when ``right``), for a 1-d ``boundaries``."""
    if boundaries._data.ndim != 1:
        raise RuntimeError(
            f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})"
        )
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


# ----- counting ----------------------------------------------------------------------------
def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How often each non-negative integer occurs in 1-d ``input`` (summed ``weights``
    instead of counts when given; the weights' gradient flows back to each element)."""
    if device_ctx[0]:  # computed outside any op: under the input's device
        return run_in_device(bincount, input, weights, minlength)
    x = input._data
    if x.dtype.kind not in "iu":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{scalar_name(x.dtype)}'")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    xp = array_module(x)
    if x.ndim != 1 or (x.size and int(x.min()) < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    length = max(minlength, int(x.max()) + 1 if x.size else 0)
    if weights is None:
        counts = xp.bincount(x, minlength=length).astype(_INT64, copy=False)
        return integer_result(_make(counts), "bincount", 0, input)
    if weights._data.shape != x.shape:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    if weights._data.dtype.kind != "f":
        weights = weights.to(np.float64)
    zeros = _make(xp.zeros(length, weights._data.dtype))
    return ScatterAdd.apply(zeros, 0, _make(x.astype(_INT64, copy=False)), weights)


def histc(input: Tensor, bins: int = 100, min=0, max=0) -> Tensor:
    """A histogram of ``bins`` equal-width bins over ``[min, max]`` (the data's range when
    both are equal); values outside are ignored. Not differentiable."""
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{scalar_name(x.dtype)}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    xp = array_module(x)
    flat = x.reshape(-1).astype(np.float64)
    inside = flat[(flat >= lo) & (flat <= hi)]
    which = xp.minimum(((inside - lo) * (bins / (hi - lo))).astype(_INT64), bins - 1)
    return _make(xp.bincount(which, minlength=bins).astype(x.dtype))


# ----- membership, mode, nanmedian, quantiles -----------------------------------------------
def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Whether each of ``elements`` occurs in ``test_elements`` (either may be a scalar)."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin() expects at least one of elements and test_elements to be a Tensor")
    like = elements if isinstance(elements, Tensor) else test_elements
    xp = array_module(like._data)
    a = _values_array(elements, like._data)
    b = _values_array(test_elements, like._data)
    return _make(xp.isin(a, b, assume_unique=assume_unique, invert=invert))


def _last_axis_rows(x, d: int):
    """``x`` with ``d`` moved last, as rows (for per-slice scans)."""
    moved = array_module(x).moveaxis(x.reshape(1) if x.ndim == 0 else x, d, -1)
    return moved.reshape(-1, moved.shape[-1]), moved.shape


def _keepdim_index(rows_idx, moved_shape, d: int):
    """Per-row picks (one per row) back in keepdim layout with ``d`` restored."""
    xp = array_module(rows_idx)
    return xp.moveaxis(rows_idx.reshape((*moved_shape[:-1], 1)), -1, d)


def _values_at(name, result, input: Tensor, d: int, idx, keepdim: bool):
    """Gathered values and int64 indices at keepdim-shaped ``idx``, squeezed unless keepdim."""
    if input._data.ndim == 0:
        idx = idx.reshape(())
    values = Gather.apply(input, d, _make(idx))
    if not keepdim and idx.ndim:
        values = values.squeeze(d)
        idx = idx.squeeze(d)
    return result(values, integer_result(_make(idx), name, 1, input))


def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """The most frequent value along ``dim`` (the smallest among equally frequent ones) and
    the index of its last occurrence, as PyTorch."""
    if device_ctx[0]:  # computed outside any op: under the input's device
        return run_in_device(mode, input, dim, keepdim)
    x = input._data
    d = _wrap_dim(operator.index(dim), x.ndim)
    if x.ndim:
        _check_nonempty("mode", input, (d,))
    xp = array_module(x)
    rows, moved_shape = _last_axis_rows(x, d)
    order = xp.argsort(rows, axis=-1, kind="stable")
    s = xp.take_along_axis(rows, order, axis=-1)
    new = xp.ones(s.shape, bool)
    new[:, 1:] = s[:, 1:] != s[:, :-1]
    pos = xp.arange(s.shape[-1])
    run_length = pos - xp.maximum.accumulate(xp.where(new, pos, 0), axis=-1) + 1
    # The first maximum of the running length ends the first longest run: the smallest
    # modal value, and (the sort being stable) its last occurrence.
    end = xp.argmax(run_length, axis=-1)[:, None]
    picked = xp.take_along_axis(order, end, axis=-1).astype(_INT64, copy=False)
    idx = _keepdim_index(picked, moved_shape, d) if x.ndim else picked.reshape(())
    return _values_at("mode", _ModeResult, input, d, idx, keepdim)


def _nan_last_sorted(input: Tensor, d: int):
    """Ascending sort permutation (NaN last) and the count of non-NaN elements, keepdim."""
    x = input._data
    order = _argsort_array(x, d, False)
    xp = array_module(x)
    if x.dtype.kind == "f":
        count = (~xp.isnan(x)).sum(axis=d, keepdims=True)
    else:
        count = xp.full((*x.shape[:d], 1, *x.shape[d + 1 :]), x.shape[d], _INT64)
    return order, count


def nanmedian(input: Tensor, dim: int | None = None, keepdim: bool = False):
    """The lower median of the non-NaN elements (NaN where there are none); along ``dim``,
    ``(values, indices)``."""
    if device_ctx[0]:  # computed outside any op: under the input's device
        return run_in_device(nanmedian, input, dim, keepdim)
    if dim is None:
        flat = input.reshape(-1)
        if flat._data.size == 0:
            return _make(array_module(flat._data).full((), math.nan, flat._data.dtype))
        return nanmedian(flat, 0).values.reshape(())
    x = input._data
    d = _wrap_dim(operator.index(dim), x.ndim)
    if x.ndim == 0:
        idx = array_module(x).zeros((), _INT64)
        return _values_at("nanmedian", _NanmedianResult, input, 0, idx, keepdim)
    _check_nonempty("nanmedian", input, (d,))
    order, count = _nan_last_sorted(input, d)
    k = array_module(x).maximum((count - 1) // 2, 0)
    idx = array_module(x).take_along_axis(order, k, axis=d)
    return _values_at("nanmedian", _NanmedianResult, input, d, idx, keepdim)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(name: str, input: Tensor, q, dim, keepdim: bool, interpolation: str):
    if device_ctx[0]:  # computed outside any op: under the input's device
        return run_in_device(_quantile, name, input, q, dim, keepdim, interpolation)
    x = input._data
    if x.dtype.kind != "f":
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if isinstance(q, Tensor):
        if q._data.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if q._data.dtype != x.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        qs = q._data.reshape(-1).tolist()
        if any(not 0 <= v <= 1 for v in qs):
            raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    else:
        qs = [float(q)]
        if not 0 <= qs[0] <= 1:
            raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {qs[0]:g}")
    if x.size == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(
            f"{name}() interpolation must be one of linear, lower, higher, midpoint or "
            f"nearest, but got {interpolation}"
        )
    if dim is None:
        flat, d = input.reshape(-1), 0
    else:
        d = _wrap_dim(operator.index(dim), x.ndim)
        flat = input.reshape(1) if x.ndim == 0 else input
    order, count = _nan_last_sorted(flat, d)
    xp = array_module(x)
    n = flat._data.shape[d]
    if name == "quantile":  # any NaN makes the result NaN: rank the last (a NaN)
        count = xp.where(count < n, 1, n)
        last = count == 1
    ranks_of = []
    for v in qs:
        rank = v * (count - 1)
        if name == "quantile":
            rank = xp.where(last & (n > 1), n - 1, rank)
        ranks_of.append(xp.maximum(rank, 0))
    out = [_quantile_at(flat, d, order, rank, interpolation) for rank in ranks_of]
    if dim is None:
        shape = (1,) * x.ndim if keepdim else ()
        out = [o.reshape(shape) for o in out]
    elif not keepdim and x.ndim:
        out = [o.squeeze(d) for o in out]
    elif x.ndim == 0:
        out = [o.reshape(()) for o in out]
    if isinstance(q, Tensor) and q._data.ndim == 1:
        return stack(out, 0)
    return out[0]


def _quantile_at(x: Tensor, d: int, order, rank, interpolation: str) -> Tensor:
    """The interpolated order statistic at ``rank`` (keepdim-shaped) along ``d``."""
    xp = array_module(order)
    if interpolation == "lower":
        rank = xp.floor(rank)
    elif interpolation == "higher":
        rank = xp.ceil(rank)
    elif interpolation == "nearest":
        rank = xp.round(rank)  # half to even, as PyTorch
    below = xp.floor(rank).astype(_INT64)
    lo = Gather.apply(x, d, _make(xp.take_along_axis(order, below, axis=d)))
    if interpolation not in ("linear", "midpoint"):
        return lo
    above = xp.ceil(rank).astype(_INT64)
    hi = Gather.apply(x, d, _make(xp.take_along_axis(order, above, axis=d)))
    weight = 0.5 if interpolation == "midpoint" else _make((rank - below).astype(x._data.dtype))
    return lerp(lo, hi, weight)


def quantile(input: Tensor, q, dim=None, keepdim: bool = False, *, interpolation="linear"):
    """The ``q``-quantiles (a number, or a 1-d tensor: one result per q, stacked first) along
    ``dim`` (all elements when None); NaN anywhere in a slice makes its result NaN."""
    return _quantile("quantile", input, q, dim, keepdim, interpolation)


def nanquantile(input: Tensor, q, dim=None, keepdim: bool = False, *, interpolation="linear"):
    """``quantile`` over the non-NaN elements only (NaN where a slice has none)."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation)
