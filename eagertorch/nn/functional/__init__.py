"""``eagertorch.nn.functional`` (``F``): the stateless functions behind the nn layers.

One module per family; this package only re-exports them. (``F.linear`` is the function:
the star imports come after the family imports, which they shadow where names coincide.)
"""

from . import activation as _activation
from . import attention as _attention
from . import conv as _conv
from . import distance as _distance
from . import dropout as _dropout
from . import linear as _linear
from . import loss as _loss
from . import normalization as _normalization
from . import pooling as _pooling
from . import sparse as _sparse
from . import vision as _vision
from .activation import *
from .attention import *
from .conv import *
from .distance import *
from .dropout import *
from .linear import *
from .loss import *
from .normalization import *
from .pooling import *
from .sparse import *
from .vision import *

__all__ = [
    name
    for family in (
        _activation,
        _attention,
        _conv,
        _distance,
        _dropout,
        _linear,
        _loss,
        _normalization,
        _pooling,
        _sparse,
        _vision,
    )
    for name in family.__all__
]
