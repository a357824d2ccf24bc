"""Tensor reprs print exactly as PyTorch's (columns aligned, same number formats)."""

import numpy as np
import pytest

import eagertorch as et

torch = pytest.importorskip("torch")

CASES = [
    [[0.1732, 0.5168, 0.2986], [0.1837, 0.3331, -0.2920]],
    [1.0, -2.0, float("nan"), float("-inf")],
    [1e-5, 1.0],
    [100.0, 2.0],
    [[1, -20], [300, 4]],
    [True, False],
    [True, True],
    [0.5, 1e9],
]


@pytest.mark.parametrize("data", CASES, ids=str)
def test_repr_matches_pytorch(data):
    assert repr(et.tensor(data)) == repr(torch.tensor(data))


def test_repr_of_a_large_random_matrix_matches_pytorch():
    a = np.random.default_rng(0).standard_normal((40, 40)).astype(np.float32)
    assert repr(et.tensor(a)) == repr(torch.tensor(a))


@pytest.mark.parametrize("shape", [(2000,), (5, 400), (3, 30, 30)])
def test_summarised_reprs_match_pytorch(shape):
    a = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    assert repr(et.tensor(a)) == repr(torch.tensor(a))
