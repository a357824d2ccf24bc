"""``gradcheck``/``gradgradcheck`` options: fast mode, upcasting, strided inputs,
nondeterminism, undefined gradients, and reports naming the input and worst element."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings

import eagertorch as torch
from eagertorch._tensor import _make
from eagertorch.autograd import Function, GradcheckError, gradcheck, gradgradcheck
from eagertorch.testing.strategies import shapes, tensors
from tests.testing.planted import (
    ScaleWrongWeightGrad,
    Softplus,
    SoftplusDetachedBackward,
    SoftplusWrongForNegatives,
)


def _leaf(values, dtype=torch.float64):
    return torch.tensor(values, dtype=dtype, requires_grad=True)


@pytest.mark.parametrize("fast_mode", [False, True])
def test_report_names_the_input_and_the_worst_element(fast_mode):
    x = _leaf([[1.0, 2.0], [3.0, 4.0]])
    w = _leaf([0.5, -2.0])
    with pytest.raises(GradcheckError) as info:
        gradcheck(ScaleWrongWeightGrad.apply, (x, w), fast_mode=fast_mode)
    err = info.value
    assert err.input_index == 1 and err.output_index == 0
    assert "with respect to input 1 (shape (2,))" in str(err)
    # d out[i, j] / d w[j] = x[i, j]; doubled, the worst is x = 4 at out[1, 1], w[1].
    assert err.input_element == (1,) and err.output_element == (1, 1)
    assert "numerical 4, analytical 8" in str(err)


@pytest.mark.parametrize("fast_mode", [False, True])
def test_correct_function_passes_in_both_modes(fast_mode):
    x = _leaf([-2.0, 0.5, 3.0])
    assert gradcheck(Softplus.apply, (x,), fast_mode=fast_mode)
    assert gradgradcheck(Softplus.apply, (x,), fast_mode=fast_mode)


def test_second_order_bug_is_invisible_to_gradcheck_and_found_by_gradgradcheck():
    x = _leaf([-2.0, 0.5, 3.0])
    assert gradcheck(SoftplusDetachedBackward.apply, (x,))
    with pytest.raises(GradcheckError, match="the gradient of input 0"):
        gradgradcheck(SoftplusDetachedBackward.apply, (x,), fast_mode=True)


def test_float32_inputs_are_checked_as_float64_copies():
    x = torch.tensor([-1.0, 2.0], requires_grad=True)  # float32
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "not double precision" warning either
        assert gradcheck(Softplus.apply, (x,))
    assert x.dtype is torch.float32 and x.grad is None


def test_strided_inputs_are_perturbed_in_place_correctly():
    buffer = np.zeros((3, 4))
    view = buffer[:, ::2]
    view[...] = [[0.1, -0.2], [0.3, 1.0], [-1.5, 2.0]]
    x = _make(view).requires_grad_()
    assert not x.is_contiguous()
    assert gradcheck(lambda a: (a * a).sum(0), (x,))
    assert gradgradcheck(lambda a: (a * a).sum(0), (x,), gen_non_contig_grad_outputs=True)
    with pytest.raises(GradcheckError):
        gradcheck(SoftplusWrongForNegatives.apply, (x,))
    np.testing.assert_array_equal(buffer[:, 1::2], 0.0)  # the gaps were never touched


class _Noisy(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2 + torch.randn(g.shape, dtype=g.dtype) * 1e-9


def test_nondeterministic_backward_fails_unless_nondet_tol_allows_it():
    x = _leaf([1.0, 2.0])
    with pytest.raises(GradcheckError, match="not reentrant"):
        gradcheck(_Noisy.apply, (x,))
    assert gradcheck(_Noisy.apply, (x,), nondet_tol=1e-6)


class _TwoOutputs(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        return x * 2, x * 3

    @staticmethod
    def backward(ctx, g1, g2):
        return g1 * 2 + g2 * 3  # breaks when either gradient is undefined (None)


def test_undefined_output_gradients_are_checked_unless_disabled():
    x = _leaf([1.0, 2.0])
    with pytest.raises(GradcheckError, match="gradient of output 0 is undefined"):
        gradcheck(_TwoOutputs.apply, (x,))
    assert gradcheck(_TwoOutputs.apply, (x,), check_undefined_grad=False)


def test_raise_exception_false_returns_false():
    x = _leaf([-1.0])
    assert gradcheck(SoftplusWrongForNegatives.apply, (x,), raise_exception=False) is False


def test_requires_an_input_requiring_grad():
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(Softplus.apply, (torch.tensor([1.0], dtype=torch.float64),))


@settings(max_examples=10, deadline=None)
@given(x=tensors(shape=shapes(0, 2), dtype=torch.float32, requires_grad=True, layout="any"))
def test_gradcheck_runs_inside_given_on_drawn_float32_tensors(x):
    assert gradcheck(Softplus.apply, (x,), fast_mode=True)
    assert gradgradcheck(Softplus.apply, (x,), fast_mode=True)
