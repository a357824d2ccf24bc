"""``assert_close``: PyTorch's default tolerances by dtype and a mismatch report."""

from __future__ import annotations

import numpy as np
import pytest

import eagertorch as torch
from eagertorch.testing import assert_close


@pytest.mark.parametrize(
    ("dtype", "inside", "outside"),
    [
        (torch.float32, 1.0 + 1e-6, 1.0 + 1e-4),
        (torch.float64, 1.0 + 1e-8, 1.0 + 1e-6),
        (torch.float16, 1.0 + 5e-4, 1.0 + 4e-3),
    ],
)
def test_default_tolerances_depend_on_the_dtype(dtype, inside, outside):
    expected = torch.tensor([1.0, 2.0], dtype=dtype)
    assert_close(torch.tensor([inside, 2.0], dtype=dtype), expected)
    with pytest.raises(AssertionError, match="not close"):
        assert_close(torch.tensor([outside, 2.0], dtype=dtype), expected)


def test_integers_compare_exactly():
    assert_close(torch.tensor([1, 2]), torch.tensor([1, 2]))
    with pytest.raises(AssertionError, match="Mismatched elements: 1 / 2"):
        assert_close(torch.tensor([1, 3]), torch.tensor([1, 2]))


def test_report_names_count_worst_index_and_both_values():
    actual = torch.tensor([[1.0, 2.0], [3.0, 4.5]])
    expected = torch.tensor([[1.0, 2.1], [3.0, 4.0]])
    with pytest.raises(AssertionError) as info:
        assert_close(actual, expected)
    report = str(info.value)
    assert "Mismatched elements: 2 / 4 (50.0%)" in report
    assert "Greatest absolute difference: 0.5 at index (1, 1)" in report
    assert "Greatest relative difference" in report and "at index (1, 1)" in report
    assert "Worst element (1, 1): actual 4.5, expected 4.0" in report


def test_explicit_tolerances_must_come_together():
    with pytest.raises(ValueError, match="Both 'rtol' and 'atol'"):
        assert_close(torch.tensor(1.0), torch.tensor(1.0), rtol=0.1)
    assert_close(torch.tensor(1.0), torch.tensor(1.05), rtol=0.1, atol=0.0)


def test_shape_and_dtype_mismatches_are_named():
    with pytest.raises(AssertionError, match=r"'shape' do not match: \(2,\) != \(3,\)"):
        assert_close(torch.zeros(2), torch.zeros(3))
    with pytest.raises(AssertionError, match="'dtype' do not match"):
        assert_close(torch.zeros(2), torch.zeros(2, dtype=torch.float64))
    assert_close(torch.zeros(2), torch.zeros(2, dtype=torch.float64), check_dtype=False)


def test_nan_is_equal_only_with_equal_nan():
    a = torch.tensor([float("nan"), 1.0])
    with pytest.raises(AssertionError):
        assert_close(a, a.clone())
    assert_close(a, a.clone(), equal_nan=True)


def test_numpy_arrays_and_scalars_compare_by_value():
    assert_close(torch.tensor([0.5, 1.5]), np.array([0.5, 1.5]))
    assert_close(torch.tensor(2.0), 2.0)


def test_sequences_and_mappings_compare_item_by_item():
    assert_close((torch.zeros(2), torch.ones(1)), [torch.zeros(2), torch.ones(1)])
    with pytest.raises(AssertionError, match=r"item \[1\]: Tensor-likes are not close"):
        assert_close([torch.zeros(2), torch.ones(2)], [torch.zeros(2), torch.zeros(2)])
    with pytest.raises(AssertionError, match=r"item \['b'\]"):
        assert_close({"a": torch.zeros(1), "b": torch.ones(1)}, {"a": torch.zeros(1), "b": 2.0})


def test_msg_is_prepended_or_built_from_the_report():
    with pytest.raises(AssertionError, match=r"^context\n\nScalars are not close"):
        assert_close(torch.tensor(1.0), torch.tensor(2.0), msg="context")
    with pytest.raises(AssertionError, match=r"^custom: Scalars"):
        assert_close(torch.tensor(1.0), torch.tensor(2.0), msg=lambda report: "custom: " + report)
