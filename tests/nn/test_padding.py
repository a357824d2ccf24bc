"""Padding modules: values against np.pad, gradients to second order, the stored
``padding`` tuple, reprs, and the errors for inputs of the wrong number of dims."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eagertorch as et
from eagertorch import nn
from eagertorch.autograd import gradcheck, gradgradcheck

_NP_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}
_FAMILIES = {
    "constant": (nn.ConstantPad1d, nn.ConstantPad2d, nn.ConstantPad3d),
    "zero": (nn.ZeroPad1d, nn.ZeroPad2d, nn.ZeroPad3d),
    "reflect": (nn.ReflectionPad1d, nn.ReflectionPad2d, nn.ReflectionPad3d),
    "replicate": (nn.ReplicationPad1d, nn.ReplicationPad2d, nn.ReplicationPad3d),
    "circular": (nn.CircularPad1d, nn.CircularPad2d, nn.CircularPad3d),
}


def _make(family: str, nd: int, padding):
    cls = _FAMILIES[family][nd - 1]
    return cls(padding, 1.5) if family == "constant" else cls(padding)


def _reference(a: np.ndarray, family: str, padding: tuple) -> np.ndarray:
    """np.pad of the last ``len(padding) // 2`` dims; ``padding`` lists the last dim first."""
    nd = len(padding) // 2
    widths = [(0, 0)] * (a.ndim - nd) + [
        (padding[2 * i], padding[2 * i + 1]) for i in reversed(range(nd))
    ]
    if family in ("constant", "zero"):
        return np.pad(a, widths, constant_values=1.5 if family == "constant" else 0.0)
    return np.pad(a, widths, mode=_NP_MODE[family])


@st.composite
def pad_cases(draw):
    family = draw(st.sampled_from(sorted(_FAMILIES)))
    nd = draw(st.integers(1, 3))
    batched = draw(st.booleans())
    spatial = [draw(st.integers(2, 4)) for _ in range(nd)]
    # reflect needs padding < size, circular <= size; the others accept any amount.
    most = {"reflect": 1, "circular": 2}.get(family, 3)
    padding = tuple(draw(st.integers(0, most)) for _ in range(2 * nd))
    shape = ((2,) if batched else ()) + (2, *spatial)
    as_int = draw(st.booleans()) and len(set(padding)) == 1
    return family, nd, shape, padding[0] if as_int else padding


@settings(max_examples=20, deadline=None)
@given(case=pad_cases())
def test_padding_modules_match_np_pad_and_their_gradients_check(case):
    family, nd, shape, padding = case
    module = _make(family, nd, padding)
    full = module.padding
    assert full == (padding if isinstance(padding, tuple) else (padding,) * (2 * nd))
    x = et.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    out = module(x)
    np.testing.assert_allclose(out.detach().numpy(), _reference(x.detach().numpy(), family, full))
    assert gradcheck(module, (x,))
    assert gradgradcheck(module, (x,))


def test_int_padding_becomes_a_tuple_for_every_side_and_lists_become_tuples():
    assert nn.ReflectionPad3d(2).padding == (2,) * 6
    assert nn.ZeroPad1d([1, 2]).padding == (1, 2)
    assert isinstance(nn.ZeroPad1d([1, 2]).padding, tuple)
    assert nn.ConstantPad2d(1, 0.5).value == 0.5


def test_reprs():
    assert repr(nn.ZeroPad2d(1)) == "ZeroPad2d((1, 1, 1, 1))"
    assert repr(nn.ConstantPad1d((1, 2), 3)) == "ConstantPad1d(padding=(1, 2), value=3)"
    assert repr(nn.ReflectionPad1d(2)) == "ReflectionPad1d((2, 2))"
    assert repr(nn.ReplicationPad3d((1, 2, 3, 4, 5, 6))) == "ReplicationPad3d((1, 2, 3, 4, 5, 6))"
    assert repr(nn.CircularPad2d(0)) == "CircularPad2d((0, 0, 0, 0))"


def test_zero_pad_is_a_constant_pad_with_value_zero():
    m = nn.ZeroPad3d(1)
    assert isinstance(m, nn.ConstantPad3d)
    assert m.value == 0.0


def test_negative_constant_padding_crops():
    x = et.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(nn.ZeroPad1d((-1, -2))(x).numpy(), x.numpy()[:, 1:2])


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_circular_padding_checks_the_input_dims_itself(nd):
    with pytest.raises(
        ValueError, match=rf"expected {nd + 1}D or {nd + 2}D input \(got 1D input\)"
    ):
        _make("circular", nd, 1)(et.zeros(3))


def test_too_long_padding_for_the_input_is_a_runtime_error():
    with pytest.raises(RuntimeError, match="padding length 4 and input of dimension 1"):
        nn.ReflectionPad2d(1)(et.zeros(3))
    with pytest.raises(RuntimeError, match="padding length 4 and input of dimension 1"):
        nn.ZeroPad2d(1)(et.zeros(3))


def test_a_padding_tuple_of_the_wrong_length_fails_at_the_call():
    m = nn.ReflectionPad1d((1, 2, 3))
    assert m.padding == (1, 2, 3)
    with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
        m(et.zeros(2, 4))


def test_reflection_padding_as_large_as_the_dim_is_refused():
    with pytest.raises(RuntimeError, match="Padding size should be less than"):
        nn.ReflectionPad1d(3)(et.zeros(1, 3))
