"""Rank 0 prints what each process of a launched job sees (tests/distributed/test_launch.py)."""

from __future__ import annotations

import os
import sys

import eagertorch.distributed as dist

dist.init_process_group()
seen = [None] * dist.get_world_size()
env = os.environ
mine = (
    f"rank={dist.get_rank()} RANK={env.get('RANK')} LOCAL_RANK={env.get('LOCAL_RANK')} "
    f"WORLD_SIZE={env.get('WORLD_SIZE')} omp={env.get('OMP_NUM_THREADS')} args={sys.argv[1:]}"
)
dist.all_gather_object(seen, mine)
if dist.get_rank() == 0:
    print("\n".join(seen), flush=True)
dist.destroy_process_group()
