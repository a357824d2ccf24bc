"""Reductions over dims (sum, mean, max, var, norm, ...), scans, and softmax."""

from __future__ import annotations

import numpy as np

from .._backend.device import array_module
from .._tensor import Tensor, _wrap_dim
from ..autograd.function import ArrayFunction

__all__ = ["sum"]


def _dims(dim, ndim: int) -> tuple | None:
    if dim is None:
        return None
    if isinstance(dim, int):
        dim = (dim,)
    return tuple(sorted(_wrap_dim(d, ndim) for d in dim))


class Sum(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape = x.shape
        ctx.dims = dims
        ctx.keepdim = keepdim
        return array_module(x).add.reduce(x, axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        if not ctx.keepdim and ctx.dims is not None:
            g = g.reshape(tuple(1 if i in ctx.dims else s for i, s in enumerate(ctx.shape)))
        elif not ctx.keepdim:
            g = g.reshape((1,) * len(ctx.shape))
        return g.expand(ctx.shape), None, None


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A001
    """Sum over ``dim`` (int or tuple; all dims when None). Bool/int sums give int64."""
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind in "bi" and input._data.dtype != np.int64:
        input = input.to(np.int64)
    return Sum.apply(input, _dims(dim, input._data.ndim), keepdim)


def mean(*args, **kwargs):
    raise NotImplementedError("mean")


def prod(*args, **kwargs):
    raise NotImplementedError("prod")


def max(*args, **kwargs):
    raise NotImplementedError("max")


def min(*args, **kwargs):
    raise NotImplementedError("min")


def amax(*args, **kwargs):
    raise NotImplementedError("amax")


def amin(*args, **kwargs):
    raise NotImplementedError("amin")


def argmax(*args, **kwargs):
    raise NotImplementedError("argmax")


def argmin(*args, **kwargs):
    raise NotImplementedError("argmin")


def var(*args, **kwargs):
    raise NotImplementedError("var")


def std(*args, **kwargs):
    raise NotImplementedError("std")


def var_mean(*args, **kwargs):
    raise NotImplementedError("var_mean")


def std_mean(*args, **kwargs):
    raise NotImplementedError("std_mean")


def logsumexp(*args, **kwargs):
    raise NotImplementedError("logsumexp")


def norm(*args, **kwargs):
    raise NotImplementedError("norm")


def cumsum(*args, **kwargs):
    raise NotImplementedError("cumsum")


def cumprod(*args, **kwargs):
    raise NotImplementedError("cumprod")


def all(*args, **kwargs):
    raise NotImplementedError("all")


def any(*args, **kwargs):
    raise NotImplementedError("any")


def softmax(*args, **kwargs):
    raise NotImplementedError("softmax")


def log_softmax(*args, **kwargs):
    raise NotImplementedError("log_softmax")


def count_nonzero(*args, **kwargs):
    raise NotImplementedError("count_nonzero")


def aminmax(*args, **kwargs):
    raise NotImplementedError("aminmax")


def nansum(*args, **kwargs):
    raise NotImplementedError("nansum")


def median(*args, **kwargs):
    raise NotImplementedError("median")


METHOD_NAMES = ['sum', 'mean', 'prod', 'max', 'min', 'amax', 'amin', 'argmax', 'argmin', 'var', 'std', 'var_mean', 'std_mean', 'logsumexp', 'norm', 'cumsum', 'cumprod', 'all', 'any', 'softmax', 'log_softmax', 'count_nonzero', 'aminmax', 'nansum', 'median']
INPLACE_NAMES = ["cumsum", "cumprod"]
