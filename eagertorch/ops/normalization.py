"""Normalization primitives: batch norm, layer norm and group norm, one op each.

Each op views its input as ``(B, R, L)`` and normalises every row ``r`` over ``B`` and
``L`` (batch norm: ``(N, C, spatial)``; layer norm: ``(1, batch, normalized)``; group
norm: ``(1, N * groups, channels_per_group * spatial)``). Forward works on arrays: the
statistics, ``xhat`` and the affine map in one pass (batch norm also moves the running
statistics, in place). Sums over ``L`` are matrix-vector products: BLAS does them 2-3x
faster than ``add.reduce`` over a strided axis. Backward is the closed form, written with
Tensor ops::

    dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),   dxhat = g * weight
    dweight = sum(g * xhat),   dbias = sum(g)

When backward runs with ``create_graph`` (grad mode on), ``xhat`` and ``rstd`` are rebuilt
from the input with Tensor ops, so the gradient is itself differentiable (double backward);
otherwise the arrays forward saved are used as constants, which costs nothing extra.

These ops are reached through ``nn.functional`` (``F.batch_norm``, ``F.layer_norm``,
``F.group_norm``), which checks the arguments; none is a top-level function.
"""

from __future__ import annotations

from .._backend.device import array_module
from .._tensor import Tensor, _make
from ..autograd.function import ArrayFunction
from ..autograd.grad_mode import state

__all__: list[str] = []


# ----- forward helpers (arrays) ------------------------------------------------------------
def _row_sums(a3):
    """``(B, R, L)`` -> ``(R,)``: the sum over B and L, as matrix-vector products."""
    s = a3 @ array_module(a3).ones(a3.shape[2], a3.dtype)
    return s[0] if s.shape[0] == 1 else s.sum(0)


def _row_sumsq(a3):
    """``(B, R, L)`` -> ``(R,)``: the sum of squares over B and L, as batched dot products."""
    s = (a3[:, :, None, :] @ a3[:, :, :, None]).reshape(a3.shape[:2])
    return s[0] if s.shape[0] == 1 else s.sum(0)


def _stats(x3, eps: float):
    """Centred input ``xc`` (a new array), the row means, biased variances and 1/std."""
    n = x3.shape[0] * x3.shape[2]
    mean = _row_sums(x3) / n
    xc = x3 - mean[:, None]
    var = _row_sumsq(xc) / n
    rstd = 1 / array_module(x3).sqrt(var + eps)
    return xc, mean, var, rstd


# ----- backward helpers (Tensors, differentiable) -------------------------------------------
def _t_row_sums(a3: Tensor) -> Tensor:
    d = a3._data
    s = a3 @ _make(array_module(d).ones(d.shape[2], d.dtype))
    return s.reshape(d.shape[1]) if d.shape[0] == 1 else s.sum(0)


def _t_row_dots(a3: Tensor, b3: Tensor) -> Tensor:
    b, r = a3._data.shape[:2]
    s = (a3.unsqueeze(2) @ b3.unsqueeze(3)).reshape(b, r)
    return s.reshape(r) if b == 1 else s.sum(0)


def _rebuilt(x3: Tensor, eps: float) -> tuple:
    """``xhat`` and ``rstd`` (shape (R,)) recomputed from ``x3`` with Tensor ops."""
    mean = x3.mean((0, 2), keepdim=True)
    xc = x3 - mean
    rstd = ((xc * xc).mean((0, 2), keepdim=True) + eps).rsqrt()
    return xc * rstd, rstd.reshape(x3._data.shape[1])


def _dx(gxhat3: Tensor, xhat3: Tensor, scale: Tensor, n: int, sum_g=None, sum_gx=None):
    """``scale * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat))`` per row (scale: (R,))."""
    if sum_g is None:
        sum_g = _t_row_sums(gxhat3)
    if sum_gx is None:
        sum_gx = _t_row_dots(gxhat3, xhat3)
    centred = gxhat3 - (xhat3 * (sum_gx / n).unsqueeze(1) + (sum_g / n).unsqueeze(1))
    return scale.unsqueeze(1) * centred


def _backward_inputs(ctx, x: Tensor, xhat3: Tensor, rstd: Tensor, shape3: tuple):
    """The saved ``xhat``/``rstd``, or with create_graph their differentiable rebuild."""
    if state.enabled:
        return _rebuilt(x.reshape(shape3), ctx.eps)
    return xhat3, rstd


# ----- the ops --------------------------------------------------------------------------------
class NativeBatchNorm(ArrayFunction):
    """Batch norm with batch statistics (training mode): rows are the channels (dim 1).

    ``running_mean``/``running_var`` (arrays or None) move towards the batch statistics
    by ``momentum``, in place; the running variance takes the unbiased batch variance.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, momentum, eps):
        c = x.shape[1]
        x3 = x.reshape(x.shape[0], c, -1)
        xc, mean, var, rstd = _stats(x3, eps)
        n = x3.shape[0] * x3.shape[2]
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mean
        if running_var is not None:
            running_var *= 1 - momentum
            running_var += (momentum * n / max(n - 1, 1)) * var
        if ctx.needs_input_grad:
            xc *= rstd[:, None]  # now xhat, saved; the output is a new array
            ctx.eps = eps
            ctx.save_for_backward(x, weight, xc, rstd)
            y = xc * weight[:, None] if weight is not None else xc.copy()
        else:  # nothing to save: scale the centred input in place
            xc *= (rstd if weight is None else rstd * weight)[:, None]
            y = xc
        if bias is not None:
            y += bias[:, None]
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        x, weight, xhat3, rstd = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        shape3 = xhat3.shape
        xhat3, rstd = _backward_inputs(ctx, x, xhat3, rstd, shape3)
        g3 = g.reshape(shape3)
        sum_g = _t_row_sums(g3) if need_x or need_b else None
        sum_gx = _t_row_dots(g3, xhat3) if need_x or need_w else None
        gx = None
        if need_x:
            # weight is per row, so it factors out of the closed form.
            scale = rstd if weight is None else rstd * weight
            n = shape3[0] * shape3[2]
            gx = _dx(g3, xhat3, scale, n, sum_g, sum_gx).reshape(x.shape)
        return gx, sum_gx if need_w else None, sum_g if need_b else None, None, None, None, None


class NativeLayerNorm(ArrayFunction):
    """Layer norm over the last ``ndim_norm`` dims, with an elementwise affine of that shape."""

    @staticmethod
    def forward(ctx, x, weight, bias, ndim_norm, eps):
        norm_shape = x.shape[x.ndim - ndim_norm :]
        n = _prod(norm_shape)
        x3 = x.reshape(1, _prod(x.shape[: x.ndim - ndim_norm]), n)
        xc, _, _, rstd = _stats(x3, eps)
        xc *= rstd[:, None]
        if ctx.needs_input_grad:
            ctx.eps = eps
            ctx.norm_shape = norm_shape
            ctx.save_for_backward(x, weight, xc, rstd)
            y = xc * weight.reshape(n) if weight is not None else xc.copy()
        else:
            y = xc
            if weight is not None:
                y *= weight.reshape(n)
        if bias is not None:
            y += bias.reshape(n)
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        x, weight, xhat3, rstd = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        shape3 = xhat3.shape
        xhat3, rstd = _backward_inputs(ctx, x, xhat3, rstd, shape3)
        g3 = g.reshape(shape3)
        gx = gw = gb = None
        if need_x:
            gxhat3 = g3 if weight is None else g3 * weight.reshape(shape3[2])
            gx = _dx(gxhat3, xhat3, rstd, shape3[2]).reshape(x.shape)
        if need_w:
            gw = (g3 * xhat3).sum((0, 1)).reshape(ctx.norm_shape)
        if need_b:
            gb = g3.sum((0, 1)).reshape(ctx.norm_shape)
        return gx, gw, gb, None, None


class NativeGroupNorm(ArrayFunction):
    """Group norm: statistics per (sample, group of channels), a per-channel affine."""

    @staticmethod
    def forward(ctx, x, weight, bias, num_groups, eps):
        n_, c = x.shape[:2]
        spatial = _prod(x.shape[2:])
        x3 = x.reshape(1, n_ * num_groups, (c // num_groups) * spatial)
        xc, _, _, rstd = _stats(x3, eps)
        xc *= rstd[:, None]
        xhat = xc.reshape(n_, c, spatial)  # channels as rows, for the affine
        if ctx.needs_input_grad:
            ctx.eps = eps
            ctx.by_channel = (n_, c, spatial)
            ctx.save_for_backward(x, weight, xc, rstd)
            y = xhat * weight[:, None] if weight is not None else xhat.copy()
        else:
            y = xhat
            if weight is not None:
                y *= weight[:, None]
        if bias is not None:
            y += bias[:, None]
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        x, weight, xhat3, rstd = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        shape3 = xhat3.shape
        xhat3, rstd = _backward_inputs(ctx, x, xhat3, rstd, shape3)
        by_channel = ctx.by_channel
        gc = g.reshape(by_channel)
        gx = gw = gb = None
        if need_x:
            gxhat = gc if weight is None else gc * weight.unsqueeze(1)
            gx = _dx(gxhat.reshape(shape3), xhat3, rstd, shape3[2]).reshape(x.shape)
        if need_w:
            gw = _t_row_dots(gc, xhat3.reshape(by_channel))
        if need_b:
            gb = _t_row_sums(gc)
        return gx, gw, gb, None, None


def _prod(dims) -> int:
    n = 1
    for d in dims:
        n *= d
    return n
