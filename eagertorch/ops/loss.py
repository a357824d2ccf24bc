"""Loss primitives: cross entropy on class indices (log_softmax and nll in one op), nll_loss,
and binary cross entropy on probabilities and on logits.

The other losses compose Tensor ops in ``nn.functional.loss``. Class weights are constants
(PyTorch does not differentiate them either). ``reduction`` is 0 (none), 1 (mean) or 2 (sum).
"""

from __future__ import annotations

import numpy as np

from .._backend.device import array_module
from .._tensor import Tensor, _make
from ..autograd.function import ArrayFunction
from .activation import LogSigmoid
from .reduction import softmax

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy_indices",
    "nll_loss",
]

NONE, MEAN, SUM = 0, 1, 2


# ----- class-index targets ------------------------------------------------------------------
def _class_targets(xp, t, n_classes: int, ignore_index: int, weight, dtype):
    """``(targets, per-element weights or None)``: ignored targets become class 0 with weight 0.

    Raises PyTorch's IndexError for a target outside ``[0, n_classes)`` that is not ignored.
    """
    # Negative int64 targets wrap to huge unsigned values: one max checks both ends.
    u = t if t.dtype == np.uint8 else t.view(np.uint64)
    if 0 <= ignore_index < n_classes or (u.size and xp.maximum.reduce(u, axis=None) >= n_classes):
        valid = t != ignore_index
        bad = valid & (u >= n_classes)
        if bad.any():
            raise IndexError(f"Target {int(t[bad].reshape(-1)[0])} is out of bounds.")
        if not valid.all():
            t = xp.where(valid, t, 0)
            w = valid.astype(dtype)
            return t, (w if weight is None else w * weight[t])
    return t, (None if weight is None else weight[t])


def _pick(xp, a, t):
    """``a[n, t[n, ...], ...]``: the entry of each row's target class (class dim 1)."""
    if a.ndim == 2:
        return a[xp.arange(a.shape[0]), t]
    return xp.take_along_axis(a, xp.expand_dims(t, 1), axis=1).squeeze(1)


def _onehot(xp, shape: tuple, t, dtype):
    """A float array of ``shape`` holding 1 at each row's target class."""
    if len(shape) == 2:
        out = xp.zeros(shape, dtype)
        out[xp.arange(shape[0]), t] = 1
        return out
    classes = xp.arange(shape[1]).reshape((1, -1) + (1,) * (len(shape) - 2))
    return (classes == xp.expand_dims(t, 1)).astype(dtype)


def _reduce(xp, loss, w, reduction: int):
    """Reduce per-element losses; also the scale each element's gradient gets (1/denominator)."""
    if reduction == NONE:
        return loss, 1.0
    total = xp.add.reduce(loss, axis=None)
    if reduction == SUM:
        return total, 1.0
    denom = loss.size if w is None else xp.add.reduce(w, axis=None)
    # PyTorch gives nan for an empty batch or zero total weight; so does 0 / 0 here.
    return total / denom, (1.0 / denom if denom else 0.0)


def _per_element(g: Tensor) -> Tensor:
    """The incoming gradient shaped to broadcast against the (N, C, ...) input."""
    return g if g.ndim == 0 else g.unsqueeze(1)


class CrossEntropyLoss(ArrayFunction):
    """``-log_softmax(x, 1)[target]`` (weighted, reduced) as one op; the hot path of training.

    When a gradient is wanted, forward also turns its softmax into the gradient for g = 1,
    ``(softmax - onehot) * weight * scale``, in place: backward is then a single multiply.
    """

    @staticmethod
    def forward(ctx, x, t, weight, ignore_index, reduction):
        xp = array_module(x)
        t, w = _class_targets(xp, t, x.shape[1], ignore_index, weight, x.dtype)
        z = x - xp.maximum.reduce(x, axis=1, keepdims=True)
        e = xp.exp(z)
        s = xp.add.reduce(e, axis=1, keepdims=True)
        loss = xp.log(s.squeeze(1))
        loss -= _pick(xp, z, t)
        if w is not None:
            loss *= w
        out, scale = _reduce(xp, loss, w, reduction)
        if ctx.needs_input_grad:
            coef = scale if w is None else xp.expand_dims(w * scale, 1)
            e *= coef / s  # softmax, times the weight and scale
            if e.ndim == 2:
                e[xp.arange(e.shape[0]), t] -= coef if w is None else coef.squeeze(1)
            else:
                e -= _onehot(xp, e.shape, t, e.dtype) * coef
            ctx.save_for_backward(x)
            ctx.cache = (e, t, w, scale)
        return out

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return CrossEntropyLossBackward.apply(g, x, ctx.cache), None, None, None, None


class CrossEntropyLossBackward(ArrayFunction):
    """``(softmax(x) - onehot(target)) * weight * scale * g``; differentiable in g and x."""

    @staticmethod
    def forward(ctx, g, x, cache):
        ctx.save_for_backward(g, x)
        ctx.cache = cache
        return cache[0] * (g if g.ndim == 0 else array_module(g).expand_dims(g, 1))

    @staticmethod
    def backward(ctx, gg):
        g, x = ctx.saved_tensors
        _, t, w, scale = ctx.cache
        xp = array_module(x._data)
        need_g, need_x = ctx.needs_input_grad[:2]
        p = softmax(x, 1)
        coef = scale if w is None else _make(xp.expand_dims(w * scale, 1))
        d_g = d_x = None
        if need_g:
            onehot = _make(_onehot(xp, x.shape, t, x._data.dtype))
            d_g = ((p - onehot) * gg * coef).sum(1)
        if need_x:
            d_x = _per_element(g) * coef * p * (gg - (gg * p).sum(1, keepdim=True))
        return d_g, d_x, None


def cross_entropy_indices(
    input: Tensor, target: Tensor, weight=None, ignore_index: int = -100, reduction: int = MEAN
) -> Tensor:
    """Cross entropy of logits ``input`` (N, C, ...) against class indices ``target`` (N, ...)."""
    return CrossEntropyLoss.apply(input, target, weight, ignore_index, reduction)


class NllLoss(ArrayFunction):
    @staticmethod
    def forward(ctx, x, t, weight, ignore_index, reduction):
        xp = array_module(x)
        t, w = _class_targets(xp, t, x.shape[1], ignore_index, weight, x.dtype)
        loss = -_pick(xp, x, t)
        if w is not None:
            loss *= w
        out, scale = _reduce(xp, loss, w, reduction)
        ctx.cache = (x.shape, x.dtype, t, w, scale)
        return out

    @staticmethod
    def backward(ctx, g):
        shape, dtype, t, w, scale = ctx.cache
        xp = array_module(t)
        coef = -scale if w is None else xp.expand_dims(w * -scale, 1).astype(dtype, copy=False)
        # Linear in the input: the gradient is g times a constant, so it is differentiable in g.
        dense = _make(_onehot(xp, shape, t, dtype) * coef)
        return _per_element(g) * dense, None, None, None, None


def nll_loss(
    input: Tensor, target: Tensor, weight=None, ignore_index: int = -100, reduction: int = MEAN
) -> Tensor:
    """``-input[n, target[n]]`` (weighted, reduced) for log-probabilities (N, C, ...)."""
    return NllLoss.apply(input, target, weight, ignore_index, reduction)


# ----- binary cross entropy -------------------------------------------------------------------
class BinaryCrossEntropy(ArrayFunction):
    @staticmethod
    def forward(ctx, x, t):
        xp = array_module(x)
        # Logs clamped at -100 as PyTorch does, so 0 * log(0) never makes a nan.
        log_x = xp.maximum(xp.log(x), -100)
        log_1mx = xp.maximum(xp.log1p(-x), -100)
        ctx.save_for_backward(x, t)
        return -(log_1mx + t * (log_x - log_1mx))

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        need_x, need_t = ctx.needs_input_grad
        gx = g * (x - t) / ((1 - x) * x).clamp(min=1e-12) if need_x else None
        gt = g * ((-x).log1p().clamp(min=-100) - x.log().clamp(min=-100)) if need_t else None
        return gx, gt


def binary_cross_entropy(input: Tensor, target: Tensor) -> Tensor:
    """Elementwise ``-(t log x + (1 - t) log(1 - x))`` with logs clamped at -100."""
    return BinaryCrossEntropy.apply(input, target)


class BinaryCrossEntropyWithLogits(ArrayFunction):
    @staticmethod
    def forward(ctx, x, t, pos_weight):
        xp = array_module(x)
        # softplus(-x) = -log(sigmoid(x)), written so that exp never overflows.
        sp = xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))
        if pos_weight is not None:
            sp *= (pos_weight - 1) * t + 1
        ctx.save_for_backward(x, t, pos_weight)
        return (1 - t) * x + sp

    @staticmethod
    def backward(ctx, g):
        x, t, pw = ctx.saved_tensors
        need_x, need_t, need_pw = ctx.needs_input_grad
        gx = gt = gpw = None
        if pw is None:
            if need_x:
                gx = g * (x.sigmoid() - t)
            if need_t:
                gt = -g * x
            return gx, gt, None
        sp = -LogSigmoid.apply(x) if (need_t or need_pw) else None
        if need_x:
            gx = g * ((1 - t) - ((pw - 1) * t + 1) * (-x).sigmoid())
        if need_t:
            gt = g * ((pw - 1) * sp - x)
        if need_pw:
            gpw = g * t * sp
        return gx, gt, gpw


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, pos_weight=None) -> Tensor:
    """Elementwise binary cross entropy of ``sigmoid(input)``, stable for any logit."""
    return BinaryCrossEntropyWithLogits.apply(input, target, pos_weight)
