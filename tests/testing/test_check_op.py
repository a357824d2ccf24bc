"""``check_op`` passes correct functions and finds, then shrinks, planted bugs."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import eagertorch as torch
from eagertorch.testing import (
    check_adjoint,
    check_backward_linearity,
    check_op,
    check_op_at,
)
from eagertorch.testing.strategies import axes, shapes, tensors
from tests.testing.planted import (
    Softplus,
    SoftplusConstantInGrad,
    SoftplusDetachedBackward,
    SoftplusSquaredGrad,
    SoftplusWrongForNegatives,
    softplus_reference,
)

# Planted bugs must be found within a few examples; derandomized, so this file is stable.
FIND = settings(
    max_examples=20,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.generate, Phase.shrink],  # no explain phase: it traces every line, slowly
)


def _failure(fn, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as info:
        check_op(fn, *args, settings=FIND, **kwargs)
    return str(info.value)


def _pasted_args(message: str) -> tuple:
    """The counterexample's ``args = (...)`` line, evaluated: it must paste as is."""
    line = re.search(r"^  args = (.*)$", message, re.M).group(1)
    return eval(line, {"eagertorch": torch})


def test_correct_custom_function_passes():
    check_op(Softplus.apply, softplus_reference)


def test_planted_first_order_bug_is_found_and_shrunk_to_one_negative_element():
    message = _failure(SoftplusWrongForNegatives.apply, softplus_reference, order=1)
    assert "gradcheck (first order) failed" in message
    assert "Jacobian mismatch for output 0" in message
    (x,) = _pasted_args(message)
    assert x.numel() == 1 and x.item() < 0
    with pytest.raises(torch.autograd.GradcheckError):
        torch.autograd.gradcheck(SoftplusWrongForNegatives.apply, (x.double().requires_grad_(),))


def test_planted_second_order_bug_passes_first_order_and_fails_second_order():
    check_op(SoftplusDetachedBackward.apply, softplus_reference, order=1, settings=FIND)
    message = _failure(SoftplusDetachedBackward.apply, softplus_reference, order=2)
    assert "gradgradcheck (second order) failed" in message
    assert "the gradient of input 0" in message
    (x,) = _pasted_args(message)
    assert x.numel() == 1


def test_backward_nonlinear_in_grad_output_is_found_without_finite_differences():
    # One-hot grad_outputs (what a Jacobian is built from) cannot see g * g.
    message = _failure(SoftplusSquaredGrad.apply, softplus_reference, order=1, fast_mode=False)
    assert "backward linearity failed" in message
    assert "not linear in grad_output" in message


def test_check_backward_linearity_alone():
    x = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)
    check_backward_linearity(Softplus.apply, (x,))
    with pytest.raises(AssertionError, match="not linear in grad_output"):
        check_backward_linearity(SoftplusSquaredGrad.apply, (x,))


def test_check_adjoint_finds_a_backward_not_differentiable_in_grad_output():
    x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float32, requires_grad=True)
    check_adjoint(Softplus.apply, (x,))
    check_backward_linearity(SoftplusConstantInGrad.apply, (x,))  # its values are right
    with pytest.raises(AssertionError, match="not the adjoint of its own derivative"):
        check_adjoint(SoftplusConstantInGrad.apply, (x,))


def test_forward_mismatch_with_the_reference_is_reported_with_both_values():
    message = _failure(lambda x: x * 1.001, lambda x: x, order=0)
    assert "output 0 differs from the reference" in message
    assert "Greatest absolute difference" in message


def test_an_op_that_mutates_its_input_is_caught():
    def mutating(x):
        x.detach().mul_(0.5)  # shares memory with x
        return x * 2

    message = _failure(mutating, order=0, dtypes=(torch.float32,))
    assert "an input was modified" in message


def test_an_op_that_upcasts_float32_is_caught():
    message = _failure(lambda x: x.double() * 2, lambda x: x * 2, order=0)
    assert "dtype did not propagate" in message
    assert "inputs are eagertorch.float32 but output 0 is eagertorch.float64" in message


def test_an_op_that_drops_the_graph_is_caught():
    message = _failure(lambda x: x.detach() * 2, lambda x: x * 2, order=1)
    assert "requires_grad did not propagate" in message


def test_kinks_are_skipped_with_valid_not_reported():
    def relu_ref(x):
        return np.maximum(x, 0)

    message = _failure(torch.relu, relu_ref, order=1, elements=st.sampled_from([0.0, 1.0]))
    assert "gradcheck (first order) failed" in message
    check_op(torch.relu, relu_ref, valid=lambda x: bool(np.all(np.abs(x) > 1e-3)))


def test_arity_comes_from_the_signature_and_shapes_broadcast():
    seen = []

    def add(a, b):
        seen.append((tuple(a.shape), tuple(b.shape)))
        return a + b

    check_op(add, np.add, settings=FIND)
    assert all(len(pair) == 2 for pair in seen)
    assert any(a != b for a, b in seen)  # broadcasting came up


def test_inputs_include_strided_views_0d_and_empty_tensors():
    seen = []

    def probe(x):
        seen.append((x.is_contiguous(), x.dim(), x.numel()))
        return x * 3

    check_op(probe, lambda x: x * 3, settings=settings(FIND, max_examples=40))
    assert any(not contiguous for contiguous, _, _ in seen)
    assert any(ndim == 0 for _, ndim, _ in seen)
    assert any(numel == 0 for _, _, numel in seen)


def test_kwargs_can_depend_on_the_drawn_shapes():
    check_op(
        lambda x, dim, keepdim: x.sum(dim, keepdim=keepdim),
        lambda x, dim, keepdim: x.sum(axis=dim, keepdims=keepdim),
        shapes=shapes(1, 3).map(lambda s: (s,)),
        kwargs=lambda s: st.fixed_dictionaries({"dim": axes(len(s[0])), "keepdim": st.booleans()}),
    )


def test_output_picks_the_differentiable_part_of_a_tuple():
    check_op(
        lambda x: torch.max(x, 0),
        lambda x: x.max(0),
        shapes=st.tuples(st.integers(1, 4), st.integers(0, 3)).map(lambda s: (s,)),
        output=lambda out: out.values,
        valid=lambda x: x.size < 2 or np.diff(np.sort(x, axis=None)).min() > 1e-3,
    )


def test_fast_mode_finds_the_planted_bug_too():
    message = _failure(SoftplusWrongForNegatives.apply, softplus_reference, fast_mode=True)
    assert "Fast gradcheck failed for input 0" in message


@settings(max_examples=10, deadline=None)
@given(x=tensors(shape=shapes(0, 2), dtype=torch.float64, low=-4, high=4, layout="any"))
def test_check_op_at_works_inside_a_users_given(x):
    check_op_at(Softplus.apply, (x,), reference=softplus_reference)


def test_check_op_at_reports_the_failing_check():
    x = torch.tensor([-1.0, 2.0], dtype=torch.float64)
    with pytest.raises(AssertionError, match="gradcheck"):
        check_op_at(SoftplusWrongForNegatives.apply, (x,))
