"""Sorting, selection and counting against PyTorch: values, indices, NaN, dtypes, errors."""

from __future__ import annotations

import numpy as np
import pytest

import eagertorch as et
from tests.ops.torch_errors import assert_raises_like_torch

torch = pytest.importorskip("torch")

NAN = float("nan")
DATA = [[3.0, NAN, 1.0, 3.0, -2.0], [0.0, 0.0, NAN, 5.0, -1.0]]


def _both(data, dtype="float32"):
    a = np.array(data, dtype=dtype)
    return et.tensor(a), torch.tensor(a)


def _same(ours, theirs):
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [0, -1])
def test_stable_sort_with_nan_and_ties(descending, dim):
    ours, theirs = _both(DATA)
    a = et.sort(ours, dim=dim, descending=descending, stable=True)
    b = torch.sort(theirs, dim=dim, descending=descending, stable=True)
    _same(a.values, b.values)
    _same(a.indices, b.indices)
    _same(
        et.argsort(ours, dim=dim, descending=descending, stable=True),
        torch.argsort(theirs, dim=dim, descending=descending, stable=True),
    )


@pytest.mark.parametrize("dtype", ["int32", "uint8", "bool", "float64"])
def test_sort_keeps_dtype(dtype):
    ours, theirs = _both([[1, 0, 3], [2, 2, 0]], dtype)
    _same(
        ours.sort(descending=True, stable=True).values,
        theirs.sort(descending=True, stable=True).values,
    )
    _same(et.msort(ours), torch.msort(theirs))


@pytest.mark.parametrize("largest", [True, False])
def test_topk_values_with_nan(largest):
    ours, theirs = _both(DATA)
    _same(et.topk(ours, 3, largest=largest).values, torch.topk(theirs, 3, largest=largest).values)


def test_topk_and_kthvalue_indices_without_ties():
    data = [[4.0, 1.0, 3.0, 2.0], [0.5, 9.0, -1.0, 7.0]]
    ours, theirs = _both(data)
    _same(et.topk(ours, 2, dim=1).indices, torch.topk(theirs, 2, dim=1).indices)
    a, b = et.kthvalue(ours, 2, 0, keepdim=True), torch.kthvalue(theirs, 2, 0, keepdim=True)
    _same(a.values, b.values)
    _same(a.indices, b.indices)


def test_values_gradients_match():
    data = np.array([[4.0, 1.0, 3.0, 2.0], [0.5, 9.0, -1.0, 7.0]])
    x, y = et.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    w = np.arange(8.0).reshape(2, 4)
    for ours, theirs in [
        (et.sort(x, 0, True).values, torch.sort(y, 0, True).values),
        (et.topk(x, 2).values, torch.topk(y, 2).values),
        (et.kthvalue(x, 2).values, torch.kthvalue(y, 2).values),
    ]:
        (ga,) = et.autograd.grad(
            (ours * et.tensor(w[..., : ours.shape[-1]][: ours.shape[0]])).sum(), x
        )
        (gb,) = torch.autograd.grad(
            (theirs * torch.tensor(w[..., : theirs.shape[-1]][: theirs.shape[0]])).sum(), y
        )
        np.testing.assert_array_equal(ga.numpy(), gb.numpy())


@pytest.mark.parametrize(
    "call",
    [
        lambda m, x: m.sort(x, dim=2),
        lambda m, x: m.topk(x, 6),
        lambda m, x: m.topk(x, 1, dim=-3),
        lambda m, x: m.kthvalue(x, 0, dim=1),
        lambda m, x: m.kthvalue(x, 6),
    ],
)
def test_bad_dim_or_k_errors_match(call):
    ours, theirs = _both(DATA)
    assert_raises_like_torch(lambda: call(et, ours), lambda: call(torch, theirs))


@pytest.mark.parametrize("flags", [(False, False), (True, False), (False, True), (True, True)])
def test_unique_and_unique_consecutive(flags):
    data = [[2, 2, 1], [1, 3, 3]]
    ours, theirs = _both(data, "int64")
    inv, cnt = flags
    for name in ("unique", "unique_consecutive"):
        a = getattr(et, name)(ours, return_inverse=inv, return_counts=cnt)
        b = getattr(torch, name)(theirs, return_inverse=inv, return_counts=cnt)
        for p, q in zip(a if inv or cnt else [a], b if inv or cnt else [b]):
            _same(p, q)


def test_unique_keeps_every_nan():
    ours, theirs = _both([NAN, 1.0, NAN])
    _same(et.unique(ours), torch.unique(theirs))


@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted_and_bucketize(side):
    seq = np.array([[1.0, 2.0, 2.0, 4.0], [0.0, 1.0, 1.0, 1.0]])
    vals = np.array([[2.0, 0.0, 5.0], [1.0, -1.0, 1.5]])
    right = side == "right"
    _same(
        et.searchsorted(et.tensor(seq), et.tensor(vals), side=side),
        torch.searchsorted(torch.tensor(seq), torch.tensor(vals), side=side),
    )
    _same(
        et.bucketize(et.tensor(vals), et.tensor(seq[0]), right=right),
        torch.bucketize(torch.tensor(vals), torch.tensor(seq[0]), right=right),
    )
    _same(
        et.searchsorted(et.tensor(seq[0]), 2.0, right=right),
        torch.searchsorted(torch.tensor(seq[0]), 2.0, right=right),
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.searchsorted(m.tensor([1, 2]), m.tensor([1]), right=True, side="left"),
        lambda m: m.searchsorted(m.tensor([[1, 2]]), m.tensor([[1], [2]])),
        lambda m: m.bucketize(m.tensor([1]), m.tensor([[1]])),
        lambda m: m.searchsorted(m.tensor([[1, 3], [2, 4]]), 2),
        lambda m: m.bincount(m.tensor([-1])),
        lambda m: m.bincount(m.tensor([1.0])),
        lambda m: m.bincount(m.tensor([1]), minlength=-1),
        lambda m: m.bincount(m.tensor([1, 2]), weights=m.tensor([1.0])),
        lambda m: m.histc(m.tensor([1, 2])),
        lambda m: m.histc(m.tensor([1.0, 2.0]), min=3, max=1),
    ],
)
def test_counting_errors_match(call):
    assert_raises_like_torch(lambda: call(et), lambda: call(torch))


@pytest.mark.parametrize("wdtype", [None, "float32", "float64", "int64"])
def test_bincount_values_and_dtype(wdtype):
    idx = [1, 1, 4, 0]
    ow = tw = None
    if wdtype:
        w = np.array([0.5, 1, 2, 3]).astype(wdtype)
        ow, tw = et.tensor(w), torch.tensor(w)
    _same(et.bincount(et.tensor(idx), ow, 6), torch.bincount(torch.tensor(idx), tw, 6))


@pytest.mark.parametrize("bins,lo,hi", [(4, 0, 0), (3, -1, 2), (5, 1, 1)])
def test_histc(bins, lo, hi):
    ours, theirs = _both([0.1, -1.0, 2.0, 1.5, 1.0, 3.0, 0.7])
    _same(et.histc(ours, bins, lo, hi), torch.histc(theirs, bins, lo, hi))
