"""Property-test a custom ``autograd.Function`` with ``eagertorch.testing``.

``Softplus`` computes log(1 + exp(x)) without overflow, as max(x, 0) + log1p(exp(-|x|)),
and its backward multiplies by sigmoid(x). ``BuggySoftplus`` carries a planted bug: its
backward uses sigmoid(|x|), which is right for x >= 0 only. ``check_op`` tries many inputs
(shapes with broadcasting, 0-d, empty and strided tensors, float32 and float64), compares
the forward with numpy, gradients with finite differences, second-order gradients, and the
algebraic identities of the backward; on a failure hypothesis shrinks the input to the
smallest one it can find and prints it as code you can paste.

    python -m pytest examples/property_test_custom_function.py   # the tests (they pass)
    python examples/property_test_custom_function.py             # the same checks as a script
    python examples/property_test_custom_function.py --buggy     # watch check_op catch the bug
    python examples/property_test_custom_function.py --examples 20   # fewer examples, faster

With ``--buggy`` the script prints the report, whose counterexample is a single negative
number such as ``eagertorch.tensor(-1.0, dtype=eagertorch.float64)``, and exits with status 1.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from hypothesis import given, settings

import eagertorch as torch
from eagertorch import nn
from eagertorch.testing import check_module, check_op, check_op_at
from eagertorch.testing.strategies import shapes, tensors


class Softplus(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.clamp(x, min=0) + torch.log1p(torch.exp(-x.abs()))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.sigmoid(x)  # differentiable: double backward works


class BuggySoftplus(Softplus):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.sigmoid(x.abs())  # the planted bug


def softplus_reference(x):
    """numpy's overflow-free log(1 + exp(x))."""
    return np.logaddexp(0.0, x)


class ScaledSoftplus(nn.Module):
    """A layer built on the Function: softplus(x * scale), one learnable scale per feature."""

    def __init__(self, features: int = 3) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.rand(features) + 0.5)

    def forward(self, x):
        return Softplus.apply(x * self.scale)


def find_the_planted_bug():
    """check_op on the buggy Function: first-order checks, reproducible example order."""
    check_op(
        BuggySoftplus.apply,
        softplus_reference,
        order=1,
        settings=settings(database=None, derandomize=True),
    )


# ----- the tests ------------------------------------------------------------------------
def test_softplus_passes_every_check():
    # One line: forward vs numpy, gradcheck, gradgradcheck, linearity and adjointness of the
    # backward, no input mutation, dtype and requires_grad propagation, over many inputs.
    check_op(Softplus.apply, softplus_reference, low=-20.0, high=20.0)


def test_check_op_catches_the_planted_bug_and_shrinks_it():
    try:
        find_the_planted_bug()
    except AssertionError as failure:
        report = str(failure)
    else:
        raise AssertionError("check_op missed the planted bug")
    assert "gradcheck (first order) failed" in report
    counterexample = report.split("args = ", 1)[1].splitlines()[0]
    (x,) = eval(counterexample, {"eagertorch": torch})  # pasteable: it rebuilds the input
    assert x.numel() == 1 and x.item() < 0  # shrunk to a single negative number


@settings(max_examples=20, deadline=None)
@given(x=tensors(shape=shapes(max_dims=2), dtype=torch.float32, low=-30, high=30, layout="any"))
def test_softplus_inside_your_own_given(x):
    # The same checks at one drawn input, inside a test that draws its own inputs.
    check_op_at(Softplus.apply, (x,), reference=softplus_reference)


def test_a_module_built_on_softplus():
    batches = tensors(shape=shapes(2, 2, 0, 3).map(lambda s: (s[0], 3)), dtype=torch.float32)
    check_module(ScaledSoftplus, batches, order=2)


# ----- as a script ----------------------------------------------------------------------
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buggy", action="store_true", help="check the planted bug too")
    parser.add_argument("--examples", type=int, default=100, help="hypothesis examples per test")
    args = parser.parse_args(argv)
    settings.register_profile("script", max_examples=args.examples)
    settings.load_profile("script")
    for test in (
        test_softplus_passes_every_check,
        test_softplus_inside_your_own_given,
        test_a_module_built_on_softplus,
    ):
        test()
        print(f"{test.__name__}: passed")
    if not args.buggy:
        return 0
    try:
        find_the_planted_bug()
    except AssertionError as failure:
        print("\ncheck_op on BuggySoftplus failed, as it should:\n")
        print(failure)
        print("\n".join(getattr(failure, "__notes__", ())))  # hypothesis' own report
        return 1
    print("check_op missed the planted bug")
    return 2


if __name__ == "__main__":
    sys.exit(main())
