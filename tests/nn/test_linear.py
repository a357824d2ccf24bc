"""Linear, Bilinear, Identity and F.linear: values, gradients, init and errors."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import eagertorch as et
import eagertorch.nn.functional as F
from eagertorch import nn
from eagertorch.autograd import gradcheck, gradgradcheck

SIDE = st.integers(1, 4)


@given(batch=st.lists(st.integers(0, 3), max_size=2), fin=SIDE, fout=SIDE, bias=st.booleans())
def test_linear_matches_numpy_and_passes_gradcheck(batch, fin, fout, bias):
    x = et.randn(*batch, fin, dtype=et.float64, requires_grad=True)
    w = et.randn(fout, fin, dtype=et.float64, requires_grad=True)
    b = et.randn(fout, dtype=et.float64, requires_grad=True) if bias else None
    out = F.linear(x, w, b)
    expected = x.numpy(force=True) @ w.numpy(force=True).T
    if bias:
        expected = expected + b.numpy(force=True)
    np.testing.assert_allclose(out.numpy(force=True), expected, rtol=1e-12, atol=1e-12)
    inputs = (x, w) + ((b,) if bias else ())
    assert gradcheck(lambda *a: F.linear(*a), inputs)
    assert gradgradcheck(lambda *a: F.linear(*a), inputs)


@given(
    batch=st.lists(st.integers(1, 3), max_size=2),
    fin=SIDE,
    fout=SIDE,
    wanted=st.tuples(st.booleans(), st.booleans(), st.booleans()).filter(any),
)
def test_linear_double_backward_for_any_subset_of_inputs(batch, fin, fout, wanted):
    # The backward is one node computing only the wanted gradients; its own backward must
    # still be right for every combination (and for leading batch dims).
    x, w, b = (
        et.randn(*shape, dtype=et.float64, requires_grad=need)
        for shape, need in zip(((*batch, fin), (fout, fin), (fout,)), wanted)
    )
    inputs = tuple(t for t in (x, w, b) if t.requires_grad)

    def fn(*args):
        it = iter(args)
        return F.linear(*(next(it) if t.requires_grad else t for t in (x, w, b)))

    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


@given(fin1=SIDE, fin2=SIDE, fout=SIDE, n=st.integers(0, 3))
def test_bilinear_gradcheck(fin1, fin2, fout, n):
    args = [
        et.randn(n, fin1, dtype=et.float64, requires_grad=True),
        et.randn(n, fin2, dtype=et.float64, requires_grad=True),
        et.randn(fout, fin1, fin2, dtype=et.float64, requires_grad=True),
        et.randn(fout, dtype=et.float64, requires_grad=True),
    ]
    expected = np.einsum("ni,nj,kij->nk", *(a.numpy(force=True) for a in args[:3]))
    out = F.bilinear(*args)
    np.testing.assert_allclose(out.numpy(force=True), expected + args[3].numpy(force=True))
    assert gradcheck(F.bilinear, args)


def test_linear_layer_shapes_names_and_default_init_bounds():
    lin = nn.Linear(400, 30)
    assert lin.weight.shape == (30, 400) and lin.bias.shape == (30,)
    bound = 1 / math.sqrt(400)
    w = lin.weight.numpy(force=True)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    # U(-b, b) has std b/sqrt(3)
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert np.abs(lin.bias.numpy(force=True)).max() <= bound
    assert nn.Linear(3, 2, bias=False).bias is None
    assert list(nn.Linear(3, 2, bias=False).state_dict()) == ["weight"]


def test_linear_respects_dtype_argument_and_manual_seed():
    et.manual_seed(3)
    a = nn.Linear(4, 2, dtype=et.float64)
    et.manual_seed(3)
    b = nn.Linear(4, 2, dtype=et.float64)
    assert a.weight.dtype == et.float64
    assert et.equal(a.weight, b.weight)


def test_linear_wrong_input_features_names_both_shapes():
    with pytest.raises(
        RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(5x3 and 4x2\)"
    ):
        nn.Linear(4, 2)(et.randn(5, 3))


def test_identity_ignores_constructor_arguments():
    x = et.randn(2)
    assert nn.Identity(54, unused="x")(x) is x


def test_bilinear_rejects_mismatched_batches():
    m = nn.Bilinear(2, 3, 4)
    assert m(et.randn(5, 2), et.randn(5, 3)).shape == (5, 4)
    with pytest.raises(RuntimeError, match="batch dimensions do not match"):
        m(et.randn(5, 2), et.randn(4, 3))
