"""Rank ``argv[1]`` raises after init_process_group while the others wait in a collective:
the job must end with that rank's error, not hang. Used by tests/distributed/test_launch.py."""

from __future__ import annotations

import sys

import eagertorch as et
import eagertorch.distributed as dist

dist.init_process_group()
if dist.get_rank() == int(sys.argv[1]):
    raise ValueError(f"rank {dist.get_rank()} failed on purpose")
print(f"rank {dist.get_rank()} waiting in all_reduce", flush=True)
dist.all_reduce(et.ones(3))  # waits for the failed rank forever unless the job aborts
print(f"rank {dist.get_rank()} passed the all_reduce: the job was not aborted", flush=True)
