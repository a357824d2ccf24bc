"""Hypothesis strategies for tensors, shapes and dtypes (used by eagertorch's own tests too)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .._backend import dtype as _dt
from .._tensor import Tensor, _make

__all__ = ["arrays", "axes", "broadcastable_shapes", "dtypes", "shapes", "tensors"]


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 0, max_side: int = 4):
    """Array shapes, including size-0 and size-1 dims by default."""
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def broadcastable_shapes(
    n: int, min_dims: int = 0, max_dims: int = 3, min_side: int = 0, max_side: int = 4
):
    """``n`` shapes that broadcast together (a tuple of tuples)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=n,
        min_dims=min_dims,
        max_dims=max_dims,
        min_side=min_side,
        max_side=max_side,
    ).map(lambda r: r.input_shapes)


def dtypes(floating: bool = True, integer: bool = False, bool_: bool = False, half: bool = False):
    """eagertorch dtypes of the requested kinds."""
    choices = []
    if floating:
        choices += [_dt.float32, _dt.float64] + ([_dt.float16] if half else [])
    if integer:
        choices += [_dt.int64, _dt.int32, _dt.int16, _dt.int8, _dt.uint8]
    if bool_:
        choices.append(_dt.bool)
    return st.sampled_from(choices)


def arrays(dtype, shape, low: float = -10.0, high: float = 10.0):
    """numpy arrays of ``dtype`` (eagertorch or numpy) with finite values in [low, high]."""
    npd = dtype.np if isinstance(dtype, _dt.dtype) else np.dtype(dtype)
    if npd.kind == "f":
        elements = st.floats(
            low, high, allow_nan=False, allow_infinity=False, width=min(64, 8 * npd.itemsize)
        )
    elif npd.kind == "b":
        elements = st.booleans()
    else:
        info = np.iinfo(npd)
        elements = st.integers(max(int(low), info.min), min(int(high), info.max))
    return hnp.arrays(npd, shape, elements=elements)


def tensors(
    shape=None, dtype=None, low: float = -10.0, high: float = 10.0, requires_grad: bool = False
):
    """Tensors with the given (or drawn) shape and dtype and finite values in [low, high]."""
    shape_st = shapes() if shape is None else st.just(tuple(shape))
    dtype_st = dtypes() if dtype is None else st.just(dtype)

    @st.composite
    def build(draw):
        d = draw(dtype_st)
        a = draw(arrays(d, draw(shape_st), low, high))
        t = _make(a)
        if requires_grad and a.dtype.kind == "f":
            t.requires_grad_(True)
        return t

    return build()


def axes(ndim: int, min_size: int = 1, max_size: int | None = None, negative: bool = True):
    """A tuple of distinct dims of an ``ndim``-dim tensor (possibly negative)."""
    if ndim == 0:
        return st.just(())
    dim = st.integers(-ndim if negative else 0, ndim - 1)
    return st.lists(
        dim, min_size=min_size, max_size=max_size or ndim, unique_by=lambda d: d % ndim
    ).map(tuple)


st.register_type_strategy(Tensor, tensors())
