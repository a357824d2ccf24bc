"""RReLU against PyTorch: eval values and gradients (the mean slope), reprs, errors; in
training both draw slopes in [lower, upper] (from different generators, so not equal)."""

import numpy as np
import pytest

import eagertorch as et
import eagertorch.nn.functional as F
from eagertorch import nn

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("lower, upper", [(1 / 8, 1 / 3), (0.0, 0.5), (0.3, 0.3)])
def test_eval_values_and_gradients_match_pytorch(lower, upper):
    x = np.random.default_rng(0).normal(size=(3, 5))
    xo, xt = et.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours, theirs = nn.RReLU(lower, upper).eval(), torch.nn.RReLU(lower, upper).eval()
    yo, yt = ours(xo), theirs(xt)
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-15)
    yo.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-15)
    assert repr(ours) == repr(theirs)
    assert repr(nn.RReLU(lower, upper, True)) == repr(torch.nn.RReLU(lower, upper, True))


def test_training_slopes_share_pytorch_bounds_and_rule():
    x = np.linspace(-2, 2, 41)  # includes 0, which PyTorch treats as negative (slope drawn)
    yt = torch.nn.functional.rrelu(torch.tensor(x), 0.2, 0.4, training=True).numpy()
    yo = F.rrelu(et.tensor(x), 0.2, 0.4, training=True).numpy()
    for y in (yo, yt):
        neg = x < 0
        slope = y[neg] / x[neg]
        assert np.all((slope >= 0.2) & (slope <= 0.4))
        np.testing.assert_array_equal(y[~neg], x[~neg])


@pytest.mark.parametrize("training", [False, True])
def test_errors_match_pytorch(training):
    calls = [
        lambda lib, f: f.rrelu(lib.randn(3), 0.5, 0.2, training=training),
        lambda lib, f: f.rrelu(lib.tensor([1, -1]), training=training),
    ]
    for call in calls:
        with pytest.raises(Exception) as theirs:
            call(torch, torch.nn.functional)
        with pytest.raises(Exception) as ours:
            call(et, F)
        assert type(ours.value) is type(theirs.value)
        assert str(ours.value) == str(theirs.value)
