"""F.interpolate / Upsample and F.pad's non-constant modes: values on known cases, gradients to
second order, the size/scale_factor rules, module attributes and errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eagertorch as et
import eagertorch.nn.functional as F
from eagertorch import nn
from eagertorch.autograd import gradcheck, gradgradcheck


def _t(shape, seed=0, requires_grad=True, dtype=et.float64):
    a = np.random.default_rng(seed).standard_normal(shape)
    return et.tensor(a, dtype=dtype, requires_grad=requires_grad)


def _np(t):
    return t.detach().numpy()


# ----- values on cases worked by hand ---------------------------------------------------------
def test_nearest_integer_upscale_repeats_each_pixel_and_its_backward_sums_blocks():
    x = _t((1, 2, 3, 4))
    out = F.interpolate(x, scale_factor=2)
    np.testing.assert_array_equal(_np(out), _np(x).repeat(2, -1).repeat(2, -2))
    g = _t(out.shape, seed=1, requires_grad=False)
    out.backward(g)
    np.testing.assert_allclose(x.grad.numpy(), _np(g).reshape(1, 2, 3, 2, 4, 2).sum((3, 5)))
    assert out.grad_fn.name() == "UpsampleNearest2DBackward0"


def test_nearest_downscale_picks_floor_of_scaled_index_and_sends_no_gradient_elsewhere():
    x = et.arange(6.0, dtype=et.float64).reshape(1, 1, 6).requires_grad_()
    out = F.interpolate(x, size=4)
    np.testing.assert_array_equal(_np(out).ravel(), [0.0, 1.0, 3.0, 4.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy().ravel(), [1, 1, 0, 1, 1, 0])


def test_nearest_exact_rounds_to_the_closest_source_pixel():
    x = et.arange(6.0, dtype=et.float64).reshape(1, 1, 6)
    np.testing.assert_array_equal(
        _np(F.interpolate(x, size=4, mode="nearest-exact")).ravel(), [0, 2, 3, 5]
    )


def test_bilinear_align_corners_keeps_the_corners_and_interpolates_between():
    x = et.tensor([[[[0.0, 3.0], [6.0, 9.0]]]], dtype=et.float64)
    out = F.interpolate(x, size=(3, 4), mode="bilinear", align_corners=True)
    np.testing.assert_allclose(_np(out)[0, 0], [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]])


def test_bilinear_half_pixel_centres_clamp_at_the_border():
    x = et.tensor([[[0.0, 4.0]]], dtype=et.float64)
    out = F.interpolate(x, size=4, mode="linear")
    np.testing.assert_allclose(_np(out).ravel(), [0.0, 1.0, 3.0, 4.0])


def test_scale_factor_is_used_for_coordinates_unless_recomputed():
    x = _t((1, 1, 5))
    by_scale = F.interpolate(x, scale_factor=1.7, mode="linear")
    recomputed = F.interpolate(x, scale_factor=1.7, mode="linear", recompute_scale_factor=True)
    by_size = F.interpolate(x, size=8, mode="linear")
    assert by_scale.shape == recomputed.shape == (1, 1, 8)
    np.testing.assert_allclose(_np(recomputed), _np(by_size))
    assert not np.allclose(_np(by_scale), _np(by_size))


def test_area_mode_is_adaptive_average_pooling():
    x = _t((2, 3, 7, 5))
    np.testing.assert_allclose(
        _np(F.interpolate(x, size=(3, 2), mode="area")), _np(F.adaptive_avg_pool2d(x, (3, 2)))
    )


def test_same_size_nearest_is_a_copy_not_a_view():
    x = _t((1, 1, 3, 3), requires_grad=False)
    out = F.interpolate(x, size=(3, 3))
    out += 1
    assert not np.allclose(_np(out), _np(x))


def test_float32_stays_float32():
    x = _t((1, 2, 4, 4), dtype=et.float32)
    for mode in ["nearest", "bilinear", "bicubic", "area"]:
        assert F.interpolate(x, scale_factor=1.5, mode=mode).dtype == et.float32


def test_nearest_works_on_integer_images():
    x = et.tensor([[[[1, 2], [3, 4]]]], dtype=et.uint8)
    out = F.interpolate(x, scale_factor=2)
    assert out.dtype == et.uint8 and out.numpy().sum() == 40


# ----- gradients ------------------------------------------------------------------------------
@settings(max_examples=25)
@given(
    size=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    out=st.tuples(st.integers(1, 7), st.integers(1, 7)),
    mode=st.sampled_from(["nearest", "nearest-exact", "bilinear", "bicubic", "area"]),
    corners=st.booleans(),
)
def test_interpolate_gradients_by_finite_differences(size, out, mode, corners):
    x = _t((1, 2, *size))
    kw = {"align_corners": corners} if mode in ("bilinear", "bicubic") else {}
    assert gradcheck(lambda t: F.interpolate(t, size=out, mode=mode, **kw), (x,))
    assert gradgradcheck(lambda t: F.interpolate(t, size=out, mode=mode, **kw), (x,))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_modes_values_and_gradients(mode):
    x = _t((1, 2, 3, 4))
    out = F.pad(x, (2, 1, 1, 2), mode=mode)
    np_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    np.testing.assert_array_equal(
        _np(out), np.pad(_np(x), [(0, 0), (0, 0), (1, 2), (2, 1)], np_mode)
    )
    assert gradcheck(lambda t: F.pad(t, (2, 1, 1, 2), mode=mode), (x,))
    assert gradgradcheck(lambda t: F.pad(t[0], (1, 0), mode=mode), (x,))


def test_pad_constant_mode_is_the_core_pad():
    x = _t((1, 2, 3))
    np.testing.assert_array_equal(
        _np(F.pad(x, (1, 2), value=5.0)),
        np.pad(_np(x), [(0, 0), (0, 0), (1, 2)], constant_values=5),
    )


# ----- modules --------------------------------------------------------------------------------
def test_upsample_modules_store_pytorchs_attributes_and_repr():
    m = nn.Upsample(scale_factor=2)
    assert m.scale_factor == 2.0 and isinstance(m.scale_factor, float)
    assert repr(m) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert (
        repr(nn.Upsample(size=(3, 4), mode="bilinear")) == "Upsample(size=(3, 4), mode='bilinear')"
    )
    b = nn.UpsamplingBilinear2d(size=4)
    assert b.align_corners is True and b.mode == "bilinear"
    assert repr(b) == "UpsamplingBilinear2d(size=4, mode='bilinear')"
    assert nn.UpsamplingNearest2d(scale_factor=(2, 3)).scale_factor == (2.0, 3.0)


def test_upsample_modules_forward_through_interpolate():
    x = _t((1, 2, 3, 5))
    np.testing.assert_array_equal(
        _np(nn.Upsample(scale_factor=2, mode="bilinear")(x)),
        _np(F.interpolate(x, scale_factor=2, mode="bilinear")),
    )
    np.testing.assert_array_equal(
        _np(nn.UpsamplingBilinear2d(scale_factor=2)(x)),
        _np(F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)),
    )
    np.testing.assert_array_equal(
        _np(nn.UpsamplingNearest2d(size=(4, 4))(x)), _np(F.interpolate(x, size=(4, 4)))
    )


def test_deprecated_upsample_functions_warn_and_delegate():
    x = _t((1, 1, 2, 2))
    with pytest.warns(UserWarning, match="upsample` is deprecated"):
        out = F.upsample(x, scale_factor=2)
    np.testing.assert_array_equal(_np(out), _np(F.interpolate(x, scale_factor=2)))
    with pytest.warns(UserWarning, match="upsample_bilinear` is deprecated"):
        out = F.upsample_bilinear(x, size=3)
    np.testing.assert_array_equal(
        _np(out), _np(F.interpolate(x, size=3, mode="bilinear", align_corners=True))
    )


# ----- errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda x: F.interpolate(x, size=3, scale_factor=2),
            ValueError,
            "only one of size or scale_factor should be defined",
        ),
        (lambda x: F.interpolate(x), ValueError, "either size or scale_factor should be defined"),
        (
            lambda x: F.interpolate(x, size=2, align_corners=True),
            ValueError,
            "align_corners option can only be set with the interpolating modes: linear | "
            "bilinear | bicubic | trilinear",
        ),
        (
            lambda x: F.interpolate(x, size=2, mode="linear"),
            NotImplementedError,
            "Got 4D input, but linear mode needs 3D input",
        ),
        (
            lambda x: F.interpolate(x[0], size=2, mode="bilinear"),
            NotImplementedError,
            "Got 3D input, but bilinear mode needs 4D input",
        ),
        (
            lambda x: F.interpolate(x, size=(2,)),
            ValueError,
            "Input and output must have the same number of spatial dimensions, but got input "
            "with spatial dimensions of [4, 4] and output size of (2,). Please provide input "
            "tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.",
        ),
        (
            lambda x: F.interpolate(x, scale_factor=0.1),
            RuntimeError,
            "Input and output sizes should be greater than 0, but got input (H: 4, W: 4) "
            "output (H: 0, W: 0)",
        ),
        (
            lambda x: F.interpolate(x[0, 0], size=2),
            NotImplementedError,
            "Input Error: Only 3D, 4D and 5D input Tensors supported (got 2D) for the modes: "
            "nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got "
            "nearest)",
        ),
        (
            lambda x: F.interpolate(x, size=3, mode="foo"),
            NotImplementedError,
            "Input Error: Only 3D, 4D and 5D input Tensors supported (got 4D) for the modes: "
            "nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got foo)",
        ),
        (
            lambda x: F.interpolate(x, size=3, recompute_scale_factor=True),
            ValueError,
            "recompute_scale_factor is not meaningful with an explicit size.",
        ),
        (
            lambda x: F.pad(x, (4, 4, 0, 0), mode="reflect"),
            RuntimeError,
            "Argument #4: Padding size should be less than the corresponding input dimension, "
            "but got: padding (4, 4) at dimension 3 of input [1, 1, 4, 4]",
        ),
        (
            lambda x: F.pad(x, (1, 1), mode="reflect", value=1.0),
            RuntimeError,
            'Padding mode "reflect" doesn\'t take in value argument',
        ),
        (
            lambda x: F.pad(x, (1, 1), mode="foo"),
            NotImplementedError,
            "Unrecognised padding mode foo",
        ),
    ],
)
def test_bad_arguments_raise_pytorchs_error(call, error, message):
    with pytest.raises(error) as e:
        call(et.zeros(1, 1, 4, 4))
    assert str(e.value) == message


def test_pad_unsupported_combination_lists_the_supported_ones():
    with pytest.raises(NotImplementedError, match="Padding size 2 is not supported for 4D input"):
        F.pad(et.zeros(1, 1, 4, 4), (1, 1), mode="replicate")
