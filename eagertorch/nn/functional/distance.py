"""nn.functional: distances between batches of vectors (``cosine_similarity``,
``pairwise_distance``), composed of differentiable Tensor ops."""

from __future__ import annotations

from ..._backend.dtype import result_type, scalar_name
from ..._tensor import Tensor, _wrap_dim
from ...ops.elementwise import where
from ...ops.shape import broadcast_tensors

__all__ = ["cosine_similarity", "pairwise_distance"]


def _clamped_norm(x: Tensor, dim: int, eps: float) -> Tensor:
    """``max(||x||, eps)`` with the gradient of ``||x||``: PyTorch clamps the norm in place
    under no_grad, so its backward ignores the clamp. Kept, for the same gradients."""
    norm = x.norm(2, dim, keepdim=True)
    held = norm.detach()
    return where(held < eps, norm + (eps - held), norm)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between ``x1`` and ``x2`` (broadcast) along ``dim``.

    Each side is divided by its own norm, clamped below at ``eps`` (as PyTorch, so the
    result stays in [-1, 1] and large norms do not overflow), and the products summed.
    """
    common = result_type(x1._data, x2._data)
    if common.kind != "f":
        raise RuntimeError(
            f"expected common dtype to be floating point, yet common dtype is {scalar_name(common)}"
        )
    if x1._data.dtype.kind != "f":
        x1 = x1.to(x2.dtype)
    elif x2._data.dtype.kind != "f":
        x2 = x2.to(x1.dtype)
    x1, x2 = broadcast_tensors(x1, x2)
    dim = _wrap_dim(dim, x1.ndim)
    return ((x1 / _clamped_norm(x1, dim, eps)) * (x2 / _clamped_norm(x2, dim, eps))).sum(dim)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """The ``p``-norm of ``x1 - x2 + eps`` over the last dim of the broadcast shape (``eps``
    keeps the norm differentiable where the two are equal)."""
    return (x1 - x2 + eps).norm(p, max(x1.ndim, x2.ndim) - 1, keepdim=keepdim)
