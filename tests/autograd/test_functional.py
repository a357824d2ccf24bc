"""autograd.functional: vjp, jvp, jacobian, hessian, vhp, hvp against closed forms (and PyTorch)."""

from __future__ import annotations

import numpy as np
import pytest

import eagertorch as torch
from eagertorch.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp
from eagertorch.testing import assert_close

X = np.array([0.5, -1.0, 2.0])
A = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])


def _t(x, requires_grad=False):
    return torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=requires_grad)


# ----- jacobian ----------------------------------------------------------------------------
def test_jacobian_of_square_is_diagonal_of_twice_x():
    jac = jacobian(lambda x: x**2, _t(X))
    assert isinstance(jac, torch.Tensor)
    assert_close(jac, np.diag(2 * X))


def test_jacobian_of_linear_map_is_its_matrix():
    a = _t(A)
    assert_close(jacobian(lambda x: a @ x, _t(X)), A)


def test_jacobian_block_shapes_are_output_shape_then_input_shape():
    w = _t(np.ones((2, 3)))
    jac = jacobian(lambda w: w @ _t(X), w)
    assert tuple(jac.shape) == (2, 2, 3)
    expected = np.zeros((2, 2, 3))
    expected[0, 0], expected[1, 1] = X, X
    assert_close(jac, expected)


def test_jacobian_structure_follows_tuple_inputs_and_outputs():
    x, y = _t(X), _t([1.0, 2.0])
    one_out = jacobian(lambda x, y: x.sum() * y, (x, y))
    assert isinstance(one_out, tuple) and len(one_out) == 2
    assert tuple(one_out[0].shape) == (2, 3) and tuple(one_out[1].shape) == (2, 2)
    assert_close(one_out[0], np.outer([1.0, 2.0], np.ones(3)))
    assert_close(one_out[1], np.eye(2) * X.sum())

    both = jacobian(lambda x, y: (x * 2, y.sum()), (x, y))
    assert isinstance(both, tuple) and all(isinstance(row, tuple) for row in both)
    assert tuple(both[1][1].shape) == (2,)
    assert_close(both[0][0], 2 * np.eye(3))
    assert_close(both[0][1], np.zeros((3, 2)))

    tuple_out = jacobian(lambda x: (x * 2, x.sum()), x)
    assert isinstance(tuple_out, tuple) and isinstance(tuple_out[0], torch.Tensor)
    assert_close(tuple_out[1], np.ones(3))


def test_jacobian_of_unused_input_is_zero_and_an_error_in_strict_mode():
    x, y = _t(X), _t([1.0, 2.0])
    jac = jacobian(lambda x, y: x * 3, (x, y))
    assert_close(jac[1], np.zeros((3, 2)))
    with pytest.raises(RuntimeError, match="independent of input 1"):
        jacobian(lambda x, y: x * 3, (x, y), strict=True)


def test_jacobian_without_create_graph_is_detached_and_leaves_inputs_alone():
    x = _t(X)
    jac = jacobian(lambda x: x.exp(), x)
    assert not jac.requires_grad
    assert not x.requires_grad
    assert_close(jac, np.diag(np.exp(X)))


def test_jacobian_with_create_graph_is_differentiable():
    x = _t(X, requires_grad=True)
    jac = jacobian(lambda x: x**3, x, create_graph=True)
    assert jac.requires_grad
    (g,) = torch.autograd.grad(jac.sum(), x)
    assert_close(g, 6 * X)


def test_forward_mode_jacobian_matches_reverse_mode():
    def f(x, y):
        return (x.sin() * y.sum(), (x * x).sum())

    inputs = (_t(X), _t([1.0, -2.0]))
    fwd = jacobian(f, inputs, vectorize=True, strategy="forward-mode")
    rev = jacobian(f, inputs)
    for row_f, row_r in zip(fwd, rev):
        for a, b in zip(row_f, row_r):
            assert_close(a, b)


def test_forward_mode_jacobian_needs_vectorize_as_in_pytorch():
    with pytest.raises(NotImplementedError, match="only implemented for `vectorize=True`"):
        jacobian(lambda x: x, _t(X), strategy="forward-mode")


def test_jacobian_rejects_an_unknown_strategy():
    with pytest.raises(ValueError, match="forward-mode"):
        jacobian(lambda x: x, _t(X), strategy="sideways")


def test_jacobian_of_empty_output_has_zero_rows():
    jac = jacobian(lambda x: x[:0] * 2, _t(X))
    assert tuple(jac.shape) == (0, 3)


# ----- hessian -----------------------------------------------------------------------------
def test_hessian_of_sum_of_cubes_is_diagonal_of_six_x():
    h = hessian(lambda x: (x**3).sum(), _t(X))
    assert_close(h, np.diag(6 * X))


def test_hessian_of_quadratic_form_is_symmetrised_matrix():
    m = _t([[1.0, 2.0, 0.0], [0.5, -1.0, 3.0], [0.0, 1.0, 2.0]])
    h = hessian(lambda x: x @ (m @ x), _t(X))
    mn = m.numpy()
    assert_close(h, mn + mn.T)


def test_hessian_of_tuple_inputs_is_a_tuple_of_tuples_of_blocks():
    x, y = _t(X), _t([2.0, 3.0])
    h = hessian(lambda x, y: (x**2).sum() * y.prod(), (x, y))
    assert tuple(h[0][0].shape) == (3, 3) and tuple(h[0][1].shape) == (3, 2)
    assert tuple(h[1][0].shape) == (2, 3) and tuple(h[1][1].shape) == (2, 2)
    assert_close(h[0][0], 2 * 6.0 * np.eye(3))
    assert_close(h[0][1], np.outer(2 * X, [3.0, 2.0]))
    assert_close(h[1][1], np.array([[0.0, 1.0], [1.0, 0.0]]) * (X**2).sum())


def test_hessian_of_linear_function_is_zero_and_an_error_in_strict_mode():
    assert_close(hessian(lambda x: (2 * x).sum(), _t(X)), np.zeros((3, 3)))
    with pytest.raises(RuntimeError, match="strict mode"):
        hessian(lambda x: (2 * x).sum(), _t(X), strict=True)


def test_hessian_requires_a_single_element_output():
    with pytest.raises(RuntimeError, match="should contain a single element"):
        hessian(lambda x: x**2, _t(X))
    with pytest.raises(RuntimeError, match="should return a single Tensor"):
        hessian(lambda x: (x.sum(), x.sum()), _t(X))


def test_hessian_with_forward_mode_outer_jacobian_matches():
    f = lambda x: (x.sin() * x).sum()  # noqa: E731
    h_fwd = hessian(f, _t(X), vectorize=True, outer_jacobian_strategy="forward-mode")
    assert_close(h_fwd, hessian(f, _t(X)))


# ----- vector products ---------------------------------------------------------------------
def test_vjp_of_linear_map_is_transpose_times_v():
    a, v = _t(A), _t([1.0, -2.0])
    out, res = vjp(lambda x: a @ x, _t(X), v)
    assert_close(out, A @ X)
    assert_close(res, A.T @ [1.0, -2.0])
    assert not out.requires_grad and not res.requires_grad


def test_vjp_without_v_needs_a_single_element_output():
    out, res = vjp(lambda x: (x**2).sum(), _t(X))
    assert_close(out, np.array((X**2).sum()))
    assert_close(res, 2 * X)
    with pytest.raises(RuntimeError, match="v can only be None if the user-provided function"):
        vjp(lambda x: x**2, _t(X))


def test_vjp_checks_the_shape_of_v():
    with pytest.raises(RuntimeError, match="v has invalid size"):
        vjp(lambda x: x**2, _t(X), _t([1.0, 2.0]))


def test_vjp_with_tuple_inputs_returns_a_tuple():
    x, y = _t(X), _t(X[::-1].copy())
    out, (gx, gy) = vjp(lambda x, y: x * y, (x, y), _t(np.ones(3)))
    assert_close(out, X * X[::-1])
    assert_close(gx, y.numpy())
    assert_close(gy, x.numpy())


def test_jvp_of_linear_map_is_matrix_times_v():
    a, v = _t(A), _t([1.0, 0.0, 2.0])
    out, res = jvp(lambda x: a @ x, _t(X), v)
    assert_close(out, A @ X)
    assert_close(res, A @ [1.0, 0.0, 2.0])


def test_jvp_follows_the_output_structure():
    v = _t([1.0, 1.0, 1.0])
    (o1, o2), (j1, j2) = jvp(lambda x: (x**2, x.sum()), _t(X), v)
    assert_close(o1, X**2)
    assert_close(o2, np.array(X.sum()))
    assert_close(j1, 2 * X)
    assert_close(j2, np.array(3.0))


def test_jvp_of_identity_is_v():
    v = _t([3.0, 2.0, 1.0])
    _, res = jvp(lambda x: x, _t(X), v)
    assert_close(res, v)


def test_jvp_of_output_independent_of_input_is_zero():
    c = _t([1.0, 2.0])
    _, res = jvp(lambda x: c * 2, _t(X), _t(np.ones(3)))
    assert_close(res, np.zeros(2))


def test_hvp_matches_hessian_times_v_and_vhp_matches_v_times_hessian():
    def f(x):
        return (x.sin() * x**2).sum()

    v = np.array([1.0, -1.0, 0.5])
    h = hessian(f, _t(X)).numpy()
    out, hv = hvp(f, _t(X), _t(v))
    _, vh = vhp(f, _t(X), _t(v))
    assert_close(out, np.sum(np.sin(X) * X**2))
    assert_close(hv, h @ v)
    assert_close(vh, v @ h)


def test_hvp_with_tuple_inputs_returns_a_tuple():
    x, y = _t(X), _t([2.0, 3.0])
    _, (hx, hy) = hvp(lambda x, y: (x**2).sum() * y.sum(), (x, y), (_t(np.ones(3)), _t([1.0, 0.0])))
    # H = [[2*sum(y) I, 2x 1^T], [1 (2x)^T, 0]]
    assert_close(hx, 2 * 5.0 * np.ones(3) + 2 * X * 1.0)
    assert_close(hy, np.full(2, (2 * X).sum()))


def test_hvp_with_create_graph_is_differentiable():
    x = _t(X, requires_grad=True)
    _, hv = hvp(lambda x: (x**4).sum(), x, _t(np.ones(3)), create_graph=True)
    (g,) = torch.autograd.grad(hv.sum(), x)
    assert_close(g, 24 * X)


def test_non_tensor_input_raises_type_error():
    with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
        jacobian(lambda x: x, [1.0, 2.0])


# ----- against PyTorch ---------------------------------------------------------------------
def _f_scalar(lib, x, y):
    return (x.sin() * (y @ x)).sum() + (x**3).sum()


def _f_vector(lib, x, y):
    return (y @ x).exp(), x * x.sum()


def _both(fn_name, f, inputs, **kwargs):
    ref = pytest.importorskip("torch")
    ours = getattr(torch.autograd.functional, fn_name)(
        lambda *a: f(torch, *a), tuple(torch.tensor(x) for x in inputs), **kwargs
    )
    theirs = getattr(ref.autograd.functional, fn_name)(
        lambda *a: f(ref, *a), tuple(ref.tensor(x) for x in inputs), **kwargs
    )
    return ours, theirs


def _assert_same(ours, theirs):
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _assert_same(a, b)
    else:
        np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


INPUTS = (X, np.array([[1.0, 0.5, -1.0], [2.0, 0.0, 1.0], [0.0, 1.0, 1.0]]))


@pytest.mark.parametrize("f", [_f_scalar, _f_vector], ids=["scalar", "vector"])
def test_jacobian_matches_torch(f):
    _assert_same(*_both("jacobian", f, INPUTS))


def test_hessian_matches_torch():
    _assert_same(*_both("hessian", _f_scalar, INPUTS))


@pytest.mark.parametrize("name", ["hvp", "vhp"])
def test_hessian_vector_products_match_torch(name):
    v = (np.array([1.0, 2.0, -1.0]), np.ones((3, 3)))
    ref = pytest.importorskip("torch")
    ours = getattr(torch.autograd.functional, name)(
        lambda *a: _f_scalar(torch, *a),
        tuple(torch.tensor(x) for x in INPUTS),
        tuple(torch.tensor(x) for x in v),
    )
    theirs = getattr(ref.autograd.functional, name)(
        lambda *a: _f_scalar(ref, *a),
        tuple(ref.tensor(x) for x in INPUTS),
        tuple(ref.tensor(x) for x in v),
    )
    _assert_same(ours, theirs)


def test_vjp_and_jvp_match_torch():
    ref = pytest.importorskip("torch")
    for name, v in (
        ("vjp", (np.array([1.0, -1.0, 2.0]), np.array([0.5, 0.5, 1.0]))),
        ("jvp", (np.array([1.0, 2.0, -1.0]), np.ones((3, 3)))),
    ):
        ours = getattr(torch.autograd.functional, name)(
            lambda *a: _f_vector(torch, *a),
            tuple(torch.tensor(x) for x in INPUTS),
            tuple(torch.tensor(x) for x in v),
        )
        theirs = getattr(ref.autograd.functional, name)(
            lambda *a: _f_vector(ref, *a),
            tuple(ref.tensor(x) for x in INPUTS),
            tuple(ref.tensor(x) for x in v),
        )
        _assert_same(ours, theirs)
