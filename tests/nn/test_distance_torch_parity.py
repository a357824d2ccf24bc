"""cosine_similarity and pairwise_distance against PyTorch: values and gradients (clamped
norms included), broadcasting, keepdim, dtypes, errors and module reprs."""

from __future__ import annotations

import numpy as np
import pytest

import eagertorch as et
import eagertorch.nn.functional as F
from eagertorch import nn

torch = pytest.importorskip("torch")
from tests.nn.torch_parity import check_values_and_grads, raised  # noqa: E402

TF = torch.nn.functional


_SHAPES = [((3, 4), (3, 4)), ((3, 1, 4), (5, 4)), ((4,), (2, 4)), ((2, 3), (1,)), ((), ())]


def _arrays(s1, s2, scale1=1.0):
    rng = np.random.default_rng(0)
    return rng.standard_normal(s1) * scale1, rng.standard_normal(s2)


@pytest.mark.parametrize(("s1", "s2"), _SHAPES)
@pytest.mark.parametrize("dim", [0, -1])
@pytest.mark.parametrize(("scale", "eps"), [(1.0, 1e-8), (1e-3, 0.1)])
def test_cosine_similarity_matches_including_clamped_norms(s1, s2, dim, scale, eps):
    a, b = _arrays(s1, s2, scale)
    check_values_and_grads(
        lambda x, y: F.cosine_similarity(x, y, dim, eps),
        lambda x, y: TF.cosine_similarity(x, y, dim, eps),
        a,
        b,
        rtol=1e-10,
    )


@pytest.mark.parametrize(("s1", "s2"), _SHAPES)
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, float("inf")])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance_matches(s1, s2, p, keepdim):
    a, b = _arrays(s1, s2)
    check_values_and_grads(
        lambda x, y: F.pairwise_distance(x, y, p, 1e-6, keepdim),
        lambda x, y: TF.pairwise_distance(x, y, p, 1e-6, keepdim),
        a,
        b,
        rtol=1e-10,
    )


def test_zero_vectors_and_overflowing_norms_match():
    a = np.array([[0.0, 0.0], [1e200, 1e200], [1.0, -2.0]])
    b = np.array([[1.0, 2.0], [1e200, 1e200], [0.0, 0.0]])
    check_values_and_grads(F.cosine_similarity, TF.cosine_similarity, a, b)


@pytest.mark.parametrize(
    ("d1", "d2"), [(et.float32, torch.float32), (et.int64, torch.int64)]
)  # a float partner
def test_result_dtypes_match(d1, d2):
    a = np.arange(6).reshape(2, 3)
    ours = F.cosine_similarity(et.tensor(a, dtype=d1), et.tensor(a, dtype=et.float64))
    theirs = TF.cosine_similarity(torch.tensor(a, dtype=d2), torch.tensor(a, dtype=torch.float64))
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    ours = F.pairwise_distance(et.tensor(a, dtype=d1), et.tensor(a, dtype=d1))
    theirs = TF.pairwise_distance(torch.tensor(a, dtype=d2), torch.tensor(a, dtype=d2))
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]


@pytest.mark.parametrize(
    ("name", "s1", "s2", "kw", "int_"),
    [
        ("cosine_similarity", (3, 4), (2, 4), {}, False),
        ("cosine_similarity", (4,), (4,), {}, False),
        ("cosine_similarity", (), (), {}, False),
        ("cosine_similarity", (3, 4), (3, 4), {"dim": -3}, False),
        ("cosine_similarity", (3, 4), (3, 4), {}, True),
        ("pairwise_distance", (3, 4), (2, 4), {}, False),
    ],
)
def test_errors_match(name, s1, s2, kw, int_):
    d_et, d_t = (et.int64, torch.int64) if int_ else (et.float32, torch.float32)
    expected = raised(
        getattr(TF, name), torch.zeros(s1, dtype=d_t), torch.zeros(s2, dtype=d_t), **kw
    )
    assert expected is not None
    ours = raised(getattr(F, name), et.zeros(s1, dtype=d_et), et.zeros(s2, dtype=d_et), **kw)
    # eagertorch's broadcasting errors also name both shapes (DESIGN.md), after PyTorch's text
    assert ours[0] is expected[0]
    assert ours[1].startswith(expected[1])


def test_modules_match():
    for args in [(), (1.0, 1e-3, True)]:
        ours, theirs = nn.PairwiseDistance(*args), torch.nn.PairwiseDistance(*args)
        assert repr(ours) == repr(theirs)
        assert (ours.norm, ours.eps, ours.keepdim) == (theirs.norm, theirs.eps, theirs.keepdim)
    for args in [(), (0, 1e-3)]:
        ours, theirs = nn.CosineSimilarity(*args), torch.nn.CosineSimilarity(*args)
        assert repr(ours) == repr(theirs)
        assert (ours.dim, ours.eps) == (theirs.dim, theirs.eps)
