"""Edge cases of the reduction family: ties, zeros, stability, empty inputs and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import eagertorch as torch
from eagertorch.autograd import gradcheck, gradgradcheck


def _leaf(values, dtype=torch.float64):
    return torch.tensor(values, dtype=dtype, requires_grad=True)


def _grad(fn, values, dtype=torch.float64) -> np.ndarray:
    x = _leaf(values, dtype)
    fn(x).backward()
    return x.grad.numpy()


# ----- ties and selected indices ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("fn", "values", "expected"),
    [
        (torch.max, [1.0, 3.0, 3.0], [0.0, 0.5, 0.5]),
        (torch.min, [2.0, 1.0, 1.0], [0.0, 0.5, 0.5]),
        (torch.median, [1.0, 2.0, 2.0, 3.0], [0.0, 0.5, 0.5, 0.0]),
        (
            lambda x: torch.amax(x, 1).sum(),
            [[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]],
            [[0.0, 0.5, 0.5], [0.5, 0.0, 0.5]],
        ),
        (lambda x: x.amin(dim=(0, 1)), [[1.0, 3.0], [1.0, 1.0]], [[1 / 3, 0.0], [1 / 3, 1 / 3]]),
        (lambda x: x.norm(math.inf), [1.0, -3.0, 3.0], [0.0, -0.5, 0.5]),
    ],
)
def test_full_reductions_split_gradient_evenly_among_ties(fn, values, expected):
    np.testing.assert_allclose(_grad(fn, values), expected)


@pytest.mark.parametrize(
    ("name", "values", "indices", "grad"),
    [
        ("max", [[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], [1, 0], [[0, 1, 0], [1, 0, 0]]),
        ("min", [[1.0, 1.0, 3.0], [2.0, 0.0, 0.0]], [0, 1], [[1, 0, 0], [0, 1, 0]]),
    ],
)
def test_max_with_dim_sends_gradient_to_first_extremum_only(name, values, indices, grad):
    x = _leaf(values)
    out, idx = getattr(torch, name)(x, 1)
    assert idx.dtype == torch.int64
    assert idx.tolist() == indices
    assert not idx.requires_grad
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), grad)


def test_max_with_dim_returns_a_named_tuple_that_unpacks():
    x = torch.tensor([[1.0, 5.0], [7.0, 2.0]])
    out = x.max(dim=0, keepdim=True)
    values, indices = out
    assert isinstance(out, tuple)
    assert out.values is values and out.indices is indices
    assert out[0] is values
    assert values.shape == (1, 2) and indices.tolist() == [[1, 0]]
    assert "values=" in repr(out) and "indices=" in repr(out)


@pytest.mark.parametrize("name", ["median", "min"])
def test_other_value_index_reductions_return_named_tuples(name):
    out = getattr(torch.tensor([[3.0, 1.0, 2.0]]), name)(1)
    assert out.values.tolist() == ([2.0] if name == "median" else [1.0])
    assert out.indices.tolist() == ([2] if name == "median" else [1])


def test_aminmax_returns_min_and_max_fields():
    out = torch.aminmax(torch.tensor([[3.0, 1.0], [0.0, 4.0]]), dim=1)
    low, high = out
    assert low.tolist() == [1.0, 0.0] and high.tolist() == [3.0, 4.0]
    assert out.min is low and out.max is high


def test_max_with_a_tensor_argument_is_elementwise_maximum():
    a, b = torch.tensor([1.0, 5.0]), torch.tensor([3.0, 2.0])
    assert torch.max(a, b).tolist() == [3.0, 5.0]
    assert a.min(b).tolist() == [1.0, 2.0]


def test_argmax_flattens_without_dim_and_keeps_dims_on_request():
    x = torch.tensor([[1.0, 9.0, 3.0], [4.0, 5.0, 6.0]])
    assert torch.argmax(x).item() == 1
    assert torch.argmax(x, keepdim=True).shape == (1, 1)
    assert x.argmin(dim=1).tolist() == [0, 0]
    assert x.argmax(1, keepdim=True).shape == (2, 1)
    assert x.argmax().dtype == torch.int64


def test_integer_extrema_keep_their_dtype():
    x = torch.tensor([3, 1, 2], dtype=torch.int32)
    assert x.max().dtype == torch.int32
    assert x.max(0).values.dtype == torch.int32
    assert x.median().item() == 2


# ----- dtypes -----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [torch.bool, torch.uint8, torch.int8, torch.int32, torch.int64])
@pytest.mark.parametrize("op", ["sum", "prod", "cumsum", "nansum"])
def test_integer_and_bool_accumulations_give_int64(dtype, op):
    x = torch.tensor([1, 1, 0], dtype=dtype)
    out = getattr(x, op)(0) if op == "cumsum" else getattr(x, op)()
    assert out.dtype == torch.int64


def test_sum_dtype_argument_casts_first_and_gradient_comes_back_in_input_dtype():
    x = _leaf([1.0, 2.0], torch.float32)
    y = x.sum(dtype=torch.float64)
    assert y.dtype == torch.float64
    y.backward()
    assert x.grad.dtype == torch.float32
    assert x.grad.tolist() == [1.0, 1.0]


def test_mean_of_integer_tensor_raises_like_pytorch():
    with pytest.raises(
        RuntimeError,
        match=r"mean\(\): could not infer output dtype. Input dtype "
        r"must be either a floating point or complex dtype. Got: Long",
    ):
        torch.tensor([1, 2]).mean()


def test_mean_of_integer_tensor_with_float_dtype_works():
    assert torch.tensor([1, 2]).mean(dtype=torch.float32).item() == 1.5


def test_reductions_keep_float32():
    x = torch.ones(3, 4)
    for out in (
        x.sum(),
        x.mean(1),
        x.var(0),
        x.std(),
        x.norm(),
        x.logsumexp(1),
        x.prod(),
        x.softmax(0),
        x.log_softmax(1),
        x.cumsum(0),
        x.cumprod(1),
        x.amax(),
    ):
        assert out.dtype == torch.float32


# ----- zeros in products ------------------------------------------------------------------
def _products_of_others(values) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    return np.array([np.prod(np.delete(v, i)) for i in range(v.size)])


@pytest.mark.parametrize(
    "values", [[2.0, 0.0, 3.0], [0.0, 0.0, 3.0], [0.0, 0.0, 0.0], [1.5, -2.0, 0.5]]
)
def test_prod_gradient_is_exact_with_zeros(values):
    np.testing.assert_allclose(_grad(torch.prod, values), _products_of_others(values))


@pytest.mark.parametrize("dim", [None, 0, 1])
@pytest.mark.parametrize(
    "values", [[[2.0, 0.0, 3.0], [1.5, -1.0, 2.0]], [[0.0, 0.0, 3.0], [0.0, 2.0, 0.0]]]
)
def test_prod_second_derivative_is_exact_with_zeros(values, dim):
    x = _leaf(values)
    assert gradcheck(lambda t: t.prod(dim), (x,))
    assert gradgradcheck(lambda t: t.prod(dim), (x,))


def _cumprod_grad(values) -> np.ndarray:
    """d sum(cumprod(x)) / dx by brute force."""
    v = np.asarray(values, dtype=float)
    return np.array(
        [sum(np.prod(np.delete(v[: i + 1], k)) for i in range(k, v.size)) for k in range(v.size)]
    )


@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0, 4.0], [0.0, 2.0, 0.0, 3.0], [1.0, 2.0, 3.0]])
def test_cumprod_gradient_is_exact_with_zeros(values):
    np.testing.assert_allclose(_grad(lambda x: x.cumprod(0).sum(), values), _cumprod_grad(values))


@pytest.mark.parametrize("dim", [0, 1])
def test_cumprod_second_derivative_is_exact_with_zeros(dim):
    x = _leaf([[2.0, 0.0, 3.0], [0.0, 1.5, 0.0], [1.0, -2.0, 0.5]])
    assert gradcheck(lambda t: t.cumprod(dim), (x,))
    assert gradgradcheck(lambda t: t.cumprod(dim), (x,))


# ----- subgradients at kinks ---------------------------------------------------------------
@pytest.mark.parametrize("p", [2, "fro", 3, 1.5])
def test_norm_gradient_at_zero_is_zero(p):
    x = _leaf([[0.0, 0.0], [3.0, 4.0]])
    torch.norm(x, p, dim=1).sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))
    np.testing.assert_array_equal(x.grad.numpy()[0], [0.0, 0.0])


def test_std_gradient_of_a_constant_slice_is_zero():
    x = _leaf([[2.0, 2.0, 2.0], [1.0, 2.0, 3.0]])
    x.std(1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(x.grad.numpy()[1], [-0.5, 0.0, 0.5])


# ----- var / std arguments -------------------------------------------------------------------
def test_var_correction_and_legacy_unbiased_forms_agree():
    values = np.array([[1.0, 2.0, 4.0], [3.0, 5.0, 9.0]])
    x = torch.tensor(values)
    biased = np.var(values)
    for out in (x.var(unbiased=False), x.var(correction=0), torch.var(x, False)):
        np.testing.assert_allclose(out.item(), biased)
    np.testing.assert_allclose(x.var().item(), np.var(values, ddof=1))
    np.testing.assert_allclose(x.var(1, False, True).numpy(), np.var(values, 1, keepdims=True))
    np.testing.assert_allclose(x.std(1, correction=2).numpy(), np.std(values, 1, ddof=2))


def test_var_and_std_without_degrees_of_freedom_are_inf_or_nan():
    assert math.isnan(torch.tensor([1.0]).var().item())
    assert math.isinf(torch.tensor([1.0, 2.0]).var(correction=2).item())
    assert math.isnan(torch.tensor([1.0]).std().item())


def test_var_mean_returns_var_then_mean():
    v, m = torch.var_mean(torch.tensor([[1.0, 3.0], [5.0, 9.0]]), 1, keepdim=True)
    assert v.tolist() == [[2.0], [8.0]] and m.tolist() == [[2.0], [7.0]]
    s, m = torch.std_mean(torch.tensor([1.0, 3.0]), correction=0)
    assert s.item() == 1.0 and m.item() == 2.0


def test_var_of_integer_tensor_raises():
    with pytest.raises(RuntimeError, match="std and var only support floating point"):
        torch.tensor([1, 2]).var()


# ----- numerical stability -----------------------------------------------------------------
def test_softmax_and_log_softmax_are_stable_for_logits_of_size_1e4():
    x = torch.tensor([1e4, -1e4, 0.0], requires_grad=True)
    y = torch.softmax(x, 0)
    np.testing.assert_allclose(y.detach().numpy(), [1.0, 0.0, 0.0])
    np.testing.assert_allclose(x.log_softmax(0).detach().numpy(), [0.0, -2e4, -1e4])
    (y * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))


def test_softmax_backward_matches_its_closed_form():
    x = _leaf([[0.5, -1.0, 2.0]])
    w = torch.tensor([[1.0, -2.0, 0.5]], dtype=torch.float64)
    (x.softmax(1) * w).sum().backward()
    y = np.exp([0.5, -1.0, 2.0]) / np.exp([0.5, -1.0, 2.0]).sum()
    g = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(x.grad.numpy()[0], y * (g - (g * y).sum()))


def test_logsumexp_is_stable_and_handles_infinities():
    assert torch.logsumexp(torch.tensor([1e4, 1e4]), 0).item() == pytest.approx(1e4 + math.log(2))
    assert torch.logsumexp(torch.tensor([-math.inf, -math.inf]), 0).item() == -math.inf
    assert torch.logsumexp(torch.tensor([math.inf, 0.0]), 0).item() == math.inf
    np.testing.assert_allclose(_grad(lambda x: x.logsumexp(0), [-math.inf, 0.0]), [0.0, 1.0])


def test_logsumexp_of_integers_is_floating():
    assert torch.tensor([1, 2]).logsumexp(0).dtype == torch.float32


# ----- errors and empty inputs -------------------------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda x: x.sum(5),
        lambda x: x.mean((0, 5)),
        lambda x: x.amax(5),
        lambda x: x.max(5),
        lambda x: x.argmax(5),
        lambda x: x.cumsum(5),
        lambda x: x.softmax(5),
        lambda x: x.var(5),
        lambda x: x.logsumexp(5),
        lambda x: x.norm(dim=5),
        lambda x: x.prod(5),
        lambda x: x.median(5),
        lambda x: x.all(5),
    ],
)
def test_out_of_range_dim_raises_index_error(call):
    with pytest.raises(
        IndexError,
        match=r"^Dimension out of range \(expected to be in range of "
        r"\[-2, 1\], but got 5\)$",
    ):
        call(torch.ones(2, 3))


def test_dim_accepts_numpy_integers_and_lists():
    x = torch.ones(2, 3)
    assert x.sum(np.int64(1)).tolist() == [3.0, 3.0]
    assert x.max(np.int32(0)).values.shape == (3,)
    assert x.mean([0, 1]).item() == 1.0


def test_repeated_dim_raises():
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times in the list of dims"):
        torch.ones(2, 3).sum((0, -2))


def test_max_of_empty_tensor_raises_and_amax_over_empty_dim_raises():
    with pytest.raises(RuntimeError, match=r"max\(\): Expected reduction dim to be specified"):
        torch.ones(0).max()
    with pytest.raises(IndexError, match=r"amax\(\): Expected reduction dim 0 to have non-zero"):
        torch.ones(0, 2).amax(0)
    assert torch.ones(0, 2).amax(1).shape == (0,)


def test_empty_sums_means_and_products_use_their_identities():
    e = torch.ones(0, 3)
    assert e.sum(0).tolist() == [0.0, 0.0, 0.0]
    assert e.prod(0).tolist() == [1.0, 1.0, 1.0]
    assert all(math.isnan(v) for v in e.mean(0).tolist())
    assert e.logsumexp(0).tolist() == [-math.inf] * 3


def test_softmax_of_integers_raises_without_dtype():
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        torch.tensor([1, 2]).softmax(0)
    assert torch.tensor([1, 2]).softmax(0, dtype=torch.float32).dtype == torch.float32


def test_inf_norm_of_an_empty_reduction_raises():
    with pytest.raises(RuntimeError, match="cannot compute the inf norm on an empty tensor"):
        torch.ones(0).norm(math.inf)
    with pytest.raises(RuntimeError, match="cannot compute the -inf norm on the dimension 0"):
        torch.ones(0, 2).norm(-math.inf, dim=0)
    assert torch.ones(0, 2).norm(math.inf, dim=1).shape == (0,)


def test_norm_of_integers_raises():
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor"):
        torch.tensor([1, 2]).norm()


# ----- 0-d inputs, logic and counting ----------------------------------------------------------
def test_zero_dim_inputs_reduce_over_dim_0():
    s = torch.tensor(3.0)
    assert s.sum(0).item() == 3.0 and s.sum(0, keepdim=True).shape == ()
    values, indices = s.max(0)
    assert values.item() == 3.0 and indices.item() == 0
    assert s.cumsum(0).item() == 3.0
    assert s.softmax(-1).item() == 1.0
    assert s.argmax(0).item() == 0


def test_all_and_any_give_bool_or_uint8_for_uint8_inputs():
    x = torch.tensor([[1.0, 0.0], [2.0, 3.0]])
    assert x.all(1).tolist() == [False, True] and x.all().dtype == torch.bool
    assert x.any(dim=(0, 1)).item() is True
    u = torch.tensor([1, 2], dtype=torch.uint8)
    assert u.all().dtype == torch.uint8


def test_count_nonzero_counts_over_dims():
    x = torch.tensor([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0]])
    assert x.count_nonzero().item() == 3
    assert torch.count_nonzero(x, 0).tolist() == [1, 0, 2]
    assert x.count_nonzero(dim=(0, 1)).dtype == torch.int64


def test_nansum_ignores_nan_and_sends_it_no_gradient():
    x = _leaf([1.0, math.nan, 2.0])
    y = x.nansum()
    assert y.item() == 3.0
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 1.0])


def test_median_and_max_propagate_nan():
    x = torch.tensor([[1.0, math.nan, 3.0]])
    assert math.isnan(x.median().item()) and math.isnan(x.max().item())
    assert x.median(1).indices.tolist() == [1]
    assert x.max(1).indices.tolist() == [1]


def test_cumsum_has_an_in_place_variant():
    x = torch.tensor([1.0, 2.0, 3.0])
    assert x.cumsum_(0) is x
    assert x.tolist() == [1.0, 3.0, 6.0]


def test_cumsum_gradient_is_the_reversed_running_sum():
    np.testing.assert_allclose(
        _grad(
            lambda x: (x.cumsum(0) * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum(),
            [0.5, 0.5, 0.5],
        ),
        [6.0, 5.0, 3.0],
    )
