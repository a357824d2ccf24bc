"""``F.linear`` and ``F.bilinear``: affine maps over the last dimension."""

from __future__ import annotations

from ..._tensor import Tensor
from ...ops.linalg import einsum
from ...ops.linear import linear

__all__ = ["bilinear", "linear"]


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y_k = x1 @ weight[k] @ x2 + bias_k`` over the last dimensions of both inputs."""
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(
            f"bilinear(): input batch dimensions do not match: got {tuple(input1.shape[:-1])} "
            f"and {tuple(input2.shape[:-1])}"
        )
    if (
        weight.ndim != 3
        or weight.shape[1] != input1.shape[-1]
        or weight.shape[2] != input2.shape[-1]
    ):
        raise RuntimeError(
            f"bilinear(): weight of shape {tuple(weight.shape)} does not match inputs with "
            f"{input1.shape[-1]} and {input2.shape[-1]} features"
        )
    out = einsum("...i,kij,...j->...k", input1, weight, input2)
    return out if bias is None else out + bias
