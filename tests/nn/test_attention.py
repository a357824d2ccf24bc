"""scaled_dot_product_attention, MultiheadAttention and the Transformer encoder: gradients
of first and second order, masks, dropout, parameter layout and errors (no PyTorch needed)."""

import copy
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eagertorch as et
import eagertorch.nn.functional as F
import eagertorch.testing.strategies as ets
from eagertorch import nn
from eagertorch.autograd import gradcheck, gradgradcheck
from eagertorch.testing import check_module


def _reference(q, k, v, keep=None, bias=None, scale=None):
    """numpy SDPA: ``keep`` a bool mask (True takes part), ``bias`` an added float mask."""
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale
    if bias is not None:
        s = s + bias
    if keep is not None:
        s = np.where(keep, s, -np.inf)
    dead = np.all(s == -np.inf, axis=-1, keepdims=True)
    s = np.where(dead, 0.0, s)
    w = np.exp(s - s.max(-1, keepdims=True))
    w = np.where(dead, 0.0, w / w.sum(-1, keepdims=True))
    return w @ v


@settings(max_examples=12)
@given(
    batch=st.lists(st.integers(1, 2), max_size=1),
    heads=st.sampled_from([(1, 1), (2, 1), (3, 1), (4, 2)]),
    l=st.integers(1, 3),
    s=st.integers(1, 4),
    e=st.integers(1, 3),
    mask=st.sampled_from([None, "bool", "float", "causal"]),
    scale=st.sampled_from([None, 0.7]),
    seed=st.integers(0, 2**16),
)
def test_sdpa_forward_and_gradcheck(batch, heads, l, s, e, mask, scale, seed):
    rng = np.random.default_rng(seed)
    hq, hk = heads
    q = rng.standard_normal((*batch, hq, l, e))
    k = rng.standard_normal((*batch, hk, s, e))
    v = rng.standard_normal((*batch, hk, s, 2))
    kw = dict(scale=scale, enable_gqa=hq != hk)
    keep = bias = None
    if mask == "causal":
        kw["is_causal"] = True
        keep = np.tri(l, s, dtype=bool)
    elif mask == "bool":
        keep = rng.random((l, s)) > 0.3
        kw["attn_mask"] = et.tensor(keep)
    elif mask == "float":
        bias = rng.standard_normal((hq, l, s))
        kw["attn_mask"] = et.tensor(bias)
    g = hq // hk
    expected = _reference(q, np.repeat(k, g, axis=-3), np.repeat(v, g, axis=-3), keep, bias, scale)
    args = [et.tensor(x, requires_grad=True) for x in (q, k, v)]
    out = F.scaled_dot_product_attention(*args, **kw)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-10, atol=1e-12)
    assert out.dtype == et.float64
    assert gradcheck(lambda *xs: F.scaled_dot_product_attention(*xs, **kw), args)


def test_sdpa_gradgradcheck_with_float_mask_and_gqa():
    rng = np.random.default_rng(0)
    q = et.tensor(rng.standard_normal((2, 4, 3, 2)), requires_grad=True)
    k = et.tensor(rng.standard_normal((2, 2, 4, 2)), requires_grad=True)
    v = et.tensor(rng.standard_normal((2, 2, 4, 3)), requires_grad=True)
    mask = et.tensor(rng.standard_normal((3, 4)), requires_grad=True)

    def fn(q, k, v, mask):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=True)

    assert gradcheck(fn, (q, k, v, mask))
    assert gradgradcheck(fn, (q, k, v, mask))


def test_sdpa_fully_masked_rows_give_zero_output_and_finite_grads():
    q = et.randn(3, 2, dtype=et.float64, requires_grad=True)
    k = et.randn(4, 2, dtype=et.float64, requires_grad=True)
    keep = np.ones((3, 4), bool)
    keep[1] = False
    out = F.scaled_dot_product_attention(q, k, k, attn_mask=et.tensor(keep))
    assert np.all(out.detach().numpy()[1] == 0)
    out.sum().backward()
    assert np.all(np.isfinite(q.grad.numpy())) and np.all(q.grad.numpy()[1] == 0)
    assert np.all(np.isfinite(k.grad.numpy()))


def test_sdpa_is_stable_for_huge_logits_in_float32():
    q = et.tensor([[1e4, 0.0]])
    k = et.tensor([[1e4, 0.0], [-1e4, 0.0]])
    v = et.tensor([[1.0], [2.0]])
    out = F.scaled_dot_product_attention(q, k, v)
    assert out.dtype == et.float32
    np.testing.assert_array_equal(out.numpy(), [[1.0]])


def test_sdpa_causal_mask_is_upper_left_aligned():
    q, k = et.zeros(2, 1), et.zeros(4, 1)
    v = et.tensor([[1.0], [2.0], [3.0], [4.0]])
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    # Query 0 sees key 0 only; query 1 sees keys 0 and 1 (not the last two keys).
    np.testing.assert_allclose(out.numpy(), [[1.0], [1.5]])


def test_sdpa_dropout_drops_attention_weights():
    rng = np.random.default_rng(1)
    q, k, v = (et.tensor(rng.standard_normal((2, 3, 4))) for _ in range(3))
    et.manual_seed(7)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.4)
    et.manual_seed(7)
    weights = F.dropout(F.softmax(q @ k.transpose(-2, -1) / 2.0, -1), 0.4)
    np.testing.assert_allclose(out.numpy(), (weights @ v).numpy(), rtol=1e-6)
    assert not np.allclose(out.numpy(), F.scaled_dot_product_attention(q, k, v).numpy())
    assert np.all(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).numpy() == 0)


def test_sdpa_errors():
    q = et.randn(1, 2, 3, 4)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set"):
        F.scaled_dot_product_attention(
            q, q, q, attn_mask=et.ones(3, 3, dtype=et.bool), is_causal=True
        )
    with pytest.raises(RuntimeError, match="must divide the number of heads"):
        F.scaled_dot_product_attention(
            q, et.randn(1, 3, 3, 4), et.randn(1, 3, 3, 4), enable_gqa=True
        )


# ----- MultiheadAttention ---------------------------------------------------------------------
def test_multihead_attention_parameters_follow_pytorch():
    mha = nn.MultiheadAttention(6, 2, add_bias_kv=True)
    shapes = [(k, tuple(v.shape)) for k, v in mha.state_dict().items()]
    assert shapes == [
        ("in_proj_weight", (18, 6)),
        ("in_proj_bias", (18,)),
        ("bias_k", (1, 1, 6)),
        ("bias_v", (1, 1, 6)),
        ("out_proj.weight", (6, 6)),
        ("out_proj.bias", (6,)),
    ]
    assert np.all(mha.in_proj_bias.detach().numpy() == 0)
    assert np.all(mha.out_proj.bias.detach().numpy() == 0)
    bound = math.sqrt(6 / (18 + 6))  # xavier_uniform_ over the packed (3E, E) weight
    w = mha.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > bound / 2
    separate = nn.MultiheadAttention(6, 3, bias=False, kdim=2, vdim=5)
    assert [(k, tuple(v.shape)) for k, v in separate.state_dict().items()] == [
        ("q_proj_weight", (6, 6)),
        ("k_proj_weight", (6, 2)),
        ("v_proj_weight", (6, 5)),
        ("out_proj.weight", (6, 6)),
    ]
    assert separate.in_proj_weight is None and separate.bias_k is None


@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_attention_shapes(batch_first):
    mha = nn.MultiheadAttention(4, 2, batch_first=batch_first, kdim=3, vdim=5)
    q = et.randn(2, 3, 4) if batch_first else et.randn(3, 2, 4)
    k = et.randn(2, 6, 3) if batch_first else et.randn(6, 2, 3)
    v = et.randn(2, 6, 5) if batch_first else et.randn(6, 2, 5)
    out, w = mha(q, k, v)
    assert out.shape == q.shape and w.shape == (2, 3, 6)
    heads = mha(q, k, v, average_attn_weights=False)[1]
    assert heads.shape == (2, 2, 3, 6)
    np.testing.assert_allclose(heads.sum(-1).detach().numpy(), 1.0, rtol=1e-5)
    np.testing.assert_allclose(w.detach().numpy(), heads.mean(1).detach().numpy(), rtol=1e-6)
    first = (lambda t: t[0]) if batch_first else (lambda t: t[:, 0])
    out, w = mha(first(q), first(k), first(v))  # unbatched: (L, E)
    assert out.shape == (3, 4) and w.shape == (3, 6)
    assert mha(q, k, v, need_weights=False)[1] is None


def test_multihead_attention_masks_hide_keys_and_bool_equals_float():
    mha = nn.MultiheadAttention(4, 2, dtype=et.float64)
    x = et.randn(3, 2, 4, dtype=et.float64)
    pad = np.zeros((2, 3), bool)
    pad[1, 0] = True
    causal = np.triu(np.ones((3, 3), bool), 1)
    _, w = mha(x, x, x, key_padding_mask=et.tensor(pad), attn_mask=et.tensor(causal))
    w = w.detach().numpy()
    assert np.all(w[0][causal] == 0) and np.all(w[1, 1:][causal[1:]] == 0)
    assert np.all(w[1, 1:, 0] == 0)
    assert np.all(np.isnan(w[1, 0]))  # batch 1, query 0 sees no key: NaN, as PyTorch
    fpad = np.where(pad, -np.inf, 0.0)
    fcausal = np.where(causal, -np.inf, 0.0)
    for need in (True, False):
        a = mha(x, x, x, key_padding_mask=et.tensor(pad), need_weights=need)[0]
        b = mha(x, x, x, key_padding_mask=et.tensor(fpad), need_weights=need)[0]
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy())
        a = mha(x, x, x, attn_mask=et.tensor(causal), need_weights=need)[0]
        b = mha(x, x, x, attn_mask=et.tensor(fcausal), need_weights=need)[0]
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy())
    m3 = et.tensor(np.broadcast_to(fcausal, (4, 3, 3)).copy())  # (N * heads, L, S)
    a = mha(x, x, x, attn_mask=m3)[0]
    b = mha(x, x, x, attn_mask=et.tensor(fcausal))[0]
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy())


def test_multihead_attention_errors():
    mha = nn.MultiheadAttention(4, 2)
    x = et.randn(3, 2, 4)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is .*\[3, 4\]"):
        mha(x, x, x, attn_mask=et.zeros(3, 4))
    with pytest.raises(RuntimeError, match=r"should be \(4, 3, 3\)"):
        mha(x, x, x, attn_mask=et.zeros(2, 3, 3))
    with pytest.raises(AssertionError, match="only bool and floating types of attn_mask"):
        mha(x, x, x, attn_mask=et.zeros(3, 3, dtype=et.int64))
    with pytest.raises(AssertionError, match=r"key_padded_mask.shape\[1\] to be 3, but got 2"):
        mha(x, x, x, key_padding_mask=et.zeros(2, 2, dtype=et.bool))
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        mha(x, x, x, is_causal=True)
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(5, 2)


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.MultiheadAttention(4, 2, add_bias_kv=True, add_zero_attn=True),
        lambda: nn.MultiheadAttention(4, 2, kdim=3, vdim=2, batch_first=True, dropout=0.2),
    ],
    ids=["packed", "separate"],
)
def test_multihead_attention_satisfies_check_module(make):
    batch_first = make().batch_first
    k_shape, v_shape = ((2, 3, 3), (2, 3, 2)) if batch_first else ((3, 2, 4), (3, 2, 4))
    inputs = st.tuples(
        ets.tensors(shape=(2, 2, 4), dtype=et.float32, low=-2, high=2),
        ets.tensors(shape=k_shape, dtype=et.float32, low=-2, high=2),
        ets.tensors(shape=v_shape, dtype=et.float32, low=-2, high=2),
    )
    check_module(make, inputs, settings=settings(max_examples=2))


# ----- Transformer encoder --------------------------------------------------------------------
def test_transformer_encoder_layer_submodules_and_activations():
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, activation="gelu")
    names = [name for name, _ in layer.named_children()]
    assert names == [
        "self_attn", "linear1", "dropout", "linear2", "norm1", "norm2", "dropout1", "dropout2"
    ]  # fmt: skip
    assert layer.activation is F.gelu and layer.activation_relu_or_gelu == 2
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    custom = nn.TransformerEncoderLayer(8, 2, activation=nn.Tanh(), bias=False)
    assert custom.activation_relu_or_gelu == 0 and "activation" in dict(custom.named_children())
    assert custom.linear1.bias is None and custom.norm1.bias is None


def test_transformer_encoder_layer_gradcheck_norm_first_with_masks():
    layer = nn.TransformerEncoderLayer(
        4, 2, dim_feedforward=6, dropout=0.0, norm_first=True, batch_first=True,
        dtype=et.float64,
    )  # fmt: skip
    x = et.randn(2, 3, 4, dtype=et.float64, requires_grad=True)
    mask = et.tensor(np.triu(np.ones((3, 3), bool), 1))
    pad = et.tensor(np.array([[False, False, True], [False, False, False]]))
    params = list(layer.parameters())
    assert gradcheck(lambda x: layer(x, src_mask=mask, src_key_padding_mask=pad), (x,))
    out = layer(x, src_mask=mask, src_key_padding_mask=pad)
    out.sum().backward()
    assert all(p.grad is not None and np.all(np.isfinite(p.grad.numpy())) for p in params)
    # Changing the hidden third key of batch 0 leaves batch 0's output unchanged.
    y = x.detach().clone()
    y[0, 2] += 5.0
    np.testing.assert_allclose(
        layer(y, src_mask=mask, src_key_padding_mask=pad)[0, :2].detach().numpy(),
        out[0, :2].detach().numpy(),
    )


def test_transformer_encoder_deep_copies_and_applies_norm():
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.0)
    enc = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(4))
    assert len(enc.layers) == 2 and enc.layers[0] is not layer
    assert enc.layers[0].linear1.weight is not enc.layers[1].linear1.weight
    assert next(k for k in enc.state_dict() if k.startswith("layers.1.")) == (
        "layers.1.self_attn.in_proj_weight"
    )
    x = et.randn(5, 3, 4)
    expected = enc.norm(enc.layers[1](enc.layers[0](x)))
    np.testing.assert_allclose(enc(x).detach().numpy(), expected.detach().numpy(), rtol=1e-6)
    clone = copy.deepcopy(enc)
    clone.load_state_dict(enc.state_dict())
    np.testing.assert_allclose(clone(x).detach().numpy(), enc(x).detach().numpy())


def test_transformer_encoder_layer_satisfies_check_module():
    def make():
        return nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, activation="gelu")

    inputs = ets.tensors(shape=(3, 2, 4), dtype=et.float32, low=-2, high=2)
    check_module(make, inputs, settings=settings(max_examples=2))


def test_transformer_decoder_layer_gradcheck_and_memory_padding():
    layer = nn.TransformerDecoderLayer(4, 2, dim_feedforward=6, dropout=0.0, dtype=et.float64)
    tgt = et.randn(3, 2, 4, dtype=et.float64, requires_grad=True)
    memory = et.randn(5, 2, 4, dtype=et.float64, requires_grad=True)
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=et.float64)
    pad = np.zeros((2, 5), bool)
    pad[0, 4] = True

    def fn(tgt, memory):
        return layer(tgt, memory, tgt_mask=tgt_mask, memory_key_padding_mask=et.tensor(pad))

    assert gradcheck(fn, (tgt, memory))
    out = fn(tgt, memory)
    g = et.randn(3, 4, dtype=et.float64)  # a plain sum of a LayerNorm output is constant
    (out[:, 0] * g).sum().backward()
    # The padded memory position of batch 0 gets no gradient; the causal mask keeps the
    # last target position from influencing the first.
    assert np.all(memory.grad.numpy()[4, 0] == 0)
    assert np.any(memory.grad.numpy()[3, 0] != 0)
    tgt.grad = None
    out = fn(tgt, memory)
    (out[0] * g[0]).sum().backward()
    assert np.all(tgt.grad.numpy()[1:] == 0)


def test_transformer_structure_mask_and_errors():
    model = nn.Transformer(8, 2, 1, 2, 16, dropout=0.0)
    names = [name for name, _ in model.decoder.layers[0].named_children()]
    assert names == [
        "self_attn", "multihead_attn", "linear1", "dropout", "linear2",
        "norm1", "norm2", "norm3", "dropout1", "dropout2", "dropout3",
    ]  # fmt: skip
    assert len(model.encoder.layers) == 1 and len(model.decoder.layers) == 2
    # Every weight matrix is re-drawn with xavier_uniform_ (bound sqrt(6 / (fan_in + fan_out))).
    w = model.encoder.layers[0].linear1.weight.detach().numpy()
    assert np.abs(w).max() <= math.sqrt(6 / 24)
    mask = nn.Transformer.generate_square_subsequent_mask(3).numpy()
    np.testing.assert_array_equal(mask, np.triu(np.full((3, 3), -np.inf), 1))
    assert mask.dtype == np.float32
    src, tgt = et.randn(5, 2, 8), et.randn(3, 2, 8)
    assert model(src, tgt).shape == (3, 2, 8)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(src, et.randn(3, 1, 8))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal"):
        model(src, et.randn(3, 2, 4))
