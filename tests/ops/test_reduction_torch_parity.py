"""Values, gradients and second derivatives of the reduction family against PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import eagertorch as et

torch = pytest.importorskip("torch")

_RNG = np.random.default_rng(0)
# Distinct values (no ties) away from zero, and variants with ties and zeros.
DISTINCT = _RNG.permutation(np.linspace(-3.0, 3.0, 60)).reshape(3, 4, 5) + 0.01
WITH_ZEROS = np.where(_RNG.random((3, 4, 5)) < 0.25, 0.0, DISTINCT)
TIES = np.round(DISTINCT)

# (id, call(module, x), input): ``module`` is eagertorch or torch.
DIFFERENTIABLE = [
    ("sum", lambda m, x: x.sum(), DISTINCT),
    ("sum_dim", lambda m, x: m.sum(x, 1), DISTINCT),
    ("sum_dims_keepdim", lambda m, x: x.sum((0, 2), keepdim=True), DISTINCT),
    ("mean_dim", lambda m, x: x.mean(-1), DISTINCT),
    ("mean_dims", lambda m, x: m.mean(x, (0, 1)), DISTINCT),
    ("nansum", lambda m, x: m.nansum(x, 1), DISTINCT),
    ("prod", lambda m, x: (x / 2).prod(), DISTINCT[0]),
    ("prod_dim", lambda m, x: x.prod(1), DISTINCT),
    ("prod_zeros", lambda m, x: x.prod(2, keepdim=True), WITH_ZEROS),
    ("prod_all_zeros", lambda m, x: x[0].prod(), WITH_ZEROS),
    ("max", lambda m, x: x.max(), DISTINCT),
    ("max_ties", lambda m, x: x.max(), TIES),
    ("max_dim", lambda m, x: x.max(1).values, DISTINCT),
    ("max_dim_ties", lambda m, x: m.max(x, 2)[0], TIES),
    ("min_dim_keepdim", lambda m, x: x.min(0, keepdim=True).values, DISTINCT),
    ("min_ties", lambda m, x: m.min(x), TIES),
    ("amax_dims", lambda m, x: m.amax(x, (0, 2)), TIES),
    ("amin_keepdim", lambda m, x: x.amin(1, True), TIES),
    ("aminmax", lambda m, x: sum(m.aminmax(x, dim=1)), DISTINCT),
    ("median", lambda m, x: x.median(), DISTINCT),
    ("median_ties", lambda m, x: x.median(), TIES),
    ("median_dim", lambda m, x: x.median(1).values, DISTINCT),
    ("var", lambda m, x: x.var(), DISTINCT),
    ("var_dim_biased", lambda m, x: m.var(x, 1, unbiased=False), DISTINCT),
    ("var_correction", lambda m, x: x.var((0, 2), correction=2, keepdim=True), DISTINCT),
    ("std_dim", lambda m, x: x.std(1), DISTINCT),
    ("std_constant", lambda m, x: (x * 0 + 1).std(1), DISTINCT),
    ("var_mean", lambda m, x: sum(m.var_mean(x, 2)), DISTINCT),
    ("std_mean", lambda m, x: sum(m.std_mean(x, 0, keepdim=True)), DISTINCT),
    ("logsumexp", lambda m, x: m.logsumexp(x, 1), DISTINCT),
    ("logsumexp_dims", lambda m, x: x.logsumexp((0, 2), keepdim=True), DISTINCT),
    ("norm", lambda m, x: x.norm(), DISTINCT),
    ("norm_zero_rows", lambda m, x: m.norm(x * (x > 0), dim=2), TIES),
    ("norm_1", lambda m, x: x.norm(1, dim=1), DISTINCT),
    ("norm_inf", lambda m, x: x.norm(math.inf, dim=2), DISTINCT),
    ("norm_minus_inf", lambda m, x: m.norm(x, -math.inf), DISTINCT),
    ("norm_0", lambda m, x: x.norm(0, dim=0), WITH_ZEROS),
    ("norm_3", lambda m, x: x.norm(3, dim=(0, 1)), DISTINCT),
    ("norm_half", lambda m, x: x.norm(0.5, dim=2, keepdim=True), DISTINCT),
    ("norm_fro", lambda m, x: m.norm(x, "fro", dim=(1, 2)), DISTINCT),
    ("cumsum", lambda m, x: x.cumsum(1), DISTINCT),
    ("cumprod", lambda m, x: m.cumprod(x, 2), DISTINCT),
    ("cumprod_zeros", lambda m, x: x.cumprod(2), WITH_ZEROS),
    ("softmax", lambda m, x: x.softmax(1), DISTINCT),
    ("softmax_large", lambda m, x: m.softmax(x * 1e4, -1), DISTINCT),
    ("log_softmax", lambda m, x: m.log_softmax(x, 0), DISTINCT),
    ("log_softmax_large", lambda m, x: (x * 1e4).log_softmax(2), DISTINCT),
]

# Linear and piecewise-linear ones (sum, cumsum, amax) have no second derivative to compare.
SECOND_ORDER = {
    "prod_dim",
    "prod_zeros",
    "var_correction",
    "std_dim",
    "logsumexp",
    "norm",
    "norm_3",
    "norm_half",
    "cumprod",
    "cumprod_zeros",
    "softmax",
    "log_softmax",
}


def _pair(values):
    return (
        et.tensor(values, dtype=et.float64, requires_grad=True),
        torch.tensor(values, dtype=torch.float64, requires_grad=True),
    )


def _close(ours, theirs, **kw):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **kw)


@pytest.mark.parametrize(
    ("call", "values"), [c[1:] for c in DIFFERENTIABLE], ids=[c[0] for c in DIFFERENTIABLE]
)
def test_values_and_gradients_match_pytorch(call, values):
    a, t = _pair(values)
    ours, theirs = call(et, a), call(torch, t)
    assert tuple(ours.shape) == tuple(theirs.shape)
    _close(ours, theirs, rtol=1e-10, atol=1e-12)
    w = _RNG.standard_normal(tuple(theirs.shape))
    (ours * et.tensor(w)).sum().backward()
    (theirs * torch.tensor(w)).sum().backward()
    # PyTorch leaves .grad unset where the gradient is identically zero (norm with p=0).
    expected = t.grad.numpy() if t.grad is not None else np.zeros(values.shape)
    np.testing.assert_allclose(a.grad.numpy(), expected, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize(
    ("call", "values"),
    [c[1:] for c in DIFFERENTIABLE if c[0] in SECOND_ORDER],
    ids=[c[0] for c in DIFFERENTIABLE if c[0] in SECOND_ORDER],
)
def test_second_derivatives_match_pytorch(call, values):
    a, t = _pair(values)
    ours, theirs = call(et, a), call(torch, t)
    w = _RNG.standard_normal(tuple(theirs.shape))
    v = _RNG.standard_normal(values.shape)
    (ga,) = et.autograd.grad((ours * et.tensor(w)).sum(), a, create_graph=True)
    (gt,) = torch.autograd.grad((theirs * torch.tensor(w)).sum(), t, create_graph=True)
    (ha,) = et.autograd.grad((ga * et.tensor(v)).sum(), a)
    (ht,) = torch.autograd.grad((gt * torch.tensor(v)).sum(), t)
    np.testing.assert_allclose(ha.numpy(), ht.numpy(), rtol=1e-7, atol=1e-9)


INDICES = [
    ("max_dim", lambda m, x: x.max(1).indices),
    ("min_dim_keepdim", lambda m, x: m.min(x, 0, True)[1]),
    ("argmax", lambda m, x: x.argmax()),
    ("argmax_keepdim", lambda m, x: m.argmax(x, 2, keepdim=True)),
    ("argmin", lambda m, x: x.argmin(-1)),
    ("median_dim", lambda m, x: x.median(2).indices),
]


@pytest.mark.parametrize("values", [DISTINCT, TIES], ids=["distinct", "ties"])
@pytest.mark.parametrize("call", [c[1] for c in INDICES], ids=[c[0] for c in INDICES])
def test_indices_match_pytorch(call, values):
    ours = call(et, et.tensor(values))
    theirs = call(torch, torch.tensor(values))
    assert ours.dtype == et.int64
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


LOGIC = [
    ("all", lambda m, x: (x > -2).all(1)),
    ("any_dims", lambda m, x: m.any(x > 2.9, (0, 2), keepdim=True)),
    ("count_nonzero", lambda m, x: m.count_nonzero(x, 1)),
    ("sum_bool", lambda m, x: (x > 0).sum(0)),
    ("cumsum_int", lambda m, x: (x > 0).int().cumsum(2)),
    ("prod_int", lambda m, x: x.round().long().prod(1)),
    ("max_int", lambda m, x: x.round().int().max(1).values),
]


@pytest.mark.parametrize("call", [c[1] for c in LOGIC], ids=[c[0] for c in LOGIC])
def test_logic_and_integer_reductions_match_pytorch(call):
    ours, theirs = call(et, et.tensor(WITH_ZEROS)), call(torch, torch.tensor(WITH_ZEROS))
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
