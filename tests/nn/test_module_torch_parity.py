"""Module system and Linear against PyTorch: names, state_dict keys, values and gradients."""

import numpy as np
import pytest

import eagertorch as et
from eagertorch import nn

torch = pytest.importorskip("torch")


def _pair():
    ours = nn.Sequential(nn.Linear(5, 7), nn.Flatten(), nn.Linear(7, 3, bias=False))
    theirs = torch.nn.Sequential(
        torch.nn.Linear(5, 7), torch.nn.Flatten(), torch.nn.Linear(7, 3, bias=False)
    )
    return ours, theirs


def test_same_parameter_names_shapes_and_repr():
    ours, theirs = _pair()
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()
    ]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)


def test_identical_weights_give_identical_outputs_and_gradients():
    ours, theirs = _pair()
    ours.load_state_dict({k: et.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    out, ref = ours(et.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(out.numpy(force=True), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    (out**2).sum().backward()
    (ref**2).sum().backward()
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(
            p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-5, err_msg=name
        )


def test_strict_load_error_message_matches_pytorch():
    ours, theirs = _pair()
    sd_ours = ours.state_dict()
    sd_theirs = theirs.state_dict()
    for sd in (sd_ours, sd_theirs):
        del sd["0.bias"]
        sd["9.weight"] = sd["2.weight"]
    with pytest.raises(RuntimeError) as expected:
        theirs.load_state_dict(sd_theirs)
    with pytest.raises(RuntimeError) as actual:
        ours.load_state_dict(sd_ours)
    assert str(actual.value) == str(expected.value)


def test_default_init_statistics_match_pytorch():
    et.manual_seed(0)
    torch.manual_seed(0)
    ours = nn.Linear(256, 256).weight.numpy(force=True)
    theirs = torch.nn.Linear(256, 256).weight.detach().numpy()
    assert abs(ours.std() - theirs.std()) < 0.02 * theirs.std()
    assert abs(np.abs(ours).max() - np.abs(theirs).max()) < 0.01 * np.abs(theirs).max()
