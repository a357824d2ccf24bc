"""default_collate and default_convert: types, dtypes, nesting, errors."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import eagertorch as et
from eagertorch.utils.data import default_collate, default_convert

Point = collections.namedtuple("Point", ["x", "y"])


def test_python_floats_collate_to_float64():
    out = default_collate([1.0, 2.5])
    assert out.dtype == et.float64 and out.tolist() == [1.0, 2.5]


def test_python_ints_to_int64_and_bools_to_bool():
    assert default_collate([1, 2]).dtype == et.int64
    assert default_collate([True, False]).dtype == et.bool


def test_tensors_are_stacked_with_their_dtype():
    out = default_collate([et.zeros(2, 3), et.ones(2, 3)])
    assert tuple(out.shape) == (2, 2, 3) and out.dtype == et.float32
    assert out[1].sum().item() == 6


def test_tensor_size_mismatch_error_names_both_sizes():
    with pytest.raises(RuntimeError, match=r"equal size, but got \[2\] at entry 0 and \[3\]"):
        default_collate([et.zeros(2), et.zeros(3)])


def test_numpy_arrays_and_scalars_keep_their_dtype():
    out = default_collate([np.zeros(3, np.float32), np.ones(3, np.float32)])
    assert isinstance(out, et.Tensor) and out.dtype == et.float32 and tuple(out.shape) == (2, 3)
    s = default_collate([np.int32(1), np.int32(2)])
    assert s.dtype == et.int32 and s.tolist() == [1, 2]


def test_strings_stay_a_list():
    assert default_collate(["a", "b"]) == ["a", "b"]


def test_tuples_become_lists_of_collated_fields():
    out = default_collate([(1, 2.0), (3, 4.0)])
    assert isinstance(out, list)
    assert out[0].tolist() == [1, 3] and out[1].dtype == et.float64


def test_dicts_and_namedtuples_collate_per_key():
    out = default_collate([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}])
    assert out["a"].tolist() == [1, 2] and out["b"] == ["x", "y"]
    p = default_collate([Point(1, 2), Point(3, 4)])
    assert isinstance(p, Point) and p.x.tolist() == [1, 3]


def test_nested_lists_need_equal_sizes():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        default_collate([[1, 2], [3]])


def test_unsupported_types_raise_a_clear_error():
    with pytest.raises(TypeError, match="batch must contain tensors, numpy arrays, numbers"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="batch must contain"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_default_convert_turns_numpy_into_tensors_without_batching():
    out = default_convert({"a": np.arange(3), "b": (np.float32(1.5), "s")})
    assert isinstance(out["a"], et.Tensor) and out["a"].tolist() == [0, 1, 2]
    assert isinstance(out["b"], list) and out["b"][0].dtype == et.float32
    assert out["b"][1] == "s"
    assert default_convert(5) == 5
