"""``F.embedding``, ``F.embedding_bag`` and ``F.one_hot``.

The lookup is one primitive (``ops/embedding.py``); bags compose it with sums, means and
maxima over each bag. Gradients are always dense (``sparse=True`` is accepted and ignored).
"""

from __future__ import annotations

import numpy as np

from ..._backend.device import array_module
from ..._tensor import Tensor, _make
from ...ops.embedding import Embedding
from ...ops.indexing import index_bounds

__all__ = ["embedding", "embedding_bag", "one_hot"]

_INDEX_KINDS = (np.dtype(np.int64), np.dtype(np.int32))


def _check_indices(indices: Tensor, name: str, fn: str) -> None:
    if indices._data.dtype not in _INDEX_KINDS:
        raise RuntimeError(
            f"Expected tensor for argument #1 '{name}' to have one of the following scalar "
            f"types: Long, Int; but got {indices.type()} instead (while checking arguments "
            f"for {fn})"
        )


def _check_in_range(idx, num: int) -> None:
    if not idx.size:
        return
    lo, hi = index_bounds(idx)
    if lo < 0 or hi >= num:
        raise IndexError("index out of range in self")


def _padding_index(padding_idx, num: int):
    if padding_idx is None:
        return None
    if padding_idx >= num or padding_idx < -num:
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx + num if padding_idx < 0 else padding_idx


def _renorm_(weight: Tensor, idx, max_norm: float, norm_type: float) -> None:
    """Rescale, in place, each looked-up row whose ``norm_type``-norm exceeds ``max_norm``."""
    w = weight._data
    xp = array_module(w)
    rows = xp.unique(idx.reshape(-1))
    picked = w[rows]
    a = xp.abs(picked)
    if norm_type == float("inf"):
        norms = a.max(1) if picked.shape[1] else xp.zeros(len(rows), w.dtype)
    else:
        norms = (a**norm_type).sum(1) ** (1.0 / norm_type)
    over = norms > max_norm
    if over.any():
        scale = (max_norm / (norms[over] + 1e-7)).astype(w.dtype)
        w[rows[over]] = picked[over] * scale[:, None]
        (weight._view[0] if weight._view is not None else weight)._version += 1


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows ``weight[input]`` (shape ``input.shape + (embedding_dim,)``).

    ``padding_idx``: that row gets no gradient. ``max_norm``: looked-up rows with a larger
    norm are first rescaled in place. ``scale_grad_by_freq``: gradients divided by how often
    each index occurs in the batch.
    """
    _check_indices(input, "indices", "embedding")
    if weight.ndim != 2:
        raise RuntimeError(f"'weight' must be 2-D, but got a {weight.ndim}-D tensor")
    num = weight.shape[0]
    padding_idx = _padding_index(padding_idx, num)
    idx = input._data
    _check_in_range(idx, num)
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    return Embedding.apply(weight, input, padding_idx, bool(scale_grad_by_freq))


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding: shape ``tensor.shape + (num_classes,)`` (-1: max + 1)."""
    idx = tensor._data
    if idx.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    xp = array_module(idx)
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(idx.max()) + 1
    if idx.size:
        if int(idx.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(idx.max()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    return _make((idx[..., None] == xp.arange(num_classes)).astype(np.int64))


def embedding_bag(
    input: Tensor,
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Sum, mean or max of the embeddings of each bag.

    Bags are the rows of a 2-D ``input``, or the runs of a 1-D ``input`` starting at
    ``offsets``. Entries equal to ``padding_idx`` are left out of their bag; empty bags give
    zeros. ``per_sample_weights`` (mode 'sum' only) scales each looked-up row.
    """
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(
                "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                "on the Pytorch GitHub."
            )
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(
                f"embedding_bag: If per_sample_weights ({tuple(per_sample_weights.shape)}) is "
                f"not None, then it must have the same shape as the input "
                f"({tuple(input.shape)})"
            )
    _check_indices(input, "indices", "embedding_bag")
    num, dim = weight.shape
    padding_idx = _padding_index(padding_idx, num)
    idx = input._data
    xp = array_module(idx)
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a "
                "mini-batch of fixed length sequences. However, found offsets of type "
                f"{offsets.type()}"
            )
        bags, length = idx.shape
        bag_of = xp.repeat(xp.arange(bags), length)
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        _check_indices(offsets, "offsets", "embedding_bag")
        starts = offsets._data
        bags = len(starts) - 1 if include_last_offset else len(starts)
        bag_of = xp.searchsorted(starts, xp.arange(idx.size), side="right") - 1
        if include_last_offset and bags > 0:
            # As PyTorch: entries past the last offset still belong to the last bag.
            bag_of = xp.minimum(bag_of, bags - 1)
    else:
        raise ValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}"
        )
    _check_in_range(idx, num)
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    flat = idx.reshape(-1)
    keep = (bag_of >= 0) & (bag_of < bags)
    if padding_idx is not None:
        keep &= flat != padding_idx
    flat, bag_of = flat[keep], bag_of[keep]
    counts = xp.bincount(bag_of, minlength=bags)[:bags] if bags else xp.zeros(0, np.int64)
    scale = bool(scale_grad_by_freq)
    if mode == "max":
        return _bag_max(weight, flat, bag_of, counts, bags)
    rows = Embedding.apply(weight, _make(flat), None, scale)
    if per_sample_weights is not None:
        w = per_sample_weights.reshape(-1)[_make(xp.flatnonzero(keep))]
        rows = rows * w.unsqueeze(1)
    out = weight.new_zeros((bags, dim)).index_add(0, _make(bag_of), rows)
    if mode == "mean":
        denom = xp.maximum(counts, 1).astype(weight._data.dtype)[:, None]
        out = out / _make(denom)
    return out


def _bag_max(weight: Tensor, flat, bag_of, counts, bags: int) -> Tensor:
    """Per-bag maxima through a (bags, longest bag) table of lookups; empty bags give 0.

    Only each maximum's row gets a gradient (never scaled by frequency, as PyTorch's).
    """
    xp = array_module(flat)
    longest = int(counts.max()) if bags and flat.size else 0
    first = xp.concatenate([xp.zeros(1, counts.dtype), xp.cumsum(counts)[:-1]]) if bags else counts
    pos = xp.arange(flat.size) - first[bag_of]
    table = xp.zeros((bags, max(longest, 1)), flat.dtype)
    present = xp.zeros((bags, max(longest, 1)), bool)
    table[bag_of, pos] = flat
    present[bag_of, pos] = True
    rows = Embedding.apply(weight, _make(table), None, False)
    rows = rows.masked_fill(_make(~present[..., None]), float("-inf"))
    best = rows.max(1).values
    return best.masked_fill(_make((counts == 0)[:, None]), 0.0)
