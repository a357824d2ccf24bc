"""Tensor creation, dtypes and promotion, attributes, conversions and repr."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import eagertorch as torch
from eagertorch.testing import assert_close


@pytest.mark.parametrize(
    "data, dtype",
    [
        (1.5, torch.float32),
        ([1.0, 2.0], torch.float32),
        (3, torch.int64),
        ([1, 2], torch.int64),
        (True, torch.bool),
        ([[True, False]], torch.bool),
        (np.array([1.0, 2.0]), torch.float64),
        (np.array([1, 2], dtype=np.int32), torch.int32),
    ],
)
def test_tensor_infers_pytorch_dtypes(data, dtype):
    assert torch.tensor(data).dtype is dtype


def test_default_dtype_controls_python_floats_and_factories():
    torch.set_default_dtype(torch.float64)
    assert torch.tensor(1.5).dtype is torch.float64
    assert torch.zeros(2).dtype is torch.float64
    assert torch.get_default_dtype() is torch.float64


def test_set_default_dtype_rejects_integers():
    with pytest.raises(TypeError, match="only floating-point types"):
        torch.set_default_dtype(torch.int64)


def test_dtype_aliases():
    assert torch.float is torch.float32 and torch.double is torch.float64
    assert torch.half is torch.float16 and torch.long is torch.int64 and torch.int is torch.int32


@pytest.mark.parametrize(
    "a, b, expected",
    [
        (torch.ones(2), 2.5, torch.float32),  # float32 tensor with a Python float stays float32
        (torch.ones(2, dtype=torch.int64), 2.5, torch.float32),  # int with float -> default
        (torch.ones(2, dtype=torch.int32), 2, torch.int32),
        (torch.ones(2, dtype=torch.int32), torch.ones(2), torch.float32),
        (torch.ones(2), torch.ones(2, dtype=torch.float64), torch.float64),
        (torch.ones(2), torch.tensor(1.0, dtype=torch.float64), torch.float32),  # 0-d loses
        (torch.ones(2, dtype=torch.int32), torch.tensor(1.5, dtype=torch.float64), torch.float64),
        (torch.ones(2, dtype=torch.int64), torch.ones(2, dtype=torch.float16), torch.float16),
        (torch.ones(2, dtype=torch.uint8), torch.ones(2, dtype=torch.int8), torch.int16),
        (torch.ones(2, dtype=torch.bool), 3, torch.int64),
    ],
)
def test_type_promotion_matches_pytorch(a, b, expected):
    assert (a + b).dtype is expected
    assert (b * a).dtype is expected


def test_int_true_division_gives_default_float():
    out = torch.tensor([1, 2]) / torch.tensor([2, 2])
    assert out.dtype is torch.float32
    assert_close(out, [0.5, 1.0])


def test_comparisons_give_bool():
    assert (torch.ones(2) > 0).dtype is torch.bool
    assert (torch.ones(2) == torch.zeros(2)).tolist() == [False, False]


def test_broadcast_error_names_sizes_and_dimension():
    with pytest.raises(
        RuntimeError,
        match=r"size of tensor a \(3\) must match the size of "
        r"tensor b \(4\) at non-singleton dimension 1",
    ):
        torch.ones(2, 3) + torch.ones(4)


def test_from_numpy_and_numpy_share_memory():
    a = np.zeros(3, dtype=np.float32)
    t = torch.from_numpy(a)
    a[0] = 5
    assert t.tolist()[0] == 5
    t.numpy()[1] = 7
    assert a[1] == 7


def test_numpy_of_tensor_requiring_grad_refuses():
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
        torch.ones(2, requires_grad=True).numpy()


def test_tensor_copies_its_data_and_as_tensor_shares():
    a = np.ones(2)
    t, s = torch.tensor(a), torch.as_tensor(a)
    a[0] = 3
    assert t.tolist() == [1.0, 1.0] and s.tolist() == [3.0, 1.0]


def test_attributes():
    t = torch.zeros(2, 3, dtype=torch.float64, requires_grad=True)
    assert t.shape == (2, 3) and t.size() == torch.Size([2, 3]) and t.size(-1) == 3
    assert t.dim() == t.ndim == 2 and t.numel() == 6 and len(t) == 2
    assert t.is_leaf and t.grad is None and t.grad_fn is None
    assert t.device == torch.device("cpu") and str(t.device) == "cpu"
    assert t.element_size() == 8 and t.is_floating_point()
    assert repr(t.shape) == "eagertorch.Size([2, 3])"


def test_item_and_tolist():
    assert torch.tensor(2.5).item() == 2.5
    assert torch.tensor([[1, 2]]).tolist() == [[1, 2]]
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted"):
        torch.ones(2).item()


def test_bool_of_multi_element_tensor_is_ambiguous():
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(torch.ones(2))
    assert bool(torch.ones(1))


def test_data_setter_and_detached_data():
    t = torch.ones(2, requires_grad=True)
    d = t.data
    assert not d.requires_grad
    t.data = torch.zeros(2)
    assert t.tolist() == [0.0, 0.0] and t.requires_grad


@pytest.mark.parametrize(
    "method, dtype",
    [
        ("float", torch.float32),
        ("double", torch.float64),
        ("half", torch.float16),
        ("long", torch.int64),
        ("int", torch.int32),
        ("bool", torch.bool),
    ],
)
def test_cast_methods(method, dtype):
    assert getattr(torch.tensor([1.7, 0.0]), method)().dtype is dtype


def test_cast_is_differentiable_and_gradient_keeps_input_dtype():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x.double() * 3
    y.sum().backward()
    assert x.grad.dtype is torch.float32
    assert_close(x.grad, [3.0, 3.0])


def test_to_returns_self_when_nothing_changes_and_copy_forces_a_copy():
    t = torch.ones(2)
    assert t.to(torch.float32) is t and t.to("cpu") is t
    assert t.to(torch.float32, copy=True) is not t


def test_type_names_legacy_types():
    assert torch.ones(1).type() == "torch.FloatTensor"
    assert torch.ones(1).type(torch.int64).dtype is torch.int64
    assert torch.ones(1).type("torch.DoubleTensor").dtype is torch.float64


def test_legacy_constructors():
    assert torch.FloatTensor([1, 2]).dtype is torch.float32
    assert torch.LongTensor(3).shape == (3,)
    assert torch.Tensor(2, 3).shape == (2, 3)
    assert torch.Tensor([1, 2]).dtype is torch.float32
    assert isinstance(torch.ones(2), torch.FloatTensor)


def test_clone_is_a_differentiable_copy():
    x = torch.ones(2, requires_grad=True)
    c = x.clone()
    assert c.grad_fn is not None
    (c * 2).sum().backward()
    assert_close(x.grad, [2.0, 2.0])


@pytest.mark.parametrize(
    "factory, shape, dtype",
    [
        (lambda: torch.zeros(2, 3), (2, 3), torch.float32),
        (lambda: torch.ones((2,)), (2,), torch.float32),
        (lambda: torch.full((2, 2), 7), (2, 2), torch.int64),
        (lambda: torch.full((2,), 1.5), (2,), torch.float32),
        (lambda: torch.empty(0, 3), (0, 3), torch.float32),
        (lambda: torch.eye(3), (3, 3), torch.float32),
        (lambda: torch.arange(5), (5,), torch.int64),
        (lambda: torch.arange(0, 1, 0.25), (4,), torch.float32),
        (lambda: torch.linspace(0, 1, 5), (5,), torch.float32),
        (lambda: torch.rand(2, 2), (2, 2), torch.float32),
        (lambda: torch.randn(3, dtype=torch.float64), (3,), torch.float64),
        (lambda: torch.randint(0, 5, (4,)), (4,), torch.int64),
        (lambda: torch.randperm(6), (6,), torch.int64),
        (lambda: torch.normal(0.0, 1.0, (2,)), (2,), torch.float32),
        (lambda: torch.zeros_like(torch.ones(2, dtype=torch.int32)), (2,), torch.int32),
        (lambda: torch.ones(2).new_zeros(3), (3,), torch.float32),
        (lambda: torch.ones(2, dtype=torch.float64).new_full((1,), 2), (1,), torch.float64),
    ],
)
def test_factories(factory, shape, dtype):
    t = factory()
    assert tuple(t.shape) == shape and t.dtype is dtype


def test_factory_with_requires_grad():
    assert torch.zeros(2, requires_grad=True).requires_grad


def test_negative_size_raises():
    with pytest.raises(RuntimeError, match="negative dimension"):
        torch.zeros(-1)


def test_manual_seed_makes_random_factories_reproducible():
    torch.manual_seed(3)
    a = torch.randn(4)
    torch.manual_seed(3)
    assert torch.randn(4).tolist() == a.tolist()


def test_generator_objects_are_independent_and_reproducible():
    g1 = torch.Generator().manual_seed(1)
    g2 = torch.Generator().manual_seed(1)
    assert torch.rand(3, generator=g1).tolist() == torch.rand(3, generator=g2).tolist()


def test_randperm_is_a_permutation():
    assert sorted(torch.randperm(10).tolist()) == list(range(10))


def test_array_protocol_and_dlpack():
    t = torch.arange(3)
    assert np.asarray(t).tolist() == [0, 1, 2]
    u = torch.from_dlpack(t)
    assert u.tolist() == [0, 1, 2]
    assert np.from_dlpack(t).tolist() == [0, 1, 2]


@pytest.mark.parametrize(
    "t, text",
    [
        (lambda: torch.tensor([1.0, 2.0]), "tensor([1., 2.])"),
        (lambda: torch.tensor([0.5, 2.25]), "tensor([0.5000, 2.2500])"),
        (lambda: torch.tensor([1, 2]), "tensor([1, 2])"),
        (lambda: torch.tensor([True]), "tensor([True])"),
        (
            lambda: torch.tensor([1.0], dtype=torch.float64),
            "tensor([1.], dtype=eagertorch.float64)",
        ),
        (lambda: torch.tensor([1.0], requires_grad=True), "tensor([1.], requires_grad=True)"),
        (
            lambda: torch.tensor([1.0], requires_grad=True) * 2,
            "tensor([2.], grad_fn=<MulBackward0>)",
        ),
        (lambda: torch.tensor(3.0), "tensor(3.)"),
        (lambda: torch.zeros(0), "tensor([])"),
        (lambda: torch.tensor([[1.0, 2.0], [3.0, 4.0]]), "tensor([[1., 2.],\n        [3., 4.]])"),
    ],
)
def test_repr_matches_pytorch_style(t, text):
    assert repr(t()) == text


def test_deepcopy_of_leaf_copies_data_and_flag():
    t = torch.ones(2, requires_grad=True)
    c = copy.deepcopy(t)
    assert c.requires_grad and c.tolist() == [1.0, 1.0]
    with torch.no_grad():
        c.add_(1)
    assert t.tolist() == [1.0, 1.0]


def test_top_level_function_forms():
    x = torch.tensor([[1.0, -2.0]])
    assert torch.abs(x).tolist() == [[1.0, 2.0]]
    assert torch.is_tensor(x) and not torch.is_tensor([1])
    assert torch.numel(x) == 2


def test_tensor_from_a_numpy_scalar_is_a_0d_tensor_that_supports_inplace_ops():
    import numpy as np

    import eagertorch as et

    t = et.tensor(np.float32(2.5))
    assert t.dtype == et.float32 and t.shape == () and t.device == "cpu"
    t.add_(1)
    assert t.item() == 3.5
    assert et.tensor(np.int32(3)).dtype == et.int32
