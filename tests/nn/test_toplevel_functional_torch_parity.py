"""nn.functional ops that PyTorch also offers at the top level (``torch.conv2d``...): the same
function under both names, and the same results as PyTorch's top-level ops called
positionally, as scripts call them."""

import numpy as np
import pytest

import eagertorch as et
import eagertorch.nn.functional as F

torch = pytest.importorskip("torch")

_R = np.random.default_rng(0)


def _a(*shape):
    return _R.standard_normal(shape)


# name -> positional arguments (arrays become tensors of both libraries)
CASES = {
    "conv1d": (_a(2, 3, 9), _a(4, 3, 3), _a(4), 2, 1),
    "conv2d": (_a(2, 3, 7, 6), _a(4, 3, 3, 2), _a(4), 1, 1, 1, 1),
    "conv_transpose1d": (_a(2, 3, 5), _a(3, 2, 3), _a(2), 2),
    "conv_transpose2d": (_a(1, 3, 4, 4), _a(3, 2, 3, 3), None, 2, 1, 1),
    "max_pool1d": (_a(2, 3, 9), 3, 2),
    "max_pool2d": (_a(2, 3, 7, 7), 2, 2, 1),
    "avg_pool1d": (_a(2, 3, 9), 3, 2, 1, False, False),
    "adaptive_avg_pool1d": (_a(2, 3, 10), 4),
    "selu": (_a(3, 4),),
    "celu": (_a(3, 4), 0.7),
    "prelu": (_a(2, 3, 4), np.array([0.1, 0.2, 0.3])),
    "rrelu": (_a(3, 4), 0.1, 0.3),
    "hardshrink": (_a(3, 4), 0.4),
    "threshold": (_a(3, 4), 0.2, -1.0),
    "pixel_shuffle": (_a(1, 8, 2, 3), 2),
    "pixel_unshuffle": (_a(1, 2, 4, 6), 2),
    "channel_shuffle": (_a(1, 6, 2, 2), 3),
    "cosine_similarity": (_a(3, 5), _a(3, 5), 1),
    "pairwise_distance": (_a(3, 5), _a(3, 5), 1.5),
    "bilinear": (_a(3, 4), _a(3, 5), _a(2, 4, 5), _a(2)),
    "layer_norm": (_a(2, 3, 4), [3, 4], _a(3, 4), _a(3, 4), 1e-3),
    "group_norm": (_a(2, 6, 3), 3, _a(6), _a(6), 1e-3),
}


def _convert(lib, arg):
    return lib.tensor(arg) if isinstance(arg, np.ndarray) else arg


@pytest.mark.parametrize("name", sorted(CASES))
def test_top_level_op_is_the_functional_one_and_matches_pytorch(name):
    assert getattr(et, name) is getattr(F, name)
    args = CASES[name]
    ours = getattr(et, name)(*[_convert(et, a) for a in args])
    theirs = getattr(torch, name)(*[_convert(torch, a) for a in args])
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-12)
