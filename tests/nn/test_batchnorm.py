"""BatchNorm1d/2d/3d and F.batch_norm: values, gradients, running statistics, buffers, errors."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import eagertorch as et
import eagertorch.nn.functional as F
from eagertorch import nn
from eagertorch.autograd import gradcheck, gradgradcheck

MODULES = {2: nn.BatchNorm1d, 3: nn.BatchNorm1d, 4: nn.BatchNorm2d, 5: nn.BatchNorm3d}


def _axes(x):
    return (0, *tuple(range(2, x.ndim)))


def _channel(v, ndim):
    return np.asarray(v).reshape((1, -1) + (1,) * (ndim - 2))


def _ref_train(x, w=None, b=None, eps=1e-5):
    axes = _axes(x)
    y = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)
    if w is not None:
        y = y * _channel(w, x.ndim)
    if b is not None:
        y = y + _channel(b, x.ndim)
    return y


@st.composite
def bn_input(draw, min_dims=2, max_dims=5):
    """A batch with more than one value per channel and some spread in every channel."""
    ndim = draw(st.integers(min_dims, max_dims))
    n = draw(st.integers(1, 3))
    c = draw(st.integers(1, 3))
    spatial = [draw(st.integers(1, 3)) for _ in range(ndim - 2)]
    if n * int(np.prod(spatial)) < 2:
        n = 2
    shape = (n, c, *spatial)
    seed = draw(st.integers(0, 2**16))
    x = np.random.default_rng(seed).standard_normal(shape) * draw(st.sampled_from([0.5, 1, 3]))
    return x + draw(st.floats(-2, 2))


# ----- values and gradients -------------------------------------------------------------------
@given(x=bn_input(), affine=st.booleans(), eps=st.sampled_from([1e-5, 1e-3, 0.5]))
def test_batch_norm_training_matches_numpy_and_passes_gradgradcheck(x, affine, eps):
    c = x.shape[1]
    rng = np.random.default_rng(1)
    w = rng.standard_normal(c) if affine else None
    b = rng.standard_normal(c) if affine else None
    xt = et.tensor(x, requires_grad=True)
    args = [xt] + (
        [et.tensor(w, requires_grad=True), et.tensor(b, requires_grad=True)] if affine else []
    )

    def f(x, *wb):
        return F.batch_norm(x, None, None, *wb, training=True, eps=eps)

    np.testing.assert_allclose(f(*args).detach().numpy(), _ref_train(x, w, b, eps), atol=1e-10)
    assert gradcheck(f, args)
    assert gradgradcheck(f, args)


@given(x=bn_input(), eps=st.sampled_from([1e-5, 0.1]))
def test_batch_norm_eval_uses_running_stats_and_passes_gradgradcheck(x, eps):
    c = x.shape[1]
    rng = np.random.default_rng(2)
    rm, rv = rng.standard_normal(c), rng.uniform(0.5, 2.0, c)
    w = et.tensor(rng.standard_normal(c), requires_grad=True)
    b = et.tensor(rng.standard_normal(c), requires_grad=True)
    xt = et.tensor(x, requires_grad=True)

    def f(x, w, b):
        return F.batch_norm(x, et.tensor(rm), et.tensor(rv), w, b, training=False, eps=eps)

    expected = (x - _channel(rm, x.ndim)) / np.sqrt(_channel(rv, x.ndim) + eps)
    expected = expected * _channel(w.detach().numpy(), x.ndim) + _channel(
        b.detach().numpy(), x.ndim
    )
    np.testing.assert_allclose(f(xt, w, b).detach().numpy(), expected, atol=1e-12)
    assert gradcheck(f, (xt, w, b))
    assert gradgradcheck(f, (xt, w, b))


def test_batch_norm_gradients_match_a_closed_form_reference():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 5))
    w, g = rng.standard_normal(3), rng.standard_normal((4, 3, 5))
    xt, wt, bt = (et.tensor(a, requires_grad=True) for a in (x, w, np.zeros(3)))
    F.batch_norm(xt, None, None, wt, bt, training=True).backward(et.tensor(g))
    axes, n = (0, 2), 4 * 5
    xhat = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + 1e-5)
    dxhat = g * w[None, :, None]
    dx = (
        dxhat - dxhat.mean(axes, keepdims=True) - xhat * (dxhat * xhat).mean(axes, keepdims=True)
    ) / np.sqrt(x.var(axes, keepdims=True) + 1e-5)
    np.testing.assert_allclose(xt.grad.numpy(), dx, atol=1e-12)
    np.testing.assert_allclose(wt.grad.numpy(), (g * xhat).sum(axes), atol=1e-12)
    np.testing.assert_allclose(bt.grad.numpy(), g.sum(axes), atol=1e-12)
    assert n == x.size // 3


def test_float32_stays_float32_in_values_grads_and_buffers():
    bn = nn.BatchNorm2d(3)
    x = et.randn(4, 3, 5, 5, requires_grad=True)
    y = bn(x)
    y.sum().backward()
    assert y.dtype == et.float32 and x.grad.dtype == et.float32
    assert bn.weight.grad.dtype == et.float32 and bn.running_var.dtype == et.float32
    bn.eval()
    assert bn(x).dtype == et.float32


def test_batch_norm_grad_fn_is_one_node_named_as_pytorch():
    x = et.randn(4, 3, requires_grad=True)
    assert F.batch_norm(x, None, None, training=True).grad_fn.name() == "NativeBatchNormBackward0"


def test_output_can_be_modified_in_place_before_backward():
    # ReLU(inplace=True) after a norm layer is common: the op must not save its output.
    for affine in (True, False):
        bn = nn.BatchNorm1d(3, affine=affine)
        x = et.randn(5, 3, requires_grad=True)
        y = bn(x)
        y.relu_()
        y.sum().backward()
        assert x.grad is not None and np.isfinite(x.grad.numpy()).all()


def test_gradient_only_for_the_inputs_that_require_it():
    bn = nn.BatchNorm1d(3)
    bn.weight.requires_grad_(False)
    x = et.randn(5, 3)
    bn(x).sum().backward()
    assert bn.weight.grad is None and bn.bias.grad is not None and x.grad is None
    np.testing.assert_allclose(bn.bias.grad.numpy(), [5.0, 5.0, 5.0])


def test_empty_batch_gives_an_empty_result_and_leaves_running_stats_alone():
    bn = nn.BatchNorm1d(3)
    y = bn(et.randn(0, 3))
    assert y.shape == (0, 3)
    assert bn.running_mean.numpy().tolist() == [0, 0, 0]


# ----- running statistics ---------------------------------------------------------------------
def _reference_running(batches, momentum):
    """PyTorch's update rule: biased variance to normalise, unbiased into running_var."""
    mean, var = np.zeros(batches[0].shape[1]), np.ones(batches[0].shape[1])
    for k, x in enumerate(batches, start=1):
        axes = _axes(x)
        n = x.size // x.shape[1]
        m = 1.0 / k if momentum is None else momentum
        mean = (1 - m) * mean + m * x.mean(axes)
        var = (1 - m) * var + m * x.var(axes) * n / (n - 1)
    return mean, var


@given(
    momentum=st.sampled_from([0.1, 0.5, 1.0, 0.0, None]),
    steps=st.integers(1, 4),
    ndim=st.sampled_from([2, 3, 4, 5]),
    seed=st.integers(0, 1000),
)
def test_running_stats_follow_momentum_or_cumulative_average(momentum, steps, ndim, seed):
    rng = np.random.default_rng(seed)
    shape = (3, 2) + (2,) * (ndim - 2)
    batches = [rng.standard_normal(shape) * (k + 1) + k for k in range(steps)]
    bn = MODULES[ndim](2, momentum=momentum).double()
    for x in batches:
        bn(et.tensor(x))
    mean, var = _reference_running(batches, momentum)
    np.testing.assert_allclose(bn.running_mean.numpy(), mean, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), var, rtol=1e-12, atol=1e-12)
    assert bn.num_batches_tracked.item() == steps
    assert bn.num_batches_tracked.dtype == et.int64


def test_running_stats_are_updated_in_place_and_not_in_eval():
    bn = nn.BatchNorm1d(2)
    mean_buffer, var_buffer = bn.running_mean, bn.running_var
    version = mean_buffer._version
    bn(et.randn(6, 2) + 3)
    assert bn.running_mean is mean_buffer and bn.running_var is var_buffer
    assert mean_buffer._version > version
    assert abs(mean_buffer.numpy().mean() - 0.3) < 0.1
    before = mean_buffer.numpy().copy(), var_buffer.numpy().copy()
    bn.eval()
    bn(et.randn(6, 2) + 10)
    np.testing.assert_array_equal(mean_buffer.numpy(), before[0])
    np.testing.assert_array_equal(var_buffer.numpy(), before[1])
    assert bn.num_batches_tracked.item() == 1


def test_running_stats_never_require_grad_and_record_no_graph():
    bn = nn.BatchNorm1d(2)
    bn(et.randn(4, 2, requires_grad=True))
    assert not bn.running_mean.requires_grad and bn.running_mean.grad_fn is None


def test_eval_mode_output_uses_running_stats_not_batch_stats():
    bn = nn.BatchNorm1d(2)
    with et.no_grad():
        bn.running_mean.copy_(et.tensor([1.0, -1.0]))
        bn.running_var.copy_(et.tensor([4.0, 0.25]))
    bn.eval()
    y = bn(et.tensor([[3.0, 0.0], [5.0, -1.5]]))
    expected = (np.array([[3.0, 0.0], [5.0, -1.5]]) - [1.0, -1.0]) / np.sqrt(
        np.array([4.0, 0.25]) + 1e-5
    )
    np.testing.assert_allclose(y.detach().numpy(), expected, rtol=1e-6)


def test_without_running_stats_batch_statistics_are_used_in_eval_too():
    bn = nn.BatchNorm1d(2, track_running_stats=False)
    assert bn.running_mean is None and bn.num_batches_tracked is None
    assert list(bn.state_dict()) == ["weight", "bias"]
    bn.eval()
    x = np.random.default_rng(0).standard_normal((5, 2)) * 3 + 1
    y = bn(et.tensor(x, dtype=et.float32))
    np.testing.assert_allclose(y.detach().numpy(), _ref_train(x), atol=1e-5)


def test_training_with_track_running_stats_false_after_loading_stats_ignores_them():
    bn = nn.BatchNorm1d(2)
    bn.track_running_stats = False
    before = bn.num_batches_tracked.item()
    bn(et.randn(4, 2))
    assert bn.num_batches_tracked.item() == before
    assert bn.running_mean.numpy().tolist() == [0.0, 0.0]


def test_reset_running_stats_and_parameters():
    bn = nn.BatchNorm2d(2)
    bn(et.randn(3, 2, 2, 2) * 5 + 2)
    with et.no_grad():
        bn.weight.fill_(3.0)
    bn.reset_parameters()
    assert bn.running_mean.numpy().tolist() == [0.0, 0.0]
    assert bn.running_var.numpy().tolist() == [1.0, 1.0]
    assert bn.num_batches_tracked.item() == 0
    assert bn.weight.numpy(force=True).tolist() == [1.0, 1.0]


# ----- module structure -----------------------------------------------------------------------
def test_parameters_buffers_and_state_dict_keys_follow_pytorch():
    bn = nn.BatchNorm2d(4)
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in bn.named_buffers()] == [
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert list(bn.state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert bn.weight.numpy(force=True).tolist() == [1.0] * 4
    assert bn.bias.numpy(force=True).tolist() == [0.0] * 4
    assert nn.BatchNorm1d(3, affine=False).weight is None
    assert list(nn.BatchNorm1d(3, affine=False).state_dict()) == [
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert list(nn.BatchNorm1d(3, bias=False).state_dict())[:2] == ["weight", "running_mean"]


def test_state_dict_round_trip_restores_running_stats():
    a, b = nn.BatchNorm1d(3), nn.BatchNorm1d(3)
    for _ in range(3):
        a(et.randn(8, 3) * 2 + 1)
    b.load_state_dict(a.state_dict())
    assert b.num_batches_tracked.item() == 3
    np.testing.assert_array_equal(b.running_var.numpy(), a.running_var.numpy())
    a.eval(), b.eval()
    x = et.randn(5, 3)
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())


def test_repr_and_dtype_argument():
    assert repr(nn.BatchNorm2d(8)) == (
        "BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    )
    assert repr(nn.BatchNorm1d(3, momentum=None, affine=False)) == (
        "BatchNorm1d(3, eps=1e-05, momentum=None, affine=False, bias=False, "
        "track_running_stats=True)"
    )
    bn = nn.BatchNorm1d(3, dtype=et.float64)
    assert bn.weight.dtype == et.float64 and bn.running_mean.dtype == et.float64
    assert bn.num_batches_tracked.dtype == et.int64
    bn.float()
    assert bn.running_var.dtype == et.float32 and bn.num_batches_tracked.dtype == et.int64


# ----- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cls, shape, message",
    [
        (nn.BatchNorm1d, (2, 4, 3, 3), "expected 2D or 3D input (got 4D input)"),
        (nn.BatchNorm1d, (4,), "expected 2D or 3D input (got 1D input)"),
        (nn.BatchNorm2d, (2, 4, 3), "expected 4D input (got 3D input)"),
        (nn.BatchNorm3d, (2, 4, 3, 3), "expected 5D input (got 4D input)"),
    ],
)
def test_wrong_input_rank_raises_pytorch_message(cls, shape, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        cls(4)(et.randn(*shape))


def test_a_single_value_per_channel_cannot_be_normalised_in_training():
    with pytest.raises(
        ValueError,
        match=r"Expected more than 1 value per channel when training, got input size .*\[1, 4\]",
    ):
        nn.BatchNorm1d(4)(et.randn(1, 4))
    with pytest.raises(ValueError, match=r"got input size .*\[1, 4, 1, 1\]"):
        nn.BatchNorm2d(4)(et.randn(1, 4, 1, 1))
    bn = nn.BatchNorm1d(4).eval()
    assert bn(et.randn(1, 4)).shape == (1, 4)  # fine in eval


def test_channel_count_mismatch_names_both_sizes():
    with pytest.raises(RuntimeError, match="running_mean should contain 5 elements not 4"):
        nn.BatchNorm2d(4)(et.randn(2, 5, 3, 3))
    with pytest.raises(RuntimeError, match="weight should contain 3 elements not 4"):
        F.batch_norm(et.randn(2, 3), None, None, et.ones(4), training=True)


def test_eval_mode_without_running_stats_raises():
    with pytest.raises(RuntimeError, match="running_mean must be defined in evaluation mode"):
        F.batch_norm(et.randn(2, 3), None, None, training=False)
