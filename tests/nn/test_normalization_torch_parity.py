"""LayerNorm, GroupNorm, RMSNorm, LocalResponseNorm and F.normalize / instance_norm against
PyTorch with identical weights: values, gradients, double backward, reprs, errors."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import eagertorch as et
import eagertorch.nn.functional as F
from eagertorch import nn

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _run(make, x, g, lib):
    module = make(lib.nn)
    xt = lib.tensor(x, requires_grad=True)
    y = module(xt)
    y.backward(lib.tensor(g))
    grads = [p.grad for p in module.parameters()]
    return module, y, xt.grad, grads


def _compare_modules(make, shape, seed, tol=1e-5):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 2 + 0.5).astype(np.float32)
    g = rng.standard_normal(shape).astype(np.float32)
    theirs = make(torch.nn)
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    ours = make(nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: et.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    xo, xt = et.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=tol, atol=tol)
    yo.backward(et.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=10 * tol, atol=10 * tol)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(
            p.grad.numpy(), q.grad.numpy(), rtol=10 * tol, atol=10 * tol, err_msg=name
        )
    assert repr(ours) == repr(theirs)


@given(
    batch=st.lists(st.integers(1, 3), max_size=2),
    norm=st.lists(st.integers(1, 4), min_size=1, max_size=2).filter(lambda s: np.prod(s) > 1),
    affine=st.booleans(),
    bias=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_layer_norm_matches_pytorch(batch, norm, affine, bias, seed):
    _compare_modules(
        lambda m: m.LayerNorm(norm, elementwise_affine=affine, bias=bias), (*batch, *norm), seed
    )


@given(
    groups=st.integers(1, 3),
    per=st.integers(1, 3),
    spatial=st.lists(st.integers(1, 3), max_size=2),
    affine=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_group_norm_matches_pytorch(groups, per, spatial, affine, seed):
    if per * int(np.prod(spatial)) < 3:
        spatial = [*spatial, 3]  # tiny groups have near-zero variance: float32 noise blows up
    c = groups * per
    _compare_modules(
        lambda m: m.GroupNorm(groups, c, affine=affine), (2, c, *spatial), seed, tol=1e-4
    )


def test_rms_norm_and_local_response_norm_match_pytorch():
    _compare_modules(lambda m: m.RMSNorm([3, 4], eps=1e-6), (2, 3, 4), 0)
    _compare_modules(lambda m: m.RMSNorm(4), (5, 4), 1)
    _compare_modules(lambda m: m.LocalResponseNorm(3, alpha=0.1, beta=0.6, k=1.5), (2, 5, 3, 3), 2)
    _compare_modules(lambda m: m.LocalResponseNorm(2), (2, 6, 4), 3)


@pytest.mark.parametrize("p, dim", [(2.0, 1), (1.0, 0), (3.0, -1)])
def test_normalize_matches_pytorch(p, dim):
    x = np.random.default_rng(5).standard_normal((3, 4))
    np.testing.assert_allclose(
        F.normalize(et.tensor(x), p, dim).numpy(),
        TF.normalize(torch.tensor(x), p, dim).numpy(),
        rtol=1e-12,
    )


def test_instance_norm_with_running_stats_matches_pytorch():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((3, 2, 5))
    w, b = rng.standard_normal(2), rng.standard_normal(2)
    rm, rv = et.zeros(2, dtype=et.float64), et.ones(2, dtype=et.float64)
    trm, trv = torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)
    y = F.instance_norm(et.tensor(x), rm, rv, et.tensor(w), et.tensor(b), True, 0.2)
    ty = TF.instance_norm(torch.tensor(x), trm, trv, torch.tensor(w), torch.tensor(b), True, 0.2)
    np.testing.assert_allclose(y.numpy(), ty.numpy(), atol=1e-12)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), atol=1e-12)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), atol=1e-12)
    y = F.instance_norm(et.tensor(x), rm, rv, use_input_stats=False)
    ty = TF.instance_norm(torch.tensor(x), trm, trv, use_input_stats=False)
    np.testing.assert_allclose(y.numpy(), ty.numpy(), atol=1e-12)


def test_layer_and_group_norm_double_backward_match_pytorch():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 4, 3))
    w = rng.standard_normal(4)
    for ours_fn, theirs_fn in (
        (lambda x, w: F.group_norm(x, 2, w), lambda x, w: TF.group_norm(x, 2, w)),
        (
            lambda x, w: F.layer_norm(x.transpose(1, 2), (4,), w),
            lambda x, w: TF.layer_norm(x.transpose(1, 2), (4,), w),
        ),
    ):
        results = []
        for lib, fn in ((et, ours_fn), (torch, theirs_fn)):
            xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
            (gx,) = lib.autograd.grad((fn(xt, wt) ** 3).sum(), xt, create_graph=True)
            (gx**2).sum().backward()
            results.append((xt.grad.numpy(), wt.grad.numpy()))
        for a, b in zip(*results):
            np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, F_: F_.layer_norm(lib.randn(2, 3, 4), (3,)),
        lambda lib, F_: F_.layer_norm(lib.randn(2, 4), (4,), weight=lib.ones(3)),
        lambda lib, F_: F_.group_norm(lib.randn(2, 6, 3), 4),
        lambda lib, F_: F_.group_norm(lib.randn(2, 6, 3), 3, weight=lib.ones(5)),
        lambda lib, F_: F_.group_norm(lib.randn(6), 3),
        lambda lib, F_: lib.nn.GroupNorm(4, 6),
        lambda lib, F_: F_.local_response_norm(lib.randn(2, 3), 2),
        lambda lib, F_: F_.instance_norm(lib.randn(1, 3, 1)),
    ],
)
def test_error_messages_match_pytorch(call):
    with pytest.raises(Exception) as theirs:
        call(torch, TF)
    with pytest.raises(type(theirs.value)) as ours:
        call(et, F)
    # (whitespace normalised: PyTorch's local_response_norm message has a run of spaces)
    ours_text = " ".join(str(ours.value).replace("eagertorch.Size", "torch.Size").split())
    assert ours_text == " ".join(str(theirs.value).split())
