"""``Variable``: the pre-0.4 wrapper, kept as a thin alias so old tutorials run."""

from __future__ import annotations

from .._tensor import Tensor, _make

__all__ = ["Variable"]


class _VariableMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(t, requires_grad=True)`` returns a Tensor sharing ``t``'s data."""

    def __new__(cls, data: Tensor, requires_grad: bool = False, volatile: bool = False):
        t = _make(data._data)
        t.requires_grad_(requires_grad)
        return t
