"""Every differentiable operation, one module per family; importing binds Tensor's methods."""

import warnings

from . import methods
from .conversion import *
from .creation import *
from .elementwise import *
from .indexing import *
from .linalg import *
from .reduction import *
from .shape import *

methods.bind()

# Like PyTorch, ops return inf/nan silently instead of numpy's floating-point warnings. The
# filter only matches warnings raised from eagertorch's op modules, so user code is untouched.
warnings.filterwarnings(
    "ignore", category=RuntimeWarning, module=r"eagertorch\.(ops|nn)(\.|$)"
)
