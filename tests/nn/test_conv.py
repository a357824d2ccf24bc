"""Convolution layers and F.conv*: values, gradients to second order, init, repr, errors."""

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
from tests.ops.specs_conv import conv_reference, conv_transpose_reference


def _t(shape, seed=0, requires_grad=True, dtype=et.float64):
    a = np.random.default_rng(seed).standard_normal(shape)
    return et.tensor(a, dtype=dtype, requires_grad=requires_grad)


def _params(module):
    return [p for p in (module.weight, module.bias) if p is not None]


def _np(t):
    return t.detach().numpy()


# ----- layers: values against the references, gradients by finite differences ------------
@st.composite
def conv2d_configs(draw):
    groups = draw(st.integers(1, 2))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(st.sampled_from(["same", "valid", 0, 1, (2, 1)]))
    stride = (1, 1) if padding == "same" else (draw(st.integers(1, 2)), draw(st.integers(1, 3)))
    span = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    pads = (0, 0) if isinstance(padding, str) else np.broadcast_to(padding, 2)
    size = tuple(max(draw(st.integers(1, 4)), s - 2 * p) for s, p in zip(span, pads))
    return {
        "cin": cin,
        "cout": cout,
        "kernel": kernel,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "groups": groups,
        "bias": draw(st.booleans()),
        "batch": draw(st.integers(0, 2)),
        "size": size,
    }


@settings(max_examples=10)
@given(cfg=conv2d_configs())
def test_conv2d_layer_matches_reference_and_passes_gradgradcheck(cfg):
    conv = nn.Conv2d(
        cfg["cin"], cfg["cout"], cfg["kernel"], cfg["stride"], cfg["padding"], cfg["dilation"],
        cfg["groups"], cfg["bias"], dtype=et.float64,
    )  # fmt: skip
    x = _t((cfg["batch"], cfg["cin"], *cfg["size"]))
    out = conv(x)
    expected = conv_reference(
        _np(x), _np(conv.weight), None if conv.bias is None else _np(conv.bias),
        cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"],
    )  # fmt: skip
    np.testing.assert_allclose(_np(out), expected, rtol=1e-10, atol=1e-12)
    inputs = (x, *_params(conv))
    fn = lambda x, w, b=None: F.conv2d(  # noqa: E731
        x, w, b, cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"]
    )
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


@st.composite
def transpose_configs(draw, nd=2):
    groups = draw(st.integers(1, 2))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    size = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    # the output, (n - 1) * s - 2p + d * (k - 1) + op + 1, must keep at least one element
    full = [(n - 1) * s + d * (k - 1) + op for n, s, d, k, op in zip(size, stride, dilation,
            kernel, output_padding)]  # fmt: skip
    return {
        "cin": groups * draw(st.integers(1, 2)),
        "cout": groups * draw(st.integers(1, 2)),
        "kernel": kernel,
        "stride": stride,
        "padding": tuple(draw(st.integers(0, min(1, f // 2))) for f in full),
        "output_padding": output_padding,
        "groups": groups,
        "bias": draw(st.booleans()),
        "dilation": dilation,
        "batch": draw(st.integers(0, 2)),
        "size": size,
    }


@settings(max_examples=10)
@given(cfg=transpose_configs())
def test_conv_transpose2d_layer_matches_reference_and_passes_gradgradcheck(cfg):
    conv = nn.ConvTranspose2d(
        cfg["cin"], cfg["cout"], cfg["kernel"], cfg["stride"], cfg["padding"],
        cfg["output_padding"], cfg["groups"], cfg["bias"], cfg["dilation"], dtype=et.float64,
    )  # fmt: skip
    x = _t((cfg["batch"], cfg["cin"], *cfg["size"]))
    out = conv(x)
    args = (cfg["stride"], cfg["padding"], cfg["output_padding"], cfg["groups"], cfg["dilation"])
    bias = None if conv.bias is None else _np(conv.bias)
    expected = conv_transpose_reference(_np(x), _np(conv.weight), bias, *args)
    np.testing.assert_allclose(_np(out), expected, rtol=1e-10, atol=1e-12)
    inputs = (x, *_params(conv))
    fn = lambda x, w, b=None: F.conv_transpose2d(x, w, b, *args)  # noqa: E731
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


@settings(max_examples=10)
@given(
    k=st.integers(1, 4),
    stride=st.integers(1, 3),
    padding=st.sampled_from([0, 2, "same", "valid"]),
    dilation=st.integers(1, 2),
    length=st.integers(7, 9),
    batched=st.booleans(),
)
def test_conv1d_layer_matches_reference_batched_or_not(
    k, stride, padding, dilation, length, batched
):
    if padding == "same":
        stride = 1
    conv = nn.Conv1d(4, 2, k, stride, padding, dilation, groups=2, dtype=et.float64)
    x = _t((3, 4, length) if batched else (4, length))
    out = conv(x)
    expected = conv_reference(
        _np(x), _np(conv.weight), _np(conv.bias), stride, padding, dilation, 2
    )
    np.testing.assert_allclose(_np(out), expected, rtol=1e-10, atol=1e-12)
    assert gradcheck(conv, (x,))


@settings(max_examples=8)
@given(cfg=transpose_configs(nd=1), batched=st.booleans())
def test_conv_transpose1d_layer_matches_reference(cfg, batched):
    conv = nn.ConvTranspose1d(
        cfg["cin"], cfg["cout"], cfg["kernel"], cfg["stride"], cfg["padding"],
        cfg["output_padding"], cfg["groups"], cfg["bias"], cfg["dilation"], dtype=et.float64,
    )  # fmt: skip
    x = _t(((2,) if batched else ()) + (cfg["cin"], *cfg["size"]))
    args = (cfg["stride"], cfg["padding"], cfg["output_padding"], cfg["groups"], cfg["dilation"])
    bias = None if conv.bias is None else _np(conv.bias)
    expected = conv_transpose_reference(_np(x), _np(conv.weight), bias, *args)
    np.testing.assert_allclose(_np(conv(x)), expected, rtol=1e-10, atol=1e-12)
    assert gradcheck(conv, (x,))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, (2, 1), "same"])
def test_padding_modes_match_numpy_pad_and_pass_gradgradcheck(mode, padding):
    conv = nn.Conv2d(2, 3, (3, 2), padding=padding, padding_mode=mode, dtype=et.float64)
    x = _t((2, 2, 4, 5))
    pads = conv._reversed_padding_repeated_twice  # (left, right, top, bottom)
    np_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    padded = np.pad(_np(x), [(0, 0), (0, 0), (pads[2], pads[3]), (pads[0], pads[1])], np_mode)
    expected = conv_reference(padded, _np(conv.weight), _np(conv.bias))
    np.testing.assert_allclose(_np(conv(x)), expected, rtol=1e-10, atol=1e-12)
    assert gradgradcheck(conv, (x,))


def test_conv1d_circular_padding_wraps_around():
    conv = nn.Conv1d(1, 1, 3, padding=1, padding_mode="circular", bias=False, dtype=et.float64)
    with et.no_grad():
        conv.weight.copy_(et.tensor([[[1.0, 0.0, 0.0]]], dtype=et.float64))
    # out[i] = x[i - 1], with x[-1] = x[3]
    out = conv(et.tensor([[[1.0, 2.0, 3.0, 4.0]]], dtype=et.float64))
    np.testing.assert_array_equal(_np(out), [[[4.0, 1.0, 2.0, 3.0]]])


@pytest.mark.parametrize(
    "mode, message",
    [
        ("reflect", "Padding size should be less than the corresponding input dimension"),
        ("circular", "Padding value causes wrapping around more than once."),
    ],
)
def test_padding_modes_reject_too_much_padding(mode, message):
    conv = nn.Conv2d(1, 1, 1, padding=3, padding_mode=mode)
    with pytest.raises(RuntimeError, match=message):
        conv(et.zeros(1, 1, 2, 2))


# ----- gradient bookkeeping: reused im2col buffers, retain_graph, in-place, dtypes ----------
def test_same_layer_applied_twice_before_backward_gives_both_gradients():
    conv = nn.Conv2d(2, 3, 3, padding=1, dtype=et.float64)
    x1, x2 = _t((2, 2, 5, 5), 1), _t((2, 2, 5, 5), 2)
    (conv(x1) * 2 + conv(x2) ** 2).sum().backward()
    got = [_np(p.grad) for p in (x1, x2, conv.weight, conv.bias)]
    for p in (x1, x2, conv.weight, conv.bias):
        p.grad = None
    y1 = F.conv2d(x1, conv.weight, conv.bias, padding=1)
    (y1 * 2).sum().backward()
    y2 = F.conv2d(x2, conv.weight, conv.bias, padding=1)
    (y2**2).sum().backward()
    for a, p in zip(got, (x1, x2, conv.weight, conv.bias)):
        np.testing.assert_allclose(a, _np(p.grad), rtol=1e-12)


def test_backward_twice_with_retain_graph_accumulates_the_same_gradient():
    conv = nn.Conv2d(2, 3, 3, stride=2, padding=1, dtype=et.float64)
    x = _t((2, 2, 6, 5))
    y = conv(x).square().sum()
    y.backward(retain_graph=True)
    first = [_np(p.grad).copy() for p in (x, conv.weight, conv.bias)]
    y.backward()
    for a, p in zip(first, (x, conv.weight, conv.bias)):
        np.testing.assert_allclose(_np(p.grad), 2 * a, rtol=1e-12)


def test_gradient_of_input_is_not_overwritten_by_later_calls():
    conv = nn.Conv2d(2, 2, 3, padding=1, dtype=et.float64)
    x = _t((1, 2, 4, 4))
    conv(x).sum().backward()
    kept = _np(x.grad).copy()
    for seed in range(3):  # same geometry again: scratch buffers must not alias x.grad
        conv(_t((1, 2, 4, 4), seed + 5)).square().sum().backward()
    np.testing.assert_array_equal(_np(x.grad), kept)


def test_modifying_the_input_in_place_before_backward_raises():
    w = _t((3, 2, 3, 3))
    x = _t((1, 2, 5, 5), requires_grad=False)
    y = F.conv2d(x, w)
    x.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_float32_stays_float32_and_grad_fn_is_named():
    conv = nn.Conv2d(1, 2, 3)
    x = et.randn(2, 1, 5, 5, requires_grad=True)
    y = conv(x)
    assert y.dtype == et.float32 and y.grad_fn.name() == "ConvolutionBackward0"
    y.sum().backward()
    assert x.grad.dtype == et.float32 and conv.weight.grad.dtype == et.float32
    t = nn.ConvTranspose2d(2, 1, 3)(y)
    assert t.dtype == et.float32 and t.grad_fn.name() == "ConvolutionTransposeBackward0"


def test_zero_batch_and_zero_channel_inputs_give_empty_or_bias_outputs():
    out = F.conv2d(et.zeros(0, 3, 5, 5), et.zeros(2, 3, 3, 3))
    assert out.shape == (0, 2, 3, 3)
    b = et.tensor([1.0, 2.0])
    out = F.conv2d(et.zeros(1, 0, 4, 4), et.zeros(2, 0, 3, 3), b)
    np.testing.assert_array_equal(_np(out), np.broadcast_to([[[[1.0]], [[2.0]]]], (1, 2, 2, 2)))


def test_third_order_gradients_pass_gradgradcheck():
    """The input gradient is itself differentiable twice over (any order works)."""
    w = _t((2, 2, 2, 3), 1)

    def input_gradient(x, w):
        y = F.conv2d(x, w, stride=(1, 2), padding=1, groups=1)
        (gx,) = et.autograd.grad((y**3).sum(), (x,), create_graph=True)
        return gx

    assert gradgradcheck(input_gradient, (_t((1, 2, 3, 4)), w))


def test_pointwise_conv_is_a_channel_matmul():
    x, w, b = _t((2, 4, 3, 5)), _t((6, 4, 1, 1), 1), _t((6,), 2)
    out = F.conv2d(x, w, b)
    expected = np.einsum("nchw,oc->nohw", _np(x), _np(w)[:, :, 0, 0]) + _np(b)[:, None, None]
    np.testing.assert_allclose(_np(out), expected, rtol=1e-12)
    assert gradgradcheck(lambda *a: F.conv2d(*a), (x, w, b))


def test_strided_non_contiguous_inputs_give_the_same_result():
    x = _t((2, 6, 7, 3), requires_grad=False).permute(0, 3, 1, 2)  # (2, 3, 6, 7), channels last
    w = _t((4, 3, 3, 3), 1, requires_grad=False)
    expected = conv_reference(_np(x), _np(w), padding=1, stride=2)
    np.testing.assert_allclose(_np(F.conv2d(x, w, padding=1, stride=2)), expected, rtol=1e-12)


# ----- modules: parameters, init, repr, output_size ----------------------------------------
@pytest.mark.parametrize(
    "make, weight_shape, fan_in",
    [
        (lambda: nn.Conv2d(4, 8, 3), (8, 4, 3, 3), 36),
        (lambda: nn.Conv2d(4, 8, (3, 5), groups=2), (8, 2, 3, 5), 30),
        (lambda: nn.Conv1d(3, 6, 5), (6, 3, 5), 15),
        (lambda: nn.ConvTranspose2d(4, 6, 3, groups=2), (4, 3, 3, 3), 27),
        (lambda: nn.ConvTranspose1d(4, 2, 2), (4, 2, 2), 4),
    ],
)
def test_parameters_have_pytorch_shapes_and_default_init_bounds(make, weight_shape, fan_in):
    conv = make()
    assert conv.weight.shape == weight_shape and conv.bias.shape == (conv.out_channels,)
    assert list(conv.state_dict()) == ["weight", "bias"]
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) and the bias rule agree
    w, b = _np(conv.weight), _np(conv.bias)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.5 * bound
    assert np.abs(b).max() <= bound


def test_bias_false_registers_no_bias():
    conv = nn.Conv2d(2, 3, 3, bias=False)
    assert conv.bias is None and list(conv.state_dict()) == ["weight"]
    assert F.conv2d(et.zeros(1, 2, 3, 3), conv.weight).shape == conv(et.zeros(1, 2, 3, 3)).shape


def test_reset_parameters_redraws_weights():
    et.manual_seed(0)
    conv = nn.Conv2d(2, 3, 3)
    before = _np(conv.weight).copy()
    conv.reset_parameters()
    assert not np.array_equal(before, _np(conv.weight))


@pytest.mark.parametrize(
    "make, text",
    [
        (
            lambda: nn.Conv2d(1, 8, 3, padding=1),
            "Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))",
        ),
        (lambda: nn.Conv2d(2, 4, (1, 3)), "Conv2d(2, 4, kernel_size=(1, 3), stride=(1, 1))"),
        (
            lambda: nn.Conv2d(
                2, 4, 3, padding="same", dilation=2, groups=2, bias=False, padding_mode="reflect"
            ),
            "Conv2d(2, 4, kernel_size=(3, 3), stride=(1, 1), padding=same, dilation=(2, 2), "
            "groups=2, bias=False, padding_mode=reflect)",
        ),
        (lambda: nn.Conv1d(2, 4, 3, stride=2), "Conv1d(2, 4, kernel_size=(3,), stride=(2,))"),
        (
            lambda: nn.ConvTranspose2d(4, 8, 3, stride=2, output_padding=1),
            "ConvTranspose2d(4, 8, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))",
        ),
    ],
)
def test_repr_matches_pytorch(make, text):
    assert repr(make()) == text


def test_attributes_are_normalised_like_pytorch():
    conv = nn.Conv2d(2, 4, (2, 3), padding="same", dilation=(1, 2))
    assert conv.kernel_size == (2, 3) and conv.stride == (1, 1) and conv.padding == "same"
    assert conv.dilation == (1, 2) and not conv.transposed and conv.output_padding == (0, 0)
    # F.pad order, last dim first; the odd unit of 'same' padding goes to the high side
    assert conv._reversed_padding_repeated_twice == [2, 2, 0, 1]
    assert nn.Conv2d(1, 1, 3, padding=(1, 2))._reversed_padding_repeated_twice == (2, 2, 1, 1)
    assert nn.ConvTranspose2d(1, 1, 3).transposed


@pytest.mark.parametrize("size", [(12, 12), (11, 12), (1, 4, 12, 11)])
def test_conv_transpose_output_size_picks_output_padding(size):
    conv = nn.ConvTranspose2d(4, 4, 3, stride=2)
    out = conv(et.randn(1, 4, 5, 5), output_size=size)
    assert tuple(out.shape[-2:]) == tuple(size[-2:])


@pytest.mark.parametrize(
    "size, message",
    [
        ([13, 13], r"requested an output size of \[13, 13\], but valid sizes range from "
                   r"\[11, 11\] to \[12, 12\]"),
        ([1, 12, 12], "ConvTranspose2D: for 4D input, output_size must have 2 or 4 elements "
                      r"\(got 3\)"),
    ],
)  # fmt: skip
def test_conv_transpose_rejects_unreachable_output_size(size, message):
    with pytest.raises(ValueError, match=message):
        nn.ConvTranspose2d(4, 4, 3, stride=2)(et.randn(1, 4, 5, 5), output_size=size)


# ----- bad arguments -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: nn.Conv2d(3, 4, 3, groups=2), "in_channels must be divisible by groups"),
        (lambda: nn.Conv2d(4, 3, 3, groups=2), "out_channels must be divisible by groups"),
        (lambda: nn.Conv2d(4, 4, 3, groups=0), "groups must be a positive integer"),
        (
            lambda: nn.Conv2d(4, 4, 3, padding_mode="foo"),
            "padding_mode must be one of .*, but got padding_mode='foo'",
        ),
        (
            lambda: nn.Conv2d(4, 4, 3, padding="same", stride=2),
            "padding='same' is not supported for strided convolutions",
        ),
        (lambda: nn.Conv2d(4, 4, 3, padding="foo"), "Invalid padding string 'foo'"),
        (
            lambda: nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"),
            'Only "zeros" padding mode is supported for ConvTranspose2d',
        ),
    ],
)
def test_layer_constructor_rejects_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def _x(*shape):
    return et.zeros(*shape)


BAD_CALLS = [
    (
        lambda: F.conv2d(_x(2, 4, 5, 5), _x(8, 3, 3, 3)),
        "Given groups=1, weight of size [8, 3, 3, 3], expected input[2, 4, 5, 5] to have 3 "
        "channels, but got 4 channels instead",
    ),
    (
        lambda: F.conv2d(_x(2, 3, 2, 2), _x(8, 3, 3, 3)),
        "Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3). Kernel size "
        "can't be greater than actual input size",
    ),
    (
        lambda: F.conv2d(_x(2, 3, 2, 2), _x(8, 3, 3, 3), dilation=2, padding=1),
        "Calculated padded input size per channel: (4 x 4). Kernel size: (5 x 5).",
    ),
    (
        lambda: F.conv1d(_x(2, 2, 2), _x(3, 2, 3)),
        "Calculated padded input size per channel: (2). Kernel size: (3).",
    ),
    (
        lambda: F.conv2d(_x(2, 3, 5, 5), _x(3, 2, 3, 3), groups=2),
        "Given groups=2, expected weight to be divisible by 2 at dimension 0, but got weight "
        "of size [[3, 2, 3, 3]] instead",
    ),
    (
        lambda: F.conv2d(_x(2, 3, 5, 5), _x(4, 2, 3, 3), groups=2),
        "Given groups=2, weight of size [4, 2, 3, 3], expected input[2, 3, 5, 5] to have 4 "
        "channels, but got 3 channels instead",
    ),
    (lambda: F.conv2d(_x(1, 3, 5, 5), _x(3, 3, 3, 3), padding=-1), "negative padding is not"),
    (lambda: F.conv2d(_x(1, 3, 5, 5), _x(3, 3, 3, 3), stride=0), "non-positive stride is not"),
    (lambda: F.conv2d(_x(1, 3, 5, 5), _x(3, 3, 3, 3), dilation=0), "non-positive dilation"),
    (lambda: F.conv2d(_x(1, 3, 5, 5), _x(3, 3, 3, 3), groups=0), "non-positive groups is not"),
    (
        lambda: F.conv2d(_x(1, 3, 5, 5), _x(3, 3, 3, 3), padding="same", stride=2),
        "padding='same' is not supported for strided convolutions",
    ),
    (
        lambda: F.conv2d(_x(1, 3, 5, 5), _x(3, 3, 3, 3), padding="foo"),
        "Invalid padding string: 'foo'",
    ),
    (
        lambda: F.conv2d(_x(2, 3), _x(3, 3, 3, 3)),
        "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [2, 3]",
    ),
    (
        lambda: F.conv2d(_x(1, 3, 5, 5), _x(3, 3, 3, 3), stride=(1, 1, 1)),
        "expected stride to be a single integer value or a list of 2 values to match the "
        "convolution dimensions, but got stride=[1, 1, 1]",
    ),
    (
        lambda: F.conv2d(_x(1, 3, 5, 5), _x(8, 3, 3, 3), _x(7)),
        "Given weight of size [8, 3, 3, 3], expected bias to be 1-dimensional with 8 elements, "
        "but got bias of size [7] instead",
    ),
    (
        lambda: F.conv2d(_x(1, 3, 5, 5).double(), _x(8, 3, 3, 3)),
        "expected scalar type Double but found Float",
    ),
    (
        lambda: F.conv2d(_x(1, 3, 5, 5), _x(8, 3, 3, 3), _x(8).double()),
        "Input type (float) and bias type (double) should be the same",
    ),
    (
        lambda: F.conv2d(_x(2, 3, 5, 0), _x(3, 3, 3, 3), padding=3),
        "Only zero batch or zero channel inputs are supported, but got input shape: [2, 3, 5, 0]",
    ),
    (
        lambda: F.conv_transpose2d(_x(2, 3, 5, 5), _x(3, 2, 3, 3), output_padding=1),
        "output padding must be smaller than either stride or dilation, but got "
        "output_padding_height: 1 output_padding_width: 1 stride_height: 1 stride_width: 1 "
        "dilation_height: 1 dilation_width: 1",
    ),
    (
        lambda: F.conv_transpose2d(_x(2, 4, 5, 5), _x(3, 2, 3, 3)),
        "Given transposed=1, weight of size [3, 2, 3, 3], expected input[2, 4, 5, 5] to have 3 "
        "channels, but got 4 channels instead",
    ),
    (
        lambda: F.conv_transpose2d(_x(2, 3, 5, 5), _x(3, 2, 3, 3), _x(3)),
        "Given transposed=1, weight of size [3, 2, 3, 3], expected bias to be 1-dimensional "
        "with 2 elements, but got bias of size [3] instead",
    ),
    (
        lambda: F.conv_transpose2d(_x(2, 3, 1, 1), _x(3, 2, 3, 3), padding=2),
        "Given input size per channel: (1 x 1). Calculated output size per channel: (-1 x -1). "
        "Output size is too small",
    ),
    (
        lambda: F.conv_transpose2d(_x(2, 3, 5, 5), _x(3, 2, 3, 3), output_padding=-1),
        "negative output_padding is not supported",
    ),
    (
        lambda: F.conv_transpose1d(_x(2, 2, 2, 2), _x(2, 2, 3)),
        "Expected 2D (unbatched) or 3D (batched) input to conv_transpose1d, but got input of "
        "size: [2, 2, 2, 2]",
    ),
]


@pytest.mark.parametrize("call, message", BAD_CALLS, ids=[m[:40] for _, m in BAD_CALLS])
def test_bad_arguments_raise_pytorch_errors(call, message):
    with pytest.raises(RuntimeError) as info:
        call()
    assert message in str(info.value)


def test_string_padding_of_a_transposed_convolution_is_a_type_error():
    with pytest.raises(TypeError, match="argument 'padding' must be tuple of ints, not str"):
        F.conv_transpose2d(_x(1, 2, 3, 3), _x(2, 2, 3, 3), padding="same")


def test_failed_call_does_not_record_or_mutate():
    w = et.zeros(8, 3, 3, 3, requires_grad=True)
    with pytest.raises(RuntimeError):
        F.conv2d(_x(2, 4, 5, 5), w)
    assert w.grad is None and w._version == 0
