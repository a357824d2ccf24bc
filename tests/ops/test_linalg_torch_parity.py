"""Linear algebra ops against PyTorch: values, gradients and error messages."""

from __future__ import annotations

import numpy as np
import pytest

import eagertorch as et

torch = pytest.importorskip("torch")


def _arrays(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


def _compare(fn_et, fn_torch, shapes, seed=0):
    """Same values and same gradients (of a weighted sum) for float64 inputs."""
    xs = _arrays(shapes, seed)
    ours = [et.tensor(x, requires_grad=True) for x in xs]
    theirs = [torch.tensor(x, requires_grad=True) for x in xs]
    out_et, out_t = fn_et(*ours), fn_torch(*theirs)
    assert tuple(out_et.shape) == tuple(out_t.shape)
    np.testing.assert_allclose(
        out_et.detach().numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12
    )
    w = np.random.default_rng(seed + 1).standard_normal(tuple(out_t.shape))
    (out_et * et.tensor(w)).sum().backward()
    (out_t * torch.tensor(w)).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)


MATMUL_SHAPES = [
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3, 4)),
    ((5, 2, 3), (3,)),
    ((3,), (5, 3, 4)),
    ((5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)),
    ((5, 2, 3), (5, 3, 4)),
    ((1, 5, 2, 3), (6, 1, 3, 4)),
    ((2, 1, 2, 3), (3, 4)),
    ((0, 3), (3, 2)),
    ((2, 0), (0, 3)),
]


@pytest.mark.parametrize("sa, sb", MATMUL_SHAPES)
def test_matmul_matches_torch(sa, sb):
    _compare(lambda a, b: a @ b, lambda a, b: a @ b, [sa, sb])


@pytest.mark.parametrize(
    "name, shapes",
    [
        ("mm", [(2, 3), (3, 4)]),
        ("mv", [(2, 3), (3,)]),
        ("dot", [(4,), (4,)]),
        ("vdot", [(4,), (4,)]),
        ("bmm", [(2, 3, 4), (2, 4, 5)]),
        ("outer", [(3,), (4,)]),
        ("ger", [(3,), (4,)]),
        ("inner", [(2, 3), (4, 3)]),
        ("inner", [(2, 5, 3), (4, 3)]),
        ("inner", [(), (2, 3)]),
        ("kron", [(2, 3), (3, 2)]),
        ("kron", [(2, 3, 2), (3,)]),
        ("addmm", [(4,), (2, 3), (3, 4)]),
        ("addmm", [(2, 1), (2, 3), (3, 4)]),
        ("addmv", [(2,), (2, 3), (3,)]),
        ("baddbmm", [(3, 4), (2, 3, 5), (2, 5, 4)]),
    ],
)
def test_fixed_rank_products_match_torch(name, shapes):
    _compare(getattr(et, name), getattr(torch, name), shapes)


@pytest.mark.parametrize("name", ["addmm", "addmv", "baddbmm"])
def test_beta_and_alpha_match_torch(name):
    shapes = {
        "addmm": [(2, 4), (2, 3), (3, 4)],
        "addmv": [(2,), (2, 3), (3,)],
        "baddbmm": [(2, 3, 4), (2, 3, 5), (2, 5, 4)],
    }[name]
    _compare(
        lambda *a: getattr(et, name)(*a, beta=0.5, alpha=-2.0),
        lambda *a: getattr(torch, name)(*a, beta=0.5, alpha=-2.0),
        shapes,
    )


@pytest.mark.parametrize(
    "equation, shapes",
    [
        ("ij,jk->ik", [(2, 3), (3, 4)]),
        ("ij,jk", [(2, 3), (3, 4)]),
        ("ba", [(2, 3)]),
        ("Ab,bC", [(2, 3), (3, 4)]),
        ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
        ("ii", [(3, 3)]),
        ("ii->i", [(3, 3)]),
        ("iij->j", [(3, 3, 2)]),
        ("i,j->ij", [(2,), (3,)]),
        ("ij->", [(2, 3)]),
        ("ij->j", [(2, 3)]),
        ("ij,k->ijk", [(2, 3), (2,)]),
        ("i,ij,j->", [(3,), (3, 4), (4,)]),
        ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
        ("...ij,...jk->...ik", [(5, 2, 3), (3, 4)]),
        ("...ij,...jk", [(2, 1, 2, 3), (4, 3, 4)]),
        ("i...->...", [(2, 3, 4)]),
        ("...ii->...i", [(2, 3, 3)]),
        ("b...,b...->b", [(2, 3, 4), (2, 3, 4)]),
        ("ij,ij->i", [(2, 1), (2, 3)]),
    ],
)
def test_einsum_matches_torch(equation, shapes):
    _compare(lambda *a: et.einsum(equation, *a), lambda *a: torch.einsum(equation, *a), shapes)


@pytest.mark.parametrize(
    "dims, shapes",
    [
        (2, [(2, 3, 4), (3, 4, 5)]),
        (1, [(2, 3), (3, 4)]),
        (0, [(2, 3), (4,)]),
        (([1, 0], [0, 2]), [(2, 3, 4), (3, 5, 2)]),
        (([-1], [0]), [(2, 3), (3, 4)]),
    ],
)
def test_tensordot_matches_torch(dims, shapes):
    _compare(
        lambda a, b: et.tensordot(a, b, dims=dims),
        lambda a, b: torch.tensordot(a, b, dims=dims),
        shapes,
    )


def test_float32_matmul_matches_torch_within_float32_precision():
    a, b = _arrays([(64, 32), (32, 16)])
    a, b = a.astype(np.float32), b.astype(np.float32)
    out = et.tensor(a) @ et.tensor(b)
    assert out.dtype == et.float32
    np.testing.assert_allclose(
        out.numpy(), (torch.tensor(a) @ torch.tensor(b)).numpy(), rtol=1e-5, atol=1e-5
    )


def test_second_derivatives_of_matmul_match_torch():
    x0, a0 = _arrays([(3,), (3, 3)])
    results = []
    for lib in (et, torch):
        x = lib.tensor(x0, requires_grad=True)
        a = lib.tensor(a0, requires_grad=True)
        (g,) = lib.autograd.grad((x @ a @ x) ** 2, x, create_graph=True)
        gx, ga = lib.autograd.grad(g.sum(), (x, a))
        results.append((gx.detach().numpy(), ga.detach().numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10)


# ----- the same error message as PyTorch, word for word -----------------------------------
ERROR_CASES = [
    ("matmul", [(2, 3), (4, 5)], {}),
    ("matmul", [(3,), (4,)], {}),
    ("matmul", [(2, 3), (4,)], {}),
    ("matmul", [(4,), (2, 3)], {}),
    ("matmul", [(5, 2, 3), (5, 4, 5)], {}),
    ("matmul", [(5, 2, 3), (4, 3, 5)], {}),
    ("matmul", [(5, 2, 3), (4, 5)], {}),
    ("matmul", [(5, 2, 3), (4,)], {}),
    ("matmul", [(3,), (5, 4, 5)], {}),
    ("matmul", [(), (3,)], {}),
    ("mm", [(3,), (3, 2)], {}),
    ("mm", [(2, 3), (3,)], {}),
    ("mm", [(2, 3), (4, 2)], {}),
    ("mv", [(2, 3), (4,)], {}),
    ("mv", [(3,), (4,)], {}),
    ("dot", [(2, 3), (2, 3)], {}),
    ("dot", [(3,), (4,)], {}),
    ("bmm", [(2, 3), (3, 2)], {}),
    ("bmm", [(2, 2, 3), (2, 3)], {}),
    ("bmm", [(2, 2, 3), (3, 3, 4)], {}),
    ("outer", [(2, 2), (3,)], {}),
    ("outer", [(3,), (2, 2)], {}),
    ("inner", [(2, 3), (2, 4)], {}),
    ("addmm", [(2, 2), (3,), (3, 2)], {}),
    ("addmm", [(2, 2), (2, 3), (3,)], {}),
    ("addmm", [(2, 2), (2, 3), (4, 2)], {}),
    ("addmm", [(3, 2), (2, 3), (3, 2)], {}),
    ("addmv", [(2, 2), (2, 3), (3,)], {}),
    ("addmv", [(3,), (2, 3), (3,)], {}),
    ("baddbmm", [(3, 2, 2), (2, 2, 3), (2, 3, 2)], {}),
    ("tensordot", [(2, 3), (4, 4)], {"dims": 1}),
    ("tensordot", [(2, 3), (3, 4)], {"dims": -1}),
    ("tensordot", [(2, 3), (3, 4)], {"dims": 3}),
    ("tensordot", [(2, 3), (3, 4)], {"dims": ([1, 0], [0])}),
    ("tensordot", [(2, 3), (3, 4)], {"dims": ([1, 1], [0, 0])}),
]


def _message(lib, name, shapes, kwargs):
    try:
        getattr(lib, name)(*[lib.ones(s) for s in shapes], **kwargs)
    except (RuntimeError, IndexError, NotImplementedError) as e:
        return type(e).__name__, str(e)
    raise AssertionError(f"{lib.__name__}.{name} did not raise")


@pytest.mark.parametrize("name, shapes, kwargs", ERROR_CASES)
def test_error_message_matches_torch(name, shapes, kwargs):
    # PyTorch's message, which ours may follow with the full shapes involved
    (ours_type, ours), (theirs_type, theirs) = (
        _message(lib, name, shapes, kwargs) for lib in (et, torch)
    )
    assert ours_type == theirs_type
    assert ours.startswith(theirs)


@pytest.mark.parametrize(
    "dtype_a, dtype_b",
    [("float32", "float64"), ("float64", "float32"), ("float32", "int64")],
)
def test_dtype_mismatch_message_matches_torch(dtype_a, dtype_b):
    messages = []
    for lib in (et, torch):
        a = lib.ones(2, 3, dtype=getattr(lib, dtype_a))
        b = lib.ones(3, 2, dtype=getattr(lib, dtype_b))
        with pytest.raises(RuntimeError) as info:
            a @ b
        messages.append(str(info.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize(
    "equation, shapes",
    [
        ("ij,jk->ik", [(2, 3)]),
        ("ij", [(2, 3), (2,)]),
        ("ij->ik", [(2, 3)]),
        ("ij->jj", [(2, 2)]),
        ("ijk,jk", [(2, 3), (4, 3)]),
        ("ii", [(2, 3)]),
        ("ij,jk", [(2, 3), (4, 3)]),
        ("i.j", [(2, 3)]),
        ("i1", [(2, 3)]),
        ("...i...", [(2, 3)]),
    ],
)
def test_einsum_error_message_matches_torch(equation, shapes):
    messages = []
    for lib in (et, torch):
        with pytest.raises(RuntimeError) as info:
            lib.einsum(equation, *[lib.ones(*s) for s in shapes])
        messages.append(str(info.value))
    assert messages[0] == messages[1]
