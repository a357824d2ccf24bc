"""Shape-op edge cases: view semantics, partial gradients of multi-output ops, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import eagertorch as torch
from eagertorch.ops.inplace import inplace_method
from eagertorch.ops.shape import pad
from eagertorch.testing import assert_close


def leaf(values, dtype=torch.float64):
    return torch.tensor(values, dtype=dtype, requires_grad=True)


def grid(*shape):
    return torch.arange(float(np.prod(shape))).reshape(shape)


# ----- views share memory and the version counter ----------------------------------------
VIEWS = {
    "view": lambda x: x.view(3, 4),
    "reshape": lambda x: x.reshape(-1),
    "flatten": lambda x: x.flatten(),
    "unflatten": lambda x: x.unflatten(1, (2, 2)),
    "squeeze": lambda x: x.unsqueeze(0).squeeze(0),
    "transpose": lambda x: x.transpose(0, 1),
    "t": lambda x: x.t(),
    "permute": lambda x: x.permute(1, 0),
    "movedim": lambda x: x.movedim(0, 1),
    "mT": lambda x: x.mT,
    "expand": lambda x: x.unsqueeze(0).expand(2, 3, 4),
    "narrow": lambda x: x.narrow(1, 1, 2),
    "diagonal": lambda x: x.diagonal(1),
    "unfold": lambda x: x.unfold(1, 2, 1),
    "split": lambda x: x.split(1)[1],
    "chunk": lambda x: x.chunk(2, 1)[1],
    "unbind": lambda x: x.unbind(1)[2],
}
COPIES = {
    "flip": lambda x: x.flip(0),
    "roll": lambda x: x.roll(1, 0),
    "repeat": lambda x: x.repeat(1, 1),
    "tile": lambda x: x.tile((1,)),
    "cat": lambda x: torch.cat([x]),
    "stack": lambda x: torch.stack([x]),
    "tril": lambda x: x.tril(),
    "diag": lambda x: torch.diag(x),
    "pad": lambda x: pad(x, (0, 0)),
}


@pytest.mark.parametrize("name", VIEWS)
def test_view_ops_share_memory_and_version_counter_with_their_base(name):
    x = grid(3, 4)
    y = VIEWS[name](x)
    assert np.shares_memory(y.numpy(), x.numpy())
    before = y._version_counter
    x.add_(1)
    assert y._version_counter == before + 1


@pytest.mark.parametrize("name", COPIES)
def test_copy_ops_do_not_share_memory(name):
    x = grid(3, 4)
    y = COPIES[name](x)
    assert not np.shares_memory(y.numpy(), x.numpy())


def test_writing_through_a_view_changes_the_base():
    x = grid(2, 3)
    with torch.no_grad():
        x.view(6).narrow(0, 4, 1).fill_(100.0)
        x.t().narrow(0, 0, 1).narrow(1, 1, 1).fill_(-1.0)
        x.diagonal().fill_(7.0)
    assert_close(x, [[7.0, 1.0, 2.0], [-1.0, 7.0, 5.0]])
    assert x._version_counter == 3


def test_saved_view_modified_through_its_base_raises_at_backward():
    a = leaf([1.0, 2.0, 3.0, 4.0])
    x = a * 1
    v = x.view(2, 2)
    z = v * v  # saves v
    x.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_reshape_of_a_non_contiguous_tensor_copies():
    x = grid(2, 3).t()
    y = x.reshape(6)
    assert not np.shares_memory(y.numpy(), x.numpy())
    assert_close(y, [0.0, 3.0, 1.0, 4.0, 2.0, 5.0])


def test_in_place_on_a_narrowed_view_of_a_non_leaf_routes_gradients():
    a = leaf([1.0, 2.0, 3.0, 4.0])
    b = leaf([10.0, 20.0])
    x = a * 1
    x.narrow(0, 1, 2).mul_(b)
    assert_close(x.detach(), [1.0, 20.0, 60.0, 4.0])
    x.sum().backward()
    assert_close(a.grad, [1.0, 10.0, 20.0, 1.0])
    assert_close(b.grad, [2.0, 3.0])


def test_in_place_on_a_diagonal_view_of_a_non_leaf_routes_gradients():
    a = leaf([[1.0, 2.0], [3.0, 4.0]])
    x = a * 1
    x.diagonal().mul_(3)
    (x * x).sum().backward()
    assert_close(a.grad, [[18.0, 4.0], [6.0, 72.0]])


def test_in_place_on_a_split_output_keeps_the_base_gradient_right():
    a = leaf([1.0, 2.0, 3.0])
    x = a * 1
    x.split(2)[0].mul_(3)
    assert_close(x.detach(), [3.0, 6.0, 3.0])
    (x * x).sum().backward()
    assert_close(a.grad, [18.0, 36.0, 6.0])


# ----- gradients --------------------------------------------------------------------------
def test_split_gradient_when_only_some_outputs_are_used_is_zero_elsewhere():
    a = leaf([1.0, 2.0, 3.0, 4.0, 5.0])
    p0, _, p2 = a.split(2)
    (p0 * 2).sum().backward(retain_graph=True)
    (p2 * 5).sum().backward()
    assert_close(a.grad, [2.0, 2.0, 0.0, 0.0, 5.0])


def test_unbind_gradient_when_only_one_output_is_used_is_zero_elsewhere():
    a = leaf([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    rows = a.unbind(1)
    (rows[1] ** 2).sum().backward()
    assert_close(a.grad, [[0.0, 4.0], [0.0, 8.0], [0.0, 12.0]])


def test_chunk_gradient_of_one_chunk():
    a = leaf([1.0, 2.0, 3.0, 4.0, 5.0])
    a.chunk(3)[1].sum().backward()
    assert_close(a.grad, [0.0, 0.0, 1.0, 1.0, 0.0])


def test_unfold_gradient_accumulates_over_overlapping_windows():
    a = leaf([1.0, 2.0, 3.0, 4.0, 5.0])
    a.unfold(0, 3, 1).sum().backward()
    assert_close(a.grad, [1.0, 2.0, 3.0, 2.0, 1.0])


def test_repeat_gradient_sums_over_the_copies():
    a = leaf([[1.0, 2.0]])
    (a.repeat(3, 2, 1) * torch.arange(12.0, dtype=torch.float64).reshape(3, 2, 2)).sum().backward()
    assert_close(a.grad, [[30.0, 36.0]])


def test_negative_pad_crops_and_cropped_elements_get_no_gradient():
    a = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    y = pad(a, (-1, 1, 1, 0), value=9.0)
    assert_close(y.detach(), [[9.0, 9.0, 9.0], [2.0, 3.0, 9.0], [5.0, 6.0, 9.0]])
    y.sum().backward()
    assert_close(a.grad, [[0.0, 1.0, 1.0], [0.0, 1.0, 1.0]])


def test_expand_gradient_sums_over_the_broadcast_dims():
    a = leaf([[1.0], [2.0]])
    a.expand(3, -1, 4).sum().backward()
    assert_close(a.grad, [[12.0], [12.0]])


def test_cat_skips_legacy_empty_1d_tensors_and_promotes_dtypes():
    ints = torch.tensor([[1, 2]])
    floats = leaf([[0.5, 1.5]], torch.float32)
    out = torch.cat([torch.zeros(0, dtype=torch.float64), ints, floats])
    assert out.dtype == torch.float64
    assert_close(out.detach(), [[1.0, 2.0], [0.5, 1.5]])
    out.sum().backward()
    assert floats.grad.dtype == torch.float32
    assert_close(floats.grad, [[1.0, 1.0]])


def test_tril_in_place_through_the_in_place_mechanism_keeps_gradients_right():
    # methods.py does not bind ``tril_`` yet; this is the method it would bind.
    tril_ = inplace_method(torch.tril, "tril_")
    a = leaf([[1.0, 2.0], [3.0, 4.0]])
    x = a * 2
    assert tril_(x, 0) is x
    assert_close(x.detach(), [[2.0, 0.0], [6.0, 8.0]])
    x.sum().backward()
    assert_close(a.grad, [[2.0, 0.0], [2.0, 2.0]])


def test_stack_promotes_dtypes():
    assert torch.stack([torch.tensor([1, 2]), torch.tensor([0.5, 1.0])]).dtype == torch.float32


# ----- semantics -------------------------------------------------------------------------
def test_squeeze_of_a_dim_that_is_not_size_one_is_a_no_op():
    x = torch.zeros(2, 1, 3)
    assert x.squeeze(0).shape == (2, 1, 3)
    assert x.squeeze((0, 1)).shape == (2, 3)
    assert x.squeeze().shape == (2, 3)


def test_flatten_returns_the_input_when_no_dims_are_merged():
    x = torch.zeros(2, 3)
    assert x.flatten(1, 1) is x
    assert torch.tensor(2.0).flatten().shape == (1,)


def test_reshape_infers_the_minus_one_dim():
    assert grid(2, 3, 4).reshape(-1, 4).shape == (6, 4)
    assert grid(2, 3, 4).view(2, -1).shape == (2, 12)


def test_expand_keeps_sizes_given_as_minus_one():
    assert torch.zeros(3, 1).expand(2, -1, 5).shape == (2, 3, 5)


def test_t_of_a_vector_is_the_vector():
    x = torch.arange(3.0)
    assert x.t().shape == (3,)


def test_T_reverses_all_dims_and_warns_for_non_matrices():
    x = torch.zeros(2, 3, 4)
    with pytest.warns(UserWarning, match="x.T"):
        assert x.T.shape == (4, 3, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert torch.zeros(2, 3).T.shape == (3, 2)


def test_meshgrid_without_indexing_warns_and_uses_ij():
    with pytest.warns(UserWarning, match="indexing"):
        a, b = torch.meshgrid(torch.arange(2.0), torch.arange(3.0))
    assert a.shape == (2, 3) and b.shape == (2, 3)


def test_meshgrid_xy_swaps_the_first_two_dims():
    a, b, c = torch.meshgrid(torch.zeros(2), torch.zeros(3), torch.zeros(4), indexing="xy")
    assert a.shape == b.shape == c.shape == (3, 2, 4)


def test_chunk_may_return_fewer_chunks_than_asked():
    assert [c.shape[0] for c in torch.arange(5.0).chunk(4)] == [2, 2, 1]
    assert len(torch.zeros(0).chunk(3)) == 3


def test_view_as_dtype_reinterprets_bits():
    x = torch.tensor([1.0, 2.0], dtype=torch.float32)
    assert_close(x.view(torch.int32), np.array([1.0, 2.0], np.float32).view(np.int32))
    assert x.view(torch.int64).shape == (1,)


def test_diag_builds_a_matrix_from_a_vector_and_takes_a_diagonal_back():
    v = torch.tensor([1.0, 2.0])
    assert_close(torch.diag(v, 1), [[0.0, 1.0, 0.0], [0.0, 0.0, 2.0], [0.0, 0.0, 0.0]])
    assert_close(torch.diag(torch.diag(v, -1), -1), v)


@pytest.mark.parametrize(
    ("method", "args", "shape"),
    [
        ("t_", (), (3, 2)),
        ("transpose_", (0, 1), (3, 2)),
        ("swapaxes_", (0, 1), (3, 2)),
        ("swapdims_", (1, 0), (3, 2)),
        ("unsqueeze_", (1,), (2, 1, 3)),
        ("squeeze_", (), (2, 3)),
    ],
)
def test_in_place_view_methods_change_the_shape_of_the_tensor_itself(method, args, shape):
    x = torch.zeros(2, 3)
    assert getattr(x, method)(*args) is x
    assert x.shape == shape


@pytest.mark.parametrize(
    ("fn", "node"),
    [
        (lambda x: x.view(6), "ViewBackward0"),
        (lambda x: x.t(), "TBackward0"),
        (lambda x: x.transpose(0, 1), "TransposeBackward0"),
        (lambda x: x.permute(1, 0), "PermuteBackward0"),
        (lambda x: x.narrow(0, 0, 1), "SliceBackward0"),
        (lambda x: x.split(1)[0], "SplitBackward0"),
        (lambda x: x.split([1, 1])[0], "SplitWithSizesBackward0"),
        (lambda x: x.unbind()[0], "UnbindBackward0"),
        (lambda x: x.expand(2, 2, 3), "ExpandBackward0"),
        (lambda x: torch.cat([x, x]), "CatBackward0"),
        (lambda x: x.repeat(1, 2), "RepeatBackward0"),
        (lambda x: x.unfold(1, 2, 1), "UnfoldBackward0"),
    ],
)
def test_grad_fn_names_match_pytorch(fn, node):
    x = torch.zeros(2, 3, requires_grad=True)
    assert fn(x).grad_fn.name() == node


# ----- errors ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fn", "error", "message"),
    [
        (
            lambda: torch.zeros(6).view(2, 5),
            RuntimeError,
            "shape '[2, 5]' is invalid for input of size 6",
        ),
        (
            lambda: torch.zeros(6).reshape(-1, -1),
            RuntimeError,
            "only one dimension can be inferred",
        ),
        (
            lambda: torch.zeros(6).reshape(-2, 3),
            RuntimeError,
            "invalid shape dimension -2 at index 0 of shape [-2, 3]",
        ),
        (
            lambda: torch.zeros(2, 3).t().view(6),
            RuntimeError,
            "view size is not compatible with input tensor's size and stride",
        ),
        (
            lambda: torch.zeros(3).expand(2, 4),
            RuntimeError,
            "The expanded size of the tensor (4) must match the existing size (3) at non-singleton "
            "dimension 1.  Target sizes: [2, 4].  Tensor sizes: [3]",
        ),
        (
            lambda: torch.zeros(2, 3).expand(3),
            RuntimeError,
            "the number of sizes provided (1) must be greater or equal to the number of dimensions "
            "in the tensor (2)",
        ),
        (
            lambda: torch.cat([torch.zeros(2, 2), torch.zeros(3, 3)], 1),
            RuntimeError,
            "Sizes of tensors must match except in dimension 1. Expected size 2 but got size 3 for "
            "tensor number 1 in the list.",
        ),
        (
            lambda: torch.cat([torch.zeros(2, 2), torch.zeros(2)]),
            RuntimeError,
            "Tensors must have same number of dimensions: got 2 and 1",
        ),
        (lambda: torch.cat([]), ValueError, "expected a non-empty list of Tensors"),
        (
            lambda: torch.cat([torch.tensor(1.0)]),
            RuntimeError,
            "zero-dimensional tensor (at position 0) cannot be concatenated",
        ),
        (
            lambda: torch.stack([torch.zeros(2, 3), torch.zeros(2, 2)]),
            RuntimeError,
            "stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [2, 2] at "
            "entry 1",
        ),
        (
            lambda: torch.zeros(2, 3, 4).t(),
            RuntimeError,
            "t() expects a tensor with <= 2 dimensions, but self is 3D",
        ),
        (lambda: torch.zeros(3).mT, RuntimeError, "Got 1-D tensor"),
        (lambda: torch.zeros(2, 3).permute(0, 0), RuntimeError, "duplicate dims are not allowed"),
        (
            lambda: torch.zeros(2, 3).permute(0),
            RuntimeError,
            "input.dim() = 2 is not equal to len(dims) = 1",
        ),
        (
            lambda: torch.zeros(2, 3).transpose(0, 2),
            IndexError,
            "Dimension out of range (expected to be in range of [-2, 1], but got 2)",
        ),
        (
            lambda: torch.zeros(5).narrow(0, 3, 3),
            RuntimeError,
            "start (3) + length (3) exceeds dimension size (5).",
        ),
        (
            lambda: torch.zeros(5).unfold(0, 6, 1),
            RuntimeError,
            "maximum size for tensor at dimension 0 is 5 but size is 6",
        ),
        (lambda: torch.zeros(5).unfold(0, 2, 0), RuntimeError, "step is 0 but must be > 0"),
        (
            lambda: torch.zeros(2, 3).diagonal(0, 1, 1),
            RuntimeError,
            "diagonal dimensions cannot be identical 1, 1",
        ),
        (
            lambda: torch.zeros(2, 3).repeat(2),
            RuntimeError,
            "Number of dimensions of repeat dims can not be smaller than number of dimensions",
        ),
        (lambda: torch.zeros(3).fliplr(), RuntimeError, "Input must be >= 2-d."),
        (
            lambda: torch.zeros(3).roll((1, 2), (0,)),
            RuntimeError,
            "shifts and dimensions must align. shifts: 2, dims:1",
        ),
        (lambda: torch.zeros(3).tril(), RuntimeError, "tril: input tensor must have at least 2"),
        (
            lambda: torch.zeros(2, 2, 2).diag(),
            RuntimeError,
            "diag(): Supports 1D or 2D tensors. Got 3D",
        ),
        (
            lambda: torch.zeros(2, 3).unflatten(1, (2, 2)),
            RuntimeError,
            "unflatten: Provided sizes [2, 2] don't multiply up to the size of dim 1 (3)",
        ),
        (
            lambda: torch.zeros(2, 3).split([1, 1], 1),
            RuntimeError,
            "split_with_sizes expects split_sizes to sum exactly to 3",
        ),
        (
            lambda: torch.zeros(2, 3).chunk(0),
            RuntimeError,
            "chunk expects `chunks` to be greater than 0",
        ),
        (lambda: torch.tensor(1.0).unbind(), IndexError, "tensor has no dimensions"),
        (
            lambda: torch.zeros(2, 3).movedim((0, 0), (0, 1)),
            RuntimeError,
            "movedim: repeated dim in `source` ([0, 0])",
        ),
        (
            lambda: torch.meshgrid(torch.zeros(2), indexing="foo"),
            RuntimeError,
            'indexing must be one of "xy" or "ij"',
        ),
        (
            lambda: torch.broadcast_tensors(torch.zeros(2, 3), torch.zeros(4, 1)),
            RuntimeError,
            "The size of tensor a (2) must match the size of tensor b (4) at non-singleton "
            "dimension 0",
        ),
        (
            lambda: pad(torch.zeros(2, 3), (1,)),
            RuntimeError,
            "Padding length must be divisible by 2",
        ),
        (
            lambda: pad(torch.zeros(2, 3), (1,) * 6),
            RuntimeError,
            "got padding length 6 and input of dimension 2",
        ),
        (
            lambda: pad(torch.zeros(2, 3), (-2, -2)),
            RuntimeError,
            "resulted in a negative output size",
        ),
        (
            lambda: pad(torch.zeros(2, 3), (1, 1), mode="reflect"),
            NotImplementedError,
            "only mode='constant'",
        ),
    ],
)
def test_errors_name_the_sizes_like_pytorch(fn, error, message):
    with pytest.raises(error) as info:
        fn()
    assert message in str(info.value)


def test_a_failed_view_leaves_the_input_untouched():
    x = grid(2, 3)
    with pytest.raises(RuntimeError):
        x.view(4)
    assert x.shape == (2, 3)
    assert x._version_counter == 0
