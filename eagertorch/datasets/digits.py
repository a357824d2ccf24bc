"""scikit-learn's bundled 8x8 handwritten digits (1797 images, 10 classes): a small real
dataset usable offline, with a deterministic train/test split."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._tensor import _make
from .vision import VisionDataset

__all__ = ["Digits"]


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
        try:
            from sklearn.datasets import load_digits
        except ImportError as e:
            raise ImportError(
                "Digits needs scikit-learn, which ships the data: run `pip install scikit-learn`"
            ) from e
        bunch = load_digits()
        images = np.asarray(bunch.images, dtype=np.float32) / np.float32(16)
        labels = np.asarray(bunch.target, dtype=np.int64)
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
