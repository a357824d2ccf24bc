"""``Size``: the tuple subclass that ``Tensor.shape`` returns."""

from __future__ import annotations

__all__ = ["Size"]


class Size(tuple):
    """A tensor shape: a tuple of ints with PyTorch's repr and ``numel()``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"eagertorch.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, key):
        r = tuple.__getitem__(self, key)
        return Size(r) if isinstance(key, slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, other))
