"""utils.data against torch.utils.data: collation (types, dtypes, shapes, values), batch order,
len(), and the structure of shuffled and split data (the random streams themselves differ)."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import eagertorch as et
import eagertorch.utils.data as etd

torch = pytest.importorskip("torch")
tud = torch.utils.data

Point = collections.namedtuple("Point", ["x", "y"])


def assert_same(ours, theirs, where="batch"):
    """Same nesting, container types, tensor dtypes, shapes and values."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, et.Tensor), f"{where}: {type(ours)} is not a Tensor"
        assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1], where
        assert tuple(ours.shape) == tuple(theirs.shape), where
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=where)
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs), where
        for k in theirs:
            assert_same(ours[k], theirs[k], f"{where}[{k!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{where}[{i}]")
    else:
        assert type(ours) is type(theirs) and ours == theirs, where


def _both(make):
    """make(lib) for eagertorch and torch: lib.tensor builds that library's tensors."""
    return make(et), make(torch)


SAMPLES = {
    "python ints": lambda lib: [1, 2, 3],
    "python floats": lambda lib: [1.5, 2.0],
    "python bools": lambda lib: [True, False],
    "int then float": lambda lib: [1, 2.5],
    "bool then int": lambda lib: [True, 2],
    "float then int": lambda lib: [2.5, 1],
    "numpy float32 scalars": lambda lib: [np.float32(1.5), np.float32(2)],
    "numpy int16 scalars": lambda lib: [np.int16(1), np.int16(-2)],
    "numpy float64 arrays": lambda lib: [np.arange(3.0), np.ones(3)],
    "numpy uint8 images": lambda lib: [np.full((2, 2, 3), k, np.uint8) for k in range(4)],
    "numpy 0-d arrays": lambda lib: [np.array(3, np.int32), np.array(4, np.int32)],
    "float32 tensors": lambda lib: [lib.ones(2, 3), lib.zeros(2, 3)],
    "int64 0-d tensors": lambda lib: [lib.tensor(3), lib.tensor(4)],
    "bool tensors": lambda lib: [lib.tensor([True, False]), lib.tensor([False, False])],
    "float64 tensors": lambda lib: [lib.tensor([1.0], dtype=lib.float64)] * 2,
    "strings": lambda lib: ["a", "bc"],
    "bytes": lambda lib: [b"a", b"b"],
    "tuples": lambda lib: [(1, 2.0, "x"), (3, 4.0, "y")],
    "lists": lambda lib: [[1, 2], [3, 4]],
    "dicts": lambda lib: [{"a": 1, "b": lib.ones(2)}, {"a": 2, "b": lib.zeros(2)}],
    "namedtuples": lambda lib: [Point(1, 2.0), Point(3, 4.0)],
    "nested": lambda lib: [
        {"img": (np.zeros((2, 2), np.float32), [1, 2]), "meta": {"id": "p", "w": 0.5}},
        {"img": (np.ones((2, 2), np.float32), [3, 4]), "meta": {"id": "q", "w": 1.5}},
    ],
}


@pytest.mark.parametrize("name", list(SAMPLES))
def test_default_collate_matches_torch(name):
    ours, theirs = _both(SAMPLES[name])
    assert_same(etd.default_collate(ours), tud.default_collate(theirs))


CONVERT = {
    "numpy array": lambda lib: np.arange(4, dtype=np.int16),
    "numpy scalar": lambda lib: np.float32(2.5),
    "python scalars stay": lambda lib: 3,
    "string stays": lambda lib: "s",
    "tuple becomes list": lambda lib: (np.zeros(2), "a", 1),
    "dict": lambda lib: {"a": np.ones(2, np.float32), "b": [np.int64(1)]},
    "namedtuple": lambda lib: Point(np.zeros(1), 2),
    "tensor stays": lambda lib: lib.ones(2),
    "string array stays": lambda lib: np.array(["a", "b"]),
}


@pytest.mark.parametrize("name", list(CONVERT))
def test_default_convert_matches_torch(name):
    ours, theirs = _both(CONVERT[name])
    got, want = etd.default_convert(ours), tud.default_convert(theirs)
    if isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray) and np.array_equal(got, want)
    else:
        assert_same(got, want)


@pytest.mark.parametrize(
    ("batch", "exc"),
    [
        ([[1, 2], [3]], RuntimeError),
        ([object(), object()], TypeError),
        ([np.array(["a"]), np.array(["b"])], TypeError),
    ],
)
def test_default_collate_errors_match_torch(batch, exc):
    with pytest.raises(exc) as theirs:
        tud.default_collate(batch)
    with pytest.raises(exc) as ours:
        etd.default_collate(batch)
    # torch's message names its own types (e.g. <class 'object'>); ours must say the same
    assert str(ours.value) == str(theirs.value)


class Items:
    """A map-style dataset of dict samples, written once for both libraries."""

    def __init__(self, lib, n=11):
        self.lib, self.n = lib, n

    def __getitem__(self, i):
        return {"i": i, "x": self.lib.full((2,), float(i)), "s": f"s{i}", "w": i / 2}

    def __len__(self):
        return self.n


def _make_dataset(lib, kind, n=11):
    base = lib.utils.data.Dataset
    if kind == "dict":
        return type("DictItems", (Items, base), {})(lib, n)
    x = lib.arange(n * 4, dtype=lib.float32).reshape(n, 2, 2)
    return lib.utils.data.TensorDataset(x, lib.arange(n))


@pytest.mark.parametrize("kind", ["dict", "tensors"])
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"batch_size": 4},
        {"batch_size": 4, "drop_last": True},
        {"batch_size": 3, "sampler": [10, 0, 5, 5, 2]},
        {"batch_size": None},
    ],
)
def test_batches_in_order_match_torch(kind, kwargs):
    ours = etd.DataLoader(_make_dataset(et, kind), **kwargs)
    theirs = tud.DataLoader(_make_dataset(torch, kind), **kwargs)
    assert len(ours) == len(theirs)
    got, want = list(ours), list(theirs)
    assert len(got) == len(want)
    for k, (a, b) in enumerate(zip(got, want)):
        assert_same(a, b, f"batch {k}")


def test_batch_sampler_loader_matches_torch():
    ours = etd.DataLoader(
        _make_dataset(et, "tensors"),
        batch_sampler=etd.BatchSampler(etd.SequentialSampler(range(11)), 5, False),
    )
    theirs = tud.DataLoader(
        _make_dataset(torch, "tensors"),
        batch_sampler=tud.BatchSampler(tud.SequentialSampler(range(11)), 5, False),
    )
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert_same(a, b)


class Stream:
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


@pytest.mark.parametrize(
    "kwargs", [{"batch_size": 3}, {"batch_size": 3, "drop_last": True}, {"batch_size": None}]
)
def test_iterable_dataset_batches_and_len_match_torch(kwargs):
    ours = etd.DataLoader(type("S", (Stream, etd.IterableDataset), {})(8), **kwargs)
    theirs = tud.DataLoader(type("S", (Stream, tud.IterableDataset), {})(8), **kwargs)
    assert len(ours) == len(theirs)
    for a, b in zip(list(ours), list(theirs), strict=True):
        assert_same(a, b)


@pytest.mark.parametrize("drop_last", [False, True])
def test_shuffled_epoch_has_torch_structure(drop_last):
    ours = etd.DataLoader(_make_dataset(et, "tensors", 23), 5, shuffle=True, drop_last=drop_last)
    theirs = tud.DataLoader(
        _make_dataset(torch, "tensors", 23), 5, shuffle=True, drop_last=drop_last
    )
    got, want = list(ours), list(theirs)
    assert len(ours) == len(theirs) == len(got) == len(want)
    assert [tuple(x.shape) for x, _ in got] == [tuple(x.shape) for x, _ in want]
    assert [str(y.dtype) for _, y in got] == ["eagertorch.int64"] * len(got)
    labels = [i for _, y in got for i in y.tolist()]
    assert len(set(labels)) == len(labels)  # every index at most once (exactly once without drop)
    if not drop_last:
        assert sorted(labels) == list(range(23))


@pytest.mark.parametrize(
    "lengths", [[3, 7], [0.5, 0.3, 0.2], [0.34, 0.33, 0.33], [1.0], [0.1, 0.9]]
)
def test_random_split_lengths_match_torch(lengths):
    n = 11 if isinstance(lengths[0], float) else 10
    ours = etd.random_split(range(n), lengths)
    theirs = tud.random_split(range(n), lengths)
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert sorted(i for s in ours for i in s.indices) == list(range(n))


def test_sampler_lengths_match_torch():
    data = range(7)
    for ours, theirs in [
        (etd.RandomSampler(data, num_samples=17), tud.RandomSampler(data, num_samples=17)),
        (
            etd.RandomSampler(data, replacement=True, num_samples=4),
            tud.RandomSampler(data, replacement=True, num_samples=4),
        ),
        (etd.SubsetRandomSampler([1, 3]), tud.SubsetRandomSampler([1, 3])),
        (etd.WeightedRandomSampler([1.0, 2.0], 5), tud.WeightedRandomSampler([1.0, 2.0], 5)),
        (
            etd.BatchSampler(etd.SequentialSampler(data), 3, True),
            tud.BatchSampler(tud.SequentialSampler(data), 3, True),
        ),
    ]:
        assert len(ours) == len(theirs) == len(list(ours)) == len(list(theirs))
    assert list(etd.BatchSampler(range(7), 3, False)) == list(tud.BatchSampler(range(7), 3, False))
