"""Every nn layer class, one module per family; this package only re-exports them."""

from . import (
    activation,
    batchnorm,
    container,
    conv,
    dropout,
    flatten,
    linear,
    loss,
    module,
    normalization,
    pooling,
    sparse,
    upsampling,
)
from .activation import *
from .batchnorm import *
from .container import *
from .conv import *
from .dropout import *
from .flatten import *
from .linear import *
from .loss import *
from .module import *
from .normalization import *
from .pooling import *
from .sparse import *
from .upsampling import *

__all__ = [
    name
    for family in (
        activation,
        batchnorm,
        container,
        conv,
        dropout,
        flatten,
        linear,
        loss,
        module,
        normalization,
        pooling,
        sparse,
        upsampling,
    )
    for name in family.__all__
]
