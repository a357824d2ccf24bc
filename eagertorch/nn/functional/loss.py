"""nn.functional losses: ``cross_entropy``, ``mse_loss``, ``binary_cross_entropy``, ...

Cross entropy on class indices, nll and the binary cross entropies are primitives in
``ops.loss``; the rest compose Tensor ops. ``reduction`` is 'none', 'mean' or 'sum'; the
legacy ``size_average``/``reduce`` arguments map to it as PyTorch maps them (with its
deprecation warning).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..._backend.device import array_module
from ..._backend.dtype import scalar_name
from ..._tensor import Tensor, _make
from ...autograd.grad_mode import no_grad
from ...ops import loss as _loss
from ...ops.activation import logsigmoid
from ...ops.elementwise import minimum, where
from ...ops.reduction import log_softmax
from .distance import pairwise_distance

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cosine_embedding_loss",
    "cross_entropy",
    "gaussian_nll_loss",
    "hinge_embedding_loss",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "margin_ranking_loss",
    "mse_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "nll_loss",
    "poisson_nll_loss",
    "smooth_l1_loss",
    "soft_margin_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
]

_CODES = {"none": _loss.NONE, "mean": _loss.MEAN, "sum": _loss.SUM}


class _Reduction:
    """PyTorch's ``torch.nn._reduction``: reduction names, codes and the legacy arguments."""

    @staticmethod
    def get_enum(reduction: str) -> int:
        code = _CODES.get(reduction)
        if code is not None:
            return code
        if reduction == "elementwise_mean":
            warnings.warn(
                "reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
                stacklevel=3,
            )
            return _loss.MEAN
        raise ValueError(f"{reduction} is not a valid value for reduction")

    @staticmethod
    def legacy_get_string(size_average, reduce, emit_warning: bool = True) -> str:
        """``size_average``/``reduce`` (None means True) as a ``reduction`` name."""
        if size_average is None:
            size_average = True
        if reduce is None:
            reduce = True
        if size_average and reduce:
            ret = "mean"
        elif reduce:
            ret = "sum"
        else:
            ret = "none"
        if emit_warning:
            warnings.warn(
                "size_average and reduce args will be deprecated, please use "
                f"reduction='{ret}' instead.",
                stacklevel=3,
            )
        return ret

    @staticmethod
    def legacy_get_enum(size_average, reduce, emit_warning: bool = True) -> int:
        return _Reduction.get_enum(_Reduction.legacy_get_string(size_average, reduce, emit_warning))


def _code(size_average, reduce, reduction: str) -> int:
    if size_average is not None or reduce is not None:
        reduction = _Reduction.legacy_get_string(size_average, reduce)
    code = _CODES.get(reduction)
    return _Reduction.get_enum(reduction) if code is None else code


def _reduced(loss: Tensor, code: int) -> Tensor:
    if code == _loss.MEAN:
        return loss.mean()
    if code == _loss.SUM:
        return loss.sum()
    return loss


def _warn_size(input: Tensor, target: Tensor) -> None:
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.size()}) that is different to the input size "
            f"({input.size()}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            stacklevel=3,
        )


def _floating(input: Tensor, kernel: str) -> None:
    if input._data.dtype.kind != "f":
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for '{scalar_name(input._data.dtype)}'"
        )


def _weighted(loss: Tensor, weight, code: int, input: Tensor) -> Tensor:
    """The elementwise-weighted mean/sum of ``mse_loss`` and ``l1_loss`` (weights sum to 1)."""
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if code == _loss.MEAN:
        return loss.sum() / weight.sum()
    return _reduced(loss, code)


# ----- regression -------------------------------------------------------------------------------
def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean squared error; a target of another shape broadcasts, with PyTorch's warning."""
    _warn_size(input, target)
    code = _code(size_average, reduce, reduction)
    _floating(input, "mse_cpu")
    d = input - target
    loss = d * d
    if weight is not None:
        return _weighted(loss, weight, code, input)
    return _reduced(loss, code)


def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean absolute error."""
    _warn_size(input, target)
    code = _code(size_average, reduce, reduction)
    loss = (input - target).abs()
    if weight is not None:
        return _weighted(loss, weight, code, input)
    return _reduced(loss, code)


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """Squared error ``0.5 d^2 / beta`` below ``beta``, absolute error ``|d| - beta/2`` above."""
    _warn_size(input, target)
    code = _code(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = input - target
    ad = d.abs()
    if beta == 0:
        return _reduced(ad, code)
    return _reduced(where(ad < beta, d * d * (0.5 / beta), ad - 0.5 * beta), code)


def huber_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    """``0.5 d^2`` below ``delta``, ``delta * (|d| - delta/2)`` above (smooth_l1 times delta)."""
    _warn_size(input, target)
    code = _Reduction.get_enum(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    d = input - target
    ad = d.abs()
    loss = where(ad < delta, d * d * 0.5, (ad - 0.5 * delta) * delta)
    if weight is not None:
        if weight.shape != input.shape:
            raise ValueError("Weights and input must have the same size.")
        loss = loss * weight
    return _reduced(loss, code)


def gaussian_nll_loss(
    input: Tensor,
    target: Tensor,
    var,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of ``target`` under N(input, var); ``var`` clamped at ``eps``."""
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = input.new_full(input.shape, float(var))
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (
            input.ndim == var.ndim and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1
        ):
            raise ValueError("var is of incorrect size")
    if reduction not in _CODES:
        raise ValueError(reduction + " is not valid")
    # The clamp is invisible to autograd, as in PyTorch: the gradient reaches var unchanged.
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    d = input - target
    loss = (var.log() + d * d / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduced(loss, _CODES[reduction])


def poisson_nll_loss(
    input: Tensor,
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average=None,
    eps: float = 1e-8,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of ``target`` counts under Poisson(rate = input or exp(input))."""
    if size_average is not None or reduce is not None:
        reduction = _Reduction.legacy_get_string(size_average, reduce)
    if reduction not in _CODES:
        raise ValueError(reduction + " is not a valid value for reduction")
    rate_term = input.exp() if log_input else input
    log_rate = input if log_input else (input + eps).log()
    loss = rate_term - target * log_rate
    if full:
        # Stirling's approximation of log(target!), counted only for targets above 1.
        big = target > 1
        t = where(big, target, 1.0)
        stirling = t * t.log() - t + (t * (2 * math.pi)).log() * 0.5
        loss = loss + where(big, stirling, 0.0)
    return _reduced(loss, _CODES[reduction])


# ----- classification: class indices or probabilities --------------------------------------------
def _check_weight(weight, input: Tensor, n_classes: int, prefix: str = ""):
    """The class weights as an array of the input's dtype, checked against ``n_classes``."""
    if weight is None:
        return None
    if weight.ndim != 1 or weight.shape[0] != n_classes:
        raise RuntimeError(
            f"{prefix}weight tensor should be defined either for all {n_classes} classes or no "
            f"classes but got weight tensor of shape: {list(weight.shape)}"
        )
    if weight._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"expected scalar type {scalar_name(input._data.dtype)} but found "
            f"{scalar_name(weight._data.dtype)}"
        )
    return weight._data


def _class_target_shapes(input: Tensor, target: Tensor) -> tuple:
    """Check (N, C, d...) input against (N, d...) class indices; returns both, batched."""
    ndim = input.ndim
    if ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {ndim})")
    if ndim == 1:
        if target.ndim == 1:
            if target.shape[0] != 1:
                raise ValueError(
                    "For 1D input, 1D target must have size 1, but got target size: "
                    f"{target.shape[0]}"
                )
            target = target.reshape(())
        elif target.ndim != 0:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        return input.unsqueeze(0), target.unsqueeze(0)
    if target.ndim == 0 or input.shape[0] != target.shape[0]:
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
            f"({target.shape[0] if target.ndim else 0})."
        )
    if ndim == 2:
        if target.ndim != 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    elif ndim == 4:
        if target.ndim != 3:
            raise RuntimeError(
                "only batches of spatial targets supported (3D tensors) but got targets of "
                f"dimension: {target.ndim}"
            )
        if target.shape[1:] != input.shape[2:]:
            raise RuntimeError(
                f"size mismatch (got input: {list(input.shape)} , target: {list(target.shape)}"
            )
    elif tuple(target.shape) != (input.shape[0], *input.shape[2:]):
        raise RuntimeError(
            f"Expected target size {[input.shape[0], *input.shape[2:]]}, got {list(target.shape)}"
        )
    return input, target


def _check_index_dtype(target: Tensor) -> None:
    dt = target._data.dtype
    if dt != np.int64 and dt != np.uint8:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {scalar_name(dt)}")


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of class indices ``target`` under log-probabilities ``input``.

    ``input`` is (C,), (N, C) or (N, C, d1, ...); ``target`` (N, d1, ...) of int64. With
    ``weight`` the mean divides by the total weight of the counted targets; targets equal to
    ``ignore_index`` count nothing.
    """
    code = _code(size_average, reduce, reduction)
    unbatched = input.ndim == 1
    x, t = _class_target_shapes(input, target)
    _check_index_dtype(t)
    w = _check_weight(weight, x, x.shape[1])
    out = _loss.nll_loss(x, t, w, ignore_index, code)
    return out.reshape(()) if unbatched and code == _loss.NONE else out


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross entropy of logits ``input`` against class indices or class probabilities.

    ``input`` is (C,), (N, C) or (N, C, d1, ...). ``target`` is either int64 class indices of
    shape (N, d1, ...) (``weight``, ``ignore_index``, ``label_smoothing`` as in PyTorch: the
    weighted mean divides by the summed weights of the counted targets) or probabilities of
    the input's shape. Stable for logits of any size: log_softmax never exponentiates a
    positive number. Class indices without label smoothing run as one fused op.
    """
    x, t = input._data, target._data
    if (  # the training hot path: (N, C) logits, int64 labels, nothing else
        x.ndim == 2
        and t.ndim == 1
        and x.shape[0] == t.shape[0]
        and t.dtype == np.int64
        and x.dtype.kind == "f"
        and weight is None
        and label_smoothing <= 0.0
        and size_average is None
        and reduce is None
        and reduction in _CODES
    ):
        return _loss.cross_entropy_indices(input, target, None, ignore_index, _CODES[reduction])
    code = _code(size_average, reduce, reduction)
    if x.shape == t.shape:
        return _cross_entropy_probs(input, target, weight, ignore_index, code, label_smoothing)
    _floating(input, "log_softmax_lastdim_kernel_impl")
    unbatched = input.ndim == 1
    x, t = _class_target_shapes(input, target)
    _check_index_dtype(t)
    w = _check_weight(weight, x, x.shape[1])
    if label_smoothing > 0.0:
        out = _cross_entropy_smoothed(x, t, weight, w, ignore_index, code, label_smoothing)
    else:
        out = _loss.cross_entropy_indices(x, t, w, ignore_index, code)
    return out.reshape(()) if unbatched and code == _loss.NONE else out


def _check_label_smoothing(label_smoothing: float) -> None:
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing:g}")


def _cross_entropy_smoothed(x, t, weight, w, ignore_index, code, label_smoothing) -> Tensor:
    """``(1 - ls) * nll + ls / C * (-sum_c w_c log p_c)``, normalised as PyTorch does."""
    _check_label_smoothing(label_smoothing)
    n_classes = x.shape[1]
    logp = log_softmax(x, 1)
    nll = _loss.nll_loss(logp, t, w, ignore_index, code)
    if weight is not None:
        logp = logp * weight.reshape((n_classes,) + (1,) * (x.ndim - 2))
    ignored = t == ignore_index
    smooth = where(ignored, 0.0, -logp.sum(1))
    if code == _loss.MEAN:
        counted = ~ignored
        if weight is None:
            smooth = smooth.sum() / counted.sum()
        else:
            safe = where(ignored, 0, t)
            smooth = smooth.sum() / where(counted, weight[safe], 0.0).sum()
    elif code == _loss.SUM:
        smooth = smooth.sum()
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)


def _cross_entropy_probs(input, target, weight, ignore_index, code, label_smoothing) -> Tensor:
    if target._data.dtype.kind != "f":
        raise RuntimeError(
            "Expected floating point type for target with class probabilities, got "
            f"{scalar_name(target._data.dtype)}"
        )
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    _floating(input, "log_softmax_lastdim_kernel_impl")
    class_dim = 0 if input.ndim == 1 else 1
    n_classes = input.shape[class_dim]
    logp = log_softmax(input, class_dim)
    if label_smoothing > 0.0:
        _check_label_smoothing(label_smoothing)
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    if weight is not None:
        _check_weight(weight, input, n_classes, "cross_entropy: ")
        logp = logp * weight.reshape((n_classes,) + (1,) * (input.ndim - class_dim - 1))
    prod = logp * target
    if code == _loss.NONE:
        return -prod.sum(class_dim)
    total = -prod.sum()
    if code == _loss.SUM:
        return total
    # The mean is over batch elements (numel / C), not over weights; nan for an empty batch.
    n = input.numel() // n_classes if n_classes else 0
    return total / n if n else total * math.nan


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``-w (t log x + (1 - t) log(1 - x))`` for probabilities ``x``; logs clamped at -100."""
    code = _code(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Using a target size ({target.size()}) that is different to the input size "
            f"({input.size()}) is deprecated. Please ensure they have the same size."
        )
    x = input._data
    if x.size and not (x.min() >= 0 and x.max() <= 1):  # a nan fails both comparisons
        raise RuntimeError("all elements of input should be between 0 and 1")
    if target._data.dtype != x.dtype:
        raise RuntimeError(
            f"Found dtype {scalar_name(target._data.dtype)} but expected {scalar_name(x.dtype)}"
        )
    loss = _loss.binary_cross_entropy(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduced(loss, code)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Binary cross entropy of ``sigmoid(input)``, computed without overflow for any logit.

    ``pos_weight`` (broadcast over the last dim, one per class) weighs the positive term.
    """
    code = _code(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Target size ({target.size()}) must be the same as input size ({input.size()})"
        )
    loss = _loss.binary_cross_entropy_with_logits(input, target, pos_weight)
    if weight is not None:
        loss = loss * weight
    return _reduced(loss, code)


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """``target * (log(target) - input)`` for log-probabilities ``input``.

    ``reduction='batchmean'`` divides the sum by the batch size (the KL divergence);
    ``'mean'`` divides by every element, with PyTorch's warning.
    """
    if size_average is not None or reduce is not None:
        code = _Reduction.legacy_get_enum(size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the "
                "support size.'batchmean' divides only by the batch size, and aligns with the "
                "KL div math definition.'mean' will be changed to behave the same as "
                "'batchmean' in the next major release.",
                stacklevel=2,
            )
        code = _loss.SUM if reduction == "batchmean" else _Reduction.get_enum(reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # xlogy(t, t): 0 where t == 0 (with a zero gradient there, not log(0)).
        zero = target == 0
        loss = where(zero, 0.0, target * where(zero, 1.0, target).log()) - target * input
    out = _reduced(loss, code)
    if reduction == "batchmean" and input.ndim != 0:
        out = out / input.shape[0]
    return out


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``1 - cos(x1, x2)`` where target is 1, ``max(0, cos - margin)`` where it is -1."""
    code = _code(size_average, reduce, reduction)
    tdim = target.ndim
    if tdim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if tdim == 1 and (input1.ndim != 2 or input2.ndim != 2):
        raise RuntimeError(
            "1D target tensor expects 2D input tensors, but found inputs with sizes "
            f"{list(input1.shape)} and {list(input2.shape)}."
        )
    if tdim == 0 and (input1.ndim != 1 or input2.ndim != 1):
        raise RuntimeError(
            "0D target tensor expects 1D input tensors, but found inputs with sizes "
            f"{list(input1.shape)} and {list(input2.shape)}."
        )
    eps = 1e-12
    dot = (input1 * input2).sum(tdim)
    mag1 = (input1 * input1).sum(tdim) + eps
    mag2 = (input2 * input2).sum(tdim) + eps
    cos = dot / (mag1 * mag2).sqrt()
    loss = where(target == 1, 1 - cos, 0.0) + where(target == -1, (cos - margin).clamp(min=0), 0.0)
    return _reduced(loss, code)


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, -target * (input1 - input2) + margin)``."""
    code = _code(size_average, reduce, reduction)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} "
        )
    return _reduced((-target * (input1 - input2) + margin).clamp(min=0), code)


def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``x`` where target is 1, ``max(0, margin - x)`` where it is -1."""
    code = _code(size_average, reduce, reduction)
    hinge = where(target != 1, (margin - input).clamp(min=0), 0.0)
    return _reduced(hinge + where(target != -1, input, 0.0), code)


def soft_margin_loss(
    input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """``log(1 + exp(-target * input))``, stable for large margins."""
    code = _code(size_average, reduce, reduction)
    return _reduced(-logsigmoid(target * input), code)


# ----- triplets: anchor, positive, negative ------------------------------------------------------
def _triplet(anchor, positive, negative, distance, margin: float, swap: bool, code: int):
    """``max(0, margin + d(a, p) - d(a, n))``; with ``swap``, d(a, n) is min(d(a, n), d(p, n))."""
    a, p, n = anchor.ndim, positive.ndim, negative.ndim
    if not (a == p and p == n):
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {a}D, positive {p}D, and negative {n}D inputs"
        )
    dist_pos = distance(anchor, positive)
    dist_neg = distance(anchor, negative)
    if swap:
        dist_neg = minimum(dist_neg, distance(positive, negative))
    return _reduced((dist_pos - dist_neg + margin).clamp_min(0), code)


def _check_margin(margin: float) -> None:
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Triplet loss on p-norm distances over the last dim."""
    code = _code(size_average, reduce, reduction)
    _check_margin(margin)
    return _triplet(
        anchor,
        positive,
        negative,
        lambda x, y: pairwise_distance(x, y, p, eps),
        margin,
        swap,
        code,
    )


def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function=None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """Triplet loss on any ``distance_function(x, y)`` (default: the Euclidean distance)."""
    if reduction not in _CODES:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    _check_margin(margin)
    distance = pairwise_distance if distance_function is None else distance_function
    return _triplet(anchor, positive, negative, distance, margin, swap, _CODES[reduction])


# ----- multi-class and multi-label margins -------------------------------------------------------
def _as_matrix(input: Tensor) -> Tensor:
    """``input`` as (N, C): a (C,) vector or a scalar is one sample, as in PyTorch."""
    nd = input.ndim
    if not ((nd == 2 and input.shape[1] != 0) or (nd == 1 and input.shape[0] != 0) or nd == 0):
        raise RuntimeError(
            "Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
            f"{list(input.shape)}"
        )
    return input.reshape(1, -1) if nd < 2 else input


def _check_long(t: Tensor) -> None:
    dt = t._data.dtype
    if dt != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {scalar_name(dt)}")


def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge: ``sum_{j != y} max(0, margin - x[y] + x[j])^p / C`` per sample,
    each term scaled by ``weight[y]``."""
    code = _code(size_average, reduce, reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    x = _as_matrix(input)
    n, c = x.shape
    if target.ndim > 1 or target.numel() != n:
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of "
            f"input samples (batch size). Expected target size [{n}], but got "
            f"{list(target.shape)}. Input has shape {list(input.shape)}."
        )
    if weight is not None and weight.numel() != c:
        raise RuntimeError(f"inconsistent weight size, expected {c} but got {list(weight.shape)}")
    _check_long(target)
    if weight is not None and weight._data.dtype != x._data.dtype:
        raise RuntimeError(
            f"expected scalar type {scalar_name(x._data.dtype)} but found "
            f"{scalar_name(weight._data.dtype)}"
        )
    t = target._data.reshape(n)
    if t.size and (t.min() < 0 or t.max() >= c):
        raise RuntimeError("target out of range")
    index = target.reshape(n, 1)
    z = (x - x.gather(1, index) + margin).clamp_min(0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[index]
    is_target = _make(array_module(t).arange(c) == t[:, None])
    loss = where(is_target, 0.0, z).sum(1) / c
    return _reduced(loss if target.ndim else loss.reshape(()), code)


def multilabel_margin_loss(
    input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """``sum_{j in targets, k not in targets} max(0, 1 - (x[j] - x[k])) / C`` per sample.

    Each row of ``target`` lists class indices, ended by the first -1 (padding).
    """
    code = _code(size_average, reduce, reduction)
    x = _as_matrix(input)
    n, c = x.shape
    if (input.ndim <= 1 and (target.ndim > 1 or target.numel() != c)) or (
        input.ndim == 2 and tuple(target.shape) != (n, c)
    ):
        raise RuntimeError(
            f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}"
        )
    _check_long(target)
    t = target._data.reshape(n, c)
    if t.size and (t.min() < -1 or t.max() >= c):
        raise RuntimeError("argument #2 'target' is out of range")
    xp = array_module(t)
    valid = xp.cumprod(t != -1, axis=1).astype(bool)  # the slots before the first -1
    safe = xp.where(valid, t, 0)
    is_target = xp.zeros((n, c), dtype=bool)
    is_target[xp.nonzero(valid)[0], safe[valid]] = True
    pairs = _make(valid[:, :, None] & ~is_target[:, None, :])  # (N, slot j, class k)
    hinge = (x.unsqueeze(1) - x.gather(1, _make(safe)).unsqueeze(2) + 1).clamp_min(0)
    loss = where(pairs, hinge, 0.0).sum(2).sum(1) / c
    return _reduced(loss if target.ndim > 1 else loss.reshape(()), code)


def multilabel_soft_margin_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """One-vs-all logistic loss, averaged over the classes (the last dim)."""
    if size_average is not None or reduce is not None:
        reduction = _Reduction.legacy_get_string(size_average, reduce)
    if reduction not in _CODES:
        raise ValueError(reduction + " is not valid")
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(-1) / input.shape[-1]
    return _reduced(loss, _CODES[reduction])
