"""Embedding lookup: rows of a weight matrix picked by integer indices.

``Embedding`` gathers rows (forward) and scatters the output gradient back into a dense
weight gradient (``EmbeddingDenseBackward``, itself differentiable: its backward is the
lookup again), skipping ``padding_idx`` and optionally dividing by index frequency.
Reached through ``nn.functional.embedding``, which checks the arguments.
"""

from __future__ import annotations

import numpy as np

from .._backend.device import array_module
from ..autograd.function import ArrayFunction

__all__: list[str] = []


def _scatter_rows(out, idx, rows) -> None:
    """``out[idx] += rows`` with repeated indices accumulating.

    On numpy, a 1-D ``add.at`` over flat element offsets: several times faster than
    ``add.at`` with a row index (which takes numpy's slow per-row path).
    """
    if type(out) is np.ndarray:
        d = out.shape[1]
        flat = (idx[:, None] * d + np.arange(d)).reshape(-1)
        np.add.at(out.reshape(-1), flat, rows.reshape(-1))
    elif not hasattr(out, "__cuda_array_interface__"):  # a numpy-like device array
        array_module(out).add.at(out, idx, rows)
    else:
        import cupyx

        cupyx.scatter_add(out, idx, rows)


def _grad_factor(idx, num_weights: int, padding_idx, scale_grad_by_freq: bool, dtype):
    """Per-lookup multiplier of the gradient (0 at padding, 1/count when scaling), or None."""
    if padding_idx is None and not scale_grad_by_freq:
        return None
    xp = array_module(idx)
    factor = xp.ones(idx.shape, dtype)
    if scale_grad_by_freq:
        counts = xp.bincount(idx.reshape(-1), minlength=num_weights)
        factor /= counts[idx].astype(dtype)
    if padding_idx is not None:
        factor[idx == padding_idx] = 0
    return factor[..., None]


class Embedding(ArrayFunction):
    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        ctx.num_weights = weight.shape[0]
        ctx.padding_idx = padding_idx
        ctx.scale = scale_grad_by_freq
        ctx.save_for_backward(indices)
        return array_module(weight).take(weight, indices, axis=0)

    @staticmethod
    def backward(ctx, g):
        (indices,) = ctx.saved_tensors
        gw = EmbeddingDenseBackward.apply(g, indices, ctx.num_weights, ctx.padding_idx, ctx.scale)
        return gw, None, None, None


class EmbeddingDenseBackward(ArrayFunction):
    """The weight gradient of a lookup: ``g``'s rows summed into the rows they came from."""

    @staticmethod
    def forward(ctx, g, indices, num_weights, padding_idx, scale_grad_by_freq):
        d = g.shape[-1]
        idx = indices.reshape(-1)
        rows = g.reshape(idx.size, d)
        factor = _grad_factor(indices, num_weights, padding_idx, scale_grad_by_freq, g.dtype)
        if factor is not None:
            rows = rows * factor.reshape(-1, 1)
        ctx.save_for_backward(indices, factor)
        out = array_module(g).zeros((num_weights, d), g.dtype)
        _scatter_rows(out, idx, rows)
        return out

    @staticmethod
    def backward(ctx, gg):
        indices, factor = ctx.saved_tensors
        gi = Embedding.apply(gg, indices, None, False)
        return (gi if factor is None else gi * factor), None, None, None, None
