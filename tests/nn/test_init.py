"""nn.init: distributions of large samples against PyTorch's formulas, fans, gains,
trunc_normal_ bounds and moments, orthogonal_/dirac_/eye_ structure, and errors."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import eagertorch as et
from eagertorch import nn
from eagertorch.nn import init


def _sample(shape=(400, 500), dtype=et.float32):
    return et.empty(*shape, dtype=dtype)


def _assert_moments(a, mean, std):
    a = np.asarray(a, np.float64).ravel()
    se = std / math.sqrt(a.size)
    assert abs(a.mean() - mean) < 5 * se + 1e-12, (a.mean(), mean)
    assert abs(a.std() - std) < 5 * std / math.sqrt(2 * a.size) + 1e-12, (a.std(), std)


# ----- fan and gain ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "shape, fans",
    [((3, 5), (5, 3)), ((8, 4, 3, 3), (36, 72)), ((6, 2, 5), (10, 30)), ((2, 3, 1, 2, 2), (12, 8))],
)
def test_fan_in_and_fan_out_follow_pytorch(shape, fans):
    assert init._calculate_fan_in_and_fan_out(et.empty(*shape)) == fans
    assert init._calculate_correct_fan(et.empty(*shape), "FAN_OUT") == fans[1]


def test_fans_need_two_dims():
    with pytest.raises(
        ValueError,
        match="Fan in and fan out can not be computed for tensor with fewer than 2 dimensions",
    ):
        init.xavier_uniform_(et.empty(5))
    with pytest.raises(
        ValueError, match=r"Mode fan_avg not supported, please use one of \['fan_in', 'fan_out'\]"
    ):
        init.kaiming_uniform_(et.empty(3, 3), mode="fan_avg")


@pytest.mark.parametrize(
    "name, param, gain",
    [
        ("linear", None, 1.0),
        ("conv2d", None, 1.0),
        ("conv_transpose3d", None, 1.0),
        ("sigmoid", None, 1.0),
        ("tanh", None, 5.0 / 3),
        ("relu", None, math.sqrt(2.0)),
        ("leaky_relu", None, math.sqrt(2.0 / (1 + 0.01**2))),
        ("leaky_relu", 0.2, math.sqrt(2.0 / 1.04)),
        ("leaky_relu", 0, math.sqrt(2.0)),
        ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3)),
        ("selu", None, 0.75),
    ],
)
def test_calculate_gain_table(name, param, gain):
    assert init.calculate_gain(name, param) == pytest.approx(gain, rel=1e-15)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match="negative_slope x not a valid number"):
        init.calculate_gain("leaky_relu", "x")


# ----- simple distributions ----------------------------------------------------------------
def test_uniform_and_normal_moments_and_bounds():
    w = init.uniform_(_sample(), -2.0, 5.0).numpy()
    assert w.min() >= -2.0 and w.max() < 5.0 and w.min() < -1.99 and w.max() > 4.99
    _assert_moments(w, 1.5, 7 / math.sqrt(12))
    _assert_moments(init.normal_(_sample(), 3.0, 0.5).numpy(), 3.0, 0.5)


def test_constant_ones_zeros_keep_dtype_and_identity():
    w = et.empty(3, 4, dtype=et.float64)
    assert init.constant_(w, 2.5) is w and w.numpy().tolist() == [[2.5] * 4] * 3
    assert init.ones_(w).numpy().min() == 1.0 and init.zeros_(w).numpy().max() == 0.0
    assert w.dtype == et.float64


def _trunc_moments(mean, std, a, b):
    alpha, beta = (a - mean) / std, (b - mean) / std
    phi = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: 0.5 * math.erfc(-x / math.sqrt(2))  # noqa: E731
    z = cdf(beta) - cdf(alpha)
    m = (phi(alpha) - phi(beta)) / z
    v = 1 + (alpha * phi(alpha) - beta * phi(beta)) / z - m * m
    return mean + std * m, std * math.sqrt(v)


@pytest.mark.parametrize(
    "mean, std, a, b",
    [
        (0.0, 1.0, -2.0, 2.0),
        (0.5, 2.0, -1.0, 1.0),
        (0.0, 0.02, -2.0, 2.0),
        (0.0, 1.0, 0.5, 3.0),
        (0.0, 1.0, 5.0, 6.0),
        (1.0, 1.0, -6.0, -4.0),
    ],
)
def test_trunc_normal_stays_in_bounds_with_truncated_normal_moments(mean, std, a, b):
    w = init.trunc_normal_(_sample(dtype=et.float64), mean, std, a, b).numpy()
    assert w.min() >= a and w.max() <= b
    m, s = _trunc_moments(mean, std, a, b)
    _assert_moments(w, m, s)


def test_trunc_normal_far_tail_finishes_and_keeps_float32():
    w = init.trunc_normal_(et.empty(1000), 0.0, 1.0, 8.0, 9.0)
    assert w.dtype == et.float32 and w.numpy().min() >= 8.0 and w.numpy().max() <= 9.0


# ----- fan-scaled schemes ------------------------------------------------------------------
@given(
    shape=st.sampled_from([(300, 400), (64, 32, 3, 3), (128, 16, 25)]),
    gain=st.sampled_from([1.0, 0.5, 5 / 3]),
)
def test_xavier_bounds_and_std(shape, gain):
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(et.empty(*shape))
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    w = init.xavier_uniform_(et.empty(*shape), gain=gain).numpy()
    bound = math.sqrt(3.0) * std
    assert np.abs(w).max() <= bound * (1 + 1e-6) and np.abs(w).max() > 0.99 * bound
    _assert_moments(w, 0.0, std)
    _assert_moments(init.xavier_normal_(et.empty(*shape), gain=gain).numpy(), 0.0, std)


@given(
    shape=st.sampled_from([(300, 400), (64, 32, 3, 3)]),
    mode=st.sampled_from(["fan_in", "fan_out"]),
    nonlinearity=st.sampled_from(["relu", "leaky_relu", "tanh", "linear"]),
    a=st.sampled_from([0.0, 0.1, math.sqrt(5)]),
)
def test_kaiming_bounds_and_std(shape, mode, nonlinearity, a):
    fan = init._calculate_correct_fan(et.empty(*shape), mode)
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    w = init.kaiming_uniform_(et.empty(*shape), a=a, mode=mode, nonlinearity=nonlinearity).numpy()
    assert np.abs(w).max() <= math.sqrt(3.0) * std * (1 + 1e-6)
    _assert_moments(w, 0.0, std)
    n = init.kaiming_normal_(et.empty(*shape), a=a, mode=mode, nonlinearity=nonlinearity).numpy()
    _assert_moments(n, 0.0, std)


def test_kaiming_uniform_sqrt5_is_pytorch_linear_default():
    w = init.kaiming_uniform_(et.empty(500, 400), a=math.sqrt(5)).numpy()
    assert np.abs(w).max() <= 1 / math.sqrt(400) * (1 + 1e-6)
    assert np.abs(w).max() > 0.99 / math.sqrt(400)


def test_zero_element_tensors_are_a_no_op():
    for fn in (init.kaiming_uniform_, init.kaiming_normal_, init.orthogonal_):
        w = et.empty(0, 3)
        assert fn(w) is w and w.shape == (0, 3)


# ----- structured initialisers -------------------------------------------------------------------
@given(rows=st.integers(1, 8), cols=st.integers(1, 8), gain=st.sampled_from([1.0, 2.0]))
def test_orthogonal_rows_or_columns_are_orthonormal(rows, cols, gain):
    q = init.orthogonal_(et.empty(rows, cols, dtype=et.float64), gain=gain).numpy()
    if rows >= cols:
        np.testing.assert_allclose(q.T @ q, gain**2 * np.eye(cols), atol=1e-12)
    else:
        np.testing.assert_allclose(q @ q.T, gain**2 * np.eye(rows), atol=1e-12)


def test_orthogonal_flattens_trailing_dims_and_keeps_float32():
    w = init.orthogonal_(et.empty(6, 2, 2))
    assert w.dtype == et.float32
    q = w.numpy().reshape(6, 4)
    np.testing.assert_allclose(q.T @ q, np.eye(4), atol=1e-5)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
        init.orthogonal_(et.empty(3))


def test_orthogonal_is_not_always_the_same_matrix():
    a = init.orthogonal_(et.empty(4, 4)).numpy()
    b = init.orthogonal_(et.empty(4, 4)).numpy()
    assert not np.allclose(a, b)


def test_eye_on_rectangles_and_error():
    assert init.eye_(et.empty(2, 3)).numpy().tolist() == [[1, 0, 0], [0, 1, 0]]
    assert init.eye_(et.empty(3, 2)).numpy().tolist() == [[1, 0], [0, 1], [0, 0]]
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(et.empty(2, 2, 2))


def test_dirac_is_the_identity_convolution_kernel():
    w = init.dirac_(et.empty(3, 3, 3, 3))
    k = w.numpy()
    assert k.sum() == 3 and all(k[i, i, 1, 1] == 1 for i in range(3))
    grouped = init.dirac_(et.empty(4, 2, 3), groups=2).numpy()
    assert grouped[:, :, 1].tolist() == [[1, 0], [0, 1], [1, 0], [0, 1]]
    assert grouped.sum() == 4
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions are supported"):
        init.dirac_(et.empty(3, 3))
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        init.dirac_(et.empty(3, 2, 3), groups=2)


# ----- autograd and randomness ---------------------------------------------------------------
@pytest.mark.parametrize(
    "fn",
    [
        init.uniform_,
        init.normal_,
        init.trunc_normal_,
        init.ones_,
        init.zeros_,
        init.eye_,
        init.xavier_uniform_,
        init.xavier_normal_,
        init.kaiming_uniform_,
        init.kaiming_normal_,
        init.orthogonal_,
    ],
)
def test_initialisers_fill_leaves_in_place_without_recording(fn):
    p = nn.Parameter(et.empty(4, 5))
    out = fn(p)
    assert out is p and p.is_leaf and p.grad_fn is None and p.requires_grad
    assert p.shape == (4, 5)


@pytest.mark.parametrize(
    "fn",
    [
        init.uniform_,
        init.normal_,
        init.trunc_normal_,
        init.xavier_uniform_,
        init.kaiming_normal_,
        init.orthogonal_,
    ],
)
def test_manual_seed_and_generator_make_initialisers_reproducible(fn):
    et.manual_seed(11)
    a = fn(et.empty(5, 6)).numpy().copy()
    et.manual_seed(11)
    b = fn(et.empty(5, 6)).numpy().copy()
    np.testing.assert_array_equal(a, b)
    g = et.Generator().manual_seed(3)
    c = fn(et.empty(5, 6), generator=g).numpy().copy()
    g.manual_seed(3)
    np.testing.assert_array_equal(c, fn(et.empty(5, 6), generator=g).numpy())
