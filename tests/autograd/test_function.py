"""Custom ``autograd.Function``s: the same mechanism the built-in ops use."""

from __future__ import annotations

import numpy as np
import pytest

import eagertorch as torch
from eagertorch.autograd import (
    Function,
    GradcheckError,
    gradcheck,
    gradgradcheck,
    once_differentiable,
)
from eagertorch.testing import assert_close


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


class WrongCube(Cube):
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 2 * x * x  # planted error


def leaf(values):
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)


def test_custom_function_forward_receives_tensors_and_runs_without_recording():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            seen["type"] = type(x)
            seen["grad_enabled"] = torch.is_grad_enabled()
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    y = Probe.apply(leaf([1.0]))
    assert seen == {"type": torch.Tensor, "grad_enabled": False}
    assert type(y.grad_fn).__name__ == "ProbeBackward0"


def test_custom_function_gradient_and_double_backward():
    x = leaf([1.0, 2.0])
    assert gradcheck(Cube.apply, (x,))
    assert gradgradcheck(Cube.apply, (x,))


def test_gradcheck_reports_the_worst_element_of_a_planted_error():
    x = leaf([1.0, 2.0])
    with pytest.raises(GradcheckError, match=r"Worst at \(input element 1, output element 1\)"):
        gradcheck(WrongCube.apply, (x,))
    assert gradcheck(WrongCube.apply, (x,), raise_exception=False) is False


def test_needs_input_grad_reflects_each_argument():
    seen = {}

    class Scale(Function):
        @staticmethod
        def forward(ctx, x, w, k):
            seen["needs"] = ctx.needs_input_grad
            ctx.save_for_backward(x, w)
            ctx.k = k
            return x * w * k

        @staticmethod
        def backward(ctx, g):
            x, w = ctx.saved_tensors
            gx = g * w * ctx.k if ctx.needs_input_grad[0] else None
            gw = g * x * ctx.k if ctx.needs_input_grad[1] else None
            return gx, gw, None

    x, w = leaf([2.0]), torch.tensor([3.0], dtype=torch.float64)
    Scale.apply(x, w, 5.0).sum().backward()
    assert seen["needs"] == (True, False, False)
    assert_close(x.grad, [15.0])


def test_mark_non_differentiable_output_does_not_require_grad():
    class SortWithIndex(Function):
        @staticmethod
        def forward(ctx, x):
            idx = torch.from_numpy(np.argsort(x.detach().numpy()))
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return x * 1, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            return g

    y, idx = SortWithIndex.apply(leaf([3.0, 1.0]))
    assert y.requires_grad and not idx.requires_grad


def test_once_differentiable_backward_runs_without_recording():
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2 * x

    x = leaf([3.0])
    (g,) = torch.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
    assert_close(g, [6.0])
    assert not g.requires_grad


def test_setup_context_style_function():
    class Mul3(Function):
        @staticmethod
        def forward(x):
            return x * 3

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.factor = 3

        @staticmethod
        def backward(ctx, g):
            return g * ctx.factor

    x = leaf([1.0])
    Mul3.apply(x).sum().backward()
    assert_close(x.grad, [3.0])


def test_mark_dirty_in_place_function():
    class AddOneInPlace(Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    x = leaf([1.0])
    y = x * 2
    out = AddOneInPlace.apply(y)
    assert out is y and y._version == 1
    assert_close(y.detach(), [3.0])
    out.sum().backward()
    assert_close(x.grad, [2.0])


def test_saved_output_is_not_a_reference_cycle_and_is_differentiable():
    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    x = leaf([0.5])
    assert gradgradcheck(Exp.apply, (x,))


def test_backward_returning_wrong_number_of_gradients_raises():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="returned an incorrect number of gradients"):
        Bad.apply(leaf([1.0]), leaf([2.0])).sum().backward()


def test_backward_returning_wrong_shape_raises():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return torch.ones(5, dtype=torch.float64)

    with pytest.raises(RuntimeError, match=r"returned an invalid gradient at index 0 - got \[5\]"):
        Bad.apply(leaf([1.0, 2.0])).sum().backward()


def test_function_without_grad_returns_plain_tensor():
    y = Cube.apply(torch.tensor([2.0]))
    assert not y.requires_grad and y.grad_fn is None
    assert_close(y, [8.0])
