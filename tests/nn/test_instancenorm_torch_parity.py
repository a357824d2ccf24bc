"""InstanceNorm against PyTorch: identical weights (through load_state_dict) give identical
outputs, gradients, running statistics and state_dicts over a few training steps, then in
eval; reprs and errors match."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eagertorch as et
from eagertorch import nn

torch = pytest.importorskip("torch")

NAMES = {1: "InstanceNorm1d", 2: "InstanceNorm2d", 3: "InstanceNorm3d"}


def _close(a, b, tol=1e-10):
    np.testing.assert_allclose(a.detach().numpy(force=True), b.detach().numpy(), rtol=tol, atol=tol)


@settings(max_examples=8)
@given(
    dims=st.sampled_from([1, 2, 3]),
    batched=st.booleans(),
    affine=st.booleans(),
    track=st.booleans(),
    momentum=st.sampled_from([0.1, 0.6, None]),
    seed=st.integers(0, 1000),
)
def test_training_steps_then_eval_match_pytorch(dims, batched, affine, track, momentum, seed):
    rng = np.random.default_rng(seed)
    kwargs = dict(affine=affine, track_running_stats=track, momentum=momentum)
    theirs = getattr(torch.nn, NAMES[dims])(3, **kwargs).double()
    if affine:
        with torch.no_grad():
            theirs.weight.copy_(torch.from_numpy(rng.normal(size=3)))
            theirs.bias.copy_(torch.from_numpy(rng.normal(size=3)))
    ours = getattr(nn, NAMES[dims])(3, dtype=et.float64, **kwargs)
    ours.load_state_dict({k: et.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    shape = ((2,) if batched else ()) + (3,) + tuple(rng.integers(2, 4, dims))
    for training in (True, True, False):
        ours.train(training)
        theirs.train(training)
        x = rng.normal(size=shape) * 2 + 1
        g = rng.normal(size=shape)
        xo, xt = et.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        yo, yt = ours(xo), theirs(xt)
        _close(yo, yt)
        yo.backward(et.tensor(g))
        yt.backward(torch.from_numpy(g))
        _close(xo.grad, xt.grad, 1e-8)
        if affine:
            _close(ours.weight.grad, theirs.weight.grad, 1e-8)
            _close(ours.bias.grad, theirs.bias.grad, 1e-8)
        for key, value in theirs.state_dict().items():
            _close(ours.state_dict()[key], value)


@pytest.mark.parametrize("dims, bad", [(1, 1), (1, 4), (2, 2), (2, 5), (3, 3), (3, 6)])
def test_wrong_dims_errors_match_pytorch(dims, bad):
    shape = (3,) * bad
    with pytest.raises(ValueError) as theirs:
        getattr(torch.nn, NAMES[dims])(3)(torch.randn(shape))
    with pytest.raises(ValueError) as ours:
        getattr(nn, NAMES[dims])(3)(et.randn(*shape))
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(
    "kwargs, shape", [(dict(affine=True), (2, 4, 5)), ({}, (2, 3, 1)), ({}, (3, 1))]
)
def test_value_errors_match_pytorch(kwargs, shape):
    with pytest.raises(ValueError) as theirs:
        torch.nn.InstanceNorm1d(3, **kwargs)(torch.randn(shape))
    with pytest.raises(ValueError) as ours:
        nn.InstanceNorm1d(3, **kwargs)(et.randn(*shape))
    assert str(ours.value).replace("eagertorch", "torch") == str(theirs.value)
