"""Margin losses against PyTorch: values and gradients over random inputs, reductions and
hyper-parameters; the Modules (weights loaded through load_state_dict) and their reprs;
error types and messages for bad arguments."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eagertorch as et
import eagertorch.nn.functional as F
from eagertorch import nn

torch = pytest.importorskip("torch")
TF = torch.nn.functional

REDUCTIONS = st.sampled_from(["none", "mean", "sum"])


def _both(a):
    """The same float64 leaf (or integer target) for each library."""
    if a.dtype.kind == "f":
        return et.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    return et.tensor(a), torch.tensor(a)


def _compare(ours_fn, theirs_fn, arrays):
    pairs = [_both(a) for a in arrays]
    yo = ours_fn(*(p[0] for p in pairs))
    yt = theirs_fn(*(p[1] for p in pairs))
    assert tuple(yo.shape) == tuple(yt.shape)
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = np.random.default_rng(0).normal(size=tuple(yt.shape))
    yo.backward(et.tensor(g))
    yt.backward(torch.from_numpy(g))
    for o, t in pairs:
        if t.requires_grad:
            np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-12)


@settings(max_examples=8)
@given(
    batched=st.booleans(),
    p=st.sampled_from([1.0, 2.0, 3.0]),
    margin=st.sampled_from([0.3, 1.0, 2.5]),
    swap=st.booleans(),
    reduction=REDUCTIONS,
    seed=st.integers(0, 1000),
)
def test_triplet_losses_match_pytorch(batched, p, margin, swap, reduction, seed):
    rng = np.random.default_rng(seed)
    shape = (4, 3) if batched else (3,)
    arrays = [rng.normal(size=shape) for _ in range(3)]
    kw = dict(margin=margin, swap=swap, reduction=reduction)
    _compare(nn.TripletMarginLoss(p=p, **kw), torch.nn.TripletMarginLoss(p=p, **kw), arrays)
    _compare(
        lambda *a: F.triplet_margin_with_distance_loss(*a, **kw),
        lambda *a: TF.triplet_margin_with_distance_loss(*a, **kw),
        arrays,
    )


@settings(max_examples=10)
@given(
    n=st.integers(1, 3),
    c=st.integers(1, 4),
    p=st.sampled_from([1, 2]),
    margin=st.sampled_from([0.5, 1.0, 2.0]),
    weighted=st.booleans(),
    reduction=REDUCTIONS,
    seed=st.integers(0, 1000),
)
def test_multi_margin_loss_matches_pytorch(n, c, p, margin, weighted, reduction, seed):
    rng = np.random.default_rng(seed)
    w = torch.from_numpy(rng.uniform(0.5, 2.0, c)) if weighted else None
    theirs = torch.nn.MultiMarginLoss(p=p, margin=margin, weight=w, reduction=reduction)
    ours = nn.MultiMarginLoss(
        p=p,
        margin=margin,
        weight=et.zeros(c, dtype=et.float64) if weighted else None,
        reduction=reduction,
    )
    ours.load_state_dict({k: et.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    x, t = rng.normal(size=(n, c)), rng.integers(0, c, n)
    _compare(ours, theirs, [x, t])
    _compare(ours, theirs, [x[0], t[0]])  # unbatched, 0-dim target


@settings(max_examples=10)
@given(n=st.integers(1, 3), c=st.integers(1, 5), reduction=REDUCTIONS, seed=st.integers(0, 1000))
def test_multilabel_margin_loss_matches_pytorch(n, c, reduction, seed):
    rng = np.random.default_rng(seed)
    x, t = rng.normal(size=(n, c)), rng.integers(-1, c, (n, c))
    ours, theirs = (
        nn.MultiLabelMarginLoss(reduction=reduction),
        torch.nn.MultiLabelMarginLoss(reduction=reduction),
    )
    assert repr(ours) == repr(theirs)
    _compare(ours, theirs, [x, t])
    _compare(ours, theirs, [x[0], t[0]])


@settings(max_examples=8)
@given(
    n=st.integers(1, 3),
    c=st.integers(1, 4),
    weighted=st.booleans(),
    reduction=REDUCTIONS,
    seed=st.integers(0, 1000),
)
def test_multilabel_soft_margin_loss_matches_pytorch(n, c, weighted, reduction, seed):
    rng = np.random.default_rng(seed)
    w = torch.from_numpy(rng.uniform(0.5, 2.0, c)) if weighted else None
    theirs = torch.nn.MultiLabelSoftMarginLoss(weight=w, reduction=reduction)
    ours = nn.MultiLabelSoftMarginLoss(
        weight=et.zeros(c, dtype=et.float64) if weighted else None, reduction=reduction
    )
    ours.load_state_dict({k: et.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    assert repr(ours) == repr(theirs)
    x, t = rng.normal(size=(n, c)) * 3, rng.uniform(size=(n, c))
    _compare(ours, theirs, [x, t])


def _bad_calls(lib, f):
    x, x1, x3 = lib.randn(2, 4), lib.randn(4), lib.randn(2, 3, 4)
    long = lib.tensor([1, 2])
    return [
        lambda: f.triplet_margin_loss(x, x, x1),
        lambda: f.triplet_margin_loss(x, x, x, margin=0),
        lambda: f.triplet_margin_with_distance_loss(x1, x, x),
        lambda: f.triplet_margin_with_distance_loss(x, x, x, reduction="bad"),
        lambda: f.multi_margin_loss(x, long, p=3),
        lambda: f.multi_margin_loss(x, long, weight=lib.ones(4, 1)),
        lambda: f.multi_margin_loss(x, long, weight=lib.ones(3)),
        lambda: f.multi_margin_loss(x, lib.tensor([1, 2, 3])),
        lambda: f.multi_margin_loss(x1, lib.tensor([[1]])),
        lambda: f.multi_margin_loss(x, lib.tensor([1.0, 2.0])),
        lambda: f.multi_margin_loss(x, lib.tensor([1, 4])),
        lambda: f.multi_margin_loss(x, lib.tensor([1, -1])),
        lambda: f.multi_margin_loss(x3, long),
        lambda: f.multi_margin_loss(x, long, reduction="bad"),
        lambda: f.multilabel_margin_loss(x, lib.tensor([[1, -1, 0, 0]])),
        lambda: f.multilabel_margin_loss(x1, lib.tensor([1, -1, 0])),
        lambda: f.multilabel_margin_loss(x, lib.zeros(2, 4)),
        lambda: f.multilabel_margin_loss(x, lib.tensor([[1, -1, 7, 0], [0, 1, 2, 3]])),
        lambda: f.multilabel_margin_loss(x, lib.tensor([[1, -2, 0, 0], [0, 1, 2, 3]])),
        lambda: f.multilabel_margin_loss(x3, lib.zeros(2, 3, 4, dtype=lib.int64)),
        lambda: f.multilabel_soft_margin_loss(x, x, reduction="bad"),
        lambda: lib.nn.TripletMarginLoss(margin=-1.0),
        lambda: lib.nn.TripletMarginWithDistanceLoss(margin=0.0),
        lambda: lib.nn.MultiMarginLoss(p=3),
        lambda: lib.nn.MultiMarginLoss(weight=lib.ones(2, 2)),
    ]


@pytest.mark.parametrize("i", range(len(_bad_calls(et, F))))
def test_errors_match_pytorch(i):
    with pytest.raises(Exception) as theirs:
        _bad_calls(torch, TF)[i]()
    with pytest.raises(Exception) as ours:
        _bad_calls(et, F)[i]()
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)


def test_triplet_loss_module_reprs_match_pytorch():
    # the default distance of TripletMarginWithDistanceLoss is a PairwiseDistance submodule
    for make in (
        lambda nn: nn.TripletMarginLoss(margin=0.5, p=1.0, swap=True),
        lambda nn: nn.TripletMarginWithDistanceLoss(),
        lambda nn: nn.TripletMarginWithDistanceLoss(distance_function=nn.PairwiseDistance(p=1.0)),
    ):
        assert repr(make(nn)) == repr(make(torch.nn))
