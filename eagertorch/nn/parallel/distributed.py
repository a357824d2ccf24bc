"""``DistributedDataParallel``: one model replica per process, gradients averaged in backward.

At construction rank 0's parameters and buffers are broadcast to every process, and the
parameters that require grad are packed into flat buckets of at most ``bucket_cap_mb`` (the
first one 1 MiB, to start communicating early): in reverse registration order at first,
then, from the second iteration, in the order their gradients arrived in the first one
(rank 0's), as PyTorch rebuilds its buckets. A gradient hook on each parameter copies its
accumulated gradient into its bucket; when a bucket is complete a non-blocking
``Iallreduce`` starts on it while backward goes on with the layers below. The hook of the
last parameter to receive its gradient waits for every bucket and writes the averages back
into ``.grad``. Buckets are started in a fixed order, the same on every rank, as MPI needs.

BatchNorm statistics stay per-process (buffers are broadcast from rank 0 before each forward
when ``broadcast_buffers``, as in PyTorch). Cuda tensors are reduced through host buffers.
"""

from __future__ import annotations

import weakref
from contextlib import contextmanager

import numpy as np

from ... import distributed as dist
from ..._tensor import Tensor, _make
from ...autograd.grad_mode import is_grad_enabled
from ...distributed.collectives import _broadcast_coalesced
from ...distributed.process_group import _mpi, _resolve
from ..modules.module import Module

__all__ = ["DistributedDataParallel"]

_FIRST_BUCKET_BYTES = 1024 * 1024
_UNFINISHED = (
    "Expected to have finished reduction in the prior iteration before starting a new one. "
    "This error indicates that your module has parameters that were not used in producing "
    "loss. You can enable unused parameter detection by passing the keyword argument "
    "`find_unused_parameters=True` to `eagertorch.nn.parallel.DistributedDataParallel`, and "
    "by making sure all `forward` function outputs participate in calculating loss."
)
_UNFINISHED_FIND_UNUSED = (
    "Expected to have finished reduction in the prior iteration before starting a new one. "
    "Since `find_unused_parameters=True` is enabled, this likely means that not all `forward` "
    "outputs participate in computing loss, or that a parameter got its gradient from outside "
    "this forward's graph."
)


class _Bucket:
    __slots__ = ("flat", "on_host", "params", "pending")

    def __init__(self, flat, on_host: bool, params: list[int]) -> None:
        self.flat = flat  # host (numpy) buffer the gradients are reduced in
        self.on_host = on_host  # False: the parameters live on a cuda device (staged here)
        self.params = params
        self.pending = len(params)


class _Reducer:
    """The gradient averaging machinery of one DistributedDataParallel instance."""

    def __init__(self, params, pg, bucket_bytes: int, find_unused: bool, bucket_view: bool):
        self.params = params
        self.pg = pg
        self.world = pg.size()
        self.find_unused = find_unused
        self.bucket_view = bucket_view
        self.cap = bucket_bytes
        self.buckets: list[_Bucket] = []
        self.views: list = [None] * len(params)  # per parameter: its slice of the bucket
        self.where = [0] * len(params)  # per parameter: its bucket's index
        self._build_buckets(list(reversed(range(len(params)))))
        # The first synchronised backward records the order gradients arrive in; the next
        # forward rebuilds the buckets in that order (rank 0's), as PyTorch does.
        self.arrival: list[int] | None = []
        self.rebuild_order: list[int] | None = None
        self.ready = [False] * len(params)
        self.remaining = 0
        self.next_bucket = 0
        self.requests: list = []
        self.armed = False
        self.fired = 0  # gradient hooks run since arming
        self.used = None  # find_unused: 1 where this rank's graph reached the parameter
        self.used_request = None
        ref = weakref.ref(self)
        self.handles = [p.register_hook(_GradHook(ref, i)) for i, p in enumerate(params)]
        weakref.finalize(self, _remove_all, self.handles)

    def _build_buckets(self, order: list[int]) -> None:
        """Fill buckets with the parameters in ``order`` (the order their gradients are
        expected): one bucket per dtype and device kind at a time, closed at the cap."""
        self.buckets = []
        cap = self.cap
        limit = min(_FIRST_BUCKET_BYTES, cap)
        current: dict = {}  # (dtype, on_host) -> [indices, bytes]
        for i in order:
            a = self.params[i]._data
            key = (a.dtype, type(a) is np.ndarray)
            entry = current.setdefault(key, [[], 0])
            entry[0].append(i)
            entry[1] += a.nbytes
            if entry[1] >= limit:
                self._add_bucket(key, entry[0])
                del current[key]
                limit = cap
        for key, (indices, _) in current.items():
            self._add_bucket(key, indices)

    def _add_bucket(self, key, indices: list[int]) -> None:
        dtype, on_host = key
        flat = np.zeros(sum(self.params[i]._data.size for i in indices), dtype)
        b = len(self.buckets)
        off = 0
        for i in indices:
            a = self.params[i]._data
            self.views[i] = flat[off : off + a.size].reshape(a.shape)
            self.where[i] = b
            off += a.size
        self.buckets.append(_Bucket(flat, on_host, indices))

    def rebuild_if_due(self) -> None:
        """After the first synchronised backward: rebuild the buckets in the order gradients
        arrived on rank 0 (broadcast, so every rank starts the same buckets in the same
        order), so that each bucket fills, and starts reducing, as early as possible."""
        if self.rebuild_order is None:
            return
        order = np.asarray(self.rebuild_order, np.int64)
        self.pg._comm.Bcast(order, 0)
        self.rebuild_order = None
        self._build_buckets(order.tolist())

    # ----- one iteration ------------------------------------------------------------------
    @property
    def in_progress(self) -> bool:
        return self.armed and self.fired > 0

    def arm(self, outputs) -> None:
        """Called after a forward that needs synchronised gradients in its backward."""
        if self.used_request is not None:  # a forward without backward: drop its round
            self.used_request.Wait()
            self.used_request = None
        n = len(self.params)
        self.ready = [False] * n
        self.remaining = n
        self.next_bucket = 0
        self.requests = []
        self.fired = 0
        for b in self.buckets:
            b.pending = len(b.params)
        self.armed = True
        if self.find_unused:
            self._mark_unused(outputs)

    def disarm(self) -> None:
        self.armed = False

    def _mark_unused(self, outputs) -> None:
        reached = _reachable_leaves(outputs)
        used = np.fromiter((id(p) in reached for p in self.params), np.uint8, len(self.params))
        self.used = used
        self.used_request = self.pg._comm.Iallreduce(_mpi().IN_PLACE, used, _mpi().MAX)
        # Their buckets start with the first gradient hook, not here: a forward that is
        # never followed by backward must leave no collective started on one rank only.
        for i in np.flatnonzero(used == 0).tolist():
            self._stage(i, None)
            self._mark_ready(i, launch=False)

    def _stage(self, i: int, g) -> None:
        """Copy parameter i's accumulated gradient (``.grad`` plus ``g``) into its bucket."""
        p = self.params[i]
        view = self.views[i]
        old = p._grad
        if g is None:
            if old is None:
                view.fill(0)
            else:
                view[...] = _to_host(old._data)
        elif old is None:
            view[...] = _to_host(g._data)
        elif type(g._data) is np.ndarray:
            np.add(old._data, g._data, out=view)
        else:
            view[...] = _to_host(old._data + g._data)

    def _mark_ready(self, i: int, launch: bool = True) -> None:
        if self.ready[i]:
            raise RuntimeError(
                f"Expected to mark a variable ready only once. The parameter at index {i} "
                "received a gradient twice before the reduction finished (e.g. from two "
                "backward passes through the outputs of one forward): DistributedDataParallel "
                "averages each gradient once per forward."
            )
        self.ready[i] = True
        self.remaining -= 1
        b = self.buckets[self.where[i]]
        b.pending -= 1
        if b.pending == 0 and launch:
            self._launch_ready()

    def _launch_ready(self) -> None:
        """Start the reduction of every complete bucket, in bucket order (identical on every
        rank: MPI matches non-blocking collectives by the order they were started)."""
        MPI = _mpi()
        comm = self.pg._comm
        buckets = self.buckets
        while self.next_bucket < len(buckets) and buckets[self.next_bucket].pending == 0:
            flat = buckets[self.next_bucket].flat
            self.requests.append(comm.Iallreduce(MPI.IN_PLACE, flat, MPI.SUM))
            self.next_bucket += 1
        if self.requests:
            MPI.Request.Testall(self.requests)  # lets MPI progress the ones already started

    def on_grad(self, i: int, g: Tensor):
        """The hook: stage the gradient; the last one finishes the whole reduction."""
        if not self.armed:
            return None  # no_sync(), or a backward that was not prepared by forward
        self.fired += 1
        if self.arrival is not None:
            self.arrival.append(i)
        p = self.params[i]
        self._stage(i, g)
        if self.bucket_view:
            p._grad = None  # .grad becomes the bucket slice in _finish; don't add g into it
        self._mark_ready(i)
        if self.next_bucket == 0 and self.fired == 1:
            self._launch_ready()  # buckets completed by unused parameters in forward
        if self.remaining:
            return None
        return self._finish(i)

    def _finish(self, current: int):
        """Wait for every bucket, average, write ``.grad``; return the hook result for
        parameter ``current`` (whose own accumulation the engine does after the hook)."""
        MPI = _mpi()
        MPI.Request.Waitall(self.requests)
        self.requests = []
        used = None
        if self.used_request is not None:
            self.used_request.Wait()
            self.used_request = None
            used = self.used
        self.armed = False
        if self.arrival is not None:
            arrived = set(self.arrival)
            self.rebuild_order = self.arrival + [
                i for i in reversed(range(len(self.params))) if i not in arrived
            ]
            self.arrival = None
        result = None
        for i, p in enumerate(self.params):
            if used is not None and not used[i]:
                continue  # no rank used it: leave .grad as it was, as PyTorch does
            r = self._write_average(p, self.views[i], self.buckets[self.where[i]], i == current)
            if i == current:
                result = r
        return result

    def _write_average(self, p, view, bucket: _Bucket, current: bool):
        """Write the bucket slice divided by the world size into ``p.grad`` (one pass).

        For the parameter whose hook runs ``_finish`` (``current``) the engine accumulates
        the hook's return value after the hook: into ``.grad`` if there is one, else it
        stores it as ``.grad``. So that one gets ``.grad = None`` and the result returned.
        """
        n = self.world
        if self.bucket_view and bucket.on_host:
            np.divide(view, n, out=view)
            if current or p._grad is None or p._grad._data is not view:
                p._grad = _make(view)
            return _make(np.zeros((), view.dtype)) if current else None  # adds nothing
        old = p._grad
        if not bucket.on_host:  # cuda: the average goes back to the device
            avg = p.xp.asarray(view)
            avg /= n
            if old is not None:
                old._data[...] = avg
        elif old is None:
            avg = np.divide(view, n)
        else:
            np.divide(view, n, out=old._data)
        if old is None:
            if current:
                return _make(avg)
            p._grad = _make(avg)
            return None
        if current:  # hand the existing .grad back, average inside: the engine stores it
            p._grad = None
            return old
        return None


class _GradHook:
    """Per-parameter hook; holds the reducer weakly so a dropped DDP frees its buckets."""

    __slots__ = ("index", "reducer")

    def __init__(self, reducer, index: int) -> None:
        self.reducer = reducer
        self.index = index

    def __call__(self, grad: Tensor):
        r = self.reducer()
        return None if r is None else r.on_grad(self.index, grad)


def _remove_all(handles) -> None:
    for h in handles:
        h.remove()


def _to_host(a):
    return a if type(a) is np.ndarray else a.get()


def _output_tensors(out, found: list) -> list:
    if isinstance(out, Tensor):
        found.append(out)
    elif isinstance(out, (list, tuple)):
        for o in out:
            _output_tensors(o, found)
    elif isinstance(out, dict):
        for o in out.values():
            _output_tensors(o, found)
    return found


def _reachable_leaves(outputs) -> set[int]:
    """ids of the leaf tensors the autograd graph of ``outputs`` reaches."""
    leaves: set[int] = set()
    seen: set[int] = set()
    stack = []
    for t in _output_tensors(outputs, []):
        if t._grad_fn is not None:
            stack.append(t._grad_fn)
        elif t._requires_grad:
            leaves.add(id(t))
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for e in node._edges:
            if e is None:
                continue
            v = e[0]
            if isinstance(v, Tensor):
                leaves.add(id(v))
            elif id(v) not in seen:
                stack.append(v)
    return leaves


class DistributedDataParallel(Module):
    """Data parallelism across processes: wrap the model, train as usual, and every
    process's ``.grad`` holds the gradient averaged over all processes after backward.

    Each process runs its own forward and backward on its share of the data (use
    ``DistributedSampler``); gradients are averaged during backward in buckets of
    ``bucket_cap_mb`` MiB. ``no_sync()`` skips the averaging (gradient accumulation).
    ``find_unused_parameters=True`` lets forward leave some parameters out of the graph.
    ``state_dict()`` keys carry the ``module.`` prefix; ``ddp.module.state_dict()`` has the
    wrapped model's own keys. ``device_ids``/``output_device``/``dim``/``check_reduction``/
    ``static_graph`` are accepted for compatibility: the module runs where its parameters are.
    """

    def __init__(
        self,
        module: Module,
        device_ids=None,
        output_device=None,
        dim: int = 0,
        broadcast_buffers: bool = True,
        init_sync: bool = True,
        process_group=None,
        bucket_cap_mb: float | None = None,
        find_unused_parameters: bool = False,
        check_reduction: bool = False,
        gradient_as_bucket_view: bool = False,
        static_graph: bool = False,
    ) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(
                f"DistributedDataParallel expects a Module, got {type(module).__name__}"
            )
        if device_ids is not None and len(device_ids) > 1:
            raise ValueError("device_ids can only be None or contain a single element.")
        pg = _resolve(process_group)
        if pg is None:
            raise ValueError("DistributedDataParallel: this process is not a member of the group")
        self.module = module
        self.process_group = process_group if process_group is not None else dist.group.WORLD
        self.device_ids = device_ids
        self.output_device = output_device
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        self._pg = pg
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError(
                "DistributedDataParallel is not needed when a module doesn't have any "
                "parameter that requires a gradient."
            )
        self._check_same_model(module)
        if init_sync and pg.size() > 1:
            _broadcast_coalesced(pg, [*module.parameters(), *module.buffers()], 0)
        self._reducer = _Reducer(
            params,
            pg,
            max(self.bucket_bytes_cap, 1),
            find_unused_parameters,
            gradient_as_bucket_view,
        )

    def _check_same_model(self, module: Module) -> None:
        """Every rank must wrap the same architecture: compare names, shapes and dtypes."""
        mine = [(n, tuple(p.shape), str(p.dtype)) for n, p in module.named_parameters()]
        everyone = self._pg._comm.allgather(mine)
        for r, theirs in enumerate(everyone):
            if theirs == mine:
                continue
            if len(theirs) != len(mine):
                raise RuntimeError(
                    f"DDP expects same model across all ranks, but Rank {self._pg.rank()} has "
                    f"{len(mine)} params, while rank {r} has inconsistent {len(theirs)} params."
                )
            for a, b in zip(mine, theirs):
                if a != b:
                    raise RuntimeError(
                        f"DDP expects same model across all ranks: parameter {a[0]} is "
                        f"{list(a[1])} {a[2]} on rank {self._pg.rank()} but {b[0]} is "
                        f"{list(b[1])} {b[2]} on rank {r}."
                    )

    def forward(self, *inputs, **kwargs):
        reducer = self._reducer
        if reducer.in_progress:
            raise RuntimeError(
                _UNFINISHED_FIND_UNUSED if self.find_unused_parameters else _UNFINISHED
            )
        if self.require_forward_param_sync and self.broadcast_buffers and self._pg.size() > 1:
            buffers = list(self.module.buffers())
            if buffers:
                _broadcast_coalesced(self._pg, buffers, 0)
        sync = is_grad_enabled() and self.require_backward_grad_sync
        if sync:
            reducer.rebuild_if_due()
        else:
            reducer.disarm()
        output = self.module(*inputs, **kwargs)
        self.require_forward_param_sync = sync
        if sync:
            reducer.arm(output)
        return output

    @contextmanager
    def no_sync(self):
        """Gradients of forward/backward passes run inside accumulate locally, unaveraged;
        the first synchronised backward after it averages the accumulated sum."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old
