"""scaled_dot_product_attention, MultiheadAttention and the Transformer encoder against
PyTorch with identical weights: values, attention weights, gradients, reprs, errors."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eagertorch as et
import eagertorch.nn.functional as F
from eagertorch import nn

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _both(x, requires_grad=False):
    return et.tensor(x, requires_grad=requires_grad), torch.tensor(x, requires_grad=requires_grad)


def _close(ours, theirs, tol, what=""):
    np.testing.assert_allclose(
        ours.detach().numpy(), theirs.detach().numpy(), rtol=tol, atol=tol, err_msg=what
    )


# ----- scaled_dot_product_attention -------------------------------------------------------------
@given(
    batch=st.lists(st.integers(1, 2), max_size=2),
    heads=st.sampled_from([(2, 2), (4, 2), (3, 1)]),
    l=st.integers(1, 4),
    s=st.integers(1, 5),
    e=st.integers(1, 4),
    ev=st.integers(1, 3),
    mask=st.sampled_from([None, "bool", "float", "causal"]),
    scale=st.sampled_from([None, 0.5]),
    seed=st.integers(0, 1000),
)
def test_sdpa_matches_pytorch(batch, heads, l, s, e, ev, mask, scale, seed):
    rng = np.random.default_rng(seed)
    hq, hk = heads
    q = rng.standard_normal((*batch, hq, l, e))
    k = rng.standard_normal((*batch, hk, s, e))
    v = rng.standard_normal((*batch, hk, s, ev))
    kw = dict(scale=scale, enable_gqa=hq != hk)
    if mask == "causal":
        kw["is_causal"] = True
    elif mask == "bool":
        m = rng.random((l, s)) > 0.3
        m[0] = False  # a fully masked row: PyTorch gives 0 there, not NaN
        kw["attn_mask"] = m
    elif mask == "float":
        kw["attn_mask"] = rng.standard_normal((hq, 1, s))
    ours_kw = {k_: et.tensor(v_) if isinstance(v_, np.ndarray) else v_ for k_, v_ in kw.items()}
    theirs_kw = {
        k_: torch.tensor(v_) if isinstance(v_, np.ndarray) else v_ for k_, v_ in kw.items()
    }
    ins = [_both(x, requires_grad=True) for x in (q, k, v)]
    yo = F.scaled_dot_product_attention(*(a for a, _ in ins), **ours_kw)
    yt = TF.scaled_dot_product_attention(*(b for _, b in ins), **theirs_kw)
    _close(yo, yt, 1e-10)
    g = rng.standard_normal(tuple(yt.shape))
    yo.backward(et.tensor(g))
    yt.backward(torch.tensor(g))
    for name, (a, b) in zip("qkv", ins):
        _close(a.grad, b.grad, 1e-10, name)


def test_sdpa_unbatched_and_attn_mask_with_is_causal_error():
    rng = np.random.default_rng(1)
    q, k, v = rng.standard_normal((3, 4)), rng.standard_normal((5, 4)), rng.standard_normal((5, 2))
    (qo, qt), (ko, kt), (vo, vt) = _both(q), _both(k), _both(v)
    _close(
        F.scaled_dot_product_attention(qo, ko, vo),
        TF.scaled_dot_product_attention(qt, kt, vt),
        1e-12,
    )
    mo, mt = _both(np.ones((3, 5), dtype=bool))
    msg = "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True"
    with pytest.raises(RuntimeError, match=msg):
        F.scaled_dot_product_attention(qo, ko, vo, attn_mask=mo, is_causal=True)
    from torch.nn.attention import SDPBackend, sdpa_kernel

    with sdpa_kernel(SDPBackend.MATH), pytest.raises(RuntimeError, match=msg):
        TF.scaled_dot_product_attention(qt, kt, vt, attn_mask=mt, is_causal=True)


def test_sdpa_gqa_error_matches_pytorch():
    q = np.zeros((1, 3, 2, 4))
    kv = np.zeros((1, 2, 2, 4))
    msg = "Number of heads in key and value must divide the number of heads in"
    with pytest.raises(RuntimeError, match=msg):
        F.scaled_dot_product_attention(*(et.tensor(x) for x in (q, kv, kv)), enable_gqa=True)
    with pytest.raises(RuntimeError, match=msg):
        TF.scaled_dot_product_attention(*(torch.tensor(x) for x in (q, kv, kv)), enable_gqa=True)


# ----- MultiheadAttention ---------------------------------------------------------------------
def _pair(make, seed):
    """The same module from both libraries, ours loaded with PyTorch's (randomised) weights."""
    torch.manual_seed(seed)
    theirs = make(torch.nn).eval()
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(0.1 * torch.randn(p.shape))  # zero-initialised biases get non-zero values
    ours = make(nn).eval()
    so, st_ = ours.state_dict(), theirs.state_dict()
    assert list(so) == list(st_)
    assert [tuple(v.shape) for v in so.values()] == [tuple(v.shape) for v in st_.values()]
    ours.load_state_dict({k: et.tensor(v.numpy()) for k, v in st_.items()})
    assert repr(ours) == repr(theirs)
    return ours, theirs


def _compare_calls(ours, theirs, arrays, kwargs, seed, tol=1e-5):
    """Call both with the same inputs and masks; compare every output and every gradient."""
    ins = [_both(x, requires_grad=True) for x in arrays]
    ko = {k: et.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    kt = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    out_o = ours(*(a for a, _ in ins), **ko)
    out_t = theirs(*(b for _, b in ins), **kt)
    out_o = out_o if isinstance(out_o, tuple) else (out_o,)
    out_t = out_t if isinstance(out_t, tuple) else (out_t,)
    rng = np.random.default_rng(seed)
    lo, lt = 0, 0
    for a, b in zip(out_o, out_t):
        assert (a is None) == (b is None)
        if b is None:
            continue
        assert tuple(a.shape) == tuple(b.shape)
        _close(a, b, tol)
        finite = np.isfinite(b.detach().numpy())
        g = np.where(finite, rng.standard_normal(tuple(b.shape)), 0.0).astype(np.float32)
        lo = lo + (a.masked_fill(et.tensor(~finite), 0.0) * et.tensor(g)).sum()
        lt = lt + (b.masked_fill(torch.tensor(~finite), 0.0) * torch.tensor(g)).sum()
    lo.backward()
    lt.backward()
    for i, (a, b) in enumerate(ins):
        if b.grad is not None:
            _close(a.grad, b.grad, 10 * tol, f"input {i}")
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        _close(p.grad, q.grad, 10 * tol, name)


@given(
    heads=st.sampled_from([1, 2]),
    l=st.integers(1, 3),
    s=st.integers(1, 4),
    n=st.integers(1, 2),
    batch_first=st.booleans(),
    unbatched=st.booleans(),
    kv_dims=st.sampled_from([(None, None), (3, 5)]),
    bias=st.booleans(),
    add_bias_kv=st.booleans(),
    add_zero_attn=st.booleans(),
    mask=st.sampled_from([None, "bool2d", "float2d", "float3d"]),
    padding=st.sampled_from([None, "bool", "float"]),
    need_weights=st.booleans(),
    average=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_multihead_attention_matches_pytorch(
    heads, l, s, n, batch_first, unbatched, kv_dims, bias, add_bias_kv, add_zero_attn, mask,
    padding, need_weights, average, seed,
):  # fmt: skip
    e = 4
    kdim, vdim = kv_dims
    ours, theirs = _pair(
        lambda m: m.MultiheadAttention(
            e, heads, bias=bias, add_bias_kv=add_bias_kv, add_zero_attn=add_zero_attn,
            kdim=kdim, vdim=vdim, batch_first=batch_first,
        ),
        seed,
    )  # fmt: skip
    rng = np.random.default_rng(seed)

    def seq(length, dim):
        if unbatched:
            return rng.standard_normal((length, dim)).astype(np.float32)
        shape = (n, length, dim) if batch_first else (length, n, dim)
        return rng.standard_normal(shape).astype(np.float32)

    arrays = [seq(l, e), seq(s, kdim or e), seq(s, vdim or e)]
    kw = dict(need_weights=need_weights, average_attn_weights=average)
    b = 1 if unbatched else n
    if mask == "bool2d":
        kw["attn_mask"] = rng.random((l, s)) > 0.7  # True hides a key
    elif mask == "float2d":
        kw["attn_mask"] = rng.standard_normal((l, s)).astype(np.float32)
    elif mask == "float3d":
        kw["attn_mask"] = rng.standard_normal((b * heads, l, s)).astype(np.float32)
    if padding is not None:
        keep = rng.random((s,) if unbatched else (n, s)) > 0.3
        kw["key_padding_mask"] = (
            ~keep if padding == "bool" else np.where(keep, 0, -np.inf).astype(np.float32)
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mixed bool/float masks: a deprecation in both
        _compare_calls(ours, theirs, arrays, kw, seed)


def test_multihead_attention_self_attention_and_causal_hint_match_pytorch():
    ours, theirs = _pair(lambda m: m.MultiheadAttention(6, 3, batch_first=True), 3)
    x = np.random.default_rng(3).standard_normal((2, 4, 6)).astype(np.float32)
    causal = np.triu(np.full((4, 4), -np.inf, dtype=np.float32), 1)
    for need_weights in (True, False):
        kw = dict(is_causal=True, need_weights=need_weights)
        xo, xt = _both(x, requires_grad=True)
        yo, wo = ours(xo, xo, xo, attn_mask=et.tensor(causal), **kw)
        yt, wt = theirs(xt, xt, xt, attn_mask=torch.tensor(causal), **kw)
        _close(yo, yt, 1e-5)
        assert (wo is None) == (wt is None)
        yo.sum().backward()
        yt.sum().backward()
        _close(xo.grad, xt.grad, 1e-4)


def _error(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except Exception as exc:
        return type(exc).__name__, str(exc).replace("eagertorch.Size", "torch.Size")
    raise AssertionError("no error raised")


@pytest.mark.parametrize(
    "query, key, kwargs",
    [
        ((3, 2, 4), (5, 2, 4), dict(attn_mask=np.zeros((3, 4), np.float32))),
        ((3, 2, 4), (5, 2, 4), dict(attn_mask=np.zeros((3, 3, 5), np.float32))),
        ((3, 2, 4), (5, 2, 4), dict(attn_mask=np.zeros((1, 2, 3, 5), np.float32))),
        ((3, 2, 4), (5, 2, 4), dict(key_padding_mask=np.zeros((2, 4), bool))),
        ((3, 2, 4), (5, 2, 4), dict(key_padding_mask=np.zeros((2,), bool))),
        ((3, 2, 4), (5, 4), {}),
        ((3, 4), (5, 2, 4), {}),
        ((3, 4), (5, 4), dict(key_padding_mask=np.zeros((1, 5), bool))),
        ((3, 4), (5, 4), dict(attn_mask=np.zeros((1, 3, 5), np.float32))),
        ((3, 2, 4), (5, 2, 4), dict(attn_mask=np.zeros((3, 5), np.int64))),
        ((3, 2, 4), (5, 2, 4), dict(is_causal=True)),
        ((3, 2, 3), (5, 2, 3), {}),
        ((2, 3, 2, 4), (5, 2, 4), {}),
    ],
)
def test_multihead_attention_errors_match_pytorch(query, key, kwargs):
    ours, theirs = _pair(lambda m: m.MultiheadAttention(4, 2), 0)
    q, k = np.zeros(query, np.float32), np.zeros(key, np.float32)
    ko = {k_: et.tensor(v) if isinstance(v, np.ndarray) else v for k_, v in kwargs.items()}
    kt = {k_: torch.tensor(v) if isinstance(v, np.ndarray) else v for k_, v in kwargs.items()}
    assert _error(ours, et.tensor(q), et.tensor(k), et.tensor(k), **ko) == _error(
        theirs, torch.tensor(q), torch.tensor(k), torch.tensor(k), **kt
    )


def test_multihead_attention_constructor_errors_match_pytorch():
    for args in ((5, 2), (0, 1)):
        assert _error(nn.MultiheadAttention, *args) == _error(torch.nn.MultiheadAttention, *args)


# ----- Transformer encoder --------------------------------------------------------------------
@settings(max_examples=12)
@given(
    norm_first=st.booleans(),
    batch_first=st.booleans(),
    activation=st.sampled_from(["relu", "gelu"]),
    bias=st.booleans(),
    masks=st.sampled_from([None, "causal", "padding", "both"]),
    seed=st.integers(0, 1000),
)
def test_transformer_encoder_layer_matches_pytorch(
    norm_first, batch_first, activation, bias, masks, seed
):
    ours, theirs = _pair(
        lambda m: m.TransformerEncoderLayer(
            8, 2, dim_feedforward=16, activation=activation, batch_first=batch_first,
            norm_first=norm_first, bias=bias, layer_norm_eps=1e-6,
        ),
        seed,
    )  # fmt: skip
    rng = np.random.default_rng(seed)
    shape = (2, 5, 8) if batch_first else (5, 2, 8)
    kw = {}
    if masks in ("causal", "both"):
        kw["src_mask"] = np.triu(np.ones((5, 5), bool), 1)
    if masks in ("padding", "both"):
        pad = np.zeros((2, 5), bool)
        pad[0, 3:] = True
        kw["src_key_padding_mask"] = pad
    _compare_calls(ours, theirs, [rng.standard_normal(shape).astype(np.float32)], kw, seed)


def test_transformer_encoder_matches_pytorch_and_deep_copies_the_layer():
    def make(m):
        layer = m.TransformerEncoderLayer(8, 4, dim_feedforward=12, activation=m.GELU())
        return m.TransformerEncoder(layer, 3, norm=m.LayerNorm(8), enable_nested_tensor=False)

    ours, theirs = _pair(make, 5)
    assert ours.layers[0].linear1.weight is not ours.layers[1].linear1.weight
    x = np.random.default_rng(5).standard_normal((6, 3, 8)).astype(np.float32)
    causal = np.triu(np.full((6, 6), -np.inf, np.float32), 1)
    _compare_calls(ours, theirs, [x], dict(mask=causal), 5)
    # Inference (PyTorch may take its fused fast path here) agrees within float32 noise.
    with torch.no_grad(), et.no_grad():
        _close(ours(et.tensor(x)), theirs(torch.tensor(x)), 1e-5)


# ----- Transformer decoder and the full Transformer --------------------------------------------
@settings(max_examples=8)
@given(
    norm_first=st.booleans(),
    batch_first=st.booleans(),
    activation=st.sampled_from(["relu", "gelu"]),
    masks=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_transformer_decoder_layer_matches_pytorch(
    norm_first, batch_first, activation, masks, seed
):
    ours, theirs = _pair(
        lambda m: m.TransformerDecoderLayer(
            8, 2, dim_feedforward=12, activation=activation, batch_first=batch_first,
            norm_first=norm_first,
        ),
        seed,
    )  # fmt: skip
    rng = np.random.default_rng(seed)
    tgt = rng.standard_normal((2, 4, 8) if batch_first else (4, 2, 8)).astype(np.float32)
    memory = rng.standard_normal((2, 5, 8) if batch_first else (5, 2, 8)).astype(np.float32)
    kw = {}
    if masks:
        kw["tgt_mask"] = np.triu(np.full((4, 4), -np.inf, np.float32), 1)
        pad = np.zeros((2, 5), bool)
        pad[1, :2] = True
        kw["memory_key_padding_mask"] = pad
    _compare_calls(ours, theirs, [tgt, memory], kw, seed)


def test_transformer_matches_pytorch_with_masks():
    def make(m):
        return m.Transformer(8, 2, 2, 2, 12, batch_first=True, activation="gelu")

    ours, theirs = _pair(make, 11)
    rng = np.random.default_rng(11)
    src = rng.standard_normal((2, 5, 8)).astype(np.float32)
    tgt = rng.standard_normal((2, 3, 8)).astype(np.float32)
    tgt_mask = ours.generate_square_subsequent_mask(3)
    np.testing.assert_array_equal(
        tgt_mask.numpy(), theirs.generate_square_subsequent_mask(3).numpy()
    )
    pad = np.zeros((2, 5), bool)
    pad[0, 4] = True
    kw = dict(
        tgt_mask=tgt_mask.numpy(),
        src_key_padding_mask=pad,
        memory_key_padding_mask=pad,
        tgt_is_causal=True,
    )
    _compare_calls(ours, theirs, [src, tgt], kw, 11)
    bad = np.zeros((3, 3, 8), np.float32)
    assert _error(ours, et.tensor(src), et.tensor(bad)) == _error(
        theirs, torch.tensor(src), torch.tensor(bad)
    )
    bad = np.zeros((2, 3, 4), np.float32)
    assert _error(ours, et.tensor(src), et.tensor(bad)) == _error(
        theirs, torch.tensor(src), torch.tensor(bad)
    )
