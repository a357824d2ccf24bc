"""``eagertorch.distributed``: process groups and collectives on MPI, with PyTorch's names.

Launch with ``mpiexec -n 2 python train.py`` or ``python -m eagertorch.distributed.run -n 2
train.py``, call ``init_process_group()``, then use the collectives below or wrap the model
in ``eagertorch.nn.parallel.DistributedDataParallel``. ``mpi4py`` (and so MPI) is loaded
by ``init_process_group``, not by importing this package. See docs/distributed.md.
"""

from .collectives import *
from .process_group import *

__all__ = [
    "Backend",
    "GroupMember",
    "ProcessGroup",
    "ReduceOp",
    "Work",
    "all_gather",
    "all_gather_into_tensor",
    "all_gather_object",
    "all_reduce",
    "all_to_all",
    "all_to_all_single",
    "barrier",
    "broadcast",
    "broadcast_object_list",
    "destroy_process_group",
    "gather",
    "gather_object",
    "get_backend",
    "get_global_rank",
    "get_group_rank",
    "get_process_group_ranks",
    "get_rank",
    "get_world_size",
    "group",
    "init_process_group",
    "irecv",
    "is_available",
    "is_gloo_available",
    "is_initialized",
    "is_mpi_available",
    "is_nccl_available",
    "is_torchelastic_launched",
    "isend",
    "monitored_barrier",
    "new_group",
    "recv",
    "reduce",
    "reduce_scatter",
    "reduce_scatter_tensor",
    "scatter",
    "scatter_object_list",
    "send",
]
