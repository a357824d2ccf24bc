"""Edge cases of sorting, selection and counting."""

from __future__ import annotations

import numpy as np
import pytest

import eagertorch as torch
from eagertorch.autograd import grad


def test_sort_values_backward_twice_scatters_to_chosen_positions():
    x = torch.tensor([3.0, 1.0, 2.0], requires_grad=True)
    v = x.sort(descending=True).values
    (g,) = grad((v * v * torch.tensor([1.0, 2.0, 3.0])).sum(), x, create_graph=True)
    assert g.tolist() == [6.0, 6.0, 8.0]  # 2 * x * weight of x's sorted slot
    (gg,) = grad(g.sum(), x)
    assert gg.tolist() == [2.0, 6.0, 4.0]


def test_sort_indices_are_int64_and_do_not_require_grad():
    x = torch.tensor([[2.0, 1.0]], requires_grad=True)
    values, indices = torch.sort(x)
    assert indices.dtype == torch.int64 and not indices.requires_grad
    assert values.requires_grad


def test_stable_descending_sort_keeps_ties_in_input_order():
    _, idx = torch.sort(torch.tensor([1, 2, 1, 2, 1]), descending=True, stable=True)
    assert idx.tolist() == [1, 3, 0, 2, 4]


def test_sort_of_0d_tensor_is_itself_with_index_0():
    values, indices = torch.tensor(5.0).sort()
    assert values.item() == 5.0 and indices.item() == 0 and indices.shape == ()


@pytest.mark.parametrize("k", [-1, 4])
def test_topk_k_out_of_range_raises(k):
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        torch.topk(torch.zeros(3), k)


@pytest.mark.parametrize("k", [0, 4])
def test_kthvalue_k_out_of_range_raises(k):
    with pytest.raises(RuntimeError, match="selected number k out of range for dimension 0"):
        torch.kthvalue(torch.zeros(3), k)


def test_unique_counts_and_inverse_rebuild_the_input():
    x = torch.tensor([[3, 1], [3, 2]])
    values, inverse, counts = torch.unique(x, return_inverse=True, return_counts=True)
    assert values.tolist() == [1, 2, 3] and counts.tolist() == [1, 1, 2]
    assert values[inverse].tolist() == x.tolist()


def test_unique_with_dim_is_refused_clearly():
    with pytest.raises(NotImplementedError, match="dim=None"):
        torch.unique(torch.zeros(2, 2), dim=0)


def test_bincount_without_weights_counts_and_honours_minlength():
    out = torch.bincount(torch.tensor([0, 2, 2]), minlength=5)
    assert out.tolist() == [1, 0, 2, 0, 0] and out.dtype == torch.int64


def test_bincount_of_empty_input_is_minlength_zeros():
    assert torch.bincount(torch.tensor([], dtype=torch.int64), minlength=2).tolist() == [0, 0]


def test_histc_puts_max_in_last_bin_and_ignores_outside_values():
    out = torch.histc(torch.tensor([0.0, 0.5, 1.0, 2.0, -1.0]), bins=2, min=0, max=1)
    assert out.tolist() == [1.0, 2.0]


def test_searchsorted_nd_rows_are_independent():
    seq = torch.tensor([[1, 3, 5], [2, 4, 6]])
    out = torch.searchsorted(seq, torch.tensor([[3], [3]]))
    assert out.tolist() == [[1], [1]]


def test_searchsorted_sorter_permutes_sequence_first():
    seq = torch.tensor([5, 1, 3])
    out = torch.searchsorted(seq, torch.tensor([4]), sorter=torch.argsort(seq))
    assert out.tolist() == [2]


def test_bucketize_out_int32():
    out = torch.bucketize(torch.tensor([0.5, 2.0]), torch.tensor([1.0, 2.0]), out_int32=True)
    assert out.dtype == torch.int32 and out.tolist() == [0, 1]


def test_histc_matches_numpy_histogram():
    x = np.random.default_rng(0).normal(size=50)
    expected, _ = np.histogram(x, bins=7, range=(-1, 1))
    assert torch.histc(torch.tensor(x), bins=7, min=-1, max=1).tolist() == expected.tolist()
