"""F.unfold/F.fold and nn.Unfold/nn.Fold: values against the loop references of the op table
(``tests/ops/specs_conv.py``, which also runs ``check_op`` on both), the adjoint identity,
gradients to second order, no aliasing or mutation of inputs, errors, reprs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eagertorch as et
import eagertorch.nn.functional as F
from eagertorch import nn
from eagertorch.autograd import gradcheck, gradgradcheck
from tests.ops import op_db  # noqa: F401  (first: it imports the spec modules, this one too)
from tests.ops.specs_conv import fold_reference, unfold_reference


@st.composite
def configs(draw):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    span = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    size = tuple(draw(st.integers(max(s - 2 * p, 1), s + 3)) for s, p in zip(span, padding))
    n = draw(st.sampled_from([0, 1, 2]))
    c = draw(st.integers(1, 2))
    as_ints = {k: v[0] if draw(st.booleans()) and v[0] == v[1] else v for k, v in
               (("kernel_size", kernel), ("dilation", dilation), ("padding", padding),
                ("stride", stride))}  # fmt: skip
    return (n, c, *size), as_ints


def _t(shape, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape)
    return et.tensor(a, dtype=et.float64, requires_grad=True)


@settings(max_examples=20, deadline=None)
@given(cfg=configs())
def test_unfold_matches_the_loop_reference_and_fold_is_its_adjoint(cfg):
    shape, kw = cfg
    x = _t(shape)
    cols = F.unfold(x, **kw)
    expected = unfold_reference(x.detach().numpy(), **kw)
    np.testing.assert_allclose(cols.detach().numpy(), expected)
    y = _t(expected.shape, seed=1)
    image = F.fold(y, shape[2:], **kw)
    assert tuple(image.shape) == shape
    np.testing.assert_allclose(
        image.detach().numpy(), fold_reference(y.detach().numpy(), shape[2:], **kw)
    )
    # <unfold(x), y> == <x, fold(y)>
    lhs = float((cols.detach().numpy() * y.detach().numpy()).sum())
    rhs = float((x.detach().numpy() * image.detach().numpy()).sum())
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10, atol=1e-10)


@settings(max_examples=12, deadline=None)
@given(cfg=configs())
def test_unfold_and_fold_gradients_by_finite_differences(cfg):
    shape, kw = cfg
    shape = (1, *shape[1:])
    x = _t(shape)
    assert gradcheck(lambda t: F.unfold(t, **kw), (x,))
    assert gradgradcheck(lambda t: F.unfold(t, **kw), (x,))
    y = _t(tuple(F.unfold(x, **kw).shape), seed=1)
    assert gradcheck(lambda t: F.fold(t, shape[2:], **kw), (y,))
    assert gradgradcheck(lambda t: F.fold(t, shape[2:], **kw), (y,))


def test_unbatched_input_gives_unbatched_output():
    x = _t((2, 4, 5))
    cols = F.unfold(x, 2, padding=1)
    np.testing.assert_allclose(
        cols.detach().numpy(), F.unfold(x[None], 2, padding=1)[0].detach().numpy()
    )
    image = F.fold(cols, (4, 5), 2, padding=1)
    assert tuple(image.shape) == (2, 4, 5)


def test_fold_sums_overlapping_blocks():
    # every pixel of a 3x3 image is covered by as many 2x2 blocks as hold it
    ones = et.ones(1, 4, 4)
    counts = F.fold(ones, (3, 3), 2)
    np.testing.assert_array_equal(counts.numpy()[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


@pytest.mark.parametrize("kw", [{"kernel_size": 1}, {"kernel_size": 3, "padding": 1}])
def test_outputs_do_not_alias_and_inputs_are_not_changed(kw):
    x = _t((1, 2, 4, 4))
    before = x.detach().numpy().copy()
    cols = F.unfold(x, **kw)
    assert not np.shares_memory(cols.detach().numpy(), x.detach().numpy())
    y = _t(tuple(cols.shape), seed=1)
    y_before = y.detach().numpy().copy()
    image = F.fold(y, (4, 4), **kw)
    assert not np.shares_memory(image.detach().numpy(), y.detach().numpy())
    np.testing.assert_array_equal(x.detach().numpy(), before)
    np.testing.assert_array_equal(y.detach().numpy(), y_before)


def test_two_results_of_one_geometry_are_independent():
    a, b = F.unfold(_t((1, 1, 3, 3)), 2), F.unfold(_t((1, 1, 3, 3), seed=2), 2)
    assert not np.shares_memory(a.detach().numpy(), b.detach().numpy())
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())


def test_float32_stays_float32():
    x = et.randn(1, 2, 4, 4, dtype=et.float32)
    assert F.unfold(x, 2).dtype == et.float32
    assert F.fold(F.unfold(x, 2), (4, 4), 2).dtype == et.float32


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: F.unfold(et.zeros(1, 2, 3, 4), 5), RuntimeError,
         "Given input with spatial size (3, 4), kernel_size=(5, 5), dilation=(1, 1), "
         "padding=(0, 0), calculated shape of the array of sliding blocks as (-1, 0), but its "
         "components must be at least one."),
        (lambda: F.unfold(et.zeros(1, 2, 3, 4, 5), 2), RuntimeError,
         "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
         "dimensions for input, but got: [1, 2, 3, 4, 5]"),
        (lambda: F.unfold(et.zeros(3, 4), 2), IndexError,
         "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
        (lambda: F.unfold(et.zeros(1, 2, 3, 4), 2, stride=0), RuntimeError,
         "stride should be greater than zero, but got stride_height: 0 stride_width: 0"),
        (lambda: F.unfold(et.zeros(1, 2, 3, 4), (2, 2, 2)), RuntimeError,
         "It is expected kernel_size equals to 2, but got size 3"),
        (lambda: F.unfold(et.zeros(1, 2, 3, 4), 2.5), TypeError,
         "im2col(): argument 'kernel_size' (position 2) must be tuple of ints, but found "
         "element of type float at pos 0"),
        (lambda: F.fold(et.zeros(1, 7, 6), (3, 4), 2), RuntimeError,
         "Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
         "but got input.size(1)=7 and kernel_size=(2, 2)."),
        (lambda: F.fold(et.zeros(1, 8, 5), (3, 4), 2), RuntimeError,
         "Given output_size=(3, 4), kernel_size=(2, 2), dilation=(1, 1), padding=(0, 0), "
         "stride=(1, 1), expected size of input's dimension 2 to match the calculated number "
         "of sliding blocks 2 * 3 = 6, but got input.size(2)=5."),
        (lambda: F.fold(et.zeros(1, 1, 8, 6), (3, 4), 2), RuntimeError,
         "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
         "non-zero dimensions for input, but got: [1, 1, 8, 6]"),
        (lambda: F.fold(et.zeros(1, 8, 6, dtype=et.int64), (3, 4), 2), NotImplementedError,
         "\"col2im_out_cpu\" not implemented for 'Long'"),
    ],
)  # fmt: skip
def test_errors_name_the_shapes(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert str(info.value) == message


def test_modules_store_their_arguments_and_match_the_functions():
    unfold = nn.Unfold(2, dilation=1, padding=1, stride=(1, 2))
    fold = nn.Fold((3, 4), 2, padding=1, stride=(1, 2))
    assert repr(unfold) == "Unfold(kernel_size=2, dilation=1, padding=1, stride=(1, 2))"
    assert repr(fold) == (
        "Fold(output_size=(3, 4), kernel_size=2, dilation=1, padding=1, stride=(1, 2))"
    )
    x = _t((2, 3, 3, 4))
    np.testing.assert_allclose(
        fold(unfold(x)).detach().numpy(),
        F.fold(F.unfold(x, 2, 1, 1, (1, 2)), (3, 4), 2, 1, 1, (1, 2)).detach().numpy(),
    )
    assert not isinstance(fold, nn.Unfold)


def test_a_float_argument_is_refused_even_after_the_int_geometry_was_cached():
    x = et.zeros(1, 2, 3, 4)
    F.unfold(x, 2)
    with pytest.raises(TypeError, match="must be tuple of ints"):
        F.unfold(x, 2.0)
    F.fold(et.zeros(1, 8, 6), (3, 4), 2)
    with pytest.raises(TypeError, match="must be tuple of ints"):
        F.fold(et.zeros(1, 8, 6), (3.0, 4), 2)
