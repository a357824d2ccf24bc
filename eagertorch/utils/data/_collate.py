"""Collation: ``default_collate`` merges a list of samples into a batch, ``default_convert``
turns numpy data into Tensors without batching (used when automatic batching is off).

Like PyTorch: Tensors and numpy arrays are stacked along a new first dimension, Python ints
become an int64 tensor (of the default float dtype if a later sample is a float: the dtype
is inferred from the whole batch, as ``torch.tensor(batch)``), Python floats a **float64**
tensor, bools a bool tensor, strings and bytes stay a list, and tuples/lists/dicts/
namedtuples are collated field by field (a tuple of fields comes back as a list). Stacking
is done on the arrays, so a batch never records an autograd node (PyTorch's in-process
``torch.stack`` would, for samples that require grad).
"""

from __future__ import annotations

import collections.abc
import copy
import re

import numpy as np

from ..._backend.device import array_module
from ..._tensor import Tensor, _make, array_from_data

__all__ = ["default_collate", "default_convert"]

_np_str_obj_array_pattern = re.compile(r"[SaUO]")
_ERR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _stack(arrays: list):
    """The arrays stacked on a new first axis (numpy or cupy), with ``torch.stack``'s error."""
    first = arrays[0].shape
    for i, a in enumerate(arrays):
        if a.shape != first:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(first)} at entry 0 "
                f"and {list(a.shape)} at entry {i}"
            )
    return array_module(arrays[0]).stack(arrays)


def default_convert(data):
    """numpy arrays and scalars (also inside tuples/lists/dicts) to Tensors; the rest unchanged."""
    if isinstance(data, Tensor):
        return data
    elem_type = type(data)
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "bytes_"):
        if isinstance(data, np.ndarray) and _np_str_obj_array_pattern.search(data.dtype.str):
            return data
        return _make(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update({key: default_convert(data[key]) for key in data})
                return clone
            return elem_type({key: default_convert(data[key]) for key in data})
        except TypeError:
            return {key: default_convert(data[key]) for key in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = default_convert(d)
                return clone
            return elem_type([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def default_collate(batch):
    """Merge a list of samples into a batch with a new leading dimension (see module doc)."""
    elem = batch[0]
    elem_type = type(elem)
    if isinstance(elem, Tensor):
        return _make(_stack([t._data for t in batch]))
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "bytes_"):
        if isinstance(elem, np.ndarray):
            if _np_str_obj_array_pattern.search(elem.dtype.str) is not None:
                raise TypeError(_ERR.format(elem.dtype))
            return _make(_stack([np.asarray(b) for b in batch]))
        if elem.shape == ():  # numpy scalar
            return _make(np.asarray(batch))
    if isinstance(elem, float):
        return _make(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, int):  # and bool: dtype inferred from all, as torch.tensor(batch)
        return _make(array_from_data(batch, copy=False))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update({key: default_collate([d[key] for d in batch]) for key in elem})
                return clone
            return elem_type({key: default_collate([d[key] for d in batch]) for key in elem})
        except TypeError:
            return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if not all(len(e) == size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [default_collate(samples) for samples in transposed]
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, samples in enumerate(transposed):
                    clone[i] = default_collate(samples)
                return clone
            return elem_type([default_collate(samples) for samples in transposed])
        except TypeError:
            return [default_collate(samples) for samples in transposed]
    raise TypeError(_ERR.format(elem_type))
