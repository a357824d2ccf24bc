"""Losses: values against numpy references, gradcheck and gradgradcheck over random shapes,
weights, reductions and hyper-parameters; stability for huge logits; errors; legacy
arguments; the Module layer."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import eagertorch as et
import eagertorch.nn.functional as F
from eagertorch import nn
from eagertorch.autograd import grad, gradcheck, gradgradcheck
from eagertorch.testing.strategies import arrays, shapes

REDUCTIONS = st.sampled_from(["none", "mean", "sum"])


def _t(a, requires_grad=True):
    return et.tensor(a, requires_grad=requires_grad and np.asarray(a).dtype.kind == "f")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.sum() / loss.size if loss.size else math.nan
    return loss.sum() if reduction == "sum" else loss


def _check(fn, args, expected, gradgrad=True, rtol=1e-10, atol=1e-12):
    """Value against ``expected``, then gradcheck and gradgradcheck (float64).

    An empty batch's mean is nan (as in PyTorch); its gradient is not checked."""
    out = fn(*args)
    np.testing.assert_allclose(out.numpy(force=True), expected, rtol=rtol, atol=atol)
    if np.isfinite(expected).all() and any(
        isinstance(a, et.Tensor) and a.requires_grad for a in args
    ):
        assert gradcheck(fn, args)
        if gradgrad:
            assert gradgradcheck(fn, args)


def _log_softmax(x, axis):
    z = x - x.max(axis=axis, keepdims=True, initial=-np.inf)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


# ----- cross entropy and nll on class indices ----------------------------------------------------
@st.composite
def class_problems(draw, max_classes=4):
    n = draw(st.integers(0, 3))
    c = draw(st.integers(1, max_classes))
    extra = draw(st.lists(st.integers(1, 3), max_size=1))
    x = draw(arrays(np.float64, (n, c, *extra), -5, 5))
    ignore = draw(st.sampled_from([-100, 0, c - 1]))
    target = draw(
        hnp.arrays(np.int64, (n, *extra), elements=st.integers(0, c - 1) | st.just(ignore))
    )
    weight = draw(st.none() | arrays(np.float64, (c,), 0.1, 2.0))
    return x, target, weight, ignore, draw(REDUCTIONS)


def _ce_reference(x, t, weight, ignore_index, reduction, label_smoothing=0.0, log_probs=False):
    """PyTorch's definition, written out: weighted nll plus label smoothing, weighted mean."""
    c = x.shape[1]
    logp = x if log_probs else _log_softmax(x, 1)
    w = np.ones(c) if weight is None else weight
    valid = t != ignore_index
    safe = np.where(valid, t, 0)
    wt = w[safe] * valid
    nll = -np.take_along_axis(logp, safe[:, None], 1)[:, 0] * wt
    smooth = -(logp * w.reshape((1, c) + (1,) * (x.ndim - 2))).sum(1) * valid
    loss = nll * (1 - label_smoothing) + smooth * (label_smoothing / c)
    if reduction == "none":
        return loss
    return loss.sum() / (wt.sum() if reduction == "mean" else 1.0)


@settings(max_examples=20)
@given(problem=class_problems(), label_smoothing=st.sampled_from([0.0, 0.0, 0.1, 0.6]))
def test_cross_entropy_class_indices_values_and_gradients(problem, label_smoothing):
    x, t, weight, ignore, reduction = problem
    counted = t != ignore
    assume(reduction != "mean" or counted.any())
    expected = _ce_reference(x, t, weight, ignore, reduction, label_smoothing)
    w = None if weight is None else et.tensor(weight)

    def fn(a):
        return F.cross_entropy(
            a,
            et.tensor(t),
            w,
            ignore_index=ignore,
            reduction=reduction,
            label_smoothing=label_smoothing,
        )

    _check(fn, [_t(x)], expected)


@settings(max_examples=20)
@given(problem=class_problems())
def test_nll_loss_values_and_gradients(problem):
    x, t, weight, ignore, reduction = problem
    assume(reduction != "mean" or (t != ignore).any())
    expected = _ce_reference(x, t, weight, ignore, reduction, log_probs=True)
    w = None if weight is None else et.tensor(weight)

    def fn(a):
        return F.nll_loss(a, et.tensor(t), w, ignore_index=ignore, reduction=reduction)

    _check(fn, [_t(x)], expected)


def test_cross_entropy_fast_path_is_one_node_with_a_double_backward():
    x = et.randn(5, 4, dtype=et.float64, requires_grad=True)
    t = et.tensor([0, 3, 1, 1, 2])
    loss = F.cross_entropy(x, t)
    assert loss.grad_fn.name() == "CrossEntropyLossBackward0"
    assert loss.grad_fn.next_functions[0][0].name() == "AccumulateGrad"
    assert gradgradcheck(lambda a: F.cross_entropy(a, t), [x])
    assert gradgradcheck(lambda a: F.cross_entropy(a, t, reduction="none"), [x])
    # Backward reuses what forward cached: a second pass through a retained graph agrees.
    (g1,) = grad(loss, x, retain_graph=True)
    (g2,) = grad(loss, x)
    np.testing.assert_array_equal(g1.numpy(), g2.numpy())


def test_cross_entropy_hessian_is_diag_p_minus_p_p_transpose_over_n():
    x = et.randn(3, 4, dtype=et.float64, requires_grad=True)
    t = et.tensor([2, 0, 1])
    (g,) = grad(F.cross_entropy(x, t), x, create_graph=True)
    (h0,) = grad(g[0, 0], x)  # first row of the Hessian of sample 0
    p = F.softmax(x, 1).detach().numpy()[0]
    expected = np.zeros((3, 4))
    expected[0] = (np.eye(4)[0] * p[0] - p[0] * p) / 3
    np.testing.assert_allclose(h0.numpy(), expected, atol=1e-14)


def test_cross_entropy_unbatched_input_takes_a_zero_dim_target():
    x = et.tensor([0.5, 2.0, -1.0], dtype=et.float64)
    expected = -_log_softmax(x.numpy()[None], 1)[0, 1]
    assert F.cross_entropy(x, et.tensor(1)).item() == pytest.approx(expected)
    none = F.cross_entropy(x, et.tensor([1]), reduction="none")
    assert none.shape == () and none.item() == pytest.approx(expected)


def test_cross_entropy_accepts_uint8_targets_and_keeps_float32():
    x = et.randn(4, 3)
    loss = F.cross_entropy(x, et.tensor([0, 2, 1, 1], dtype=et.uint8))
    assert loss.dtype == et.float32
    assert loss.item() == pytest.approx(F.cross_entropy(x, et.tensor([0, 2, 1, 1])).item())


def test_cross_entropy_with_everything_ignored_is_nan_for_mean_and_zero_for_sum():
    x = et.randn(3, 4, requires_grad=True)
    t = et.tensor([-100, -100, -100])
    assert math.isnan(F.cross_entropy(x, t).item())
    total = F.cross_entropy(x, t, reduction="sum")
    assert total.item() == 0.0
    (g,) = grad(total, x)
    assert not g.numpy().any()
    assert math.isnan(F.cross_entropy(et.randn(0, 4), et.tensor([], dtype=et.int64)).item())


# ----- cross entropy on class probabilities ------------------------------------------------------
@settings(max_examples=20)
@given(
    data=st.data(),
    shape=shapes(min_dims=1, max_dims=3, min_side=1, max_side=3),
    reduction=REDUCTIONS,
    label_smoothing=st.sampled_from([0.0, 0.2]),
    weighted=st.booleans(),
)
def test_cross_entropy_probabilities_values_and_gradients(
    data, shape, reduction, label_smoothing, weighted
):
    x = data.draw(arrays(np.float64, shape, -5, 5))
    p = data.draw(arrays(np.float64, shape, 0, 1))
    class_dim = 0 if len(shape) == 1 else 1
    c = shape[class_dim]
    w = data.draw(arrays(np.float64, (c,), 0.1, 2)) if weighted else np.ones(c)
    q = p * (1 - label_smoothing) + label_smoothing / c
    wb = w.reshape((c,) + (1,) * (len(shape) - class_dim - 1))
    loss = -(_log_softmax(x, class_dim) * q * wb).sum(class_dim)
    expected = {"none": loss, "sum": loss.sum(), "mean": loss.sum() / (x.size / c)}[reduction]
    weight = et.tensor(w) if weighted else None

    def fn(a, b):
        return F.cross_entropy(a, b, weight, reduction=reduction, label_smoothing=label_smoothing)

    _check(fn, [_t(x), _t(p)], expected)


# ----- binary cross entropy ----------------------------------------------------------------------
@settings(max_examples=15)
@given(data=st.data(), shape=shapes(max_side=3), reduction=REDUCTIONS, weighted=st.booleans())
def test_binary_cross_entropy_values_and_gradients(data, shape, reduction, weighted):
    x = data.draw(arrays(np.float64, shape, 0.05, 0.95))
    y = data.draw(arrays(np.float64, shape, 0, 1))
    w = data.draw(arrays(np.float64, shape[-1:], 0.1, 2)) if weighted else None
    loss = -(y * np.log(x) + (1 - y) * np.log1p(-x)) * (1 if w is None else w)
    weight = None if w is None else et.tensor(w)

    def fn(a, b):
        return F.binary_cross_entropy(a, b, weight, reduction=reduction)

    _check(fn, [_t(x), _t(y)], _reduce(loss, reduction))


@settings(max_examples=15)
@given(
    data=st.data(),
    shape=shapes(min_dims=1, max_side=3),
    reduction=REDUCTIONS,
    weighted=st.booleans(),
    pos_weighted=st.booleans(),
)
def test_binary_cross_entropy_with_logits_values_and_gradients(
    data, shape, reduction, weighted, pos_weighted
):
    x = data.draw(arrays(np.float64, shape, -6, 6))
    y = data.draw(arrays(np.float64, shape, 0, 1))
    w = data.draw(arrays(np.float64, shape[-1:], 0.1, 2)) if weighted else None
    pw = data.draw(arrays(np.float64, shape[-1:], 0.1, 3)) if pos_weighted else None
    s = 1 / (1 + np.exp(-x))
    loss = -((1 if pw is None else pw) * y * np.log(s) + (1 - y) * np.log1p(-s))
    loss = loss * (1 if w is None else w)
    weight = None if w is None else et.tensor(w)
    args = [_t(x), _t(y)] + ([_t(pw)] if pos_weighted else [])

    def fn(a, b, c=None):
        return F.binary_cross_entropy_with_logits(a, b, weight, reduction=reduction, pos_weight=c)

    _check(fn, args, _reduce(loss, reduction))


def test_binary_cross_entropy_clamps_logs_at_minus_100():
    x = et.tensor([0.0, 1.0, 0.0], dtype=et.float64, requires_grad=True)
    y = et.tensor([1.0, 0.0, 0.0], dtype=et.float64)
    loss = F.binary_cross_entropy(x, y, reduction="none")
    np.testing.assert_array_equal(loss.detach().numpy(), [100.0, 100.0, 0.0])
    (g,) = grad(loss.sum(), x)
    np.testing.assert_allclose(g.numpy(), [-1e12, 1e12, 0.0])  # (x - y) / max(x(1-x), 1e-12)


# ----- stability for huge logits -----------------------------------------------------------------
@pytest.mark.parametrize("dtype", [et.float32, et.float64])
@pytest.mark.parametrize(
    "loss_fn",
    [
        lambda x: F.cross_entropy(x, et.tensor([0, 1, 2])),
        lambda x: F.cross_entropy(x, et.tensor([0, 1, 2]), label_smoothing=0.1),
        lambda x: F.cross_entropy(x, et.tensor([0, 1, 2]), weight=et.ones(3, dtype=x.dtype)),
        lambda x: F.cross_entropy(x, F.softmax(x.detach() * -1, 1)),
        lambda x: F.nll_loss(F.log_softmax(x, 1), et.tensor([2, 2, 0])),
        lambda x: F.binary_cross_entropy_with_logits(x, (x.detach() > 0).to(x.dtype)),
        lambda x: F.binary_cross_entropy_with_logits(
            x, et.ones_like(x), pos_weight=et.full((3,), 2.0, dtype=x.dtype)
        ),
        lambda x: F.soft_margin_loss(x, et.ones_like(x)),
    ],
    ids=["ce", "ce_smoothed", "ce_weighted", "ce_probs", "nll", "bce_logits", "pos_weight", "sm"],
)
def test_logits_of_1e4_give_finite_loss_and_gradient(loss_fn, dtype):
    values = [[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [0.0, -1e4, 1e4]]
    x = et.tensor(values, dtype=dtype, requires_grad=True)
    loss = loss_fn(x)
    (g,) = grad(loss, x)
    assert math.isfinite(loss.item())
    assert np.isfinite(g.numpy()).all()


def test_cross_entropy_of_huge_logits_is_exact():
    x = et.tensor([[1e4, -1e4], [1e4, -1e4]], dtype=et.float64)
    np.testing.assert_array_equal(
        F.cross_entropy(x, et.tensor([0, 1]), reduction="none").numpy(), [0.0, 2e4]
    )


# ----- regression and ranking losses -------------------------------------------------------------
_PAIRS = st.tuples(shapes(max_side=3), st.data())


def _pair(data, shape, low=-3, high=3):
    return (
        data.draw(arrays(np.float64, shape, low, high)),
        data.draw(arrays(np.float64, shape, low, high)),
    )


@settings(max_examples=15)
@given(data=st.data(), shape=shapes(max_side=3), reduction=REDUCTIONS)
def test_mse_and_l1_values_and_gradients(data, shape, reduction):
    x, y = _pair(data, shape)
    assume(np.all(np.abs(x - y) > 1e-3))  # |d| has a kink at 0
    _check(
        lambda a, b: F.mse_loss(a, b, reduction=reduction),
        [_t(x), _t(y)],
        _reduce((x - y) ** 2, reduction),
    )
    _check(
        lambda a, b: F.l1_loss(a, b, reduction=reduction),
        [_t(x), _t(y)],
        _reduce(np.abs(x - y), reduction),
    )


@settings(max_examples=15)
@given(
    data=st.data(),
    shape=shapes(max_side=3),
    reduction=REDUCTIONS,
    beta=st.floats(0.1, 2.0),
)
def test_smooth_l1_and_huber_values_and_gradients(data, shape, reduction, beta):
    x, y = _pair(data, shape)
    d = np.abs(x - y)
    assume(np.all(np.abs(d - beta) > 1e-3) and np.all(d > 1e-3))
    smooth = np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    _check(
        lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction, beta=beta),
        [_t(x), _t(y)],
        _reduce(smooth, reduction),
    )
    _check(
        lambda a, b: F.huber_loss(a, b, reduction=reduction, delta=beta),
        [_t(x), _t(y)],
        _reduce(smooth * beta, reduction),
    )


def test_smooth_l1_with_zero_beta_is_l1():
    x, y = et.randn(5, dtype=et.float64), et.randn(5, dtype=et.float64)
    assert F.smooth_l1_loss(x, y, beta=0.0).item() == pytest.approx(F.l1_loss(x, y).item())


@pytest.mark.parametrize("fn", [F.mse_loss, F.l1_loss])
def test_elementwise_weights_divide_the_mean_by_their_sum(fn):
    x, y = et.randn(2, 3, dtype=et.float64), et.randn(2, 3, dtype=et.float64)
    w = et.rand(2, 3, dtype=et.float64)
    per = fn(x, y, reduction="none") * w
    assert fn(x, y, weight=w).item() == pytest.approx(per.sum().item() / w.sum().item())
    assert fn(x, y, weight=w, reduction="sum").item() == pytest.approx(per.sum().item())
    with pytest.raises(ValueError, match=r"Weights and input must have the same size\."):
        fn(x, y, weight=et.rand(3))


@settings(max_examples=15)
@given(
    data=st.data(),
    shape=shapes(min_dims=1, max_dims=2, min_side=1, max_side=3),
    reduction=st.sampled_from(["none", "mean", "sum", "batchmean"]),
    log_target=st.booleans(),
)
def test_kl_div_values_and_gradients(data, shape, reduction, log_target):
    x = np.log(data.draw(arrays(np.float64, shape, 0.05, 1)))
    p = data.draw(arrays(np.float64, shape, 0.0, 1))
    q = np.log(p + 0.05) if log_target else p
    loss = (
        np.exp(q) * (q - x)
        if log_target
        else np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0) - p * x
    )
    expected = {
        "none": loss,
        "mean": loss.mean(),
        "sum": loss.sum(),
        "batchmean": loss.sum() / shape[0],
    }[reduction]
    args = [_t(x), _t(q)] if log_target or np.all(p > 0.01) else [_t(x)]

    def fn(a, b=None):
        target = et.tensor(q) if b is None else b
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return F.kl_div(a, target, reduction=reduction, log_target=log_target)

    _check(fn, args, expected)


def test_kl_div_mean_warns_that_batchmean_is_the_kl_divergence():
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(et.randn(2, 3), et.rand(2, 3))


def test_kl_div_zero_target_contributes_zero_and_a_finite_gradient():
    x = et.tensor([-1.0, -2.0], dtype=et.float64)
    t = et.tensor([0.0, 0.5], dtype=et.float64, requires_grad=True)
    loss = F.kl_div(x, t, reduction="sum")
    assert loss.item() == pytest.approx(0.5 * (math.log(0.5) + 2.0))
    (g,) = grad(loss, t)
    # d/dt [t log t - t x] is log(t) + 1 - x; at t = 0 only -x remains (no log(0)).
    np.testing.assert_allclose(g.numpy(), [1.0, math.log(0.5) + 1 + 2.0])


@settings(max_examples=15)
@given(
    data=st.data(),
    n=st.integers(1, 3),
    d=st.integers(1, 3),
    reduction=REDUCTIONS,
    margin=st.floats(-0.5, 0.5),
)
def test_cosine_embedding_loss_values_and_gradients(data, n, d, reduction, margin):
    a, b = _pair(data, (n, d))
    assume(np.all(np.linalg.norm(a, axis=1) > 0.1) and np.all(np.linalg.norm(b, axis=1) > 0.1))
    y = data.draw(hnp.arrays(np.int64, (n,), elements=st.sampled_from([1, -1])))
    cos = (a * b).sum(1) / np.sqrt(((a * a).sum(1) + 1e-12) * ((b * b).sum(1) + 1e-12))
    assume(np.all(np.abs(cos - margin) > 1e-3))
    loss = np.where(y == 1, 1 - cos, np.maximum(cos - margin, 0))

    def fn(u, v):
        return F.cosine_embedding_loss(u, v, et.tensor(y), margin, reduction=reduction)

    _check(fn, [_t(a), _t(b)], _reduce(loss, reduction))


@settings(max_examples=15)
@given(data=st.data(), n=st.integers(0, 4), reduction=REDUCTIONS, margin=st.floats(0, 1))
def test_margin_hinge_and_soft_margin_losses(data, n, reduction, margin):
    a, b = _pair(data, (n,))
    y = data.draw(hnp.arrays(np.float64, (n,), elements=st.sampled_from([1.0, -1.0])))
    rank = -y * (a - b) + margin
    assume(np.all(np.abs(rank) > 1e-3) and np.all(np.abs(margin - a) > 1e-3))
    _check(
        lambda u, v: F.margin_ranking_loss(u, v, et.tensor(y), margin, reduction=reduction),
        [_t(a), _t(b)],
        _reduce(np.maximum(rank, 0), reduction),
    )
    hinge = np.where(y == 1, a, np.maximum(margin - a, 0))
    _check(
        lambda u: F.hinge_embedding_loss(u, et.tensor(y), margin, reduction=reduction),
        [_t(a)],
        _reduce(hinge, reduction),
    )
    _check(
        lambda u, v: F.soft_margin_loss(u, v, reduction=reduction),
        [_t(a), _t(y)],
        _reduce(np.logaddexp(0, -y * a), reduction),
    )


@settings(max_examples=15)
@given(
    data=st.data(),
    shape=shapes(max_side=3),
    reduction=REDUCTIONS,
    log_input=st.booleans(),
    full=st.booleans(),
)
def test_poisson_nll_loss_values_and_gradients(data, shape, reduction, log_input, full):
    x = data.draw(arrays(np.float64, shape, 0.1, 3))
    y = data.draw(arrays(np.float64, shape, 0, 4))
    loss = np.exp(x) - y * x if log_input else x - y * np.log(x + 1e-8)
    if full:
        ys = np.where(y > 1, y, 1)
        loss = loss + np.where(y > 1, ys * np.log(ys) - ys + 0.5 * np.log(2 * np.pi * ys), 0)

    def fn(a):
        return F.poisson_nll_loss(a, et.tensor(y), log_input, full, reduction=reduction)

    _check(fn, [_t(x)], _reduce(loss, reduction))


@settings(max_examples=15)
@given(
    data=st.data(), shape=shapes(min_dims=1, max_side=3), reduction=REDUCTIONS, full=st.booleans()
)
def test_gaussian_nll_loss_values_and_gradients(data, shape, reduction, full):
    x, y = _pair(data, shape)
    var = data.draw(arrays(np.float64, shape, 0.1, 2))
    loss = 0.5 * (np.log(var) + (x - y) ** 2 / var) + (0.5 * math.log(2 * math.pi) if full else 0)

    def fn(a, b, v):
        return F.gaussian_nll_loss(a, b, v, full=full, reduction=reduction)

    _check(fn, [_t(x), _t(y), _t(var)], _reduce(loss, reduction))


def test_gaussian_nll_loss_clamps_variance_without_blocking_its_gradient():
    x = et.zeros(3, dtype=et.float64)
    y = et.ones(3, dtype=et.float64)
    var = et.tensor([0.0, 1e-9, 1.0], dtype=et.float64, requires_grad=True)
    loss = F.gaussian_nll_loss(x, y, var, reduction="sum")
    expected = sum(0.5 * (math.log(v) + 1 / v) for v in [1e-6, 1e-6, 1.0])
    assert loss.item() == pytest.approx(expected)
    (g,) = grad(loss, var)
    assert np.isfinite(g.numpy()).all() and g.numpy()[0] != 0
    homoscedastic = F.gaussian_nll_loss(et.zeros(2, 3), et.ones(2, 3), et.ones(2))
    assert homoscedastic.item() == pytest.approx(0.5)
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(et.zeros(2, 3), et.ones(2, 3), et.ones(3, 2))
    with pytest.raises(ValueError, match="var has negative entry/entries"):
        F.gaussian_nll_loss(x, y, -1.0)


# ----- legacy arguments and reductions -----------------------------------------------------------
@pytest.mark.parametrize(
    ("size_average", "reduce", "reduction"),
    [
        (None, None, "mean"),
        (True, None, "mean"),
        (False, None, "sum"),
        (None, True, "mean"),
        (None, False, "none"),
        (False, True, "sum"),
        (True, False, "none"),
        (False, False, "none"),
    ],
)
def test_legacy_size_average_and_reduce_map_as_pytorch(size_average, reduce, reduction):
    x, y = et.randn(2, 3), et.randn(2, 3)
    expected = F.mse_loss(x, y, reduction=reduction)
    legacy = size_average is not None or reduce is not None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = F.mse_loss(x, y, size_average=size_average, reduce=reduce)
        layer = nn.MSELoss(size_average=size_average, reduce=reduce)
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    assert layer.reduction == reduction
    messages = [str(w.message) for w in caught]
    expected_message = (
        f"size_average and reduce args will be deprecated, please use reduction='{reduction}' "
        "instead."
    )
    assert messages == ([expected_message] * 2 if legacy else [])


def test_unknown_reduction_is_a_value_error():
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        F.cross_entropy(et.randn(2, 3), et.tensor([0, 1]), reduction="avg")
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        F.mse_loss(et.randn(2), et.randn(2), reduction="avg")


def test_mse_with_a_broadcasting_target_warns_with_both_sizes():
    with pytest.warns(
        UserWarning,
        match=r"Using a target size \(.*Size\(\[3\]\)\) that is different to "
        r"the input size \(.*Size\(\[3, 1\]\)\)",
    ):
        F.mse_loss(et.randn(3, 1), et.randn(3))


# ----- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: F.cross_entropy(et.randn(4, 5), et.rand(4)),
            RuntimeError,
            "expected target dtype to be Long or Byte, but got Float",
        ),
        (
            lambda: F.cross_entropy(et.randn(4, 5), et.tensor([1, 2, 3, 4], dtype=et.int32)),
            RuntimeError,
            "expected target dtype to be Long or Byte, but got Int",
        ),
        (
            lambda: F.cross_entropy(et.randn(4, 5), et.tensor([1, 2, 3])),
            ValueError,
            r"Expected input batch_size \(4\) to match target batch_size \(3\).",
        ),
        (
            lambda: F.cross_entropy(et.randn(4, 5), et.tensor([1, 2, 3, 12])),
            IndexError,
            "Target 12 is out of bounds.",
        ),
        (
            lambda: F.nll_loss(et.randn(4, 5), et.tensor([1, -2, 3, 0])),
            IndexError,
            "Target -2 is out of bounds.",
        ),
        (
            lambda: F.cross_entropy(et.randn(4, 5), et.tensor([1, 2, 3, -100]), ignore_index=7),
            IndexError,
            "Target -100 is out of bounds.",
        ),
        (
            lambda: F.cross_entropy(et.randn(2, 3, 4), et.zeros(2, 3, dtype=et.int64)),
            RuntimeError,
            r"Expected target size \[2, 4\], got \[2, 3\]",
        ),
        (
            lambda: F.cross_entropy(et.randn(2, 5, 3, 3), et.zeros(2, 3, dtype=et.int64)),
            RuntimeError,
            "only batches of spatial targets supported",
        ),
        (
            lambda: F.cross_entropy(et.randn(4, 5), et.rand(4, 6)),
            RuntimeError,
            "0D or 1D target tensor expected, multi-target not supported",
        ),
        (
            lambda: F.cross_entropy(et.randn(3), et.tensor([1, 2])),
            ValueError,
            "For 1D input, 1D target must have size 1, but got target size: 2",
        ),
        (
            lambda: F.cross_entropy(et.randn(4, 5), et.tensor([0, 1, 2, 3]), weight=et.ones(3)),
            RuntimeError,
            r"defined either for all 5 classes or no classes but got weight tensor of shape: \[3\]",
        ),
        (
            lambda: F.cross_entropy(
                et.randn(4, 5), et.tensor([0, 1, 2, 3]), weight=et.ones(5, dtype=et.float64)
            ),
            RuntimeError,
            "expected scalar type Float but found Double",
        ),
        (
            lambda: F.cross_entropy(et.randn(4, 5), et.tensor([0, 1, 2, 3]), label_smoothing=1.5),
            RuntimeError,
            "label_smoothing must be between 0.0 and 1.0. Got: 1.5",
        ),
        (
            lambda: F.cross_entropy(et.randn(4, 5), et.rand(4, 5), ignore_index=1),
            RuntimeError,
            "ignore_index is not supported for floating point target",
        ),
        (
            lambda: F.cross_entropy(et.randn(4, 5), et.ones(4, 5, dtype=et.int64)),
            RuntimeError,
            "Expected floating point type for target with class probabilities, got Long",
        ),
        (
            lambda: F.cross_entropy(et.ones(4, 5, dtype=et.int64), et.tensor([0, 1, 2, 3])),
            NotImplementedError,
            "\"log_softmax_lastdim_kernel_impl\" not implemented for 'Long'",
        ),
        (
            lambda: F.nll_loss(et.tensor(1.0), et.tensor(0)),
            ValueError,
            r"Expected 1 or more dimensions \(got 0\)",
        ),
        (
            lambda: F.binary_cross_entropy(et.tensor([0.5, 1.5]), et.tensor([0.0, 1.0])),
            RuntimeError,
            "all elements of input should be between 0 and 1",
        ),
        (
            lambda: F.binary_cross_entropy(et.tensor([math.nan]), et.tensor([1.0])),
            RuntimeError,
            "all elements of input should be between 0 and 1",
        ),
        (
            lambda: F.binary_cross_entropy(et.rand(3, 1), et.rand(3)),
            ValueError,
            r"Using a target size \(.*Size\(\[3\]\)\) that is different to the input size "
            r"\(.*Size\(\[3, 1\]\)\) "
            "is deprecated",
        ),
        (
            lambda: F.binary_cross_entropy_with_logits(et.rand(3, 1), et.rand(3)),
            ValueError,
            r"Target size \(.*Size\(\[3\]\)\) must be the same as input size "
            r"\(.*Size\(\[3, 1\]\)\)",
        ),
        (
            lambda: F.mse_loss(et.randn(3, 2), et.randn(4)),
            RuntimeError,
            r"The size of tensor a \(2\) must match the size of tensor b \(4\)",
        ),
        (
            lambda: F.mse_loss(et.tensor([1, 2]), et.tensor([1, 2])),
            NotImplementedError,
            "\"mse_cpu\" not implemented for 'Long'",
        ),
        (
            lambda: F.smooth_l1_loss(et.randn(3), et.randn(3), beta=-1.0),
            RuntimeError,
            "smooth_l1_loss does not support negative values for beta.",
        ),
        (
            lambda: F.huber_loss(et.randn(3), et.randn(3), delta=0.0),
            RuntimeError,
            "huber_loss does not support non-positive values for delta.",
        ),
        (
            lambda: F.cosine_embedding_loss(et.randn(3, 4, 2), et.randn(3, 4, 2), et.ones(3)),
            RuntimeError,
            r"1D target tensor expects 2D input tensors, but found inputs with sizes \[3, 4, 2\]",
        ),
        (
            lambda: F.margin_ranking_loss(et.randn(3), et.randn(3, 1), et.ones(3)),
            RuntimeError,
            "All input tensors should have same dimension",
        ),
    ],
)
@pytest.mark.filterwarnings("ignore:Using a target size")
def test_bad_arguments_raise_pytorchs_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ----- layers ------------------------------------------------------------------------------------
def test_weighted_losses_keep_weights_as_buffers_in_state_dict():
    w = et.tensor([1.0, 2.0, 3.0])
    ce = nn.CrossEntropyLoss(weight=w, ignore_index=1, label_smoothing=0.1)
    assert list(ce.state_dict()) == ["weight"]
    assert (ce.reduction, ce.ignore_index, ce.label_smoothing) == ("mean", 1, 0.1)
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    assert list(nn.BCEWithLogitsLoss(pos_weight=et.ones(2)).state_dict()) == ["pos_weight"]
    assert list(nn.NLLLoss(weight=w).state_dict()) == ["weight"]
    assert nn.BCELoss().weight is None
    ce.double()
    assert ce.weight.dtype == et.float64
    x = et.randn(4, 3, dtype=et.float64)
    t = et.tensor([0, 1, 2, 2])
    expected = F.cross_entropy(x, t, weight=ce.weight, ignore_index=1, label_smoothing=0.1)
    assert ce(x, t).item() == pytest.approx(expected.item())


@pytest.mark.parametrize(
    ("layer", "call"),
    [
        (nn.L1Loss(reduction="sum"), lambda x, y: F.l1_loss(x, y, reduction="sum")),
        (nn.MSELoss(), F.mse_loss),
        (nn.SmoothL1Loss(beta=0.5), lambda x, y: F.smooth_l1_loss(x, y, beta=0.5)),
        (nn.HuberLoss(delta=0.5), lambda x, y: F.huber_loss(x, y, delta=0.5)),
        (nn.SoftMarginLoss(), F.soft_margin_loss),
        (nn.BCEWithLogitsLoss(), F.binary_cross_entropy_with_logits),
        (nn.BCELoss(), lambda x, y: F.binary_cross_entropy(x.sigmoid(), y)),
        (
            nn.KLDivLoss(reduction="batchmean", log_target=True),
            lambda x, y: F.kl_div(x, y, reduction="batchmean", log_target=True),
        ),
        (nn.PoissonNLLLoss(full=True), lambda x, y: F.poisson_nll_loss(x, y, full=True)),
        (nn.HingeEmbeddingLoss(margin=0.5), lambda x, y: F.hinge_embedding_loss(x, y, 0.5)),
    ],
)
def test_loss_layers_call_their_functional(layer, call):
    x = et.randn(3, 4)
    y = et.rand(3, 4)
    out = layer(x.sigmoid() if isinstance(layer, nn.BCELoss) else x, y)
    np.testing.assert_allclose(out.numpy(), call(x, y).numpy(), rtol=1e-6)
    assert repr(layer) == type(layer).__name__ + "()"


def test_three_input_and_variance_loss_layers():
    a, b = et.randn(3, 4), et.randn(3, 4)
    y = et.tensor([1, -1, 1])
    out = nn.CosineEmbeddingLoss(margin=0.2)(a, b, y)
    assert out.item() == pytest.approx(F.cosine_embedding_loss(a, b, y, 0.2).item())
    rank = nn.MarginRankingLoss(0.1)(a[:, 0], b[:, 0], y.float())
    assert rank.item() == pytest.approx(
        F.margin_ranking_loss(a[:, 0], b[:, 0], y.float(), 0.1).item()
    )
    var = et.rand(3, 4) + 0.1
    gauss = nn.GaussianNLLLoss(full=True)(a, b, var)
    assert gauss.item() == pytest.approx(F.gaussian_nll_loss(a, b, var, full=True).item())
