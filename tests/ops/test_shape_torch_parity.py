"""Values, gradients, grad_fn names and error messages of the shape family against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import eagertorch as et
from eagertorch.ops.shape import pad as et_pad

torch = pytest.importorskip("torch")


def _pad(m, *args, **kwargs):
    return (et_pad if m is et else torch.nn.functional.pad)(*args, **kwargs)


def _combine(m, out):
    """One tensor from an op's result (tuples are weighted so every output gets a gradient)."""
    if isinstance(out, tuple):
        return sum(o.reshape(-1).sum() * (i + 1) + (o * o).sum() for i, o in enumerate(out))
    return out


# Each case: (name, input shape, fn(module, x)) written once for both libraries.
CASES = [
    ("reshape", (2, 3, 4), lambda m, x: x.reshape(4, -1)),
    ("reshape_noncontiguous", (2, 3, 4), lambda m, x: x.transpose(0, 2).reshape(-1, 2)),
    ("view", (2, 3, 4), lambda m, x: x.view(6, 4)),
    ("view_as", (2, 3, 4), lambda m, x: x.view_as(m.zeros(4, 6))),
    ("reshape_as", (2, 3, 4), lambda m, x: x.mT.reshape_as(m.zeros(24))),
    ("flatten", (2, 3, 4), lambda m, x: x.flatten(1)),
    ("flatten_scalar", (), lambda m, x: m.flatten(x)),
    ("unflatten", (2, 12), lambda m, x: x.unflatten(1, (3, -1))),
    ("ravel", (3, 4), lambda m, x: x.t().ravel()),
    ("squeeze_all", (1, 3, 1), lambda m, x: x.squeeze()),
    ("squeeze_dims", (1, 3, 1), lambda m, x: x.squeeze((0, 1))),
    ("unsqueeze", (3, 4), lambda m, x: x.unsqueeze(-1)),
    ("transpose", (2, 3, 4), lambda m, x: x.transpose(0, -1)),
    ("swapaxes", (2, 3, 4), lambda m, x: m.swapaxes(x, 1, 2)),
    ("swapdims", (2, 3, 4), lambda m, x: x.swapdims(0, 1)),
    ("t", (3, 4), lambda m, x: x.t()),
    ("T", (3, 4), lambda m, x: x.T),
    ("mT", (2, 3, 4), lambda m, x: x.mT),
    ("permute", (2, 3, 4), lambda m, x: x.permute(2, 0, 1)),
    ("movedim", (2, 3, 4), lambda m, x: m.movedim(x, (0, 1), (2, 0))),
    ("moveaxis", (2, 3, 4), lambda m, x: x.moveaxis(-1, 0)),
    ("expand", (3, 1), lambda m, x: x.expand(2, -1, 4)),
    ("expand_as", (3, 1), lambda m, x: x.expand_as(m.zeros(3, 5))),
    ("broadcast_to", (3, 1), lambda m, x: m.broadcast_to(x, (2, 3, 2))),
    ("broadcast_tensors", (3, 1), lambda m, x: m.broadcast_tensors(x, x.t() * 2)),
    ("meshgrid_ij", (3,), lambda m, x: m.meshgrid(x, x.narrow(0, 0, 2) * 2, indexing="ij")),
    ("meshgrid_xy", (3,), lambda m, x: m.meshgrid(x, x.narrow(0, 0, 2) * 2, x, indexing="xy")),
    ("narrow", (4, 5), lambda m, x: x.narrow(1, -3, 2)),
    ("diagonal", (3, 4, 5), lambda m, x: x.diagonal(1, 2, 0)),
    ("diagonal_negative", (4, 5), lambda m, x: m.diagonal(x, -2)),
    ("unfold", (3, 7), lambda m, x: x.unfold(1, 3, 2)),
    ("unfold_overlapping", (3, 7), lambda m, x: x.unfold(-1, 4, 1)),
    ("split_int", (5, 2), lambda m, x: x.split(2)),
    ("split_sizes", (5, 2), lambda m, x: m.split(x, [1, 0, 4])),
    ("chunk", (2, 7), lambda m, x: x.chunk(3, 1)),
    ("unbind", (2, 3), lambda m, x: x.unbind(1)),
    ("cat", (2, 3), lambda m, x: m.cat([x, x.narrow(1, 0, 1) * 3, x * x], 1)),
    ("cat_negative_dim", (2, 3), lambda m, x: m.cat((x, x), -2)),
    (
        "concat",
        (2, 3),
        lambda m, x: m.concat([x, x]),
    ),
    ("concatenate", (2, 3), lambda m, x: m.concatenate([x, x], axis=1)),
    ("stack", (2, 3), lambda m, x: m.stack([x, x * 2, x * 3], -1)),
    ("hstack", (2, 3), lambda m, x: m.hstack([x, x])),
    ("vstack", (3,), lambda m, x: m.vstack([x, x * 2])),
    ("dstack", (3,), lambda m, x: m.dstack([x, x * 2])),
    ("column_stack", (3,), lambda m, x: m.column_stack([x, x * 2])),
    ("atleast_3d", (2, 3), lambda m, x: m.atleast_3d(x)),
    ("repeat", (2, 3), lambda m, x: x.repeat(2, 1, 3)),
    ("tile", (2, 3), lambda m, x: x.tile((2,))),
    ("flip", (2, 3, 4), lambda m, x: x.flip(0, 2)),
    ("fliplr", (2, 3), lambda m, x: m.fliplr(x)),
    ("flipud", (2, 3), lambda m, x: x.flipud()),
    ("roll", (3, 4), lambda m, x: x.roll((1, -5), (0, 1))),
    ("roll_flat", (3, 4), lambda m, x: m.roll(x, 5)),
    ("tril", (2, 4, 4), lambda m, x: x.tril(-1)),
    ("triu", (4, 3), lambda m, x: m.triu(x, 1)),
    ("diag_vector", (3,), lambda m, x: m.diag(x, -1)),
    ("diag_matrix", (3, 4), lambda m, x: x.diag(1)),
    ("pad", (2, 3, 4), lambda m, x: _pad(m, x, (1, 2, -1, 0, 0, 1), value=0.5)),
]


@pytest.mark.parametrize(("name", "shape", "fn"), CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients_match_pytorch(name, shape, fn):
    values = np.random.default_rng(0).standard_normal(shape)
    a = et.tensor(values, requires_grad=True, dtype=et.float64)
    t = torch.tensor(values, requires_grad=True, dtype=torch.float64)
    ours, theirs = fn(et, a), fn(torch, t)
    if isinstance(theirs, tuple):
        assert len(ours) == len(theirs)
        for o, p in zip(ours, theirs):
            np.testing.assert_array_equal(o.detach().numpy(), p.detach().numpy())
    else:
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    weights = np.random.default_rng(1).standard_normal(_combine(torch, theirs).shape)
    (_combine(et, ours) * et.tensor(weights)).sum().backward()
    (_combine(torch, theirs) * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "name", ["reshape", "transpose", "narrow", "unfold", "diagonal", "repeat", "pad", "cat"]
)
def test_double_backward_matches_pytorch(name):
    shape, fn = next((s, f) for n, s, f in CASES if n == name)
    values = np.random.default_rng(2).standard_normal(shape)
    results = []
    for m in (et, torch):
        x = m.tensor(values, requires_grad=True, dtype=m.float64)
        y = fn(m, x)
        (g,) = m.autograd.grad((y * y * y).sum(), x, create_graph=True)
        (gg,) = m.autograd.grad((g * g).sum(), x)
        results.append(gg.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "name",
    [
        "view",
        "t",
        "transpose",
        "permute",
        "narrow",
        "expand",
        "unsqueeze",
        "squeeze_dims",
        "split_int",
        "split_sizes",
        "unbind",
        "cat",
        "stack",
        "repeat",
        "flip",
        "roll",
        "tril",
        "unfold",
        "diagonal",
        "pad",
        "mT",
    ],
)
def test_grad_fn_names_match_pytorch(name):
    shape, fn = next((s, f) for n, s, f in CASES if n == name)
    a = et.zeros(shape, dtype=et.float64, requires_grad=True)
    t = torch.zeros(shape, dtype=torch.float64, requires_grad=True)
    ours, theirs = fn(et, a), fn(torch, t)
    if isinstance(theirs, tuple):
        ours, theirs = ours[0], theirs[0]
    assert ours.grad_fn.name() == theirs.grad_fn.name()


ERRORS = [
    lambda m: m.zeros(6).view(2, 5),
    lambda m: m.zeros(6).reshape(-1, -1),
    lambda m: m.zeros(6).reshape(-2, 3),
    lambda m: m.zeros(0).view(-1, 0),
    lambda m: m.zeros(2, 3).t().view(6),
    lambda m: m.zeros(3).expand(2, 4),
    lambda m: m.zeros(2, 3).expand(3),
    lambda m: m.zeros(3).expand(-1, 3),
    lambda m: m.cat([m.zeros(2, 2), m.zeros(3, 3)], 1),
    lambda m: m.cat([m.zeros(2, 3), m.zeros(2, 0)], 0),
    lambda m: m.cat([m.zeros(2, 2), m.zeros(2)]),
    lambda m: m.cat([]),
    lambda m: m.cat([m.tensor(1.0)]),
    lambda m: m.cat([m.zeros(2, 3)], 2),
    lambda m: m.stack([m.zeros(2, 3), m.zeros(2, 2)]),
    lambda m: m.stack([]),
    lambda m: m.zeros(2, 3, 4).t(),
    lambda m: m.zeros(3).mT,
    lambda m: m.zeros(3).permute(1),
    lambda m: m.zeros(2, 3).permute(0, 0),
    lambda m: m.zeros(2, 3).permute(0),
    lambda m: m.zeros(2, 3).transpose(0, 2),
    lambda m: m.zeros(5).narrow(0, 3, 3),
    lambda m: m.zeros(5).narrow(0, 7, 0),
    lambda m: m.zeros(5).narrow(0, 0, -1),
    lambda m: m.zeros(2, 3).diagonal(0, 1, 1),
    lambda m: m.zeros(5).unfold(0, 6, 1),
    lambda m: m.zeros(5).unfold(0, 2, 0),
    lambda m: m.zeros(2, 3).repeat(2),
    lambda m: m.zeros(3).fliplr(),
    lambda m: m.tensor(1.0).flipud(),
    lambda m: m.zeros(3).roll((1, 2), (0,)),
    lambda m: m.zeros(3).roll((1, 2)),
    lambda m: m.zeros(3).tril(),
    lambda m: m.zeros(3).triu(),
    lambda m: m.zeros(2, 2, 2).diag(),
    lambda m: m.zeros(2, 3).unflatten(1, (2, 2)),
    lambda m: m.zeros(3).unflatten(0, ()),
    lambda m: m.zeros(2, 3).split(0),
    lambda m: m.zeros(2, 3).split(-1),
    lambda m: m.zeros(2, 3).split([2, -1]),
    lambda m: m.zeros(2, 3).split([1, 1], 1),
    lambda m: m.zeros(2, 3).chunk(0),
    lambda m: m.tensor(1.0).unbind(),
    lambda m: m.zeros(2, 3).squeeze((0, 0)),
    lambda m: m.zeros(2, 3).unsqueeze(3),
    lambda m: m.zeros(2, 3).flatten(1, 0),
    lambda m: m.zeros(2, 3).movedim((0, 1), (1,)),
    lambda m: m.zeros(2, 3).movedim((0, 0), (0, 1)),
    lambda m: m.zeros(2, 3).flip(0, 0),
    lambda m: m.broadcast_tensors(m.zeros(2, 3), m.zeros(4, 1)),
    lambda m: m.meshgrid(m.zeros(2), m.zeros(3), indexing="foo"),
    lambda m: m.meshgrid(indexing="ij"),
    lambda m: m.zeros(3).view(m.int64),
    lambda m: m.zeros(2, 3).t().view(m.int16),
    lambda m: _pad(m, m.zeros(2, 3), (1,)),
    lambda m: _pad(m, m.zeros(2, 3), (1, 1, 1, 1, 1, 1)),
]


@pytest.mark.parametrize("fn", ERRORS, ids=range(len(ERRORS)))
def test_error_type_and_message_match_pytorch(fn):
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(Exception) as ours:
        fn(et)
    assert type(ours.value).__name__ == type(theirs.value).__name__
    # PyTorch's message, which ours may follow with the shapes and dimension involved
    assert str(ours.value).startswith(str(theirs.value).split("\n")[0])
