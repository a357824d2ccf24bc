"""``check_module`` passes well-behaved modules and names the contract a broken one breaks,
with the input shrunk."""

from __future__ import annotations

import re

import pytest
from hypothesis import Phase, settings
from hypothesis import strategies as st

import eagertorch as torch
from eagertorch import nn
from eagertorch.testing import check_module
from eagertorch.testing.strategies import tensors
from tests.testing.planted import ScaleDetachedInputGrad, ScaleWrongWeightGrad

FIND = settings(
    max_examples=10,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.generate, Phase.shrink],  # no explain phase: it traces every line, slowly
)
BATCHES = tensors(
    shape=st.tuples(st.integers(0, 3), st.just(3)), dtype=torch.float32, low=-2, high=2
)


def _failure(factory, **kwargs) -> str:
    with pytest.raises(AssertionError) as info:
        check_module(factory, BATCHES, settings=FIND, **kwargs)
    return str(info.value)


def _pasted_input(message: str):
    return eval(re.search(r"^  input = (.*)$", message, re.M).group(1), {"eagertorch": torch})


class Scale(nn.Module):
    """``x * weight`` through a custom Function (``function`` chooses which)."""

    function = None

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(3))

    def forward(self, x):
        return self.function.apply(x, self.weight)


class WrongWeightGrad(Scale):
    function = ScaleWrongWeightGrad


class DetachedSecondOrder(Scale):
    function = ScaleDetachedInputGrad


def test_well_behaved_modules_pass():
    check_module(lambda: nn.Linear(3, 2), BATCHES, settings=FIND)
    check_module(
        lambda: nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Dropout(0.5), nn.Linear(4, 2)),
        BATCHES,
        settings=settings(FIND, max_examples=4),
        order=2,
    )


def test_wrong_parameter_gradient_is_named_and_the_input_shrunk():
    message = _failure(WrongWeightGrad)
    assert "gradients match finite differences failed" in message
    assert "with respect to parameter 'weight'" in message
    x = _pasted_input(message)
    assert tuple(x.shape) == (1, 3)  # the smallest batch that shows the bug


def test_wrong_second_order_gradient_needs_order_2():
    check_module(DetachedSecondOrder, BATCHES, settings=FIND)
    message = _failure(DetachedSecondOrder, order=2)
    assert "second-order gradient check failed" in message
    assert tuple(_pasted_input(message).shape) == (1, 3)


class HiddenInList(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = [nn.Linear(3, 2)]

    def forward(self, x):
        return self.layers[0](x)


class HiddenParameter(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = {"w": nn.Parameter(torch.randn(3))}

    def forward(self, x):
        return x * self.weights["w"]


@pytest.mark.parametrize(
    ("factory", "where"), [(HiddenInList, "layers[0]"), (HiddenParameter, "weights['w']")]
)
def test_unregistered_submodules_and_parameters_are_found(factory, where):
    message = _failure(factory)
    assert "registration failed" in message and f"attribute '{where}'" in message


GLOBAL_WEIGHT = nn.Parameter(torch.randn(3))


class UsesGlobal(nn.Module):
    def forward(self, x):
        return x * GLOBAL_WEIGHT


def test_a_trained_tensor_outside_parameters_is_found():
    message = _failure(UsesGlobal)
    assert "neither an input nor in parameters()" in message


class Unused(nn.Linear):
    def __init__(self):
        super().__init__(3, 2)
        self.extra = nn.Parameter(torch.zeros(2))


def test_a_parameter_without_gradient_fails_unless_declared_unused():
    assert "parameter 'extra' got no gradient" in _failure(Unused)
    check_module(Unused, BATCHES, settings=FIND, unused_parameters=("extra",))


class AlwaysDropout(nn.Linear):
    def __init__(self):
        super().__init__(3, 2)

    def forward(self, x):
        return nn.functional.dropout(super().forward(x), 0.5, training=True)


def test_randomness_in_eval_mode_is_found():
    message = _failure(AlwaysDropout, order=0)
    assert "eval mode is deterministic failed" in message


class PlainTensorState(nn.Linear):
    def __init__(self):
        super().__init__(3, 2)
        self.offset = torch.randn(2)  # should be a buffer

    def forward(self, x):
        return super().forward(x) + self.offset


def test_state_that_state_dict_misses_is_found():
    message = _failure(PlainTensorState)
    assert "state_dict round trip failed" in message
    assert "some state that forward uses is not in state_dict()" in message


class Float32Accumulator(nn.Linear):
    def __init__(self):
        super().__init__(3, 2)

    def forward(self, x):
        out = torch.zeros(x.shape[0], 2)  # default dtype, whatever the module's is
        out += super().forward(x)
        return out


def test_a_dtype_that_does_not_follow_to_is_found():
    message = _failure(Float32Accumulator, order=0)
    assert ".to(dtype) round trip failed" in message
    assert "output 0 is eagertorch.float32" in message
