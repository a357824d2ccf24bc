"""Collectives and point-to-point messages on tensors, in place as in PyTorch, over MPI.

Each call hands the tensor's own numpy array to mpi4py's buffer interface (``MPI.IN_PLACE``
where MPI allows it), so a contiguous tensor is never copied. A non-contiguous tensor goes
through a contiguous copy that is written back; a cuda (cupy) tensor is staged through host
memory the same way (NCCL is not used). ``async_op=True`` starts MPI's non-blocking variant
(``Iallreduce``, ``Ibcast``, ...) and returns a ``Work``; the tensors hold the result once
``wait()`` returns. Ranks given as ``src``/``dst`` are global ranks, as in PyTorch.
"""

from __future__ import annotations

import time

import numpy as np

from .._backend import dtype as _dt
from .._backend.device import array_module
from .._tensor import Tensor
from .process_group import ProcessGroup, RedOpType, ReduceOp, _mpi, _resolve

__all__ = [
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
    "gather",
    "gather_object",
    "irecv",
    "isend",
    "monitored_barrier",
    "recv",
    "reduce",
    "reduce_scatter",
    "reduce_scatter_tensor",
    "scatter",
    "scatter_object_list",
    "send",
]


class Work:
    """The handle of an ``async_op=True`` call: ``wait()`` blocks until the operation is
    done and its output tensors hold the result."""

    __slots__ = ("_done", "_finish", "_request", "_result", "_status")

    def __init__(self, request, finish=None, result=(), status=None) -> None:
        self._request = request
        self._finish = finish
        self._result = result
        self._status = status
        self._done = False

    def _complete(self) -> None:
        self._done = True
        if self._finish is not None:
            finish, self._finish = self._finish, None
            finish()

    def wait(self, timeout=None) -> bool:
        """Block until done (``timeout``: a ``timedelta`` or seconds; RuntimeError past it)."""
        if self._done:
            return True
        if timeout is None:
            self._request.Wait(self._status)
        else:
            limit = timeout.total_seconds() if hasattr(timeout, "total_seconds") else timeout
            deadline = time.monotonic() + float(limit)
            while not self._request.Test(self._status):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Work.wait timed out after {limit} s")
                time.sleep(1e-4)
        self._complete()
        return True

    synchronize = wait

    def is_completed(self) -> bool:
        """Whether the operation has finished (finishing it if MPI says so); never blocks."""
        if not self._done and self._request.Test(self._status):
            self._complete()
        return self._done

    def is_success(self) -> bool:
        return self.is_completed()

    def exception(self):
        return None

    def result(self) -> list[Tensor]:
        """The output tensors, after waiting."""
        self.wait()
        return list(self._result)

    def source_rank(self) -> int:
        """For ``irecv`` from any source: the sender's rank (after waiting)."""
        self.wait()
        return self._status.Get_source()

    def __repr__(self) -> str:
        return f"Work(completed={self._done})"


# ----- buffers ----------------------------------------------------------------------------


def _check_tensor(t, name: str) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(
            f"Invalid function argument. Expected parameter `{name}` of type Tensor but got "
            f"{type(t)} instead."
        )


def _check_list(tensors, name: str) -> None:
    if not isinstance(tensors, (list, tuple)) or not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError(
            f"Invalid function argument. Expected parameter `{name}` of type List[Tensor] "
            f"but got {type(tensors)} instead."
        )


def _host(t: Tensor) -> np.ndarray:
    """A contiguous host array with ``t``'s values (``t``'s own array when it already is)."""
    a = t._data
    if type(a) is np.ndarray:
        return a if a.flags.c_contiguous else np.ascontiguousarray(a)
    return np.ascontiguousarray(a.get())  # cupy: stage through host memory


def _target(t: Tensor) -> tuple[np.ndarray, bool]:
    """The host array an operation writes ``t``'s result into, and whether it must be copied
    back into ``t`` afterwards (non-contiguous or cuda tensors)."""
    a = t._data
    if type(a) is np.ndarray:
        if not a.flags.writeable:
            raise RuntimeError(
                "a collective cannot write into this tensor: its memory is read-only or "
                "shared between elements (e.g. the result of expand()); clone() it first"
            )
        if a.flags.c_contiguous:
            return a, False
        return np.ascontiguousarray(a), True
    return np.ascontiguousarray(a.get()), True


def _store(t: Tensor, host: np.ndarray) -> None:
    a = t._data
    if type(a) is np.ndarray:
        a[...] = host.reshape(a.shape)
    else:
        a[...] = array_module(a).asarray(host).reshape(a.shape)


def _bump(t: Tensor) -> None:
    root = t._view[0] if t._view is not None else t
    root._version += 1


def _finisher(steps):
    """One callable running ``steps`` (each a callable) in order, or None when empty."""
    steps = [s for s in steps if s is not None]
    if not steps:
        return None
    if len(steps) == 1:
        return steps[0]

    def run():
        for s in steps:
            s()

    return run


def _store_step(t: Tensor, host: np.ndarray, needed: bool):
    return (lambda: _store(t, host)) if needed else None


def _run(async_op: bool, blocking, nonblocking, finish, result=()):
    """Run ``blocking()`` then ``finish``, or start ``nonblocking()`` and return its Work."""
    if async_op:
        return Work(nonblocking(), finish, result)
    blocking()
    if finish is not None:
        finish()
    return None


# ----- reduction operators ----------------------------------------------------------------

_BOOL_OPS = {
    RedOpType.SUM: "LOR",
    RedOpType.MAX: "LOR",
    RedOpType.BOR: "LOR",
    RedOpType.PRODUCT: "LAND",
    RedOpType.MIN: "LAND",
    RedOpType.BAND: "LAND",
    RedOpType.BXOR: "LXOR",
}
_OPS = {
    RedOpType.SUM: "SUM",
    RedOpType.AVG: "SUM",
    RedOpType.PRODUCT: "PROD",
    RedOpType.MIN: "MIN",
    RedOpType.MAX: "MAX",
    RedOpType.BAND: "BAND",
    RedOpType.BOR: "BOR",
    RedOpType.BXOR: "BXOR",
}


_OP_CACHE: dict = {}


def _mpi_op(op, dtype: np.dtype, what: str):
    """MPI's operator for ``op`` on ``dtype``, and whether the result is then divided (AVG)."""
    hit = _OP_CACHE.get((op, dtype.kind))
    if hit is None:
        hit = _OP_CACHE[op, dtype.kind] = _find_mpi_op(op, dtype, what)
    return hit


def _find_mpi_op(op, dtype: np.dtype, what: str):
    try:
        op = RedOpType(op)
    except ValueError:
        raise ValueError(f"{what}: unknown reduction {op!r}; use a ReduceOp member") from None
    kind = dtype.kind
    name = op.name
    if kind == "b":
        if op is RedOpType.AVG:
            raise RuntimeError(f"{what}: ReduceOp.AVG is not supported for bool tensors")
        return getattr(_mpi(), _BOOL_OPS[op]), False
    if op in (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR) and kind not in "iu":
        raise RuntimeError(
            f"{what}: ReduceOp.{name} needs an integer or bool tensor, got {_dtype_name(dtype)}"
        )
    if op in (RedOpType.MIN, RedOpType.MAX) and kind == "c":
        raise RuntimeError(f"{what}: ReduceOp.{name} is not supported for complex tensors")
    if op is RedOpType.AVG and kind not in "fc":
        raise RuntimeError(
            f"{what}: ReduceOp.AVG needs a floating point or complex tensor, got "
            f"{_dtype_name(dtype)}"
        )
    return getattr(_mpi(), _OPS[op]), op is RedOpType.AVG


def _dtype_name(dtype: np.dtype) -> str:
    return str(_dt.from_numpy_dtype(dtype))


def _average_step(host: np.ndarray, n: int):
    def average():
        np.divide(host, n, out=host)

    return average


# ----- collectives ------------------------------------------------------------------------


def all_reduce(tensor: Tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduce ``tensor`` across the group; every process gets the result, in place."""
    _check_tensor(tensor, "tensor")
    pg = _resolve(group)
    if pg is None:
        return None
    buf, copy_back = _target(tensor)
    mop, avg = _mpi_op(op, buf.dtype, "all_reduce")
    _bump(tensor)
    comm = pg._comm
    if async_op:
        finish = _finisher(
            [_average_step(buf, pg.size()) if avg else None, _store_step(tensor, buf, copy_back)]
        )
        return Work(comm.Iallreduce(_mpi().IN_PLACE, buf, mop), finish, (tensor,))
    comm.Allreduce(_mpi().IN_PLACE, buf, mop)
    if avg:
        np.divide(buf, pg.size(), out=buf)
    if copy_back:
        _store(tensor, buf)
    return None


def broadcast(
    tensor: Tensor, src: int | None = None, group=None, async_op: bool = False, group_src=None
):
    """Copy ``tensor`` from rank ``src`` to every process of the group, in place."""
    _check_tensor(tensor, "tensor")
    pg = _resolve(group)
    if pg is None:
        return None
    root = _root(pg, src, group_src, "src")
    comm = pg._comm
    if root == pg.rank():
        buf, copy_back = _host(tensor), False
    else:
        buf, copy_back = _target(tensor)
        _bump(tensor)
    return _run(
        async_op,
        lambda: comm.Bcast(buf, root),
        lambda: comm.Ibcast(buf, root),
        _store_step(tensor, buf, copy_back),
        (tensor,),
    )


def _root(pg: ProcessGroup, global_rank, group_rank, what: str) -> int:
    if group_rank is not None:
        if global_rank is not None:
            raise ValueError(f"Can not specify both group_{what} and {what}")
        if not 0 <= group_rank < pg.size():
            raise ValueError(
                f"group_{what} {group_rank} is out of range for a group of {pg.size()}"
            )
        return group_rank
    return pg._group_rank(0 if global_rank is None else int(global_rank), what)


def _same_layout(tensors, like: Tensor, name: str) -> None:
    for t in tensors:
        if t._data.shape != like._data.shape or t._data.dtype != like._data.dtype:
            raise ValueError(
                f"{name}: every tensor must match the input's shape {list(like.shape)} and "
                f"dtype {like.dtype}, got shape {list(t.shape)} and dtype {t.dtype}"
            )


def _split_into(tensors, stacked: np.ndarray):
    def split():
        for i, t in enumerate(tensors):
            _bump(t)
            _store(t, stacked[i])

    return split


def all_gather(tensor_list: list[Tensor], tensor: Tensor, group=None, async_op: bool = False):
    """``tensor_list[i]`` receives rank i's ``tensor``, on every process."""
    _check_list(tensor_list, "tensor_list")
    _check_tensor(tensor, "tensor")
    pg = _resolve(group)
    if pg is None:
        return None
    n = pg.size()
    if len(tensor_list) != n:
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} tensors, expected {n}")
    _same_layout(tensor_list, tensor, "all_gather")
    send = _host(tensor)
    stacked = np.empty((n, *send.shape), send.dtype)
    comm = pg._comm
    return _run(
        async_op,
        lambda: comm.Allgather(send, stacked),
        lambda: comm.Iallgather(send, stacked),
        _split_into(tensor_list, stacked),
        tuple(tensor_list),
    )


def all_gather_into_tensor(
    output_tensor: Tensor, input_tensor: Tensor, group=None, async_op: bool = False
):
    """Rank i's ``input_tensor`` fills the i-th slice of ``output_tensor`` (concatenated or
    stacked along dim 0), on every process."""
    _check_tensor(output_tensor, "output_tensor")
    _check_tensor(input_tensor, "input_tensor")
    pg = _resolve(group)
    if pg is None:
        return None
    _check_sizes(output_tensor, input_tensor, pg.size(), "all_gather_into_tensor", "output")
    send = _host(input_tensor)
    out, copy_back = _target(output_tensor)
    _bump(output_tensor)
    comm = pg._comm
    return _run(
        async_op,
        lambda: comm.Allgather(send, out),
        lambda: comm.Iallgather(send, out),
        _store_step(output_tensor, out, copy_back),
        (output_tensor,),
    )


def _check_sizes(big: Tensor, small: Tensor, n: int, what: str, which: str) -> None:
    if big._data.dtype != small._data.dtype:
        raise ValueError(f"{what}: tensors must have one dtype, got {big.dtype} and {small.dtype}")
    if big._data.size != n * small._data.size:
        raise ValueError(
            f"{what}: the {which} tensor must hold world_size ({n}) times the elements of the "
            f"other, got {big._data.size} and {small._data.size}"
        )


def reduce(
    tensor: Tensor,
    dst: int | None = None,
    op=ReduceOp.SUM,
    group=None,
    async_op: bool = False,
    group_dst=None,
):
    """Reduce ``tensor`` across the group into rank ``dst``'s tensor (others are unchanged)."""
    _check_tensor(tensor, "tensor")
    pg = _resolve(group)
    if pg is None:
        return None
    MPI = _mpi()
    root = _root(pg, dst, group_dst, "dst")
    comm = pg._comm
    if root == pg.rank():
        buf, copy_back = _target(tensor)
        mop, avg = _mpi_op(op, buf.dtype, "reduce")
        _bump(tensor)
        finish = _finisher(
            [_average_step(buf, pg.size()) if avg else None, _store_step(tensor, buf, copy_back)]
        )
        blocking = lambda: comm.Reduce(MPI.IN_PLACE, buf, mop, root)  # noqa: E731
        nonblocking = lambda: comm.Ireduce(MPI.IN_PLACE, buf, mop, root)  # noqa: E731
    else:
        buf = _host(tensor)
        mop, _ = _mpi_op(op, buf.dtype, "reduce")
        finish = None
        blocking = lambda: comm.Reduce(buf, None, mop, root)  # noqa: E731
        nonblocking = lambda: comm.Ireduce(buf, None, mop, root)  # noqa: E731
    return _run(async_op, blocking, nonblocking, finish, (tensor,))


def reduce_scatter(
    output: Tensor, input_list: list[Tensor], op=ReduceOp.SUM, group=None, async_op: bool = False
):
    """Reduce ``input_list[i]`` across the group into rank i's ``output``."""
    _check_tensor(output, "output")
    _check_list(input_list, "input_list")
    pg = _resolve(group)
    if pg is None:
        return None
    n = pg.size()
    if len(input_list) != n:
        raise ValueError(f"reduce_scatter: input_list has {len(input_list)} tensors, expected {n}")
    _same_layout(input_list, output, "reduce_scatter")
    send = np.stack([_host(t) for t in input_list]) if n else np.empty(0)
    return _reduce_scatter(pg, output, send, op, async_op, "reduce_scatter")


def reduce_scatter_tensor(
    output: Tensor, input: Tensor, op=ReduceOp.SUM, group=None, async_op: bool = False
):
    """Reduce ``input`` (world_size slices along dim 0) across the group; rank i's
    ``output`` receives slice i."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    pg = _resolve(group)
    if pg is None:
        return None
    _check_sizes(input, output, pg.size(), "reduce_scatter_tensor", "input")
    return _reduce_scatter(pg, output, _host(input), op, async_op, "reduce_scatter_tensor")


def _reduce_scatter(pg, output: Tensor, send: np.ndarray, op, async_op: bool, what: str):
    out, copy_back = _target(output)
    mop, avg = _mpi_op(op, out.dtype, what)
    _bump(output)
    finish = _finisher(
        [_average_step(out, pg.size()) if avg else None, _store_step(output, out, copy_back)]
    )
    comm = pg._comm
    return _run(
        async_op,
        lambda: comm.Reduce_scatter_block(send, out, mop),
        lambda: comm.Ireduce_scatter_block(send, out, mop),
        finish,
        (output,),
    )


def scatter(
    tensor: Tensor,
    scatter_list: list[Tensor] | None = None,
    src: int | None = None,
    group=None,
    async_op: bool = False,
    group_src=None,
):
    """Rank ``src`` sends ``scatter_list[i]`` to rank i, which receives it in ``tensor``."""
    _check_tensor(tensor, "tensor")
    pg = _resolve(group)
    if pg is None:
        return None
    root = _root(pg, src, group_src, "src")
    n = pg.size()
    if root == pg.rank():
        if scatter_list is None:
            raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
        _check_list(scatter_list, "scatter_list")
        if len(scatter_list) != n:
            raise ValueError(f"scatter: scatter_list has {len(scatter_list)} tensors, expected {n}")
        _same_layout(scatter_list, tensor, "scatter")
        send = np.stack([_host(t) for t in scatter_list])
    else:
        if scatter_list:
            raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
        send = None
    out, copy_back = _target(tensor)
    _bump(tensor)
    comm = pg._comm
    return _run(
        async_op,
        lambda: comm.Scatter(send, out, root),
        lambda: comm.Iscatter(send, out, root),
        _store_step(tensor, out, copy_back),
        (tensor,),
    )


def gather(
    tensor: Tensor,
    gather_list: list[Tensor] | None = None,
    dst: int | None = None,
    group=None,
    async_op: bool = False,
    group_dst=None,
):
    """Rank ``dst`` receives rank i's ``tensor`` in ``gather_list[i]``."""
    _check_tensor(tensor, "tensor")
    pg = _resolve(group)
    if pg is None:
        return None
    root = _root(pg, dst, group_dst, "dst")
    n = pg.size()
    send = _host(tensor)
    finish = None
    result = ()
    if root == pg.rank():
        if gather_list is None:
            raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
        _check_list(gather_list, "gather_list")
        if len(gather_list) != n:
            raise ValueError(f"gather: gather_list has {len(gather_list)} tensors, expected {n}")
        _same_layout(gather_list, tensor, "gather")
        stacked = np.empty((n, *send.shape), send.dtype)
        finish = _split_into(gather_list, stacked)
        result = tuple(gather_list)
    else:
        if gather_list:
            raise ValueError(
                "Argument ``gather_list`` must NOT be specified on non-destination ranks."
            )
        stacked = None
    comm = pg._comm
    return _run(
        async_op,
        lambda: comm.Gather(send, stacked, root),
        lambda: comm.Igather(send, stacked, root),
        finish,
        result,
    )


def all_to_all_single(
    output: Tensor,
    input: Tensor,
    output_split_sizes: list[int] | None = None,
    input_split_sizes: list[int] | None = None,
    group=None,
    async_op: bool = False,
):
    """Split ``input`` along dim 0 and send piece i to rank i; ``output`` receives the pieces
    from every rank, concatenated in rank order. Split sizes default to equal pieces."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    pg = _resolve(group)
    if pg is None:
        return None
    n = pg.size()
    send = _host(input)
    out, copy_back = _target(output)
    if send.dtype != out.dtype:
        raise ValueError(
            f"all_to_all_single: tensors must have one dtype, got {output.dtype} and {input.dtype}"
        )
    row_in = send[0].size if send.ndim and send.shape[0] else 0
    row_out = out[0].size if out.ndim and out.shape[0] else 0
    send_counts = _counts(input_split_sizes, send, n, row_in, "input")
    recv_counts = _counts(output_split_sizes, out, n, row_out, "output")
    _bump(output)
    sbuf = [send, (send_counts, _displs(send_counts))]
    rbuf = [out, (recv_counts, _displs(recv_counts))]
    comm = pg._comm
    return _run(
        async_op,
        lambda: comm.Alltoallv(sbuf, rbuf),
        lambda: comm.Ialltoallv(sbuf, rbuf),
        _store_step(output, out, copy_back),
        (output,),
    )


def _counts(splits, arr: np.ndarray, n: int, row: int, which: str) -> list[int]:
    if splits is None:
        if arr.size % n:
            raise ValueError(
                f"all_to_all_single: the {which} tensor's {arr.size} elements do not split "
                f"into {n} equal pieces"
            )
        return [arr.size // n] * n
    splits = [int(s) for s in splits]
    if len(splits) != n or sum(splits) != (arr.shape[0] if arr.ndim else 1):
        raise ValueError(
            f"all_to_all_single: {which}_split_sizes {splits} must have {n} entries summing "
            f"to dim 0 of the {which} tensor ({arr.shape[0] if arr.ndim else 1})"
        )
    return [s * row for s in splits]


def _displs(counts: list[int]) -> list[int]:
    out, acc = [], 0
    for c in counts:
        out.append(acc)
        acc += c
    return out


def all_to_all(
    output_tensor_list: list[Tensor],
    input_tensor_list: list[Tensor],
    group=None,
    async_op: bool = False,
):
    """Rank j receives rank i's ``input_tensor_list[j]`` in ``output_tensor_list[i]``."""
    _check_list(output_tensor_list, "output_tensor_list")
    _check_list(input_tensor_list, "input_tensor_list")
    pg = _resolve(group)
    if pg is None:
        return None
    n = pg.size()
    if len(output_tensor_list) != n or len(input_tensor_list) != n:
        raise ValueError(
            f"all_to_all: both lists must hold {n} tensors, got {len(output_tensor_list)} and "
            f"{len(input_tensor_list)}"
        )
    dtypes = {t._data.dtype for t in (*output_tensor_list, *input_tensor_list)}
    if len(dtypes) != 1:
        raise ValueError("all_to_all: every tensor must have the same dtype")
    (dtype,) = dtypes
    send = np.concatenate([_host(t).reshape(-1) for t in input_tensor_list])
    recv_counts = [t._data.size for t in output_tensor_list]
    send_counts = [t._data.size for t in input_tensor_list]
    recv = np.empty(sum(recv_counts), dtype)
    sbuf = [send, (send_counts, _displs(send_counts))]
    rbuf = [recv, (recv_counts, _displs(recv_counts))]
    offsets = _displs(recv_counts)

    def split():
        for t, off, c in zip(output_tensor_list, offsets, recv_counts):
            _bump(t)
            _store(t, recv[off : off + c])

    comm = pg._comm
    return _run(
        async_op,
        lambda: comm.Alltoallv(sbuf, rbuf),
        lambda: comm.Ialltoallv(sbuf, rbuf),
        split,
        tuple(output_tensor_list),
    )


def barrier(group=None, async_op: bool = False, device_ids=None):
    """Wait until every process of ``group`` has reached this call."""
    pg = _resolve(group)
    if pg is None:
        return None
    comm = pg._comm
    return _run(async_op, comm.Barrier, comm.Ibarrier, None)


def monitored_barrier(group=None, timeout=None, wait_all_ranks: bool = False) -> None:
    """``barrier``; MPI reports no per-rank progress, so ``timeout`` is not enforced."""
    barrier(group)


# ----- point to point ---------------------------------------------------------------------


def send(tensor: Tensor, dst: int | None = None, group=None, tag: int = 0, group_dst=None) -> None:
    """Send ``tensor`` to rank ``dst`` (blocks until it can be reused)."""
    _check_tensor(tensor, "tensor")
    pg = _resolve(group)
    if pg is None:
        return
    pg._comm.Send(_host(tensor), _root(pg, dst, group_dst, "dst"), tag)


def recv(tensor: Tensor, src: int | None = None, group=None, tag: int = 0, group_src=None) -> int:
    """Receive into ``tensor`` from rank ``src`` (any rank when None); returns the sender."""
    _check_tensor(tensor, "tensor")
    pg = _resolve(group)
    if pg is None:
        return -1
    MPI = _mpi()
    source = _source(pg, src, group_src)
    buf, copy_back = _target(tensor)
    _bump(tensor)
    status = MPI.Status()
    pg._comm.Recv(buf, source, tag, status)
    if copy_back:
        _store(tensor, buf)
    return pg._ranks[status.Get_source()]


def _source(pg: ProcessGroup, src, group_src) -> int:
    if src is None and group_src is None:
        return _mpi().ANY_SOURCE
    return _root(pg, src, group_src, "src")


def isend(tensor: Tensor, dst: int | None = None, group=None, tag: int = 0, group_dst=None):
    """Start sending ``tensor`` to rank ``dst``; do not modify it before ``wait()``."""
    _check_tensor(tensor, "tensor")
    pg = _resolve(group)
    if pg is None:
        return None
    buf = _host(tensor)
    return Work(pg._comm.Isend(buf, _root(pg, dst, group_dst, "dst"), tag), result=(tensor,))


def irecv(tensor: Tensor, src: int | None = None, group=None, tag: int = 0, group_src=None):
    """Start receiving into ``tensor`` from rank ``src`` (any rank when None)."""
    _check_tensor(tensor, "tensor")
    pg = _resolve(group)
    if pg is None:
        return None
    MPI = _mpi()
    source = _source(pg, src, group_src)
    buf, copy_back = _target(tensor)
    _bump(tensor)
    return Work(
        pg._comm.Irecv(buf, source, tag),
        _store_step(tensor, buf, copy_back),
        (tensor,),
        MPI.Status(),
    )


# ----- Python objects (pickled) -----------------------------------------------------------


def all_gather_object(object_list: list, obj, group=None) -> None:
    """``object_list[i]`` receives rank i's ``obj`` (any picklable object), on every process."""
    pg = _resolve(group)
    if pg is None:
        return
    if len(object_list) < pg.size():
        raise ValueError(
            f"all_gather_object: object_list has {len(object_list)} entries, expected {pg.size()}"
        )
    for i, o in enumerate(pg._comm.allgather(obj)):
        object_list[i] = o


def broadcast_object_list(
    object_list: list, src: int | None = None, group=None, device=None, group_src=None
) -> None:
    """Rank ``src``'s ``object_list`` entries replace every other process's, in place."""
    pg = _resolve(group)
    if pg is None:
        return
    root = _root(pg, src, group_src, "src")
    items = pg._comm.bcast(list(object_list) if root == pg.rank() else None, root)
    if len(items) != len(object_list):
        raise ValueError(
            f"broadcast_object_list: object_list has {len(object_list)} entries, rank "
            f"{pg._ranks[root]} sent {len(items)}"
        )
    object_list[:] = items


def gather_object(
    obj, object_gather_list: list | None = None, dst: int | None = None, group=None, group_dst=None
) -> None:
    """Rank ``dst`` receives rank i's ``obj`` in ``object_gather_list[i]``."""
    pg = _resolve(group)
    if pg is None:
        return
    root = _root(pg, dst, group_dst, "dst")
    if root == pg.rank() and (object_gather_list is None or len(object_gather_list) < pg.size()):
        raise ValueError(
            f"gather_object: object_gather_list on the destination rank must have {pg.size()} "
            "entries"
        )
    items = pg._comm.gather(obj, root)
    if root == pg.rank():
        for i, o in enumerate(items):
            object_gather_list[i] = o


def scatter_object_list(
    scatter_object_output_list: list,
    scatter_object_input_list=None,
    src: int | None = None,
    group=None,
    group_src=None,
) -> None:
    """Rank ``src`` sends ``scatter_object_input_list[i]`` to rank i, which receives it in
    ``scatter_object_output_list[0]``."""
    pg = _resolve(group)
    if pg is None:
        return
    root = _root(pg, src, group_src, "src")
    if not isinstance(scatter_object_output_list, list) or not scatter_object_output_list:
        raise ValueError(
            "Expected argument scatter_object_output_list to be a list of size at least 1."
        )
    items = None
    if root == pg.rank():
        items = list(scatter_object_input_list or ())
        if len(items) != pg.size():
            raise ValueError(
                f"scatter_object_list: scatter_object_input_list has {len(items)} entries, "
                f"expected {pg.size()}"
            )
    scatter_object_output_list[0] = pg._comm.scatter(items, root)


def _broadcast_coalesced(pg: ProcessGroup, tensors: list[Tensor], src_rank: int = 0) -> None:
    """Broadcast many tensors from group rank ``src_rank`` with one ``Bcast`` per dtype:
    flattened into one host buffer, then copied back (DDP's start-up and buffer sync)."""
    by_dtype: dict = {}
    for t in tensors:
        by_dtype.setdefault(t._data.dtype, []).append(t)
    mine = pg.rank() == src_rank
    for dtype, group_ in by_dtype.items():
        sizes = [t._data.size for t in group_]
        if mine:
            flat = np.concatenate([_host(t).reshape(-1) for t in group_])
        else:
            flat = np.empty(sum(sizes), dtype)
        pg._comm.Bcast(flat, src_rank)
        if mine:
            continue
        off = 0
        for t, n in zip(group_, sizes):
            _store(t, flat[off : off + n])
            _bump(t)
            off += n
