"""nn.utils: clip_grad_norm_ (against a numpy reference), get_total_norm,
clip_grads_with_norm_, clip_grad_value_, parameters_to_vector and vector_to_parameters."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import eagertorch as et
from eagertorch import nn
from eagertorch.nn.utils import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
    parameters_to_vector,
    vector_to_parameters,
)


def _params_with_grads(shapes, seed, dtype=et.float64, scale=1.0):
    rng = np.random.default_rng(seed)
    params = []
    for shape in shapes:
        p = et.zeros(*shape, dtype=dtype, requires_grad=True)
        p.grad = et.tensor(np.asarray(rng.standard_normal(shape) * scale), dtype=dtype)
        params.append(p)
    return params


def _numpy_total_norm(grads, p):
    flat = np.concatenate([g.reshape(-1) for g in grads])
    if p == math.inf:
        return np.abs(flat).max()
    return (np.abs(flat) ** p).sum() ** (1 / p)


@given(
    shapes=st.lists(st.lists(st.integers(1, 4), max_size=3).map(tuple), min_size=1, max_size=4),
    norm_type=st.sampled_from([1.0, 2.0, 3.0, math.inf, "inf"]),
    max_norm=st.floats(0.1, 20.0),
    scale=st.sampled_from([0.1, 1.0, 10.0]),
    seed=st.integers(0, 1000),
)
def test_clip_grad_norm_matches_numpy_reference(shapes, norm_type, max_norm, scale, seed):
    params = _params_with_grads(shapes, seed, scale=scale)
    before = [p.grad.numpy().copy() for p in params]
    p = float(norm_type)
    expected_norm = _numpy_total_norm(before, p)
    total = clip_grad_norm_(params, max_norm, norm_type)
    assert isinstance(total, et.Tensor) and total.ndim == 0 and total.dtype == et.float64
    np.testing.assert_allclose(total.item(), expected_norm, rtol=1e-12)
    coef = min(1.0, max_norm / (expected_norm + 1e-6))
    for g0, param in zip(before, params):
        np.testing.assert_allclose(param.grad.numpy(), g0 * coef, rtol=1e-12)
    after = _numpy_total_norm([q.grad.numpy() for q in params], p)
    assert after <= max_norm * (1 + 1e-9)


def test_clip_grad_norm_float32_grads_stay_float32_and_return_float32():
    params = _params_with_grads([(10,), (3, 3)], 0, dtype=et.float32, scale=5.0)
    total = clip_grad_norm_(params, 1.0)
    assert total.dtype == et.float32
    assert all(p.grad.dtype == et.float32 for p in params)
    np.testing.assert_allclose(
        _numpy_total_norm([p.grad.numpy() for p in params], 2.0), 1.0, rtol=1e-5
    )


def test_small_gradients_are_left_unchanged():
    params = _params_with_grads([(3,)], 1, scale=0.01)
    before = params[0].grad.numpy().copy()
    clip_grad_norm_(params, 10.0)
    np.testing.assert_array_equal(params[0].grad.numpy(), before)


def test_parameters_without_grad_are_skipped_and_single_tensor_and_generators_work():
    a, b = _params_with_grads([(2,), (2,)], 2, scale=10.0)
    expected = _numpy_total_norm([a.grad.numpy(), b.grad.numpy()], 2.0)
    c = et.zeros(3, requires_grad=True)  # no grad
    total = clip_grad_norm_((p for p in (a, b, c)), 1.0)
    assert c.grad is None
    np.testing.assert_allclose(total.item(), expected, rtol=1e-12)
    np.testing.assert_allclose(
        _numpy_total_norm([a.grad.numpy(), b.grad.numpy()], 2.0), 1.0, rtol=1e-6
    )
    single = _params_with_grads([(4,)], 3, scale=10.0)[0]
    clip_grad_norm_(single, 2.0)
    np.testing.assert_allclose(np.linalg.norm(single.grad.numpy()), 2.0, rtol=1e-6)
    assert clip_grad_norm_([c], 1.0).item() == 0.0
    assert clip_grad_norm_([], 1.0).item() == 0.0


def test_mixed_dtypes_give_the_promoted_total():
    a = et.zeros(2, requires_grad=True)
    b = et.zeros(1, dtype=et.float64, requires_grad=True)
    a.grad, b.grad = et.tensor([3.0, 4.0]), et.tensor([12.0], dtype=et.float64)
    total = clip_grad_norm_([a, b], 1.0)
    assert total.dtype == et.float64 and total.item() == pytest.approx(13.0)
    np.testing.assert_allclose(a.grad.numpy(), [3 / 13, 4 / 13], rtol=1e-6)


def test_non_finite_norm_raises_only_when_asked():
    p = et.zeros(3, requires_grad=True)
    p.grad = et.tensor([1.0, float("inf"), 0.0])
    with pytest.raises(
        RuntimeError,
        match=r"The total norm of order 2\.0 for gradients from `parameters` is non-finite",
    ):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert np.isinf(p.grad.numpy()[1])  # untouched by the failed call
    p.grad = et.tensor([1.0, float("nan"), 0.0])
    total = clip_grad_norm_([p], 1.0)
    assert math.isnan(total.item()) and np.isnan(p.grad.numpy()).all()


def test_gradients_are_scaled_in_place():
    (p,) = _params_with_grads([(3,)], 4, scale=10.0)
    grad = p.grad
    version = grad._version
    clip_grad_norm_([p], 1.0)
    assert p.grad is grad and grad._version > version


def test_get_total_norm_and_clip_grads_with_norm_compose_to_clip_grad_norm_():
    params = _params_with_grads([(3,), (2, 2)], 5, scale=4.0)
    grads = [p.grad for p in params]
    expected = [g.numpy().copy() for g in grads]
    total = get_total_norm(grads, 3.0)
    clip_grads_with_norm_(params, 1.5, total)
    coef = 1.5 / (_numpy_total_norm(expected, 3.0) + 1e-6)
    for g0, g in zip(expected, grads):
        np.testing.assert_allclose(g.numpy(), g0 * coef, rtol=1e-12)


def test_deprecated_clip_grad_norm_warns_and_clips():
    params = _params_with_grads([(3,)], 6, scale=10.0)
    with pytest.warns(
        FutureWarning, match="deprecated in favor of `torch.nn.utils.clip_grad_norm_`"
    ):
        clip_grad_norm(params, 1.0)
    np.testing.assert_allclose(np.linalg.norm(params[0].grad.numpy()), 1.0, rtol=1e-6)


def test_clip_grad_value_clamps_in_place_and_returns_none():
    p = et.zeros(4, requires_grad=True)
    p.grad = et.tensor([-3.0, -0.5, 0.2, 7.0])
    assert clip_grad_value_(p, 1.0) is None
    assert p.grad.numpy().tolist() == [-1.0, -0.5, pytest.approx(0.2), 1.0]
    q = et.zeros(2, requires_grad=True)
    clip_grad_value_([p, q], 0.1)  # q has no grad: skipped
    assert q.grad is None and np.abs(p.grad.numpy()).max() == pytest.approx(0.1)


def test_reexported_on_nn_utils_like_pytorch():
    assert nn.utils.clip_grad_norm_ is clip_grad_norm_
    assert nn.utils.clip_grad.clip_grad_value_ is clip_grad_value_
    assert nn.utils.convert_parameters.parameters_to_vector is parameters_to_vector


# ----- parameters <-> vector -----------------------------------------------------------------
def test_parameters_to_vector_concatenates_in_order_and_is_differentiable():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vec = parameters_to_vector(model.parameters())
    expected = np.concatenate([p.numpy(force=True).reshape(-1) for p in model.parameters()])
    np.testing.assert_array_equal(vec.numpy(force=True), expected)
    assert vec.shape == (3 * 2 + 2 + 2 + 1,)
    vec.pow(2).sum().backward()
    for p in model.parameters():
        np.testing.assert_allclose(p.grad.numpy(), 2 * p.numpy(force=True))


def test_vector_to_parameters_round_trip_and_shares_memory():
    model = nn.Linear(4, 3)
    vec = et.arange(15, dtype=et.float32)
    vector_to_parameters(vec, model.parameters())
    assert model.weight.numpy(force=True).tolist() == np.arange(12.0).reshape(3, 4).tolist()
    assert model.bias.numpy(force=True).tolist() == [12.0, 13.0, 14.0]
    assert isinstance(model.weight, nn.Parameter) and model.weight.requires_grad
    np.testing.assert_array_equal(
        parameters_to_vector(model.parameters()).numpy(force=True), vec.numpy()
    )
    with et.no_grad():
        vec[0] = 100.0
    assert model.weight.numpy(force=True)[0, 0] == 100.0


def test_vector_to_parameters_errors():
    with pytest.raises(TypeError, match=r"expected torch\.Tensor, but got: list"):
        vector_to_parameters([1.0], [et.zeros(1)])
    with pytest.raises(RuntimeError, match=r"shape '\[2\]' is invalid for input of size 1"):
        vector_to_parameters(et.zeros(1), [et.zeros(2)])
