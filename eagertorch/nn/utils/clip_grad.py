"""Gradient clipping: ``clip_grad_norm_``, ``clip_grad_value_`` and their two halves
``get_total_norm`` / ``clip_grads_with_norm_``, with PyTorch's semantics.

The norms are computed on the gradient arrays directly (no graph, BLAS dot products for the
2-norm); the gradients are scaled in place through Tensor ops so their version counters move.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..._backend import dtype as _dt
from ..._backend.device import array_module
from ..._tensor import Tensor, _make
from ...autograd.grad_mode import no_grad

__all__ = [
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
]


def _tensors(tensors) -> list:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _grads(parameters) -> list:
    return [p.grad for p in _tensors(parameters) if p.grad is not None]


def _vector_norm(a, p: float):
    """The ``p``-norm of an array viewed as a vector, as a 0-d array of its dtype."""
    xp = array_module(a)
    if a.size == 0:
        return xp.zeros((), a.dtype)
    flat = a.reshape(-1)
    if p == 2.0:
        return xp.sqrt(xp.dot(flat, flat))
    absolute = xp.abs(flat)
    if p == math.inf:
        return absolute.max()
    if p == -math.inf:
        return absolute.min()
    if p == 0.0:
        return xp.asarray(xp.count_nonzero(flat), a.dtype)
    if p == 1.0:
        return absolute.sum()
    return (absolute**p).sum() ** (1.0 / p)


def get_total_norm(
    tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None
) -> Tensor:
    """The ``norm_type``-norm of the norms of ``tensors`` (their norm as one long vector).

    A 0-d Tensor in the tensors' promoted dtype (the default dtype when there are none).
    """
    norm_type = float(norm_type)
    arrays = [t._data for t in _tensors(tensors)]
    if not arrays:
        return _make(np.zeros((), _dt.get_default_dtype().np))
    xp = array_module(arrays[0])
    dtype = np.result_type(*(a.dtype for a in arrays))
    norms = xp.stack([_vector_norm(a, norm_type).astype(dtype) for a in arrays])
    total = xp.asarray(_vector_norm(norms, norm_type), dtype)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return _make(total)


def clip_grads_with_norm_(parameters, max_norm: float, total_norm: Tensor, foreach=None) -> None:
    """Scale the gradients in place by ``min(1, max_norm / (total_norm + 1e-6))``."""
    grads = _grads(parameters)
    if not grads:
        return
    total = total_norm._data if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    xp = array_module(total)
    coef = xp.asarray(float(max_norm) / (total + 1e-6))  # in the norm's dtype, as PyTorch's
    if not coef < 1.0 and not bool(xp.isnan(coef)):
        return  # multiplying by 1 changes nothing
    with no_grad():
        for g in grads:
            g.mul_(_make(xp.asarray(coef, g._data.dtype)))


def clip_grad_norm_(
    parameters,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    """Rescale the gradients so that their total ``norm_type``-norm is at most ``max_norm``.

    Returns the total norm before clipping (a 0-d Tensor). ``norm_type`` may be ``inf``.
    """
    parameters = _tensors(parameters)
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_norm(
    parameters,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    """Deprecated spelling of ``clip_grad_norm_``."""
    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
        "`torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient, in place, to ``[-clip_value, clip_value]``."""
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)
