"""Edge cases of the linear algebra ops: rank rules, gradients of 1-D operands, errors."""

from __future__ import annotations

import numpy as np
import pytest

import eagertorch as torch
from eagertorch.testing import assert_close


def _leaf(*shape, dtype=torch.float64, seed=0):
    rng = np.random.default_rng(seed + len(shape))
    return torch.tensor(rng.standard_normal(shape), dtype=dtype, requires_grad=True)


# ----- matmul rank rules and their gradients ------------------------------------------------
@pytest.mark.parametrize(
    "sa, sb, expected",
    [
        ((3,), (3,), ()),
        ((2, 3), (3,), (2,)),
        ((3,), (3, 4), (4,)),
        ((2, 3), (3, 4), (2, 4)),
        ((5, 2, 3), (3,), (5, 2)),
        ((3,), (5, 3, 4), (5, 4)),
        ((5, 2, 3), (3, 4), (5, 2, 4)),
        ((2, 3), (5, 3, 4), (5, 2, 4)),
        ((1, 5, 2, 3), (6, 1, 3, 4), (6, 5, 2, 4)),
        ((0, 3), (3, 0), (0, 0)),
        ((2, 0), (0, 3), (2, 3)),
    ],
)
def test_matmul_result_shape_follows_pytorch_rank_rules(sa, sb, expected):
    out = torch.matmul(torch.ones(*sa), torch.ones(*sb))
    assert tuple(out.shape) == expected
    assert_close(out, np.matmul(np.ones(sa), np.ones(sb)), check_dtype=False)


def test_vector_times_matrix_gradients_have_the_operand_shapes():
    v, m = _leaf(3), _leaf(3, 4)
    (v @ m).sum().backward()
    assert_close(v.grad, m.detach().numpy().sum(1))
    assert_close(m.grad, np.outer(v.detach().numpy(), np.ones(4)))


def test_matrix_times_vector_gradients_have_the_operand_shapes():
    m, v = _leaf(2, 3), _leaf(3)
    (m @ v).sum().backward()
    assert_close(m.grad, np.outer(np.ones(2), v.detach().numpy()))
    assert_close(v.grad, m.detach().numpy().sum(0))


def test_dot_gradients_are_the_other_vector_scaled_by_the_output_gradient():
    a, b = _leaf(4), _leaf(4, seed=1)
    (2.0 * (a @ b)).backward()
    assert_close(a.grad, 2 * b.detach().numpy())
    assert_close(b.grad, 2 * a.detach().numpy())


def test_matrix_gradient_is_summed_over_broadcast_batch_dims():
    a, b = _leaf(4, 2, 2, 3), _leaf(3, 5)
    (a @ b).sum().backward()
    an = a.detach().numpy()
    assert_close(b.grad, an.reshape(-1, 3).T @ np.ones((16, 5)))
    assert_close(a.grad, np.ones((4, 2, 2, 5)) @ b.detach().numpy().T)


def test_size_one_batch_dim_gets_gradient_summed_over_the_broadcast():
    a, b = _leaf(4, 2, 3), _leaf(1, 3, 5)
    (a @ b).sum().backward()
    expected = np.einsum("bij,bik->jk", a.detach().numpy(), np.ones((4, 2, 5)))
    assert tuple(b.grad.shape) == (1, 3, 5)
    assert_close(b.grad, expected[None])


def test_vector_gradient_is_summed_over_the_batch_of_the_other_operand():
    v, m = _leaf(3), _leaf(5, 3, 4)
    (v @ m).sum().backward()
    assert tuple(v.grad.shape) == (3,)
    assert_close(v.grad, m.detach().numpy().sum((0, 2)))


def test_matmul_of_transposed_views_has_correct_values_and_gradients():
    a, b = _leaf(3, 2), _leaf(4, 3)
    out = a.mT @ b.mT
    out.backward(torch.ones(2, 4, dtype=torch.float64))
    assert_close(out, a.detach().numpy().T @ b.detach().numpy().T)
    assert_close(a.grad, (np.ones((2, 4)) @ b.detach().numpy()).T)


def test_matmul_is_twice_differentiable():
    # d/dx of x^T A x is (A + A^T) x; its Jacobian is A + A^T.
    x, a = _leaf(3), _leaf(3, 3, seed=2)
    (g,) = torch.autograd.grad(x @ (a @ x), x, create_graph=True)
    rows = [torch.autograd.grad(g[i], x, retain_graph=True)[0].numpy() for i in range(3)]
    an = a.detach().numpy()
    assert_close(np.stack(rows), an + an.T)


def test_float32_matmul_stays_float32_forward_and_backward():
    a, b = _leaf(3, 4, dtype=torch.float32), _leaf(4, 2, dtype=torch.float32)
    out = a @ b
    out.sum().backward()
    assert out.dtype == a.grad.dtype == b.grad.dtype == torch.float32


def test_integer_matmul_works_and_does_not_require_grad():
    a = torch.tensor([[1, 2], [3, 4]])
    out = a @ a
    assert out.dtype == torch.int64
    assert not out.requires_grad
    assert out.tolist() == [[7, 10], [15, 22]]


@pytest.mark.parametrize(
    "fn, name",
    [
        (lambda: _leaf(3) @ _leaf(3), "DotBackward0"),
        (lambda: _leaf(2, 3) @ _leaf(3), "MvBackward0"),
        (lambda: _leaf(2, 3) @ _leaf(3, 4), "MmBackward0"),
        (lambda: torch.mm(_leaf(2, 3), _leaf(3, 4)), "MmBackward0"),
        (lambda: torch.bmm(_leaf(2, 2, 3), _leaf(2, 3, 4)), "BmmBackward0"),
        (lambda: torch.addmm(_leaf(4), _leaf(2, 3), _leaf(3, 4)), "AddmmBackward0"),
        (lambda: torch.vdot(_leaf(3), _leaf(3)), "VdotBackward0"),
        (lambda: torch.outer(_leaf(3), _leaf(2)), "MulBackward0"),
    ],
)
def test_product_nodes_carry_pytorch_names(fn, name):
    assert fn().grad_fn.name() == name


# ----- addmm and friends -------------------------------------------------------------------
def test_addmm_with_beta_zero_ignores_nan_in_input():
    inp = torch.full((2, 2), float("nan"), dtype=torch.float64, requires_grad=True)
    a, b = _leaf(2, 3), _leaf(3, 2)
    out = torch.addmm(inp, a, b, beta=0)
    out.sum().backward()
    assert bool(torch.isfinite(out).all())
    assert_close(inp.grad, np.zeros((2, 2)))


def test_addmm_scales_gradients_by_beta_and_alpha():
    inp, a, b = _leaf(2), _leaf(2, 3), _leaf(3, 2)
    torch.addmm(inp, a, b, beta=0.5, alpha=3.0).sum().backward()
    assert_close(inp.grad, np.full(2, 0.5 * 2))
    assert_close(a.grad, 3.0 * np.ones((2, 2)) @ b.detach().numpy().T)


def test_addmv_broadcasts_a_scalar_input():
    out = torch.addmv(torch.tensor(1.0), torch.ones(2, 3), torch.ones(3))
    assert out.tolist() == [4.0, 4.0]


def test_baddbmm_adds_the_batched_product():
    inp, b1, b2 = torch.ones(2, 1, 1), torch.ones(2, 3, 4), torch.ones(2, 4, 5)
    out = torch.baddbmm(inp, b1, b2, beta=2, alpha=0.5)
    assert_close(out, np.full((2, 3, 5), 4.0))


def test_integral_addmm_rejects_a_float_alpha():
    i = torch.ones(2, 2, dtype=torch.int64)
    with pytest.raises(RuntimeError, match="argument alpha must not be a floating point"):
        torch.addmm(i, i, i, alpha=2.5)


# ----- einsum ------------------------------------------------------------------------------
def test_einsum_implicit_output_sorts_the_subscripts_seen_once():
    a = torch.arange(6.0).reshape(2, 3)
    out = torch.einsum("ba", a)  # implicit output 'ab': a transpose
    assert_close(out, np.arange(6.0).reshape(2, 3).T, check_dtype=False)


def test_einsum_accepts_operands_as_a_list_and_spaces_in_the_equation():
    a, b = torch.ones(2, 3), torch.ones(3, 4)
    out = torch.einsum("ij, jk -> ik", [a, b])
    assert_close(out, np.full((2, 4), 3.0), check_dtype=False)


def test_einsum_sublist_format_matches_the_string_format():
    a, b = _leaf(2, 3), _leaf(3, 4)
    assert_close(torch.einsum(a, [0, 1], b, [1, 2], [0, 2]), torch.einsum("ij,jk->ik", a, b))
    assert_close(torch.einsum(a, [Ellipsis, 1], b, [1, 2]), torch.einsum("...j,jk", a, b))


def test_einsum_promotes_mixed_dtypes():
    out = torch.einsum("i,j->ij", torch.ones(2), torch.ones(3, dtype=torch.float64))
    assert out.dtype == torch.float64


def test_einsum_diagonal_gradient_lands_on_the_diagonal_only():
    x = _leaf(3, 3)
    torch.einsum("ii->i", x).backward(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))
    assert_close(x.grad, np.diag([1.0, 2.0, 3.0]))


def test_einsum_trace_gradient_is_the_identity():
    x = _leaf(4, 4)
    torch.einsum("ii", x).backward()
    assert_close(x.grad, np.eye(4))


def test_einsum_gradient_of_a_subscript_summed_alone_is_broadcast():
    x = _leaf(2, 3)
    torch.einsum("ij->i", x).backward(torch.tensor([1.0, 2.0], dtype=torch.float64))
    assert_close(x.grad, np.array([[1.0] * 3, [2.0] * 3]))


def test_einsum_ellipsis_with_fewer_dims_broadcasts_and_reduces_its_gradient():
    a, b = _leaf(5, 2, 3), _leaf(3, 4)
    out = torch.einsum("...ij,...jk->...ik", a, b)
    out.sum().backward()
    assert tuple(out.shape) == (5, 2, 4)
    assert_close(b.grad, a.detach().numpy().reshape(-1, 3).T @ np.ones((10, 4)))


def test_einsum_ellipsis_covering_no_dims_is_allowed():
    out = torch.einsum("ij->...", torch.ones(2, 3))
    assert out.shape == () and out.item() == 6.0


def test_einsum_gradients_are_twice_differentiable():
    x, w = _leaf(3), _leaf(3, 3, seed=4)
    (g,) = torch.autograd.grad(torch.einsum("i,ij,j->", x, w, x), x, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), x)
    wn = w.detach().numpy()
    assert_close(gg, (wn + wn.T).sum(0))


# ----- tensordot, inner, kron, outer ------------------------------------------------------
def test_tensordot_accepts_int_dims_dim_lists_and_tensor_dims():
    a, b = torch.ones(2, 3, 4), torch.ones(3, 4, 5)
    expected = np.full((2, 5), 12.0)
    assert_close(torch.tensordot(a, b, 2), expected, check_dtype=False)
    assert_close(torch.tensordot(a, b, ([1, 2], [0, 1])), expected, check_dtype=False)
    assert_close(torch.tensordot(a, b, torch.tensor(2)), expected, check_dtype=False)
    assert tuple(torch.tensordot(a, b, 0).shape) == (2, 3, 4, 3, 4, 5)


def test_inner_of_a_scalar_is_a_product():
    out = torch.inner(torch.tensor(2.0), torch.ones(2, 3))
    assert_close(out, np.full((2, 3), 2.0), check_dtype=False)


def test_kron_of_matrices_matches_the_block_definition():
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    b = torch.ones(2, 2)
    assert_close(torch.kron(a, b), np.kron(a.numpy(), b.numpy()))


def test_outer_and_ger_agree():
    a, b = torch.arange(3.0), torch.arange(4.0)
    assert_close(torch.ger(a, b), torch.outer(a, b))


# ----- errors name shapes and dtypes as PyTorch does --------------------------------------
_o = torch.ones


@pytest.mark.parametrize(
    "fn, exc, message",
    [
        (lambda: _o(2, 3) @ _o(4, 5), RuntimeError, r"shapes cannot be multiplied \(2x3 and 4x5\)"),
        (lambda: _o(3) @ _o(4), RuntimeError, r"expected tensor \[3\] and src \[4\]"),
        (lambda: _o(2, 3) @ _o(4), RuntimeError, r"got input \(2\), mat \(2x3\), vec \(4\)"),
        (lambda: _o(4) @ _o(2, 3), RuntimeError, r"\(1x4 and 2x3\)"),
        (lambda: _o(5, 2, 3) @ _o(5, 4, 5), RuntimeError, r"to be: \[5, 3\] but got: \[5, 4\]"),
        (lambda: _o(5, 2, 3) @ _o(4, 3, 5), RuntimeError, r"tensor a \(5\) must match .* \(4\)"),
        (lambda: _o(5, 2, 3) @ _o(4, 5), RuntimeError, r"\(10x3 and 4x5\)"),
        (lambda: _o(()) @ _o(3), RuntimeError, "at least 1D, but they are 0D and 1D"),
        (
            lambda: _o(2, 3) @ _o(3, 2, dtype=torch.float64),
            RuntimeError,
            "expected m1 and m2 to have the same dtype, but got: float != double",
        ),
        (
            lambda: _o(2, 2, dtype=torch.bool) @ _o(2, 2, dtype=torch.bool),
            NotImplementedError,
            "not implemented for 'Bool'",
        ),
        (lambda: torch.mm(_o(3), _o(3, 2)), RuntimeError, "self must be a matrix"),
        (lambda: torch.mm(_o(2, 3), _o(3)), RuntimeError, "mat2 must be a matrix"),
        (lambda: torch.mv(_o(3), _o(3)), RuntimeError, "expected, got 1, 1, 1"),
        (lambda: torch.dot(_o(2, 3), _o(2, 3)), RuntimeError, "1D tensors expected, but got 2D"),
        (
            lambda: torch.dot(_o(3), _o(3, dtype=torch.float64)),
            RuntimeError,
            "same dtype, but found Float and Double",
        ),
        (lambda: torch.bmm(_o(2, 3), _o(3, 2)), RuntimeError, "batch1 must be a 3D tensor"),
        (
            lambda: torch.bmm(_o(2, 2, 3), _o(3, 3, 4)),
            RuntimeError,
            r"to be: \[2, 3\] but got: \[3, 3\]",
        ),
        (lambda: torch.outer(_o(2, 2), _o(3)), RuntimeError, "Expected 1-D argument self"),
        (lambda: torch.addmm(_o(2, 2), _o(3), _o(3, 2)), RuntimeError, "mat1 must be a matrix"),
        (
            lambda: torch.addmm(_o(3, 2), _o(2, 3), _o(3, 2)),
            RuntimeError,
            r"expanded size of the tensor \(2\) must match the existing size \(3\)",
        ),
        (
            lambda: torch.addmm(_o(3, 2), _o(2, 3), _o(3, 2), beta=0),
            RuntimeError,
            r"expanded size of the tensor \(2\) must match the existing size \(3\)",
        ),
        (
            lambda: torch.addmm(_o(2, 2, dtype=torch.float64), _o(2, 3), _o(3, 2)),
            RuntimeError,
            "same dtype, but got Double and Float",
        ),
        (lambda: torch.addmv(_o(3), _o(2, 3), _o(3)), RuntimeError, r"got input \(3\)"),
        (lambda: torch.inner(_o(2, 3), _o(2, 4)), RuntimeError, "last dimension must match"),
        (lambda: torch.tensordot(_o(2, 3), _o(4, 4), 1), RuntimeError, "size 3 in dim -1"),
        (lambda: torch.tensordot(_o(2, 3), _o(3, 4), -1), RuntimeError, "dims >= 0"),
        (lambda: torch.tensordot(_o(2, 3), _o(3, 4), 3), RuntimeError, "dims=3"),
        (
            lambda: torch.tensordot(_o(2, 3), _o(3, 4), ([1, 0], [0])),
            RuntimeError,
            "same length",
        ),
        (lambda: torch.einsum("ij,jk->ik", _o(2, 3)), RuntimeError, "fewer operands"),
        (lambda: torch.einsum("ij", _o(2, 3), _o(2)), RuntimeError, "more operands"),
        (lambda: torch.einsum("ij->ik", _o(2, 3)), RuntimeError, "subscript k does not appear"),
        (lambda: torch.einsum("ij->jj", _o(2, 2)), RuntimeError, "j appears more than once"),
        (lambda: torch.einsum("ijk", _o(2, 3)), RuntimeError, r"subscripts in the equation \(3\)"),
        (lambda: torch.einsum("ii", _o(2, 3)), RuntimeError, "sizes don't match, 3 != 2"),
        (
            lambda: torch.einsum("ij,jk", _o(2, 3), _o(4, 3)),
            RuntimeError,
            "subscript j has size 4 for operand 1 .* previously seen size 3",
        ),
        (lambda: torch.einsum("i1", _o(2, 3)), RuntimeError, "invalid subscript given at index 1"),
        (lambda: torch.einsum("i.j", _o(2, 3)), RuntimeError, "not part of any ellipsis"),
        (lambda: torch.einsum("...i...", _o(2, 3)), RuntimeError, "ellipsis was already found"),
    ],
)
def test_bad_arguments_raise_pytorch_errors(fn, exc, message):
    with pytest.raises(exc, match=message):
        fn()


def test_failed_matmul_records_nothing_and_leaves_inputs_untouched():
    a, b = _leaf(2, 3), _leaf(4, 5)
    before = a.detach().numpy().copy()
    with pytest.raises(RuntimeError):
        a @ b
    assert a.grad is None
    np.testing.assert_array_equal(a.detach().numpy(), before)
