"""``eagertorch.nn``: Modules, Parameters, layers, losses, ``functional`` and ``init``."""

from . import functional, init, parallel, utils
from .modules import *
from .parameter import Parameter
