"""DataLoader with worker processes: same batches as in-process, seeding, worker info,
errors with the worker's traceback, and no child process left behind.

Workers use the platform's default start method (``fork`` on Linux up to Python 3.13), as
PyTorch does; one test runs them under ``forkserver``, which needs picklable datasets, so
every dataset here is defined at module level.
"""

from __future__ import annotations

import multiprocessing
import random

import numpy as np
import pytest

import eagertorch as et
from eagertorch.utils.data import (
    DataLoader,
    Dataset,
    IterableDataset,
    TensorDataset,
    get_worker_info,
)


class InfoDataset(Dataset):
    """Samples record which worker made them and the worker's random state."""

    def __getitem__(self, i):
        info = get_worker_info()
        return {
            "i": i,
            "worker": -1 if info is None else info.id,
            "num_workers": 0 if info is None else info.num_workers,
            "seed": -1 if info is None else info.seed,
            "et_seed": et.initial_seed(),
            "py_rand": random.random(),
            "np_rand": float(np.random.rand()),
        }

    def __len__(self):
        return 12


class Failing(Dataset):
    def __getitem__(self, i):
        if i == 5:
            raise ValueError("sample 5 is broken")
        return i

    def __len__(self):
        return 10


class EndsEarly(Dataset):
    """A map-style dataset whose __getitem__ raises StopIteration at index 5."""

    def __getitem__(self, i):
        if i == 5:
            raise StopIteration
        return i

    def __len__(self):
        return 10


class Sharded(IterableDataset):
    """Splits range(n) between workers with get_worker_info()."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


class ProbeWorkerInfo(Dataset):
    def __getitem__(self, i):
        try:
            get_worker_info().id = 5
        except RuntimeError as e:
            return str(e)
        return "assigned"

    def __len__(self):
        return 1


def seed_numpy_by_worker_id(worker_id):
    np.random.seed(100 + worker_id)


def failing_init(worker_id):
    raise KeyError("bad init")


@pytest.fixture(autouse=True)
def _no_orphans():
    yield
    assert multiprocessing.active_children() == []


def _tds(n=40):
    return TensorDataset(et.arange(n * 3).reshape(n, 3).float(), et.arange(n))


def _batches(loader):
    return [(x.tolist(), y.tolist()) for x, y in loader]


def _flat_labels(loader):
    return [i for _, y in loader for i in y.tolist()]


@pytest.mark.parametrize("dataset", [_tds(), InfoDataset()], ids=["fast-path", "per-sample"])
def test_workers_give_the_same_batches_as_in_process(dataset):
    def run(workers):
        loader = DataLoader(
            dataset,
            batch_size=5,
            shuffle=True,
            num_workers=workers,
            generator=et.Generator().manual_seed(4),
        )
        return [b if isinstance(b, list) else b["i"] for b in loader]

    with_workers, in_process = run(2), run(0)
    assert len(with_workers) == len(in_process)
    for a, b in zip(with_workers, in_process):
        for u, v in zip(a if isinstance(a, list) else [a], b if isinstance(b, list) else [b]):
            assert u.dtype == v.dtype and u.tolist() == v.tolist()


def test_forkserver_workers_give_the_same_batches():
    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("no forkserver start method on this platform")
    loader = DataLoader(_tds(12), batch_size=5, num_workers=2, multiprocessing_context="forkserver")
    assert _batches(loader) == _batches(DataLoader(_tds(12), batch_size=5))


def test_worker_order_is_preserved_with_per_sample_datasets():
    loader = DataLoader(InfoDataset(), batch_size=3, num_workers=2)
    batches = list(loader)
    assert [b["i"].tolist() for b in batches] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]]
    # round-robin: batch k made by worker k % 2
    assert [b["worker"].tolist() for b in batches] == [[0] * 3, [1] * 3, [0] * 3, [1] * 3]
    assert all(b["num_workers"].tolist() == [2] * 3 for b in batches)


def test_workers_are_seeded_differently_and_reproducibly():
    def draws(seed):
        loader = DataLoader(
            InfoDataset(), batch_size=6, num_workers=2, generator=et.Generator().manual_seed(seed)
        )
        return [b["np_rand"].tolist() for b in loader]

    a, b = draws(1), draws(1)
    assert a == b
    assert a[0] != a[1]  # the two workers' numpy streams differ
    assert draws(2) != a


def test_worker_seed_is_base_seed_plus_id_and_seeds_eagertorch():
    loader = DataLoader(InfoDataset(), batch_size=6, num_workers=2)
    b0, b1 = list(loader)
    s0, s1 = b0["seed"].tolist()[0], b1["seed"].tolist()[0]
    assert s1 == s0 + 1
    assert b0["et_seed"].tolist()[0] == s0 and b1["et_seed"].tolist()[0] == s1
    assert b0["py_rand"].tolist()[0] == random.Random(s0).random()


def test_worker_info_is_read_only():
    (msg,) = DataLoader(ProbeWorkerInfo(), batch_size=None, num_workers=1)
    assert msg == "Cannot assign attributes to WorkerInfo objects"


def test_worker_init_fn_runs_in_each_worker():
    loader = DataLoader(
        InfoDataset(), batch_size=6, num_workers=2, worker_init_fn=seed_numpy_by_worker_id
    )
    got = [b["np_rand"].tolist()[0] for b in loader]
    assert got == [np.random.RandomState(100).rand(), np.random.RandomState(101).rand()]


def test_get_worker_info_is_none_in_main_process():
    assert get_worker_info() is None


def test_iterable_dataset_sharded_between_workers():
    loader = DataLoader(Sharded(10), batch_size=2, num_workers=2)
    assert sorted(i for b in loader for i in b.tolist()) == list(range(10))


def test_worker_exception_surfaces_with_its_traceback():
    loader = DataLoader(Failing(), batch_size=2, num_workers=2)
    with pytest.raises(ValueError) as info:
        list(loader)
    msg = str(info.value)
    assert "Caught ValueError in DataLoader worker process" in msg
    assert "sample 5 is broken" in msg and "Traceback" in msg and "__getitem__" in msg
    assert multiprocessing.active_children() == []  # stopped at once, not at garbage collection


def test_worker_init_fn_exception_surfaces():
    with pytest.raises(KeyError, match="bad init"):
        list(DataLoader(_tds(), batch_size=2, num_workers=2, worker_init_fn=failing_init))


def test_stop_iteration_from_a_map_dataset_ends_the_epoch_as_in_process():
    def labels(workers):
        return [b.tolist() for b in DataLoader(EndsEarly(), batch_size=2, num_workers=workers)]

    assert labels(2) == labels(0) == [[0, 1], [2, 3]]


def test_abandoned_iterator_stops_its_workers_when_collected():
    it = iter(DataLoader(_tds(), batch_size=2, num_workers=2))
    assert len(multiprocessing.active_children()) == 2
    next(it)
    del it
    assert multiprocessing.active_children() == []


def test_break_out_of_the_loop_stops_the_workers():
    for i, _ in enumerate(DataLoader(_tds(), batch_size=2, num_workers=2)):
        if i == 1:
            break
    assert multiprocessing.active_children() == []


def test_exception_in_the_loop_body_stops_the_workers():
    with pytest.raises(ZeroDivisionError):
        for _ in DataLoader(_tds(), batch_size=2, num_workers=2):
            1 / 0
    assert multiprocessing.active_children() == []


def test_persistent_workers_serve_several_epochs():
    loader = DataLoader(
        _tds(20), batch_size=4, shuffle=True, num_workers=2, persistent_workers=True
    )
    first = _flat_labels(loader)
    it = loader._iterator
    pids = [w.pid for w in multiprocessing.active_children()]
    second = _flat_labels(loader)
    assert loader._iterator is it
    assert sorted(pids) == sorted(w.pid for w in multiprocessing.active_children())
    assert sorted(first) == sorted(second) == list(range(20))
    assert first != second
    for i, _ in enumerate(loader):  # an epoch left half-way, then a full one
        if i == 1:
            break
    assert sorted(_flat_labels(loader)) == list(range(20))
    del loader, it
    assert multiprocessing.active_children() == []


def test_worker_loader_len_and_reiteration():
    loader = DataLoader(_tds(10), batch_size=4, num_workers=2, prefetch_factor=1)
    assert len(loader) == 3
    assert _batches(loader) == _batches(loader)
