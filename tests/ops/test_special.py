"""Accuracy and edge cases of erf, erfc, erfinv, lgamma, digamma and friends (numpy-only)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import eagertorch as torch
from eagertorch.autograd import grad

X = np.concatenate([np.linspace(-6, 6, 1201), np.geomspace(1e-300, 0.5, 200)])


def _rel(got, expected):
    """Largest relative error; where the expected value is 0 the result must be 0 too."""
    zero = expected == 0
    assert np.all(got[zero] == 0)
    return np.max(np.abs(got - expected)[~zero] / np.abs(expected[~zero]))


def _of(fn, x):
    return fn(torch.tensor(x)).numpy()


@pytest.mark.parametrize("name", ["erf", "erfc"])
def test_erf_and_erfc_match_math_to_1e_13_relative(name):
    x = X[np.abs(X) < 26] if name == "erfc" else X
    expected = np.array([getattr(math, name)(v) for v in x])
    assert _rel(_of(getattr(torch, name), x), expected) < 1e-13


def test_erfinv_inverts_erf_and_erfc_in_the_tails():
    y = np.concatenate([np.linspace(-0.999, 0.999, 999), 1 - np.geomspace(2e-16, 0.4, 50)])
    x = _of(torch.erfinv, y)
    central = np.abs(y) <= 0.5
    assert _rel(np.array([math.erf(v) for v in x[central]]), y[central]) < 1e-14
    tail = 1 - np.abs(y[~central])
    assert _rel(np.array([math.erfc(abs(v)) for v in x[~central]]), tail) < 5e-14


def test_erfinv_special_values():
    out = torch.erfinv(torch.tensor([1.0, -1.0, 1.5, 0.0, math.nan])).tolist()
    assert out[:2] == [math.inf, -math.inf] and math.isnan(out[2]) and out[3] == 0.0
    assert math.isnan(out[4])


def test_lgamma_matches_math_to_1e_13_relative_for_positive_x():
    x = np.concatenate([np.linspace(0.01, 40, 4000), np.geomspace(40, 1e300, 50)])
    x = x[(np.abs(x - 1) > 1e-3) & (np.abs(x - 2) > 1e-3)]  # math.lgamma loses digits there
    assert _rel(_of(torch.lgamma, x), np.array([math.lgamma(v) for v in x])) < 1e-13


def test_lgamma_near_its_zeros_keeps_relative_accuracy():
    mpmath = pytest.importorskip("mpmath")
    x = np.array([1 + 1e-9, 1 - 1e-6, 1.002, 2 - 1e-8, 2.01, 1.9])
    expected = np.array([float(mpmath.loggamma(mpmath.mpf(v))) for v in x])
    assert _rel(_of(torch.lgamma, x), expected) < 1e-14


def test_lgamma_reflection_for_negative_x():
    x = np.linspace(-9.95, -0.05, 199)
    x = x[np.abs(x - np.round(x)) > 1e-3]
    expected = np.array([math.lgamma(v) for v in x])
    assert np.max(np.abs(_of(torch.lgamma, x) - expected)) < 1e-12


def test_lgamma_poles_and_infinities_are_inf():
    assert (
        torch.lgamma(torch.tensor([0.0, -1.0, -4.0, math.inf, -math.inf])).tolist()
        == [math.inf] * 5
    )


def test_digamma_matches_mpmath():
    mpmath = pytest.importorskip("mpmath")
    x = np.concatenate([np.linspace(0.05, 30, 300), np.linspace(-4.93, -0.07, 100), [1e10]])
    expected = np.array([float(mpmath.digamma(v)) for v in x])
    far = np.abs(expected) > 0.1  # relative accuracy is lost at digamma's roots
    assert _rel(_of(torch.digamma, x)[far], expected[far]) < 1e-13
    assert np.max(np.abs(_of(torch.digamma, x) - expected)) < 1e-12


def test_digamma_poles_follow_pytorch():
    out = torch.digamma(torch.tensor([0.0, -0.0, -1.0, math.inf])).tolist()
    assert out[0] == -math.inf and out[1] == math.inf and math.isnan(out[2])
    assert out[3] == math.inf


def test_lgamma_second_derivative_is_trigamma():
    x = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    (g,) = grad(torch.lgamma(x), x, create_graph=True)
    (gg,) = grad(g, x)
    assert g.item() == pytest.approx(1.5 - 0.5772156649015329, rel=1e-14)  # psi(3)
    assert gg.item() == pytest.approx(math.pi**2 / 6 - 1.25, rel=1e-14)  # psi'(3)


@pytest.mark.parametrize("name", ["erf", "erfinv", "lgamma", "digamma", "sinc", "deg2rad"])
def test_float32_stays_float32_and_integers_promote(name):
    fn = getattr(torch, name)
    assert fn(torch.tensor([0.25], dtype=torch.float32)).dtype == torch.float32
    assert fn(torch.tensor([1])).dtype == torch.float32


def test_sinc_gradient_at_zero_is_zero_and_second_is_minus_pi_squared_over_3():
    x = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    (g,) = grad(torch.sinc(x), x, create_graph=True)
    (gg,) = grad(g, x)
    assert g.item() == 0.0 and gg.item() == pytest.approx(-(math.pi**2) / 3)


def test_nan_to_num_gives_no_gradient_to_replaced_elements():
    x = torch.tensor([1.0, math.nan, math.inf], requires_grad=True)
    torch.nan_to_num(x, posinf=5.0).sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 0.0]


def test_xlogy_is_zero_where_x_is_zero_unless_y_is_nan():
    out = torch.xlogy(torch.tensor([0.0, 0.0, 2.0]), torch.tensor([0.0, math.nan, math.e]))
    assert out[0].item() == 0.0 and math.isnan(out[1].item()) and out[2].item() == 2.0


def test_fmax_ignores_nan_and_gives_it_no_gradient():
    a = torch.tensor([math.nan, 1.0], requires_grad=True)
    b = torch.tensor([2.0, math.nan], requires_grad=True)
    out = torch.fmax(a, b)
    out.sum().backward()
    assert out.tolist() == [2.0, 1.0] and a.grad.tolist() == [0.0, 1.0]
    assert b.grad.tolist() == [1.0, 0.0]


def test_polygamma_negative_order_raises():
    with pytest.raises(RuntimeError, match="negative n"):
        torch.polygamma(-1, torch.tensor([1.0]))


def test_arc_aliases_are_the_same_ops():
    x = torch.tensor([0.5])
    assert torch.arcsinh(x).item() == torch.asinh(x).item()
    assert x.arctanh().item() == x.atanh().item()
    assert torch.arccosh(x + 1).item() == (x + 1).acosh().item()


@pytest.mark.parametrize("n", [1, 2, 3])
def test_polygamma_matches_mpmath(n):
    mpmath = pytest.importorskip("mpmath")
    x = np.array([0.2, 1.7, 9.9, 10.1, 55.0, -1.5, -3.3])
    expected = np.array([float(mpmath.polygamma(n, v)) for v in x])
    assert _rel(torch.polygamma(n, torch.tensor(x)).numpy(), expected) < 1e-13
