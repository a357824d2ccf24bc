"""eagertorch: a define-by-run autograd tensor library in pure Python, with PyTorch's API.

``import eagertorch as torch`` runs ordinary PyTorch tensor and autograd code on numpy
(CPU) or cupy (CUDA) arrays.
"""

from . import autograd, cuda, distributed, nn, ops, optim, utils, viz
from ._backend.device import device
from ._backend.dtype import (
    bool,
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    set_default_dtype,
    uint8,
)
from ._backend.random import Generator, default_generator, initial_seed, manual_seed, seed
from ._backend.size import Size
from ._functions import *
from ._printing import set_printoptions
from ._tensor import Tensor
from .autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)

# nn.functional ops that PyTorch also offers at the top level with the same signature
# (torch.batch_norm, torch.instance_norm, torch.embedding and the losses take other arguments)
from .nn.functional import (
    adaptive_avg_pool1d,
    avg_pool1d,
    bilinear,
    celu,
    channel_shuffle,
    conv1d,
    conv2d,
    conv_transpose1d,
    conv_transpose2d,
    cosine_similarity,
    group_norm,
    hardshrink,
    layer_norm,
    max_pool1d,
    max_pool2d,
    pairwise_distance,
    pixel_shuffle,
    pixel_unshuffle,
    prelu,
    rrelu,
    selu,
    threshold,
)
from .ops import *
from .ops.creation import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)
from .random import get_rng_state, set_rng_state
from .serialization import load, save

half = float16
float = float32
double = float64
short = int16
int = int32
long = int64

__version__ = "0.1.0"
