"""MNIST and Fashion-MNIST from local IDX files (torchvision's layout), and ``read_idx``.

No network access: the files must already be on disk, raw or gzipped, either directly in
``root`` or in ``root/<ClassName>/raw`` as torchvision downloads them.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable

import numpy as np

from .._tensor import Tensor, _make
from .vision import VisionDataset

__all__ = ["MNIST", "FashionMNIST", "read_idx"]

# IDX type code -> big-endian numpy dtype
_IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def _read_bytes(path) -> bytes:
    path = os.fspath(path)
    with open(path, "rb") as f:
        head = f.read(2)
    opener = gzip.open if head == b"\x1f\x8b" else open
    try:
        with opener(path, "rb") as f:
            return f.read()
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise RuntimeError(f"Corrupt IDX file {path!r}: cannot decompress it ({e})") from e


def read_idx(path) -> Tensor:
    """Parse an IDX file (raw or gzipped) into a tensor of its dtype and dims.

    Header: two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the number of dims, then one big-endian uint32 per dim.
    """
    path = os.fspath(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise RuntimeError(
            f"Corrupt IDX file {path!r}: {len(data)} bytes is too short for the 4-byte magic"
        )
    if data[0] != 0 or data[1] != 0:
        raise RuntimeError(
            f"Corrupt IDX file {path!r}: magic number must start with two zero bytes, got "
            f"{data[:4].hex()}"
        )
    code, ndim = data[2], data[3]
    if code not in _IDX_TYPES:
        raise RuntimeError(f"Corrupt IDX file {path!r}: unknown data type code 0x{code:02x}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise RuntimeError(
            f"Corrupt IDX file {path!r}: truncated header ({len(data)} bytes, {ndim} dims "
            f"need {header})"
        )
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dt = _IDX_TYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dt.itemsize
    got = len(data) - header
    if got != expected:
        what = "truncated" if got < expected else "has trailing bytes"
        raise RuntimeError(
            f"Corrupt IDX file {path!r}: {what}: dims {list(dims)} of {dt.name} need "
            f"{expected} data bytes, found {got}"
        )
    arr = np.frombuffer(data, dtype=dt, count=expected // dt.itemsize, offset=header)
    return _make(arr.astype(dt.newbyteorder("="), copy=True).reshape(dims))


class MNIST(VisionDataset):
    """The MNIST handwritten digits from local IDX files: items are ``(image, target)`` with
    ``image`` a mode-``L`` PIL image when Pillow is installed (else an ``H x W`` uint8 ndarray;
    ``transforms.ToTensor()`` accepts both) and ``target`` an int.

    ``data`` is the ``N x 28 x 28`` uint8 tensor and ``targets`` the int64 labels.
    """

    files = {
        True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    }
    source = "https://ossci-datasets.s3.amazonaws.com/mnist/ (or http://yann.lecun.com/exdb/mnist/)"
    classes = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]

    def __init__(
        self,
        root,
        train: bool = True,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
    ) -> None:
        super().__init__(root, transform, target_transform)
        self.train = bool(train)
        images_path, labels_path = self._find_files(download)
        images = read_idx(images_path)
        labels = read_idx(labels_path)
        if images.dim() != 3 or images._data.dtype != np.uint8:
            raise RuntimeError(
                f"{images_path!r} should hold uint8 images of 3 dims, got {images.dtype} with "
                f"shape {list(images.shape)}"
            )
        if labels.dim() != 1:
            raise RuntimeError(
                f"{labels_path!r} should hold 1-dim labels, got shape {list(labels.shape)}"
            )
        if labels.shape[0] != images.shape[0]:
            raise RuntimeError(
                f"{images_path!r} holds {images.shape[0]} images but {labels_path!r} holds "
                f"{labels.shape[0]} labels"
            )
        self.data = images
        self.targets = _make(labels._data.astype(np.int64))

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.classes)}

    def _find_files(self, download: bool) -> tuple[str, str]:
        folders = [self.root, self.raw_folder]
        found, missing = [], []
        for name in self.files[self.train]:
            for folder in folders:
                path = next(
                    (
                        os.path.join(folder, n)
                        for n in (name, name + ".gz")
                        if os.path.isfile(os.path.join(folder, n))
                    ),
                    None,
                )
                if path is not None:
                    found.append(path)
                    break
            else:
                missing.append(name)
        if missing:
            why = (
                "download=True is not supported (eagertorch does not access the network). "
                if download
                else ""
            )
            raise RuntimeError(
                f"{self.__class__.__name__} dataset not found. {why}Missing file(s) "
                f"{', '.join(m + '[.gz]' for m in missing)}; looked in "
                f"{' and '.join(repr(f) for f in folders)}. Download them from "
                f"{self.source} and put them (raw or .gz) in one of those folders."
            )
        return found[0], found[1]

    def __getitem__(self, index: int):
        img = self.data._data[index]
        target = int(self.targets._data[index])
        try:
            from PIL import Image
        except ImportError:
            pass
        else:
            img = Image.fromarray(img)
        return self._transformed(img, target)

    def __len__(self) -> int:
        return self.data.shape[0]

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando's clothing images) from local IDX files; same layout as MNIST."""

    source = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
    classes = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]
