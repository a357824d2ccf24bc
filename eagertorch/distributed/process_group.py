"""Process groups on MPI: the default group, sub-groups, ranks and reduction operators.

MPI (through mpi4py) is the only transport. ``mpi4py`` is imported on the first call that
needs it (``init_process_group``), never by ``import eagertorch``: importing ``mpi4py.MPI``
initialises MPI. A group wraps an MPI communicator (a duplicate of ``COMM_WORLD`` for the
default group, so collectives issued here never match a user's own ``COMM_WORLD`` calls).
"""

from __future__ import annotations

import enum
import importlib.util
import os
import sys
import traceback

__all__ = [
    "Backend",
    "GroupMember",
    "ProcessGroup",
    "ReduceOp",
    "destroy_process_group",
    "get_backend",
    "get_global_rank",
    "get_group_rank",
    "get_process_group_ranks",
    "get_rank",
    "get_world_size",
    "group",
    "init_process_group",
    "is_available",
    "is_gloo_available",
    "is_initialized",
    "is_mpi_available",
    "is_nccl_available",
    "is_torchelastic_launched",
    "new_group",
]

_NOT_INITIALIZED = (
    "Default process group has not been initialized, please make sure to call init_process_group."
)

_MPI = None

# torchrun's variables, from those MPI launchers set: MPICH/Hydra, then Open MPI.
_LAUNCHER_ENV = {
    "RANK": ("PMI_RANK", "OMPI_COMM_WORLD_RANK"),
    "WORLD_SIZE": ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE"),
    "LOCAL_RANK": ("MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK"),
    "LOCAL_WORLD_SIZE": ("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE"),
}


def _export_launcher_env(environ=os.environ) -> None:
    """Under mpiexec, set RANK, WORLD_SIZE, LOCAL_RANK and LOCAL_WORLD_SIZE as torchrun does
    (where unset), so scripts that read them before ``init_process_group`` run unchanged."""
    for name, sources in _LAUNCHER_ENV.items():
        if name in environ:
            continue
        for src in sources:
            if src in environ:
                environ[name] = environ[src]
                break


_export_launcher_env()


def _mpi():
    """The ``mpi4py.MPI`` module, imported (and MPI initialised) on first use."""
    global _MPI
    if _MPI is None:
        try:
            from mpi4py import MPI
        except ImportError as e:
            raise ImportError(
                "eagertorch.distributed runs on MPI through mpi4py, which is not installed: "
                "pip install 'eagertorch[distributed]' (mpi4py and the mpich wheel)"
            ) from e
        _MPI = MPI
    return _MPI


class RedOpType(enum.IntEnum):
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7


class ReduceOp:
    """The reduction of ``all_reduce``/``reduce``/``reduce_scatter``: ``ReduceOp.SUM``, ..."""

    RedOpType = RedOpType
    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR


class Backend(str):
    """Backend names. Every backend runs on MPI here: ``"gloo"`` and ``"nccl"`` are accepted
    so that scripts written for them start unchanged, and report ``"mpi"``."""

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    MPI = "mpi"
    _ACCEPTED = ("mpi", "gloo", "nccl")

    def __new__(cls, name: str):
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, got {name!r}")
        value = name.lower()
        parts = [p.rpartition(":")[2] for p in value.split(",")]  # "cpu:gloo,cuda:nccl"
        if not parts or any(p not in cls._ACCEPTED for p in parts):
            raise ValueError(
                f"Invalid backend: '{name}'. eagertorch.distributed runs on MPI: use 'mpi' "
                "(or leave backend unset)"
            )
        return super().__new__(cls, value)


class ProcessGroup:
    """A set of processes that run collectives together: an MPI communicator plus the global
    ranks of its members (in group-rank order)."""

    def __init__(self, comm, ranks: list[int]) -> None:
        self._comm = comm
        self._ranks = ranks
        self._rank = comm.Get_rank()
        self._size = comm.Get_size()
        self._global_to_group = {g: i for i, g in enumerate(ranks)}

    def rank(self) -> int:
        return self._rank

    def size(self) -> int:
        return self._size

    def name(self) -> str:
        return "mpi"

    def _group_rank(self, global_rank: int, what: str) -> int:
        r = self._global_to_group.get(global_rank)
        if r is None:
            raise ValueError(f"{what} rank {global_rank} is not part of group {self._ranks}")
        return r

    def __repr__(self) -> str:
        return f"ProcessGroup(backend='mpi', rank={self._rank}, size={self._size})"


class GroupMember:
    """``GroupMember.WORLD``: the default group once initialised; ``NON_GROUP_MEMBER``: what
    ``new_group`` returns on processes outside the new group."""

    WORLD: ProcessGroup | None = None
    NON_GROUP_MEMBER = object()


class _WorldGroup:
    """``group.WORLD``: the default process group (None before ``init_process_group``)."""

    WORLD: ProcessGroup | None = None


group = _WorldGroup


class _World:
    default: ProcessGroup | None = None
    subgroups: list = []
    previous_excepthook = None


def is_available() -> bool:
    """True when mpi4py can be imported (checked without importing it)."""
    return importlib.util.find_spec("mpi4py") is not None


is_mpi_available = is_available


def is_gloo_available() -> bool:
    return False


def is_nccl_available() -> bool:
    return False


def is_torchelastic_launched() -> bool:
    return False


def is_initialized() -> bool:
    return _World.default is not None


def _default_group() -> ProcessGroup:
    pg = _World.default
    if pg is None:
        raise ValueError(_NOT_INITIALIZED)
    return pg


def _resolve(group) -> ProcessGroup | None:
    """The ProcessGroup a call runs on, or None when this process is not a member."""
    if group is None or group is GroupMember.WORLD:
        return _default_group()
    if group is GroupMember.NON_GROUP_MEMBER:
        return None
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"group must be a ProcessGroup or None, got {type(group).__name__}")
    _default_group()
    return group


def _abort_on_uncaught_exception(exc_type, exc, tb) -> None:
    """Print the traceback, then abort every process of the job: the others would otherwise
    wait forever in their next collective."""
    prev = _World.previous_excepthook or sys.__excepthook__
    try:
        prev(exc_type, exc, tb)
    except Exception:
        traceback.print_exception(exc_type, exc, tb)
    comm = _mpi().COMM_WORLD
    print(
        f"eagertorch.distributed: rank {comm.Get_rank()} of {comm.Get_size()} raised "
        f"{exc_type.__name__}; aborting the job (MPI_Abort)",
        file=sys.stderr,
    )
    sys.stdout.flush()
    sys.stderr.flush()
    comm.Abort(1)


def init_process_group(
    backend: str | None = None,
    init_method: str | None = None,
    timeout=None,
    world_size: int = -1,
    rank: int = -1,
    store=None,
    group_name: str = "",
    pg_options=None,
    device_id=None,
) -> None:
    """Join the job's default process group: every process started by ``mpiexec -n N`` (or
    ``python -m eagertorch.distributed.run -n N``) becomes one rank of N; a process started
    without a launcher is a group of one.

    ``backend`` may be left unset (MPI is detected); ``init_method``, ``store`` and ``timeout``
    are accepted for compatibility and unused: MPI's launcher already connects the processes.
    ``world_size``/``rank``, when given, must match the launcher's. From here on an uncaught
    exception on any rank prints its traceback and aborts the whole job instead of leaving the
    other ranks waiting.
    """
    if _World.default is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if backend is not None:
        Backend(backend)  # validates the name
    MPI = _mpi()
    world = MPI.COMM_WORLD
    size, me = world.Get_size(), world.Get_rank()
    if world_size not in (-1, None) and world_size != size:
        raise ValueError(
            f"init_process_group: world_size={world_size} but MPI started {size} processes "
            f"(launch with mpiexec -n {world_size})"
        )
    if rank not in (-1, None) and rank != me:
        raise ValueError(f"init_process_group: rank={rank} but MPI gave this process rank {me}")
    comm = world.Dup()
    pg = ProcessGroup(comm, list(range(size)))
    _World.default = GroupMember.WORLD = _WorldGroup.WORLD = pg
    if size > 1 and sys.excepthook is not _abort_on_uncaught_exception:
        _World.previous_excepthook = sys.excepthook
        sys.excepthook = _abort_on_uncaught_exception


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Free ``group``'s communicator; without ``group``, leave the default group (and every
    sub-group) so that ``init_process_group`` may be called again. MPI itself stays up until
    the process exits."""
    if group is None or group is _World.default:
        pg = _default_group()
        for sub in _World.subgroups:
            sub._comm.Free()
        _World.subgroups = []
        pg._comm.Free()
        _World.default = GroupMember.WORLD = _WorldGroup.WORLD = None
        if sys.excepthook is _abort_on_uncaught_exception:
            sys.excepthook = _World.previous_excepthook or sys.__excepthook__
            _World.previous_excepthook = None
        return
    if group is GroupMember.NON_GROUP_MEMBER:
        return
    if group in _World.subgroups:
        _World.subgroups.remove(group)
        group._comm.Free()


def new_group(
    ranks=None,
    timeout=None,
    backend=None,
    pg_options=None,
    use_local_synchronization: bool = False,
    group_desc: str | None = None,
    device_id=None,
):
    """A group of the given global ranks (all ranks when None). Every process of the default
    group must call it; those outside ``ranks`` get ``GroupMember.NON_GROUP_MEMBER``."""
    default = _default_group()
    MPI = _mpi()
    if ranks is None:
        members = list(range(default.size()))
    else:
        members = sorted({int(r) for r in ranks})
        bad = [r for r in members if not 0 <= r < default.size()]
        if bad:
            raise ValueError(
                f"new_group: ranks {bad} are outside the default group of size {default.size()}"
            )
    mpi_group = default._comm.Get_group().Incl(members)
    comm = default._comm.Create(mpi_group)
    mpi_group.Free()
    if comm == MPI.COMM_NULL:
        return GroupMember.NON_GROUP_MEMBER
    pg = ProcessGroup(comm, members)
    _World.subgroups.append(pg)
    return pg


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank in ``group`` (the default group when None); -1 outside it."""
    pg = _resolve(group)
    return -1 if pg is None else pg.rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    """The number of processes in ``group``; -1 when this process is outside it."""
    pg = _resolve(group)
    return -1 if pg is None else pg.size()


def get_backend(group: ProcessGroup | None = None) -> str:
    _resolve(group)
    return Backend.MPI


def get_process_group_ranks(group: ProcessGroup) -> list[int]:
    """The global ranks of ``group``'s members, in group-rank order."""
    pg = _resolve(group)
    return list(pg._ranks) if pg is not None else []


def get_global_rank(group: ProcessGroup, group_rank: int) -> int:
    pg = _resolve(group)
    if pg is None or not 0 <= group_rank < pg.size():
        raise ValueError(f"Group rank {group_rank} is not part of group {group}")
    return pg._ranks[group_rank]


def get_group_rank(group: ProcessGroup, global_rank: int) -> int:
    pg = _resolve(group)
    if pg is None:
        raise ValueError(f"Global rank {global_rank} is not part of group {group}")
    return pg._group_rank(global_rank, "Global")
