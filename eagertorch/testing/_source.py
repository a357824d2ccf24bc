"""Tensors as Python source (``eagertorch.tensor([...], dtype=...)``) for failure reports.

``repr(tensor)`` rounds to four digits and summarises big tensors; a counterexample must
instead paste back into a test and reproduce the failure bit for bit.
"""

from __future__ import annotations

import math

import numpy as np

from .._backend import dtype as _dt
from .._tensor import Tensor

__all__ = ["tensor_source", "value_source"]


def _scalar(x) -> str:
    """Shortest text that reads back as the same value of the same numpy type."""
    if isinstance(x, np.floating):
        if math.isnan(x):
            return 'float("nan")'
        if math.isinf(x):
            return 'float("inf")' if x > 0 else '-float("inf")'
        return str(x) if "e" in str(x) or "." in str(x) else f"{x}.0"
    if isinstance(x, np.bool_):
        return "True" if x else "False"
    return str(int(x))


def _nested(a: np.ndarray) -> str:
    if a.ndim == 0:
        return _scalar(a[()])
    return "[" + ", ".join(_nested(row) for row in a) + "]"


def _strided_layout(a: np.ndarray):
    """How a non-contiguous array was made, as (source array, suffix), if it is one of the
    layouts the strategies draw: transposed storage, or every other element along a dim."""
    if a.flags.c_contiguous:
        return None
    if a.flags.f_contiguous:
        dims = ", ".join(str(d) for d in reversed(range(a.ndim)))
        return a.transpose(), f".permute({dims})"
    base = a.base
    if base is None or base.ndim != a.ndim or not base.flags.c_contiguous:
        return None
    if a.__array_interface__["data"][0] != base.__array_interface__["data"][0]:
        return None
    for d in range(a.ndim):
        doubled = (*a.shape[:d], 2 * a.shape[d], *a.shape[d + 1 :])
        skipping = (*base.strides[:d], 2 * base.strides[d], *base.strides[d + 1 :])
        if base.shape == doubled and a.strides == skipping:
            return base, "[" + ":, " * d + "::2]"
    return None


def tensor_source(t: Tensor) -> str:
    """``eagertorch.tensor([...])`` text that rebuilds ``t`` exactly: values, dtype, device,
    ``requires_grad`` and the strided layouts that ``strategies.tensors`` draws."""
    a = t.detach()._host()
    kind = a.dtype.kind
    if a.size == 0 or kind == "f":
        inferred = _dt.get_default_dtype()
    else:
        inferred = _dt.bool if kind == "b" else _dt.int64
    options = "" if t.dtype is inferred else f", dtype={t.dtype!r}"
    if t.device.type != "cpu":
        options += f', device="{t.device}"'
    grad = ".requires_grad_()" if t.requires_grad else ""
    layout = _strided_layout(t._data) if t.device.type == "cpu" else None
    if layout is not None:
        source, suffix = layout
        return f"eagertorch.tensor({_nested(source)}{options}){suffix}{grad}"
    if t.requires_grad:
        options += ", requires_grad=True"
    if a.size == 0 and a.ndim != 1:
        return f"eagertorch.zeros({tuple(a.shape)}{options})"
    return f"eagertorch.tensor({_nested(a)}{options})"


def value_source(x) -> str:
    """Source text for a tensor, or a (nested) tuple/list/dict of them; ``repr`` otherwise."""
    if isinstance(x, Tensor):
        return tensor_source(x)
    if isinstance(x, np.ndarray):
        return f"numpy.array({_nested(x)}, dtype=numpy.{x.dtype})"
    if isinstance(x, tuple):
        inner = ", ".join(value_source(v) for v in x)
        return f"({inner},)" if len(x) == 1 else f"({inner})"
    if isinstance(x, list):
        return "[" + ", ".join(value_source(v) for v in x) + "]"
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k!r}: {value_source(v)}" for k, v in x.items()) + "}"
    return repr(x)
