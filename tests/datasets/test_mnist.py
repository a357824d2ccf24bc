"""MNIST/FashionMNIST from local IDX files, and the generic ``read_idx`` parser."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

import eagertorch as et
from eagertorch.datasets import MNIST, FashionMNIST, read_idx, transforms


def _idx_bytes(arr: np.ndarray, code: int) -> bytes:
    header = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    be = arr.astype(arr.dtype.newbyteorder(">"))
    return header + be.tobytes()


def _write(path, arr, code, gz=False):
    data = _idx_bytes(arr, code)
    if gz:
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)
    return path


@pytest.fixture
def mnist_arrays():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    return images, labels


def _write_split(folder, prefix, images, labels, gz):
    suffix = ".gz" if gz else ""
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / f"{prefix}-images-idx3-ubyte{suffix}", images, 0x08, gz)
    _write(folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels, 0x08, gz)


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_round_trips_uint8_raw_and_gzipped(tmp_path, gz, mnist_arrays):
    images, _ = mnist_arrays
    path = _write(tmp_path / "x.idx", images, 0x08, gz)
    out = read_idx(path)
    assert out.dtype == et.uint8
    assert tuple(out.shape) == (5, 28, 28)
    np.testing.assert_array_equal(out.numpy(), images)


@pytest.mark.parametrize(
    "code,dtype",
    [(0x09, np.int8), (0x0B, np.int16), (0x0C, np.int32), (0x0D, np.float32), (0x0E, np.float64)],
)
def test_read_idx_decodes_big_endian_types(tmp_path, code, dtype):
    arr = (np.arange(24).reshape(2, 3, 4) - 7).astype(dtype)
    out = read_idx(_write(tmp_path / "x.idx", arr, code))
    assert out.numpy().dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out.numpy(), arr)


def test_read_idx_truncated_file_error_names_file(tmp_path, mnist_arrays):
    images, _ = mnist_arrays
    path = tmp_path / "bad-images-idx3-ubyte"
    path.write_bytes(_idx_bytes(images, 0x08)[:-10])
    with pytest.raises(RuntimeError, match=r"bad-images-idx3-ubyte.*truncated"):
        read_idx(path)


def test_read_idx_rejects_bad_magic_and_type_code(tmp_path):
    p = tmp_path / "m"
    p.write_bytes(b"\x01\x00\x08\x01\x00\x00\x00\x01\x07")
    with pytest.raises(RuntimeError, match="two zero bytes"):
        read_idx(p)
    p.write_bytes(b"\x00\x00\x07\x01\x00\x00\x00\x01\x07")
    with pytest.raises(RuntimeError, match="unknown data type code 0x07"):
        read_idx(p)
    p.write_bytes(b"\x00\x00\x08\x03\x00\x00")
    with pytest.raises(RuntimeError, match="truncated header"):
        read_idx(p)


def test_read_idx_corrupt_gzip_error_names_file(tmp_path):
    p = tmp_path / "x.gz"
    p.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(RuntimeError, match=r"x\.gz"):
        read_idx(p)


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_reads_torchvision_layout(tmp_path, gz, mnist_arrays):
    images, labels = mnist_arrays
    _write_split(tmp_path / "MNIST" / "raw", "train", images, labels, gz)
    ds = MNIST(tmp_path, train=True)
    assert len(ds) == 5
    assert ds.data.dtype == et.uint8 and tuple(ds.data.shape) == (5, 28, 28)
    assert ds.targets.dtype == et.int64
    assert ds.targets.tolist() == [3, 1, 4, 1, 5]
    img, target = ds[2]
    assert target == 4 and isinstance(target, int)
    pytest.importorskip("PIL")
    assert img.mode == "L" and img.size == (28, 28)
    np.testing.assert_array_equal(np.asarray(img), images[2])


def test_mnist_reads_files_directly_in_root_and_applies_transforms(tmp_path, mnist_arrays):
    images, labels = mnist_arrays
    _write_split(tmp_path, "t10k", images, labels, gz=False)
    ds = MNIST(
        tmp_path, train=False, transform=transforms.ToTensor(), target_transform=lambda t: t * 10
    )
    img, target = ds[0]
    assert target == 30
    assert tuple(img.shape) == (1, 28, 28) and img.dtype == et.float32
    np.testing.assert_allclose(img.numpy()[0], images[0] / 255.0, rtol=1e-6)


def test_fashion_mnist_looks_in_its_own_raw_folder(tmp_path, mnist_arrays):
    images, labels = mnist_arrays
    _write_split(tmp_path / "FashionMNIST" / "raw", "train", images, labels, gz=True)
    ds = FashionMNIST(tmp_path)
    assert len(ds) == 5 and ds.classes[9] == "Ankle boot"
    assert ds.class_to_idx["Trouser"] == 1
    with pytest.raises(RuntimeError):
        MNIST(tmp_path)  # MNIST/raw does not exist


@pytest.mark.parametrize("download", [False, True])
def test_missing_files_error_names_files_folders_and_source(tmp_path, download, mnist_arrays):
    images, _ = mnist_arrays
    _write(tmp_path / "t10k-images-idx3-ubyte", images, 0x08)
    with pytest.raises(RuntimeError) as info:
        MNIST(tmp_path, train=False, download=download)
    msg = str(info.value)
    assert "t10k-labels-idx1-ubyte" in msg
    assert "t10k-images-idx3-ubyte" not in msg
    assert str(tmp_path) in msg and str(tmp_path / "MNIST" / "raw") in msg
    assert "ossci-datasets" in msg
    assert ("download=True is not supported" in msg) == download


def test_mnist_rejects_mismatched_image_and_label_counts(tmp_path, mnist_arrays):
    images, labels = mnist_arrays
    _write_split(tmp_path, "train", images, labels[:3], gz=False)
    with pytest.raises(RuntimeError, match=r"holds 5 images but .* holds 3 labels"):
        MNIST(tmp_path)


def test_repr_names_the_split(tmp_path, mnist_arrays):
    _write_split(tmp_path, "t10k", *mnist_arrays, gz=False)
    assert repr(MNIST(tmp_path, train=False)) == (
        f"Dataset MNIST\n    Number of datapoints: 5\n    Root location: {tmp_path}\n"
        "    Split: Test"
    )
