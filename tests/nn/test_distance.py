"""F.cosine_similarity/F.pairwise_distance and their modules: values against numpy over
broadcast shapes, eps semantics, gradients to second order, errors and attributes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eagertorch as et
import eagertorch.nn.functional as F
from eagertorch import nn
from eagertorch.autograd import gradcheck, gradgradcheck


@st.composite
def broadcast_pairs(draw):
    """Two shapes that broadcast, and a dim of the broadcast shape."""
    full = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    other = [1 if draw(st.booleans()) else n for n in full]
    other = other[draw(st.integers(0, len(other) - 1)) :]
    first, second = (full, other) if draw(st.booleans()) else (other, full)
    dim = draw(st.integers(-len(full), len(full) - 1))
    return tuple(first), tuple(second), dim


def _t(shape, seed):
    a = np.random.default_rng(seed).standard_normal(shape)
    return et.tensor(a, dtype=et.float64, requires_grad=True)


def _cosine_ref(a, b, dim, eps):
    a, b = np.broadcast_arrays(a, b)
    na = np.maximum(np.linalg.norm(a, axis=dim, keepdims=True), eps)
    nb = np.maximum(np.linalg.norm(b, axis=dim, keepdims=True), eps)
    return ((a / na) * (b / nb)).sum(dim)


@settings(max_examples=25, deadline=None)
@given(case=broadcast_pairs(), eps=st.sampled_from([1e-8, 0.5]))
def test_cosine_similarity_matches_numpy_and_gradients_check(case, eps):
    s1, s2, dim = case
    x1, x2 = _t(s1, 0), _t(s2, 1)
    out = F.cosine_similarity(x1, x2, dim, eps)
    expected = _cosine_ref(x1.detach().numpy(), x2.detach().numpy(), dim, eps)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12, atol=1e-12)
    # A clamped norm has PyTorch's gradient, not the clamp's (see the parity tests).
    assert gradcheck(lambda a, b: F.cosine_similarity(a, b, dim), (x1, x2))
    assert gradgradcheck(lambda a, b: F.cosine_similarity(a, b, dim), (x1, x2))


@settings(max_examples=25, deadline=None)
@given(case=broadcast_pairs(), p=st.sampled_from([1.5, 2.0, 3.0]), keepdim=st.booleans())
def test_pairwise_distance_matches_numpy_and_gradients_check(case, p, keepdim):
    s1, s2, _ = case
    x1, x2 = _t(s1, 0), _t(s2, 1)
    out = F.pairwise_distance(x1, x2, p, 1e-6, keepdim)
    diff = x1.detach().numpy() - x2.detach().numpy() + 1e-6
    expected = (np.abs(diff) ** p).sum(-1, keepdims=keepdim) ** (1 / p)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12)
    assert gradcheck(lambda a, b: F.pairwise_distance(a, b, p, 1e-6, keepdim), (x1, x2))
    assert gradgradcheck(lambda a, b: F.pairwise_distance(a, b, p, 1e-6, keepdim), (x1, x2))


def test_cosine_similarity_clamps_each_norm_separately():
    # ||x1|| = 1e-3 < eps = 0.1: x1 is divided by 0.1, x2 by its own norm 2
    x1 = et.tensor([[1e-3, 0.0]])
    x2 = et.tensor([[2.0, 0.0]])
    np.testing.assert_allclose(F.cosine_similarity(x1, x2, eps=0.1).numpy(), [1e-2], rtol=1e-6)


def test_cosine_similarity_of_a_zero_vector_is_zero_with_a_finite_gradient():
    x1 = et.zeros(1, 3, dtype=et.float64, requires_grad=True)
    x2 = et.tensor([[1.0, 2.0, 3.0]], dtype=et.float64, requires_grad=True)
    out = F.cosine_similarity(x1, x2)
    out.sum().backward()
    assert out.item() == 0.0
    assert np.isfinite(x1.grad.numpy()).all()
    np.testing.assert_allclose(x2.grad.numpy(), 0.0)


def test_integer_inputs_are_promoted_with_a_float_and_refused_alone():
    ints = et.tensor([[1, 2]])
    assert F.cosine_similarity(ints, et.tensor([[2.0, 4.0]])).dtype == et.float32
    np.testing.assert_allclose(F.cosine_similarity(ints, et.tensor([[2.0, 4.0]])).numpy(), [1.0])
    with pytest.raises(RuntimeError, match="common dtype is Long"):
        F.cosine_similarity(ints, ints)
    assert F.pairwise_distance(ints, ints).dtype == et.float32


def test_bad_dims_and_shapes_raise():
    with pytest.raises(IndexError, match=r"range of \[-1, 0\], but got 1"):
        F.cosine_similarity(et.zeros(4), et.zeros(4))
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match"):
        F.cosine_similarity(et.zeros(3, 4), et.zeros(2, 4))
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match"):
        F.pairwise_distance(et.zeros(3, 4), et.zeros(2, 4))


def test_modules_store_arguments_and_call_the_functions():
    m = nn.PairwiseDistance(p=1.0, eps=0.0, keepdim=True)
    assert (m.norm, m.eps, m.keepdim) == (1.0, 0.0, True)
    assert repr(m) == "PairwiseDistance()"
    a, b = et.tensor([[1.0, 2.0]]), et.tensor([[0.0, 4.0]])
    np.testing.assert_allclose(m(a, b).numpy(), [[3.0]])
    c = nn.CosineSimilarity(dim=0, eps=1e-3)
    assert (c.dim, c.eps) == (0, 1e-3)
    assert repr(c) == "CosineSimilarity()"
    np.testing.assert_allclose(c(a, b).numpy(), [0.0, 1.0])  # 1/1 * 0/max(0, eps) = 0
