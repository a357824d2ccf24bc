"""Custom Functions with correct and deliberately wrong backwards, for the toolkit's tests.

A numerically stable softplus, ``log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|))``, whose
derivative is ``sigmoid(x)``, in several variants each carrying one planted bug.
"""

from __future__ import annotations

import numpy as np

import eagertorch as torch
from eagertorch.autograd import Function


def softplus_reference(x):
    return np.logaddexp(0.0, x)


class Softplus(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.clamp(x, min=0) + torch.log1p(torch.exp(-x.abs()))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * torch.sigmoid(x)


class SoftplusWrongForNegatives(Softplus):
    """First-order bug: sigmoid(|x|) is only right for x >= 0."""

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * torch.sigmoid(x.abs())


class SoftplusDetachedBackward(Softplus):
    """Second-order bug: right values, but the backward is built from a detached input,
    so double backward sees a constant."""

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * torch.sigmoid(x.detach())


class SoftplusSquaredGrad(Softplus):
    """Backward not linear in grad_output: right for one-hot grad_outputs only."""

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * grad * torch.sigmoid(x)


class SoftplusConstantInGrad(Softplus):
    """Right J^T v, but computed from a detached grad_output: the derivative of the
    backward with respect to grad_output (what double backward needs) is lost."""

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad.detach() * torch.sigmoid(x)


class ScaleWrongWeightGrad(Function):
    """``x * w`` whose gradient for ``w`` is twice what it should be."""

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x * w

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        return grad * w, (2 * grad * x).sum(0)


class ScaleDetachedInputGrad(Function):
    """``x * w * w`` with a right first-order gradient for ``x`` whose backward detaches
    ``w``: second order (d/dw of the x-gradient) is lost."""

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x * w * w

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        wd = w.detach()
        return grad * wd * wd, (2 * grad * x * w).sum(0)
