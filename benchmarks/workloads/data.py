"""Data-loading workload: W7, a shuffled DataLoader epoch over an MNIST-sized TensorDataset.

One iteration = one full epoch: 60,000 samples of 28x28 float32 (plus int64 labels), batch
64, shuffle=True, i.e. 938 batches (divide by 938 for the time per batch). The numpy
baseline is the same batching by hand: a fresh permutation per epoch and one fancy index
per array per batch. The loss is the number of samples seen; the check compares
permutation-invariant sums over one epoch (per-pixel sums and label counts).
"""

from __future__ import annotations

import importlib

import numpy as np

from ..timing import Case, Target, Workload

N, QUICK_N, BATCH, CLASSES = 60_000, 600, 64, 10


def _data(quick: bool) -> dict:
    rng = np.random.default_rng(7)
    n = QUICK_N if quick else N
    return {
        "x": rng.standard_normal((n, 28, 28), dtype=np.float32),
        "y": rng.integers(0, CLASSES, size=n, dtype=np.int64),
    }


def _sums(batches) -> dict:
    xsum = np.zeros((28, 28), np.float64)
    counts = np.zeros(CLASSES, np.int64)
    for xb, yb in batches:
        xsum += np.asarray(xb, dtype=np.float64).sum(0)
        counts += np.bincount(np.asarray(yb), minlength=CLASSES)
    return {"pixel_sums": xsum, "label_counts": counts.astype(np.float64)}


def _numpy(np_, data) -> Case:
    x, y = data["x"], data["y"]
    rng = np_.random.default_rng(0)

    def batches():
        perm = rng.permutation(len(x))
        for i in range(0, len(x), BATCH):
            idx = perm[i : i + BATCH]
            yield x[idx], y[idx]

    def step():
        seen = 0
        for xb, _yb in batches():
            seen += xb.shape[0]
        return float(seen)

    return Case(step, lambda: _sums(batches()))


def _framework(T, data) -> Case:
    importlib.import_module(T.__name__ + ".utils.data")  # until the package imports it
    ds = T.utils.data.TensorDataset(T.tensor(data["x"]), T.tensor(data["y"]))
    loader = T.utils.data.DataLoader(ds, batch_size=BATCH, shuffle=True)

    def step():
        seen = 0
        for xb, _yb in loader:
            seen += xb.shape[0]
        return float(seen)

    def grads():
        return _sums((xb.numpy(), yb.numpy()) for xb, yb in loader)

    return Case(step, grads)


W7 = Workload(
    id="W7",
    title="DataLoader epoch: 60k x 28x28 float32 TensorDataset, batch 64, shuffle (938 batches)",
    unit="ms",
    make_data=_data,
    impls={"numpy": _numpy, "eagertorch": _framework, "torch": _framework},
    target=Target(1.5, "numpy"),
    repeat=7,
)

WORKLOADS = (W7,)
