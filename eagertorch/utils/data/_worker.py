"""The worker-process side of a multi-process DataLoader.

Each worker runs ``_worker_loop``: it seeds ``random``, numpy and eagertorch's default
generator with ``base_seed + worker_id``, calls ``worker_init_fn``, then takes
``(task_idx, indices)`` from its own index queue and puts ``(task_idx, batch)`` on the
shared result queue. An exception is sent back as an ``ExceptionWrapper`` carrying the
worker's traceback text; the main process re-raises it. ``None`` on the index queue (or
the parent going away) ends the loop.
"""

from __future__ import annotations

import os
import pickle
import queue
import random
import sys
import traceback

import numpy as np

from ..._backend.random import default_generator
from ..._tensor import _make
from ._collate import default_collate
from .dataset import Subset, TensorDataset

__all__ = ["WorkerInfo", "get_worker_info"]

_STATUS_CHECK_INTERVAL = 5.0  # seconds between checks that the parent is still alive

_worker_info = None


class WorkerInfo:
    """What a worker process knows about itself: ``id``, ``num_workers``, ``seed``, ``dataset``."""

    __initialized = False

    def __init__(self, **kwargs) -> None:
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.__keys = tuple(kwargs)
        self.__initialized = True

    def __setattr__(self, key, val) -> None:
        if self.__initialized:
            raise RuntimeError(f"Cannot assign attributes to {self.__class__.__name__} objects")
        super().__setattr__(key, val)

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={getattr(self, k)}" for k in self.__keys)
        return f"{self.__class__.__name__}({items})"


def get_worker_info() -> WorkerInfo | None:
    """In a DataLoader worker process, its ``WorkerInfo``; ``None`` in the main process."""
    return _worker_info


class ExceptionWrapper:
    """An exception caught in a worker, with its traceback as text (tracebacks don't pickle)."""

    def __init__(self, exc_info, where: str) -> None:
        self.exc_type = exc_info[0]
        try:  # a class local to a function can't travel to the main process
            pickle.dumps(self.exc_type)
        except Exception:
            self.exc_type = RuntimeError
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exception


class KeyErrorMessage(str):
    """A str whose repr is itself, so KeyError shows the traceback text readably."""

    def __repr__(self) -> str:
        return self


class _IterableDatasetStopIteration:
    """Sent back by a worker whose copy of an IterableDataset is exhausted."""

    __slots__ = ("worker_id",)

    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id


class _ResumeIteration:
    """Sent to persistent workers at the start of a new epoch, and echoed back by them."""

    __slots__ = ()


class _FancyIndexGather:
    """Batches of a ``TensorDataset`` as one numpy fancy index per tensor (see
    ``fancy_index_gather``); ``base`` maps through the indices of enclosing ``Subset``s."""

    __slots__ = ("base", "tensors")

    def __init__(self, tensors, base) -> None:
        self.tensors = tensors
        self.base = base

    def __call__(self, index) -> list:
        if type(index) is not np.ndarray:
            index = np.asarray(index, dtype=np.int64)
        if self.base is not None:
            index = self.base[index]
        return [_make(t._data[index]) for t in self.tensors]


def fancy_index_gather(dataset, collate_fn) -> _FancyIndexGather | None:
    """A gather giving exactly ``default_collate([dataset[i] for i in index])``, or None.

    It applies to the default collate over a plain ``TensorDataset`` of numpy-backed tensors,
    possibly inside plain ``Subset``s (as ``random_split`` makes) with integer indices.
    """
    if collate_fn is not default_collate:
        return None
    base = None
    while type(dataset) is Subset:
        idx = np.asarray(dataset.indices)
        if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
            return None
        idx = idx.astype(np.int64, copy=False)
        try:
            base = idx if base is None else idx[base]
        except IndexError:  # an out-of-range index: let the per-sample path report it
            return None
        dataset = dataset.dataset
    cls = type(dataset)
    if (
        isinstance(dataset, TensorDataset)
        and cls.__getitem__ is TensorDataset.__getitem__
        and not hasattr(cls, "__getitems__")
        and all(type(t._data) is np.ndarray for t in dataset.tensors)
    ):
        return _FancyIndexGather(dataset.tensors, base)
    return None


class _MapFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.gather = fancy_index_gather(dataset, collate_fn) if auto_collation else None
        getitems = getattr(dataset, "__getitems__", None)
        self.getitems = getitems if callable(getitems) else None

    def fetch(self, index):
        if self.gather is not None:
            return self.gather(index)
        if self.auto_collation:
            if self.getitems is not None:
                data = self.getitems(index)
            else:
                dataset = self.dataset
                data = [dataset[i] for i in index]
        else:
            data = self.dataset[index]
        return self.collate_fn(data)


class _IterableFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last) -> None:
        self.dataset_iter = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in index:
                try:
                    data.append(next(self.dataset_iter))
                except StopIteration:
                    self.ended = True
                    break
            if not data or (self.drop_last and len(data) < len(index)):
                raise StopIteration
        else:
            data = next(self.dataset_iter)
        return self.collate_fn(data)


def make_fetcher(kind, dataset, auto_collation, collate_fn, drop_last):
    cls = _IterableFetcher if kind == "iterable" else _MapFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)


def seed_worker(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (1 << 32))
    default_generator.manual_seed(seed)


def _worker_loop(
    kind,
    dataset,
    index_queue,
    data_queue,
    done_event,
    auto_collation,
    collate_fn,
    drop_last,
    base_seed,
    init_fn,
    worker_id,
    num_workers,
) -> None:
    global _worker_info
    try:
        seed = base_seed + worker_id
        seed_worker(seed)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        init_exception = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = make_fetcher(kind, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_exception = ExceptionWrapper(
                sys.exc_info(), f"in DataLoader worker process {worker_id}"
            )
        iteration_end = False
        parent = os.getppid()
        while True:
            try:
                r = index_queue.get(timeout=_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if os.getppid() != parent or done_event.is_set():
                    break
                continue
            if r is None:
                break
            if isinstance(r, _ResumeIteration):
                data_queue.put((r, None))
                iteration_end = False
                if kind == "iterable" and init_exception is None:
                    fetcher = make_fetcher(kind, dataset, auto_collation, collate_fn, drop_last)
                continue
            if done_event.is_set() or iteration_end:
                continue
            idx, index = r
            if init_exception is not None:
                data, init_exception = init_exception, None
            else:
                try:
                    data = fetcher.fetch(index)
                except Exception as e:
                    if isinstance(e, StopIteration) and kind == "iterable":
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                    else:
                        data = ExceptionWrapper(
                            sys.exc_info(), f"in DataLoader worker process {worker_id}"
                        )
            data_queue.put((idx, data))
            del data, idx, index, r
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        data_queue.cancel_join_thread()
        data_queue.close()
