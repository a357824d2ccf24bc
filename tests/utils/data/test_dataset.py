"""Datasets: TensorDataset, ConcatDataset, ChainDataset, StackDataset, Subset, random_split."""

from __future__ import annotations

import numpy as np
import pytest

import eagertorch as et
from eagertorch.utils.data import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i * i

    def __len__(self):
        return self.n


class Count(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_base_dataset_getitem_is_abstract():
    with pytest.raises(NotImplementedError, match="should implement __getitem__"):
        Dataset()[0]


def test_tensor_dataset_returns_rows_of_every_tensor():
    x = et.arange(12).reshape(4, 3)
    y = et.tensor([5, 6, 7, 8])
    ds = TensorDataset(x, y)
    assert len(ds) == 4
    row, label = ds[2]
    assert row.tolist() == [6, 7, 8] and label.item() == 7


def test_tensor_dataset_rejects_mismatched_first_dims():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(et.zeros(3, 2), et.zeros(4))


def test_concat_dataset_indexes_across_parts_and_negative_indices():
    ds = Squares(3) + Squares(2)
    assert isinstance(ds, ConcatDataset)
    assert len(ds) == 5
    assert [ds[i] for i in range(5)] == [0, 1, 4, 0, 1]
    assert ds[-1] == 1 and ds[-5] == 0
    with pytest.raises(ValueError, match="absolute value of index"):
        ds[-6]


def test_concat_dataset_rejects_empty_and_iterable():
    with pytest.raises(AssertionError, match="empty iterable"):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        ConcatDataset([Count(2)])


def test_chain_dataset_chains_iterables():
    ds = Count(2) + Count(3)
    assert isinstance(ds, ChainDataset)
    assert list(ds) == [0, 1, 0, 1, 2]
    assert len(ds) == 5


def test_stack_dataset_tuples_and_dicts():
    assert StackDataset(Squares(3), Squares(3))[2] == (4, 4)
    assert StackDataset(a=Squares(3), b=Squares(3))[1] == {"a": 1, "b": 1}
    with pytest.raises(ValueError, match="Size mismatch"):
        StackDataset(Squares(3), Squares(4))


def test_subset_maps_indices():
    sub = Subset(Squares(10), [9, 2, 5])
    assert len(sub) == 3
    assert [sub[i] for i in range(3)] == [81, 4, 25]
    assert sub.__getitems__([0, 2]) == [81, 25]


def test_random_split_lengths_partition_the_dataset():
    parts = random_split(Squares(10), [3, 7], generator=et.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [3, 7]
    all_idx = sorted(parts[0].indices + parts[1].indices)
    assert all_idx == list(range(10))


def test_random_split_fractions_give_remainder_round_robin():
    parts = random_split(Squares(11), [0.5, 0.3, 0.2])
    # floor gives 5, 3, 2 (sum 10); the one left over goes to the first split
    assert [len(p) for p in parts] == [6, 3, 2]
    assert sorted(i for p in parts for i in p.indices) == list(range(11))


def test_random_split_is_reproducible_with_a_seeded_generator():
    a = random_split(Squares(20), [10, 10], generator=et.Generator().manual_seed(5))
    b = random_split(Squares(20), [10, 10], generator=et.Generator().manual_seed(5))
    c = random_split(Squares(20), [10, 10], generator=et.Generator().manual_seed(6))
    assert a[0].indices == b[0].indices
    assert a[0].indices != c[0].indices


def test_random_split_errors():
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(Squares(10), [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        random_split(Squares(10), [1.5, -0.5])


def test_random_split_warns_on_empty_split():
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        parts = random_split(Squares(2), [0.9, 0.1])
    assert [len(p) for p in parts] == [2, 0]


def test_tensor_dataset_holds_the_given_tensors():
    x = et.tensor(np.ones((2, 2), np.float32))
    assert TensorDataset(x).tensors[0] is x
