"""Pooling layers and F.*pool*: values, indices, gradients to second order, ties, ceil_mode,
padding, the large-kernel and overlapping paths, max_unpool, modules and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eagertorch as et
import eagertorch.nn.functional as F
from eagertorch import nn
from eagertorch.autograd import gradcheck, gradgradcheck
from tests.ops import op_db  # noqa: F401  (first: it imports the spec modules, this one too)
from tests.ops.specs_pooling import _avg_pool_ref, _max_pool_ref, _ramp


def _t(shape, seed=0, requires_grad=True, dtype=et.float64):
    a = np.random.default_rng(seed).standard_normal(shape)
    return et.tensor(a, dtype=dtype, requires_grad=requires_grad)


def _distinct(shape, seed=0, requires_grad=True, dtype=et.float64):
    """Values that are pairwise far apart (max pooling is not differentiable at ties)."""
    a = np.random.default_rng(seed).permutation(math.prod(shape)).reshape(shape) * 0.1
    return et.tensor(a, dtype=dtype, requires_grad=requires_grad)


def _np(t):
    return t.detach().numpy()


# ----- hypothesis: window hyper-parameters ----------------------------------------------------
@st.composite
def pool2d_configs(draw):
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    span = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    return {
        "kernel_size": kernel,
        "stride": (draw(st.integers(1, 4)), draw(st.integers(1, 4))),
        "padding": tuple(draw(st.integers(0, k // 2)) for k in kernel),
        "dilation": dilation,
        "ceil_mode": draw(st.booleans()),
        "shape": (
            draw(st.integers(1, 2)),
            draw(st.integers(1, 2)),
            *(draw(st.integers(s, s + 5)) for s in span),
        ),
    }


@settings(max_examples=40)
@given(cfg=pool2d_configs())
def test_max_pool2d_matches_window_reference_and_indices_locate_the_values(cfg):
    shape = cfg.pop("shape")
    x = _distinct(shape)
    out, idx = F.max_pool2d(x, return_indices=True, **cfg)
    expected = _max_pool_ref(2)(_np(x) - _ramp(shape), **cfg)
    np.testing.assert_allclose(_np(out), expected)
    flat = _np(x).reshape(shape[0], shape[1], -1)
    picked = np.take_along_axis(flat, idx.numpy().reshape(shape[0], shape[1], -1), -1)
    np.testing.assert_array_equal(picked.reshape(out.shape), _np(out))
    assert idx.dtype == et.int64


@settings(max_examples=15)
@given(cfg=pool2d_configs())
def test_max_pool2d_gradients_by_finite_differences(cfg):
    shape = cfg.pop("shape")
    x = _distinct(shape)
    assert gradcheck(lambda t: F.max_pool2d(t, **cfg), (x,))
    assert gradgradcheck(lambda t: F.max_pool2d(t, **cfg), (x,))


@settings(max_examples=30)
@given(cfg=pool2d_configs(), count_include_pad=st.booleans(), divisor=st.none() | st.integers(1, 7))
def test_avg_pool2d_matches_window_reference_and_gradients(cfg, count_include_pad, divisor):
    shape = cfg.pop("shape")
    cfg.pop("dilation")
    x = _t(shape)
    kw = {**cfg, "count_include_pad": count_include_pad, "divisor_override": divisor}
    out = F.avg_pool2d(x, **kw)
    np.testing.assert_allclose(_np(out), _avg_pool_ref(2)(_np(x), **kw), rtol=1e-12)
    assert gradcheck(lambda t: F.avg_pool2d(t, **kw), (x,))


# ----- ties, padding, ceil_mode ---------------------------------------------------------------
def test_max_pool2d_tie_sends_gradient_to_first_max_in_row_major_window_order():
    x = et.ones(1, 1, 4, 4, dtype=et.float64, requires_grad=True)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    out.sum().backward()
    expected = np.zeros((4, 4))
    expected[::2, ::2] = 1.0
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], expected)
    np.testing.assert_array_equal(idx.numpy()[0, 0], [[0, 2], [8, 10]])


def test_max_pool2d_tie_with_overlapping_windows_goes_to_each_windows_first_max():
    x = et.tensor([[[[1.0, 5.0, 5.0, 5.0]]]], dtype=et.float64, requires_grad=True)
    out, idx = F.max_pool2d(x, (1, 2), stride=1, return_indices=True)
    out.sum().backward()
    np.testing.assert_array_equal(idx.numpy().ravel(), [1, 1, 2])
    np.testing.assert_array_equal(x.grad.numpy().ravel(), [0.0, 2.0, 1.0, 0.0])


def test_max_pool1d_overlapping_windows_accumulate_gradient_of_a_shared_max():
    x = et.tensor([[[0.0, 9.0, 1.0, 2.0, 3.0]]], dtype=et.float64, requires_grad=True)
    F.max_pool1d(x, 3, stride=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy().ravel(), [0.0, 2.0, 0.0, 0.0, 1.0])


def test_max_pool2d_ceil_mode_drops_a_window_that_would_start_in_the_right_padding():
    x = _distinct((1, 1, 3, 3))
    out = F.max_pool2d(x, 2, stride=2, padding=1, ceil_mode=True)
    # Windows start at -1 and 1; a third at 3 would lie entirely in the padding.
    assert out.shape == (1, 1, 2, 2)
    v = _np(x)[0, 0]
    np.testing.assert_array_equal(
        _np(out)[0, 0], [[v[0, 0], v[0, 1:].max()], [v[1:, 0].max(), v[1:, 1:].max()]]
    )


def test_max_pool2d_ceil_mode_keeps_a_partial_window_that_starts_inside_the_input():
    x = _distinct((1, 1, 5, 5))
    out, idx = F.max_pool2d(x, 2, stride=2, ceil_mode=True, return_indices=True)
    assert out.shape == (1, 1, 3, 3)
    np.testing.assert_array_equal(_np(out)[0, 0, 2, 2], _np(x)[0, 0, 4, 4])
    assert idx.numpy()[0, 0, 2, 2] == 24


def test_max_pool2d_pads_with_minus_infinity_not_zero():
    x = -1.0 - _distinct((1, 1, 2, 2), requires_grad=False)
    out = F.max_pool2d(x, 2, stride=1, padding=1)
    assert out.shape == (1, 1, 3, 3)
    assert (_np(out) < 0).all()
    assert _np(out)[0, 0, 0, 0] == _np(x)[0, 0, 0, 0]


def test_max_pool2d_all_minus_infinity_window_points_at_its_first_input_element():
    x = et.full((1, 1, 2, 2), -math.inf, dtype=et.float64, requires_grad=True)
    out, idx = F.max_pool2d(x, 2, stride=1, padding=1, return_indices=True)
    # Window (0, 0) covers padding then x[0, 0]: PyTorch reports x[0, 0], not the padding.
    np.testing.assert_array_equal(idx.numpy()[0, 0], [[0, 0, 1], [0, 0, 1], [2, 2, 3]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[4.0, 2.0], [2.0, 1.0]])


def test_max_pool2d_propagates_nan_and_routes_its_gradient_to_the_nan():
    x = et.tensor([[[[1.0, float("nan")], [3.0, 2.0]]]], dtype=et.float64, requires_grad=True)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    assert math.isnan(out.item())
    assert idx.item() == 1
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[0.0, 1.0], [0.0, 0.0]])


def test_max_pool2d_backward_of_a_nan_gradient_does_not_leak_to_other_positions():
    x = _distinct((1, 1, 2, 4))
    out = F.max_pool2d(x, 2)
    (gx,) = et.autograd.grad(out, x, et.tensor([[[[float("nan"), 1.0]]]], dtype=et.float64))
    assert np.isnan(gx.numpy()).sum() == 1
    assert np.nansum(gx.numpy()) == 1.0


def test_max_pool_on_integer_input_keeps_dtype_and_pads_with_the_dtype_minimum():
    x = et.tensor([[[[-5, -7], [-9, -3]]]], dtype=et.int32)
    out = F.max_pool2d(x, 2, stride=1, padding=1)
    assert out.dtype == et.int32
    np.testing.assert_array_equal(out.numpy()[0, 0], [[-5, -5, -7], [-5, -3, -3], [-9, -3, -3]])


def test_avg_pool_on_integer_input_truncates_like_integer_division():
    x = et.tensor([[[[1, 2], [2, 2]]]], dtype=et.int64)
    assert F.avg_pool2d(x, 2).item() == 1


# ----- the two fast paths: many offsets (tiles) and the 2x2 scan --------------------------
@pytest.mark.parametrize("kernel", [5, (4, 6), (6, 3)])
def test_large_disjoint_kernels_take_the_tile_path_and_agree_with_the_reference(kernel):
    shape = (2, 3, 13, 12)
    x = _distinct(shape)
    out, idx = F.max_pool2d(x, kernel, return_indices=True)
    np.testing.assert_allclose(
        _np(out), _max_pool_ref(2)(_np(x) - _ramp(shape), kernel, kernel, 0, False)
    )
    flat = _np(x).reshape(2, 3, -1)
    np.testing.assert_array_equal(
        np.take_along_axis(flat, idx.numpy().reshape(2, 3, -1), -1).reshape(out.shape), _np(out)
    )
    assert gradcheck(lambda t: F.max_pool2d(t, kernel), (x,))
    avg = F.avg_pool2d(x, kernel)
    np.testing.assert_allclose(_np(avg), _avg_pool_ref(2)(_np(x), kernel, kernel, 0, False))
    assert gradcheck(lambda t: F.avg_pool2d(t, kernel), (x,))


def test_max_pool2d_2x2_float32_matches_a_numpy_reshape_max_and_its_gradient():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 3, 8, 6)).astype(np.float32)
    x = et.tensor(a, requires_grad=True)
    out = F.max_pool2d(x, 2)
    assert out.dtype == et.float32
    tiles = a.reshape(4, 3, 4, 2, 3, 2).transpose(0, 1, 2, 4, 3, 5).reshape(4, 3, 4, 3, 4)
    np.testing.assert_array_equal(_np(out), tiles.max(-1))
    g = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(et.tensor(g))
    win = tiles.argmax(-1)
    expected = np.zeros_like(tiles)
    np.put_along_axis(expected, win[..., None], g[..., None], -1)
    expected = expected.reshape(4, 3, 4, 3, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(a.shape)
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    assert x.grad.dtype == et.float32


def test_max_pool_grad_fn_and_double_backward_gathers_at_the_argmax():
    x = _distinct((1, 2, 4, 4))
    out = F.max_pool2d(x, 2)
    assert out.grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    v = et.ones_like(out, requires_grad=True)
    (gx,) = et.autograd.grad(out, x, v, create_graph=True)
    w = _t(x.shape, seed=3, requires_grad=False)
    (gv,) = et.autograd.grad((gx * w).sum(), v)
    # d/dv <scatter(v), w> = w read at each window's argmax.
    _, idx = F.max_pool2d(x, 2, return_indices=True)
    expected = np.take_along_axis(_np(w).reshape(1, 2, -1), idx.numpy().reshape(1, 2, -1), -1)
    np.testing.assert_allclose(gv.numpy(), expected.reshape(out.shape))


def test_avg_pool_grad_fn_and_its_backward_is_the_transposed_pool():
    x = _t((1, 1, 5, 5))
    out = F.avg_pool2d(x, 3, stride=2, padding=1)
    assert out.grad_fn.name() == "AvgPool2DBackward0"
    assert gradgradcheck(lambda t: F.avg_pool2d(t, 3, stride=2, padding=1), (x,))


def test_pooling_without_grad_records_nothing():
    x = _distinct((1, 1, 4, 4))
    with et.no_grad():
        out = F.max_pool2d(x, 2)
    assert out.grad_fn is None and not out.requires_grad


def test_pooling_a_strided_view_matches_pooling_its_copy():
    x = _distinct((1, 2, 6, 8))
    view = x.transpose(-1, -2)
    np.testing.assert_array_equal(
        _np(F.max_pool2d(view, 2)), _np(F.max_pool2d(view.contiguous(), 2))
    )


def test_pooling_empty_batch_gives_empty_output_and_gradient():
    x = et.zeros(0, 3, 4, 4, requires_grad=True)
    out = F.max_pool2d(x, 2)
    assert out.shape == (0, 3, 2, 2)
    out.sum().backward()
    assert x.grad.shape == (0, 3, 4, 4)


def test_pooling_unbatched_input_matches_batched():
    x = _distinct((3, 6, 6))
    np.testing.assert_array_equal(
        _np(F.max_pool2d(x, 3, 2, 1)), _np(F.max_pool2d(x.unsqueeze(0), 3, 2, 1))[0]
    )
    np.testing.assert_array_equal(
        _np(F.avg_pool2d(x, 3, 2, 1)), _np(F.avg_pool2d(x.unsqueeze(0), 3, 2, 1))[0]
    )


# ----- average pooling divisors ---------------------------------------------------------------
def test_avg_pool2d_divisor_counts_padding_unless_told_not_to():
    x = et.ones(1, 1, 2, 2, dtype=et.float64)
    with_pad = F.avg_pool2d(x, 2, stride=1, padding=1)
    without = F.avg_pool2d(x, 2, stride=1, padding=1, count_include_pad=False)
    np.testing.assert_allclose(
        with_pad.numpy()[0, 0], [[0.25, 0.5, 0.25], [0.5, 1, 0.5], [0.25, 0.5, 0.25]]
    )
    np.testing.assert_allclose(without.numpy()[0, 0], np.ones((3, 3)))


def test_avg_pool2d_ceil_mode_window_past_the_padding_divides_by_its_clipped_size():
    x = et.ones(1, 1, 3, 3, dtype=et.float64)
    out = F.avg_pool2d(x, 2, stride=2, ceil_mode=True)
    # The last window holds one row/col of the input and none of (zero) padding.
    np.testing.assert_allclose(out.numpy()[0, 0], np.ones((2, 2)))
    out = F.avg_pool2d(x, 2, stride=2, padding=1, ceil_mode=True)
    np.testing.assert_allclose(out.numpy()[0, 0], [[0.25, 0.5], [0.5, 1.0]])


def test_avg_pool2d_divisor_override_replaces_every_divisor():
    x = et.ones(1, 1, 4, 4, dtype=et.float64)
    np.testing.assert_allclose(F.avg_pool2d(x, 2, divisor_override=3).numpy(), 4 / 3)


# ----- adaptive pooling -----------------------------------------------------------------------
@settings(max_examples=25)
@given(
    size=st.tuples(st.integers(1, 7), st.integers(1, 7)),
    out=st.tuples(st.integers(1, 8), st.integers(1, 8)),
)
def test_adaptive_pools_use_floor_ceil_windows_and_have_correct_gradients(size, out):
    x = _distinct((2, 1, *size))
    a = _np(x)
    avg = F.adaptive_avg_pool2d(x, out)
    mx, idx = F.adaptive_max_pool2d(x, out, return_indices=True)
    for i in range(out[0]):
        for j in range(out[1]):
            h0, h1 = i * size[0] // out[0], -(-(i + 1) * size[0] // out[0])
            w0, w1 = j * size[1] // out[1], -(-(j + 1) * size[1] // out[1])
            win = a[:, :, h0:h1, w0:w1]
            np.testing.assert_allclose(_np(avg)[:, :, i, j], win.mean((-1, -2)))
            np.testing.assert_allclose(_np(mx)[:, :, i, j], win.max((-1, -2)))
            flat = a.reshape(2, 1, -1)
            np.testing.assert_array_equal(
                np.take_along_axis(flat, idx.numpy()[:, :, i, j][..., None], -1)[..., 0],
                win.max((-1, -2)),
            )
    assert gradcheck(lambda t: F.adaptive_avg_pool2d(t, out), (x,))
    assert gradcheck(lambda t: F.adaptive_max_pool2d(t, out), (x,))
    assert gradgradcheck(lambda t: F.adaptive_avg_pool2d(t, out), (x,))


def test_adaptive_pool_output_size_none_keeps_that_input_size():
    x = _t((1, 2, 5, 6))
    assert F.adaptive_avg_pool2d(x, (None, 3)).shape == (1, 2, 5, 3)
    assert F.adaptive_max_pool2d(x, (2, None)).shape == (1, 2, 2, 6)
    assert nn.AdaptiveAvgPool2d((None, 2))(x).shape == (1, 2, 5, 2)


def test_adaptive_avg_pool_to_one_is_the_spatial_mean():
    x = _t((2, 3, 5, 4))
    np.testing.assert_allclose(
        _np(F.adaptive_avg_pool2d(x, 1)), _np(x).mean((-1, -2), keepdims=True)
    )


def test_adaptive_max_pool_with_output_size_zero_is_empty():
    x = _t((1, 2, 4, 4))
    assert F.adaptive_max_pool2d(x, (0, 2)).shape == (1, 2, 0, 2)


def test_adaptive_1d_and_3d_variants():
    x = _distinct((2, 2, 7))
    np.testing.assert_allclose(
        _np(F.adaptive_avg_pool1d(x, 3)),
        np.stack(
            [_np(x)[..., 0:3].mean(-1), _np(x)[..., 2:5].mean(-1), _np(x)[..., 4:7].mean(-1)], -1
        ),
    )
    assert F.adaptive_max_pool1d(x, 4).shape == (2, 2, 4)
    y = _distinct((1, 1, 4, 5, 6))
    assert F.adaptive_avg_pool3d(y, (2, 3, 2)).shape == (1, 1, 2, 3, 2)
    assert gradcheck(lambda t: F.adaptive_max_pool3d(t, (3, 2, 4)), (y,))


# ----- max_unpool and lp_pool -----------------------------------------------------------------
def test_max_unpool2d_puts_each_max_back_at_its_index():
    x = _distinct((2, 3, 6, 4))
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    un = F.max_unpool2d(out, idx, 2)
    assert un.shape == x.shape
    a = _np(x)
    kept = _np(un) != 0
    np.testing.assert_array_equal(_np(un)[kept], a[kept])
    assert kept.sum() == out.numel()
    assert gradcheck(lambda t: F.max_unpool2d(t, idx, 2), (out.detach().requires_grad_(),))
    assert gradgradcheck(lambda t: F.max_unpool2d(t, idx, 2), (out.detach().requires_grad_(),))


def test_max_unpool_with_output_size_and_1d():
    x = _distinct((1, 1, 5, 5))
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    assert F.max_unpool2d(out, idx, 2, output_size=(5, 5)).shape == (1, 1, 5, 5)
    assert nn.MaxUnpool2d(2)(out, idx, output_size=[1, 1, 5, 5]).shape == (1, 1, 5, 5)
    y = _distinct((2, 3, 8))
    o1, i1 = F.max_pool1d(y, 2, return_indices=True)
    assert F.max_unpool1d(o1, i1, 2).shape == (2, 3, 8)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda o, i: F.max_unpool2d(o, i * 0 + 31, 2),
            RuntimeError,
            "Found an invalid max index: 31 (output volumes are of size 4x4)",
        ),
        (
            lambda o, i: F.max_unpool2d(o, i, 2, output_size=(9, 9)),
            ValueError,
            'invalid output_size "(9, 9)" (dim 0 must be between 2 and 6)',
        ),
        (
            lambda o, i: F.max_unpool2d(o, i.float(), 2),
            RuntimeError,
            "elements in indices should be type int64 but got: Float",
        ),
        (
            lambda o, i: F.max_unpool2d(o, i[0], 2),
            RuntimeError,
            "Expected shape of indices to be same as that of the input tensor ([1, 1, 2, 2]) but "
            "got indices tensor with shape: [1, 2, 2]",
        ),
        (
            lambda o, i: F.max_unpool2d(o[0, 0], i[0, 0], 2),
            RuntimeError,
            "Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with 2 "
            "dimensions.",
        ),
    ],
)
def test_max_unpool_errors(call, error, message):
    out, idx = F.max_pool2d(_distinct((1, 1, 4, 4)), 2, return_indices=True)
    with pytest.raises(error) as e:
        call(out, idx)
    assert str(e.value) == message


def test_lp_pool2d_is_the_p_norm_of_each_window():
    x = _t((1, 2, 4, 6))
    out = F.lp_pool2d(x, 2, 2)
    tiles = _np(x).reshape(1, 2, 2, 2, 3, 2)
    np.testing.assert_allclose(_np(out), np.sqrt((tiles**2).sum((3, 5))))
    assert gradcheck(
        lambda t: F.lp_pool2d(t, 3, (2, 3), stride=1), ((x.abs() + 0.5).detach().requires_grad_(),)
    )
    assert _np(nn.LPPool1d(1, 3)(x[0])).shape == (2, 4, 2)


# ----- modules --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("module", "text"),
    [
        (
            nn.MaxPool2d(2),
            "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)",
        ),
        (
            nn.MaxPool2d((2, 3), 1, 1, 2, True, True),
            "MaxPool2d(kernel_size=(2, 3), stride=1, padding=1, dilation=2, ceil_mode=True)",
        ),
        (
            nn.MaxPool1d(3, 2),
            "MaxPool1d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)",
        ),
        (nn.AvgPool1d(2), "AvgPool1d(kernel_size=(2,), stride=(2,), padding=(0,))"),
        (nn.AvgPool2d(3, 2, 1), "AvgPool2d(kernel_size=3, stride=2, padding=1)"),
        (nn.AdaptiveAvgPool2d((3, None)), "AdaptiveAvgPool2d(output_size=(3, None))"),
        (nn.AdaptiveMaxPool1d(4), "AdaptiveMaxPool1d(output_size=4)"),
        (nn.MaxUnpool2d(2), "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"),
        (nn.LPPool2d(2, 3), "LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)"),
    ],
)
def test_module_repr_is_pytorchs(module, text):
    assert repr(module) == text


def test_modules_forward_through_functional_and_hold_no_parameters():
    x = _distinct((2, 3, 8, 8))
    cases = [
        (nn.MaxPool2d(3, 2, 1), F.max_pool2d(x, 3, 2, 1)),
        (nn.AvgPool2d(3, 2, 1, count_include_pad=False), F.avg_pool2d(x, 3, 2, 1, False, False)),
        (nn.AdaptiveAvgPool2d(3), F.adaptive_avg_pool2d(x, 3)),
        (nn.AdaptiveMaxPool2d((3, 5)), F.adaptive_max_pool2d(x, (3, 5))),
        (nn.MaxPool1d(2), F.max_pool1d(x[0], 2)),
        (nn.AvgPool1d(3, 1, 1), F.avg_pool1d(x[0], 3, 1, 1)),
    ]
    for module, expected in cases:
        arg = x[0] if "1d" in type(module).__name__ else x
        np.testing.assert_array_equal(_np(module(arg)), _np(expected))
        assert list(module.parameters()) == [] and module.state_dict() == {}


def test_max_pool_module_with_return_indices_returns_both():
    x = _distinct((1, 1, 4, 4))
    out, idx = nn.MaxPool2d(2, return_indices=True)(x)
    assert out.shape == idx.shape == (1, 1, 2, 2)
    out, idx = nn.AdaptiveMaxPool2d(2, return_indices=True)(x)
    assert idx.dtype == et.int64


# ----- errors: PyTorch's checks and wording ---------------------------------------------------
@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: F.max_pool2d(et.zeros(1, 1, 4, 4), 2, padding=2),
            RuntimeError,
            "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 "
            "and dilation=1",
        ),
        (
            lambda: F.max_pool2d(et.zeros(1, 1, 1), 2),
            RuntimeError,
            "Given input size: (1x1x1). Calculated output size: (1x0x0). Output size is too small",
        ),
        (
            lambda: F.avg_pool2d(et.zeros(1, 1, 1, 1), 2),
            RuntimeError,
            "Given input size: (1x1x1). Calculated output size: (1x0x0). Output size is too small",
        ),
        (
            lambda: F.avg_pool1d(et.zeros(1, 1, 1), 2),
            RuntimeError,
            "Given input size: (1x1x1). Calculated output size: (1x1x0). Output size is too small",
        ),
        (
            lambda: F.max_pool2d(et.zeros(1, 8, 8), 3, dilation=2, padding=2),
            RuntimeError,
            "pad should be smaller than or equal to half of kernel size, but got padW = 2, "
            "padH = 2, kW = 3, kH = 3",
        ),
        (lambda: F.max_pool2d(et.zeros(1, 4, 4), 0), RuntimeError, "stride should not be zero"),
        (
            lambda: F.max_pool2d(et.zeros(1, 4, 4), -1),
            RuntimeError,
            "kernel size should be greater than zero, but got kH: -1 kW: -1",
        ),
        (
            lambda: F.max_pool2d(et.zeros(1, 4, 4), 2, -1),
            RuntimeError,
            "stride should be greater than zero, but got dH: -1 dW: -1",
        ),
        (
            lambda: F.max_pool2d(et.zeros(1, 4, 4), 2, dilation=0),
            RuntimeError,
            "dilation should be greater than zero, but got dilationH: 0 dilationW: 0",
        ),
        (
            lambda: F.max_pool2d(et.zeros(1, 4, 4), 2, padding=-1),
            RuntimeError,
            "pad must be non-negative, but got pad: -1",
        ),
        (
            lambda: F.max_pool2d(et.zeros(1, 4, 4), (2, 2, 2)),
            RuntimeError,
            "max_pool2d: kernel_size must either be a single int, or a tuple of two ints",
        ),
        (
            lambda: F.max_pool2d(et.zeros(1, 4, 4), 2, stride=(1, 2, 3)),
            RuntimeError,
            "max_pool2d: stride must either be omitted, a single int, or a tuple of two ints",
        ),
        (
            lambda: F.max_pool2d(et.zeros(2, 3), 2),
            RuntimeError,
            "non-empty 3D or 4D (batch mode) tensor expected for input",
        ),
        (
            lambda: F.max_pool2d(et.zeros(2, 0, 4, 4), 2),
            RuntimeError,
            "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but "
            "got:[2, 0, 4, 4]",
        ),
        (
            lambda: F.max_pool2d(et.zeros(1, 4, 4), 2.0),
            TypeError,
            "max_pool2d(): argument 'kernel_size' (position 2) must be tuple of ints, not float",
        ),
        (
            lambda: F.max_pool1d(et.zeros(1, 1, 4), 2, padding=2),
            RuntimeError,
            "max_pool1d() padding should be at most half of kernel size, but got padding=2 and "
            "kernel_size=2",
        ),
        (
            lambda: F.max_pool1d(et.zeros(1, 1, 1), 2),
            RuntimeError,
            "max_pool1d() Invalid computed output size: 0",
        ),
        (
            lambda: F.max_pool1d(et.zeros(5), 2),
            RuntimeError,
            "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size "
            "for input, but got:[5]",
        ),
        (
            lambda: F.avg_pool1d(et.zeros(1, 8), (2, 2)),
            RuntimeError,
            "avg_pool1d() argument 'kernel_size' should contain one int (got 2)",
        ),
        (
            lambda: F.avg_pool2d(et.zeros(1, 4, 4), 2, divisor_override=0),
            RuntimeError,
            "divisor must be not zero",
        ),
        (
            lambda: F.adaptive_avg_pool2d(et.zeros(1, 4, 4), (-1, 2)),
            RuntimeError,
            "adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but "
            "received {-1, 2}",
        ),
        (
            lambda: F.adaptive_max_pool2d(et.zeros(1, 0, 4), 2),
            RuntimeError,
            "adaptive_max_pool2d(): Expected input to have non-zero size for non-batch "
            "dimensions, but input has sizes [1, 0, 4] with dimension 1 being empty",
        ),
        (
            lambda: F.adaptive_avg_pool2d(et.zeros(1, 1, 3, 3, 3), 2),
            RuntimeError,
            "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [1, 1, 3, 3, 3]",
        ),
        (
            lambda: F.adaptive_max_pool1d(et.zeros(1, 1, 4), (2, 3)),
            RuntimeError,
            "adaptive_max_pool1d() argument 'output_size' should contain one int (got 2)",
        ),
        (
            lambda: F.adaptive_avg_pool2d(et.zeros(4, 4), (2, None)),
            ValueError,
            "Input dimension should be at least 3",
        ),
    ],
)
def test_bad_arguments_raise_pytorchs_error(call, error, message):
    with pytest.raises(error) as e:
        call()
    assert str(e.value) == message
