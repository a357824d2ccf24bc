"""The fused affine map behind ``F.linear``: ``input @ weight.T + bias`` as one node.

One node instead of Transpose + Addmm: the weight gradient comes out as ``g.T @ x``, a
fresh contiguous array the engine can hand to ``weight.grad`` without a copy.
"""

from __future__ import annotations

import numpy as np

from .._backend.device import array_module
from .._tensor import Tensor
from ..autograd.function import ArrayFunction
from .linalg import matmul

__all__: list[str] = []


class Linear(ArrayFunction):
    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        flat = x.ndim == 2  # the usual case, tested inline: a call costs more than the check
        out = (x if flat else _rows(x)) @ weight.T
        if bias is not None:
            out += bias
        return out if flat else out.reshape(*x.shape[:-1], weight.shape[0])

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        return LinearBackward.apply(g, x, weight, ctx.needs_input_grad)


def _rows(a):
    """``a`` as a matrix: leading dims flattened into rows."""
    return a if a.ndim == 2 else a.reshape(-1, a.shape[-1])


class LinearBackward(ArrayFunction):
    """Linear's gradients ``(g @ weight, g.T @ x, g.sum(0))`` as one op; None where not wanted.

    One node rather than three matmul/sum ops and a transpose: on small layers the per-op
    cost is most of the backward. It is linear in each input, so its own backward (double
    backward) is three products again.
    """

    @staticmethod
    def forward(ctx, g, x, weight, need):
        ctx.save_for_backward(g, x, weight)
        flat = g.ndim == 2
        g2 = g if flat else _rows(g)
        # add.reduce, not g2.sum: numpy's ndarray.sum goes through a Python function first
        xp = np if type(g) is np.ndarray else array_module(g)
        return (
            g @ weight if need[0] else None,
            g2.T @ (x if flat else _rows(x)) if need[1] else None,
            xp.add.reduce(g2, 0) if need[2] else None,
        )

    @staticmethod
    def backward(ctx, ggx, ggw, ggb):
        g, x, weight = ctx.saved_tensors
        need_g, need_x, need_w = ctx.needs_input_grad[:3]
        g2 = g.reshape(-1, g.shape[-1])
        dg = dx = dw = None
        if need_g:
            terms = []
            if ggx is not None:
                terms.append(matmul(ggx, weight.t()))
            if ggw is not None:
                terms.append(matmul(x, ggw.t()))
            if ggb is not None:
                terms.append(ggb.expand(g.shape))
            dg = sum(terms[1:], terms[0])
        if need_x and ggw is not None:
            dx = matmul(g2, ggw).reshape(x.shape)
        if need_w and ggx is not None:
            dw = matmul(g2.t(), ggx.reshape(-1, ggx.shape[-1]))
        return dg, dx, dw, None


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` over the last dimension, checked like PyTorch's."""
    x, w = input._data, weight._data
    shape, w_shape = x.shape, w.shape
    if len(w_shape) != 2 or not shape or shape[-1] != w_shape[1]:
        rows = x.size // shape[-1] if shape and shape[-1] else (shape[0] if shape else 1)
        a = f"{rows}x{shape[-1]}" if shape else "1x1"
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({a} and "
            f"{'x'.join(str(s) for s in w_shape[::-1])})"
        )
    dtype = x.dtype
    # ``is`` first: numpy's built-in dtypes are singletons, and == costs several times more
    if (w.dtype is not dtype and w.dtype != dtype) or (
        bias is not None and bias._data.dtype is not dtype and bias._data.dtype != dtype
    ):
        names = [str(t.dtype) for t in (input, weight, bias) if t is not None]
        raise RuntimeError(f"linear(): expected all inputs to have the same dtype, got {names}")
    return Linear.apply(input, weight, bias)
