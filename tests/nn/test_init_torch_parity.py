"""nn.init against PyTorch: gains, fans, distribution parameters (bounds and moments of
large samples from both libraries), structured initialisers and error messages."""

import math

import numpy as np
import pytest

import eagertorch as et
from eagertorch.nn import init

torch = pytest.importorskip("torch")
tinit = torch.nn.init

NAMES = [
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "selu",
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("param", [None, 0.2, 3])
def test_calculate_gain_matches_pytorch(name, param):
    assert init.calculate_gain(name, param) == tinit.calculate_gain(name, param)


@pytest.mark.parametrize("shape", [(3, 5), (8, 4, 3, 3), (6, 2, 5), (2, 3, 1, 2, 2), (7, 1)])
def test_fans_match_pytorch(shape):
    ours = init._calculate_fan_in_and_fan_out(et.empty(*shape))
    assert ours == tinit._calculate_fan_in_and_fan_out(torch.empty(*shape))


def _stats(a):
    a = np.asarray(a, np.float64).ravel()
    return a.min(), a.max(), a.mean(), a.std()


@pytest.mark.parametrize(
    "call, bounded",
    [
        (lambda m, t: m.uniform_(t, -0.3, 0.7), True),
        (lambda m, t: m.normal_(t, 0.2, 1.5), False),
        (lambda m, t: m.trunc_normal_(t, 0.3, 1.0, -0.5, 1.5), True),
        (lambda m, t: m.trunc_normal_(t, std=0.02), False),  # bounds at 100 std: unreached
        (lambda m, t: m.xavier_uniform_(t, gain=m.calculate_gain("relu")), True),
        (lambda m, t: m.xavier_normal_(t), False),
        (lambda m, t: m.kaiming_uniform_(t, a=math.sqrt(5)), True),
        (lambda m, t: m.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"), False),
        (lambda m, t: m.orthogonal_(t, gain=1.5), False),
    ],
)
def test_sample_distributions_match_pytorch(call, bounded):
    shape = (128, 32, 3, 3)
    ours = _stats(call(init, et.empty(*shape)).numpy())
    theirs = _stats(call(tinit, torch.empty(*shape)).numpy())
    lo, hi, mean, std = theirs
    n = math.prod(shape)
    assert abs(ours[2] - mean) < 6 * std / math.sqrt(n) + 1e-7
    assert abs(ours[3] - std) < 6 * std / math.sqrt(2 * n) + 1e-7
    if bounded:  # the sample extremes sit at the distribution's bounds
        span = hi - lo
        assert abs(ours[0] - lo) < 0.01 * span and abs(ours[1] - hi) < 0.01 * span


def test_structured_initialisers_match_pytorch_exactly():
    for shape, groups in (((4, 2, 3), 2), ((3, 3, 3, 3), 1), ((6, 2, 3, 3, 3), 3)):
        np.testing.assert_array_equal(
            init.dirac_(et.empty(*shape), groups).numpy(),
            tinit.dirac_(torch.empty(*shape), groups).numpy(),
        )
    for shape in ((2, 3), (3, 2), (4, 4)):
        np.testing.assert_array_equal(
            init.eye_(et.empty(*shape)).numpy(), tinit.eye_(torch.empty(*shape)).numpy()
        )
    np.testing.assert_array_equal(
        init.constant_(et.empty(2, 2), 0.3).numpy(), tinit.constant_(torch.empty(2, 2), 0.3).numpy()
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda m, lib: m.xavier_uniform_(lib.empty(5)),
        lambda m, lib: m.kaiming_normal_(lib.empty(3, 3), mode="fan_avg"),
        lambda m, lib: m.calculate_gain("gelu"),
        lambda m, lib: m.calculate_gain("leaky_relu", "x"),
        lambda m, lib: m.eye_(lib.empty(2, 2, 2)),
        lambda m, lib: m.dirac_(lib.empty(3, 3)),
        lambda m, lib: m.dirac_(lib.empty(3, 2, 3), 2),
        lambda m, lib: m.orthogonal_(lib.empty(3)),
    ],
)
def test_error_messages_match_pytorch(call):
    with pytest.raises(ValueError) as theirs:
        call(tinit, torch)
    with pytest.raises(ValueError) as ours:
        call(init, et)
    assert str(ours.value) == str(theirs.value)
