"""Embedding, EmbeddingBag and F.one_hot against PyTorch with identical weights."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import eagertorch as et
import eagertorch.nn.functional as F
from eagertorch import nn

torch = pytest.importorskip("torch")
TF = torch.nn.functional


@given(
    padding_idx=st.none() | st.integers(-6, 5),
    scale=st.booleans(),
    max_norm=st.none() | st.sampled_from([0.5, 1.5]),
    norm_type=st.sampled_from([1.0, 2.0]),
    seed=st.integers(0, 1000),
)
def test_embedding_module_matches_pytorch(padding_idx, scale, max_norm, norm_type, seed):
    rng = np.random.default_rng(seed)
    kwargs = dict(
        padding_idx=padding_idx, scale_grad_by_freq=scale, max_norm=max_norm, norm_type=norm_type
    )
    theirs = torch.nn.Embedding(6, 3, **kwargs)
    ours = nn.Embedding(6, 3, **kwargs)
    assert repr(ours) == repr(theirs) and ours.padding_idx == theirs.padding_idx
    ours.load_state_dict({"weight": et.tensor(theirs.weight.detach().numpy())})
    idx = rng.integers(0, 6, (3, 4))
    g = rng.standard_normal((3, 4, 3)).astype(np.float32)
    yo, yt = ours(et.tensor(idx)), theirs(torch.tensor(idx))
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-6, atol=1e-6)
    yo.backward(et.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(
        ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-5, atol=1e-6
    )
    # max_norm renormalises the table in place, identically.
    np.testing.assert_allclose(
        ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-6, atol=1e-6
    )


def test_padding_row_init_and_from_pretrained_match_pytorch():
    assert (
        nn.Embedding(5, 2, padding_idx=2).weight.detach().numpy()[2].tolist()
        == torch.nn.Embedding(5, 2, padding_idx=2).weight.detach().numpy()[2].tolist()
    )
    table = np.arange(6.0).reshape(3, 2)
    ours = nn.Embedding.from_pretrained(et.tensor(table), padding_idx=0)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(table), padding_idx=0)
    assert ours.weight.requires_grad == theirs.weight.requires_grad
    np.testing.assert_array_equal(ours.weight.detach().numpy(), theirs.weight.detach().numpy())
    assert repr(ours) == repr(theirs)


@given(
    sizes=st.lists(st.integers(0, 3), min_size=1, max_size=4),
    mode=st.sampled_from(["sum", "mean", "max"]),
    padding=st.booleans(),
    last=st.booleans(),
    weights=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_embedding_bag_matches_pytorch(sizes, mode, padding, last, weights, seed):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((5, 3))
    idx = rng.integers(0, 5, sum(sizes))
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    if last:
        offsets = np.append(offsets, idx.size)
    psw = rng.standard_normal(idx.size) if weights and mode == "sum" else None
    kwargs = dict(mode=mode, padding_idx=1 if padding else None, include_last_offset=last)
    results = []
    for lib, fn in ((et, F.embedding_bag), (torch, TF.embedding_bag)):
        wt = lib.tensor(w, requires_grad=True)
        out = fn(
            lib.tensor(idx),
            wt,
            lib.tensor(offsets),
            per_sample_weights=None if psw is None else lib.tensor(psw),
            **kwargs,
        )
        out.backward(lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape))))
        results.append((out.detach().numpy(), wt.grad.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], atol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], atol=1e-12)


def test_embedding_bag_module_2d_input_and_repr_match_pytorch():
    theirs = torch.nn.EmbeddingBag(7, 4, mode="max", padding_idx=0)
    ours = nn.EmbeddingBag(7, 4, mode="max", padding_idx=0)
    assert repr(ours) == repr(theirs)
    ours.load_state_dict({"weight": et.tensor(theirs.weight.detach().numpy())})
    idx = np.array([[1, 0, 3], [6, 6, 2]])
    np.testing.assert_allclose(
        ours(et.tensor(idx)).detach().numpy(), theirs(torch.tensor(idx)).detach().numpy()
    )


def test_one_hot_matches_pytorch():
    idx = np.array([[0, 3], [2, 1]])
    np.testing.assert_array_equal(
        F.one_hot(et.tensor(idx)).numpy(), TF.one_hot(torch.tensor(idx)).numpy()
    )
    np.testing.assert_array_equal(
        F.one_hot(et.tensor(idx), 6).numpy(), TF.one_hot(torch.tensor(idx), 6).numpy()
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, F_: F_.embedding(lib.tensor([5]), lib.randn(3, 2)),
        lambda lib, F_: F_.embedding(lib.tensor([1.0]), lib.randn(3, 2)),
        lambda lib, F_: lib.nn.Embedding(3, 2, padding_idx=3),
        lambda lib, F_: F_.one_hot(lib.tensor([3]), 3),
        lambda lib, F_: F_.one_hot(lib.tensor([-1]), 3),
        lambda lib, F_: F_.one_hot(lib.tensor([1.0]), 3),
        lambda lib, F_: F_.embedding_bag(lib.tensor([0, 1]), lib.randn(3, 2)),
        lambda lib, F_: F_.embedding_bag(lib.tensor([[0, 1]]), lib.randn(3, 2), mode="median"),
    ],
)
def test_error_messages_match_pytorch(call):
    with pytest.raises(Exception) as theirs:
        call(torch, TF)
    with pytest.raises(type(theirs.value)) as ours:
        call(et, F)
    assert str(ours.value) == str(theirs.value)
