"""Every op in the table: forward against numpy, dtype/requires_grad propagation, no input
mutation, gradcheck, and gradgradcheck where supported."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import eagertorch as torch
from eagertorch.autograd import gradcheck, gradgradcheck
from eagertorch.testing import assert_close
from eagertorch.testing.strategies import arrays
from tests.ops.op_db import OPS


def _draw_case(spec, data):
    shapes = data.draw(spec.shape_strategy(), label="shapes")
    kwargs = data.draw(spec.kwargs(shapes), label="kwargs")
    xs = [
        data.draw(arrays(np.float64, s, spec.low, spec.high), label=f"x{i}")
        for i, s in enumerate(shapes)
    ]
    if spec.valid is not None:
        assume(spec.valid(*xs, **kwargs))
    return xs, kwargs


def _diff_args(spec) -> tuple:
    return spec.diff_args if spec.diff_args is not None else tuple(range(spec.nargs))


def _leaves(spec, xs, dtype, requires_grad=True):
    diff = _diff_args(spec)
    return [
        torch.tensor(x, dtype=dtype, requires_grad=requires_grad and spec.grad and i in diff)
        for i, x in enumerate(xs)
    ]


@pytest.mark.parametrize("spec", OPS, ids=repr)
@given(data=st.data())
def test_forward_matches_numpy_reference(spec, data):
    xs, kwargs = _draw_case(spec, data)
    expected = spec.ref(*[x.copy() for x in xs], **kwargs)
    out = spec.output(spec.op(*_leaves(spec, xs, torch.float64, False), **kwargs))
    assert_close(
        out, np.asarray(expected), rtol=spec.rtol, atol=spec.atol, equal_nan=True, check_dtype=False
    )


@pytest.mark.parametrize("spec", OPS, ids=repr)
@given(data=st.data())
def test_float32_stays_float32_and_inputs_are_not_mutated(spec, data):
    xs, kwargs = _draw_case(spec, data)
    inputs = _leaves(spec, xs, torch.float32)
    before = [t.detach().numpy().copy() for t in inputs]
    out = spec.output(spec.op(*inputs, **kwargs))
    for t, b in zip(inputs, before):
        np.testing.assert_array_equal(t.detach().numpy(), b)
    if out.is_floating_point():
        assert out.dtype == torch.float32
        expected = spec.ref(*[x.astype(np.float32).astype(np.float64) for x in xs], **kwargs)
        assert_close(
            out,
            np.asarray(expected),
            rtol=spec.f32_rtol,
            atol=spec.f32_atol,
            equal_nan=True,
            check_dtype=False,
        )
    assert out.requires_grad == (spec.grad and out.is_floating_point())
    if out.requires_grad:
        assert out.grad_fn is not None


@pytest.mark.parametrize("spec", [s for s in OPS if s.grad], ids=repr)
@given(data=st.data())
def test_gradcheck(spec, data):
    xs, kwargs = _draw_case(spec, data)
    inputs = _leaves(spec, xs, torch.float64)
    assert gradcheck(lambda *a: spec.output(spec.op(*a, **kwargs)), inputs)


@pytest.mark.parametrize("spec", [s for s in OPS if s.grad and s.gradgrad], ids=repr)
@settings(max_examples=8)
@given(data=st.data())
def test_gradgradcheck(spec, data):
    xs, kwargs = _draw_case(spec, data)
    inputs = _leaves(spec, xs, torch.float64)
    assert gradgradcheck(lambda *a: spec.output(spec.op(*a, **kwargs)), inputs)
