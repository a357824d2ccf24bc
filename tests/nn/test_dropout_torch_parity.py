"""Dropout against PyTorch: masks differ (different generators), so compare what must agree:
the values kept and dropped, p = 0 / 1 and eval behaviour, channel structure, reprs, errors."""

import numpy as np
import pytest

import eagertorch as et
import eagertorch.nn.functional as F
from eagertorch import nn

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _values(y):
    return sorted({round(float(v), 6) for v in np.asarray(y).ravel()})


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_kept_and_dropped_values_match_pytorch(p):
    ours = F.dropout(et.ones(100, 100), p).numpy()
    theirs = TF.dropout(torch.ones(100, 100), p).numpy()
    assert _values(ours) == _values(theirs)


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_alpha_dropout_values_match_pytorch(p):
    # On a constant input each variant yields exactly two values: kept and dropped.
    ours = F.alpha_dropout(et.full((200, 100), 0.7), p, True).numpy()
    theirs = TF.alpha_dropout(torch.full((200, 100), 0.7), p, True).numpy()
    assert _values(ours) == _values(theirs)
    ours = F.feature_alpha_dropout(et.full((50, 40, 2), 0.7), p, True).numpy()
    theirs = TF.feature_alpha_dropout(torch.full((50, 40, 2), 0.7), p, True).numpy()
    assert _values(ours) == _values(theirs)


@pytest.mark.parametrize("fn", ["dropout", "alpha_dropout", "dropout2d"])
def test_p_zero_p_one_and_eval_match_pytorch(fn):
    x = np.random.default_rng(0).standard_normal((3, 4, 2, 2)).astype(np.float32)
    for p, training in ((0.0, True), (1.0, True), (0.5, False)):
        ours = getattr(F, fn)(et.tensor(x), p, training)
        theirs = getattr(TF, fn)(torch.tensor(x), p, training)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_grad_fn_of_cpu_dropout_is_a_multiplication_as_in_pytorch():
    x = et.randn(4, 4, requires_grad=True)
    t = torch.randn(4, 4, requires_grad=True)
    assert F.dropout(x, 0.5).grad_fn.name() == TF.dropout(t, 0.5).grad_fn.name()


@pytest.mark.parametrize(
    "name, shape, channel_dims",
    [
        ("Dropout1d", (20, 30, 4), 2),
        ("Dropout1d", (30, 4), 1),
        ("Dropout2d", (8, 20, 3, 3), 2),
        ("Dropout3d", (4, 20, 2, 2, 2), 2),
        ("Dropout3d", (20, 2, 2, 2), 1),
    ],
)
def test_channel_structure_matches_pytorch(name, shape, channel_dims):
    def constant_channels(y):
        flat = y.reshape((*y.shape[:channel_dims], -1))
        return bool(np.all((flat == 0).all(-1) | (flat != 0).all(-1)))

    assert constant_channels(getattr(nn, name)()(et.ones(*shape)).numpy())
    assert constant_channels(getattr(torch.nn, name)()(torch.ones(*shape)).numpy())


@pytest.mark.parametrize(
    "name",
    ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"],
)
def test_repr_and_errors_match_pytorch(name):
    assert repr(getattr(nn, name)(0.3, inplace=True)) == repr(
        getattr(torch.nn, name)(0.3, inplace=True)
    )
    with pytest.raises(ValueError) as theirs:
        getattr(torch.nn, name)(1.5)
    with pytest.raises(ValueError) as ours:
        getattr(nn, name)(1.5)
    assert str(ours.value) == str(theirs.value)


def test_dropout1d_rank_error_matches_pytorch():
    with pytest.raises(RuntimeError) as theirs:
        TF.dropout1d(torch.ones(2, 3, 4, 5))
    with pytest.raises(RuntimeError) as ours:
        F.dropout1d(et.ones(2, 3, 4, 5))
    assert str(ours.value) == str(theirs.value)
