"""Every differentiable operation, one module per family; importing binds Tensor's methods."""

import warnings

from . import conversion, creation, elementwise, indexing, linalg, methods, reduction, shape
from .conversion import *
from .creation import *
from .elementwise import *
from .indexing import *
from .linalg import *
from .reduction import *
from .shape import *

__all__ = [
    name
    for module in (conversion, creation, elementwise, indexing, linalg, reduction, shape)
    for name in module.__all__
]

methods.bind()

# Like PyTorch, ops return inf/nan silently instead of numpy's floating-point warnings. The
# filter only matches warnings raised from eagertorch's op modules, so user code is untouched.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"eagertorch\.(ops|nn)(\.|$)")
