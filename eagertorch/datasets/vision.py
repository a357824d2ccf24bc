"""``VisionDataset``: the base of the image datasets, as ``torchvision.datasets.VisionDataset``:
it holds ``root``, ``transform`` and ``target_transform``, applies the transforms to a sample,
and gives torchvision's repr."""

from __future__ import annotations

import os
from collections.abc import Callable

from ..utils.data import Dataset

__all__ = ["VisionDataset"]


class VisionDataset(Dataset):
    """Subclasses define ``__getitem__``/``__len__`` and may add lines with ``extra_repr``."""

    def __init__(
        self,
        root=None,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
    ) -> None:
        self.root = None if root is None else os.path.expanduser(os.fspath(root))
        self.transform = transform
        self.target_transform = target_transform

    def _transformed(self, sample, target) -> tuple:
        """``(transform(sample), target_transform(target))``, each where given."""
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        body = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        for name, t in (("Transform", self.transform), ("Target transform", self.target_transform)):
            if t is not None:
                body.append(f"{name}: {t!r}".replace("\n", "\n    "))
        return "\n".join([f"Dataset {self.__class__.__name__}"] + ["    " + line for line in body])
