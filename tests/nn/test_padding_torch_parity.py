"""Padding modules against PyTorch: values, gradients, ``padding``/``value`` attributes,
reprs, and error types and messages for bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eagertorch as et
from eagertorch import nn

torch = pytest.importorskip("torch")
from tests.nn.torch_parity import check_values_and_grads, raised  # noqa: E402

_NAMES = [
    f"{family}Pad{nd}d"
    for family in ("Zero", "Constant", "Reflection", "Replication", "Circular")
    for nd in (1, 2, 3)
]


def _pair(name: str, padding):
    args = (padding, -0.5) if name.startswith("Constant") else (padding,)
    return getattr(nn, name)(*args), getattr(torch.nn, name)(*args)


@st.composite
def cases(draw):
    name = draw(st.sampled_from(_NAMES))
    nd = int(name[-2])
    spatial = [draw(st.integers(2, 4)) for _ in range(nd)]
    most = 1 if name.startswith("Reflection") else 2
    least = -1 if name.startswith(("Zero", "Constant")) else 0
    padding = tuple(draw(st.integers(least, most)) for _ in range(2 * nd))
    batch = (2,) if draw(st.booleans()) else ()
    return name, (*batch, 3, *spatial), padding


@settings(max_examples=20, deadline=None)
@given(case=cases())
def test_values_and_gradients_match(case):
    name, shape, padding = case
    ours, theirs = _pair(name, padding)
    a = np.random.default_rng(0).standard_normal(shape)
    check_values_and_grads(ours, theirs, a)


@pytest.mark.parametrize("name", _NAMES)
@pytest.mark.parametrize("padding", [2, (1, 2, 3, 4, 5, 6)[:2], [0, 1, 2, 3, 4, 5], (1, 2, 3)])
def test_attributes_and_repr_match(name, padding):
    ours, theirs = _pair(name, padding)
    assert ours.padding == theirs.padding
    assert type(ours.padding) is type(theirs.padding)
    assert repr(ours) == repr(theirs)
    if name.startswith(("Zero", "Constant")):
        assert ours.value == theirs.value


@pytest.mark.parametrize("name", _NAMES)
@pytest.mark.parametrize("shape", [(3,), (2, 2, 2, 2, 2, 2)])
def test_errors_for_inputs_of_the_wrong_dims_match(name, shape):
    ours, theirs = _pair(name, 1)
    expected = raised(theirs, torch.zeros(shape))
    assert raised(ours, et.zeros(shape)) == expected
    # only constant padding accepts these inputs, where the padding is not longer than 2*ndim
    constant = name.startswith(("Zero", "Constant"))
    assert (expected is None) == (constant and (name.endswith("1d") or len(shape) == 6))


@pytest.mark.parametrize(
    ("name", "padding", "shape"),
    [
        ("ReflectionPad1d", 3, (1, 3)),
        ("ReflectionPad2d", (0, 0, 2, 0), (1, 2, 5)),
        ("ReflectionPad3d", (3, 0, 0, 0, 3, 0), (1, 3, 3, 3)),
        ("ReflectionPad3d", (0, 0, 0, 0, 3, 0), (1, 3, 3, 3)),
        ("CircularPad1d", 4, (1, 3)),
        ("ReplicationPad1d", (1, 2, 3), (1, 3)),
    ],
)
def test_errors_for_bad_padding_match(name, padding, shape):
    ours, theirs = _pair(name, padding)
    expected = raised(theirs, torch.zeros(shape))
    assert raised(ours, et.zeros(shape)) == expected
