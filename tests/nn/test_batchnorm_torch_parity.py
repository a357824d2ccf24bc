"""BatchNorm against PyTorch: identical weights give identical outputs, gradients, running
statistics and state_dicts over training sequences, in train and eval mode."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import eagertorch as et
import eagertorch.nn.functional as F
from eagertorch import nn

torch = pytest.importorskip("torch")

CLASSES = {2: "BatchNorm1d", 3: "BatchNorm1d", 4: "BatchNorm2d", 5: "BatchNorm3d"}


def _to_ours(state):
    return {k: et.tensor(v.detach().numpy()) for k, v in state.items()}


def _close(a, b, tol=1e-5):
    np.testing.assert_allclose(
        a.detach().numpy(force=True) if isinstance(a, et.Tensor) else a,
        b.detach().numpy(),
        rtol=tol,
        atol=tol,
    )


@given(
    ndim=st.sampled_from([2, 3, 4, 5]),
    momentum=st.sampled_from([0.1, 0.7, None]),
    affine=st.booleans(),
    track=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_training_sequence_then_eval_matches_pytorch(ndim, momentum, affine, track, seed):
    rng = np.random.default_rng(seed)
    kwargs = dict(momentum=momentum, affine=affine, track_running_stats=track)
    theirs = getattr(torch.nn, CLASSES[ndim])(3, **kwargs)
    ours = getattr(nn, CLASSES[ndim])(3, **kwargs)
    if affine:
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(rng.standard_normal(3)))
            theirs.bias.copy_(torch.tensor(rng.standard_normal(3)))
    ours.load_state_dict(_to_ours(theirs.state_dict()))
    shape = (4, 3) + (2,) * (ndim - 2)
    for step in range(2):
        x = (rng.standard_normal(shape) * (step + 1) + step).astype(np.float32)
        g = rng.standard_normal(shape).astype(np.float32)
        xo, xt = et.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        yo, yt = ours(xo), theirs(xt)
        _close(yo, yt)
        yo.backward(et.tensor(g))
        yt.backward(torch.tensor(g))
        _close(xo.grad, xt.grad, 1e-4)
    if affine:
        _close(ours.weight.grad, theirs.weight.grad, 1e-4)
        _close(ours.bias.grad, theirs.bias.grad, 1e-4)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        _close(ours.state_dict()[key], value)
    ours.eval(), theirs.eval()
    x = rng.standard_normal(shape).astype(np.float32)
    _close(ours(et.tensor(x)), theirs(torch.tensor(x)))


def test_pytorch_checkpoint_loads_into_ours_and_back():
    theirs = torch.nn.BatchNorm2d(4)
    for _ in range(5):
        theirs(torch.randn(3, 4, 2, 2) * 2 + 1)
    ours = nn.BatchNorm2d(4)
    ours.load_state_dict(_to_ours(theirs.state_dict()))
    assert ours.num_batches_tracked.item() == 5
    back = torch.nn.BatchNorm2d(4)
    back.load_state_dict(
        {k: torch.tensor(v.numpy(force=True)) for k, v in ours.state_dict().items()}
    )
    for key, value in theirs.state_dict().items():
        assert torch.equal(back.state_dict()[key], value), key


def test_functional_batch_norm_double_backward_matches_pytorch():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 3, 2))
    w = rng.standard_normal(3)
    results = []
    for lib, fn in ((et, F.batch_norm), (torch, torch.nn.functional.batch_norm)):
        xt = lib.tensor(x, requires_grad=True)
        wt = lib.tensor(w, requires_grad=True)
        y = fn(xt, None, None, wt, None, True)
        (gx,) = lib.autograd.grad((y**3).sum(), xt, create_graph=True)
        (gx**2).sum().backward()
        results.append((xt.grad, wt.grad))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-8, atol=1e-10)


def test_functional_running_stat_update_matches_pytorch():
    x = np.random.default_rng(4).standard_normal((6, 2, 3)).astype(np.float32)
    rm, rv = et.zeros(2), et.ones(2)
    trm, trv = torch.zeros(2), torch.ones(2)
    F.batch_norm(et.tensor(x), rm, rv, training=True, momentum=0.3)
    torch.nn.functional.batch_norm(torch.tensor(x), trm, trv, training=True, momentum=0.3)
    _close(rm, trm, 1e-6)
    _close(rv, trv, 1e-6)


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda m: m.BatchNorm1d(4), (2, 4, 3, 3)),
        (lambda m: m.BatchNorm2d(4), (2, 4, 3)),
        (lambda m: m.BatchNorm1d(4), (1, 4)),
        (lambda m: m.BatchNorm2d(4), (2, 5, 3, 3)),
    ],
)
def test_error_messages_match_pytorch(make, shape):
    with pytest.raises(Exception) as theirs:
        make(torch.nn)(torch.randn(*shape))
    with pytest.raises(type(theirs.value)) as ours:
        make(nn)(et.randn(*shape))
    assert str(ours.value).replace("eagertorch.Size", "torch.Size") == str(theirs.value)


def test_repr_matches_pytorch():
    for args, kwargs in [
        ((8,), {}),
        ((3,), {"momentum": None, "affine": False}),
        ((2,), {"bias": False, "eps": 1e-3}),
    ]:
        for name in ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d"):
            assert repr(getattr(nn, name)(*args, **kwargs)) == repr(
                getattr(torch.nn, name)(*args, **kwargs)
            )
