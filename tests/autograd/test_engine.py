"""The engine's semantics: accumulation, graphs freed or retained, errors, hooks, order."""

from __future__ import annotations

import gc
import sys
import threading
import tracemalloc
import weakref

import numpy as np
import pytest

import eagertorch as torch
from eagertorch.testing import assert_close


def leaf(values, dtype=torch.float64):
    return torch.tensor(values, dtype=dtype, requires_grad=True)


def test_leaf_gradients_accumulate_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    assert_close(x.grad, torch.tensor([6.0, 6.0], dtype=torch.float64))


def test_fan_out_gradients_are_summed():
    x = leaf([1.0, 2.0])
    y = x * x + x.exp() + x
    y.sum().backward()
    expected = 2 * np.array([1.0, 2.0]) + np.exp([1.0, 2.0]) + 1
    assert_close(x.grad, expected)


def test_gradient_broadcast_is_summed_back_to_input_shape():
    x = leaf([[1.0], [2.0]])  # (2, 1)
    y = leaf([1.0, 2.0, 3.0])  # (3,)
    (x * y).sum().backward()
    assert x.grad.shape == (2, 1) and y.grad.shape == (3,)
    assert_close(x.grad, [[6.0], [6.0]])
    assert_close(y.grad, [3.0, 3.0, 3.0])


def test_backward_twice_without_retain_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_backward_twice_with_retain_graph_accumulates():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert_close(x.grad, [4.0, 8.0])


def test_non_scalar_backward_without_gradient_raises():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        (x * 2).backward()


def test_non_scalar_backward_with_gradient_is_a_vector_jacobian_product():
    x = leaf([1.0, 2.0])
    (x * x).backward(torch.tensor([1.0, 10.0], dtype=torch.float64))
    assert_close(x.grad, [2.0, 40.0])


def test_gradient_of_wrong_shape_names_both_shapes():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"Mismatch in shape.*\[3\].*\[2\]"):
        (x * 2).backward(torch.ones(3, dtype=torch.float64))


def test_backward_of_tensor_that_does_not_require_grad_raises():
    x = torch.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        (x * 2).sum().backward()


def test_grad_returns_gradients_without_touching_dot_grad():
    x = leaf([1.0, 2.0])
    (g,) = torch.autograd.grad((x * x).sum(), x)
    assert_close(g, [2.0, 4.0])
    assert x.grad is None
    assert not g.requires_grad


def test_grad_of_unused_input_raises_unless_allowed():
    x, z = leaf([1.0]), leaf([2.0])
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        torch.autograd.grad((x * 2).sum(), [x, z])
    gx, gz = torch.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)
    assert_close(gx, [2.0])
    assert gz is None
    gx, gz = torch.autograd.grad((x * 2).sum(), [x, z], materialize_grads=True)
    assert_close(gz, [0.0])


def test_grad_with_respect_to_tensor_not_requiring_grad_raises():
    x = leaf([1.0])
    c = torch.tensor([1.0], dtype=torch.float64)
    with pytest.raises(RuntimeError, match="does not require grad"):
        torch.autograd.grad((x * c).sum(), c)


def test_grad_with_respect_to_non_leaf():
    x = leaf([1.0, 2.0])
    y = x * 3
    (gy,) = torch.autograd.grad((y * y).sum(), y)
    assert_close(gy, [6.0, 12.0])


def test_second_derivative_with_create_graph():
    x = leaf([1.0, 2.0])
    (g,) = torch.autograd.grad((x**3).sum(), x, create_graph=True)
    assert g.requires_grad
    (h,) = torch.autograd.grad(g.sum(), x)
    assert_close(h, [6.0, 12.0])


def test_backward_with_create_graph_makes_grad_differentiable():
    x = leaf([1.0, 2.0])
    (x**3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    (h,) = torch.autograd.grad(x.grad.sum(), x)
    assert_close(h, [6.0, 12.0])


def test_third_derivative():
    x = leaf([0.5])
    (g1,) = torch.autograd.grad(x.sin().sum(), x, create_graph=True)
    (g2,) = torch.autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = torch.autograd.grad(g2.sum(), x)
    assert_close(g3, -np.cos([0.5]))


def test_backward_inputs_restricts_accumulation():
    x, y = leaf([1.0]), leaf([2.0])
    (x * y).sum().backward(inputs=[x])
    assert_close(x.grad, [2.0])
    assert y.grad is None


def test_retain_grad_keeps_gradient_of_non_leaf():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.retain_grad()
    assert y.retains_grad
    (y * y).sum().backward()
    assert_close(y.grad, [4.0, 8.0])


def test_non_leaf_grad_is_none_without_retain_grad():
    x = leaf([1.0])
    y = x * 2
    (y * y).sum().backward()
    assert y.grad is None and not y.retains_grad


def test_leaf_hook_can_replace_gradient_and_be_removed():
    x = leaf([1.0, 2.0])
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.clone()) or g * 10)
    (x * 1).sum().backward()
    assert_close(x.grad, [10.0, 10.0])
    assert_close(seen[0], [1.0, 1.0])
    handle.remove()
    x.grad = None
    (x * 1).sum().backward()
    assert_close(x.grad, [1.0, 1.0])


def test_leaf_hook_sees_summed_fan_out_gradient_once():
    x = leaf([1.0])
    calls = []
    x.register_hook(lambda g: calls.append(g.item()))
    (x * 2 + x * 3).sum().backward()
    assert calls == [5.0]


def test_non_leaf_hook_modifies_gradient_flowing_further():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.register_hook(lambda g: g * 0)
    (y * y).sum().backward()
    assert_close(x.grad, [0.0, 0.0])


def test_hook_on_tensor_not_requiring_grad_raises():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        torch.ones(2).register_hook(lambda g: g)


def test_node_pre_and_post_hooks_run():
    x = leaf([1.0, 2.0])
    y = x * 3
    seen = {}
    y.grad_fn.register_prehook(lambda gouts: seen.update(pre=gouts[0].tolist()))
    y.grad_fn.register_hook(lambda gins, gouts: seen.update(post=gins[0].tolist()))
    y.sum().backward()
    assert seen == {"pre": [1.0, 1.0], "post": [3.0, 3.0]}


def test_grad_fn_names_and_next_functions():
    x = leaf([1.0])
    y = (x * 2).exp()
    assert type(y.grad_fn).__name__ == "ExpBackward0"
    ((mul, _),) = y.grad_fn.next_functions
    assert mul.name() == "MulBackward0"
    acc = mul.next_functions[0][0]
    assert acc.name() == "AccumulateGrad" and acc.variable is x


def test_results_only_record_when_some_input_requires_grad():
    a, b = torch.ones(2), torch.ones(2)
    assert (a * b).grad_fn is None and not (a * b).requires_grad
    assert (leaf([1.0, 1.0]) * b).grad_fn is not None


def test_integer_and_boolean_results_never_require_grad():
    x = leaf([1.5, -2.0])
    assert not (x > 0).requires_grad
    assert not x.argmax().requires_grad


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype"):
        torch.tensor([1, 2], requires_grad=True)


def test_setting_requires_grad_on_non_leaf_to_false_raises():
    y = leaf([1.0]) * 2
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        y.requires_grad = False


def test_leaf_gradients_never_share_memory():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (x + y).sum().backward()
    x.grad.mul_(10)
    assert_close(y.grad, [1.0, 1.0])


def test_user_gradient_is_not_aliased_by_dot_grad():
    x = leaf([1.0, 2.0])
    g = torch.tensor([1.0, 1.0], dtype=torch.float64)
    (x * 1).backward(g)
    x.grad.add_(5)
    assert_close(g, [1.0, 1.0])


def test_float32_gradients_stay_float32():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x * 2.5 + 1).exp().sum().backward()
    assert x.grad.dtype == torch.float32


def test_mixed_dtype_gradient_is_cast_back_to_each_input():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    out = a * b
    assert out.dtype == torch.float64
    out.sum().backward()
    assert a.grad.dtype == torch.float32 and b.grad.dtype == torch.float64


def test_long_chain_backpropagates_without_recursion_error():
    x = leaf([1.0])
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    assert_close(x.grad, [1.0])


def test_saved_tensors_are_freed_after_backward():
    x = leaf(np.ones(1000))
    y = x.exp()
    ref = weakref.ref(y)
    node = y.grad_fn
    z = (y * 2).sum()
    del y
    z.backward()
    assert ref() is None  # the output tensor was never held by its node
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        node.saved_tensors


def test_graph_is_freed_by_reference_counting_without_gc():
    x = leaf(np.ones(10))
    gc.disable()
    try:
        y = (x * 2).exp().sum()
        ref = weakref.ref(y.grad_fn)
        del y
        assert ref() is None
    finally:
        gc.enable()


def test_training_loop_memory_does_not_grow():
    w = leaf(np.ones((16, 16)))
    x = torch.ones(8, 16, dtype=torch.float64)

    def step():
        loss = ((x * w.sum(0)).tanh() ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w.sub_(w.grad * 0.01)
        w.grad = None

    for _ in range(200):
        step()
    tracemalloc.start()
    first, _ = tracemalloc.get_traced_memory()
    for _ in range(10_000):
        step()
    second, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert second - first < 256 * 1024, f"memory grew by {second - first} bytes"


def test_modifying_a_saved_tensor_in_place_raises_at_backward():
    x = leaf([1.0, 2.0])
    y = x * 2
    z = y * y  # saves y
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_modifying_a_saved_output_in_place_raises_at_backward():
    x = leaf([1.0, 2.0])
    y = x.exp()  # saves its output
    y.mul_(2)
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
        y.sum().backward()


def test_in_place_on_leaf_requiring_grad_raises():
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1)


def test_in_place_on_leaf_under_no_grad_is_allowed_and_bumps_version():
    x = leaf([1.0])
    with torch.no_grad():
        x.mul_(3)
    assert x._version == 1
    assert_close(x.detach(), [3.0])


def test_in_place_op_on_non_leaf_keeps_gradient_right():
    x = leaf([1.0, 2.0])
    w = leaf([3.0, 4.0])
    y = x * 1
    y.mul_(w)  # the old value of y is needed for w's gradient
    y.exp_()
    assert type(y.grad_fn).__name__ == "ExpBackward0"
    y.sum().backward()
    e = np.exp(np.array([3.0, 8.0]))
    assert_close(x.grad, e * [3.0, 4.0])
    assert_close(w.grad, e * [1.0, 2.0])


def test_in_place_result_that_cannot_be_cast_raises_and_leaves_tensor_unchanged():
    x = torch.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        x.mul_(1.5)
    assert x.tolist() == [1, 2]


def test_in_place_broadcast_to_bigger_shape_raises():
    x = torch.zeros(3)
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match"):
        x.add_(torch.ones(2, 3))


def test_detach_shares_data_and_cuts_the_graph():
    x = leaf([1.0, 2.0])
    d = (x * 2).detach()
    assert not d.requires_grad and d.grad_fn is None
    y = x * 1
    v = y.detach()
    with torch.no_grad():
        v.add_(1)
    assert_close(y.detach(), [2.0, 3.0])


def test_anomaly_mode_names_the_op_whose_backward_produced_nan():
    x = leaf([0.0])
    with torch.autograd.detect_anomaly():
        y = x.sqrt() * 0  # finite forward; sqrt's gradient at 0 is 0 / 0
        with pytest.raises(RuntimeError, match=r"SqrtBackward0.*returned nan"):
            y.sum().backward()


def test_thread_local_grad_mode():
    seen = {}

    def worker():
        seen["thread"] = torch.is_grad_enabled()

    with torch.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert not torch.is_grad_enabled()
    assert seen["thread"] is True


@pytest.mark.parametrize(
    "ctx, enabled",
    [
        (torch.no_grad, False),
        (lambda: torch.set_grad_enabled(False), False),
        (torch.inference_mode, False),
        (lambda: torch.inference_mode(False), True),
    ],
)
def test_grad_mode_context_managers(ctx, enabled):
    x = leaf([1.0])
    with ctx():
        assert torch.is_grad_enabled() is enabled
        y = x * 2
    assert y.requires_grad is enabled
    assert torch.is_grad_enabled()


def test_grad_mode_decorators_with_and_without_parentheses():
    x = leaf([1.0])

    @torch.no_grad()
    def f():
        return x * 2

    @torch.no_grad
    def g():
        return x * 2

    @torch.enable_grad()
    def h():
        return x * 2

    assert not f().requires_grad and not g().requires_grad
    with torch.no_grad():
        assert h().requires_grad


def test_set_grad_enabled_as_a_function_call():
    torch.set_grad_enabled(False)
    try:
        assert not torch.is_grad_enabled()
    finally:
        torch.set_grad_enabled(True)
    assert torch.is_grad_enabled()


def test_variable_is_a_thin_legacy_alias():
    from eagertorch.autograd import Variable

    v = Variable(torch.ones(2), requires_grad=True)
    assert isinstance(v, torch.Tensor) and isinstance(v, Variable) and v.requires_grad


def test_grad_setter_validates_shape():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="assigned grad has data of a different size"):
        x.grad = torch.ones(3, dtype=torch.float64)


def test_refcount_of_result_is_not_held_by_graph():
    x = leaf([1.0])
    y = x * 2
    assert sys.getrefcount(y) == 2  # only the local name (and getrefcount's argument)


def test_backward_of_several_leaf_outputs_at_once():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    torch.autograd.backward([x, y], [torch.ones(2, dtype=torch.float64)] * 2)
    assert_close(x.grad, [1.0, 1.0])
    assert_close(y.grad, [1.0, 1.0])


def test_grad_of_several_outputs_sums_their_contributions():
    x = leaf([1.0, 2.0])
    gx = torch.autograd.grad([(x * 2).sum(), (x * x).sum()], x)[0]
    assert_close(gx, [4.0, 6.0])
