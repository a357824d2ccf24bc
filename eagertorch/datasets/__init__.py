"""Datasets and transforms, as ``torchvision.datasets`` / ``torchvision.transforms``:
``ImageFolder`` (Pillow), ``MNIST``/``FashionMNIST`` from local IDX files, and ``Digits``
(scikit-learn's bundled 8x8 digits, no download). Pillow and scikit-learn are imported
only when used."""

from . import transforms
from .digits import Digits
from .folder import IMG_EXTENSIONS, DatasetFolder, ImageFolder, default_loader, pil_loader
from .mnist import MNIST, FashionMNIST, read_idx
from .vision import VisionDataset

__all__ = [
    "IMG_EXTENSIONS",
    "MNIST",
    "DatasetFolder",
    "Digits",
    "FashionMNIST",
    "ImageFolder",
    "VisionDataset",
    "default_loader",
    "pil_loader",
    "read_idx",
    "transforms",
]
