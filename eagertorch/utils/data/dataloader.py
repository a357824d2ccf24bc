"""The DataLoader: batches from a dataset, in-process or from worker processes.

``DataLoader(dataset, batch_size=1, shuffle=False, ...)`` is iterable, re-iterable (a new
shuffle every epoch) and has ``len()`` (batches per epoch), so progress bars work::

    from tqdm import tqdm
    for x, y in tqdm(loader):      # tqdm reads len(loader) for its total
        x, y = x.to(device), y.to(device)
        ...

With ``num_workers > 0`` batches are made by worker processes started with the platform's
default method, as in PyTorch (``fork`` on Linux up to Python 3.13; pass
``multiprocessing_context`` to choose), each with its own index queue; results are put back
in sampler order. Workers are seeded with ``base_seed + worker_id`` (``base_seed`` drawn
from the loader's ``generator``), so a seeded loader gives the same batches with or without
workers. An exception in a worker is re-raised in the main process with the worker's
traceback in its message, and the workers are stopped. Workers also stop when the epoch
ends (unless ``persistent_workers``), or when the iterator is garbage-collected (``break``,
an exception in the loop body); stragglers are terminated. ``pin_memory`` is accepted and
does nothing: batches are in ordinary CPU memory, and ``.to(device)`` moves them.

For a ``TensorDataset`` (or a ``Subset`` of one) with the default collate, a batch is one
numpy fancy index per tensor instead of per-sample indexing and stacking: same batches.
"""

from __future__ import annotations

import contextlib
import itertools
import queue

from ..._backend.random import numpy_generator
from . import _worker
from ._collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader"]

_STATUS_CHECK_INTERVAL = 5.0
_SHUTDOWN_JOIN_TIMEOUT = 5.0


def _check_context(ctx, num_workers: int):
    """``multiprocessing_context`` as a context object (None: the platform's default)."""
    if ctx is None:
        return None
    import multiprocessing  # only for worker processes: keeps `import eagertorch` quick

    if num_workers == 0:
        raise ValueError(
            "multiprocessing_context can only be used with multi-process loading "
            f"(num_workers > 0), but got num_workers={num_workers}"
        )
    if isinstance(ctx, str):
        methods = multiprocessing.get_all_start_methods()
        if ctx not in methods:
            raise ValueError(
                f"multiprocessing_context option should specify a valid start method in "
                f"{methods!r}, but got multiprocessing_context={ctx!r}"
            )
        return multiprocessing.get_context(ctx)
    if not isinstance(ctx, multiprocessing.context.BaseContext):
        raise TypeError(
            "multiprocessing_context option should be a valid context object or a string "
            f"specifying the start method, but got multiprocessing_context={ctx}"
        )
    return ctx


class _InfiniteConstantSampler(Sampler):
    """For IterableDataset: yields None forever (workers just take the next items)."""

    def __iter__(self):
        while True:
            yield None


class DataLoader:
    """Iterate over ``dataset`` in batches, like ``torch.utils.data.DataLoader``."""

    __initialized = False

    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler=None,
        batch_sampler=None,
        num_workers: int = 0,
        collate_fn=None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn=None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        if num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; "
                "use num_workers=0 to disable multiprocessing."
            )
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing."
                "let num_workers > 0 to enable multiprocessing, otherwise set "
                "prefetch_factor to None."
            )
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and prefetch_factor < 1:
            # PyTorch accepts 0 and then fails an assertion on the first batch
            raise ValueError(
                f"prefetch_factor option should be a positive integer (batches each worker "
                f"loads ahead), but got prefetch_factor={prefetch_factor}"
            )
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory  # accepted; a no-op on CPU
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = _check_context(multiprocessing_context, num_workers)
        self.in_order = in_order

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = "iterable"
            if shuffle not in (False, None):
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                    f"but got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified sampler option, "
                    f"but got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified batch_sampler "
                    f"option, but got batch_sampler={batch_sampler}"
                )
        else:
            shuffle = bool(shuffle)
            self._dataset_kind = "map"

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive "
                "with drop_last"
            )

        if sampler is None:
            if self._dataset_kind == "iterable":
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._iterator = None
        self.__initialized = True

    def __setattr__(self, attr, val) -> None:
        if self.__initialized and attr in (
            "batch_size",
            "batch_sampler",
            "sampler",
            "drop_last",
            "dataset",
            "persistent_workers",
        ):
            raise ValueError(
                f"{attr} attribute should not be set after {self.__class__.__name__} is initialized"
            )
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _get_iterator(self):
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        return _MultiProcessingDataLoaderIter(self)

    def __iter__(self):
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None or self._iterator._shutdown:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    def __len__(self) -> int:
        if self._dataset_kind == "iterable":
            length = len(self.dataset)
            if self.batch_size is not None:
                if self.drop_last:
                    return length // self.batch_size
                return -(-length // self.batch_size)
            return length
        return len(self._index_sampler)


class _BaseDataLoaderIter:
    def __init__(self, loader: DataLoader) -> None:
        self._dataset = loader.dataset
        self._dataset_kind = loader._dataset_kind
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._collate_fn = loader.collate_fn
        self._timeout = loader.timeout
        self._reset(loader, first_iter=True)

    def _reset(self, loader, first_iter: bool = False) -> None:
        self._base_seed = int(numpy_generator(loader.generator).integers(0, 1 << 63))
        self._sampler_iter = self._make_sampler_iter()

    def _make_sampler_iter(self):
        """Batches of indices: int64 arrays rather than lists when the fetcher fancy-indexes
        (``self._fancy_indexed``, set by the subclass before this base ``__init__``)."""
        if self._fancy_indexed and isinstance(self._index_sampler, BatchSampler):
            batches = self._index_sampler._index_batches()
            if batches is not None:
                return batches
        return iter(self._index_sampler)

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return len(self._index_sampler)


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader: DataLoader) -> None:
        fetcher = _worker.make_fetcher(
            loader._dataset_kind,
            loader.dataset,
            loader._auto_collation,
            loader.collate_fn,
            loader.drop_last,
        )
        self._fetch = fetcher.fetch
        self._fancy_indexed = getattr(fetcher, "gather", None) is not None
        super().__init__(loader)

    def __next__(self):
        return self._fetch(next(self._sampler_iter))


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader: DataLoader) -> None:
        self._shutdown = True  # nothing to shut down if __init__ fails early
        self._num_workers = loader.num_workers
        self._prefetch_factor = loader.prefetch_factor
        self._persistent_workers = loader.persistent_workers
        if loader.multiprocessing_context is None:
            import multiprocessing  # only for worker processes: keeps `import eagertorch` quick

            ctx = multiprocessing.get_context()
        else:
            ctx = loader.multiprocessing_context
        self._ctx = ctx
        self._worker_init_fn = loader.worker_init_fn
        self._fancy_indexed = (
            loader._dataset_kind == "map"
            and loader._auto_collation
            and _worker.fancy_index_gather(loader.dataset, loader.collate_fn) is not None
        )
        self._workers = []
        self._index_queues = []
        self._worker_result_queue = ctx.Queue()
        self._workers_done_event = ctx.Event()
        self._shutdown = False
        super().__init__(loader)

    def _start_workers(self) -> None:
        ctx = self._ctx
        for i in range(self._num_workers):
            index_queue = ctx.Queue()
            index_queue.cancel_join_thread()
            w = ctx.Process(
                target=_worker._worker_loop,
                args=(
                    self._dataset_kind,
                    self._dataset,
                    index_queue,
                    self._worker_result_queue,
                    self._workers_done_event,
                    self._auto_collation,
                    self._collate_fn,
                    self._drop_last,
                    self._base_seed,
                    self._worker_init_fn,
                    i,
                    self._num_workers,
                ),
                daemon=True,
            )
            w.start()
            self._index_queues.append(index_queue)
            self._workers.append(w)

    def _reset(self, loader, first_iter: bool = False) -> None:
        super()._reset(loader, first_iter)
        self._send_idx = 0  # next task index to send
        self._rcvd_idx = 0  # next task index to yield
        self._task_info = {}  # task idx -> (worker id,) while pending, (worker id, data) when done
        self._tasks_outstanding = 0
        self._workers_status = [True] * self._num_workers
        self._worker_queue_idx_cycle = itertools.cycle(range(self._num_workers))
        if first_iter:
            self._start_workers()
        else:
            # Persistent workers: drop what is left of the last epoch, restart their iterators.
            resume = _worker._ResumeIteration()
            for q in self._index_queues:
                q.put(resume)
            pending = self._num_workers
            while pending:
                r = self._get_data()
                if isinstance(r[0], _worker._ResumeIteration):
                    pending -= 1
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _try_put_index(self) -> None:
        if self._tasks_outstanding >= self._prefetch_factor * self._num_workers:
            return
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_queue_idx_cycle)
            if self._workers_status[worker_id]:
                break
        else:
            return  # every worker has ended its iterable dataset
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _get_data(self):
        """The next (idx, data) from any worker; checks that workers are still alive."""
        if self._timeout > 0:
            try:
                return self._worker_result_queue.get(timeout=self._timeout)
            except queue.Empty:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds") from None
        while True:
            try:
                return self._worker_result_queue.get(timeout=_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                failed = [w for w in self._workers if not w.is_alive()]
                if failed:
                    pids = ", ".join(str(w.pid) for w in failed)
                    self._shutdown_workers()
                    raise RuntimeError(
                        f"DataLoader worker (pid(s) {pids}) exited unexpectedly"
                    ) from None

    def __next__(self):
        while True:
            # Skip tasks of workers whose iterable dataset has ended.
            while self._rcvd_idx < self._send_idx:
                info = self._task_info[self._rcvd_idx]
                if len(info) == 2 or self._workers_status[info[0]]:
                    break
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            info = self._task_info[self._rcvd_idx]
            if len(info) == 2:
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
                return self._process_data(info[1])
            if self._shutdown:
                raise StopIteration
            idx, data = self._get_data()
            self._tasks_outstanding -= 1
            if isinstance(idx, _worker._ResumeIteration):
                continue
            if isinstance(data, _worker._IterableDatasetStopIteration):
                wid = data.worker_id
                # The worker skips the tasks queued after this one: they will never come back.
                for k, info in self._task_info.items():
                    if k > idx and len(info) == 1 and info[0] == wid:
                        self._tasks_outstanding -= 1
                if self._persistent_workers:
                    self._workers_status[wid] = False
                else:
                    self._mark_worker_ended(wid)
                for _ in range(self._prefetch_factor * self._num_workers):
                    self._try_put_index()
                continue
            if idx == self._rcvd_idx:
                del self._task_info[idx]
                self._rcvd_idx += 1
                return self._process_data(data)
            if idx in self._task_info:
                self._task_info[idx] += (data,)

    def _process_data(self, data):
        self._try_put_index()
        if isinstance(data, _worker.ExceptionWrapper):
            self._shutdown_workers()
            data.reraise()
        return data

    def _mark_worker_ended(self, worker_id: int) -> None:
        self._workers_status[worker_id] = False
        self._index_queues[worker_id].put(None)

    def _shutdown_workers(self) -> None:
        if self._shutdown:
            return
        self._shutdown = True
        try:
            self._workers_done_event.set()
            for q in self._index_queues:
                with contextlib.suppress(OSError, ValueError):
                    q.put(None)
            for w in self._workers:
                w.join(timeout=_SHUTDOWN_JOIN_TIMEOUT)
            for q in self._index_queues:
                q.cancel_join_thread()
                q.close()
        finally:
            for w in self._workers:
                if w.is_alive():
                    w.terminate()
                    w.join()
            self._worker_result_queue.cancel_join_thread()
            self._worker_result_queue.close()

    def __del__(self) -> None:
        if not getattr(self, "_shutdown", True):
            self._shutdown_workers()
