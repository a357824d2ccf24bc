"""The fused affine map behind ``F.linear``: ``input @ weight.T + bias`` as one node.

One node instead of Transpose + Addmm: the weight gradient comes out as ``g.T @ x``, a
fresh contiguous array the engine can hand to ``weight.grad`` without a copy.
"""

from __future__ import annotations

from .._tensor import Tensor
from ..autograd.function import ArrayFunction
from .linalg import matmul

__all__: list[str] = []


class Linear(ArrayFunction):
    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        flat = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
        out = flat @ weight.T
        if bias is not None:
            out += bias
        return out if x.ndim == 2 else out.reshape(*x.shape[:-1], weight.shape[0])

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
        gx = matmul(g, weight) if need_x else None
        gw = matmul(g2.t(), x if x.ndim == 2 else x.reshape(-1, x.shape[-1])) if need_w else None
        gb = g2.sum(0) if need_b else None
        return gx, gw, gb


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` over the last dimension, checked like PyTorch's."""
    x, w = input._data, weight._data
    if w.ndim != 2 or x.ndim == 0 or x.shape[-1] != w.shape[1]:
        rows = x.size // x.shape[-1] if x.ndim and x.shape[-1] else (x.shape[0] if x.ndim else 1)
        a = f"{rows}x{x.shape[-1]}" if x.ndim else "1x1"
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({a} and "
            f"{'x'.join(str(s) for s in w.shape[::-1])})"
        )
    if x.dtype != w.dtype or (bias is not None and bias._data.dtype != x.dtype):
        names = [str(t.dtype) for t in (input, weight, bias) if t is not None]
        raise RuntimeError(f"linear(): expected all inputs to have the same dtype, got {names}")
    return Linear.apply(input, weight, bias)
