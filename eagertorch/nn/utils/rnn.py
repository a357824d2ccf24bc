"""Variable-length batches for recurrent layers: ``pad_sequence`` and ``PackedSequence``.

Packing and padding move rows with one gather each (an index computed from the lengths in
numpy), so they are differentiable, and cost a constant number of ops for any batch.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ... import ops
from ..._tensor import Tensor

__all__ = [
    "PackedSequence",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
]


class PackedSequence(
    namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])
):
    """Time-major rows of sorted sequences: step t holds ``batch_sizes[t]`` rows."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = _invert(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """The same packing with ``data`` moved or cast (the indices stay integer)."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else type(self)(data, *self[1:])

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda


def _invert(permutation: Tensor) -> Tensor:
    order = permutation.numpy()
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    return ops.as_tensor(inverse)


def _positions(lengths: np.ndarray, steps: int, batch_first: bool) -> np.ndarray:
    """Flat indices into a padded (T, B) or (B, T) grid of the rows, in packed order."""
    batch = lengths.size
    t, b = np.nonzero(np.arange(steps)[:, None] < lengths[None, :])  # row-major: time first
    return b * steps + t if batch_first else t * batch + b


def _place_rows(rows: Tensor, positions: np.ndarray, size: int, padding_value) -> Tensor:
    """``size`` rows: ``rows[k]`` at ``positions[k]``, ``padding_value`` elsewhere."""
    pad = ops.full((1, *rows.shape[1:]), padding_value, dtype=rows.dtype, device=rows.device)
    source = np.full(size, rows.shape[0])
    source[positions] = np.arange(rows.shape[0])
    return ops.cat([rows, pad])[source]


def _lengths_array(lengths) -> np.ndarray:
    if isinstance(lengths, Tensor):
        return lengths.numpy(force=True).astype(np.int64).reshape(-1)
    return np.asarray(lengths, dtype=np.int64).reshape(-1)


def pad_sequence(
    sequences, batch_first: bool = False, padding_value: float = 0.0, padding_side: str = "right"
) -> Tensor:
    """Stack (L_i, *) sequences into (T, B, *) (or (B, T, *)), padding each to the longest."""
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    trailing = sequences[0].shape[1:]
    for s in sequences[1:]:
        if s.shape[1:] != trailing:
            raise RuntimeError(
                f"pad_sequence: every sequence must have trailing shape {tuple(trailing)}, "
                f"got {tuple(s.shape)}"
            )
    lengths = np.array([s.shape[0] for s in sequences], dtype=np.int64)
    steps, batch = int(lengths.max()), lengths.size
    # Rows of sequence b go to times 0..L-1 (right) or T-L..T-1 (left).
    t = np.concatenate([np.arange(n) for n in lengths])
    b = np.repeat(np.arange(batch), lengths)
    if padding_side == "left":
        t = t + (steps - lengths)[b]
    positions = b * steps + t if batch_first else t * batch + b
    rows = ops.cat(sequences)
    out = _place_rows(rows, positions, steps * batch, padding_value)
    return out.reshape(*((batch, steps) if batch_first else (steps, batch)), *trailing)


def pack_padded_sequence(
    input: Tensor, lengths, batch_first: bool = False, enforce_sorted: bool = True
) -> PackedSequence:
    """Pack a padded (T, B, *) (or (B, T, *)) batch whose sequence b has ``lengths[b]`` steps."""
    lengths = _lengths_array(lengths)
    batch_dim = 0 if batch_first else 1
    steps, batch = input.shape[1 - batch_dim], input.shape[batch_dim]
    if lengths.size != batch:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.size} "
            f"(batch_size={batch})"
        )
    sorted_indices = None
    if enforce_sorted:
        if np.any(lengths[1:] > lengths[:-1]):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability."
            )
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = ops.as_tensor(order)
        input = input.index_select(batch_dim, sorted_indices)
    if lengths.size and lengths[-1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in "
            "'lengths' that is <= 0"
        )
    if lengths.size and lengths[0] > steps:
        raise RuntimeError(
            f"pack_padded_sequence: a length of {int(lengths[0])} exceeds the sequence "
            f"dimension of size {steps}"
        )
    data = input.flatten(0, 1)[_positions(lengths, steps, batch_first)]
    batch_sizes = (np.arange(int(lengths[0]))[:, None] < lengths[None, :]).sum(1)
    return PackedSequence(data, ops.as_tensor(batch_sizes), sorted_indices, None)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple:
    """The padded batch and the lengths of a PackedSequence, in the original batch order."""
    batch_sizes = sequence.batch_sizes.numpy().astype(np.int64)
    steps = batch_sizes.size
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{steps}"
            )
        steps = total_length
    batch = int(batch_sizes[0])
    lengths = (batch_sizes[:, None] > np.arange(batch)[None, :]).sum(0)
    data = sequence.data
    out = _place_rows(
        data, _positions(lengths, steps, batch_first), steps * batch, padding_value
    ).reshape(*((batch, steps) if batch_first else (steps, batch)), *data.shape[1:])
    if sequence.unsorted_indices is not None:
        unsorted = sequence.unsorted_indices
        out = out.index_select(0 if batch_first else 1, unsorted)
        lengths = lengths[unsorted.numpy()]
    return out, ops.as_tensor(lengths.astype(np.int64))


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of (L_i, *) sequences (``pad_sequence`` then ``pack_padded_sequence``)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)
