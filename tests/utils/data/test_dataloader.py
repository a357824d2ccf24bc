"""The DataLoader in-process: batching, shuffling, len, validation, the TensorDataset fast path."""

from __future__ import annotations

import numpy as np
import pytest

import eagertorch as et
from eagertorch.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


class Range(Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return {"i": i, "x": float(i)}

    def __len__(self):
        return self.n


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def _tds(n=23):
    return TensorDataset(et.arange(n * 2).reshape(n, 2).float(), et.arange(n))


def _labels(loader):
    return [y.tolist() for _, y in loader]


def _flat_labels(loader):
    return [i for _, y in loader for i in y.tolist()]


def _seeded(seed):
    return et.Generator().manual_seed(seed)


def _per_sample(samples):  # not default_collate itself: forces the per-sample path
    return default_collate(samples)


def test_sequential_batches_shapes_dtypes_and_len():
    loader = DataLoader(_tds(), batch_size=5)
    batches = list(loader)
    assert len(loader) == 5 == len(batches)
    x, y = batches[0]
    assert tuple(x.shape) == (5, 2) and x.dtype == et.float32 and y.dtype == et.int64
    assert y.tolist() == [0, 1, 2, 3, 4]
    assert tuple(batches[-1][0].shape) == (3, 2)


def test_drop_last_drops_the_short_batch():
    loader = DataLoader(_tds(), batch_size=5, drop_last=True)
    assert len(loader) == 4
    assert [len(y) for y in _labels(loader)] == [5, 5, 5, 5]


def test_every_index_once_per_shuffled_epoch_and_order_changes():
    loader = DataLoader(_tds(50), batch_size=8, shuffle=True)
    first, second = _flat_labels(loader), _flat_labels(loader)
    assert sorted(first) == list(range(50)) == sorted(second)
    assert first != second


def test_seeded_generator_reproduces_the_order():
    a = _labels(DataLoader(_tds(), batch_size=4, shuffle=True, generator=_seeded(7)))
    b = _labels(DataLoader(_tds(), batch_size=4, shuffle=True, generator=_seeded(7)))
    assert a == b


def _assert_same_batches(fast, slow):
    assert len(fast) == len(slow)
    for f, s in zip(fast, slow):
        assert type(f) is type(s) is list and len(f) == len(s)
        for a, b in zip(f, s):
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"batch_size": 7, "shuffle": True},
        {"batch_size": 7, "drop_last": True},
        {"batch_size": 4, "sampler": [5, 0, 29, 3, 3, -1]},
        {"batch_size": 5, "sampler": RandomSampler(range(30), replacement=True, num_samples=12)},
    ],
)
def test_fast_path_gives_the_batches_of_per_sample_collation(kwargs):
    ds = TensorDataset(
        et.randn(30, 2, 3), et.arange(30), et.tensor(np.arange(30.0)), et.rand(30) > 0.5
    )
    et.manual_seed(0)  # the replacement sampler draws from the default generator
    fast = list(DataLoader(ds, generator=_seeded(1), **kwargs))
    et.manual_seed(0)
    slow = list(DataLoader(ds, generator=_seeded(1), collate_fn=_per_sample, **kwargs))
    _assert_same_batches(fast, slow)


def test_fast_path_applies_only_where_it_gives_the_same_batches():
    from eagertorch.utils.data._worker import fancy_index_gather

    class Doubled(TensorDataset):
        def __getitem__(self, i):
            return tuple(2 * t[i] for t in self.tensors)

    ds = _tds(6)
    assert fancy_index_gather(ds, default_collate) is not None
    assert fancy_index_gather(Subset(Subset(ds, [5, 4, 3]), [2, 0]), default_collate) is not None
    assert fancy_index_gather(ds, _per_sample) is None
    assert fancy_index_gather(Doubled(*ds.tensors), default_collate) is None
    assert fancy_index_gather(Subset(ds, [0.0, 1.0]), default_collate) is None
    assert fancy_index_gather(Subset(Range(3), [0]), default_collate) is None
    gather = fancy_index_gather(Subset(Subset(ds, [5, 4, 3]), [2, 0]), default_collate)
    assert gather([0, 1])[1].tolist() == [3, 5]


def test_fast_path_through_random_split_subsets():
    ds = TensorDataset(et.randn(25, 3), et.arange(25))
    train, _ = random_split(ds, [0.8, 0.2], generator=_seeded(2))
    (inner,) = random_split(train, [1.0], generator=_seeded(3))  # a Subset of a Subset
    for sub in (train, inner):
        fast = list(DataLoader(sub, batch_size=6, shuffle=True, generator=_seeded(4)))
        slow = list(
            DataLoader(
                sub, batch_size=6, shuffle=True, generator=_seeded(4), collate_fn=_per_sample
            )
        )
        _assert_same_batches(fast, slow)
        assert sorted(i for _, y in fast for i in y.tolist()) == sorted(train.indices)


def test_dict_samples_collate_per_key_with_float64_for_python_floats():
    (batch,) = list(DataLoader(Range(3), batch_size=3))
    assert batch["i"].tolist() == [0, 1, 2] and batch["x"].dtype == et.float64


def test_batch_size_none_converts_single_samples():
    out = list(DataLoader(Range(2), batch_size=None))
    assert out == [{"i": 0, "x": 0.0}, {"i": 1, "x": 1.0}]


def test_custom_batch_sampler_and_sampler():
    bs = BatchSampler(SequentialSampler(range(6)), 4, False)
    loader = DataLoader(_tds(6), batch_sampler=bs)
    assert _labels(loader) == [[0, 1, 2, 3], [4, 5]] and len(loader) == 2
    loader = DataLoader(_tds(6), batch_size=2, sampler=[5, 4, 3, 2, 1, 0])
    assert _labels(loader) == [[5, 4], [3, 2], [1, 0]]


def test_iterable_dataset_batches_and_len():
    loader = DataLoader(Stream(7), batch_size=3)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(loader) == 3
    assert len(DataLoader(Stream(7), batch_size=3, drop_last=True)) == 2
    assert [b.tolist() for b in DataLoader(Stream(7), batch_size=3, drop_last=True)] == [
        [0, 1, 2],
        [3, 4, 5],
    ]


def test_loader_is_reiterable_and_getitems_is_used():
    class Batched(Range):
        calls = 0

        def __getitems__(self, idx):
            Batched.calls += 1
            return [self[i] for i in idx]

    loader = DataLoader(Batched(4), batch_size=2)
    assert len(list(loader)) == 2 and len(list(loader)) == 2
    assert Batched.calls == 4


@pytest.mark.parametrize(
    ("kwargs", "exc", "msg"),
    [
        ({"num_workers": -1}, ValueError, "num_workers option should be non-negative"),
        ({"timeout": -1}, ValueError, "timeout option should be non-negative"),
        ({"prefetch_factor": 2}, ValueError, "prefetch_factor option could only be specified"),
        ({"persistent_workers": True}, ValueError, "persistent_workers option needs num_workers"),
        (
            {"prefetch_factor": 0, "num_workers": 1},
            ValueError,
            "prefetch_factor option should be a positive integer",
        ),
        ({"sampler": [0], "shuffle": True}, ValueError, "sampler option is mutually exclusive"),
        (
            {"batch_sampler": [[0]], "batch_size": 2},
            ValueError,
            "batch_sampler option is mutually exclusive with batch_size",
        ),
        ({"batch_size": None, "drop_last": True}, ValueError, "batch_size=None option disables"),
        ({"multiprocessing_context": "fork"}, ValueError, "can only be used with multi-process"),
        (
            {"multiprocessing_context": "nope", "num_workers": 1},
            ValueError,
            "should specify a valid start method",
        ),
        (
            {"multiprocessing_context": 3, "num_workers": 1},
            TypeError,
            "should be a valid context object",
        ),
    ],
)
def test_argument_validation(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        DataLoader(_tds(), **kwargs)


def test_iterable_dataset_rejects_shuffle_and_samplers():
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Stream(3), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        DataLoader(Stream(3), sampler=[0])


def test_attributes_are_frozen_after_init():
    loader = DataLoader(_tds())
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader"):
        loader.batch_size = 3
    loader.num_workers = 0  # not frozen, as in PyTorch


def test_pin_memory_is_accepted_and_batches_move_with_to():
    batches = list(DataLoader(_tds(4), batch_size=2, pin_memory=True))
    assert len(batches) == 2
    x, y = batches[1]
    x, y = x.to("cpu"), y.to(et.device("cpu"))
    assert x.device == et.device("cpu") and y.tolist() == [2, 3]


def test_tqdm_shows_a_full_bar_from_len_loader():
    tqdm = pytest.importorskip("tqdm").tqdm
    import io

    out = io.StringIO()
    loader = DataLoader(_tds(23), batch_size=5)
    bar = tqdm(loader, file=out, mininterval=0, ascii=True)
    assert bar.total == len(loader) == 5
    assert len(list(bar)) == 5
    bar.close()
    assert "5/5" in out.getvalue() and "100%" in out.getvalue()
