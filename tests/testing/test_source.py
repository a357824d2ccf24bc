"""Counterexamples paste back: ``tensor_source`` rebuilds a tensor exactly."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import eagertorch as torch
from eagertorch.testing._source import tensor_source, value_source
from eagertorch.testing.strategies import dtypes, tensors


def _rebuild(source: str):
    return eval(source, {"eagertorch": torch})


@given(
    t=tensors(
        dtype=dtypes(integer=True, bool_=True, half=True),
        elements=None,
        requires_grad=st.booleans(),
        layout="any",
        low=-1e6,
        high=1e6,
    )
)
def test_tensor_source_rebuilds_values_dtype_grad_and_layout(t):
    u = _rebuild(tensor_source(t))
    assert u.dtype is t.dtype and tuple(u.shape) == tuple(t.shape)
    assert u.requires_grad == t.requires_grad and u.is_leaf
    assert u.is_contiguous() == t.is_contiguous()
    a, b = u.detach().numpy(), t.detach().numpy()
    assert a.tobytes() == b.tobytes() or np.array_equal(a, b)


@given(x=st.floats(width=32, allow_nan=False) | st.floats(allow_nan=False))
def test_every_float_round_trips_bit_for_bit(x):
    for dtype in (torch.float32, torch.float64):
        t = torch.tensor([x], dtype=dtype)
        assert _rebuild(tensor_source(t)).numpy().tobytes() == t.numpy().tobytes()


def test_empty_tensors_keep_their_shape():
    assert tensor_source(torch.zeros((2, 0))) == "eagertorch.zeros((2, 0))"
    assert tensor_source(torch.tensor([])) == "eagertorch.tensor([])"


def test_value_source_handles_containers():
    text = value_source((torch.tensor([1.5]), {"dim": 1, "key": np.array([0, 2])}))
    assert text == (
        "(eagertorch.tensor([1.5]), {'dim': 1, 'key': numpy.array([0, 2], dtype=numpy.int64)})"
    )
