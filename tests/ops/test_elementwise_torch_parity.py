"""Values and gradients of the elementwise family against PyTorch (skipped without it)."""

from __future__ import annotations

import numpy as np
import pytest

import eagertorch as et

torch = pytest.importorskip("torch")

UNARY = [
    "neg",
    "abs",
    "exp",
    "exp2",
    "expm1",
    "sin",
    "cos",
    "tan",
    "atan",
    "sinh",
    "cosh",
    "tanh",
    "sigmoid",
    "relu",
    "square",
    "floor",
    "ceil",
    "trunc",
    "frac",
    "sign",
]
POSITIVE = ["log", "log2", "log10", "log1p", "sqrt", "rsqrt", "reciprocal"]
UNIT = ["asin", "acos"]
BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "atan2", "remainder", "pow"]


def _pair(values):
    a = et.tensor(values, dtype=et.float64, requires_grad=True)
    t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    return a, t


def _check(ours, theirs, a, t):
    np.testing.assert_allclose(
        ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12
    )
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", UNARY + POSITIVE + UNIT)
def test_unary_values_and_gradients_match_pytorch(name):
    rng = np.random.default_rng(0)
    if name in POSITIVE:
        values = rng.uniform(0.2, 3.0, (3, 4))
    elif name in UNIT:
        values = rng.uniform(-0.9, 0.9, (3, 4))
    else:
        values = rng.uniform(-2.0, 2.0, (3, 4))
    a, t = _pair(values)
    _check(getattr(et, name)(a), getattr(torch, name)(t), a, t)


@pytest.mark.parametrize("name", BINARY)
def test_binary_values_and_broadcast_gradients_match_pytorch(name):
    rng = np.random.default_rng(1)
    x = rng.uniform(0.5, 2.0, (3, 1))
    y = rng.uniform(0.5, 2.0, (4,))
    a, t = _pair(x)
    b, u = _pair(y)
    ours, theirs = getattr(et, name)(a, b), getattr(torch, name)(t, u)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10)
    (ours * ours).sum().backward()
    (theirs * theirs).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-9)
    np.testing.assert_allclose(b.grad.numpy(), u.grad.numpy(), rtol=1e-9)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.tensor([1, 2], dtype=m.int32) + 2.5,
        lambda m: m.tensor([1, 2], dtype=m.int32) * m.tensor([1.5, 2.0], dtype=m.float64),
        lambda m: m.tensor([1, 2], dtype=m.uint8) + m.tensor([1, -2], dtype=m.int8),
        lambda m: m.tensor([1.0, 2.0]) + m.tensor(1.0, dtype=m.float64),
        lambda m: m.tensor([1, 2]) / m.tensor([2, 2]),
        lambda m: m.tensor([True, False]) + 1,
        lambda m: m.tensor([1, 2], dtype=m.int64) + m.tensor([1.0], dtype=m.float16),
        lambda m: m.tensor([3, 4]) ** 2,
        lambda m: 2 ** m.tensor([3, 4]),
    ],
)
def test_type_promotion_matches_pytorch(make):
    ours, theirs = make(et), make(torch)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.numpy().astype(float), theirs.numpy().astype(float))


def test_clamp_and_where_gradients_match_pytorch():
    values = [-2.0, -0.5, 0.0, 0.5, 2.0]
    a, t = _pair(values)
    _check(et.clamp(a, -1.0, 1.0), torch.clamp(t, -1.0, 1.0), a, t)
    a, t = _pair(values)
    _check(et.where(a > 0, a * 2, -a), torch.where(t > 0, t * 2, -t), a, t)
