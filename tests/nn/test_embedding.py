"""Embedding, EmbeddingBag, F.embedding, F.embedding_bag and F.one_hot: lookups, gradients
(padding_idx, scale_grad_by_freq), max_norm, init, from_pretrained and errors."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import eagertorch as et
import eagertorch.nn.functional as F
from eagertorch import nn
from eagertorch.autograd import gradcheck, gradgradcheck


@st.composite
def lookups(draw):
    num = draw(st.integers(1, 6))
    dim = draw(st.integers(0, 3))
    shape = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
    idx = np.array(
        draw(
            st.lists(
                st.integers(0, num - 1), min_size=int(np.prod(shape)), max_size=int(np.prod(shape))
            )
        )
    ).reshape(shape)
    return num, dim, idx.astype(np.int64)


def _reference_grad(idx, g, num, padding_idx=None, scale=False):
    out = np.zeros((num, g.shape[-1]))
    flat = idx.reshape(-1)
    counts = np.bincount(flat, minlength=num)
    for i, row in zip(flat, g.reshape(flat.size, g.shape[-1])):
        if i != padding_idx:
            out[i] += row / (counts[i] if scale else 1)
    return out


@given(case=lookups(), padding=st.booleans(), scale=st.booleans())
def test_embedding_gathers_rows_and_scatters_gradients(case, padding, scale):
    num, dim, idx = case
    rng = np.random.default_rng(0)
    w = et.tensor(rng.standard_normal((num, dim)), requires_grad=True)
    padding_idx = int(idx.reshape(-1)[0]) if padding and idx.size else None
    y = F.embedding(et.tensor(idx), w, padding_idx=padding_idx, scale_grad_by_freq=scale)
    assert y.shape == (*idx.shape, dim)
    np.testing.assert_array_equal(y.detach().numpy(), w.detach().numpy()[idx])
    g = rng.standard_normal(y.shape)
    y.backward(et.tensor(g))
    np.testing.assert_allclose(
        w.grad.numpy(), _reference_grad(idx, g, num, padding_idx, scale), atol=1e-12
    )


def test_embedding_gradcheck_and_gradgradcheck_with_repeats():
    idx = et.tensor([[0, 2, 2], [1, 0, 2]])
    w = et.randn(4, 3, dtype=et.float64, requires_grad=True)
    f = lambda w: F.embedding(idx, w)  # noqa: E731
    assert gradcheck(f, (w,)) and gradgradcheck(f, (w,))
    # scale_grad_by_freq is not a derivative (gradcheck would disagree by design), but its
    # backward must still be consistently differentiable.
    assert gradgradcheck(lambda w: F.embedding(idx, w, scale_grad_by_freq=True), (w,))
    # With padding_idx, the double backward still zeroes the padding lookups.
    w.grad = None
    (gw,) = et.autograd.grad(F.embedding(idx, w, padding_idx=2).pow(2).sum(), w, create_graph=True)
    gw.sum().backward()
    np.testing.assert_allclose(w.grad.numpy()[2], 0.0)
    assert w.grad.numpy()[0].tolist() == [4.0] * 3  # index 0 appears twice: d/dw of 2 * 2w


def test_embedding_module_padding_row_is_zero_and_never_receives_gradient():
    emb = nn.Embedding(10, 4, padding_idx=3)
    assert emb.weight.numpy(force=True)[3].tolist() == [0.0] * 4
    idx = et.tensor([[3, 1, 3], [2, 3, 1]])
    emb(idx).pow(2).sum().backward()
    grad = emb.weight.grad.numpy()
    assert grad[3].tolist() == [0.0] * 4
    assert np.abs(grad[1]).sum() > 0
    assert grad[[0, 4, 5, 6, 7, 8, 9]].max() == 0.0


def test_negative_padding_idx_is_counted_from_the_end():
    emb = nn.Embedding(5, 2, padding_idx=-1)
    assert emb.padding_idx == 4 and emb.weight.numpy(force=True)[4].tolist() == [0.0, 0.0]
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(5, 2, padding_idx=5)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(5, 2, padding_idx=-6)


def test_default_init_is_standard_normal_and_float32():
    et.manual_seed(0)
    w = nn.Embedding(1000, 100).weight
    assert w.dtype == et.float32 and w.requires_grad
    a = w.numpy(force=True)
    assert abs(a.mean()) < 0.01 and abs(a.std() - 1.0) < 0.01
    assert nn.Embedding(3, 2, dtype=et.float64).weight.dtype == et.float64


def test_from_pretrained_shares_the_tensor_and_freezes_by_default():
    table = et.randn(4, 3)
    emb = nn.Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad and emb.weight.data_ptr() == table.data_ptr()
    assert emb.num_embeddings == 4 and emb.embedding_dim == 3
    np.testing.assert_array_equal(emb(et.tensor([2])).numpy(), table.numpy()[[2]])
    trainable = nn.Embedding.from_pretrained(table, freeze=False, padding_idx=1)
    assert trainable.weight.requires_grad and trainable.padding_idx == 1
    # from_pretrained keeps the given padding row (it is not zeroed), as PyTorch.
    np.testing.assert_array_equal(trainable.weight.numpy(force=True)[1], table.numpy()[1])
    with pytest.raises(
        AssertionError, match="Embeddings parameter is expected to be 2-dimensional"
    ):
        nn.Embedding.from_pretrained(et.randn(3))
    bag = nn.EmbeddingBag.from_pretrained(table, mode="sum")
    assert not bag.weight.requires_grad and bag.mode == "sum"


def test_max_norm_renormalises_looked_up_rows_in_place():
    w = et.tensor([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]])
    out = F.embedding(et.tensor([0, 1]), w, max_norm=1.0)
    np.testing.assert_allclose(np.linalg.norm(out.numpy(), axis=1), [1.0, 0.5], rtol=1e-5)
    np.testing.assert_allclose(w.numpy()[0], [0.6, 0.8], rtol=1e-5)  # modified in place
    np.testing.assert_array_equal(w.numpy()[2], [6.0, 8.0])  # not looked up: untouched
    emb = nn.Embedding(3, 2, max_norm=2.0, norm_type=1.0)
    with et.no_grad():
        emb.weight.copy_(et.tensor([[3.0, -3.0], [0.5, 0.5], [1.0, 1.0]]))
    emb(et.tensor([0, 2]))
    np.testing.assert_allclose(
        np.abs(emb.weight.numpy(force=True)).sum(1), [2.0, 1.0, 2.0], rtol=1e-5
    )


def test_repr_matches_pytorch_format():
    assert repr(nn.Embedding(10, 3)) == "Embedding(10, 3)"
    assert repr(nn.Embedding(10, 3, padding_idx=0, max_norm=1.0)) == (
        "Embedding(10, 3, padding_idx=0, max_norm=1.0)"
    )
    assert repr(nn.EmbeddingBag(10, 3, mode="sum")) == "EmbeddingBag(10, 3, mode='sum')"


def test_embedding_errors():
    w = et.randn(3, 2)
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(et.tensor([3]), w)
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(et.tensor([-1]), w)
    with pytest.raises(
        RuntimeError, match="'indices' to have one of the following scalar types: Long, Int"
    ):
        F.embedding(et.tensor([1.0]), w)
    assert F.embedding(et.tensor([1, 2], dtype=et.int32), w).shape == (2, 2)


# ----- one_hot ---------------------------------------------------------------------------------
def test_one_hot_values_shapes_and_errors():
    y = F.one_hot(et.tensor([[0, 2], [1, 0]]), 4)
    assert y.dtype == et.int64 and y.shape == (2, 2, 4)
    assert y.numpy()[0, 1].tolist() == [0, 0, 1, 0]
    assert F.one_hot(et.tensor([0, 3])).shape == (2, 4)
    with pytest.raises(RuntimeError, match=r"Class values must be smaller than num_classes\."):
        F.one_hot(et.tensor([3]), 3)
    with pytest.raises(RuntimeError, match=r"Class values must be non-negative\."):
        F.one_hot(et.tensor([-1]), 3)
    with pytest.raises(
        RuntimeError, match=r"one_hot is only applicable to index tensor of type LongTensor\."
    ):
        F.one_hot(et.tensor([1.0]), 3)


# ----- embedding_bag ------------------------------------------------------------------------------
def _bag_reference(idx, offsets, w, mode, padding_idx=None, psw=None):
    bounds = [*list(offsets), len(idx)]
    out = []
    for k in range(len(offsets)):
        picks = [
            (i, j)
            for j, i in enumerate(idx[bounds[k] : bounds[k + 1]], bounds[k])
            if i != padding_idx
        ]
        rows = [w[i] * (1 if psw is None else psw[j]) for i, j in picks]
        if not rows:
            out.append(np.zeros(w.shape[1]))
        elif mode == "sum":
            out.append(np.sum(rows, 0))
        elif mode == "mean":
            out.append(np.mean(rows, 0))
        else:
            out.append(np.max(rows, 0))
    return np.array(out).reshape(len(offsets), w.shape[1])


@given(
    sizes=st.lists(st.integers(0, 3), min_size=1, max_size=4),
    mode=st.sampled_from(["sum", "mean", "max"]),
    padding=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_embedding_bag_with_offsets_matches_reference_and_gradcheck(sizes, mode, padding, seed):
    rng = np.random.default_rng(seed)
    num = 5
    idx = rng.integers(0, num, sum(sizes))
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    w = rng.standard_normal((num, 2))
    padding_idx = 1 if padding else None
    out = F.embedding_bag(
        et.tensor(idx), et.tensor(w), et.tensor(offsets), mode=mode, padding_idx=padding_idx
    )
    np.testing.assert_allclose(
        out.numpy(), _bag_reference(idx, offsets, w, mode, padding_idx), atol=1e-12
    )
    if mode != "max":  # max is piecewise linear: ties between rows make finite differences lie
        wt = et.tensor(w, requires_grad=True)

        def f(w):
            return F.embedding_bag(
                et.tensor(idx), w, et.tensor(offsets), mode=mode, padding_idx=padding_idx
            )

        assert gradcheck(f, (wt,)) and gradgradcheck(f, (wt,))


def test_embedding_bag_2d_input_per_sample_weights_and_module():
    idx = np.array([[0, 2, 1], [3, 3, 0]])
    w = np.arange(12.0).reshape(4, 3)
    psw = np.array([[1.0, 0.5, 2.0], [0.0, 1.0, -1.0]])
    out = F.embedding_bag(
        et.tensor(idx), et.tensor(w), mode="sum", per_sample_weights=et.tensor(psw)
    )
    expected = _bag_reference(idx.reshape(-1), [0, 3], w, "sum", psw=psw.reshape(-1))
    np.testing.assert_allclose(out.numpy(), expected)
    bag = nn.EmbeddingBag(4, 3, mode="max")
    with et.no_grad():
        bag.weight.copy_(et.tensor(w, dtype=et.float32))
    np.testing.assert_allclose(
        bag(et.tensor(idx)).detach().numpy(), [w[[0, 2, 1]].max(0), w[[3, 0]].max(0)]
    )
    last = F.embedding_bag(
        et.tensor([0, 1, 2, 3]),
        et.tensor(w),
        et.tensor([0, 1, 4]),
        include_last_offset=True,
        mode="sum",
    )
    np.testing.assert_allclose(last.numpy(), [w[0], w[1:].sum(0)])


def test_embedding_bag_errors():
    w = et.randn(4, 2)
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(et.tensor([0, 1]), w)
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        F.embedding_bag(et.tensor([[0, 1]]), w, et.tensor([0]))
    with pytest.raises(ValueError, match="mode has to be one of sum, mean or max"):
        F.embedding_bag(et.tensor([[0, 1]]), w, mode="median")
    with pytest.raises(
        NotImplementedError, match="per_sample_weights is only supported for mode='sum'"
    ):
        F.embedding_bag(et.tensor([[0, 1]]), w, per_sample_weights=et.ones(1, 2))
