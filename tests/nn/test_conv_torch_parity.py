"""Convolutions against PyTorch: values and gradients of F.conv*, layers loading identical
weights through load_state_dict, second-order gradients, reprs and error messages."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eagertorch as et
import eagertorch.nn.functional as F

torch = pytest.importorskip("torch")


def _pair(shapes, seed=0):
    """The same float64 arrays as eagertorch and torch leaves (None stays None)."""
    rng = np.random.default_rng(seed)
    arrays = [None if s is None else rng.standard_normal(s) for s in shapes]
    ours = [None if a is None else et.tensor(a, requires_grad=True) for a in arrays]
    theirs = [None if a is None else torch.tensor(a, requires_grad=True) for a in arrays]
    return ours, theirs


def _assert_same(ours, theirs, rtol=1e-10, atol=1e-12):
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol, atol)


def _compare(fn_et, fn_torch, shapes, kwargs, seed=0):
    """Same values and same gradients (of a random weighting of the output)."""
    ours, theirs = _pair(shapes, seed)
    out_et, out_t = fn_et(*ours, **kwargs), fn_torch(*theirs, **kwargs)
    _assert_same(out_et, out_t)
    w = np.random.default_rng(seed + 1).standard_normal(tuple(out_t.shape))
    (out_et * et.tensor(w)).sum().backward()
    (out_t * torch.tensor(w)).sum().backward()
    for a, b in zip(ours, theirs):
        if a is not None:
            _assert_same(a.grad, b.grad)


@st.composite
def conv_cases(draw, nd):
    groups = draw(st.integers(1, 3))
    cg, og = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    padding = draw(st.sampled_from(["same", "valid", "ints"]))
    stride = (1,) * nd if padding == "same" else tuple(draw(st.integers(1, 3)) for _ in range(nd))
    if padding == "ints":
        padding = tuple(draw(st.integers(0, 3)) for _ in range(nd))
    pads = padding if isinstance(padding, tuple) else (0,) * nd
    size = tuple(
        max(draw(st.integers(1, 9)), d * (k - 1) + 1 - 2 * p)
        for d, k, p in zip(dilation, kernel, pads)
    )
    batch = draw(st.sampled_from([(), (1,), (3,)]))
    bias = draw(st.booleans())
    shapes = [(*batch, groups * cg, *size), (groups * og, cg, *kernel)]
    shapes.append((groups * og,) if bias else None)
    return shapes, {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}


@settings(max_examples=30)
@given(case=conv_cases(2))
def test_conv2d_values_and_gradients_match_torch(case):
    shapes, kwargs = case
    _compare(F.conv2d, torch.nn.functional.conv2d, shapes, kwargs)


@settings(max_examples=30)
@given(case=conv_cases(1))
def test_conv1d_values_and_gradients_match_torch(case):
    shapes, kwargs = case
    _compare(F.conv1d, torch.nn.functional.conv1d, shapes, kwargs)


@st.composite
def transpose_cases(draw, nd):
    groups = draw(st.integers(1, 3))
    cin_g, cout_g = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    size = tuple(draw(st.integers(1, 6)) for _ in range(nd))
    full = [
        (n - 1) * s + d * (k - 1) + op
        for n, s, d, k, op in zip(size, stride, dilation, kernel, output_padding)
    ]
    padding = tuple(draw(st.integers(0, min(3, f // 2))) for f in full)
    batch = draw(st.sampled_from([(), (1,), (3,)]))
    bias = draw(st.booleans())
    shapes = [(*batch, groups * cin_g, *size), (groups * cin_g, cout_g, *kernel)]
    shapes.append((groups * cout_g,) if bias else None)
    kwargs = {
        "stride": stride,
        "padding": padding,
        "output_padding": output_padding,
        "groups": groups,
        "dilation": dilation,
    }
    return shapes, kwargs


@settings(max_examples=30)
@given(case=transpose_cases(2))
def test_conv_transpose2d_values_and_gradients_match_torch(case):
    shapes, kwargs = case
    _compare(F.conv_transpose2d, torch.nn.functional.conv_transpose2d, shapes, kwargs)


@settings(max_examples=20)
@given(case=transpose_cases(1))
def test_conv_transpose1d_values_and_gradients_match_torch(case):
    shapes, kwargs = case
    _compare(F.conv_transpose1d, torch.nn.functional.conv_transpose1d, shapes, kwargs)


# Geometries where stride-1 windows read across row ends (the flat im2col layout) or
# padding exceeds the dilated kernel, found by fuzzing against torch.
EDGE_CASES = [
    ("conv_transpose2d", [(2, 4, 4, 2), (4, 1, 1, 3), (2,)],
     {"padding": (1, 3), "groups": 2, "dilation": (1, 3)}),
    ("conv_transpose2d", [(1, 2, 3, 3), (2, 1, 1, 1), (1,)],
     {"padding": 1, "output_padding": 2, "dilation": 3}),
    ("conv2d", [(2, 3, 1, 2), (2, 3, 1, 4), None], {"padding": "same", "dilation": 3}),
    ("conv2d", [(1, 2, 5, 4), (3, 2, 3, 2), (3,)], {"padding": (2, 3), "dilation": (1, 3)}),
    ("conv1d", [(2, 2, 3), (2, 1, 4), (2,)], {"padding": "same", "groups": 2, "dilation": 2}),
]  # fmt: skip


@pytest.mark.parametrize("name, shapes, kwargs", EDGE_CASES)
def test_edge_geometries_match_torch(name, shapes, kwargs):
    _compare(getattr(F, name), getattr(torch.nn.functional, name), shapes, kwargs)


@pytest.mark.parametrize("transposed", [False, True])
def test_second_order_gradients_match_torch(transposed):
    name = "conv_transpose2d" if transposed else "conv2d"
    shapes = [(2, 4, 5, 6), (4, 3, 3, 2), (6 if transposed else 4,)]
    if not transposed:
        shapes[1] = (4, 2, 3, 2)
    kwargs = {"stride": 2, "padding": 1, "groups": 2}
    results = []
    for lib, fn in ((et, getattr(F, name)), (torch, getattr(torch.nn.functional, name))):
        ours = _pair(shapes)[0 if lib is et else 1]
        x, w, b = ours
        y = fn(x, w, b, **kwargs)
        gx, gw = lib.autograd.grad(y.square().sum(), (x, w), create_graph=True)
        penalty = (gx * gx).sum() + (gw * gw * gw).sum()
        results.append(lib.autograd.grad(penalty, (x, w, b)))
    for a, b in zip(*results):
        _assert_same(a, b, rtol=1e-9)


# ----- layers: identical weights through load_state_dict, same outputs and gradients -------
LAYERS = [
    ("Conv2d", (3, 6, 3), {"padding": 1}, (2, 3, 8, 7)),
    ("Conv2d", (4, 6, (3, 2)), {"stride": 2, "dilation": (1, 2), "groups": 2}, (2, 4, 9, 8)),
    ("Conv2d", (2, 4, 4), {"padding": "same", "bias": False}, (3, 2, 6, 5)),
    ("Conv2d", (2, 4, 3), {"padding": 2, "padding_mode": "reflect"}, (2, 2, 5, 6)),
    ("Conv2d", (2, 4, 3), {"padding": (1, 2), "padding_mode": "replicate"}, (2, 2, 5, 6)),
    ("Conv2d", (2, 4, 3), {"padding": "same", "padding_mode": "circular"}, (2, 2, 5, 6)),
    ("Conv2d", (3, 5, 1), {}, (4, 3, 3, 3)),
    ("Conv1d", (3, 6, 5), {"stride": 2, "padding": 2, "groups": 3}, (2, 3, 11)),
    ("Conv1d", (2, 2, 3), {"padding": 1, "padding_mode": "circular"}, (2, 7)),
    ("ConvTranspose2d", (4, 6, 3), {"stride": 2, "padding": 1, "output_padding": 1}, (2, 4, 4, 5)),
    ("ConvTranspose2d", (4, 2, (2, 3)), {"groups": 2, "dilation": 2}, (1, 4, 3, 3)),
    ("ConvTranspose1d", (3, 2, 4), {"stride": 3, "padding": 1}, (2, 3, 5)),
]


def _twins(name, args, kwargs):
    ours = getattr(et.nn, name)(*args, **kwargs, dtype=et.float64)
    theirs = getattr(torch.nn, name)(*args, **kwargs, dtype=torch.float64)
    state = {k: et.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    result = ours.load_state_dict(state)
    assert not result.missing_keys and not result.unexpected_keys
    return ours, theirs


@pytest.mark.parametrize("name, args, kwargs, shape", LAYERS)
def test_layer_with_loaded_weights_matches_torch(name, args, kwargs, shape):
    ours, theirs = _twins(name, args, kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    (x_et,), (x_t,) = _pair([shape], seed=3)
    out_et, out_t = ours(x_et), theirs(x_t)
    _assert_same(out_et, out_t)
    w = np.random.default_rng(4).standard_normal(tuple(out_t.shape))
    (out_et * et.tensor(w)).sum().backward()
    (out_t * torch.tensor(w)).sum().backward()
    _assert_same(x_et.grad, x_t.grad)
    for p_et, p_t in zip(ours.parameters(), theirs.parameters()):
        _assert_same(p_et.grad, p_t.grad)


def test_conv_transpose_output_size_matches_torch():
    ours, theirs = _twins("ConvTranspose2d", (2, 3, 3), {"stride": 3})
    (x_et,), (x_t,) = _pair([(1, 2, 4, 4)])
    for size in ([12, 12], [13, 14], [1, 3, 14, 12]):
        _assert_same(ours(x_et, output_size=size), theirs(x_t, output_size=size))


def test_attributes_match_torch():
    for name, args, kwargs, _ in LAYERS:
        ours, theirs = _twins(name, args, kwargs)
        for attr in (
            "in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
            "transposed", "output_padding", "groups", "padding_mode",
        ):  # fmt: skip
            assert getattr(ours, attr) == getattr(theirs, attr), (name, attr)
        assert list(ours._reversed_padding_repeated_twice) == list(
            theirs._reversed_padding_repeated_twice
        )


def test_default_init_matches_torch_distribution():
    """Both draw weight and bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), with PyTorch's
    fan_in (weight.shape[1] * kernel elements, also for transposed layers)."""
    for name, args in (("Conv2d", (8, 32, 3)), ("ConvTranspose2d", (8, 32, 3))):
        ours, theirs = getattr(et.nn, name)(*args), getattr(torch.nn, name)(*args)
        fan_in, _ = torch.nn.init._calculate_fan_in_and_fan_out(theirs.weight)
        bound = fan_in**-0.5
        for p_et, p_t in zip(ours.parameters(), theirs.parameters()):
            a, b = p_et.detach().numpy(), p_t.detach().numpy()
            assert np.abs(a).max() <= bound and np.abs(b).max() <= bound
        a, b = ours.weight.detach().numpy(), theirs.weight.detach().numpy()
        assert np.abs(a).max() > 0.95 * bound and abs(a.std() - b.std()) < 0.1 * b.std()


# ----- the same bad calls raise the same errors ------------------------------------------
BAD_CALLS = [
    ("conv2d", [(2, 4, 5, 5), (8, 3, 3, 3)], {}),
    ("conv2d", [(2, 3, 2, 2), (8, 3, 3, 3)], {}),
    ("conv2d", [(2, 3, 2, 2), (8, 3, 3, 3)], {"dilation": 2, "padding": 1}),
    ("conv2d", [(2, 3, 5, 5), (3, 2, 3, 3)], {"groups": 2}),
    ("conv2d", [(2, 3, 5, 5), (4, 2, 3, 3)], {"groups": 2}),
    ("conv2d", [(2, 3, 5, 5), (8, 3, 3, 3)], {"padding": -1}),
    ("conv2d", [(2, 3, 5, 5), (8, 3, 3, 3)], {"stride": 0}),
    ("conv2d", [(2, 3, 5, 5), (8, 3, 3, 3)], {"dilation": 0}),
    ("conv2d", [(2, 3, 5, 5), (8, 3, 3, 3)], {"groups": 0}),
    ("conv2d", [(2, 3, 5, 5), (8, 3, 3, 3)], {"padding": "same", "stride": 2}),
    ("conv2d", [(2, 3, 5, 5), (8, 3, 3, 3)], {"padding": "foo"}),
    ("conv2d", [(2, 3), (8, 3, 3, 3)], {}),
    ("conv2d", [(2, 3, 5, 5), (8, 3, 3, 3)], {"stride": (1, 1, 1)}),
    ("conv2d", [(2, 3, 5, 0), (3, 3, 3, 3)], {"padding": 3}),
    ("conv2d", [(2, 3, 5, 5), (0, 3, 3, 3)], {}),
    ("conv1d", [(2, 4, 5), (3, 2, 3)], {}),
    ("conv1d", [(2, 2, 2), (3, 2, 3)], {}),
    ("conv1d", [(2, 3, 5, 5), (3, 2, 3, 3)], {}),
    ("conv_transpose2d", [(2, 3, 5, 5), (3, 2, 3, 3)], {"output_padding": 1}),
    ("conv_transpose2d", [(2, 4, 5, 5), (3, 2, 3, 3)], {}),
    ("conv_transpose2d", [(2, 3, 5, 5), (3, 2, 3, 3)], {"groups": 2}),
    ("conv_transpose2d", [(2, 3, 5, 5), (3, 2, 3, 3)], {"padding": -1}),
    ("conv_transpose2d", [(2, 3, 5, 5), (3, 2, 3, 3)], {"output_padding": -1}),
    ("conv_transpose1d", [(2, 3, 5), (3, 2, 3)], {"output_padding": 1}),
    ("conv_transpose1d", [(2, 2, 2, 2), (2, 2, 3)], {}),
]


@pytest.mark.parametrize("name, shapes, kwargs", BAD_CALLS)
def test_bad_calls_raise_the_same_error_as_torch(name, shapes, kwargs):
    with pytest.raises(RuntimeError) as theirs:
        getattr(torch.nn.functional, name)(*[torch.zeros(s) for s in shapes], **kwargs)
    with pytest.raises(RuntimeError) as ours:
        getattr(F, name)(*[et.zeros(*s) for s in shapes], **kwargs)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((3, 4, 3), {"groups": 2}),
        ((4, 3, 3), {"groups": 2}),
        ((4, 4, 3), {"groups": 0}),
        ((4, 4, 3), {"padding": "same", "stride": 2}),
    ],
)
def test_layer_constructor_errors_match_torch(args, kwargs):
    with pytest.raises(ValueError) as theirs:
        torch.nn.Conv2d(*args, **kwargs)
    with pytest.raises(ValueError) as ours:
        et.nn.Conv2d(*args, **kwargs)
    assert str(ours.value) == str(theirs.value)
