"""Triplet, multi-margin, multi-label margin and multi-label soft margin losses: values
against numpy loops, gradcheck and gradgradcheck over random shapes and reductions, the
legacy reduction arguments, errors and the Module layer."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eagertorch as et
import eagertorch.nn.functional as F
from eagertorch import nn
from eagertorch.autograd import gradcheck, gradgradcheck

REDUCTIONS = st.sampled_from(["none", "mean", "sum"])


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean() if loss.size else math.nan
    return loss.sum() if reduction == "sum" else loss


def _check(fn, tensors, expected):
    """Value against the numpy reference, then gradcheck and gradgradcheck in float64."""
    np.testing.assert_allclose(fn(*tensors).numpy(force=True), expected, rtol=1e-10, atol=1e-12)
    assert gradcheck(fn, tensors)
    assert gradgradcheck(fn, tensors)


def _leaf(a):
    return et.tensor(a, requires_grad=True)


# ----- triplets -----------------------------------------------------------------------------------
def _np_distance(x, y, p, eps):
    return (np.abs(x - y + eps) ** p).sum(-1) ** (1 / p)


@settings(max_examples=10)
@given(
    batched=st.booleans(),
    d=st.integers(1, 4),
    p=st.sampled_from([1.0, 2.0, 3.0]),
    margin=st.sampled_from([0.5, 1.0, 3.0]),
    swap=st.booleans(),
    reduction=REDUCTIONS,
    seed=st.integers(0, 1000),
)
def test_triplet_margin_loss_matches_numpy(batched, d, p, margin, swap, reduction, seed):
    rng = np.random.default_rng(seed)
    shape = (3, d) if batched else (d,)
    a, pos, neg = (rng.normal(size=shape) for _ in range(3))
    dist_neg = _np_distance(a, neg, p, 1e-6)
    if swap:
        dist_neg = np.minimum(dist_neg, _np_distance(pos, neg, p, 1e-6))
    loss = np.maximum(margin + _np_distance(a, pos, p, 1e-6) - dist_neg, 0)

    def fn(a, pos, neg):
        return F.triplet_margin_loss(
            a, pos, neg, margin=margin, p=p, swap=swap, reduction=reduction
        )

    _check(fn, (_leaf(a), _leaf(pos), _leaf(neg)), _reduce(loss, reduction))
    module = nn.TripletMarginLoss(margin=margin, p=p, swap=swap, reduction=reduction)
    np.testing.assert_allclose(
        module(et.tensor(a), et.tensor(pos), et.tensor(neg)).numpy(), _reduce(loss, reduction)
    )


@settings(max_examples=5)
@given(swap=st.booleans(), reduction=REDUCTIONS, seed=st.integers(0, 1000))
def test_triplet_with_distance_uses_the_given_function(swap, reduction, seed):
    rng = np.random.default_rng(seed)
    a, pos, neg = (rng.normal(size=(4, 3)) for _ in range(3))

    def cosine(x, y):
        return 1 - (x * y).sum(-1) / ((x * x).sum(-1) * (y * y).sum(-1)).sqrt()

    def np_cosine(x, y):
        return 1 - (x * y).sum(-1) / np.sqrt((x * x).sum(-1) * (y * y).sum(-1))

    dist_neg = np_cosine(a, neg)
    if swap:
        dist_neg = np.minimum(dist_neg, np_cosine(pos, neg))
    loss = np.maximum(0.7 + np_cosine(a, pos) - dist_neg, 0)

    def fn(a, pos, neg):
        return F.triplet_margin_with_distance_loss(
            a, pos, neg, distance_function=cosine, margin=0.7, swap=swap, reduction=reduction
        )

    _check(fn, (_leaf(a), _leaf(pos), _leaf(neg)), _reduce(loss, reduction))
    # The default distance is the Euclidean pairwise distance: triplet_margin_loss's.
    default = nn.TripletMarginWithDistanceLoss(swap=swap, reduction=reduction)
    args = (et.tensor(a), et.tensor(pos), et.tensor(neg))
    np.testing.assert_allclose(
        default(*args).numpy(),
        F.triplet_margin_loss(*args, swap=swap, reduction=reduction).numpy(),
        rtol=1e-12,
    )


def test_triplet_errors():
    x2, x1 = et.randn(2, 3), et.randn(3)
    with pytest.raises(RuntimeError, match="anchor 2D, positive 2D, and negative 1D inputs"):
        F.triplet_margin_loss(x2, x2, x1)
    with pytest.raises(RuntimeError, match="anchor 1D, positive 2D, and negative 2D inputs"):
        F.triplet_margin_with_distance_loss(x1, x2, x2)
    with pytest.raises(ValueError, match="margin must be greater than 0, got 0"):
        F.triplet_margin_loss(x2, x2, x2, margin=0)
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        F.triplet_margin_with_distance_loss(x2, x2, x2, reduction="bad")
    with pytest.raises(ValueError, match="TripletMarginLoss: expected margin to be greater"):
        nn.TripletMarginLoss(margin=-1.0)
    with pytest.raises(ValueError, match="TripletMarginWithDistanceLoss: expected margin"):
        nn.TripletMarginWithDistanceLoss(margin=0.0)


# ----- multi-class margin -----------------------------------------------------------------------
def _np_multi_margin(x, t, p, margin, w):
    n, c = x.shape
    out = np.zeros(n)
    for i in range(n):
        for j in range(c):
            if j != t[i]:
                z = max(0.0, margin - x[i, t[i]] + x[i, j]) ** p
                out[i] += z * (1.0 if w is None else w[t[i]])
    return out / c


@settings(max_examples=12)
@given(
    n=st.integers(0, 3),
    c=st.integers(1, 4),
    p=st.sampled_from([1, 2]),
    margin=st.sampled_from([0.5, 1.0, 2.0]),
    weighted=st.booleans(),
    reduction=REDUCTIONS,
    seed=st.integers(0, 1000),
)
def test_multi_margin_loss_matches_numpy(n, c, p, margin, weighted, reduction, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c))
    t = rng.integers(0, c, n)
    w = rng.uniform(0.5, 2.0, c) if weighted else None
    expected = _reduce(_np_multi_margin(x, t, p, margin, w), reduction)
    target, weight = et.tensor(t), None if w is None else et.tensor(w)

    def fn(x):
        return F.multi_margin_loss(x, target, p, margin, weight, reduction=reduction)

    if n == 0 and reduction == "mean":
        assert math.isnan(fn(et.tensor(x)).item())
        return
    _check(fn, (_leaf(x),), expected)
    module = nn.MultiMarginLoss(p=p, margin=margin, weight=weight, reduction=reduction)
    np.testing.assert_allclose(module(et.tensor(x), target).numpy(), expected, rtol=1e-12)


def test_multi_margin_loss_unbatched_shapes():
    x = et.tensor([0.1, 0.9, -0.3], dtype=et.float64)
    expected = _np_multi_margin(x.numpy()[None], [1], 1, 1.0, None)[0]
    scalar = F.multi_margin_loss(x, et.tensor(1), reduction="none")
    vector = F.multi_margin_loss(x, et.tensor([1]), reduction="none")
    assert scalar.shape == () and vector.shape == (1,)
    np.testing.assert_allclose(scalar.item(), expected)
    np.testing.assert_allclose(vector.numpy(), [expected])


def test_multi_margin_loss_errors():
    x, t = et.randn(2, 4), et.tensor([1, 2])
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        F.multi_margin_loss(x, t, p=3)
    with pytest.raises(ValueError, match="weight must be one-dimensional"):
        F.multi_margin_loss(x, t, weight=et.ones(4, 1))
    with pytest.raises(RuntimeError, match="inconsistent weight size, expected 4 but got"):
        F.multi_margin_loss(x, t, weight=et.ones(3))
    with pytest.raises(RuntimeError, match=r"Expected target size \[2\], but got \[3\]"):
        F.multi_margin_loss(x, et.tensor([1, 2, 3]))
    with pytest.raises(RuntimeError, match="expected scalar type Long but found Float"):
        F.multi_margin_loss(x, et.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="target out of range"):
        F.multi_margin_loss(x, et.tensor([1, 4]))
    with pytest.raises(RuntimeError, match="Expected non-empty vector or matrix"):
        F.multi_margin_loss(et.randn(2, 3, 4), t)
    with pytest.raises(ValueError, match="MultiMarginLoss: expected weight to be None or 1D"):
        nn.MultiMarginLoss(weight=et.ones(2, 2))


# ----- multi-label margin -----------------------------------------------------------------------
def _np_multilabel_margin(x, t):
    n, c = x.shape
    out = np.zeros(n)
    for i in range(n):
        labels = []
        for k in t[i]:
            if k == -1:
                break
            labels.append(k)
        for j in labels:
            for k in range(c):
                if k not in labels:
                    out[i] += max(0.0, 1 - (x[i, j] - x[i, k]))
    return out / c


@settings(max_examples=12)
@given(
    n=st.integers(1, 3),
    c=st.integers(1, 5),
    reduction=REDUCTIONS,
    seed=st.integers(0, 1000),
)
def test_multilabel_margin_loss_matches_numpy(n, c, reduction, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c))
    t = rng.integers(-1, c, (n, c))  # -1 ends each row's labels; what follows is ignored
    expected = _reduce(_np_multilabel_margin(x, t), reduction)
    target = et.tensor(t)

    def fn(x):
        return F.multilabel_margin_loss(x, target, reduction=reduction)

    _check(fn, (_leaf(x),), expected)
    module = nn.MultiLabelMarginLoss(reduction=reduction)
    np.testing.assert_allclose(module(et.tensor(x), target).numpy(), expected, rtol=1e-12)
    unbatched = F.multilabel_margin_loss(et.tensor(x[0]), et.tensor(t[0]), reduction="none")
    assert unbatched.shape == ()
    np.testing.assert_allclose(unbatched.item(), _np_multilabel_margin(x[:1], t[:1])[0])


def test_multilabel_margin_loss_errors():
    x = et.randn(2, 4)
    with pytest.raises(RuntimeError, match=r"inconsistent target size: \[1, 4\] for input"):
        F.multilabel_margin_loss(x, et.tensor([[1, -1, 0, 0]]))
    with pytest.raises(RuntimeError, match="expected scalar type Long but found Float"):
        F.multilabel_margin_loss(x, et.zeros(2, 4))
    with pytest.raises(RuntimeError, match="argument #2 'target' is out of range"):
        F.multilabel_margin_loss(x, et.tensor([[1, -1, 0, 0], [1, 2, 3, 4]]))


# ----- multi-label soft margin ------------------------------------------------------------------
@settings(max_examples=10)
@given(
    n=st.integers(1, 3),
    c=st.integers(1, 4),
    weighted=st.booleans(),
    reduction=REDUCTIONS,
    seed=st.integers(0, 1000),
)
def test_multilabel_soft_margin_loss_matches_numpy(n, c, weighted, reduction, seed):
    rng = np.random.default_rng(seed)
    x, t = rng.normal(size=(n, c)) * 3, rng.uniform(size=(n, c))
    w = rng.uniform(0.5, 2.0, c) if weighted else None
    loss = t * np.logaddexp(0, -x) + (1 - t) * np.logaddexp(0, x)
    if w is not None:
        loss = loss * w
    expected = _reduce(loss.mean(-1), reduction)
    target, weight = et.tensor(t), None if w is None else et.tensor(w)

    def fn(x):
        return F.multilabel_soft_margin_loss(x, target, weight, reduction=reduction)

    _check(fn, (_leaf(x),), expected)
    module = nn.MultiLabelSoftMarginLoss(weight=weight, reduction=reduction)
    np.testing.assert_allclose(module(et.tensor(x), target).numpy(), expected, rtol=1e-12)
    with pytest.raises(ValueError, match="bad is not valid"):
        F.multilabel_soft_margin_loss(et.tensor(x), target, reduction="bad")


# ----- the legacy arguments and the Module layer ------------------------------------------------
def _calls():
    x, t = et.randn(3, 4), et.tensor([0, 3, 1])
    a, p, n = et.randn(3, 4), et.randn(3, 4), et.randn(3, 4)
    labels = et.tensor([[0, 2, -1, 1], [3, -1, 0, 0], [1, 2, 3, 0]])
    soft = (et.rand(3, 4) > 0.5).float()
    return [
        (F.triplet_margin_loss, nn.TripletMarginLoss, (a, p, n)),
        (F.multi_margin_loss, nn.MultiMarginLoss, (x, t)),
        (F.multilabel_margin_loss, nn.MultiLabelMarginLoss, (x, labels)),
        (F.multilabel_soft_margin_loss, nn.MultiLabelSoftMarginLoss, (x, soft)),
    ]


@pytest.mark.parametrize(
    "size_average, reduce, reduction",
    [(None, False, "none"), (False, None, "sum"), (True, True, "mean"), (False, False, "none")],
)
def test_legacy_arguments_map_to_reduction(size_average, reduce, reduction):
    for fn, cls, args in _calls():
        expected = fn(*args, reduction=reduction).numpy()
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            got = fn(*args, size_average=size_average, reduce=reduce)
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6)
        with pytest.warns(UserWarning, match="size_average and reduce args"):
            module = cls(size_average=size_average, reduce=reduce)
        assert module.reduction == reduction
        np.testing.assert_allclose(module(*args).numpy(), expected, rtol=1e-6)


def test_weight_is_a_buffer_and_reprs():
    w = et.tensor([1.0, 2.0, 3.0])
    for cls in (nn.MultiMarginLoss, nn.MultiLabelSoftMarginLoss):
        m = cls(weight=w)
        assert list(m.state_dict()) == ["weight"] and not list(m.parameters())
    assert repr(nn.MultiMarginLoss(p=2, margin=0.5)) == "MultiMarginLoss()"
    assert repr(nn.TripletMarginLoss(margin=2.0, swap=True)) == "TripletMarginLoss()"
    assert repr(nn.MultiLabelMarginLoss()) == "MultiLabelMarginLoss()"
