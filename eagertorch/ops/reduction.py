"""Reductions over dims (sum, mean, max, var, norm, ...), scans, and softmax.

Forward works on arrays; backward is written with Tensor ops (so it is differentiable).
A reduction's backward brings the gradient back to keepdim form and broadcasts it over the
reduced dims. Masks that only select (ties of a max, the first zero of a product) are
constants computed from the saved arrays.
"""

from __future__ import annotations

import builtins
import collections
import math
import operator

import numpy as np

from .._backend import dtype as _dt
from .._backend.device import array_module, device_ctx
from .._backend.dtype import scalar_name
from .._tensor import Tensor, _make, _wrap_dim
from ..autograd.diagnostics import integer_result
from ..autograd.function import ArrayFunction, run_in_device
from ..autograd.grad_mode import state as _grad_state
from .elementwise import maximum, minimum, where
from .indexing import Gather

__all__ = [
    "all",
    "amax",
    "amin",
    "aminmax",
    "any",
    "argmax",
    "argmin",
    "count_nonzero",
    "cummax",
    "cummin",
    "cumprod",
    "cumsum",
    "log_softmax",
    "logcumsumexp",
    "logsumexp",
    "max",
    "mean",
    "median",
    "min",
    "nanmean",
    "nansum",
    "norm",
    "prod",
    "softmax",
    "std",
    "std_mean",
    "sum",
    "var",
    "var_mean",
]

_INF = math.inf

# PyTorch's scalar-type names, used in its error messages.


# ----- dims and shapes ----------------------------------------------------------------------
def _dims(dim, ndim: int) -> tuple | None:
    """Sorted non-negative dims, or None for all dims (also for an empty list and 0-d)."""
    if dim is None:
        return None
    if not isinstance(dim, (tuple, list)):
        d = _wrap_dim(operator.index(dim), ndim)  # also numpy ints and 0-d int tensors
        return (d,) if ndim else None
    dims = [_wrap_dim(operator.index(d), ndim) for d in dim]
    if not dims or not ndim:
        return None
    if len(set(dims)) != len(dims):
        dup = next(d for d in dims if dims.count(d) > 1)
        raise RuntimeError(f"dim {dup} appears multiple times in the list of dims")
    return tuple(sorted(dims))


def _kept_shape(shape: tuple, dims) -> tuple:
    """The keepdim shape of a reduction: 1 in each reduced dim."""
    if dims is None:
        return (1,) * len(shape)
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def _count(shape: tuple, dims) -> int:
    """How many elements each output element reduces over."""
    if dims is None:
        return math.prod(shape)
    return math.prod(shape[d] for d in dims)


def _kept(g: Tensor, shape: tuple, dims, keepdim: bool) -> Tensor:
    """A reduced gradient (or output) in keepdim form, ready to broadcast against the input."""
    if keepdim or dims is None:  # a full reduction's 0-d result broadcasts as it is
        return g
    return g.reshape(_kept_shape(shape, dims))


class Broadcast(ArrayFunction):
    """A reduced gradient copied out over the reduced dims (the backward of sum and mean).

    A fresh array rather than an expand() view: numpy's broadcast_to costs several times
    more than filling a small array, and the next op would read every element anyway.
    """

    @staticmethod
    def forward(ctx, g, shape):
        out = array_module(g).empty(shape, g.dtype)
        out[...] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        return gg, None  # the engine sums gg back to g's (keepdim) shape


def _unreduce(g: Tensor, shape: tuple, dims, keepdim: bool) -> Tensor:
    """Broadcast a reduced gradient back over the reduced dims."""
    return Broadcast.apply(_kept(g, shape, dims, keepdim), shape)


def _one_dim(dim, ndim: int, name: str) -> int:
    try:
        dim = operator.index(dim)
    except TypeError:
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}") from None
    return _wrap_dim(dim, ndim)


def _as_float(input: Tensor) -> Tensor:
    """Integer and bool inputs of float-only reductions promote to the default dtype."""
    if input._data.dtype.kind != "f":
        return input.to(_dt.get_default_dtype())
    return input


def _integral_to_long(input: Tensor, dtype) -> Tensor:
    """``dtype=`` casts first; otherwise bool and integer sums/products accumulate in int64."""
    if dtype is not None:
        return input.to(dtype)
    kind = input._data.dtype.kind
    if (kind == "b" or kind == "i" or kind == "u") and input._data.dtype != np.int64:
        return input.to(np.int64)
    return input


def _check_nonempty(name: str, x: Tensor, dims, sep: str = "():") -> None:
    """Max-like reductions have no identity: empty reductions raise PyTorch's errors."""
    shape = x._data.shape
    if dims is None:
        if x._data.size == 0:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        return
    for d in dims:
        if shape[d] == 0:
            raise IndexError(f"{name}{sep} Expected reduction dim {d} to have non-zero size.")


def _return_type(name: str, fields: tuple):
    """A ``torch.return_types``-like named tuple: fields by name, unpacks as a tuple."""
    cls = collections.namedtuple(name, fields, module="eagertorch.return_types")

    def __repr__(self) -> str:
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"eagertorch.return_types.{name}(\n{body})"

    cls.__repr__ = __repr__
    return cls


RETURN_TYPES = {
    "max": _return_type("max", ("values", "indices")),
    "min": _return_type("min", ("values", "indices")),
    "median": _return_type("median", ("values", "indices")),
    "aminmax": _return_type("aminmax", ("min", "max")),
    "cummax": _return_type("cummax", ("values", "indices")),
    "cummin": _return_type("cummin", ("values", "indices")),
}
_MaxResult = RETURN_TYPES["max"]
_MinResult = RETURN_TYPES["min"]
_MedianResult = RETURN_TYPES["median"]
_AminmaxResult = RETURN_TYPES["aminmax"]


# ----- sum, mean, prod, nansum ------------------------------------------------------------------
class Sum(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape = x.shape
        ctx.dims = dims
        ctx.keepdim = keepdim
        return array_module(x).add.reduce(x, axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        return _unreduce(g, ctx.shape, ctx.dims, ctx.keepdim), None, None


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over ``dim`` (int or tuple; all dims when None). Bool/int sums give int64."""
    if dtype is not None or input._data.dtype.kind != "f":
        input = _integral_to_long(input, dtype)
    return Sum.apply(input, _dims(dim, input._data.ndim), keepdim)


class Mean(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        n = _count(x.shape, dims)
        ctx.shape = x.shape
        ctx.dims = dims
        ctx.keepdim = keepdim
        ctx.n = n
        # An empty reduction gives 0 / 0 = nan, as in PyTorch.
        return array_module(x).add.reduce(x, axis=dims, keepdims=keepdim) / n

    @staticmethod
    def backward(ctx, g):
        n = ctx.n
        return _unreduce(g / n if n else g, ctx.shape, ctx.dims, ctx.keepdim), None, None


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over ``dim`` (int or tuple; all dims when None); floating inputs only."""
    if dtype is not None:
        if _dt.to_numpy_dtype(dtype).kind != "f":
            raise RuntimeError(
                "mean(): could not infer output dtype. Optional dtype must be either a "
                f"floating point or complex dtype. Got: {scalar_name(_dt.to_numpy_dtype(dtype))}"
            )
        input = input.to(dtype)
    elif input._data.dtype.kind != "f":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {scalar_name(input._data.dtype)}"
        )
    return Mean.apply(input, _dims(dim, input._data.ndim), keepdim)


class Prod(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        y = array_module(x).multiply.reduce(x, axis=dims, keepdims=keepdim)
        ctx.save_for_backward(x, y)
        ctx.dims = dims
        ctx.keepdim = keepdim
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        shape, dims, keepdim = x._data.shape, ctx.dims, ctx.keepdim
        others = _prod_of_others(x, _kept(y, shape, dims, keepdim), dims)
        return _kept(g, shape, dims, keepdim) * others, None, None


def _first_true(mask, dims):
    """One-hot mask of the first True of each reduced slice (flattened order when dims=None)."""
    xp = array_module(mask)
    if dims is None:
        first = xp.zeros(mask.shape, bool)
        flat = mask.reshape(-1)
        if flat.size and flat.any():
            first.reshape(-1)[int(flat.argmax())] = True
        return first
    (d,) = dims
    idx = xp.argmax(mask, axis=d, keepdims=True)
    return _one_hot(idx, mask.shape, d) & mask


def _one_hot(idx, shape: tuple, d: int):
    """Bool array of ``shape``: True where the position along ``d`` equals ``idx`` (keepdim)."""
    xp = array_module(idx)
    pos = xp.arange(shape[d]).reshape((-1,) + (1,) * (len(shape) - d - 1))
    return xp.broadcast_to(pos == idx, shape)


def _prod_of_others(x: Tensor, out: Tensor, dims) -> Tensor:
    """For each element, the product of the other elements of its slice (``d prod / d x``).

    Without zeros this is ``out / x``. With zeros, the first zero of a slice gets the product
    of the rest; every other element's value is 0, written as ``x_zero * others(x with that
    zero set to 1)`` so that its own derivative stays exact when a graph is being built.
    """
    zero = x._data == 0
    if not zero.any():
        return out / x
    at = _make(_first_true(zero, dims))
    has_zero = _make(array_module(zero).any(zero, axis=dims, keepdims=True))
    x1 = where(at, 1.0, x)
    p1 = Prod.apply(x1, dims, True)
    if _grad_state.enabled:
        x_zero = (x * at).sum(dims, keepdim=True)
        rest = x_zero * _prod_of_others(x1, p1, dims)
    else:
        rest = x * 0.0  # exactly the value: these products contain a zero
    return where(at, p1, where(has_zero, rest, p1 / where(_make(zero), 1.0, x)))


def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product over one ``dim`` (all dims when None); gradient exact also at zeros."""
    if dtype is not None or input._data.dtype.kind != "f":
        input = _integral_to_long(input, dtype)
    dims = None if dim is None else _dims(_one_dim(dim, input._data.ndim, "prod"), input._data.ndim)
    return Prod.apply(input, dims, keepdim)


class Nansum(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        xp = array_module(x)
        nan = xp.isnan(x)
        ctx.keep = ~nan
        ctx.shape = x.shape
        ctx.dims = dims
        ctx.keepdim = keepdim
        return xp.add.reduce(xp.where(nan, 0, x), axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        return _kept(g, ctx.shape, ctx.dims, ctx.keepdim) * _make(ctx.keep), None, None


def nansum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum treating NaN as zero."""
    if dtype is not None or input._data.dtype.kind != "f":
        input = _integral_to_long(input, dtype)
        if input._data.dtype.kind != "f":
            return sum(input, dim, keepdim)
    return Nansum.apply(input, _dims(dim, input._data.ndim), keepdim)


# ----- max / min ----------------------------------------------------------------------------
class _EvenlySplit(ArrayFunction):
    """A value-picking full or dims reduction; ties share the gradient evenly (as PyTorch)."""

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        xd = x._data
        dims = ctx.dims
        xp = array_module(xd)
        yd = y._data if ctx.keepdim else y._data.reshape(_kept_shape(xd.shape, dims))
        hit = (xd == yd).astype(xd.dtype)
        weights = hit / xp.add.reduce(hit, axis=dims, keepdims=True)
        return _kept(g, xd.shape, dims, ctx.keepdim) * _make(weights), None, None


class Amax(_EvenlySplit):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        y = array_module(x).maximum.reduce(x, axis=dims, keepdims=keepdim)
        ctx.save_for_backward(x, y)
        ctx.dims = dims
        ctx.keepdim = keepdim
        return y


class Amin(_EvenlySplit):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        y = array_module(x).minimum.reduce(x, axis=dims, keepdims=keepdim)
        ctx.save_for_backward(x, y)
        ctx.dims = dims
        ctx.keepdim = keepdim
        return y


class Max(Amax):
    _node_name = "MaxBackward1"


class Min(Amin):
    _node_name = "MinBackward1"


class _SelectAlongDim(ArrayFunction):
    """Values picked at ``indices`` along one dim; only the picked element gets gradient."""

    @staticmethod
    def backward(ctx, g, gi):
        shape, dim = ctx.shape, ctx.dim
        picked = _make(_one_hot(ctx.index, shape, dim))
        return _kept(g, shape, (dim,), ctx.keepdim) * picked, None, None

    @staticmethod
    def _finish(ctx, x, idx, dim, keepdim):
        xp = array_module(x)
        values = xp.take_along_axis(x, idx, axis=dim)
        ctx.index = idx
        ctx.shape = x.shape
        ctx.dim = dim
        ctx.keepdim = keepdim
        if not keepdim:
            values = xp.squeeze(values, axis=dim)
            idx = xp.squeeze(idx, axis=dim)
        return values, idx


class MaxDim(_SelectAlongDim):
    _node_name = "MaxBackward0"

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        idx = array_module(x).argmax(x, axis=dim, keepdims=True).astype(np.int64, copy=False)
        return _SelectAlongDim._finish(ctx, x, idx, dim, keepdim)


class MinDim(_SelectAlongDim):
    _node_name = "MinBackward0"

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        idx = array_module(x).argmin(x, axis=dim, keepdims=True).astype(np.int64, copy=False)
        return _SelectAlongDim._finish(ctx, x, idx, dim, keepdim)


def _extremum(name, full_cls, dim_cls, result, elementwise, input, dim, keepdim):
    if isinstance(dim, Tensor):
        return elementwise(input, dim)
    if dim is None:
        _check_nonempty(name, input, None)
        return full_cls.apply(input, None, False)
    ndim = input._data.ndim
    d = _one_dim(dim, ndim, name)
    if ndim == 0:
        values, indices = dim_cls.apply(input.reshape(1), 0, False)
        return result(values, indices)
    _check_nonempty(name, input, (d,))
    return result(*dim_cls.apply(input, d, keepdim))


def max(input: Tensor, dim=None, keepdim: bool = False):
    """Largest value, named tuple ``(values, indices)`` along ``dim``, or ``maximum``.

    ``max(x)`` splits the gradient evenly among ties; ``max(x, dim)`` sends it to the picked
    index only; ``max(x, other)`` with a Tensor ``other`` is elementwise ``maximum``.
    """
    return _extremum("max", Max, MaxDim, _MaxResult, maximum, input, dim, keepdim)


def min(input: Tensor, dim=None, keepdim: bool = False):
    """``min(x)``, ``min(x, dim)`` -> ``(values, indices)``, or ``minimum(x, other)``."""
    return _extremum("min", Min, MinDim, _MinResult, minimum, input, dim, keepdim)


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Largest value over ``dim`` (int or tuple; all when empty); ties share the gradient."""
    dims = _dims(dim, input._data.ndim)
    _check_nonempty("amax", input, dims)
    return Amax.apply(input, dims, keepdim)


def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Smallest value over ``dim`` (int or tuple; all when empty); ties share the gradient."""
    dims = _dims(dim, input._data.ndim)
    _check_nonempty("amin", input, dims)
    return Amin.apply(input, dims, keepdim)


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False):
    """Named tuple ``(min, max)`` over one ``dim`` (all dims when None)."""
    if dim is None:
        if input._data.size == 0:
            raise RuntimeError(
                "aminmax(): cannot compute aminmax over an empty dimension as the operation "
                "has no identity."
            )
        dims = None
    else:
        dims = _dims(_one_dim(dim, input._data.ndim, "aminmax"), input._data.ndim)
        _check_nonempty("aminmax", input, dims, sep=":")
    return _AminmaxResult(Amin.apply(input, dims, keepdim), Amax.apply(input, dims, keepdim))


def _arg_extremum(name: str, fn: str, input: Tensor, dim, keepdim: bool) -> Tensor:
    if device_ctx[0]:  # computed outside any op: under the input's device
        return run_in_device(_arg_extremum, name, fn, input, dim, keepdim)
    x = input._data
    xp = array_module(x)
    if dim is None:
        if x.size == 0:
            raise IndexError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
            )
        idx = getattr(xp, fn)(x.reshape(-1))
        out = xp.asarray(idx, dtype=np.int64)
        return _make(out.reshape((1,) * x.ndim) if keepdim else out)
    d = _one_dim(dim, x.ndim, name)
    if x.ndim == 0:
        return _make(xp.zeros((), np.int64))
    _check_nonempty(name, input, (d,))
    return _make(xp.asarray(getattr(xp, fn)(x, axis=d, keepdims=keepdim), dtype=np.int64))


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the first largest value (of the flattened tensor when ``dim`` is None)."""
    return integer_result(
        _arg_extremum("argmax", "argmax", input, dim, keepdim), "argmax", 0, input
    )


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the first smallest value (of the flattened tensor when ``dim`` is None)."""
    return integer_result(
        _arg_extremum("argmin", "argmin", input, dim, keepdim), "argmin", 0, input
    )


# ----- median ---------------------------------------------------------------------------------
class Median(_EvenlySplit):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        xp = array_module(x)
        flat = x.reshape(-1)
        if flat.size == 0 or (x.dtype.kind == "f" and xp.isnan(flat).any()):
            y = xp.asarray(xp.nan, dtype=x.dtype)
        else:
            k = (flat.size - 1) // 2
            y = xp.partition(flat, k)[k]
        ctx.save_for_backward(x, y)
        ctx.dims = None
        ctx.keepdim = False
        return y


class MedianDim(_SelectAlongDim):
    _node_name = "MedianBackward1"

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        xp = array_module(x)
        k = (x.shape[dim] - 1) // 2
        order = xp.argsort(x, axis=dim, kind="stable")
        idx = xp.take(order, xp.asarray([k]), axis=dim).astype(np.int64, copy=False)
        if x.dtype.kind == "f":
            nan = xp.isnan(x)
            # A slice with NaN has median NaN, reported at its first NaN (as PyTorch does).
            idx = xp.where(
                nan.any(axis=dim, keepdims=True), xp.argmax(nan, axis=dim, keepdims=True), idx
            )
        return _SelectAlongDim._finish(ctx, x, idx, dim, keepdim)


def median(input: Tensor, dim: int | None = None, keepdim: bool = False):
    """Lower median of all elements, or named tuple ``(values, indices)`` along ``dim``."""
    if dim is None:
        return Median.apply(input, None, False)
    ndim = input._data.ndim
    d = _one_dim(dim, ndim, "median")
    if ndim == 0:
        return _MedianResult(*MedianDim.apply(input.reshape(1), 0, False))
    _check_nonempty("median", input, (d,))
    return _MedianResult(*MedianDim.apply(input, d, keepdim))


# ----- var / std --------------------------------------------------------------------------
def _squared_deviations(x, dims, n: int):
    xp = array_module(x)
    d = x - xp.add.reduce(x, axis=dims, keepdims=True) / n
    return d * d


class Var(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        n = _count(x.shape, dims)
        ctx.save_for_backward(x)
        ctx.dims = dims
        ctx.keepdim = keepdim
        ctx.dof = dof = n - correction
        ss = array_module(x).add.reduce(
            _squared_deviations(x, dims, n), axis=dims, keepdims=keepdim
        )
        # No degrees of freedom left: dividing by 0 gives inf or nan, as in PyTorch.
        return ss / builtins.max(0, dof)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        gk = _kept(g, x._data.shape, ctx.dims, ctx.keepdim)
        return _var_backward(x, gk, ctx.dims, ctx.dof), None, None, None


def _var_backward(x: Tensor, gk: Tensor, dims, dof) -> Tensor:
    scale = 2.0 / dof if dof > 0 else _INF
    return gk * scale * (x - x.mean(dims, keepdim=True))


class Std(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        n = _count(x.shape, dims)
        ctx.dims = dims
        ctx.keepdim = keepdim
        ctx.dof = dof = n - correction
        xp = array_module(x)
        ss = xp.add.reduce(_squared_deviations(x, dims, n), axis=dims, keepdims=keepdim)
        y = xp.sqrt(ss / builtins.max(0, dof))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        shape = x._data.shape
        gk = _kept(g, shape, ctx.dims, ctx.keepdim)
        yk = _kept(y, shape, ctx.dims, ctx.keepdim)
        zero = yk._data == 0
        if zero.any():
            # PyTorch's subgradient: a constant slice (std 0) gets zero gradient.
            z = _make(zero)
            gv = where(z, 0.0, gk / (2 * where(z, 1.0, yk)))
        else:
            gv = gk / (2 * yk)
        return _var_backward(x, gv, ctx.dims, ctx.dof), None, None, None


def _var_args(name: str, input: Tensor, dim, unbiased, keepdim, correction):
    """Parse PyTorch's two signatures: ``(dim, unbiased, keepdim)`` and ``correction=``."""
    if input._data.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if isinstance(dim, bool):  # var(x, False): the legacy positional ``unbiased``
        dim, unbiased = None, dim
    if correction is not None and unbiased is not None:
        raise RuntimeError(f"{name}: can't specify both correction and unbiased arguments")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return _dims(dim, input._data.ndim), correction, keepdim


def var(
    input: Tensor,
    dim=None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> Tensor:
    """Variance over ``dim``, dividing by ``N - correction``.

    ``correction`` defaults to 1 (Bessel's correction); the legacy ``unbiased=False`` means 0.
    """
    return Var.apply(input, *_var_args("var", input, dim, unbiased, keepdim, correction))


def std(
    input: Tensor,
    dim=None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> Tensor:
    """Standard deviation over ``dim``; ``correction`` and ``unbiased`` as in ``var``."""
    return Std.apply(input, *_var_args("std", input, dim, unbiased, keepdim, correction))


def var_mean(
    input: Tensor,
    dim=None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> tuple:
    """``(var, mean)`` over ``dim``."""
    dims, correction, keepdim = _var_args("var_mean", input, dim, unbiased, keepdim, correction)
    return Var.apply(input, dims, correction, keepdim), Mean.apply(input, dims, keepdim)


def std_mean(
    input: Tensor,
    dim=None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> tuple:
    """``(std, mean)`` over ``dim``."""
    dims, correction, keepdim = _var_args("std_mean", input, dim, unbiased, keepdim, correction)
    return Std.apply(input, dims, correction, keepdim), Mean.apply(input, dims, keepdim)


# ----- logsumexp and norms ----------------------------------------------------------------------
class Logsumexp(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        xp = array_module(x)
        # Shift by the max so exp never overflows; an infinite max shifts by 0 instead.
        m = xp.maximum.reduce(x, axis=dims, keepdims=True, initial=-_INF)
        m = xp.where(xp.isfinite(m), m, 0)
        y = xp.log(xp.add.reduce(xp.exp(x - m), axis=dims, keepdims=True)) + m
        if not keepdim:
            y = y.reshape(
                tuple(s for i, s in enumerate(x.shape) if dims is not None and i not in dims)
            )
        ctx.save_for_backward(x, y)
        ctx.dims = dims
        ctx.keepdim = keepdim
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        shape = x._data.shape
        dims, keepdim = ctx.dims, ctx.keepdim
        gk = _kept(g, shape, dims, keepdim)
        return gk * (x - _kept(y, shape, dims, keepdim)).exp(), None, None


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(input)))`` over ``dim``, computed without overflow."""
    input = _as_float(input)
    return Logsumexp.apply(input, _dims(dim, input._data.ndim), keepdim)


class LinalgVectorNorm(ArrayFunction):
    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        xp = array_module(x)
        if p == 2:
            y = xp.sqrt(xp.add.reduce(x * x, axis=dims, keepdims=keepdim))
        elif p == 0:
            y = xp.add.reduce((x != 0).astype(x.dtype), axis=dims, keepdims=keepdim)
        else:
            a = xp.abs(x)
            if p == 1:
                y = xp.add.reduce(a, axis=dims, keepdims=keepdim)
            elif p == _INF:
                y = xp.maximum.reduce(a, axis=dims, keepdims=keepdim)
            elif p == -_INF:
                y = xp.minimum.reduce(a, axis=dims, keepdims=keepdim)
            else:
                y = xp.add.reduce(a**p, axis=dims, keepdims=keepdim) ** (1.0 / p)
        ctx.save_for_backward(x, y)
        ctx.p = p
        ctx.dims = dims
        ctx.keepdim = keepdim
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        p, dims, keepdim = ctx.p, ctx.dims, ctx.keepdim
        shape = x._data.shape
        gk = _kept(g, shape, dims, keepdim)
        if p == 0:
            return gk * x * 0.0, None, None, None
        if p == 1:
            return gk * x.sign(), None, None, None
        if p == _INF or p == -_INF:
            xd = x._data
            xp = array_module(xd)
            yd = y._data if keepdim else y._data.reshape(_kept_shape(shape, dims))
            hit = (xp.abs(xd) == yd).astype(xd.dtype)
            weights = hit / xp.add.reduce(hit, axis=dims, keepdims=True)
            return gk * x.sign() * _make(weights), None, None, None
        yk = _kept(y, shape, dims, keepdim)
        y_zero = yk._data == 0
        if y_zero.any():
            # A zero norm has zero (sub)gradient: its slice is all zeros, so x / 1 = 0.
            yk = where(_make(y_zero), 1.0, yk)
        if p == 2:
            return gk * x / yk, None, None, None
        if p < 2:
            # |x|^(p-1) is singular at 0 where sign(x) = 0: keep every branch finite.
            x_zero = x._data == 0
            a = where(_make(x_zero), 1.0, x.abs()) if x_zero.any() else x.abs()
            scaled = x.sign() * a ** (p - 1)
        else:
            scaled = x * x.abs() ** (p - 2)
        return scaled * (gk / yk ** (p - 1)), None, None, None


def _check_nonempty_inf_norm(shape: tuple, p: float, dims) -> None:
    """max/min of |x| have no identity: an empty reduction raises, as in PyTorch."""
    if dims is None:
        raise RuntimeError(
            f"linalg.vector_norm cannot compute the {p} norm on an empty tensor because the "
            "operation does not have an identity"
        )
    for d in dims:
        if shape[d] == 0:
            raise RuntimeError(
                f"linalg.vector_norm cannot compute the {p} norm on the dimension {d} because "
                "this dimension is empty and the operation does not have an identity"
            )


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, out=None, dtype=None) -> Tensor:
    """Vector p-norm over ``dim`` (all dims when None).

    ``p`` is 'fro' (= 2), a number, ``inf`` or ``-inf``; ``p=0`` counts nonzeros. The
    gradient of a zero norm is 0 (PyTorch's subgradient).
    """
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            f"{scalar_name(input._data.dtype)}"
        )
    if p is None or p == "fro":
        p = 2
    elif isinstance(p, str):
        raise RuntimeError(f"norm(): p={p!r} (matrix norms) is not supported; use a number")
    dims = _dims(dim, input._data.ndim)
    if (p == _INF or p == -_INF) and input._data.size == 0:
        _check_nonempty_inf_norm(input._data.shape, p, dims)
    return LinalgVectorNorm.apply(input, p, dims, keepdim)


# ----- scans ----------------------------------------------------------------------------
class Cumsum(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim, reverse):
        ctx.dim = dim
        ctx.reverse = reverse
        xp = array_module(x)
        if reverse:
            return xp.flip(xp.cumsum(xp.flip(x, dim), axis=dim), dim)
        return xp.cumsum(x, axis=dim)

    @staticmethod
    def backward(ctx, g):
        # The transpose of a running sum is the running sum from the other end.
        return Cumsum.apply(g, ctx.dim, not ctx.reverse), None, None


class Cumprod(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim):
        y = array_module(x).cumprod(x, axis=dim)
        ctx.save_for_backward(x, y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return _cumprod_backward(x, y, g, ctx.dim), None


def _cumprod_backward(x: Tensor, y: Tensor, g: Tensor, dim: int) -> Tensor:
    """``grad_k = sum_{i>=k} g_i prod_{j<=i, j!=k} x_j`` without dividing by zero.

    Before the first zero of a slice it is ``revcumsum(g y)_k / x_k``; at the first zero,
    ``sum_{i>=k} g_i cumprod(x with that zero set to 1)_i``; after it, 0, written as
    ``x_zero * grad(x with that zero set to 1)`` when a graph is being built.
    """
    zero = x._data == 0
    if not zero.any():
        return Cumsum.apply(g * y, dim, True) / x
    xp = array_module(zero)
    shape = zero.shape
    first = xp.where(
        zero.any(axis=dim, keepdims=True), xp.argmax(zero, axis=dim, keepdims=True), shape[dim]
    )
    pos = xp.arange(shape[dim]).reshape((-1,) + (1,) * (len(shape) - dim - 1))
    before = _make(xp.broadcast_to(pos < first, shape))
    at = _make(xp.broadcast_to(pos == first, shape))
    x1 = where(at, 1.0, x)
    y1 = Cumprod.apply(x1, dim)
    grad_before = Cumsum.apply(g * y, dim, True) / where(before, x, 1.0)
    grad_at = (g * y1 * _make(pos >= first)).sum(dim, keepdim=True)
    if _grad_state.enabled:
        x_zero = (x * at).sum(dim, keepdim=True)
        grad_after = x_zero * _cumprod_backward(x1, y1, g, dim)
    else:
        grad_after = g * 0.0
    return where(before, grad_before, where(at, grad_at, grad_after))


def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running sum along ``dim``; bool/int inputs accumulate in int64."""
    if dtype is not None or input._data.dtype.kind != "f":
        input = _integral_to_long(input, dtype)
    d = _one_dim(dim, input._data.ndim, "cumsum")
    if input._data.ndim == 0:
        return Cumsum.apply(input.reshape(1), 0, False).reshape(())
    return Cumsum.apply(input, d, False)


def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running product along ``dim``; the gradient is exact also at zeros."""
    if dtype is not None or input._data.dtype.kind != "f":
        input = _integral_to_long(input, dtype)
    d = _one_dim(dim, input._data.ndim, "cumprod")
    if input._data.ndim == 0:
        return Cumprod.apply(input.reshape(1), 0).reshape(())
    return Cumprod.apply(input, d)


# ----- softmax ------------------------------------------------------------------------------
class Softmax(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim):
        xp = array_module(x)
        # Subtracting the max keeps exp in range for logits of any size.
        t = x - xp.maximum.reduce(x, axis=dim, keepdims=True, initial=-_INF)
        xp.exp(t, out=t)
        t /= xp.add.reduce(t, axis=dim, keepdims=True)
        ctx.save_for_backward(t)
        ctx.dim = dim
        return t

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return y * (g - (g * y).sum(ctx.dim, keepdim=True)), None


class LogSoftmax(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim):
        xp = array_module(x)
        t = x - xp.maximum.reduce(x, axis=dim, keepdims=True, initial=-_INF)
        t -= xp.log(xp.add.reduce(xp.exp(t), axis=dim, keepdims=True))
        ctx.save_for_backward(t)
        ctx.dim = dim
        return t

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g - y.exp() * g.sum(ctx.dim, keepdim=True), None


def _softmax(cls, name: str, kernel: str, input: Tensor, dim, dtype) -> Tensor:
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind != "f":
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for '{scalar_name(input._data.dtype)}'"
        )
    ndim = input._data.ndim
    d = _one_dim(dim, ndim, name)
    if ndim == 0:
        return cls.apply(input.reshape(1), 0).reshape(())
    return cls.apply(input, d)


def softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``, stable for large logits."""
    return _softmax(Softmax, "softmax", "softmax_lastdim_kernel_impl", input, dim, dtype)


def log_softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """``x - logsumexp(x)`` along ``dim``, stable for large logits."""
    return _softmax(LogSoftmax, "log_softmax", "log_softmax_lastdim_kernel_impl", input, dim, dtype)


# ----- logic and counting: never differentiable ----------------------------------------------
def _logical(ufunc: str, input: Tensor, dim, keepdim: bool) -> Tensor:
    if device_ctx[0]:  # computed outside any op: under the input's device
        return run_in_device(_logical, ufunc, input, dim, keepdim)
    x = input._data
    xp = array_module(x)
    out = getattr(xp, ufunc)(x, axis=_dims(dim, x.ndim), keepdims=keepdim)
    # Like PyTorch, uint8 inputs give uint8 results; everything else gives bool.
    return _make(xp.asarray(out, dtype=np.uint8 if x.dtype == np.uint8 else bool))


def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """True where every element over ``dim`` is nonzero."""
    return _logical("all", input, dim, keepdim)


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """True where some element over ``dim`` is nonzero."""
    return _logical("any", input, dim, keepdim)


def count_nonzero(input: Tensor, dim=None) -> Tensor:
    """Number of nonzero elements over ``dim`` (int64)."""
    if device_ctx[0]:  # computed outside any op: under the input's device
        return run_in_device(count_nonzero, input, dim)
    x = input._data
    xp = array_module(x)
    return _make(xp.asarray(xp.count_nonzero(x, axis=_dims(dim, x.ndim)), dtype=np.int64))


# ----- cummax / cummin, logcumsumexp, nanmean -----------------------------------------------
def _cum_extremum(name: str, ufunc: str, input: Tensor, dim: int):
    """Running max/min with the index of its latest occurrence (ties and NaN move it on,
    as PyTorch); the values are gathered there, so gradients reach those elements."""
    if device_ctx[0]:  # computed outside any op: under the input's device
        return run_in_device(_cum_extremum, name, ufunc, input, dim)
    x = input._data
    d = _one_dim(dim, x.ndim, name)
    xp = array_module(x)
    if x.ndim == 0:
        idx = xp.zeros((), np.int64)
    else:
        running = getattr(xp, ufunc).accumulate(x, axis=d)
        latest = x == running
        if x.dtype.kind == "f":
            latest |= xp.isnan(x)
        pos = xp.arange(x.shape[d], dtype=np.int64).reshape((-1,) + (1,) * (x.ndim - d - 1))
        idx = xp.maximum.accumulate(xp.where(latest, pos, 0), axis=d)
    values = Gather.apply(input, d, _make(idx))
    return RETURN_TYPES[name](values, integer_result(_make(idx), name, 1, input))


def cummax(input: Tensor, dim: int):
    """``(values, indices)`` of the running maximum along ``dim``."""
    return _cum_extremum("cummax", "maximum", input, dim)


def cummin(input: Tensor, dim: int):
    """``(values, indices)`` of the running minimum along ``dim``."""
    return _cum_extremum("cummin", "minimum", input, dim)


class Logcumsumexp(ArrayFunction):
    """``log(cumsum(exp(x)))`` by numpy's ``logaddexp.accumulate`` (no overflow)."""

    @staticmethod
    def forward(ctx, x, dim):
        y = array_module(x).logaddexp.accumulate(x, axis=dim)
        ctx.save_for_backward(x, y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        # dx_j = sum_{i >= j} g_i exp(x_j - y_i); x_j <= y_i there, so no term overflows. The
        # (i, j) pairs cost n^2 memory along dim, the price of a plain differentiable form.
        x, y = ctx.saved_tensors
        d = ctx.dim
        n = x._data.shape[d]
        xp = array_module(x._data)
        trailing = (1,) * (x._data.ndim - d - 1)
        ar = xp.arange(n)
        lower = _make((ar[:, None] >= ar[None, :]).reshape((n, n, *trailing)))
        exponent = where(lower, x.unsqueeze(d) - y.unsqueeze(d + 1), -_INF)
        return (g.unsqueeze(d + 1) * exponent.exp()).sum(d), None


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """``log(cumsum(exp(input)))`` along ``dim``, computed stably."""
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(
            f"\"logcumsumexp_out_cpu\" not implemented for '{scalar_name(x.dtype)}'"
        )
    d = _one_dim(dim, x.ndim, "logcumsumexp")
    if x.ndim == 0:
        return Logcumsumexp.apply(input.reshape(1), 0).reshape(())
    return Logcumsumexp.apply(input, d)


def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean of the non-NaN elements (NaN where there are none)."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            "nanmean(): expected input to have floating point or complex dtype but got "
            f"{scalar_name(input._data.dtype)}"
        )
    present = ~input.isnan()
    total = where(present, input, 0.0).sum(dim, keepdim=keepdim)
    return total / present.sum(dim, keepdim=keepdim)


METHOD_NAMES = [
    "cummax",
    "cummin",
    "logcumsumexp",
    "nanmean",
    "sum",
    "mean",
    "prod",
    "max",
    "min",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "var",
    "std",
    "var_mean",
    "std_mean",
    "logsumexp",
    "norm",
    "cumsum",
    "cumprod",
    "all",
    "any",
    "softmax",
    "log_softmax",
    "count_nonzero",
    "aminmax",
    "nansum",
    "median",
]
INPLACE_NAMES = ["cumsum", "cumprod"]
