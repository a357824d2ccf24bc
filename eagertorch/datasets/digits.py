"""scikit-learn's bundled 8x8 handwritten digits (1797 images, 10 classes): a small real
dataset usable offline, with a deterministic train/test split."""

from __future__ import annotations

import gzip
import importlib.util
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .._tensor import _make
from .vision import VisionDataset

__all__ = ["Digits"]


def _load() -> tuple:
    """``(images N x 8 x 8 in [0, 16], labels)`` from scikit-learn's bundled CSV, read without
    importing scikit-learn (over a second); through ``load_digits`` if the file has moved."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None:
        raise ImportError(
            "Digits needs scikit-learn, which ships the data: run `pip install scikit-learn`"
        )
    path = Path(spec.submodule_search_locations[0], "datasets", "data", "digits.csv.gz")
    if path.is_file():
        with gzip.open(path) as f:
            table = np.loadtxt(f, delimiter=",")
        return table[:, :-1].reshape(-1, 8, 8), table[:, -1]
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.images, bunch.target


class Digits(VisionDataset):
    """Items are ``(image, label)``: a ``1 x 8 x 8`` float32 tensor in ``[0, 1]`` and an int64
    scalar tensor. The split shuffles all 1797 samples with ``seed`` and keeps the last
    ``test_fraction`` of them for ``train=False``, so train and test never overlap.

    ``data`` is the ``N x 1 x 8 x 8`` float32 tensor, ``targets`` the int64 labels.
    """

    classes = [str(i) for i in range(10)]

    def __init__(
        self,
        train: bool = True,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        test_fraction: float = 0.2,
        seed: int = 0,
    ) -> None:
        if not 0.0 <= test_fraction <= 1.0:
            raise ValueError(f"test_fraction must be in [0, 1], got {test_fraction}")
        images, labels = _load()
        images = np.asarray(images, dtype=np.float32) / np.float32(16)
        labels = np.asarray(labels, dtype=np.int64)
        n = len(labels)
        order = np.random.default_rng(seed).permutation(n)
        n_test = round(n * test_fraction)
        idx = order[: n - n_test] if train else order[n - n_test :]
        super().__init__(None, transform, target_transform)
        self.train = bool(train)
        self.data = _make(np.ascontiguousarray(images[idx][:, None]))
        self.targets = _make(labels[idx])

    def __getitem__(self, index: int):
        img = _make(self.data._data[index].copy())  # an in-place transform must not edit data
        return self._transformed(img, _make(self.targets._data[index, ...]))

    def __len__(self) -> int:
        return self.data.shape[0]

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"
