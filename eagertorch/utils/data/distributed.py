"""``DistributedSampler``: each process of a data-parallel job sees its own share of the data.

The rules are PyTorch's: the index list (a permutation seeded by ``seed + epoch`` when
shuffling) is padded by repeating its start, or truncated when ``drop_last``, to a multiple
of ``num_replicas``; replica ``rank`` takes every ``num_replicas``-th index from ``rank``.
The permutation is ``eagertorch.randperm(n, generator=Generator().manual_seed(seed +
epoch))``: the same on every process, but not PyTorch's random stream.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator

import numpy as np

from ..._backend.random import Generator
from .sampler import Sampler

__all__ = ["DistributedSampler"]


def _default_group_info() -> tuple[int, int]:
    """(world size, rank) of the initialised default process group.

    Read through ``sys.modules`` rather than imported: the data layer sits below
    ``eagertorch.distributed``, and a group can only be initialised once that is loaded.
    """
    dist = sys.modules.get("eagertorch.distributed")
    if dist is None or not dist.is_initialized():
        raise ValueError(
            "Default process group has not been initialized, please make sure to call "
            "init_process_group (or pass num_replicas and rank to DistributedSampler)."
        )
    return dist.get_world_size(), dist.get_rank()


class DistributedSampler(Sampler):
    """Restricts sampling to this process's share of ``dataset``.

    ``num_replicas``/``rank`` default to the default process group's world size and rank.
    Call ``set_epoch(epoch)`` at the start of every epoch when shuffling, or every epoch
    repeats the first one's order.
    """

    def __init__(
        self,
        dataset,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None or rank is None:
            world, me = _default_group_info()
            num_replicas = world if num_replicas is None else num_replicas
            rank = me if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            # Drop the tail so that every replica gets the same number of samples.
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def _index_array(self) -> np.ndarray:
        """This epoch's indices for this replica, as one int64 array."""
        n = len(self.dataset)
        if self.shuffle:
            g = Generator().manual_seed(self.seed + self.epoch)
            indices = g._np.permutation(n)
        else:
            indices = np.arange(n)
        if not self.drop_last:
            padding = self.total_size - n
            if padding > 0 and n > 0:
                indices = np.concatenate([indices, np.resize(indices, padding)])
        else:
            indices = indices[: self.total_size]
        return indices[self.rank : self.total_size : self.num_replicas]

    def __iter__(self) -> Iterator[int]:
        return iter(self._index_array().tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Make the next pass use the order of ``epoch``: call at the start of every epoch."""
        self.epoch = epoch
