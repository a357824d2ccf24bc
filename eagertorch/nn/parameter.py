"""``Parameter``: a Tensor that a Module registers as one of its learnable weights."""

from __future__ import annotations

from .._tensor import Tensor


class Parameter(Tensor):
    """A leaf Tensor, ``requires_grad=True`` by default, sharing memory with ``data``.

    Assigning one to a Module attribute registers it; results of operations on it are
    plain Tensors, as in PyTorch.
    """

    __slots__ = ()

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        if data is None:
            Tensor.__init__(self)
        elif not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): data must be a Tensor, got {type(data).__name__}")
        else:
            Tensor.__init__(self)
            self._data = data._data
        if requires_grad and not self.is_floating_point():
            raise RuntimeError("Only Tensors of floating point dtype can require gradients")
        self._requires_grad = bool(requires_grad)

    def __new__(cls, data=None, requires_grad=True):
        return Tensor.__new__(cls)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
