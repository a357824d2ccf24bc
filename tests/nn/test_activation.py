"""Activations: kinks, large inputs, in-place semantics, higher derivatives, errors and the
Module layer (values and gradients over random shapes are in tests/ops/specs_activation.py)."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import eagertorch as et
import eagertorch.nn.functional as F
from eagertorch import nn
from eagertorch.autograd import grad, gradcheck, gradgradcheck
from eagertorch.testing.strategies import arrays, shapes


def _x(values, dtype=et.float64, requires_grad=True):
    return et.tensor(values, dtype=dtype, requires_grad=requires_grad)


def _grad_of(fn, x):
    return grad(fn(x).sum(), x)[0].numpy()


# ----- accuracy of the exact GELU (erf without scipy) ---------------------------------------------
def _phi_reference(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2))


def test_gelu_float64_matches_libm_erfc_in_both_tails():
    # Down to x = -37, where x * Phi(x) ~ 1e-300 is still a normal float. Both sides round
    # x / sqrt(2), which costs ~x^2 ulp of relative accuracy in the tail: the bound scales so.
    xs = np.concatenate([np.linspace(-37, 10, 4001), np.geomspace(1e-300, 1e-3, 50)])
    xs = np.concatenate([xs, -xs[xs < 37]])
    out = F.gelu(et.tensor(xs, dtype=et.float64)).numpy()
    expected = np.array([x * _phi_reference(x) for x in xs])
    nonzero = expected != 0
    rel = np.abs(out - expected)[nonzero] / np.abs(expected[nonzero])
    assert np.all(rel <= 2e-15 * (1 + xs[nonzero] ** 2))
    assert np.all(out[~nonzero] == 0)


def test_gelu_float32_is_accurate_to_float32_precision():
    xs = np.linspace(-12, 6, 3001).astype(np.float32)
    out = F.gelu(et.tensor(xs))
    assert out.dtype == et.float32
    expected = np.array([float(x) * _phi_reference(float(x)) for x in xs])
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-30)


def test_gelu_gradient_is_cdf_plus_x_times_pdf():
    xs = np.linspace(-9, 9, 101)
    g = _grad_of(F.gelu, _x(xs))
    expected = [_phi_reference(x) + x * math.exp(-x * x / 2) / math.sqrt(2 * math.pi) for x in xs]
    np.testing.assert_allclose(g, expected, rtol=1e-13, atol=1e-300)


def test_gelu_half_precision_input_stays_half():
    out = F.gelu(et.tensor([-1.0, 0.5, 2.0], dtype=et.float16))
    assert out.dtype == et.float16
    np.testing.assert_allclose(out.numpy(), [-0.1587, 0.3457, 1.9545], rtol=2e-3)


# ----- behaviour at kinks, as PyTorch defines it -------------------------------------------------
@pytest.mark.parametrize(
    ("fn", "points", "expected"),
    [
        (F.relu6, [0.0, 6.0, 3.0], [0.0, 0.0, 1.0]),
        (lambda x: F.hardtanh(x, -0.5, 2.0), [-0.5, 2.0, 0.0], [0.0, 0.0, 1.0]),
        (lambda x: F.leaky_relu(x, 0.2), [0.0, -1.0, 1.0], [0.2, 0.2, 1.0]),
        (lambda x: F.threshold(x, 0.5, -3.0), [0.5, 0.6, 0.4], [0.0, 1.0, 0.0]),
        (F.hardswish, [-3.0, 3.0, 0.0, 4.0], [-0.5, 1.5, 0.5, 1.0]),
        (F.hardsigmoid, [-3.0, 3.0, 0.0], [0.0, 0.0, 1 / 6]),
        (lambda x: F.elu(x, 2.0), [0.0, 1.0], [2.0, 1.0]),
        (lambda x: F.hardshrink(x, 0.5), [0.5, -0.5, 0.7], [0.0, 0.0, 1.0]),
        (lambda x: F.softshrink(x, 0.5), [0.5, -0.5, -0.7], [0.0, 0.0, 1.0]),
        (lambda x: F.softplus(x, 2.0, 4.0), [2.0, 2.5], [1 / (1 + math.exp(-4.0)), 1.0]),
    ],
)
def test_gradient_at_kinks_follows_pytorch(fn, points, expected):
    np.testing.assert_allclose(_grad_of(fn, _x(points)), expected, rtol=1e-12)


def test_softplus_is_linear_above_threshold_only():
    x = _x([10.0, 10.5], requires_grad=False)
    out = F.softplus(x, beta=2.0, threshold=20.5).numpy()
    assert out[1] == 10.5  # beta * x = 21 > 20.5
    assert out[0] == pytest.approx(math.log1p(math.exp(20.0)) / 2, rel=1e-15)


# ----- large inputs stay finite ------------------------------------------------------------------
_SMOOTH = {
    "softplus": F.softplus,
    "softplus_no_threshold": lambda x: F.softplus(x, 1.0, math.inf),
    "logsigmoid": F.logsigmoid,
    "silu": F.silu,
    "mish": F.mish,
    "gelu": F.gelu,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "elu": F.elu,
    "selu": F.selu,
    "celu": lambda x: F.celu(x, 0.5),
    "softsign": F.softsign,
    "tanhshrink": F.tanhshrink,
}


@pytest.mark.parametrize("name", sorted(_SMOOTH))
@pytest.mark.parametrize("dtype", [et.float32, et.float64])
def test_huge_inputs_give_finite_values_and_gradients(name, dtype):
    x = _x([-1e4, -100.0, 100.0, 1e4], dtype=dtype)
    y = _SMOOTH[name](x)
    (g,) = grad(y.sum(), x)
    assert np.isfinite(y.numpy(force=True)).all()
    assert np.isfinite(g.numpy()).all()


def test_logsigmoid_and_softplus_keep_full_precision_in_the_tails():
    x = _x([-800.0, -40.0, 40.0], requires_grad=False)
    np.testing.assert_allclose(F.logsigmoid(x).numpy(), [-800.0, -40.0, -math.exp(-40.0)])
    np.testing.assert_allclose(
        F.softplus(x, threshold=math.inf).numpy(), [0.0, math.exp(-40.0), 40.0], atol=0
    )


# ----- derivatives of every order -------------------------------------------------------------
@pytest.mark.parametrize(
    "fn",
    [F.gelu, lambda x: F.gelu(x, approximate="tanh"), F.silu, F.mish, F.softplus, F.logsigmoid],
    ids=["gelu", "gelu_tanh", "silu", "mish", "softplus", "logsigmoid"],
)
def test_third_derivative_matches_finite_differences_of_the_second(fn):
    xs = np.linspace(-3, 3, 13) + 0.01

    def second(values):
        x = _x(values)
        (g,) = grad(fn(x).sum(), x, create_graph=True)
        return grad(g.sum(), x, create_graph=True)

    x = _x(xs)
    (g1,) = grad(fn(x).sum(), x, create_graph=True)
    (g2,) = grad(g1.sum(), x, create_graph=True)
    (g3,) = grad(g2.sum(), x)
    eps = 1e-5
    fd = (second(xs + eps)[0].detach().numpy() - second(xs - eps)[0].detach().numpy()) / (2 * eps)
    np.testing.assert_allclose(g3.numpy(), fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    "fn",
    [F.leaky_relu, F.hardtanh, F.relu6, F.hardsigmoid, F.hardshrink, F.softshrink],
    ids=["leaky_relu", "hardtanh", "relu6", "hardsigmoid", "hardshrink", "softshrink"],
)
def test_second_derivative_of_piecewise_linear_activations_is_an_explicit_zero(fn):
    x = _x([-2.0, -0.3, 0.4, 2.5])
    (g,) = grad(fn(x).sum(), x, create_graph=True)
    (gg,) = grad(g.sum(), x)  # PyTorch returns zeros here, not "x was unused"
    assert gg.shape == x.shape and not gg.numpy().any()


@given(
    x=arrays(np.float64, shapes(max_side=3), -4, 4),
    alpha=st.floats(0.3, 2.0),
    slope=st.floats(-1.0, 1.0),
)
def test_module_forward_equals_functional_and_passes_gradgradcheck(x, alpha, slope):
    layers = [
        (nn.ELU(alpha), lambda t: F.elu(t, alpha)),
        (nn.CELU(alpha), lambda t: F.celu(t, alpha)),
        (nn.LeakyReLU(slope), lambda t: F.leaky_relu(t, slope)),
        (nn.Softplus(alpha, 5.0), lambda t: F.softplus(t, alpha, 5.0)),
    ]
    for layer, fn in layers:
        t = et.tensor(x, requires_grad=True)
        np.testing.assert_array_equal(layer(t).numpy(force=True), fn(t).numpy(force=True))
        if np.all(np.abs(x) > 0.05) and np.all(np.abs(x * alpha - 5.0) > 0.05):
            assert gradcheck(layer, [t])
            assert gradgradcheck(layer, [t])


def test_prelu_gradients_reach_input_and_per_channel_weight():
    x = et.randn(2, 3, 4, dtype=et.float64, requires_grad=True)
    w = et.tensor([0.1, -0.3, 0.7], dtype=et.float64, requires_grad=True)
    assert gradcheck(F.prelu, [x, w])
    assert gradgradcheck(F.prelu, [x, w])
    (gw,) = grad(F.prelu(x, w).sum(), w)
    xd = x.detach().numpy()
    np.testing.assert_allclose(gw.numpy(), np.where(xd > 0, 0, xd).sum(axis=(0, 2)))


def test_prelu_single_weight_keeps_a_zero_dim_input_zero_dim():
    out = F.prelu(et.tensor(-2.0), et.tensor([0.25]))
    assert out.shape == () and out.item() == -0.5


def test_glu_halves_the_chosen_dim():
    x = et.randn(2, 6, 3)
    out = F.glu(x, dim=1)
    a, b = x[:, :3], x[:, 3:]
    np.testing.assert_allclose(out.numpy(), (a * b.sigmoid()).numpy())
    assert out.shape == (2, 3, 3)


# ----- in place -----------------------------------------------------------------------------------
_INPLACE = {
    "relu": (lambda x: F.relu(x, inplace=True), F.relu),
    "relu_": (F.relu_, F.relu),
    "relu6": (lambda x: F.relu6(x, inplace=True), F.relu6),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.3, True), lambda x: F.leaky_relu(x, 0.3)),
    "leaky_relu_": (lambda x: F.leaky_relu_(x, 0.3), lambda x: F.leaky_relu(x, 0.3)),
    "elu": (lambda x: F.elu(x, 1.5, inplace=True), lambda x: F.elu(x, 1.5)),
    "elu_": (lambda x: F.elu_(x, 1.5), lambda x: F.elu(x, 1.5)),
    "selu_": (F.selu_, F.selu),
    "celu_": (lambda x: F.celu_(x, 0.5), lambda x: F.celu(x, 0.5)),
    "hardtanh_": (lambda x: F.hardtanh_(x, -0.5, 0.5), lambda x: F.hardtanh(x, -0.5, 0.5)),
    "threshold_": (lambda x: F.threshold_(x, 0.1, 9.0), lambda x: F.threshold(x, 0.1, 9.0)),
    "silu": (lambda x: F.silu(x, inplace=True), F.silu),
    "mish": (lambda x: F.mish(x, inplace=True), F.mish),
    "hardsigmoid": (lambda x: F.hardsigmoid(x, inplace=True), F.hardsigmoid),
    "hardswish": (lambda x: F.hardswish(x, inplace=True), F.hardswish),
}


@pytest.mark.parametrize("name", sorted(_INPLACE))
def test_inplace_writes_into_input_and_gradient_matches_out_of_place(name):
    inplace, plain = _INPLACE[name]
    values = np.array([-2.0, -0.7, 0.3, 1.2, 4.0])
    leaf = _x(values)
    h = leaf * 2  # a non-leaf to modify
    version = h._version
    out = inplace(h)
    assert out is h
    assert h._version > version
    expected = plain(_x(values * 2, requires_grad=False)).numpy()
    np.testing.assert_allclose(h.detach().numpy(), expected)
    (g,) = grad(out.sum(), leaf)
    np.testing.assert_allclose(g.numpy(), _grad_of(lambda x: plain(x * 2), _x(values)))


def test_inplace_on_a_leaf_that_requires_grad_raises():
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        F.elu(_x([1.0, -1.0]), inplace=True)


def test_inplace_layers_modify_their_input():
    x = et.tensor([-1.0, 2.0])
    assert nn.ReLU(inplace=True)(x) is x
    np.testing.assert_array_equal(x.numpy(), [0.0, 2.0])
    y = et.tensor([-1.0, 2.0])
    nn.LeakyReLU(0.5, inplace=True)(y)
    np.testing.assert_array_equal(y.numpy(), [-0.5, 2.0])


# ----- softmax family --------------------------------------------------------------------------
@pytest.mark.parametrize(("ndim", "dim"), [(1, 0), (2, 1), (3, 0), (4, 1)])
def test_softmax_without_dim_warns_and_picks_pytorchs_implicit_dim(ndim, dim):
    x = et.randn(*([2] * ndim))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        out = F.softmax(x)
    np.testing.assert_allclose(out.sum(dim).numpy(), 1.0, rtol=1e-6)


def test_softmax_layers_use_their_dim_and_softmin_is_softmax_of_negation():
    x = et.randn(3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(nn.Softmax(dim=0)(x).numpy(), F.softmax(x, 0).numpy())
        np.testing.assert_allclose(nn.LogSoftmax(1)(x).numpy(), F.log_softmax(x, 1).numpy())
        np.testing.assert_allclose(nn.Softmin(1)(x).numpy(), F.softmax(-x, 1).numpy())
    assert F.softmax(x, 1, dtype=et.float64).dtype == et.float64


def test_softmax2d_normalises_channels_and_rejects_other_ranks():
    x = et.randn(2, 3, 4, 5)
    np.testing.assert_allclose(nn.Softmax2d()(x).sum(1).numpy(), 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="expected input to be 3D or 4D, got 2D instead"):
        nn.Softmax2d()(et.randn(2, 3))


# ----- errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fn", "kernel"),
    [
        (F.elu, "elu_cpu"),
        (F.leaky_relu, "leaky_relu_cpu"),
        (F.gelu, "GeluKernelImpl"),
        (F.silu, "silu_cpu"),
        (F.softplus, "softplus_cpu"),
        (F.logsigmoid, "log_sigmoid_cpu"),
        (F.hardsigmoid, "hardsigmoid_cpu"),
        (F.mish, "mish_cpu"),
    ],
)
def test_float_only_activations_reject_integer_input_with_pytorchs_message(fn, kernel):
    with pytest.raises(NotImplementedError, match=f"\"{kernel}\" not implemented for 'Long'"):
        fn(et.tensor([1, -2]))


def test_integer_friendly_activations_keep_integer_dtype():
    x = et.tensor([3, -2, 9])
    assert F.relu(x).tolist() == [3, 0, 9]
    assert F.hardtanh(x).tolist() == [1, -1, 1]
    assert F.relu6(x).tolist() == [3, 0, 6]
    assert F.threshold(x, 2, 7).tolist() == [3, 7, 9]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: F.gelu(et.randn(2), approximate="fast"), RuntimeError, "either none or tanh"),
        (lambda: F.hardtanh(et.randn(2), 1.0, -1.0), ValueError, "min_val cannot be greater"),
        (lambda: F.celu(et.randn(2), alpha=0.0), RuntimeError, "alpha cannot be 0 for CELU"),
        (
            lambda: F.softshrink(et.randn(2), -1.0),
            RuntimeError,
            r"lambda must be in range \[0, 3.40282e\+38\] for input dtype Float, but found -1",
        ),
        (lambda: F.glu(et.randn(3, 3)), RuntimeError, "dimension 1 is size 3"),
        (lambda: F.glu(et.tensor(1.0)), RuntimeError, "glu does not support scalars"),
        (lambda: F.glu(et.randn(4), dim=2), IndexError, "Dimension out of range"),
        (
            lambda: F.prelu(et.randn(2, 4), et.rand(3)),
            RuntimeError,
            "Found parameter numbers = 3 and channel size = 4",
        ),
        (
            lambda: F.prelu(et.randn(2, 4), et.rand(1, 4)),
            RuntimeError,
            "Expected `weight` to be a scalar or 1D tensor, but got: ndim = 2",
        ),
        (
            lambda: F.prelu(et.tensor([1, -2]), et.rand(1)),
            RuntimeError,
            "Type promoting not supported. Got Long and Float",
        ),
    ],
)
def test_bad_arguments_raise_pytorchs_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ----- layers ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("layer", "text"),
    [
        (nn.ReLU(), "ReLU()"),
        (nn.ReLU(inplace=True), "ReLU(inplace=True)"),
        (nn.ReLU6(), "ReLU6()"),
        (nn.LeakyReLU(), "LeakyReLU(negative_slope=0.01)"),
        (nn.LeakyReLU(0.2, True), "LeakyReLU(negative_slope=0.2, inplace=True)"),
        (nn.PReLU(3), "PReLU(num_parameters=3)"),
        (nn.ELU(), "ELU(alpha=1.0)"),
        (nn.ELU(inplace=True), "ELU(alpha=1.0, inplace=True)"),
        (nn.CELU(2.0), "CELU(alpha=2.0)"),
        (nn.SELU(), "SELU()"),
        (nn.GELU(), "GELU(approximate='none')"),
        (nn.GELU("tanh"), "GELU(approximate='tanh')"),
        (nn.SiLU(True), "SiLU(inplace=True)"),
        (nn.Mish(), "Mish()"),
        (nn.Softplus(), "Softplus(beta=1.0, threshold=20.0)"),
        (nn.Hardtanh(), "Hardtanh(min_val=-1.0, max_val=1.0)"),
        (nn.Hardtanh(-2, 2, True), "Hardtanh(min_val=-2, max_val=2, inplace=True)"),
        (nn.Hardswish(True), "Hardswish()"),
        (nn.Threshold(0.1, 20), "Threshold(threshold=0.1, value=20)"),
        (nn.Hardshrink(), "Hardshrink(0.5)"),
        (nn.Softmax(), "Softmax(dim=None)"),
        (nn.Softmax(dim=1), "Softmax(dim=1)"),
        (nn.LogSoftmax(1), "LogSoftmax(dim=1)"),
        (nn.GLU(), "GLU(dim=-1)"),
        (nn.Sigmoid(), "Sigmoid()"),
        (nn.Tanh(), "Tanh()"),
        (nn.LogSigmoid(), "LogSigmoid()"),
    ],
)
def test_layer_repr_matches_pytorch(layer, text):
    assert repr(layer) == text


def test_prelu_layer_has_one_weight_initialised_to_init():
    layer = nn.PReLU(4, init=0.1, dtype=et.float64)
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    assert layer.weight.shape == (4,) and layer.weight.dtype == et.float64
    np.testing.assert_array_equal(layer.weight.numpy(force=True), [0.1] * 4)
    assert list(nn.PReLU().state_dict()) == ["weight"]
    np.testing.assert_array_equal(nn.PReLU().weight.numpy(force=True), [0.25])
    out = layer(et.randn(2, 4, 3, dtype=et.float64))
    out.sum().backward()
    assert layer.weight.grad is not None and layer.weight.grad.shape == (4,)


@pytest.mark.parametrize(
    ("fn", "name"),
    [
        (F.relu6, "HardtanhBackward0"),
        (F.leaky_relu, "LeakyReluBackward0"),
        (F.elu, "EluBackward0"),
        (F.selu, "EluBackward0"),
        (F.celu, "CeluBackward0"),
        (F.gelu, "GeluBackward0"),
        (F.silu, "SiluBackward0"),
        (F.mish, "MishBackward0"),
        (F.softplus, "SoftplusBackward0"),
        (F.hardswish, "HardswishBackward0"),
        (F.hardsigmoid, "HardsigmoidBackward0"),
        (F.logsigmoid, "LogSigmoidBackward0"),
        (F.hardshrink, "HardshrinkBackward0"),
        (F.softshrink, "SoftshrinkBackward0"),
        (lambda x: F.threshold(x, 0.0, 1.0), "ThresholdBackward0"),
        (lambda x: F.prelu(x, et.ones(1)), "PreluKernelBackward0"),
    ],
)
def test_grad_fn_names_match_pytorch(fn, name):
    assert fn(et.randn(3, requires_grad=True)).grad_fn.name() == name
