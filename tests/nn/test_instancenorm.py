"""InstanceNorm1d/2d/3d: values against numpy, gradcheck and gradgradcheck over random
shapes, running statistics in train and eval mode, unbatched input, errors, repr and
state_dict."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eagertorch as et
from eagertorch import nn
from eagertorch.autograd import gradcheck, gradgradcheck

CLASSES = {1: nn.InstanceNorm1d, 2: nn.InstanceNorm2d, 3: nn.InstanceNorm3d}


def _reference(x, weight=None, bias=None, eps=1e-5):
    axes = tuple(range(2, x.ndim))
    y = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if weight is not None:
        y = y * weight.reshape(shape) + bias.reshape(shape)
    return y


@settings(max_examples=10)
@given(
    dims=st.sampled_from([1, 2, 3]),
    n=st.integers(1, 2),
    c=st.integers(1, 3),
    affine=st.booleans(),
    track=st.booleans(),
    momentum=st.sampled_from([0.1, 0.5, None]),
    seed=st.integers(0, 1000),
)
def test_train_step_matches_numpy_and_passes_gradgradcheck(
    dims, n, c, affine, track, momentum, seed
):
    rng = np.random.default_rng(seed)
    spatial = tuple(rng.integers(2, 4, dims))
    x = rng.normal(size=(n, c, *spatial))
    m = CLASSES[dims](
        c, affine=affine, track_running_stats=track, momentum=momentum, dtype=et.float64
    )
    if affine:
        with et.no_grad():
            m.weight.copy_(et.tensor(rng.normal(size=c)))
            m.bias.copy_(et.tensor(rng.normal(size=c)))
    y = m(et.tensor(x))
    w, b = (m.weight.numpy(force=True), m.bias.numpy(force=True)) if affine else (None, None)
    np.testing.assert_allclose(y.numpy(force=True), _reference(x, w, b), atol=1e-10)
    if track:
        axes = tuple(range(2, x.ndim))
        f = 0.0 if momentum is None else momentum
        mean = x.mean(axes).mean(0)
        var = x.var(axes, ddof=1).mean(0)
        np.testing.assert_allclose(m.running_mean.numpy(), f * mean, atol=1e-12)
        np.testing.assert_allclose(m.running_var.numpy(), 1 - f + f * var, atol=1e-12)
        assert int(m.num_batches_tracked) == 0  # PyTorch never counts instance-norm batches
    xt = et.tensor(x, requires_grad=True)
    params = [xt] + ([m.weight, m.bias] if affine else [])

    def f(*args):
        return m(args[0])

    assert gradcheck(f, tuple(params))
    assert gradgradcheck(f, tuple(params))


def test_eval_uses_running_stats_only_when_tracking():
    x = et.randn(2, 3, 5, dtype=et.float64)
    tracked = nn.InstanceNorm1d(3, track_running_stats=True, dtype=et.float64)
    with et.no_grad():
        tracked.running_mean.copy_(et.tensor([0.5, -1.0, 2.0]))
        tracked.running_var.copy_(et.tensor([4.0, 0.25, 1.0]))
    tracked.eval()
    rm, rv = tracked.running_mean.numpy(), tracked.running_var.numpy()
    expected = (x.numpy() - rm[:, None]) / np.sqrt(rv[:, None] + 1e-5)
    np.testing.assert_allclose(tracked(x).numpy(), expected, atol=1e-12)
    np.testing.assert_array_equal(tracked.running_mean.numpy(), rm)  # eval changes nothing
    untracked = nn.InstanceNorm1d(3, dtype=et.float64).eval()
    np.testing.assert_allclose(untracked(x).numpy(), _reference(x.numpy()), atol=1e-12)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_unbatched_input_is_a_batch_of_one(dims):
    m = CLASSES[dims](2, affine=True, track_running_stats=True, dtype=et.float64)
    x = et.randn(2, *([3] * dims), dtype=et.float64)
    y = m(x)
    assert y.shape == x.shape
    np.testing.assert_allclose(y.numpy(force=True), _reference(x.numpy()[None])[0], atol=1e-12)
    np.testing.assert_allclose(
        m.running_mean.numpy(), 0.1 * x.numpy().reshape(2, -1).mean(1), atol=1e-12
    )


@pytest.mark.parametrize(
    "cls, bad, low",
    [(nn.InstanceNorm1d, 4, 2), (nn.InstanceNorm2d, 2, 3), (nn.InstanceNorm3d, 3, 4)],
)
def test_wrong_number_of_dims_raises(cls, bad, low):
    with pytest.raises(ValueError, match=rf"expected {low}D or {low + 1}D input \(got {bad}D"):
        cls(3)(et.randn(*([3] * bad)))


def test_channel_mismatch_raises_with_affine_and_warns_without():
    with pytest.raises(ValueError, match=r"size at dim=1 to match num_features \(3\), but got: 4"):
        nn.InstanceNorm1d(3, affine=True)(et.randn(2, 4, 5))
    with pytest.warns(UserWarning, match="size at dim=0 does not match num_features"):
        y = nn.InstanceNorm1d(3)(et.randn(4, 5))
    assert y.shape == (4, 5)
    with pytest.raises(ValueError, match="Expected more than 1 spatial element"):
        nn.InstanceNorm2d(3)(et.randn(2, 3, 1, 1))


def test_defaults_repr_and_state_dict():
    m = nn.InstanceNorm2d(4)
    assert m.weight is None and m.bias is None and m.running_mean is None
    assert list(m.state_dict()) == []
    assert repr(m) == (
        "InstanceNorm2d(4, eps=1e-05, momentum=0.1, affine=False, bias=False, "
        "track_running_stats=False)"
    )
    m = nn.InstanceNorm3d(2, affine=True, track_running_stats=True)
    assert list(m.state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    np.testing.assert_array_equal(m.weight.numpy(force=True), [1, 1])
    np.testing.assert_array_equal(m.bias.numpy(force=True), [0, 0])
    np.testing.assert_array_equal(m.running_var.numpy(), [1, 1])
