"""F.unfold/F.fold and nn.Unfold/nn.Fold against PyTorch: values, gradients, reprs and
error types and messages."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eagertorch as et
import eagertorch.nn.functional as F
from eagertorch import nn

torch = pytest.importorskip("torch")
from tests.nn.torch_parity import check_values_and_grads, raised  # noqa: E402

TF = torch.nn.functional


@st.composite
def cases(draw):
    kw = {
        "kernel_size": (draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        "dilation": (draw(st.integers(1, 2)), draw(st.integers(1, 2))),
        "padding": (draw(st.integers(0, 2)), draw(st.integers(0, 2))),
        "stride": (draw(st.integers(1, 3)), draw(st.integers(1, 3))),
    }
    span = [d * (k - 1) + 1 for d, k in zip(kw["dilation"], kw["kernel_size"])]
    size = [draw(st.integers(max(s - 2 * p, 1), s + 3)) for s, p in zip(span, kw["padding"])]
    batch = draw(st.sampled_from([(), (1,), (2,)]))
    return (*batch, draw(st.integers(1, 3)), *size), kw


@settings(max_examples=20, deadline=None)
@given(case=cases())
def test_unfold_and_fold_values_and_gradients_match(case):
    shape, kw = case
    a = np.random.default_rng(0).standard_normal(shape)
    check_values_and_grads(lambda x: F.unfold(x, **kw), lambda t: TF.unfold(t, **kw), a)
    cols = TF.unfold(torch.tensor(a), **kw).numpy()
    size = shape[-2:]
    check_values_and_grads(lambda x: F.fold(x, size, **kw), lambda t: TF.fold(t, size, **kw), cols)


def test_second_order_gradients_match():
    a = np.random.default_rng(0).standard_normal((1, 2, 4, 5))
    x, t = et.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    kw = {"kernel_size": (2, 3), "padding": 1, "stride": (2, 1)}
    (gx,) = et.autograd.grad((F.unfold(x, **kw) ** 3).sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad((TF.unfold(t, **kw) ** 3).sum(), t, create_graph=True)
    (hx,) = et.autograd.grad(F.fold(F.unfold(gx, **kw), (4, 5), **kw).sum(), x)
    (ht,) = torch.autograd.grad(TF.fold(TF.unfold(gt, **kw), (4, 5), **kw).sum(), t)
    np.testing.assert_allclose(hx.numpy(), ht.numpy(), rtol=1e-12)


def test_module_reprs_match():
    for args, kw in [((2,), {}), ((2,), {"dilation": 2, "padding": 1, "stride": (1, 2)})]:
        assert repr(nn.Unfold(*args, **kw)) == repr(torch.nn.Unfold(*args, **kw))
        assert repr(nn.Fold((4, 5), *args, **kw)) == repr(torch.nn.Fold((4, 5), *args, **kw))


_UNFOLD_BAD = [
    ((1, 2, 3, 4), (5,), {}),
    ((1, 2, 3, 4), ((2, 5),), {}),
    ((1, 2, 3, 4), ((2, 2, 2),), {}),
    ((1, 2, 3, 4), (0,), {}),
    ((1, 2, 3, 4), (2,), {"stride": 0}),
    ((1, 2, 3, 4), (2,), {"dilation": (1, 0)}),
    ((1, 2, 3, 4), (2,), {"padding": -1}),
    ((1, 2, 3, 4), (0,), {"stride": 0, "padding": -1}),
    ((1, 2, 3, 4), (2,), {"dilation": 1.0}),
    ((1, 0, 3, 4), (2,), {}),
    ((0, 3, 4), (2,), {}),
    ((1, 2, 3, 4, 5), (2,), {}),
    ((3, 4), (2,), {}),
    ((3,), (2,), {}),
    ((), (2,), {}),
]


@pytest.mark.parametrize(("shape", "args", "kw"), _UNFOLD_BAD)
def test_unfold_errors_match(shape, args, kw):
    expected = raised(TF.unfold, torch.zeros(shape), *args, **kw)
    assert expected is not None
    assert raised(F.unfold, et.zeros(shape), *args, **kw) == expected


_FOLD_BAD = [
    ((8, 6), ((3, 4), 2), {"padding": 1}),
    ((1, 7, 6), ((3, 4), 2), {}),
    ((1, 8, 5), ((3, 4), 2), {}),
    ((1, 8, 6), ((3,), 2), {}),
    ((1, 8, 6), ((3.0, 4), 2), {}),
    ((1, 8, 6), ((3, 4), 2), {"stride": 1.5}),
    ((1, 8, 6), ((0, 4), 2), {}),
    ((1, 4, 1), ((0, 0), 2), {}),
    ((1, 8, 6), ((3, 4), 0), {}),
    ((1, 0, 6), ((3, 4), 2), {}),
    ((1, 8, 0), ((3, 4), 2), {}),
    ((8,), ((3, 4), 2), {}),
    ((1, 1, 8, 6), ((3, 4), 2), {}),
]


@pytest.mark.parametrize(("shape", "args", "kw"), _FOLD_BAD)
def test_fold_errors_match(shape, args, kw):
    expected = raised(TF.fold, torch.zeros(shape), *args, **kw)
    assert expected is not None
    assert raised(F.fold, et.zeros(shape), *args, **kw) == expected


@pytest.mark.parametrize(
    ("ours", "theirs", "shape", "args"),
    [(F.unfold, TF.unfold, (1, 2, 3, 4), (2,)), (F.fold, TF.fold, (1, 8, 6), ((3, 4), 2))],
)
def test_integer_inputs_are_refused_as_in_pytorch(ours, theirs, shape, args):
    expected = raised(theirs, torch.zeros(shape, dtype=torch.int64), *args)
    assert expected is not None
    assert raised(ours, et.zeros(shape, dtype=et.int64), *args) == expected
