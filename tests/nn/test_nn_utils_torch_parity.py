"""nn.utils against PyTorch: clip_grad_norm_ (every norm type), clip_grad_value_ and the
parameter/vector conversions give the same numbers."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import eagertorch as et
from eagertorch import nn

torch = pytest.importorskip("torch")


def _pair(grads, dtype):
    ours, theirs = [], []
    for g in grads:
        p = et.zeros(g.shape, dtype=dtype, requires_grad=True)
        p.grad = et.tensor(np.asarray(g), dtype=dtype)
        q = torch.zeros(
            g.shape, dtype=getattr(torch, str(dtype).split(".")[-1]), requires_grad=True
        )
        q.grad = torch.tensor(np.asarray(g), dtype=q.dtype)
        ours.append(p)
        theirs.append(q)
    return ours, theirs


@given(
    shapes=st.lists(st.lists(st.integers(1, 4), max_size=2).map(tuple), min_size=1, max_size=3),
    norm_type=st.sampled_from([0.5, 1.0, 2.0, 3.0, math.inf, -math.inf, 0.0]),
    max_norm=st.sampled_from([0.1, 1.0, 50.0]),
    dtype=st.sampled_from([et.float32, et.float64]),
    seed=st.integers(0, 1000),
)
def test_clip_grad_norm_matches_pytorch(shapes, norm_type, max_norm, dtype, seed):
    rng = np.random.default_rng(seed)
    grads = [rng.standard_normal(s) * 3 for s in shapes]
    ours, theirs = _pair(grads, dtype)
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    tol = 1e-5 if dtype == et.float32 else 1e-12
    assert str(total.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1]
    np.testing.assert_allclose(total.item(), expected.item(), rtol=tol)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=tol, atol=tol)


def test_clip_grad_value_matches_pytorch():
    grads = [np.linspace(-3, 3, 7), np.array([[0.2, -5.0]])]
    ours, theirs = _pair(grads, et.float32)
    nn.utils.clip_grad_value_(ours, 0.5)
    torch.nn.utils.clip_grad_value_(theirs, 0.5)
    for p, q in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())


def test_non_finite_error_message_matches_pytorch():
    ours, theirs = _pair([np.array([1.0, np.inf])], et.float32)
    with pytest.raises(RuntimeError) as a:
        nn.utils.clip_grad_norm_(ours, 1.0, "inf", error_if_nonfinite=True)
    with pytest.raises(RuntimeError) as b:
        torch.nn.utils.clip_grad_norm_(theirs, 1.0, "inf", error_if_nonfinite=True)
    assert str(a.value) == str(b.value)


def test_parameter_vector_round_trip_matches_pytorch():
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    ours = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    ours.load_state_dict({k: et.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    np.testing.assert_array_equal(
        nn.utils.parameters_to_vector(ours.parameters()).detach().numpy(),
        torch.nn.utils.parameters_to_vector(theirs.parameters()).detach().numpy(),
    )
    vec = np.arange(26.0, dtype=np.float32)
    nn.utils.vector_to_parameters(et.tensor(vec), ours.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(vec), theirs.parameters())
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy(), err_msg=name)
