"""Top-level functions that are Tensor methods too (``eagertorch.flatten(x)``) and tests."""

from __future__ import annotations

from . import ops
from ._tensor import Tensor
from .ops.methods import METHODS

__all__ = ["is_floating_point", "is_nonzero", "is_tensor", "numel"]


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:
    return input.is_floating_point()


def is_nonzero(input: Tensor) -> bool:
    return bool(input)


def numel(input: Tensor) -> int:
    return input.numel()


# Methods that PyTorch also offers as functions taking the tensor first (method-only names,
# and names whose function form differs, such as ``where``, are left out).
_METHOD_ONLY = {
    "to",
    "type",
    "type_as",
    "cpu",
    "cuda",
    "float",
    "double",
    "half",
    "long",
    "int",
    "short",
    "char",
    "byte",
    "bool",
    "where",
    "view",
    "view_as",
    "expand",
    "expand_as",
    "repeat",
    "new_zeros",
    "new_ones",
    "new_empty",
    "new_full",
    "new_tensor",
    "contiguous",
    "reshape_as",
    "unfold",
}
_g = globals()
for _name, _fn in METHODS.items():
    if (
        not _name.startswith("_")
        and not _name.endswith("_")
        and _name not in _METHOD_ONLY
        and not hasattr(ops, _name)
    ):
        _g[_name] = _fn
        __all__.append(_name)
del _g, _name, _fn
