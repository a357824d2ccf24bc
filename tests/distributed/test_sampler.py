"""DistributedSampler: PyTorch's split, padding and drop_last rules, seeded shuffling."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import eagertorch as et
from eagertorch.utils.data import DataLoader, DistributedSampler, TensorDataset


def pytorch_rule(order: list[int], replicas: int, rank: int, drop_last: bool) -> list[int]:
    """PyTorch's documented algorithm, written on plain lists, applied to ``order``."""
    n = len(order)
    if drop_last and n % replicas:
        num_samples = math.ceil((n - replicas) / replicas)
    else:
        num_samples = math.ceil(n / replicas)
    total = num_samples * replicas
    indices = list(order)
    if not drop_last:
        pad = total - n
        if pad <= n:
            indices += indices[:pad]
        else:
            indices += (indices * math.ceil(pad / n))[:pad]
    else:
        indices = indices[:total]
    return indices[rank:total:replicas]


def shares(n, replicas, **kwargs):
    return [list(DistributedSampler(range(n), replicas, r, **kwargs)) for r in range(replicas)]


@given(
    n=st.integers(1, 40),
    replicas=st.integers(1, 7),
    drop_last=st.booleans(),
    shuffle=st.booleans(),
    seed=st.integers(0, 5),
    epoch=st.integers(0, 3),
)
def test_each_rank_gets_pytorchs_share_of_the_epoch_order(
    n, replicas, drop_last, shuffle, seed, epoch
):
    if shuffle:
        order = et.randperm(n, generator=et.Generator().manual_seed(seed + epoch)).tolist()
    else:
        order = list(range(n))
    for rank in range(replicas):
        s = DistributedSampler(
            range(n), replicas, rank, shuffle=shuffle, seed=seed, drop_last=drop_last
        )
        s.set_epoch(epoch)
        got = list(s)
        assert got == pytorch_rule(order, replicas, rank, drop_last)
        assert len(got) == len(s)


def test_padding_repeats_the_start_so_every_rank_has_the_same_length():
    assert shares(10, 3, shuffle=False) == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]


def test_padding_larger_than_the_dataset_cycles_through_it():
    assert shares(2, 5, shuffle=False) == [[0], [1], [0], [1], [0]]


def test_drop_last_drops_the_tail_instead():
    assert shares(10, 3, shuffle=False, drop_last=True) == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]


def test_shuffled_shares_are_disjoint_and_cover_the_dataset():
    got = shares(12, 3, seed=4)
    assert sorted(i for share in got for i in share) == list(range(12))
    assert got != shares(12, 3, shuffle=False)


def test_set_epoch_changes_the_order_and_the_same_epoch_repeats_it():
    s = DistributedSampler(range(50), 2, 0)
    first = list(s)
    assert list(s) == first  # without set_epoch every epoch repeats
    s.set_epoch(1)
    assert list(s) != first
    s.set_epoch(0)
    assert list(s) == first


def test_seed_changes_the_order():
    assert list(DistributedSampler(range(50), 2, 1, seed=1)) != list(
        DistributedSampler(range(50), 2, 1, seed=2)
    )


@pytest.mark.parametrize("rank", [-1, 3])
def test_invalid_rank_raises_pytorchs_error(rank):
    message = r"Invalid rank .*, rank should be in the interval \[0, 2\]"
    with pytest.raises(ValueError, match=message):
        DistributedSampler(range(5), num_replicas=3, rank=rank)


def test_without_process_group_num_replicas_and_rank_are_required():
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedSampler(range(5))


def test_dataloader_batches_only_this_ranks_share():
    ds = TensorDataset(et.arange(10))
    sampler = DistributedSampler(ds, num_replicas=2, rank=1, shuffle=False)
    loader = DataLoader(ds, batch_size=2, sampler=sampler)
    assert [b[0].tolist() for b in loader] == [[1, 3], [5, 7], [9]]
    assert np.array_equal(sampler._index_array(), [1, 3, 5, 7, 9])
