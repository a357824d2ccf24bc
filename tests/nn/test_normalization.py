"""LayerNorm, GroupNorm, RMSNorm, LocalResponseNorm and F.layer_norm / group_norm /
instance_norm / rms_norm / normalize / local_response_norm: values, gradients, errors."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import eagertorch as et
import eagertorch.nn.functional as F
from eagertorch import nn
from eagertorch.autograd import gradcheck, gradgradcheck


def _spread(shape, seed, scale=1.0, shift=0.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale + shift


def _ln_ref(x, k, w=None, b=None, eps=1e-5):
    axes = tuple(range(x.ndim - k, x.ndim))
    y = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)
    return y * (1 if w is None else w) + (0 if b is None else b)


def _gn_ref(x, groups, w=None, b=None, eps=1e-5):
    n, c = x.shape[:2]
    g = x.reshape(n, groups, x[0].size // groups if n else c // groups * int(np.prod(x.shape[2:])))
    y = ((g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + eps)).reshape(x.shape)
    shape = (1, c) + (1,) * (x.ndim - 2)
    return y * (1 if w is None else w.reshape(shape)) + (0 if b is None else b.reshape(shape))


# ----- layer norm ---------------------------------------------------------------------------------
@given(
    batch=st.lists(st.integers(0, 2), max_size=2),
    norm=st.lists(st.integers(1, 3), min_size=1, max_size=2).filter(lambda s: np.prod(s) > 1),
    affine=st.sampled_from(["none", "weight", "bias", "both"]),
    eps=st.sampled_from([1e-5, 0.1]),
    seed=st.integers(0, 1000),
)
def test_layer_norm_matches_numpy_and_passes_gradgradcheck(batch, norm, affine, eps, seed):
    x = _spread((*batch, *norm), seed, 2.0, 1.0)
    rng = np.random.default_rng(seed + 1)
    w = rng.standard_normal(norm) if affine in ("weight", "both") else None
    b = rng.standard_normal(norm) if affine in ("bias", "both") else None
    tensors = [et.tensor(a, requires_grad=True) for a in (x, w, b) if a is not None]

    def f(x, *rest):
        it = iter(rest)
        wt = next(it) if w is not None else None
        bt = next(it) if b is not None else None
        return F.layer_norm(x, tuple(norm), wt, bt, eps)

    out = f(*tensors)
    np.testing.assert_allclose(out.detach().numpy(), _ln_ref(x, len(norm), w, b, eps), atol=1e-10)
    assert gradcheck(f, tensors)
    assert gradgradcheck(f, tensors)


def test_layer_norm_module_parameters_repr_and_float32():
    ln = nn.LayerNorm([3, 4])
    assert ln.normalized_shape == (3, 4)
    assert ln.weight.shape == (3, 4) and ln.bias.shape == (3, 4)
    assert ln.weight.numpy(force=True).min() == 1.0 and ln.bias.numpy(force=True).max() == 0.0
    assert repr(ln) == "LayerNorm((3, 4), eps=1e-05, elementwise_affine=True, bias=True)"
    assert nn.LayerNorm(5, bias=False).bias is None
    assert list(nn.LayerNorm(5, elementwise_affine=False).state_dict()) == []
    x = et.randn(2, 3, 4, requires_grad=True)
    y = ln(x)
    y.sum().backward()
    assert (
        y.dtype == et.float32 and x.grad.dtype == et.float32 and ln.weight.grad.dtype == et.float32
    )
    assert y.grad_fn.name() == "NativeLayerNormBackward0"
    np.testing.assert_allclose(y.detach().numpy(), _ln_ref(x.detach().numpy(), 2), atol=1e-5)


def test_layer_norm_of_a_constant_row_is_zero_not_nan():
    y = F.layer_norm(et.full((2, 4), 3.0), (4,))
    assert y.numpy().tolist() == [[0.0] * 4] * 2


def test_layer_norm_output_may_be_modified_in_place():
    x = et.randn(3, 4, requires_grad=True)
    y = F.layer_norm(x, (4,))
    y.mul_(2)
    y.sum().backward()
    assert np.abs(x.grad.numpy()).max() < 1e-5  # sum of a normalised row is constant


def test_layer_norm_shape_errors_name_both_shapes():
    with pytest.raises(
        RuntimeError,
        match=r"Given normalized_shape=\[3\], expected input with shape \[\*, 3\], but got input "
        r"of size\[2, 3, 4\]",
    ):
        F.layer_norm(et.randn(2, 3, 4), (3,))
    with pytest.raises(
        RuntimeError,
        match=r"Expected weight to be of same shape as normalized_shape, but got weight of shape "
        r"\[3\] and normalized_shape = \[4\]",
    ):
        F.layer_norm(et.randn(2, 4), (4,), weight=et.ones(3))
    with pytest.raises(RuntimeError, match="expected input with shape"):
        nn.LayerNorm(5)(et.randn(5, 4))


# ----- group norm ---------------------------------------------------------------------------------
@given(
    groups=st.integers(1, 3),
    per_group=st.integers(1, 2),
    n=st.integers(0, 2),
    spatial=st.lists(st.integers(1, 3), max_size=2),
    affine=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_group_norm_matches_numpy_and_passes_gradgradcheck(
    groups, per_group, n, spatial, affine, seed
):
    if per_group * int(np.prod(spatial)) < 2:
        spatial = [*spatial, 2]
    c = groups * per_group
    x = _spread((n, c, *spatial), seed, 1.5, -0.5)
    rng = np.random.default_rng(seed + 7)
    w, b = (rng.standard_normal(c), rng.standard_normal(c)) if affine else (None, None)
    tensors = [et.tensor(a, requires_grad=True) for a in (x, w, b) if a is not None]

    def f(x, *wb):
        return F.group_norm(x, groups, *wb)

    np.testing.assert_allclose(f(*tensors).detach().numpy(), _gn_ref(x, groups, w, b), atol=1e-10)
    assert gradcheck(f, tensors)
    assert gradgradcheck(f, tensors)


def test_group_norm_module_parameters_repr_and_errors():
    gn = nn.GroupNorm(2, 6)
    assert gn.weight.shape == (6,) and gn.bias.numpy(force=True).tolist() == [0.0] * 6
    assert repr(gn) == "GroupNorm(2, 6, eps=1e-05, affine=True, bias=True)"
    assert nn.GroupNorm(3, 6, affine=False).weight is None
    x = et.randn(2, 6, 4, requires_grad=True)
    y = gn(x)
    assert y.dtype == et.float32 and y.grad_fn.name() == "NativeGroupNormBackward0"
    np.testing.assert_allclose(y.detach().numpy(), _gn_ref(x.detach().numpy(), 2), atol=1e-5)
    with pytest.raises(
        ValueError, match=r"num_channels \(6\) must be divisible by num_groups \(4\)"
    ):
        nn.GroupNorm(4, 6)
    with pytest.raises(
        RuntimeError,
        match=r"Expected number of channels in input to be divisible by num_groups, but got "
        r"input of shape \[2, 6, 3\] and num_groups=4",
    ):
        F.group_norm(et.randn(2, 6, 3), 4)
    with pytest.raises(RuntimeError, match=r"weight of shape \[5\] and input of shape \[2, 6, 3\]"):
        F.group_norm(et.randn(2, 6, 3), 3, weight=et.ones(5))
    with pytest.raises(
        RuntimeError, match="Expected at least 2 dimensions for input tensor but received 1"
    ):
        F.group_norm(et.randn(6), 3)


def test_group_norm_with_one_group_per_channel_is_instance_norm():
    x = _spread((3, 4, 5, 2), 0)
    y = F.group_norm(et.tensor(x), 4).numpy()
    z = F.instance_norm(et.tensor(x)).numpy()
    np.testing.assert_allclose(y, z, atol=1e-12)
    axes = (2, 3)
    ref = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + 1e-5)
    np.testing.assert_allclose(z, ref, atol=1e-10)


# ----- instance norm ------------------------------------------------------------------------------
def test_instance_norm_updates_running_stats_with_the_batch_average():
    x = _spread((3, 2, 5), 4, 2.0, 1.0)
    rm, rv = et.zeros(2, dtype=et.float64), et.ones(2, dtype=et.float64)
    F.instance_norm(et.tensor(x), rm, rv, momentum=0.25)
    mean = x.mean(2).mean(0)
    var = x.var(2, ddof=1).mean(0)
    np.testing.assert_allclose(rm.numpy(), 0.25 * mean, atol=1e-12)
    np.testing.assert_allclose(rv.numpy(), 0.75 + 0.25 * var, atol=1e-12)
    y = F.instance_norm(et.tensor(x), rm, rv, use_input_stats=False)
    expected = (x - rm.numpy()[:, None]) / np.sqrt(rv.numpy()[:, None] + 1e-5)
    np.testing.assert_allclose(y.numpy(), expected, atol=1e-12)


def test_instance_norm_gradgradcheck_and_spatial_size_error():
    x = et.tensor(_spread((2, 3, 4), 5), requires_grad=True)
    w = et.tensor(_spread(3, 6), requires_grad=True)
    b = et.tensor(_spread(3, 7), requires_grad=True)
    f = lambda x, w, b: F.instance_norm(x, weight=w, bias=b)  # noqa: E731
    assert gradcheck(f, (x, w, b)) and gradgradcheck(f, (x, w, b))
    with pytest.raises(ValueError, match="Expected more than 1 spatial element when training"):
        F.instance_norm(et.randn(1, 3, 1))


# ----- rms norm, normalize, local response norm ----------------------------------------------
def test_rms_norm_matches_numpy_and_gradgradcheck():
    x = _spread((3, 4), 8)
    w = _spread(4, 9)
    y = F.rms_norm(et.tensor(x), (4,), et.tensor(w), eps=1e-6)
    ref = x / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-6) * w
    np.testing.assert_allclose(y.numpy(), ref, atol=1e-12)
    xt, wt = et.tensor(x, requires_grad=True), et.tensor(w, requires_grad=True)
    f = lambda x, w: F.rms_norm(x, (4,), w)  # noqa: E731
    assert gradcheck(f, (xt, wt)) and gradgradcheck(f, (xt, wt))
    m = nn.RMSNorm([4])
    assert repr(m) == "RMSNorm((4,), eps=None, elementwise_affine=True)"
    default_eps = F.rms_norm(et.zeros(1, 4), (4,))  # eps = float32's eps keeps 0/0 away
    assert np.isfinite(default_eps.numpy()).all()


@given(
    p=st.sampled_from([1.0, 2.0, 3.0]), dim=st.sampled_from([0, 1, -1]), seed=st.integers(0, 100)
)
def test_normalize_gives_unit_norm_rows_and_passes_gradgradcheck(p, dim, seed):
    x = _spread((3, 4), seed) + 0.1
    y = F.normalize(et.tensor(x), p=p, dim=dim).numpy()
    np.testing.assert_allclose(np.linalg.norm(y, ord=p, axis=dim), 1.0, rtol=1e-12)
    xt = et.tensor(x, requires_grad=True)
    assert gradcheck(lambda x: F.normalize(x, p, dim), (xt,))
    assert gradgradcheck(lambda x: F.normalize(x, p, dim), (xt,))


def test_normalize_of_zero_vector_is_zero_thanks_to_eps():
    assert F.normalize(et.zeros(2, 3)).numpy().tolist() == [[0.0] * 3] * 2


def _lrn_ref(x, size, alpha, beta, k):
    c = x.shape[1]
    sq = np.pad(x * x, [(0, 0), (size // 2, (size - 1) // 2)] + [(0, 0)] * (x.ndim - 2))
    window = sum(sq[:, i : i + c] for i in range(size))
    return x / (k + alpha / size * window) ** beta


@given(size=st.integers(1, 4), ndim=st.sampled_from([3, 4]), seed=st.integers(0, 100))
def test_local_response_norm_matches_a_window_sum_reference(size, ndim, seed):
    x = _spread((2, 5) + (3,) * (ndim - 2), seed)
    y = F.local_response_norm(et.tensor(x), size, alpha=0.5, beta=0.75, k=2.0)
    np.testing.assert_allclose(y.numpy(), _lrn_ref(x, size, 0.5, 0.75, 2.0), atol=1e-12)
    xt = et.tensor(x[:, :, :2], requires_grad=True)
    assert gradcheck(lambda x: F.local_response_norm(x, size, 0.5, 0.75, 2.0), (xt,))
    m = nn.LocalResponseNorm(size)
    assert repr(m) == f"LocalResponseNorm({size}, alpha=0.0001, beta=0.75, k=1.0)"
    with pytest.raises(
        ValueError, match=r"Expected 3D or higher dimensionality input \(got 2 dimensions\)"
    ):
        m(et.randn(2, 3))
