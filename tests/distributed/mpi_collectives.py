"""Collective checks, run on every rank of an MPI job by tests/distributed/test_collectives.py.

Each rank's input is a deterministic function of its rank, so every rank can compute every
other rank's input and the numpy reference result by itself.
"""

from __future__ import annotations

import numpy as np

import eagertorch as et
import eagertorch.distributed as dist
from eagertorch.distributed import ReduceOp


def rank() -> int:
    return dist.get_rank()


def world() -> int:
    return dist.get_world_size()


def data(r: int, shape=(3, 4), dtype=np.float32, kind: str = "normal") -> np.ndarray:
    """Rank ``r``'s input."""
    rng = np.random.default_rng(100 + r)
    if kind == "bool":
        return rng.random(shape) < 0.5
    if np.dtype(dtype).kind in "iu":
        return rng.integers(1, 6, size=shape).astype(dtype)
    if kind == "near_one":
        return (1 + 0.1 * rng.standard_normal(shape)).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def everyone(shape=(3, 4), dtype=np.float32, kind: str = "normal") -> np.ndarray:
    return np.stack([data(r, shape, dtype, kind) for r in range(world())])


def close(got, want, dtype=np.float32) -> None:
    got = np.asarray(got)
    assert got.dtype == np.asarray(want).dtype, (got.dtype, np.asarray(want).dtype)
    tol = {np.float16: 1e-2, np.float32: 1e-6, np.float64: 1e-12}.get(np.dtype(dtype).type, 0)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


REDUCTIONS = {
    ReduceOp.SUM: lambda a: a.sum(0),
    ReduceOp.AVG: lambda a: a.mean(0),
    ReduceOp.MAX: lambda a: a.max(0),
    ReduceOp.MIN: lambda a: a.min(0),
    ReduceOp.PRODUCT: lambda a: a.prod(0),
}


def check_all_reduce_every_op_and_dtype():
    for dtype in (np.float32, np.float64, np.int64, np.int32, np.float16):
        for op, ref in REDUCTIONS.items():
            if op == ReduceOp.AVG and np.dtype(dtype).kind in "iu":
                continue
            kind = "near_one" if op == ReduceOp.PRODUCT else "normal"
            t = et.tensor(data(rank(), dtype=dtype, kind=kind))
            assert dist.all_reduce(t, op=op) is None
            want = ref(everyone(dtype=dtype, kind=kind).astype(np.float64)).astype(dtype)
            close(t.numpy(), want, dtype)


def check_all_reduce_bool_sum_is_any_and_min_is_all():
    for op, ref in ((ReduceOp.SUM, np.any), (ReduceOp.MAX, np.any), (ReduceOp.MIN, np.all)):
        t = et.tensor(data(rank(), kind="bool"))
        dist.all_reduce(t, op=op)
        np.testing.assert_array_equal(t.numpy(), ref(everyone(kind="bool"), axis=0))


def check_all_reduce_bitwise_ops_on_integers():
    a = everyone(dtype=np.int64)
    for op, ref in (
        (ReduceOp.BAND, np.bitwise_and),
        (ReduceOp.BOR, np.bitwise_or),
        (ReduceOp.BXOR, np.bitwise_xor),
    ):
        t = et.tensor(data(rank(), dtype=np.int64))
        dist.all_reduce(t, op=op)
        np.testing.assert_array_equal(t.numpy(), ref.reduce(a, axis=0))


def check_all_reduce_avg_on_integers_raises_on_every_rank():
    t = et.tensor([1, 2, 3])
    try:
        dist.all_reduce(t, op=ReduceOp.AVG)
    except RuntimeError as e:
        assert "AVG" in str(e) and "int64" in str(e), str(e)
    else:
        raise AssertionError("AVG on int64 did not raise")
    np.testing.assert_array_equal(t.numpy(), [1, 2, 3])


def check_all_reduce_non_contiguous_view_writes_through_to_base():
    base = et.tensor(data(rank(), shape=(4, 3)))
    view = base.t()  # (3, 4), not contiguous
    assert not view.is_contiguous()
    dist.all_reduce(view)
    close(base.numpy(), everyone(shape=(4, 3)).sum(0))
    close(view.numpy(), everyone(shape=(4, 3)).sum(0).T)


def check_all_reduce_scalar_and_empty_tensors():
    s = et.tensor(float(rank() + 1))
    dist.all_reduce(s)
    assert s.item() == sum(range(1, world() + 1))
    e = et.zeros(0, 3)
    dist.all_reduce(e)
    assert e.shape == (0, 3)


def check_all_reduce_async_work_handle():
    t = et.tensor(data(rank(), shape=(1000,)))
    work = dist.all_reduce(t, op=ReduceOp.AVG, async_op=True)
    assert work is not None
    assert work.wait() is True
    assert work.is_completed()
    close(t.numpy(), everyone(shape=(1000,)).mean(0))
    assert work.result()[0] is t


def check_async_calls_overlap_and_complete_in_any_wait_order():
    a = et.tensor(data(rank(), shape=(50,)))
    b = et.tensor(data(rank(), shape=(7,), dtype=np.float64))
    wa = dist.all_reduce(a, async_op=True)
    wb = dist.all_reduce(b, op=ReduceOp.MAX, async_op=True)
    wb.wait()
    wa.wait()
    close(a.numpy(), everyone(shape=(50,)).sum(0))
    close(b.numpy(), everyone(shape=(7,), dtype=np.float64).max(0), np.float64)


def check_all_reduce_counts_as_an_inplace_write_for_autograd():
    a = et.tensor(data(rank()), requires_grad=True)
    b = a.exp()  # saves its output for backward
    dist.all_reduce(b.detach())  # writes b's memory
    try:
        b.sum().backward()
    except RuntimeError as e:
        assert "inplace operation" in str(e), str(e)
    else:
        raise AssertionError("backward through a tensor all_reduce overwrote did not raise")


def check_broadcast_from_each_source():
    for src in range(world()):
        t = et.tensor(data(rank(), shape=(5, 2), dtype=np.float64))
        dist.broadcast(t, src=src)
        close(t.numpy(), data(src, shape=(5, 2), dtype=np.float64), np.float64)
        w = dist.broadcast(et.tensor(data(rank())), src=src, async_op=True)
        w.wait()
        close(w.result()[0].numpy(), data(src))


def check_all_gather_into_list_and_into_tensor():
    out = [et.zeros(3, 4) for _ in range(world())]
    dist.all_gather(out, et.tensor(data(rank())))
    for r, t in enumerate(out):
        close(t.numpy(), data(r))
    out = [et.zeros(3, 4) for _ in range(world())]
    dist.all_gather(out, et.tensor(data(rank())), async_op=True).wait()
    for r, t in enumerate(out):
        close(t.numpy(), data(r))
    flat = et.zeros(world() * 3, 4)
    dist.all_gather_into_tensor(flat, et.tensor(data(rank())))
    close(flat.numpy(), np.concatenate([data(r) for r in range(world())]))


def check_all_gather_with_wrong_list_length_raises():
    try:
        dist.all_gather([et.zeros(3, 4)] * (world() + 1), et.zeros(3, 4))
    except ValueError as e:
        assert "expected 2" in str(e), str(e)
    else:
        raise AssertionError("no error")


def check_object_collectives():
    objs = [None] * world()
    dist.all_gather_object(objs, {"rank": rank(), "name": f"r{rank()}"})
    assert objs == [{"rank": r, "name": f"r{r}"} for r in range(world())]
    items = [f"from {rank()}", rank()] if rank() == 1 else [None, None]
    dist.broadcast_object_list(items, src=1)
    assert items == ["from 1", 1]
    gathered = [None] * world() if rank() == 0 else None
    dist.gather_object(("g", rank()), gathered, dst=0)
    if rank() == 0:
        assert gathered == [("g", r) for r in range(world())]
    out = [None]
    dist.scatter_object_list(out, [f"to {r}" for r in range(world())] if rank() == 0 else None)
    assert out == [f"to {rank()}"]


def check_reduce_to_each_destination():
    for dst in range(world()):
        for op, ref in ((ReduceOp.SUM, np.sum), (ReduceOp.AVG, np.mean)):
            mine = data(rank())
            t = et.tensor(mine)
            dist.reduce(t, dst=dst, op=op)
            if rank() == dst:
                close(t.numpy(), ref(everyone(), axis=0))
            else:
                close(t.numpy(), mine)  # only the destination receives the result


def check_reduce_scatter_list_and_tensor():
    n = world()
    inputs = [et.tensor(data(rank(), shape=(2, 3)) * (i + 1)) for i in range(n)]
    out = et.zeros(2, 3)
    dist.reduce_scatter(out, inputs)
    close(out.numpy(), everyone(shape=(2, 3)).sum(0) * (rank() + 1))
    big = et.tensor(data(rank(), shape=(2 * n, 3)))
    out = et.zeros(2, 3)
    dist.reduce_scatter_tensor(out, big, op=ReduceOp.MAX)
    want = everyone(shape=(2 * n, 3)).max(0)[2 * rank() : 2 * rank() + 2]
    close(out.numpy(), want)


def check_scatter_and_gather():
    n = world()
    pieces = [et.full((2, 2), float(10 * i)) for i in range(n)] if rank() == 0 else None
    t = et.zeros(2, 2)
    dist.scatter(t, pieces, src=0)
    close(t.numpy(), np.full((2, 2), 10.0 * rank(), np.float32))
    bucket = [et.zeros(3, 4) for _ in range(n)] if rank() == n - 1 else None
    dist.gather(et.tensor(data(rank())), bucket, dst=n - 1)
    if rank() == n - 1:
        for r, got in enumerate(bucket):
            close(got.numpy(), data(r))


def check_all_to_all_equal_and_uneven_splits():
    n, me = world(), rank()
    inp = et.arange(n * 2, dtype=et.float32) + 100 * me
    out = et.zeros(n * 2)
    dist.all_to_all_single(out, inp)
    want = np.concatenate([np.arange(2 * me, 2 * me + 2) + 100 * r for r in range(n)])
    close(out.numpy(), want.astype(np.float32))
    # Rank r sends r + 1 + j rows to rank j (rows of 3 values equal to 10 * r + j).
    send_sizes = [me + 1 + j for j in range(n)]
    rows = np.concatenate([np.full((s, 3), 10 * me + j) for j, s in enumerate(send_sizes)])
    recv_sizes = [r + 1 + me for r in range(n)]
    out = et.zeros(sum(recv_sizes), 3, dtype=et.int64)
    dist.all_to_all_single(out, et.tensor(rows), recv_sizes, send_sizes)
    want = np.concatenate([np.full((s, 3), 10 * r + me) for r, s in enumerate(recv_sizes)])
    np.testing.assert_array_equal(out.numpy(), want)
    outs = [et.zeros(r + 1) for r in range(n)]
    dist.all_to_all(outs, [et.full((me + 1,), float(me * 10 + j)) for j in range(n)])
    for r, t in enumerate(outs):
        close(t.numpy(), np.full(r + 1, 10.0 * r + me, np.float32))


def check_point_to_point_ring():
    n, me = world(), rank()
    nxt, prev = (me + 1) % n, (me - 1) % n
    got = et.zeros(3, 4)
    if me % 2 == 0:
        dist.send(et.tensor(data(me)), dst=nxt)
        sender = dist.recv(got, src=prev)
    else:
        sender = dist.recv(got)
        dist.send(et.tensor(data(me)), dst=nxt)
    assert sender == prev
    close(got.numpy(), data(prev))
    got = et.zeros(3, 4)
    reqs = [dist.isend(et.tensor(data(me)), dst=nxt), dist.irecv(got, src=prev)]
    for w in reqs:
        w.wait()
    close(got.numpy(), data(prev))


def check_barrier_and_async_barrier():
    assert dist.barrier() is None
    w = dist.barrier(async_op=True)
    assert w.wait()


def check_group_queries():
    assert dist.is_initialized()
    assert dist.get_world_size() == 2
    assert dist.get_rank() == rank() and 0 <= rank() < 2
    assert dist.get_backend() == "mpi"
    assert dist.group.WORLD is not None
    assert dist.get_process_group_ranks(dist.group.WORLD) == [0, 1]


def check_new_group_members_and_outsiders():
    g = dist.new_group([1])
    if rank() == 1:
        assert dist.get_rank(g) == 0 and dist.get_world_size(g) == 1
        t = et.tensor([5.0])
        dist.all_reduce(t, group=g)
        assert t.item() == 5.0
        assert dist.get_global_rank(g, 0) == 1
    else:
        assert g is dist.GroupMember.NON_GROUP_MEMBER
        assert dist.get_rank(g) == -1 and dist.get_world_size(g) == -1
        assert dist.all_reduce(et.tensor([1.0]), group=g) is None
    everyone_group = dist.new_group()
    t = et.tensor([float(rank())])
    dist.broadcast(t, src=1, group=everyone_group)
    assert t.item() == 1.0
    dist.destroy_process_group(everyone_group)


class FakeDeviceArray:
    """Stands in for a cupy array: its values reach the host only through ``get()`` and come
    back only through its array module's ``asarray`` (what the host staging path uses)."""

    def __init__(self, values) -> None:
        self.values = np.array(values)
        self.shape, self.dtype, self.size = self.values.shape, self.values.dtype, self.values.size

    def get(self) -> np.ndarray:
        return self.values.copy()

    def __array_namespace__(self):
        return FakeDeviceModule

    def reshape(self, shape):
        return FakeDeviceArray(self.values.reshape(shape))

    def __setitem__(self, key, value) -> None:
        assert isinstance(value, FakeDeviceArray), "device memory written from a host array"
        self.values[key] = value.values


class FakeDeviceModule:
    asarray = FakeDeviceArray


def check_device_tensors_are_staged_through_host_memory():
    from eagertorch._tensor import _make

    t = _make(FakeDeviceArray(data(rank())))
    dist.all_reduce(t, op=ReduceOp.AVG)
    close(t._data.values, everyone().mean(0))
    t = _make(FakeDeviceArray(data(rank())))
    dist.broadcast(t, src=1)
    close(t._data.values, data(1))
    outs = [_make(FakeDeviceArray(np.zeros((3, 4), np.float32))) for _ in range(world())]
    dist.all_gather(outs, _make(FakeDeviceArray(data(rank()))))
    for r, o in enumerate(outs):
        close(o._data.values, data(r))


CHECKS = {name[6:]: fn for name, fn in dict(globals()).items() if name.startswith("check_")}

if __name__ == "__main__":
    from tests.distributed._harness import run_checks

    run_checks(CHECKS)
