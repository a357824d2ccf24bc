"""Edge cases of addcmul/addcdiv, splits, rot90, diff, cross, scans and order statistics."""

from __future__ import annotations

import math

import pytest

import eagertorch as torch
from eagertorch.autograd import grad

NAN = math.nan


def test_addcdiv_refuses_integer_division():
    one = torch.ones(2, dtype=torch.int64)
    with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
        torch.addcdiv(one, one, one)


def test_addcmul_in_place_writes_into_the_tensor():
    p = torch.zeros(2)
    p.addcmul_(torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0]), value=0.5)
    assert p.tolist() == [1.5, 4.0]


def test_repeat_interleave_of_counts_alone_repeats_their_positions():
    assert torch.repeat_interleave(torch.tensor([2, 0, 1])).tolist() == [0, 0, 2]


def test_repeat_interleave_gradient_sums_the_copies():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    x.repeat_interleave(torch.tensor([3, 1])).sum().backward()
    assert x.grad.tolist() == [3.0, 1.0]


def test_repeat_interleave_wrong_count_length_raises():
    with pytest.raises(RuntimeError, match="repeats must have the same size"):
        torch.repeat_interleave(torch.ones(3), torch.tensor([1, 2]))


def test_tensor_split_indices_beyond_the_end_give_empty_pieces():
    pieces = torch.tensor_split(torch.arange(7), [1, 5, 9])
    assert [p.tolist() for p in pieces] == [[0], [1, 2, 3, 4], [5, 6], []]


def test_tensor_split_pieces_are_views():
    x = torch.zeros(4)
    torch.tensor_split(x, 2)[1][0] = 5.0
    assert x.tolist() == [0.0, 0.0, 5.0, 0.0]


def test_hsplit_uneven_sections_raise():
    with pytest.raises(RuntimeError, match="not divisible by the split_size 3"):
        torch.hsplit(torch.ones(2, 4), 3)


def test_select_out_of_range_raises():
    with pytest.raises(IndexError, match="select\\(\\): index 3 out of range"):
        torch.ones(2, 3).select(0, 3)


def test_rot90_four_times_is_identity_and_dims_must_differ():
    x = torch.arange(6).reshape(2, 3)
    assert torch.rot90(x, 4).tolist() == x.tolist()
    assert torch.rot90(x, -1).tolist() == torch.rot90(x, 3).tolist()
    with pytest.raises(RuntimeError, match="rotation dims to be different"):
        torch.rot90(x, 1, [1, 1])


def test_diff_of_0d_raises():
    with pytest.raises(RuntimeError, match="at least one-dimensional"):
        torch.diff(torch.tensor(1.0))


def test_cross_without_dim_takes_first_size_3_dim():
    a = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    b = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    assert torch.cross(a, b).tolist() == [[0.0, 1.0], [0.0, 0.0], [1.0, 0.0]]


def test_cross_needs_length_3():
    with pytest.raises(RuntimeError, match="must have length 3"):
        torch.cross(torch.ones(2, 2), torch.ones(2, 2), dim=1)


def test_trace_sums_integers_in_int64():
    out = torch.trace(torch.arange(9, dtype=torch.int32).reshape(3, 3))
    assert out.item() == 12 and out.dtype == torch.int64


def test_cummax_ties_and_nan_move_the_index_on():
    values, indices = torch.cummax(torch.tensor([1.0, 3.0, 3.0, NAN, 5.0]), 0)
    assert indices.tolist() == [0, 1, 2, 3, 3]
    assert math.isnan(values[-1].item())


def test_cummax_values_backward_twice():
    x = torch.tensor([2.0, 1.0, 3.0], requires_grad=True)
    (g,) = grad((torch.cummax(x, 0).values ** 2).sum(), x, create_graph=True)
    assert g.tolist() == [8.0, 0.0, 6.0]
    (gg,) = grad(g.sum(), x)
    assert gg.tolist() == [4.0, 0.0, 2.0]


def test_logcumsumexp_is_finite_for_huge_inputs():
    out = torch.logcumsumexp(torch.tensor([1000.0, 1000.0]), 0)
    assert out.tolist() == pytest.approx([1000.0, 1000.0 + math.log(2.0)])


def test_nanmean_of_all_nan_is_nan_and_integers_are_refused():
    assert math.isnan(torch.nanmean(torch.tensor([NAN, NAN])).item())
    with pytest.raises(RuntimeError, match="floating point"):
        torch.nanmean(torch.tensor([1, 2]))


def test_nanmedian_skips_nan_and_gradient_reaches_the_median():
    x = torch.tensor([NAN, 3.0, 1.0, 2.0], requires_grad=True)
    out = torch.nanmedian(x)
    out.backward()
    assert out.item() == 2.0 and x.grad.tolist() == [0.0, 0.0, 0.0, 1.0]


def test_quantile_linear_gradient_splits_between_neighbours():
    x = torch.tensor([0.0, 10.0, 20.0], requires_grad=True)
    out = torch.quantile(x, 0.25)
    out.backward()
    assert out.item() == 5.0 and x.grad.tolist() == [0.5, 0.5, 0.0]


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda: torch.quantile(torch.tensor([1.0]), 1.5), "q must be in the range"),
        (lambda: torch.quantile(torch.tensor([1]), 0.5), "float or double"),
        (lambda: torch.quantile(torch.tensor([1.0]), 0.5, interpolation="x"), "must be one of"),
    ],
)
def test_quantile_argument_errors(call, message):
    with pytest.raises(RuntimeError, match=message):
        call()


def test_mode_picks_the_smallest_most_frequent_value_and_its_last_index():
    values, indices = torch.mode(torch.tensor([1, 3, 3, 1, 2, 2]))
    assert values.item() == 1 and indices.item() == 3


def test_isin_invert_and_scalar_test_elements():
    x = torch.tensor([1, 2, 3])
    assert torch.isin(x, 2).tolist() == [False, True, False]
    assert torch.isin(x, torch.tensor([1, 3]), invert=True).tolist() == [False, True, False]


def test_diag_embed_gradient_is_the_diagonal():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    m = torch.diag_embed(x, offset=-1)
    (m * torch.arange(9.0).reshape(3, 3)).sum().backward()
    assert m.shape == (3, 3) and x.grad.tolist() == [3.0, 7.0]
