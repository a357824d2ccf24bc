"""Dropout, Dropout1d/2d/3d, AlphaDropout, FeatureAlphaDropout and their F. functions:
statistics of the mask, scaling, eval identity, channel-wise masks, gradients, errors."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import eagertorch as et
import eagertorch.nn.functional as F
from eagertorch import nn
from eagertorch.autograd import gradcheck, gradgradcheck


def _binomial_tolerance(n: int, p: float) -> float:
    """Six standard deviations of the dropped fraction of ``n`` independent draws."""
    return 6 * math.sqrt(p * (1 - p) / n) + 1e-12


@given(p=st.sampled_from([0.1, 0.25, 0.5, 0.8]))
def test_dropout_zeroes_a_fraction_p_and_scales_the_rest(p):
    x = et.ones(200, 100)
    y = F.dropout(x, p).numpy()
    dropped = (y == 0).mean()
    assert abs(dropped - p) < _binomial_tolerance(y.size, p)
    kept = y[y != 0]
    np.testing.assert_allclose(kept, 1 / (1 - p), rtol=1e-6)
    assert abs(y.mean() - 1.0) < 6 * math.sqrt(p / (1 - p) / y.size)  # unbiased


def test_dropout_keeps_dtype_and_shape():
    for dtype in (et.float32, et.float64):
        y = F.dropout(et.ones(3, 4, dtype=dtype), 0.5)
        assert y.dtype == dtype and y.shape == (3, 4)


def test_eval_mode_and_training_false_are_the_identity():
    x = et.randn(4, 5)
    assert F.dropout(x, 0.5, training=False) is x
    for cls in (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout):
        layer = cls(0.5).eval()
        shaped = x.reshape(1, 4, 5, 1, 1) if cls is nn.Dropout3d else x.reshape(1, 4, 5, 1)
        if cls is nn.Dropout1d:
            shaped = x.reshape(1, 4, 5)
        assert layer(shaped) is shaped
    assert F.alpha_dropout(x, 0.5) is x  # training defaults to False for alpha_dropout


def test_p_zero_is_the_identity_and_p_one_zeroes_everything():
    x = et.randn(4, 5, requires_grad=True)
    assert F.dropout(x, 0.0) is x
    y = F.dropout(x, 1.0)
    assert y.numpy(force=True).tolist() == [[0.0] * 5] * 4
    y.sum().backward()
    assert x.grad.numpy().tolist() == [[0.0] * 5] * 4
    assert F.alpha_dropout(x, 1.0, True).numpy(force=True).max() == 0.0


def test_gradient_is_the_scaled_mask_and_double_backward_works():
    x = et.randn(50, 40, dtype=et.float64, requires_grad=True)
    y = F.dropout(x, 0.3)
    y.backward(et.ones_like(y))
    mask = y.detach().numpy() / x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), mask, rtol=1e-12)
    assert set(np.round(np.unique(x.grad.numpy()), 12)) == {0.0, round(1 / 0.7, 12)}

    # A fixed mask (same seed) makes dropout a linear map: gradcheck applies.
    def f(x):
        et.manual_seed(5)
        return F.dropout(x, 0.4)

    small = et.randn(3, 4, dtype=et.float64, requires_grad=True)
    assert gradcheck(f, (small,)) and gradgradcheck(f, (small,))


def test_manual_seed_makes_masks_reproducible():
    et.manual_seed(123)
    a = F.dropout(et.ones(10, 10), 0.5)
    b = F.dropout(et.ones(10, 10), 0.5)
    et.manual_seed(123)
    c = F.dropout(et.ones(10, 10), 0.5)
    assert et.equal(a, c) and not et.equal(a, b)


def test_generator_draws_are_independent_of_numpy_global_seed():
    et.manual_seed(7)
    np.random.seed(1)
    a = F.dropout(et.ones(20), 0.5)
    et.manual_seed(7)
    np.random.seed(2)
    assert et.equal(a, F.dropout(et.ones(20), 0.5))


def test_inplace_dropout_modifies_and_returns_its_input():
    x = et.ones(6, 7)
    version = x._version
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x and x._version > version
    assert set(np.unique(x.numpy())) <= {0.0, 2.0}
    layer = nn.Dropout(0.5, inplace=True)
    z = et.ones(3, 3)
    assert layer(z) is z
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F.dropout(et.ones(3, requires_grad=True), 0.5, inplace=True)


def _channels_constant(y: np.ndarray, channel_axes: int) -> bool:
    flat = y.reshape((*y.shape[:channel_axes], -1))
    return bool(np.all((flat == 0).all(-1) | (flat != 0).all(-1)))


@given(p=st.sampled_from([0.2, 0.5]))
def test_dropout2d_zeroes_whole_channels_with_probability_p(p):
    y = F.dropout2d(et.ones(40, 50, 3, 3), p).numpy()
    assert _channels_constant(y, 2)
    dropped = (y[:, :, 0, 0] == 0).mean()
    assert abs(dropped - p) < _binomial_tolerance(40 * 50, p)
    np.testing.assert_allclose(y[y != 0], 1 / (1 - p), rtol=1e-6)


def test_dropout1d_and_3d_zero_whole_channels_batched_or_not():
    assert _channels_constant(F.dropout1d(et.ones(20, 30, 4)).numpy(), 2)
    assert _channels_constant(F.dropout1d(et.ones(30, 4)).numpy(), 1)
    assert _channels_constant(F.dropout3d(et.ones(6, 10, 2, 2, 2)).numpy(), 2)
    assert _channels_constant(F.dropout3d(et.ones(10, 2, 2, 2)).numpy(), 1)
    layer = nn.Dropout2d(0.5)
    assert _channels_constant(layer(et.ones(8, 9, 2, 2)).numpy(), 2)


def test_dropout2d_warns_on_3d_input_and_treats_it_as_n_c_l():
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        y = F.dropout2d(et.ones(10, 20, 5))
    assert _channels_constant(y.numpy(), 2)
    with pytest.warns(UserWarning, match="Received a 5-D input to dropout2d"):
        F.dropout2d(et.ones(2, 3, 2, 2, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.dropout2d(et.ones(2, 3, 2, 2))


def test_dropout1d_rejects_other_ranks_with_pytorch_message():
    with pytest.raises(
        RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a 4D input"
    ):
        F.dropout1d(et.ones(2, 3, 4, 5))


@pytest.mark.parametrize(
    "fn",
    [F.dropout, F.dropout1d, F.dropout2d, F.dropout3d, F.alpha_dropout, F.feature_alpha_dropout],
)
@pytest.mark.parametrize("p", [1.5, -0.1])
def test_probability_outside_unit_interval_raises(fn, p):
    with pytest.raises(
        ValueError, match=f"dropout probability has to be between 0 and 1, but got {p}"
    ):
        fn(et.ones(2, 3, 4, 4, 4), p, True)


@pytest.mark.parametrize(
    "cls",
    [nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout, nn.FeatureAlphaDropout],
)
def test_layers_check_p_at_construction_and_repr(cls):
    with pytest.raises(
        ValueError, match=r"dropout probability has to be between 0 and 1, but got 1\.5"
    ):
        cls(1.5)
    assert repr(cls(0.25)) == f"{cls.__name__}(p=0.25, inplace=False)"
    assert list(cls().state_dict()) == []


def test_alpha_dropout_keeps_zero_mean_unit_variance_and_uses_selu_saturation():
    x = et.randn(400, 500)
    p = 0.2
    y = F.alpha_dropout(x, p, training=True).numpy()
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1.0) < 0.01
    alpha = 1.7580993408473766
    a = 1 / math.sqrt((alpha**2 * p + 1) * (1 - p))
    dropped_value = a * (alpha * p - alpha)
    dropped = np.isclose(y, dropped_value, atol=1e-6)
    assert abs(dropped.mean() - p) < _binomial_tolerance(y.size, p) + 1e-3
    kept = ~dropped
    np.testing.assert_allclose(y[kept], a * x.numpy()[kept] + alpha * a * p, rtol=1e-5, atol=1e-6)


def test_feature_alpha_dropout_drops_whole_channels():
    y = F.feature_alpha_dropout(et.zeros(30, 40, 3), 0.5, training=True).numpy()
    flat = y.reshape(30, 40, -1)
    assert np.all(flat.max(-1) == flat.min(-1))  # one value per channel
    assert len(np.unique(np.round(flat[..., 0], 6))) == 2


def test_alpha_dropout_gradient_is_the_multiplier():
    x = et.randn(20, 20, dtype=et.float64, requires_grad=True)
    y = F.alpha_dropout(x, 0.3, training=True)
    y.sum().backward()
    alpha = 1.7580993408473766
    a = 1 / math.sqrt((alpha**2 * 0.3 + 1) * 0.7)
    assert set(np.round(np.unique(x.grad.numpy()), 10)) <= {0.0, round(a, 10)}


def test_module_train_eval_switch():
    layer = nn.Dropout(0.5)
    x = et.ones(100, 100)
    assert (layer(x).numpy() == 0).any()
    layer.eval()
    assert layer(x) is x
    layer.train()
    assert (layer(x).numpy() == 0).any()


def test_empty_input_passes_through():
    x = et.ones(0, 3)
    assert F.dropout(x, 0.5).shape == (0, 3)
