"""Special functions and the new elementwise math against PyTorch: values, gradients, dtypes."""

from __future__ import annotations

import math

import numpy as np
import pytest

import eagertorch as et

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)
UNARY = {
    "erf": rng.uniform(-4, 4, 40),
    "erfc": rng.uniform(-4, 8, 40),
    "erfinv": rng.uniform(-0.999, 0.999, 40),
    "lgamma": np.concatenate([rng.uniform(0.01, 50, 30), rng.uniform(-6, 0, 10) + 0.013]),
    "digamma": np.concatenate([rng.uniform(0.01, 50, 30), rng.uniform(-6, 0, 10) + 0.013]),
    "asinh": rng.uniform(-5, 5, 20),
    "acosh": rng.uniform(1.01, 9, 20),
    "atanh": rng.uniform(-0.99, 0.99, 20),
    "sinc": np.append(rng.uniform(-4, 4, 20), 0.0),
    "deg2rad": rng.uniform(-400, 400, 20),
    "rad2deg": rng.uniform(-7, 7, 20),
    "logit": rng.uniform(0.01, 0.99, 20),
    "nan_to_num": np.array([1.0, math.nan, math.inf, -math.inf, -2.0]),
}
BINARY = ["xlogy", "hypot", "logaddexp", "logaddexp2", "copysign", "fmax", "fmin"]


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_values_and_gradients(name):
    x = UNARY[name]
    a, b = et.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours, theirs = getattr(et, name)(a), getattr(torch, name)(b)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    (ga,) = et.autograd.grad(ours.sum(), a)
    (gb,) = torch.autograd.grad(theirs.sum(), b)
    np.testing.assert_allclose(ga.numpy(), gb.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["lgamma", "digamma", "erfinv", "erf"])
def test_second_derivatives(name):
    x = np.array([0.3, 1.7, 4.5]) if name != "erfinv" else np.array([-0.6, 0.1, 0.9])
    a, b = et.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (ga,) = et.autograd.grad(getattr(et, name)(a).sum(), a, create_graph=True)
    (gb,) = torch.autograd.grad(getattr(torch, name)(b).sum(), b, create_graph=True)
    (gga,) = et.autograd.grad(ga.sum(), a)
    (ggb,) = torch.autograd.grad(gb.sum(), b)
    # PyTorch's trigamma is good to ~1e-9 (ours to ~1e-15 against mpmath, see test_special.py)
    np.testing.assert_allclose(gga.numpy(), ggb.numpy(), rtol=1e-8)


@pytest.mark.parametrize("name", BINARY)
def test_binary_values_gradients_and_nan(name):
    x = np.array([[-2.0, 0.0, 1.5, math.nan], [3.0, 0.7, 2.5, 2.0]])
    y = np.array([[1.0, -2.0, math.nan, 0.5], [0.25, -1.0, 2.0, -3.0]])
    ta, tb = et.tensor(x, requires_grad=True), et.tensor(y, requires_grad=True)
    ua, ub = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    ours, theirs = getattr(et, name)(ta, tb), getattr(torch, name)(ua, ub)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    finite = np.isfinite(x[1:]).all() and np.isfinite(y[1:]).all()
    assert finite
    # gradients on the NaN-free row (row 0 holds NaN and 0 edge cases for values only)
    ga = et.autograd.grad(ours[1].sum(), (ta, tb))
    gb = torch.autograd.grad(theirs[1].sum(), (ua, ub), allow_unused=True)
    for p, q in zip(ga, gb):
        expected = np.zeros_like(x) if q is None else q.numpy()
        np.testing.assert_allclose(p.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "int64"])
@pytest.mark.parametrize("name", ["erf", "lgamma", "digamma", "erfinv", "deg2rad", "logit", "sinc"])
def test_result_dtypes(name, dtype):
    x = np.array([0, 1], dtype=dtype)
    assert (
        str(getattr(et, name)(et.tensor(x)).dtype).split(".")[-1]
        == str(getattr(torch, name)(torch.tensor(x)).dtype).split(".")[-1]
    )


@pytest.mark.parametrize("name", ["xlogy", "hypot", "logaddexp", "copysign", "fmax"])
def test_binary_result_dtypes(name):
    a, b = np.array([1, 2]), np.array([0.5, 2.0], dtype=np.float32)
    ours = getattr(et, name)(et.tensor(a), et.tensor(b)).dtype
    theirs = getattr(torch, name)(torch.tensor(a), torch.tensor(b)).dtype
    assert str(ours).split(".")[-1] == str(theirs).split(".")[-1]


def test_special_values_match():
    x = np.array([0.0, -0.0, -1.0, -2.5, math.inf, -math.inf, math.nan])
    for name in ("lgamma", "digamma", "erf", "erfc"):
        ours = getattr(et, name)(et.tensor(x)).numpy()
        theirs = getattr(torch, name)(torch.tensor(x)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-13, err_msg=name)


def test_logit_eps_and_nan_to_num_arguments():
    x = np.array([0.0, 0.3, 0.5, 1.0])
    for eps in (1e-3, 0.6):  # eps > 0.5: PyTorch checks the lower bound first
        np.testing.assert_allclose(
            et.logit(et.tensor(x), eps=eps).numpy(), torch.logit(torch.tensor(x), eps=eps).numpy()
        )
    y = np.array([math.nan, math.inf, -math.inf, 1.0], dtype=np.float32)
    np.testing.assert_array_equal(
        et.nan_to_num(et.tensor(y), nan=1.0, neginf=-9.0).numpy(),
        torch.nan_to_num(torch.tensor(y), nan=1.0, neginf=-9.0).numpy(),
    )


def test_polygamma_matches():
    x = np.array([0.2, 1.5, 7.0, -1.5])
    for n in (1, 2, 3):
        np.testing.assert_allclose(
            et.polygamma(n, et.tensor(x)).numpy(),
            torch.polygamma(n, torch.tensor(x)).numpy(),
            rtol=1e-9,  # PyTorch's own polygamma is good to ~1e-10
        )
