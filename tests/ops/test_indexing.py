"""Edge cases of the indexing family: views, repeated indices, in-place writes, errors."""

from __future__ import annotations

import numpy as np
import pytest

import eagertorch as torch
from eagertorch.testing import assert_close


def leaf(values):
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)


def arange(*shape):
    return torch.arange(int(np.prod(shape)), dtype=torch.float64).reshape(shape)


# ----- reading: views, copies, key rules -------------------------------------------------------
def test_basic_index_is_a_view_sharing_memory_and_version():
    x = arange(3, 4)
    v = x[1:, ::2]
    assert np.shares_memory(v.numpy(), x.numpy())
    x.add_(1)
    assert v._version_counter == x._version_counter == 1
    assert_close(v, [[5.0, 7.0], [9.0, 11.0]])


def test_advanced_index_is_a_copy():
    x = arange(3, 4)
    v = x[[0, 2]]
    assert not np.shares_memory(v.numpy(), x.numpy())
    x.add_(1)
    assert_close(v, [[0.0, 1.0, 2.0, 3.0], [8.0, 9.0, 10.0, 11.0]])


def test_all_int_key_gives_a_zero_dim_view():
    x = arange(2, 3)
    v = x[1, 2]
    assert v.shape == () and v.item() == 5.0
    assert np.shares_memory(v.numpy(), x.numpy())


def test_zero_dim_integer_tensor_selects_like_an_int():
    x = arange(2, 3)
    v = x[torch.tensor(1)]
    assert v.shape == (3,)
    assert np.shares_memory(v.numpy(), x.numpy())


def test_ints_select_before_advanced_indexing_unlike_numpy():
    x = arange(2, 3, 4)
    assert x[0, :, [0, 1]].shape == (3, 2)  # numpy would give (2, 3)
    assert_close(x[0, :, [0, 1]], x.numpy()[0][:, [0, 1]])
    assert x[[0, 1], :, 0].shape == (2, 3)


def test_non_tuple_sequence_of_slices_is_a_tuple_key():
    x = arange(2, 3)
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        out = x[[0, slice(None)]]
    assert_close(out, [0.0, 1.0, 2.0])


def test_list_of_ints_is_an_index_array():
    assert_close(arange(3)[[2, 0, 2]], [2.0, 0.0, 2.0])


def test_python_bool_key_adds_a_dim():
    x = arange(2, 3)
    assert x[True].shape == (1, 2, 3)
    assert x[False].shape == (0, 2, 3)
    assert x[None, ..., None].shape == (1, 2, 3, 1)


def test_uint8_mask_is_deprecated_but_works():
    x = arange(3)
    with pytest.warns(UserWarning, match="uint8 is now deprecated"):
        out = x[torch.tensor([1, 0, 1], dtype=torch.uint8)]
    assert_close(out, [0.0, 2.0])


def test_grad_fn_names_follow_pytorch():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    assert x[0].grad_fn.name() == "SelectBackward0"
    assert x[:, 1:].grad_fn.name() == "SliceBackward0"
    assert x[[0, 0]].grad_fn.name() == "IndexBackward0"
    assert x[x > 2].grad_fn.name() == "IndexBackward0"


# ----- gradients -------------------------------------------------------------------------------
def test_repeated_indices_accumulate_gradient():
    x = leaf([1.0, 2.0, 3.0])
    x[[0, 0, 2, 0]].sum().backward()
    assert_close(x.grad, [3.0, 0.0, 1.0])


def test_repeated_indices_with_an_int_and_a_slice_accumulate_gradient():
    x = leaf(np.ones((2, 3, 2)))
    (x[1, :, [0, 0]] * 2).sum().backward()
    expected = np.zeros((2, 3, 2))
    expected[1, :, 0] = 4.0
    assert_close(x.grad, expected)


def test_mask_gradient_lands_on_selected_elements():
    x = leaf([[1.0, -2.0], [-3.0, 4.0]])
    (x[x > 0] * torch.tensor([10.0, 20.0], dtype=torch.float64)).sum().backward()
    assert_close(x.grad, [[10.0, 0.0], [0.0, 20.0]])


def test_advanced_indexing_supports_double_backward():
    x = leaf([1.0, 2.0, 3.0])
    (g,) = torch.autograd.grad((x[[0, 0, 2]] ** 3).sum(), x, create_graph=True)
    assert_close(g, [6.0, 0.0, 27.0])  # 2 * 3 * x0^2, 0, 3 * x2^2
    (gg,) = torch.autograd.grad(g.sum(), x)
    assert_close(gg, [12.0, 0.0, 18.0])


def test_gather_with_repeated_indices_accumulates_gradient():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    torch.gather(x, 1, torch.tensor([[0, 0, 0], [1, 0, 1]])).sum().backward()
    assert_close(x.grad, [[3.0, 0.0], [1.0, 2.0]])


def test_index_select_with_repeated_indices_accumulates_gradient():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    x.index_select(0, torch.tensor([1, 1, 0])).sum().backward()
    assert_close(x.grad, [[1.0, 1.0], [2.0, 2.0]])


def test_masked_fill_sends_masked_gradient_to_the_value_tensor():
    x = leaf([1.0, 2.0, 3.0])
    v = leaf(5.0)
    out = x.masked_fill(torch.tensor([True, False, True]), v)
    assert_close(out.detach(), [5.0, 2.0, 5.0])
    (out * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum().backward()
    assert_close(x.grad, [0.0, 2.0, 0.0])
    assert_close(v.grad, 4.0)


def test_scatter_sends_no_gradient_to_overwritten_input():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    src = leaf([[10.0, 20.0]])
    out = x.scatter(0, torch.tensor([[1, 0]]), src)
    assert_close(out.detach(), [[1.0, 20.0], [10.0, 4.0]])
    out.sum().backward()
    assert_close(x.grad, [[1.0, 0.0], [0.0, 1.0]])
    assert_close(src.grad, [[1.0, 1.0]])


def test_scatter_src_larger_than_index_gets_zero_gradient_outside_it():
    x = leaf([0.0, 0.0, 0.0])
    src = leaf([1.0, 2.0, 3.0, 4.0])
    torch.scatter_add(x, 0, torch.tensor([2, 2]), src).sum().backward()
    assert_close(src.grad, [1.0, 1.0, 0.0, 0.0])


def test_scatter_with_reduce_multiply_has_no_derivative():
    x = leaf([1.0, 2.0])
    out = x.scatter(0, torch.tensor([1]), 3.0, reduce="multiply")
    assert_close(out.detach(), [1.0, 6.0])
    with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
        out.sum().backward()


def test_index_put_accumulate_sums_repeated_indices():
    x = torch.zeros(3, dtype=torch.float64)
    v = leaf([1.0, 2.0, 4.0])
    out = x.index_put((torch.tensor([0, 0, 2]),), v, accumulate=True)
    assert_close(out.detach(), [3.0, 0.0, 4.0])
    (out * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum().backward()
    assert_close(v.grad, [1.0, 1.0, 3.0])


def test_take_and_put_use_flat_positions():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    assert_close(x.take(torch.tensor([[3, -4]])).detach(), [[4.0, 1.0]])
    out = x.put(
        torch.tensor([1, 1]), torch.tensor([5.0, 6.0], dtype=torch.float64), accumulate=True
    )
    assert_close(out.detach(), [[1.0, 13.0], [3.0, 4.0]])


# ----- writing: x[key] = v ---------------------------------------------------------------------
def test_setitem_on_a_non_leaf_records_gradients_for_input_and_value():
    a = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    v = leaf([10.0, 20.0])
    x = a * 2
    x[:, [0, 2]] = v  # broadcast over rows
    assert x.grad_fn.name() == "IndexPutBackward0"
    assert_close(x.detach(), [[10.0, 4.0, 20.0], [10.0, 10.0, 20.0]])
    (x * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum().backward()
    assert_close(a.grad, [[0.0, 4.0, 0.0], [0.0, 4.0, 0.0]])
    assert_close(v.grad, [2.0, 6.0])


def test_setitem_with_a_basic_key_writes_through_to_the_base():
    a = leaf([1.0, 2.0, 3.0, 4.0])
    b = leaf(7.0)
    x = a * 1
    x[1::2] = b
    assert_close(x.detach(), [1.0, 7.0, 3.0, 7.0])
    x.sum().backward()
    assert_close(a.grad, [1.0, 0.0, 1.0, 0.0])
    assert_close(b.grad, 2.0)


def test_setitem_on_a_leaf_requiring_grad_raises():
    x = leaf([1.0, 2.0])
    with pytest.raises(
        RuntimeError,
        match=r"a leaf Variable that requires grad is being used "
        r"in an in-place operation\.",
    ):
        x[0] = 3.0


def test_setitem_after_an_op_saved_the_old_value_raises_at_backward():
    a = leaf([1.0, 2.0])
    x = a * 1
    y = x * x  # saves x
    x[0] = 5.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_setitem_without_grad_writes_in_place_and_bumps_the_version():
    x = torch.zeros(2, 3)
    data = x.numpy()
    view = x[1]
    x[1, [0, 2]] = torch.tensor([1.0, 2.0])
    assert x.numpy() is data
    assert_close(x, [[0.0, 0.0, 0.0], [1.0, 0.0, 2.0]])
    assert x._version == 1 and view._version_counter == 1
    view[1] = 9.0
    assert x[1, 1].item() == 9.0 and x._version == 2
    assert x.grad_fn is None and not x.requires_grad


def test_setitem_casts_the_value_to_the_tensor_dtype():
    x = torch.zeros(3, dtype=torch.int64)
    x[0] = 1.7
    x[1:] = torch.tensor([2.9, 3.2])
    assert x.dtype == torch.int64 and x.tolist() == [1, 2, 3]


def test_setitem_value_from_a_leaf_makes_the_target_require_grad():
    x = torch.zeros(3, dtype=torch.float64)
    w = leaf(2.0)
    x[1] = w
    (x * 3).sum().backward()
    assert x.grad_fn is not None
    assert_close(w.grad, 3.0)


def test_setitem_rejects_values_that_do_not_broadcast():
    x = torch.zeros(2, 3)
    with pytest.raises(
        RuntimeError,
        match=r"shape mismatch: value tensor of shape \[4\] cannot "
        r"be broadcast to indexing result of shape \[3\]",
    ):
        x[0] = torch.ones(4)


def test_setitem_rejects_lists():
    with pytest.raises(TypeError, match="can't assign a list"):
        torch.zeros(2)[0] = [1.0]


def test_in_place_scatter_on_a_non_leaf_records_gradient():
    a = leaf([1.0, 2.0, 3.0])
    src = leaf([5.0])
    x = a * 1
    x.scatter_(0, torch.tensor([1]), src)
    x.index_add_(0, torch.tensor([0, 0]), src.expand(2) * 1)
    assert_close(x.detach(), [11.0, 5.0, 3.0])
    x.sum().backward()
    assert_close(a.grad, [1.0, 0.0, 1.0])
    assert_close(src.grad, [3.0])


def test_in_place_masked_fill_cannot_broadcast_self():
    x = torch.zeros(3)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        x.masked_fill_(torch.tensor([[True, False, True]]), 1.0)


# ----- errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "key, message",
    [
        (5, "index 5 is out of bounds for dimension 0 with size 3"),
        ((slice(None), 7), "index 7 is out of bounds for dimension 1 with size 4"),
        ((-4,), "index -4 is out of bounds for dimension 0 with size 3"),
        ((0, 0, 0), "too many indices for tensor of dimension 2"),
        ([0, 5], "index 5 is out of bounds for dimension 0 with size 3"),
        ((Ellipsis, [4]), "index 4 is out of bounds for dimension 1 with size 4"),
        (
            np.array([True, False]),
            r"The shape of the mask \[2\] at index 0 does not match the "
            r"shape of the indexed tensor \[3, 4\] at index 0",
        ),
        (
            ([[0, 1]], [0, 1, 2]),
            r"shape mismatch: indexing tensors could not be broadcast "
            r"together with shapes \[1, 2\], \[3\]",
        ),
    ],
)
def test_bad_keys_raise_index_error_naming_sizes(key, message):
    with pytest.raises(IndexError, match=message):
        arange(3, 4)[key]


def test_bad_key_in_setitem_names_sizes():
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        arange(3)[[0, 3]] = 1.0


@pytest.mark.parametrize(
    "step, message", [(-1, "step must be greater than zero"), (0, "slice step cannot be zero")]
)
def test_non_positive_slice_step_raises(step, message):
    x = arange(4, 2)
    with pytest.raises(ValueError, match=message):
        x[::step]
    with pytest.raises(ValueError, match=message):
        x[::step, [0]]
    with pytest.raises(ValueError, match=message):
        x[::step] = 1.0


def test_indexing_a_zero_dim_tensor_raises():
    with pytest.raises(IndexError, match="invalid index of a 0-dim tensor"):
        torch.tensor(1.0)[0]


@pytest.mark.parametrize("index", [torch.tensor([0.0]), torch.tensor([0], dtype=torch.int16)])
def test_index_tensors_must_be_long_int_byte_or_bool(index):
    with pytest.raises(
        IndexError, match="tensors used as indices must be long, int, byte or bool tensors"
    ):
        arange(3)[index]


def test_float_key_raises():
    with pytest.raises(IndexError, match=r"only integers, slices .* \(got float\)"):
        arange(3)[1.0]


def test_gather_errors_name_index_and_size():
    x = arange(2, 3)
    with pytest.raises(RuntimeError, match="index 2 is out of bounds for dimension 0 with size 2"):
        x.gather(0, torch.tensor([[0, 2, 1]]))
    with pytest.raises(RuntimeError, match="index -1 is out of bounds"):
        x.gather(0, torch.tensor([[0, -1, 1]]))
    with pytest.raises(RuntimeError, match="Expected dtype int32/int64 for index"):
        x.gather(0, torch.tensor([[0.0]]))
    with pytest.raises(RuntimeError, match="same number of dimensions as input"):
        x.gather(0, torch.tensor([0]))
    with pytest.raises(
        RuntimeError,
        match=r"expected index \[1, 4\] to be no larger than self "
        r"\[2, 3\] apart from dimension 0",
    ):
        x.gather(0, torch.tensor([[0, 1, 1, 1]]))


def test_scatter_errors():
    x = arange(2, 3)
    with pytest.raises(
        RuntimeError,
        match=r"Expected index \[1, 3\] to be no larger than self "
        r"\[2, 3\] apart from dimension 0 and to be no larger size than src "
        r"\[1, 2\]",
    ):
        x.scatter(0, torch.tensor([[0, 1, 1]]), torch.ones(1, 2, dtype=torch.float64))
    with pytest.raises(RuntimeError, match=r"Expected self\.dtype to be equal to src\.dtype"):
        x.scatter(0, torch.tensor([[0]]), torch.ones(1, 1))
    with pytest.raises(RuntimeError, match="reduce argument must be either add or multiply"):
        x.scatter(0, torch.tensor([[0]]), 1.0, reduce="max")


def test_index_op_errors_name_index_and_size():
    x = arange(2, 3)
    with pytest.raises(RuntimeError, match="index 5 is out of bounds for dimension 1 with size 3"):
        x.index_select(1, torch.tensor([5]))
    with pytest.raises(IndexError, match="Index is supposed to be a vector"):
        x.index_select(1, torch.tensor([[0]]))
    with pytest.raises(RuntimeError, match="Expected dtype int32 or int64 for index"):
        x.index_select(1, torch.tensor([0.0]))
    with pytest.raises(RuntimeError, match="index 5 is out of bounds for dimension 1 with size 3"):
        x.index_add(1, torch.tensor([0, 5]), torch.ones(2, 2, dtype=torch.float64))
    with pytest.raises(
        RuntimeError,
        match=r"Number of indices \(2\) should be equal to "
        r"source.size\(dim\): \(3\), for dim: 1",
    ):
        x.index_add(1, torch.tensor([0, 0]), torch.ones(2, 3, dtype=torch.float64))
    with pytest.raises(IndexError, match="index 4 is out of bounds for dimension 1 with size 3"):
        x.index_fill(1, torch.tensor([0, 4]), 1.0)
    with pytest.raises(IndexError, match="Expected dtype int64 for index"):
        x.index_fill(1, torch.tensor([0], dtype=torch.int32), 1.0)
    with pytest.raises(RuntimeError, match="Expected a long tensor for index, but got Int"):
        x.index_copy(1, torch.tensor([0], dtype=torch.int32), torch.ones(2, 1))


def test_take_and_put_errors_name_the_element_count():
    x = arange(2, 3)
    with pytest.raises(
        IndexError,
        match=r"out of range: tried to access index 6 on a tensor of "
        r"6 elements\.",
    ):
        x.take(torch.tensor([6]))
    with pytest.raises(RuntimeError, match="take\\(\\): Expected a long tensor for index"):
        x.take(torch.tensor([1], dtype=torch.int32))
    with pytest.raises(IndexError, match=r"source.numel\(\) = 1, index.numel\(\) = 2"):
        x.put(torch.tensor([0, 1]), torch.ones(1, dtype=torch.float64))


def test_mask_errors():
    x = arange(2, 3)
    with pytest.raises(
        RuntimeError, match="only supports boolean masks, but got mask with dtype long int"
    ):
        x.masked_fill(torch.tensor([1, 0, 1]), 1.0)
    with pytest.raises(
        RuntimeError,
        match="0-dimensional value tensor, but got tensor with 1 "
        r"dimension\(s\)",
    ):
        x.masked_fill(torch.tensor([True, False, True]), torch.tensor([1.0]))
    with pytest.raises(RuntimeError, match="expected BoolTensor for mask"):
        x.masked_select(torch.tensor([1, 0, 1]))
    with pytest.raises(
        RuntimeError,
        match=r"size of tensor a \(3\) must match the size of "
        r"tensor b \(2\)",
    ):
        x.masked_select(torch.tensor([True, False]))


def test_index_put_requires_matching_dtypes_and_tensor_values():
    x = arange(3)
    with pytest.raises(
        RuntimeError, match="got Double for the destination and Float for the source"
    ):
        x.index_put((torch.tensor([0]),), torch.tensor([1.0]))
    with pytest.raises(TypeError, match="must be Tensor, not float"):
        x.index_put((torch.tensor([0]),), 1.0)


# ----- nonzero ---------------------------------------------------------------------------------
def test_nonzero_gives_int64_positions():
    x = torch.tensor([[0.0, 1.0], [2.0, 0.0]])
    out = x.nonzero()
    assert out.dtype == torch.int64 and out.tolist() == [[0, 1], [1, 0]]
    rows, cols = torch.nonzero(x, as_tuple=True)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    assert torch.argwhere(x).tolist() == [[0, 1], [1, 0]]
    assert [t.tolist() for t in torch.where(x > 0)] == [[0, 1], [1, 0]]


def test_nonzero_of_a_zero_dim_tensor():
    assert torch.tensor(3.0).nonzero().shape == (1, 0)
    assert torch.tensor(0.0).nonzero().shape == (0, 0)
    (idx,) = torch.tensor(3.0).nonzero(as_tuple=True)
    assert idx.tolist() == [0]
    assert not torch.tensor([1.0], requires_grad=True).nonzero().requires_grad
