"""Every differentiable operation, one module per family; importing binds Tensor's methods."""

import warnings

from . import (
    conversion,
    creation,
    elementwise,
    indexing,
    linalg,
    methods,
    reduction,
    shape,
    sorting,
)
from .conversion import *
from .creation import *
from .elementwise import *
from .indexing import *
from .linalg import *
from .reduction import *
from .shape import *
from .sorting import *

__all__ = [
    name
    for module in (conversion, creation, elementwise, indexing, linalg, reduction, shape, sorting)
    for name in module.__all__
]

methods.bind()


def silence_floating_point_warnings() -> None:
    """Like PyTorch, ops give inf/nan silently instead of numpy's floating-point warnings.

    A warnings filter costs nothing until a warning fires (``np.errstate`` would cost ~1 us
    per op), and it only matches eagertorch's op modules, so user code is untouched.
    """
    warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"eagertorch\.(ops|nn)(\.|$)")


silence_floating_point_warnings()
