"""DistributedSampler against torch.utils.data.DistributedSampler (num_replicas and rank
given, so PyTorch needs no process group). Unshuffled orders must be identical; shuffled
ones come from different random streams, so their lengths and index multisets are compared.
"""

from __future__ import annotations

from collections import Counter

import pytest

from eagertorch.utils.data import DistributedSampler

torch = pytest.importorskip("torch")

CASES = [
    (n, replicas, drop_last)
    for n in (0, 1, 2, 7, 10, 12, 33)
    for replicas in (1, 2, 3, 5, 8)
    for drop_last in (False, True)
]


def both(n, replicas, rank, **kwargs):
    ours = DistributedSampler(range(n), replicas, rank, **kwargs)
    theirs = torch.utils.data.DistributedSampler(range(n), replicas, rank, **kwargs)
    return ours, theirs


@pytest.mark.parametrize("n, replicas, drop_last", CASES)
def test_unshuffled_shares_equal_pytorchs(n, replicas, drop_last):
    for rank in range(replicas):
        ours, theirs = both(n, replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs)
        assert (ours.num_samples, ours.total_size) == (theirs.num_samples, theirs.total_size)


@pytest.mark.parametrize("n, replicas, drop_last", CASES)
def test_shuffled_shares_have_pytorchs_sizes_and_multiplicities(n, replicas, drop_last):
    ours_all, theirs_all = [], []
    for rank in range(replicas):
        ours, theirs = both(n, replicas, rank, shuffle=True, drop_last=drop_last, seed=3)
        ours.set_epoch(2)
        theirs.set_epoch(2)
        a, b = list(ours), list(theirs)
        assert len(a) == len(b) == len(ours) == len(theirs)
        ours_all += a
        theirs_all += b
    assert sorted(Counter(ours_all).values()) == sorted(Counter(theirs_all).values())
    if not drop_last:
        assert set(ours_all) == set(theirs_all) == set(range(n))
