"""Misc ops against PyTorch: values, indices, gradients, dtypes and error messages."""

from __future__ import annotations

import math

import numpy as np
import pytest

import eagertorch as et
from tests.ops.torch_errors import assert_raises_like_torch

torch = pytest.importorskip("torch")

rng = np.random.default_rng(1)
A = rng.normal(size=(3, 4, 5))
NANS = A.copy()
NANS[0, 1, 2] = NANS[2, 0, :] = math.nan

CASES = {
    "addcmul": lambda m, x: m.addcmul(x, x, x.flip(0), value=0.3),
    "addcdiv": lambda m, x: m.addcdiv(x, x, x.exp(), value=-2),
    "repeat_interleave": lambda m, x: m.repeat_interleave(x, m.tensor([1, 0, 3, 2]), dim=1),
    "tensor_split": lambda m, x: m.cat(m.tensor_split(x, 3, dim=2), 2),
    "hsplit": lambda m, x: m.hsplit(x, [1, 3])[1],
    "vsplit": lambda m, x: m.vsplit(x, 3)[2],
    "dsplit": lambda m, x: m.dsplit(x, [2])[1],
    "select": lambda m, x: x.select(1, -2),
    "trace": lambda m, x: m.trace(x[0]),
    "cross": lambda m, x: m.cross(x[:, :3, 0], x[:, 1:, 1], dim=1),
    "diff": lambda m, x: m.diff(x, n=2, dim=1, prepend=x[:, :1], append=x[:, -2:]),
    "rot90": lambda m, x: m.rot90(x, 3, [2, 0]),
    "cummax": lambda m, x: m.cummax(x, 1).values,
    "cummin": lambda m, x: m.cummin(x, -1).values,
    "logcumsumexp": lambda m, x: m.logcumsumexp(x, 2),
    "nanmean": lambda m, x: m.nanmean(x, (0, 2), keepdim=True),
    "nanmedian": lambda m, x: m.nanmedian(x, 2).values,
    "quantile": lambda m, x: m.quantile(x, m.tensor([0.1, 0.9], dtype=m.float64), dim=1),
    "nanquantile": lambda m, x: m.nanquantile(x, 0.4, dim=0, interpolation="midpoint"),
    # NaN breaks PyTorch's own mode (its sort comparator), so mode sees none.
    "mode": lambda m, x: m.mode(m.nan_to_num(x).round(), 1).values,
    "diag_embed": lambda m, x: m.diag_embed(x, 1, 0, 3),
}


@pytest.mark.parametrize("data", [A, NANS], ids=["finite", "nan"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients(name, data):
    x, y = et.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    ours, theirs = CASES[name](et, x), CASES[name](torch, y)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    w = rng.normal(size=tuple(theirs.shape))
    (ga,) = et.autograd.grad((ours * et.tensor(w)).nansum(), x, allow_unused=True)
    (gb,) = torch.autograd.grad((theirs * torch.tensor(w)).nansum(), y, allow_unused=True)
    if gb is None:
        gb = torch.zeros_like(y)
    np.testing.assert_allclose(ga.numpy(), gb.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "name,call",
    [
        ("cummax", lambda m, x: m.cummax(x, 2)),
        ("cummin", lambda m, x: m.cummin(x, 0)),
        ("nanmedian", lambda m, x: m.nanmedian(x, 1, keepdim=True)),
        ("mode", lambda m, x: m.mode(m.nan_to_num(x).round(), 2)),
    ],
)
def test_indices_match(name, call):
    ours, theirs = call(et, et.tensor(NANS)), call(torch, torch.tensor(NANS))
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    assert ours.indices.dtype == et.int64


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
def test_quantile_modes_keepdim_and_full(name, interpolation):
    q = np.array([0.0, 0.25, 0.5, 0.8, 1.0])
    for data in (A, NANS):
        for kw in ({"dim": 2, "keepdim": True}, {}, {"keepdim": True}):
            ours = getattr(et, name)(
                et.tensor(data), et.tensor(q), interpolation=interpolation, **kw
            )
            theirs = getattr(torch, name)(
                torch.tensor(data), torch.tensor(q), interpolation=interpolation, **kw
            )
            assert tuple(ours.shape) == tuple(theirs.shape)
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_isin_matches():
    a, b = np.array([[1, 2], [3, 4]]), np.array([4, 1, 9])
    for invert in (False, True):
        np.testing.assert_array_equal(
            et.isin(et.tensor(a), et.tensor(b), invert=invert).numpy(),
            torch.isin(torch.tensor(a), torch.tensor(b), invert=invert).numpy(),
        )


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.trace(m.ones(3)),
        lambda m: m.quantile(m.tensor([1.0]), 2.0),
        lambda m: m.quantile(m.tensor([]), 0.5),
        lambda m: m.quantile(m.tensor([1.0]), m.tensor([[0.5]])),
        lambda m: m.quantile(m.tensor([1.0]), m.tensor([1.5])),
        lambda m: m.vsplit(m.ones(4), 2),
        lambda m: m.dsplit(m.ones(4, 4), 2),
        lambda m: m.cross(m.ones(2, 2), m.ones(2, 2)),
        lambda m: m.rot90(m.ones(2), 1),
        lambda m: m.mode(m.ones(0)),
        lambda m: m.nanmean(m.tensor([1, 2])),
        lambda m: m.logcumsumexp(m.tensor([1, 2]), 0),
        lambda m: m.cummax(m.ones(2), 1),
        lambda m: m.ones(2, 3).select(1, 3),
    ],
)
@pytest.mark.filterwarnings("ignore:Using torch.cross without specifying the dim")
def test_errors_match(call):
    assert_raises_like_torch(lambda: call(et), lambda: call(torch))


@pytest.mark.parametrize(
    "call",
    [
        lambda m, x: m.trace(x.int()),
        lambda m, x: m.cummax(x.int(), 0).values,
        lambda m, x: m.diff(x.long()),
        lambda m, x: m.repeat_interleave(x.short(), 2),
        lambda m, x: m.mode(x.long(), 0).values,
        lambda m, x: m.nanmedian(x.float()),
    ],
)
def test_result_dtypes(call):
    data = np.arange(6.0).reshape(2, 3)
    ours, theirs = call(et, et.tensor(data)), call(torch, torch.tensor(data))
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
