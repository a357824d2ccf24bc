"""Elementwise edge cases: kinks, ties, zeros, extremes, in-place variants and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import eagertorch as torch
from eagertorch.testing import assert_close


def grad_of(fn, values, dtype=torch.float64):
    x = torch.tensor(values, dtype=dtype, requires_grad=True)
    fn(x).sum().backward()
    return x.grad


def test_relu_gradient_at_zero_is_zero():
    assert_close(grad_of(torch.relu, [-1.0, 0.0, 2.0]), [0.0, 0.0, 1.0])


def test_relu_keeps_nan_and_integer_dtypes_and_rejects_bool_like_pytorch():
    out = torch.relu(torch.tensor([-np.inf, -1.0, np.nan, 0.5]))
    np.testing.assert_array_equal(out.numpy(), [0.0, 0.0, np.nan, 0.5])
    ints = torch.relu(torch.tensor([3, -2], dtype=torch.int32))
    assert ints.dtype == torch.int32 and ints.tolist() == [3, 0]
    with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
        torch.relu(torch.tensor([True, False]))


def test_abs_gradient_at_zero_is_zero():
    assert_close(grad_of(torch.abs, [-2.0, 0.0, 3.0]), [-1.0, 0.0, 1.0])


def test_maximum_ties_split_the_gradient():
    a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = torch.tensor([1.0, 5.0, 0.0], requires_grad=True)
    torch.maximum(a, b).sum().backward()
    assert_close(a.grad, [0.5, 0.0, 1.0])
    assert_close(b.grad, [0.5, 1.0, 0.0])


def test_pow_zero_base_and_zero_exponent_gradients_are_finite():
    x = torch.tensor([0.0, 2.0], dtype=torch.float64, requires_grad=True)
    (x**0).sum().backward()
    assert_close(x.grad, [0.0, 0.0])
    x.grad = None
    (x**2).sum().backward()
    assert_close(x.grad, [0.0, 4.0])
    e = torch.tensor([2.0, 3.0], dtype=torch.float64, requires_grad=True)
    base = torch.tensor([0.0, 1.0], dtype=torch.float64)
    (base**e).sum().backward()
    assert torch.isfinite(e.grad).all()


def test_clamp_passes_gradient_at_the_bounds_like_pytorch():
    assert_close(
        grad_of(lambda x: x.clamp(0.0, 1.0), [-1.0, 0.0, 0.5, 1.0, 2.0]), [0.0, 1.0, 1.0, 1.0, 0.0]
    )


def test_clamp_with_tensor_bounds_routes_gradient_to_the_active_bound():
    x = torch.tensor([-2.0, 0.5, 3.0], requires_grad=True)
    lo = torch.tensor([-1.0, -1.0, -1.0], requires_grad=True)
    hi = torch.tensor([1.0, 1.0, 1.0], requires_grad=True)
    torch.clamp(x, lo, hi).sum().backward()
    assert_close(x.grad, [0.0, 1.0, 0.0])
    assert_close(lo.grad, [1.0, 0.0, 0.0])
    assert_close(hi.grad, [0.0, 0.0, 1.0])


def test_clamp_without_bounds_raises():
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max'"):
        torch.clamp(torch.ones(2))


def test_sigmoid_is_stable_at_extremes():
    y = torch.sigmoid(torch.tensor([-1e4, 0.0, 1e4]))
    assert_close(y, [0.0, 0.5, 1.0])
    assert torch.isfinite(grad_of(torch.sigmoid, [-1e4, 1e4], torch.float32)).all()


def test_division_by_zero_gives_inf_without_numpy_warnings():
    from eagertorch.ops import silence_floating_point_warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        silence_floating_point_warnings()  # as `import eagertorch` does in a normal session
        out = torch.tensor([1.0, -1.0, 0.0]) / 0.0
        torch.log(torch.tensor([0.0]))
        assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]
        np.log(np.zeros(1))  # the user's own numpy code still warns
    assert [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert np.isinf(out.numpy()[:2]).all() and np.isnan(out.numpy()[2])


def test_sqrt_of_zero_has_infinite_gradient_like_pytorch():
    assert grad_of(torch.sqrt, [0.0]).tolist() == [float("inf")]


def test_where_routes_gradient_by_condition():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = torch.tensor([3.0, 4.0], requires_grad=True)
    torch.where(torch.tensor([True, False]), a, b).sum().backward()
    assert_close(a.grad, [1.0, 0.0])
    assert_close(b.grad, [0.0, 1.0])


def test_where_requires_a_bool_condition():
    with pytest.raises(RuntimeError, match="boolean"):
        torch.where(torch.ones(2), torch.ones(2), torch.zeros(2))


def test_where_with_scalars():
    out = torch.where(torch.tensor([True, False]), 1.0, 0.0)
    assert out.dtype is torch.float32 and out.tolist() == [1.0, 0.0]


def test_integer_ops_keep_integer_dtype():
    t = torch.tensor([5, -7])
    assert (t // 2).tolist() == [2, -4] and (t // 2).dtype is torch.int64
    assert (t % 3).tolist() == [2, 2]
    assert torch.abs(t).dtype is torch.int64


def test_float_only_unary_ops_promote_integers_to_default_float():
    assert torch.sqrt(torch.tensor([4])).dtype is torch.float32
    assert torch.exp(torch.tensor([0])).tolist() == [1.0]


def test_div_rounding_modes():
    a, b = torch.tensor([7.0, -7.0]), torch.tensor([2.0, 2.0])
    assert torch.div(a, b, rounding_mode="trunc").tolist() == [3.0, -3.0]
    assert torch.div(a, b, rounding_mode="floor").tolist() == [3.0, -4.0]
    ia, ib = torch.tensor([7, -7]), torch.tensor([2, 2])
    assert torch.div(ia, ib, rounding_mode="trunc").tolist() == [3, -3]


def test_fmod_has_sign_of_dividend_and_remainder_of_divisor():
    a = torch.tensor([-3.0, 3.0])
    assert torch.fmod(a, 2.0).tolist() == [-1.0, 1.0]
    assert torch.remainder(a, 2.0).tolist() == [1.0, 1.0]


def test_integer_negative_power_raises():
    with pytest.raises(RuntimeError, match="Integers to negative integer powers"):
        torch.tensor([2]) ** -1


def test_sub_with_bool_raises_pytorch_error():
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor"):
        torch.tensor([True]) - torch.tensor([False])


def test_reflected_operators():
    x = torch.tensor([2.0])
    assert (1 - x).tolist() == [-1.0] and (8 / x).tolist() == [4.0]
    assert (2**x).tolist() == [4.0] and (7 // x).tolist() == [3.0]


def test_logical_and_bitwise_operators():
    a, b = torch.tensor([True, False]), torch.tensor([True, True])
    assert (a & b).tolist() == [True, False] and (a | b).tolist() == [True, True]
    assert (~a).tolist() == [False, True] and (a ^ b).tolist() == [False, True]
    assert torch.logical_not(a).tolist() == [False, True]


def test_isnan_isinf_isfinite():
    t = torch.tensor([float("nan"), float("inf"), 1.0])
    assert t.isnan().tolist() == [True, False, False]
    assert t.isinf().tolist() == [False, True, False]
    assert t.isfinite().tolist() == [False, False, True]


@pytest.mark.parametrize(
    "method, args, expected",
    [
        ("add_", (1.0,), [2.0, 3.0]),
        ("sub_", (1.0,), [0.0, 1.0]),
        ("mul_", (3.0,), [3.0, 6.0]),
        ("div_", (2.0,), [0.5, 1.0]),
        ("pow_", (2,), [1.0, 4.0]),
        ("clamp_", (1.5,), [1.5, 2.0]),
        ("exp_", (), list(np.exp([1.0, 2.0]).astype(np.float32))),
        ("neg_", (), [-1.0, -2.0]),
        ("zero_", (), [0.0, 0.0]),
        ("fill_", (7.0,), [7.0, 7.0]),
    ],
)
def test_in_place_variants_return_self_and_bump_version(method, args, expected):
    t = torch.tensor([1.0, 2.0])
    out = getattr(t, method)(*args)
    assert out is t and t._version == 1
    assert_close(t, np.array(expected, dtype=np.float32))


def test_augmented_assignment_is_in_place():
    t = torch.ones(2)
    alias = t
    t += 1
    t *= 3
    assert alias is t and t.tolist() == [6.0, 6.0]


def test_copy_broadcasts_casts_and_passes_gradient_to_source():
    src = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    dst = torch.zeros(3, 2)
    dst.copy_(src)
    assert dst.dtype is torch.float32 and dst.requires_grad
    (dst * 2).sum().backward()
    assert_close(src.grad, [6.0, 6.0])


def test_random_in_place_fillers_are_seeded():
    torch.manual_seed(1)
    a = torch.empty(4).normal_()
    torch.manual_seed(1)
    b = torch.empty(4).normal_()
    assert a.tolist() == b.tolist()
    u = torch.empty(1000).uniform_(2.0, 3.0)
    assert u.min().item() >= 2.0 and u.max().item() < 3.0


def test_lerp_with_scalar_weight():
    assert_close(torch.lerp(torch.zeros(2), torch.ones(2) * 10, 0.25), [2.5, 2.5])


def test_isclose_allclose_equal():
    a = torch.tensor([1.0, 2.0])
    assert torch.allclose(a, a + 1e-9) and torch.equal(a, a.clone())
    assert not torch.equal(a, torch.tensor([1.0]))
    assert torch.isclose(a, torch.tensor([1.0, 2.1])).tolist() == [True, False]


def test_float_power_computes_in_float64_with_gradients_like_pytorch():
    a = torch.tensor([0.5, 2.0], requires_grad=True)
    b = torch.tensor([1.5, 3.0], requires_grad=True)
    out = torch.float_power(a, b)
    assert out.dtype is torch.float64
    assert_close(out, np.float_power([0.5, 2.0], [1.5, 3.0]))
    assert torch.autograd.gradcheck(
        torch.float_power,
        (a.double().detach().requires_grad_(), b.double().detach().requires_grad_()),
    )
    out.sum().backward()
    assert a.grad.dtype is torch.float32


def test_bool_tensor_with_python_float_gives_the_default_float_dtype():
    import eagertorch as et

    assert (et.tensor([True, False]) * 1.5).dtype == et.float32
    assert (2.5 + et.tensor([True])).dtype == et.float32
    assert (et.tensor([True]) * 2).dtype == et.int64


def test_relu_gradient_stays_on_the_graph_for_double_backward_like_pytorch():
    import eagertorch as et

    x = et.tensor([-1.0, 2.0, 3.0], requires_grad=True)
    (g,) = et.autograd.grad(x.relu().sum(), x, create_graph=True)
    assert g.requires_grad and g.grad_fn.name() == "ThresholdBackwardBackward0"
    assert g.tolist() == [0.0, 1.0, 1.0]
    (h,) = et.autograd.grad((g * x).sum(), x)
    assert h.tolist() == [0.0, 1.0, 1.0]
