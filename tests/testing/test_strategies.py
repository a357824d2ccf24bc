"""The shared strategies draw what they promise, and their registrations work."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eagertorch as torch
from eagertorch.testing import strategies as ets


@given(t=ets.tensors(dtype=ets.dtypes(integer=True, bool_=True, half=True), low=-5, high=5))
def test_tensors_have_the_drawn_dtype_and_values_in_range(t):
    assert isinstance(t, torch.Tensor)
    assert t.dim() <= 3 and all(s <= 4 for s in t.shape)
    if t.numel() and t.dtype is not torch.bool:
        values = t.numpy().astype(np.float64)
        assert values.min() >= -5 and values.max() <= 5


@given(t=ets.tensors(shape=(2, 3), dtype=torch.float32, requires_grad=True, layout="any"))
def test_tensors_honour_a_fixed_shape_dtype_and_requires_grad(t):
    assert tuple(t.shape) == (2, 3) and t.dtype is torch.float32
    assert t.requires_grad and t.is_leaf


@given(t=ets.tensors(shape=ets.shapes(1, 3, 2, 4), dtype=torch.float64, layout="strided-view"))
def test_strided_view_layout_is_never_contiguous_where_the_shape_allows(t):
    assert not t.is_contiguous()
    assert not np.isnan(t.numpy()).any()  # the gaps' NaN filler is not part of the view


@given(t=ets.tensors(dtype=torch.int64, requires_grad=True))
def test_requires_grad_applies_to_floating_point_tensors_only(t):
    assert not t.requires_grad


@given(t=ets.tensors(shape=(3,), elements=st.sampled_from([0.25, -1.5]), dtype=torch.float64))
def test_elements_strategy_is_used(t):
    assert set(t.tolist()) <= {0.25, -1.5}


@given(t=st.from_type(torch.Tensor))
def test_from_type_tensor_draws_tensors(t):
    assert isinstance(t, torch.Tensor) and t.is_floating_point()


@given(shapes=ets.broadcastable_shapes(3))
def test_broadcastable_shapes_broadcast_together(shapes):
    assert len(shapes) == 3
    np.broadcast_shapes(*shapes)


@given(shapes=ets.broadcastable_shapes(signature=np.matmul.signature, max_dims=2))
def test_broadcastable_shapes_with_a_signature_satisfy_matmul(shapes):
    a, b = shapes
    np.matmul(np.zeros(a), np.zeros(b))


@given(d=ets.dtypes(floating=False, integer=True))
def test_dtypes_draws_the_requested_kinds(d):
    assert not d.is_floating_point and d is not torch.bool


def test_dtypes_needs_some_kind():
    with pytest.raises(Exception, match="at least one"):
        ets.dtypes(floating=False).example()


@given(device=ets.devices())
def test_devices_are_available_ones(device):
    assert device in ("cpu", "cuda")
    assert torch.zeros(1, device=device).device.type == device


def test_devices_include_cuda_only_when_eagertorch_reports_it(monkeypatch):
    assert ets.available_devices()[0] == "cpu"

    class FakeCuda:
        @staticmethod
        def is_available():
            return True

    monkeypatch.setattr(torch, "cuda", FakeCuda, raising=False)
    assert ets.available_devices() == ["cpu", "cuda"]


@given(data=st.data(), shape=ets.shapes(0, 3))
def test_indices_index_numpy_and_eagertorch_alike(data, shape):
    key = data.draw(ets.indices(shape), label="key")
    x = np.arange(math.prod(shape), dtype=np.float64).reshape(shape)
    np.testing.assert_array_equal(torch.tensor(x)[key].numpy(), x[key])


@given(data=st.data(), shape=ets.shapes(1, 3, 1))
def test_unique_advanced_indices_hold_no_repeats(data, shape):
    key = data.draw(ets.advanced_indices(shape, unique=True), label="key")
    x = np.arange(math.prod(shape)).reshape(shape)
    picked = x[key].ravel()
    assert len(set(picked.tolist())) == picked.size


@given(data=st.data(), ndim=st.integers(0, 4))
def test_axes_and_axis_are_valid_dims(data, ndim):
    dims = data.draw(ets.axes(ndim), label="dims")
    assert len({d % max(ndim, 1) for d in dims}) == len(dims)
    assert all(-ndim <= d < max(ndim, 1) for d in dims)
    d = data.draw(ets.axis(ndim, extra=1), label="dim")
    assert -(ndim + 1) <= d <= ndim


@given(data=st.data(), shape=ets.shapes())
def test_reshape_targets_keep_the_number_of_elements(data, shape):
    target = data.draw(ets.reshape_targets(shape), label="target")
    assert np.empty(shape).reshape(target).size == math.prod(shape)


def test_randomness_inside_given_replays_identically():
    torch.manual_seed(123)
    after_seed = torch.randn(2)
    seen = []

    @settings(max_examples=5, database=None)
    @given(st.integers())
    def uses_randn(_):
        seen.append(torch.randn(3).tolist())

    torch.manual_seed(123)
    uses_randn()
    # The generator's state from before the test is restored afterwards...
    assert torch.randn(2).tolist() == after_seed.tolist()
    # ...and every example started from the same seed.
    torch.manual_seed(0)
    assert len(seen) == 5 and seen == [torch.randn(3).tolist()] * 5


def test_failing_examples_print_tensors_as_pasteable_source():
    @settings(max_examples=50, database=None, derandomize=True)
    @given(x=ets.tensors(shape=(2,), dtype=torch.float64, layout="any"))
    def fails_on_negatives(x):
        assert (x >= 0).all()

    with pytest.raises(AssertionError) as info:
        fails_on_negatives()
    notes = "\n".join(getattr(info.value, "__notes__", []))
    source = re.search(r"^\s+x=(.*),$", notes, re.M).group(1)
    assert source.startswith("eagertorch.tensor([")
    x = eval(source, {"eagertorch": torch})
    assert x.dtype is torch.float64 and not bool((x >= 0).all())
