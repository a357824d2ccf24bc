"""Samplers: order, coverage, reproducibility, validation."""

from __future__ import annotations

import collections

import pytest

import eagertorch as et
from eagertorch.utils.data import (
    BatchSampler,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

DATA = list(range(10))


def test_sequential_sampler_in_order():
    s = SequentialSampler(DATA)
    assert list(s) == DATA and len(s) == 10


def test_random_sampler_is_a_permutation_that_changes_each_epoch():
    s = RandomSampler(DATA, generator=et.Generator().manual_seed(0))
    a, b = list(s), list(s)
    assert sorted(a) == DATA and sorted(b) == DATA
    assert a != b


def test_random_sampler_seeded_generators_agree():
    a = list(RandomSampler(DATA, generator=et.Generator().manual_seed(3)))
    b = list(RandomSampler(DATA, generator=et.Generator().manual_seed(3)))
    assert a == b


def test_random_sampler_without_generator_follows_manual_seed():
    et.manual_seed(11)
    a = list(RandomSampler(DATA))
    et.manual_seed(11)
    b = list(RandomSampler(DATA))
    assert a == b


def test_random_sampler_num_samples_beyond_length_repeats_permutations():
    s = RandomSampler(DATA, num_samples=25, generator=et.Generator().manual_seed(0))
    out = list(s)
    assert len(out) == 25 == len(s)
    assert sorted(out[:10]) == DATA and sorted(out[10:20]) == DATA
    assert len(set(out[20:])) == 5


def test_random_sampler_with_replacement():
    s = RandomSampler(DATA, replacement=True, num_samples=100)
    out = list(s)
    assert len(out) == 100 and all(0 <= i < 10 for i in out)
    assert len(set(out)) < 100
    a = list(RandomSampler(DATA, True, 30, generator=et.Generator().manual_seed(2)))
    b = list(RandomSampler(DATA, True, 30, generator=et.Generator().manual_seed(2)))
    assert a == b and len(a) == 30


def test_subset_random_sampler_is_seeded_by_its_generator():
    def run(seed):
        return list(SubsetRandomSampler(range(20, 40), generator=et.Generator().manual_seed(seed)))

    assert run(1) == run(1) != run(2)
    assert sorted(run(1)) == list(range(20, 40))


def test_random_sampler_validation():
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        RandomSampler(DATA, replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        RandomSampler(DATA, num_samples=0)


def test_subset_random_sampler_yields_given_indices_once():
    s = SubsetRandomSampler([3, 5, 7, 9])
    assert sorted(s) == [3, 5, 7, 9] and len(s) == 4


def test_weighted_random_sampler_respects_zero_weights_and_frequencies():
    s = WeightedRandomSampler([0.0, 1.0, 3.0], num_samples=4000, generator=et.Generator())
    counts = collections.Counter(s)
    assert counts[0] == 0
    assert 2.5 < counts[2] / counts[1] < 3.5


def test_weighted_random_sampler_without_replacement_is_distinct():
    out = list(WeightedRandomSampler([1.0] * 5, num_samples=5, replacement=False))
    assert sorted(out) == [0, 1, 2, 3, 4]


def test_weighted_random_sampler_validation():
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        WeightedRandomSampler([1.0], num_samples=0)
    with pytest.raises(ValueError, match="replacement should be a boolean"):
        WeightedRandomSampler([1.0], num_samples=1, replacement=None)
    with pytest.raises(ValueError, match="weights should be a 1d sequence"):
        WeightedRandomSampler([[1.0]], num_samples=1)
    with pytest.raises(RuntimeError, match="encountering probability entry < 0"):
        WeightedRandomSampler([1.0, -1.0], num_samples=1)
    with pytest.raises(RuntimeError, match=r"sum of probabilities <= 0"):
        WeightedRandomSampler([0.0, 0.0], num_samples=1)
    with pytest.raises(RuntimeError, match=r"cannot sample n_sample > prob_dist\.size"):
        WeightedRandomSampler([1.0, 1.0], num_samples=3, replacement=False)
    with pytest.raises(RuntimeError, match="not enough non-negative category"):
        WeightedRandomSampler([1.0, 0.0], num_samples=2, replacement=False)


def test_weighted_random_sampler_takes_tensor_weights_and_keeps_them_as_float64():
    s = WeightedRandomSampler(et.tensor([0.0, 2.0]), num_samples=3)
    assert isinstance(s.weights, et.Tensor) and s.weights.dtype == et.float64
    assert list(s) == [1, 1, 1] and len(s) == 3


@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler_groups_indices(drop_last):
    b = BatchSampler(SequentialSampler(DATA), 4, drop_last)
    expected = [[0, 1, 2, 3], [4, 5, 6, 7]] + ([] if drop_last else [[8, 9]])
    assert list(b) == expected
    assert len(b) == len(expected)


def test_batch_sampler_over_plain_iterable():
    b = BatchSampler(iter([5, 6, 7]), 2, False)
    assert list(b) == [[5, 6], [7]]


def test_batch_sampler_validation():
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        BatchSampler(DATA, 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        BatchSampler(DATA, 2, 1)
