"""F.pixel_shuffle/pixel_unshuffle/channel_shuffle and their modules: values against index
formulas, inverses, gradients to second order, errors and reprs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eagertorch as et
import eagertorch.nn.functional as F
from eagertorch import nn
from eagertorch.autograd import gradcheck, gradgradcheck


def _pixel_shuffle_ref(a: np.ndarray, r: int) -> np.ndarray:
    """out[..., c, h*r + i, w*r + j] = in[..., c*r*r + i*r + j, h, w]."""
    *batch, cin, h, w = a.shape
    out = np.empty((*batch, cin // (r * r), h * r, w * r))
    for c in range(cin // (r * r)):
        for i in range(r):
            for j in range(r):
                out[..., c, i::r, j::r] = a[..., c * r * r + i * r + j, :, :]
    return out


def _channel_shuffle_ref(a: np.ndarray, g: int) -> np.ndarray:
    """Channel i*k + j of the input is channel j*g + i of the output."""
    k = a.shape[1] // g
    out = np.empty_like(a)
    for i in range(g):
        for j in range(k):
            out[:, j * g + i] = a[:, i * k + j]
    return out


def _t(shape, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape)
    return et.tensor(a, dtype=et.float64, requires_grad=True)


@st.composite
def pixel_cases(draw):
    r = draw(st.integers(1, 3))
    batch = tuple(draw(st.lists(st.integers(0, 2), max_size=2)))
    c = draw(st.integers(1, 2))
    return r, (*batch, c * r * r, draw(st.integers(1, 3)), draw(st.integers(1, 3)))


@settings(max_examples=25, deadline=None)
@given(case=pixel_cases())
def test_pixel_shuffle_matches_the_index_formula_and_unshuffle_inverts_it(case):
    r, shape = case
    x = _t(shape)
    y = F.pixel_shuffle(x, r)
    np.testing.assert_array_equal(y.detach().numpy(), _pixel_shuffle_ref(x.detach().numpy(), r))
    np.testing.assert_array_equal(F.pixel_unshuffle(y, r).detach().numpy(), x.detach().numpy())
    assert gradcheck(lambda t: F.pixel_shuffle(t, r), (x,))
    assert gradgradcheck(lambda t: F.pixel_shuffle(t, r), (x,))
    assert gradcheck(lambda t: F.pixel_unshuffle(t, r), (y.detach().requires_grad_(),))
    assert gradgradcheck(lambda t: F.pixel_unshuffle(t, r), (y.detach().requires_grad_(),))


@settings(max_examples=25, deadline=None)
@given(
    g=st.integers(1, 3),
    k=st.integers(1, 3),
    n=st.integers(0, 2),
    rest=st.lists(st.integers(1, 3), min_size=1, max_size=2),
)
def test_channel_shuffle_matches_the_index_formula(g, k, n, rest):
    x = _t((n, g * k, *rest))
    y = F.channel_shuffle(x, g)
    np.testing.assert_array_equal(y.detach().numpy(), _channel_shuffle_ref(x.detach().numpy(), g))
    # shuffling by k undoes shuffling by g
    np.testing.assert_array_equal(F.channel_shuffle(y, k).detach().numpy(), x.detach().numpy())
    assert gradcheck(lambda t: F.channel_shuffle(t, g), (x,))
    assert gradgradcheck(lambda t: F.channel_shuffle(t, g), (x,))


def test_modules_match_the_functions_and_reprs():
    x = _t((2, 8, 2, 3)).detach()
    assert repr(nn.PixelShuffle(2)) == "PixelShuffle(upscale_factor=2)"
    assert repr(nn.PixelUnshuffle(2)) == "PixelUnshuffle(downscale_factor=2)"
    assert repr(nn.ChannelShuffle(4)) == "ChannelShuffle(groups=4)"
    y = nn.PixelShuffle(2)(x)
    np.testing.assert_array_equal(y.numpy(), _pixel_shuffle_ref(x.numpy(), 2))
    np.testing.assert_array_equal(nn.PixelUnshuffle(2)(y).numpy(), x.numpy())
    np.testing.assert_array_equal(
        nn.ChannelShuffle(4)(x).numpy(), _channel_shuffle_ref(x.numpy(), 4)
    )


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: F.pixel_shuffle(et.zeros(3, 2, 2), 2), RuntimeError,
         "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
         "of upscale_factor, but input.size(-3)=3 is not divisible by 4"),
        (lambda: F.pixel_shuffle(et.zeros(2, 2), 2), RuntimeError,
         "pixel_shuffle expects input to have at least 3 dimensions, but got input with 2 "
         "dimension(s)"),
        (lambda: F.pixel_shuffle(et.zeros(4, 2, 2), 0), RuntimeError,
         "pixel_shuffle expects a positive upscale_factor, but got 0"),
        (lambda: F.pixel_shuffle(et.zeros(4, 2, 2), 2.0), TypeError,
         "pixel_shuffle(): argument 'upscale_factor' (position 2) must be int, not float"),
        (lambda: F.pixel_unshuffle(et.zeros(1, 3, 2), 2), RuntimeError,
         "pixel_unshuffle expects height to be divisible by downscale_factor, but "
         "input.size(-2)=3 is not divisible by 2"),
        (lambda: F.channel_shuffle(et.zeros(1, 4, 2), 3), RuntimeError,
         "Number of channels must be divisible by groups. Got 4 channels and 3 groups."),
        (lambda: F.channel_shuffle(et.zeros(4, 2), 2), RuntimeError,
         "channel_shuffle expects input with > 2 dims, but got input with sizes [4, 2]"),
        (lambda: F.channel_shuffle(et.zeros(1, 4, 2), 0), RuntimeError,
         "Number of groups to divide channels in must be positive. Value of groups:0"),
    ],
)  # fmt: skip
def test_errors(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert str(info.value) == message
