"""In-place ops on views: the base sees the change, and gradients stay right (CopySlices)."""

from __future__ import annotations

import pytest

import eagertorch as torch
from eagertorch.testing import assert_close


def leaf(values):
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)


def test_in_place_on_a_basic_index_view_changes_base_and_its_gradient():
    a = leaf([1.0, 2.0, 3.0])
    x = a.clone()
    v = x[0:2]
    v.mul_(2)
    assert_close(x.detach(), [2.0, 4.0, 3.0])
    (x * x).sum().backward()
    # d/da of sum((2a0)^2 + (2a1)^2 + a2^2)
    assert_close(a.grad, [8.0, 16.0, 6.0])


def test_in_place_on_a_transposed_view_sends_gradient_to_the_other_operand():
    a = leaf([[1.0, 2.0], [3.0, 4.0]])
    b = leaf([[10.0, 20.0], [30.0, 40.0]])
    x = a * 1
    x.t().add_(b)
    assert_close(x.detach(), [[11.0, 32.0], [23.0, 44.0]])
    (x * torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)).sum().backward()
    assert_close(a.grad, [[1.0, 2.0], [3.0, 4.0]])
    assert_close(b.grad, [[1.0, 3.0], [2.0, 4.0]])


def test_view_sees_its_own_new_value_in_later_ops():
    a = leaf([1.0, 2.0])
    x = a * 1
    v = x[1:]
    v.exp_()
    (v * 3).sum().backward()
    assert_close(a.grad, [0.0, 3.0 * 2.718281828459045**2])


def test_in_place_on_a_view_of_a_leaf_requiring_grad_raises():
    a = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        a[0:1].add_(1)


def test_views_share_the_version_counter_with_their_base():
    a = leaf([1.0, 2.0])
    x = a * 1
    v = x[0:1]
    z = v * v  # saves v
    x.add_(1)  # modifies v's memory too
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_setitem_on_non_leaf_records_gradients_for_both_sides():
    a = leaf([1.0, 2.0, 3.0])
    b = leaf([5.0])
    x = a * 2
    x[1] = b * 3
    assert_close(x.detach(), [2.0, 15.0, 6.0])
    x.sum().backward()
    assert_close(a.grad, [2.0, 0.0, 2.0])
    assert_close(b.grad, [3.0])


def test_setitem_under_no_grad_writes_in_place():
    a = leaf([1.0, 2.0])
    with torch.no_grad():
        a[0] = 7.0
    assert_close(a.detach(), [7.0, 2.0])
    assert a._version == 1


def test_retain_grad_follows_a_tensor_through_an_in_place_op():
    a = leaf([1.0, 2.0])
    x = a * 1
    x.retain_grad()
    x.mul_(3)
    (x * 2).sum().backward()
    assert_close(x.grad, [2.0, 2.0])
    assert_close(a.grad, [6.0, 6.0])
