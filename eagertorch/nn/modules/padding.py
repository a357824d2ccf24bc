"""nn modules: constant, zero, reflection, replication and circular padding (see ``F.pad``).

One base class holds the padding (an int for every side, or a tuple stored as given, as
PyTorch's ``_ntuple`` does: a wrong length fails in ``F.pad`` at the call); a family class
per mode adds what differs, and ``_family`` makes its 1d, 2d and 3d classes, which differ
only in the number of padded dims.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..._tensor import Tensor
from .. import functional as F
from .module import Module

__all__ = [
    "CircularPad1d",
    "CircularPad2d",
    "CircularPad3d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ConstantPad3d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReflectionPad3d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ReplicationPad3d",
    "ZeroPad1d",
    "ZeroPad2d",
    "ZeroPad3d",
]


class _PadNd(Module):
    """Pads the last ``_dims`` dims with ``F.pad(input, padding, _mode)``."""

    _dims: int
    _mode: str

    def __init__(self, padding) -> None:
        super().__init__()
        if isinstance(padding, Iterable):
            self.padding = tuple(padding)
        else:
            self.padding = (padding,) * (2 * self._dims)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    _mode = "constant"

    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd:
    """Constant padding with 0.0, shown like the other modes (PyTorch's ``ZeroPad*d``
    subclass ``ConstantPad*d``)."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    extra_repr = _PadNd.extra_repr


class _ReflectionPadNd(_PadNd):
    _mode = "reflect"


class _ReplicationPadNd(_PadNd):
    _mode = "replicate"


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input: Tensor) -> Tensor:
        # The only family that checks the input's dims itself, with a ValueError.
        if input.ndim not in (self._dims + 1, self._dims + 2):
            raise ValueError(
                f"expected {self._dims + 1}D or {self._dims + 2}D input (got {input.ndim}D input)"
            )
        return super().forward(input)


def _family(name: str, doc: str, bases) -> tuple:
    """The 1d, 2d and 3d classes ``{name}{n}d`` of one mode; ``bases(n)`` are their bases.

    ``doc`` is formatted with ``dims``: "dim", "2 dims" or "3 dims".
    """
    return tuple(
        type(
            f"{name}{n}d",
            bases(n),
            {
                "_dims": n,
                "__doc__": doc.format(dims="dim" if n == 1 else f"{n} dims"),
                "__module__": __name__,
            },
        )
        for n in (1, 2, 3)
    )


ConstantPad1d, ConstantPad2d, ConstantPad3d = _family(
    "ConstantPad", "Pads the last {dims} with ``value``.", lambda n: (_ConstantPadNd,)
)
_CONSTANT = (ConstantPad1d, ConstantPad2d, ConstantPad3d)
ZeroPad1d, ZeroPad2d, ZeroPad3d = _family(
    "ZeroPad", "Pads the last {dims} with zeros.", lambda n: (_ZeroPadNd, _CONSTANT[n - 1])
)
ReflectionPad1d, ReflectionPad2d, ReflectionPad3d = _family(
    "ReflectionPad",
    "Pads the last {dims} with the mirror image (the edge is not repeated).",
    lambda n: (_ReflectionPadNd,),
)
ReplicationPad1d, ReplicationPad2d, ReplicationPad3d = _family(
    "ReplicationPad",
    "Pads the last {dims} by repeating the edge values.",
    lambda n: (_ReplicationPadNd,),
)
CircularPad1d, CircularPad2d, CircularPad3d = _family(
    "CircularPad",
    "Pads the last {dims} by wrapping around (periodic boundary).",
    lambda n: (_CircularPadNd,),
)
