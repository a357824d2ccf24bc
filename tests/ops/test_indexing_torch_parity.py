"""The indexing family against PyTorch: values, gradients and error types."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import eagertorch as et
from eagertorch.testing import assert_close
from eagertorch.testing.strategies import shapes

torch = pytest.importorskip("torch")


def _leaves(arrays):
    ours = [et.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    theirs = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    return ours, theirs


def check(ours_fn, theirs_fn, *arrays, seed: int = 0):
    """Same values from both libraries, and the same gradients for a random weighting."""
    ours_in, theirs_in = _leaves(arrays)
    out = ours_fn(*ours_in)
    expected = theirs_fn(*theirs_in)
    assert tuple(out.shape) == tuple(expected.shape)
    assert_close(out.detach(), expected.detach().numpy(), check_dtype=False)
    if not expected.requires_grad:
        return
    w = np.random.default_rng(seed).standard_normal(tuple(expected.shape))
    (out * et.tensor(w)).sum().backward()
    (expected * torch.tensor(w)).sum().backward()
    for o, t in zip(ours_in, theirs_in):
        if t.requires_grad:
            assert_close(o.grad, t.grad.numpy())


def _rand(*shape):
    return np.random.default_rng(1).standard_normal(shape)


# ----- keys, including ints mixed with index arrays (where numpy differs) ------------------------
@st.composite
def mixed_keys(draw, shape):
    """Ints, slices and index arrays for a prefix and (after an Ellipsis) a suffix of dims."""
    ishape = draw(shapes(0, 2, 1, 3))
    ndim = len(shape)
    k = draw(st.integers(0, ndim))
    p = draw(st.integers(0, k)) if draw(st.booleans()) else k

    def item(s):
        kind = draw(st.sampled_from(["int", "slice", "array"] if s else ["slice"]))
        if kind == "int":
            return draw(st.integers(-s, s - 1))
        if kind == "slice":
            return slice(
                draw(st.none() | st.integers(-s, s)), None, draw(st.sampled_from([None, 2]))
            )
        return draw(hnp.arrays(np.int64, ishape, elements=st.integers(-s, s - 1)))

    items = [item(s) for s in shape[:p]]
    if p < k or draw(st.booleans()):
        items.append(Ellipsis)
    items += [item(s) for s in shape[ndim - (k - p) :]] if k > p else []
    for _ in range(draw(st.integers(0, 1))):
        items.insert(draw(st.integers(0, len(items))), None)
    return tuple(items)


def _torch_key(key, as_tensor: bool):
    conv = torch.from_numpy if as_tensor else (lambda a: a)
    return tuple(conv(k) if isinstance(k, np.ndarray) else k for k in key)


def _our_key(key, as_tensor: bool):
    return tuple(et.tensor(k) if as_tensor and isinstance(k, np.ndarray) else k for k in key)


@given(data=st.data())
def test_getitem_matches_torch_for_mixed_keys(data):
    shape = data.draw(shapes(1, 3, 1, 4))
    key = data.draw(mixed_keys(shape))
    as_tensor = data.draw(st.booleans())
    check(lambda x: x[_our_key(key, as_tensor)], lambda x: x[_torch_key(key, True)], _rand(*shape))


@given(data=st.data())
def test_setitem_matches_torch_for_mixed_keys(data):
    shape = data.draw(shapes(1, 3, 1, 4))
    key = data.draw(mixed_keys(shape))
    region = torch.zeros(shape)[_torch_key(key, True)].shape
    value_shape = data.draw(st.sampled_from([(), tuple(region), tuple(region)[1:]]))

    def assign(lib, k):
        def fn(x, v):
            y = x * 1
            y[k] = v
            return y

        return fn

    # Repeated indices make assignment order-dependent: compare only duplicate-free keys.
    probe = np.arange(int(np.prod(shape))).reshape(shape)
    picked = torch.from_numpy(probe)[_torch_key(key, True)].numpy().reshape(-1)
    assume(len(set(picked.tolist())) == picked.size)
    check(
        assign(et, _our_key(key, True)),
        assign(torch, _torch_key(key, True)),
        _rand(*shape),
        _rand(*value_shape) if value_shape else np.array(0.5),
    )


@pytest.mark.parametrize(
    "key",
    [
        (Ellipsis, None, 1),
        (np.array([True, False, True]), slice(None), 0),
        (None, np.array([[0], [2]]), slice(1, None), np.array([1, 0, 0, 1])),
        (1, np.array([2, 2, 0]), np.array([[1], [0]])),
        (np.array([[True, False, True, True]] * 2 + [[False] * 4]),),
        (slice(None), np.array([0, 3]), None, 1),
    ],
)
def test_getitem_matches_torch_on_examples(key):
    check(
        lambda x: x[_our_key(key, True)],
        lambda x: x[_torch_key(key, True)],
        _rand(3, 4, 2)[..., 0] if len(key) == 1 else _rand(3, 4, 2),
    )


# ----- the ops ---------------------------------------------------------------------------------
IDX = np.array([[0, 2, 0], [1, 1, 2]])


@pytest.mark.parametrize(
    "name, ours, theirs, arrays",
    [
        (
            "gather",
            lambda x: et.gather(x, 1, et.tensor(IDX)),
            lambda x: torch.gather(x, 1, torch.tensor(IDX)),
            [_rand(2, 4)],
        ),
        (
            "gather_int32",
            lambda x: x.gather(0, et.tensor(IDX[:1], dtype=et.int32)),
            lambda x: x.gather(0, torch.tensor(IDX[:1], dtype=torch.int32)),
            [_rand(3, 4)],
        ),
        (
            "scatter",
            lambda x, s: x.scatter(1, et.tensor([[2, 0], [1, 3]]), s),
            lambda x, s: x.scatter(1, torch.tensor([[2, 0], [1, 3]]), s),
            [_rand(2, 4), _rand(2, 2)],
        ),
        (
            "scatter_value",
            lambda x: x.scatter(0, et.tensor([[1, 0]]), 4.0),
            lambda x: x.scatter(0, torch.tensor([[1, 0]]), 4.0),
            [_rand(2, 3)],
        ),
        (
            "scatter_add",
            lambda x, s: et.scatter_add(x, 1, et.tensor(IDX), s),
            lambda x, s: torch.scatter_add(x, 1, torch.tensor(IDX), s),
            [_rand(2, 4), _rand(2, 3)],
        ),
        (
            "scatter_reduce_add",
            lambda x, s: x.scatter(1, et.tensor(IDX), s, reduce="add"),
            # PyTorch has no derivative for scatter with reduce: compare values only.
            lambda x, s: x.detach().scatter(1, torch.tensor(IDX), s.detach(), reduce="add"),
            [_rand(2, 4), _rand(2, 5)],
        ),
        (
            "index_select",
            lambda x: x.index_select(-1, et.tensor([3, 0, 3])),
            lambda x: x.index_select(-1, torch.tensor([3, 0, 3])),
            [_rand(2, 4)],
        ),
        (
            "index_add",
            lambda x, s: x.index_add(0, et.tensor([1, 1, 0]), s, alpha=-2),
            lambda x, s: x.index_add(0, torch.tensor([1, 1, 0]), s, alpha=-2),
            [_rand(2, 3), _rand(3, 3)],
        ),
        (
            "index_copy",
            lambda x, s: x.index_copy(1, et.tensor([2, 0]), s),
            lambda x, s: x.index_copy(1, torch.tensor([2, 0]), s),
            [_rand(2, 3), _rand(2, 2)],
        ),
        (
            "index_fill",
            lambda x, v: x.index_fill(1, et.tensor([2, 0, 2]), v),
            lambda x, v: x.index_fill(1, torch.tensor([2, 0, 2]), v),
            [_rand(2, 3), np.array(0.5)],
        ),
        (
            "masked_fill",
            lambda x, v: x.masked_fill(et.tensor([[True], [False]]), v),
            lambda x, v: x.masked_fill(torch.tensor([[True], [False]]), v),
            [_rand(2, 3), np.array(0.5)],
        ),
        (
            "masked_fill_broadcast",
            lambda x: x.masked_fill(et.tensor([[[True, False, True]]]), 2.0),
            lambda x: x.masked_fill(torch.tensor([[[True, False, True]]]), 2.0),
            [_rand(2, 3)],
        ),
        (
            "masked_select",
            lambda x: x.masked_select(et.tensor([[True], [False], [True]])),
            lambda x: x.masked_select(torch.tensor([[True], [False], [True]])),
            [_rand(3, 2)],
        ),
        (
            "masked_scatter",
            lambda x, s: x.masked_scatter(et.tensor([True, False, True]), s),
            lambda x, s: x.masked_scatter(torch.tensor([True, False, True]), s),
            [_rand(2, 3), _rand(2, 4)],
        ),
        (
            "take",
            lambda x: x.take(et.tensor([[5, -1], [0, 0]])),
            lambda x: x.take(torch.tensor([[5, -1], [0, 0]])),
            [_rand(2, 3)],
        ),
        (
            "take_along_dim",
            lambda x: et.take_along_dim(x, et.tensor([[1, 0, 0]]), 0),
            lambda x: torch.take_along_dim(x, torch.tensor([[1, 0, 0]]), 0),
            [_rand(2, 1)],
        ),
        (
            "take_along_dim_flat",
            lambda x: et.take_along_dim(x, et.tensor([[4, 1]])),
            lambda x: torch.take_along_dim(x, torch.tensor([[4, 1]])),
            [_rand(2, 3)],
        ),
        (
            "put",
            lambda x, s: x.put(et.tensor([4, -1]), s),
            lambda x, s: x.put(torch.tensor([4, -1]), s),
            [_rand(2, 3), _rand(2)],
        ),
        (
            "put_accumulate",
            lambda x, s: et.put(x, et.tensor([[1, 1]]), s, accumulate=True),
            lambda x, s: torch.put(x, torch.tensor([[1, 1]]), s, accumulate=True),
            [_rand(2, 3), _rand(2)],
        ),
        (
            "index_put",
            lambda x, v: x.index_put((et.tensor([1, 0]), et.tensor([2, 2])), v),
            lambda x, v: x.index_put((torch.tensor([1, 0]), torch.tensor([2, 2])), v),
            [_rand(2, 3), _rand(2)],
        ),
        (
            "index_put_mask",
            lambda x, v: x.index_put((et.tensor([True, False]),), v, True),
            lambda x, v: x.index_put((torch.tensor([True, False]),), v, True),
            [_rand(2, 3), _rand(3)],
        ),
        (
            "scalar_gather",
            lambda x: x.gather(0, et.tensor([0, 0])),
            lambda x: x.gather(0, torch.tensor([0, 0])),
            [np.array(1.5)],
        ),
        (
            "scalar_index_select",
            lambda x: x.index_select(0, et.tensor([0])),
            lambda x: x.index_select(0, torch.tensor([0])),
            [np.array(1.5)],
        ),
        (
            "scalar_take",
            lambda x: x.take(et.tensor([0, 0])),
            lambda x: x.take(torch.tensor([0, 0])),
            [np.array(1.5)],
        ),
    ],
)
def test_op_matches_torch(name, ours, theirs, arrays):
    check(ours, theirs, *arrays)


@pytest.mark.parametrize(
    "method, args",
    [
        ("scatter_", lambda lib: (0, lib.tensor([[1, 0, 1]]), 7.0)),
        (
            "scatter_add_",
            lambda lib: (1, lib.tensor([[0, 0], [2, 2]]), lib.ones(2, 2, dtype=lib.float64)),
        ),
        ("index_fill_", lambda lib: (1, lib.tensor([1]), -3.0)),
        ("index_add_", lambda lib: (0, lib.tensor([1, 1]), lib.ones(2, 3, dtype=lib.float64))),
        ("masked_fill_", lambda lib: (lib.tensor([False, True, True]), 0.0)),
        (
            "index_put_",
            lambda lib: ((lib.tensor([0, 0]),), lib.tensor(9.0, dtype=lib.float64), True),
        ),
        ("put_", lambda lib: (lib.tensor([5]), lib.tensor([9.0], dtype=lib.float64))),
    ],
)
def test_in_place_variants_match_torch(method, args):
    a = _rand(2, 3)
    ours, theirs = et.tensor(a), torch.tensor(a)
    getattr(ours, method)(*args(et))
    getattr(theirs, method)(*args(torch))
    assert_close(ours, theirs.numpy())


@pytest.mark.parametrize(
    "values",
    [
        [[0.0, 1.0], [2.0, 0.0]],
        [0.0, 0.0],
        3.0,
        [[[True, False], [False, True]]],
    ],
)
def test_nonzero_matches_torch(values):
    ours, theirs = et.tensor(values), torch.tensor(values)
    assert ours.nonzero().tolist() == theirs.nonzero().tolist()
    assert ours.nonzero().shape == theirs.nonzero().shape
    assert [t.tolist() for t in ours.nonzero(as_tuple=True)] == [
        t.tolist() for t in theirs.nonzero(as_tuple=True)
    ]
    assert et.argwhere(ours).tolist() == torch.argwhere(theirs).tolist()


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, x: x[5],
        lambda lib, x: x[:, 4],
        lambda lib, x: x[0, 0, 0],
        lambda lib, x: x[lib.tensor([0.0])],
        lambda lib, x: x[::-1],
        lambda lib, x: x.gather(0, lib.tensor([[3]])),
        lambda lib, x: x.gather(0, lib.tensor([[0.0]])),
        lambda lib, x: x.index_select(0, lib.tensor([[0]])),
        lambda lib, x: x.index_fill(0, lib.tensor([0], dtype=lib.int32), 1.0),
        lambda lib, x: x.take(lib.tensor([20])),
        lambda lib, x: x.masked_fill(lib.tensor([1]), 1.0),
        lambda lib, x: x.scatter(0, lib.tensor([[0]]), 1.0, reduce="max"),
        lambda lib, x: x.put(lib.tensor([0, 1]), lib.ones(3, dtype=lib.float64)),
        lambda lib, x: lib.take_along_dim(x, lib.tensor([1, 0]), 1),
    ],
)
def test_errors_have_torch_types(call):
    a = _rand(3, 4)
    with pytest.raises(Exception) as expected:
        call(torch, torch.tensor(a))
    with pytest.raises(expected.type):
        call(et, et.tensor(a))


def test_setitem_on_leaf_requiring_grad_raises_like_torch():
    for lib in (torch, et):
        x = lib.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            x[0] = 2.0
