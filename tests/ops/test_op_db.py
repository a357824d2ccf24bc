"""Every op in the table through ``eagertorch.testing.check_op``: forward against the numpy
reference in float64 and float32, float32 stays float32, inputs (contiguous or strided
views) are not mutated, requires_grad propagates, gradcheck, gradgradcheck where supported,
and backward linearity / adjoint consistency."""

from __future__ import annotations

import pytest

from eagertorch.testing import check_op
from tests.ops.op_db import OPS


@pytest.mark.parametrize("spec", OPS, ids=repr)
def test_op_passes_check_op(spec):
    check_op(spec.op, **spec.check_op_options())
