"""``F.scaled_dot_product_attention``: PyTorch's math backend, composed of differentiable ops.

Built from matmul, masking, softmax and dropout only, so its gradients of every order come
from those ops' backwards.
"""

from __future__ import annotations

import math
import warnings

from ..._backend.device import array_module
from ..._tensor import Tensor, _make
from ...ops import creation as _creation
from ...ops import elementwise as _ew
from ...ops import reduction as _red
from ...ops import shape as _shape
from ...ops.linear import linear
from .dropout import dropout

__all__ = ["multi_head_attention_forward", "scaled_dot_product_attention"]

_NEG_INF = float("-inf")


def _safe_softmax(scores: Tensor) -> Tensor:
    """Softmax over the last dim, with rows that are entirely -inf giving 0 (as PyTorch's
    ``_safe_softmax``) rather than NaN; their gradient is 0 too, never NaN."""
    x = scores._data
    dead = array_module(x).all(x == _NEG_INF, axis=-1, keepdims=True)
    if not dead.any():
        return _red.softmax(scores, -1)
    dead = _make(dead)
    # Zeroing the dead rows first keeps NaN out of the forward and the backward.
    return _red.softmax(scores.masked_fill(dead, 0.0), -1).masked_fill(dead, 0.0)


def _repeat_kv_heads(x: Tensor, heads: int) -> Tensor:
    """``x.repeat_interleave(heads // x.size(-3), -3)``: share each key/value head among a
    group of query heads (grouped-query attention)."""
    kv = x.shape[-3]
    if heads % kv != 0:
        raise RuntimeError(
            "Number of heads in key and value must divide the number of heads in query"
        )
    if kv == heads:
        return x
    *batch, _, s, e = x.shape
    grouped = x.unsqueeze(-3).expand(*batch, kv, heads // kv, s, e)
    return grouped.reshape(*batch, heads, s, e)


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """``softmax(query @ key.T * scale + mask) @ value`` over the last two dims.

    A bool ``attn_mask`` marks with True the keys a query may attend to; a float one is added
    to the scores. ``is_causal`` lets query i see keys 0..i (upper-left aligned). Dropout
    applies to the attention weights whenever ``dropout_p > 0``, as in PyTorch. A query that
    may attend to no key gets zeros, as PyTorch's CPU backends give (not NaN).
    """
    if attn_mask is not None and is_causal:
        raise RuntimeError(
            "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
            "is_causal=True"
        )
    if enable_gqa and query.ndim >= 3:
        key = _repeat_kv_heads(key, query.shape[-3])
        value = _repeat_kv_heads(value, query.shape[-3])
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    scores = (query @ key.transpose(-2, -1)) * scale
    if is_causal:
        xp = array_module(query._data)
        attn_mask = _make(xp.tri(query.shape[-2], key.shape[-2], dtype=bool))
    if attn_mask is not None:
        if attn_mask._data.dtype.kind == "b":
            scores = _ew.where(attn_mask, scores, _NEG_INF)
        else:
            scores = scores + attn_mask
    weights = _safe_softmax(scores)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    return weights @ value


# ----- multi-head attention ---------------------------------------------------------------------
def _none_or_dtype(input: Tensor | None):
    return None if input is None else input.dtype


def _canonical_mask(
    mask: Tensor | None,
    mask_name: str,
    other_type,
    other_name: str,
    target_type,
    check_other: bool = True,
) -> Tensor | None:
    """A bool mask (True = masked out) becomes an additive float mask of ``target_type``."""
    if mask is None:
        return None
    kind = mask._data.dtype.kind
    if kind != "b" and kind != "f":
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(
            f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type "
            "for both instead.",
            stacklevel=3,
        )
    if kind == "f":
        return mask
    return _creation.zeros(*mask.shape, dtype=target_type, device=mask.device).masked_fill(
        mask, _NEG_INF
    )


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """PyTorch's checks of the input ranks; True for batched (3-D) input."""
    d = query.ndim
    if d not in (2, 3):
        raise AssertionError(
            f"query should be unbatched 2D or batched 3D tensor but received {d}-D query tensor"
        )
    batched = d == 3
    which = "For batched (3-D) `query`" if batched else "For unbatched (2-D) `query`"
    if key.ndim != d or value.ndim != d:
        raise AssertionError(
            f"{which}, expected `key` and `value` to be {d}-D but found {key.ndim}-D and "
            f"{value.ndim}-D tensors respectively"
        )
    if key_padding_mask is not None and key_padding_mask.ndim != d - 1:
        raise AssertionError(
            f"{which}, expected `key_padding_mask` to be `None` or {d - 1}-D but found "
            f"{key_padding_mask.ndim}-D tensor instead"
        )
    if attn_mask is not None:
        if attn_mask.ndim not in (2, 3):
            raise AssertionError(
                f"{which}, expected `attn_mask` to be `None`, 2-D or 3-D but found "
                f"{attn_mask.ndim}-D tensor instead"
            )
        expected = (num_heads, query.shape[0], key.shape[0])
        if not batched and attn_mask.ndim == 3 and attn_mask.shape != expected:
            raise AssertionError(
                f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}"
            )
    return batched


def _in_projection(q, k, v, weights, biases):
    """Project query, key and value with their own weight and bias (``biases`` may be None)."""
    if biases is None:
        biases = (None, None, None)
    return tuple(linear(x, w, b) for x, w, b in zip((q, k, v), weights, biases))


def _pad_key_dim(mask: Tensor | None) -> Tensor | None:
    """One more key position (an added bias or zero key) that no mask hides."""
    if mask is None:
        return None
    zero = _creation.zeros(*mask.shape[:-1], 1, dtype=mask.dtype, device=mask.device)
    return _shape.cat([mask, zero], -1)


def _heads(x: Tensor, seq: int, batch_heads: int, head_dim: int) -> Tensor:
    """(seq, batch, embed) -> (batch * heads, seq, head_dim)."""
    return x.reshape(seq, batch_heads, head_dim).transpose(0, 1)


def _static(static: Tensor, name: str, batch_heads: int, head_dim: int) -> Tensor:
    if static.shape[0] != batch_heads:
        raise AssertionError(
            f"expecting {name}.size(0) of {batch_heads}, but got {static.shape[0]}"
        )
    if static.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {static.shape[2]}")
    return static


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """Sequence-first multi-head attention, PyTorch's reference path step by step.

    Masks follow ``nn.MultiheadAttention``: a bool True *hides* a key (the opposite of
    ``scaled_dot_product_attention``). With ``need_weights`` the weights are computed
    explicitly (rows with every key hidden give NaN); without, the work goes to
    ``scaled_dot_product_attention`` (such rows give 0), as in PyTorch.
    """
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(
        key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask), "attn_mask", query.dtype
    )
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
            "module method `generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint stands for the causal mask: let SDPA build it
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)
        is_causal = is_causal and key_padding_mask is None
    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(
                f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                f"{value.shape[:2]}"
            )
        weights = (q_proj_weight, k_proj_weight, v_proj_weight)
    else:
        if key.shape != value.shape:
            raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
        weights = in_proj_weight.chunk(3)
    biases = None if in_proj_bias is None else in_proj_bias.chunk(3)
    q, k, v = _in_projection(query, key, value, weights, biases)

    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                    f"{(tgt_len, src_len)}."
                )
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.ndim == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                    f"{(bsz * num_heads, tgt_len, src_len)}."
                )
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")

    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = _shape.cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = _shape.cat([v, bias_v.expand(1, bsz, embed_dim)])
        attn_mask, key_padding_mask = _pad_key_dim(attn_mask), _pad_key_dim(key_padding_mask)

    bh = bsz * num_heads
    q = _heads(q, tgt_len, bh, head_dim)
    k = (
        _heads(k, k.shape[0], bh, head_dim)
        if static_k is None
        else _static(static_k, "static_k", bh, head_dim)
    )
    v = (
        _heads(v, v.shape[0], bh, head_dim)
        if static_v is None
        else _static(static_v, "static_v", bh, head_dim)
    )
    if add_zero_attn:
        k = _shape.cat([k, _creation.zeros(bh, 1, head_dim, dtype=k.dtype, device=k.device)], 1)
        v = _shape.cat([v, _creation.zeros(bh, 1, head_dim, dtype=v.dtype, device=v.device)], 1)
        attn_mask, key_padding_mask = _pad_key_dim(attn_mask), _pad_key_dim(key_padding_mask)
    src_len = k.shape[1]

    if key_padding_mask is not None:
        for i, size in enumerate((bsz, src_len)):
            if key_padding_mask.shape[i] != size:
                raise AssertionError(
                    f"Expected key_padded_mask.shape[{i}] to be {size}, but got "
                    f"{key_padding_mask.shape[i]}"
                )
        key_padding_mask = (
            key_padding_mask.reshape(bsz, 1, 1, src_len)
            .expand(bsz, num_heads, 1, src_len)
            .reshape(bh, 1, src_len)
        )
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask
    if not training:
        dropout_p = 0.0

    if need_weights:
        scores = (q * math.sqrt(1.0 / head_dim)) @ k.transpose(-2, -1)
        if attn_mask is not None:
            scores = scores + attn_mask
        attn = _red.softmax(scores, -1)
        if dropout_p > 0.0:
            attn = dropout(attn, dropout_p)
        out = (attn @ v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        attn = attn.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            attn = attn.mean(1)
    else:
        if attn_mask is not None:
            if attn_mask.shape[0] == 1:
                attn_mask = attn_mask.unsqueeze(0)
            else:
                attn_mask = attn_mask.reshape(bsz, num_heads, -1, src_len)
        out = scaled_dot_product_attention(
            q.reshape(bsz, num_heads, tgt_len, head_dim),
            k.reshape(bsz, num_heads, src_len, head_dim),
            v.reshape(bsz, num_heads, src_len, head_dim),
            attn_mask,
            dropout_p,
            is_causal,
        )
        out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
        attn = None
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    if not is_batched:
        out = out.squeeze(1)
        if attn is not None:
            attn = attn.squeeze(0)
    return out, attn
