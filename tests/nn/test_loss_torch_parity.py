"""Losses against PyTorch: values and gradients (float64 and float32) over random shapes,
weights, ignored targets, label smoothing and reductions; error messages; legacy warnings;
layer attributes and state_dict keys."""

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import eagertorch as et
import eagertorch.nn.functional as F
from eagertorch import nn
from eagertorch.testing.strategies import arrays, shapes

torch = pytest.importorskip("torch")
TF = torch.nn.functional

REDUCTIONS = st.sampled_from(["none", "mean", "sum"])


def _compare(ours, theirs, arrays_in, diff, dtype=np.float64, rtol=1e-10, atol=1e-12):
    """Same call on both sides; values and gradients of every input in ``diff`` agree."""
    ea = [
        et.tensor(a.astype(dtype) if a.dtype.kind == "f" else a, requires_grad=i in diff)
        for i, a in enumerate(arrays_in)
    ]
    ta = [
        torch.tensor(a.astype(dtype) if a.dtype.kind == "f" else a, requires_grad=i in diff)
        for i, a in enumerate(arrays_in)
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ye, yt = ours(*ea), theirs(*ta)
    assert ye.shape == tuple(yt.shape)
    assert str(ye.dtype).split(".")[-1] == str(yt.dtype).split(".")[-1]
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=rtol, atol=atol)
    if not diff or not np.isfinite(yt.detach().numpy()).all():
        return
    v = np.random.default_rng(0).standard_normal(ye.shape).astype(dtype)
    ge = et.autograd.grad(ye, [ea[i] for i in diff], et.tensor(v))
    gt = torch.autograd.grad(yt, [ta[i] for i in diff], torch.tensor(v))
    for a, b in zip(ge, gt):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=rtol, atol=atol)


@st.composite
def class_problems(draw):
    n = draw(st.integers(1, 4))
    c = draw(st.integers(1, 5))
    extra = draw(st.lists(st.integers(1, 3), max_size=2))
    x = draw(arrays(np.float64, (n, c, *extra), -8, 8))
    ignore = draw(st.sampled_from([-100, 0, c - 1]))
    t = draw(hnp.arrays(np.int64, (n, *extra), elements=st.integers(0, c - 1) | st.just(ignore)))
    w = draw(st.none() | arrays(np.float64, (c,), 0.1, 3.0))
    return x, t, w, ignore


@settings(max_examples=15)
@given(
    problem=class_problems(),
    reduction=REDUCTIONS,
    label_smoothing=st.sampled_from([0.0, 0.05, 0.5, 1.0]),
    dtype=st.sampled_from([np.float64, np.float32]),
)
def test_cross_entropy_and_nll_on_class_indices_match_pytorch(
    problem, reduction, label_smoothing, dtype
):
    x, t, w, ignore = problem
    tol = {"rtol": 1e-10, "atol": 1e-12} if dtype == np.float64 else {"rtol": 2e-5, "atol": 2e-6}
    kw = {"ignore_index": ignore, "reduction": reduction}
    args, wrap = (
        ([x, t, w], lambda f: lambda a, b, c: f(a, b, c, **kw))
        if w is not None
        else (
            [x, t],
            lambda f: lambda a, b: f(a, b, **kw),
        )
    )
    _compare(wrap(F.nll_loss), wrap(TF.nll_loss), args, (0,), dtype, **tol)
    kw["label_smoothing"] = label_smoothing
    _compare(wrap(F.cross_entropy), wrap(TF.cross_entropy), args, (0,), dtype, **tol)


@settings(max_examples=12)
@given(
    data=st.data(),
    shape=shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
    reduction=REDUCTIONS,
    label_smoothing=st.sampled_from([0.0, 0.3]),
    weighted=st.booleans(),
)
def test_cross_entropy_on_class_probabilities_matches_pytorch(
    data, shape, reduction, label_smoothing, weighted
):
    x = data.draw(arrays(np.float64, shape, -8, 8))
    p = data.draw(arrays(np.float64, shape, 0, 1))
    c = shape[0 if len(shape) == 1 else 1]
    kw = {"reduction": reduction, "label_smoothing": label_smoothing}
    if weighted:
        w = data.draw(arrays(np.float64, (c,), 0.1, 3))
        _compare(
            lambda a, b, c: F.cross_entropy(a, b, c, **kw),
            lambda a, b, c: TF.cross_entropy(a, b, c, **kw),
            [x, p, w],
            (0, 1),
        )
    else:
        _compare(
            lambda a, b: F.cross_entropy(a, b, **kw),
            lambda a, b: TF.cross_entropy(a, b, **kw),
            [x, p],
            (0, 1),
        )


def test_cross_entropy_on_huge_logits_matches_pytorch():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3], [3e3, -1e4, 1e4]])
    t = np.array([1, 1, 0])
    for dtype in (np.float32, np.float64):
        _compare(F.cross_entropy, TF.cross_entropy, [x, t], (0,), dtype, rtol=1e-6)
        _compare(
            lambda a, b: F.cross_entropy(a, b, label_smoothing=0.2, reduction="none"),
            lambda a, b: TF.cross_entropy(a, b, label_smoothing=0.2, reduction="none"),
            [x, t],
            (0,),
            dtype,
            rtol=1e-6,
        )
        _compare(
            F.binary_cross_entropy_with_logits,
            TF.binary_cross_entropy_with_logits,
            [x, (x > 0).astype(np.float64)],
            (0, 1),
            dtype,
            rtol=1e-6,
        )


def _elementwise_cases():
    """(name, ours, theirs, draw inputs, differentiable inputs)."""
    return {
        "mse": (F.mse_loss, TF.mse_loss, lambda d, s: [d(s), d(s)], (0, 1)),
        "l1": (F.l1_loss, TF.l1_loss, lambda d, s: [d(s), d(s)], (0, 1)),
        "smooth_l1": (
            lambda a, b, **k: F.smooth_l1_loss(a, b, beta=0.6, **k),
            lambda a, b, **k: TF.smooth_l1_loss(a, b, beta=0.6, **k),
            lambda d, s: [d(s), d(s)],
            (0, 1),
        ),
        "huber": (
            lambda a, b, **k: F.huber_loss(a, b, delta=0.6, **k),
            lambda a, b, **k: TF.huber_loss(a, b, delta=0.6, **k),
            lambda d, s: [d(s), d(s)],
            (0, 1),
        ),
        "bce": (
            F.binary_cross_entropy,
            TF.binary_cross_entropy,
            lambda d, s: [d(s, 0.02, 0.98), d(s, 0, 1)],
            (0, 1),
        ),
        "bce_weight": (
            lambda a, b, w, **k: F.binary_cross_entropy(a, b, w, **k),
            lambda a, b, w, **k: TF.binary_cross_entropy(a, b, w, **k),
            lambda d, s: [d(s, 0.02, 0.98), d(s, 0, 1), d(s[-1:], 0.1, 2)],
            (0, 1),
        ),
        "bce_logits": (
            lambda a, b, w, p, **k: F.binary_cross_entropy_with_logits(a, b, w, pos_weight=p, **k),
            lambda a, b, w, p, **k: TF.binary_cross_entropy_with_logits(a, b, w, pos_weight=p, **k),
            lambda d, s: [d(s, -9, 9), d(s, 0, 1), d(s[-1:], 0.1, 2), d(s[-1:], 0.1, 4)],
            (0, 1),
        ),
        "kl_div": (
            F.kl_div,
            TF.kl_div,
            lambda d, s: [np.log(d(s, 0.01, 1)), d(s, 0.01, 1)],
            (0, 1),
        ),
        "kl_div_log_target": (
            lambda a, b, **k: F.kl_div(a, b, log_target=True, **k),
            lambda a, b, **k: TF.kl_div(a, b, log_target=True, **k),
            lambda d, s: [d(s, -4, 0), d(s, -4, 0)],
            (0, 1),
        ),
        "soft_margin": (
            F.soft_margin_loss,
            TF.soft_margin_loss,
            lambda d, s: [d(s, -20, 20), np.sign(d(s)) + (d(s) == 0)],
            (0,),
        ),
        "hinge": (
            lambda a, b, **k: F.hinge_embedding_loss(a, b, 0.7, **k),
            lambda a, b, **k: TF.hinge_embedding_loss(a, b, 0.7, **k),
            lambda d, s: [d(s), np.sign(d(s)) + (d(s) == 0)],
            (0,),
        ),
        "poisson": (
            lambda a, b, **k: F.poisson_nll_loss(a, b, full=True, **k),
            lambda a, b, **k: TF.poisson_nll_loss(a, b, full=True, **k),
            lambda d, s: [d(s), d(s, 0, 5)],
            (0,),
        ),
        "poisson_rate": (
            lambda a, b, **k: F.poisson_nll_loss(a, b, log_input=False, **k),
            lambda a, b, **k: TF.poisson_nll_loss(a, b, log_input=False, **k),
            lambda d, s: [d(s, 0.01, 3), d(s, 0, 5)],
            (0,),
        ),
        "gaussian_nll": (
            lambda a, b, v, **k: F.gaussian_nll_loss(a, b, v, full=True, **k),
            lambda a, b, v, **k: TF.gaussian_nll_loss(a, b, v, full=True, **k),
            lambda d, s: [d(s), d(s), d(s, 1e-7, 2)],
            (0, 1, 2),
        ),
    }


CASES = _elementwise_cases()


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=8)
@given(data=st.data(), shape=shapes(min_dims=1, max_side=4), reduction=REDUCTIONS)
def test_elementwise_losses_match_pytorch(name, data, shape, reduction):
    ours, theirs, draw_inputs, diff = CASES[name]

    def d(s, low=-3.0, high=3.0):
        return data.draw(arrays(np.float64, s, low, high))

    inputs = draw_inputs(d, shape)
    if name in ("l1", "smooth_l1", "huber"):
        gap = np.abs(inputs[0] - inputs[1])
        assume(np.all(gap > 1e-6) and np.all(np.abs(gap - 0.6) > 1e-6))  # kinks
    if name == "hinge":
        assume(np.all(np.abs(inputs[0] - 0.7) > 1e-6))

    def wrap(f):
        return lambda *a: f(*a, reduction=reduction)

    _compare(wrap(ours), wrap(theirs), inputs, diff)
    _compare(wrap(ours), wrap(theirs), inputs, (), np.float32, rtol=2e-5, atol=2e-6)


@settings(max_examples=10)
@given(data=st.data(), n=st.integers(1, 4), d=st.integers(1, 4), reduction=REDUCTIONS)
def test_pair_losses_match_pytorch(data, n, d, reduction):
    a = data.draw(arrays(np.float64, (n, d), -3, 3))
    b = data.draw(arrays(np.float64, (n, d), -3, 3))
    y = data.draw(hnp.arrays(np.int64, (n,), elements=st.sampled_from([1, -1])))
    assume(np.all(np.abs(a).sum(1) > 1e-3) and np.all(np.abs(b).sum(1) > 1e-3))
    _compare(
        lambda u, v, t: F.cosine_embedding_loss(u, v, t, 0.3, reduction=reduction),
        lambda u, v, t: TF.cosine_embedding_loss(u, v, t, 0.3, reduction=reduction),
        [a, b, y],
        (0, 1),
        rtol=1e-9,
    )
    _compare(
        lambda u, v, t: F.margin_ranking_loss(u, v, t, 0.2, reduction=reduction),
        lambda u, v, t: TF.margin_ranking_loss(u, v, t, 0.2, reduction=reduction),
        [a[:, 0], b[:, 0], y.astype(np.float64)],
        (0, 1),
    )


def _run(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
    except Exception as e:
        return type(e).__name__, str(e).replace("eagertorch.", "torch.")
    return None


ERRORS = [
    lambda m: m.nn.functional.cross_entropy(m.randn(4, 5), m.rand(4)),
    lambda m: m.nn.functional.cross_entropy(m.randn(4, 5), m.tensor([1, 2, 3], dtype=m.int64)),
    lambda m: m.nn.functional.cross_entropy(m.randn(4, 5), m.tensor([1, 2, 3, 12])),
    lambda m: m.nn.functional.cross_entropy(m.randn(4, 5), m.tensor([1, 2, 3, -2])),
    lambda m: m.nn.functional.cross_entropy(m.randn(4, 5), m.tensor([0, 1, 2, 3], dtype=m.int32)),
    lambda m: m.nn.functional.cross_entropy(m.randn(2, 3, 4), m.zeros(2, 3, dtype=m.int64)),
    lambda m: m.nn.functional.cross_entropy(m.randn(2, 3, 4), m.zeros(2, dtype=m.int64)),
    lambda m: m.nn.functional.cross_entropy(m.randn(2, 5, 3, 3), m.zeros(2, 3, 4, dtype=m.int64)),
    lambda m: m.nn.functional.cross_entropy(m.randn(2, 5, 3, 3), m.zeros(2, 3, dtype=m.int64)),
    lambda m: m.nn.functional.cross_entropy(m.randn(4, 5), m.rand(4, 6)),
    lambda m: m.nn.functional.cross_entropy(m.randn(3), m.tensor([1, 2])),
    lambda m: m.nn.functional.cross_entropy(m.randn(()), m.tensor(0)),
    lambda m: m.nn.functional.cross_entropy(
        m.randn(4, 5), m.tensor([0, 1, 2, 3]), weight=m.ones(3)
    ),
    lambda m: m.nn.functional.cross_entropy(m.randn(4, 5), m.rand(4, 5), weight=m.ones(3)),
    lambda m: m.nn.functional.cross_entropy(
        m.randn(4, 5), m.tensor([0, 1, 2, 3]), label_smoothing=1.5
    ),
    lambda m: m.nn.functional.cross_entropy(m.randn(4, 5), m.rand(4, 5), ignore_index=1),
    lambda m: m.nn.functional.cross_entropy(m.randn(4, 5), m.tensor([0, 1, 2, 3]), reduction="avg"),
    lambda m: m.nn.functional.nll_loss(m.randn(()), m.tensor(0)),
    lambda m: m.nn.functional.nll_loss(m.randn(4, 5), m.tensor([0, 1, 2, 5])),
    lambda m: m.nn.functional.binary_cross_entropy(m.tensor([0.5, 1.5]), m.tensor([0.0, 1.0])),
    lambda m: m.nn.functional.binary_cross_entropy(m.rand(3, 1), m.rand(3)),
    lambda m: m.nn.functional.binary_cross_entropy_with_logits(m.rand(3, 1), m.rand(3)),
    lambda m: m.nn.functional.mse_loss(m.randn(3, 2), m.randn(4)),
    lambda m: m.nn.functional.smooth_l1_loss(m.randn(3), m.randn(3), beta=-1.0),
    lambda m: m.nn.functional.huber_loss(m.randn(3), m.randn(3), delta=-1.0),
    lambda m: m.nn.functional.kl_div(m.randn(3), m.rand(3), reduction="bogus"),
    lambda m: m.nn.functional.cosine_embedding_loss(m.randn(3, 4, 2), m.randn(3, 4, 2), m.ones(3)),
    lambda m: m.nn.functional.cosine_embedding_loss(m.randn(3, 4), m.randn(3, 4), m.ones(1, 3)),
    lambda m: m.nn.functional.gaussian_nll_loss(m.zeros(2, 3), m.ones(2, 3), m.ones(3, 2)),
    lambda m: m.nn.functional.gaussian_nll_loss(m.zeros(2, 3), m.ones(2, 3), -1.0),
]


@pytest.mark.parametrize("call", ERRORS)
def test_errors_match_pytorch_type_and_message(call):
    theirs = _run(lambda: call(torch))
    ours = _run(lambda: call(et))
    assert theirs is not None and ours is not None
    assert ours[0] == theirs[0]
    assert ours[1].startswith(theirs[1])  # ours may name more (e.g. both shapes)


@pytest.mark.parametrize(
    ("size_average", "reduce"),
    [(None, False), (False, None), (True, True), (False, False)],
)
def test_legacy_arguments_warn_and_reduce_like_pytorch(size_average, reduce):
    x = np.random.default_rng(3).standard_normal((3, 4))
    t = np.array([0, 3, 1])
    with warnings.catch_warnings(record=True) as ours_caught:
        warnings.simplefilter("always")
        ours = F.cross_entropy(et.tensor(x), et.tensor(t), None, size_average, -100, reduce)
        ours_layer = nn.NLLLoss(size_average=size_average, reduce=reduce).reduction
    with warnings.catch_warnings(record=True) as theirs_caught:
        warnings.simplefilter("always")
        theirs = TF.cross_entropy(
            torch.tensor(x), torch.tensor(t), None, size_average, -100, reduce
        )
        theirs_layer = torch.nn.NLLLoss(size_average=size_average, reduce=reduce).reduction
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    assert ours_layer == theirs_layer
    assert [str(w.message) for w in ours_caught] == [str(w.message) for w in theirs_caught]


LOSS_LAYERS = [
    ("L1Loss", {}),
    ("MSELoss", {"reduction": "sum"}),
    ("SmoothL1Loss", {"beta": 0.5}),
    ("HuberLoss", {"delta": 2.0}),
    ("CrossEntropyLoss", {"ignore_index": 2, "label_smoothing": 0.1}),
    ("CrossEntropyLoss", {"weight": [1.0, 2.0, 3.0]}),
    ("NLLLoss", {"weight": [1.0, 2.0]}),
    ("BCELoss", {"weight": [1.0, 2.0]}),
    ("BCEWithLogitsLoss", {"pos_weight": [1.0, 3.0]}),
    ("BCEWithLogitsLoss", {"weight": [1.0, 3.0], "pos_weight": [1.0, 3.0]}),
    ("KLDivLoss", {"reduction": "batchmean", "log_target": True}),
    ("CosineEmbeddingLoss", {"margin": 0.5}),
    ("MarginRankingLoss", {"margin": 0.5}),
    ("HingeEmbeddingLoss", {}),
    ("SoftMarginLoss", {}),
    ("PoissonNLLLoss", {"log_input": False, "full": True, "eps": 1e-6}),
    ("GaussianNLLLoss", {"full": True, "eps": 1e-3}),
]


@pytest.mark.parametrize(("cls", "kwargs"), LOSS_LAYERS)
def test_loss_layers_match_pytorch_attributes_buffers_and_repr(cls, kwargs):
    def build(m):
        args = {k: m.tensor(v) if isinstance(v, list) else v for k, v in kwargs.items()}
        return getattr(m.nn, cls)(**args)

    ours, theirs = build(et), build(torch)
    assert repr(ours) == repr(theirs)
    public = {k: v for k, v in vars(theirs).items() if not k.startswith("_") and k != "training"}
    assert {k: getattr(ours, k) for k in public} == public
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[key].numpy(), value.numpy())
