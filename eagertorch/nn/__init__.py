"""``eagertorch.nn``: Modules, Parameters, layers, losses, ``functional`` and ``init``."""

from . import functional, init, utils
from .modules import *
from .parameter import Parameter
